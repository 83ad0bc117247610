/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test method of every parameter type, shared by test-varlink and fuzz-varlink: Echo
 * answers with what the server filled into its struct, so a field filled wrongly shows in the
 * reply. With flag, it takes the string vector from the struct (what a handler that keeps
 * one does), so the server must not free it again. */
#ifndef RVISOR_TEST_VARLINK_ECHO_H
#define RVISOR_TEST_VARLINK_ECHO_H

#include "strv.h"
#include "varlink.h"

struct echo_params {
	const char *text;
	struct varlink_int n;
	bool flag;
	json_object *obj, *list;
	char **names;
};

static const struct varlink_param echo_params[] = {
	VARLINK_PARAM(struct echo_params, text, VARLINK_STRING, true),
	VARLINK_PARAM(struct echo_params, n, VARLINK_INT, false),
	VARLINK_PARAM(struct echo_params, flag, VARLINK_BOOL, false),
	VARLINK_PARAM(struct echo_params, obj, VARLINK_OBJECT, false),
	VARLINK_PARAM(struct echo_params, list, VARLINK_ARRAY, false),
	VARLINK_PARAM(struct echo_params, names, VARLINK_STRING_ARRAY, false),
	{},
};

/* {text, n (when set), flag, obj and list (when given), names (always: [] when absent)} */
static inline int method_echo(VarlinkCall *call, void *params, void *userdata)
{
	struct echo_params *p = params;
	_cleanup_strv_ char **taken = p->flag ? TAKE_PTR(p->names) : NULL;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "text", json_object_new_string(p->text));
	if (p->n.set)
		json_object_object_add(o, "n", json_object_new_int64(p->n.value));
	json_object_object_add(o, "flag", json_object_new_boolean(p->flag));
	if (p->obj)
		json_object_object_add(o, "obj", json_object_get(p->obj));
	if (p->list)
		json_object_object_add(o, "list", json_object_get(p->list));
	json_object_object_add(o, "names", json_strv(taken ?: p->names));
	return varlink_call_reply(call, o);
}

#endif
