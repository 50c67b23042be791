#!/usr/bin/env python3
"""Whether two phiguard JSON reports hold the same findings (elapsed time aside).

    bench/same_findings.py before.json after.json

Speed work must not change detection: run the old and the new binary on the corpus staged
change (`scan --staged --no-config --format json`) and on tree/, and compare. Exit 0 when
identical; otherwise print the findings only one side has and exit 1.

Without a fingerprint key (`--no-config` outside a repository that has one, as in a bare
mirror) each run draws its own, so fingerprints differ between any two runs:
`--ignore-fingerprints` compares everything else.
"""
import json
import sys


IGNORE_FINGERPRINTS = "--ignore-fingerprints" in sys.argv


def load(path):
    with open(path) as f:
        doc = json.load(f)
    doc["summary"].pop("elapsed_ms", None)
    if IGNORE_FINGERPRINTS:
        for f in doc.get("findings", []) + doc.get("suppressed", []):
            f.pop("fingerprint", None)
    return doc


def key(f):
    return (f["path"], f["line"], f["column"], f["rule"], f["severity"])


def main():
    files = [a for a in sys.argv[1:] if not a.startswith("--")]
    a, b = load(files[0]), load(files[1])
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
