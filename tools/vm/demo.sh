#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The `make run` job in the guest: load the module, run the demo, unload.
set -e
echo "== insmod move_pages.ko"
insmod /guest/move_pages.ko
ls -l /dev/move_pages
echo "== move_pages_demo"
rc=0
move_pages_demo 4096 1 || rc=$?
echo "== rmmod move_pages"
rmmod move_pages
exit $rc
