#!/usr/bin/env bats
# rvisorctl's bash completion (completion/rvisorctl.bash), sourced in a bash of its own:
# verbs and options as rvisorctl's --help texts have them, policy names, sandbox ids,
# directories for --image.

bats_require_minimum_version 1.5.0

load lib

SCRIPT=$ROOT/completion/rvisorctl.bash

setup() {
	# No rvisord to ask: what asks it must come back empty and quietly.
	export RVISOR_SOCKET=/nonexistent/io.rvisor.Manager
	export CONF=$BATS_TEST_TMPDIR/rvisord.conf
	printf '[rvisord]\npolicy_dir = %s\n' "$ROOT/etc/rvisor/policies" >"$CONF"
}

# complete WORD...: the completions for the command line WORD... (the last word is the one
# being completed), one per line, sorted.
completions() {
	bash --norc --noprofile -c '
		source "$1" || exit 1
		shift
		_rvisorctl_config=$CONF
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_rvisorctl
		if ((${#COMPREPLY[@]})); then printf "%s\n" "${COMPREPLY[@]}" | sort; fi' \
		_ "$SCRIPT" "$@"
}

# The verbs in rvisorctl --help.
verbs() {
	"$RVISORCTL" --help | sed -n '/^Verbs:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

long_options() {
	grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]*//' | sort -u
}

@test "loading the script prints nothing and registers _rvisorctl for rvisorctl" {
	run bash --norc --noprofile -c 'source "$1" && complete -p rvisorctl' _ "$SCRIPT"
	[ "$status" -eq 0 ]
	[ "$output" = "complete -F _rvisorctl rvisorctl" ]
	run bash --norc --noprofile -c 'source "$1"' _ "$SCRIPT"
	[ -z "$output" ]
}

@test "the verbs are rvisorctl --help's, no more, no fewer" {
	run completions rvisorctl ''
	[ "$status" -eq 0 ]
	[ "$output" = "$(verbs | sort)" ]
	run completions rvisorctl st
	[ "$output" = "$(printf 'stats\nstatus\nstop')" ]
	run completions rvisorctl --
	[ "$output" = "$("$RVISORCTL" --help | long_options)" ]
}

@test "each verb's long options are its --help text's" {
	for v in $(verbs); do
		want=$("$RVISORCTL" "$v" --help | long_options)
		if [ "$v" = policy ]; then
			got=$( (completions rvisorctl policy list --; completions rvisorctl policy show --) | sort -u)
		else
			got=$(completions rvisorctl "$v" --)
		fi
		[ "$got" = "$want" ] || { echo "$v: completes '$got', --help has '$want'"; false; }
	done
}

@test "run: its flags, short ones too; none after the command" {
	run completions rvisorctl run -
	for o in --image --policy --memory --cpus --cpuset-cpus --name --env -e --workdir -w \
		--user -u --interactive -i --tty -t --userns --json; do
		grep -qx -- "$o" <<<"$output" || { echo "run: no $o"; false; }
	done
	run completions rvisorctl run --cpu
	[ "$output" = "$(printf -- '--cpus\n--cpuset-cpus')" ]
	# After the command, every word is the command's.
	run completions rvisorctl run --image /srv/img sh --
	[ -z "$output" ]
	run completions rvisorctl run --image /srv/img -- --
	[ -z "$output" ]
	# An option's value is not the command.
	run completions rvisorctl run --memory 64M --name x -e A=1 --j
	[ "$output" = --json ]
}

@test "exec: its flags, then the sandbox ids and names, then the command's words" {
	stub=$BATS_TEST_TMPDIR/rvisorctl
	cat >"$stub" <<-'EOF'
		#!/bin/sh
		[ "$1" = ps ] || exit 1
		echo 'ID  NAME        OWNER  POLICY   PLATFORM   PID  STARTED              COMMAND'
		echo '12  web-server  alice  default  seccomp   1012  2024-05-01 10:13:20  python3'
	EOF
	chmod +x "$stub"
	run completions rvisorctl exec -
	for o in --env -e --env-file --workdir -w --user -u --interactive -i --tty -t --help -h; do
		grep -qx -- "$o" <<<"$output" || { echo "exec: no $o"; false; }
	done
	[[ "$output" != *--image* && "$output" != *--json* ]]
	run completions "$stub" exec ''
	[ "$output" = "$(printf '12\nweb-server')" ]
	run completions "$stub" exec -it -u 1000 -w /srv -e A=1 we
	[ "$output" = web-server ]
	# An option's value is neither the sandbox nor the command.
	run completions "$stub" exec -u ''
	[ -z "$output" ]
	# After the sandbox, every word is the command's: no options, no sandboxes.
	run completions "$stub" exec web-server --
	[ -z "$output" ]
	run completions "$stub" exec web-server ls -
	[ -z "$output" ]
}

@test "--policy and policy show complete the shipped policies (rvisord.conf's policy_dir)" {
	want=$(cd "$ROOT/etc/rvisor/policies" && ls -- *.conf | sed 's/\.conf$//' | sort)
	[ -n "$want" ]
	run completions rvisorctl run --policy ''
	[ "$output" = "$want" ]
	grep -qx default <<<"$output"
	run completions rvisorctl policy show ''
	[ "$output" = "$want" ]
	run completions rvisorctl policy ''
	[ "$output" = "$(printf 'check\nlist\nshow')" ]
}

@test "policy names: only NAME.conf files with a valid name, also after --policy=" {
	d=$BATS_TEST_TMPDIR/policies
	mkdir -p "$d/dir.conf"
	touch "$d/web.conf" "$d/worker_2.conf" "$d/bad.name.conf" "$d/notes.txt"
	printf '[rvisord]\n# policy_dir = /elsewhere\npolicy_dir = %s   # ours\n' "$d" >"$CONF"
	run completions rvisorctl run --policy ''
	[ "$output" = "$(printf 'web\nworker_2')" ]
	# bash splits --policy=wo at '='.
	run completions rvisorctl run --policy = wo
	[ "$output" = worker_2 ]
	run completions rvisorctl run --policy =
	[ "$output" = "$(printf 'web\nworker_2')" ]
}

@test "--image completes directories only; policy check completes files" {
	d=$BATS_TEST_TMPDIR/images
	mkdir -p "$d/busybox" "$d/bundle"
	touch "$d/bfile"
	run completions rvisorctl run --image "$d/b"
	[ "$output" = "$(printf '%s\n' "$d/bundle" "$d/busybox")" ]
	run completions rvisorctl run -i --image = "$d/bu"
	[ "$output" = "$(printf '%s\n' "$d/bundle" "$d/busybox")" ]
	run completions rvisorctl policy check "$d/bf"
	[ "$output" = "$d/bfile" ]
}

@test "stats and kill complete the ids and names rvisorctl ps lists; kill then signals" {
	stub=$BATS_TEST_TMPDIR/rvisorctl
	cat >"$stub" <<-'EOF'
		#!/bin/sh
		[ "$1" = ps ] || exit 1
		echo 'ID  NAME        OWNER  POLICY   PLATFORM   PID  STARTED              STATUS      COMMAND'
		echo ' 3  -           root   default  kernel    1003  2024-05-01 10:12:00  running     sh'
		echo '12  web-server  alice  default  seccomp   1012  2024-05-01 10:13:20  running     python3'
		[ "$2" = -a ] || exit 0
		echo '14  done        alice  default  seccomp      -  2024-05-01 10:14:20  exited (0)  true'
	EOF
	chmod +x "$stub"
	run completions "$stub" stats ''
	[ "$output" = "$(printf '12\n3\nweb-server')" ]
	run completions "$stub" kill 1
	[ "$output" = 12 ]
	run completions "$stub" kill w
	[ "$output" = web-server ]
	run completions "$stub" kill 12 TE
	[ "$output" = TERM ]
	run completions "$stub" kill 12 SIGK
	[ "$output" = SIGKILL ]
}

@test "logs, wait, rm and inspect complete exited sandboxes too; attach and stop the running ones" {
	stub=$BATS_TEST_TMPDIR/rvisorctl
	cat >"$stub" <<-'EOF'
		#!/bin/sh
		[ "$1" = ps ] || exit 1
		echo 'ID  NAME  OWNER  POLICY   PLATFORM   PID  STARTED              STATUS      COMMAND'
		echo '12  web   alice  default  seccomp   1012  2024-05-01 10:13:20  running     python3'
		[ "$2" = -a ] || exit 0
		echo '14  done  alice  default  seccomp      -  2024-05-01 10:14:20  exited (0)  true'
	EOF
	chmod +x "$stub"
	for verb in logs wait rm inspect; do
		run completions "$stub" "$verb" ''
		[ "$output" = "$(printf '12\n14\ndone\nweb')" ] || { echo "$verb: $output"; false; }
	done
	for verb in attach stop; do
		run completions "$stub" "$verb" ''
		[ "$output" = "$(printf '12\nweb')" ] || { echo "$verb: $output"; false; }
	done
	# Several sandboxes for wait, stop, rm and inspect; one for logs and attach.
	run completions "$stub" rm 12 d
	[ "$output" = done ]
	run completions "$stub" logs 12 ''
	[ -z "$output" ]
	# An option's value is not a sandbox.
	run completions "$stub" stop -t ''
	[ -z "$output" ]
	run completions "$stub" attach --sig-proxy ''
	[ "$output" = "$(printf 'false\ntrue')" ]
	run completions "$stub" attach --sig-proxy false w
	[ "$output" = web ]
	run completions "$stub" logs -f w
	[ "$output" = web ]
	run completions "$stub" ps -
	[ "$output" = "$(printf -- '--all\n--help\n--json\n-a\n-h')" ]
	run completions "$stub" run --det
	[ "$output" = --detach ]
}

@test "without rvisord, sandbox ids complete to nothing, quickly and quietly" {
	start=$SECONDS
	run --separate-stderr completions "$RVISORCTL" stats ''
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ $((SECONDS - start)) -lt 5 ]
	# A daemon that does not answer: the timeout ends the wait.
	stub=$BATS_TEST_TMPDIR/slow
	printf '#!/bin/sh\nexec sleep 30\n' >"$stub"
	chmod +x "$stub"
	start=$SECONDS
	run completions "$stub" kill ''
	[ -z "$output" ]
	[ $((SECONDS - start)) -lt 5 ]
}
