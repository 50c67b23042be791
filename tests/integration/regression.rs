//! Regression tests, each named after the defect it pins; real git wherever a hook is involved.

use crate::common::{Server, bin, run_within};
use std::process::Command;

/// A YAML Patient with CRLF line ends: the YAML/FSH line walk stepped by `end + 1`, which on
/// CRLF text lands on the `\n` of the same line, so the scan never returned.
const CRLF_YAML_PATIENT: &[u8] = b"resourceType: Patient\r\nname:\r\n";

#[test]
fn crlf_yaml_patient_does_not_hang_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--no-config", "--stdin-filename", "a.yaml", "-"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .env_remove("GIT_DIR");
    let run = run_within(cmd, Some(CRLF_YAML_PATIENT), 60).expect("scan hung on CRLF YAML");
    assert_eq!(run.code, 0, "{}", run.all());
    // A fuller CRLF patient is still judged as the LF one is.
    let lf = b"resourceType: Patient\nname:\n  - family: Ortega\n    given: Rosa\nbirthDate: 1961-04-12\naddress:\n  - line: 12 Elm Street\n    postalCode: \"02139\"\n";
    let crlf: Vec<u8> = lf
        .split(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .join(&b"\r\n"[..]);
    let rules = |text: &[u8]| {
        let mut cmd = Command::new(bin());
        cmd.args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--stdin-filename",
            "p.yaml",
            "-",
        ])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .env_remove("GIT_DIR");
        run_within(cmd, Some(text), 60).expect("scan hung").rules()
    };
    assert_eq!(rules(lf), rules(&crlf));
}

#[test]
fn crlf_yaml_patient_does_not_hang_the_commit_or_the_push() {
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.write("patient.yaml", CRLF_YAML_PATIENT);
    s.work.git(&["add", "patient.yaml"]);
    let mut commit = Command::new("git");
    commit
        .args(["commit", "-q", "-m", "add patient"])
        .current_dir(s.work.path());
    s.work.env(&mut commit);
    let run = run_within(commit, None, 60).expect("git commit hung in the hook");
    assert_eq!(run.code, 0, "{}", run.all());
    let mut push = Command::new("git");
    push.args(["push", "origin", "main"])
        .current_dir(s.work.path());
    s.work.env(&mut push);
    let run = run_within(push, None, 60).expect("git push hung in pre-receive");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(s.server_has("refs/heads/main").is_some());
}

/// Issue 24 §2: `KEY = "AKIA…" # gitleaks:allow` on one line let a new key on the next line
/// through; another scanner's marker hid PHI; a bare `phiguard:allow` allowed without a reason.
#[test]
fn a_trailing_marker_covers_its_own_line_only_and_foreign_markers_never_hide_phi() {
    use crate::common::{AWS_KEY, SSN, phiguard_stdin};
    let scan = |text: String| {
        let r = phiguard_stdin(
            &["scan", "--stdin-filename", "a.py", "-", "--format", "json"],
            text.as_bytes(),
        );
        let j = r.json();
        (r.code, j["summary"]["allowed"].as_u64().unwrap())
    };
    let other = "AKIAQYLPMN5HFIQR7XYZ";
    assert_eq!(
        scan(format!(
            "OLD = \"{AWS_KEY}\"  # gitleaks:allow\nNEW = \"{other}\"\n"
        )),
        (1, 1),
        "the key on the second line is not covered"
    );
    assert_eq!(scan(format!("ssn = \"{SSN}\"  # gitleaks:allow\n")), (1, 0));
    assert_eq!(scan(format!("ssn = \"{SSN}\"  # phiguard:allow\n")), (1, 0));
    assert_eq!(
        scan(format!(
            "# phiguard:allow synthetic fixture\nssn = \"{SSN}\"\n"
        )),
        (0, 1)
    );
}
