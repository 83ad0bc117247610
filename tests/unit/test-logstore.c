/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord/logstore.c: a detached sandbox's output on disk: records in order, streams kept
 * apart, the size bound with rotation, cursors across rotations, torn files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logstore.h"
#include "tap.h"

static char dir[] = "/tmp/rvisor-test-logstore-XXXXXX";
static char buf[LOG_RECORD_MAX];

static uint64_t size_of(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Reads every record a cursor has now into out (stream letter, then the bytes). */
static size_t drain(struct log_cursor *c, char *out, size_t size)
{
	struct log_header h;
	size_t n = 0;

	while (log_cursor_next(c, &h, buf) == 1) {
		if (n + 1 + h.size >= size)
			abort();
		out[n++] = h.stream == LOG_STREAM_STDOUT ? 'O' : 'E';
		memcpy(out + n, buf, h.size);
		n += h.size;
	}
	out[n] = '\0';
	return n;
}

static void test_order_and_streams(void)
{
	struct log_store *s = NULL;
	struct log_cursor c, live;
	char out[256];

	is_int(log_store_open(dir, 1, 1024 * 1024, &s), 0, "a new log opens");
	ok(exists("1.log") && !exists("1.log.1"), "it is DIR/ID.log");
	log_cursor_open(s, &live, true);
	is_int(log_store_append(s, LOG_STREAM_STDOUT, "out1", 4, 10), 0, "stdout appended");
	is_int(log_store_append(s, LOG_STREAM_STDERR, "err1", 4, 11), 0, "stderr appended");
	is_int(log_store_append(s, LOG_STREAM_STDOUT, "out2", 4, 12), 0, "stdout again");
	is_int(log_store_append(s, 7, "x", 1, 12), -EINVAL, "an unknown stream is refused");
	log_cursor_open(s, &c, false);
	drain(&c, out, sizeof(out));
	is_str(out, "Oout1Eerr1Oout2", "a cursor from the start reads all, in order, streams apart");
	drain(&live, out, sizeof(out));
	is_str(out, "Oout1Eerr1Oout2", "a cursor opened at the (empty) end reads what came after");
	is_int(log_store_append(s, LOG_STREAM_STDERR, "late", 4, 13), 0, "more appended");
	drain(&c, out, sizeof(out));
	is_str(out, "Elate", "a cursor at the end gets what is appended later");
	log_cursor_close(&live);
	log_cursor_open(s, &live, true);
	drain(&live, out, sizeof(out));
	is_str(out, "", "a cursor opened at the end reads nothing old");
	log_cursor_close(&live);
	log_cursor_close(&c);
	ok(!s->cursors, "closed cursors are unlinked");
	is_int(log_store_remove(s), 0, "removed");
	ok(!exists("1.log") && !exists("1.log.1"), "no file is left");
	log_store_free(s);
}

static void test_rotation_bound(void)
{
	const uint64_t max = LOG_SIZE_MIN;
	struct log_store *s = NULL;
	struct log_cursor c;
	struct log_header h;
	char chunk[1000];
	uint64_t total = 0;
	int r;

	is_int(log_store_open(dir, 2, LOG_SIZE_MIN - 1, &s), -EINVAL, "a size below the minimum is refused");
	is_int(log_store_open(dir, 2, max, &s), 0, "opened with the smallest size");
	log_cursor_open(s, &c, false);
	memset(chunk, 'x', sizeof(chunk));
	/* Far more than the limit: 20 times it. */
	for (int i = 0; i < 20 * (int)(max / sizeof(chunk)); i++) {
		if (log_store_append(s, LOG_STREAM_STDOUT, chunk, sizeof(chunk), 1) < 0)
			break;
		total += sizeof(chunk);
	}
	is_int(total, 20 * (max / sizeof(chunk)) * sizeof(chunk), "every append succeeded");
	ok(size_of("2.log") <= max, "the current file stays within the limit");
	ok(size_of("2.log.1") <= max, "the older file too");
	ok(size_of("2.log.1") > max / 2, "the older file was filled before it rotated");
	ok(exists("2.log.1"), "the older file is ID.log.1");
	/* The cursor never read: everything but the two kept files was dropped, and said. */
	r = log_cursor_next(&c, &h, buf);
	is_int(r, 1, "a cursor left behind reads on");
	ok(c.lost && c.dropped > 0, "it was told that records were dropped");
	ok(c.dropped + size_of("2.log.1") + size_of("2.log") >= total + 0 &&
		   c.dropped < total, "what it was told adds up to what is gone");
	log_cursor_close(&c);

	/* A big write is split: no record exceeds a quarter of the limit. */
	log_cursor_open(s, &c, true);
	{
		static char big[3 * LOG_RECORD_MAX];
		size_t got = 0;

		memset(big, 'b', sizeof(big));
		is_int(log_store_append(s, LOG_STREAM_STDERR, big, max / 2, 2), 0, "a write of half the limit");
		while (log_cursor_next(&c, &h, buf) == 1) {
			ok(h.size <= max / 4, "each record is at most a quarter of the limit");
			got += h.size;
		}
		is_int(got, max / 2, "all of it is read back");
	}
	log_cursor_close(&c);
	log_store_remove(s);
	log_store_free(s);
}

static void test_cursor_across_rotation(void)
{
	struct log_store *s = NULL;
	struct log_cursor c;
	struct log_header h;
	char rec[LOG_SIZE_MIN / 4];
	int n = 0;

	log_store_open(dir, 3, LOG_SIZE_MIN, &s);
	log_cursor_open(s, &c, false);
	memset(rec, 'r', sizeof(rec));
	/* Read as it is written, through several rotations: nothing is lost. */
	for (int i = 0; i < 40; i++) {
		rec[0] = (char)('A' + i % 26);
		log_store_append(s, LOG_STREAM_STDOUT, rec, sizeof(rec) - 16, 1);
		while (log_cursor_next(&c, &h, buf) == 1)
			if (buf[0] == (char)('A' + n % 26))
				n++;
	}
	is_int(n, 40, "a cursor that keeps up reads every record, in order");
	ok(!c.lost && c.dropped == 0, "and is never told of a loss");
	ok(s->generation > 3, "the file rotated several times meanwhile");
	log_cursor_close(&c);
	log_store_remove(s);
	log_store_free(s);
}

static void test_reopen_and_torn(void)
{
	struct log_store *s = NULL;
	struct log_cursor c;
	char out[256], path[256];
	int fd;

	log_store_open(dir, 4, LOG_SIZE_MIN, &s);
	log_store_append(s, LOG_STREAM_STDOUT, "kept", 4, 1);
	log_store_free(s);

	/* A record torn by a crash: a header whose bytes never came, then garbage. */
	snprintf(path, sizeof(path), "%s/4.log", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	{
		struct log_header h = { .stream = LOG_STREAM_STDERR, .size = 100, .usec = 2 };

		if (write(fd, &h, sizeof(h)) != sizeof(h) || write(fd, "torn", 4) != 4)
			abort();
	}
	close(fd);
	is_int(log_store_open(dir, 4, LOG_SIZE_MIN, &s), 0, "a torn log opens again");
	is_int(s->size, sizeof(struct log_header) + 4, "cut after the last whole record");
	log_store_append(s, LOG_STREAM_STDERR, "new", 3, 3);
	log_cursor_open(s, &c, false);
	drain(&c, out, sizeof(out));
	is_str(out, "OkeptEnew", "what was kept, then what came after the restart");
	log_cursor_close(&c);
	log_store_free(s);

	/* Garbage from the start: an invalid stream. */
	fd = open(path, O_WRONLY | O_TRUNC);
	{
		struct log_header h = { .stream = 9, .size = 4 };

		if (write(fd, &h, sizeof(h)) != sizeof(h) || write(fd, "abcd", 4) != 4)
			abort();
	}
	close(fd);
	is_int(log_store_open(dir, 4, LOG_SIZE_MIN, &s), 0, "a log of garbage opens");
	is_int(s->size, 0, "and is emptied");
	log_store_remove(s);
	log_store_free(s);

	/* A header claiming more than a record may hold. */
	{
		struct log_header h = { .stream = LOG_STREAM_STDOUT, .size = LOG_RECORD_MAX + 1 };

		ok(!log_header_valid(&h), "a record larger than LOG_RECORD_MAX is invalid");
		h.size = 0;
		ok(!log_header_valid(&h), "an empty record is invalid");
		h.size = 1;
		h.reserved[1] = 1;
		ok(!log_header_valid(&h), "reserved bytes must be 0");
	}
}

static void test_removed_underneath(void)
{
	struct log_store *s = NULL;
	struct log_cursor c;
	struct log_header h;

	log_store_open(dir, 5, LOG_SIZE_MIN, &s);
	log_store_append(s, LOG_STREAM_STDOUT, "a", 1, 1);
	log_cursor_open(s, &c, false);
	log_store_remove(s);
	is_int(log_cursor_next(&c, &h, buf), 0, "a cursor on a removed log reads nothing, without error");
	log_cursor_close(&c);
	log_store_free(s);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_order_and_streams();
	test_rotation_bound();
	test_cursor_across_rotation();
	test_reopen_and_torn();
	test_removed_underneath();
	rmdir(dir);
	return tap_done();
}
