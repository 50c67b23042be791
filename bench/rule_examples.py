#!/usr/bin/env python3
"""Secrets breadth on another scanner's rule examples: kingfisher's `data/rules/*.yml`.

Each `examples:` entry of every rule in a bare mirror of mongodb/kingfisher is written to its
own file (`ex_NNNNN.conf`) under --work; `phiguard scan DIR --no-config --format json` runs
over them, and with --gitleaks so does `gitleaks dir`. An example counts as found when a
file gets any finding (warn or block). Prints found/total for each, and the providers whose
examples gitleaks finds and phiguard does not. No test: a benchmark.

    python3 bench/rule_examples.py --bin target/release/phiguard
        [--mirror /work/.mirror/mongodb+kingfisher/repo] [--gitleaks target/bench/peers/gitleaks]

Needs PyYAML. The example values are the rule authors' published test strings.
"""

import argparse
import collections
import json
import os
import subprocess
import tempfile

import yaml


def examples(mirror):
    names = subprocess.run(
        ["git", "--git-dir", mirror, "ls-tree", "-r", "--name-only", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    for name in sorted(n for n in names if n.startswith("data/rules/") and n.endswith((".yml", ".yaml"))):
        text = subprocess.run(
            ["git", "--git-dir", mirror, "show", "HEAD:" + name], capture_output=True, text=True
        ).stdout
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        provider = os.path.basename(name).rsplit(".", 1)[0]
        for rule in doc.get("rules") or []:
            for ex in rule.get("examples") or []:
                if isinstance(ex, str):
                    yield provider, ex


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mirror", default="/work/.mirror/mongodb+kingfisher/repo")
    ap.add_argument("--gitleaks")
    ap.add_argument("--work")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="phiguard-examples-")
    d = os.path.join(work, "ex")
    os.makedirs(d, exist_ok=True)
    provider = {}
    for n, (prov, ex) in enumerate(examples(a.mirror)):
        f = f"ex_{n:05d}.conf"
        with open(os.path.join(d, f), "w") as fh:
            fh.write(ex if ex.endswith("\n") else ex + "\n")
        provider[f] = prov
    out = subprocess.run(
        [os.path.abspath(a.bin), "scan", d, "--no-config", "--format", "json"],
        capture_output=True, text=True,
    ).stdout
    pg = {os.path.basename(f["path"]) for f in json.loads(out)["findings"]}
    print(f"phiguard: {len(pg & provider.keys())} of {len(provider)} examples")
    if a.gitleaks:
        report = os.path.join(work, "gitleaks.json")
        subprocess.run(
            [a.gitleaks, "dir", d, "--no-banner", "--report-format", "json",
             "--report-path", report, "--exit-code", "0"],
            capture_output=True,
        )
        with open(report) as fh:
            gl = {os.path.basename(x["File"]) for x in json.load(fh)}
        print(f"gitleaks: {len(gl & provider.keys())} of {len(provider)} examples")
        only = collections.Counter(provider[f] for f in gl - pg if f in provider)
        print("found by gitleaks only, by provider:", ", ".join(f"{p} {n}" for p, n in only.most_common(30)))


if __name__ == "__main__":
    main()
