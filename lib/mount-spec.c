/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sandbox's own mounts: the command line's forms, the destination rule, Run's Mount JSON. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "macro.h"
#include "mount-spec.h"

/* The sandbox's own trees: its proc (and rvisor's files bound over it), its /dev (and
 * rvisorfs while it is mounted there), its /sys of rvisor's CPU lists. */
static const char *const forbidden[] = { "/proc", "/dev", "/sys" };

static const char *const type_names[_MOUNT_TYPE_MAX] = {
	[MOUNT_BIND] = "bind",
	[MOUNT_TMPFS] = "tmpfs",
};

void mount_spec_done(struct mount_spec *m)
{
	if (!m)
		return;
	free(m->source);
	free(m->destination);
	m->source = m->destination = NULL;
}

const char *mount_type_to_string(enum mount_type t)
{
	return t >= 0 && t < _MOUNT_TYPE_MAX ? type_names[t] : NULL;
}

enum mount_type mount_type_from_string(const char *s)
{
	for (int t = 0; s && t < _MOUNT_TYPE_MAX; t++)
		if (strcmp(s, type_names[t]) == 0)
			return (enum mount_type)t;
	return _MOUNT_TYPE_INVALID;
}

_printf_(3, 4) static int refuse(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Every component non-empty and neither "." nor "..". */
static bool normal_form(const char *p)
{
	while (*p == '/') {
		const char *c = p + 1;
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		p = c + n;
	}
	return *p == '\0';
}

int mount_destination_check(const char *dst, const char **ret_reason)
{
	const char *why = NULL;

	if (!dst || !*dst)
		why = "it is empty";
	else if (dst[0] != '/')
		why = "it is not an absolute path";
	else if (strlen(dst) >= PATH_MAX)
		why = "it is too long";
	else if (strcmp(dst, "/") == 0)
		why = "it is the sandbox's root";
	else if (!normal_form(dst))
		why = "it is not in normal form (an empty, '.' or '..' component, or a trailing '/')";
	for (const char *p = dst; !why && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			why = "it holds a control character";
	for (size_t i = 0; !why && i < ARRAY_SIZE(forbidden); i++)
		if (under(dst, forbidden[i]))
			why = "/proc, /dev and /sys are the sandbox's own (its processes, device nodes "
			      "and rvisor's views of the machine)";
	if (!why)
		return 0;
	if (ret_reason)
		*ret_reason = why;
	return -EINVAL;
}

int mount_destination_normalise(const char *dst, char **ret, const char **ret_reason)
{
	_cleanup_free_ char *out = NULL;
	const char *p = dst;
	size_t len = 0;
	int r;

	if (!dst || dst[0] != '/') {
		*ret_reason = "it is not an absolute path";
		return -EINVAL;
	}
	out = malloc(strlen(dst) + 2);
	if (!out)
		return -ENOMEM;
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*ret_reason = "it holds a '..' component";
			return -EINVAL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	r = mount_destination_check(out, ret_reason);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

static int set_destination(struct mount_spec *m, const char *dst, const char *what, char *why,
			   size_t size)
{
	const char *reason = NULL;
	int r;

	free(m->destination);
	m->destination = NULL;
	r = mount_destination_normalise(dst, &m->destination, &reason);
	if (r == -EINVAL)
		return refuse(why, size, "%s '%s' cannot be used: %s", what, dst, reason);
	return r;
}

/* A bind's source: a path (absolute, or relative starting with '.'); anything else names a
 * docker volume. */
static int set_source(struct mount_spec *m, const char *src, char *why, size_t size)
{
	if (!*src)
		return refuse(why, size, "no source given");
	if (src[0] != '/' && src[0] != '.')
		return refuse(why, size, "'%s' names a volume, and rvisor has no volumes: give a "
			      "host path (absolute, or starting with '.')", src);
	free(m->source);
	m->source = strdup(src);
	return m->source ? 0 : -ENOMEM;
}

/* An octal mode of at most 07777. */
static int parse_mode(const char *s, uint32_t *ret)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5 || s[strspn(s, "01234567")])
		return -EINVAL;
	v = strtoul(s, NULL, 8);
	if (v > 07777)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_tmpfs_size(const char *s, uint64_t *ret, const char *what, char *why, size_t size)
{
	if (size_parse(s, ret) < 0)
		return refuse(why, size, "%s '%s' is not a size: give bytes, or a number with a K, M "
			      "or G suffix (64M)", what, s);
	return 0;
}

static int parse_tmpfs_mode(const char *s, uint32_t *ret, const char *what, char *why, size_t size)
{
	if (parse_mode(s, ret) < 0)
		return refuse(why, size, "%s '%s' is not a mode: give octal digits up to 7777 (1777)",
			      what, s);
	return 0;
}

static void spec_init(struct mount_spec *m, enum mount_type type)
{
	*m = (struct mount_spec){ .type = type, .fd = -1, .readonly = type == MOUNT_BIND,
				  .mode = MOUNT_TMPFS_MODE_DEFAULT };
}

/* The options after -v's destination: ro or rw, comma-separated. */
static int volume_options(struct mount_spec *m, char *opts, char *why, size_t size)
{
	bool ro = false, rw = false;
	char *save = NULL;

	if (!*opts)
		return refuse(why, size, "no options after the last ':' (ro or rw)");
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0)
			ro = true;
		else if (strcmp(o, "rw") == 0)
			rw = true;
		else
			return refuse(why, size, "unknown option '%s': rvisor knows ro and rw", o);
	}
	if (ro && rw)
		return refuse(why, size, "ro and rw contradict each other");
	if (!ro && !rw)
		return refuse(why, size, "empty option (ro or rw)");
	m->readonly = !rw;
	return 0;
}

int mount_parse_volume(const char *arg, struct mount_spec *ret, char *why, size_t why_size)
{
	_cleanup_(mount_spec_done) struct mount_spec m;
	_cleanup_free_ char *copy = strdup(arg ?: "");
	char *dst, *opts;
	int r;

	spec_init(&m, MOUNT_BIND);
	spec_init(ret, MOUNT_BIND);
	if (!copy)
		return -ENOMEM;
	dst = strchr(copy, ':');
	if (!dst)
		return refuse(why, why_size, "an anonymous volume: rvisor has no volumes, give SRC:DST");
	*dst++ = '\0';
	opts = strchr(dst, ':');
	if (opts) {
		*opts++ = '\0';
		if (strchr(opts, ':'))
			return refuse(why, why_size, "too many ':': use SRC:DST or SRC:DST:OPTIONS");
	}
	r = set_source(&m, copy, why, why_size);
	if (r >= 0)
		r = set_destination(&m, dst, "destination", why, why_size);
	if (r >= 0 && opts)
		r = volume_options(&m, opts, why, why_size);
	if (r < 0)
		return r;
	*ret = m;
	spec_init(&m, MOUNT_BIND);
	return 0;
}

/* docker's booleans (Go's strconv.ParseBool). */
static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*ret = strcmp(s, yes[i]) == 0;
			return 0;
		}
	return -EINVAL;
}

/* What --mount's keys said, before the type decides what they mean. */
struct mount_keys {
	const char *type, *source, *destination, *size, *mode, *propagation;
	int readonly; /* -1: not said */
};

static int mount_key(struct mount_keys *k, const char *key, const char *value, char *why, size_t size)
{
	bool b = true;

	if (strcmp(key, "type") == 0)
		k->type = value;
	else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0)
		k->source = value;
	else if (strcmp(key, "destination") == 0 || strcmp(key, "dst") == 0 || strcmp(key, "target") == 0)
		k->destination = value;
	else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
		if (value && parse_bool(value, &b) < 0)
			return refuse(why, size, "%s='%s' is not a boolean (true or false)", key, value);
		k->readonly = b;
	} else if (strcmp(key, "rw") == 0) {
		if (value)
			return refuse(why, size, "rw takes no value (or use readonly=false)");
		k->readonly = 0;
	} else if (strcmp(key, "tmpfs-size") == 0)
		k->size = value;
	else if (strcmp(key, "tmpfs-mode") == 0)
		k->mode = value;
	else if (strcmp(key, "bind-propagation") == 0)
		k->propagation = value;
	else if (strncmp(key, "volume-", 7) == 0)
		return refuse(why, size, "%s: rvisor has no volumes", key);
	else
		return refuse(why, size, "unknown or unsupported key '%s'", key);
	/* Only the flags may come without a value. */
	if (!value && strcmp(key, "readonly") != 0 && strcmp(key, "ro") != 0 && strcmp(key, "rw") != 0)
		return refuse(why, size, "%s needs a value (%s=...)", key, key);
	return 0;
}

static int mount_from_keys(const struct mount_keys *k, struct mount_spec *m, char *why, size_t size)
{
	enum mount_type t = mount_type_from_string(k->type);
	int r;

	if (!k->type)
		return refuse(why, size, "no type: give type=bind or type=tmpfs");
	if (strcmp(k->type, "volume") == 0)
		return refuse(why, size, "type=volume: rvisor has no volumes (type=bind or type=tmpfs)");
	if (t < 0)
		return refuse(why, size, "unknown type '%s': give type=bind or type=tmpfs", k->type);
	spec_init(m, t);
	if (!k->destination)
		return refuse(why, size, "no destination (destination=, dst= or target=)");
	if (t == MOUNT_BIND && (k->size || k->mode))
		return refuse(why, size, "tmpfs-size and tmpfs-mode are for type=tmpfs");
	if (t == MOUNT_TMPFS && (k->source || k->propagation))
		return refuse(why, size, "a tmpfs has no source nor bind-propagation");
	if (k->propagation && strcmp(k->propagation, "private") != 0 && strcmp(k->propagation, "rprivate") != 0)
		return refuse(why, size, "bind-propagation=%s: a sandbox's mounts are always private "
			      "(private or rprivate)", k->propagation);
	if (t == MOUNT_BIND && !k->source)
		return refuse(why, size, "no source (source= or src=)");
	r = t == MOUNT_BIND ? set_source(m, k->source, why, size) : 0;
	if (r >= 0)
		r = set_destination(m, k->destination, "destination", why, size);
	if (r >= 0 && k->size)
		r = parse_tmpfs_size(k->size, &m->size, "tmpfs-size", why, size);
	if (r >= 0 && k->mode)
		r = parse_tmpfs_mode(k->mode, &m->mode, "tmpfs-mode", why, size);
	if (r >= 0 && k->readonly >= 0)
		m->readonly = k->readonly;
	return r;
}

int mount_parse_mount(const char *arg, struct mount_spec *ret, char *why, size_t why_size)
{
	_cleanup_(mount_spec_done) struct mount_spec m;
	_cleanup_free_ char *copy = strdup(arg ?: "");
	struct mount_keys k = { .readonly = -1 };
	char *save = NULL;
	int r;

	spec_init(&m, MOUNT_BIND);
	spec_init(ret, MOUNT_BIND);
	if (!copy)
		return -ENOMEM;
	if (!*copy)
		return refuse(why, why_size, "it is empty: give type=bind,source=SRC,destination=DST");
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *value = strchr(kv, '=');

		if (value)
			*value++ = '\0';
		r = mount_key(&k, kv, value, why, why_size);
		if (r < 0)
			return r;
	}
	r = mount_from_keys(&k, &m, why, why_size);
	if (r < 0)
		return r;
	*ret = m;
	spec_init(&m, MOUNT_BIND);
	return 0;
}

/* One of --tmpfs's options. */
static int tmpfs_option(struct mount_spec *m, const char *o, char *why, size_t size)
{
	if (strncmp(o, "size=", 5) == 0)
		return parse_tmpfs_size(o + 5, &m->size, "size", why, size);
	if (strncmp(o, "mode=", 5) == 0)
		return parse_tmpfs_mode(o + 5, &m->mode, "mode", why, size);
	if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
		m->readonly = o[1] == 'o';
	else if (strcmp(o, "exec") == 0 || strcmp(o, "suid") == 0 || strcmp(o, "dev") == 0)
		return refuse(why, size, "%s: a sandbox's tmpfs is always noexec, nosuid and nodev", o);
	else if (strcmp(o, "noexec") != 0 && strcmp(o, "nosuid") != 0 && strcmp(o, "nodev") != 0)
		return refuse(why, size, "unknown option '%s': rvisor knows size=, mode=, ro, rw, "
			      "noexec, nosuid and nodev", o);
	return 0;
}

int mount_parse_tmpfs(const char *arg, struct mount_spec *ret, char *why, size_t why_size)
{
	_cleanup_(mount_spec_done) struct mount_spec m;
	_cleanup_free_ char *copy = strdup(arg ?: "");
	char *opts, *save = NULL;
	int r;

	spec_init(&m, MOUNT_TMPFS);
	spec_init(ret, MOUNT_TMPFS);
	if (!copy)
		return -ENOMEM;
	opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	r = set_destination(&m, copy, "destination", why, why_size);
	if (r < 0)
		return r;
	if (opts && !*opts)
		return refuse(why, why_size, "no options after ':'");
	for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		r = tmpfs_option(&m, o, why, why_size);
		if (r < 0)
			return r;
	}
	*ret = m;
	spec_init(&m, MOUNT_TMPFS);
	return 0;
}

int mounts_check_list(const struct mount_spec *m, size_t n, const char **ret_destination)
{
	if (n > MOUNTS_MAX) {
		*ret_destination = NULL;
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(m[i].destination, m[j].destination) == 0) {
				*ret_destination = m[i].destination;
				return -EEXIST;
			}
	return 0;
}

static size_t depth(const char *path)
{
	size_t n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

void mounts_sort(struct mount_spec *m, size_t n)
{
	/* Insertion sort: stable, and n is at most MOUNTS_MAX. */
	for (size_t i = 1; i < n; i++) {
		struct mount_spec x = m[i];
		size_t j = i;

		for (; j > 0 && depth(m[j - 1].destination) > depth(x.destination); j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

json_object *mount_spec_to_json(const struct mount_spec *m, int fd_index)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(mount_type_to_string(m->type)));
	json_object_object_add(o, "destination", json_object_new_string(m->destination));
	json_object_object_add(o, "readonly", json_object_new_boolean(m->readonly));
	if (m->type == MOUNT_BIND)
		json_object_object_add(o, "fd", json_object_new_int(fd_index));
	if (m->type == MOUNT_TMPFS && m->size)
		json_object_object_add(o, "size", json_object_new_int64((int64_t)m->size));
	if (m->type == MOUNT_TMPFS)
		json_object_object_add(o, "mode", json_object_new_int((int)m->mode));
	return o;
}

/* o's member key: absent or null gives 0 (and leaves *ret), the wrong type -EINVAL. */
static int json_member(json_object *o, const char *key, json_type type, json_object **ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, type))
		return -EINVAL;
	*ret = v;
	return 1;
}

/* The members a Mount object may have: anything else is an error, not to be ignored (a
 * newer client's option that this rvisord would silently drop). */
static bool members_known(json_object *o)
{
	static const char *const known[] = { "type", "destination", "readonly", "fd", "size", "mode" };

	json_object_object_foreach(o, key, value) {
		size_t i = 0;

		(void)value;
		while (i < ARRAY_SIZE(known) && strcmp(key, known[i]) != 0)
			i++;
		if (i == ARRAY_SIZE(known))
			return false;
	}
	return true;
}

static int bind_from_json(json_object *o, unsigned first_fd, unsigned n_fds, struct mount_spec *m,
			  const char **ret_reason)
{
	json_object *v = NULL;
	int64_t index;

	if (json_member(o, "size", json_type_int, &v) != 0 || json_member(o, "mode", json_type_int, &v) != 0) {
		*ret_reason = "size and mode are for a tmpfs";
		return -EINVAL;
	}
	if (json_member(o, "fd", json_type_int, &v) <= 0) {
		*ret_reason = "a bind needs fd, the index of its source's descriptor";
		return -EINVAL;
	}
	index = json_object_get_int64(v);
	if (index < (int64_t)first_fd || index >= (int64_t)n_fds) {
		*ret_reason = "fd is not the index of one of the call's descriptors for mounts";
		return -EINVAL;
	}
	m->fd = (int)index;
	return 0;
}

static int tmpfs_from_json(json_object *o, struct mount_spec *m, const char **ret_reason)
{
	json_object *v = NULL;
	int r;

	if (json_member(o, "fd", json_type_int, &v) != 0) {
		*ret_reason = "a tmpfs has no source descriptor";
		return -EINVAL;
	}
	r = json_member(o, "size", json_type_int, &v);
	if (r > 0 && json_object_get_int64(v) <= 0)
		r = -EINVAL;
	if (r < 0) {
		*ret_reason = "size must be a positive number of bytes";
		return r;
	}
	if (r > 0)
		m->size = (uint64_t)json_object_get_int64(v);
	r = json_member(o, "mode", json_type_int, &v);
	if (r > 0 && (json_object_get_int64(v) < 0 || json_object_get_int64(v) > 07777))
		r = -EINVAL;
	if (r < 0) {
		*ret_reason = "mode must be a file mode from 0 to 07777";
		return r;
	}
	if (r > 0)
		m->mode = (uint32_t)json_object_get_int64(v);
	return 0;
}

int mount_spec_from_json(json_object *o, unsigned first_fd, unsigned n_fds, struct mount_spec *ret,
			 const char **ret_reason)
{
	_cleanup_(mount_spec_done) struct mount_spec m;
	json_object *type = NULL, *dst = NULL, *ro = NULL;
	enum mount_type t;
	int r;

	spec_init(&m, MOUNT_BIND);
	spec_init(ret, MOUNT_BIND);
	if (!json_object_is_type(o, json_type_object) || !members_known(o)) {
		*ret_reason = "not a Mount object (type, destination, readonly, fd, size, mode)";
		return -EINVAL;
	}
	if (json_member(o, "type", json_type_string, &type) <= 0 ||
	    (t = mount_type_from_string(json_object_get_string(type))) < 0) {
		*ret_reason = "type must be \"bind\" or \"tmpfs\"";
		return -EINVAL;
	}
	spec_init(&m, t);
	if (json_member(o, "destination", json_type_string, &dst) <= 0 ||
	    strlen(json_object_get_string(dst)) != (size_t)json_object_get_string_len(dst)) {
		*ret_reason = "no destination, or one with a NUL byte";
		return -EINVAL;
	}
	r = mount_destination_check(json_object_get_string(dst), ret_reason);
	if (r < 0)
		return r;
	m.destination = strdup(json_object_get_string(dst));
	if (!m.destination)
		return -ENOMEM;
	if (json_member(o, "readonly", json_type_boolean, &ro) < 0) {
		*ret_reason = "readonly must be a boolean";
		return -EINVAL;
	}
	if (ro)
		m.readonly = json_object_get_boolean(ro);
	r = t == MOUNT_BIND ? bind_from_json(o, first_fd, n_fds, &m, ret_reason)
			    : tmpfs_from_json(o, &m, ret_reason);
	if (r < 0)
		return r;
	*ret = m;
	spec_init(&m, MOUNT_BIND);
	return 0;
}
