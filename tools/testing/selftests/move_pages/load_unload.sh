#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload the module repeatedly: the device node must come and go
# with it, and a load must not leave the module half there.
#
# A kselftest (TEST_PROGS of the target): it loads the module installed by
# `make install` (modinfo -n finds it; MOD=PATH names another .ko), needs root,
# and leaves the module loaded if it was loaded when the test began.
# ROUNDS=N sets the number of load/unload rounds (10).
ksft_skip=4
ROUNDS=${ROUNDS:-10}
MOD=${MOD:-$(modinfo -n move_pages 2>/dev/null)}
case $MOD in
"" | /*) ;;
*) MOD=/lib/modules/$(uname -r)/$MOD ;;	# a modules.dep path, relative
esac
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
loaded() { grep -q '^move_pages ' /proc/modules; }

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit $ksft_skip
fi
if [ -z "$MOD" ] || [ ! -f "$MOD" ]; then
	echo "1..0 # SKIP move_pages is not installed (make install) and MOD= names no module"
	exit $ksft_skip
fi
was_loaded=
if loaded; then
	if ! rmmod move_pages 2>/dev/null; then
		echo "1..0 # SKIP move_pages is in use"
		exit $ksft_skip
	fi
	was_loaded=1
fi
echo "# module: $MOD"
echo "1..5"

good=1
i=0
while [ $i -lt "$ROUNDS" ]; do
	insmod "$MOD" || { good=0; echo "# insmod failed in round $i"; break; }
	[ -c /dev/move_pages ] || { good=0; echo "# no /dev/move_pages in round $i"; }
	rmmod move_pages || { good=0; echo "# rmmod failed in round $i"; break; }
	[ ! -e /dev/move_pages ] || { good=0; echo "# /dev/move_pages left after rmmod"; }
	i=$((i + 1))
done
[ $good = 1 ] && ok "load_unload_${ROUNDS}_rounds" || not_ok "load_unload_${ROUNDS}_rounds"

# An open file holds the module: rmmod must refuse, then succeed once closed.
insmod "$MOD"
exec 3</dev/move_pages
if rmmod move_pages 2>/dev/null; then
	not_ok "rmmod_refused_while_open"
else
	ok "rmmod_refused_while_open"
fi
exec 3<&-
rmmod move_pages && ok "rmmod_after_close" || not_ok "rmmod_after_close"

loaded && not_ok "module_gone" || ok "module_gone"

# Installed as `make install` installs it (/lib/modules/KVER/updates, depmod):
# modprobe finds it by name, and modprobe -r removes it.
if modprobe move_pages && [ -c /dev/move_pages ] && modprobe -r move_pages && ! loaded; then
	ok "modprobe_loads_the_installed_module"
else
	not_ok "modprobe_loads_the_installed_module"
	rmmod move_pages 2>/dev/null
fi

[ -n "$was_loaded" ] && insmod "$MOD"
exit $fail
