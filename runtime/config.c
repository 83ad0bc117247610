/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCI config rewrite: what rvisord's PrepareContainer asks of a container, written into its
 * config.json for crun. Pure (no logging, no I/O), so the unit tests reach every case. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fail.h"
#include "json-util.h"
#include "runtime.h"

void runc_prepared_done(struct runc_prepared *p)
{
	free(p->policy);
	json_object_put(p->seccomp_bpf);
	*p = (struct runc_prepared){};
}

/* o[key] as a limit (a number, 0 or more): *ret_has says whether there is one. */
static int get_limit(json_object *o, const char *key, bool *ret_has, int64_t *ret)
{
	int r = json_get_int(o, key, ret);

	*ret_has = false;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (*ret < 0)
		return -EBADMSG;
	*ret_has = true;
	return 0;
}

int runc_prepared_from_json(json_object *reply, struct runc_prepared *ret)
{
	struct runc_prepared p = {};
	json_object *v, *layers, *bpf = NULL;
	int r;

	if (!reply || !json_object_is_type(reply, json_type_object))
		return -EBADMSG;
	if (json_get(reply, "policy", json_type_string, &v) < 0 || json_object_get_string_len(v) == 0)
		return -EBADMSG;
	if (json_get_array(reply, "layers", &layers) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		const char *s = json_object_is_type(l, json_type_string) ? json_object_get_string(l) : NULL;

		if (s && strcmp(s, "kernel") == 0)
			p.layers |= RUNC_LAYER_KERNEL;
		else if (s && strcmp(s, "seccomp") == 0)
			p.layers |= RUNC_LAYER_SECCOMP;
		else
			return -EBADMSG; /* a layer this runtime cannot apply: never run without it */
	}
	if (p.layers == 0)
		return -EBADMSG;
	if (get_limit(reply, "memory_max", &p.has_memory_max, &p.memory_max) < 0 ||
	    get_limit(reply, "pids_max", &p.has_pids_max, &p.pids_max) < 0)
		return -EBADMSG;
	r = json_get_array(reply, "seccomp_bpf", &bpf);
	if (r == -EBADMSG)
		return r;
	if (p.layers & RUNC_LAYER_SECCOMP) {
		if (r < 0 || json_object_array_length(bpf) == 0)
			return -EBADMSG;
		for (size_t i = 0; i < json_object_array_length(bpf); i++)
			if (!json_object_is_type(json_object_array_get_idx(bpf, i), json_type_string))
				return -EBADMSG;
		p.seccomp_bpf = json_object_get(bpf);
	}
	p.policy = strdup(json_object_get_string(v));
	if (!p.policy) {
		runc_prepared_done(&p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

const char *runc_layers_annotation(unsigned layers)
{
	switch (layers & (RUNC_LAYER_KERNEL | RUNC_LAYER_SECCOMP)) {
	case RUNC_LAYER_KERNEL | RUNC_LAYER_SECCOMP:
		return "kernel,seccomp";
	case RUNC_LAYER_KERNEL:
		return "kernel";
	case RUNC_LAYER_SECCOMP:
		return "seccomp";
	default:
		return "";
	}
}

/* strspn() over the first n bytes only: the text need not be NUL-terminated. */
static size_t strspn_n(const char *s, size_t n, const char *accept)
{
	size_t i = 0;

	while (i < n && s[i] && strchr(accept, s[i]))
		i++;
	return i;
}

/* json-c's strict mode still takes NaN, Infinity and "1." and would write them back as they
 * were, which crun cannot read: every number must be one JSON has. */
static bool numbers_valid(json_object *o)
{
	const char *text;
	size_t n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		n = strlen(text);
		return isfinite(json_object_get_double(o)) && n > 0 && text[n - 1] >= '0' && text[n - 1] <= '9';
	case json_type_object: {
		json_object_object_foreach(o, key, v) {
			(void)key;
			if (!numbers_valid(v))
				return false;
		}
		return true;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!numbers_valid(json_object_array_get_idx(o, i)))
				return false;
		return true;
	default:
		return true;
	}
}

int runc_config_parse(const char *text, size_t len, json_object **ret, char **ret_msg)
{
	json_tokener *tok;
	json_object *o;
	size_t used;

	if (len > INT32_MAX)
		return fail(ret_msg, -EBADMSG, "too large");
	if (memchr(text, '\0', len))
		return fail(ret_msg, -EBADMSG, "it contains a NUL byte");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		int r;

		/* An object cut short reads as "continue": the file ended inside it. */
		if (e == json_tokener_continue)
			r = fail(ret_msg, -EBADMSG, "unexpected end of file");
		else
			r = fail(ret_msg, -EBADMSG, "%s at byte %zu", json_tokener_error_desc(e),
				 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return r;
	}
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(ret_msg, -EBADMSG, "it is not a JSON object");
	}
	if (used > len || strspn_n(text + used, len - used, " \t\r\n") != len - used) {
		json_object_put(o);
		return fail(ret_msg, -EBADMSG, "trailing data at byte %zu", used);
	}
	if (!numbers_valid(o)) {
		json_object_put(o);
		return fail(ret_msg, -EBADMSG, "a number that JSON does not have (NaN, Infinity, \"1.\")");
	}
	*ret = o;
	return 0;
}

int runc_config_policy(json_object *config, const char **ret)
{
	json_object *annotations, *v;
	int r;

	r = json_get_object(config, "annotations", &annotations);
	if (r == -EBADMSG)
		return -EINVAL;
	if (r < 0 || !json_object_object_get_ex(annotations, ANNOTATION_POLICY, &v)) {
		*ret = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*ret = json_object_get_string(v);
	return 0;
}

/* o[key] as an object, created when absent (or null). -EINVAL when it is something else. */
static int child_object(json_object *o, const char *key, json_object **ret)
{
	json_object *v;
	int r = json_get_object(o, key, &v);

	if (r == -EBADMSG)
		return -EINVAL;
	if (r < 0) {
		v = json_object_new_object();
		if (!v || json_object_object_add(o, key, v) < 0)
			return -ENOMEM;
	}
	*ret = v;
	return 0;
}

/* Sets parent.path[0]…path[n-2] (objects, created) .path[n-1] = value, unless already set. */
static int set_limit_if_absent(json_object *config, const char *const *path, size_t n, int64_t value,
			       char **ret_msg)
{
	json_object *o = config, *v;
	char where[128] = "";

	for (size_t i = 0; i + 1 < n; i++) {
		int r;

		snprintf(where + strlen(where), sizeof(where) - strlen(where), "%s%s", i ? "." : "", path[i]);
		r = child_object(o, path[i], &o);
		if (r == -EINVAL)
			return fail(ret_msg, -EINVAL, "%s is not an object", where);
		if (r < 0)
			return r;
	}
	if (json_object_object_get_ex(o, path[n - 1], &v) && !json_object_is_type(v, json_type_null))
		return 0; /* the spec's own value stays, whatever it is: crun judges it */
	v = json_object_new_int64(value);
	if (!v || json_object_object_add(o, path[n - 1], v) < 0)
		return -ENOMEM;
	return 0;
}

static int set_annotation(json_object *annotations, const char *key, const char *value)
{
	json_object *v = json_object_new_string(value);

	if (!v || json_object_object_add(annotations, key, v) < 0)
		return -ENOMEM;
	return 0;
}

bool runc_config_engine_seccomp(json_object *config)
{
	json_object *o, *v;

	if (json_get_object(config, "linux", &o) == 0 && json_get_object(o, "seccomp", &v) == 0)
		return true;
	return json_get_object(config, "annotations", &o) == 0 &&
	       json_object_object_get_ex(o, ANNOTATION_CRUN_SECCOMP, &v);
}

static json_object *hook_object(const struct runc_hook_spec *hook)
{
	json_object *h = json_object_new_object(), *args = json_object_new_array();

	if (!h || !args)
		goto oom;
	json_object_array_add(args, json_object_new_string(RUNC_NAME));
	json_object_array_add(args, json_object_new_string("hook"));
	if (hook->socket) {
		json_object_array_add(args, json_object_new_string("--socket"));
		json_object_array_add(args, json_object_new_string(hook->socket));
	}
	if (hook->error_file) {
		json_object_array_add(args, json_object_new_string("--error-file"));
		json_object_array_add(args, json_object_new_string(hook->error_file));
	}
	if (hook->engine_seccomp)
		json_object_array_add(args, json_object_new_string("--engine-seccomp"));
	json_object_object_add(h, "path", json_object_new_string(hook->path));
	json_object_object_add(h, "args", args);
	json_object_object_add(h, "timeout", json_object_new_int(RUNC_HOOK_TIMEOUT));
	return h;
oom:
	json_object_put(h);
	json_object_put(args);
	return NULL;
}

int runc_config_rewrite(json_object *config, const struct runc_prepared *p, const char *seccomp_data,
			const struct runc_hook_spec *hook, char **ret_msg)
{
	static const char *const memory_path[] = { "linux", "resources", "memory", "limit" };
	static const char *const pids_path[] = { "linux", "resources", "pids", "limit" };
	json_object *annotations, *hooks, *list;
	int r;

	if (p->has_memory_max) {
		r = set_limit_if_absent(config, memory_path, ARRAY_SIZE(memory_path), p->memory_max, ret_msg);
		if (r < 0)
			return r;
	}
	if (p->has_pids_max) {
		r = set_limit_if_absent(config, pids_path, ARRAY_SIZE(pids_path), p->pids_max, ret_msg);
		if (r < 0)
			return r;
	}

	r = child_object(config, "annotations", &annotations);
	if (r == -EINVAL)
		return fail(ret_msg, r, "annotations is not an object");
	if (r < 0)
		return r;
	r = set_annotation(annotations, ANNOTATION_POLICY, p->policy);
	if (r >= 0)
		r = set_annotation(annotations, ANNOTATION_LAYERS, runc_layers_annotation(p->layers));
	if (r >= 0 && (p->layers & RUNC_LAYER_SECCOMP)) {
		if (!seccomp_data)
			return fail(ret_msg, -EINVAL, "the seccomp layer needs a seccomp program");
		r = set_annotation(annotations, ANNOTATION_CRUN_SECCOMP, seccomp_data);
	}
	if (r < 0)
		return r;
	if (p->layers & RUNC_LAYER_SECCOMP) {
		json_object *process, *linux_o;

		/* crun installs run.oci.seccomp_bpf_data only for a config with a linux object:
		 * without one it would run the container without the filter, silently. */
		r = child_object(config, "linux", &linux_o);
		if (r == -EINVAL)
			return fail(ret_msg, r, "linux is not an object");
		if (r < 0)
			return r;
		r = child_object(config, "process", &process);
		if (r == -EINVAL)
			return fail(ret_msg, r, "process is not an object");
		if (r >= 0)
			r = runc_process_force_nnp(process);
		if (r < 0)
			return r;
	}

	if (p->layers & RUNC_LAYER_KERNEL) {
		json_object *h;

		r = child_object(config, "hooks", &hooks);
		if (r == -EINVAL)
			return fail(ret_msg, r, "hooks is not an object");
		if (r < 0)
			return r;
		r = json_get_array(hooks, "createRuntime", &list);
		if (r == -EBADMSG)
			return fail(ret_msg, -EINVAL, "hooks.createRuntime is not an array");
		if (r < 0) {
			list = json_object_new_array();
			if (!list || json_object_object_add(hooks, "createRuntime", list) < 0)
				return -ENOMEM;
		}
		/* After the engine's own: they may set up what the container needs (its network),
		 * and the sandbox is armed only at the container's execve anyway. */
		h = hook_object(hook);
		if (!h || json_object_array_add(list, h) < 0) {
			json_object_put(h);
			return -ENOMEM;
		}
	}
	return 0;
}

int runc_process_force_nnp(json_object *process)
{
	json_object *v;

	if (!json_object_is_type(process, json_type_object))
		return -EINVAL;
	v = json_object_new_boolean(true);
	if (!v || json_object_object_add(process, "noNewPrivileges", v) < 0)
		return -ENOMEM;
	return 0;
}

int runc_config_process_info(json_object *config, json_object **ret_args, const char **ret_hostname,
			     const char **ret_domainname)
{
	json_object *process = NULL, *args = NULL, *host = NULL, *domain = NULL, *copy;

	/* Each may be absent (or null); none may be of another type. */
	if (json_get_object(config, "process", &process) == -EBADMSG ||
	    json_get_array(process, "args", &args) == -EBADMSG ||
	    json_get(config, "hostname", json_type_string, &host) == -EBADMSG ||
	    json_get(config, "domainname", json_type_string, &domain) == -EBADMSG)
		return -EINVAL;
	copy = json_object_new_array();
	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; args && i < json_object_array_length(args); i++) {
		json_object *a = json_object_array_get_idx(args, i);

		if (!json_object_is_type(a, json_type_string)) {
			json_object_put(copy);
			return -EINVAL;
		}
		json_object_array_add(copy, json_object_get(a));
	}
	*ret_args = copy;
	*ret_hostname = host ? json_object_get_string(host) : NULL;
	*ret_domainname = domain ? json_object_get_string(domain) : NULL;
	return 0;
}
