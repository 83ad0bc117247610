#!/usr/bin/env bats
# Every sandbox ioctl fed bad input answers a clean errno. Each rvisor-probe case builds a
# valid request, breaks one thing, and prints "ok", the errno's name, or "mismatch:WHAT"
# when the call succeeded but returned or wrote the wrong thing (see rvisor-probe.c).

load lib

setup_file() {
	load_module
	kernel_log_mark
}

setup() {
	rv_setup
}

teardown() {
	rv_teardown
}

# expect ANSWER CASE...: each case prints exactly ANSWER.
expect() {
	local want=$1 c
	shift
	for c in "$@"; do
		run rvisor-probe ioctl "$c"
		echo "$c: $output (want $want)"
		[ "$output" = "$want" ]
	done
}

@test "each sandbox ioctl with a short, oversized or wrongly directed size is EINVAL" {
	for i in create bind set-policy kill destroy list stats selftest; do
		expect EINVAL "$i-short" "$i-oversized" "$i-max-size" "$i-wrong-dir"
	done
	expect ENOTTY unknown-next-nr
}

@test "CREATE: unknown flags, non-zero reserved fields and unterminated strings are EINVAL" {
	expect ok create-ok create-die-with-manager create-names-max
	expect EINVAL create-flags create-cgroup-fd-without-flag create-reserved1 create-reserved \
		create-name-unterminated create-nodename-unterminated create-domainname-unterminated
}

@test "CREATE: a NULL, unmapped, half-mapped or read-only argument is EFAULT, nothing is left" {
	expect EFAULT create-null create-policy-null create-policy-unmapped create-policy-straddle \
		create-readonly
	[ -z "$(rvisor-run ctl list)" ]
}

@test "policy: bad flags, reserved fields, actions and errnos are EINVAL" {
	expect ok policy-ok policy-all-flags policy-deny policy-deny-errno4095 policy-kill policy-log \
		policy-default-deny policy-default-kill policy-default-log
	expect EINVAL policy-flags policy-flags-high policy-reserved policy-reserved0 \
		policy-netlink-unfiltered policy-action-max \
		policy-action-ffff policy-deny-errno0 policy-deny-errno4096 policy-deny-errno5000 \
		policy-pass-errno policy-kill-errno policy-log-errno
	expect EINVAL policy-default-emulate policy-default-action-max policy-default-deny-errno0 \
		policy-default-deny-errno5000 policy-default-pass-errno
	# ia32 and x32 cannot be judged by the table: asking to pass them is refused (ABI 3)
	expect EOPNOTSUPP policy-compat policy-x32 set-policy-compat set-policy-x32
	# io_uring's work never passes the gate: letting it run must be said (RVISOR_POLICY_UNGATED)
	expect EPERM policy-io-uring-gated set-policy-io-uring-gated
}

@test "policy: at most 64 ioctl and 32 prctl rules" {
	expect ok policy-nr-ioctls-64 policy-nr-prctls-32
	expect EINVAL policy-nr-ioctls-65 policy-nr-ioctls-huge policy-nr-prctls-33
}

@test "policy: EMULATE only for uname, sethostname, setdomainname, sysinfo and sched_getaffinity" {
	expect ok policy-emulate-all
	expect EINVAL policy-emulate-getppid policy-emulate-mkdir policy-emulate-last \
		policy-emulate-errno
}

@test "SET_POLICY validates the policy like CREATE and checks its own fields" {
	expect ok set-policy-ok set-policy-emulate-all
	expect EINVAL set-policy-flags set-policy-reserved set-policy-action-max \
		set-policy-deny-errno0 set-policy-emulate-getppid set-policy-nr-ioctls-65 \
		set-policy-default-emulate set-policy-arg-reserved
	expect EFAULT set-policy-null set-policy-unmapped
	expect ENOENT set-policy-id0 set-policy-unknown-id
}

@test "a refused SET_POLICY leaves the old policy in force" {
	rv_detach --rule mkdir=deny:EACCES --output "$T/log" -- \
		sh -c "while [ ! -e $T/go ]; do sleep 0.05; done; sc mkdir $T/d"
	run rvisor-run ctl set-policy "$ID" --rule mkdir=deny:0
	[ "$status" -eq 1 ]
	[[ "$output" == *"RVISOR_IOC_SANDBOX_SET_POLICY (id $ID): EINVAL"* ]]
	touch "$T/go"
	wait_for grep -q . "$T/log"
	[ "$(cat "$T/log")" = EACCES ]
}

@test "BIND: unknown ids are ENOENT, flags and reserved EINVAL, pids ESRCH or EINVAL" {
	# bound: the init alone, ARMED unless RVISOR_BIND_ARM_AT_EXEC (ABI 4)
	expect ok bind-ok bind-arm-at-exec
	expect ENOENT bind-id0 bind-unknown-id bind-destroyed
	# refused: the sandbox stays unbound and the namespace free
	expect EINVAL bind-flags bind-flags-high bind-flags-arm-at-exec-and-unknown bind-reserved
	expect ESRCH bind-nonexistent
	# pid 1 of the guest and the probe itself: the initial namespace; pid 2 of a namespace
	expect EINVAL bind-pid1 bind-self bind-non-init
}

@test "BIND: once per sandbox, once per namespace, never inside a bound namespace (EBUSY)" {
	expect EBUSY bind-twice bind-ns-taken bind-nested
}

@test "KILL: signals 1..64 only, known ids only" {
	expect ok kill-unbound kill-signal64 kill-bound
	expect EINVAL kill-signal0 kill-signal65 kill-signal-negative kill-flags kill-reserved
	expect ENOENT kill-id0 kill-unknown-id
}

@test "DESTROY: known ids only, once; a running sandbox is emptied without waiting for reaping" {
	expect ok destroy-ok destroy-running
	expect ENOENT destroy-id0 destroy-unknown-id destroy-twice
	expect EINVAL destroy-reserved
}

@test "LIST: count with a NULL buffer, capacity respected, bad buffers EFAULT" {
	expect ok list-null-cap0 list-all list-truncated
	expect EFAULT list-null list-null-huge list-unmapped list-readonly
	expect EINVAL list-reserved
}

@test "STATS: NULL counts with nr_counts 0, capacity respected, output fields set and zeroed" {
	expect ok stats-null-0 stats-small stats-big stats-fresh
	expect EFAULT stats-null stats-null-10 stats-unmapped
	expect ENOENT stats-id0 stats-unknown-id
	expect EINVAL stats-reserved stats-reserved1
}

@test "events: read() needs room for a record, blocks until one comes, poll() says when" {
	expect EINVAL events-read-short # and the record is still there for the next read
	expect EAGAIN events-read-empty
	expect ok events-poll-idle events-poll-wakes events-read-blocks
}

@test "SELFTEST: known ops only, reserved zero, one armed test, CHECK only after ARM and getppid" {
	expect ok selftest-ok
	expect EINVAL selftest-op0 selftest-op3 selftest-reserved selftest-result-in
	expect ESRCH selftest-check-unarmed selftest-check-without-call
	expect EBUSY selftest-arm-twice selftest-arm-with-sandbox
}

@test "the kernel log stayed clean (ioctl-bad-input.bats)" {
	kernel_log_clean
}
