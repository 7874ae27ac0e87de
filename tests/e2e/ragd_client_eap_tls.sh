#!/bin/bash
# ragd_client_eap_tls.sh — runs INSIDE the e2e guest.
#
# EAP-TLS (RFC 5216) with a client certificate, as the strongSwan app,
# NetworkManager and Windows offer it: the gateway authenticates with its
# certificate, the client inside EAP-TLS with an ECDSA certificate issued by
# the CA named in ragd.conf `ca`; the user is created with
# `rag-ctl user add carol --cert-subject DN`.
# Proves: EAP-TLS succeeds and the MSK-based AUTH verifies (RFC 7296 2.16),
# tunnel, ping, kernel SAs AES-GCM-16 128-bit, clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_eap_tls
rag_scenario_begin

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test
ss_pki_client "$P" carol carol@corp.test
chmod 600 "$P/server.key"
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt GW_CA=$P/ca.crt
GW_ESP="aes128gcm16, aes256gcm16"
GW_SS_AUTH=eap-tls
gw_start
gw_user_add_cert carol "CN=carol@corp.test"

cl_profile eap_tls
C_ID=carol@corp.test C_CERT=$P/carol.crt C_KEY=$P/carol.key C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "EAP-TLS succeeded" grep -q 'EAP method EAP_TLS succeeded' "$L"
e2e_check "gateway kernel: 2 ESP SAs, rfc4106(gcm(aes)) 128-bit key" \
	xf_expect gw 2 "esp aead=rfc4106(gcm(aes))/128/128 encap=none"

rag_check_auth_cert carol "$P/carol.crt" eap-tls
rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
