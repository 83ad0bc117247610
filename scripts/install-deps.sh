#!/bin/sh
# Installs everything rvisor needs to build and to run its tests, from Debian's packages.
# Idempotent and non-interactive; skips apt entirely when all packages are already present.
set -eu

PACKAGES="
	build-essential pkg-config binutils kmod
	libsystemd-dev libcap-dev libinih-dev libjson-c-dev libkmod-dev libmount-dev libseccomp-dev
	bats jq util-linux linux-perf man-db groff-base
	golang-go golang-github-varlink-go-dev
	linux-image-amd64 linux-headers-amd64
	qemu-system-x86 busybox-static bash-static cpio
	dkms debootstrap e2fsprogs
	bubblewrap crun firejail apache2-utils libfuse3-3
	debhelper dh-dkms lintian fakeroot rpm
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all build and test dependencies are installed"
	exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
