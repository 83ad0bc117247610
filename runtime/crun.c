/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running crun: in place of rvisor-runc (every command rvisor-runc adds nothing to), as a child
 * it waits for (create, run, delete), or for its output (--version, features). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"

#define INSTALL_HINT "install crun (apt install crun), or point RVISOR_RUNC_CRUN at it"

const char *runc_crun_path(void)
{
	const char *p = getenv("RVISOR_RUNC_CRUN");

	return p && *p ? p : RUNC_CRUN_DEFAULT;
}

int runc_crun_exec(char *argv[])
{
	const char *crun = runc_crun_path();

	argv[0] = (char *)(uintptr_t)crun;
	execv(crun, argv);
	return runc_error_errno(-errno, "cannot run %s: %m: " INSTALL_HINT, crun);
}

/* The signals rvisor-runc passes on to crun while it waits for it: those an engine or a user
 * sends to stop or resize what runs. */
static void forwarded(sigset_t *set)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
				    SIGCONT, SIGTSTP };

	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(set, sigs[i]);
}

static int spawn(const char *crun, char *argv[], const sigset_t *child_mask, posix_spawn_file_actions_t *fa,
		 pid_t *ret_pid)
{
	posix_spawnattr_t attr;
	sigset_t defaults;
	int r;

	r = posix_spawnattr_init(&attr);
	if (r != 0)
		return -r;
	forwarded(&defaults);
	sigaddset(&defaults, SIGPIPE);
	r = posix_spawnattr_setsigmask(&attr, child_mask);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &defaults);
	if (r == 0)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawn(ret_pid, crun, fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return -r;
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int runc_crun_run(char *argv[], int *ret_status)
{
	const char *crun = runc_crun_path();
	sigset_t mask, old;
	siginfo_t si;
	pid_t pid;
	int r, status;

	argv[0] = (char *)(uintptr_t)crun;
	forwarded(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
		return runc_error_errno(-errno, "cannot block signals: %m");
	r = spawn(crun, argv, &old, NULL, &pid);
	if (r < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return runc_error_errno(r, "cannot run %s: %m: " INSTALL_HINT, crun);
	}
	runc_debug("running %s (pid %d)", crun, (int)pid);

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r = runc_error_errno(-errno, "cannot wait for %s: %m", crun);
			break;
		}
		if (sigwaitinfo(&mask, &si) < 0 || si.si_signo == SIGCHLD)
			continue;
		/* Sent by a process (kill(), sigqueue()): pass it on. A terminal's signals (si_code
		 * SI_KERNEL) reached crun already, which is in the same process group. */
		if (si.si_code <= 0)
			(void)kill(pid, si.si_signo);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return r;
	*ret_status = exit_status(status);
	return 0;
}

int runc_crun_output(const char *const argv[], size_t max, char **ret_out, int *ret_status)
{
	const char *crun = runc_crun_path();
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int rd = -1;
	posix_spawn_file_actions_t fa;
	char **args = NULL;
	size_t n = 0, len = 0;
	int p[2], r, status;
	sigset_t none;
	pid_t pid;

	while (argv[n])
		n++;
	args = calloc(n + 1, sizeof(char *));
	buf = malloc(max + 1);
	if (!args || !buf) {
		free(args);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		args[i] = (char *)(uintptr_t)argv[i];
	args[0] = (char *)(uintptr_t)crun;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(args);
		return -errno;
	}
	rd = p[0];
	r = -posix_spawn_file_actions_init(&fa);
	if (r == 0)
		r = -posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	if (r == 0)
		r = -posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	sigemptyset(&none);
	if (r == 0)
		r = spawn(crun, args, &none, &fa, &pid);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	free(args);
	if (r < 0)
		return r;

	for (;;) {
		ssize_t k = read(rd, buf + len, max - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == max)
			break;
	}
	rd = safe_close(rd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	buf[len] = '\0';
	*ret_out = TAKE_PTR(buf);
	*ret_status = exit_status(status);
	return 0;
}
