#!/bin/bash
# run-interop.sh CHECKER OUTDIR — meson entry of the interop_strongswan test:
# check prerequisites, capture strongSwan-to-strongSwan exchanges on the host
# (capture.sh), then verify them with libike (CHECKER = interop_check).
#
# Contract: exit 0 only when the capture ran and every suite verified.
# Missing prerequisites are a FAILURE naming the package, never a skip.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKER=$1
OUT=$2
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces, tcpdump)")
need() { command -v "$1" > /dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }
need ip iproute2
need tcpdump tcpdump
need charon-systemd charon-systemd
need swanctl strongswan-swanctl
need pki strongswan-pki
plugin() { # name package
	[ -e "/usr/lib/ipsec/plugins/libstrongswan-$1.so" ] ||
		missing+=("strongSwan plugin $1 (Debian package $2)")
}
plugin kernel-libipsec libcharon-extra-plugins
plugin eap-identity libcharon-extra-plugins
plugin eap-mschapv2 libcharon-extauth-plugins
plugin cmac libstrongswan-extra-plugins
plugin curve25519 libstrongswan-extra-plugins
plugin gcm libstrongswan-standard-plugins
plugin kdf libstrongswan
[ -c /dev/net/tun ] || missing+=("/dev/net/tun (kernel-libipsec needs TUN)")
[ -x "$CHECKER" ] || missing+=("$CHECKER (not built)")
if [ ${#missing[@]} -gt 0 ]; then
	echo "interop: FAIL: prerequisites missing (this is a failure, not a skip):" >&2
	printf '  - %s\n' "${missing[@]}" >&2
	exit 1
fi
"$HERE/capture.sh" "$OUT" || { echo "interop: FAIL: capture.sh failed" >&2; exit 1; }
"$CHECKER" "$OUT"
