/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The INI dialect of rvisor's configuration files (rvisord.conf and the policies), read with
 * inih, with line numbers for every message. The rules (docs/policy.md):
 *   - "[name]" starts a section; blanks around the name are dropped, nothing may follow ']'
 *     but a comment;
 *   - "key = value": blanks around both are dropped, the value may be empty; ':' is no
 *     separator; a key may come again (whether that is allowed is the caller's to say);
 *   - '#' and ';' start a comment at the start of a line or after a blank; there is no
 *     quoting, no continuation line and no byte order mark;
 *   - a line holds at most INI_FILE_LINE_MAX bytes besides its newline, and no NUL byte.
 * Library code: returns -errno, never logs.
 */
#ifndef RVISOR_INI_FILE_H
#define RVISOR_INI_FILE_H

#include <stdio.h>

#define INI_FILE_LINE_MAX 65536

struct ini_file_ops {
	/* A "[name]" header on line. */
	int (*section)(void *userdata, const char *name, unsigned int line);
	/* A "key = value" line; value is the caller's to change (not to keep). */
	int (*key)(void *userdata, const char *key, char *value, unsigned int line);
};

/*
 * Reads f line by line, calling ops for each header and key in order; a callback's negative
 * result stops the reading and is returned. The dialect's own errors are -EINVAL with, when
 * ret_error is not NULL, *ret_error "PATH:LINE: message" (path as given, for messages only);
 * a read error is its -errno.
 */
int ini_file_parse(FILE *f, const char *path, const struct ini_file_ops *ops, void *userdata,
		   char **ret_error);

#endif
