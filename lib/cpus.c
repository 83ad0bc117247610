/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers of CPUs and CPU lists: parsing and formatting (lib/cpus.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpus.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int cpus_parse(const char *s, uint64_t *ret_milli)
{
	uint64_t whole = 0, frac = 0, milli;
	unsigned digits = 0, decimals = 0;
	const char *p = s;

	if (!s || !ret_milli)
		return -EINVAL;
	for (; is_digit(*p); p++, digits++)
		if (whole <= CPUS_MILLI_MAX) /* saturates: anything larger is -ERANGE anyway */
			whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.') {
		for (p++; is_digit(*p); p++, decimals++)
			if (decimals < 3)
				frac = frac * 10 + (uint64_t)(*p - '0');
		if (decimals == 0 || decimals > 3)
			return -EINVAL;
	}
	if (*p || digits + decimals == 0)
		return -EINVAL;
	for (unsigned i = decimals; i < 3; i++)
		frac *= 10;
	if (whole > CPUS_MILLI_MAX / 1000)
		return -ERANGE;
	milli = whole * 1000 + frac;
	if (milli < CPUS_MILLI_MIN || milli > CPUS_MILLI_MAX)
		return -ERANGE;
	*ret_milli = milli;
	return 0;
}

const char *cpus_format(uint64_t milli, char *buf, size_t size)
{
	uint64_t frac = milli % 1000;
	int n;

	n = snprintf(buf, size, "%" PRIu64, milli / 1000);
	if (frac && n > 0 && (size_t)n < size) {
		char f[8];
		size_t k;

		snprintf(f, sizeof(f), ".%03" PRIu64, frac);
		for (k = 4; f[k - 1] == '0'; k--)
			;
		f[k] = '\0';
		snprintf(buf + n, size - (size_t)n, "%s", f);
	}
	return buf;
}

/* A CPU number: digits, below CPU_SETSIZE. */
static int parse_cpu(const char **p, unsigned *ret)
{
	unsigned v = 0;

	if (!is_digit(**p))
		return -EINVAL;
	for (; is_digit(**p); (*p)++) {
		v = v * 10 + (unsigned)(**p - '0');
		if (v >= CPU_SETSIZE)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

int cpulist_parse(const char *s, cpu_set_t *ret)
{
	const char *p = s;
	cpu_set_t set;

	if (!s || !ret)
		return -EINVAL;
	CPU_ZERO(&set);
	while (*p && *p != '\n') {
		unsigned a, b;
		int r;

		r = parse_cpu(&p, &a);
		if (r < 0)
			return r;
		b = a;
		if (*p == '-') {
			p++;
			r = parse_cpu(&p, &b);
			if (r < 0)
				return r;
			if (b < a)
				return -EINVAL;
		}
		for (unsigned c = a; c <= b; c++)
			CPU_SET(c, &set);
		if (*p == ',' && p[1] && p[1] != '\n')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	if (*p == '\n' && p[1])
		return -EINVAL;
	*ret = set;
	return 0;
}

int cpulist_format(const cpu_set_t *set, char **ret)
{
	/* "1023-1023," is the longest item: 10 bytes per CPU is always enough. */
	size_t size = (size_t)CPU_SETSIZE * 10 + 1, len = 0;
	char *buf = malloc(size);

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (unsigned c = 0; c < CPU_SETSIZE; c++) {
		unsigned end = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
			end++;
		len += (size_t)snprintf(buf + len, size - len, "%s%u", len ? "," : "", c);
		if (end > c)
			len += (size_t)snprintf(buf + len, size - len, "-%u", end);
		c = end;
	}
	*ret = buf;
	return 0;
}
