#!/usr/bin/env bats
# The sandbox's view of the machine without rvisor.ko (the seccomp platform, as on every build
# host): no rvisorfs, so /proc shows the host's figures and there is still no /sys; status and
# run say so, run only where someone reads it or asked for a limit, and nothing else changes.
# With rvisor.ko: tests/vm/views.bats.
bats_require_minimum_version 1.5.0

load lib
load daemon

setup_file() {
	daemon_file_setup
}

teardown_file() {
	daemon_file_teardown
}

NOTE="runs without rvisor.ko: its /proc and /sys show the host's memory and CPUs, not its own limits"

@test "status says the views are the host's /proc figures (no rvisor.ko)" {
	run "$RVISORCTL" status
	[ "$status" -eq 3 ] # the module is not loaded
	[[ "$output" == *$'\nviews:     host\'s /proc figures (no rvisor.ko: sandboxes see the host\'s memory, CPUs, uptime, load)\n'* ]]
	run --separate-stderr "$RVISORCTL" status --json
	[ "$(jq -r .views <<<"$output")" = host ]
	run vl_status
	[[ "$output" == *'"views":"host"'* ]]
}

vl_status() {
	printf '%s\0' '{"method":"io.rvisor.Manager.Status"}' | "$ROOT/build/tools/varlink-raw" "$RVISOR_SOCKET"
}

@test "the sandbox sees the host's /proc figures and still no /sys; busybox tools work" {
	run --separate-stderr rv -- sh -c 'grep MemTotal /proc/meminfo; nproc; ls /sys 2>&1; free -m >/dev/null && echo free-ok; top -bn1 >/dev/null && echo top-ok; cat /proc/uptime /proc/loadavg >/dev/null && echo proc-ok'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(grep MemTotal /proc/meminfo)" ]
	[ "${lines[1]}" = "$(nproc)" ]
	[[ "${lines[2]}" == *"No such file"* ]]
	[ "${lines[3]}" = free-ok ]
	[ "${lines[4]}" = top-ok ]
	[ "${lines[5]}" = proc-ok ]
	[ -z "$stderr" ] # not a terminal, no limit asked: no note
	assert_nothing_left
}

@test "run notes once on stderr, when a limit was asked for, that the figures are the host's" {
	run --separate-stderr rv --memory 64M -- echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[[ "$stderr" == "rvisorctl: note: sandbox "*" $NOTE" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run --separate-stderr rv --cpus 1 -- true
	[[ "$stderr" == *"$NOTE" && "${#stderr_lines[@]}" -eq 1 ]]
	run --separate-stderr rv --cpuset-cpus 0 -- true
	[[ "$stderr" == *"$NOTE" && "${#stderr_lines[@]}" -eq 1 ]]
	# --json on stdout stays JSON only
	run --separate-stderr rv --json --cpus 1 -- true
	[ "$(jq -rs '.[0].state' <<<"$output")" = started ]
	[[ "$stderr" == *"$NOTE" ]]
	# a start that fails says only why
	run --separate-stderr rv --memory 1G -- true
	[ "$status" -eq 125 ]
	[[ "$stderr" != *note:* ]]
}

@test "run notes it on a terminal, and never more than once" {
	command -v script >/dev/null || skip "script (util-linux) not installed"
	run script -qec "'$RVISORCTL' run --image '$IMAGE' -- echo on-a-tty" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"$NOTE"* ]]
	[[ "$output" == *on-a-tty* ]]
	[ "$(grep -c "$NOTE" <<<"$output")" -eq 1 ]
}

@test "without the module the daemon never mounts rvisorfs: nothing of it on the host" {
	run rv --cpus 1 -- true
	[ "$status" -eq 0 ]
	[ -z "$(grep rvisorfs /proc/self/mountinfo)" ]
	assert_nothing_left
}
