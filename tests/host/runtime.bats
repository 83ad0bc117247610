#!/usr/bin/env bats
# rvisor-runc, the OCI runtime engines drive as they drive runc, running real containers with
# Debian's crun against a private rvisord on the seccomp platform (no rvisor.ko on the build
# host: every container gets layers = seccomp here; the kernel layer's hook is tested against
# the daemon's refusal). crun keeps its state under a private --root; rvisor-runc its own
# under $RVISOR_RUNC_STATE_DIR. Every failure must leave nothing behind: no crun state, no
# rewritten config, no cgroup, no process, no mount.
bats_require_minimum_version 1.5.0

load lib
load daemon

RUNC=$ROOT/build/asan/rvisor-runc

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "containers need root here"
	command -v crun >/dev/null || skip "crun not installed (make deps)"
	start_daemon
	export CRUN_ROOT=$D/crun-root RVISOR_RUNC_STATE_DIR=$D/runc-state BASE_CONFIG=$D/base-config.json
	mkdir -p "$CRUN_ROOT" "$D/spec"
	# A hybrid host (cgroup v1 controllers, cgroup2 at /sys/fs/cgroup/unified with controllers
	# of its own) is one crun refuses outright: give it the v1 view in a mount namespace of
	# its own. A cgroup v2 host (Debian 12) runs crun as it is.
	if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
		[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		[ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
		cat >"$D/crun" <<-'EOF'
			#!/bin/sh
			exec unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec /usr/bin/crun "$@"' crun "$@"
		EOF
		chmod +x "$D/crun"
		export RVISOR_RUNC_CRUN=$D/crun
	fi
	(cd "$D/spec" && crun spec)
	jq '.process.terminal = false | .root = {"path": "rootfs"} | .hostname = "rvt"' \
		"$D/spec/config.json" >"$BASE_CONFIG"
}

teardown_file() {
	stop_daemon
	grep -E 'ERROR|AddressSanitizer|runtime error' "$D/rvisord.log" && return 1
	return 0
}

teardown() {
	# A failed test may leave containers: remove them, so that the next test starts clean.
	local c
	for c in $(ls "$CRUN_ROOT" 2>/dev/null); do
		crun_raw delete -f "$c" >/dev/null 2>&1 || true
	done
}

# crun itself on the same root (for cleaning up, and to compare with).
crun_raw() {
	"${RVISOR_RUNC_CRUN:-crun}" --root "$CRUN_ROOT" "$@"
}

# rr ARGS...: rvisor-runc on the private root; its sanitizers must stay silent.
rr() {
	timeout 60 "$RUNC" --root "$CRUN_ROOT" "$@"
}

# rrd ARGS...: rr for a create or run -d that leaves a container behind: the container
# inherits rvisor-runc's stdio, and must not hold bats' pipes open (an engine gives it fifos
# of its own); its output goes to $BATS_TEST_TMPDIR/stdio.
rrd() {
	rr "$@" </dev/null >>"$BATS_TEST_TMPDIR/stdio" 2>&1
}

no_sanitizer_report() {
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' <<<"$output"
}

# bundle NAME SCRIPT [JQ-FILTER]: a bundle in $BATS_TEST_TMPDIR/NAME whose process is
# sh -c SCRIPT NAME (so that the container's processes carry its name), with its own copy of
# the busybox image. Prints the bundle's path.
bundle() {
	local dir=$BATS_TEST_TMPDIR/$1
	mkdir -p "$dir"
	cp -a "$IMAGE" "$dir/rootfs"
	# sc (tests/vm/helpers): one raw syscall, to see what the policy refuses
	cp "$ROOT/build/vm/helpers/sc" "$dir/rootfs/bin/sc"
	jq --arg s "$2" --arg n "$1" "(.process.args = [\"sh\", \"-c\", \$s, \$n]) | ${3:-.}" \
		"$BASE_CONFIG" >"$dir/config.json"
	echo "$dir"
}

# wait_status ID STATUS: until crun says the container is in that state (10 s at most).
wait_status() {
	local s
	for _ in $(seq 100); do
		s=$(rr state "$1" 2>/dev/null | jq -r .status) || true
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1 is '$s', not '$2'"
	return 1
}

# The value of a cgroup file of the container whose init is PID: v2 FILE, else v1 CONTROLLER/FILE1.
cgroup_value() {
	local pid=$1 controller=$2 file=$3 file1=$4 path
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		cat "/sys/fs/cgroup$path/$file"
	else
		path=$(awk -F: -v c="$controller" '$2 == c { print $3 }' "/proc/$pid/cgroup")
		cat "/sys/fs/cgroup/$controller$path/$file1"
	fi
}

# assert_nothing_left NAME...: no crun state, no rewritten config, and for each container
# name no process, cgroup or mount.
assert_nothing_left() {
	local n
	[ -z "$(ls -A "$CRUN_ROOT")" ] || { ls -la "$CRUN_ROOT"; false; }
	[ -z "$(find "$RVISOR_RUNC_STATE_DIR" -type f 2>/dev/null)" ] ||
		{ find "$RVISOR_RUNC_STATE_DIR" -type f; false; }
	for n; do
		! pgrep -f -- "$n" >/dev/null || { ps -ef | grep -- "$n"; false; }
		[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$n" 2>/dev/null)" ] ||
			{ find /sys/fs/cgroup -maxdepth 4 -type d -name "$n"; false; }
		! grep -q -- "$n" /proc/self/mountinfo || { grep -- "$n" /proc/self/mountinfo; false; }
	done
}

@test "--version names rvisor-runc's version and crun's" {
	run rr --version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "rvisor-runc version $RVISOR_VERSION" ]
	[[ "$output" == *"crun version "* ]]
	run "$RUNC" -v
	[ "${lines[0]}" = "rvisor-runc version $RVISOR_VERSION" ]
}

@test "--help lists runc's commands; no command is help too" {
	run rr --help
	[ "$status" -eq 0 ]
	for c in create start state kill delete run exec ps list features spec pause resume update; do
		grep -qE "^  $c " <<<"$output" || { echo "no $c"; false; }
	done
	run "$RUNC"
	[ "$status" -eq 0 ]
	[[ "$output" == *Usage:* ]]
}

@test "features: crun's, with rvisor's annotations" {
	run rr features
	[ "$status" -eq 0 ]
	no_sanitizer_report
	[ "$(jq -r '.annotations["io.rvisor.version"]' <<<"$output")" = "$RVISOR_VERSION" ]
	jq -e '.annotations["io.rvisor.crun.version"] | length > 0' <<<"$output"
	jq -e '.ociVersionMin and .ociVersionMax' <<<"$output"
}

@test "unknown global option and bad --log-format: exit 1 with a message" {
	run rr --bogus list
	[ "$status" -eq 1 ]
	[[ "$output" == "rvisor-runc: unknown option '--bogus'"* ]]
	run rr --log-format xml list
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown --log-format 'xml'"* ]]
}

@test "create, start, state, kill, delete: the lifecycle, with rvisor's annotations" {
	b=$(bundle rt-life 'echo started; exec sleep 1000')
	run rrd create --bundle "$b" rt-life
	[ "$status" -eq 0 ]
	output=$(cat "$BATS_TEST_TMPDIR/stdio")
	no_sanitizer_report
	# crun has its own copy of the rewritten config; rvisor-runc's is gone.
	[ -z "$(find "$RVISOR_RUNC_STATE_DIR" -type f)" ]
	run rr state rt-life
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r '.annotations["io.rvisor.policy"]' <<<"$output")" = default ]
	[ "$(jq -r '.annotations["io.rvisor.layers"]' <<<"$output")" = seccomp ]
	jq -e '.annotations["run.oci.seccomp_bpf_data"] | length > 100' <<<"$output"
	[ "$(jq -r .bundle <<<"$output")" = "$b" ]
	run rr list
	[[ "$output" == *rt-life*created* ]]

	run rr start rt-life
	[ "$status" -eq 0 ]
	wait_status rt-life running
	pid=$(rr state rt-life | jq -r .pid)
	# The policy's filter and the no_new_privs it needs, in the container's process.
	grep -q $'^NoNewPrivs:\t1' "/proc/$pid/status"
	grep -q $'^Seccomp:\t2' "/proc/$pid/status"

	run rr kill rt-life KILL
	[ "$status" -eq 0 ]
	wait_status rt-life stopped
	run rr delete rt-life
	[ "$status" -eq 0 ]
	no_sanitizer_report
	run rr state rt-life
	[ "$status" -eq 1 ]
	[[ "$output" == *"container rt-life does not exist"* ]]
	assert_nothing_left rt-life
}

@test "kill --all and delete --force of a running container" {
	b=$(bundle rt-force 'sleep 1000 & exec sleep 1000')
	rrd run -d --bundle "$b" rt-force
	wait_status rt-force running
	run rr kill --all rt-force KILL
	[ "$status" -eq 0 ]
	wait_status rt-force stopped
	rr delete rt-force
	b=$(bundle rt-force2 'exec sleep 1000')
	rrd run -d --bundle "$b" rt-force2
	wait_status rt-force2 running
	run rr delete rt-force2
	[ "$status" -ne 0 ] # running: crun refuses without --force, and the container stays
	wait_status rt-force2 running
	run rr delete --force rt-force2
	[ "$status" -eq 0 ]
	assert_nothing_left rt-force rt-force2
}

@test "run: the container's output and exit status are rvisor-runc's" {
	b=$(bundle rt-run 'echo out; echo err >&2; exit 7')
	run rr run --bundle "$b" rt-run
	[ "$status" -eq 7 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	no_sanitizer_report
	# crun deleted it when it ended.
	assert_nothing_left rt-run
}

@test "run in the foreground: a signal sent to rvisor-runc reaches the container" {
	b=$(bundle rt-sig 'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.1; done')
	"$RUNC" --root "$CRUN_ROOT" run --bundle "$b" rt-sig </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 5 ]
	grep -q got-term "$BATS_TEST_TMPDIR/out"
	assert_nothing_left rt-sig
}

@test "run -d with --pid-file: detached, the pid written" {
	b=$(bundle rt-detach 'exec sleep 1000')
	run rrd run -d --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$b" rt-detach
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(rr state rt-detach | jq -r .pid)" ]
	rr delete -f rt-detach
	assert_nothing_left rt-detach
}

@test "exec into a running container, with arguments and with --process" {
	b=$(bundle rt-exec 'exec sleep 1000')
	rrd run -d --bundle "$b" rt-exec
	wait_status rt-exec running
	run rr exec rt-exec sh -c 'echo in $(hostname); exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *"in rvt"* ]]
	no_sanitizer_report
	# An engine's process (docker's: noNewPrivileges false): the exec'd process still gets
	# no_new_privs, which the seccomp layer needs, and the policy's filter.
	jq -n '{args: ["sh", "-c", "grep -E \"^(NoNewPrivs|Seccomp):\" /proc/self/status; sc raw 256"],
		cwd: "/", env: ["PATH=/bin"], user: {uid: 0, gid: 0}, noNewPrivileges: false}' \
		>"$BATS_TEST_TMPDIR/process.json"
	run rr exec --process "$BATS_TEST_TMPDIR/process.json" rt-exec
	[[ "$output" == *$'NoNewPrivs:\t1'* ]]
	[[ "$output" == *$'Seccomp:\t2'* ]]
	[[ "$output" == *ENOSYS* ]] # migrate_pages: not in default.conf
	rr delete -f rt-exec
	assert_nothing_left rt-exec
}

@test "a syscall the policy refuses fails inside the container, and runs without rvisor" {
	# default.conf lets personality(2) run, but not with ADDR_NO_RANDOMIZE (0x40000, as
	# setarch -R asks: EPERM); ioprio_get (ionice) and PER_LINUX32 (linux32) pass.
	b=$(bundle rt-deny 'ionice -p 1; echo ionice=$?; linux32 true; echo linux32=$?; sc raw 135 0x40000; echo norandom=$?')
	run rr run --bundle "$b" rt-deny
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *ionice=0* ]]
	[[ "$output" == *linux32=0* ]]
	[[ "$output" == *EPERM* ]]
	[[ "$output" == *norandom=1* ]]
	# The same bundle under crun alone: all work.
	run crun_raw run --bundle "$b" rt-deny
	[[ "$output" == *ionice=0* ]]
	[[ "$output" == *linux32=0* ]]
	[[ "$output" == *norandom=0* ]]
	assert_nothing_left rt-deny
}

@test "an engine that leaves noNewPrivileges false (docker's default) gets a working container" {
	b=$(bundle rt-nnp 'grep NoNewPrivs /proc/self/status; id -u' '.process.noNewPrivileges = false')
	run rr run --bundle "$b" rt-nnp
	[ "$status" -eq 0 ]
	[[ "$output" == *$'NoNewPrivs:\t1'* ]]
	[[ "$output" == *0* ]]
}

@test "the engine's seccomp profile stays in force, chained before the policy's" {
	profile='{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	script='mkdir /dev/shm/d; echo mkdir=$?; sc raw 256; echo mp=$?'
	b=$(bundle rt-prof "$script" ".linux.seccomp = $profile")
	run rr run --bundle "$b" rt-prof
	[ "$status" -eq 0 ]
	[[ "$output" == *mkdir=1* ]]  # only the engine's profile refuses it (EACCES)
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *mp=1* ]] # only the policy refuses this one (migrate_pages)
	# Without the profile, mkdir works: it was the profile.
	b=$(bundle rt-noprof "$script")
	run rr run --bundle "$b" rt-noprof
	[[ "$output" == *mkdir=0* ]]
	[[ "$output" == *mp=1* ]]
	assert_nothing_left rt-prof rt-noprof
}

@test "the policy's limits land in the cgroup only where the spec sets none" {
	b=$(bundle rt-lim 'exec sleep 1000')
	rrd run -d --bundle "$b" rt-lim
	wait_status rt-lim running
	pid=$(rr state rt-lim | jq -r .pid)
	# default.conf: memory = 512M, pids = 1024
	[ "$(cgroup_value "$pid" memory memory.max memory.limit_in_bytes)" = 536870912 ]
	[ "$(cgroup_value "$pid" pids pids.max pids.max)" = 1024 ]
	rr delete -f rt-lim

	b=$(bundle rt-own 'exec sleep 1000' \
		'.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}')
	rrd run -d --bundle "$b" rt-own
	wait_status rt-own running
	pid=$(rr state rt-own | jq -r .pid)
	[ "$(cgroup_value "$pid" memory memory.max memory.limit_in_bytes)" = 67108864 ]
	[ "$(cgroup_value "$pid" pids pids.max pids.max)" = 50 ]
	rr delete -f rt-own

	b=$(bundle rt-half 'exec sleep 1000' '.linux.resources.pids = {"limit": 77}')
	rrd run -d --bundle "$b" rt-half
	wait_status rt-half running
	pid=$(rr state rt-half | jq -r .pid)
	[ "$(cgroup_value "$pid" memory memory.max memory.limit_in_bytes)" = 536870912 ]
	[ "$(cgroup_value "$pid" pids pids.max pids.max)" = 77 ]
	rr delete -f rt-half
	assert_nothing_left rt-lim rt-own rt-half
}

@test "the policy annotation picks the policy; state shows the resolved name" {
	b=$(bundle rt-perm 'exit 0' '.annotations["io.rvisor.policy"] = "permissive"')
	rrd create --bundle "$b" rt-perm
	run rr state rt-perm
	[ "$(jq -r '.annotations["io.rvisor.policy"]' <<<"$output")" = permissive ]
	rr delete -f rt-perm
	assert_nothing_left rt-perm
}

@test "crun's --config: the engine's file is read and rewritten" {
	b=$(bundle rt-cfg 'echo from-config.json')
	jq '.process.args = ["sh", "-c", "echo from-alt; sc raw 256 || true", "rt-cfg"]' "$b/config.json" >"$b/alt.json"
	run rr run --bundle "$b" -f alt.json rt-cfg
	[ "$status" -eq 0 ]
	[[ "$output" == *from-alt* ]]
	[[ "$output" == *ENOSYS* ]]
	run rr run --bundle "$b" --config "$b/alt.json" rt-cfg
	[[ "$output" == *from-alt* ]]
	run rr run --bundle "$b" -df alt.json rt-cfg
	[ "$status" -eq 1 ]
	[[ "$output" == *"give -f on its own"* ]]
	assert_nothing_left rt-cfg
}

@test "the same id under two crun roots: each root has its own state" {
	b=$(bundle rt-two 'exec sleep 1000')
	rrd run -d --bundle "$b" rt-two
	timeout 60 "$RUNC" --root "$D/crun-root2" run -d --bundle "$b" rt-two </dev/null >/dev/null 2>&1
	[ "$(timeout 60 "$RUNC" --root "$D/crun-root2" state rt-two | jq -r .status)" = running ]
	wait_status rt-two running
	[ "$(ls "$RVISOR_RUNC_STATE_DIR" | wc -l)" -eq 2 ]
	timeout 60 "$RUNC" --root "$D/crun-root2" delete -f rt-two
	rr delete -f rt-two
	rmdir "$D/crun-root2"
	assert_nothing_left rt-two
}

@test "bad input: an invalid config.json is refused, nothing left" {
	b=$(bundle rt-badjson 'true')
	printf '{"ociVersion": "1.0.0", "process": {' >"$b/config.json"
	run rr create --bundle "$b" rt-badjson
	[ "$status" -eq 1 ]
	no_sanitizer_report
	[ "$output" = "rvisor-runc: cannot create container rt-badjson: $b/config.json is not valid JSON: unexpected end of file" ]
	echo '[1, 2]' >"$b/config.json"
	run rr create --bundle "$b" rt-badjson
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not valid JSON: it is not a JSON object"* ]]
	echo '{"annotations": {"io.rvisor.policy": 5}}' >"$b/config.json"
	run rr create --bundle "$b" rt-badjson
	[ "$status" -eq 1 ]
	[[ "$output" == *"io.rvisor.policy must be a string"* ]]
	echo '{"linux": {"resources": {"memory": "lots"}}}' >"$b/config.json"
	run rr create --bundle "$b" rt-badjson
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources.memory is not an object"* ]]
	rm "$b/config.json"
	run rr create --bundle "$b" rt-badjson
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open $b/config.json: No such file or directory"* ]]
	run rr create --bundle "$BATS_TEST_TMPDIR/nope" rt-badjson
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open bundle"* ]]
	assert_nothing_left rt-badjson
}

@test "bad input: an unknown io.rvisor.policy is refused, nothing left" {
	b=$(bundle rt-nopol 'true' '.annotations["io.rvisor.policy"] = "no-such-policy"')
	run rr create --bundle "$b" rt-nopol
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "rvisor-runc: cannot create container rt-nopol: unknown policy 'no-such-policy'"* ]]
	run rr run --bundle "$b" rt-nopol
	[ "$status" -eq 1 ]
	assert_nothing_left rt-nopol
}

@test "bad input: a container id in use is refused and the first one is untouched" {
	b=$(bundle rt-dup 'exec sleep 1000')
	rrd run -d --bundle "$b" rt-dup
	wait_status rt-dup running
	pid=$(rr state rt-dup | jq -r .pid)
	run rr create --bundle "$b" rt-dup
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with id exists: rt-dup"* ]]
	run rr run --bundle "$b" rt-dup
	[ "$status" -eq 1 ]
	wait_status rt-dup running
	[ "$(rr state rt-dup | jq -r .pid)" = "$pid" ]
	[ -z "$(find "$RVISOR_RUNC_STATE_DIR" -type f)" ]
	rr delete -f rt-dup
	assert_nothing_left rt-dup
}

@test "bad input: invalid ids and missing arguments" {
	b=$(bundle rt-ids 'true')
	run rr create --bundle "$b" 'a/b'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container id format: a/b"* ]]
	run rr create --bundle "$b"
	[ "$status" -eq 1 ]
	[[ "$output" == *"create needs exactly one argument"* ]]
	run rr create --bundle "$b" one two
	[ "$status" -eq 1 ]
	run rr create --bogus "$b" x
	[ "$status" -eq 1 ]
	[[ "$output" == *"create: unknown option '--bogus'"* ]]
	run rr state '../x'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container id format"* ]]
	assert_nothing_left rt-ids
}

@test "restore is refused: it would bring a container back without rvisor's layers" {
	mkdir -p "$BATS_TEST_TMPDIR/img"
	run rr restore --image-path "$BATS_TEST_TMPDIR/img" rt-restored
	[ "$status" -eq 1 ]
	[ "$output" = "rvisor-runc: restore is not supported: the container would run without rvisor's layers" ]
	assert_nothing_left rt-restored
}

@test "start, kill, delete, state, exec, ps of a container that does not exist: runc's exit 1 and message" {
	for cmd in start state kill delete exec ps pause resume; do
		args=(rt-none)
		[ "$cmd" = exec ] && args+=(true)
		run rr "$cmd" "${args[@]}"
		[ "$status" -eq 1 ] || { echo "$cmd: $status"; false; }
		[ "$output" = "rvisor-runc: container rt-none does not exist" ] || { echo "$cmd: $output"; false; }
	done
	run rr delete --force rt-none
	[ "$status" -eq 0 ] # as runc: forcing the removal of what is not there is fine
	assert_nothing_left rt-none
}

@test "rvisord not running: create and run are refused, nothing left" {
	b=$(bundle rt-nod 'true')
	RVISOR_SOCKET=$D/absent.sock run rr create --bundle "$b" rt-nod
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "rvisor-runc: cannot create container rt-nod: rvisord is not running (nothing listens on $D/absent.sock)"* ]]
	RVISOR_SOCKET=$D/absent.sock run rr run --bundle "$b" rt-nod
	[ "$status" -eq 1 ]
	assert_nothing_left rt-nod
}

@test "--log with --log-format json: the error as one JSON line, after crun's own" {
	b=$(bundle rt-log 'true' '.annotations["io.rvisor.policy"] = "no-such-policy"')
	log=$BATS_TEST_TMPDIR/log.json
	printf '{"level":"info","msg":"earlier, no newline","time":"2026-01-01T00:00:00Z"}' >"$log"
	run rr --log "$log" --log-format json create --bundle "$b" rt-log
	[ "$status" -eq 1 ]
	[ "$(wc -l <"$log")" -eq 2 ] # the earlier line ended, ours whole
	jq -e . "$log" >/dev/null    # every line is JSON
	last=$(tail -n 1 "$log")
	[ "$(jq -r .level <<<"$last")" = error ]
	[[ "$(jq -r .msg <<<"$last")" == "cannot create container rt-log: unknown policy 'no-such-policy'"* ]]
	[[ "$(jq -r .time <<<"$last")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]
	# Text format: logrus's key=value line.
	run rr --log "$BATS_TEST_TMPDIR/log.txt" create --bundle "$b" rt-log
	grep -qE '^time="[^"]+" level=error msg="cannot create container rt-log: unknown policy' \
		"$BATS_TEST_TMPDIR/log.txt"
	# A crun error (a container that does not exist) lands there too, as crun writes it.
	run rr --log "$log" --log-format json state rt-log
	tail -n 1 "$log" | jq -e '.level == "error"'
	assert_nothing_left rt-log
}

@test "hook: a malformed OCI state on stdin fails, with a message" {
	run "$RUNC" hook <<<'{"id": "x"}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not the OCI state of a container"* ]]
	run "$RUNC" hook <<<'not json'
	[ "$status" -eq 1 ]
	run "$RUNC" hook extra </dev/null
	[ "$status" -eq 1 ]
}

@test "hook: without rvisor.ko rvisord refuses the binding: exit 1, the message in the error file" {
	b=$(bundle rt-hook 'true')
	sleep 1000 </dev/null >/dev/null 2>&1 &
	pid=$!
	err=$BATS_TEST_TMPDIR/hook.err
	run "$RUNC" hook --socket "$RVISOR_SOCKET" --error-file "$err" \
		<<<"{\"ociVersion\": \"1.0\", \"id\": \"rt-hook\", \"pid\": $pid, \"bundle\": \"$b\", \"annotations\": {\"io.rvisor.policy\": \"default\"}}"
	kill "$pid"
	[ "$status" -eq 1 ]
	no_sanitizer_report
	[[ "$output" == *"cannot bind container rt-hook to an rvisor sandbox"*"rvisor.ko"* ]]
	[[ "$(cat "$err")" == "cannot bind container rt-hook to an rvisor sandbox"* ]]
	# A pid that is gone: the pidfd cannot be opened.
	run "$RUNC" hook --socket "$RVISOR_SOCKET" \
		<<<"{\"id\": \"rt-hook\", \"pid\": $pid, \"bundle\": \"$b\"}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open its init (pid $pid)"* ]]
}

# stub MODE: rvisord-stub (tests/helpers/rvisord-stub.c) in place of rvisord, for the kernel
# layer this host cannot have; RVISOR_SOCKET points at it for the rest of the test.
stub() {
	[ -x "$ROOT/build/tools/rvisord-stub" ] || skip "build/tools/rvisord-stub not built (make host-test)"
	STUB_LOG=$BATS_TEST_TMPDIR/stub.log
	"$ROOT/build/tools/rvisord-stub" "$BATS_TEST_TMPDIR/stub.sock" "$STUB_LOG" "$1" </dev/null >/dev/null 2>&1 &
	STUB_PID=$!
	for _ in $(seq 100); do [ -S "$BATS_TEST_TMPDIR/stub.sock" ] && break; sleep 0.05; done
	export RVISOR_SOCKET=$BATS_TEST_TMPDIR/stub.sock
}

stub_stop() {
	kill "$STUB_PID" 2>/dev/null || true
	wait "$STUB_PID" 2>/dev/null || true
}

@test "kernel layer: the hook binds the container's init through rvisord, after the engine's hooks" {
	stub kernel-ok
	b=$(bundle rt-kern 'exec sleep 1000' \
		'.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo engine >>'"$BATS_TEST_TMPDIR"'/order"]}]')
	run rrd create --bundle "$b" rt-kern
	[ "$status" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/stdio" "$STUB_LOG"; false; }
	run rr state rt-kern
	[ "$(jq -r '.annotations["io.rvisor.layers"]' <<<"$output")" = kernel ]
	[ "$(jq -r '.annotations["io.rvisor.policy"]' <<<"$output")" = stub ]
	jq -e '.annotations["run.oci.seccomp_bpf_data"] == null' <<<"$output"
	pid=$(jq -r .pid <<<"$output")
	# crun's copy of the rewritten config: the engine's hook first, then rvisor-runc's.
	jq -e --arg exe "$RUNC" --arg sock "$RVISOR_SOCKET" \
		'.hooks.createRuntime | length == 2 and .[0].path == "/bin/sh" and .[1].path == $exe and
		 .[1].args[0:4] == ["rvisor-runc", "hook", "--socket", $sock]' "$CRUN_ROOT/rt-kern/config.json"
	[ "$(cat "$BATS_TEST_TMPDIR/order")" = engine ]
	# The call: the container, its policy, bundle and command, and a pidfd of its init, the pid
	# 1 of its own pid namespace.
	bind=$(grep BindContainer "$STUB_LOG")
	[ "$(jq -r .parameters.container <<<"$bind")" = rt-kern ]
	[ "$(jq -r .parameters.policy <<<"$bind")" = stub ]
	[ "$(jq -r .parameters.bundle <<<"$bind")" = "$b" ]
	[ "$(jq -c .parameters.command <<<"$bind")" = '["sh","-c","exec sleep 1000","rt-kern"]' ]
	[ "$(jq -r .parameters.hostname <<<"$bind")" = rvt ]
	grep -qx "pidfd pid=$pid nspid=1" "$STUB_LOG"
	# The policy's limits, no seccomp layer: the engine's noNewPrivileges stays.
	jq -e '.linux.resources.memory.limit == 268435456 and .linux.resources.pids.limit == 99' \
		"$CRUN_ROOT/rt-kern/config.json"
	rr start rt-kern
	wait_status rt-kern running
	grep PrepareContainer "$STUB_LOG" | jq -e '.parameters == {}'
	run rr delete -f rt-kern
	[ "$status" -eq 0 ]
	grep ReleaseContainer "$STUB_LOG" | jq -e '.parameters.container == "rt-kern"'

	# With a seccomp profile of the engine's own, rvisord is told (it is the layer under the
	# gate then), at PrepareContainer and BindContainer.
	: >"$STUB_LOG"
	b=$(bundle rt-kprof 'exec sleep 1000' '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}')
	rrd create --bundle "$b" rt-kprof
	grep PrepareContainer "$STUB_LOG" | jq -e '.parameters.engine_seccomp == true'
	grep BindContainer "$STUB_LOG" | jq -e '.parameters.engine_seccomp == true'
	jq -e '.hooks.createRuntime[-1].args[-1] == "--engine-seccomp"' "$CRUN_ROOT/rt-kprof/config.json"
	rr delete -f rt-kprof
	stub_stop
	assert_nothing_left rt-kern rt-kprof
}

@test "kernel layer: a failed binding fails the create, closed, and says why; nothing left" {
	stub kernel-fail
	b=$(bundle rt-kfail 'exec sleep 1000')
	log=$BATS_TEST_TMPDIR/log.json
	run rrd --log "$log" --log-format json create --bundle "$b" rt-kfail
	[ "$status" -eq 1 ]
	output=$(cat "$BATS_TEST_TMPDIR/stdio")
	no_sanitizer_report
	[[ "$output" == *"rvisor-runc: cannot bind container rt-kfail to an rvisor sandbox: rvisord could not set the sandbox up: the stub refuses"* ]]
	# The hook's reason is the last error in the log, where containerd's shim looks.
	[[ "$(tail -n 1 "$log" | jq -r .msg)" == "cannot bind container rt-kfail to an rvisor sandbox:"*"the stub refuses"* ]]
	grep -q "pidfd pid=" "$STUB_LOG"
	run rr run --bundle "$b" rt-kfail
	[ "$status" -eq 1 ]
	stub_stop
	assert_nothing_left rt-kfail
}

@test "kernel layer: rvisord gone between create and the hook: the create fails closed" {
	stub kernel-ok
	# PrepareContainer answered; the hook then finds nothing listening.
	b=$(bundle rt-kgone 'exec sleep 1000' \
		'.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "kill '"$STUB_PID"'; sleep 0.2"]}]')
	run rrd create --bundle "$b" rt-kgone
	[ "$status" -eq 1 ]
	grep -q "cannot bind container rt-kgone to an rvisor sandbox: rvisord is not running" "$BATS_TEST_TMPDIR/stdio"
	stub_stop
	assert_nothing_left rt-kgone
}

@test "both layers: the hook and the chained seccomp program; run in the foreground releases" {
	stub both-ok
	b=$(bundle rt-both 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; exit 4')
	run rr run --bundle "$b" rt-both
	[ "$status" -eq 4 ]
	[[ "$output" == *$'NoNewPrivs:\t1'* ]]
	[[ "$output" == *$'Seccomp:\t2'* ]]
	grep -q "pidfd pid=" "$STUB_LOG"
	grep BindContainer "$STUB_LOG" | jq -e '.parameters.container == "rt-both"'
	grep ReleaseContainer "$STUB_LOG" | jq -e '.parameters.container == "rt-both"'
	stub_stop
	assert_nothing_left rt-both
}

@test "make install puts rvisor-runc and its man page in place" {
	# -o userspace: what the suite runs is built already; install only.
	make -C "$ROOT" --no-print-directory -o userspace install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr \
		>/dev/null
	[ -x "$BATS_TEST_TMPDIR/root/usr/bin/rvisor-runc" ]
	[ -f "$BATS_TEST_TMPDIR/root/usr/share/man/man1/rvisor-runc.1" ]
	command -v man >/dev/null || skip "man-db not installed"
	run man --warnings -l "$BATS_TEST_TMPDIR/root/usr/share/man/man1/rvisor-runc.1"
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
}
