#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Decide once per machine whether the VM may use KVM: boot the test kernel
# under KVM with a job that only reports success, with a short timeout.
# Prints "kvm" or "tcg"; the answer is cached in $MP_CACHE/accel.
#
# Usage: probe-kvm.sh BZIMAGE INITRAMFS
set -uo pipefail

cache=${MP_CACHE:-$HOME/.cache/move_pages}
stamp=$cache/accel
here=$(cd "$(dirname "$0")" && pwd)

if [ -f "$stamp" ]; then
	cat "$stamp"
	exit 0
fi
accel=tcg
if [ -w /dev/kvm ]; then
	out=$(mktemp -d)
	if MP_ACCEL=kvm "$here/run-vm.sh" "$1" "$2" probe "$out" 30 >/dev/null 2>&1; then
		accel=kvm
	fi
	rm -rf "$out"
fi
mkdir -p "$cache"
echo "$accel" | tee "$stamp"
