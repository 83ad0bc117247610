# shellcheck shell=bash
# The compatibility suite, sourced by guest-test.sh (which defines say, tap, note): Python's
# regression tests (Debian's libpython3.11-testsuite) and stress-ng stressors, run natively and
# then as root in a sandbox of the default policy (rvisorctl run --userns --image /, so that its
# root holds the policy's capabilities over its own user namespace), in the same boot, by
# compat-run.sh. Compared test by test: a test or stressor that fails only in the sandbox is a
# failure, unless compat-refusals.txt lists it as a deliberate refusal (docs/policy.md,
# "Deliberate refusals"). TAP: both runs completed, then one line per Python module and one
# for stress-ng; then comments: the counts, every test that fails only in the sandbox with
# why, and what differs otherwise (fails only natively, skips only in the sandbox).
# run.sh installs compat-run.sh, compat-py.py and compat-refusals.txt in $compat_dir.
compat_dir=/usr/local/lib/rvisor-compat
compat_logs=/var/tmp/rvisor-compat

# The selection: what fits in about 3.5 minutes natively and as long again in a sandbox under
# TCG (docs/testing-system.md has the measurements). Every module the issue names, each less
# its slowest parts that add no system call of their own: spawn wrappers run twice (through
# PATH, TestPosixSpawnP; os.spawn*, SpawnTests), tests that wait out timeouts or CPU time
# (socket timeouts, siginterrupt, itimers), variants of one test (socket file objects per
# buffering, Popen without poll, asyncio's select and poll loops beside epoll), archive
# compression, the threading module's pure-Python locks, and socket families no sandbox
# has (CAN, AF_ALG: skipped there anyway).
compat_python="test_os test_posix test_shutil test_socket test_fcntl test_select test_mmap
	test_time test_pty test_signal test_subprocess test_threading test_tempfile
	test_asyncio.test_events"
compat_python_skip="test_os.SpawnTests test_posix.TestPosixSpawnP test_shutil.TestArchives
	test_socket.NetworkConnectionBehaviourTest test_socket.TCPTimeoutTest
	test_socket.UDPTimeoutTest test_socket.UDPLITETimeoutTest test_socket.InterruptedSendTimeoutTest
	test_socket.InterruptedRecvTimeoutTest test_socket.UnbufferedFileObjectClassTestCase
	test_socket.LineBufferedFileObjectClassTestCase test_socket.SmallBufferedFileObjectClassTestCase
	test_socket.UnicodeReadFileObjectClassTestCase test_socket.UnicodeWriteFileObjectClassTestCase
	test_socket.UnicodeReadWriteFileObjectClassTestCase test_socket.CANTest
	test_socket.LinuxKernelCryptoAPI
	test_signal.SiginterruptTest test_signal.ItimerTest
	test_subprocess.ProcessTestCase test_subprocess.ProcessTestCaseNoPoll
	test_subprocess.RunFuncTestCase test_subprocess.POSIXProcessTestCase.test_pass_fds
	test_subprocess.POSIXProcessTestCase.test_swap_std_fds_with_one_closed
	test_subprocess.POSIXProcessTestCase.test_group
	test_threading.LockTests test_threading.PyRLockTests test_threading.CRLockTests
	test_threading.EventTests test_threading.ConditionTests test_threading.ConditionAsRLockTests
	test_threading.SemaphoreTests test_threading.BoundedSemaphoreTests test_threading.BarrierTests
	test_tempfile.TestTemporaryDirectory.test_del_on_shutdown
	test_asyncio.test_events.SelectEventLoopTests test_asyncio.test_events.PollEventLoopTests"
# stress-ng (classes os and filesystem; 1 s each): first the stressors of what a sandbox
# refuses or treats differently today (deliberate refusals, and the calls, ioctls, socket
# families and prctl options the default policy lacks, the writable layer's overlayfs), then
# one of each common family of calls that works. Left out: what needs --pathological
# (bind-mount), fails natively too (io-uring, exec as root), hogs memory, CPUs or the disk
# under TCG (vm, bigheap, hdd, iomix, mmapmany, forkheavy, syscall), or acts on the machine
# as root natively (swap, reboot, watchdog, cpu-online, memhotplug, dev, sysfs, sysinval).
compat_stress="aiol binderfs chattr chroot fanotify fiemap handle ioprio key klog landlock
	mq msg netlink-proc netlink-task personality prctl pty rawpkt remap sem-sysv shm-sysv shm
	sockdiag umount userfaultfd verity xattr
	fcntl flock open getdent splice inotify epoll clone futex sock"
compat_stress_s=1

# compat_parse LOG: one line per outcome, "ID<TAB>STATUS<TAB>SECONDS<TAB>WHY". A test that
# started and never reported (its process hung past the per-test timeout, or crashed) is an
# error, and so is a module whose process ended before its "end".
compat_parse() {
	awk '
	function put(id, st, s, why) { print id "\t" st "\t" s "\t" why }
	$1 != "@@COMPAT" { next }
	$2 == "start" { pending = $3; next }
	$2 == "end" { ended[$3] = 1; next }
	$2 == "exit" {
		if (pending != "")
			put(pending, "error", 0, "never reported: its process ended with exit " $4 \
				" (a hang past the per-test timeout, or a crash)")
		else if (!($3 in ended))
			put($3, "error", 0, "its process ended with exit " $4 " before the end")
		pending = ""
		next
	}
	{
		why = $0
		sub(/^[^|]*\| ?/, "", why)
		if ($3 == pending) pending = ""
		put($3, $2, $4, why)
	}' "$1"
}

# compat_compare NATIVE.tsv SANDBOX.tsv REFUSALS: tab-separated, one line per test that
# differs, then the counts of each group (a Python module, or stress-ng) and run:
#   diff GROUP KIND ID NATIVE SANDBOX WHY     KIND: sandbox-only (a failure), refused (a
#                                             listed refusal), native-only, both, skip-only
#                                             (passed natively, skipped in the sandbox),
#                                             missing (ran natively only)
#   count GROUP native|sandbox PASSED FAILED SKIPPED SECONDS
compat_compare() {
	awk -F'\t' -v OFS='\t' -v modules="$compat_python" '
	function group(id,   i) {
		if (id ~ /^stress-ng\./) return "stress-ng"
		for (i = 1; i <= nm; i++)
			if (id == "test." m[i] || index(id, "test." m[i] ".") == 1) return m[i]
		return "other"
	}
	function bad(st) { return st == "fail" || st == "error" || st == "upass" }
	function tally(run, st, s) {
		groups[g] = 1
		cnt[g, run, bad(st) ? "fail" : st == "skip" ? "skip" : "pass"]++
		secs[g, run] += s
	}
	# a refusal pattern: * matches anything, every other character itself
	function glob2re(p) { gsub(/[][.^$+?(){}|\\]/, "\\\\&", p); gsub(/\*/, ".*", p); return "^" p "$" }
	function refused(id,   i) {
		for (i = 1; i <= nr; i++)
			if (id ~ re[i]) return reason[i]
		return ""
	}
	BEGIN { nm = split(modules, m, /[ \t\n]+/) }
	FILENAME == ARGV[1] || FILENAME == ARGV[2] {
		if (!($1 in seen)) { seen[$1] = 1; order[++no] = $1 }
		g = group($1)
		if (FILENAME == ARGV[1]) { nat[$1] = $2; nwhy[$1] = $4; tally("native", $2, $3) }
		else { box[$1] = $2; bwhy[$1] = $4; tally("sandbox", $2, $3) }
		next
	}
	/^[ \t]*(#|$)/ { next }
	{
		split($0, f, /[ \t]+/)
		re[++nr] = glob2re(f[1])
		reason[nr] = $0
		sub(/^[^ \t]+[ \t]+/, "", reason[nr])
	}
	END {
		for (i = 1; i <= no; i++) {
			id = order[i]
			n = (id in nat) ? nat[id] : "none"
			b = (id in box) ? box[id] : "none"
			kind = ""
			why = bwhy[id]
			if (bad(b) && !bad(n)) {
				r = refused(id)
				kind = r == "" ? "sandbox-only" : "refused"
				if (r != "") why = r " (" why ")"
			} else if (bad(n) && !bad(b)) {
				kind = "native-only"
				why = nwhy[id]
			} else if (bad(n) && bad(b))
				kind = "both"
			else if (n == "pass" && b == "skip")
				kind = "skip-only"
			else if (n != "none" && b == "none") {
				kind = "missing"
				why = ""
			}
			if (kind != "") print "diff", group(id), kind, id, n, b, why
		}
		for (g in groups)
			for (run = 0; run < 2; run++) {
				r = run ? "sandbox" : "native"
				print "count", g, r, cnt[g, r, "pass"] + 0, cnt[g, r, "fail"] + 0,
					cnt[g, r, "skip"] + 0, secs[g, r] + 0
			}
	}' "$1" "$2" "$3"
}

# compat_rerun DIFFS: each test that failed only in the sandbox runs again there, with its
# module (or its stressor) alone; one that passes then is "flaky": listed, not a failure. A
# sandbox-only failure that comes back is still one.
compat_rerun() {
	local g kind id py st log
	while IFS=$'\t' read -r _ g kind id _; do
		[ "$kind" = sandbox-only ] || continue
		if [ "$g" = stress-ng ]; then py="" st=${id#stress-ng.}; else py=$g st=""; fi
		log=$compat_logs/rerun.$id.log
		rvisorctl run --userns --image / -e LANG=C.UTF-8 -- "$compat_dir/compat-run.sh" "$py" \
			"$compat_python_skip" "$st" "$compat_stress_s" </dev/null >"$log" 2>&1
		compat_parse "$log" | awk -F'\t' -v id="$id" '$1 == id && $2 == "pass" { p = 1 } END { exit !p }' &&
			awk -F'\t' -v OFS='\t' -v id="$id" -v rerun="$log" '$1 == "diff" && $3 == "sandbox-only" && $4 == id {
				$3 = "flaky"; $7 = $7 " (passed when run again alone: " rerun ")" } { print }' "$1" \
				>"$1.new" && mv "$1.new" "$1"
	done < <(grep $'^diff\t' "$1")
}

# compat_complete LOG: every Python module ended and every stressor reported.
compat_complete() {
	local m s
	for m in $compat_python; do grep -q "^@@COMPAT exit test\.$m 0 " "$1" || return 1; done
	for s in $compat_stress; do grep -qE "^@@COMPAT [a-z]+ stress-ng\.$s " "$1" || return 1; done
}

compat_suite() {
	local env s rc nat_s box_s g line kind groups diffs
	env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
		LANG=C.UTF-8)
	rm -rf "$compat_logs"
	mkdir -p "$compat_logs"
	# Natively: the environment rvisord gives a sandbox (container.c's defaults, and LANG).
	s=$SECONDS
	(cd / && env -i "${env[@]}" "$compat_dir/compat-run.sh" "$compat_python" "$compat_python_skip" \
		"$compat_stress" "$compat_stress_s" </dev/null >"$compat_logs/native.log" 2>&1)
	rc=$? nat_s=$((SECONDS - s))
	check "compat: native run of $(wc -w <<<"$compat_python") Python modules and $(wc -w <<<"$compat_stress") stress-ng stressors completed (exit $rc, ${nat_s}s)" \
		eval '[ "$rc" -eq 0 ] && compat_complete "$compat_logs/native.log"'
	s=$SECONDS
	rvisorctl run --userns --image / --name compat -e LANG=C.UTF-8 -- "$compat_dir/compat-run.sh" \
		"$compat_python" "$compat_python_skip" "$compat_stress" "$compat_stress_s" </dev/null >"$compat_logs/sandbox.log" 2>&1
	rc=$? box_s=$((SECONDS - s))
	check "compat: the same in a sandbox (rvisorctl run --userns --image /) completed (exit $rc, ${box_s}s)" \
		eval '[ "$rc" -eq 0 ] && compat_complete "$compat_logs/sandbox.log"'
	[ "$rc" -eq 0 ] || tail -20 "$compat_logs/sandbox.log" | note

	compat_parse "$compat_logs/native.log" >"$compat_logs/native.tsv"
	compat_parse "$compat_logs/sandbox.log" >"$compat_logs/sandbox.tsv"
	compat_compare "$compat_logs/native.tsv" "$compat_logs/sandbox.tsv" "$compat_dir/compat-refusals.txt" \
		>"$compat_logs/compare.tsv"
	diffs=$compat_logs/compare.tsv
	compat_rerun "$diffs"
	# One line per Python module, one for stress-ng: no test fails only in the sandbox.
	groups="$compat_python stress-ng"
	for g in $groups; do
		line=$(awk -F'\t' -v g="$g" '
			$1 == "count" && $2 == g { c[$3] = sprintf("%d passed, %d failed, %d skipped, %.0fs", $4, $5, $6, $7) }
			$1 == "diff" && $2 == g { k[$3]++ }
			END { printf "%d\tnative: %s; sandbox: %s; %d fail only in the sandbox, %d of them deliberate refusals, %d flaky",
				k["sandbox-only"], c["native"], c["sandbox"], k["sandbox-only"] + k["refused"] + k["flaky"],
				k["refused"], k["flaky"] }' "$diffs")
		check "compat: $g: nothing fails only in the sandbox, deliberate refusals aside (${line#*$'\t'})" \
			[ "${line%%$'\t'*}" = 0 ]
	done

	# The details, for people: every difference, failures first.
	for kind in sandbox-only flaky refused native-only skip-only both missing; do
		awk -F'\t' -v k="$kind" '$1 == "diff" && $3 == k' "$diffs" | compat_list "$kind"
	done
	{
		echo "compat: seconds per Python module and for stress-ng, natively and in the sandbox:"
		awk '$1 == "@@COMPAT" && $2 == "exit" { if (!($3 in t)) order[++n] = $3; t[$3] = t[$3] " " $5 }
			$1 == "@@COMPAT" && $3 ~ /^stress-ng\./ { s[FILENAME] += $4 }
			END { for (i = 1; i <= n; i++) print " ", order[i] t[order[i]]
				print "  stress-ng", int(s[ARGV[1]]), int(s[ARGV[2]]) }' \
			"$compat_logs/native.log" "$compat_logs/sandbox.log"
		echo "compat: the slowest natively:"
		sort -t$'\t' -k3,3 -rn "$compat_logs/native.tsv" | head -8 | awk -F'\t' '{ printf "  %6.2fs %s\n", $3, $1 }'
	} | note
}

# compat_list KIND: the "diff" lines of one kind as comments, under a heading; all the
# failures, at most 80 lines of the others.
compat_list() {
	local head diff max=80
	case $1 in
	sandbox-only) head="fail only in the sandbox (FAILURES)" max=0 ;;
	flaky) head="failed only in the sandbox, then passed when run again alone (flaky)" max=0 ;;
	refused) head="fail only in the sandbox, deliberate refusals (compat-refusals.txt)" max=0 ;;
	native-only) head="fail only natively" ;;
	skip-only) head="pass natively, skipped in the sandbox" ;;
	both) head="fail natively and in the sandbox" ;;
	missing) head="ran natively, not in the sandbox" ;;
	esac
	diff=$(cat)
	[ -n "$diff" ] || return 0
	{
		echo "compat: $head: $(grep -c . <<<"$diff")"
		awk -F'\t' -v max="$max" -v logs="$compat_logs" '
			max && NR > max { more++; next }
			{ w = $7; if (length(w) > 220) w = substr(w, 1, 220) "..."
			  printf "  %s [%s -> %s]%s\n", $4, $5, $6, w == "" ? "" : ": " w }
			END { if (more) printf "  ... and %d more (%s/compare.tsv)\n", more, logs }' <<<"$diff"
	} | note
}
