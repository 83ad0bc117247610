/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing rvisorctl's arguments and formatting its output; see cli-util.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli-util.h"
#include "macro.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Leading decimal digits of *p into *ret, advancing *p. -EINVAL when there are none;
 * *ret_overflow when they exceed max (the digits are consumed all the same, so the caller can
 * still tell a syntax error from a range error). */
static int parse_digits(const char **p, uint64_t max, uint64_t *ret, bool *ret_overflow)
{
	const char *s = *p;
	uint64_t v = 0;
	bool overflow = false;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (overflow || v > (max - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	*ret_overflow = overflow;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *ret)
{
	uint64_t v, mult = 1;
	bool overflow;
	const char *p = s;

	if (!s || !ret || parse_digits(&p, UINT64_MAX, &v, &overflow) < 0)
		return -EINVAL;
	switch (*p) {
	case 'k': case 'K': mult = 1ULL << 10; p++; break;
	case 'm': case 'M': mult = 1ULL << 20; p++; break;
	case 'g': case 'G': mult = 1ULL << 30; p++; break;
	case 't': case 'T': mult = 1ULL << 40; p++; break;
	default: break;
	}
	/* "512MB", "512MiB" and "512B" mean what they say. */
	if (mult > 1 && (*p == 'i' || *p == 'I') && (p[1] == 'b' || p[1] == 'B'))
		p += 2;
	else if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		return -EINVAL;
	if (overflow || v == 0 || v > (uint64_t)INT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

int cli_parse_id(const char *s, int64_t *ret)
{
	const char *p = s;
	bool overflow;
	uint64_t v;

	if (!s || !ret || parse_digits(&p, INT64_MAX, &v, &overflow) < 0 || *p)
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
	if (parse_digits(&p, UINT32_MAX - 1, &uid, &overflow) < 0 || overflow)
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (parse_digits(&p, UINT32_MAX - 1, &gid, &overflow) < 0 || overflow)
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
		if (parse_digits(&p, SIGNAL_MAX, &v, &overflow) < 0 || overflow || *p || v == 0)
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

bool cli_name_valid(const char *name)
{
	size_t n;

	if (!name || !is_alnum(name[0]))
		return false;
	for (n = 1; name[n]; n++)
		if (!is_alnum(name[n]) && !strchr("_.-", name[n]))
			return false;
	return n <= 64;
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

/* Appends s to the growing buffer, shell-quoted when it needs to be. */
static int append_quoted(FILE *f, const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_@%+=:,./-") == strlen(s))
		return fputs(s, f);
	if (fputc('\'', f) == EOF)
		return EOF;
	for (; *s; s++)
		if ((*s == '\'' ? fputs("'\\''", f) : fputc(*s, f)) == EOF)
			return EOF;
	return fputc('\'', f);
}

char *cli_format_argv(json_object *array)
{
	char *text = NULL;
	size_t len = 0, n;
	bool first = true;
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
		append_quoted(f, json_object_get_string(e));
		first = false;
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static const char *param_string(json_object *params, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(params, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A parameter of Run as the option that set it, for InvalidParameter. */
static const char *parameter_option(const char *parameter)
{
	static const char *const map[][2] = {
		{ "image", "--image" },   { "argv", "the command" }, { "policy", "--policy" },
		{ "name", "--name" },     { "env", "--env" },         { "cwd", "--workdir" },
		{ "user", "--user" },     { "memory", "--memory" },   { "tty", "--tty" },
		{ "id", "the sandbox id" }, { "signal", "the signal" }, { "fds", "stdin/stdout/stderr" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(parameter, map[i][0]) == 0)
			return map[i][1];
	return parameter;
}

#define MANAGER_ERROR(e) "io.rvisor.Manager." e
#define SAME_VERSIONS "install the same version of rvisorctl and rvisord"
#define SEE_JOURNAL "see 'journalctl -u rvisord'"

char *cli_error_message(const char *error, json_object *params)
{
	const char *image = param_string(params, "image"), *reason = param_string(params, "reason");
	json_object *v;
	char *m = NULL;
	int r;

	if (!error)
		error = "(none)";
	if (!reason)
		reason = "no reason given";

	if (strcmp(error, MANAGER_ERROR("ImageNotFound")) == 0)
		r = asprintf(&m, "image %s not found: %s", image ?: "(unknown)", reason);
	else if (strcmp(error, MANAGER_ERROR("PolicyNotFound")) == 0)
		r = asprintf(&m, "policy '%s' not found: see 'rvisorctl policy list'",
			     param_string(params, "policy") ?: "(unknown)");
	else if (strcmp(error, MANAGER_ERROR("PolicyInvalid")) == 0)
		r = asprintf(&m, "%s", reason);
	else if (strcmp(error, MANAGER_ERROR("SandboxNotFound")) == 0) {
		if (json_object_object_get_ex(params, "id", &v) && json_object_is_type(v, json_type_int))
			r = asprintf(&m, "no sandbox with id %" PRId64 ": see 'rvisorctl ps'",
				     json_object_get_int64(v));
		else
			r = asprintf(&m, "no such sandbox: see 'rvisorctl ps'");
	} else if (strcmp(error, MANAGER_ERROR("KernelLayerUnavailable")) == 0)
		r = asprintf(&m, "%s: load rvisor.ko (modprobe rvisor) or set kernel_layer = preferred "
			     "in the policy", reason);
	else if (strcmp(error, MANAGER_ERROR("PermissionDenied")) == 0 ||
		 strcmp(error, "org.varlink.service.PermissionDenied") == 0)
		r = asprintf(&m, "rvisord refused: permission denied: add yourself to group rvisor "
			     "(usermod -aG rvisor $USER, then log in again) or run as root");
	else if (strcmp(error, MANAGER_ERROR("ResourceExhausted")) == 0)
		r = asprintf(&m, "rvisord is out of resources: %s: stop sandboxes you no longer need "
			     "('rvisorctl ps', 'rvisorctl kill')", reason);
	else if (strcmp(error, MANAGER_ERROR("SandboxFailed")) == 0)
		r = asprintf(&m, "rvisord could not set the sandbox up: %s: " SEE_JOURNAL, reason);
	else if (strcmp(error, "org.varlink.service.InvalidParameter") == 0)
		r = asprintf(&m, "rvisord refused the value of %s: check it",
			     parameter_option(param_string(params, "parameter") ?: "a parameter"));
	else if (strcmp(error, "org.varlink.service.MethodNotFound") == 0 ||
		 strcmp(error, "org.varlink.service.MethodNotImplemented") == 0 ||
		 strcmp(error, "org.varlink.service.InterfaceNotFound") == 0 ||
		 strcmp(error, "org.varlink.service.ExpectedMore") == 0)
		r = asprintf(&m, "rvisord does not support this request (%s): " SAME_VERSIONS, error);
	else if (strcmp(error, "io.rvisor.varlink.ProtocolError") == 0)
		r = asprintf(&m, "rvisord refused the request: %s: " SAME_VERSIONS, reason);
	else if (strcmp(error, "io.rvisor.varlink.InternalError") == 0) {
		int e = 0;

		if (json_object_object_get_ex(params, "errno", &v) && json_object_is_type(v, json_type_int)) {
			int64_t n = json_object_get_int64(v);

			if (n > -4096 && n < 4096)
				e = (int)(n < 0 ? -n : n);
		}
		r = asprintf(&m, "rvisord failed: %s: " SEE_JOURNAL, e ? strerror(e) : "internal error");
	} else {
		const char *text = params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN) : "{}";

		r = asprintf(&m, "rvisord answered %s %s: " SEE_JOURNAL, error, text ?: "{}");
	}
	return r < 0 ? NULL : m;
}
