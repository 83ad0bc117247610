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
