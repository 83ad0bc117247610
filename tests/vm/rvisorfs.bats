#!/usr/bin/env bats
# rvisorfs (ABI 6): a sandbox's own /proc files, computed from its cgroup
# (RVISOR_SANDBOX_CGROUP), its age and its own tasks; the emulated sysinfo and
# sched_getaffinity agree with them. The module is driven directly (rvisor-run, rvisor-probe),
# without rvisord. The guest has 2 CPUs and cgroup v2 at /sys/fs/cgroup.

load lib

CG=/sys/fs/cgroup

setup_file() {
	load_module
	kernel_log_mark
	# the controllers the sandboxes' cgroups need, as a manager's delegated tree has them
	cat $CG/cgroup.subtree_control >"$BATS_FILE_TMPDIR/subtree_control"
	echo "+memory +cpu +cpuset" >$CG/cgroup.subtree_control
}

teardown_file() {
	local c
	for c in cpu cpuset; do
		grep -qw "$c" "$BATS_FILE_TMPDIR/subtree_control" || echo "-$c" >$CG/cgroup.subtree_control
	done
	return 0
}

setup() {
	rv_setup
}

teardown() {
	local m
	if [ -f "$T/mounts" ]; then
		while read -r m; do umount "$m" 2>/dev/null; done <"$T/mounts"
	fi
	rv_teardown
	for m in "$CG/rvfs-$BATS_TEST_NUMBER"-*; do
		[ -d "$m" ] && wait_for rmdir "$m"
	done
	return 0
}

# cgroup NAME MEMORY_MAX CPU_MAX: a new cgroup for this test; its path in $CGP.
cgroup() {
	CGP=$CG/rvfs-$BATS_TEST_NUMBER-$1
	mkdir "$CGP" && echo "$2" >"$CGP/memory.max" && echo "$3" >"$CGP/cpu.max"
}

# rvfs ID DIR: rvisorfs of sandbox ID mounted on DIR (unmounted by teardown).
rvfs() {
	mkdir -p "$2" && echo "$2" >>"$T/mounts" && rvisor-run ctl mount "$1" "$2"
}

# kb FILE LABEL: the number of a meminfo line ("MemTotal:  262144 kB" -> 262144).
kb() {
	awk -v l="$2:" '$1 == l { print $2; exit }' "$1"
}

# expect ANSWER CASE...: each rvisor-probe mount case prints exactly ANSWER.
expect() {
	local want=$1 c
	shift
	for c in "$@"; do
		case $c in
		create-*) run rvisor-probe ioctl "$c" ;;
		mount-*) run rvisor-probe mount "${c#mount-}" ;;
		esac
		echo "$c: $output (want $want)"
		[ "$output" = "$want" ]
	done
}

@test "meminfo: MemTotal is memory.max, read live; MemFree falls as the sandbox's memory grows" {
	cgroup a 256M "100000 100000"
	rv_detach --cgroup "$CGP" -- sh -c "while [ ! -e $T/go ]; do sleep 0.1; done
		dd if=/dev/zero of=$T/hog bs=1M count=64 2>/dev/null; touch $T/done; exec sleep 60"
	rvfs "$ID" "$T/fs"
	cat "$T/fs/meminfo"
	[ "$(kb "$T/fs/meminfo" MemTotal)" = 262144 ]
	free1=$(kb "$T/fs/meminfo" MemFree)
	[ "$free1" -gt 200000 ]
	touch "$T/go"
	wait_for test -e "$T/done"
	free2=$(kb "$T/fs/meminfo" MemFree)
	echo "MemFree $free1 -> $free2"
	[ "$free2" -le $((free1 - 60000)) ] # 64 MiB of tmpfs, charged to its cgroup
	[ "$(kb "$T/fs/meminfo" Shmem)" -ge 60000 ]
	[ "$(kb "$T/fs/meminfo" Cached)" -ge 60000 ]
	echo 192M >"$CGP/memory.max"
	[ "$(kb "$T/fs/meminfo" MemTotal)" = 196608 ]
	echo max >"$CGP/memory.max" # no limit: the guest's memory
	[ "$(kb "$T/fs/meminfo" MemTotal)" = "$(kb /proc/meminfo MemTotal)" ]
}

@test "meminfo, vmstat, swaps, diskstats are laid out as the kernel's" {
	cgroup a 256M max
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/fs"
	# every meminfo line: a label, its value in the kernel's columns, the same labels' order
	run grep -cvE '^[A-Za-z0-9_()]+: {1,}[0-9]+( kB)?$' "$T/fs/meminfo"
	[ "$output" = 0 ]
	[ "$(head -3 "$T/fs/meminfo" | cut -c1-16)" = "$(head -3 /proc/meminfo | cut -c1-16)" ]
	[ "$(grep -c '^MemTotal:       .\{8\} kB$' "$T/fs/meminfo")" = 1 ]
	grep -q '^SwapTotal: *0 kB$' "$T/fs/meminfo" # the guest has no swap
	free=$(kb "$T/fs/meminfo" MemFree) avail=$(kb "$T/fs/meminfo" MemAvailable)
	[ "$avail" -ge "$free" ] && [ "$avail" -le 262144 ]
	grep -qE '^nr_free_pages [0-9]+$' "$T/fs/vmstat"
	grep -qE '^pgfault [0-9]+$' "$T/fs/vmstat"
	[ "$(cat "$T/fs/swaps")" = "$(head -1 /proc/swaps)" ]
	[ -z "$(cat "$T/fs/diskstats")" ]
}

@test "sysinfo (emulated) agrees with meminfo; free inside sees the sandbox's memory" {
	cgroup a 256M max
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/fs"
	run rvisor-run --cgroup "$CGP" --rule sysinfo=emulate -- sc sysinfo
	echo "$output"
	[[ "$output" == *" totalram=$(($(kb "$T/fs/meminfo" MemTotal) * 1024)) "* ]]
	[[ "$output" == *" totalram=268435456 "* ]]
	# as a manager sets a sandbox up: rvisorfs's meminfo bound over /proc's, in its own
	# mount namespace; free reads both sysinfo and /proc/meminfo
	run unshare -m sh -c "mount --bind $T/fs/meminfo /proc/meminfo &&
		exec rvisor-run --cgroup $CGP --rule sysinfo=emulate -- free"
	echo "$output"
	read -r _ total used free _ <<<"$(grep '^Mem:' <<<"$output")"
	[ "$total" = 262144 ]
	[ "$used" -lt 262144 ] && [ "$free" -le 262144 ]
}

@test "cpu/online: the first CPUs of cpuset.cpus.effective, as many as cpu.max allows" {
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] || skip "the guest has not 2 CPUs"
	cgroup c max "100000 100000"
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/fs"
	for f in online possible present; do [ "$(cat "$T/fs/cpu/$f")" = 0 ]; done
	[ "$(grep -c '^cpu[0-9]' "$T/fs/stat")" = 1 ]
	[ "$(grep -c '^processor' "$T/fs/cpuinfo")" = 1 ]
	grep -q '^model name' "$T/fs/cpuinfo"
	echo "max 100000" >"$CGP/cpu.max"
	[ "$(cat "$T/fs/cpu/online")" = 0-1 ]
	[ "$(grep -c '^cpu[0-9]' "$T/fs/stat")" = 2 ]
	[ "$(grep -c '^processor' "$T/fs/cpuinfo")" = 2 ]
	echo "150000 100000" >"$CGP/cpu.max" # 1.5 CPUs: 2
	[ "$(cat "$T/fs/cpu/online")" = 0-1 ]
	echo 1 >"$CGP/cpuset.cpus" # its own numbers: CPU 1
	[ "$(cat "$T/fs/cpu/online")" = 1 ]
	[ "$(grep '^cpu[0-9]' "$T/fs/stat" | cut -d' ' -f1)" = cpu1 ]
	[ "$(grep '^processor' "$T/fs/cpuinfo")" = "$(printf 'processor\t: 1')" ]
}

@test "sched_getaffinity (emulated): the caller's affinity cut to the quota, the kernel's checks" {
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] || skip "the guest has not 2 CPUs"
	cgroup d max "100000 100000"
	native=$(sc getaffinity)
	[[ "$native" == "ok "*" count=2 cpus=0,1" ]]
	run rvisor-run --stats "$T/s" --cgroup "$CGP" --rule sched_getaffinity=emulate -- sc getaffinity
	echo "$output"
	[ "$output" = "${native%% count=*} count=1 cpus=0" ] # the same length, one CPU
	[ "$(kv "$T/s" syscall.sched_getaffinity)" = 0,1,0 ]
	run rvisor-run --cgroup "$CGP" --rule sched_getaffinity=emulate -- nproc
	[ "$output" = 1 ]
	run rvisor-run --cgroup "$CGP" -- nproc # passed: the host answers
	[ "$output" = 2 ]
	echo "max 100000" >"$CGP/cpu.max"
	run rvisor-run --cgroup "$CGP" --rule sched_getaffinity=emulate -- sc getaffinity
	[ "$output" = "$native" ]
	# the kernel's answers to bad lengths, pids and buffers
	# shellcheck disable=SC2086 # $args: LEN and PID, two words
	for args in 0 4 12 "128 1" "128 4000"; do
		want=$(rvisor-run --cgroup "$CGP" -- sc getaffinity $args || true)
		run rvisor-run --cgroup "$CGP" --rule sched_getaffinity=emulate -- sc getaffinity $args
		echo "getaffinity $args: $output (want $want)"
		[ "$output" = "$want" ]
	done
	run rvisor-run --cgroup "$CGP" --rule sched_getaffinity=emulate -- sc raw 204 0 128 1
	echo "bad buffer: $output"
	[ "$output" = EFAULT ]
}

@test "uptime starts near 0 and grows; stat's btime is the sandbox's creation" {
	cgroup u 256M max
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/fs"
	read -r up1 idle1 <"$T/fs/uptime"
	[[ "$up1" =~ ^[0-9]+\.[0-9][0-9]$ ]] && [[ "$idle1" =~ ^[0-9]+\.[0-9][0-9]$ ]]
	[ "${up1%.*}" -le 5 ]
	sleep 1.2
	read -r up2 _ <"$T/fs/uptime"
	echo "uptime $up1 -> $up2"
	[ "$(awk -v a="$up1" -v b="$up2" 'BEGIN { print (b - a >= 1) }')" = 1 ]
	btime=$(awk '$1 == "btime" { print $2 }' "$T/fs/stat")
	now=$(date +%s)
	[ $((now - btime)) -ge 1 ] && [ $((now - btime)) -le 10 ]
	grep -qE '^cpu  [0-9]+ 0 [0-9]+ [0-9]+ 0 0 0 0 0 0$' "$T/fs/stat"
	grep -qx 'processes 1' "$T/fs/stat"
}

@test "loadavg: the sandbox's own tasks only; a busy loop raises its load, not an idle sandbox's" {
	cgroup l 256M "100000 100000"
	rv_detach --cgroup "$CGP" --rule sysinfo=emulate -- sh -c \
		"while :; do :; done & while [ ! -e $T/ask ]; do sleep 0.2; done; sc sysinfo >$T/si; exec sleep 60"
	busy=$ID
	rvfs "$busy" "$T/busy"
	rv_detach -- sleep 60
	rvfs "$ID" "$T/idle"
	cat "$T/busy/loadavg" "$T/idle/loadavg"
	# sh, its busy child and now and then a sleep: 2 or 3 threads, not the guest's dozens
	[[ "$(cat "$T/busy/loadavg")" =~ ^[0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+/[23]\ [0-9]+$ ]]
	[ "$(cut -d' ' -f4 "$T/idle/loadavg")" = 0/1 ]
	[ "$(cut -d' ' -f5 "$T/idle/loadavg")" = 1 ]
	for _ in $(seq 60); do # sampled every 5 s
		[ "$(cut -d' ' -f1 "$T/busy/loadavg")" != 0.00 ] && break
		sleep 0.5
	done
	cat "$T/busy/loadavg" "$T/idle/loadavg" /proc/loadavg
	[ "$(cut -d' ' -f1 "$T/busy/loadavg")" != 0.00 ]
	[ "$(cut -d' ' -f1-3 "$T/idle/loadavg")" = "0.00 0.00 0.00" ]
	# sysinfo inside reports the same sampled load
	touch "$T/ask"
	wait_for test -s "$T/si"
	cat "$T/si"
	loads=$(sed -n 's/.* loads=\([0-9]*\),.*/\1/p' "$T/si")
	[ "$loads" -gt 0 ]
}

@test "two sandboxes with different limits each read their own" {
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] || skip "the guest has not 2 CPUs"
	cgroup a 256M "100000 100000"
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/a"
	cgroup b 128M max
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/b"
	[ "$(kb "$T/a/meminfo" MemTotal)" = 262144 ]
	[ "$(kb "$T/b/meminfo" MemTotal)" = 131072 ]
	[ "$(cat "$T/a/cpu/online")" = 0 ]
	[ "$(cat "$T/b/cpu/online")" = 0-1 ]
}

@test "the files: a static read-only tree; partial reads and seeks see one text" {
	cgroup a 256M max
	rv_detach --cgroup "$CGP" -- sleep 60
	rvfs "$ID" "$T/fs"
	[ "$(ls "$T/fs" | tr '\n' ' ')" = "cpu cpuinfo diskstats loadavg meminfo stat swaps uptime vmstat " ]
	[ "$(ls "$T/fs/cpu" | tr '\n' ' ')" = "online possible present " ]
	[ "$(stat -c %a "$T/fs/meminfo")" = 444 ]
	[ "$(stat -c %a "$T/fs/cpu")" = 555 ]
	[ "$(stat -f -c %t "$T/fs")" = 52564653 ] # RVISORFS_MAGIC
	[ ! -e "$T/fs/nothing" ]
	grep -q " $T/fs rvisorfs ro,.*sandbox=$ID" /proc/mounts
	[ "$(head -c 10 "$T/fs/meminfo")" = "MemTotal: " ]
	[ "$(dd if="$T/fs/meminfo" bs=1 count=40 2>/dev/null)" = "$(head -c 40 "$T/fs/meminfo")" ]
	[ "$(dd if="$T/fs/meminfo" bs=1 skip=16 count=8 2>/dev/null)" = "  262144" ]
	run sh -c "echo x >$T/fs/meminfo"
	[ "$status" -ne 0 ]
}

@test "mount: options, descriptor, sandbox and caller are checked" {
	expect ok mount-ok mount-unbound mount-remount-ro
	expect EINVAL mount-no-options mount-fd-only mount-sandbox-only mount-unknown-option \
		mount-fd-negative
	expect EPERM mount-fd-not-device mount-fd-closed mount-in-sandbox
	expect ENOENT mount-id0 mount-unknown-id mount-destroyed
}

@test "read-only; reads after the init exited or after DESTROY are ESRCH" {
	expect EROFS mount-open-write mount-open-rdwr
	expect EINVAL mount-remount-rw
	expect ESRCH mount-read-after-exit mount-read-after-destroy mount-read-open-after-destroy
}

@test "CREATE: cgroup_fd must be a cgroup2 directory with RVISOR_SANDBOX_CGROUP, zero without" {
	expect ok create-cgroup-root create-cgroup-rdonly
	expect EINVAL create-cgroup-fd-without-flag create-cgroup-not-cgroup2 create-cgroup-file \
		create-cgroup-negative create-cgroup-closed
}

@test "rmmod is refused while a mount holds a sandbox, and works once it is unmounted" {
	rv_detach -- sleep 60
	rvfs "$ID" "$T/fs"
	rvisor-run ctl destroy "$ID"
	[ -z "$(rvisor-run ctl list)" ]
	run cat "$T/fs/meminfo"
	[ "$status" -ne 0 ]
	run rmmod rvisor
	[ "$status" -ne 0 ]
	module_loaded
	umount "$T/fs"
	rmmod rvisor
	[ ! -d /sys/module/rvisor ]
	load_module
}

@test "the kernel log stayed clean (rvisorfs.bats)" {
	kernel_log_clean
}
