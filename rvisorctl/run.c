/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl run: starts a command in a new sandbox, forwards signals to it, exits with its status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager-errors.h"
#include "cli-util.h"
#include "client.h"
#include "cpus.h"
#include "log.h"
#include "mount-spec.h"
#include "policy.h"
#include "number.h"
#include "process.h"
#include "sandbox-name.h"
#include "verbs.h"

#define RUN_METHOD MANAGER_METHOD("Run")
/* A bundle's config.json: far more than any real one, well under varlink's message limit. */
#define BUNDLE_CONFIG_MAX (1024 * 1024)
#define IMAGE_HINT "the image must be a directory you can read"

struct run_args {
	const char *image_arg; /* as given: opened with our own rights */
	char *image; /* absolute, for display (List, the logs) */
	const char *policy, *name;
	struct process_options process; /* -e, --env-file, -w, -u, -i, -t */
	uint64_t memory; /* 0: the policy's */
	int64_t pids;    /* 0: the policy's; -1: no limit */
	bool read_only;
	const char *hostname; /* NULL: the policy's */
	uint64_t cpus_milli; /* 0: the policy's */
	char *cpuset; /* canonical ("0-1"), or NULL: the policy's */
	struct mount_spec *mounts; /* -v, --mount, --tmpfs; a bind's fd its opened source */
	size_t n_mounts;
	const char *network; /* "none", "host", or NULL: the policy's */
	bool json, userns;
	bool detach, remove; /* -d, and --rm with it */
	char **command; /* n_command of them; none: the image's own */
	size_t n_command;
};

static void run_args_done(struct run_args *a)
{
	free(a->image);
	process_options_done(&a->process);
	free(a->cpuset);
	for (size_t i = 0; i < a->n_mounts; i++) {
		if (a->mounts[i].fd >= 0)
			close(a->mounts[i].fd);
		mount_spec_done(&a->mounts[i]);
	}
	free(a->mounts);
}

static void help(void)
{
	printf("Usage: %s run [OPTIONS] --image DIR [--] [COMMAND [ARG...]]\n\n"
	       "Runs COMMAND (or the OCI bundle's process) in a new sandbox and exits with its status.\n"
	       "Signals that reach rvisorctl (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, and\n"
	       "SIGWINCH with -t) are forwarded to the sandbox.\n\n"
	       "  -h --help              Show this help\n"
	       "     --image DIR         Root filesystem or OCI bundle directory (mandatory), opened\n"
	       "                         with your own rights: it must be one you can read\n"
	       "     --policy NAME       Policy from /etc/rvisor/policies/ (default: rvisord.conf's)\n"
	       "     --memory SIZE       Memory limit, bytes or with a K, M, G suffix; at most the policy's\n"
	       "     --pids-limit N      At most N tasks (threads), at most the policy's pids; -1: none\n"
	       "     --cpus N            CPU time: N CPUs' worth (1.5), at most the policy's cpus\n"
	       "     --cpuset-cpus LIST  CPUs the sandbox may run on (0-2,4), within the policy's cpuset\n"
	       "     --name NAME         A name for the sandbox, shown by 'rvisorctl ps' and usable as its ID\n"
	       "     --hostname NAME     The sandbox's hostname (default: the policy's)\n"
	       "  -e --env KEY=VALUE     Set an environment variable; -e KEY copies rvisorctl's (repeatable)\n"
	       "     --env-file FILE     Read such variables from FILE, one per line ('#' comments)\n"
	       "     --read-only         Mount the sandbox's root file system read-only (writes fail\n"
	       "                         with EROFS; /dev/shm and :rw volumes stay writable)\n"
	       "  -v --volume SRC:DST[:ro|rw]\n"
	       "                         Bind SRC (a directory or file you can read) on DST,\n"
	       "                         read-only unless :rw (repeatable)\n"
	       "     --mount type=bind,src=SRC,dst=DST[,readonly=false]\n"
	       "                         The same, docker's way (repeatable)\n"
	       "     --mount type=tmpfs,dst=DST[,tmpfs-size=SIZE,tmpfs-mode=MODE]\n"
	       "                         A tmpfs on DST\n"
	       "     --tmpfs DST[:size=SIZE,mode=MODE,ro]\n"
	       "                         A tmpfs on DST (always noexec, nosuid, nodev)\n"
	       "     --network none|host Own network with only loopback, or the host's where the\n"
	       "                         policy allows it (default: the policy's)\n"
	       "     --init              Accepted for docker's habit: the sandbox's pid 1 is always\n"
	       "                         rvisor's init, which forwards signals and reaps zombies\n"
	       "  -d --detach            Run it in the background: print its id and return; its output\n"
	       "                         is kept by rvisord ('rvisorctl logs', 'attach', 'wait', 'stop')\n"
	       "                         and it stays after it exits until 'rvisorctl rm'\n"
	       "     --rm                With -d: remove it when it exits (without -d a sandbox is\n"
	       "                         always removed when it exits)\n"
	       "  -w --workdir DIR       Working directory inside the sandbox (absolute)\n"
	       "  -u --user UID[:GID]    Run as this user and group (numbers; default: the policy's)\n"
	       "  -i --interactive       Pass stdin to the command (else it reads /dev/null); with -d, keep\n"
	       "                         its stdin open for 'rvisorctl attach'\n"
	       "  -t --tty               stdin is a terminal the command may control (needs -i); with -d,\n"
	       "                         a terminal of rvisord's is its stdin, stdout and stderr\n"
	       "     --userns            Root only: run in a user namespace mapped to root's\n"
	       "                         subordinate ids (other users' sandboxes always get one)\n"
	       "     --json              Print rvisord's started and exited replies as JSON lines\n\n"
	       "Exit status: the command's; 128+N when signal N killed it; 125 when rvisor failed,\n"
	       "126 when the command cannot be executed, 127 when it is not found. With -d: 0 once it\n"
	       "started, 125 when it could not be started.\n",
	       program_invocation_short_name);
}

/* --cpus, as docker checks it: a number with at most three decimals, from 0.01 to the CPUs
 * online. EXIT_OK, or the usage error's exit code. */
static int parse_cpus(const char *arg, uint64_t *ret)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int r = cpus_parse(arg, ret);

	if (r == -EINVAL)
		return verb_usage_error("run", "Invalid --cpus '%s': give a number of CPUs with at most "
					"three decimals (1.5)", arg);
	if (r < 0 || (online > 0 && *ret > (uint64_t)online * 1000))
		return verb_usage_error("run", "--cpus '%s' is out of range: the range of CPUs is from "
					"0.01 to %ld, as there are only %ld CPUs online", arg,
					online > 0 ? online : 1L, online > 0 ? online : 1L);
	return EXIT_OK;
}

/* --cpuset-cpus: a CPU list, sent in its canonical form; which CPUs may be had is rvisord's
 * to say (the policy's cpuset, what its cgroup offers). */
static int parse_cpuset(const char *arg, char **ret)
{
	cpu_set_t set;
	int r = cpulist_parse(arg, &set);

	if (r == -ERANGE)
		return verb_usage_error("run", "Invalid --cpuset-cpus '%s': CPU numbers go up to %d", arg,
					CPU_SETSIZE - 1);
	if (r < 0 || CPU_COUNT(&set) == 0 || strchr(arg, '\n'))
		return verb_usage_error("run", "Invalid --cpuset-cpus '%s': give CPU numbers and ranges "
					"such as 0-2,4", arg);
	free(*ret);
	*ret = NULL;
	if (cpulist_format(&set, ret) < 0) {
		log_oom();
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

/* One -v, --mount or --tmpfs (option as typed) added to a->mounts. EXIT_OK, or the exit code
 * of the error said. */
static int mount_add(struct run_args *a, const char *option, const char *arg,
		     int (*parse)(const char *, struct mount_spec *, char *, size_t))
{
	struct mount_spec m, *l;
	char why[MOUNT_WHY_MAX];
	int r = parse(arg, &m, why, sizeof(why));

	if (r == -EINVAL)
		return verb_usage_error("run", "Invalid %s '%s': %s", option, arg, why);
	if (r < 0) {
		log_oom();
		return EXIT_RUN_FAILED;
	}
	l = reallocarray(a->mounts, a->n_mounts + 1, sizeof(*l));
	if (!l) {
		mount_spec_done(&m);
		log_oom();
		return EXIT_RUN_FAILED;
	}
	a->mounts = l;
	a->mounts[a->n_mounts++] = m;
	return EXIT_OK;
}

/* The mounts as a whole, as rvisord will check them. */
static int mounts_usage_check(const struct run_args *a)
{
	const char *dst;
	int r = mounts_check_list(a->mounts, a->n_mounts, &dst);

	if (r == -E2BIG)
		return verb_usage_error("run", "Too many volumes and tmpfs: at most %u", MOUNTS_MAX);
	if (r < 0)
		return verb_usage_error("run", "Two mounts on %s: give each destination once", dst);
	return EXIT_OK;
}

/* Returns EXIT_OK to go on, or the exit code (a usage error, or 0 after --help) and *done. */
static int parse_argv(int argc, char *argv[], struct run_args *a, bool *done)
{
	enum { ARG_IMAGE = 0x100, ARG_POLICY, ARG_MEMORY, ARG_CPUS, ARG_CPUSET, ARG_NAME, ARG_JSON,
	       ARG_USERNS, ARG_RM, ARG_PIDS, ARG_READ_ONLY, ARG_HOSTNAME, ARG_MOUNT,
	       ARG_TMPFS, ARG_NETWORK, ARG_INIT };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "image", required_argument, NULL, ARG_IMAGE },
		{ "policy", required_argument, NULL, ARG_POLICY },
		{ "memory", required_argument, NULL, ARG_MEMORY },
		{ "cpus", required_argument, NULL, ARG_CPUS },
		{ "cpuset-cpus", required_argument, NULL, ARG_CPUSET },
		{ "name", required_argument, NULL, ARG_NAME },
		PROCESS_LONG_OPTIONS,
		{ "detach", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "userns", no_argument, NULL, ARG_USERNS },
		{ "rm", no_argument, NULL, ARG_RM },
		{ "read-only", no_argument, NULL, ARG_READ_ONLY },
		{ "hostname", required_argument, NULL, ARG_HOSTNAME },
		{ "pids-limit", required_argument, NULL, ARG_PIDS },
		{ "volume", required_argument, NULL, 'v' },
		{ "mount", required_argument, NULL, ARG_MOUNT },
		{ "tmpfs", required_argument, NULL, ARG_TMPFS },
		{ "network", required_argument, NULL, ARG_NETWORK },
		{ "init", no_argument, NULL, ARG_INIT },
		{},
	};
	const char *image = NULL;
	int c, r;

	*done = true;
	/* '+': the first non-option is the command; what follows it is the command's. */
	while ((c = getopt_long(argc, argv, "+:h" PROCESS_SHORT_OPTIONS "v:d", options, NULL)) >= 0) {
		r = process_option("run", c, optarg, &a->process);
		if (r != PROCESS_OPTION_OTHER) {
			if (r != EXIT_OK)
				return r;
			continue;
		}
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case ARG_IMAGE:
			if (!*optarg)
				return verb_usage_error("run", "--image needs a directory, got ''");
			image = optarg;
			break;
		case ARG_POLICY:
			/* Which names exist is rvisord's to say (PolicyNotFound). */
			a->policy = optarg;
			break;
		case ARG_MEMORY:
			r = size_parse(optarg, &a->memory);
			if (r == -ERANGE)
				return verb_usage_error("run", "--memory '%s' is out of range: give 1 byte to 8E",
							optarg);
			if (r < 0)
				return verb_usage_error("run", "Invalid --memory '%s': give bytes, or a number "
							"with a K, M or G suffix (512M)", optarg);
			break;
		case ARG_CPUS:
			r = parse_cpus(optarg, &a->cpus_milli);
			if (r != EXIT_OK)
				return r;
			break;
		case ARG_CPUSET:
			r = parse_cpuset(optarg, &a->cpuset);
			if (r != EXIT_OK)
				return r;
			break;
		case ARG_NAME:
			if (!sandbox_name_choosable(optarg))
				return verb_usage_error("run", "Invalid --name '%s': up to 64 letters, digits, "
							"'_', '.' or '-', starting with a letter or digit, not all "
							"digits and not 'sandbox-N'", optarg);
			a->name = optarg;
			break;
		case ARG_PIDS:
			/* docker's: a number of tasks, 0 or -1 for no limit */
			if (strcmp(optarg, "-1") == 0)
				a->pids = -1;
			else if (cli_parse_id(optarg, &a->pids) < 0)
				return verb_usage_error("run", "Invalid --pids-limit '%s': give a number of "
							"tasks, or -1 for no limit", optarg);
			else if (a->pids == 0)
				a->pids = -1;
			break;
		case ARG_HOSTNAME:
			if (!policy_hostname_valid(optarg))
				return verb_usage_error("run", "Invalid --hostname '%s': 1-%d letters, digits, "
							"'-' or '.'", optarg, POLICY_HOSTNAME_MAX);
			a->hostname = optarg;
			break;
		case ARG_READ_ONLY:
			a->read_only = true;
			break;
		case ARG_RM:
			a->remove = true; /* without -d, docker's habit: a sandbox is always removed */
			break;
		case ARG_INIT:
			break; /* docker's --init: rvisor's init is every sandbox's pid 1 anyway */
		case 'v':
			r = mount_add(a, "--volume", optarg, mount_parse_volume);
			if (r != EXIT_OK)
				return r;
			break;
		case ARG_MOUNT:
			r = mount_add(a, "--mount", optarg, mount_parse_mount);
			if (r != EXIT_OK)
				return r;
			break;
		case ARG_TMPFS:
			r = mount_add(a, "--tmpfs", optarg, mount_parse_tmpfs);
			if (r != EXIT_OK)
				return r;
			break;
		case ARG_NETWORK:
			/* Whether the policy allows host is rvisord's to say (LimitAbovePolicy). */
			if (strcmp(optarg, "none") != 0 && strcmp(optarg, "host") != 0)
				return verb_usage_error("run", "Invalid --network '%s': rvisor knows none (a "
							"network of the sandbox's own with only loopback) and "
							"host", optarg);
			a->network = optarg;
			break;
		case 'd':
			a->detach = true;
			break;
		case ARG_JSON:
			a->json = true;
			break;
		case ARG_USERNS:
			/* Whether the caller may is rvisord's to say (root only). */
			a->userns = true;
			break;
		default:
			return verb_getopt_error("run", c, argc, argv);
		}
	}
	if (!image)
		return verb_usage_error("run", "No image given: use --image DIR");
	/* Detached, the terminal is rvisord's: docker's -dt. */
	if (!a->detach) {
		r = process_tty_usage_check("run", &a->process);
		if (r != EXIT_OK)
			return r;
	}
	r = mounts_usage_check(a);
	if (r != EXIT_OK)
		return r;
	a->command = argv + optind;
	a->n_command = (size_t)(argc - optind);
	a->image_arg = image;

	r = cli_image_path(image, &a->image);
	if (r < 0) {
		log_error_errno(r, "Cannot make --image %s an absolute path: %m", image);
		return EXIT_RUN_FAILED;
	}
	*done = false;
	return EXIT_OK;
}

/* Reads the bundle's config.json (already open as fd) whole into *ret. Logs failures. */
static int read_bundle_config(int fd, const char *image, char **ret)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return log_error_errno(-errno, "Cannot read %s/config.json: %m", image);
	if (!S_ISREG(st.st_mode))
		return log_error_errno(-EINVAL, "%s/config.json is not a regular file: an OCI bundle's "
				       "config.json must be one (else remove it)", image);
	r = cli_read_text(fd, BUNDLE_CONFIG_MAX, ret);
	if (r == -EFBIG)
		return log_error_errno(r, "%s/config.json is larger than %d bytes: is this an OCI bundle?",
				       image, BUNDLE_CONFIG_MAX);
	if (r == -EBADMSG)
		return log_error_errno(-EINVAL, "%s/config.json contains a NUL byte: an OCI bundle's "
				       "config.json is JSON text", image);
	if (r < 0)
		return log_error_errno(r, "Cannot read %s/config.json: %m", image);
	return 0;
}

/*
 * Opens the image with our own rights, never rvisord's: the directory --image names, and when
 * it holds a config.json (an OCI bundle), that file's text and the root filesystem its
 * root.path names, which must stay inside the bundle. *ret_rootfs is the directory to pass as
 * Run's fd 3; *ret_config the bundle's config.json, or NULL. Logs failures.
 */
static int open_image(const struct run_args *a, int *ret_rootfs, char **ret_config)
{
	_cleanup_close_ int dfd = -1, cfd = -1, rootfs = -1;
	_cleanup_free_ char *config = NULL, *root_path = NULL, *shown = NULL;
	const char *image = a->image;
	int r;

	/* Links are followed: --image is the user's own lookup. */
	dfd = open(a->image_arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return log_error_errno(-errno, "Cannot open image %s: %m (" IMAGE_HINT ")", image);

	cfd = openat(dfd, "config.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (cfd < 0 && errno == ENOENT) {
		/* A plain root filesystem. */
		*ret_rootfs = TAKE_FD(dfd);
		*ret_config = NULL;
		return 0;
	}
	if (cfd < 0 && errno == ELOOP)
		return log_error_errno(-ELOOP, "%s/config.json is a symbolic link: an OCI bundle's "
				       "config.json must be a regular file in the bundle", image);
	if (cfd < 0)
		return log_error_errno(-errno, "Cannot read %s/config.json: %m (" IMAGE_HINT ")", image);
	r = read_bundle_config(cfd, image, &config);
	if (r < 0)
		return r;

	r = cli_bundle_root_path(config, strlen(config), &root_path);
	if (r == -ENOMEM)
		return log_oom();
	if (r == -EBADMSG)
		return log_error_errno(r, "%s/config.json is not valid JSON (one object, UTF-8): fix the "
				       "bundle's config.json", image);
	if (r < 0)
		return log_error_errno(r, "%s/config.json: root.path is not a string naming the root "
				       "filesystem: fix the bundle's config.json", image);

	shown = cli_escape(root_path); /* the bundle's words, maybe someone else's */
	if (!shown)
		return log_oom();
	r = cli_open_beneath(dfd, root_path, 0, &rootfs);
	if (r == -EXDEV)
		return log_error_errno(r, "The bundle's root.path '%s' leads outside the bundle %s (it is "
				       "absolute, climbs out with '..' or goes through a link out): name a "
				       "directory inside the bundle", shown, image);
	if (r == -ELOOP)
		return log_error_errno(r, "The bundle's root.path '%s' goes through a symbolic link, "
				       "which this kernel (without openat2) cannot follow safely: give "
				       "the real path inside the bundle", shown);
	if (r < 0)
		return log_error_errno(r, "Cannot open the bundle's root.path '%s' in %s: %m (root.path "
				       "must name a directory you can read inside the bundle)", shown, image);
	*ret_rootfs = TAKE_FD(rootfs);
	*ret_config = TAKE_PTR(config);
	return 0;
}

/* A bind's source, opened with our own rights like the image (links followed: the path is
 * the user's own lookup): a directory or regular file we can read. Checked before it is
 * opened, so that naming a device node or FIFO never opens it. Logs failures. */
static int open_mount_source(const struct mount_spec *m, int *ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st, got;

	if (stat(m->source, &st) < 0)
		return log_error_errno(-errno, "Cannot use %s as the source of %s: %m", m->source,
				       m->destination);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return log_error_errno(-EINVAL, "Cannot use %s as the source of %s: it is neither a "
				       "directory nor a regular file", m->source, m->destination);
	fd = open(m->source, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		  (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open %s, the source of %s: %m (a source must "
				       "be a directory or file you can read)", m->source, m->destination);
	if (fstat(fd, &got) < 0 || got.st_dev != st.st_dev || got.st_ino != st.st_ino)
		return log_error_errno(-EAGAIN, "%s changed while it was opened: try again", m->source);
	*ret = TAKE_FD(fd);
	return 0;
}

static int open_mount_sources(struct run_args *a)
{
	for (size_t i = 0; i < a->n_mounts; i++) {
		int r;

		if (a->mounts[i].type != MOUNT_BIND)
			continue;
		r = open_mount_source(&a->mounts[i], &a->mounts[i].fd);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Run's mounts; the binds' sources are the call's descriptors after the image (from 4 on, or
 * from 1 on detached), in this order. */
static json_object *mounts_json(const struct run_args *a)
{
	json_object *l = json_object_new_array();
	int next_fd = a->detach ? 1 : 4;

	for (size_t i = 0; l && i < a->n_mounts; i++) {
		bool bind = a->mounts[i].type == MOUNT_BIND;

		json_object_array_add(l, mount_spec_to_json(&a->mounts[i], bind ? next_fd++ : -1));
	}
	return l;
}

static json_object *run_params(const struct run_args *a, const char *bundle_config)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "image", json_object_new_string(a->image));
	if (a->n_command > 0)
		json_object_object_add(p, "argv", process_string_array(a->command, a->n_command));
	if (a->policy)
		json_object_object_add(p, "policy", json_object_new_string(a->policy));
	if (a->name)
		json_object_object_add(p, "name", json_object_new_string(a->name));
	process_options_params(&a->process, p);
	if (a->memory > 0)
		json_object_object_add(p, "memory", json_object_new_int64((int64_t)a->memory));
	if (a->pids)
		json_object_object_add(p, "pids", json_object_new_int64(a->pids));
	if (a->read_only)
		json_object_object_add(p, "read_only", json_object_new_boolean(true));
	if (a->hostname)
		json_object_object_add(p, "hostname", json_object_new_string(a->hostname));
	if (a->cpus_milli > 0)
		json_object_object_add(p, "cpus_milli", json_object_new_int64((int64_t)a->cpus_milli));
	if (a->cpuset)
		json_object_object_add(p, "cpuset", json_object_new_string(a->cpuset));
	if (a->n_mounts > 0)
		json_object_object_add(p, "mounts", mounts_json(a));
	if (a->network)
		json_object_object_add(p, "network", json_object_new_string(a->network));
	if (a->userns)
		json_object_object_add(p, "userns", json_object_new_boolean(true));
	if (bundle_config)
		json_object_object_add(p, "bundle_config", json_object_new_string(bundle_config));
	if (a->detach) {
		json_object_object_add(p, "detach", json_object_new_boolean(true));
		if (a->process.interactive)
			json_object_object_add(p, "interactive", json_object_new_boolean(true));
		if (a->remove)
			json_object_object_add(p, "remove", json_object_new_boolean(true));
	}
	return p;
}

/* The signals forwarded to the sandbox: those we would otherwise die of, and SIGWINCH with -t
 * (the command shares our terminal: tell it the size changed). Like docker, a signal is
 * forwarded even when our parent set it to be ignored (shells do that to SIGINT for background
 * jobs, and a `kill -INT` should still reach the command), except SIGHUP under nohup. */
static void forwarded_signals(sigset_t *mask, bool tty)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
	struct sigaction sa;

	sigemptyset(mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(mask, sigs[i]);
	if (!tty)
		sigdelset(mask, SIGWINCH);
	if (sigaction(SIGHUP, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
		sigdelset(mask, SIGHUP);
}

/* Signals that end rvisorctl when they arrive before the sandbox started. */
static bool signal_aborts(int sig)
{
	return sig == SIGHUP || sig == SIGINT || sig == SIGQUIT || sig == SIGTERM;
}

/* Sends sig to sandbox id through a second connection (the first streams Run's replies). A
 * failure is only a warning: the command goes on, and so does waiting for it. */
static void forward_signal(VarlinkClient **kc, int64_t id, int sig)
{
	_cleanup_free_ char *error = NULL;
	const char *name = cli_signal_name(sig);
	json_object *params, *reply = NULL;
	char num[16];
	int r;

	if (!name) {
		snprintf(num, sizeof(num), "%d", sig);
		name = num;
	}
	if (!*kc) {
		r = daemon_connect(kc);
		if (r < 0) {
			log_warning_errno(r, "Cannot forward %s to sandbox %" PRId64 ": cannot connect to %s: %m",
					  name, id, daemon_address());
			return;
		}
	}
	params = json_object_new_object();
	json_object_object_add(params, "id", json_object_new_int64(id));
	json_object_object_add(params, "signal", json_object_new_int(sig));
	r = varlink_client_call(*kc, MANAGER_METHOD("Kill"), params, NULL, 0, 0);
	json_object_put(params);
	if (r >= 0)
		r = varlink_client_read(*kc, &reply, &error, NULL);
	if (r < 0) {
		log_warning_errno(r, "Cannot forward %s to sandbox %" PRId64 ": %m", name, id);
		*kc = varlink_client_free(*kc); /* connect again next time */
		return;
	}
	/* SandboxNotFound: it exited meanwhile; Run's last reply is on its way. */
	if (error && strcmp(error, MANAGER_ERROR(SandboxNotFound)) != 0) {
		_cleanup_free_ char *m = cli_error_message(error, reply);

		log_warning("Cannot forward %s to sandbox %" PRId64 ": %s", name, id, m ?: error);
	}
	json_object_put(reply);
}

/* A sandbox without rvisor.ko's layer has no rvisorfs: programs in it see the host's memory
 * and CPUs. Said once, where someone may be reading (a terminal) or asked for a limit they
 * will not see inside; scripts that only run commands get no extra line. */
static void note_views(const struct run_args *a, json_object *started, int64_t id)
{
	if (layers_have(started, "kernel"))
		return;
	if (!isatty(STDERR_FILENO) && !a->memory && !a->cpus_milli && !a->cpuset)
		return;
	log_notice("note: sandbox %" PRId64 " runs without rvisor.ko: its /proc and /sys show the "
		   "host's memory and CPUs, not its own limits", id);
}

static int bad_reply(void)
{
	daemon_log_bad_reply(RUN_METHOD);
	return EXIT_RUN_FAILED;
}

/* The exit code an "exited" reply stands for. */
static int exited_code(const struct run_args *a, json_object *reply)
{
	bool oom = false;
	int r;

	r = json_get_bool(reply, "oom_killed", &oom);
	if (r == -EBADMSG)
		return bad_reply();
	if (oom)
		log_error("the sandbox hit its memory limit (raise --memory, or the policy's memory =)");
	return process_exit_code(RUN_METHOD, a->n_command > 0 ? a->command[0] : "the image's command", reply);
}

/* Waits for Run's replies, forwarding signals meanwhile; returns the exit code. */
static int wait_for_exit(const struct run_args *a, VarlinkClient *c, int sfd)
{
	_cleanup_varlink_client_ VarlinkClient *kc = NULL;
	bool started = false;
	sigset_t pending;
	int64_t id = -1;

	sigemptyset(&pending);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = varlink_client_fd(c), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error_errno(-errno, "Cannot wait for rvisord: %m");
			return EXIT_RUN_FAILED;
		}

		/* The reply first: after a "started" next to it, a signal is one to forward. */
		if (p[0].revents) {
			const char *state = NULL;
			json_object *reply = NULL;
			bool continues = false;
			int r;

			r = process_read_reply(c, RUN_METHOD, a->json, &reply, &state, &continues);
			if (r != EXIT_OK)
				return r;
			if (strcmp(state, "exited") == 0) {
				r = exited_code(a, reply);
				json_object_put(reply);
				return r;
			}
			if (strcmp(state, "started") == 0) {
				if (json_get_int(reply, "id", &id) < 0) {
					json_object_put(reply);
					return bad_reply();
				}
				started = true;
				note_views(a, reply, id);
				for (int sig = 1; sig < NSIG; sig++)
					if (sigismember(&pending, sig) == 1)
						forward_signal(&kc, id, sig);
				sigemptyset(&pending);
			}
			/* Other states are newer than us: skip them, but the last reply must be "exited". */
			json_object_put(reply);
			if (!continues) {
				log_error("rvisord ended the call before the command exited: see 'journalctl -u rvisord'");
				return EXIT_RUN_FAILED;
			}
		}

		while (p[1].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			int sig = (int)si.ssi_signo;

			if (started)
				forward_signal(&kc, id, sig);
			else if (signal_aborts(sig))
				/* Nothing to forward to yet, and rvisord may take its time: leave. Closing
				 * the connection makes rvisord drop the sandbox. */
				return 128 + sig;
			else
				sigaddset(&pending, sig);
		}
	}
}

/* -d: one call carrying the image and the binds' sources alone, one reply; the id is printed. */
static int run_detached(const struct run_args *a, int rootfs, const char *bundle_config)
{
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	json_object *params, *reply = NULL;
	const char *state = NULL;
	int fds[1 + MOUNTS_MAX] = { rootfs };
	size_t n_fds = 1;
	int64_t id;
	int r;

	for (size_t i = 0; i < a->n_mounts; i++)
		if (a->mounts[i].type == MOUNT_BIND)
			fds[n_fds++] = a->mounts[i].fd;

	r = daemon_connect(&c);
	if (r < 0) {
		daemon_log_connect_error(r);
		return EXIT_RUN_FAILED;
	}
	params = run_params(a, bundle_config);
	r = varlink_client_call(c, RUN_METHOD, params, fds, n_fds, 0);
	json_object_put(params);
	if (r < 0) {
		daemon_log_io_error(r);
		return EXIT_RUN_FAILED;
	}
	r = process_read_reply(c, RUN_METHOD, false, &reply, &state, NULL);
	if (r != EXIT_OK)
		return r;
	if (strcmp(state, "started") != 0 || json_get_int(reply, "id", &id) < 0) {
		json_object_put(reply);
		return bad_reply();
	}
	note_views(a, reply, id);
	if (a->json)
		r = print_json(reply, false);
	else {
		printf("%" PRId64 "\n", id);
		r = flush_stdout();
	}
	json_object_put(reply);
	return r == EXIT_OK ? EXIT_OK : EXIT_RUN_FAILED;
}

int verb_run(int argc, char *argv[])
{
	_cleanup_(run_args_done) struct run_args a = {};
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	_cleanup_(process_stdio_done) struct process_stdio stdio = PROCESS_STDIO_INIT;
	_cleanup_close_ int sfd = -1, rootfs = -1;
	_cleanup_free_ char *bundle_config = NULL;
	json_object *params;
	sigset_t mask;
	int fds[4 + MOUNTS_MAX];
	size_t n_fds = 4;
	bool done;
	int r;

	r = parse_argv(argc, argv, &a, &done);
	if (done) /* like docker, run's own usage errors are 125: the program may exit 2 itself */
		return r == EXIT_USAGE ? EXIT_RUN_FAILED : r;

	if (!a.detach) {
		r = process_tty_stdin_check(&a.process);
		if (r != EXIT_OK)
			return r;
	}

	/* Before connecting: rvisord never opens an image by its path, and a mistake here is the
	 * user's to fix whether or not rvisord runs. */
	if (open_image(&a, &rootfs, &bundle_config) < 0 || open_mount_sources(&a) < 0)
		return EXIT_RUN_FAILED;
	if (a.detach)
		return run_detached(&a, rootfs, bundle_config);

	r = process_stdio_open(&stdio, a.process.interactive);
	if (r != EXIT_OK)
		return r;
	memcpy(fds, stdio.fds, sizeof(stdio.fds));
	fds[3] = rootfs;
	for (size_t i = 0; i < a.n_mounts; i++)
		if (a.mounts[i].type == MOUNT_BIND)
			fds[n_fds++] = a.mounts[i].fd;

	/* Blocked before the call, so that no signal is lost (or kills us) while it starts. */
	forwarded_signals(&mask, a.process.tty);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_error_errno(-errno, "Cannot block signals: %m");
		return EXIT_RUN_FAILED;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error_errno(-errno, "Cannot create a signalfd: %m");
		return EXIT_RUN_FAILED;
	}

	r = daemon_connect(&c);
	if (r < 0) {
		daemon_log_connect_error(r);
		return EXIT_RUN_FAILED;
	}
	params = run_params(&a, bundle_config);
	if (!params) {
		log_error_errno(-ENOMEM, "Out of memory");
		return EXIT_RUN_FAILED;
	}
	r = varlink_client_call(c, RUN_METHOD, params, fds, n_fds, VARLINK_CALL_MORE);
	json_object_put(params);
	if (r < 0) {
		daemon_log_io_error(r);
		return EXIT_RUN_FAILED;
	}
	return wait_for_exit(&a, c, sfd);
}
