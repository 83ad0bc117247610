#!/usr/bin/env bats
# rvisord's skeleton on the build host: options, configuration, signals.

load lib

@test "--version names the daemon, the ABI and the libraries" {
	run "$RVISORD" --version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "rvisord $RVISOR_VERSION (ABI $RVISOR_ABI)" ]
	[[ "${lines[1]}" == "libseccomp "*", json-c "* ]]
}

@test "--help shows the usage" {
	run "$RVISORD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--config FILE"* ]]
}

@test "an unknown option or a stray argument is a usage error (exit 2)" {
	run "$RVISORD" --frobnicate
	[ "$status" -eq 2 ]
	run "$RVISORD" stray
	[ "$status" -eq 2 ]
	[[ "$output" == *"Unexpected argument 'stray'"* ]]
}

@test "a named configuration file that does not exist is an error naming it" {
	run "$RVISORD" --config /nonexistent/rvisord.conf
	[ "$status" -eq 1 ]
	[[ "$output" == *"Cannot read configuration /nonexistent/rvisord.conf: No such file or directory"* ]]
}

@test "an invalid log_level is an error naming file, key and the valid values" {
	printf '[rvisord]\nlog_level = loud\n' >"$BATS_TEST_TMPDIR/c.conf"
	run "$RVISORD" --config "$BATS_TEST_TMPDIR/c.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/c.conf: [rvisord] log_level=loud: not one of"* ]]
}

@test "the shipped rvisord.conf is accepted, and the daemon stops cleanly on SIGTERM" {
	[ "$(id -u)" -eq 0 ] || skip "the daemon needs CAP_SYS_ADMIN"
	d=$BATS_TEST_TMPDIR
	# the shipped file, with the paths moved out of the host's /run
	{ cat "$ROOT/etc/rvisor/rvisord.conf"; printf 'socket_path = %s/s.sock\nstate_dir = %s/state\n' "$d" "$d"; } >"$d/c.conf"
	RVISOR_DEVICE=/nonexistent "$RVISORD" --config "$d/c.conf" >"$d/log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$d/log" && break; sleep 0.1; done
	[ -S "$d/s.sock" ]
	kill -TERM "$pid"
	wait "$pid"
	grep -q "Kernel layer unavailable (/nonexistent: No such file or directory)" "$d/log"
	grep -q "rvisord stopping" "$d/log"
	[ ! -e "$d/s.sock" ] # a socket it bound itself goes with it
}

@test "without CAP_SYS_ADMIN the daemon refuses to start" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop privileges"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$RVISORD" --config "$ROOT/etc/rvisor/rvisord.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rvisord needs CAP_SYS_ADMIN"* ]]
}

@test "rvisord.conf: unknown keys and sections, bad values are errors naming file and key" {
	c=$BATS_TEST_TMPDIR/c.conf
	printf '[rvisord]\nfrobnicate = 1\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c: [rvisord] unknown key 'frobnicate'"* ]]
	printf '[other]\nx = 1\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown section [other]"* ]]
	for kv in "idle_timeout = soon" "idle_timeout = -1" "max_sandboxes = 0" "max_sandboxes = 5000" \
		"default_policy = ../etc" "state_dir = relative/dir" "socket_path = sock" "socket_group =" \
		"setup_timeout = 0" "setup_timeout = 3601" "setup_timeout = 1s" \
		"max_sandboxes_per_user = 0" "max_sandboxes_per_user = 2000" "max_sandboxes_per_user = x" \
		"max_connections_per_user = 1" "max_connections_per_user = 70000" "max_connections_per_user = -3"; do
		printf '[rvisord]\n%s\n' "$kv" >"$c"
		run "$RVISORD" --config "$c"
		echo "$kv -> $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$c: [rvisord] ${kv%% =*}="* ]]
	done
}

@test "rvisord.conf: the policies' INI dialect: a key set twice, a syntax error, a stray key name the line" {
	c=$BATS_TEST_TMPDIR/c.conf
	printf '[rvisord]\nlog_level = info\nlog_level = debug\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c: [rvisord] 'log_level' is set twice (lines 2 and 3)"* ]]
	printf '[rvisord]\nlog_level: debug\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c:2: 'log_level: debug': expected 'key = value' or '[section]'"* ]]
	printf '[rvisord\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c:1: '[rvisord': a section header ends with ']'"* ]]
	printf 'log_level = debug\n[rvisord]\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c:1: key 'log_level' before [rvisord]"* ]]
	printf '[rvisord]\n[rvisord]\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c:2: section [rvisord] appears twice (first at line 1)"* ]]
	printf '[rvisord]\nlog_level = "debug"\n' >"$c"
	run "$RVISORD" --config "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$c: [rvisord] log_level=\"debug\": not one of"* ]] # no quoting
}

@test "socket activation: rvisord serves the socket it is given and exits when idle" {
	[ "$(id -u)" -eq 0 ] || skip "the daemon needs root"
	d=$BATS_TEST_TMPDIR
	mkdir -p "$d/policies"
	cp "$ROOT"/etc/rvisor/policies/*.conf "$d/policies/"
	printf '[rvisord]\nsocket_path = %s/unused.sock\nstate_dir = %s/state\npolicy_dir = %s/policies\nidle_timeout = 2\n' \
		"$d" "$d" "$d" >"$d/c.conf"
	systemd-socket-activate -E RVISOR_DEVICE=/nonexistent -l "$d/act.sock" --fdname=varlink \
		"$RVISORD" --config "$d/c.conf" >"$d/log" 2>&1 &
	act=$!
	for _ in $(seq 100); do [ -S "$d/act.sock" ] && break; sleep 0.05; done
	RVISOR_SOCKET=$d/act.sock run "$RVISORCTL" status --json
	[ "$(jq -r .platform <<<"$output")" = seccomp ]
	[ ! -e "$d/unused.sock" ] # it used the socket it was given
	for _ in $(seq 100); do kill -0 "$act" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$act" 2>/dev/null
	grep -q "Idle for 2 s: exiting" "$d/log"
}
