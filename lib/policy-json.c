/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A loaded policy as JSON, for the daemon's GetPolicy and `rvisorctl policy show`. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <seccomp.h>

#include "cpus.h"
#include "policy-names.h"
#include "policy.h"

/* JSON: every constructor may fail (NULL); add()/push() take ownership either way. */
static bool add(json_object *o, const char *key, json_object *v)
{
	if (!o || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool push(json_object *a, json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static json_object *limit_json(uint64_t v)
{
	return v == UINT64_MAX ? json_object_new_string("max") : json_object_new_uint64(v);
}

/* A number of CPUs as the policy gives it (2, or 1.5 written "1.5", not 1.5000000000000000),
 * or "max". A whole number is an integer, which is how it reads back. */
static json_object *cpus_json(uint64_t milli)
{
	char buf[24];

	if (!milli)
		return json_object_new_string("max");
	if (milli % 1000 == 0)
		return json_object_new_int64((int64_t)(milli / 1000));
	return json_object_new_double_s((double)milli / 1000, cpus_format(milli, buf, sizeof(buf)));
}

/* A name from a table, else the number as a string (hexadecimal for ioctl requests). */
static json_object *named_json(const char *name, bool hex, uint32_t v)
{
	char buf[16];

	if (name)
		return json_object_new_string(name);
	if (hex)
		snprintf(buf, sizeof(buf), "0x%" PRIx32, v);
	else
		snprintf(buf, sizeof(buf), "%" PRIu32, v);
	return json_object_new_string(buf);
}

/* The syscalls whose refusals are counted but not reported. */
static json_object *quiet_json(const struct rvisor_policy *kp)
{
	json_object *a = json_object_new_array();

	for (int nr = 0; a && nr < RVISOR_NR_SYSCALLS; nr++) {
		_cleanup_free_ char *name = NULL;

		if (!policy_quiet(kp, nr))
			continue;
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (!push(a, named_json(name, false, (uint32_t)nr))) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static json_object *syscalls_json(const struct rvisor_policy_config *c)
{
	static const struct {
		const char *key;
		unsigned int action;
	} lists[] = {
		{ "allow", RVISOR_ACTION_PASS },   { "emulate", RVISOR_ACTION_EMULATE },
		{ "deny", RVISOR_ACTION_DENY },    { "kill", RVISOR_ACTION_KILL },
		{ "log", RVISOR_ACTION_LOG },
	};
	const struct rvisor_policy *kp = &c->kernel;
	json_object *o = json_object_new_object();
	char buf[64];
	bool ok;

	policy_rule_format(buf, sizeof(buf), kp->default_action, kp->default_errno);
	ok = add(o, "default", json_object_new_string(buf));
	for (size_t l = 0; ok && l < ARRAY_SIZE(lists); l++) {
		json_object *a = json_object_new_array();

		for (int nr = 0; a && nr < RVISOR_NR_SYSCALLS; nr++) {
			const struct rvisor_syscall_rule *r = &kp->syscalls[nr];
			_cleanup_free_ char *name = NULL;
			char item[128];

			if (!c->listed[nr] || r->action != lists[l].action)
				continue;
			name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
			if (!name)
				snprintf(item, sizeof(item), "%d", nr);
			else if (r->action == RVISOR_ACTION_DENY) {
				policy_rule_format(buf, sizeof(buf), r->action, r->error);
				snprintf(item, sizeof(item), "%s%s", name, buf + strlen("deny"));
			} else
				snprintf(item, sizeof(item), "%s", name);
			if (!push(a, json_object_new_string(item))) {
				json_object_put(a);
				a = NULL;
			}
		}
		ok = add(o, lists[l].key, a);
	}
	if (ok)
		ok = add(o, "quiet", quiet_json(kp));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *capabilities_json(uint64_t caps)
{
	json_object *a = json_object_new_array();

	for (unsigned cap = 0; a && cap < 64; cap++)
		if ((caps & (1ULL << cap)) && policy_capability_name(cap) &&
		    json_object_array_add(a, json_object_new_string(policy_capability_name(cap))) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static json_object *sandbox_json(const struct rvisor_policy_config *c)
{
	json_object *o = json_object_new_object(), *user = NULL;
	bool ok;

	ok = add(o, "memory", limit_json(c->memory_max)) && add(o, "pids", limit_json(c->pids_max)) &&
	     add(o, "cpus", cpus_json(c->cpus_milli)) &&
	     add(o, "network",
		 json_object_new_string(c->network == POLICY_NETWORK_HOST ? "host" : "none")) &&
	     add(o, "hostname", json_object_new_string(c->hostname)) &&
	     add(o, "kernel_layer",
		 json_object_new_string(c->kernel_layer == POLICY_KERNEL_LAYER_REQUIRED ? "required"
											 : "preferred")) &&
	     add(o, "layers", json_object_new_string(policy_layers_to_string(c->layers) ?: "both")) &&
	     add(o, "storage", json_object_new_uint64(c->storage_max)) &&
	     add(o, "userns",
		 json_object_new_string(c->userns == POLICY_USERNS_ALWAYS ? "always" : "auto")) &&
	     add(o, "capabilities", capabilities_json(c->capabilities));
	if (ok && c->has_cpuset) {
		_cleanup_free_ char *list = NULL;

		ok = cpulist_format(&c->cpuset, &list) >= 0 && add(o, "cpuset", json_object_new_string(list));
	}
	if (ok && c->has_user) {
		user = json_object_new_object();
		ok = add(user, "uid", json_object_new_uint64(c->uid)) &&
		     add(user, "gid", json_object_new_uint64(c->gid));
		ok = ok ? add(o, "user", user) : (json_object_put(user), false);
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *netlink_json(uint32_t protocols)
{
	json_object *a = json_object_new_array();

	for (uint32_t i = 0; a && i < 32; i++)
		if ((protocols & (UINT32_C(1) << i)) &&
		    !push(a, named_json(policy_netlink_to_string((int)i), false, i))) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* {key: [names]} for a filter that is on, NULL (nothing added) when it is off. */
static bool filter_json(json_object *root, const char *section, const char *key,
			const struct rvisor_policy *kp, uint32_t flag)
{
	json_object *o, *a;
	bool ok = true;

	if (!(kp->flags & flag))
		return true;
	a = json_object_new_array();
	if (flag == RVISOR_POLICY_FILTER_IOCTL)
		for (uint32_t i = 0; ok && i < kp->nr_ioctls; i++)
			ok = push(a, named_json(policy_ioctl_to_string(kp->ioctls[i]), true,
						kp->ioctls[i]));
	else if (flag == RVISOR_POLICY_FILTER_PRCTL)
		for (uint32_t i = 0; ok && i < kp->nr_prctls; i++)
			ok = push(a, named_json(policy_prctl_to_string(kp->prctls[i]), false,
						kp->prctls[i]));
	else
		for (uint32_t f = 0; ok && f < 64; f++)
			if (kp->socket_families & (UINT64_C(1) << f))
				ok = push(a, named_json(policy_family_to_string((int)f), false, f));
	if (!ok) {
		json_object_put(a);
		return false;
	}
	o = json_object_new_object();
	if (!add(o, key, a) ||
	    (flag == RVISOR_POLICY_FILTER_SOCKET && (kp->flags & RVISOR_POLICY_FILTER_NETLINK) &&
	     !add(o, "netlink", netlink_json(kp->netlink_protocols)))) {
		json_object_put(o);
		return false;
	}
	return add(root, section, o);
}

json_object *policy_to_json(const struct rvisor_policy_config *c)
{
	const struct rvisor_policy *kp;
	json_object *root, *compat;
	bool ok;

	if (!c)
		return NULL;
	kp = &c->kernel;
	root = json_object_new_object();
	compat = json_object_new_object();
	ok = add(compat, "ia32", json_object_new_boolean(!!(kp->flags & RVISOR_POLICY_ALLOW_COMPAT))) &&
	     add(compat, "x32", json_object_new_boolean(!!(kp->flags & RVISOR_POLICY_ALLOW_X32))) &&
	     add(compat, "namespaces",
		 json_object_new_boolean(!!(kp->flags & RVISOR_POLICY_ALLOW_NAMESPACES))) &&
	     add(compat, "ungated", json_object_new_boolean(!!(kp->flags & RVISOR_POLICY_UNGATED)));
	if (!ok) {
		json_object_put(compat);
		compat = NULL;
	}
	ok = add(root, "name", json_object_new_string(c->name)) &&
	     add(root, "path", json_object_new_string(c->path)) &&
	     add(root, "sandbox", sandbox_json(c)) && add(root, "syscalls", syscalls_json(c)) &&
	     filter_json(root, "ioctl", "allow", kp, RVISOR_POLICY_FILTER_IOCTL) &&
	     filter_json(root, "socket", "families", kp, RVISOR_POLICY_FILTER_SOCKET) &&
	     filter_json(root, "prctl", "allow", kp, RVISOR_POLICY_FILTER_PRCTL) &&
	     add(root, "compat", TAKE_PTR(compat));
	json_object_put(compat); /* when an earlier add() failed */
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
