# shellcheck shell=bash disable=SC2016,SC2154
# Detached sandboxes across `systemctl restart rvisord` (sourced by guest-test.sh, which
# defines check, as, note, wait_for and active; $image is the busybox image): alice's
# sandboxes outlive the restart through systemd's file descriptor store and KillMode=process
# (docs/packaging.md), with their output, stdin, limits and exit status; the unit starts again
# although they hold cgroups below it; nothing is left once they are removed.

detached_field() { # detached_field NAME JQ: a field of alice's sandbox NAME in ps -a --json
	runuser -u alice -- rvisorctl ps -a --json 2>/dev/null | jq -r ".sandboxes[] | select(.name == \"$1\") | $2"
}

detached_suite() {
	local id init cg pid1 pid2 fds
	runuser -u alice -- rvisorctl rm -f sys-run sys-ended >/dev/null 2>&1

	as alice rvisorctl run -d -i --memory 64M --name sys-run --image "$image" -- \
		sh -c 'echo before; while read l; do echo "got $l"; done; exit 4'
	check "detached: alice: rvisorctl run -d prints the sandbox's id and exits 0 (exit $rc)" \
		eval '[ "$rc" -eq 0 ] && [[ "$out" =~ ^[0-9]+$ ]]'
	id=$out
	as alice rvisorctl run -d --name sys-ended --image "$image" -- sh -c 'echo done; exit 7'
	as alice rvisorctl wait sys-ended
	check "detached: alice: rvisorctl wait prints the exit code 7 (is: $out)" [ "$out" = 7 ]
	init=$(detached_field sys-run .pid)
	cg=$(awk -F: '$1 == "0" { print "/sys/fs/cgroup" $3 }' "/proc/$init/cgroup" 2>/dev/null)
	fds=$(systemctl show -P NFileDescriptorStore rvisord.service 2>/dev/null)
	note <<<"sandbox $id, init $init, cgroup $cg; rvisord.service holds ${fds:-?} descriptors in its store"
	check "detached: rvisord keeps sys-run's descriptors in systemd's store (NFileDescriptorStore = ${fds:-?})" \
		eval '[ "${fds:-0}" -ge 4 ]'

	pid1=$(systemctl show -P MainPID rvisord.service)
	systemctl restart rvisord.service 2>&1 | note
	wait_for 30 active rvisord.service active
	pid2=$(systemctl show -P MainPID rvisord.service)
	systemctl status --no-pager rvisord.service 2>&1 | tail -n 12 | note
	check "detached: systemctl restart rvisord: active again, a new main process ($pid1 -> $pid2)" \
		eval 'active rvisord.service active && [ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ]'
	check "detached: sys-run's init ($init) ran on through the restart" kill -0 "$init"
	journalctl -u rvisord --no-pager -n 30 2>/dev/null | grep -E 'took over|Took over|Leaving|cannot be taken over' | note
	check "detached: the new rvisord took sys-run over: running, same id and init" \
		eval '[ "$(detached_field sys-run .state)" = running ] && [ "$(detached_field sys-run .id)" = "$id" ] &&
			[ "$(detached_field sys-run .pid)" = "$init" ]'
	check "detached: sys-ended is still listed, exited with code 7 (is: $(detached_field sys-ended .state) $(detached_field sys-ended .exit_code))" \
		eval '[ "$(detached_field sys-ended .state)" = exited ] && [ "$(detached_field sys-ended .exit_code)" = 7 ]'
	check "detached: sys-run's cgroup is thawed and has its memory.max again (is: $(cat "$cg/cgroup.freeze" 2>&1), $(cat "$cg/memory.max" 2>&1))" \
		eval '[ "$(cat "$cg/cgroup.freeze")" = 0 ] && [ "$(cat "$cg/memory.max")" = 67108864 ]'

	# Its stdin and output through the descriptors systemd kept.
	echo again | timeout 10 runuser -u alice -- rvisorctl attach --sig-proxy=false sys-run >/tmp/attach.out 2>&1 &
	wait_for 10 eval '[ "$(runuser -u alice -- rvisorctl logs sys-run 2>/dev/null)" = "$(printf "before\ngot again")" ]'
	as alice rvisorctl logs sys-run
	check "detached: alice: logs and attach reach sys-run after the restart (logs: ${out//$'\n'/ | })" \
		eval '[ "$out" = "$(printf "before\ngot again")" ]'
	as alice rvisorctl logs sys-ended
	check "detached: alice: logs of sys-ended, kept across the restart (is: $out)" [ "$out" = "done" ]
	as alice rvisorctl stop -t 2 sys-run
	as alice rvisorctl wait sys-run
	check "detached: alice: stop, then wait: 143, learned though the sandbox is not the new rvisord's child (is: $out)" \
		[ "$out" = 143 ]
	check "detached: sys-run's init is gone" eval '! kill -0 "$init" 2>/dev/null'
	wait

	as alice rvisorctl rm sys-run sys-ended
	check "detached: alice: rm of both (exit $rc)" [ "$rc" -eq 0 ]
	check "detached: nothing of them is left: cgroup, state, records, output" \
		eval '[ ! -e "$cg" ] && [ -z "$(ls -A /run/rvisor/sandboxes 2>/dev/null | grep -vx .containers)" ]'
	# idle_timeout = 5: with nothing listed the daemon exits again.
	check "detached: with them removed, rvisord exits when idle" wait_for 40 eval '! active rvisord.service active'
}
