# dnssec-doctor — the front door. Meson and ninja do the work.
#   make          build build/dnssec-doctor
#   make test     every test: unit + system, and again under ASan/UBSan
#   make demo     the main job on the bundled test world (no internet needed)
#   make deps     install the Debian packages (as root)
#   make bench    speed: one check, and a scan of 10,000 delegations (bench/results.md)
#   make valgrind the system tests (cases, hostile servers, limits) under valgrind
#   make fuzz     each libFuzzer target for FUZZ_TIME seconds (default 600), one at a time, then
#                 MUTATE_SEEDS (default 2000) checks against the mutation-fuzzing name server (ASan build)
#   make install  the binary and the man page under PREFIX (default /usr/local; DESTDIR honoured)
#   make format   the C code in the style of .clang-format (make test fails on a difference)
BUILD ?= build
PREFIX ?= /usr/local
ASAN ?= build-asan
FUZZ ?= build-fuzz
FUZZ_TIME ?= 600
MUTATE_SEEDS ?= 2000

.PHONY: all deps deps-bench test demo bench clean fuzz valgrind install format

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	meson setup $(BUILD) --buildtype=debugoptimized

$(ASAN)/build.ninja:
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

deps:
	scripts/deps.sh

deps-bench:
	scripts/deps.sh --bench

test: $(BUILD)/build.ninja $(ASAN)/build.ninja
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	ninja -C $(BUILD)
	ninja -C $(ASAN)
	@scripts/test-all.sh $(BUILD) $(ASAN)

demo: all
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	@tests/world/netns.sh bash scripts/demo.sh $(BUILD)

bench: all
	@scripts/deps.sh --bench --check >/dev/null 2>&1 || scripts/deps.sh --bench
	@tests/world/netns.sh bash bench/run.sh $(BUILD)

valgrind: all
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	@tests/world/netns.sh bash -c 'W=$(BUILD)/world-valgrind && bash tests/world/world.sh build $$W >/dev/null && \
		bash tests/world/world.sh run $$W bash tests/system/valgrind.sh $(BUILD)/dnssec-doctor $$W full' | tee $(BUILD)/valgrind.results
	@grep -q "^ok   valgrind: [0-9]* runs, no errors" $(BUILD)/valgrind.results && ! grep -q "^FAIL" $(BUILD)/valgrind.results

fuzz: $(ASAN)/build.ninja
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	ninja -C $(ASAN)
	scripts/fuzz.sh $(FUZZ) $(FUZZ_TIME); rc=$$?; \
	scripts/fuzz-mutate.sh $(ASAN) $(MUTATE_SEEDS) || rc=1; exit $$rc

install: all
	meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))

format:
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	scripts/format.sh

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
