#!/bin/bash
# kern_xfrm_guest.sh — runs INSIDE the e2e guest (real kernel ESP).
#
# Proves ragd's kernel interface (daemon/kern.h, issue 3 item 3) with the
# C driver tests/e2e/kern_xfrm_driver.c between two namespaces ka and kb:
#   1. kern_check_host passes on a kernel with ESP and forwarding on, and
#      names ip_forward when it is off and a host address inside the pool;
#   2. for EVERY supported algorithm and key size — AES-CBC 128/192/256 x
#      HMAC-SHA1-96 / SHA2-256-128 / SHA2-384-192 / SHA2-512-256 (RFC 4868),
#      AES-GCM 128/192/256 x ICV 8/12/16 (RFC 4106), 3DES-SHA1 — with plain
#      ESP and with UDP encapsulation (RFC 3948): SPIs from ALLOCSPI, four SAs
#      and in/out/fwd policies installed, algorithm + key + ICV/truncation
#      read back through `ip xfrm state`, a ping through the tunnel, byte and
#      packet counters of all four SAs non-zero via kern_sa_stats, removal
#      through the API leaving nothing of ours; ESN (RFC 4303 2.2.1) too;
#   3. soft and hard expires (packet and time lifetimes) arrive as events;
#   3b. kernel SPI allocation as ragd does it (XFRM_MSG_ALLOCSPI on a second
#      channel without events, larval state freed or filled with UPDSA
#      through the first channel, NEWSA when the larval state is gone);
#   4. MOBIKE (RFC 4555 3.5): SAs and policies move to a new peer address
#      and the ping keeps working (replay state and counters carried over);
#   5. forwarding from a host behind A to B's virtual IP fails without a
#      route and works once kern_route_add installed one (the kernel routes
#      before it looks up XFRM policies), through A's out/fwd policies;
#   6. a "crashed run" leaves SAs and policies behind: kern_flush_ours removes
#      them, while a foreign SA and policy (reqid 7) survive.
. "${RAG_E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_begin kern_xfrm_guest

DRV=${RAG_BUILD_DIR:?}/tests/e2e/kern_xfrm_driver
[ -x "$DRV" ] || e2e_fail "driver not built: $DRV (ninja -C \$RAG_BUILD_DIR)"

diag() {
	for n in ka kb; do
		echo "--- $n xfrm state / policy"
		ip -n "$n" -s xfrm state 2>/dev/null | sed 's/0x[0-9a-f]\{16,\}/(key hidden)/'
		ip -n "$n" xfrm policy 2>/dev/null
	done
}
E2E_DIAG=diag

e2e_modprobe esp4 esp6 xfrm_user veth

# ---- topology: ka (192.0.2.1, inner 10.1.0.1) == kb (192.0.2.2/.3, inner 10.2.0.1)
e2e_netns ka
e2e_netns kb
e2e_veth ka eth0 kb eth0
ip -n ka addr add 192.0.2.1/24 dev eth0
ip -n kb addr add 192.0.2.2/24 dev eth0
ip -n kb addr add 192.0.2.3/24 dev eth0		# where kb moves to (MOBIKE)
ip -n ka addr add 10.1.0.1/32 dev lo
ip -n kb addr add 10.2.0.1/32 dev lo
ip -n ka route add 10.2.0.0/24 via 192.0.2.2 src 10.1.0.1
ip -n kb route add 10.1.0.0/24 via 192.0.2.1 src 10.2.0.1
e2e_check "outer addresses reachable" ip netns exec ka ping -c 1 -W 2 192.0.2.3

# ---- 1. host prerequisites ------------------------------------------------------------
ip netns exec ka sysctl -qw net.ipv4.ip_forward=0
out=$("$DRV" check ka 2>&1) && e2e_fail "check passed with ip_forward = 0: $out"
printf '%s\n' "$out" | grep -q 'FATAL: net.ipv4.ip_forward = 0' ||
	{ printf '%s\n' "$out"; e2e_fail "check did not name ip_forward"; }
e2e_pass "kern_check_host: ip_forward = 0 is fatal and named"
ip netns exec ka sysctl -qw net.ipv4.ip_forward=1
t=$(e2e_now)
e2e_check "kern_check_host passes (ESP probe SAs add and go)" "$DRV" check ka
e2e_log "host check (with crypto warm-up) took $(e2e_since "$t")s"
e2e_check "the probe left nothing behind" test "$(e2e_xfrm_count ka)" -eq 0
e2e_check "a pool whose first address is the host's own passes" "$DRV" check ka overlap
ip -n ka addr add 10.1.0.77/32 dev lo
out=$("$DRV" check ka overlap 2>&1) && e2e_fail "check passed with a host address inside the pool: $out"
printf '%s\n' "$out" | grep -q 'FATAL: the host.s address 10.1.0.77 ' ||
	{ printf '%s\n' "$out"; e2e_fail "check did not name the host address inside the pool"; }
e2e_pass "kern_check_host: a host address inside the pool is fatal and named"
ip -n ka addr del 10.1.0.77/32 dev lo

# ---- 2. every algorithm, plain and UDP-encapsulated ------------------------------------
t=$(e2e_now)
"$DRV" matrix ka kb > "$E2E_WORK/matrix.log" 2>&1 && mrc=0 || mrc=$?
cp "$E2E_WORK/matrix.log" "$E2E_ARTIFACTS/" 2>/dev/null || true
while read -r line; do
	case $line in
	"driver: case "*": ok") c=${line#driver: case }
		e2e_pass "ESP ${c%: ok}: install, read back, ping, counters, removal" ;;
	esac
done < "$E2E_WORK/matrix.log"
n_ok=$(grep -c '^driver: case .*: ok$' "$E2E_WORK/matrix.log" || true)
if [ "$mrc" -ne 0 ] || [ "$n_ok" -ne 44 ]; then
	grep -v ': ok$' "$E2E_WORK/matrix.log" | tail -n 40
	e2e_fail "algorithm matrix: $n_ok of 44 cases ok (driver status $mrc)"
fi
e2e_log "22 algorithms x 2 encapsulations in $(e2e_since "$t")s"
e2e_check "ESN aes128gcm16" "$DRV" case ka kb aes128gcm16 esn
e2e_check "ESN aes256-sha256 over UDP" "$DRV" case ka kb aes256-sha256 esn encap
e2e_check "nothing of ours left in ka" test "$("$DRV" count ka)" = "states 0 policies 0"
e2e_check "no XFRM state at all left in ka/kb" \
	test "$(e2e_xfrm_count ka)" -eq 0 -a "$(e2e_xfrm_count kb)" -eq 0

# ---- 3. lifetimes -> expire events ---------------------------------------------------------
e2e_check "soft/hard expire events (packets and seconds)" "$DRV" expire ka kb

# ---- 3b. SPIs from the kernel ------------------------------------------------------------------
e2e_check "ALLOCSPI on a second channel: larval states freed / filled by UPDSA" "$DRV" spi ka
e2e_check "no XFRM state left in ka after the SPI checks" test "$(e2e_xfrm_count ka)" -eq 0

# ---- 4. MOBIKE address update ---------------------------------------------------------------
e2e_check "SAs and policies move to 192.0.2.3, ping continues" "$DRV" move ka kb

# ---- 5. forwarding to a virtual IP needs a route (kern_route_add) -------------------------
e2e_netns kh
e2e_veth ka eth1 kh eth0
ip -n ka addr add 198.51.100.1/24 dev eth1
ip -n kh addr add 198.51.100.10/24 dev eth0
ip -n kh route add default via 198.51.100.1
ip -n kb addr add 10.3.0.1/32 dev lo
ip -n kb route add 198.51.100.0/24 via 192.0.2.1 src 10.3.0.1
e2e_check "host behind A reaches B's vIP only once kern_route_add routed it" \
	"$DRV" forward ka kb kh

# ---- 6. leftovers of a crashed run, foreign state ------------------------------------------
e2e_check "install and exit without cleanup (a crash)" "$DRV" case ka kb aes128gcm16 encap keep
e2e_check "leftovers are visible as ours" test "$("$DRV" count ka)" = "states 2 policies 3"
ip -n ka xfrm state add src 192.0.2.1 dst 192.0.2.9 proto esp spi 0x1234 reqid 7 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128
ip -n ka xfrm policy add src 10.7.0.0/24 dst 10.8.0.0/24 dir out priority 1000 \
	tmpl src 192.0.2.1 dst 192.0.2.9 proto esp mode tunnel reqid 7
e2e_check "flush ours in ka and kb" "$DRV" flush ka kb
e2e_check "nothing of ours left" test "$("$DRV" count ka)" = "states 0 policies 0"
e2e_check "the foreign SA survived (and only it is left)" \
	bash -c "[ \$(ip -n ka xfrm state | grep -c '^src') -eq 1 ] && ip -n ka xfrm state | grep -q 'spi 0x00001234 reqid 7 '"
e2e_check "the foreign policy survived (and only it is left)" \
	bash -c "[ \$(ip -n ka xfrm policy | grep -c '^src') -eq 1 ] && ip -n ka xfrm policy | grep -q 'src 10.7.0.0/24 dst 10.8.0.0/24'"
e2e_check "kb is empty" test "$(e2e_xfrm_count kb)" -eq 0
e2e_finish
