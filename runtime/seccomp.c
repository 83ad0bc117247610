/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp layer of a container: the engine's own profile first, then rvisor's policy
 * programs, chained into the one program crun installs (lib/oci-seccomp.c says how). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fail.h"
#include "oci-seccomp.h"
#include "runtime.h"

int runc_seccomp_data(json_object *config, json_object *policy_programs, char **ret, char **ret_msg)
{
	_cleanup_free_ const char **policy = NULL;
	json_object *linux_o, *seccomp = NULL, *annotations, *v;
	const char *engine_bpf = NULL, *reason = NULL;
	size_t n = policy_programs ? json_object_array_length(policy_programs) : 0;
	int r;

	if (json_object_object_get_ex(config, "linux", &linux_o) && json_object_is_type(linux_o, json_type_object) &&
	    json_object_object_get_ex(linux_o, "seccomp", &seccomp) && json_object_is_type(seccomp, json_type_null))
		seccomp = NULL;
	if (seccomp && !json_object_is_type(seccomp, json_type_object))
		return fail(ret_msg, -EINVAL, "linux.seccomp is not an object");
	/* An engine that hands crun a raw program itself: crun would install that, not its
	 * linux.seccomp, so that is the engine's profile. */
	if (json_object_object_get_ex(config, "annotations", &annotations) &&
	    json_object_is_type(annotations, json_type_object) &&
	    json_object_object_get_ex(annotations, ANNOTATION_CRUN_SECCOMP, &v)) {
		if (!json_object_is_type(v, json_type_string))
			return fail(ret_msg, -EINVAL, "the annotation " ANNOTATION_CRUN_SECCOMP " is not a string");
		engine_bpf = json_object_get_string(v);
	}

	policy = calloc(n + 1, sizeof(char *));
	if (!policy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		policy[i] = json_object_get_string(json_object_array_get_idx(policy_programs, i));

	r = oci_seccomp_annotation(seccomp, engine_bpf, policy, n, ret, &reason);
	if (r == -EINVAL)
		return fail(ret_msg, r, "%s", reason ?: "the seccomp programs cannot be chained");
	return r;
}
