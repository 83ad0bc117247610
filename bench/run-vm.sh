#!/bin/bash
# The benchmarks, run inside the rvisor VM (tests/vm/init, rvisorvm=bench) as root: loads
# rvisor.ko if needed and prints five Markdown tables (views comes third: it runs its own
# rvisord before the startup table starts one).
#  1. syscalls: rvisor against native, one row per comparison, each measured by
#     `syscall-bench compare` (baseline and rvisor interleaved repetition by repetition).
#  2. layers: the default policy's two layers, rvisor.ko's gate and the seccomp filter, each
#     alone and both, and the filter with the kernel's cache defeated, against native
#     (`syscall-bench compare layers`, the five interleaved).
#  3. startup: `true` in a sandbox, end to end, natively and with rvisor (rvisorctl run
#     through an rvisord started here), bwrap, crun (also with docker's default seccomp
#     profile) and firejail, measured by `syscall-bench exec` (the commands interleaved round
#     by round).
#  4. peers: the same runtimes side by side on syscall loops (`syscall-bench loop`, the one
#     static binary run inside each), a directory on a tmpfs of each runtime's own and in its
#     root filesystem, spawn, the startup figure, and nginx under ab; rounds interleaved,
#     medians, ratios to native.
#  5. views: /proc's files (meminfo, cpuinfo, stat, uptime, loadavg) read whole, again and
#     again, natively, through LXCFS (Debian's lxcfs, started here) and in a sandbox, where
#     rvisorfs serves them once it is bound there; rounds interleaved, medians, ratios.
# A missed target is reported, never a failure, and so is a peer runtime that cannot run here
# (an "n/a" row or cell saying why); an error (module, device, sandbox, rvisord, a benchmark
# that did not run behind the gate) exits 1.
# Environment: RVISOR_BENCH_TABLES (which tables, default "syscalls layers startup peers
# views"; peers implies startup), RVISOR_BENCH_REPS (repetitions per figure, default 15),
# RVISOR_BENCH_SCALE (multiplies every iteration count of the syscall and peer tables, default
# 1), RVISOR_BENCH_ROUNDS (the peer and views tables' rounds, default 7 and 5, the views
# table's 3 under TCG), RVISOR_BENCH_AB_N (requests per ab run, default 1500),
# RVISOR_BENCH_READS (the views table's reads of /proc/meminfo per figure, default 10000; the
# other files a tenth of that), RVISOR_BENCH_RAW (1: the peer and views tables' figures of every round too),
# RVISOR_KO (default /rvisor/rvisor.ko). Needs no rvisord running: the syscall tables open
# /dev/rvisor themselves, then the views and startup tables each start their own rvisord.
set -euo pipefail
export LC_ALL=C

reps=${RVISOR_BENCH_REPS:-15}
scale=${RVISOR_BENCH_SCALE:-1}
rounds=${RVISOR_BENCH_ROUNDS:-7}
view_rounds=${RVISOR_BENCH_ROUNDS:-}
reads=${RVISOR_BENCH_READS:-} # the views table's; its default depends on the accelerator
ab_n=${RVISOR_BENCH_AB_N:-1500}
ko=${RVISOR_KO:-/rvisor/rvisor.ko}
tables=" ${RVISOR_BENCH_TABLES:-syscalls layers startup peers views} "
tables=${tables//,/ }

fail() {
	echo "rvisor-bench: $*" >&2
	exit 1
}

[[ $reps =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_REPS must be a positive integer, not '$reps'"
[[ $scale =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_SCALE must be a positive integer, not '$scale'"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_ROUNDS must be a positive integer, not '$rounds'"
[[ $ab_n =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_AB_N must be a positive integer, not '$ab_n'"
[[ -z $reads || $reads =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_READS must be a positive integer, not '$reads'"
for t in $tables; do
	case $t in
	syscalls | layers | startup | peers | views) ;;
	*) fail "RVISOR_BENCH_TABLES: unknown table '$t' (syscalls, layers, startup, peers, views)" ;;
	esac
done
want() { [[ $tables == *" $1 "* ]]; }
# The peer table's start-up row is the startup table's figure.
if want peers; then tables+="startup "; fi
command -v syscall-bench >/dev/null || fail "syscall-bench is not in PATH ($PATH)"

loaded_here=0
if [ ! -d /sys/module/rvisor ]; then
	insmod "$ko" || fail "insmod $ko failed"
	loaded_here=1
fi
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -c /dev/rvisor ] && break
	sleep 0.1
done
[ -c /dev/rvisor ] || fail "/dev/rvisor did not appear after loading the module"

accel=TCG
dmesg | grep -q 'Hypervisor detected: KVM' && accel=KVM
# The views table reads /proc/meminfo 10,000 times per figure, in 5 rounds; under TCG, where
# one read through LXCFS takes some 3-10 ms, in 3, so that the table stays within minutes.
reads=${reads:-10000}
if [ -z "$view_rounds" ]; then
	view_rounds=5
	[ "$accel" = KVM ] || view_rounds=3
fi

if want syscalls; then
	echo "rvisor syscall benchmark: kernel $(uname -r), $accel, $(nproc) CPUs;" \
		"each figure is the median of $reps repetitions, baseline and rvisor interleaved"
	echo
	echo "| benchmark | native ns | rvisor ns | ratio | target | |"
	echo "| --- | ---: | ---: | ---: | ---: | --- |"

	rows=0 met=0 missed=0
	# row LABEL TARGET COMPARISON BENCH ITERATIONS [SYSCALL-BENCH OPTION...]
	row() {
		local label=$1 target=$2 kind=$3 bench=$4 n=$(($5 * scale))
		local opts=("${@:6}") out name native rvisor verdict

		out=$(syscall-bench -r "$reps" "${opts[@]}" compare "$kind" "$bench" "$n") ||
			fail "$label: syscall-bench -r $reps ${opts[*]} compare $kind $bench $n failed"
		read -r name native rvisor <<<"$out"
		if [ "$name" != "$bench" ] ||
			! [[ $native =~ ^[0-9]+\.[0-9]$ && $rvisor =~ ^[0-9]+\.[0-9]$ ]]; then
			fail "$label: unexpected output from syscall-bench: '$out'"
		fi
		verdict=$(awk -v a="$native" -v b="$rvisor" -v t="$target" 'BEGIN {
			if (a <= 0) { print "error"; exit }
			r = b / a
			printf "%.2fx %s\n", r, (r <= t + 0 ? "met" : "missed")
		}')
		[ "$verdict" != error ] || fail "$label: native figure is $native ns"
		printf '| %s | %s | %s | %s | <= %sx | %s |\n' "$label" "$native" "$rvisor" \
			"${verdict% *}" "$target" "${verdict#* }"
		rows=$((rows + 1))
		case $verdict in
		*" met") met=$((met + 1)) ;;
		*) missed=$((missed + 1)) ;;
		esac
	}

	# Iteration counts keep one repetition around 20-100 ms under TCG.
	row "getppid, PASS" 1.15 pass getppid 20000
	row "open+close /dev/null, PASS" 1.10 pass openclose 3000
	row "stat /rvisor, PASS" 1.10 pass stat 5000
	row "uname, PASS" 1.15 pass uname 20000
	row "uname, EMULATE" 1.2 emulate uname 20000
	# sysinfo is O(1): its cost must not grow with the sandbox's threads (nor the host's)
	row "sysinfo, EMULATE" 3 emulate sysinfo 20000
	row "sysinfo, EMULATE, 64 threads in the sandbox" 3 emulate sysinfo 20000 --threads 64
	# Host tasks take the slow syscall path while sandboxes exist, so that syscall tracers keep
	# seeing them (docs/kernel.md); spare_host_tasks=1 spares them, and blinds those tracers.
	row "getppid from the host, a sandbox exists (host tax)" 1.50 host-tax getppid 20000
	spare=/sys/module/rvisor/parameters/spare_host_tasks
	echo 1 >"$spare" || fail "cannot set $spare"
	row "getppid from the host, a sandbox exists, spare_host_tasks=1" 1.10 host-tax getppid 20000
	echo 0 >"$spare" || fail "cannot reset $spare"

	echo
	echo "rvisor-bench: $rows rows, $met met, $missed missed"
fi

# ---- the two layers: native, the gate, the seccomp filter, both -------------------------------
if want layers; then
	policy=/etc/rvisor/policies/default.conf
	[ -r "$policy" ] || fail "$policy is missing"
	echo
	echo "rvisor layers benchmark: default.conf's table in rvisor.ko's gate and as the seccomp" \
		"filter, each alone and both, and the filter with the kernel's cache defeated; each figure" \
		"is the median of $reps repetitions, the five setups interleaved"
	echo
	echo "| benchmark | native ns | gate ns | filter ns | both ns | filter, uncached ns | gate | filter | both | filter, uncached | both / gate | target | |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"

	lrows=0 lmet=0 lmissed=0
	# layer_row LABEL TARGET BENCH ITERATIONS: TARGET bounds both / gate ("-": none, reported only)
	layer_row() {
		local label=$1 target=$2 bench=$3 n=$(($4 * scale))
		local out name native gate filter both nocache cells

		out=$(syscall-bench -r "$reps" --policy "$policy" compare layers "$bench" "$n") ||
			fail "$label: syscall-bench -r $reps --policy $policy compare layers $bench $n failed"
		read -r name native gate filter both nocache <<<"$out"
		if [ "$name" != "$bench" ] || ! [[ $native =~ ^[0-9]+\.[0-9]$ && $gate =~ ^[0-9]+\.[0-9]$ &&
			$filter =~ ^[0-9]+\.[0-9]$ && $both =~ ^[0-9]+\.[0-9]$ && $nocache =~ ^[0-9]+\.[0-9]$ ]]; then
			fail "$label: unexpected output from syscall-bench: '$out'"
		fi
		cells=$(awk -v n="$native" -v g="$gate" -v f="$filter" -v b="$both" -v u="$nocache" -v t="$target" 'BEGIN {
			if (n <= 0 || g <= 0) { print "error"; exit }
			v = t == "-" ? "" : (b / g <= t + 0 ? "met" : "missed")
			printf "%.2fx | %.2fx | %.2fx | %.2fx | %.2fx | %s | %s\n", g / n, f / n, b / n, u / n, b / g,
				(t == "-" ? "-" : "<= " t "x"), v
		}')
		[ "$cells" != error ] || fail "$label: native figure is $native ns"
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$native" "$gate" "$filter" "$both" "$nocache" "$cells"
		lrows=$((lrows + 1))
		case $cells in
		*" met") lmet=$((lmet + 1)) ;;
		*" missed") lmissed=$((lmissed + 1)) ;;
		esac
	}

	# PASS syscalls without an argument rule: the kernel caches the filter's ALLOW, so the filter
	# should add next to nothing to the gate. ioctl has an argument rule: the filter runs each time.
	layer_row "getppid, PASS" 1.10 getppid 20000
	layer_row "open+close /dev/null, PASS" 1.10 openclose 3000
	layer_row "stat /rvisor, PASS" 1.10 stat 5000
	layer_row "ioctl FIONREAD, PASS with an argument rule (not cached)" - ioctl 20000

	echo
	echo "rvisor-bench layers: $lrows rows, $lmet met, $lmissed missed"
fi

# ---- rvisord, for the tables that run sandboxes as a user does -------------------------------
socket=/run/rvisor/io.rvisor.Manager
daemon_pid=
daemon_log=
lxcfs_pid= # the views table's peer, stopped on the way out too

# start_daemon LOG: rvisord as tests/vm/daemon.bats starts it (the packaged configuration and
# default policy), on the kernel layer; each table that needs it starts and stops its own.
start_daemon() {
	local status_json
	daemon_log=$1
	if [ -e "$socket" ]; then fail "$socket exists: another rvisord is running; stop it first"; fi
	rvisord >"$daemon_log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.05; done
	[ -S "$socket" ] || fail "rvisord did not listen on $socket: $(daemon_tail)"
	status_json=$(rvisorctl status --json) || fail "rvisorctl status failed: $status_json"
	[ "$(jq -r .platform <<<"$status_json")" = kernel ] ||
		fail "rvisord does not use the kernel layer: $status_json"
}

stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$daemon_pid" 2>/dev/null; then
		kill -KILL "$daemon_pid" 2>/dev/null
		daemon_pid=
		return 1
	fi
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	return 0
}
trap '[ -z "$lxcfs_pid" ] || stop_lxcfs; stop_daemon' EXIT

# The daemon's last log lines, on one line, for an error message.
daemon_tail() {
	tail -n 3 "$daemon_log" | tr '\n' ' '
}

# settle: waits (3 s at most) until the VM's CPUs have been idle for 0.3 s, so that what a
# run left to the kernel (a network namespace's cleanup, a cgroup's removal, a sandbox's
# teardown) is done before the next run measures: under TCG one host thread runs both vCPUs
# in turn, so any work on the other vCPU slows the measuring one.
settle() {
	local try u n s i w q sq st total0 idle0
	for ((try = 0; try < 10; try++)); do
		read -r _ u n s i w q sq st _ </proc/stat
		total0=$((u + n + s + i + w + q + sq + st)) idle0=$((i + w))
		sleep 0.3
		read -r _ u n s i w q sq st _ </proc/stat
		# idle for at least 95% of the interval's ticks
		[ $((100 * (i + w - idle0))) -lt $((95 * (u + n + s + i + w + q + sq + st - total0))) ] || return 0
	done
}

# sandboxes_started: how many sandboxes rvisord has logged as started with both layers.
sandboxes_started() {
	grep -c 'started for uid [0-9]*: .*platform kernel, layers kernel+seccomp' "$daemon_log" || true
}

# ---- views: /proc's files as a sandbox sees them, natively, from LXCFS and from rvisorfs ------
if want views; then
	vwork=/tmp/rvisor-bench-views
	verr=$vwork/read.err
	lxcfs_mnt=/var/lib/lxcfs
	# The native and LXCFS readers run in this cgroup, limited as the sandbox is: LXCFS then
	# answers with a container's figures, and every column's opens pay the same memory cgroup
	# charges.
	view_cg=/sys/fs/cgroup/rvisor-bench-views
	view_memory=256M
	view_limit_kb=$((256 * 1024))
	view_cols=(native lxcfs rvisorfs)
	# FILE|N: a file of /proc that LXCFS and rvisorfs both serve, and the reads per figure:
	# meminfo $reads times, the others a tenth as often (they cost about as much per read, and
	# the table has to stay within a couple of minutes under TCG).
	view_rows=(
		"meminfo|$reads"
		"cpuinfo|$((reads / 10 > 0 ? reads / 10 : 1))"
		"stat|$((reads / 10 > 0 ? reads / 10 : 1))"
		"uptime|$((reads / 10 > 0 ? reads / 10 : 1))"
		"loadavg|$((reads / 10 > 0 ? reads / 10 : 1))"
	)
	declare -A vfig vfs memtotal
	lxcfs_reason=

	lxcfs_mounted() { awk -v m="$lxcfs_mnt" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }

	# stop_lxcfs: stops the lxcfs started here, by its pid, and makes sure that its mount is
	# gone (lxcfs unmounts on SIGTERM; one that had to be killed leaves it). 1: still mounted.
	stop_lxcfs() {
		local pid=$lxcfs_pid
		lxcfs_pid=
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if lxcfs_mounted; then umount "$lxcfs_mnt" 2>/dev/null || umount -l "$lxcfs_mnt" || return 1; fi
		return 0
	}

	# start_lxcfs: lxcfs as its package's service starts it, in the foreground of a job of
	# ours (so that $! is its pid), with -l: per-cgroup load averages, as rvisorfs's loadavg.
	# Returns 1 with lxcfs_reason set where it cannot serve: its column is then n/a.
	start_lxcfs() {
		if ! command -v lxcfs >/dev/null; then
			lxcfs_reason="lxcfs is not in the initramfs (make bench fetches it: bench/fetch-peer-files.sh)"
			return 1
		fi
		if [ ! -c /dev/fuse ]; then
			lxcfs_reason="no /dev/fuse: the initramfs has no fuse module for $(uname -r)"
			return 1
		fi
		mkdir -p "$lxcfs_mnt"
		lxcfs -f -l -p "$vwork/lxcfs.pid" "$lxcfs_mnt" >"$vwork/lxcfs.log" 2>&1 &
		lxcfs_pid=$!
		for _ in $(seq 200); do
			if lxcfs_mounted && [ -r "$lxcfs_mnt/proc/meminfo" ]; then return 0; fi
			kill -0 "$lxcfs_pid" 2>/dev/null || break
			sleep 0.05
		done
		lxcfs_reason="lxcfs did not mount $lxcfs_mnt: $(grep . "$vwork/lxcfs.log" | tail -n 1 | tr '|' '/' | cut -c 1-160)"
		stop_lxcfs || fail "cannot unmount $lxcfs_mnt after lxcfs failed"
		return 1
	}

	# in_view_cgroup CMD [ARG]...: CMD in the readers' cgroup; its output in `out`, 1 if it
	# failed (why, from its error output, in `why`).
	in_view_cgroup() {
		local rc=0
		out=$(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$view_cg" "$@" 2>"$verr") || rc=$?
		why="exit status $rc: $(grep . "$verr" | tail -n 1 | tr '|' '/' | cut -c 1-160)"
		return "$rc"
	}

	# in_sandbox CMD [ARG]...: CMD in a sandbox of the VM's own root, as a user runs it (the
	# default policy), with the readers' memory limit; its output in `out`. rvisord must log
	# the sandbox as started with both layers; anything else is an error.
	in_sandbox() {
		local before rc=0
		before=$(sandboxes_started)
		out=$(rvisorctl run --memory "$view_memory" --image / -- "$@" </dev/null 2>"$verr") || rc=$?
		[ "$rc" -eq 0 ] || fail "rvisorfs: rvisorctl run -- $* failed (exit status $rc):" \
			"$(grep . "$verr" | tail -n 3 | tr '\n' ' '); rvisord: $(daemon_tail)"
		[ $(($(sandboxes_started) - before)) -eq 1 ] ||
			fail "rvisorfs: rvisord did not log the sandbox of '$*' as started with both layers"
	}

	# view_path COLUMN FILE: where the column's reader finds /proc/FILE.
	view_path() {
		if [ "$1" = lxcfs ]; then echo "$lxcfs_mnt/proc/$2"; else echo "/proc/$2"; fi
	}

	# view_run COLUMN: one run of the reader under COLUMN over every row; each figure goes to
	# its cell, and the file system that served it is noted. lxcfs failing makes its column
	# n/a; anything else failing is an error.
	view_run() {
		local col=$1 args=() row file n path ns fs k=0 out why
		[ "$col" != lxcfs ] || [ -z "$lxcfs_reason" ] || return 0
		for row in "${view_rows[@]}"; do
			IFS='|' read -r file n <<<"$row"
			args+=("$(view_path "$col" "$file")" "$n")
		done
		settle
		if [ "$col" = rvisorfs ]; then
			in_sandbox /usr/local/bin/syscall-bench -r 1 read "${args[@]}"
		elif ! in_view_cgroup syscall-bench -r 1 read "${args[@]}"; then
			[ "$col" = lxcfs ] || fail "native: syscall-bench read failed: $why"
			lxcfs_reason="reading failed: $why"
			return 0
		fi
		while read -r path ns fs; do
			IFS='|' read -r file _ <<<"${view_rows[k]:-|}"
			if [ "$path" != "$(view_path "$col" "$file")" ] || ! [[ $ns =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
				fail "$col: unexpected output from syscall-bench read: '$path $ns $fs'"
			fi
			[ -z "${vfs[$file $col]:-}" ] || [ "${vfs[$file $col]}" = "$fs" ] ||
				fail "$col: $path was served by ${vfs[$file $col]}, then by $fs"
			vfs[$file $col]=$fs
			vfig[$file $col]+="$ns "
			k=$((k + 1))
		done <<<"$out"
		[ "$k" -eq "${#view_rows[@]}" ] || fail "$col: syscall-bench read printed $k lines, not ${#view_rows[@]}"
	}

	# view_memtotal COLUMN: the MemTotal (kB) that the column's reader sees, into memtotal[].
	view_memtotal() {
		local out why
		case $1 in
		native) in_view_cgroup grep -m 1 '^MemTotal:' /proc/meminfo || fail "native: reading /proc/meminfo failed: $why" ;;
		lxcfs) in_view_cgroup grep -m 1 '^MemTotal:' "$lxcfs_mnt/proc/meminfo" || { lxcfs_reason="reading failed: $why"; return 0; } ;;
		rvisorfs) in_sandbox /bin/grep -m 1 '^MemTotal:' /proc/meminfo ;;
		esac
		read -r _ out _ <<<"$out"
		memtotal[$1]=$out
	}

	rm -rf "$vwork"
	mkdir -p "$vwork"
	# The readers' cgroup, beside rvisord's, with the controllers it enables for sandboxes.
	echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control || fail "cannot enable cgroup controllers"
	mkdir -p "$view_cg"
	echo $((view_limit_kb * 1024)) >"$view_cg/memory.max" || fail "cannot limit $view_cg's memory"
	start_daemon "$vwork/rvisord.log"
	for col in "${view_cols[@]}"; do
		[ "$col" != lxcfs ] || start_lxcfs || continue
		view_memtotal "$col"
	done
	# LXCFS must answer with the cgroup's figures, or it is not measured doing its work.
	if [ -z "$lxcfs_reason" ] && [ "${memtotal[lxcfs]}" != "$view_limit_kb" ]; then
		lxcfs_reason="lxcfs says MemTotal ${memtotal[lxcfs]} kB to a reader limited to $view_limit_kb kB"
	fi

	# Round r starts with column r mod 3 and goes round, so that drift hits all alike.
	for ((r = 0; r < view_rounds; r++)); do
		for ((j = 0; j < ${#view_cols[@]}; j++)); do
			view_run "${view_cols[(r + j) % ${#view_cols[@]}]}"
		done
	done
	lxcfs_version=
	if [ -n "$lxcfs_pid" ]; then
		lxcfs_version=$(lxcfs --version 2>&1 | tr -d '"' | head -n 1)
		stop_lxcfs || fail "cannot unmount $lxcfs_mnt"
	fi
	stop_daemon || fail "rvisord did not stop on SIGTERM"
	rmdir "$view_cg" || fail "cannot remove $view_cg"

	view_median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	view_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
	view_ns() { awk -v v="$1" 'BEGIN { printf (v >= 100 ? "%.0f" : "%.1f"), v }'; }
	echo
	echo "rvisor views benchmark: kernel $(uname -r), $accel, $(nproc) CPUs;" \
		"/proc's files read by a process in a cgroup limited to" \
		"$view_memory: native (procfs, the machine's figures), lxcfs (its FUSE view, the cgroup's" \
		"figures) and rvisorfs (in rvisorctl run --memory $view_memory); one read is open, read" \
		"to end of file, close; each figure is the median of $view_rounds runs of N reads, in ns" \
		"per read, the columns interleaved round by round, each run once the VM is idle"
	echo
	echo "| file | reads | native ns | lxcfs ns | rvisorfs ns | lxcfs / native | rvisorfs / native | rvisorfs / lxcfs | target | |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
	vrows=0 vmet=0 vmissed=0 vna=0
	declare -A vmed
	for row in "${view_rows[@]}"; do
		IFS='|' read -r file n <<<"$row"
		for col in "${view_cols[@]}"; do
			vmed[$col]=
			[ -z "${vfig[$file $col]:-}" ] || vmed[$col]=$(view_median <<<"${vfig[$file $col]}")
		done
		# lxcfs failing in a later round makes its whole column n/a: no figure of fewer rounds
		[ -z "$lxcfs_reason" ] || vmed[lxcfs]=
		lx_cell=n/a lx_ratio=- rl_ratio=-
		if [ -n "${vmed[lxcfs]}" ]; then
			lx_cell=$(view_ns "${vmed[lxcfs]}") lx_ratio=$(view_ratio "${vmed[lxcfs]}" "${vmed[native]}")
			rl_ratio=$(view_ratio "${vmed[rvisorfs]}" "${vmed[lxcfs]}")
		fi
		# a figure not served by rvisorfs says so, and gets no verdict
		rv_cell=$(view_ns "${vmed[rvisorfs]}")
		[ "${vfs[$file rvisorfs]}" = rvisorfs ] || rv_cell+=" (${vfs[$file rvisorfs]})"
		if [ "${vfs[$file rvisorfs]}" != rvisorfs ] || [ -z "${vmed[lxcfs]}" ]; then
			verdict=n/a vna=$((vna + 1))
		elif awk -v a="${vmed[rvisorfs]}" -v b="${vmed[lxcfs]}" 'BEGIN { exit !(a < b) }'; then
			verdict=met vmet=$((vmet + 1))
		else
			verdict=missed vmissed=$((vmissed + 1))
		fi
		printf '| /proc/%s | %s | %s | %s | %s | %s | %s | %s | < 1.00x | %s |\n' "$file" "$n" \
			"$(view_ns "${vmed[native]}")" "$lx_cell" "$rv_cell" "$lx_ratio" \
			"$(view_ratio "${vmed[rvisorfs]}" "${vmed[native]}")" "$rl_ratio" "$verdict"
		vrows=$((vrows + 1))
	done
	echo
	echo "- Served by (statfs of /proc/meminfo's path): native ${vfs[meminfo native]}, lxcfs" \
		"${vfs[meminfo lxcfs]:-n/a}, rvisorfs ${vfs[meminfo rvisorfs]}"
	if [ "${vfs[meminfo rvisorfs]}" != rvisorfs ]; then
		echo "- rvisorfs is not bound over the sandbox's /proc in this build: the rvisorfs column" \
			"reads procfs (behind the gate), and its rows get no verdict"
	fi
	lx_mem=n/a
	[ -z "${memtotal[lxcfs]:-}" ] || lx_mem="${memtotal[lxcfs]} kB"
	echo "- MemTotal as each reader sees it: native ${memtotal[native]} kB, lxcfs $lx_mem," \
		"rvisorfs ${memtotal[rvisorfs]} kB (the limit: $view_limit_kb kB)"
	# shellcheck disable=SC2016 # the backquotes are Markdown
	{
		printf -- '- native: `syscall-bench -r 1 read /proc/FILE N ...` in cgroup %s (memory.max %s)\n' "$view_cg" "$view_memory"
		printf -- '- lxcfs%s: `lxcfs -f -l %s`, the same reader of %s/proc/FILE in the same cgroup\n' \
			"${lxcfs_version:+ $lxcfs_version}" "$lxcfs_mnt" "$lxcfs_mnt"
		printf -- '- rvisorfs: `rvisorctl run --memory %s --image / -- syscall-bench -r 1 read /proc/FILE N ...` (default policy, both layers)\n' "$view_memory"
	}
	[ -z "$lxcfs_reason" ] || echo "- n/a: lxcfs: $lxcfs_reason"
	if [ "${RVISOR_BENCH_RAW:-0}" = 1 ]; then
		for row in "${view_rows[@]}"; do
			file=${row%%|*}
			for col in "${view_cols[@]}"; do
				[ -z "${vfig[$file $col]:-}" ] || echo "- /proc/$file, $col, every round: ${vfig[$file $col]% }"
			done
		done
	fi
	echo
	echo "rvisor-bench views: $vrows rows, $vmet met, $vmissed missed, $vna n/a"
	rm -rf "$vwork"
fi

# ---- startup: `true` in a sandbox, end to end -------------------------------------------------
if ! want startup; then
	if [ "$loaded_here" = 1 ]; then rmmod rvisor || fail "rmmod rvisor failed after the benchmark"; fi
	exit 0
fi
work=/tmp/rvisor-bench-startup
image=$work/image
fj_image=$work/image-firejail
bundle=$work/crun-bundle
bundle_sc=$work/crun-bundle-seccomp
daemon_log=$work/rvisord.log
errors=$work/exec.err
# What tests/vm/mkinitramfs.sh packed for the peer table: image-extra/ (nginx and ab with their
# libraries, laid out as in the image), docker-default.json and versions (fetch-peer-files.sh).
peer_files=/rvisor/bench
docker_profile=$peer_files/docker-default.json

# nginx_files IMAGE: the nginx row's files, the same for every runtime. One nginx process
# (master_process off: a master running as root would switch its worker to nobody, which the
# capabilities crun and bwrap leave refuse) serves a static page on 127.0.0.1:8080, without
# logs; its temporary directories are under /tmp, which every runtime makes writable, and
# belong to root (nobody is not mapped in bwrap's user namespace). No /dev/null in the script:
# native runs it chrooted into the image, which has no /dev.
nginx_files() {
	mkdir -p "$1/etc/nginx" "$1/srv/www"
	cat >"$1/etc/nginx/bench.conf" <<'EOF'
daemon off;
master_process off;
user root root;
worker_processes 1;
pid /tmp/nginx-bench.pid;
error_log stderr;
events {
	worker_connections 1024;
}
http {
	access_log off;
	client_body_temp_path /tmp/nginx-body;
	proxy_temp_path /tmp/nginx-proxy;
	fastcgi_temp_path /tmp/nginx-fastcgi;
	uwsgi_temp_path /tmp/nginx-uwsgi;
	scgi_temp_path /tmp/nginx-scgi;
	default_type text/html;
	sendfile on;
	server {
		listen 127.0.0.1:8080;
		root /srv/www;
	}
}
EOF
	# a page about the size of nginx's welcome page (615 bytes)
	awk 'BEGIN { print "<!DOCTYPE html>\n<html><body><pre>"; for (i = 0; i < 9; i++) printf "%064d\n", i
		print "</pre></body></html>" }' >"$1/srv/www/index.html"
	# The row's script: nginx, then ab -n N -c 50 against it; prints "nginx REQUESTS_PER_SECOND".
	cat >"$1/bin/bench-nginx" <<'EOF'
#!/bin/sh
/bin/nginx -e stderr -c /etc/nginx/bench.conf &
pid=$!
i=0
until /bin/wget -q --spider http://127.0.0.1:8080/; do
	i=$((i + 1))
	if [ $i -ge 300 ] || ! kill -0 $pid; then
		echo "bench-nginx: nginx did not answer" >&2
		kill $pid
		exit 1
	fi
	sleep 0.1
done
out=$(/bin/ab -q -n "$1" -c 50 http://127.0.0.1:8080/ 2>&1)
kill $pid
wait $pid
rps=$(echo "$out" | sed -n 's/^Requests per second: *\([0-9.]*\) .*/\1/p')
if [ -z "$rps" ] || ! echo "$out" | grep -q '^Failed requests: *0$' ||
	echo "$out" | grep -q '^Non-2xx responses'; then
	echo "bench-nginx: ab failed: $(echo "$out" | tail -n 3 | tr '\n' ' ')" >&2
	exit 1
fi
echo "nginx $rps"
EOF
	chmod 0755 "$1/bin/bench-nginx"
}

# docker's default profile as dockerd turns it into the OCI spec's linux.seccomp for an x86-64
# container (setupSeccomp, profiles/seccomp/seccomp_linux.go in docker): the x86-64 entry of
# its archMap, and only the syscall entries whose arches, capabilities (checked against the
# container's bounding set) and minimum kernel apply. Input: a config.json; $p: the profile.
# shellcheck disable=SC2016 # jq's variables
docker_seccomp_jq='
def holds($x): any(.[]; . == $x);
def ver: split("-")[0] | split(".") | map(tonumber);
def kernel_ge($min): ($kver | ver) >= ($min | ver);
(.process.capabilities.bounding // []) as $caps
| $p[0] as $prof
| .linux.seccomp = ({
	defaultAction: $prof.defaultAction,
	architectures: [$prof.archMap[] | select(.architecture == "SCMP_ARCH_X86_64")
		| .architecture, .subArchitectures[]],
	syscalls: [$prof.syscalls[]
		| select((.excludes.arches // []) | holds("amd64") | not)
		| select(any((.excludes.caps // [])[]; . as $c | $caps | holds($c)) | not)
		| select(.excludes.minKernel == null or (kernel_ge(.excludes.minKernel) | not))
		| select((.includes.arches // []) | length == 0 or holds("amd64"))
		| select(all((.includes.caps // [])[]; . as $c | $caps | holds($c)))
		| select(.includes.minKernel == null or kernel_ge(.includes.minKernel))
		| {names: (.names // [.name]), action}
			+ (if .args then {args} else {} end) + (if .errnoRet then {errnoRet} else {} end)]
	} + (if $prof.defaultErrnoRet then {defaultErrnoRet: $prof.defaultErrnoRet} else {} end))'

rm -rf "$work"
mkdir -p "$work"
BUSYBOX=/bin/busybox make-busybox-image "$image" >/dev/null || fail "make-busybox-image $image failed"
# Mount points: bwrap binds the image read-only as / and cannot create them there; crun
# mounts over them too. rvisor does not need them (its root is an overlay).
mkdir -p "$image/proc" "$image/dev" "$image/sys"
# The peer table's additions, in the one image every runtime runs: the loops' static binary and
# their directory in the root filesystem, and what the nginx row needs.
cp "$(command -v syscall-bench)" "$image/bin/syscall-bench"
mkdir -p "$image/bench"
nginx_reason=
if [ -x "$peer_files/image-extra/bin/nginx" ] && [ -x "$peer_files/image-extra/bin/ab" ]; then
	cp -a "$peer_files/image-extra/." "$image/"
	nginx_files "$image"
else
	nginx_reason="nginx or ab is not in the initramfs (make deps installs ab; bench/fetch-peer-files.sh fetches nginx)"
fi
# firejail --chroot wants /var and /var/tmp and writes /run/firejail into its root, so it gets
# a copy of the image of its own.
cp -a "$image" "$fj_image"
mkdir -p "$fj_image/var/tmp"

start_daemon "$daemon_log"

names=(native rvisor bwrap crun crun-seccomp firejail)
declare -A cmd what reason median

# crun: the OCI bundle `crun spec` makes (namespaces, cgroup, masked paths, capabilities),
# rooted at the image, running /bin/true without a terminal. crun-seccomp: the same with
# docker's default seccomp profile, which is what a container of docker's runs under.
crun_id="rvisor-bench"
docker_version=$(sed -n 's/^golang-github-docker-docker-dev \([^+-]*\).*/\1/p' "$peer_files/versions" 2>/dev/null || true)
if command -v crun >/dev/null; then
	mkdir -p "$bundle" "$bundle_sc"
	if ! out=$(cd "$bundle" && crun spec 2>&1); then
		reason[crun]="crun spec failed: $(grep . <<<"$out" | tail -n 1 | tr '|' '/' | cut -c 1-160)"
		reason[crun-seccomp]=${reason[crun]}
	elif ! jq --arg root "$image" '.root.path = $root | .process.args = ["/bin/true"] |
		.process.terminal = false' "$bundle/config.json" >"$bundle/config.json.new"; then
		reason[crun]="jq could not edit the config.json of crun spec"
		reason[crun-seccomp]=${reason[crun]}
	else
		mv "$bundle/config.json.new" "$bundle/config.json"
		if [ ! -r "$docker_profile" ]; then
			reason[crun-seccomp]="docker's seccomp profile is not in the initramfs (bench/fetch-peer-files.sh)"
		elif ! jq --slurpfile p "$docker_profile" --arg kver "$(uname -r)" "$docker_seccomp_jq" \
			"$bundle/config.json" >"$bundle_sc/config.json"; then
			reason[crun-seccomp]="jq could not turn docker's profile into config.json's linux.seccomp"
		fi
	fi
else
	reason[crun-seccomp]="crun is not in the initramfs (make deps installs it)"
fi
cmd[native]="/bin/true"
cmd[rvisor]="rvisorctl run --image $image -- /bin/true"
cmd[bwrap]="bwrap --ro-bind $image / --proc /proc --dev /dev --unshare-all --die-with-parent /bin/true"
cmd[crun]="crun run --bundle $bundle $crun_id"
cmd[crun-seccomp]="crun run --bundle $bundle_sc $crun_id"
cmd[firejail]="firejail --noprofile --quiet --chroot=$fj_image /bin/true"
what[native]="none: the reference"
what[rvisor]="client -> rvisord (varlink); namespaces, overlay root, /dev, masked /proc, cgroup limits, dropped privileges, kernel gate and seccomp filter (default policy)"
what[bwrap]="all namespaces, the image bound read-only as /, new /proc and /dev; no overlay, cgroup or syscall filter"
what[crun]="OCI bundle from crun spec: 5 namespaces, cgroup (device filter), masked paths, 3 capabilities, read-only root; no seccomp"
what[crun-seccomp]="as crun, with docker${docker_version:+ $docker_version}'s default seccomp profile as dockerd applies it (for the spec's capabilities)"
what[firejail]="--noprofile --chroot: pid, ipc and mount namespaces, chroot, masked /proc and /sys; no network namespace, filter or cgroup"

# One untimed run of each, which also warms the caches: a peer that fails here is reported as
# n/a with its last line of output; rvisor failing is an error. The command lines hold no
# quoted words, so word splitting is their parsing.
for name in "${names[@]}"; do
	[ -z "${reason[$name]:-}" ] || continue
	read -r -a argv <<<"${cmd[$name]}"
	if ! command -v "${argv[0]}" >/dev/null; then
		[ "$name" != rvisor ] || fail "rvisorctl is not in PATH"
		reason[$name]="${argv[0]} is not in the initramfs (make deps installs it)"
		continue
	fi
	rc=0
	out=$(timeout 60 "${argv[@]}" </dev/null 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		last=$(grep . <<<"$out" | tail -n 1 | tr '|' '/' | cut -c 1-160)
		why="exit status $rc${last:+: $last}"
		[ "$rc" -ne 143 ] || why="timed out after 60 s"
		[ "$name" != rvisor ] || fail "rvisor: '${cmd[$name]}' failed: $why; rvisord: $(daemon_tail)"
		reason[$name]=$why
	fi
done

# crun-seccomp really runs under a filter: the kernel says so inside the container.
if [ -z "${reason[crun-seccomp]:-}" ]; then
	jq '.process.args = ["/bin/grep", "-q", "^Seccomp:[[:space:]]*2$", "/proc/self/status"]' \
		"$bundle_sc/config.json" >"$work/check-config.json"
	mkdir -p "$work/check" && mv "$work/check-config.json" "$work/check/config.json"
	timeout 60 crun run --bundle "$work/check" "$crun_id" </dev/null >/dev/null 2>&1 ||
		reason[crun-seccomp]="/proc/self/status in the container does not say Seccomp: 2 (filter mode)"
fi

# The timed runs: every runnable command once per round, interleaved.
args=()
for name in "${names[@]}"; do
	[ -z "${reason[$name]:-}" ] || continue
	read -r -a argv <<<"${cmd[$name]}"
	[ ${#args[@]} -eq 0 ] || args+=(::)
	args+=("$name" "${argv[@]}")
done
started_before=$(sandboxes_started)
out=$(syscall-bench -r "$reps" exec "${args[@]}" 2>"$errors") ||
	fail "syscall-bench -r $reps exec failed: $(tail -n 3 "$errors")"
while read -r name a b; do
	[ -n "${cmd[$name]:-}" ] || fail "unexpected output from syscall-bench exec: '$name $a $b'"
	if [ "$a" = failed ]; then
		why="failed on timed run ${b%% *} of $reps: ${b#* }"
		[ "$name" != rvisor ] || fail "rvisor: '${cmd[$name]}' $why; rvisord: $(daemon_tail)"
		last=$(grep . "$errors" | tail -n 1 | tr '|' '/' | cut -c 1-160)
		reason[$name]="$why${last:+ (last error output: $last)}"
	elif [[ $a =~ ^[0-9]+$ ]] && [ "$a" -gt 0 ]; then
		median[$name]=$a
	else
		fail "unexpected output from syscall-bench exec: '$name $a $b'"
	fi
done <<<"$out"
[ -n "${median[rvisor]:-}" ] || fail "syscall-bench exec reported no figure for rvisor: '$out'"
# Every rvisor run went behind both layers: rvisord logged each sandbox with the gate and the
# filter, and none without the gate.
started_after=$(sandboxes_started)
[ $((started_after - started_before)) -ge "$reps" ] ||
	fail "rvisord logged $((started_after - started_before)) sandboxes on the kernel layer during $reps rvisor runs"
! grep -q 'started for uid [0-9]*: .*platform seccomp' "$daemon_log" ||
	fail "rvisord started sandboxes without the kernel layer: $(grep 'platform seccomp' "$daemon_log" | head -n 1)"

echo
echo "rvisor startup benchmark: /bin/true in a busybox image, end to end (fork to reaped exit);" \
	"each figure is the median of $reps runs, the runtimes interleaved round by round"
echo
echo "| runtime | median ms | rvisor / runtime | isolation set up |"
echo "| --- | ---: | ---: | --- |"
measured=0 na=0
for name in "${names[@]}"; do
	if [ -n "${median[$name]:-}" ]; then
		printf '| %s | %s | %s | %s |\n' "$name" \
			"$(awk -v us="${median[$name]}" 'BEGIN { printf "%.2f", us / 1000 }')" \
			"$(awk -v a="${median[rvisor]}" -v b="${median[$name]}" 'BEGIN { printf "%.2fx", a / b }')" \
			"${what[$name]}"
		measured=$((measured + 1))
	else
		printf '| %s | n/a: %s | | %s |\n' "$name" "${reason[$name]}" "${what[$name]}"
		na=$((na + 1))
	fi
done
echo
echo "Command lines (IMAGE = $image, made by make-busybox-image, IMAGE-COPY a copy of it;" \
	"crun's bundle from \`crun spec\`, rooted at IMAGE):"
echo
for name in "${names[@]}"; do
	c=${cmd[$name]//$fj_image/IMAGE-COPY}
	# shellcheck disable=SC2016 # the backquotes are Markdown
	printf -- '- %s: `%s`\n' "$name" "${c//$image/IMAGE}"
done
echo
echo "rvisor-bench startup: ${#names[@]} rows, $measured measured, $na n/a"

# ---- peers: the runtimes side by side -----------------------------------------------------------
if want peers; then
	runtimes=(native rvisor crun crun-seccomp bwrap firejail)
	declare -A title=([native]=native [rvisor]=rvisor [crun]=crun [crun-seccomp]="crun + docker seccomp"
		[bwrap]=bwrap [firejail]=firejail)
	declare -A figures cell_na
	loop_bundle=$work/crun-loop
	mkdir -p "$loop_bundle"
	mkfifo "$work/hold" "$work/out"
	# native runs chrooted into the image, so that it runs the same files as the others; its
	# tmpfs is mounted on the image's /tmp, and the VM's /dev on the image's /dev (a shell's
	# background job needs /dev/null). rvisor's overlay and firejail's copy do not see them, bwrap
	# and crun mount their own over them.
	mount -t tmpfs -o mode=1777 tmpfs "$image/tmp" || fail "cannot mount a tmpfs on $image/tmp"
	mount -o bind /dev "$image/dev" || fail "cannot bind /dev to $image/dev"
	# nginx under native and firejail (no network namespace) listens on the VM's own loopback.
	ip link set lo up || fail "cannot bring the VM's loopback up"

	# The loop rows, all run by one `syscall-bench -r 5 loop` per runtime and round (each
	# figure the median of 5 repetitions of N calls, so that a burst of other work in the VM
	# spoils one repetition, not the run): ID|OPERATION|FILESYSTEM|BENCH|N|SYSCALL FIELD|TARGET.
	# FILESYSTEM is where the loop's directory is: tmpfs, a tmpfs of the runtime's own; root, its
	# root filesystem; "-" for loops that touch no file (they run in the tmpfs directory).
	# rvisor.ko's gate must count at least 5 N calls of SYSCALL as FIELD (passed or emulated) per
	# row. TARGET bounds rvisor's ratio to native ("-": none; crun-seccomp+D: that column's ratio
	# plus D). N keeps a repetition at roughly 20-60 ms under TCG.
	loop_reps=5
	peer_rows=(
		"getppid|getppid (PASS)|-|getppid|40000|getppid passed|crun-seccomp+0.25"
		"uname|uname (rvisor: EMULATE)|-|uname|10000|uname emulated|1.2"
		"openclose-tmpfs|open+close|tmpfs|openclose|1500|openat passed|1.10"
		"openclose-root|open+close|root|openclose|1500|openat passed|-"
		"stat-tmpfs|stat|tmpfs|stat|3000|newfstatat passed|1.10"
		"stat-root|stat|root|stat|3000|newfstatat passed|-"
		"write4k-tmpfs|write, 4 KiB|tmpfs|write4k|1000|write passed|1.05"
		"write4k-root|write, 4 KiB|root|write4k|1000|write passed|-"
		"mkdirrmdir-tmpfs|mkdir+rmdir|tmpfs|mkdirrmdir|800|rmdir passed|1.05"
		"mkdirrmdir-root|mkdir+rmdir|root|mkdirrmdir|800|rmdir passed|-"
		"spawn|spawn: fork, exec /bin/true, wait|root|spawn|6|execve passed|-"
	)
	nginx_row="nginx|nginx, ab -n $ab_n -c 50|root|nginx|$ab_n|accept4 passed|-"

	# loop_dir RUNTIME FILESYSTEM: the loop's directory inside the runtime.
	loop_dir() {
		case $1:$2 in
		*:root) echo /bench ;;
		rvisor:*) echo /dev/shm ;;
		*) echo /tmp ;;
		esac
	}

	# peer_run RUNTIME LINES CHECKS PROGRAM [ARG]...: runs PROGRAM (from the image) under
	# RUNTIME; sets `out` to the LINES lines it printed, or `why` to why not and returns 1. For
	# rvisor, CHECKS ("SYSCALL FIELD MIN,...") is what rvisor.ko's gate must have counted, in a
	# sandbox with both layers; a failure is an error. rvisorctl runs as a user runs it; a shell
	# in front of PROGRAM then waits for the end of its stdin, so that the sandbox's counters can
	# be read while it still exists.
	peer_runs=0
	run_err=$work/run.err
	peer_run() {
		local rt=$1 lines=$2 check_list=() rc=0 name wfd rfd pid id stats check sc field min got layers l i
		IFS=, read -r -a check_list <<<"$3"
		shift 3
		out='' why=''
		peer_runs=$((peer_runs + 1))
		settle
		case $rt in
		native) out=$(timeout 600 chroot "$image" "$@" </dev/null 2>"$run_err") || rc=$? ;;
		crun | crun-seccomp)
			local base=$bundle/config.json
			[ "$rt" = crun ] || base=$bundle_sc/config.json
			# (the arguments go in one per line: jq would take a "-r" among them as its option)
			jq --arg args "$(printf '%s\n' "$@")" '.root.readonly = false |
				.process.args = ($args | split("\n")) |
				.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
					options: ["nosuid", "nodev", "mode=1777"]}]' "$base" \
				>"$loop_bundle/config.json" || fail "jq could not write $loop_bundle/config.json"
			out=$(timeout 600 crun run --bundle "$loop_bundle" "$crun_id" </dev/null 2>"$run_err") || rc=$?
			[ "$rc" -eq 0 ] || crun delete -f "$crun_id" >/dev/null 2>&1 || true
			;;
		bwrap)
			out=$(timeout 600 bwrap --bind "$image" / --proc /proc --dev /dev --tmpfs /tmp \
				--unshare-all --die-with-parent "$@" </dev/null 2>"$run_err") || rc=$?
			;;
		firejail)
			out=$(timeout 600 firejail --noprofile --quiet --chroot="$fj_image" --tmpfs=/tmp \
				"$@" </dev/null 2>"$run_err") || rc=$?
			;;
		rvisor)
			# stdin and stdout through FIFOs: the figures come back while the sandbox waits
			name=bench-peer-$peer_runs
			rvisorctl run -i --name "$name" --image "$image" -- \
				/bin/sh -c '"$@" || exit; read -r _ || :' sh "$@" <"$work/hold" >"$work/out" 2>"$run_err" &
			pid=$!
			exec {wfd}>"$work/hold" {rfd}<"$work/out"
			for ((i = 0; i < lines; i++)); do
				IFS= read -r -t 600 l <&"$rfd" || break
				out+="$l"$'\n'
			done
			out=${out%$'\n'}
			if [ "$i" -eq "$lines" ]; then
				id=$(rvisorctl ps --json | jq -r --arg n "$name" '.sandboxes[] | select(.name == $n) | .id')
				stats=$(rvisorctl stats "$id" --json) || fail "rvisorctl stats $id failed: $stats"
			fi
			exec {wfd}>&- {rfd}<&-
			# a program that hung (no figure within 600 s): rvisorctl passes SIGTERM on to it
			[ "$i" -eq "$lines" ] || kill "$pid" 2>/dev/null || true
			wait "$pid" || rc=$?
			if [ "$rc" -ne 0 ] || [ "$i" -ne "$lines" ]; then
				fail "rvisor: $* failed (exit status $rc): $(grep . "$run_err" | tail -n 3 | tr '\n' ' ')"
			fi
			layers=$(jq -r '.sandbox.layers | join("+")' <<<"$stats")
			[ "$layers" = kernel+seccomp ] ||
				fail "rvisor: $* ran in a sandbox with layers '$layers', not kernel+seccomp"
			for check in "${check_list[@]}"; do
				read -r sc field min <<<"$check"
				got=$(jq -r --arg sc "$sc" --arg f "$field" \
					'[.syscalls[] | select(.name == $sc) | .[$f]] | add // 0' <<<"$stats")
				[ "$got" -ge "$min" ] ||
					fail "rvisor: $* ran, but rvisor.ko's gate counted $got $sc calls $field, not at least $min: not behind the gate"
			done
			;;
		esac
		cat "$run_err" >>"$errors"
		if [ "$rc" -ne 0 ] || [ "$(grep -c . <<<"$out")" -ne "$lines" ]; then
			# the first line of its errors (nginx's own), and the last (the program's verdict)
			why="exit status $rc: $(grep . "$run_err" | sed -n '1p;$p' | uniq | tr '\n|' ' /' | cut -c 1-240)"
			[ "$rc" -ne 143 ] || why="timed out after 600 s"
			return 1
		fi
	}

	# peer_loops RUNTIME: one run of every loop row under RUNTIME, each figure added to its cell.
	peer_loops() {
		local rt=$1 row id bench n sc_field args=() checks='' k name value
		local -A need=()
		[ -z "${reason[$rt]:-}" ] || return 0 # it cannot run at all (the startup table says why)
		[ -z "${cell_na[${peer_rows[0]%%|*} $rt]:-}" ] || return 0
		for row in "${peer_rows[@]}"; do
			IFS='|' read -r _ _ fs bench n sc_field _ <<<"$row"
			n=$((n * scale))
			[ "$fs" = root ] || fs=tmpfs
			args+=("$bench" "$n" "$(loop_dir "$rt" "$fs")")
			need[$sc_field]=$((${need[$sc_field]:-0} + n * loop_reps))
		done
		for sc_field in "${!need[@]}"; do checks+="$sc_field ${need[$sc_field]},"; done
		if ! peer_run "$rt" "${#peer_rows[@]}" "$checks" /bin/syscall-bench -r "$loop_reps" loop "${args[@]}"; then
			for row in "${peer_rows[@]}"; do cell_na[${row%%|*} $rt]=$why; done
			return 0
		fi
		k=0
		while read -r name value; do
			IFS='|' read -r id _ _ bench _ <<<"${peer_rows[k]}"
			if [ "$name" != "$bench" ] || ! [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
				fail "$rt: unexpected output from syscall-bench loop: '$name $value' for $bench"
			fi
			figures[$id $rt]+="$value "
			k=$((k + 1))
		done <<<"$out"
	}

	# peer_nginx RUNTIME: one run of the nginx row under RUNTIME.
	peer_nginx() {
		local rt=$1 value
		[ -z "${reason[$rt]:-}" ] || return 0
		[ -z "${cell_na[nginx $rt]:-}" ] || return 0
		[ -z "$nginx_reason" ] || { cell_na[nginx $rt]=$nginx_reason; return 0; }
		if ! peer_run "$rt" 1 "accept4 passed $ab_n" /bin/bench-nginx "$ab_n"; then
			cell_na[nginx $rt]=$why
			return 0
		fi
		read -r _ value <<<"$out"
		[[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "$rt: unexpected output from bench-nginx: '$out'"
		figures[nginx $rt]+="$value "
	}

	# Round r runs the loops under every runtime, then nginx, starting one runtime further on
	# each round, so that drift hits all alike.
	for ((r = 0; r < rounds; r++)); do
		for ((j = 0; j < ${#runtimes[@]}; j++)); do
			peer_loops "${runtimes[(r + j) % ${#runtimes[@]}]}"
		done
		for ((j = 0; j < ${#runtimes[@]}; j++)); do
			peer_nginx "${runtimes[(r + j) % ${#runtimes[@]}]}"
		done
	done
	umount "$image/tmp" "$image/dev" || fail "cannot unmount $image/tmp and $image/dev"

	# The tables: each cell a figure and its ratio to native's (> 1: slower; for nginx, native's
	# requests per second divided by the runtime's). First the medians of the rounds, with
	# `true`'s start-up from the table above; then each cell's best round (the fewest ns, the
	# most requests per second): contention from outside the VM only ever makes a run slower.
	median_of() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	best_of() { # best_of ID: the cell's best figure, read on stdin
		tr ' ' '\n' | grep . | sort -n | if [ "$1" = nginx ]; then tail -n 1; else head -n 1; fi
	}
	all_rows=("${peer_rows[@]}" "startup|start-up of \`true\` (table above)|root|-|-|-|-" "$nginx_row")
	declare -A med best
	# shellcheck disable=SC2034 # read through peer_table's nameref
	for row in "${all_rows[@]}"; do
		id=${row%%|*}
		for rt in "${runtimes[@]}"; do
			if [ "$id" = startup ]; then
				[ -z "${median[$rt]:-}" ] || med[$id $rt]=$(awk -v us="${median[$rt]}" 'BEGIN { print us / 1000 }')
			elif [ -n "${figures[$id $rt]:-}" ]; then
				med[$id $rt]=$(median_of <<<"${figures[$id $rt]}")
				best[$id $rt]=$(best_of "$id" <<<"${figures[$id $rt]}")
			fi
		done
	done
	figure() { awk -v v="$1" 'BEGIN { printf (v >= 100 ? "%.0f" : "%.1f"), v }'; }

	# peer_table STAT: the table of med or best; the medians' verdicts are counted.
	prows=0 pmet=0 pmissed=0 pna=0
	peer_table() {
		local -n val=$1
		local row id op fs target unit rt verdict c v
		ratio_of() { # ratio_of ID RUNTIME: the runtime's figure over native's
			[ -n "${val[$1 $2]:-}" ] && [ -n "${val[$1 native]:-}" ] || return 1
			if [ "$1" = nginx ]; then
				awk -v a="${val[$1 native]}" -v b="${val[$1 $2]}" 'BEGIN { printf "%.2f", a / b }'
			else
				awk -v a="${val[$1 $2]}" -v b="${val[$1 native]}" 'BEGIN { printf "%.2f", a / b }'
			fi
		}
		printf '| operation | unit | filesystem |'
		for rt in "${runtimes[@]}"; do printf ' %s |' "${title[$rt]}"; done
		echo " rvisor target | |"
		printf '| --- | --- | --- |'
		for _ in "${runtimes[@]}"; do printf ' ---: |'; done
		echo " --- | --- |"
		for row in "${all_rows[@]}"; do
			IFS='|' read -r id op fs _ _ _ target <<<"$row"
			[ "$1" = med ] || [ "$id" != startup ] || continue
			case $id in
			startup) unit=ms ;;
			nginx) unit="requests/s" ;;
			spawn) unit="ns per spawn" ;;
			*) unit="ns per call" ;;
			esac
			printf '| %s | %s | %s |' "$op" "$unit" "$fs"
			for rt in "${runtimes[@]}"; do
				if [ -z "${val[$id $rt]:-}" ]; then
					printf ' n/a |'
					[ "$1" != med ] || pna=$((pna + 1))
				elif [ "$rt" = native ]; then
					printf ' %s |' "$(figure "${val[$id $rt]}")"
				else
					printf ' %s (%sx) |' "$(figure "${val[$id $rt]}")" "$(ratio_of "$id" "$rt" || echo "-")"
				fi
			done
			verdict=''
			if [ "$target" != - ]; then
				if [[ $target == crun-seccomp+* ]]; then
					if c=$(ratio_of "$id" crun-seccomp); then
						target=$(awk -v c="$c" -v d="${target#*+}" 'BEGIN { printf "%.2f", c + d }')
					else
						target=''
					fi
				fi
				if [ -n "$target" ] && v=$(ratio_of "$id" rvisor); then
					verdict=$(awk -v v="$v" -v t="$target" 'BEGIN { print (v <= t + 0 ? "met" : "missed") }')
					if [ "$1" = med ]; then
						if [ "$verdict" = met ]; then pmet=$((pmet + 1)); else pmissed=$((pmissed + 1)); fi
					fi
					target="<= ${target}x"
				else
					target="n/a"
				fi
			fi
			printf ' %s | %s |\n' "$target" "$verdict"
			[ "$1" != med ] || prows=$((prows + 1))
		done
	}

	echo
	echo "rvisor peer benchmark: the same static loops (syscall-bench loop) in each runtime, in a" \
		"directory on a tmpfs of the runtime's own or in its root filesystem, and nginx under ab;" \
		"each figure is the median of $rounds runs (a loop's run: the median of its $loop_reps" \
		"repetitions; start-up: of $reps runs), the runtimes interleaved round by round, each run" \
		"once the VM is idle; in brackets the ratio to native (> 1: slower)"
	echo
	peer_table med
	echo
	echo "The same runs, each cell's best round (least time; most requests per second): load from" \
		"outside the VM only ever slows a run down, so where the two tables disagree the medians" \
		"caught it"
	echo
	peer_table best
	echo
	echo "Filesystems: tmpfs: a tmpfs of the runtime's own (native: one on the image's /tmp," \
		"rvisor: the sandbox's /dev/shm, crun: a tmpfs mount on /tmp in config.json, bwrap:" \
		"--tmpfs /tmp, firejail: --tmpfs=/tmp); root: /bench in the root filesystem (rvisor: its" \
		"overlay, upper layer on a tmpfs, over the image; the others: the image directory itself" \
		"on the VM's tmpfs, firejail its copy). Each loop runs in that directory with relative names."
	echo
	echo "Command lines (IMAGE = $image, IMAGE-COPY a copy of it; PROGRAM = /bin/syscall-bench -r" \
		"$loop_reps loop followed by BENCH N DIR for each loop row, or /bin/bench-nginx N; both in the image):"
	echo
	# shellcheck disable=SC2016 # the backquotes are Markdown
	{
		printf -- '- native: `chroot IMAGE PROGRAM`\n'
		printf -- "- rvisor: \`rvisorctl run -i --name NAME --image IMAGE -- /bin/sh -c '\"\$@\" || exit; read -r _ || :' sh PROGRAM\` (default policy; the shell holds the sandbox until its counters are read)\n"
		printf -- '- crun, crun + docker seccomp: `crun run --bundle B %s`, B the bundle of the table above with root.readonly false, a tmpfs on /tmp and process.args PROGRAM\n' "$crun_id"
		printf -- '- bwrap: `bwrap --bind IMAGE / --proc /proc --dev /dev --tmpfs /tmp --unshare-all --die-with-parent PROGRAM`\n'
		printf -- '- firejail: `firejail --noprofile --quiet --chroot=IMAGE-COPY --tmpfs=/tmp PROGRAM`\n'
	}
	[ ! -r "$peer_files/versions" ] || echo "- versions: $(paste -sd ',' "$peer_files/versions" | sed 's/,/, /g')"
	for row in "${peer_rows[0]}" "$nginx_row"; do
		IFS='|' read -r id op _ <<<"$row"
		[ "$id" = nginx ] || op="the loops"
		for rt in "${runtimes[@]}"; do
			why=${cell_na[$id $rt]:-${reason[$rt]:-}}
			[ -z "$why" ] || echo "- n/a: $op under ${title[$rt]}: $why"
		done
	done
	if [ "${RVISOR_BENCH_RAW:-0}" = 1 ]; then
		echo
		echo "Every round's figures (RVISOR_BENCH_RAW=1), in the order they were measured:"
		echo
		for row in "${peer_rows[@]}" "$nginx_row"; do
			IFS='|' read -r id op fs _ <<<"$row"
			for rt in "${runtimes[@]}"; do
				[ -z "${figures[$id $rt]:-}" ] || echo "- $op, $fs, ${title[$rt]}: ${figures[$id $rt]% }"
			done
		done
	fi
	echo
	echo "rvisor-bench peers: $prows rows, $pmet met, $pmissed missed, $pna n/a"
fi

stop_daemon || fail "rvisord did not stop on SIGTERM"
rm -rf "$work"
if [ "$loaded_here" = 1 ]; then
	rmmod rvisor || fail "rmmod rvisor failed after the benchmark"
fi
