#!/bin/bash
# responder_bench_guest.sh — runs INSIDE the e2e guest (real kernel ESP);
# started by run-responder-bench.sh, which sets the BENCH_* variables.
#
# The same load from rag-bench (netns c1, one source address:port per IKE
# SA unless BENCH_PORTS says otherwise) against ragd, then against
# strongSwan's charon (charon-systemd, kernel-netlink), each alone in netns
# gw and freshly started, with the equivalent configuration (charon is
# lib_rag.sh's reference gateway, written from the same GW_* settings as
# ragd.conf): the same IKE/ESP proposals, ECDSA P-256 server certificate,
# client authentication by an ECDSA P-256 certificate (pubkey), the same
# virtual IPv4 pool and DNS, half-open/cookie threshold, DPD and lifetimes,
# and a comparable log volume (ragd at its default level, charon at level
# 0: a few lines per IKE SA each).  BENCH_ROUNDS rounds alternate ragd, strongSwan, ragd, ... so
# that a change of load on the host between runs does not favour one side;
# the table shows the median of the rounds, the per-round lines follow.
#
# Per run: rag-bench's setup rate and latency p50/p99; the responder's
# VmRSS idle, with every SA up and after the Deletes, VmHWM, RSS per
# established IKE SA, CPU time (utime+stime of /proc/PID/stat) per
# handshake; the XFRM states it installed.  Report: $E2E_ARTIFACTS/report.txt
# (printed by the host script).
. "${RAG_E2E_LIB:-$(dirname "$0")/../e2e/lib.sh}"
. "$(dirname "$RAG_E2E_LIB")/lib_rag.sh"
e2e_begin responder_bench

N=${BENCH_N:-300}
CONC=${BENCH_CONC:-20}
HOLD=${BENCH_HOLD:-10}
ROUNDS=${BENCH_ROUNDS:-2}
THREADS=${BENCH_THREADS:-1}
SOURCES=${BENCH_SOURCES:-8}
# one UDP socket (address:port) per IKE SA by default, as real clients:
# strongSwan leases one virtual IP per identity AND peer address:port, so
# SAs sharing a port would share an address there
PORTS=${BENCH_PORTS:-$(( (N + SOURCES - 1) / SOURCES ))}
IKE=${BENCH_IKE:-aes256gcm16-prfsha384-x25519}
ESP=${BENCH_ESP:-aes256gcm16}
HALF_OPEN=${BENCH_HALF_OPEN:-1000}
# liveness checks every DPD of idleness: long enough by default that they
# do not add to the cost of the handshakes being measured (rag-bench answers
# them and reports how many it saw)
DPD=${BENCH_DPD:-10m}
IKE_LIFE=24h
CHILD_LIFE=8h
RAG_BENCH=${RAG_BENCH:-$RAG_BUILD_DIR/tests/bench/rag-bench}
REPORT=$E2E_ARTIFACTS/report.txt
RES=$E2E_ARTIFACTS/results	# on the results share: kept if a later round fails
[ -x "$RAG_BENCH" ] || e2e_fail "rag-bench not built at $RAG_BENCH"
mkdir -p "$RES"

# a pool with room for N addresses (network, broadcast and .1 reserved)
p=24
while [ $(( (1 << (32 - p)) - 3 )) -lt "$N" ]; do p=$((p - 1)); done
[ "$p" -ge 12 ] || e2e_fail "BENCH_N=$N needs a pool larger than /12"
E2E_POOL4=10.200.0.0/$p

rag_scenario_begin
# rag-bench's source addresses in c1
SRC=""
for ((i = 0; i < SOURCES; i++)); do
	a=192.0.2.$((100 + i))
	ip -n c1 addr add "$a/24" dev eth0
	SRC="$SRC${SRC:+,}$a"
done
ulimit -n $((SOURCES * PORTS + 1024))
P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test
ss_pki_client "$P" bench bench@corp.test
chmod 600 "$P/server.key" "$P/bench.key"

# ---- measurement ---------------------------------------------------------------------
# kib PID FIELD: VmRSS / VmHWM in KiB
kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# cpu_ticks PID: utime + stime of all threads, in clock ticks
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
TCK=$(getconf CLK_TCK)
slab_kib() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
xfrm_states() { ip -n gw xfrm state count 2>/dev/null | awk '{ print $NF }'; }
ready_key() { sed -n "s/^$2=//p" "$1"; }

# bench_one NAME ROUND PID: rag-bench against the responder PID; the
# figures go to $RES/NAME.ROUND as key=value lines.
bench_one() {
	local name=$1 round=$2 pid=$3 tag=$1-$2
	local ready=$E2E_WORK/ready-$tag log=$E2E_ARTIFACTS/rag-bench-$tag.log
	local rss0 cpu0 slab0 rss1 hwm1 cpu1 slab1 x1 rss2 bpid t rc=0 est
	sleep 2	# idle after start-up
	rss0=$(kib "$pid" VmRSS) cpu0=$(cpu_ticks "$pid") slab0=$(slab_kib)
	rm -f "$ready"
	t=$(e2e_now)
	ip netns exec c1 "$RAG_BENCH" -t "$E2E_GW_WAN4" -n "$N" -c "$CONC" --hold "$HOLD" \
		-j "$THREADS" -s "$SRC" --ports "$PORTS" --ike "$IKE" --esp "$ESP" \
		--ca "$P/ca.crt" --cert "$P/bench.crt" --key "$P/bench.key" \
		--id bench@corp.test --remote-id vpn.test --ready-file "$ready" > "$log" 2>&1 &
	bpid=$!
	while [ ! -s "$ready" ]; do
		kill -0 "$bpid" 2> /dev/null || { cat "$log"; e2e_fail "$tag: rag-bench ended before the hold phase"; }
		sleep 0.2
	done
	# every attempt has ended and the SAs are held: measure now
	rss1=$(kib "$pid" VmRSS) hwm1=$(kib "$pid" VmHWM) cpu1=$(cpu_ticks "$pid") slab1=$(slab_kib)
	x1=$(xfrm_states)
	e2e_log "$tag: setup over after $(e2e_since "$t") s: $(tr '\n' ' ' < "$ready")"
	wait "$bpid" || rc=$?
	sleep 1
	rss2=$(kib "$pid" VmRSS)
	est=$(ready_key "$ready" established)
	[ "${est:-0}" -gt 0 ] || { cat "$log"; e2e_fail "$tag: no IKE SA established"; }
	e2e_pass "$tag: $est of $N IKE SAs established (rag-bench exit $rc)"
	{
		cat "$ready"
		echo "rss0=$rss0"
		echo "rss1=$rss1"
		echo "hwm1=$hwm1"
		echo "rss2=$rss2"
		echo "xfrm=$x1"
		awk -v c0="$cpu0" -v c1="$cpu1" -v r0="$rss0" -v r1="$rss1" -v s0="$slab0" \
			-v s1="$slab1" -v n="$est" -v t="$TCK" 'BEGIN {
			printf "cpu_s=%.2f\ncpu_ms=%.2f\nper_sa=%.1f\nslab_sa=%.1f\n",
				(c1 - c0) / t, (c1 - c0) * 1000 / t / n, (r1 - r0) / n, (s1 - s0) / n }'
		# the responder's CPU relative to rag-bench's for the same
		# handshakes: steal time and TCG overhead inflate both alike
		awk -v c0="$cpu0" -v c1="$cpu1" -v t="$TCK" -v b="$(ready_key "$ready" bench_cpu_s)" \
			'BEGIN { if (b + 0 > 0) printf "cpu_rel=%.2f\n", (c1 - c0) / t / b }'
	} > "$RES/$name.$round"
}

# ---- ragd --------------------------------------------------------------------------------
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt GW_CA=$P/ca.crt
GW_IKE=$IKE GW_ESP=$ESP GW_METHODS=pubkey GW_HALF_OPEN=$HALF_OPEN
GW_DPD=$DPD GW_IKE_LIFETIME=$IKE_LIFE GW_CHILD_LIFETIME=$CHILD_LIFE
gw_defaults
gw_write_ragd_conf "$GW_DIR/ragd.conf"
out=$("$RAGD_BIN" -n -c "$GW_DIR/ragd.conf" 2>&1) || { printf '%s\n' "$out"; e2e_fail "ragd -n"; }
e2e_at_exit "gw_stop"

# ragd_round R: start ragd (default log level, as deployed), measure, stop.
ragd_round() {
	local pid
	ip netns exec gw "$RAGD_BIN" -c "$GW_DIR/ragd.conf" >> "$GW_DIR/ragd.log" 2>&1 &
	pid=$!
	echo "$pid" > "$GW_DIR/ragd.pid"
	e2e_wait 90 "ragd control socket" gw_ctl status ||
		{ tail -n 30 "$GW_DIR/ragd.log"; e2e_fail "ragd did not start"; }
	[ "$(cat "/proc/$pid/comm")" = ragd ] || e2e_fail "pid $pid is not ragd"
	if [ "$1" = 1 ]; then	# kept in the state dir for the later rounds
		# lib_rag.sh's open access policy (GW_POLICY=open): the user's
		# group may reach anything, as a minimal real deployment
		gw_policy_open
		gw_user_add_cert bench "CN=bench@corp.test"
	fi
	bench_one ragd "$1" "$pid"
	gw_stop
	e2e_check "ragd-$1: exits 0 on SIGTERM" test "$GW_EXIT" = 0
	e2e_wait 60 "XFRM state of ragd gone" test "$(xfrm_states)" = 0 ||
		e2e_fail "ragd left XFRM states"
}

# ---- strongSwan (charon-systemd, kernel-netlink) -------------------------------------
# lib_rag.sh's reference gateway, configured from the same GW_* settings as
# ragd (proposals, certificate, client CA, pubkey clients, pool, DPD,
# lifetimes, half-open limit -> cookie_threshold); for scale, an IKE SA hash
# table sized for N (strongSwan's default is 1 bucket), and log level 0.
table=1024
while [ "$table" -lt "$N" ]; do table=$((table * 2)); done
GW_SS_AUTH=pubkey
GW_SS_CHARON_EXTRA="ikesa_table_size = $table
  ikesa_table_segments = 16"
export SS_LOG="default = 0"
D=$(ss_dir gw)

# ss_round R: start charon (round 1: configure it), measure, stop.
ss_round() {
	local pid
	if [ "$1" = 1 ]; then
		E2E_GATEWAY=strongswan _gw_start_strongswan
	else
		ss_start gw
		ss_load gw
	fi
	pid=$(cat "$D/pid")
	e2e_check "strongswan-$1: charon runs as pid $pid" grep -q charon "/proc/$pid/comm"
	bench_one strongswan "$1" "$pid"
	cp "$D/charon.log" "$E2E_ARTIFACTS/charon-$1.log" 2>/dev/null || true
	ss_stop gw
	e2e_wait 60 "XFRM state of charon gone" test "$(xfrm_states)" = 0 ||
		e2e_fail "charon left XFRM states"
}

for ((r = 1; r <= ROUNDS; r++)); do
	ragd_round "$r"
	ss_round "$r"
done

# ---- report ----------------------------------------------------------------------------
# med NAME KEY: median over the rounds ("" when no round has the key)
med() {
	cat "$RES/$1".* | sed -n "s/^$2=//p" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '%-36s %12s %12s %9s\n' "$@"; }
# line KEY LABEL [mib]: one table row of medians and their ratio
line() {
	local a b
	a=$(med ragd "$1") b=$(med strongswan "$1")
	if [ "${3:-}" = mib ]; then
		row "$2" "$(mib "$a")" "$(mib "$b")" "$(ratio "$a" "$b")"
	else
		row "$2" "$a" "$b" "$(ratio "$a" "$b")"
	fi
}
{
	echo "=== responder benchmark ($(date -u +%Y-%m-%dT%H:%MZ), guest kernel $(uname -r))"
	echo "load: $N IKE SAs per run, concurrency $CONC, hold ${HOLD}s, $SOURCES source addresses x $PORTS ports, $THREADS rag-bench thread(s)"
	echo "IKE $IKE, ESP $ESP; client auth: ECDSA P-256 certificate; server: ECDSA P-256 certificate;"
	echo "CHILD SA + virtual IPv4 from $E2E_POOL4 (CP); kernel ESP SAs installed by each responder"
	echo "guest: QEMU TCG (no KVM), $(nproc) vCPUs shared by rag-bench and the responder, $(awk '$1 == "MemTotal:" { printf "%d", $2 / 1024 }' /proc/meminfo) MiB"
	echo "rounds: $ROUNDS (ragd, strongSwan, ragd, ...); figures are medians over the rounds"
	echo "NOTE: TCG slows both responders alike: compare the ratios, not the absolute figures."
	echo
	row "" ragd strongSwan ragd/sS
	line established "IKE SAs established (of $N)"
	line failed "failed attempts"
	line distinct_vips "distinct virtual IPs"
	line xfrm "XFRM states with all SAs up"
	line rate_hs "setup rate (handshakes/s)"
	line p50_ms "latency p50 (ms)"
	line p99_ms "latency p99 (ms)"
	line cpu_ms "responder CPU per handshake (ms)"
	line cpu_s "responder CPU during setup (s)"
	line setup_wall_s "setup phase, wall clock (s)"
	line bench_cpu_s "rag-bench CPU during setup (s)"
	line cpu_rel "responder CPU / rag-bench CPU"
	line bench_maxrss_kib "rag-bench peak RSS (MiB)" mib
	line rss0 "VmRSS idle (MiB)" mib
	line rss1 "VmRSS with all SAs up (MiB)" mib
	line hwm1 "VmHWM (MiB)" mib
	line per_sa "RSS per established IKE SA (KiB)"
	line rss2 "VmRSS after the Deletes (MiB)" mib
	line slab_sa "kernel Slab per IKE SA (KiB)"
	echo
	for ((r = 1; r <= ROUNDS; r++)); do
		printf 'round %d: setup rate %s / %s handshakes/s, CPU per handshake %s / %s ms (%s / %s x rag-bench), RSS per SA %s / %s KiB (ragd / strongSwan)\n' \
			"$r" "$(ready_key "$RES/ragd.$r" rate_hs)" "$(ready_key "$RES/strongswan.$r" rate_hs)" \
			"$(ready_key "$RES/ragd.$r" cpu_ms)" "$(ready_key "$RES/strongswan.$r" cpu_ms)" \
			"$(ready_key "$RES/ragd.$r" cpu_rel)" "$(ready_key "$RES/strongswan.$r" cpu_rel)" \
			"$(ready_key "$RES/ragd.$r" per_sa)" "$(ready_key "$RES/strongswan.$r" per_sa)"
	done
	echo
	echo "setup rate and latency are rag-bench's (first IKE_SA_INIT sent to IKE_AUTH answer; rag-bench"
	echo "and the responder share the vCPUs); responder CPU = utime+stime of the responder process"
	echo "from before the load until every attempt had ended, divided by the SAs established; RSS per"
	echo "SA = (VmRSS with all SAs up - VmRSS idle) / SAs established; Slab = /proc/meminfo Slab,"
	echo "system-wide (mostly the XFRM states and policies the responder installed).  rag-bench does"
	echo "the same client work against both, so 'responder CPU / rag-bench CPU' cancels most of the"
	echo "slow-down that host load and TCG add to both processes' CPU time."
} > "$REPORT"
cat "$REPORT"
# ragd must establish every SA; strongSwan is the reference: its failures
# are reported (table, rag-bench-strongswan-R.log), not a failure of ours
for ((r = 1; r <= ROUNDS; r++)); do
	e2e_check "round $r: ragd established every IKE SA" test "$(ready_key "$RES/ragd.$r" established)" = "$N"
	[ "$(ready_key "$RES/strongswan.$r" established)" = "$N" ] ||
		e2e_log "NOTE: round $r: strongSwan established $(ready_key "$RES/strongswan.$r" established) of $N (reasons in rag-bench-strongswan-$r.log)"
done
e2e_finish
