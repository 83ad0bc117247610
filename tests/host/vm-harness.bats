#!/usr/bin/env bats
# The VM harness's own judgement: which guest log lines fail a run.

load lib

problems() {
	"$ROOT/tests/vm/kernel-log-problems.sh"
}

@test "a kernel WARNING, BUG, Oops and panic are all caught" {
	for line in \
		'[   12.345678] WARNING: CPU: 1 PID: 99 at module/control.c:10 rvisor_ioctl+0x1/0x2 [rvisor]' \
		'[    3.000001] BUG: kernel NULL pointer dereference, address: 0000000000000000' \
		'[    3.100000] Oops: 0002 [#1] PREEMPT SMP NOPTI' \
		'[    3.200000] Kernel panic - not syncing: Fatal exception' \
		'[    4.000000] BUG: KASAN: use-after-free in rvisor_sandbox_put+0x10/0x20' \
		'[    5.000000] refcount_t: underflow; use-after-free.' \
		'[    6.000000] ------------[ cut here ]------------'; do
		run problems <<<"$line"
		echo "$line -> $status"
		[ "$status" -eq 0 ]
		[ "$output" = "$line" ]
	done
}

@test "a test's name or output mentioning WARNING is not a kernel problem" {
	run problems <<<$'ok 5 load and unload 20 times without a kernel WARNING\n# BUG: not a kernel line'
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "an OOM-killer report (a sandbox hit its limit) is no problem, a trace after it is" {
	oom=$'[   18.8] sh invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0\n[   18.8] Call Trace:\n[   18.8]  <TASK>\n[   18.8]  dump_stack_lvl+0x44/0x5c\n[   18.8]  </TASK>\n[   18.9] Memory cgroup out of memory: Killed process 564 (sh)'
	run problems <<<"$oom"
	[ "$status" -eq 1 ]
	run problems <<<"$oom"$'\n[   19.0] WARNING: CPU: 0 PID: 1 at module/gate.c:1\n[   19.0] Call Trace:'
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNING: CPU"* ]]
	[[ "$output" == *"Call Trace"* ]]
}

@test "an ordinary boot log is clean" {
	run problems <<<$'[    0.000000] Linux version 6.1.0\r\n[    2.276956] rvisor: loading out-of-tree module taints kernel.\n[    2.3] rvisor: version 0.1.0 (ABI 1) loaded'
	[ "$status" -eq 1 ]
}

@test "a guest that does not finish in time fails the run, and says it never reported" {
	RVISOR_VM_TIMEOUT=1 run "$ROOT/tests/vm/run.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not ok "*" - guest finished within 1s (it hung; see build/vm/console.log)"* ]]
	[[ "$output" == *"not ok "*" - guest reported its results (it never did"* ]]
	[[ "$output" == *$'\n1..'* ]]
}

@test "RVISOR_VM_KERNEL: an incomplete kernel directory is refused before anything boots" {
	local k=$BATS_TEST_TMPDIR/kernel
	mkdir -p "$k/modules"
	echo 9.9.9-test >"$k/release"
	RVISOR_VM_KERNEL=$k run "$ROOT/tests/vm/run.sh"
	[ "$status" -eq 1 ]
	[ "$output" = "1..1"$'\n'"not ok 1 - RVISOR_VM_KERNEL=$k has no vmlinuz" ]
	touch "$k/vmlinuz"
	RVISOR_VM_KERNEL=$k/ run "$ROOT/tests/vm/run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 1 - RVISOR_VM_KERNEL=$k has no rvisor.ko" ]]
}

@test "RVISOR_VM_KERNEL: an rvisor.ko built for another kernel is refused (vermagic)" {
	local k=$BATS_TEST_TMPDIR/kernel
	mkdir -p "$k/modules"
	echo 9.9.9-test >"$k/release"
	touch "$k/vmlinuz"
	cp "$ROOT/module/rvisor.ko" "$k/rvisor.ko" # built for the host's Debian kernel
	RVISOR_VM_KERNEL=$k run "$ROOT/tests/vm/run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 1 - $k/rvisor.ko was not built for 9.9.9-test (vermagic: "* ]]
	[ ! -e "$ROOT/build/vm/kernels/9.9.9-test" ]
}

@test "TCG runs single-threaded; kvm and tcg can be forced" {
	source "$ROOT/tests/lib/qemu-accel.bash"
	qemu_accel tcg "$BATS_TEST_TMPDIR" /nonexistent
	[ "${qemu_accel_args[*]}" = "-accel tcg,thread=single -cpu max" ]
	qemu_accel kvm "$BATS_TEST_TMPDIR" /nonexistent
	[ "${qemu_accel_args[*]}" = "-accel kvm -cpu host" ]
}
