/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of a sandbox: prepare, clone, place, bind, release; and undo it all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <linux/sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container-internal.h"
#include "container.h"
#include "mounts.h"
#include "fail.h"
#include "mkdir.h"
#include "oci.h"
#include "policy.h"
#include "sandbox-name.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The group of terminals, as every distribution numbers it. */
#define TTY_GID 5
/* How long container_exec_destroy() gives a helper to end its process and report, before it
 * kills the helper itself. */
#define EXEC_HELPER_GRACE_MS 1000
/* rm_rf() descends this deep, then moves what is deeper up to the top and goes on there:
 * a workload's deeply nested tree costs neither stack nor fds. */
#define RM_RF_MAX_DEPTH 64

/* A zeroed policy passes every syscall: what SANDBOX_CREATE gets for spec->policy == NULL. */
static const struct rvisor_policy policy_allow_all;

/* A user's sandbox name that also fits the kernel's (with its NUL) and is not the daemon's
 * own cgroup. */
static bool name_valid(const char *name)
{
	return sandbox_name_valid(name) && strlen(name) < RVISOR_NAME_LEN &&
	       strcmp(name, CGROUP_DAEMON_NAME) != 0;
}

/* overlayfs splits its options at ',' and lowerdir at ':' (with '\' escapes). */
static bool overlay_path_ok(const char *p)
{
	return !strpbrk(p, ",:\\");
}

/* Sets KEY=VALUE in env (NULL-terminated, room for one more reserved by the caller):
 * replaces an entry with the same key, else appends. Takes ownership of entry. */
static void env_put(char **env, char *entry)
{
	size_t klen = strcspn(entry, "=") + 1, i;

	for (i = 0; env[i]; i++)
		if (strncmp(env[i], entry, klen) == 0) {
			free(env[i]);
			env[i] = entry;
			return;
		}
	env[i] = entry;
	env[i + 1] = NULL;
}

/* Copies the KEY=VALUE entries of list into env with env_put(). */
static int env_merge(char **env, char **list, char **ret_error)
{
	for (char **e = list; e && *e; e++) {
		char *copy;

		if (!strchr(*e, '=') || **e == '=')
			return fail(ret_error, -EINVAL, "Environment entry '%s' is not KEY=VALUE.", *e);
		copy = strdup(*e);
		if (!copy)
			return -ENOMEM;
		env_put(env, copy);
	}
	return 0;
}

/* A process's environment: the defaults (PATH, HOME for uid, TERM for a terminal or not,
 * HOSTNAME) < layers[0] < layers[1] (for the workload the bundle's process.env and the spec's
 * env; for a process joining it, the workload's two and the joiner's own). */
static int build_env(char **const layers[2], const char *hostname, uid_t uid, bool tty, char ***ret,
		     char **ret_error)
{
	_cleanup_strv_ char **env = NULL;
	size_t n = 4 + strv_length(layers[0]) + strv_length(layers[1]);
	char *defaults[4] = {};
	int r;

	env = calloc(n + 1, sizeof(char *));
	if (!env)
		return -ENOMEM;
	if (asprintf(&defaults[0], "PATH=%s", DEFAULT_PATH) < 0 ||
	    asprintf(&defaults[1], "HOME=%s", uid == 0 ? "/root" : "/") < 0 ||
	    asprintf(&defaults[2], "TERM=%s", tty ? "xterm" : "dumb") < 0 ||
	    asprintf(&defaults[3], "HOSTNAME=%s", hostname) < 0) {
		for (size_t i = 0; i < 4; i++)
			free(defaults[i]);
		return -ENOMEM;
	}
	for (size_t i = 0; i < 4; i++)
		env_put(env, defaults[i]);
	for (size_t i = 0; i < 2; i++) {
		r = env_merge(env, layers[i], ret_error);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(env);
	return 0;
}

/* a's entries, then b's, copied (no key checked: env_merge() does that). */
static int strv_concat(char **a, char **b, char ***ret)
{
	size_t na = strv_length(a), nb = strv_length(b);
	_cleanup_strv_ char **v = calloc(na + nb + 1, sizeof(char *));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < na + nb; i++) {
		v[i] = strdup(i < na ? a[i] : b[i - na]);
		if (!v[i])
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Removes what is in directory dfd. Never follows a link, never crosses into another file
 * system (a mount: -EBUSY, left alone), moves subtrees deeper than RM_RF_MAX_DEPTH up into
 * top_fd. Returns the first error; *ret_any says whether anything was found. */
static int rm_rf_children(int dfd, dev_t dev, int top_fd, unsigned int depth, unsigned int *counter,
			  bool *ret_any)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int fd, r = 0;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((errno = 0, de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		*ret_any = true;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = -1;
			int k;

			if (st.st_dev != dev) {
				if (r == 0)
					r = -EBUSY;
				continue;
			}
			if (depth >= RM_RF_MAX_DEPTH && dfd != top_fd) {
				char name[32];

				for (;;) {
					snprintf(name, sizeof(name), ".rvisor-deep-%u", (*counter)++);
					if (renameat2(dirfd(d), de->d_name, top_fd, name,
						      RENAME_NOREPLACE) == 0 || errno != EEXIST)
						break;
				}
				continue; /* the caller's next pass at the top finds it */
			}
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (errno != ENOENT && r == 0)
					r = -errno;
				continue;
			}
			k = rm_rf_children(sub, dev, top_fd, depth + 1, counter, ret_any);
			if (k < 0 && r == 0)
				r = k;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
				r = -errno;
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	if (errno && r == 0)
		r = -errno;
	return r;
}

/* rm -rf path, for the state dir: its upper layer holds whatever the workload wrote (any
 * name, any mode, links to anywhere, any depth). A missing path is success. */
static int rm_rf(const char *path)
{
	_cleanup_close_ int fd = -1;
	unsigned int counter = 0;
	struct stat st;
	bool any = true;
	int r = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	while (any && r == 0) {
		any = false;
		r = rm_rf_children(fd, st.st_dev, fd, 0, &counter, &any);
	}
	if (r < 0)
		return r;
	if (rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Reads one record from the init, waiting up to timeout_ms (0: not at all, then -EAGAIN
 * when there is none yet). -EPIPE on EOF. */
static int read_msg(int fd, int timeout_ms, struct init_msg *ret)
{
	struct timespec start, now;
	ssize_t k;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		k = poll(&p, 1, left > 0 ? (int)left : 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return timeout_ms == 0 ? -EAGAIN : -ETIMEDOUT;
		break;
	}
	do
		k = read(fd, ret, sizeof(*ret));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	if (k == 0)
		return -EPIPE;
	if ((size_t)k != sizeof(*ret))
		return -EBADMSG;
	ret->text[sizeof(ret->text) - 1] = '\0';
	return 0;
}

/* A socket, not a pipe: MSG_NOSIGNAL, so that a child that died early is an error here
 * rather than a SIGPIPE for the daemon. */
static int send_go(int fd)
{
	char c = INIT_GO;

	return send(fd, &c, 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int container_wait_status_from_siginfo(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return -1;
	}
}

void container_reaped(struct container *c, int init_wait_status)
{
	c->reaped = true;
	c->init_status = init_wait_status;
	c->pid = 0;
}

/* Waits for the init (peek: leave it a zombie for whoever reaps). */
static int init_wait(struct container *c, bool peek, int *ret_status)
{
	siginfo_t si = {};

	if (c->pidfd < 0)
		return -ESRCH;
	while (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED | (peek ? WNOWAIT : 0)) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_status = container_wait_status_from_siginfo(&si);
	return 0;
}

/* The kernel sandbox, told its cgroup (when it has one) so that its figures (sysinfo,
 * rvisorfs) follow the cgroup's limits and usage live. The module keeps the directory, not
 * our descriptor. */
static int kernel_create(const struct container_spec *spec, const char *hostname,
			 const char *cgroup_dir, uint64_t *ret_id)
{
	struct rvisor_sandbox_spec s = {};
	_cleanup_close_ int cgroup_fd = -1;

	s.flags = spec->sandbox_flags;
	if (cgroup_dir) {
		cgroup_fd = open(cgroup_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd < 0)
			return -errno;
		s.flags |= RVISOR_SANDBOX_CGROUP;
		s.cgroup_fd = cgroup_fd;
	}
	s.policy = (uint64_t)(uintptr_t)(spec->policy ?: &policy_allow_all);
	s.memory_limit = spec->memory_max == UINT64_MAX ? 0 : spec->memory_max;
	snprintf(s.name, sizeof(s.name), "%s", spec->name);
	snprintf(s.nodename, sizeof(s.nodename), "%s", hostname);
	if (ioctl(spec->rvisor_fd, RVISOR_IOC_SANDBOX_CREATE, &s) < 0)
		return -errno;
	*ret_id = s.id;
	return 0;
}

static int kernel_bind(int fd, uint64_t id, pid_t pid)
{
	struct rvisor_sandbox_bind b = { .id = id, .pid = pid };

	return ioctl(fd, RVISOR_IOC_SANDBOX_BIND, &b) < 0 ? -errno : 0;
}

/* The file type without asking the file system's server (a FUSE server of the caller's may
 * never answer): the cached attributes are enough to tell a directory from a pipe. */
static int fd_type(int fd, mode_t *ret)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
		return -errno;
	*ret = stx.stx_mode & S_IFMT;
	return 0;
}

int container_stdio_check(int fd, const char **ret_reason)
{
	const char *why = NULL;
	mode_t type;
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		why = "not an open file descriptor";
	else if (fl & O_PATH)
		why = "an O_PATH descriptor";
	else if (fd_type(fd, &type) < 0)
		why = "of unknown type";
	else if (S_ISDIR(type))
		why = "a directory";
	else if (!S_ISFIFO(type) && !S_ISSOCK(type) && !S_ISCHR(type) && !S_ISREG(type))
		why = S_ISBLK(type) ? "a block device" : "neither a pipe, socket, terminal, character device nor regular file";
	if (!why)
		return 0;
	if (ret_reason)
		*ret_reason = why;
	return -EBADF;
}

/* Everything container_spawn() prepares before clone(): freed afterwards. */
struct prepared {
	char **argv;              /* borrowed: the spec's or the bundle's */
	const char *cwd, *hostname; /* borrowed */
	uid_t uid;
	gid_t gid;
	char *overlay_options;
	char *storage_options;
	char *devpts_options;
	char *views_options;
	char *upper, *work, *merged;
	char **env;
	cap_t no_caps, root_caps;
};

static void prepared_done(struct prepared *p)
{
	free(p->overlay_options);
	free(p->storage_options);
	free(p->devpts_options);
	free(p->views_options);
	free(p->upper);
	free(p->work);
	free(p->merged);
	strv_free(p->env);
	if (p->no_caps)
		cap_free(p->no_caps);
	if (p->root_caps)
		cap_free(p->root_caps);
}

/* The root filesystem is a directory the caller opened (a read-only descriptor: O_PATH would
 * let a caller name a directory it may search but not read). */
static int check_image(int fd, char **ret_error)
{
	mode_t type;
	int fl, r;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return fail(ret_error, -EBADF, "No image descriptor.");
	r = fd_type(fd, &type);
	if (r < 0)
		return fail(ret_error, r, "Cannot check the image: %s", strerror(-r));
	if (!S_ISDIR(type) || (fl & O_PATH))
		return fail(ret_error, -ENOTDIR,
			    "The image is not a directory opened for reading (expected a root "
			    "filesystem or an OCI bundle).");
	return 0;
}

/* The capability sets the init applies: none, and what uid 0 keeps in a user namespace. */
static int make_caps(uint64_t keep, struct prepared *p)
{
	p->no_caps = cap_init();
	p->root_caps = cap_init();
	if (!p->no_caps || !p->root_caps)
		return -ENOMEM;
	for (cap_value_t cap = 0; cap < 64; cap++) {
		if (!(keep & (1ULL << cap)) || !CAP_IS_SUPPORTED(cap))
			continue;
		if (cap_set_flag(p->root_caps, CAP_EFFECTIVE, 1, &cap, CAP_SET) < 0 ||
		    cap_set_flag(p->root_caps, CAP_PERMITTED, 1, &cap, CAP_SET) < 0)
			return -errno;
	}
	return 0;
}

/* state_root/name: the mount point of the sandbox's own tmpfs, in the sandbox's mount
 * namespace only, that holds the overlay's upper layer, work and merged directories. What
 * the workload writes never reaches the host's file systems, is bounded by storage_max and
 * charged to the sandbox's cgroup, and goes when the sandbox's last process does. */
static int make_state_dir(const struct container_spec *spec, struct container *c,
			  struct prepared *p, char **ret_error)
{
	int r;

	r = mkdir_p(spec->state_root, 0700);
	if (r < 0)
		return fail(ret_error, r, "Cannot create %s: %s", spec->state_root, strerror(-r));
	if (asprintf(&c->state_dir, "%s/%s", spec->state_root, spec->name) < 0)
		return -ENOMEM;
	if (mkdir(c->state_dir, 0700) < 0) {
		r = -errno;
		free(c->state_dir);
		c->state_dir = NULL; /* not ours: container_destroy() must not remove it */
		if (r == -EEXIST)
			return fail(ret_error, r, "A sandbox named '%s' exists already.", spec->name);
		return fail(ret_error, r, "Cannot create the sandbox's state directory: %s",
			    strerror(-r));
	}
	if (asprintf(&p->upper, "%s/upper", c->state_dir) < 0 ||
	    asprintf(&p->work, "%s/work", c->state_dir) < 0 ||
	    asprintf(&p->merged, "%s/merged", c->state_dir) < 0 ||
	    asprintf(&p->storage_options, "mode=0700,size=%" PRIu64, spec->storage_max) < 0 ||
	    /* The child keeps image_fd at this number: its /proc/self/fd/N is the image.
	     * xino: inode numbers unique across the layers and the same in stat() and
	     * readdir() (os.scandir, find -inum, du, tar's hard links), as on one disk. */
	    asprintf(&p->overlay_options, "lowerdir=/proc/self/fd/%d,upperdir=%s,workdir=%s,xino=on",
		     spec->image_fd, p->upper, p->work) < 0)
		return -ENOMEM;
	return 0;
}

/* cgroup_parent/name with the spec's limits, when there is a cgroup_parent. */
static int make_cgroup(const struct container_spec *spec, struct container *c, char **ret_error)
{
	const struct cgroup_limits limits = {
		.memory_max = spec->memory_max, .pids_max = spec->pids_max,
		.cpus_milli = spec->cpus_milli, .cpuset = spec->cpuset,
	};
	const char *controller = "?";
	int r;

	if (!spec->cgroup_parent)
		return 0;
	r = cgroup_create(spec->cgroup_parent, spec->name, &limits, &c->cgroup_dir, &controller);
	if (r == -EEXIST)
		return fail(ret_error, r, "A cgroup for a sandbox named '%s' exists already.", spec->name);
	if (r == -EOPNOTSUPP)
		return fail(ret_error, r, "A %s limit was asked for, but %s does not offer the %s "
			    "controller.", controller, spec->cgroup_parent, controller);
	if (r < 0)
		return fail(ret_error, r, "Cannot create the sandbox's cgroup in %s: %s",
			    spec->cgroup_parent, strerror(-r));
	return 0;
}

/* clone() as fork() with namespaces: the child returns 0 on a copy of our stack. x86-64
 * argument order (flags, stack, parent_tid, child_tid, tls); CLONE_PIDFD stores the pidfd
 * at parent_tid. */
static pid_t raw_clone(unsigned long flags, int *ret_pidfd)
{
	return (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, NULL, ret_pidfd, NULL, 0);
}

/* A valid user, and with a user namespace (uid_map and gid_map) one mapped there. */
static int check_user(const struct idmap *uid_map, const struct idmap *gid_map, uid_t uid, gid_t gid,
		      char **ret_error)
{
	if (uid == (uid_t)-1 || gid == (gid_t)-1)
		return fail(ret_error, -EINVAL, "Invalid user %u:%u.", (unsigned int)uid,
			    (unsigned int)gid);
	if (uid_map && (!idmap_contains(uid_map, uid) || !idmap_contains(gid_map, gid)))
		return fail(ret_error, -EPERM,
			    "User %u:%u is not mapped in the sandbox's user namespace (%" PRIu64
			    " uids, %" PRIu64 " gids: the caller's own and its ranges in /etc/subuid "
			    "and /etc/subgid).",
			    (unsigned int)uid, (unsigned int)gid, idmap_size(uid_map),
			    idmap_size(gid_map));
	return 0;
}

/* The workload's identity: the spec's, else the bundle's, else root; with a user namespace
 * it must be mapped there. */
static int pick_user(const struct container_spec *spec, uid_t *ret_uid, gid_t *ret_gid,
		     char **ret_error)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	if (spec->user_set) {
		uid = spec->uid;
		gid = spec->gid;
	} else if (spec->oci && spec->oci->has_user) {
		uid = spec->oci->uid;
		gid = spec->oci->gid;
	}
	r = check_user(spec->uid_map, spec->gid_map, uid, gid, ret_error);
	if (r < 0)
		return r;
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

/* The sandbox's own mounts: destinations allowed, none twice, sources that may be bound, and
 * the caller's mount namespace to copy them from. */
static int check_mounts(const struct container_spec *spec, char **ret_error)
{
	const char *why, *dst;
	bool binds = false;

	if (spec->n_mounts > 0 && !spec->mounts)
		return fail(ret_error, -EINVAL, "No mounts given.");
	if (mounts_check_list(spec->mounts, spec->n_mounts, &dst) < 0)
		return dst ? fail(ret_error, -EINVAL, "%s is mounted twice.", dst)
			   : fail(ret_error, -EINVAL, "More than %u mounts.", MOUNTS_MAX);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct mount_spec *m = &spec->mounts[i];

		if (mount_type_to_string(m->type) == NULL ||
		    mount_destination_check(m->destination, &why) < 0)
			return fail(ret_error, -EINVAL, "Invalid mount on %s.", m->destination ?: "");
		if (m->type == MOUNT_BIND && mount_source_check(m->fd, &why) < 0)
			return fail(ret_error, -EBADF, "The source of %s is %s.", m->destination, why);
		binds = binds || m->type == MOUNT_BIND;
	}
	if (binds && spec->mount_ns_fd < 0)
		return fail(ret_error, -EINVAL, "Binds need the caller's mount namespace.");
	return 0;
}

/* Everything about the spec that can be checked without touching anything. */
static int check_spec(const struct container_spec *spec, char **ret_error)
{
	const char *why;
	int r;

	if (!name_valid(spec->name))
		return fail(ret_error, -EINVAL,
			    "Invalid sandbox name '%s': use 1-63 of A-Z a-z 0-9 _ . -, not \"%s\".",
			    spec->name ?: "", CGROUP_DAEMON_NAME);
	if (!spec->state_root || spec->state_root[0] != '/' || !overlay_path_ok(spec->state_root))
		return fail(ret_error, -EINVAL, "Invalid state directory '%s'.", spec->state_root ?: "");
	if (spec->cgroup_parent && spec->cgroup_parent[0] != '/')
		return fail(ret_error, -EINVAL, "Invalid cgroup parent '%s'.", spec->cgroup_parent);
	if (spec->policy && policy_kernel_validate(spec->policy) < 0)
		return fail(ret_error, -EINVAL, "Invalid policy for sandbox '%s'.", spec->name);
	if (spec->layers & ~POLICY_LAYERS_BOTH)
		return fail(ret_error, -EINVAL, "Unknown layers 0x%x for sandbox '%s'.", spec->layers,
			    spec->name);
	if ((spec->layers & POLICY_LAYER_KERNEL) && spec->rvisor_fd < 0)
		return fail(ret_error, -EINVAL,
			    "The kernel layer was asked for, but there is no rvisor.ko device.");
	if (!spec->uid_map != !spec->gid_map)
		return fail(ret_error, -EINVAL, "A user namespace needs both a uid and a gid map.");
	if (spec->storage_max < 4096)
		return fail(ret_error, -EINVAL, "The writable layer needs at least 4 KiB.");
	for (int i = 0; i < 3; i++)
		if (spec->stdio[i] >= 0 && container_stdio_check(spec->stdio[i], &why) < 0)
			return fail(ret_error, -EBADF, "stdio fd %d is %s.", spec->stdio[i], why);
	r = check_mounts(spec, ret_error);
	if (r < 0)
		return r;
	return check_image(spec->image_fd, ret_error);
}

static struct container_workload *workload_free(struct container_workload *w)
{
	if (!w)
		return NULL;
	strv_free(w->env);
	free(w->hostname);
	free(w->cwd);
	policy_seccomp_free(w->seccomp);
	free(w);
	return NULL;
}

/* What a process joining the sandbox later gets as the workload did (container_exec_spawn()).
 * The policy's seccomp filter is added by the caller: the workload's own copy, built in the
 * daemon (the init must not allocate), is this one. */
static int keep_workload(const struct container_spec *spec, const char *hostname, const char *cwd,
			 uid_t uid, gid_t gid, struct container_workload **ret)
{
	struct container_workload *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->hostname = strdup(hostname);
	w->cwd = strdup(cwd);
	if (!w->hostname || !w->cwd || strv_concat(spec->oci ? spec->oci->env : NULL, spec->env, &w->env) < 0) {
		workload_free(w);
		return -ENOMEM;
	}
	w->uid = uid;
	w->gid = gid;
	w->userns = spec->uid_map != NULL;
	if (w->userns) {
		w->uid_map = *spec->uid_map;
		w->gid_map = *spec->gid_map;
		w->capabilities = spec->capabilities;
	}
	w->has_nofile = spec->nofile != NULL;
	if (spec->nofile)
		w->nofile = *spec->nofile;
	/* Every namespace the init has of its own; its user namespace only where it has one
	 * (setns() into one's own user namespace is EINVAL). A sandbox on the host's network
	 * shares rvisord's, and joining that again changes nothing. */
	w->ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
		      CLONE_NEWNET | (w->userns ? CLONE_NEWUSER : 0);
	*ret = w;
	return 0;
}

/* What the workload is to be, from the spec and the bundle: its command, working directory,
 * user, hostname, environment, capabilities and the devpts options. */
static int prepare_workload(const struct container_spec *spec, struct prepared *p, char **ret_error)
{
	const struct oci_config *oci = spec->oci;
	int r;

	p->argv = spec->argv && spec->argv[0] ? spec->argv : oci ? oci->args : NULL;
	if (!p->argv || !p->argv[0] || !p->argv[0][0])
		return fail(ret_error, -EINVAL,
			    oci ? "No command given and the bundle has no process.args."
				: "No command given.");
	p->cwd = spec->cwd ?: oci && oci->cwd ? oci->cwd : "/";
	r = pick_user(spec, &p->uid, &p->gid, ret_error);
	if (r < 0)
		return r;
	p->hostname = spec->hostname ?: oci && oci->hostname ? oci->hostname : spec->name;
	if (!p->hostname[0] || strlen(p->hostname) >= RVISOR_UTS_LEN)
		return fail(ret_error, -EINVAL, "Invalid hostname '%s': 1-%d bytes.", p->hostname,
			    RVISOR_UTS_LEN - 1);
	r = build_env((char **const[2]){ oci ? oci->env : NULL, spec->env }, p->hostname, p->uid,
		      spec->tty, &p->env, ret_error);
	if (r < 0)
		return r;
	r = make_caps(spec->uid_map ? spec->capabilities : 0, p);
	if (r < 0)
		return r;
	/* Ptys belong to group tty (5) as the sandbox sees it: in a user namespace that is the
	 * host gid it maps 5 to (unmapped: the plain 5, which shows as nogroup inside). */
	if (asprintf(&p->devpts_options, "newinstance,ptmxmode=0666,mode=0620,gid=%" PRId64,
		     spec->gid_map && idmap_outside(spec->gid_map, TTY_GID) >= 0 ?
			     idmap_outside(spec->gid_map, TTY_GID) : TTY_GID) < 0)
		return -ENOMEM;
	return 0;
}

/* The container, before anything is made for it: its layers, and what its workload got (kept
 * for Exec), its seccomp filter included, so that a filter that cannot be built costs
 * nothing. */
static int container_new(const struct container_spec *spec, const struct prepared *p, struct container **ret,
			 char **ret_error)
{
	_cleanup_container_ struct container *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->pidfd = c->status_fd = c->sync_fd = -1;
	c->rvisor_fd = spec->rvisor_fd;
	/* 0: every layer there is */
	c->layers = spec->layers ?: spec->rvisor_fd >= 0 ? POLICY_LAYERS_BOTH : POLICY_LAYER_SECCOMP;
	if (!spec->policy)
		c->layers &= ~POLICY_LAYER_SECCOMP; /* nothing to filter */
	r = keep_workload(spec, p->hostname, p->cwd, p->uid, p->gid, &c->workload);
	if (r < 0)
		return r;
	if (c->layers & POLICY_LAYER_SECCOMP) {
		/* Behind the gate, LOG is the gate's to report. */
		r = policy_seccomp_compile(spec->policy,
					   c->layers & POLICY_LAYER_KERNEL ? POLICY_SECCOMP_WITH_GATE : 0,
					   &c->workload->seccomp);
		if (r < 0)
			return fail(ret_error, r, "Cannot build the policy's seccomp filter: %s",
				    strerror(-r));
	}
	c->next_msg = spec->uid_map ? INIT_MSG_USERNS : INIT_MSG_PREPARED;
	c->name = strdup(spec->name);
	if (!c->name)
		return -ENOMEM;
	if (spec->uid_map && (idmap_format(spec->uid_map, &c->uid_map) < 0 ||
			      idmap_format(spec->gid_map, &c->gid_map) < 0))
		return -ENOMEM;
	*ret = TAKE_PTR(c);
	return 0;
}

/* What the sandbox has on the host: its state directory, its cgroup and its kernel sandbox,
 * which exists before the init does and is bound once the init has built the sandbox, before
 * the workload is forked. */
static int make_host_side(const struct container_spec *spec, struct container *c, struct prepared *p,
			  char **ret_error)
{
	int r;

	r = make_state_dir(spec, c, p, ret_error);
	if (r < 0)
		return r;
	r = make_cgroup(spec, c, ret_error);
	if (r < 0)
		return r;
	if (!(c->layers & POLICY_LAYER_KERNEL))
		return 0;
	r = kernel_create(spec, p->hostname, c->cgroup_dir, &c->sandbox_id);
	if (r < 0)
		return fail(ret_error, r, "Cannot create the kernel sandbox: %s", strerror(-r));
	if (asprintf(&p->views_options, "fd=%d,sandbox=%" PRIu64, spec->rvisor_fd, c->sandbox_id) < 0)
		return -ENOMEM;
	return 0;
}

/* Everything the init needs, in its own memory (it is a clone of ours). */
static struct container_child child_args(const struct container_spec *spec, const struct container *c,
					 const struct prepared *p, int sync_r, int report_w)
{
	return (struct container_child){
		.sync_fd = sync_r,
		.report_fd = report_w,
		.image_fd = spec->image_fd,
		.stdio = { spec->stdio[0], spec->stdio[1], spec->stdio[2] },
		/* Unless the daemon means to adopt it again: without the kernel layer nobody could
		 * adopt an orphaned sandbox; with it, the sandbox outlives the daemon unless it
		 * asked for the opposite. */
		.die_with_daemon = !spec->outlive_daemon &&
				   (!(c->layers & POLICY_LAYER_KERNEL) ||
				    (spec->sandbox_flags & RVISOR_SANDBOX_DIE_WITH_MANAGER)),
		.tty = spec->tty,
		.new_net = !spec->network_host,
		.userns = spec->uid_map != NULL,
		.readonly_root = spec->read_only || (spec->oci && spec->oci->root_readonly),
		.mounts = spec->mounts,
		.n_mounts = spec->n_mounts,
		.mount_ns_fd = spec->n_mounts > 0 ? spec->mount_ns_fd : -1,
		.tmpfs_size = spec->storage_max,
		/* Mapped: uid and gid 0 are always in a sandbox's user namespace. */
		.root_uid = spec->uid_map ? (uid_t)idmap_outside(spec->uid_map, 0) : 0,
		.root_gid = spec->gid_map ? (gid_t)idmap_outside(spec->gid_map, 0) : 0,
		.state_dir = c->state_dir,
		.storage_options = p->storage_options,
		.upper = p->upper,
		.work = p->work,
		.merged = p->merged,
		.overlay_options = p->overlay_options,
		.hostname = p->hostname,
		.devpts_options = p->devpts_options,
		.argv = p->argv,
		.env = p->env,
		.cwd = p->cwd,
		.uid = p->uid,
		.gid = p->gid,
		.keep_bounding = spec->uid_map ? spec->capabilities : 0,
		.nofile = spec->nofile,
		.seccomp = c->workload->seccomp,
		.rvisor_fd = c->layers & POLICY_LAYER_KERNEL ? spec->rvisor_fd : -1,
		.views_options = p->views_options,
		.no_caps = p->no_caps,
		.root_caps = p->root_caps,
	};
}

/* Clones the init into its namespaces, moves it into its cgroup and lets it go. */
static int start_init(const struct container_spec *spec, struct container *c, const struct prepared *p,
		      char **ret_error)
{
	_cleanup_close_ int sync_r = -1, report_w = -1;
	struct container_child child;
	unsigned long flags;
	int fds[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	sync_r = fds[0];
	c->sync_fd = fds[1];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	c->status_fd = fds[0];
	report_w = fds[1];
	child = child_args(spec, c, p, sync_r, report_w);

	/* New mount, pid, UTS and IPC namespaces: the child is pid 1 of its own pid namespace,
	 * its mounts are invisible to the host, its hostname and SysV IPC its own. The cgroup
	 * namespace comes later, once the child sits in its cgroup; the network namespace too
	 * with a user namespace, which must own it (the init makes both together). */
	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	if (!spec->network_host && !spec->uid_map)
		flags |= CLONE_NEWNET;
	c->pid = raw_clone(flags, &c->pidfd);
	if (c->pid < 0) {
		r = -errno;
		c->pid = 0;
		return fail(ret_error, r, "Cannot create the sandbox's namespaces: %s", strerror(-r));
	}
	if (c->pid == 0)
		container_child_main(&child);

	/* Only the child holds these ends now: its death is our EOF. */
	close(TAKE_FD(sync_r));
	close(TAKE_FD(report_w));

	/* The child waits for us before doing anything else: in the cgroup first, so that every
	 * process it makes is counted and limited from the start. */
	if (c->cgroup_dir) {
		r = cgroup_attach(c->cgroup_dir, c->pid);
		if (r < 0)
			return fail(ret_error, r, "Cannot move the sandbox into its cgroup: %s", strerror(-r));
	}
	/* A failed go-ahead means the child died: its report (or EOF) will say why. */
	(void)send_go(c->sync_fd);
	if (fcntl(c->status_fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int container_spawn(const struct container_spec *spec, struct container **ret, char **ret_error)
{
	_cleanup_(prepared_done) struct prepared p = {};
	_cleanup_container_ struct container *c = NULL;
	int r;

	if (ret_error)
		*ret_error = NULL;
	if (!spec || !ret)
		return -EINVAL;
	r = check_spec(spec, ret_error);
	if (r >= 0)
		r = prepare_workload(spec, &p, ret_error);
	if (r >= 0)
		r = container_new(spec, &p, &c, ret_error);
	if (r < 0)
		return r;
	/* From here on a failure goes through container_destroy(): nothing may stay behind. */
	r = make_host_side(spec, c, &p, ret_error);
	if (r >= 0)
		r = start_init(spec, c, &p, ret_error);
	if (r < 0) {
		fail(ret_error, r, "Cannot start the sandbox: %s", strerror(-r));
		(void)container_destroy(c);
		return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

/* Writes text to /proc/PID/file in one write(), as the kernel wants an id map. */
static int write_proc(pid_t pid, const char *file, const char *text)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	size_t n = strlen(text);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return write(fd, text, n) == (ssize_t)n ? 0 : errno ? -errno : -EIO;
}

/* The init asked for its user namespace's maps. Written from here, by root in the parent
 * namespace: they may hold the caller's subordinate ranges, and setgroups() stays allowed
 * for programs that switch users inside (nginx, su). The pidfd says the pid is still ours. */
static int step_userns(struct container *c, char **ret_error)
{
	int r;

	if (pidfd_send_signal(c->pidfd, 0, NULL, 0) < 0)
		return fail(ret_error, -EIO, "The sandbox's init died during setup.");
	r = write_proc(c->pid, "uid_map", c->uid_map);
	if (r >= 0)
		r = write_proc(c->pid, "gid_map", c->gid_map);
	if (r < 0)
		return fail(ret_error, r, "Cannot map the sandbox's user namespace: %s", strerror(-r));
	return 0;
}

int container_setup_step(struct container *c, char **ret_error)
{
	struct init_msg m;
	int r, st;

	if (ret_error)
		*ret_error = NULL;
	if (c->started)
		return 1;
	r = read_msg(c->status_fd, 0, &m);
	if (r == -EAGAIN)
		return 0;
	if (r == -EPIPE) {
		if (init_wait(c, true, &st) == 0 && WIFSIGNALED(st))
			return fail(ret_error, -EIO, "The sandbox's init died during setup (signal %d).",
				    WTERMSIG(st));
		return fail(ret_error, -EIO, "The sandbox's init died during setup.");
	}
	if (r < 0)
		return fail(ret_error, r, "Cannot read from the sandbox's init: %s", strerror(-r));
	if (m.type == INIT_MSG_FAILED)
		return fail(ret_error, -m.error, "%s: %s", m.text, strerror(m.error));
	if (m.type != c->next_msg)
		return fail(ret_error, -EBADMSG, "Unexpected record %u from the sandbox's init.", m.type);

	switch (m.type) {
	case INIT_MSG_USERNS:
		r = step_userns(c, ret_error);
		c->next_msg = INIT_MSG_PREPARED;
		break;
	case INIT_MSG_PREPARED:
		/* The init has built the root and dropped its privileges. Bind it now: the gate
		 * covers the init and everything forked in its pid namespace, so the workload,
		 * which the init forks only after our go-ahead, is gated from its first
		 * instruction. */
		r = c->sandbox_id ? kernel_bind(c->rvisor_fd, c->sandbox_id, c->pid) : 0;
		if (r < 0)
			return fail(ret_error, r, "Cannot bind the kernel sandbox: %s", strerror(-r));
		c->next_msg = INIT_MSG_STARTED;
		break;
	default: /* INIT_MSG_STARTED */
		c->workload_pid = m.workload_pid;
		c->started = true;
		c->sync_fd = safe_close(c->sync_fd);
		c->uid_map = mfree(c->uid_map);
		c->gid_map = mfree(c->gid_map);
		return 1;
	}
	if (r < 0)
		return r;
	/* A failed go-ahead means the child died: its EOF comes next. */
	(void)send_go(c->sync_fd);
	return 0;
}

int container_start(const struct container_spec *spec, struct container **ret, char **ret_error)
{
	_cleanup_container_ struct container *c = NULL;
	struct timespec start, now;
	int r;

	r = container_spawn(spec, &c, ret_error);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((r = container_setup_step(c, ret_error)) == 0) {
		struct pollfd p = { .fd = c->status_fd, .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = CONTAINER_SETUP_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 +
						     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			r = fail(ret_error, -ETIMEDOUT, "The sandbox's init did not finish its setup in %d s.",
				 CONTAINER_SETUP_TIMEOUT_MS / 1000);
			break;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	if (r < 0) {
		(void)container_destroy(c);
		return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int container_kill(struct container *c, int sig)
{
	if (sig != SIGKILL && !container_signal_forwarded(sig))
		return -EINVAL;
	if (c->reaped || c->pidfd < 0)
		return -ESRCH;
	/* Through the pidfd: never a process that merely inherited a recycled pid. */
	return pidfd_send_signal(c->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

int container_read_exit(struct container *c, int *ret_wait_status, int *ret_exec_errno)
{
	if (!c->exit_known) {
		struct init_msg m;
		int r, st;

		if (c->status_fd < 0)
			return -EBADF;
		r = read_msg(c->status_fd, 0, &m);
		if (r == 0 && m.type == INIT_MSG_EXITED) {
			c->exit_status = m.wait_status;
			c->exec_errno = m.exec_errno;
			if (m.text[0] && !m.exec_errno) {
				c->exit_message = strdup(m.text);
				if (!c->exit_message)
					return -ENOMEM;
			}
		} else if (r == -EPIPE) {
			/* The init died without a report: killed (container_kill(SIGKILL), from
			 * outside, the OOM killer). Its own status is the answer. */
			if (c->reaped && c->init_status >= 0)
				c->exit_status = c->init_status;
			else if (c->reaped)
				return -ECHILD;
			else {
				r = init_wait(c, true, &st);
				if (r < 0)
					return r;
				c->exit_status = st;
			}
			c->exec_errno = 0;
		} else if (r < 0)
			return r; /* -EAGAIN: still running */
		else
			return -EBADMSG;
		c->exit_known = true;
	}
	if (ret_wait_status)
		*ret_wait_status = c->exit_status;
	if (ret_exec_errno)
		*ret_exec_errno = c->exec_errno;
	return 0;
}

int container_oom_killed(struct container *c, bool *ret)
{
	uint64_t n;
	int r;

	if (!c->cgroup_dir)
		return -ENODATA;
	r = cgroup_oom_kills(c->cgroup_dir, &n);
	if (r < 0)
		return r;
	*ret = n > 0;
	return 0;
}

int container_destroy(struct container *c)
{
	int r = 0, k, st;

	if (!c)
		return 0;

	if (!c->reaped && c->pidfd >= 0) {
		/* The init's death ends its pid namespace: the kernel SIGKILLs every other process
		 * in it and waits for them before the init can be reaped. So once the init is
		 * reaped, nothing of the sandbox runs any more and its mount namespace (the
		 * overlay, proc, /dev) is gone with its last process. */
		(void)pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
		if (c->cgroup_dir)
			(void)cgroup_kill_all(c->cgroup_dir);
		k = init_wait(c, false, &st);
		if (k == -ECHILD)
			/* Someone else reaped it (a daemon-wide waitpid(-1)); the pidfd kept us
			 * from waiting on anything else. */
			container_reaped(c, -1);
		else if (k < 0) {
			if (r == 0)
				r = k;
		} else
			container_reaped(c, st);
	}

	if (c->sandbox_id != 0 && c->rvisor_fd >= 0) {
		struct rvisor_sandbox_id id = { .id = c->sandbox_id };

		/* -ENOENT: gone already (DIE_WITH_MANAGER, or another DESTROY). -EBUSY/-EINTR:
		 * kept, so that the next call tries again. */
		if (ioctl(c->rvisor_fd, RVISOR_IOC_SANDBOX_DESTROY, &id) == 0 || errno == ENOENT ||
		    errno == ESRCH)
			c->sandbox_id = 0;
		else if (r == 0)
			r = -errno;
	}

	if (c->state_dir) {
		k = rm_rf(c->state_dir);
		if (k == 0) {
			free(c->state_dir);
			c->state_dir = NULL;
		} else if (r == 0)
			r = k;
	}

	if (c->cgroup_dir) {
		k = cgroup_remove(c->cgroup_dir);
		if (k == 0) {
			free(c->cgroup_dir);
			c->cgroup_dir = NULL;
		} else if (r == 0)
			r = k;
	}
	return r;
}

int container_adopt(const char *name, pid_t pid, int pidfd, int status_fd, uint64_t sandbox_id,
		    int rvisor_fd, unsigned int layers, const char *state_dir, const char *cgroup_dir,
		    struct container **ret)
{
	_cleanup_container_ struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->sync_fd = -1;
	c->pidfd = pidfd;
	c->status_fd = status_fd;
	c->name = strdup(name);
	c->state_dir = state_dir ? strdup(state_dir) : NULL;
	c->cgroup_dir = cgroup_dir ? strdup(cgroup_dir) : NULL;
	if (!c->name || (state_dir && !c->state_dir) || (cgroup_dir && !c->cgroup_dir)) {
		c->pidfd = c->status_fd = -1; /* still the caller's on failure */
		return -ENOMEM;
	}
	c->pid = pid;
	c->sandbox_id = sandbox_id;
	c->rvisor_fd = rvisor_fd;
	c->layers = layers;
	c->started = true;
	*ret = TAKE_PTR(c);
	return 0;
}

struct container *container_free(struct container *c)
{
	if (!c)
		return NULL;
	if (c->status_fd >= 0)
		close(c->status_fd);
	if (c->sync_fd >= 0)
		close(c->sync_fd);
	free(c->uid_map);
	free(c->gid_map);
	if (c->pidfd >= 0)
		close(c->pidfd);
	free(c->name);
	free(c->state_dir);
	free(c->cgroup_dir);
	free(c->exit_message);
	workload_free(c->workload);
	free(c);
	return NULL;
}

int container_cleanup_stale(const char *state_root, const char *cgroup_parent,
			    bool (*keep)(const char *name, void *userdata), void *userdata,
			    unsigned *ret_removed)
{
	const char *dirs[2] = { state_root, cgroup_parent };
	unsigned removed = 0;
	int r = 0;

	for (size_t i = 0; i < 2; i++) {
		_cleanup_(closedirp) DIR *d = dirs[i] ? opendir(dirs[i]) : NULL;
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			_cleanup_free_ char *path = NULL;
			int k;

			if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
			    (i == 1 && strcmp(de->d_name, CGROUP_DAEMON_NAME) == 0) ||
			    (keep && keep(de->d_name, userdata)))
				continue;
			if (asprintf(&path, "%s/%s", dirs[i], de->d_name) < 0)
				return -ENOMEM;
			if (i == 0) {
				k = rm_rf(path);
			} else {
				(void)cgroup_kill_all(path);
				k = cgroup_remove(path);
			}
			if (k < 0 && r == 0)
				r = k;
			else if (k >= 0)
				removed++;
		}
	}
	*ret_removed = removed;
	return r;
}

/* ---- A process joining the sandbox (container_exec_spawn()) ---- */

static int exec_check(const struct container *c, const struct container_exec_spec *spec, char **ret_error)
{
	const char *why;

	if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return fail(ret_error, -EINVAL, "No command given.");
	if (spec->cwd && spec->cwd[0] != '/')
		return fail(ret_error, -EINVAL, "The working directory '%s' is not an absolute path.", spec->cwd);
	for (int i = 0; i < 3; i++)
		if (container_stdio_check(spec->stdio[i], &why) < 0)
			return fail(ret_error, -EBADF, "stdio fd %d is %s.", spec->stdio[i], why);
	/* Alive or a zombie not reaped yet: then the helper finds no namespaces to join. */
	if (!c->started || c->reaped || !c->workload || pidfd_send_signal(c->pidfd, 0, NULL, 0) < 0)
		return fail(ret_error, -ESRCH, "The sandbox is not running.");
	return 0;
}

/* clone() as fork(), the child born in cgroup_fd (when >= 0): counted and limited there from
 * its first instruction, and so is everything it forks (the sandbox's pids.max: -EAGAIN). */
static pid_t clone_into_cgroup(int cgroup_fd, int *ret_pidfd)
{
	struct clone_args args = {
		.flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
		.pidfd = (uint64_t)(uintptr_t)ret_pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int container_exec_spawn(struct container *c, const struct container_exec_spec *spec,
			 struct container_exec **ret, char **ret_error)
{
	_cleanup_(prepared_done) struct prepared p = {};
	_cleanup_(container_exec_freep) struct container_exec *e = NULL;
	_cleanup_close_ int report_w = -1, cgroup_fd = -1;
	const struct container_workload *w = c->workload;
	struct container_child child;
	uid_t uid;
	gid_t gid;
	int fds[2], r;

	if (ret_error)
		*ret_error = NULL;
	r = exec_check(c, spec, ret_error);
	if (r < 0)
		return r;
	uid = spec->user_set ? spec->uid : w->uid;
	gid = spec->user_set ? spec->gid : w->gid;
	r = check_user(w->userns ? &w->uid_map : NULL, w->userns ? &w->gid_map : NULL, uid, gid, ret_error);
	if (r < 0)
		return r;
	r = build_env((char **const[2]){ w->env, spec->env }, w->hostname, uid, spec->tty, &p.env, ret_error);
	if (r < 0)
		return r;
	r = make_caps(w->userns ? w->capabilities : 0, &p);
	if (r < 0)
		return r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->helper_pidfd = e->status_fd = -1;
	if (c->cgroup_dir) {
		cgroup_fd = open(c->cgroup_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd < 0) {
			r = -errno;
			return fail(ret_error, r, "Cannot open the sandbox's cgroup: %s", strerror(-r));
		}
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	e->status_fd = fds[0];
	report_w = fds[1];

	child = (struct container_child){
		.sync_fd = -1,
		.report_fd = report_w,
		.image_fd = -1,
		.stdio = { spec->stdio[0], spec->stdio[1], spec->stdio[2] },
		.tty = spec->tty,
		.userns = w->userns,
		.argv = spec->argv,
		.env = p.env,
		.cwd = spec->cwd ?: w->cwd,
		.uid = uid,
		.gid = gid,
		.keep_bounding = w->userns ? w->capabilities : 0,
		.nofile = w->has_nofile ? &w->nofile : NULL,
		.seccomp = w->seccomp,
		.rvisor_fd = -1,
		.mount_ns_fd = -1,
		.no_caps = p.no_caps,
		.root_caps = p.root_caps,
	};
	e->helper_pid = clone_into_cgroup(cgroup_fd, &e->helper_pidfd);
	if (e->helper_pid < 0) {
		r = -errno;
		e->helper_pid = 0;
		if (r == -EAGAIN)
			return fail(ret_error, r, "the sandbox has as many tasks as its pids limit allows");
		return fail(ret_error, r, "Cannot start the exec helper: %s", strerror(-r));
	}
	if (e->helper_pid == 0)
		container_exec_child_main(&child, c->pidfd, w->ns_flags);

	if (fcntl(e->status_fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		(void)container_exec_kill(e, true);
		(void)container_exec_destroy(e);
		return r;
	}
	*ret = TAKE_PTR(e);
	return 0;
}

int container_exec_step(struct container_exec *e, char **ret_error)
{
	struct init_msg m;
	int r;

	if (ret_error)
		*ret_error = NULL;
	if (e->started)
		return 1;
	r = read_msg(e->status_fd, 0, &m);
	if (r == -EAGAIN)
		return 0;
	if (r == -EPIPE)
		return fail(ret_error, -EIO, "The exec helper died during its set-up.");
	if (r < 0)
		return fail(ret_error, r, "Cannot read from the exec helper: %s", strerror(-r));
	if (m.type == INIT_MSG_FAILED)
		return fail(ret_error, -m.error, "%s: %s", m.text, strerror(m.error));
	if (m.type != INIT_MSG_STARTED || m.workload_pid <= 0)
		return fail(ret_error, -EBADMSG, "Unexpected record %u from the exec helper.", m.type);
	e->pid = m.workload_pid;
	e->started = true;
	return 1;
}

int container_exec_kill(struct container_exec *e, bool force)
{
	if (e->reaped || e->helper_pidfd < 0)
		return -ESRCH;
	/* Through the pidfd of our own unreaped child: never a recycled pid. */
	return pidfd_send_signal(e->helper_pidfd, force ? SIGKILL : SIGTERM, NULL, 0) < 0 ? -errno : 0;
}

void container_exec_reaped(struct container_exec *e, int helper_wait_status)
{
	e->reaped = true;
	e->helper_status = helper_wait_status;
	e->helper_pid = 0;
}

static int helper_wait(struct container_exec *e, bool peek, int *ret_status)
{
	siginfo_t si = {};

	while (waitid(P_PIDFD, (id_t)e->helper_pidfd, &si, WEXITED | (peek ? WNOWAIT : 0)) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_status = container_wait_status_from_siginfo(&si);
	return 0;
}

int container_exec_read_exit(struct container_exec *e, int *ret_wait_status, int *ret_exec_errno)
{
	struct init_msg m;
	int r, st;

	while (!e->exit_known) {
		r = read_msg(e->status_fd, 0, &m);
		if (r == 0 && m.type == INIT_MSG_STARTED && !e->started) {
			e->pid = m.workload_pid;
			e->started = true;
			continue; /* its end follows */
		}
		if (r == 0 && m.type == INIT_MSG_EXITED) {
			e->exit_status = m.wait_status;
			e->exec_errno = m.exec_errno;
		} else if (r == -EPIPE) {
			/* The helper died without a report (killed from outside): its own end. */
			if (e->reaped && e->helper_status < 0)
				return -ECHILD;
			if (e->reaped)
				st = e->helper_status;
			else if ((r = helper_wait(e, true, &st)) < 0)
				return r;
			e->exit_status = st;
			e->exec_errno = 0;
		} else if (r < 0)
			return r; /* -EAGAIN: still running */
		else
			return -EBADMSG;
		e->exit_known = true;
	}
	if (ret_wait_status)
		*ret_wait_status = e->exit_status;
	if (ret_exec_errno)
		*ret_exec_errno = e->exec_errno;
	return 0;
}

int container_exec_destroy(struct container_exec *e)
{
	struct pollfd p;
	int r, st;

	if (!e || e->reaped || e->helper_pidfd < 0)
		return 0;
	/* Asked first: it SIGKILLs the process, reaps it and reports its end. A stopped or stuck
	 * helper gets a second, then SIGKILL: this must never hang the daemon. */
	(void)pidfd_send_signal(e->helper_pidfd, SIGTERM, NULL, 0);
	p = (struct pollfd){ .fd = e->helper_pidfd, .events = POLLIN };
	do
		r = poll(&p, 1, EXEC_HELPER_GRACE_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		(void)pidfd_send_signal(e->helper_pidfd, SIGKILL, NULL, 0);
	r = helper_wait(e, false, &st);
	if (r == -ECHILD)
		container_exec_reaped(e, -1);
	else if (r < 0)
		return r;
	else
		container_exec_reaped(e, st);
	return 0;
}

struct container_exec *container_exec_free(struct container_exec *e)
{
	if (!e)
		return NULL;
	safe_close(e->status_fd);
	safe_close(e->helper_pidfd);
	free(e);
	return NULL;
}
