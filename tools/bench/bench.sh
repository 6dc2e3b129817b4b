#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark: native move_pages(2) against the module's /dev/move_pages, in one
# VM boot (tools/bench/mp_bench.c, README.rst next to this file).
#
# Builds or reuses the run-flavour kernel (no debug options), builds the module
# out of a copy of Kbuild and src/ (build/bench/module/, so that the module in
# the top directory is left alone), mp_bench and an initramfs of its own, boots
# the two-node VM (tools/vm/run-vm.sh, mode "bench") and writes to build/bench/:
#
#   results.jsonl  mp_bench's JSON lines, as printed in the guest
#   results.csv    the same as a table
#   results.json   {"machine": {...}, "results": [...]}
#   results.png    sweep (pages/s against batch size) and module/native ratios
#   vm/            console.log (kernel log) and output.log (mp_bench's output)
#
# Usage: bench.sh [--plot-only]
#   MP_BENCH_ARGS    options of mp_bench, e.g. "-q" (quick) or "-r 7 -w W1,W3"
#   MP_BENCH_TIMEOUT seconds the guest may run (default 1800)
#   MP_ACCEL         kvm or tcg (default: tools/vm/probe-kvm.sh decides; arm64: tcg)
#   MP_ARCH          x86_64 (default) or arm64 (make bench ARCH=arm64): the arm64
#                    run kernel, module and mp_bench, in the arm64 VM; results in
#                    build/arm64/bench/
#   KDIR             a built kernel tree to use instead of the run flavour
# Exit status: the guest's (0 when every check passed), as for run-vm.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tools/bench
arch=${MP_ARCH:-x86_64}
case $arch in
x86_64) out=$top/build/bench; qemu=qemu-system-x86_64; archvar=() ;;
arm64) out=$top/build/arm64/bench; qemu=qemu-system-aarch64; archvar=(ARCH=arm64) ;;
*) echo "MP_ARCH: x86_64 or arm64" >&2; exit 2 ;;
esac
export MP_ARCH=$arch
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

say() { printf '[bench] %s\n' "$*" >&2; }

# The plot needs matplotlib: python3-matplotlib is Debian's, for /usr/bin/python3
# (which may not be the python3 first in PATH).
plot() {
	local py
	for py in python3 /usr/bin/python3 ""; do
		[ -n "$py" ] && "$py" -c 'import matplotlib' 2>/dev/null && break
	done
	if [ -n "$py" ]; then
		"$py" "$here/plot.py" "$out/results.json" "$out/results.png"
		say "wrote $out/results.png"
	else
		say "python3-matplotlib is missing: no plot (apt-get install python3-matplotlib)"
	fi
}

case ${1:-} in
--plot-only)
	[ -f "$out/results.json" ] || { say "no $out/results.json: run $0 first"; exit 1; }
	python3 "$here/report.py" table "$out"
	plot
	exit 0
	;;
"") ;;
*) echo "usage: $0 [--plot-only]" >&2; exit 2 ;;
esac

started=$(date +%s)
mkdir -p "$out"

k=$(KFLAVOUR=run "$top/tools/build.sh" kdir)
if [ -e "$k/source" ]; then s=$(readlink -f "$k/source"); else s=$k; fi
case $arch in
x86_64) bz=$k/arch/x86/boot/bzImage ;;
arm64) bz=$k/arch/arm64/boot/Image ;;
esac

# The module, from a copy of its sources: only changed files are copied, so
# that Kbuild rebuilds only what changed.
m=$out/module
"$top/tools/build.sh" copy-sources "$m"
say "building the module in $m against $k"
make -s -C "$k" M="$m" "${archvar[@]}" LLVM="$(KDIR=$k "$top/tools/build.sh" llvm)" modules

say "building mp_bench and the initramfs"
g=$out/guest
mkdir -p "$g"
cflags=(-O2 -Wall -Wextra -static -D_GNU_SOURCE -I"$top/include/uapi"
	-I"$s/tools/testing/selftests" -I"$top/tools/testing/selftests/move_pages")
read -ra cc <<<"$("$top/tools/build.sh" guest-cc)"
"${cc[@]}" "${cflags[@]}" -o "$g/mp_bench" "$here/mp_bench.c"
"${cc[@]}" "${cflags[@]}" -o "$g/guest-exit" "$top/tools/vm/guest-exit.c"
cp "$m/move_pages.ko" "$g/"
"$top/tools/build.sh" initramfs "$out/initramfs" "$here/init" "$g"

accel=tcg
[ "$arch" = arm64 ] || accel=${MP_ACCEL:-$("$top/tools/vm/probe-kvm.sh" "$bz" "$out/initramfs.cpio.gz")}
args=${MP_BENCH_ARGS:-}
limit=${MP_BENCH_TIMEOUT:-1800}
say "booting $bz ($accel), mp_bench ${args:-(full run)}, timeout ${limit}s"
say "progress: $out/vm/output.log"
rm -f "$out/vm/output.log"
vm_start=$(date +%s)
MP_ACCEL=$accel MP_APPEND="mp.bench=\"$args\" ${MP_APPEND:-}" \
	"$top/tools/vm/run-vm.sh" "$bz" "$out/initramfs.cpio.gz" bench "$out/vm" "$limit" &
vm=$!
# Show mp_bench's human-readable lines while it runs.
(tail -n +1 -F --pid=$vm "$out/vm/output.log" 2>/dev/null |
	grep --line-buffered '^#' | sed -u 's/^/  /' >&2) &
shower=$!
rc=0
wait $vm || rc=$?
wait $shower || true
vm_end=$(date +%s)
say "guest exit status $rc after $((vm_end - vm_start)) s in the VM"

grep '^{' "$out/vm/output.log" >"$out/results.jsonl" || true
if [ ! -s "$out/results.jsonl" ]; then
	say "no results in $out/vm/output.log (kernel log: $out/vm/console.log)"
	exit $((rc ? rc : 1))
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
git_rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
python3 "$here/report.py" build "$out" \
	"host_cpu=$cpu" \
	"host_nproc=$(nproc)" \
	"accel=$accel" \
	"qemu=$($qemu --version | head -1)" \
	"arch=$arch" \
	"date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"command=$0 $*" \
	"mp_bench_args=$args" \
	"kernel_build=$(basename "$k")" \
	"module_sha256=$(sha256sum "$m/move_pages.ko" | cut -d' ' -f1)" \
	"git=$git_rev" \
	"guest_exit_status=$rc" \
	"vm_seconds=$((vm_end - vm_start))" \
	"total_seconds=$(($(date +%s) - started))"
plot
say "results: $out/results.{jsonl,csv,json,png}"
exit $rc
