#!/bin/bash
# ragd_client_android11.sh — runs INSIDE the e2e guest.
#
# Android 11 built-in "IKEv2/IPSec MSCHAPv2" (CLIENTS.md) against ragd with an
# RSA-2048 server certificate sent as a 3-certificate chain (server + two
# intermediates; the client trusts only the root):
#   - IKE PRF only HMAC-SHA1 (or AES-XCBC), DH MODP-2048: selected
#     AES-CBC-128 / HMAC-SHA2-256-128 / PRF-HMAC-SHA1 / MODP-2048
#   - ESP AES-CBC-128 + HMAC-SHA2-256-128 (ragd's preference)
#   - IDi = "alice" (FQDN type), IDr = the server name as typed
#   - IKE fragmentation at 1280 bytes (RFC 7383): the IKE_AUTH response with
#     three RSA certificates cannot fit, so ragd must fragment it
#   - only RSA PKCS#1 v1.5 server signatures are acceptable
# Proves: chain validation through two intermediates, fragmented IKE_AUTH
# reassembled by the client, RSA signature, tunnel, ping, kernel SAs cbc(aes)
# 128 + hmac(sha256) 128, clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_android11
rag_scenario_begin

t=$(e2e_now)
P=$E2E_WORK/pki
rag_pki_rsa_chain "$P" vpn.test
e2e_log "RSA PKI (4 keys) in $(e2e_since "$t")s"
GW_CERT=$P/server-chain.crt GW_KEY=$P/server.key GW_TRUST=$P/root.crt
GW_METHODS="eap-mschapv2"	# EAP only: no `ca` needed
GW_IKE="aes256gcm16-prfsha384-x25519, aes128-sha256-prfsha1-modp2048, aes256-sha256-modp2048"
GW_ESP="aes128-sha256, aes256gcm16, aes256-sha256"
gw_start
gw_user_add alice 'Alice-Android-11'

cl_profile android11
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Android-11' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "IKE proposal AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA1/MODP_2048 selected" \
	grep -q 'selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA1/MODP_2048' "$L"
e2e_check "gateway fragmented its IKE_AUTH response (RFC 7383), client reassembled it" \
	grep -q 'reassembled fragmented IKE message' "$L"
e2e_check "client received the two intermediate certificates" \
	bash -c "grep -q 'received issuer cert \"CN=rag e2e RSA inter2' '$L' && grep -q 'received issuer cert \"CN=rag e2e RSA inter1' '$L'"
e2e_check "gateway signed with RSA (PKCS#1 v1.5) and the chain verified to the root" \
	grep -Eq "authentication of 'vpn.test' with (RSA_EMSA_PKCS1_SHA2_(256|384|512)|RSA signature) successful" "$L"
e2e_check "gateway kernel: 2 ESP SAs, cbc(aes) 128 + hmac(sha256) truncated to 128" \
	xf_expect gw 2 "esp enc=cbc(aes)/128 auth=hmac(sha256)/128 encap=none"

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
