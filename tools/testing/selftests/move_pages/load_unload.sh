#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload the module repeatedly: the device node must come and go
# with it, and a load must not leave the module half there.
MOD=/guest/move_pages.ko
ROUNDS=${ROUNDS:-10}
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }

echo "TAP version 13"
echo "1..5"
rmmod move_pages 2>/dev/null

good=1
i=0
while [ $i -lt "$ROUNDS" ]; do
	insmod $MOD || { good=0; echo "# insmod failed in round $i"; break; }
	[ -c /dev/move_pages ] || { good=0; echo "# no /dev/move_pages in round $i"; }
	rmmod move_pages || { good=0; echo "# rmmod failed in round $i"; break; }
	[ ! -e /dev/move_pages ] || { good=0; echo "# /dev/move_pages left after rmmod"; }
	i=$((i + 1))
done
[ $good = 1 ] && ok "load_unload_${ROUNDS}_rounds" || not_ok "load_unload_${ROUNDS}_rounds"

# An open file holds the module: rmmod must refuse, then succeed once closed.
insmod $MOD
exec 3</dev/move_pages
if rmmod move_pages 2>/dev/null; then
	not_ok "rmmod_refused_while_open"
else
	ok "rmmod_refused_while_open"
fi
exec 3<&-
rmmod move_pages && ok "rmmod_after_close" || not_ok "rmmod_after_close"

grep -q '^move_pages ' /proc/modules && not_ok "module_gone" || ok "module_gone"

# Installed as `make install` installs it (/lib/modules/KVER/updates, depmod):
# modprobe finds it by name, and modprobe -r removes it.
if modprobe move_pages && [ -c /dev/move_pages ] && modprobe -r move_pages &&
	! grep -q '^move_pages ' /proc/modules; then
	ok "modprobe_loads_the_installed_module"
else
	not_ok "modprobe_loads_the_installed_module"
	rmmod move_pages 2>/dev/null
fi
exit $fail
