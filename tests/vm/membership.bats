#!/usr/bin/env bats
# Who is gated: every task of the bound pid namespace (children, threads, tasks that joined
# with setns, namespaces nested inside), and nobody else: host tasks are never touched.

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

@test "a forked child is gated, its event names its own pids" {
	run rvisor-run --stats "$T/s" --events "$T/e" --rule mkdir=deny:EACCES -- sc fork mkdir "$T/d"
	[ "$status" -eq 1 ]
	[ "$output" = EACCES ]
	[ ! -e "$T/d" ]
	[ "$(kv "$T/s" syscall.mkdir)" = 0,0,1 ]
	line=$(events_grep "$T/e" type=denied nr=83)
	[ "$(field "$line" sandbox_pid)" = 2 ]
	host_pid=$(field "$line" host_pid)
	[ "$host_pid" -gt 1 ]
	[ "$host_pid" != "$(kv "$T/s" init_pid)" ]
}

@test "KILL in a forked child kills that child only" {
	run rvisor-run --rule mkdir=kill -- sc fork mkdir "$T/d"
	[ "$status" -eq 3 ]
	[ "$output" = "killed SIGKILL" ]
}

@test "a thread is gated, its event names its own thread ids" {
	run rvisor-run --stats "$T/s" --events "$T/e" --rule getppid=deny:EACCES -- sc thread getppid
	[ "$output" = EACCES ]
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,1 ]
	line=$(events_grep "$T/e" type=denied nr=110)
	[ "$(field "$line" sandbox_pid)" = 2 ]
	[ "$(field "$line" host_pid)" != "$(kv "$T/s" init_pid)" ]
}

@test "KILL in a thread kills the whole process" {
	run rvisor-run --rule getppid=kill -- sc thread getppid
	[ "$status" -eq 137 ]
	[ -z "$output" ]
}

@test "a task that joins the sandbox's pid namespace with setns is gated" {
	rv_detach --rule getppid=deny:EACCES -- sleep 30
	# busybox nsenter forks after setns(CLONE_NEWPID): its child is in the sandbox.
	run nsenter -t "$INIT_PID" -p -- sc getppid
	[ "$output" = EACCES ]
	run nsenter -t "$INIT_PID" -p -- sc getpid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	[ "${output#ok }" -gt 1 ] # a pid of the sandbox's namespace
	[ "$(ctl_stat "$ID" syscall.getppid)" = 0,0,1 ]
	run sc getppid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	rvisor-run ctl destroy "$ID"
}

@test "a pid namespace nested inside the sandbox is gated too" {
	run rvisor-run --allow-namespaces --rule mkdir=deny:EACCES -- unshare -p -f sc mkdir "$T/d"
	echo "$output"
	[ "$output" = EACCES ]
	[ ! -e "$T/d" ]
	# and without --allow-namespaces it cannot even be made
	run rvisor-run -- unshare -p -f sc getpid
	[ "$status" -ne 0 ]
	[[ "$output" != *"ok 1"* ]]
}

@test "binding a running namespace gates the tasks already in it" {
	rv_bg unshare -p -f sh -c "echo > $T/started; while [ ! -e $T/stop ]; do sc mkdir $T/d >> $T/log; rmdir $T/d 2>/dev/null; sleep 0.05; done"
	wait_for test -e "$T/started"
	nsinit=$(child_of "$BG_PID")
	wait_for grep -qx 'ok 0' "$T/log"
	id=$(rvisor-run --no-bind --rule mkdir=deny:EACCES)
	rvisor-run ctl bind "$id" "$nsinit"
	[ "$(ctl_stat "$id" init_pid)" = "$nsinit" ]
	[ "$(ctl_stat "$id" state)" = 5 ] # BOUND | ARMED
	n=$(wc -l <"$T/log")
	wait_for lines_ge "$T/log" $((n + 3))
	touch "$T/stop"
	tail -n +$((n + 2)) "$T/log" | sort -u >"$T/after"
	cat "$T/after"
	[ "$(cat "$T/after")" = EACCES ]
	rvisor-run ctl destroy "$id"
	pid_gone "$nsinit"
}

@test "host tasks are not gated while a sandbox denies everything" {
	rv_detach --rule mkdir=deny:EACCES --output "$T/out" -- sh -c "sc mkdir $T/in; exec sleep 30"
	wait_for grep -qx EACCES "$T/out"
	[ ! -e "$T/in" ]
	rvisor-run ctl set-policy "$ID" --rule '*=deny:EPERM' --default deny:EPERM \
		--filter-ioctl --filter-socket --filter-prctl
	before=$(rvisor-run ctl stats "$ID" | grep '^total\.')

	run sc mkdir "$T/host"
	[ "$output" = "ok 0" ]
	run sc getppid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	run sc fork getppid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	run sc thread gettid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	run sc clone3
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	run sc int80-getpid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	run sc ioctl FIONREAD
	[ "$output" = "ok 0" ]
	run sc socket INET
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
	run sc raw 1000
	[ "$output" = ENOSYS ]
	run sc uname
	[[ "$output" == *" nodename=$HOST_NAME "* ]]
	mkdir "$T/busybox-mkdir"
	ls "$T" >/dev/null

	# None of that touched the sandbox's counters.
	[ "$(rvisor-run ctl stats "$ID" | grep '^total\.')" = "$before" ]
	rvisor-run ctl destroy "$ID"
}

@test "a task inside a sandbox cannot open /dev/rvisor even when no manager holds it" {
	rv_detach --output "$T/out" -- \
		sh -c "while [ ! -e $T/go ]; do sleep 0.05; done; rvisor-probe open; echo rc=\$?"
	touch "$T/go" # the launcher has exited: the device is free
	wait_for grep -q '^rc=' "$T/out"
	cat "$T/out"
	[ "$(tail -1 "$T/out")" = rc=1 ]
	first=$(head -1 "$T/out")
	[ "$first" != ok ]
	[ "$first" != EBUSY ] # refused for being inside, not for the one-manager rule
	run rvisor-probe open
	[ "$output" = ok ]
}

@test "a task inside a sandbox cannot use the manager's inherited descriptor" {
	run rvisor-probe ioctl inherited-fd
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" != ok ]
}

@test "the kernel log stayed clean (membership.bats)" {
	kernel_log_clean
}
