/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisor-probe: a static test helper for the VM suite. It talks to /dev/rvisor with raw
 * syscalls (not through lib/) so tests see exactly what the module answers, and prints one
 * word: "ok" or the errno's name (EPERM, ENOTTY, …). Exit status 0 for ok, 1 otherwise.
 *
 *   rvisor-probe [--as UID] [--drop-cap] open
 *   rvisor-probe version
 *   rvisor-probe ioctl CASE   (CASE: see ioctl_cases below)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/rvisor.h>

static int report(int r)
{
	puts(r == 0 ? "ok" : strerrorname_np(r));
	return r == 0 ? 0 : 1;
}

static void die(const char *what)
{
	fprintf(stderr, "rvisor-probe: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Removes CAP_SYS_ADMIN from every set while staying uid 0. */
static void drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) < 0)
		die("PR_CAPBSET_DROP");
	if (syscall(SYS_capget, &hdr, data) < 0)
		die("capget");
	data[0].effective &= ~(1u << CAP_SYS_ADMIN);
	data[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	data[0].inheritable &= ~(1u << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset");
}

static void become(uid_t uid)
{
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
		die("dropping to the test user");
}

static int open_device(void)
{
	int fd = open(RVISOR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -1 : fd;
}

static int cmd_version(void)
{
	struct rvisor_version v;
	const char *nul;
	bool tail_zero = true;
	int fd = open_device();

	if (fd < 0)
		return report(errno);
	memset(&v, 0xff, sizeof(v)); /* anything the module leaves uninitialised shows up */
	if (ioctl(fd, RVISOR_IOC_VERSION, &v) < 0)
		return report(errno);
	nul = memchr(v.module_version, '\0', sizeof(v.module_version));
	if (!nul)
		tail_zero = false;
	else
		for (const char *p = nul; p < v.module_version + sizeof(v.module_version); p++)
			tail_zero = tail_zero && *p == '\0';
	printf("abi=%u version=%.*s flags=%u reserved=%llu,%llu,%llu,%llu tail_zero=%d\n",
	       v.abi_version, (int)sizeof(v.module_version), v.module_version, v.flags,
	       (unsigned long long)v.reserved[0], (unsigned long long)v.reserved[1],
	       (unsigned long long)v.reserved[2], (unsigned long long)v.reserved[3], tail_zero);
	return 0;
}

/* Each case is one way of getting an ioctl wrong (or right), with its argument. */
static int cmd_ioctl(const char *name)
{
	static struct rvisor_version v;
	unsigned long req;
	void *arg = &v;
	int fd;

	if (strcmp(name, "version") == 0)
		req = RVISOR_IOC_VERSION;
	else if (strcmp(name, "unknown-nr") == 0)
		req = _IOR(RVISOR_IOC_MAGIC, 0x7f, struct rvisor_version);
	else if (strcmp(name, "beyond-table") == 0)
		req = _IOR(RVISOR_IOC_MAGIC, 0xff, struct rvisor_version);
	else if (strcmp(name, "other-magic") == 0)
		req = _IOR('T', 0x00, struct rvisor_version);
	else if (strcmp(name, "short") == 0)
		req = _IOC(_IOC_READ, RVISOR_IOC_MAGIC, 0x00, sizeof(v) - 8);
	else if (strcmp(name, "oversized") == 0)
		req = _IOC(_IOC_READ, RVISOR_IOC_MAGIC, 0x00, _IOC_SIZEMASK);
	else if (strcmp(name, "write-direction") == 0)
		req = _IOW(RVISOR_IOC_MAGIC, 0x00, struct rvisor_version);
	else if (strcmp(name, "no-direction") == 0)
		req = _IO(RVISOR_IOC_MAGIC, 0x00);
	else if (strcmp(name, "null") == 0) {
		req = RVISOR_IOC_VERSION;
		arg = NULL;
	} else if (strcmp(name, "unmapped") == 0 || strcmp(name, "read-only") == 0) {
		long page = sysconf(_SC_PAGESIZE);
		void *p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		if (name[0] == 'u' && munmap(p, page) < 0)
			die("munmap");
		req = RVISOR_IOC_VERSION;
		arg = p;
	} else if (strcmp(name, "straddle") == 0) {
		/* The struct starts on a mapped page and ends on an unmapped one. */
		long page = sysconf(_SC_PAGESIZE);
		char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p + page, page) < 0)
			die("mmap");
		req = RVISOR_IOC_VERSION;
		arg = p + page - 8;
	} else {
		fprintf(stderr, "rvisor-probe: unknown ioctl case '%s'\n", name);
		exit(2);
	}

	fd = open_device();
	if (fd < 0)
		return report(errno);
	return report(ioctl(fd, req, arg) < 0 ? errno : 0);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "as", required_argument, NULL, 'u' },
		{ "drop-cap", no_argument, NULL, 'd' },
		{},
	};
	bool drop_cap = false;
	long uid = -1;
	int c;

	while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
		switch (c) {
		case 'u':
			uid = strtol(optarg, NULL, 10);
			break;
		case 'd':
			drop_cap = true;
			break;
		default:
			return 2;
		}
	}
	if (drop_cap)
		drop_cap_sys_admin();
	if (uid >= 0)
		become((uid_t)uid);

	if (optind >= argc)
		return 2;
	if (strcmp(argv[optind], "open") == 0) {
		int fd = open_device();

		return report(fd < 0 ? errno : 0);
	}
	if (strcmp(argv[optind], "version") == 0)
		return cmd_version();
	if (strcmp(argv[optind], "ioctl") == 0 && optind + 1 < argc)
		return cmd_ioctl(argv[optind + 1]);
	fprintf(stderr, "rvisor-probe: unknown command\n");
	return 2;
}
