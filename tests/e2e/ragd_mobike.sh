#!/bin/bash
# ragd_mobike.sh — runs INSIDE the e2e guest.
#
# MOBIKE (RFC 4555) with the iOS profile: while a ping runs through the
# tunnel the client's address changes (the old one is removed, a new one
# appears: Wi-Fi -> cellular).  The client sends UPDATE_SA_ADDRESSES from
# the new address (RFC 4555 3.5); ragd must move the IKE SA and its kernel
# SAs/policies to it (the gateway's XFRM states name the new address and
# none the old one) and the ping goes on.
#
# MOBIKE_SUPPORTED must be in ragd's LAST IKE_AUTH response (the one that
# establishes the SA after EAP): strongSwan reads it only there (its
# ike_mobike task) and without it reauthenticates on an address change —
# a new IKE SA, new SPIs — instead of sending UPDATE_SA_ADDRESSES.  The
# checks below tell the two apart: the same IKE SA and the same ESP SPIs
# before and after the move.  strongSwan logs notifies in its short names
# at the default level: N(MOBIKE_SUP), N(UPD_SA_ADDR).
#
# Routes (kern.h): the gateway has a default route here; ragd's unreachable
# route for the pool keeps pool addresses without a client from following
# it in the clear, and the client's virtual IP has its own host route.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_mobike
rag_scenario_begin

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test
chmod 600 "$P/server.key"
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt
GW_METHODS="eap-mschapv2"	# EAP only: no `ca` needed
# a production gateway has a default route (here to a router that does not
# exist): it must not carry traffic for pool addresses in the clear
ip -n gw route add default via 192.0.2.254
gw_start
gw_user_add alice 'Alice-Mobike-1'
if gw_is_ragd; then
	e2e_check "ragd made its pool unreachable (kern.h kern_route_add_unreachable)" \
		bash -c "ip -n gw route show proto 82 | grep -q '^unreachable $E2E_POOL4 '"
	e2e_check "a pool address without a client is not routed out by the default route" \
		bash -c "! ip -n gw route get 10.200.0.77 2>/dev/null"
fi

# IPv4 only on the client, so that the new path is the new IPv4 address
# (with IPv6 present strongSwan may as well move to it: also valid MOBIKE,
# but not what this test pins down)
ip -n c1 -6 addr del "$E2E_WAN6_PREFIX::11/64" dev eth0
cl_profile ios
C_EAP_ID=alice C_PASSWORD='Alice-Mobike-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log
OLD=$(e2e_client_ip4 1)
NEW=192.0.2.111
# the response carrying SA and TS (the last one) must carry it
e2e_check "MOBIKE negotiated in the final IKE_AUTH response" \
	grep -Eq 'parsed IKE_AUTH response .* SA .*N\(MOBIKE_SUP\)|parsed IKE_AUTH response .*N\(MOBIKE_SUP\).* SA ' "$L"
if gw_is_ragd; then
	e2e_check "the gateway's inbound SPI came from the kernel (XFRM_MSG_ALLOCSPI range)" \
		xf_spis_in_range gw "$E2E_GW_WAN4"
	e2e_check "the client's virtual IP is routed towards it, not by the default route" \
		bash -c "ip -n gw route get $RAG_VIP | grep -q '^$RAG_VIP dev eth0 '"
fi
ike_before=$(cl_ike_spi c1)
esp_before=$(xf_spis gw)
[ -n "$ike_before" ] || e2e_fail "cannot read the client's IKE SA SPIs"

ping_bg c1 150 0.1
sleep 2
t=$(e2e_now)
# the new address is a secondary one in the same /24: keep it when the
# primary goes (promote_secondaries), as a real interface change would
ip netns exec c1 sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
ip -n c1 addr add "$NEW/24" dev eth0
ip -n c1 addr del "$OLD/24" dev eth0
e2e_wait 30 "gateway SAs moved to $NEW" \
	bash -c "ip -n gw xfrm state | grep -q '^src $NEW ' && ! ip -n gw xfrm state | grep -Eq '(src|dst) $OLD( |\$)'" ||
	e2e_fail "MOBIKE: gateway kernel SAs still name $OLD (or none names $NEW)"
e2e_pass "MOBIKE: gateway moved its kernel SAs to $NEW in $(e2e_since "$t")s"
ping_lost c1; lost=$PING_LOST
e2e_check "MOBIKE: client sent UPDATE_SA_ADDRESSES" \
	grep -Eq 'generating INFORMATIONAL request [0-9]+ \[ .*N\(UPD_SA_ADDR\)' "$L"
e2e_check "MOBIKE: the client did not reauthenticate (no second IKE_SA_INIT)" \
	test "$(grep -c 'generating IKE_SA_INIT request' "$L")" -eq 1
e2e_check "MOBIKE: same IKE SA after the move ($ike_before)" test "$(cl_ike_spi c1)" = "$ike_before"
e2e_check "MOBIKE: the gateway moved its ESP SAs in place (same SPIs $esp_before)" \
	test "$(xf_spis gw)" = "$esp_before"
e2e_check "MOBIKE: the ping went on across the move (lost $lost of 150, <= 5)" test "$lost" -le 5
e2e_check "MOBIKE: the gateway's policies still point at the tunnel" \
	ip netns exec c1 ping -c 3 -i 0.2 -W 3 "$E2E_INT_HOST4"
if gw_is_ragd; then
	e2e_check "MOBIKE: rag-ctl sa list shows the new outer address" gw_sa_list_has "$NEW"
	e2e_check "MOBIKE: the virtual IP is still routed towards the client" \
		bash -c "ip -n gw route get $RAG_VIP | grep -q '^$RAG_VIP dev eth0 '"
fi
rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
