#!/bin/bash
# ragd_negative.sh — runs INSIDE the e2e guest.
#
# What ragd must refuse or survive (issue 3, "Negative"), against ragd's
# generated CA, with `half-open-limit = 10`:
#   1. wrong password (EAP-MSCHAPv2, RFC 2759): the client gets
#      AUTHENTICATION_FAILED (RFC 7296 3.10.1), the MS-CHAPv2 Failure E=691
#      (RFC 2759 6) or an EAP-Failure, no XFRM
#      state or policy appears in the gateway, the connection log has a
#      `fail` row and the auth log a `failure` row for the user, both with
#      the reason "bad password", and the SA is gone (strongSwan answers
#      the Failure request with an INFORMATIONAL AUTHENTICATION_FAILED
#      mid-EAP, RFC 7296 2.21.2, which ragd answers and ends the SA on)
#   2. no common IKE proposal: the client gets NO_PROPOSAL_CHOSEN (RFC 7296
#      2.7, 3.10.1)
#   3. a flood of IKE_SA_INIT requests from 40 source ports on 20 addresses
#      (ike_flood.py):
#      beyond the half-open limit ragd answers with COOKIE (RFC 7296 2.6),
#      and a real client that starts right after the flood receives a
#      COOKIE, retries with it and connects
#   4. the connection log has connect and disconnect rows for alice
#   5. garbage datagrams to UDP 500 and 4500 (truncated/lying headers,
#      unknown versions and exchanges, payload chains past the end, unknown
#      SPIs, non-ESP marker + junk, NAT keepalives): ragd keeps running, the
#      existing tunnel keeps forwarding and a fresh handshake still succeeds
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_negative
RAG_CLIENTS="c1 c2"
rag_scenario_begin
e2e_topo_client c2 2
e2e_topo_client c3 3
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
FLOOD="$(dirname "$0")/ike_flood.py"

GW_HALF_OPEN=10
gw_start
gw_user_add alice 'Alice-Right-1'

# c1: the legitimate client (Android 12 profile), started before the flood
cl_profile android12
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Right-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1

# c2: wrong password, plus a connection with no proposal ragd accepts
cl_profile android12
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Wrong-2' C_CA=$GW_TRUST C_SERVER=$E2E_GW_WAN4
cl_conf c2 c2
cat >> "$(ss_dir c2)/swanctl/swanctl.conf" <<EOF2
connections {
  noprop {
    version = 2
    remote_addrs = $E2E_GW_WAN4
    vips = 0.0.0.0
    proposals = aes128-sha1-modp1536
    local {
      auth = eap-mschapv2
      eap_id = alice
    }
    remote {
      auth = pubkey
      id = vpn.test
    }
    children {
      noprop {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes128-sha1
      }
    }
  }
}
EOF2
cl_start c2
L2=$(ss_dir c2)/charon.log

# ---- 1. wrong password -----------------------------------------------------------
if cl_initiate c2 60; then
	e2e_fail "wrong password: the client connected"
fi
e2e_pass "wrong password: the handshake failed"
if grep -q 'received AUTHENTICATION_FAILED notify error' "$L2"; then
	e2e_pass "wrong password: client received AUTHENTICATION_FAILED (RFC 7296 3.10.1)"
elif grep -q 'failed with error ERROR_AUTHENTICATION_FAILURE' "$L2"; then
	# the MS-CHAPv2 Failure packet, E=691 (RFC 2759 6): the client then
	# aborts with its own AUTHENTICATION_FAILED notify
	e2e_pass "wrong password: client received MS-CHAPv2 Failure E=691 ERROR_AUTHENTICATION_FAILURE"
elif grep -q 'received EAP_FAILURE' "$L2"; then
	e2e_pass "wrong password: client received EAP-Failure (RFC 3748 4.2)"
else
	e2e_fail "wrong password: neither AUTHENTICATION_FAILED, MS-CHAPv2 E=691 nor EAP-Failure reached the client"
fi
e2e_check "wrong password: no XFRM state in the gateway" test "$(xf_count gw)" -eq 0
e2e_check "wrong password: no XFRM policy in the gateway" test "$(xf_policies gw)" -eq 0
if gw_is_ragd; then
	e2e_wait 40 "fail row" gw_conn_log_has fail alice ||
		e2e_fail "wrong password: no 'fail' row for alice in the connection log"
	e2e_pass "wrong password: connection log has a 'fail' row for alice"
	e2e_check "wrong password: the 'fail' row gives the reason 'bad password'" \
		gw_log_has connection event fail alice 'bad password'
	e2e_check "wrong password: auth log has a 'failure' row for alice, reason 'bad password'" \
		gw_log_has auth result failure alice 'bad password'
	e2e_check "wrong password: the auth-log row has the client address 192.0.2.12" \
		test "$(sqlite3 "$GW_DIR/state/logs.db" \
			"SELECT client_addr FROM auth WHERE user = 'alice' AND result = 'failure'")" = 192.0.2.12
	e2e_wait 10 "no SA" gw_no_ike_sa ||
		e2e_fail "wrong password: rag-ctl sa list still shows an SA"
	e2e_pass "wrong password: rag-ctl sa list is empty"
fi

# ---- 2. no common proposal ---------------------------------------------------------
ss_swanctl c2 --initiate --child noprop --timeout 30 > "$(ss_dir c2)/noprop.log" 2>&1 &&
	e2e_fail "no common proposal: the client connected"
e2e_check "no common proposal: client received NO_PROPOSAL_CHOSEN" \
	grep -q 'received NO_PROPOSAL_CHOSEN notify error' "$L2"
e2e_check "no common proposal: no XFRM state in the gateway" test "$(xf_count gw)" -eq 0

# ---- 3. IKE_SA_INIT flood -> cookies -----------------------------------------------
# 40 requests 50 ms apart (each is processed before the next arrives) from
# 20 addresses, 2 per address: per-source limits (strongSwan's
# cookie_threshold_ip is 3) must not be what engages the cookies; the
# global half-open limit must, so that the real client, from an address
# that sent nothing before, is asked for a COOKIE too
srcs=
for i in $(seq 150 169); do
	ip -n c3 addr add "192.0.2.$i/24" dev eth0
	srcs="$srcs${srcs:+,}192.0.2.$i"
done
out=$(FLOOD_SRCS=$srcs ip netns exec c3 "$PY" "$FLOOD" init "$E2E_GW_WAN4" 40 5 50) ||
	e2e_fail "ike_flood.py init failed"
e2e_log "flood: $out"
cookie=$(printf '%s' "$out" | sed -n 's/.*cookie=\([0-9]*\).*/\1/p')
normal=$(printf '%s' "$out" | sed -n 's/.*normal=\([0-9]*\).*/\1/p')
e2e_check "flood: gateway demanded COOKIEs beyond the half-open limit ($out)" test "$cookie" -gt 0
e2e_check "flood: at most half-open-limit (10) requests got a full answer" test "$normal" -le 10
t=$(e2e_now)
rag_connect_and_ping c1 c1
e2e_check "flood: the real client was asked for a COOKIE and retried with it" \
	grep -q 'N(COOKIE)' "$(ss_dir c1)/charon.log"

# ---- 4. garbage ----------------------------------------------------------------------
out=$(ip netns exec c3 "$PY" "$FLOOD" garbage "$E2E_GW_WAN4" 500) || e2e_fail "ike_flood.py garbage failed"
e2e_log "garbage: $out"
e2e_check "garbage: the gateway is still running" gw_running
e2e_check "garbage: the existing tunnel still forwards" \
	ip netns exec c1 ping -c 2 -i 0.2 -W 3 "$E2E_INT_HOST4"
rag_disconnect_clean c1 c1
rag_check_conn_log alice
t=$(e2e_now)
cl_initiate c1 || { tail -n 20 "$(ss_dir c1)/initiate.log"; e2e_fail "garbage: a fresh handshake failed afterwards"; }
e2e_pass "garbage: a fresh handshake succeeds afterwards ($(e2e_since "$t")s)"
e2e_check "garbage: ping through the new tunnel" \
	ip netns exec c1 ping -c 2 -i 0.2 -W 3 "$E2E_INT_HOST4"

rag_stop_clean
e2e_finish
