/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sandbox's side of container_spawn(): the cloned child, pid 1 of fresh namespaces,
 * builds the root filesystem, enters its user namespace (when it has one), drops every
 * privilege it does not keep and then stays as a minimal init for the workload (forwards
 * signals, reaps orphans, reports the workload's end).
 *
 * It runs in a copy of the daemon's memory made by a raw clone(): the init allocates nothing
 * (the daemon prepared everything, the seccomp filter included), uses no stdio and always
 * _exit()s; only the workload, a fork() of it, allocates (execvp). Every step that fails is
 * reported to the daemon with its errno and what failed, and the child exits; the daemon
 * then removes what was made.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container-internal.h"
#include "macro.h"
#include "container.h"
#include "mounts.h"
#include "policy.h"
#include "views.h"

/* The fds the init keeps from the daemon: sync, report, image, stdio (3), /dev/rvisor, the
 * caller's mount namespace and a source for each mount. */
#define KEEP_MAX (9 + MOUNTS_MAX)

/* What ps shows for the init inside the sandbox, instead of the daemon's command line. */
static const char init_cmdline[] = "rvisor-init";

/* Signals the init passes on to the workload; the others keep their default action. */
static const int forwarded_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
	SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH,
};

bool container_signal_forwarded(int sig)
{
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		if (forwarded_signals[i] == sig)
			return true;
	return false;
}

/* What a workload that failed before or in execve() tells the init (over a CLOEXEC pipe:
 * a successful execve closes it unwritten). */
struct workload_error {
	int32_t error;
	int32_t exec; /* the failure was execve() itself */
	char text[200];
};

static void write_all(int fd, const void *p, size_t n)
{
	/* One write(): the records are smaller than PIPE_BUF, so it is all or nothing. */
	while (write(fd, p, n) < 0 && errno == EINTR)
		;
}

static void report(const struct container_child *a, uint32_t type)
{
	struct init_msg m = { .type = type };

	write_all(a->report_fd, &m, sizeof(m));
}

_printf_(3, 4) static _Noreturn void fail(const struct container_child *a, int error,
					  const char *fmt, ...)
{
	struct init_msg m = { .type = INIT_MSG_FAILED, .error = error > 0 ? error : EIO };
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	write_all(a->report_fd, &m, sizeof(m));
	_exit(1);
}

/* Waits for the daemon's go-ahead; EOF (the daemon gave up or died) ends the child quietly. */
static void wait_go(const struct container_child *a)
{
	char c;
	ssize_t k;

	do
		k = read(a->sync_fd, &c, 1);
	while (k < 0 && errno == EINTR);
	if (k != 1 || c != INIT_GO)
		_exit(1);
}

/* Closes every fd from 3 up except those in keep[] (which are >= 3 or -1). */
static int close_all_except(const int *keep, size_t n)
{
	int sorted[KEEP_MAX];
	size_t m = 0;
	unsigned int from = 3;

	if (n > sizeof(sorted) / sizeof(sorted[0]))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (keep[i] < 3)
			continue;
		for (j = 0; j < m && sorted[j] < keep[i]; j++)
			;
		if (j < m && sorted[j] == keep[i])
			continue;
		memmove(sorted + j + 1, sorted + j, (m - j) * sizeof(int));
		sorted[j] = keep[i];
		m++;
	}
	for (size_t i = 0; i < m; i++) {
		if ((unsigned int)sorted[i] > from && close_range(from, (unsigned int)sorted[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)sorted[i] + 1;
	}
	return close_range(from, ~0U, 0) < 0 ? -errno : 0;
}

/* A mount point the image may lack: created in the overlay's upper layer (never in the
 * image); refused when the image has something else there (a link could send the mount
 * elsewhere inside the sandbox's root). */
static void ensure_dir(const struct container_child *a, const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		fail(a, errno, "Cannot create %s in the sandbox", path);
	if (lstat(path, &st) < 0)
		fail(a, errno, "Cannot stat %s in the sandbox", path);
	if (!S_ISDIR(st.st_mode))
		fail(a, ENOTDIR, "The image's %s is not a directory", path);
}

static void do_mount(const struct container_child *a, const char *src, const char *target,
		     const char *type, unsigned long flags, const char *data)
{
	if (mount(src, target, type, flags, data) < 0)
		fail(a, errno, "Cannot mount %s on %s in the sandbox", type ?: src ?: "(remount)", target);
}

/* /dev: a small tmpfs with the usual harmless nodes, a private devpts and /dev/shm. No
 * host device is visible; the workload cannot add one (no CAP_MKNOD, and the overlay is
 * nodev). noexec: nothing runs from /dev. */
static void setup_dev(const struct container_child *a)
{
	static const struct {
		const char *name;
		unsigned int major, minor;
	} nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct {
		const char *target, *path;
	} links[] = {
		{ "pts/ptmx", "/dev/ptmx" },          { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" },  { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};
	char path[64];

	ensure_dir(a, "/dev", 0755);
	do_mount(a, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
		 "mode=0755,size=65536k");
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "/dev/%s", nodes[i].name);
		/* Safe: character devices of the kernel's own "memory" and tty drivers, the same
		 * every container runtime provides; root in the initial user namespace (CAP_MKNOD)
		 * creates them on the sandbox's private tmpfs. */
		if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
			fail(a, errno, "Cannot create %s in the sandbox", path);
	}
	ensure_dir(a, "/dev/pts", 0755);
	/* A new devpts instance: the sandbox sees only ptys it opens itself, never the host's. */
	do_mount(a, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 a->devpts_options);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i].target, links[i].path) < 0)
			fail(a, errno, "Cannot create %s in the sandbox", links[i].path);
	ensure_dir(a, "/dev/shm", 01777);
	do_mount(a, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 "mode=1777,size=65536k");
}

/* As runc: /proc files that expose the host kernel (memory, keys, timers, scheduler) read
 * as /dev/null, directories about host hardware as an empty read-only tmpfs, and the
 * knobs that change the host kernel read-only. Those the kernel lacks are skipped. */
static void mask_proc(const struct container_child *a)
{
	static const char *const masked[] = {
		"/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/acpi", "/proc/asound", "/proc/scsi",
	};
	static const char *const readonly[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	struct stat st;

	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		if (lstat(masked[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			fail(a, errno, "Cannot stat %s in the sandbox", masked[i]);
		}
		if (S_ISDIR(st.st_mode))
			do_mount(a, "tmpfs", masked[i], "tmpfs",
				 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
		else
			do_mount(a, "/dev/null", masked[i], NULL, MS_BIND, NULL);
	}
	for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		if (lstat(readonly[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			fail(a, errno, "Cannot stat %s in the sandbox", readonly[i]);
		}
		do_mount(a, readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL);
		do_mount(a, NULL, readonly[i], NULL,
			 MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	}
}

/* Makes /proc/1/cmdline read "rvisor-init" instead of the daemon's command line (which is
 * none of the sandbox's business): overwrites the argument area of this process, the
 * child's private copy of the daemon's memory, the way setproctitle() does. The kernel then
 * reports the text up to the first NUL because the area's last byte is not NUL.
 * PR_SET_MM_ARG_START would be cleaner but needs CAP_SYS_RESOURCE. Best effort. */
static void set_cmdline(void)
{
	char buf[1024], *p;
	unsigned long start = 0, end = 0;
	ssize_t n;
	int fd, field = 3;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may contain anything */
	if (!p || p[1] != ' ')
		return;
	/* Field 3 (state) follows ") "; arg_start and arg_end are fields 48 and 49. */
	for (p += 2; *p && field < 48; p++)
		if (*p == ' ')
			field++;
	if (field != 48 || sscanf(p, "%lu %lu", &start, &end) != 2 || end <= start ||
	    end - start < 3)
		return;
	{
		char *area = (char *)start;
		size_t len = end - start, k = strlen(init_cmdline);

		if (k > len - 2)
			k = len - 2;
		memset(area, 0, len);
		memcpy(area, init_cmdline, k);
		area[len - 1] = ' ';
	}
	(void)prctl(PR_SET_NAME, (unsigned long)init_cmdline, 0, 0, 0);
}

/* The image descriptor refers to a mount of the caller's mount namespace, and overlayfs
 * stacks only on mounts of our own (clone_private_mount()). So the init finds the same
 * directory here by the path the kernel reports for the descriptor, and keeps it only if it
 * is the very same directory (device and inode): whatever the caller renames or swaps
 * meanwhile, nothing else can take its place. The result replaces image_fd (same number, so
 * overlay_options stays right). A directory that is not reachable from here (another mount
 * namespace's private mount, deleted) is refused. */
static void reopen_image(const struct container_child *a)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_MAGICLINKS };
	char link[64], path[PATH_MAX];
	struct stat want, got;
	ssize_t n;
	int fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", a->image_fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		fail(a, errno, "Cannot find the image's path");
	path[n] = '\0';
	if (fstat(a->image_fd, &want) < 0)
		fail(a, errno, "Cannot stat the image");
	if (path[0] != '/' || (n > 10 && strcmp(path + n - 10, " (deleted)") == 0))
		fail(a, ENOENT, "The image is not reachable by a path (deleted?)");
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0)
		fail(a, errno, "The image is not reachable for rvisord at %s", path);
	if (fstat(fd, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
		fail(a, EXDEV, "The image at %s changed while the sandbox started", path);
	if (dup3(fd, a->image_fd, O_CLOEXEC) < 0)
		fail(a, errno, "Cannot keep the image open");
	close(fd);
}

/* statfs() of the sandbox's root answers for the writable layer's tmpfs. No real file system
 * is ever empty (its own metadata takes room) and programs count on that (shutil.disk_usage's
 * tests, installers): one page in it, beside upper/ and so invisible inside, keeps "used"
 * above zero before the workload writes anything. */
static void reserve_page(const struct container_child *a)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/reserved", a->state_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, "", 1) != 1)
		fail(a, errno, "Cannot prepare the writable layer");
	close(fd);
}

/* The writable layer: a tmpfs of the sandbox's own on the state dir (in this mount namespace
 * only) holding the overlay's upper and work directories. The upper layer's root is the
 * sandbox's "/": it gets the image root's owner and mode (a 0700 root would lock a non-root
 * workload out). */
static void setup_storage(const struct container_child *a)
{
	struct stat st;

	do_mount(a, "tmpfs", a->state_dir, "tmpfs", MS_NOSUID | MS_NODEV, a->storage_options);
	if (mkdir(a->upper, 0700) < 0 || mkdir(a->work, 0700) < 0 || mkdir(a->merged, 0700) < 0)
		fail(a, errno, "Cannot create the writable layer's directories");
	if (fstat(a->image_fd, &st) < 0)
		fail(a, errno, "Cannot stat the image");
	if (chown(a->upper, st.st_uid, st.st_gid) < 0 || chmod(a->upper, st.st_mode & 07777) < 0)
		fail(a, errno, "Cannot prepare the writable layer");
	reserve_page(a);
}

/* rvisorfs over /proc's and /sys's machine-wide files (views.h). Mounting it takes the
 * manager's /dev/rvisor, which the init closes right after: nothing else of the sandbox may
 * ever hold it. */
static void setup_views(const struct container_child *a)
{
	char what[128];
	int r;

	r = views_mount(&views_ops_system, "", a->views_options, what, sizeof(what));
	close(a->rvisor_fd);
	if (r >= 0)
		r = views_bind(&views_ops_system, "", what, sizeof(what));
	if (r < 0)
		fail(a, -r, "%s in the sandbox", what);
}

/* The binds' sources, copied from the caller's mount namespace while the host's tree is still
 * there (mounts.h); trees[] gets the copies. */
static void copy_mount_sources(const struct container_child *a, int *trees)
{
	char what[200];
	int r = mounts_clone_sources(a->mounts, a->n_mounts, a->mount_ns_fd, trees, what, sizeof(what));

	if (r < 0)
		fail(a, -r, "%s", what);
}

/* The sandbox's own mounts, last: /proc, /dev, /sys and the views are in place, so that a
 * destination that leads there through a link is seen for what it is and refused. */
static void setup_mounts(const struct container_child *a, int *trees)
{
	char what[200];
	int r = mounts_attach(a->mounts, a->n_mounts, trees, a->tmpfs_size, a->root_uid, a->root_gid,
			      what, sizeof(what));

	if (r < 0)
		fail(a, -r, "%s", what);
}

/* Builds the sandbox's root: everything here happens in the child's own mount namespace. */
static void setup_root(const struct container_child *a)
{
	int trees[MOUNTS_MAX];

	/* Nothing mounted from here on may propagate back to the host (its / is usually
	 * shared under systemd), nor may host mounts appear later. */
	do_mount(a, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	copy_mount_sources(a, trees);
	reopen_image(a);
	setup_storage(a);

	/* The image is the lower layer: writes go to the sandbox's own upper layer, so the image
	 * is never modified and sandboxes never see each other's files. The image is the
	 * directory the caller opened (lowerdir is /proc/self/fd/N): no path is looked up here
	 * with our rights. nodev: device nodes in an image stay dead; nosuid on top of
	 * no_new_privs. */
	do_mount(a, "overlay", a->merged, "overlay", MS_NOSUID | MS_NODEV, a->overlay_options);
	close(a->image_fd);

	/* Switch to it and drop the host's tree entirely (pivot_root(".", ".") stacks the old
	 * root on the new one; the lazy unmount removes it). From here on no path can reach a
	 * host file, and the image's links resolve inside the sandbox. */
	if (chdir(a->merged) < 0)
		fail(a, errno, "Cannot change to %s", a->merged);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(a, errno, "Cannot pivot_root into %s", a->merged);
	if (umount2(".", MNT_DETACH) < 0)
		fail(a, errno, "Cannot detach the host's root");
	if (chdir("/") < 0)
		fail(a, errno, "Cannot change to /");

	/* A proc instance of the sandbox's own pid namespace: it lists only its processes. */
	ensure_dir(a, "/proc", 0555);
	do_mount(a, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	set_cmdline();
	setup_dev(a);
	mask_proc(a);
	/* No /sys of the host's: it would show the host's devices and, for root, its knobs.
	 * With the kernel layer, /proc's machine-wide files and /sys's CPU lists are the
	 * sandbox's own (rvisorfs). */
	if (a->rvisor_fd >= 0)
		setup_views(a);
	setup_mounts(a, trees);

	/* The root alone: the mounts on it keep their own flags (a :rw volume stays writable). */
	if (a->readonly_root)
		do_mount(a, NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
			 NULL);
}

static void setup_network(const struct container_child *a)
{
	struct ifreq ifr = {};
	int fd;

	/* A fresh network namespace has only lo, and it is down. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail(a, errno, "Cannot open a socket to set up lo");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		fail(a, errno, "Cannot read lo's flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		fail(a, errno, "Cannot bring lo up");
	close(fd);
}

/* Moves into a user namespace of its own (and, unless the sandbox uses the host's network, a
 * network namespace it owns, so that its root may bind low ports and configure lo there).
 * The daemon writes the maps: uid/gid 0 inside is the caller, the rest its subordinate ids.
 * Everything made before (mounts, /dev, hostname, the pid, UTS and IPC namespaces) belongs
 * to the initial user namespace, out of reach of the capabilities held in this one. */
static void enter_userns(const struct container_child *a)
{
	if (unshare(CLONE_NEWUSER | (a->new_net ? CLONE_NEWNET : 0)) < 0)
		fail(a, errno, "Cannot create the sandbox's user namespace");
	report(a, INIT_MSG_USERNS);
	wait_go(a);
	/* Root of the new namespace: full capabilities there until drop_privileges(). */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		fail(a, errno, "Cannot become root of the sandbox's user namespace");
}

/* Gives up every privilege, for the init and (inherited) the workload, before the sandbox
 * is bound to the kernel gate: a policy refuses these calls afterwards. Host ids keep no
 * capability at all; root of a user namespace keeps root_caps (docker's set, over what that
 * namespace owns only), other users none. */
static void drop_privileges(const struct container_child *a)
{
	int last = (int)cap_max_bits();

	/* The bounding set first (dropping needs CAP_SETPCAP, which we still have): with it and
	 * the inheritable set narrowed, even a uid-0 execve() cannot gain a capability again. */
	for (int cap = 0; cap < last; cap++)
		if (!(cap < 64 && (a->keep_bounding & (1ULL << cap))) &&
		    cap_drop_bound((cap_value_t)cap) < 0 && errno != EINVAL)
			fail(a, errno, "Cannot drop capability %d from the bounding set", cap);
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		fail(a, errno, "Cannot clear the ambient capabilities");
	if (setgroups(0, NULL) < 0)
		fail(a, errno, "Cannot drop the supplementary groups");
	if (setresgid(a->gid, a->gid, a->gid) < 0)
		fail(a, errno, "Cannot change to gid %u", (unsigned int)a->gid);
	if (setresuid(a->uid, a->uid, a->uid) < 0)
		fail(a, errno, "Cannot change to uid %u", (unsigned int)a->uid);
	/* Explicitly, whatever the uid change kept: uid 0 in the user namespace gets root_caps
	 * (execve() keeps them: they are within the bounding set), everyone else nothing. */
	if (cap_set_proc(a->userns && a->uid == 0 ? a->root_caps : a->no_caps) < 0)
		fail(a, errno, "Cannot set the capabilities");
	/* No execve() may grant privileges again (setuid binaries, file capabilities); seccomp
	 * needs it too. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(a, errno, "Cannot set no_new_privs");
	/* The workload runs as the same uid: non-dumpable keeps it from ptrace()ing the init or
	 * opening /proc/1/fd (the pipe to the daemon). A new execve() resets it for the
	 * workload itself. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(a, errno, "Cannot make the init non-dumpable");
	/* The credential change cleared the parent-death signal. */
	if (a->die_with_daemon && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail(a, errno, "Cannot set the parent-death signal");
}

_printf_(4, 5) static _Noreturn void workload_fail(int fd, int error, bool exec, const char *fmt,
						   ...)
{
	struct workload_error e = { .error = error, .exec = exec };
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	write_all(fd, &e, sizeof(e));
	_exit(exec ? 127 : 125);
}

/* The workload, between fork() and execve(): unprivileged already, gated already. */
static _Noreturn void workload_main(const struct container_child *a, const int stdio[3], int err_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* Dispositions and the mask survive execve(): give the program a clean slate (the init
	 * blocks the forwarded signals and ignores SIGPIPE; the daemon may ignore others). */
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP and libc's own refuse */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Own session and process group: the init signals the group, a terminal's job control
	 * sees the workload as its foreground group. */
	if (setsid() < 0)
		workload_fail(err_fd, errno, false, "Cannot start a session");

	/* stdio[] are >= 3 (the init moved them), so dup2() cannot clobber one with another. */
	for (int i = 0; i < 3; i++) {
		int fd = stdio[i];

		if (fd < 0) {
			fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
			if (fd < 0)
				workload_fail(err_fd, errno, false, "Cannot open /dev/null");
		}
		if (dup2(fd, i) < 0)
			workload_fail(err_fd, errno, false, "Cannot set up fd %d", i);
	}
	/* Best effort: a terminal that is another session's controlling terminal (the client's
	 * own) cannot become ours without stealing it; the workload then runs without one. */
	if (a->tty)
		(void)ioctl(0, TIOCSCTTY, 0);

	/* Nothing but 0, 1, 2 survives execve() (the init passed nothing else, but be sure). */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS && errno != EINVAL)
		workload_fail(err_fd, errno, false, "Cannot mark fds close-on-exec");

	/* The policy's seccomp filter, alone or under rvisor.ko's gate (which binds the whole
	 * pid namespace, this process included, before the init forked it): the last thing
	 * before execve(), which the policy must allow. no_new_privs was set by the init. Built
	 * by the daemon: installing it only calls seccomp(2). */
	if (a->seccomp) {
		int r = policy_seccomp_install(a->seccomp);

		if (r < 0)
			workload_fail(err_fd, -r, false, "Cannot load the seccomp filter: %s",
				      strerror(-r));
	}

	/* execvp() searches the PATH of environ, so the workload's own environment decides. */
	environ = a->env;
	execvp(a->argv[0], a->argv);
	workload_fail(err_fd, errno, true, "%s", a->argv[0]);
}

/* Forks the workload (workload_main()) and reports it started; returns its pid and the read
 * end of its error pipe in *ret_err_fd. Call with SIGCHLD blocked. */
static pid_t start_workload(const struct container_child *a, const int stdio[3], int *ret_err_fd)
{
	struct init_msg m = { .type = INIT_MSG_STARTED };
	int err_pipe[2];
	pid_t workload;

	/* The daemon may be gone when the end is reported: EPIPE, not death. */
	(void)signal(SIGPIPE, SIG_IGN);
	umask(0022);
	if (pipe2(err_pipe, O_CLOEXEC) < 0)
		fail(a, errno, "Cannot create a pipe");
	workload = fork();
	if (workload < 0)
		fail(a, errno, "Cannot fork the workload");
	if (workload == 0) {
		close(err_pipe[0]);
		workload_main(a, stdio, err_pipe[1]);
	}
	close(err_pipe[1]);
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]); /* the client sees EOF when the workload closes its own */
	m.workload_pid = workload;
	write_all(a->report_fd, &m, sizeof(m));
	*ret_err_fd = err_pipe[0];
	return workload;
}

/* Reports the workload's end: its wait status and, from its error pipe, why it could not be
 * started. Every write end is closed by then (execve() or the workload's exit): the read
 * cannot block. */
static void report_exited(const struct container_child *a, int status, int err_fd)
{
	struct init_msg m = { .type = INIT_MSG_EXITED, .wait_status = status };
	struct workload_error we = {};

	if (read(err_fd, &we, sizeof(we)) == (ssize_t)sizeof(we)) {
		we.text[sizeof(we.text) - 1] = '\0';
		m.exec_errno = we.exec ? we.error : 0;
		snprintf(m.text, sizeof(m.text), "%s", we.text);
		if (!we.exec)
			m.error = we.error;
	}
	write_all(a->report_fd, &m, sizeof(m));
}

/* The init's life after setup: start the workload, pass signals on, reap everything that
 * dies in the sandbox (orphans are reparented to pid 1), report when the workload is done. */
static _Noreturn void init_main(const struct container_child *a, const int stdio[3])
{
	int err_fd, status = 0;
	sigset_t set;
	pid_t workload;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&set, forwarded_signals[i]);
	sigaddset(&set, SIGCHLD);
	/* Blocked and taken with sigwaitinfo(): nothing is lost between fork() and the loop. A
	 * blocked signal reaches pid 1 also from inside the sandbox, which is harmless: it is
	 * only passed on to the workload, which could signal itself anyway. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fail(a, errno, "Cannot block signals in the init");
	workload = start_workload(a, stdio, &err_fd);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		bool done = false;

		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			/* To the group first: the workload's own children (a shell pipeline) get
			 * it too, as from a terminal. Before its setsid() there is no such group. */
			if (kill(-workload, sig) < 0 && errno == ESRCH)
				(void)kill(workload, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);

			if (p <= 0)
				break;
			if (p == workload) {
				status = st;
				done = true;
			}
		}
		if (done)
			break;
	}

	report_exited(a, status, err_fd);
	/* Our exit takes every other process of the sandbox with it (pid namespace). */
	_exit(0);
}

/* The start of every child of the daemon's: none of the daemon's signal handlers, only the
 * fds it needs (its stdio copies moved to >= 3 into stdio[], and also_keep, or -1), /dev/null
 * as 0, 1, 2. */
static void take_fds(const struct container_child *a, int stdio[3], int also_keep)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int keep[KEEP_MAX], null_fd;
	size_t n_keep = 0;

	/* The daemon's handlers are the daemon's code: none of them may run here. */
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);

	/* The fds this child needs, moved to >= 3 so that 0, 1, 2 can become /dev/null and the
	 * workload's dup2() onto 0..2 never overwrites one of them. */
	for (int i = 0; i < 3; i++) {
		stdio[i] = a->stdio[i] < 0 ? -1 : fcntl(a->stdio[i], F_DUPFD_CLOEXEC, 3);
		if (a->stdio[i] >= 0 && stdio[i] < 0)
			fail(a, errno, "Cannot duplicate stdio fd %d", a->stdio[i]);
	}
	keep[n_keep++] = a->sync_fd;
	keep[n_keep++] = a->report_fd;
	keep[n_keep++] = a->image_fd;
	for (int i = 0; i < 3; i++)
		keep[n_keep++] = stdio[i];
	keep[n_keep++] = a->rvisor_fd; /* -1 without the kernel layer; closed once rvisorfs is mounted */
	keep[n_keep++] = also_keep;
	keep[n_keep++] = a->mount_ns_fd; /* these two closed once the sources are copied */
	for (size_t i = 0; i < a->n_mounts && i < MOUNTS_MAX; i++)
		keep[n_keep++] = a->mounts[i].type == MOUNT_BIND ? a->mounts[i].fd : -1;
	/* Everything else the daemon had open (its varlink sockets, other sandboxes' pipes) must
	 * not live on in a sandbox: the device's "manager closed" and a pipe's EOF depend on the
	 * last copy going away. */
	if (close_all_except(keep, n_keep) < 0)
		fail(a, errno, "Cannot close the daemon's fds");
	/* The daemon's own 0..2 (its journal stream) are none of the sandbox's business. */
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	for (int i = 0; i < 3; i++)
		if (null_fd != i)
			(void)(null_fd < 0 ? close(i) : dup2(null_fd, i));
	if (null_fd > 2)
		close(null_fd);
}

_Noreturn void container_child_main(const struct container_child *a)
{
	int stdio[3];

	take_fds(a, stdio, -1);
	if (a->die_with_daemon && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail(a, errno, "Cannot set the parent-death signal");
	/* The daemon may have raised its own limit for its many clients: the sandbox gets the
	 * usual one. */
	if (a->nofile && setrlimit(RLIMIT_NOFILE, a->nofile) < 0)
		fail(a, errno, "Cannot set RLIMIT_NOFILE");
	/* Until the daemon has put us into our cgroup (and, if it died meanwhile, EOF). */
	wait_go(a);

	/* Now the cgroup we are in is the sandbox's own: make it the root of our view. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		fail(a, errno, "Cannot create a cgroup namespace");
	umask(0);
	setup_root(a);
	if (sethostname(a->hostname, strlen(a->hostname)) < 0)
		fail(a, errno, "Cannot set the hostname");
	if (a->userns)
		enter_userns(a);
	if (a->new_net)
		setup_network(a);
	drop_privileges(a);
	/* As the workload's user, so that its permissions are what is checked. */
	if (chdir(a->cwd) < 0)
		fail(a, errno, "Cannot change to the working directory %s", a->cwd);

	/* The daemon binds the sandbox to the kernel gate now: from here on every syscall of
	 * this process and its children is gated. */
	report(a, INIT_MSG_PREPARED);
	wait_go(a);
	close(a->sync_fd);
	init_main(a, stdio);
}

/* How the exec helper waits for its process: SIGTERM (the daemon's, when the client went
 * away, or the parent-death signal) makes it SIGKILL the process and its process group (its
 * own since its setsid(): a shell's children go with it); SIGCHLD is its end. Both are
 * blocked from the start, so that a SIGTERM during the set-up still ends the process. */
static _Noreturn void exec_wait(const struct container_child *a, const sigset_t *set, pid_t process,
				int err_fd)
{
	int status = 0;

	for (;;) {
		int sig = sigwaitinfo(set, NULL);

		/* Unreaped, the process keeps its pid (and its group's id) from being reused. Before
		 * its setsid() there is no such group. */
		if (sig == SIGTERM && kill(-process, SIGKILL) < 0)
			(void)kill(process, SIGKILL);
		else if (sig == SIGCHLD && waitpid(process, &status, WNOHANG) == process)
			break;
	}
	report_exited(a, status, err_fd);
	_exit(0);
}

_Noreturn void container_exec_child_main(const struct container_child *a, int init_pidfd, int ns_flags)
{
	int stdio[3], err_fd;
	sigset_t set;
	pid_t process;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fail(a, errno, "Cannot block signals in the exec helper");
	take_fds(a, stdio, init_pidfd);
	if (a->nofile && setrlimit(RLIMIT_NOFILE, a->nofile) < 0)
		fail(a, errno, "Cannot set RLIMIT_NOFILE");

	/* Safe: the namespaces of the sandbox's init, through a pidfd the daemon holds (never a
	 * recycled pid), joined by root before any of the sandbox's code can see this process.
	 * Its user namespace first (when it has one: joining rvisord's own is EINVAL), then the
	 * others with the rights we hold there; the mount namespace's root and working directory
	 * are the sandbox's root. The pid namespace is our children's only: this process stays
	 * outside it, where nothing in the sandbox can signal or trace it. The cgroup is the
	 * sandbox's already (clone3() put us there). */
	if (setns(init_pidfd, ns_flags) < 0)
		fail(a, errno, errno == ESRCH ? "The sandbox has ended" : "Cannot join the sandbox's namespaces");
	close(init_pidfd);
	/* The workload's identity exactly: ids, no supplementary groups, the bounding set and
	 * capabilities, no_new_privs, not dumpable (no ptrace of this helper, which is outside
	 * the gate). */
	drop_privileges(a);
	/* The credential change cleared it: the process goes with the daemon. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		fail(a, errno, "Cannot set the parent-death signal");
	if (chdir(a->cwd) < 0)
		fail(a, errno, "Cannot change to the working directory %s", a->cwd);
	/* Forked into the sandbox's pid namespace: the kernel gate judges it from its first
	 * syscall, by the sandbox's policy, as it judges the workload; it installs the policy's
	 * seccomp filter and execs as the workload does (workload_main()). */
	process = start_workload(a, stdio, &err_fd);
	exec_wait(a, &set, process, err_fd);
}
