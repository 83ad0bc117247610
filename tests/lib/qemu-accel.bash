# Choosing QEMU's accelerator for the VM harnesses (tests/vm/run.sh, tests/system/run.sh).
# qemu_accel MODE CACHE_DIR KERNEL sets the array qemu_accel_args:
#   MODE kvm or tcg forces one; auto takes KVM when /dev/kvm exists and really runs KERNEL
#   (nested setups can hang or abort). The probe boots KERNEL with no initramfs, which panics
#   at once; its answer is kept in CACHE_DIR until the host reboots.

qemu_kvm_works() { # qemu_kvm_works CACHE_DIR KERNEL
	local cache=$1/kvm-probe.$(cat /proc/sys/kernel/random/boot_id)
	[ -w /dev/kvm ] || return 1
	if [ ! -f "$cache" ]; then
		rm -f "$1"/kvm-probe.*
		if timeout -k 2 15 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -no-reboot \
			-display none -monitor none -kernel "$2" \
			-append "console=ttyS0 panic=-1" -serial stdio </dev/null 2>&1 | grep -q 'Kernel panic'; then
			echo yes >"$cache"
		else
			echo no >"$cache"
		fi
	fi
	[ "$(cat "$cache")" = yes ]
}

# TCG runs single-threaded (thread=single: the guest keeps its 2 CPUs, QEMU runs them in
# turn). Multi-threaded TCG in Debian 12's QEMU 7.2 now and then leaves a vCPU looping on an
# int3 the kernel's text patching (static keys: tracepoints attaching, the first memory
# cgroup) has already replaced: soft lockups at the patched site, a guest that never ends.
# A guest flipping the sys_enter key 300 times with both CPUs busy hung in 2 of 5 runs
# multi-threaded and in none of 8 single-threaded.
qemu_accel() { # qemu_accel MODE CACHE_DIR KERNEL
	case "$1" in
	kvm) qemu_accel_args=(-accel kvm -cpu host) ;;
	tcg) qemu_accel_args=(-accel tcg,thread=single -cpu max) ;;
	*)
		if qemu_kvm_works "$2" "$3"; then
			qemu_accel_args=(-accel kvm -cpu host)
		else
			qemu_accel_args=(-accel tcg,thread=single -cpu max)
		fi
		;;
	esac
}
