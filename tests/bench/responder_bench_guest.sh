#!/bin/bash
# responder_bench_guest.sh — runs INSIDE the e2e guest (real kernel ESP);
# started by run-responder-bench.sh, which sets the BENCH_* variables.
#
# The same load from rag-bench (netns c1, BENCH_SOURCES addresses x
# BENCH_PORTS UDP ports) against ragd, then against strongSwan's charon
# (charon-systemd, kernel-netlink), each alone in netns gw with the
# equivalent configuration: the same IKE/ESP proposals, ECDSA P-256 server
# certificate, client authentication by an ECDSA P-256 certificate
# (pubkey), the same virtual IPv4 pool, half-open/cookie threshold, DPD
# and lifetimes, and a comparable log volume (ragd at its default level,
# charon at level 0: a few lines per IKE SA each).
#
# For each responder: rag-bench's setup rate and latency p50/p99; the
# responder's VmRSS idle, with every SA up, and after the Deletes, VmHWM,
# RSS per established IKE SA, CPU time (utime+stime of /proc/PID/stat) per
# handshake; the XFRM states it installed; then ragd/strongSwan ratios.
# The report goes to $E2E_ARTIFACTS/report.txt (printed by the host script).
. "${RAG_E2E_LIB:-$(dirname "$0")/../e2e/lib.sh}"
. "$(dirname "$RAG_E2E_LIB")/lib_rag.sh"
e2e_begin responder_bench

N=${BENCH_N:-500}
CONC=${BENCH_CONC:-50}
HOLD=${BENCH_HOLD:-10}
THREADS=${BENCH_THREADS:-1}
SOURCES=${BENCH_SOURCES:-8}
# one UDP socket (address:port) per IKE SA by default, as real clients:
# strongSwan leases one virtual IP per identity AND peer address:port, so
# SAs sharing a port would share an address there
PORTS=${BENCH_PORTS:-$(( (N + SOURCES - 1) / SOURCES ))}
IKE=${BENCH_IKE:-aes256gcm16-prfsha384-x25519}
ESP=${BENCH_ESP:-aes256gcm16}
HALF_OPEN=${BENCH_HALF_OPEN:-1000}
DPD=60s
IKE_LIFE=24h
CHILD_LIFE=8h
RAG_BENCH=${RAG_BENCH:-$RAG_BUILD_DIR/tests/bench/rag-bench}
REPORT=$E2E_ARTIFACTS/report.txt
[ -x "$RAG_BENCH" ] || e2e_fail "rag-bench not built at $RAG_BENCH"

# a pool with room for N addresses (network, broadcast and .1 reserved)
p=24
while [ $(( (1 << (32 - p)) - 3 )) -lt "$N" ]; do p=$((p - 1)); done
E2E_POOL4=10.200.0.0/$p
[ "$p" -ge 12 ] || e2e_fail "BENCH_N=$N needs a pool larger than /12"

rag_scenario_begin
# rag-bench's source addresses in c1
SRC=""
for ((i = 0; i < SOURCES; i++)); do
	a=192.0.2.$((100 + i))
	ip -n c1 addr add "$a/24" dev eth0
	SRC="$SRC${SRC:+,}$a"
done
P=$E2E_WORK/pki
ss_pki_ca "$P"
ss_pki_server "$P" server vpn.test
ss_pki_client "$P" bench bench@corp.test
chmod 600 "$P/server.key" "$P/bench.key"

# ---- measurement helpers ------------------------------------------------------------
# kib PID FIELD: VmRSS / VmHWM in KiB
kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# cpu_ticks PID: utime + stime (all threads), clock ticks
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
TCK=$(getconf CLK_TCK)
slab_kib() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
xfrm_states() { ip -n gw xfrm state count 2>/dev/null | awk '{ print $NF }'; }
ready_key() { sed -n "s/^$2=//p" "$1"; }

# bench_one NAME PID: run rag-bench against the responder PID and record
# NAME_* figures (shell variables) for the report.
bench_one() {
	local name=$1 pid=$2 ready=$E2E_WORK/ready-$1 log=$E2E_ARTIFACTS/rag-bench-$1.log
	local rss0 cpu0 slab0 rss1 hwm1 cpu1 slab1 x1 rss2 bpid t rc=0
	sleep 2	# idle after start-up
	rss0=$(kib "$pid" VmRSS) cpu0=$(cpu_ticks "$pid") slab0=$(slab_kib)
	rm -f "$ready"
	t=$(e2e_now)
	ulimit -n $((SOURCES * PORTS + 1024))
	ip netns exec c1 "$RAG_BENCH" -t "$E2E_GW_WAN4" -n "$N" -c "$CONC" --hold "$HOLD" \
		-j "$THREADS" -s "$SRC" --ports "$PORTS" --ike "$IKE" --esp "$ESP" \
		--ca "$P/ca.crt" --cert "$P/bench.crt" --key "$P/bench.key" \
		--id bench@corp.test --remote-id vpn.test --ready-file "$ready" > "$log" 2>&1 &
	bpid=$!
	while [ ! -s "$ready" ]; do
		kill -0 "$bpid" 2> /dev/null || { cat "$log"; e2e_fail "$name: rag-bench ended before the hold phase"; }
		sleep 0.2
	done
	# every attempt has ended and the SAs are held: measure now
	rss1=$(kib "$pid" VmRSS) hwm1=$(kib "$pid" VmHWM) cpu1=$(cpu_ticks "$pid") slab1=$(slab_kib)
	x1=$(xfrm_states)
	e2e_log "$name: setup over after $(e2e_since "$t") s: $(tr '\n' ' ' < "$ready")"
	wait "$bpid" || rc=$?
	sleep 1
	rss2=$(kib "$pid" VmRSS)
	cat "$log"
	local est
	est=$(ready_key "$ready" established)
	[ "$est" -gt 0 ] || e2e_fail "$name: no IKE SA established (see rag-bench-$name.log)"
	e2e_pass "$name: $est of $N IKE SAs established (rag-bench exit $rc)"
	eval "${name}_est=$est ${name}_rate=$(ready_key "$ready" rate_hs)"
	eval "${name}_p50=$(ready_key "$ready" p50_ms) ${name}_p99=$(ready_key "$ready" p99_ms)"
	eval "${name}_rss0=$rss0 ${name}_rss1=$rss1 ${name}_hwm1=$hwm1 ${name}_rss2=$rss2"
	eval "${name}_xfrm=${x1:-?} ${name}_vips=$(ready_key "$ready" distinct_vips)"
	eval "${name}_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$est" -v t="$TCK" 'BEGIN { printf "%.2f", (b - a) * 1000 / t / n }')"
	eval "${name}_cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$TCK" 'BEGIN { printf "%.2f", (b - a) / t }')"
	eval "${name}_per_sa=$(awk -v a="$rss0" -v b="$rss1" -v n="$est" 'BEGIN { printf "%.1f", (b - a) / n }')"
	eval "${name}_slab=$(awk -v a="$slab0" -v b="$slab1" -v n="$est" 'BEGIN { printf "%.1f", (b - a) / n }')"
	eval "${name}_fail=$(ready_key "$ready" failed)"
	eval "${name}_bcpu=$(ready_key "$ready" bench_cpu_s) ${name}_wall=$(ready_key "$ready" setup_wall_s)"
}

# ---- ragd ------------------------------------------------------------------------------
GW_CERT=$P/server.crt GW_KEY=$P/server.key GW_TRUST=$P/ca.crt GW_CA=$P/ca.crt
GW_IKE=$IKE GW_ESP=$ESP GW_METHODS=pubkey GW_HALF_OPEN=$HALF_OPEN
GW_DPD=$DPD GW_IKE_LIFETIME=$IKE_LIFE GW_CHILD_LIFETIME=$CHILD_LIFE
gw_defaults
gw_write_ragd_conf "$GW_DIR/ragd.conf"
out=$("$RAGD_BIN" -n -c "$GW_DIR/ragd.conf" 2>&1) || { printf '%s\n' "$out"; e2e_fail "ragd -n"; }
# default log level (no -v), as deployed
ip netns exec gw "$RAGD_BIN" -c "$GW_DIR/ragd.conf" > "$GW_DIR/ragd.log" 2>&1 &
echo $! > "$GW_DIR/ragd.pid"
e2e_at_exit "gw_stop"
e2e_at_exit "cp '$GW_DIR/ragd.log' '$E2E_ARTIFACTS/ragd.log'"
e2e_wait 90 "ragd control socket" gw_ctl status || { tail -n 30 "$GW_DIR/ragd.log"; e2e_fail "ragd did not start"; }
RAGD_PID=$(cat "$GW_DIR/ragd.pid")
[ "$(cat "/proc/$RAGD_PID/comm")" = ragd ] || e2e_fail "pid $RAGD_PID is not ragd"
gw_user_add_cert bench "CN=bench@corp.test"
bench_one ragd "$RAGD_PID"
gw_stop
e2e_check "ragd exits 0 on SIGTERM" test "$GW_EXIT" = 0
e2e_wait 60 "XFRM state of ragd gone" test "$(xfrm_states)" = 0 || e2e_fail "ragd left XFRM states"

# ---- strongSwan (charon-systemd, kernel-netlink) -------------------------------------
table=1024
while [ "$table" -lt "$N" ]; do table=$((table * 2)); done
SS_LOG="default = 0" SS_CHARON_EXTRA="cookie_threshold = $HALF_OPEN
  block_threshold = $HALF_OPEN
  ikesa_table_size = $table
  ikesa_table_segments = 16" ss_instance gw gw
D=$(ss_dir gw)
cp "$P/server.crt" "$D/swanctl/x509/gw.crt"
cp "$P/server.key" "$D/swanctl/private/gw.key"
cp "$P/ca.crt" "$D/swanctl/x509ca/ca.crt"
cat > "$D/swanctl/swanctl.conf" <<EOF
connections {
  rw {
    version = 2
    local_addrs = %any
    pools = pool4
    send_certreq = no
    send_cert = always
    fragmentation = yes
    unique = never
    dpd_delay = $DPD
    rekey_time = $(($(_dur_s "$IKE_LIFE") * 9 / 10))s
    over_time = $(($(_dur_s "$IKE_LIFE") / 10))s
    rand_time = 0
    proposals = $IKE
    local {
      auth = pubkey
      certs = gw.crt
      id = vpn.test
    }
    remote {
      auth = pubkey
    }
    children {
      net {
        local_ts = 0.0.0.0/0
        esp_proposals = $ESP
        rekey_time = $(($(_dur_s "$CHILD_LIFE") * 3 / 4))s
        life_time = $(_dur_s "$CHILD_LIFE")s
        rand_time = 0
        dpd_action = clear
      }
    }
  }
}
pools {
  pool4 {
    addrs = $E2E_POOL4
  }
}
EOF
ss_start gw
ss_load gw
SS_PID=$(cat "$D/pid")
e2e_check "charon runs as pid $SS_PID" grep -q charon "/proc/$SS_PID/comm"
bench_one strongswan "$SS_PID"
cp "$D/charon.log" "$E2E_ARTIFACTS/charon.log" 2>/dev/null || true
ss_stop gw

# ---- report ----------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '%-34s %14s %14s %10s\n' "$@"; }
{
	echo "=== responder benchmark ($(date -u +%Y-%m-%dT%H:%MZ), guest kernel $(uname -r))"
	echo "load: $N IKE SAs, concurrency $CONC, hold ${HOLD}s, $SOURCES source addresses x $PORTS ports, $THREADS rag-bench thread(s)"
	echo "IKE $IKE, ESP $ESP; client auth: ECDSA P-256 certificate; server: ECDSA P-256 certificate;"
	echo "CHILD SA + virtual IPv4 from $E2E_POOL4 (CP); kernel ESP SAs installed by each responder"
	echo "guest: QEMU TCG (no KVM), $(nproc) vCPUs shared by rag-bench and the responder, $(awk '$1 == "MemTotal:" { printf "%d", $2 / 1024 }' /proc/meminfo) MiB"
	echo "NOTE: TCG slows both responders alike: compare the ratios, not the absolute figures."
	echo
	row "" ragd strongSwan ragd/sS
	row "IKE SAs established" "$ragd_est/$N" "$strongswan_est/$N" ""
	row "failed attempts" "$ragd_fail" "$strongswan_fail" ""
	row "distinct virtual IPs" "$ragd_vips" "$strongswan_vips" ""
	row "XFRM states with all SAs up" "$ragd_xfrm" "$strongswan_xfrm" ""
	row "setup rate (handshakes/s)" "$ragd_rate" "$strongswan_rate" "$(ratio "$ragd_rate" "$strongswan_rate")"
	row "latency p50 (ms)" "$ragd_p50" "$strongswan_p50" "$(ratio "$ragd_p50" "$strongswan_p50")"
	row "latency p99 (ms)" "$ragd_p99" "$strongswan_p99" "$(ratio "$ragd_p99" "$strongswan_p99")"
	row "responder CPU per handshake (ms)" "$ragd_cpu" "$strongswan_cpu" "$(ratio "$ragd_cpu" "$strongswan_cpu")"
	row "responder CPU during setup (s)" "$ragd_cpu_s" "$strongswan_cpu_s" "$(ratio "$ragd_cpu_s" "$strongswan_cpu_s")"
	row "setup phase, wall clock (s)" "$ragd_wall" "$strongswan_wall" "$(ratio "$ragd_wall" "$strongswan_wall")"
	row "rag-bench CPU during setup (s)" "$ragd_bcpu" "$strongswan_bcpu" ""
	row "VmRSS idle (MiB)" "$(mib "$ragd_rss0")" "$(mib "$strongswan_rss0")" "$(ratio "$ragd_rss0" "$strongswan_rss0")"
	row "VmRSS with all SAs up (MiB)" "$(mib "$ragd_rss1")" "$(mib "$strongswan_rss1")" "$(ratio "$ragd_rss1" "$strongswan_rss1")"
	row "VmHWM (MiB)" "$(mib "$ragd_hwm1")" "$(mib "$strongswan_hwm1")" "$(ratio "$ragd_hwm1" "$strongswan_hwm1")"
	row "RSS per established IKE SA (KiB)" "$ragd_per_sa" "$strongswan_per_sa" "$(ratio "$ragd_per_sa" "$strongswan_per_sa")"
	row "VmRSS after the Deletes (MiB)" "$(mib "$ragd_rss2")" "$(mib "$strongswan_rss2")" "$(ratio "$ragd_rss2" "$strongswan_rss2")"
	row "kernel Slab per IKE SA (KiB)" "$ragd_slab" "$strongswan_slab" "$(ratio "$ragd_slab" "$strongswan_slab")"
	echo
	echo "setup rate and latency are rag-bench's (first IKE_SA_INIT sent to IKE_AUTH answer, both"
	echo "processes on the same 2 vCPUs); CPU = utime+stime of the responder process from before the"
	echo "load until every attempt had ended, divided by the SAs established; RSS per SA = (VmRSS with"
	echo "all SAs up - VmRSS idle) / SAs established; Slab = /proc/meminfo, system-wide (XFRM state)."
} > "$REPORT"
cat "$REPORT"
e2e_check "ragd established every IKE SA" test "$ragd_est" = "$N"
e2e_check "strongSwan established every IKE SA" test "$strongswan_est" = "$N"
e2e_finish
