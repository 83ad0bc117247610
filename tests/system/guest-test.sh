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
