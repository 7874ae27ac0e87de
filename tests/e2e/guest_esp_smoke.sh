#!/bin/bash
# guest_esp_smoke.sh — runs INSIDE the e2e guest (tests/e2e/guest/run-guest.sh).
#
# Proves the harness and the strongSwan client set-up the ragd e2e tests
# build on: two charon instances with the kernel-netlink backend (real
# kernel ESP), a "gateway" responder (server certificate, EAP-MSCHAPv2,
# virtual IPv4 from a pool) and a "client" initiator, plus a host behind the
# gateway.  Checks:
#   1. the IKE_SA and CHILD_SA come up and the client gets a pool address
#      (RFC 7296 2.19 configuration payload)
#   2. ping from the client's virtual IP to the internal host works
#   3. the gateway's kernel holds two ESP SAs with the negotiated AEAD
#      (rfc4106(gcm(aes)), RFC 4106) and both byte counters are non-zero
#   4. after the client deletes the IKE SA (INFORMATIONAL Delete, RFC 7296
#      1.4.1) no XFRM state is left in either netns, and no policy is left
#      once the daemons are stopped
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_begin guest_esp_smoke

diag() {
	for n in gw client; do
		echo "--- $n charon.log (tail)"
		tail -n 60 "$(ss_dir $n)/charon.log" 2>/dev/null
		echo "--- $n xfrm state/policy"
		ip -n "$n" -s xfrm state 2>/dev/null
		ip -n "$n" xfrm policy 2>/dev/null
	done
	ip -n client addr 2>/dev/null
	ip -n client route show table all 2>/dev/null | grep -v '^local\|^broadcast\|^multicast'
}
E2E_DIAG=diag
save_logs() { for n in gw client; do cp "$(ss_dir $n)/charon.log" "$E2E_ARTIFACTS/$n-charon.log" 2>/dev/null; done; }
e2e_at_exit save_logs

e2e_modprobe esp4 esp6 xfrm_user xfrm4_tunnel veth bridge tun
t=$(e2e_now)
e2e_xfrm_warmup
e2e_log "kernel ESP available; crypto warm-up $(e2e_since "$t")s"

# ---- topology: client -- wan -- gw -- int -------------------------------------------
e2e_topo_gateway gw
e2e_topo_client client 1
e2e_topo_internal int gw
e2e_check "internal host reachable from the gateway" \
	ip netns exec gw ping -c 1 -W 2 "$E2E_INT_HOST4"

# ---- PKI + strongSwan instances ---------------------------------------------------
t=$(e2e_now)
P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" gw vpn.test "$E2E_GW_WAN4"
e2e_log "PKI done in $(e2e_since "$t")s"

IKE_PROPOSAL=aes256-sha256-ecp256
ESP_PROPOSAL=aes128gcm16
ss_instance gw gw
ss_instance client client
G=$(ss_dir gw)
cp "$P/gw.crt" "$G/swanctl/x509/"
cp "$P/gw.key" "$G/swanctl/ecdsa/"
cat > "$G/swanctl/swanctl.conf" <<EOF
connections {
  rw {
    version = 2
    local_addrs = $E2E_GW_WAN4
    pools = pool4
    send_certreq = no
    proposals = $IKE_PROPOSAL
    local {
      auth = pubkey
      certs = gw.crt
      id = vpn.test
    }
    remote {
      auth = eap-mschapv2
      eap_id = %any
    }
    children {
      net {
        local_ts = $E2E_INT4_NET
        esp_proposals = $ESP_PROPOSAL
      }
    }
  }
}
pools {
  pool4 {
    addrs = $E2E_POOL4
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "Alice-Secret-1"
  }
}
EOF
SS_IKE=$IKE_PROPOSAL SS_ESP=$ESP_PROPOSAL \
	ss_conf_eap_client client default "$E2E_GW_WAN4" vpn.test alice Alice-Secret-1 "$P/ca.crt"

t=$(e2e_now)
ss_start gw
ss_start client
ss_load gw
ss_load client
e2e_log "strongSwan instances up and loaded in $(e2e_since "$t")s"

# ---- 1. handshake ---------------------------------------------------------------------
t=$(e2e_now)
if ! ss_swanctl client --initiate --child home --timeout 90 > "$E2E_WORK/initiate.log" 2>&1; then
	tail -n 30 "$E2E_WORK/initiate.log"
	e2e_fail "client --initiate (IKE_SA_INIT + IKE_AUTH with EAP-MSCHAPv2)"
fi
e2e_pass "IKE SA + CHILD SA established in $(e2e_since "$t")s"
e2e_check "client has a virtual IP from $E2E_POOL4" \
	bash -c "ip -n client -4 addr show | grep -q 'inet 10\.200\.0\.'"
e2e_check "gateway shows user alice authenticated by EAP-MSCHAPv2" \
	grep -q "EAP method EAP_MSCHAPV2 succeeded" "$G/charon.log"

# ---- 2. data path -----------------------------------------------------------------------
t=$(e2e_now)
e2e_check "ping client vIP -> internal host through the tunnel" \
	ip netns exec client ping -c 3 -i 0.2 -W 3 "$E2E_INT_HOST4"
e2e_log "3 pings took $(e2e_since "$t")s"

# ---- 3. kernel SAs in the gateway -------------------------------------------------------
e2e_check "gateway kernel holds exactly 2 ESP SAs" test "$(e2e_xfrm_count gw)" -eq 2
e2e_check "both SAs use rfc4106(gcm(aes)) with a 128-bit ICV" \
	test "$(ip -n gw xfrm state | grep -c "aead rfc4106(gcm(aes)) 0x[0-9a-f]\{40\} 128")" -eq 2
e2e_check "both SAs are tunnel mode ESP" \
	test "$(ip -n gw xfrm state | grep -c 'proto esp .*mode tunnel')" -eq 2
min=$(e2e_xfrm_min_bytes gw)
e2e_check "byte counters of both gateway SAs non-zero (min $min)" test "$min" -gt 0
ip -n gw -s xfrm state | grep -E '^src|aead|bytes' | sed 's/0x[0-9a-f]\{16,\}/(key hidden)/'

# ---- 4. teardown ---------------------------------------------------------------------------
t=$(e2e_now)
ss_swanctl client --terminate --ike home --timeout 30 > "$E2E_WORK/terminate.log" 2>&1 ||
	{ cat "$E2E_WORK/terminate.log"; e2e_fail "client --terminate"; }
e2e_wait 20 "gateway SA gone" ss_no_sa gw || e2e_fail "gateway still has an IKE SA after delete"
e2e_pass "IKE SA deleted by INFORMATIONAL exchange in $(e2e_since "$t")s"
e2e_check "no XFRM state left in the gateway" test "$(e2e_xfrm_count gw)" -eq 0
e2e_check "no XFRM state left in the client" test "$(e2e_xfrm_count client)" -eq 0
ss_stop client
ss_stop gw
e2e_check "no XFRM policy left in the gateway after stop" \
	test -z "$(ip -n gw xfrm policy | grep -v '^[[:space:]]*$' | grep -v 'socket ' || true)"
e2e_finish
