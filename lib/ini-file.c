/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisor's INI dialect over inih; see ini-file.h. inih splits lines into keys and values and
 * drops comments; the reader given to it here counts lines (inih's handler has no line number
 * in Debian's build), refuses NUL bytes and lines too long for inih's buffer (which would
 * otherwise be split silently), and reports section headers, for which inih calls no handler.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <ini.h>

#include "ini-file.h"
#include "macro.h"

struct ini_state {
	FILE *f;
	const char *path;
	const struct ini_file_ops *ops;
	void *userdata;
	char *line;           /* the line as read (getline()'s buffer) */
	size_t line_size;
	unsigned int lineno;
	const char *inih_buf; /* inih's copy of it, which its handler's strings point into */
	int r;                /* the first error: a callback's, the dialect's, a read error */
	char *error;          /* the dialect's message */
};

/* inih's settings (process-wide variables in Debian's build), set before every parse. */
static void ini_configure(void)
{
	static char comment_prefixes[] = ";#";

	ini_allow_multiline = false;      /* an indented line is a line of its own */
	ini_allow_bom = false;            /* a BOM is a syntax error, as any other stray byte */
	ini_start_comment_prefixes = comment_prefixes;
	ini_allow_inline_comments = true; /* after a blank */
	ini_inline_comment_prefixes = comment_prefixes;
	ini_use_stack = true;
	ini_max_line = INI_FILE_LINE_MAX + 2; /* the newline and the NUL */
	ini_allow_realloc = false;
	ini_stop_on_first_error = true;
	ini_allow_no_value = true; /* "key" alone reaches the handler, which words the error */
}

static char *trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* The line without its comment ('#' or ';' at its start or after a blank, as inih), trimmed. */
static char *strip_comment(char *line)
{
	for (char *q = line; *q; q++)
		if ((*q == '#' || *q == ';') && (q == line || isspace((unsigned char)q[-1]))) {
			*q = '\0';
			break;
		}
	return trim(line);
}

_printf_(2, 3) static void syntax_error(struct ini_state *s, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&s->error, "%s:%u: %s", s->path, s->lineno, msg) < 0) {
		msg = NULL;
		s->error = NULL;
		s->r = -ENOMEM;
		return;
	}
	s->r = -EINVAL;
}

/* "'LINE': expected 'key = value' or '[section]'", LINE without its comment. */
static void line_error(struct ini_state *s)
{
	_cleanup_free_ char *copy = strdup(s->line);

	if (!copy) {
		s->r = -ENOMEM;
		return;
	}
	syntax_error(s, "'%s': expected 'key = value' or '[section]'", strip_comment(copy));
}

/* A "[name]" line: the section callback; inih only notes the name (which is read here). */
static void header(struct ini_state *s, char *text)
{
	size_t n = strlen(text);

	if (n < 2 || text[n - 1] != ']') {
		syntax_error(s, "'%s': a section header ends with ']'", text);
		return;
	}
	text[n - 1] = '\0';
	s->r = s->ops->section(s->userdata, trim(text + 1), s->lineno);
}

/* The next line for inih, as fgets() would give it, checked first; NULL at the end of the
 * file and after an error (inih then stops; s->r says which). */
static char *reader(char *buf, int size, void *stream)
{
	struct ini_state *s = stream;
	_cleanup_free_ char *copy = NULL;
	ssize_t n;
	size_t len;
	char *text;

	if (s->r < 0)
		return NULL;
	errno = 0;
	n = getline(&s->line, &s->line_size, s->f);
	if (n < 0) {
		if (ferror(s->f))
			s->r = errno > 0 ? -errno : -EIO;
		return NULL;
	}
	s->lineno++;
	len = (size_t)n - (s->line[n - 1] == '\n');
	if (strlen(s->line) != (size_t)n)
		syntax_error(s, "the line contains a NUL byte");
	else if (len > INI_FILE_LINE_MAX || (size_t)n + 1 > (size_t)size)
		syntax_error(s, "the line is longer than %d bytes", INI_FILE_LINE_MAX);
	if (s->r < 0)
		return NULL;

	copy = strdup(s->line);
	if (!copy) {
		s->r = -ENOMEM;
		return NULL;
	}
	text = strip_comment(copy);
	if (text[0] == '[') {
		header(s, text);
		if (s->r < 0)
			return NULL;
	}
	memcpy(buf, s->line, (size_t)n + 1);
	s->inih_buf = buf;
	return buf;
}

/* inih's handler: one "key = value" (value NULL: "key" alone). 0 stops inih. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_state *s = user;
	_cleanup_free_ char *copy = NULL;
	size_t sep;

	/* inih splits at '=' or ':', whichever comes first; here only '=' does. */
	sep = (size_t)(name - s->inih_buf) + strlen(name);
	while (s->line[sep] == ' ' || s->line[sep] == '\t')
		sep++;
	if (!value || s->line[sep] != '=') {
		line_error(s);
		return 0;
	}
	if (!*name) {
		syntax_error(s, "'= %s': no key before '='", value);
		return 0;
	}
	copy = strdup(value);
	if (!copy) {
		s->r = -ENOMEM;
		return 0;
	}
	s->r = s->ops->key(s->userdata, name, copy, s->lineno);
	return s->r >= 0;
}

int ini_file_parse(FILE *f, const char *path, const struct ini_file_ops *ops, void *userdata,
		   char **ret_error)
{
	struct ini_state s = { .f = f, .path = path, .ops = ops, .userdata = userdata };
	int r;

	if (!f || !path || !ops || !ops->section || !ops->key)
		return -EINVAL;
	ini_configure();
	r = ini_parse_stream(reader, &s, handler, &s);
	free(s.line);
	if (s.r == 0 && r == -2)
		s.r = -ENOMEM;
	else if (s.r == 0 && r != 0) {
		/* inih found a mistake the checks above let through: none is known. */
		s.lineno = (unsigned int)r;
		syntax_error(&s, "not a line of this format");
	}
	if (s.r == -EINVAL && s.error && ret_error)
		*ret_error = TAKE_PTR(s.error);
	free(s.error);
	return s.r < 0 ? s.r : 0;
}
