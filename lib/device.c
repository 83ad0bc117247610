/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Talking to rvisor.ko through its control device. */
#include <errno.h>
#include <stdint.h>
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

const char *rvisor_module_sysfs_path(void)
{
	const char *p = secure_getenv("RVISOR_SYSFS_MODULE");

	return p && *p ? p : RVISOR_SYSFS_MODULE;
}

/* dir/name's one line, without its newline, into buf: 0, -ENOENT, -EBADMSG (empty, too long,
 * or more than one line), or another -errno. */
static int read_line_at(int dir, const char *name, char *buf, size_t size)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;
	char *nl;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	close(fd);
	if (n < 0)
		return -errno;
	if (n == 0 || (size_t)n == size)
		return -EBADMSG;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (nl) {
		if (nl[1])
			return -EBADMSG;
		*nl = '\0';
	}
	return buf[0] ? 0 : -EBADMSG;
}

int rvisor_module_sysfs_version(struct rvisor_version *ret, bool *ret_abi_known)
{
	struct rvisor_version v;
	char abi[16], *end;
	unsigned long n;
	int dir, r;

	dir = open(rvisor_module_sysfs_path(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	memset(&v, 0, sizeof(v));
	r = read_line_at(dir, "version", v.module_version, sizeof(v.module_version));
	if (r >= 0) {
		r = read_line_at(dir, "parameters/abi_version", abi, sizeof(abi));
		if (r == -ENOENT) {
			*ret_abi_known = false; /* a module from before ABI 6 */
			r = 0;
		} else if (r >= 0) {
			errno = 0;
			n = strtoul(abi, &end, 10);
			if (errno || *end || end == abi || n > UINT32_MAX)
				r = -EBADMSG;
			v.abi_version = (unsigned int)n;
			*ret_abi_known = true;
		}
	}
	close(dir);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r; /* loaded, but no version file: not ours */
	*ret = v;
	return 0;
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
