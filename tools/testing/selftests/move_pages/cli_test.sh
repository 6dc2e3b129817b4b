#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The move-pages command-line tool against the module: query and move another
# process's pages by address range and by mapping, JSON output, and its
# errors for bad input (no such process, bad range, node without memory,
# module not loaded). The moved process checks its own pages afterwards.
# Moves use the module's extensions by default (parallel, group_by_node,
# exact_status), plain move_pages(2) with --plain; the JSON says which.
MOD=/guest/move_pages.ko
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
# mp OUT ARGS...: run the tool, stdout+stderr to OUT, exit status in $st.
mp() { out=$1; shift; ./move-pages "$@" >"$out" 2>&1; st=$?; sed 's/^/# /' "$out"; }

echo "TAP version 13"
echo "1..12"
grep -q "^move_pages " /proc/modules || insmod $MOD

./mp_hammer -r >/tmp/cli_resident.out 2>&1 &
rpid=$!
i=0
while ! grep -q ready /tmp/cli_resident.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
set -- $(cat /tmp/cli_resident.out)
addr=$2 pages=$3
len=$((pages * 4096))

mp /tmp/cli.1 query --pid "$rpid" --range "$addr+$len" --json
check "query_json_range (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"pages\":$pages,\"nodes\":{\"0\":$pages},\"errors\":{}" /tmp/cli.1'

mp /tmp/cli.2 move --pid "$rpid" --to 1 --range "$addr+$len" --json --no-progress
check "move_json_range (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"after\":{\"nodes\":{\"1\":$pages}" /tmp/cli.2 &&
	 grep -q "\"not_migrated\":0" /tmp/cli.2 &&
	 grep -q "\"extensions\":\[\"group_by_node\",\"exact_status\",\"parallel\"\]" /tmp/cli.2'

mp /tmp/cli.3 query --pid "$rpid" --range "$addr+$len"
check "query_text_histogram (exit $st)" \
	'[ $st -eq 0 ] && grep -Eq "node 1 +$pages" /tmp/cli.3'

kill -USR1 "$rpid"
wait "$rpid"
rst=$?
sed 's/^/# resident: /' /tmp/cli_resident.out
check "moved_process_sees_its_pages_on_node_1_intact ($rst)" '[ $rst -eq 0 ]'

# A whole process by mapping name, then everything.
sleep 30 &
spid=$!
mp /tmp/cli.4 move --pid "$spid" --to 1 --map "[stack]" --json
check "move_by_map_name (exit $st)" '[ $st -eq 0 ] && grep -q "\"after\":{\"nodes\":{\"1\":" /tmp/cli.4'
mp /tmp/cli.5 move --pid "$spid" --to 0 --plain --json
check "move_whole_process_plain (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"after\":{\"nodes\":{\"0\":" /tmp/cli.5 &&
	 grep -q "\"extensions\":\[\]" /tmp/cli.5'
kill "$spid"

mp /tmp/cli.6 query --pid 999999
check "no_such_process (exit $st)" '[ $st -eq 1 ] && grep -qi "no such process\|no process" /tmp/cli.6'
mp /tmp/cli.7 query --pid self --range 0x2000-0x1000
check "bad_range (exit $st)" '[ $st -eq 1 ]'
mp /tmp/cli.8 move --pid self --to 2
check "node_without_memory (exit $st)" '[ $st -eq 1 ] && grep -qi "memory" /tmp/cli.8'
mp /tmp/cli.9 query --pid self --map "[no-such-mapping]"
check "no_matching_mapping (exit $st)" '[ $st -eq 1 ]'
mp /tmp/cli.10 query --frobnicate
check "usage_error (exit $st)" '[ $st -eq 2 ] && grep -qi usage /tmp/cli.10'
rmmod move_pages
mp /tmp/cli.11 query --pid self
check "module_not_loaded_says_how_to_load (exit $st)" '[ $st -eq 1 ] && grep -q insmod /tmp/cli.11'
insmod $MOD
exit $fail
