#!/bin/bash
# ragd_charon.sh BUILDDIR — host-level integration test of ragd's IKEv2
# responder (issue 3, "ragd runtime" / "Responder exchanges") against a real
# strongSwan initiator, no QEMU guest:
#
#   netns rt-gw-PID: ragd (temp state dir, listen 192.0.2.1, UDP 500/4500 of
#                    its own netns, so nothing on the host is touched)
#   netns rt-c1-PID: charon-systemd, certificate authentication both ways,
#                    asks for a virtual IP; kernel-libipsec backend (this host
#                    kernel has XFRM but no ESP), which forces UDP
#                    encapsulation: IKE moves to 4500 with the non-ESP marker.
#
# Checks: IKE_SA_INIT + IKE_AUTH answered (charon ESTABLISHED, RFC 7296 1.2);
# virtual IP from [pool] (3.15); `rag-ctl status` counts; `sa list` and
# `--json`; the CHILD SA installation failure is reported clearly (no ESP
# here) and the CHILD SA is deleted towards the client (1.4.1); garbage and
# NAT keepalives on both ports are dropped while ragd keeps serving (2.21);
# a second connection with INITIAL_CONTACT replaces the first (2.4);
# `sa kill --id` sends DELETE (charon loses its SA); SIGTERM sends DELETE for
# every IKE SA and ragd exits 0.
#
# Needs root, iproute2, charon-systemd + swanctl + pki, kernel-libipsec
# (/dev/net/tun): missing prerequisites are a FAILURE, never a skip.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:?usage: ragd_charon.sh BUILDDIR}
BUILD=$(cd "$BUILD" && pwd)
. "$HERE/../e2e/lib.sh"
e2e_begin ragd_charon

[ "$(id -u)" = 0 ] || e2e_fail "needs root (network namespaces)"
for p in ip charon-systemd swanctl pki python3; do
	command -v "$p" > /dev/null || [ -x "/usr/sbin/$p" ] || e2e_fail "missing $p"
done
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
	e2e_fail "strongSwan plugin kernel-libipsec missing (libcharon-extra-plugins)"
[ -c /dev/net/tun ] || e2e_fail "/dev/net/tun missing"
RAGD=$BUILD/daemon/ragd
CTL=$BUILD/cli/rag-ctl
[ -x "$RAGD" ] && [ -x "$CTL" ] || e2e_fail "ragd / rag-ctl not built in $BUILD"

GW=rt-gw-$$
C1=rt-c1-$$
e2e_netns "$GW"
e2e_netns "$C1"
ip link add eth0 netns "$GW" type veth peer name eth0 netns "$C1"
ip -n "$GW" link set eth0 up
ip -n "$C1" link set eth0 up
ip -n "$GW" addr add 192.0.2.1/24 dev eth0
ip -n "$C1" addr add 192.0.2.11/24 dev eth0
ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=1

P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test 192.0.2.1
ss_pki_client "$P" client client.test
chmod 600 "$P/server.key"

ST=$E2E_WORK/state
SOCK=$E2E_WORK/ragd.sock
cat > "$E2E_WORK/ragd.conf" <<EOF
[gateway]
listen = 192.0.2.1
id = vpn.test
certificate = $P/server.crt
private-key = $P/server.key
ca = $P/ca.crt
state-dir = $ST
control-socket = $SOCK

[proposals]
ike = aes256gcm16-prfsha384-x25519, aes128-sha256-ecp256
esp = aes256gcm16, aes128-sha256
legacy = yes

[pool]
ipv4 = 10.200.0.0/24
dns = 198.51.100.53
dns-domain = corp.test
split-tunnel = no

[auth]
methods = pubkey, eap-mschapv2
lockout-threshold = 3

[timers]
dpd = 30s
EOF
LOG=$E2E_ARTIFACTS/ragd.log
ctl() { "$CTL" --socket "$SOCK" "$@"; }
ip netns exec "$GW" "$RAGD" -c "$E2E_WORK/ragd.conf" -v > "$LOG" 2>&1 &
RAGD_PID=$!
e2e_at_exit "kill -9 $RAGD_PID"
ragd_diag() { echo "--- ragd.log"; tail -n 60 "$LOG"; echo "--- charon.log"; tail -n 60 "$(ss_dir c1)/charon.log"; }
E2E_DIAG=ragd_diag
e2e_wait 30 "ragd ready" grep -q "ready" "$LOG" || e2e_fail "ragd did not start"
e2e_check "ragd listens on UDP 500 and 4500" \
	bash -c "ip netns exec $GW ss -uln | grep -q '192.0.2.1:500 ' && ip netns exec $GW ss -uln | grep -q '192.0.2.1:4500 '"

# the client
SS_BACKEND=libipsec ss_instance c1 "$C1"
D=$(ss_dir c1)
cp "$P/ca.crt" "$D/swanctl/x509ca/"
cp "$P/client.crt" "$D/swanctl/x509/"
cp "$P/client.key" "$D/swanctl/ecdsa/"
cat > "$D/swanctl/swanctl.conf" <<EOF
connections {
  rag {
    version = 2
    remote_addrs = 192.0.2.1
    vips = 0.0.0.0
    proposals = aes256gcm16-prfsha384-x25519
    encap = yes
    dpd_delay = 0
    local {
      auth = pubkey
      certs = client.crt
      id = client.test
    }
    remote {
      auth = pubkey
      id = vpn.test
    }
    children {
      rag {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256gcm16
      }
    }
  }
  win {
    # Windows' built-in client (CLIENTS.md): legacy proposals, EAP-MSCHAPv2
    # after an EAP-Identity round, IDi = its IP address, no IDr
    version = 2
    remote_addrs = 192.0.2.1
    vips = 0.0.0.0
    proposals = aes256-sha1-modp1024
    encap = yes
    dpd_delay = 0
    local {
      auth = eap-mschapv2
      id = 192.0.2.11
      eap_id = alice
    }
    remote {
      auth = pubkey
      id = %any
    }
    children {
      win {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256-sha1
      }
    }
  }
  bad {
    version = 2
    remote_addrs = 192.0.2.1
    vips = 0.0.0.0
    proposals = aes256-sha1-modp1024
    encap = yes
    local {
      auth = eap-mschapv2
      id = 192.0.2.11
      eap_id = bob
    }
    remote {
      auth = pubkey
      id = vpn.test
    }
    children {
      bad {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256-sha1
      }
    }
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "Correct Horse 1"
  }
  eap-bob {
    id = bob
    secret = "not bob's password"
  }
}
EOF
ss_start c1
ss_load c1

# garbage first: short datagrams, a bogus IKE header, NAT keepalives, ESP
garbage() {
	ip netns exec "$C1" python3 - <<'PY'
import socket, os
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in (b"", b"\x00", b"\xff", b"\x00\x00\x00\x00", os.urandom(27), os.urandom(200),
              b"\x00" * 4 + os.urandom(64), b"\x00" * 36):
        for _ in range(50):
            s.sendto(p, ("192.0.2.1", port))
PY
}
garbage
e2e_check "ragd survives garbage on both ports" kill -0 $RAGD_PID

ss_swanctl c1 --initiate --ike rag --child rag > "$D/initiate.log" 2>&1 || true
ss_wait_sa c1 20 || { cat "$D/initiate.log"; e2e_fail "IKE SA not established"; }
e2e_pass "strongSwan initiator: IKE_SA_INIT + IKE_AUTH answered by ragd (ESTABLISHED)"
e2e_check "virtual IP from the pool (CP, RFC 7296 3.15)" \
	grep -q "installing new virtual IP 10.200.0.2" "$D/charon.log"
e2e_check "DNS server and domain in the CP reply" \
	grep -q "processing INTERNAL_DNS_DOMAIN attribute" "$D/charon.log"
e2e_check "ragd logs the IKE SA with user and virtual IP" \
	grep -q "'client.test'.*IKE SA established (pubkey, aes256gcm16-prfsha384-x25519, virtual IP 10.200.0.2)" "$LOG"
e2e_check "ragd reports the CHILD SA it could not install (no ESP in this kernel)" \
	e2e_wait 10 "kernel failure line" grep -q "NOT installed in the kernel" "$LOG"
e2e_check "the uninstallable CHILD SA is deleted towards the client" \
	e2e_wait 10 "child deleted" bash -c "! STRONGSWAN_CONF=$D/strongswan.conf swanctl --list-sas --uri unix://$D/charon.vici | grep -q INSTALLED"
e2e_check "rag-ctl status counts 1 IKE SA" bash -c "'$CTL' --socket '$SOCK' status | grep -qx 'ike-sas: 1'"
ctl sa list > "$E2E_WORK/list.txt"
e2e_check "rag-ctl sa list shows the SA" grep -q "user=client.test state=established remote=192.0.2.11:4500 .*vip=10.200.0.2 algs=aes256gcm16-prfsha384-x25519" "$E2E_WORK/list.txt"
ctl sa list --json > "$E2E_WORK/list.json"
e2e_check "rag-ctl sa list --json is one JSON array" python3 -c "
import json,sys; a=json.load(open('$E2E_WORK/list.json')); assert len(a)==1 and a[0]['user']=='client.test' and a[0]['vip']=='10.200.0.2', a"
e2e_check "rag-ctl sa list --user other is empty" bash -c "[ -z \"\$('$CTL' --socket '$SOCK' sa list --user nobody)\" ]"
garbage
e2e_check "garbage while an SA is up does not disturb ragd" \
	bash -c "kill -0 $RAGD_PID && '$CTL' --socket '$SOCK' status | grep -qx 'ike-sas: 1'"

# the client crashes (SIGKILL: no DELETE) and comes back with
# INITIAL_CONTACT, which replaces the old SA (2.4)
kill -9 "$(cat "$D/pid")"
wait "$(cat "$D/pid")" 2> /dev/null || true
rm -f "$D/pid"
ss_start c1
ss_load c1
ss_swanctl c1 --initiate --ike rag --child rag > "$D/initiate2.log" 2>&1 || true
ss_wait_sa c1 20 || e2e_fail "second IKE SA not established"
e2e_check "INITIAL_CONTACT removed the old SA of client.test" \
	e2e_wait 10 "old SA removed" grep -q "removed: INITIAL_CONTACT" "$LOG"
e2e_check "still exactly 1 IKE SA" bash -c "'$CTL' --socket '$SOCK' status | grep -qx 'ike-sas: 1'"
e2e_check "the same virtual IP again for the same identity (sticky pool)" \
	bash -c "'$CTL' --socket '$SOCK' sa list | grep -q 'vip=10.200.0.2 '"

ID=$(ctl sa list | sed -n 's/^id=\([0-9]*\) .*/\1/p' | head -n1)
e2e_check "rag-ctl sa kill --id $ID" ctl sa kill --id "$ID"
e2e_check "the client saw the DELETE (no IKE SA left)" e2e_wait 10 "client SA gone" ss_no_sa c1
e2e_check "rag-ctl status counts 0 IKE SAs" bash -c "'$CTL' --socket '$SOCK' status | grep -qx 'ike-sas: 0'"
e2e_check "sa kill of an unknown id is refused" bash -c "! '$CTL' --socket '$SOCK' sa kill --id 999999"

# EAP-MSCHAPv2 users (Windows profile: legacy proposals, IDi = IP, no IDr)
printf 'Correct Horse 1' | ctl user add alice --password-stdin > /dev/null || e2e_fail "user add alice"
printf 'bobs-password' | ctl user add bob --password-stdin > /dev/null || e2e_fail "user add bob"
ss_swanctl c1 --initiate --ike win --child win > "$D/initiate-win.log" 2>&1 || true
ss_wait_sa c1 20 || { cat "$D/initiate-win.log"; e2e_fail "EAP-MSCHAPv2 IKE SA not established"; }
e2e_pass "Windows profile: aes256-sha1-modp1024, EAP-Identity + EAP-MSCHAPv2 answered (ESTABLISHED)"
e2e_check "the SA is indexed under the user name" \
	bash -c "'$CTL' --socket '$SOCK' sa list --user alice | grep -q 'method=eap-mschapv2'"
e2e_check "sa kill --user alice" ctl sa kill --user alice
e2e_check "alice's client saw the DELETE" e2e_wait 10 "client SA gone" ss_no_sa c1
ss_swanctl c1 --initiate --ike bad --child bad > "$D/initiate-bad.log" 2>&1 || true
e2e_check "wrong password: the client got the MSCHAPv2 failure" \
	e2e_wait 10 "client failure" grep -q "EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE" "$D/charon.log"
# the engine reports the failure when it sends the MSCHAPv2 Failure request;
# strongSwan then gives up with an INFORMATIONAL AUTHENTICATION_FAILED
# mid-EAP (RFC 7296 2.21.2), which ragd answers and ends the SA on at once
e2e_check "wrong password: ragd logs the failed authentication of bob with its reason" \
	e2e_wait 10 "failure logged" grep -q "authentication of 'bob' failed (eap-mschapv2): bad password" "$LOG"
e2e_check "wrong password: the half-open SA is gone well before the 30 s timeout" \
	e2e_wait 10 "no SA" bash -c "'$CTL' --socket '$SOCK' status | grep -qx 'half-open-sas: 0'"
e2e_check "wrong password: ended by the client's AUTHENTICATION_FAILED, not the timeout" \
	grep -q "half-open IKE SA removed: IKE_AUTH failed" "$LOG"
e2e_check "wrong password: no IKE SA" bash -c "'$CTL' --socket '$SOCK' status | grep -qx 'ike-sas: 0'"

# SIGTERM: DELETE for every IKE SA, exit 0
ss_swanctl c1 --initiate --ike rag --child rag > "$D/initiate3.log" 2>&1 || true
ss_wait_sa c1 20 || e2e_fail "third IKE SA not established"
kill -TERM $RAGD_PID
rc=0
wait $RAGD_PID || rc=$?
e2e_check "ragd exits 0 on SIGTERM" test "$rc" = 0
e2e_check "ragd sent DELETE at exit" grep -q "sent DELETE for 1 IKE SAs" "$LOG"
e2e_check "the client saw the DELETE at ragd's exit" e2e_wait 10 "client SA gone" ss_no_sa c1
e2e_finish
