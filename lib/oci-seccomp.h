/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seccomp for OCI containers (rvisor-runc): the engine's profile, config.json's linux.seccomp,
 * compiled with libseccomp as runc and crun compile it, then chained with rvisor's policy
 * programs (lib/policy-seccomp.c) into the one classic BPF program that crun installs from the
 * run.oci.seccomp_bpf_data annotation instead of compiling linux.seccomp itself.
 * Library code: returns -errno, never logs; where a reason helps, *ret_reason (when
 * ret_reason is not NULL) is a static English string saying what was wrong.
 *
 * The chain: program i's every "return ALLOW" and "return LOG" becomes a jump to where
 * program i+1 starts; its other returns (ERRNO, KILL_*, TRAP, and whatever the kernel
 * does not know, which it treats as KILL_PROCESS) stay. The last program's returns all stay.
 * So a call passes only when every program allows it, and the first program that refuses it
 * gives the answer. Where the kernel runs stacked filters (seccomp(2) called once per
 * program) it runs them all and keeps the most restrictive answer; the chain differs in two
 * ways only, documented here because the caller chooses the order:
 *  - of two refusals, the earlier program's wins, not the more restrictive one (engine
 *    ERRNO(EPERM) before a policy's KILL_PROCESS: the call fails with EPERM, the process
 *    lives; it is refused either way);
 *  - LOG of a program that is not the last only lets the call go on: the kernel does not
 *    log it (the last program's LOG still logs).
 * TRACE and USER_NOTIF are not refusals (a tracer or a seccomp agent may let the call run,
 * and after a tracer the kernel re-runs the filter, where TRACE then counts as ALLOW): in a
 * program that is not the last they would skip the programs after it, so such a chain is
 * refused (-EINVAL), fail closed. So are programs whose result is computed (RET A, RET X),
 * that could run off their end (a jump out of the program, a last instruction that is no
 * return), that the kernel would refuse alone (an instruction seccomp does not take, a
 * scratch word loaded before it is stored on every path, ...), and a chain over
 * BPF_MAXINSNS (the kernel's limit for one program).
 * The kernel starts a filter with A and X zero; a program after the first gets "A = 0"
 * and/or "X = 0" in front of it when it could read them before setting them (never for
 * libseccomp's programs, which start by loading the architecture and never use X).
 */
#ifndef RVISOR_OCI_SECCOMP_H
#define RVISOR_OCI_SECCOMP_H

#include <stddef.h>

#include <json-c/json.h>
#include <linux/filter.h>

#include "macro.h"

/* crun's annotation: base64 of a struct sock_filter[] it installs instead of linux.seccomp. */
#define OCI_SECCOMP_BPF_ANNOTATION "run.oci.seccomp_bpf_data"

/*
 * Compiles an OCI runtime-spec linux.seccomp object as crun does: defaultAction (required),
 * defaultErrnoRet, architectures ("SCMP_ARCH_X86", "x32", ...; the native one always),
 * flags (install-time flags, checked and otherwise ignored: they do not change the program),
 * syscalls[] {names, action, errnoRet, args[] {index, value, valueTwo, op}}. errnoRet only
 * with SCMP_ACT_ERRNO and SCMP_ACT_TRACE (EPERM when absent); several args on one index make
 * one rule per arg (any matches), else all args must match; a rule whose action is the
 * default is skipped; an unknown syscall name is skipped. listenerPath and other keys are
 * ignored. *ret: malloc()ed instructions (oci_seccomp_prog_clear() frees them).
 * -EINVAL (with a reason) for malformed input or what libseccomp refuses, -ENOMEM.
 */
int oci_seccomp_compile(json_object *seccomp, struct sock_fprog *ret, const char **ret_reason);

/* progs[0..n-1] chained as above into *ret (malloc()ed instructions). -EINVAL (with a
 * reason) for n == 0 or what the chain refuses, -ENOMEM. progs are not changed. */
int oci_seccomp_chain(const struct sock_fprog *progs, size_t n, struct sock_fprog *ret,
		      const char **ret_reason);

/* A program from its base64 text (RFC 4648 with padding, lib/base64.c) and back. Decoding
 * gives -EINVAL (with a reason) for bad base64 or a size that is not 1..BPF_MAXINSNS whole
 * instructions; it does not look at the instructions (oci_seccomp_chain() does). */
int oci_seccomp_from_base64(const char *text, struct sock_fprog *ret, const char **ret_reason);
int oci_seccomp_to_base64(const struct sock_fprog *prog, char **ret);

/*
 * The value of run.oci.seccomp_bpf_data for an OCI container under rvisor's policy: the
 * engine's program first, then policy[0..n_policy-1] (base64, in their load order, as
 * rvisord hands them over). The engine's program is engine_bpf (base64, an annotation
 * already in the config) when not NULL, which crun would install instead of linux.seccomp,
 * else linux_seccomp compiled (oci_seccomp_compile()) when not NULL, else there is none.
 * *ret: malloc()ed base64 text. -EINVAL (with a reason) when any part is refused or there is
 * no program at all, -ENOMEM.
 */
int oci_seccomp_annotation(json_object *linux_seccomp, const char *engine_bpf,
			   const char *const *policy, size_t n_policy, char **ret,
			   const char **ret_reason);

/* Frees p's instructions and zeroes it; p may be NULL. */
void oci_seccomp_prog_clear(struct sock_fprog *p);

#define _cleanup_sock_fprog_ _cleanup_(oci_seccomp_prog_clear)

#endif
