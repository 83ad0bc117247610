/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuse-stall: a FUSE file system whose server never answers, for tests that a client's slow
 * or hostile image cannot hold up rvisord. Mounts an empty directory (allow_other) at
 * MOUNTPOINT, answers what opening and stat()ing it needs (INIT, GETATTR, OPENDIR,
 * RELEASEDIR, ACCESS, LOOKUP: ENOENT) and leaves every other request (STATFS, GETXATTR, ...)
 * unanswered: whoever asks waits until killed or until this program ends. Prints "mounted",
 * then one "stalled OPCODE" line per request it leaves waiting. Exits when unmounted.
 *   fuse-stall MOUNTPOINT        (needs root)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int dev;

static void reply(uint64_t unique, int error, const void *out, size_t n)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + n), .error = -error, .unique = unique };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)out, n } };

	if (writev(dev, iov, n ? 2 : 1) < 0 && errno != ENOENT) /* ENOENT: interrupted meanwhile */
		perror("fuse-stall: writev");
}

static void root_attr(struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = FUSE_ROOT_ID;
	a->mode = S_IFDIR | 0755;
	a->nlink = 2;
	a->blksize = 4096;
}

int main(int argc, char *argv[])
{
	static char buf[1 << 20];
	char opts[128];

	if (argc != 2) {
		fprintf(stderr, "usage: fuse-stall MOUNTPOINT\n");
		return 2;
	}
	dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("fuse-stall: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,group_id=0,allow_other", dev);
	if (mount("fuse-stall", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-stall: mount");
		return 1;
	}
	puts("mounted");
	fflush(stdout);
	for (;;) {
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		ssize_t n = read(dev, buf, sizeof(buf));

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return errno == ENODEV ? 0 : 1; /* unmounted */
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *ii = (const void *)(in + 1);
			struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION,
						   .minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ?
								    ii->minor : FUSE_KERNEL_MINOR_VERSION,
						   .max_readahead = ii->max_readahead,
						   .max_write = 4096 };

			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = {};

			root_attr(&o.attr);
			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { .fh = 1 };

			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_RELEASEDIR:
		case FUSE_ACCESS:
			reply(in->unique, 0, NULL, 0);
			break;
		case FUSE_LOOKUP:
			reply(in->unique, ENOENT, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break; /* no answer expected */
		case FUSE_DESTROY:
			return 0;
		default:
			printf("stalled %u\n", in->opcode);
			fflush(stdout);
			break;
		}
	}
}
