#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The syscall takeover: move_pages(2) of unmodified programs served by the
# module, proved by its counters; switching at run time; the differential
# scenarios replayed against the native results recorded earlier in this
# boot; and unloading while callers are inside.
MOD=/guest/move_pages.ko
D=/sys/kernel/debug/move_pages
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
counter() { sed -n "s/^$1 //p" $D/stats; }
# wait_for WORD FILE: until a helper prints WORD (60 s at most).
wait_for() {
	i=0
	while ! grep -q "$1" "$2" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
}

echo "TAP version 13"
echo "1..23"
rmmod move_pages 2>/dev/null

insmod $MOD takeover=1
check takeover_param_turns_it_on '[ "$(cat $D/takeover)" = 1 ]'

# served NAME COUNTER HAMMER N EXPECTED: N calls by HAMMER must all succeed and
# move COUNTER by EXPECTED.
served() {
	before=$(counter "$2")
	calls=$("./$3" -n "$4")
	after=$(counter "$2")
	want_calls=$4 want_delta=$5
	check "$1 (calls $calls, $2 $before -> $after)" \
		'[ "$calls" = "$want_calls" ] && [ $((after - before)) -eq "$want_delta" ]'
}

served syscalls_served_by_module calls_syscall mp_hammer 25 25
served compat_syscalls_served_by_module calls_syscall32 mp_hammer32 7 7
echo 0 >$D/takeover
served switched_off_at_run_time calls_syscall mp_hammer 10 0
check takeover_reads_off '[ "$(cat $D/takeover)" = 0 ]'
echo 1 >$D/takeover
served switched_on_at_run_time calls_syscall mp_hammer 10 10

echo "# differential scenarios, the system call now served by the module"
before=$(counter calls_syscall)
MP_DIFF_REPLAY=/tmp/native64.rec ./diff_test >/tmp/replay64.log 2>&1
st=$?
grep -E '^not ok|Expected|same_as_native:' /tmp/replay64.log
after=$(counter calls_syscall)
check "diff_test_replayed_under_takeover (syscalls served $((after - before)))" \
	'[ $st -eq 0 ] && [ $((after - before)) -gt 0 ]'
before=$(counter calls_syscall32)
# The 32-bit door with the scenarios of the arguments (fixture diff); the
# page kinds are the same code behind either door, replayed above.
MP_DIFF_REPLAY=/tmp/native32.rec ./diff_test32 -f diff >/tmp/replay32.log 2>&1
st=$?
grep -E '^not ok|Expected|same_as_native:' /tmp/replay32.log
after=$(counter calls_syscall32)
check "diff_test32_replayed_under_takeover (32-bit syscalls served $((after - before)))" \
	'[ $st -eq 0 ] && [ $((after - before)) -gt 0 ]'
MP_EXACT_REPLAY=/tmp/exact64.rec ./exact_test >/tmp/exact64.log 2>&1
st=$?
grep -E '^not ok|Expected|native:|module:' /tmp/exact64.log
check exact_test_replayed_under_takeover '[ $st -eq 0 ]'
MP_EXACT_REPLAY=/tmp/exact32.rec ./exact_test32 >/tmp/exact32.log 2>&1
st=$?
grep -E '^not ok|Expected|native:|module:' /tmp/exact32.log
check exact_test32_replayed_under_takeover '[ $st -eq 0 ]'
check replay_skipped_nothing '! grep -q "SKIP.*no recorded" /tmp/replay64.log /tmp/replay32.log'

echo "# tools/testing/selftests/mm/migration.c of the kernel tree, served by the module"
before=$(counter calls_syscall)
./migration >/tmp/migration.log 2>&1
st=$?
sed 's/^/# migration: /' /tmp/migration.log | grep -E 'ok|SKIP|FAIL|Totals|Expected'
after=$(counter calls_syscall)
check "kernel_selftest_mm_migration (exit $st, syscalls served $((after - before)))" \
	'[ $st -eq 0 ] && [ $((after - before)) -gt 0 ]'
# Its skips are skips of this suite too (make test counts them, see skip_allowlist).
mskip=$(sed -n 's/.*Totals:.* skip:\([0-9]*\).*/\1/p' /tmp/migration.log)
if [ "${mskip:-0}" -gt 0 ]; then
	n=$((n + 1))
	echo "ok $n kernel_selftest_mm_migration_every_test_ran # SKIP $mskip of its tests skipped"
else
	check kernel_selftest_mm_migration_every_test_ran '[ -n "$mskip" ]'
fi

echo "# numactl's migratepages (migrate_pages(2), left to the kernel) moving a running process"
./mp_hammer -r >/tmp/resident.out 2>&1 &
rpid=$!
wait_for ready /tmp/resident.out
migratepages "$rpid" 0 1
mst=$?
kill -USR1 "$rpid"
wait "$rpid"
rst=$?
sed 's/^/# resident: /' /tmp/resident.out
check "numactl_migratepages_under_takeover (migratepages $mst, checked through the module $rst)" \
	'[ $mst -eq 0 ] && [ $rst -eq 0 ]'

echo "# switching off while a caller is blocked inside for good (userfaultfd-backed array)"
./mp_hammer -b >/tmp/blocked.out 2>&1 &
bpid=$!
wait_for blocked /tmp/blocked.out
sleep 0.5
# The write is interrupted by SIGINT after 2 s: it must fail and leave the takeover on.
timeout -s INT 2 sh -c "echo 0 >$D/takeover"
off_st=$?
state=$(cat $D/takeover)
check "switch_off_interrupted_leaves_takeover_on (write status $off_st, takeover $state)" \
	'[ $off_st -ne 0 ] && [ "$state" = 1 ]'
kill -KILL "$bpid"
wait "$bpid" 2>/dev/null
echo 0 >$D/takeover
off_st=$?
check "switch_off_after_the_caller_is_gone (status $off_st)" \
	'[ $off_st -eq 0 ] && [ "$(cat $D/takeover)" = 0 ]'
echo 1 >$D/takeover

echo "# unload while a caller is held inside (userfaultfd-backed array, served once rmmod waits)"
./mp_hammer -h >/tmp/held.out 2>&1 &
hpid=$!
wait_for blocked /tmp/held.out
rmmod move_pages &
rmpid=$!
sleep 2
mstate=$(awk '$1 == "move_pages" { print $5 }' /proc/modules)
waiting=0
kill -0 $rmpid 2>/dev/null && waiting=1
kill -USR1 $hpid
# Should the fault not be served, killing the caller ends its wait (and so rmmod's).
i=0
while kill -0 $rmpid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $rmpid 2>/dev/null && kill -KILL $hpid
wait $rmpid
rm_st=$?
wait $hpid
held_st=$?
sed 's/^/# held: /' /tmp/held.out
check "rmmod_waits_for_a_caller_inside (rmmod waiting after 2 s: $waiting, module ${mstate:-gone})" \
	'[ $waiting = 1 ] && [ "$mstate" = Unloading ]'
check "rmmod_ends_when_the_caller_leaves (rmmod $rm_st, caller $held_st)" \
	'[ $rm_st -eq 0 ] && [ $held_st -eq 0 ] && ! grep -q "^move_pages " /proc/modules'
insmod $MOD takeover=1

echo "# unload while callers are inside"
pids=
for i in 1 2 3 4; do
	./mp_hammer -t 6 >/tmp/hammer.$i 2>&1 &
	pids="$pids $!"
done
./mp_hammer32 -t 6 >/tmp/hammer.5 2>&1 &
pids="$pids $!"
sleep 2
in_use=$(counter calls_syscall)
rmmod move_pages
rm_st=$?
check "rmmod_with_callers_in_flight (served $in_use calls before)" '[ $rm_st -eq 0 ]'
hammer_fail=0
for p in $pids; do
	wait "$p" || hammer_fail=$((hammer_fail + 1))
done
cat /tmp/hammer.* | sed 's/^/# hammer: /'
check "callers_in_flight_all_right ($hammer_fail failed)" '[ $hammer_fail -eq 0 ]'
echo "# insmod/rmmod cycles under load"
./mp_hammer -t 8 >/tmp/hammer.cycles 2>&1 &
hp=$!
cyc=0
while [ $cyc -lt 5 ]; do
	insmod $MOD takeover=1 && sleep 0.5 && rmmod move_pages || break
	cyc=$((cyc + 1))
done
wait $hp
hst=$?
check "insmod_rmmod_cycles_under_load ($cyc of 5 cycles, hammer $(cat /tmp/hammer.cycles) calls, exit $hst)" \
	'[ $cyc -eq 5 ] && [ $hst -eq 0 ]'
check module_gone '! grep -q "^move_pages " /proc/modules'
check native_after_unload '[ "$(./mp_hammer -n 4)" = 4 ]'
exit $fail
