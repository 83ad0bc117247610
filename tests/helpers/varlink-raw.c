/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * varlink-raw: sends arbitrary bytes to a varlink socket and prints what comes back, for
 * tests that feed a server malformed input. Usage: varlink-raw SOCKET < bytes
 * Replies are printed one per line (the NUL terminators become newlines); at EOF from the
 * server it prints "EOF". Exit 0, or 1 when the socket cannot be reached.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: varlink-raw SOCKET < bytes\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "varlink-raw: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* Send everything (a server may close early: stop sending then). */
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
			break;
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0) {
			puts("TIMEOUT");
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			puts("EOF");
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			putchar(buf[i] ? buf[i] : '\n');
	}
	close(fd);
	return 0;
}
