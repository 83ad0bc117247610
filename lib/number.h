/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decimal numbers and sizes as users write them. */
#ifndef RVISOR_NUMBER_H
#define RVISOR_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

/* Leading decimal digits of *p into *ret, advancing *p. -EINVAL when there are none;
 * *ret_overflow when they exceed max (the digits are consumed all the same, so the caller can
 * still tell a syntax error from a range error). */
int number_parse_digits(const char **p, uint64_t max, uint64_t *ret, bool *ret_overflow);

/* "512", "64K", "512M", "2G", "1T" (binary multiples, suffix in either case, optionally
 * followed by "B" or "iB") to bytes. -EINVAL for anything else (signs, spaces, fractions),
 * -ERANGE for 0 or more than INT64_MAX. */
int size_parse(const char *s, uint64_t *ret);

#endif
