#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tap_count.sh LOG ALLOWLIST: counts the top-level TAP results of LOG (the
# guest's output; indented lines are subtests) and prints
#
#   PASSED FAILED SKIPPED
#
# on its last line. "ok N ... # SKIP ..." is a skip; a skip that no pattern of
# ALLOWLIST (extended regular expressions, one a line, # comments) matches is
# counted as a failure. Each skip is printed, with its verdict, before the
# counts.
set -uo pipefail

log=$1 allow=$2
awk -v allowfile="$allow" '
	BEGIN {
		while ((getline line < allowfile) > 0) {
			if (line ~ /^[ \t]*(#|$)/)
				continue
			pat[npat++] = line
		}
	}
	/^not ok [0-9]+/ { failed++; next }
	/^ok [0-9]+/ {
		if ($0 !~ /# SKIP/) { passed++; next }
		what = $0
		sub(/^ok [0-9]+ */, "", what)
		ok = 0
		for (i = 0; i < npat; i++)
			if (what ~ pat[i]) { ok = 1; break }
		if (ok) {
			skipped++
			print "SKIP (allowed): " what
		} else {
			failed++
			print "SKIP (not in the allow-list, counted as a failure): " what
		}
	}
	END { printf "%d %d %d\n", passed, failed, skipped }
' "$log"
