/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A detached sandbox's output on disk: records, bounded by rotation, read by cursors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "logstore.h"
#include "macro.h"

bool log_header_valid(const struct log_header *h)
{
	return (h->stream == LOG_STREAM_STDOUT || h->stream == LOG_STREAM_STDERR) && !h->reserved[0] &&
	       !h->reserved[1] && !h->reserved[2] && h->size >= 1 && h->size <= LOG_RECORD_MAX;
}

/* The offset after the last whole, valid record of fd: what a crash may have torn goes. */
static int valid_end(int fd, uint64_t *ret)
{
	struct stat st;
	uint64_t off = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	for (;;) {
		struct log_header h;
		ssize_t n = pread(fd, &h, sizeof(h), (off_t)off);

		if (n < 0)
			return -errno;
		if (n != (ssize_t)sizeof(h) || !log_header_valid(&h) ||
		    off + sizeof(h) + h.size > (uint64_t)st.st_size)
			break;
		off += sizeof(h) + h.size;
	}
	*ret = off;
	return 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

int log_store_open(const char *dir, uint64_t id, uint64_t max_size, struct log_store **ret)
{
	_cleanup_(log_store_freep) struct log_store *s = NULL;
	uint64_t end = 0;
	int r;

	if (max_size < LOG_SIZE_MIN)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->max_size = max_size;
	s->generation = 1; /* ID.log.1 is generation 0 */
	if (asprintf(&s->path, "%s/%" PRIu64 ".log", dir, id) < 0) {
		s->path = NULL;
		return -ENOMEM;
	}
	if (asprintf(&s->path_old, "%s.1", s->path) < 0) {
		s->path_old = NULL;
		return -ENOMEM;
	}
	s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (s->fd < 0)
		return -errno;
	r = valid_end(s->fd, &end);
	if (r < 0)
		return r;
	if (ftruncate(s->fd, (off_t)end) < 0)
		return -errno;
	s->size = end;
	s->old_size = file_size(s->path_old);
	*ret = TAKE_PTR(s);
	return 0;
}

/* A cursor whose file is about to be replaced: what it had not read is gone. */
static void cursor_lose(struct log_cursor *c, uint64_t file_size, uint64_t generation)
{
	if (file_size > c->offset)
		c->dropped += file_size - c->offset;
	c->fd = safe_close(c->fd);
	c->lost = true;
	c->generation = generation;
	c->offset = 0;
}

/* ID.log becomes ID.log.1 (the older one goes), a new ID.log starts. */
static int rotate(struct log_store *s)
{
	int fd;

	if (rename(s->path, s->path_old) < 0)
		return -errno;
	fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	/* Cursors still in ID.log.1 lose what they had not read; they go on in the file that
	 * becomes ID.log.1 now. */
	for (struct log_cursor *c = s->cursors; c; c = c->next)
		if (c->generation < s->generation)
			cursor_lose(c, s->old_size, s->generation);
	close(s->fd);
	s->fd = fd;
	s->old_size = s->size;
	s->size = 0;
	s->generation++;
	return 0;
}

static int append_record(struct log_store *s, enum log_stream stream, const void *data, size_t size,
			 uint64_t usec)
{
	struct log_header h = { .stream = (uint8_t)stream, .size = (uint32_t)size, .usec = usec };
	/* writev() does not write to its buffers: the const goes only for its signature. */
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)data, size } };
	ssize_t n;
	int r;

	if (s->size > 0 && s->size + sizeof(h) + size > s->max_size) {
		r = rotate(s);
		if (r < 0)
			return r;
	}
	n = writev(s->fd, iov, 2);
	if (n == (ssize_t)(sizeof(h) + size)) {
		s->size += (uint64_t)n;
		return 0;
	}
	r = n < 0 ? -errno : -ENOSPC;
	/* No torn record may stay for a cursor to stop at. */
	if (n > 0 && ftruncate(s->fd, (off_t)s->size) < 0)
		return -errno;
	return r;
}

int log_store_append(struct log_store *s, enum log_stream stream, const void *data, size_t size,
		     uint64_t usec)
{
	size_t chunk_max = s->max_size / 4 < LOG_RECORD_MAX ? (size_t)(s->max_size / 4) : LOG_RECORD_MAX;
	const char *p = data;

	if (stream != LOG_STREAM_STDOUT && stream != LOG_STREAM_STDERR)
		return -EINVAL;
	while (size > 0) {
		size_t n = size < chunk_max ? size : chunk_max;
		int r = append_record(s, stream, p, n, usec);

		if (r < 0)
			return r;
		p += n;
		size -= n;
	}
	return 0;
}

int log_store_remove(struct log_store *s)
{
	int r = 0;

	if (unlink(s->path) < 0 && errno != ENOENT)
		r = -errno;
	if (unlink(s->path_old) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

struct log_store *log_store_free(struct log_store *s)
{
	if (!s)
		return NULL;
	safe_close(s->fd);
	free(s->path);
	free(s->path_old);
	free(s);
	return NULL;
}

void log_cursor_open(struct log_store *s, struct log_cursor *c, bool at_end)
{
	*c = (struct log_cursor){
		.store = s,
		.next = s->cursors,
		.generation = at_end ? s->generation : s->generation - 1,
		.offset = at_end ? s->size : 0,
		.fd = -1,
	};
	s->cursors = c;
}

void log_cursor_close(struct log_cursor *c)
{
	if (!c->store)
		return;
	for (struct log_cursor **p = &c->store->cursors; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->fd = safe_close(c->fd);
	c->store = NULL;
}

/* Opens the cursor's file: 1, or 0 when it does not exist (never written, or removed). */
static int cursor_open_file(struct log_cursor *c)
{
	const struct log_store *s = c->store;
	const char *path = c->generation == s->generation ? s->path : s->path_old;

	if (c->fd >= 0)
		return 1;
	c->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (c->fd >= 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int log_cursor_next(struct log_cursor *c, struct log_header *ret_header, void *buf)
{
	struct log_store *s = c->store;

	if (!s)
		return -EBADF;
	for (;;) {
		struct log_header h;
		int r = cursor_open_file(c);

		if (r < 0)
			return r;
		if (r > 0) {
			ssize_t n = pread(c->fd, &h, sizeof(h), (off_t)c->offset);

			if (n < 0)
				return -errno;
			if (n == (ssize_t)sizeof(h) && log_header_valid(&h)) {
				n = pread(c->fd, buf, h.size, (off_t)(c->offset + sizeof(h)));
				if (n < 0)
					return -errno;
				if (n == (ssize_t)h.size) {
					c->offset += sizeof(h) + h.size;
					*ret_header = h;
					return 1;
				}
			}
		}
		/* The end of this file: the next one, if there is a newer one. */
		if (c->generation >= s->generation)
			return 0;
		c->fd = safe_close(c->fd);
		c->generation++;
		c->offset = 0;
	}
}
