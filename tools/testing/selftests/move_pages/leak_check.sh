#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Leak check across module unload, with kmemleak: run_tests.sh clears
# kmemleak's list before the module is first loaded; here, with the module
# unloaded after every test, two scans (the second after kmemleak's minimum
# object age of 5 s) must find no unreferenced object. The reports, if any,
# are printed; their backtraces show the module's frames as bare addresses in
# the module area (the module is gone by now).
km=/sys/kernel/debug/kmemleak
fail=0
n=0

check() { # name condition
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..2"
check module_unloaded '! grep -q "^move_pages " /proc/modules'
if [ ! -w $km ]; then
	check "kmemleak_available (needs CONFIG_DEBUG_KMEMLEAK)" false
	exit $fail
fi
echo scan >$km
sleep 6
echo scan >$km
leaks=$(grep -c "unreferenced object" $km)
sed 's/^/# /' $km | head -200
check "no_unreferenced_objects ($leaks found)" '[ "$leaks" -eq 0 ]'
exit $fail
