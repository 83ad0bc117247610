#!/bin/bash
# Runs rvisor's test suites, keeps each one's TAP output in build/test-results/ and ends with
# the line "N passed, N failed" summed over all of them.
#   tests/run-all.sh            unit, fuzz, host, vm, system (the packages on a booted Debian)
#                               and kernels (rvisor.ko built for Debian 13's and sid's kernels,
#                               which boot with it and run a subset of the VM suites)
#   tests/run-all.sh unit host  only those
# A suite that exits non-zero without a failed test, or runs fewer tests than it planned,
# counts as failed too: a crash must never read as green.
set -u
cd "$(dirname "$0")/.."

results=build/test-results
mkdir -p "$results"
total_pass=0 total_fail=0 total_skip=0

# run_suite NAME COMMAND…: runs it, tees its TAP into $results/NAME.tap, adds up the counts.
run_suite() {
	local name=$1 rc pass fail skip plan
	shift
	echo "# --- suite $name: $*"
	"$@" 2>&1 | tee "$results/$name.tap"
	rc=${PIPESTATUS[0]}
	pass=$(grep -cE '^ok ' "$results/$name.tap" | head -1)
	skip=$(grep -ciE '^ok .*# skip' "$results/$name.tap" | head -1)
	fail=$(grep -cE '^not ok ' "$results/$name.tap" | head -1)
	pass=$((pass - skip))
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$results/$name.tap" | head -1)
	if [ -z "$plan" ]; then
		echo "not ok - suite $name printed no TAP plan"
		fail=$((fail + 1))
	elif [ $((pass + fail + skip)) -lt "$plan" ]; then
		echo "not ok - suite $name ran $((pass + fail + skip)) of $plan planned tests"
		fail=$((fail + plan - pass - fail - skip))
	fi
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "not ok - suite $name exited with status $rc"
		fail=1
	fi
	echo "# suite $name: $pass passed, $fail failed, $skip skipped"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit fuzz host vm system kernels)

for s in "${suites[@]}"; do
	case "$s" in
	unit)
		# ASan/UBSan builds; leaks are errors too.
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
		for t in build/unit/test-*; do
			[ -x "$t" ] || { run_suite unit false; continue; }
			run_suite "unit-${t##*/test-}" "$t"
		done
		;;
	fuzz)
		# The fuzzers' replay mode: corpus plus mutations, ASan/UBSan, leaks are errors.
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
		for t in build/fuzz/fuzz-*; do
			[ -x "$t" ] || { run_suite fuzz false; continue; }
			run_suite "fuzz-${t##*/fuzz-}" "$t" "tests/fuzz/corpus/${t##*/fuzz-}"
		done
		;;
	host) run_suite host bats --tap tests/host ;;
	vm) run_suite vm tests/vm/run.sh ;;
	system) run_suite system tests/system/run.sh ;;
	kernels) run_suite kernels tests/kernels/run.sh ;;
	*) echo "run-all: unknown suite '$s' (unit, fuzz, host, vm, system, kernels)" >&2; exit 2 ;;
	esac
done

summary="$total_pass passed, $total_fail failed"
[ "$total_skip" -eq 0 ] || summary="$summary, $total_skip skipped"
echo "$summary" | tee "$results/summary"
[ "$total_fail" -eq 0 ]
