#!/usr/bin/env bats
# What default.conf lets a sandbox do beyond files, processes and sockets (docs/policy.md),
# through rvisord and rvisorctl as users run it: System V IPC and POSIX message queues in the
# sandbox's own IPC namespace, AIO, I/O priorities, Landlock, personality without the
# ASLR-weakening flags, netlink route only, terminal ioctls, ENOTTY for an unlisted request,
# clone3's expected refusals counted but not logged one by one; each with its host-affecting
# form still refused.
bats_require_minimum_version 1.5.0

load lib

# A System V key both the host and the sandboxes use; sc's raw calls (x86-64 numbers):
# shmget 29, shmctl 31, semget 64, msgget 68; IPC_CREAT|0600 = 0x380.
KEY=0x52560001

setup_file() {
	load_module
	kernel_log_mark
	export IMAGE=/tmp/compat-image RVISOR_SOCKET=/run/rvisor/io.rvisor.Manager
	[ -d "$IMAGE" ] || BUSYBOX=/bin/busybox make-busybox-image "$IMAGE"
	cp /usr/local/bin/sc "$IMAGE/bin/sc"
	echo secret >"$IMAGE/secret"
	# the gate alone sees every refusal (with both layers the filter refuses migrate_pages
	# first: seccomp reports nothing)
	sed "s/^layers *=.*/layers = kernel/" /etc/rvisor/policies/default.conf \
		>/etc/rvisor/policies/compat-kernel.conf
	start_rvisord compat
}

teardown_file() {
	stop_rvisord compat
	rm -f /etc/rvisor/policies/compat-kernel.conf
	unload_module
}

in_sandbox() {
	rvisorctl run --image "$IMAGE" -- "$@"
}

@test "SysV IPC: a sandbox has its own objects; the host's and another sandbox's are invisible" {
	host_shm=$(sc raw 29 $KEY 4096 0x380 | cut -d' ' -f2)
	[ -n "$host_shm" ]
	run in_sandbox sh -c "sc raw 29 $KEY 4096 0; sc raw 64 $KEY 1 0; sc raw 68 $KEY 0
		sc raw 29 $KEY 4096 0x380; sc raw 64 $KEY 1 0x380; sc raw 68 $KEY 0x380
		sc raw 29 $KEY 4096 0; exit 0"
	echo "$output"
	sc raw 31 "$host_shm" 0 0 # IPC_RMID
	[ "${lines[0]}" = ENOENT ] # the host's segment
	[ "${lines[1]}" = ENOENT ]
	[ "${lines[2]}" = ENOENT ]
	[[ "${lines[3]}" == "ok "* ]] # its own, with the same key
	[[ "${lines[4]}" == "ok "* ]]
	[[ "${lines[5]}" == "ok "* ]]
	[ "${lines[6]}" = "${lines[3]}" ] # found again
	# a segment one sandbox holds is invisible to another running at the same time
	rvisorctl run --image "$IMAGE" -- sh -c "sc raw 29 $KEY 4096 0x380 && sleep 30" &
	holder=$!
	for _ in $(seq 100); do
		[ "$(rvisorctl ps --json | jq '.sandboxes | length')" = 1 ] && break
		sleep 0.1
	done
	sleep 1
	run in_sandbox sc raw 29 $KEY 4096 0
	kill -TERM "$holder"
	wait "$holder" || true
	[ "$output" = ENOENT ]
	# and none leaked to the host
	run sc raw 29 $KEY 4096 0
	[ "$output" = ENOENT ]
}

@test "POSIX message queues, AIO, I/O priorities and remap_file_pages work" {
	run in_sandbox sh -c 'sc mq /rvisor-compat; sc aio /secret; ionice -c 2 -n 7 ionice; sc remap'
	echo "$output"
	[ "${lines[0]}" = "ok 6 got=rvisor" ]
	[ "${lines[1]}" = "ok 1 byte=s" ]
	[ "${lines[2]}" = "best-effort: prio 7" ]
	[ "${lines[3]}" = "ok 0 byte=B" ]
	# the realtime class needs CAP_SYS_ADMIN, which no sandbox holds
	run in_sandbox ionice -c 1 true
	[ "$status" -ne 0 ]
}

@test "Landlock: a program can restrict itself further" {
	run in_sandbox sh -c 'sc landlock-open /secret; sc open /secret'
	echo "$output"
	[ "${lines[0]}" = EACCES ]
	[[ "${lines[1]}" == "ok "* ]]
}

@test "personality: linux32 works, turning off ASLR does not" {
	run in_sandbox linux32 uname -m
	[ "$output" = i686 ]
	run in_sandbox sh -c 'sc raw 135 0x40000; sc raw 135 0x400000; sc raw 135 0xffffffff'
	echo "$output"
	[ "$output" = $'EPERM\nEPERM\nok 0' ]
}

@test "netlink: route reads the sandbox's own interfaces; other protocols and writes are refused" {
	run in_sandbox ip -o link
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *": lo: "* ]]
	[[ "$output" != *eth* && "$output" != *ens* ]] # not the host's
	run in_sandbox ip link set lo mtu 1280
	[ "$status" -ne 0 ] # no CAP_NET_ADMIN
	run in_sandbox sh -c 'sc socket NETLINK RAW 9; sc socket NETLINK RAW 15; sc socket NETLINK RAW 12; exit 0'
	[ "$output" = $'EPERM\nEPERM\nEPERM' ] # audit, uevents, netfilter
}

@test "terminal ioctls complete; a request outside the list is ENOTTY" {
	# TCSETA (0x5406), TIOCGPTLCK (0x80045439), TIOCGLCKTRMIOS (0x5456) on a pty; TIOCSTI
	# (0x5412) and TIOCSETD (0x5423) stay refused, as does an unknown request
	run in_sandbox sh -c 'sc ioctl 0x5406; sc ioctl 0x80045439; sc ioctl 0x5456; sc ioctl 0x5412
		sc ioctl 0x5423; sc ioctl 0x1234; exit 0'
	echo "$output"
	[[ "${lines[0]}" == "ok "* ]]
	[[ "${lines[1]}" == "ok "* ]]
	[[ "${lines[2]}" == "ok "* ]]
	[ "${lines[3]}" = ENOTTY ]
	[ "${lines[4]}" = ENOTTY ]
	[ "${lines[5]}" = ENOTTY ]
}

@test "clone3: pthread_create's refused try is counted, not logged one by one" {
	: >/tmp/compat-rvisord.log
	run rvisorctl run --name quiet --policy compat-kernel --image "$IMAGE" -- \
		sh -c 'sc loop 30 clone3; sc thread getppid; sc raw 256; exit 0'
	echo "$output"
	[ "${lines[0]}" = "ENOSYS 30" ]
	[[ "${lines[1]}" == "ok "* ]] # pthread_create fell back to clone
	sleep 1
	cat /tmp/compat-rvisord.log
	! grep -q clone3 /tmp/compat-rvisord.log
	grep -q migrate_pages /tmp/compat-rvisord.log # other refusals are still reported
}

@test "clone3 under the default policy's two layers: the gate counts each refused try, the journal has none" {
	local n=0
	: >/tmp/compat-rvisord.log
	run rvisorctl run -d --name quiet2 --image "$IMAGE" -- sh -c 'sc loop 30 clone3; sc thread getppid; sleep 60'
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do
		n=$(rvisorctl stats quiet2 --json | jq '[.syscalls[] | select(.name == "clone3") | .denied] | add // 0')
		[ "$n" -lt 31 ] || break
		sleep 0.2
	done
	sleep 1
	n=$(rvisorctl stats quiet2 --json | jq '[.syscalls[] | select(.name == "clone3") | .denied] | add // 0')
	rvisorctl logs quiet2
	rvisorctl rm -f quiet2
	echo "clone3 refused: $n"
	[ "$n" = 31 ] # sc's 30 and pthread_create's own try, each ENOSYS
	cat /tmp/compat-rvisord.log
	! grep -q clone3 /tmp/compat-rvisord.log
}

@test "the overlay: readdir and stat agree on inode numbers (xino); statfs shows a used layer" {
	run in_sandbox sh -c 'touch /tmp/new; sc dino /bin; sc dino /; sc dino /tmp
		stat -f -c "%b %f" /'
	echo "$output"
	[ "${lines[0]}" = "ok 0" ]
	[ "${lines[1]}" = "ok 0" ]
	[ "${lines[2]}" = "ok 0" ]
	read -r blocks free <<<"${lines[3]}"
	[ "$blocks" -gt 0 ]
	[ "$free" -lt "$blocks" ] # something is used
}
