#!/usr/bin/env python3
"""Turns bench/run.sh's hyperfine exports and RSS rows into one Markdown table."""
import json
import os
import platform
import sys

out = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "rows.tsv")) if l.strip()]
print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.platform()}")
print()
print("| workload | tool | mean (s) | ± | min (s) | MB/s | peak RSS (MiB) | vs phiguard |")
print("|---|---|---|---|---|---|---|---|")
cache = {}
for workload, name, nbytes, rss in rows:
    if workload not in cache:
        cache[workload] = {r["command"]: r for r in json.load(open(os.path.join(out, workload + ".json")))["results"]}
    res = cache[workload]
    r = res[name]
    base = res.get("phiguard", r)["mean"]
    mbs = f"{int(nbytes) / r['mean'] / 1e6:.0f}" if int(nbytes) else "—"
    ratio = "1.0×" if name == "phiguard" else f"{r['mean'] / base:.1f}× slower" if r["mean"] >= base else f"{base / r['mean']:.1f}× faster"
    print(f"| {workload} | {name} | {r['mean']:.3f} | {r['stddev'] or 0:.3f} | {r['min']:.3f} | {mbs} | {rss or '—'} | {ratio} |")
