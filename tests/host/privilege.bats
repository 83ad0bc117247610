#!/usr/bin/env bats
# The privilege boundary (docs/security.md), attacked the way a member of group rvisor would:
# real non-root users talk to a private rvisord (seccomp platform on the host). Each attack
# must fail with a clear error and change nothing on the host; root keeps what it had.
#   rvtest-a: in the daemon's group, with subordinate ids (200000-265535)
#   rvtest-b: in the daemon's group, without subordinate ids
bats_require_minimum_version 1.5.0

load lib
load daemon
load members

GROUP=rvisor-test
A=rvtest-a
B=rvtest-b

remove_users() {
	members_remove "$GROUP" "$A" "$B"
	# root's subordinate range a test gives it (ours only)
	sed -i "/^root:3000000:65536\$/d" /etc/subuid /etc/subgid || true
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "creates users and runs rvisord: needs root"
	remove_users
	members_add "$GROUP" "$A:200000-265535" "$B"
	export AU=$(id -u "$A") AG=$(id -g "$A") BU=$(id -u "$B")

	# The test's files where the users can reach them: the socket, their images.
	members_daemon_start privilege "socket_group = $GROUP" "max_sandboxes_per_user = 3" \
		"max_connections_per_user = 8" "setup_timeout = 5"
	printf '[sandbox]\nstorage = 2M\n[syscalls]\ndefault = pass\n[compat]\nungated = yes\n' >"$POLICIES/tiny.conf"

	# A's image, owned the rootless way (its root files are A's); B's private directory.
	cp -a "$IMAGE" "$D/img-a"
	chown -R "$AU:$AG" "$D/img-a"
	mkdir -m 0700 "$D/b-private"
	cp -a "$IMAGE" "$D/b-private/img"
	chown -R "$BU" "$D/b-private"
	ln -s "$D/b-private/img" "$D/link-to-b"
	ln -s /root "$D/link-to-root"
	echo host-file >"$D/root-owned"
	chmod 0644 "$D/root-owned"
}

teardown_file() {
	pkill -KILL -f "varlink-raw --hog" 2>/dev/null
	stop_daemon
	grep -E 'AddressSanitizer|runtime error' "$D/rvisord.log" && return 1
	rm -rf "$RVISOR_TEST_DIR"
	remove_users
}

teardown() {
	# Nothing a test started may outlive it.
	pkill -KILL -f "varlink-raw --hog" 2>/dev/null
	[ -z "${FUSE_PID:-}" ] || { kill "$FUSE_PID"; umount -l "$D/fuse"; } 2>/dev/null
	for _ in $(seq 100); do [ -z "$(ls -A "$D/state" 2>/dev/null)" ] && break; sleep 0.05; done
	return 0
}

# sandbox_pid NAME: the host pid of the workload of the sandbox named NAME (root's view).
workload_of() {
	local init
	init=$("$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .pid")
	[ -n "$init" ] && [ "$init" != 0 ] || return 1
	cut -d' ' -f1 "/proc/$init/task/$init/children"
}

@test "a member's sandbox: root inside is the member outside, its files are the member's" {
	start_bg "$A" mine --image "$D/img-a" -- sh -c \
		'id -u; cat /proc/self/uid_map; echo x > /tmp/f; touch /tmp/g; chown 33:33 /tmp/g && echo chown-ok; echo ready; exec sleep 60'
	w=$(workload_of mine)
	[ "$(stat -c %u "/proc/$w")" = "$AU" ] # the workload is the member on the host
	[ "$(stat -c %u:%g "/proc/$w/root/tmp/f")" = "$AU:$AG" ]
	[ "$(stat -c %u:%g "/proc/$w/root/tmp/g")" = "200032:200032" ]
	grep -qx 0 "$BATS_TEST_TMPDIR/mine.out"
	grep -Eq "^ *0 +$AU +1$" "$BATS_TEST_TMPDIR/mine.out"
	grep -q chown-ok "$BATS_TEST_TMPDIR/mine.out"
	grep -q "started for uid $AU" "$D/rvisord.log" # the log names the caller
	"$RVISORCTL" kill "$("$RVISORCTL" ps --json | jq -r '.sandboxes[] | select(.name == "mine") | .id')" KILL
	wait
}

@test "stdin a directory (CVE-2024-21626's class) is refused before anything starts" {
	before=$(md5sum </etc/passwd)
	run as "$A" "$RVISORCTL" run -i --image "$D/img-a" -- sh -c 'echo x >> /proc/self/fd/0/etc/passwd; ls /proc/self/fd/0/' </
	[ "$status" -eq 125 ]
	[[ "$output" == *stdin*directory* ]]
	[ "$(md5sum </etc/passwd)" = "$before" ]
	assert_nothing_left
}

@test "stdio that is O_PATH, a directory as stdout, or no image descriptor: BadFileDescriptor" {
	run raw "$A" --fd path:/etc --fd fd:1 --fd fd:2 --fd "dir:$D/img-a" \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/x","argv":["true"]}}'
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":0'* && "$output" == *O_PATH* ]]
	run raw "$A" --fd /dev/null --fd dir:/ --fd fd:2 --fd "dir:$D/img-a" \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/x","argv":["true"]}}'
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":1'* && "$output" == *directory* ]]
	run raw "$A" --fd /dev/null --fd fd:1 --fd fd:2 \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/x","argv":["true"]}}'
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":3'* ]]
	assert_nothing_left
}

@test "--image / as a member: the host's root files stay unreadable and unwritable" {
	run as "$A" "$RVISORCTL" run --image / -- sh -c "cat /etc/shadow; echo more >> $D/root-owned"
	[ "$status" -ne 0 ]
	[[ "$output" == *shadow*"Permission denied"* ]]
	[[ "$output" == *root-owned*"Permission denied"* ]]
	[ "$(cat "$D/root-owned")" = host-file ]
	assert_nothing_left
}

@test "/root, another user's 0700 directory and links to them are refused as images" {
	for img in /root "$D/b-private/img" "$D/link-to-b" "$D/link-to-root"; do
		run as "$A" "$RVISORCTL" run --image "$img" -- true
		[ "$status" -eq 125 ]
		[[ "$output" == *"Permission denied"* ]]
	done
	assert_nothing_left
}

@test "an image path swapped for a link to /root during the start changes nothing" {
	mkdir "$BATS_TEST_TMPDIR/swap"
	chmod 0755 "$BATS_TEST_TMPDIR"
	cp -a "$D/img-a" "$BATS_TEST_TMPDIR/swap/img"
	chown -R "$AU" "$BATS_TEST_TMPDIR/swap"
	exec 5<"$BATS_TEST_TMPDIR/swap/img"
	mv "$BATS_TEST_TMPDIR/swap/img" "$BATS_TEST_TMPDIR/swap/moved"
	ln -s /root "$BATS_TEST_TMPDIR/swap/img"
	run raw "$A" --fd /dev/null --fd fd:1 --fd fd:2 --fd fd:5 \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"'"$BATS_TEST_TMPDIR"'/swap/img","argv":["cat","/etc/motd"]}}'
	exec 5<&-
	[[ "$output" == *"rvisor test image"* ]] # the directory the caller opened, wherever it went
	[[ "$output" == *'"exit_code":0'* ]]
}

@test "an image that only exists in the caller's own mount namespace is refused, not guessed" {
	# root's here (unshare needs it); rvisord finds no such directory in its own namespace
	run unshare -m bash -c 'mount -t tmpfs t /mnt && cp -a "$1/." /mnt/ && exec 5</mnt &&
		"$2" --fd /dev/null --fd fd:1 --fd fd:2 --fd fd:5 "$3" < <(printf "%s\0" "$4")' _ \
		"$IMAGE" "$ROOT/build/tools/varlink-raw" "$RVISOR_SOCKET" \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/mnt","argv":["true"]}}'
	[[ "$output" == *io.rvisor.Manager.SandboxFailed* ]]
	[[ "$output" == *"not reachable"* || "$output" == *"changed while the sandbox started"* ]]
	[[ "$output" != *exit_code* ]]
	assert_nothing_left
}

@test "a bundle's root.path cannot lead outside: rvisord uses the directory the caller sent" {
	run raw "$A" --fd /dev/null --fd fd:1 --fd fd:2 --fd "dir:$D/img-a" \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/b","argv":["cat","/etc/motd"],"bundle_config":"{\"root\":{\"path\":\"/\"}}"}}'
	[[ "$output" == *"rvisor test image"* ]]
	[[ "$output" == *'"exit_code":0'* ]]
}

@test "another user's sandboxes are invisible; kill and stats on them: SandboxNotFound" {
	start_bg "$A" a-secret --image "$D/img-a" -- sh -c 'echo ready; exec sleep 60' --password=hunter2
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[] | select(.name == "a-secret") | .id')
	[ "$("$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.id == $id) | .owner_uid")" = "$AU" ]
	run as "$B" "$RVISORCTL" ps --json
	[ "$status" -eq 0 ]
	[ "$(jq '.sandboxes | length' <<<"$output")" = 0 ]
	run as "$B" "$RVISORCTL" ps
	[[ "$output" != *hunter2* ]]
	run as "$B" "$RVISORCTL" kill "$id" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"$id"* ]]
	run as "$B" "$RVISORCTL" stats "$id"
	[ "$status" -ne 0 ]
	run raw "$B" '{"method":"io.rvisor.Manager.Kill","parameters":{"id":'"$id"',"signal":9}}'
	[[ "$output" == *io.rvisor.Manager.SandboxNotFound* ]]
	# By name just the same; and B may use the name for a sandbox of its own.
	for verb in kill stats; do
		run as "$B" "$RVISORCTL" "$verb" a-secret
		[ "$status" -ne 0 ]
		[[ "$output" == *"no sandbox named 'a-secret'"* ]]
	done
	run raw "$B" '{"method":"io.rvisor.Manager.Inspect","parameters":{"name":"a-secret"}}'
	[[ "$output" == *'"name":"a-secret"'* && "$output" == *io.rvisor.Manager.SandboxNotFound* ]]
	start_bg "$B" a-secret --image "$IMAGE" -- sh -c 'echo ready; exec sleep 60'
	[ "$(as "$B" "$RVISORCTL" stats a-secret --json | jq -r .sandbox.owner_uid)" = "$BU" ]
	[ "$(as "$A" "$RVISORCTL" stats a-secret --json | jq -r .sandbox.owner_uid)" = "$AU" ]
	# Root has none of that name and two users have one: the id is needed.
	run "$RVISORCTL" kill a-secret
	[ "$status" -ne 0 ]
	[[ "$output" == *"more than one user has a sandbox named 'a-secret'"* ]]
	as "$B" "$RVISORCTL" kill a-secret KILL
	run as "$A" "$RVISORCTL" ps --json
	[ "$(jq -r '.sandboxes[0].name' <<<"$output")" = a-secret ]
	[ "$(jq -r '.sandboxes[0].userns' <<<"$output")" = true ]
	"$RVISORCTL" ps | grep -q a-secret # root sees it
	as "$A" "$RVISORCTL" kill "$id" KILL
	wait
}

@test "a user at the quota gets ResourceExhausted; others and root still start" {
	for i in 1 2 3; do start_bg "$A" "q$i" --image "$D/img-a" -- sh -c 'echo ready; exec sleep 60'; done
	run as "$A" "$RVISORCTL" run --image "$D/img-a" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *max_sandboxes_per_user* ]]
	run as "$B" "$RVISORCTL" run --image "$D/img-a" -- echo b-ok
	[ "$output" = b-ok ]
	run "$RVISORCTL" run --image "$D/img-a" -- echo root-ok
	[ "$output" = root-ok ]
	for i in 1 2 3; do "$RVISORCTL" kill "$("$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.name == \"q$i\") | .id")" KILL; done
	wait
}

@test "connections beyond max_connections_per_user are closed; others are served" {
	for i in $(seq 8); do as "$B" "$ROOT/build/tools/varlink-raw" --hog 0 1 "$RVISOR_SOCKET" >/dev/null 3>&- & done
	sleep 1
	run raw "$B" '{"method":"io.rvisor.Manager.Status"}'
	[[ "$output" != *'"version"'* ]]
	[[ "${lines[-1]}" == EOF ]]
	run raw "$A" '{"method":"io.rvisor.Manager.Status"}'
	[[ "$output" == *'"version"'* ]]
	grep -q "Dropped a connection of uid $BU" "$D/rvisord.log"
}

@test "a client holding 250 fds and a half-sent 16 MiB message does not hold up another user's run" {
	as "$B" "$ROOT/build/tools/varlink-raw" --hog 250 8388608 "$RVISOR_SOCKET" >"$BATS_TEST_TMPDIR/hog" 3>&- &
	for _ in $(seq 100); do grep -q held "$BATS_TEST_TMPDIR/hog" && break; sleep 0.1; done
	run timeout 30 setpriv --reuid="$A" --regid="$AG" --init-groups env RVISOR_SOCKET="$RVISOR_SOCKET" \
		"$RVISORCTL" run --image "$D/img-a" -- echo still-served
	[ "$output" = still-served ]
	run raw "$A" '{"method":"io.rvisor.Manager.Status"}'
	[[ "$output" == *'"version"'* ]]
}

@test "a setup hanging on the caller's own file system holds up no one and ends at setup_timeout" {
	mkdir "$D/fuse"
	"$ROOT/build/tools/fuse-stall" "$D/fuse" >"$BATS_TEST_TMPDIR/fuse.log" 2>&1 3>&- &
	FUSE_PID=$!
	for _ in $(seq 100); do grep -q mounted "$BATS_TEST_TMPDIR/fuse.log" && break; sleep 0.05; done
	as "$A" "$RVISORCTL" run --image "$D/fuse" -- true >"$BATS_TEST_TMPDIR/hung.out" 2>&1 3>&- &
	hung=$!
	for _ in $(seq 200); do grep -q stalled "$BATS_TEST_TMPDIR/fuse.log" && break; sleep 0.05; done
	grep -q stalled "$BATS_TEST_TMPDIR/fuse.log" # the sandbox's setup waits on the file system
	run as "$B" "$RVISORCTL" run --image "$D/img-a" -- echo served
	[ "$output" = served ]
	kill -0 "$hung" # still waiting: it was not the one served
	rc=0
	wait "$hung" || rc=$?
	[ "$rc" -eq 125 ]
	grep -q "did not finish its setup in 5 s" "$BATS_TEST_TMPDIR/hung.out"
	# The killed init waits in the file system until its server goes; then it is cleaned up.
	kill "$FUSE_PID"
	wait "$FUSE_PID" || true
	umount -l "$D/fuse" 2>/dev/null || true
	FUSE_PID=
	for _ in $(seq 100); do [ -z "$(ls -A "$D/state")" ] && break; sleep 0.1; done
	assert_nothing_left
	[ "$("$RVISORCTL" ps --json | jq '.sandboxes | length')" = 0 ]
}

@test "a sandbox writing until ENOSPC fills only its own layer, never the host's state directory" {
	start_bg "$A" filler --policy tiny --image "$D/img-a" -- sh -c \
		'dd if=/dev/zero of=/tmp/fill bs=64k count=100 2>&1 | grep -o "No space left on device"; echo ready; exec sleep 60'
	grep -q "No space left on device" "$BATS_TEST_TMPDIR/filler.out"
	w=$(workload_of filler)
	[ "$(stat -c %s "/proc/$w/root/tmp/fill")" -le $((2 << 20)) ]
	[ "$(du -s "$D/state" | cut -f1)" -lt 16 ] # nothing of it on the host's file system
	[ -z "$(find "$D/state" -type f)" ]
	"$RVISORCTL" kill "$("$RVISORCTL" ps --json | jq -r '.sandboxes[] | select(.name == "filler") | .id')" KILL
	wait
}

@test "a name with escape sequences is refused by the daemon; ps escapes what it shows" {
	run raw "$A" --fd /dev/null --fd fd:1 --fd fd:2 --fd "dir:$D/img-a" \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/x","argv":["true"],"name":"\u001b[2Jowned"}}'
	[[ "$output" == *InvalidParameter* && "$output" == *'"parameter":"name"'* ]]
	start_bg "$A" esc --image "$D/img-a" -- sh -c 'echo ready; exec sleep 60' "$(printf '\033[31mred\033]0;title\007')"
	run "$RVISORCTL" ps
	[[ "$output" == *'\x1b[31mred'* ]]
	[[ "$output" != *$'\033'* && "$output" != *$'\007'* ]]
	"$RVISORCTL" kill "$("$RVISORCTL" ps --json | jq -r '.sandboxes[] | select(.name == "esc") | .id')" KILL
	wait
}

@test "--user: ids inside the member's namespace only" {
	run as "$B" "$RVISORCTL" run --user 1000 --image "$D/img-a" -- id -u
	[ "$status" -eq 125 ]
	[[ "$output" == *"1000:1000"*"not mapped"* ]]
	run as "$A" "$RVISORCTL" run --user 1000:1000 --image "$D/img-a" -- sh -c 'id -u; grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[[ "${lines[1]}" == *0000000000000000 ]]
	run as "$A" "$RVISORCTL" run --user 65537 --image "$D/img-a" -- true
	[ "$status" -eq 125 ]
	# A caller other than root cannot switch its user namespace off.
	run raw "$A" --fd /dev/null --fd fd:1 --fd fd:2 --fd "dir:$D/img-a" \
		'{"method":"io.rvisor.Manager.Run","more":true,"parameters":{"image":"/x","argv":["cat","/proc/self/uid_map"],"userns":false}}'
	[[ "$output" =~ 0\ +$AU\ +1 ]]
}

@test "root: host ids by default; --userns needs root's subordinate ids, then maps to them" {
	run "$RVISORCTL" run --image "$D/img-a" -- cat /proc/self/uid_map
	[[ "$output" =~ 0\ +0\ +4294967295 ]]
	run "$RVISORCTL" run --userns --image "$D/img-a" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"root has no subordinate ids"* ]]
	echo root:3000000:65536 >>/etc/subuid
	echo root:3000000:65536 >>/etc/subgid
	run "$RVISORCTL" run --userns --image "$D/img-a" -- cat /proc/self/uid_map
	sed -i '/^root:3000000:65536$/d' /etc/subuid /etc/subgid
	[ "$status" -eq 0 ]
	[[ "$output" =~ 0\ +3000000\ +65536 ]]
}
