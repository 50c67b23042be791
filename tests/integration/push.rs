//! Real `git push` to local bare repositories with phiguard's server hooks installed, and
//! pre-push on the client.

use crate::common::{SSN, Server, TempRepo, bin};
use std::path::{Path, PathBuf};

fn bad(repo: &TempRepo, file: &str) -> String {
    repo.add(file, format!("patient ssn: {SSN}\n"));
    repo.commit(&format!("add {file}"))
}

fn good(repo: &TempRepo, file: &str) -> String {
    repo.add(file, format!("fine content for {file}\n"));
    repo.commit(&format!("add {file}"))
}

#[test]
fn new_branch_and_fast_forward_are_accepted_when_clean() {
    let s = Server::new("pre-receive");
    s.work.git(&["checkout", "-q", "-b", "topic"]);
    good(&s.work, "a.txt");
    assert!(s.push(&["topic"]).0);
    good(&s.work, "b.txt");
    let (ok, text) = s.push(&["topic"]);
    assert!(ok, "{text}");
}

#[test]
fn phi_in_an_older_commit_of_the_range_is_rejected() {
    let s = Server::new("pre-receive");
    let bad_commit = bad(&s.work, "notes.txt");
    good(&s.work, "later.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("notes.txt:1:") && text.contains("phi.ssn"),
        "{text}"
    );
    assert!(text.contains(&bad_commit[..12]), "names the commit: {text}");
    assert!(
        text.contains("rejecting refs/heads/main") && text.contains("rebase"),
        "{text}"
    );
    assert_ne!(
        s.server_has("refs/heads/main"),
        Some(s.work.git(&["rev-parse", "HEAD"]).trim().to_owned())
    );
}

#[test]
fn force_push_that_removes_the_value_is_accepted() {
    let s = Server::new("update");
    std::fs::remove_file(s.bare.path().join("hooks/update")).unwrap();
    bad(&s.work, "leak.txt");
    assert!(s.push(&["main"]).0, "no hook yet");
    s.install("pre-receive");
    s.work.git(&["reset", "-q", "--hard", "HEAD~1"]);
    good(&s.work, "clean.txt");
    let (ok, text) = s.push(&["--force", "main"]);
    assert!(ok, "only the rewritten commits are scanned: {text}");
}

#[test]
fn multi_ref_push_pre_receive_rejects_all_update_rejects_one() {
    for (hook, good_ref_lands) in [("pre-receive", false), ("update", true)] {
        let s = Server::new(hook);
        s.work.git(&["checkout", "-q", "-b", "good"]);
        let g = good(&s.work, "g.txt");
        s.work.git(&["checkout", "-q", "main"]);
        s.work.git(&["checkout", "-q", "-b", "bad"]);
        bad(&s.work, "b.txt");
        let (ok, text) = s.push(&["good", "bad"]);
        assert!(!ok, "{hook}: {text}");
        assert_eq!(
            s.server_has("refs/heads/good") == Some(g.clone()),
            good_ref_lands,
            "{hook}: {text}"
        );
        assert!(s.server_has("refs/heads/bad").is_none(), "{hook}");
    }
}

#[test]
fn tags_lightweight_and_annotated() {
    let s = Server::new("pre-receive");
    bad(&s.work, "t.txt");
    s.work.git(&["tag", "v1"]);
    let (ok, text) = s.push(&["v1"]);
    assert!(!ok, "a tag bringing a bad commit: {text}");
    s.work.git(&["reset", "-q", "--hard", "HEAD~1"]);
    s.work
        .git(&["tag", "-a", "v2", "-m", &format!("release for ssn {SSN}")]);
    let (ok, text) = s.push(&["v2"]);
    assert!(!ok, "annotated tag message: {text}");
    assert!(text.contains("<tag message>"), "{text}");
    s.work.git(&["tag", "-a", "v3", "-m", "release notes"]);
    assert!(s.push(&["v3"]).0);
}

#[test]
fn delete_is_accepted_unless_protected() {
    let s = Server::new("pre-receive");
    s.work.git(&["checkout", "-q", "-b", "tmp"]);
    assert!(s.push(&["tmp"]).0);
    assert!(s.push(&["--delete", "tmp"]).0);
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\nprotect_delete = true\n");
    let (ok, text) = s.push(&["--delete", "main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("deleting this ref is not allowed"), "{text}");
}

#[test]
fn merges_evil_resolution_rejected_accepted_side_not_re_reported() {
    let s = Server::new("pre-receive");
    s.work.add("shared.txt", "one\ntwo\nthree\n");
    s.work.commit("shared");
    assert!(s.push(&["main"]).0);
    // A side branch accepted on its own.
    s.work.git(&["checkout", "-q", "-b", "side"]);
    s.work.add("shared.txt", "one\nside\nthree\n");
    s.work.commit("side edit");
    assert!(s.push(&["side"]).0);
    s.work.git(&["checkout", "-q", "main"]);
    s.work.add("main.txt", "main\n");
    s.work.commit("main edit");
    // A clean merge of the accepted side is accepted.
    s.work
        .git(&["merge", "-q", "--no-edit", "--no-verify", "side"]);
    assert!(s.push(&["main"]).0);
    // An evil merge: the merge commit itself adds an SSN.
    s.work.git(&["checkout", "-q", "-b", "side2", "HEAD~1"]);
    s.work.add("other.txt", "x\n");
    s.work.commit("side2");
    s.work.git(&["checkout", "-q", "main"]);
    s.work
        .git(&["merge", "-q", "--no-commit", "--no-ff", "side2"]);
    s.work
        .add("shared.txt", format!("one\nside\nthree\nssn {SSN}\n"));
    s.work
        .git(&["commit", "-q", "--no-verify", "-m", "evil merge"]);
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("shared.txt:4:"), "{text}");
}

#[test]
fn branch_at_an_existing_commit_scans_nothing() {
    let s = Server::new("update");
    std::fs::remove_file(s.bare.path().join("hooks/update")).unwrap();
    bad(&s.work, "old.txt");
    assert!(s.push(&["main"]).0);
    s.install("pre-receive");
    s.work.git(&["branch", "copy"]);
    let (ok, text) = s.push(&["copy"]);
    assert!(ok, "nothing new: {text}");
}

#[test]
fn commit_message_with_phi_is_rejected() {
    let s = Server::new("pre-receive");
    s.work.add("m.txt", "fine\n");
    s.work.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &format!("lookup for ssn {SSN}"),
    ]);
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("<commit message>"), "{text}");
}

#[test]
fn pre_push_checks_every_ref() {
    let s = Server::new("post-receive");
    let r = s.work.phiguard(&["install", "--hooks", "pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    s.work.git(&["checkout", "-q", "-b", "one"]);
    good(&s.work, "one.txt");
    s.work.git(&["checkout", "-q", "-b", "two"]);
    bad(&s.work, "two.txt");
    let (ok, text) = s.push(&["one", "two"]);
    assert!(!ok, "{text}");
    assert!(text.contains("two.txt"), "{text}");
    assert!(
        s.server_has("refs/heads/one").is_none(),
        "pre-push refuses the whole push"
    );
    let (ok, text) = s.push(&["one"]);
    assert!(ok, "{text}");
}

#[test]
fn budget_exceeded_rejects_unless_fail_open() {
    let s = Server::new("pre-receive");
    s.config("[server]\nbudget_ms = 0\n");
    good(&s.work, "x.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("time budget of 0 ms exceeded"), "{text}");
    s.config("[server]\nbudget_ms = 0\nfail_open = true\n");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    assert!(text.contains("fail_open"), "{text}");
}

#[test]
fn bypass_only_for_listed_pushers() {
    let s = Server::new("pre-receive");
    s.bare
        .git(&["config", "receive.advertisePushOptions", "true"]);
    bad(&s.work, "incident.txt");
    let user = std::env::var("USER").unwrap_or_default();
    let who = if user.is_empty() {
        "nobody".to_owned()
    } else {
        user
    };
    s.config("[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"someone-else\"]\n");
    let (ok, text) = s.push(&["-o", "phiguard.bypass=incident 42", "main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("bypass refused"), "{text}");
    s.config(&format!(
        "[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"{who}\"]\n"
    ));
    let mut args = vec![
        "push",
        "-o",
        "phiguard.bypass=incident 42",
        "origin",
        "main",
    ];
    let out = s.work.git_in_env(
        &mut args,
        &[
            ("USER", &who),
            ("GL_USERNAME", ""),
            ("GITHUB_USER_LOGIN", ""),
        ],
    );
    assert!(out.0, "{}", out.1);
    assert!(out.1.contains("BYPASS by"), "{}", out.1);
}

#[test]
fn sha256_repository_is_rejected_clearly() {
    let bare = TempRepo::bare();
    let dir = bare.path().join("sha256.git");
    let out = bare.git_in(
        bare.path(),
        &[
            "init",
            "-q",
            "--bare",
            "--object-format=sha256",
            dir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "git supports SHA-256 repositories");
    let hook = dir.join("hooks/pre-receive");
    std::fs::write(&hook, phiguard::install::shim("pre-receive", Some(&bin()))).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let work: PathBuf = bare.path().join("work");
    let run = |args: &[&str]| bare.git_in(&work, args);
    assert!(
        bare.git_in(
            bare.path(),
            &[
                "init",
                "-q",
                "--object-format=sha256",
                "-b",
                "main",
                work.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    std::fs::write(work.join("f.txt"), "fine\n").unwrap();
    assert!(run(&["add", "f.txt"]).status.success());
    assert!(run(&["commit", "-q", "-m", "x"]).status.success());
    let out = run(&["push", dir.to_str().unwrap(), "main"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("SHA-256"), "{text}");
}

#[test]
fn scan_range_reports_commit_ids() {
    let repo = TempRepo::new();
    repo.add("a.txt", "a\n");
    let base = repo.commit("a");
    let bad_commit = bad(&repo, "b.txt");
    let r = repo.phiguard(&[
        "scan",
        "--range",
        &format!("{base}..HEAD"),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.all());
    let j = r.json();
    assert_eq!(j["findings"][0]["commit"], bad_commit.as_str());
    assert_eq!(j["findings"][0]["path"], "b.txt");
    let r = repo.phiguard(&["scan", "--range", &base, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = repo.phiguard(&["scan", "--range", "nope..HEAD"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let _ = Path::new(".");
}

#[test]
fn a_moved_file_adds_nothing_but_an_edited_move_is_scanned() {
    let s = Server::new("update");
    std::fs::remove_file(s.bare.path().join("hooks/update")).unwrap();
    bad(&s.work, "old/place.txt");
    assert!(s.push(&["main"]).0);
    s.install("pre-receive");
    std::fs::create_dir_all(s.work.path().join("new")).unwrap();
    s.work.git(&["mv", "old/place.txt", "new/place.txt"]);
    s.work.commit("move");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "a move re-reports nothing: {text}");
    std::fs::create_dir_all(s.work.path().join("third")).unwrap();
    s.work.git(&["mv", "new/place.txt", "third/place.txt"]);
    s.work.write(
        "third/place.txt",
        format!("patient ssn: {SSN}\nsecond ssn 772-10-4567\n"),
    );
    s.work.git(&["add", "-A"]);
    s.work.commit("move and edit");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "the added line is scanned: {text}");
    assert!(
        text.contains("third/place.txt:2:") && !text.contains("third/place.txt:1:"),
        "{text}"
    );
}

#[test]
fn a_commit_brought_by_two_refs_is_judged_under_both_policies() {
    for order in [
        ["HEAD:refs/heads/aaa", "HEAD:refs/heads/main"],
        ["HEAD:refs/heads/main", "HEAD:refs/heads/aaa"],
    ] {
        let s = Server::new("pre-receive");
        s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\nallow_inline_suppressions = false\n");
        s.work
            .add("x.txt", format!("ssn: {SSN} # phiguard:allow demo\n"));
        s.work.commit("allowed inline");
        let (ok, text) = s.push(&order);
        assert!(!ok, "{order:?}: main forbids inline allows: {text}");
        assert!(text.contains("rejecting refs/heads/main"), "{text}");
    }
}

/// Runs `phiguard <args> hook pre-receive` in the server repository with `lines` on stdin,
/// as git would (the objects are already there: pushed without the hook).
fn pre_receive_direct(
    s: &Server,
    args: &[&str],
    lines: &str,
    vars: &[(&str, &str)],
) -> crate::common::Run {
    let mut cmd = std::process::Command::new(bin());
    cmd.args(args)
        .args(["hook", "pre-receive"])
        .current_dir(s.bare.path());
    s.bare.env(&mut cmd);
    cmd.env("GIT_DIR", s.bare.path());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    crate::common::run(cmd, Some(lines.as_bytes()))
}

#[test]
fn pre_receive_json_is_one_document_with_the_push_decision() {
    let s = Server::new("post-receive");
    let base = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let c = bad(&s.work, "leak.txt");
    assert!(
        s.push(&["HEAD:refs/heads/side"]).0,
        "no pre-receive hook yet"
    );
    s.bare.git(&["update-ref", "-d", "refs/heads/side"]);
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\ndeny_delete = true\n");
    let lines = format!(
        "{base} {c} refs/heads/main\n{base} {} refs/heads/main2\n",
        "0".repeat(40)
    );
    let r = pre_receive_direct(&s, &["--format", "json"], &lines, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    let j = r.json();
    let push = &j["push"];
    assert_eq!(push["accepted"], false, "{j}");
    assert_eq!(push["hook"], "pre-receive");
    assert_eq!(push["refs"][0]["reasons"][0]["rule"], "findings", "{j}");
    assert_eq!(push["refs"][0]["policy"], "[[policy]] #1");
    assert_eq!(
        push["refs"][1]["accepted"], true,
        "main2 is an unprotected delete: {j}"
    );
    assert_eq!(j["findings"][0]["commit"], c.as_str());
    let delete = format!("{base} {} refs/heads/main\n", "0".repeat(40));
    let r = pre_receive_direct(&s, &["--format", "json"], &delete, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        r.json()["push"]["refs"][0]["reasons"][0]["rule"],
        "deny_delete"
    );
}

/// A push large enough that git keeps it as a pack in the push's quarantine (forced here
/// with `receive.unpackLimit`): pre-receive reads its commits, trees and blobs from that pack
/// itself (`GIT_QUARANTINE_PATH`) and finds the value planted deep in the history, with the
/// files moved and edited around it judged as before.
#[test]
fn a_history_pushed_as_a_pack_is_read_from_the_quarantine() {
    let s = Server::new("pre-receive");
    s.bare.git(&["config", "receive.unpackLimit", "1"]);
    let mut planted = String::new();
    for i in 0..30 {
        for f in 0..3 {
            s.work.add(
                &format!("src/m{f}/part{f}.txt"),
                format!("module {f} revision {i}\n{}", "steady line\n".repeat(20)),
            );
        }
        if i == 11 {
            planted = bad(&s.work, "records/intake.txt");
        } else {
            s.work.commit(&format!("revision {i}"));
        }
    }
    s.work.git(&["mv", "src/m0", "src/moved"]);
    s.work.commit("move a module");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("records/intake.txt:1:") && text.contains("phi.ssn"),
        "{text}"
    );
    assert!(text.contains(&planted[..12]), "names the commit: {text}");
    assert!(!text.contains("src/moved"), "a move adds nothing: {text}");
    assert_eq!(text.matches("phi.ssn").count(), 1, "{text}");
}
