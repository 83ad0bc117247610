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

@test "a varlink parameter table entry whose field has another C type does not compile" {
	cat >"$BATS_TEST_TMPDIR/t.c" <<'C'
#include "varlink.h"
struct p { const char *name; bool force; struct varlink_int id; char **argv; };
static const struct varlink_param good[] = {
	VARLINK_PARAM(struct p, name, VARLINK_STRING, true), VARLINK_PARAM(struct p, force, VARLINK_BOOL, false),
	VARLINK_PARAM(struct p, id, VARLINK_INT, false), VARLINK_PARAM(struct p, argv, VARLINK_STRING_ARRAY, false), {},
};
#ifdef WRONG
static const struct varlink_param bad[] = { VARLINK_PARAM(struct p, WRONG, VARLINK_INT, false), {} };
#endif
const struct varlink_param *use(void);
const struct varlink_param *use(void) { return good; }
C
	flags=(-std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$ROOT/lib" $(pkg-config --cflags json-c libsystemd) -c -o /dev/null)
	cc "${flags[@]}" "$BATS_TEST_TMPDIR/t.c"
	for field in name force argv; do
		run cc "${flags[@]}" -DWRONG="$field" "$BATS_TEST_TMPDIR/t.c"
		[ "$status" -ne 0 ]
		[[ "$output" == *"size of unnamed array is negative"* ]]
	done
}
