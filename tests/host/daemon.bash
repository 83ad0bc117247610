# Starting and stopping a private rvisord for a test file: its own socket, state directory
# and policy directory under $RVISOR_TEST_DIR (default $BATS_FILE_TMPDIR), the seccomp
# platform (no module on the host).

# start_daemon [EXTRA rvisord.conf LINES...]
start_daemon() {
	export D=${RVISOR_TEST_DIR:-$BATS_FILE_TMPDIR}
	export IMAGE=$D/image
	export POLICIES=$D/policies
	mkdir -p "$POLICIES"
	cp "$ROOT"/etc/rvisor/policies/*.conf "$POLICIES/"
	[ -d "$IMAGE" ] || "$ROOT/tests/images/make-busybox-image.sh" "$IMAGE"
	{
		echo "[rvisord]"
		echo "socket_path = $D/rvisor.sock"
		echo "state_dir = $D/state"
		echo "policy_dir = $POLICIES"
		echo "idle_timeout = 0"
		printf '%s\n' "$@"
	} >"$D/rvisord.conf"
	RVISOR_DEVICE=/nonexistent/rvisor "$RVISORD" --config "$D/rvisord.conf" >"$D/rvisord.log" 2>&1 &
	echo $! >"$D/rvisord.pid"
	DAEMON_PID=$!
	for _ in $(seq 100); do
		grep -q "ready" "$D/rvisord.log" && break
		sleep 0.05
	done
	grep -q "ready" "$D/rvisord.log" || { cat "$D/rvisord.log"; return 1; }
	export RVISOR_SOCKET=$D/rvisor.sock
}

stop_daemon() {
	local pid
	pid=$(cat "${RVISOR_TEST_DIR:-$BATS_FILE_TMPDIR}/rvisord.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$pid" 2>/dev/null
}

# A test file's set-up and tear-down around a private rvisord (root only): the daemon, then
# whether its log stayed free of errors and sanitizer reports.
daemon_file_setup() {
	[ "$(id -u)" -eq 0 ] || skip "rvisord needs root"
	start_daemon "$@"
}

daemon_file_teardown() {
	stop_daemon
	grep -E 'ERROR|AddressSanitizer|runtime error' "${RVISOR_TEST_DIR:-$BATS_FILE_TMPDIR}/rvisord.log" && return 1
	return 0
}

# Nothing a sandbox needed may outlive it: state directories, mounts, processes.
assert_nothing_left() {
	local state=${RVISOR_TEST_DIR:-$BATS_FILE_TMPDIR}/state
	[ -z "$(ls -A "$state" 2>/dev/null)" ] || { ls -la "$state"; false; }
	! grep -q "$state" /proc/self/mountinfo
}

# rv ARGS...: rvisorctl run against the private daemon and image.
rv() {
	"$RVISORCTL" run --image "$IMAGE" "$@"
}
