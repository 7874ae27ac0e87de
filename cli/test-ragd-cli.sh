#!/bin/sh
# test-ragd-cli.sh RAGD RAG_CTL DATA_DIR — shell-level checks of the
# INTERFACES.md contract for ragd and rag-ctl (runs unprivileged too):
#  - ragd --version, -n on good/bad files (configuration OK / file:line, 0/1)
#  - a foreground ragd on a temp state dir + socket: generated CA/server
#    files (0600 keys), READY=1 and WATCHDOG=1 on $NOTIFY_SOCKET,
#    rag-ctl status/reload, SIGHUP, unimplemented commands, exit codes 0-3,
#    private key mode check, SIGTERM exit 0 with the socket removed, reuse
#    of the generated CA on the second start.
set -u
ragd=$1 ctl=$2 data=$3
. "$(dirname "$0")/../tests/unit/cli_lib.sh"

"$ragd" --version >"$tmp/out" 2>&1; expect_rc 0 $? "ragd --version"
contains "$tmp/out" "ragd " "version printed"
"$ragd" --bogus >/dev/null 2>&1; expect_rc 2 $? "ragd unknown option"

# -n on a file with errors: every error, with file:line
"$ragd" -n -c "$data/bad-values.conf" >"$tmp/out" 2>&1; expect_rc 1 $? "ragd -n bad-values.conf"
contains "$tmp/out" "bad-values.conf:3: [gateway] listen" "error names file:line and key"
contains "$tmp/out" "bad-values.conf:21: [timers] dpd" "later errors are collected too"
"$ragd" -n -c "$tmp/does-not-exist.conf" >"$tmp/out" 2>&1; expect_rc 1 $? "ragd -n missing -c file"

# a configuration on temp paths
mkdir -p "$tmp/state"
cat >"$tmp/ragd.conf" <<EOT
[gateway]
listen = 127.0.0.1   # trailing comment
id = vpn.test.example
state-dir = $tmp/state
control-socket = $tmp/run/ragd.sock
timezone = UTC
EOT
"$ragd" -n -c "$tmp/ragd.conf" >"$tmp/out" 2>&1; expect_rc 0 $? "ragd -n on a fresh config"
contains "$tmp/out" "configuration OK" "prints configuration OK"

sock=$tmp/run/ragd.sock
notify=
if command -v python3 >/dev/null 2>&1; then
	notify=$tmp/notify.sock
	python3 - "$notify" "$tmp/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "a") as log:
    end = time.time() + 30
    while time.time() < end:
        try:
            log.write(s.recv(4096).decode() + "\n"); log.flush()
        except socket.timeout:
            break
PY
	npid=$!
	i=0; while [ ! -S "$notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
fi
# IKE on unprivileged high ports (net.h: RAG_IKE_PORT / RAG_NATT_PORT), so
# the test runs without root and beside other ragd instances on this host
export RAG_IKE_PORT=$((30000 + $$ % 15000 * 2))
export RAG_NATT_PORT=$((RAG_IKE_PORT + 1))
NOTIFY_SOCKET=$notify WATCHDOG_USEC=400000 "$ragd" -f -c "$tmp/ragd.conf" 2>"$tmp/ragd.log" &
pid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
[ -S "$sock" ] && ok "control socket created" || bad "no control socket"
sleep 0.5

for f in ca.key server.key; do
	m=$(stat -c %a "$tmp/state/$f" 2>/dev/null)
	[ "$m" = 600 ] && ok "$f is 0600" || bad "$f mode $m"
done
m=$(stat -c %a "$tmp/state"); [ "$m" = 700 ] && ok "state dir 0700" || bad "state dir mode $m"
m=$(stat -c %a "$sock"); [ "$m" = 660 ] && ok "socket 0660" || bad "socket mode $m"

"$ctl" --socket "$sock" status >"$tmp/out" 2>&1; expect_rc 0 $? "rag-ctl status"
contains "$tmp/out" "id: vpn.test.example" "status shows the id"
contains "$tmp/out" "ike-sas: 0" "status shows SA counts"
contains "$tmp/out" "clock: " "status shows the clock state"
fpr=$(openssl x509 -in "$tmp/state/ca.crt" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//')
[ -n "$fpr" ] && contains "$tmp/out" "ca-fingerprint: $fpr" "status shows the CA fingerprint (openssl agrees)"
RAG_CTL_SOCKET=$sock "$ctl" status --json >"$tmp/out" 2>&1; expect_rc 0 $? "rag-ctl status --json via RAG_CTL_SOCKET"
contains "$tmp/out" '"ike-sas":"0"' "JSON output"
"$ctl" --socket "$sock" reload >"$tmp/out" 2>&1; expect_rc 0 $? "rag-ctl reload"
kill -HUP "$pid"; sleep 0.5
kill -0 "$pid" 2>/dev/null && ok "alive after SIGHUP" || bad "died on SIGHUP"
contains "$tmp/ragd.log" "SIGHUP: reloading" "SIGHUP reloads"

# a broken config on reload keeps the old one
cp "$tmp/ragd.conf" "$tmp/ragd.conf.good"
printf '[timers]\ndpd = soon\n' >>"$tmp/ragd.conf"
"$ctl" --socket "$sock" reload >"$tmp/out" 2>&1; expect_rc 1 $? "reload with a bad config is refused"
contains "$tmp/out" "ragd.conf:8: [timers] dpd" "refusal names file:line"
cp "$tmp/ragd.conf.good" "$tmp/ragd.conf"
"$ctl" --socket "$sock" status >/dev/null 2>&1; expect_rc 0 $? "still serving after a failed reload"

# exit codes
"$ctl" --socket "$sock" group add staff >"$tmp/out" 2>&1; expect_rc 0 $? "group add (access policy, issue 4)"
"$ctl" --socket "$sock" group add staff >"$tmp/out" 2>&1; expect_rc 1 $? "group add of an existing name"
contains "$tmp/out" "staff" "the refusal names the group"
"$ctl" --socket "$sock" group list >"$tmp/out" 2>&1; expect_rc 0 $? "group list"
contains "$tmp/out" "staff" "group list shows the new group"
"$ctl" --socket "$sock" sa list --json >"$tmp/out" 2>&1; expect_rc 0 $? "sa list --json (runtime, issue 3)"
contains "$tmp/out" "[]" "sa list --json with no SAs is an empty array"
"$ctl" --socket "$sock" user add >/dev/null 2>&1; expect_rc 2 $? "user add without NAME"
"$ctl" --socket "$sock" user passwd alice --password secret >"$tmp/out" 2>&1; expect_rc 2 $? "password on argv refused"
contains "$tmp/out" "password-stdin" "points to --password-stdin"
"$ctl" --socket "$sock" rule add --user-group a --host-group b --service-group c --action allow >/dev/null 2>&1
expect_rc 2 $? "rule add --action allow"
"$ctl" --socket "$sock" -c "$tmp/ragd.conf" log search --type auth --since -7d --limit 10 --json >"$tmp/out" 2>&1
expect_rc 0 $? "log search in ragd's logs.db (issue 5)"
contains "$tmp/out" "[" "log search --json prints an array"
"$ctl" --socket "$sock" -c "$tmp/ragd.conf" log search --type auth --since -400d >"$tmp/out" 2>&1
expect_rc 1 $? "log search beyond retention is refused"
"$ctl" --socket "$sock" frobnicate >/dev/null 2>&1; expect_rc 2 $? "unknown command"
"$ctl" --socket "$tmp/nothing.sock" status >/dev/null 2>&1; expect_rc 3 $? "daemon unreachable"

# private key permissions are checked by -n
chmod 644 "$tmp/state/server.key"
"$ragd" -n -c "$tmp/ragd.conf" >"$tmp/out" 2>&1; expect_rc 1 $? "ragd -n with a 0644 private key"
contains "$tmp/out" "refused" "names the refusal"
chmod 600 "$tmp/state/server.key"

# systemd notification protocol
if [ -n "$notify" ]; then
	sleep 0.5
	contains "$tmp/notify.log" "READY=1" "READY=1 sent"
	contains "$tmp/notify.log" "STATUS=" "STATUS= sent"
	contains "$tmp/notify.log" "WATCHDOG=1" "WATCHDOG=1 sent"
fi

kill -TERM "$pid"; wait "$pid"; expect_rc 0 $? "SIGTERM exits 0"
pid=
[ ! -e "$sock" ] && ok "socket removed at exit" || bad "socket left behind"

# second start reuses the CA and server certificate
sum1=$(cat "$tmp/state/ca.crt" "$tmp/state/server.crt" | sha256sum)
"$ragd" -c "$tmp/ragd.conf" 2>"$tmp/ragd2.log" &
pid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
sum2=$(cat "$tmp/state/ca.crt" "$tmp/state/server.crt" | sha256sum)
[ "$sum1" = "$sum2" ] && ok "second start reuses the certificates" || bad "certificates regenerated"
if grep -q "generated a new" "$tmp/ragd2.log"; then bad "second start generated again"; else ok "no generation on second start"; fi
# a second ragd on the same socket is refused
"$ragd" -c "$tmp/ragd.conf" 2>"$tmp/out"; expect_rc 1 $? "second ragd on a live socket"
kill -INT "$pid"; wait "$pid"; expect_rc 0 $? "SIGINT exits 0"
pid=

exit $fail
