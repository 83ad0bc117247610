#!/usr/bin/env bats
# Detached sandboxes on the build host (seccomp platform, a private rvisord without a descriptor
# store): run -d, logs, attach, wait, stop, rm, inspect, ps -a, names for every verb, other
# users kept out, bad input, the log's bound, and that nothing outlives them: not after rm -f,
# not after rvisord stops, and a crashed rvisord's leftovers go with the next one.
bats_require_minimum_version 1.5.0

load lib
load daemon
load members

GROUP=rvisor-dtest
U=rvtest-d

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "creates a user and runs rvisord: needs root"
	members_add "$GROUP" "$U"
	members_daemon_start detached "socket_group = $GROUP" "log_size = 16K"
	export VR=$ROOT/build/tools/varlink-raw
}

teardown_file() {
	stop_daemon
	grep -E 'ERROR|AddressSanitizer|runtime error' "$D/rvisord.log" && return 1
	rm -rf "$RVISOR_TEST_DIR"
	members_remove "$GROUP" "$U"
}

teardown() {
	# Whatever a test left, removed: each test starts with no sandbox.
	local id
	for id in $("$RVISORCTL" ps -a --json 2>/dev/null | jq -r '.sandboxes[].id'); do
		"$RVISORCTL" rm -f "$id" >/dev/null 2>&1 || true
	done
	return 0
}

# detach NAME [RUN OPTIONS...] -- COMMAND...: a detached sandbox of that name; its id in $ID.
detach() {
	local name=$1
	shift
	ID=$("$RVISORCTL" run -d --name "$name" --image "$IMAGE" "$@") || return 1
	[[ "$ID" =~ ^[0-9]+$ ]]
}

# state_of NAME: running, exited, or nothing when there is no such sandbox.
state_of() {
	"$RVISORCTL" ps -a --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .state"
}

# wait_exited NAME: until it has exited (5 s at most).
wait_exited() {
	for _ in $(seq 100); do [ "$(state_of "$1")" = exited ] && return 0; sleep 0.05; done
	state_of "$1"
	false
}

# init_of NAME: the host pid of its init.
init_of() {
	"$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .pid"
}

# Nothing of any sandbox is left: state directories, output, records, mounts.
nothing_left() {
	for _ in $(seq 100); do [ -z "$(ls -A "$D/state" 2>/dev/null)" ] && break; sleep 0.05; done
	assert_nothing_left
}

# call JSON [--fd SPEC]...: one varlink call with varlink-raw, its replies in $output.
call() {
	local json=$1
	shift
	run bash -c 'printf "%s\0" "$1" | "$VR" "${@:2}" "$RVISOR_SOCKET"' _ "$json" "$@"
}

@test "run -d prints the id and returns while the program runs; ps lists it, running, detached" {
	start=$SECONDS
	detach sleeper -- sleep 60
	[ $((SECONDS - start)) -lt 10 ]
	run "$RVISORCTL" ps
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^\ *$ID\ +sleeper\ .*\ running\ +sleep\ 60$ ]]
	[ "$("$RVISORCTL" ps --json | jq -r '.sandboxes[0] | "\(.id) \(.state) \(.detached)"')" = "$ID running true" ]
	kill -0 "$(init_of sleeper)"
	# --json: the started reply instead of the id.
	run "$RVISORCTL" run -d --json --name j --image "$IMAGE" -- true
	[ "$status" -eq 0 ]
	[ "$(jq -r .state <<<"$output")" = started ]
}

@test "logs: stdout to stdout, stderr to stderr, apart; without -f what is there now" {
	detach talker -- sh -c 'echo out1; echo err1 >&2; echo out2; sleep 60'
	for _ in $(seq 100); do
		[ "$("$RVISORCTL" logs talker 2>/dev/null | wc -l)" -eq 2 ] && break
		sleep 0.05
	done
	run --separate-stderr "$RVISORCTL" logs talker
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out1\nout2')" ]
	[ "$stderr" = err1 ]
	run --separate-stderr "$RVISORCTL" logs "$ID"
	[ "$output" = "$(printf 'out1\nout2')" ]
}

@test "logs -f: follows until the program exits, then ends with everything" {
	detach follower -- sh -c 'echo first; sleep 1; echo second >&2; sleep 1; echo third; exit 4'
	start=$SECONDS
	run --separate-stderr timeout 20 "$RVISORCTL" logs -f follower
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'first\nthird')" ]
	[ "$stderr" = second ]
	[ $((SECONDS - start)) -ge 1 ]
	[ "$(state_of follower)" = exited ]
	# After the end, logs -f of an exited one returns at once with the same.
	run --separate-stderr timeout 10 "$RVISORCTL" logs -f follower
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'first\nthird')" ]
}

@test "wait: prints the exit code and exits 0; 128+N for a signal; 127 for a missing command" {
	detach w3 -- sh -c 'sleep 1; exit 3'
	run "$RVISORCTL" wait w3
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	detach wk -- sh -c 'kill -KILL $$'
	detach wn -- /no/such/command
	run "$RVISORCTL" wait wk wn "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '137\n127\n127')" ]
	# Of a sandbox that is not detached too, while it runs.
	rv --name attached -- sleep 2 3>&- &
	for _ in $(seq 100); do [ "$(state_of attached)" = running ] && break; sleep 0.05; done
	run "$RVISORCTL" wait attached
	[ "$output" = 0 ]
	wait
}

@test "stop: SIGTERM is honoured at once; a program ignoring it is killed after -t" {
	detach polite -- sh -c 'trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'
	sleep 0.5
	start=$SECONDS
	run "$RVISORCTL" stop polite
	[ "$status" -eq 0 ]
	[ "$output" = polite ]
	[ $((SECONDS - start)) -lt 5 ]
	[ "$("$RVISORCTL" wait polite)" = 7 ]
	[ "$("$RVISORCTL" logs polite)" = "got TERM" ]
	detach stubborn -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
	for _ in $(seq 100); do [ "$("$RVISORCTL" logs stubborn)" = ready ] && break; sleep 0.05; done
	start=$(date +%s%N)
	run "$RVISORCTL" stop -t 1 "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$ID" ]
	[ $((($(date +%s%N) - start) / 1000000)) -ge 900 ]
	[ "$("$RVISORCTL" wait stubborn)" = 137 ]
	# Stopping a stopped one is fine, as docker's; -t 0 is SIGKILL at once.
	run "$RVISORCTL" stop --timeout 0 stubborn
	[ "$status" -eq 0 ]
	detach instant -- sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	start=$SECONDS
	run "$RVISORCTL" stop --time 0 instant
	[ $((SECONDS - start)) -lt 3 ]
	[ "$("$RVISORCTL" wait instant)" = 137 ]
}

@test "rm: refused while it runs; -f kills it and leaves nothing: process, state, output, record" {
	detach doomed -- sh -c 'echo hi; sleep 60'
	init=$(init_of doomed)
	kill -0 "$init"
	ls "$D/state/.detached/$ID.log" "$D/state/.detached/$ID.json"
	run "$RVISORCTL" rm doomed
	[ "$status" -eq 1 ]
	[ "$output" = "rvisorctl: sandbox $ID is running: stop it first ('rvisorctl stop'), or remove it by force ('rvisorctl rm -f')" ]
	kill -0 "$init"
	run "$RVISORCTL" rm -f doomed
	[ "$status" -eq 0 ]
	[ "$output" = doomed ]
	! kill -0 "$init" 2>/dev/null
	[ -z "$(state_of doomed)" ]
	nothing_left
	# An exited one goes without -f; its name is free again.
	detach done -- true
	wait_exited done
	run "$RVISORCTL" rm "$ID"
	[ "$status" -eq 0 ]
	nothing_left
	detach done -- true
}

@test "ps -a lists exited detached sandboxes with their status; ps and ps --json do not" {
	detach runner -- sleep 60
	detach ended -- sh -c 'exit 5'
	detach killed -- sh -c 'kill -TERM $$'
	wait_exited ended
	wait_exited killed
	run "$RVISORCTL" ps
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *runner* ]]
	[ "$("$RVISORCTL" ps --json | jq -r '[.sandboxes[].name] | join(" ")')" = runner ]
	run "$RVISORCTL" ps -a
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" =~ ended\ .*\ -\ .*exited\ \(5\)\ +sh ]]
	[[ "$output" =~ killed\ .*killed\ \(SIGTERM\)\ +sh ]]
	[ "$("$RVISORCTL" ps --all --json | jq -r '[.sandboxes[] | "\(.name)=\(.state)"] | join(" ")')" = \
		"runner=running ended=exited killed=exited" ]
	# An exited sandbox cannot be signalled or attached to.
	run "$RVISORCTL" kill ended
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running: it has exited"* ]]
	run "$RVISORCTL" attach ended
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not running"* ]]
}

@test "inspect: one JSON array with state and exit status, by id and name; a missing one exits 1" {
	detach insp -- sh -c 'exit 6'
	wait_exited insp
	detach insp2 -- sleep 60
	run --separate-stderr "$RVISORCTL" inspect insp "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'length' <<<"$output")" = 2 ]
	[ "$(jq -r '.[0].sandbox | "\(.state) \(.detached) \(.exit_code) \(.finished_usec > .started_usec)"' <<<"$output")" = \
		"exited true 6 true" ]
	[ "$(jq -r '.[1].sandbox | "\(.state) \(.name) \(.exit_code)"' <<<"$output")" = "running insp2 null" ]
	run --separate-stderr "$RVISORCTL" inspect insp nosuch
	[ "$status" -eq 1 ]
	[ "$(jq -r '.[].sandbox.name' <<<"$output")" = insp ]
	[ "$stderr" = "rvisorctl: no sandbox named 'nosuch': see 'rvisorctl ps'" ]
}

@test "attach: output from now on, stdin to a -i sandbox, ends with its exit code" {
	detach cat -i -- sh -c 'echo before; while read l; do echo "got $l"; [ "$l" = quit ] && exit 9; done'
	for _ in $(seq 100); do [ "$("$RVISORCTL" logs cat)" = before ] && break; sleep 0.05; done
	run timeout 20 bash -c "(echo one; sleep 0.5; echo quit; sleep 2) | '$RVISORCTL' attach cat"
	[ "$status" -eq 9 ]
	[ "$output" = "$(printf 'got one\ngot quit')" ]
	[ "$(state_of cat)" = exited ]
	# The end of the caller's stdin leaves the sandbox's open for the next one.
	detach cat2 -i -- sh -c 'while read l; do echo "got $l"; done; echo eof; exit 2'
	run timeout 10 bash -c "echo a | '$RVISORCTL' attach --sig-proxy=false cat2 & sleep 2; kill \$!"
	[ "$(state_of cat2)" = running ]
	[ "$("$RVISORCTL" logs cat2)" = "got a" ]
	# Without -i there is no stdin to pass: it reads /dev/null.
	detach noin -- sh -c 'cat; echo "stdin ended"; sleep 60'
	for _ in $(seq 100); do [ -n "$("$RVISORCTL" logs noin)" ] && break; sleep 0.05; done
	[ "$("$RVISORCTL" logs noin)" = "stdin ended" ]
}

@test "attach: the signals rvisorctl gets go to the sandbox; --sig-proxy=false leaves it running" {
	detach sig -- sh -c 'trap "echo got INT; exit 3" INT; echo ready; while :; do sleep 0.1; done'
	for _ in $(seq 100); do [ "$("$RVISORCTL" logs sig)" = ready ] && break; sleep 0.05; done
	"$RVISORCTL" attach sig >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	sleep 1
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 3 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "got INT" ]
	# (SIGTERM: a background job's SIGINT is ignored, and rvisorctl no longer blocks it)
	detach sig2 -- sleep 60
	"$RVISORCTL" attach --sig-proxy=false sig2 3>&- &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ "$(state_of sig2)" = running ]
}

@test "-t: the program's stdio is a terminal rvisord holds (docker's -dt, no -i needed)" {
	detach term -t -- sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo terminal; echo err >&2; sleep 60'
	for _ in $(seq 100); do [ -n "$("$RVISORCTL" logs term)" ] && break; sleep 0.05; done
	run --separate-stderr "$RVISORCTL" logs term
	# One stream, with the terminal's line endings.
	[ "$output" = "$(printf 'terminal\r\nerr\r')" ]
	[ -z "$stderr" ]
	[ "$("$RVISORCTL" inspect term | jq -r '.[0].sandbox | "\(.tty) \(.interactive)"')" = "true false" ]
}

@test "run -d --rm: removed when it exits, output and all" {
	detach gone --rm -- sh -c 'echo bye'
	for _ in $(seq 100); do [ -z "$(state_of gone)" ] && break; sleep 0.05; done
	[ -z "$(state_of gone)" ]
	nothing_left
}

@test "the log is bounded by log_size: a program writing far more keeps the last of it" {
	# 16K log_size (setup_file): about 1 MB written, at most 2 x 16K kept.
	detach chatty -- sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line $i ................................"; i=$((i + 1)); done'
	run "$RVISORCTL" wait chatty
	[ "$output" = 0 ]
	[ "$(stat -c %s "$D/state/.detached/$ID.log")" -le 16384 ]
	[ "$(stat -c %s "$D/state/.detached/$ID.log.1")" -le 16384 ]
	[ "$(stat -c %a:%U "$D/state/.detached/$ID.log")" = 600:root ]
	run "$RVISORCTL" logs chatty
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "line 19999 ................................" ]
	[ "${#output}" -le 32768 ]
	[ "${#output}" -gt 8192 ]
	[[ "$output" != *"line 100 "* ]]
}

@test "names work wherever ids do; another user's sandbox is invisible by id and by name" {
	detach private -- sleep 60
	id=$ID
	run as "$U" "$RVISORCTL" ps -a --json
	[ "$(jq '.sandboxes | length' <<<"$output")" = 0 ]
	for s in private "$id"; do
		for verb in logs wait inspect stop rm; do
			run as "$U" "$RVISORCTL" "$verb" "$s"
			[ "$status" -eq 1 ] || { echo "$verb $s: $status $output"; false; }
			[[ "$output" == *"no sandbox "* ]] || { echo "$verb $s: $output"; false; }
		done
		run as "$U" "$RVISORCTL" attach "$s"
		[ "$status" -eq 125 ]
		[[ "$output" == *"no sandbox "* ]]
		run as "$U" "$RVISORCTL" kill "$s"
		[ "$status" -eq 1 ]
	done
	[ "$(state_of private)" = running ]
	# The user's own, of the same name: its own verbs reach it, root's name stays root's.
	run as "$U" "$RVISORCTL" run -d --name private --image "$IMAGE" -- sh -c 'echo mine; exit 2'
	[ "$status" -eq 0 ]
	own=$output
	run as "$U" "$RVISORCTL" wait private
	[ "$output" = 2 ]
	[ "$(as "$U" "$RVISORCTL" logs private)" = mine ]
	run as "$U" "$RVISORCTL" rm private
	[ "$status" -eq 0 ]
	[ "$("$RVISORCTL" ps --json | jq -r '.sandboxes[] | select(.name == "private") | .id')" = "$id" ]
	[ "$own" != "$id" ]
}

@test "bad input: each verb's usage errors and rvisord's refusals, with docker's exit codes" {
	detach bad -- sleep 60
	for args in "logs" "logs a b" "logs x/y" "logs 0" "wait" "wait 1 x/y" "stop" "stop -t -1 bad" \
		"stop -t x bad" "stop --timeout 99999999999 bad" "rm" "rm -x bad" "inspect" "inspect 0" \
		"logs --tail 3 bad"; do
		# shellcheck disable=SC2086
		run "$RVISORCTL" $args
		[ "$status" -eq 2 ] || { echo "$args: $status"; false; }
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"Try 'rvisorctl ${args%% *} --help'." ]] || { echo "$args: $output"; false; }
	done
	for args in "attach" "attach a b" "attach --sig-proxy=maybe bad" "attach --nope bad"; do
		# shellcheck disable=SC2086
		run "$RVISORCTL" $args
		[ "$status" -eq 125 ] || { echo "$args: $status"; false; }
		[[ "$output" == *"Try 'rvisorctl attach --help'." ]]
	done
	run "$RVISORCTL" logs nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "rvisorctl: no sandbox named 'nosuch': see 'rvisorctl ps'" ]
	run "$RVISORCTL" wait 999
	[ "$status" -eq 1 ]
	[ "$output" = "rvisorctl: no sandbox with id 999: see 'rvisorctl ps'" ]
	# A sandbox that is not detached has no output of rvisord's.
	rv --name plain -- sleep 3 3>&- &
	for _ in $(seq 100); do [ "$(state_of plain)" = running ] && break; sleep 0.05; done
	run "$RVISORCTL" logs plain
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not detached"* ]]
	wait
	# run -d: -t without -i is fine, --rm without -d too; a bad option is still 125.
	run "$RVISORCTL" run -d --bogus --image "$IMAGE" true
	[ "$status" -eq 125 ]
	run "$RVISORCTL" run -d --name bad --image "$IMAGE" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"you have a sandbox named 'bad' already"* ]]
}

@test "bad input to the methods: ids, names, timeouts, descriptors, types" {
	detach m -- sleep 60
	# Neither or both of id and name, a bad name, a wrong type.
	for p in '{}' '{"id":'"$ID"',"name":"m"}' '{"name":"a/b"}' '{"id":0}' '{"id":"1"}' '{"id":-3}'; do
		call '{"method":"io.rvisor.Manager.Wait","parameters":'"$p"'}'
		[[ "$output" == *'"error":"org.varlink.service.InvalidParameter"'* ]] || { echo "$p: $output"; false; }
	done
	for t in -1 '"x"' 2147483648; do
		call '{"method":"io.rvisor.Manager.Stop","parameters":{"name":"m","timeout":'"$t"'}}'
		[[ "$output" == *'"error":"org.varlink.service.InvalidParameter"'* &&
			"$output" == *'{"parameter":"timeout"}'* ]] || { echo "$t: $output"; false; }
	done
	call '{"method":"io.rvisor.Manager.Remove","parameters":{"name":"m","force":"yes"}}'
	[[ "$output" == *'"parameter":"force"'* ]]
	call '{"method":"io.rvisor.Manager.Remove","parameters":{"name":"m"}}'
	[[ "$output" == *'"error":"io.rvisor.Manager.SandboxRunning"'* && "$output" == *'{"id":'"$ID"'}'* ]]
	# Logs: pipes only, one for each stream; follow needs more.
	call '{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m"}}'
	[[ "$output" == *'"error":"io.rvisor.Manager.BadFileDescriptor"'* && "$output" == *'"index":0'* ]]
	touch "$BATS_TEST_TMPDIR/file"
	call '{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m"}}' --fd "rw:$BATS_TEST_TMPDIR/file" --fd "rw:$BATS_TEST_TMPDIR/file"
	[[ "$output" == *'"index":0'* && "$output" == *'"reason":"not a pipe"'* ]]
	call '{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m"}}' --fd /dev/null --fd /dev/null
	[[ "$output" == *'"reason":"not a pipe"'* ]]
	run bash -c 'printf "%s\0" "$1" | "$VR" --fd fd:5 "$RVISOR_SOCKET" 5> >(cat >/dev/null)' _ \
		'{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m"}}'
	[[ "$output" == *'"index":1'* ]]
	run bash -c 'printf "%s\0" "$1" | "$VR" --fd fd:5 --fd fd:6 "$RVISOR_SOCKET" 5< <(sleep 5) 6> >(cat >/dev/null)' _ \
		'{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m"}}'
	[[ "$output" == *'"index":0'* && "$output" == *'"reason":"not open for writing"'* ]]
	run bash -c 'printf "%s\0" "$1" | "$VR" --fd fd:5 --fd fd:6 "$RVISOR_SOCKET" 5> >(cat >/dev/null) 6> >(cat >/dev/null)' _ \
		'{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m","follow":true}}'
	[[ "$output" == *'"error":"org.varlink.service.ExpectedMore"'* ]]
	call '{"method":"io.rvisor.Manager.Attach","parameters":{"name":"m"}}'
	[[ "$output" == *'ExpectedMore'* ]]
	call '{"method":"io.rvisor.Manager.Logs","parameters":{"name":"m","tail":3}}'
	[[ "$output" == *'"parameter":"tail"'* ]]
	# Run: detach without the image, or with the stdio of a plain Run.
	call '{"method":"io.rvisor.Manager.Run","parameters":{"image":"'"$IMAGE"'","argv":["true"],"detach":true}}'
	[[ "$output" == *'"error":"io.rvisor.Manager.BadFileDescriptor"'* && "$output" == *'"index":0'* ]]
	call '{"method":"io.rvisor.Manager.Run","parameters":{"image":"'"$IMAGE"'","argv":["true"],"detach":true}}' --fd /dev/null
	[[ "$output" == *'"error":"io.rvisor.Manager.ImageNotFound"'* ]]
	call '{"method":"io.rvisor.Manager.Run","parameters":{"image":"'"$IMAGE"'","argv":["true"],"detach":"yes"}}' --fd "dir:$IMAGE"
	[[ "$output" == *'"parameter":"detach"'* ]]
	# Detached, one reply, with or without more.
	call '{"method":"io.rvisor.Manager.Run","parameters":{"image":"'"$IMAGE"'","argv":["true"],"detach":true,"name":"raw"}}' --fd "dir:$IMAGE"
	[ "$(jq -r '"\(.parameters.state) \(.continues // false)"' <<<"${lines[0]}")" = "started false" ]
	[ "${lines[-1]}" = EOF ]
	[ -n "$(state_of raw)" ]
}

@test "an exited detached sandbox keeps its name and counts against the quota until rm" {
	detach keeper -- true
	wait_exited keeper
	run "$RVISORCTL" run -d --name keeper --image "$IMAGE" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"named 'keeper' already"* ]]
	"$RVISORCTL" rm keeper
	detach keeper -- true
	# A user's quota: one sandbox, exited or not, until it is removed.
	stop_daemon
	start_daemon "socket_group = $GROUP" "log_size = 16K" "max_sandboxes_per_user = 1"
	run as "$U" "$RVISORCTL" run -d --name q --image "$IMAGE" -- true
	[ "$status" -eq 0 ]
	run as "$U" "$RVISORCTL" wait q
	[ "$output" = 0 ]
	run as "$U" "$RVISORCTL" run -d --name q2 --image "$IMAGE" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"max_sandboxes_per_user"*"remove exited ones"* ]]
	as "$U" "$RVISORCTL" rm q
	run as "$U" "$RVISORCTL" run -d --name q2 --image "$IMAGE" -- true
	[ "$status" -eq 0 ]
	stop_daemon
	start_daemon "socket_group = $GROUP" "log_size = 16K"
}

@test "rvisord.conf log_size: sizes from 16K to 1G, anything else refused" {
	for bad in 1K 15K 2G abc -1 0 "1 M"; do
		printf '[rvisord]\nlog_size = %s\n' "$bad" >"$BATS_TEST_TMPDIR/c.conf"
		run "$RVISORD" --config "$BATS_TEST_TMPDIR/c.conf" --version
		run "$RVISORD" --config "$BATS_TEST_TMPDIR/c.conf"
		[ "$status" -eq 1 ] || { echo "$bad: $status"; false; }
		[[ "$output" == *"[rvisord] log_size=$bad: not a size from 16K to 1G"* ]] || { echo "$bad: $output"; false; }
	done
}

@test "a stopped rvisord leaves nothing of its detached sandboxes; a killed one's go with the next" {
	detach s1 -- sleep 60
	i1=$(init_of s1)
	detach s2 -- true
	wait_exited s2
	stop_daemon
	! kill -0 "$i1" 2>/dev/null
	assert_nothing_left
	[ ! -e "$D/state/.detached" ]
	start_daemon "socket_group = $GROUP" "log_size = 16K"
	[ -z "$("$RVISORCTL" ps -a --json | jq -r '.sandboxes[]')" ]

	# Killed, it cannot clean up: the sandboxes die with it (parent-death signal), their
	# records and output stay, and the next rvisord removes them.
	detach k1 -- sleep 60
	i1=$(init_of k1)
	detach k2 -- sh -c 'echo x; exit 1'
	wait_exited k2
	kill -KILL "$(cat "$D/rvisord.pid")"
	for _ in $(seq 100); do kill -0 "$i1" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$i1" 2>/dev/null
	[ -e "$D/state/.detached/$ID.json" ]
	[ -e "$D/state/.detached/$ID.log" ]
	start_daemon "socket_group = $GROUP" "log_size = 16K"
	grep -q "cannot be taken over (it was to end with that rvisord" "$D/rvisord.log"
	[ -z "$("$RVISORCTL" ps -a --json | jq -r '.sandboxes[]')" ]
	nothing_left
	[ ! -e "$D/state/.detached" ]
	# And the ids go on from where they were: a new one works.
	detach after -- sh -c 'echo fine'
	[ "$("$RVISORCTL" wait after)" = 0 ]
	[ "$("$RVISORCTL" logs after)" = fine ]
}

# With a descriptor store (tests/helpers/fdstore-run, standing in for systemd): the daemon's
# pid, once its socket answers.
fdstore_daemon_pid() {
	local pid
	for _ in $(seq 100); do
		pid=$(cat "$D/fs.pid" 2>/dev/null)
		[ -n "$pid" ] && "$RVISORCTL" ps >/dev/null 2>&1 && { echo "$pid"; return 0; }
		sleep 0.05
	done
	false
}

fdstore_daemon_gone() {
	for _ in $(seq 100); do [ -z "$(cat "$D/fs.pid" 2>/dev/null)" ] && return 0; sleep 0.05; done
	false
}

@test "with a descriptor store, detached sandboxes outlive rvisord: taken over with output, stdin and exit status" {
	stop_daemon
	RVISOR_DEVICE=/nonexistent/rvisor "$ROOT/build/tools/fdstore-run" "$D/fs.pid" \
		"$RVISORD" --config "$D/rvisord.conf" >"$D/fs.log" 2>&1 3>&- &
	FS=$!
	first=$(fdstore_daemon_pid)
	detach r1 -i -- sh -c 'echo start; while read l; do echo "got $l"; done; exit 4'
	r1=$ID
	init=$(init_of r1)
	detach r2 -- sh -c 'echo before; sleep 2; echo after; exit 5'
	detach e1 -- sh -c 'echo done; exit 6'
	"$RVISORCTL" wait e1
	grep -q "stored rvisor-$r1-pidfd" "$D/fs.log"

	# rvisord goes (as in a restart: SIGTERM to it alone); the sandboxes stay, and one exits
	# meanwhile.
	kill -USR1 "$FS"
	fdstore_daemon_gone
	grep -q "Leaving 3 detached sandboxes to the next rvisord" "$D/fs.log"
	kill -0 "$init"
	[ -e "$D/state/.detached/$r1.json" ]
	sleep 2.5
	kill -USR2 "$FS"
	second=$(fdstore_daemon_pid)
	[ "$second" != "$first" ]
	grep -q "Took over 3 detached sandboxes" "$D/fs.log"

	[ "$("$RVISORCTL" ps -a --json | jq -r '[.sandboxes[] | "\(.name)=\(.state):\(.exit_code)"] | join(" ")')" = \
		"r1=running:null r2=exited:5 e1=exited:6" ]
	[ "$(init_of r1)" = "$init" ]
	[ "$("$RVISORCTL" logs r2)" = "$(printf 'before\nafter')" ]
	[ "$("$RVISORCTL" logs e1)" = done ]
	# Its stdin and output go on through the descriptors the store kept.
	run timeout 5 bash -c "echo again | '$RVISORCTL' attach --sig-proxy=false r1"
	[ "$("$RVISORCTL" logs r1)" = "$(printf 'start\ngot again')" ]
	# And its end, though it is not this rvisord's child: the report its init writes.
	run "$RVISORCTL" stop -t 2 r1
	[ "$("$RVISORCTL" wait r1)" = 143 ]
	! kill -0 "$init" 2>/dev/null

	# A restart again (SIGHUP), then a stop that drops the store (systemctl stop): the next
	# rvisord cannot take over what it has no descriptors of, and ends it.
	detach r3 -- sleep 60
	init=$(init_of r3)
	kill -HUP "$FS"
	for _ in $(seq 100); do [ "$(cat "$D/fs.pid" 2>/dev/null)" != "$second" ] && break; sleep 0.05; done
	fdstore_daemon_pid
	[ "$(init_of r3)" = "$init" ]
	kill -TERM "$FS"
	wait "$FS"
	kill -0 "$init" # left running (frozen under systemd), without its descriptors now
	RVISOR_DEVICE=/nonexistent/rvisor "$ROOT/build/tools/fdstore-run" "$D/fs.pid" \
		"$RVISORD" --config "$D/rvisord.conf" >>"$D/fs.log" 2>&1 3>&- &
	FS=$!
	fdstore_daemon_pid
	grep -q "Detached sandbox $ID of an earlier rvisord cannot be taken over (the service manager did not keep its descriptors)" "$D/fs.log"
	for _ in $(seq 100); do kill -0 "$init" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$init" 2>/dev/null
	[ "$("$RVISORCTL" ps -a --json | jq -r '[.sandboxes[].name] | join(" ")')" = "r1 r2 e1" ]
	"$RVISORCTL" rm r1 r2 e1
	kill -TERM "$FS"
	wait "$FS"
	nothing_left
	! grep -E 'ERROR|AddressSanitizer|runtime error' "$D/fs.log"
	start_daemon "socket_group = $GROUP" "log_size = 16K"
}
