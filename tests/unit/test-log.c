/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/log.c: level names, the returned errno, and %m printing the error passed in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

/* Runs one log call with stderr captured in a memfd and returns what it printed. */
static char *capture(int level, int error, const char *msg, int *ret)
{
	static char buf[512];
	int saved = dup(STDERR_FILENO), fd = memfd_create("stderr", MFD_CLOEXEC);
	ssize_t n;

	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	*ret = log_internal(level, error, "%s: %m", msg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	char want[256];
	int r;

	is_int(log_level_from_string("err"), LOG_ERR, "level 'err'");
	is_int(log_level_from_string("warning"), LOG_WARNING, "level 'warning'");
	is_int(log_level_from_string("debug"), LOG_DEBUG, "level 'debug'");
	is_int(log_level_from_string("Debug"), -EINVAL, "level names are case-sensitive");
	is_int(log_level_from_string(""), -EINVAL, "empty level refused");
	is_int(log_level_from_string(NULL), -EINVAL, "NULL level refused");
	is_int(log_level_from_string("7"), -EINVAL, "numeric level refused");

	errno = EBUSY;
	snprintf(want, sizeof(want), "%s: open: %s\n", program_invocation_short_name, strerror(ENOENT));
	is_str(capture(LOG_ERR, -ENOENT, "open", &r), want, "%m prints the error passed in");
	is_int(r, -ENOENT, "negative error returned as is");
	is_int(errno, EBUSY, "errno preserved");

	capture(LOG_ERR, EACCES, "x", &r);
	is_int(r, -EACCES, "positive error returned negated");
	capture(LOG_ERR, 0, "x", &r);
	is_int(r, 0, "no error returns 0");

	log_set_max_level(LOG_WARNING);
	is_str(capture(LOG_INFO, 0, "quiet", &r), "", "messages above the max level dropped");
	ok(capture(LOG_WARNING, 0, "loud", &r)[0] != '\0', "messages at the max level printed");
	is_int(log_get_max_level(), LOG_WARNING, "max level reads back");

	return tap_done();
}
