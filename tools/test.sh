#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: host-side checks, then the in-VM suite (KUnit + selftests).
# Prints every result, then a last line "N passed, N failed"; exits non-zero
# on any failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build
mkdir -p "$out"
build=tools/build.sh
passed=0
failed=0

result() { # status name
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS: $2"
	else
		failed=$((failed + 1))
		echo "FAIL: $2"
	fi
}

finish() {
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# Host set-up and builds: nothing else can run without them.
if ! kdir=$($build kdir); then
	result 1 "test kernel builds"
	finish
fi
ksrc=$($build ksrc)

# The module, built once with clippy as the compiler driver: any rustc or
# clippy warning fails.
find "$top/src" -name '*.o' -delete
CLIPPY=1 $build module >"$out/module-build.log" 2>&1
mod_st=$?
cat "$out/module-build.log"
result $mod_st "module builds"
grep -q 'warning' "$out/module-build.log"
result $((! $?)) "module build is rustc- and clippy-clean"

rustfmt --edition 2021 --config-path "$ksrc/.rustfmt.toml" --check src/*.rs >"$out/rustfmt.log" 2>&1
st=$?
cat "$out/rustfmt.log"
result $st "rustfmt --check"

cfiles=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
"$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $cfiles >"$out/checkpatch.log" 2>&1
st=$?
cat "$out/checkpatch.log"
result $st "checkpatch --strict on C sources"

# The user-space crates: tests, clippy (no warning), rustfmt.
for crate in tools/move-pages tools/move-pages-cli samples/rust; do
	[ -f "$crate/Cargo.toml" ] || continue
	(cd "$crate" && cargo test -q) >"$out/cargo-test.log" 2>&1
	st=$?
	cat "$out/cargo-test.log"
	result $st "cargo test ($crate)"
	(cd "$crate" && cargo clippy -q --all-targets -- -D warnings && cargo fmt --check) \
		>"$out/cargo-lint.log" 2>&1
	st=$?
	cat "$out/cargo-lint.log"
	result $st "cargo clippy and fmt clean ($crate)"
done

# The directory dropped into the kernel tree, built in (=y): compiles only
# the module's directory against the cached tree (see tools/intree.sh).
tools/intree.sh check y >"$out/intree.log" 2>&1
st=$?
tail -5 "$out/intree.log"
result $st "in-tree build (CONFIG_MOVE_PAGES=y) against the test kernel's tree"

make -s rust-analyzer >"$out/rust-analyzer.log" 2>&1 && [ -s rust-project.json ]
st=$?
cat "$out/rust-analyzer.log"
result $st "make rust-analyzer writes rust-project.json"

bash -n tools/vm/init tools/vm/*.sh tools/*.sh tools/testing/selftests/move_pages/*.sh
result $? "shell scripts parse"

if [ $mod_st -ne 0 ] && [ ! -f "$top/move_pages.ko" ]; then
	finish
fi

# The guest: build, boot, run the suite.
if ! $build guest >"$out/guest-build.log" 2>&1; then
	cat "$out/guest-build.log"
	result 1 "guest programs and initramfs build"
	finish
fi
# MP_SEED=N (and MP_CASES=N) reproduce a random differential run.
MP_APPEND="${MP_SEED:+mp.seed=$MP_SEED} ${MP_CASES:+mp.cases=$MP_CASES}" \
	$build vm test 1500
vm=$?
log=$out/vm-test/output.log
cat "$log" 2>/dev/null
# Top-level TAP lines of the guest's programs (indented lines are subtests).
gp=$(grep -Ec '^ok [0-9]+ ' "$log" 2>/dev/null)
gf=$(grep -Ec '^not ok [0-9]+ ' "$log" 2>/dev/null)
passed=$((passed + gp))
failed=$((failed + gf))
echo "guest: $gp passed, $gf failed (kernel log: build/vm-test/console.log)"
result $vm "guest exited 0 with a clean kernel log (run-vm status $vm)"
[ "$gp" -gt 0 ]
result $? "guest ran tests"
finish
