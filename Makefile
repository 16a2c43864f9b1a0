# mailtls - one non-recursive Makefile.
#   make            build build/mailtls (warnings are errors when CI=true)
#   make check      install deps, build, run unit + integration + fuzz replay
#   make asan       the whole suite under ASan + UBSan (build-asan/)
#   make fuzz       libFuzzer targets with clang (build-fuzz/)
#   make demo       the README's first command
#   make install    PREFIX=/usr/local DESTDIR=

VERSION := 0.1.0
PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
PKGS    := openssl libevent libevent_openssl libunbound libcurl jansson
PY      := /usr/bin/python3

# Read once, when make reads this file. On a fresh machine pkg-config and the
# -dev packages are not there yet, so a target that installs them (check,
# asan, fuzz, demo) never builds in the make that ran the install: it runs
# `deps` and then builds in a new $(MAKE), which reads these flags after the
# install; nothing that compiles may sit beside `deps` in one prerequisite
# list. A build with the libraries missing stops
# with a message (pkgs-present) instead of linking with no flags.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PKG_MISSING := $(shell pkg-config --exists $(PKGS) 2>/dev/null || echo yes)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-unused-parameter
ifeq ($(CI),true)
WARN    += -Werror
endif
OPT     ?= -O2 -g
SANFLAGS :=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
endif
ALL_CFLAGS  := -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE \
               -DMAILTLS_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS        := $(PKG_LIBS) -lm

LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
LIB      := $(BUILD)/libmailtls.a
BIN      := $(BUILD)/mailtls

UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
REPLAY_BIN := $(patsubst fuzz/%.c,$(BUILD)/fuzz/replay_%,$(FUZZ_SRC))
FUZZ_BIN := $(patsubst fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))

.PHONY: all check test-suite asan fuzz demo demo-run install deps \
        pkgs-present clean format
all: $(BIN)

pkgs-present:
	@if [ -n "$(PKG_MISSING)" ]; then \
	  echo "mailtls: pkg-config cannot find all of: $(PKGS)" >&2; \
	  pkg-config --print-errors --exists $(PKGS) 2>&1 | sed 's/^/  /' >&2; \
	  echo "mailtls: run scripts/install-deps (or make check / make demo, which run it)" >&2; \
	  exit 1; fi

$(BUILD)/%.o: %.c | pkgs-present
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/cli/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Itests/unit -o $@ $< $(LIB) $(LIBS) -lcmocka

# Corpus replay: the fuzz target linked to a plain main (fuzz/replay.c), so
# `make check` (and `make asan`) replays every corpus without clang.
$(BUILD)/fuzz/replay_%: fuzz/%.c fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ fuzz/replay.c $< $(LIB) $(LIBS)

deps:
	@scripts/install-deps

# The suite itself, on whatever BUILD/SAN says; prints "N passed, N failed".
test-suite: $(BIN) $(UNIT_BIN) $(REPLAY_BIN)
	@$(PY) scripts/run-tests --build $(BUILD)

check: deps
	@$(MAKE) --no-print-directory test-suite

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 test-suite

fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	  CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" $(FUZZ_BIN)

build-fuzz/fuzz_%: fuzz/fuzz_%.c $(LIB)
	clang $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB) $(LIBS)

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: $(BIN)
	@scripts/demo

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/mailtls
	@if [ -f docs/mailtls.1 ]; then install -d $(DESTDIR)$(PREFIX)/share/man/man1 && \
	  install -m 0644 docs/mailtls.1 $(DESTDIR)$(PREFIX)/share/man/man1/mailtls.1; fi

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/unit/*/*.c fuzz/*.c)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/cli/main.d
