/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ids of a sandbox in a user namespace: its uid/gid 0 is the caller's own uid/gid (for
 * root, which must not be mapped, the first subordinate id), and 1..N are the caller's ranges
 * in /etc/subuid and /etc/subgid, as podman and newuidmap map them. So a sandbox never holds a
 * host id its caller does not own. Returns -errno, never logs, like lib/.
 */
#ifndef RVISORD_IDMAP_H
#define RVISORD_IDMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IDMAP_SUBID_FILE_UID "/etc/subuid"
#define IDMAP_SUBID_FILE_GID "/etc/subgid"
/* Ranges per map: the caller's own id plus subordinate ranges (the kernel takes 340). */
#define IDMAP_RANGES_MAX 32

struct idmap_range {
	uint32_t inside, outside, count;
};

struct idmap {
	struct idmap_range ranges[IDMAP_RANGES_MAX];
	unsigned n;
};

/*
 * The map for a caller: id (its uid, or its gid) as 0 unless id is 0, then the ranges of the
 * user named name (or written as its number) in subid_file, in file order. Ranges holding 0,
 * overflowing, or overlapping the caller's id or each other are skipped (an administrator's
 * mistake must not hand out root or someone else's id twice). A missing file means no ranges.
 * -ENOENT: nothing to map (root without ranges); -E2BIG: more than IDMAP_RANGES_MAX ranges.
 */
int idmap_for_caller(const char *subid_file, const char *name, uint32_t id, struct idmap *ret);

/* Whether inside id is mapped. */
bool idmap_contains(const struct idmap *m, uint32_t id);

/* The host's id for inside id, or -ENOENT when it is not mapped. */
int64_t idmap_outside(const struct idmap *m, uint32_t id);

/* The number of ids mapped (0..count-1 when the ranges are contiguous, which they are). */
uint64_t idmap_size(const struct idmap *m);

/* The map as /proc/PID/uid_map takes it ("inside outside count\n" per range). Allocated. */
int idmap_format(const struct idmap *m, char **ret);

#endif
