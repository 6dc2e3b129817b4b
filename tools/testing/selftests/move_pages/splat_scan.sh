#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# splat_scan.sh [--since TEXT] FILE|-: the kernel log's reports.
#
# Prints every line of FILE (a kernel log; - for standard input) that starts
# or belongs to a report -- WARNING, BUG (soft lockups, bad page state, KASAN
# included), Oops, panic, KFENCE, lockdep, RCU, UBSAN, list corruption, a
# refcount_t complaint, a hung task, an RCU stall, page poison found
# overwritten, a counter gone negative (vmstat_refresh), an mm's counters left
# unbalanced at exit, a kmemleak object, the Rust kernel crate's "out of range
# errno" warning, any "Call Trace:" -- as "LINE:TEXT",
# and exits 1 if there is one. With --since, only the lines after the last
# one containing TEXT count.
#
# Allocation failures injected on purpose are not reports: a test writes
# "move_pages-test: expected allocation failures begin" and "... end" around
# them, and between those marks the "Call Trace:" that follows a "page
# allocation failure" line within 6 lines is skipped -- that one, and nothing
# else. The window also closes at "move_pages-test: program", which the guest
# runner writes before each program, so a program that dies inside its window
# leaves nothing whitelisted behind it.
since=
if [ "$1" = --since ]; then
	since=$2
	shift 2
fi
awk -v since="$since" '
	BEGIN {
		re = "WARNING:|BUG:|kernel BUG|Oops|Kernel panic|KFENCE:|" \
		     "INFO: trying to register non-static key|INFO: possible|" \
		     "DEBUG_LOCKS_WARN_ON|inconsistent lock state|suspicious RCU usage|" \
		     "circular locking|recursive locking|general protection fault|UBSAN:|" \
		     "list_(add|del) corruption|page dumped because|refcount_t:|" \
		     "blocked for more than|unreferenced object|with out of range .errno.|" \
		     "detected stalls on CPUs|self-detected stall|pagealloc: |" \
		     "vmstat_refresh: "
	}
	since != "" && index($0, since) { n = 0 }
	/move_pages-test: expected allocation failures begin/ { window = 1 }
	/move_pages-test: expected allocation failures end/ { window = 0 }
	/move_pages-test: program / { window = 0 }
	window && /page allocation failure: order:/ { failure_at = NR; next }
	/Call Trace:/ {
		if (failure_at && NR - failure_at <= 6) {
			failure_at = 0
			next
		}
		hit[n++] = NR ":" $0
		next
	}
	$0 ~ re { failure_at = 0; hit[n++] = NR ":" $0 }
	END {
		for (i = 0; i < n; i++)
			print hit[i]
		exit n > 0
	}
' "$@"
