/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Containers an OCI runtime (rvisor-runc) created and rvisord bound to kernel sandboxes
 * (BindContainer): whose they are, and their records on disk, from which a restarted
 * rvisord re-adopts them (docs/oci.md). Returns -errno and never logs, like lib/.
 */
#ifndef RVISORD_OCI_BIND_H
#define RVISORD_OCI_BIND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* OCI container ids as runc accepts them: [A-Za-z0-9_+.-], at most 1024, not "." or "..". */
bool oci_container_id_valid(const char *id);

/* The pid (in rvisord's pid namespace) of the process a pidfd refers to: -ESRCH when it has
 * exited or lives in a pid namespace rvisord cannot see, -EBADF when fd is not a pidfd. */
int pidfd_to_pid(int pidfd, pid_t *ret);

/*
 * Whether uid may bind the pid namespace of the process (pidfd, pid): root any; anyone else
 * only a namespace owned by a user namespace uid created (rootless engines), so that no one
 * binds, and thereby inspects or kills, a namespace that is not theirs. 0, -EPERM, -ESRCH
 * (the process exited, and pid may name another by now).
 */
int oci_namespace_owned_by(int pidfd, pid_t pid, uid_t uid);

/* The cgroup v2 directory of pid ("/sys/fs/cgroup/..."), or -ENOENT without one. */
int process_cgroup_dir(pid_t pid, char **ret);

/* Whether a directory process_cgroup_dir() gave is the root of the tree (the whole host). */
bool cgroup_dir_is_root(const char *dir);

/* What rvisord keeps of a bound container, as a file STATE_DIR/.containers/KERNEL_ID.json. */
struct oci_record {
	uint64_t kernel_id;
	uid_t owner;
	pid_t pid;           /* its init, host pid */
	uint64_t started_usec;
	unsigned int layers; /* POLICY_LAYER_* */
	char *container, *policy, *bundle;
	char **command;      /* NULL-terminated */
};

void oci_record_done(struct oci_record *r);

/* Writes (atomically, 0600) or removes the record under dir, creating dir (0700). */
int oci_record_save(const char *dir, const struct oci_record *r);
int oci_record_remove(const char *dir, uint64_t kernel_id);

/* Every readable record under dir, into a malloc()ed array (*ret_n entries; free each with
 * oci_record_done). Malformed files are removed and skipped. A missing dir is no record. */
int oci_records_load(const char *dir, struct oci_record **ret, size_t *ret_n);

#endif
