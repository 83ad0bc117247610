/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sc: a static syscall probe for the VM suite. It makes one system call (raw, through
 * syscall(2) or inline assembly, so the number the gate sees is exactly the one named here)
 * and prints "ok VALUE [DETAILS]" or the errno's name (EPERM, ENOSYS, …).
 * Exit status: 0 when the call succeeded, 1 when it failed with an errno, 2 on usage errors.
 *
 *   sc OP [ARGS...]           see the ops[] table below (sc --help lists them)
 *   sc thread OP [ARGS...]    run OP in a second thread (pthread) and print its result there
 *   sc fork OP [ARGS...]      run OP in a child process; its status becomes ours
 *                             (a child killed by a signal prints "killed SIGNAME", exit 3)
 *   sc loop N [OP [ARGS...]]  run OP (default getppid) N times quietly; prints "ok N" when all
 *                             succeeded, else "ERRNO FAILURES" (the first failure's errno)
 *   sc threads N OP [ARGS...]  start N more threads (they sleep), then run OP in the main one
 *   sc main-exits-first SECS CODE  the main thread ends with pthread_exit(); a second thread
 *                             lives SECS seconds more, then exit(CODE) ends the process
 *   sc thread-exec PROGRAM [ARGS...]  a second thread execve()s PROGRAM (the kernel makes it
 *                             the group's leader, with the process's pid)
 *   sc persona VALUE PROGRAM [ARGS...]  personality(VALUE), then execvp() PROGRAM
 *   sc getaffinity [LEN [PID]]  sched_getaffinity(PID, LEN) into a zeroed 1 KiB buffer:
 *                             "ok BYTES count=N cpus=A,B,..." (LEN default 128, PID 0)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/landlock.h>
#include <mqueue.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "names.h"

#define IA32_NR_GETPID 20              /* arch/x86/entry/syscalls/syscall_32.tbl */
#define IA32_NR_UNSHARE 310            /* the same table */
#define X32_SYSCALL_BIT 0x40000000L
/* ioprio_get/ioprio_set's ABI, local as <linux/ioprio.h> is missing from older headers: the
 * value is CLASS << 13 | DATA */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_DATA_MASK ((1UL << IOPRIO_CLASS_SHIFT) - 1)
#define IOPRIO_CLASS_MAX 7

/* The outcome of one op: ret >= 0 with err == 0, or err set. detail is printed after it. */
struct result {
	long ret;
	int err;
	char detail[512];
};

typedef void op_fn(int argc, char **argv, struct result *r);

struct op {
	const char *name;
	int min_args, max_args;
	op_fn *fn;
	const char *usage;
};

static void usage_error(const char *fmt_arg)
{
	fprintf(stderr, "sc: %s (sc --help)\n", fmt_arg);
	exit(2);
}

/* Records a raw syscall's return: -1 with errno set, else the value. */
static void from_syscall(struct result *r, long ret)
{
	if (ret < 0) {
		r->ret = -1;
		r->err = errno;
	} else {
		r->ret = ret;
		r->err = 0;
	}
}

/* For assembly paths that return -errno in rax. */
static void from_raw(struct result *r, long ret)
{
	if (ret < 0 && ret >= -4095) {
		r->ret = -1;
		r->err = (int)-ret;
	} else {
		r->ret = ret;
		r->err = 0;
	}
}

static unsigned long parse_number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end)
		usage_error("not a number");
	return v;
}

/* A name from the table (case-insensitive, optional prefix dropped) or a number. */
static unsigned long parse_named(const char *s, const struct name_value *table, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (strncasecmp(s, prefix, plen) == 0)
		s += plen;
	for (const struct name_value *t = table; t->name; t++)
		if (strcasecmp(s, t->name) == 0)
			return t->value;
	return parse_number(s);
}

/* FLAG[,FLAG|FLAG...] with names from the table, or numbers. */
static unsigned long parse_flags(const char *s, const struct name_value *table, const char *prefix)
{
	char buf[256], *save = NULL;
	unsigned long flags = 0;

	if (strlen(s) >= sizeof(buf))
		usage_error("flags too long");
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ",|", &save); tok; tok = strtok_r(NULL, ",|", &save))
		flags |= parse_named(tok, table, prefix);
	return flags;
}

static const struct name_value clone_flags[] = {
	{ "NEWNS", CLONE_NEWNS },       { "NEWUTS", CLONE_NEWUTS },   { "NEWIPC", CLONE_NEWIPC },
	{ "NEWNET", CLONE_NEWNET },     { "NEWUSER", CLONE_NEWUSER }, { "NEWPID", CLONE_NEWPID },
	{ "NEWCGROUP", CLONE_NEWCGROUP }, { "NEWTIME", 0x00000080 /* CLONE_NEWTIME */ },
	{ "FILES", CLONE_FILES },       { "FS", CLONE_FS },           { "SYSVSEM", CLONE_SYSVSEM },
	{ "NONE", 0 },                  {},
};

static const struct name_value socket_types[] = {
	{ "STREAM", SOCK_STREAM }, { "DGRAM", SOCK_DGRAM }, { "RAW", SOCK_RAW },
	{ "SEQPACKET", SOCK_SEQPACKET }, {},
};

static const struct name_value ioprio_whos[] = {
	{ "PROCESS", 1 }, { "PGRP", 2 }, { "USER", 3 }, {},
};

static const struct name_value ioprio_classes[] = {
	{ "NONE", 0 }, { "RT", 1 }, { "BE", 2 }, { "IDLE", 3 }, {},
};

static void op_getpid(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_getpid));
}

static void op_getppid(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_getppid));
}

static void op_gettid(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_gettid));
}

static void op_uname(int argc, char **argv, struct result *r)
{
	struct utsname u;

	memset(&u, 0, sizeof(u));
	from_syscall(r, syscall(SYS_uname, &u));
	if (!r->err)
		snprintf(r->detail, sizeof(r->detail),
			 "sysname=%.65s nodename=%.65s domainname=%.65s release=%.65s machine=%.65s",
			 u.sysname, u.nodename, u.domainname, u.release, u.machine);
}

static void op_sethostname(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_sethostname, argv[0], strlen(argv[0])));
}

static void op_setdomainname(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_setdomainname, argv[0], strlen(argv[0])));
}

static void op_sysinfo(int argc, char **argv, struct result *r)
{
	struct sysinfo si;
	unsigned long long unit;

	memset(&si, 0, sizeof(si));
	from_syscall(r, syscall(SYS_sysinfo, &si));
	if (r->err)
		return;
	unit = si.mem_unit ? si.mem_unit : 1; /* mem_unit 0 meant bytes in old kernels */
	snprintf(r->detail, sizeof(r->detail),
		 "totalram=%llu freeram=%llu procs=%u uptime=%ld mem_unit=%u loads=%lu,%lu,%lu",
		 (unsigned long long)si.totalram * unit, (unsigned long long)si.freeram * unit,
		 (unsigned int)si.procs, si.uptime, si.mem_unit, si.loads[0], si.loads[1],
		 si.loads[2]);
}

/* getaffinity [LEN [PID]]: the raw syscall, so that the gate sees exactly LEN and PID. */
static void op_getaffinity(int argc, char **argv, struct result *r)
{
	unsigned long mask[1024 / sizeof(unsigned long)];
	unsigned long len = argc > 0 ? parse_number(argv[0]) : 128;
	long pid = argc > 1 ? (long)parse_number(argv[1]) : 0;
	size_t n = 0, count = 0;

	if (len > sizeof(mask))
		usage_error("LEN is at most 1024");
	memset(mask, 0, sizeof(mask));
	from_syscall(r, syscall(SYS_sched_getaffinity, pid, len, mask));
	if (r->err)
		return;
	for (size_t cpu = 0; cpu < len * 8; cpu++)
		count += (mask[cpu / (8 * sizeof(long))] >> (cpu % (8 * sizeof(long)))) & 1;
	n = (size_t)snprintf(r->detail, sizeof(r->detail), "count=%zu cpus=", count);
	for (size_t cpu = 0; cpu < len * 8 && n < sizeof(r->detail) - 16; cpu++)
		if ((mask[cpu / (8 * sizeof(long))] >> (cpu % (8 * sizeof(long)))) & 1)
			n += (size_t)snprintf(r->detail + n, sizeof(r->detail) - n, "%s%zu",
					      r->detail[n - 1] == '=' ? "" : ",", cpu);
}

/* ioctl REQ [PATH]: on a pty master by default, where TCGETS and FIONREAD both succeed. */
static void op_ioctl(int argc, char **argv, struct result *r)
{
	const char *path = argc > 1 ? argv[1] : "/dev/ptmx";
	unsigned long req = parse_named(argv[0], ioctl_requests, "");
	unsigned char buf[256];
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "sc: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	memset(buf, 0, sizeof(buf));
	from_syscall(r, syscall(SYS_ioctl, fd, req, buf));
	close(fd);
}

static void op_ioctl_tcgets(int argc, char **argv, struct result *r)
{
	char *args[] = { (char *)(uintptr_t)"TCGETS", argc > 0 ? argv[0] : NULL };

	op_ioctl(argc > 0 ? 2 : 1, args, r);
}

static void op_socket(int argc, char **argv, struct result *r)
{
	long family = (long)parse_named(argv[0], address_families, "AF_");
	long type = argc > 1 ? (long)parse_named(argv[1], socket_types, "SOCK_")
			     : (family == AF_NETLINK || family == AF_PACKET ? SOCK_RAW : SOCK_STREAM);
	long protocol = argc > 2 ? (long)parse_number(argv[2]) : 0;

	from_syscall(r, syscall(SYS_socket, family, type | SOCK_CLOEXEC, protocol));
}

/* A page never touched before (not yet mapped in: a copy out to it faults), or NULL with
 * r's error. */
static void *fresh_page(struct result *r)
{
	unsigned char resident = 1;
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page != MAP_FAILED && mincore(page, 4096, &resident) == 0 && !resident)
		return page;
	r->ret = -1;
	r->err = page == MAP_FAILED ? errno : EEXIST;
	if (page != MAP_FAILED)
		munmap(page, 4096);
	return NULL;
}

/* Syscall nr (uname, sysinfo) into a fresh page, then into warm: 0, or r's error. */
static int fresh_then_warm(struct result *r, long nr, void *fresh, void *warm)
{
	from_syscall(r, syscall(nr, fresh));
	if (!r->err)
		from_syscall(r, syscall(nr, warm));
	return r->err ? -1 : 0;
}

/* uname-fresh: uname() into a page never touched before and into one that is; both answers
 * must be the same. detail: same=0|1. */
static void op_uname_fresh(int argc, char **argv, struct result *r)
{
	struct utsname *fresh = fresh_page(r), warm;

	if (!fresh)
		return;
	memset(&warm, 0, sizeof(warm));
	if (fresh_then_warm(r, SYS_uname, fresh, &warm) == 0)
		snprintf(r->detail, sizeof(r->detail), "same=%d nodename=%.65s",
			 memcmp(fresh, &warm, sizeof(warm)) == 0, fresh->nodename);
	munmap(fresh, 4096);
}

/* sysinfo-fresh: the same for sysinfo(); the figures that cannot move between the two calls
 * must agree (uptime by a second at most). detail: same=0|1. */
static void op_sysinfo_fresh(int argc, char **argv, struct result *r)
{
	struct sysinfo *fresh = fresh_page(r), warm;

	if (!fresh)
		return;
	memset(&warm, 0, sizeof(warm));
	if (fresh_then_warm(r, SYS_sysinfo, fresh, &warm) == 0)
		snprintf(r->detail, sizeof(r->detail), "same=%d totalram=%lu", fresh->totalram == warm.totalram &&
			 fresh->mem_unit == warm.mem_unit && fresh->procs == warm.procs &&
			 fresh->totalswap == warm.totalswap && warm.uptime - fresh->uptime <= 1, fresh->totalram);
	munmap(fresh, 4096);
}

/* dino DIR: every entry of DIR (but mount points) whose readdir inode number differs from
 * stat()'s; ret is the count, detail the first such name (xino makes an overlay's agree, as on
 * one disk). */
static void op_dino(int argc, char **argv, struct result *r)
{
	DIR *d = opendir(argv[0]);
	struct dirent *e;
	struct stat st, dir;
	long bad = 0, seen = 0;

	if (!d || fstat(dirfd(d), &dir) < 0) {
		from_syscall(r, -1);
		return;
	}
	while ((e = readdir(d))) {
		/* mount points show what is mounted there, on any file system */
		if (strcmp(e->d_name, "..") == 0 || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (S_ISDIR(st.st_mode) && st.st_dev != dir.st_dev))
			continue;
		seen++;
		if (st.st_ino != e->d_ino && bad++ == 0)
			snprintf(r->detail, sizeof(r->detail), "first=%.200s d_ino=%llu st_ino=%llu",
				 e->d_name, (unsigned long long)e->d_ino, (unsigned long long)st.st_ino);
	}
	closedir(d);
	r->ret = seen ? bad : -1;
	r->err = seen ? 0 : ENOENT;
}

/* remap: remap_file_pages() on a shared mapping of a two-page memfd: its first page shows
 * the file's second page. detail: byte=the byte read there. */
static void op_remap(int argc, char **argv, struct result *r)
{
	int fd = memfd_create("sc-remap", MFD_CLOEXEC);
	char *m;

	if (fd < 0 || ftruncate(fd, 8192) < 0 || pwrite(fd, "B", 1, 4096) != 1) {
		from_syscall(r, -1);
		return;
	}
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		from_syscall(r, -1);
		return;
	}
	from_syscall(r, syscall(SYS_remap_file_pages, m, 4096L, 0L, 1L, 0L));
	if (!r->err)
		snprintf(r->detail, sizeof(r->detail), "byte=%c", m[0] ? m[0] : '0');
	munmap(m, 8192);
}

/* aio PATH: io_setup, one 1-byte read of PATH through io_submit, io_getevents, io_destroy. */
static void op_aio(int argc, char **argv, struct result *r)
{
	aio_context_t ctx = 0;
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	char byte;
	int fd = open(argv[0], O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		from_syscall(r, -1);
		return;
	}
	from_syscall(r, syscall(SYS_io_setup, 1, &ctx));
	if (!r->err) {
		memset(&cb, 0, sizeof(cb));
		cb.aio_lio_opcode = IOCB_CMD_PREAD;
		cb.aio_fildes = (uint32_t)fd;
		cb.aio_buf = (uint64_t)(uintptr_t)&byte;
		cb.aio_nbytes = 1;
		from_syscall(r, syscall(SYS_io_submit, ctx, 1L, cbs));
		if (!r->err)
			from_syscall(r, syscall(SYS_io_getevents, ctx, 1L, 1L, &ev, NULL));
		if (!r->err) {
			r->ret = (long)ev.res;
			snprintf(r->detail, sizeof(r->detail), "byte=%c", byte);
		}
		syscall(SYS_io_destroy, ctx);
	}
	close(fd);
}

/* The name as the mq_* syscalls take it: without libc's leading '/'. */
static const char *mq_name(const char *arg)
{
	return arg + (arg[0] == '/');
}

/* mq /NAME: a POSIX message queue of its own: create, send, receive, unlink. */
static void op_mq(int argc, char **argv, struct result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	const char *name = mq_name(argv[0]);
	char buf[8];
	long q = syscall(SYS_mq_open, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600L, &attr);

	from_syscall(r, q);
	if (r->err)
		return;
	from_syscall(r, syscall(SYS_mq_timedsend, q, "rvisor", 6L, 0L, NULL));
	if (!r->err)
		from_syscall(r, syscall(SYS_mq_timedreceive, q, buf, sizeof(buf), NULL, NULL));
	if (!r->err)
		snprintf(r->detail, sizeof(r->detail), "got=%.*s", (int)r->ret, buf);
	close((int)q);
	syscall(SYS_mq_unlink, name);
}

/* mq-open /NAME [create]: open a queue that exists (ENOENT when this IPC namespace has none
 * of that name), or create it (O_EXCL: EEXIST when it has one). The queue outlives sc. */
static void op_mq_open(int argc, char **argv, struct result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	long flags = O_RDWR | O_CLOEXEC;

	if (argc > 1 && strcmp(argv[1], "create") != 0)
		usage_error("mq-open takes /NAME [create]");
	if (argc > 1)
		flags |= O_CREAT | O_EXCL;
	from_syscall(r, syscall(SYS_mq_open, mq_name(argv[0]), flags, 0600L, argc > 1 ? &attr : NULL));
	if (!r->err)
		close((int)r->ret);
}

/* mq-send /NAME TEXT: one message (at most 8 bytes) into a queue that exists; EAGAIN when
 * it is full. */
static void op_mq_send(int argc, char **argv, struct result *r)
{
	size_t len = strlen(argv[1]);
	long q;

	if (len > 8)
		usage_error("mq-send: TEXT is at most 8 bytes");
	q = syscall(SYS_mq_open, mq_name(argv[0]), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0L, NULL);
	from_syscall(r, q);
	if (!r->err)
		from_syscall(r, syscall(SYS_mq_timedsend, q, argv[1], (long)len, 0L, NULL));
	if (q >= 0)
		close((int)q);
}

/* mq-receive /NAME: the oldest message of a queue that exists, without waiting (EAGAIN when
 * it is empty). detail: got=TEXT. */
static void op_mq_receive(int argc, char **argv, struct result *r)
{
	long q = syscall(SYS_mq_open, mq_name(argv[0]), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0L, NULL);
	char buf[8192]; /* at least the queue's mq_msgsize, whoever made it */

	from_syscall(r, q);
	if (!r->err)
		from_syscall(r, syscall(SYS_mq_timedreceive, q, buf, sizeof(buf), NULL, NULL));
	if (!r->err)
		snprintf(r->detail, sizeof(r->detail), "got=%.*s", (int)r->ret, buf);
	if (q >= 0)
		close((int)q);
}

static void op_mq_unlink(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_mq_unlink, mq_name(argv[0])));
}

/* ioprio-get WHO ID: ioprio_get(IOPRIO_WHO_<WHO>, ID), WHO process, pgrp or user (ID 0: the
 * caller's own). detail: class=C data=D of the value returned. */
static void op_ioprio_get(int argc, char **argv, struct result *r)
{
	long which = (long)parse_named(argv[0], ioprio_whos, "IOPRIO_WHO_");

	from_syscall(r, syscall(SYS_ioprio_get, which, (long)parse_number(argv[1])));
	if (!r->err)
		snprintf(r->detail, sizeof(r->detail), "class=%ld data=%ld",
			 r->ret >> IOPRIO_CLASS_SHIFT, (long)(r->ret & (long)IOPRIO_DATA_MASK));
}

/* ioprio-set WHO ID CLASS DATA: ioprio_set(IOPRIO_WHO_<WHO>, ID, CLASS << 13 | DATA), CLASS
 * none, rt, be or idle (or a number). */
static void op_ioprio_set(int argc, char **argv, struct result *r)
{
	long which = (long)parse_named(argv[0], ioprio_whos, "IOPRIO_WHO_");
	unsigned long class = parse_named(argv[2], ioprio_classes, "IOPRIO_CLASS_");
	unsigned long data = parse_number(argv[3]);

	if (class > IOPRIO_CLASS_MAX || data > IOPRIO_DATA_MASK)
		usage_error("ioprio-set: CLASS 0 to 7, DATA 0 to 8191");
	from_syscall(r, syscall(SYS_ioprio_set, which, (long)parse_number(argv[1]),
				(long)((class << IOPRIO_CLASS_SHIFT) | data)));
}

/* landlock-open PATH: a ruleset that handles reading files and allows none, enforced on
 * this thread (after no_new_privs), then open(PATH): EACCES when Landlock restricts. */
static void op_landlock_open(int argc, char **argv, struct result *r)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE };
	long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0L);

	from_syscall(r, fd);
	if (r->err)
		return;
	from_syscall(r, prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L));
	if (!r->err)
		from_syscall(r, syscall(SYS_landlock_restrict_self, fd, 0L));
	close((int)fd);
	if (!r->err)
		from_syscall(r, open(argv[0], O_RDONLY | O_CLOEXEC));
}

static void op_socketpair(int argc, char **argv, struct result *r)
{
	long family = (long)parse_named(argv[0], address_families, "AF_");
	long type = argc > 1 ? (long)parse_named(argv[1], socket_types, "SOCK_") : SOCK_STREAM;
	int sv[2] = { -1, -1 };

	from_syscall(r, syscall(SYS_socketpair, family, type | SOCK_CLOEXEC, 0L, sv));
	if (!r->err)
		snprintf(r->detail, sizeof(r->detail), "fds=%d,%d", sv[0], sv[1]);
}

/* prctl OPTION [ARG2]: PR_SET_NAME and PR_GET_NAME get a buffer, the rest a number (0). */
static void op_prctl(int argc, char **argv, struct result *r)
{
	unsigned long option = parse_named(argv[0], prctl_options, "PR_");
	char name[16] = "sc";
	unsigned long arg2 = 0;

	if (option == PR_SET_NAME || option == PR_GET_NAME) {
		if (argc > 1)
			snprintf(name, sizeof(name), "%s", argv[1]);
		arg2 = (unsigned long)(uintptr_t)name;
	} else if (argc > 1) {
		arg2 = parse_number(argv[1]);
	}
	from_syscall(r, syscall(SYS_prctl, option, arg2, 0L, 0L, 0L));
	if (!r->err && option == PR_GET_NAME)
		snprintf(r->detail, sizeof(r->detail), "name=%.16s", name);
}

static void op_unshare(int argc, char **argv, struct result *r)
{
	from_syscall(r, syscall(SYS_unshare, parse_flags(argv[0], clone_flags, "CLONE_")));
}

/* Waits for a child that exits at once; a child that did not exit 0 is a harness error. */
static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, __WALL) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sc: child %d did not exit cleanly\n", (int)pid);
		exit(2);
	}
}

/* clone FLAGS: fork-like raw clone (no new stack) with the flags plus SIGCHLD. */
static void op_clone(int argc, char **argv, struct result *r)
{
	unsigned long flags = parse_flags(argv[0], clone_flags, "CLONE_");
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);

	if (pid == 0)
		_exit(0);
	from_syscall(r, pid);
	if (!r->err)
		reap((pid_t)pid);
}

static void op_clone_newns(int argc, char **argv, struct result *r)
{
	char *args[] = { (char *)(uintptr_t)"NEWNS" };

	op_clone(1, args, r);
}

/* struct clone_args, CLONE_ARGS_SIZE_VER0 (64 bytes); local to avoid <linux/sched.h>. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void op_clone3(int argc, char **argv, struct result *r)
{
	struct clone3_args args;
	long pid;

	memset(&args, 0, sizeof(args));
	args.flags = argc > 0 ? parse_flags(argv[0], clone_flags, "CLONE_") : 0;
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	from_syscall(r, pid);
	if (!r->err)
		reap((pid_t)pid);
}

/* ia32 getpid through int $0x80 from 64-bit code (eax = 20, the ia32 number). The kernel
 * zeroes r8-r11 on this path. */
static void op_int80_getpid(int argc, char **argv, struct result *r)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"((long)IA32_NR_GETPID)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	from_raw(r, (long)(int)ret); /* an ia32 result: 32 bits */
}

/* ia32 unshare(FLAGS) through int $0x80 (eax = 310): the classic way around a filter that
 * only knows x86-64 numbers. */
static void op_int80_unshare(int argc, char **argv, struct result *r)
{
	long flags = parse_flags(argv[0], clone_flags, "CLONE_"), ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"((long)IA32_NR_UNSHARE), "b"(flags)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	from_raw(r, (long)(int)ret);
}

/* x32 getpid: the syscall instruction with 39 | __X32_SYSCALL_BIT. */
static void op_x32_getpid(int argc, char **argv, struct result *r)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(SYS_getpid | X32_SYSCALL_BIT)
			 : "rcx", "r11", "memory", "cc");
	from_raw(r, ret);
}

static void op_open(int argc, char **argv, struct result *r)
{
	long flags = O_RDONLY | O_CLOEXEC;

	if (argc > 1 && strcmp(argv[1], "creat") == 0)
		flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	from_syscall(r, syscall(SYS_open, argv[0], flags, 0644L));
}

static void op_stat(int argc, char **argv, struct result *r)
{
	struct stat st;

	from_syscall(r, syscall(SYS_stat, argv[0], &st));
}

/* mkdir PATH [MODE]: the mkdir syscall itself (83), not mkdirat; MODE in octal. */
static void op_mkdir(int argc, char **argv, struct result *r)
{
	long mode = 0755;

	if (argc > 1) {
		char *end;

		mode = strtol(argv[1], &end, 8);
		if (*end || end == argv[1])
			usage_error("mode must be octal");
	}
	from_syscall(r, syscall(SYS_mkdir, argv[0], mode));
}

/* raw NR [ARG...]: any syscall number with numeric arguments. */
static void op_raw(int argc, char **argv, struct result *r)
{
	long a[6] = { 0 };

	for (int i = 1; i < argc; i++)
		a[i - 1] = (long)parse_number(argv[i]);
	from_syscall(r, syscall((long)parse_number(argv[0]), a[0], a[1], a[2], a[3], a[4], a[5]));
}

/* sleep SECONDS: nanosleep, for tasks that must stay alive a while. */
static void op_sleep(int argc, char **argv, struct result *r)
{
	struct timespec ts = { (time_t)parse_number(argv[0]), 0 };

	from_syscall(r, syscall(SYS_nanosleep, &ts, NULL));
}

static void op_exit(int argc, char **argv, struct result *r)
{
	fflush(stdout);
	_exit((int)parse_number(argv[0]));
}

static const struct op ops[] = {
	{ "getpid", 0, 0, op_getpid, "" },
	{ "getppid", 0, 0, op_getppid, "" },
	{ "gettid", 0, 0, op_gettid, "" },
	{ "uname", 0, 0, op_uname, "" },
	{ "sethostname", 1, 1, op_sethostname, "NAME" },
	{ "setdomainname", 1, 1, op_setdomainname, "NAME" },
	{ "sysinfo", 0, 0, op_sysinfo, "" },
	{ "getaffinity", 0, 2, op_getaffinity, "[LEN [PID]]" },
	{ "ioctl", 1, 2, op_ioctl, "REQ [PATH]   (default PATH /dev/ptmx)" },
	{ "ioctl-tcgets", 0, 1, op_ioctl_tcgets, "[PATH]" },
	{ "socket", 1, 3, op_socket, "FAMILY [TYPE [PROTOCOL]]" },
	{ "socketpair", 1, 2, op_socketpair, "FAMILY [TYPE]" },
	{ "prctl", 1, 2, op_prctl, "OPTION [ARG2]" },
	{ "unshare", 1, 1, op_unshare, "FLAGS   (NEWNS,NEWUTS,NEWNET,NEWUSER,NEWPID,FILES,...)" },
	{ "clone", 1, 1, op_clone, "FLAGS" },
	{ "clone-newns", 0, 0, op_clone_newns, "" },
	{ "clone3", 0, 1, op_clone3, "[FLAGS]" },
	{ "int80-getpid", 0, 0, op_int80_getpid, "" },
	{ "int80-unshare", 1, 1, op_int80_unshare, "FLAGS" },
	{ "x32-getpid", 0, 0, op_x32_getpid, "" },
	{ "open", 1, 2, op_open, "PATH [creat]" },
	{ "stat", 1, 1, op_stat, "PATH" },
	{ "mkdir", 1, 2, op_mkdir, "PATH [MODE]" },
	{ "raw", 1, 7, op_raw, "NR [ARG...]" },
	{ "uname-fresh", 0, 0, op_uname_fresh, "" },
	{ "sysinfo-fresh", 0, 0, op_sysinfo_fresh, "" },
	{ "aio", 1, 1, op_aio, "PATH" },
	{ "dino", 1, 1, op_dino, "DIR" },
	{ "remap", 0, 0, op_remap, "" },
	{ "mq", 1, 1, op_mq, "/NAME" },
	{ "mq-open", 1, 2, op_mq_open, "/NAME [create]" },
	{ "mq-send", 2, 2, op_mq_send, "/NAME TEXT" },
	{ "mq-receive", 1, 1, op_mq_receive, "/NAME" },
	{ "mq-unlink", 1, 1, op_mq_unlink, "/NAME" },
	{ "ioprio-get", 2, 2, op_ioprio_get, "WHO ID   (WHO: process, pgrp, user)" },
	{ "ioprio-set", 4, 4, op_ioprio_set, "WHO ID CLASS DATA   (CLASS: none, rt, be, idle)" },
	{ "landlock-open", 1, 1, op_landlock_open, "PATH" },
	{ "sleep", 1, 1, op_sleep, "SECONDS" },
	{ "exit", 1, 1, op_exit, "CODE" },
	{},
};

static const struct op *find_op(int argc, char **argv)
{
	const struct op *op;

	if (argc < 1)
		usage_error("no op given");
	for (op = ops; op->name; op++)
		if (strcmp(op->name, argv[0]) == 0)
			break;
	if (!op->name)
		usage_error("unknown op");
	if (argc - 1 < op->min_args || argc - 1 > op->max_args)
		usage_error("wrong number of arguments");
	return op;
}

static int print_result(const struct result *r)
{
	if (r->err) {
		const char *name = strerrorname_np(r->err);

		if (name)
			printf("%s\n", name);
		else
			printf("errno%d\n", r->err);
	} else if (r->detail[0]) {
		printf("ok %ld %s\n", r->ret, r->detail);
	} else {
		printf("ok %ld\n", r->ret);
	}
	fflush(stdout);
	return r->err ? 1 : 0;
}

static int run(int argc, char **argv);

struct thread_job {
	int argc;
	char **argv;
	int status;
};

static void *thread_main(void *p)
{
	struct thread_job *job = p;

	job->status = run(job->argc, job->argv);
	return NULL;
}

static int run_thread(int argc, char **argv)
{
	struct thread_job job = { argc, argv, 2 };
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_main, &job);

	if (e) {
		fprintf(stderr, "sc: pthread_create: %s\n", strerror(e));
		return 2;
	}
	pthread_join(t, NULL);
	return job.status;
}

static int run_fork(int argc, char **argv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sc: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0)
		_exit(run(argc, argv));
	if (waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "sc: waitpid: %s\n", strerror(errno));
		return 2;
	}
	if (WIFSIGNALED(status)) {
		const char *sig = sigabbrev_np(WTERMSIG(status));

		printf("killed SIG%s\n", sig ? sig : "?");
		return 3;
	}
	return WEXITSTATUS(status);
}

static int run_loop(int argc, char **argv)
{
	static char *default_args[] = { NULL, (char *)(uintptr_t)"getppid" };
	unsigned long n, failures = 0;
	const struct op *op;
	int first_err = 0;

	if (argc < 1)
		usage_error("loop needs a count");
	n = parse_number(argv[0]);
	if (argc == 1) {
		default_args[0] = argv[0];
		argc = 2;
		argv = default_args; /* argv[1] is the op */
	}
	op = find_op(argc - 1, argv + 1);
	for (unsigned long i = 0; i < n; i++) {
		struct result r = { 0, 0, "" };

		op->fn(argc - 2, argv + 2, &r);
		if (r.err) {
			failures++;
			if (!first_err)
				first_err = r.err;
		}
	}
	if (failures) {
		const char *name = strerrorname_np(first_err);

		printf("%s %lu\n", name ? name : "?", failures);
		return 1;
	}
	printf("ok %lu\n", n);
	return 0;
}

static void *sleeper_main(void *p)
{
	for (;;)
		pause();
	return p;
}

static int run_threads(int argc, char **argv)
{
	unsigned long n;
	pthread_t t;

	if (argc < 2)
		usage_error("threads N OP [ARGS...]");
	n = parse_number(argv[0]);
	for (unsigned long i = 0; i < n; i++)
		if (pthread_create(&t, NULL, sleeper_main, NULL) != 0) {
			fprintf(stderr, "sc: pthread_create: %s\n", strerror(errno));
			return 2;
		}
	return run(argc - 1, argv + 1); /* exit_group() ends the sleepers */
}

struct late_exit {
	unsigned int secs;
	int code;
};

static void *late_exit_main(void *p)
{
	const struct late_exit *l = p;

	sleep(l->secs);
	exit(l->code);
}

/* The process outlives its main thread: for the "init exited" bookkeeping, which must wait
 * for the whole thread group. */
static int run_main_exits_first(int argc, char **argv)
{
	static struct late_exit l;
	pthread_t t;

	if (argc != 2)
		usage_error("main-exits-first SECS CODE");
	l.secs = (unsigned int)parse_number(argv[0]);
	l.code = (int)parse_number(argv[1]);
	if (pthread_create(&t, NULL, late_exit_main, &l) != 0)
		return 2;
	pthread_exit(NULL);
}

static void *exec_main(void *p)
{
	char **argv = p;

	execv(argv[0], argv);
	fprintf(stderr, "sc: execv %s: %s\n", argv[0], strerror(errno));
	exit(2);
}

static int run_thread_exec(int argc, char **argv)
{
	pthread_t t;

	if (argc < 1)
		usage_error("thread-exec PROGRAM [ARGS...]");
	fflush(stdout);
	if (pthread_create(&t, NULL, exec_main, argv) != 0)
		return 2;
	for (;;)
		pause(); /* until the exec ends this thread */
}

static int run(int argc, char **argv)
{
	const struct op *op;
	struct result r = { 0, 0, "" };

	if (argc >= 1 && strcmp(argv[0], "thread") == 0)
		return run_thread(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "fork") == 0)
		return run_fork(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "loop") == 0)
		return run_loop(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "threads") == 0)
		return run_threads(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "main-exits-first") == 0)
		return run_main_exits_first(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "thread-exec") == 0)
		return run_thread_exec(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[0], "persona") == 0) {
		/* persona VALUE PROGRAM [ARGS...]: personality(VALUE), then exec (it is inherited) */
		if (personality((unsigned long)parse_number(argv[1])) < 0) {
			printf("%s\n", strerrorname_np(errno));
			return 1;
		}
		execvp(argv[2], argv + 2);
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	op = find_op(argc, argv);
	op->fn(argc - 1, argv + 1, &r);
	return print_result(&r);
}

int main(int argc, char *argv[])
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: sc [thread|fork|loop N] OP [ARGS...]\nops:\n");
		for (const struct op *op = ops; op->name; op++)
			printf("  %s %s\n", op->name, op->usage);
		return argc < 2 ? 2 : 0;
	}
	return run(argc - 1, argv + 1);
}
