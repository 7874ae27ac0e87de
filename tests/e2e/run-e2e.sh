#!/bin/bash
# run-e2e.sh SCRIPT OUTDIR — meson entry point of the 'e2e' suite: check the
# prerequisites, then boot the guest and run SCRIPT in it (guest/run-guest.sh).
#
# Contract: exit 0 only when the guest script passed.  Missing
# prerequisites (not root, no qemu, no busybox-static, ...) are a FAILURE
# with a message naming what is missing and which package provides it,
# never a skip: CI must not go green without having run the test.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (netns, 9p share and QEMU run as root)")
need() { # command package
	command -v "$1" > /dev/null 2>&1 || missing+=("$1 (Debian package $2)")
}
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
need modprobe kmod
need depmod kmod
need apt-get apt
need dpkg dpkg
need flock util-linux
need timeout coreutils
need ip iproute2
need ping iputils-ping
need charon-systemd charon-systemd
need swanctl strongswan-swanctl
need pki strongswan-pki
[ -x /bin/busybox ] || missing+=("/bin/busybox (Debian package busybox-static)")
[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ] ||
	missing+=("strongSwan eap-mschapv2 plugin (Debian package libcharon-extauth-plugins)")
[ -e /usr/lib/ipsec/plugins/libstrongswan-kdf.so ] ||
	missing+=("strongSwan kdf plugin (Debian package libstrongswan)")
if [ ${#missing[@]} -gt 0 ]; then
	echo "e2e: FAIL: prerequisites missing (this is a failure, not a skip):" >&2
	printf '  - %s\n' "${missing[@]}" >&2
	exit 1
fi
exec "$HERE/guest/run-guest.sh" --out "$2" --timeout "${RAG_E2E_TIMEOUT:-600}" "$1"
