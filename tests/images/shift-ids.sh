#!/bin/bash
# Re-owns an image tree for a user namespace the way rootless podman stores its images: the
# namespace's uid 0 is the user's own UID, its uids 1..COUNT-1 are SUBUID_START.. (the user's
# /etc/subuid range); the same for gids. A file of uid 0 becomes UID's, a file of uid k > 0
# becomes SUBUID_START+k-1's.
#   tests/images/shift-ids.sh DIR UID GID SUBUID_START SUBGID_START [COUNT]
# COUNT (default 65536) is the number of ids in the namespace (1 + the size of the subordinate
# range): a file whose uid or gid is COUNT or more has no id there, and the script stops before
# changing anything. DIR is changed in place and the shift is not idempotent (run it on a fresh
# copy); links are never followed, and DIR should hold no mount points.
# What chown(2) changes besides the owner is put back: the setuid and setgid bits (cleared on
# every non-directory, even by root). Not shifted: the ids inside POSIX ACL entries, and file
# capabilities (security.capability, which chown removes; putting one back would mean writing
# it as a v3 capability whose root is UID): the script refuses a tree with ACLs or file
# capabilities when getfattr (package attr) is there to see them. Debian's minbase plus nginx
# has neither.
set -euo pipefail
trap 'echo "$0: failed at line $LINENO" >&2' ERR

usage() { echo "usage: $0 DIR UID GID SUBUID_START SUBGID_START [COUNT]" >&2; exit 2; }
[ $# -eq 5 ] || [ $# -eq 6 ] || usage
dir=$1 uid=$2 gid=$3 subuid=$4 subgid=$5 count=${6:-65536}
for v in "$uid" "$gid" "$subuid" "$subgid" "$count"; do
	[[ "$v" =~ ^[0-9]+$ ]] && [ "${#v}" -le 10 ] || { echo "$0: '$v' is not an id" >&2; usage; }
done
[ "$count" -ge 1 ] || { echo "$0: COUNT must be at least 1" >&2; exit 2; }
[ -d "$dir" ] && [ ! -L "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
for v in "$((uid + 0))" "$((gid + 0))" "$((subuid + count - 2))" "$((subgid + count - 2))"; do
	[ "$v" -lt 4294967295 ] || { echo "$0: the ids reach past 4294967294" >&2; exit 2; }
done
# find and chmod would take a DIR beginning with "-" for an option.
[[ "$dir" == /* ]] || dir=./$dir

# map ID START: the host id for namespace id ID.
map() { if [ "$1" -eq 0 ]; then echo "$2"; else echo $(($3 + $1 - 1)); fi; }

# The ids in use, each once. Every check comes before the first change.
uids=$(find "$dir" -printf '%U\n' | sort -un)
gids=$(find "$dir" -printf '%G\n' | sort -un)
# shellcheck disable=SC2086 # lists of numbers
bad=$(printf '%s\n' $uids $gids | awk -v c="$count" '$1 >= c' | sort -un | tr '\n' ' ')
if [ -n "$bad" ]; then
	echo "$0: ids outside 0..$((count - 1)) in $dir: $bad(find $dir -uid ID -o -gid ID)" >&2
	exit 1
fi
if command -v getfattr >/dev/null; then
	# -h: the links' own attributes (an absolute link in an image names a host path)
	xattrs=$(getfattr -R -P -h --absolute-names \
		-m '^(security\.capability|system\.posix_acl_(access|default))$' "$dir" |
		sed -n 's/^# file: //p')
	if [ -n "$xattrs" ]; then
		echo "$0: file capabilities or ACLs (not shifted, see the header) on:" >&2
		echo "$xattrs" | head -5 >&2
		exit 1
	fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The setuid/setgid bits to put back, as "MODE PATH" records (NUL-terminated).
find "$dir" ! -type l -perm /6000 -printf '%m %p\0' >"$work/modes"

# One list of paths per old id, all made before the first chown: ids old and new overlap (a
# file moved from 0 to 1000 must not be moved again as one of uid 1000). --from makes chown
# skip a path whose owner is no longer the one the list was made for.
for u in $uids; do find "$dir" -uid "$u" -print0 >"$work/uid-$u"; done
for g in $gids; do find "$dir" -gid "$g" -print0 >"$work/gid-$g"; done
paths() { tr -cd '\0' <"$1" | wc -c; }
for u in $uids; do
	new=$(map "$u" "$uid" "$subuid")
	echo "uid $u -> $new: $(paths "$work/uid-$u") paths"
	xargs -0 -r chown -h --from="$u" "$new" <"$work/uid-$u"
done
for g in $gids; do
	new=$(map "$g" "$gid" "$subgid")
	echo "gid $g -> $new: $(paths "$work/gid-$g") paths"
	xargs -0 -r chown -h --from=":$g" ":$new" <"$work/gid-$g"
done

# chown cleared the setuid/setgid bits of files (directories keep theirs): put them back.
while IFS= read -r -d '' rec; do
	chmod -- "${rec%% *}" "${rec#* }"
done <"$work/modes"
