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

/// Issue 19 item 16: a bypass said "this is recorded" with no audit log configured.
#[test]
fn bypass_without_an_audit_log_says_it_is_not_recorded() {
    let s = Server::new("pre-receive");
    s.bare
        .git(&["config", "receive.advertisePushOptions", "true"]);
    s.work.add(
        "incident.txt",
        format!("patient ssn: {}\n", crate::common::SSN),
    );
    s.work.commit("incident");
    s.config("[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"oncall\"]\n");
    let mut args = vec![
        "push",
        "-o",
        "phiguard.bypass=incident 42",
        "origin",
        "main",
    ];
    let (ok, text) = s.work.git_in_env(
        &mut args,
        &[
            ("USER", "oncall"),
            ("GL_USERNAME", ""),
            ("GITHUB_USER_LOGIN", ""),
        ],
    );
    assert!(ok, "{text}");
    assert!(text.contains("BYPASS by oncall"), "{text}");
    assert!(!text.contains("this is recorded"), "{text}");
    assert!(
        text.contains("not recorded: no [server] audit_log"),
        "{text}"
    );
}

/// Issue 19 item 16: under `fail_open`, the budget message said the push "is rejected" and
/// then that it was accepted.
#[test]
fn fail_open_does_not_say_rejected_and_accepted() {
    let s = Server::new("pre-receive");
    s.config("[server]\nbudget_ms = 0\nfail_open = true\n");
    s.work.add("x.txt", "fine\n");
    s.work.commit("x");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("accepted unscanned") && !text.contains("rejected"),
        "{text}"
    );
}

/// Issue 19 item 16: with the `update` hook a bypass option never arrives; the refusal says
/// so when the ref's policy lists bypassers.
#[test]
fn update_hook_refusal_says_bypass_cannot_arrive() {
    let s = Server::new("update");
    s.work.add("x.txt", format!("ssn {}\n", crate::common::SSN));
    s.work.commit("x");
    s.config("[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"oncall\"]\n");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("cannot reach the update hook"), "{text}");
}

/// Issue 19 item 16: a refused delete ended with advice to rewrite commits, and with inline
/// allows off the hint still offered `phiguard:allow`.
#[test]
fn refusal_advice_fits_the_rule() {
    let s = Server::new("pre-receive");
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\ndeny_delete = true\nallow_inline_suppressions = false\n");
    s.work.git(&["checkout", "-q", "-b", "other"]);
    assert!(s.push(&["other"]).0);
    let (ok, text) = s.push(&["--delete", "main"]);
    assert!(!ok, "{text}");
    assert!(
        !text.contains("rebase -i") && !text.contains("amend"),
        "{text}"
    );
    s.work.git(&["checkout", "-q", "main"]);
    s.work.add(
        "y.txt",
        format!("ssn {} # phiguard:allow demo\n", crate::common::SSN),
    );
    s.work.commit("y");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("rebase -i") && !text.contains("phiguard:allow <reason>"),
        "{text}"
    );
}
