#!/bin/bash
# Host-side entry point of the benchmarks (`make bench`): boots the rvisor test VM exactly as
# the VM suite does (tests/vm/run.sh --bench: same kernel, initramfs, accelerator choice and
# kernel-log checks), where tests/vm/init runs bench/run-vm.sh instead of the bats suites.
# Prints the guest's tables (syscalls, layers, views, startup, peers) and keeps them in
# build/bench/results.md. Exits 1 when the VM or the benchmark failed, never because a target
# was missed.
# Environment: as tests/vm/run.sh (RVISOR_KVER, RVISOR_VM_TIMEOUT, RVISOR_VM_ACCEL), and
# bench/run-vm.sh's RVISOR_BENCH_TABLES (e.g. "peers": only that table, and startup's, which
# it needs), RVISOR_BENCH_REPS, _SCALE, _ROUNDS, _AB_N, _READS and _RAW, which reach the guest.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

out=build/bench/results.md
mkdir -p "$(dirname "$out")"
rm -f "$out"

tests/vm/run.sh --bench | tee "$out.tmp"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo "rvisor bench: the VM run failed (exit $rc); see build/vm/console.log" >&2
	exit 1
fi
# A run that printed no table never reads as a result: each table asked for ends in its line.
tables=" ${RVISOR_BENCH_TABLES:-syscalls layers startup peers views} "
tables=${tables//,/ }
[[ $tables != *" peers "* ]] || tables+="startup "
declare -A summary=(
	[syscalls]='^rvisor-bench: [0-9]+ rows, [0-9]+ met, [0-9]+ missed$'
	[layers]='^rvisor-bench layers: [0-9]+ rows, [0-9]+ met, [0-9]+ missed$'
	[startup]='^rvisor-bench startup: [0-9]+ rows, [0-9]+ measured, [0-9]+ n/a$'
	[peers]='^rvisor-bench peers: [0-9]+ rows, [0-9]+ met, [0-9]+ missed, [0-9]+ n/a$'
	[views]='^rvisor-bench views: [0-9]+ rows, [0-9]+ met, [0-9]+ missed, [0-9]+ n/a$'
)
for t in $tables; do
	if [ -z "${summary[$t]:-}" ] || ! grep -qE "${summary[$t]}" "$out.tmp"; then
		echo "rvisor bench: the guest printed no complete $t table; see build/vm/console.log" >&2
		exit 1
	fi
done
mv "$out.tmp" "$out"
echo "rvisor bench: table kept in $out"
