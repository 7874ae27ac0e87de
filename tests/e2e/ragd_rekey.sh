#!/bin/bash
# ragd_rekey.sh — runs INSIDE the e2e guest.
#
# CREATE_CHILD_SA (RFC 7296 1.3.2, 1.3.3, 2.8) against ragd during a
# continuous ping (10 packets/s); each step may lose at most one packet:
#   1. CHILD SA rekey WITH PFS (iOS/Windows-hardened style: the rekey carries
#      a KE for ECP-384, RFC 7296 1.3.3) — new SPIs in the gateway kernel,
#      old ones removed
#   2. IKE SA rekey (RFC 7296 1.3.2) — new IKE SPIs, the CHILD SA survives
#   3. CHILD SA rekey WITHOUT PFS from an Android 12 client (no DH in its
#      CHILD proposals)
#   4. the gateway's kernel returns to exactly two SAs per client
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_rekey
RAG_CLIENTS="c1 c2"
rag_scenario_begin
e2e_topo_client c2 2

GW_IKE="aes256gcm16-prfsha384-x25519, aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048"
GW_ESP="aes256gcm16-ecp384, aes256gcm16, aes128gcm16"
gw_start
gw_user_add alice 'Alice-Rekey-1'
gw_user_add bob 'Bob-Rekey-2'

cl_profile windows_hardened
C_ID=$(e2e_client_ip4 1) C_EAP_ID=alice C_PASSWORD='Alice-Rekey-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

# ---- 1. CHILD rekey with PFS -----------------------------------------------------------
before=$(xf_spis gw)
ping_bg c1 60
sleep 1
ss_swanctl c1 --rekey --child home > "$E2E_WORK/rekey1.log" 2>&1 || { cat "$E2E_WORK/rekey1.log"; e2e_fail "swanctl --rekey --child"; }
e2e_wait 30 "new CHILD SA in the gateway kernel" \
	bash -c "[ \"\$(ip -n gw xfrm state | grep -c '^src ')\" -eq 2 ] && [ \"$before\" != \"\$(ip -n gw xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' ')\" ]" ||
	e2e_fail "CHILD rekey: gateway kernel did not switch to new SAs (had $before, now $(xf_spis gw))"
ping_lost c1; lost=$PING_LOST
e2e_check "CHILD rekey with PFS: KE in the CREATE_CHILD_SA exchange" \
	grep -Eq 'generating CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\) SA No KE' "$L"
e2e_log "CHILD rekey with PFS: gateway SPIs $before -> $(xf_spis gw)"
e2e_check "CHILD rekey with PFS: lost $lost of 60 pings (<= 1)" test "$lost" -le 1

# ---- 2. IKE rekey ------------------------------------------------------------------------
spi_before=$(ss_swanctl c1 --list-sas | head -n 3 | tr '\n' ' ')
ping_bg c1 60
sleep 1
ss_swanctl c1 --rekey --ike home > "$E2E_WORK/rekey2.log" 2>&1 || { cat "$E2E_WORK/rekey2.log"; e2e_fail "swanctl --rekey --ike"; }
e2e_wait 30 "IKE rekey done" grep -q 'IKE_SA home\[[0-9]*\] rekeyed between' "$L" ||
	e2e_fail "IKE rekey did not complete"
ping_lost c1; lost=$PING_LOST
e2e_check "IKE rekey: lost $lost of 60 pings (<= 1)" test "$lost" -le 1
e2e_check "IKE rekey: the client still has one ESTABLISHED IKE SA" \
	test "$(ss_swanctl c1 --list-sas | grep -c ESTABLISHED)" -eq 1
e2e_check "IKE rekey: gateway kernel still has exactly 2 SAs" test "$(xf_count gw)" -eq 2
e2e_check "IKE rekey: traffic still flows" ip netns exec c1 ping -c 2 -i 0.2 -W 3 "$E2E_INT_HOST4"
if gw_is_ragd; then
	e2e_check "IKE rekey: rag-ctl sa list shows one SA for alice" \
		test "$(gw_ctl --json sa list | grep -o '"alice"' | wc -l)" -ge 1
fi

# ---- 3. CHILD rekey without PFS (Android 12) ---------------------------------------------
cl_profile android12
C_ID=bob C_EAP_ID=bob C_PASSWORD='Bob-Rekey-2' C_CA=$GW_TRUST
cl_conf c2 c2
cl_start c2
rag_connect_and_ping c2 c2
L2=$(ss_dir c2)/charon.log
ping_bg c2 60
sleep 1
before=$(xf_spis gw)
ss_swanctl c2 --rekey --child home > "$E2E_WORK/rekey3.log" 2>&1 || { cat "$E2E_WORK/rekey3.log"; e2e_fail "swanctl --rekey --child (c2)"; }
e2e_wait 30 "gateway back to 4 SAs with new SPIs" \
	bash -c "[ \"\$(ip -n gw xfrm state | grep -c '^src ')\" -eq 4 ] && [ \"$before\" != \"\$(ip -n gw xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' ')\" ]" ||
	e2e_fail "CHILD rekey without PFS: gateway kernel did not switch to new SAs"
ping_lost c2; lost=$PING_LOST
e2e_check "CHILD rekey without PFS: no KE in the CREATE_CHILD_SA request" \
	bash -c "grep 'generating CREATE_CHILD_SA request' '$L2' | grep 'REKEY_SA' | grep -qv ' KE '"
e2e_check "CHILD rekey without PFS: lost $lost of 60 pings (<= 1)" test "$lost" -le 1

RAG_OTHERS=1 rag_disconnect_clean c2 c2
rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
