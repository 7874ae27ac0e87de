#!/bin/sh
# test-log-cli.sh RAGD RAG_CTL — `rag-ctl log search|export|verify` end to
# end (issue 5 points 3 and 4; INTERFACES.md) against a real ragd on a
# temporary state dir whose logs.db is filled with synthetic rows (sqlite3
# CLI) while ragd has it open in WAL mode: the log-signing key generated at
# first start (0600) and shown by `rag-ctl status`; search in the configured
# timezone (Asia/Tokyo) with the 23:59:59 / 00:00:00 local day edge, --json,
# filters, untrusted text escaped, the retention refusal naming the oldest
# time, usage errors; export of exactly 30 days, refusal of 31 days and of a
# window touching today, an empty window, signing by ragd over the control
# socket (exit 3 and no file when ragd is down), verification by rag-ctl and
# by openssl, a tampered member named by verify.
set -u
ragd=$1 ctl=$2
. "$(dirname "$0")/../tests/unit/cli_lib.sh"
for tool in sqlite3 python3 tar; do
	command -v $tool >/dev/null || { echo "FAIL - $tool is needed (packaging/install-deps.sh test)"; exit 1; }
done

cat >"$tmp/ragd.conf" <<EOT
[gateway]
listen = 127.0.0.1
id = vpn.test.example
state-dir = $tmp/state
control-socket = $tmp/run/ragd.sock
timezone = Asia/Tokyo
[pool]
split-tunnel = no    # the IKE service needs something to route
EOT
sock=$tmp/run/ragd.sock
# IKE on unprivileged high ports (net.h: RAG_IKE_PORT / RAG_NATT_PORT), so
# parallel tests (and other ragd instances on the host) do not collide on 500
export RAG_IKE_PORT=$((30000 + $$ % 15000 * 2))
export RAG_NATT_PORT=$((RAG_IKE_PORT + 1))
# rag-ctl with the test's config; the socket comes from its control-socket
c() { "$ctl" -c "$tmp/ragd.conf" "$@" >"$tmp/out" 2>"$tmp/err"; }

start
m=$(stat -c %a "$tmp/state/log-signing.key"); [ "$m" = 600 ] && ok "log-signing.key is 0600" || bad "log-signing.key mode $m"
m=$(stat -c %a "$tmp/state/log-signing.pub"); [ "$m" = 644 ] && ok "log-signing.pub is 0644" || bad "log-signing.pub mode $m"
"$ctl" --socket "$sock" status >"$tmp/out" 2>&1
contains "$tmp/out" "log-signing-key: $(sed -n 2p "$tmp/state/log-signing.pub")" "status shows the public key of log-signing.pub"
grep -q "log-signing key" "$tmp/ragd.log" && ok "first start logs the new key" || bad "no log line about the new key"

# Local (Tokyo) days and the UTC milliseconds of local times.
tz() { TZ=Asia/Tokyo date "$@"; }
today=$(tz +%F)
day() { tz -d "$today $1 days" +%F; }
ms() { echo $(( $(tz -d "$1" +%s) * 1000 )); }
y=$(day -1)
edge_late=$(ms "$y 23:59:59")
edge_mid=$(ms "$today 00:00:00")
old=$(ms "$(day -20) 12:00:00")
sqlite3 "$tmp/state/logs.db" >/dev/null <<EOT
PRAGMA busy_timeout = 5000;
INSERT INTO connection (time_ms, event, user, device, client_addr, client_port, vip4, bytes_in, bytes_out)
  VALUES ($edge_late, 'connect', 'alice', 'CN=alice', '192.0.2.10', 4500, '10.8.0.2', 100, 200);
INSERT INTO connection (time_ms, event, user, client_addr) VALUES ($edge_mid, 'disconnect', 'alice', '192.0.2.10');
INSERT INTO connection (time_ms, event, user, client_addr) VALUES ($old, 'connect', 'bob', '198.51.100.7');
INSERT INTO auth (time_ms, result, user, identity, method, reason, client_addr)
  VALUES ($edge_late, 'failure', '', 'mallory' || char(27) || '[2J"', 'eap-mschapv2', 'unknown user', '203.0.113.9');
INSERT INTO acl (time_ms, user, vip, dst_addr, proto, dst_port, verdict, rule_id)
  VALUES ($edge_late, 'alice', '10.8.0.2', '10.1.2.3', 'tcp', 443, 'permit', 1);
EOT
[ $? = 0 ] && ok "synthetic rows written while ragd holds logs.db" || bad "sqlite3 insert"

# ---- search ----
c log search --type connection --since "$y" --until "$today"; expect_rc 0 $? "search one local day"
contains "$tmp/out" "${y}T23:59:59.000+09:00 connect" "23:59:59 local is in that day, shown in +09:00"
lacks "$tmp/out" "${today}T00:00:00" "00:00:00 local of the next day is not"
c log search --type connection --since "$today"; expect_rc 0 $? "search from local midnight"
contains "$tmp/out" "${today}T00:00:00.000+09:00 disconnect" "00:00:00 local is in the next day"
c log search --type connection --since "${y}T14:59:59Z" --until "${y}T15:00:00Z"; expect_rc 0 $? "explicit UTC zone"
contains "$tmp/out" "${y}T23:59:59.000+09:00" "14:59:59Z is 23:59:59 in Tokyo"
c log search --type connection --json; expect_rc 0 $? "search --json (default window: retention)"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out" 2>&1)
[ "$n" = 3 ] && ok "--json is one JSON array of the 3 rows" || bad "--json: $n"
"$ctl" -c "$tmp/ragd.conf" --json log search --type connection --user bob >"$tmp/out" 2>&1
n=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(len(a), a[0]["user"], a[0]["time"][-6:])' "$tmp/out" 2>&1)
[ "$n" = "1 bob +09:00" ] && ok "global --json and --user" || bad "global --json --user bob: $n"
c log search --type connection --contains 198.51.100; expect_rc 0 $? "--contains"
[ "$(grep -c 198.51.100 "$tmp/out")" = 1 ] && ok "--contains finds the one row" || bad "--contains rows"
c log search --type connection --limit 2; expect_rc 0 $? "--limit"
[ "$(wc -l <"$tmp/out")" = 3 ] && ok "--limit 2 prints header + 2 rows" || bad "--limit 2: $(cat "$tmp/out")"
c log search --type auth; expect_rc 0 $? "search auth"
contains "$tmp/out" 'mallory\x1b[2J"' "control bytes from the network are escaped in the table"
if grep -q "$(printf '\033')" "$tmp/out"; then bad "raw ESC in table output"; else ok "no raw ESC in table output"; fi
c log search --type auth --json; expect_rc 0 $? "search auth --json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(a[0]["identity"] != "mallory\x1b[2J\"")' "$tmp/out" \
	&& ok "JSON escapes decode to the stored identity" || bad "JSON identity: $(cat "$tmp/out")"
c log search --type acl --user alice; expect_rc 0 $? "search acl"
contains "$tmp/out" "10.1.2.3" "acl row shown"
c log search --type audit; expect_rc 0 $? "search audit (empty is fine)"
c log search --type connection --since -91d; expect_rc 1 $? "a window beyond retention (90d) is refused"
contains "$tmp/err" "oldest searchable time is" "the refusal names the oldest searchable time"
c log search --type connection --since "$(day -100)"; expect_rc 1 $? "an ISO --since beyond retention is refused"
c log search --type connection --until "$(day -95)"; expect_rc 1 $? "an --until before the retention window is refused"
contains "$tmp/err" "oldest searchable time is" "naming the oldest time"
c log search --type bogus; expect_rc 2 $? "bad --type"
c log search --type auth --since yesterday; expect_rc 2 $? "bad time"
contains "$tmp/err" "ISO 8601" "the usage error says what a time is"
c log search --type auth --limit 0; expect_rc 2 $? "--limit 0"
c log search --type auth --since -1h --until -2h; expect_rc 2 $? "--until before --since"
c log search; expect_rc 2 $? "search without --type"

# ---- export / verify ----
c log export --from "$(day -30)" --to "$y" -o "$tmp/b30.tar.gz"; expect_rc 0 $? "export exactly 30 days (export-window 30d)"
contains "$tmp/out" "connection 2, acl 1, auth 1" "row counts: bob and the 23:59:59 row in, today's row out"
c log verify "$tmp/b30.tar.gz"; expect_rc 0 $? "verify the bundle"
contains "$tmp/out" "OK" "verify prints OK"
c log export --from "$(day -31)" --to "$y" -o "$tmp/b31.tar.gz"; expect_rc 1 $? "31 days refused"
contains "$tmp/err" "31 days" "the refusal says why"
[ ! -e "$tmp/b31.tar.gz" ] && ok "no file for a refused export" || bad "b31 exists"
c log export --from "$(day -3)" --to "$today" -o "$tmp/bt.tar.gz"; expect_rc 1 $? "a window touching today refused"
contains "$tmp/err" "today" "the refusal names today"
c log export --from "$(day -10)" --to "$(day -5)" -o "$tmp/empty.tar.gz"; expect_rc 0 $? "empty window exports"
contains "$tmp/out" "connection 0, acl 0, auth 0" "zero rows"
c log verify "$tmp/empty.tar.gz"; expect_rc 0 $? "empty bundle verifies"
c log export --from "$y" --to "$(day -3)" -o "$tmp/x.tar.gz"; expect_rc 2 $? "--from after --to is a usage error"
c log export --from "$(day -3)" -o "$tmp/x.tar.gz"; expect_rc 2 $? "export without --to"

mkdir "$tmp/x"
tar -xzf "$tmp/b30.tar.gz" -C "$tmp/x" && ok "the bundle is a plain .tar.gz" || bad "tar cannot read the bundle"
for f in connection.jsonl acl.jsonl auth.jsonl manifest.json manifest.sig; do
	[ -f "$tmp/x/$f" ] || bad "bundle lacks $f"
done
if command -v openssl >/dev/null; then
	openssl pkeyutl -verify -pubin -inkey "$tmp/state/log-signing.pub" -rawin \
		-in "$tmp/x/manifest.json" -sigfile "$tmp/x/manifest.sig" >"$tmp/out" 2>&1
	expect_rc 0 $? "openssl verifies manifest.sig with log-signing.pub"
	(cd "$tmp/x" && python3 -c '
import hashlib, json
m = json.load(open("manifest.json"))
for f, e in m["files"].items():
    assert hashlib.sha256(open(f, "rb").read()).hexdigest() == e["sha256"], f
') && ok "sha256 of every file matches the manifest" || bad "manifest hashes"
else
	bad "openssl not installed"
fi
# tamper one byte of acl.jsonl and repack
sed -i 's/10.1.2.3/10.1.2.4/' "$tmp/x/acl.jsonl"
(cd "$tmp/x" && tar -czf "$tmp/tampered.tar.gz" manifest.json manifest.sig connection.jsonl acl.jsonl auth.jsonl)
c log verify "$tmp/tampered.tar.gz"; expect_rc 1 $? "tampered bundle fails verification"
contains "$tmp/err" "acl.jsonl: SHA-256" "verify names the tampered file"
lacks "$tmp/err" "connection.jsonl" "and only that file"
c log verify "$tmp/nonexistent.tar.gz"; expect_rc 1 $? "missing bundle"
c log verify; expect_rc 2 $? "verify without FILE"

# ragd signs only this gateway's bundle manifests (daemon/ctl_log.c)
raw() { # request line -> first response line
	python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())
PY
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
r=$(raw "log sign $(hex '{"format":"rag-log-bundle/1","gateway_id":"vpn.test.example"}')")
case $r in OK) ok "ragd signs a manifest of this gateway";; *) bad "log sign of a good manifest: $r";; esac
r=$(raw "log sign $(hex '{"format":"rag-log-bundle/1","gateway_id":"other.example"}')")
case $r in "ERR 1 "*gateway_id*) ok "another gateway's manifest refused";; *) bad "foreign manifest: $r";; esac
r=$(raw "log sign $(hex 'arbitrary bytes to sign')")
case $r in "ERR 1 "*"not a JSON object"*) ok "arbitrary bytes refused";; *) bad "arbitrary bytes: $r";; esac
r=$(raw "log sign $(hex '{"format":"x","gateway_id":"vpn.test.example"}')")
case $r in "ERR 1 "*format*) ok "a non-manifest JSON object refused";; *) bad "non-manifest: $r";; esac
r=$(raw "log sign zz")
case $r in "ERR 2 "*) ok "bad hex is a usage error";; *) bad "bad hex: $r";; esac
r=$(raw "log sign $(head -c 1901 /dev/zero | od -An -tx1 | tr -d ' \n')")
case $r in "ERR 2 "*) ok "a manifest over 1900 bytes refused";; *) bad "long manifest: $r";; esac
grep -q "signed a log bundle manifest" "$tmp/ragd.log" && ok "each signature is logged" || bad "no log line for signatures"

stop
# ragd down: verification needs only the bundle and the public key;
# export cannot be signed
cp "$tmp/state/log-signing.pub" "$tmp/pub.pem"
"$ctl" log verify "$tmp/b30.tar.gz" --key "$tmp/pub.pem" >"$tmp/out" 2>"$tmp/err"; expect_rc 0 $? "verify with --key, ragd stopped"
RAG_CONF=$tmp/ragd.conf "$ctl" log verify "$tmp/b30.tar.gz" >"$tmp/out" 2>"$tmp/err"; expect_rc 0 $? "verify with \$RAG_CONF's state-dir key"
c log export --from "$(day -3)" --to "$y" -o "$tmp/down.tar.gz"; expect_rc 3 $? "export with ragd down: unreachable"
[ ! -e "$tmp/down.tar.gz" ] && ok "no bundle without a signature" || bad "unsigned bundle written"
c log search --type connection --user alice; expect_rc 0 $? "search works without ragd"
ls "$tmp" | grep -q 'tmp-' && bad "temporary export files left: $(ls "$tmp")" || ok "no temporary files left"

[ $fail = 0 ] && echo "all log CLI checks passed"
exit $fail
