/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging to stderr, prefixed with the program's name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int log_max_level = LOG_INFO;

static const char *const log_level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

int log_level_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(log_level_names); i++)
		if (strcmp(s, log_level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	int saved_errno = errno;
	int e = error < 0 ? -error : error;

	if (level <= log_max_level) {
		va_list ap;

		va_start(ap, fmt);
		errno = e; /* feeds %m */
		fprintf(stderr, "%s: ", program_invocation_short_name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}

	errno = saved_errno;
	return -e;
}
