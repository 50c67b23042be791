#!/usr/bin/env python3
"""Secrets recall on trufflehog's detector pattern tests, beside gitleaks.

Each `Test*Pattern*` function in `pkg/detectors/**/*_test.go` (not integration tests) of a bare
mirror of trufflesecurity/trufflehog holds a table of cases `{input: <Go expr>, want: ...}`
(or `data:` with `shouldMatch:`, `expectedPairs:`, `wantMatched:`, `wantCount:`). A non-empty,
true or non-zero want makes the input a positive (it holds a secret); an empty, nil, false or
missing one a negative. No Go needed: a small evaluator here handles string literals, names
bound to package-level or function-local values, `+`, `[]byte(x)`, `fmt.Sprintf` (%s %v %d
%q) and `strings.Repeat`/`Join`; cases it cannot evaluate (random secrets) count as unparsed.

Positives go to `pos/case_NNNNN.txt`, negatives to `neg/case_NNNNN.txt` under --work (neutral
names: phiguard downgrades findings in test-like paths); `phiguard scan DIR --no-config
--format json` and, with --gitleaks, `gitleaks dir` run over both. A case is found when its
file gets any finding (block, warn or info). Prints found/total for positives, flagged/total
for negatives and the detectors whose positives gitleaks finds and phiguard misses; --misses
FILE writes each positive phiguard misses as `detector<TAB>found-by<TAB>input` (found-by is
`gitleaks` or `none`; newlines escaped). No test: a benchmark.

    python3 bench/trufflehog_patterns.py --bin target/release/phiguard
        --gitleaks target/bench/peers/gitleaks [--mirror DIR] [--work /tmp/thpat] [--misses F]

The inputs are trufflehog's published test strings (made-up keys of the right shape).
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess

TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<com>//[^\n]*|/\*.*?\*/)
  | (?P<raw>`[^`]*`) | (?P<str>"(?:\\.|[^"\\\n])*") | (?P<rune>'(?:\\.|[^'\\\n])+')
  | (?P<num>\d[\w.]*) | (?P<id>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*) | (?P<op>:=|.)
""", re.S | re.X)
ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.S)
SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
VERB = re.compile(r"%([-+# 0]*)(\d*)([a-zA-Z%])")
CLOSE = {"(": ")", "[": "]", "{": "}"}
WANT = ("want", "shouldMatch", "expectedPairs", "wantMatched", "wantCount")  # first one present


class Unparsed(Exception):
    pass


def unquote(body):
    """A Go interpreted string literal's body as text (\\x and octal escapes are bytes)."""
    out, pos = bytearray(), 0
    for m in ESCAPE.finditer(body):
        out += body[pos:m.start()].encode()
        e = m.group(1)
        if e[0] == "x" or e[0] in "01234567":
            out.append(int(e[1:], 16) if e[0] == "x" else int(e, 8))
        elif e[0] in "uU":
            out += chr(int(e[1:], 16)).encode()
        else:
            out += SIMPLE.get(e, e).encode()
        pos = m.end()
    return (out + body[pos:].encode()).decode("utf-8", "replace")


def tokenize(src):
    """[(kind, value, starts_a_line)], comments dropped, string literals decoded as kind 's'."""
    toks, newline = [], True
    for m in TOKEN.finditer(src):
        kind, text = m.lastgroup, m.group()
        if kind in ("ws", "com"):
            newline = newline or "\n" in text
            continue
        if kind == "raw":
            kind, text = "s", text[1:-1].replace("\r", "")
        elif kind == "str":
            kind, text = "s", unquote(text[1:-1])
        toks.append((kind, text, newline))
        newline = False
    return toks


def extent(toks, i):
    """End of the expression starting at i: the next `,`, unmatched closer, or line break
    after a value (Go's implicit semicolon), at bracket depth 0."""
    depth, start = 0, i
    while i < len(toks):
        v = toks[i][1] if toks[i][0] == "op" else None
        prev = toks[i - 1]
        if depth == 0 and i > start and toks[i][2] and (prev[0] != "op" or prev[1] in ")]}"):
            return i
        if v in CLOSE:
            depth += 1
        elif depth == 0 and v in (")", "]", "}", ",", ";"):
            return i
        elif v in (")", "]", "}"):
            depth -= 1
        i += 1
    return i


def go_format(fmt, args):
    """fmt.Sprintf for the verbs test tables use."""
    args = list(args)

    def one(m):
        flags, width, verb = m.groups()
        if verb == "%":
            return "%"
        if not args:
            raise Unparsed("Sprintf missing an argument")
        a = args.pop(0)
        if verb in "sv" or verb == "d" and isinstance(a, int):
            s = str(a).lower() if isinstance(a, bool) else str(a)
        elif verb == "q" and isinstance(a, str):
            s = json.dumps(a, ensure_ascii=False)
        else:
            raise Unparsed("Sprintf verb %" + verb)
        w = int(width or 0)
        return s.ljust(w) if "-" in flags else s.rjust(w, "0" if "0" in flags else " ")

    out = VERB.sub(one, fmt)
    if args:
        raise Unparsed("Sprintf extra arguments")
    return out


class Evaluator:
    """Evaluates token ranges against bindings: name -> (toks, start, end), lazily."""

    def __init__(self, bindings):
        self.bindings, self.cache, self.busy = bindings, {}, set()

    def value(self, toks, i, j):
        v, k = self.expr(toks, i)
        if k != j:
            raise Unparsed("unsupported expression")
        return v

    def expr(self, toks, i):
        v, i = self.primary(toks, i)
        while i < len(toks) and toks[i][:2] == ("op", "+"):
            w, i = self.primary(toks, i + 1)
            if type(v) is not type(w) or not isinstance(v, (str, int)):
                raise Unparsed("+ on mixed types")
            v = v + w
        return v, i

    def items(self, toks, i, close):
        """Comma-separated values from i up to `close`; returns (list, index after it)."""
        out = []
        while toks[i][1] != close:
            v, i = self.expr(toks, i)
            out.append(v)
            if toks[i][1] == ",":
                i += 1
            elif toks[i][1] != close:
                raise Unparsed("unsupported expression")
        return out, i + 1

    def primary(self, toks, i):
        kind, v, _ = toks[i]
        if kind == "s":
            return v, i + 1
        if kind == "num" and re.fullmatch(r"\d+", v):
            return int(v), i + 1
        if v == "(" or v == "[" and toks[i + 3][1] == "(":  # (x), or a conversion: []byte(x)
            (w,), j = self.items(toks, i + (1 if v == "(" else 4), ")")
            return w, j
        if v == "[":  # a slice literal: []T{a, b}
            while toks[i][1] != "{":
                i += 1
            return self.items(toks, i + 1, "}")
        if kind != "id":
            raise Unparsed("unsupported expression")
        if toks[i + 1][1] == "(":
            args, j = self.items(toks, i + 2, ")")
            return self.call(v, args), j
        if v in ("true", "false"):
            return v == "true", i + 1
        if v not in self.cache:
            if v not in self.bindings or v in self.busy:
                raise Unparsed("unbound name")
            self.busy.add(v)  # a cycle raises rather than recursing forever
            try:
                self.cache[v] = self.value(*self.bindings[v])
            finally:
                self.busy.discard(v)
        return self.cache[v], i + 1

    @staticmethod
    def call(fn, args):
        if fn == "fmt.Sprintf" and args and isinstance(args[0], str):
            return go_format(args[0], args[1:])
        if fn == "strings.Repeat" and len(args) == 2:
            return args[0] * args[1]
        if fn == "strings.Join" and len(args) == 2 and isinstance(args[0], list):
            return args[1].join(args[0])
        raise Unparsed("call to " + fn)


def bind(toks, i, bindings):
    """Record one `a, b [Type] = x, y` spec (or `a := x`) from i; returns the index after it."""
    names = []
    while toks[i][0] == "id":
        names.append(toks[i][1])
        i += 1
        if toks[i][1] != ",":
            break
        i += 1
    while toks[i][1] not in ("=", ":=", ")") and not toks[i][2]:
        i += 1  # a type
    if toks[i][1] not in ("=", ":="):
        return i
    i += 1
    for n in names:
        j = extent(toks, i)
        bindings[n] = (toks, i, j)
        i = j + 1 if j < len(toks) and toks[j][1] == "," else j
    return i


def positive(toks, i, j, ev):
    """Whether a case's want value says it should match (non-empty, true, non-zero)."""
    part = toks[i:j]
    if len(part) == 1 and part[0][1] in ("nil", "false", "true", "", "0"):
        return part[0][1] == "true"
    if len(part) == 1 and part[0][0] in ("s", "num"):
        return True
    if part and part[0][1] == "[" and any(t[1] == "{" for t in part):
        k = next(n for n, t in enumerate(part) if t[1] == "{")
        return k + 1 < len(part) and part[k + 1][1] != "}"
    if len(part) == 1 and part[0][1] in ev.bindings:
        return positive(*ev.bindings[part[0][1]], ev)
    raise Unparsed("unsupported want")


def cases(src):
    """(input, is_positive, "") or (None, None, why-unparsed) for each case of each
    Test*Pattern* function's table in the Go source src."""
    toks = tokenize(src)
    globs, funcs, depth, i = {}, [], 0, 0
    while i < len(toks):  # package-level var/const bindings and function starts
        kind, v, _ = toks[i]
        if depth == 0 and kind == "id" and v in ("var", "const"):
            if toks[i + 1][1] != "(":
                i = bind(toks, i + 1, globs)
                continue
            i += 2
            while toks[i][1] != ")":
                i = bind(toks, i, globs) if toks[i][0] == "id" else i + 1
        elif depth == 0 and kind == "id" and v == "func":
            funcs.append((toks[i + 1][1] if toks[i + 1][0] == "id" else "", i))
        elif kind == "op" and v in CLOSE:
            depth += 1
        elif kind == "op" and v in (")", "]", "}"):
            depth -= 1
        i += 1
    for n, (name, start) in enumerate(funcs):
        if not re.match(r"Test\w*Pattern", name):
            continue
        end = funcs[n + 1][1] if n + 1 < len(funcs) else len(toks)
        local = dict(globs)
        for k in range(start, end - 1):
            if toks[k][0] == "id" and toks[k + 1][1] == ":=" and toks[k - 1][1] != ",":
                bind(toks, k, local)
        ev, stack, k = Evaluator(local), [], start
        while k < end:  # each `{...}` holding an input:/data: field is a case
            kind, v, _ = toks[k]
            if kind == "op" and v == "{":
                stack.append({})
            elif kind == "op" and v == "}" and stack:
                fields = stack.pop()
                if "input" in fields or "data" in fields:
                    yield case(fields, ev)
            elif kind == "id" and stack and toks[k + 1][1] == ":" and v in ("input", "data") + WANT:
                j = extent(toks, k + 2)
                stack[-1][v] = (toks, k + 2, j)
                k = j
                continue
            k += 1


def case(fields, ev):
    try:
        text = ev.value(*fields.get("input") or fields["data"])
        if not isinstance(text, str):
            raise Unparsed("input not a string")
        want = next((fields[w] for w in WANT if w in fields), None)
        return text, bool(want) and positive(*want, ev), ""
    except (Unparsed, IndexError, ValueError) as e:
        return None, None, str(e) if isinstance(e, Unparsed) else "unsupported expression"


def flagged(a, d):
    """The cases under d (as `pos/case_N.txt`) that phiguard flags, and that gitleaks flags."""
    out = subprocess.run([os.path.abspath(a.bin), "scan", d, "--no-config", "--format", "json"],
                         capture_output=True, text=True).stdout
    pg = {os.path.relpath(f["path"], a.work) for f in json.loads(out)["findings"]}
    if not a.gitleaks:
        return pg, set()
    report = d + "-gitleaks.json"
    subprocess.run([a.gitleaks, "dir", d, "--no-banner", "--report-format", "json",
                    "--report-path", report, "--exit-code", "0"], capture_output=True)
    with open(report) as fh:
        gl = json.load(fh)
    return pg, {os.path.join(os.path.basename(d), os.path.basename(x["File"])) for x in gl}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mirror", default="/work/.mirror/trufflesecurity+trufflehog/repo")
    ap.add_argument("--gitleaks")
    ap.add_argument("--work", default="/tmp/thpat")
    ap.add_argument("--misses", help="write the positives phiguard misses here (TSV)")
    a = ap.parse_args()
    git = ["git", "--git-dir", a.mirror]
    names = subprocess.run(git + ["ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split()
    for d in ("pos", "neg"):
        shutil.rmtree(os.path.join(a.work, d), ignore_errors=True)
        os.makedirs(os.path.join(a.work, d))
    det, text, unparsed, why = {}, {}, collections.Counter(), collections.Counter()
    for name in sorted(names):
        if not re.fullmatch(r"pkg/detectors/.*(?<!_integration)_test\.go", name):
            continue
        src = subprocess.run(git + ["show", "HEAD:" + name], capture_output=True, text=True).stdout
        detector = os.path.dirname(name)[len("pkg/detectors/"):]
        for t, pos, reason in cases(src):
            if t is None:
                unparsed[detector] += 1
                why[reason.split(" to ")[0]] += 1
                continue
            f = f"{'pos' if pos else 'neg'}/case_{len(det) + sum(unparsed.values()):05d}.txt"
            with open(os.path.join(a.work, f), "w") as fh:
                fh.write(t if t.endswith("\n") else t + "\n")
            det[f], text[f] = detector, t
    print(f"unparsed cases: {sum(unparsed.values())};", ", ".join(f"{k} {v}" for k, v in why.items()))
    print("  by detector:", ", ".join(f"{k} {v}" for k, v in unparsed.most_common(15)))

    pg, gl = set(), set()
    for d in ("pos", "neg"):
        p, g = flagged(a, os.path.join(a.work, d))
        pg, gl = pg | p, gl | g
    pos = {f for f in det if f.startswith("pos")}
    neg = set(det) - pos
    also = (lambda s: f", gitleaks {len(gl & s)}") if a.gitleaks else (lambda s: "")
    print(f"positives: phiguard found {len(pg & pos)} of {len(pos)}{also(pos)}"
          f"  ({len({det[f] for f in pos})} detectors)")
    print(f"negatives: phiguard flagged {len(pg & neg)} of {len(neg)}{also(neg)}")
    if a.gitleaks:
        print(f"positives found by both {len(pg & gl & pos)}, phiguard only {len((pg - gl) & pos)},"
              f" gitleaks only {len((gl - pg) & pos)}, neither {len(pos - pg - gl)}")
        rows = collections.defaultdict(lambda: [0, 0, 0, 0])  # positives, pg, gl, gl not pg
        for f in pos:
            for col, hit in enumerate((True, f in pg, f in gl, f in gl and f not in pg)):
                rows[det[f]][col] += hit
        short = sorted((r for r in rows.items() if r[1][3]), key=lambda r: (-r[1][3], r[0]))
        print(f"\ndetectors where gitleaks finds positives phiguard misses ({len(short)}; top 40):")
        print(f"  {'detector':<36} {'pos':>4} {'pg':>4} {'gl':>4} {'deficit':>7}")
        for d, (t, p, g, o) in short[:40]:
            print(f"  {d:<36} {t:>4} {p:>4} {g:>4} {o:>7}")
    if a.misses:
        with open(a.misses, "w") as fh:
            for f in sorted(pos - pg, key=lambda f: (det[f], f)):
                flat = text[f]
                for raw, esc in (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
                    flat = flat.replace(raw, esc)
                fh.write(f"{det[f]}\t{'gitleaks' if f in gl else 'none'}\t{flat}\n")
        print(f"\nmisses (positives phiguard does not find) written to {a.misses}")


if __name__ == "__main__":
    main()
