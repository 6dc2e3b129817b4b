#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module as part of a kernel tree.
#
#   tools/intree.sh install KSRC [DIR]
#	Copy the module into KSRC/DIR (default drivers/misc/move_pages) and
#	hook it into the parent directory's Kconfig and Makefile, and its
#	selftests into KSRC/tools/testing/selftests/move_pages, added to the
#	selftests' TARGETS. Idempotent. Then enable CONFIG_MOVE_PAGES (m or y)
#	and build the kernel as usual.
#
#   tools/intree.sh selftests INSTALL_PATH [MAKE VARIABLES...]
#	In the cached tree of links to the test kernel's source (as check),
#	with the module installed there: make -C tools/testing/selftests
#	TARGETS=move_pages install INSTALL_PATH=... (run_kselftest.sh and
#	all), as a kernel tree builds and installs its selftests.
#
#   tools/intree.sh kunit [KUNIT.PY OPTIONS...]
#	In that tree: tools/testing/kunit/kunit.py run
#	--kunitconfig=drivers/misc/move_pages --arch=x86_64, the kernel built
#	in a cache directory of its own. kunit.py finds its files through its
#	own path, so its directory is copied, not linked. kunit.py asks QEMU
#	for KVM first; unless tools/vm/probe-kvm.sh found KVM working (its
#	cached answer), /dev/kvm is hidden from it (a private mount namespace)
#	so that QEMU falls back to TCG instead of hanging on a host whose
#	/dev/kvm opens but cannot run guests. MP_KUNIT_KVM=1 or 0 decides.
#
#   tools/intree.sh check [y|m]
#	Build the module in-tree, built in (y, default) or as a module (m),
#	against the test kernel's tree and configuration (cached), compiling
#	only the module's directory, not the kernel. Built in, the object must
#	reference the migration core directly and carry no kprobe lookup.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MP_CACHE:-$HOME/.cache/move_pages}
say() { echo "[intree] $*" >&2; }

# Makes FILE a file of its own if it is a symbolic link (a tree of links to
# another tree): edits never go through a link into the other tree.
unlink_file() { # FILE
	if [ -L "$1" ]; then
		cp --remove-destination "$(readlink -f "$1")" "$1"
	fi
}

install() { # KSRC DIR
	local ksrc=$1 dir=${2:-drivers/misc/move_pages}
	local parent name dest
	parent=$(dirname "$dir")
	name=$(basename "$dir")
	dest=$ksrc/$dir
	[ -f "$ksrc/$parent/Kconfig" ] && [ -f "$ksrc/$parent/Makefile" ] ||
		{ say "$ksrc/$parent has no Kconfig and Makefile"; exit 1; }
	rm -rf "$dest"
	mkdir -p "$dest/src"
	cp "$top/Kbuild" "$top/Kconfig" "$top/README.md" "$top/.kunitconfig" "$dest/"
	# The sources, not what a build left next to them (objects, generated files).
	(cd "$top" && find src -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) \
		! -name '*_gen.*') | while read -r f; do
		mkdir -p "$dest/$(dirname "$f")"
		cp "$top/$f" "$dest/$f"
	done
	cp -r "$top/Documentation" "$top/include" "$dest/"
	# Edit real files, never through a symbolic link into another tree.
	unlink_file "$ksrc/$parent/Kconfig"
	unlink_file "$ksrc/$parent/Makefile"
	if ! grep -qF "source \"$dir/Kconfig\"" "$ksrc/$parent/Kconfig"; then
		if grep -q '^endmenu' "$ksrc/$parent/Kconfig"; then
			# Inside the directory's menu: before its last endmenu.
			tac "$ksrc/$parent/Kconfig" |
				awk -v line="source \"$dir/Kconfig\"" \
				'!done && /^endmenu/ { print; print line; done = 1; next } { print }' |
				tac >"$ksrc/$parent/Kconfig.new"
			mv "$ksrc/$parent/Kconfig.new" "$ksrc/$parent/Kconfig"
		else
			echo "source \"$dir/Kconfig\"" >>"$ksrc/$parent/Kconfig"
		fi
	fi
	grep -qF "obj-\$(CONFIG_MOVE_PAGES)" "$ksrc/$parent/Makefile" ||
		echo "obj-\$(CONFIG_MOVE_PAGES)	+= $name/" >>"$ksrc/$parent/Makefile"
	install_selftests "$ksrc" "$dir"
	say "installed in $dest; enable CONFIG_MOVE_PAGES (m or y) and build the kernel"
}

# The selftests into KSRC/tools/testing/selftests/move_pages, their UAPI
# header found in KSRC/DIR (uapi.mk), the target added to the selftests'
# TARGETS.
install_selftests() { # KSRC DIR
	local ksrc=$1 dir=$2 st=$1/tools/testing/selftests
	[ -f "$st/Makefile" ] && [ -f "$st/lib.mk" ] ||
		{ say "$st has no kselftest Makefile and lib.mk"; exit 1; }
	rm -rf "$st/move_pages"
	cp -r "$top/tools/testing/selftests/move_pages" "$st/move_pages"
	echo "MOVE_PAGES_UAPI := \$(abspath ../../../../$dir/include/uapi)" >"$st/move_pages/uapi.mk"
	unlink_file "$st/Makefile"
	if ! grep -qx 'TARGETS += move_pages' "$st/Makefile"; then
		# After the last line of the list.
		tac "$st/Makefile" |
			awk '!done && /^TARGETS \+= / { print "TARGETS += move_pages"; done = 1 } { print }' |
			tac >"$st/Makefile.new"
		mv "$st/Makefile.new" "$st/Makefile"
	fi
}

# The cached tree of links to the test kernel's source, the module installed
# in it: sets kdir, ksrc, base and tree.
farm() {
	kdir=$("$top/tools/build.sh" kdir)
	ksrc=$("$top/tools/build.sh" ksrc)
	base=$cache/intree/$(basename "$kdir")
	tree=$base/src
	if [ ! -f "$tree/.farm-done" ]; then
		say "making a tree of links to $ksrc"
		rm -rf "$tree"
		mkdir -p "$base"
		cp -as "$ksrc" "$tree"
		touch "$tree/.farm-done"
	fi
	install "$tree" drivers/misc/move_pages
}

selftests() { # INSTALL_PATH [MAKE VARIABLES...]
	local kdir ksrc base tree dest=$1
	shift
	farm
	say "make -C tools/testing/selftests TARGETS=move_pages install (in $tree)"
	make -s -C "$tree/tools/testing/selftests" TARGETS=move_pages \
		INSTALL_PATH="$dest" "$@" install >&2
}

kunit() { # [KUNIT.PY OPTIONS...]
	local kdir ksrc base tree llvm run kvm
	llvm=$("$top/tools/build.sh" llvm)
	farm
	if [ -L "$tree/tools/testing/kunit/kunit.py" ]; then
		rm -rf "$tree/tools/testing/kunit"
		cp -r "$ksrc/tools/testing/kunit" "$tree/tools/testing/kunit"
	fi
	run=(python3 tools/testing/kunit/kunit.py run
	     --kunitconfig=drivers/misc/move_pages --arch=x86_64
	     --build_dir="$cache/kunit-x86_64" --make_options "LLVM=$llvm"
	     --jobs "$(( $(nproc) + 1 ))" "$@")
	say "${run[*]} (in $tree)"
	cd "$tree"
	kvm=${MP_KUNIT_KVM:-$(grep -qx kvm "$cache/accel" 2>/dev/null && echo 1 || echo 0)}
	if [ "$kvm" != 1 ] && [ -e /dev/kvm ]; then
		unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' sh "${run[@]}"
	else
		"${run[@]}"
	fi
}

check() { # y|m
	local mode=${1:-y} kdir ksrc llvm base tree obj jobs
	case $mode in y|m) ;; *) say "check: y or m"; exit 2 ;; esac
	llvm=$("$top/tools/build.sh" llvm)
	jobs=$(( $(nproc) + 1 ))
	farm
	obj=$base/build-$mode
	if [ ! -f "$obj/.configured" ]; then
		rm -rf "$obj"
		mkdir -p "$obj"
		cp "$kdir/.config" "$obj/.config"
		"$ksrc/scripts/config" --file "$obj/.config" --set-val MOVE_PAGES "$mode"
		make -s -C "$tree" O="$obj" LLVM="$llvm" olddefconfig >&2
		touch "$obj/.configured"
	fi
	grep -qx "CONFIG_MOVE_PAGES=$mode" "$obj/.config" ||
		{ say "CONFIG_MOVE_PAGES=$mode did not survive olddefconfig (dependencies?)"; exit 1; }
	say "building drivers/misc/move_pages/ in-tree (=$mode; the first time also the tree's Rust crates)"
	make -s -C "$tree" O="$obj" LLVM="$llvm" -j"$jobs" drivers/misc/move_pages/ 2>&1 |
		tee "$base/build-$mode.log" >&2
	if grep -i "warning" "$base/build-$mode.log" >/dev/null; then
		say "the in-tree build has warnings"
		exit 1
	fi
	local d=$obj/drivers/misc/move_pages o
	if [ "$mode" = y ]; then
		# Built in, the parts go into built-in.a as they are.
		o=$d/src/helpers.o
		for f in src/move_pages.o src/helpers.o; do
			(cd "$obj" && ar t "$d/built-in.a") | grep "drivers/misc/move_pages/$f$" >/dev/null ||
				{ say "$f is not in built-in.a"; exit 1; }
		done
		nm -u "$o" | grep -w migrate_pages >/dev/null ||
			{ say "built in, helpers.o does not reference migrate_pages"; exit 1; }
		! nm "$d/src/move_pages.o" "$o" | grep -w register_kprobe >/dev/null ||
			{ say "built in, the module still looks symbols up with a kprobe"; exit 1; }
	else
		o=$d/move_pages.o
		[ -f "$o" ] || { say "no $o"; exit 1; }
	fi
	say "in-tree build (=$mode) OK: $o"
}

cmd=${1:-}
shift || true
case $cmd in
install) [ $# -ge 1 ] || { say "usage: intree.sh install KSRC [DIR]"; exit 2; }; install "$@" ;;
check) check "$@" ;;
kunit) kunit "$@" ;;
selftests) [ $# -ge 1 ] || { say "usage: intree.sh selftests INSTALL_PATH"; exit 2; }; selftests "$@" ;;
*) say "usage: intree.sh install KSRC [DIR] | check [y|m] | selftests INSTALL_PATH | kunit [OPTIONS]"; exit 2 ;;
esac
