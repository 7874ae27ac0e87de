#!/bin/bash
# ragd_halfopen.sh — runs INSIDE the e2e guest.
#
# Per-source half-open limit (responder.c HALF_OPEN_PER_SRC = 5, ragd.conf(5)
# half-open-limit): far below the global `half-open-limit` (1000 here), one
# source address (IPv6: one /64) that holds 5 half-open IKE SAs must answer
# a COOKIE (RFC 7296 2.6) before it gets another; other sources are not
# affected, and a real client from the flooded address still connects (it
# gets a COOKIE, retries with it).  IKE_SA_INIT requests come from
# ike_flood.py (never continued: each leaves a half-open SA for 30 s).
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_halfopen
rag_scenario_begin
e2e_topo_client c3 3
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
FLOOD="$(dirname "$0")/ike_flood.py"

gw_start
gw_user_add alice 'Alice-Halfopen-1'

# flood_from NS SRCS COUNT: COUNT IKE_SA_INITs 50 ms apart from SRCS; sets
# F_NORMAL / F_COOKIE (full answers / COOKIE answers)
flood_from() {
	local out
	out=$(FLOOD_SRCS=$2 ip netns exec "$1" "$PY" "$FLOOD" init "${4:-$E2E_GW_WAN4}" "$3" 5 50) ||
		e2e_fail "ike_flood.py init from $2 failed"
	e2e_log "flood from $2: $out"
	F_NORMAL=$(printf '%s' "$out" | sed -n 's/.*normal=\([0-9]*\).*/\1/p')
	F_COOKIE=$(printf '%s' "$out" | sed -n 's/.*cookie=\([0-9]*\).*/\1/p')
}

if gw_is_ragd; then
	# ---- one IPv4 source: 5 half-open SAs, then COOKIEs -----------------------------------
	ip -n c3 addr add 192.0.2.150/24 dev eth0
	ip -n c3 addr add 192.0.2.151/24 dev eth0
	flood_from c3 192.0.2.150 9
	e2e_check "one address: 5 full answers ($F_NORMAL)" test "$F_NORMAL" -eq 5
	e2e_check "one address: a COOKIE for each further request ($F_COOKIE of 4)" test "$F_COOKIE" -eq 4
	flood_from c3 192.0.2.151 3
	e2e_check "another address is not affected: 3 full answers ($F_NORMAL)" test "$F_NORMAL" -eq 3
	e2e_check "another address is not affected: no COOKIE ($F_COOKIE)" test "$F_COOKIE" -eq 0

	# ---- IPv6: one /64 counts as one source ----------------------------------------------
	ip -n c3 addr add "$E2E_WAN6_PREFIX::150/64" dev eth0 nodad
	ip -n c3 addr add "$E2E_WAN6_PREFIX::151/64" dev eth0 nodad
	flood_from c3 "$E2E_WAN6_PREFIX::150,$E2E_WAN6_PREFIX::151" 7 "$E2E_GW_WAN6"
	e2e_check "two addresses of one /64: 5 full answers together ($F_NORMAL)" test "$F_NORMAL" -eq 5
	e2e_check "two addresses of one /64: then COOKIEs ($F_COOKIE of 2)" test "$F_COOKIE" -eq 2
	e2e_check "rag-ctl status still answers" gw_ctl status

fi
# ---- a real client from a flooded address (its half-open SAs live 30 s:
# the client is started first) ----------------------------------------------------------
cl_profile android12
C_ID=alice@corp.test C_EAP_ID=alice C_PASSWORD='Alice-Halfopen-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
if gw_is_ragd; then
	flood_from c1 "$(e2e_client_ip4 1)" 5
	e2e_check "the client's address holds 5 half-open SAs ($F_NORMAL)" test "$F_NORMAL" -eq 5
fi
rag_connect_and_ping c1 c1
if gw_is_ragd; then
	e2e_check "the client from the flooded address was asked for a COOKIE and retried with it" \
		grep -q 'parsed IKE_SA_INIT response 0 \[ N(COOKIE) \]' "$(ss_dir c1)/charon.log"
fi
rag_disconnect_clean c1 c1
rag_stop_clean
e2e_finish
