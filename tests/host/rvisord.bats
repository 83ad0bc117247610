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
	[[ "$output" == *"$BATS_TEST_TMPDIR/c.conf: [rvisord] log_level=loud is not one of"* ]]
}

@test "the shipped rvisord.conf is accepted, and the daemon stops cleanly on SIGTERM" {
	[ "$(id -u)" -eq 0 ] || skip "the daemon needs CAP_SYS_ADMIN"
	RVISOR_DEVICE=/nonexistent "$RVISORD" --config "$ROOT/etc/rvisor/rvisord.conf" \
		>"$BATS_TEST_TMPDIR/log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/log" && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid"
	grep -q "Kernel layer unavailable (/nonexistent: No such file or directory)" "$BATS_TEST_TMPDIR/log"
	grep -q "rvisord stopping" "$BATS_TEST_TMPDIR/log"
}

@test "without CAP_SYS_ADMIN the daemon refuses to start" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop privileges"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$RVISORD" --config "$ROOT/etc/rvisor/rvisord.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rvisord needs CAP_SYS_ADMIN"* ]]
}
