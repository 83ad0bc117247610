#!/usr/bin/env bats
# rvisorctl exec and io.rvisor.Manager.Exec on the build host (seccomp platform; the kernel
# layer's side is tests/vm/exec.bats): a process joining a running sandbox shares its files,
# hostname, processes, namespaces, cgroup, user and user namespace, and gets what its workload
# got; docker's exit codes; -i, -t, -e, --env-file, -w, -u; names and ids; another user's
# sandbox is SandboxNotFound; bad input is refused clearly; a client that goes away, or a
# sandbox that ends, takes the process with it, and nothing is left behind.
#   rvexec-a: in the daemon's group, with subordinate ids (300000-365535)
#   rvexec-b: in the daemon's group, without
bats_require_minimum_version 1.5.0

load lib
load daemon
load members

GROUP=rvexec-test
A=rvexec-a
B=rvexec-b

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "creates users and runs rvisord: needs root"
	members_add "$GROUP" "$A:300000-365535" "$B"
	export AU=$(id -u "$A") AG=$(id -g "$A")

	members_daemon_start exec "socket_group = $GROUP" "setup_timeout = 5"
	# A's image, owned the rootless way.
	cp -a "$IMAGE" "$D/img-a"
	chown -R "$AU:$AG" "$D/img-a"
}

teardown_file() {
	stop_daemon
	grep -E 'ERROR|AddressSanitizer|runtime error' "$D/rvisord.log" && return 1
	rm -rf "$RVISOR_TEST_DIR"
	members_remove "$GROUP" "$A" "$B"
}

teardown() {
	# Nothing a test started may outlive it: its clients, then its sandboxes.
	local id
	[ -z "${CLIENT:-}" ] || kill -KILL "$CLIENT" 2>/dev/null || true
	for id in $("$RVISORCTL" ps --json | jq -r '.sandboxes[].id'); do
		"$RVISORCTL" kill "$id" KILL || true
	done
	for _ in $(seq 100); do [ -z "$(ls -A "$D/state" 2>/dev/null)" ] && break; sleep 0.05; done
	return 0
}

# root_bg NAME COMMAND...: root's sandbox of the test image running COMMAND after "ready".
root_bg() {
	local name=$1
	shift
	start_bg root "$name" --image "$IMAGE" -- sh -c 'echo ready; exec "$@"' sh "$@"
}

sandbox_field() { # sandbox_field NAME FIELD: a field of root's view of sandbox NAME
	"$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .$2"
}

# sandbox_tasks NAME: the live processes in sandbox NAME's pid namespace (host pids).
sandbox_tasks() {
	local init ns p
	init=$(sandbox_field "$1" pid)
	ns=$(readlink "/proc/$init/ns/pid") || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		[ "$(awk '{ print $3 }' "$p/stat" 2>/dev/null)" != Z ] && echo "${p#/proc/}"
	done
	return 0
}

daemon_pid() { cat "$D/rvisord.pid"; }
daemon_fds() { ls "/proc/$(daemon_pid)/fd" | wc -l; }
# rvisord's child processes: its sandboxes' inits and the exec helpers of running execs.
daemon_children() { wc -w <"/proc/$(daemon_pid)/task/$(daemon_pid)/children"; }

# settled FDS CHILDREN: rvisord holds FDS descriptors and CHILDREN children (it gets there
# asynchronously, so this waits a little).
settled() {
	for _ in $(seq 100); do
		[ "$(daemon_fds)" = "$1" ] && [ "$(daemon_children)" = "$2" ] && return 0
		sleep 0.05
	done
	echo "rvisord holds $(daemon_fds) fds (want $1) and $(daemon_children) children (want $2)"
	ls -l "/proc/$(daemon_pid)/fd"
	return 1
}

# gone PATTERN: no process's whole command line is PATTERN any more (waits a little).
gone() {
	for _ in $(seq 100); do pgrep -xf "$1" >/dev/null || return 0; sleep 0.05; done
	pgrep -axf "$1"
	return 1
}

@test "exec joins the sandbox: its files, hostname, processes, namespaces and cgroup, and what the workload got" {
	start_bg root joined --hostname joined-host --image "$IMAGE" -- \
		sh -c 'echo from-the-workload >/tmp/mark; echo ready; exec sleep 600'
	run "$RVISORCTL" exec joined sh -c '
		cat /tmp/mark; hostname
		ps | grep -q "sleep 600" && echo sees-the-workload
		for n in mnt uts ipc net pid cgroup user; do
			[ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/2/ns/$n)" ] && echo "same $n"
		done
		[ "$(cat /proc/self/cgroup)" = "$(cat /proc/2/cgroup)" ] && echo same cgroup
		[ "$(cat /proc/self/uid_map)" = "$(cat /proc/2/uid_map)" ] && echo same uid_map
		for f in Uid Gid Groups CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp Seccomp_filters; do
			[ "$(grep "^$f:" /proc/self/status)" = "$(grep "^$f:" /proc/2/status)" ] && echo "same $f"
		done
		[ "$(grep "open files" /proc/self/limits)" = "$(grep "open files" /proc/2/limits)" ] && echo same nofile
		grep "^Seccomp:" /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-the-workload ]
	[ "${lines[1]}" = joined-host ]
	[ "${lines[2]}" = sees-the-workload ]
	for want in mnt uts ipc net pid cgroup user; do grep -qx "same $want" <<<"$output"; done
	for want in cgroup uid_map Uid Gid Groups CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp \
		Seccomp_filters nofile; do
		grep -qx "same $want" <<<"$output" || { echo "differs: $want"; false; }
	done
	[[ "${lines[-1]}" =~ ^Seccomp:[[:space:]]+2$ ]] # the policy's filter, as the workload has it
	# what it wrote is the workload's to see
	run "$RVISORCTL" exec joined sh -c 'echo from-exec >/tmp/back'
	[ "$(cat "/proc/$(sandbox_field joined pid)/root/tmp/back")" = from-exec ]
}

@test "exec in a member's sandbox: the member's user namespace, root inside, the member outside" {
	start_bg "$A" a-box --image "$D/img-a" -- sh -c 'echo ready; exec sleep 600'
	run as "$A" "$RVISORCTL" exec a-box sh -c 'id -u; cat /proc/self/uid_map
		[ "$(readlink /proc/self/ns/user)" = "$(readlink /proc/2/ns/user)" ] && echo same-userns'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	grep -Eq "^ *0 +$AU +1$" <<<"$output"
	[[ "$output" == *same-userns* ]]
	as "$A" "$RVISORCTL" exec a-box sleep 601 3>&- &
	CLIENT=$!
	for _ in $(seq 100); do pgrep -xf "sleep 601" >/dev/null && break; sleep 0.05; done
	p=$(pgrep -xf "sleep 601")
	[ "$(stat -c %u "/proc/$p")" = "$AU" ] # root inside is the member on the host
	[ "$(readlink "/proc/$p/ns/user")" != "$(readlink /proc/self/ns/user)" ]
	grep -q "exec of sleep for uid $AU: pid $p" "$D/rvisord.log" # the journal names the caller
}

@test "-u: any id the member's sandbox maps; one it does not map is UserNotPermitted" {
	start_bg "$A" a-users --image "$D/img-a" -- sh -c 'echo ready; exec sleep 600'
	run as "$A" "$RVISORCTL" exec -u 1000:1001 a-users sh -c 'id -u; id -g; echo $HOME; grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1001 ]
	[ "${lines[2]}" = / ]
	[[ "${lines[3]}" == *0000000000000000 ]] # no capability for a user other than root
	# A uid alone: the group of the same number
	run as "$A" "$RVISORCTL" exec -u 65536 a-users sh -c 'id -u; id -g'
	[ "$output" = $'65536\n65536' ]
	for u in 65537 70000 0:70000; do
		run as "$A" "$RVISORCTL" exec -u "$u" a-users touch /tmp/ran
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$u" == *:* ]] || u=$u:$u
		[[ "$output" == *"rvisord refused to run as user $u: "*"not mapped in the sandbox's user namespace"* ]]
	done
	run as "$A" "$RVISORCTL" exec a-users ls /tmp/ran
	[ "$status" -ne 0 ]
}

@test "another user's sandbox: exec by id and by name is SandboxNotFound and runs nothing; root may" {
	start_bg "$A" a-only --image "$D/img-a" -- sh -c 'echo ready; exec sleep 600'
	id=$(sandbox_field a-only id)
	run as "$B" "$RVISORCTL" exec "$id" touch /tmp/b-was-here
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: no sandbox with id $id: see 'rvisorctl ps'" ]
	run as "$B" "$RVISORCTL" exec a-only touch /tmp/b-was-here
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: no sandbox named 'a-only': see 'rvisorctl ps'" ]
	for p in '"id":'"$id" '"name":"a-only"'; do
		run raw "$B" --fd /dev/null --fd fd:1 --fd fd:2 \
			'{"method":"io.rvisor.Manager.Exec","more":true,"parameters":{'"$p"',"argv":["touch","/tmp/b-was-here"]}}'
		[[ "$output" == *io.rvisor.Manager.SandboxNotFound* ]]
	done
	run as "$A" "$RVISORCTL" exec a-only ls /tmp/b-was-here
	[ "$status" -ne 0 ]
	[ "$(sandbox_tasks a-only | wc -l)" = 2 ] # the init and the workload, nothing of B's
	# Root may: as the workload's user, root inside the member's namespace.
	run "$RVISORCTL" exec "$id" sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	grep -Eq "^ *0 +$AU +1$" <<<"$output"
}

@test "exit codes as docker's: the command's own, 126, 127, 128+N" {
	root_bg codes sleep 600
	run "$RVISORCTL" exec codes true
	[ "$status" -eq 0 ]
	run "$RVISORCTL" exec codes sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run -127 "$RVISORCTL" exec codes /no/such/program
	[ "$output" = "rvisorctl: /no/such/program: command not found in the image (check the path, or PATH with -e)" ]
	run -127 "$RVISORCTL" exec codes no-such-program-in-path
	run -126 "$RVISORCTL" exec codes /etc/motd
	[[ "$output" == *"Cannot execute /etc/motd: Permission denied"* ]]
	run "$RVISORCTL" exec codes sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	run "$RVISORCTL" exec codes sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "by name and by id; an unknown one is 125 with a clear error" {
	root_bg byname sleep 600
	id=$(sandbox_field byname id)
	run "$RVISORCTL" exec byname echo by-name
	[ "$output" = by-name ]
	run "$RVISORCTL" exec "$id" echo by-id
	[ "$output" = by-id ]
	run "$RVISORCTL" exec -- "$id" -- echo after-dashes
	[ "$output" = after-dashes ]
	run "$RVISORCTL" exec no-such-box true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: no sandbox named 'no-such-box': see 'rvisorctl ps'" ]
	run "$RVISORCTL" exec 99999 true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: no sandbox with id 99999: see 'rvisorctl ps'" ]
}

@test "-i passes stdin; without it the command reads /dev/null" {
	root_bg stdin sleep 600
	run bash -c "printf 'one\ntwo\n' | '$RVISORCTL' exec -i stdin wc -l"
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	run bash -c "printf 'one\ntwo\n' | '$RVISORCTL' exec stdin wc -l"
	[ "$output" = 0 ]
	run bash -c "'$RVISORCTL' exec stdin sh -c 'echo out; echo err >&2' 2>/dev/null"
	[ "$output" = out ]
}

@test "-t: the terminal is the command's stdin and TERM=xterm; -t needs -i and a terminal" {
	command -v script >/dev/null || skip "script (util-linux) not installed"
	root_bg tty sleep 600
	run script -qec "'$RVISORCTL' exec -it tty sh -c 'test -t 0 && echo stdin-is-a-tty; echo TERM=\$TERM'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *stdin-is-a-tty* ]]
	[[ "$output" == *TERM=xterm* ]]
	run "$RVISORCTL" exec tty sh -c 'test -t 0 || echo no-tty; echo TERM=$TERM'
	[ "${lines[0]}" = no-tty ]
	[ "${lines[1]}" = TERM=dumb ]
	run "$RVISORCTL" exec -t tty true
	[ "$status" -eq 125 ]
	[[ "$output" == *"-t needs -i"* ]]
	run "$RVISORCTL" exec -it tty true </dev/null
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: -t: stdin is not a terminal: drop -t, or run from a terminal" ]
}

@test "-e, --env-file, -w, -u: over the workload's environment, directory and user" {
	start_bg root envs -e FROM_RUN=run -e SHARED=run -w /tmp --image "$IMAGE" -- sh -c 'echo ready; exec sleep 600'
	printf 'FROM_FILE=file\n# a comment\n\nSHARED=file\n' >"$BATS_TEST_TMPDIR/env"
	FROM_CALLER=caller run "$RVISORCTL" exec --env-file "$BATS_TEST_TMPDIR/env" -e SHARED=exec -e FROM_CALLER \
		-e UNSET_HERE envs sh -c 'echo $FROM_RUN $FROM_FILE $SHARED $FROM_CALLER; pwd; echo $HOME; echo ${UNSET_HERE-unset}'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "run file exec caller" ]
	[ "${lines[1]}" = /tmp ] # the workload's working directory
	[ "${lines[2]}" = /root ]
	[ "${lines[3]}" = unset ]
	run "$RVISORCTL" exec -w /etc -u 5:6 envs sh -c 'pwd; id -u; id -g; echo $HOME'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "/etc 5 6 /" ]
	run "$RVISORCTL" exec -w /no/such/dir envs true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: rvisord could not start the command in the sandbox: Cannot change to the working directory /no/such/dir: No such file or directory" ]
}

@test "bad flags: one line, exit 125, nothing sent" {
	for args in "-w relative x true" "-u abc x true" "-u 1:2:3 x true" "-e =v x true" "--frob x true" \
		"-e" "" "x" "x --" "'a b' true" "0 true" "-t x true"; do
		eval "run '$RVISORCTL' exec $args"
		echo "exec $args: $status $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "rvisorctl: "*"Try 'rvisorctl exec --help'." ]]
	done
	run "$RVISORCTL" exec x ''
	[ "$status" -eq 125 ]
	[[ "$output" == *"The command is empty"* ]]
	run "$RVISORCTL" exec --env-file /no/such/file x true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Cannot read --env-file /no/such/file: No such file or directory"* ]]
	printf 'GOOD=1\n=bad\n' >"$BATS_TEST_TMPDIR/bad-env"
	run "$RVISORCTL" exec --env-file "$BATS_TEST_TMPDIR/bad-env" x true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Invalid line in --env-file"*"'=bad'"* ]]
	run "$RVISORCTL" exec --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: rvisorctl exec "* ]]
}

@test "Exec's bad parameters and descriptors are refused, and nothing runs" {
	start_bg "$A" bad-input --image "$D/img-a" -- sh -c 'echo ready; exec sleep 600'
	id=$(sandbox_field bad-input id)
	call() { # call PARAMETERS [--fd SPEC]...: Exec with more, stdio /dev/null unless given
		local p=$1
		shift
		[ $# -gt 0 ] || set -- --fd /dev/null --fd fd:1 --fd fd:2
		output=$(raw "$A" "$@" '{"method":"io.rvisor.Manager.Exec","more":true,"parameters":{'"$p"'}}')
	}
	invalid() { # invalid PARAMETER: the last call was InvalidParameter naming it
		[[ "$output" == *org.varlink.service.InvalidParameter* && "$output" == *'"parameter":"'"$1"'"'* ]] ||
			{ echo "want InvalidParameter $1: $output"; false; }
	}
	touch=',"argv":["touch","/tmp/ran"]'
	call '"name":"bad-input"'; invalid argv
	call '"name":"bad-input","argv":[]'; invalid argv
	call '"name":"bad-input","argv":[""]'; invalid argv
	call '"name":"bad-input","argv":"touch"'; invalid argv
	call '"name":"bad-input","argv":["touch",5]'; invalid argv
	call '"argv":["true"]'; invalid id
	call '"id":'"$id"',"name":"bad-input"'"$touch"; invalid name
	call '"id":0'"$touch"; invalid id
	call '"name":"a b"'"$touch"; invalid name
	call '"name":"bad-input","cwd":"tmp"'"$touch"; invalid cwd
	call '"name":"bad-input","cwd":5'"$touch"; invalid cwd
	call '"name":"bad-input","user":"0"'"$touch"; invalid user
	call '"name":"bad-input","uid":"root"'"$touch"; invalid uid
	call '"name":"bad-input","uid":"0"'"$touch"; invalid uid
	call '"name":"bad-input","uid":-1'"$touch"; invalid uid
	call '"name":"bad-input","uid":4294967295'"$touch"; invalid uid
	call '"name":"bad-input","uid":4294967296'"$touch"; invalid uid
	call '"name":"bad-input","gid":0'"$touch"; invalid gid
	call '"name":"bad-input","uid":0,"gid":-1'"$touch"; invalid gid
	call '"name":"bad-input","uid":0,"gid":4294967295'"$touch"; invalid gid
	call '"name":"bad-input","env":["NOEQUALS"]'"$touch"; invalid env
	call '"name":"bad-input","env":["=value"]'"$touch"; invalid env
	call '"name":"bad-input","tty":"yes"'"$touch"; invalid tty
	call '"name":"bad-input","frob":1'"$touch"; invalid frob
	# Without gid, the group is the uid's number; the error says both.
	call '"name":"bad-input","uid":70000'"$touch"
	[[ "$output" == *io.rvisor.Manager.UserNotPermitted* && "$output" == *'"uid":70000,"gid":70000,'* ]]
	call '"name":"bad-input","uid":0,"gid":70000'"$touch"
	[[ "$output" == *io.rvisor.Manager.UserNotPermitted* && "$output" == *'"uid":0,"gid":70000,'* ]]
	# Without "more": the call cannot be answered twice.
	raw "$A" --fd /dev/null --fd fd:1 --fd fd:2 \
		'{"method":"io.rvisor.Manager.Exec","parameters":{"name":"bad-input","argv":["touch","/tmp/ran"]}}' |
		grep -q org.varlink.service.ExpectedMore
	# stdio: never a directory or an O_PATH descriptor (the process could walk the host's files)
	call '"name":"bad-input"'"$touch" --fd path:/etc --fd fd:1 --fd fd:2
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":0'* && "$output" == *O_PATH* ]]
	call '"name":"bad-input"'"$touch" --fd /dev/null --fd dir:/ --fd fd:2
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":1'* && "$output" == *directory* ]]
	call '"name":"bad-input"'"$touch" --fd /dev/null --fd fd:1 --fd dir:/etc
	[[ "$output" == *BadFileDescriptor* && "$output" == *'"index":2'* ]]
	run as "$A" "$RVISORCTL" exec bad-input ls /tmp/ran
	[ "$status" -ne 0 ]
	# What was not sent is /dev/null: a call without descriptors runs.
	run raw "$A" '{"method":"io.rvisor.Manager.Exec","more":true,"parameters":{"name":"bad-input","argv":["true"]}}'
	[[ "$output" == *'"state":"started"'*'"pid":'* && "$output" == *'"exit_code":0'* ]]
	[ "$(sandbox_tasks bad-input | wc -l)" = 2 ]
}

@test "a client killed during exec: the command is killed, rvisord keeps nothing of it" {
	root_bg client-gone sleep 600
	fds=$(daemon_fds)
	children=$(daemon_children)
	"$RVISORCTL" exec client-gone sh -c 'sleep 602; echo survived >/tmp/survived' 3>&- &
	CLIENT=$!
	for _ in $(seq 100); do pgrep -xf "sleep 602" >/dev/null && break; sleep 0.05; done
	pgrep -xf "sleep 602"
	[ "$(sandbox_tasks client-gone | wc -l)" = 4 ] # init, workload, sh, sleep
	[ "$(daemon_children)" = $((children + 1)) ] # the exec helper
	kill -KILL "$CLIENT"
	gone "sleep 602"
	settled "$fds" "$children"
	[ "$(sandbox_tasks client-gone | wc -l)" = 2 ]
	grep -q "exec of sh: client disconnected, killing it" "$D/rvisord.log"
	run "$RVISORCTL" exec client-gone cat /tmp/survived
	[ "$status" -ne 0 ]
}

@test "the sandbox ends during exec: the command ends with it, exec says how, nothing is left" {
	fds0=$(daemon_fds)
	root_bg killed sleep 600
	"$RVISORCTL" exec killed sleep 603 >"$BATS_TEST_TMPDIR/exec.out" 2>&1 3>&- &
	CLIENT=$!
	for _ in $(seq 100); do pgrep -xf "sleep 603" >/dev/null && break; sleep 0.05; done
	pgrep -xf "sleep 603"
	"$RVISORCTL" kill killed KILL
	rc=0
	wait "$CLIENT" || rc=$?
	[ "$rc" -eq 137 ] # signal 9, as the pid namespace's end delivers it
	gone "sleep 603"
	settled "$fds0" 0
	assert_nothing_left
	# The workload ending on its own takes an exec'd command with it too.
	start_bg root short --image "$IMAGE" -- sh -c 'echo ready; sleep 2'
	run "$RVISORCTL" exec short sleep 604
	[ "$status" -eq 137 ]
	gone "sleep 604"
	settled "$fds0" 0
	assert_nothing_left
}

@test "many execs, and failed ones, leave rvisord as they found it" {
	fds0=$(daemon_fds)
	root_bg many sleep 600
	fds=$(daemon_fds)
	children=$(daemon_children)
	for i in $(seq 10); do
		run "$RVISORCTL" exec many sh -c "echo $i"
		[ "$output" = "$i" ]
	done
	run "$RVISORCTL" exec -w /no/such/dir many true
	[ "$status" -eq 125 ]
	run -127 "$RVISORCTL" exec many /no/such/program
	run -125 "$RVISORCTL" exec -u 1:2:3 many true
	run -125 "$RVISORCTL" exec nobody true
	settled "$fds" "$children"
	[ "$(sandbox_tasks many | wc -l)" = 2 ]
	"$RVISORCTL" kill many KILL
	settled "$fds0" 0
	assert_nothing_left
}
