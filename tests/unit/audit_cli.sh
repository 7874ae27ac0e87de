#!/bin/sh
# audit_cli.sh RAGD RAG_CTL — issue 5 point 6 ("Every change through rag-ctl
# is recorded with the calling Unix user (SO_PEERCRED) and old -> new
# values") and point 7 ("rag-ctl status says whether the kernel clock is
# synchronized; ragd logs a warning at start ... while it is not"), end to
# end against a real ragd on a temporary state dir (runs unprivileged):
#  - user add/passwd/lock/unlock/del, reload (ok, with a changed file, and
#    refused), sa kill, an unknown command and a request with a secret-like
#    token each leave an audit row with uid, user name, pid, the request
#    line, the object, old -> new and ok/refused; listings and status leave
#    none;
#  - no password, in any form, reaches logs.db (file bytes grepped);
#  - the clock warning is in the log exactly when status says the clock is
#    not synchronized.
set -u
ragd=$1 ctl=$2
. "$(dirname "$0")/cli_lib.sh"
command -v sqlite3 >/dev/null || { echo "FAIL - the sqlite3 CLI is needed"; exit 1; }

cat >"$tmp/ragd.conf" <<EOT
[gateway]
listen = 127.0.0.1
id = vpn.test.example
state-dir = $tmp/state
control-socket = $tmp/run/ragd.sock
timezone = UTC
[pool]
split-tunnel = no
EOT
sock=$tmp/run/ragd.sock
export RAG_IKE_PORT=$((30001 + $$ % 14000 * 2))
export RAG_NATT_PORT=$((RAG_IKE_PORT + 1))
"$ragd" -f -c "$tmp/ragd.conf" 2>"$tmp/ragd.log" &
pid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
[ -S "$sock" ] && ok "ragd up" || { bad "no control socket"; cat "$tmp/ragd.log"; exit 1; }
c() { "$ctl" --socket "$sock" "$@"; }
# one raw request line (what rag-ctl would never send)
raw() {
	python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace"))
PY
}

# ---- clock (point 7) ----
c status >"$tmp/status" 2>&1; expect_rc 0 $? "rag-ctl status"
clock=$(sed -n 's/^clock: //p' "$tmp/status")
case $clock in
synchronized|unsynchronized|unknown) ok "status says clock: $clock" ;;
*) bad "status clock line: '$clock'" ;;
esac
if grep -q "kernel clock is not synchronized" "$tmp/ragd.log"; then warned=yes; else warned=no; fi
[ "$clock" = unsynchronized ] && want=yes || want=no
expect "$want" "$warned" "start-up clock warning exactly when unsynchronized"

# ---- changes (point 6) ----
pw1='Audit-Pw1 zebra!' pw2='Audit-Pw2 walrus?'
printf '%s\n' "$pw1" | c user add alice --password-stdin --cert-subject 'CN=alice, O=Example' >/dev/null 2>&1
expect_rc 0 $? "user add alice"
printf '%s\n' "$pw1" | c user add alice --password-stdin >/dev/null 2>&1
expect_rc 1 $? "user add alice again (refused)"
printf '%s\n' "$pw2" | c user passwd alice --password-stdin >/dev/null 2>&1
expect_rc 0 $? "user passwd alice"
c user lock alice >/dev/null 2>&1; expect_rc 0 $? "user lock alice"
c user unlock alice >/dev/null 2>&1; expect_rc 0 $? "user unlock alice"
c user list >/dev/null 2>&1; expect_rc 0 $? "user list (not a change)"
c user del alice >/dev/null 2>&1; expect_rc 0 $? "user del alice"
c user del nobody >/dev/null 2>&1; expect_rc 1 $? "user del nobody (refused)"
c sa kill --user bob >/dev/null 2>&1; expect_rc 1 $? "sa kill --user bob (no SA: refused)"
c sa list >/dev/null 2>&1; expect_rc 0 $? "sa list (not a change)"
c reload >/dev/null 2>&1; expect_rc 0 $? "reload, file unchanged"
echo "# edited" >>"$tmp/ragd.conf"
c reload >/dev/null 2>&1; expect_rc 0 $? "reload, file changed"
cp "$tmp/ragd.conf" "$tmp/good.conf"
printf '[timers]\ndpd = soon\n' >>"$tmp/ragd.conf"
c reload >/dev/null 2>&1; expect_rc 1 $? "reload of a bad file (refused)"
cp "$tmp/good.conf" "$tmp/ragd.conf"
# access policy (ctl_policy.c) and a signed log export (ctl_log.c)
c hostgroup add web 192.0.2.0/24 >/dev/null 2>&1; expect_rc 0 $? "hostgroup add web"
c hostgroup member add web 198.51.100.7 >/dev/null 2>&1; expect_rc 0 $? "hostgroup member add"
c hostgroup list >/dev/null 2>&1; expect_rc 0 $? "hostgroup list (not a change)"
c hostgroup del web >/dev/null 2>&1; expect_rc 0 $? "hostgroup del web"
"$ctl" -c "$tmp/ragd.conf" log export --from "$(date -u -d '-3 days' +%F)" \
	--to "$(date -u -d '-1 day' +%F)" -o "$tmp/b.tar.gz" >/dev/null 2>"$tmp/err"
expect_rc 0 $? "log export (ragd signs the manifest)"
raw "frobnicate now" >"$tmp/out"; grep -q "^ERR 4" "$tmp/out" && ok "unknown command refused" ||
	bad "unknown command: $(cat "$tmp/out")"
raw "user add carol password=hunter2-secret" >"$tmp/out"
grep -q "^ERR" "$tmp/out" && ok "inline password refused" || bad "inline password: $(cat "$tmp/out")"
kill -TERM "$pid"; wait "$pid"; expect_rc 0 $? "SIGTERM exits 0"
pid=

db=$tmp/state/logs.db
q() { sqlite3 "$db" "$1"; }
uid=$(id -u) name=$(id -un)
expect 17 "$(q "SELECT count(*) FROM audit WHERE unix_user <> 'ragd'")" "17 audit rows, one per change or attempt"
expect 0 "$(q "SELECT count(*) FROM audit WHERE unix_user <> 'ragd' AND (uid <> $uid OR unix_user <> '$name' OR pid IS NULL OR time_ms < 1700000000000)")" \
	"every row has the caller's uid $uid, name $name, pid and time"
expect 0 "$(q "SELECT count(*) FROM audit WHERE command LIKE '%list%' OR command LIKE 'status%'")" \
	"listings and status are not recorded"
row() { q "SELECT result || '|' || object || '|' || coalesce(old_value, 'NULL') || '|' || coalesce(new_value, 'NULL') FROM audit WHERE $1 ORDER BY id LIMIT 1 OFFSET ${2:-0}"; }
r=$(row "command LIKE 'user add alice %'")
case $r in
"ok|user alice|NULL|state=active password=yes psk=no groups=- cert-subject=CN=alice, O=Example failed=0 locked-until=-") ok "user add: NULL -> the new user" ;;
*) bad "user add row: $r" ;;
esac
expect "user add alice subject=434e3d616c6963652c204f3d4578616d706c65 --secret-follows" \
	"$(q "SELECT command FROM audit WHERE command LIKE 'user add alice %' ORDER BY id LIMIT 1")" \
	"the request line is recorded, the secret only as its marker"
r=$(row "command LIKE 'user add alice %'" 1)
case $r in
"refused|user alice|state=active"*"|state=active"*) ok "refused add: old = new (nothing changed)" ;;
*) bad "refused user add row: $r" ;;
esac
expect "user 'alice' already exists" "$(q "SELECT message FROM audit WHERE result = 'refused' AND command LIKE 'user add alice%'")" \
	"the refusal's message"
r=$(row "command LIKE 'user passwd alice%'")
case $r in
"ok|user alice|"*"password=yes"*"|"*"password=new") ok "passwd: shows a new password, not the password" ;;
*) bad "passwd row: $r" ;;
esac
r=$(row "command = 'user lock alice'")
case $r in
"ok|user alice|state=active"*"|state=locked "*) ok "lock: active -> locked" ;;
*) bad "lock row: $r" ;;
esac
r=$(row "command = 'user unlock alice'")
case $r in
"ok|user alice|state=locked "*"|state=active"*) ok "unlock: locked -> active" ;;
*) bad "unlock row: $r" ;;
esac
r=$(row "command = 'user del alice'")
case $r in
"ok|user alice|state=active"*"|NULL") ok "del: the user -> NULL" ;;
*) bad "del row: $r" ;;
esac
expect "refused|user nobody|NULL|NULL" "$(row "command = 'user del nobody'")" "refused del of a user that does not exist"
expect "refused||NULL|NULL" "$(row "command = 'sa kill user bob'")" "refused sa kill"
r=$(row "command = 'reload'")
o=${r#ok|configuration|}; old=${o%%|*}; new=${o#*|}
case $r in ok\|configuration\|file=*sha256=*) ok "reload: the configuration described" ;; *) bad "reload row: $r" ;; esac
expect "$old" "$new" "reload of an unchanged file: old = new"
r=$(row "command = 'reload'" 1)
o=${r#ok|configuration|}; old=${o%%|*}; new=${o#*|}
[ "$old" != "$new" ] && ok "reload of a changed file: the digest changed" || bad "reload (changed file): $r"
r=$(row "command = 'reload'" 2)
o=${r#refused|configuration|}; old=${o%%|*}; new=${o#*|}
case $r in refused\|*) ok "refused reload recorded" ;; *) bad "refused reload row: $r" ;; esac
expect "$old" "$new" "refused reload: nothing changed"
expect "refused" "$(q "SELECT result FROM audit WHERE command = 'frobnicate now'")" "unknown command recorded as refused"
expect "ok|hostgroup add web|NULL|192.0.2.0/24" "$(row "command = 'hostgroup add web 192.0.2.0/24'")" "hostgroup add: NULL -> its members"
r=$(row "command = 'hostgroup member add web 198.51.100.7'")
case $r in
"ok|hostgroup member add web|192.0.2.0/24|"*198.51.100.7*) ok "hostgroup member add: old -> new members" ;;
*) bad "hostgroup member add row: $r" ;;
esac
r=$(row "command = 'hostgroup del web'")
case $r in "ok|hostgroup del web|"*198.51.100.7*"|NULL") ok "hostgroup del: members -> NULL" ;; *) bad "hostgroup del row: $r" ;; esac
r=$(row "command LIKE 'log sign %'")
case $r in
"ok|log bundle "*".."*"|NULL|manifest sha256="*" signed") ok "the signed export is recorded" ;;
*) bad "log sign row: $r" ;;
esac
case $(q "SELECT command FROM audit WHERE command LIKE 'log sign %'") in
"log sign "*"...("*" chars)") ok "the manifest's hex is abbreviated in the request line" ;;
*) bad "log sign request line: $(q "SELECT command FROM audit WHERE command LIKE 'log sign %'")" ;;
esac
expect "user add carol password=(removed)" "$(q "SELECT command FROM audit WHERE command LIKE 'user add carol%'")" \
	"an inline password= value is removed from the request line"

# no secret anywhere in the log database's bytes
for s in "$pw1" "$pw2" hunter2-secret "$(printf '%s' "$pw1" | od -An -tx1 | tr -d ' \n')"; do
	if cat "$db" "$db-wal" 2>/dev/null | grep -qaF -- "$s"; then bad "a secret is in logs.db: $s"; else ok "not in logs.db: ${s%% *}..."; fi
done
exit $fail
