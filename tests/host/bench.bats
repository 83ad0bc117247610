#!/usr/bin/env bats
# syscall-bench, the benchmarks' measuring tool (bench/README.md), on the build host: its
# command line refuses bad input with a usage error, and without rvisor.ko it says so. What it
# measures in the VM is bench/run-vm.sh's business, not a test's.
bats_require_minimum_version 1.5.0

load lib

BENCH=$ROOT/build/bench/syscall-bench

@test "syscall-bench measures a syscall of its own process, natively" {
	run -0 "$BENCH" -r 3 sysinfo 100
	[[ "$output" =~ ^sysinfo\ [0-9]+\.[0-9]$ ]]
	run -0 "$BENCH" -r 3 getppid 100
	[[ "$output" =~ ^getppid\ [0-9]+\.[0-9]$ ]]
}

@test "syscall-bench refuses bad numbers, names and comparisons with a usage error" {
	run -2 "$BENCH" -r 0 getppid 10
	[[ "$output" == *"REPS must be an integer from 1 to 1001, not '0'"* ]]
	run -2 "$BENCH" --threads 0 compare emulate sysinfo 10
	[[ "$output" == *"T must be an integer from 1 to 1024, not '0'"* ]]
	run -2 "$BENCH" --threads 64x compare emulate sysinfo 10
	[[ "$output" == *"not '64x'"* ]]
	run -2 "$BENCH" getppid -5
	[[ "$output" == *"N must be an integer"* ]]
	run -2 "$BENCH" nosuchcall 10
	[[ "$output" == *"unknown benchmark 'nosuchcall'"* ]]
	run -2 "$BENCH" compare nosuch getppid 10
	[[ "$output" == *"unknown comparison 'nosuch'"* ]]
	run -2 "$BENCH" compare pass getppid
	[[ "$output" == usage:* ]]
	run -2 "$BENCH"
	[[ "$output" == usage:* ]]
}

@test "syscall-bench without rvisor.ko says the module is not loaded" {
	[ ! -e /dev/rvisor ] || skip "/dev/rvisor exists on this host"
	run -1 "$BENCH" -r 1 compare pass getppid 10
	[[ "$output" == *"/dev/rvisor does not exist: the rvisor module is not loaded"* ]]
}

@test "syscall-bench loop runs every kind of loop in its directory and leaves nothing there" {
	local dir
	dir=$(mktemp -d)
	run -0 "$BENCH" -r 2 loop getppid 100 "$dir" uname 100 "$dir" openclose 20 "$dir" \
		stat 20 "$dir" write4k 300 "$dir" mkdirrmdir 20 "$dir" spawn 2 "$dir"
	[[ "$output" =~ ^getppid\ [0-9.]+$'\n'uname\ [0-9.]+$'\n'openclose\ [0-9.]+$'\n'stat\ [0-9.]+$'\n'write4k\ [0-9.]+$'\n'mkdirrmdir\ [0-9.]+$'\n'spawn\ [0-9.]+$ ]]
	[ -z "$(ls -A "$dir")" ]
	rmdir "$dir"
}

@test "syscall-bench loop refuses a relative or missing directory and incomplete triples" {
	run -2 "$BENCH" loop getppid 10 tmp
	[[ "$output" == *"DIR must be absolute, not 'tmp'"* ]]
	run -2 "$BENCH" loop getppid 10 /tmp stat 10
	[[ "$output" == usage:* ]]
	run -2 "$BENCH" loop
	[[ "$output" == usage:* ]]
	run -1 "$BENCH" loop stat 10 /nonexistent-rvisor-bench
	[[ "$output" == *"cannot change into /nonexistent-rvisor-bench"* ]]
}

@test "syscall-bench read reads whole files and names the file system that served each" {
	local f
	f=$(mktemp)
	head -c 100000 /dev/zero >"$f" # more than its buffer: read to the end, not once
	run -0 "$BENCH" -r 2 read /proc/meminfo 50 /proc/uptime 20 "$f" 5
	[[ "$output" =~ ^/proc/meminfo\ [0-9.]+\ proc$'\n'/proc/uptime\ [0-9.]+\ proc$'\n'"$f"\ [0-9.]+\ [0-9a-z]+$ ]]
	rm -f "$f"
}

@test "syscall-bench read refuses incomplete pairs, and empty or missing files" {
	local f
	run -2 "$BENCH" read /proc/meminfo
	[[ "$output" == usage:* ]]
	run -2 "$BENCH" read /proc/meminfo 0
	[[ "$output" == *"N must be an integer"* ]]
	run -1 "$BENCH" read /nonexistent-rvisor-bench 10
	[[ "$output" == *"statfs /nonexistent-rvisor-bench: No such file or directory"* ]]
	f=$(mktemp)
	run -1 "$BENCH" read "$f" 10
	[[ "$output" == *"reading $f: it is empty"* ]]
	rm -f "$f"
}
