#!/bin/bash
# run-guest.sh [--out DIR] [--timeout SEC] SCRIPT — boot Debian's generic
# kernel under QEMU with the host's / as root (read-only 9p + tmpfs overlay)
# and run SCRIPT (a bash script on the host filesystem) inside it as root.
#
# Contract: exit status = SCRIPT's exit status inside the guest.  The status
# travels through the writable 9p share DIR (default ./e2e-out/NAME); if it
# is missing (guest crash, panic, timeout, qemu failure) the run FAILS with
# status 99.  The guest console is saved to DIR/console.log; it is printed
# in full when the run fails, otherwise only the lines the script tagged
# (lib.sh reporting) are.  Kernel and initramfs are cached in RAG_E2E_CACHE
# (default /var/cache/rag-e2e) and rebuilt only when their inputs change.
#
# Environment:
#   RAG_E2E_CACHE     cache dir            RAG_E2E_VERBOSE=1  stream console
#   RAG_E2E_ENV       names of host variables to pass into the guest
#   RAG_E2E_SMP / RAG_E2E_MEM / RAG_E2E_CPU   qemu sizing (2 / 1024 / max)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_DIR=$(dirname "$HERE")
CACHE=${RAG_E2E_CACHE:-/var/cache/rag-e2e}
OUT=
TIMEOUT=600
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run-guest: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: run-guest.sh [--out DIR] [--timeout SEC] SCRIPT" >&2; exit 2; }
SCRIPT=$(realpath "$1")
NAME=$(basename "$SCRIPT" .sh)
OUT=${OUT:-$PWD/e2e-out/$NAME}
fail() { echo "run-guest: FAIL: $*" >&2; exit 99; }
[ -r "$SCRIPT" ] || fail "script $SCRIPT not readable"

t_start=$(date +%s.%N)
el() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- kernel + initramfs (cached; serialised between parallel runs) -----------
mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9
KROOT=$("$HERE/fetch-kernel.sh" | tail -n1) || fail "fetch-kernel.sh failed"
KV=$(ls "$KROOT/lib/modules")
BUSYBOX=${RAG_E2E_BUSYBOX:-/bin/busybox}
key=$( { cat "$HERE/init.sh" "$HERE/build-initramfs.sh"; echo "$KV"; sha256sum < "$BUSYBOX"; } |
	sha256sum | cut -c1-12)
INITRD=$CACHE/initramfs-$KV-$key.cpio.gz
if [ ! -s "$INITRD" ]; then
	"$HERE/build-initramfs.sh" "$KROOT" "$INITRD" || fail "build-initramfs.sh failed"
	# drop archives built from older inputs
	for f in "$CACHE"/initramfs-*.cpio.gz; do
		[ "$f" = "$INITRD" ] || rm -f "$f"
	done
fi
flock -u 9
exec 9>&-
t_prep=$(el "$t_start")

# ---- results share ----------------------------------------------------------------
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
find "$OUT" -mindepth 1 -delete
{
	printf 'RAG_E2E_SCRIPT=%q\n' "$SCRIPT"
	printf 'RAG_E2E_LIB=%q\n' "$E2E_DIR/lib.sh"
	printf 'RAG_E2E_NAME=%q\n' "$NAME"
	for v in RAG_SRC_DIR RAG_BUILD_DIR XTRACE ${RAG_E2E_ENV:-}; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	echo 'export RAG_E2E_SCRIPT RAG_E2E_LIB RAG_E2E_NAME'
} > "$OUT/guest.env"

# ---- boot ---------------------------------------------------------------------------
qemu=(timeout -k 10 "$TIMEOUT" qemu-system-x86_64
	-accel tcg,thread=multi -smp "${RAG_E2E_SMP:-2}" -cpu "${RAG_E2E_CPU:-max}"
	-m "${RAG_E2E_MEM:-1024}" -machine q35 -nodefaults -no-user-config
	-display none -vga none -serial stdio -monitor none -no-reboot
	# no_timer_check: under TCG on a loaded host the IO-APIC timer check
	# can fail and panic the boot ("IO-APIC + timer doesn't work")
	-kernel "$KROOT/boot/vmlinuz-$KV" -initrd "$INITRD"
	-append "console=ttyS0 panic=-1 no_timer_check quiet loglevel=3 rag.kmods=$KROOT/lib/modules rag.out=$OUT"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=hostroot
	-fsdev "local,id=out,path=$OUT,security_model=none"
	-device virtio-9p-pci,fsdev=out,mount_tag=out
	-device virtio-rng-pci)
t_boot=$(date +%s.%N)
qrc=0
if [ -n "${RAG_E2E_VERBOSE:-}" ]; then
	"${qemu[@]}" < /dev/null 2>&1 | tee "$OUT/console.log" || qrc=${PIPESTATUS[0]}
else
	"${qemu[@]}" < /dev/null > "$OUT/console.log" 2>&1 || qrc=$?
fi
t_run=$(el "$t_boot")

rc=99
why="no exit_status from the guest (crash, panic or timeout; qemu exit $qrc)"
[ "$qrc" = 124 ] && why="guest timed out after ${TIMEOUT}s"
if [ -f "$OUT/exit_status" ]; then
	rc=$(cat "$OUT/exit_status")
	why="guest script exited $rc"
	case $rc in '' | *[!0-9]*) rc=99; why="garbled exit_status" ;; esac
fi
if [ "$rc" = 0 ]; then
	[ -n "${RAG_E2E_VERBOSE:-}" ] || grep -E '^(rag-e2e|e2e)[:[]' "$OUT/console.log" || true
	echo "run-guest: $NAME PASSED (prepare ${t_prep}s, guest ${t_run}s, total $(el "$t_start")s); log $OUT/console.log"
	exit 0
fi
if [ -z "${RAG_E2E_VERBOSE:-}" ]; then
	echo "===== guest console ($OUT/console.log) ====="
	cat "$OUT/console.log"
	echo "===== end of guest console ====="
fi
echo "run-guest: $NAME FAILED: $why (guest ${t_run}s); artifacts in $OUT" >&2
exit "$rc"
