#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The move-pages command-line tool against the module: query and move another
# process's pages by address range and by mapping, JSON output, and its
# errors for bad input (no such process, bad range, node without memory,
# module not loaded). The moved process checks its own pages afterwards.
# Moves use the module's extensions by default (parallel, group_by_node,
# exact_status), plain move_pages(2) with --plain; the JSON says which.
# show's per-mapping table is checked against the kernel's own numa_maps;
# --dry-run must move nothing; --from/--to (like migratepages) only the pages
# on the --from nodes.
MOD=/guest/move_pages.ko
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
# mp OUT ARGS...: run the tool, stdout+stderr to OUT, exit status in $st.
mp() { out=$1; shift; ./move-pages "$@" >"$out" 2>&1; st=$?; sed 's/^/# /' "$out"; }
# vma_of PID ADDR: the start (hex, as in maps) of the mapping holding ADDR.
vma_of() {
	a=$(($2))
	while IFS='- ' read -r s e rest; do
		if [ $((0x$s)) -le "$a" ] && [ "$a" -lt $((0x$e)) ]; then echo "$s"; return; fi
	done <"/proc/$1/maps"
}
# on_nodes FILE: the "nodes" of a JSON report's "after" as N:COUNT words.
after_nodes() { sed -n 's/.*"after":{"nodes":{\([^}]*\)}.*/\1/p' "$1" | tr -d '"' | tr ',' ' '; }

echo "TAP version 13"
echo "1..19"
grep -q "^move_pages " /proc/modules || insmod $MOD

./mp_hammer -r >/tmp/cli_resident.out 2>&1 &
rpid=$!
i=0
while ! grep -q ready /tmp/cli_resident.out && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
set -- $(cat /tmp/cli_resident.out)
addr=$2 pages=$3
len=$((pages * 4096))

mp /tmp/cli.1 query --pid "$rpid" --range "$addr+$len" --json
check "query_json_range (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"pages\":$pages,\"nodes\":{\"0\":$pages},\"errors\":{}" /tmp/cli.1'

# show: the row of the resident's mapping, node by node, against numa_maps.
vstart=$(vma_of "$rpid" "$addr")
mp /tmp/cli.s show --pid "$rpid" --json
shown=$(sed 's/},{"start"/}\n{"start"/g' /tmp/cli.s | grep "\"start\":\"0x$vstart\"" |
	sed -n 's/.*"nodes":{\([^}]*\)}.*/\1/p' | tr -d '"' | tr ',' '\n' | sort | tr '\n' ' ')
kernel=$(grep "^$vstart " "/proc/$rpid/numa_maps" | tr ' ' '\n' |
	sed -n 's/^N\([0-9]*\)=\([0-9]*\)$/\1:\2/p' | sort | tr '\n' ' ')
grep "^$vstart " "/proc/$rpid/numa_maps" | sed 's/^/# numa_maps: /'
check "show_row_matches_numa_maps (exit $st; show '$shown', numa_maps '$kernel')" \
	'[ $st -eq 0 ] && [ -n "$vstart" ] && [ -n "$shown" ] && [ "$shown" = "$kernel" ]'
mp /tmp/cli.t show --pid "$rpid"
check "show_text_table (exit $st)" \
	'[ $st -eq 0 ] && grep -Eq "^ *address +perms +node 0 +node 1 " /tmp/cli.t &&
	 grep -Eq "^ *0x$vstart +rw-p +[0-9]+ +[0-9]+ " /tmp/cli.t && grep -Eq "^ *total " /tmp/cli.t'

mp /tmp/cli.d move --pid "$rpid" --to 1 --range "$addr+$len" --dry-run --json
./move-pages query --pid "$rpid" --range "$addr+$len" --json >/tmp/cli.d2 2>&1
check "dry_run_reports_and_moves_nothing (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"dry_run\":true" /tmp/cli.d &&
	 grep -q "\"moves\":\[{\"from\":0,\"to\":1,\"pages\":$pages}\]" /tmp/cli.d &&
	 grep -q "\"nodes\":{\"0\":$pages}" /tmp/cli.d2'

mp /tmp/cli.2 move --pid "$rpid" --to 1 --range "$addr+$len" --json --no-progress
check "move_json_range (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"after\":{\"nodes\":{\"1\":$pages}" /tmp/cli.2 &&
	 grep -q "\"not_migrated\":0" /tmp/cli.2 &&
	 grep -q "\"extensions\":\[\"group_by_node\",\"exact_status\",\"parallel\"\]" /tmp/cli.2'

# --from/--to, as migratepages: only the pages on the --from nodes move.
mp /tmp/cli.f1 move --pid "$rpid" --from 1 --to 0 --range "$addr+$len" --json --no-progress
check "from_1_to_0 (exit $st; after $(after_nodes /tmp/cli.f1))" \
	'[ $st -eq 0 ] && grep -q "\"from\":\[1\],\"to\":\[0\]" /tmp/cli.f1 &&
	 [ "$(after_nodes /tmp/cli.f1)" = "0:$pages" ]'
mp /tmp/cli.f2 move --pid "$rpid" --from 2,0 --to 0,1 --range "$addr+$len" --json --no-progress
check "from_2,0_to_0,1_pairs_nodes (exit $st; after $(after_nodes /tmp/cli.f2))" \
	'[ $st -eq 0 ] && [ "$(after_nodes /tmp/cli.f2)" = "1:$pages" ] &&
	 grep -q "\"not_migrated\":0" /tmp/cli.f2'
mp /tmp/cli.f3 move --pid "$rpid" --from 0 --to 1 --range "$addr+$len" --json --no-progress
check "from_a_node_without_the_pages_moves_nothing (exit $st)" \
	'[ $st -eq 0 ] && grep -q "\"calls\":0" /tmp/cli.f3 &&
	 [ "$(after_nodes /tmp/cli.f3)" = "1:$pages" ]'
mp /tmp/cli.f4 move --pid "$rpid" --from 0,1 --to 1 --range "$addr+$len" --dry-run
check "dry_run_text_from_to (exit $st)" \
	'[ $st -eq 0 ] && grep -q "would move 0 pages" /tmp/cli.f4 &&
	 grep -q "already on their node: $pages" /tmp/cli.f4'

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
