//! What phiguard says (issue 24 §5): remediation that fits the finding, one summary line per
//! commit, skipped files named. Real commits through the installed hooks.

use crate::common::{AWS_KEY, SSN, TempRepo, assert_no_value};
use std::process::Output;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A repository with one commit and phiguard's four client hooks.
fn hooked() -> TempRepo {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    let r = repo.phiguard(&["install", "-q"]);
    assert_eq!(r.code, 0, "{}", r.all());
    repo
}

/// The summary lines (`phiguard: N blocking, ...`) in a hook's output.
fn summaries(out: &str) -> usize {
    out.lines()
        .filter(|l| l.starts_with("phiguard: ") && l.contains(" blocking, "))
        .count()
}

#[test]
fn a_blocked_commit_message_names_where_git_kept_it_and_the_advice_recommits() {
    let repo = hooked();
    repo.add("a.txt", "fine\n");
    let out = repo.git_output(&["commit", "-q", "-m", &format!("patient ssn {SSN}")]);
    assert!(!out.status.success(), "{}", text(&out));
    assert_no_value(&out.stdout, &[SSN]);
    assert_no_value(&out.stderr, &[SSN]);
    let said = text(&out);
    let kept = std::fs::canonicalize(repo.path().join(".git/COMMIT_EDITMSG")).unwrap();
    let kept = kept.to_str().unwrap();
    let again = format!("git commit -e -F '{kept}'");
    assert!(said.contains(&again), "{said}");
    assert!(
        !said.contains("tests/") && !said.contains("test path"),
        "{said}"
    );
    // Following the advice: the value edited out of the kept message, the commit goes through.
    std::fs::write(kept, "patient ssn removed\n").unwrap();
    let (ok, said) = repo.git_in_env(
        &mut vec!["commit", "-q", "-e", "-F", kept],
        &[("GIT_EDITOR", "true")],
    );
    assert!(ok, "{said}");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "patient ssn removed\n"
    );
}

#[test]
fn a_blocked_message_in_a_linked_worktree_names_the_worktrees_own_git_dir() {
    let repo = hooked();
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("side");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "side",
        wt_path.to_str().unwrap(),
    ]);
    std::fs::write(wt_path.join("b.txt"), "fine\n").unwrap();
    assert!(repo.git_in(&wt_path, &["add", "b.txt"]).status.success());
    let out = repo.git_in(&wt_path, &["commit", "-q", "-m", &format!("ssn {SSN}")]);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    let kept =
        std::fs::canonicalize(repo.path().join(".git/worktrees/side/COMMIT_EDITMSG")).unwrap();
    assert!(
        said.contains(&format!("git commit -e -F '{}'", kept.display())),
        "{said}"
    );
}

#[test]
fn a_staged_secret_is_revoked_not_moved_under_a_test_path() {
    let repo = hooked();
    repo.add(
        "tests/config.txt",
        format!("aws_access_key_id = {AWS_KEY}\n"),
    );
    let out = repo.git_output(&["commit", "-q", "-m", "config"]);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("revoke and rotate it"), "{said}");
    assert!(said.contains("git add"), "{said}");
    assert!(
        !said.contains("test fixture") && !said.contains("synthetic data"),
        "PHI advice for a secret: {said}"
    );
    assert_no_value(said.as_bytes(), &[AWS_KEY]);
}

#[test]
fn a_committed_secret_is_removed_from_history_and_pushed_history_with_filter_repo() {
    let repo = hooked();
    repo.add("deploy.env", format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n"));
    repo.commit("deploy");
    let r = repo.phiguard(&["scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let said = r.out();
    for advice in [
        "git commit --amend",
        "git rebase -i <base>",
        "git filter-repo",
        "revoke and rotate it",
    ] {
        assert!(said.contains(advice), "{advice}: {said}");
    }
    assert!(!said.contains("test fixture"), "{said}");
}

#[test]
fn phi_in_a_file_is_offered_synthetic_data_or_a_test_path() {
    let repo = hooked();
    repo.add("notes.txt", format!("patient ssn: {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", "notes"]);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("replace it with synthetic data"), "{said}");
    assert!(said.contains("test path (tests/, fixtures/"), "{said}");
    assert!(!said.contains("revoke"), "secret advice for PHI: {said}");
}

#[test]
fn a_message_in_history_is_reworded_not_moved_under_a_test_path() {
    let repo = hooked();
    repo.add("a.txt", "fine\n");
    repo.commit(&format!("follow-up for ssn {SSN}"));
    let r = repo.phiguard(&["scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let said = r.out();
    assert!(said.contains("mark it `reword`"), "{said}");
    assert!(
        !said.contains("test path") && !said.contains("git add"),
        "{said}"
    );
}

#[test]
fn a_commit_prints_one_summary_line_whether_it_passes_or_is_blocked() {
    let repo = hooked();
    repo.add("a.txt", "fine\n");
    let out = repo.git_output(&["commit", "-q", "-m", "a clean change"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(summaries(&text(&out)), 1, "{}", text(&out));
    // With a note (a file left unscanned) and a warning.
    repo.add("x.rar", b"Rar!\x1A\x07\x01\x00\x33\x92\xB5\xE5".as_slice());
    repo.add("tests/t.txt", format!("ssn {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", "with notes"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("note: x.rar skipped"), "{said}");
    assert_eq!(summaries(&said), 1, "{said}");
    repo.add("b.txt", format!("ssn {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", "blocked"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(summaries(&text(&out)), 1, "{}", text(&out));
}

#[test]
fn a_commit_whose_message_is_blocked_prints_one_summary_line_with_both_hooks_totals() {
    let repo = hooked();
    repo.add("a.txt", "fine\n");
    repo.add("tests/t.txt", format!("ssn {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", &format!("patient ssn {SSN}")]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert_no_value(said.as_bytes(), &[SSN]);
    assert_eq!(summaries(&said), 1, "{said}");
    // The staged file's warning and the message's block; the files are the commit's two.
    assert!(
        said.contains("phiguard: 1 blocking, 1 warning, 0 info in 2 file(s)"),
        "{said}"
    );
    assert!(said.contains("COMMIT_EDITMSG"), "{said}");
    // Nothing is left behind for a later commit.
    let kept = repo.path().join(".git/phiguard-pending-summary");
    assert!(!kept.exists());
    // A clean message after it: one line, the totals of this commit only.
    let out = repo.git_output(&["commit", "-q", "-m", "a clean message"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(summaries(&said), 1, "{said}");
    assert!(
        said.contains("phiguard: 0 blocking, 1 warning, 0 info in 2 file(s)"),
        "{said}"
    );
    assert!(!kept.exists());
}

#[test]
fn pre_commit_prints_its_own_summary_line_without_phiguards_commit_msg_hook() {
    let repo = hooked();
    std::fs::remove_file(repo.path().join(".git/hooks/commit-msg")).unwrap();
    repo.add("a.txt", "fine\n");
    let out = repo.git_output(&["commit", "-q", "-m", "a clean change"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("phiguard: 0 blocking, 0 warning, 0 info in 1 file(s)"),
        "{said}"
    );
    assert!(!repo.path().join(".git/phiguard-pending-summary").exists());
}

#[test]
fn skipped_files_are_named_masked_and_counted_past_the_first_ten() {
    let repo = hooked();
    let binary = |n: u8| vec![0x89, b'P', b'N', b'G', 0, n, 0, 0];
    for i in 0..12u8 {
        repo.add(&format!("img/{i:02}.png"), binary(i));
    }
    let ssn_name = format!("scans/patient_{SSN}.bin");
    repo.add(&ssn_name, binary(99));
    repo.add("u16.txt", b"\xff\xfe1\x002\x00\x00\xd8".as_slice());
    let out = repo.git_output(&["commit", "-q", "-m", "images"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_no_value(said.as_bytes(), &[SSN]);
    // UTF-16 with a lone surrogate is read (as U+FFFD there), not skipped.
    assert!(!said.contains("u16.txt"), "{said}");
    assert!(
        said.contains("note: 13 file(s) binary, not scanned: img/00.png, img/01.png"),
        "{said}"
    );
    assert!(said.contains(", and 3 more\n"), "{said}");
    assert_eq!(summaries(&said), 1, "{said}");
    // `scan DIR` names them the same way, the value in a name masked.
    std::fs::remove_dir_all(repo.path().join("img")).unwrap();
    repo.write(".phiguard.toml", "[scan]\nexclude = [\"u16.txt\"]\n");
    let r = repo.phiguard(&["scan", "."]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_no_value(&r.stdout, &[SSN]);
    assert!(
        r.out()
            .contains("note: 1 file(s) binary, not scanned: scans/patient_***********.bin\n"),
        "{}",
        r.out()
    );
    assert!(
        r.out()
            .contains("note: 1 file(s) excluded by [scan] exclude\n"),
        "{}",
        r.out()
    );
}

#[test]
fn a_binary_file_changed_in_several_commits_of_a_range_is_named_once() {
    let repo = hooked();
    for n in 0..3u8 {
        repo.add("img/logo.png", [0x89, b'P', b'N', b'G', 0, n]);
        repo.commit(&format!("logo {n}"));
    }
    let r = repo.phiguard(&["scan", "--range", "HEAD~3..HEAD"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.out()
            .contains("note: 1 file(s) binary, not scanned: img/logo.png\n"),
        "{}",
        r.out()
    );
}
