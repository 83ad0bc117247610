/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord's parameter tables against io.rvisor.Manager.varlink: the server refuses what the
 * tables refuse, so a table that drifts from the IDL breaks clients that follow the IDL. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager-errors.h"
#include "manager.h"
#include "tap.h"

/* The IDL without comments, as one string. */
static char *idl_uncommented(void)
{
	const char *p = manager_interface_description;
	char *out = malloc(strlen(p) + 1), *o = out;

	while (out && *p) {
		if (*p == '#')
			p += strcspn(p, "\n");
		else
			*o++ = *p++;
	}
	if (o)
		*o = '\0';
	return out;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The table's type for an IDL type: the server checks no deeper than this. */
static enum varlink_type idl_type(const char *t)
{
	if (strcmp(t, "string") == 0)
		return VARLINK_STRING;
	if (strcmp(t, "int") == 0)
		return VARLINK_INT;
	if (strcmp(t, "bool") == 0)
		return VARLINK_BOOL;
	if (strcmp(t, "[]string") == 0)
		return VARLINK_STRING_ARRAY;
	if (strncmp(t, "[]", 2) == 0)
		return VARLINK_ARRAY;
	return VARLINK_OBJECT; /* object, a named type, an inline struct */
}

static const struct varlink_method *table_method(const char *name)
{
	for (const struct varlink_method *m = manager_interface.methods; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static const struct varlink_param *table_param(const struct varlink_method *m, const char *name)
{
	for (const struct varlink_param *p = m->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* Splits "a: int, b: ?[]string" at the commas outside parentheses, checking each against the
 * table; returns how many there were. */
static unsigned check_params(const struct varlink_method *m, char *list)
{
	unsigned n = 0, depth = 0;
	char *start = list;

	for (char *p = list;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if ((*p != ',' || depth) && *p)
			continue;
		char end = *p, *field = start, *colon;

		*p = '\0';
		start = p + 1;
		field = trim(field);
		if (*field) {
			colon = strchr(field, ':');
			ok(colon != NULL, field);
			if (colon) {
				char *type = trim(colon + 1);
				const struct varlink_param *tp;
				bool optional = *type == '?';
				char what[256];

				*colon = '\0';
				field = trim(field);
				tp = table_param(m, field);
				snprintf(what, sizeof(what), "%s(%s): in the table, as %s, of the same type",
					 m->name, field, optional ? "optional" : "mandatory");
				ok(tp && tp->mandatory == !optional && tp->type == idl_type(type + optional), what);
				n++;
			}
		}
		if (!end)
			break;
	}
	return n;
}

static unsigned table_size(const struct varlink_method *m)
{
	unsigned n = 0;

	for (const struct varlink_param *p = m->params; p && p->name; p++)
		n++;
	return n;
}

static size_t field_size(enum varlink_type type)
{
	switch (type) {
	case VARLINK_STRING:
		return sizeof(const char *);
	case VARLINK_INT:
		return sizeof(struct varlink_int);
	case VARLINK_BOOL:
		return sizeof(bool);
	case VARLINK_OBJECT:
	case VARLINK_ARRAY:
		return sizeof(json_object *);
	case VARLINK_STRING_ARRAY:
		return sizeof(char **);
	}
	return SIZE_MAX;
}

/* The table fills the method's struct: each field inside it, no two sharing a byte. */
static void check_layout(const struct varlink_method *m)
{
	char what[128];
	bool fits = (m->params_size > 0) == (m->params != NULL), apart = true;

	for (const struct varlink_param *p = m->params; p && p->name; p++) {
		fits &= p->offset + field_size(p->type) <= m->params_size;
		for (const struct varlink_param *q = m->params; q != p; q++)
			apart &= p->offset + field_size(p->type) <= q->offset ||
				 q->offset + field_size(q->type) <= p->offset;
	}
	snprintf(what, sizeof(what), "%s: every parameter's field lies inside its struct", m->name);
	ok(fits, what);
	snprintf(what, sizeof(what), "%s: no two parameters fill the same field", m->name);
	ok(apart, what);
}

#define ERROR_NAME_(name) #name,
static const char *const error_names[] = { MANAGER_ERRORS(ERROR_NAME_) };

/* The errors the IDL declares and those lib/manager-errors.h lets the code name: the same. */
static void check_errors(const char *idl)
{
	unsigned declared = 0;

	for (const char *p = idl; (p = strstr(p, "error ")); p += 6) {
		char name[64] = "";
		bool listed = false;

		if (p != idl && p[-1] != '\n')
			continue;
		sscanf(p + 6, "%63[A-Za-z]", name);
		for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
			listed |= strcmp(error_names[i], name) == 0;
		ok(listed, name);
		declared++;
	}
	is_int(declared, sizeof(error_names) / sizeof(error_names[0]),
	       "lib/manager-errors.h lists no error the IDL does not declare");
	is_str(MANAGER_ERROR(SandboxNotFound), "io.rvisor.Manager.SandboxNotFound", "MANAGER_ERROR's text");
}

int main(void)
{
	char *idl = idl_uncommented(), *p;
	unsigned methods = 0, served = 0;

	ok(idl != NULL, "the IDL");
	if (idl)
		check_errors(idl);
	for (p = idl; p && (p = strstr(p, "method ")); ) {
		char *name = p + 7, *open = strchr(name, '('), *close;
		unsigned depth = 1;
		const struct varlink_method *m;

		if (!ok(open != NULL, "a method has a parameter list"))
			break;
		for (close = open + 1; *close && depth; close++)
			depth += *close == '(' ? 1 : *close == ')' ? -1 : 0;
		*open = '\0';
		close[-1] = '\0';
		name = trim(name);
		m = table_method(name);
		if (ok(m && m->fn, name)) {
			unsigned n = check_params(m, open + 1);
			char what[128];

			snprintf(what, sizeof(what), "%s: no parameter in the table beyond the IDL's", name);
			is_int(table_size(m), n, what);
		}
		methods++;
		p = close;
	}
	for (const struct varlink_method *m = manager_interface.methods; m->name; m++) {
		check_layout(m);
		served++;
	}
	ok(methods > 10, "the IDL has the methods");
	is_int(served, methods, "every method in the table is in the IDL");
	free(idl);
	return tap_done();
}
