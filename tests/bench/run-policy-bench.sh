#!/bin/bash
# run-policy-bench.sh — the access-policy benchmark (issue 4, README.md):
#   1. a policy of 1,000 rules over 200 user groups and 10,000 users (all
#      connected) compiles and applies: bench_policy prints compile, first
#      apply, policy-change and per-connect times;
#   2. forwarding cost per packet through ragd's nftables table with 10
#      rules and with 1,000 rules: one UDP flow from a virtual IP, forwarded
#      by a router network namespace holding the table (bench_policy --hold),
#      sent by bench_udp_flood (sendmmsg; on veth the router's forwarding
#      runs in the sender's context, so its CPU time per packet is the cost
#      of the whole path).  Configurations, interleaved over BENCH_ROUNDS
#      rounds, median and best printed:
#        none        no table at all (reference)
#        10          10 rules, all of them apply to the sending user
#        1000        1,000 rules over 200 groups (the user's class: its own
#                    group's rules, ~5 + the flow's rule)
#        1000-all    1,000 rules, all of them apply to the sending user
#      The figure asked for is "1000" vs "10" (< 10 % apart); "1000-all" is
#      the worst case and is printed too.
# Runs on this host's kernel (nf_tables) in private network namespaces:
# needs root.  Figures are printed, nothing is asserted (not a timed test).
#
# Environment: RAG_BUILD_DIR (default ./build), BENCH_ROUNDS (5),
# BENCH_PACKETS (1000000 per measurement).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
B=${RAG_BUILD_DIR:-$SRC/build}
ROUNDS=${BENCH_ROUNDS:-5}
PKTS=${BENCH_PACKETS:-1000000}
BP=$B/tests/bench/bench_policy
FL=$B/tests/bench/bench_udp_flood
for x in "$BP" "$FL"; do
	[ -x "$x" ] || { echo "run-policy-bench: $x not built" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run-policy-bench: needs root (network namespaces, nftables)" >&2; exit 1; }
command -v ip > /dev/null || { echo "run-policy-bench: ip (Debian package iproute2) missing" >&2; exit 1; }

S=rpb-src-$$ R=rpb-rtr-$$ D=rpb-dst-$$
WORK=$(mktemp -d)
HOLDER=
cleanup() {
	[ -n "$HOLDER" ] && kill "$HOLDER" 2> /dev/null && wait "$HOLDER" 2> /dev/null
	ip netns del "$S" 2> /dev/null
	ip netns del "$R" 2> /dev/null
	ip netns del "$D" 2> /dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- topology: src (vIP 10.200.255.254) -> rtr (forwards, holds the table) -> dst ----
set -e
for n in "$S" "$R" "$D"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
ip link add s0 netns "$S" type veth peer name r0 netns "$R"
ip link add r1 netns "$R" type veth peer name d0 netns "$D"
ip -n "$S" link set s0 up
ip -n "$R" link set r0 up
ip -n "$R" link set r1 up
ip -n "$D" link set d0 up
ip -n "$S" addr add 10.99.0.2/24 dev s0
ip -n "$S" addr add 10.200.255.254/32 dev lo
ip -n "$S" route add default via 10.99.0.1 src 10.200.255.254
ip -n "$R" addr add 10.99.0.1/24 dev r0
ip -n "$R" addr add 10.98.0.1/24 dev r1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.r0.rp_filter=0
ip -n "$R" route add 10.200.0.0/16 via 10.99.0.2
ip -n "$R" route add 198.51.100.0/24 via 10.98.0.2
ip -n "$D" addr add 10.98.0.2/24 dev d0
# dst does not forward and does not own 198.51.100.10: it drops the packets
ip -n "$R" neigh replace 10.98.0.2 lladdr "$(ip -n "$D" -o link show d0 |
	sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')" dev r1 nud permanent
set +e

echo "== run-policy-bench: $(uname -r), $(nproc) CPUs, nft $(nft --version 2>/dev/null | awk '{ print $2 }')"
echo
echo "== compile and apply: 1,000 rules, 200 groups, 10,000 users, all connected"
ip netns exec "$R" "$BP" --rules 1000 --groups 200 --users 10000 --connected 10000 || exit 1
echo
echo "== the same, every rule applying to one user (worst case for that user's class)"
ip netns exec "$R" "$BP" --rules 1000 --groups 200 --users 10000 --connected 10000 --worst || exit 1
echo

# ---- forwarding ----
PIN=()
command -v taskset > /dev/null && PIN=(taskset -c 0)
measure() { # CONFIG -> prints "cpu wall" ns per packet
	local args=()
	case $1 in
	none) ;;
	10) args=(--rules 10 --groups 1) ;;
	1000) args=(--rules 1000 --groups 200) ;;
	1000-all) args=(--rules 1000 --groups 200 --worst) ;;
	esac
	if [ "$1" != none ]; then
		rm -f "$WORK/ready"
		ip netns exec "$R" "$BP" "${args[@]}" --users 10000 --connected 10000 \
			--hold "$WORK/ready" > "$WORK/holder.log" 2>&1 &
		HOLDER=$!
		for _ in $(seq 600); do
			[ -s "$WORK/ready" ] && break
			kill -0 "$HOLDER" 2> /dev/null || { cat "$WORK/holder.log" >&2; exit 1; }
			sleep 0.1
		done
	fi
	ip netns exec "$S" "${PIN[@]}" "$FL" 10.200.255.254 198.51.100.10 443 100000 > /dev/null
	ip netns exec "$S" "${PIN[@]}" "$FL" 10.200.255.254 198.51.100.10 443 "$PKTS" |
		awk '{ print $6, $4 }'
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER"
		wait "$HOLDER" 2> /dev/null
		HOLDER=
	fi
}
CONFIGS="none 10 1000 1000-all"
echo "== forwarding cost per packet: $ROUNDS rounds x $PKTS packets per configuration"
for r in $(seq "$ROUNDS"); do
	for c in $CONFIGS; do
		read -r cpu wall <<< "$(measure "$c")"
		echo "$cpu" >> "$WORK/cpu-$c"
		echo "$wall" >> "$WORK/wall-$c"
		printf '  round %d %-9s cpu %7.1f ns/packet  wall %7.1f ns/packet\n' "$r" "$c" "$cpu" "$wall"
	done
done
med() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { sort -g "$1" | head -n 1; }
echo
printf '%-10s %14s %14s %12s\n' config "median cpu ns" "best cpu ns" "vs 10 rules"
base=$(med "$WORK/cpu-10")
for c in $CONFIGS; do
	m=$(med "$WORK/cpu-$c")
	printf '%-10s %14.1f %14.1f %+11.1f%%\n' "$c" "$m" "$(best "$WORK/cpu-$c")" \
		"$(awk -v a="$m" -v b="$base" 'BEGIN { print (a - b) * 100 / b }')"
done
echo
echo "1000 rules vs 10 rules (median CPU per packet): $(awk -v a="$(med "$WORK/cpu-1000")" \
	-v b="$base" 'BEGIN { printf "%+.1f %%", (a - b) * 100 / b }') (issue 4: < 10 %)"
