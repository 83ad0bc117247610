/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisord-stub: a stand-in for rvisord's container methods, so that the host suite can drive
 * rvisor-runc's kernel layer (its createRuntime hook, the pidfd it passes, failing closed)
 * where rvisor.ko cannot be loaded.
 *   rvisord-stub SOCKET LOG MODE
 * Serves one connection at a time on SOCKET:
 *   PrepareContainer  -> policy "stub", layers ["kernel"] (MODE kernel-ok, kernel-fail) or
 *                        ["kernel", "seccomp"] with one "return ALLOW" program (MODE both-ok)
 *   BindContainer     -> checks its fd 0 is a pidfd of the pid 1 of a pid namespace of its
 *                        own, then answers {"id": 42, ...}, or SandboxFailed (kernel-fail)
 *   ReleaseContainer  -> {} the first time for a container, ContainerNotFound after
 * Each call is appended to LOG as its JSON text on one line; BindContainer adds a line
 * "pidfd pid=P nspid=N" (P the host pid, N the pid in its own namespace), or "pidfd bad".
 * Exits on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MSG_MAX (1024 * 1024)

static FILE *logf_;

/* "Pid:" and the last "NSpid:" field of the process a pidfd refers to; -1 when not a pidfd. */
static void pidfd_info(int fd, long *ret_pid, long *ret_nspid)
{
	char path[64], line[256], target[64];
	ssize_t n;
	FILE *f;

	*ret_pid = *ret_nspid = -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	if (strcmp(target, "anon_inode:[pidfd]") != 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Pid:", 4) == 0)
			*ret_pid = strtol(line + 4, NULL, 10);
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');

			*ret_nspid = strtol(last ? last : line + 6, NULL, 10);
		}
	}
	fclose(f);
}

static void reply(int c, const char *text)
{
	size_t len = strlen(text) + 1; /* with its NUL */

	while (len > 0) {
		ssize_t n = write(c, text, len);

		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* The container id of a call, "c" in {"container":"c"}; "" when absent. */
static void container_of(const char *msg, char *buf, size_t size)
{
	const char *p = strstr(msg, "\"container\":\"");

	buf[0] = '\0';
	if (p) {
		p += strlen("\"container\":\"");
		snprintf(buf, size, "%.*s", (int)strcspn(p, "\""), p);
	}
}

static void serve(int c, const char *mode)
{
	static char released[64][256];
	static unsigned n_released;
	static char msg[MSG_MAX + 1];
	char cbuf[CMSG_SPACE(sizeof(int) * 16)], id[256];
	size_t len = 0;
	int fds[16], n_fds = 0;

	for (;;) {
		struct iovec iov = { msg + len, MSG_MAX - len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
				for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int) && n_fds < 16; i++)
					memcpy(&fds[n_fds++], CMSG_DATA(h) + i * sizeof(int), sizeof(int));
		len += (size_t)n;
		if (memchr(msg, '\0', len))
			break;
		if (len == MSG_MAX)
			return;
	}
	fprintf(logf_, "%s\n", msg);
	container_of(msg, id, sizeof(id));

	if (strstr(msg, "\"io.rvisor.Manager.PrepareContainer\"")) {
		if (strcmp(mode, "both-ok") == 0)
			reply(c, "{\"parameters\":{\"policy\":\"stub\",\"layers\":[\"kernel\",\"seccomp\"],"
				 "\"memory_max\":268435456,\"pids_max\":99,\"seccomp_bpf\":[\"BgAAAAAA/38=\"]}}");
		else
			reply(c, "{\"parameters\":{\"policy\":\"stub\",\"layers\":[\"kernel\"],"
				 "\"memory_max\":268435456,\"pids_max\":99}}");
	} else if (strstr(msg, "\"io.rvisor.Manager.BindContainer\"")) {
		long pid = -1, nspid = -1;

		if (n_fds == 1)
			pidfd_info(fds[0], &pid, &nspid);
		if (pid > 0)
			fprintf(logf_, "pidfd pid=%ld nspid=%ld\n", pid, nspid);
		else
			fprintf(logf_, "pidfd bad (%d fds)\n", n_fds);
		if (strcmp(mode, "kernel-fail") == 0)
			reply(c, "{\"error\":\"io.rvisor.Manager.SandboxFailed\",\"parameters\":{\"reason\":"
				 "\"the stub refuses\"}}");
		else if (pid <= 0 || nspid != 1)
			reply(c, "{\"error\":\"io.rvisor.Manager.BadFileDescriptor\",\"parameters\":{\"index\":0,"
				 "\"reason\":\"not a pidfd of a pid namespace's init\"}}");
		else
			reply(c, "{\"parameters\":{\"id\":42,\"layers\":[\"kernel\"]}}");
	} else if (strstr(msg, "\"io.rvisor.Manager.ReleaseContainer\"")) {
		bool known = false;

		for (unsigned i = 0; i < n_released; i++)
			known |= strcmp(released[i], id) == 0;
		if (known || n_released == 64)
			reply(c, "{\"error\":\"io.rvisor.Manager.ContainerNotFound\",\"parameters\":{\"container\":\"x\"}}");
		else {
			snprintf(released[n_released++], sizeof(released[0]), "%s", id);
			reply(c, "{\"parameters\":{}}");
		}
	} else
		reply(c, "{\"error\":\"org.varlink.service.MethodNotFound\",\"parameters\":{}}");
	fflush(logf_);
	for (int i = 0; i < n_fds; i++)
		close(fds[i]);
}

int main(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET LOG kernel-ok|kernel-fail|both-ok\n", argv[0]);
		return 2;
	}
	logf_ = fopen(argv[2], "ae");
	if (!logf_)
		return 1;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
		perror("rvisord-stub");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			return 1;
		serve(c, argv[3]);
		close(c);
	}
}
