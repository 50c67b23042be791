#!/usr/bin/env python3
"""Secrets recall on gitleaks' own rule test cases, phiguard beside gitleaks.

Each rule of gitleaks' default config (the `rules.X()` calls in `cmd/generate/config/main.go` of a
bare mirror of gitleaks/gitleaks) declares true and false positives (`tps`, `fps`) in Go, checked by
`utils.Validate`. Without Go, a small interpreter for the Go those files use (literals, `+`,
composite literals, `append`, `var`/`:=`, `for ... range`, calls) runs each rule function with the
mirror's own helpers (`cmd/generate/config/utils`: `GenerateSampleSecrets`, `Hex`, ...).
`secrets.NewSecret(regex)` is exrex with a fixed seed, set up like gitleaks' reggen `Generate(1)`:
ASCII classes, repeats at or one past their minimum. A tps entry that cannot be evaluated is
skipped and counted as unparsed for its rule.

Each case is written as is to its own file under --work/cases (`case_NNNNN.conf`, or
`case_NNNNN/<path>` for `ValidateWithPaths` rules, whose file name matters); `phiguard scan DIR
--no-config --format json` and, with --gitleaks, `gitleaks dir` run over them. A case is found
when its file gets any finding. Prints found/total for tps and fps, and per rule the tps each tool
finds, worst phiguard deficit first. --misses writes each tp gitleaks finds and phiguard does not
as `rule-id<TAB>text`, backslash, newline, tab and CR escaped (`\\\\`, `\\n`, `\\t`, `\\r`), a
path-dependent case led by `[file NAME] `. No test: a benchmark. Needs exrex (`pip install exrex`).
Keep --work free of path words phiguard treats as test data (test, example, fixture, sample).

    python3 bench/gitleaks_tps.py --bin target/release/phiguard --gitleaks target/bench/peers/gitleaks
        [--mirror /work/.mirror/gitleaks+gitleaks/repo] [--work /tmp/gltps]
        [--misses /tmp/gltps/misses.tsv] [--flagged /tmp/gltps/flagged.tsv] [--seed 1] [--all]

--flagged writes each fp phiguard flags with the rules (and severities) that flagged it: many
of gitleaks' fps for one rule are live-looking credentials of another provider.
"""

import argparse
import base64
import collections
import json
import operator
import os
import random
import re
import shutil
import subprocess
import types

import exrex

# ---- Go tokens, with Go's automatic semicolons ----

TOK = re.compile(
    r'(?P<sp>[ \t\r]+)|(?P<nl>\n)|(?P<com>//[^\n]*|/\*.*?\*/)|(?P<raw>`[^`]*`)|(?P<str>"(?:\\.|[^"\\\n])*")'
    r'|(?P<num>\d+(?:\.\d+)?)|(?P<id>[A-Za-z_]\w*)|(?P<op>\.\.\.|:=|\+=|==|!=|&&|\|\||<=|>=|\+\+|--|[^\s\w])', re.S)
ESC = {'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}


def unquote(s):
    def one(m):
        g = m.group(1)
        return chr(int(g[1:], 16)) if g[0] in 'xuU' else chr(int(g, 8)) if g[0].isdigit() else ESC.get(g, g)
    return re.sub(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)', one, s[1:-1], flags=re.S)


def tokenize(src):
    out = []
    for m in TOK.finditer(src):
        k, v = m.lastgroup, m.group()
        if k == 'nl' or (k == 'com' and '\n' in v):
            if out and (out[-1][0] in ('id', 'str', 'num') or out[-1][1] in (')', ']', '}', '++', '--')):
                out.append(('op', ';'))
        elif k in ('raw', 'str'):
            out.append(('str', v[1:-1].replace('\r', '') if k == 'raw' else unquote(v)))
        elif k in ('num', 'id', 'op'):
            out.append((k, (float(v) if '.' in v else int(v)) if k == 'num' else v))
    return out + [('op', ';'), ('eof', None)]


# ---- interpreter: evaluates Go as it reads the tokens, no syntax tree ----

class GoList(list):
    bad = 0  # entries that could not be evaluated


class GoMap(dict):
    bad = 0


class Return(Exception):
    pass


class Env(dict):  # a scope; a package's is the outermost
    def __init__(s, parent=None):
        super().__init__()
        s.parent = parent

    def find(s, n):
        while s is not None and n not in s:
            s = s.parent
        return s


def func(toks, pos, params, pkg):  # a Go function as a Python one
    def call(*args, tol=False):
        env = Env(pkg)
        env.update(zip(params, args))
        try:
            Go(toks, pos).block(env, tol)
        except Return as r:
            return r.args[0]
    return call


PKGS, CASES, CUR = {}, [], {'skipped': 0}


def failed():
    x = GoList()
    x.bad = 1
    return x


def zero(t):
    if t and t[0] in ('slice', 'map'):
        return GoList() if t[0] == 'slice' else GoMap()
    return {'string': '', 'int': 0, 'bool': False}.get(t[1] if t else None)


class Go:
    """A cursor over one file's tokens that runs what it reads. Where `tol` (a rule function), a
    statement that fails marks what it assigns as failed; inside a composite literal or `append`
    a failing entry is skipped and counted in the result's `bad`."""

    def __init__(s, toks, i=0):
        s.t, s.i = toks, i

    def peek(s):  # the next operator or identifier; None for a literal
        return s.t[s.i][1] if s.t[s.i][0] in ('op', 'id') else None

    def next(s):
        s.i += 1
        return s.t[s.i - 1][1]

    def accept(s, v):
        hit = s.peek() == v
        s.i += hit
        return hit

    def expect(s, v):
        if not s.accept(v):
            raise SyntaxError(f'expected {v}, got {s.t[s.i][1]!r}')

    def ident(s):
        if s.t[s.i][0] != 'id':
            raise SyntaxError(f'expected a name, got {s.t[s.i][1]!r}')
        return s.next()

    def skip(s, stops):  # to a stop token at depth 0, or past one bracketed group if no stops
        d = 0
        while s.t[s.i][0] != 'eof' and not (d == 0 and s.peek() in stops):
            d += (s.peek() in ('(', '[', '{')) - (s.peek() in (')', ']', '}'))
            s.i += 1
            if d == 0 and not stops:
                return

    def declare(s, pkg):  # a file's top level: functions, and package variables run now
        while s.t[s.i][0] != 'eof':
            if s.accept('func'):
                if s.peek() == '(':  # a method's receiver
                    s.skip(())
                name, params = s.ident(), []
                s.expect('(')
                while not s.accept(')'):
                    params.append(s.ident())
                    s.skip((',', ')'))  # the type
                    s.accept(',')
                s.skip(('{',))  # the result type
                pkg[name] = func(s.t, s.i, params, pkg)
                s.skip(())
            elif s.peek() in ('var', 'const'):
                s.stmt(pkg, True)
            else:  # package, import, type
                s.skip((';',))
                s.next()

    def block(s, env, tol):
        s.expect('{')
        while not s.accept('}'):
            if s.t[s.i][0] == 'eof':
                raise SyntaxError('unterminated block')
            if not s.accept(';'):
                s.stmt(env, tol)

    def targets(s):  # the names a statement assigns
        t, i, names = s.t, s.i, []
        if t[i] == ('id', 'var') and t[i + 1][0] == 'id':
            return [t[i + 1][1]]
        while t[i][0] == 'id':
            names.append(t[i][1])
            if t[i + 1] != ('op', ','):
                break
            i += 2
        return names if t[i + 1][0] == 'op' and t[i + 1][1] in (':=', '=', '+=') else []

    def stmt(s, env, tol):
        start, names = s.i, s.targets()
        try:
            if s.accept('var') or s.accept('const'):
                group = s.accept('(')
                while not (group and s.accept(')')):
                    if not s.accept(';'):
                        ns = [s.ident()]
                        while s.accept(','):
                            ns.append(s.ident())
                        t = None if s.peek() == '=' else s.typ()
                        s.assign(env, ns, ':=') if s.accept('=') else env.update((n, zero(t)) for n in ns)
                        if not group:
                            break
            elif s.accept('return'):
                raise Return(None if s.peek() in (';', '}') else s.expr(env))
            elif s.accept('for'):  # only `for [k[, v] :=] range X {...}`
                ks = []
                while s.t[s.i][0] == 'id' and s.peek() != 'range':
                    ks.append(s.next())
                    s.accept(',')
                if ks and s.next() not in (':=', '='):
                    raise SyntaxError('for')
                s.expect('range')
                seq, body = s.expr(env, nb=True), s.i
                for kv in list(seq.items() if isinstance(seq, dict) else enumerate(seq)):
                    s.i, inner = body, Env(env)
                    inner.update((k, v) for k, v in zip(ks, kv) if k != '_')
                    s.block(inner, tol)
                s.i = body
                s.skip(())
            elif names:
                s.i += 2 * len(names) - 1
                s.assign(env, names, s.next())
            else:
                s.expr(env)
            if s.peek() not in (';', '}'):
                raise SyntaxError(f'unexpected {s.t[s.i][1]!r}')
        except Return:
            raise
        except Exception:
            if not tol:
                raise
            s.i = start
            s.skip((';', '}'))
            env.update((n, failed()) for n in names if n != '_')
            CUR['skipped'] += not names

    def assign(s, env, names, op):
        vals = [s.expr(env)]
        while s.accept(','):
            vals.append(s.expr(env))
        for n, v in zip(names, list(vals[0]) if len(names) > 1 and len(vals) == 1 else vals):
            e = env if op == ':=' or env.find(n) is None else env.find(n)
            if n != '_':
                e[n] = e[n] + v if op == '+=' else v

    def expr(s, env, nb=False):  # nb: a `{` ends it (a for header); `+` is the only operator used
        x = s.operand(env, nb)
        while s.accept('+'):
            x = x + s.operand(env, nb)
        return x

    def operand(s, env, nb):
        s.accept('&')
        k, v = s.t[s.i]
        if k in ('str', 'num'):
            x = s.next()
        elif s.accept('('):
            x = s.expr(env)
            s.expect(')')
        elif s.peek() in ('[', 'map'):
            t = s.typ()
            if s.peek() == '{':
                x = s.comp(env, t)
            elif s.accept('('):  # a conversion, like []byte(x)
                x = s.expr(env)
                x = x.encode() if t == ('slice', ('named', 'byte')) and isinstance(x, str) else x
                s.accept(',')
                s.expect(')')
            else:
                x = t  # a type as an argument, as to make()
        elif k == 'id':
            x = s.name(env, nb)
        else:
            raise SyntaxError(f'unexpected {v!r}')
        while True:
            if s.accept('.'):
                a = s.ident()
                x = x[a] if isinstance(x, dict) else getattr(x, a)
            elif s.accept('('):
                args = []
                while not s.accept(')'):
                    args.append(s.expr(env))
                    if s.accept('...'):
                        args[-1:] = list(args[-1])
                    s.accept(',')
                x = x(*args)
            else:
                return x

    def name(s, env, nb):
        n = s.next()
        t, i, e = s.t, s.i, env.find(n)
        if not nb and e is None and ('op', '{') in (t[i], t[i + 2] if t[i] == ('op', '.') else None):
            s.i += 0 if t[i] == ('op', '{') else 2
            return s.comp(env, ('named', n))  # a struct literal: field name -> value
        if n == 'append' and s.accept('('):
            return s.append(env)
        if e is not None:
            return e[n]
        if n in BUILTINS:
            return BUILTINS[n]
        if s.accept('.'):  # another package's name
            a = s.ident()
            return PKGS[n][a] if a in PKGS.get(n, ()) else NATIVES[f'{n}.{a}']
        raise NameError(n)

    def append(s, env):  # after `append(`; a failing argument is counted, not fatal
        out, first = GoList(), True
        while not s.accept(')'):
            start = s.i
            try:
                v = s.expr(env)
                if first or s.accept('...'):
                    out.extend(v or [])
                    out.bad += getattr(v, 'bad', 0)
                else:
                    out.append(v)
            except Exception:
                s.i = start
                s.skip((',', ')'))
                out.bad += 1
            first = False
            s.accept(',')
        return out

    def comp(s, env, t):  # composite literal of type t
        s.expect('{')
        out = GoList() if t[0] == 'slice' else GoMap()
        while not s.accept('}'):
            start = s.i
            try:
                if t[0] == 'slice':
                    out.append(s.elem(env, t[1]))
                else:
                    k = s.elem(env, t[1]) if t[0] == 'map' else s.ident()
                    s.expect(':')
                    out[k] = s.elem(env, t[2] if t[0] == 'map' else None)
            except Exception:
                s.i = start
                s.skip((',', '}'))
                out.bad += 1
            s.accept(',')
        return out

    def elem(s, env, t):  # an element may leave its type out: `{...}`
        return s.comp(env, t or ('named', '?')) if s.peek() == '{' else s.expr(env)

    def typ(s):
        v = s.next()
        if v == '[':
            s.skip((']',))
            s.next()
            return ('slice', s.typ())
        if v == 'map':
            s.expect('[')
            k = s.typ()
            s.expect(']')
            return ('map', k, s.typ())
        if v in ('*', '...'):
            return s.typ()
        if s.t[s.i - 1][0] != 'id' or v in ('func', 'struct', 'interface', 'chan'):
            raise SyntaxError('type')
        return ('named', v + '.' + s.ident() if s.accept('.') else v)


# ---- natives: what the rules use outside the mirror's utils package ----

# secrets.NewSecret is reggen's Generate(1): ASCII classes (Go's \w), repeats near their minimum
exrex.CATEGORIES[exrex.sre_parse.CATEGORY_WORD] = [c for c in map(chr, range(128)) if re.match(r'\w', c)]
exrex.CATEGORIES[exrex.sre_parse.CATEGORY_NOT_WORD] = [c for c in map(chr, range(32, 127)) if re.match(r'\W', c)]


def new_secret(rx):
    return exrex.getone(rx.replace('(?i)', '').replace(r'\z', r'\Z'), 2)


def plausible(rx):  # rules.newPlausibleSecret: has a digit 1-9 and no stop word
    stop = PKGS['rules']['DefaultStopWords']
    for _ in range(100000):
        s = new_secret(rx)
        if re.search('[1-9]', s) and not any(w in s.lower() for w in stop):
            return s
    raise ValueError('no plausible secret')


def sprintf(fmt, *args):  # fmt.Sprintf; the rules use %s only
    it = iter(args)
    return re.sub(r'%[%sdvq]', lambda m: '%' if m.group() == '%%' else str(next(it)), fmt)


def replacer(*a):  # strings.NewReplacer
    pairs, rx = dict(reversed(list(zip(a[::2], a[1::2])))), re.compile('|'.join(map(re.escape, a[::2])))
    return types.SimpleNamespace(Replace=lambda text: rx.sub(lambda m: pairs[m.group()], text))


def encoding(fn, pad):  # an encoding/base64 Encoding
    return types.SimpleNamespace(
        EncodeToString=lambda b: fn(b if isinstance(b, bytes) else b.encode()).decode().rstrip('' if pad else '='))


def validate(r, tps, fps, *_):  # utils.Validate and utils.ValidateWithPaths: record the cases
    def items(v):
        return list(v.items()) if isinstance(v, dict) else [(None, t) for t in v or []]
    rid = (r.get('RuleID') if isinstance(r, dict) else None) or CUR['func']
    CASES.append({'rule': rid, 'tps': items(tps), 'fps': items(fps), 'bad': getattr(tps, 'bad', 0) + CUR['skipped']})


ENC = {'StdEncoding': encoding(base64.b64encode, True), 'RawStdEncoding': encoding(base64.b64encode, False),
       'URLEncoding': encoding(base64.urlsafe_b64encode, True),
       'RawURLEncoding': encoding(base64.urlsafe_b64encode, False)}
NATIVES = {'secrets.NewSecret': new_secret, 'fmt.Sprintf': sprintf,
           'strings.ToUpper': str.upper, 'strings.ToLower': str.lower, 'strings.Repeat': operator.mul,
           'strings.Join': lambda a, sep: sep.join(a), 'strings.NewReplacer': replacer,
           'regexp.MustCompile': lambda s: s,
           **{f'{a}.{k}': v for a in ('b64', 'base64') for k, v in ENC.items()}}
BUILTINS = {'make': lambda t, *a: zero(t), 'len': len, 'nil': None, 'true': True, 'false': False,
            'string': lambda v: v.decode() if isinstance(v, bytes) else v}


# ---- cases, scans, report ----

def git(mirror, *args):
    return subprocess.run(["git", "--git-dir", mirror, *args], capture_output=True, text=True, check=True).stdout


def generate(mirror):
    """Run each rule function of gitleaks' default config; returns those that recorded no cases."""
    for name in ('utils', 'rules'):
        PKGS[name] = Env()
        for f in sorted(git(mirror, "ls-tree", "-r", "--name-only", "HEAD", f"cmd/generate/config/{name}/").split()):
            if f.endswith('.go') and not f.endswith('_test.go'):
                Go(tokenize(git(mirror, "show", "HEAD:" + f))).declare(PKGS[name])
    PKGS['utils'].update(Validate=validate, ValidateWithPaths=validate)
    PKGS['rules']['newPlausibleSecret'] = plausible
    t, silent = tokenize(git(mirror, "show", "HEAD:cmd/generate/config/main.go")), []
    for name in [t[i + 2][1] for i in range(len(t) - 2) if t[i] == ('id', 'rules') and t[i + 1] == ('op', '.')]:
        CUR.update(func=name, skipped=0)
        before = len(CASES)
        PKGS['rules'][name](tol=True)
        silent += [name] if len(CASES) == before else []
    return silent


def case_ids(paths):
    return {m.group() for m in (re.search(r'case_\d{5}', p) for p in paths) if m}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mirror", default="/work/.mirror/gitleaks+gitleaks/repo")
    ap.add_argument("--gitleaks")
    ap.add_argument("--work", default="/tmp/gltps")
    ap.add_argument("--misses", help="write the tps gitleaks finds and phiguard misses here")
    ap.add_argument("--flagged", help="write the fps phiguard flags here, with its rules")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--all", action="store_true", help="per-rule table for every rule, not only deficits")
    a = ap.parse_args()
    random.seed(a.seed)  # exrex draws from the global generator
    silent = generate(a.mirror)

    d = os.path.join(a.work, "cases")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    meta = {}
    for c in CASES:
        for kind in ("tps", "fps"):
            for path, text in c[kind]:
                if not isinstance(text, str):
                    c["bad"] += kind == "tps"
                    continue
                cid = f"case_{len(meta) + 1:05d}"
                f = os.path.join(d, cid, path.lstrip("/")) if path else os.path.join(d, cid + ".conf")
                os.makedirs(os.path.dirname(f), exist_ok=True)
                with open(f, "w") as fh:  # as is: some rules anchor on the end of the text
                    fh.write(text)
                meta[cid] = (c["rule"], kind, path, text)
    tps = {c for c, m in meta.items() if m[1] == "tps"}
    fps = set(meta) - tps

    out = subprocess.run([os.path.abspath(a.bin), "scan", d, "--no-config", "--format", "json"],
                         capture_output=True, text=True)
    try:
        findings = json.loads(out.stdout)["findings"]
    except ValueError:
        raise SystemExit(f"phiguard gave no JSON: {out.stderr.strip()}")
    pg = case_ids(f["path"] for f in findings)
    gl = set()
    if a.gitleaks:
        report = os.path.join(a.work, "gitleaks.json")
        subprocess.run([a.gitleaks, "dir", d, "--no-banner", "--report-format", "json",
                        "--report-path", report, "--exit-code", "0"], capture_output=True)
        with open(report) as fh:
            gl = case_ids(x["File"] for x in json.load(fh))

    def pct(found, of):
        return f"{len(found & of)} of {len(of)} ({100 * len(found & of) / max(len(of), 1):.1f}%)"
    print(f"cases: {len(tps)} tps, {len(fps)} fps from {len(CASES)} rules (seed {a.seed})")
    print(f"tps: phiguard found {pct(pg, tps)}" + (f", gitleaks found {pct(gl, tps)}" if a.gitleaks else ""))
    print(f"fps: phiguard flagged {pct(pg, fps)}" + (f", gitleaks flagged {pct(gl, fps)}" if a.gitleaks else ""))
    bad = sorted(((c["bad"], c["rule"]) for c in CASES if c["bad"]), reverse=True)
    print(f"unparsed tps entries: {sum(n for n, _ in bad)} in {len(bad)} rules", "".join(f", {r} {n}" for n, r in bad))
    if silent:
        print("rule functions with no test cases:", ", ".join(silent))

    per = collections.defaultdict(lambda: [0, 0, 0])
    for cid in tps:
        row = per[meta[cid][0]]
        row[0], row[1], row[2] = row[0] + 1, row[1] + (cid in pg), row[2] + (cid in gl)
    rows = sorted(per.items(), key=lambda kv: (kv[1][1] - kv[1][2], kv[1][1] - kv[1][0], kv[0]))
    if not a.all:
        rows = [r for r in rows if r[1][1] < (r[1][2] if a.gitleaks else r[1][0])]
    print(f"\n{'rule (phiguard deficit first)':<48} {'tps':>5} {'phiguard':>8} {'gitleaks':>8}")
    for rule, (t, p, g) in rows:
        print(f"{rule:<48} {t:>5} {p:>8} {g if a.gitleaks else '-':>8}")
    if a.gitleaks:
        own = [f"{r} {g}/{t}" for r, (t, p, g) in sorted(per.items()) if g < t]
        print("\ngitleaks misses its own tps (generation fidelity):", ", ".join(own) or "none")
    if a.misses:
        with open(a.misses, "w") as fh:
            for cid in sorted((gl if a.gitleaks else tps) & tps - pg):
                rule, _, path, text = meta[cid]
                text = text.replace('\\', '\\\\').replace('\n', '\\n').replace('\t', '\\t').replace('\r', '\\r')
                fh.write(f"{rule}\t{f'[file {path}] ' if path else ''}{text}\n")
        print(f"misses written to {a.misses}")
    if a.flagged:
        rules = collections.defaultdict(set)
        for f in findings:
            for cid in case_ids([f["path"]]):
                rules[cid].add(f"{f['rule']}:{f['severity']}")
        with open(a.flagged, "w") as fh:
            for cid in sorted(fps & pg):
                rule, _, path, text = meta[cid]
                text = text.replace('\\', '\\\\').replace('\n', '\\n')
                fh.write(f"{rule}\t{','.join(sorted(rules[cid]))}\t{f'[file {path}] ' if path else ''}{text}\n")
        print(f"flagged fps written to {a.flagged}")


if __name__ == "__main__":
    main()
