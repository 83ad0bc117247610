/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands rvisor-runc hands to crun, some after a look of its own: those naming a
 * container (runc's "container does not exist" when crun has none), delete (then the rvisor
 * sandbox is released), features (rvisor's annotations added) and --version. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-util.h"
#include "runtime.h"

#define CRUN_OUTPUT_MAX (1024 * 1024)

int runc_container_exists(const char *crun_root, const char *id)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/%s", crun_root, id) < 0)
		return -ENOMEM;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISDIR(st.st_mode) ? 1 : -ENOTDIR;
}

/* The container id a command names (its first argument), when its options parse; NULL
 * otherwise (crun then says what is wrong). *ret_args holds what was parsed. */
static const char *command_container(const struct runc_global *g, const struct runc_command *cmd, int argc,
				     char *argv[], struct runc_args *ret_args)
{
	_cleanup_free_ char *msg = NULL;

	if (!cmd->options || runc_args_parse(cmd->options, argc, argv, g->command + 1, false, ret_args, &msg) < 0)
		return NULL;
	if (runc_args_has(ret_args, OPT_HELP))
		return NULL;
	return runc_args_positional(ret_args, 0);
}

/* 1 when crun has no container id under its root (the message is logged), else 0. */
static int check_exists(const struct runc_global *g, const char *id)
{
	_cleanup_free_ char *root = NULL;

	if (!runc_container_id_valid(id)) {
		_cleanup_free_ char *shown = cli_escape(id);

		runc_error("invalid container id format: %s", shown ?: "?");
		return 1;
	}
	if (runc_crun_root(g->root, &root) < 0 || runc_container_exists(root, id) != 0)
		return 0;
	/* runc's words, which engines look for ("does not exist"). */
	runc_error("container %s does not exist", id);
	return 1;
}

int runc_cmd_container(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[])
{
	struct runc_args a = {};
	const char *id = command_container(g, cmd, argc, argv, &a);
	int r = id ? check_exists(g, id) : 0;

	runc_args_done(&a);
	if (r > 0)
		return 1;
	(void)runc_crun_exec(argv);
	return 1;
}

/* The layers the container was created with (its io.rvisor.layers annotation, from crun
 * state): RUNC_LAYER_*, 0 for a container created without rvisor, -errno when it cannot be
 * told. */
static int container_layers(char *full_argv[], int command, const char *id)
{
	_cleanup_free_ const char **args = calloc((size_t)command + 3, sizeof(char *));
	_cleanup_free_ char *out = NULL;
	json_object *state = NULL, *annotations, *v;
	const char *s;
	int r, status, layers = 0;

	if (!args)
		return -ENOMEM;
	for (int i = 0; i < command; i++)
		args[i] = full_argv[i];
	args[command] = "state";
	args[command + 1] = id;
	r = runc_crun_output(args, CRUN_OUTPUT_MAX, &out, &status);
	if (r < 0)
		return r;
	if (status != 0)
		return -ESRCH;
	state = json_tokener_parse(out);
	if (!state)
		return -EBADMSG;
	if (json_object_object_get_ex(state, "annotations", &annotations) &&
	    json_object_object_get_ex(annotations, ANNOTATION_LAYERS, &v) && json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strstr(s, "kernel"))
			layers |= RUNC_LAYER_KERNEL;
		if (strstr(s, "seccomp"))
			layers |= RUNC_LAYER_SECCOMP;
	}
	json_object_put(state);
	return layers;
}

/* The process JSON of exec --process, with noNewPrivileges set, in a memfd at fd min_fd or
 * above (inherited by crun, above the fds it passes on). Logs failures. */
static int process_file_nnp(const char *path, int min_fd, int *ret_fd)
{
	_cleanup_free_ char *text = NULL, *msg = NULL;
	_cleanup_close_ int fd = -1, mfd = -1;
	json_object *process = NULL;
	const char *out;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return runc_error_errno(-errno, "exec: cannot open --process %s: %m", path);
	r = cli_read_text(fd, RUNC_CONFIG_MAX, &text);
	if (r < 0)
		return runc_error_errno(r, "exec: cannot read --process %s: %m", path);
	r = runc_config_parse(text, strlen(text), &process, &msg);
	if (r == -ENOMEM)
		return runc_oom();
	if (r < 0)
		return runc_error_errno(r, "exec: --process %s is not valid JSON: %s", path, msg ?: "parse error");
	r = runc_process_force_nnp(process);
	out = r >= 0 ? json_object_to_json_string_ext(process, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
		     : NULL;
	if (r >= 0 && !out)
		r = -ENOMEM;
	if (r < 0) {
		json_object_put(process);
		return r == -ENOMEM ? runc_oom() : r;
	}
	mfd = memfd_create("rvisor-runc-process", MFD_CLOEXEC);
	if (mfd < 0)
		r = -errno;
	else
		for (size_t len = strlen(out), done = 0; done < len;) {
			ssize_t n = write(mfd, out + done, len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = -errno;
				break;
			}
			done += (size_t)n;
		}
	json_object_put(process);
	if (r < 0)
		return runc_error_errno(r, "exec: cannot pass the process on to crun: %m");
	/* F_DUPFD: the copy is inherited by crun. */
	r = fcntl(mfd, F_DUPFD, min_fd);
	if (r < 0)
		return runc_error_errno(-errno, "exec: cannot pass the process on to crun: %m");
	*ret_fd = r;
	return 0;
}

int runc_cmd_exec(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[])
{
	_cleanup_free_ char **crun_argv = NULL;
	struct runc_args a = {};
	const char *id = command_container(g, cmd, argc, argv, &a), *process, *preserve, *listen;
	char option[64];
	int layers, r, fd = -1, min_fd = 3;

	if (!id) {
		runc_args_done(&a);
		(void)runc_crun_exec(argv);
		return 1;
	}
	if (check_exists(g, id)) {
		runc_args_done(&a);
		return 1;
	}
	layers = container_layers(argv, g->command, id);
	if (layers < 0 || !(layers & RUNC_LAYER_SECCOMP)) {
		runc_args_done(&a);
		(void)runc_crun_exec(argv);
		return 1;
	}

	/* The seccomp layer: the process needs no_new_privs as the container's init had it
	 * (runc_process_force_nnp() says why). */
	process = runc_args_value(&a, OPT_PROCESS);
	if (!process)
		r = runc_rebuild_argv(argv, argc, g->command, &a, _OPT_KEY_MAX, "--no-new-privs", &crun_argv);
	else if (runc_args_grouped(argv, &a, OPT_PROCESS))
		r = runc_error_errno(-EINVAL, "exec: give -p on its own, not grouped with other options");
	else {
		preserve = runc_args_value(&a, OPT_PRESERVE_FDS);
		listen = getenv("LISTEN_FDS");
		min_fd += (preserve ? atoi(preserve) : 0) + (listen ? atoi(listen) : 0);
		r = process_file_nnp(process, min_fd < 3 ? 3 : min_fd, &fd);
		if (r >= 0) {
			snprintf(option, sizeof(option), "--process=/proc/self/fd/%d", fd);
			r = runc_rebuild_argv(argv, argc, g->command, &a, OPT_PROCESS, option, &crun_argv);
		}
	}
	runc_args_done(&a);
	if (r == -ENOMEM)
		return runc_oom(), 1;
	if (r < 0)
		return 1;
	(void)runc_crun_exec(crun_argv);
	return 1;
}

/* Rewritten configs a killed rvisor-runc left for the container (ID@XXXXXX.json, .err). */
static void remove_leftovers(const struct runc_global *g, const char *id)
{
	_cleanup_free_ char *root = NULL, *dir = NULL, *pattern = NULL;
	DIR *d;

	if (runc_crun_root(g->root, &root) < 0 || runc_state_dir(root, &dir) < 0 ||
	    asprintf(&pattern, "%s@??????.*", id) < 0)
		return;
	d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (fnmatch(pattern, e->d_name, FNM_PERIOD) == 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int runc_cmd_delete(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[])
{
	struct runc_args a = {};
	const char *id = command_container(g, cmd, argc, argv, &a);
	bool force = runc_args_has(&a, OPT_FORCE), had;
	int layers = -ENOENT, r, status;

	if (!id || runc_args_n_positional(&a) != 1) {
		/* --help, or arguments crun is to judge. */
		runc_args_done(&a);
		(void)runc_crun_exec(argv);
		return 1;
	}
	if (!force && check_exists(g, id)) {
		runc_args_done(&a);
		return 1;
	}
	if (runc_container_id_valid(id))
		layers = container_layers(argv, g->command, id);

	r = runc_crun_run(argv, &status);
	if (r < 0 || status != 0) {
		/* The container is still there (running, without --force): so is its sandbox. */
		runc_args_done(&a);
		return r < 0 ? 1 : status;
	}
	if (runc_container_id_valid(id)) {
		/* Only a container crun knew with the kernel layer has a sandbox to release. One crun
		 * never made (a failed create the engine cleans up after) or lost has no init left,
		 * and rvisord releases a sandbox whose init has exited by itself. */
		if (layers > 0 && (layers & RUNC_LAYER_KERNEL))
			(void)rvisord_release(id, true, &had);
		remove_leftovers(g, id);
	}
	runc_args_done(&a);
	return status;
}

/* crun's version text; NULL when crun cannot be run. */
static char *crun_version(int *ret_status)
{
	static const char *const args[] = { "crun", "--version", NULL };
	char *out = NULL;

	if (runc_crun_output(args, CRUN_OUTPUT_MAX, &out, ret_status) < 0)
		return NULL;
	return out;
}

int runc_version(void)
{
	_cleanup_free_ char *crun = NULL;
	int status = 1;

	printf("%s version %s\n", RUNC_NAME, RVISOR_VERSION);
	crun = crun_version(&status);
	if (crun && status == 0)
		fputs(crun, stdout);
	if (fflush(stdout) != 0 || ferror(stdout))
		return runc_error_errno(-EIO, "cannot write to stdout"), 1;
	if (!crun || status != 0) {
		runc_error("cannot run %s --version: install crun (apt install crun), or point RVISOR_RUNC_CRUN at it",
			   runc_crun_path());
		return 1;
	}
	return 0;
}

/* "1.8.1" from crun's "crun version 1.8.1"; the "spec: 1.0.0" line's value. */
static void version_field(const char *text, const char *prefix, char *buf, size_t size)
{
	const char *p = text;

	buf[0] = '\0';
	while (p && *p) {
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			p += strlen(prefix);
			snprintf(buf, size, "%.*s", (int)strcspn(p, " \n"), p);
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

int runc_cmd_features(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[])
{
	_cleanup_free_ const char **args = calloc((size_t)g->command + 2, sizeof(char *));
	_cleanup_free_ char *out = NULL, *version = NULL;
	json_object *f = NULL, *annotations;
	char crun_ver[64] = "", spec[64] = "";
	int r, status = 1, exit_code = 1;

	if (!args)
		return runc_oom(), 1;
	version = crun_version(&status);
	if (!version || status != 0) {
		runc_error("cannot run %s --version: install crun (apt install crun), or point RVISOR_RUNC_CRUN at it",
			   runc_crun_path());
		return 1;
	}
	version_field(version, "crun version ", crun_ver, sizeof(crun_ver));
	version_field(version, "spec: ", spec, sizeof(spec));

	for (int i = 0; i < g->command; i++)
		args[i] = argv[i];
	args[g->command] = "features";
	r = runc_crun_output(args, CRUN_OUTPUT_MAX, &out, &status);
	if (r >= 0 && status == 0)
		f = json_tokener_parse(out);
	if (f && !json_object_is_type(f, json_type_object)) {
		json_object_put(f);
		f = NULL;
	}
	if (!f) {
		/* A crun without "features" (before 1.9): what it is known to support. */
		f = json_object_new_object();
		if (!f)
			return runc_oom(), 1;
		json_object_object_add(f, "ociVersionMin", json_object_new_string("1.0.0"));
		json_object_object_add(f, "ociVersionMax", json_object_new_string(*spec ? spec : "1.0.0"));
	}
	if (!json_object_object_get_ex(f, "annotations", &annotations) ||
	    !json_object_is_type(annotations, json_type_object)) {
		annotations = json_object_new_object();
		json_object_object_add(f, "annotations", annotations);
	}
	json_object_object_add(annotations, ANNOTATION_VERSION, json_object_new_string(RVISOR_VERSION));
	if (*crun_ver)
		json_object_object_add(annotations, "io.rvisor.crun.version", json_object_new_string(crun_ver));
	puts(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(f);
	if (fflush(stdout) != 0 || ferror(stdout))
		runc_error("cannot write to stdout");
	else
		exit_code = 0;
	return exit_code;
}
