#!/bin/bash
# Runs once at boot inside the system tests/system/run.sh builds (as root, from
# rvisor-system-test.service after multi-user.target): the user's path with the installed
# packages. TAP goes to /dev/ttyS1 (and to the console, for people); then the kernel log
# between RVISOR-SYSTEM-DMESG-BEGIN/END markers and "RVISOR-SYSTEM-DONE". The unit powers
# the machine off when this exits.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
results=/dev/ttyS1
stty -F "$results" raw -echo 2>/dev/null
exec 3>"$results"
sock=/run/rvisor/io.rvisor.Manager
image=/srv/busybox

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

echo "rvisor system test on $(uname -r), up $(cut -d' ' -f1 /proc/uptime)s" | note
systemctl is-system-running 2>&1 | sed 's/^/system state: /' | note

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
check "rvisord.service was started by the socket" active rvisord.service active
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

check "rvisord.service has not failed" eval '! systemctl is-failed -q rvisord.service'
systemctl --failed --no-legend --plain 2>&1 | sed 's/^/failed unit: /' | note
journalctl -b -u rvisord.socket -u rvisord --no-pager -o short-monotonic 2>&1 | tail -40 | note

say "1..$n"
{
	echo "RVISOR-SYSTEM-DMESG-BEGIN"
	dmesg
	echo "RVISOR-SYSTEM-DMESG-END"
	echo "RVISOR-SYSTEM-DONE failed=$failed"
} >&3
sync
exit 0
