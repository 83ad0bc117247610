# shellcheck shell=bash disable=SC2016,SC2154
# The sandbox's view of the machine as Debian's own tools show it (sourced by guest-test.sh,
# which defines check, as and note): free, nproc, Python, uptime, top and sysinfo() agree
# with each other and with the limits, two sandboxes see their own, and a policy's limits
# reach the view as --memory and --cpus do. The guest has 2 CPUs.

# What the sandbox prints, one "KEY value" line each.
read -r -d '' view_script <<'SANDBOX'
echo "FREE $(free -m | awk '$1 == "Mem:" { print $2 }')"
echo "MEMINFO $(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
echo "NPROC $(nproc)"
echo "NPROC_ALL $(nproc --all)"
echo "PY $(python3 -c 'import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))')"
echo "SYSINFO $(python3 -c '
import ctypes
class S(ctypes.Structure):
    _fields_ = [("uptime", ctypes.c_long), ("loads", ctypes.c_ulong * 3), ("totalram", ctypes.c_ulong),
                ("freeram", ctypes.c_ulong), ("sharedram", ctypes.c_ulong), ("bufferram", ctypes.c_ulong),
                ("totalswap", ctypes.c_ulong), ("freeswap", ctypes.c_ulong), ("procs", ctypes.c_ushort),
                ("pad", ctypes.c_ushort), ("totalhigh", ctypes.c_ulong), ("freehigh", ctypes.c_ulong),
                ("mem_unit", ctypes.c_uint)]
s = S()
assert ctypes.CDLL(None).sysinfo(ctypes.byref(s)) == 0
print(s.totalram * s.mem_unit // 1024, s.uptime)')"
read -r up _ </proc/uptime
echo "UPTIME ${up%.*}"
echo "UPTIME_CMD $(uptime >/dev/null && echo ok)"
echo "TOP $(top -bn1 | grep -c '^MiB Mem')"
echo "STATCPUS $(grep -c '^cpu[0-9]' /proc/stat)"
echo "LOADAVG $(cut -d' ' -f4 /proc/loadavg)"
SANDBOX

view_of() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$out"; }

views_suite() {
	local free nproc py sysinfo up
	as alice rvisorctl run --memory 256M --cpus 1 --image / -- bash -c "$view_script"
	free=$(view_of FREE) nproc=$(view_of NPROC) py=$(view_of PY) sysinfo=$(view_of SYSINFO)
	up=$(view_of UPTIME)
	check "views: alice's sandbox with --memory 256M --cpus 1 ran (exit $rc)" [ "$rc" -eq 0 ]
	check "views: free -m total = 256 (is: $free)" [ "$free" = 256 ]
	check "views: /proc/meminfo MemTotal = 262144 kB and sysinfo() totalram agrees (is: $(view_of MEMINFO), sysinfo $sysinfo)" \
		eval '[ "$(view_of MEMINFO)" = 262144 ] && [ "${sysinfo% *}" = 262144 ]'
	check "views: nproc = 1, nproc --all = 1 (is: $nproc, $(view_of NPROC_ALL))" \
		eval '[ "$nproc" = 1 ] && [ "$(view_of NPROC_ALL)" = 1 ]'
	check "views: Python's os.cpu_count() and sched_getaffinity agree: 1 1 (is: $py)" [ "$py" = "1 1" ]
	check "views: /proc/uptime starts near 0 and agrees with sysinfo() (is: $up, sysinfo ${sysinfo#* })" \
		eval '[ -n "$up" ] && [ "$up" -lt 30 ] && [ $(( ${sysinfo#* } - up )) -le 2 ]'
	check "views: uptime and top -bn1 run" eval '[ "$(view_of UPTIME_CMD)" = ok ] && [ "$(view_of TOP)" = 1 ]'
	check "views: /proc/stat has one cpu line (is: $(view_of STATCPUS))" [ "$(view_of STATCPUS)" = 1 ]
	check "views: /proc/loadavg counts only the sandbox's tasks (is: $(view_of LOADAVG))" \
		eval '[[ "$(view_of LOADAVG)" =~ ^[1-9]/([1-9]|1[0-9])$ ]]'

	as alice rvisorctl run --memory 128M --cpus 1.5 --image / -- bash -c "$view_script"
	check "views: a second sandbox with --memory 128M --cpus 1.5 sees its own: free 128, nproc 2 (is: $(view_of FREE), $(view_of NPROC))" \
		eval '[ "$(view_of FREE)" = 128 ] && [ "$(view_of NPROC)" = 2 ]'

	# A policy's limits are the view too.
	sed -e 's/^memory[[:space:]]*=.*/memory = 192M/' -e '/^\[sandbox\]/a cpus = 1' \
		/etc/rvisor/policies/default.conf >/etc/rvisor/policies/views-small.conf
	as alice rvisorctl run --policy views-small --image / -- bash -c "$view_script"
	check "views: policy views-small (memory = 192M, cpus = 1): free 192, nproc 1 (is: $(view_of FREE), $(view_of NPROC))" \
		eval '[ "$(view_of FREE)" = 192 ] && [ "$(view_of NPROC)" = 1 ]'
	rm -f /etc/rvisor/policies/views-small.conf
	check "views: no rvisorfs mount is left on the host" eval '! grep -q rvisorfs /proc/self/mountinfo'
}
