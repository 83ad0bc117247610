/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Talking to rvisor.ko through its control device. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "device.h"

const char *rvisor_device_path(void)
{
	const char *p = secure_getenv("RVISOR_DEVICE");

	return p && *p ? p : RVISOR_DEVICE_PATH;
}

int rvisor_device_open(void)
{
	int fd = open(rvisor_device_path(), O_RDWR | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

int rvisor_device_version(int fd, struct rvisor_version *ret)
{
	struct rvisor_version v;

	int r;

	memset(&v, 0, sizeof(v));
	if (ioctl(fd, RVISOR_IOC_VERSION, &v) < 0)
		return -errno;
	r = rvisor_version_check(&v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int rvisor_version_check(const struct rvisor_version *v)
{
	/* Trust nothing from the other side of the ABI: the string must end inside the buffer. */
	if (!memchr(v->module_version, '\0', sizeof(v->module_version)) || v->module_version[0] == '\0')
		return -EBADMSG;
	for (size_t i = 0; i < sizeof(v->reserved) / sizeof(v->reserved[0]); i++)
		if (v->reserved[i] != 0)
			return -EBADMSG;
	return 0;
}

int rvisor_device_selftest(int fd, int *ret)
{
	struct rvisor_selftest t = { .op = RVISOR_SELFTEST_ARM };
	long seen;

	if (ioctl(fd, RVISOR_IOC_SELFTEST, &t) < 0)
		return -errno;
	/* The call the module skips: it answers RVISOR_SELFTEST_MAGIC if the kernel lets it. */
	seen = syscall(SYS_getppid);
	t = (struct rvisor_selftest){ .op = RVISOR_SELFTEST_CHECK };
	if (ioctl(fd, RVISOR_IOC_SELFTEST, &t) < 0)
		return -errno;
	if (t.result != RVISOR_SELFTEST_HONOURED && t.result != RVISOR_SELFTEST_NOT_HONOURED)
		return -EBADMSG;
	/* The module's verdict and what this thread saw must agree. */
	if ((t.result == RVISOR_SELFTEST_HONOURED) != (seen == RVISOR_SELFTEST_MAGIC))
		return -EBADMSG;
	*ret = (int)t.result;
	return 0;
}

bool rvisor_abi_compatible(unsigned int module_abi)
{
	/* No compatibility window yet: one ABI at a time. */
	return module_abi == RVISOR_ABI_VERSION;
}
