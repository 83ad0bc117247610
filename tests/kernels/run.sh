#!/bin/bash
# Compile-only check of rvisor.ko against other distributions' kernels, printed as TAP.
#   tests/kernels/run.sh
# Debian 13 (trixie) ships 6.12 headers built for gcc-14, which Debian 12 lacks, so the build
# runs in a minimal trixie chroot made once with debootstrap and cached in
# build/kernels/trixie-root/ (a stamp file there marks it complete; delete the directory to
# rebuild it). Each run copies module/, include/ and VERSION into the chroot, cleaned of build
# outputs, and runs `make -C module KDIR=/lib/modules/<ver>/build` there for every kernel
# whose headers the chroot holds. Needs root (debootstrap, chroot, mount).
#   RVISOR_DEBIAN_MIRROR   the archive debootstrap uses (default http://deb.debian.org/debian)
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD

suite=trixie
mirror=${RVISOR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# linux-headers-amd64 brings gcc-14, linux-kbuild-6.12 (prebuilt fixdep, modpost, objtool;
# pulls libelf1t64), pahole and linux-image (for BTF of modules). Neither bc nor libc6-dev
# is needed for an external module.
include=gcc,make,linux-headers-amd64
kernels=$top/build/kernels
root=$kernels/$suite-root
stamp=$root/.rvisor-chroot-complete
stamp_text="suite=$suite variant=minbase include=$include mirror=$mirror"

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		exec sudo -n RVISOR_DEBIAN_MIRROR="$mirror" "$0" "$@"
	fi
	echo "1..0 # SKIP needs root (debootstrap, chroot, mount)"
	exit 0
fi

mkdir -p "$kernels"
exec 9>"$kernels/.lock"
flock 9 # one run at a time: they share the chroot

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
cleanup() { unmount_under "$root"; unmount_under "$root.new"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) failed=1; echo "not ok $n - $*"; }
comment() { sed 's/^/# /'; }

# --- the chroot, made once --------------------------------------------------------------------
make_chroot() {
	local log=$kernels/debootstrap.log
	cleanup
	if [ -e "$root" ] || [ -e "$root.new" ]; then
		echo "# removing incomplete chroot $root"
		rm -rf --one-file-system "$root" "$root.new" || return 1
	fi
	if ! command -v debootstrap >/dev/null; then
		echo "# installing debootstrap"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get install -y -q --no-install-recommends debootstrap ||
			{ apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap; }; } \
			>"$kernels/apt.log" 2>&1 || { comment <"$kernels/apt.log"; return 1; }
	fi
	echo "# debootstrap $suite into $root (once; cached afterwards)"
	if ! unshare --mount --propagation private \
		debootstrap --variant=minbase --include="$include" --components=main \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$root.new" "$mirror" >"$log" 2>&1; then
		tail -n 40 "$log" | comment
		return 1
	fi
	# The packages are installed: drop the downloaded .debs and apt lists (~150 MB).
	rm -rf "$root.new"/var/cache/apt/archives/*.deb "$root.new"/var/lib/apt/lists/*_Packages
	mv "$root.new" "$root" && echo "$stamp_text" >"$stamp"
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
	:
elif ! make_chroot; then
	echo "1..1"
	not_ok "Debian 13 ($suite) chroot created with debootstrap"
	exit 1
fi

vers=()
for d in "$root"/lib/modules/*/build; do
	[ -e "$d/Makefile" ] && vers+=("$(basename "$(dirname "$d")")")
done
if [ ${#vers[@]} -eq 0 ]; then
	echo "1..1"
	not_ok "Debian 13 ($suite) chroot holds kernel headers (/lib/modules/*/build)"
	exit 1
fi
echo "1..$((3 * ${#vers[@]}))"

gcc_ver=$(chroot "$root" sh -c 'ls /usr/bin/gcc-[0-9]* 2>/dev/null' | sed -n 's|.*/gcc-||p' | sort -n | tail -1)

# --- the source, copied fresh and clean ------------------------------------------------------
src=/src/rvisor
rm -rf --one-file-system "$root$src"
mkdir -p "$root$src"
tar -C "$top" -cf - \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' --exclude='*.cmd' \
	--exclude='*.symvers' --exclude='*.order' --exclude='.tmp_versions' --exclude='.cache.mk' \
	--exclude='*.swp' --exclude='*~' \
	module include VERSION | tar -C "$root$src" -xf -

# --- one build per kernel ---------------------------------------------------------------------
for ver in "${vers[@]}"; do
	what="Debian 13 $ver (gcc-${gcc_ver:-?})"
	log=$kernels/build-$ver.log
	# The source is rebuilt from clean for each kernel.
	rm -rf --one-file-system "$root$src.$ver"
	cp -a "$root$src" "$root$src.$ver"
	# /proc in a private mount namespace: it goes when the build ends, however it ends.
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" || exit 1
		[ -c "$1/dev/null" ] || mount --bind /dev "$1/dev" || exit 1
		exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
			make -C "$2/module" KDIR="/lib/modules/$3/build" -j"$4"
	' sh "$root" "$src.$ver" "$ver" "$(nproc)" >"$log" 2>&1
	rc=$?
	ko=$root$src.$ver/module/rvisor.ko
	if [ "$rc" -eq 0 ] && [ -f "$ko" ]; then
		ok "rvisor.ko compiles against $what"
		mkdir -p "$kernels/$ver" && cp "$ko" "$kernels/$ver/rvisor.ko"
	else
		not_ok "rvisor.ko compiles against $what (make exited $rc)"
		comment <"$log"
	fi

	conf=$(grep -m1 '^rvisor configure:' "$log")
	if [ -n "$conf" ]; then
		conf=${conf#rvisor configure:}
		ok "configure probes ran for $ver:${conf:+ }${conf# }"
	else
		not_ok "configure probes ran for $ver (no 'rvisor configure:' line in the build output)"
	fi

	if [ -f "$ko" ]; then
		vm=$(modinfo -F vermagic "$ko" 2>&1)
		if [ "${vm%% *}" = "$ver" ]; then
			ok "vermagic of rvisor.ko names $ver"
		else
			not_ok "vermagic of rvisor.ko names $ver"
			echo "vermagic: $vm" | comment
		fi
	else
		not_ok "vermagic of rvisor.ko names $ver (no rvisor.ko was built)"
	fi
	rm -rf --one-file-system "$root$src.$ver"
done

exit "$failed"
