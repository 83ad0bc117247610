#!/usr/bin/env bats
# The syscall gate from inside a sandbox: each action, the default action, exact counters and
# the fields of events. Commands run as pid 1 of a sandbox through rvisor-run; sc makes one
# raw syscall and prints "ok VALUE" or the errno's name.

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

@test "PASS: the host kernel serves the syscall" {
	run rvisor-run --rule mkdir=pass -- sc mkdir "$T/d" 0700
	[ "$status" -eq 0 ]
	[ "$output" = "ok 0" ]
	[ "$(stat -c %a "$T/d")" = 700 ]
}

@test "DENY: the syscall does not run and returns the chosen errno (1..4095)" {
	run rvisor-run --rule mkdir=deny:EACCES -- sc mkdir "$T/d" 0750
	[ "$status" -eq 1 ]
	[ "$output" = EACCES ]
	[ ! -e "$T/d" ]
	run rvisor-run --rule mkdir=deny:ENOSPC -- sc mkdir "$T/d"
	[ "$output" = ENOSPC ]
	run rvisor-run --rule mkdir=deny:4095 -- sc mkdir "$T/d"
	[ "$output" = errno4095 ]
	[ ! -e "$T/d" ]
	# Only the listed syscall: its neighbour rmdir (84) still reaches the kernel.
	run rvisor-run --rule mkdir=deny:EACCES -- sc raw 84 0 # rmdir(NULL)
	[ "$output" = EFAULT ]
}

@test "KILL: the caller dies by SIGKILL before the syscall runs; counted and evented" {
	run rvisor-run --stats "$T/s" --events "$T/e" --rule mkdir=kill -- sc mkdir "$T/d"
	[ "$status" -eq 137 ]
	[ -z "$output" ]
	[ ! -e "$T/d" ]
	[ "$(kv "$T/s" init_exit_status)" = 9 ]
	[ "$(kv "$T/s" syscall.mkdir)" = 0,0,1 ]
	[ "$(events_count "$T/e" type=denied nr=83 flags=1 sandbox_pid=1)" = 1 ]
	[ "$(events_count "$T/e" type=init_exited value=9)" = 1 ]
}

@test "KILL kills the calling process only, not its parent or the sandbox" {
	run rvisor-run --stats "$T/s" --events "$T/e" --rule mkdir=kill -- \
		sh -c "sc mkdir $T/d; echo after=\$?; exit 4"
	[ "$status" -eq 4 ]
	# busybox sh reports the killed job ("Killed") before the echo runs
	[ "${lines[-1]}" = after=137 ]
	[ "$(events_count "$T/e" type=denied nr=83 flags=1 sandbox_pid=2)" = 1 ]
	[ "$(kv "$T/s" init_exit_status)" = 1024 ]
}

@test "LOG: the syscall runs and one LOGGED event names it" {
	run rvisor-run --stats "$T/s" --events "$T/e" --rule mkdir=log -- sc mkdir "$T/d" 0700
	[ "$status" -eq 0 ]
	[ "$output" = "ok 0" ]
	[ -d "$T/d" ]
	[ "$(events_count "$T/e" type=logged nr=83 value=0 flags=0 sandbox_pid=1 arg1=448)" = 1 ]
	[ "$(events_count "$T/e" type=logged)" = 1 ]
	[ "$(events_count "$T/e" type=denied)" = 0 ]
	[ "$(kv "$T/s" syscall.mkdir)" = 1,0,0 ]
}

@test "PASS produces no event at all" {
	run rvisor-run --events "$T/e" --rule mkdir=pass -- sc mkdir "$T/d"
	[ "$output" = "ok 0" ]
	[ "$(events_count "$T/e" type=denied)" = 0 ]
	[ "$(events_count "$T/e" type=logged)" = 0 ]
	[ "$(events_count "$T/e" type=init_exited)" = 1 ]
}

@test "the default action applies to numbers beyond the table (>= 512) only" {
	# Natively both are ENOSYS.
	run rvisor-run -- sc raw 1000
	[ "$output" = ENOSYS ]
	run rvisor-run --stats "$T/s" --events "$T/e" --default deny:EACCES -- sc raw 1000
	[ "$output" = EACCES ]
	[ "$(kv "$T/s" syscall.other)" = 0,0,1 ]
	[ "$(events_count "$T/e" type=denied nr=1000 value=13 flags=0)" = 1 ]
	run rvisor-run --default deny:EACCES -- sc raw 512
	[ "$output" = EACCES ]
	# 511 is the table's last entry (PASS here), not beyond it.
	run rvisor-run --default deny:EACCES -- sc raw 511
	[ "$output" = ENOSYS ]
	# A table entry keeps its own action (PASS) whatever the default.
	run rvisor-run --default deny:EACCES -- sc mkdir "$T/d"
	[ "$output" = "ok 0" ]
	run rvisor-run --default kill -- sc raw 1000
	[ "$status" -eq 137 ]
	run rvisor-run --stats "$T/s" --events "$T/e" --default log -- sc raw 1000
	[ "$output" = ENOSYS ]
	[ "$(kv "$T/s" syscall.other)" = 1,0,0 ]
	[ "$(events_count "$T/e" type=logged nr=1000 value=0)" = 1 ]
}

@test "counters: exactly 100 passed, 100 denied, 100 logged getppid calls" {
	run rvisor-run --stats "$T/s" -- sc loop 100
	[ "$output" = "ok 100" ]
	[ "$(kv "$T/s" syscall.getppid)" = 100,0,0 ]
	# Everything after BIND counts, from the launcher's execve to sc's exit_group.
	[ "$(kv "$T/s" syscall.execve)" = 1,0,0 ]
	[ "$(kv "$T/s" syscall.exit_group)" = 1,0,0 ]
	[ "$(kv "$T/s" total.denied)" = 0 ]
	[ "$(kv "$T/s" total.emulated)" = 0 ]

	run rvisor-run --stats "$T/s" --rule getppid=deny:EPERM -- sc loop 100
	[ "$output" = "EPERM 100" ]
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,100 ]
	[ "$(kv "$T/s" total.denied)" = 100 ]

	run rvisor-run --stats "$T/s" --events "$T/e" --rule getppid=log -- sc loop 100
	[ "$output" = "ok 100" ]
	[ "$(kv "$T/s" syscall.getppid)" = 100,0,0 ]
	# every call counted; its records within the sandbox's rate, the rest reported as suppressed
	logged=$(events_count "$T/e" type=logged nr=110)
	suppressed=$(awk '/^type=suppressed / { for (i = 1; i <= NF; i++) if ($i ~ /^value=/) s += substr($i, 7) } END { print s + 0 }' "$T/e")
	[ "$logged" -ge 32 ]
	[ "$((logged + suppressed))" -eq 100 ]
}

@test "counters: the totals are the sums of the per-syscall entries" {
	# sh itself calls getppid, uname and prctl: the exact entries are ones it never uses.
	run rvisor-run --stats "$T/s" --rule mkdir=deny:EPERM --rule rmdir=log -- \
		sh -c "sc loop 7 mkdir $T/d; sc raw 84 0; sc raw 1000; exit 0"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "EPERM 7" ]
	[ "$(kv "$T/s" syscall.mkdir)" = 0,0,7 ]
	[ "$(kv "$T/s" syscall.rmdir)" = 1,0,0 ]
	[ "$(kv "$T/s" syscall.other)" = 1,0,0 ]
	[ "$(kv "$T/s" nr_counts)" = 513 ]
	sums=$(awk -F'[=,]' '/^syscall\./ { p += $2; e += $3; d += $4 } END { print p "," e "," d }' "$T/s")
	[ "$sums" = "$(kv "$T/s" total.passed),$(kv "$T/s" total.emulated),$(kv "$T/s" total.denied)" ]
	[ "$(kv "$T/s" total.denied)" = 7 ]
	[ "$(kv "$T/s" total.passed)" -gt 20 ] # sh and three execs of sc
}

@test "a denial event carries the sandbox, syscall, errno, both pids, arguments and time" {
	before=$(date +%s)
	run rvisor-run --stats "$T/s" --events "$T/e" --rule mkdir=deny:EACCES -- sc mkdir "$T/d" 0750
	after=$(date +%s)
	[ "$output" = EACCES ]
	[ "$(events_count "$T/e" type=denied)" = 1 ]
	line=$(events_grep "$T/e" type=denied)
	echo "$line"
	[ "$(field "$line" sandbox_id)" = "$(kv "$T/s" id)" ]
	[ "$(field "$line" nr)" = 83 ]
	[ "$(field "$line" value)" = 13 ]
	[ "$(field "$line" flags)" = 0 ]
	[ "$(field "$line" sandbox_pid)" = 1 ]
	[ "$(field "$line" host_pid)" = "$(kv "$T/s" init_pid)" ]
	[ "$(field "$line" host_pid)" -gt 1 ]
	[ "$(field "$line" arg0)" != 0 ] # the path pointer
	[ "$(field "$line" arg1)" = 488 ] # mode 0750
	[ "$(field "$line" reserved)" = 0,0 ]
	t=$(($(field "$line" time_ns) / 1000000000))
	[ "$t" -ge $((before - 1)) ]
	[ "$t" -le $((after + 1)) ]
}

@test "the init's exit: an INIT_EXITED event with its wait status, and STATS keep it" {
	run rvisor-run --stats "$T/s" --events "$T/e" -- sc exit 3
	[ "$status" -eq 3 ]
	[ "$(events_count "$T/e" type=init_exited nr=-1 value=768)" = 1 ]
	[ "$(kv "$T/s" init_exit_status)" = 768 ]
	[ "$(kv "$T/s" state)" = 7 ] # BOUND | INIT_EXITED | ARMED
	[ "$(kv "$T/s" nr_tasks)" = 0 ]
	[ "$(kv "$T/s" reserved_zero)" = 1 ]
}

@test "STATS report the sandbox's name, flags, limits, init and start time" {
	up0=$(awk '{ print int($1) }' /proc/uptime)
	run rvisor-run --stats "$T/s" --name web-1 --hostname h1 --domainname d1 --memory 64M \
		-- sc getppid
	up1=$(host_uptime)
	[ "$(kv "$T/s" name)" = web-1 ]
	[ "$(kv "$T/s" nodename)" = h1 ]
	[ "$(kv "$T/s" domainname)" = d1 ]
	[ "$(kv "$T/s" memory_limit)" = 67108864 ]
	[ "$(kv "$T/s" flags)" = 0 ]
	[ "$(kv "$T/s" init_pid)" -gt 1 ]
	start=$(($(kv "$T/s" start_time_ns) / 1000000000))
	[ "$start" -ge "$up0" ]
	[ "$start" -le "$up1" ]
}

@test "a full event queue counts what it cannot hold, reports it as suppressed; the exit is never lost" {
	run rvisor-run --no-drain --stats "$T/s" --events "$T/e" --rule getppid=deny:EPERM -- \
		sc loop 100000
	[ "$output" = "EPERM 100000" ]
	[ "$(kv "$T/s" syscall.getppid)" = 0,0,100000 ] # counters never drop
	suppressed=$(awk '/^type=suppressed / { for (i = 1; i <= NF; i++) if ($i ~ /^value=/) s += substr($i, 7) } END { print s + 0 }' "$T/e")
	kept=$(events_count "$T/e" type=denied nr=110)
	echo "suppressed=$suppressed kept=$kept"
	[ "$kept" -le 32 ] # RVISOR_EVENTS_PER_SANDBOX
	[ "$((suppressed + kept))" -eq 100000 ]
	[ "$(kv "$T/s" events_suppressed)" = "$suppressed" ]
	[ "$(events_count "$T/e" type=init_exited)" = 1 ]
	tail -1 "$T/e" | grep -q '^type=init_exited ' # after everything else the sandbox said
}

@test "denial records are rate-limited per sandbox even for a reader that keeps up" {
	start=$(date +%s)
	run rvisor-run --stats "$T/s" --events "$T/e" --rule getppid=deny:EPERM -- sc loop 200000
	secs=$(($(date +%s) - start + 1))
	[ "$output" = "EPERM 200000" ]
	kept=$(events_count "$T/e" type=denied nr=110)
	suppressed=$(awk '/^type=suppressed / { for (i = 1; i <= NF; i++) if ($i ~ /^value=/) s += substr($i, 7) } END { print s + 0 }' "$T/e")
	echo "kept=$kept suppressed=$suppressed in ${secs}s"
	[ "$kept" -le $((32 + 100 * secs)) ] # a burst of 32, then 100 a second
	[ "$((suppressed + kept))" -eq 200000 ]
}

@test "a sandbox flooding denials blinds no other: their denials and exits still arrive" {
	rv_detach --rule getppid=deny:EPERM -- sc loop 100000000
	flooder=$ID
	wait_for stat_is "$flooder" state 5 # bound (and armed), flooding
	sleep 1
	run rvisor-run --stats "$T/s" --events "$T/e" --rule mkdir=deny:EACCES -- \
		sh -c 'sc mkdir /x; sc mkdir /y; exit 7'
	[ "$status" -eq 7 ]
	[ "$(events_count "$T/e" type=denied nr=83 value=13)" = 2 ]
	[ "$(events_count "$T/e" type=init_exited value=1792)" = 1 ] # exit 7 << 8
	[ "$(ctl_stat "$flooder" events_suppressed)" -gt 0 ] # the flooder was cut, not the others
}

@test "the kernel log stayed clean (gate.bats)" {
	kernel_log_clean
}
