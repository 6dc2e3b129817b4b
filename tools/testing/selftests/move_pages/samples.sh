#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The samples (samples/*.c and samples/rust), C and Rust alike: the ioctl
# query and move, and plain move_pages(2) with the takeover on, which must
# show in the module's counter. Then the library's example, query_self: every
# page of its buffer on a node, one line a page.
D=/sys/kernel/debug/move_pages
n=0 fail=0

check() { # name command...
	name=$1
	shift
	"$@" >/tmp/sample.out 2>&1
	st=$?
	sed 's/^/# /' /tmp/sample.out
	n=$((n + 1))
	if [ $st -eq 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name # exit status $st"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..9"
for lang in c rust; do
	p=./sample_
	[ $lang = rust ] && p=./sample_rust_
	check "${lang}_query" ${p}query
	check "${lang}_move" ${p}move 1
	echo 1 >$D/takeover
	check "${lang}_takeover_served_by_module" ${p}takeover --expect-takeover
	echo 0 >$D/takeover
	check "${lang}_takeover_off_plain_syscall" ${p}takeover
done
check library_example_query_self sh -c \
	'./query_self >/tmp/qs.out 2>&1; st=$?; cat /tmp/qs.out
	 set -- $(sed -n "s/^\(0x[0-9a-f]*\)  node [0-9]*$/\1/p" /tmp/qs.out)
	 [ $st -eq 0 ] && [ $# -eq 8 ] && [ $(($2 - $1)) -eq 4096 ] && [ $(($8 - $1)) -eq 28672 ]'
exit $fail
