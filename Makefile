# logserver build. `make` builds bin/logserver and bin/logclient;
# `make test` installs missing test dependencies, builds, and runs every test.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -D_GNU_SOURCE
LDFLAGS ?= -Wl,-z,relro,-z,now	# full RELRO: symbols bound at start, GOT read-only (children bind nothing)
PYTHON  ?= /usr/bin/python3
LDLIBS  := -lseccomp -lssl -lcrypto -lmicrohttpd	# libseccomp: the sandbox; OpenSSL 3: TLS and the SUM digest; libmicrohttpd: --metrics-port

# Shared modules: src/<layer>/*.c (see docs/ARCHITECTURE.md, "Source layout"); the two
# programs' mains sit in src/ itself.
SRC_DIRS := src/core src/proto src/net src/store src/server src/client
INC      := -Isrc $(addprefix -I,$(SRC_DIRS))
LIB_SRC  := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ  := $(addprefix build/,$(notdir $(LIB_SRC:.c=.o)))
HDRS     := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.h))
vpath %.c src $(SRC_DIRS)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

.PHONY: all run build-deps test unit integration fuzz-regress fuzz asan valgrind lint clean deps bench

all: bin/logserver bin/logclient

build/%.o: %.c $(HDRS) | build
	$(CC) $(CFLAGS) $(INC) -c -o $@ $<

build/liblogserver.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

bin/logserver: build/main_server.o build/liblogserver.a | bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bin/logclient: build/main_client.o build/liblogserver.a | bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build bin build/tests:
	mkdir -p $@

# Unit tests: every tests/unit/test_X.c is one cmocka program linked with the shared modules.
build/tests/%: tests/unit/%.c build/liblogserver.a $(HDRS) | build/tests
	$(CC) $(CFLAGS) $(INC) -o $@ $< build/liblogserver.a -lcmocka $(LDLIBS)

run: build-deps all
	mkdir -p logs
	./bin/logserver

deps:
	@bash tests/install-deps.sh

# The libraries the programs are built with (make run on a fresh machine).
build-deps:
	@bash tests/install-deps.sh build

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# Each suite runs in its own pytest process (own conftest, no module-name clashes).
PYTEST_DIRS := $(wildcard tests/integration tests/query tests/interop)
integration: all
	@set -e; for d in $(PYTEST_DIRS); do echo "== pytest $$d"; $(PYTHON) -m pytest -q $$d; done

test: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) fuzz-regress
	$(MAKE) asan-unit
	$(MAKE) integration
	$(MAKE) integration-asan
	$(MAKE) valgrind

# The core and query suites and the RELP kill tests again, against binaries built with ASan/UBSan;
# any report the sanitizers write fails the run.
integration-asan: bin-asan/logserver bin-asan/logclient
	@rm -rf build/asan-logs && mkdir -p build/asan-logs
	@set -e; for d in tests/integration tests/query tests/interop/test_interop_relp.py; do \
	  echo "== pytest $$d (ASan/UBSan)"; \
	  LOGSERVER_BIN=$(CURDIR)/bin-asan ASAN_OPTIONS=log_path=$(CURDIR)/build/asan-logs/asan:detect_leaks=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/build/asan-logs/ubsan \
	  $(PYTHON) -m pytest -q $$d; done
	@if [ -n "$$(ls build/asan-logs)" ]; then cat build/asan-logs/*; echo "sanitizer reports above"; exit 1; fi

# Each fuzz target's corpus, run once under ASan/UBSan as a regression test.
FUZZ_CC     ?= clang
FUZZ_FLAGS   = -std=gnu11 -g -O1 -D_GNU_SOURCE $(INC) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS   := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
build/fuzz/%: fuzz/%.c $(LIB_SRC) $(HDRS)
	mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz-regress: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do n=$$(basename $$f); \
	  echo "== $$n corpus"; $$f -runs=0 fuzz/corpus/$${n#fuzz_} >/dev/null 2>build/fuzz/$$n.log || { cat build/fuzz/$$n.log; exit 1; }; done

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; $$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$n fuzz/corpus/$${n#fuzz_}; done

# Unit tests again, built with AddressSanitizer and UBSan.
asan-unit:
	$(MAKE) -s BUILD_ASAN=1 CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" build_dir_asan

build_dir_asan:
	@rm -rf build-asan && mkdir -p build-asan
	@set -e; for t in $(UNIT_SRC); do n=$$(basename $$t .c); \
	  $(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(INC) -o build-asan/$$n $$t $(LIB_SRC) -lcmocka $(LDFLAGS) $(LDLIBS); \
	  echo "== asan $$n"; ./build-asan/$$n; done

# Server binaries built with sanitizers, for the integration suite (LOGSERVER_BIN=bin-asan/...).
bin-asan/logserver bin-asan/logclient: $(LIB_SRC) $(HDRS) src/main_server.c src/main_client.c
	mkdir -p bin-asan
	$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer $(INC) \
	  -o bin-asan/logserver src/main_server.c $(LIB_SRC) $(LDLIBS)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer $(INC) \
	  -o bin-asan/logclient src/main_client.c $(LIB_SRC) $(LDLIBS)

# The unit tests and a server serving every transport under valgrind (tests/valgrind.sh).
valgrind: all $(UNIT_BIN)
	bash tests/valgrind.sh

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr -D_GNU_SOURCE $(INC) src

bench: all
	bash bench/run.sh

clean:
	rm -rf build build-asan bin bin-asan

.PHONY: asan-unit build_dir_asan integration-asan
