#!/usr/bin/env bats
# What default.conf lets a sandbox do beyond files, processes and sockets (docs/policy.md),
# through rvisord and rvisorctl as users run it: System V IPC and POSIX message queues in the
# sandbox's own IPC namespace, AIO, I/O priorities, Landlock, personality without the
# ASLR-weakening flags, netlink route only, terminal ioctls, ENOTTY for an unlisted request,
# clone3's expected refusals counted but not logged one by one; each with its host-affecting
# form still refused: the host's and other sandboxes' IPC objects and message queues are
# invisible (while the same calls find the sandbox's own), I/O priorities of host tasks can be
# neither read nor set by pid, process group or user (while the host reaches them), and
# netlink route writes fail without CAP_NET_ADMIN, which default.conf's root lacks even in a
# user namespace of its own, and with it (a policy may add it) change only the sandbox's own
# network namespace, never the host's.
bats_require_minimum_version 1.5.0

load lib

# A System V key both the host and the sandboxes use; sc's raw calls (x86-64 numbers):
# shmget 29, shmctl 31, semget 64, msgget 68; IPC_CREAT|0600 = 0x380.
KEY=0x52560001
# A POSIX message queue name both the host and the sandboxes use.
MQ=/rvisor-compat-mq

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
	sc mq-unlink "$MQ" >/dev/null || true
	! mqueue_mounted || umount /dev/mqueue
	rmdir /dev/mqueue 2>/dev/null || true
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

# The host's view of its message queues (the guest has no mountpoint(1)).
mqueue_mounted() {
	grep -q ' /dev/mqueue mqueue ' /proc/self/mounts
}

# wait_sandboxes N: until rvisorctl ps lists N sandboxes (at most 10 s).
wait_sandboxes() {
	for _ in $(seq 100); do
		[ "$(rvisorctl ps --json | jq '.sandboxes | length')" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "POSIX message queues: a sandbox has its own; the host's and another sandbox's are invisible" {
	mkdir -p /dev/mqueue
	mqueue_mounted || mount -t mqueue mqueue /dev/mqueue
	sc mq-open "$MQ" create
	sc mq-send "$MQ" host # the queue holds one message: now full
	run in_sandbox sh -c "sc mq-open $MQ; sc mq-receive $MQ; sc mq-send $MQ sandbox
		sc mq-open $MQ create; sc mq-send $MQ sandbox; sc mq-receive $MQ; exit 0"
	echo "$output"
	[ "${lines[0]}" = ENOENT ] # the host's queue
	[ "${lines[1]}" = ENOENT ]
	[ "${lines[2]}" = ENOENT ]
	[[ "${lines[3]}" == "ok "* ]] # its own, with the same name (O_EXCL)
	[ "${lines[4]}" = "ok 0" ]
	[ "${lines[5]}" = "ok 7 got=sandbox" ]
	# the host's queue still holds its own message only
	run sc mq-receive "$MQ"
	[ "$output" = "ok 4 got=host" ]
	run sc mq-receive "$MQ"
	[ "$output" = EAGAIN ]
	[ "$(ls /dev/mqueue)" = "${MQ#/}" ] # the host's mqueue file system shows it
	sc mq-unlink "$MQ"
	# a queue one sandbox holds is invisible to another running at the same time and to the host
	rvisorctl run -d --name mq-holder --image "$IMAGE" -- \
		sh -c "sc mq-open $MQ create && sc mq-send $MQ held && sleep 60"
	for _ in $(seq 100); do # until its queue is full: the message is in
		[ "$(rvisorctl exec mq-holder sc mq-send "$MQ" more 2>/dev/null)" = EAGAIN ] && break
		sleep 0.1
	done
	run in_sandbox sc mq-open "$MQ"
	other=$output
	run sc mq-open "$MQ"
	host=$output
	host_fs=$(ls /dev/mqueue)
	run rvisorctl exec mq-holder sc mq-receive "$MQ" # it is there all along
	rvisorctl rm -f mq-holder
	echo "another sandbox: $other, the host: $host ($host_fs), the holder: $output"
	[ "$output" = "ok 4 got=held" ]
	[ "$other" = ENOENT ]
	[ "$host" = ENOENT ]
	[ -z "$host_fs" ]
	wait_sandboxes 0
}

@test "I/O priorities: a host task's can be neither read nor set from a sandbox, by pid, group or user" {
	# a host task of root's in a process group of its own, with a known priority
	setsid sleep 120 </dev/null >/dev/null 2>&1 3>&- &
	host=$!
	for _ in $(seq 50); do
		[ "$(cut -d' ' -f5 "/proc/$host/stat")" = "$host" ] && break
		sleep 0.1
	done
	[ "$(cut -d' ' -f5 "/proc/$host/stat")" = "$host" ]
	sc ioprio-set process "$host" be 3
	[ "$(ionice -p "$host")" = "best-effort: prio 3" ]
	# the host reaches it by process group (and by user: root's tasks, not tried here)
	run sc ioprio-get pgrp "$host"
	[ "$output" = "ok 16387 class=2 data=3" ]
	# the sandbox runs as root too (no user namespace): its pid namespace is what hides the host's
	run in_sandbox sh -c "sc ioprio-get process $host; sc ioprio-set process $host be 7
		sc ioprio-get pgrp $host; sc ioprio-set pgrp $host be 7
		sc ioprio-set user 0 be 7; sc ioprio-get user 0
		sc ioprio-set process \$\$ idle 0; sc ioprio-get process \$\$; exit 0"
	echo "$output"
	after=$(ionice -p "$host")
	kill "$host"
	echo "the host task's afterwards: $after"
	[ "${lines[0]}" = ESRCH ]
	[ "${lines[1]}" = ESRCH ]
	[ "${lines[2]}" = ESRCH ]
	[ "${lines[3]}" = ESRCH ]
	[ "${lines[4]}" = "ok 0" ] # all its own root's tasks
	[ "${lines[5]}" = "ok 16391 class=2 data=7" ] # the best of its own tasks: the host's 3 is not seen
	[ "${lines[6]}" = "ok 0" ] # a pid of its own
	[ "${lines[7]}" = "ok 24576 class=3 data=0" ]
	[ "$after" = "best-effort: prio 3" ]
}

@test "POSIX message queues, AIO, I/O priorities and remap_file_pages work" {
	run in_sandbox sh -c 'sc mq /rvisor-compat; sc aio /secret; ionice -c 2 -n 7 ionice; sc remap'
	echo "$output"
	[ "${lines[0]}" = "ok 6 got=rvisor" ]
	[ "${lines[1]}" = "ok 1 byte=s" ]
	[ "${lines[2]}" = "best-effort: prio 7" ]
	[ "${lines[3]}" = "ok 0 byte=B" ]
	# the realtime class needs CAP_SYS_NICE or CAP_SYS_ADMIN, which no sandbox holds
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
	[ "$status" -ne 0 ] # no CAP_NET_ADMIN (busybox sets the MTU through an ioctl)
	run in_sandbox ip addr add 10.213.0.1/32 dev lo # RTM_NEWADDR
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"RTNETLINK answers: Operation not permitted"* ]]
	run in_sandbox sh -c 'sc socket NETLINK RAW 9; sc socket NETLINK RAW 15; sc socket NETLINK RAW 12; exit 0'
	[ "$output" = $'EPERM\nEPERM\nEPERM' ] # audit, uevents, netfilter
}

@test "netlink route writes: under default.conf root in a user namespace of the sandbox's own lacks CAP_NET_ADMIN; the host's network is unchanged" {
	host_before=$(ip -o link; ip -o addr)
	run rvisorctl run --userns --image "$IMAGE" -- sh -c 'grep CapEff /proc/self/status
		ip addr add 10.213.0.1/32 dev lo 2>&1; echo "addr $?"
		ip route add 10.213.0.0/24 dev lo 2>&1; echo "route $?"
		ip -o link show lo; ip -o addr show lo; ip route'
	echo "$output"
	host_after=$(ip -o link; ip -o addr)
	[ "$status" -eq 0 ]
	read -r _ caps <<<"${lines[0]}"
	(( ((0x$caps >> 13) & 1) == 1 )) # it holds docker's set (NET_RAW, 13) ...
	(( ((0x$caps >> 12) & 1) == 0 )) # ... without NET_ADMIN (12), which default.conf does not add
	[[ "$output" == *"RTNETLINK answers: Operation not permitted"$'\n'"addr "[1-9]* ]]
	[[ "$output" == *"RTNETLINK answers: Operation not permitted"$'\n'"route "[1-9]* ]]
	[[ "$output" == *": lo: "*" mtu 65536 "* ]] # its own loopback as it was
	[[ "$output" != *10.213.0.* ]]
	[ "$host_after" = "$host_before" ]
}

@test "netlink route writes with NET_ADMIN in the policy: its own network namespace changes, the host's never (not even with --network host)" {
	local pol=/etc/rvisor/policies
	sed '/^capabilities = NET_BIND_SERVICE/s/$/ NET_ADMIN/' $pol/default.conf >$pol/compat-netadmin.conf
	sed 's/^network = none/network = host/' $pol/compat-netadmin.conf >$pol/compat-netadmin-host.conf
	grep -q 'AUDIT_WRITE NET_ADMIN$' $pol/compat-netadmin.conf
	host_before=$(ip -o link; ip -o addr; ip route)
	run rvisorctl run --userns --policy compat-netadmin --image "$IMAGE" -- sh -c '
		ip addr add 10.213.0.1/32 dev lo && ip route add 10.213.0.0/24 dev lo && echo written
		ip -o addr show lo; ip route'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *written* ]]
	[[ "$output" == *"inet 10.213.0.1/32 "* ]]
	[[ "$output" == *"10.213.0.0/24 dev lo"* ]]
	[ "$(ip -o link; ip -o addr; ip route)" = "$host_before" ]
	# on the host's network namespace, owned by the initial user namespace, the sandbox's
	# NET_ADMIN is nothing: refused, and the host is unchanged
	run rvisorctl run --userns --network host --policy compat-netadmin-host --image "$IMAGE" -- sh -c '
		ip addr add 10.213.0.1/32 dev lo 2>&1; echo "addr $?"'
	echo "$output"
	rm -f $pol/compat-netadmin.conf $pol/compat-netadmin-host.conf
	[[ "$output" == *"RTNETLINK answers: Operation not permitted"$'\n'"addr "[1-9]* ]]
	[ "$(ip -o link; ip -o addr; ip route)" = "$host_before" ]
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
	run ! grep -q clone3 /tmp/compat-rvisord.log
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
