#!/bin/bash
# rvisor.ko on the kernels users have beyond the host's Debian 12, printed as TAP: Debian 13
# (trixie, 6.12) and Debian sid (the newest kernel Debian ships; its syscall tracepoints are
# faultable, so the sys_enter probe runs preemptible). For each, the module is compiled against
# that kernel's own headers in a chroot of its suite (each suite's headers want its own gcc),
# and the kernel is booted in QEMU with that rvisor.ko, running a subset of the VM suites
# (tests/vm/run.sh with RVISOR_VM_KERNEL; the initramfs's user space is the host's). Every test
# line names the kernel.
#   tests/kernels/run.sh
# Caches in build/kernels/, each made once and remade only when its key (kept in its stamp
# file) changes; delete one to remake it (e.g. sid-root/ to follow sid to a newer kernel):
#   <suite>-root/     debootstrap minbase with gcc, make and linux-headers-amd64
#                     (stamp .rvisor-chroot-complete: suite, packages, mirror)
#   debs/<release>/   the kernel's own packages: linux-image-<release> at the headers' version
#                     and the packages of that release it depends on (sid splits the image into
#                     linux-binary-* and linux-modules-*), taken from debootstrap's downloads or
#                     fetched in the chroot with apt-get download (stamp .rvisor-debs-complete)
#   <release>/        the kernel directory tests/vm/run.sh boots: vmlinuz, modules/ (the
#                     package's /lib/modules/<release>), release, and the rvisor.ko of the
#                     latest build (stamp .rvisor-kernel-complete: the debs' key and the recipe)
# Each run copies module/, include/ and VERSION into the chroot, cleaned of build outputs, and
# builds with `make -C module KDIR=/lib/modules/<release>/build` there. Needs root (debootstrap,
# chroot, mount). A kernel whose packages cannot be fetched fails; it is never skipped.
# Environment:
#   RVISOR_DEBIAN_MIRROR      the archive (default http://deb.debian.org/debian)
#   RVISOR_KERNELS            the suites to test (default "trixie sid")
#   RVISOR_KERNELS_VM_SUITES  the VM suites each kernel boots into (default "module gate emulate daemon
#                             privilege lifecycle membership arm-at-exec monitoring layers
#                             rvisorfs views"); empty: compile only
#   RVISOR_VM_TIMEOUT, RVISOR_VM_ACCEL  passed on to tests/vm/run.sh
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD

mirror=${RVISOR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suites=${RVISOR_KERNELS:-trixie sid}
vm_suites=${RVISOR_KERNELS_VM_SUITES-module gate emulate daemon privilege lifecycle membership arm-at-exec monitoring layers rvisorfs views}
declare -A label=([trixie]="Debian 13" [sid]="Debian sid")
# Extra kernel command line per suite. sid's kernel probes syscall tracepoints preemptible:
# full preemption (Debian's kernels are PREEMPT_DYNAMIC) makes a probe that wrongly assumes
# otherwise fail there, not only in the rare case.
declare -A append=([sid]="preempt=full")
# linux-headers-amd64 brings the suite's gcc, linux-kbuild (prebuilt fixdep, modpost, objtool)
# and pahole. Neither bc nor libc6-dev is needed for an external module.
include=gcc,make,linux-headers-amd64
# Bump when the way a kernel directory is made from the packages changes.
KERNEL_RECIPE=1
kernels=$top/build/kernels

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		exec sudo -n RVISOR_DEBIAN_MIRROR="$mirror" RVISOR_KERNELS="$suites" \
			RVISOR_KERNELS_VM_SUITES="$vm_suites" ${RVISOR_VM_TIMEOUT:+RVISOR_VM_TIMEOUT="$RVISOR_VM_TIMEOUT"} \
			${RVISOR_VM_ACCEL:+RVISOR_VM_ACCEL="$RVISOR_VM_ACCEL"} "$0" "$@"
	fi
	echo "1..0 # SKIP needs root (debootstrap, chroot, mount)"
	exit 0
fi

mkdir -p "$kernels"
exec 9>"$kernels/.lock"
flock 9 # one run at a time: they share the chroots

# Unmounts whatever is mounted at or beneath $1 (deepest first), in this mount namespace.
unmount_under() {
	local dir=$1 m
	awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m"
		done
}
# Every mount this script makes lives in a private mount namespace (unshare -m) and so ends
# with it; this also catches anything a killed earlier run left in the host's namespace.
cleanup() {
	local s
	for s in $suites; do
		unmount_under "$kernels/$s-root"
		unmount_under "$kernels/$s-root.new"
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

n=0 failed=0 t0=$(date +%s)
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
comment() { sed -u 's/^/# /'; }
elapsed() { echo "$(($(date +%s) - ${1:-$t0}))s"; }

# in_chroot ROOT COMMAND…: runs COMMAND in ROOT with /proc (and /dev when debootstrap could not
# make its nodes) mounted in a private mount namespace: they go when it ends, however it ends.
in_chroot() {
	local root=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --propagation private sh -c '
		root=$1
		shift
		mount -t proc proc "$root/proc" || exit 1
		[ -c "$root/dev/null" ] || mount --bind /dev "$root/dev" || exit 1
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$root" "$@"
}

# --- per suite: the chroot, made once --------------------------------------------------------
# make_chroot SUITE: debootstrap into $kernels/SUITE-root, then keep the kernel's packages (they
# must be fetched while the package lists debootstrap used are at hand: sid moves on).
make_chroot() {
	local suite=$1 root=$kernels/$1-root log=$kernels/debootstrap-$1.log
	unmount_under "$root.new"
	rm -rf --one-file-system "$root.new" || return 1
	if ! command -v debootstrap >/dev/null; then
		echo "# installing debootstrap"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get install -y -q --no-install-recommends debootstrap ||
			{ apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap; }; } \
			>"$kernels/apt.log" 2>&1 || { comment <"$kernels/apt.log"; return 1; }
	fi
	echo "# debootstrap $suite into $root (once; cached afterwards)"
	# INITRD=No: the kernel the headers pull in (trixie) needs no initramfs here (a minute saved).
	if ! INITRD=No unshare --mount --propagation private \
		debootstrap --variant=minbase --include="$include" --components=main \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$root.new" "$mirror" >"$log" 2>&1; then
		tail -n 40 "$log" | comment
		return 1
	fi
	local rel
	for rel in $(headers_in "$root.new"); do
		fetch_debs "$suite" "$root.new" "$rel" || return 1
	done
	# The packages are installed: drop the downloaded .debs and apt lists (~150 MB).
	rm -rf "$root.new"/var/cache/apt/archives/*.deb "$root.new"/var/lib/apt/lists/*_Packages
	# Only a complete new chroot replaces the old one (a failed attempt leaves the cache alone).
	if [ -e "$root" ]; then
		echo "# replacing the outdated chroot $root"
		unmount_under "$root"
		rm -rf --one-file-system "$root" || return 1
	fi
	mv "$root.new" "$root" && chroot_key "$suite" >"$root/.rvisor-chroot-complete"
}

chroot_key() { echo "suite=$1 variant=minbase include=$include mirror=$mirror"; }

# headers_in ROOT: the releases whose headers ROOT holds.
headers_in() {
	local d
	for d in "$1"/lib/modules/*/build; do
		[ -e "$d/Makefile" ] && basename "$(dirname "$d")"
	done
}

# --- per kernel: its packages ------------------------------------------------------------------
# fetch_debs SUITE ROOT RELEASE: linux-image-RELEASE at the version of RELEASE's headers, and the
# packages of the same release it depends on, into $kernels/debs/RELEASE/. Those debootstrap
# already downloaded are taken from its cache; the others come with apt-get download, after an
# apt-get update when the chroot's package lists are gone.
fetch_debs() {
	local suite=$1 root=$2 rel=$3 dir=$kernels/debs/$3 ver pkgs p f key log=$kernels/fetch-$3.log
	# shellcheck disable=SC2016 # dpkg-query's format
	ver=$(chroot "$root" dpkg-query -W -f '${Version}' "linux-headers-$rel") || return 1
	key="release=$rel version=$ver suite=$suite mirror=$mirror"
	if [ -f "$dir/.rvisor-debs-complete" ] && [ "$(cat "$dir/.rvisor-debs-complete")" = "$key" ]; then
		return 0
	fi
	echo "# fetching the packages of $rel ($ver) from $suite"
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	(
		if ! ls "$root"/var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
			in_chroot "$root" apt-get update -q || exit 1
		fi
		# The image and what it depends on of the same release (nothing for trixie; sid's
		# linux-image-* is a stub over linux-binary-*, linux-modules-* and linux-base-*).
		pkgs=$(in_chroot "$root" apt-cache depends -q --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances "linux-image-$rel=$ver" |
			sed -nE 's/^ *\|?(Pre)?Depends: //p' | grep -F -- "-$rel" | sort -u)
		pkgs="linux-image-$rel $pkgs"
		for p in $pkgs; do
			f=${p}_${ver}_amd64.deb
			if [ -f "$root/var/cache/apt/archives/$f" ]; then
				cp "$root/var/cache/apt/archives/$f" "$dir/"
			else
				mkdir -p "$root/tmp/rvisor-debs"
				# shellcheck disable=SC2016 # expanded by the inner sh
				in_chroot "$root" sh -c 'cd /tmp/rvisor-debs && apt-get download -q "$1"' sh "$p=$ver" ||
					exit 1
				mv "$root/tmp/rvisor-debs/$f" "$dir/" || exit 1
			fi
		done
	) >"$log" 2>&1 || {
		comment <"$log"
		echo "# linux-image-$rel=$ver or a package it needs is not in $suite at $mirror"
		echo "# (if $suite moved on to a newer kernel, delete $root to follow it)"
		return 1
	}
	rm -rf "$root/tmp/rvisor-debs"
	echo "$key" >"$dir/.rvisor-debs-complete"
}

# --- per kernel: the directory tests/vm/run.sh boots -------------------------------------------
# kernel_dir RELEASE: $kernels/RELEASE/ with vmlinuz, modules/ and release unpacked from the
# kernel's packages (made again when their key or the recipe changed).
kernel_dir() {
	local rel=$1 dir=$kernels/$1 debs=$kernels/debs/$1 key tmp f m
	key="$(cat "$debs/.rvisor-debs-complete") recipe=$KERNEL_RECIPE"
	if [ -f "$dir/.rvisor-kernel-complete" ] && [ "$(cat "$dir/.rvisor-kernel-complete")" = "$key" ]; then
		return 0
	fi
	echo "# unpacking the kernel $rel into $dir"
	tmp=$kernels/.unpack-$rel
	rm -rf "$tmp" "$dir" && mkdir -p "$tmp" "$dir" || return 1
	for f in "$debs"/*.deb; do
		dpkg-deb -x "$f" "$tmp" || return 1
	done
	m=$tmp/usr/lib/modules/$rel
	[ -d "$m" ] || m=$tmp/lib/modules/$rel
	# The image is /boot/vmlinuz-<release> (trixie) or, where a hook copies it there on
	# installation, only /usr/lib/modules/<release>/vmlinuz (sid's linux-binary-*).
	f=$tmp/boot/vmlinuz-$rel
	[ -f "$f" ] || f=$m/vmlinuz
	if [ ! -f "$f" ] || [ ! -d "$m/kernel" ]; then
		echo "# the packages in $debs hold no vmlinuz for $rel or no modules"
		return 1
	fi
	mv "$f" "$dir/vmlinuz" && mv "$m" "$dir/modules" && echo "$rel" >"$dir/release" || return 1
	rm -rf "$tmp"
	echo "$key" >"$dir/.rvisor-kernel-complete"
}

# --- per kernel: the build ---------------------------------------------------------------------
# build_module SUITE ROOT RELEASE: the compile checks; leaves rvisor.ko in $kernels/RELEASE/.
build_module() {
	local suite=$1 root=$2 rel=$3 src=/src/rvisor log=$kernels/build-$3.log gcc_ver what rc ko vm
	gcc_ver=$(chroot "$root" sh -c 'ls /usr/bin/gcc-[0-9]* 2>/dev/null' | sed -n 's|.*/gcc-||p' | sort -n | tail -1)
	what="${label[$suite]} $rel (gcc-${gcc_ver:-?})"

	# The source, copied fresh and clean.
	rm -rf --one-file-system "$root$src"
	mkdir -p "$root$src"
	tar -C "$top" -cf - \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' --exclude='*.cmd' \
		--exclude='*.symvers' --exclude='*.order' --exclude='.tmp_versions' --exclude='.cache.mk' \
		--exclude='*.swp' --exclude='*~' \
		module include VERSION | tar -C "$root$src" -xf -

	in_chroot "$root" make -C "$src/module" KDIR="/lib/modules/$rel/build" -j"$(nproc)" >"$log" 2>&1
	rc=$?
	ko=$root$src/module/rvisor.ko
	if [ "$rc" -eq 0 ] && [ -f "$ko" ]; then
		ok "$rel: rvisor.ko compiles against $what"
		# Copied only when it changed, so that the initramfs is not packed again for nothing.
		cmp -s "$ko" "$kernels/$rel/rvisor.ko" || cp "$ko" "$kernels/$rel/rvisor.ko"
	else
		not_ok "$rel: rvisor.ko compiles against $what (make exited $rc)"
		comment <"$log"
		rm -f "$kernels/$rel/rvisor.ko"
	fi

	conf=$(grep -m1 '^rvisor configure:' "$log")
	if [ -n "$conf" ]; then
		conf=${conf#rvisor configure:}
		ok "$rel: configure probes ran:${conf:+ }${conf# }"
	else
		not_ok "$rel: configure probes ran (no 'rvisor configure:' line in the build output)"
	fi

	if [ -f "$ko" ]; then
		vm=$(modinfo -F vermagic "$ko" 2>&1)
		if [ "${vm%% *}" = "$rel" ]; then
			ok "$rel: vermagic of rvisor.ko names $rel"
		else
			not_ok "$rel: vermagic of rvisor.ko names $rel"
			echo "vermagic: $vm" | comment
		fi
	else
		not_ok "$rel: vermagic of rvisor.ko names $rel (no rvisor.ko was built)"
	fi
	rm -rf --one-file-system "$root$src"
	[ -f "$kernels/$rel/rvisor.ko" ]
}

# --- per kernel: the VM suites -----------------------------------------------------------------
# boot SUITE RELEASE: tests/vm/run.sh on the kernel directory; its TAP renumbered into ours,
# each line named with the kernel, its plan dropped. Its comments (the guest's console) pass.
boot() {
	local suite=$1 rel=$2 line rc='' failed0=$failed
	echo "# $rel: booting in QEMU with rvisor.ko, VM suites: $vm_suites${append[$suite]:+ (kernel command line: ${append[$suite]})}"
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "$rel: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")" ;;
		"not ok "*) not_ok "$rel: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")" ;;
		"RVISOR-KERNELS-VM-RC "*) rc=${line#* } ;;
		1..*) ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done < <(
		RVISOR_VM_KERNEL=$kernels/$rel RVISOR_VM_SUITES="$vm_suites" \
			RVISOR_VM_APPEND="${append[$suite]:-}" tests/vm/run.sh 2>&1
		echo "RVISOR-KERNELS-VM-RC $?"
	)
	if [ "$rc" != 0 ] && [ "$failed" -eq "$failed0" ]; then
		not_ok "$rel: tests/vm/run.sh exited ${rc:-without a status}"
	fi
}

# prune: the caches of a kernel no chroot holds any more (a suite that moved on) go.
prune() {
	local d rel
	for d in "$kernels"/debs/* "$kernels"/*/release; do
		[ -e "$d" ] || continue
		rel=${d%/release}
		rel=${rel##*/}
		compgen -G "$kernels/*-root/lib/modules/$rel/build" >/dev/null && continue
		echo "# removing the caches of $rel: no chroot has its headers any more"
		rm -rf "${kernels:?}/$rel" "$kernels/debs/$rel" "$kernels"/*-"$rel".log "$top/build/vm/kernels/$rel"
	done
}

# --- each suite in turn --------------------------------------------------------------------------
for suite in $suites; do
	s0=$(date +%s)
	[ -n "${label[$suite]:-}" ] || label[$suite]="Debian $suite"
	root=$kernels/$suite-root
	stamp=$root/.rvisor-chroot-complete
	if ! { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(chroot_key "$suite")" ]; }; then
		if ! make_chroot "$suite"; then
			not_ok "${label[$suite]} ($suite): chroot with its kernel's headers and packages made from $mirror (see above)"
			continue
		fi
		echo "# ${label[$suite]} chroot ready after $(elapsed "$s0")"
	fi
	mapfile -t rels < <(headers_in "$root")
	if [ ${#rels[@]} -eq 0 ]; then
		not_ok "${label[$suite]} ($suite): chroot holds kernel headers (/lib/modules/*/build)"
		continue
	fi
	for rel in "${rels[@]}"; do
		if ! fetch_debs "$suite" "$root" "$rel" || ! kernel_dir "$rel"; then
			not_ok "$rel: the kernel's image and modules unpacked from ${label[$suite]}'s packages"
			build_module "$suite" "$root" "$rel"
			continue
		fi
		if build_module "$suite" "$root" "$rel"; then
			[ -z "$vm_suites" ] || boot "$suite" "$rel"
		elif [ -n "$vm_suites" ]; then
			not_ok "$rel: VM suites not run: rvisor.ko did not build"
		fi
		echo "# $rel: done after $(elapsed "$s0")"
	done
done

prune
echo "# kernels: $(elapsed)"
echo "1..$n"
[ "$failed" -eq 0 ]
