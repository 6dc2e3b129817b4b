# SPDX-License-Identifier: GPL-2.0
#
# move_pages: the move_pages(2) system call as a Rust kernel module.
#
#   make            set up the host, build (or reuse) the test kernel, build the module,
#                   the command-line tool (tools/move-pages-cli) and the samples
#   make run        ... and boot a two-node VM that moves a buffer through the module
#   make test       every test: host checks, KUnit and selftests in the VM
#   make bench      native move_pages(2) vs the module in one VM boot (non-debug kernel):
#                   table, build/bench/results.{json,csv,png}
#   make fuzz [DURATION=SECONDS] [SEED=N]
#                   a coverage-guided differential fuzzing campaign in the VM (default 300 s):
#                   build/fuzz/{corpus,reproducers}.cases, coverage.txt
#   make kunit      the module's KUnit suites the kernel's way: kunit.py run with the
#                   module's .kunitconfig, in a tree of links to the test kernel's source
#                   (its own kernel build, cached; about 10 min the first time)
#   make mutants    mutation testing: the catalogue of planted bugs (tools/mutants/catalogue)
#                   against the differential programs, killed/survived per mutant
#   make rust-analyzer  rust-project.json for editors (kernel crates + this module)
#   make install    the module into /lib/modules/KVER/updates (modules_install, depmod),
#                   under INSTALL_MOD_PATH if set: then `modprobe move_pages` loads it
#   make modules KDIR=...  the module alone against KDIR, no host set-up (what DKMS runs,
#                   dkms.conf)
#
# ARCH=arm64 (with make, module, install, guest, run, test, bench): the same for arm64,
# cross-built on this host (its own test kernel, cached like the x86_64 one; the module in
# build/arm64/module/), run in an arm64 VM (QEMU virt, TCG). `make test` itself runs a short
# arm64 pass after the x86_64 suite; `make test ARCH=arm64` the whole suite there.
#
# KDIR=/path/to/built/kernel builds the module against another kernel tree.
# Kbuild reads ./Kbuild, not this file.

# The architecture goes to the scripts as MP_ARCH; ARCH itself (and the rest of the command
# line, through MAKEFLAGS) is kept from the kernel builds they run, which pass ARCH= where
# it belongs.
MP_ARCH := $(or $(ARCH),x86_64)
BUILD := env -u MAKEFLAGS -u MAKEOVERRIDES -u ARCH MP_ARCH=$(MP_ARCH) tools/build.sh
SCRIPT := env -u MAKEFLAGS -u MAKEOVERRIDES -u ARCH MP_ARCH=$(MP_ARCH)
OUT := build$(if $(filter arm64,$(MP_ARCH)),/arm64)

.PHONY: all setup module modules install tools guest run test bench fuzz kunit mutants \
	rust-analyzer clean

all: module tools

setup:
	@$(BUILD) setup

module: setup
	@$(BUILD) module

# DKMS appends CC=clang LD=ld.lld for a clang-built kernel: the module is built
# with the tree's own LLVM= setting instead (a Rust module needs all of LLVM's
# tools, with the tree's version suffix), so the command line's variables are
# not passed on. Whatever ARCH DKMS gives, the module is built in place, as a
# native build of KDIR's architecture.
modules:
	@env -u MAKEFLAGS -u MAKEOVERRIDES -u ARCH tools/build.sh module

install: module
	@INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) $(BUILD) install

tools: setup
	@$(BUILD) tools

guest: module
	@$(BUILD) guest

run: guest
	@$(BUILD) vm run 600; rc=$$?; cat $(OUT)/vm-run/output.log; \
	 echo "guest exit status: $$rc (kernel log: $(OUT)/vm-run/console.log)"; exit $$rc

test: setup
	@$(SCRIPT) tools/test.sh

bench: setup
	@$(SCRIPT) tools/bench/bench.sh

fuzz: setup
	@DURATION=$(DURATION) SEED=$(SEED) tools/fuzz/fuzz.sh

kunit: setup
	@tools/intree.sh kunit

mutants: setup
	@MUTANTS="$(MUTANTS)" tools/mutants/mutants.sh

rust-analyzer: setup
	@$(BUILD) rust-analyzer

clean:
	@rm -rf build
	@find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.rmeta' \) -delete
	@rm -f modules.order Module.symvers src/seccomp_filter_gen.h src/uapi_gen.rs src/helpers_gen.rs
