#!/bin/sh
# test-users-cli.sh RAGD RAG_CTL — `rag-ctl user ...` end to end against a
# real ragd on a temporary state dir (issue 3 point 4; INTERFACES.md
# rag-ctl): add/del/passwd/psk/lock/unlock/list [--json], exit codes 0/1/2,
# passwords and PSKs (>= 20 bytes) only from stdin (never argv, never in the log or in rag.db),
# secrets.key 0600 and refused when group-readable, databases 0600,
# users persist across a restart.  Runs unprivileged.
set -u
ragd=$1 ctl=$2
. "$(dirname "$0")/../tests/unit/cli_lib.sh"

cat >"$tmp/ragd.conf" <<EOT
[gateway]
listen = 127.0.0.1
id = vpn.test.example
state-dir = $tmp/state
control-socket = $tmp/run/ragd.sock
timezone = UTC
[pool]
split-tunnel = no    # the IKE service needs something to route
EOT
sock=$tmp/run/ragd.sock
# IKE on unprivileged high ports (net.h: RAG_IKE_PORT / RAG_NATT_PORT), so
# another ragd on this host (parallel tests) does not make this one fail
export RAG_IKE_PORT=$((30000 + $$ % 15000 * 2))
export RAG_NATT_PORT=$((RAG_IKE_PORT + 1))
c() { "$ctl" --socket "$sock" "$@"; }

start
for f in secrets.key rag.db logs.db; do
	m=$(stat -c %a "$tmp/state/$f" 2>/dev/null)
	[ "$m" = 600 ] && ok "$f is 0600" || bad "$f mode $m"
done

pw='Corr3ct horse b@ttery'
printf '%s\n' "$pw" | c user add alice --password-stdin --cert-subject "CN=alice, O=Example" >"$tmp/out" 2>&1
expect_rc 0 $? "user add alice --password-stdin --cert-subject"
c user add bob >"$tmp/out" 2>&1; expect_rc 0 $? "user add bob (certificate-only)"
c user add ALICE >"$tmp/out" 2>&1; expect_rc 1 $? "duplicate name (other case) refused"
contains "$tmp/out" "user 'alice' already exists" "refusal names the user"
c user add 'bad!name' >"$tmp/out" 2>&1; expect_rc 2 $? "invalid name is a usage error"
contains "$tmp/out" "'bad!name'" "message names the value"
c user add carol --group staff >"$tmp/out" 2>&1; expect_rc 1 $? "--group of a group that does not exist"
contains "$tmp/out" "group 'staff' does not exist" "names the group"
c user passwd alice --password "$pw" >"$tmp/out" 2>&1; expect_rc 2 $? "password on argv refused"
contains "$tmp/out" "password-stdin" "points to --password-stdin"
c user passwd alice >"$tmp/out" 2>&1; expect_rc 2 $? "passwd without --password-stdin"
printf '' | c user passwd alice --password-stdin >"$tmp/out" 2>&1; expect_rc 1 $? "empty password refused"
printf 'n3w-p@ss\n' | c user passwd alice --password-stdin >"$tmp/out" 2>&1; expect_rc 0 $? "user passwd"
printf 'x\n' | c user passwd nobody --password-stdin >"$tmp/out" 2>&1; expect_rc 1 $? "passwd of an unknown user"
contains "$tmp/out" "no user 'nobody'" "names the unknown user"
c user lock bob >"$tmp/out" 2>&1; expect_rc 0 $? "user lock bob"
c user list >"$tmp/list" 2>&1; expect_rc 0 $? "user list"
contains "$tmp/list" "NAME" "table header"
grep -E '^alice +active +yes' "$tmp/list" >/dev/null && ok "alice active with a password" || bad "alice row: $(cat "$tmp/list")"
grep -E '^bob +locked +no' "$tmp/list" >/dev/null && ok "bob locked, no password" || bad "bob row"
contains "$tmp/list" "CN=alice, O=Example" "certificate subject shown"
c user list --json >"$tmp/json" 2>&1; expect_rc 0 $? "user list --json"
if command -v python3 >/dev/null 2>&1; then
	python3 - "$tmp/json" <<'PY' && ok "JSON array with the users" || bad "JSON: $(cat "$tmp/json")"
import json, sys
v = json.load(open(sys.argv[1]))
assert isinstance(v, list) and [u["name"] for u in v] == ["alice", "bob"], v
assert v[0]["password"] is True and v[0]["cert_subject"] == "CN=alice, O=Example"
assert v[1]["state"] == "locked" and v[1]["groups"] == []
PY
fi
"$ctl" --socket "$sock" --json user list >"$tmp/json2" 2>&1; expect_rc 0 $? "global --json user list"
cmp -s "$tmp/json" "$tmp/json2" && ok "same JSON" || bad "global --json differs"
c user unlock bob >/dev/null 2>&1; expect_rc 0 $? "user unlock bob"
c user list | grep -E '^bob +active' >/dev/null && ok "bob active again" || bad "bob not unlocked"
c user del bob >/dev/null 2>&1; expect_rc 0 $? "user del bob"

# PSKs (`user psk`, `user add --psk-stdin`): from stdin only, >= 20 bytes
psk='NM-psk-with-at-least-20-characters'
printf 'only-19-characters!\n' | c user psk alice --psk-stdin >"$tmp/out" 2>&1
expect_rc 1 $? "a 19-byte PSK is refused"
contains "$tmp/out" "at least 20" "says how long a PSK must be"
printf '%s\n' "$psk" | c user psk alice --psk-stdin >"$tmp/out" 2>&1; expect_rc 0 $? "user psk alice"
c user psk alice >"$tmp/out" 2>&1; expect_rc 2 $? "user psk without --psk-stdin/--remove"
c user psk alice --psk "$psk" >"$tmp/out" 2>&1; expect_rc 2 $? "PSK on argv refused"
c user passwd alice --psk-stdin </dev/null >"$tmp/out" 2>&1; expect_rc 2 $? "--psk-stdin is not for passwd"
printf 'x\n' | c user add dora --password-stdin --psk-stdin >"$tmp/out" 2>&1
expect_rc 2 $? "one secret per command"
printf '%s\n' "$psk" | c user add nm --psk-stdin >"$tmp/out" 2>&1; expect_rc 0 $? "user add nm --psk-stdin"
printf 'short-psk\n' | c user add nm2 --psk-stdin >"$tmp/out" 2>&1; expect_rc 1 $? "user add with a short PSK"
contains "$tmp/out" "PSK too short" "says why"
c user list --json >"$tmp/json" 2>&1
if command -v python3 >/dev/null 2>&1; then
	python3 - "$tmp/json" <<'PY' && ok "PSKs listed: alice and nm have one, no nm2" || bad "JSON: $(cat "$tmp/json")"
import json, sys
v = {u["name"]: u for u in json.load(open(sys.argv[1]))}
assert v["alice"]["psk"] is True and v["alice"]["password"] is True, v
assert v["nm"]["psk"] is True and v["nm"]["password"] is False, v
assert "nm2" not in v, v
PY
fi
c user list >"$tmp/list" 2>&1
grep -E '^nm +active +no +- +0 +yes' "$tmp/list" >/dev/null && ok "table: nm has a PSK, no password" ||
	bad "nm row: $(cat "$tmp/list")"
c user psk alice --remove >"$tmp/out" 2>&1; expect_rc 0 $? "user psk alice --remove"
c user list --json | grep -q '"name":"alice"[^}]*"psk":false' && ok "alice's PSK removed" ||
	bad "alice still has a PSK"
c user del nm >/dev/null 2>&1; expect_rc 0 $? "user del nm"
c user del bob >"$tmp/out" 2>&1; expect_rc 1 $? "user del of a deleted user"
c user lock nobody >/dev/null 2>&1; expect_rc 1 $? "user lock of an unknown user"

# nothing secret in the log or in the databases
lacks "$tmp/ragd.log" "$pw" "password not in ragd's log"
lacks "$tmp/ragd.log" "n3w-p@ss" "new password not in ragd's log"
lacks "$tmp/ragd.log" "$psk" "PSK not in ragd's log"
for f in rag.db rag.db-wal; do
	[ -f "$tmp/state/$f" ] || continue
	if grep -qaF -- "n3w-p@ss" "$tmp/state/$f"; then bad "password in $f"; else ok "password not in $f"; fi
	if grep -qaF -- "$psk" "$tmp/state/$f"; then bad "PSK in $f"; else ok "PSK not in $f"; fi
done
stop

# users persist; a group-readable secrets.key is refused at start
start
c user list >"$tmp/list" 2>&1; expect_rc 0 $? "user list after restart"
grep -E '^alice +active +yes' "$tmp/list" >/dev/null && ok "alice persisted" || bad "alice lost"
lacks "$tmp/list" "bob" "deleted user stays deleted"
stop

# a large directory: 20,000 certificate users (written straight into rag.db,
# as if added one by one) are listed whole, table and --json
if command -v sqlite3 >/dev/null; then
	before=$(sqlite3 "$tmp/state/rag.db" "SELECT count(*) FROM users")
	sqlite3 "$tmp/state/rag.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1
		FROM n WHERE i < 20000) INSERT INTO users (name, cert_subject, created, updated)
		SELECT printf('bulk%05d', i), printf('CN=bulk%05d@corp.example,O=Example Corp', i),
		1795000000, 1795000000 FROM n"
	start
	c user list >"$tmp/list" 2>"$tmp/err"; expect_rc 0 $? "user list of $((before + 20000)) users"
	n=$(grep -c '^bulk' "$tmp/list")
	[ "$n" = 20000 ] && ok "all 20000 bulk users in the table" || bad "$n of 20000 bulk users listed"
	c user list --json >"$tmp/list.json" 2>"$tmp/err"; expect_rc 0 $? "user list --json of $((before + 20000)) users"
	n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/list.json" 2>&1)
	[ "$n" = $((before + 20000)) ] && ok "--json lists all $n users" || bad "--json: $n, expected $((before + 20000))"
	stop
else
	bad "sqlite3 (Debian package sqlite3) missing: the large-directory check cannot run"
fi
chmod 640 "$tmp/state/secrets.key"
"$ragd" -f -c "$tmp/ragd.conf" >"$tmp/out" 2>&1; expect_rc 1 $? "ragd refuses a group-readable secrets.key"
contains "$tmp/out" "secrets.key: mode 0640 is group/world accessible, refused" "says why"
chmod 600 "$tmp/state/secrets.key"

# a lost secrets.key is not silently replaced while secrets are stored
mv "$tmp/state/secrets.key" "$tmp/secrets.key.saved"
"$ragd" -f -c "$tmp/ragd.conf" >"$tmp/out" 2>&1; expect_rc 1 $? "ragd refuses a new key for old secrets"
contains "$tmp/out" "wrong or regenerated key file" "says why"
exit $fail
