#!/bin/sh
# test-policy-cli.sh RAGD RAG_CTL — `rag-ctl group|hostgroup|servicegroup|rule`
# end to end against a real ragd on a temporary state dir (issue 4 point 1;
# INTERFACES.md rag-ctl): users in several groups, ordered rules with stable
# IDs, every listing as a table and as one JSON array, bad input refused with
# a message naming the value (unknown names, bad CIDRs incl. host bits,
# tcp/70000, reversed ranges, duplicate names; IPv4 and IPv6) with exit 2 for
# usage and 1 for refusals, deleting a group in use refused with the rule
# IDs, the same checks in ragd for requests that bypass rag-ctl (raw socket),
# the per-command member limit, the policy generation advancing with every
# change, persistence across a restart.  Runs unprivileged.
set -u
ragd=$1 ctl=$2
. "$(dirname "$0")/../tests/unit/cli_lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "FAIL - python3 is needed (JSON and raw socket checks)"; exit 1; }

cat >"$tmp/ragd.conf" <<EOT
[gateway]
listen = 127.0.0.1
id = vpn.test.example
state-dir = $tmp/state
control-socket = $tmp/run/ragd.sock
timezone = UTC
[pool]
split-tunnel = yes
EOT
sock=$tmp/run/ragd.sock
# IKE on unprivileged high ports (net.h), so parallel runs do not collide
export RAG_IKE_PORT=$((30000 + $$ % 15000 * 2))
export RAG_NATT_PORT=$((RAG_IKE_PORT + 1))
RAGD_OPTS=-v
c() { "$ctl" --socket "$sock" "$@" >"$tmp/out" 2>&1; }
# raw REQUEST: what ragd answers to a request that did not come from rag-ctl
raw() {
	python3 - "$sock" "$1" >"$tmp/out" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}
json() { # python assertion over the JSON in $tmp/out
	python3 - "$tmp/out" "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert isinstance(v, list), v
exec(sys.argv[2])
PY
}
gen() { grep -o 'generation [0-9]*' "$tmp/ragd.log" | tail -1 | cut -d' ' -f2; }

start

# ---- user groups; users in several groups
c user add alice; c user add bob; c user add carol
c group add eng; expect_rc 0 $? "group add eng"
c group add ops; expect_rc 0 $? "group add ops"
c group add ENG; expect_rc 1 $? "duplicate group name (other case)"
contains "$tmp/out" "user group 'eng' already exists" "names the duplicate"
c group add 'bad!name'; expect_rc 2 $? "invalid group name is a usage error"
contains "$tmp/out" "'bad!name'" "names the value"
c group member add eng alice; expect_rc 0 $? "alice into eng"
c group member add ops alice; expect_rc 0 $? "alice into ops too"
c group member add ops bob; expect_rc 0 $? "bob into ops"
c group member add ops bob; expect_rc 1 $? "bob into ops twice"
contains "$tmp/out" "user 'bob' is already in group 'ops'" "names user and group"
c group member add ops nobody; expect_rc 1 $? "unknown user"
contains "$tmp/out" "no user 'nobody'" "names the user"
c group member add staff bob; expect_rc 1 $? "unknown group"
contains "$tmp/out" "user group 'staff' does not exist" "names the group"
c group member add eng; expect_rc 2 $? "member add without USER"
c group member del eng carol; expect_rc 1 $? "carol is not in eng"
c user add dave --group eng --group ops; expect_rc 0 $? "user add --group (several)"
c user list
grep -E '^alice +active .* eng,ops ' "$tmp/out" >/dev/null && ok "user list shows alice in eng,ops" || bad "alice groups: $(cat "$tmp/out")"
grep -E '^bob +active .* ops ' "$tmp/out" >/dev/null && ok "user list shows bob in ops" || bad "bob groups"
c group list; expect_rc 0 $? "group list"
grep -E '^eng +2 +- ' "$tmp/out" >/dev/null && ok "eng has 2 members, no rules" || bad "group list: $(cat "$tmp/out")"
c group list --json; expect_rc 0 $? "group list --json"
json 'assert [(g["name"], g["member_count"]) for g in v] == [("eng", 2), ("ops", 3)], v
assert "members" not in v[0] and v[0]["rules"] == [], v' && ok "group list JSON" || bad "group JSON: $(cat "$tmp/out")"
c group list ops --json; expect_rc 0 $? "group list ops --json"
json 'assert v[0]["members"] == ["alice", "bob", "dave"], v' && ok "members of ops listed" || bad "ops JSON: $(cat "$tmp/out")"
c group list nosuch; expect_rc 1 $? "group list of an unknown group"

# ---- host groups: IPv4 and IPv6, bad CIDRs named
c hostgroup add servers 10.20.0.0/24 10.20.1.5 2001:db8:20::/48; expect_rc 0 $? "hostgroup add with IPv4 and IPv6 members"
c hostgroup add web 10.30.0.0/16; expect_rc 0 $? "hostgroup add web"
c hostgroup add empty; expect_rc 0 $? "hostgroup add without members"
c hostgroup add Servers; expect_rc 1 $? "duplicate host group"
contains "$tmp/out" "host group 'servers' already exists" "names it"
c hostgroup add h1 10.0.0.1/24; expect_rc 2 $? "CIDR with host bits set"
contains "$tmp/out" "'10.0.0.1/24' has host bits set (the network is 10.0.0.0/24)" "names value and network"
c hostgroup add h1 2001:db8::1/64; expect_rc 2 $? "IPv6 CIDR with host bits set"
contains "$tmp/out" "'2001:db8::1/64' has host bits set (the network is 2001:db8::/64)" "names the IPv6 value"
c hostgroup add h1 10.0.0.0/33; expect_rc 2 $? "prefix length 33"
contains "$tmp/out" "'10.0.0.0/33'" "names it"
c hostgroup add h1 2001:db8::/129; expect_rc 2 $? "prefix length 129"
c hostgroup add h1 10.0.0.300; expect_rc 2 $? "not an address"
contains "$tmp/out" "'10.0.0.300' is not an address or CIDR" "names it"
c hostgroup add h1 2001:db8:::1; expect_rc 2 $? "not an IPv6 address"
c hostgroup member add servers 10.20.1.5; expect_rc 1 $? "member already there"
contains "$tmp/out" "host group 'servers' already has 10.20.1.5" "names the member"
c hostgroup member add servers 10.20.2.0/24 10.20.3.0/24; expect_rc 0 $? "hostgroup member add (two)"
c hostgroup member del servers 10.20.3.0/24; expect_rc 0 $? "hostgroup member del"
c hostgroup member del servers 10.99.0.0/16; expect_rc 1 $? "member del of a non-member"
contains "$tmp/out" "has no member 10.99.0.0/16" "names it"
c hostgroup member add nosuch 10.0.0.0/8; expect_rc 1 $? "member add to an unknown host group"
contains "$tmp/out" "host group 'nosuch' does not exist" "names it"
c hostgroup list --json; expect_rc 0 $? "hostgroup list --json"
json 'd = {g["name"]: g for g in v}
assert d["servers"]["members"] == ["10.20.0.0/24", "10.20.1.5", "10.20.2.0/24", "2001:db8:20::/48"], d
assert d["empty"]["members"] == [] and d["empty"]["member_count"] == 0, d' && ok "hostgroup JSON" || bad "hostgroup JSON: $(cat "$tmp/out")"
# the per-command limit (policy.h POL_CMD_MEMBERS_MAX)
many=$(i=0; while [ $i -lt 65 ]; do printf ' 10.40.%d.0/24' $i; i=$((i+1)); done)
c hostgroup add big $many; expect_rc 2 $? "65 members in one command"
contains "$tmp/out" "at most 64" "names the limit"
many=$(i=0; while [ $i -lt 64 ]; do printf ' 10.40.%d.0/24' $i; i=$((i+1)); done)
c hostgroup add big $many; expect_rc 0 $? "64 members in one command"

# ---- service groups
c servicegroup add websvc tcp/443 tcp/8000-8080; expect_rc 0 $? "servicegroup add"
c servicegroup add basics udp/53 icmp; expect_rc 0 $? "servicegroup add udp and icmp"
c servicegroup add all any; expect_rc 0 $? "servicegroup add any"
c servicegroup add s1 tcp/70000; expect_rc 2 $? "tcp/70000"
contains "$tmp/out" "'tcp/70000'" "names it"
c servicegroup add s1 tcp/9000-8000; expect_rc 2 $? "reversed range"
contains "$tmp/out" "'tcp/9000-8000': reversed port range" "names it"
c servicegroup add s1 tcp/0; expect_rc 2 $? "port 0"
c servicegroup add s1 gre; expect_rc 2 $? "unknown protocol"
c servicegroup add s1 tcp/22 tcp/22; expect_rc 1 $? "the same service twice"
contains "$tmp/out" "tcp/22 given twice" "names it"
c servicegroup member add websvc tcp/443; expect_rc 1 $? "service already there"
c servicegroup member add websvc udp/443; expect_rc 0 $? "servicegroup member add"
c servicegroup list; expect_rc 0 $? "servicegroup list"
contains "$tmp/out" "tcp/443,tcp/8000-8080,udp/443" "members in order"

# ---- rules: ordered, stable IDs, first match shown by position
g0=$(gen)
c rule add --user-group eng --host-group servers --service-group websvc --action permit
expect_rc 0 $? "rule add (1)"
contains "$tmp/out" "rule 1 added at position 1" "ID and position shown"
g1=$(gen)
[ -n "$g1" ] && [ "$g1" -gt "${g0:-0}" ] && ok "policy generation advanced ($g0 -> $g1)" || bad "generation $g0 -> $g1"
c rule add --user-group ops --host-group web --service-group basics --action permit --no-log
expect_rc 0 $? "rule add (2)"
c rule add --user-group eng --host-group servers --service-group all --action deny --position 1
expect_rc 0 $? "rule add --position 1"
contains "$tmp/out" "rule 3 added at position 1" "inserted first"
c rule add --user-group eng --host-group servers --service-group all --action deny --position 5
expect_rc 1 $? "--position past the end"
contains "$tmp/out" "--position 5 is past the end: there are 3 rules (use 1-4)" "says the range"
c rule add --user-group staff --host-group servers --service-group all --action deny
expect_rc 1 $? "rule with an unknown user group"
contains "$tmp/out" "user group 'staff' does not exist" "names it"
c rule add --user-group eng --host-group nohosts --service-group all --action deny
expect_rc 1 $? "rule with an unknown host group"
contains "$tmp/out" "host group 'nohosts' does not exist" "names it"
c rule add --user-group eng --host-group servers --service-group nosvc --action deny
expect_rc 1 $? "rule with an unknown service group"
contains "$tmp/out" "service group 'nosvc' does not exist" "names it"
c rule add --user-group eng --host-group servers --service-group all --action allow
expect_rc 2 $? "--action allow"
contains "$tmp/out" "'allow'" "names it"
c rule add --user-group eng --host-group servers --action permit; expect_rc 2 $? "rule add without --service-group"
c rule add --user-group eng --host-group servers --service-group all --action permit --position 0
expect_rc 2 $? "--position 0"
c rule list; expect_rc 0 $? "rule list"
awk 'NR > 1 { printf "%s:%s:%s ", $1, $2, $3 }' "$tmp/out" >"$tmp/order"
[ "$(cat "$tmp/order")" = "1:3:deny 2:1:permit 3:2:permit " ] && ok "rules in order with their IDs" || bad "order: $(cat "$tmp/order")"
c rule list --json; expect_rc 0 $? "rule list --json"
json 'assert [(r["position"], r["id"], r["action"], r["log"]) for r in v] == [(1, 3, "deny", True), (2, 1, "permit", True), (3, 2, "permit", False)], v
assert v[2]["user_group"] == "ops" and v[2]["host_group"] == "web" and v[2]["service_group"] == "basics", v' && ok "rule JSON" || bad "rule JSON: $(cat "$tmp/out")"
"$ctl" --socket "$sock" --json rule list >"$tmp/out2" 2>&1
"$ctl" --socket "$sock" rule list --json >"$tmp/out" 2>&1
cmp -s "$tmp/out" "$tmp/out2" && ok "global --json gives the same" || bad "global --json differs"

# ---- deleting what a rule uses is refused with the rule IDs
c hostgroup del servers; expect_rc 1 $? "hostgroup del of a group in use"
contains "$tmp/out" "host group 'servers' is used by rules 1, 3" "lists the rule IDs"
c servicegroup del basics; expect_rc 1 $? "servicegroup del of a group in use"
contains "$tmp/out" "service group 'basics' is used by rule 2" "lists the rule ID"
c group del eng; expect_rc 1 $? "group del of a group in use"
contains "$tmp/out" "user group 'eng' is used by rules 1, 3" "lists the rule IDs"
c hostgroup list --json
json 'd = {g["name"]: g for g in v}
assert d["servers"]["rules"] == [1, 3] and d["web"]["rules"] == [2], d' && ok "listings name the rules using a group" || bad "rules in hostgroup JSON: $(cat "$tmp/out")"
c rule del 3; expect_rc 0 $? "rule del 3"
c rule del 3; expect_rc 1 $? "rule del 3 again"
contains "$tmp/out" "no rule with ID 3" "names the ID"
c rule del abc; expect_rc 2 $? "rule del abc"
c rule list
awk 'NR > 1 { printf "%s:%s ", $1, $2 }' "$tmp/out" >"$tmp/order"
[ "$(cat "$tmp/order")" = "1:1 2:2 " ] && ok "IDs stable, positions closed up" || bad "after del: $(cat "$tmp/order")"
c rule add --user-group eng --host-group empty --service-group all --action permit
contains "$tmp/out" "rule 4 added at position 3" "IDs are never reused"
c rule del 4; c hostgroup del empty; expect_rc 0 $? "hostgroup del once unused"
c group member del ops dave; expect_rc 0 $? "group member del"
c user del dave; expect_rc 0 $? "user del of a member"
c group list ops --json
json 'assert v[0]["members"] == ["alice", "bob"], v' && ok "deleted user left the group" || bad "ops after user del: $(cat "$tmp/out")"

# ---- ragd checks again what bypasses rag-ctl
raw "hostgroup add h2 10.0.0.1/24"
contains "$tmp/out" "ERR 2 '10.0.0.1/24' has host bits set" "raw: host bits refused by ragd"
raw "servicegroup add s2 tcp/70000"
contains "$tmp/out" "ERR 2 'tcp/70000'" "raw: tcp/70000 refused by ragd"
raw "servicegroup add s2 tcp/9000-8000"
contains "$tmp/out" "ERR 2 'tcp/9000-8000': reversed" "raw: reversed range refused by ragd"
raw "group add bad!name"
contains "$tmp/out" "ERR 2 invalid user group name 'bad!name'" "raw: invalid name refused by ragd"
raw "rule add user-group=eng host-group=servers service-group=websvc action=allow"
contains "$tmp/out" "ERR 2" "raw: action=allow refused by ragd"
raw "rule add user-group=eng host-group=servers service-group=websvc action=permit position=99999"
contains "$tmp/out" "ERR 2" "raw: position out of range refused by ragd"
raw "rule add user-group=eng host-group=servers"
contains "$tmp/out" "ERR 2" "raw: incomplete rule refused by ragd"
raw "rule del 0"
contains "$tmp/out" "ERR 2" "raw: rule del 0 refused by ragd"
raw "hostgroup add h3$(i=0; while [ $i -lt 65 ]; do printf ' 10.50.%d.0/24' $i; i=$((i+1)); done)"
contains "$tmp/out" "ERR 2" "raw: 65 members refused by ragd"
raw "group member add eng"
contains "$tmp/out" "ERR 2" "raw: member add without USER refused by ragd"
raw "hostgroup frobnicate"
contains "$tmp/out" "ERR 2" "raw: unknown subcommand"
c hostgroup list
lacks "$tmp/out" "h2" "nothing was created by the refused requests"
lacks "$tmp/out" "h3" "nothing was created by the refused requests (limit)"

# ---- the changes are in ragd's log with the caller's uid, old -> new
contains "$tmp/ragd.log" "'rule add 1': - -> rule 1 at 1: permit eng -> servers websvc" "rule add logged"
contains "$tmp/ragd.log" "'rule del 3': rule 3 at 1: deny eng -> servers all -> -" "rule del logged with the old rule"
contains "$tmp/ragd.log" "'hostgroup member add servers': 10.20.0.0/24,10.20.1.5,2001:db8:20::/48 -> 10.20.0.0/24,10.20.1.5,10.20.2.0/24,10.20.3.0/24,2001:db8:20::/48" "member change logged old -> new"
stop

# ---- persistence
start
c rule list --json
json 'assert [(r["position"], r["id"]) for r in v] == [(1, 1), (2, 2)], v' && ok "rules persisted" || bad "rules after restart: $(cat "$tmp/out")"
c group list ops --json
json 'assert v[0]["members"] == ["alice", "bob"], v' && ok "memberships persisted" || bad "ops after restart"
contains "$tmp/ragd.log" "policy: 2 rules over 3 users (generation 1)" "loaded at start"
stop
exit $fail
