/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord/oci-bind.c: container ids, pidfds, namespace ownership and the records of bound
 * containers that a restarted rvisord re-adopts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci-bind.h"
#include "tap.h"

static char dir[] = "/tmp/rvisor-test-oci-bind-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_ids(void)
{
	char long_id[1026];

	ok(oci_container_id_valid("abc"), "a plain id");
	ok(oci_container_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	   "docker's 64 hex digits");
	ok(oci_container_id_valid("k8s_pod-1.a+b_c"), "runc's alphabet");
	ok(!oci_container_id_valid(""), "empty refused");
	ok(!oci_container_id_valid("."), "'.' refused");
	ok(!oci_container_id_valid(".."), "'..' refused");
	ok(!oci_container_id_valid("a/b"), "a slash refused");
	ok(!oci_container_id_valid("a b"), "a space refused");
	ok(!oci_container_id_valid("a\x1b[2J"), "an escape sequence refused");
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ok(!oci_container_id_valid(long_id), "1025 characters refused");
	long_id[1024] = '\0';
	ok(oci_container_id_valid(long_id), "1024 characters accepted");
}

static void test_pidfds(void)
{
	pid_t child, pid = 0;
	int pidfd, fd, r;

	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	ok(pidfd >= 0, "pidfd_open of a child");
	r = pidfd_to_pid(pidfd, &pid);
	is_int(r, 0, "pidfd_to_pid of a live process");
	is_int(pid, child, "its pid");
	is_int(oci_namespace_owned_by(pidfd, pid, 0), 0, "root may bind any live process's namespace");
	/* The test's own pid namespace is owned by the initial user namespace: root's. */
	if (getuid() == 0)
		is_int(oci_namespace_owned_by(pidfd, pid, 1000), -EPERM,
		       "another uid may not bind a namespace root owns");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	is_int(pidfd_to_pid(pidfd, &pid), -ESRCH, "pidfd_to_pid of an exited process: ESRCH");
	is_int(oci_namespace_owned_by(pidfd, child, 0), -ESRCH, "root: an exited process is ESRCH");
	is_int(oci_namespace_owned_by(pidfd, child, 1000), -ESRCH, "others: an exited process is ESRCH");
	close(pidfd);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	is_int(pidfd_to_pid(fd, &pid), -EBADF, "a file is not a pidfd: EBADF");
	close(fd);
	is_int(pidfd_to_pid(9999, &pid), -EBADF, "a closed descriptor: EBADF");
}

static void test_records(void)
{
	char sh[] = "sh", c[] = "-c", script[] = "echo \"quoted\"", container[] = "web-1",
	     policy[] = "default", bundle[] = "/srv/bundle";
	char *cmd[] = { sh, c, script, NULL };
	struct oci_record r = {
		.kernel_id = 7, .owner = 1000, .pid = 4242, .started_usec = 123456789, .layers = 1,
		.container = container, .policy = policy, .bundle = bundle, .command = cmd,
	};
	struct oci_record *all = NULL;
	size_t n = 99;
	struct stat st;
	char path[256];

	is_int(oci_records_load("/nonexistent/rvisor", &all, &n), 0, "no directory: no record");
	is_int((int)n, 0, "none");
	is_int(oci_record_save(dir, &r), 0, "save");
	snprintf(path, sizeof(path), "%s/7.json", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the record is 0600");
	ok(!exists("7.json.tmp"), "no temporary file left");

	write_file("8.json", "{ not json");
	write_file("9.json", "{\"kernel_id\": 9, \"owner\": 0, \"pid\": 1, \"started_usec\": 0, \"layers\": 1,"
			     " \"container\": \"../x\", \"policy\": \"p\", \"bundle\": \"/b\", \"command\": []}");
	write_file("10.json", "{\"kernel_id\": 10, \"owner\": 0, \"pid\": 1, \"started_usec\": 0, \"layers\": 9,"
			      " \"container\": \"x\", \"policy\": \"p\", \"bundle\": \"/b\", \"command\": []}");
	write_file("11.json", "{\"kernel_id\": 11, \"owner\": 0, \"pid\": 1, \"started_usec\": 0, \"layers\": 1,"
			      " \"container\": \"x\", \"policy\": \"p\", \"bundle\": \"/b\", \"command\": [1]}");
	write_file("notes.txt", "not a record");

	is_int(oci_records_load(dir, &all, &n), 0, "load");
	is_int((int)n, 1, "only the well-formed record");
	if (n == 1) {
		is_int((int)all[0].kernel_id, 7, "kernel id");
		is_int((int)all[0].owner, 1000, "owner");
		is_int(all[0].pid, 4242, "pid");
		ok(all[0].started_usec == 123456789, "start time");
		is_int((int)all[0].layers, 1, "layers");
		is_str(all[0].container, "web-1", "container id");
		is_str(all[0].policy, "default", "policy");
		is_str(all[0].bundle, "/srv/bundle", "bundle");
		ok(all[0].command && all[0].command[3] == NULL, "three arguments");
		if (all[0].command && all[0].command[2])
			is_str(all[0].command[2], "echo \"quoted\"", "quotes survive");
	}
	for (size_t i = 0; i < n; i++)
		oci_record_done(&all[i]);
	free(all);
	ok(!exists("8.json") && !exists("9.json") && !exists("10.json") && !exists("11.json"),
	   "malformed records are removed");
	ok(exists("notes.txt"), "other files are left alone");

	is_int(oci_record_remove(dir, 7), 0, "remove");
	ok(!exists("7.json"), "gone");
	is_int(oci_record_remove(dir, 7), 0, "removing again is fine");
}

int main(void)
{
	if (!mkdtemp(dir))
		abort();
	test_ids();
	test_pidfds();
	test_records();
	unlink(strcat(strcpy((char[300]){ 0 }, dir), "/notes.txt"));
	rmdir(dir);
	return tap_done();
}
