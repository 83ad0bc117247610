# Helpers shared by the VM bats suites (run inside the guest as root).
# shellcheck disable=SC1091
source /rvisor/expected.env

RVISOR_KO=/rvisor/rvisor.ko

module_loaded() {
	[ -d /sys/module/rvisor ]
}

load_module() {
	module_loaded || insmod "$RVISOR_KO"
}

unload_module() {
	! module_loaded || rmmod rvisor
}

# kernel_log_mark, then kernel_log_clean: fails (and prints the lines) when the kernel logged
# a warning, oops or BUG in between. The ring buffer is left alone for the harness's own check.
kernel_log_mark() {
	dmesg | wc -l >"$BATS_FILE_TMPDIR/dmesg.mark"
}

kernel_log_clean() {
	local from
	from=$(cat "$BATS_FILE_TMPDIR/dmesg.mark")
	# the same judge as the harness's (tests/vm/kernel-log-problems.sh)
	! dmesg | tail -n +"$((from + 1))" | kernel-log-problems
}

# ---- sandboxes (rvisor-run, sc, rvisor-probe) ----------------------------------------------
# The gate suites run commands inside sandboxes with rvisor-run, which writes STATS as
# key=value lines (--stats FILE) and one line of key=value fields per event (--events FILE).

# Per-test setup: the module loaded, the hostname remembered, a scratch directory as $T.
rv_setup() {
	load_module
	T=$BATS_TEST_TMPDIR
	HOST_NAME=$(cat /proc/sys/kernel/hostname)
	HOST_DOMAIN=$(cat /proc/sys/kernel/domainname)
	cd "$T" || return 1
}

# Per-test teardown: nothing may outlive a test. Background helpers recorded with rv_bg are
# killed, a held device fd 7 is closed, every sandbox is destroyed and none may remain.
rv_teardown() {
	local pid
	exec 7>&-
	if [ -f "$BATS_TEST_TMPDIR/bg.pids" ]; then
		while read -r pid; do kill_tree "$pid"; done <"$BATS_TEST_TMPDIR/bg.pids"
	fi
	# A broken emulation must not leave the guest renamed for the next tests.
	[ "$(cat /proc/sys/kernel/hostname)" = "$HOST_NAME" ] || hostname "$HOST_NAME"
	echo "$HOST_DOMAIN" >/proc/sys/kernel/domainname
	module_loaded || return 0
	rvisor-run ctl destroy-all
	[ -z "$(rvisor-run ctl list)" ]
}

# kill_tree PID: SIGKILL to PID and all its descendants, the descendants first.
kill_tree() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		kill_tree "$c"
	done
	kill -9 "$1" 2>/dev/null
	return 0
}

# rv_bg CMD...: runs CMD in the background and records its pid for rv_teardown, which kills
# it and its descendants; the pid is left in $BG_PID. Its stdio and bats' fd 3 are closed:
# bats waits for every holder of fd 3 before it reports.
rv_bg() {
	"$@" </dev/null >/dev/null 2>&1 3>&- &
	BG_PID=$!
	echo "$BG_PID" >>"$BATS_TEST_TMPDIR/bg.pids"
}

# rv_detach [OPTIONS] -- COMMAND...: a detached sandbox; sets ID and INIT_PID (host pid).
rv_detach() {
	ID=$(rvisor-run --detach --pid-file "$BATS_TEST_TMPDIR/init.pid" "$@") || return 1
	INIT_PID=$(cat "$BATS_TEST_TMPDIR/init.pid")
	[ -n "$ID" ] && [ -n "$INIT_PID" ]
}

# kv FILE KEY: the value of KEY in a key=value file (the first block of a --stats file).
kv() {
	awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"
}

# ctl_stat ID KEY: one STATS value of a sandbox, read through a new manager.
ctl_stat() {
	rvisor-run ctl stats "$1" >"$BATS_TEST_TMPDIR/ctl.stats" || return 1
	kv "$BATS_TEST_TMPDIR/ctl.stats" "$2"
}

# events_count FILE FIELD=VALUE...: how many event lines have all these fields.
events_count() {
	local file=$1
	shift
	awk -v want="$*" 'BEGIN { n = split(want, w, " ") }
		{ line = " " $0 " "; ok = 1
		  for (i = 1; i <= n; i++) if (index(line, " " w[i] " ") == 0) { ok = 0; break }
		  c += ok }
		END { print c + 0 }' "$file"
}

# events_grep FILE FIELD=VALUE...: those lines.
events_grep() {
	local file=$1
	shift
	awk -v want="$*" 'BEGIN { n = split(want, w, " ") }
		{ line = " " $0 " "; ok = 1
		  for (i = 1; i <= n; i++) if (index(line, " " w[i] " ") == 0) { ok = 0; break }
		  if (ok) print }' "$file"
}

# field LINE KEY: one field of an event line.
field() {
	awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$1"
}

# wait_for CMD...: polls CMD every 50 ms for up to 10 s.
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# pid_alive PID: the task exists and is not a zombie.
pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# ns_tasks NS: the live (non-zombie) processes whose pid namespace is NS (as readlink
# /proc/PID/ns/pid prints it, e.g. "pid:[4026532281]"), one host pid a line.
ns_tasks() {
	local ns=$1 p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && pid_alive "${p#/proc/}" && echo "${p#/proc/}"
	done
	return 0
}

# child_of PID: PID's first child (host pid).
child_of() {
	local c
	c=$(cat "/proc/$1/task/$1/children") || return 1
	c=${c%% *}
	[ -n "$c" ] && echo "$c"
}

# host_uptime: whole seconds of CLOCK_BOOTTIME, rounded up.
host_uptime() {
	local u
	read -r u _ </proc/uptime
	echo $((${u%.*} + 1))
}

# lines_ge FILE N: FILE has at least N lines (for wait_for).
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# stat_is ID KEY VALUE: one STATS value of a sandbox is VALUE (for wait_for).
stat_is() {
	[ "$(ctl_stat "$1" "$2")" = "$3" ]
}

# pid_gone PID: the task has exited (a zombie counts as gone). Use this, not "! pid_alive":
# bats does not fail a test on a negated command that is not its last.
pid_gone() {
	! pid_alive "$1"
}

# list_is IDS: `rvisor-run ctl list` prints exactly IDS (for wait_for).
list_is() {
	[ "$(rvisor-run ctl list)" = "$1" ]
}

# daemon_state_empty: rvisord's state directory holds no sandbox's state: nothing but the
# (empty) records directory of bound OCI containers.
daemon_state_empty() {
	[ -z "$(ls -A /run/rvisor/sandboxes 2>/dev/null | grep -vx .containers)" ] &&
		[ -z "$(ls -A /run/rvisor/sandboxes/.containers 2>/dev/null)" ]
}

# daemon_suite_setup IMAGE: what a suite of rvisord's sandboxes starts from: the module, a
# kernel log mark, a busybox image in IMAGE, rvisord's socket in RVISOR_SOCKET and a policy
# directory for the suite's own policies.
daemon_suite_setup() {
	load_module
	kernel_log_mark
	export IMAGE=$1 RVISOR_SOCKET=/run/rvisor/io.rvisor.Manager
	[ -d "$IMAGE" ] || BUSYBOX=/bin/busybox make-busybox-image "$IMAGE"
	mkdir -p /etc/rvisor/policies
}

# daemon_nothing_left: no sandbox of the daemon is left: kernel sandboxes (the daemon's own
# descriptor is the module's only user), cgroups, state, mounts (the writable layers and
# rvisorfs) anywhere on the host.
daemon_nothing_left() {
	for _ in $(seq 50); do daemon_state_empty && break; sleep 0.05; done
	daemon_state_empty
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -name 'sandbox-*' -type d)" ]
	! grep -qE '/run/rvisor/sandboxes|rvisorfs' /proc/self/mountinfo /proc/1/mountinfo
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ]
}

# start_rvisord NAME [ARGS...]: the suite's own rvisord, its output appended to
# /tmp/NAME-rvisord.log, its pid in /tmp/NAME-rvisord.pid; returns once its socket is there.
start_rvisord() {
	local name=$1 sock=/run/rvisor/io.rvisor.Manager
	shift
	rvisord "$@" >>"/tmp/$name-rvisord.log" 2>&1 &
	echo $! >"/tmp/$name-rvisord.pid"
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || { cat "/tmp/$name-rvisord.log"; return 1; }
}

# stop_rvisord NAME: SIGTERM to that rvisord; fails unless it is gone within 5 s.
stop_rvisord() {
	local pid
	pid=$(cat "/tmp/$1-rvisord.pid")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$pid" 2>/dev/null
}
