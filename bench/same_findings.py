#!/usr/bin/env python3
"""Whether two phiguard JSON reports hold the same findings (elapsed time aside).

    bench/same_findings.py before.json after.json

Speed work must not change detection: run the old and the new binary on the corpus staged
change (`scan --staged --no-config --format json`) and on tree/, and compare. Exit 0 when
identical; otherwise print the findings only one side has and exit 1.
"""
import json
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    doc["summary"].pop("elapsed_ms", None)
    return doc


def key(f):
    return (f["path"], f["line"], f["column"], f["rule"], f["severity"])


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    if a == b:
        print(f"identical: {len(a['findings'])} findings")
        return 0
    print("summary", a["summary"], "->", b["summary"])
    ka, kb = set(map(key, a["findings"])), set(map(key, b["findings"]))
    for k in sorted(ka - kb)[:20]:
        print("  only before:", k)
    for k in sorted(kb - ka)[:20]:
        print("  only after: ", k)
    return 1


if __name__ == "__main__":
    sys.exit(main())
