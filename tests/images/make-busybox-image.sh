#!/bin/sh
# Builds a minimal root filesystem for sandbox tests: a static busybox with a link per
# applet in /bin, /etc/passwd and /etc/group (root, a user 1000, nobody), /root, /home/user,
# /tmp (1777). No /proc, /dev or /sys: rvisord provides /proc and /dev, and never /sys.
#   tests/images/make-busybox-image.sh DIR      (DIR is created; an existing one is refilled)
# BUSYBOX=PATH picks the binary (default: busybox on $PATH); it must be statically linked
# (Debian: busybox-static), since the image has no shared libraries.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
bb=${BUSYBOX:-$(command -v busybox || true)}
[ -n "$bb" ] && [ -x "$bb" ] || { echo "$0: no busybox found (install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would find no libc in the image.
if LC_ALL=C ldd "$bb" 2>/dev/null | grep -q '=>'; then
	echo "$0: $bb is dynamically linked; install busybox-static or set BUSYBOX" >&2
	exit 1
fi

mkdir -p "$dir/bin" "$dir/etc" "$dir/root" "$dir/home/user" "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
# Programs that hard-code /usr/bin/env or /sbin/… find them too.
mkdir -p "$dir/usr"
[ -e "$dir/usr/bin" ] || ln -s ../bin "$dir/usr/bin"
[ -e "$dir/sbin" ] || ln -s bin "$dir/sbin"
[ -e "$dir/usr/sbin" ] || ln -s ../bin "$dir/usr/sbin"

cat >"$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$dir/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
GROUP
chmod 0755 "$dir" "$dir/bin" "$dir/etc" "$dir/home"
chmod 0700 "$dir/root"
chown 1000:1000 "$dir/home/user" 2>/dev/null || true
chmod 1777 "$dir/tmp"
echo "rvisor test image" >"$dir/etc/motd"
