#!/usr/bin/env bats
# Volumes and tmpfs with rvisor.ko (docs/sandbox.md, "The sandbox's own mounts"): rvisord runs
# in a mount namespace of its own, as systemd's PrivateMounts=yes runs it, so every bind's
# source is a mount of another namespace than the daemon's; read-only and writable binds, a
# file's bind and a tmpfs under the kernel layer, rvisorfs's views intact beside them; a
# forbidden destination and a link in the image to the views refused; nothing left behind.
bats_require_minimum_version 1.5.0

load lib

setup_file() {
	daemon_suite_setup /tmp/busybox-image
	mkdir -p /tmp/vol-src
	echo in-src >/tmp/vol-src/f
	echo file-content >/tmp/vol-file
	rm -rf /tmp/vol-image2
	cp -a "$IMAGE" /tmp/vol-image2
	ln -s /sys/devices/system /tmp/vol-image2/data
	# as start_rvisord, in a mount namespace of its own that host mounts propagate into
	unshare -m --propagation slave rvisord >>/tmp/volumes-rvisord.log 2>&1 &
	echo $! >/tmp/volumes-rvisord.pid
	for _ in $(seq 100); do [ -S /run/rvisor/io.rvisor.Manager ] && break; sleep 0.05; done
	[ -S /run/rvisor/io.rvisor.Manager ] || { cat /tmp/volumes-rvisord.log; return 1; }
}

teardown_file() {
	stop_rvisord volumes
	kernel_log_clean
	unload_module
}

rv() {
	rvisorctl run --image "$IMAGE" "$@"
}

@test "rvisord's mount namespace is not the caller's, and it uses the kernel layer" {
	[ "$(readlink "/proc/$(cat /tmp/volumes-rvisord.pid)/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(rvisorctl status --json | jq -r .platform)" = kernel ]
}

@test "binds from the caller's namespace: read-only unless :rw, a file's, nosuid and nodev" {
	run rv -v /tmp/vol-src:/ro -v /tmp/vol-src:/rw:rw -v /tmp/vol-file:/etc/f -- sh -c \
		'cat /ro/f /etc/f; touch /ro/x; echo "ro=$?"; echo w > /rw/w; echo "rw=$?"; grep -E " /(ro|rw) " /proc/mounts'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-src ] && [ "${lines[1]}" = file-content ]
	[[ "$output" == *"Read-only file system"*ro=1*rw=0* ]]
	[[ "$output" =~ " /ro "[a-z0-9]+" ro,nosuid,nodev" ]]
	[[ "$output" =~ " /rw "[a-z0-9]+" rw,nosuid,nodev" ]]
	[ "$(cat /tmp/vol-src/w)" = w ] && rm /tmp/vol-src/w
	[ ! -e /tmp/vol-src/x ]
	# a mount the caller made after rvisord started, in its own namespace only
	mkdir -p /tmp/vol-late
	run unshare -m sh -c 'mount -t tmpfs late /tmp/vol-late && echo late > /tmp/vol-late/l &&
		rvisorctl run --image '"$IMAGE"' -v /tmp/vol-late:/l -- cat /l/l'
	[ "$output" = late ]
	daemon_nothing_left
}

@test "a tmpfs beside rvisorfs's views: its size enforced, noexec; the views still the sandbox's" {
	run rv --memory 128M --tmpfs /t:size=64k -v /tmp/vol-src:/data --read-only -- sh -c \
		'dd if=/dev/zero of=/t/big bs=1k count=100 2>&1; cp /bin/busybox /t/b 2>/dev/null; /t/b true; echo "exec=$?";
		 free -m; touch /x; echo "root=$?"; grep -c rvisorfs /proc/mounts'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *exec=126* || "$output" == *exec=127* ]]
	[ "$(awk '/^Mem:/ { print $2 }' <<<"$output")" = 128 ]
	[[ "$output" == *root=1* ]]
	[ "${lines[-1]}" -ge 8 ] # /proc's views and /sys/devices/system/cpu
	daemon_nothing_left
}

@test "no mount over the views: /proc/meminfo refused, and a link in the image to /sys too" {
	run rv -v /tmp/vol-file:/proc/meminfo -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/proc, /dev and /sys are the sandbox's own"* ]]
	run rvisorctl run --image /tmp/vol-image2 --tmpfs /data/cpu -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"it leads to /sys/devices/system/cpu"* ]]
	run rv -- sh -c 'grep MemTotal /proc/meminfo'
	[ "$status" -eq 0 ]
	daemon_nothing_left
}
