# logserver build. `make` builds bin/logserver and bin/logclient;
# `make test` installs missing test dependencies, builds, and runs every test.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -D_GNU_SOURCE
LDFLAGS ?= -Wl,-z,relro,-z,now	# full RELRO: symbols bound at start, GOT read-only (children bind nothing)
PYTHON  ?= /usr/bin/python3
LOGSERVER_VERSION := $(shell sed -n 's/^\#define LOGSERVER_VERSION "\(.*\)"/\1/p' src/core/config.h)
LDLIBS  := -lseccomp -lssl -lcrypto	# libseccomp: the sandbox; OpenSSL 3: TLS and the SUM digest (libmicrohttpd: dlopen()ed by the metrics child)

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

.PHONY: all run build-deps test unit integration fuzz-regress fuzz asan valgrind lint clean deps bench \
	install uninstall man deb

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

# make run ARGS="-p 6000 --format json": ARGS go to logserver as they are.
ARGS ?=
run: build-deps all
	mkdir -p logs
	./bin/logserver $(ARGS)

# --- Installation (docs/OPERATIONS.md) ---------------------------------------------------
# The installed server reads $(SYSCONFDIR)/logserver/logserver.conf by default; it is built
# apart, in build/inst/, so bin/logserver keeps ./logserver.conf for `make run`.
PREFIX     ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INST_CONF  := $(SYSCONFDIR)/logserver/logserver.conf
INST_DEF   := -DLS_CONFIG_PATH='"$(INST_CONF)"'
MAN_PAGES  := build/man/logserver.8 build/man/logserver.conf.5 build/man/logclient.1

# Rebuilt when SYSCONFDIR changes.
build/inst/stamp: FORCE | build
	@mkdir -p build/inst
	@echo '$(INST_CONF)' | cmp -s - $@ || echo '$(INST_CONF)' > $@

build/inst/%.o: %.c $(HDRS) build/inst/stamp
	$(CC) $(CFLAGS) $(INST_DEF) $(INC) -c -o $@ $<

# config.o again with the installed path (its --help text names it), ahead of the archive.
build/inst/logserver: build/inst/main_server.o build/inst/config.o build/liblogserver.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/inst/mangen: man/mangen.c build/inst/config.o build/liblogserver.a
	$(CC) $(CFLAGS) $(INST_DEF) $(INC) -o $@ $^ $(LDLIBS)

build/man/logserver.8: man/logserver.8.in build/inst/mangen
	@mkdir -p build/man
	build/inst/mangen server $< > $@
build/man/logserver.conf.5: man/logserver.conf.5.in build/inst/mangen
	@mkdir -p build/man
	build/inst/mangen conf $< > $@
build/man/logclient.1: man/logclient.1.in build/inst/mangen
	@mkdir -p build/man
	build/inst/mangen client $< > $@

build/inst/logserver.service: dist/logserver.service.in build/inst/stamp
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@

man: $(MAN_PAGES)

install: build/inst/logserver bin/logclient $(MAN_PAGES) build/inst/logserver.service
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/logserver \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 755 build/inst/logserver $(DESTDIR)$(SBINDIR)/logserver
	install -m 755 bin/logclient $(DESTDIR)$(BINDIR)/logclient
	install -m 644 build/man/logserver.8 $(DESTDIR)$(MANDIR)/man8/logserver.8
	install -m 644 build/man/logserver.conf.5 $(DESTDIR)$(MANDIR)/man5/logserver.conf.5
	install -m 644 build/man/logclient.1 $(DESTDIR)$(MANDIR)/man1/logclient.1
	install -m 644 build/inst/logserver.service $(DESTDIR)$(UNITDIR)/logserver.service
	@# An operator's configuration is never overwritten.
	if [ -e $(DESTDIR)$(INST_CONF) ]; then echo "keeping the existing $(DESTDIR)$(INST_CONF)"; \
	  else install -m 644 dist/logserver.conf $(DESTDIR)$(INST_CONF); fi

# Removes what install put there; the configuration only while it is still the example.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/logserver $(DESTDIR)$(BINDIR)/logclient \
	  $(DESTDIR)$(MANDIR)/man8/logserver.8 $(DESTDIR)$(MANDIR)/man5/logserver.conf.5 \
	  $(DESTDIR)$(MANDIR)/man1/logclient.1 $(DESTDIR)$(UNITDIR)/logserver.service
	if cmp -s dist/logserver.conf $(DESTDIR)$(INST_CONF); then rm -f $(DESTDIR)$(INST_CONF); \
	  rmdir $(DESTDIR)$(SYSCONFDIR)/logserver 2>/dev/null || true; \
	  else [ ! -e $(DESTDIR)$(INST_CONF) ] || echo "keeping the changed $(DESTDIR)$(INST_CONF)"; fi

# The Debian package, built from a copy of the tracked files in build/deb/ (the tree stays
# clean); the .deb lands in build/deb/.
DEB_SRC := build/deb/logserver-$(LOGSERVER_VERSION)
deb:
	rm -rf build/deb && mkdir -p $(DEB_SRC)
	git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	ls build/deb/*.deb

.PHONY: FORCE
FORCE:

deps:
	@bash tests/install-deps.sh

# The libraries the programs are built with (make run on a fresh machine).
build-deps:
	@bash tests/install-deps.sh build

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# Each suite runs in its own pytest process (own conftest, no module-name clashes).
PYTEST_DIRS := $(wildcard tests/integration tests/query tests/interop tests/ops)
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
	rm -rf debian/.debhelper debian/logserver debian/files debian/*.substvars debian/*.log \
	  debian/debhelper-build-stamp

.PHONY: asan-unit build_dir_asan integration-asan
