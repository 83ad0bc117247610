/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord.conf: defaults, parsing (lib/ini-file.c's dialect, as the policies') and validation
 * of every key. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "number.h"
#include "container.h"
#include "ini-file.h"
#include "logstore.h"
#include "log.h"
#include "policy.h"

static const char *const config_keys[] = {
	"socket_path", "socket_group", "state_dir", "policy_dir", "default_policy", "container_policy",
	"idle_timeout", "setup_timeout", "max_sandboxes", "max_sandboxes_per_user", "max_connections_per_user",
	"log_level", "log_size",
};

static int config_set_string(char **field, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int config_defaults(struct rvisord_config *c)
{
	memset(c, 0, sizeof(*c));
	c->idle_timeout_usec = 60 * 1000000ULL;
	c->setup_timeout_usec = CONTAINER_SETUP_TIMEOUT_MS * 1000ULL;
	c->max_sandboxes = 256;
	c->max_sandboxes_per_user = 32;
	c->max_connections_per_user = 64;
	c->log_level = LOG_INFO;
	c->log_size = 1024 * 1024;
	if (config_set_string(&c->socket_path, "/run/rvisor/io.rvisor.Manager") < 0 ||
	    config_set_string(&c->socket_group, "rvisor") < 0 ||
	    config_set_string(&c->state_dir, "/run/rvisor/sandboxes") < 0 ||
	    config_set_string(&c->policy_dir, POLICY_DIR_DEFAULT) < 0 ||
	    config_set_string(&c->default_policy, "default") < 0)
		return -ENOMEM;
	return 0;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* One key: 0, or logs "PATH: [rvisord] key=value: why" and returns -EINVAL. */
static int config_apply(struct rvisord_config *c, const char *path, const char *key, const char *value)
{
	unsigned long long v;
	const char *why = NULL;
	int r;

	if (strcmp(key, "log_level") == 0) {
		r = log_level_from_string(value);
		if (r < 0)
			why = "not one of err, warning, notice, info, debug";
		else
			c->log_level = r;
	} else if (strcmp(key, "log_size") == 0) {
		uint64_t size;

		if (size_parse(value, &size) < 0 || size < LOG_SIZE_MIN || size > LOG_SIZE_MAX)
			why = "not a size from 16K to 1G (bytes, or with a K, M or G suffix)";
		else
			c->log_size = size;
	} else if (strcmp(key, "idle_timeout") == 0) {
		if (parse_uint(value, 24ULL * 3600, &v) < 0)
			why = "not a number of seconds (0 to 86400; 0: never exit)";
		else
			c->idle_timeout_usec = v * 1000000ULL;
	} else if (strcmp(key, "setup_timeout") == 0) {
		if (parse_uint(value, 3600, &v) < 0 || v == 0)
			why = "not a number of seconds from 1 to 3600";
		else
			c->setup_timeout_usec = v * 1000000ULL;
	} else if (strcmp(key, "max_sandboxes") == 0) {
		if (parse_uint(value, RVISOR_MAX_SANDBOXES, &v) < 0 || v == 0)
			why = "not a number from 1 to 1024";
		else
			c->max_sandboxes = (unsigned)v;
	} else if (strcmp(key, "max_sandboxes_per_user") == 0) {
		if (parse_uint(value, RVISOR_MAX_SANDBOXES, &v) < 0 || v == 0)
			why = "not a number from 1 to 1024";
		else
			c->max_sandboxes_per_user = (unsigned)v;
	} else if (strcmp(key, "max_connections_per_user") == 0) {
		if (parse_uint(value, 65536, &v) < 0 || v < 2)
			why = "not a number from 2 to 65536 (a run needs two: one streams, one signals)";
		else
			c->max_connections_per_user = (unsigned)v;
	} else if (strcmp(key, "default_policy") == 0 || strcmp(key, "container_policy") == 0) {
		char **field = key[0] == 'd' ? &c->default_policy : &c->container_policy;

		if (!policy_name_valid(value))
			why = "not a policy name ([A-Za-z0-9_-], at most 64)";
		else if (config_set_string(field, value) < 0)
			return -ENOMEM;
	} else if (strcmp(key, "socket_group") == 0) {
		if (!*value)
			why = "empty";
		else if (config_set_string(&c->socket_group, value) < 0)
			return -ENOMEM;
	} else {
		char **field = strcmp(key, "socket_path") == 0 ? &c->socket_path :
			       strcmp(key, "state_dir") == 0	 ? &c->state_dir :
								   &c->policy_dir;
		if (value[0] != '/' || strlen(value) >= PATH_MAX)
			why = "not an absolute path";
		else if (config_set_string(field, value) < 0)
			return -ENOMEM;
	}
	if (why) {
		log_error("%s: [rvisord] %s=%s: %s", path, key, value, why);
		return -EINVAL;
	}
	return 0;
}

/* The reading of one file: where [rvisord] and each key were. */
struct config_parser {
	struct rvisord_config *c;
	const char *path;
	unsigned int section_line;
	unsigned int key_line[ARRAY_SIZE(config_keys)];
};

static int on_section(void *userdata, const char *name, unsigned int line)
{
	struct config_parser *p = userdata;

	if (strcmp(name, "rvisord") != 0) {
		log_error("%s:%u: unknown section [%s]; only [rvisord] is read", p->path, line, name);
		return -EINVAL;
	}
	if (p->section_line) {
		log_error("%s:%u: section [rvisord] appears twice (first at line %u)", p->path, line,
			  p->section_line);
		return -EINVAL;
	}
	p->section_line = line;
	return 0;
}

static int on_key(void *userdata, const char *key, char *value, unsigned int line)
{
	struct config_parser *p = userdata;
	size_t k;

	if (!p->section_line) {
		log_error("%s:%u: key '%s' before [rvisord]", p->path, line, key);
		return -EINVAL;
	}
	for (k = 0; k < ARRAY_SIZE(config_keys); k++)
		if (strcmp(key, config_keys[k]) == 0)
			break;
	if (k == ARRAY_SIZE(config_keys)) {
		log_error("%s: [rvisord] unknown key '%s' (line %u)", p->path, key, line);
		return -EINVAL;
	}
	if (p->key_line[k]) {
		log_error("%s: [rvisord] '%s' is set twice (lines %u and %u)", p->path, key, p->key_line[k],
			  line);
		return -EINVAL;
	}
	p->key_line[k] = line;
	return config_apply(p->c, p->path, key, value);
}

static const struct ini_file_ops config_ini_ops = { .section = on_section, .key = on_key };

/* Reads path's keys into c; logs what is wrong. */
static int config_read(const char *path, struct rvisord_config *c)
{
	struct config_parser p = { .c = c, .path = path };
	_cleanup_free_ char *syntax_error = NULL;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return log_error_errno(errno, "Cannot read configuration %s: %m", path);
	r = ini_file_parse(f, path, &config_ini_ops, &p, &syntax_error);
	fclose(f);
	if (r == -EINVAL && syntax_error)
		log_error("%s", syntax_error);
	else if (r < 0 && r != -EINVAL)
		log_error_errno(r, "Cannot read configuration %s: %m", path);
	return r;
}

int config_load(const char *path, struct rvisord_config *ret)
{
	struct rvisord_config c;
	int r;

	r = config_defaults(&c);
	if (r < 0) {
		config_done(&c);
		return log_error_errno(r, "Cannot set up the configuration: %m");
	}
	if (access(path, F_OK) < 0 && errno == ENOENT && strcmp(path, RVISORD_CONFIG_DEFAULT) == 0) {
		*ret = c;
		return 0;
	}
	r = config_read(path, &c);
	if (r < 0) {
		config_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void config_done(struct rvisord_config *c)
{
	free(c->socket_path);
	free(c->socket_group);
	free(c->state_dir);
	free(c->policy_dir);
	free(c->default_policy);
	free(c->container_policy);
	memset(c, 0, sizeof(*c));
}
