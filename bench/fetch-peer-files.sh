#!/bin/bash
# Fetches the files of Debian's that the peer and views tables (bench/run-vm.sh) need and no
# package installs here without side effects: nginx, the binary only (installing the package
# would start a web server on the host), lxcfs and its library (installing it would start
# its daemon and mount /var/lib/lxcfs on the host), and docker's default seccomp profile, which dockerd embeds
# in its binary and Debian ships as a file only in golang-github-docker-docker-dev (built from
# the same source package as docker.io; installing it pulls some 250 Go source packages).
# `apt-get download` fetches each .deb from the configured mirror, and the one file is taken
# out of it: nothing is installed.
#   bench/fetch-peer-files.sh DIR
# Leaves DIR/nginx, DIR/docker-default.json, DIR/lxcfs/ (usr/bin/lxcfs and its liblxcfs.so,
# laid out as installed) and DIR/versions (the packages' versions, last, so that a complete
# DIR has it). Their shared libraries must be installed here (libssl3, libpcre2-8-0 and
# libfuse3-3: make deps); mkinitramfs.sh copies them.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
out=$1
nginx_pkg=nginx
docker_pkg=golang-github-docker-docker-dev
lxcfs_pkg=lxcfs
lxcfs_files=(./usr/bin/lxcfs ./usr/lib/x86_64-linux-gnu/lxcfs/liblxcfs.so)
profile=./usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt's download user must be able to write there (else apt warns and downloads as root).
chmod 0755 "$tmp"
chown _apt "$tmp" 2>/dev/null || true
if ! (cd "$tmp" && apt-get download -q "$nginx_pkg" "$docker_pkg" "$lxcfs_pkg") >"$tmp/apt.log" 2>&1; then
	cat "$tmp/apt.log" >&2
	echo "$0: apt-get download $nginx_pkg $docker_pkg $lxcfs_pkg failed: the peer table's nginx" \
		"row, crun with docker's seccomp profile and the views table's lxcfs will be n/a" >&2
	exit 1
fi
mkdir -p "$out"
rm -f "$out/versions"
dpkg-deb --fsys-tarfile "$tmp"/"$nginx_pkg"_*.deb | tar -x -C "$tmp" ./usr/sbin/nginx
dpkg-deb --fsys-tarfile "$tmp"/"$docker_pkg"_*.deb | tar -x -C "$tmp" "$profile"
install -m 0755 "$tmp/usr/sbin/nginx" "$out/nginx"
jq -e '.defaultAction and (.syscalls | length > 0)' "$tmp/$profile" >/dev/null ||
	{ echo "$0: $profile in $docker_pkg is not a seccomp profile" >&2; exit 1; }
install -m 0644 "$tmp/$profile" "$out/docker-default.json"
rm -rf "$out/lxcfs"
mkdir -p "$out/lxcfs"
dpkg-deb --fsys-tarfile "$tmp"/"$lxcfs_pkg"_*.deb | tar -x -C "$out/lxcfs" "${lxcfs_files[@]}"
for deb in "$tmp"/*.deb; do
	# shellcheck disable=SC2016 # dpkg-deb's format, not the shell's
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"
done >"$out/versions.new"
mv "$out/versions.new" "$out/versions"
