#!/usr/bin/env python3
"""A typical commit for the benchmark: 10 source files of the current repo each get 30 added
lines of ordinary code (deterministic), staged. Run inside the benchmark's redis clone."""
import subprocess

files = subprocess.run(["git", "ls-files", "src/*.c"], capture_output=True, text=True, check=True).stdout.split()
files = sorted(files)[:10]
for n, path in enumerate(files):
    with open(path, "a") as f:
        for i in range(30):
            f.write(f"static int bench_helper_{n}_{i}(int x) {{ return x * {i + 3} + {n}; }}\n")
subprocess.run(["git", "add", "--"] + files, check=True)
