#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make mutants: mutation testing of the whole oracle. Each mutant of the
# catalogue (tools/mutants/catalogue) is planted in a copy of the module's
# source and built; one guest boot then loads each mutant in turn and runs
# the differential programs and the fuzzer's seed corpus against it
# (tools/mutants/guest.sh). A mutant that brings the kernel down is killed
# (by the kernel log) and the guest is booted again from the next one.
# Prints killed/survived per mutant and the score; writes
# build/mutants/results.txt. MUTANTS="M01 M07" runs only those.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cat=$top/tools/mutants/catalogue
out=$top/build/mutants
build=$top/tools/build.sh
say() { printf '[mutants] %s\n' "$*" >&2; }

"$build" module
kdir=$("$build" kdir)
llvm=$("$build" llvm)
ids=${MUTANTS:-$(python3 "$top/tools/mutants/apply.py" "$cat" list | cut -f1)}
rm -rf "$out"
mkdir -p "$out/guest/mutants"
for id in $ids; do
	tree=$out/tree
	rm -rf "$tree"
	mkdir -p "$tree"
	cp -a "$top/Kbuild" "$top/Kconfig" "$top/src" "$top/include" "$tree/"
	find "$tree" \( -name '*.o' -o -name '.*.cmd' -o -name '*.rmeta' \) -delete
	python3 "$top/tools/mutants/apply.py" "$cat" apply "$id" "$tree"
	if ! make -s -C "$kdir" M="$tree" LLVM="$llvm" modules >"$out/$id.build.log" 2>&1; then
		say "$id does not build (build/mutants/$id.build.log)"
		exit 1
	fi
	cp "$tree/move_pages.ko" "$out/guest/mutants/$id.ko"
done
rm -rf "$out/tree"
cp "$top/tools/mutants/guest.sh" "$out/guest/mutants.sh"
say "built $(echo "$ids" | wc -w) mutants"
MP_GUEST_EXTRA=$out/guest "$build" guest

results=$out/results.txt
: >"$results"
from=
while :; do
	MP_APPEND="${from:+mp.from=$from} ${MP_APPEND:-}" "$build" vm mutants 14400 || true
	log=$top/build/vm-mutants/output.log
	grep '^mutant ' "$log" >>"$results" || true
	last=$(sed -n 's/^# mutant \(M[0-9]*\): start$/\1/p' "$log" | tail -n 1)
	grep -q '^# mutants: done' "$log" && break
	if [ -z "$last" ]; then
		say "the guest did not start the mutants (build/vm-mutants/)"
		exit 1
	fi
	# The guest stopped inside $last (a crash, a hang, a module that would not unload).
	if ! grep -q "^mutant $last " "$log"; then
		why=$(grep -m1 -E 'BUG|WARNING|Oops|panic|lockdep|KASAN|hung' \
			"$top/build/vm-mutants/console.log" | cut -c1-120 || true)
		echo "mutant $last killed by the kernel (${why:-the guest stopped})" >>"$results"
	fi
	next=
	for id in $ids; do
		if [[ "$id" > "$last" ]]; then next=$id; break; fi
	done
	[ -n "$next" ] || break
	from=$next
done

total=$(grep -c '^mutant ' "$results" || true)
killed=$(grep -c '^mutant [M0-9]* killed' "$results" || true)
cat "$results"
python3 "$top/tools/mutants/apply.py" "$cat" list | while IFS=$'\t' read -r id file what; do
	grep -q "^mutant $id survived" "$results" && echo "survivor $id $file: $what"
done || true
echo "mutants: $killed of $total killed ($((total ? 100 * killed / total : 0)) %)"
[ "$total" -gt 0 ] && [ $((100 * killed)) -ge $((90 * total)) ]
