#!/usr/bin/env bats
# OCI runtime-spec conformance of rvisor-runc, checked against plain crun in the same run: the
# lifecycle (create, start, state, kill, delete, run, exec, ps, pause, resume) and the main
# config.json fields, as opencontainers/runtime-tools' validation programs check them (those are
# not packaged in Debian). Every check is one function run as two tests, "[crun] ..." and then
# "[rvisor-runc] ...", each runtime with its own --root: rvisor-runc must pass whatever crun
# passes, and where the spec leaves the answer to the runtime (delete of a created container,
# exit codes, the state the hooks are given) it must answer as crun did (`same_as_crun`).
#
# Refused by rvisor-runc on purpose (its default policy, docs/policy.md), where crun lets them
# run; the rvisor-runc side of "on purpose" asserts the refusal:
#   - mount(2) by the container's own processes, even with CAP_SYS_ADMIN in the spec;
#   - new namespaces made by the container's own processes (unshare(2), clone(2) flags), even
#     with CAP_SYS_ADMIN in the spec.
# Done otherwise on purpose: process.noNewPrivileges false is made true when rvisor-runc adds
# the policy's seccomp filter (a spec without an engine profile): crun then installs the filter
# last, after its own set-up of the process (runtime/runtime.h, runc_process_force_nnp).
# Everything else here is set up by the runtime before the container's first execve (sysctls,
# mounts, masked and read-only paths, user namespace, cgroups, devices, seccomp) and so is not
# judged by the gate.
#
# Not covered: --console-socket (a terminal handed over SCM_RIGHTS needs a receiver this guest
# lacks), checkpoint/restore (rvisor-runc refuses restore), update.
bats_require_minimum_version 1.5.0

load lib

SOCK=/run/rvisor/io.rvisor.Manager
RECORDS=/run/rvisor/sandboxes/.containers

setup_file() {
	load_module
	kernel_log_mark
	export ROOTFS=/tmp/oci-rootfs SPEC=$BATS_FILE_TMPDIR/spec.json
	[ -d "$ROOTFS" ] || BUSYBOX=/bin/busybox make-busybox-image "$ROOTFS"
	(cd "$BATS_FILE_TMPDIR" && crun spec && mv config.json "$SPEC")
	start_rvisord occ
}

teardown_file() {
	stop_rvisord occ
	# rvisor-runc's state directory for our --root and rvisord's for container records, both
	# empty now: the suites after this one expect neither
	rmdir /run/rvisor-runc/* /run/rvisor/sandboxes/.containers 2>/dev/null || true
	unload_module
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# A failed check must not leave the next one a container, a cgroup or a kernel sandbox.
teardown() {
	local id cg
	[ -z "${RT:-}" ] || for id in $(crun --root "$R" list -q 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1 || true
	done
	for cg in /sys/fs/cgroup/occ-*; do
		[ -d "$cg" ] || continue
		echo 1 2>/dev/null >"$cg/cgroup.kill" || true
		for _ in $(seq 100); do rmdir "$cg" 2>/dev/null && break; sleep 0.05; done
	done
	for _ in $(seq 100); do [ "$(cat /sys/module/rvisor/refcnt)" = 1 ] && break; sleep 0.05; done
}

# ---- the runtime under test ------------------------------------------------------------------

# on RUNTIME: the runtime the check runs against (crun or rvisor-runc), with its own --root;
# $OUT is a scratch directory the containers see as /out.
on() {
	RT=$1
	R=/tmp/occ-root-$1
	OUT=$T/out
	mkdir -p "$OUT"
	chmod 1777 "$OUT"
}

rt() {
	"$RT" --root "$R" "$@"
}

# quiet CMD...: CMD with its output in $T/cmd.log (a container created or detached keeps the
# descriptors it was given: never a pipe the test waits on); on failure the log is shown.
quiet() {
	"$@" </dev/null >"$T/cmd.log" 2>&1 || {
		local rc=$?
		echo "failed ($rc): $*"
		cat "$T/cmd.log"
		return "$rc"
	}
}

# bundle NAME [JQ-FILTER]: the bundle $T/NAME, crun's config.json template without a terminal,
# in the cgroup /occ-RUNTIME-NAME, $OUT bind-mounted read-write at /out, FILTER applied last
# (it sees $t, the test's directory, and $out).
bundle() {
	local b=$T/$1
	mkdir -p "$b"
	ln -sfn "$ROOTFS" "$b/rootfs"
	jq --arg cg "/occ-$RT-$1" --arg t "$T" --arg out "$OUT" '.process.terminal = false
		| .linux.cgroupsPath = $cg
		| .mounts += [{destination: "/out", type: "bind", source: $out, options: ["rbind", "rw"]}]
		| '"${2:-.}" "$SPEC" >"$b/config.json"
}

# state ID: the container's state; its status and pid in $STATUS and $PID (read here without
# a jq: every program started in this guest costs, a dynamically linked one the most).
state() {
	STATE=$(rt state "$1") || return 1
	[[ $STATE =~ \"status\":\ *\"([a-z]+)\" ]] && STATUS=${BASH_REMATCH[1]}
	[[ $STATE =~ \"pid\":\ *([0-9]+) ]] && PID=${BASH_REMATCH[1]}
}

# exited PID: the process has exited (a zombie has); for wait_for, without forking
exited() {
	local stat
	{ read -r stat </proc/"$1"/stat; } 2>/dev/null || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# wait_stopped ID PID: waits for the container's init PID to exit; its state is then "stopped"
wait_stopped() {
	wait_for exited "$2"
	state "$1"
	[ "$STATUS" = stopped ]
}

# release FIFO: lets a container blocked in `read x < FIFO` go on
release() {
	timeout 10 sh -c "echo go >'$1'"
}

# same_as_crun KEY VALUE: crun's test records VALUE; rvisor-runc's must find the same there.
same_as_crun() {
	local f=$BATS_FILE_TMPDIR/crun.$1
	if [ "$RT" = crun ]; then
		printf '%s\n' "$2" >"$f"
		return 0
	fi
	[ -f "$f" ] || { echo "$1: crun's test did not get that far"; return 1; }
	[ "$2" = "$(cat "$f")" ] || { echo "$1: rvisor-runc gave '$2', crun '$(cat "$f")'"; return 1; }
}

# Nothing of the test's containers is left: no container in the runtime's root, no cgroup, no
# bound container or its record, no kernel sandbox (each holds a reference to rvisor.ko), no
# rewritten config.
assert_nothing_left() {
	[ -z "$(crun --root "$R" list -q)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 1 -name 'occ-*')" ]
	for _ in $(seq 100); do [ "$(cat /sys/module/rvisor/refcnt)" = 1 ] && break; sleep 0.05; done
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ] # the daemon's descriptor only
	[ -z "$(ls -A "$RECORDS" 2>/dev/null)" ]
	[ "$RT" = crun ] || {
		[ "$(rvisorctl ps --json | jq '[.sandboxes[] | select(.container)] | length')" = 0 ]
		[ -z "$(find /run/rvisor-runc -mindepth 2 2>/dev/null)" ]
	}
}

# ---- lifecycle -------------------------------------------------------------------------------
# The containers block (in a read from a FIFO in /out, in wait) rather than poll: a polling
# container takes the CPU the test needs in this slow guest.

check_state() {
	local pid
	mkfifo "$OUT/fifo"
	bundle c '.process.args = ["sh", "-c", "touch /out/ran; read x < /out/fifo"]
		| .annotations = {"org.example.check": "state"}'
	quiet rt create --bundle "$T/c" --pid-file "$T/c.pid" c
	state c
	jq -e --arg b "$T/c" '.status == "created" and .id == "c" and .bundle == $b and .pid > 0
		and (.ociVersion | type == "string" and length > 0)
		and .annotations["org.example.check"] == "state"' <<<"$STATE" || { echo "$STATE"; false; }
	pid=$PID
	pid_alive "$pid"
	[ "$(cat "$T/c.pid")" = "$pid" ] # create --pid-file
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	sleep 0.2
	[ ! -e "$OUT/ran" ] # created: the program has not run
	quiet rt start c
	wait_for test -e "$OUT/ran"
	state c
	[ "$STATUS" = running ]
	[ "$PID" = "$pid" ]
	release "$OUT/fifo"
	wait_stopped c "$pid"
	same_as_crun stopped-pid "$PID"
	quiet rt delete c
	run rt state c
	[ "$status" -eq 1 ]
	same_as_crun state-deleted "$status"
	pid_gone "$pid"
	assert_nothing_left
}
@test "[crun] state: create (pid, not run yet), start, exit; state's fields; --pid-file" { on crun; check_state; }
@test "[rvisor-runc] state: create (pid, not run yet), start, exit; state's fields; --pid-file" { on rvisor-runc; check_state; }

check_run() {
	bundle fg '.process.args = ["sh", "-c", "echo out; echo err >&2; exit 7"]'
	run --separate-stderr rt run --bundle "$T/fg" fg
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	[ -z "$(crun --root "$R" list -q)" ] # a foreground run deletes its container
	bundle bg '.process.args = ["sleep", "60"]'
	quiet rt run -d --pid-file "$T/bg.pid" --bundle "$T/bg" bg
	state bg
	[ "$STATUS" = running ]
	[ "$(cat "$T/bg.pid")" = "$PID" ]
	quiet rt delete --force bg
	assert_nothing_left
}
@test "[crun] run: in the foreground (stdio, exit status), run -d with --pid-file" { on crun; check_run; }
@test "[rvisor-runc] run: in the foreground (stdio, exit status), run -d with --pid-file" { on rvisor-runc; check_run; }

# cgroup_empty CGROUP: no process is left in it (for wait_for)
cgroup_empty() {
	! read -r _ <"$1/cgroup.procs"
}

check_kill() {
	# sh is the container's pid 1: only the signals it has a handler for reach it (and KILL);
	# a trap runs as soon as `wait` is interrupted
	bundle c '.process.args = ["sh", "-c", "trap \"echo USR1 >> /out/sig\" USR1; trap \"echo TERM >> /out/sig; exit 3\" TERM; sleep 600 & touch /out/ready; while :; do wait; done"]'
	quiet rt run -d --pid-file "$T/c.pid" --bundle "$T/c" c
	wait_for test -e "$OUT/ready"
	quiet rt kill c SIGUSR1
	wait_for grep -qx USR1 "$OUT/sig"
	quiet rt kill c # SIGTERM by default
	wait_stopped c "$(cat "$T/c.pid")"
	[ "$(cat "$OUT/sig")" = "$(printf 'USR1\nTERM')" ]
	run rt kill c KILL
	[ "$status" -eq 1 ]
	same_as_crun kill-stopped "$status"
	quiet rt delete c

	# a created container is killed before it has run anything
	bundle k '.process.args = ["touch", "/out/ran"]'
	quiet rt create --pid-file "$T/k.pid" --bundle "$T/k" k
	quiet rt kill k KILL
	wait_stopped k "$(cat "$T/k.pid")"
	[ ! -e "$OUT/ran" ]
	quiet rt delete k

	# kill --all reaches every process of the container
	bundle a '.process.args = ["sh", "-c", "sleep 600 & sleep 600 & touch /out/ready-all; wait"]'
	quiet rt run -d --pid-file "$T/a.pid" --bundle "$T/a" a
	wait_for test -e "$OUT/ready-all"
	[ "$(wc -l <"/sys/fs/cgroup/occ-$RT-a/cgroup.procs")" -eq 3 ]
	quiet rt kill --all a KILL
	wait_for cgroup_empty "/sys/fs/cgroup/occ-$RT-a"
	wait_for exited "$(cat "$T/a.pid")"
	quiet rt delete a
	assert_nothing_left
}
@test "[crun] kill: SIGTERM by default, a named signal, a created container, --all, a stopped one fails" { on crun; check_kill; }
@test "[rvisor-runc] kill: SIGTERM by default, a named signal, a created container, --all, a stopped one fails" { on rvisor-runc; check_kill; }

check_delete() {
	local pid
	bundle c '.process.args = ["sleep", "600"]'
	# a created container without --force: what crun does, rvisor-runc does
	quiet rt create --pid-file "$T/c.pid" --bundle "$T/c" c
	pid=$(cat "$T/c.pid")
	run rt delete c
	same_as_crun delete-created "$status"
	if [ "$status" -eq 0 ]; then
		wait_for exited "$pid"
		run rt state c
		[ "$status" -ne 0 ]
	else
		state c
		[ "$STATUS" = created ]
		quiet rt delete --force c
	fi
	# a created container with --force
	quiet rt create --pid-file "$T/c.pid" --bundle "$T/c" c
	quiet rt delete --force c
	wait_for exited "$(cat "$T/c.pid")"
	# a running one: refused without --force (it keeps running), killed with it
	quiet rt run -d --pid-file "$T/c.pid" --bundle "$T/c" c
	pid=$(cat "$T/c.pid")
	run rt delete c
	[ "$status" -ne 0 ]
	same_as_crun delete-running "$status"
	state c
	[ "$STATUS" = running ]
	quiet rt delete --force c
	wait_for exited "$pid"
	[ ! -d "/sys/fs/cgroup/occ-$RT-c" ]
	# unknown containers
	run rt delete no-such-container
	[ "$status" -eq 1 ]
	run rt delete --force no-such-container
	same_as_crun delete-force-unknown "$status"
	assert_nothing_left
}
@test "[crun] delete: created with and without --force, running with --force, unknown" { on crun; check_delete; }
@test "[rvisor-runc] delete: created with and without --force, running with --force, unknown" { on rvisor-runc; check_delete; }

check_exec() {
	local pid epid
	bundle c '.process.args = ["sleep", "600"]'
	quiet rt run -d --pid-file "$T/c.pid" --bundle "$T/c" c
	pid=$(cat "$T/c.pid")
	run --separate-stderr rt exec c sh -c 'echo "$0|$1"; echo err >&2; exit 3' zero 'a b'
	[ "$status" -eq 3 ]
	[ "$output" = "zero|a b" ]
	[ "$stderr" = err ]
	# --process: args, env, cwd and user from the file
	jq -n '{args: ["sh", "-c", "id -u; id -g; pwd; echo $FOO"], env: ["PATH=/bin", "FOO=from-process"],
		cwd: "/home/user", user: {uid: 1000, gid: 1000}}' >"$T/process.json"
	run rt exec --process "$T/process.json" c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1000\n1000\n/home/user\nfrom-process')" ]
	# -d with --pid-file: detached, in the container's pid namespace
	quiet rt exec -d --pid-file "$T/exec.pid" c sleep 500
	epid=$(cat "$T/exec.pid")
	pid_alive "$epid"
	[ "$(readlink "/proc/$epid/ns/pid")" = "$(readlink "/proc/$pid/ns/pid")" ]
	[ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 500 " ]
	# ps lists the container's processes
	run rt ps --format json c
	[ "$status" -eq 0 ]
	[[ "${output//[^0-9,]/}" == "$pid,$epid" || "${output//[^0-9,]/}" == "$epid,$pid" ]]
	quiet rt delete --force c
	wait_for exited "$epid"
	# exec into a stopped container fails
	bundle s '.process.args = ["true"]'
	quiet rt run -d --pid-file "$T/s.pid" --bundle "$T/s" s
	wait_stopped s "$(cat "$T/s.pid")"
	run rt exec s true
	[ "$status" -ne 0 ]
	same_as_crun exec-stopped "$status"
	quiet rt delete s
	assert_nothing_left
}
@test "[crun] exec: args and exit status, --process (env, cwd, user), -d, --pid-file; ps; a stopped container" { on crun; check_exec; }
@test "[rvisor-runc] exec: args and exit status, --process (env, cwd, user), -d, --pid-file; ps; a stopped container" { on rvisor-runc; check_exec; }

# counter_past N: the container's counter is above N (for wait_for)
counter_past() {
	local n
	read -r n <"$OUT/n" || n=0
	[ "${n:-0}" -gt "${1:-0}" ]
}

check_pause() {
	local cg n m
	cg=/sys/fs/cgroup/occ-$RT-c
	bundle c '.process.args = ["sh", "-c", "i=0; while :; do i=$((i + 1)); echo $i > /out/n; sleep 0.2; done"]'
	quiet rt run -d --bundle "$T/c" c
	wait_for counter_past 1
	quiet rt pause c
	state c
	[ "$STATUS" = paused ]
	[ "$(cat "$cg/cgroup.freeze")" = 1 ]
	wait_for grep -qx 'frozen 1' "$cg/cgroup.events"
	read -r n <"$OUT/n" || n=0
	sleep 0.6
	read -r m <"$OUT/n" || m=0
	[ "$m" = "$n" ] # it stopped counting
	quiet rt resume c
	state c
	[ "$STATUS" = running ]
	[ "$(cat "$cg/cgroup.freeze")" = 0 ]
	wait_for counter_past "$n" # and counts on
	quiet rt delete --force c
	assert_nothing_left
}
@test "[crun] pause and resume: the cgroup freezer stops the container and lets it go on" { on crun; check_pause; }
@test "[rvisor-runc] pause and resume: the cgroup freezer stops the container and lets it go on" { on rvisor-runc; check_pause; }

# ---- hooks -----------------------------------------------------------------------------------

# The jq function hook(NAME; DIR; MORE): a hook writing the state on its stdin to DIR/NAME.json
# and its name to DIR/order, then running MORE (a shell command); hook(NAME; DIR) runs nothing
# more.
HOOK_JQ='def hook(n; d; more): {path: "/bin/sh", args: ["sh", "-c", "cat > \(d)/\(n).json; echo \(n) >> \(d)/order; \(more)"], timeout: 30};
	def hook(n; d): hook(n; d; ":");'

# hook_states PID HOOK...: the states the hooks were given, in a line of JSON, the init's PID
# and the bundle written as "init" and "BUNDLE" (they differ from run to run)
hook_states() {
	local pid=$1
	shift
	(cd "$OUT" && jq -cn --argjson pid "$pid" --arg b "$T/c" '[inputs | {ociVersion, id, status,
		pid: (if .pid == $pid then "init" elif .pid == 0 then 0 else "other" end),
		bundle: (if .bundle == $b then "BUNDLE" else .bundle end),
		annotation: .annotations["org.example.check"]}]' "${@/%/.json}")
}

check_hooks() {
	local bound='rvisorctl ps --json | jq \"[.sandboxes[] | select(.container == \\\"c\\\")] | length\"' states
	mkfifo "$OUT/fifo"
	# The config's createRuntime hook records whether rvisor-runc's own (which binds the
	# container) has run already; poststart records it again, while the program waits for it.
	bundle c "$HOOK_JQ"'.process.args = ["sh", "-c", "echo program >> /out/order; read x < /out/fifo"]
		| .annotations = {"org.example.check": "hooks"}
		| .hooks = {prestart: [hook("prestart"; $out)],
			createRuntime: [hook("createRuntime"; $out; "'"$bound"' > \($out)/bound-createRuntime")],
			startContainer: [hook("startContainer"; "/out")],
			poststart: [hook("poststart"; $out; "'"$bound"' > \($out)/bound-poststart; echo go > \($out)/fifo")],
			poststop: [hook("poststop"; $out)]}'
	quiet rt create --pid-file "$T/c.pid" --bundle "$T/c" c
	[ "$(cat "$OUT/order")" = "$(printf 'prestart\ncreateRuntime')" ]
	quiet rt start c
	wait_stopped c "$(cat "$T/c.pid")"
	quiet rt delete c
	# poststart runs in `start`, which does not wait for the container: it may come before
	# startContainer or after the program, never before the container is created
	[ "$(grep -v poststart "$OUT/order")" = "$(printf 'prestart\ncreateRuntime\nstartContainer\nprogram\npoststop')" ]
	[ "$(grep -n poststart "$OUT/order" | cut -d: -f1)" -gt 2 ]
	[ "$(grep -n poststart "$OUT/order" | cut -d: -f1)" -lt 6 ]
	# what the spec asks of each hook's state; crun's choices elsewhere (startContainer's
	# pid 0 and bundle "/", poststop's pid 0) are rvisor-runc's too
	states=$(hook_states "$(cat "$T/c.pid")" prestart createRuntime startContainer poststart poststop)
	jq -e 'all(.[]; .id == "c" and .annotation == "hooks")
		and ([.[0, 1] | .status, .pid, .bundle] == ["created", "init", "BUNDLE", "created", "init", "BUNDLE"])
		and ([.[3] | .status, .pid, .bundle] == ["running", "init", "BUNDLE"])
		and ([.[4] | .status, .bundle] == ["stopped", "BUNDLE"])' <<<"$states" || { echo "$states"; false; }
	same_as_crun hook-states "$states"
	# the config's createRuntime hook ran before the container was bound
	[ "$(cat "$OUT/bound-createRuntime")" = 0 ]
	if [ "$RT" = rvisor-runc ]; then
		[ "$(cat "$OUT/bound-poststart")" = 1 ]
	fi
	assert_nothing_left
}
@test "[crun] hooks: prestart, createRuntime, startContainer, poststart, poststop in order, with the state" { on crun; check_hooks; }
@test "[rvisor-runc] hooks: prestart, createRuntime, startContainer, poststart, poststop in order, with the state" { on rvisor-runc; check_hooks; }

# crun runs createContainer hooks from the container's init, in the namespaces, before
# pivot_root: the hook's execve is the first in the pid namespace, and the runtime's set-up goes
# on after it.
check_create_container_hook() {
	local pid states
	bundle c "$HOOK_JQ"'.process.args = ["sh", "-c", "echo program >> /out/order"]
		| .annotations = {"org.example.check": "hooks"}
		| .hooks = {createRuntime: [hook("createRuntime"; $out)],
			createContainer: [hook("createContainer"; $out; "readlink /proc/self/ns/mnt > \($out)/createContainer.mnt")],
			startContainer: [hook("startContainer"; "/out")]}'
	quiet rt create --pid-file "$T/c.pid" --bundle "$T/c" c
	pid=$(cat "$T/c.pid")
	[ "$(cat "$OUT/order")" = "$(printf 'createRuntime\ncreateContainer')" ]
	# in the container's mount namespace
	[ "$(cat "$OUT/createContainer.mnt")" = "$(readlink "/proc/$pid/ns/mnt")" ]
	[ "$(cat "$OUT/createContainer.mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	states=$(hook_states "$pid" createContainer)
	[ "$(jq -r '.[0].status' <<<"$states")" = created ]
	same_as_crun hook-createContainer "$states"
	quiet rt start c
	wait_stopped c "$pid"
	[ "$(cat "$OUT/order")" = "$(printf 'createRuntime\ncreateContainer\nstartContainer\nprogram')" ]
	quiet rt delete c
	assert_nothing_left
}
@test "[crun] hooks: createContainer, in the container's mount namespace" { on crun; check_create_container_hook; }
@test "[rvisor-runc] hooks: createContainer, in the container's mount namespace" { on rvisor-runc; check_create_container_hook; }

check_failing_hooks() {
	local h
	for h in prestart createRuntime; do
		bundle "$h" '.process.args = ["touch", "/out/ran"]
			| .hooks = {"'"$h"'": [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]}'
		status=0
		rt create --bundle "$T/$h" "$h" </dev/null >"$T/cmd.log" 2>&1 || status=$?
		# crun's own failures are 255, runc's (and so rvisor-runc's) 1
		[ "$status" -ne 0 ]
		[ "$RT" = crun ] || [ "$status" -eq 1 ]
		run rt state "$h"
		[ "$status" -ne 0 ]
		[ ! -e "$OUT/ran" ]
		assert_nothing_left
	done
}
@test "[crun] hooks: a failing prestart or createRuntime hook fails create and leaves nothing" { on crun; check_failing_hooks; }
@test "[rvisor-runc] hooks: a failing prestart or createRuntime hook fails create and leaves nothing" { on rvisor-runc; check_failing_hooks; }

# ---- the process -----------------------------------------------------------------------------

check_process() {
	# CHOWN and KILL: 0x21; ambient too, or a non-root user's execve would drop them
	bundle c '.process.args = ["sh", "-c", "printf \"%s|\" \"$0\" \"$1\"; echo; echo \"PATH=$PATH VAR=$VAR\"; pwd; id -u; id -g; id -G; ulimit -n; ulimit -Hn; grep -E \"^(NoNewPrivs|CapInh|CapPrm|CapEff|CapBnd|CapAmb):\" /proc/self/status; cat /proc/self/oom_score_adj", "a b", "c"]
		| .process.env = ["PATH=/bin:/usr/bin", "VAR=a value"]
		| .process.cwd = "/home/user"
		| .process.user = {uid: 1000, gid: 1000, additionalGids: [5, 100]}
		| .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 500, hard: 1000}]
		| .process.noNewPrivileges = true
		| .process.capabilities = (["CAP_CHOWN", "CAP_KILL"] as $c
			| {bounding: $c, effective: $c, permitted: $c, inheritable: $c, ambient: $c})
		| .process.oomScoreAdj = 123'
	run rt run --bundle "$T/c" c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' 'a b|c|' 'PATH=/bin:/usr/bin VAR=a value' /home/user 1000 1000 '1000 5 100' 500 1000 \
		$'CapInh:\t0000000000000021' $'CapPrm:\t0000000000000021' $'CapEff:\t0000000000000021' \
		$'CapBnd:\t0000000000000021' $'CapAmb:\t0000000000000021' $'NoNewPrivs:\t1' 123)" ]
	assert_nothing_left
}
@test "[crun] process: args, env, cwd, user and additionalGids, rlimits, noNewPrivileges, capabilities, oomScoreAdj" { on crun; check_process; }
@test "[rvisor-runc] process: args, env, cwd, user and additionalGids, rlimits, noNewPrivileges, capabilities, oomScoreAdj" { on rvisor-runc; check_process; }

# ---- root, mounts, namespaces ----------------------------------------------------------------

check_filesystem() {
	mkdir -p "$T/ro" "$T/rw/locked"
	echo from-host >"$T/ro/file"
	bundle c '.process.args = ["sh", "-c", "
			touch /new 2>/dev/null && echo root-writable || echo root-read-only
			echo in-tmpfs > /scratch/f && cat /scratch/f && grep \" /scratch \" /proc/mounts | cut -d\" \" -f3
			cat /ro/file; touch /ro/new 2>/dev/null && echo ro-writable || echo ro-read-only
			echo from-container > /rw/file && echo rw-written
			touch /rw/locked/new 2>/dev/null && echo locked-writable || echo locked-read-only
			echo \"motd=[$(cat /etc/motd)]\"
			hostname; cat /proc/sys/kernel/hostname"]
		| .root.readonly = true
		| .hostname = "conformance"
		| .mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"]},
			{destination: "/ro", type: "bind", source: ($t + "/ro"), options: ["rbind", "ro"]},
			{destination: "/rw", type: "bind", source: ($t + "/rw"), options: ["rbind", "rw"]}]
		| .linux.maskedPaths += ["/etc/motd"]
		| .linux.readonlyPaths += ["/rw/locked"]'
	run rt run --bundle "$T/c" c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' root-read-only in-tmpfs tmpfs from-host ro-read-only rw-written locked-read-only \
		'motd=[]' conformance conformance)" ]
	[ "$(cat "$T/rw/file")" = from-container ]
	[ ! -e "$T/ro/new" ]
	[ ! -e "$T/rw/locked/new" ]
	[ -s "$ROOTFS/etc/motd" ]
	assert_nothing_left
}
@test "[crun] root.readonly, hostname, mounts (tmpfs, bind ro and rw), maskedPaths, readonlyPaths" { on crun; check_filesystem; }
@test "[rvisor-runc] root.readonly, hostname, mounts (tmpfs, bind ro and rw), maskedPaths, readonlyPaths" { on rvisor-runc; check_filesystem; }

check_namespaces() {
	local n forward shmmax
	forward=$(cat /proc/sys/net/ipv4/ip_forward)
	shmmax=$(cat /proc/sys/kernel/shmmax)
	bundle c '.process.args = ["sh", "-c", "echo $$; for n in uts ipc net mnt pid cgroup; do readlink /proc/self/ns/$n; done; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax"]
		| .linux.namespaces += [{type: "cgroup"}]
		| .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}'
	run rt run --bundle "$T/c" c
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ] # the program is the container's pid 1
	for n in 1 2 3 4 5 6; do
		[[ "${lines[n]}" == *:\[* ]]
		[ "${lines[n]}" != "$(readlink "/proc/self/ns/${lines[n]%%:*}")" ]
	done
	[ "${lines[7]}" = 1 ]
	[ "${lines[8]}" = 123456789 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$forward" ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$shmmax" ]
	assert_nothing_left
}
@test "[crun] linux.namespaces (pid 1, own uts/ipc/net/mnt/pid/cgroup) and linux.sysctl in them" { on crun; check_namespaces; }
@test "[rvisor-runc] linux.namespaces (pid 1, own uts/ipc/net/mnt/pid/cgroup) and linux.sysctl in them" { on rvisor-runc; check_namespaces; }

check_user_namespace() {
	bundle c '.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user"]
		| .linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 1000}]'
	run rt run --bundle "$T/c" c
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ *0\ +100000\ +65536$ ]]
	[[ "${lines[1]}" =~ ^\ *0\ +200000\ +1000$ ]]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" != "$(readlink /proc/self/ns/user)" ]
	assert_nothing_left
}
@test "[crun] linux.uidMappings and gidMappings in a user namespace" { on crun; check_user_namespace; }
@test "[rvisor-runc] linux.uidMappings and gidMappings in a user namespace" { on rvisor-runc; check_user_namespace; }

# ---- resources, devices, seccomp -------------------------------------------------------------

check_resources() {
	local cg pid
	cg=/sys/fs/cgroup/occ-$RT-c
	bundle c '.process.args = ["sleep", "60"]
		| .linux.resources.pids = {limit: 17}
		| .linux.resources.memory = {limit: 33554432}
		| .linux.resources.cpu = {shares: 512}
		| .linux.devices = [{path: "/dev/kmsg", type: "c", major: 1, minor: 11, fileMode: 438, uid: 0, gid: 0}]'
	quiet rt run -d --pid-file "$T/c.pid" --bundle "$T/c" c
	pid=$(cat "$T/c.pid")
	[ "$(cat "/proc/$pid/cgroup")" = "0::/occ-$RT-c" ]
	[ "$(cat "$cg/pids.max")" = 17 ]
	[ "$(cat "$cg/memory.max")" = 33554432 ]
	# cgroup v2 has no shares: crun maps them to a weight (1024, the default, to 100)
	[ "$(cat "$cg/cpu.weight")" -lt 100 ]
	same_as_crun cpu-weight "$(cat "$cg/cpu.weight")"
	# the default devices are usable, a device node the cgroup does not allow is not
	run rt exec c sh -c 'echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | wc -c; ls -l /dev/kmsg | cut -c1; cat /dev/kmsg; echo kmsg=$?'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' null-ok 3 c "cat: can't open '/dev/kmsg': Operation not permitted" kmsg=1)" ]
	quiet rt delete --force c
	[ ! -d "$cg" ]
	assert_nothing_left
}
@test "[crun] linux.resources (pids, memory, cpu shares) in cgroupsPath; linux.devices and the device cgroup" { on crun; check_resources; }
@test "[rvisor-runc] linux.resources (pids, memory, cpu shares) in cgroupsPath; linux.devices and the device cgroup" { on rvisor-runc; check_resources; }

check_seccomp() {
	bundle c '.process.args = ["sh", "-c", "mkdir /out/d; echo mkdir=$?; touch /out/f; echo touch=$?; grep ^Seccomp: /proc/self/status"]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	run rt run --bundle "$T/c" c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' "mkdir: can't create directory '/out/d': Operation not permitted" mkdir=1 touch=0 $'Seccomp:\t2')" ]
	[ ! -e "$OUT/d" ]
	assert_nothing_left
}
@test "[crun] linux.seccomp: the profile's ERRNO rule refuses mkdir, the rest is allowed" { on crun; check_seccomp; }
@test "[rvisor-runc] linux.seccomp: the profile's ERRNO rule refuses mkdir, the rest is allowed" { on rvisor-runc; check_seccomp; }

# ---- what rvisor-runc does otherwise on purpose ----------------------------------------------

check_on_purpose() {
	bundle c '.process.args = ["sh", "-c", "mount -t tmpfs none /tmp 2>/dev/null; echo mount=$?; unshare -u true 2>/dev/null; echo unshare=$?; grep ^NoNewPrivs: /proc/self/status"]
		| .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])
		| .process.noNewPrivileges = false'
	run rt run --bundle "$T/c" c
	[ "$status" -eq 0 ]
	if [ "$RT" = crun ]; then
		[ "$output" = "$(printf 'mount=0\nunshare=0\nNoNewPrivs:\t0')" ]
	else
		# see the top of this file
		[[ "${lines[0]}" == mount=* && "${lines[0]}" != mount=0 ]]
		[[ "${lines[1]}" == unshare=* && "${lines[1]}" != unshare=0 ]]
		[ "${lines[2]}" = $'NoNewPrivs:\t1' ]
	fi
	assert_nothing_left
}
@test "[crun] the container's own mounts and namespaces (CAP_SYS_ADMIN); noNewPrivileges false" { on crun; check_on_purpose; }
@test "[rvisor-runc] on purpose: the container's own mounts and namespaces are refused, noNewPrivileges is forced" { on rvisor-runc; check_on_purpose; }

@test "the kernel log stayed clean (oci-conformance.bats)" {
	kernel_log_clean
}
