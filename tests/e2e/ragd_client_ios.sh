#!/bin/bash
# ragd_client_ios.sh — runs INSIDE the e2e guest.
#
# iOS/macOS built-in client with profile defaults (CLIENTS.md) against ragd
# with an ECDSA P-256 server certificate:
#   - IKE AES-CBC-256 / HMAC-SHA2-256-128 / MODP-2048, ESP AES-CBC-256 +
#     HMAC-SHA2-256-128 (RFC 4868), offered with and without DH
#   - IDi = FQDN Local ID, IDr = Remote ID (vpn.test) sent and matched,
#     RFC 7427 signature authentication (method 14), MOBIKE (RFC 4555)
#     and IKE fragmentation (RFC 7383) announced, EAP-MSCHAPv2
# Proves: tunnel, ping, kernel SAs cbc(aes) 256 + hmac(sha256) 128, MOBIKE
# negotiated, clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_ios
rag_scenario_begin

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test
chmod 600 "$P/server.key"
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt
GW_METHODS="eap-mschapv2"	# EAP only: no `ca` needed
GW_ESP="aes256gcm16, aes256-sha256, aes128-sha256"
gw_start
gw_user_add alice 'Alice-iPhone-1'

cl_profile ios
C_EAP_ID=alice C_PASSWORD='Alice-iPhone-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "IKE proposal AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 selected" \
	grep -q 'selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048' "$L"
e2e_check "client sent IDr vpn.test and the gateway's IDr matched" \
	grep -q "authentication of 'vpn.test' with ECDSA_WITH_SHA256_DER successful" "$L"
e2e_check "MOBIKE negotiated (RFC 4555 MOBIKE_SUPPORTED in IKE_AUTH response)" \
	grep -Eq 'parsed IKE_AUTH response .*N\(MOBIKE_SUP\)' "$L"
e2e_check "gateway kernel: 2 ESP SAs, cbc(aes) 256 + hmac(sha256) truncated to 128" \
	xf_expect gw 2 "esp enc=cbc(aes)/256 auth=hmac(sha256)/128 encap=none"

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
