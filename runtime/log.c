/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisor-runc's messages: one line "rvisor-runc: …" on stderr, and, as runc does, the same in
 * the --log file (containerd's shim reads the last error of a json one to say why a create
 * failed). Logged once, where an error is handled; runc_log() returns -errno like
 * log_error_errno(), so logging and returning is one statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

static struct {
	const char *log_file, *plain_file;
	bool json, debug;
} log_cfg;

void runc_log_setup(const char *log_file, bool json, const char *plain_file, bool debug)
{
	log_cfg.log_file = log_file;
	log_cfg.json = json;
	log_cfg.plain_file = plain_file;
	log_cfg.debug = debug;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "fatal";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

/* RFC 3339 in UTC with microseconds, as crun writes its own lines. */
static void format_time(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&ts->tv_sec, &tm) ||
	    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000) < 0)
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

char *runc_log_json_line(int level, const char *msg, const struct timespec *ts)
{
	json_object *o = json_object_new_object();
	char t[64], *line = NULL;

	if (!o)
		return NULL;
	format_time(ts, t, sizeof(t));
	json_object_object_add(o, "level", json_object_new_string(level_name(level)));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_add(o, "time", json_object_new_string(t));
	if (asprintf(&line, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		line = NULL;
	json_object_put(o);
	return line;
}

/* logrus's text format, which runc writes without --log-format json. */
static char *text_line(int level, const char *msg, const struct timespec *ts)
{
	json_object *m = json_object_new_string(msg);
	char t[64], *line = NULL;

	if (!m)
		return NULL;
	format_time(ts, t, sizeof(t));
	if (asprintf(&line, "time=\"%s\" level=%s msg=%s\n", t, level_name(level),
		     json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		line = NULL;
	json_object_put(m);
	return line;
}

/* Appends line to path, on a line of its own: crun leaves its last JSON line without a
 * newline, and ours must not be glued to it. Failures are ignored: stderr has the message. */
static void append_line(const char *path, const char *line)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	struct stat st;
	char last = '\n';

	if (fd < 0)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		(void)!write(fd, "\n", 1);
	(void)!write(fd, line, strlen(line));
}

int runc_log(int level, int error, const char *fmt, ...)
{
	int saved_errno = errno, e = error < 0 ? -error : error;
	_cleanup_free_ char *msg = NULL, *line = NULL;
	struct timespec ts;
	va_list ap;
	int r;

	if (level == LOG_DEBUG && !log_cfg.debug)
		return -e;

	va_start(ap, fmt);
	errno = e; /* feeds %m */
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL;
		fprintf(stderr, RUNC_NAME ": out of memory while reporting an error\n");
		errno = saved_errno;
		return -e;
	}
	fprintf(stderr, RUNC_NAME ": %s\n", msg);

	clock_gettime(CLOCK_REALTIME, &ts);
	if (log_cfg.log_file) {
		line = log_cfg.json ? runc_log_json_line(level, msg, &ts) : text_line(level, msg, &ts);
		if (line)
			append_line(log_cfg.log_file, line);
	}
	if (log_cfg.plain_file && level <= LOG_WARNING) {
		free(line);
		if (asprintf(&line, "%s\n", msg) < 0)
			line = NULL;
		else
			append_line(log_cfg.plain_file, line);
	}
	errno = saved_errno;
	return -e;
}

int runc_oom(void)
{
	return runc_error_errno(-ENOMEM, "out of memory");
}
