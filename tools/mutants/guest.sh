#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of make mutants: each mutant module (mutants/Mxx.ko) loaded
# in turn in place of the module, against the differential programs, quickest
# first. The first program that fails, a report in the kernel log or folios
# left isolated kill the mutant; a mutant all of them pass survived.
# mp.from=Mxx starts at that mutant (the host restarts the guest after one
# that brought the kernel down).
cd /guest || exit 1
from=$(sed -n 's/.*mp\.from=\(M[0-9]*\).*/\1/p' /proc/cmdline)
# One program at a time, quickest and most telling first (a program runs to
# its end even after its first failure); a hang counts as a kill.
progs="corpus:./diff_fuzz replay corpus/seed.cases
fuzz:./fuzz 10
diff_test:./diff_test -f diff
random:./diff_fuzz random 40 1
exact_test:./exact_test
ext_test:./ext_test
diff_test_kinds:./diff_test -f kinds
diff_test32:./diff_test32 -f diff
corpus32:./diff_fuzz32 replay corpus/seed.cases"
# Folios isolated and never put back (read after the counters are folded).
isolated() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk '/^nr_isolated_(anon|file) / { printf "%s ", $2 }' /proc/vmstat
}
rmmod move_pages 2>/dev/null
for ko in mutants/M*.ko; do
	m=$(basename "$ko" .ko)
	if [ -n "$from" ] && [ "$m" \< "$from" ]; then
		continue
	fi
	echo "# mutant $m: start"
	dmesg -c >/dev/null
	# Against the state after the previous mutant (one that left folios
	# isolated is killed, and they stay isolated for good).
	iso0=$(isolated)
	if ! insmod "$ko" 2>/tmp/insmod.err; then
		echo "mutant $m killed by insmod: $(cat /tmp/insmod.err)"
		continue
	fi
	killer=
	while IFS=: read -r name cmd; do
		# shellcheck disable=SC2086
		timeout 900 $cmd </dev/null >/tmp/mutant.out 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			killer="$name (exit $rc: $(grep -m1 -E '^not ok|different|return:|status\[' /tmp/mutant.out | cut -c1-160))"
			break
		fi
		if dmesg | sh ./splat_scan.sh - | grep -q .; then
			killer="$name (kernel log: $(dmesg | sh ./splat_scan.sh - | head -1 | cut -c1-120))"
			break
		fi
		if [ "$(isolated)" != "$iso0" ]; then
			killer="$name (isolated folios: [$iso0] -> [$(isolated)])"
			break
		fi
	done <<PROGS
$progs
PROGS
	if ! rmmod move_pages; then
		killer=${killer:-"rmmod"}
		echo "mutant $m ${killer:+killed by $killer}"
		echo "# the module cannot be unloaded: the remaining mutants need a new boot"
		exit 3
	fi
	if [ -n "$killer" ]; then
		echo "mutant $m killed by $killer"
	else
		echo "mutant $m survived"
	fi
done
echo "# mutants: done"
exit 0
