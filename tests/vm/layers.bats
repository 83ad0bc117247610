#!/usr/bin/env bats
# The syscall policy, twice (docs/security.md): with rvisor.ko loaded a sandbox gets the gate
# and the policy's seccomp filter, and a policy's layers = kernel | seccomp forces one of them
# off. Whatever the policy refuses, each layer refuses alone and both refuse together; what it
# allows works under each; only the gate counts, and it counts only what reaches it (seccomp
# runs first at syscall entry).
bats_require_minimum_version 1.5.0

load lib

LAYERS=(both kernel seccomp)

setup_file() {
	load_module
	kernel_log_mark
	export IMAGE=/tmp/layers-image RVISOR_SOCKET=/run/rvisor/io.rvisor.Manager
	[ -d "$IMAGE" ] || BUSYBOX=/bin/busybox make-busybox-image "$IMAGE"
	# sc makes exactly the syscall it is told to (tests/vm/helpers/sc.c); static
	cp /usr/local/bin/sc "$IMAGE/bin/sc"
	local p=/etc/rvisor/policies l
	for l in "${LAYERS[@]}"; do
		sed "s/^layers *=.*/layers = $l/" $p/default.conf >"$p/layers-$l.conf"
		# KILL for a syscall default.conf does not list (migrate_pages)
		sed "s/^layers *=.*/layers = $l/; s/^\[syscalls\]/&\nkill = migrate_pages/" \
			$p/default.conf >"$p/kill-$l.conf"
		# LOG for another (move_pages): it runs, and the gate reports it
		sed "s/^layers *=.*/layers = $l/; s/^\[syscalls\]/&\nlog = move_pages/" \
			$p/default.conf >"$p/log-$l.conf"
	done
	grep -q '^layers = kernel$' $p/layers-kernel.conf
	grep -q '^kill = migrate_pages$' $p/kill-both.conf
	start_rvisord layers
}

teardown_file() {
	stop_rvisord layers
	rm -f /etc/rvisor/policies/layers-*.conf /etc/rvisor/policies/kill-*.conf /etc/rvisor/policies/log-*.conf
	unload_module
}

# inl LAYERS COMMAND...: runs COMMAND in a sandbox of default.conf with that layers setting.
inl() {
	local l=$1
	shift
	rvisorctl run --policy "layers-$l" --image "$IMAGE" -- "$@"
}

@test "status: with rvisor.ko a sandbox gets the gate and the seccomp filter" {
	run rvisorctl status --json
	[ "$(jq -c .layers <<<"$output")" = '["kernel","seccomp"]' ]
	[ "$(jq -r .platform <<<"$output")" = kernel ]
	run rvisorctl status
	[[ "$output" == *"platform kernel (layers kernel+seccomp)"* ]]
}

@test "mount (deny) is refused with EPERM by the gate alone, the filter alone and both" {
	for l in "${LAYERS[@]}"; do
		run inl "$l" sc raw 165 # mount(2), x86-64
		echo "$l: $status $output"
		[ "$status" -eq 1 ]
		[ "$output" = EPERM ]
		run inl "$l" sh -c 'mount -t tmpfs x /mnt 2>&1; echo rc=$?'
		[[ "$output" == *"permission denied"* && "$output" != *rc=0* ]]
	done
}

@test "argument rules refuse under each layer: netlink audit, unshare(CLONE_NEWNS), clone3, TIOCSTI, ADDR_NO_RANDOMIZE" {
	for l in "${LAYERS[@]}"; do
		run inl "$l" sc socket NETLINK RAW 9
		echo "$l: socket NETLINK audit: $output"
		[ "$output" = EPERM ]
		run inl "$l" sc socket NETLINK RAW 0
		[[ "$output" == ok* ]]
		run inl "$l" sc raw 135 0x40000
		[ "$output" = EPERM ]
		run inl "$l" sc raw 135 8
		[[ "$output" == ok* ]]
		run inl "$l" sc socket UNIX
		[[ "$output" == ok* ]]
		run inl "$l" sc unshare NEWNS
		[ "$output" = EPERM ]
		run inl "$l" sc unshare FILES
		[[ "$output" == ok* ]]
		run inl "$l" sc clone3
		[ "$output" = ENOSYS ]
		run inl "$l" sc ioctl 0x5412 # TIOCSTI, on /dev/ptmx: not in default.conf's list
		[ "$output" = ENOTTY ]
		run inl "$l" sc ioctl TIOCGPTN
		[[ "$output" == ok* ]]
	done
}

@test "ia32 and x32 calls are ENOSYS under each layer" {
	for l in "${LAYERS[@]}"; do
		run inl "$l" sc int80-getpid
		echo "$l: int80: $output"
		[ "$output" = ENOSYS ]
		run inl "$l" sc x32-getpid
		[ "$output" = ENOSYS ]
	done
}

@test "what the policy allows works under each layer; the emulated uname keeps the sandbox's name" {
	for l in "${LAYERS[@]}"; do
		run inl "$l" sh -c 'echo a b c | wc -w; sc getppid; uname -n; ls / >/dev/null && echo listed'
		echo "$l: $output"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = 3 ]
		[[ "${lines[1]}" == "ok "* ]]
		[ "${lines[2]}" = sandbox ]
		[ "${lines[3]}" = listed ]
	done
	[ "$(uname -n)" = rvisor-vm ]
}

@test "KILL kills under each layer: SIGKILL from the gate, SIGSYS from the filter (first with both)" {
	run rvisorctl run --policy kill-kernel --image "$IMAGE" -- sc raw 256 # migrate_pages
	[ "$status" -eq 137 ]
	run rvisorctl run --policy kill-seccomp --image "$IMAGE" -- sc raw 256
	[ "$status" -eq 159 ]
	run rvisorctl run --policy kill-both --image "$IMAGE" -- sc raw 256
	[ "$status" -eq 159 ]
	# a syscall the policy allows still works there
	run rvisorctl run --policy kill-both --image "$IMAGE" -- sc getppid
	[ "$status" -eq 0 ]
}

# workload_pid NAME: the host pid of sandbox NAME's workload.
workload_pid() {
	local init
	init=$(rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .pid")
	[ -n "$init" ] && [ "$init" != 0 ] || return 1
	cut -d' ' -f1 "/proc/$init/task/$init/children"
}

@test "LOG runs the call under each layer; the gate's record of it reaches the journal" {
	for l in "${LAYERS[@]}"; do
		# move_pages(0, 0, NULL, NULL, NULL, 0): nothing to move; it runs (what the kernel
		# answers is its business), where default.conf alone would refuse it with ENOSYS
		run rvisorctl run --name "LOG-$l" --policy "log-$l" --image "$IMAGE" -- sc raw 279
		echo "$l: $status $output"
		[ "$status" -le 1 ] && [ "$output" != ENOSYS ] && [ "$output" != EPERM ]
	done
	# The gate judges with kernel and both; without it (seccomp) the filter lets it through
	# with the kernel's audit log, and rvisord gets no record.
	for _ in $(seq 50); do grep -q "(LOG-both, uid 0): logged move_pages" /tmp/layers-rvisord.log && break; sleep 0.1; done
	grep -q "(LOG-kernel, uid 0): logged move_pages, pid " /tmp/layers-rvisord.log
	grep -q "(LOG-both, uid 0): logged move_pages, pid " /tmp/layers-rvisord.log
	! grep -q "(LOG-seccomp, uid 0): logged" /tmp/layers-rvisord.log
}

@test "each layer is where the policy says: the workload's filters, the gate's counters, the journal" {
	local l
	for l in "${LAYERS[@]}"; do
		rvisorctl run --name "L-$l" --policy "layers-$l" --image "$IMAGE" -- \
			sh -c 'sc raw 165; echo ready; exec sleep 60' >"/tmp/L-$l.out" 2>&1 3>&- &
	done
	for l in "${LAYERS[@]}"; do
		for _ in $(seq 200); do grep -q ready "/tmp/L-$l.out" 2>/dev/null && break; sleep 0.05; done
		grep -q ready "/tmp/L-$l.out"
	done

	declare -A want_layers=([both]='["kernel","seccomp"]' [kernel]='["kernel"]' [seccomp]='["seccomp"]')
	declare -A want_filters=([both]=3 [kernel]=0 [seccomp]=3)
	declare -A want_platform=([both]=kernel [kernel]=kernel [seccomp]=seccomp)
	for l in "${LAYERS[@]}"; do
		id=$(rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"L-$l\") | .id")
		[ "$(rvisorctl ps --json | jq -c ".sandboxes[] | select(.name == \"L-$l\") | .layers")" = "${want_layers[$l]}" ]
		w=$(workload_pid "L-$l")
		grep -q "^Seccomp_filters:[[:space:]]*${want_filters[$l]}\$" "/proc/$w/status"
		run rvisorctl stats "$id" --json
		echo "$l: $output" | head -c 600
		[ "$(jq -c .sandbox.layers <<<"$output")" = "${want_layers[$l]}" ]
		[ "$(jq -r .sandbox.platform <<<"$output")" = "${want_platform[$l]}" ]
		mount_denied=$(jq -r '[.syscalls[] | select(.name == "mount") | .denied] | add // 0' <<<"$output")
		execve_passed=$(jq -r '[.syscalls[] | select(.name == "execve") | .passed] | add // 0' <<<"$output")
		case $l in
		kernel) # the gate alone sees and counts the refusal
			[ "$mount_denied" -ge 1 ]
			[ "$execve_passed" -ge 1 ] ;;
		both) # the filter refused mount before the gate; the gate counts what passed it
			[ "$mount_denied" = 0 ]
			[ "$execve_passed" -ge 1 ] ;;
		seccomp) # no gate, no counters
			[ "$(jq -r '.passed + .emulated + .denied' <<<"$output")" = 0 ] ;;
		esac
		grep -q "(L-$l) started for uid 0: .*platform ${want_platform[$l]}, layers $(jq -r 'join("+")' <<<"${want_layers[$l]}"), pid" \
			/tmp/layers-rvisord.log
	done
	run rvisorctl stats "$(rvisorctl ps --json | jq -r '.sandboxes[] | select(.name == "L-both") | .id')"
	[[ "$output" == *"layers:    kernel+seccomp"* ]]
	[[ "$output" == *"denied by the gate (the seccomp filter's refusals come first and are not counted)"* ]]

	# The gate's denial records reach the journal when it is the one that refuses.
	grep -q "(L-kernel, uid 0): denied mount" /tmp/layers-rvisord.log
	! grep -q "(L-both, uid 0): denied mount" /tmp/layers-rvisord.log
	! grep -q "(L-seccomp, uid 0): denied" /tmp/layers-rvisord.log

	for l in "${LAYERS[@]}"; do
		rvisorctl kill "$(rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"L-$l\") | .id")" KILL
	done
	wait
	for _ in $(seq 100); do daemon_state_empty && break; sleep 0.05; done
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ]
}

@test "the kernel log stayed clean (layers.bats)" {
	kernel_log_clean
}
