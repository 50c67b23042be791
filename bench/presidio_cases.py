#!/usr/bin/env python3
"""PHI recall and precision on Presidio's own recognizer test cases, per recognizer.

Presidio (microsoft/presidio) is the NLP PII tool healthcare teams run beside a secret
scanner. Its predefined recognizers' tests (`presidio-analyzer/tests/test_<name>_recognizer.py`)
hold tables `@pytest.mark.parametrize("text, expected_len, expected_positions, ...", [...])`:
a text, how many entities Presidio finds in it, and where. They are Python literals, read here
with `ast` from a bare mirror (no Presidio install). Each text is written as is to its own file,
`phiguard scan DIR --no-config --format json` runs over them, and a case counts as found when
its file gets a finding of the rules the recognizer maps to (at any severity, and separately at
warn or above). A case Presidio expects nothing in is a negative: phiguard flagging it is a
false positive by Presidio's table (some are deliberate: Presidio's "weak" matches of
unlabelled nine digits are not findings here, and its negatives include values phiguard
reports as synthetic). With --spans, each positive's expected spans are compared with the
findings' columns (ASCII texts: character and byte offsets agree).

    python3 bench/presidio_cases.py --bin target/release/phiguard
        [--mirror /work/.mirror/microsoft+presidio/repo] [--work /tmp/presidio-cases] [-v]

No test: a benchmark. Keep --work free of path words phiguard treats as test data (test,
example, fixture, sample). The texts are Presidio's published test strings.
"""

import argparse
import ast
import collections
import json
import os
import shutil
import subprocess

# Presidio recognizer test file -> the phiguard rules that report its entity.
RECOGNIZERS = {
    "us_ssn": {"phi.ssn"},
    "us_itin": {"phi.itin"},
    "us_mbi": {"phi.mbi", "phi.mbi-lowercase"},
    "us_npi": {"phi.npi"},
    "phone": {"phi.phone", "phi.phone-unformatted", "phi.phone-international"},
    "email": {"phi.email"},
    "ip": {"phi.ip"},
}


def cases(mirror, name):
    """(text, expected_len, positions) rows of every parametrize table in the test file."""
    path = f"presidio-analyzer/tests/test_{name}_recognizer.py"
    src = subprocess.run(
        ["git", "--git-dir", mirror, "show", f"HEAD:{path}"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = []
    for node in ast.walk(ast.parse(src)):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        f = node.func
        if not (isinstance(f, ast.Attribute) and f.attr == "parametrize"):
            continue
        try:
            names = ast.literal_eval(node.args[0])
            table = ast.literal_eval(node.args[1])
        except ValueError:
            continue
        names = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)]
        if names[:2] != ["text", "expected_len"]:
            continue
        for row in table:
            positions = row[2] if len(row) > 2 and "expected_positions" in names else ()
            rows.append((row[0], row[1], tuple(positions)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/phiguard")
    ap.add_argument("--mirror", default="/work/.mirror/microsoft+presidio/repo")
    ap.add_argument("--work", default="/tmp/presidio-cases")
    ap.add_argument("--spans", action="store_true")
    ap.add_argument("--strict", action="store_true", help="pass --strict: synthetic values count")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)

    shutil.rmtree(args.work, ignore_errors=True)
    written = {}
    for name in RECOGNIZERS:
        for k, (text, expected, positions) in enumerate(cases(args.mirror, name)):
            rel = f"{name}/case_{k:04d}.txt"
            full = os.path.join(args.work, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            written[rel] = (name, text, expected, positions)

    out = subprocess.run(
        [args.bin, "scan", ".", "--no-config", "--format", "json"]
        + (["--strict"] if args.strict else []),
        cwd=args.work, capture_output=True, text=True,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"phiguard exited {out.returncode}: {out.stderr}")
    findings = collections.defaultdict(list)
    for f in json.loads(out.stdout)["findings"]:
        findings[f["path"]].append(f)

    stats = collections.defaultdict(lambda: collections.Counter())
    for rel, (name, text, expected, positions) in sorted(written.items()):
        rules = RECOGNIZERS[name]
        mine = [f for f in findings.get(rel, []) if f["rule"] in rules]
        any_sev = bool(mine)
        warn = any(f["severity"] in ("warn", "block") for f in mine)
        s = stats[name]
        kind = "pos" if expected > 0 else "neg"
        s[kind] += 1
        s[kind + "_any"] += any_sev
        s[kind + "_warn"] += warn
        if kind == "pos" and args.spans and positions:
            got = {(f["column"] - 1, f["end_column"] - 1) for f in mine if f["line"] == 1}
            s["spans"] += len(positions)
            s["spans_exact"] += sum(1 for p in positions if tuple(p) in got)
        if args.verbose and ((kind == "pos") != warn):
            sevs = ",".join(f"{f['rule']}:{f['severity']}" for f in findings.get(rel, []))
            print(f"{name:8s} {kind} {'found' if warn else 'missed' if kind == 'pos' else 'flagged'}"
                  f" {text!r} [{sevs}]")

    print("| recognizer | positives | found (warn+) | found (any) | negatives | flagged (warn+) | flagged (any) |")
    print("|---|---|---|---|---|---|---|")
    total = collections.Counter()
    for name in RECOGNIZERS:
        s = stats[name]
        total.update(s)
        print(f"| {name} | {s['pos']} | {s['pos_warn']} | {s['pos_any']} | {s['neg']} | "
              f"{s['neg_warn']} | {s['neg_any']} |")
    print(f"| **all** | {total['pos']} | {total['pos_warn']} | {total['pos_any']} | "
          f"{total['neg']} | {total['neg_warn']} | {total['neg_any']} |")
    if args.spans:
        print(f"spans exactly where Presidio puts them: {total['spans_exact']} of {total['spans']}")


if __name__ == "__main__":
    main()
