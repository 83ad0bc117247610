#!/bin/bash
# Prints the kernel log lines that fail a VM run: oops, BUG, WARNING, KASAN/UBSAN reports,
# panics, lockups, refcount and list corruption. Reads console logs and dmesg dumps (files or
# stdin). Only lines that start with a printk timestamp count, so a test's name or output can
# never match by accident. Exit status 0 when something was found, 1 when the log is clean.
set -uo pipefail
cat "$@" | tr -d '\r' | grep -E '^\[ *[0-9]+\.[0-9]+\]' |
	grep -E 'Oops|BUG:|WARNING:|KASAN|UBSAN|Kernel panic|general protection fault|Call Trace|kernel BUG|unable to handle|blocked for more than|rcu_.*stall|refcount_t:|list_(add|del) corruption|cut here' |
	sort -u | grep .
