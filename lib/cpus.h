/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CPU limits as policies, rvisorctl and rvisord spell them: a number of CPUs ("1.5", docker's
 * --cpus, kept in thousandths of a CPU) and CPU lists ("0-3,8", the kernel's cpulist syntax of
 * cpuset.cpus and /sys/devices/system/cpu/online). Library code: returns -errno, never logs.
 */
#ifndef RVISOR_CPUS_H
#define RVISOR_CPUS_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

/* cpu.max's period; a quota of N CPUs is N * CPUS_PERIOD_USEC per period. */
#define CPUS_PERIOD_USEC 100000ULL
/* 0.01 CPUs: the kernel refuses a quota below 1 ms (docker's lower bound too). */
#define CPUS_MILLI_MIN 10ULL
/* As many CPUs as a cpu_set_t holds. */
#define CPUS_MILLI_MAX ((uint64_t)CPU_SETSIZE * 1000)

/* "2", "1.5", "0.25", ".5", "0.125": thousandths of a CPU. -EINVAL for anything else (signs,
 * blanks, exponents, more than three decimals, a trailing "."), -ERANGE for less than
 * CPUS_MILLI_MIN or more than CPUS_MILLI_MAX. */
int cpus_parse(const char *s, uint64_t *ret_milli);

/* milli as a number of CPUs without trailing zeros: "1.5", "2", "0.125". buf: 24 bytes. */
const char *cpus_format(uint64_t milli, char *buf, size_t size);

/* "0-3,8,10-11" (one trailing newline allowed, as cgroup and sysfs files end): the set. ""
 * is the empty set. -EINVAL for other syntax or a backwards range, -ERANGE for a CPU number
 * of CPU_SETSIZE or more. */
int cpulist_parse(const char *s, cpu_set_t *ret);

/* The set in the same syntax, ranges merged ("0-3,8"); "" for the empty set. Allocated. */
int cpulist_format(const cpu_set_t *set, char **ret);

#endif
