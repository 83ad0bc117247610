#!/usr/bin/env bats
# rvisord as an independent varlink client sees it: Debian's Go library (tests/varlink-go/,
# build/tools/varlink-go), whose conn.Call() sends "parameters": null for a call without
# parameters and whose conn.Send() leaves the field out. Every method of io.rvisor.Manager and org.varlink.service,
# with its errors, "more" and "oneway", as root and as an ordinary member of the daemon's
# group; every answer is checked against the description rvisord serves, and each call after
# the first on a connection shows that the connection is still usable.
#   rvtest-vgo: in the daemon's group rvisor-vgo
bats_require_minimum_version 1.5.0

load lib
load daemon
load members

GROUP=rvisor-vgo
MEMBER=rvtest-vgo
CLIENT=$ROOT/build/tools/varlink-go
M=io.rvisor.Manager

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "creates a user and runs rvisord: needs root"
	# Not a skip: without the client this suite would test nothing (make deps installs Go).
	[ -x "$CLIENT" ] && [ -x "$CLIENT.test" ] || {
		echo "$CLIENT is not built: make build/tools/varlink-go build/tools/varlink-go.test" \
			"(needs golang-go and golang-github-varlink-go-dev: make deps)" >&2
		return 1
	}
	members_add "$GROUP" "$MEMBER"
	# The socket where the member can reach it.
	members_daemon_start varlink-go "socket_group = $GROUP"
	# Policies with CPU limits, and one whose CPUs no host here offers.
	printf '[sandbox]\ncpus = 0.5\ncpuset = 0\n[syscalls]\ndefault = pass\n[compat]\nungated = yes\n' \
		>"$POLICIES/vgo-limits.conf"
	printf '[sandbox]\ncpuset = 1000-1001\n[syscalls]\ndefault = pass\n[compat]\nungated = yes\n' \
		>"$POLICIES/vgo-offside.conf"
}

teardown_file() {
	local rc=0
	[ "$(id -u)" -eq 0 ] || return 0
	if [ -n "${RVISOR_TEST_DIR:-}" ]; then
		daemon_file_teardown || rc=1
		rm -rf "$RVISOR_TEST_DIR"
	fi
	members_remove "$GROUP" "$MEMBER"
	return $rc
}

teardown() {
	# A sandbox a test started goes with its client.
	[ -z "${SLEEPER:-}" ] || kill -KILL "$SLEEPER" 2>/dev/null || true
	for _ in $(seq 100); do [ -z "$(ls -A "$D/state" 2>/dev/null)" ] && break; sleep 0.05; done
	return 0
}

# vgo STEP...: the steps on one connection, as root; vgo_member as the group's member.
vgo() {
	"$CLIENT" "unix:$RVISOR_SOCKET" "$@"
}

vgo_member() {
	setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups "$CLIENT" "unix:$RVISOR_SOCKET" "$@"
}

# answer N WHAT: the JSON at the end of output line N, which must begin with WHAT.
answer() {
	local line=${lines[$1]}
	[[ "$line" == "$2 "* ]] || { echo "line $1 is '$line', not '$2 ...'" >&2; return 1; }
	printf '%s\n' "${line#"$2 "}"
}

# start_sleeper NAME: a sandbox of root's that sleeps; SLEEPER is its rvisorctl, SANDBOX its id.
start_sleeper() {
	"$RVISORCTL" run --name "$1" --image "$IMAGE" -- sleep 100 >/dev/null 2>&1 3>&- &
	SLEEPER=$!
	for _ in $(seq 200); do
		SANDBOX=$("$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.name == \"$1\") | .id")
		[ -n "$SANDBOX" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "the answer checker refuses what does not match a description (its own test)" {
	run "$CLIENT.test" -test.v
	[ "$status" -eq 0 ]
	[[ "$output" == *"--- PASS: TestReplyMismatches"* ]]
	[[ "$output" != *FAIL* ]]
}

@test "GetInfo with \"parameters\": null, without parameters and with {}: rvisord, its version, its interface" {
	run vgo org.varlink.service.GetInfo "bare org.varlink.service.GetInfo" 'org.varlink.service.GetInfo {}'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	info=$(answer 0 "org.varlink.service.GetInfo reply")
	[ "$(jq -r .vendor <<<"$info")" = rvisor ]
	[ "$(jq -r .product <<<"$info")" = rvisord ]
	[ "$(jq -r .version <<<"$info")" = "$RVISOR_VERSION" ]
	[ "$(jq -c .interfaces <<<"$info")" = '["org.varlink.service","io.rvisor.Manager"]' ]
	[ "$(answer 1 "org.varlink.service.GetInfo reply")" = "$info" ]
	[ "$(answer 2 "org.varlink.service.GetInfo reply")" = "$info" ]
	run vgo 'org.varlink.service.GetInfo {"extra":1}' org.varlink.service.GetInfo
	[ "${lines[0]}" = 'org.varlink.service.GetInfo error org.varlink.service.InvalidParameter {"parameter":"extra"}' ]
	answer 1 "org.varlink.service.GetInfo reply"
}

@test "GetInterfaceDescription: the text of rvisord/io.rvisor.Manager.varlink; an unknown interface, or none named" {
	run vgo "org.varlink.service.GetInterfaceDescription {\"interface\":\"$M\"}" \
		'org.varlink.service.GetInterfaceDescription {"interface":"org.example.none"}' \
		org.varlink.service.GetInterfaceDescription \
		'org.varlink.service.GetInterfaceDescription {"interface":7}' \
		'org.varlink.service.GetInterfaceDescription {"interface":"org.varlink.service"}'
	[ "$status" -eq 0 ]
	diff <(answer 0 "org.varlink.service.GetInterfaceDescription reply" | jq -j .description) \
		"$ROOT/rvisord/io.rvisor.Manager.varlink"
	[ "${lines[1]}" = 'org.varlink.service.GetInterfaceDescription error org.varlink.service.InterfaceNotFound {"interface":"org.example.none"}' ]
	[ "${lines[2]}" = 'org.varlink.service.GetInterfaceDescription error org.varlink.service.InvalidParameter {"parameter":"interface"}' ]
	[ "${lines[3]}" = 'org.varlink.service.GetInterfaceDescription error org.varlink.service.InvalidParameter {"parameter":"interface"}' ]
	answer 4 "org.varlink.service.GetInterfaceDescription reply" | jq -e '.description | contains("interface org.varlink.service\n")'
}

@test "Status, Policies and List with \"parameters\": null and without parameters" {
	run vgo $M.Status "bare $M.Status" $M.Policies "bare $M.Policies" $M.List "bare $M.List"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	status_json=$(answer 0 "$M.Status reply")
	[ "$(jq -r .version <<<"$status_json")" = "$RVISOR_VERSION" ]
	[ "$(jq -r .abi <<<"$status_json")" = "$RVISOR_ABI" ]
	[ "$(jq -r .platform <<<"$status_json")" = seccomp ]
	[ "$(answer 1 "$M.Status reply" | jq -r .platform)" = seccomp ]
	[ "$(answer 2 "$M.Policies reply" | jq -c .policies)" = '["default","permissive","vgo-limits","vgo-offside"]' ]
	[ "$(answer 3 "$M.Policies reply" | jq -c .policies)" = '["default","permissive","vgo-limits","vgo-offside"]' ]
	[ "$(answer 4 "$M.List reply")" = '{"sandboxes":[]}' ]
	[ "$(answer 5 "$M.List reply")" = '{"sandboxes":[]}' ]
}

@test "GetPolicy: a policy, an unknown one (PolicyNotFound), none named, a name of the wrong type" {
	run vgo "$M.GetPolicy {\"name\":\"default\"}" "$M.GetPolicy {\"name\":\"nonexistent\"}" \
		$M.GetPolicy "$M.GetPolicy {\"name\":[\"default\"]}" "$M.GetPolicy {\"name\":\"permissive\"}"
	[ "$status" -eq 0 ]
	[ "$(answer 0 "$M.GetPolicy reply" | jq -r .policy.name)" = default ]
	[ "${lines[1]}" = "$M.GetPolicy error $M.PolicyNotFound {\"policy\":\"nonexistent\"}" ]
	[ "${lines[2]}" = "$M.GetPolicy error org.varlink.service.InvalidParameter {\"parameter\":\"name\"}" ]
	[ "${lines[3]}" = "$M.GetPolicy error org.varlink.service.InvalidParameter {\"parameter\":\"name\"}" ]
	[ "$(answer 4 "$M.GetPolicy reply" | jq -r .policy.name)" = permissive ]
}

@test "CheckPolicy: a good policy, a bad one (PolicyInvalid with FILE:LINE), a text missing" {
	good=$(jq -cn --rawfile t "$ROOT/etc/rvisor/policies/default.conf" '{name: "mine", text: $t}')
	bad=$(jq -cn '{name: "mine", text: "[sandbox]\nmemory = lots\n"}')
	run vgo "$M.CheckPolicy $good" "$M.CheckPolicy $bad" "$M.CheckPolicy {\"name\":\"mine\"}" $M.Status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.CheckPolicy reply {}" ]
	reason=$(answer 1 "$M.CheckPolicy error $M.PolicyInvalid" | jq -r .reason)
	[[ "$reason" == "mine:2: "*memory* ]]
	[ "${lines[2]}" = "$M.CheckPolicy error org.varlink.service.InvalidParameter {\"parameter\":\"text\"}" ]
	answer 3 "$M.Status reply"
}

@test "Inspect and Kill: an unknown id is SandboxNotFound; a wrong type, an unknown parameter, none" {
	run vgo "$M.Inspect {\"id\":424242}" "$M.Kill {\"id\":424242,\"signal\":15}" \
		"$M.Inspect {\"id\":\"1\"}" "$M.Kill {\"id\":1.5}" "$M.Inspect {\"id\":1,\"verbose\":true}" \
		$M.Inspect "bare $M.Kill" $M.Status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.Inspect error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[1]}" = "$M.Kill error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[2]}" = "$M.Inspect error org.varlink.service.InvalidParameter {\"parameter\":\"id\"}" ]
	[ "${lines[3]}" = "$M.Kill error org.varlink.service.InvalidParameter {\"parameter\":\"id\"}" ]
	[ "${lines[4]}" = "$M.Inspect error org.varlink.service.InvalidParameter {\"parameter\":\"verbose\"}" ]
	[ "${lines[5]}" = "$M.Inspect error org.varlink.service.InvalidParameter {\"parameter\":\"id\"}" ]
	[ "${lines[6]}" = "$M.Kill error org.varlink.service.InvalidParameter {\"parameter\":\"id\"}" ]
	answer 7 "$M.Status reply"
}

@test "a running sandbox: List and Inspect answer as described, a bad signal is refused, Kill ends it" {
	start_sleeper vgo-root
	run vgo $M.List "$M.Inspect {\"id\":$SANDBOX}" "$M.Kill {\"id\":$SANDBOX,\"signal\":\"SIGKILL\"}" \
		"$M.Kill {\"id\":$SANDBOX,\"signal\":65}" "$M.Kill {\"id\":$SANDBOX,\"signal\":9}"
	[ "$status" -eq 0 ]
	[ "$(answer 0 "$M.List reply" | jq -r '.sandboxes[0].name')" = vgo-root ]
	inspect=$(answer 1 "$M.Inspect reply")
	[ "$(jq -r .sandbox.id <<<"$inspect")" = "$SANDBOX" ]
	[ "$(jq -c .sandbox.command <<<"$inspect")" = '["sleep","100"]' ]
	[ "${lines[2]}" = "$M.Kill error org.varlink.service.InvalidParameter {\"parameter\":\"signal\"}" ]
	[ "${lines[3]}" = "$M.Kill error org.varlink.service.InvalidParameter {\"parameter\":\"signal\"}" ]
	[ "${lines[4]}" = "$M.Kill reply {}" ]
	rc=0
	wait "$SLEEPER" || rc=$?
	[ "$rc" -eq 137 ]
	SLEEPER=
	assert_nothing_left
}

@test "Logs, Attach, Wait, Stop, Remove, and a detached sandbox's List, Inspect and Wait answer as described" {
	"$RVISORCTL" run -d --name vgo-x --image "$IMAGE" -- sh -c 'exit 3' >/dev/null
	"$RVISORCTL" wait vgo-x >/dev/null
	"$RVISORCTL" run -d -i -t --name vgo-r --image "$IMAGE" -- sleep 100 >/dev/null
	x=$("$RVISORCTL" ps -a --json | jq -r '.sandboxes[] | select(.name == "vgo-x") | .id')
	r=$("$RVISORCTL" ps -a --json | jq -r '.sandboxes[] | select(.name == "vgo-r") | .id')
	run vgo $M.List "$M.Inspect {\"name\":\"vgo-x\"}" "$M.Wait {\"name\":\"vgo-x\"}" "more $M.Wait {\"id\":$x}" \
		"$M.Logs {\"name\":\"vgo-x\"}" "more $M.Logs {\"name\":\"vgo-x\",\"follow\":true}" \
		"$M.Logs {\"name\":\"vgo-x\",\"follow\":true}" "$M.Attach {\"name\":\"vgo-r\"}" \
		"more $M.Attach {\"name\":\"vgo-x\"}" "more $M.Attach {\"name\":\"vgo-r\"}" \
		"$M.Remove {\"name\":\"vgo-r\"}" "$M.Stop {\"name\":\"vgo-x\"}" "$M.Stop {\"name\":\"vgo-r\",\"timeout\":-1}" \
		"$M.Kill {\"name\":\"vgo-x\"}" "$M.Wait {\"id\":424242}" "$M.Stop {\"id\":424242}" \
		"$M.Remove {\"id\":424242}" "more $M.Logs {\"id\":424242}" "$M.Remove {\"name\":\"vgo-x\",\"force\":1}" \
		"$M.Remove {\"name\":\"vgo-x\"}" "$M.Stop {\"name\":\"vgo-r\",\"timeout\":0}" \
		"$M.Remove {\"id\":$r,\"name\":\"vgo-r\"}" "$M.Remove {\"name\":\"vgo-r\"}" $M.List
	[ "$status" -eq 0 ]
	[ "$(answer 0 "$M.List reply" | jq -c '[.sandboxes[] | [.name, .state, .detached, .exit_code, .tty]] | sort')" = \
		'[["vgo-r","running",true,null,true],["vgo-x","exited",true,3,false]]' ]
	[ "$(answer 1 "$M.Inspect reply" | jq -c '.sandbox | [.state, .exit_code, .pid]')" = '["exited",3,0]' ]
	[ "${lines[2]}" = "$M.Wait reply {\"exit_code\":3}" ]
	[ "${lines[3]}" = "$M.Wait reply {\"exit_code\":3}" ]
	[ "${lines[4]}" = "$M.Logs error $M.BadFileDescriptor {\"index\":0,\"reason\":\"no pipe for the output was sent\"}" ]
	[ "${lines[5]}" = "$M.Logs error $M.BadFileDescriptor {\"index\":0,\"reason\":\"no pipe for the output was sent\"}" ]
	[ "${lines[6]}" = "$M.Logs error org.varlink.service.ExpectedMore {}" ]
	[ "${lines[7]}" = "$M.Attach error org.varlink.service.ExpectedMore {}" ]
	[ "${lines[8]}" = "$M.Attach error $M.SandboxNotRunning {\"id\":$x}" ]
	[ "$(answer 9 "$M.Attach error $M.BadFileDescriptor" | jq -r .index)" = 0 ]
	[ "${lines[10]}" = "$M.Remove error $M.SandboxRunning {\"id\":$r}" ]
	[ "${lines[11]}" = "$M.Stop reply {}" ]
	[ "${lines[12]}" = "$M.Stop error org.varlink.service.InvalidParameter {\"parameter\":\"timeout\"}" ]
	[ "${lines[13]}" = "$M.Kill error $M.SandboxNotRunning {\"id\":$x}" ]
	[ "${lines[14]}" = "$M.Wait error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[15]}" = "$M.Stop error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[16]}" = "$M.Remove error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[17]}" = "$M.Logs error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[18]}" = "$M.Remove error org.varlink.service.InvalidParameter {\"parameter\":\"force\"}" ]
	[ "${lines[19]}" = "$M.Remove reply {}" ]
	[ "${lines[20]}" = "$M.Stop reply {}" ]
	[ "${lines[21]}" = "$M.Remove error org.varlink.service.InvalidParameter {\"parameter\":\"name\"}" ]
	[ "${lines[22]}" = "$M.Remove reply {}" ]
	[ "$(answer 23 "$M.List reply")" = '{"sandboxes":[]}' ]
	assert_nothing_left
}

@test "a member of the group: another user's detached sandbox is SandboxNotFound to every new method" {
	"$RVISORCTL" run -d --name vgo-roots-d --image "$IMAGE" -- sleep 100 >/dev/null
	id=$("$RVISORCTL" ps --json | jq -r '.sandboxes[] | select(.name == "vgo-roots-d") | .id')
	run vgo_member "$M.Wait {\"id\":$id}" "$M.Wait {\"name\":\"vgo-roots-d\"}" "$M.Stop {\"id\":$id}" \
		"$M.Stop {\"name\":\"vgo-roots-d\"}" "$M.Remove {\"id\":$id,\"force\":true}" \
		"$M.Remove {\"name\":\"vgo-roots-d\",\"force\":true}" "more $M.Logs {\"id\":$id}" \
		"more $M.Logs {\"name\":\"vgo-roots-d\"}" "more $M.Attach {\"id\":$id}" \
		"more $M.Attach {\"name\":\"vgo-roots-d\"}"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 10 ]
	for i in 0 2 4 6 8; do
		[[ "${lines[$i]}" == *" error $M.SandboxNotFound {\"id\":$id}" ]] || { echo "${lines[$i]}"; false; }
		[[ "${lines[$((i + 1))]}" == *" error $M.SandboxNotFound {\"name\":\"vgo-roots-d\"}" ]] || { echo "${lines[$((i + 1))]}"; false; }
	done
	[ "$("$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.id == $id) | .state")" = running ]
	"$RVISORCTL" rm -f "$id"
	assert_nothing_left
}

@test "Run: without \"more\" ExpectedMore; with it but without fds (the library sends none) BadFileDescriptor; nothing left" {
	run vgo "$M.Run {\"image\":\"/x\",\"argv\":[\"true\"]}" "more $M.Run {\"image\":\"/x\",\"argv\":[\"true\"]}" \
		"more $M.Run {\"image\":\"relative\",\"argv\":[\"true\"]}" "more $M.Run {\"argv\":[\"true\"]}" \
		"more $M.Run {\"image\":\"/x\",\"argv\":\"true\"}" "oneway $M.Run {\"image\":\"/x\",\"argv\":[\"true\"]}" \
		$M.List
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.Run error org.varlink.service.ExpectedMore {}" ]
	bad_fd=$(answer 1 "$M.Run error $M.BadFileDescriptor")
	[ "$(jq -r .index <<<"$bad_fd")" = 3 ]
	[[ "$(jq -r .reason <<<"$bad_fd")" == "no image directory was sent"* ]]
	[ "${lines[2]}" = "$M.Run error $M.ImageNotFound {\"image\":\"relative\",\"reason\":\"the image must be an absolute path\"}" ]
	[ "${lines[3]}" = "$M.Run error org.varlink.service.InvalidParameter {\"parameter\":\"image\"}" ]
	[ "${lines[4]}" = "$M.Run error org.varlink.service.InvalidParameter {\"parameter\":\"argv\"}" ]
	[ "${lines[5]}" = "$M.Run sent" ]
	[ "$(answer 6 "$M.List reply")" = '{"sandboxes":[]}' ]
	assert_nothing_left
}

@test "Run's checks before it looks at its fds answer as declared: limits, CPUs, policies, users" {
	run_with() { echo "more $M.Run {\"image\":\"/x\",\"argv\":[\"true\"],$1}"; }
	run vgo "$(run_with '"memory":1099511627776000')" "$(run_with '"pids":5000')" \
		"$(run_with '"policy":"vgo-limits","cpus_milli":800')" "$(run_with '"policy":"vgo-limits","cpuset":"1"')" \
		"$(run_with '"cpuset":"1000"')" "$(run_with '"policy":"vgo-offside"')" \
		"$(run_with '"policy":"nonexistent"')" "$(run_with '"name":"a b"')" \
		"$(run_with '"bundle_config":"[]"')" "$(run_with '"pids":0')" "$(run_with '"cpus_milli":1')" $M.List
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.Run error $M.LimitAbovePolicy {\"parameter\":\"memory\",\"policy\":\"default\",\"limit\":536870912}" ]
	[ "${lines[1]}" = "$M.Run error $M.LimitAbovePolicy {\"parameter\":\"pids\",\"policy\":\"default\",\"limit\":1024}" ]
	[ "${lines[2]}" = "$M.Run error $M.LimitAbovePolicy {\"parameter\":\"cpus_milli\",\"policy\":\"vgo-limits\",\"limit\":500}" ]
	[ "$(answer 3 "$M.Run error $M.LimitAbovePolicy" | jq -c '[.parameter, .cpuset]')" = '["cpuset","0"]' ]
	[ "$(answer 4 "$M.Run error $M.CpusetUnavailable" | jq -c '[.cpuset, .policy]')" = '["1000",null]' ]
	[ "$(answer 5 "$M.Run error $M.CpusetUnavailable" | jq -c '[.cpuset, .policy]')" = '["1000-1001","vgo-offside"]' ]
	[ "${lines[6]}" = "$M.Run error $M.PolicyNotFound {\"policy\":\"nonexistent\"}" ]
	[ "${lines[7]}" = "$M.Run error org.varlink.service.InvalidParameter {\"parameter\":\"name\"}" ]
	[ "$(answer 8 "$M.Run error $M.SandboxFailed" | jq -r .reason)" = "config.json: not a JSON object" ]
	[ "${lines[9]}" = "$M.Run error org.varlink.service.InvalidParameter {\"parameter\":\"pids\"}" ]
	[ "${lines[10]}" = "$M.Run error org.varlink.service.InvalidParameter {\"parameter\":\"cpus_milli\"}" ]
	[ "$(answer 11 "$M.List reply")" = '{"sandboxes":[]}' ]
	# A member may not name a user outside its sandboxes' user namespace.
	run vgo_member "$(run_with '"uid":4242')" "$(run_with '"uid":0,"gid":4242')" $M.List
	[ "$status" -eq 0 ]
	[ "$(answer 0 "$M.Run error $M.UserNotPermitted" | jq -c '[.uid, .gid]')" = '[4242,4242]' ]
	[ "$(answer 1 "$M.Run error $M.UserNotPermitted" | jq -c '[.uid, .gid]')" = '[0,4242]' ]
	[ "$(answer 2 "$M.List reply")" = '{"sandboxes":[]}' ]
	assert_nothing_left
}

@test "Exec: without \"more\" ExpectedMore; started and exited as declared (stdio /dev/null: no fds); its errors" {
	start_sleeper vgo-exec
	exec_with() { echo "more $M.Exec {\"id\":$SANDBOX,$1}"; }
	run vgo "$M.Exec {\"id\":$SANDBOX,\"argv\":[\"true\"]}" "$(exec_with '"argv":["sh","-c","exit 3"]')" \
		"$(exec_with '"argv":["/no/such/program"]')" "$(exec_with '"argv":["true"],"cwd":"/no/such/dir"')" \
		"more $M.Exec {\"id\":424242,\"argv\":[\"true\"]}" "more $M.Exec {\"name\":\"vgo-exec\"}" \
		"$(exec_with '"argv":["true"],"uid":"0"')" "$(exec_with '"argv":[],"tty":true')" $M.Status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.Exec error org.varlink.service.ExpectedMore {}" ]
	started=$(answer 1 "$M.Exec continues")
	[ "$(jq -c '[.state, .id]' <<<"$started")" = "[\"started\",$SANDBOX]" ]
	[ "$(jq -r .pid <<<"$started")" -gt 0 ]
	[ "$(answer 2 "$M.Exec reply")" = "{\"state\":\"exited\",\"id\":$SANDBOX,\"exit_code\":3}" ]
	answer 3 "$M.Exec continues"
	[ "$(answer 4 "$M.Exec reply")" = "{\"state\":\"exited\",\"id\":$SANDBOX,\"exec_errno\":2}" ]
	[ "$(answer 5 "$M.Exec error $M.ExecFailed" | jq -r .reason)" = \
		"Cannot change to the working directory /no/such/dir: No such file or directory" ]
	[ "${lines[6]}" = "$M.Exec error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[7]}" = "$M.Exec error org.varlink.service.InvalidParameter {\"parameter\":\"argv\"}" ]
	[ "${lines[8]}" = "$M.Exec error org.varlink.service.InvalidParameter {\"parameter\":\"uid\"}" ]
	[ "${lines[9]}" = "$M.Exec error org.varlink.service.InvalidParameter {\"parameter\":\"argv\"}" ]
	answer 10 "$M.Status reply"
	# Root's sandbox is not the member's to join.
	run vgo_member "more $M.Exec {\"id\":$SANDBOX,\"argv\":[\"true\"]}"
	[ "${lines[0]}" = "$M.Exec error $M.SandboxNotFound {\"id\":$SANDBOX}" ]
	"$RVISORCTL" kill "$SANDBOX" KILL
	rc=0
	wait "$SLEEPER" || rc=$?
	[ "$rc" -eq 137 ]
	SLEEPER=
	assert_nothing_left
}

@test "PrepareContainer: the container policy's layers and filters; an unknown policy; a wrong type" {
	run vgo $M.PrepareContainer "bare $M.PrepareContainer" "$M.PrepareContainer {\"policy\":\"nonexistent\"}" \
		"$M.PrepareContainer {\"engine_seccomp\":\"yes\"}" "$M.PrepareContainer {\"policy\":\"permissive\",\"engine_seccomp\":true}"
	[ "$status" -eq 0 ]
	prepared=$(answer 0 "$M.PrepareContainer reply")
	[ "$(jq -r .policy <<<"$prepared")" = default ]
	[ "$(jq -c .layers <<<"$prepared")" = '["seccomp"]' ]
	[ "$(jq '.seccomp_bpf | length' <<<"$prepared")" -ge 1 ]
	[ "$(answer 1 "$M.PrepareContainer reply")" = "$prepared" ]
	[ "${lines[2]}" = "$M.PrepareContainer error $M.PolicyNotFound {\"policy\":\"nonexistent\"}" ]
	[ "${lines[3]}" = "$M.PrepareContainer error org.varlink.service.InvalidParameter {\"parameter\":\"engine_seccomp\"}" ]
	[ "$(answer 4 "$M.PrepareContainer reply" | jq -r .policy)" = permissive ]
}

@test "BindContainer without a pidfd: KernelLayerUnavailable on the host; bad input InvalidParameter" {
	# Without rvisor.ko nothing can be bound, so that is the answer before the pidfd is looked
	# at (with the module: BadFileDescriptor index 0, tests/vm/oci.bats).
	run vgo "$M.BindContainer {\"container\":\"vgo-c1\",\"bundle\":\"/b\",\"command\":[\"true\"]}" \
		"$M.BindContainer {\"container\":\"../c\",\"bundle\":\"/b\",\"command\":[\"true\"]}" \
		"$M.BindContainer {\"container\":\"vgo-c1\",\"bundle\":\"b\",\"command\":[\"true\"]}" \
		"$M.BindContainer {\"container\":\"vgo-c1\",\"bundle\":\"/b\"}" $M.BindContainer $M.List
	[ "$status" -eq 0 ]
	[ "$(answer 0 "$M.BindContainer error $M.KernelLayerUnavailable" | jq -r .reason)" = \
		"rvisor.ko is not loaded: nothing to bind a container to" ]
	[ "${lines[1]}" = "$M.BindContainer error org.varlink.service.InvalidParameter {\"parameter\":\"container\"}" ]
	[ "${lines[2]}" = "$M.BindContainer error org.varlink.service.InvalidParameter {\"parameter\":\"bundle\"}" ]
	[ "${lines[3]}" = "$M.BindContainer error org.varlink.service.InvalidParameter {\"parameter\":\"command\"}" ]
	[[ "${lines[4]}" == "$M.BindContainer error org.varlink.service.InvalidParameter "* ]]
	[ "$(answer 5 "$M.List reply")" = '{"sandboxes":[]}' ]
}

@test "ReleaseContainer: an unknown container is ContainerNotFound; an invalid id InvalidParameter" {
	run vgo "$M.ReleaseContainer {\"container\":\"vgo-none\"}" "$M.ReleaseContainer {\"container\":\"a/b\"}" \
		$M.ReleaseContainer $M.Status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.ReleaseContainer error $M.ContainerNotFound {\"container\":\"vgo-none\"}" ]
	[ "${lines[1]}" = "$M.ReleaseContainer error org.varlink.service.InvalidParameter {\"parameter\":\"container\"}" ]
	[ "${lines[2]}" = "$M.ReleaseContainer error org.varlink.service.InvalidParameter {\"parameter\":\"container\"}" ]
	answer 3 "$M.Status reply"
}

@test "unknown methods and interfaces: MethodNotFound, InterfaceNotFound; the connection goes on" {
	run vgo $M.Nope org.varlink.service.Nope Status org.example.none.Call "bare $M.Nope" \
		"more $M.Nope" org.varlink.service.GetInfo
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.Nope error org.varlink.service.MethodNotFound {\"method\":\"$M.Nope\"}" ]
	[ "${lines[1]}" = 'org.varlink.service.Nope error org.varlink.service.MethodNotFound {"method":"org.varlink.service.Nope"}' ]
	[ "${lines[2]}" = 'Status error org.varlink.service.MethodNotFound {"method":"Status"}' ]
	[ "${lines[3]}" = 'org.example.none.Call error org.varlink.service.InterfaceNotFound {"interface":"org.example.none"}' ]
	[ "${lines[4]}" = "${lines[0]}" ]
	[ "${lines[5]}" = "${lines[0]}" ]
	answer 6 "org.varlink.service.GetInfo reply"
}

@test "\"more\" on methods that answer once: one reply without \"continues\", errors too" {
	run vgo "more $M.Status" "more $M.List" "more $M.Policies" "more org.varlink.service.GetInfo" \
		"more $M.Inspect {\"id\":424242}" "more $M.GetPolicy {\"name\":\"nonexistent\"}" $M.Status
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 7 ]
	[[ "$output" != *continues* ]]
	answer 0 "$M.Status reply"
	[ "$(answer 1 "$M.List reply")" = '{"sandboxes":[]}' ]
	answer 2 "$M.Policies reply"
	answer 3 "org.varlink.service.GetInfo reply"
	[ "${lines[4]}" = "$M.Inspect error $M.SandboxNotFound {\"id\":424242}" ]
	[ "${lines[5]}" = "$M.GetPolicy error $M.PolicyNotFound {\"policy\":\"nonexistent\"}" ]
	answer 6 "$M.Status reply"
}

@test "\"oneway\": no answer, not even an error; the next call gets its own reply" {
	run vgo "oneway $M.Status" "oneway $M.Inspect {\"id\":424242}" "oneway $M.Nope" "oneway $M.Inspect" \
		"oneway org.varlink.service.GetInfo" $M.Policies org.varlink.service.GetInfo
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 7 ]
	for i in 0 1 2 3; do [[ "${lines[$i]}" == "io.rvisor.Manager."*" sent" ]]; done
	[ "${lines[4]}" = "org.varlink.service.GetInfo sent" ]
	[ "$(answer 5 "$M.Policies reply" | jq -c .policies)" = '["default","permissive","vgo-limits","vgo-offside"]' ]
	answer 6 "org.varlink.service.GetInfo reply"
}

@test "\"oneway\" Kill is carried out" {
	start_sleeper vgo-oneway
	run vgo "oneway $M.Kill {\"id\":$SANDBOX,\"signal\":9}" $M.Status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$M.Kill sent" ]
	answer 1 "$M.Status reply"
	rc=0
	wait "$SLEEPER" || rc=$?
	[ "$rc" -eq 137 ]
	SLEEPER=
	assert_nothing_left
}

@test "a member of the group: its own view, root's sandbox SandboxNotFound, every method answered" {
	start_sleeper vgo-roots
	good=$(jq -cn --rawfile t "$ROOT/etc/rvisor/policies/default.conf" '{name: "mine", text: $t}')
	run vgo_member org.varlink.service.GetInfo $M.Status $M.Policies $M.List \
		"$M.Inspect {\"id\":$SANDBOX}" "$M.Kill {\"id\":$SANDBOX,\"signal\":9}" \
		"oneway $M.Kill {\"id\":$SANDBOX,\"signal\":9}" \
		"$M.GetPolicy {\"name\":\"default\"}" "$M.GetPolicy {\"name\":\"nonexistent\"}" \
		"$M.CheckPolicy $good" "more $M.Run {\"image\":\"/x\",\"argv\":[\"true\"]}" \
		$M.PrepareContainer "$M.BindContainer {\"container\":\"vgo-c1\",\"bundle\":\"/b\",\"command\":[\"true\"]}" \
		"$M.ReleaseContainer {\"container\":\"vgo-c1\"}" $M.Nope "$M.Inspect {\"id\":\"x\"}"
	[ "$status" -eq 0 ]
	answer 0 "org.varlink.service.GetInfo reply"
	[ "$(answer 1 "$M.Status reply" | jq -r .sandboxes)" -ge 0 ]
	answer 2 "$M.Policies reply"
	[ "$(answer 3 "$M.List reply")" = '{"sandboxes":[]}' ] # root's is not the member's to see
	[ "${lines[4]}" = "$M.Inspect error $M.SandboxNotFound {\"id\":$SANDBOX}" ]
	[ "${lines[5]}" = "$M.Kill error $M.SandboxNotFound {\"id\":$SANDBOX}" ]
	[ "${lines[6]}" = "$M.Kill sent" ]
	[ "$(answer 7 "$M.GetPolicy reply" | jq -r .policy.name)" = default ]
	[ "${lines[8]}" = "$M.GetPolicy error $M.PolicyNotFound {\"policy\":\"nonexistent\"}" ]
	[ "${lines[9]}" = "$M.CheckPolicy reply {}" ]
	[ "$(answer 10 "$M.Run error $M.BadFileDescriptor" | jq -r .index)" = 3 ]
	[ "$(answer 11 "$M.PrepareContainer reply" | jq -r .policy)" = default ]
	answer 12 "$M.BindContainer error $M.KernelLayerUnavailable"
	[ "${lines[13]}" = "$M.ReleaseContainer error $M.ContainerNotFound {\"container\":\"vgo-c1\"}" ]
	[ "${lines[14]}" = "$M.Nope error org.varlink.service.MethodNotFound {\"method\":\"$M.Nope\"}" ]
	[ "${lines[15]}" = "$M.Inspect error org.varlink.service.InvalidParameter {\"parameter\":\"id\"}" ]
	# Neither kill reached root's sandbox.
	kill -0 "$SLEEPER"
	[ "$("$RVISORCTL" ps --json | jq -r ".sandboxes[] | select(.id == $SANDBOX) | .name")" = vgo-roots ]
	run vgo "$M.Kill {\"id\":$SANDBOX,\"signal\":9}"
	[ "${lines[0]}" = "$M.Kill reply {}" ]
	rc=0
	wait "$SLEEPER" || rc=$?
	[ "$rc" -eq 137 ]
	SLEEPER=
	assert_nothing_left
}

@test "the client fails (exit 1) where it cannot connect, and on a usage error (exit 2)" {
	run "$CLIENT" "unix:$RVISOR_TEST_DIR/none.sock" $M.Status
	[ "$status" -eq 1 ]
	[[ "$output" == "introspection failed: "*"no such file or directory"* ]]
	run "$CLIENT" "unix:$RVISOR_SOCKET" "$M.Status {"
	[ "$status" -eq 2 ]
	[[ "$output" == *"the parameters are not JSON"* ]]
	run "$CLIENT" "unix:$RVISOR_SOCKET"
	[ "$status" -eq 2 ]
}
