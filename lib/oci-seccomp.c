/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An OCI container's seccomp profile compiled as crun does, and classic BPF programs chained
 * into one for crun's run.oci.seccomp_bpf_data annotation (the semantics: oci-seccomp.h). */
#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <seccomp.h>

#include "base64.h"
#include "oci-seccomp.h"

/* One entry's args: more than this is no profile anyone writes. */
#define ARGS_MAX 64

/* Returns r with a fixed reason (the caller's to show, nothing allocated). */
static int refuse(int r, const char *reason, const char **ret_reason)
{
	if (ret_reason)
		*ret_reason = reason;
	return r;
}

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

void oci_seccomp_prog_clear(struct sock_fprog *p)
{
	if (p) {
		free(p->filter);
		p->filter = NULL;
		p->len = 0;
	}
}

/* ---- linux.seccomp ------------------------------------------------------------------ */

/* o's member key, NULL when absent or JSON null (as runc reads it). */
static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* An unsigned JSON integer up to max. */
static bool get_uint(json_object *v, uint64_t max, uint64_t *ret)
{
	uint64_t u;

	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return false;
	u = json_object_get_uint64(v);
	if (u > max)
		return false;
	*ret = u;
	return true;
}

/* An errnoRet: 16 bits in the action; libseccomp refuses what is no errno (4095 and up). */
static bool get_errno(json_object *v, uint16_t *ret)
{
	uint64_t u;

	if (!get_uint(v, 4094, &u))
		return false;
	*ret = (uint16_t)u;
	return true;
}

/* name with errnoRet e (present or not) as a libseccomp action. */
static int parse_action(const char *name, bool has_errno, uint16_t e, uint32_t *ret,
			const char **ret_reason)
{
	static const struct {
		const char *name;
		uint32_t action;
	} table[] = {
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
		{ "SCMP_ACT_KILL", SCMP_ACT_KILL }, /* the thread, as in runc and crun */
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
		{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
	};

	if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
		*ret = SCMP_ACT_ERRNO(has_errno ? e : EPERM);
		return 0;
	}
	if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
		*ret = SCMP_ACT_TRACE(has_errno ? e : EPERM);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (strcmp(name, table[i].name) == 0) {
			if (has_errno)
				return refuse(-EINVAL, "errnoRet given for an action other than "
						       "SCMP_ACT_ERRNO or SCMP_ACT_TRACE", ret_reason);
			*ret = table[i].action;
			return 0;
		}
	return refuse(-EINVAL, "unknown seccomp action", ret_reason);
}

/* An action and its errnoRet from o's members action_key and errno_key. */
static int get_action(json_object *o, const char *action_key, const char *errno_key,
		      uint32_t *ret, const char **ret_reason)
{
	json_object *a = member(o, action_key), *e = member(o, errno_key);
	uint16_t error = 0;

	if (!a || !json_object_is_type(a, json_type_string))
		return refuse(-EINVAL, "seccomp action missing or not a string", ret_reason);
	if (e && !get_errno(e, &error))
		return refuse(-EINVAL, "errnoRet is not an integer 0..4094", ret_reason);
	return parse_action(json_object_get_string(a), e != NULL, error, ret, ret_reason);
}

static int parse_arg(json_object *o, struct scmp_arg_cmp *ret, const char **ret_reason)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	json_object *index = member(o, "index"), *value = member(o, "value"),
		    *two = member(o, "valueTwo"), *op = member(o, "op");
	uint64_t i, a, b = 0;

	if (!json_object_is_type(o, json_type_object))
		return refuse(-EINVAL, "syscalls[].args[]: an entry is not an object", ret_reason);
	if (!index || !get_uint(index, 5, &i))
		return refuse(-EINVAL, "syscalls[].args[].index missing or not 0..5", ret_reason);
	if (!value || !get_uint(value, UINT64_MAX, &a))
		return refuse(-EINVAL, "syscalls[].args[].value missing or not a 64-bit unsigned integer",
			      ret_reason);
	if (two && !get_uint(two, UINT64_MAX, &b))
		return refuse(-EINVAL, "syscalls[].args[].valueTwo is not a 64-bit unsigned integer",
			      ret_reason);
	if (!op || !json_object_is_type(op, json_type_string))
		return refuse(-EINVAL, "syscalls[].args[].op missing or not a string", ret_reason);
	for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
		if (strcmp(json_object_get_string(op), ops[k].name) == 0) {
			/* MASKED_EQ: value is the mask, valueTwo the datum, as libseccomp has it */
			*ret = (struct scmp_arg_cmp){ (unsigned int)i, ops[k].op, a, b };
			return 0;
		}
	return refuse(-EINVAL, "syscalls[].args[].op: unknown comparison", ret_reason);
}

/* libseccomp's refusal of a rule or attribute: what the profile asked cannot be built. */
static int lib_error(int r, const char *reason, const char **ret_reason)
{
	return refuse(r == -ENOMEM ? -ENOMEM : -EINVAL, reason, ret_reason);
}

/* One syscalls[] entry: checked whole first, then its rules for the names libseccomp knows. */
static int add_entry(scmp_filter_ctx ctx, json_object *entry, uint32_t def, const char **ret_reason)
{
	struct scmp_arg_cmp cmp[ARGS_MAX];
	json_object *names, *args;
	size_t n_names, n_args = 0;
	unsigned int per_index[6] = {};
	bool one_each = true;
	uint32_t action;
	int r;

	if (!json_object_is_type(entry, json_type_object))
		return refuse(-EINVAL, "syscalls[]: an entry is not an object", ret_reason);
	names = member(entry, "names");
	if (!names || !json_object_is_type(names, json_type_array))
		return refuse(-EINVAL, "syscalls[].names missing or not an array", ret_reason);
	n_names = json_object_array_length(names);
	for (size_t i = 0; i < n_names; i++)
		if (!json_object_is_type(json_object_array_get_idx(names, i), json_type_string))
			return refuse(-EINVAL, "syscalls[].names: an entry is not a string", ret_reason);
	r = get_action(entry, "action", "errnoRet", &action, ret_reason);
	if (r < 0)
		return r;
	args = member(entry, "args");
	if (args) {
		if (!json_object_is_type(args, json_type_array))
			return refuse(-EINVAL, "syscalls[].args is not an array", ret_reason);
		n_args = json_object_array_length(args);
		if (n_args > ARGS_MAX)
			return refuse(-EINVAL, "syscalls[].args: too many", ret_reason);
		for (size_t i = 0; i < n_args; i++) {
			r = parse_arg(json_object_array_get_idx(args, i), &cmp[i], ret_reason);
			if (r < 0)
				return r;
			if (++per_index[cmp[i].arg] > 1)
				one_each = false;
		}
	}
	/* libseccomp refuses a rule with the default action; it changes nothing anyway */
	if (action == def)
		return 0;
	r = 0;

	for (size_t i = 0; i < n_names; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		int nr = seccomp_syscall_resolve_name(name);

		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to libseccomp: runc and crun skip it too */
		if (one_each)
			/* every condition must hold */
			r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)n_args, cmp);
		else
			/* libseccomp cannot compare one argument twice in a rule: as runc and
			 * crun, one rule per condition, any of them matches */
			for (size_t k = 0; k < n_args && r >= 0; k++)
				r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[k]);
		if (r < 0)
			return lib_error(r, "libseccomp refused a syscalls[] rule", ret_reason);
	}
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, json_object *arches, const char **ret_reason)
{
	size_t n;

	if (!json_object_is_type(arches, json_type_array))
		return refuse(-EINVAL, "architectures is not an array", ret_reason);
	n = json_object_array_length(arches);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arches, i);
		const char *s;
		char lower[32];
		size_t len;
		uint32_t arch;
		int r;

		if (!json_object_is_type(v, json_type_string))
			return refuse(-EINVAL, "architectures: an entry is not a string", ret_reason);
		/* "SCMP_ARCH_X86_64" or "x86_64": libseccomp's name in lower case, as crun */
		s = json_object_get_string(v);
		if (strncmp(s, "SCMP_ARCH_", 10) == 0)
			s += 10;
		len = strlen(s);
		if (len == 0 || len >= sizeof(lower))
			return refuse(-EINVAL, "architectures: unknown architecture", ret_reason);
		for (size_t k = 0; k <= len; k++)
			lower[k] = (char)tolower((unsigned char)s[k]);
		arch = seccomp_arch_resolve_name(lower);
		if (arch == 0)
			return refuse(-EINVAL, "architectures: unknown architecture", ret_reason);
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return lib_error(r, "libseccomp refused an architecture", ret_reason);
	}
	return 0;
}

/* The install-time flags runc and crun know: they do not change the program. */
static int check_flags(json_object *flags, const char **ret_reason)
{
	static const char *const known[] = {
		"SECCOMP_FILTER_FLAG_TSYNC",
		"SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	};
	size_t n;

	if (!json_object_is_type(flags, json_type_array))
		return refuse(-EINVAL, "flags is not an array", ret_reason);
	n = json_object_array_length(flags);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(flags, i);
		bool found = false;

		if (!json_object_is_type(v, json_type_string))
			return refuse(-EINVAL, "flags: an entry is not a string", ret_reason);
		for (size_t k = 0; k < ARRAY_SIZE(known); k++)
			found = found || strcmp(json_object_get_string(v), known[k]) == 0;
		if (!found)
			return refuse(-EINVAL, "flags: unknown seccomp flag", ret_reason);
	}
	return 0;
}

/* ctx as instructions: libseccomp 2.5 exports BPF to a descriptor only. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *ret, const char **ret_reason)
{
	_cleanup_close_ int fd = memfd_create("rvisor-oci-seccomp", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *insns = NULL;
	off_t size;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return lib_error(r, "libseccomp could not export the program", ret_reason);
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0)
		return refuse(-EINVAL, "libseccomp exported no whole program", ret_reason);
	if (size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return refuse(-EINVAL, "the profile compiles to more than BPF_MAXINSNS instructions",
			      ret_reason);
	insns = malloc((size_t)size);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, (size_t)size, 0) != size)
		return -EIO;
	ret->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	ret->filter = TAKE_PTR(insns);
	return 0;
}

int oci_seccomp_compile(json_object *seccomp, struct sock_fprog *ret, const char **ret_reason)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	json_object *v;
	uint32_t def;
	int r;

	if (!ret)
		return -EINVAL;
	if (!json_object_is_type(seccomp, json_type_object))
		return refuse(-EINVAL, "linux.seccomp is not an object", ret_reason);
	r = get_action(seccomp, "defaultAction", "defaultErrnoRet", &def, ret_reason);
	if (r < 0)
		return r;
	if (def == SCMP_ACT_NOTIFY)
		return refuse(-EINVAL, "SCMP_ACT_NOTIFY cannot be the default action", ret_reason);
	v = member(seccomp, "flags");
	if (v) {
		r = check_flags(v, ret_reason);
		if (r < 0)
			return r;
	}
	/* libseccomp refuses an action the running kernel lacks (KILL_PROCESS before 4.14,
	 * LOG before 4.14) here, as it does for crun */
	ctx = seccomp_init(def);
	if (!ctx)
		return refuse(-EINVAL, "libseccomp refused the default action", ret_reason);
	v = member(seccomp, "architectures");
	if (v) {
		r = add_arches(ctx, v, ret_reason);
		if (r < 0)
			return r;
	}
	v = member(seccomp, "syscalls");
	if (v) {
		size_t n;

		if (!json_object_is_type(v, json_type_array))
			return refuse(-EINVAL, "syscalls is not an array", ret_reason);
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			r = add_entry(ctx, json_object_array_get_idx(v, i), def, ret_reason);
			if (r < 0)
				return r;
		}
	}
	return export_prog(ctx, ret, ret_reason);
}

/* ---- Chaining --------------------------------------------------------------------------- */

static bool reads_x(const struct sock_filter *f)
{
	switch (BPF_CLASS(f->code)) {
	case BPF_ALU:
	case BPF_JMP:
		return f->code != (BPF_JMP | BPF_JA) && BPF_SRC(f->code) == BPF_X;
	case BPF_STX:
		return true;
	case BPF_MISC:
		return BPF_MISCOP(f->code) == BPF_TXA;
	default:
		return false;
	}
}

/* Whether the first instruction sets A without reading it. */
static bool sets_a_first(const struct sock_fprog *p)
{
	switch (p->filter[0].code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
		return true;
	default:
		return false;
	}
}

/* As the kernel's check_load_and_stores(): every path stores a scratch word before it loads
 * it. Checked per program: in the chain, a later program would otherwise read what an
 * earlier one left there, where the kernel refuses that program alone. Jumps are checked
 * to stay inside the program before this runs. */
static int scratch_check(const struct sock_fprog *p, const char **ret_reason)
{
	_cleanup_free_ uint16_t *valid_at = malloc(p->len * sizeof(uint16_t));
	uint16_t valid = 0;

	if (!valid_at)
		return -ENOMEM;
	memset(valid_at, 0xff, p->len * sizeof(uint16_t));
	for (unsigned int pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];

		valid &= valid_at[pc];
		switch (BPF_CLASS(f->code)) {
		case BPF_ST:
		case BPF_STX:
			valid |= (uint16_t)(1U << f->k);
			break;
		case BPF_LD:
		case BPF_LDX:
			if (BPF_MODE(f->code) == BPF_MEM && !(valid & (1U << f->k)))
				return refuse(-EINVAL, "a program loads a scratch word it may not have "
						       "stored", ret_reason);
			break;
		case BPF_JMP:
			if (f->code == (BPF_JMP | BPF_JA))
				valid_at[pc + 1 + f->k] &= valid;
			else {
				valid_at[pc + 1 + f->jt] &= valid;
				valid_at[pc + 1 + f->jf] &= valid;
			}
			valid = UINT16_MAX;
			break;
		case BPF_RET:
			valid = UINT16_MAX;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* What kernel/seccomp.c (seccomp_check_filter) and bpf_check_classic() accept, less RET A,
 * plus: no jump leaves the program, it ends in a return, and a program that is not the
 * last returns no TRACE or USER_NOTIF (the caller's programs after it would be skipped). */
static int prog_check(const struct sock_fprog *p, bool last, const char **ret_reason)
{
	unsigned int len = p->len;

	if (!p->filter || len == 0 || len > BPF_MAXINSNS)
		return refuse(-EINVAL, "a program is empty or longer than BPF_MAXINSNS", ret_reason);
	for (unsigned int pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &p->filter[pc];
		uint32_t action;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k >= sizeof(struct seccomp_data) || f->k % 4 != 0)
				return refuse(-EINVAL, "a program loads outside struct seccomp_data",
					      ret_reason);
			break;
		case BPF_LD | BPF_W | BPF_LEN:
		case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
		case BPF_ALU | BPF_ADD | BPF_K:
		case BPF_ALU | BPF_ADD | BPF_X:
		case BPF_ALU | BPF_SUB | BPF_K:
		case BPF_ALU | BPF_SUB | BPF_X:
		case BPF_ALU | BPF_MUL | BPF_K:
		case BPF_ALU | BPF_MUL | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_AND | BPF_X:
		case BPF_ALU | BPF_OR | BPF_K:
		case BPF_ALU | BPF_OR | BPF_X:
		case BPF_ALU | BPF_XOR | BPF_K:
		case BPF_ALU | BPF_XOR | BPF_X:
		case BPF_ALU | BPF_LSH | BPF_X:
		case BPF_ALU | BPF_RSH | BPF_X:
		case BPF_ALU | BPF_NEG:
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (f->k >= 32)
				return refuse(-EINVAL, "a program shifts by 32 or more", ret_reason);
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			if (f->k == 0)
				return refuse(-EINVAL, "a program divides by zero", ret_reason);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return refuse(-EINVAL, "a program uses scratch memory beyond BPF_MEMWORDS",
					      ret_reason);
			break;
		case BPF_JMP | BPF_JA:
			if (f->k >= len - pc - 1)
				return refuse(-EINVAL, "a program jumps beyond its end", ret_reason);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			if (pc + f->jt + 1 >= len || pc + f->jf + 1 >= len)
				return refuse(-EINVAL, "a program jumps beyond its end", ret_reason);
			break;
		case BPF_RET | BPF_K:
			action = f->k & SECCOMP_RET_ACTION_FULL;
			if (!last && (action == SECCOMP_RET_TRACE || action == SECCOMP_RET_USER_NOTIF))
				return refuse(-EINVAL, "a program that is not the last returns TRACE or "
						       "USER_NOTIF, which would skip the programs after it",
					      ret_reason);
			break;
		case BPF_RET | BPF_A:
		case BPF_RET | BPF_X:
			return refuse(-EINVAL, "a program returns a computed action (RET A or X)",
				      ret_reason);
		default:
			return refuse(-EINVAL, "a program holds an instruction seccomp refuses", ret_reason);
		}
	}
	if (p->filter[len - 1].code != (BPF_RET | BPF_K))
		return refuse(-EINVAL, "a program can run off its end (its last instruction is no "
				       "return)", ret_reason);
	return scratch_check(p, ret_reason);
}

int oci_seccomp_chain(const struct sock_fprog *progs, size_t n, struct sock_fprog *ret,
		      const char **ret_reason)
{
	_cleanup_free_ struct sock_filter *out = NULL;
	_cleanup_free_ unsigned int *start = NULL;
	unsigned int total = 0, pos = 0;
	int r;

	if (!ret || (n > 0 && !progs))
		return -EINVAL;
	if (n == 0)
		return refuse(-EINVAL, "no program to chain", ret_reason);
	if (n > BPF_MAXINSNS)
		return refuse(-EINVAL, "the chain is longer than BPF_MAXINSNS", ret_reason);
	/* start[i]: where program i's prologue (A = 0, X = 0, when needed) begins */
	start = calloc(n + 1, sizeof(*start));
	if (!start)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct sock_fprog *p = &progs[i];

		r = prog_check(p, i == n - 1, ret_reason);
		if (r < 0)
			return r;
		start[i] = total;
		total += p->len;
		if (i > 0 && !sets_a_first(p))
			total++;
		for (unsigned int pc = 0; i > 0 && pc < p->len; pc++)
			if (reads_x(&p->filter[pc])) {
				total++;
				break;
			}
		if (total > BPF_MAXINSNS)
			return refuse(-EINVAL, "the chain is longer than BPF_MAXINSNS", ret_reason);
	}
	start[n] = total;

	out = calloc(total, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct sock_fprog *p = &progs[i];
		unsigned int prologue = start[i + 1] - start[i] - p->len;

		if (prologue > 0 && !sets_a_first(p))
			out[pos++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
		if (pos < start[i] + prologue)
			out[pos++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0);
		for (unsigned int pc = 0; pc < p->len; pc++, pos++) {
			const struct sock_filter *f = &p->filter[pc];
			uint32_t action = f->k & SECCOMP_RET_ACTION_FULL;

			out[pos] = *f;
			/* JA's k counts from the next instruction */
			if (i < n - 1 && f->code == (BPF_RET | BPF_K) &&
			    (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG))
				out[pos] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA,
									start[i + 1] - pos - 1, 0, 0);
		}
	}
	ret->len = (unsigned short)total;
	ret->filter = TAKE_PTR(out);
	return 0;
}

/* ---- base64 and the annotation ---------------------------------------------------------- */

int oci_seccomp_from_base64(const char *text, struct sock_fprog *ret, const char **ret_reason)
{
	_cleanup_free_ void *data = NULL;
	size_t size = 0;
	int r;

	if (!text || !ret)
		return -EINVAL;
	r = base64_decode(text, &data, &size);
	if (r == -EINVAL)
		return refuse(r, "a BPF program is not valid base64", ret_reason);
	if (r < 0)
		return r;
	if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return refuse(-EINVAL, "a BPF program is not 1 to BPF_MAXINSNS whole instructions",
			      ret_reason);
	ret->len = (unsigned short)(size / sizeof(struct sock_filter));
	ret->filter = TAKE_PTR(data);
	return 0;
}

int oci_seccomp_to_base64(const struct sock_fprog *prog, char **ret)
{
	if (!prog || !ret || (prog->len > 0 && !prog->filter))
		return -EINVAL;
	return base64_encode(prog->filter, prog->len * sizeof(struct sock_filter), ret);
}

struct prog_list {
	size_t n;
	struct sock_fprog *progs;
};

static void prog_list_done(struct prog_list *l)
{
	for (size_t i = 0; l->progs && i < l->n; i++)
		oci_seccomp_prog_clear(&l->progs[i]);
	free(l->progs);
}

int oci_seccomp_annotation(json_object *linux_seccomp, const char *engine_bpf,
			   const char *const *policy, size_t n_policy, char **ret,
			   const char **ret_reason)
{
	_cleanup_(prog_list_done) struct prog_list l = {};
	_cleanup_sock_fprog_ struct sock_fprog chained = {};
	int r;

	if (!ret || (n_policy > 0 && !policy))
		return -EINVAL;
	if (n_policy > BPF_MAXINSNS)
		return refuse(-EINVAL, "the chain is longer than BPF_MAXINSNS", ret_reason);
	l.progs = calloc(n_policy + 1, sizeof(*l.progs));
	if (!l.progs)
		return -ENOMEM;
	if (engine_bpf)
		r = oci_seccomp_from_base64(engine_bpf, &l.progs[l.n++], ret_reason);
	else if (linux_seccomp)
		r = oci_seccomp_compile(linux_seccomp, &l.progs[l.n++], ret_reason);
	else
		r = 0;
	for (size_t i = 0; r >= 0 && i < n_policy; i++)
		r = policy[i] ? oci_seccomp_from_base64(policy[i], &l.progs[l.n++], ret_reason) :
				refuse(-EINVAL, "a policy program is NULL", ret_reason);
	if (r < 0)
		return r;
	r = oci_seccomp_chain(l.progs, l.n, &chained, ret_reason);
	if (r < 0)
		return r;
	return oci_seccomp_to_base64(&chained, ret);
}
