/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging for rvisor's programs (not for lib/ code, which returns -errno and never logs).
 * log_*_errno() log once where an error is handled and return the negative errno, so a
 * caller writes: if (r < 0) return log_error_errno(r, "Failed to open %s: %m", path);
 * %m prints the error passed in, not whatever errno happens to hold.
 */
#ifndef RVISOR_LOG_H
#define RVISOR_LOG_H

#include <syslog.h>

#include "macro.h"

/* Messages above this level (LOG_DEBUG > LOG_INFO > …) are dropped. Default LOG_INFO. */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Parses "err", "warning", "info", "debug" (and the other syslog names). -EINVAL otherwise. */
int log_level_from_string(const char *s);

/* Returns -abs(error) (or 0 when error is 0), so it can end a failing function. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error(...) (void)log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) (void)log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) (void)log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) (void)log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) (void)log_internal(LOG_DEBUG, 0, __VA_ARGS__)

#endif
