/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing the command-line programs' arguments and formatting their output; see cli-util.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "manager-errors.h"
#include "cli-util.h"
#include "cpus.h"
#include "json-util.h"
#include "macro.h"
#include "number.h"
#include "user-ids.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int cli_parse_id(const char *s, int64_t *ret)
{
	const char *p = s;
	bool overflow;
	uint64_t v;

	if (!s || !ret || number_parse_digits(&p, INT64_MAX, &v, &overflow) < 0 || *p)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	*ret = (int64_t)v;
	return 0;
}

int cli_parse_user(const char *s, uint32_t *ret_uid, uint32_t *ret_gid, bool *ret_has_gid)
{
	const char *p = s;
	uint64_t uid, gid = 0;
	bool overflow, has_gid = false;

	if (!s || !ret_uid || !ret_gid || !ret_has_gid)
		return -EINVAL;
	if (number_parse_digits(&p, UID_GID_MAX, &uid, &overflow) < 0 || overflow)
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (number_parse_digits(&p, UID_GID_MAX, &gid, &overflow) < 0 || overflow)
			return -EINVAL;
		has_gid = true;
	}
	if (*p)
		return -EINVAL;
	*ret_uid = (uint32_t)uid;
	*ret_gid = (uint32_t)gid;
	*ret_has_gid = has_gid;
	return 0;
}

static const struct {
	int sig;
	const char *name;
} signal_names[] = {
	{ SIGHUP, "SIGHUP" },   { SIGINT, "SIGINT" },       { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" },   { SIGTRAP, "SIGTRAP" },     { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" },   { SIGFPE, "SIGFPE" },       { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" },     { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },     { SIGTERM, "SIGTERM" },
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "SIGSTKFLT" },
#endif
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" },     { SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" },     { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" },   { SIGXCPU, "SIGXCPU" },     { SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" }, { SIGWINCH, "SIGWINCH" },
	{ SIGIO, "SIGIO" },     { SIGPWR, "SIGPWR" },       { SIGSYS, "SIGSYS" },
};

#define SIGNAL_MAX 64 /* SIGRTMAX on Linux */

const char *cli_signal_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (signal_names[i].sig == sig)
			return signal_names[i].name;
	return NULL;
}

int cli_parse_signal(const char *s)
{
	const char *p = s;
	bool overflow;
	uint64_t v;

	if (!s || !*s)
		return -EINVAL;
	if (is_digit(*s)) {
		if (number_parse_digits(&p, SIGNAL_MAX, &v, &overflow) < 0 || overflow || *p || v == 0)
			return -EINVAL;
		return (int)v;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(s, signal_names[i].name + 3) == 0)
			return signal_names[i].sig;
	return -EINVAL;
}

int cli_env_entry(const char *arg, char **ret)
{
	const char *value;
	char *e;

	if (!arg || !ret || !*arg || *arg == '=')
		return -EINVAL;
	if (strchr(arg, '=')) {
		e = strdup(arg);
		if (!e)
			return -ENOMEM;
		*ret = e;
		return 0;
	}
	value = getenv(arg);
	if (!value) {
		*ret = NULL;
		return 0;
	}
	if (asprintf(&e, "%s=%s", arg, value) < 0)
		return -ENOMEM;
	*ret = e;
	return 0;
}

int cli_read_text(int fd, size_t max, char **ret)
{
	_cleanup_free_ char *text = malloc(max + 1);
	size_t len = 0;

	if (!text)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, text + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (memchr(text, '\0', len))
		return -EBADMSG;
	text[len] = '\0';
	*ret = TAKE_PTR(text);
	return 0;
}

int cli_path_absolute(const char *path, const char *cwd, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	char *out, *component, *save = NULL;
	size_t len = 1;

	if (!path || !*path || !ret)
		return -EINVAL;
	if (path[0] == '/')
		joined = strdup(path);
	else if (!cwd || cwd[0] != '/')
		return -EINVAL;
	else if (asprintf(&joined, "%s/%s", cwd, path) < 0)
		joined = NULL;
	if (!joined)
		return -ENOMEM;

	/* The result is never longer than joined. */
	out = malloc(strlen(joined) + 1);
	if (!out)
		return -ENOMEM;
	out[0] = '/';
	for (component = strtok_r(joined, "/", &save); component; component = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(component);

		if (strcmp(component, ".") == 0)
			continue;
		if (strcmp(component, "..") == 0) {
			while (len > 1 && out[len - 1] != '/')
				len--;
			if (len > 1)
				len--; /* the slash before the removed component */
			continue;
		}
		if (len > 1)
			out[len++] = '/';
		memcpy(out + len, component, n);
		len += n;
	}
	out[len] = '\0';
	*ret = out;
	return 0;
}

int cli_image_path(const char *path, char **ret)
{
	_cleanup_free_ char *cwd = NULL;
	char *resolved;

	if (!path || !*path || !ret)
		return -EINVAL;
	resolved = realpath(path, NULL);
	if (resolved) {
		*ret = resolved;
		return 0;
	}
	if (errno == ENOMEM)
		return -ENOMEM;
	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return -errno;
	}
	return cli_path_absolute(path, cwd, ret);
}

const char *cli_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 "B", bytes);
		return buf;
	}
	while (u + 1 < sizeof(units) - 1 && bytes >> (10 * (u + 2)) > 0)
		u++;
	if ((bytes & ((1ULL << (10 * (u + 1))) - 1)) == 0)
		snprintf(buf, size, "%" PRIu64 "%c", bytes >> (10 * (u + 1)), units[u]);
	else
		snprintf(buf, size, "%.1f%c", (double)bytes / (double)(1ULL << (10 * (u + 1))), units[u]);
	return buf;
}

const char *cli_format_time(int64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (usec <= 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "-");
	return buf;
}

/* The length of the valid UTF-8 sequence s starts with (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF); 0 when it is not one. s is NUL-terminated, and NUL is
 * no continuation byte, so nothing past the end is read. */
static size_t utf8_sequence_length(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong below */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates above */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong below */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* past U+10FFFF above */
	} else
		return 0; /* a continuation byte, an overlong 0xc0/0xc1 lead, or 0xf5..0xff */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* How many bytes at s go out as they are (0: the byte at s is escaped). C0, DEL and the C1
 * controls (U+0080-U+009F, 0xc2 0x80..0x9f) never do. */
static size_t escape_keep(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	n = utf8_sequence_length(s);
	if (n == 2 && s[0] == 0xc2 && s[1] <= 0x9f)
		return 0;
	return n;
}

/* Whether cli_escape() would change s. */
static bool needs_escape(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = escape_keep(p);

		if (n == 0)
			return true;
		p += n;
	}
	return false;
}

/* s escaped, allocated; for bash's $'...' backslashes and single quotes are escaped too. */
static char *escape_alloc(const char *s, bool shell)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t len;

	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	len = strlen(s);
	if (len > (SIZE_MAX - 1) / 4) {
		errno = ENOMEM;
		return NULL;
	}
	/* At most 4 bytes out for each byte in: "\xHH", or "\\" and "\'" for the shell. */
	out = o = malloc(4 * len + 1);
	if (!out)
		return NULL;
	while (*p) {
		size_t n = escape_keep(p);

		if (n == 0) {
			o += sprintf(o, "\\x%02x", *p++);
			continue;
		}
		if (shell && (*p == '\\' || *p == '\''))
			*o++ = '\\';
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

char *cli_escape(const char *s)
{
	return escape_alloc(s, false);
}

/* Appends s to the growing buffer, shell-quoted when it needs to be: as is when it has only
 * safe characters, in '...' when it has no control character, else in bash's $'...' (the one
 * quoting in which a shell reads \xHH back as the byte). */
static int append_quoted(FILE *f, const char *s)
{
	_cleanup_free_ char *ansi = NULL;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_@%+=:,./-") == strlen(s))
		return fputs(s, f);
	if (!needs_escape(s)) {
		if (fputc('\'', f) == EOF)
			return EOF;
		for (; *s; s++)
			if ((*s == '\'' ? fputs("'\\''", f) : fputc(*s, f)) == EOF)
				return EOF;
		return fputc('\'', f);
	}
	ansi = escape_alloc(s, true);
	if (!ansi)
		return EOF;
	return fprintf(f, "$'%s'", ansi) < 0 ? EOF : 0;
}

char *cli_format_argv(json_object *array)
{
	char *text = NULL;
	size_t len = 0, n;
	bool first = true, failed = false;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	n = json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(array, i);

		if (!json_object_is_type(e, json_type_string))
			continue;
		if (!first)
			fputc(' ', f);
		if (append_quoted(f, json_object_get_string(e)) == EOF)
			failed = true;
		first = false;
	}
	if (fclose(f) != 0 || failed) {
		free(text);
		return NULL;
	}
	return text;
}

char *cli_json_text(json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE | (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN);
	const unsigned char *p = (const unsigned char *)json_object_to_json_string_ext(o, flags);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!p)
		return NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	/* Outside strings JSON text is plain ASCII, so these bytes are inside one. */
	for (; *p; p++) {
		if (*p == 0x7f)
			fputs("\\u007f", f);
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(f, "\\u00%02x", p[1]);
			p++;
		} else
			fputc(*p, f);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int cli_bundle_root_path(const char *text, size_t len, char **ret)
{
	struct json_tokener *tok;
	json_object *config, *root, *path;
	const char *p = "rootfs";
	char *copy;
	bool good;
	int r = 0;

	if (!text || !ret || len > INT_MAX)
		return -EINVAL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	config = json_tokener_parse_ex(tok, text, (int)len);
	good = config && json_tokener_get_error(tok) == json_tokener_success;
	/* Only white space may follow the object. */
	for (size_t i = good ? json_tokener_get_parse_end(tok) : len; i < len; i++)
		if (!strchr(" \t\r\n", text[i]))
			good = false;
	json_tokener_free(tok);
	if (!good || !json_object_is_type(config, json_type_object)) {
		json_object_put(config);
		return -EBADMSG;
	}
	if (json_object_object_get_ex(config, "root", &root) && !json_object_is_type(root, json_type_null)) {
		if (!json_object_is_type(root, json_type_object))
			r = -EINVAL;
		else if (json_object_object_get_ex(root, "path", &path) &&
			 !json_object_is_type(path, json_type_null)) {
			if (!json_object_is_type(path, json_type_string) || json_object_get_string_len(path) == 0 ||
			    strlen(json_object_get_string(path)) != (size_t)json_object_get_string_len(path))
				r = -EINVAL;
			else
				p = json_object_get_string(path);
		}
	}
	copy = r < 0 ? NULL : strdup(p);
	json_object_put(config);
	if (r < 0)
		return r;
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

/* The fallback of cli_open_beneath(): normalises path lexically (refusing ".." above dirfd),
 * then opens one component after the other without following any symbolic link. */
static int open_beneath_walk(int dirfd, const char *path, int *ret_fd)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_free_ char **parts = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	parts = calloc(strlen(path) / 2 + 1, sizeof(char *));
	if (!parts)
		return -ENOMEM;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n == 0)
				return -EXDEV;
			n--;
			continue;
		}
		parts[n++] = c;
	}
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		/* O_PATH for the way down (search permission is enough, as for openat2), the
		 * directory itself opened for reading. */
		int flags = (i + 1 < n ? O_PATH : O_RDONLY) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		struct stat st;
		int next;

		if (fstatat(fd, parts[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return -ELOOP;
		next = openat(fd, parts[i], flags);
		if (next < 0)
			return -errno;
		close(fd);
		fd = next;
	}
	if (n == 0) {
		/* path named dirfd itself: open it again for reading. */
		int again = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (again < 0)
			return -errno;
		close(fd);
		fd = again;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int cli_open_beneath(int dirfd, const char *path, unsigned flags, int *ret_fd)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (dirfd < 0 || !path || !*path || !ret_fd)
		return -EINVAL;
	if (!(flags & CLI_OPEN_BENEATH_NO_OPENAT2)) {
		/* EAGAIN: a rename raced with a ".." lookup; the kernel asks to try again. */
		int tries = 0;

		do
			fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		while (fd < 0 && (errno == EINTR || (errno == EAGAIN && ++tries < 8)));
		if (fd >= 0) {
			*ret_fd = (int)fd;
			return 0;
		}
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
	}
	if (path[0] == '/')
		return -EXDEV;
	return open_beneath_walk(dirfd, path, ret_fd);
}

static bool streq_ptr(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* A parameter of Run as the option that set it, for InvalidParameter. */
/* An integer field of an error's parameters, -1 when there is none. */
static int64_t param_int(json_object *params, const char *key)
{
	int64_t v;

	return json_get_int(params, key, &v) == 0 ? v : -1;
}

static const char *parameter_option(const char *parameter)
{
	static const char *const map[][2] = {
		{ "image", "--image" },   { "argv", "the command" }, { "policy", "--policy" },
		{ "name", "--name" },     { "env", "--env" },         { "cwd", "--workdir" },
		{ "uid", "--user" },      { "gid", "--user" },        { "memory", "--memory" },
		{ "tty", "--tty" },
		{ "id", "the sandbox id" }, { "signal", "the signal" }, { "fds", "stdin/stdout/stderr" },
		{ "userns", "--userns" }, { "bundle_config", "the bundle's config.json" },
		{ "cpus_milli", "--cpus" }, { "cpuset", "--cpuset-cpus" }, { "pids", "--pids-limit" },
		{ "mounts", "--volume, --mount or --tmpfs" }, { "network", "--network" },
		{ "timeout", "--timeout" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(parameter, map[i][0]) == 0)
			return map[i][1];
	return parameter;
}

#define SAME_VERSIONS "install the same version of rvisorctl and rvisord"
#define SEE_JOURNAL "see 'journalctl -u rvisord'"

/* BadFileDescriptor's message: which of Run's descriptors, and what to give instead. */
static int bad_fd_message(char **m, json_object *params, const char *reason)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	int64_t index = -1;

	json_get_int(params, "index", &index);
	if (index >= 0 && index < (int64_t)ARRAY_SIZE(names))
		return asprintf(m, "%s cannot be passed to a sandbox: %s (use a file, pipe or terminal)",
				names[index], reason);
	if (index == 3)
		return asprintf(m, "the image cannot be passed to a sandbox: %s (--image must be a directory "
				"you can read)", reason);
	if (index > 3)
		return asprintf(m, "the source of a volume cannot be passed to a sandbox: %s (a source must "
				"be a directory or regular file you can read)", reason);
	return asprintf(m, "rvisord refused a file descriptor: %s: " SAME_VERSIONS, reason);
}

/* LimitAbovePolicy's message: what the policy allows (as its key says it: "memory 512M",
 * "cpus 1.5", "cpuset 0-1"), and what to do. */
static int limit_message(char **m, json_object *params)
{
	const char *parameter = json_string(params, "parameter") ?: "a limit";
	const char *policy = json_string(params, "policy") ?: "(unknown)";
	const char *key = strcmp(parameter, "cpus_milli") == 0 ? "cpus" : parameter;
	char value[32] = "less";
	int64_t limit = 0;

	if (strcmp(parameter, "network") == 0)
		return asprintf(m, "--network host is more than policy '%s' allows (network none): use "
				"--network none, or a policy with network = host (--policy)", policy);
	if (strcmp(parameter, "cpuset") == 0)
		snprintf(value, sizeof(value), "%s", json_string(params, "cpuset") ?: "fewer");
	else if (json_get_int(params, "limit", &limit) == 0 && limit > 0) {
		if (strcmp(parameter, "cpus_milli") == 0)
			cpus_format((uint64_t)limit, value, sizeof(value));
		else if (strcmp(parameter, "pids") == 0)
			snprintf(value, sizeof(value), "%" PRId64, limit);
		else
			cli_format_bytes((uint64_t)limit, value, sizeof(value));
	}
	return asprintf(m, "%s is more than policy '%s' allows (%s %s): ask for at most that, or "
			"use a policy that allows more (--policy)", parameter_option(parameter), policy,
			key, value);
}

/* CpusetUnavailable's message: the CPUs that cannot be had, and those that can. */
static int cpuset_message(char **m, json_object *params)
{
	const char *cpuset = json_string(params, "cpuset") ?: "(unknown)";
	const char *available = json_string(params, "available") ?: "(unknown)";
	const char *policy = json_string(params, "policy");

	if (policy)
		return asprintf(m, "policy '%s' names CPUs (cpuset %s) that rvisord's sandboxes cannot use "
				"here, which may use CPUs %s only: fix the policy's cpuset, or use another "
				"policy (--policy)", policy, cpuset, available);
	return asprintf(m, "--cpuset-cpus %s names CPUs that rvisord's sandboxes cannot use here, which "
			"may use CPUs %s only: ask for some of those", cpuset, available);
}

/* UserNotPermitted: "UID:GID", or "UID" without gid; ids out of range are not printed. */
static int user_message(char **m, json_object *params, const char *reason)
{
	char user[32] = "(unknown)";
	int64_t uid, gid;

	if (json_get_int(params, "uid", &uid) == 0 && uid_gid_valid(uid)) {
		if (json_get_int(params, "gid", &gid) == 0 && uid_gid_valid(gid))
			snprintf(user, sizeof(user), "%" PRId64 ":%" PRId64, uid, gid);
		else
			snprintf(user, sizeof(user), "%" PRId64, uid);
	}
	return asprintf(m, "rvisord refused to run as user %s: %s: give --user an id you may use "
			"(else the bundle's or the policy's user applies)", user, reason);
}

char *cli_error_message(const char *error, json_object *params)
{
	const char *image = json_string(params, "image"), *reason = json_string(params, "reason");
	_cleanup_free_ char *m = NULL;
	int64_t n;
	int r;

	if (!error)
		error = "(none)";
	if (!reason)
		reason = "no reason given";

	if (strcmp(error, MANAGER_ERROR(ImageNotFound)) == 0)
		r = asprintf(&m, "image %s not found: %s", image ?: "(unknown)", reason);
	else if (strcmp(error, MANAGER_ERROR(PolicyNotFound)) == 0)
		r = asprintf(&m, "policy '%s' not found: see 'rvisorctl policy list'",
			     json_string(params, "policy") ?: "(unknown)");
	else if (strcmp(error, MANAGER_ERROR(PolicyInvalid)) == 0)
		r = asprintf(&m, "%s", reason);
	else if (strcmp(error, MANAGER_ERROR(SandboxNotFound)) == 0) {
		if (json_get_int(params, "id", &n) == 0)
			r = asprintf(&m, "no sandbox with id %" PRId64 ": see 'rvisorctl ps'", n);
		else if (json_string(params, "name"))
			r = asprintf(&m, "no sandbox named '%s': see 'rvisorctl ps'", json_string(params, "name"));
		else
			r = asprintf(&m, "no such sandbox: see 'rvisorctl ps'");
	} else if (strcmp(error, MANAGER_ERROR(SandboxRunning)) == 0)
		r = asprintf(&m, "sandbox %" PRId64 " is running: stop it first ('rvisorctl stop'), or remove it "
			     "by force ('rvisorctl rm -f')", param_int(params, "id"));
	else if (strcmp(error, MANAGER_ERROR(SandboxNotRunning)) == 0)
		r = asprintf(&m, "sandbox %" PRId64 " is not running: it has exited ('rvisorctl ps -a', "
			     "'rvisorctl logs')", param_int(params, "id"));
	else if (strcmp(error, MANAGER_ERROR(SandboxNotDetached)) == 0)
		r = asprintf(&m, "sandbox %" PRId64 " is not detached: its output goes to the 'rvisorctl run' "
			     "that started it (start it with 'rvisorctl run -d')", param_int(params, "id"));
	else if (strcmp(error, MANAGER_ERROR(SandboxIsContainer)) == 0)
		r = asprintf(&m, "sandbox %" PRId64 " is the OCI container %s: use its engine (docker, podman, ...)",
			     param_int(params, "id"), json_string(params, "container") ?: "(unknown)");
	else if (strcmp(error, MANAGER_ERROR(NameInUse)) == 0)
		r = asprintf(&m, "you have a sandbox named '%s' already: choose another --name",
			     json_string(params, "name") ?: "");
	else if (strcmp(error, MANAGER_ERROR(NameAmbiguous)) == 0)
		r = asprintf(&m, "more than one user has a sandbox named '%s': use its id from 'rvisorctl ps'",
			     json_string(params, "name") ?: "");
	else if (strcmp(error, MANAGER_ERROR(KernelLayerUnavailable)) == 0)
		r = asprintf(&m, "%s: load rvisor.ko (modprobe rvisor) or set kernel_layer = preferred "
			     "in the policy", reason);
	else if (strcmp(error, MANAGER_ERROR(PermissionDenied)) == 0 ||
		 strcmp(error, "org.varlink.service.PermissionDenied") == 0)
		r = asprintf(&m, "rvisord refused: permission denied: add yourself to group rvisor "
			     "(usermod -aG rvisor $USER, then log in again) or run as root");
	else if (strcmp(error, MANAGER_ERROR(ResourceExhausted)) == 0)
		r = asprintf(&m, "rvisord is out of resources: %s: stop sandboxes you no longer need and "
			     "remove exited ones ('rvisorctl ps -a', 'rvisorctl rm')", reason);
	else if (strcmp(error, MANAGER_ERROR(BadFileDescriptor)) == 0)
		r = bad_fd_message(&m, params, reason);
	else if (strcmp(error, MANAGER_ERROR(LimitAbovePolicy)) == 0)
		r = limit_message(&m, params);
	else if (strcmp(error, MANAGER_ERROR(MountInvalid)) == 0) {
		const char *dst = json_string(params, "destination");

		r = dst && *dst ? asprintf(&m, "rvisord refused the mount on %s: %s", dst, reason)
				: asprintf(&m, "rvisord refused the mounts: %s", reason);
	}
	else if (strcmp(error, MANAGER_ERROR(CpusetUnavailable)) == 0)
		r = cpuset_message(&m, params);
	else if (strcmp(error, MANAGER_ERROR(UserNotPermitted)) == 0)
		r = user_message(&m, params, reason);
	else if (strcmp(error, MANAGER_ERROR(SandboxFailed)) == 0)
		r = asprintf(&m, "rvisord could not set the sandbox up: %s: " SEE_JOURNAL, reason);
	else if (strcmp(error, MANAGER_ERROR(ExecFailed)) == 0)
		r = asprintf(&m, "rvisord could not start the command in the sandbox: %s", reason);
	else if (strcmp(error, "org.varlink.service.InvalidParameter") == 0 &&
		 streq_ptr(json_string(params, "parameter"), "userns"))
		r = asprintf(&m, "rvisord refused --userns: only root may ask for it (the sandboxes of "
			     "other users always run in a user namespace)");
	else if (strcmp(error, "org.varlink.service.InvalidParameter") == 0)
		r = asprintf(&m, "rvisord refused the value of %s: check it",
			     parameter_option(json_string(params, "parameter") ?: "a parameter"));
	else if (strcmp(error, "org.varlink.service.MethodNotFound") == 0 ||
		 strcmp(error, "org.varlink.service.MethodNotImplemented") == 0 ||
		 strcmp(error, "org.varlink.service.InterfaceNotFound") == 0 ||
		 strcmp(error, "org.varlink.service.ExpectedMore") == 0)
		r = asprintf(&m, "rvisord does not support this request (%s): " SAME_VERSIONS, error);
	else if (strcmp(error, "io.rvisor.varlink.ProtocolError") == 0)
		r = asprintf(&m, "rvisord refused the request: %s: " SAME_VERSIONS, reason);
	else if (strcmp(error, "io.rvisor.varlink.InternalError") == 0) {
		int e = 0;

		if (json_get_int(params, "errno", &n) == 0 && n > -4096 && n < 4096)
			e = (int)(n < 0 ? -n : n);
		r = asprintf(&m, "rvisord failed: %s: " SEE_JOURNAL, e ? strerror(e) : "internal error");
	} else {
		const char *text = params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN) : "{}";

		r = asprintf(&m, "rvisord answered %s %s: " SEE_JOURNAL, error, text ?: "{}");
	}
	if (r < 0) {
		m = NULL; /* asprintf() leaves it undefined */
		return NULL;
	}
	/* Names, paths and reasons come from rvisord, and may be another user's words. */
	return cli_escape(m);
}
