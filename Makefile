# dcform build.  `make` builds build/dcform and build/dcform-emulator;
# `make test` builds a separate AddressSanitizer + UndefinedBehaviorSanitizer
# tree under build/asan/ and runs every unit and integration test on it.

PREFIX   ?= /usr/local
CC       ?= cc
O        ?= build
SAN      ?=
# make fuzz: seconds per target (the release bar is 10 minutes each)
FUZZ_SECONDS ?= 600
BENCH_SIZES  ?= 100 1000 10000
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS     := yaml-0.1 libcurl jansson libgit2 libmicrohttpd openssl zlib
DEB_PKGS := build-essential pkg-config git curl python3 clang libclang-rt-14-dev \
	    libyaml-dev libcurl4-openssl-dev libjansson-dev libgit2-dev \
	    libcmocka-dev libmicrohttpd-dev libssl-dev zlib1g-dev man-db

WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wformat-security \
	    -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	    -I. -I$(O)/gen -DDCFORM_VERSION=\"$(VERSION)\" \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
ifneq ($(SAN),)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
POOL     := 0
endif
# POOL=0: jansson's values from malloc, not dcform's pool
# (core/util/jpool.c), for the tools that watch malloc (ASan, memcheck).
ifeq ($(POOL),0)
CFLAGS   += -DDCFORM_NO_POOL
endif

LIB_SRC  := $(sort $(wildcard core/*.c core/*/*.c providers/*.c \
	     providers/*/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
EMU_SRC  := $(sort $(wildcard emulator/*.c))
SCHEMAS  := $(sort $(wildcard schemas/*.json))
GEN_SRC  := $(O)/gen/schemas_embedded.c

LIB_OBJ  := $(patsubst %.c,$(O)/obj/%.o,$(LIB_SRC)) $(O)/obj/gen/schemas_embedded.o
CMD_OBJ  := $(patsubst %.c,$(O)/obj/%.o,$(CMD_SRC))
EMU_OBJ  := $(patsubst %.c,$(O)/obj/%.o,$(EMU_SRC))
LIB      := $(O)/libdcform.a

UNIT_SRC := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c \
	     tests/unit/*/*/*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRC))
ITEST_SRC := $(sort $(wildcard tests/integration/*.c))
ITEST_BIN := $(patsubst tests/integration/%.c,$(O)/tests/integration/%,$(ITEST_SRC))
TEST_HELPERS := $(sort $(wildcard tests/lib/*.c))
TEST_HELPER_OBJ := $(patsubst %.c,$(O)/obj/%.o,$(TEST_HELPERS))

.PHONY: all deps test unit integration check-docs docs install clean style \
	fuzz bench soak demo tests-bin valgrind tsan
EMU_BIN  := $(if $(EMU_SRC),$(O)/dcform-emulator)
all: $(O)/dcform $(EMU_BIN)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(GEN_SRC): $(SCHEMAS) core/schema/embed.sh
	@mkdir -p $(dir $@)
	sh core/schema/embed.sh $(SCHEMAS) > $@.tmp && mv $@.tmp $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(O)/dcform: $(CMD_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS)

$(O)/dcform-emulator: $(EMU_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(EMU_OBJ) $(LIB) $(LDLIBS)

# Each unit test is one cmocka binary per file, linked against the library.
$(O)/tests/unit/%: tests/unit/%.c $(LIB) $(TEST_HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_HELPER_OBJ) $(LIB) \
		$(LDLIBS) -lcmocka

$(O)/tests/integration/%: tests/integration/%.c $(LIB) $(TEST_HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_HELPER_OBJ) $(LIB) \
		$(LDLIBS) -lcmocka

tests-bin: $(O)/dcform $(EMU_BIN) $(UNIT_BIN) $(ITEST_BIN)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "all build dependencies present"; fi

# The sanitizer tree is a separate build; tests run against it.
test:
	$(MAKE) O=build all
	$(MAKE) O=build/asan SAN=1 tests-bin
	O=build/asan sh tests/run.sh

unit:
	$(MAKE) O=build/asan SAN=1 tests-bin
	O=build/asan sh tests/run.sh unit

integration:
	$(MAKE) O=build/asan SAN=1 tests-bin
	O=build/asan sh tests/run.sh integration

# Benchmarks (docs/performance.md): BENCH_SIZES="100 1000 10000",
# BENCH_LATENCY_MS=20; writes build/bench/results.json.
bench: all $(O)/bench/state_commit $(O)/bench/measure
	BENCH_SIZES="$(BENCH_SIZES)" O=$(O) python3 bench/bench.py

# Runs each dcform of the benchmark: its own wall, CPU and peak RSS.
$(O)/bench/measure: bench/measure.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The cost of a state version in git (bench.py's "state-commit" scenario).
$(O)/bench/state_commit: bench/state_commit.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The long reliability runs (fault matrix, crash sweep over 30 resources).
soak: all
	sh tests/reliability/soak.sh

# The integration suite under valgrind's memcheck, on a plain build
# (sanitizers and valgrind do not mix); slow, so not part of `make test`.
valgrind:
	@command -v valgrind >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; }
	$(MAKE) O=build/vg POOL=0 tests-bin
	O=build/vg VALGRIND=1 sh tests/run.sh

docs: $(O)/dcform
	sh docs/gen.sh $(O)/dcform

check-docs: $(O)/dcform
	sh docs/gen.sh --check $(O)/dcform

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(O)/dcform $(EMU_BIN) $(DESTDIR)$(PREFIX)/bin/
	if [ -f docs/dcform.1 ]; then install -m 0644 docs/dcform.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/; fi

style:
	@files=$$(git ls-files '*.c' '*.h'); \
	bad=0; for f in $$files; do \
		clang-format --dry-run --Werror $$f >/dev/null 2>&1 || \
		{ echo "style: $$f"; bad=1; }; \
	done; exit $$bad

fuzz:
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: deps all
	sh examples/demo.sh

clean:
	rm -rf build

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)

# ThreadSanitizer over the code that runs threads: the HTTP engine, apply's
# workers (unit tests and an apply against the emulator), the emulator.
tsan:
	$(MAKE) O=build/tsan CC="$(CC) -fsanitize=thread" tests-bin
	TSAN_OPTIONS="halt_on_error=1 report_signal_unsafe=0 \
	suppressions=$(CURDIR)/tests/tsan.supp" \
	DCFORM=$(CURDIR)/build/tsan/dcform \
	DCFORM_EMULATOR=$(CURDIR)/build/tsan/dcform-emulator \
	DCFORM_SRC=$(CURDIR) NO_COLOR=1 sh -c ' \
	build/tsan/tests/unit/core/test_http && \
	build/tsan/tests/unit/core/test_plan_apply && \
	build/tsan/tests/unit/core/test_json && \
	build/tsan/tests/unit/core/test_jpool && \
	build/tsan/tests/unit/core/test_state_store && \
	build/tsan/tests/integration/test_emulator_tencent && \
	bash tests/integration/apply_emulator.sh && \
	bash tests/integration/concurrency.sh'
