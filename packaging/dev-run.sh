#!/bin/sh
# dev-run.sh — build ragd and run it in the foreground on embedded defaults
# (state in /var/lib/rag, generated CA and server certificate, control socket
# /run/rag/ragd.sock).  Extra arguments are passed to ragd (e.g. -v).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/packaging/install-deps.sh" build
if [ ! -f "$top/build/build.ninja" ]; then
	meson setup "$top/build" "$top" >/dev/null
fi
ninja -C "$top/build" >/dev/null
exec "$top/build/daemon/ragd" -f "$@"
