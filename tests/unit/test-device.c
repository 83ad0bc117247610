/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/device.c: opening the control device and checking the module's VERSION answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "tap.h"

static struct rvisor_version good_version(void)
{
	struct rvisor_version v;

	memset(&v, 0, sizeof(v));
	v.abi_version = RVISOR_ABI_VERSION;
	strcpy(v.module_version, "1.2.3");
	return v;
}

int main(void)
{
	struct rvisor_version v, out;
	int fd;

	is_int(sizeof(struct rvisor_version), 72, "struct rvisor_version has its ABI size");

	unsetenv("RVISOR_DEVICE");
	is_str(rvisor_device_path(), "/dev/rvisor", "default device path");
	setenv("RVISOR_DEVICE", "", 1);
	is_str(rvisor_device_path(), "/dev/rvisor", "empty $RVISOR_DEVICE ignored");

	setenv("RVISOR_DEVICE", "/nonexistent/rvisor", 1);
	is_int(rvisor_device_open(), -ENOENT, "missing device: -ENOENT");

	setenv("RVISOR_DEVICE", "/dev/null", 1);
	fd = rvisor_device_open();
	ok(fd >= 0, "a character device opens");
	memset(&out, 0x5a, sizeof(out));
	is_int(rvisor_device_version(fd, &out), -ENOTTY, "VERSION on a non-rvisor device: -ENOTTY");
	ok(out.abi_version == 0x5a5a5a5a, "output untouched on failure");
	close(fd);
	is_int(rvisor_device_version(-1, &out), -EBADF, "VERSION on a bad fd: -EBADF");

	v = good_version();
	is_int(rvisor_version_check(&v), 0, "well-formed answer accepted");
	v = good_version();
	memset(v.module_version, 'x', sizeof(v.module_version));
	is_int(rvisor_version_check(&v), -EBADMSG, "unterminated version string refused");
	v = good_version();
	v.module_version[0] = '\0';
	is_int(rvisor_version_check(&v), -EBADMSG, "empty version string refused");
	v = good_version();
	v.reserved[3] = 1;
	is_int(rvisor_version_check(&v), -EBADMSG, "non-zero reserved field refused");

	ok(rvisor_abi_compatible(RVISOR_ABI_VERSION), "own ABI compatible");
	ok(!rvisor_abi_compatible(RVISOR_ABI_VERSION + 1), "newer ABI incompatible");
	ok(!rvisor_abi_compatible(0), "ABI 0 incompatible");

	return tap_done();
}
