#!/bin/bash
# Prints the kernel log lines that fail a VM run: oops, BUG, WARNING, KASAN/UBSAN reports,
# panics, lockups, refcount and list corruption, stack traces. Reads console logs and dmesg
# dumps (files or stdin). Only lines that start with a printk timestamp count, so a test's
# name or output can never match by accident. The stack trace of an OOM-killer report is
# expected behaviour (a sandbox hit its memory limit) and is skipped; the report must still
# end in "Killed process". Exit status 0 when something was found, 1 when the log is clean.
set -uo pipefail
cat "$@" | tr -d '\r' | grep -E '^\[ *[0-9]+\.[0-9]+\]' |
	awk '/invoked oom-killer/ { oom = 1 } oom && /<\/TASK>/ { oom = 0; next } !oom' |
	grep -E 'Oops|BUG:|WARNING:|KASAN|UBSAN|Kernel panic|general protection fault|Call Trace|kernel BUG|unable to handle|blocked for more than|rcu_.*stall|refcount_t:|list_(add|del) corruption|cut here' |
	sort -u | grep .
