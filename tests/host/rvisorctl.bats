#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# rvisorctl on the build host, where no module can be loaded.

load lib

# No daemon: status falls back to asking the device itself.
setup() {
	export RVISOR_SOCKET=/nonexistent/io.rvisor.Manager
}

@test "--version prints the VERSION file and the UAPI header's ABI" {
	run "$RVISORCTL" --version
	[ "$status" -eq 0 ]
	[ "$output" = "rvisorctl $RVISOR_VERSION (ABI $RVISOR_ABI)" ]
}

@test "--help lists the verbs" {
	run "$RVISORCTL" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: rvisorctl"* ]]
	[[ "$output" == *"status"* ]]
}

@test "no verb is a usage error (exit 2) naming what to do" {
	run "$RVISORCTL"
	[ "$status" -eq 2 ]
	[[ "$output" == *"No verb given. Try 'rvisorctl --help'."* ]]
}

@test "an unknown verb is a usage error (exit 2)" {
	run "$RVISORCTL" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"Unknown verb 'frobnicate'"* ]]
}

@test "an unknown global option is a usage error (exit 2)" {
	run "$RVISORCTL" --frobnicate status
	[ "$status" -eq 2 ]
	[[ "$output" == *"Try 'rvisorctl --help'"* ]]
}

@test "status: unknown option and extra argument are usage errors (exit 2)" {
	run "$RVISORCTL" status --frobnicate
	[ "$status" -eq 2 ]
	run "$RVISORCTL" status extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"status takes no arguments, got 'extra'"* ]]
}

@test "status --help describes the exit codes" {
	run "$RVISORCTL" status --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 not loaded"* ]]
}

@test "status without the module: 'not loaded', a hint, exit 3" {
	RVISOR_SYSFS_MODULE=/nonexistent RVISOR_DEVICE=/nonexistent/rvisor run "$RVISORCTL" status
	[ "$status" -eq 3 ]
	[[ "$output" == *"daemon:    not running"* ]]
	[[ "$output" == *"device:    /nonexistent/rvisor"* ]]
	[[ "$output" == *"module:    not loaded"* ]]
	[[ "$output" == *"Load it with 'modprobe rvisor'"* ]]
}

@test "status --json without the module is valid JSON saying loaded=false" {
	RVISOR_SYSFS_MODULE=/nonexistent RVISOR_DEVICE=/nonexistent/rvisor run --separate-stderr "$RVISORCTL" status --json
	[ "$status" -eq 3 ]
	[ "$(jq -r .module.loaded <<<"$output")" = false ]
	[ "$(jq -r .version <<<"$output")" = "$RVISOR_VERSION" ]
	[ "$(jq -r .abi <<<"$output")" = "$RVISOR_ABI" ]
	[ "$(jq -r .device <<<"$output")" = /nonexistent/rvisor ]
	[ "$(jq -r .daemon.running <<<"$output")" = false ]
}

# fake_module ABI: a directory laid out as /sys/module/rvisor (ABI "" leaves out abi_version).
fake_module() {
	local d=$BATS_TEST_TMPDIR/module
	rm -rf "$d"
	mkdir -p "$d/parameters"
	echo 9.8.7 >"$d/version"
	[ -z "$1" ] || echo "$1" >"$d/parameters/abi_version"
	export RVISOR_SYSFS_MODULE=$d
}

@test "status reads the module's version and ABI from sysfs, never from the device" {
	fake_module "$RVISOR_ABI"
	# /dev/null would answer any ioctl with ENOTTY: status does not ask it
	RVISOR_DEVICE=/dev/null run "$RVISORCTL" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"module:    loaded, version 9.8.7, ABI $RVISOR_ABI (compatible)"* ]]
	RVISOR_DEVICE=/dev/null run --separate-stderr "$RVISORCTL" status --json
	[ "$status" -eq 0 ]
	[ "$(jq -c '.module | [.loaded, .version, .abi, .compatible]' <<<"$output")" = "[true,\"9.8.7\",$RVISOR_ABI,true]" ]
}

@test "status: another ABI, an unknown one and malformed module files are clear errors, exit 1" {
	fake_module $((RVISOR_ABI + 1))
	run "$RVISORCTL" status
	[ "$status" -eq 1 ]
	[[ "$output" == *"ABI $((RVISOR_ABI + 1)) (INCOMPATIBLE)"* ]]
	[[ "$output" == *"rvisor.ko speaks ABI $((RVISOR_ABI + 1)), this rvisorctl ABI $RVISOR_ABI"* ]]
	fake_module ""
	run "$RVISORCTL" status
	[ "$status" -eq 1 ]
	[[ "$output" == *"module:    loaded, version unknown"* ]]
	[[ "$output" == *"rvisor.ko's ABI is unknown"* ]]
	for bad in x 6x "" $'6\n7'; do
		fake_module 6
		printf '%s' "$bad" >"$RVISOR_SYSFS_MODULE/parameters/abi_version"
		run "$RVISORCTL" status
		[ "$status" -eq 1 ]
		[[ "$output" == *"does not describe an rvisor module"* ]]
	done
	fake_module 6
	rm "$RVISOR_SYSFS_MODULE/version"
	run --separate-stderr "$RVISORCTL" status --json
	[ "$status" -eq 1 ]
	[ "$(jq -r .module.error <<<"$output")" = "Bad message" ]
}

@test "policy check parses the file here, with rvisord's parser: no daemon needed" {
	run "$RVISORCTL" policy check "$ROOT/etc/rvisor/policies/default.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "$ROOT/etc/rvisor/policies/default.conf: ok" ]
	printf '[sandbox]\nmemory = 1G\n\n[syscalls]\ndefault = deny\nallow = read frobnicate\n' >"$BATS_TEST_TMPDIR/bad.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/bad.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == "$BATS_TEST_TMPDIR/bad.conf:6: "*frobnicate* ]]
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/missing.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Cannot read $BATS_TEST_TMPDIR/missing.conf: No such file or directory"* ]]
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"give a policy file"* ]]
}

@test "version: each part's version and ABI, or that it is not there; bad input is a usage error" {
	RVISOR_SYSFS_MODULE=/nonexistent run "$RVISORCTL" version
	[ "$status" -eq 0 ]
	[ "$output" = "client:  rvisorctl $RVISOR_VERSION, ABI $RVISOR_ABI
daemon:  not running
module:  not loaded" ]
	fake_module "$RVISOR_ABI"
	run --separate-stderr "$RVISORCTL" version --json
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "{\"client\":{\"version\":\"$RVISOR_VERSION\",\"abi\":$RVISOR_ABI},\"daemon\":null,\"module\":{\"version\":\"9.8.7\",\"abi\":$RVISOR_ABI}}" ]
	run "$RVISORCTL" version extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"version takes no arguments, got 'extra'"* ]]
	run "$RVISORCTL" version --frobnicate
	[ "$status" -eq 2 ]
}
