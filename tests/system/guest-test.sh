#!/bin/bash
# Runs once at boot inside the system tests/system/run.sh builds (as root, from
# rvisor-system-test.service after multi-user.target): the user's path with the installed
# packages, then docker, podman (root and rootless) and containerd's ctr with rvisor-runc as
# their OCI runtime, then the compatibility suite (compat.sh). TAP goes to /dev/ttyS1 (and to the console, for people); then the
# kernel log between RVISOR-SYSTEM-DMESG-BEGIN/END markers and "RVISOR-SYSTEM-DONE". The
# unit powers the machine off when this exits.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
results=/dev/ttyS1
stty -F "$results" raw -echo 2>/dev/null
exec 3>"$results"
sock=/run/rvisor/io.rvisor.Manager
image=/srv/busybox
# Debian's nginx, stock configuration, owned by alice's ids and subordinate ids (run.sh)
nginx_image=/home/alice/nginx

n=0 failed=0
say() { echo "$*" >&3; echo "$*"; }
tap() { # tap OK|NOT DESCRIPTION
	n=$((n + 1))
	if [ "$1" = OK ]; then say "ok $n - $2"; else say "not ok $n - $2"; failed=$((failed + 1)); fi
}
note() { sed 's/^/# /' | while IFS= read -r l; do say "$l"; done; }
check() { # check DESCRIPTION COMMAND…
	local d=$1
	shift
	if "$@"; then tap OK "$d"; else tap NOT "$d"; fi
}
# as USER COMMAND…: runs a user step, keeping stdout, stderr and the status in out/err/rc.
as() {
	local u=$1
	shift
	out=$(timeout 60 runuser -u "$u" -- "$@" 2>/tmp/err) rc=$? err=$(cat /tmp/err)
	{
		echo "$u\$ $*  (exit $rc)"
		[ -z "$out" ] || echo "$out"
		[ -z "$err" ] || echo "$err" | sed 's/^/stderr: /'
	} | note
}
wait_for() { # wait_for SECONDS COMMAND…: polls every 0.5 s
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}
active() { [ "$(systemctl is-active "$1")" = "$2" ]; }

# The OCI benchmark (tests/system/run.sh --bench) instead of the tests: the images loaded,
# bench/oci-vm.sh's tables as comments, one line for whether it ran.
finish_guest() {
	say "1..$n"
	{
		echo "RVISOR-SYSTEM-DMESG-BEGIN"
		dmesg
		echo "RVISOR-SYSTEM-DMESG-END"
		echo "RVISOR-SYSTEM-DONE failed=$failed"
	} >&3
	sync
	exit 0
}
if [ "$(cat /etc/rvisor-system-mode 2>/dev/null)" = bench ]; then
	podman load -q -i /srv/engine-image.tar 2>&1 | note
	podman import -q -c 'CMD ["nginx", "-g", "daemon off;"]' /srv/nginx-image.tar localhost/rvisor-nginx:latest 2>&1 | note
	rvisor-bench-oci localhost/rvisor-test:latest localhost/rvisor-nginx:latest >/tmp/bench.out 2>&1
	rc=$?
	note </tmp/bench.out
	check "bench/oci-vm.sh ran (exit $rc)" [ "$rc" -eq 0 ]
	finish_guest
fi

echo "rvisor system test on $(uname -r), up $(cut -d' ' -f1 /proc/uptime)s" | note
systemctl is-system-running 2>&1 | sed 's/^/system state: /' | note
# What the boot spent its time on (systemd-analyze cannot say: this unit is part of the boot,
# which has not finished): multi-user.target's time, and the slowest services to start.
{
	echo "multi-user.target reached at $(($(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target) / 1000))ms; slowest units:"
	systemctl show '*.service' '*.socket' '*.mount' -p Id -p InactiveExitTimestampMonotonic \
		-p ActiveEnterTimestampMonotonic 2>/dev/null | awk -F= '
		$1 == "Id" { id = $2 } $1 == "InactiveExitTimestampMonotonic" { a = $2 }
		$1 == "ActiveEnterTimestampMonotonic" { if (a > 0 && $2 > a) printf "%6dms %s\n", ($2 - a) / 1000, id }' |
		sort -rn | head -8
} | note

# The package enabled the socket; the daemon itself only starts on the first call.
check "rvisord.socket is enabled and listening after boot" \
	eval 'systemctl is-enabled rvisord.socket >/dev/null && active rvisord.socket active'
check "systemctl start rvisord.socket" systemctl start rvisord.socket
perm=$(stat -c '%a %U %G %F' "$sock" 2>&1)
check "the socket $sock is 0660 root:rvisor (is: $perm)" [ "$perm" = "660 root rvisor socket" ]
check "rvisord.service is not running before the first call (socket activation)" \
	eval '! active rvisord.service active'
id alice | note
check "alice is in group rvisor, bob is not" \
	eval 'id -nG alice | grep -qw rvisor && ! id -nG bob | grep -qw rvisor'

# As alice: status (this first call starts the daemon, which loads the module).
as alice rvisorctl status
check "alice: rvisorctl status succeeds" [ "$rc" -eq 0 ]
as alice rvisorctl status --json
loaded=$(jq -r '.module.loaded' <<<"$out" 2>/dev/null) platform=$(jq -r '.platform' <<<"$out" 2>/dev/null)
check "alice: rvisorctl status --json: .module.loaded = true (is: $loaded)" [ "$loaded" = true ]
check "alice: rvisorctl status --json: .platform = kernel (is: $platform)" [ "$platform" = kernel ]
# It may have exited again already (idle_timeout = 5, and the calls are slow under TCG): ask
# whether it ever became active, not whether it still is.
started_at=$(systemctl show -P ActiveEnterTimestampMonotonic rvisord.service 2>/dev/null)
check "rvisord.service was started by the socket (active since ${started_at:-?} us)" \
	eval '[ "${started_at:-0}" -gt 0 ]'
lsmod | grep -E '^rvisor ' | note
check "rvisor.ko is loaded, from DKMS (updates/dkms)" \
	eval 'grep -q "^rvisor " /proc/modules && modinfo -n rvisor | grep -q /updates/dkms/'
dev=$(stat -c '%a %U %G %F' /dev/rvisor 2>&1)
check "/dev/rvisor is 0600 root:root (is: $dev)" [ "$dev" = "600 root root character special file" ]

as alice rvisorctl run --image "$image" -- echo ok
check "alice: rvisorctl run --image $image -- echo ok prints ok, exit 0" \
	eval '[ "$rc" -eq 0 ] && [ "$out" = ok ]'
as alice rvisorctl run --image "$image" -- sh -c 'exit 3'
check "alice: a sandbox's exit status is rvisorctl's (3)" [ "$rc" -eq 3 ]

journal_has_sandbox() { journalctl -u rvisord -o json --no-pager 2>/dev/null | grep -q '"SANDBOX_ID"'; }
check "journalctl -u rvisord holds rvisord's records with SANDBOX_ID=" wait_for 10 journal_has_sandbox
journalctl -u rvisord -o json --no-pager 2>/dev/null | grep -m2 '"SANDBOX_ID"' |
	jq -c '{MESSAGE, SANDBOX_ID, PRIORITY}' 2>/dev/null | note

# idle_timeout = 5: the daemon goes, the socket stays, the next call brings it back.
s=$SECONDS
wait_for 40 eval '! active rvisord.service active'
state=$(systemctl is-active rvisord.service)
check "rvisord exits when idle (rvisord.service $state after $((SECONDS - s))s)" [ "$state" = inactive ]
check "rvisord.socket stays active meanwhile" active rvisord.socket active
as alice rvisorctl run --image "$image" -- echo ok
check "alice: the next call starts rvisord again and prints ok" eval '[ "$rc" -eq 0 ] && [ "$out" = ok ]'

# bob is not in group rvisor.
as bob rvisorctl run --image "$image" -- echo ok
check "bob (not in group rvisor): refused with exit 125" [ "$rc" -eq 125 ]
check "bob: the error says to join group rvisor" eval '[[ "$err" == *"group rvisor"* ]] && [ -z "$out" ]'
as bob rvisorctl status

# As alice: stock nginx in a sandbox of her own, in a user namespace whose root is alice and
# whose other ids are her /etc/subuid and /etc/subgid ranges. The sandbox has its own network
# namespace (only lo), so the page is fetched from inside, with bash's /dev/tcp (the image has
# no curl). The script then lists nginx's processes from /proc and waits for EOF on stdin,
# so that the host can look at them while they run.
read -r -d '' nginx_script <<'SANDBOX'
nginx || { echo "nginx failed: $?"; cat /var/log/nginx/error.log; exit 10; }
echo "NGINX-STARTED"
exec 3<>/dev/tcp/127.0.0.1/80 || exit 11
printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
tr -d '\r' <&3
exec 3<&-
echo "PAGE-END"
for p in /proc/[0-9]*; do
	cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) && [[ "$cmd" == nginx:* ]] || continue
	uid=$(awk '$1 == "Uid:" { print $2 }' "$p/status")
	echo "PROC uid=$uid user=$(getent passwd "$uid" | cut -d: -f1) $cmd"
done
echo "PROCS-END"
cat >/dev/null
SANDBOX
a_uid=$(id -u alice)
a_sub=$(awk -F: '$1 == "alice" { print $2; exit }' /etc/subuid)
www_uid=$(awk -F: '$1 == "www-data" { print $3; exit }' "$nginx_image/etc/passwd")
echo "alice: uid $a_uid, /etc/subuid $(grep '^alice:' /etc/subuid); image's www-data: uid $www_uid" | note
ls -ln "$nginx_image" | head -4 | note
nginx_hold=/run/rvisor-system-nginx.fifo
rm -f "$nginx_hold" /tmp/nginx.out /tmp/nginx.err
mkfifo -m 0600 "$nginx_hold"
# stdin from the FIFO, opened by this shell: the sandbox runs until the FIFO is closed below.
timeout 60 runuser -u alice -- rvisorctl run -i --image "$nginx_image" -- bash -c "$nginx_script" \
	<"$nginx_hold" >/tmp/nginx.out 2>/tmp/nginx.err &
nginx_pid=$!
exec 4>"$nginx_hold"
nginx_ready() { grep -q '^PROCS-END' /tmp/nginx.out || ! kill -0 "$nginx_pid" 2>/dev/null; }
wait_for 30 nginx_ready
# The host's view while it runs: which host uid each of nginx's processes has.
host_ps=$(ps -e -o uid=,args= | awk '$2 == "nginx:"')
exec 4>&-
wait "$nginx_pid"
rc=$? out=$(cat /tmp/nginx.out) err=$(cat /tmp/nginx.err)
{
	echo "alice\$ rvisorctl run --image $nginx_image -- bash -c '<nginx, GET /, /proc>'  (exit $rc)"
	# the page without its body, but with its title
	echo "$out" | awk '/^$/ { body = 1; next } /^PAGE-END/ { body = 0 } !body || /<title>/'
	[ -z "$err" ] || echo "$err" | sed 's/^/stderr: /'
	echo "$host_ps" | sed 's/^ */host: uid /'
} | note
page_ok() {
	[[ "$out" == *"NGINX-STARTED"* ]] && grep -qE '^HTTP/1\.[01] 200 ' <<<"$out" &&
		grep -q '<title>Welcome to nginx!</title>' <<<"$out"
}
ps_has() { grep -qE "^PROC uid=$1 user=$2 nginx: $3 process" <<<"$out"; }
host_has() { grep -qE "^ *$1 nginx: $2 process" <<<"$host_ps"; }
check "alice: nginx starts in a sandbox of $nginx_image (nginx exit 0)" \
	eval '[[ "$out" == *"NGINX-STARTED"* ]]'
check "alice: GET http://127.0.0.1/ from inside the sandbox: 200 and \"Welcome to nginx!\"" page_ok
check "alice: inside, nginx's master runs as root and its worker as www-data (/proc)" \
	eval 'ps_has 0 root master && ps_has "$www_uid" www-data worker && ! ps_has 0 root worker'
check "alice: on the host, the master is alice's uid ($a_uid), the worker her subordinate uid $((a_sub + www_uid - 1)), none is root" \
	eval '[ -n "$a_sub" ] && host_has "$a_uid" master && host_has "$((a_sub + www_uid - 1))" worker && ! host_has 0 "(master|worker)"'
no_nginx_left() { ! ps -e -o args= | grep -q '^nginx:'; }
check "alice: the sandbox exits 0 once its stdin closes, and no nginx process is left on the host" \
	eval '[ "$rc" -eq 0 ] && wait_for 10 no_nginx_left'
rm -f "$nginx_hold"

# The writable layer: the sandbox's root writes where the image's root owns, and may give a
# file to another of its ids; the image itself never changes.
as alice rvisorctl run --image "$nginx_image" -- bash -c \
	'echo written >/etc/rvisor-test && cat /etc/rvisor-test && stat -c "%u:%g" /etc/rvisor-test &&
	chown www-data:www-data /etc/rvisor-test && stat -c "%U:%G" /etc/rvisor-test'
check "alice: the sandbox writes /etc/rvisor-test (owned 0:0 inside) and chowns it to www-data" \
	eval '[ "$rc" -eq 0 ] && [ "$out" = "$(printf "written\n0:0\nwww-data:www-data")" ]'
check "alice: the write stayed in the sandbox's layer ($nginx_image/etc/rvisor-test does not exist)" \
	[ ! -e "$nginx_image/etc/rvisor-test" ]

# The host's / as an image: its root-owned files are no one's in alice's user namespace, so
# the sandbox's root cannot read /etc/shadow (0640 root:shadow).
as alice rvisorctl run --image / -- cat /etc/shadow
check "alice: rvisorctl run --image / -- cat /etc/shadow fails inside (cat: Permission denied, exit 1)" \
	eval '[ "$rc" -eq 1 ] && [ -z "$out" ] && [[ "$err" == *"/etc/shadow: Permission denied"* ]]'

# --- The sandbox's view of the machine: Debian's free, nproc, Python, uptime, top --------------
# shellcheck source=tests/system/views.sh
if source /usr/local/lib/rvisor-compat/views.sh; then
	views_suite
else
	tap NOT "views: run.sh installed /usr/local/lib/rvisor-compat/views.sh"
fi

# --- Detached sandboxes across systemctl restart rvisord ------------------------------------
# shellcheck source=tests/system/detached.sh
if source /usr/local/lib/rvisor-compat/detached.sh; then
	detached_suite
else
	tap NOT "detached: run.sh installed /usr/local/lib/rvisor-compat/detached.sh"
fi

# --- Container engines: podman (root and rootless), containerd's ctr, docker ---------------
# Each engine runs the same image, localhost/rvisor-test:latest (busybox; run.sh made it as a
# docker-archive with tests/system/make-engine-image.sh, no registry), with the OCI runtime
# $runtime. Every step has its own timeout; a failing step's output is shown.
engine_image=/srv/engine-image.tar step_times=()
img=localhost/rvisor-test:latest
# The OCI runtime the engines are given: rvisor's, which wraps crun and binds each container's
# pid namespace to a kernel sandbox. Steps marked rvisor_only test what only it does; with
# plain crun here they are skipped.
runtime=/usr/bin/rvisor-runc
rvisor_runtime() { [ "$runtime" = /usr/bin/rvisor-runc ]; }
# A policy for containers whose denials rvisor.ko's gate counts (with both layers the seccomp
# filter refuses first and the gate never sees them): default.conf with layers = kernel.
gate_policy=engine-gate

# eng SECONDS USER COMMAND…: a step; stdout, stderr and status in out/err/rc, the transcript
# in step_log (shown by echeck when the step fails).
eng() {
	local t=$1 u=$2 s=$SECONDS
	shift 2
	out=$(cd / && timeout -k 5 "$t" runuser -u "$u" -- "$@" 2>/tmp/err) rc=$? err=$(cat /tmp/err)
	step_s=$((SECONDS - s))
	step_times+=("$step_s $u: ${*:1:3}")
	step_log=$(
		echo "$u\$ $*  (exit $rc, ${step_s}s)"
		[ "$rc" -ne 124 ] || echo "(timed out after ${t}s)"
		[ -z "$out" ] || echo "$out" | head -30
		[ -z "$err" ] || echo "$err" | head -30 | sed 's/^/stderr: /'
	)
}
# echeck DESCRIPTION COMMAND…: check, with the last step's transcript shown when it fails
# (and always with show=1: refusals whose wording is worth seeing).
echeck() {
	local d=$1
	shift
	if "$@"; then
		tap OK "$d"
		[ "${show:-0}" = 0 ] || grep -v 'level=warning' <<<"$step_log" | note
	else
		tap NOT "$d"
		echo "$step_log" | note
	fi
}
# skip DESCRIPTION REASON
skip() { n=$((n + 1)); say "ok $n - $1 # SKIP $2"; }
rvisor_only() { # rvisor_only DESCRIPTION COMMAND…: echeck with rvisor-runc, else a skip
	if rvisor_runtime; then echeck "$@"; else skip "$1" "the engines run $runtime, not rvisor-runc"; fi
}
# The sandbox rvisord bound to a container (full OCI id), as `rvisorctl ps --json` lists it.
sandbox_of() { rvisorctl ps --json 2>/dev/null | jq -c --arg c "$1" '.sandboxes[] | select(.container == $c)'; }
no_sandbox_of() { [ -z "$(sandbox_of "$1")" ]; }
has_hello() { [ "$rc" -eq 0 ] && [ "$out" = hello ]; }
eperm() { [ "$rc" -ne 0 ] && [[ "$err$out" == *"Operation not permitted"* ]]; }

engines_start=$SECONDS
{
	podman --version
	ctr --version
	dpkg-query -W -f '${Package} ${Version}\n' docker.io crun runc containerd 2>&1
	"$runtime" --version 2>&1 | head -1
	echo "runtime: $runtime"
} | note
check "the engines' OCI runtime $runtime is installed" [ -x "$runtime" ]
sed 's/^layers[[:space:]]*=.*/layers = kernel/' /etc/rvisor/policies/default.conf \
	>"/etc/rvisor/policies/$gate_policy.conf"
check "policy $gate_policy (default.conf with layers = kernel) is valid" \
	eval 'rvisorctl policy check /etc/rvisor/policies/$gate_policy.conf >/dev/null'

# Podman as root.
eng 300 root podman load -i "$engine_image"
echeck "podman load -i $engine_image (root, ${step_s}s)" \
	eval '[ "$rc" -eq 0 ] && podman image exists "$img"'
eng 180 root podman run --rm --runtime "$runtime" --network none "$img" echo hello
echeck "podman run --runtime $runtime $img echo hello prints hello (${step_s}s)" has_hello
eng 120 root podman run --rm --runtime "$runtime" --network none "$img" sh -c 'echo a b c | wc -w'
echeck "podman: a shell pipeline in the container (echo a b c | wc -w: 3)" \
	eval '[ "$rc" -eq 0 ] && [ "$(echo $out)" = 3 ]'
eng 120 root podman run --rm --runtime "$runtime" --network none "$img" sh -c 'exit 7'
echeck "podman: the container's exit status is podman's (7)" [ "$rc" -eq 7 ]
# The control for the denial below: podman's own seccomp profile and capabilities (which
# include SYS_CHROOT) let chroot(2) pass, so a refusal can only be rvisor's policy.
eng 120 root podman run --rm --runtime /usr/bin/crun --network none "$img" chroot / true
echeck "podman with plain crun: chroot / true succeeds (the control: podman itself allows chroot)" \
	[ "$rc" -eq 0 ]
eng 120 root podman run --rm --runtime "$runtime" --network none "$img" chroot / true
rvisor_only "podman: chroot(2), denied by default.conf, fails in the container (EPERM)" eperm

# A detached container: rvisord lists it, podman exec runs in it and is gated, rm -f ends it.
eng 120 root podman run -d --name rvt-podman --runtime "$runtime" --network none \
	--annotation "io.rvisor.policy=$gate_policy" "$img" sleep 1000
podman_id=$out
echeck "podman run -d --annotation io.rvisor.policy=$gate_policy $img sleep 1000 (${step_s}s)" \
	eval '[ "$rc" -eq 0 ] && [[ "$podman_id" =~ ^[0-9a-f]{64}$ ]]'
sb=$(sandbox_of "$podman_id") sid=$(jq -r '.id // empty' <<<"$sb" 2>/dev/null)
step_log=$(rvisorctl ps 2>&1)
rvisor_only "rvisorctl ps lists the container: name ${podman_id:0:12}, policy $gate_policy, platform kernel" \
	eval '[ -n "$sid" ] && [ "$(jq -r "[.name, .policy, .platform] | join(\" \")" <<<"$sb")" = "${podman_id:0:12} $gate_policy kernel" ]'
eng 120 root podman exec rvt-podman echo exec-ok
echeck "podman exec runs a command in the running container" eval '[ "$rc" -eq 0 ] && [ "$out" = exec-ok ]'
eng 120 root podman exec rvt-podman chroot / true
rvisor_only "podman exec: chroot(2) fails in the exec'd process too (EPERM: exec joins the gated namespace)" eperm
eng 30 root rvisorctl stats --json "${sid:-0}"
rvisor_only "rvisorctl stats: the gate counted the exec'd process's chroot as denied" \
	eval '[ "$rc" -eq 0 ] && [ "$(jq -r ".syscalls[] | select(.name == \"chroot\") | .denied" <<<"$out")" -ge 1 ]'
[ -z "$sid" ] || rvisorctl stats "$sid" 2>&1 | head -14 | note
eng 120 root podman rm -f -t 0 rvt-podman
echeck "podman rm -f -t 0 of the detached container (${step_s}s)" [ "$rc" -eq 0 ]
rvisor_only "its sandbox is gone from rvisorctl ps" wait_for 15 no_sandbox_of "$podman_id"

# containerd, with ctr: io.containerd.runc.v2's shim, told which runc with --runc-binary.
check "containerd and docker were not started at boot (run.sh disabled them)" \
	eval '! active containerd.service active && ! active docker.service active'
eng 120 root systemctl start containerd.service
echeck "systemctl start containerd (${step_s}s)" [ "$rc" -eq 0 ]
eng 300 root ctr -n default images import "$engine_image"
echeck "ctr images import $engine_image (${step_s}s)" \
	eval '[ "$rc" -eq 0 ] && ctr -n default images ls -q | grep -qxF "$img"'
ctr_run=(ctr -n default run --runtime io.containerd.runc.v2 --runc-binary "$runtime")
eng 180 root "${ctr_run[@]}" --rm "$img" rvt-ctr echo hello
echeck "ctr run --runtime io.containerd.runc.v2 --runc-binary $runtime $img echo hello prints hello (${step_s}s)" has_hello
eng 120 root "${ctr_run[@]}" -d "$img" rvt-ctr-d sleep 1000
echeck "ctr run -d $img sleep 1000" [ "$rc" -eq 0 ]
rvisor_only "rvisorctl ps lists ctr's container rvt-ctr-d" eval '[ -n "$(sandbox_of rvt-ctr-d)" ]'
eng 60 root ctr -n default task kill -s SIGKILL rvt-ctr-d
ctr_stopped() { ctr -n default task ls 2>/dev/null | awk '$1 == "rvt-ctr-d" { print $3 }' | grep -qx STOPPED; }
echeck "ctr task kill -s SIGKILL: the task stops" eval '[ "$rc" -eq 0 ] && wait_for 30 ctr_stopped'
rvisor_only "the killed task's sandbox is gone from rvisorctl ps" wait_for 15 no_sandbox_of rvt-ctr-d
eng 60 root sh -c 'ctr -n default task rm rvt-ctr-d && ctr -n default containers rm rvt-ctr-d'
left=$(
	ctr -n default tasks ls -q | sed 's/^/task: /'
	ctr -n default containers ls -q | sed 's/^/container: /'
	ls -d /run/containerd/runc/default/rvt-ctr* /sys/fs/cgroup/default/rvt-ctr* 2>/dev/null
)
step_log+=$'\n'$left
echeck "ctr task rm, containers rm: no task, container, runc state or cgroup left" \
	eval '[ "$rc" -eq 0 ] && [ -z "$left" ]'

# docker, with the runtime named in /etc/docker/daemon.json (no bridge, no iptables: every
# container here runs with --network none, and nothing needs a network).
mkdir -p /etc/docker
printf '{\n  "runtimes": { "rvisor": { "path": "%s" } },\n  "bridge": "none",\n  "iptables": false\n}\n' \
	"$runtime" >/etc/docker/daemon.json
eng 180 root systemctl start docker.service
echeck "systemctl start docker with the runtime rvisor in daemon.json (${step_s}s)" [ "$rc" -eq 0 ]
eng 300 root docker load -i "$engine_image"
echeck "docker load -i $engine_image (${step_s}s)" eval '[ "$rc" -eq 0 ] && [[ "$out" == *"$img"* ]]'
eng 180 root docker run --rm --runtime=rvisor --network none "$img" echo hello
echeck "docker run --rm --runtime=rvisor --network none $img echo hello prints hello (${step_s}s)" has_hello
eng 120 root docker run -d --runtime=rvisor --network none --name rvt-docker "$img" sleep 1000
docker_id=$out
echeck "docker run -d --runtime=rvisor $img sleep 1000" eval '[ "$rc" -eq 0 ] && [[ "$docker_id" =~ ^[0-9a-f]{64}$ ]]'
rvisor_only "rvisorctl ps lists docker's container" eval '[ -n "$(sandbox_of "$docker_id")" ]'
eng 120 root docker rm -f rvt-docker
echeck "docker rm -f of the detached container: docker ps -a is empty (${step_s}s)" \
	eval '[ "$rc" -eq 0 ] && [ -z "$(docker ps -aq)" ]'
rvisor_only "its sandbox is gone from rvisorctl ps" wait_for 15 no_sandbox_of "$docker_id"

# Rootless podman: alice (group rvisor) and bob (not), each with their own storage in their
# home and /etc/subuid ranges (useradd gave them; run.sh checks alice's).
eng 300 alice podman load -i "$engine_image"
echeck "alice: podman load -i $engine_image (rootless, ${step_s}s)" [ "$rc" -eq 0 ]
eng 180 alice podman run --rm --runtime "$runtime" --network none "$img" echo hello
echeck "alice: rootless podman run --runtime $runtime --network none $img echo hello prints hello (${step_s}s)" has_hello
# bob's refusal needs no image in his storage: podman runs a copy of /srv/busybox of his own
# as the root filesystem (it writes /etc/mtab into it).
if rvisor_runtime; then
	runuser -u bob -- cp -a /srv/busybox /home/bob/rootfs
	eng 180 bob podman run --rm --runtime "$runtime" --network none --rootfs /home/bob/rootfs echo hello
fi
show=1 rvisor_only "bob (not in group rvisor): rootless podman with rvisor-runc is refused, naming group rvisor" \
	eval '[ "$rc" -ne 0 ] && [ -z "$out" ] && [[ "$err" == *"group rvisor"* ]]'
# alice must not bind a container that is not hers to a sandbox: rvisor-runc's createRuntime
# hook, run by hand as alice with an OCI state naming the init of root's container (plain
# crun, so unbound), reaches BindContainer with a pidfd of it; rvisord must refuse (the pid
# namespace belongs to no user namespace of hers).
if rvisor_runtime; then
	eng 120 root podman run -d --name rvt-root-crun --runtime /usr/bin/crun --network none "$img" sleep 1000
	victim=$(podman inspect -f '{{.State.Pid}}' rvt-root-crun 2>/dev/null)
	mkdir -p /tmp/alice-bundle
	printf '{"ociVersion":"1.0.2","process":{"args":["sleep","1000"]}}\n' >/tmp/alice-bundle/config.json
	chmod -R a+rX /tmp/alice-bundle
	printf '{"ociVersion":"1.0.2","id":"rvt-stolen","status":"created","pid":%d,"bundle":"/tmp/alice-bundle"}' \
		"${victim:-0}" >/tmp/alice-state.json
	eng 60 alice sh -c 'rvisor-runc hook </tmp/alice-state.json'
fi
show=1 rvisor_only "alice: rvisor-runc's hook fed the pid of root's container (${victim:-?}): rvisord refuses (permission denied), binds nothing" \
	eval '[ "${victim:-0}" -gt 0 ] && [ "$rc" -ne 0 ] && [[ "$err" == *"permission denied"* ]] && [ -z "$(sandbox_of rvt-stolen)" ]'
rvisor_runtime && timeout -k 5 120 podman rm -f -t 0 rvt-root-crun >/dev/null 2>&1

# After every engine: no sandbox, no container, no runtime state, no container cgroup left.
eng 30 root rvisorctl ps --json
echeck "rvisorctl ps (root): no sandbox left" eval '[ "$rc" -eq 0 ] && [ "$(jq ".sandboxes | length" <<<"$out")" = 0 ]'
left=$(
	podman ps -aq | sed 's/^/podman (root): /'
	runuser -u alice -- podman ps -aq | sed 's/^/podman (alice): /'
	docker ps -aq | sed 's/^/docker: /'
	ctr -n default containers ls -q | sed 's/^/ctr: /'
)
step_log=$left
echeck "no container left in podman (root, alice), docker or containerd" [ -z "$left" ]
state_dirs() { # the runtimes' state: one directory per container below each root
	local d a_run
	a_run=/tmp/podman-run-$(id -u alice)
	for d in /run/crun /run/runc /run/containerd/runc/default /run/docker/runtime-runc/moby \
		"$a_run/crun"; do
		[ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 -type d
	done
	# rvisor-runc's own: a directory per crun root (kept, as crun keeps its root), in it
	# one per container.
	for d in /run/rvisor-runc "$a_run/rvisor-runc"; do
		[ -d "$d" ] && find "$d" -mindepth 2 -maxdepth 2
	done
}
left=$(state_dirs)
step_log=$left
echeck "no runtime state left (crun, runc, rvisor-runc, containerd and docker's runc roots)" [ -z "$left" ]
# (rvisord.service/daemon is rvisord's own while it runs: cgroup v2 keeps processes out of
# a cgroup whose controllers its children use.)
left=$(find /sys/fs/cgroup -mindepth 1 -type d \( -name 'libpod-*' -o -name 'docker-*.scope' \
	-o -path '/sys/fs/cgroup/default/*' -o \( -path '/sys/fs/cgroup/system.slice/rvisord.service/*' \
	! -path '/sys/fs/cgroup/system.slice/rvisord.service/daemon' \) \) 2>/dev/null)
step_log=$left
echeck "no container cgroup left (podman's, docker's, containerd's, below rvisord's but its own)" [ -z "$left" ]

{
	echo "the engine steps took $((SECONDS - engines_start))s:"
	printf '%s\n' "${step_times[@]}" | sort -rn | head -12
} | note
# --- The compatibility suite: Python's tests and stress-ng, natively and in a sandbox --------
# shellcheck source=tests/system/compat.sh
if source /usr/local/lib/rvisor-compat/compat.sh; then
	compat_suite
else
	tap NOT "compat: run.sh installed /usr/local/lib/rvisor-compat/compat.sh"
fi

check "rvisord.service has not failed" eval '! systemctl is-failed -q rvisord.service'
systemctl --failed --no-legend --plain 2>&1 | sed 's/^/failed unit: /' | note
journalctl -b -u rvisord.socket -u rvisord --no-pager -o short-monotonic 2>&1 | tail -40 | note

finish_guest
