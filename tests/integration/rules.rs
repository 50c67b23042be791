//! Rule packs, configuration errors and the prefilter's neutrality.

use crate::common::{SSN, TempRepo, phiguard_stdin};

#[test]
fn builtin_rules_pass_their_own_examples() {
    let repo = TempRepo::new();
    let r = repo.phiguard(&["rules", "check"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out().contains("0 failure(s)"), "{}", r.out());
}

#[test]
fn rules_list_names_every_builtin() {
    let repo = TempRepo::new();
    let r = repo.phiguard(&["rules", "list"]);
    assert_eq!(r.code, 0);
    for id in [
        "phi.ssn",
        "secret.aws.access-key-id",
        "secret.private-key",
        "secret.github-token",
    ] {
        assert!(r.out().contains(id), "{id} missing: {}", r.out());
    }
}

#[test]
fn malformed_pack_exits_2_naming_file_rule_and_key() {
    let repo = TempRepo::new();
    repo.write(
        "bad.toml",
        "[[rules]]\nid = \"org.mrn\"\nname = \"x\"\ncategory = \"phi\"\nseverity = \"block\"\npattern = 'x'\nkeywords = [\"mrn\"]\npatern = 'y'\n",
    );
    let r = repo.phiguard(&["scan", ".", "--rules", "bad.toml"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let e = r.err();
    assert!(
        e.contains("bad.toml")
            && e.contains("org.mrn")
            && e.contains("patern")
            && e.contains("line 8"),
        "{e}"
    );
}

#[test]
fn pack_with_bad_regex_or_validator_exits_2() {
    let repo = TempRepo::new();
    // (file, rule id, the rule's last lines, words the error must hold)
    let cases: &[(&str, &str, &str, [&str; 2])] = &[
        (
            "re.toml",
            "org.x",
            "pattern = '(unclosed'\n",
            ["org.x", "pattern"],
        ),
        (
            "val.toml",
            "org.y",
            "pattern = 'x'\nvalidator = \"nope\"\n",
            ["validator", "nope"],
        ),
        (
            "filter.toml",
            "org.z",
            "pattern = 'x'\nline_filter = \"nope\"\n",
            ["line_filter", "nope"],
        ),
    ];
    for (file, id, tail, words) in cases {
        repo.write(
            file,
            format!(
                "[[rules]]\nid = \"{id}\"\nname = \"n\"\ncategory = \"phi\"\nseverity = \"block\"\nkeywords = [\"xx\"]\n{tail}"
            ),
        );
        let r = repo.phiguard(&["scan", ".", "--rules", file]);
        assert_eq!(r.code, 2, "{file}: {}", r.all());
        assert!(
            words.iter().all(|w| r.err().contains(w)),
            "{file}: {}",
            r.err()
        );
    }
}

#[test]
fn custom_rule_from_config_finds_an_org_mrn() {
    let repo = TempRepo::new();
    repo.write(
        ".phiguard.toml",
        "[[rules.custom]]\nid = \"org.mrn\"\nname = \"Acme MRN\"\ncategory = \"phi\"\nseverity = \"block\"\nkeywords = [\"acme-\"]\npattern = '''\\bACME-(?P<value>\\d{7})\\b'''\n",
    );
    repo.write("a.txt", "patient ACME-4471923 seen\n");
    let r = repo.phiguard(&["scan", "a.txt", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.rules(), vec!["org.mrn"]);
}

#[test]
fn config_can_disable_rules_and_rejects_unknown_ids() {
    let repo = TempRepo::new();
    repo.write("a.txt", format!("ssn {SSN}\n"));
    repo.write(".phiguard.toml", "[rules]\ndisable = [\"phi.ssn\"]\n");
    assert_eq!(repo.phiguard(&["scan", "a.txt"]).code, 0);
    repo.write(".phiguard.toml", "[rules]\ndisable = [\"phi.nope\"]\n");
    let r = repo.phiguard(&["scan", "a.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("phi.nope"), "{}", r.err());
    repo.write(
        ".phiguard.toml",
        "[rules.severity]\n\"phi.ssn\" = \"warn\"\n",
    );
    assert_eq!(repo.phiguard(&["scan", "a.txt"]).code, 0);
}

#[test]
fn no_config_ignores_a_broken_config() {
    let repo = TempRepo::new();
    repo.write(".phiguard.toml", "this is not toml");
    repo.write("a.txt", "fine\n");
    assert_eq!(repo.phiguard(&["scan", "a.txt"]).code, 2);
    assert_eq!(repo.phiguard(&["scan", "a.txt", "--no-config"]).code, 0);
}

#[test]
fn prefilter_never_changes_results() {
    let corpus = format!(
        "ssn: {SSN}\nsocial security\n\n536904399\norder 536904399\n{{\"ssn\":\"772104567\"}}\n\
         key=AKIAOUDOCUZRENUN7Z5J 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\nversion 1.2.3 536.90.4399\n\
         SSN 536.90.4399\n"
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--stdin-filename",
            "a.txt",
            "-",
            "--format",
            "json",
            "--strict",
        ];
        args.extend_from_slice(extra);
        let mut found = phiguard_stdin(&args, corpus.as_bytes()).json()["findings"].clone();
        // Each run has its own fingerprint key (no repository): compare the rest.
        for f in found.as_array_mut().unwrap() {
            f.as_object_mut().unwrap().remove("fingerprint");
        }
        found
    };
    let on = run(&[]);
    let off = run(&["--no-prefilter"]);
    assert!(on.as_array().unwrap().len() >= 5, "{on}");
    assert_eq!(on, off);
}

#[test]
fn config_show_names_where_values_come_from() {
    let repo = TempRepo::new();
    repo.write("base.toml", "[scan]\nmax_file_bytes = 1234\n");
    repo.write(
        ".phiguard.toml",
        "extend = \"base.toml\"\n[scan]\nexclude = [\"vendor/**\"]\n",
    );
    let r = repo.phiguard(&["config", "show"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = r.out();
    assert!(
        out.contains("max_file_bytes = 1234") && out.contains("base.toml"),
        "{out}"
    );
    assert!(
        out.contains("vendor/**") && out.contains(".phiguard.toml"),
        "{out}"
    );
    repo.write(".phiguard.toml", "extend = \".phiguard.toml\"\n");
    let r = repo.phiguard(&["config", "show"]);
    assert_eq!(r.code, 2, "an extend cycle is an error: {}", r.all());
}

#[test]
fn completions_are_generated() {
    let repo = TempRepo::new();
    let r = repo.phiguard(&["completions", "bash"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.out().contains("phiguard") && r.out().contains("--staged"),
        "{}",
        &r.out()[..200.min(r.out().len())]
    );
}
