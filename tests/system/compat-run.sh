#!/bin/bash
# The compatibility suite's workload, run by tests/system/compat.sh twice in the guest: natively,
# then in a sandbox (rvisorctl run --userns --image / -- compat-run.sh ...), with the same
# environment. Python regression modules, each in a process of its own (compat-py.py), then
# stress-ng stressors one at a time, each its own stress-ng run so that its exit status is its
# result. Prints "@@COMPAT STATUS ID SECONDS | WHY" lines (compat-py.py's format), with "@@COMPAT exit
# MODULE RC" after each Python module, amid the tests' own output.
# Usage: compat-run.sh "PYTHON_MODULES" "PYTHON_SKIPS" "STRESSORS" STRESS_SECONDS
# (PYTHON_SKIPS: test classes or tests to leave out, MODULE.CLASS[.TEST])
set -u
dir=$(dirname "$(readlink -f "$0")")
modules=$1 skips=$2 stressors=$3 stress_s=$4

for m in $modules; do
	args=()
	for s in $skips; do
		[[ "$s" != "$m".* ]] || args+=(--skip "test.$s")
	done
	t0=$SECONDS
	# the per-test timeout ends a hanging test (faulthandler); timeout(1) any other hang
	timeout -k 10 600 python3 "$dir/compat-py.py" --timeout 120 "${args[@]}" "test.$m" 2>&1
	rc=$?
	echo
	echo "@@COMPAT exit test.$m $rc $((SECONDS - t0))"
done

# stress-ng 0.15's exit status: 0 success, 3 no resource, 4 not implemented here (skips); else
# a failure (2: the stressor failed, 5: killed by a signal, 1: stress-ng itself). It also
# exits 0 after skipping a stressor (a missing capability or feature, "skipping"): only a
# stressor that ran has its metrics in the YAML report. And it exits 0 after some failed
# calls ("stress-ng: fail:" lines): a failure here, as no stressor prints any natively.
tmp=$(mktemp -d /tmp/compat-stress.XXXXXX) || exit 1
for s in $stressors; do
	t0=$(date +%s%N)
	rm -f "$tmp/yaml"
	out=$(cd "$tmp" && timeout -k 10 $((stress_s * 10 + 30)) stress-ng --"$s" 1 -t "$stress_s" \
		--temp-path "$tmp" --metrics-brief --yaml "$tmp/yaml" 2>&1)
	rc=$?
	echo "$out"
	fails=$(grep -c '^stress-ng: fail:' <<<"$out")
	calls=
	[ "$fails" -eq 0 ] || calls=", $fails failed calls"
	case $rc in
	0) if [ "$fails" -gt 0 ]; then
		status=fail
	elif grep -qxE " *- stressor: $s" "$tmp/yaml" 2>/dev/null; then
		status=pass
	else
		status=skip
	fi ;;
	3 | 4) status=skip ;;
	*) status=fail ;;
	esac
	# why: stress-ng's first failed call, else why it skipped, else its first error or errno
	# (not the sandbox's /sys without CPUs, nor "terminated with an error"), without
	# "stress-ng: fail:  [pid] "
	generic='no CPUs found in|terminated with an error'
	why=$({
		grep '^stress-ng: fail:' <<<"$out"
		grep -iE 'skipp|not implemented|not supported|aborted early' <<<"$out"
		grep -E '^stress-ng: error:|errno' <<<"$out" | grep -vE "$generic"
		grep '^stress-ng: error:' <<<"$out"
	} | head -1 | sed -E 's/^stress-ng: [a-z]+: +\[[0-9]+\] //')
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo
	echo "@@COMPAT $status stress-ng.$s $((ms / 1000)).$(printf %02d $((ms % 1000 / 10))) | exit $rc$calls${why:+: $why}"
done
rm -rf "$tmp"
