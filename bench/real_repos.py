#!/usr/bin/env python3
"""Scan the trees of real healthcare repositories and count findings per rule.

Issue 23: phiguard must not block plain false positives on code nobody here wrote. This
script (no test, a benchmark) exports each bare mirror's HEAD into a scratch directory, runs
`phiguard scan DIR --format json`, and prints blocks and warns per rule and per repository.
The repositories' content is never copied into this tree: it is exported under --work
(default a temporary directory) and deleted afterwards unless --keep.

    python3 bench/real_repos.py --bin target/release/phiguard [--mirrors /work/.mirror]
        [--repo openmrs+openmrs-core ...] [--show-blocks] [--json out.json]

--show-blocks prints each block's path, line and rule (the excerpt is already masked by
phiguard; this script never prints a finding's value).
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPOS = [
    "openmrs+openmrs-core",
    "hapifhir+hapi-hl7v2",
    "microsoft+fhir-server",
    "smart-on-fhir+client-js",
    "chb+sample_ccdas",
    "google+fhir",
]


def git_dir(mirrors, name):
    base = os.path.join(mirrors, name)
    for cand in (os.path.join(base, "repo"), base):
        if os.path.exists(os.path.join(cand, "HEAD")):
            return cand
    return None


def export(gd, dest):
    """`git archive HEAD | tar -x`, or blob by blob when the mirror lacks its largest files."""
    os.makedirs(dest, exist_ok=True)
    arch = subprocess.Popen(
        ["git", "--git-dir", gd, "archive", "HEAD"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    tar = subprocess.run(["tar", "-x", "-C", dest], stdin=arch.stdout, stderr=subprocess.DEVNULL)
    if arch.wait() == 0 and tar.returncode == 0:
        return
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    ls = subprocess.run(
        ["git", "--git-dir", gd, "ls-tree", "-r", "-z", "HEAD"], capture_output=True, check=True
    ).stdout
    entries = []
    for rec in ls.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, kind, oid = meta.split()
        if kind == b"blob" and mode != b"120000":
            entries.append((oid, path))
    missing = 0
    cat = subprocess.Popen(
        ["git", "--git-dir", gd, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    for oid, path in entries:
        cat.stdin.write(oid + b"\n")
        cat.stdin.flush()
        header = cat.stdout.readline().split()
        if len(header) < 3:
            missing += 1
            continue
        body = cat.stdout.read(int(header[2]))
        cat.stdout.read(1)
        out = os.path.join(dest.encode(), path)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as fh:
            fh.write(body)
    cat.stdin.close()
    cat.wait()
    print(f"{os.path.basename(dest)}: {missing} blobs absent from the mirror, skipped")


def scan(binary, tree):
    p = subprocess.run(
        [binary, "scan", ".", "--format", "json", "--no-config", "--min-severity", "warn"],
        cwd=tree,
        capture_output=True,
    )
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr.decode(errors="replace"))
        raise SystemExit(f"phiguard exited {p.returncode} on {tree}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/phiguard")
    ap.add_argument("--mirrors", default="/work/.mirror")
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--repo", action="append")
    ap.add_argument("--show-blocks", action="store_true")
    ap.add_argument("--json", help="write {repo: {rule: [block, warn]}} here")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    work = a.work or tempfile.mkdtemp(prefix="phiguard-real-")
    results = {}
    try:
        for name in a.repo or REPOS:
            gd = git_dir(a.mirrors, name)
            if gd is None:
                print(f"{name}: no mirror under {a.mirrors}, skipped")
                continue
            tree = os.path.join(work, name)
            if not os.path.isdir(tree):
                export(gd, tree)
            doc = scan(binary, tree)
            per = collections.defaultdict(lambda: [0, 0])
            blocks = collections.Counter()
            for f in doc["findings"]:
                sev = f.get("severity")
                if sev in ("block", "warn"):
                    per[f["rule"]][0 if sev == "block" else 1] += 1
                    if sev == "block":
                        blocks[(f.get("path"), f["rule"])] += 1
            # Past the listed findings of a rule in a file, the rest are counted, not listed.
            for c in doc.get("findings_capped", []):
                sev = c.get("severity")
                if sev in ("block", "warn") and not c.get("suppressed"):
                    per[c["rule"]][0 if sev == "block" else 1] += c["count"]
            if a.show_blocks:
                for (path, rule), n in sorted(blocks.items()):
                    print(f"  BLOCK {name}:{path} {rule} x{n}")
            results[name] = dict(per)
            s = doc["summary"]
            print(f"{name}: {s['files']} files, block {s['block']}, warn {s['warn']}")
            for rule, (b, w) in sorted(per.items(), key=lambda kv: (-kv[1][0], -kv[1][1])):
                print(f"    {rule:40} block {b:5}  warn {w:6}")
    finally:
        if not a.keep and a.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
