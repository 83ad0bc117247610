# Helpers shared by the VM bats suites (run inside the guest as root).
# shellcheck disable=SC1091
source /rvisor/expected.env

RVISOR_KO=/rvisor/rvisor.ko

module_loaded() {
	[ -d /sys/module/rvisor ]
}

load_module() {
	module_loaded || insmod "$RVISOR_KO"
}

unload_module() {
	! module_loaded || rmmod rvisor
}

# kernel_log_mark, then kernel_log_clean: fails (and prints the lines) when the kernel logged
# a warning, oops or BUG in between. The ring buffer is left alone for the harness's own check.
kernel_log_mark() {
	dmesg | wc -l >"$BATS_FILE_TMPDIR/dmesg.mark"
}

kernel_log_clean() {
	local from
	from=$(cat "$BATS_FILE_TMPDIR/dmesg.mark")
	! dmesg | tail -n +"$((from + 1))" | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection'
}
