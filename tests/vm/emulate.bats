#!/usr/bin/env bats
# EMULATE: uname, sethostname, setdomainname, sysinfo and sched_getaffinity answered by rvisor
# from the sandbox's own state; the host's view never changes.

load lib

EMU=(--rule uname=emulate --rule sethostname=emulate --rule setdomainname=emulate)

setup_file() {
	load_module
	kernel_log_mark
}

setup() {
	rv_setup
}

teardown() {
	rv_teardown
}

@test "uname: nodename and domainname are the sandbox's, the rest the host's" {
	run rvisor-run --stats "$T/s" --rule uname=emulate --hostname box1 --domainname dom1 -- sc uname
	[ "$status" -eq 0 ]
	[ "$output" = "ok 0 sysname=Linux nodename=box1 domainname=dom1 release=$(uname -r) machine=$(uname -m)" ]
	[ "$(kv "$T/s" syscall.uname)" = 0,1,0 ]
	[ "$(kv "$T/s" total.emulated)" = 1 ]
	# without EMULATE the host answers
	run rvisor-run --hostname box1 -- sc uname
	[[ "$output" == *" nodename=$HOST_NAME "* ]]
}

@test "uname and sysinfo into a page not yet present: the fallback answers as the probe does" {
	# sc uname-fresh: uname() into an untouched page (the probe's copy without faulting
	# fails: the fallback writes it: the task_work, or the probe itself out of RCU where it
	# may fault, 6.13+), then into a stack buffer (answered in the probe at once)
	# where the probe may fault (6.13+: none of the kernels tested here backports it)
	local v want=N
	v=$(uname -r)
	v=${v%%-*}
	[ "$(printf '%s\n6.13\n' "${v%.*}" | sort -V | head -n1)" = 6.13 ] && want=Y
	echo "probe_may_fault=$(cat /sys/module/rvisor/parameters/probe_may_fault), expected $want"
	[ "$(cat /sys/module/rvisor/parameters/probe_may_fault)" = "$want" ]
	run rvisor-run --stats "$T/s" --rule uname=emulate --hostname fresh1 -- sc uname-fresh
	echo "$output"
	[ "$output" = "ok 0 same=1 nodename=fresh1" ]
	[ "$(kv "$T/s" syscall.uname)" = 0,2,0 ]
	[ "$(kv "$T/s" emulated_faulting)" = 1 ] # one call each way
	run rvisor-run --stats "$T/s" --rule sysinfo=emulate --memory 256M -- sc sysinfo-fresh
	echo "$output"
	[ "$output" = "ok 0 same=1 totalram=268435456" ]
	[ "$(kv "$T/s" syscall.sysinfo)" = 0,2,0 ]
	[ "$(kv "$T/s" emulated_faulting)" = 1 ]
	# without emulation nothing takes the fallback
	run rvisor-run --stats "$T/s" -- sc uname-fresh
	[ "$(kv "$T/s" emulated_faulting)" = 0 ]
	# a bad address is still EFAULT, from the fallback
	run rvisor-run --rule uname=emulate -- sc raw 63 1
	[ "$output" = EFAULT ]
	run rvisor-run --rule sysinfo=emulate -- sc raw 99 1
	[ "$output" = EFAULT ]
}

@test "emulated uname follows the caller's personality as the kernel's does" {
	native=$(sc persona 0x20008 sc uname) # UNAME26 | PER_LINUX32, natively
	[[ "$native" == *" release=2.6."*" machine=i686" ]]
	run rvisor-run --stats "$T/s" --rule uname=emulate --hostname box1 -- sc persona 0x20008 sc uname
	echo "native: $native"
	echo "rvisor: $output"
	[[ "$output" == *" nodename=box1 "* ]]
	[ "${output#* release=}" = "${native#* release=}" ] # release and machine
	[ "$(kv "$T/s" syscall.uname)" = 0,1,0 ]
}

@test "sethostname and setdomainname change the sandbox's view only" {
	run rvisor-run --stats "$T/s" "${EMU[@]}" --hostname box1 --domainname dom1 -- \
		sh -c 'sc sethostname box2; sc setdomainname dom2; sc uname'
	echo "$output"
	[ "${lines[0]}" = "ok 0" ]
	[ "${lines[1]}" = "ok 0" ]
	[[ "${lines[2]}" == "ok 0 sysname=Linux nodename=box2 domainname=dom2 "* ]]
	[ "$(kv "$T/s" nodename)" = box2 ]
	[ "$(kv "$T/s" domainname)" = dom2 ]
	[ "$(kv "$T/s" syscall.sethostname)" = 0,1,0 ]
	[ "$(kv "$T/s" syscall.setdomainname)" = 0,1,0 ]
	[ "$(cat /proc/sys/kernel/hostname)" = "$HOST_NAME" ]
	[ "$(cat /proc/sys/kernel/domainname)" = "$HOST_DOMAIN" ]
	[[ "$(sc uname)" == *" nodename=$HOST_NAME domainname=$HOST_DOMAIN "* ]]
}

@test "a name changed in one sandbox is not seen by another" {
	rv_detach "${EMU[@]}" --hostname first -- sh -c 'sc sethostname changed; exec sleep 30'
	wait_for stat_is "$ID" nodename changed
	run rvisor-run "${EMU[@]}" --hostname second -- sc uname
	[[ "$output" == *" nodename=second "* ]]
	rvisor-run ctl destroy "$ID"
}

@test "emulated sethostname: 64 bytes fit, 65 are EINVAL and change nothing" {
	n64=$(printf 'a%.0s' $(seq 64))
	run rvisor-run "${EMU[@]}" --hostname box1 -- sh -c "sc sethostname $n64; sc uname"
	[ "${lines[0]}" = "ok 0" ]
	[[ "${lines[1]}" == *" nodename=$n64 "* ]]
	run rvisor-run --stats "$T/s" "${EMU[@]}" --hostname box1 -- sh -c "sc sethostname ${n64}b; sc setdomainname ${n64}b; sc uname"
	[ "${lines[0]}" = EINVAL ]
	[ "${lines[1]}" = EINVAL ]
	[[ "${lines[2]}" == *" nodename=box1 "* ]]
	[ "$(kv "$T/s" nodename)" = box1 ]
}

@test "sysinfo: totalram is --memory, freeram at most that, procs the sandbox's tasks" {
	run rvisor-run --stats "$T/s" --rule sysinfo=emulate --memory 256M -- sc sysinfo
	echo "$output"
	[ "$status" -eq 0 ]
	read -r _ _ total free procs uptime _ <<<"$output"
	[ "$total" = totalram=268435456 ]
	free=${free#freeram=}
	# rvisor-run gives no cgroup: the host's free memory, at most the limit
	[ "$free" -gt 0 ]
	[ "$free" -le 268435456 ]
	[ "$procs" = procs=1 ]
	[ "${uptime#uptime=}" -le "$(host_uptime)" ]
	[ "$(kv "$T/s" syscall.sysinfo)" = 0,1,0 ]
	[ "$(kv "$T/s" total.emulated)" = 1 ]
}

@test "sysinfo: procs counts every task of the sandbox" {
	# sh (pid 1), a background sleep and sc: three tasks.
	run rvisor-run --rule sysinfo=emulate --memory 256M -- sh -c 'sleep 10 & sc sysinfo; exit 0'
	echo "$output"
	[[ "$output" == *" procs=3 "* ]]
	# sc with a second thread: the thread counts too
	run rvisor-run --rule sysinfo=emulate -- sc thread sysinfo
	[[ "$output" == *" procs=2 "* ]]
}

@test "sysinfo: without --memory totalram is the host's" {
	host=$(sc sysinfo)
	read -r _ _ host_total _ <<<"$host"
	run rvisor-run --rule sysinfo=emulate -- sc sysinfo
	read -r _ _ total free _ <<<"$output"
	[ "$total" = "$host_total" ]
	free=${free#freeram=}
	[ "$free" -gt 0 ]
	[ "$free" -le "${total#totalram=}" ]
	# and without EMULATE the host answers, whatever --memory says
	run rvisor-run --memory 256M -- sc sysinfo
	read -r _ _ total _ <<<"$output"
	[ "$total" = "$host_total" ]
}

@test "sethostname asks for CAP_SYS_ADMIN over the UTS namespace's owner, not the caller's own user namespace" {
	# A task in a user namespace of its own holds every capability there, none over the
	# sandbox's UTS namespace (owned by the initial one): the emulated call refuses it too.
	run rvisor-run --allow-namespaces "${EMU[@]}" --hostname box -- \
		sh -c 'unshare -U sc sethostname evil; sc uname'
	echo "$output"
	[ "${lines[0]}" = EPERM ]
	[[ "${lines[1]}" == *" nodename=box "* ]]
	run rvisor-run --allow-namespaces "${EMU[@]}" --hostname box -- sh -c 'sc sethostname fine; sc uname'
	[ "${lines[0]}" = "ok 0" ]
	[[ "${lines[1]}" == *" nodename=fine "* ]]
}

@test "64 threads calling sysinfo: procs counts them without walking the host (see bench/ for the cost)" {
	run rvisor-run --rule sysinfo=emulate -- sc threads 63 sysinfo
	echo "$output" | head -3
	[ "$status" -eq 0 ]
	[[ "$output" == *" procs=64 "* ]]
}

@test "sysinfo: the loads are the sandbox's own (a fresh one has none), not the host's" {
	run rvisor-run --rule sysinfo=emulate -- sc sysinfo
	echo "$output"
	[[ "$output" == *" loads=0,0,0" ]]
}

@test "sched_getaffinity (ABI 6): without a cgroup, the kernel's answer, from the fallback" {
	native=$(rvisor-run -- sc getaffinity)
	[[ "$native" == "ok "*" cpus="* ]]
	run rvisor-run --stats "$T/s" --rule sched_getaffinity=emulate -- sc getaffinity
	[ "$output" = "$native" ]
	[ "$(kv "$T/s" syscall.sched_getaffinity)" = 0,1,0 ]
	[ "$(kv "$T/s" emulated_faulting)" = 1 ]
	# bad lengths, pids (1 is sc itself) and buffers: as the kernel answers them
	# shellcheck disable=SC2086 # $args: LEN and PID, two words
	for args in 0 4 12 "128 1" "128 4000"; do
		want=$(rvisor-run -- sc getaffinity $args || true)
		run rvisor-run --rule sched_getaffinity=emulate -- sc getaffinity $args
		echo "getaffinity $args: $output (want $want)"
		[ "$output" = "$want" ]
	done
	run rvisor-run --rule sched_getaffinity=emulate -- sc raw 204 0 128 1
	echo "bad buffer: $output"
	[ "$output" = EFAULT ]
}

@test "the kernel log stayed clean (emulate.bats)" {
	kernel_log_clean
}
