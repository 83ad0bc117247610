#!/usr/bin/env bats
# rvisor.ko's skeleton inside Debian's kernel: loading, the control device, the VERSION ioctl.

load lib

setup() {
	load_module
}

@test "module loads and registers /dev/rvisor as a character device" {
	[ -d /sys/module/rvisor ]
	[ -c /dev/rvisor ]
	grep -qw rvisor /proc/misc
}

@test "/dev/rvisor is mode 0600, owned by root:root" {
	run stat -c '%a %u %g' /dev/rvisor
	[ "$status" -eq 0 ]
	[ "$output" = "600 0 0" ]
}

@test "module exposes its version and ABI (MODULE_VERSION, MODULE_INFO)" {
	[ "$(cat /sys/module/rvisor/version)" = "$RVISOR_VERSION" ]
	# busybox's modinfo wants modules.dep: read the .modinfo strings directly.
	strings "$RVISOR_KO" | grep -qx "abi=$RVISOR_ABI"
	strings "$RVISOR_KO" | grep -qx "version=$RVISOR_VERSION"
	strings "$RVISOR_KO" | grep -q "^vermagic=$(uname -r) "
}

@test "VERSION ioctl answers the ABI and module version, zeroes the rest" {
	unload_module
	load_module # fresh: no skip self-test has run
	run rvisor-probe version
	[ "$status" -eq 0 ]
	[ "$output" = "abi=$RVISOR_ABI version=$RVISOR_VERSION flags=0 reserved=0,0,0,0 tail_zero=1" ]
}

@test "the skip self-test decides by experiment: no sandbox before it, none after it fails" {
	unload_module
	load_module
	kernel_log_mark
	run rvisor-probe --no-selftest ioctl create-ok # a manager that skips the self-test
	[ "$output" = EOPNOTSUPP ]
	run rvisor-run ctl selftest
	[ "$output" = honoured ]
	[[ "$(rvisor-probe version)" == *" flags=1 "* ]] # RVISOR_VERSION_F_SKIP_VERIFIED
	dmesg | grep -q "rvisor: this kernel honours skipped syscalls"
	run rvisor-run --rule getppid=deny:EACCES -- sc getppid
	[ "$output" = EACCES ]

	# A kernel that runs skipped syscalls, as the test sees it when the probe leaves the
	# syscall alone: sandboxes are refused, with a log line saying why.
	echo 1 >/sys/module/rvisor/parameters/selftest_force_fail
	run rvisor-run ctl selftest
	echo 0 >/sys/module/rvisor/parameters/selftest_force_fail
	[ "$output" = not_honoured ]
	[[ "$(rvisor-probe version)" == *" flags=2 "* ]] # RVISOR_VERSION_F_SKIP_BROKEN
	dmesg | grep -q "rvisor: this kernel .* runs syscalls a sys_enter probe skipped"
	run rvisor-probe --no-selftest ioctl create-ok
	[ "$output" = EOPNOTSUPP ]

	# rvisord on such a kernel falls back to seccomp and says why.
	echo 1 >/sys/module/rvisor/parameters/selftest_force_fail
	rvisord >"$BATS_TEST_TMPDIR/log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/log" && break; sleep 0.1; done
	run rvisorctl status --json
	kill -TERM "$pid"
	wait "$pid"
	echo 0 >/sys/module/rvisor/parameters/selftest_force_fail
	cat "$BATS_TEST_TMPDIR/log"
	grep -q "runs syscalls that rvisor.ko skips" "$BATS_TEST_TMPDIR/log"
	[[ "$output" == *'"platform":"seccomp"'* ]]

	# Passing again: sandboxes again.
	run rvisor-run ctl selftest
	[ "$output" = honoured ]
	run rvisor-run --rule getppid=deny:EACCES -- sc getppid
	[ "$output" = EACCES ]
	kernel_log_clean
}

@test "rvisorctl status reports the loaded module and its ABI" {
	run rvisorctl status
	[ "$status" -eq 0 ]
	[[ "$output" == *"module:    loaded, version $RVISOR_VERSION, ABI $RVISOR_ABI (compatible)"* ]]
	run rvisorctl status --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"loaded":true'* ]]
	[[ "$output" == *"\"abi\":$RVISOR_ABI"* ]]
	[[ "$output" == *'"compatible":true'* ]]
	[ "$(cat /sys/module/rvisor/parameters/abi_version)" = "$RVISOR_ABI" ]
	[ "$(cat /sys/module/rvisor/version)" = "$RVISOR_VERSION" ]
}

@test "rvisorctl status never opens /dev/rvisor: it works while the manager holds it, and for anyone" {
	exec 9<>/dev/rvisor # the one opener, as a starting rvisord
	run rvisor-probe open
	[ "$output" = EBUSY ]
	run rvisorctl status
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"module:    loaded, version $RVISOR_VERSION, ABI $RVISOR_ABI (compatible)"* ]]
	run setpriv --reuid=65534 --regid=65534 --clear-groups rvisorctl status --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .module.abi <<<"$output")" = "$RVISOR_ABI" ]
	exec 9<&-
	# the holder's close, not status, released it
	run rvisor-probe open
	[ "$output" = ok ]
}

@test "rvisord finds the kernel layer and stops cleanly on SIGTERM" {
	rvisord >"$BATS_TEST_TMPDIR/log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/log" && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid"
	grep -q "Kernel layer: rvisor.ko $RVISOR_VERSION, ABI $RVISOR_ABI" "$BATS_TEST_TMPDIR/log"
}

@test "an unprivileged user cannot open /dev/rvisor (EACCES)" {
	run rvisor-probe --as 65534 open
	[ "$status" -eq 1 ]
	[ "$output" = "EACCES" ]
}

@test "root without CAP_SYS_ADMIN cannot open /dev/rvisor (EPERM)" {
	run rvisor-probe --drop-cap open
	[ "$status" -eq 1 ]
	[ "$output" = "EPERM" ]
}

@test "the capability check holds even when the file mode is opened up" {
	chmod 0666 /dev/rvisor
	run rvisor-probe --as 65534 open
	chmod 0600 /dev/rvisor
	[ "$status" -eq 1 ]
	[ "$output" = "EPERM" ]
}

@test "root with CAP_SYS_ADMIN opens /dev/rvisor" {
	run rvisor-probe open
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
}

@test "unknown ioctl numbers are refused with ENOTTY" {
	for c in unknown-nr beyond-table other-magic; do
		run rvisor-probe ioctl "$c"
		echo "$c: $output"
		[ "$output" = "ENOTTY" ]
	done
}

@test "VERSION with a short, oversized or wrongly directed argument is refused with EINVAL" {
	for c in short oversized write-direction no-direction; do
		run rvisor-probe ioctl "$c"
		echo "$c: $output"
		[ "$output" = "EINVAL" ]
	done
}

@test "VERSION into NULL, unmapped, read-only or half-mapped memory fails with EFAULT" {
	for c in null unmapped read-only straddle; do
		run rvisor-probe ioctl "$c"
		echo "$c: $output"
		[ "$output" = "EFAULT" ]
	done
	run rvisor-probe ioctl version
	[ "$output" = "ok" ]
}

@test "the module cannot be unloaded while the device is open" {
	exec 7<>/dev/rvisor # bats keeps fd 3 for itself
	run rmmod rvisor
	[ "$status" -ne 0 ]
	[ -d /sys/module/rvisor ]
	exec 7>&-
	rmmod rvisor
	[ ! -d /sys/module/rvisor ]
	[ ! -e /dev/rvisor ]
}

@test "load and unload 20 times without a kernel warning" {
	unload_module
	kernel_log_mark
	for i in $(seq 20); do
		insmod "$RVISOR_KO"
		rvisor-probe open >/dev/null
		rmmod rvisor
	done
	[ ! -e /dev/rvisor ]
	kernel_log_clean
	[ "$(dmesg | grep -c 'rvisor: version .* loaded')" -ge 20 ]
}

# /rvisor/kmod (mkinitramfs.sh) holds lib/modules/<release>/ with rvisor.ko and depmod's index:
# bound over /lib/modules, it is where libkmod looks, as on a host with the package installed.
@test "rvisord loads rvisor.ko itself (libkmod) when /dev/rvisor is missing, and says why it cannot" {
	[ -f "/rvisor/kmod/lib/modules/$RVISOR_KVER/modules.dep.bin" ]
	unload_module
	mkdir -p /lib/modules
	! mountpoint -q /lib/modules
	# no index for this kernel: the seccomp platform, said once, with the reason
	[ ! -e "/lib/modules/$RVISOR_KVER" ]
	start_rvisord kmod-none
	run rvisorctl status --json
	stop_rvisord kmod-none
	[ "$(jq -r .platform <<<"$output")" = seccomp ]
	! module_loaded
	[ "$(grep -c 'Kernel layer unavailable' /tmp/kmod-none-rvisord.log)" -eq 1 ]
	grep -q "Kernel layer unavailable (/dev/rvisor: No such file or directory): sandboxes fall back to seccomp (rvisor.ko cannot be loaded: No such file or directory)" \
		/tmp/kmod-none-rvisord.log

	mount --bind /rvisor/kmod/lib/modules /lib/modules
	start_rvisord kmod
	run rvisorctl status --json
	stop_rvisord kmod
	umount /lib/modules
	[ "$(jq -r .platform <<<"$output")" = kernel ]
	module_loaded
	grep -q "Kernel layer: rvisor.ko $RVISOR_VERSION" /tmp/kmod-rvisord.log
}

@test "rvisorctl status without the module says so and exits 3" {
	unload_module
	run rvisorctl status
	[ "$status" -eq 3 ]
	[[ "$output" == *"module:    not loaded"* ]]
	[[ "$output" == *"modprobe rvisor"* ]]
}
