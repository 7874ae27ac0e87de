#!/bin/sh
# run-fuzz.sh BINARY SEED_DIR SECONDS
# SECONDS = 0: replay the seed corpus once (non-libFuzzer build).
# SECONDS > 0: fuzz for that long on a scratch copy of the seeds; any crash,
#              leak or sanitizer report makes libFuzzer exit non-zero.
set -eu
bin=$1 seeds=$2 secs=$3
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "no seed corpus in $seeds" >&2; exit 1; }
if [ "$secs" = 0 ]; then
	exec "$bin" "$seeds"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work"/
cd "$work"
exec "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	-print_final_stats=1 "$work"
