//! `phiguard scan` over files, directories, stdin and the staged change.

use crate::common::{AWS_KEY, SSN, TempRepo, phiguard_stdin};

#[test]
fn scan_directory_honours_gitignore_and_skips_lockfiles() {
    let repo = TempRepo::new();
    repo.write(".gitignore", "ignored/\n");
    repo.write("ignored/a.txt", format!("ssn {SSN}\n"));
    repo.write("Cargo.lock", format!("ssn {SSN}\n"));
    repo.write(".env", format!("SSN={SSN}\n"));
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let paths: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, vec![".env"]);
}

/// The rooted paths of a JSON report's findings, in order.
fn finding_paths(r: &crate::common::Run) -> Vec<String> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

/// git's view: a tracked file is in every clone whatever `.gitignore` says (committed
/// `Migrations/*.sql` under a `*.sql` pattern were skipped); an untracked ignored one is not
/// part of the repository and stays skipped.
#[test]
fn scan_reports_tracked_files_that_gitignore_matches() {
    let repo = TempRepo::new();
    repo.add(".gitignore", "*.sql\nbuild/\n");
    repo.write("Migrations/001_seed.sql", format!("-- ssn {SSN}\n"));
    repo.write("build/out/dump.txt", format!("ssn {SSN}\n"));
    repo.git(&["add", "-f", "Migrations/001_seed.sql", "build/out/dump.txt"]);
    repo.commit("seed");
    repo.write("Migrations/002_local.sql", format!("-- ssn {SSN}\n"));
    repo.write("build/out/untracked.txt", format!("ssn {SSN}\n"));
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        finding_paths(&r),
        vec!["Migrations/001_seed.sql", "build/out/dump.txt"]
    );
    let r = repo.phiguard_in(
        &repo.path().join("Migrations"),
        &["scan", ".", "--format", "json"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(finding_paths(&r), vec!["001_seed.sql"]);
    crate::common::assert_no_value(&r.stdout, &[SSN]);
}

/// Outside a repository (a tree export, an unpacked archive) nothing is ignored: the
/// `.gitignore` that came along describes someone else's untracked files.
#[test]
fn scan_outside_a_repository_ignores_gitignore() {
    let repo = TempRepo::new();
    let plain = tempfile::tempdir().unwrap();
    let dir = plain.path();
    std::fs::write(dir.join(".gitignore"), "*.sql\nexport/\n").unwrap();
    std::fs::create_dir_all(dir.join("Migrations")).unwrap();
    std::fs::create_dir_all(dir.join("export")).unwrap();
    std::fs::write(dir.join("Migrations/001.sql"), format!("-- ssn {SSN}\n")).unwrap();
    std::fs::write(dir.join("export/rows.csv"), format!("ssn\n{SSN}\n")).unwrap();
    let r = repo.phiguard_in(dir, &["scan", ".", "--format", "json"], None);
    assert_eq!(r.code, 1, "{}", r.all());
    let mut paths = finding_paths(&r);
    paths.sort();
    assert_eq!(paths, vec!["Migrations/001.sql", "export/rows.csv"]);
}

#[test]
fn scan_stdin_as_a_named_file() {
    let r = phiguard_stdin(
        &[
            "scan",
            "--stdin-filename",
            "src/main.rs",
            "-",
            "--format",
            "gcc",
        ],
        format!("let ssn = \"{SSN}\";\n").as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.out().starts_with("src/main.rs:1:12: error: [phi.ssn]"),
        "{}",
        r.out()
    );
    crate::common::assert_no_value(&r.stdout, &[SSN]);
}

#[test]
fn stdin_without_a_name_is_a_usage_error() {
    let r = phiguard_stdin(&["scan", "-"], b"x");
    assert_eq!(r.code, 2, "{}", r.all());
}

#[test]
fn missing_path_is_an_error() {
    let repo = TempRepo::new();
    let r = repo.phiguard(&["scan", "does-not-exist"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("does-not-exist"));
}

#[test]
fn test_paths_downgrade_block_to_warn() {
    let repo = TempRepo::new();
    repo.write("tests/fixtures/patient.txt", format!("ssn: {SSN}\n"));
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "a warning exits 0: {}", r.all());
    assert_eq!(r.json()["findings"][0]["severity"], "warn");
}

#[test]
fn synthetic_values_show_only_with_strict() {
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", "a.txt", "-", "--format", "json"],
        b"ssn: 999-17-9365\nssn: 078-05-1120\n",
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.json()["summary"]["synthetic"], 2);
    let r = phiguard_stdin(
        &[
            "scan",
            "--strict",
            "--stdin-filename",
            "a.txt",
            "-",
            "--format",
            "json",
        ],
        b"ssn: 999-17-9365\n",
    );
    assert_eq!(r.code, 1, "{}", r.all());
}

#[test]
fn inline_allow_is_counted_not_reported() {
    let input =
        format!("ssn: {SSN} # phiguard:allow synthetic demo\n# gitleaks:allow\nkey={AWS_KEY}\n");
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", "a.txt", "-", "--format", "json"],
        input.as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let j = r.json();
    assert_eq!(j["findings"].as_array().unwrap().len(), 0);
    assert_eq!(j["summary"]["allowed"], 2);
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", "a.txt", "-"],
        input.as_bytes(),
    );
    assert!(r.out().contains("2 allowed inline"), "{}", r.out());
}

#[test]
fn invalid_utf8_and_huge_lines_are_handled() {
    let mut input = vec![0xff, 0xfe, b' '];
    input.extend(std::iter::repeat_n(b'a', 200_000));
    // A secret: its excerpt keeps the bytes around it (a PHI excerpt masks them as words).
    input.extend_from_slice(format!(" key {AWS_KEY} ").as_bytes());
    input.extend_from_slice(b"\xff\n");
    let r = phiguard_stdin(
        &["scan", "--stdin-filename", "a.txt", "-", "--format", "json"],
        &input,
    );
    assert_eq!(r.code, 1, "{}", r.all());
    let excerpt = r.json()["findings"][0]["excerpt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(excerpt.len() < 200, "excerpt is cut: {excerpt}");
    assert!(
        excerpt.contains("\\xff"),
        "invalid UTF-8 shown as \\xNN: {excerpt}"
    );
}

#[test]
fn redact_masks_values_line_by_line() {
    let input = format!("start\nuser ssn={SSN} key AKIAOUDOCUZRENUN7Z5J\nend\n");
    let r = phiguard_stdin(&["redact"], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        r.out(),
        "start\nuser ssn=*********** key AKIA****************\nend\n"
    );
}

/// A value in look-alike characters (en dashes, full-width digits) is masked where it is,
/// the characters around it kept: the CI log filter read only ASCII.
#[test]
fn redact_masks_values_written_in_look_alike_characters() {
    let dashes = SSN.replace('-', "\u{2013}");
    let wide: String = SSN
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let input = format!("a ssn={dashes} b\nc ssn={wide}\n");
    let r = phiguard_stdin(&["redact"], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.all());
    // Each byte of the value is masked, as an ASCII value's are.
    let masked = |v: &str| "*".repeat(v.len());
    assert_eq!(
        r.out(),
        format!("a ssn={} b\nc ssn={}\n", masked(&dashes), masked(&wide))
    );
}

#[test]
fn redact_output_does_not_depend_on_how_input_arrives() {
    use std::io::{Read, Write};
    // The keyword is a line above the value: it counts in a file, and must count the same
    // whether the two lines reach redact in one read or in two.
    let first = "provider npi:\n";
    let rest = "  1245319599\ndone\n";
    let at_once = phiguard_stdin(&["redact"], format!("{first}{rest}").as_bytes());
    assert_eq!(at_once.out(), "provider npi:\n  **********\ndone\n");
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(crate::common::bin())
        .arg("redact")
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    stdin.write_all(first.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // The first line streams out before the rest is written.
    let mut echoed = vec![0u8; first.len()];
    stdout.read_exact(&mut echoed).unwrap();
    assert_eq!(echoed, first.as_bytes());
    stdin.write_all(rest.as_bytes()).unwrap();
    drop(stdin);
    let mut tail = String::new();
    stdout.read_to_string(&mut tail).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(format!("{first}{tail}"), at_once.out());
}

#[test]
fn redact_masks_a_multi_line_private_key() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    let input = format!(
        "before\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body}\n-----END RSA PRIVATE KEY-----\nafter\n"
    );
    let r = phiguard_stdin(&["redact"], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.all());
    crate::common::assert_no_value(&r.stdout, &[body, &body[10..30]]);
    assert!(
        r.out()
            .starts_with("before\n-----BEGIN RSA PRIVATE KEY-----\n*****"),
        "{}",
        r.out()
    );
    assert!(
        r.out().ends_with("-----END RSA PRIVATE KEY-----\nafter\n"),
        "{}",
        r.out()
    );
}

#[test]
fn utf16_exports_and_lock_named_files_are_scanned() {
    let repo = TempRepo::new();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("name,ssn\nLucia,{SSN}\n").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    repo.write("export.csv", utf16);
    repo.write("notes.lock", format!("ssn: {SSN}\n"));
    repo.write("Cargo.lock", format!("ssn: {SSN}\n"));
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    let mut paths: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    paths.dedup();
    assert_eq!(paths, vec!["export.csv", "notes.lock"], "{}", r.all());
}
