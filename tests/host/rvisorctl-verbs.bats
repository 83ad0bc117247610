#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# rvisorctl's verbs without a daemon: every bad input is one line saying what to do, with the
# right exit code (2 usage, 125 run's usage errors and own failures, 1 the other verbs' failures).

load lib

setup() {
	export RVISOR_SOCKET="$BATS_TEST_TMPDIR/no-such-socket"
	export RVISOR_DEVICE=/nonexistent/rvisor
}

# The last `run` was a usage error of VERB: exit 2 (125 for run, as docker: the program may
# exit 2 itself), one line, naming the verb's --help.
usage_error() {
	if [ "$1" = run ]; then [ "$status" -eq 125 ]; else [ "$status" -eq 2 ]; fi
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "rvisorctl: "*". Try 'rvisorctl $1 --help'." ]]
}

# The last `run` found no daemon: exit CODE, one line, the hint.
not_running() {
	[ "$status" -eq "$1" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "rvisorctl: rvisord is not running: systemctl start rvisord.socket"* ]]
}

@test "--help lists every verb" {
	run "$RVISORCTL" --help
	[ "$status" -eq 0 ]
	for verb in run ps stats kill policy status; do
		[[ "$output" == *"  $verb "* ]]
	done
}

@test "every verb has --help, exit 0" {
	for verb in run ps stats kill policy status; do
		run "$RVISORCTL" "$verb" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: rvisorctl $verb"* ]]
	done
	run "$RVISORCTL" policy show --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"policy check FILE"* ]]
}

@test "run --help names the options and the exit codes" {
	run "$RVISORCTL" run --help
	[ "$status" -eq 0 ]
	for opt in --image --policy --memory --name --env --workdir --user --tty --interactive --json; do
		[[ "$output" == *"$opt"* ]]
	done
	[[ "$output" == *"125 when rvisor failed"* ]]
}

@test "run without --image is a usage error" {
	run "$RVISORCTL" run
	usage_error run
	[[ "$output" == *"No image given: use --image DIR"* ]]
	run "$RVISORCTL" run -- /bin/true
	usage_error run
	run "$RVISORCTL" run --image
	usage_error run
	[[ "$output" == *"Option '--image' needs an argument"* ]]
	run "$RVISORCTL" run --image ''
	usage_error run
}

@test "run: unknown options are usage errors; options after the command are the command's" {
	run "$RVISORCTL" run --frobnicate --image /x
	usage_error run
	[[ "$output" == *"Unknown option '--frobnicate'"* ]]
	run "$RVISORCTL" run -Z --image /x
	usage_error run
	[[ "$output" == *"Unknown option '-Z'"* ]]
	run "$RVISORCTL" run --json=yes --image /x
	usage_error run
	[[ "$output" == *"Option '--json' takes no argument"* ]]
	# ls's --frobnicate is not ours: the call is made (and finds no daemon)
	run "$RVISORCTL" run --image /x ls --frobnicate
	not_running 125
}

@test "run --memory: sizes with K/M/G, nothing else" {
	for bad in 12Q -1 1.5G 0x10 M "" " 1"; do
		run "$RVISORCTL" run --memory "$bad" --image /x
		usage_error run
		[[ "$output" == *"Invalid --memory '$bad'"* ]]
	done
	for huge in 0 99999999999999999999999 9000000T 9223372036854775808; do
		run "$RVISORCTL" run --memory "$huge" --image /x
		usage_error run
		[[ "$output" == *"--memory '$huge' is out of range"* ]]
	done
	for good in 512 64K 512M 2G 1g 512MiB; do
		run "$RVISORCTL" run --memory "$good" --image /x true
		not_running 125
	done
}

@test "run -e: KEY=VALUE or KEY, never an empty key" {
	for bad in =x = ""; do
		run "$RVISORCTL" run -e "$bad" --image /x
		usage_error run
		[[ "$output" == *"Invalid --env '$bad': use KEY=VALUE, or KEY"* ]]
	done
	run "$RVISORCTL" run -e A=b -e HOME -e RVISOR_UNSET_VARIABLE --env C= --image /x true
	not_running 125
}

@test "run --user: UID or UID:GID, numbers" {
	for bad in x:y root 1: :1 1:2:3 -1 4294967295 ""; do
		run "$RVISORCTL" run --user "$bad" --image /x
		usage_error run
		[[ "$output" == *"Invalid --user '$bad': use UID or UID:GID"* ]]
	done
	run "$RVISORCTL" run -u 1000:1000 --image /x true
	not_running 125
}

@test "run: bad --workdir and --name are usage errors; --policy is rvisord's to check" {
	run "$RVISORCTL" run -w relative --image /x
	usage_error run
	[[ "$output" == *"Invalid --workdir 'relative': give an absolute path"* ]]
	run "$RVISORCTL" run --name 'a b' --image /x
	usage_error run
	[[ "$output" == *"Invalid --name 'a b'"* ]]
	run "$RVISORCTL" run --name -x --image /x
	usage_error run
	# which policies exist is rvisord's to say
	run "$RVISORCTL" run --policy ../etc/passwd --image /x
	not_running 125
}

@test "run -t needs -i, and -it needs a terminal" {
	run "$RVISORCTL" run -t --image /x
	usage_error run
	[[ "$output" == *"-t needs -i"* ]]
	run "$RVISORCTL" run -it --image /x true </dev/null
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"stdin is not a terminal: drop -t"* ]]
}

@test "run without a daemon: exit 125 and how to start it" {
	run "$RVISORCTL" run --image /nonexistent/image /bin/true
	not_running 125
	[[ "$output" == *"(no socket at $RVISOR_SOCKET)"* ]]
	run "$RVISORCTL" run --json -i --image . -- sh -c 'exit 3' </dev/null
	not_running 125
}

@test "run when nothing listens on the socket path: exit 125, not running" {
	touch "$BATS_TEST_TMPDIR/plain"
	RVISOR_SOCKET="$BATS_TEST_TMPDIR/plain" run "$RVISORCTL" run --image /x true
	not_running 125
	[[ "$output" == *"(nothing listens on $BATS_TEST_TMPDIR/plain)"* ]]
}

@test "run without RVISOR_SOCKET uses /run/rvisor/io.rvisor.Manager" {
	[ ! -e /run/rvisor/io.rvisor.Manager ] || skip "a daemon's socket exists on this host"
	RVISOR_SOCKET= run "$RVISORCTL" run --image /x true
	not_running 125
	[[ "$output" == *"(no socket at /run/rvisor/io.rvisor.Manager)"* ]]
}

@test "ps: no arguments; without a daemon exit 1 and the hint" {
	run "$RVISORCTL" ps extra
	usage_error ps
	[[ "$output" == *"ps takes no arguments, got 'extra'"* ]]
	run "$RVISORCTL" ps --frobnicate
	usage_error ps
	run "$RVISORCTL" ps
	not_running 1
	run "$RVISORCTL" ps --json
	not_running 1
}

@test "stats: one numeric ID" {
	run "$RVISORCTL" stats
	usage_error stats
	[[ "$output" == *"No sandbox given"* ]]
	for bad in abc 12a "" 99999999999999999999; do
		run "$RVISORCTL" stats "$bad"
		usage_error stats
		[[ "$output" == *"Invalid sandbox ID '$bad'"* ]]
	done
	run "$RVISORCTL" stats -1
	usage_error stats
	run "$RVISORCTL" stats 1 2
	usage_error stats
	run "$RVISORCTL" stats 3
	not_running 1
	run "$RVISORCTL" stats 3 --json
	not_running 1
}

@test "kill: an ID and an optional signal, by name or number" {
	run "$RVISORCTL" kill
	usage_error kill
	run "$RVISORCTL" kill x
	usage_error kill
	[[ "$output" == *"Invalid sandbox ID 'x'"* ]]
	for bad in BOGUS 0 65 -9 SIG 9x ""; do
		run "$RVISORCTL" kill 3 "$bad"
		usage_error kill
		[[ "$output" == *"Invalid signal '$bad'"* ]]
	done
	run "$RVISORCTL" kill 3 TERM extra
	usage_error kill
	for good in TERM SIGKILL int 9 64; do
		run "$RVISORCTL" kill 3 "$good"
		not_running 1
	done
	run "$RVISORCTL" kill 3
	not_running 1
}

@test "policy: a subcommand is needed, and must be known" {
	run "$RVISORCTL" policy
	usage_error policy
	[[ "$output" == *"No subcommand given: use list, show or check"* ]]
	run "$RVISORCTL" policy frobnicate
	usage_error policy
	[[ "$output" == *"Unknown subcommand 'frobnicate'"* ]]
	run "$RVISORCTL" policy list extra
	usage_error policy
	run "$RVISORCTL" policy show
	usage_error policy
	run "$RVISORCTL" policy show a b
	usage_error policy
	run "$RVISORCTL" policy check
	usage_error policy
	run "$RVISORCTL" policy check --json "$ROOT/etc/rvisor/policies/default.conf"
	usage_error policy
	run "$RVISORCTL" policy list --frobnicate
	usage_error policy
}

@test "policy check: a file that cannot be read is exit 1 naming it" {
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/missing.conf"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "rvisorctl: Cannot read $BATS_TEST_TMPDIR/missing.conf: No such file or directory" ]
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Is a directory"* ]]
	printf 'a\0b' >"$BATS_TEST_TMPDIR/nul.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/nul.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contains a NUL byte"* ]]
}

@test "policy list, show and check without a daemon: exit 1 and the hint" {
	run "$RVISORCTL" policy list
	not_running 1
	run "$RVISORCTL" policy list --json
	not_running 1
	run "$RVISORCTL" policy show default
	not_running 1
	run "$RVISORCTL" policy check "$ROOT/etc/rvisor/policies/default.conf"
	not_running 1
}

@test "status without a daemon says so and falls back to the device" {
	run --separate-stderr "$RVISORCTL" status
	[ "$status" -eq 3 ]
	[ "${lines[1]}" = "daemon:    not running" ]
	[ "${lines[3]}" = "module:    not loaded" ]
	run --separate-stderr "$RVISORCTL" status --json
	[ "$status" -eq 3 ]
	[ "$(jq -r .daemon.running <<<"$output")" = false ]
	[ "$(jq -r .daemon.socket <<<"$output")" = "$RVISOR_SOCKET" ]
	[ "$(jq -r .module.loaded <<<"$output")" = false ]
}

@test "a global option before the verb is still checked" {
	run "$RVISORCTL" --frobnicate run --image /x
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "rvisorctl: Unknown option '--frobnicate'. Try 'rvisorctl --help'." ]
}
