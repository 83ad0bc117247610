/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes lib/mount-spec.c with arbitrary bytes read two ways: as JSON, Run's mounts as a
 * client sends them (an array of Mount objects, or one) for mount_spec_from_json(), which
 * rvisord runs on every Run; and as text, each line one of rvisorctl's -v, --mount and
 * --tmpfs arguments. Checked beyond "no crash": whatever is accepted has a destination that
 * passes mount_destination_check(), a known type, a bind's fd within the call's range and no
 * tmpfs member, a tmpfs's mode within 07777 and no fd; a JSON mount written back by
 * mount_spec_to_json() reads back the same; a refusal is -EINVAL with a reason, or -ENOMEM;
 * mounts_check_list() and mounts_sort() keep their word (duplicates found, the order by
 * depth). Leaks fail ASan's leak check. With -DRVISOR_LIBFUZZER this is a libFuzzer target;
 * without, main() replays a corpus directory and deterministic mutations of it (replay.h):
 *   fuzz-mount-spec [CORPUS_DIR (tests/fuzz/corpus/mount-spec)] [MUTATIONS (8000)]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "mount-spec.h"
#include "replay.h"

/* The call's descriptors a Mount's fd may name: 4 to 9. */
#define FIRST_FD 4U
#define N_FDS 10U
#define INPUT_MAX (256 * 1024)

static unsigned long n_accepted, n_refused;

static void check_refusal(int r, const char *reason, const char *what)
{
	n_refused++;
	if (r == -ENOMEM)
		return;
	if (r != -EINVAL)
		fuzz_violation("%s: error %d, not -EINVAL or -ENOMEM", what, r);
	else if (!reason || !reason[0])
		fuzz_violation("%s: -EINVAL without a reason", what);
}

/* What every accepted mount must be. */
static void check_accepted(const struct mount_spec *m, bool from_json, const char *what)
{
	n_accepted++;
	if (mount_destination_check(m->destination, NULL) < 0)
		fuzz_violation("%s: accepted destination '%s' fails the rule", what, m->destination ?: "(null)");
	if (!mount_type_to_string(m->type))
		fuzz_violation("%s: unknown type %d", what, (int)m->type);
	if (m->mode > 07777)
		fuzz_violation("%s: mode %o", what, m->mode);
	if (m->type == MOUNT_BIND && from_json && (m->fd < (int)FIRST_FD || m->fd >= (int)N_FDS))
		fuzz_violation("%s: a bind's fd %d outside %u..%u", what, m->fd, FIRST_FD, N_FDS - 1);
	if (m->type == MOUNT_BIND && !from_json && (!m->source || !m->source[0]))
		fuzz_violation("%s: a bind without a source", what);
	if (m->type == MOUNT_TMPFS && (m->fd != -1 || m->source))
		fuzz_violation("%s: a tmpfs with a source", what);
}

/* Written back and read again: the same mount. */
static void check_round_trip(const struct mount_spec *m)
{
	json_object *o = mount_spec_to_json(m, m->fd);
	struct mount_spec back;
	const char *reason = NULL;
	int r;

	if (!o)
		return;
	r = mount_spec_from_json(o, FIRST_FD, N_FDS, &back, &reason);
	if (r < 0)
		fuzz_violation("round trip of '%s': refused (%s)", m->destination, reason ?: "?");
	else if (back.type != m->type || back.readonly != m->readonly || strcmp(back.destination, m->destination) ||
		 back.fd != m->fd || back.size != m->size || back.mode != m->mode)
		fuzz_violation("round trip of '%s': not the same mount", m->destination);
	mount_spec_done(&back);
	json_object_put(o);
}

static void check_list(struct mount_spec *l, size_t n)
{
	const char *dst = NULL;
	bool dup = false;
	int r = mounts_check_list(l, n, &dst);

	for (size_t i = 0; i < n && !dup; i++)
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(l[i].destination, l[j].destination) == 0;
	if ((n > MOUNTS_MAX) != (r == -E2BIG) || (n <= MOUNTS_MAX && dup != (r == -EEXIST)))
		fuzz_violation("mounts_check_list of %zu: %d, duplicates %d", n, r, dup);
	mounts_sort(l, n);
	for (size_t i = 1; i < n; i++) {
		size_t a = 0, b = 0;

		for (const char *p = l[i - 1].destination; *p; p++)
			a += *p == '/';
		for (const char *p = l[i].destination; *p; p++)
			b += *p == '/';
		if (a > b)
			fuzz_violation("mounts_sort: %s before %s", l[i - 1].destination, l[i].destination);
	}
}

static void fuzz_json(json_object *root)
{
	struct mount_spec l[MOUNTS_MAX + 2];
	size_t n = 0, total = json_object_is_type(root, json_type_array) ? json_object_array_length(root) : 1;

	for (size_t i = 0; i < total && i < ARRAY_SIZE(l); i++) {
		json_object *o = json_object_is_type(root, json_type_array) ? json_object_array_get_idx(root, i) : root;
		const char *reason = NULL;
		int r = mount_spec_from_json(o, FIRST_FD, N_FDS, &l[n], &reason);

		if (r < 0) {
			check_refusal(r, reason, "mount_spec_from_json");
			if (l[n].destination || l[n].source)
				fuzz_violation("mount_spec_from_json: refused, yet it returned a destination");
			continue;
		}
		check_accepted(&l[n], true, "mount_spec_from_json");
		check_round_trip(&l[n]);
		n++;
	}
	check_list(l, n);
	for (size_t i = 0; i < n; i++)
		mount_spec_done(&l[i]);
}

static int (*const parsers[])(const char *, struct mount_spec *, char *, size_t) = {
	mount_parse_volume, mount_parse_mount, mount_parse_tmpfs,
};

static void fuzz_lines(char *text)
{
	struct mount_spec l[8];
	size_t n = 0;
	char *save = NULL;
	unsigned k = 0;

	for (char *line = strtok_r(text, "\n", &save); line && n < ARRAY_SIZE(l); line = strtok_r(NULL, "\n", &save)) {
		char why[MOUNT_WHY_MAX] = "";
		int r = parsers[k++ % ARRAY_SIZE(parsers)](line, &l[n], why, sizeof(why));

		if (r < 0) {
			check_refusal(r, why, "a command-line form");
			if (l[n].destination || l[n].source)
				fuzz_violation("a command-line form: refused, yet it returned a destination");
			continue;
		}
		check_accepted(&l[n], false, "a command-line form");
		n++;
	}
	check_list(l, n);
	for (size_t i = 0; i < n; i++)
		mount_spec_done(&l[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, &size, INPUT_MAX);
	json_object *root;

	if (!text)
		return 0;
	root = json_tokener_parse(text);
	if (root)
		fuzz_json(root);
	json_object_put(root);
	fuzz_lines(text);
	return 0;
}

#ifndef RVISOR_LIBFUZZER
static const char *const json_values[] = {
	"null", "true", "false", "0", "3", "4", "9", "10", "-1", "511", "4095", "4096", "1048576",
	"9223372036854775807", "1.5", "\"\"", "{}", "[]", "\"bind\"", "\"tmpfs\"", "\"volume\"", "\"/\"",
	"\"/data\"", "\"/proc\"", "\"/proc/meminfo\"", "\"/dev/shm\"", "\"/sys/devices/system/cpu\"",
	"\"/a/../b\"", "\"/a//b\"", "\"/a/\"", "\"relative\"", "\"/a\\u0000b\"", "\"/a\\u001bb\"",
};
static const char *const json_keys[] = {
	"type", "destination", "fd", "readonly", "size", "mode", "source",
};
static const struct fuzz_json_words words = {
	json_keys, ARRAY_SIZE(json_keys), json_values, ARRAY_SIZE(json_values),
};
static const char *const tokens[] = {
	":", ",", "=", "/", "..", ".", "ro", "rw", "type=bind", "type=tmpfs", "src=", "dst=", "target=",
	"readonly=false", "tmpfs-size=", "tmpfs-mode=", "size=", "mode=", "64k", "1777", "/proc", "/dev",
	"/sys", "\n", "", "exec", "noexec", "bind-propagation=private", "volume-nocopy",
};

static uint8_t *mutate_json(const struct fuzz_input *in, uint64_t *rng, size_t *ret_size)
{
	unsigned ops = 1 + (unsigned)(fuzz_rng_next(rng) % 3);
	json_object *root = fuzz_json_parse(in);
	struct fuzz_json_slot slots[512];

	if (!json_object_is_type(root, json_type_object) && !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return NULL;
	}
	for (unsigned k = 0; k < ops; k++) {
		size_t n = 0;

		fuzz_json_slots(root, slots, &n, ARRAY_SIZE(slots), 0);
		if (n > 0)
			fuzz_json_mutate_slot(slots, n, fuzz_rng_next(rng), &words);
	}
	return fuzz_json_print(root, JSON_C_TO_STRING_PLAIN, ret_size);
}

static uint8_t *mutate(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng, size_t *ret_size)
{
	static const struct fuzz_byte_ops ops = {
		.kinds = FUZZ_BYTE_OPS, .tokens = tokens, .n_tokens = ARRAY_SIZE(tokens),
	};
	uint8_t *d = NULL;

	if (fuzz_rng_next(rng) % 3 != 0 && in->size > 0 && (in->data[0] == '{' || in->data[0] == '['))
		d = mutate_json(in, rng, ret_size);
	return d ?: fuzz_mutate_bytes(in, other, fuzz_ops_mostly_one(rng), rng, &ops, ret_size);
}

static void finish(void)
{
	printf("# %lu mounts accepted, %lu refused\n", n_accepted, n_refused);
}

int main(int argc, char *argv[])
{
	static const struct fuzz_replay replay = {
		.corpus = "tests/fuzz/corpus/mount-spec",
		.mutations = 8000,
		.mutate = mutate,
		.check_leaks = true,
		.finish = finish,
	};

	return fuzz_replay_main(argc, argv, &replay);
}
#endif
