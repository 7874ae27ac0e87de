#!/bin/bash
# ragd_client_cert.sh — runs INSIDE the e2e guest.
#
# Certificate authentication of the client (RFC 7296 2.15 with RFC 7427
# signatures) as the strongSwan Android app does it with a user certificate
# (CLIENTS.md): strongSwan default proposals and ESP always in UDP (encap =
# yes, no NAT between the peers).  The client holds an ECDSA P-256
# certificate issued by the CA named in ragd.conf `ca`; the user is created
# with `rag-ctl user add dave --cert-subject DN`; the gateway authenticates
# with its own ECDSA certificate.
# Proves: ragd verifies the client's chain against `ca` and maps it to the
# user, tunnel, ping, kernel SAs AES-GCM-16 128-bit in espinudp, rag-ctl sa
# list, clean
# DELETE (no state, no route left) and clean SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_cert
rag_scenario_begin

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test
ss_pki_client "$P" dave dave@corp.test
chmod 600 "$P/server.key"
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt GW_CA=$P/ca.crt
GW_ESP="aes128gcm16, aes256gcm16"
GW_SS_AUTH=pubkey
gw_start
gw_user_add_cert dave "CN=dave@corp.test"

cl_profile strongswan_app
C_AUTH=pubkey C_PROFILE=strongswan_app_cert
C_ID=dave@corp.test C_CERT=$P/dave.crt C_KEY=$P/dave.key C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "client authenticated with its ECDSA certificate (RFC 7427)" \
	grep -q "authentication of 'dave@corp.test' (myself) with ECDSA_WITH_SHA256_DER successful" "$L"
e2e_check "gateway authenticated with its ECDSA certificate" \
	grep -q "authentication of 'vpn.test' with ECDSA_WITH_SHA256_DER successful" "$L"
e2e_check "gateway kernel: 2 ESP SAs, UDP-encapsulated, rfc4106(gcm(aes)) 128-bit key" \
	xf_expect gw 2 "esp aead=rfc4106(gcm(aes))/128/128 encap=espinudp"

rag_check_auth_cert dave "$P/dave.crt" pubkey
rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
