/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * varlink-raw: sends arbitrary bytes to a varlink socket and prints what comes back, for
 * tests that feed a server malformed or hostile input.
 *   varlink-raw [--fd SPEC]... SOCKET < bytes
 * Each --fd opens a file and sends it with the first bytes (SCM_RIGHTS), in order: SPEC is
 * PATH (O_RDONLY), dir:PATH (O_RDONLY|O_DIRECTORY), path:PATH (O_PATH), rw:PATH (O_RDWR),
 * fd:N (this process's descriptor N) or pidfd:PID (a pidfd of process PID).
 *   varlink-raw --hog N BYTES SOCKET
 * sends N descriptors (of /dev/null) and BYTES bytes of an unterminated message, then keeps
 * the connection open until killed: a client that holds what it may.
 * Replies are printed one per line (the NUL terminators become newlines); at EOF from the
 * server it prints "EOF". Exit 0, or 1 when the socket cannot be reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define FDS_MAX 253 /* what one sendmsg() may carry */

static int open_spec(const char *spec)
{
	static const struct {
		const char *prefix;
		int flags;
	} kinds[] = {
		{ "dir:", O_RDONLY | O_DIRECTORY }, { "path:", O_PATH }, { "rw:", O_RDWR },
	};

	if (strncmp(spec, "fd:", 3) == 0)
		return atoi(spec + 3);
	if (strncmp(spec, "pidfd:", 6) == 0)
		return (int)syscall(SYS_pidfd_open, atoi(spec + 6), 0);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return open(spec + strlen(kinds[i].prefix), kinds[i].flags | O_CLOEXEC);
	return open(spec, O_RDONLY | O_CLOEXEC);
}

/* One sendmsg() of data with fds. */
static int send_with_fds(int sock, void *data, size_t len, const int *fds, size_t n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
	} control = {};
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > 0) {
		struct cmsghdr *cm;

		mh.msg_control = &control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "varlink-raw: socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "varlink-raw: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

static int hog(int argc, char *argv[])
{
	int fds[FDS_MAX], sock, n, sent = 0;
	size_t bytes, off = 0;
	char *junk;

	if (argc != 5)
		return 2;
	n = atoi(argv[2]);
	bytes = strtoul(argv[3], NULL, 10);
	sock = connect_to(argv[4]);
	if (sock < 0)
		return 1;
	junk = malloc(bytes + 1);
	memset(junk, ' ', bytes);
	junk[0] = '{';
	for (int i = 0; i < FDS_MAX && i < n; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* The fds in batches of at most 16 with a byte each, then the rest of the message. */
	while (sent < n && off < bytes) {
		int k = n - sent > 16 ? 16 : n - sent;

		if (send_with_fds(sock, junk + off, 1, fds + sent, (size_t)k) < 0)
			break;
		sent += k;
		off++;
	}
	while (off < bytes) {
		ssize_t k = send(sock, junk + off, bytes - off, MSG_NOSIGNAL);

		if (k <= 0)
			break;
		off += (size_t)k;
	}
	printf("held %d fds and %zu bytes\n", sent, off);
	fflush(stdout);
	pause();
	return 0;
}

int main(int argc, char *argv[])
{
	int fds[FDS_MAX], sock, n_fds = 0, i = 1;
	char buf[65536];
	bool first = true;
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], "--hog") == 0)
		return hog(argc, argv);
	while (i + 1 < argc && strcmp(argv[i], "--fd") == 0 && n_fds < FDS_MAX) {
		fds[n_fds] = open_spec(argv[i + 1]);
		if (fds[n_fds] < 0) {
			fprintf(stderr, "varlink-raw: %s: %s\n", argv[i + 1], strerror(errno));
			return 1;
		}
		n_fds++;
		i += 2;
	}
	if (i + 1 != argc) {
		fprintf(stderr, "usage: varlink-raw [--fd SPEC]... SOCKET < bytes\n"
				"       varlink-raw --hog N BYTES SOCKET\n");
		return 2;
	}
	sock = connect_to(argv[i]);
	if (sock < 0)
		return 1;
	/* Send everything (a server may close early: stop sending then); the fds go with the
	 * first bytes, as a varlink client sends them with its message. */
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		if (send_with_fds(sock, buf, (size_t)n, fds, first ? (size_t)n_fds : 0) < 0)
			break;
		first = false;
	}
	shutdown(sock, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0) {
			puts("TIMEOUT");
			break;
		}
		n = read(sock, buf, sizeof(buf));
		if (n <= 0) {
			puts("EOF");
			break;
		}
		for (ssize_t j = 0; j < n; j++)
			putchar(buf[j] ? buf[j] : '\n');
	}
	close(sock);
	return 0;
}
