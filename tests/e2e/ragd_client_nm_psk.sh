#!/bin/bash
# ragd_client_nm_psk.sh — runs INSIDE the e2e guest.
#
# NetworkManager-strongswan with method "psk" (CLIENTS.md): strongSwan
# default proposals; both peers authenticate with the pre-shared key (RFC
# 7296 2.15, auth method 2; NM enforces >= 20 characters).  The PSK is the
# user's secret, provisioned the only way INTERFACES.md allows secrets in:
# `rag-ctl user add NAME --password-stdin`; IDi = the user name (FQDN type).
# Proves: PSK authentication both ways, tunnel, ping, kernel SAs AES-GCM-16
# 256-bit, clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_nm_psk
rag_scenario_begin

PSK='NM-psk-with-at-least-20-characters'
GW_SS_AUTH=psk
gw_start
gw_user_add bob "$PSK"

cl_profile nm_psk
C_ID=bob C_PSK=$PSK C_CA=
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
L=$(ss_dir c1)/charon.log

e2e_check "client authenticated with the pre-shared key" \
	grep -q "authentication of 'bob' (myself) with pre-shared key" "$L"
e2e_check "gateway authenticated with the same pre-shared key" \
	grep -q "authentication of 'vpn.test' with pre-shared key successful" "$L"
e2e_check "gateway kernel: 2 ESP SAs, rfc4106(gcm(aes)) 256-bit key" \
	xf_expect gw 2 "esp aead=rfc4106(gcm(aes))/256/128 encap=none"

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
