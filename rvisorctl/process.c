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

int process_env_add(const char *verb, const char *arg, char ***env, size_t *n)
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

int process_env_file_add(const char *verb, const char *path, char ***env, size_t *n)
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

int process_user_arg(const char *verb, const char *arg, struct process_user *user)
{
	struct process_user u = { .set = true };

	if (cli_parse_user(arg, &u.uid, &u.gid, &u.has_gid) < 0)
		return verb_usage_error(verb, "Invalid --user '%s': use UID or UID:GID, as numbers", arg);
	*user = u;
	return EXIT_OK;
}

void process_user_params(const struct process_user *user, json_object *params)
{
	if (!user->set)
		return;
	json_object_object_add(params, "uid", json_object_new_int64(user->uid));
	if (user->has_gid)
		json_object_object_add(params, "gid", json_object_new_int64(user->gid));
}

int process_stdio_fd(int fd, bool use_it, int *devnull)
{
	if (use_it && fcntl(fd, F_GETFD) >= 0)
		return fd;
	*devnull = open("/dev/null", (fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY);
	if (*devnull < 0)
		return -errno;
	return *devnull;
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
