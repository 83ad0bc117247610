#!/usr/bin/env bats
# CPU limits end to end on the build host (the seccomp platform): rvisorctl run --cpus and
# --cpuset-cpus, the policy keys cpus and cpuset, rvisord's checks (Run's cpus_milli and
# cpuset), what stats and GetPolicy show, and nothing left behind by a refused start. The
# cgroup writes themselves are unit tests (tests/unit/test-container.c); with a cgroup and
# rvisor.ko, tests/vm/views.bats.
bats_require_minimum_version 1.5.0

load lib
load daemon

setup_file() {
	daemon_file_setup
	printf '[sandbox]\ncpus = 0.5\ncpuset = 0\n[syscalls]\ndefault = pass\n[compat]\nungated = yes\n' \
		>"$POLICIES/half.conf"
	# CPUs no host has: the policy cannot be honoured here
	printf '[sandbox]\ncpuset = 1000-1001\n[syscalls]\ndefault = pass\n[compat]\nungated = yes\n' \
		>"$POLICIES/faraway.conf"
	export NCPU=$(nproc --all)
}

teardown_file() {
	daemon_file_teardown
}

# vl JSON: one raw call to the private daemon, its answer on stdout.
vl() {
	printf '%s\0' "$1" | "$ROOT/build/tools/varlink-raw" "$RVISOR_SOCKET"
}

run_params() {
	echo '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'",'"$1"'}}'
}

@test "--cpus and --cpuset-cpus within what the host has: the sandbox runs" {
	run --separate-stderr rv --cpus 1 -- echo one
	[ "$status" -eq 0 ]
	[ "$output" = one ]
	run --separate-stderr rv --cpus 0.01 --cpuset-cpus 0 -- echo small
	[ "$status" -eq 0 ]
	[ "$output" = small ]
	run rv --cpus "$NCPU" --cpuset-cpus "0-$((NCPU - 1))" -- true
	[ "$status" -eq 0 ]
	run rv --cpus .5 -- true
	[ "$status" -eq 0 ]
	assert_nothing_left
}

@test "--cpus: bad syntax is a usage error (125) that says what to give" {
	for bad in abc 1.2345 -1 '' 1e2 0x1 '1 ' 1,5 1.; do
		run rv --cpus "$bad" -- true
		echo "--cpus '$bad': $output"
		[ "$status" -eq 125 ]
		[[ "$output" == *"Invalid --cpus '$bad': give a number of CPUs with at most three decimals (1.5)"* ]]
		[[ "$output" == *"Try 'rvisorctl run --help'."* ]]
	done
	assert_nothing_left
}

@test "--cpus out of range: from 0.01 to the CPUs online, docker's words" {
	for bad in 0 0.001 0.009 "$((NCPU + 1))" "$NCPU.001" 99999; do
		run rv --cpus "$bad" -- true
		echo "--cpus '$bad': $output"
		[ "$status" -eq 125 ]
		[[ "$output" == *"--cpus '$bad' is out of range: the range of CPUs is from 0.01 to $NCPU, as there are only $NCPU CPUs online"* ]]
	done
}

@test "--cpuset-cpus: bad syntax is a usage error; CPUs the host lacks are rvisord's clear error" {
	for bad in x 3-1 '' 0, ,0 0,,1 '0 1' 0-; do
		run rv --cpuset-cpus "$bad" -- true
		echo "--cpuset-cpus '$bad': $output"
		[ "$status" -eq 125 ]
		[[ "$output" == *"Invalid --cpuset-cpus '$bad': give CPU numbers and ranges such as 0-2,4"* ]]
	done
	run rv --cpuset-cpus 1024 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Invalid --cpuset-cpus '1024': CPU numbers go up to 1023"* ]]
	run rv --cpuset-cpus "0,$NCPU" -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"--cpuset-cpus 0,$NCPU names CPUs that rvisord's sandboxes cannot use here, which may use CPUs 0"* ]]
	[[ "$output" == *"only: ask for some of those"* ]]
	assert_nothing_left
}

@test "a policy's cpus and cpuset bound --cpus and --cpuset-cpus (LimitAbovePolicy)" {
	run rv --policy half --cpus 1 -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"--cpus is more than policy 'half' allows (cpus 0.5): ask for at most that, or use a policy that allows more (--policy)"* ]]
	# stdout alone: rvisorctl's note on stderr races with the program's output.
	run --separate-stderr rv --policy half --cpus 0.25 --cpuset-cpus 0 -- echo fits
	[ "$status" -eq 0 ]
	[ "$output" = fits ]
	if [ "$NCPU" -ge 2 ]; then
		run rv --policy half --cpuset-cpus 0-1 -- true
		echo "$output"
		[ "$status" -eq 125 ]
		[[ "$output" == *"--cpuset-cpus is more than policy 'half' allows (cpuset 0): ask for at most that"* ]]
	fi
	run vl "$(run_params '"policy":"half","cpus_milli":600')"
	[[ "$output" == *io.rvisor.Manager.LimitAbovePolicy* && "$output" == *'"parameter":"cpus_milli"'* && "$output" == *'"limit":500'* ]]
	run vl "$(run_params '"policy":"half","cpuset":"0-1"')"
	if [ "$NCPU" -ge 2 ]; then
		[[ "$output" == *io.rvisor.Manager.LimitAbovePolicy* && "$output" == *'"cpuset":"0"'* ]]
	fi
	assert_nothing_left
}

@test "a policy whose cpuset names CPUs this host lacks: CpusetUnavailable names the policy" {
	run rv --policy faraway -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"policy 'faraway' names CPUs (cpuset 1000-1001) that rvisord's sandboxes cannot use here"* ]]
	[[ "$output" == *"fix the policy's cpuset, or use another policy (--policy)"* ]]
	assert_nothing_left
}

@test "Run's cpus_milli and cpuset are checked by rvisord too, whatever the client" {
	run vl "$(run_params '"cpus_milli":5')"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpus_milli"'* ]]
	run vl "$(run_params '"cpus_milli":-1000')"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpus_milli"'* ]]
	run vl "$(run_params '"cpus_milli":'"$(((NCPU + 1) * 1000))")"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpus_milli"'* ]]
	run vl "$(run_params '"cpus_milli":"1"')"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpus_milli"'* ]]
	run vl "$(run_params '"cpuset":"x"')"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpuset"'* ]]
	run vl "$(run_params '"cpuset":""')"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpuset"'* ]]
	run vl "$(run_params '"cpuset":"0-1\n"')"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"cpuset"'* ]]
	run vl "$(run_params '"cpuset":"1000"')"
	[[ "$output" == *io.rvisor.Manager.CpusetUnavailable* && "$output" == *'"cpuset":"1000"'* ]]
	[[ "$output" == *'"available":"0'* ]]
	assert_nothing_left
}

@test "stats shows the CPU limit and the CPUs; GetPolicy and policy show the keys" {
	"$RVISORCTL" run --name cpuboxed --cpus 1.5 --cpuset-cpus 0 --image "$IMAGE" -- sleep 100 2>/dev/null &
	client=$!
	for _ in $(seq 100); do "$RVISORCTL" ps --json | jq -e '.sandboxes | length == 1' >/dev/null && break; sleep 0.05; done
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].id')
	run "$RVISORCTL" stats "$id" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .cpus_milli <<<"$output")" = 1500 ]
	[ "$(jq -r .cpuset <<<"$output")" = 0 ]
	run "$RVISORCTL" stats "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\ncpu:       '*"(limit 1.5 CPUs)"* ]]
	[[ "$output" == *$'\ncpuset:    0\n'* ]]
	"$RVISORCTL" kill "$id" KILL
	wait "$client" || true

	run "$RVISORCTL" policy show half --json
	[ "$status" -eq 0 ]
	[ "$(jq -c .policy.sandbox.cpus <<<"$output")" = 0.5 ]
	[ "$(jq -r .policy.sandbox.cpuset <<<"$output")" = 0 ]
	run "$RVISORCTL" policy show half
	[[ "$output" == *$'\n  cpus: 0.5\n'* && "$output" == *$'\n  cpuset: 0\n'* ]]
	run "$RVISORCTL" policy show default --json
	[ "$(jq -r .policy.sandbox.cpus <<<"$output")" = max ]
	[ "$(jq -r '.policy.sandbox | has("cpuset")' <<<"$output")" = false ]
}

@test "policy check: bad cpus and cpuset keys are refused with file:line" {
	printf '[sandbox]\ncpus = 1.2345\n' >"$BATS_TEST_TMPDIR/p1.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/p1.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p1.conf:2: cpus = '1.2345': expected a number of CPUs with at most three decimals (1.5) or max"* ]]
	printf '[sandbox]\n\ncpus = 0\n' >"$BATS_TEST_TMPDIR/p2.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/p2.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p2.conf:3: cpus = '0' is out of range: from 0.01 to 1024 CPUs"* ]]
	printf '[sandbox]\ncpuset = 2-1\n' >"$BATS_TEST_TMPDIR/p3.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/p3.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p3.conf:2: cpuset = '2-1': expected a list of CPUs such as 0-3,8"* ]]
	printf '[sandbox]\ncpus = max\ncpuset = 0-1,3\n' >"$BATS_TEST_TMPDIR/ok.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/ok.conf"
	[ "$status" -eq 0 ]
	# a broken policy never starts a sandbox
	printf '[sandbox]\ncpuset = 0-\n' >"$POLICIES/badcpus.conf"
	run rv --policy badcpus -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"badcpus.conf:2: cpuset = '0-'"* ]]
	assert_nothing_left
}

@test "--pids-limit: the sandbox's pids.max, at most the policy's pids; bad input is a usage error" {
	"$RVISORCTL" run --name pidboxed --pids-limit 7 --image "$IMAGE" -- sleep 100 2>/dev/null &
	client=$!
	for _ in $(seq 100); do "$RVISORCTL" ps --json | jq -e '.sandboxes | length == 1' >/dev/null && break; sleep 0.05; done
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].id')
	run "$RVISORCTL" stats "$id" --json
	[ "$(jq -r .pids_max <<<"$output")" = 7 ]
	"$RVISORCTL" kill "$id" KILL
	wait "$client" || true
	run "$RVISORCTL" run --pids-limit 2000 --image "$IMAGE" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--pids-limit is more than policy 'default' allows (pids 1024)"* ]]
	run "$RVISORCTL" run --pids-limit -1 --image "$IMAGE" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--pids-limit is more than policy 'default' allows (pids 1024)"* ]]
	for bad in abc -5 1.5 ""; do
		run "$RVISORCTL" run --pids-limit "$bad" --image "$IMAGE" -- true
		[ "$status" -eq 125 ]
		[[ "$output" == *"Invalid --pids-limit '$bad'"* ]]
	done
	# rvisord checks it too, whatever the client
	for bad in 0 -2 '"5"'; do
		run vl "$(run_params '"pids":'"$bad")"
		[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"pids"'* ]]
	done
	run vl "$(run_params '"pids":1025')"
	[[ "$output" == *LimitAbovePolicy* && "$output" == *'"limit":1024'* ]]
	assert_nothing_left
}
