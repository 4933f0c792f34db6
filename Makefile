# PANIC! appliance: one GNU Makefile for every program, test and benchmark.
#   make            build panicd, panicctl, panic-display and panic-tda into build/
#   make run        install missing packages, start panicd on a local state dir and follow a run
#   make test       install missing packages, build with ASan/UBSan into build/test/, run every test
#   make bench      build optimised and print the benchmark tables
#   make install    DESTDIR=... PREFIX=/usr/local
#   make deb        the Debian packages into build/deb-out (dpkg-buildpackage; ARCH=arm64 cross)
#   make test-arm64 cross-build the tests in build/cross (mmdebstrap) and run them under qemu-user
#   make image      a flashable Pi image, ROLE=coordinator|display|both (image-build/README.md)
#   make image-test boot that image under qemu-system-aarch64 and check it (a run, a frame)
#   make deps       apt-get what building and running needs, if missing (idempotent)
#   make deps-test  the same plus what only the tests use (a headless browser, Node, curl)
#   make format / format-check
# WERROR=0 relaxes -Werror (newer compilers on image builds); V=1 shows full command lines.
# Cross and distribution builds: CC, AR, PKG_CONFIG (every library probe goes through it),
# CPPFLAGS, CFLAGS and LDFLAGS are honoured (e.g. CC=aarch64-linux-gnu-gcc
# PKG_CONFIG=aarch64-linux-gnu-pkg-config CFLAGS="$(dpkg-buildflags --get CFLAGS)").

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
CPPFLAGS ?=
CFLAGS ?=
LDFLAGS ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
DESTDIR ?=
WERROR ?= 1
SAN ?= 0
B ?= build

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wundef -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -MMD -MP $(WARN)
ifeq ($(SAN),1)
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDSAN := -fsanitize=address,undefined
else ifeq ($(SAN),thread)
OPT := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDSAN := -fsanitize=thread
else
OPT ?= -O2 -g
LDSAN :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKG_PANICD := sqlite3 libmicrohttpd jansson libpng libcrypto libcurl libqrencode avahi-client
PKG_CTL := libcurl jansson avahi-client
# libgpiod is optional: 1.6 (bookworm) and 2.x (trixie) both build; without it the display has
# the keyboard and fake buttons only. input_gpiod.c sees PANIC_GPIOD_MAJOR.
GPIOD_VERSION := $(shell $(PKG_CONFIG) --modversion libgpiod 2>/dev/null)
GPIOD_MAJOR := $(firstword $(subst ., ,$(GPIOD_VERSION)))
PKG_GPIOD := $(if $(GPIOD_VERSION),libgpiod,)
PKG_DISPLAY := sdl2 SDL2_ttf SDL2_image libcurl jansson kissfft-float libqrencode libcrypto avahi-client $(PKG_GPIOD)
PKG_TEST := libcurl jansson sqlite3 $(PKG_DISPLAY)
pkgcflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkglibs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# The builtin platform's offline engines: each optional, each detected here.
HAVE_ESPEAK := $(shell $(PKG_CONFIG) --exists espeak-ng 2>/dev/null && echo 1)
HAVE_SPHINX := $(shell $(PKG_CONFIG) --exists pocketsphinx sphinxbase 2>/dev/null && echo 1)
HAVE_TESSERACT := $(shell $(PKG_CONFIG) --exists tesseract lept 2>/dev/null && echo 1)
HAVE_FREETYPE := $(shell $(PKG_CONFIG) --exists freetype2 2>/dev/null && echo 1)
# flite has no .pc file: ask the compiler in use whether it sees the header.
HAVE_FLITE := $(shell printf '\043include <flite/flite.h>\n' | $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo 1)
PKG_BUILTIN := $(if $(HAVE_ESPEAK),espeak-ng) $(if $(HAVE_SPHINX),pocketsphinx sphinxbase) \
               $(if $(HAVE_TESSERACT),tesseract lept) $(if $(HAVE_FREETYPE),freetype2)
LIBS_BUILTIN := $(call pkglibs,$(PKG_BUILTIN)) \
                $(if $(HAVE_FLITE),-lflite_cmu_us_slt -lflite_usenglish -lflite_cmulex -lflite) \
                -lpthread

# Sources by folder: every .c below a program's folder is part of it (see each folder's README).
srcs = $(shell find $(1) -name '*.c' 2>/dev/null | sort)
COMMON_SRC := $(call srcs,src/common)
COORD_SRC := $(filter-out src/coordinator/main.c,$(call srcs,src/coordinator))
CTL_SRC := $(call srcs,src/ctl)
DISPLAY_SRC := $(filter-out src/display/main.c,$(call srcs,src/display))
BUTTON_SRC := $(call srcs,src/button)
ANALYSIS_SRC := $(call srcs,src/analysis)
TDA_SRC := $(call srcs,src/tda)
ifeq ($(GPIOD_VERSION),)
BUTTON_SRC := $(filter-out src/button/input_gpiod.c,$(BUTTON_SRC))
endif
# Pure by folder: every core/ (and src/common but its adapters: lib/ and the *_json.c wire
# codecs) is built without any library's cflags, and tests/checks/check_layers.sh fails on a
# library header included anywhere but the adapters that own it.
COMMON_ADAPTERS := $(filter src/common/lib/% %_json.c,$(COMMON_SRC))
PURE_SRC := $(filter %/core/%,$(COORD_SRC) $(DISPLAY_SRC) $(BUTTON_SRC) $(ANALYSIS_SRC)) \
            $(filter-out $(COMMON_ADAPTERS),$(COMMON_SRC))
UNIT_TESTS := $(basename $(wildcard tests/unit/test_*.c))
IT_TESTS := $(basename $(wildcard tests/it/it_*.c))
SCRIPT_TESTS := $(wildcard tests/checks/check_*.sh)
BENCHES := $(basename $(notdir $(wildcard bench/bench_*.c)))

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
COORD_OBJ := $(COORD_SRC:%.c=$(B)/%.o)
CTL_OBJ := $(CTL_SRC:%.c=$(B)/%.o)
DISPLAY_OBJ := $(DISPLAY_SRC:%.c=$(B)/%.o) $(BUTTON_SRC:%.c=$(B)/%.o)
ANALYSIS_OBJ := $(ANALYSIS_SRC:%.c=$(B)/%.o)

.PHONY: all test test-build test-binaries test-arm64 deb run bench install deps deps-test format \
        format-check check clean
.DEFAULT_GOAL := all
# Keep the test and benchmark objects that chained rules would delete.
.SECONDARY:

all: $(B)/panicd $(B)/panicctl $(B)/panic-display $(B)/panic-tda

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS_BASE) $(OPT) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -Isrc $(PKGCFLAGS) -c $< -o $@

PB := $(B)/src/coordinator/platforms/builtin
$(B)/src/coordinator/%.o: PKGCFLAGS = $(call pkgcflags,$(PKG_PANICD))
$(PB)/builtin_speech.o: PKGCFLAGS = \
	$(if $(HAVE_ESPEAK),$(call pkgcflags,espeak-ng) -DPANIC_HAVE_ESPEAK=1) \
	$(if $(HAVE_FLITE),-DPANIC_HAVE_FLITE=1)
$(PB)/builtin_sphinx.o: PKGCFLAGS = \
	$(if $(HAVE_SPHINX),$(call pkgcflags,pocketsphinx sphinxbase) -DPANIC_HAVE_SPHINX=1)
$(PB)/builtin_ocr.o: PKGCFLAGS = \
	$(if $(HAVE_TESSERACT),$(call pkgcflags,tesseract lept) -DPANIC_HAVE_TESSERACT=1)
$(PB)/builtin_type.o: PKGCFLAGS = \
	$(if $(HAVE_FREETYPE),$(call pkgcflags,freetype2) -DPANIC_HAVE_FREETYPE=1)
$(B)/src/ctl/%.o: PKGCFLAGS = $(call pkgcflags,$(PKG_CTL))
$(B)/src/display/%.o: PKGCFLAGS = $(call pkgcflags,$(PKG_DISPLAY)) \
	$(if $(GPIOD_VERSION),-DPANIC_HAVE_GPIOD=1,)
# Button backends need no library; only the gpiod backend sees libgpiod.
$(B)/src/button/%.o: PKGCFLAGS =
$(B)/src/button/input_gpiod.o: PKGCFLAGS = $(call pkgcflags,libgpiod) -DPANIC_GPIOD_MAJOR=$(GPIOD_MAJOR)
$(PURE_SRC:%.c=$(B)/%.o): PKGCFLAGS =
$(B)/src/common/lib/%.o: PKGCFLAGS = $(call pkgcflags,libcrypto libpng avahi-client)
$(B)/src/common/%_json.o: PKGCFLAGS = $(call pkgcflags,jansson)
$(B)/tests/%.o: PKGCFLAGS = -Itests $(call pkgcflags,$(PKG_TEST) $(PKG_PANICD))
$(B)/bench/%.o: PKGCFLAGS = -Itests $(call pkgcflags,$(PKG_TEST) $(PKG_PANICD))

$(B)/libcommon.a: $(COMMON_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(B)/libcoord.a: $(COORD_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
# Fake platform servers for the tests; before libcoord.a on the link line, which they use.
FAKE_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard tests/fakes/*.c))
$(B)/libfakes.a: $(FAKE_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(B)/libdisplay.a: $(DISPLAY_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(B)/libanalysis.a: $(ANALYSIS_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(B)/panicd: $(B)/src/coordinator/main.o $(B)/libcoord.a $(B)/libcommon.a
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(LDSAN) -o $@ $^ $(call pkglibs,$(PKG_PANICD)) $(LIBS_BUILTIN) -lm

$(B)/panicctl: $(CTL_OBJ) $(B)/libcommon.a
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(LDSAN) -o $@ $^ $(call pkglibs,$(PKG_CTL)) -lm

$(B)/panic-display: $(B)/src/display/main.o $(B)/libdisplay.a $(B)/libcommon.a
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(LDSAN) -o $@ $^ $(call pkglibs,$(PKG_DISPLAY)) -lm -lpthread

$(B)/panic-tda: $(TDA_SRC:%.c=$(B)/%.o) $(B)/libanalysis.a
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(LDSAN) -o $@ $^ -lm

TEST_LIBS := $(B)/tests/support.o $(B)/libfakes.a $(B)/libcoord.a $(B)/libdisplay.a \
             $(B)/libanalysis.a $(B)/libcommon.a
$(B)/tests/%: $(B)/tests/%.o $(TEST_LIBS)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(LDSAN) -o $@ $^ $(call pkglibs,$(PKG_TEST) $(PKG_PANICD)) $(LIBS_BUILTIN) -lm -lpthread

$(B)/bench/%: $(B)/bench/%.o $(B)/bench/util.o $(TEST_LIBS)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(OPT) $(CFLAGS) $(LDFLAGS) $(LDSAN) -o $@ $^ $(call pkglibs,$(PKG_TEST) $(PKG_PANICD)) $(LIBS_BUILTIN) -lm -lpthread

deps:
	@scripts/deps.sh run
deps-test:
	@scripts/deps.sh test

# The test build lives in build/test with sanitizers; leak detection stays on.
test: deps-test
	@$(MAKE) --no-print-directory B=build/test SAN=1 test-build
	@PANIC_BUILD=build/test tests/run.sh $(addprefix build/test/,$(UNIT_TESTS) $(IT_TESTS)) \
		$(SCRIPT_TESTS)

test-build: $(B)/panicd $(B)/panicctl $(B)/panic-display $(B)/panic-tda $(addprefix $(B)/,$(UNIT_TESTS) $(IT_TESTS))

# The unit and integration binaries of $(B), built and run with no package install (the Debian
# package build and test-arm64 use it; tests/checks need test-only tools and stay in make test).
test-binaries: test-build
	@PANIC_BUILD=$(B) tests/run.sh $(addprefix $(B)/,$(UNIT_TESTS) $(IT_TESTS))

# Debian packages (debian/) into build/deb-out: the host's architecture, or ARCH=arm64 built in
# the cross build root (scripts/buildroot.sh). Installs the build tools if missing, never as
# part of the package build itself.
deb:
	@scripts/deb.sh $(ARCH)

# The test suite cross-built for arm64 in the cross build root and run there under qemu-user
# (binfmt registered if needed); prints a skip line where emulation is not possible.
test-arm64:
	@scripts/test-arm64.sh

check: format-check test

run: deps all
	@scripts/run.sh $(B)

bench: deps-test
	@$(MAKE) --no-print-directory B=build/bench SAN=0 OPT="-O2 -g" build/bench/panicd build/bench/panicctl build/bench/panic-display build/bench/panic-tda $(addprefix build/bench/bench/,$(BENCHES))
	@for b in $(BENCHES); do PANIC_BUILD=build/bench build/bench/bench/$$b || exit 1; done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/panic $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/panicd $(B)/panicctl $(B)/panic-display $(B)/panic-tda $(DESTDIR)$(BINDIR)/
	install -m 0644 systemd/panicd.service systemd/panic-display@.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 systemd/panic-display-restart.service systemd/panic-display-restart.timer \
		$(DESTDIR)$(UNITDIR)/
	sed -i 's#/usr/local/bin#$(BINDIR)#g' $(DESTDIR)$(UNITDIR)/panicd.service \
		$(DESTDIR)$(UNITDIR)/panic-display@.service
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 docs/man/panicctl.1 docs/man/panic-tda.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/panicd.8 docs/man/panic-display.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 etc/panicd.conf.example etc/display.conf.example etc/display.env.example \
		$(DESTDIR)$(SYSCONFDIR)/panic/
	install -d $(DESTDIR)$(PREFIX)/share/panic/fonts
	install -m 0644 assets/prompts.txt $(DESTDIR)$(PREFIX)/share/panic/
	install -m 0644 fonts/* $(DESTDIR)$(PREFIX)/share/panic/fonts/
	@# The display unit's user, the gpio group and its udev rule, /run/panic: the same files the
	@# package installs, here as local configuration in /etc (systemd reads both places).
	install -d $(DESTDIR)$(SYSCONFDIR)/sysusers.d $(DESTDIR)$(SYSCONFDIR)/tmpfiles.d \
		$(DESTDIR)$(SYSCONFDIR)/udev/rules.d
	install -m 0644 debian/panic-display.sysusers $(DESTDIR)$(SYSCONFDIR)/sysusers.d/panic-display.conf
	install -m 0644 debian/panic-display.tmpfiles $(DESTDIR)$(SYSCONFDIR)/tmpfiles.d/panic-display.conf
	install -m 0644 debian/panic-display.udev $(DESTDIR)$(SYSCONFDIR)/udev/rules.d/60-panic-display.rules
	$(if $(DESTDIR),,-systemd-sysusers $(SYSCONFDIR)/sysusers.d/panic-display.conf)
	$(if $(DESTDIR),,-systemd-tmpfiles --create $(SYSCONFDIR)/tmpfiles.d/panic-display.conf)

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v third_party)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build

# build/cross and build/image-work hold chroots (scripts/buildroot.sh, deb-check.sh,
# image-build/build.sh): not ours to read.
-include $(shell find build -path build/cross -prune -o -path build/image-work -prune -o \
	-name '*.d' -type f -print 2>/dev/null)

# The appliance image (image-build/): the arm64 .debs from the cross build root, a Debian
# rootfs (cached in build/image-cache) and genimage, into build/image/panic-ROLE-arm64.img.zst;
# image-test boots it under QEMU (TCG) and checks the first boot, panicd, a run and a frame.
ROLE ?= coordinator
.PHONY: image image-test
image:
	@image-build/build.sh $(ROLE)
image-test:
	@image-build/test.sh $(ROLE)
