#!/bin/bash
# The benchmarks, run inside the rvisor VM (tests/vm/init, rvisorvm=bench) as root: loads
# rvisor.ko if needed and prints three Markdown tables.
#  1. syscalls: rvisor against native, one row per comparison, each measured by
#     `syscall-bench compare` (baseline and rvisor interleaved repetition by repetition).
#  2. layers: the default policy's two layers, rvisor.ko's gate and the seccomp filter, each
#     alone and both, and the filter with the kernel's cache defeated, against native
#     (`syscall-bench compare layers`, the five interleaved).
#  3. startup: `true` in a sandbox, end to end, natively and with rvisor (rvisorctl run
#     through an rvisord started here), bwrap, crun and firejail, measured by
#     `syscall-bench exec` (the commands interleaved round by round).
# A missed target is reported, never a failure, and so is a peer runtime that cannot run here
# (an "n/a" row saying why); an error (module, device, sandbox, rvisord, a benchmark that did
# not run behind the gate) exits 1.
# Environment: RVISOR_BENCH_REPS (repetitions per figure, default 15), RVISOR_BENCH_SCALE
# (multiplies every iteration count of the syscall table, default 1), RVISOR_KO (default
# /rvisor/rvisor.ko). Needs no rvisord running: the syscall table opens /dev/rvisor itself,
# then the startup table starts its own rvisord.
set -euo pipefail
export LC_ALL=C

reps=${RVISOR_BENCH_REPS:-15}
scale=${RVISOR_BENCH_SCALE:-1}
ko=${RVISOR_KO:-/rvisor/rvisor.ko}

fail() {
	echo "rvisor-bench: $*" >&2
	exit 1
}

[[ $reps =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_REPS must be a positive integer, not '$reps'"
[[ $scale =~ ^[1-9][0-9]*$ ]] || fail "RVISOR_BENCH_SCALE must be a positive integer, not '$scale'"
command -v syscall-bench >/dev/null || fail "syscall-bench is not in PATH ($PATH)"

loaded_here=0
if [ ! -d /sys/module/rvisor ]; then
	insmod "$ko" || fail "insmod $ko failed"
	loaded_here=1
fi
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -c /dev/rvisor ] && break
	sleep 0.1
done
[ -c /dev/rvisor ] || fail "/dev/rvisor did not appear after loading the module"

accel=TCG
dmesg | grep -q 'Hypervisor detected: KVM' && accel=KVM
echo "rvisor syscall benchmark: kernel $(uname -r), $accel, $(nproc) CPUs;" \
	"each figure is the median of $reps repetitions, baseline and rvisor interleaved"
echo
echo "| benchmark | native ns | rvisor ns | ratio | target | |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"

rows=0 met=0 missed=0
# row LABEL TARGET COMPARISON BENCH ITERATIONS [SYSCALL-BENCH OPTION...]
row() {
	local label=$1 target=$2 kind=$3 bench=$4 n=$(($5 * scale))
	local opts=("${@:6}") out name native rvisor verdict

	out=$(syscall-bench -r "$reps" "${opts[@]}" compare "$kind" "$bench" "$n") ||
		fail "$label: syscall-bench -r $reps ${opts[*]} compare $kind $bench $n failed"
	read -r name native rvisor <<<"$out"
	if [ "$name" != "$bench" ] ||
		! [[ $native =~ ^[0-9]+\.[0-9]$ && $rvisor =~ ^[0-9]+\.[0-9]$ ]]; then
		fail "$label: unexpected output from syscall-bench: '$out'"
	fi
	verdict=$(awk -v a="$native" -v b="$rvisor" -v t="$target" 'BEGIN {
		if (a <= 0) { print "error"; exit }
		r = b / a
		printf "%.2fx %s\n", r, (r <= t + 0 ? "met" : "missed")
	}')
	[ "$verdict" != error ] || fail "$label: native figure is $native ns"
	printf '| %s | %s | %s | %s | <= %sx | %s |\n' "$label" "$native" "$rvisor" \
		"${verdict% *}" "$target" "${verdict#* }"
	rows=$((rows + 1))
	case $verdict in
	*" met") met=$((met + 1)) ;;
	*) missed=$((missed + 1)) ;;
	esac
}

# Iteration counts keep one repetition around 20-100 ms under TCG.
row "getppid, PASS" 1.15 pass getppid 20000
row "open+close /dev/null, PASS" 1.15 pass openclose 3000
row "stat /rvisor, PASS" 1.15 pass stat 5000
row "uname, PASS" 1.15 pass uname 20000
row "uname, EMULATE" 3 emulate uname 20000
# sysinfo is O(1): its cost must not grow with the sandbox's threads (nor the host's)
row "sysinfo, EMULATE" 3 emulate sysinfo 20000
row "sysinfo, EMULATE, 64 threads in the sandbox" 3 emulate sysinfo 20000 --threads 64
# Host tasks take the slow syscall path while sandboxes exist, so that syscall tracers keep
# seeing them (docs/kernel.md); spare_host_tasks=1 spares them, and blinds those tracers.
row "getppid from the host, a sandbox exists (host tax)" 1.50 host-tax getppid 20000
spare=/sys/module/rvisor/parameters/spare_host_tasks
echo 1 >"$spare" || fail "cannot set $spare"
row "getppid from the host, a sandbox exists, spare_host_tasks=1" 1.10 host-tax getppid 20000
echo 0 >"$spare" || fail "cannot reset $spare"

echo
echo "rvisor-bench: $rows rows, $met met, $missed missed"

# ---- the two layers: native, the gate, the seccomp filter, both -------------------------------
policy=/etc/rvisor/policies/default.conf
[ -r "$policy" ] || fail "$policy is missing"
echo
echo "rvisor layers benchmark: default.conf's table in rvisor.ko's gate and as the seccomp" \
	"filter, each alone and both, and the filter with the kernel's cache defeated; each figure" \
	"is the median of $reps repetitions, the five setups interleaved"
echo
echo "| benchmark | native ns | gate ns | filter ns | both ns | filter, uncached ns | gate | filter | both | filter, uncached | both / gate | target | |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"

lrows=0 lmet=0 lmissed=0
# layer_row LABEL TARGET BENCH ITERATIONS: TARGET bounds both / gate ("-": none, reported only)
layer_row() {
	local label=$1 target=$2 bench=$3 n=$(($4 * scale))
	local out name native gate filter both nocache cells

	out=$(syscall-bench -r "$reps" --policy "$policy" compare layers "$bench" "$n") ||
		fail "$label: syscall-bench -r $reps --policy $policy compare layers $bench $n failed"
	read -r name native gate filter both nocache <<<"$out"
	if [ "$name" != "$bench" ] || ! [[ $native =~ ^[0-9]+\.[0-9]$ && $gate =~ ^[0-9]+\.[0-9]$ &&
		$filter =~ ^[0-9]+\.[0-9]$ && $both =~ ^[0-9]+\.[0-9]$ && $nocache =~ ^[0-9]+\.[0-9]$ ]]; then
		fail "$label: unexpected output from syscall-bench: '$out'"
	fi
	cells=$(awk -v n="$native" -v g="$gate" -v f="$filter" -v b="$both" -v u="$nocache" -v t="$target" 'BEGIN {
		if (n <= 0 || g <= 0) { print "error"; exit }
		v = t == "-" ? "" : (b / g <= t + 0 ? "met" : "missed")
		printf "%.2fx | %.2fx | %.2fx | %.2fx | %.2fx | %s | %s\n", g / n, f / n, b / n, u / n, b / g,
			(t == "-" ? "-" : "<= " t "x"), v
	}')
	[ "$cells" != error ] || fail "$label: native figure is $native ns"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$native" "$gate" "$filter" "$both" "$nocache" "$cells"
	lrows=$((lrows + 1))
	case $cells in
	*" met") lmet=$((lmet + 1)) ;;
	*" missed") lmissed=$((lmissed + 1)) ;;
	esac
}

# PASS syscalls without an argument rule: the kernel caches the filter's ALLOW, so the filter
# should add next to nothing to the gate. ioctl has an argument rule: the filter runs each time.
layer_row "getppid, PASS" 1.10 getppid 20000
layer_row "open+close /dev/null, PASS" 1.10 openclose 3000
layer_row "stat /rvisor, PASS" 1.10 stat 5000
layer_row "ioctl FIONREAD, PASS with an argument rule (not cached)" - ioctl 20000

echo
echo "rvisor-bench layers: $lrows rows, $lmet met, $lmissed missed"

# ---- startup: `true` in a sandbox, end to end -------------------------------------------------
work=/tmp/rvisor-bench-startup
image=$work/image
fj_image=$work/image-firejail
bundle=$work/crun-bundle
daemon_log=$work/rvisord.log
errors=$work/exec.err
socket=/run/rvisor/io.rvisor.Manager
daemon_pid=

stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$daemon_pid" 2>/dev/null; then
		kill -KILL "$daemon_pid" 2>/dev/null
		daemon_pid=
		return 1
	fi
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	return 0
}
trap stop_daemon EXIT

# The daemon's last log lines, on one line, for an error message.
daemon_tail() {
	tail -n 3 "$daemon_log" | tr '\n' ' '
}

rm -rf "$work"
mkdir -p "$work"
BUSYBOX=/bin/busybox make-busybox-image "$image" >/dev/null || fail "make-busybox-image $image failed"
# Mount points: bwrap binds the image read-only as / and cannot create them there; crun
# mounts over them too. rvisor does not need them (its root is an overlay).
mkdir -p "$image/proc" "$image/dev" "$image/sys"
# firejail --chroot wants /var and /var/tmp and writes /run/firejail into its root, so it gets
# a copy of the image of its own.
cp -a "$image" "$fj_image"
mkdir -p "$fj_image/var/tmp"

# rvisord as tests/vm/daemon.bats starts it: the packaged configuration and default policy.
if [ -e "$socket" ]; then fail "$socket exists: another rvisord is running; stop it first"; fi
rvisord >"$daemon_log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.05; done
[ -S "$socket" ] || fail "rvisord did not listen on $socket: $(daemon_tail)"
status_json=$(rvisorctl status --json) || fail "rvisorctl status failed: $status_json"
[ "$(jq -r .platform <<<"$status_json")" = kernel ] ||
	fail "rvisord does not use the kernel layer: $status_json"

names=(native rvisor bwrap crun firejail)
declare -A cmd what reason median

# crun: the OCI bundle `crun spec` makes (namespaces, cgroup, masked paths, capabilities),
# rooted at the image, running /bin/true without a terminal.
crun_id="rvisor-bench"
if command -v crun >/dev/null; then
	mkdir -p "$bundle"
	if ! out=$(cd "$bundle" && crun spec 2>&1); then
		reason[crun]="crun spec failed: $(grep . <<<"$out" | tail -n 1 | tr '|' '/' | cut -c 1-160)"
	elif ! jq --arg root "$image" '.root.path = $root | .process.args = ["/bin/true"] |
		.process.terminal = false' "$bundle/config.json" >"$bundle/config.json.new"; then
		reason[crun]="jq could not edit the config.json of crun spec"
	else
		mv "$bundle/config.json.new" "$bundle/config.json"
	fi
fi
cmd[native]="/bin/true"
cmd[rvisor]="rvisorctl run --image $image -- /bin/true"
cmd[bwrap]="bwrap --ro-bind $image / --proc /proc --dev /dev --unshare-all --die-with-parent /bin/true"
cmd[crun]="crun run --bundle $bundle $crun_id"
cmd[firejail]="firejail --noprofile --quiet --chroot=$fj_image /bin/true"
what[native]="none: the reference"
what[rvisor]="client -> rvisord (varlink); namespaces, overlay root, /dev, masked /proc, cgroup limits, dropped privileges, kernel gate and seccomp filter (default policy)"
what[bwrap]="all namespaces, the image bound read-only as /, new /proc and /dev; no overlay, cgroup or syscall filter"
what[crun]="OCI bundle from crun spec: 5 namespaces, cgroup (device filter), masked paths, 3 capabilities, read-only root; no seccomp"
what[firejail]="--noprofile --chroot: pid, ipc and mount namespaces, chroot, masked /proc and /sys; no network namespace, filter or cgroup"

# One untimed run of each, which also warms the caches: a peer that fails here is reported as
# n/a with its last line of output; rvisor failing is an error. The command lines hold no
# quoted words, so word splitting is their parsing.
for name in "${names[@]}"; do
	[ -z "${reason[$name]:-}" ] || continue
	read -r -a argv <<<"${cmd[$name]}"
	if ! command -v "${argv[0]}" >/dev/null; then
		[ "$name" != rvisor ] || fail "rvisorctl is not in PATH"
		reason[$name]="${argv[0]} is not in the initramfs (make deps installs it)"
		continue
	fi
	rc=0
	out=$(timeout 60 "${argv[@]}" </dev/null 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		last=$(grep . <<<"$out" | tail -n 1 | tr '|' '/' | cut -c 1-160)
		why="exit status $rc${last:+: $last}"
		[ "$rc" -ne 143 ] || why="timed out after 60 s"
		[ "$name" != rvisor ] || fail "rvisor: '${cmd[$name]}' failed: $why; rvisord: $(daemon_tail)"
		reason[$name]=$why
	fi
done

# The timed runs: every runnable command once per round, interleaved.
args=()
for name in "${names[@]}"; do
	[ -z "${reason[$name]:-}" ] || continue
	read -r -a argv <<<"${cmd[$name]}"
	[ ${#args[@]} -eq 0 ] || args+=(::)
	args+=("$name" "${argv[@]}")
done
started_before=$(grep -c 'started for uid [0-9]*: .*platform kernel, layers kernel+seccomp' "$daemon_log" || true)
out=$(syscall-bench -r "$reps" exec "${args[@]}" 2>"$errors") ||
	fail "syscall-bench -r $reps exec failed: $(tail -n 3 "$errors")"
while read -r name a b; do
	[ -n "${cmd[$name]:-}" ] || fail "unexpected output from syscall-bench exec: '$name $a $b'"
	if [ "$a" = failed ]; then
		why="failed on timed run ${b%% *} of $reps: ${b#* }"
		[ "$name" != rvisor ] || fail "rvisor: '${cmd[$name]}' $why; rvisord: $(daemon_tail)"
		last=$(grep . "$errors" | tail -n 1 | tr '|' '/' | cut -c 1-160)
		reason[$name]="$why${last:+ (last error output: $last)}"
	elif [[ $a =~ ^[0-9]+$ ]] && [ "$a" -gt 0 ]; then
		median[$name]=$a
	else
		fail "unexpected output from syscall-bench exec: '$name $a $b'"
	fi
done <<<"$out"
[ -n "${median[rvisor]:-}" ] || fail "syscall-bench exec reported no figure for rvisor: '$out'"
# Every rvisor run went behind both layers: rvisord logged each sandbox with the gate and the
# filter, and none without the gate.
started_after=$(grep -c 'started for uid [0-9]*: .*platform kernel, layers kernel+seccomp' "$daemon_log" || true)
[ $((started_after - started_before)) -ge "$reps" ] ||
	fail "rvisord logged $((started_after - started_before)) sandboxes on the kernel layer during $reps rvisor runs"
! grep -q 'started for uid [0-9]*: .*platform seccomp' "$daemon_log" ||
	fail "rvisord started sandboxes without the kernel layer: $(grep 'platform seccomp' "$daemon_log" | head -n 1)"

echo
echo "rvisor startup benchmark: /bin/true in a busybox image, end to end (fork to reaped exit);" \
	"each figure is the median of $reps runs, the runtimes interleaved round by round"
echo
echo "| runtime | median ms | rvisor / runtime | isolation set up |"
echo "| --- | ---: | ---: | --- |"
measured=0 na=0
for name in "${names[@]}"; do
	if [ -n "${median[$name]:-}" ]; then
		printf '| %s | %s | %s | %s |\n' "$name" \
			"$(awk -v us="${median[$name]}" 'BEGIN { printf "%.2f", us / 1000 }')" \
			"$(awk -v a="${median[rvisor]}" -v b="${median[$name]}" 'BEGIN { printf "%.2fx", a / b }')" \
			"${what[$name]}"
		measured=$((measured + 1))
	else
		printf '| %s | n/a: %s | | %s |\n' "$name" "${reason[$name]}" "${what[$name]}"
		na=$((na + 1))
	fi
done
echo
echo "Command lines (IMAGE = $image, made by make-busybox-image, IMAGE-COPY a copy of it;" \
	"crun's bundle from \`crun spec\`, rooted at IMAGE):"
echo
for name in "${names[@]}"; do
	c=${cmd[$name]//$fj_image/IMAGE-COPY}
	# shellcheck disable=SC2016 # the backquotes are Markdown
	printf -- '- %s: `%s`\n' "$name" "${c//$image/IMAGE}"
done
echo
echo "rvisor-bench startup: ${#names[@]} rows, $measured measured, $na n/a"

stop_daemon || fail "rvisord did not stop on SIGTERM"
rm -rf "$work"
if [ "$loaded_here" = 1 ]; then
	rmmod rvisor || fail "rmmod rvisor failed after the benchmark"
fi
