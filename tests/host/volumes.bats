#!/usr/bin/env bats
# rvisorctl run's volumes, tmpfs and network (-v/--volume, --mount, --tmpfs, --network, --init)
# against a private rvisord (seccomp platform): binds read-only unless asked, sources opened
# with the caller's own rights, destinations that are the sandbox's own refused, every bad
# form exit 125 with a clear message, rvisord's own checks through raw calls, a member of the
# daemon's group in its user namespace, rvisord in a mount namespace of its own (as systemd's
# PrivateMounts=yes runs it), and nothing left behind.
#   rvtest-vol: in the daemon's group, with subordinate ids (400000-465535)
bats_require_minimum_version 1.5.0

load lib
load daemon
load members

GROUP=rvisor-vol-test
U=rvtest-vol
RUN='{"method":"io.rvisor.Manager.Run","more":true,"parameters":'

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "creates a user and runs rvisord: needs root"
	members_add "$GROUP" "$U:400000-465535"
	export UU=$(id -u "$U") UG=$(id -g "$U")

	# Where the user can reach the socket and the image.
	members_daemon_start volumes "socket_group = $GROUP" "setup_timeout = 10"
	sed 's/^network *=.*/network = host/' "$POLICIES/default.conf" >"$POLICIES/hostnet.conf"
	grep -qx 'network = host' "$POLICIES/hostnet.conf"

	# Sources: a directory with a file, a file, a directory only root may read, the user's own.
	export SRC=$D/src FILE=$D/file SECRET=$D/secret MINE=$D/mine
	mkdir -p "$SRC" "$SECRET" "$MINE"
	echo in-src >"$SRC/f"
	echo file-content >"$FILE"
	echo secret >"$SECRET/s"
	chmod 0700 "$SECRET"
	echo root-owned >"$MINE/root-owned"
	chown "$UU:$UG" "$MINE"
	# An image whose /data leads to /proc, /top to /, with a file and a directory.
	export IMAGE2=$D/image2
	cp -a "$IMAGE" "$IMAGE2"
	ln -s /proc "$IMAGE2/data"
	ln -s / "$IMAGE2/top"
	touch "$IMAGE2/afile"
	mkdir "$IMAGE2/adir"
}

teardown_file() {
	[ -n "${D:-}" ] || return 0
	stop_daemon
	[ ! -f "$D/pm/rvisord.pid" ] || kill "$(cat "$D/pm/rvisord.pid")" 2>/dev/null
	grep -E 'AddressSanitizer|runtime error' "$D/rvisord.log" && return 1
	rm -rf "$RVISOR_TEST_DIR"
	members_remove "$GROUP" "$U"
}

teardown() {
	[ -z "${HOLDER:-}" ] || kill "$HOLDER" 2>/dev/null
	for _ in $(seq 100); do [ -z "$(ls -A "$D/state" 2>/dev/null)" ] && break; sleep 0.05; done
	return 0
}

# raw_root [--fd SPEC]... JSON: one varlink call (as root), stdio /dev/null, the image as fd 3.
raw_root() {
	local json=${!#}
	"$ROOT/build/tools/varlink-raw" --fd /dev/null --fd rw:/dev/null --fd rw:/dev/null \
		--fd "dir:$IMAGE" "${@:1:$#-1}" "$RVISOR_SOCKET" < <(printf '%s\0' "$json")
}

@test "-v SRC:DST is read-only: it reads, a write fails with EROFS, also in submounts' place" {
	run rv -v "$SRC:/data" -- sh -c 'cat /data/f; echo x > /data/new; echo "rc=$?"; grep " /data " /proc/mounts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-src ]
	[[ "$output" == *"Read-only file system"* && "$output" == *rc=1* ]]
	[[ "$output" =~ " /data "[a-z0-9]+" ro,nosuid,nodev" ]]
	[ ! -e "$SRC/new" ]
	# --mount: the same unless readonly=false; ro and readonly=true say it again.
	run rv --mount "type=bind,source=$SRC,target=/m" --mount "type=bind,src=$FILE,dst=/f,readonly=true" -- \
		sh -c 'touch /m/x /f; echo "rc=$?"'
	[[ "$output" == *rc=1* ]]
	[ ! -e "$SRC/x" ]
	assert_nothing_left
}

@test ":rw, readonly=false and rw are writable and the writes reach the host" {
	run rv -v "$SRC:/data:rw" -- sh -c 'echo from-sandbox > /data/w1'
	[ "$status" -eq 0 ]
	[ "$(cat "$SRC/w1")" = from-sandbox ]
	run rv --mount "type=bind,src=$SRC,dst=/d,readonly=false" -- sh -c 'echo 2 > /d/w2'
	[ "$status" -eq 0 ]
	[ "$(cat "$SRC/w2")" = 2 ]
	run rv --mount "type=bind,src=$SRC,dst=/d,rw" -- sh -c 'rm /d/w1 /d/w2'
	[ "$status" -eq 0 ]
	[ ! -e "$SRC/w1" ] && [ ! -e "$SRC/w2" ]
	# nosuid and nodev even when writable
	run rv -v "$SRC:/data:rw" -- grep " /data " /proc/mounts
	[[ "$output" =~ " rw,nosuid,nodev" ]]
}

@test "a file's bind: on a file the image has, or one created; a file on a directory is refused" {
	run rv -v "$FILE:/etc/hostname" -v "$FILE:/new/dir/f:ro" -- sh -c 'cat /etc/hostname /new/dir/f; ls -ld /new'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = file-content ] && [ "${lines[1]}" = file-content ]
	[[ "${lines[2]}" == drwxr-xr-x*root*root* ]]
	run "$RVISORCTL" run --image "$IMAGE2" -v "$FILE:/adir" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot bind a file on /adir: it is not a regular file"* ]]
	run "$RVISORCTL" run --image "$IMAGE2" -v "$SRC:/afile" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot mount a directory on /afile"* ]]
	assert_nothing_left
}

@test "--tmpfs: writable, its size enforced, its mode, noexec, nosuid, nodev; --mount type=tmpfs" {
	run rv --tmpfs /scratch:size=64k,mode=0750 -- sh -c \
		'ls -ld /scratch; grep " /scratch " /proc/mounts; dd if=/dev/zero of=/scratch/big bs=1k count=200 2>&1; ls -l /scratch/big'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == drwxr-x---*root*root* ]]
	[[ "$output" =~ " /scratch tmpfs rw,nosuid,nodev,noexec".*"size=64k" ]]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" =~ " 65536 " ]]
	# default: 1777, the policy's storage as its size
	run rv --mount type=tmpfs,dst=/t -- sh -c 'ls -ld /t; grep " /t " /proc/mounts; echo x > /t/y && cat /t/y'
	[[ "${lines[0]}" == drwxrwxrwt* ]]
	[[ "$output" =~ "size=262144k" ]]
	[ "${lines[2]}" = x ]
	run rv --mount type=tmpfs,dst=/t,tmpfs-size=1M,tmpfs-mode=700 -- grep " /t " /proc/mounts
	[[ "$output" =~ "size=1024k,mode=700" ]]
	# noexec: a program copied there does not run
	run rv --tmpfs /x -- sh -c 'cp /bin/busybox /x/b && /x/b true; echo "rc=$?"'
	[[ "$output" == *rc=126* ]]
	assert_nothing_left
}

@test "--read-only: the root is read-only, a :rw volume and a tmpfs stay writable, a :ro one not" {
	run rv --read-only -v "$SRC:/rw:rw" -v "$SRC:/ro" --tmpfs /t -- sh -c \
		'touch /x; echo "root=$?"; touch /rw/y; echo "rw=$?"; touch /t/z; echo "tmpfs=$?"; touch /ro/z; echo "ro=$?"'
	[[ "$output" == *root=1* && "$output" == *rw=0* && "$output" == *tmpfs=0* && "$output" == *ro=1* ]]
	[ -e "$SRC/y" ] && rm "$SRC/y"
	[ ! -e "$SRC/z" ]
}

@test "mounts in mounts: a tmpfs in a bind's existing directory, a bind in a tmpfs" {
	mkdir -p "$SRC/sub"
	run rv -v "$SRC:/data" --tmpfs /data/sub -v "$FILE:/t/f" --tmpfs /t -- sh -c \
		'touch /data/sub/ok && echo tmpfs-in-bind; cat /t/f'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmpfs-in-bind ] && [ "${lines[1]}" = file-content ]
	[ ! -e "$SRC/sub/ok" ]
	rmdir "$SRC/sub"
}

@test "nothing is created inside a bind's source, nor through a link to /proc or /" {
	run rv -v "$SRC:/data" --tmpfs /data/newdir -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot create /data/newdir"*"bind's source"* ]]
	[ ! -e "$SRC/newdir" ]
	run "$RVISORCTL" run --image "$IMAGE2" -v "$SRC:/data/x" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot mount on /data/x: it leads to /proc,"* ]]
	run "$RVISORCTL" run --image "$IMAGE2" --tmpfs /top -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/top: it leads to /,"* ]]
	run "$RVISORCTL" run --image "$IMAGE2" --tmpfs /afile/x -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"not a directory"* ]]
	assert_nothing_left
}

@test "no proc of the caller's in the sandbox: /proc, / (which holds it) and namespace files refused" {
	for src in /proc /proc/1 / /proc/self/ns/net; do
		run rv -v "$src:/x" -- echo started
		[ "$status" -eq 125 ] || { echo "$src: exit $status"; false; }
		[[ "$output" != *started* ]]
		[[ "$output" == *"/proc or namespace file of yours"* || "$output" == *"Cannot mount on /x"* ]] ||
			{ echo "$src: $output"; false; }
	done
	# what is below / is fine, and so is /sys's (read-only)
	run rv -v /etc:/e -v /sys/kernel:/k -- sh -c 'cat /e/hostname >/dev/null && ls /k >/dev/null && echo fine'
	[ "$output" = fine ]
	assert_nothing_left
}

@test "bad -v, --mount and --tmpfs: exit 125 and what is wrong, nothing started" {
	while IFS='|' read -r opt arg want; do
		run rv "$opt" "$arg" -- echo started
		[ "$status" -eq 125 ] || { echo "$opt $arg: exit $status"; false; }
		[[ "$output" != *started* && "$output" == *"$want"* ]] || { echo "$opt $arg: $output"; false; }
	done <<EOF
-v|$SRC|anonymous volume
-v|myvolume:/data|names a volume
-v|$SRC:data|not an absolute path
-v|$SRC:/a/../b|'..'
-v|$SRC:/data:z|unknown option 'z'
-v|$SRC:/data:ro,rw|contradict
-v|$SRC:/data:ro:x|too many ':'
-v|$SRC:/|sandbox's root
--volume|$SRC:/proc|/proc, /dev and /sys are the sandbox's own
-v|$SRC:/proc/meminfo|/proc, /dev and /sys are the sandbox's own
-v|$FILE:/proc/cpuinfo|/proc, /dev and /sys are the sandbox's own
-v|$SRC:/dev|/proc, /dev and /sys are the sandbox's own
-v|$SRC:/dev/shm|/proc, /dev and /sys are the sandbox's own
-v|$SRC:/sys|/proc, /dev and /sys are the sandbox's own
-v|$SRC:/sys/devices/system/cpu|/proc, /dev and /sys are the sandbox's own
--mount|type=volume,src=v,dst=/d|no volumes
--mount|src=$SRC,dst=/d|no type
--mount|type=bind,dst=/d|no source
--mount|type=bind,src=$SRC|no destination
--mount|type=bind,src=$SRC,dst=/d,readonly=perhaps|not a boolean
--mount|type=bind,src=$SRC,dst=/d,bind-propagation=rshared|always private
--mount|type=bind,src=$SRC,dst=/d,consistency=cached|unknown or unsupported key
--mount|type=tmpfs,dst=/t,tmpfs-size=big|not a size
--mount|type=tmpfs,dst=/t,tmpfs-mode=99|not a mode
--mount|type=tmpfs,src=$SRC,dst=/t|no source
--tmpfs|/t:exec|always noexec, nosuid and nodev
--tmpfs|/t:uid=0|unknown option
--tmpfs|/t:size=0|not a size
--tmpfs|t|not an absolute path
--tmpfs|/dev/shm|/proc, /dev and /sys are the sandbox's own
--network|bridge|rvisor knows none
--network|container:x|rvisor knows none
EOF
	assert_nothing_left
}

@test "a destination twice, and more than 64 mounts, are refused" {
	run rv -v "$SRC:/d" --tmpfs /d -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Two mounts on /d"* ]]
	run rv -v "$SRC:/d/" --mount "type=bind,src=$FILE,dst=//d" -- true
	[[ "$output" == *"Two mounts on /d"* ]]
	args=()
	for i in $(seq 65); do args+=(--tmpfs "/t$i"); done
	run rv "${args[@]}" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"at most 64"* ]]
	# 64 is fine
	run rv "${args[@]:2}" -- sh -c 'grep -c " /t[0-9]* tmpfs" /proc/mounts'
	[ "$status" -eq 0 ]
	[ "$output" = 64 ]
	assert_nothing_left
}

@test "sources: missing, a device node, a FIFO, unreadable for the caller: refused before rvisord" {
	run rv -v /nonexistent:/d -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot use /nonexistent as the source of /d: No such file or directory"* ]]
	run rv -v /dev/null:/d -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"neither a directory nor a regular file"* ]]
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run timeout 10 "$RVISORCTL" run --image "$IMAGE" -v "$BATS_TEST_TMPDIR/fifo:/d" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"neither a directory nor a regular file"* ]]
	# The member cannot read root's 0700 directory: nor can its sandbox have it.
	run as "$U" "$RVISORCTL" run --image "$IMAGE" -v "$SECRET:/s" -- cat /s/s
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot open $SECRET, the source of /s: Permission denied"* ]]
	[[ "$output" != *secret* || "$output" == *"$SECRET"* ]]
	assert_nothing_left
}

@test "rvisord checks again: O_PATH, write-only, a device node, a FIFO, unused and shared fds" {
	bind='"mounts":[{"type":"bind","destination":"/d","fd":4}]'
	run raw_root --fd "path:$SRC" "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],$bind}}"
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":4'* && "$output" == *O_PATH* ]]
	run raw_root --fd "rw:$FILE" "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],$bind}}"
	[[ "$output" != *BadFileDescriptor* ]] # read-write proves reading too
	exec 5>"$BATS_TEST_TMPDIR/wo"
	run raw_root --fd fd:5 "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],$bind}}"
	exec 5>&-
	[[ "$output" == *BadFileDescriptor* && "$output" == *write-only* ]]
	run raw_root --fd /dev/null "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],$bind}}"
	[[ "$output" == *BadFileDescriptor* && "$output" == *"device nodes"* ]]
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	exec 6<>"$BATS_TEST_TMPDIR/fifo"
	run raw_root --fd fd:6 "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],$bind}}"
	exec 6>&-
	[[ "$output" == *BadFileDescriptor* && "$output" == *FIFOs* ]]
	run raw_root --fd "dir:$SRC" "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"]}}"
	[[ "$output" == *BadFileDescriptor* && "$output" == *"no mount names it"* ]]
	run raw_root --fd "dir:$SRC" "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"bind\",\"destination\":\"/a\",\"fd\":4},{\"type\":\"bind\",\"destination\":\"/b\",\"fd\":4}]}}"
	[[ "$output" == *BadFileDescriptor* && "$output" == *"more than one mount"* ]]
	assert_nothing_left
}

@test "rvisord checks again: MountInvalid for destinations, duplicates, bad members, 65 mounts" {
	for dst in /proc /proc/meminfo /dev /dev/.rvisorfs /sys/devices/system/cpu / relative /a/../proc /a//b; do
		run raw_root --fd "dir:$SRC" "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"bind\",\"destination\":\"$dst\",\"fd\":4}]}}"
		[[ "$output" == *MountInvalid* && "$output" == *"\"destination\":\"${dst//\//\\/}\""* ]] ||
			[[ "$output" == *MountInvalid* && "$output" == *"\"destination\":\"$dst\""* ]] || { echo "$dst: $output"; false; }
	done
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"tmpfs\",\"destination\":\"/t\"},{\"type\":\"tmpfs\",\"destination\":\"/t\"}]}}"
	[[ "$output" == *MountInvalid* && "$output" == *"more than one mount"* ]]
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"volume\",\"destination\":\"/t\"}]}}"
	[[ "$output" == *MountInvalid* && "$output" == *bind* ]]
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"bind\",\"destination\":\"/t\",\"fd\":9}]}}"
	[[ "$output" == *MountInvalid* && "$output" == *index* ]]
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"tmpfs\",\"destination\":\"/t\",\"mode\":65535}]}}"
	[[ "$output" == *MountInvalid* && "$output" == *mode* ]]
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":\"/t\"}}"
	[[ "$output" == *InvalidParameter* && "$output" == *mounts* ]]
	many=$(for i in $(seq 65); do printf '{"type":"tmpfs","destination":"/t%d"},' "$i"; done)
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[${many%,}]}}"
	[[ "$output" == *MountInvalid* && "$output" == *"more than 64"* ]]
	run raw_root "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"network\":\"bridge\"}}"
	[[ "$output" == *InvalidParameter* && "$output" == *network* ]]
	assert_nothing_left
}

@test "a source from a mount namespace other than the caller's is refused" {
	unshare -m sh -c "mount -t tmpfs other '$BATS_TEST_TMPDIR' && echo other > '$BATS_TEST_TMPDIR/o' && exec sleep 60" 3>&- &
	HOLDER=$!
	for _ in $(seq 100); do [ -e "/proc/$HOLDER/root$BATS_TEST_TMPDIR/o" ] && break; sleep 0.05; done
	[ -e "/proc/$HOLDER/root$BATS_TEST_TMPDIR/o" ]
	run raw_root --fd "dir:/proc/$HOLDER/root$BATS_TEST_TMPDIR" \
		"$RUN{\"image\":\"$IMAGE\",\"argv\":[\"cat\",\"/o/o\"],\"mounts\":[{\"type\":\"bind\",\"destination\":\"/o\",\"fd\":4}]}}"
	[[ "$output" == *SandboxFailed* && "$output" == *"not in your mount namespace"* ]]
	[[ "$output" != *'"state":"started"'* ]]
	assert_nothing_left
}

@test "the caller's own mount namespace: what it mounted itself, with its flags (ro stays ro)" {
	run unshare -m sh -c "mount -t tmpfs mine '$BATS_TEST_TMPDIR' && echo of-my-namespace > '$BATS_TEST_TMPDIR/m' &&
		'$RVISORCTL' run --image '$IMAGE' -v '$BATS_TEST_TMPDIR:/m' -- cat /m/m"
	[ "$status" -eq 0 ]
	[ "$output" = of-my-namespace ]
	[ ! -e "$BATS_TEST_TMPDIR/m" ]
	# A source the caller sees read-only: :rw does not make it writable.
	run unshare -m sh -c "mount --bind -o ro '$SRC' '$BATS_TEST_TMPDIR' &&
		'$RVISORCTL' run --image '$IMAGE' -v '$BATS_TEST_TMPDIR:/m:rw' -- sh -c 'touch /m/x; echo rc=\$?'"
	[[ "$output" == *"Read-only file system"*rc=1* ]]
	[ ! -e "$SRC/x" ]
	assert_nothing_left
}

@test "rvisord in a mount namespace of its own (PrivateMounts=yes): binds come from the caller's" {
	mkdir -p "$D/pm"
	sed "s|^socket_path.*|socket_path = $D/pm/rvisor.sock|; s|^state_dir.*|state_dir = $D/pm/state|" \
		"$D/rvisord.conf" >"$D/pm/rvisord.conf"
	RVISOR_DEVICE=/nonexistent/rvisor unshare -m --propagation slave "$RVISORD" --config "$D/pm/rvisord.conf" \
		>"$D/pm/rvisord.log" 2>&1 3>&- &
	echo $! >"$D/pm/rvisord.pid"
	for _ in $(seq 100); do grep -q ready "$D/pm/rvisord.log" && break; sleep 0.05; done
	[ "$(readlink "/proc/$(cat "$D/pm/rvisord.pid")/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	export RVISOR_SOCKET=$D/pm/rvisor.sock
	run rv -v "$SRC:/ro" -v "$SRC:/rw:rw" -v "$FILE:/f" --tmpfs /t -- sh -c \
		'cat /ro/f /f; touch /ro/x; echo "ro=$?"; echo pm > /rw/pm; echo "rw=$?"; touch /t/x; echo "t=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *in-src*file-content*ro=1*rw=0*t=0* ]]
	[ "$(cat "$SRC/pm")" = pm ] && rm "$SRC/pm"
	# A mount made after rvisord started, in the caller's namespace only, is still the caller's.
	run unshare -m sh -c "mount -t tmpfs late '$BATS_TEST_TMPDIR' && echo late > '$BATS_TEST_TMPDIR/l' &&
		'$RVISORCTL' run --image '$IMAGE' -v '$BATS_TEST_TMPDIR:/l' -- cat /l/l"
	[ "$output" = late ]
	kill "$(cat "$D/pm/rvisord.pid")"
	for _ in $(seq 100); do kill -0 "$(cat "$D/pm/rvisord.pid")" 2>/dev/null || break; sleep 0.05; done
	rm "$D/pm/rvisord.pid"
	! grep -E 'ERROR|AddressSanitizer|runtime error' "$D/pm/rvisord.log"
	[ -z "$(ls -A "$D/pm/state" 2>/dev/null)" ]
}

@test "a member in its user namespace: ro and rw binds of its own files, others' as nobody" {
	run as "$U" "$RVISORCTL" run --image "$IMAGE" -v "$MINE:/mine:rw" -v "$SRC:/src" --tmpfs /t -- sh -c \
		'id -u; ls -ln /mine/root-owned; echo w > /mine/new; echo "new=$?"; echo x >> /mine/root-owned;
		 echo "root-owned=$?"; cat /src/f; touch /src/x; echo "src=$?"; ls -ldn /t; touch /t/y; echo "t=$?"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == *" 65534 "*65534* ]] # host root's file: unmapped, nobody
	[[ "$output" == *new=0* && "$output" == *root-owned=1* && "$output" == *src=1* && "$output" == *t=0* ]]
	[[ "$output" == *in-src* ]]
	# the tmpfs is the sandbox root's, mode 1777
	grep -E '^drwxrwxrwt +[0-9]+ +0 +0 .*/t$' <<<"$output"
	[ "$(stat -c %u:%g "$MINE/new")" = "$UU:$UG" ]
	[ "$(cat "$MINE/root-owned")" = root-owned ]
	rm "$MINE/new"
	assert_nothing_left
}

@test "--network none has only lo; host has the host's interfaces, where the policy allows it" {
	run rv --network none -- cat /proc/net/dev
	[ "$status" -eq 0 ]
	[ "$(tail -n +3 <<<"$output" | cut -d: -f1 | tr -d ' ')" = lo ]
	host_ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort)
	run rv --policy hostnet --network host -- cat /proc/net/dev
	[ "$status" -eq 0 ]
	[ "$(tail -n +3 <<<"$output" | cut -d: -f1 | tr -d ' ' | sort)" = "$host_ifs" ]
	# hostnet's default is host, --network none narrows it
	run rv --policy hostnet -- cat /proc/net/dev
	[ "$(tail -n +3 <<<"$output" | cut -d: -f1 | tr -d ' ' | sort)" = "$host_ifs" ]
	run rv --policy hostnet --network none -- cat /proc/net/dev
	[ "$(tail -n +3 <<<"$output" | cut -d: -f1 | tr -d ' ')" = lo ]
	# default.conf: network = none, so host is above it
	run rv --network host -- echo started
	[ "$status" -eq 125 ]
	[[ "$output" == *"--network host is more than policy 'default' allows (network none)"* ]]
	[[ "$output" != *started* ]]
	# the member too (its own network namespace, in its user namespace)
	run as "$U" "$RVISORCTL" run --image "$IMAGE" --network none -- cat /proc/net/dev
	[ "$(tail -n +3 <<<"$output" | cut -d: -f1 | tr -d ' ')" = lo ]
	assert_nothing_left
}

@test "--init is accepted; without it an orphan is reaped by rvisor's init all the same" {
	run rv --init -- true
	[ "$status" -eq 0 ]
	run rv -- sh -c 'sh -c "sleep 0.5 & echo \$! > /tmp/orphan"; p=$(cat /tmp/orphan);
		grep PPid /proc/$p/status; sleep 1.5; if [ -e /proc/$p ]; then cat /proc/$p/stat; else echo reaped; fi'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PPid:	1" ] # orphaned: rvisor's init is its parent now
	[ "${lines[1]}" = reaped ]   # not a zombie left in its table
}

@test "nothing is left: no stray mount on the host or in rvisord's namespace, no fd in rvisord" {
	pid=$(cat "$D/rvisord.pid")
	before=$(ls "/proc/$pid/fd" | wc -l)
	for _ in 1 2 3; do
		rv -v "$SRC:/a" -v "$FILE:/b:rw" --tmpfs /c -- true
		rv -v "$SRC:/proc/x" -- true 2>/dev/null || true
		"$RVISORCTL" run --image "$IMAGE2" -v "$SRC:/data/x" -- true 2>/dev/null || true
		raw_root --fd "path:$SRC" "$RUN{\"image\":\"$IMAGE\",\"argv\":[\"true\"],\"mounts\":[{\"type\":\"bind\",\"destination\":\"/d\",\"fd\":4}]}}" >/dev/null
	done
	for _ in $(seq 100); do [ "$(ls "/proc/$pid/fd" | wc -l)" = "$before" ] && break; sleep 0.05; done
	[ "$(ls "/proc/$pid/fd" | wc -l)" = "$before" ]
	assert_nothing_left
	! grep -qE "$SRC|$FILE| /a | /c " "/proc/$pid/mountinfo"
	! grep -qE "$SRC|$FILE" /proc/self/mountinfo
}
