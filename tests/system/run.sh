#!/bin/bash
# The full-system test: rvisor installed from its Debian packages on a real Debian 12 with
# systemd, booted in QEMU, used the way a user uses it. Prints TAP (one plan, at the end).
#   1. A Debian 12 tree (debootstrap minbase + systemd, kernel, headers, dkms, the container
#      engines podman, containerd, docker.io with crun and runc, python3 with its test suite
#      and stress-ng for the compatibility suite, …) in build/system/base/, an
#      image for a sandbox, Debian's nginx in a minbase tree of its own, in
#      build/system/nginx-image/, and an image for the engines, busybox as a docker-archive
#      (tests/system/make-engine-image.sh), in build/system/engine-image/; each cached:
#      rebuilt only when its recipe (the package list, the scripts) changes.
#   2. A per-run overlay of it: `apt install ./rvisor-dkms_*.deb ./rvisor_*.deb` in a chroot
#      (DKMS builds rvisor.ko for the tree's kernel); a user alice in group rvisor, a user bob
#      outside it, /srv/busybox, /home/alice/nginx (the nginx image re-owned to alice's ids
#      and subordinate ids by tests/images/shift-ids.sh, as rootless podman stores images),
#      /srv/engine-image.tar, idle_timeout = 5, tests/system/guest-test.sh as a oneshot unit
#      after multi-user, the compatibility suite in /usr/local/lib/rvisor-compat and root's
#      subordinate ids; docker, containerd and apparmor.service do not start at boot.
#   3. An ext4 image made from the tree with `mke2fs -d` (no loop mounts), booted in the
#      background with the tree's own kernel and initramfs-tools initrd (KVM when it works,
#      else TCG).
#   4. Meanwhile, in the chroot (never booted): a second kernel's headers (DKMS must build
#      rvisor for it too), then apt-get purge of both packages must leave nothing behind.
#   5. The guest's TAP comes back on ttyS1; the console is kept in build/system/console.log.
#      The host adds: the guest reported, finished in time, and its kernel log is clean.
#   tests/system/run.sh              the whole test
#   tests/system/run.sh --base-only  only prepare the cached trees (e.g. to warm a CI cache)
#   tests/system/run.sh --bench      the same system, running bench/oci-vm.sh instead of the
#                                    tests (make bench-oci)
# Environment: RVISOR_SYSTEM_DEBS=DIR (use the rvisor_*.deb and rvisor-dkms_*.deb there instead
# of running `make deb`), RVISOR_SYSTEM_TIMEOUT (guest seconds, default 1500),
# RVISOR_SYSTEM_ACCEL (auto, kvm or tcg), RVISOR_SYSTEM_MIRROR (default
# http://deb.debian.org/debian), RVISOR_SYSTEM_SECURITY (security mirror, default
# http://deb.debian.org/debian-security; empty: none), RVISOR_SYSTEM_KEEP=1 (keep the image
# and the per-run tree in build/system/run/ for a look afterwards).
# Needs root (chroot, mounts), debootstrap, e2fsprogs >= 1.43 (mke2fs -d), qemu-system-x86.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
# shellcheck source=tests/lib/qemu-accel.bash
source tests/lib/qemu-accel.bash
# shellcheck source=tests/lib/guest-tap.bash
source tests/lib/guest-tap.bash

sysdir=$top/build/system
base=$sysdir/base
rundir=$sysdir/run
root=$rundir/root
image=$rundir/image.raw
console=$sysdir/console.log
results=$sysdir/results.log
timeout_s=${RVISOR_SYSTEM_TIMEOUT:-1500}
mirror=${RVISOR_SYSTEM_MIRROR:-http://deb.debian.org/debian}
security=${RVISOR_SYSTEM_SECURITY-http://deb.debian.org/debian-security}
suite=bookworm
base_only=0 bench=0
[ "${1:-}" = --base-only ] && base_only=1
[ "${1:-}" = --bench ] && bench=1

# The container engines the engine section of the guest test drives (docker.io pulls
# containerd, runc, tini and iptables; podman conmon and containers-common), crun (what
# rvisor-runc wraps) and uidmap (newuidmap for alice's rootless podman). netavark is the
# network stack podman's containers-common asks for (either it or the CNI plugins), named so
# that apt need not choose; no slirp4netns or fuse-overlayfs: every run uses --network none,
# and kernel 6.1 mounts overlayfs in a user namespace itself. apparmor (a docker.io
# recommendation, and on every Debian install): Debian's kernel enables AppArmor, and dockerd
# then refuses to start a container without apparmor_parser to load its docker-default
# profile; podman and docker confine their containers with it, as on a user's machine.
ENGINE_PACKAGES="podman crun runc containerd docker.io uidmap netavark apparmor"
# The compatibility suite (tests/system/compat.sh): Python's own regression tests and
# stress-ng, run natively and in a sandbox.
COMPAT_PACKAGES="python3 libpython3.11-testsuite stress-ng"
# What the cached tree holds. systemd-sysv makes systemd pid 1; the libraries are rvisor's
# run-time dependencies, so that installing the packages needs no download.
BASE_PACKAGES="systemd systemd-sysv udev dbus kmod initramfs-tools zstd linux-image-amd64
	linux-headers-amd64 dkms jq busybox-static e2fsprogs procps apache2-utils
	libsystemd0 libcap2 libjson-c5 libseccomp2 libinih1 libkmod2 libmount1
	$ENGINE_PACKAGES $COMPAT_PACKAGES"
# shellcheck disable=SC2086 # one line, single spaces
base_list=$(echo $BASE_PACKAGES)
# Bump when the way the tree is built changes (it is part of the cache key).
BASE_RECIPE=6

# The container engines' image (a docker-archive of the tree's static busybox).
engine_image=$sysdir/engine-image/rvisor-test.tar

# The image alice runs in a sandbox: Debian's nginx package with its configuration untouched,
# in a minbase tree of its own (nginx is never installed in the system itself).
nginx_image=$sysdir/nginx-image
NGINX_PACKAGES="nginx"
# Bump when the way the image is built changes (it is part of the cache key).
NGINX_RECIPE=1

t0=$(date +%s)
check() { # check DESCRIPTION COMMAND…: a test line from the command's status
	local d=$1
	shift
	if "$@"; then tap OK "$d"; else tap NOT "$d"; fi
}
note() { echo "# $*"; }
elapsed() { echo $(($(date +%s) - t0)); }

# Ends the run: cleanup, then the plan. A fatal step ends here with what it has counted.
finish() {
	cleanup
	echo "1..$n"
	[ "$failed" -eq 0 ] && [ "$n" -gt 0 ]
	exit
}
fatal() { # fatal DESCRIPTION: one failed test, then the end
	tap NOT "$1"
	finish
}

# Mounts under build/system/ (debootstrap's, the chroot's, the overlay), deepest first.
mounts_under() { findmnt -rn -o TARGET | awk -v p="$1" '$0 == p || index($0, p "/") == 1' | sort -r; }
umount_under() {
	local m
	for m in $(mounts_under "$1"); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
# rm -rf that never follows into a mounted /dev or /proc.
safe_rm() {
	local d
	for d in "$@"; do
		[ -e "$d" ] || continue
		umount_under "$d"
		if [ -n "$(mounts_under "$d")" ]; then
			echo "# still mounted under $d: not removing it" >&2
			return 1
		fi
		rm -rf --one-file-system "$d"
	done
}
cleanup() {
	[ -n "${cleaned:-}" ] && return
	cleaned=1
	[ -z "${qemu_pid:-}" ] || { kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null; }
	umount_under "$sysdir"
	# A console the run did not get to copy (interrupted) is still worth keeping.
	[ ! -s "$rundir/console.raw" ] || [ -s "$console" ] || tr -d '\r' <"$rundir/console.raw" >"$console"
	if [ "${RVISOR_SYSTEM_KEEP:-0}" != 1 ]; then
		safe_rm "$rundir" "$base.new" "$nginx_image.new"
	fi
}
# On a signal: the trap may run inside a function whose output is redirected to a log, so
# its lines go to the stdout the script started with (fd 7).
exec 7>&1
# shellcheck disable=SC2317 # called by the trap
on_signal() {
	exec 1>&7 2>&1
	tap NOT "the run was interrupted by a signal"
	finish
}
trap on_signal INT TERM HUP
trap cleanup EXIT

# Runs a command in a tree as root with a clean environment.
in_tree() { # in_tree DIR COMMAND…
	local dir=$1
	shift
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb \
		DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true chroot "$dir" "$@"
}
# /proc, /sys and /dev for a chroot; undone by unmount_tree (and cleanup on every exit).
mount_tree() {
	mount -t proc proc "$1/proc" &&
		mount -t sysfs sysfs "$1/sys" &&
		mount --bind /dev "$1/dev" &&
		mount --bind /dev/pts "$1/dev/pts"
}
unmount_tree() { umount_under "$1"/proc; umount_under "$1"/sys; umount_under "$1"/dev; }
# Services never start inside the chroot.
policy_rc_d() { # policy_rc_d DIR on|off
	if [ "$2" = on ]; then
		printf '#!/bin/sh\n# rvisor system test: no services in the chroot\nexit 101\n' >"$1/usr/sbin/policy-rc.d"
		chmod 0755 "$1/usr/sbin/policy-rc.d"
	else
		rm -f "$1/usr/sbin/policy-rc.d"
	fi
}

[ "$(id -u)" -eq 0 ] || fatal "the system test runs as root (chroot, mounts)"
for tool in debootstrap mke2fs qemu-system-x86_64 chroot findmnt flock; do
	command -v "$tool" >/dev/null || fatal "$tool is installed (make deps)"
done
mkdir -p "$sysdir"
exec 9>"$sysdir/.lock"
flock -n 9 || { note "waiting for another system test run"; flock 9; }
umount_under "$sysdir" # a killed run's leftovers

# --- 1. The cached Debian tree -------------------------------------------------------------
base_key=$(printf '%s\n' "recipe=$BASE_RECIPE" "suite=$suite" "mirror=$mirror" \
	"security=$security" "$base_list" | sha256sum | cut -c1-16)

build_base() {
	local new=$base.new kver second
	safe_rm "$new" || return 1
	mkdir -p "$new"
	note "debootstrap $suite (minbase) into $new"
	debootstrap --variant=minbase "$suite" "$new" "$mirror" 2>&1 | grep -vE '^I: (Retrieving|Validating|Extracting|Unpacking|Configuring)' | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	# The user's apt sources; dpkg without fsync (a throw-away tree); no recommends.
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		[ -z "$security" ] || echo "deb $security $suite-security main"
	} >"$new/etc/apt/sources.list"
	echo force-unsafe-io >"$new/etc/dpkg/dpkg.cfg.d/rvisor-system-unsafe-io"
	printf 'path-exclude=/usr/share/%s/*\n' doc man info locale >"$new/etc/dpkg/dpkg.cfg.d/rvisor-system-nodoc"
	printf 'APT::Install-Recommends "false";\n' >"$new/etc/apt/apt.conf.d/90rvisor-system-no-recommends"
	policy_rc_d "$new" on
	mount_tree "$new" || return 1
	note "apt-get install $base_list"
	# shellcheck disable=SC2086
	{
		in_tree "$new" apt-get update -q &&
			in_tree "$new" apt-get dist-upgrade -y -q &&
			in_tree "$new" apt-get install -y -q $BASE_PACKAGES
	} 2>&1 | grep -vE '^(Get:|Selecting previously|Preparing to unpack|Unpacking|Setting up|Processing triggers|\(Reading database|update-alternatives: warning: skip creation of /usr/share/man)' | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || { unmount_tree "$new"; return 1; }
	kver=$(cd "$new/boot" && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -1)
	[ -n "$kver" ] && [ -s "$new/boot/initrd.img-$kver" ] || { note "no kernel and initrd in $new/boot"; unmount_tree "$new"; return 1; }
	# A second kernel for DKMS to build for: the previous ABI of the same version and flavour
	# (6.1.0-55-amd64 beside 6.1.0-56-amd64), else the cloud flavour of this one. Only
	# downloaded here (after the clean); each run installs it from the cache.
	in_tree "$new" apt-get clean
	local ver=${kver%%-*} abi=${kver#*-}
	abi=${abi%%-*}
	second=$(in_tree "$new" apt-cache search --names-only "^linux-headers-${ver//./\\.}-[0-9]+-amd64\$" |
		sed -nE "s/^linux-headers-${ver//./\\.}-([0-9]+)-amd64 .*/\1/p" | awk -v c="$abi" '$1 < c' | sort -n | tail -1)
	if [ -n "$second" ]; then
		second=linux-headers-$ver-$second-amd64
	else
		second=linux-headers-${kver%-amd64}-cloud-amd64
	fi
	note "second kernel headers: $second"
	in_tree "$new" apt-get install -y -q --download-only "$second" 2>&1 | grep -vE '^Get:' | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || { unmount_tree "$new"; return 1; }
	unmount_tree "$new"
	policy_rc_d "$new" off
	rm -f "$new"/var/cache/apt/*.bin
	printf 'key: %s\nkernel: %s\nsecond: %s\npackages: %s\n' "$base_key" "$kver" "$second" \
		"$base_list" >"$new/.rvisor-system-base"
	safe_rm "$base" || return 1
	mv "$new" "$base"
}

if [ -f "$base/.rvisor-system-base" ] && grep -qxF "key: $base_key" "$base/.rvisor-system-base"; then
	base_how="cached"
else
	s=$(date +%s)
	build_base || fatal "Debian $suite tree built with debootstrap into $base"
	base_how="built in $(($(date +%s) - s))s"
fi
kver=$(sed -n 's/^kernel: //p' "$base/.rvisor-system-base")
second=$(sed -n 's/^second: //p' "$base/.rvisor-system-base")
second_kver=${second#linux-headers-}
tap OK "Debian $suite tree with systemd, kernel $kver and dkms ($base_how)"

# The nginx image: from the suite's release (no -updates, no -security: it serves one page
# on a loopback no one else reaches), without documentation, apt lists, caches or device
# nodes (rvisord makes the sandbox's /dev).
nginx_key=$(printf '%s\n' "recipe=$NGINX_RECIPE" "suite=$suite" "mirror=$mirror" \
	"$NGINX_PACKAGES" | sha256sum | cut -c1-16)
build_nginx_image() {
	local new=$nginx_image.new version
	safe_rm "$new" || return 1
	mkdir -p "$new"
	note "debootstrap $suite (minbase) with $NGINX_PACKAGES into $new"
	debootstrap --variant=minbase --include="${NGINX_PACKAGES// /,}" "$suite" "$new" "$mirror" 2>&1 |
		grep -vE '^I: (Retrieving|Validating|Extracting|Unpacking|Configuring)' | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	umount_under "$new"
	in_tree "$new" apt-get clean
	rm -rf "$new"/var/lib/apt/lists/* "$new"/var/cache/apt/*.bin "$new"/var/cache/debconf/*-old \
		"$new"/usr/share/doc/* "$new"/usr/share/man/* "$new"/usr/share/info/* \
		"$new"/usr/share/locale/* "${new:?}"/dev/*
	version=$(in_tree "$new" dpkg-query -W -f '${Version}' nginx 2>/dev/null)
	# The package's own page, which its postinst put in the default site's root.
	[ -x "$new/usr/sbin/nginx" ] && [ -f "$new/etc/nginx/sites-available/default" ] &&
		[ -L "$new/etc/nginx/sites-enabled/default" ] &&
		grep -qs 'Welcome to nginx' "$new/var/www/html/index.nginx-debian.html" ||
		{ note "no nginx, default site or welcome page in $new"; return 1; }
	printf 'key: %s\nnginx: %s\npackages: %s\n' "$nginx_key" "$version" "$NGINX_PACKAGES" \
		>"$new/.rvisor-system-nginx"
	safe_rm "$nginx_image" || return 1
	mv "$new" "$nginx_image"
}
if [ -f "$nginx_image/.rvisor-system-nginx" ] &&
	grep -qxF "key: $nginx_key" "$nginx_image/.rvisor-system-nginx"; then
	nginx_how="cached"
else
	s=$(date +%s)
	build_nginx_image || fatal "nginx image built with debootstrap into $nginx_image"
	nginx_how="built in $(($(date +%s) - s))s"
fi
tap OK "nginx $(sed -n 's/^nginx: //p' "$nginx_image/.rvisor-system-nginx") image, \
$(du -smx "$nginx_image" | cut -f1) MiB, $(find "$nginx_image" | wc -l) files ($nginx_how)"

# The engines' image: busybox from the tree as a docker-archive (podman load, docker load,
# ctr images import read it; no registry), made by tests/system/make-engine-image.sh. Cached
# by the busybox it holds and the scripts that make it.
engine_key=$(cat "$base/bin/busybox" tests/system/make-engine-image.sh tests/images/make-busybox-image.sh |
	sha256sum | cut -c1-16)
if [ -f "$engine_image.key" ] && grep -qxF "key: $engine_key" "$engine_image.key" && [ -s "$engine_image" ]; then
	engine_how="cached"
else
	mkdir -p "${engine_image%/*}"
	rm -f "$engine_image.key"
	tests/system/make-engine-image.sh "$base/bin/busybox" "$engine_image" 2>&1 | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || fatal "the engines' image $engine_image (tests/system/make-engine-image.sh)"
	echo "key: $engine_key" >"$engine_image.key"
	engine_how="made"
fi
tap OK "the engines' image ${engine_image#$top/}: busybox as a docker-archive, $(du -k "$engine_image" | cut -f1) KiB ($engine_how)"
[ "$base_only" = 0 ] || finish

# --- 2. The packages -----------------------------------------------------------------------
if [ -n "${RVISOR_SYSTEM_DEBS:-}" ]; then
	debdir=$(realpath "$RVISOR_SYSTEM_DEBS")
	note "packages from RVISOR_SYSTEM_DEBS=$debdir"
else
	debdir=$top/build/packages
	grep -q '^deb:' Makefile || fatal "the packages build (make deb: no such target in the Makefile yet)"
	s=$(date +%s)
	mkdir -p "$sysdir"
	if ! make -s deb >"$sysdir/make-deb.log" 2>&1; then
		tail -40 "$sysdir/make-deb.log" | comment
		fatal "the packages build (make deb; see build/system/make-deb.log)"
	fi
	note "make deb took $(($(date +%s) - s))s"
fi
newest() { ls -t "$debdir"/$1 2>/dev/null | head -1; }
deb_main=$(newest 'rvisor_*.deb')
deb_dkms=$(newest 'rvisor-dkms_*.deb')
[ -n "$deb_main" ] && [ -n "$deb_dkms" ] ||
	fatal "the packages rvisor_*.deb and rvisor-dkms_*.deb are in $debdir"
tap OK "packages: ${deb_dkms##*/} ${deb_main##*/}"

# --- 3. The per-run tree: an overlay on the cached one --------------------------------------
safe_rm "$rundir" || fatal "the previous run's tree can be removed ($rundir)"
mkdir -p "$rundir/upper" "$rundir/work" "$root"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$rundir/upper,workdir=$rundir/work" "$root" ||
	{ note "no overlayfs here: copying the tree"; cp -a "$base/." "$root/" || fatal "a copy of the tree in $root"; }
policy_rc_d "$root" on
mount_tree "$root" || fatal "/proc, /sys and /dev mounted in the chroot"
mkdir -p "$root/tmp/rvisor-debs"
cp "$deb_dkms" "$deb_main" "$root/tmp/rvisor-debs/"
chmod -R a+rX "$root/tmp/rvisor-debs"

s=$(date +%s)
in_tree "$root" apt-get install -y "/tmp/rvisor-debs/${deb_dkms##*/}" "/tmp/rvisor-debs/${deb_main##*/}" \
	>"$rundir/apt-install.log" 2>&1
rc=$?
apt_log() { grep -vE '^(\(Reading database|Selecting previously|Preparing to unpack)' "$1" | comment; }
apt_log "$rundir/apt-install.log"
grep -qE '^Need to get [1-9]' "$rundir/apt-install.log" && note "apt downloaded dependencies: add them to BASE_PACKAGES"
check "apt install ./${deb_dkms##*/} ./${deb_main##*/} in the chroot ($(($(date +%s) - s))s)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || finish

dkms_status=$(in_tree "$root" dkms status 2>&1)
echo "$dkms_status" | comment
dkms_has() { grep -qE "^rvisor/[^,]+, $1, x86_64: installed" <<<"$dkms_status"; }
check "dkms status: rvisor installed for the booted kernel $kver" dkms_has "$kver"
vermagic=$(in_tree "$root" modinfo -k "$kver" -F vermagic rvisor 2>&1)
modfile=$(in_tree "$root" modinfo -k "$kver" -n rvisor 2>&1)
note "modinfo rvisor: $modfile, vermagic $vermagic"
check "modprobe finds the DKMS-built rvisor.ko for $kver (updates/dkms, vermagic $kver)" \
	eval '[[ "$modfile" == */updates/dkms/rvisor.ko* ]] && [[ "$vermagic" == "$kver "* ]]'
check "the package created group rvisor" eval 'in_tree "$root" getent group rvisor >/dev/null'

# Rootless podman's configuration for USER, as the user would write it in ~/.config/containers:
# the overlay driver, which kernel 6.1 mounts in the user's namespace itself (podman 4.3 would
# otherwise pick vfs, with no fuse-overlayfs), and cgroupfs: the test runs podman with
# runuser, without a login session and so without a systemd user instance to delegate cgroups
# (podman would fall back to cgroupfs itself, with four warnings per call).
podman_user_config() { # podman_user_config USER
	local d=$root/home/$1/.config/containers
	mkdir -p "$d" &&
		printf '[storage]\ndriver = "overlay"\n' >"$d/storage.conf" &&
		printf '[engine]\ncgroup_manager = "cgroupfs"\n' >"$d/containers.conf" &&
		in_tree "$root" chown -R "$1:$1" "/home/$1/.config"
}
# --bench: the guest runs bench/oci-vm.sh instead of the tests, with Debian's nginx (the cached
# image, its own ids) as a podman image.
bench_setup() {
	[ "$bench" = 1 ] || return 0
	echo bench >"$root/etc/rvisor-system-mode" &&
		install -m 0755 bench/oci-vm.sh "$root/usr/local/sbin/rvisor-bench-oci" &&
		tar -C "$nginx_image" --exclude ./.rvisor-system-nginx -cf "$root/srv/nginx-image.tar" .
}

# The compatibility suite (tests/system/compat.sh), the view checks (views.sh) and the restart
# of detached sandboxes (detached.sh), sourced by
# guest-test.sh, in the directory it expects. The suite runs as root in a sandbox with --userns, which maps the sandbox's ids to
# root's subordinate ranges: root gets one after alice's and bob's (useradd gave them
# 100000-231071).
compat_setup() {
	local d=$root/usr/local/lib/rvisor-compat
	install -d "$d" &&
		install -m 0755 tests/system/compat-run.sh tests/system/compat-py.py "$d/" &&
		install -m 0644 tests/system/compat.sh tests/system/compat-refusals.txt tests/system/views.sh \
			tests/system/detached.sh "$d/" &&
		in_tree "$root" usermod --add-subuids 300000-365535 --add-subgids 300000-365535 root
}

# Each refusal compat-refusals.txt accepts is one that docs/policy.md documents.
refusals_documented() {
	local name bad=
	for name in $(awk '!/^[[:space:]]*(#|$)/ { sub(/:.*/, "", $2); print $2 }' tests/system/compat-refusals.txt | sort -u); do
		grep -qF "| \`$name\` |" docs/policy.md || bad+=" $name"
	done
	[ -z "$bad" ] || note "not in docs/policy.md's deliberate refusals:$bad"
	[ -z "$bad" ]
}
check "tests/system/compat-refusals.txt names only deliberate refusals that docs/policy.md documents" refusals_documented

# What the booted system needs for the test: users, images, a short idle timeout, the unit.
# Not started at boot (under TCG each costs the boot seconds before the test may begin, and
# a dockerd started at boot once kept multi-user.target from being reached in 300 s): docker
# and containerd, which the engine steps start when they need them, and apparmor.service,
# which only loads the profiles in /etc/apparmor.d (lsb_release, nvidia_modprobe; ~13 s) -
# dockerd and podman load their own containers' profiles with apparmor_parser.
{
	in_tree "$root" useradd -m -s /bin/bash -G rvisor alice &&
		in_tree "$root" useradd -m -s /bin/bash bob &&
		podman_user_config alice && podman_user_config bob &&
		BUSYBOX=$root/bin/busybox tests/images/make-busybox-image.sh "$root/srv/busybox" &&
		conf=$root/etc/rvisor/rvisord.conf &&
		{ [ -f "$conf" ] || echo '[rvisord]' >"$conf"; } &&
		sed -i '/^[[:space:]]*idle_timeout[[:space:]]*=/d' "$conf" &&
		echo 'idle_timeout = 5' >>"$conf" &&
		install -m 0644 "$engine_image" "$root/srv/engine-image.tar" &&
		install -m 0755 tests/system/guest-test.sh "$root/usr/local/sbin/rvisor-system-test" &&
		install -m 0644 tests/system/rvisor-system-test.service "$root/etc/systemd/system/" &&
		compat_setup &&
		in_tree "$root" systemctl enable rvisor-system-test.service &&
		in_tree "$root" systemctl disable -q docker.service docker.socket containerd.service apparmor.service &&
		echo rvisor-system >"$root/etc/hostname" &&
		bench_setup &&
		printf '/dev/vda / ext4 rw 0 0\n' >"$root/etc/fstab"
} 2>&1 | comment
check "alice (group rvisor), bob, /srv/busybox, /srv/engine-image.tar, idle_timeout = 5, the test unit, the compatibility suite, root's subordinate ids; docker, containerd, apparmor.service disabled" [ "${PIPESTATUS[0]}" -eq 0 ]

# alice's nginx image, stored the way rootless podman stores hers: the sandbox of a user runs in
# a user namespace whose 0 is the user's uid and whose 1..N are the user's /etc/subuid range
# (likewise gids), so a file of uid k > 0 in the image belongs to subuid_start + k - 1.
# Debian's passwd ships /etc/subuid and /etc/subgid (empty), and useradd gives each new user
# SUB_UID_COUNT (65536) ids from SUB_UID_MIN (100000) when they exist; the ranges are made here
# only if that ever stops being so.
subid_range() { # subid_range FILE USER: "START COUNT" of the user's first range
	awk -F: -v u="$2" '$1 == u { print $2, $3; exit }' "$1"
}
alice_image() {
	local img=$root/home/alice/nginx uid gid su sg n sn
	uid=$(in_tree "$root" id -u alice) && gid=$(in_tree "$root" id -g alice) || return 1
	if [ -z "$(subid_range "$root/etc/subuid" alice)" ] || [ -z "$(subid_range "$root/etc/subgid" alice)" ]; then
		echo "useradd gave alice no subordinate ids: adding 100000-165535"
		in_tree "$root" usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice || return 1
	fi
	read -r su n < <(subid_range "$root/etc/subuid" alice)
	read -r sg sn < <(subid_range "$root/etc/subgid" alice)
	if [ "$sn" -lt "$n" ]; then n=$sn; fi
	echo "alice: uid $uid, gid $gid, subuid $su (+$n), subgid $sg; $NGINX_PACKAGES image into /home/alice/nginx"
	mkdir "$img" && cp -a "$nginx_image/." "$img/" && rm "$img/.rvisor-system-nginx" &&
		tests/images/shift-ids.sh "$img" "$uid" "$gid" "$su" "$sg" $((n + 1)) &&
		[ "$(stat -c %u:%g "$img" "$img/etc/nginx/nginx.conf" | sort -u)" = "$uid:$gid" ]
}
s=$(date +%s)
alice_image 2>&1 | comment
rc=${PIPESTATUS[0]}
check "/home/alice/nginx: the nginx image owned by alice's uid and subordinate ids ($(($(date +%s) - s))s)" \
	[ "$rc" -eq 0 ]
check "nginx is not installed in the system itself (only in alice's image)" \
	eval '[ ! -e "$root/usr/sbin/nginx" ] && ! in_tree "$root" dpkg -s nginx >/dev/null 2>&1'

# The image gets the system as a user has it: no chroot mounts, no policy-rc.d, dpkg syncing.
unmount_tree "$root"
policy_rc_d "$root" off
rm -rf "$root/tmp/rvisor-debs" "$root/etc/dpkg/dpkg.cfg.d/rvisor-system-unsafe-io"
cp "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$rundir/"

# --- 4. The disk image and the boot ---------------------------------------------------------
s=$(date +%s)
size_mb=$(($(du -smx "$root" | cut -f1) * 5 / 4 + 512))
mke2fs -q -F -t ext4 -L rvisor-root -d "$root" "$image" "${size_mb}M" 2>&1 | comment
check "ext4 image of the tree with mke2fs -d (${size_mb} MiB, $(($(date +%s) - s))s)" [ "${PIPESTATUS[0]}" -eq 0 ]

qemu_accel "${RVISOR_SYSTEM_ACCEL:-auto}" "$sysdir" "$rundir/vmlinuz-$kver"
accel=("${qemu_accel_args[@]}")

rm -f "$console" "$results"
append="root=/dev/vda rw console=ttyS0 systemd.unit=multi-user.target oops=panic panic=-1"
note "booting $kver (${accel[1]}) in the background, console in ${console#$top/}"
boot_start=$(date +%s)
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${accel[@]}" -smp 2 -m 1536 \
	-nodefaults -no-reboot -display none -monitor none \
	-kernel "$rundir/vmlinuz-$kver" -initrd "$rundir/initrd.img-$kver" -append "$append" \
	-drive "file=$image,format=raw,if=virtio,cache=unsafe,discard=unmap" \
	-device virtio-rng-pci \
	-serial "file:$rundir/console.raw" -serial "file:$results" </dev/null >"$rundir/qemu.log" 2>&1 &
qemu_pid=$!

# --- 5. Meanwhile, in the tree (not booted): a second kernel, then removal -----------------
policy_rc_d "$root" on
mount_tree "$root" || fatal "/proc, /sys and /dev mounted in the chroot again"
s=$(date +%s)
in_tree "$root" apt-get install -y --no-download "$second" >"$rundir/apt-second.log" 2>&1
rc=$?
apt_log "$rundir/apt-second.log"
check "a second kernel's headers install ($second, $(($(date +%s) - s))s)" [ "$rc" -eq 0 ]
dkms_status=$(in_tree "$root" dkms status 2>&1)
echo "$dkms_status" | comment
check "dkms status lists rvisor for both kernels ($kver and $second_kver)" \
	eval 'dkms_has "$kver" && dkms_has "$second_kver"'

in_tree "$root" apt-get purge -y rvisor rvisor-dkms >"$rundir/apt-purge.log" 2>&1
rc=$?
apt_log "$rundir/apt-purge.log"
check "apt-get purge rvisor rvisor-dkms" [ "$rc" -eq 0 ]
left=$({
	in_tree "$root" dkms status 2>/dev/null | grep rvisor
	in_tree "$root" getent group rvisor
	find "$root/lib/modules" -name 'rvisor.ko*' 2>/dev/null
	for p in /usr/src/rvisor-* /etc/rvisor /var/lib/rvisor /lib/systemd/system/rvisord.socket \
		/lib/systemd/system/rvisord.service /usr/sbin/rvisord /usr/bin/rvisorctl \
		/etc/systemd/system/sockets.target.wants/rvisord.socket; do
		ls -d "$root"$p 2>/dev/null
	done
})
[ -z "$left" ] || echo "$left" | comment
check "after purge nothing is left: DKMS entry, module, sources, units, programs, config, state, group" [ -z "$left" ]
unmount_tree "$root"
policy_rc_d "$root" off
umount_under "$root"

# --- 6. The guest's results ----------------------------------------------------------------
wait "$qemu_pid"
qemu_rc=$?
qemu_pid=
boot_s=$(($(date +%s) - boot_start))
touch "$rundir/console.raw" "$results"
tr -d '\r' <"$rundir/console.raw" >"$console"
comment <"$console"
comment <"$rundir/qemu.log"

# The guest's TAP, renumbered into ours.
guest_tap "$results" RVISOR-SYSTEM "guest: "
guest_checks "$qemu_rc" "$timeout_s" \
	"guest booted, tested and powered off within ${timeout_s}s (took ${boot_s}s, ${accel[1]})" \
	"${console#$top/}" "$(guest_done_line "$results" RVISOR-SYSTEM)" \
	"$(guest_kernel_problems "$console" "$results" RVISOR-SYSTEM)"
note "system test took $(elapsed)s (boot and guest tests ${boot_s}s)"
finish
