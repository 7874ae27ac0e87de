#!/bin/bash
# ragd_dpd.sh — runs INSIDE the e2e guest.
#
# The gateway's own timers, against ragd with `dpd = 5s`, `child-lifetime =
# 1m` and an Android 11 client that never rekeys by itself (rekey_time = 0):
#   1. ragd rekeys the CHILD SA itself before its lifetime expires (RFC 7296
#      2.8, soft XFRM expire -> CREATE_CHILD_SA from the responder), without
#      losing more than one packet of a continuous ping
#   2. the client vanishes (its link goes down: no DELETE is ever sent);
#      after `dpd` idle ragd sends liveness checks (RFC 7296 2.4), gives up
#      after its retransmissions and removes the IKE SA and every XFRM state
#      and policy; rag-ctl sa list is empty
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_dpd
rag_scenario_begin

GW_DPD=5s GW_CHILD_LIFETIME=1m
GW_IKE="aes256gcm16-prfsha384-x25519, aes128-sha256-prfsha1-modp2048, aes256-sha256-modp2048"
gw_start
gw_user_add alice 'Alice-Dpd-1'

cl_profile android11
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Dpd-1' C_CA=$GW_TRUST
C_DPD=0
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

# ---- 1. gateway-initiated CHILD rekey -------------------------------------------------
t=$(e2e_now)
before=$(xf_spis gw)
ping_bg c1 700 0.1
e2e_wait 75 "gateway-initiated CHILD rekey" grep -Eq 'parsed CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)' "$L" ||
	e2e_fail "gateway did not rekey the CHILD SA within its 1m lifetime"
e2e_pass "gateway started a CHILD rekey after $(e2e_since "$t")s"
e2e_wait 20 "new SAs in the gateway kernel" \
	bash -c "[ \"\$(ip -n gw xfrm state | grep -c '^src ')\" -eq 2 ] && [ \"$before\" != \"\$(ip -n gw xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' ')\" ]" ||
	e2e_fail "gateway-initiated rekey: kernel did not switch to two new SAs"
sleep 2
kill -INT "$(cat "$E2E_WORK/ping-c1.pid")" 2>/dev/null || true
ping_lost c1; lost=$PING_LOST
e2e_check "gateway-initiated CHILD rekey: lost $lost pings (<= 1)" test "$lost" -le 1
e2e_check "traffic flows over the rekeyed CHILD SA" ip netns exec c1 ping -c 2 -i 0.2 -W 3 "$E2E_INT_HOST4"

# ---- 2. the client vanishes ------------------------------------------------------------------
t=$(e2e_now)
ip -n c1 link set eth0 down
e2e_wait 180 "gateway dropped the dead peer" _rag_gw_clean ||
	e2e_fail "DPD: gateway kept the SA of a vanished client for 180 s (dpd = 5s)"
e2e_pass "DPD: vanished client removed with all kernel state after $(e2e_since "$t")s"
if gw_is_ragd; then
	e2e_check "DPD: rag-ctl sa list is empty" gw_no_ike_sa
fi
rag_stop_clean
e2e_finish
