#!/usr/bin/env bats
# What the build produced: the module's metadata, one version everywhere, hardened binaries.

load lib

@test "rvisor.ko carries the VERSION file's version and the UAPI header's ABI" {
	run modinfo -F version "$ROOT/module/rvisor.ko"
	[ "$output" = "$RVISOR_VERSION" ]
	run modinfo -F abi "$ROOT/module/rvisor.ko"
	[ "$output" = "$RVISOR_ABI" ]
	run modinfo -F license "$ROOT/module/rvisor.ko"
	[ "$output" = GPL ]
}

@test "rvisor.ko is built for the kernel the VM suite boots" {
	kver=$("$ROOT/scripts/kernel-version.sh" --bootable)
	run modinfo -F vermagic "$ROOT/module/rvisor.ko"
	[[ "$output" == "$kver "* ]]
}

@test "kernel-version.sh refuses a kernel without headers" {
	RVISOR_KVER=0.0.0-none run "$ROOT/scripts/kernel-version.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"RVISOR_KVER=0.0.0-none has no headers"* ]]
}

@test "userspace binaries are PIE with full RELRO and a non-executable stack" {
	for b in "$ROOT/build/rvisord" "$ROOT/build/rvisorctl"; do
		readelf -h "$b" | grep -q 'Type:.*DYN'
		readelf -d "$b" | grep -q 'BIND_NOW'
		readelf -l "$b" | grep -q 'GNU_RELRO'
		! readelf -l "$b" | grep -A1 GNU_STACK | grep -q RWE
	done
}

@test "make install honours DESTDIR and PREFIX" {
	make -s -C "$ROOT" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/rv
	[ -x "$BATS_TEST_TMPDIR/root/opt/rv/sbin/rvisord" ]
	[ -x "$BATS_TEST_TMPDIR/root/opt/rv/bin/rvisorctl" ]
	[ -f "$BATS_TEST_TMPDIR/root/etc/rvisor/rvisord.conf" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/rv/include/linux/rvisor.h" ]
	run "$BATS_TEST_TMPDIR/root/opt/rv/bin/rvisorctl" --version
	[ "$output" = "rvisorctl $RVISOR_VERSION (ABI $RVISOR_ABI)" ]
}

@test "rvisord links every library the design chose" {
	run ldd "$ROOT/build/rvisord"
	for lib in libsystemd libcap libjson-c libseccomp libinih libkmod libmount; do
		[[ "$output" == *"$lib.so"* ]] || { echo "missing $lib"; false; }
	done
}
