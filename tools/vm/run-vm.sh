#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel with two NUMA nodes of 1.5 GiB and a memoryless third
# node, run the guest job MODE, and exit with the guest's own exit status.
#
# Usage: run-vm.sh KERNEL INITRAMFS MODE OUTDIR [TIMEOUT_SECONDS]
#
# MP_ARCH (x86_64, the default, or arm64) says which QEMU: qemu-system-x86_64
# (bzImage, KVM if MP_ACCEL=kvm) or qemu-system-aarch64 (Image, the virt
# machine, always TCG). The layout is the same on both: three CPUs, one per
# node, nodes 0 and 1 with 1.5 GiB each, node 2 without memory.
#
# OUTDIR receives console.log (kernel log, first serial port) and output.log
# (the job's output, second serial port). Exit status: the guest's (reported
# by tools/vm/guest-exit), 124 on timeout, 125 when the guest
# ended without reporting one (panic, reboot), 126 when the kernel log shows
# a WARN, BUG, Oops, lockdep or KFENCE report.
set -uo pipefail

kernel=$1 initrd=$2 mode=$3 out=$4 limit=${5:-900}
mkdir -p "$out"
rm -f "$out/console.log" "$out/output.log"

arch=${MP_ARCH:-x86_64}
# TCG unless told otherwise (tools/vm/probe-kvm.sh decides whether KVM works).
accel=${MP_ACCEL:-tcg}
# The emulated CPU without LA57 (4-level paging). With it, an interrupt taken
# while identify_cpu() has cleared boot_cpu_data's feature words made the
# KASAN kernel see pgtable_l5_enabled() false for a moment, judge a 5-level
# direct-map address (an irq_desc's lock) to have no shadow and report a
# "wild-memory-access in do_raw_spin_lock" at boot, now and then, before any
# test ran. Without LA57 the flag is 0 before, during and after.
cpu=max,la57=off
[ "$accel" = kvm ] && cpu=host
case $arch in
x86_64)
	qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu"
	      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
	console=ttyS0
	;;
arm64)
	# The virt machine (GICv3 for more than 8 CPUs' worth of redistributors;
	# a device tree, which carries the NUMA nodes). Pointer authentication
	# with QEMU's own cheap algorithm: the architected one costs TCG much.
	# A second -serial adds the second PL011 (ttyAMA1). Semihosting for user
	# programs: how guest-exit reports the status.
	qemu=(qemu-system-aarch64 -M virt,gic-version=3 -accel tcg -cpu max,pauth-impdef=on
	      -semihosting-config enable=on,target=native,userspace=on)
	console=ttyAMA0
	;;
*) echo "run-vm: MP_ARCH x86_64 or arm64, not '$arch'" >&2; exit 2 ;;
esac

timeout --foreground -k 10 "$limit" "${qemu[@]}" -m 3G \
	-smp 3,sockets=3,cores=1,threads=1 \
	-object memory-backend-ram,id=m0,size=1536M \
	-object memory-backend-ram,id=m1,size=1536M \
	-numa node,nodeid=0,cpus=0,memdev=m0 \
	-numa node,nodeid=1,cpus=1,memdev=m1 \
	-numa node,nodeid=2,cpus=2 \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=$console panic=-1 oops=panic mp.mode=$mode ${MP_APPEND:-}" \
	-nodefaults -display none -no-reboot \
	-serial "file:$out/console.log" -serial "file:$out/output.log" </dev/null
qemu_rc=$?

if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	echo "run-vm: guest timed out after ${limit}s" >&2
	rc=124
elif [ $((qemu_rc & 1)) -eq 1 ]; then
	rc=$((qemu_rc >> 1))
else
	echo "run-vm: guest ended without reporting a status (qemu exit $qemu_rc)" >&2
	rc=125
fi

# Reports in the guest's kernel log fail the run, whatever the guest said
# (tools/testing/selftests/move_pages/splat_scan.sh says what counts, and how
# the allocation failures injected on purpose are told apart).
splats=$(sh "$(dirname "$0")/../testing/selftests/move_pages/splat_scan.sh" "$out/console.log")
if [ -n "$splats" ]; then
	echo "run-vm: kernel log of the guest has a splat:" >&2
	echo "$splats" | head -20 >&2
	[ $rc -ne 0 ] || rc=126
fi
exit $rc
