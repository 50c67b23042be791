//! Every output format parses and none contains a matched value.

use crate::common::{AWS_KEY, SSN, TempRepo, assert_no_value, phiguard_stdin};

const PEM_LINE: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";

fn input() -> Vec<u8> {
    format!(
        "ssn: {SSN}\naws_access_key_id = {AWS_KEY}\n-----BEGIN RSA PRIVATE KEY-----\n{PEM_LINE}\n{PEM_LINE}\n-----END RSA PRIVATE KEY-----\n"
    )
    .into_bytes()
}

fn scan(format: &str) -> crate::common::Run {
    let r = phiguard_stdin(
        &[
            "scan",
            "--stdin-filename",
            "app.cfg",
            "-",
            "--format",
            format,
        ],
        &input(),
    );
    assert_eq!(r.code, 1, "{format}: {}", r.all());
    assert_no_value(
        &r.stdout,
        &[SSN, "536904399", AWS_KEY, &AWS_KEY[4..], PEM_LINE],
    );
    assert_no_value(&r.stderr, &[SSN, AWS_KEY]);
    r
}

#[test]
fn json_has_the_contract_fields() {
    let j = scan("json").json();
    assert_eq!(j["version"], 1);
    let findings = j["findings"].as_array().unwrap();
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["phi.ssn", "secret.aws.access-key-id", "secret.private-key"]
    );
    for key in [
        "rule",
        "category",
        "severity",
        "path",
        "line",
        "column",
        "end_column",
        "commit",
        "ref",
        "excerpt",
        "fingerprint",
        "message",
    ] {
        assert!(findings[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(findings[0]["line"], 1);
    assert_eq!(findings[0]["column"], 6);
    assert_eq!(findings[0]["end_column"], 17);
    assert!(findings[0]["commit"].is_null());
    for key in ["block", "warn", "info", "files", "bytes", "elapsed_ms"] {
        assert!(j["summary"].get(key).is_some(), "summary missing {key}");
    }
    assert_eq!(j["summary"]["block"], 3);
}

#[test]
fn jsonl_is_one_object_per_line() {
    let r = scan("jsonl");
    let lines: Vec<serde_json::Value> = r
        .out()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
}

#[test]
fn sarif_is_2_1_0_with_fingerprints() {
    let j = scan("sarif").json();
    assert_eq!(j["version"], "2.1.0");
    let run = &j["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "phiguard");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["level"], "error");
    assert!(
        results[0]["partialFingerprints"]["phiguard/v1"]
            .as_str()
            .unwrap()
            .starts_with("phi.ssn:app.cfg:")
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().len() == 3);
}

#[test]
fn gcc_and_human_formats() {
    let r = scan("gcc");
    let first = r.out().lines().next().unwrap().to_owned();
    assert!(
        first.starts_with("app.cfg:1:6: error: [phi.ssn] "),
        "{first}"
    );
    let r = scan("human");
    assert!(
        r.out().contains("app.cfg:1:6  block  phi.ssn"),
        "{}",
        r.out()
    );
    assert!(r.out().contains("how to fix"), "{}", r.out());
    assert!(!r.out().contains('\x1b'), "no color when not a terminal");
}

#[test]
fn fingerprints_survive_the_line_moving() {
    // Outside a repository with a baseline the key is one run's: the configuration sets one.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("key.toml");
    std::fs::write(
        &config,
        "[report]\nfingerprint_key = \"fixed for this test\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let fp = |text: String| {
        let r = phiguard_stdin(
            &[
                "--config",
                config,
                "scan",
                "--stdin-filename",
                "a.txt",
                "-",
                "--format",
                "json",
            ],
            text.as_bytes(),
        );
        r.json()["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let a = fp(format!("ssn: {SSN}\n"));
    let b = fp(format!("\n\n\nother\nthe ssn: {SSN}\n"));
    assert_eq!(a, b);
    assert!(!a.contains("536") && !a.contains("4399"));
    let c = fp("ssn: 772-10-4567\n".to_owned());
    assert_ne!(a, c);
}

#[test]
fn without_a_configured_or_baseline_key_fingerprints_change_from_run_to_run() {
    // No constant key in the binary: two runs over the same value hash it under two keys.
    let fp = || {
        let r = phiguard_stdin(
            &["scan", "--stdin-filename", "a.txt", "-", "--format", "json"],
            format!("ssn: {SSN}\n").as_bytes(),
        );
        r.json()["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let runs: std::collections::HashSet<String> = (0..4).map(|_| fp()).collect();
    assert!(runs.len() > 1, "{runs:?}");
}

#[test]
fn terminal_control_bytes_are_escaped() {
    let input = format!("\x1b[2J\x1b]0;title\x07 ssn {SSN}\n");
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", "a\x1bb.txt", "-"],
        input.as_bytes(),
    );
    assert_eq!(r.code, 1);
    assert!(
        !r.stdout.contains(&0x1b) && !r.stdout.contains(&0x07),
        "{:?}",
        r.out()
    );
    // Escaped, not dropped (the `2J` itself is masked as a word beside a PHI value).
    assert!(r.out().contains("\\x1b["), "{}", r.out());
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let repo = TempRepo::new();
    repo.write("a.txt", format!("ssn {SSN}\n"));
    let r = repo.phiguard(&["scan", ".", "--color", "always"]);
    assert!(
        r.out().contains('\x1b'),
        "--color always colors: {}",
        r.out()
    );
    let r = repo.phiguard(&["scan", ".", "--color", "always", "--format", "json"]);
    assert!(!r.out().contains('\x1b'), "JSON is never colored");
}

#[test]
fn a_value_inside_a_multi_line_match_is_reported_on_its_own_line() {
    let mut input = input();
    input.extend_from_slice(b"-----BEGIN PRIVATE KEY-----\n");
    for _ in 0..3 {
        input.extend_from_slice(PEM_LINE.as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(format!("ssn {SSN}\n-----END PRIVATE KEY-----\n").as_bytes());
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", "x.txt", "-", "--format", "json"],
        &input,
    );
    let lines: Vec<(String, u64)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        lines.contains(&("secret.private-key".to_owned(), 7)),
        "{lines:?}"
    );
    assert!(lines.contains(&("phi.ssn".to_owned(), 11)), "{lines:?}");
}

#[test]
fn sarif_uris_are_percent_encoded() {
    let r = phiguard_stdin(
        &[
            "scan",
            "--stdin-filename",
            "my notes#1.txt",
            "-",
            "--format",
            "sarif",
        ],
        format!("ssn {SSN}\n").as_bytes(),
    );
    let uri = r.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].clone();
    assert_eq!(uri, "my%20notes%231.txt");
}

#[test]
fn sarif_columns_count_utf16_units_while_json_counts_bytes() {
    // "Zoë 😀 ssn " is 10 characters: 14 bytes, 11 UTF-16 units (the emoji is a pair).
    let text = format!("Zoë 😀 ssn {SSN}\n");
    let run = |format: &str| {
        phiguard_stdin(
            &[
                "scan",
                "--stdin-filename",
                "notes.txt",
                "-",
                "--format",
                format,
            ],
            text.as_bytes(),
        )
        .json()
    };
    let sarif = run("sarif");
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], 12, "{region}");
    assert_eq!(region["endColumn"], 23, "{region}");
    let json = run("json");
    assert_eq!(json["findings"][0]["column"], 15, "{json}");
    assert_eq!(json["findings"][0]["end_column"], 26, "{json}");
}
