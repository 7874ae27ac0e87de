#!/bin/sh
# fetch-kernel.sh — put Debian's generic amd64 kernel (the package that
# linux-image-amd64 depends on) into the e2e cache, unpacked and depmod'ed.
#
# Contract: idempotent. Prints the absolute path of the unpacked kernel tree
# (KROOT: KROOT/boot/vmlinuz-KV, KROOT/lib/modules/KV) as the LAST line of
# stdout and exits 0, or exits non-zero with a message on stderr.  A tree is
# only ever published complete (unpack into a temp dir, then rename), so an
# interrupted run never leaves a half-unpacked kernel that later runs trust.
#
#   RAG_E2E_CACHE   cache directory (default /var/cache/rag-e2e)
#   RAG_E2E_KPKG    force a kernel package name (default: resolved via apt)
#
# Why the generic flavour: linux-image-cloud-amd64 has CONFIG_NET_9P unset,
# and the guest mounts the host's root over virtio-9p.
set -eu
CACHE=${RAG_E2E_CACHE:-/var/cache/rag-e2e}
mkdir -p "$CACHE/kernel"
log() { echo "fetch-kernel: $*" >&2; }

resolve_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

PKG=${RAG_E2E_KPKG:-}
[ -n "$PKG" ] || PKG=$(resolve_pkg || true)
if [ -z "$PKG" ]; then
	# apt lists may be missing on a fresh machine; one update, then retry
	log "cannot resolve linux-image-amd64 (no apt lists?); running apt-get update"
	apt-get update -qq >&2 || true
	PKG=$(resolve_pkg || true)
fi
if [ -z "$PKG" ]; then
	# offline: reuse whatever complete kernel the cache already holds
	for d in "$CACHE"/kernel/linux-image-*; do
		[ -f "$d/.complete" ] && PKG=$(basename "$d")
	done
	[ -n "$PKG" ] || { log "no kernel package resolvable and none cached"; exit 1; }
	log "apt unavailable; using cached $PKG"
fi

KROOT=$CACHE/kernel/$PKG
if [ -f "$KROOT/.complete" ]; then
	echo "$KROOT"
	exit 0
fi

log "downloading and unpacking $PKG into $KROOT"
TMP=$(mktemp -d "$CACHE/kernel/.tmp.XXXXXX")
chmod 755 "$TMP"	# apt-get download drops to user _apt
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && apt-get download -qq "$PKG" >&2 ) || {
	apt-get update -qq >&2 || true
	( cd "$TMP" && apt-get download -qq "$PKG" >&2 )
}
deb=$(ls "$TMP"/*.deb)
mkdir "$TMP/root"
dpkg -x "$deb" "$TMP/root"
KV=$(ls "$TMP/root/lib/modules")
[ -f "$TMP/root/boot/vmlinuz-$KV" ] || { log "no vmlinuz-$KV in $deb"; exit 1; }
# the .deb ships no modules.dep (its postinst generates it)
depmod -b "$TMP/root" "$KV"
echo "$PKG $KV $(sha256sum "$deb" | cut -d' ' -f1)" > "$TMP/root/.complete"
rm -rf "$KROOT"
mv "$TMP/root" "$KROOT"
log "kernel $KV ready"
echo "$KROOT"
