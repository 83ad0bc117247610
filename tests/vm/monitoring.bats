#!/usr/bin/env bats
# Host monitoring while sandboxes exist, seen with Debian's perf: by default every host syscall
# stays visible to a raw_syscalls tracer whenever it attaches; the opt-in spare_host_tasks=1
# spares host tasks the slow path and blinds a tracer that attaches later (docs/kernel.md).

load lib

GETPPID=110 # x86_64

setup() {
	rv_setup
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
}

teardown() {
	rv_teardown
	unload_module # spare_host_tasks back to its default for the next suite
}

# traced_getppids: how many of 1000 getppid() calls of a new host process a raw_syscalls
# tracer attached now (perf stat, counting that process) sees.
traced_getppids() {
	perf stat -x, -o "$T/perf.out" -e raw_syscalls:sys_enter --filter "id == $GETPPID" \
		-- sc loop 1000 getppid >/dev/null || return 1
	awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$T/perf.out"
}

# module_unused: no sandbox holds rvisor.ko any more (the gate detaches before that).
module_unused() {
	[ "$(cat /sys/module/rvisor/refcnt)" = 0 ]
}

# perf_start: a system-wide tracer of getppid(), printing its count every 100 ms to
# $T/perf.log; returns once it is attached (its first interval is written).
perf_start() {
	rv_bg perf stat -a -I 100 -x, -o "$T/perf.log" -e raw_syscalls:sys_enter \
		--filter "id == $GETPPID"
	PERF_PID=$BG_PID
	wait_for grep -q raw_syscalls "$T/perf.log"
}

# perf_total: stops the tracer and prints the getppid() calls it counted in all.
perf_total() {
	kill -INT "$PERF_PID"
	wait_for pid_gone "$PERF_PID"
	awk -F, '$4 == "raw_syscalls:sys_enter" { n += $2 } END { print n + 0 }' "$T/perf.log"
}

@test "perf is here and counts host syscalls with no sandbox" {
	[ "$(cat /sys/module/rvisor/parameters/spare_host_tasks)" = N ]
	[ "$(traced_getppids)" -ge 1000 ]
}

@test "by default a tracer attached after the first sandbox sees every host syscall" {
	kernel_log_mark
	rv_detach --rule getppid=deny:EACCES -- sleep 60
	[ "$(traced_getppids)" -ge 1000 ]
	# and the sandbox is gated all along
	run nsenter -t "$INIT_PID" -p -- sc getppid
	[ "$output" = EACCES ]
	kernel_log_clean
}

@test "by default a system-wide tracer sees host syscalls across a sandbox's whole life" {
	perf_start
	sc loop 1000 getppid
	rv_detach -- sleep 60
	sc loop 1000 getppid
	rvisor-run ctl destroy "$ID"
	sc loop 1000 getppid
	[ "$(perf_total)" -ge 3000 ]
}

@test "spare_host_tasks=1: sandboxes are still gated, children forked in from outside too" {
	echo 1 >/sys/module/rvisor/parameters/spare_host_tasks
	kernel_log_mark
	run rvisor-run --rule getppid=deny:EACCES -- sh -c 'sc getppid; sc getppid'
	[ "${lines[0]}" = EACCES ]
	[ "${lines[1]}" = EACCES ]
	rv_detach --rule getppid=deny:EACCES -- sleep 60
	# busybox nsenter forks after setns(CLONE_NEWPID): a host task's child in the sandbox
	run nsenter -t "$INIT_PID" -p -- sc getppid
	[ "$output" = EACCES ]
	run sc getppid # the host task itself is not gated
	[[ "$output" == ok* ]]
	kernel_log_clean
}

@test "spare_host_tasks=1: the documented blind spot, and sight restored with the last sandbox" {
	echo 1 >/sys/module/rvisor/parameters/spare_host_tasks
	rv_detach -- sleep 60
	local first=$ID
	rv_detach -- sleep 60
	# A tracer attaching now sees no host task: this is what the parameter trades away.
	[ "$(traced_getppids)" -eq 0 ]
	rvisor-run ctl destroy "$first"
	[ "$(traced_getppids)" -eq 0 ] # one sandbox is left
	rvisor-run ctl destroy "$ID"
	wait_for module_unused # the last sandbox is freed, after an RCU grace period
	[ "$(traced_getppids)" -ge 1000 ]
}

@test "spare_host_tasks=1: a tracer attached before the first sandbox keeps seeing host tasks" {
	echo 1 >/sys/module/rvisor/parameters/spare_host_tasks
	perf_start
	rv_detach -- sleep 60
	sc loop 1000 getppid
	[ "$(traced_getppids)" -ge 1000 ] # a second tracer, too
	[ "$(perf_total)" -ge 2000 ]
}

@test "the kernel log stayed clean (monitoring.bats)" {
	! dmesg | kernel-log-problems
}
