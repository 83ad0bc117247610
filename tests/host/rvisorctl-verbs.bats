#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# rvisorctl's verbs without a daemon: every bad input is one line saying what to do, with the
# right exit code (2 usage, 125 run's and attach's usage errors and own failures, 1 the other
# verbs' failures).
# At the end, against a fake rvisord that answers with canned replies: what run sends, and what
# ps and stats print of what comes back.

load lib

setup_file() {
	# The fake rvisord: one C file, built here (cc is a build dependency anyway).
	export FAKE_RVISORD=$BATS_FILE_TMPDIR/fake-rvisord
	fake_rvisord_source | cc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$FAKE_RVISORD" -x c -
}

setup() {
	export RVISOR_SOCKET="$BATS_TEST_TMPDIR/no-such-socket"
	export RVISOR_DEVICE=/nonexistent/rvisor
	# A root filesystem directory (an empty one will do until a daemon runs it).
	export IMG=$BATS_TEST_TMPDIR/img
	mkdir -p "$IMG"
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	[ -z "${WORLD_DIR:-}" ] || rm -rf "$WORLD_DIR"
}

# The last `run` was a usage error of VERB: exit 2 (125 for run and attach, as docker: the
# program may exit 2 itself), one line, naming the verb's --help.
usage_error() {
	if [ "$1" = run ] || [ "$1" = attach ]; then [ "$status" -eq 125 ]; else [ "$status" -eq 2 ]; fi
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "rvisorctl: "*". Try 'rvisorctl $1 --help'." ]]
}

# The last `run` found no daemon: exit CODE, one line, the hint.
not_running() {
	[ "$status" -eq "$1" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "rvisorctl: rvisord is not running: systemctl start rvisord.socket"* ]]
}

@test "--help lists every verb" {
	run "$RVISORCTL" --help
	[ "$status" -eq 0 ]
	for verb in run ps stats kill logs attach wait stop rm inspect policy status; do
		[[ "$output" == *"  $verb "* ]]
	done
}

@test "every verb has --help, exit 0" {
	for verb in run ps stats kill logs attach wait stop rm inspect policy status; do
		run "$RVISORCTL" "$verb" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: rvisorctl $verb"* ]]
	done
	run "$RVISORCTL" policy show --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"policy check FILE"* ]]
}

@test "run --help names the options and the exit codes" {
	run "$RVISORCTL" run --help
	[ "$status" -eq 0 ]
	for opt in --image --policy --memory --name --env --workdir --user --tty --interactive --json --userns; do
		[[ "$output" == *"$opt"* ]]
	done
	[[ "$output" == *"125 when rvisor failed"* ]]
}

@test "run without --image is a usage error" {
	run "$RVISORCTL" run
	usage_error run
	[[ "$output" == *"No image given: use --image DIR"* ]]
	run "$RVISORCTL" run -- /bin/true
	usage_error run
	run "$RVISORCTL" run --image
	usage_error run
	[[ "$output" == *"Option '--image' needs an argument"* ]]
	run "$RVISORCTL" run --image ''
	usage_error run
}

@test "run: unknown options are usage errors; options after the command are the command's" {
	run "$RVISORCTL" run --frobnicate --image /x
	usage_error run
	[[ "$output" == *"Unknown option '--frobnicate'"* ]]
	run "$RVISORCTL" run -Z --image /x
	usage_error run
	[[ "$output" == *"Unknown option '-Z'"* ]]
	run "$RVISORCTL" run --json=yes --image /x
	usage_error run
	[[ "$output" == *"Option '--json' takes no argument"* ]]
	# ls's --frobnicate is not ours: the call is made (and finds no daemon)
	run "$RVISORCTL" run --image "$IMG" ls --frobnicate
	not_running 125
}

@test "run --memory: sizes with K/M/G, nothing else" {
	for bad in 12Q -1 1.5G 0x10 M "" " 1"; do
		run "$RVISORCTL" run --memory "$bad" --image /x
		usage_error run
		[[ "$output" == *"Invalid --memory '$bad'"* ]]
	done
	for huge in 0 99999999999999999999999 9000000T 9223372036854775808; do
		run "$RVISORCTL" run --memory "$huge" --image /x
		usage_error run
		[[ "$output" == *"--memory '$huge' is out of range"* ]]
	done
	for good in 512 64K 512M 2G 1g 512MiB; do
		run "$RVISORCTL" run --memory "$good" --image "$IMG" true
		not_running 125
	done
}

@test "run -e: KEY=VALUE or KEY, never an empty key" {
	for bad in =x = ""; do
		run "$RVISORCTL" run -e "$bad" --image /x
		usage_error run
		[[ "$output" == *"Invalid --env '$bad': use KEY=VALUE, or KEY"* ]]
	done
	run "$RVISORCTL" run -e A=b -e HOME -e RVISOR_UNSET_VARIABLE --env C= --image "$IMG" true
	not_running 125
}

@test "run --user: UID or UID:GID, numbers" {
	for bad in x:y root 1: :1 1:2:3 -1 4294967295 ""; do
		run "$RVISORCTL" run --user "$bad" --image /x
		usage_error run
		[[ "$output" == *"Invalid --user '$bad': use UID or UID:GID"* ]]
	done
	run "$RVISORCTL" run -u 1000:1000 --image "$IMG" true
	not_running 125
}

@test "run: bad --workdir and --name are usage errors; --policy is rvisord's to check" {
	run "$RVISORCTL" run -w relative --image /x
	usage_error run
	[[ "$output" == *"Invalid --workdir 'relative': give an absolute path"* ]]
	run "$RVISORCTL" run --name 'a b' --image /x
	usage_error run
	[[ "$output" == *"Invalid --name 'a b'"* ]]
	run "$RVISORCTL" run --name -x --image /x
	usage_error run
	# which policies exist is rvisord's to say
	run "$RVISORCTL" run --policy ../etc/passwd --image "$IMG"
	not_running 125
}

@test "run -t needs -i, and -it needs a terminal" {
	run "$RVISORCTL" run -t --image /x
	usage_error run
	[[ "$output" == *"-t needs -i"* ]]
	run "$RVISORCTL" run -it --image /x true </dev/null
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"stdin is not a terminal: drop -t"* ]]
}

@test "run without a daemon: exit 125 and how to start it" {
	run "$RVISORCTL" run --image "$IMG" /bin/true
	not_running 125
	[[ "$output" == *"(no socket at $RVISOR_SOCKET)"* ]]
	cd "$IMG"
	run "$RVISORCTL" run --json -i --userns --image . -- sh -c 'exit 3' </dev/null
	not_running 125
}

@test "run when nothing listens on the socket path: exit 125, not running" {
	touch "$BATS_TEST_TMPDIR/plain"
	RVISOR_SOCKET="$BATS_TEST_TMPDIR/plain" run "$RVISORCTL" run --image "$IMG" true
	not_running 125
	[[ "$output" == *"(nothing listens on $BATS_TEST_TMPDIR/plain)"* ]]
}

@test "run without RVISOR_SOCKET uses /run/rvisor/io.rvisor.Manager" {
	[ ! -e /run/rvisor/io.rvisor.Manager ] || skip "a daemon's socket exists on this host"
	RVISOR_SOCKET= run "$RVISORCTL" run --image "$IMG" true
	not_running 125
	[[ "$output" == *"(no socket at /run/rvisor/io.rvisor.Manager)"* ]]
}

@test "ps: no arguments; without a daemon exit 1 and the hint" {
	run "$RVISORCTL" ps extra
	usage_error ps
	[[ "$output" == *"ps takes no arguments, got 'extra'"* ]]
	run "$RVISORCTL" ps --frobnicate
	usage_error ps
	run "$RVISORCTL" ps
	not_running 1
	run "$RVISORCTL" ps --json
	not_running 1
}

@test "run -d: -t without -i is fine, stdin need not be a terminal; options are still checked" {
	run "$RVISORCTL" run -d -t --image "$IMG" true </dev/null
	not_running 125
	run "$RVISORCTL" run --detach -it --rm --image "$IMG" true </dev/null
	not_running 125
	run "$RVISORCTL" run -d --memory x --image "$IMG" true
	usage_error run
}

@test "logs, attach, wait, stop, rm, inspect: sandboxes by ID or name, options checked" {
	for verb in logs attach wait stop rm inspect; do
		run "$RVISORCTL" "$verb"
		usage_error "$verb"
		[[ "$output" == *"No sandbox given"* ]]
		for bad in "" 0 a/b "a b" 99999999999999999999; do
			run "$RVISORCTL" "$verb" "$bad"
			usage_error "$verb"
			[[ "$output" == *"Invalid sandbox '$bad'"* ]] || { echo "$verb '$bad': $output"; false; }
		done
		run "$RVISORCTL" "$verb" --frobnicate web
		usage_error "$verb"
		if [ "$verb" = inspect ]; then
			# As docker: what was found (nothing) on stdout, the error on stderr.
			run --separate-stderr "$RVISORCTL" inspect web
			[ "$status" -eq 1 ]
			[ "$output" = "[]" ]
			[[ "$stderr" == "rvisorctl: rvisord is not running"* ]]
			continue
		fi
		run "$RVISORCTL" "$verb" web
		if [ "$verb" = attach ]; then not_running 125; else not_running 1; fi
	done
	# One sandbox for logs and attach; several for the others, each checked before any call.
	run "$RVISORCTL" logs a b
	usage_error logs
	run "$RVISORCTL" attach a b
	usage_error attach
	run "$RVISORCTL" rm a x/y
	usage_error rm
	[[ "$output" == *"Invalid sandbox 'x/y'"* ]]
	# Each is tried: one error each.
	run "$RVISORCTL" wait 3 web 4
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(grep -c 'rvisord is not running' <<<"$output")" -eq 3 ]
	# Each verb's own options.
	run "$RVISORCTL" logs -f web
	not_running 1
	for t in -1 x 1.5 99999999999; do
		run "$RVISORCTL" stop -t "$t" web
		usage_error stop
		[[ "$output" == *"--timeout '$t'"* ]]
	done
	run "$RVISORCTL" stop --timeout 0 --time 3 web
	not_running 1
	run "$RVISORCTL" rm -f web
	not_running 1
	run "$RVISORCTL" attach --sig-proxy=no web
	usage_error attach
	[[ "$output" == *"Invalid --sig-proxy 'no': use true or false"* ]]
	run "$RVISORCTL" attach --sig-proxy false --no-stdin web
	not_running 125
	run "$RVISORCTL" ps -a extra
	usage_error ps
	run "$RVISORCTL" ps --all
	not_running 1
}

@test "stats: one sandbox, by ID or name" {
	run "$RVISORCTL" stats
	usage_error stats
	[[ "$output" == *"No sandbox given"* ]]
	for bad in "" 0 00 99999999999999999999 a/b .x "a b"; do
		run "$RVISORCTL" stats "$bad"
		usage_error stats
		[[ "$output" == *"Invalid sandbox '$bad'"* ]]
	done
	# A name goes to rvisord as one.
	for good in abc 12a sandbox-3; do
		run "$RVISORCTL" stats "$good"
		not_running 1
	done
	run "$RVISORCTL" stats -1
	usage_error stats
	run "$RVISORCTL" stats 1 2
	usage_error stats
	run "$RVISORCTL" stats 3
	not_running 1
	run "$RVISORCTL" stats 3 --json
	not_running 1
}

@test "kill: an ID or name and an optional signal, by name or number" {
	run "$RVISORCTL" kill
	usage_error kill
	run "$RVISORCTL" kill x/y
	usage_error kill
	[[ "$output" == *"Invalid sandbox 'x/y'"* ]]
	run "$RVISORCTL" kill 0
	usage_error kill
	run "$RVISORCTL" kill web
	not_running 1
	for bad in BOGUS 0 65 -9 SIG 9x ""; do
		run "$RVISORCTL" kill 3 "$bad"
		usage_error kill
		[[ "$output" == *"Invalid signal '$bad'"* ]]
	done
	run "$RVISORCTL" kill 3 TERM extra
	usage_error kill
	for good in TERM SIGKILL int 9 64; do
		run "$RVISORCTL" kill 3 "$good"
		not_running 1
	done
	run "$RVISORCTL" kill 3
	not_running 1
}

@test "policy: a subcommand is needed, and must be known" {
	run "$RVISORCTL" policy
	usage_error policy
	[[ "$output" == *"No subcommand given: use list, show or check"* ]]
	run "$RVISORCTL" policy frobnicate
	usage_error policy
	[[ "$output" == *"Unknown subcommand 'frobnicate'"* ]]
	run "$RVISORCTL" policy list extra
	usage_error policy
	run "$RVISORCTL" policy show
	usage_error policy
	run "$RVISORCTL" policy show a b
	usage_error policy
	run "$RVISORCTL" policy check
	usage_error policy
	run "$RVISORCTL" policy check --json "$ROOT/etc/rvisor/policies/default.conf"
	usage_error policy
	run "$RVISORCTL" policy list --frobnicate
	usage_error policy
}

@test "policy check: a file that cannot be read is exit 1 naming it" {
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/missing.conf"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "rvisorctl: Cannot read $BATS_TEST_TMPDIR/missing.conf: No such file or directory" ]
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Is a directory"* ]]
	printf 'a\0b' >"$BATS_TEST_TMPDIR/nul.conf"
	run "$RVISORCTL" policy check "$BATS_TEST_TMPDIR/nul.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contains a NUL byte"* ]]
}

@test "policy check: the file's syntax (lib/ini-file.c) is refused with file:line, never guessed" {
	local f=$BATS_TEST_TMPDIR/p.conf
	printf '[sandbox]\nmemory: 1G\n' >"$f"
	run "$RVISORCTL" policy check "$f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p.conf:2: 'memory: 1G': expected 'key = value' or '[section]'"* ]]
	printf '[sandbox] # ok\n[syscalls] default\n' >"$f"
	run "$RVISORCTL" policy check "$f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p.conf:2: '[syscalls] default': a section header ends with ']'"* ]]
	printf '\xef\xbb\xbf[sandbox]\n' >"$f"
	run "$RVISORCTL" policy check "$f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p.conf:1: "*"expected 'key = value' or '[section]'"* ]]
	# a line longer than 65536 bytes is refused whole, not split into lines of its own
	{ printf '[syscalls]\n# '; head -c 65600 /dev/zero | tr '\0' x; printf '\nallow = read\n'; } >"$f"
	run "$RVISORCTL" policy check "$f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p.conf:2: the line is longer than 65536 bytes"* ]]
	# an indented line is no continuation: a key of its own
	printf '[syscalls]\ndefault = deny\n  allow = read\n  kill = read\n' >"$f"
	run "$RVISORCTL" policy check "$f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"p.conf:4: 'read' is listed as kill here but as pass at line 3"* ]]
	printf '[syscalls]\ndefault = deny   ; deny the rest\r\nallow = read # and read\r\n' >"$f"
	run "$RVISORCTL" policy check "$f"
	[ "$status" -eq 0 ]
}

@test "policy list and show without a daemon: exit 1 and the hint (check needs none)" {
	run "$RVISORCTL" policy list
	not_running 1
	run "$RVISORCTL" policy list --json
	not_running 1
	run "$RVISORCTL" policy show default
	not_running 1
	run "$RVISORCTL" policy check "$ROOT/etc/rvisor/policies/default.conf"
	[ "$status" -eq 0 ]
}

@test "status without a daemon says so and falls back to the module's sysfs files" {
	run --separate-stderr "$RVISORCTL" status
	[ "$status" -eq 3 ]
	[ "${lines[1]}" = "daemon:    not running" ]
	[ "${lines[3]}" = "module:    not loaded" ]
	run --separate-stderr "$RVISORCTL" status --json
	[ "$status" -eq 3 ]
	[ "$(jq -r .daemon.running <<<"$output")" = false ]
	[ "$(jq -r .daemon.socket <<<"$output")" = "$RVISOR_SOCKET" ]
	[ "$(jq -r .module.loaded <<<"$output")" = false ]
}

@test "a global option before the verb is still checked" {
	run "$RVISORCTL" --frobnicate run --image /x
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "rvisorctl: Unknown option '--frobnicate'. Try 'rvisorctl --help'." ]
}

# --- run --image: rvisorctl opens the image itself, before it connects ---

# The last `run` failed on the image: exit 125, one line, not about rvisord (whose socket is
# missing: the image was refused before any connection).
image_error() {
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "rvisorctl: "* ]]
	[[ "$output" != *"rvisord"* ]]
}

# bundle DIR CONFIG: an OCI bundle DIR with a rootfs/ directory and CONFIG as config.json.
bundle() {
	mkdir -p "$1/rootfs"
	printf '%s' "$2" >"$1/config.json"
}

@test "run --image: a missing directory or a file is refused before connecting" {
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/missing" true
	image_error
	[ "$output" = "rvisorctl: Cannot open image $BATS_TEST_TMPDIR/missing: No such file or directory (the image must be a directory you can read)" ]
	touch "$BATS_TEST_TMPDIR/file"
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/file" true
	image_error
	[[ "$output" == *"Cannot open image $BATS_TEST_TMPDIR/file: Not a directory (the image must be a directory you can read)" ]]
	# a relative path is named as an absolute one
	cd "$BATS_TEST_TMPDIR"
	run "$RVISORCTL" run --image missing true
	image_error
	[[ "$output" == *"Cannot open image $BATS_TEST_TMPDIR/missing: No such file or directory"* ]]
}

@test "run --image: opened with the caller's rights, not rvisord's" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as another user"
	WORLD_DIR=$(mktemp -d /tmp/rvisorctl-test.XXXXXX)
	chmod 755 "$WORLD_DIR"
	mkdir -m 0711 "$WORLD_DIR/unreadable"
	mkdir -m 0755 "$WORLD_DIR/readable"
	bundle "$WORLD_DIR/bundle" '{"root":{"path":"rootfs"}}'
	chmod 0700 "$WORLD_DIR/bundle/rootfs"
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	RVISOR_SOCKET=$WORLD_DIR/no-such-socket run "${nobody[@]}" "$RVISORCTL" run --image "$WORLD_DIR/unreadable" true
	image_error
	[ "$output" = "rvisorctl: Cannot open image $WORLD_DIR/unreadable: Permission denied (the image must be a directory you can read)" ]
	# root can, and gets as far as connecting
	RVISOR_SOCKET=$WORLD_DIR/no-such-socket run "$RVISORCTL" run --image "$WORLD_DIR/unreadable" true
	not_running 125
	RVISOR_SOCKET=$WORLD_DIR/no-such-socket run "${nobody[@]}" "$RVISORCTL" run --image "$WORLD_DIR/readable" true
	not_running 125
	# the bundle's root filesystem too
	RVISOR_SOCKET=$WORLD_DIR/no-such-socket run "${nobody[@]}" "$RVISORCTL" run --image "$WORLD_DIR/bundle" true
	image_error
	[[ "$output" == *"Cannot open the bundle's root.path 'rootfs' in $WORLD_DIR/bundle: Permission denied"* ]]
}

@test "run --image: a bundle's root.path must stay inside the bundle" {
	for path in / /etc ../x .. rootfs/../../x; do
		rm -rf "$BATS_TEST_TMPDIR/b"
		bundle "$BATS_TEST_TMPDIR/b" "{\"root\":{\"path\":\"$path\"}}"
		run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/b" true
		image_error
		[ "$output" = "rvisorctl: The bundle's root.path '$path' leads outside the bundle $BATS_TEST_TMPDIR/b (it is absolute, climbs out with '..' or goes through a link out): name a directory inside the bundle" ]
	done
	# a link out: the default root.path, rootfs, is one
	mkdir -p "$BATS_TEST_TMPDIR/out"
	printf '{"ociVersion":"1.0.2"}' >"$BATS_TEST_TMPDIR/out/config.json"
	ln -s / "$BATS_TEST_TMPDIR/out/rootfs"
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/out" true
	image_error
	[[ "$output" == *"root.path 'rootfs' leads outside the bundle"* ]]
	ln -s ../.. "$BATS_TEST_TMPDIR/out/up"
	printf '{"root":{"path":"up/tmp"}}' >"$BATS_TEST_TMPDIR/out/config.json"
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/out" true
	image_error
	[[ "$output" == *"root.path 'up/tmp' leads outside the bundle"* ]]
	# a root.path with a control character is quoted escaped
	rm -rf "$BATS_TEST_TMPDIR/b"
	bundle "$BATS_TEST_TMPDIR/b" '{"root":{"path":"/\u001b[2J"}}'
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/b" true
	image_error
	[[ "$output" == *"root.path '/\\x1b[2J' leads outside"* ]]
	[[ "$output" != *$'\e'* ]]
}

@test "run --image: a bundle whose root.path stays inside, through a link too, gets as far as connecting" {
	bundle "$BATS_TEST_TMPDIR/b" '{"root":{"path":"rootfs","readonly":true}}'
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/b" true
	not_running 125
	mkdir -p "$BATS_TEST_TMPDIR/b/sub/dir"
	ln -s sub/dir "$BATS_TEST_TMPDIR/b/link"
	for path in sub/dir ./sub/../sub/dir/ link; do
		printf '{"root":{"path":"%s"}}' "$path" >"$BATS_TEST_TMPDIR/b/config.json"
		run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/b" true
		not_running 125
	done
	# no root object, or no path: rootfs
	printf '{"ociVersion":"1.0.2","process":{"args":["sh"]}}\n' >"$BATS_TEST_TMPDIR/b/config.json"
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/b"
	not_running 125
	rmdir "$BATS_TEST_TMPDIR/b/rootfs"
	run "$RVISORCTL" run --image "$BATS_TEST_TMPDIR/b"
	image_error
	[[ "$output" == *"Cannot open the bundle's root.path 'rootfs' in $BATS_TEST_TMPDIR/b: No such file or directory"* ]]
}

@test "run --image: a config.json that is no JSON object, or a root.path that is no string, is refused" {
	b=$BATS_TEST_TMPDIR/b
	for text in '' '{' '[]' '{"root":{"path":"rootfs"}} x' "{'root':}"; do
		rm -rf "$b"
		bundle "$b" "$text"
		run "$RVISORCTL" run --image "$b" true
		image_error
		[ "$output" = "rvisorctl: $b/config.json is not valid JSON (one object, UTF-8): fix the bundle's config.json" ]
	done
	for text in '{"root":{"path":7}}' '{"root":{"path":""}}' '{"root":"rootfs"}' '{"root":{"path":["rootfs"]}}'; do
		rm -rf "$b"
		bundle "$b" "$text"
		run "$RVISORCTL" run --image "$b" true
		image_error
		[ "$output" = "rvisorctl: $b/config.json: root.path is not a string naming the root filesystem: fix the bundle's config.json" ]
	done
}

@test "run --image: config.json must be a regular file of at most 1 MiB without NUL" {
	b=$BATS_TEST_TMPDIR/b
	mkdir -p "$b/rootfs"
	ln -s rootfs/../config.real "$b/config.json"
	printf '{}' >"$b/config.real"
	run "$RVISORCTL" run --image "$b" true
	image_error
	[[ "$output" == *"$b/config.json is a symbolic link: an OCI bundle's config.json must be a regular file"* ]]
	rm "$b/config.json"
	mkfifo "$b/config.json"
	run timeout 10 "$RVISORCTL" run --image "$b" true
	image_error
	[[ "$output" == *"$b/config.json is not a regular file"* ]]
	rm "$b/config.json"
	mkdir "$b/config.json"
	run "$RVISORCTL" run --image "$b" true
	image_error
	[[ "$output" == *"$b/config.json is not a regular file"* ]]
	rmdir "$b/config.json"
	printf '{"a":"\0"}' >"$b/config.json"
	run "$RVISORCTL" run --image "$b" true
	image_error
	[[ "$output" == *"$b/config.json contains a NUL byte"* ]]
	{ printf '{"pad":"'; head -c 1048576 /dev/zero | tr '\0' x; printf '"}'; } >"$b/config.json"
	run "$RVISORCTL" run --image "$b" true
	image_error
	[[ "$output" == *"$b/config.json is larger than 1048576 bytes"* ]]
	# exactly 1 MiB is fine
	{ printf '{"pad":"'; head -c $((1048576 - 10)) /dev/zero | tr '\0' x; printf '"}'; } >"$b/config.json"
	[ "$(stat -c %s "$b/config.json")" -eq 1048576 ]
	run "$RVISORCTL" run --image "$b" true
	not_running 125
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as another user"
	WORLD_DIR=$(mktemp -d /tmp/rvisorctl-test.XXXXXX)
	chmod 755 "$WORLD_DIR"
	bundle "$WORLD_DIR/b" '{}'
	chmod 0600 "$WORLD_DIR/b/config.json"
	RVISOR_SOCKET=$WORLD_DIR/no-such-socket run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$RVISORCTL" run --image "$WORLD_DIR/b" true
	image_error
	[[ "$output" == *"Cannot read $WORLD_DIR/b/config.json: Permission denied"* ]]
}

# --- against a fake rvisord ---

# fake_daemon REPLY...: starts the fake rvisord on $RVISOR_SOCKET; it answers every call with
# the REPLY messages (JSON, one each) and logs the calls to $FAKE_LOG.
fake_daemon() {
	export RVISOR_SOCKET=$BATS_TEST_TMPDIR/fake.sock FAKE_LOG=$BATS_TEST_TMPDIR/fake.log
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/replies"
	"$FAKE_RVISORD" "$RVISOR_SOCKET" "$BATS_TEST_TMPDIR/replies" "$FAKE_LOG" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 100); do
		[ -S "$RVISOR_SOCKET" ] && return 0
		sleep 0.05
	done
	false
}

# The parameters of the fake's last call, as JSON.
last_call() {
	sed -n 's/^call //p' "$FAKE_LOG" | tail -1 | jq -c .parameters
}

EXITED_3='{"parameters":{"state":"exited","id":1,"exit_code":3}}'
STARTED='{"parameters":{"state":"started","id":1,"pid":100,"platform":"seccomp"},"continues":true}'

@test "fake rvisord: run passes the image directory as fd 3 after stdin, stdout and stderr" {
	fake_daemon "$STARTED" "$EXITED_3"
	run "$RVISORCTL" run --image "$IMG" -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ "$(last_call | jq -r .image)" = "$IMG" ]
	[ "$(last_call | jq -c .argv)" = '["sh","-c","exit 3"]' ]
	[ "$(last_call | jq -r 'has("bundle_config") or has("userns")')" = false ]
	grep -qx "fd 3 dir $(stat -c %d:%i "$IMG")" "$FAKE_LOG"
	grep -q '^fd 0 ' "$FAKE_LOG"
	grep -q '^fd 1 ' "$FAKE_LOG"
	grep -q '^fd 2 ' "$FAKE_LOG"
	! grep -q '^fd 4 ' "$FAKE_LOG"
}

@test "fake rvisord: run sends a bundle's config.json as bundle_config and its root.path as fd 3" {
	bundle "$BATS_TEST_TMPDIR/b" '{"ociVersion":"1.0.2","root":{"path":"sub/root"},"process":{"args":["true"]}}'
	mkdir -p "$BATS_TEST_TMPDIR/b/sub/root"
	fake_daemon "$STARTED" "$EXITED_3"
	cd "$BATS_TEST_TMPDIR"
	run "$RVISORCTL" run --userns --image ./b/
	[ "$status" -eq 3 ]
	[ "$(last_call | jq -r .image)" = "$BATS_TEST_TMPDIR/b" ]
	[ "$(last_call | jq -r .bundle_config)" = "$(cat "$BATS_TEST_TMPDIR/b/config.json")" ]
	[ "$(last_call | jq -r .userns)" = true ]
	[ "$(last_call | jq -r 'has("argv")')" = false ]
	grep -qx "fd 3 dir $(stat -c %d:%i "$BATS_TEST_TMPDIR/b/sub/root")" "$FAKE_LOG"
}

@test "fake rvisord: run -d sends the image alone, as fd 0, and prints the id" {
	fake_daemon '{"parameters":{"state":"started","id":42,"pid":100,"platform":"seccomp","layers":["seccomp"]}}'
	run --separate-stderr "$RVISORCTL" run -d -i -t --rm --name bg --image "$IMG" -- sleep 9
	[ "$status" -eq 0 ]
	[ "$output" = 42 ]
	[ "$(last_call | jq -c '[.detach, .interactive, .tty, .remove, .name, .argv]')" = '[true,true,true,true,"bg",["sleep","9"]]' ]
	grep -qx "fd 0 dir $(stat -c %d:%i "$IMG")" "$FAKE_LOG"
	! grep -q '^fd 1 ' "$FAKE_LOG"
	# The call does not ask for more: there is one reply.
	[ "$(sed -n 's/^call //p' "$FAKE_LOG" | tail -1 | jq -r '.more // false')" = false ]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	# Without -i and --rm, neither goes; an error reply is 125.
	fake_daemon '{"error":"io.rvisor.Manager.NameInUse","parameters":{"name":"bg"}}'
	run "$RVISORCTL" run -d --name bg --image "$IMG" true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: you have a sandbox named 'bg' already: choose another --name" ]
	[ "$(last_call | jq -c '[.detach, .interactive, .remove]')" = '[true,null,null]' ]
}

@test "fake rvisord: wait prints the exit code as a shell gives it; a malformed reply is an error" {
	fake_daemon '{"parameters":{"signal":9}}'
	run "$RVISORCTL" wait web
	[ "$status" -eq 0 ]
	[ "$output" = 137 ]
	[ "$(last_call)" = '{"name":"web"}' ]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"parameters":{"exit_code":300}}'
	run "$RVISORCTL" wait 7
	[ "$status" -eq 1 ]
	[[ "$output" == *"malformed reply to io.rvisor.Manager.Wait"* ]]
	[ "$(last_call)" = '{"id":7}' ]
}

@test "fake rvisord: stop sends the timeout, rm force, and both print the sandbox as given" {
	fake_daemon '{"parameters":{}}'
	run "$RVISORCTL" stop -t 3 web
	[ "$output" = web ]
	[ "$(last_call)" = '{"name":"web","timeout":3}' ]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"parameters":{}}'
	run "$RVISORCTL" rm -f 5
	[ "$output" = 5 ]
	[ "$(last_call)" = '{"id":5,"force":true}' ]
}

@test "fake rvisord: run sends --cpus as cpus_milli and --cpuset-cpus as a canonical list" {
	fake_daemon "$STARTED" "$EXITED_3"
	run --separate-stderr "$RVISORCTL" run --cpus 1.5 --cpuset-cpus 1,0 --image "$IMG" -- true
	[ "$status" -eq 3 ]
	[ "$(last_call | jq -c '[.cpus_milli, .cpuset]')" = '[1500,"0-1"]' ]
	# a seccomp-only sandbox that asked for a limit gets the note, once
	[[ "$stderr" == "rvisorctl: note: sandbox 1 runs without rvisor.ko: its /proc and /sys show the host's memory and CPUs, not its own limits" ]]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"parameters":{"state":"started","id":2,"pid":100,"platform":"kernel","layers":["kernel","seccomp"]},"continues":true}' "$EXITED_3"
	run --separate-stderr "$RVISORCTL" run --cpus .25 --image "$IMG" -- true
	[ "$status" -eq 3 ]
	[ "$(last_call | jq -c '[.cpus_milli, has("cpuset")]')" = '[250,false]' ]
	[ -z "$stderr" ] # rvisor.ko's layer: its own figures, nothing to say
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon "$STARTED" "$EXITED_3"
	run --separate-stderr "$RVISORCTL" run --image "$IMG" -- true
	[ "$(last_call | jq -c '[has("cpus_milli"), has("cpuset")]')" = '[false,false]' ]
	[ -z "$stderr" ] # no limit asked, not a terminal
}

@test "fake rvisord: LimitAbovePolicy for cpus and CpusetUnavailable are one line saying what to do" {
	fake_daemon '{"error":"io.rvisor.Manager.LimitAbovePolicy","parameters":{"parameter":"cpus_milli","policy":"default","limit":1500}}'
	run "$RVISORCTL" run --cpus 2 --image "$IMG" true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: --cpus is more than policy 'default' allows (cpus 1.5): ask for at most that, or use a policy that allows more (--policy)" ]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"error":"io.rvisor.Manager.CpusetUnavailable","parameters":{"cpuset":"1","available":"0"}}'
	run "$RVISORCTL" run --cpuset-cpus 1 --image "$IMG" true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: --cpuset-cpus 1 names CPUs that rvisord's sandboxes cannot use here, which may use CPUs 0 only: ask for some of those" ]
}

@test "fake rvisord: BadFileDescriptor and UserNotPermitted are one line saying what to do" {
	fake_daemon '{"error":"io.rvisor.Manager.BadFileDescriptor","parameters":{"index":0,"reason":"it is a directory"}}'
	run "$RVISORCTL" run -i --image "$IMG" true <"$IMG"
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: stdin cannot be passed to a sandbox: it is a directory (use a file, pipe or terminal)" ]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"error":"io.rvisor.Manager.UserNotPermitted","parameters":{"uid":0,"gid":5,"reason":"not yours\u001b[2J"}}'
	run "$RVISORCTL" run -u 0:5 --image "$IMG" true
	[ "$status" -eq 125 ]
	[ "$output" = "rvisorctl: rvisord refused to run as user 0:5: not yours\\x1b[2J: give --user an id you may use (else the bundle's or the policy's user applies)" ]
}

@test "fake rvisord: run and exec send -u as uid and gid, numbers; without a GID no gid" {
	fake_daemon "$STARTED" "$EXITED_3"
	run "$RVISORCTL" run -u 1000 --image "$IMG" true
	[ "$status" -eq 3 ]
	[ "$(last_call | jq -c '[.uid, has("gid"), has("user")]')" = '[1000,false,false]' ]
	run "$RVISORCTL" run -u 4294967294:0 --image "$IMG" true
	[ "$(last_call | jq -c '[.uid, .gid]')" = '[4294967294,0]' ]
	run "$RVISORCTL" run --image "$IMG" true
	[ "$(last_call | jq -c '[has("uid"), has("gid")]')" = '[false,false]' ]
	run "$RVISORCTL" exec -u 0:1001 web true
	[ "$status" -eq 3 ]
	[ "$(last_call | jq -c '[.name, .uid, .gid]')" = '["web",0,1001]' ]
	run "$RVISORCTL" exec -u 7 web true
	[ "$(last_call | jq -c '[.uid, has("gid"), has("user")]')" = '[7,false,false]' ]
}

@test "fake rvisord: kill sends the signal as its number, SIGTERM (15) by default" {
	fake_daemon '{"parameters":{}}'
	for pair in TERM:15 SIGKILL:9 int:2 winch:28 9:9 64:64 40:40; do
		run "$RVISORCTL" kill web "${pair%%:*}"
		[ "$status" -eq 0 ]
		[ "$(last_call)" = '{"name":"web","signal":'"${pair#*:}"'}' ]
	done
	run "$RVISORCTL" kill 3
	[ "$status" -eq 0 ]
	[ "$(last_call)" = '{"id":3,"signal":15}' ]
}

# A List reply: sandbox 7 from a current daemon, owned by root, named and run with control
# characters; sandbox 3 from an older daemon, without owner_uid and userns.
LIST='{"parameters":{"sandboxes":[
 {"id":7,"name":"evil\u001b]0;pwned\u0007\u009b2J","policy":"default","image":"/img\u001b[2J","pid":70,"platform":"seccomp","started_usec":0,"command":["printf","\u001b[2J","caf\u00e9"],"owner_uid":0,"userns":true},
 {"id":3,"name":"old","policy":"default","image":"/img","pid":30,"platform":"kernel","started_usec":0,"command":["sleep","100"]}]}}'

@test "fake rvisord: ps shows OWNER, '-' for an older daemon, and escapes what reaches the terminal" {
	fake_daemon "$(tr -d '\n' <<<"$LIST")"
	run --separate-stderr "$RVISORCTL" ps
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'ID  NAME                            OWNER  POLICY   PLATFORM  PID  STARTED  STATUS   COMMAND' ]
	[ "${lines[1]}" = ' 3  old                             -      default  kernel     30  -        running  sleep 100' ]
	[ "${lines[2]}" = " 7  evil\\x1b]0;pwned\\x07\\xc2\\x9b2J  root   default  seccomp    70  -        running  printf \$'\\x1b[2J' 'café'" ]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* && "$output" != *$'\xc2\x9b'* ]]
}

@test "fake rvisord: ps --json is rvisord's JSON, control characters still escaped" {
	fake_daemon "$(tr -d '\n' <<<"$LIST")"
	run --separate-stderr "$RVISORCTL" ps --json
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* && "$output" != *$'\xc2\x9b'* && "$output" != *$'\x7f'* ]]
	[[ "$output" == *'\u001b]0;pwned\u0007\u009b2J'* ]]
	[ "$(jq -c . <<<"$output")" = "$(jq -c '.parameters | .sandboxes |= sort_by(.id)' <<<"$LIST")" ]
}

@test "fake rvisord: stats prints owner and userns, '-' for an older daemon, escaped" {
	inspect() {
		echo "{\"parameters\":{\"sandbox\":$1,\"passed\":1,\"emulated\":0,\"denied\":0,\"syscalls\":[{\"name\":\"read\",\"passed\":1,\"emulated\":0,\"denied\":0}]}}"
	}
	fake_daemon "$(inspect "$(tr -d '\n' <<<"$LIST" | jq -c '.parameters.sandboxes[0]')")"
	run --separate-stderr "$RVISORCTL" stats 7
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'sandbox:   7 (evil\x1b]0;pwned\x07\xc2\x9b2J)' ]
	[ "${lines[1]}" = "owner:     root (0)" ]
	[ "${lines[4]}" = "userns:    yes" ]
	[ "${lines[5]}" = 'image:     /img\x1b[2J' ]
	[ "${lines[8]}" = "command:   printf \$'\\x1b[2J' 'café'" ]
	[ "${lines[11]}" = "cpu:       - (limit none)" ] # an older daemon: nothing about CPUs
	[ "${lines[12]}" = "cpuset:    -" ]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* && "$output" != *$'\xc2\x9b'* ]]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon "$(inspect "$(tr -d '\n' <<<"$LIST" | jq -c '.parameters.sandboxes[1]')")"
	run --separate-stderr "$RVISORCTL" stats 3
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "owner:     -" ]
	[ "${lines[4]}" = "userns:    -" ]
	# an owner_uid of the wrong type is a malformed reply
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon "$(inspect '{"id":3,"name":"","policy":"p","image":"/i","pid":1,"platform":"kernel","started_usec":0,"command":[],"owner_uid":"root","userns":false}')"
	run "$RVISORCTL" stats 3
	[ "$status" -eq 1 ]
	[[ "$output" == *"malformed reply to io.rvisor.Manager.Inspect"* ]]
	# CPU figures: shown; of the wrong type, a malformed reply
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"parameters":{"sandbox":{"id":3,"name":"","policy":"p","image":"/i","pid":1,"platform":"kernel","started_usec":0,"command":[]},"passed":0,"emulated":0,"denied":0,"syscalls":[],"cpus_milli":2000,"cpu_usage_usec":1234567,"cpuset":"0-1\u001b"}}'
	run --separate-stderr "$RVISORCTL" stats 3
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\ncpu:       1.234 s (limit 2 CPUs)\ncpuset:    0-1\\x1b\n'* ]]
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f "$RVISOR_SOCKET"
	fake_daemon '{"parameters":{"sandbox":{"id":3,"name":"","policy":"p","image":"/i","pid":1,"platform":"kernel","started_usec":0,"command":[]},"passed":0,"emulated":0,"denied":0,"syscalls":[],"cpus_milli":"2"}}'
	run "$RVISORCTL" stats 3
	[ "$status" -eq 1 ]
	[[ "$output" == *"malformed reply to io.rvisor.Manager.Inspect"* ]]
}

# The fake rvisord's source. Usage: fake-rvisord SOCKET REPLIES LOG. For each connection it
# reads one call, logs it ("call JSON") and each fd that came with it ("fd N TYPE DEV:INO"),
# sends the lines of REPLIES as messages and closes the connection.
fake_rvisord_source() {
	cat <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[17 << 20];

static const char *type(mode_t m)
{
	return S_ISDIR(m) ? "dir" : S_ISREG(m) ? "reg" : S_ISFIFO(m) ? "fifo" : S_ISCHR(m) ? "chr" :
	       S_ISSOCK(m) ? "sock" : "other";
}

int main(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), nfds = 0;
		size_t len = 0, cap = 0;
		char *line = NULL;
		FILE *log, *replies;
		ssize_t n;

		if (c < 0)
			continue;
		log = fopen(argv[3], "a");
		while (log && len < sizeof(buf) - 1) {
			char control[CMSG_SPACE(sizeof(int) * 32)];
			struct iovec iov = { buf + len, sizeof(buf) - 1 - len };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
					     .msg_controllen = sizeof(control) };
			struct cmsghdr *cm;

			n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
			if (n <= 0)
				break;
			for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
				int *fds = (int *)CMSG_DATA(cm);
				size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

				for (size_t i = 0; cm->cmsg_type == SCM_RIGHTS && i < k; i++) {
					struct stat st;

					if (fstat(fds[i], &st) == 0)
						fprintf(log, "fd %d %s %ju:%ju\n", nfds, type(st.st_mode),
							(uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
					nfds++;
					close(fds[i]);
				}
			}
			len += (size_t)n;
			if (memchr(buf, '\0', len))
				break;
		}
		buf[len] = '\0';
		if (log) {
			fprintf(log, "call %s\n", buf);
			fclose(log);
		}
		replies = fopen(argv[2], "r");
		while (replies && (n = getline(&line, &cap, replies)) > 0) {
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			if (write(c, line, (size_t)n + 1) < 0)
				break;
		}
		if (replies)
			fclose(replies);
		free(line);
		close(c);
	}
}
EOF
}
