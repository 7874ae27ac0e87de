#!/bin/bash
# ragd_client_nm_psk.sh — runs INSIDE the e2e guest.
#
# NetworkManager-strongswan with method "psk" (CLIENTS.md): strongSwan
# default proposals; both peers authenticate with the pre-shared key (RFC
# 7296 2.15, auth method 2; NM enforces >= 20 characters, so does ragd).
# The PSK is the user's own secret, provisioned from stdin like passwords:
# `rag-ctl user add NAME --psk-stdin` (an addition to INTERFACES.md's user
# commands); IDi = the user name (FQDN type).  ragd answers with AUTH by
# the same key and no certificate.
# Proves: PSK authentication both ways, a 19-byte PSK refused, a wrong PSK
# refused (auth-log failure row), tunnel, ping, kernel SAs AES-GCM-16
# 256-bit, the auth-log success row, clean DELETE and SIGTERM.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_client_nm_psk
rag_scenario_begin

PSK='NM-psk-with-at-least-20-characters'
GW_SS_AUTH=psk
gw_start
if gw_is_ragd; then
	rc=0
	out=$(printf 'only-19-characters!\n' | gw_ctl user add bob --psk-stdin 2>&1) || rc=$?
	e2e_check "a 19-byte PSK is refused (exit 1) saying why ($out)" \
		test "$rc" = 1 -a -n "$(printf '%s' "$out" | grep 'at least 20')"
fi
gw_user_add_psk bob "$PSK"

# a client with the wrong key is refused (2.21.2) and logged
if gw_is_ragd; then
	cl_profile nm_psk
	C_ID=bob C_PSK='NM-psk-but-not-the-right-one' C_CA=
	cl_conf c1bad c1
	cl_start c1bad
	cl_initiate c1bad 30 && e2e_fail "wrong PSK: the client connected"
	e2e_check "wrong PSK: the client got AUTHENTICATION_FAILED" \
		grep -q 'received AUTHENTICATION_FAILED notify error' "$(ss_dir c1bad)/charon.log"
	e2e_check "wrong PSK: auth log has a 'failure' row for bob" \
		e2e_wait 10 "failure row" gw_log_has auth result failure bob 'AUTH mismatch'
	e2e_check "wrong PSK: no SA left in the gateway" e2e_wait 10 "no SA" gw_no_ike_sa
	ss_stop c1bad
fi

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
if gw_is_ragd; then
	e2e_check "auth log: 'success' row for bob" \
		e2e_wait 10 "success row" gw_log_has auth result success bob
	e2e_check "auth log: method psk" test "$(sqlite3 "$GW_DIR/state/logs.db" \
		"SELECT method FROM auth WHERE user = 'bob' AND result = 'success'")" = psk
	e2e_check "the IKE_AUTH response carried IDr and AUTH but no CERT (PSK both ways)" \
		bash -c "grep 'parsed IKE_AUTH response' '$L' | grep -q 'IDr AUTH' &&
			 ! grep 'parsed IKE_AUTH response' '$L' | grep -q ' CERT '"
fi

rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
