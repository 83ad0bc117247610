/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A failure's message beside its -errno; see fail.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ret_error || *ret_error)
		return r;
	va_start(ap, fmt);
	n = vasprintf(ret_error, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*ret_error = NULL; /* vasprintf() leaves it undefined */
		return -ENOMEM;
	}
	return r;
}
