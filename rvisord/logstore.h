/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The output of a detached sandbox, as rvisord keeps it: records (a stream, a time, the bytes)
 * appended to DIR/ID.log; when that would grow past the size limit it becomes DIR/ID.log.1
 * (replacing the older one) and a new ID.log starts, as docker's max-size: at most about
 * twice the limit on disk. Cursors read the records in order, also while they are written,
 * and learn when a rotation removed what they had not read yet. Returns -errno and never
 * logs, like lib/.
 */
#ifndef RVISORD_LOGSTORE_H
#define RVISORD_LOGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_stream {
	LOG_STREAM_STDOUT = 1, /* with a terminal, everything the terminal showed */
	LOG_STREAM_STDERR = 2,
};

/* The bytes of one record at most; longer writes are split. */
#define LOG_RECORD_MAX (64U * 1024)
/* The smallest size limit (a few records' worth) and the largest (rvisord.conf's log_size). */
#define LOG_SIZE_MIN (16U * 1024)
#define LOG_SIZE_MAX (1024ULL * 1024 * 1024)

/* On disk, before each record's bytes; little-endian on the only platform rvisor runs on. */
struct log_header {
	uint8_t stream;      /* enum log_stream */
	uint8_t reserved[3]; /* 0 */
	uint32_t size;       /* the bytes that follow: 1 to LOG_RECORD_MAX */
	uint64_t usec;       /* when rvisord read them, CLOCK_REALTIME */
};

struct log_cursor;

struct log_store {
	char *path, *path_old;  /* DIR/ID.log and DIR/ID.log.1 */
	int fd;                 /* the current file, O_APPEND */
	uint64_t size;          /* of the current file */
	uint64_t old_size;      /* of ID.log.1 (0: none) */
	uint64_t max_size;      /* a file never grows past it */
	uint64_t generation;    /* rotations so far: the current file's number */
	struct log_cursor *cursors; /* the open ones, told about rotations */
};

/*
 * Opens the log of sandbox id under dir (which must exist), creating an empty one; an
 * existing one is kept (rvisord restarted), cut after its last whole record (a record torn
 * by a crash is dropped). max_size: at least LOG_SIZE_MIN, else -EINVAL.
 */
int log_store_open(const char *dir, uint64_t id, uint64_t max_size, struct log_store **ret);

/* Appends data as records of stream (split at LOG_RECORD_MAX and a quarter of max_size),
 * rotating first when the current file would grow past max_size. */
int log_store_append(struct log_store *s, enum log_stream stream, const void *data, size_t size,
		     uint64_t usec);

/* Removes both files (the store stays usable for nothing but log_store_free()). */
int log_store_remove(struct log_store *s);

/* Closes (not removes); every cursor must have been closed. NULL is fine; returns NULL. */
struct log_store *log_store_free(struct log_store *s);

static inline void log_store_freep(struct log_store **s)
{
	log_store_free(*s);
}

/* Where a reader is: a file (by generation) and an offset in it. */
struct log_cursor {
	struct log_store *store;
	struct log_cursor *next;
	uint64_t generation;
	uint64_t offset;
	int fd;               /* that file, or -1: not opened yet, or rotated away */
	bool lost;            /* rotated away before it was read to the end */
	uint64_t dropped;     /* bytes of records rotated away unread, since the last reading */
};

/* A cursor at the first record kept, or at the end (only what comes from now on). */
void log_cursor_open(struct log_store *s, struct log_cursor *c, bool at_end);
void log_cursor_close(struct log_cursor *c);

/*
 * The next record: 1 with its header and bytes in buf (at least LOG_RECORD_MAX), 0 when
 * there is none yet (more may be appended later), -errno. Records a rotation removed before
 * they were read are skipped and counted in c->dropped.
 */
int log_cursor_next(struct log_cursor *c, struct log_header *ret_header, void *buf);

/* Whether a header is one this store writes. */
bool log_header_valid(const struct log_header *h);

#endif
