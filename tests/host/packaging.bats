#!/usr/bin/env bats
# Distribution packages: `make deb` and `make rpm` build rvisor and rvisor-dkms from a copy of
# the working tree (once, in setup_file: about 30 s together); the tests read what came out.
# The DKMS source tree is built for real against the installed kernel headers, in a
# temporary DKMS tree (no system-wide state).

load lib

PKGS=$ROOT/build/packages
DEB=$PKGS/rvisor_${RVISOR_VERSION}_amd64.deb
DEB_DKMS=$PKGS/rvisor-dkms_${RVISOR_VERSION}_amd64.deb
RPM=$PKGS/rvisor-$RVISOR_VERSION-1.x86_64.rpm
RPM_DKMS=$PKGS/rvisor-dkms-$RVISOR_VERSION-1.noarch.rpm
SRC=/usr/src/rvisor-$RVISOR_VERSION

setup_file() {
	local log=$ROOT/build/packaging
	mkdir -p "$log"
	if command -v dpkg-buildpackage >/dev/null; then
		make -C "$ROOT" deb >"$log/deb.log" 2>&1
		echo $? >"$BATS_FILE_TMPDIR/deb.rc"
	fi
	if command -v rpmbuild >/dev/null; then
		make -C "$ROOT" rpm >"$log/rpm.log" 2>&1
		echo $? >"$BATS_FILE_TMPDIR/rpm.rc"
	fi
}

need_deb() {
	[ -f "$BATS_FILE_TMPDIR/deb.rc" ] || skip "dpkg-buildpackage not installed (make deps)"
	[ "$(cat "$BATS_FILE_TMPDIR/deb.rc")" = 0 ] || {
		tail -30 "$ROOT/build/packaging/deb.log"
		false
	}
}

need_rpm() {
	[ -f "$BATS_FILE_TMPDIR/rpm.rc" ] || skip "rpmbuild not installed (make deps)"
	[ "$(cat "$BATS_FILE_TMPDIR/rpm.rc")" = 0 ] || {
		tail -30 "$ROOT/build/packaging/rpm.log"
		false
	}
}

# Paths in a .deb, without the leading "." (directories end in /).
deb_files() {
	dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'
}

# The module's sources as git tracks them (module/, include/uapi/).
module_sources() {
	git -C "$ROOT" ls-files module include/uapi
}

# The man pages as installed (MANDIR/manN/PAGE), one per line, from docs/man.
man_pages() {
	local p
	for p in "$ROOT"/docs/man/*.[1-8]; do
		echo "/usr/share/man/man${p##*.}/${p##*/}"
	done
}

no_build_outputs() {
	! grep -E '\.(o|ko|mod|mod\.c|mod\.o|cmd|symvers|order|a)$|/\.[^/]+$|/\.tmp_versions/' <<<"$1" || false
}

@test "debian/changelog's version is VERSION's" {
	run dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version
	[ "$status" -eq 0 ]
	[ "$output" = "$RVISOR_VERSION" ]
}

@test "make deb builds rvisor and rvisor-dkms into build/packages" {
	need_deb
	[ -f "$DEB" ]
	[ -f "$DEB_DKMS" ]
}

@test "rvisor.deb: programs, units, sysusers, tmpfiles, udev rule, configuration, man pages, completion" {
	need_deb
	files=$(deb_files "$DEB")
	for f in /usr/sbin/rvisord /usr/bin/rvisorctl \
		/etc/rvisor/rvisord.conf /etc/rvisor/policies/default.conf \
		/etc/rvisor/policies/permissive.conf \
		/lib/systemd/system/rvisord.service /lib/systemd/system/rvisord.socket \
		/usr/lib/sysusers.d/rvisor.conf /usr/lib/tmpfiles.d/rvisor.conf \
		/lib/udev/rules.d/60-rvisor.rules /usr/share/doc/rvisor/copyright \
		/usr/share/bash-completion/completions/rvisorctl; do
		grep -qx "$f" <<<"$files" || { echo "missing $f"; false; }
	done
	# Every man page, compressed by dh_compress.
	for f in $(man_pages); do
		grep -qx "$f.gz" <<<"$files" || { echo "missing $f.gz"; false; }
	done
	# Module sources belong to rvisor-dkms, the UAPI header to neither.
	! grep -q '^/usr/src/' <<<"$files" || false
	! grep -q '^/usr/include/' <<<"$files" || false
}

@test "rvisor.deb: every file in /etc is a conffile" {
	need_deb
	run dpkg-deb -I "$DEB" conffiles
	[ "$status" -eq 0 ]
	for f in $(deb_files "$DEB" | grep '^/etc/.*[^/]$'); do
		grep -qx "$f" <<<"$output" || { echo "not a conffile: $f"; false; }
	done
	grep -qx /etc/rvisor/rvisord.conf <<<"$output"
}

@test "rvisor.deb: Depends come from shlibs; rvisor-dkms is recommended" {
	need_deb
	run dpkg-deb -f "$DEB" Depends
	for lib in libc6 libsystemd0 libcap2 libseccomp2 libjson-c5 libinih1 libkmod2 libmount1; do
		[[ "$output" == *"$lib "* ]] || { echo "Depends lacks $lib: $output"; false; }
	done
	run dpkg-deb -f "$DEB" Recommends
	[[ "$output" == *rvisor-dkms* ]]
}

@test "rvisor.deb: the group before the socket, socket enabled and started, both stopped on remove" {
	need_deb
	postinst=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./postinst)
	sysusers=$(grep -n 'systemd-sysusers.*rvisor.conf' <<<"$postinst" | cut -d: -f1)
	start=$(grep -n "deb-systemd-invoke start 'rvisord.socket'" <<<"$postinst" | cut -d: -f1)
	[ -n "$sysusers" ] && [ -n "$start" ] && [ "$sysusers" -lt "$start" ]
	grep -q "deb-systemd-helper enable 'rvisord.socket'" <<<"$postinst"
	grep -q 'systemd-tmpfiles.*--create rvisor.conf' <<<"$postinst"
	# Socket-activated: the postinst never starts or restarts the service itself.
	! grep -q "start 'rvisord.service'\|restart 'rvisord.service'" <<<"$postinst" || false
	prerm=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./prerm)
	grep -q "deb-systemd-invoke stop 'rvisord.socket'" <<<"$prerm"
	grep -q 'deb-systemd-invoke stop rvisord.service' <<<"$prerm"
	postrm=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./postrm)
	grep -q 'rm -rf --one-file-system /var/lib/rvisor' <<<"$postrm"
	grep -q "deb-systemd-helper purge 'rvisord.socket'" <<<"$postrm"
}

@test "rvisor.deb: the units are valid (systemd-analyze verify) and as designed" {
	need_deb
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	root=$BATS_TEST_TMPDIR/root
	dpkg-deb -x "$DEB" "$root"
	# The targets the units refer to, from the host's systemd.
	cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
	# verify runs man for each Documentation= page: the package's own pages.
	run env MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" \
		"$root/lib/systemd/system/rvisord.socket" "$root/lib/systemd/system/rvisord.service"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	svc=$root/lib/systemd/system/rvisord.service
	sock=$root/lib/systemd/system/rvisord.socket
	grep -qx 'Type=notify' "$svc"
	grep -qx 'NotifyAccess=main' "$svc"
	grep -qx 'ExecStart=/usr/sbin/rvisord' "$svc"
	grep -qx 'Delegate=yes' "$svc"
	# Detached sandboxes outlive a restart: rvisord alone is stopped, and hands them over
	# through the descriptor store (docs/packaging.md).
	grep -qx 'KillMode=process' "$svc"
	grep -qx 'FileDescriptorStoreMax=8192' "$svc"
	grep -qx 'Restart=on-failure' "$svc"
	grep -qx 'OOMPolicy=continue' "$svc"
	# Nothing that would put a seccomp filter or a cgroup BPF program on the workloads.
	! grep -Eq '^(SystemCallFilter|SystemCallArchitectures|RestrictNamespaces|RestrictAddressFamilies|MemoryDenyWriteExecute|LockPersonality|RestrictRealtime|RestrictSUIDSGID|ProtectHostname|ProtectClock|ProtectKernelModules|ProtectKernelLogs|IPAddressDeny|IPAddressAllow|SocketBindDeny|RestrictNetworkInterfaces|RestrictFileSystems)=' "$svc" || false
	# Nor what would hide images in /tmp, /dev/rvisor or the cgroup tree from the daemon.
	! grep -Eq '^(PrivateTmp|PrivateDevices|ProtectControlGroups)=(yes|true|1)' "$svc" || false
	grep -qx 'ListenStream=/run/rvisor/io.rvisor.Manager' "$sock"
	grep -qx 'FileDescriptorName=varlink' "$sock"
	grep -qx 'SocketMode=0660' "$sock"
	grep -qx 'SocketGroup=rvisor' "$sock"
	grep -qx 'RemoveOnStop=yes' "$sock"
}

@test "rvisor-dkms.deb: dkms.conf and the module's sources in /usr/src/rvisor-VERSION, no build output" {
	need_deb
	files=$(deb_files "$DEB_DKMS")
	grep -qx "$SRC/dkms.conf" <<<"$files"
	grep -qx "$SRC/VERSION" <<<"$files"
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		for f in $(module_sources); do
			grep -qx "$SRC/$f" <<<"$files" || { echo "missing $SRC/$f"; false; }
		done
	fi
	grep -qx "$SRC/module/Kbuild" <<<"$files"
	grep -qx "$SRC/include/uapi/linux/rvisor.h" <<<"$files"
	no_build_outputs "$files"
	# The version written in, for the tools that read dkms.conf as text.
	dpkg-deb --fsys-tarfile "$DEB_DKMS" | tar -xO ".$SRC/dkms.conf" |
		grep -qx "PACKAGE_VERSION=\"$RVISOR_VERSION\""
}

@test "rvisor-dkms.deb: depends on dkms, this rvisor and kernel headers; dkms in postinst and prerm" {
	need_deb
	run dpkg-deb -f "$DEB_DKMS" Depends
	[[ "$output" == *"dkms"* ]]
	[[ "$output" == *"rvisor (= $RVISOR_VERSION)"* ]]
	[[ "$output" == *"linux-headers-amd64 | linux-headers-generic | linux-headers"* ]]
	dpkg-deb --ctrl-tarfile "$DEB_DKMS" | tar -xO ./postinst | grep -q "common.postinst"
	dpkg-deb --ctrl-tarfile "$DEB_DKMS" | tar -xO ./prerm |
		grep -q 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all'
	dpkg-deb --ctrl-tarfile "$DEB_DKMS" | tar -xO ./prerm | grep -qx "DKMS_VERSION=$RVISOR_VERSION"
}

@test "lintian reports no error, and no warning about man pages" {
	need_deb
	command -v lintian >/dev/null || skip "lintian not installed (make deps)"
	run lintian "$ROOT/build/deb/rvisor_${RVISOR_VERSION}_amd64.changes"
	echo "$output"
	! grep -q '^E:' <<<"$output" || false
	# Every program has its page, and every page reads without groff warnings.
	! grep -E '^W: .*(no-manual-page|manpage-)' <<<"$output" || false
}

@test "make rpm builds rvisor and rvisor-dkms into build/packages" {
	need_rpm
	[ -f "$RPM" ]
	[ -f "$RPM_DKMS" ]
}

@test "rvisor.rpm: programs, units, configuration (noreplace), man pages, completion, scriptlets" {
	need_rpm
	run rpm -qlp "$RPM"
	[ "$status" -eq 0 ]
	for f in /usr/sbin/rvisord /usr/bin/rvisorctl /etc/rvisor/rvisord.conf \
		/etc/rvisor/policies/default.conf /usr/lib/systemd/system/rvisord.service \
		/usr/lib/systemd/system/rvisord.socket /usr/lib/sysusers.d/rvisor.conf \
		/usr/lib/tmpfiles.d/rvisor.conf /usr/lib/udev/rules.d/60-rvisor.rules \
		/var/lib/rvisor /usr/share/bash-completion/completions/rvisorctl; do
		grep -qx "$f" <<<"$output" || { echo "missing $f"; false; }
	done
	# Every man page (compressed where the build root's rpm does that).
	for f in $(man_pages); do
		grep -qE "^$f(\.gz)?\$" <<<"$output" || { echo "missing $f"; false; }
	done
	! grep -q '^/usr/src/\|^/usr/include/' <<<"$output" || false
	run rpm -qp --configfiles "$RPM"
	grep -qx /etc/rvisor/rvisord.conf <<<"$output"
	run rpm -qp --scripts "$RPM"
	grep -q 'groupadd -r rvisor' <<<"$output"
	grep -q 'rvisord.socket' <<<"$output"
	grep -q 'rm -rf --one-file-system /run/rvisor /var/lib/rvisor' <<<"$output"
	run rpm -qp --qf '%{VERSION}' "$RPM"
	[ "$output" = "$RVISOR_VERSION" ]
}

@test "rvisor-dkms.rpm: the DKMS source tree; dkms add/build/install in %post, remove in %preun" {
	need_rpm
	run rpm -qlp "$RPM_DKMS"
	[ "$status" -eq 0 ]
	grep -qx "$SRC/dkms.conf" <<<"$output"
	grep -qx "$SRC/module/Kbuild" <<<"$output"
	grep -qx "$SRC/include/uapi/linux/rvisor.h" <<<"$output"
	no_build_outputs "$output"
	run rpm -qp --requires "$RPM_DKMS"
	grep -qx dkms <<<"$output"
	grep -qx "rvisor = $RVISOR_VERSION-1" <<<"$output"
	run rpm -qp --scripts "$RPM_DKMS"
	grep -q "dkms add -m rvisor -v $RVISOR_VERSION" <<<"$output"
	grep -q "dkms build -m rvisor -v $RVISOR_VERSION" <<<"$output"
	grep -q "dkms install -m rvisor -v $RVISOR_VERSION" <<<"$output"
	grep -q "dkms remove -m rvisor -v $RVISOR_VERSION --all" <<<"$output"
}

@test "make install-dkms from a tree with module build outputs ships only sources" {
	make -s -C "$ROOT" install-dkms DESTDIR="$BATS_TEST_TMPDIR/root"
	files=$(cd "$BATS_TEST_TMPDIR/root" && find . -type f | sed 's|^\.||')
	no_build_outputs "$files"
	grep -qx "$SRC/module/main.c" <<<"$files"
	grep -qx "$SRC/dkms.conf" <<<"$files"
}

@test "make install puts ExecStart where SBINDIR is, man pages and completion below PREFIX" {
	make -s -C "$ROOT" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr/local
	svc=$BATS_TEST_TMPDIR/root/usr/local/lib/systemd/system/rvisord.service
	grep -qx 'ExecStart=/usr/local/sbin/rvisord' "$svc"
	[ -f "$BATS_TEST_TMPDIR/root/usr/local/lib/systemd/system/rvisord.socket" ]
	[ -f "$BATS_TEST_TMPDIR/root/usr/local/lib/sysusers.d/rvisor.conf" ]
	[ -f "$BATS_TEST_TMPDIR/root/usr/local/lib/tmpfiles.d/rvisor.conf" ]
	[ -f "$BATS_TEST_TMPDIR/root/usr/local/lib/udev/rules.d/60-rvisor.rules" ]
	[ -f "$BATS_TEST_TMPDIR/root/usr/local/share/bash-completion/completions/rvisorctl" ]
	for f in $(man_pages); do
		[ -f "$BATS_TEST_TMPDIR/root/usr/local${f#/usr}" ] || { echo "missing /usr/local${f#/usr}"; false; }
	done
}

@test "the DKMS source tree builds rvisor.ko (dkms add/build in a temporary tree)" {
	command -v dkms >/dev/null || skip "dkms not installed (make deps)"
	kver=$("$ROOT/scripts/kernel-version.sh") || skip "no kernel headers"
	t=$BATS_TEST_TMPDIR
	make -s -C "$ROOT" install-dkms DESTDIR="$t/root"
	mkdir -p "$t/dkms"
	had_system_entry=0
	[ ! -e /var/lib/dkms/rvisor ] || had_system_entry=1
	# --sourcetree/--dkmstree keep everything in $t; the signing key, which dkms would
	# otherwise create in /var/lib/dkms, too.
	export mok_signing_key=$t/mok.key mok_certificate=$t/mok.pub
	opts=(-m rvisor -v "$RVISOR_VERSION" --sourcetree "$t/root/usr/src" --dkmstree "$t/dkms")
	run dkms add "${opts[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	run dkms build "${opts[@]}" -k "$kver"
	echo "$output"
	[ "$status" -eq 0 ]
	ko=$(find "$t/dkms/rvisor/$RVISOR_VERSION/$kver" -name 'rvisor.ko*' | head -1)
	[ -n "$ko" ]
	run modinfo -F version "$ko"
	[ "$output" = "$RVISOR_VERSION" ]
	run modinfo -F vermagic "$ko"
	[[ "$output" == "$kver "* ]]
	[ "$had_system_entry" = 1 ] || [ ! -e /var/lib/dkms/rvisor ]
}
