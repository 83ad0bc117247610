/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sandbox's own mounts: lib/mount-spec.c's parsers of -v, --mount and --tmpfs, the
 * destination rule, Run's Mount JSON both ways; rvisord/mounts.c's check of a source, and
 * (root only) its two steps for real in a child with a private mount namespace: sources copied
 * from another namespace (and refused from the wrong one), flags set throughout, then
 * attached under a chroot standing in for the sandbox's root, links and all, and a bind that
 * holds a proc refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "mount-spec.h"
#include "mounts.h"
#include "tap.h"

static char why[MOUNT_WHY_MAX];

/* A string literal as the char * a mount_spec holds, without casting const away. */
#define DST(s) ((char[]){ s })

/* ---- destinations ---- */

static void test_destination(void)
{
	static const char *const good[] = { "/data", "/a/b/c", "/procfs", "/devices", "/system",
					    "/etc/hostname", "/.hidden", "/a..b" };
	static const struct {
		const char *dst, *reason_part;
	} bad[] = {
		{ "", "empty" },           { "data", "absolute" },        { "/", "root" },
		{ "/proc", "/proc" },      { "/proc/meminfo", "/proc" },  { "/dev", "/proc" },
		{ "/dev/shm", "/proc" },   { "/dev/.rvisorfs", "/proc" }, { "/sys", "/proc" },
		{ "/sys/devices/system/cpu", "/proc" }, { "/a//b", "normal" }, { "/a/", "normal" },
		{ "/a/./b", "normal" },    { "/a/../proc", "normal" },    { "/..", "normal" },
		{ "/a\nb", "control" },    { "/a\x7f", "control" },
	};
	const char *reason;
	char *out = NULL, longer[5000];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(mount_destination_check(good[i], &reason) == 0, good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		reason = NULL;
		ok(mount_destination_check(bad[i].dst, &reason) == -EINVAL && reason &&
		   strstr(reason, bad[i].reason_part),
		   strpbrk(bad[i].dst, "\n\x7f") ? "a control character" : bad[i].dst);
	}
	memset(longer, 'a', sizeof(longer));
	longer[0] = '/';
	longer[sizeof(longer) - 1] = '\0';
	ok(mount_destination_check(longer, &reason) == -EINVAL && strstr(reason, "long"),
	   "a destination of PATH_MAX or more is refused");

	is_int(mount_destination_normalise("//a/./b//", &out, &reason), 0, "normalise: '//', '.', trailing '/'");
	is_str(out, "/a/b", "to /a/b");
	free(out);
	out = NULL;
	ok(mount_destination_normalise("/a/../b", &out, &reason) == -EINVAL && strstr(reason, ".."),
	   "normalise: '..' refused, not resolved");
	ok(mount_destination_normalise("a/b", &out, &reason) == -EINVAL, "normalise: relative refused");
	ok(mount_destination_normalise("//proc/", &out, &reason) == -EINVAL && strstr(reason, "/proc"),
	   "normalise: what it makes is checked (//proc/)");
	ok(mount_destination_normalise("/./", &out, &reason) == -EINVAL && strstr(reason, "root"),
	   "normalise: /./ is the root");
	ok(!out, "nothing returned on failure");
}

/* ---- -v ---- */

static void test_volume(void)
{
	static const struct {
		const char *arg, *why_part;
	} bad[] = {
		{ "/src", "anonymous" },          { "name:/data", "volume" },
		{ ":/data", "no source" },        { "/src:data", "absolute" },
		{ "/src:/proc", "/proc" },        { "/src:/a/../b", ".." },
		{ "/src:/data:z", "unknown option 'z'" }, { "/src:/data:ro,rw", "contradict" },
		{ "/src:/data:", "no options" },  { "/src:/data:ro:rw", "too many" },
		{ "/src:/data:,", "empty" },      { "/src:/", "root" },
	};
	struct mount_spec m;

	is_int(mount_parse_volume("/srv/data:/data", &m, why, sizeof(why)), 0, "-v SRC:DST");
	ok(m.type == MOUNT_BIND && strcmp(m.source, "/srv/data") == 0 && strcmp(m.destination, "/data") == 0,
	   "a bind of /srv/data on /data");
	ok(m.readonly && m.fd == -1, "read-only unless asked, no fd yet");
	mount_spec_done(&m);
	is_int(mount_parse_volume("./rel:/data/:rw", &m, why, sizeof(why)), 0, "-v ./rel:/data/:rw");
	ok(!m.readonly && strcmp(m.destination, "/data") == 0 && strcmp(m.source, "./rel") == 0,
	   ":rw is writable, the destination normalised, a relative source kept as given");
	mount_spec_done(&m);
	is_int(mount_parse_volume("/s:/d:ro", &m, why, sizeof(why)), 0, "-v SRC:DST:ro");
	ok(m.readonly, ":ro is read-only");
	mount_spec_done(&m);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		ok(mount_parse_volume(bad[i].arg, &m, why, sizeof(why)) == -EINVAL &&
		   strstr(why, bad[i].why_part) && !m.source && !m.destination, bad[i].arg);
		if (!strstr(why, bad[i].why_part))
			printf("#   why: %s\n", why);
	}
}

/* ---- --mount ---- */

static void test_mount(void)
{
	static const struct {
		const char *arg, *why_part;
	} bad[] = {
		{ "", "empty" },
		{ "src=/s,dst=/d", "no type" },
		{ "type=volume,src=v,dst=/d", "no volumes" },
		{ "type=npipe,src=/s,dst=/d", "unknown type" },
		{ "type=bind,dst=/d", "no source" },
		{ "type=bind,src=/s", "no destination" },
		{ "type=bind,src=/s,dst=/dev", "/proc" },
		{ "type=bind,src=/s,dst=/d,readonly=maybe", "boolean" },
		{ "type=bind,src=/s,dst=/d,bind-propagation=shared", "private" },
		{ "type=bind,src=/s,dst=/d,tmpfs-size=1M", "for type=tmpfs" },
		{ "type=bind,src=/s,dst=/d,volume-nocopy", "no volumes" },
		{ "type=bind,src=/s,dst=/d,consistency=cached", "unknown" },
		{ "type=bind,src=/s,dst=/d,rw=1", "no value" },
		{ "type=bind,src,dst=/d", "needs a value" },
		{ "type=tmpfs,src=/s,dst=/d", "no source" },
		{ "type=tmpfs,dst=/d,tmpfs-size=lots", "not a size" },
		{ "type=tmpfs,dst=/d,tmpfs-size=0", "not a size" },
		{ "type=tmpfs,dst=/d,tmpfs-mode=0888", "not a mode" },
		{ "type=tmpfs,dst=/d,tmpfs-mode=17777", "not a mode" },
		{ "type=bind,src=named,dst=/d", "volume" },
	};
	struct mount_spec m;

	is_int(mount_parse_mount("type=bind,source=/s,target=/d", &m, why, sizeof(why)), 0, "--mount bind");
	ok(m.type == MOUNT_BIND && m.readonly && strcmp(m.source, "/s") == 0 && strcmp(m.destination, "/d") == 0,
	   "read-only unless asked");
	mount_spec_done(&m);
	is_int(mount_parse_mount("type=bind,src=/s,dst=/d,readonly=false,bind-propagation=rprivate", &m, why,
				 sizeof(why)), 0, "readonly=false, bind-propagation=rprivate");
	ok(!m.readonly, "readonly=false is writable");
	mount_spec_done(&m);
	is_int(mount_parse_mount("type=bind,src=/s,dst=/d,rw", &m, why, sizeof(why)), 0, "rw");
	ok(!m.readonly, "rw is writable");
	mount_spec_done(&m);
	is_int(mount_parse_mount("type=bind,src=/s,dst=/d,ro=0,readonly", &m, why, sizeof(why)), 0,
	       "the last of ro=0 and readonly wins");
	ok(m.readonly, "readonly alone is true");
	mount_spec_done(&m);
	is_int(mount_parse_mount("type=tmpfs,destination=/t,tmpfs-size=64k,tmpfs-mode=700", &m, why, sizeof(why)),
	       0, "--mount tmpfs");
	ok(m.type == MOUNT_TMPFS && !m.readonly && m.size == 65536 && m.mode == 0700 && !m.source,
	   "64 KiB, mode 0700, writable");
	mount_spec_done(&m);
	is_int(mount_parse_mount("type=tmpfs,dst=/t", &m, why, sizeof(why)), 0, "--mount tmpfs, defaults");
	ok(m.size == 0 && m.mode == MOUNT_TMPFS_MODE_DEFAULT, "rvisord's size, mode 1777");
	mount_spec_done(&m);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		ok(mount_parse_mount(bad[i].arg, &m, why, sizeof(why)) == -EINVAL && strstr(why, bad[i].why_part) &&
		   !m.source && !m.destination, bad[i].arg);
		if (!strstr(why, bad[i].why_part))
			printf("#   why: %s\n", why);
	}
}

/* ---- --tmpfs ---- */

static void test_tmpfs(void)
{
	static const struct {
		const char *arg, *why_part;
	} bad[] = {
		{ "", "absolute" },          { "tmp", "absolute" },        { "/dev/shm", "/proc" },
		{ "/t:", "no options" },     { "/t:exec", "always noexec" }, { "/t:suid", "always" },
		{ "/t:dev", "always" },      { "/t:size=", "not a size" }, { "/t:mode=9", "not a mode" },
		{ "/t:uid=0", "unknown option" },
	};
	struct mount_spec m;

	is_int(mount_parse_tmpfs("/run", &m, why, sizeof(why)), 0, "--tmpfs DST");
	ok(m.type == MOUNT_TMPFS && !m.readonly && m.size == 0 && m.mode == 01777, "writable, defaults");
	mount_spec_done(&m);
	is_int(mount_parse_tmpfs("/run:size=64m,mode=0755,noexec,nosuid,nodev,ro", &m, why, sizeof(why)), 0,
	       "--tmpfs with options");
	ok(m.size == 64ULL << 20 && m.mode == 0755 && m.readonly, "64 MiB, 0755, read-only");
	mount_spec_done(&m);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		ok(mount_parse_tmpfs(bad[i].arg, &m, why, sizeof(why)) == -EINVAL && strstr(why, bad[i].why_part) &&
		   !m.destination, bad[i].arg);
		if (!strstr(why, bad[i].why_part))
			printf("#   why: %s\n", why);
	}
}

/* ---- lists ---- */

static void test_list(void)
{
	struct mount_spec l[MOUNTS_MAX + 1];
	char names[MOUNTS_MAX + 1][16];
	const char *dst = NULL;
	static char order[][8] = { "/a/b/c", "/z", "/a/b", "/a", "/y/x" };
	static const char *const sorted[] = { "/z", "/a", "/a/b", "/y/x", "/a/b/c" };

	for (size_t i = 0; i <= MOUNTS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "/m%zu", i);
		l[i] = (struct mount_spec){ .destination = names[i], .fd = -1 };
	}
	is_int(mounts_check_list(l, MOUNTS_MAX, &dst), 0, "64 mounts are fine");
	is_int(mounts_check_list(l, MOUNTS_MAX + 1, &dst), -E2BIG, "65 are too many");
	l[7].destination = names[3];
	ok(mounts_check_list(l, 10, &dst) == -EEXIST && dst && strcmp(dst, "/m3") == 0, "a destination twice");

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		l[i].destination = order[i];
	mounts_sort(l, ARRAY_SIZE(order));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		is_str(l[i].destination, sorted[i], "sorted by depth, the given order otherwise");
}

/* ---- Run's Mount JSON ---- */

static int from_text(const char *text, struct mount_spec *m, const char **reason)
{
	json_object *o = json_tokener_parse(text);
	int r = mount_spec_from_json(o, 4, 6, m, reason);

	json_object_put(o);
	return r;
}

static void test_json(void)
{
	static const struct {
		const char *text, *reason_part;
	} bad[] = {
		{ "[]", "not a Mount" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":4,\"extra\":1}", "not a Mount" },
		{ "{\"type\":\"volume\",\"destination\":\"/d\"}", "type" },
		{ "{\"destination\":\"/d\"}", "type" },
		{ "{\"type\":\"bind\",\"fd\":4}", "no destination" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\\u0000/x\",\"fd\":4}", "NUL" },
		{ "{\"type\":\"bind\",\"destination\":\"/proc/1\",\"fd\":4}", "/proc" },
		{ "{\"type\":\"bind\",\"destination\":\"/d/..\",\"fd\":4}", "normal" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\"}", "needs fd" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":3}", "index" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":6}", "index" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":\"4\"}", "needs fd" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":4,\"size\":1}", "tmpfs" },
		{ "{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":4,\"readonly\":1}", "boolean" },
		{ "{\"type\":\"tmpfs\",\"destination\":\"/d\",\"fd\":4}", "no source" },
		{ "{\"type\":\"tmpfs\",\"destination\":\"/d\",\"size\":0}", "positive" },
		{ "{\"type\":\"tmpfs\",\"destination\":\"/d\",\"size\":-1}", "positive" },
		{ "{\"type\":\"tmpfs\",\"destination\":\"/d\",\"mode\":4096}", "mode" },
		{ "{\"type\":\"tmpfs\",\"destination\":\"/d\",\"mode\":-1}", "mode" },
	};
	struct mount_spec m, back;
	const char *reason = NULL;
	json_object *o;

	is_int(from_text("{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":5}", &m, &reason), 0, "a bind");
	ok(m.type == MOUNT_BIND && m.fd == 5 && m.readonly, "fd 5, read-only when readonly is absent");
	mount_spec_done(&m);
	is_int(from_text("{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":4,\"readonly\":false,\"size\":null}",
			 &m, &reason), 0, "a writable bind, a null member ignored");
	ok(!m.readonly, "readonly false");
	mount_spec_done(&m);
	is_int(from_text("{\"type\":\"tmpfs\",\"destination\":\"/t\"}", &m, &reason), 0, "a tmpfs");
	ok(m.type == MOUNT_TMPFS && !m.readonly && m.size == 0 && m.mode == 01777 && m.fd == -1,
	   "writable, rvisord's size, mode 1777");
	mount_spec_done(&m);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		reason = NULL;
		ok(from_text(bad[i].text, &m, &reason) == -EINVAL && reason && strstr(reason, bad[i].reason_part) &&
		   !m.destination, bad[i].text);
		if (reason && !strstr(reason, bad[i].reason_part))
			printf("#   reason: %s\n", reason);
	}

	/* What rvisorctl sends is what rvisord reads. */
	m = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/t"), .fd = -1, .readonly = true,
				 .size = 1 << 20, .mode = 0700 };
	o = mount_spec_to_json(&m, -1);
	is_int(mount_spec_from_json(o, 4, 4, &back, &reason), 0, "a tmpfs's JSON reads back");
	ok(back.type == MOUNT_TMPFS && back.readonly && back.size == 1 << 20 && back.mode == 0700 &&
	   strcmp(back.destination, "/t") == 0, "the same tmpfs");
	mount_spec_done(&back);
	json_object_put(o);
	m = (struct mount_spec){ .type = MOUNT_BIND, .destination = DST("/b"), .fd = 99, .readonly = false };
	o = mount_spec_to_json(&m, 4);
	is_int(mount_spec_from_json(o, 4, 5, &back, &reason), 0, "a bind's JSON reads back");
	ok(back.type == MOUNT_BIND && !back.readonly && back.fd == 4, "the same bind, the fd its index");
	mount_spec_done(&back);
	json_object_put(o);
}

/* ---- mount_source_check ---- */

static void test_source_check(void)
{
	static const struct {
		const char *path;
		int flags;
		int want;
		const char *reason_part;
	} cases[] = {
		{ "/", O_RDONLY | O_DIRECTORY, 0, NULL },
		{ "/etc/passwd", O_RDONLY, 0, NULL },
		{ "/", O_PATH, -EBADF, "O_PATH" },
		{ "/dev/null", O_WRONLY, -EBADF, "write-only" },
		{ "/dev/null", O_RDONLY, -EBADF, "device nodes" },
	};
	const char *reason;
	int p[2];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = open(cases[i].path, cases[i].flags | O_CLOEXEC);

		reason = NULL;
		ok(fd >= 0 && mount_source_check(fd, &reason) == cases[i].want &&
		   (!cases[i].reason_part || (reason && strstr(reason, cases[i].reason_part))), cases[i].path);
		if (fd >= 0)
			close(fd);
	}
	if (pipe2(p, O_CLOEXEC) == 0) {
		ok(mount_source_check(p[0], &reason) == -EBADF, "a pipe is refused");
		close(p[0]);
		close(p[1]);
	}
	ok(mount_source_check(-1, &reason) == -EBADF && strstr(reason, "open"), "no descriptor");
}

/* ---- the init's steps, for real (root) ---- */

static char tmp[] = "/tmp/rvisor-test-mounts-XXXXXX";

/* Runs fn in a child with a private mount namespace; its exit status is the number of
 * failed checks (printed as TAP comments). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid;

	fflush(stdout); /* else the child's output repeats ours */
	pid = fork();

	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(100);
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int child_failures;

static void check(bool cond, const char *what)
{
	if (!cond) {
		child_failures++;
		printf("#   child: %s\n", what);
		fflush(stdout);
	}
}

static int parent_ns = -1;
/* Opened in the parent's namespace, as a client opens them in its own. */
static int src_fd = -1, file_fd = -1;

static bool fd_flag(int fd, unsigned long flag)
{
	struct statvfs sv;

	return fstatvfs(fd, &sv) == 0 && (sv.f_flag & flag);
}

/* Copies two sources (a directory with a submount, a file) from the parent's namespace. */
static int child_clone(void)
{
	char what[200];
	struct mount_spec m[3] = {
		{ .type = MOUNT_BIND, .destination = DST("/ro"), .readonly = true },
		{ .type = MOUNT_TMPFS, .destination = DST("/t"), .fd = -1 },
		{ .type = MOUNT_BIND, .destination = DST("/rw"), .readonly = false },
	};
	int trees[3], r, subfd;

	m[0].fd = src_fd;
	m[2].fd = file_fd;
	/* The sources' mounts are the parent's: without entering its namespace, no copy. */
	r = mounts_clone_sources(m, 3, parent_ns, trees, what, sizeof(what));
	check(r == 0, what);
	check(trees[1] == -1, "no tree for a tmpfs");
	check(trees[0] >= 0 && fd_flag(trees[0], ST_RDONLY) && fd_flag(trees[0], ST_NOSUID) &&
	      fd_flag(trees[0], ST_NODEV), "the read-only copy is ro, nosuid, nodev");
	subfd = trees[0] >= 0 ? openat(trees[0], "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	check(subfd >= 0 && fd_flag(subfd, ST_RDONLY) && fd_flag(subfd, ST_NOSUID),
	      "its submount came along, read-only too");
	check(subfd >= 0 && faccessat(subfd, "marker", F_OK, 0) == 0, "the submount's files are there");
	check(trees[2] >= 0 && !fd_flag(trees[2], ST_RDONLY) && fd_flag(trees[2], ST_NODEV),
	      "the writable copy is rw, nodev");
	check(fcntl(m[0].fd, F_GETFD) < 0 && fcntl(m[2].fd, F_GETFD) < 0, "the sources are closed");
	return child_failures;
}

/* A source from another namespace than the one given: refused, nothing copied. */
static int child_wrong_namespace(void)
{
	char what[200], priv[256];
	struct mount_spec m = { .type = MOUNT_BIND, .destination = DST("/x"), .readonly = true };
	int trees[1], own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC), r;

	/* A mount of this namespace's own, which the parent's namespace does not have. */
	snprintf(priv, sizeof(priv), "%s/root", tmp);
	check(mount("tmpfs", priv, "tmpfs", 0, NULL) == 0, "tmpfs");
	m.fd = open(priv, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = mounts_clone_sources(&m, 1, parent_ns, trees, what, sizeof(what));
	check(r == -EPERM && strstr(what, "not in your mount namespace"), what);
	{
		struct stat a, b;

		check(fstat(own, &a) == 0 && stat("/proc/self/ns/mnt", &b) == 0 && a.st_ino == b.st_ino,
		      "back in its own namespace after a failure");
	}
	return child_failures;
}

/* Attaches under a chroot: a tmpfs root with proc, a link to /proc, a bind's source. */
static int child_attach(void)
{
	char root[256], path[300], what[200];
	struct mount_spec m[4];
	int trees[4] = { -1, -1, -1, -1 }, r;
	struct stat st;

	snprintf(root, sizeof(root), "%s/root", tmp);
	check(mount("tmpfs", root, "tmpfs", 0, "mode=0755") == 0, "root tmpfs");
	snprintf(path, sizeof(path), "%s/proc", root);
	check(mkdir(path, 0555) == 0 && mount("proc", path, "proc", 0, NULL) == 0, "proc");
	snprintf(path, sizeof(path), "%s/link", root);
	check(symlink("/proc", path) == 0, "link to /proc");
	snprintf(path, sizeof(path), "%s/file", root);
	check(close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == 0, "a file");
	snprintf(path, sizeof(path), "%s/src", tmp);
	trees[0] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	check(trees[0] >= 0, "a tree");
	check(chroot(root) == 0 && chdir("/") == 0, "chroot");

	m[0] = (struct mount_spec){ .type = MOUNT_BIND, .destination = DST("/a/b"), .readonly = true };
	m[1] = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/t"), .fd = -1, .mode = 0700 };
	m[2] = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/t/in/tmpfs"), .fd = -1,
				    .mode = 01777, .size = 8192 };
	r = mounts_attach(m, 3, trees, 4096 * 16, 1234, 5678, what, sizeof(what));
	check(r == 0, what);
	check(stat("/a/b/sub/marker", &st) == 0, "the bind is on /a/b, created");
	check(stat("/a", &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678 && (st.st_mode & 07777) == 0755,
	      "what was created is the sandbox root's, 0755");
	check(stat("/t", &st) == 0 && st.st_uid == 1234 && (st.st_mode & 07777) == 0700, "the tmpfs: owner, mode");
	check(stat("/t/in/tmpfs", &st) == 0 && (st.st_mode & 07777) == 01777, "a tmpfs in a tmpfs");
	check(trees[0] == -1, "the trees are closed");

	/* Refused: through a link to /proc, and inside a bind's source. */
	m[0] = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/link/x"), .fd = -1 };
	trees[0] = -1;
	r = mounts_attach(m, 1, trees, 4096, 0, 0, what, sizeof(what));
	check(r == -EINVAL && strstr(what, "leads to /proc"), what);
	m[0] = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/a/b/new"), .fd = -1 };
	r = mounts_attach(m, 1, trees, 4096, 0, 0, what, sizeof(what));
	check(r == -EINVAL && strstr(what, "bind's source"), what);
	check(stat("/a/b/new", &st) < 0, "nothing made in the source");
	m[0] = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/file"), .fd = -1 };
	r = mounts_attach(m, 1, trees, 4096, 0, 0, what, sizeof(what));
	check(r == -EINVAL && strstr(what, "not a directory"), what);
	m[0] = (struct mount_spec){ .type = MOUNT_TMPFS, .destination = DST("/file/x"), .fd = -1 };
	r = mounts_attach(m, 1, trees, 4096, 0, 0, what, sizeof(what));
	check(r == -EINVAL && strstr(what, "not a directory"), what);
	return child_failures;
}

/* A bind whose tree holds a proc (as -v /:/host would): refused once attached. */
static int child_foreign_proc(void)
{
	char root[256], path[300], what[200];
	struct mount_spec m = { .type = MOUNT_BIND, .destination = DST("/pp"), .readonly = true };
	int trees[1], r;

	snprintf(root, sizeof(root), "%s/root", tmp);
	check(mount("tmpfs", root, "tmpfs", 0, "mode=0755") == 0, "root tmpfs");
	snprintf(path, sizeof(path), "%s/proc", root);
	check(mkdir(path, 0555) == 0 && mount("proc", path, "proc", 0, NULL) == 0, "proc");
	snprintf(path, sizeof(path), "%s/src/sub", tmp);
	check(mount("proc", path, "proc", 0, NULL) == 0, "a proc in the source");
	snprintf(path, sizeof(path), "%s/src", tmp);
	trees[0] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	check(trees[0] >= 0, "a tree");
	check(chroot(root) == 0 && chdir("/") == 0, "chroot");
	r = mounts_attach(&m, 1, trees, 4096, 0, 0, what, sizeof(what));
	check(r == -EPERM && strstr(what, "/proc or namespace file"), what);
	return child_failures;
}

static void test_real(void)
{
	char path[300];
	int fd;

	if (geteuid() != 0) {
		for (int i = 0; i < 4; i++) {
			tap_count++;
			printf("ok %d # skip needs root\n", tap_count);
		}
		return;
	}
	if (!mkdtemp(tmp))
		abort();
	snprintf(path, sizeof(path), "%s/src", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/src/sub", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root", tmp);
	mkdir(path, 0755);
	/* The submount, in this (the parent's) namespace: made in a child's copy it would not be
	 * the parent's. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/src/sub", tmp);
	if (mount("tmpfs", path, "tmpfs", 0, NULL) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/src/sub/marker", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	snprintf(path, sizeof(path), "%s/file", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	parent_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/src", tmp);
	src_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/file", tmp);
	file_fd = open(path, O_RDONLY | O_CLOEXEC);

	is_int(in_child(child_clone), 0, "sources copied from the caller's namespace, flags set throughout");
	is_int(in_child(child_wrong_namespace), 0, "a source from another namespace is refused");
	is_int(in_child(child_attach), 0, "attached inside the root; links to /proc and a bind's source refused");
	is_int(in_child(child_foreign_proc), 0, "a bind holding a proc is refused");

	snprintf(path, sizeof(path), "%s/src/sub", tmp);
	umount2(path, MNT_DETACH);
	close(parent_ns);
	close(src_fd);
	close(file_fd);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		printf("# cannot remove %s\n", tmp);
}

int main(void)
{
	test_destination();
	test_volume();
	test_mount();
	test_tmpfs();
	test_list();
	test_json();
	test_source_check();
	test_real();
	return tap_done();
}
