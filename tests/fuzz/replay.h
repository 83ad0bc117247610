/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the fuzz targets share: deterministic randomness, broken invariants, the policy file,
 * byte and JSON mutations, and (without -DRVISOR_LIBFUZZER) the replay that is their main():
 * a corpus directory and deterministic mutations of it run through LLVMFuzzerTestOneInput()
 * under ASan/UBSan, printed as TAP. */
#ifndef RVISOR_FUZZ_REPLAY_H
#define RVISOR_FUZZ_REPLAY_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "macro.h"
#include "source-tree.h" /* tests/unit/ */

/* Each target's: one input, whatever its bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* xorshift64*: deterministic, so every failure replays. */
static inline uint64_t fuzz_rng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/* FNV-1a of data, never 0: a seed for fuzz_rng_next() that is the input's own. */
static inline uint64_t fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h ?: 1;
}

/* ---- Invariants --------------------------------------------------------------------------- */

/* Invariants broken so far: an input that adds to them fails its TAP line. */
static unsigned long fuzz_n_violations _unused_;

static inline void fuzz_violation(const char *fmt, ...) _printf_(1, 2);
static inline void fuzz_violation(const char *fmt, ...)
{
	va_list ap;

	/* The first ones say enough; the TAP lines count them all. */
	if (fuzz_n_violations++ < 20) {
		printf("# violation: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
	}
#ifdef RVISOR_LIBFUZZER
	abort(); /* libFuzzer keeps the input */
#endif
}

/* tests/unit/policies/seccomp.conf, the policy whose programs the targets chain with, in the
 * source tree (source_tree_find()). */
static inline bool fuzz_policy_path(char *buf, size_t size)
{
	static const char policy[] = "tests/unit/policies/seccomp.conf";
	char root[PATH_MAX];

	return source_tree_find(policy, R_OK, root, sizeof(root)) &&
	       snprintf(buf, size, "%s/%s", root, policy) < (int)size;
}

/* setup(), where nothing ran it yet (libFuzzer has no main() to): the fuzzing goes on
 * without what it could not do, which is said on stderr after without. */
static inline void fuzz_setup_once(bool done, const char *(*setup)(void), const char *without)
{
	const char *why;

	if (done)
		return;
	why = setup();
	if (why)
		fprintf(stderr, "%s: %s\n", without, why);
}

/* data as a parser of text reads it: at most max bytes (*size cut to them), NUL-terminated,
 * in a new buffer; NULL where memory ran out. */
static inline char *fuzz_text(const uint8_t *data, size_t *size, size_t max)
{
	char *text;

	if (*size > max)
		*size = max;
	text = malloc(*size + 1);
	if (text) {
		memcpy(text, data, *size);
		text[*size] = '\0';
	}
	return text;
}

#ifndef RVISOR_LIBFUZZER
/* ---- Mutations ---------------------------------------------------------------------------- */

/* One file of the corpus, or the replay's mutation of one. */
struct fuzz_input {
	char *name;
	uint8_t *data;
	size_t size;
};

/* A mutation's buffer: size bytes used of alloc. */
struct fuzz_bytes {
	uint8_t *data;
	size_t size, alloc;
};

/* n bytes more at pos, holding what was there (a copy of the n bytes from pos on); false,
 * and nothing changed, where they do not fit. */
static inline bool fuzz_bytes_open(struct fuzz_bytes *b, size_t pos, size_t n)
{
	if (b->size + n > b->alloc)
		return false;
	memmove(b->data + pos + n, b->data + pos, b->size - pos);
	b->size += n;
	return true;
}

static inline void fuzz_bytes_insert(struct fuzz_bytes *b, size_t pos, const void *src, size_t n)
{
	if (fuzz_bytes_open(b, pos, n))
		memcpy(b->data + pos, src, n);
}

/* Up to n bytes from pos on removed. */
static inline void fuzz_bytes_delete(struct fuzz_bytes *b, size_t pos, size_t n)
{
	if (pos + n > b->size)
		n = b->size - pos;
	memmove(b->data + pos, b->data + pos + n, b->size - pos - n);
	b->size -= n;
}

/* One of tokens, picked by x; "" stands for a NUL byte. */
static inline const void *fuzz_token(const char *const *tokens, size_t n_tokens, uint64_t x, size_t *ret_n)
{
	const char *t = tokens[(x >> 8) % n_tokens];

	*ret_n = t[0] ? strlen(t) : 1;
	return t;
}

/* The byte mutations every target makes, FUZZ_BYTE_OPS of them, and a target's own. */
#define FUZZ_BYTE_OPS 7
struct fuzz_byte_ops {
	unsigned int kinds; /* x % kinds picks a mutation: from FUZZ_BYTE_OPS on, extra's */
	const char *const *tokens;
	size_t n_tokens;
	/* what "insert a token" inserts, where it is not one of tokens (fuzz_token()) */
	const void *(*token)(uint64_t x, size_t *ret_n);
	void (*extra)(struct fuzz_bytes *b, unsigned int kind, size_t pos, uint64_t x);
};

/* How many byte mutations in a row: mostly one, at times up to four. */
static inline unsigned int fuzz_ops_mostly_one(uint64_t *rng)
{
	uint64_t y = fuzz_rng_next(rng);

	return 1 + (y % 4 == 0 ? (unsigned int)(y >> 8) % 4 : 0);
}

/* ops byte mutations of in (or a splice with other) into a new buffer. */
static inline uint8_t *fuzz_mutate_bytes(const struct fuzz_input *in, const struct fuzz_input *other,
					 unsigned int ops, uint64_t *rng, const struct fuzz_byte_ops *m,
					 size_t *ret_size)
{
	struct fuzz_bytes b = { .data = malloc(in->size + 4096), .size = in->size, .alloc = in->size + 4096 };

	if (!b.data)
		return NULL;
	memcpy(b.data, in->data, in->size);
	for (unsigned int k = 0; k < ops; k++) {
		uint64_t x = fuzz_rng_next(rng);
		size_t pos = b.size ? (size_t)(x >> 16) % (b.size + 1) : 0, n;
		unsigned int kind = (unsigned int)(x % m->kinds);
		const void *t;

		switch (kind) {
		case 0: /* flip a bit */
			if (b.size)
				b.data[pos % b.size] ^= (uint8_t)(1U << ((x >> 8) % 8));
			break;
		case 1: /* a random byte */
			if (b.size)
				b.data[pos % b.size] = (uint8_t)(x >> 40);
			break;
		case 2: /* insert a token */
			t = m->token ? m->token(x, &n) : fuzz_token(m->tokens, m->n_tokens, x, &n);
			fuzz_bytes_insert(&b, pos, t, n);
			break;
		case 3: /* delete a range */
			fuzz_bytes_delete(&b, pos, (size_t)(x >> 40) % 64);
			break;
		case 4: /* duplicate a range */
			n = (size_t)(x >> 40) % 128;
			fuzz_bytes_open(&b, pos, pos + n > b.size ? b.size - pos : n);
			break;
		case 5: /* truncate */
			b.size = pos;
			break;
		case 6: /* splice in the other input's head */
			fuzz_bytes_insert(&b, pos, other->data, other->size < 512 ? other->size : 512);
			break;
		default:
			m->extra(&b, kind, pos, x);
			break;
		}
	}
	*ret_size = b.size;
	return b.data;
}

/* A place in a JSON document: a member of an object or an element of an array. */
struct fuzz_json_slot {
	json_object *parent;
	const char *key; /* in an object */
	size_t index;    /* in an array */
};

/* The keys and values a target's JSON mutations add. */
struct fuzz_json_words {
	const char *const *keys;
	size_t n_keys;
	const char *const *values;
	size_t n_values;
};

static inline void fuzz_json_slots(json_object *o, struct fuzz_json_slot *slots, size_t *n, size_t max,
				   unsigned int depth)
{
	if (depth > 32)
		return;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v) {
			if (*n >= max)
				return;
			slots[(*n)++] = (struct fuzz_json_slot){ o, key, 0 };
			fuzz_json_slots(v, slots, n, max, depth + 1);
		}
	} else if (json_object_is_type(o, json_type_array))
		for (size_t i = 0; i < json_object_array_length(o) && *n < max; i++) {
			slots[(*n)++] = (struct fuzz_json_slot){ o, NULL, i };
			fuzz_json_slots(json_object_array_get_idx(o, i), slots, n, max, depth + 1);
		}
}

static inline json_object *fuzz_slot_get(const struct fuzz_json_slot *s)
{
	return s->key ? json_object_object_get(s->parent, s->key) : json_object_array_get_idx(s->parent, s->index);
}

static inline void fuzz_slot_set(const struct fuzz_json_slot *s, json_object *v)
{
	if (s->key)
		json_object_object_add(s->parent, s->key, v);
	else
		json_object_array_put_idx(s->parent, s->index, v);
}

/* A value near v: a number changed a little, a string cut, a copy of another member of the
 * same document (slots[0..n-1]), else one of w's values. */
static inline json_object *fuzz_json_value_near(json_object *v, const struct fuzz_json_slot *slots, size_t n,
						uint64_t x, const struct fuzz_json_words *w)
{
	switch (x % 4) {
	case 0:
		if (json_object_is_type(v, json_type_int)) {
			uint64_t i = (uint64_t)json_object_get_int64(v);

			switch ((x >> 4) % 4) {
			case 0: return json_object_new_int64((int64_t)(i + 1));
			case 1: return json_object_new_int64((int64_t)(i - 1));
			case 2: return json_object_new_int64((int64_t)-i);
			default: return json_object_new_int64((int64_t)(i ^ (1ULL << ((x >> 8) % 64))));
			}
		}
		if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			return json_object_new_string_len(json_object_get_string(v),
							  (int)((x >> 8) % (uint64_t)json_object_get_string_len(v)));
		break;
	case 1:
		if (n > 0) {
			json_object *c = NULL;

			if (json_object_deep_copy(fuzz_slot_get(&slots[(x >> 8) % n]), &c, NULL) == 0)
				return c;
		}
		break;
	default:
		break;
	}
	return json_tokener_parse(w->values[(x >> 8) % w->n_values]);
}

/* One of slots[0..n-1] (n > 0) deleted, given a key next to it (an element repeated), or
 * replaced by a value near it. */
static inline void fuzz_json_mutate_slot(const struct fuzz_json_slot *slots, size_t n, uint64_t x,
					 const struct fuzz_json_words *w)
{
	const struct fuzz_json_slot *s = &slots[(x >> 8) % n];
	json_object *v = fuzz_slot_get(s);

	switch (x % 5) {
	case 0:
		if (s->key)
			json_object_object_del(s->parent, s->key);
		else
			json_object_array_del_idx(s->parent, s->index, 1);
		break;
	case 1:
		if (s->key)
			json_object_object_add(s->parent, w->keys[(x >> 20) % w->n_keys],
					       fuzz_json_value_near(v, slots, n, x >> 24, w));
		else
			json_object_array_add(s->parent, json_object_get(v));
		break;
	default:
		fuzz_slot_set(s, fuzz_json_value_near(v, slots, n, x >> 20, w));
		break;
	}
}

/* in parsed as JSON, NULL where it is none. */
static inline json_object *fuzz_json_parse(const struct fuzz_input *in)
{
	_cleanup_free_ char *text = strndup((const char *)in->data, in->size);

	return text ? json_tokener_parse(text) : NULL;
}

/* root printed (with json-c's flags) into a new buffer; root is put. */
static inline uint8_t *fuzz_json_print(json_object *root, int flags, size_t *ret_size)
{
	const char *out = json_object_to_json_string_ext(root, flags);
	uint8_t *d;

	*ret_size = strlen(out);
	d = malloc(*ret_size + 1);
	if (d)
		memcpy(d, out, *ret_size + 1);
	json_object_put(root);
	return d;
}

/* Mutations of a JSON object that keep it JSON: one to three members replaced, deleted, added
 * (with one of w's keys) or repeated; printed pretty or on one line. NULL when in is not a
 * JSON object. */
static inline uint8_t *fuzz_mutate_json_object(const struct fuzz_input *in, uint64_t *rng,
					       const struct fuzz_json_words *w, size_t *ret_size)
{
	unsigned ops = 1 + (unsigned)(fuzz_rng_next(rng) % 3);
	json_object *root = fuzz_json_parse(in);
	struct fuzz_json_slot slots[1024];

	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return NULL;
	}
	for (unsigned k = 0; k < ops; k++) {
		uint64_t x = fuzz_rng_next(rng);
		size_t n = 0;

		fuzz_json_slots(root, slots, &n, ARRAY_SIZE(slots), 0);
		if (n == 0 || x % 8 == 0)
			json_object_object_add(root, w->keys[(x >> 8) % w->n_keys],
					       fuzz_json_value_near(NULL, slots, n, x >> 16, w));
		else
			fuzz_json_mutate_slot(slots, n, x, w);
	}
	return fuzz_json_print(root, fuzz_rng_next(rng) % 2 ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN,
			       ret_size);
}

/* One deterministic mutation of a JSON object's bytes in (or a splice with other): three times
 * in four fuzz_mutate_json_object() with w's words, which keeps it JSON; else, and where in is
 * no JSON object, byte mutations with ops (mostly one, at times up to four). */
static inline uint8_t *fuzz_mutate_json_mostly(const struct fuzz_input *in, const struct fuzz_input *other,
					       uint64_t *rng, const struct fuzz_json_words *w,
					       const struct fuzz_byte_ops *ops, size_t *ret_size)
{
	uint8_t *d = NULL;

	if (fuzz_rng_next(rng) % 4 != 0)
		d = fuzz_mutate_json_object(in, rng, w, ret_size);
	return d ?: fuzz_mutate_bytes(in, other, fuzz_ops_mostly_one(rng), rng, ops, ret_size);
}

/* ---- The replay ----------------------------------------------------------------------------- */

typedef uint8_t *fuzz_mutate_fn(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng,
				size_t *ret_size);

/* A target's replay: besides fuzz_violation(), an input fails by broken() and, with
 * check_fds, by leaving an fd open. */
struct fuzz_replay {
	const char *corpus;      /* the corpus directory where argv[1] names none */
	unsigned long mutations; /* how many where argv[2] says none */
	fuzz_mutate_fn *mutate;  /* one deterministic mutation of in (or a splice with other) */
	/* Before the corpus is read: NULL, or why the replay cannot run. */
	const char *(*setup)(void);
	/* After it is read, before it runs: what the log should show. */
	void (*started)(void);
	/* Whether the input just run broke what fuzz_violation() does not count (and forgets
	 * it for the next), and how, for the TAP lines. */
	bool (*broken)(void);
	const char *broken_what;
	bool check_fds;
	/* LeakSanitizer's check after the corpus and after the mutations, as TAP lines. */
	bool check_leaks;
	/* At the end, before the plan: what to free, what to count. */
	void (*finish)(void);
};

/* LeakSanitizer's check between inputs, where the sanitizer is linked in. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

struct fuzz_tap {
	int test, failed;
};

static inline void fuzz_tap(struct fuzz_tap *t, bool ok, const char *fmt, ...) _printf_(3, 4);
static inline void fuzz_tap(struct fuzz_tap *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++t->test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	t->failed += !ok;
}

static inline int fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static inline int fuzz_read_file(const char *path, uint8_t **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024)
		return -EINVAL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t got = 0; got < (size_t)st.st_size;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*ret = buf;
	*ret_size = (size_t)st.st_size;
	return 0;
}

static inline int fuzz_cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct fuzz_input *)a)->name, ((const struct fuzz_input *)b)->name);
}

/* The files of dir, sorted by name; false where there are none (after a "Bail out!") or
 * memory ran out. */
static inline bool fuzz_corpus_read(const char *dir, struct fuzz_input **ret, size_t *ret_n)
{
	struct fuzz_input *inputs = NULL;
	size_t n_inputs = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		printf("Bail out! Cannot open corpus %s: %s\n", dir, strerror(errno));
		return false;
	}
	while ((de = readdir(d))) {
		char path[4096];
		struct fuzz_input *in;

		if (de->d_name[0] == '.')
			continue;
		in = reallocarray(inputs, n_inputs + 1, sizeof(*inputs));
		if (!in) {
			closedir(d);
			return false;
		}
		inputs = in;
		in = &inputs[n_inputs];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (fuzz_read_file(path, &in->data, &in->size) < 0)
			continue;
		in->name = strdup(de->d_name);
		n_inputs++;
	}
	closedir(d);
	if (n_inputs == 0) {
		printf("Bail out! Corpus %s is empty\n", dir);
		free(inputs);
		return false;
	}
	qsort(inputs, n_inputs, sizeof(*inputs), fuzz_cmp_names);
	*ret = inputs;
	*ret_n = n_inputs;
	return true;
}

static inline void fuzz_print_input(const uint8_t *data, size_t size)
{
	printf("# input (%zu bytes): ", size);
	for (size_t k = 0; k < size && k < 512; k++)
		printf("%02x", data[k]);
	printf("%s\n", size > 512 ? "..." : "");
}

/* Runs one input: whether it broke anything. */
static inline bool fuzz_replay_one(const struct fuzz_replay *r, const uint8_t *data, size_t size)
{
	unsigned long before = fuzz_n_violations;
	bool broken;

	LLVMFuzzerTestOneInput(data, size);
	broken = r->broken && r->broken();
	return broken || fuzz_n_violations != before;
}

static inline void fuzz_tap_leaks(struct fuzz_tap *t, const char *what)
{
	fuzz_tap(t, !__lsan_do_recoverable_leak_check || __lsan_do_recoverable_leak_check() == 0, "%s nothing",
		 what);
}

/* main() of the replay:
 *   fuzz-NAME [CORPUS_DIR (r->corpus)] [MUTATIONS (r->mutations)]
 * A TAP line for each corpus file, one for the mutations (the first five that fail printed),
 * and with check_leaks one for the leaks of each. */
static inline int fuzz_replay_main(int argc, char *argv[], const struct fuzz_replay *r)
{
	const char *dir = argc > 1 ? argv[1] : r->corpus;
	unsigned long mutations = argc > 2 ? strtoul(argv[2], NULL, 10) : r->mutations, bad = 0;
	const char *why = r->setup ? r->setup() : NULL;
	struct fuzz_tap t = {};
	struct fuzz_input *inputs;
	size_t n_inputs;
	uint64_t rng = 0x5eed;
	int fds_before, fds_after;

	if (why) {
		printf("Bail out! %s\n", why);
		return 1;
	}
	fds_before = r->check_fds ? fuzz_count_fds() : 0;
	if (!fuzz_corpus_read(dir, &inputs, &n_inputs))
		return 1;
	if (r->started)
		r->started();

	for (size_t i = 0; i < n_inputs; i++) {
		int fds = r->check_fds ? fuzz_count_fds() : 0;
		bool broken = fuzz_replay_one(r, inputs[i].data, inputs[i].size);
		const char *how = broken ? r->broken_what : r->check_fds && fuzz_count_fds() != fds ? "fd leaked" : NULL;

		fuzz_tap(&t, !broken && !how, "corpus %s%s%s%s", inputs[i].name, how ? " (" : "", how ?: "",
			 how ? ")" : "");
	}
	if (r->check_leaks)
		fuzz_tap_leaks(&t, "the corpus leaks");
	fflush(stdout);

	for (unsigned long m = 0; m < mutations; m++) {
		const struct fuzz_input *in = &inputs[fuzz_rng_next(&rng) % n_inputs];
		const struct fuzz_input *other = &inputs[fuzz_rng_next(&rng) % n_inputs];
		size_t size;
		uint8_t *data = r->mutate(in, other, &rng, &size);

		if (!data)
			return 1;
		if (fuzz_replay_one(r, data, size) && bad++ < 5) {
			printf("# mutation %lu of %s%s%s\n", m, in->name, r->broken_what ? ": " : "",
			       r->broken_what ?: "");
			fuzz_print_input(data, size);
		}
		free(data);
	}
	fds_after = r->check_fds ? fuzz_count_fds() : 0;
	if (bad == 0 && fds_after == fds_before)
		fuzz_tap(&t, true, "%lu mutations of the corpus", mutations);
	else if (r->check_fds)
		fuzz_tap(&t, false, "%lu mutations of the corpus (%lu bad, fds %d -> %d)", mutations, bad, fds_before,
			 fds_after);
	else
		fuzz_tap(&t, false, "%lu mutations of the corpus (%lu broke an invariant)", mutations, bad);
	if (r->check_leaks)
		fuzz_tap_leaks(&t, "the mutations leak");

	for (size_t i = 0; i < n_inputs; i++) {
		free(inputs[i].name);
		free(inputs[i].data);
	}
	free(inputs);
	if (r->finish)
		r->finish();
	printf("1..%d\n", t.test);
	return t.failed ? 1 : 0;
}
#endif /* RVISOR_LIBFUZZER */

#endif
