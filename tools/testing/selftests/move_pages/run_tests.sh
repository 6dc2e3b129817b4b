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
	"$@"
	report "$name" $?
}

# Objects allocated before the module is first loaded are not the module's:
# forget them, so the leak check at the end sees only what came after.
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak

run load_unload sh ./load_unload.sh

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

run basic_test ./basic_test
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
oracle diff_test env MP_DIFF_RECORD=/tmp/native64.rec ./diff_test
oracle diff_test32 env MP_DIFF_RECORD=/tmp/native32.rec ./diff_test32
oracle exact_test env MP_EXACT_RECORD=/tmp/exact64.rec ./exact_test
oracle exact_test32 env MP_EXACT_RECORD=/tmp/exact32.rec ./exact_test32
oracle ext_test ./ext_test
oracle target_test ./target_test
oracle target_test32 ./target_test32
oracle rust_library ./rust_diff
run cli sh ./cli_test.sh
run samples sh ./samples.sh
oracle fuzz ./fuzz 20
oracle stress ./stress 10
# mp.seed= and mp.cases= on the kernel command line reproduce a random run;
# otherwise two fixed seeds (a failure reproduces as it is) and one from the
# clock (printed as "# seed N"), for exploration.
seed=$(sed -n 's/.*mp\.seed=\([0-9]*\).*/\1/p' /proc/cmdline)
cases=$(sed -n 's/.*mp\.cases=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$seed" ]; then
	oracle diff_random ./diff_random "${cases:-1000}" "$seed"
else
	oracle diff_random ./diff_random "${cases:-300}" 1
	oracle diff_random_seed2 ./diff_random "${cases:-300}" 2
	oracle diff_random_clock ./diff_random "${cases:-400}"
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
