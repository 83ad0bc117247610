#!/usr/bin/env bats
# The sandbox's view of the machine with rvisor.ko (docs/sandbox.md): rvisorfs's meminfo,
# cpuinfo, stat, uptime, loadavg, swaps, vmstat, diskstats over /proc and its CPU lists on
# /sys/devices/system/cpu, the emulated sysinfo and sched_getaffinity, all from the sandbox's
# cgroup (--memory, --cpus, --cpuset-cpus), its age and its own tasks; as busybox's free,
# nproc, uptime and top show them. Nothing of it outlives the sandbox. The guest has 2 CPUs
# and 1 GiB.
bats_require_minimum_version 1.5.0

load lib

setup_file() {
	daemon_suite_setup /tmp/busybox-image
	# the same lists, without the gate: no kernel layer, so no rvisorfs
	sed 's/^layers *=.*/layers = seccomp/' /etc/rvisor/policies/default.conf >/etc/rvisor/policies/nogate.conf
	start_rvisord views
}

teardown_file() {
	stop_rvisord views
	kernel_log_clean
	unload_module
}

rv() {
	rvisorctl run --image "$IMAGE" "$@"
}

# meminfo_kb FIELD: that field of /proc/meminfo in kB, from the lines in $output.
meminfo_kb() {
	awk -v f="$1:" '$1 == f { print $2 }' <<<"$output"
}

@test "the daemon enabled the cpu and cpuset controllers for its sandboxes" {
	grep -qw cpu /sys/fs/cgroup/rvisor/cgroup.subtree_control
	grep -qw cpuset /sys/fs/cgroup/rvisor/cgroup.subtree_control
	run rvisorctl status
	[[ "$output" == *$'\nviews:     rvisorfs (rvisor.ko'* ]]
	[ "$(rvisorctl status --json | jq -r .views)" = rvisorfs ]
}

@test "--memory 256M --cpus 1: free says 256 MiB, nproc 1, one CPU online, in /proc/stat and cpuinfo" {
	run rv --memory 256M --cpus 1 -- sh -c 'free -m; echo nproc=$(nproc); echo online=$(cat /sys/devices/system/cpu/online); echo possible=$(cat /sys/devices/system/cpu/possible); echo present=$(cat /sys/devices/system/cpu/present); echo statcpus=$(grep -c "^cpu[0-9]" /proc/stat); echo statall=$(grep -c "^cpu " /proc/stat); echo processors=$(grep -c ^processor /proc/cpuinfo)'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(awk '/^Mem:/ { print $2 }' <<<"$output")" = 256 ]
	[[ "$output" == *$'\nnproc=1\n'* ]]
	[[ "$output" == *$'\nonline=0\n'* ]]
	[[ "$output" == *$'\npresent=0\n'* ]]
	[[ "$output" == *$'\nstatcpus=1\n'* ]]
	[[ "$output" == *$'\nstatall=1\n'* ]]
	[[ "$output" == *$'\nprocessors=1'* ]]
	daemon_nothing_left
}

@test "/proc/meminfo: MemTotal is the limit, and a memory hog's usage shows in it" {
	run rv --memory 256M -- sh -c 'cat /proc/meminfo; echo ---; x=$(head -c 40000000 /dev/zero | tr "\\0" a); cat /proc/meminfo; echo ${#x}'
	[ "$status" -eq 0 ]
	before=$(sed -n '1,/^---$/p' <<<"$output")
	after=$(sed -n '/^---$/,$p' <<<"$output")
	output=$before
	[ "$(meminfo_kb MemTotal)" = 262144 ]
	free1=$(meminfo_kb MemFree)
	output=$after
	[ "$(meminfo_kb MemTotal)" = 262144 ]
	free2=$(meminfo_kb MemFree)
	echo "MemFree $free1 kB -> $free2 kB"
	[ "$free1" -lt 262144 ] # the sandbox's own usage counts from the start
	[ "$free2" -lt $((free1 - 30000)) ] # the 40 MB string: used memory went up
	[[ "$output" == *$'\n40000000' ]]
}

@test "/proc/uptime starts near 0 and grows; uptime (sysinfo) agrees" {
	run rv -- sh -c 'cat /proc/uptime; sleep 1.2; cat /proc/uptime; uptime'
	echo "$output"
	[ "$status" -eq 0 ]
	first=${lines[0]%% *} second=${lines[1]%% *}
	[ "${first%.*}" -lt 5 ]
	[ "$(awk -v a="$first" -v b="$second" 'BEGIN { print (b - a >= 1.0 && b - a < 5) }')" = 1 ]
	# the host has been up longer than any sandbox
	[ "$(awk -v a="$second" -v h="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print (a < h) }')" = 1 ]
	[[ "${lines[2]}" == *"up 0 min"* || "${lines[2]}" == *"up  0:0"* || "${lines[2]}" == *"up 0:0"* ]]
}

@test "/proc/loadavg counts only the sandbox's tasks, not the host's" {
	# the host gets some tasks of its own meanwhile
	busy=()
	for _ in 1 2 3 4 5 6; do
		sleep 5 3>&- &
		busy+=($!)
	done
	run rv -- cat /proc/loadavg
	kill "${busy[@]}" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	read -r l1 l5 l15 tasks last <<<"$output"
	[[ "$l1" =~ ^[0-9]+\.[0-9]{2}$ && "$l5" =~ ^[0-9]+\.[0-9]{2}$ && "$l15" =~ ^[0-9]+\.[0-9]{2}$ ]]
	running=${tasks%/*} total=${tasks#*/}
	[ "$running" -ge 1 ] # cat itself
	[ "$total" -ge 2 ]
	[ "$total" -le 5 ] # the init and cat, not the host's hundred
	[ "$total" -lt "$(ls -d /proc/[0-9]* | wc -l)" ]
	[[ "$last" =~ ^[0-9]+$ ]]
}

@test "--cpus 1.5 shows 2 CPUs; --cpuset-cpus 1 shows CPU 1 only" {
	run rv --cpus 1.5 -- sh -c 'nproc; cat /sys/devices/system/cpu/online; grep -c "^cpu[0-9]" /proc/stat'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 2 ]
	[ "${lines[1]}" = 0-1 ]
	[ "${lines[2]}" = 2 ]
	run rv --cpuset-cpus 1 -- sh -c 'nproc; cat /sys/devices/system/cpu/online; grep "^cpu[0-9]" /proc/stat | cut -d" " -f1; grep ^processor /proc/cpuinfo'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = cpu1 ]
	[[ "${lines[3]}" == processor*": 1" ]]
	[ "${#lines[@]}" -eq 4 ]
	# and the cgroup says the same
	rv --cpus 0.5 --cpuset-cpus 1 -- sleep 3 >/dev/null 2>&1 3>&- &
	for _ in $(seq 100); do [ "$(rvisorctl ps --json | jq '.sandboxes | length')" = 1 ] && break; sleep 0.05; done
	id=$(rvisorctl ps --json | jq -r '.sandboxes[0].id')
	run rvisorctl stats "$id" --json
	[ "$(jq -r .cpus_milli <<<"$output")" = 500 ]
	[ "$(jq -r .cpuset <<<"$output")" = 1 ]
	cg=$(find /sys/fs/cgroup/rvisor -mindepth 1 -maxdepth 1 -name 'sandbox-*' -type d)
	[ "$(cat "$cg/cpu.max")" = "50000 100000" ]
	[ "$(cat "$cg/cpuset.cpus")" = 1 ]
	wait
	daemon_nothing_left
}

@test "two sandboxes with different limits each see their own" {
	rv --memory 128M --cpus 1 -- sh -c 'sleep 1; grep MemTotal /proc/meminfo; nproc' >/tmp/views-a.out 2>&1 3>&- &
	rv --memory 384M --cpus 2 -- sh -c 'sleep 1; grep MemTotal /proc/meminfo; nproc' >/tmp/views-b.out 2>&1 3>&- &
	wait
	cat /tmp/views-a.out /tmp/views-b.out
	[ "$(awk '{ print $2 }' /tmp/views-a.out | head -1)" = 131072 ]
	[ "$(tail -1 /tmp/views-a.out)" = 1 ]
	[ "$(awk '{ print $2 }' /tmp/views-b.out | head -1)" = 393216 ]
	[ "$(tail -1 /tmp/views-b.out)" = 2 ]
	# the host's own view is untouched
	[ "$(grep MemTotal /proc/meminfo | awk '{ print $2 }')" -gt 393216 ]
	[ "$(nproc)" = 2 ]
	daemon_nothing_left
}

@test "the views are read-only; /sys holds the CPU lists and nothing else" {
	run --separate-stderr rv -- sh -c 'echo x >/proc/meminfo && echo wrote; echo x >/sys/devices/system/cpu/online && echo wrote; mkdir /sys/x && echo wrote; ls /sys; ls /sys/devices; ls /sys/devices/system; ls /sys/devices/system/cpu; ls -a /dev | grep -c rvisorfs'
	echo "$output"
	echo "$stderr"
	[[ "$output" != *wrote* ]]
	[ "$output" = "$(printf 'devices\nsystem\ncpu\nonline\npossible\npresent\n0')" ] # no temporary mount point left
	[[ "$stderr" == *"Read-only file system"* ]]
	# root in a user namespace cannot write either
	run rv --userns -- sh -c 'echo x >/proc/meminfo && echo wrote; cat /proc/uptime >/dev/null && echo read'
	[[ "$output" != *wrote* ]]
	[[ "$output" == *read* ]]
}

@test "/dev/rvisor never reaches the sandbox: the init closed it after the mount" {
	rv -- sleep 3 >/dev/null 2>&1 3>&- &
	for _ in $(seq 100); do [ "$(rvisorctl ps --json | jq '.sandboxes | length')" = 1 ] && break; sleep 0.05; done
	pid=$(rvisorctl ps --json | jq -r '.sandboxes[0].pid')
	[ "$pid" -gt 1 ]
	[ "$(ls "/proc/$pid/fd" | wc -l)" -gt 0 ] # we may look: the answer below means something
	[ -z "$(ls -l "/proc/$pid/fd" | grep /dev/rvisor)" ]
	for child in $(cat "/proc/$pid/task/$pid/children"); do
		[ -z "$(ls -l "/proc/$child/fd" | grep /dev/rvisor)" ]
	done
	wait
	daemon_nothing_left
}

@test "busybox tools keep working: top, ps, df, cat of every view" {
	run rv --memory 256M --cpus 1 -- sh -c 'top -bn1 >/tmp/top && head -2 /tmp/top; ps >/dev/null && echo ps-ok; df / >/dev/null && echo df-ok; for f in meminfo cpuinfo stat uptime loadavg swaps vmstat diskstats; do cat /proc/$f >/dev/null || echo "$f failed"; done; echo done'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == Mem:* ]]
	[[ "${lines[1]}" == CPU:* ]]
	[[ "$output" == *ps-ok*df-ok* ]]
	[[ "$output" != *failed* ]]
	[ "${lines[-1]}" = done ]
}

@test "a policy without the kernel layer gets no rvisorfs: the host's figures, and run says so" {
	run --separate-stderr rv --policy nogate --memory 256M -- sh -c 'grep MemTotal /proc/meminfo; nproc; ls /sys 2>&1 || :'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(grep MemTotal /proc/meminfo)" ]
	[ "${lines[1]}" = "$(nproc)" ]
	[[ "${lines[2]}" == *"No such file"* ]]
	[[ "$stderr" == "rvisorctl: note: sandbox "*" runs without rvisor.ko: its /proc and /sys show the host's memory and CPUs, not its own limits" ]]
	run --separate-stderr rv --memory 256M -- true
	[ -z "$stderr" ] # with the kernel layer: nothing to say
	daemon_nothing_left
}
