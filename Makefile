# rvisor top-level build.
#   make                 rvisord, rvisorctl, rvisor-runc and (when kernel headers are found) rvisor.ko
#   make module KDIR=…   the module for another kernel's build tree
#   make check           every test suite: C unit tests (ASan/UBSan), host bats, VM bats
#   make demo            build everything, boot Debian's kernel in QEMU with rvisor.ko loaded
#   make bench           the benchmarks, in the VM: ratios against native
#   make system-test     the Debian packages on a booted Debian 12 with systemd
#   make kernels-test    rvisor.ko built for and booted on Debian 13's 6.12 and sid's kernel
#   make deps            install build and test dependencies with apt-get (needs root)
#   make install         DESTDIR and PREFIX honoured
#   make install-dkms    the module's source for DKMS, into $(DESTDIR)/usr/src/rvisor-$(VERSION)
#   make deb             Debian packages rvisor and rvisor-dkms into build/packages/
#   make rpm             RPM packages rvisor and rvisor-dkms into build/packages/
VERSION := $(shell cat VERSION)
.SECONDEXPANSION:

PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DESTDIR ?=
# systemd units, sysusers.d, tmpfiles.d and udev rules (the packages pass their distribution's).
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# DKMS looks for module sources here, whatever the prefix.
DKMSSRCDIR ?= /usr/src

BUILD := build
CC ?= cc
PKG_CONFIG ?= pkg-config

# Kernel build tree: KDIR, else /lib/modules/$(KVER)/build, else what scripts/kernel-version.sh
# finds when the recipe runs (so that `make deps demo` works on a machine without headers yet).
KVER ?=
KDIR ?= $(if $(KVER),/lib/modules/$(KVER)/build)

WARNINGS := -Wall -Wextra -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wold-style-definition -Wredundant-decls -Wformat=2 -Wformat-security \
	-Wformat-signedness -Wnull-dereference -Wpointer-arith -Wundef -Wwrite-strings \
	-Wcast-align -Wcast-qual -Wvla -Wimplicit-fallthrough -Wdate-time -Wlogical-op \
	-Wduplicated-cond -Wduplicated-branches -Wmissing-include-dirs -Wno-unused-parameter
HARDENING := -fstack-protector-strong -fstack-clash-protection -fcf-protection \
	-D_FORTIFY_SOURCE=2 -fPIE
HARDENING_LD := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed

# Every program's libraries (inih reads rvisord.conf and the policies), and rvisord's own:
# libkmod loads rvisor.ko, libmount reads the mount table.
LIBS_PKG := libsystemd libcap json-c libseccomp inih
RVISORD_LIBS_PKG := libkmod mount
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) $(RVISORD_LIBS_PKG))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PKG))
RVISORD_LIBS = $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs $(RVISORD_LIBS_PKG))

CPPFLAGS_ALL := -D_GNU_SOURCE -Iinclude/uapi -Ilib -DRVISOR_VERSION='"$(VERSION)"'
CFLAGS ?= -O2 -g
CFLAGS_ALL = -std=gnu11 $(WARNINGS) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS)

# lib/: what rvisord shares with the command-line programs; cli/: what only those share
# (rvisorctl and rvisor-runc; built with -Icli, which rvisord is not).
LIB_SRC := $(wildcard lib/*.c)
CLI_SRC := $(wildcard cli/*.c)
RVISORD_SRC := $(wildcard rvisord/*.c)
RVISORCTL_SRC := $(wildcard rvisorctl/*.c)
# rvisor-runc, the OCI runtime (runtime/); its unit test links all of it but main.c.
RUNTIME_SRC := $(wildcard runtime/*.c)
RUNTIME_LIB_SRC := $(filter-out runtime/main.c,$(RUNTIME_SRC))
HEADERS := $(wildcard include/uapi/linux/*.h lib/*.h cli/*.h rvisord/*.h rvisorctl/*.h runtime/*.h) VERSION

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: FORCE all userspace module vm-helpers clean check unit-test host-test vm-test system-test kernels-test demo bench bench-inputs bench-oci deps install
all: userspace
	@if [ -n "$(KDIR)" ] || scripts/kernel-version.sh >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory module; \
	else \
		echo "No kernel headers found: rvisor.ko not built (make deps installs them)"; \
	fi

userspace: $(BUILD)/rvisord $(BUILD)/rvisorctl $(BUILD)/rvisor-runc

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CLI_CPPFLAGS) $(HARDENING) -c -o $@ $<

$(call obj,$(CLI_SRC) $(RVISORCTL_SRC) $(RUNTIME_SRC)): CLI_CPPFLAGS := -Icli

# The IDL text, served by GetInterfaceDescription, compiled in from its one source.
IDL_C := $(BUILD)/gen/manager-idl.c
$(IDL_C): rvisord/io.rvisor.Manager.varlink
	@mkdir -p $(dir $@)
	{ echo '/* Generated from $< by the Makefile. */'; \
	  echo 'extern const char manager_interface_description[];'; \
	  echo 'const char manager_interface_description[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $<; echo ';'; } >$@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(HARDENING) -c -o $@ $<

$(BUILD)/rvisord: $(call obj,$(RVISORD_SRC) $(LIB_SRC)) $(BUILD)/obj/gen/manager-idl.o
	$(CC) $(CFLAGS) $(HARDENING_LD) -o $@ $^ $(RVISORD_LIBS)

$(BUILD)/rvisorctl: $(call obj,$(RVISORCTL_SRC) $(CLI_SRC) $(LIB_SRC))
	$(CC) $(CFLAGS) $(HARDENING_LD) -o $@ $^ $(PKG_LIBS)

$(BUILD)/rvisor-runc: $(call obj,$(RUNTIME_SRC) $(CLI_SRC) $(LIB_SRC))
	$(CC) $(CFLAGS) $(HARDENING_LD) -o $@ $^ $(PKG_LIBS)

module:
	@kdir='$(KDIR)'; \
	if [ -z "$$kdir" ]; then kver=$$(scripts/kernel-version.sh) || exit 1; kdir=/lib/modules/$$kver/build; fi; \
	$(MAKE) --no-print-directory -C module KDIR=$$kdir

# C unit tests: lib/ compiled again with ASan/UBSan into each test binary.
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))

# Unit tests may call the daemon's own modules too (everything but its main.c), and cli/.
UNIT_LINKED := $(LIB_SRC) $(CLI_SRC) $(filter-out rvisord/main.c,$(RVISORD_SRC)) $(IDL_C)

$(BUILD)/unit/%: tests/unit/%.c $(UNIT_LINKED) $(HEADERS) tests/unit/tap.h tests/unit/bpf-run.h \
	tests/unit/varlink-echo.h tests/unit/source-tree.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O1 $(SANITIZE) -Itests/unit -Irvisord -Icli -o $@ $< $(UNIT_LINKED) $(RVISORD_LIBS)

# rvisor-runc's unit test: lib/, cli/ and the runtime's own files (not the daemon's).
$(BUILD)/unit/test-runtime: tests/unit/test-runtime.c $(LIB_SRC) $(CLI_SRC) $(RUNTIME_LIB_SRC) $(HEADERS) tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O1 $(SANITIZE) -Itests/unit -Iruntime -Icli -o $@ $< $(LIB_SRC) $(CLI_SRC) \
		$(RUNTIME_LIB_SRC) $(PKG_LIBS)

# Fuzzing: tests/fuzz/fuzz-NAME.c against lib/ under ASan/UBSan. The plain build replays
# tests/fuzz/corpus/NAME/ plus deterministic mutations and prints TAP (a `make check` suite);
# `make fuzz-libfuzzer` builds clang libFuzzer targets for long runs (build/fuzz/libfuzzer/).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
CLANG ?= clang
# Every target's replay driver (replay.h), the Echo method fuzz-varlink shares with test-varlink
# (tests/unit/varlink-echo.h), the BPF interpreter fuzz-oci-seccomp and fuzz-policy share with
# the unit tests (tests/unit/bpf-run.h), and how they find the source tree
# (tests/unit/source-tree.h).
FUZZ_HEADERS := tests/fuzz/replay.h tests/unit/bpf-run.h tests/unit/varlink-echo.h tests/unit/source-tree.h

# What a target links besides lib/: fuzz-oci-config fuzzes rvisor-runc's config rewrite (the
# runtime's own files and cli/), fuzz-bundle-config rvisord's reading of config.json.
FUZZ_EXTRA_SRC = $(FUZZ_EXTRA_SRC_$*)
FUZZ_EXTRA_SRC_fuzz-oci-config := $(RUNTIME_LIB_SRC) $(CLI_SRC)
FUZZ_EXTRA_SRC_fuzz-bundle-config := rvisord/oci.c
FUZZ_INCLUDES := -Itests/unit -Iruntime -Icli -Irvisord

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $$(FUZZ_EXTRA_SRC) $(HEADERS) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O1 $(SANITIZE) $(FUZZ_INCLUDES) -o $@ $< $(LIB_SRC) $(FUZZ_EXTRA_SRC) $(PKG_LIBS)

$(BUILD)/fuzz/libfuzzer/%: tests/fuzz/%.c $(LIB_SRC) $$(FUZZ_EXTRA_SRC) $(HEADERS) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(FUZZ_INCLUDES) -DRVISOR_LIBFUZZER \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(FUZZ_EXTRA_SRC) $(PKG_LIBS)

.PHONY: fuzz-test fuzz-libfuzzer
fuzz-test: $(FUZZ_BIN)
	tests/run-all.sh fuzz
fuzz-libfuzzer: $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/libfuzzer/%,$(FUZZ_SRC))

# The programs again with ASan/UBSan, for the host suites to run.
$(BUILD)/asan/rvisord: $(RVISORD_SRC) $(LIB_SRC) $(HEADERS) $(IDL_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O1 $(SANITIZE) -Irvisord -o $@ $(RVISORD_SRC) $(LIB_SRC) $(IDL_C) $(RVISORD_LIBS)

$(BUILD)/asan/rvisorctl: $(RVISORCTL_SRC) $(CLI_SRC) $(LIB_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O1 $(SANITIZE) -Icli -o $@ $(RVISORCTL_SRC) $(CLI_SRC) $(LIB_SRC) $(PKG_LIBS)

$(BUILD)/asan/rvisor-runc: $(RUNTIME_SRC) $(CLI_SRC) $(LIB_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O1 $(SANITIZE) -Icli -o $@ $(RUNTIME_SRC) $(CLI_SRC) $(LIB_SRC) $(PKG_LIBS)

ASAN_BIN := $(BUILD)/asan/rvisord $(BUILD)/asan/rvisorctl $(BUILD)/asan/rvisor-runc

# Small tools the host suites use (one .c file each).
TEST_TOOLS := $(patsubst tests/helpers/%.c,$(BUILD)/tools/%,$(wildcard tests/helpers/*.c))
$(BUILD)/tools/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -O2 -o $@ $<

# An independent varlink client, Debian's Go library (tests/varlink-go/), and its answer
# checker's test, for varlink-go.bats: built offline from the packaged sources (make deps
# installs golang-go and golang-github-varlink-go-dev), the build cache under build/.
GO ?= go
GO_ENV := GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS= GOENV=off \
	GOCACHE=$(abspath $(BUILD)/go-cache)
GO_CHECK = command -v $(GO) >/dev/null && [ -d /usr/share/gocode/src/github.com/varlink/go/varlink ] || \
	{ echo "$@ needs Go and its varlink library: make deps (golang-go golang-github-varlink-go-dev)" >&2; exit 1; }
VARLINK_GO := $(BUILD)/tools/varlink-go $(BUILD)/tools/varlink-go.test
$(BUILD)/tools/varlink-go: $(filter-out %_test.go,$(wildcard tests/varlink-go/*.go))
	@$(GO_CHECK)
	@mkdir -p $(dir $@)
	$(GO_ENV) $(GO) build -buildvcs=false -o $@ ./tests/varlink-go
$(BUILD)/tools/varlink-go.test: $(wildcard tests/varlink-go/*.go)
	@$(GO_CHECK)
	@mkdir -p $(dir $@)
	$(GO_ENV) $(GO) test -buildvcs=false -c -o $@ ./tests/varlink-go

unit-test: $(UNIT_BIN)
	tests/run-all.sh unit

# VM suite: static helpers and the initramfs, rebuilt only when an input changed.
VM_HELPERS := $(patsubst tests/vm/helpers/%.c,$(BUILD)/vm/helpers/%,$(wildcard tests/vm/helpers/*.c))
VM_INPUTS := $(wildcard tests/vm/*.bats tests/vm/*.bash etc/rvisor/*.conf etc/rvisor/policies/*.conf) \
	tests/vm/init tests/vm/mkinitramfs.sh tests/vm/kernel-log-problems.sh tests/images/make-busybox-image.sh \
	tests/lib/kernel-modules.sh

$(BUILD)/vm/helpers/%: tests/vm/helpers/%.c tests/vm/helpers/names.h include/uapi/linux/rvisor.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -Iinclude/uapi -O2 -static -o $@ $<

vm-helpers: $(VM_HELPERS)

# Static, with the policy code rvisord uses (the layers table compiles a policy file and its
# seccomp filter as rvisord does) and libseccomp's syscall names.
BENCH_LIB_SRC := lib/policy.c lib/policy-names.c lib/policy-seccomp.c lib/device.c lib/cpus.c \
	lib/ini-file.c lib/strv.c
$(BUILD)/bench/syscall-bench: bench/syscall-bench.c $(BENCH_LIB_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARNINGS) $(CPPFLAGS_ALL) $(shell $(PKG_CONFIG) --cflags json-c libseccomp inih) \
		-O2 -static -o $@ $< $(BENCH_LIB_SRC) -lseccomp -linih -ljson-c

vm-helpers: $(BUILD)/bench/syscall-bench

# The peer table's nginx and docker's seccomp profile, from Debian's archive without installing
# them (bench/fetch-peer-files.sh): fetched for the benchmark only (tests/vm/run.sh --bench), and
# packed into the initramfs once they are there.
PEER_FILES := $(BUILD)/bench/peer-files
$(PEER_FILES)/versions: bench/fetch-peer-files.sh
	bench/fetch-peer-files.sh $(PEER_FILES)
bench-inputs: $(PEER_FILES)/versions

VM_USERSPACE := $(BUILD)/rvisord $(BUILD)/rvisorctl $(BUILD)/rvisor-runc $(BUILD)/tools/varlink-raw $(BUILD)/tools/fdstore-run $(VM_HELPERS) $(BUILD)/bench/syscall-bench bench/run-vm.sh $(VM_INPUTS) VERSION \
	$(BUILD)/vm/inputs.list $(wildcard $(PEER_FILES)/versions)

# The list of inputs, rewritten only when it changes: a suite removed from tests/vm/ must leave
# the initramfs too.
$(BUILD)/vm/inputs.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(sort $(VM_INPUTS) $(VM_HELPERS))' | cmp -s - $@ || echo '$(sort $(VM_INPUTS) $(VM_HELPERS))' >$@

FORCE:
$(BUILD)/vm/initramfs.cpio: module/rvisor.ko $(VM_USERSPACE)
	tests/vm/mkinitramfs.sh $@ $(KVER)

# Another kernel's initramfs: make VM_KERNEL=DIR build/vm/kernels/<release>/initramfs.cpio, DIR
# prepared as tests/vm/run.sh describes (RVISOR_VM_KERNEL); its rvisor.ko, the host's user space.
VM_KERNEL ?=
$(BUILD)/vm/kernels/%/initramfs.cpio: $(VM_KERNEL)/rvisor.ko $(VM_KERNEL)/release $(VM_USERSPACE)
	tests/vm/mkinitramfs.sh $@ $* $(VM_KERNEL)

# What the host suite runs besides bats: the OCI runtime tests copy sc into their bundles.
HOST_TEST_INPUTS := userspace $(ASAN_BIN) $(TEST_TOOLS) $(VARLINK_GO) $(BUILD)/bench/syscall-bench $(BUILD)/vm/helpers/sc module

host-test: $(HOST_TEST_INPUTS)
	tests/run-all.sh host

# tests/vm/run.sh builds what the guest needs itself, for the kernel it boots.
vm-test:
	tests/run-all.sh vm

demo:
	tests/vm/run.sh --demo

# The packages installed on a booted Debian 12 with systemd (tests/system/run.sh).
system-test:
	tests/run-all.sh system

# rvisor.ko against Debian 13's and sid's own headers (in cached chroots of those suites), each
# kernel booted in QEMU with a subset of the VM suites (tests/kernels/run.sh).
kernels-test:
	tests/run-all.sh kernels

# Benchmarks in the VM: ratios against native, reported, never a test.
bench:
	bench/run.sh

# The OCI runtime benchmark (podman with rvisor-runc, crun, runc; nginx under ab) in the
# full-system VM, where the engines are installed.
bench-oci:
	tests/system/run.sh --bench

check: $(UNIT_BIN) $(FUZZ_BIN) $(HOST_TEST_INPUTS)
	tests/run-all.sh

deps:
	scripts/install-deps.sh

install: userspace
	install -Dm755 $(BUILD)/rvisord $(DESTDIR)$(SBINDIR)/rvisord
	install -Dm755 $(BUILD)/rvisorctl $(DESTDIR)$(BINDIR)/rvisorctl
	install -Dm755 $(BUILD)/rvisor-runc $(DESTDIR)$(BINDIR)/rvisor-runc
	for p in docs/man/*.[1-8]; do \
		install -Dm644 "$$p" "$(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/}" || exit 1; done
	install -Dm644 completion/rvisorctl.bash $(DESTDIR)$(BASHCOMPDIR)/rvisorctl
	install -Dm644 etc/rvisor/rvisord.conf $(DESTDIR)$(SYSCONFDIR)/rvisor/rvisord.conf
	install -Dm644 -t $(DESTDIR)$(SYSCONFDIR)/rvisor/policies etc/rvisor/policies/*.conf
	install -Dm644 include/uapi/linux/rvisor.h $(DESTDIR)$(PREFIX)/include/linux/rvisor.h
	@mkdir -p $(BUILD)/systemd
	sed 's|^ExecStart=/usr/sbin/|ExecStart=$(SBINDIR)/|' systemd/rvisord.service >$(BUILD)/systemd/rvisord.service
	install -Dm644 $(BUILD)/systemd/rvisord.service $(DESTDIR)$(UNITDIR)/rvisord.service
	install -Dm644 systemd/rvisord.socket $(DESTDIR)$(UNITDIR)/rvisord.socket
	install -Dm644 systemd/sysusers.d/rvisor.conf $(DESTDIR)$(SYSUSERSDIR)/rvisor.conf
	install -Dm644 systemd/tmpfiles.d/rvisor.conf $(DESTDIR)$(TMPFILESDIR)/rvisor.conf
	install -Dm644 systemd/udev/60-rvisor.rules $(DESTDIR)$(UDEVRULESDIR)/60-rvisor.rules

# The module's source as DKMS wants it: /usr/src/rvisor-VERSION/ holding dkms.conf, VERSION,
# module/ and include/uapi/ (Kbuild reads ../VERSION and ../include/uapi). Sources only, named
# by kind so that no build output in a working tree comes along (*.mod.c is kbuild's); a new
# kind of source file (.S, ...) must be added here. dkms.conf gets the version written in:
# tools that read it as text (dh_dkms, dkms mkdeb) cannot run its $(cat VERSION).
DKMS_DEST = $(DESTDIR)$(DKMSSRCDIR)/rvisor-$(VERSION)
.PHONY: install-dkms deb rpm dist
install-dkms:
	@mkdir -p $(BUILD)/dkms
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' dkms.conf >$(BUILD)/dkms/dkms.conf
	grep -qx 'PACKAGE_VERSION="$(VERSION)"' $(BUILD)/dkms/dkms.conf
	install -Dm644 $(BUILD)/dkms/dkms.conf $(DKMS_DEST)/dkms.conf
	install -Dm644 VERSION $(DKMS_DEST)/VERSION
	install -Dm644 include/uapi/linux/rvisor.h $(DKMS_DEST)/include/uapi/linux/rvisor.h
	find module -type f \( \( -name '*.c' ! -name '*.mod.c' \) -o -name '*.h' -o -name Kbuild \
		-o -name Makefile \) | LC_ALL=C sort | while read -r f; do \
		install -Dm644 "$$f" "$(DKMS_DEST)/$$f" || exit 1; done

# Packages are built from a copy of the working tree (git's tracked and untracked-but-not-
# ignored files, uncommitted changes included; without git: everything but build/ and .git),
# never from the tree itself: no stale object, module build output or cache gets in, and
# the packaging's clean step cannot touch the developer's build/.
PKG_OUT := $(BUILD)/packages
DIST := $(BUILD)/dist/rvisor-$(VERSION).tar.gz
dist:
	@mkdir -p $(BUILD)/dist
	@rm -f $(DIST)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard; \
	else \
		find . \( -path ./build -o -path ./.git \) -prune -o -type f -printf '%P\0'; \
	fi | xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done; true' sh | \
		tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner \
			--transform 's,^,rvisor-$(VERSION)/,' -czf $(DIST)
	@echo "$(DIST)"

# Debian: dpkg-buildpackage in an unpacked copy; debian/changelog must carry VERSION.
deb: dist
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "debian/changelog says $$v, VERSION says $(VERSION): add a changelog entry" >&2; exit 1; }
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb $(PKG_OUT)
	tar -xzf $(DIST) -C $(BUILD)/deb
	cd $(BUILD)/deb/rvisor-$(VERSION) && dpkg-buildpackage -us -uc -b
	rm -f $(PKG_OUT)/*.deb
	cp $(BUILD)/deb/*.deb $(PKG_OUT)/
	@ls -1 $(PKG_OUT)/*.deb

# RPM: rpmbuild -bb from the same tarball, in build/rpm/. Where rpm is not the system's package
# manager (Debian: its database does not even know rpm itself), --nodeps: BuildRequires name
# Fedora's packages, which are installed here as Debian's (make deps).
rpm: dist
	rm -rf $(BUILD)/rpm && mkdir -p $(BUILD)/rpm/SOURCES $(PKG_OUT)
	cp $(DIST) $(BUILD)/rpm/SOURCES/
	rpmbuild -bb $$(rpm -q --quiet rpm || echo --nodeps) --define '_topdir $(abspath $(BUILD)/rpm)' \
		--define 'rvisor_version $(VERSION)' rpm/rvisor.spec
	rm -f $(PKG_OUT)/*.rpm
	cp $(BUILD)/rpm/RPMS/*/*.rpm $(PKG_OUT)/
	@ls -1 $(PKG_OUT)/*.rpm

clean:
	rm -rf $(BUILD)
	cd module && rm -rf *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order .tmp_versions
