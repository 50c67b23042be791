use super::*;

#[test]
fn translate_table() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        (r"(?i)abc[0-9]{4}", Ok(r"(?i)abc[0-9]{4}")),
        (r"\Qa.b\E+", Ok(r"a\.b+")),
        (r"[[:alnum:]]{8}\z", Ok(r"[[:alnum:]]{8}\z")),
        (r"foo(?=bar)", Err("lookaround")),
        (r"(?<!x)foo", Err("lookaround")),
        (r"(a)\1", Err("backreferences")),
        (r"[\d(]", Ok(r"[\d(]")),
        (r"\C", Err("\\C")),
        (r"\pL+", Ok(r"(?u:\pL+)")),
        (r"(unclosed", Err("does not compile")),
        (r"^\$(?:\d+|{\d+})$", Ok(r"^\$(?:\d+|\{\d+\})$")),
        (r"^\{\d{0,2}}$", Ok(r"^\{\d{0,2}\}$")),
        (r"a{2,}b{3}", Ok(r"a{2,}b{3}")),
    ];
    for (re, want) in cases {
        match (translate(re), want) {
            (Ok(got), Ok(w)) => assert_eq!(&got, w, "{re}"),
            (Err(got), Err(w)) => assert!(got.contains(w), "{re}: {got}"),
            (got, w) => panic!("{re}: got {got:?}, want {w:?}"),
        }
    }
}

#[test]
fn value_group_table() {
    let cases: &[(&str, Option<i64>, Result<&str, &str>)] = &[
        (r"key=(\w+)", None, Ok(r"key=(?P<value>\w+)")),
        (r"(?:a|b)=(x)(y)", Some(2), Ok(r"(?:a|b)=(x)(?P<value>y)")),
        (r"a(?P<tok>\d+)", Some(1), Ok(r"a(?P<value>\d+)")),
        (r"a[(]b(c)", None, Ok(r"a[(]b(?P<value>c)")),
        (r"abc", None, Ok("abc")),
        (r"(a)", Some(0), Ok("(a)")),
        (r"(a)", Some(3), Err("has 1 groups")),
    ];
    for (p, g, want) in cases {
        match (mark_value_group(p, *g), want) {
            (Ok(got), Ok(w)) => assert_eq!(&got, w, "{p}"),
            (Err(got), Err(w)) => assert!(got.contains(w), "{p}: {got}"),
            (got, w) => panic!("{p}: got {got:?}, want {w:?}"),
        }
    }
}

#[test]
fn detection_table() {
    let cases: &[(&str, bool)] = &[
        ("[[rules]]\nid = \"x\"\nregex = '''abc'''\n", true),
        ("title = \"t\"\n[extend]\nuseDefault = true\n", true),
        ("[[rules]]\nid = \"x\"\npath = '''\\.pem$'''\n", true),
        (
            "[[rules]]\nid = \"x\"\nname = \"x\"\ncategory = \"secret\"\nseverity = \"block\"\npattern = 'a'\nkeywords = [\"a\"]\n",
            false,
        ),
        ("not toml [", false),
    ];
    for (text, want) in cases {
        assert_eq!(looks_like(text), *want, "{text}");
    }
}

#[test]
fn converts_rules_and_warns() {
    let text = r#"
title = "team rules"
[extend]
useDefault = true
[allowlist]
stopwords = ["sandbox"]
paths = ['''vendor/''']

[[rules]]
id = "Acme_API-Key"
description = "Acme API key"
regex = '''acme_(?:live|dev)_([a-z0-9]{24})'''
secretGroup = 1
entropy = 3.2
keywords = ["acme_live", "acme_dev"]
[rules.allowlist]
regexes = ['''^0+$''']

[[rules]]
id = "lookahead"
regex = '''tok(?=[0-9])'''

[[rules]]
id = "pem-files"
path = '''\.pem$'''
"#;
    let pack = convert("team.toml", text).unwrap();
    assert_eq!(pack.rules.len(), 1);
    let r = &pack.rules[0];
    assert_eq!(r.id, "gitleaks.acme_api-key");
    assert_eq!(r.pattern, "acme_(?:live|dev)_(?P<value>[a-z0-9]{24})");
    assert_eq!(r.keywords, ["acme_live", "acme_dev"]);
    assert_eq!(r.entropy, Some(3.2));
    assert_eq!(r.allow, ["(?i)sandbox", "^0+$"]);
    let joined = pack.warnings.join("\n");
    for needle in [
        "useDefault",
        "allowlist paths",
        "rule lookahead: skipped: lookaround",
        "rule pem-files: skipped: path-only",
    ] {
        assert!(joined.contains(needle), "missing {needle:?} in {joined}");
    }
}

#[test]
fn rule_without_id_is_an_error() {
    let err = convert("bad.toml", "[[rules]]\nregex = 'a'\n").unwrap_err();
    assert!(err.to_string().contains("bad.toml"), "{err}");
}
