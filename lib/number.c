/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decimal numbers and sizes as users write them on command lines and in Run's mounts. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "number.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int number_parse_digits(const char **p, uint64_t max, uint64_t *ret, bool *ret_overflow)
{
	const char *s = *p;
	uint64_t v = 0;
	bool overflow = false;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (overflow || v > (max - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	*ret_overflow = overflow;
	return 0;
}

int size_parse(const char *s, uint64_t *ret)
{
	uint64_t v, mult = 1;
	bool overflow;
	const char *p = s;

	if (!s || !ret || number_parse_digits(&p, UINT64_MAX, &v, &overflow) < 0)
		return -EINVAL;
	switch (*p) {
	case 'k': case 'K': mult = 1ULL << 10; p++; break;
	case 'm': case 'M': mult = 1ULL << 20; p++; break;
	case 'g': case 'G': mult = 1ULL << 30; p++; break;
	case 't': case 'T': mult = 1ULL << 40; p++; break;
	default: break;
	}
	/* "512MB", "512MiB" and "512B" mean what they say. */
	if (mult > 1 && (*p == 'i' || *p == 'I') && (p[1] == 'b' || p[1] == 'B'))
		p += 2;
	else if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		return -EINVAL;
	if (overflow || v == 0 || v > (uint64_t)INT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}
