# Byline: one static library (common/), one program (bin/byline), one benchmark
# (bin/byline-bench), one Criterion binary per test file.
#
#   make            build bin/byline and bin/byline-bench
#   make check      install missing deps, build, run every test
#   make demo       install missing deps, build, index corpus/sample, run searches
#   make bench      run the posting-loop benchmark (table, then JSON rows into build/bench.json)
#   make bench-compare  Byline beside Xapian and SQLite FTS5 (bench/compare/)
#   make fuzz-json  the JSONL scanner under libFuzzer, against jansson
#   make prune-check INDEX=DIR CORPUS=FILE  pruned search against --exhaustive
#   SANITIZE=1      build with AddressSanitizer + UBSan (into build-san/)
#   WERROR=1        warnings are errors (CI sets it)

CC      ?= cc
PKGS    := zlib libxxhash libutf8proc jansson
CFLAGS  ?= -O2 -g
# "override": flags given on the command line (make CFLAGS=-O0) still get these.
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -iquote common -iquote corpus -iquote indexer -iquote searcher -iquote tests -MMD -MP \
           -pthread
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lz -lxxhash -lutf8proc -ljansson) \
           -lstemmer -lcsv -lm -pthread
override CFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

BUILD   := build
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
BUILD   := build-san
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRC   := $(wildcard common/*.c)
CORPUS_SRC   := $(wildcard corpus/*.c)
INDEXER_SRC  := $(wildcard indexer/*.c)
SEARCHER_SRC := $(wildcard searcher/*.c)
CLI_SRC      := $(wildcard cli/*.c)
BENCH_SRC    := $(wildcard bench/*.c)
GEN_SRC      := $(wildcard corpus/gen/*.c)
TEST_SRC     := $(wildcard tests/test_*.c)
TEST_HELPERS := $(filter-out tests/test_%,$(wildcard tests/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB       := $(BUILD)/libbyline.a
APP_OBJ   := $(call obj,$(CORPUS_SRC) $(INDEXER_SRC) $(SEARCHER_SRC))
BYLINE    := $(BUILD)/bin/byline
BENCHBIN  := $(BUILD)/bin/byline-bench
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all check test demo bench bench-compare fuzz-json prune-check deps install clean FORCE
all: bin/byline bin/byline-bench bin/byline-gen

bin/byline: $(BYLINE)
	@mkdir -p bin && cp $< $@
bin/byline-bench: $(BENCHBIN)
	@mkdir -p bin && cp $< $@
bin/byline-gen: $(BUILD)/bin/byline-gen
	@mkdir -p bin && cp $< $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(call obj,$(COMMON_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BYLINE): $(call obj,$(CLI_SRC)) $(APP_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# byline-bench's baselines, streamvbyte and CRoaring, go into it and nothing
# else. Each is built in when its header is found (`make deps` installs
# both); without it the bench leaves its rows out, so byline and the tests
# never need them. The stamp rebuilds baselines.o when that changes.
have_header = $(shell printf '\#include <$(1)>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes)
# Looked up once, and only by the rules that use it.
BENCH_DEFS = $(eval BENCH_DEFS := $(strip \
               $(if $(call have_header,streamvbyte.h),-DBL_HAVE_STREAMVBYTE) \
               $(if $(call have_header,roaring/roaring.h),-DBL_HAVE_ROARING)))$(BENCH_DEFS)
BENCH_LIBS = $(if $(findstring STREAMVBYTE,$(BENCH_DEFS)),-lstreamvbyte) \
             $(if $(findstring ROARING,$(BENCH_DEFS)),-lroaring)
BENCH_STAMP := $(BUILD)/bench/baselines.flags

$(BENCH_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(BENCH_DEFS)' | cmp -s - $@ || echo '$(BENCH_DEFS)' > $@

$(BUILD)/bench/baselines.o: bench/baselines.c $(BENCH_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BENCH_DEFS) -c $< -o $@

$(BENCHBIN): $(call obj,$(BENCH_SRC)) $(APP_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) $(BENCH_LIBS) -o $@

$(BUILD)/bin/byline-gen: $(call obj,$(GEN_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -lm -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(call obj,$(TEST_HELPERS)) $(APP_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

tests: $(TEST_BINS) $(BYLINE) $(BENCHBIN)

# Criterion 2.4's parallel runner leaks a few bytes in its parent process,
# which LeakSanitizer reports; sanitized runs therefore use one job.
TEST_JOBS := $(if $(filter 1,$(SANITIZE)),1,2)

# Every test binary runs even if an earlier one fails; the target fails if any did.
test: $(TEST_BINS) $(BYLINE) $(BENCHBIN)
	@fail=0; for t in $(TEST_BINS); do \
	  BYLINE_BIN=$(CURDIR)/$(BYLINE) BYLINE_BENCH_BIN=$(CURDIR)/$(BENCHBIN) BYLINE_ROOT=$(CURDIR) \
	    $$t --jobs $(TEST_JOBS) || fail=1; \
	done; exit $$fail

check: deps
	$(MAKE) all
	$(MAKE) test

demo: deps
	$(MAKE) all
	@sh corpus/demo.sh bin/byline

bench: deps
	$(MAKE) all
	@sh bench/run.sh

# Never part of check: installs python3-xapian and sqlite3 if missing, indexes
# a ~200 MB corpus three ways (cached in build/compare/) and prints one table.
# CORPUS=PATH (Reuters directory or JSONL), REBUILD=1, COMPARE_ARGS=...
PYTHON ?= /usr/bin/python3
bench-compare: deps
	$(MAKE) all
	@sh bench/compare/deps.sh
	$(PYTHON) bench/compare/compare.py $(if $(CORPUS),--corpus $(CORPUS)) \
	  $(if $(filter 1,$(REBUILD)),--rebuild) $(COMPARE_ARGS)

# Never part of check: the JSONL scanner under libFuzzer (clang), jansson as
# its oracle, for FUZZ_SECONDS (60). Finds are left in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz-json:
	@mkdir -p build-fuzz/json-corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined -iquote common -iquote corpus -iquote tests \
	  $(shell pkg-config --cflags jansson) tests/fuzz/fuzz_json_scan.c corpus/json_scan.c \
	  common/buf.c common/error.c $(shell pkg-config --libs jansson) -o build-fuzz/fuzz_json_scan
	cd build-fuzz && ./fuzz_json_scan -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -dict=../tests/fuzz/json.dict json-corpus

# Never part of check: random queries of a real corpus's words, bigrams and
# prefixes, searched in INDEX pruned and with --exhaustive; any top k that
# differs fails (tests/differential/prune_check.py).
prune-check: all
	@test -n "$(INDEX)" -a -n "$(CORPUS)" || { echo "usage: make prune-check INDEX=DIR CORPUS=FILE"; exit 2; }
	$(PYTHON) tests/differential/prune_check.py --index $(INDEX) --corpus $(CORPUS) $(PRUNE_ARGS)

deps:
	@sh .ci/deps.sh

install: all
	install -d $(DESTDIR)$(or $(PREFIX),/usr/local)/bin
	install -m 755 bin/byline $(DESTDIR)$(or $(PREFIX),/usr/local)/bin/byline

clean:
	rm -rf build build-san build-fuzz bin

FORCE:
.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
