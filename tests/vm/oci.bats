#!/usr/bin/env bats
# rvisor-runc, the OCI runtime, with the kernel layer: crun makes the containers, rvisord binds
# their pid namespaces to kernel sandboxes armed at the first execve (docs/oci.md). Run as
# root with a private crun root, and as alice (rootless) with hers.
bats_require_minimum_version 1.5.0

load lib

SOCK=/run/rvisor/io.rvisor.Manager
RECORDS=/run/rvisor/sandboxes/.containers

setup_file() {
	load_module
	kernel_log_mark
	export ROOTFS=/tmp/oci-rootfs RUNC_ROOT=/tmp/oci-crun-root
	[ -d "$ROOTFS" ] || BUSYBOX=/bin/busybox make-busybox-image "$ROOTFS"
	mkdir -p /etc/rvisor/policies
	sed 's/^memory *=.*/memory = 48M/' /etc/rvisor/policies/default.conf >/etc/rvisor/policies/small.conf
	sed 's/^layers *=.*/layers = kernel/' /etc/rvisor/policies/default.conf >/etc/rvisor/policies/gate-only.conf
	start_rvisord oci
}

teardown_file() {
	stop_rvisord oci
	unload_module
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# Nothing of a container may outlive it: crun state, rvisor-runc's rewritten configs, bound
# containers and their records, kernel sandboxes (each holds a reference to the module).
teardown() {
	local id
	for id in $(crun --root "$RUNC_ROOT" list -q 2>/dev/null); do
		rvisor-runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1
	done
	for _ in $(seq 100); do [ "$(cat /sys/module/rvisor/refcnt)" = 1 ] && break; sleep 0.05; done
}

assert_nothing_left() {
	[ -z "$(crun --root "$RUNC_ROOT" list -q 2>/dev/null)" ]
	for _ in $(seq 100); do [ "$(cat /sys/module/rvisor/refcnt)" = 1 ] && break; sleep 0.05; done
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ] # the daemon's descriptor only
	[ "$(rvisorctl ps --json | jq '[.sandboxes[] | select(.container)] | length')" = 0 ]
	[ -z "$(ls -A "$RECORDS" 2>/dev/null)" ]
	# Nothing inside rvisor-runc's per-root directories (other suites' roots may have one).
	[ -z "$(find /run/rvisor-runc -mindepth 2 2>/dev/null)" ]
}

# bundle DIR [JQ-FILTER]: a busybox bundle whose config.json is crun's template, without a
# terminal, with FILTER applied (e.g. '.process.args = ["true"]').
bundle() {
	mkdir -p "$1"
	ln -sfn "$ROOTFS" "$1/rootfs"
	(cd "$1" && crun spec && jq ".process.terminal = false | ${2:-.}" config.json >c && mv c config.json)
}

runc() {
	rvisor-runc --root "$RUNC_ROOT" "$@"
}

# vr USER MESSAGE [FD-SPEC]: one varlink call as USER (root, alice, bob) with varlink-raw,
# sending FD-SPEC's descriptor (pidfd:PID, a path); the replies are printed.
vr() {
	local fd=()
	[ -z "${3:-}" ] || fd=(--fd "$3")
	printf '%s\0' "$2" | setpriv --reuid="$1" --regid="$1" --init-groups varlink-raw "${fd[@]}" "$SOCK"
}

# bind_call CONTAINER [MORE-PARAMETERS]: a BindContainer message.
bind_call() {
	echo "{\"method\":\"io.rvisor.Manager.BindContainer\",\"parameters\":{\"container\":\"$1\",\"bundle\":\"/b\",\"command\":[\"x\"]${2:-}}}"
}

# container_field ID JQ: a field of the bound container's Sandbox in rvisorctl ps --json.
container_field() {
	rvisorctl ps --json | jq -r ".sandboxes[] | select(.container == \"$1\") | $2"
}

@test "run: a container prints through the kernel layer, exit codes propagate" {
	bundle "$T/b" '.process.args = ["sh", "-c", "echo hello; uname -s"]'
	run runc run --bundle "$T/b" c1
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'hello\nLinux')" ]
	bundle "$T/b7" '.process.args = ["sh", "-c", "exit 7"]'
	run runc run --bundle "$T/b7" c7
	[ "$status" -eq 7 ]
	assert_nothing_left
}

@test "create/start/state/kill/delete: bound at create, armed at the exec, released at delete" {
	bundle "$T/b" '.process.args = ["sleep", "60"] | .hostname = "web"'
	runc create --bundle "$T/b" c2
	run runc state c2
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r '.annotations["io.rvisor.policy"]' <<<"$output")" = default ]
	[ "$(jq -r '.annotations["io.rvisor.layers"]' <<<"$output")" = kernel,seccomp ]
	[ "$(container_field c2 .name)" = c2 ]
	[ "$(container_field c2 .platform)" = kernel ]
	[ "$(container_field c2 .image)" = "$T/b" ]
	[ "$(container_field c2 '.command | join(" ")')" = "sleep 60" ]
	pid=$(runc state c2 | jq -r .pid)
	[ "$(container_field c2 .pid)" = "$pid" ]
	[ -f "$RECORDS/$(ls "$RECORDS")" ]
	runc start c2
	[ "$(runc state c2 | jq -r .status)" = running ]
	runc kill c2 KILL
	for _ in $(seq 100); do [ "$(runc state c2 | jq -r .status)" = stopped ] && break; sleep 0.05; done
	# the init's exit released the kernel sandbox; delete finds nothing left to release
	for _ in $(seq 100); do [ -z "$(container_field c2 .id)" ] && break; sleep 0.05; done
	[ -z "$(container_field c2 .id)" ]
	runc delete c2
	assert_nothing_left
}

@test "a syscall the policy denies fails inside the container and shows in rvisorctl stats" {
	# An engine seccomp profile that allows everything: the gate is rvisor's only layer, and
	# sees (and counts) the denied mount.
	bundle "$T/b" '.process.args = ["sh", "-c", "mount -t tmpfs none /mnt 2>/dev/null; echo rc=$?; sleep 60"]
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
	runc run -d --bundle "$T/b" c3 >"$T/out" 2>&1 </dev/null
	[ "$(runc state c3 | jq -r '.annotations["io.rvisor.layers"]')" = kernel ]
	id=$(container_field c3 .id)
	[ -n "$id" ]
	for _ in $(seq 100); do
		[ "$(rvisorctl stats "$id" --json | jq '[.syscalls[] | select(.name == "mount") | .denied] | add // 0')" = 1 ] && break
		sleep 0.05
	done
	run rvisorctl stats "$id" --json
	[ "$(jq '[.syscalls[] | select(.name == "mount") | .denied] | add' <<<"$output")" = 1 ]
	# crun's own set-up (pivot_root, mounts, capabilities) ran before the arming exec
	[ "$(jq '[.syscalls[] | select(.name == "pivot_root")] | length' <<<"$output")" = 0 ]
	[ "$(jq '[.syscalls[] | select(.name == "execve") | .passed] | add' <<<"$output")" -ge 1 ]
	runc delete --force c3
	assert_nothing_left
}

@test "without an engine profile the policy's filter is the second layer and refuses too" {
	bundle "$T/b" '.process.args = ["sh", "-c", "mount -t tmpfs none /mnt 2>&1; echo rc=$?"]'
	run runc run --bundle "$T/b" c4
	echo "$output"
	[[ "$output" == *"rc=1"* || "$output" == *"rc=255"* ]]
	[[ "$output" == *"ermission"* ]]
	assert_nothing_left
}

@test "exec into a running container is gated, its runtime set-up is not" {
	bundle "$T/b" '.process.args = ["sleep", "60"] | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
	runc run -d --bundle "$T/b" c5 </dev/null >/dev/null 2>&1
	run runc exec c5 sh -c 'echo inside; mount -t tmpfs none /mnt 2>/dev/null; echo rc=$?'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'inside\nrc=255')" ] || [ "$output" = "$(printf 'inside\nrc=1')" ]
	id=$(container_field c5 .id)
	[ "$(rvisorctl stats "$id" --json | jq '[.syscalls[] | select(.name == "mount") | .denied] | add')" = 1 ]
	# crun exec's set-up in the namespace (capabilities, prctl, setns of the rest) was not judged
	[ "$(rvisorctl stats "$id" --json | jq '[.syscalls[] | select(.name == "setns" or .name == "prctl") | .denied] | add // 0')" = 0 ]
	runc delete --force c5
	assert_nothing_left
}

@test "io.rvisor.policy picks the policy; its limits apply only where the spec sets none" {
	bundle "$T/b" '.process.args = ["sleep", "60"] | .annotations["io.rvisor.policy"] = "small"'
	runc run -d --bundle "$T/b" c6 </dev/null >/dev/null 2>&1
	[ "$(runc state c6 | jq -r '.annotations["io.rvisor.policy"]')" = small ]
	[ "$(container_field c6 .policy)" = small ]
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$(runc state c6 | jq -r .pid)/cgroup")
	[ "$(cat "$cg/memory.max")" = $((48 * 1024 * 1024)) ]
	[ "$(cat "$cg/pids.max")" = 1024 ]
	runc delete --force c6
	bundle "$T/b2" '.process.args = ["sleep", "60"] | .annotations["io.rvisor.policy"] = "small"
		| .linux.resources.memory.limit = 20971520'
	runc run -d --bundle "$T/b2" c6b </dev/null >/dev/null 2>&1
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$(runc state c6b | jq -r .pid)/cgroup")
	[ "$(cat "$cg/memory.max")" = 20971520 ]
	runc delete --force c6b
	assert_nothing_left
}

@test "the engine's limits are what the emulated sysinfo and sched_getaffinity answer (free, nproc)" {
	echo +cpu >/sys/fs/cgroup/cgroup.subtree_control # for crun's cpu.max
	cp /usr/local/bin/sc "$ROOTFS/bin/sc" # static: runs in the busybox image
	bundle "$T/b" '.process.args = ["sh", "-c", "sc sysinfo; nproc"]
		| .linux.resources.memory.limit = 67108864 | .linux.resources.cpu = {quota: 100000, period: 100000}'
	run runc run --bundle "$T/b" c-lim
	rm -f "$ROOTFS/bin/sc"
	echo "$output"
	[ "$status" -eq 0 ]
	read -r _ _ total _ <<<"${lines[0]}"
	[ "$total" = totalram=67108864 ] # the engine's limit, not the policy's 512M
	[ "${lines[1]}" = 1 ]             # nproc: sched_getaffinity, cut to the one CPU of the quota
	[ "$(nproc)" = 2 ]
	assert_nothing_left
}

@test "a container whose processes all died, and kill --all, release the kernel sandbox" {
	bundle "$T/b" '.process.args = ["true"]'
	runc run -d --bundle "$T/b" c8 </dev/null >/dev/null 2>&1
	for _ in $(seq 100); do [ -z "$(container_field c8 .id)" ] && break; sleep 0.05; done
	[ -z "$(container_field c8 .id)" ]
	runc delete c8
	bundle "$T/b2" '.process.args = ["sh", "-c", "sleep 60 & sleep 60"]'
	runc run -d --bundle "$T/b2" c9 </dev/null >/dev/null 2>&1
	[ -n "$(container_field c9 .id)" ]
	runc kill --all c9 KILL
	for _ in $(seq 100); do [ -z "$(container_field c9 .id)" ] && break; sleep 0.05; done
	[ -z "$(container_field c9 .id)" ]
	runc delete c9
	assert_nothing_left
}

@test "rvisord restarting loses nothing: the container is re-adopted and still gated" {
	bundle "$T/b" '.process.args = ["sleep", "60"] | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
	runc run -d --bundle "$T/b" c10 </dev/null >/dev/null 2>&1
	stop_rvisord oci
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ] # the container's sandbox, no manager
	start_rvisord oci
	[ "$(container_field c10 .policy)" = default ]
	grep -q "Adopted container c10" /tmp/oci-rvisord.log
	run runc exec c10 sh -c 'mount -t tmpfs none /mnt 2>/dev/null; echo rc=$?'
	[ "$output" != rc=0 ]
	id=$(container_field c10 .id)
	[ "$(rvisorctl stats "$id" --json | jq '[.syscalls[] | select(.name == "mount") | .denied] | add')" = 1 ]
	runc delete --force c10
	assert_nothing_left
}

@test "a record of a container that ended while rvisord was away is dropped at restart" {
	bundle "$T/b" '.process.args = ["sleep", "60"]'
	runc run -d --bundle "$T/b" c11 </dev/null >/dev/null 2>&1
	stop_rvisord oci
	crun --root "$RUNC_ROOT" kill c11 KILL
	for _ in $(seq 100); do [ "$(crun --root "$RUNC_ROOT" state c11 | jq -r .status)" = stopped ] && break; sleep 0.05; done
	start_rvisord oci
	[ -z "$(container_field c11 .id)" ]
	grep -q "Container c11 of uid 0 has ended" /tmp/oci-rvisord.log
	runc delete c11
	assert_nothing_left
}

@test "bad input: invalid config.json, unknown policy, id in use, unknown container: runc's exit 1" {
	mkdir -p "$T/bad"
	ln -sfn "$ROOTFS" "$T/bad/rootfs"
	echo '{ not json' >"$T/bad/config.json"
	run runc create --bundle "$T/bad" bad1
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	bundle "$T/b" '.process.args = ["sleep", "60"] | .annotations["io.rvisor.policy"] = "no-such-policy"'
	run runc create --bundle "$T/b" bad2
	[ "$status" -eq 1 ]
	[[ "$output" == *no-such-policy* ]]
	bundle "$T/b3" '.process.args = ["sleep", "60"]'
	runc create --bundle "$T/b3" dup
	run runc create --bundle "$T/b3" dup
	[ "$status" -eq 1 ]
	runc delete --force dup
	for cmd in start state "kill" delete; do
		run runc $cmd no-such-container
		[ "$status" -eq 1 ]
	done
	assert_nothing_left
}

@test "BindContainer refuses what is not a container of the caller's" {
	run vr root "$(bind_call x1)"
	[[ "$output" == *BadFileDescriptor* ]]
	run vr root "$(bind_call x1)" /etc/passwd
	[[ "$output" == *'not a pidfd'* ]]
	sleep 60 &
	plain=$!
	run vr root "$(bind_call x1)" "pidfd:$plain"
	[[ "$output" == *SandboxFailed* && "$output" == *'pid 1'* ]]
	run vr root "$(bind_call ../x)" "pidfd:$plain"
	[[ "$output" == *InvalidParameter* ]]
	run vr root "$(bind_call x1 ",\"hostname\":\"$(printf 'h%.0s' $(seq 70))\"")" "pidfd:$plain"
	[[ "$output" == *InvalidParameter* ]]
	kill "$plain"
	run vr root '{"method":"io.rvisor.Manager.ReleaseContainer","parameters":{"container":"x1"}}'
	[[ "$output" == *ContainerNotFound* ]]
	# a root container: alice may not bind (or so learn about) it
	bundle "$T/b" '.process.args = ["sleep", "60"]'
	runc create --bundle "$T/b" rootc
	pid=$(runc state rootc | jq -r .pid)
	run vr alice "$(bind_call rootc)" "pidfd:$pid"
	[[ "$output" == *PermissionDenied* ]]
	# the same namespace twice: it is bound already
	run vr root "$(bind_call other)" "pidfd:$pid"
	[[ "$output" == *SandboxFailed* && "$output" == *'bound to a sandbox already'* ]]
	run vr root "$(bind_call rootc)" "pidfd:$pid"
	[[ "$output" == *ContainerExists* ]]
	runc delete --force rootc
	assert_nothing_left
}

@test "rootless: alice's container is bound for her; bob cannot bind it" {
	export XDG_RUNTIME_DIR=/tmp/alice-run
	mkdir -p /tmp/alice-run /tmp/alice-b
	chown alice:alice /tmp/alice-run /tmp/alice-b
	as_alice() { setpriv --reuid=alice --regid=alice --init-groups env XDG_RUNTIME_DIR=/tmp/alice-run "$@"; }
	as_alice sh -c "cd /tmp/alice-b && ln -sfn $ROOTFS rootfs && crun spec --rootless && jq '.process.terminal = false | .process.args = [\"sh\", \"-c\", \"id -u; sleep 60\"]' config.json >c && mv c config.json"
	as_alice rvisor-runc --root /tmp/alice-run/crun run -d --bundle /tmp/alice-b ac </dev/null >/dev/null 2>&1
	pid=$(as_alice rvisor-runc --root /tmp/alice-run/crun state ac | jq -r .pid)
	[ "$(rvisorctl ps --json | jq -r '.sandboxes[] | select(.container == "ac") | .owner_uid')" = 1000 ]
	[ "$(as_alice rvisorctl ps --json | jq -r '.sandboxes[] | select(.container == "ac") | .userns')" = true ]
	run vr bob "$(bind_call steal)" "pidfd:$pid"
	[[ "$output" == *PermissionDenied* ]]
	[ -z "$(setpriv --reuid=bob --regid=bob --init-groups rvisorctl ps --json | jq -r '.sandboxes[] | select(.container == "ac") | .id')" ]
	as_alice rvisor-runc --root /tmp/alice-run/crun delete --force ac
	for _ in $(seq 100); do [ "$(cat /sys/module/rvisor/refcnt)" = 1 ] && break; sleep 0.05; done
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ]
	[ -z "$(ls -A "$RECORDS" 2>/dev/null)" ]
}

@test "the kernel log stayed clean (oci.bats)" {
	kernel_log_clean
}
