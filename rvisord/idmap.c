/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sandbox's user namespace maps: the caller's own id and its subordinate ranges. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "macro.h"

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static bool overlaps(uint64_t a, uint64_t na, uint64_t b, uint64_t nb)
{
	return a < b + nb && b < a + na;
}

/* One line "NAME:START:COUNT" of subuid(5); false for anything else. */
static bool parse_line(char *line, char **ret_name, uint32_t *ret_start, uint32_t *ret_count)
{
	char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
	unsigned long long start, count;

	if (!c1 || !c2 || c1 == line)
		return false;
	*c1 = *c2 = '\0';
	line[strcspn(line, " \t")] = '\0';
	c2[1 + strcspn(c2 + 1, "\r\n \t")] = '\0';
	errno = 0;
	start = strtoull(c1 + 1, &end, 10);
	if (errno || end == c1 + 1 || *end || c1[1] == '-')
		return false;
	count = strtoull(c2 + 1, &end, 10);
	if (errno || end == c2 + 1 || *end || c2[1] == '-' || count == 0)
		return false;
	/* (uid_t)-1 is no id: a range must end below it. */
	if (start > UINT32_MAX || count > UINT32_MAX || start + count > UINT32_MAX)
		return false;
	*ret_name = line;
	*ret_start = (uint32_t)start;
	*ret_count = (uint32_t)count;
	return true;
}

int idmap_for_caller(const char *subid_file, const char *name, uint32_t id, struct idmap *ret)
{
	_cleanup_(fclosep) FILE *f = NULL;
	struct idmap m = {};
	uint64_t next = 0;
	char idstr[16], line[512];

	snprintf(idstr, sizeof(idstr), "%" PRIu32, id);
	if (id != 0) {
		m.ranges[m.n++] = (struct idmap_range){ .inside = 0, .outside = id, .count = 1 };
		next = 1;
	}
	f = fopen(subid_file, "re");
	if (!f && errno != ENOENT)
		return -errno;
	while (f && fgets(line, sizeof(line), f)) {
		uint32_t start, count;
		char *who;
		bool clash;

		if (!parse_line(line, &who, &start, &count))
			continue;
		if (strcmp(who, idstr) != 0 && (!name || strcmp(who, name) != 0))
			continue;
		clash = overlaps(start, count, 0, 1) || (id != 0 && overlaps(start, count, id, 1));
		for (unsigned i = 0; i < m.n && !clash; i++)
			clash = overlaps(start, count, m.ranges[i].outside, m.ranges[i].count);
		if (clash || next + count > UINT32_MAX)
			continue;
		if (m.n == IDMAP_RANGES_MAX)
			return -E2BIG;
		m.ranges[m.n++] = (struct idmap_range){ .inside = (uint32_t)next, .outside = start,
							.count = count };
		next += count;
	}
	if (m.n == 0)
		return -ENOENT;
	*ret = m;
	return 0;
}

bool idmap_contains(const struct idmap *m, uint32_t id)
{
	return idmap_outside(m, id) >= 0;
}

int64_t idmap_outside(const struct idmap *m, uint32_t id)
{
	for (unsigned i = 0; i < m->n; i++)
		if (id >= m->ranges[i].inside && id - m->ranges[i].inside < m->ranges[i].count)
			return (int64_t)m->ranges[i].outside + (id - m->ranges[i].inside);
	return -ENOENT;
}

uint64_t idmap_size(const struct idmap *m)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < m->n; i++)
		n += m->ranges[i].count;
	return n;
}

int idmap_format(const struct idmap *m, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	for (unsigned i = 0; i < m->n; i++)
		fprintf(f, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", m->ranges[i].inside,
			m->ranges[i].outside, m->ranges[i].count);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}
