#!/usr/bin/env bats
# Argument rules (ioctl requests, socket families and netlink protocols, prctl options,
# personality, namespace flags, clone3), quiet refusals, and the compat (int 0x80) and x32 entry
# points. A violation of an argument rule is a denial with RVISOR_EVENT_F_ARGUMENT (2) and
# EPERM (ENOTTY for ioctl, ENOSYS for clone3); compat and x32 are ENOSYS with F_COMPAT (4) /
# F_X32 (8).

load lib

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

# TCGETS 0x5401, FIONREAD 0x541b: both succeed natively on a pty master (sc's default path).

@test "ioctl: without a filter every request passes" {
	run rvisor-run -- sh -c 'sc ioctl TCGETS; sc ioctl FIONREAD'
	[ "$output" = $'ok 0\nok 0' ]
}

@test "ioctl: with a filter listed requests pass, others are ENOTTY argument denials" {
	run rvisor-run --stats "$T/s" --events "$T/e" --allow-ioctl TCGETS --allow-ioctl TIOCGWINSZ -- \
		sh -c 'sc ioctl-tcgets; sc ioctl TIOCGWINSZ; sc ioctl FIONREAD; exit 0'
	[ "$output" = $'ok 0\nok 0\nENOTTY' ]
	[ "$(events_count "$T/e" type=denied nr=16 value=25 flags=2 arg1=21531)" = 1 ]
	[ "$(events_count "$T/e" type=denied)" = 1 ]
	[ "$(kv "$T/s" syscall.ioctl)" = 2,0,1 ]
}

@test "ioctl: an empty filter refuses every request" {
	run rvisor-run --filter-ioctl -- sc ioctl-tcgets
	[ "$output" = ENOTTY ]
}

@test "ioctl: the filter applies to LOG too, not to DENY" {
	run rvisor-run --events "$T/e" --rule ioctl=log --allow-ioctl TCGETS -- \
		sh -c 'sc ioctl TCGETS; sc ioctl FIONREAD; exit 0'
	[ "$output" = $'ok 0\nENOTTY' ]
	[ "$(events_count "$T/e" type=logged nr=16 arg1=21505)" = 1 ]
	[ "$(events_count "$T/e" type=denied nr=16 value=25 flags=2 arg1=21531)" = 1 ]
	run rvisor-run --rule ioctl=deny:ENOTTY --allow-ioctl TCGETS -- sc ioctl TCGETS
	[ "$output" = ENOTTY ]
}

@test "socket: with a family filter AF_UNIX passes and AF_INET is an EPERM argument denial" {
	run rvisor-run -- sc socket INET
	[[ "$output" == "ok "* ]]
	run rvisor-run --stats "$T/s" --events "$T/e" --allow-family UNIX -- \
		sh -c 'sc socket UNIX; sc socket INET; sc socketpair UNIX; sc socketpair INET; exit 0'
	echo "$output"
	[ "${lines[0]%% *}" = ok ]
	[ "${lines[1]}" = EPERM ]
	[ "${lines[2]%% *}" = ok ]
	[ "${lines[3]}" = EPERM ] # natively EOPNOTSUPP: the filter answered
	[ "$(events_count "$T/e" type=denied nr=41 value=1 flags=2 arg0=2)" = 1 ]
	[ "$(events_count "$T/e" type=denied nr=53 value=1 flags=2 arg0=2)" = 1 ]
	[ "$(kv "$T/s" syscall.socket)" = 1,0,1 ]
	[ "$(kv "$T/s" syscall.socketpair)" = 1,0,1 ]
}

@test "socket: families 64 and above are never allowed, nor unset ones" {
	run rvisor-run --allow-family UNIX --allow-family INET -- \
		sh -c 'sc socket INET6; sc socket 65; sc socket 100; sc socket 64; exit 0'
	[ "$output" = $'EPERM\nEPERM\nEPERM\nEPERM' ]
	run rvisor-run --filter-socket -- sc socket UNIX
	[ "$output" = EPERM ]
}

@test "socket: with a netlink filter only the listed protocols pass" {
	# without one, every protocol of an allowed netlink passes
	run rvisor-run --allow-family NETLINK -- sh -c 'sc socket NETLINK RAW 0; sc socket NETLINK RAW 9'
	[ "${lines[0]%% *}" = ok ]
	[ "${lines[1]%% *}" = ok ]
	run rvisor-run --events "$T/e" --allow-family UNIX --allow-family NETLINK --allow-netlink ROUTE -- \
		sh -c 'sc socket NETLINK RAW 0; sc socket NETLINK DGRAM 0; sc socket NETLINK RAW 9
			sc socket NETLINK RAW 15; sc socket NETLINK RAW 32; sc socket NETLINK RAW 0x100000000
			sc socket UNIX; exit 0'
	echo "$output"
	[ "${lines[0]%% *}" = ok ]
	[ "${lines[1]%% *}" = ok ]
	[ "${lines[2]}" = EPERM ] # audit
	[ "${lines[3]}" = EPERM ] # uevents
	[ "${lines[4]}" = EPERM ] # beyond the mask
	[ "${lines[5]%% *}" = ok ] # the kernel reads an int: protocol 0
	[ "${lines[6]%% *}" = ok ]
	[ "$(events_count "$T/e" type=denied nr=41 value=1 flags=2 arg0=16 arg2=9)" = 1 ]
	# the protocol list alone allows no netlink
	run rvisor-run --allow-family UNIX --allow-netlink ROUTE -- sc socket NETLINK RAW 0
	[ "$output" = EPERM ]
}

@test "personality: queries and safe personas pass, ASLR-weakening flags are EPERM" {
	# 0x40000 ADDR_NO_RANDOMIZE, 0x400000 READ_IMPLIES_EXEC, 0x100000 MMAP_PAGE_ZERO,
	# 0x200000 ADDR_COMPAT_LAYOUT, 0x800000 ADDR_LIMIT_32BIT, 0x8000000 ADDR_LIMIT_3GB
	run rvisor-run --events "$T/e" -- sh -c '
		sc raw 135 0xffffffff; sc raw 135 0; sc raw 135 8; sc raw 135 0x4000000
		for f in 0x40000 0x400000 0x100000 0x200000 0x800000 0x8000000 0x40008 0xfffffffe; do
			sc raw 135 $f
		done
		sc raw 135 0xffffffff00000000; sc raw 135 0xffffffff; exit 0'
	echo "$output"
	[ "$(grep -c '^ok' <<<"$output")" = 6 ]
	[ "$(grep -c '^EPERM$' <<<"$output")" = 8 ]
	[ "${lines[0]}" = "ok 0" ] # the query: PER_LINUX
	[ "${lines[12]}" = "ok 0" ] # the kernel reads an unsigned int: PER_LINUX again
	[ "$(events_count "$T/e" type=denied nr=135 value=1 flags=2 arg0=262144)" = 1 ]
	# a DENY rule wins
	run rvisor-run --rule personality=deny:ENOSYS -- sc raw 135 0
	[ "$output" = ENOSYS ]
}

@test "quiet: refusals of a quiet syscall are counted but queue no event" {
	run rvisor-run --stats "$T/s" --events "$T/e" --quiet clone3 --rule migrate_pages=deny:ENOSYS -- \
		sh -c 'sc loop 50 clone3; sc thread getppid; sc raw 256; exit 0'
	echo "$output"
	[ "${lines[0]}" = "ENOSYS 50" ]
	[[ "${lines[1]}" == "ok "* ]] # pthread_create fell back to clone
	[ "${lines[2]}" = ENOSYS ]
	[ "$(kv "$T/s" syscall.clone3)" = 0,0,51 ] # and pthread_create's own try
	[ "$(events_count "$T/e" type=denied nr=435)" = 0 ]
	[ "$(events_count "$T/e" type=denied nr=256)" = 1 ] # others are still reported
	# a DENY rule, quiet too
	run rvisor-run --stats "$T/s" --events "$T/e" --rule migrate_pages=deny:ENOSYS --quiet migrate_pages -- \
		sc raw 256
	[ "$output" = ENOSYS ]
	[ "$(kv "$T/s" syscall.migrate_pages)" = 0,0,1 ]
	[ "$(events_count "$T/e" type=denied)" = 0 ]
}

@test "prctl: with a filter listed options pass, others are EPERM argument denials" {
	run rvisor-run -- sc prctl GET_DUMPABLE
	[ "$output" = "ok 1" ]
	run rvisor-run --events "$T/e" --allow-prctl GET_NAME --allow-prctl SET_NAME -- \
		sh -c 'sc prctl SET_NAME probe; sc prctl GET_NAME; sc prctl GET_DUMPABLE; exit 0'
	[ "$output" = $'ok 0\nok 0 name=sc\nEPERM' ]
	[ "$(events_count "$T/e" type=denied nr=157 value=1 flags=2 arg0=3)" = 1 ]
	[ "$(events_count "$T/e" type=denied)" = 1 ]
}

@test "unshare and clone: namespace flags are EPERM argument denials by default" {
	run rvisor-run --events "$T/e" -- sh -c '
		for f in NEWNS NEWUTS NEWIPC NEWNET NEWUSER NEWPID NEWCGROUP NEWTIME; do
			echo "unshare $f $(sc unshare $f)"
		done
		for f in NEWNS NEWUTS NEWNET NEWUSER NEWPID; do echo "clone $f $(sc clone $f)"; done'
	echo "$output"
	[ "$(grep -c ' EPERM$' <<<"$output")" = 13 ]
	[ "${#lines[@]}" = 13 ]
	[ "$(events_count "$T/e" type=denied nr=272 value=1 flags=2 arg0=131072)" = 1 ] # CLONE_NEWNS
	[ "$(events_count "$T/e" type=denied nr=56 value=1 flags=2)" = 5 ]
}

@test "unshare and clone without namespace flags pass by default" {
	run rvisor-run -- sh -c 'sc unshare FILES,FS; sc clone NONE; sc fork getpid'
	echo "$output"
	[ "${lines[0]}" = "ok 0" ]
	[ "${lines[1]%% *}" = ok ]
	[ "${lines[2]%% *}" = ok ]
}

@test "--allow-namespaces: unshare and clone may create namespaces" {
	run rvisor-run --allow-namespaces -- sh -c '
		for f in NEWNS NEWUTS NEWIPC NEWNET NEWUSER NEWPID NEWCGROUP NEWTIME; do
			echo "unshare $f $(sc unshare $f)"
		done
		for f in NEWNS NEWUTS NEWNET NEWUSER NEWPID; do echo "clone $f $(sc clone $f)"; done'
	echo "$output"
	[ "$(grep -c ' ok [0-9]*$' <<<"$output")" = 13 ]
}

@test "clone3 is ENOSYS by default (libc falls back to clone), allowed with --allow-namespaces" {
	run rvisor-run --stats "$T/s" --events "$T/e" -- sc clone3
	[ "$output" = ENOSYS ]
	[ "$(kv "$T/s" syscall.clone3)" = 0,0,1 ]
	[ "$(events_count "$T/e" type=denied nr=435 value=38)" = 1 ]
	# pthread_create tries clone3 first and falls back to clone.
	run rvisor-run -- sc thread getppid
	[ "$output" = "ok 0" ]
	run rvisor-run --allow-namespaces -- sh -c 'sc clone3; sc clone3 NEWNS'
	echo "$output"
	[ "${lines[0]%% *}" = ok ]
	[ "${lines[1]%% *}" = ok ]
}

@test "a DENY or KILL rule wins over argument rules (they apply to PASS and LOG only)" {
	run rvisor-run --rule unshare=deny:EACCES -- sc unshare NEWNS
	[ "$output" = EACCES ]
	run rvisor-run --rule unshare=kill -- sc unshare NEWNS
	[ "$status" -eq 137 ]
	run rvisor-run --rule socket=deny:EACCES --allow-family UNIX -- sc socket UNIX
	[ "$output" = EACCES ]
}

@test "int 0x80 is refused with ENOSYS and a COMPAT event; the table is not consulted" {
	run rvisor-run --stats "$T/s" --events "$T/e" -- sc int80-getpid
	[ "$status" -eq 1 ]
	[ "$output" = ENOSYS ]
	[ "$(events_count "$T/e" type=denied nr=20 value=38 flags=4 sandbox_pid=1)" = 1 ]
	[ "$(kv "$T/s" syscall.other)" = 0,0,1 ]
	[ -z "$(kv "$T/s" syscall.writev)" ] # ia32 20 is getpid, not x86-64 20 (writev)
}

@test "int 0x80 unshare(CLONE_NEWUSER) cannot get around namespaces = no: refused, no namespace made" {
	run rvisor-run --stats "$T/s" --events "$T/e" -- sh -c 'sc int80-unshare NEWUSER; readlink /proc/self/ns/user'
	echo "$output"
	[ "${lines[0]}" = ENOSYS ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/user)" ] # still the host's user namespace
	[ "$(events_count "$T/e" type=denied nr=310 value=38 flags=4)" = 1 ]
}

@test "a policy asking to pass ia32 or x32 syscalls is refused (EOPNOTSUPP): nothing passes unjudged" {
	run rvisor-run --allow-compat -- sc int80-unshare NEWUSER
	[ "$status" -eq 125 ]
	[[ "$output" == *RVISOR_IOC_SANDBOX_CREATE*EOPNOTSUPP* ]]
	run rvisor-run --allow-x32 -- sc x32-getpid
	[ "$status" -eq 125 ]
	[[ "$output" == *RVISOR_IOC_SANDBOX_CREATE*EOPNOTSUPP* ]]
	id=$(rvisor-run --no-bind)
	run rvisor-run ctl set-policy "$id" --allow-compat
	[ "$status" -eq 1 ]
	[[ "$output" == *EOPNOTSUPP* ]]
	rvisor-run ctl destroy "$id"
}

@test "an x32 syscall is refused with ENOSYS and an X32 event" {
	run rvisor-run --stats "$T/s" --events "$T/e" -- sc x32-getpid
	[ "$output" = ENOSYS ]
	line=$(events_grep "$T/e" type=denied value=38 flags=8 sandbox_pid=1)
	echo "$line"
	[ "$(events_count "$T/e" type=denied)" = 1 ]
	# nr: 39, with or without __X32_SYSCALL_BIT (1073741863)
	[[ "$(field "$line" nr)" =~ ^(39|1073741863)$ ]]
	[ "$(kv "$T/s" syscall.other)" = 0,0,1 ]
	[ -z "$(kv "$T/s" syscall.getpid)" ]
}

@test "a policy that lets io_uring run is refused (EPERM) unless it says ungated" {
	run rvisor-run --rule io_uring_setup=deny:EPERM --rule io_uring_enter=deny:EPERM \
		--rule io_uring_register=deny:EPERM -- sc getpid
	[ "$status" -eq 0 ]
	for sys in io_uring_setup io_uring_enter io_uring_register; do
		run rvisor-run --rule io_uring_setup=deny --rule io_uring_enter=deny \
			--rule io_uring_register=deny --rule "$sys=pass" -- sc getpid
		[ "$status" -eq 125 ]
		[[ "$output" == *RVISOR_IOC_SANDBOX_CREATE*EPERM* ]]
	done
	run rvisor-run --rule '*=pass' -- sc getpid # every table entry, io_uring_* included
	[ "$status" -eq 125 ]
	run rvisor-run --rule io_uring_setup=log --rule io_uring_enter=deny --rule io_uring_register=deny -- sc getpid
	[ "$status" -eq 125 ]
	run rvisor-run --ungated --rule io_uring_setup=pass -- sc getpid
	[ "$status" -eq 0 ]
}

@test "the kernel log stayed clean (gate-args.bats)" {
	kernel_log_clean
}
