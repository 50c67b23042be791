//! Regression tests, each named after the defect it pins; real git wherever a hook is involved.

use crate::common::{SSN, Server, TempRepo, bin, run_within};
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

/// Writes `leak.txt` with an SSN as a loose blob (never committed) and returns its id.
fn leak_blob(repo: &TempRepo) -> String {
    repo.write("leak.txt", format!("patient ssn: {SSN}\n"));
    repo.git(&["hash-object", "-w", "leak.txt"])
        .trim()
        .to_owned()
}

/// A tree holding `dir/leak.txt` (the blob above), made with `git mktree`.
fn leak_tree(repo: &TempRepo, blob: &str) -> String {
    let mk = |input: String| {
        let mut cmd = Command::new("git");
        cmd.arg("mktree").current_dir(repo.path());
        repo.env(&mut cmd);
        let run = run_within(cmd, Some(input.as_bytes()), 60).expect("git mktree hung");
        assert_eq!(run.code, 0, "{}", run.all());
        run.out().trim().to_owned()
    };
    let inner = mk(format!("100644 blob {blob}\tleak.txt\n"));
    mk(format!("040000 tree {inner}\tdir\n"))
}

#[test]
fn refs_pointing_at_a_blob_or_a_tree_are_scanned_on_the_server() {
    for hook in ["pre-receive", "update"] {
        let s = Server::new(hook);
        let blob = leak_blob(&s.work);
        s.work.git(&["tag", "leak", &blob]);
        let (ok, text) = s.push(&["leak"]);
        assert!(!ok, "{hook}: a tag of a blob: {text}");
        assert!(text.contains("phi.ssn"), "{hook}: {text}");
        assert!(s.server_has("refs/tags/leak").is_none(), "{hook}");
        let (ok, text) = s.push(&[&format!("{blob}:refs/custom/x")]);
        assert!(!ok, "{hook}: a blob pushed to a custom ref: {text}");
        let tree = leak_tree(&s.work, &blob);
        s.work
            .git(&["tag", "-a", "tree-tag", "-m", "a tree", &tree]);
        let (ok, text) = s.push(&["tree-tag"]);
        assert!(!ok, "{hook}: an annotated tag of a tree: {text}");
        assert!(text.contains("dir/leak.txt"), "{hook}: {text}");
    }
    // A clean blob is accepted.
    let s = Server::new("pre-receive");
    s.work.write("fine.txt", "nothing to see\n");
    let blob = s.work.git(&["hash-object", "-w", "fine.txt"]);
    s.work.git(&["tag", "fine", blob.trim()]);
    let (ok, text) = s.push(&["fine"]);
    assert!(ok, "{text}");
}

#[test]
fn refs_pointing_at_a_blob_or_a_tree_are_scanned_by_pre_push() {
    let s = Server::new("post-receive");
    let r = s.work.phiguard(&["install", "--hooks", "pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let blob = leak_blob(&s.work);
    s.work.git(&["tag", "leak", &blob]);
    let (ok, text) = s.push(&["leak"]);
    assert!(!ok, "a tag of a blob: {text}");
    assert!(s.server_has("refs/tags/leak").is_none());
    let tree = leak_tree(&s.work, &blob);
    let (ok, text) = s.push(&[&format!("{tree}:refs/custom/t")]);
    assert!(!ok, "a tree pushed to a custom ref: {text}");
    assert!(text.contains("dir/leak.txt"), "{text}");
}
