#!/bin/bash
# ragd_client_windows_hardened.sh — runs INSIDE the e2e guest.
#
# Windows 10/11 hardened with Set-VpnConnectionIPsecConfiguration
# (-CipherTransformConstants GCMAES256 -EncryptionMethod GCMAES256
# -IntegrityCheckMethod SHA384 -DHGroup ECP384 -PfsGroup ECP384), CLIENTS.md,
# against ragd with an ECDSA P-256 server certificate from our own CA:
#   - IKE AES-GCM-16-256 / PRF-HMAC-SHA2-384 / ECP-384 (RFC 5903 group 20)
#   - no SIGNATURE_HASH_ALGORITHMS, no IDr: ragd must use the classic ECDSA
#     method 9 (RFC 4754 "ECDSA with SHA-256 on the P-256 curve")
#   - EAP-MSCHAPv2 with an EAP-Identity round
# Proves: tunnel, ping, gateway kernel SAs = rfc4106(gcm(aes)) with a 256-bit
# key and 128-bit ICV (RFC 4106), clean DELETE, clean SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_windows_hardened
rag_scenario_begin

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test "$E2E_GW_WAN4"
chmod 600 "$P/server.key"
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt
GW_METHODS="eap-mschapv2"	# EAP only: no `ca` needed
GW_IKE="aes256gcm16-prfsha384-x25519, aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048"
GW_ESP="aes256gcm16, aes128gcm16"
gw_start
gw_user_add alice 'Alice-Hardened-1'

cl_profile windows_hardened
C_ID=$(e2e_client_ip4 1) C_EAP_ID=alice C_PASSWORD='Alice-Hardened-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "IKE proposal AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384 selected" \
	grep -q 'selected proposal: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384' "$L"
e2e_check "gateway authenticated with the classic ECDSA-256 method (RFC 4754)" \
	grep -q "with ECDSA-256 signature successful" "$L"
e2e_check "EAP-MSCHAPv2 succeeded" grep -q 'EAP method EAP_MSCHAPV2 succeeded' "$L"
e2e_check "gateway kernel: 2 ESP SAs, rfc4106(gcm(aes)) 256-bit key, 128-bit ICV" \
	xf_expect gw 2 "esp aead=rfc4106(gcm(aes))/256/128 encap=none"

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
