#!/usr/bin/env python3
"""pre-receive benchmark: a push of 1,000 commits (~50 MB of changes) and a push of 100 refs,
built from the corpus tree with git fast-import, then timed with hyperfine.

The new objects sit in the bare repository without any ref pointing at them (as in a push's
quarantine), so phiguard's walk has to find and scan all of them.
Usage: bench/push_bench.py [--corpus target/bench/corpus] [--bin target/release/phiguard]"""
import argparse, json, os, random, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZERO = "0" * 40


def files(tree, limit_bytes):
    rng = random.Random(1123)
    paths = []
    for d, _, fs in os.walk(tree):
        for f in fs:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) < 256 << 10:
                paths.append(p)
    paths.sort()
    rng.shuffle(paths)
    out, total = [], 0
    for p in paths:
        data = open(p, "rb").read()
        if b"\0" in data[:8192]:
            continue
        out.append((os.path.relpath(p, tree), data))
        total += len(data)
        if total >= limit_bytes:
            break
    return out


def fast_import(git_dir, branches):
    """branches: {ref: [[(path, data), ...] per commit]} -> {ref: tip}"""
    stream = []
    mark = 0
    tips = {}
    for ref, commits in branches.items():
        for i, changes in enumerate(commits):
            mark += 1
            stream.append(f"commit {ref}\nmark :{mark}\ncommitter Bench <bench@example.invalid> {1700000000 + mark} +0000\n".encode())
            msg = f"bench commit {i}\n".encode()
            stream.append(b"data %d\n%s\n" % (len(msg), msg))
            if i == 0:
                stream.append(b"from refs/heads/main\n")
            for path, data in changes:
                stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        tips[ref] = f":{mark}"
    subprocess.run(["git", "--git-dir", git_dir, "fast-import", "--quiet", "--export-marks=" + git_dir + "/marks"],
                   input=b"".join(stream), check=True)
    marks = dict(l.split() for l in open(git_dir + "/marks").read().splitlines())
    return {ref: marks[m] for ref, m in tips.items()}


def setup(base, name, branches):
    git_dir = os.path.join(base, name + ".git")
    shutil.rmtree(git_dir, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", git_dir], check=True)
    init = b"commit refs/heads/main\ncommitter Bench <bench@example.invalid> 1700000000 +0000\ndata 5\nbase\nM 100644 inline README\ndata 3\nhi\n\n"
    subprocess.run(["git", "--git-dir", git_dir, "fast-import", "--quiet"], input=init, check=True)
    tips = fast_import(git_dir, branches)
    for ref in tips:
        if ref != "refs/heads/main":
            subprocess.run(["git", "--git-dir", git_dir, "update-ref", "-d", ref], check=True)
    base_tip = subprocess.run(["git", "--git-dir", git_dir, "rev-parse", "refs/heads/main~0"], capture_output=True, text=True).stdout.strip()
    return git_dir, tips


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "target", "bench", "corpus"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "phiguard"))
    ap.add_argument("--runs", default="5")
    a = ap.parse_args()
    base = os.path.join(ROOT, "target", "bench", "push")
    os.makedirs(base, exist_ok=True)
    data = files(os.path.join(a.corpus, "tree"), 50 << 20)
    per = max(1, len(data) // 1000)
    commits = [data[i * per:(i + 1) * per] for i in range(1000)]
    size = sum(len(d) for c in commits for _, d in c)
    git_dir, tips = setup(base, "thousand", {"refs/heads/incoming": commits})
    lines_1000 = f"{ZERO} {tips['refs/heads/incoming']} refs/heads/incoming\n"
    many = {f"refs/heads/topic-{i:03}": [data[i * 10 + j:i * 10 + j + 1] for j in range(10)] for i in range(100)}
    git_dir2, tips2 = setup(base, "hundred", many)
    lines_100 = "".join(f"{ZERO} {tip} {ref}\n" for ref, tip in sorted(tips2.items()))
    for name, gd, lines in [("1000 commits", git_dir, lines_1000), ("100 refs", git_dir2, lines_100)]:
        stdin = os.path.join(base, name.replace(" ", "_") + ".stdin")
        open(stdin, "w").write(lines)
        cmd = f"sh -c 'GIT_DIR={gd} {a.bin} hook pre-receive --no-config < {stdin} > /dev/null'"
        subprocess.run(["hyperfine", "-N", "-i", "--warmup", "1", "--runs", a.runs, "--export-json", os.path.join(base, "r.json"), cmd],
                       check=True, capture_output=True)
        r = json.load(open(os.path.join(base, "r.json")))["results"][0]
        t = subprocess.run(["/usr/bin/time", "-v", "sh", "-c", f"GIT_DIR={gd} {a.bin} hook pre-receive --no-config < {stdin} > /dev/null"],
                           capture_output=True, text=True)
        rss = next((int(l.split(":")[1]) // 1024 for l in t.stderr.splitlines() if "Maximum resident" in l), 0)
        print(f"| pre-receive, {name} | {r['mean']:.3f} s ± {r['stddev'] or 0:.3f} | {rss} MiB |")
    print(f"\n(1000-commit push: {size / 1e6:.1f} MB of file content in {sum(len(c) for c in commits)} file versions)")


if __name__ == "__main__":
    main()
