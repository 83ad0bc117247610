/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What run and exec share about the program they start (process.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "process.h"
#include "verbs.h"

#define ENV_FILE_MAX (1024 * 1024)

static int env_append(char ***env, size_t *n, char *entry)
{
	char **e = reallocarray(*env, *n + 1, sizeof(char *));

	if (!e) {
		free(entry);
		return -ENOMEM;
	}
	*env = e;
	(*env)[(*n)++] = entry;
	return 0;
}

/* -e: see process_option(). */
static int env_add(const char *verb, const char *arg, char ***env, size_t *n)
{
	char *entry = NULL;
	int r;

	r = cli_env_entry(arg, &entry);
	if (r == -EINVAL)
		return verb_usage_error(verb, "Invalid --env '%s': use KEY=VALUE, or KEY to pass "
					"rvisorctl's own value", arg);
	if (r >= 0 && entry)
		r = env_append(env, n, entry);
	if (r < 0) {
		log_error_errno(r, "Cannot add --env %s: %m", arg);
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

/* --env-file: see process_option(). */
static int env_file_add(const char *verb, const char *path, char ***env, size_t *n)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r;

	if (fd < 0) {
		log_error_errno(-errno, "Cannot read --env-file %s: %m", path);
		return EXIT_RUN_FAILED;
	}
	r = cli_read_text(fd, ENV_FILE_MAX, &text);
	if (r < 0) {
		log_error_errno(r == -EBADMSG ? -EINVAL : r, "Cannot read --env-file %s: %s", path,
				r == -EFBIG ? "larger than 1 MiB" : r == -EBADMSG ? "it holds a NUL byte" : strerror(-r));
		return EXIT_RUN_FAILED;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *entry = NULL;

		line[strcspn(line, "\r")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		r = cli_env_entry(line, &entry);
		if (r == -EINVAL)
			return verb_usage_error(verb, "Invalid line in --env-file %s: '%s': use KEY=VALUE, "
						"or KEY to pass rvisorctl's own value", path, line);
		if (r >= 0 && entry)
			r = env_append(env, n, entry);
		if (r < 0) {
			log_error_errno(r, "Cannot add --env-file %s's variables: %m", path);
			return EXIT_RUN_FAILED;
		}
	}
	return EXIT_OK;
}

/* -u UID[:GID] into *user, replacing what was there. */
static int user_arg(const char *verb, const char *arg, struct process_user *user)
{
	struct process_user u = { .set = true };

	if (cli_parse_user(arg, &u.uid, &u.gid, &u.has_gid) < 0)
		return verb_usage_error(verb, "Invalid --user '%s': use UID or UID:GID, as numbers", arg);
	*user = u;
	return EXIT_OK;
}

int process_option(const char *verb, int c, const char *arg, struct process_options *o)
{
	switch (c) {
	case 'e':
		return env_add(verb, arg, &o->env, &o->n_env);
	case PROCESS_OPTION_ENV_FILE:
		return env_file_add(verb, arg, &o->env, &o->n_env);
	case 'w':
		if (arg[0] != '/')
			return verb_usage_error(verb, "Invalid --workdir '%s': give an absolute path "
						"inside the sandbox", arg);
		o->workdir = arg;
		return EXIT_OK;
	case 'u':
		return user_arg(verb, arg, &o->user);
	case 'i':
		o->interactive = true;
		return EXIT_OK;
	case 't':
		o->tty = true;
		return EXIT_OK;
	default:
		return PROCESS_OPTION_OTHER;
	}
}

void process_options_done(struct process_options *o)
{
	for (size_t i = 0; i < o->n_env; i++)
		free(o->env[i]);
	free(o->env);
}

int process_tty_usage_check(const char *verb, const struct process_options *o)
{
	if (o->tty && !o->interactive)
		return verb_usage_error(verb, "-t needs -i: the terminal is passed as the command's "
					"stdin (use -it)");
	return EXIT_OK;
}

int process_tty_stdin_check(const struct process_options *o)
{
	if (o->tty && !isatty(STDIN_FILENO)) {
		log_error("-t: stdin is not a terminal: drop -t, or run from a terminal");
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

json_object *process_string_array(char *const *strv, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(strv[i]));
	return a;
}

void process_options_params(const struct process_options *o, json_object *params)
{
	if (o->n_env > 0)
		json_object_object_add(params, "env", process_string_array(o->env, o->n_env));
	if (o->workdir)
		json_object_object_add(params, "cwd", json_object_new_string(o->workdir));
	if (o->user.set) {
		json_object_object_add(params, "uid", json_object_new_int64(o->user.uid));
		if (o->user.has_gid)
			json_object_object_add(params, "gid", json_object_new_int64(o->user.gid));
	}
	if (o->tty)
		json_object_object_add(params, "tty", json_object_new_boolean(true));
}

/* fd itself when use_it and it is open, else a new /dev/null in *devnull. */
static int stdio_fd(int fd, bool use_it, int *devnull)
{
	if (use_it && fcntl(fd, F_GETFD) >= 0)
		return fd;
	*devnull = open("/dev/null", (fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY);
	if (*devnull < 0)
		return -errno;
	return *devnull;
}

int process_stdio_open(struct process_stdio *s, bool interactive)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		s->fds[fd] = stdio_fd(fd, fd != STDIN_FILENO || interactive, &s->devnull[fd]);
		if (s->fds[fd] < 0) {
			log_error_errno(s->fds[fd], "Cannot open /dev/null: %m");
			return EXIT_RUN_FAILED;
		}
	}
	return EXIT_OK;
}

void process_stdio_done(struct process_stdio *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->devnull); i++)
		s->devnull[i] = safe_close(s->devnull[i]);
}

int process_read_reply(VarlinkClient *c, const char *method, bool print, json_object **ret_reply,
		       const char **ret_state, bool *ret_continues)
{
	_cleanup_free_ char *error = NULL;
	json_object *reply = NULL;
	int r;

	r = varlink_client_read(c, &reply, &error, ret_continues);
	if (r < 0) {
		daemon_log_io_error(r);
		return EXIT_RUN_FAILED;
	}
	if (error) {
		daemon_log_error_reply(error, reply);
		json_object_put(reply);
		return EXIT_RUN_FAILED;
	}
	if (print)
		print_json(reply, false);
	if (json_get_string(reply, "state", ret_state) < 0) {
		json_object_put(reply);
		daemon_log_bad_reply(method);
		return EXIT_RUN_FAILED;
	}
	*ret_reply = reply;
	return EXIT_OK;
}

int process_exit_code(const char *method, const char *cmd, json_object *reply)
{
	int64_t exec_errno;
	int code;

	if (sandbox_exit_code(reply, &code) < 0) {
		daemon_log_bad_reply(method);
		return EXIT_RUN_FAILED;
	}
	/* The program could not be executed: say why (127 not found, 126 anything else). */
	if (json_get_int(reply, "exec_errno", &exec_errno) == 0) {
		if (exec_errno == ENOENT)
			log_error("%s: command not found in the image (check the path, or PATH with -e)", cmd);
		else
			log_error_errno((int)exec_errno, "Cannot execute %s: %m", cmd);
	}
	return code;
}
