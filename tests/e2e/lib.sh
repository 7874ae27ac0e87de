# lib.sh — shell library for rag's end-to-end scripts (bash).  Source it:
#     . "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
# It works inside the QEMU guest (tests/e2e/guest/run-guest.sh, real kernel
# ESP) and on the host (tests/interop, no kernel ESP: use SS_BACKEND=libipsec).
#
#   reporting     e2e_begin, e2e_log, e2e_pass, e2e_fail, e2e_check, e2e_finish
#   time          e2e_now, e2e_since T, e2e_wait TIMEOUT DESC CMD...
#   cleanup       e2e_at_exit CMD (LIFO, runs on any exit, also on failure)
#   kernel        e2e_modprobe MOD..., e2e_xfrm_warmup
#   topology      e2e_netns, e2e_veth, e2e_topo_gateway, e2e_topo_client,
#                 e2e_topo_internal (addresses in the E2E_* variables below)
#   strongSwan    ss_pki_ca, ss_pki_server, ss_pki_client, ss_instance,
#                 ss_start, ss_stop, ss_swanctl, ss_load, ss_conf_eap_client,
#                 ss_wait_sa, ss_no_sa
#
# Every function returns non-zero (or calls e2e_fail) on error; scripts run
# with `set -euo pipefail` (e2e_begin sets it).  Output lines start with
# "e2e[" or "e2e:" so run-guest.sh can show them on success.

# ---- addressing plan (RFC 5737 documentation ranges; all inside our netns) ----
E2E_WAN4_NET=192.0.2.0/24	# "internet" between clients and the gateway
E2E_GW_WAN4=192.0.2.1
E2E_WAN6_PREFIX=2001:db8:0:1
E2E_GW_WAN6=2001:db8:0:1::1
E2E_INT4_NET=198.51.100.0/24	# network behind the gateway
E2E_GW_INT4=198.51.100.1
E2E_INT_HOST4=198.51.100.10
E2E_INT6_NET=2001:db8:0:2::/64
E2E_GW_INT6=2001:db8:0:2::1
E2E_INT_HOST6=2001:db8:0:2::10
E2E_POOL4=10.200.0.0/24	# virtual IP pool handed to clients
E2E_POOL6=fd00:200::/120

_E2E_CLEANUP=()
_E2E_PASSED=0
_E2E_NAME=${RAG_E2E_NAME:-$(basename "$0" .sh)}
_E2E_T0=

# e2e_now: seconds since boot (guest) or epoch (host), with decimals.
e2e_now() { cut -d' ' -f1 /proc/uptime; }

# e2e_since T: seconds elapsed since e2e_now returned T, one decimal.
e2e_since() { awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

# e2e_log MSG...: one tagged line with the time since e2e_begin.
e2e_log() { echo "e2e[+$(e2e_since "${_E2E_T0:-0}")s]: $*"; }

# e2e_at_exit CMD: run CMD (a string for eval) at exit, most recent first.
e2e_at_exit() { _E2E_CLEANUP+=("$1"); }

_e2e_exit_trap() {
	local rc=$? i
	set +e
	for ((i = ${#_E2E_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${_E2E_CLEANUP[i]}" > /dev/null 2>&1
	done
	_E2E_CLEANUP=()
	return $rc
}

# e2e_begin [NAME]: strict mode, work dir, exit trap, start the clock.
# E2E_WORK: scratch dir for this script (removed at exit unless E2E_KEEP=1).
# E2E_ARTIFACTS: where logs worth keeping go (the results share in the guest).
e2e_begin() {
	set -euo pipefail
	[ -n "${1:-}" ] && _E2E_NAME=$1
	_E2E_T0=$(e2e_now)
	E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/rag-e2e-$_E2E_NAME.XXXXXX")
	E2E_ARTIFACTS=${RAG_E2E_OUT:-$E2E_WORK}
	[ -n "${E2E_KEEP:-}" ] || e2e_at_exit "rm -rf '$E2E_WORK'"
	trap _e2e_exit_trap EXIT
	trap 'exit 130' INT TERM
	[ -n "${XTRACE:-}" ] && { PS4='+[$(e2e_now)] '; set -x; }
	e2e_log "begin $_E2E_NAME on $(uname -r), work dir $E2E_WORK"
}

# e2e_pass DESC: report one passed check.
e2e_pass() {
	_E2E_PASSED=$((_E2E_PASSED + 1))
	e2e_log "PASS: $*"
}

# e2e_fail DESC: report failure, run the E2E_DIAG hook (a function name) if
# set, and exit 1 (cleanup runs from the trap).
e2e_fail() {
	e2e_log "FAIL: $*"
	if [ -n "${E2E_DIAG:-}" ]; then
		echo "----- diagnostics ($E2E_DIAG) -----"
		"$E2E_DIAG" 2>&1 || true
		echo "----- end of diagnostics -----"
	fi
	echo "e2e: $_E2E_NAME: $_E2E_PASSED passed, 1 failed"
	exit 1
}

# e2e_check DESC CMD...: run CMD; PASS when it succeeds, else FAIL with its output.
e2e_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		e2e_pass "$desc"
	else
		printf '%s\n' "$out" | tail -n 40
		e2e_fail "$desc (command: $*)"
	fi
}

# e2e_finish: print the closing summary and exit 0.  A script that checked
# nothing fails: a test that cannot fail is a bug.
e2e_finish() {
	[ "$_E2E_PASSED" -gt 0 ] || e2e_fail "no check was made"
	e2e_log "done in $(e2e_since "$_E2E_T0")s"
	echo "e2e: $_E2E_NAME: $_E2E_PASSED passed, 0 failed"
	exit 0
}

# e2e_wait TIMEOUT DESC CMD...: poll CMD every 0.1 s until it succeeds;
# returns 0, or 1 after TIMEOUT seconds (the caller decides whether to fail).
e2e_wait() {
	local timeout=$1 desc=$2 t
	shift 2
	t=$(e2e_now)
	while ! "$@" > /dev/null 2>&1; do
		if awk -v a="$t" -v b="$(e2e_now)" -v m="$timeout" 'BEGIN { exit !(b - a > m) }'; then
			e2e_log "timeout after ${timeout}s waiting for $desc"
			return 1
		fi
		sleep 0.1
	done
}

# e2e_modprobe MOD...: load modules (guest kernel); fails on the first that
# cannot be loaded.  On the host (no loadable modules) only call it for
# modules that are built in.
e2e_modprobe() {
	local m
	for m in "$@"; do
		[ -d "/sys/module/$m" ] || modprobe "$m" || e2e_fail "modprobe $m"
	done
}

# e2e_xfrm_warmup: add and delete one AES-GCM and one CBC/HMAC ESP SA in a
# scratch netns, so that the crypto template set-up (≈2 s under TCG) is not
# charged to the first handshake that a test times.
e2e_xfrm_warmup() {
	local k20=0x0102030405060708090a0b0c0d0e0f1011121314
	local k16=0x0102030405060708090a0b0c0d0e0f10
	local k32=0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
	ip netns add e2e-warmup
	ip -n e2e-warmup xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 \
		mode tunnel aead 'rfc4106(gcm(aes))' $k20 128
	ip -n e2e-warmup xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x101 \
		mode tunnel enc 'cbc(aes)' $k16 auth-trunc 'hmac(sha256)' $k32 128
	ip netns del e2e-warmup
}

# ---- topology -----------------------------------------------------------------------

# e2e_netns NAME: create a netns with lo up; deleted at exit.
e2e_netns() {
	ip netns add "$1"
	e2e_at_exit "ip netns del '$1'"
	ip -n "$1" link set lo up
	# no duplicate address detection delays for the documentation prefixes
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 || true
}

# e2e_veth NS1 IF1 NS2 IF2: a veth pair between two netns, both ends up.
e2e_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

_e2e_wan() {
	[ -e /run/netns/wan ] && return 0
	e2e_netns wan
	ip -n wan link add br0 type bridge
	ip -n wan link set br0 up
}

# e2e_topo_gateway [NS=gw]: the gateway netns, eth0 on the "wan" bridge with
# E2E_GW_WAN4 / E2E_GW_WAN6, forwarding on.
e2e_topo_gateway() {
	local ns=${1:-gw}
	_e2e_wan
	e2e_netns "$ns"
	e2e_veth "$ns" eth0 wan "p-$ns"
	ip -n wan link set "p-$ns" master br0
	ip -n "$ns" addr add "$E2E_GW_WAN4/24" dev eth0
	ip -n "$ns" addr add "$E2E_GW_WAN6/64" dev eth0 nodad
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# e2e_topo_client NS IDX: a client netns on the wan bridge with
# 192.0.2.(10+IDX) and 2001:db8:0:1::(10+IDX) (IDX 1..200).
e2e_topo_client() {
	local ns=$1 idx=$2
	_e2e_wan
	e2e_netns "$ns"
	e2e_veth "$ns" eth0 wan "p-$ns"
	ip -n wan link set "p-$ns" master br0
	ip -n "$ns" addr add "192.0.2.$((10 + idx))/24" dev eth0
	ip -n "$ns" addr add "$E2E_WAN6_PREFIX::$((10 + idx))/64" dev eth0 nodad
}

# e2e_client_ip4 IDX: the IPv4 address e2e_topo_client gives client IDX.
e2e_client_ip4() { echo "192.0.2.$((10 + $1))"; }

# e2e_topo_internal [NS=int] [GW=gw]: a host behind the gateway:
# GW:eth1 = E2E_GW_INT4/6, NS:eth0 = E2E_INT_HOST4/6, default route via GW.
e2e_topo_internal() {
	local ns=${1:-int} gw=${2:-gw}
	e2e_netns "$ns"
	e2e_veth "$gw" eth1 "$ns" eth0
	ip -n "$gw" addr add "$E2E_GW_INT4/24" dev eth1
	ip -n "$gw" addr add "$E2E_GW_INT6/64" dev eth1 nodad
	ip -n "$ns" addr add "$E2E_INT_HOST4/24" dev eth0
	ip -n "$ns" addr add "$E2E_INT_HOST6/64" dev eth0 nodad
	ip -n "$ns" route add default via "$E2E_GW_INT4"
	ip -n "$ns" -6 route add default via "$E2E_GW_INT6"
}

# ---- strongSwan ----------------------------------------------------------------------
# Instances live in $E2E_WORK/ss/NAME: strongswan.conf, swanctl/ (the usual
# credential dirs), charon.vici (control socket), charon.log (file log).

SS_DAEMON=${SS_DAEMON:-/usr/sbin/charon-systemd}
_SS_PKI_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 constraints"

_ss_pki() {
	STRONGSWAN_CONF=$E2E_WORK/pki.conf pki "$@"
}

# ss_pki_ca DIR: ECDSA P-256 CA in DIR/ca.key, DIR/ca.crt (quick under TCG).
ss_pki_ca() {
	local d=$1
	mkdir -p "$d"
	printf 'pki {\n  load = %s\n}\n' "$_SS_PKI_PLUGINS" > "$E2E_WORK/pki.conf"
	_ss_pki --gen --type ecdsa --size 256 --outform pem > "$d/ca.key"
	_ss_pki --self --ca --lifetime 3650 --in "$d/ca.key" --dn "CN=rag e2e CA" \
		--outform pem > "$d/ca.crt"
}

# ss_pki_server DIR NAME ID [SAN...]: server key/cert DIR/NAME.{key,crt}
# signed by DIR/ca, CN=ID, SANs ID and the extra SANs, serverAuth +
# ikeIntermediate (what Windows and macOS insist on).
ss_pki_server() {
	local d=$1 n=$2 id=$3 san=()
	shift 3
	for s in "$id" "$@"; do san+=(--san "$s"); done
	_ss_pki --gen --type ecdsa --size 256 --outform pem > "$d/$n.key"
	_ss_pki --issue --cacert "$d/ca.crt" --cakey "$d/ca.key" --in "$d/$n.key" --type priv \
		--dn "CN=$id" "${san[@]}" --flag serverAuth --flag ikeIntermediate \
		--lifetime 365 --outform pem > "$d/$n.crt"
}

# ss_pki_client DIR NAME ID: client key/cert (clientAuth, SAN = ID).
ss_pki_client() {
	local d=$1 n=$2 id=$3
	_ss_pki --gen --type ecdsa --size 256 --outform pem > "$d/$n.key"
	_ss_pki --issue --cacert "$d/ca.crt" --cakey "$d/ca.key" --in "$d/$n.key" --type priv \
		--dn "CN=$id" --san "$id" --flag clientAuth --lifetime 365 --outform pem > "$d/$n.crt"
}

# ss_dir NAME: the instance directory.
ss_dir() { echo "$E2E_WORK/ss/$1"; }

# ss_instance NAME NETNS: write the instance's strongswan.conf.
#   SS_BACKEND        netlink (kernel ESP, default) | libipsec (userspace ESP
#                     over TUN, forces UDP encapsulation; for hosts without ESP)
#   SS_PLUGINS_EXTRA  more charon plugins
#   SS_LOG            filelog levels, default "default = 1, ike = 2, cfg = 2"
#                     (comma separated key = level; ike = 4 logs key material)
#   SS_CHARON_EXTRA   more lines inside charon { }
# The swanctl.conf goes to $(ss_dir NAME)/swanctl/swanctl.conf (the caller
# writes it, or uses ss_conf_eap_client).
ss_instance() {
	local n=$1 ns=$2 d k
	d=$(ss_dir "$n")
	mkdir -p "$d"/swanctl/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
	echo "$ns" > "$d/netns"
	case ${SS_BACKEND:-netlink} in
	netlink) k="kernel-netlink" ;;
	libipsec) k="kernel-libipsec kernel-netlink" ;;
	*) e2e_fail "ss_instance: unknown SS_BACKEND ${SS_BACKEND}" ;;
	esac
	cat > "$d/strongswan.conf" <<EOF
charon {
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 revocation constraints pubkey $k socket-default vici updown eap-identity eap-mschapv2 attr ${SS_PLUGINS_EXTRA:-}
  install_virtual_ip = yes
  ${SS_CHARON_EXTRA:-}
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
  }
  filelog {
    main {
      path = $d/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      $(printf '%s\n' "${SS_LOG:-default = 1, ike = 2, cfg = 2}" | tr ',' '\n')
    }
  }
}
charon-systemd {
  journal {
    default = -1
  }
}
swanctl {
  load = random nonce openssl pem pkcs1 pkcs8 x509
}
EOF
}

# ss_start NAME: run charon-systemd in the foreground in the instance's
# netns (no pid file, so any number of instances), wait up to 60 s for its
# vici socket; stopped at exit.
ss_start() {
	local n=$1 d ns
	d=$(ss_dir "$n")
	ns=$(cat "$d/netns")
	rm -f "$d/charon.vici"
	ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" "$SS_DAEMON" > "$d/stdout" 2>&1 &
	echo $! > "$d/pid"
	e2e_at_exit "ss_stop '$n'"
	if ! e2e_wait 60 "$n vici socket" test -S "$d/charon.vici"; then
		cat "$d/stdout" "$d/charon.log" 2>/dev/null | tail -n 40
		e2e_fail "strongSwan instance $n did not start"
	fi
}

# ss_stop NAME: SIGTERM the instance and wait for it (at most 20 s, then KILL).
ss_stop() {
	local d pid i
	d=$(ss_dir "$1")
	[ -f "$d/pid" ] || return 0
	pid=$(cat "$d/pid")
	rm -f "$d/pid"
	kill "$pid" 2> /dev/null || return 0
	for i in $(seq 200); do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
}

# ss_swanctl NAME ARGS...: swanctl against the instance's vici socket.
ss_swanctl() {
	local d
	d=$(ss_dir "$1")
	shift
	STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d/swanctl" \
		swanctl "$@" --uri "unix://$d/charon.vici"
}

# ss_load NAME: swanctl --load-all (conns, pools, credentials); fails loudly.
ss_load() {
	local d
	d=$(ss_dir "$1")
	ss_swanctl "$1" --load-all > "$d/load.log" 2>&1 ||
		{ cat "$d/load.log"; e2e_fail "swanctl --load-all for $1"; }
}

# ss_wait_sa NAME TIMEOUT: wait until the instance has an ESTABLISHED IKE SA.
ss_wait_sa() { e2e_wait "$2" "IKE SA on $1" _ss_has_established "$1"; }
_ss_has_established() { ss_swanctl "$1" --list-sas 2>/dev/null | grep -q ESTABLISHED; }

# ss_no_sa NAME: succeeds when the instance has no IKE SA at all.
ss_no_sa() { ! ss_swanctl "$1" --list-sas 2>/dev/null | grep -q 'IKEv2'; }

# ss_conf_eap_client NAME PROFILE SERVER SERVER_ID USER PASSWORD CA_FILE:
# swanctl.conf of a road-warrior client (EAP-MSCHAPv2, server cert, virtual
# IPv4, remote_ts = E2E_INT4_NET) connection "home", child "home".
# PROFILE picks the proposals a platform's native client sends (approximate
# defaults of the built-in clients; override with SS_IKE / SS_ESP):
#   windows   aes256-sha1-modp1024 ... (Windows 10/11 without policy tweaks)
#   apple     aes256-sha256-modp2048   (iOS/macOS profile defaults)
#   android   aes256gcm16-prfsha256-x25519 ... (Android 11+ native IKEv2)
#   default   strongSwan's default proposals
ss_conf_eap_client() {
	local n=$1 prof=$2 server=$3 sid=$4 user=$5 pw=$6 ca=$7 d ike esp
	d=$(ss_dir "$n")
	case $prof in
	windows) ike="aes256-sha1-modp1024,aes256-sha256-modp1024,3des-sha1-modp1024"; esp="aes256-sha1,3des-sha1" ;;
	apple) ike="aes256-sha256-modp2048"; esp="aes256-sha256" ;;
	android) ike="aes256gcm16-prfsha256-x25519,aes128-sha256-ecp256"; esp="aes256gcm16,aes128-sha256" ;;
	default) ike=default; esp=default ;;
	*) e2e_fail "ss_conf_eap_client: unknown profile $prof" ;;
	esac
	ike=${SS_IKE:-$ike}
	esp=${SS_ESP:-$esp}
	cp "$ca" "$d/swanctl/x509ca/"
	cat > "$d/swanctl/swanctl.conf" <<EOF
connections {
  home {
    version = 2
    remote_addrs = $server
    vips = 0.0.0.0
    proposals = $ike
    local {
      auth = eap-mschapv2
      id = $user
      eap_id = $user
    }
    remote {
      auth = pubkey
      id = $sid
    }
    children {
      home {
        remote_ts = $E2E_INT4_NET
        esp_proposals = $esp
      }
    }
  }
}
secrets {
  eap-user {
    id = $user
    secret = "$pw"
  }
}
EOF
}

# ---- kernel SA inspection ------------------------------------------------------------

# e2e_xfrm_count NS: number of XFRM states in NS.
e2e_xfrm_count() { ip -n "$1" xfrm state | grep -c '^src ' || true; }

# e2e_xfrm_min_bytes NS: the smallest "current bytes" counter over all
# states in NS (0 when a state saw no traffic or there is none).
e2e_xfrm_min_bytes() {
	ip -n "$1" -s xfrm state |
		awk '/lifetime current:/ { cur = 1; next }
		     cur && /\(bytes\)/ { sub(/\(bytes\).*/, ""); v = $1 + 0;
		                          if (!seen || v < min) min = v; seen = 1; cur = 0 }
		     END { print seen ? min : 0 }'
}
