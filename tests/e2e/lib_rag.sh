# lib_rag.sh — ragd and stock-client profiles for the e2e scripts (bash).
# Source it after lib.sh:
#     . "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
#     . "$(dirname "${RAG_E2E_LIB:-$0}")/lib_rag.sh"
#
#   gateway     gw_setup, gw_start, gw_stop, gw_user_add, gw_user_add_psk,
#               gw_ctl, gw_trust, gw_sa_list_has, gw_conn_log_has, gw_log_has,
#               gw_log_count, gw_has_ike_sa
#   client      cl_profile, cl_conf, cl_start, cl_initiate, cl_terminate
#   kernel      xf_algs, xf_count, xf_policies
#   scenario    rag_scenario_begin, rag_connect_and_ping, rag_disconnect_clean
#
# The gateway is the real ragd (default) or, with E2E_GATEWAY=strongswan, a
# strongSwan responder configured like ragd ("reference gateway").  The
# reference mode exists to validate the CLIENT side of a profile: a profile
# that connects to the reference gateway but not to ragd points at ragd.
# Checks that only ragd can answer (rag-ctl sa list, connection log) run
# only against ragd.
#
# ragd is driven only through its user-facing contract
# (/work/shared/docs/INTERFACES.md): a ragd.conf in a temp dir, `ragd -n`,
# `ragd -c FILE`, `rag-ctl user add NAME --password-stdin`, `rag-ctl sa list`,
# `rag-ctl log search`, SIGTERM.

RAGD_BIN=${RAGD_BIN:-${RAG_BUILD_DIR:-/nonexistent}/daemon/ragd}
RAG_CTL_BIN=${RAG_CTL_BIN:-${RAG_BUILD_DIR:-/nonexistent}/cli/rag-ctl}
E2E_GATEWAY=${E2E_GATEWAY:-ragd}
GW_NS=gw

# ---- gateway configuration (ragd.conf keys; set before gw_start) --------------
# GW_ID            [gateway] id                   (vpn.test)
# GW_CERT GW_KEY   [gateway] certificate / private-key; empty = ragd generates
#                  its CA and RSA-2048 server certificate in the state dir
# GW_CA            [gateway] ca (client/device trust anchors), may be empty
# GW_IKE GW_ESP    [proposals] ike / esp      GW_LEGACY  [proposals] legacy
# GW_METHODS       [auth] methods
# GW_DPD GW_IKE_LIFETIME GW_CHILD_LIFETIME GW_HALF_OPEN   [timers]
# GW_LOCKOUT       [auth] lockout-threshold    GW_LOCKOUT_TIME  [auth] lockout-time
# GW_SPLIT         [pool] split-tunnel (no unless set)
# GW_SS_AUTH       reference gateway only: the client auth it expects
#                  (eap-mschapv2 | eap-tls | pubkey | psk)
# GW_SS_CHARON_EXTRA  reference gateway only: more strongswan.conf lines
#                  inside charon { } (tests/bench sizes its IKE SA table)
# GW_POLICY        open (default): an access policy permitting everything to
#                  the group "everyone", and every gw_user_add* user in it:
#                  ragd enforces "no match = deny" (INTERFACES.md), so a
#                  gateway without a rule carries no traffic at all.
#                  none: no policy (the script builds its own, ragd_acl.sh)
gw_defaults() {
	GW_ID=${GW_ID:-vpn.test}
	GW_CERT=${GW_CERT:-}
	GW_KEY=${GW_KEY:-}
	GW_CA=${GW_CA:-}
	GW_IKE=${GW_IKE:-aes256gcm16-prfsha384-x25519, aes256-sha256-modp2048, aes128-sha256-ecp256}
	GW_ESP=${GW_ESP:-aes256gcm16, aes128gcm16, aes256-sha256, aes128-sha256}
	GW_LEGACY=${GW_LEGACY:-no}
	GW_METHODS=${GW_METHODS:-eap-mschapv2, eap-tls, pubkey, psk}
	GW_DPD=${GW_DPD:-30s}
	GW_IKE_LIFETIME=${GW_IKE_LIFETIME:-24h}
	GW_CHILD_LIFETIME=${GW_CHILD_LIFETIME:-8h}
	GW_HALF_OPEN=${GW_HALF_OPEN:-1000}
	GW_LOCKOUT=${GW_LOCKOUT:-5}
	GW_LOCKOUT_TIME=${GW_LOCKOUT_TIME:-15m}
	GW_SS_AUTH=${GW_SS_AUTH:-eap-mschapv2}
	GW_POLICY=${GW_POLICY:-open}
	GW_DIR=$E2E_WORK/gateway
	mkdir -p "$GW_DIR"
}

# gw_write_ragd_conf FILE: the ragd.conf for the GW_* settings.
gw_write_ragd_conf() {
	local f=$1
	{
		echo "# ragd.conf written by lib_rag.sh for $_E2E_NAME"
		echo "[gateway]"
		echo "listen = 0.0.0.0, ::"
		echo "id = $GW_ID"
		[ -n "$GW_CERT" ] && echo "certificate = $GW_CERT"
		[ -n "$GW_KEY" ] && echo "private-key = $GW_KEY"
		[ -n "$GW_CA" ] && echo "ca = $GW_CA"
		echo "state-dir = $GW_DIR/state"
		echo "control-socket = $GW_DIR/ragd.sock"
		echo "timezone = UTC"
		echo
		echo "[proposals]"
		echo "ike = $GW_IKE"
		echo "esp = $GW_ESP"
		echo "legacy = $GW_LEGACY"
		echo
		echo "[pool]"
		echo "ipv4 = $E2E_POOL4"
		echo "dns = 198.51.100.53"
		echo "dns-domain = corp.test"
		echo "split-tunnel = ${GW_SPLIT:-no}"
		echo
		echo "[auth]"
		echo "methods = $GW_METHODS"
		echo "lockout-threshold = $GW_LOCKOUT"
		echo "lockout-time = $GW_LOCKOUT_TIME"
		echo
		echo "[timers]"
		echo "dpd = $GW_DPD"
		echo "ike-lifetime = $GW_IKE_LIFETIME"
		echo "child-lifetime = $GW_CHILD_LIFETIME"
		echo "half-open-limit = $GW_HALF_OPEN"
		echo
		echo "[logs]"
		echo "retention = 90d"
		echo "export-window = 30d"
	} > "$f"
}

# _gw_ss_props LIST: "a, b, c" -> "a,b,c" (+ legacy set when GW_LEGACY = yes)
_gw_ss_props() {
	local l
	l=$(printf '%s' "$1" | tr -d ' ')
	if [ "$GW_LEGACY" = yes ]; then
		case $2 in
		ike) l="$l,aes256-sha1-modp1024,3des-sha1-modp1024" ;;
		esp) l="$l,aes256-sha1" ;;
		esac
	fi
	echo "$l"
}

# gw_start: start the gateway in netns $GW_NS (set up with e2e_topo_gateway).
# ragd: `ragd -n` must say "configuration OK", then ragd runs in the
# foreground until gw_stop (or exit); ready = `rag-ctl status` answers.
# GW_TRUST is set to the CA file clients must trust.
gw_start() {
	gw_defaults
	if [ "$E2E_GATEWAY" = strongswan ]; then
		_gw_start_strongswan
		return
	fi
	[ -x "$RAGD_BIN" ] || e2e_fail "ragd not built at $RAGD_BIN"
	[ -x "$RAG_CTL_BIN" ] || e2e_fail "rag-ctl not built at $RAG_CTL_BIN"
	gw_write_ragd_conf "$GW_DIR/ragd.conf"
	cp "$GW_DIR/ragd.conf" "$E2E_ARTIFACTS/ragd.conf" 2>/dev/null || true
	local out t
	out=$("$RAGD_BIN" -n -c "$GW_DIR/ragd.conf" 2>&1) ||
		{ printf '%s\n' "$out"; e2e_fail "ragd -n rejects the configuration"; }
	printf '%s\n' "$out" | grep -q 'configuration OK' ||
		{ printf '%s\n' "$out"; e2e_fail "ragd -n did not print 'configuration OK'"; }
	t=$(e2e_now)
	ip netns exec "$GW_NS" "$RAGD_BIN" -c "$GW_DIR/ragd.conf" -v -v > "$GW_DIR/ragd.log" 2>&1 &
	echo $! > "$GW_DIR/ragd.pid"
	e2e_at_exit "gw_stop"
	e2e_at_exit "cp '$GW_DIR/ragd.log' '$E2E_ARTIFACTS/ragd.log'"
	if ! e2e_wait 90 "ragd control socket" gw_ctl status; then
		tail -n 40 "$GW_DIR/ragd.log"
		e2e_fail "ragd did not become ready (rag-ctl status)"
	fi
	e2e_pass "ragd running in netns $GW_NS, rag-ctl status answers ($(e2e_since "$t")s)"
	if [ -n "$GW_CERT" ]; then
		GW_TRUST=${GW_TRUST:?GW_TRUST must name the issuing CA of GW_CERT}
	else
		GW_TRUST=$GW_DIR/state/ca.crt
		[ -s "$GW_TRUST" ] || e2e_fail "ragd generated no CA at $GW_TRUST"
	fi
	[ "$GW_POLICY" = open ] && gw_policy_open
	return 0
}

# _dur_s DURATION: "30s", "15m", "8h", "2d" or plain seconds -> seconds.
_dur_s() {
	case $1 in
	*s) echo "${1%s}" ;;
	*m) echo $((${1%m} * 60)) ;;
	*h) echo $((${1%h} * 3600)) ;;
	*d) echo $((${1%d} * 86400)) ;;
	*) echo "$1" ;;
	esac
}

# The reference gateway: charon with the same proposals, pool, identity and
# server certificate; one connection for the client auth in GW_SS_AUTH.
_gw_start_strongswan() {
	local d ra rextra="" lauth=pubkey lcerts="certs = gw.crt"
	if [ -z "$GW_CERT" ]; then	# what ragd would generate: RSA-2048 CA + server
		local p=$GW_DIR/pki
		mkdir -p "$p"
		printf 'pki {\n  load = %s\n}\n' "$_SS_PKI_PLUGINS" > "$E2E_WORK/pki.conf"
		_ss_pki --gen --type rsa --size 2048 --outform pem > "$p/ca.key"
		_ss_pki --self --ca --lifetime 3650 --in "$p/ca.key" --dn "CN=rag reference CA" \
			--outform pem > "$p/ca.crt"
		_ss_pki --gen --type rsa --size 2048 --outform pem > "$p/server.key"
		local san=(--san "$GW_ID")
		case $GW_ID in *[!0-9.]*) ;; *) san+=(--san "dns:$GW_ID") ;; esac
		_ss_pki --issue --cacert "$p/ca.crt" --cakey "$p/ca.key" --in "$p/server.key" \
			--type priv --dn "CN=$GW_ID" "${san[@]}" --flag serverAuth \
			--flag ikeIntermediate --lifetime 730 --outform pem > "$p/server.crt"
		GW_CERT=$p/server.crt GW_KEY=$p/server.key GW_TRUST=$p/ca.crt
	fi
	GW_TRUST=${GW_TRUST:?GW_TRUST must name the issuing CA of GW_CERT}
	# half-open-limit -> cookie_threshold; no per-IP blocking below it
	SS_CHARON_EXTRA="cookie_threshold = $GW_HALF_OPEN
  block_threshold = 1000
  ${GW_SS_CHARON_EXTRA:-}" SS_PLUGINS_EXTRA="eap-tls ${SS_PLUGINS_EXTRA:-}" ss_instance gw "$GW_NS"
	d=$(ss_dir gw)
	# the certificate file may hold a chain: split it for swanctl
	awk -v dir="$d/swanctl/x509" 'BEGIN { n = 0 } /BEGIN CERT/ { f = dir "/gw" (n ? "-chain" n : "") ".crt"; n++ }
		{ print > f }' "$GW_CERT"
	cp "$GW_KEY" "$d/swanctl/private/gw.key"
	[ -n "$GW_CA" ] && cp "$GW_CA" "$d/swanctl/x509ca/clients-ca.crt"
	case $GW_SS_AUTH in
	eap-mschapv2) ra="eap-mschapv2"; rextra="eap_id = %any" ;;
	eap-tls) ra="eap-tls"; rextra="eap_id = %any" ;;
	pubkey) ra="pubkey" ;;
	psk) ra="psk"; lauth=psk; lcerts="" ;;
	*) e2e_fail "GW_SS_AUTH: unknown $GW_SS_AUTH" ;;
	esac
	cat > "$d/swanctl/swanctl.conf" <<EOF
connections {
  rw {
    version = 2
    local_addrs = %any
    pools = pool4
    send_certreq = no
    send_cert = always
    fragmentation = yes
    mobike = yes
    dpd_delay = $GW_DPD
    rekey_time = $(($(_dur_s "$GW_IKE_LIFETIME") * 9 / 10))s
    over_time = $(($(_dur_s "$GW_IKE_LIFETIME") / 10))s
    rand_time = 0
    proposals = $(_gw_ss_props "$GW_IKE" ike)
    local {
      auth = $lauth
      $lcerts
      id = $GW_ID
    }
    remote {
      auth = $ra
      $rextra
    }
    children {
      net {
        local_ts = 0.0.0.0/0
        esp_proposals = $(_gw_ss_props "$GW_ESP" esp)
        rekey_time = $(($(_dur_s "$GW_CHILD_LIFETIME") * 3 / 4))s
        life_time = $(_dur_s "$GW_CHILD_LIFETIME")s
        rand_time = 0
        dpd_action = clear
      }
    }
  }
}
pools {
  pool4 {
    addrs = $E2E_POOL4
    dns = 198.51.100.53
  }
}
include secrets.d/*.conf
EOF
	mkdir -p "$d/swanctl/secrets.d"
	ss_start gw
	ss_load gw
	e2e_pass "reference strongSwan gateway running in netns $GW_NS"
}

# gw_ctl ARGS...: rag-ctl against this test's ragd.
# RAG_CONF: the log commands read the databases named by this test's
# ragd.conf (state-dir), not /etc/rag/ragd.conf.
gw_ctl() { RAG_CTL_SOCKET=$GW_DIR/ragd.sock RAG_CONF=$GW_DIR/ragd.conf "$RAG_CTL_BIN" "$@"; }

# gw_ctl_ok DESC ARGS...: rag-ctl ARGS must succeed (else FAIL with its output).
gw_ctl_ok() {
	local desc=$1 out
	shift
	out=$(gw_ctl "$@" 2>&1) || { printf '%s\n' "$out"; e2e_fail "$desc: rag-ctl $*"; }
}

# gw_policy_open: GW_POLICY=open (see gw_defaults): group "everyone" may
# reach every address with every service, not logged.
gw_policy_open() {
	gw_ctl_ok "open policy" group add everyone
	gw_ctl_ok "open policy" hostgroup add anywhere 0.0.0.0/0 ::/0
	gw_ctl_ok "open policy" servicegroup add anything any
	gw_ctl_ok "open policy" rule add --user-group everyone --host-group anywhere \
		--service-group anything --action permit --no-log
	e2e_log "access policy: group everyone may reach anything (GW_POLICY=open)"
}

# _gw_policy_groups: the `user add` options GW_POLICY asks for.
_gw_policy_groups() { [ "${GW_POLICY:-open}" = open ] && echo "--group everyone"; return 0; }

# gw_user_add NAME PASSWORD [rag-ctl user add options...]: create a user the
# way an admin does (`rag-ctl user add NAME --password-stdin`).  In the
# reference gateway the password becomes an EAP and a PSK secret for NAME.
gw_user_add() {
	local name=$1 pw=$2 out
	shift 2
	if [ "$E2E_GATEWAY" = strongswan ]; then
		cat > "$(ss_dir gw)/swanctl/secrets.d/$name.conf" <<EOF
secrets {
  eap-$name {
    id = $name
    secret = "$pw"
  }
  ike-$name {
    id = $name
    secret = "$pw"
  }
}
EOF
		ss_swanctl gw --load-creds > /dev/null 2>&1 || e2e_fail "reference gateway: load-creds"
		return
	fi
	# shellcheck disable=SC2046
	out=$(printf '%s\n' "$pw" | gw_ctl user add "$name" --password-stdin $(_gw_policy_groups) \
		"$@" 2>&1) ||
		{ printf '%s\n' "$out"; e2e_fail "rag-ctl user add $name"; }
	e2e_pass "rag-ctl user add $name --password-stdin $*"
}

# gw_user_add_psk NAME PSK [rag-ctl user add options...]: a user whose
# secret is a pre-shared key (`rag-ctl user add NAME --psk-stdin`, at least
# 20 bytes).  In the reference gateway as gw_user_add.
gw_user_add_psk() {
	local name=$1 psk=$2 out
	shift 2
	if ! gw_is_ragd; then
		gw_user_add "$name" "$psk"
		return
	fi
	# shellcheck disable=SC2046
	out=$(printf '%s\n' "$psk" | gw_ctl user add "$name" --psk-stdin $(_gw_policy_groups) \
		"$@" 2>&1) ||
		{ printf '%s\n' "$out"; e2e_fail "rag-ctl user add $name --psk-stdin"; }
	e2e_pass "rag-ctl user add $name --psk-stdin $*"
}

# gw_user_add_cert NAME DN: a certificate user (`rag-ctl user add NAME
# --cert-subject DN`), no password.
gw_user_add_cert() {
	local out
	gw_is_ragd || return 0	# the reference gateway trusts the CA alone
	# shellcheck disable=SC2046
	out=$(gw_ctl user add "$1" --cert-subject "$2" $(_gw_policy_groups) 2>&1) ||
		{ printf '%s\n' "$out"; e2e_fail "rag-ctl user add $1 --cert-subject '$2'"; }
	e2e_pass "rag-ctl user add $1 --cert-subject '$2'"
}

# gw_is_ragd: true when the gateway under test is ragd.
gw_is_ragd() { [ "$E2E_GATEWAY" != strongswan ]; }

# gw_running: the gateway process is alive.
gw_running() {
	if gw_is_ragd; then
		[ -f "$GW_DIR/ragd.pid" ] && kill -0 "$(cat "$GW_DIR/ragd.pid")" 2> /dev/null
	else
		[ -f "$(ss_dir gw)/pid" ] && kill -0 "$(cat "$(ss_dir gw)/pid")" 2> /dev/null
	fi
}

# gw_stop: SIGTERM the gateway and wait (20 s, then KILL).  For ragd the
# exit status is kept in GW_EXIT (INTERFACES.md: SIGTERM -> DELETE every IKE
# SA, remove kernel state, exit 0).
gw_stop() {
	if ! gw_is_ragd; then
		ss_stop gw
		GW_EXIT=0
		return 0
	fi
	local pid i
	[ -f "$GW_DIR/ragd.pid" ] || return 0
	pid=$(cat "$GW_DIR/ragd.pid")
	rm -f "$GW_DIR/ragd.pid"
	GW_EXIT=killed
	kill "$pid" 2> /dev/null || { wait "$pid" 2> /dev/null; GW_EXIT=$?; return 0; }
	for i in $(seq 200); do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2> /dev/null; then
		kill -9 "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null || true
		return 0
	fi
	wait "$pid" 2> /dev/null && GW_EXIT=0 || GW_EXIT=$?
}

# gw_sa_list_has PATTERN: `rag-ctl --json sa list` output matches the ERE.
gw_sa_list_has() { gw_ctl --json sa list 2> /dev/null | grep -Eq "$1"; }

# gw_conn_log_has EVENT [USER]: the connection log holds a row with event
# EVENT (connect, disconnect, rekey, fail), for USER when given.  Read with
# `rag-ctl --json log search --type connection` (INTERFACES.md); while that
# command answers "not implemented yet" (it arrives with the logs issue) the
# rows are read from <state-dir>/logs.db, table connection (schema/logs/).
gw_conn_log_has() {
	local ev=$1 user=${2:-} out args=()
	[ -n "$user" ] && args=(--user "$user")
	if out=$(gw_ctl --json log search --type connection "${args[@]}" 2>&1); then
		printf '%s' "$out" | tr -d ' \n' | grep -q "\"event\":\"$ev\"" || return 1
		[ -z "$user" ] || printf '%s' "$out" | tr -d ' \n' | grep -q "\"user\":\"$user\""
		return
	fi
	printf '%s' "$out" | grep -q 'not implemented' || return 1
	[ "$(sqlite3 "$GW_DIR/state/logs.db" \
		"SELECT count(*) FROM connection WHERE event = '$ev' AND ('$user' = '' OR user = '$user')" \
		2>/dev/null)" -gt 0 ] 2>/dev/null
}

# gw_log_has TYPE FIELD VALUE [USER [REASON]]: the log TYPE (connection,
# auth) holds ONE row whose FIELD (event / result) is VALUE, for USER when
# given, whose reason contains REASON when given.  Read like
# gw_conn_log_has: `rag-ctl --json log search`, or logs.db while that
# command answers "not implemented yet".
gw_log_has() {
	local type=$1 field=$2 val=$3 user=${4:-} reason=${5:-} out args=()
	[ -n "$user" ] && args=(--user "$user")
	if out=$(gw_ctl --json log search --type "$type" "${args[@]}" 2>&1); then
		printf '%s' "$out" | python3 -c '
import json, sys
f, v, u, r = sys.argv[1:5]
rows = json.load(sys.stdin)
sys.exit(0 if any(str(x.get(f)) == v and (not u or x.get("user") == u) and
                  r in str(x.get("reason") or "") for x in rows) else 1)' \
			"$field" "$val" "$user" "$reason"
		return
	fi
	printf '%s' "$out" | grep -q 'not implemented' || return 1
	local sq="'"
	[ "$(sqlite3 "$GW_DIR/state/logs.db" \
		"SELECT count(*) FROM $type WHERE $field = '${val//$sq/$sq$sq}' AND
		 ('${user//$sq/$sq$sq}' = '' OR user = '${user//$sq/$sq$sq}') AND
		 instr(coalesce(reason, ''), '${reason//$sq/$sq$sq}') > 0" 2>/dev/null)" -gt 0 ] 2>/dev/null
}

# gw_log_count TYPE FIELD VALUE [USER]: how many such rows (logs.db, or the
# JSON of `rag-ctl log search` once it answers).
gw_log_count() {
	local type=$1 field=$2 val=$3 user=${4:-} out args=() sq="'"
	[ -n "$user" ] && args=(--user "$user")
	if out=$(gw_ctl --json log search --type "$type" "${args[@]}" 2>&1); then
		printf '%s' "$out" | python3 -c '
import json, sys
f, v, u = sys.argv[1:4]
print(sum(1 for x in json.load(sys.stdin)
          if str(x.get(f)) == v and (not u or x.get("user") == u)))' "$field" "$val" "$user"
		return
	fi
	sqlite3 "$GW_DIR/state/logs.db" \
		"SELECT count(*) FROM $type WHERE $field = '${val//$sq/$sq$sq}' AND
		 ('${user//$sq/$sq$sq}' = '' OR user = '${user//$sq/$sq$sq}')" 2>/dev/null || echo 0
}

# gw_no_ike_sa: the gateway holds no IKE SA.
gw_no_ike_sa() { ! gw_has_ike_sa; }

# gw_has_ike_sa: the gateway holds at least one IKE SA past IKE_SA_INIT
# (ragd: sa list shows an entry not "half-open"; reference: swanctl
# --list-sas).  Half-open SAs of a flood (ragd_negative, ragd_halfopen) live
# their 30 s whatever a client does, so they do not count.
gw_has_ike_sa() {
	if gw_is_ragd; then
		gw_ctl --json sa list 2> /dev/null | python3 -c '
import json, sys
sys.exit(0 if any(s.get("state") != "half-open" for s in json.load(sys.stdin)) else 1)'
	else
		_ss_has_established gw
	fi
}

# ---- client profiles ------------------------------------------------------------------
# cl_profile PROFILE: set the C_* variables to what the stock client sends
# (CLIENTS.md).  Callers may override any C_* afterwards.
#   C_IKE C_ESP       proposals (strongSwan syntax)
#   C_AUTH            eap-mschapv2 | eap-tls | psk | pubkey
#   C_REMOTE_AUTH     how the client checks the gateway: pubkey | psk
#   C_ID C_EAP_ID     IDi / EAP identity (empty: C_ID = the client's IP)
#   C_REMOTE_ID       IDr to send; empty = send no IDr (accept any id the CA vouches for)
#   C_ENCAP C_MOBIKE C_FRAG    yes/no
#   C_REMOTE_TS       what the client asks for as TSr
#   C_SIGAUTH         no = never send SIGNATURE_HASH_ALGORITHMS (RFC 7427)
#   C_FRAG_SIZE       IKE fragment size (charon.fragment_size)
#   C_DPD C_REKEY C_CHILD_REKEY   client-side timers ("" = strongSwan default/off)
cl_profile() {
	C_PROFILE=$1
	C_SERVER=$E2E_GW_WAN4
	C_AUTH=eap-mschapv2 C_REMOTE_AUTH=pubkey
	C_ID='' C_EAP_ID='' C_REMOTE_ID=vpn.test
	C_ENCAP=no C_MOBIKE=yes C_FRAG=yes C_SIGAUTH=yes C_FRAG_SIZE=
	C_REMOTE_TS=0.0.0.0/0 C_DPD='' C_REKEY=0 C_CHILD_REKEY=0
	C_CERT='' C_KEY='' C_PSK='' C_PASSWORD=''
	case $1 in
	windows_default)	# Windows 10/11 without Set-VpnConnectionIPsecConfiguration
		C_IKE="aes256-sha1-modp1024,aes128-sha1-modp1024,3des-sha1-modp1024,aes256-sha256-modp1024,aes256-sha384-modp1024"
		C_ESP="aes256-sha1,aes128-sha1,3des-sha1"
		C_REMOTE_ID=	# Windows sends no IDr (obs.)
		C_SIGAUTH=no	# no SIGNATURE_HASH_ALGORITHMS: classic AUTH methods
		;;
	windows_hardened)	# -CipherTransformConstants GCMAES256 -DHGroup ECP384 -PfsGroup ECP384
		C_IKE="aes256gcm16-prfsha384-ecp384"
		C_ESP="aes256gcm16-ecp384"
		C_REMOTE_ID=
		C_SIGAUTH=no
		;;
	ios)			# iOS/macOS profile defaults: AES-256 / SHA2-256 / DH 14
		C_IKE="aes256-sha256-modp2048"
		C_ESP="aes256-sha256,aes256-sha256-modp2048"
		C_ID=iphone.corp.test	# FQDN-typed Local ID
		C_FRAG_SIZE=1280
		;;
	android11)		# PRF only HMAC-SHA1 or AES-XCBC, DH 2048/1024
		C_IKE="aes256-sha256-prfsha1-modp2048,aes128-sha256-prfsha1-modp2048,aes256gcm16-prfsha1-modp2048,aes128-aesxcbc-modp2048,aes256-sha1-modp1024"
		C_ESP="aes128-sha256,aes256-sha256,aes128-sha1,aes256gcm16,aes128gcm16"
		C_FRAG_SIZE=1280
		;;
	android12)		# x25519, no DH in CHILD proposals, ESP without SHA1
		C_IKE="aes256gcm16-prfsha256-x25519,aes128gcm16-prfsha256-x25519,aes256-sha256-modp2048,aes128-sha256-modp3072"
		C_ESP="aes256gcm16,aes192gcm16,aes128gcm16,aes256-sha256,aes128-sha256"
		C_FRAG_SIZE=1280
		;;
	strongswan_app)	# strongSwan Android app: default proposals, always UDP-encapsulated ESP
		C_IKE=default C_ESP=default
		C_ENCAP=yes
		;;
	nm_psk)		# NetworkManager-strongswan, method psk (>= 20 characters)
		C_IKE=default C_ESP=default
		C_AUTH=psk C_REMOTE_AUTH=psk
		;;
	eap_tls)		# EAP-TLS with a client certificate (strongSwan app / Windows)
		C_IKE=default C_ESP=default
		C_AUTH=eap-tls
		;;
	*) e2e_fail "cl_profile: unknown profile $1" ;;
	esac
}

# cl_conf NAME NETNS: strongswan.conf + swanctl.conf of client instance NAME
# (connection and child "home") from the C_* variables.  C_CA = the CA the
# client trusts for the server certificate.
cl_conf() {
	local n=$1 ns=$2 d extra="" lid="" rid leap="" secret="" plug=""
	[ "$C_SIGAUTH" = no ] && extra="signature_authentication = no"
	[ -n "$C_FRAG_SIZE" ] && extra="$extra
  fragment_size = $C_FRAG_SIZE"
	[ "$C_AUTH" = eap-tls ] && plug="eap-tls"
	SS_CHARON_EXTRA="$extra ${SS_CHARON_EXTRA:-}" SS_PLUGINS_EXTRA="$plug ${SS_PLUGINS_EXTRA:-}" \
		ss_instance "$n" "$ns"
	d=$(ss_dir "$n")
	[ -n "${C_CA:-}" ] && cp "$C_CA" "$d/swanctl/x509ca/server-ca.crt"
	[ -n "$C_ID" ] && lid="id = $C_ID"	# none: strongSwan uses the IP address
	rid="id = ${C_REMOTE_ID:-%any}"		# %any: no IDr is sent
	case $C_AUTH in
	eap-mschapv2)
		leap="eap_id = ${C_EAP_ID:-$C_ID}"
		secret="eap-user {
    id = ${C_EAP_ID:-$C_ID}
    secret = \"$C_PASSWORD\"
  }" ;;
	eap-tls)
		leap="certs = client.crt"
		cp "$C_CERT" "$d/swanctl/x509/client.crt"
		cp "$C_KEY" "$d/swanctl/private/client.key" ;;
	pubkey)
		leap="certs = client.crt"
		cp "$C_CERT" "$d/swanctl/x509/client.crt"
		cp "$C_KEY" "$d/swanctl/private/client.key" ;;
	psk)
		secret="ike-psk {
    id-local = $C_ID
    id-remote = ${C_REMOTE_ID:-%any}
    secret = \"$C_PSK\"
  }" ;;
	*) e2e_fail "cl_conf: unknown C_AUTH $C_AUTH" ;;
	esac
	cat > "$d/swanctl/swanctl.conf" <<EOF
connections {
  home {
    version = 2
    remote_addrs = $C_SERVER
    vips = 0.0.0.0
    proposals = $C_IKE
    encap = $C_ENCAP
    mobike = $C_MOBIKE
    fragmentation = $C_FRAG
    send_certreq = yes
    ${C_DPD:+dpd_delay = $C_DPD}
    rekey_time = $C_REKEY
    local {
      auth = $C_AUTH
      $lid
      $leap
    }
    remote {
      auth = $C_REMOTE_AUTH
      $rid
    }
    children {
      home {
        remote_ts = $C_REMOTE_TS
        esp_proposals = $C_ESP
        rekey_time = $C_CHILD_REKEY
        dpd_action = clear
      }
    }
  }
}
secrets {
  $secret
}
EOF
}

# cl_start NAME: start and load client instance NAME.
cl_start() { ss_start "$1"; ss_load "$1"; }

# cl_initiate NAME [TIMEOUT=90]: initiate "home"; 0 = IKE and CHILD SA up.
# The swanctl output is kept in $(ss_dir NAME)/initiate.log.
cl_initiate() {
	ss_swanctl "$1" --initiate --child home --timeout "${2:-90}" > "$(ss_dir "$1")/initiate.log" 2>&1
}

# cl_terminate NAME: delete the IKE SA from the client side.
cl_terminate() {
	ss_swanctl "$1" --terminate --ike home --timeout 30 > "$(ss_dir "$1")/terminate.log" 2>&1
}

# cl_vip NS: the client's virtual IPv4 (from the pool), or nothing.
cl_vip() { ip -n "$1" -4 -o addr show | awk '{ print $4 }' | grep '^10\.200\.0\.' | cut -d/ -f1 | head -n1; }

# ---- kernel state ----------------------------------------------------------------------

# xf_algs NS: one line per XFRM state: "esp enc=ALG/KEYBITS auth=ALG/TRUNC
# encap=espinudp|none" or "esp aead=ALG/KEYBITS/ICV encap=...".  KEYBITS are
# from the key length; for rfc4106 (RFC 4106 4) the 32-bit salt is not key.
xf_algs() {
	ip -n "$1" xfrm state | awk '
		function flush() {
			if (have) print proto enc auth aead " " (encap ? encap : "encap=none")
			have = 0; enc = auth = aead = encap = ""
		}
		/^src / { flush(); have = 1; next }
		/proto / { for (i = 1; i <= NF; i++) if ($i == "proto") proto = $(i + 1) }
		$1 == "enc" { enc = " enc=" $2 "/" (length($3) - 2) * 4 }
		$1 == "auth-trunc" { auth = " auth=" $2 "/" $4 }
		$1 == "auth" { auth = " auth=" $2 "/full" }
		$1 == "aead" { bits = (length($3) - 2) * 4; if ($2 ~ /rfc4106|rfc4309/) bits -= 32; aead = " aead=" $2 "/" bits "/" $4 }
		$1 == "encap" { encap = "encap=" $3 }
		END { flush() }'
}

# xf_spis_in_range NS DST: the XFRM states to DST (the inbound SAs of the
# host at DST) exist and all have SPIs from ragd's ALLOCSPI range (kern.h
# KERN_SPI_MIN..KERN_SPI_MAX): the kernel chose them, not the IKE engine.
xf_spis_in_range() {
	local s n=0
	for s in $(ip -n "$1" xfrm state | awk -v d="$2" '/^src / { inb = ($4 == d); next }
			inb && $1 == "proto" && $3 == "spi" { print $4; inb = 0 }'); do
		(( s >= 0xc0000100 && s <= 0xcfffffff )) || { echo "SPI $s outside the range"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# xf_count NS: number of XFRM states.
xf_count() { ip -n "$1" xfrm state | grep -c '^src ' || true; }

# xf_policies NS: number of XFRM policies other than per-socket ones (the
# IKE sockets' bypass policies, "socket in/out", are not SA state).
xf_policies() {
	ip -n "$1" xfrm policy | awk '/^src / { n++; if (blk && !sock) c++; blk = 1; sock = 0; next }
		/socket (in|out)/ { sock = 1 }
		END { if (blk && !sock) c++; print c + 0 }'
}

# xf_expect NS COUNT LINE: exactly COUNT states, every one described by LINE
# (as xf_algs prints it).
xf_expect() {
	local got
	got=$(xf_algs "$1")
	[ "$(printf '%s\n' "$got" | grep -c .)" -eq "$2" ] || { printf '%s\n' "$got"; return 1; }
	[ "$(printf '%s\n' "$got" | sort -u)" = "$3" ] || { printf '%s\n' "$got"; return 1; }
}

# ---- scenario helpers ---------------------------------------------------------------------

_rag_diag() {
	echo "--- gateway ($E2E_GATEWAY) log (tail)"
	if gw_is_ragd; then
		tail -n 80 "$GW_DIR/ragd.log" 2>/dev/null
		echo "--- connection log rows (logs.db)"
		sqlite3 "$GW_DIR/state/logs.db" \
			"SELECT event, user, device, client_addr, vip4, esp_alg, reason FROM connection" 2>&1 | tail -n 20
	else
		tail -n 60 "$(ss_dir gw)/charon.log" 2>/dev/null
	fi
	for n in ${RAG_CLIENTS:-c1}; do
		echo "--- client $n charon.log (tail)"
		tail -n 60 "$(ss_dir "$n")/charon.log" 2>/dev/null
		echo "--- client $n initiate.log"
		tail -n 30 "$(ss_dir "$n")/initiate.log" 2>/dev/null
	done
	echo "--- gw xfrm state/policy"
	ip -n gw -s xfrm state 2>/dev/null | sed 's/0x[0-9a-f]\{16,\}/(key)/'
	ip -n gw xfrm policy 2>/dev/null | awk '/^src / { if (b != "" && b !~ /socket (in|out)/) printf "%s", b; b = ""; } { b = b $0 "\n" } END { if (b !~ /socket (in|out)/) printf "%s", b }'
	echo "--- gw routes"
	ip -n gw route show table all 2>/dev/null | grep -v '^local\|^broadcast\|^multicast\|^fe80\|^ff00'
	for n in ${RAG_CLIENTS:-c1}; do
		echo "--- client $n xfrm state (algorithms, encap, counters)"
		ip -n "$n" -s xfrm state 2>/dev/null | grep -E '^src|proto|aead|enc |auth|encap|bytes'
	done
}

_rag_save_logs() {
	local n
	for n in ${RAG_CLIENTS:-c1} gw; do
		cp "$(ss_dir "$n")/charon.log" "$E2E_ARTIFACTS/$n-charon.log" 2>/dev/null || true
	done
}

# rag_scenario_begin: modules, crypto warm-up, topology (client c1 on the
# wan, gateway gw, internal host int) and the diagnostics hook.
rag_scenario_begin() {
	E2E_DIAG=_rag_diag
	e2e_at_exit _rag_save_logs
	e2e_modprobe esp4 esp6 xfrm_user xfrm4_tunnel veth bridge
	# ragd's nftables table (autoloaded otherwise, at its first policy)
	e2e_modprobe nf_tables nft_ct nft_limit nft_log nfnetlink_log
	e2e_xfrm_warmup
	e2e_topo_gateway gw
	e2e_topo_client c1 1
	e2e_topo_internal int gw
	# ragd needs no route to the pool: it routes each client's virtual IP
	# itself (and the rest of the pool is unreachable), and the gateway
	# here has no default route that would cover the pool.  The reference
	# strongSwan gateway gets the route its own setup would want.
	gw_is_ragd || ip -n gw route add "$E2E_POOL4" dev eth0
	e2e_log "gateway under test: $E2E_GATEWAY"
}

# rag_connect_and_ping NAME NS: initiate, then check the virtual IP and a
# ping through the tunnel to the internal host.
rag_connect_and_ping() {
	local n=$1 ns=$2 t vip
	t=$(e2e_now)
	if ! cl_initiate "$n"; then
		tail -n 30 "$(ss_dir "$n")/initiate.log"
		e2e_fail "$C_PROFILE: client could not establish IKE SA + CHILD SA"
	fi
	e2e_pass "$C_PROFILE: IKE SA and CHILD SA established in $(e2e_since "$t")s"
	vip=$(cl_vip "$ns")
	[ -n "$vip" ] || e2e_fail "$C_PROFILE: no virtual IP from $E2E_POOL4 on the client (CP reply, RFC 7296 3.15)"
	e2e_pass "$C_PROFILE: virtual IP $vip from the pool"
	RAG_VIP=$vip
	e2e_check "$C_PROFILE: ping $E2E_INT_HOST4 through the tunnel from $vip" \
		ip netns exec "$ns" ping -c 3 -i 0.2 -W 3 "$E2E_INT_HOST4"
	local min
	min=$(e2e_xfrm_min_bytes gw)
	e2e_check "$C_PROFILE: both gateway ESP SAs carried traffic (min $min bytes)" test "$min" -gt 0
	if gw_is_ragd; then
		e2e_check "$C_PROFILE: rag-ctl sa list shows the SA with virtual IP $vip" gw_sa_list_has "\"$vip\""
		e2e_check "$C_PROFILE: ragd routes $vip towards the client (kern.h KERN_RTPROT)" \
			bash -c "ip -n gw route show proto 82 | grep -q '^$vip '"
	fi
}

# rag_disconnect_clean NAME NS: the client deletes its IKE SA; the gateway
# drops it and leaves no XFRM state, policy or (ragd) route of its own.
# With RAG_OTHERS=1 other clients
# stay connected: only the state of this client (outer address, virtual IP)
# must be gone.
rag_disconnect_clean() {
	local n=$1 ns=$2 t vip outer
	vip=$(cl_vip "$ns")
	outer=$(ip -n "$ns" -4 -o addr show dev eth0 | awk '{ print $4 }' | cut -d/ -f1 | head -n1)
	t=$(e2e_now)
	cl_terminate "$n" || { cat "$(ss_dir "$n")/terminate.log"; e2e_fail "$C_PROFILE: client terminate"; }
	if [ -n "${RAG_OTHERS:-}" ]; then
		e2e_wait 20 "gateway state of $n gone" _rag_gw_clean_of "$outer" "$vip" ||
			e2e_fail "$n: gateway kept kernel state of $outer / $vip after the client's DELETE"
	else
		e2e_wait 20 "gateway SA gone" _rag_gw_clean ||
			e2e_fail "$n: gateway kept IKE SA or kernel state after the client's DELETE"
	fi
	e2e_pass "$n: DELETE (RFC 7296 1.4.1) removed its SA and kernel state in $(e2e_since "$t")s"
}

# rag_check_auth_cert USER CERT METHOD: the authentication log has a success
# row for USER by METHOD carrying the client certificate CERT as the device
# (issue 5 point 2): subject, issuer, serial and SHA-256 fingerprint, each
# computed here by openssl from the file the client used (ragd only).
rag_check_auth_cert() {
	gw_is_ragd || return 0
	local user=$1 cert=$2 method=$3 want
	want=$(openssl x509 -in "$cert" -noout -serial -fingerprint -sha256 \
		-nameopt RFC2253 -subject -issuer) || e2e_fail "openssl x509 $cert"
	e2e_wait 10 "auth row of $user" _rag_auth_cert_row "$user" "$method" "$want" ||
		{ gw_ctl --json log search --type auth --user "$user" 2>&1 | tail -c 2000
		  printf '%s\n' "$want"
		  e2e_fail "auth log: no success row for $user ($method) with its certificate's subject, issuer, serial and SHA-256"; }
	e2e_pass "auth log: $user ($method) with certificate subject, issuer, serial and SHA-256 fingerprint"
}
_rag_auth_cert_row() {
	gw_ctl --json log search --type auth --user "$1" 2>/dev/null | python3 -c '
import json, re, sys
method, want = sys.argv[1], sys.argv[2]
kv = dict(l.split("=", 1) for l in want.splitlines() if "=" in l)
serial = kv["serial"].lstrip("0") or "0"
sha = kv["sha256 Fingerprint"].replace(":", "").upper()
cn = lambda dn: sorted(re.findall(r"CN ?= ?([^,/]+)", dn))
ok = any(r.get("result") == "success" and r.get("method") == method and
         (r.get("cert_sha256") or "").upper() == sha and
         (r.get("cert_serial") or "").upper().lstrip("0") == serial.upper() and
         cn(r.get("cert_subject") or "") == cn(kv["subject"]) and
         cn(r.get("cert_issuer") or "") == cn(kv["issuer"])
         for r in json.load(sys.stdin))
sys.exit(0 if ok else 1)' "$2" "$3"
}

# rag_check_auth_eap USER EAP-ID IKE-ID: the authentication log has an
# EAP-MSCHAPv2 success row for USER naming the device by its EAP identity and
# its IKE ID (issue 5 point 2; ragd only).
rag_check_auth_eap() {
	gw_is_ragd || return 0
	e2e_wait 10 "auth row of $1" _rag_auth_eap_row "$@" ||
		{ gw_ctl --json log search --type auth --user "$1" 2>&1 | tail -c 2000
		  e2e_fail "auth log: no eap-mschapv2 success row for $1 with identity $2 and IKE ID $3"; }
	e2e_pass "auth log: $1 (eap-mschapv2) with EAP identity $2 and IKE ID $3"
}
_rag_auth_eap_row() {
	gw_ctl --json log search --type auth --user "$1" 2>/dev/null | python3 -c '
import json, sys
eap, ike = sys.argv[1:3]
sys.exit(0 if any(r.get("result") == "success" and r.get("method") == "eap-mschapv2" and
                  r.get("identity") == eap and r.get("ike_id") == ike
                  for r in json.load(sys.stdin)) else 1)' "$2" "$3"
}

# rag_check_conn_log USER: the connection log (issue 3, deliverable 6) has a
# connect and a disconnect row for USER (ragd only).
rag_check_conn_log() {
	gw_is_ragd || return 0
	e2e_wait 10 "connect row" gw_conn_log_has connect "$1" ||
		e2e_fail "no 'connect' row for $1 in the connection log"
	e2e_pass "connection log has a 'connect' row for $1"
	e2e_wait 10 "disconnect row" gw_conn_log_has disconnect "$1" ||
		e2e_fail "no 'disconnect' row for $1 in the connection log"
	e2e_pass "connection log has a 'disconnect' row for $1"
}
_rag_gw_clean() {
	! gw_has_ike_sa && [ "$(xf_count gw)" -eq 0 ] && [ "$(xf_policies gw)" -eq 0 ] &&
	# ragd's routes (kern.h KERN_RTPROT): none per client; the pool's
	# unreachable route stays while ragd runs
	{ ! gw_is_ragd || [ -z "$(ip -n gw route show proto 82 | grep -v '^unreachable ')" ]; }
}
_rag_gw_clean_of() {
	! ip -n gw xfrm state | grep -q "^src .*\b$1\b" &&
	! ip -n gw xfrm policy | grep -q "\b$2/32\b" &&
	! ip -n gw route show proto 82 | grep -q "^$2 "
}

# rag_stop_clean: SIGTERM the gateway: exit 0 and nothing left in the kernel.
rag_stop_clean() {
	gw_stop
	if gw_is_ragd; then
		e2e_check "ragd exits 0 on SIGTERM" test "$GW_EXIT" = 0
	fi
	e2e_check "no XFRM state or policy left in the gateway after stop" \
		test "$(xf_count gw)" -eq 0 -a "$(xf_policies gw)" -eq 0
	if gw_is_ragd; then
		e2e_check "no route of ragd's left after stop" \
			test -z "$(ip -n gw route show proto 82; ip -n gw -6 route show proto 82)"
	fi
}

# ---- PKI ----------------------------------------------------------------------------------

# rag_pki_rsa_chain DIR ID [SAN...]: an all-RSA-2048 PKI with two
# intermediate CAs: root (DIR/root.crt, the client's trust anchor) ->
# inter1 -> inter2 -> server (CN=ID, SANs ID + SAN..., EKU serverAuth +
# ikeIntermediate).  DIR/server-chain.crt = server, inter2, inter1: the
# gateway sends three certificates (RFC 7296 3.6).  DIR/server.key is 0600.
rag_pki_rsa_chain() {
	local d=$1 id=$2 s san=() n prev
	shift 2
	for s in "$id" "$@"; do san+=(--san "$s"); done
	mkdir -p "$d"
	printf 'pki {\n  load = %s\n}\n' "$_SS_PKI_PLUGINS" > "$E2E_WORK/pki.conf"
	for n in root inter1 inter2 server; do
		_ss_pki --gen --type rsa --size 2048 --outform pem > "$d/$n.key"
	done
	_ss_pki --self --ca --lifetime 3650 --in "$d/root.key" --dn "CN=rag e2e RSA root" \
		--outform pem > "$d/root.crt"
	prev=root
	for n in inter1 inter2; do
		_ss_pki --issue --cacert "$d/$prev.crt" --cakey "$d/$prev.key" --in "$d/$n.key" \
			--type priv --ca --dn "CN=rag e2e RSA $n" --lifetime 1825 --outform pem > "$d/$n.crt"
		prev=$n
	done
	_ss_pki --issue --cacert "$d/inter2.crt" --cakey "$d/inter2.key" --in "$d/server.key" \
		--type priv --dn "CN=$id" "${san[@]}" --flag serverAuth --flag ikeIntermediate \
		--lifetime 730 --outform pem > "$d/server.crt"
	cat "$d/server.crt" "$d/inter2.crt" "$d/inter1.crt" > "$d/server-chain.crt"
	chmod 600 "$d"/*.key
}

# ---- traffic during events -------------------------------------------------------------

# ping_bg NS COUNT [INTERVAL=0.1]: start a ping from NS to the internal host
# in the background; its output goes to $E2E_WORK/ping-NS.log.
ping_bg() {
	ip netns exec "$1" ping -n -c "$2" -i "${3:-0.1}" -W 1 "$E2E_INT_HOST4" > "$E2E_WORK/ping-$1.log" 2>&1 &
	echo $! > "$E2E_WORK/ping-$1.pid"
}

# ping_lost NS: wait for the background ping of NS and set PING_LOST to
# transmitted - received (9999 when ping printed no summary).  Call it in
# the main shell, not in $(...): only the parent can wait for the ping.
ping_lost() {
	local tx rx
	wait "$(cat "$E2E_WORK/ping-$1.pid")" || true
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$E2E_WORK/ping-$1.log")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$E2E_WORK/ping-$1.log")
	cp "$E2E_WORK/ping-$1.log" "$E2E_ARTIFACTS/ping-$1-$(e2e_now).log" 2>/dev/null || true
	if [ -z "$tx" ] || [ -z "$rx" ]; then
		tail -n 5 "$E2E_WORK/ping-$1.log"
		PING_LOST=9999
		return
	fi
	PING_LOST=$((tx - rx))
}

# xf_spis NS: the sorted SPIs of the XFRM states in NS, one line.
xf_spis() { ip -n "$1" xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' '; }

# cl_ike_spi NAME: the client's current IKE SA SPIs ("spi_i_spi_r").
cl_ike_spi() {
	ss_swanctl "$1" --list-sas 2>/dev/null | sed -n 's/.*ESTABLISHED.*, \(.*\)$/\1/p; s/^ *\([0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r\*\?\).*/\1/p' | head -n1
}
