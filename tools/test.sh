#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: the x86_64 test kernel and module, then the in-VM suite
# (KUnit + selftests) on x86_64, booted in the background while the host-side
# checks run, and a short arm64 pass beside it: the module cross-built for
# arm64 (clippy-clean), and in an arm64 VM the module's load and unload
# cycles, its KUnit suites, basic_test, the differential scenarios (64-bit
# callers) and the samples, whose takeover sample must be served by the
# module. The results come in that order: host checks, x86_64 guest, arm64.
# `make test ARCH=arm64` (MP_ARCH=arm64 here): the arm64 module and the whole
# guest suite in the arm64 VM, without the host checks that do not depend on
# the architecture.
# Prints every result, then a last line "N passed, N failed, N skipped"; exits
# non-zero on any failure. A skip is not a pass: only the skips listed in
# tools/testing/selftests/move_pages/skip_allowlist are counted as skipped,
# any other fails the run (tools/tap_count.sh).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
arch=${MP_ARCH:-x86_64}
out=$top/build
mkdir -p "$out"
build=tools/build.sh
passed=0
failed=0
skipped=0
allowlist=tools/testing/selftests/move_pages/skip_allowlist
# The differential runs' knobs, for the guest's kernel command line:
# MP_SEED=N (and MP_CASES=N) reproduce a random run, MP_RACED=N runs N raced
# cases instead (run_tests.sh).
diff_append="${MP_SEED:+mp.seed=$MP_SEED} ${MP_CASES:+mp.cases=$MP_CASES}"
diff_append="$diff_append ${MP_RACED:+mp.raced=$MP_RACED}"

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

# The module for ARCH, built once with clippy as the compiler driver: any
# rustc or clippy warning fails. Sets mod_st (0: built).
module_checks() { # ARCH
	local log=$out/module-build-$1.log
	[ "$1" = x86_64 ] && find "$top/src" -name '*.o' -delete
	MP_ARCH=$1 CLIPPY=1 $build module >"$log" 2>&1
	mod_st=$?
	cat "$log"
	result $mod_st "module builds ($1)"
	grep -q 'warning' "$log"
	result $((! $?)) "module build is rustc- and clippy-clean ($1)"
}

# The guest suite for ARCH, in two steps, so that the VM runs while the host
# does other work (the emulated guest keeps about one of the host's CPUs busy):
# guest_start builds the guest programs and initramfs and boots the VM in the
# background (at most LIMIT seconds: the limit only guards against a hung
# guest); guest_collect waits for it and adds the guest's TAP results to the
# counts. MP_APPEND goes to the kernel command line (mp.only=... runs some
# programs only).
declare -A vm_pid vm_limit
guest_dir() { # ARCH
	if [ "$1" = x86_64 ]; then echo "$out"; else echo "$out/$1"; fi
}
guest_start() { # ARCH LIMIT
	local a=$1 dir
	dir=$(guest_dir "$a")
	mkdir -p "$dir"
	rm -f "$dir/vm.rc"
	if ! MP_ARCH=$a $build guest >"$dir/guest-build.log" 2>&1; then
		cat "$dir/guest-build.log"
		result 1 "guest programs and initramfs build ($a)"
		return
	fi
	# A session of its own: an interrupted run stops the whole VM (build.sh,
	# run-vm.sh, QEMU) through its process group.
	MP_ARCH=$a setsid bash -c '"$1" vm test "$2"; echo $? >"$3"' _ \
		"$build" "$2" "$dir/vm.rc" >"$dir/vm-run.log" 2>&1 &
	vm_pid[$a]=$!
	vm_limit[$a]=$2
}
guest_collect() { # ARCH
	local a=$1 dir vm log counts gp gf gs
	[ -n "${vm_pid[$a]:-}" ] || return
	dir=$(guest_dir "$a")
	wait "${vm_pid[$a]}"
	unset "vm_pid[$a]"
	vm=$(cat "$dir/vm.rc" 2>/dev/null || echo 1)
	cat "$dir/vm-run.log"
	[ "$vm" -eq 124 ] &&
		echo "guest ($a): timed out after ${vm_limit[$a]} s (see the last '# ===' program below)"
	log=$dir/vm-test/output.log
	cat "$log" 2>/dev/null
	# Top-level TAP lines of the guest's programs (indented lines are subtests).
	counts=$(tools/tap_count.sh "$log" "$allowlist" 2>/dev/null)
	echo "$counts" | sed '$d'
	read -r gp gf gs <<<"$(echo "$counts" | tail -n 1)"
	gp=${gp:-0} gf=${gf:-0} gs=${gs:-0}
	passed=$((passed + gp))
	failed=$((failed + gf))
	skipped=$((skipped + gs))
	echo "guest ($a): $gp passed, $gf failed, $gs skipped (kernel log: ${dir#$top/}/vm-test/console.log)"
	result "$vm" "guest exited 0 with a clean kernel log ($a, run-vm status $vm)"
	[ "$gp" -gt 0 ]
	result $? "guest ran tests ($a)"
}
# A background VM does not outlive an interrupted run.
trap 'for p in "${vm_pid[@]}"; do kill -- "-$p" 2>/dev/null; done' EXIT
trap 'exit 130' INT TERM

# The arm64 kernel, module and guest. With SMOKE, the short pass of the
# default run; without, the whole suite (make test ARCH=arm64).
arm64_suite() { # [smoke]
	mkdir -p "$out/arm64"
	if ! MP_ARCH=arm64 $build kdir >"$out/arm64/kernel-build.log" 2>&1; then
		tail -20 "$out/arm64/kernel-build.log"
		result 1 "test kernel builds (arm64)"
		return
	fi
	module_checks arm64
	[ $mod_st -eq 0 ] || return
	if [ "${1:-}" = smoke ]; then
		MP_APPEND="mp.only=load_unload,basic_test,diff_test,samples" guest_start arm64 1200
	else
		MP_APPEND=$diff_append \
			guest_start arm64 5400
	fi
}

if [ "$arch" = arm64 ]; then
	arm64_suite
	guest_collect arm64
	finish
fi

# Host set-up and builds: nothing else can run without them.
if ! kdir=$($build kdir); then
	result 1 "test kernel builds"
	finish
fi
ksrc=$($build ksrc)

module_checks x86_64

# The x86_64 guest: built, then booted in the background while the host checks
# below run, with the differential runs' knobs (diff_append).
# The VM's part takes about 23 minutes when the machine is quiet; on slow days
# of the same host it ran past 45 and near 60: the limit is for a hung guest
# only (started about 3 minutes in, it keeps the run within CI's 90).
if [ $mod_st -eq 0 ] || [ -f "$top/move_pages.ko" ]; then
	MP_APPEND=$diff_append \
		guest_start x86_64 4800
fi

# The module's sources; the bindgen output (src/*_gen.rs) is generated by the build.
rustfmt --edition 2021 --config-path "$ksrc/.rustfmt.toml" --check \
	$(find src -name '*.rs' ! -name '*_gen.rs' | sort) >"$out/rustfmt.log" 2>&1
st=$?
cat "$out/rustfmt.log"
result $st "rustfmt --check"

cfiles=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
"$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $cfiles >"$out/checkpatch.log" 2>&1
st=$?
cat "$out/checkpatch.log"
result $st "checkpatch --strict on C sources"

# The user-space crates: tests, clippy (no warning), rustfmt; built in the
# cache's target directory (build.sh cargo-target).
for crate in tools/move-pages tools/move-pages-cli samples/rust; do
	[ -f "$crate/Cargo.toml" ] || continue
	ct=$($build cargo-target "$crate")
	(cd "$crate" && CARGO_TARGET_DIR=$ct cargo test -q --locked) >"$out/cargo-test.log" 2>&1
	st=$?
	cat "$out/cargo-test.log"
	result $st "cargo test ($crate)"
	(cd "$crate" && export CARGO_TARGET_DIR=$ct &&
		cargo clippy -q --locked --all-targets -- -D warnings && cargo fmt --check) \
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

# DKMS, as a user runs it (dkms.conf), against the test kernel's build tree:
# the sources as git lists them, a scratch DKMS tree (nothing under /var/lib/dkms).
dkms_check() {
	local d ver kver ko
	d=$(mktemp -d "$out/dkms.XXXXXX") || return 1
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
	kver=$(cat "$kdir/include/config/kernel.release")
	mkdir -p "$d/src/move_pages-$ver" "$d/tree"
	git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -xf - -C "$d/src/move_pages-$ver"
	dkms add --dkmstree "$d/tree" --sourcetree "$d/src" -m move_pages -v "$ver" &&
	dkms build --dkmstree "$d/tree" --sourcetree "$d/src" -m move_pages -v "$ver" \
		-k "$kver" --kernelsourcedir "$kdir" || {
		cat "$d/tree/move_pages/$ver/build/make.log" 2>/dev/null
		return 1
	}
	ko=$d/tree/move_pages/$ver/$kver/$(uname -m)/module/move_pages.ko
	echo "built: $(modinfo -F vermagic "$ko")"
	modinfo -F vermagic "$ko" | grep -q "^$kver " && rm -rf "$d"
}
dkms_check >"$out/dkms.log" 2>&1
st=$?
tail -5 "$out/dkms.log"
result $st "dkms add and dkms build against the test kernel's build tree"

make -s rust-analyzer >"$out/rust-analyzer.log" 2>&1 && [ -s rust-project.json ]
st=$?
cat "$out/rust-analyzer.log"
result $st "make rust-analyzer writes rust-project.json"

# Every mutant of make mutants still finds the code it changes.
python3 tools/mutants/apply.py tools/mutants/catalogue check . >"$out/mutants.log" 2>&1
st=$?
cat "$out/mutants.log"
result $st "the mutant catalogue applies to the sources"

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

# The other architecture, briefly (MP_ARM64=0 leaves it out): its kernel,
# module and guest are built, and its VM runs, while the x86_64 guest runs.
[ "${MP_ARM64:-1}" = 0 ] || arm64_suite smoke

# Both guests' results, x86_64's first.
guest_collect x86_64
guest_collect arm64
finish
