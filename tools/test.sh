#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: host-side checks, then the in-VM suite (KUnit + selftests).
# Prints every result, then a last line "N passed, N failed, N skipped"; exits
# non-zero on any failure. A skip is not a pass: only the skips listed in
# tools/testing/selftests/move_pages/skip_allowlist are counted as skipped,
# any other fails the run (tools/tap_count.sh).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build
mkdir -p "$out"
build=tools/build.sh
passed=0
failed=0
skipped=0
allowlist=tools/testing/selftests/move_pages/skip_allowlist

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
	echo "$passed passed, $failed failed, $skipped skipped"
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

# The kernel log scan (run on the guest's log by tools/vm/run-vm.sh): each kind
# of report in splat_samples, as the kernel prints it, fails the scan; an
# injected allocation failure is let through only inside its window.
st=tools/testing/selftests/move_pages
missed=
while IFS= read -r sample; do
	case "$sample" in '#'*|'') continue ;; esac
	printf '[    1.0] %s\n' "$sample" >"$out/splat-sample.log"
	sh $st/splat_scan.sh "$out/splat-sample.log" >/dev/null && missed="$missed|$sample"
done <$st/splat_samples
[ -z "$missed" ]
result $? "log scan sees every kind of report in splat_samples${missed:+ (missed:$missed)}"
mark='move_pages-test: expected allocation failures'
alloc='stress: page allocation failure: order:0, mode:0x340cca(GFP_HIGHUSER_MOVABLE)'
printf '%s\n' "$mark begin" "$alloc" 'CPU: 0 PID: 1' 'Call Trace:' "$mark end" >"$out/splat-sample.log"
sh $st/splat_scan.sh "$out/splat-sample.log" >/dev/null
result $? "log scan lets an injected allocation failure through inside its window"
printf '%s\n' "$alloc" 'CPU: 0 PID: 1' 'Call Trace:' >"$out/splat-sample.log"
sh $st/splat_scan.sh "$out/splat-sample.log" >/dev/null
result $((! $?)) "log scan counts an allocation failure outside a window"
printf '%s\n' "$mark begin" 'WARNING: CPU: 0 at x' 'Call Trace:' "$mark end" >"$out/splat-sample.log"
[ "$(sh $st/splat_scan.sh "$out/splat-sample.log" | wc -l)" -eq 2 ]
result $? "log scan counts a warning and its trace inside a window"
printf '%s\n' "$mark begin" 'move_pages-test: program next' "$alloc" 'Call Trace:' \
	>"$out/splat-sample.log"
sh $st/splat_scan.sh "$out/splat-sample.log" >/dev/null
result $((! $?)) "log scan closes a window left open at the next program"

# The skip accounting itself, on a sample: a pass, a failure, an allowed skip,
# a skip not allowed (a failure), a subtest's skip and a comment (neither counted).
printf '%s\n' 'TAP version 13' 'ok 1 a' 'not ok 2 b' 'ok 3 c # SKIP no page' \
	'ok 4 d # SKIP other' '    ok 1 e # SKIP sub' '# ok 5 f' >"$out/tap-sample.log"
printf '%s\n' '# the sample allows c' '^c # SKIP' >"$out/tap-allow"
[ "$(tools/tap_count.sh "$out/tap-sample.log" "$out/tap-allow" | tail -n 1)" = "1 2 1" ]
result $? "skip accounting counts a sample as 1 passed, 2 failed, 1 skipped"

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
counts=$(tools/tap_count.sh "$log" "$allowlist" 2>/dev/null)
echo "$counts" | sed '$d'
read -r gp gf gs <<<"$(echo "$counts" | tail -n 1)"
gp=${gp:-0} gf=${gf:-0} gs=${gs:-0}
passed=$((passed + gp))
failed=$((failed + gf))
skipped=$((skipped + gs))
echo "guest: $gp passed, $gf failed, $gs skipped (kernel log: build/vm-test/console.log)"
result $vm "guest exited 0 with a clean kernel log (run-vm status $vm)"
[ "$gp" -gt 0 ]
result $? "guest ran tests"
finish
