#!/bin/bash
# ragd_client_strongswan_app.sh — runs INSIDE the e2e guest.
#
# strongSwan Android app (CLIENTS.md): strongSwan's default proposals,
# EAP-MSCHAPv2, and it ALWAYS encapsulates ESP in UDP (RFC 3948) even with no
# NAT between client and gateway (here: none).  Against ragd's generated CA.
# Proves: ragd accepts UDP-encapsulated ESP without NAT (the client forces
# encapsulation by faking NAT_DETECTION_SOURCE_IP), the kernel SAs carry
# espinudp encapsulation on port 4500 and AES-GCM-16 with a 128-bit key,
# ping through them, clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_strongswan_app
rag_scenario_begin

GW_ESP="aes128gcm16, aes256gcm16, aes128-sha256"
gw_start
gw_user_add alice 'Alice-App-1'

cl_profile strongswan_app
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-App-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "IKE moved to port 4500 (RFC 7296 2.23)" \
	grep -Eq "sending packet: from $(e2e_client_ip4 1)\[4500\] to $E2E_GW_WAN4\[4500\]" "$L"
e2e_check "gateway kernel: 2 ESP SAs, UDP-encapsulated, rfc4106(gcm(aes)) 128-bit key" \
	xf_expect gw 2 "esp aead=rfc4106(gcm(aes))/128/128 encap=espinudp"
e2e_check "gateway ESP-in-UDP SAs use ports 4500/4500" \
	test "$(ip -n gw xfrm state | grep -c 'encap type espinudp sport 4500 dport 4500')" -eq 2

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
