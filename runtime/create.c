/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * create and run: the bundle's config.json rewritten for rvisor's layers (what rvisord's
 * PrepareContainer asks for), written to rvisor-runc's own state directory, and crun run on
 * it with --config. Whatever fails before crun runs leaves nothing behind; after, crun cleans
 * up its own, and the rewritten file goes once crun returns (crun keeps its own copy).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-util.h"
#include "mkdir.h"
#include "runtime.h"

/* The hook's message file: a line or two. */
#define HOOK_MESSAGE_MAX 4096

struct create_ctx {
	const char *id;
	char *bundle;        /* absolute */
	char *config_path;   /* the engine's: BUNDLE/config.json or its --config */
	json_object *config;
	struct runc_prepared prepared;
	char *state_dir;
	char *rewritten;     /* ID@XXXXXX.json in state_dir, removed at the end */
	char *error_file;    /* ID@XXXXXX.err, the hook's message, removed at the end */
};

static void create_ctx_done(struct create_ctx *c)
{
	if (c->rewritten)
		(void)unlink(c->rewritten);
	if (c->error_file)
		(void)unlink(c->error_file);
	free(c->bundle);
	free(c->config_path);
	json_object_put(c->config);
	runc_prepared_done(&c->prepared);
	free(c->state_dir);
	free(c->rewritten);
	free(c->error_file);
}

/* Reads and parses the engine's config.json. Logs failures. */
static int read_config(struct create_ctx *c, const char *config_flag)
{
	_cleanup_free_ char *text = NULL, *msg = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (config_flag && config_flag[0] == '/')
		c->config_path = strdup(config_flag);
	else if (asprintf(&c->config_path, "%s/%s", c->bundle, config_flag ?: "config.json") < 0)
		c->config_path = NULL;
	if (!c->config_path)
		return runc_oom();

	fd = open(c->config_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return runc_error_errno(-errno, "cannot create container %s: cannot open %s: %m", c->id,
					c->config_path);
	if (fstat(fd, &st) < 0)
		return runc_error_errno(-errno, "cannot create container %s: cannot read %s: %m", c->id,
					c->config_path);
	if (!S_ISREG(st.st_mode))
		return runc_error_errno(-EINVAL, "cannot create container %s: %s is not a regular file", c->id,
					c->config_path);
	r = cli_read_text(fd, RUNC_CONFIG_MAX, &text);
	if (r == -EFBIG)
		return runc_error_errno(r, "cannot create container %s: %s is larger than %u bytes", c->id,
					c->config_path, RUNC_CONFIG_MAX);
	if (r == -EBADMSG)
		return runc_error_errno(r, "cannot create container %s: %s is not valid JSON: it contains a "
					"NUL byte", c->id, c->config_path);
	if (r < 0)
		return runc_error_errno(r, "cannot create container %s: cannot read %s: %m", c->id, c->config_path);
	r = runc_config_parse(text, strlen(text), &c->config, &msg);
	if (r == -ENOMEM)
		return runc_oom();
	if (r < 0)
		return runc_error_errno(r, "cannot create container %s: %s is not valid JSON: %s", c->id,
					c->config_path, msg ?: "parse error");
	return 0;
}

/* A new file in the state directory, "ID@XXXXXX" + suffix, 0600. Logs failures. */
static int new_state_file(struct create_ctx *c, const char *suffix, char **ret_path, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/%s@XXXXXX%s", c->state_dir, c->id, suffix) < 0)
		return runc_oom();
	fd = mkostemps(path, (int)strlen(suffix), O_CLOEXEC);
	if (fd < 0)
		return runc_error_errno(-errno, "cannot create container %s: cannot create a file in %s: %m",
					c->id, c->state_dir);
	*ret_path = TAKE_PTR(path);
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* This binary's absolute path, for the hook. A binary replaced since it started (a package
 * upgrade) is named by the path it had, where the new one now is. */
static int self_path(char **ret)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	static const char deleted[] = " (deleted)";
	size_t len;

	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(buf) - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	len = (size_t)n;
	if (len > strlen(deleted) && strcmp(buf + len - strlen(deleted), deleted) == 0)
		buf[len - strlen(deleted)] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* Writes the rewritten config.json into the state directory. Logs failures. */
static int write_rewritten(struct create_ctx *c, const char *crun_root)
{
	_cleanup_free_ char *seccomp = NULL, *msg = NULL, *self = NULL, *socket = NULL;
	_cleanup_close_ int fd = -1;
	struct runc_hook_spec hook = {};
	const char *text;
	int r;

	r = runc_state_dir(crun_root, &c->state_dir);
	if (r == -ENXIO)
		return runc_error_errno(r, "cannot create container %s: XDG_RUNTIME_DIR is not set: rvisor-runc "
					"keeps its state there when not run as root", c->id);
	if (r == -ENOMEM)
		return runc_oom();
	if (r < 0)
		return runc_error_errno(r, "cannot create container %s: cannot find rvisor-runc's state "
					"directory: %m", c->id);
	r = mkdir_p(c->state_dir, 0700);
	if (r < 0)
		return runc_error_errno(r, "cannot create container %s: cannot create %s: %m", c->id, c->state_dir);

	if (c->prepared.layers & RUNC_LAYER_SECCOMP) {
		r = runc_seccomp_data(c->config, c->prepared.seccomp_bpf, &seccomp, &msg);
		if (r == -ENOMEM)
			return runc_oom();
		if (r < 0)
			return runc_error_errno(r, "cannot create container %s: the seccomp profile in %s cannot "
						"be combined with policy %s: %s", c->id, c->config_path,
						c->prepared.policy, msg ?: "unknown reason");
	}
	if (c->prepared.layers & RUNC_LAYER_KERNEL) {
		r = self_path(&self);
		if (r < 0)
			return runc_error_errno(r, "cannot create container %s: cannot find rvisor-runc's own "
						"path (/proc/self/exe) for its hook: %m", c->id);
		if (runc_socket_overridden()) {
			_cleanup_free_ char *cwd = getcwd(NULL, 0);

			r = cli_path_absolute(runc_socket_address(), cwd ?: "/", &socket);
			if (r < 0)
				return runc_error_errno(r, "cannot create container %s: cannot make %s absolute: %m",
							c->id, runc_socket_address());
		}
		r = new_state_file(c, ".err", &c->error_file, NULL);
		if (r < 0)
			return r;
		hook = (struct runc_hook_spec){ .path = self, .socket = socket, .error_file = c->error_file,
						.engine_seccomp = runc_config_engine_seccomp(c->config) };
	}

	r = runc_config_rewrite(c->config, &c->prepared, seccomp, &hook, &msg);
	if (r == -ENOMEM)
		return runc_oom();
	if (r < 0)
		return runc_error_errno(r, "cannot create container %s: %s: %s", c->id, c->config_path,
					msg ?: "invalid");

	r = new_state_file(c, ".json", &c->rewritten, &fd);
	if (r < 0)
		return r;
	text = json_object_to_json_string_ext(c->config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return runc_oom();
	r = write_all(fd, text, strlen(text));
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r < 0)
		return runc_error_errno(r, "cannot create container %s: cannot write %s: %m", c->id, c->rewritten);
	runc_debug("container %s: policy %s, layers %s, config %s", c->id, c->prepared.policy,
		   runc_layers_annotation(c->prepared.layers), c->rewritten);
	return 0;
}

/* After a failed create: the hook's own message, which crun does not show (it sends hooks'
 * output to /dev/null), as rvisor-runc's last error. Whether there was one. */
static bool report_hook_message(const struct create_ctx *c)
{
	_cleanup_free_ char *text = NULL, *shown = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!c->error_file)
		return false;
	fd = open(c->error_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	if (cli_read_text(fd, HOOK_MESSAGE_MAX, &text) < 0)
		return false;
	len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len == 0)
		return false;
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	shown = cli_escape(text);
	runc_error("%s", shown ?: text);
	return true;
}

int runc_cmd_create(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[])
{
	_cleanup_(create_ctx_done) struct create_ctx c = {};
	_cleanup_free_ char *msg = NULL, *crun_root = NULL, *policy = NULL, *config_opt = NULL;
	_cleanup_free_ char **crun_argv = NULL;
	struct runc_args a = {};
	const char *id, *p, *config_flag;
	bool run = strcmp(cmd->name, "run") == 0;
	int r, status = 1;

	r = runc_args_parse(cmd->options, argc, argv, g->command + 1, false, &a, &msg);
	if (r == -ENOMEM)
		return runc_oom();
	if (r < 0)
		return runc_error_errno(r, "%s: %s: see '%s %s --help'", cmd->name, msg, RUNC_NAME, cmd->name);
	if (runc_args_has(&a, OPT_HELP)) {
		runc_args_done(&a);
		return runc_crun_exec(argv);
	}
	if (runc_args_n_positional(&a) != 1) {
		runc_args_done(&a);
		return runc_error_errno(-EINVAL, "%s needs exactly one argument, the container id: %s %s [OPTIONS] ID",
					cmd->name, RUNC_NAME, cmd->name);
	}
	id = runc_args_positional(&a, 0);
	if (!runc_container_id_valid(id)) {
		_cleanup_free_ char *shown = cli_escape(id);

		runc_args_done(&a);
		return runc_error_errno(-EINVAL, "invalid container id format: %s: use letters, digits, '_', '+', "
					"'-' and '.'", shown ?: "?");
	}
	if (runc_args_grouped(argv, &a, OPT_CONFIG)) {
		runc_args_done(&a);
		return runc_error_errno(-EINVAL, "%s: give -f on its own, not grouped with other options", cmd->name);
	}
	c.id = id;
	config_flag = runc_args_value(&a, OPT_CONFIG);

	p = runc_args_value(&a, OPT_BUNDLE) ?: ".";
	c.bundle = realpath(p, NULL);
	if (!c.bundle) {
		r = runc_error_errno(-errno, "cannot create container %s: cannot open bundle %s: %m", id, p);
		goto out;
	}
	r = read_config(&c, config_flag);
	if (r < 0)
		goto out;
	r = runc_config_policy(c.config, &p);
	if (r < 0) {
		r = runc_error_errno(r, "cannot create container %s: %s: the annotation " ANNOTATION_POLICY
				     " must be a string (and annotations an object)", id, c.config_path);
		goto out;
	}
	if (p && !(policy = strdup(p))) {
		r = runc_oom();
		goto out;
	}
	r = runc_crun_root(g->root, &crun_root);
	if (r < 0) {
		r = runc_error_errno(r, "cannot create container %s: cannot make --root absolute: %m", id);
		goto out;
	}
	/* crun would refuse it too, but only after rvisord and the hook had been asked. */
	if (runc_container_exists(crun_root, id) > 0) {
		r = runc_error_errno(-EEXIST, "container with id exists: %s", id);
		goto out;
	}

	r = rvisord_prepare(id, policy, runc_config_engine_seccomp(c.config), &c.prepared);
	if (r < 0)
		goto out;
	r = write_rewritten(&c, crun_root);
	if (r < 0)
		goto out;

	if (asprintf(&config_opt, "--config=%s", c.rewritten) < 0) {
		config_opt = NULL;
		r = runc_oom();
		goto out;
	}
	/* The engine's own --config named the file read instead of config.json: crun gets ours. */
	r = runc_rebuild_argv(argv, argc, g->command, &a, OPT_CONFIG, config_opt, &crun_argv);
	if (r < 0) {
		r = runc_oom();
		goto out;
	}
	r = runc_crun_run(crun_argv, &status);
	if (r < 0)
		goto out;
	/* crun's own failures are 255; runc's, and so rvisor-runc's, are 1. A run's status is its
	 * container's, unless the hook failed (then it never ran). */
	if (status != 0 && (report_hook_message(&c) || !run))
		status = 1;
	/* A run in the foreground has ended, and crun has deleted the container. */
	if (run && !runc_args_has(&a, OPT_DETACH) && (c.prepared.layers & RUNC_LAYER_KERNEL)) {
		bool had;

		(void)rvisord_release(id, true, &had);
	}
out:
	runc_args_done(&a);
	if (r < 0)
		return 1;
	return status;
}
