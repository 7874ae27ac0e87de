#!/bin/bash
# run-responder-bench.sh [N] — the responder benchmark (README.md): boot the
# real-kernel QEMU guest (tests/e2e/run-e2e.sh, guest/run-guest.sh) and run
# responder_bench_guest.sh in it: rag-bench opens N IKE SAs (default 300)
# against ragd, then the same against strongSwan's charon, and the report
# with the ragd/strongSwan ratios is printed at the end.
#
# Environment (all optional):
#   RAG_BUILD_DIR     build tree with ragd, rag-ctl, rag-bench (default ./build)
#   BENCH_CONC        handshakes in flight (20)      BENCH_HOLD  hold seconds (10)
#   BENCH_ROUNDS      ragd, strongSwan, ragd, ... rounds (2; medians reported)
#   BENCH_THREADS     rag-bench threads (1)          BENCH_SOURCES / BENCH_PORTS
#                     source addresses (8) x UDP ports each (default: one
#                     address:port per IKE SA)
#   BENCH_IKE / BENCH_ESP   proposals (aes256gcm16-prfsha384-x25519 / aes256gcm16)
#   BENCH_HALF_OPEN   half-open limit = charon cookie_threshold (1000)
#   BENCH_DPD         liveness-check interval of both responders (10m)
#   BENCH_OUT         results dir (default $RAG_BUILD_DIR/tests/bench/out/responder-N)
#   RAG_E2E_MEM       guest memory in MiB (default: 2048 + 96 KiB per SA)
#   RAG_E2E_TIMEOUT   guest time limit in s (default: 900 + 2 s per SA and round)
# Needs what the e2e suite needs (root, qemu-system-x86, strongSwan, ...):
# missing prerequisites are a failure, never a skip.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
N=${1:-300}
case $N in
'' | *[!0-9]*) echo "usage: run-responder-bench.sh [N]   (N = IKE SAs, a number)" >&2; exit 2 ;;
esac
[ "$N" -ge 1 ] && [ "$N" -le 1000000 ] || { echo "run-responder-bench: N must be 1..1000000" >&2; exit 2; }
export RAG_SRC_DIR=${RAG_SRC_DIR:-$SRC}
export RAG_BUILD_DIR=${RAG_BUILD_DIR:-$SRC/build}
for b in daemon/ragd cli/rag-ctl tests/bench/rag-bench; do
	[ -x "$RAG_BUILD_DIR/$b" ] || { echo "run-responder-bench: $RAG_BUILD_DIR/$b not built" >&2; exit 1; }
done
export BENCH_N=$N
export BENCH_ROUNDS=${BENCH_ROUNDS:-2}
export RAG_E2E_ENV="BENCH_N BENCH_CONC BENCH_HOLD BENCH_ROUNDS BENCH_THREADS BENCH_SOURCES BENCH_PORTS BENCH_IKE BENCH_ESP BENCH_HALF_OPEN BENCH_DPD ${RAG_E2E_ENV:-}"
export RAG_E2E_MEM=${RAG_E2E_MEM:-$((2048 + N * 96 / 1024))}
export RAG_E2E_TIMEOUT=${RAG_E2E_TIMEOUT:-$((900 + 2 * N * BENCH_ROUNDS))}
OUT=${BENCH_OUT:-$RAG_BUILD_DIR/tests/bench/out/responder-$N}
# A run can take hours: work on a snapshot of the binaries and of the guest
# script (bash reads a script as it goes), so that a rebuild or an edit in
# the tree meanwhile changes nothing between rounds.  The guest sees the
# host's /tmp.
SNAP=$(mktemp -d /tmp/rag-bench-run.XXXXXX) || exit 1
trap 'rm -rf "$SNAP"' EXIT
cp "$RAG_BUILD_DIR/daemon/ragd" "$RAG_BUILD_DIR/cli/rag-ctl" "$RAG_BUILD_DIR/tests/bench/rag-bench" \
	"$HERE/responder_bench_guest.sh" "$SNAP/" || exit 1
export RAGD_BIN=$SNAP/ragd RAG_CTL_BIN=$SNAP/rag-ctl RAG_BENCH=$SNAP/rag-bench
RAG_E2E_ENV="$RAG_E2E_ENV RAGD_BIN RAG_CTL_BIN RAG_BENCH"
echo "run-responder-bench: N=$N, guest ${RAG_E2E_MEM} MiB, time limit ${RAG_E2E_TIMEOUT} s, results in $OUT"
t0=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$SRC/tests/e2e/run-e2e.sh" "$SNAP/responder_bench_guest.sh" "$OUT"
rc=$?
echo "run-responder-bench: guest run took $(( $(date +%s) - t0 )) s (exit $rc)"
if [ -s "$OUT/report.txt" ]; then
	cat "$OUT/report.txt"
	echo "host: $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
else
	echo "run-responder-bench: no report (see $OUT/console.log)" >&2
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
