#!/usr/bin/env python3
"""Detection quality on the shared benchmark corpus.

Runs `phiguard scan --staged --format jsonl` in the corpus repo (or reads findings from a file)
and compares them with truth/diff_truth.jsonl: recall per planted kind (and per context with
-v), and how many decoys are flagged. A planted item counts as found when a finding of the
right family sits on one of its lines (path, line..end_line). With --gitleaks R / --kingfisher
R, the same numbers for a peer's JSON report, so both come from one run.

Usage: bench/eval.py [--corpus target/bench/corpus] [--bin target/release/phiguard]
                     [--findings F.jsonl] [--gitleaks R.json] [--kingfisher R.json] [-v]
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_truth(corpus):
    with open(os.path.join(corpus, "truth", "diff_truth.jsonl")) as f:
        return [json.loads(l) for l in f]


def phiguard_findings(corpus, binary, findings_file):
    if findings_file:
        text = open(findings_file).read()
    else:
        out = subprocess.run([binary, "scan", "--staged", "--format", "jsonl", "--no-config"],
                             cwd=os.path.join(corpus, "repo"), capture_output=True, text=True)
        if out.returncode not in (0, 1):
            sys.exit(f"phiguard failed ({out.returncode}): {out.stderr}")
        text = out.stdout
    return [(f["path"], f["line"], f["category"], f["severity"], f["rule"])
            for f in map(json.loads, filter(None, text.splitlines()))]


def gitleaks_findings(report):
    data = json.load(open(report)) or []
    return [(d["File"], d["StartLine"], "secret", "block", d["RuleID"], d.get("EndLine", d["StartLine"]))
            for d in data]


def kingfisher_findings(report):
    data = json.load(open(report))
    items = data if isinstance(data, list) else data.get("findings", data.get("matches", []))
    out = []
    for d in items:
        f = d.get("finding", d)
        path = f.get("path") or f.get("file") or ""
        line = f.get("line") or f.get("start_line") or 0
        out.append((path.lstrip("./"), int(line), "secret", "block", d.get("rule", {}).get("id", "?") if isinstance(d.get("rule"), dict) else str(d.get("rule")), int(line)))
    return out


def evaluate(truth, findings, min_sev, verbose, name):
    sev_rank = {"info": 0, "warn": 1, "block": 2}
    by_path = collections.defaultdict(list)
    for f in findings:
        path, line, cat, sev = f[0], f[1], f[2], f[3]
        end = f[5] if len(f) > 5 else line
        if sev_rank[sev] >= sev_rank[min_sev]:
            by_path[path].append((line, end, cat))

    def hit(t, family=None):
        for (line, end, cat) in by_path.get(t["path"], ()):
            if line <= t["end_line"] and end >= t["line"] and (family is None or cat == family):
                return True
        return False

    found = collections.Counter()
    total = collections.Counter()
    ctx_found = collections.Counter()
    ctx_total = collections.Counter()
    decoys = collections.Counter()
    decoy_total = collections.Counter()
    for t in truth:
        if t["family"] == "decoy":
            decoy_total[t["kind"]] += 1
            decoys[t["kind"]] += hit(t)
            continue
        k = (t["family"], t["kind"])
        total[k] += 1
        ctx_total[k + (t["context"],)] += 1
        if hit(t, t["family"]):
            found[k] += 1
            ctx_found[k + (t["context"],)] += 1
    print(f"## {name} (findings at {min_sev} or above)")
    print("| family | kind | found | planted | recall |")
    print("|---|---|---|---|---|")
    for k in sorted(total):
        print(f"| {k[0]} | {k[1]} | {found[k]} | {total[k]} | {100 * found[k] / total[k]:.1f}% |")
    for fam in ("phi", "secret"):
        f = sum(v for k, v in found.items() if k[0] == fam)
        t = sum(v for k, v in total.items() if k[0] == fam)
        if t:
            print(f"| {fam} | **all** | {f} | {t} | {100 * f / t:.1f}% |")
    d = sum(decoys.values())
    print(f"\ndecoys flagged: {d} of {sum(decoy_total.values())}"
          + (" (" + ", ".join(f"{k} {v}/{decoy_total[k]}" for k, v in sorted(decoys.items()) if v) + ")" if d else ""))
    if verbose:
        print("\n| family | kind | context | found | planted |")
        print("|---|---|---|---|---|")
        for k in sorted(ctx_total):
            print(f"| {' | '.join(k)} | {ctx_found[k]} | {ctx_total[k]} |")
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "target", "bench", "corpus"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "phiguard"))
    ap.add_argument("--findings")
    ap.add_argument("--gitleaks")
    ap.add_argument("--kingfisher")
    ap.add_argument("--min-severity", default="warn", choices=["info", "warn", "block"])
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    truth = load_truth(a.corpus)
    evaluate(truth, phiguard_findings(a.corpus, a.bin, a.findings), a.min_severity, a.verbose, "phiguard")
    if a.gitleaks:
        evaluate(truth, gitleaks_findings(a.gitleaks), "info", a.verbose, "gitleaks")
    if a.kingfisher:
        evaluate(truth, kingfisher_findings(a.kingfisher), "info", a.verbose, "kingfisher")


if __name__ == "__main__":
    main()
