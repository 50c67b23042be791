//! Unit tests of matching, rebuilding and importing (fingerprints are made up: no values).

use super::*;
use crate::rules::{Category, Severity};
use std::sync::Arc;

fn finding(rule: &str, path: &str, hash: &str, line: u32) -> Finding {
    Finding {
        rule: Arc::from(rule),
        category: Category::Phi,
        severity: Severity::Block,
        path: Arc::from(path),
        line,
        column: 1,
        end_column: 2,
        utf16_columns: (1, 2),
        utf16_end: (line, 2),
        commit: None,
        refname: None,
        excerpt: String::new(),
        fingerprint: format!("{rule}:{path}:{hash}"),
        message: String::new(),
        suppressed: None,
        reason: None,
    }
}

fn report(findings: Vec<Finding>) -> Report {
    let mut r = Report {
        findings,
        ..Report::default()
    };
    r.tally();
    r
}

#[test]
fn hash_entries_cover_their_value_and_count_entries_their_number() {
    let old = report(vec![
        finding("phi.ssn", "a.sql", "0a1b2", 3),
        finding("phi.dob", "a.sql", "-", 3),
        finding("phi.dob", "a.sql", "-", 4),
    ]);
    let b = Baseline::new(false).unwrap().rebuilt(&old.findings, &[]);
    assert_eq!(b.entries.len(), 2);
    // Lines moved, one more birth date, another SSN: the new ones block.
    let mut now = report(vec![
        finding("phi.ssn", "a.sql", "0a1b2", 10),
        finding("phi.ssn", "a.sql", "77777", 11),
        finding("phi.dob", "a.sql", "-", 12),
        finding("phi.dob", "a.sql", "-", 13),
        finding("phi.dob", "a.sql", "-", 14),
        finding("phi.ssn", "b.sql", "0a1b2", 1),
    ]);
    let applied = b.apply(&mut now);
    assert!(applied.stale.is_empty());
    assert_eq!(now.summary.baselined, 3);
    assert_eq!(now.summary.block, 3);
    let blocking: Vec<(&str, u32)> = now.findings.iter().map(|f| (&*f.path, f.line)).collect();
    assert_eq!(blocking, [("a.sql", 11), ("a.sql", 14), ("b.sql", 1)]);
}

#[test]
fn entries_nothing_matches_are_stale() {
    let b = Baseline::new(false).unwrap().rebuilt(
        &[
            finding("phi.ssn", "a.sql", "0a1b2", 3),
            finding("phi.dob", "a.sql", "-", 3),
            finding("phi.dob", "a.sql", "-", 4),
        ],
        &[],
    );
    let mut now = report(vec![finding("phi.dob", "a.sql", "-", 4)]);
    let applied = b.apply(&mut now);
    let stale: Vec<String> = applied.stale.iter().map(Entry::describe).collect();
    assert_eq!(stale, ["phi.dob:a.sql (count 2)", "phi.ssn:a.sql:0a1b2"]);
}

#[test]
fn the_file_round_trips_and_rejects_what_it_cannot_read() {
    let mut b = Baseline::new(false).unwrap();
    assert!(b.add("phi.ssn:dir/a.sql:0a1b2", "legacy seed").unwrap());
    assert!(!b.add("phi.ssn:dir/a.sql:0a1b2", "again").unwrap());
    assert!(b.add("phi.zip:dir/a.sql:-", "zips").unwrap());
    assert!(b.add("phi.zip:dir/a.sql:-", "zips").unwrap());
    assert!(b.add("phi.ssn:a.sql:123456789", "x").is_err());
    let text = b.to_text();
    assert!(text.starts_with("# phiguard baseline"));
    let back = Baseline::parse(&text).unwrap();
    assert_eq!(back, b);
    assert_eq!(back.entries[1].count, Some(2));
    assert!(back.key().is_some());
    for bad in [
        "version = 2\n",
        "version = 1\n[[entry]]\nrule = \"r\"\npath = \"p\"\n",
        "version = 1\n[[entry]]\nrule = \"r\"\npath = \"p\"\nhash = \"123456789\"\n",
        "version = 1\nkey = \"xyz\"\n",
        "version = 1\nvalue = \"x\"\n",
    ] {
        assert!(Baseline::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn rebuilding_keeps_reasons_and_the_key() {
    let mut b = Baseline::new(false).unwrap();
    b.add("phi.ssn:a.sql:0a1b2", "legacy").unwrap();
    b.add("phi.ssn:gone.sql:11111", "fixed since").unwrap();
    let again = b.rebuilt(&[finding("phi.ssn", "a.sql", "0a1b2", 9)], &[]);
    assert_eq!(again.key, b.key);
    assert_eq!(again.entries.len(), 1);
    assert_eq!(again.entries[0].reason.as_deref(), Some("legacy"));
}

#[test]
fn gitleaks_reports_and_ignore_files_become_count_entries() {
    let report = r#"[{"RuleID":"aws-access-token","File":"cfg/app.env","Secret":"x","Line":"y"},
        {"RuleID":"aws-access-token","File":"cfg/app.env"},
        {"RuleID":"custom-thing","File":"b.txt"}]"#;
    let mut b = Baseline::new(false).unwrap();
    let listed = gitleaks::from_report(report).unwrap();
    assert_eq!(gitleaks::import(&mut b, &listed, "gitleaks"), 2);
    let ignore = "# comment\n\
        0123456789abcdef0123456789abcdef01234567:src/a:b.py:generic-api-key:12\n\
        docs/x.md:jwt:3\n";
    let listed = gitleaks::from_ignore(ignore).unwrap();
    assert_eq!(
        listed,
        [
            ("generic-api-key".to_owned(), "src/a:b.py".to_owned()),
            ("jwt".to_owned(), "docs/x.md".to_owned())
        ]
    );
    gitleaks::import(&mut b, &listed, "gitleaks");
    let got: Vec<String> = b.entries.iter().map(Entry::describe).collect();
    assert_eq!(
        got,
        [
            "gitleaks.custom-thing:b.txt (count 1)",
            "secret.aws.access-key-id:cfg/app.env (count 2)",
            "secret.generic.api-key:src/a:b.py (count 1)",
            "secret.jwt:docs/x.md (count 1)",
        ]
    );
    assert!(gitleaks::from_ignore("just text\n").is_err());
    assert!(gitleaks::from_report("{}").is_err());
}
