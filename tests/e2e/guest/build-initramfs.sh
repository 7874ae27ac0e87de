#!/bin/sh
# build-initramfs.sh KROOT OUT — build the e2e initramfs for the kernel tree
# KROOT (from fetch-kernel.sh) into OUT (a .cpio.gz).
#
# Contract: the archive holds a static busybox, init.sh as /init and the
# modules needed to reach the host root (virtio_pci, 9pnet_virtio, 9p,
# overlay) with their dependencies, in load order.  Writes OUT atomically.
# Needs busybox-static, kmod (modprobe), cpio, gzip.
set -eu
KROOT=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
KV=$(ls "$KROOT/lib/modules")
BUSYBOX=${RAG_E2E_BUSYBOX:-/bin/busybox}
# a dynamically linked busybox would not run in the initramfs
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
	case "$(ldd "$BUSYBOX" 2>&1)" in
	*"not a dynamic executable"*) ;;
	*) echo "build-initramfs: $BUSYBOX is not static (install busybox-static)" >&2; exit 1 ;;
	esac
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/bin" "$W/mods" "$W/proc" "$W/sys" "$W/dev" "$W/lower" "$W/rw" "$W/newroot"
cp "$BUSYBOX" "$W/bin/busybox"
for a in sh mount mkdir insmod switch_root sleep cat echo tr sed tail; do
	ln -s busybox "$W/bin/$a"
done
# dependencies first, each module once
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -d "$KROOT" -S "$KV" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' > "$W/list"
[ -s "$W/list" ] || { echo "build-initramfs: no modules resolved in $KROOT" >&2; exit 1; }
: > "$W/mods/order"
while read -r ko; do
	cp "$ko" "$W/mods/"
	basename "$ko" >> "$W/mods/order"
done < "$W/list"
rm "$W/list"
cp "$HERE/init.sh" "$W/init"
chmod 755 "$W/init"
(cd "$W" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-initramfs: $OUT for $KV, modules: $(tr '\n' ' ' < "$W/mods/order")" >&2
