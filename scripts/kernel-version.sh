#!/bin/sh
# Prints the kernel version rvisor builds its module for (and the VM suite boots).
#   $RVISOR_KVER if set; else the running kernel if its headers are installed; else the newest
#   installed kernel that has headers. With --bootable, the kernel image must be in /boot too.
# Exits 1 with a hint when there is none.
set -eu
bootable=0
[ "${1:-}" = "--bootable" ] && bootable=1

usable() {
	[ -d "/lib/modules/$1/build" ] || return 1
	[ "$bootable" = 0 ] || [ -r "/boot/vmlinuz-$1" ]
}

if [ -n "${RVISOR_KVER:-}" ]; then
	usable "$RVISOR_KVER" && { echo "$RVISOR_KVER"; exit 0; }
	echo "kernel-version: RVISOR_KVER=$RVISOR_KVER has no headers (or no /boot image)" >&2
	exit 1
fi

running=$(uname -r)
if [ "$bootable" = 0 ] && usable "$running"; then
	echo "$running"
	exit 0
fi

for v in $(ls /lib/modules 2>/dev/null | sort -rV); do
	if usable "$v"; then
		echo "$v"
		exit 0
	fi
done
echo "kernel-version: no kernel with headers found; run 'make deps' (linux-image-amd64, linux-headers-amd64)" >&2
exit 1
