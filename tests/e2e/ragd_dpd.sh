#!/bin/bash
# ragd_dpd.sh — runs INSIDE the e2e guest.
#
# The gateway's own timers, against ragd with `dpd = 5s` and
# `child-lifetime = 1m`:
#   1. ragd rekeys the CHILD SA itself before its lifetime ends (RFC 7296
#      2.8: the soft XFRM expire, 10 % / at most half the lifetime early
#      and randomised, starts a CREATE_CHILD_SA from the responder) of an
#      Android 11 client that never rekeys by itself, during a continuous
#      ping that loses at most one packet
#   2. inbound ESP counts as liveness (RFC 7296 2.4: liveness checks only
#      when "there has only been outgoing traffic"): no liveness check from
#      ragd while the ping runs, although it lasts several times `dpd`
#   3. ragd answers a client's own liveness checks (a second client, c2,
#      with dpd_delay = 2s)
#   4. an idle live client gets ragd's liveness check (empty INFORMATIONAL)
#      after `dpd` and answers it; the SA stays
#   5. the client vanishes (its link goes down: no DELETE is ever sent);
#      ragd's liveness check (or a CHILD rekey that came due first: the
#      lifetime is short) goes unanswered, is retransmitted at 2, 6, 14
#      and 22 s and the peer is declared dead 30 s after the first
#      transmission (responder.c RETX_*, ragd.conf(5) dpd): the IKE SA, every
#      XFRM state and policy and ragd's routes are removed, rag-ctl sa list
#      is empty, and the connection log has a `disconnect` row whose reason
#      says the peer is dead
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_dpd
RAG_CLIENTS="c1 c2"
rag_scenario_begin
e2e_topo_client c2 2

DPD_S=5
DEAD_S=30	# responder.c: sends at 0, 2, 6, 14, 22 s; dead at 30 s
GW_DPD=${DPD_S}s GW_CHILD_LIFETIME=1m
GW_IKE="aes256gcm16-prfsha384-x25519, aes128-sha256-prfsha1-modp2048, aes256-sha256-modp2048"
gw_start
gw_user_add alice 'Alice-Dpd-1'
gw_user_add bob 'Bob-Dpd-2'

# c1: Android 11, no client-side DPD, never rekeys (rekey_time = 0)
cl_profile android11
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Dpd-1' C_CA=$GW_TRUST
C_DPD=''
cl_conf c1 c1
cl_start c1
t_inst=$(e2e_now)
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log
# empty INFORMATIONAL requests = liveness checks (RFC 7296 1.4 / 2.4)
live_req='parsed INFORMATIONAL request [0-9]+ \[ \]'

# seq_gaps LOG: pings lost in the middle of a run (missing icmp_seq below the
# highest answered one); unlike transmitted - received it does not count the
# request still in flight when the ping is stopped
seq_gaps() {
	sed -n 's/.*icmp_seq=\([0-9]*\) .*/\1/p' "$1" | sort -n | uniq |
		awk '{ n++; if ($1 > m) m = $1 } END { print (n ? m - n : 9999) }'
}

# ---- 1 + 2: gateway-initiated CHILD rekey during a ping; no liveness check meanwhile --------
before=$(xf_spis gw)
ping_bg c1 3000 0.1	# stopped after the rekey
sleep 1
live0=$(grep -Ec "$live_req" "$L" || true)

# ---- 3: c2 checks the gateway's liveness itself; ragd answers ---------------------------------
cl_profile android12
C_ID=bob@corp.test C_EAP_ID=bob C_PASSWORD='Bob-Dpd-2' C_CA=$GW_TRUST
C_DPD=2s
cl_conf c2 c2
cl_start c2
rag_connect_and_ping c2 c2
L2=$(ss_dir c2)/charon.log
e2e_wait 20 "c2's liveness checks answered" \
	bash -c "[ \"\$(grep -Ec 'parsed INFORMATIONAL response [0-9]+ \[ \]' '$L2')\" -ge 2 ]" ||
	e2e_fail "ragd did not answer c2's liveness checks (RFC 7296 2.4)"
e2e_check "c2 sent liveness checks (dpd_delay = 2s)" \
	grep -Eq 'generating INFORMATIONAL request [0-9]+ \[ \]' "$L2"
e2e_pass "ragd answered $(grep -Ec 'parsed INFORMATIONAL response [0-9]+ \[ \]' "$L2") liveness checks of c2"
RAG_OTHERS=1 rag_disconnect_clean c2 c2

e2e_wait 45 "gateway-initiated CHILD rekey" grep -Eq 'parsed CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)' "$L" ||
	e2e_fail "gateway did not rekey the CHILD SA within its 1m lifetime"
e2e_pass "gateway started a CHILD rekey $(e2e_since "$t_inst")s after the CHILD SA was installed (lifetime 60 s)"
e2e_wait 20 "new SAs in the gateway kernel" \
	bash -c "[ \"\$(ip -n gw xfrm state | grep -c '^src ')\" -eq 2 ] && [ \"$before\" != \"\$(ip -n gw xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' ')\" ]" ||
	e2e_fail "gateway-initiated rekey: kernel did not switch to two new SAs"
if gw_is_ragd; then
	e2e_check "ragd's own CREATE_CHILD_SA offered a kernel-allocated SPI (ALLOCSPI range)" \
		xf_spis_in_range gw "$E2E_GW_WAN4"
fi
sleep 2
live1=$(grep -Ec "$live_req" "$L" || true)
kill -INT "$(cat "$E2E_WORK/ping-c1.pid")" 2>/dev/null || true
ping_lost c1
lost=$(seq_gaps "$E2E_WORK/ping-c1.log")
tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$E2E_WORK/ping-c1.log")
e2e_check "gateway-initiated CHILD rekey: lost $lost of $tx pings (<= 1)" test "$lost" -le 1
e2e_check "ping ran for more than 3 x dpd ($tx x 0.1 s)" test "${tx:-0}" -gt $((30 * DPD_S))
e2e_check "no liveness check from ragd while inbound ESP flowed (RFC 7296 2.4): $((live1 - live0))" \
	test "$live1" -eq "$live0"
e2e_check "traffic flows over the rekeyed CHILD SA" ip netns exec c1 ping -c 2 -i 0.2 -W 3 "$E2E_INT_HOST4"

# ---- 4: idle client: ragd's liveness check, answered -----------------------------------------
t=$(e2e_now)
e2e_wait $((3 * DPD_S)) "ragd's liveness check" grep -Eq "$live_req" "$L" ||
	e2e_fail "no liveness check from ragd within $((3 * DPD_S)) s of idle (dpd = ${DPD_S}s)"
e2e_pass "ragd sent a liveness check after $(e2e_since "$t")s of idle"
e2e_wait 5 "the client's answer" grep -Eq 'generating INFORMATIONAL response [0-9]+ \[ \]' "$L" ||
	e2e_fail "the client did not answer the liveness check"
sleep 0.5
e2e_check "the SA of the live client stays" gw_sa_list_has '"alice"'

# ---- 5: the client vanishes ------------------------------------------------------------------
t=$(e2e_now)
ip -n c1 link set eth0 down
e2e_wait $((DPD_S + DEAD_S + 20)) "gateway dropped the dead peer" _rag_gw_clean ||
	e2e_fail "DPD: gateway kept the SA of a vanished client for $((DPD_S + DEAD_S + 20)) s"
gone=$(e2e_since "$t")
e2e_pass "DPD: vanished client removed with all kernel state after ${gone}s"
# the upper bound is the wait above (dpd + 30 s + 20 s of slack for a
# loaded TCG guest); the lower one: not before five unanswered transmissions
e2e_check "DPD: declared dead no earlier than the retransmissions allow (${gone}s >= $DEAD_S s)" \
	awk -v g="$gone" -v m="$DEAD_S" 'BEGIN { exit !(g >= m) }'
if gw_is_ragd; then
	e2e_check "DPD: rag-ctl sa list is empty" gw_no_ike_sa
	e2e_wait 10 "disconnect row" gw_conn_log_has disconnect alice ||
		e2e_fail "no 'disconnect' row for alice in the connection log"
	reason=$(sqlite3 "$GW_DIR/state/logs.db" \
		"SELECT reason FROM connection WHERE event = 'disconnect' AND user = 'alice' ORDER BY id DESC LIMIT 1")
	# what went unanswered: the liveness check, or (child-lifetime 1m
	# rekeys every 20-30 s) a CHILD SA rekey that came due first
	e2e_check "DPD: the disconnect row says why: '$reason'" \
		bash -c "printf '%s' \"\$1\" | grep -Eq '^peer dead: no answer to 5 transmissions of our (liveness check|CHILD SA rekey) in (29|30|31) s$'" _ "$reason"
fi
rag_stop_clean
e2e_finish
