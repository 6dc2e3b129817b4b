#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Coverage of src/ by a fuzzing campaign.

Usage: coverage.py MODULE.ko PCS

The coverage points are the module's calls to __sanitizer_cov_trace_pc in
.text (one per basic block KCOV instruments); KCOV records each as its
return address. PCS holds the reached ones, in hex, as offsets into the
module's .text (diff_fuzz campaign prints them; the test kernel has no KASLR,
so KCOV's PCs are the addresses themselves). Each point is mapped to a file
and line through the module's line tables (built with the kernel's KCOV
option, see Kbuild) and the totals are printed by file, then the lines of
src/ with a point never reached.
"""
import collections
import os
import re
import subprocess
import sys


def points(ko):
    """Return addresses of the coverage calls in .text."""
    dump = subprocess.run(["llvm-objdump-19", "-dr", "--no-show-raw-insn",
                           "--section=.text", ko],
                          check=True, capture_output=True, text=True).stdout
    reloc = re.compile(r"^\s*([0-9a-f]+):\s+R_X86_64_PLT32\s+__sanitizer_cov_trace_pc")
    return sorted(int(m.group(1), 16) + 4
                  for m in map(reloc.match, dump.splitlines()) if m)


def lines(ko, addrs, src):
    """File:line of each address (the call before it), through llvm-symbolizer:
    of the innermost inlined frame in src/ if there is one (kernel crate code
    inlined into a function of src/ counts for the line of src/ that uses
    it), else of the innermost frame."""
    if not addrs:
        return {}
    query = "\n".join("0x%x" % (a - 1) for a in addrs) + "\n"
    res = subprocess.run(["llvm-symbolizer-19", "--obj=" + ko, "--inlines",
                          "--relative-address", "--functions=none"],
                         input=query, check=True, capture_output=True, text=True).stdout
    blocks = [b.split("\n") for b in res.strip("\n").split("\n\n")]
    out = {}
    for a, frames in zip(addrs, blocks):
        frames = [f for f in frames if f.strip()]
        mine = [f for f in frames if f.startswith(src)]
        out[a] = (mine or frames or ["??:0"])[0]
    return out


def main():
    ko, pcs_file = sys.argv[1], sys.argv[2]
    all_points = points(ko)
    reached = set()
    with open(pcs_file) as f:
        for tok in f.read().split():
            reached.add(int(tok, 16))
    src = os.path.dirname(os.path.abspath(ko)) + "/src/"
    where = lines(ko, all_points, src)
    by_file = collections.defaultdict(lambda: [0, 0])
    missed = collections.defaultdict(set)
    for a in all_points:
        loc = where.get(a, "??:0")
        parts = loc.split(":")
        path = os.path.normpath(parts[0]) if parts[0] else "??"
        line = parts[1] if len(parts) > 1 else "0"
        name = "src/" + path[len(src):] if path.startswith(src) else (
            "kernel crate and core (inlined)" if "/rust/" in path else
            "kernel C headers (inlined)" if "/include/" in path else "??")
        by_file[name][0] += a in reached
        by_file[name][1] += 1
        if a not in reached and name.startswith("src/"):
            missed[name].add(int(line) if line.isdigit() else 0)
    tot_r = sum(v[0] for k, v in by_file.items() if k.startswith("src/"))
    tot = sum(v[1] for k, v in by_file.items() if k.startswith("src/"))
    print("src/: %d of %d coverage points reached (%.1f %%), %d PCs reported" %
          (tot_r, tot, 100.0 * tot_r / max(tot, 1), len(reached)))
    for name in sorted(by_file):
        r, t = by_file[name]
        print("  %-34s %5d / %5d  %5.1f %%" % (name, r, t, 100.0 * r / max(t, 1)))
    print("\nLines of src/ with a coverage point never reached:")
    for name in sorted(missed):
        print("  %s: %s" % (name, " ".join(str(l) for l in sorted(missed[name]))))


if __name__ == "__main__":
    main()
