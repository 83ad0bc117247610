/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bound OCI containers: ownership checks and the records a restarted rvisord re-adopts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>

#include "macro.h"
#include "json-util.h"
#include "oci-bind.h"
#include "user-ids.h"

#define OCI_ID_MAX 1024

bool oci_container_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > OCI_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-") == n;
}

/* The "Pid:" line of a pidfd's fdinfo: the pid in our namespace, 0 when it is not visible
 * here, -1 once the process has exited (Linux 5.4+). */
int pidfd_to_pid(int pidfd, pid_t *ret)
{
	char path[64], line[256];
	FILE *f;
	long pid = 0;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -EBADF;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "Pid: %ld", &pid) == 1;
	fclose(f);
	if (!found)
		return -EBADF;
	if (pid <= 0)
		return -ESRCH;
	*ret = (pid_t)pid;
	return 0;
}

static int pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 ? -ESRCH : 0;
}

int oci_namespace_owned_by(int pidfd, pid_t pid, uid_t uid)
{
	_cleanup_close_ int ns = -1, userns = -1;
	char path[64];
	uid_t owner;

	if (uid == 0)
		return pidfd_alive(pidfd);
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -ESRCH;
	/* Opened while the pidfd's process was alive: then the path named that process. */
	if (pidfd_alive(pidfd) < 0)
		return -ESRCH;
	userns = ioctl(ns, NS_GET_USERNS);
	if (userns < 0)
		return -EPERM; /* owned outside rvisord's view: never the caller's */
	if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0)
		return -errno;
	return owner == uid ? 0 : -EPERM;
}

int process_cgroup_dir(pid_t pid, char **ret)
{
	_cleanup_free_ char *line = NULL;
	char path[64];
	size_t size = 0;
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::/", 4) == 0) {
			r = asprintf(ret, "/sys/fs/cgroup%s", strcmp(line + 3, "/") == 0 ? "" : line + 3) < 0 ?
				    -ENOMEM : 0;
			break;
		}
	}
	fclose(f);
	return r;
}

bool cgroup_dir_is_root(const char *dir)
{
	return strcmp(dir, "/sys/fs/cgroup") == 0;
}

void oci_record_done(struct oci_record *r)
{
	free(r->container);
	free(r->policy);
	free(r->bundle);
	for (char **p = r->command; p && *p; p++)
		free(*p);
	free(r->command);
	memset(r, 0, sizeof(*r));
}

static json_object *record_to_json(const struct oci_record *r)
{
	json_object *o = json_object_new_object(), *cmd = json_object_new_array();

	for (char **p = r->command; p && *p; p++)
		json_object_array_add(cmd, json_object_new_string(*p));
	json_object_object_add(o, "kernel_id", json_object_new_int64((int64_t)r->kernel_id));
	json_object_object_add(o, "owner", json_object_new_int64(r->owner));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "started_usec", json_object_new_int64((int64_t)r->started_usec));
	json_object_object_add(o, "layers", json_object_new_int((int)r->layers));
	json_object_object_add(o, "container", json_object_new_string(r->container));
	json_object_object_add(o, "policy", json_object_new_string(r->policy));
	json_object_object_add(o, "bundle", json_object_new_string(r->bundle));
	json_object_object_add(o, "command", cmd);
	return o;
}

static int record_path(const char *dir, uint64_t kernel_id, const char *suffix, char **ret)
{
	return asprintf(ret, "%s/%" PRIu64 ".json%s", dir, kernel_id, suffix) < 0 ? -ENOMEM : 0;
}

int oci_record_save(const char *dir, const struct oci_record *r)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	json_object *o;
	int k;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	k = record_path(dir, r->kernel_id, ".tmp", &tmp);
	if (k >= 0)
		k = record_path(dir, r->kernel_id, "", &path);
	if (k < 0)
		return k;
	o = record_to_json(r);
	k = json_write_file(o, tmp, path);
	json_object_put(o);
	return k;
}

int oci_record_remove(const char *dir, uint64_t kernel_id)
{
	_cleanup_free_ char *path = NULL;
	int k = record_path(dir, kernel_id, "", &path);

	if (k < 0)
		return k;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static const char *get_string(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static bool get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return *ret >= min && *ret <= max;
}

/* 0, -EBADMSG for a malformed record, -ENOMEM. */
static int record_from_json(json_object *o, struct oci_record *r)
{
	const char *container = get_string(o, "container"), *policy = get_string(o, "policy"),
		   *bundle = get_string(o, "bundle");
	int64_t id, owner, pid, started, layers;
	json_object *cmd;
	size_t n;

	if (!container || !oci_container_id_valid(container) || !policy || !bundle ||
	    !get_int(o, "kernel_id", 1, INT64_MAX, &id) || !get_int(o, "owner", 0, UID_GID_MAX, &owner) ||
	    !get_int(o, "pid", 1, INT32_MAX, &pid) || !get_int(o, "started_usec", 0, INT64_MAX, &started) ||
	    !get_int(o, "layers", 1, 3, &layers) || !json_object_object_get_ex(o, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_array))
		return -EBADMSG;
	n = json_object_array_length(cmd);
	*r = (struct oci_record){ .kernel_id = (uint64_t)id, .owner = (uid_t)owner, .pid = (pid_t)pid,
				  .started_usec = (uint64_t)started, .layers = (unsigned)layers };
	r->container = strdup(container);
	r->policy = strdup(policy);
	r->bundle = strdup(bundle);
	r->command = calloc(n + 1, sizeof(char *));
	if (!r->container || !r->policy || !r->bundle || !r->command) {
		oci_record_done(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(cmd, i);

		if (!json_object_is_type(a, json_type_string)) {
			oci_record_done(r);
			return -EBADMSG;
		}
		r->command[i] = strdup(json_object_get_string(a));
		if (!r->command[i]) {
			oci_record_done(r);
			return -ENOMEM;
		}
	}
	return 0;
}

/* One record file: 0 and *r, -EBADMSG when malformed (the caller removes it). */
static int record_load(const char *path, struct oci_record *r)
{
	json_object *o = json_object_from_file(path);
	int k;

	if (!o)
		return -EBADMSG;
	k = record_from_json(o, r);
	json_object_put(o);
	return k;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int oci_records_load(const char *dir, struct oci_record **ret, size_t *ret_n)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct oci_record *all = NULL;
	size_t n = 0;
	struct dirent *de;

	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		size_t len = strlen(de->d_name);
		struct oci_record r, *grown;
		int k;

		if (de->d_type != DT_REG || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			goto nomem;
		k = record_load(path, &r);
		if (k == -EBADMSG) {
			(void)unlink(path);
			continue;
		}
		if (k < 0)
			goto nomem;
		grown = realloc(all, (n + 1) * sizeof(*all));
		if (!grown) {
			oci_record_done(&r);
			goto nomem;
		}
		all = grown;
		all[n++] = r;
	}
	*ret = all;
	*ret_n = n;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		oci_record_done(&all[i]);
	free(all);
	return -ENOMEM;
}
