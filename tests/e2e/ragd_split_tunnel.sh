#!/bin/bash
# ragd_split_tunnel.sh — runs INSIDE the e2e guest.
#
# Issue 4 point 3, "Traffic selectors follow policy": with split-tunnel =
# yes each user's TSr and CP INTERNAL_IP4_SUBNET are the destinations its
# permit rules can reach (plus the DNS server), merged; a destination denied
# for one service by an earlier rule still counts when a later permit can
# match (a superset of what is enforced, never a subset).  And point 4: a
# policy change does not renegotiate live selectors; `user lock` and `user
# del` disconnect the user (DELETE sent, kernel state removed) while other
# users stay; a locked user cannot connect.
# Two stock strongSwan clients (default proposals, EAP-MSCHAPv2) ask for
# TSr 0.0.0.0/0.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "$0")/lib_rag.sh"
e2e_begin ragd_split_tunnel
rag_scenario_begin
e2e_topo_client c2 2
RAG_CLIENTS="c1 c2"
gw_is_ragd || e2e_fail "the access policy is ragd's: run against ragd"

GW_SPLIT=yes GW_POLICY=none	# this script's own policy, no allow-all rule
gw_start
pol() {
	local out
	out=$(gw_ctl "$@" 2>&1) || { printf '%s\n' "$out"; e2e_fail "rag-ctl $*"; }
}
pol group add eng
pol group add ops
gw_user_add alice 'Alice-Split-1' --group eng
gw_user_add bob 'Bob-Split-1' --group ops
pol hostgroup add inthost "$E2E_INT_HOST4"
pol hostgroup add lab 10.77.0.0/24 10.77.1.0/24
pol servicegroup add all any
pol servicegroup add ssh tcp/22
pol servicegroup add ping icmp
# eng: the internal host, everything
pol rule add --user-group eng --host-group inthost --service-group all --action permit
# ops: ssh to the internal host denied first, ping to it permitted after;
# the lab (two adjacent /24: one /23) permitted
pol rule add --user-group ops --host-group inthost --service-group ssh --action deny
pol rule add --user-group ops --host-group inthost --service-group ping --action permit
pol rule add --user-group ops --host-group lab --service-group all --action permit
e2e_pass "policy: 2 user groups, 3 host groups, 4 rules"

# remote_ts of the installed CHILD SA as the client sees it
cl_tsr() { ss_swanctl "$1" --list-sas 2>/dev/null | awk '$1 == "remote" && $2 ~ /\// { $1 = ""; print substr($0, 2); exit }'; }
# number of INTERNAL_IP4_SUBNET attributes in the IKE_AUTH CP reply
cl_subnets() { grep -o 'CPRP([^)]*)' "$(ss_dir "$1")/charon.log" | tail -n 1 | grep -o 'SUBNET' | wc -l; }

cl_profile strongswan_app
C_PROFILE=split_tunnel C_ENCAP=no
C_ID=alice C_EAP_ID=alice C_PASSWORD='Alice-Split-1' C_CA=$GW_TRUST
cl_conf c1 c1
cl_start c1
rag_connect_and_ping c1 c1
e2e_check "alice: TSr narrowed to her permit (the internal host) and the DNS server" \
	test "$(cl_tsr c1)" = "$E2E_INT_HOST4/32 198.51.100.53/32"
e2e_check "alice: the CP reply carries 2 INTERNAL_IP4_SUBNET routes" test "$(cl_subnets c1)" -eq 2

C_ID=bob C_EAP_ID=bob C_PASSWORD='Bob-Split-1'
cl_conf c2 c2
cl_start c2
RAG_OTHERS=1
rag_connect_and_ping c2 c2
e2e_check "bob: TSr = lab merged to a /23, the internal host (denied for ssh, permitted for ping) and the DNS server" \
	test "$(cl_tsr c2)" = "10.77.0.0/23 $E2E_INT_HOST4/32 198.51.100.53/32"
e2e_check "bob: the CP reply carries 3 INTERNAL_IP4_SUBNET routes" test "$(cl_subnets c2)" -eq 3

# a policy change leaves live selectors alone (enforcement covers it)
pol rule add --user-group eng --host-group lab --service-group all --action permit
sleep 1
e2e_check "alice's live TSr unchanged after a rule change" \
	test "$(cl_tsr c1)" = "$E2E_INT_HOST4/32 198.51.100.53/32"

# user lock: DELETE to alice, her kernel state gone, bob unaffected
vip1=$(cl_vip c1)
t=$(e2e_now)
pol user lock alice
e2e_wait 10 "alice's client saw the DELETE" ss_no_sa c1 ||
	e2e_fail "user lock: alice's client still has its IKE SA"
e2e_pass "user lock alice: the client got a DELETE in $(e2e_since "$t")s"
e2e_wait 10 "alice's kernel state gone" _rag_gw_clean_of "$(e2e_client_ip4 1)" "$vip1" ||
	e2e_fail "user lock: the gateway kept alice's XFRM state or policy"
e2e_pass "user lock alice: no XFRM state or policy of hers left in the gateway"
e2e_check "bob still connected" _ss_has_established c2
e2e_check "bob's tunnel still carries traffic" \
	ip netns exec c2 ping -c 2 -i 0.2 -W 3 "$E2E_INT_HOST4"
if cl_initiate c1 30; then
	e2e_fail "alice connected although locked"
fi
e2e_pass "alice (locked) is refused"

# user del: DELETE to bob, his kernel state gone
vip2=$(cl_vip c2)
t=$(e2e_now)
pol user del bob
e2e_wait 10 "bob's client saw the DELETE" ss_no_sa c2 ||
	e2e_fail "user del: bob's client still has its IKE SA"
e2e_pass "user del bob: the client got a DELETE in $(e2e_since "$t")s"
e2e_wait 10 "bob's kernel state gone" _rag_gw_clean_of "$(e2e_client_ip4 2)" "$vip2" ||
	e2e_fail "user del: the gateway kept bob's XFRM state or policy"
e2e_pass "user del bob: no XFRM state or policy of his left in the gateway"
# (only established ones: the half-open SA of alice's refused attempt goes
# with its timeout, see tests/e2e/README.md on ragd_negative)
e2e_check "no established IKE SA left on the gateway" \
	sh -c "! RAG_CTL_SOCKET='$GW_DIR/ragd.sock' '$RAG_CTL_BIN' --json sa list | grep -q '\"state\":\"established\"'"

rag_stop_clean
e2e_finish
