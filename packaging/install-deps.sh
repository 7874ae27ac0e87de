#!/bin/sh
# install-deps.sh [build|test] — install the Debian 12 packages rag needs.
#   build: compiler, meson and the libraries ragd links
#   test:  build + clang/libFuzzer, strongSwan peers, QEMU guest tooling
# Idempotent: packages already present are not fetched again.
set -eu
what=${1:-build}
build_pkgs="gcc meson ninja-build pkg-config libssl-dev libsodium-dev libmnl-dev
libsqlite3-dev libsystemd-dev libnftables-dev libnftnl-dev openssl
libjansson-dev libarchive-dev zlib1g-dev"
test_pkgs="clang libclang-rt-14-dev python3 iproute2 iputils-ping tcpdump
util-linux coreutils file libstrongswan sqlite3 nftables
strongswan-swanctl charon-systemd strongswan-charon strongswan-pki
libcharon-extra-plugins libcharon-extauth-plugins libstrongswan-extra-plugins
libstrongswan-standard-plugins qemu-system-x86 busybox-static cpio kmod"
pkgs=$build_pkgs
[ "$what" = test ] && pkgs="$build_pkgs $test_pkgs"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# strongSwan's charon is only used as a test peer: keep its service off
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
