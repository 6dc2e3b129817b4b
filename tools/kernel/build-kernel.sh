#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract linux-source-7.3 and build the test kernel out of tree, cached under
# $MP_CACHE (default ~/.cache/move_pages), keyed by the source package version
# and the hash of the config fragments. Prints the build directory (KDIR).
#
# Usage: build-kernel.sh [test|run] [x86_64|arm64]
#   test (default): common + ARCH + debug fragments; run: common + ARCH.
#   ARCH defaults to x86_64; arm64 is cross-built with LLVM (no cross gcc).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
flavour=${1:-test}
arch=${2:-x86_64}
cache=${MP_CACHE:-$HOME/.cache/move_pages}
jobs=${MP_JOBS:-$(( $(nproc) + 1 ))}
tarball=/usr/src/linux-source-7.3.tar.xz

say() { printf '[kernel] %s\n' "$*" >&2; }

# The test kernel is built with clang (LLVM=-19): generic KASAN with Rust
# support needs a clang-built kernel (init/Kconfig: RUST depends on
# "!KASAN || CC_IS_CLANG"). The run kernel, for benchmarks, stays GCC-built.
# The host's own architecture is built without ARCH=, as the module and other
# out-of-tree builds against the tree then run (an ARCH that changes between
# builds makes Kbuild re-run its configuration).
case $arch in
x86_64) image=bzImage; dir=$flavour; archvar=() ;;
arm64) image=Image; dir=$flavour-arm64; archvar=(ARCH=arm64) ;;
*) say "unknown architecture $arch"; exit 2 ;;
esac
case $flavour in
test) frags="$here/common.config $here/$arch.config $here/debug.config"; llvm=-19 ;;
run) frags="$here/common.config $here/$arch.config"; llvm= ;;
*) say "unknown flavour $flavour"; exit 2 ;;
esac
# Without a cross gcc, another architecture's kernel is built with LLVM.
[ "$arch" = x86_64 ] || llvm=-19

[ -f "$tarball" ] || { say "$tarball missing: run tools/setup-host.sh"; exit 1; }
version=$(dpkg-query -W -f='${Version}' linux-source-7.3)
vtag=$(printf %s "$version" | tr '~+:' '___')
src="$cache/src/linux-$vtag"
if [ ! -f "$src/.extracted" ]; then
	say "extracting $tarball ($version)"
	rm -rf "$src"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf "$tarball" --strip-components=1
	mv "$src.tmp" "$src"
	touch "$src/.extracted"
fi

# shellcheck disable=SC2086
key=$( (echo "$version"; echo "LLVM=$llvm"; echo "ARCH=$arch"; cat $frags) |
	sha256sum | cut -c1-16)
out="$cache/build/$dir-$key"
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

# One build of a tree at a time: a second caller waits for the first.
mkdir -p "$cache/build"
exec 9>"$out.lock"
if ! flock -n 9; then
	say "waiting for another build of $out"
	flock 9
fi

if [ ! -f "$out/.built" ]; then
	mkdir -p "$out"
	if [ ! -f "$out/.config" ] || [ ! -f "$out/.configured" ]; then
		say "configuring $flavour kernel ($arch) in $out"
		make -s -C "$src" O="$out" "${archvar[@]}" LLVM="$llvm" tinyconfig >&2
		# shellcheck disable=SC2086
		(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" $frags >&2)
		make -s -C "$src" O="$out" "${archvar[@]}" LLVM="$llvm" olddefconfig >&2
		bad=0
		# shellcheck disable=SC2086
		for f in $frags; do
			while IFS= read -r line; do
				case $line in
				CONFIG_*=*)
					grep -qx -- "$line" "$out/.config" ||
						{ say "config lost: $line"; bad=1; }
					;;
				"# CONFIG_"*" is not set")
					opt=${line#\# }; opt=${opt%% *}
					if grep -q "^$opt=" "$out/.config"; then
						say "config could not be disabled: $opt"
						bad=1
					fi
					;;
				esac
			done <"$f"
		done
		[ $bad -eq 0 ] || { say "config fragment not honoured"; exit 1; }
		touch "$out/.configured"
	fi
	say "building $flavour kernel ($arch, -j$jobs), this takes a while the first time"
	# Parallel builds here have been seen to fail now and then on a file the
	# build itself had just written (a truncated rust/host/libsyn.rlib, a
	# missing .o.d for fixdep); another pass picks up where it stopped.
	tries=1
	until make -s -C "$src" O="$out" "${archvar[@]}" LLVM="$llvm" -j"$jobs" "$image" modules >&2; do
		[ $tries -lt 3 ] || { say "kernel build failed $tries times"; exit 1; }
		tries=$((tries + 1))
		say "build failed; trying again ($tries of 3)"
		rm -f "$out/rust/host/"*.rlib
	done
	echo "$llvm" >"$out/.mp_llvm"
	echo "$arch" >"$out/.mp_arch"
	touch "$out/.built"
fi
echo "$out"
