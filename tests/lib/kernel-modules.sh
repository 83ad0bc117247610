#!/bin/bash
# Copies kernel modules with the modules they depend on out of a kernel's module tree,
# uncompressed (busybox's insmod takes plain .ko files), for the VM initramfs
# (tests/vm/mkinitramfs.sh).
#   tests/lib/kernel-modules.sh MODULE_TREE OUT_DIR NAME…
# MODULE_TREE is a /lib/modules/<release>: the host's, or one unpacked from another kernel's
# packages, which has no modules.dep (depmod makes it on installation): dependencies are read
# from each module's own "depends" field instead. OUT_DIR gets NAME.ko for each NAME and for
# every module it needs, and the file load-order listing them dependencies first, one a line.
# A NAME built into the kernel (modules.builtin) needs nothing. A NAME that is neither is an
# error.
set -euo pipefail

tree=$1 out=$2
shift 2
[ -d "$tree/kernel" ] || { echo "kernel-modules: $tree has no kernel/ directory" >&2; exit 1; }
mkdir -p "$out"
: >"$out/load-order"

# Module names use '_' and '-' interchangeably: index the tree by the name with '_'.
declare -A path_of=() added=()
while IFS= read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	path_of[${n//-/_}]=$f
done < <(find "$tree/kernel" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \))

builtin() {
	grep -qE "(^|/)${1//_/[-_]}\.ko\$" "$tree/modules.builtin" 2>/dev/null
}

add() { # add NAME: what it depends on first, then itself
	local name=${1//-/_} f d
	[ -z "${added[$name]:-}" ] || return 0
	f=${path_of[$name]:-}
	if [ -z "$f" ]; then
		builtin "$name" && return 0
		echo "kernel-modules: $name is neither a module in $tree nor built into the kernel" >&2
		return 1
	fi
	added[$name]=1
	case "$f" in
	*.ko) cp "$f" "$out/$name.ko" ;;
	*.ko.xz) xz -dc "$f" >"$out/$name.ko" ;;
	*.ko.zst) zstd -dcq "$f" >"$out/$name.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$out/$name.ko" ;;
	esac
	for d in $(modinfo -F depends "$out/$name.ko" | tr , ' '); do
		add "$d"
	done
	echo "$name.ko" >>"$out/load-order"
}

for name in "$@"; do
	add "$name"
done
