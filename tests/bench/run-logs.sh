#!/bin/sh
# run-logs.sh [ROWS] — the logs benchmark of issue 5 (tests/bench/README.md):
# ROWS rows (default 10,000,000) over 90 days through ragd's log writer, then
# size, one user's 90-day search, a retention pass.  Figures only.
#   RAG_BUILD_DIR  build directory (default ./build)
#   TMPDIR         where the temporary logs.db goes (default /var/tmp; needs
#                  about 200 MiB per million rows)
set -eu
build=${RAG_BUILD_DIR:-build}
rows=${1:-${RAG_BENCH_LOG_ROWS:-10000000}}
bin=$build/tests/bench/bench_logs
[ -x "$bin" ] || { echo "run-logs.sh: $bin not built (meson setup $build && ninja -C $build)" >&2; exit 1; }
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
exec "$bin" --rows "$rows"
