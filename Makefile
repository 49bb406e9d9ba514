# SPDX-License-Identifier: GPL-2.0-only
# faultline: `make` builds build/faultline; `make test` runs every test; `make demo` the demo.

BUILD := build
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PKGS := libbpf libelf zlib libnl-3.0 libnl-route-3.0 libmnl yaml-0.1 json-c libmicrohttpd
# Messages and paths are built with snprintf into bounded buffers on purpose: truncation is safe.
WARN := -Wall -Wextra -Werror -Wno-format-truncation
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -DFAULTLINE_VERSION='"$(VERSION)"' \
	-I$(BUILD) -I. -Ibpf -Iuserspace $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Wextra -Werror -Wno-unused-function \
	-I/usr/include/x86_64-linux-gnu -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(filter-out userspace/cli/main.c,$(wildcard userspace/*/*.c)) $(wildcard netem/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c)
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCHES := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bpf/bench_*.c))
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

# The sanitizer builds (clang): the unit and BPF tests under ASan+UBSan, and the libFuzzer targets
# (docs/fuzzing.md). Each is this Makefile again with its own BUILD folder.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := -O1 -g $(SAN) -Wno-unknown-warning-option
SAN_BUILD := build/san
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 60

ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

.DELETE_ON_ERROR:
.PHONY: all deps test unit demo bench clean vm-test bench-vm san fuzz fuzz-build fuzzers soak
.SECONDARY:

all: $(BUILD)/faultline $(TOOLS)

# `make` builds and never installs: `make deps` (or the README's two commands, which call it)
# installs what is missing. Without the tools, the build stops here and says so.
deps:
	$(call msg,DEPS,scripts/install-deps.sh)
	$(Q)scripts/install-deps.sh

$(BUILD)/.tools:
	$(Q)for t in $(CLANG) $(BPFTOOL) pkg-config; do command -v $$t >/dev/null || \
		{ echo "faultline: $$t is missing: run 'make deps' (scripts/install-deps.sh) first" >&2; \
		  exit 1; }; done
	$(Q)pkg-config --exists $(PKGS) && pkg-config --atleast-version=1.4 libbpf || \
		{ echo "faultline: libraries missing (or libbpf < 1.4): run 'make deps' first" >&2; \
		  exit 1; }
	$(Q)mkdir -p $(BUILD) && touch $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h | $(BUILD)/.tools
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# The syscall table from the UAPI header, not typed by hand: [0] = "read", per __NR_ line.
UNISTD_H ?= /usr/include/x86_64-linux-gnu/asm/unistd_64.h
$(BUILD)/syscall_names.h: $(UNISTD_H)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)awk '$$1 == "#define" && $$2 ~ /^__NR_/ && $$3 ~ /^[0-9]+$$/ \
		{ printf "[%s] = \"%s\",\n", $$3, substr($$2, 6) }' $< > $@
$(BUILD)/userspace/common/syscalls.o: $(BUILD)/syscall_names.h

# report.html inlines Chart.js (Debian's libjs-chart.js) and the page's own script and style with
# .incbin (userspace/report/assets.c): the object is rebuilt when any of them changes.
CHARTJS ?= /usr/share/javascript/chart.js/chart.min.js
$(BUILD)/userspace/report/assets.o: ALL_CFLAGS += -DREPORT_CHARTJS='"$(CHARTJS)"'
$(BUILD)/userspace/report/assets.o: $(CHARTJS) userspace/report/report.js userspace/report/report.css
$(CHARTJS):
	@echo "faultline: $@ is missing (libjs-chart.js): run 'make deps' first" >&2; exit 1

$(BUILD)/%.o: %.c $(SKELS) | $(BUILD)/.tools
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libfaultline.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^ # afresh: a removed source leaves no member behind

$(BUILD)/faultline: $(BUILD)/userspace/cli/main.o $(BUILD)/libfaultline.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libfaultline.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/tools/%: tests/tools/%.c | $(BUILD)/.tools
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ -lm

tests-build: all $(TESTS)
.PHONY: tests-build

# A fuzz target: its own main() from libFuzzer, linked with the library built for fuzzing.
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libfaultline.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@
fuzzers: $(FUZZERS)

# The unit and BPF tests built with ASan+UBSan into build/san (tests/run.sh runs them too).
san:
	$(Q)$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(CLANG) CFLAGS="$(SAN_CFLAGS)" \
		$(patsubst $(BUILD)/%,$(SAN_BUILD)/%,$(TESTS))

fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(CLANG) \
		CFLAGS="$(SAN_CFLAGS) -fsanitize=fuzzer-no-link" fuzzers

# Every fuzz target for FUZZ_SECONDS (default 60) each; any crash, leak or sanitizer report fails.
fuzz: fuzz-build
	$(Q)scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# As root on the host's kernel: SOAK_CYCLES apply/revert cycles under iperf3, the agent for
# SOAK_AGENT_SECONDS scraped every second, SOAK_KILL_TRIALS kill trials each; then no leak
# (scripts/soak.sh; figures in docs/benchmarks.md). Defaults: 1000, 600, 100 (about 30 minutes).
soak: tests-build
	$(Q)scripts/soak.sh

# Unit and BPF_PROG_TEST_RUN tests only (no namespaces, no attachments).
unit: tests-build
	$(Q)tests/run.sh --unit

# The README's two commands install what they need first, then build, then run.
# The host's kernel first, then Debian's stock kernels in VMs (vm/README.md); both always run, and
# either failing fails the target.
test:
	$(Q)scripts/install-deps.sh --vm
	$(Q)$(MAKE) --no-print-directory tests-build san fuzz-build
	$(Q)rc=0; tests/run.sh || rc=1; vm/run.sh || rc=1; exit $$rc

# The test suite in qemu on Debian's 6.1 and 6.12 kernels. VM_KERNELS and VM_TESTS select.
vm-test:
	$(Q)scripts/install-deps.sh --vm
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)vm/run.sh

# scripts/bench-vm.sh in one VM (6.12; VM_KERNELS=6.1: Debian 12's own, IFB reached by act_mirred).
bench-vm:
	$(Q)scripts/install-deps.sh --vm
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)vm/run.sh --bench

demo:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

bench: all $(BENCHES)
	$(Q)scripts/bench.sh

clean:
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
