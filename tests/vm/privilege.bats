#!/usr/bin/env bats
# The privilege boundary with the kernel layer (docs/security.md): ordinary users in group
# rvisor (alice, with subordinate ids; bob, without) run sandboxes in user namespaces mapped
# to their own ids, gated by rvisor.ko, and cannot reach the host's files, each other's
# sandboxes, or more than their own ids.
bats_require_minimum_version 1.5.0

load lib

setup_file() {
	load_module
	kernel_log_mark
	export IMAGE=/tmp/alice-image SOCK=/run/rvisor/io.rvisor.Manager
	[ -d "$IMAGE" ] || BUSYBOX=/bin/busybox make-busybox-image "$IMAGE"
	chown -R 1000:1000 "$IMAGE" # alice's, the way rootless images are stored
	mkdir -p /etc/rvisor/policies
	sed 's/^memory *=.*/memory = 32M/' /etc/rvisor/policies/default.conf >/etc/rvisor/policies/small.conf
	sed 's/^storage *=.*/storage = 2M/' /etc/rvisor/policies/default.conf >/etc/rvisor/policies/tiny.conf
	printf 'secret-hash\n' >/etc/shadow
	chmod 0600 /etc/shadow
	printf '[rvisord]\nmax_sandboxes_per_user = 2\n' >/tmp/privilege-rvisord.conf
	start_rvisord privilege --config /tmp/privilege-rvisord.conf
}

teardown_file() {
	stop_rvisord privilege
	unload_module
}

# as USER COMMAND...
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"
}

# workload_of NAME: host pid of the workload of sandbox NAME (root's view).
workload_of() {
	local init
	init=$(rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .pid")
	[ -n "$init" ] && [ "$init" != 0 ] || return 1
	cut -d' ' -f1 "/proc/$init/task/$init/children"
}

start_bg() { # start_bg USER NAME ARGS...: until the sandbox printed "ready"
	local u=$1 name=$2
	shift 2
	as "$u" rvisorctl run --name "$name" "$@" >"/tmp/$name.out" 2>&1 3>&- &
	for _ in $(seq 200); do grep -q ready "/tmp/$name.out" 2>/dev/null && break; sleep 0.05; done
	grep -q ready "/tmp/$name.out" || { cat "/tmp/$name.out"; return 1; }
}

kill_named() {
	rvisorctl kill "$(rvisorctl ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .id")" KILL
}

assert_nothing_left() {
	for _ in $(seq 100); do daemon_state_empty && break; sleep 0.05; done
	daemon_state_empty
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -name 'sandbox-*' -type d)" ]
	[ "$(cat /sys/module/rvisor/refcnt)" = 1 ]
}

@test "alice's sandbox: the kernel layer gates it, its root is alice on the host" {
	start_bg alice gated --image "$IMAGE" -- sh -c \
		'id -u; uname -n; cat /proc/self/uid_map; mount -t tmpfs x /mnt 2>&1; touch /tmp/f; echo ready; exec sleep 60'
	w=$(workload_of gated)
	[ "$(stat -c %u "/proc/$w")" = 1000 ]
	[ "$(stat -c %u "/proc/$w/root/tmp/f")" = 1000 ]
	out=$(cat /tmp/gated.out)
	[[ "$out" == 0$'\n'sandbox$'\n'* ]] # root inside; uname still emulated from the sandbox's view
	[[ "$out" =~ 0\ +1000\ +1 ]]
	[[ "$out" == *"ermission denied"* ]] # mount: refused, capabilities or not
	id=$(as alice rvisorctl ps --json | jq -r '.sandboxes[0].id')
	run as alice rvisorctl stats "$id" --json
	[ "$(jq -r .sandbox.platform <<<"$output")" = kernel ]
	# the gate counts alice's calls (her mount the seccomp filter refused first: layers.bats)
	[ "$(jq -r '.syscalls[] | select(.name == "execve") | .passed' <<<"$output")" -ge 1 ]
	kill_named gated
	wait
	assert_nothing_left
}

@test "docker's capabilities over the sandbox's own namespaces: chown, a server on port 80" {
	run as alice rvisorctl run --image "$IMAGE" -- sh -c '
		touch /tmp/x && chown 33:33 /tmp/x && echo chown-ok
		mkdir /tmp/www && echo served-from-80 > /tmp/www/index.html
		httpd -p 80 -h /tmp/www && sleep 0.5 && wget -qO- http://127.0.0.1/'
	[[ "$output" == *chown-ok* ]]
	[[ "$output" == *served-from-80* ]]
}

@test "root's sandbox holds no capability without a user namespace; with --userns it holds docker's set" {
	# what stock nginx does at start: chown its temp dirs to www-data, open a log www-data
	# owns with mode 0640 (a capability-less root can do neither: a deliberate refusal,
	# docs/policy.md)
	# The image is stored shifted to root's subordinate range (/etc/subuid: root:300000), as
	# rootless images are: its root is 300000, www-data 300033.
	img=/tmp/root-image
	[ -d "$img" ] || BUSYBOX=/bin/busybox make-busybox-image "$img"
	mkdir -p "$img/var/log/nginx" "$img/var/lib"
	echo old >"$img/var/log/nginx/error.log"
	chown -R 300000:300000 "$img"
	chown -R 300033:300033 "$img/var/log/nginx"
	chmod 0640 "$img/var/log/nginx/error.log"
	script='mkdir -p /var/lib/nginx/body && chown 33 /var/lib/nginx/body && echo chown-ok
		echo new >>/var/log/nginx/error.log && echo log-ok; id -u'
	run rvisorctl run --image "$img" -- sh -c "$script"
	echo "$output"
	[[ "$output" != *chown-ok* && "$output" != *log-ok* ]]
	run rvisorctl run --userns --image "$img" -- sh -c "$script"
	echo "$output"
	[[ "$output" == *chown-ok* ]]
	[[ "$output" == *log-ok* ]]
	[ "${lines[-1]}" = 0 ]
	[ "$(cat "$img/var/log/nginx/error.log")" = old ] # the image is never written
}

@test "capabilities or not, the policy still refuses new namespaces and mounts to the sandbox's root" {
	run as alice rvisorctl run --image "$IMAGE" -- sh -c '
		unshare -U true 2>&1 && echo userns-made
		unshare -n true 2>&1 && echo netns-made
		mount -t proc p /proc 2>&1 && echo mounted
		chroot / true 2>&1 && echo chrooted; true'
	[[ "$output" != *made* && "$output" != *mounted* && "$output" != *chrooted* ]]
}

@test "bob (no subordinate ids) cannot run as another uid; alice can, inside her range only" {
	run as bob rvisorctl run --user 1000 --image "$IMAGE" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"not mapped"* ]]
	run as alice rvisorctl run --user 33:33 --image "$IMAGE" -- id -u
	[ "$output" = 33 ]
	run as alice rvisorctl run --user 70000 --image "$IMAGE" -- true
	[ "$status" -eq 125 ]
}

@test "stdin a directory is refused; --image / cannot read the host's /etc/shadow" {
	run as alice rvisorctl run -i --image "$IMAGE" -- ls /proc/self/fd/0/ </
	[ "$status" -eq 125 ]
	[[ "$output" == *directory* ]]
	run as alice rvisorctl run --image / -- cat /etc/shadow
	[ "$status" -ne 0 ]
	[[ "$output" == *"ermission denied"* ]]
	[[ "$output" != *secret-hash* ]]
	assert_nothing_left
}

@test "bob sees nothing of alice's sandbox and cannot kill it" {
	start_bg alice private --image "$IMAGE" -- sh -c 'echo ready; exec sleep 60'
	id=$(rvisorctl ps --json | jq -r '.sandboxes[] | select(.name == "private") | .id')
	run as bob rvisorctl ps --json
	[ "$(jq '.sandboxes | length' <<<"$output")" = 0 ]
	run as bob rvisorctl kill "$id" KILL
	[ "$status" -ne 0 ]
	pid_alive "$(workload_of private)"
	run as alice rvisorctl run --image "$IMAGE" -- true # her second of two
	[ "$status" -eq 0 ]
	kill_named private
	wait
	assert_nothing_left
}

@test "the writable layer fills up inside (ENOSPC), /run on the host does not" {
	before=$(df -k /run | awk 'NR == 2 { print $3 }')
	run as alice rvisorctl run --policy tiny --image "$IMAGE" -- \
		sh -c 'dd if=/dev/zero of=/tmp/fill bs=64k count=100 2>&1 | grep -o "No space left on device"'
	[[ "$output" == *"No space left on device"* ]]
	after=$(df -k /run | awk 'NR == 2 { print $3 }')
	[ "$((after - before))" -lt 512 ]
	assert_nothing_left
}

@test "the memory limit holds for a member's sandbox (its tmpfs included)" {
	run as alice rvisorctl run --policy small --image "$IMAGE" -- \
		sh -c 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'
	[ "$status" -ne 0 ]
	[[ "$output" != *survived* ]]
	[[ "$output" == *"memory limit"* ]]
	assert_nothing_left
}

@test "carol, outside group rvisor, is refused" {
	run as carol rvisorctl run --image / -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *rvisor* ]]
}

@test "the daemon logged the owners; the kernel log stayed clean (privilege.bats)" {
	grep -q "started for uid 1000" /tmp/privilege-rvisord.log
	kernel_log_clean
}
