#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build steps behind the Makefile. Each prints what it does; all are
# idempotent and reuse what is already built.
#
#   build.sh setup         host packages and tools (tools/setup-host.sh)
#   build.sh kdir          print the kernel tree to build against (KDIR, or
#                          the cached test kernel, built on first use)
#   build.sh llvm          print the LLVM= value that tree was built with
#   build.sh module        build move_pages.ko against KDIR
#   build.sh install       modules_install of it (INSTALL_MOD_PATH), depmod
#   build.sh guest         build the guest programs and the initramfs
#   build.sh vm MODE [S]   boot the VM and run MODE (run|test), timeout S
#   build.sh guest-cc      print the guest's C compiler command
#   build.sh cargo-target DIR  print the cache's cargo target directory for the
#                          test builds of the crate in DIR
#   build.sh copy-sources DIR  copy the module's sources to DIR (changed files)
#   build.sh initramfs ROOT INIT GUESTDIR  a guest root in ROOT (busybox, INIT
#                          as /init, GUESTDIR's files in /guest) packed as
#                          ROOT.cpio.gz
#
# MP_ARCH says the architecture of the test kernel, the module, the guest
# programs and the VM: x86_64 (the default, the host's own) or arm64
# (cross-built with LLVM, run under QEMU's TCG). An arm64 build of the module
# goes to build/arm64/module/, its guest to build/arm64/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
arch=${MP_ARCH:-x86_64}
case $arch in
x86_64) out=$top/build ;;
arm64) out=$top/build/arm64 ;;
*) echo "MP_ARCH: x86_64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
cache=${MP_CACHE:-$HOME/.cache/move_pages}
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

say() { printf '[build] %s\n' "$*" >&2; }

kdir() {
	if [ -n "${KDIR:-}" ]; then
		echo "$KDIR"
	else
		"$top/tools/kernel/build-kernel.sh" "${KFLAVOUR:-test}" "$arch"
	fi
}

# The LLVM= value a build tree was built with: what build-kernel.sh recorded,
# else LLVM=1 for a clang-built tree given as KDIR, else GCC (empty).
kllvm() {
	if [ -f "$1/.mp_llvm" ]; then
		cat "$1/.mp_llvm"
	elif grep -qx CONFIG_CC_IS_CLANG=y "$1/.config" 2>/dev/null; then
		echo 1
	fi
}

# The cargo target directory of the crate in DIR (under the tree, relative or
# absolute) for the test builds (guest programs, make test's cargo test and
# clippy): in the cache, so that a second run, or a fresh clone, builds the
# project's own crates but not their dependencies again. Like the kernel trees
# there, for one run at a time.
cargo_target() { # DIR
	local rel=${1#"$top"/}
	echo "$cache/cargo/${rel//\//-}"
}

ksrc() { # the kernel source tree of a build tree
	if [ -e "$1/source" ]; then readlink -f "$1/source"; else echo "$1"; fi
}

cmd_setup() { "$top/tools/setup-host.sh"; }

# The module's sources (Kbuild, src/, include/) copied to DIR, only the files
# that changed, and those gone removed: Kbuild there rebuilds what changed.
copy_sources() { # DIR
	local d=$1 f
	sources() { # DIR: the module's sources under DIR, not what a build made
		(cd "$1" && find src include -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) \
			! -name '*_gen.*')
	}
	sync_file() { mkdir -p "$(dirname "$2")"; cmp -s "$1" "$2" || cp "$1" "$2"; }
	mkdir -p "$d/src"
	sync_file "$top/Kbuild" "$d/Kbuild"
	for f in $(sources "$top"); do
		sync_file "$top/$f" "$d/$f"
	done
	for f in $(sources "$d"); do
		[ -e "$top/$f" ] || rm -f "$d/$f"
	done
}

# make in the kernel build tree $1 for the module: x86_64 builds it in the
# source directory, as every external module; arm64 (cross-built) in a copy
# of the sources in build/arm64/module, so that the two builds never mix
# (Kbuild's MO= wants a source directory without objects).
kmake() { # KDIR ARGS...
	local k=$1
	shift
	case $arch in
	x86_64) make -s -C "$k" M="$top" LLVM="$(kllvm "$k")" "$@" ;;
	arm64) copy_sources "$out/module"
		make -s -C "$k" M="$out/module" ARCH=arm64 LLVM="$(kllvm "$k")" "$@" ;;
	esac
}

# Where the module is once built.
modko() {
	case $arch in
	x86_64) echo "$top/move_pages.ko" ;;
	arm64) echo "$out/module/move_pages.ko" ;;
	esac
}

cmd_module() {
	local k
	k=$(kdir)
	say "building move_pages.ko ($arch) against $k"
	kmake "$k" ${CLIPPY:+CLIPPY=1} modules
}

# modules_install of the module into $INSTALL_MOD_PATH/lib/modules/KVER/updates;
# Kbuild runs depmod there, so that modprobe finds it.
cmd_install() {
	local k
	k=$(kdir)
	say "installing move_pages.ko for $(cat "$k/include/config/kernel.release")${INSTALL_MOD_PATH:+ under $INSTALL_MOD_PATH}"
	kmake "$k" INSTALL_MOD_PATH="${INSTALL_MOD_PATH:-}" INSTALL_MOD_STRIP=1 modules_install
}

# The guest's C compiler, its selftest make variables, its Rust target, and
# the directory of its userland (busybox, numactl, libnuma): the host's own
# for x86_64; for arm64 clang and lld on Debian's cross C libraries, and
# Debian's arm64 packages unpacked by tools/setup-host.sh.
guest_toolchain() {
	case $arch in
	x86_64)
		gcc_guest=(gcc)
		st_vars=(USERLDFLAGS=-static)
		rust_target=x86_64-unknown-linux-gnu
		rust_flags="-C target-feature=+crt-static"
		userland=
		;;
	arm64)
		gcc_guest=(clang-19 --target=aarch64-linux-gnu -fuse-ld=lld)
		st_vars=(ARCH=arm64 LLVM=-19 "USERLDFLAGS=-static -fuse-ld=lld")
		rust_target=aarch64-unknown-linux-gnu
		rust_flags="-C target-feature=+crt-static -C linker=clang-19 -C link-arg=--target=aarch64-linux-gnu -C link-arg=-fuse-ld=lld"
		userland=$cache/arm64-root
		[ -f "$userland/.unpacked" ] || { say "no $userland: run tools/setup-host.sh"; exit 1; }
		;;
	esac
}

# cargo build --release of the crate in $1 for the guest, with ARGS, in the
# crate's target directory of the cache (cargo_target).
guest_cargo() { # DIR ARGS...
	local d=$1
	shift
	(cd "$d" && CARGO_TARGET_DIR=$(cargo_target "$d") RUSTFLAGS="$rust_flags" \
		cargo build -q --locked --release --target "$rust_target" "$@")
}

# The guest's root in ROOT: busybox (the guest's), INIT as /init, the files of
# GUESTDIR in /guest. Needs guest_toolchain.
initramfs_root() { # ROOT INIT GUESTDIR
	rm -rf "$1"
	mkdir -p "$1"/{bin,sbin,dev,proc,sys,tmp,guest}
	cp "$userland/bin/busybox" "$1/bin/busybox"
	cp "$2" "$1/init"
	chmod +x "$1/init"
	cp -a "$3"/. "$1/guest/"
}

# ROOT packed as the initramfs ROOT.cpio.gz.
initramfs_pack() { # ROOT
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$1.cpio.gz"
}

cmd_guest() {
	local k s g cflags gcc_guest st_vars rust_target rust_flags userland
	k=$(kdir)
	s=$(ksrc "$k")
	g=$out/guest
	guest_toolchain
	# Rebuilt whole: nothing of an earlier build (a corpus file since removed) stays.
	rm -rf "$g"
	mkdir -p "$g" "$out/initramfs/bin"
	cflags=(-O2 -Wall -Wextra -static -D_GNU_SOURCE
		-I"$top/include/uapi" -I"$s/tools/testing/selftests"
		-I"$top/tools/testing/selftests/move_pages")
	say "building guest programs ($arch)"
	"${gcc_guest[@]}" "${cflags[@]}" -o "$g/guest-exit" "$top/tools/vm/guest-exit.c"
	"${gcc_guest[@]}" "${cflags[@]}" -o "$g/move_pages_demo" "$top/samples/move_pages_demo.c"
	local sample
	for sample in query move takeover; do
		"${gcc_guest[@]}" "${cflags[@]}" -o "$g/sample_$sample" "$top/samples/$sample.c"
	done
	# The selftests as a kernel tree builds and installs them (kselftest
	# target, run_kselftest.sh; statically linked for the initramfs), and the
	# programs the suite also runs directly, from there.
	local st=$top/tools/testing/selftests/move_pages p
	rm -rf "$out/kselftest"
	"$top/tools/intree.sh" selftests "$out/kselftest" "${st_vars[@]}"
	for p in basic_test diff_test diff_test32 diff_fuzz diff_fuzz32 mp_hammer mp_hammer32 \
		fuzz fuzz32 ext_test exact_test exact_test32 target_test target_test32 stress; do
		cp "$out/kselftest/move_pages/$p" "$g/"
	done
	mkdir -p "$g/corpus"
	cp "$st"/corpus/*.cases "$g/corpus/"
	# The kernel's own selftest of migration through move_pages(2), libnuma linked in.
	# The tools' UAPI headers come after the C library's on arm64: its
	# linux/types.h lacks the __u128 of the cross C library's asm/sigcontext.h.
	local uapi=-I
	[ "$arch" = x86_64 ] || uapi=-idirafter
	"${gcc_guest[@]}" -O2 -static -D_GNU_SOURCE -w -I"$s/tools/testing/selftests" \
		-I"$s/tools/testing/selftests/mm" "$uapi" "$s/tools/include/uapi" \
		${userland:+-I"$userland/usr/include" -L"$userland/usr/lib/aarch64-linux-gnu"} \
		-o "$g/migration" "$s/tools/testing/selftests/mm/migration.c" \
		"$s/tools/testing/selftests/mm/vm_util.c" \
		"$s/tools/testing/selftests/mm/hugepage_settings.c" -lnuma -lpthread
	say "building the Rust library's guest test and example"
	guest_cargo "$top/tools/move-pages" --example rust_diff --example query_self
	for ex in rust_diff query_self; do
		cp "$(cargo_target tools/move-pages)/$rust_target/release/examples/$ex" "$g/"
	done
	say "building the Rust samples"
	guest_cargo "$top/samples/rust"
	for sample in query move takeover; do
		cp "$(cargo_target samples/rust)/$rust_target/release/$sample" \
			"$g/sample_rust_$sample"
	done
	say "building the command-line tool"
	guest_cargo "$top/tools/move-pages-cli"
	cp "$(cargo_target tools/move-pages-cli)/$rust_target/release/move-pages" "$g/"
	cp "$top"/tools/testing/selftests/move_pages/*.sh "$top/tools/vm/demo.sh" "$g/"
	cp "$(modko)" "$g/"
	# numactl's migratepages, with the shared libraries it needs.
	cp "$userland/usr/bin/migratepages" "$g/"

	say "building initramfs"
	local root=$out/initramfs
	initramfs_root "$root" "$top/tools/vm/init" "$g"
	cp -a "$out/kselftest" "$root/kselftest"
	# The module installed as `make install` installs it, for modprobe.
	INSTALL_MOD_PATH=$root cmd_install >/dev/null 2>&1
	# More for the guest (make mutants: the mutant modules and their runner).
	if [ -n "${MP_GUEST_EXTRA:-}" ]; then
		cp -a "$MP_GUEST_EXTRA"/. "$root/guest/"
	fi
	local lib
	case $arch in
	x86_64) for lib in $(ldd /usr/bin/migratepages | grep -oE '/[^ ]+'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done ;;
	arm64) # Its interpreter and libraries (readelf -d: libnuma.so.1, libc.so.6).
		mkdir -p "$root/lib/aarch64-linux-gnu"
		cp -L /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$root/lib/"
		cp -L /usr/aarch64-linux-gnu/lib/libc.so.6 \
			"$userland/usr/lib/aarch64-linux-gnu/libnuma.so.1" "$root/lib/aarch64-linux-gnu/" ;;
	esac
	initramfs_pack "$root"
}

cmd_vm() {
	local k mode=$1 limit=${2:-900} image
	k=$(kdir)
	local accel=tcg
	case $arch in
	x86_64) image=$k/arch/x86/boot/bzImage
		accel=${MP_ACCEL:-$("$top/tools/vm/probe-kvm.sh" "$image" "$out/initramfs.cpio.gz")} ;;
	arm64) image=$k/arch/arm64/boot/Image ;;
	esac
	# Debug facilities the kernel has but keeps off unless asked at boot.
	# Page poisoning (CONFIG_PAGE_POISONING) stays off: it costs about 15% of
	# the run; MP_APPEND=page_poison=1 turns it on.
	local boot=
	grep -qx CONFIG_PAGE_OWNER=y "$k/.config" && boot="$boot page_owner=on"
	say "booting $image (mode $mode, $accel${boot:+,$boot})"
	MP_APPEND="${boot# } ${MP_APPEND:-}" MP_ACCEL=$accel MP_ARCH=$arch "$top/tools/vm/run-vm.sh" \
		"$image" "$out/initramfs.cpio.gz" "$mode" "$out/vm-$mode" "$limit"
}

# The user-space tools for this host: the command-line tool and the samples.
cmd_tools() {
	say "building tools/move-pages-cli (target/release/move-pages)"
	(cd "$top/tools/move-pages-cli" && cargo build -q --locked --release)
	say "building samples (build/samples/, samples/rust/target/release/)"
	mkdir -p "$out/samples"
	local c
	for c in "$top"/samples/*.c; do
		gcc -O2 -Wall -Wextra -D_GNU_SOURCE -I"$top/include/uapi" \
			-o "$out/samples/$(basename "$c" .c)" "$c"
	done
	(cd "$top/samples/rust" && cargo build -q --locked --release)
}

# rust-project.json for rust-analyzer: the kernel's generator describes the
# kernel crates; it finds crate roots only next to a Kbuild naming them, so
# the module's root (src/move_pages.rs, named by ./Kbuild) is added here, with
# the dependencies and cfgs a module crate gets.
cmd_rust_analyzer() {
	local k
	k=$(kdir)
	kmake "$k" rust-analyzer
	python3 - "$top/rust-project.json" "$top/src/move_pages.rs" <<'PY'
import json
import sys

path, root = sys.argv[1], sys.argv[2]
project = json.load(open(path))
crates = project["crates"]
index = {c["display_name"]: i for i, c in enumerate(crates)}
if not any(c["root_module"] == root for c in crates):
    kernel = crates[index["kernel"]]
    deps = ["core", "kernel", "pin_init", "zerocopy", "zerocopy_derive"]
    crates.append({
        "display_name": "move_pages",
        "root_module": root,
        "is_workspace_member": True,
        "deps": [{"crate": index[d], "name": d} for d in deps if d in index],
        "cfg": kernel["cfg"] + ["MODULE"],
        "edition": kernel["edition"],
        "env": kernel["env"],
    })
# Where Kbuild writes the bindgen output the sources include (MOVE_PAGES_GEN):
# next to them, in an out-of-tree build.
for c in crates:
    if c["root_module"] == root:
        c["env"] = dict(c.get("env", {}), MOVE_PAGES_GEN=root.rsplit("/", 1)[0])
json.dump(project, open(path, "w"), sort_keys=True, indent=4)
PY
	say "wrote rust-project.json"
}

cmd=${1:-}
shift || true
case $cmd in
setup) cmd_setup ;;
guest-cc) guest_toolchain; echo "${gcc_guest[*]}" ;;
cargo-target) cargo_target "$1" ;;
copy-sources) copy_sources "$1" ;;
initramfs) guest_toolchain; initramfs_root "$@" && initramfs_pack "$1" ;;
kdir) kdir ;;
ksrc) ksrc "$(kdir)" ;;
llvm) kllvm "$(kdir)" ;;
rust-analyzer) cmd_rust_analyzer ;;
tools) cmd_tools ;;
module) cmd_module ;;
install) cmd_install ;;
guest) cmd_guest ;;
vm) cmd_vm "$@" ;;
*) echo "usage: $0 setup|kdir|ksrc|llvm|rust-analyzer|module|install|tools|guest|vm MODE [TIMEOUT]|guest-cc|cargo-target DIR|copy-sources DIR|initramfs ROOT INIT GUESTDIR" >&2; exit 2 ;;
esac
