#!/usr/bin/env bats
# RVISOR_BIND_ARM_AT_EXEC (ABI 4): a sandbox bound with it is a sandbox at once (members,
# task count, KILL, DESTROY, INIT_EXITED) but judges nothing until the first execve or
# execveat by one of its tasks; that call and every one after it are judged. rvisor-run's
# --arm-at-exec binds so, and its --pre-exec steps run in the init between bind and exec.

load lib

setup_file() {
	load_module
}

setup() {
	rv_setup
	kernel_log_mark
}

teardown() {
	rv_teardown
	kernel_log_clean
}

# no_syscall_counts FILE: a STATS file without a single syscall.* counter.
no_syscall_counts() {
	[ -z "$(grep '^syscall\.' "$1")" ]
}

@test "before its exec a sandbox judges, counts and reports nothing; after it, it does" {
	rv_detach --arm-at-exec --rule getppid=deny:EACCES --output "$T/out" \
		--pre-exec getppid --pre-exec wait:"$T/go" -- sc getppid
	wait_for grep -q '^pre-exec getppid:' "$T/out"
	[ "$(cat "$T/out")" = "pre-exec getppid: ok 0" ] # not denied: pid 1's parent is outside
	rvisor-run ctl stats "$ID" >"$T/s"
	cat "$T/s"
	[ "$(kv "$T/s" state)" = 1 ] # BOUND, not ARMED
	[ "$(kv "$T/s" armed)" = 0 ]
	[ "$(kv "$T/s" nr_tasks)" = 1 ]
	[ "$(kv "$T/s" init_pid)" = "$INIT_PID" ]
	[ "$(kv "$T/s" total.passed)" = 0 ]
	[ "$(kv "$T/s" total.emulated)" = 0 ]
	[ "$(kv "$T/s" total.denied)" = 0 ]
	no_syscall_counts "$T/s"
	rvisor-run ctl events >"$T/e0"
	[ "$(events_count "$T/e0" sandbox_id="$ID")" = 0 ]

	touch "$T/go"
	wait_for grep -qx EACCES "$T/out"
	wait_for stat_is "$ID" state 7 # BOUND | INIT_EXITED | ARMED
	rvisor-run ctl stats "$ID" >"$T/s"
	cat "$T/s"
	[ "$(kv "$T/s" armed)" = 1 ]
	[ "$(kv "$T/s" syscall.execve)" = 1,0,0 ] # the first call judged
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,1 ] # sc's; the set-up's was never counted
	[ "$(kv "$T/s" total.denied)" = 1 ]
	rvisor-run ctl events >"$T/e" # a denial is queued before the call returns
	cat "$T/e"
	[ "$(events_count "$T/e" type=denied sandbox_id="$ID" nr=110 value=13 sandbox_pid=1)" = 1 ]
	[ "$(events_count "$T/e" type=denied sandbox_id="$ID")" = 1 ]
	rvisor-run ctl destroy "$ID"
}

@test "after the exec emulated uname answers the sandbox's nodename; before it the host's" {
	run rvisor-run --arm-at-exec --stats "$T/s" --events "$T/e" --hostname inside \
		--rule uname=emulate --pre-exec uname -- sc uname
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pre-exec uname: ok 0 nodename=$HOST_NAME" ]
	[[ "${lines[1]}" == *" nodename=inside "* ]]
	[ "$(kv "$T/s" armed)" = 1 ]
	[ "$(kv "$T/s" syscall.uname)" = 0,1,0 ]
	[ "$(kv "$T/s" total.emulated)" = 1 ]
	[ "$(events_count "$T/e" type=denied)" = 0 ]
}

@test "a sandbox bound without the flag is armed at once: the init's first calls are judged" {
	run rvisor-run --stats "$T/s" --rule getppid=deny:EACCES --pre-exec getppid -- sc getppid
	echo "$output"
	[ "${lines[0]}" = "pre-exec getppid: EACCES" ]
	[ "${lines[1]}" = EACCES ]
	[ "$(kv "$T/s" armed)" = 1 ]
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,2 ]
}

@test "an exec by another task before the init's (an OCI createContainer hook) does not arm" {
	rv_detach --arm-at-exec --rule getppid=deny:EPERM --output "$T/out" --pre-exec child-exec --pre-exec getppid \
		--pre-exec wait:"$T/go" -- sleep 30
	wait_for grep -q "pre-exec getppid" "$T/out"
	grep -qx "pre-exec child-exec: ok 0" "$T/out"
	grep -qx "pre-exec getppid: ok 0" "$T/out"
	[ "$(ctl_stat "$ID" armed)" = 0 ]
	touch "$T/go"
	wait_for stat_is "$ID" armed 1
	rvisor-run ctl destroy "$ID"
}

@test "execveat arms the sandbox too" {
	run rvisor-run --arm-at-exec --exec-at --stats "$T/s" --events "$T/e" \
		--rule getppid=deny:EACCES --pre-exec getppid -- sc getppid
	echo "$output"
	[ "${lines[0]}" = "pre-exec getppid: ok 0" ]
	[ "${lines[1]}" = EACCES ]
	[ "$(kv "$T/s" armed)" = 1 ]
	[ "$(kv "$T/s" syscall.execveat)" = 1,0,0 ]
	[ -z "$(kv "$T/s" syscall.execve)" ]
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,1 ]
	[ "$(events_count "$T/e" type=denied nr=110 value=13)" = 1 ]
}

@test "an execve that fails (ENOENT) still arms the sandbox: it fails closed" {
	run rvisor-run --arm-at-exec --stats "$T/s" --events "$T/e" --rule getppid=deny:EACCES \
		--pre-exec getppid --pre-exec exec-enoent --pre-exec getppid -- sc getppid
	echo "$output"
	[ "${lines[0]}" = "pre-exec getppid: ok 0" ]
	[ "${lines[1]}" = "pre-exec exec-enoent: ENOENT" ]
	[ "${lines[2]}" = "pre-exec getppid: EACCES" ]
	[ "${lines[3]}" = EACCES ]
	[ "$(kv "$T/s" armed)" = 1 ]
	[ "$(kv "$T/s" syscall.execve)" = 2,0,0 ] # the failed one is judged (and counted) too
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,2 ]
	[ "$(events_count "$T/e" type=denied nr=110)" = 2 ]
}

@test "an execve the policy denies arms the sandbox and is denied" {
	run rvisor-run --arm-at-exec --stats "$T/s" --events "$T/e" --rule execve=deny:EACCES \
		--rule getppid=deny:EACCES --pre-exec getppid --pre-exec exec-enoent -- sc getppid
	echo "$output"
	[ "$status" -eq 126 ]
	[ "${lines[0]}" = "pre-exec getppid: ok 0" ]
	[ "${lines[1]}" = "pre-exec exec-enoent: EACCES" ] # denied by the gate, not ENOENT
	[[ "${lines[2]}" == "rvisor-run: exec sc: "* ]]
	[ "$(kv "$T/s" armed)" = 1 ]
	[ "$(kv "$T/s" syscall.execve)" = 0,0,2 ]
	[ "$(events_count "$T/e" type=denied nr=59 value=13 sandbox_pid=1)" = 2 ]
}

@test "ia32 and x32 syscalls are refused even before the sandbox is armed" {
	run rvisor-run --arm-at-exec --stats "$T/s" --events "$T/e" \
		--pre-exec int80-getpid --pre-exec x32-getpid --pre-exec getppid --pre-exec exit:0 -- true
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pre-exec int80-getpid: ENOSYS" ]
	[ "${lines[1]}" = "pre-exec x32-getpid: ENOSYS" ]
	[ "${lines[2]}" = "pre-exec getppid: ok 0" ]
	[ "$(kv "$T/s" armed)" = 0 ] # never exec'd
	[ "$(kv "$T/s" syscall.other)" = 0,0,2 ]
	[ -z "$(kv "$T/s" syscall.getppid)" ]
	[ "$(events_count "$T/e" type=denied value=38 flags=4 nr=20)" = 1 ]
	[ "$(events_count "$T/e" type=denied value=38 flags=8)" = 1 ]
}

@test "a task that joins with setns before the exec is a member, unjudged until its own exec" {
	mkfifo "$T/f" "$T/f2" # one each: a reopened fifo may still have the last writer
	rv_detach --arm-at-exec --rule chdir=deny:EACCES --pre-exec wait:"$T/go" -- sleep 30
	ns=$(readlink "/proc/$INIT_PID/ns/pid")
	# nsenter -F: bash itself stays outside; the one child it forks (the background group)
	# is in the namespace, a joiner: cd, echo and read are builtins, so it runs unjudged
	# until it execs busybox sh, whose cd is then judged. (cd -P: one chdir; bash's logical
	# cd tries again after a failure.)
	rv_bg nsenter -t "$INIT_PID" -p -F -- bash -c "{
		cd -P / && echo before=ok >$T/j
		read -r x <$T/f
		if cd -P /; then echo after=ok; else echo after=denied; fi >>$T/j 2>/dev/null
		exec /bin/busybox sh -c 'if cd -P /; then echo exec=ok; else echo exec=denied; fi >>$T/j 2>/dev/null; read -r x <$T/f2'
	} & wait"
	wait_for grep -qx before=ok "$T/j"
	sub=$(ns_tasks "$ns" | grep -vx "$INIT_PID")
	echo "joined: $sub"
	[ -n "$sub" ]
	[ "$(ns_tasks "$ns" | wc -l)" = 2 ]
	rvisor-run ctl stats "$ID" >"$T/s"
	[ "$(kv "$T/s" nr_tasks)" = 2 ]
	[ "$(kv "$T/s" armed)" = 0 ]
	[ "$(kv "$T/s" total.passed)" = 0 ]
	[ "$(kv "$T/s" total.denied)" = 0 ]

	touch "$T/go" # the init execs sleep: armed
	wait_for stat_is "$ID" armed 1
	timeout 10 sh -c "echo >$T/f"
	wait_for grep -q '^exec=' "$T/j"
	cat "$T/j"
	[ "$(grep '^after=' "$T/j")" = after=ok ]
	[ "$(grep '^exec=' "$T/j")" = exec=denied ]
	[ "$(ctl_stat "$ID" syscall.chdir)" = 0,0,1 ]
	rvisor-run ctl events >"$T/e"
	line=$(events_grep "$T/e" type=denied sandbox_id="$ID" nr=80 value=13)
	echo "$line"
	[ "$(events_count "$T/e" type=denied sandbox_id="$ID")" = 1 ]
	[ "$(field "$line" host_pid)" = "$sub" ]
	[ "$(field "$line" sandbox_pid)" = "$(awk '/^NSpid:/ { print $NF }' "/proc/$sub/status")" ]
	timeout 10 sh -c "echo >$T/f2"
	wait_for stat_is "$ID" nr_tasks 1
	rvisor-run ctl destroy "$ID"
	[ -z "$(ns_tasks "$ns")" ]
}

@test "a task that joins after the exec (an OCI runtime's exec) and its children are unjudged until their exec" {
	rv_detach --arm-at-exec --rule chdir=deny:EACCES -- sleep 30
	wait_for stat_is "$ID" armed 1
	run nsenter -t "$INIT_PID" -p -F -- bash -c "{
		cd -P / && echo joiner=ok
		(cd -P / && echo child=ok)
		exec /bin/busybox sh -c 'cd -P / 2>/dev/null && echo exec=ok || echo exec=denied'
	} & wait"
	echo "$output"
	[ "$output" = "$(printf 'joiner=ok\nchild=ok\nexec=denied')" ]
	[ "$(ctl_stat "$ID" syscall.chdir)" = 0,0,1 ]
	rvisor-run ctl destroy "$ID"
}

@test "without arm-at-exec a joiner is judged from its first syscall" {
	rv_detach --rule chdir=deny:EACCES -- sleep 30
	run nsenter -t "$INIT_PID" -p -F -- bash -c "{ cd -P / 2>/dev/null && echo joiner=ok || echo joiner=denied; } & wait"
	[ "$output" = joiner=denied ]
	[ "$(ctl_stat "$ID" syscall.chdir)" = 0,0,1 ]
	rvisor-run ctl destroy "$ID"
}

@test "joiners past the table's 32 slots are judged from the start (fail closed)" {
	rv_detach --arm-at-exec --rule chdir=deny:EACCES -- sleep 30
	wait_for stat_is "$ID" armed 1
	mkfifo "$T/go"
	# 33 joiners wait together, then each tries one chdir: the 33rd found no slot.
	rv_bg nsenter -t "$INIT_PID" -p -F -- bash -c "
		for i in \$(seq 33); do
			{ read -r x <$T/go; cd -P / 2>/dev/null && echo ok >>$T/r || echo denied >>$T/r; sleep 5; } &
		done
		wait"
	wait_for stat_is "$ID" nr_tasks 34
	timeout 10 sh -c "exec 3>$T/go; sleep 1"
	wait_for lines_ge "$T/r" 33
	[ "$(grep -cx ok "$T/r")" = 32 ]
	[ "$(grep -cx denied "$T/r")" = 1 ]
	[ "$(ctl_stat "$ID" syscall.chdir)" = 0,0,1 ]
	rvisor-run ctl destroy "$ID"
}

@test "KILL before the exec reaches the init, INIT_EXITED reports it, DESTROY leaves nothing" {
	rv_detach --arm-at-exec --pre-exec wait:"$T/never" -- sleep 30
	ns=$(readlink "/proc/$INIT_PID/ns/pid")
	rvisor-run ctl kill "$ID" KILL
	wait_for pid_gone "$INIT_PID"
	wait_for stat_is "$ID" state 3 # BOUND | INIT_EXITED, never ARMED
	[ "$(ctl_stat "$ID" init_exit_status)" = 9 ]
	[ "$(ctl_stat "$ID" nr_tasks)" = 0 ]
	rvisor-run ctl events >"$T/e"
	[ "$(events_count "$T/e" type=init_exited sandbox_id="$ID" value=9)" = 1 ]
	[ "$(events_count "$T/e" sandbox_id="$ID")" = 1 ]
	rvisor-run ctl destroy "$ID"
	[ -z "$(rvisor-run ctl list)" ]
	[ -z "$(ns_tasks "$ns")" ]
}

@test "DESTROY before the exec kills every task of the sandbox and leaves nothing" {
	rv_detach --arm-at-exec --output "$T/out" --pre-exec fork --pre-exec wait:"$T/never" -- true
	ns=$(readlink "/proc/$INIT_PID/ns/pid")
	wait_for lines_ge "$T/out" 2 # the init and its child each report the fork
	cat "$T/out"
	[ "$(ns_tasks "$ns" | wc -l)" = 2 ]
	[ "$(ctl_stat "$ID" nr_tasks)" = 2 ]
	[ "$(ctl_stat "$ID" armed)" = 0 ]
	rvisor-run ctl destroy "$ID"
	pid_gone "$INIT_PID"
	[ -z "$(ns_tasks "$ns")" ]
	[ -z "$(rvisor-run ctl list)" ]
}

@test "INIT_EXITED fires for an init that exits without ever exec'ing" {
	run rvisor-run --arm-at-exec --stats "$T/s" --events "$T/e" --rule getppid=deny:EACCES \
		--pre-exec getppid --pre-exec exit:3 -- true
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$output" = "pre-exec getppid: ok 0" ]
	[ "$(events_count "$T/e" type=init_exited nr=-1 value=768 sandbox_pid=1)" = 1 ]
	[ "$(events_count "$T/e" type=denied)" = 0 ]
	[ "$(kv "$T/s" state)" = 3 ] # BOUND | INIT_EXITED
	[ "$(kv "$T/s" armed)" = 0 ]
	[ "$(kv "$T/s" init_exit_status)" = 768 ]
	[ "$(kv "$T/s" nr_tasks)" = 0 ]
	[ "$(kv "$T/s" total.passed)" = 0 ]
	no_syscall_counts "$T/s"
}
