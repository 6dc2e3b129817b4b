#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The `make test` job in the guest. Each program prints TAP; this runner adds
# one line per program for its exit status (so a crash is a failure even when
# it cut the program's own report short) and turns the module's KUnit results
# from the kernel log into TAP lines. Exits with the number of failures.
cd /guest || exit 1
failures=0
n=0

report() { # name status
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n program:$1"
	else
		echo "not ok $n program:$1 # exit status $2"
		failures=$((failures + 1))
	fi
}

# mp.only=NAME[,NAME...] on the kernel command line runs only those programs
# (for development).
only=$(sed -n 's/.*mp\.only=\([a-z0-9_,]*\).*/\1/p' /proc/cmdline)

# What a program may leave behind, measured before and after it, once its
# memory is gone (page cache dropped, per-CPU counters folded):
#  - nr_isolated_anon/nr_isolated_file: a folio isolated and never put back;
#  - pages outstanding from an allocation through the module's migration-target
#    callback (page_owner's count of live pages per allocation stack). When a
#    move succeeds the core gives the new folio the old one's owner record and
#    the old folio the callback's (__folio_copy_owner()), so this counts the
#    source folios of finished moves and the targets of failed ones: both must
#    be freed once the program is gone;
#  - free memory per node, counting as free what the kernel holds for itself
#    (slab -- with the KASAN quarantine --, kernel stacks, page tables) and
#    the hugetlb pools a program may size, and the per-CPU page lists, within
#    $free_slack_kib (vmalloc areas and their KASAN shadow are freed lazily):
#    user pages kept from a big move would not hide.
free_slack_kib=8192
stacks=/sys/kernel/debug/page_owner_stacks
# A stack through the callback: the Rust function and the C helper that calls
# the kernel's alloc_migration_target().
callback='alloc_target.*[[]move_pages[]]|mp_alloc_migration_target'
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/stat_refresh
}
isolated() { awk '/^nr_isolated_(anon|file) / { printf "%s ", $2 }' /proc/vmstat; }
callback_stacks() { # FILE: the stacks of FILE (page_owner_stacks format) through the callback
	awk -v re="$callback" '{ b = b $0 "\n" } $0 ~ re { m = 1 }
		/^$/ { if (m) printf "%s", b; b = ""; m = 0 }' "$1"
}
module_pages() {
	[ -r $stacks/show_stacks ] || { echo 0; return; }
	callback_stacks $stacks/show_stacks | awk '/^nr_base_pages:/ { n += $2 } END { print n + 0 }'
}
free_kib() { # node: KiB free (per-CPU lists included) or held by the kernel for itself or hugetlb
	pcp=$(awk -v node="Node $1," '/^Node/ { in_node = index($0, node) == 1 }
		in_node && $1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo)
	awk -v pcp="$pcp" '/ (MemFree|Slab|KernelStack|PageTables|SecPageTables):/ { f += $4 }
	     /HugePages_Total:/ { h = $4 }
	     END { print f + h * 2048 + pcp }' "/sys/devices/system/node/node$1/meminfo"
}
# The figures after one program are the figures before the next (nothing runs
# in between): reading page_owner's stacks takes seconds on this kernel.
leak_before() {
	[ -z "${iso0+set}" ] || return 0
	settle
	iso0=$(isolated)
	mod0=$(module_pages)
	free00=$(free_kib 0)
	free10=$(free_kib 1)
}
leak_after() { # name
	settle
	iso1=$(isolated)
	mod1=$(module_pages)
	free01=$(free_kib 0)
	free11=$(free_kib 1)
	d0=$((free01 - free00))
	d1=$((free11 - free10))
	msg="isolated [$iso0] -> [$iso1], module-allocated pages $mod0 -> $mod1, free KiB node0 $d0 node1 $d1"
	if [ "$iso1" = "$iso0" ] && [ "$mod1" -le "$mod0" ] &&
	   [ $d0 -ge -$free_slack_kib ] && [ $d1 -ge -$free_slack_kib ]; then
		n=$((n + 1))
		echo "ok $n leaks:$1 # $msg"
	else
		n=$((n + 1))
		echo "not ok $n leaks:$1 # $msg"
		failures=$((failures + 1))
		[ "$mod1" -le "$mod0" ] ||
			callback_stacks $stacks/show_stacks | sed 's/^/# /' | head -60
	fi
	# The next program's baseline: the lower of this one's figures before and
	# after, so that memory the kernel released in the background during this
	# program (a higher "after") is not charged to the next one when it is
	# taken back.
	[ "$free01" -lt "$free00" ] && free00=$free01
	[ "$free11" -lt "$free10" ] && free10=$free11
	iso0=$iso1 mod0=$mod1
}

run() { # name command...
	name=$1
	shift
	case ",${only:-$name}," in
	*",$name,"*) ;;
	*) return ;;
	esac
	echo "# === $name"
	# Closes any window of expected allocation failures (splat_scan.sh).
	echo "move_pages-test: program $name" >/dev/kmsg
	leak_before
	"$@"
	report "$name" $?
	leak_after "$name"
}

# Objects allocated before the module is first loaded are not the module's:
# forget them, so the leak check at the end sees only what came after.
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak

# The kselftest target's programs run through the kselftest runner, installed
# as a kernel tree installs its selftests (make -C tools/testing/selftests
# TARGETS=move_pages install; tools/intree.sh selftests): run_kselftest.sh
# runs the program and prints its TAP nested under its own verdict line; the
# program's results are un-nested for the host's count. VAR=VALUE arguments
# go to the program's environment. The runner's status: non-zero on failure.
ksft() { # program [VAR=VALUE...]
	prog=$1
	shift
	{ env "$@" /kselftest/run_kselftest.sh -t "move_pages:$prog"; echo $? >/tmp/ksft.rc; } |
		sed -e 's/^# \(ok [0-9]\)/\1/' -e 's/^# \(not ok [0-9]\)/\1/' >/tmp/ksft.out
	cat /tmp/ksft.out
	# The program's own results must come through the runner, not only its
	# verdict (they once went to a file named /dev/stdout).
	if ! grep -E '^(not )?ok [0-9]+ ' /tmp/ksft.out | grep -qv ' selftests: move_pages: '; then
		echo "# no result of $prog came through the kselftest runner"
		return 1
	fi
	return "$(cat /tmp/ksft.rc)"
}

run load_unload ksft load_unload.sh

# The rest needs the module loaded; its KUnit suites run at load.
dmesg -c >/dev/null
insmod ./move_pages.ko
dmesg >/tmp/insmod.log
echo "# === kunit"
kunit_fail=0
kunit_seen=0
while read -r line; do
	line=${line#\[*\] }
	case "$line" in
	"    ok "*|"    not ok "*)
		kunit_seen=$((kunit_seen + 1))
		n=$((n + 1))
		case "$line" in
		"    ok "*) echo "ok $n kunit:${line#    ok [0-9]* }" ;;
		*) echo "not ok $n kunit:${line#    not ok [0-9]* }"
		   kunit_fail=$((kunit_fail + 1)) ;;
		esac
		;;
	esac
done </tmp/insmod.log
failures=$((failures + kunit_fail))
report kunit_suites_ran $((kunit_seen == 0))

# The per-program leak check must see what it looks for: after a move through
# the module, page_owner has a stack through the module's callback (all
# stacks, whatever their count of live pages, are in show_stacks_handles).
./mp_hammer -r >/tmp/control.out 2>&1 &
cpid=$!
i=0
while ! grep -q ready /tmp/control.out && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
set -- $(cat /tmp/control.out)
./move-pages move --pid "$cpid" --to 1 --range "$2+$(($3 * 4096))" --no-progress >/dev/null 2>&1
kill -USR1 "$cpid"
wait "$cpid"
cst=$?
found=$(callback_stacks $stacks/show_stacks_handles | grep -c '^handle:')
echo "# $found page_owner stacks through the module's callback after moving $3 pages (mover exit $cst)"
report leak_check_finds_the_callback_stack $([ "$found" -gt 0 ] && [ $cst -eq 0 ]; echo $?)

run basic_test ksft basic_test
# The differential programs compare with the native system call: the takeover
# must be off while each runs (its counters of served system calls do not move).
served() { sed -n "s/^calls_$1 //p" /sys/kernel/debug/move_pages/stats; }
moved=
oracle() { # name command...
	before="$(served syscall) $(served syscall32)"
	run "$@"
	after="$(served syscall) $(served syscall32)"
	[ -n "$(served syscall)" ] && [ "$before" = "$after" ] || moved="$moved $1"
}
# The native results are recorded for the takeover's replay below.
rm -f /tmp/native64.rec /tmp/native32.rec /tmp/exact64.rec /tmp/exact32.rec
oracle diff_test ksft diff_test MP_DIFF_RECORD=/tmp/native64.rec
oracle diff_test32 ksft diff_test32 MP_DIFF_RECORD=/tmp/native32.rec
oracle exact_test ksft exact_test MP_EXACT_RECORD=/tmp/exact64.rec
oracle exact_test32 ksft exact_test32 MP_EXACT_RECORD=/tmp/exact32.rec
oracle ext_test ksft ext_test
oracle target_test ksft target_test
oracle target_test32 ksft target_test32
oracle rust_library ./rust_diff
run cli sh ./cli_test.sh
run samples sh ./samples.sh
oracle fuzz ./fuzz 20
oracle fuzz32 ./fuzz32 10
oracle stress ./stress 10
# The differential fuzzer (diff_fuzz): mp.fuzz=SECONDS on the kernel command
# line runs a coverage-guided campaign from the seed corpus (make fuzz);
# mp.seed= and mp.cases= reproduce a random run; mp.raced=N runs N cases that
# all race a mutator with the call, from a 64-bit and a 32-bit process (seed
# mp.seed= or the clock). Otherwise: the seed corpus
# replayed (64- and 32-bit), random cases from two fixed seeds (a failure
# reproduces as it is), one from the clock (printed as "# seed N") for
# exploration, and a 32-bit caller's run. The counts are sized for the
# sanitizer kernel (1 to 2 s a case).
fuzz=$(sed -n 's/.*mp\.fuzz=\([0-9]*\).*/\1/p' /proc/cmdline)
seed=$(sed -n 's/.*mp\.seed=\([0-9]*\).*/\1/p' /proc/cmdline)
cases=$(sed -n 's/.*mp\.cases=\([0-9]*\).*/\1/p' /proc/cmdline)
raced=$(sed -n 's/.*mp\.raced=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$fuzz" ]; then
	oracle diff_fuzz_campaign ./diff_fuzz campaign "$fuzz" "${seed:-$(date +%s)}" \
		corpus/*.cases
elif [ -n "$raced" ]; then
	seed=${seed:-$(date +%s)}
	oracle diff_raced ./diff_fuzz raced "$raced" "$seed"
	oracle diff_raced32 ./diff_fuzz32 raced "$raced" "$seed"
elif [ -n "$seed" ]; then
	oracle diff_random ./diff_fuzz random "${cases:-1000}" "$seed"
else
	oracle diff_fuzz_corpus ./diff_fuzz replay corpus/*.cases
	oracle diff_fuzz_corpus32 ./diff_fuzz32 replay corpus/*.cases
	oracle diff_random ./diff_fuzz random "${cases:-40}" 1
	oracle diff_random_seed2 ./diff_fuzz random "${cases:-40}" 2
	oracle diff_random_clock ./diff_fuzz random "${cases:-50}"
	oracle diff_random32 ./diff_fuzz32 random "${cases:-30}" 3
fi
[ -z "$moved" ] || echo "# the takeover served system calls during:$moved"
report takeover_off_during_differential_runs $([ -z "$moved" ]; echo $?)

rmmod move_pages
report final_rmmod $?

run takeover sh ./takeover.sh
run kmemleak sh ./leak_check.sh
# The host fails the run on any report in the kernel log (tools/vm/run-vm.sh);
# say how many here too, with the same scan.
splats=$(dmesg | sh ./splat_scan.sh - | wc -l)
echo "# kernel splats seen: $splats"
echo "# guest failures: $failures"
exit $failures
