#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn mp_bench's JSON lines into results.csv / results.json and a table.

  report.py build OUTDIR [KEY=VALUE ...]   reads OUTDIR/results.jsonl and
                                            OUTDIR/vm/output.log, writes
                                            results.csv and results.json (the
                                            KEY=VALUEs go to its "machine"),
                                            prints the table
  report.py table OUTDIR                    prints the table of results.json
"""
import csv
import json
import os
import sys

COLUMNS = [
    "name", "kind", "desc", "pages", "entries", "batch", "calls", "reps",
    "native_pps_median", "native_pps_min", "native_pps_max",
    "module_pps_median", "module_pps_min", "module_pps_max",
    "ratio_median", "ratio_min", "ratio_max",
    "copy_pps", "module_over_copy", "mismatches",
    "thp_before_kib", "thp_after_kib", "skipped", "notes",
]


def guest_facts(log):
    """The '# guest ...' lines init prints before mp_bench runs."""
    facts = {}
    if not os.path.exists(log):
        return facts
    with open(log, errors="replace") as f:
        for line in f:
            for key, prefix in (("guest_kernel", "# guest kernel: "),
                                ("guest_cmdline", "# guest cmdline: "),
                                ("guest_cpus", "# guest cpus: ")):
                if line.startswith(prefix):
                    facts[key] = line[len(prefix):].strip()
    return facts


def fmt_rate(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


def fmt_ratio(r):
    if r.get("ratio_median") is None:
        return "-"
    return "%.3f [%.3f-%.3f]" % (r["ratio_median"], r["ratio_min"], r["ratio_max"])


def table(doc):
    m = doc.get("machine", {})
    print("move_pages benchmark: %s, %s, guest %s, %s" % (
        m.get("accel", "?"), m.get("host_cpu", "?"), m.get("guest_kernel", "?"),
        m.get("date", "?")))
    head = ("workload", "pages", "calls", "native p/s", "module p/s",
            "module/native [min-max]", "copy p/s", "module/copy", "mismatches")
    rows = []
    for r in doc["results"]:
        rows.append((
            r["name"], str(r["pages"]), str(r["calls"]),
            fmt_rate(r.get("native_pps_median")),
            fmt_rate(r.get("module_pps_median")),
            fmt_ratio(r),
            fmt_rate(r.get("copy_pps")),
            "-" if r.get("module_over_copy") is None else "%.3f" % r["module_over_copy"],
            str(r["mismatches"]) if not r.get("skipped") else "skipped",
        ))
    widths = [max(len(x[i]) for x in rows + [head]) for i in range(len(head))]

    def line(x):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(x, widths)))

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for x in rows:
        print(line(x))
    copy = [r for r in doc["results"] if r["name"] == "copy"]
    if copy:
        print("%s: %s pages/s" % (copy[0]["desc"], fmt_rate(copy[0]["copy_pps"])))
    if doc.get("checks"):
        print("checks:")
        for c in doc["checks"]:
            print("  %-28s %.3f (bound %.2f): %s" % (
                c["check"], c["value"], c["bound"], "met" if c["passed"] else "NOT MET"))
    for c in doc.get("context", []):
        print("context: %s %.3f" % (c["what"], c["value"]))
    print("notes:")
    for r in doc["results"]:
        if r.get("notes"):
            print("  %s: %s" % (r["name"], r["notes"]))


def checks(results):
    """The rows the benchmark checks against each other, as (name, value, bound, passed).

    W3g and W3tg: interleaved targets with grouping cost no more per page than sorted ones
    (module pages/s at least 0.9x W1's). W1p and W4p: the parallel extension at least 1.7x the
    native call. W6p: two parallel callers no slower than two plain ones (module pages/s).
    """
    by = {r["name"]: r for r in results if not r.get("skipped")}
    out = []

    def pps(name):
        return by.get(name, {}).get("module_pps_median")

    for name in ("W3g", "W3tg"):
        if pps(name) and pps("W1"):
            v = pps(name) / pps("W1")
            out.append(("%s/W1 module pages/s" % name, v, 0.9, v >= 0.9))
    for name in ("W1p", "W4p"):
        r = by.get(name, {}).get("ratio_median")
        if r:
            out.append(("%s module/native" % name, r, 1.7, r >= 1.7))
    if pps("W6p") and pps("W6"):
        v = pps("W6p") / pps("W6")
        out.append(("W6p/W6 module pages/s", v, 1.0, v >= 1.0))
    return out


def context(results):
    """What the host gives two threads in this boot, as (what, value): two plain native
    callers at once (W6) against one (W1), in native pages/s. The parallel rows are read
    against it: under TCG each vCPU is a host thread, and no move outruns the host's CPUs.
    """
    by = {r["name"]: r for r in results if not r.get("skipped")}
    w6 = by.get("W6", {}).get("native_pps_median")
    w1 = by.get("W1", {}).get("native_pps_median")
    if w6 and w1:
        return [("two native callers / one (W6/W1 native pages/s)", w6 / w1)]
    return []


def build(outdir, pairs):
    results = []
    with open(os.path.join(outdir, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                results.append(json.loads(line))
            except json.JSONDecodeError as e:
                print("report: bad line skipped (%s): %s" % (e, line[:80]), file=sys.stderr)
    machine = guest_facts(os.path.join(outdir, "vm", "output.log"))
    for p in pairs:
        key, _, value = p.partition("=")
        machine[key] = int(value) if value.isdigit() else value
    doc = {"machine": machine, "results": results,
           "checks": [{"check": c, "value": round(v, 3), "bound": b, "passed": ok}
                      for c, v, b, ok in checks(results)],
           "context": [{"what": w, "value": round(v, 3)} for w, v in context(results)]}
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    with open(os.path.join(outdir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in results:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in COLUMNS])
    table(doc)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("build", "table"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    outdir = sys.argv[2]
    if sys.argv[1] == "build":
        build(outdir, sys.argv[3:])
    else:
        with open(os.path.join(outdir, "results.json")) as f:
            table(json.load(f))


if __name__ == "__main__":
    main()
