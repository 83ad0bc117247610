/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord/idmap.c: a caller's user namespace maps from /etc/subuid-style files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idmap.h"
#include "tap.h"

static char path[] = "/tmp/rvisor-test-idmap-XXXXXX";

static void write_file(const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static char *formatted(const char *text, const char *name, uint32_t id, int *ret)
{
	struct idmap m;
	char *s = NULL;

	write_file(text);
	*ret = idmap_for_caller(path, name, id, &m);
	if (*ret == 0 && idmap_format(&m, &s) < 0)
		abort();
	return s;
}

int main(void)
{
	char *s;
	int r, fd;

	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);

	s = formatted("", "alice", 1000, &r);
	is_int(r, 0, "no ranges: the caller's own id only");
	is_str(s, "0 1000 1\n", "0 is the caller");
	free(s);

	s = formatted("bob:100000:65536\nalice:165536:65536\n1000:300000:10\n", "alice", 1000, &r);
	is_str(s, "0 1000 1\n1 165536 65536\n65537 300000 10\n",
	       "by name and by number, in file order, others' ranges left out");
	free(s);

	s = formatted("alice:0:65536\nalice:500:1000\nalice:100000:10\nalice:100005:10\n"
		      "alice:4294967290:10\nalice:x:1\nalice:1:0\nalice:-1:5\ngarbage\n\n",
		      "alice", 1000, &r);
	is_str(s, "0 1000 1\n1 100000 10\n",
	       "ranges holding 0 or the caller's id, overlapping, overflowing or malformed are skipped");
	free(s);

	s = formatted("root:1000000:65536\n", "root", 0, &r);
	is_int(r, 0, "root with ranges");
	is_str(s, "0 1000000 65536\n", "root's 0 is its first subordinate id, never host root");
	free(s);

	s = formatted("", "root", 0, &r);
	is_int(r, -ENOENT, "root without ranges: -ENOENT (nothing to map)");
	free(s);

	s = formatted("alice:100000:65536\n", NULL, 1000, &r);
	is_str(s, "0 1000 1\n", "a caller without a passwd name matches only by number");
	free(s);

	{
		char big[8192] = "";

		for (int i = 0; i < 40; i++)
			snprintf(big + strlen(big), sizeof(big) - strlen(big), "alice:%d:10\n", 100000 + i * 100);
		s = formatted(big, "alice", 1000, &r);
		is_int(r, -E2BIG, "more than IDMAP_RANGES_MAX ranges: -E2BIG");
		free(s);
	}
	{
		struct idmap m;

		write_file("alice:100000:65536\n");
		idmap_for_caller(path, "alice", 1000, &m);
		ok(idmap_contains(&m, 0) && idmap_contains(&m, 65536) && !idmap_contains(&m, 65537),
		   "idmap_contains: 0..65536 mapped, 65537 not");
		is_int((long long)idmap_size(&m), 65537, "idmap_size");
	}
	unlink(path);
	is_int(idmap_for_caller("/nonexistent/subuid", "alice", 1000, &(struct idmap){}), 0,
	       "a missing file means no ranges");
	return tap_done();
}
