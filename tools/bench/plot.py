#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Plot mp_bench's results (results.json of tools/bench/bench.sh).

Left: the batch-size sweep, pages/s against pages per call (log-log), native
and module (median, min-max bars) and the copy bound. Right: module/native
per workload (median of the per-repetition ratios, min-max bars).

Usage: plot.py RESULTS_JSON OUTPUT_PNG
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def errbars(rows, key):
    med = [r["%s_median" % key] for r in rows]
    lo = [m - r["%s_min" % key] for m, r in zip(med, rows)]
    hi = [r["%s_max" % key] - m for m, r in zip(med, rows)]
    return med, [lo, hi]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    results = [r for r in doc["results"] if not r.get("skipped")]
    machine = doc.get("machine", {})

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))

    sweep = sorted((r for r in results if r["kind"] == "sweep"), key=lambda r: r["batch"])
    if sweep:
        x = [r["batch"] for r in sweep]
        med, err = errbars(sweep, "native_pps")
        ax1.errorbar(x, med, yerr=err, marker="o", capsize=3, label="native move_pages(2)")
        med, err = errbars(sweep, "module_pps")
        ax1.errorbar(x, med, yerr=err, marker="s", capsize=3, label="module ioctl")
        copy = [(r["batch"], r["copy_pps"]) for r in sweep if r.get("copy_pps")]
        if copy:
            ax1.plot([c[0] for c in copy], [c[1] for c in copy], "k--", marker=".",
                     label="copy bound (copy_page's copy, one thread)")
        ax1.set_xscale("log", base=2)
        ax1.set_yscale("log")
        ax1.set_xlabel("pages per call (batch size B)")
        ax1.set_ylabel("pages/s (4 KiB)")
        floor = [r["pages"] for r in sweep if r["batch"] < r["pages"]]
        ax1.set_title("batch-size sweep: max(B, %s) pages per series" %
                      (max(floor) if floor else "N"))
        ax1.grid(True, which="both", alpha=0.3)
        ax1.legend()
    else:
        ax1.text(0.5, 0.5, "no sweep in these results", ha="center", va="center")
        ax1.set_axis_off()

    work = [r for r in results if r["kind"] in ("workload", "extension", "sweep")
            and r.get("ratio_median") is not None]
    if work:
        names = [r["name"].replace("sweep-", "B=") for r in work]
        med, err = errbars(work, "ratio")
        colors = [{"workload": "tab:blue", "extension": "tab:orange"}.get(r["kind"], "tab:gray")
                  for r in work]
        ax2.bar(range(len(work)), med, yerr=err, capsize=3, color=colors)
        ax2.axhline(1.0, color="k", linewidth=0.8)
        top = max(r["ratio_max"] for r in work)
        low = min(r["ratio_min"] for r in work)
        if top / max(low, 1e-9) > 20:
            ax2.set_yscale("log")
        ax2.set_xticks(range(len(work)))
        ax2.set_xticklabels(names, rotation=45, ha="right")
        ax2.set_ylabel("module / native (pages/s; above 1: module faster)")
        ax2.set_title("module/native (median, min-max); orange: extension flag; grey: sweep")
        ax2.grid(True, axis="y", alpha=0.3)
        for i, (m, r) in enumerate(zip(med, work)):
            ax2.annotate("%.2f" % m, (i, m), textcoords="offset points", xytext=(0, 3),
                         ha="center", fontsize=8)
    else:
        ax2.set_axis_off()

    fig.suptitle("move_pages: native vs module, %s, guest %s, %s" % (
        machine.get("accel", "?"), machine.get("guest_kernel", "?"),
        machine.get("date", "?")))
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
