#!/usr/bin/env bats
# Sandbox lifetime: detached sandboxes and re-adoption by a new manager, DIE_WITH_MANAGER,
# KILL, DESTROY, live policy changes, one manager at a time, many sandboxes, churn, unload.

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

@test "--detach: the sandbox outlives its manager; a new one lists, reads and destroys it" {
	rv_detach --name keep -- sleep 30
	pid_alive "$INIT_PID"
	[ "$(readlink "/proc/$INIT_PID/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	run rvisor-run ctl list
	[ "$output" = "$ID" ]
	run rvisor-run ctl stats "$ID"
	echo "$output"
	[[ "$output" == *$'\nstate=5\n'* ]] # BOUND | ARMED
	[[ "$output" == *$'\nnr_tasks=1\n'* ]]
	[[ "$output" == *$'\ninit_pid='"$INIT_PID"$'\n'* ]]
	[[ "$output" == *$'\nname=keep\n'* ]]
	rvisor-run ctl destroy "$ID"
	pid_gone "$INIT_PID" # DESTROY returns once no task is left running
	[ -z "$(rvisor-run ctl list)" ]
	run rvisor-run ctl stats "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"RVISOR_IOC_SANDBOX_STATS (id $ID): ENOENT"* ]]
	run rvisor-run ctl destroy "$ID"
	[[ "$output" == *": ENOENT"* ]]
}

@test "DESTROY kills every task and thread of the sandbox, none is left" {
	rv_detach -- sh -c 'sleep 30 & sleep 30 & exec sc thread sleep 30'
	# sc's two threads and two sleeps
	wait_for stat_is "$ID" nr_tasks 4
	ns=$(readlink "/proc/$INIT_PID/ns/pid")
	tasks=$(ns_tasks "$ns")
	echo "$tasks"
	[ "$(wc -l <<<"$tasks")" = 3 ]
	rvisor-run ctl destroy "$ID"
	for p in $tasks; do pid_gone "$p"; done
	[ -z "$(ns_tasks "$ns")" ]
	[ -z "$(rvisor-run ctl list)" ]
}

@test "KILL signals every task: SIGTERM runs the init's trap, SIGKILL ends it" {
	rv_detach --output "$T/out" -- sh -c 'trap "echo term; exit 7" TERM; sleep 30 & wait'
	wait_for stat_is "$ID" nr_tasks 2
	sleeper=$(child_of "$INIT_PID")
	rvisor-run ctl kill "$ID" TERM
	wait_for stat_is "$ID" state 7 # BOUND | INIT_EXITED | ARMED
	[ "$(ctl_stat "$ID" init_exit_status)" = 1792 ] # exit 7
	[ "$(cat "$T/out")" = term ]
	pid_gone "$sleeper"
	wait_for stat_is "$ID" nr_tasks 0
	# the sandbox stays until destroyed
	[ "$(rvisor-run ctl list)" = "$ID" ]
	rvisor-run ctl destroy "$ID"

	rv_detach -- sleep 30
	rvisor-run ctl kill "$ID" 9
	wait_for stat_is "$ID" state 7 # BOUND | INIT_EXITED | ARMED
	[ "$(ctl_stat "$ID" init_exit_status)" = 9 ]
	rvisor-run ctl destroy "$ID"
}

@test "live policy change: the next syscall sees the new policy, and back" {
	rv_detach --output "$T/log" -- \
		sh -c "while [ ! -e $T/stop ]; do sc mkdir $T/d; rmdir $T/d 2>/dev/null; done"
	wait_for lines_ge "$T/log" 2
	rvisor-run ctl set-policy "$ID" --rule mkdir=deny:EACCES
	n=$(wc -l <"$T/log")
	wait_for lines_ge "$T/log" $((n + 4))
	# one sc may have been past its mkdir when the policy changed; every later one is denied
	tail -n +$((n + 2)) "$T/log" | sort -u >"$T/denied"
	rvisor-run ctl set-policy "$ID"
	m=$(wc -l <"$T/log")
	wait_for lines_ge "$T/log" $((m + 4))
	tail -n +$((m + 2)) "$T/log" | sort -u >"$T/passed"
	touch "$T/stop"
	head -n "$n" "$T/log" | sort -u | grep -qx 'ok 0'
	[ "$(cat "$T/denied")" = EACCES ]
	[ "$(cat "$T/passed")" = "ok 0" ]
	[ "$(ctl_stat "$ID" syscall.mkdir | cut -d, -f3)" -ge 3 ]
	rvisor-run ctl destroy "$ID"
}

@test "SET_POLICY replaces the argument rules of a running sandbox too" {
	rv_detach --output "$T/log" -- \
		sh -c "while [ ! -e $T/stop ]; do sc socket INET; sleep 0.05; done"
	wait_for grep -q '^ok ' "$T/log"
	rvisor-run ctl set-policy "$ID" --allow-family UNIX
	n=$(wc -l <"$T/log")
	wait_for lines_ge "$T/log" $((n + 3))
	touch "$T/stop"
	[ "$(tail -n +$((n + 2)) "$T/log" | sort -u)" = EPERM ]
	rvisor-run ctl destroy "$ID"
}

@test "--die-with-manager: the sandbox goes with its manager's fd, the others stay" {
	keep=$(rvisor-run --no-bind --name keep)
	rv_detach --die-with-manager -- sleep 30
	wait_for list_is "$keep"
	pid_gone "$INIT_PID"
	[ "$(ctl_stat "$keep" name)" = keep ]
	rvisor-run ctl destroy "$keep"
}

@test "--die-with-manager holds when the manager is killed with SIGKILL (a fatal signal pending at close)" {
	keep=$(rvisor-run --no-bind --name keep)
	rvisor-run --die-with-manager --pid-file "$T/init.pid" -- sc sleep 300 </dev/null >/dev/null 2>&1 3>&- &
	manager=$!
	wait_for test -s "$T/init.pid"
	init=$(cat "$T/init.pid")
	pid_alive "$init"
	kill -KILL "$manager"
	wait "$manager" || true
	wait_for pid_gone "$init" # destroyed: its tasks are gone
	wait_for list_is "$keep"  # and it is no longer listed; the other one stays
	rvisor-run ctl destroy "$keep"
}

@test "the init's exit is its thread group's: a main() ending in pthread_exit() is not the end" {
	run rvisor-run --stats "$T/s" --events "$T/e" -- sc main-exits-first 1 5
	[ "$status" -eq 5 ]
	[ "$(events_count "$T/e" type=init_exited value=1280)" = 1 ] # exit 5, when the last thread ends
	[ "$(events_count "$T/e" type=init_exited)" = 1 ]
	[ "$(kv "$T/s" init_exit_status)" = 1280 ]
	# execve() from a second thread: the old leader goes, the process (pid 1) lives on
	run rvisor-run --events "$T/e" -- sc thread-exec /bin/sh -c 'sleep 1; exit 3'
	[ "$status" -eq 3 ]
	[ "$(events_count "$T/e" type=init_exited)" = 1 ]
	[ "$(events_count "$T/e" type=init_exited value=768)" = 1 ]
}

@test "unload right after emulated calls in flight: no task returns into freed module text" {
	unload_module
	kernel_log_mark
	for i in $(seq 5); do
		insmod "$RVISOR_KO"
		rv_detach --rule uname=emulate --rule sysinfo=emulate -- sh -c \
			'sc loop 100000000 uname & sc loop 100000000 sysinfo & sc loop 100000000 uname'
		sleep 0.3
		rvisor-run ctl destroy "$ID"
		rmmod rvisor
	done
	[ ! -d /sys/module/rvisor ]
	kernel_log_clean
	load_module
}

@test "only one manager at a time: a second open is EBUSY until the first closes" {
	exec 7<>/dev/rvisor # bats keeps fd 3 for itself
	run rvisor-probe open
	[ "$status" -eq 1 ]
	[ "$output" = EBUSY ]
	run rvisor-run -- sc getppid
	[ "$status" -eq 125 ]
	[[ "$output" == *"open /dev/rvisor: EBUSY"* ]]
	exec 7>&-
	run rvisor-probe open
	[ "$output" = ok ]
	run rvisor-run -- sc getppid
	[ "$status" -eq 0 ]
}

@test "50 sandboxes run at once, all succeed, all are destroyed" {
	run rvisor-run --count 50 --stats "$T/s" -- sc uname
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok 0 ' <<<"$output")" = 50 ]
	[ "$(grep '^id=' "$T/s" | sort -u | wc -l)" = 50 ]
	[ "$(grep -c '^init_exit_status=0$' "$T/s")" = 50 ]
	[ -z "$(rvisor-run ctl list)" ]

	ids=$(rvisor-run --detach --count 50 --pid-file "$T/pids" -- sleep 30)
	[ "$(rvisor-run ctl list | sort)" = "$(sort <<<"$ids")" ]
	[ "$(sort -u "$T/pids" | wc -l)" = 50 ]
	rvisor-run ctl destroy-all
	[ -z "$(rvisor-run ctl list)" ]
	for p in $(cat "$T/pids"); do pid_gone "$p"; done
}

@test "--count: the first failing sandbox's status is the launcher's" {
	run rvisor-run --count 3 -- sh -c 'exit 0'
	[ "$status" -eq 0 ]
	run rvisor-run --count 3 --rule mkdir=deny:EACCES -- sc mkdir "$T/d"
	[ "$status" -eq 1 ]
	[ "$(grep -cx EACCES <<<"$output")" = 3 ]
}

@test "200 create/destroy cycles, then 50 sandboxes bound, run and destroyed one by one" {
	run rvisor-probe churn 200
	[ "$output" = ok ]
	for i in $(seq 50); do
		out=$(rvisor-run --rule getppid=deny:EACCES -- sc getppid) || true
		echo "round $i: $out"
		[ "$out" = EACCES ]
	done
	[ -z "$(rvisor-run ctl list)" ]
}

@test "ids are never reused while the module is loaded" {
	a=$(rvisor-run --no-bind)
	rvisor-run ctl destroy "$a"
	b=$(rvisor-run --no-bind)
	rvisor-run ctl destroy "$b"
	[ "$a" -ne 0 ]
	[ "$b" -ne 0 ]
	[ "$a" -ne "$b" ]
}

@test "rmmod is refused while a sandbox exists, bound or not, and works after DESTROY" {
	id=$(rvisor-run --no-bind)
	run rmmod rvisor
	[ "$status" -ne 0 ]
	module_loaded
	rv_detach -- sleep 30
	run rmmod rvisor
	[ "$status" -ne 0 ]
	module_loaded
	pid_alive "$INIT_PID"
	rvisor-run ctl destroy "$id"
	rvisor-run ctl destroy "$ID"
	rmmod rvisor
	[ ! -d /sys/module/rvisor ]
	pid_gone "$INIT_PID"
}

@test "load and unload 10 times with sandboxes run and destroyed in between, log clean" {
	unload_module
	kernel_log_mark
	for i in $(seq 10); do
		insmod "$RVISOR_KO"
		out=$(rvisor-run --rule getppid=deny:EACCES -- sc getppid) || true
		echo "round $i: $out"
		[ "$out" = EACCES ]
		rv_detach -- sleep 30
		id=$(rvisor-run --no-bind)
		rvisor-run ctl destroy "$ID"
		rvisor-run ctl destroy "$id"
		rmmod rvisor
	done
	[ ! -d /sys/module/rvisor ]
	kernel_log_clean
	# and the host's syscalls are ungated again
	run sc getppid
	[[ "$output" =~ ^ok\ [0-9]+$ ]]
}

@test "the kernel log stayed clean (lifecycle.bats)" {
	kernel_log_clean
}
