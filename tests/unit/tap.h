/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal TAP producer for rvisor's C unit tests: one binary per file, one plan each. */
#ifndef RVISOR_TAP_H
#define RVISOR_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline bool tap_ok(bool cond, const char *name, const char *file, int line)
{
	tap_count++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define ok(cond, name) tap_ok((cond), (name), __FILE__, __LINE__)

#define is_int(got, want, name)                                                                   \
	({                                                                                        \
		long long _g = (got), _w = (want);                                                \
		bool _r = ok(_g == _w, name);                                                     \
		if (!_r)                                                                          \
			printf("#   got %lld, want %lld\n", _g, _w);                                 \
		_r;                                                                               \
	})

#define is_str(got, want, name)                                                                   \
	({                                                                                        \
		const char *_g = (got), *_w = (want);                                             \
		bool _r = ok(_g && _w && strcmp(_g, _w) == 0, name);                              \
		if (!_r)                                                                          \
			printf("#   got \"%s\", want \"%s\"\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
		_r;                                                                               \
	})

/* Prints the plan at the end (TAP allows it there) and gives main's exit code. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
