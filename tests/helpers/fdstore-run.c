/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fdstore-run: runs a daemon the way systemd runs a service with FileDescriptorStoreMax= and
 * KillMode=process, for tests of what rvisord keeps across its restarts without systemd.
 *   fdstore-run PIDFILE COMMAND [ARG...]
 * COMMAND gets $NOTIFY_SOCKET; the descriptors it sends with FDSTORE=1 (named by FDNAME=) are
 * kept, FDSTOREREMOVE=1 drops those of a name, and the next COMMAND gets them as
 * $LISTEN_FDS, $LISTEN_FDNAMES and $LISTEN_PID. The running COMMAND's pid is in PIDFILE (empty
 * while none runs). This process is the subreaper of what COMMAND leaves behind, as PID 1 is.
 *   SIGHUP   restart: SIGTERM to COMMAND, and once it has exited, start it again
 *   SIGUSR1  stop it (SIGTERM), keeping the store (what a restart looks like from outside)
 *   SIGUSR2  start it again
 *   SIGTERM  stop it, drop the store and exit (systemctl stop)
 * What it does is said on stderr, one line each.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define STORE_MAX 4096
#define FDS_PER_MESSAGE 253

static struct {
	char *name;
	int fd;
} store[STORE_MAX];
static size_t n_store;
static char **command;
static const char *pidfile, *notify_path;
static pid_t child;

static void write_pidfile(pid_t pid)
{
	FILE *f = fopen(pidfile, "we");

	if (!f)
		return;
	if (pid > 0)
		fprintf(f, "%d\n", (int)pid);
	fclose(f);
}

static void store_add(const char *name, int fd)
{
	if (n_store >= STORE_MAX) {
		close(fd);
		return;
	}
	store[n_store].name = strdup(name);
	store[n_store++].fd = fd;
	fprintf(stderr, "fdstore-run: stored %s (%zu)\n", name, n_store);
}

static void store_remove(const char *name)
{
	size_t w = 0;

	for (size_t i = 0; i < n_store; i++) {
		if (strcmp(store[i].name, name) == 0) {
			close(store[i].fd);
			free(store[i].name);
			continue;
		}
		store[w++] = store[i];
	}
	if (w != n_store)
		fprintf(stderr, "fdstore-run: removed %s (%zu)\n", name, w);
	n_store = w;
}

static void store_drop(void)
{
	for (size_t i = 0; i < n_store; i++) {
		close(store[i].fd);
		free(store[i].name);
	}
	n_store = 0;
}

/* One message: its assignments, and the descriptors it carried. */
static void handle_message(char *text, int *fds, size_t n_fds)
{
	bool add = false, remove = false;
	const char *name = "stored";
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strcmp(l, "FDSTORE=1") == 0)
			add = true;
		else if (strcmp(l, "FDSTOREREMOVE=1") == 0)
			remove = true;
		else if (strncmp(l, "FDNAME=", 7) == 0)
			name = l + 7;
	}
	for (size_t i = 0; i < n_fds; i++) {
		if (add)
			store_add(name, fds[i]);
		else
			close(fds[i]);
	}
	if (remove)
		store_remove(name);
}

/* Every message waiting on the notify socket. */
static void drain_notify(int sock)
{
	for (;;) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int) * FDS_PER_MESSAGE) + CMSG_SPACE(sizeof(struct ucred))];
		} control;
		char text[4096];
		struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
				     .msg_controllen = sizeof(control) };
		int fds[FDS_PER_MESSAGE];
		size_t n_fds = 0;
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0)
			return;
		text[n] = '\0';
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

				memcpy(fds + n_fds, CMSG_DATA(cm), k * sizeof(int));
				n_fds += k;
			}
		handle_message(text, fds, n_fds);
	}
}

static void start(void)
{
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("fdstore-run: fork");
		return;
	}
	if (pid == 0) {
		char buf[32], *names;
		size_t len = 1;
		sigset_t none;
		int tmp[STORE_MAX];

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Out of the way first: 3, 4, ... may be some of them now. */
		for (size_t i = 0; i < n_store; i++) {
			tmp[i] = fcntl(store[i].fd, F_DUPFD_CLOEXEC, 3 + (int)n_store + 16);
			len += strlen(store[i].name) + 1;
		}
		names = calloc(1, len);
		for (size_t i = 0; i < n_store; i++) {
			if (dup2(tmp[i], 3 + (int)i) < 0)
				_exit(127);
			strcat(names, i ? ":" : "");
			strcat(names, store[i].name);
		}
		snprintf(buf, sizeof(buf), "%zu", n_store);
		setenv("LISTEN_FDS", buf, 1);
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		setenv("LISTEN_PID", buf, 1);
		setenv("LISTEN_FDNAMES", names, 1);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		if (!n_store) {
			unsetenv("LISTEN_FDS");
			unsetenv("LISTEN_PID");
			unsetenv("LISTEN_FDNAMES");
		}
		execvp(command[0], command);
		_exit(127);
	}
	child = pid;
	write_pidfile(pid);
	fprintf(stderr, "fdstore-run: started %d with %zu descriptors\n", (int)pid, n_store);
}

int main(int argc, char *argv[])
{
	enum { RUN, RESTART, STOPPED, EXIT } state = RUN;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char path[sizeof(sa.sun_path)];
	sigset_t mask;
	int sock, sfd;

	if (argc < 3) {
		fprintf(stderr, "Usage: fdstore-run PIDFILE COMMAND [ARG...]\n");
		return 2;
	}
	pidfile = argv[1];
	command = argv + 2;
	snprintf(path, sizeof(path), "%s.notify", pidfile);
	notify_path = path;
	unlink(path);
	memcpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("fdstore-run: notify socket");
		return 1;
	}
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&mask);
	for (int s = 0, sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT }; s < 6; s++)
		sigaddset(&mask, sigs[s]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	start();

	while (state != EXIT || child > 0) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0)
			continue;
		drain_notify(sock);
		if (!p[1].revents || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGCHLD:
			for (;;) {
				int st;
				pid_t pid = waitpid(-1, &st, WNOHANG);

				if (pid <= 0)
					break;
				if (pid != child)
					continue; /* an orphan of it: reaped, as PID 1 does */
				drain_notify(sock); /* what it said last counts */
				fprintf(stderr, "fdstore-run: %d exited (status 0x%x)\n", (int)pid, (unsigned)st);
				child = 0;
				write_pidfile(0);
				if (state == RESTART) {
					state = RUN;
					start();
				}
			}
			break;
		case SIGHUP:
		case SIGUSR1:
			if (child > 0) {
				state = si.ssi_signo == SIGHUP ? RESTART : STOPPED;
				kill(child, SIGTERM);
			}
			break;
		case SIGUSR2:
			if (child <= 0) {
				state = RUN;
				start();
			}
			break;
		default:
			state = EXIT;
			if (child > 0)
				kill(child, SIGTERM);
			break;
		}
	}
	store_drop();
	unlink(path);
	write_pidfile(0);
	return 0;
}
