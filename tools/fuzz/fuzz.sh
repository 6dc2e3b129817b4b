#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz [DURATION=SECONDS] [SEED=N]: a coverage-guided campaign of the
# differential fuzzer (diff_fuzz campaign) in the test VM, started from the
# seed corpus (tools/testing/selftests/move_pages/corpus/). Writes under
# build/fuzz/:
#   output.log          the guest's report
#   corpus.cases        the cases that reached new KCOV edges of the module
#   reproducers.cases   each difference found, minimised (replay them with
#                       diff_fuzz replay, or add them to the seed corpus)
#   coverage.txt        coverage points of src/ reached, by file and line
# Exits non-zero if the campaign found a difference.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
dur=${DURATION:-300}
out=$top/build/fuzz
build=$top/tools/build.sh

"$build" module
"$build" guest
mkdir -p "$out"
rc=0
MP_APPEND="mp.only=diff_fuzz_campaign mp.fuzz=$dur${SEED:+ mp.seed=$SEED} ${MP_APPEND:-}" \
	"$build" vm test $((dur + 900)) || rc=$?
log=$top/build/vm-test/output.log
cp "$log" "$out/output.log"
sed -n 's/^# corpus: //p' "$log" >"$out/corpus.cases"
sed -n 's/^# reproducer: //p' "$log" >"$out/reproducers.cases"
sed -n 's/^# pcs: //p' "$log" | tr ' ' '\n' | sed '/^$/d' >"$out/pcs.txt"
python3 "$top/tools/fuzz/coverage.py" "$top/move_pages.ko" "$out/pcs.txt" \
	>"$out/coverage.txt" || true
grep '^# campaign:' "$log" || true
head -n 3 "$out/coverage.txt" || true
echo "corpus: $(wc -l <"$out/corpus.cases") cases, reproducers: $(wc -l <"$out/reproducers.cases")"
echo "(build/fuzz/: output.log, corpus.cases, reproducers.cases, coverage.txt)"
exit $rc
