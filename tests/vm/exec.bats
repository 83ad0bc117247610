#!/usr/bin/env bats
# rvisorctl exec with the kernel layer: a process joining a sandbox is judged by rvisor.ko's
# gate, by the sandbox's policy, from its first syscall (its set-up before its execve
# included), a syscall the policy denies fails in it exactly as in the workload, and
# rvisorctl stats counts its calls in the sandbox; it is in the sandbox's cgroup (counted in
# its pids limit); another user's sandbox is refused; an OCI container is its runtime's to
# exec into; and nothing is left: no process, kernel sandbox, cgroup or state.
bats_require_minimum_version 1.5.0

load lib

setup_file() {
	daemon_suite_setup /tmp/exec-image
	# sc makes exactly the syscall it is told to (tests/vm/helpers/sc.c); static
	cp /usr/local/bin/sc "$IMAGE/bin/sc"
	export ALICE_IMAGE=/tmp/exec-image-alice
	[ -d "$ALICE_IMAGE" ] || cp -a "$IMAGE" "$ALICE_IMAGE"
	chown -R 1000:1000 "$ALICE_IMAGE" # hers, the way rootless images are stored
	# The gate alone: every refusal is the gate's, and the gate counts every call.
	sed 's/^layers *=.*/layers = kernel/' /etc/rvisor/policies/default.conf >/etc/rvisor/policies/exec-gate.conf
	start_rvisord exec
}

teardown_file() {
	stop_rvisord exec
	rm -f /etc/rvisor/policies/exec-gate.conf
	unload_module
}

teardown() {
	local id
	[ -z "${CLIENT:-}" ] || kill -KILL "$CLIENT" 2>/dev/null || true
	for id in $(rvisorctl ps --json | jq -r '.sandboxes[] | select(.container == null) | .id'); do
		rvisorctl kill "$id" KILL || true
	done
	[ -z "${RUNC_ROOT:-}" ] || rvisor-runc --root "$RUNC_ROOT" delete --force exec-oci >/dev/null 2>&1 || true
	for _ in $(seq 100); do daemon_state_empty && break; sleep 0.05; done
	return 0
}

as() { # as USER COMMAND...
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"
}

# start_bg USER NAME RUN-ARGS...: a sandbox in the background that printed "ready".
start_bg() {
	local u=$1 name=$2
	shift 2
	as "$u" rvisorctl run --name "$name" "$@" >"/tmp/$name.out" 2>&1 3>&- &
	for _ in $(seq 200); do grep -q ready "/tmp/$name.out" 2>/dev/null && return 0; sleep 0.05; done
	cat "/tmp/$name.out"
	return 1
}

field() { # field NAME JQ: a field of root's view of sandbox NAME
	rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | $2"
}

# cmdline_pids WORDS: the live processes whose command line is WORDS (arguments joined by
# spaces), host pids; running PID WORDS: waits until there is one and puts it in PID.
cmdline_pids() {
	local p c
	for p in /proc/[0-9]*; do
		c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[ "${c% }" = "$1" ] && pid_alive "${p#/proc/}" && echo "${p#/proc/}"
	done
	return 0
}

has_cmdline() { [ -n "$(cmdline_pids "$1")" ]; }
no_cmdline() { [ -z "$(cmdline_pids "$1")" ]; }

# count NAME SYSCALL KIND: rvisorctl stats' count of SYSCALL (passed, denied, emulated).
count() {
	rvisorctl stats "$1" --json | jq "[.syscalls[] | select(.name == \"$2\") | .$3] | add // 0"
}

@test "under the gate alone: a denied syscall fails in the exec'd process as in the workload; stats count its calls" {
	start_bg root gated --policy exec-gate --image "$IMAGE" -- sh -c 'sc raw 165; echo ready; exec sleep 600'
	[ "$(head -1 /tmp/gated.out)" = EPERM ] # the workload's mount(2): the policy denies it
	[ "$(field gated '.layers | join(",")')" = kernel ]
	[ "$(count gated mount denied)" = 1 ]
	[ "$(count gated getcpu passed)" = 0 ]
	run rvisorctl exec gated sc raw 165
	[ "$status" -eq 1 ]
	[ "$output" = EPERM ]
	[ "$(count gated mount denied)" = 2 ] # the gate judged it in the sandbox
	run rvisorctl exec gated sc raw 309 # getcpu, which nothing else here calls
	[ "$status" -eq 0 ]
	[[ "$output" == ok* ]]
	[ "$(count gated getcpu passed)" = 1 ]
	# What the policy refuses by its arguments is refused too (namespaces = no).
	run rvisorctl exec gated sc unshare NEWNS
	[ "$output" = EPERM ]
}

@test "judged from its first syscall: its set-up before the execve is counted (no unjudged joiner)" {
	start_bg root first --policy exec-gate --image "$IMAGE" -- sh -c 'echo ready; exec sleep 600'
	before=$(count first rt_sigaction passed)
	execs=$(count first execve passed)
	run rvisorctl exec first /bin/sc raw 39 # getpid; by its path: one execve
	[ "$status" -eq 0 ]
	# The forked process resets every signal's disposition before its execve: dozens of
	# rt_sigaction calls, each judged and counted as the workload's were.
	[ $(($(count first rt_sigaction passed) - before)) -ge 60 ]
	[ "$(count first execve passed)" = $((execs + 1)) ]
	# The helper's own calls, outside the sandbox's pid namespace, are not the sandbox's.
	[ "$(count first setns passed)" = 0 ]
	[ "$(count first setns denied)" = 0 ]
}

@test "both layers: the exec'd process has the policy's seccomp filter too; the workload's view" {
	start_bg root both --hostname exec-host --image "$IMAGE" -- sh -c 'echo mark >/tmp/mark; echo ready; exec sleep 600'
	[ "$(field both '.layers | join(",")')" = kernel,seccomp ]
	run rvisorctl exec both sh -c 'grep -E "^Seccomp:" /proc/self/status; uname -n; cat /tmp/mark
		[ "$(grep ^Seccomp_filters: /proc/self/status)" = "$(grep ^Seccomp_filters: /proc/2/status)" ] && echo same-filters
		sc raw 165'
	[[ "${lines[0]}" =~ ^Seccomp:[[:space:]]+2$ ]]
	[ "${lines[1]}" = exec-host ] # the gate's emulated uname: the sandbox's name
	[ "${lines[2]}" = mark ]
	[ "${lines[3]}" = same-filters ]
	[ "${lines[4]}" = EPERM ]
	[ "$(count both mount denied)" = 0 ] # the filter refused it before the gate saw it
}

@test "the exec'd process is in the sandbox's cgroup and counted in its pids limit" {
	start_bg root limited --pids-limit 4 --image "$IMAGE" -- sh -c 'echo ready; exec sleep 600'
	init=$(field limited .pid)
	cg=$(cut -d: -f3 "/proc/$init/cgroup")
	rvisorctl exec limited sleep 605 3>&- &
	CLIENT=$!
	wait_for has_cmdline "sleep 605"
	p=$(cmdline_pids "sleep 605")
	[ "$(cut -d: -f3 "/proc/$p/cgroup")" = "$cg" ]
	[ "$(cat "/sys/fs/cgroup$cg/pids.current")" = 4 ] # init, workload, the exec helper and it
	# No room for another helper: refused at once.
	run rvisorctl exec limited true
	[ "$status" -eq 125 ]
	[[ "$output" == *"rvisord is out of resources: the sandbox has as many tasks as its pids limit allows"* ]]
	kill -KILL "$CLIENT"
	wait_for no_cmdline "sleep 605"
	wait_for grep -qx 2 "/sys/fs/cgroup$cg/pids.current"
	# Room for the helper only: the process it forks is refused.
	start_bg root tight --pids-limit 3 --image "$IMAGE" -- sh -c 'echo ready; exec sleep 600'
	run rvisorctl exec tight true
	[ "$status" -eq 125 ]
	[[ "$output" == *"rvisord is out of resources"*"Resource temporarily unavailable"* ]]
	run rvisorctl exec limited echo room-again
	[ "$output" = room-again ]
}

@test "alice's sandbox: her exec is gated in her user namespace; bob's is SandboxNotFound" {
	start_bg alice hers --image "$ALICE_IMAGE" -- sh -c 'echo ready; exec sleep 600'
	id=$(field hers .id)
	run as alice rvisorctl exec hers sh -c 'id -u; mount -t tmpfs x /mnt 2>&1; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	[[ "$output" == *"ermission denied"* ]]
	[[ "$output" =~ 0\ +1000\ +1 ]]
	[ "$(rvisorctl stats "$id" --json | jq -r .sandbox.platform)" = kernel ]
	run as bob rvisorctl exec "$id" touch /tmp/bob
	[ "$status" -eq 125 ]
	[[ "$output" == *"no sandbox with id $id"* ]]
	run as bob rvisorctl exec hers touch /tmp/bob
	[ "$status" -eq 125 ]
	[[ "$output" == *"no sandbox named 'hers'"* ]]
	run as alice rvisorctl exec hers ls /tmp/bob
	[ "$status" -ne 0 ]
	# root's exec into a sandbox without a user namespace (root's own) works as well
	start_bg root roots --image "$IMAGE" -- sh -c 'echo ready; exec sleep 600'
	run rvisorctl exec roots sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	[[ "$output" =~ 0\ +0\ +4294967295 ]]
}

@test "an OCI container is refused: its runtime has its own exec" {
	command -v crun >/dev/null || skip "crun is not in the guest"
	export RUNC_ROOT=/tmp/exec-crun-root
	mkdir -p "$BATS_TEST_TMPDIR/b"
	ln -sfn "$IMAGE" "$BATS_TEST_TMPDIR/b/rootfs"
	(cd "$BATS_TEST_TMPDIR/b" && crun spec && jq '.process.terminal = false | .process.args = ["sleep", "600"]' \
		config.json >c && mv c config.json)
	rvisor-runc --root "$RUNC_ROOT" create --bundle "$BATS_TEST_TMPDIR/b" exec-oci
	[ "$(rvisorctl ps --json | jq -r '.sandboxes[] | select(.container == "exec-oci") | .name')" = exec-oci ]
	run rvisorctl exec exec-oci true
	[ "$status" -eq 125 ]
	[[ "$output" == *"is an OCI container: its runtime has its own exec"* ]]
	rvisor-runc --root "$RUNC_ROOT" delete --force exec-oci
}

@test "client killed, sandbox killed: nothing of the exec is left, no kernel sandbox either" {
	start_bg root ends --image "$IMAGE" -- sh -c 'echo ready; exec sleep 600'
	rvisorctl exec ends sh -c 'sleep 607; true' 3>&- &
	CLIENT=$!
	wait_for has_cmdline "sleep 607"
	kill -KILL "$CLIENT"
	wait_for no_cmdline "sleep 607" # and its shell: the process group goes
	wait_for no_cmdline "sh -c sleep 607; true"
	rvisorctl exec ends sleep 608 >/tmp/exec-ends.out 2>&1 3>&- &
	CLIENT=$!
	wait_for has_cmdline "sleep 608"
	rvisorctl kill ends KILL
	rc=0
	wait "$CLIENT" || rc=$?
	[ "$rc" -eq 137 ]
	no_cmdline "sleep 608"
	daemon_nothing_left
	# rvisord's only children are gone with them (no exec helper left)
	[ -z "$(cat "/proc/$(cat /tmp/exec-rvisord.pid)/task/$(cat /tmp/exec-rvisord.pid)/children")" ]
}

@test "the kernel log stayed clean (exec.bats)" {
	kernel_log_clean
}
