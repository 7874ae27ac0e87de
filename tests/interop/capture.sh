#!/bin/bash
# capture.sh OUTDIR [SUITE...] — on the HOST (no guest, no kernel ESP needed),
# run strongSwan-to-strongSwan IKEv2 exchanges between two netns for several
# proposal suites and record, per suite, in OUTDIR/SUITE/:
#   capture.pcap     the UDP 500/4500 packets, captured in the responder netns
#   responder.log    the responder's charon log with ike/chd at level 4, which
#                    logs the key material ("shared Diffie Hellman secret",
#                    "SKEYSEED", "Sk_d secret", ..., CHILD_SA keys)
#   initiator.log    the initiator's log (for debugging)
#   meta             suite=, ike=, esp=, auth=, exchanges done
#
# Per suite: IKE_SA_INIT + IKE_AUTH (child "a", no PFS), CREATE_CHILD_SA for
# a second child "b" with PFS, rekey of "a" (no PFS) and of "b" (PFS), a
# rekey of the IKE SA, and INFORMATIONAL deletes on terminate.
#
# ESP data path: the host kernel has XFRM but no ESP, so with the
# kernel-netlink backend every CHILD_SA installation fails and strongSwan
# answers with errors / deletes instead of completing the CREATE_CHILD_SA
# exchanges we want to capture.  Both peers therefore use kernel-libipsec
# (userspace ESP over /dev/net/tun), which makes every exchange complete
# normally.  libipsec only does ESP in UDP, so strongSwan forces UDP
# encapsulation (encap = yes): IKE moves to port 4500 after IKE_SA_INIT and
# the capture contains the non-ESP marker, which the checker must strip.
#
# Exit 0 when every suite's exchanges completed; the checker
# (interop_check) then verifies the captures.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../e2e/lib.sh"
OUTDIR=${1:?usage: capture.sh OUTDIR [SUITE...]}
shift
want="$*"
e2e_begin interop_capture
mkdir -p "$OUTDIR"
OUTDIR=$(realpath "$OUTDIR")
# a full run replaces every earlier capture (no stale suites for the checker)
[ -n "$want" ] || find "$OUTDIR" -mindepth 1 -delete

# name | IKE proposal | ESP proposal (child a) | DH group for PFS (child b) | auth
# auth: cert = certificates both ways; psk = pre-shared key both ways;
#       eap = server certificate + EAP-MSCHAPv2 client with a virtual IP
SUITES="
x25519_gcm16|aes256gcm16-prfsha384-x25519|aes256gcm16|x25519|cert
modp2048|aes128-sha256-modp2048|aes128-sha256|modp2048|psk
legacy_modp1024|aes256-sha1-modp1024|aes256-sha1|modp1024|eap
ecp384|aes192-sha384-ecp384|aes192-sha384|ecp384|cert
ecp521|aes256-sha512-ecp521|aes256-sha512|ecp521|psk
gcm8_ecp256|aes128gcm8-prfsha256-ecp256|aes128gcm8|ecp256|cert
xcbc_modp2048|aes128-aesxcbc-modp2048|aes128-sha256|modp2048|psk
cmac_modp3072|aes128-sha256-prfaescmac-modp3072|aes128-sha1|modp3072|eap
"

command -v tcpdump > /dev/null || e2e_fail "tcpdump missing (Debian package tcpdump)"
[ -c /dev/net/tun ] || e2e_fail "/dev/net/tun missing (kernel-libipsec needs TUN)"

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" resp vpn.test 192.0.2.1
ss_pki_client "$P" init client.test

PSK=interop-psk-0123456789
EAP_SECRET=Alice-Secret-1
R_IP=192.0.2.1
I_IP=192.0.2.2
export SS_BACKEND=libipsec
export SS_PLUGINS_EXTRA="xcbc cmac aes sha1 sha2 hmac gcm chapoly curve25519 gmp"
export SS_LOG="default = 1, ike = 4, chd = 4, cfg = 2, enc = 1, net = 1, knl = 1"
# libipsec's TUN devices need no routes into the tunnel for this test
export SS_CHARON_EXTRA="retransmit_tries = 3"

# conf_pair SUITE IKE ESP PFS AUTH: write both swanctl.conf files
conf_pair() {
	local s=$1 ike=$2 esp=$3 pfs=$4 auth=$5 R I rl il rem_i loc_i secrets_r secrets_i
	R=$(ss_dir "r-$s")
	I=$(ss_dir "i-$s")
	cp "$P/ca.crt" "$R/swanctl/x509ca/"
	cp "$P/ca.crt" "$I/swanctl/x509ca/"
	secrets_r=""
	secrets_i=""
	case $auth in
	cert)
		cp "$P/resp.crt" "$R/swanctl/x509/"; cp "$P/resp.key" "$R/swanctl/ecdsa/"
		cp "$P/init.crt" "$I/swanctl/x509/"; cp "$P/init.key" "$I/swanctl/ecdsa/"
		rl="auth = pubkey
      certs = resp.crt
      id = vpn.test"
		rem_i="auth = pubkey
      id = client.test"
		loc_i="auth = pubkey
      certs = init.crt
      id = client.test"
		il="auth = pubkey
      id = vpn.test"
		;;
	psk)
		rl="auth = psk
      id = vpn.test"
		rem_i="auth = psk
      id = client.test"
		loc_i=$rem_i
		il=$rl
		secrets_r="ike-1 {
    id-1 = vpn.test
    id-2 = client.test
    secret = \"$PSK\"
  }"
		secrets_i=$secrets_r
		;;
	eap)
		cp "$P/resp.crt" "$R/swanctl/x509/"; cp "$P/resp.key" "$R/swanctl/ecdsa/"
		rl="auth = pubkey
      certs = resp.crt
      id = vpn.test"
		rem_i="auth = eap-mschapv2
      eap_id = %any"
		loc_i="auth = eap-mschapv2
      id = alice
      eap_id = alice"
		il="auth = pubkey
      id = vpn.test"
		secrets_r="eap-alice {
    id = alice
    secret = \"$EAP_SECRET\"
  }"
		secrets_i=$secrets_r
		;;
	esac
	# inner addresses: a vIP from the pool with EAP, else a subnet that is
	# not the initiator's own address (libipsec routes the peer's TS into
	# its TUN device; routing the peer's IKE address there would fail)
	local vip_r="" vip_i="" rts="remote_ts = 203.0.113.0/24" lts="local_ts = 203.0.113.0/24"
	if [ "$auth" = eap ]; then
		vip_r="pools = pool4"
		vip_i="vips = 0.0.0.0"
		rts=""
		lts=""
	fi
	cat > "$R/swanctl/swanctl.conf" <<EOF
connections {
  ia {
    version = 2
    local_addrs = $R_IP
    proposals = $ike
    encap = yes
    $vip_r
    local {
      $rl
    }
    remote {
      $rem_i
    }
    children {
      a {
        local_ts = 198.51.100.0/24
        $rts
        esp_proposals = $esp
      }
      b {
        local_ts = 198.51.101.0/24
        $rts
        esp_proposals = $esp-$pfs
      }
    }
  }
}
pools {
  pool4 {
    addrs = 10.200.0.0/24
  }
}
secrets {
  $secrets_r
}
EOF
	cat > "$I/swanctl/swanctl.conf" <<EOF
connections {
  ia {
    version = 2
    remote_addrs = $R_IP
    local_addrs = $I_IP
    proposals = $ike
    encap = yes
    $vip_i
    local {
      $loc_i
    }
    remote {
      $il
    }
    children {
      a {
        remote_ts = 198.51.100.0/24
        $lts
        esp_proposals = $esp
      }
      b {
        remote_ts = 198.51.101.0/24
        $lts
        esp_proposals = $esp-$pfs
      }
    }
  }
}
secrets {
  $secrets_i
}
EOF
}

# step DESC SWANCTL-ARGS...: one exchange driven from the initiator
step() {
	local desc=$1
	shift
	if ! ss_swanctl "i-$S" "$@" >> "$D/swanctl.log" 2>&1; then
		tail -n 20 "$D/swanctl.log"
		tail -n 40 "$(ss_dir "r-$S")/charon.log"
		e2e_fail "$S: $desc (swanctl $*)"
	fi
	echo "  $desc" >> "$D/meta"
}

# n_ccs: CREATE_CHILD_SA responses the responder has sent so far
n_ccs() { grep -c 'generating CREATE_CHILD_SA response' "$(ss_dir "r-$S")/charon.log" || true; }
ccs_more_than() { [ "$(n_ccs)" -gt "$1" ]; }

# rekey DESC SWANCTL-ARGS...: --rekey only queues the job; wait for the
# responder's CREATE_CHILD_SA response and the old SA's delete
rekey() {
	local desc=$1 before
	shift
	before=$(n_ccs)
	step "$desc" --rekey "$@"
	e2e_wait 20 "$desc" ccs_more_than "$before" || e2e_fail "$S: $desc never answered"
	sleep 0.3
}

ran=0
while IFS='|' read -r S IKE ESP PFS AUTH; do
	[ -n "$S" ] || continue
	if [ -n "$want" ] && ! [[ " $want " == *" $S "* ]]; then continue; fi
	t=$(e2e_now)
	D=$OUTDIR/$S
	rm -rf "$D"
	mkdir -p "$D"
	printf 'suite=%s\nike=%s\nesp=%s\npfs=%s\nauth=%s\n' "$S" "$IKE" "$ESP" "$PFS" "$AUTH" > "$D/meta"
	# the checker verifies AUTH payloads and the EAP-MSCHAPv2 exchange with these
	case $AUTH in
	psk) echo "psk=$PSK" >> "$D/meta" ;;
	eap) printf 'eap_user=alice\neap_secret=%s\n' "$EAP_SECRET" >> "$D/meta" ;;
	esac
	e2e_netns "ir-$S"
	e2e_netns "ii-$S"
	e2e_veth "ir-$S" eth0 "ii-$S" eth0
	ip -n "ir-$S" addr add $R_IP/24 dev eth0
	ip -n "ii-$S" addr add $I_IP/24 dev eth0
	# inner addresses inside the traffic selectors: kernel-libipsec needs a
	# local source address for the route it installs into its TUN device
	ip -n "ir-$S" addr add 198.51.100.1/32 dev lo
	ip -n "ir-$S" addr add 198.51.101.1/32 dev lo
	ip -n "ii-$S" addr add 203.0.113.1/32 dev lo
	ss_instance "r-$S" "ir-$S"
	ss_instance "i-$S" "ii-$S"
	conf_pair "$S" "$IKE" "$ESP" "$PFS" "$AUTH"
	# capture in the responder's netns; -U: write each packet at once
	ip netns exec "ir-$S" tcpdump -i eth0 --immediate-mode -U -s 0 -w "$D/capture.pcap" \
		'udp port 500 or udp port 4500' > "$D/tcpdump.log" 2>&1 &
	tcpdump_pid=$!
	e2e_at_exit "kill $tcpdump_pid"
	e2e_wait 10 "tcpdump running" grep -q 'listening on' "$D/tcpdump.log" ||
		e2e_fail "$S: tcpdump did not start"
	ss_start "r-$S"
	ss_start "i-$S"
	ss_load "r-$S"
	ss_load "i-$S"
	echo "exchanges:" >> "$D/meta"
	step "IKE_SA_INIT+IKE_AUTH (child a)" --initiate --child a --timeout 30
	# some ESP-in-UDP traffic, so the capture also holds packets the checker
	# must tell apart from IKE (non-zero marker, RFC 3948 2.2)
	if ip netns exec "ii-$S" ping -c 2 -i 0.2 -W 2 198.51.100.1 > "$D/ping.log" 2>&1; then
		echo "  ESP-in-UDP ping ok" >> "$D/meta"
	else
		echo "  ESP-in-UDP ping failed (not fatal)" >> "$D/meta"
	fi
	step "CREATE_CHILD_SA new child b with PFS ($PFS)" --initiate --child b --timeout 30
	rekey "CREATE_CHILD_SA rekey child a (no PFS)" --child a
	rekey "CREATE_CHILD_SA rekey child b (PFS)" --child b
	rekey "CREATE_CHILD_SA rekey IKE SA" --ike ia
	step "INFORMATIONAL delete (terminate)" --terminate --ike ia --timeout 30
	e2e_wait 10 "responder SA gone" ss_no_sa "r-$S" || e2e_fail "$S: responder kept its SA"
	sleep 0.5
	ss_stop "i-$S"
	ss_stop "r-$S"
	kill -INT $tcpdump_pid
	wait $tcpdump_pid 2> /dev/null || true
	cp "$(ss_dir "r-$S")/charon.log" "$D/responder.log"
	cp "$(ss_dir "i-$S")/charon.log" "$D/initiator.log"
	n=$(tcpdump -r "$D/capture.pcap" 2> /dev/null | wc -l)
	[ "$n" -ge 12 ] || e2e_fail "$S: only $n packets captured"
	grep -q 'Sk_d secret' "$D/responder.log" || e2e_fail "$S: no key material in the responder log"
	ip netns del "ir-$S"
	ip netns del "ii-$S"
	e2e_pass "$S: captured $n packets ($IKE, $AUTH) in $(e2e_since "$t")s"
	ran=$((ran + 1))
done <<< "$SUITES"
[ "$ran" -gt 0 ] || e2e_fail "no suite matched '$want'"
e2e_finish
