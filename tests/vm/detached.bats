#!/usr/bin/env bats
# Detached sandboxes with the real kernel layer and cgroups (docs/detached.md): run -d, logs,
# wait, stop, rm under rvisor.ko's gate, nothing left behind (kernel sandboxes included), and
# a restart of rvisord with a descriptor store (tests/helpers/fdstore-run standing in for
# systemd): the sandbox frozen meanwhile, taken over with its limits, gate and output.
bats_require_minimum_version 1.5.0

load lib

CONF=/tmp/detached-rvisord.conf

setup_file() {
	daemon_suite_setup /tmp/busybox-image
	printf '[rvisord]\nlog_size = 16K\n' >"$CONF"
	start_rvisord detached --config "$CONF"
}

teardown_file() {
	[ -z "$(cat /tmp/detached-fs.pid 2>/dev/null)" ] || kill -TERM "$(pgrep -x fdstore-run)" 2>/dev/null
	stop_rvisord detached
	unload_module
}

teardown() {
	local id
	for id in $(rvisorctl ps -a --json 2>/dev/null | jq -r '.sandboxes[].id'); do
		rvisorctl rm -f "$id" >/dev/null 2>&1 || true
	done
	return 0
}

# detach NAME [RUN OPTIONS...] -- COMMAND...: its id in $ID.
detach() {
	local name=$1
	shift
	ID=$(rvisorctl run -d --name "$name" --image "$IMAGE" "$@") || return 1
	[[ "$ID" =~ ^[0-9]+$ ]]
}

state_of() {
	rvisorctl ps -a --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .state"
}

init_of() {
	rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .pid"
}

@test "run -d through the kernel layer: logs -f apart, the gate's refusal, wait, rm; nothing left" {
	detach gated -- sh -c 'echo out; echo err >&2; mount -t tmpfs x /mnt 2>/dev/null || echo refused; sleep 1; exit 3'
	[ "$(rvisorctl inspect gated | jq -c '.[0].sandbox | [.platform, .layers, .detached]')" = '["kernel",["kernel","seccomp"],true]' ]
	[ -d "/sys/fs/cgroup/rvisor/sandbox-$ID" ]
	run --separate-stderr timeout 30 rvisorctl logs -f gated
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out\nrefused')" ]
	[ "$stderr" = err ]
	[ "$(rvisorctl wait gated)" = 3 ]
	# Exited: its cgroup and kernel sandbox are gone already; its output and record stay.
	[ ! -d "/sys/fs/cgroup/rvisor/sandbox-$ID" ]
	[ -e "/run/rvisor/sandboxes/.detached/$ID.log" ]
	[ "$(rvisorctl stats gated --json | jq -r .sandbox.state)" = exited ]
	rvisorctl rm gated
	daemon_nothing_left
}

@test "stop: SIGTERM, SIGKILL after -t; rm -f of a running one: no process, cgroup, state, kernel sandbox" {
	detach stubborn --memory 64M -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
	for _ in $(seq 100); do [ "$(rvisorctl logs stubborn)" = ready ] && break; sleep 0.05; done
	[ "$(cat "/sys/fs/cgroup/rvisor/sandbox-$ID/memory.max")" = 67108864 ]
	run rvisorctl stop -t 1 stubborn
	[ "$status" -eq 0 ]
	[ "$(rvisorctl wait stubborn)" = 137 ]
	detach doomed -- sleep 60
	init=$(init_of doomed)
	run rvisorctl rm doomed
	[ "$status" -eq 1 ]
	run rvisorctl rm -f doomed
	[ "$output" = doomed ]
	! kill -0 "$init" 2>/dev/null
	rvisorctl rm stubborn
	daemon_nothing_left
}

@test "the output is bounded by log_size under the kernel layer too" {
	detach chatty -- sh -c 'i=0; while [ $i -lt 5000 ]; do echo "line $i ......................."; i=$((i + 1)); done'
	[ "$(rvisorctl wait chatty)" = 0 ]
	[ "$(stat -c %s "/run/rvisor/sandboxes/.detached/$ID.log")" -le 16384 ]
	[ "$(stat -c %s "/run/rvisor/sandboxes/.detached/$ID.log.1")" -le 16384 ]
	[ "$(rvisorctl logs chatty | tail -1)" = "line 4999 ......................." ]
	rvisorctl rm chatty
	daemon_nothing_left
}

@test "an rvisord stopped by hand ends its detached sandboxes: nothing left behind" {
	detach left -- sleep 60
	init=$(init_of left)
	stop_rvisord detached
	! kill -0 "$init" 2>/dev/null
	[ -z "$(ls -A /run/rvisor/sandboxes 2>/dev/null | grep -vx .containers)" ]
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -name 'sandbox-*' -type d)" ]
	[ "$(cat /sys/module/rvisor/refcnt)" = 0 ]
	start_rvisord detached --config "$CONF"
	[ -z "$(rvisorctl ps -a --json | jq -r '.sandboxes[]')" ]
	daemon_nothing_left
}

# The daemon fdstore-run runs, once its socket answers.
fs_daemon() {
	local pid
	for _ in $(seq 200); do
		pid=$(cat /tmp/detached-fs.pid 2>/dev/null)
		[ -n "$pid" ] && rvisorctl ps >/dev/null 2>&1 && { echo "$pid"; return 0; }
		sleep 0.05
	done
	false
}

@test "with a descriptor store, a detached sandbox outlives rvisord: frozen meanwhile, taken over with limits and gate" {
	stop_rvisord detached
	fdstore-run /tmp/detached-fs.pid rvisord --config "$CONF" >/tmp/detached-fs.log 2>&1 3>&- &
	fs=$!
	fs_daemon
	detach kept --memory 64M -- sh -c 'echo start; while :; do sleep 0.2; done'
	cg=/sys/fs/cgroup/rvisor/sandbox-$ID
	init=$(init_of kept)
	kill -USR1 "$fs"
	for _ in $(seq 200); do [ -z "$(cat /tmp/detached-fs.pid)" ] && break; sleep 0.05; done
	[ -z "$(cat /tmp/detached-fs.pid)" ]
	grep -q "Leaving 1 detached sandboxes" /tmp/detached-fs.log
	# Away: it runs on, frozen, without limits (the controllers released for the next one).
	kill -0 "$init"
	[ "$(cat "$cg/cgroup.freeze")" = 1 ]
	for _ in $(seq 100); do grep -qx 'frozen 1' "$cg/cgroup.events" && break; sleep 0.05; done
	grep -qx 'frozen 1' "$cg/cgroup.events"
	[ -z "$(cat /sys/fs/cgroup/rvisor/cgroup.subtree_control)" ]
	kill -USR2 "$fs"
	fs_daemon
	grep -q "took over running detached sandbox $ID (kept)" /tmp/detached-fs.log
	[ "$(init_of kept)" = "$init" ]
	[ "$(cat "$cg/cgroup.freeze")" = 0 ]
	[ "$(cat "$cg/memory.max")" = 67108864 ]
	# The gate is still its: the kernel sandbox outlived the first rvisord.
	[ "$(rvisorctl stats kept --json | jq -r '[.syscalls[] | select(.name == "execve") | .passed] | add')" -ge 1 ]
	[ "$(rvisorctl logs kept)" = start ]
	rvisorctl stop -t 1 kept
	[ "$(rvisorctl wait kept)" = 143 ]
	rvisorctl rm kept
	kill -TERM "$fs"
	wait "$fs"
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -name 'sandbox-*' -type d)" ]
	[ "$(cat /sys/module/rvisor/refcnt)" = 0 ]
	! grep -qE 'runtime error|WARNING' /tmp/detached-fs.log
	start_rvisord detached --config "$CONF"
	daemon_nothing_left
}
