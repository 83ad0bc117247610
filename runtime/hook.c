/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisor-runc hook: the createRuntime hook rvisor-runc adds to a container whose policy has
 * the kernel layer. crun runs it once the container's namespaces exist and before the
 * container's process runs anything of its own; it binds the container's pid namespace to a
 * kernel sandbox through rvisord (BindContainer, with a pidfd of the container's init). Any
 * failure exits non-zero, so crun fails the create and removes the container: a container
 * whose policy needs the kernel layer never runs unbound.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli-util.h"
#include "json-util.h"
#include "runtime.h"

/* The OCI state crun writes on the hook's stdin: small. */
#define STATE_MAX (1024 * 1024)

struct hook_state {
	const char *id, *bundle, *policy;
	pid_t pid;
};

/* Reads the fields of the OCI state the hook needs (borrowed from state). -EINVAL. */
static int parse_state(json_object *state, struct hook_state *ret)
{
	json_object *annotations = NULL;
	int64_t pid;

	if (json_get_string(state, "id", &ret->id) < 0 || json_get_int(state, "pid", &pid) < 0)
		return -EINVAL;
	if (pid <= 0 || pid > INT32_MAX)
		return -EINVAL;
	ret->pid = (pid_t)pid;
	if (json_get_string(state, "bundle", &ret->bundle) < 0 || ret->bundle[0] != '/')
		return -EINVAL;
	ret->policy = NULL;
	if (json_get_object(state, "annotations", &annotations) == -EBADMSG ||
	    json_get_string(annotations, ANNOTATION_POLICY, &ret->policy) == -EBADMSG)
		return -EINVAL;
	return 0;
}

/* The container's command, hostname and domainname from the bundle's config.json, for
 * rvisord's listing and the sandbox's own uname. Logs failures. */
static int read_bundle(const struct hook_state *s, json_object **ret_config)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *msg = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&path, "%s/config.json", s->bundle) < 0)
		return runc_oom();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return runc_error_errno(-errno, "hook: cannot open %s: %m", path);
	r = cli_read_text(fd, RUNC_CONFIG_MAX, &text);
	if (r < 0)
		return runc_error_errno(r, "hook: cannot read %s: %m", path);
	r = runc_config_parse(text, strlen(text), ret_config, &msg);
	if (r == -ENOMEM)
		return runc_oom();
	if (r < 0)
		return runc_error_errno(r, "hook: %s is not valid JSON: %s", path, msg ?: "parse error");
	return 0;
}

int runc_cmd_hook(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[])
{
	_cleanup_free_ char *msg = NULL, *text = NULL;
	_cleanup_close_ int pidfd = -1;
	struct runc_args a = {};
	json_object *state = NULL, *config = NULL, *command = NULL;
	const char *socket, *hostname, *domainname;
	struct hook_state s;
	bool engine_seccomp;
	int r;

	r = runc_args_parse(cmd->options, argc, argv, g->command + 1, false, &a, &msg);
	if (r == -ENOMEM)
		return runc_oom(), 1;
	if (r < 0) {
		runc_error("hook: %s", msg);
		return 1;
	}
	runc_log_setup(NULL, false, runc_args_value(&a, OPT_ERROR_FILE), false);
	socket = runc_args_value(&a, OPT_SOCKET) ?: runc_socket_address();
	engine_seccomp = runc_args_has(&a, OPT_ENGINE_SECCOMP);
	if (runc_args_n_positional(&a) != 0 || runc_args_has(&a, OPT_HELP)) {
		runc_args_done(&a);
		runc_error("hook: rvisor-runc runs this itself, as a container's createRuntime hook, with the "
			   "OCI state on stdin");
		return 1;
	}
	runc_args_done(&a);

	r = cli_read_text(STDIN_FILENO, STATE_MAX, &text);
	if (r < 0) {
		runc_error_errno(r, "hook: cannot read the container's state on stdin: %m");
		return 1;
	}
	r = runc_config_parse(text, strlen(text), &state, &msg);
	if (r < 0 || parse_state(state, &s) < 0) {
		runc_error("hook: the container's state on stdin is not the OCI state of a container (id, pid, "
			   "bundle): %s", msg ?: "a field is missing or of the wrong type");
		json_object_put(state);
		return 1;
	}
	if (!runc_container_id_valid(s.id)) {
		runc_error("hook: invalid container id in the state on stdin");
		json_object_put(state);
		return 1;
	}

	/* The init waits for crun meanwhile, so pid names it and no recycled process. */
	pidfd = (int)syscall(SYS_pidfd_open, s.pid, 0);
	if (pidfd < 0) {
		r = runc_error_errno(-errno, "cannot bind container %s to an rvisor sandbox: cannot open its "
				     "init (pid %d): %m", s.id, (int)s.pid);
		goto out;
	}
	r = read_bundle(&s, &config);
	if (r < 0)
		goto out;
	r = runc_config_process_info(config, &command, &hostname, &domainname);
	if (r < 0) {
		r = runc_error_errno(r, "cannot bind container %s to an rvisor sandbox: %s/config.json: "
				     "process.args, hostname or domainname is of the wrong type", s.id, s.bundle);
		goto out;
	}
	r = rvisord_bind(socket, s.id, s.policy, s.bundle, command, hostname, domainname, engine_seccomp, pidfd);
out:
	json_object_put(command);
	json_object_put(config);
	json_object_put(state);
	return r < 0 ? 1 : 0;
}
