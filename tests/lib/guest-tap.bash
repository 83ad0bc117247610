# The TAP of the VM harnesses (tests/vm/run.sh, tests/system/run.sh): the guest's own tests
# renumbered into the harness's, and the harness's checks of how the guest ran. The guest
# writes its TAP, then its kernel log between MARK-DMESG-BEGIN and MARK-DMESG-END, then a line
# MARK-DONE..., to a serial port the host keeps as a file (RESULTS); MARK is RVISOR-VM or
# RVISOR-SYSTEM.

n=0 failed=0
tap() { # tap OK|NOT DESCRIPTION: the next test line
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
comment() { sed -u 's/\r$//; s/^/# /'; }

# guest_tap RESULTS MARK PREFIX: the guest's test lines as ours (PREFIX before each
# description), its comments as they are; sets guest_plan (empty when it printed none) and
# guest_ran.
guest_tap() {
	local results=$1 mark=$2 prefix=$3 line
	guest_plan=$(tr -d '\r' <"$results" | sed -nE 's/^1\.\.([0-9]+)$/\1/p' | head -1)
	guest_ran=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		"ok "*) guest_ran=$((guest_ran + 1)); tap OK "$prefix$(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")" ;;
		"not ok "*) guest_ran=$((guest_ran + 1)); tap NOT "$prefix$(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")" ;;
		"#"*) echo "$line" ;;
		esac
	done < <(sed "/^$mark-DMESG-BEGIN/,\$d" "$results")
}

# guest_done_line RESULTS MARK: the guest's last MARK-DONE line; nothing when it never wrote one.
guest_done_line() {
	tr -d '\r' <"$1" | grep -aE "^$2-DONE" | tail -1
}

# guest_kernel_problems CONSOLE RESULTS MARK: the oopses, BUGs, WARNINGs, KASAN reports and
# panics in the guest's console and in the kernel log it reported; nothing when there are none.
guest_kernel_problems() {
	tests/vm/kernel-log-problems.sh "$1" <(sed -n "/^$3-DMESG-BEGIN/,/^$3-DMESG-END/p" "$2")
}

# guest_checks QEMU_RC TIMEOUT_S IN_TIME CONSOLE DONE_LINE KERNEL_PROBLEMS: after guest_tap,
# the harness's checks: QEMU did not time out (IN_TIME: the ok line's description), the guest
# reported and ran all its tests, its kernel log is clean. CONSOLE as the messages name it.
guest_checks() {
	local qemu_rc=$1 timeout_s=$2 in_time=$3 console=$4 done_line=$5 kernel_problems=$6

	if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
		tap NOT "guest finished within ${timeout_s}s (it hung; see $console)"
	else
		tap OK "$in_time"
	fi
	if [ -z "$done_line" ]; then
		tap NOT "guest reported its results (it never did; see $console)"
	elif [ -z "$guest_plan" ] || [ "$guest_ran" -lt "$guest_plan" ]; then
		tap NOT "guest ran all its tests (ran $guest_ran of ${guest_plan:-an unknown number})"
	else
		tap OK "guest ran all $guest_plan tests"
	fi
	if [ -n "$kernel_problems" ]; then
		tap NOT "guest kernel log has no oops/BUG/WARNING/KASAN/panic"
		echo "$kernel_problems" | comment
	else
		tap OK "guest kernel log has no oops/BUG/WARNING/KASAN/panic"
	fi
}
