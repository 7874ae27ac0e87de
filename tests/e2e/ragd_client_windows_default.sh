#!/bin/bash
# ragd_client_windows_default.sh — runs INSIDE the e2e guest.
#
# Windows 10/11 built-in client with its default settings (CLIENTS.md) against
# ragd with `legacy = yes` and its generated RSA-2048 CA/server certificate:
#   - IKE proposals only with MODP1024 (the selected one: AES-CBC-256 /
#     HMAC-SHA1-96 / PRF-HMAC-SHA1 / MODP1024, added by legacy = yes),
#     ESP AES-CBC-256 + HMAC-SHA1-96
#   - IDi = the client's IPv4 address, no IDr, no SIGNATURE_HASH_ALGORITHMS
#     notify, so ragd must sign with the classic RSA method (RFC 7296 3.8,
#     auth method 1), not RFC 7427
#   - EAP-MSCHAPv2 (RFC 2759 inside EAP, RFC 7296 2.16) after an EAP-Identity
#     round
# Proves: tunnel up, virtual IP from the pool, ping to the host behind the
# gateway, gateway kernel SAs = cbc(aes) 256-bit key + hmac(sha1) 96-bit ICV,
# rag-ctl sa list, DELETE leaves no kernel state, connection-log rows, SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_windows_default
rag_scenario_begin

GW_LEGACY=yes
GW_IKE="aes256gcm16-prfsha384-x25519, aes256-sha256-modp2048"
GW_ESP="aes256gcm16, aes128gcm16, aes256-sha256"
gw_start
gw_user_add alice 'Alice-Windows-1'

cl_profile windows_default
C_ID=$(e2e_client_ip4 1) C_EAP_ID=alice C_PASSWORD='Alice-Windows-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "legacy IKE proposal AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024 selected" \
	grep -q 'selected proposal: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024' "$L"
e2e_check "client sent no IDr (IKE_AUTH request without IDr payload)" \
	bash -c "grep 'generating IKE_AUTH request 1' '$L' | grep -qv 'IDr'"
e2e_check "gateway answered the EAP-Identity round with the EAP identity" \
	grep -q 'server requested EAP_IDENTITY' "$L"
e2e_check "gateway authenticated with the classic RSA signature method (no RFC 7427)" \
	grep -q "with RSA signature successful" "$L"
e2e_check "EAP-MSCHAPv2 succeeded" grep -q 'EAP method EAP_MSCHAPV2 succeeded' "$L"
e2e_check "gateway kernel: 2 ESP SAs, cbc(aes) 256-bit + hmac(sha1) truncated to 96" \
	xf_expect gw 2 "esp enc=cbc(aes)/256 auth=hmac(sha1)/96 encap=none"
ip -n gw xfrm state | grep -E '^src|enc|auth' | sed 's/0x[0-9a-f]\{16,\}/(key)/'

rag_check_auth_eap alice alice "$(e2e_client_ip4 1)"
rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
