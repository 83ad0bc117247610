#!/usr/bin/env bats
# The man pages (docs/man/): they render without warnings, and they name what the code has:
# every verb and long option of rvisorctl's --help texts, rvisord's options, every rvisord.conf
# key (rvisord/config.c's table) and policy key (lib/policy.c's table), the environment
# variables rvisorctl reads and the journal fields rvisord writes.

bats_require_minimum_version 1.5.0

load lib

MAN=$ROOT/docs/man

# The page as text: no hyphenation, lines long enough that nothing wraps inside a name.
render() {
	LC_ALL=C.UTF-8 groff -man -Tutf8 -rHY=0 -rLL=1000n -P-cbou "$1"
}

# The verbs in rvisorctl --help ("  NAME  summary" under "Verbs:").
verbs() {
	"$RVISORCTL" --help | sed -n '/^Verbs:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

# The long options of a --help text on stdin.
long_options() {
	grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]*//' | sort -u
}

# Whether TEXT (stdin) holds WORD as a whole option or name, not as part of a longer one.
has_word() {
	grep -qE -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)"
}

# The text of one section (.SH NAME) of a page's source, up to the next .SH.
section_source() {
	awk -v h=".SH $2" '$0 == h { on = 1; next } /^\.SH / { on = 0 } on' "$1"
}

@test "every page renders without warnings (man --warnings, groff -ww)" {
	pages=("$MAN"/*.[1-8])
	[ "${#pages[@]}" -ge 5 ]
	for p in "${pages[@]}"; do
		# As lintian runs it.
		run --separate-stderr env LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$p"
		[ "$status" -eq 0 ] || { echo "$p: man exited $status"; false; }
		[ -z "$stderr" ] || { echo "$p: $stderr"; false; }
		run --separate-stderr groff -man -ww -z "$p"
		[ -z "$stderr" ] || { echo "$p: $stderr"; false; }
	done
}

@test "every page: .TH names the file, its section and VERSION; NAME is one whatis line" {
	for p in "$MAN"/*.[1-8]; do
		f=${p##*/}
		name=${f%.*} sect=${f##*.}
		th=$(sed -n '1s/^\.TH //p' "$p" | sed 's/\\-/-/g')
		title=$(tr '[:lower:]' '[:upper:]' <<<"$name")
		[[ "$th" == "$title $sect \""*"\" \"rvisor $RVISOR_VERSION\" \"rvisor\"" ]] ||
			{ echo "$f: .TH $th"; false; }
		whatis=$(section_source "$p" NAME | sed 's/\\-/-/g')
		[[ "$whatis" == "$name - "* ]] || { echo "$f: NAME is '$whatis'"; false; }
	done
}

@test "rvisorctl.1 names every verb and every long option of rvisorctl's --help texts" {
	page=$(render "$MAN/rvisorctl.1")
	run verbs
	[ "${#lines[@]}" -ge 6 ]
	for v in "${lines[@]}"; do
		grep -qE "^ {7}(policy )?$v( |\$)" <<<"$page" || { echo "verb $v not in rvisorctl.1"; false; }
	done
	for v in "" $(verbs) "policy list" "policy show" "policy check"; do
		# shellcheck disable=SC2086
		opts=$("$RVISORCTL" $v --help | long_options)
		[ -n "$opts" ]
		for o in $opts; do
			has_word "$o" <<<"$page" || { echo "rvisorctl $v: $o not in rvisorctl.1"; false; }
		done
	done
}

@test "rvisorctl.1 names the environment variables rvisorctl reads" {
	env=$(section_source "$MAN/rvisorctl.1" ENVIRONMENT)
	vars=$(cat "$ROOT"/rvisorctl/*.c "$ROOT"/lib/*.c | grep -oE 'getenv\("[A-Z_]+"\)' |
		sed -E 's/.*"(.*)".*/\1/' | sort -u)
	grep -qx RVISOR_SOCKET <<<"$vars"
	for v in $vars; do
		grep -qx "\.B $v" <<<"$env" || { echo "$v not in rvisorctl.1's ENVIRONMENT"; false; }
	done
}

@test "rvisord.8 names rvisord's options and the journal fields it writes" {
	page=$(render "$MAN/rvisord.8")
	opts=$("$RVISORD" --help | long_options)
	[ -n "$opts" ]
	for o in $opts; do
		has_word "$o" <<<"$page" || { echo "rvisord: $o not in rvisord.8"; false; }
	done
	fields=$(grep -oE '"[A-Z_]+=%' "$ROOT/rvisord/journal.c" | tr -d '"=%' | sort -u |
		grep -vx 'MESSAGE\|PRIORITY')
	grep -qx SANDBOX_ID <<<"$fields"
	log=$(section_source "$MAN/rvisord.8" LOGGING)
	for f in $fields; do
		grep -qE "^\.B $f\$|$f=" <<<"$log" || { echo "journal field $f not in rvisord.8"; false; }
	done
}

# rvisord/config.c's config_keys[], the keys rvisord.conf may set.
config_keys() {
	sed -n '/config_keys\[\] = {/,/};/p' "$ROOT/rvisord/config.c" | grep -oE '"[a-z_]+"' | tr -d '"'
}

@test "rvisord.conf.5 describes every key rvisord accepts, and no other" {
	run config_keys
	[ "${#lines[@]}" -ge 12 ]
	keys=$(section_source "$MAN/rvisord.conf.5" KEYS | grep -A1 -x '\.TP' |
		sed -nE 's/^\.BR ([a-z_]+) .*/\1/p')
	for k in "${lines[@]}"; do
		grep -qx "$k" <<<"$keys" || { echo "$k not in rvisord.conf.5"; false; }
		# The shipped file shows every key too.
		grep -qE "^#?$k = " "$ROOT/etc/rvisor/rvisord.conf" || { echo "$k not in rvisord.conf"; false; }
	done
	for k in $keys; do
		grep -qx "$k" <<<"$output" || { echo "rvisord.conf.5 has $k, which rvisord does not accept"; false; }
	done
}

# lib/policy.c's keys[]: "section key" per line.
policy_keys() {
	sed -nE 's/^\t\{ SECTION_([A-Z]+), "([a-z_0-9]+)",.*/\1 \2/p' "$ROOT/lib/policy.c" |
		tr '[:upper:]' '[:lower:]'
}

@test "rvisor-policy.5 describes every section and key the policy parser accepts" {
	run policy_keys
	n=$(sed -nE 's/^#define N_KEYS ([0-9]+)/\1/p' "$ROOT/lib/policy.c")
	[ "${#lines[@]}" -eq "$n" ]
	sections=$(sed -n 's/^\.SH \[\([a-z]*\)\]$/\1/p' "$MAN/rvisor-policy.5")
	for l in "${lines[@]}"; do
		read -r s k <<<"$l"
		grep -qx "$s" <<<"$sections" || { echo "[$s] has no section in rvisor-policy.5"; false; }
		# The key, at the head of an entry (.TP) of its section.
		section_source "$MAN/rvisor-policy.5" "[$s]" | grep -A1 -x '\.TP' |
			grep -qE "^\.BR? (.*, \" )?$k( |\$)" || { echo "[$s] $k not in rvisor-policy.5"; false; }
	done
	for s in $sections; do
		grep -q "^$s " <<<"$output" || { echo "rvisor-policy.5 has [$s], which the parser lacks"; false; }
	done
}

@test "the pages refer to each other and to rvisor-runc(1) by the names they are installed as" {
	for p in "$MAN"/*.[1-8]; do
		for ref in $(grep -oE '^\.BR rvisor[a-z.\\-]* \([1-8]\)' "$p" | sed -E 's/^\.BR ([^ ]*) \((.)\)/\1.\2/; s/\\-/-/g'); do
			[ -f "$MAN/$ref" ] || { echo "${p##*/} refers to $ref, which is not in docs/man"; false; }
		done
	done
}
