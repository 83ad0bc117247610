#!/usr/bin/env bats
# rvisord and `rvisorctl run` end to end on the build host, where no module can be loaded:
# sandboxes run on the seccomp platform (policies say kernel_layer = preferred).
bats_require_minimum_version 1.5.0

load lib
load daemon

setup_file() {
	daemon_file_setup
}

teardown_file() {
	daemon_file_teardown
}

@test "run: echo, its output and exit code 0" {
	run rv -- echo hello from the sandbox
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the sandbox" ]
}

@test "run: ls and a shell pipeline inside the image" {
	run rv -- sh -c 'ls /bin | grep -c . ; echo a b c | wc -w'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -gt 100 ]
	[ "${lines[1]}" = 3 ]
}

@test "run -i: stdin reaches the program" {
	run bash -c "printf 'one\ntwo\n' | '$RVISORCTL' run -i --image '$IMAGE' -- wc -l"
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
}

@test "run: the program's exit code is rvisorctl's (3), a signal gives 128+N" {
	run rv -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run rv -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "run: a missing command is 127, a non-executable one 126" {
	run -127 rv -- /no/such/program
	run -126 rv -- /etc/motd
}

@test "run: a missing image or an image that is a file is 125 with a clear error" {
	run "$RVISORCTL" run --image "$BATS_FILE_TMPDIR/none" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"none"*"No such file"* ]]
	touch "$BATS_FILE_TMPDIR/afile"
	run "$RVISORCTL" run --image "$BATS_FILE_TMPDIR/afile" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *afile* ]]
	assert_nothing_left
}

@test "run: the image stays byte-identical after a run that writes to it" {
	before=$(cd "$IMAGE" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+%s | md5sum)
	run rv -- sh -c 'echo changed > /etc/motd; rm /bin/ls; mkdir /new; echo x > /tmp/x'
	[ "$status" -eq 0 ]
	after=$(cd "$IMAGE" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+%s | md5sum)
	[ "$before" = "$after" ]
	[ "$(cat "$IMAGE/etc/motd")" = "rvisor test image" ]
	assert_nothing_left
}

@test "run: a denied syscall fails inside with its errno (mount: EPERM)" {
	run rv -- sh -c 'mkdir -p /mnt/x; mount -t tmpfs none /mnt/x; echo rc=$?'
	[[ "${lines[-1]}" == rc=* ]]
	[ "${lines[-1]}" != rc=0 ]
	[[ "$output" == *"permission denied"* ]] # busybox's words for EPERM
}

@test "run: the sandbox has its own hostname, pid namespace and no network but lo" {
	run rv -- sh -c 'hostname; echo $$; ls /sys 2>&1; tail -n +3 /proc/net/dev | cut -d: -f1'
	[ "${lines[0]}" = sandbox ]
	[ "${lines[1]}" -le 2 ]
	[[ "${lines[2]}" == *"No such file"* ]]
	[ "$(echo ${lines[3]})" = lo ] # and nothing else
	[ "${#lines[@]}" -eq 4 ]
}

@test "two sandboxes see neither each other's processes nor files" {
	rv -- sh -c 'echo secret > /tmp/mine; sleep 3' &
	bg=$!
	sleep 0.5
	run rv -- sh -c 'ps -o pid,args; cat /tmp/mine 2>&1'
	wait "$bg"
	[[ "$output" != *"sleep 3"* ]]
	[[ "$output" == *"No such file"* ]]
}

@test "20 sandboxes at once all succeed" {
	pids=()
	for i in $(seq 20); do
		rv -- sh -c "echo run-$i" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for i in $(seq 20); do [ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = "run-$i" ]; done
	assert_nothing_left
}

@test "a client killed mid-run takes its sandbox with it, nothing is left" {
	"$RVISORCTL" run --image "$IMAGE" -- sh -c 'echo started; exec sleep 100' >"$BATS_TEST_TMPDIR/o" &
	client=$!
	for _ in $(seq 100); do grep -q started "$BATS_TEST_TMPDIR/o" 2>/dev/null && break; sleep 0.05; done
	pgrep -f "sleep 100" >/dev/null
	kill -KILL "$client"
	for _ in $(seq 100); do pgrep -f "sleep 100" >/dev/null || break; sleep 0.05; done
	! pgrep -f "sleep 100"
	for _ in $(seq 50); do [ -z "$(ls -A "$BATS_FILE_TMPDIR/state")" ] && break; sleep 0.05; done
	assert_nothing_left
	run "$RVISORCTL" ps --json
	[ "$status" -eq 0 ]
	[ "$(jq '.sandboxes | length' <<<"$output")" = 0 ]
}

@test "ps, stats and kill act on a running sandbox" {
	"$RVISORCTL" run --name sleeper --image "$IMAGE" -- sleep 100 &
	client=$!
	for _ in $(seq 100); do "$RVISORCTL" ps --json | jq -e '.sandboxes | length == 1' >/dev/null && break; sleep 0.05; done
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].id')
	[ "$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].name')" = sleeper ]
	[ "$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].platform')" = seccomp ]
	run "$RVISORCTL" stats "$id" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .sandbox.policy <<<"$output")" = default ]
	# The name works as the id; a second sandbox of that name is refused, and the default name
	# and ids cannot be chosen.
	[ "$("$RVISORCTL" stats sleeper --json | jq -r .sandbox.id)" = "$id" ]
	run rv --name sleeper -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"you have a sandbox named 'sleeper' already"* ]]
	for bad in 12 "sandbox-$id"; do
		run rv --name "$bad" -- true
		[ "$status" -eq 125 ]
		[[ "$output" == *"Invalid --name '$bad'"* ]]
		run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/","name":"'"$bad"'"}}'
		[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"name"'* ]]
	done
	run vl '{"method":"io.rvisor.Manager.Inspect","parameters":{"id":'"$id"',"name":"sleeper"}}'
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"name"'* ]]
	run vl '{"method":"io.rvisor.Manager.Inspect","parameters":{}}'
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"id"'* ]]
	run vl '{"method":"io.rvisor.Manager.Kill","parameters":{"name":"no/such"}}'
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"name"'* ]]
	run "$RVISORCTL" kill nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"no sandbox named 'nosuch'"* ]]
	run "$RVISORCTL" kill sleeper KILL
	[ "$status" -eq 0 ]
	rc=0
	wait "$client" || rc=$?
	[ "$rc" -eq 137 ]
	run "$RVISORCTL" kill 999999
	[ "$status" -ne 0 ]
	[[ "$output" == *"999999"* ]]
}

@test "status through the daemon names the platform; policy list and show" {
	run "$RVISORCTL" status --json
	[ "$(jq -r .platform <<<"$output")" = seccomp ]
	run "$RVISORCTL" policy list
	[[ "$output" == *default* ]]
	run "$RVISORCTL" policy show default --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .policy.name <<<"$output")" = default ]
}

@test "a policy with a syntax error or an unknown syscall is refused with file:line" {
	printf '[syscalls]\ndefault = pass\nallow = read frobnicate\n' >"$POLICIES/unknownsys.conf"
	run rv --policy unknownsys -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknownsys.conf:3:"*frobnicate* ]]
	printf '[syscalls\ndefault = pass\n' >"$POLICIES/broken.conf"
	run rv --policy broken -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"broken.conf:1"* ]]
	run "$RVISORCTL" policy check "$POLICIES/unknownsys.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknownsys.conf:3:"* ]]
	run rv --policy nosuchpolicy -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *nosuchpolicy* ]]
	run rv --policy ../../etc/passwd -- true
	[ "$status" -eq 125 ]
}

@test "kernel_layer = required without the module: KernelLayerUnavailable, with a hint" {
	sed 's/^kernel_layer *=.*/kernel_layer = required/' "$POLICIES/default.conf" >"$POLICIES/strict.conf"
	grep -q 'kernel_layer = required' "$POLICIES/strict.conf"
	run rv --policy strict -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"modprobe rvisor"* ]]
	assert_nothing_left
}

@test "a caller outside group rvisor is refused (PermissionDenied or the socket's mode)" {
	# an image it can read, so that the refusal is about the daemon
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$RVISORCTL" run --image / -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"rvisord"* && ( "$output" == *"group rvisor"* || "$output" == *"ermission denied"* ) ]]
}

@test "malformed varlink input gets an error and the connection closed; the daemon lives on" {
	run bash -c "printf '{not json\\0' | '$ROOT/build/tools/varlink-raw' '$RVISOR_SOCKET'"
	[[ "$output" == *'"error"'* ]]
	[[ "${lines[-1]}" == EOF ]]
	run bash -c "printf '{\"method\":\"io.rvisor.Manager.Run\",\"parameters\":{\"image\":5}}\\0' | '$ROOT/build/tools/varlink-raw' '$RVISOR_SOCKET'"
	[[ "$output" == *'"error":"org.varlink.service.InvalidParameter"'* ]]
	[[ "$output" == *'"parameter":"image"'* ]]
	run bash -c "head -c 17000000 /dev/zero | tr '\\0' ' ' | '$ROOT/build/tools/varlink-raw' '$RVISOR_SOCKET'"
	[[ "${lines[-1]}" == EOF ]]
	run bash -c "printf '{\"method\":\"io.rvisor.Manager.Nope\"}\\0' | '$ROOT/build/tools/varlink-raw' '$RVISOR_SOCKET'"
	[[ "$output" == *MethodNotFound* ]]
	run rv -- echo still alive
	[ "$output" = "still alive" ]
}

@test "GetInterfaceDescription serves the IDL file" {
	run bash -c "printf '{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"io.rvisor.Manager\"}}\\0' | '$ROOT/build/tools/varlink-raw' '$RVISOR_SOCKET'"
	[[ "$output" == *"interface io.rvisor.Manager"* ]]
	[[ "$output" == *"method Run("* ]]
}

@test "a restarted daemon removes what a killed one left behind" {
	stop_daemon
	mkdir -p "$BATS_FILE_TMPDIR/state/sandbox-99/upper/etc"
	echo stale >"$BATS_FILE_TMPDIR/state/sandbox-99/upper/etc/motd"
	start_daemon
	grep -q "Removed 1 sandbox leftovers" "$BATS_FILE_TMPDIR/rvisord.log"
	[ ! -e "$BATS_FILE_TMPDIR/state/sandbox-99" ]
	run rv -- echo fine
	[ "$output" = fine ]
}

@test "run: -e, -w and --user reach the program" {
	run rv -e GREETING=hi -w /tmp --user 65534:65534 -- sh -c 'echo "$GREETING $(pwd) $(id -u):$(id -g)"'
	[ "$status" -eq 0 ]
	[ "$output" = "hi /tmp 65534:65534" ]
}

@test "run: --env-file as docker reads one (comments, blank lines, KEY copies ours, -e after it wins); --rm is accepted" {
	printf '# a comment\n\nA=1\nB=two words\r\nFROM_US\nC=file\n' >"$BATS_TEST_TMPDIR/env"
	FROM_US=copied run rv --rm --env-file "$BATS_TEST_TMPDIR/env" -e C=flag -- sh -c 'echo "$A|$B|$FROM_US|$C"'
	[ "$status" -eq 0 ]
	[ "$output" = "1|two words|copied|flag" ]
	printf 'A=1\n=nokey\n' >"$BATS_TEST_TMPDIR/bad"
	run rv --env-file "$BATS_TEST_TMPDIR/bad" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Invalid line in --env-file $BATS_TEST_TMPDIR/bad: '=nokey'"* ]]
	run rv --env-file "$BATS_TEST_TMPDIR/missing" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot read --env-file $BATS_TEST_TMPDIR/missing: No such file or directory"* ]]
	printf 'A=1\0B=2\n' >"$BATS_TEST_TMPDIR/nul"
	run rv --env-file "$BATS_TEST_TMPDIR/nul" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"it holds a NUL byte"* ]]
	run rv --env-file "$BATS_TEST_TMPDIR" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot read --env-file"* ]]
	assert_nothing_left
}

@test "run: an OCI bundle's process args, env and cwd are used" {
	b=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$b"
	cp -a "$IMAGE" "$b/rootfs"
	cat >"$b/config.json" <<'JSON'
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": ["sh", "-c", "echo $FROM_BUNDLE in $(pwd)"], "env": ["PATH=/bin", "FROM_BUNDLE=bundled"], "cwd": "/etc"}}
JSON
	run "$RVISORCTL" run --image "$b"
	[ "$status" -eq 0 ]
	[ "$output" = "bundled in /etc" ]
}

@test "Ctrl-C reaches the sandbox: SIGINT to rvisorctl is delivered to the program" {
	"$RVISORCTL" run --image "$IMAGE" -- sh -c 'trap "echo got INT; exit 7" INT; echo ready; while :; do sleep 0.1; done' \
		>"$BATS_TEST_TMPDIR/o" &
	client=$!
	for _ in $(seq 100); do grep -q ready "$BATS_TEST_TMPDIR/o" 2>/dev/null && break; sleep 0.05; done
	kill -INT "$client"
	rc=0
	wait "$client" || rc=$?
	[ "$rc" -eq 7 ]
	grep -q "got INT" "$BATS_TEST_TMPDIR/o"
}

# vl JSON: one raw call to the private daemon, its answer on stdout.
vl() {
	printf '%s\0' "$1" | "$ROOT/build/tools/varlink-raw" "$RVISOR_SOCKET"
}

@test "--memory above the policy's: the error names the policy and its limit" {
	run rv --memory 1G -- true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--memory is more than policy 'default' allows (memory 512M)"* ]]
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'","memory":1073741824}}'
	[[ "$output" == *io.rvisor.Manager.LimitAbovePolicy* && "$output" == *'"limit":536870912'* ]]
	run rv --memory 512M -- true
	[ "$status" -eq 0 ]
}

@test "every method refuses bad parameters with a clear varlink error" {
	run vl '{"method":"io.rvisor.Manager.Run","parameters":{"image":"/x"}}'
	[[ "$output" == *org.varlink.service.ExpectedMore* ]]
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'","memory":-5}}'
	[[ "$output" == *InvalidParameter*memory* || "$output" == *memory*InvalidParameter* ]]
	# uid and gid: integers from 0 to 4294967294, gid only with uid
	for bad in '"uid":"root"' '"uid":"0"' '"uid":-1' '"uid":4294967295' '"uid":4294967296' '"uid":1.5' \
		'"uid":0,"gid":-1' '"uid":0,"gid":4294967295' '"uid":0,"gid":"0"' '"gid":0'; do
		run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'",'"$bad"'}}'
		want=uid
		[[ "$bad" != *gid* ]] || want=gid
		[[ "$output" == *org.varlink.service.InvalidParameter* && "$output" == *'"parameter":"'$want'"'* ]] ||
			{ echo "$bad: $output"; false; }
	done
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'","user":"0"}}'
	[[ "$output" == *org.varlink.service.InvalidParameter* && "$output" == *'"parameter":"user"'* ]]
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'","env":["NOEQUALS"]}}'
	[[ "$output" == *'"parameter":"env"'* ]]
	# a NUL byte in an argument or variable: refused, never cut short
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'","argv":["echo","a\u0000b"]}}'
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"argv"'* ]]
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$IMAGE"'","argv":["true"],"env":["A=1\u0000B=2"]}}'
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"env"'* ]]
	run vl '{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"relative/dir"}}'
	[[ "$output" == *ImageNotFound* ]]
	run vl '{"method":"io.rvisor.Manager.Inspect","parameters":{"id":"one"}}'
	[[ "$output" == *'"parameter":"id"'* ]]
	run vl '{"method":"io.rvisor.Manager.Inspect","parameters":{"id":424242}}'
	[[ "$output" == *io.rvisor.Manager.SandboxNotFound* ]]
	run vl '{"method":"io.rvisor.Manager.Kill","parameters":{"id":424242,"signal":15}}'
	[[ "$output" == *io.rvisor.Manager.SandboxNotFound* ]]
	run vl '{"method":"io.rvisor.Manager.GetPolicy","parameters":{"name":"../../etc/passwd"}}'
	[[ "$output" == *io.rvisor.Manager.PolicyNotFound* ]]
	run vl '{"method":"io.rvisor.Manager.CheckPolicy","parameters":{"name":"x.conf"}}'
	[[ "$output" == *'"parameter":"text"'* ]]
	run vl '{"method":"io.rvisor.Manager.CheckPolicy","parameters":{"name":"x.conf","text":"[syscalls]\nallow = nosuchcall\n"}}'
	[[ "$output" == *io.rvisor.Manager.PolicyInvalid* ]]
	[[ "$output" == *"x.conf:2: unknown syscall 'nosuchcall'"* ]]
	run vl '{"method":"io.rvisor.Manager.Status","parameters":{"extra":1}}'
	[[ "$output" == *'"parameter":"extra"'* ]]
	assert_nothing_left
}

@test "Kill refuses a signal it would not forward, or not a number from 1 to 64; without one, SIGTERM" {
	"$RVISORCTL" run --image "$IMAGE" -- sleep 100 &
	client=$!
	for _ in $(seq 100); do "$RVISORCTL" ps --json | jq -e '.sandboxes | length == 1' >/dev/null && break; sleep 0.05; done
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[0].id')
	# SIGSEGV (11) is not forwarded; names are the client's to translate
	for bad in 11 0 65 -1 4294967311 '"TERM"' '"SIGKILL"' '"9"' 9.0 true; do
		run vl '{"method":"io.rvisor.Manager.Kill","parameters":{"id":'"$id"',"signal":'"$bad"'}}'
		[[ "$output" == *org.varlink.service.InvalidParameter* && "$output" == *'"parameter":"signal"'* ]] ||
			{ echo "$bad: $output"; false; }
	done
	[ "$("$RVISORCTL" ps --json | jq '.sandboxes | length')" = 1 ]
	run vl '{"method":"io.rvisor.Manager.Kill","parameters":{"id":'"$id"'}}'
	[ "${lines[0]}" = '{"parameters":{}}' ]
	rc=0
	wait "$client" || rc=$?
	[ "$rc" -eq 143 ] # sleep ended by SIGTERM
}

@test "run --read-only: writes to the root fail with EROFS, /dev/shm stays writable; without it they work" {
	run rv --read-only -- sh -c 'echo x >/etc/new 2>&1; echo "rc=$?"; echo y >/dev/shm/ok && cat /dev/shm/ok'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	[ "${lines[1]}" = rc=1 ]
	[ "${lines[2]}" = y ]
	run rv -- sh -c 'echo x >/etc/new && cat /etc/new'
	[ "$output" = x ]
	assert_nothing_left
}

@test "run --hostname: the sandbox's name (uname, hostname), checked by rvisorctl and by rvisord" {
	run rv --hostname web-1.example -- sh -c 'hostname; uname -n'
	[ "$status" -eq 0 ]
	[ "$output" = "web-1.example
web-1.example" ]
	run rv -- hostname
	[ "$output" = sandbox ] # the policy's
	for bad in "a b" "" "x/y" "$(printf 'h%.0s' $(seq 65))"; do
		run rv --hostname "$bad" -- true
		[ "$status" -eq 125 ]
		[[ "$output" == *"Invalid --hostname '$bad'"* ]]
	done
	run sh -c "printf '%s\0' '{\"method\":\"io.rvisor.Manager.Run\",\"more\":true,\"parameters\":{\"image\":\"$IMAGE\",\"hostname\":\"a b\"}}' | '$ROOT/build/tools/varlink-raw' '$RVISOR_SOCKET'"
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"hostname"'* ]]
	assert_nothing_left
}
