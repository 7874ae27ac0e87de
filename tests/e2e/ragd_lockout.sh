#!/bin/bash
# ragd_lockout.sh — runs INSIDE the e2e guest.
#
# Account lockout (issue 4 point 6; INTERFACES.md [auth] lockout-threshold,
# lockout-time; `rag-ctl user unlock`, `rag-ctl reload`), with
# lockout-threshold = 3, EAP-MSCHAPv2 from stock strongSwan clients
# (Android 12 profile): c1 types a wrong password, c2 the right one.
#   1. three wrong passwords: three auth-log `failure` rows ("bad password",
#      client address) and then one `locked` row for the lock itself;
#      `rag-ctl user list` shows the user locked-out
#   2. the right password is refused while locked (MS-CHAPv2 E=647
#      ERROR_ACCT_DISABLED, RFC 2759 6), an auth-log `locked` row says so,
#      and the refused attempt is no new failure
#   3. `rag-ctl user unlock` -> the right password connects (tunnel, ping)
#   4. `rag-ctl reload` with lockout-threshold 1 and lockout-time 40 s: one
#      wrong password locks again, the lock lasts until lock + 40 s, then
#      the right password connects without the administrator (the SIGTERM
#      at the end deletes that SA)
# Phases 1-3 run with lockout-time = 10m so that a slow guest cannot see
# the lock expire by itself before the checks that need it.
# ragd only: the reference gateway (E2E_GATEWAY=strongswan) has no lockout.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_lockout
gw_is_ragd || e2e_fail "ragd_lockout tests ragd's lockout; there is no reference-gateway mode"
RAG_CLIENTS="c1 c2"
rag_scenario_begin
e2e_topo_client c2 2

GW_LOCKOUT=3
GW_LOCKOUT_TIME=10m
gw_start
gw_user_add alice 'Alice-Right-1'

cl_profile android12
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Wrong-2' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
cl_profile android12
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Right-1' C_CA=$GW_TRUST C_SERVER=$E2E_GW_WAN4
cl_conf c2 c2
cl_start c2

# user_state NAME: the state `rag-ctl user list --json` reports
user_state() {
	gw_ctl user list --json | python3 -c '
import json, sys
print(next((u["state"] for u in json.load(sys.stdin) if u["name"] == sys.argv[1]), "none"))' "$1"
}

# wrong_password N: one failed attempt from c1; the SA goes away and the
# auth log counts N failure rows for alice
wrong_password() {
	cl_initiate c1 30 && e2e_fail "wrong password $1: the client connected"
	e2e_wait 10 "no SA" gw_no_ike_sa || e2e_fail "wrong password $1: an SA stayed in the gateway"
	e2e_wait 10 "failure row $1" eval '[ "$(gw_log_count auth result failure alice)" -ge '"$1"' ]' ||
		e2e_fail "wrong password $1: auth log has $(gw_log_count auth result failure alice) failure rows"
	e2e_pass "wrong password $1: refused, auth-log failure row $1 for alice"
}

# ---- 1. three wrong passwords -> locked out -------------------------------------------
e2e_check "alice starts active" test "$(user_state alice)" = active
wrong_password 1
wrong_password 2
e2e_check "after 2 failures alice is still active" test "$(user_state alice)" = active
e2e_check "no 'locked' row before the threshold" test "$(gw_log_count auth result locked alice)" = 0
wrong_password 3
t_lock=$(date +%s)
e2e_check "every failure row says 'bad password'" \
	test "$(sqlite3 "$GW_DIR/state/logs.db" "SELECT count(*) FROM auth WHERE user = 'alice' AND
		result = 'failure' AND reason = 'bad password' AND client_addr = '192.0.2.11'")" = 3
e2e_check "the lock itself is logged: one 'locked' row 'locked out after 3 failed ...'" \
	e2e_wait 10 "locked row" gw_log_has auth result locked alice 'locked out after 3 failed'
e2e_check "rag-ctl user list: alice is locked-out" test "$(user_state alice)" = locked-out

# ---- 2. the right password is refused while locked ------------------------------------
cl_initiate c2 30 && e2e_fail "locked: the right password connected"
e2e_pass "locked: the right password is refused"
e2e_check "locked: the client got MS-CHAPv2 ERROR_ACCT_DISABLED (E=647)" \
	grep -q 'failed with error ERROR_ACCT_DISABLED' "$(ss_dir c2)/charon.log"
e2e_check "locked: alice is still locked-out after the refused attempt" \
	test "$(user_state alice)" = locked-out
e2e_check "locked: auth-log 'locked' row for the refused attempt" \
	e2e_wait 10 "refusal row" gw_log_has auth result locked alice 'locked out after failed authentications, until'
e2e_check "locked: no XFRM state in the gateway" test "$(xf_count gw)" -eq 0
e2e_check "locked: still exactly 3 failure rows (a locked attempt is no new failure)" \
	test "$(gw_log_count auth result failure alice)" = 3
e2e_wait 10 "no SA" gw_no_ike_sa || e2e_fail "locked: an SA stayed in the gateway"

# ---- 3. rag-ctl user unlock -> the right password connects ----------------------------
e2e_check "rag-ctl user unlock alice" gw_ctl user unlock alice
e2e_check "rag-ctl user list: alice is active" test "$(user_state alice)" = active
cl_profile android12
rag_connect_and_ping c2 c2
e2e_check "auth log: 'success' row for alice" gw_log_has auth result success alice
rag_disconnect_clean c2 c2

# ---- 4. lockout-time (reloaded: 40 s) ends the lock without the administrator ----------
# (threshold 1 from here on: one wrong password locks; keeps the script short)
GW_LOCKOUT=1
GW_LOCKOUT_TIME=40s
gw_write_ragd_conf "$GW_DIR/ragd.conf"
e2e_check "rag-ctl reload with lockout-threshold = 1, lockout-time = 40s" gw_ctl reload
wrong_password 4
e2e_check "locked out again: a 'locked out after 1 failed authentication' row" \
	test "$(sqlite3 "$GW_DIR/state/logs.db" "SELECT count(*) FROM auth WHERE user = 'alice' AND
		result = 'locked' AND reason LIKE 'locked out after 1 failed authentication,%'")" = 1
# the lock row: its time and "..., until T" (a slow guest may reach this
# point late, so the lock's own record is the reference, not our clock)
row=$(sqlite3 -separator '|' "$GW_DIR/state/logs.db" "SELECT time_ms / 1000, reason FROM auth
	WHERE user = 'alice' AND result = 'locked' AND reason LIKE 'locked out after 1 failed%'
	ORDER BY id DESC LIMIT 1")
lock_s=${row%%|*}
until_s=$(printf '%s' "${row#*|}" | python3 -c '
import calendar, sys, time
print(calendar.timegm(time.strptime(sys.stdin.read().split("until ")[1], "%Y-%m-%dT%H:%M:%SZ")))') ||
	e2e_fail "the lock row has no 'until' time: $row"
e2e_check "locked until the lock's time + lockout-time 40 s (got $((until_s - lock_s)) s)" \
	test $((until_s - lock_s)) -ge 39 -a $((until_s - lock_s)) -le 41
# poll: locked-out (with that locked_until) before it, active after it
seen_locked=0
while :; do
	now=$(date +%s)
	st=$(gw_ctl user list --json | python3 -c '
import calendar, json, sys, time
u = next(u for u in json.load(sys.stdin) if u["name"] == "alice")
t = u["locked_until"] and calendar.timegm(time.strptime(u["locked_until"], "%Y-%m-%dT%H:%M:%SZ"))
print(u["state"], t or 0)')
	if [ "${st% *}" = active ]; then
		[ "$now" -ge "$until_s" ] || e2e_fail "alice active at $now, before locked_until $until_s"
		break
	fi
	[ "$st" = "locked-out $until_s" ] || e2e_fail "alice is '$st' while waiting for the lock to end"
	seen_locked=$((seen_locked + 1))
	[ "$now" -le $((until_s + 30)) ] || e2e_fail "alice still locked 30 s after locked_until"
	sleep 1
done
e2e_check "rag-ctl user list showed alice locked-out until then ($seen_locked times)" \
	test "$seen_locked" -gt 0
e2e_pass "the lock ended by itself at locked_until"
rag_connect_and_ping c2 c2

rag_stop_clean
e2e_finish
