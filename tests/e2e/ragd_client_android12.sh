#!/bin/bash
# ragd_client_android12.sh — runs INSIDE the e2e guest.
#
# Android 12+ built-in client (CLIENTS.md) against ragd's generated RSA-2048
# CA and server certificate (an Android device must trust only an RSA
# server signature):
#   - IKE X25519 (RFC 8031) with AES-GCM and SHA2 PRFs: selected
#     AES-GCM-16-256 / PRF-HMAC-SHA2-384 / CURVE_25519 (ragd's first choice)
#   - ESP proposals without DH (no PFS), without SHA1: selected
#     AES-GCM-16-192 (ragd's preference)
#   - IDi = RFC 822 address, EAP identity = the user name, IDr = the server
#     name as typed, IKE fragmentation at 1280
# Proves: tunnel, ping, kernel SAs rfc4106(gcm(aes)) with a 192-bit key,
# clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_android12
rag_scenario_begin

GW_ESP="aes192gcm16, aes256gcm16, aes128gcm16"
gw_start
gw_user_add alice 'Alice-Android-12'

cl_profile android12
C_ID=alice@corp.test C_EAP_ID=alice C_PASSWORD='Alice-Android-12' C_CA=$GW_TRUST
C_IKE="aes256gcm16-aes128gcm16-prfsha256-prfsha384-prfsha512-x25519-modp2048-modp3072-modp4096,aes256-aes128-sha256-sha384-sha512-x25519-modp2048-modp3072-modp4096"
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "IKE proposal AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519 selected" \
	grep -q 'selected proposal: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519' "$L"
e2e_check "gateway signed with RSA (RFC 7427 PKCS#1 v1.5 or classic)" \
	grep -Eq "authentication of 'vpn.test' with (RSA_EMSA_PKCS1_SHA2_(256|384|512)|RSA signature) successful" "$L"
e2e_check "CHILD SA without DH: ESP AES_GCM_16_192/NO_EXT_SEQ selected" \
	grep -q 'selected proposal: ESP:AES_GCM_16_192/NO_EXT_SEQ' "$L"
e2e_check "gateway kernel: 2 ESP SAs, rfc4106(gcm(aes)) 192-bit key, 128-bit ICV" \
	xf_expect gw 2 "esp aead=rfc4106(gcm(aes))/192/128 encap=none"

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
