# For the host suites whose clients are real users (root only): a group for rvisord's socket
# and its members, made for the test file and removed after it, a private rvisord they can
# reach, and commands and varlink calls run as one of them. Load after lib and daemon.

# members_add GROUP USER[:FIRST-LAST]...: GROUP and its members, made anew (what an earlier run
# left removed first); a USER given with a range gets those subordinate uids and gids.
members_add() {
	local group=$1 spec
	shift
	members_remove "$group" "${@%%:*}"
	groupadd "$group"
	for spec in "$@"; do
		useradd -M -s /bin/sh -G "$group" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "${spec%%:*}"
		[[ "$spec" != *:* ]] || usermod --add-subuids "${spec#*:}" --add-subgids "${spec#*:}" "${spec%%:*}"
	done
}

# members_remove GROUP USER...: the users, their own groups and subordinate ids, and GROUP,
# where they exist.
members_remove() {
	local group=$1 u
	shift
	for u in "$@"; do
		userdel "$u" 2>/dev/null || true
		groupdel "$u" 2>/dev/null || true
		sed -i "/^$u:/d" /etc/subuid /etc/subgid || true
	done
	groupdel "$group" 2>/dev/null || true
}

# members_daemon_start NAME [rvisord.conf LINES...]: start_daemon in a new directory the
# members can reach (bats' own is root's alone), /tmp/rvisor-NAME.XXXXXX, as RVISOR_TEST_DIR
# (and so $D); the lines give the socket to their group (socket_group).
members_daemon_start() {
	RVISOR_TEST_DIR=$(mktemp -d "/tmp/rvisor-$1.XXXXXX") || return 1
	export RVISOR_TEST_DIR
	chmod 0755 "$RVISOR_TEST_DIR"
	shift
	start_daemon "$@"
}

# as USER COMMAND...: as USER (a member of the group, or root), with the test's socket.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups env RVISOR_SOCKET="$RVISOR_SOCKET" \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$@"
}

# raw USER [--fd SPEC]... JSON: one varlink call, as USER.
raw() {
	local u=$1
	shift
	local json=${!#}
	as "$u" "$ROOT/build/tools/varlink-raw" "${@:1:$#-1}" "$RVISOR_SOCKET" < <(printf '%s\0' "$json")
}

# start_bg USER NAME RUN-ARGS...: a sandbox in the background that printed "ready".
start_bg() {
	local u=$1 name=$2 out=$BATS_TEST_TMPDIR/$2.out
	shift 2
	as "$u" "$RVISORCTL" run --name "$name" "$@" >"$out" 2>&1 3>&- &
	for _ in $(seq 200); do grep -q ready "$out" 2>/dev/null && return 0; sleep 0.05; done
	cat "$out"
	return 1
}
