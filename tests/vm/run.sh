#!/bin/bash
# Boots Debian's own kernel in QEMU with rvisor.ko built for it and runs the VM bats suites
# (tests/vm/*.bats) inside. Prints TAP: the guest's tests, then the harness's own checks (the
# guest reported, finished in time, and its kernel log has no oops/BUG/WARNING/KASAN/panic).
# The guest console streams as TAP comments and is kept in build/vm/console.log.
#   tests/vm/run.sh          the suites
#   tests/vm/run.sh --demo   load the module, show 'rvisorctl status', unload
#   tests/vm/run.sh --bench  run bench/run-vm.sh; its output on stdout, the console on stderr
#                            (RVISOR_BENCH_TABLES, _REPS, _SCALE, _ROUNDS, _AB_N, _READS and
#                            _RAW reach it)
# Environment: RVISOR_KVER (installed kernel to boot), RVISOR_VM_TIMEOUT (seconds, default 1500),
# RVISOR_VM_ACCEL (auto, kvm or tcg), RVISOR_VM_SUITES (e.g. "gate lifecycle": only those files),
# RVISOR_VM_APPEND (more kernel command line, e.g. "preempt=full"), and RVISOR_VM_KERNEL=DIR:
# boot another kernel than an installed one, from a directory holding
#   DIR/vmlinuz     the kernel image
#   DIR/release     its release (uname -r), one line
#   DIR/rvisor.ko   rvisor.ko built against that kernel's own headers (vermagic checked here)
#   DIR/modules/    its module tree, as /lib/modules/<release> (the guest's overlay.ko is taken
#                   from it; compressed modules are fine)
# tests/kernels/run.sh prepares such directories for Debian 13 and sid in build/kernels/<release>/.
# The user space in the initramfs is the host's either way. With RVISOR_VM_KERNEL the
# initramfs, console and results live in build/vm/kernels/<release>/ instead of build/vm/.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/qemu-accel.bash
source tests/lib/qemu-accel.bash
# shellcheck source=tests/lib/guest-tap.bash
source tests/lib/guest-tap.bash

mode=test
case "${1:-}" in
--demo) mode=demo ;;
--bench) mode=bench ;;
esac
timeout_s=${RVISOR_VM_TIMEOUT:-1500}
kdir=${RVISOR_VM_KERNEL:-}
vmdir=build/vm

# The harness's own failures still speak TAP so that run-all counts them.
bail() {
	echo "1..1"
	echo "not ok 1 - $1"
	exit 1
}

# The benchmark's files from Debian's archive (bench/fetch-peer-files.sh); without them its
# nginx and docker-seccomp figures are n/a, not an error.
if [ "$mode" = bench ]; then
	make -s bench-inputs 2>&1 | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || echo "# bench: the peer files could not be fetched; their rows will be n/a" >&2
fi

if [ -z "$kdir" ]; then
	kver=$(scripts/kernel-version.sh --bootable) || bail "no bootable kernel with headers (run 'make deps')"
	kernel=/boot/vmlinuz-$kver
	mkdir -p "$vmdir"
	make -s KVER="$kver" module userspace vm-helpers 2>&1 | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || bail "building rvisor for $kver"
	make -s KVER="$kver" "$vmdir/initramfs.cpio" 2>&1 | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || bail "packing the initramfs"
else
	kdir=${kdir%/}
	for f in vmlinuz release rvisor.ko modules; do
		[ -e "$kdir/$f" ] || bail "RVISOR_VM_KERNEL=$kdir has no $f"
	done
	kver=$(cat "$kdir/release")
	kernel=$kdir/vmlinuz
	vermagic=$(modinfo -F vermagic "$kdir/rvisor.ko" 2>&1)
	[ "${vermagic%% *}" = "$kver" ] || bail "$kdir/rvisor.ko was not built for $kver (vermagic: $vermagic)"
	vmdir=build/vm/kernels/$kver
	mkdir -p "$vmdir"
	make -s userspace vm-helpers 2>&1 | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || bail "building rvisor's user space"
	make -s VM_KERNEL="$kdir" "$vmdir/initramfs.cpio" 2>&1 | comment
	[ "${PIPESTATUS[0]}" -eq 0 ] || bail "packing the initramfs for $kver"
fi
console=$vmdir/console.log
results=$vmdir/results.log

qemu_accel "${RVISOR_VM_ACCEL:-auto}" "$vmdir" "$kernel"
accel=("${qemu_accel_args[@]}")

append="console=ttyS0 loglevel=5 oops=panic panic=-1 rvisorvm=$mode"
[ -z "${RVISOR_VM_SUITES:-}" ] || append="$append rvisorvm_suites=$(tr ' ' , <<<"$RVISOR_VM_SUITES")"
[ -z "${RVISOR_VM_APPEND:-}" ] || append="$append $RVISOR_VM_APPEND"
# The kernel hands NAME=VALUE words it does not know to init's environment (spaces: commas).
if [ "$mode" = bench ]; then
	for v in RVISOR_BENCH_TABLES RVISOR_BENCH_REPS RVISOR_BENCH_SCALE RVISOR_BENCH_ROUNDS RVISOR_BENCH_AB_N \
		RVISOR_BENCH_READS RVISOR_BENCH_RAW; do
		[ -z "${!v:-}" ] || append="$append $v=$(tr ' ' , <<<"${!v}")"
	done
fi
rm -f "$console" "$results"
start=$(date +%s)
echo "# booting $kver (${accel[1]}), console in $console"
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${accel[@]}" -smp 2 -m 1024 \
	-nodefaults -no-reboot -display none -monitor none \
	-kernel "$kernel" -initrd "$vmdir/initramfs.cpio" -append "$append" \
	-serial stdio -serial "file:$results" </dev/null 2>&1 | tr -d '\r' | tee "$console" |
	case "$mode" in
	demo) cat ;;
	bench) comment >&2 ;;
	*) comment ;;
	esac
qemu_rc=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))
touch "$results"

kernel_problems=$(guest_kernel_problems "$console" "$results" RVISOR-VM)
done_line=$(guest_done_line "$results" RVISOR-VM)

if [ "$mode" = demo ]; then
	echo "rvisor demo: guest ran for ${elapsed}s"
	[ -z "$kernel_problems" ] || { echo "kernel problems in the guest log:"; echo "$kernel_problems"; exit 1; }
	grep -q '^RVISOR-VM-DEMO rc=0' "$results" || { echo "demo failed (see $console)"; exit 1; }
	exit 0
fi

if [ "$mode" = bench ]; then
	sed '/^RVISOR-VM-DMESG-BEGIN/,$d' "$results" | tr -d '\r'
	[ -z "$kernel_problems" ] || { echo "kernel problems in the guest log:" >&2; echo "$kernel_problems" >&2; exit 1; }
	[ "$done_line" = "RVISOR-VM-DONE rc=0" ] || { echo "benchmark failed: ${done_line:-no report} (see $console)" >&2; exit 1; }
	exit 0
fi

# Renumber the guest's TAP and append the harness checks under one plan.
guest_tap "$results" RVISOR-VM ""
guest_checks "$qemu_rc" "$timeout_s" "guest finished within ${timeout_s}s (took ${elapsed}s)" \
	"$console" "$done_line" "$kernel_problems"
echo "1..$n"
[ "$failed" -eq 0 ]
