#!/usr/bin/env bats
# The layers that enforce a sandbox's syscall policy (docs/security.md, "The syscall policy,
# twice") as the build host sees them: no rvisor.ko here, so every sandbox gets the policy's
# seccomp filter alone, says so (status, ps, stats, the daemon's log), and a policy that asks
# for the gate alone is refused. The three combinations with the module: tests/vm/layers.bats.
bats_require_minimum_version 1.5.0

load lib
load daemon

setup_file() {
	daemon_file_setup
	sed 's/^layers *=.*/layers = kernel/' "$POLICIES/default.conf" >"$POLICIES/gateonly.conf"
	sed 's/^layers *=.*/layers = seccomp/' "$POLICIES/default.conf" >"$POLICIES/filteronly.conf"
	grep -q '^layers = kernel$' "$POLICIES/gateonly.conf"
	grep -q '^layers = seccomp$' "$POLICIES/filteronly.conf"
}

teardown_file() {
	daemon_file_teardown
}

@test "status: without the module new sandboxes get the seccomp layer only" {
	run "$RVISORCTL" status --json
	[ "$(jq -c .layers <<<"$output")" = '["seccomp"]' ]
	[ "$(jq -c .daemon.layers <<<"$output")" = '["seccomp"]' ]
	[ "$(jq -r .platform <<<"$output")" = seccomp ]
	run "$RVISORCTL" status
	[[ "$output" == *"platform seccomp (layers seccomp),"* ]]
}

@test "a sandbox of the default policy (layers = both): the filter alone, three programs in the workload" {
	run rv -- sh -c 'grep -E "^Seccomp(_filters)?:" /proc/self/status; mount -t tmpfs x /mnt 2>&1; echo rc=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *$'Seccomp:\t2'* ]]
	[[ "$output" == *$'Seccomp_filters:\t3'* ]] # the ioctl, argument and main filters
	[[ "$output" == *"permission denied"* ]]
	[[ "$output" == *rc=1* || "$output" == *rc=255* ]]
	grep -q 'started for uid 0: .*policy default, platform seccomp, layers seccomp' "$D/rvisord.log"
}

@test "ps and stats show the layers; stats says the filter keeps no counts" {
	"$RVISORCTL" run --name layered --image "$IMAGE" -- sleep 100 &
	client=$!
	for _ in $(seq 100); do "$RVISORCTL" ps --json | jq -e '.sandboxes | length == 1' >/dev/null && break; sleep 0.05; done
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].id')
	[ "$("$RVISORCTL" ps --json | jq -c '.sandboxes[0].layers')" = '["seccomp"]' ]
	run "$RVISORCTL" stats "$id" --json
	[ "$(jq -c .sandbox.layers <<<"$output")" = '["seccomp"]' ]
	[ "$(jq -r .denied <<<"$output")" = 0 ]
	run "$RVISORCTL" stats "$id"
	[[ "$output" == *"layers:    seccomp"* ]]
	[[ "$output" == *"syscalls:  not counted"* ]]
	[[ "$output" != *SYSCALL* ]] # no table of counters
	"$RVISORCTL" kill "$id" KILL
	wait "$client" || true
}

@test "layers = seccomp runs as the default does; layers = kernel is refused without the module" {
	run rv --policy filteronly -- sh -c 'mount -t tmpfs x /mnt 2>&1; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"permission denied"* ]]
	run rv --policy gateonly -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"layers = kernel"* ]]
	[[ "$output" == *"rvisor.ko is not loaded"* ]]
	assert_nothing_left
}

@test "the layers key: its values are checked with file and line, and it shows in policy show" {
	printf '[sandbox]\nlayers = gate\n' >"$POLICIES/badlayers.conf"
	run "$RVISORCTL" policy check "$POLICIES/badlayers.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"badlayers.conf:2: layers = 'gate': expected both, kernel or seccomp"* ]]
	printf '[sandbox]\nkernel_layer = required\nmemory = 64M\nlayers = seccomp\n' >"$POLICIES/contra.conf"
	run rv --policy contra -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"contra.conf:4: layers = seccomp turns rvisor.ko's gate off, but kernel_layer = required (line 2)"* ]]
	run "$RVISORCTL" policy show default --json
	[ "$(jq -r .policy.sandbox.layers <<<"$output")" = both ]
	run "$RVISORCTL" policy show gateonly --json
	[ "$(jq -r .policy.sandbox.layers <<<"$output")" = kernel ]
}

@test "Run's started reply names the layers" {
	run "$RVISORCTL" run --json --image "$IMAGE" -- true
	[ "$status" -eq 0 ]
	[ "$(head -n 1 <<<"$output" | jq -c .layers)" = '["seccomp"]' ]
}
