#!/bin/bash
# Packs the initramfs the VM suite boots: busybox, bash, bats, rvisor.ko, rvisord, rvisorctl,
# rvisor-runc (with their shared libraries), the static test helpers, the VM bats suites and the
# benchmark with the peers it compares against (bwrap, crun, firejail; lxcfs and the fuse
# module for the views table), and perf.
#   tests/vm/mkinitramfs.sh OUTPUT.cpio KERNEL_VERSION [KERNEL_DIR]
# Only rvisor.ko and the kernel modules the guest loads depend on the kernel: without
# KERNEL_DIR they are module/rvisor.ko and /lib/modules/KERNEL_VERSION's; with it (another
# kernel, see RVISOR_VM_KERNEL in tests/vm/run.sh) KERNEL_DIR/rvisor.ko and KERNEL_DIR/modules/.
# User space always comes from the host. The tree is staged in root/ next to OUTPUT.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=$1 kver=$2 kdir=${3:-}
# Modules the guest loads (tests/vm/init): the daemon's sandboxes need overlayfs; the
# benchmark's lxcfs needs fuse (added below, where lxcfs is packed).
guest_modules=(overlay)
root=$(dirname "$out")/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,lib,etc,proc,sys,dev,tmp,run,root,rvisor}

# busybox provides the base system; bash-static is /bin/bash (bats needs bash).
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
rm -f "$root/bin/bash"
cp /bin/bash-static "$root/bin/bash"

# bats-core as Debian packages it.
cp /usr/bin/bats "$root/usr/bin/bats"
mkdir -p "$root/usr/lib" "$root/usr/libexec"
cp -r /usr/lib/bats-core "$root/usr/lib/"
cp -r /usr/libexec/bats-core "$root/usr/libexec/"

# The project's programs and every shared library they load.
install -m755 build/rvisord "$root/usr/sbin/rvisord"
install -m755 build/rvisorctl "$root/usr/bin/rvisorctl"
install -m755 build/rvisor-runc "$root/usr/bin/rvisor-runc"
# varlink-raw (tests/helpers): the oci suite calls rvisord's methods with chosen descriptors
install -m755 build/tools/varlink-raw "$root/usr/local/bin/varlink-raw"
# fdstore-run (tests/helpers): the detached suite restarts rvisord with a descriptor store
install -m755 build/tools/fdstore-run "$root/usr/local/bin/fdstore-run"
install -m755 /usr/bin/jq "$root/usr/bin/jq" # the suites read rvisorctl's --json
# setpriv (util-linux): the privilege suite runs rvisorctl as ordinary users
install -m755 /usr/bin/setpriv "$root/usr/bin/setpriv"
# perf (linux-perf): the monitoring suite traces host syscalls while sandboxes exist
install -m755 /usr/bin/perf "$root/usr/bin/perf"
elfs=(build/rvisord build/rvisorctl build/rvisor-runc build/tools/varlink-raw build/tools/fdstore-run /usr/bin/jq /usr/bin/setpriv /usr/bin/perf)
# The startup benchmark's peers, from Debian's packages (scripts/install-deps.sh). One that is
# missing here is left out; bench/run-vm.sh then reports it as n/a.
for peer in bwrap crun firejail; do
	if [ -x "/usr/bin/$peer" ]; then
		install -m755 "/usr/bin/$peer" "$root/usr/bin/$peer"
		elfs+=("/usr/bin/$peer")
	else
		echo "mkinitramfs: /usr/bin/$peer not found (make deps): the benchmark reports it as n/a" >&2
	fi
done
if [ -x /usr/bin/firejail ]; then
	# firejail's helpers (fcopy, fseccomp, ...) and a configuration with --chroot enabled
	# (Debian's disables it); run-vm.sh runs it with --noprofile, so no profiles are needed.
	fjlib=/usr/lib/x86_64-linux-gnu/firejail
	mkdir -p "$root$fjlib" "$root/etc/firejail"
	cp -a "$fjlib/." "$root$fjlib/"
	for f in "$fjlib"/*; do
		if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then elfs+=("$f"); fi
	done
	printf '# rvisor VM: the startup benchmark runs firejail --chroot\nchroot yes\n' \
		>"$root/etc/firejail/firejail.config"
	# firejail reads UID_MIN/GID_MIN from here and complains on every run without them.
	printf 'UID_MIN 1000\nGID_MIN 1000\n' >"$root/etc/login.defs"
fi
# (ldd names each file on a line of its own when given several: only the indented lines count)
for lib in $(ldd "${elfs[@]}" | grep -E '^[[:space:]]' | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
for helper in build/vm/helpers/*; do
	install -m755 "$helper" "$root/usr/local/bin/"
done

install -m755 build/bench/syscall-bench "$root/usr/local/bin/syscall-bench"
install -D -m755 bench/run-vm.sh "$root/rvisor/bench/run-vm.sh"
# The peer table's nginx row: nginx (bench/fetch-peer-files.sh, make bench fetches it) and ab
# (apache2-utils) with their shared libraries, laid out as bench/run-vm.sh copies them into its
# image; and docker's default seccomp profile for crun. What is missing makes its rows n/a.
peer_files=build/bench/peer-files
if [ -s "$peer_files/versions" ]; then
	install -m644 "$peer_files/docker-default.json" "$peer_files/versions" "$root/rvisor/bench/"
	if [ -x /usr/bin/ab ]; then
		extra=$root/rvisor/bench/image-extra
		install -D -m755 "$peer_files/nginx" "$extra/bin/nginx"
		install -D -m755 /usr/bin/ab "$extra/bin/ab"
		for lib in $(ldd "$peer_files/nginx" /usr/bin/ab | grep -E '^[[:space:]]' | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
			mkdir -p "$extra$(dirname "$lib")"
			cp -L "$lib" "$extra$lib"
		done
	else
		echo "mkinitramfs: /usr/bin/ab not found (make deps): the benchmark's nginx row is n/a" >&2
	fi
	# The views table's peer, lxcfs, as installed, with its library (which it dlopens, so ldd
	# of lxcfs does not name it; ldd of the library names libfuse3). It mounts as root,
	# without fusermount3; the fuse module follows below, with the other modules.
	lxcfs_lib=usr/lib/x86_64-linux-gnu/lxcfs/liblxcfs.so
	if [ -x "$peer_files/lxcfs/usr/bin/lxcfs" ]; then
		cp -a "$peer_files/lxcfs/." "$root/"
		for lib in $(ldd "$root/usr/bin/lxcfs" "$root/$lxcfs_lib" | grep -E '^[[:space:]]' | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	fi
fi

if [ -n "$kdir" ]; then
	install -m644 "$kdir/rvisor.ko" "$root/rvisor/rvisor.ko"
	modtree=$kdir/modules
else
	install -m644 module/rvisor.ko "$root/rvisor/rvisor.ko"
	modtree=/lib/modules/$kver
fi
# /rvisor/kmod/lib/modules/KVER: rvisor.ko with depmod's index (which libkmod reads; busybox's
# depmod writes none), for the module suite to bind over /lib/modules: rvisord then loads the
# module itself, as on a host where the package installed it.
kmod_tree=$root/rvisor/kmod/lib/modules/$kver
install -D -m644 "$root/rvisor/rvisor.ko" "$kmod_tree/extra/rvisor.ko"
touch "$kmod_tree"/modules.{order,builtin,builtin.modinfo} # lists depmod reads: empty here
PATH=$PATH:/usr/sbin:/sbin depmod -b "$root/rvisor/kmod" "$kver"
# lxcfs needs /dev/fuse: the kernel's fuse, unless the tree has none (its column is then n/a).
if [ -x "$root/usr/bin/lxcfs" ]; then
	if [ -n "$(find "$modtree/kernel/fs/fuse" -name 'fuse.ko*' 2>/dev/null)" ] ||
		grep -qE '(^|/)fuse\.ko$' "$modtree/modules.builtin" 2>/dev/null; then
		guest_modules+=(fuse)
	else
		echo "mkinitramfs: $modtree has no fuse module: the benchmark's lxcfs column is n/a" >&2
	fi
fi
# /rvisor/modules/: the modules, uncompressed, and load-order, which init follows.
tests/lib/kernel-modules.sh "$modtree" "$root/rvisor/modules" "${guest_modules[@]}"
# rvisord's configuration and policies, as the package installs them; the image builder.
mkdir -p "$root/etc/rvisor"
cp -r etc/rvisor/. "$root/etc/rvisor/"
install -D -m755 tests/images/make-busybox-image.sh "$root/usr/local/bin/make-busybox-image"
install -m755 tests/vm/kernel-log-problems.sh "$root/usr/local/bin/kernel-log-problems"
mkdir -p "$root/rvisor/tests"
cp tests/vm/*.bats tests/vm/*.bash "$root/rvisor/tests/"
install -m755 tests/vm/init "$root/init"

# What the guest's tests compare against.
abi=$(sed -nE 's/^#define RVISOR_ABI_VERSION ([0-9]+).*/\1/p' include/uapi/linux/rvisor.h)
cat >"$root/rvisor/expected.env" <<EOT
RVISOR_VERSION=$(cat VERSION)
RVISOR_ABI=$abi
RVISOR_KVER=$kver
EOT

# Users for the privilege suite: alice and bob in group rvisor (alice with subordinate ids),
# carol outside it; www-data for the root sandbox's stock-nginx-like files.
cat >"$root/etc/passwd" <<'EOT'
root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000:alice:/nonexistent:/bin/sh
bob:x:1001:1001:bob:/nonexistent:/bin/sh
carol:x:1002:1002:carol:/nonexistent:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
cat >"$root/etc/group" <<'EOT'
root:x:0:
rvisor:x:990:alice,bob
alice:x:1000:
bob:x:1001:
carol:x:1002:
www-data:x:33:
nogroup:x:65534:
EOT
# root's ranges: for its sandboxes with --userns (capabilities over their own objects)
printf 'alice:200000:65536\nroot:300000:65536\n' >"$root/etc/subuid"
printf 'alice:200000:65536\nroot:300000:65536\n' >"$root/etc/subgid"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
