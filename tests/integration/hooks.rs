//! Real `git commit` through the installed hooks.

use crate::common::{AWS_KEY, SSN, TempRepo};

fn commit(repo: &TempRepo, args: &[&str]) -> std::process::Output {
    let mut all = vec!["commit", "-q"];
    all.extend_from_slice(args);
    repo.git_output(&all)
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn repo_with_history() -> TempRepo {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    repo.install_hooks();
    repo
}

#[test]
fn staged_ssn_blocks_the_commit() {
    let repo = repo_with_history();
    repo.add("notes.txt", format!("patient ssn: {SSN}\n"));
    let out = commit(&repo, &["-m", "add notes"]);
    assert!(!out.status.success(), "commit should be blocked");
    let t = text(&out);
    assert!(t.contains("phi.ssn") && t.contains("notes.txt:1:"), "{t}");
    crate::common::assert_no_value(&out.stdout, &[SSN, "536904399"]);
    crate::common::assert_no_value(&out.stderr, &[SSN]);
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn staged_aws_key_blocks_the_commit() {
    let repo = repo_with_history();
    repo.add("config/app.env", format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n"));
    let out = commit(&repo, &["-m", "config"]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("secret.aws.access-key-id"), "{t}");
    crate::common::assert_no_value(&out.stdout, &[AWS_KEY]);
}

#[test]
fn clean_change_commits() {
    let repo = repo_with_history();
    repo.add(
        "src/lib.rs",
        "pub fn add(a: u32, b: u32) -> u32 { a + b }\n",
    );
    let out = commit(&repo, &["-m", "add"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "2");
}

#[test]
fn commit_all_scans_the_temporary_index() {
    let repo = repo_with_history();
    repo.write("README.md", format!("hello\nssn {SSN}\n"));
    let out = commit(&repo, &["-a", "-m", "edit"]);
    assert!(
        !out.status.success(),
        "commit -a must be blocked: {}",
        text(&out)
    );
    assert!(text(&out).contains("README.md:2:"));
}

#[test]
fn commit_with_path_scans_only_that_path() {
    let repo = repo_with_history();
    repo.add("a.txt", "fine\n");
    repo.commit("a");
    repo.write("a.txt", format!("fine\nssn {SSN}\n"));
    let out = commit(&repo, &["-m", "only a", "a.txt"]);
    assert!(
        !out.status.success(),
        "commit <path> must be blocked: {}",
        text(&out)
    );
    // A different path with the SSN in the work tree only is not part of `commit b.txt`.
    repo.git(&["checkout", "--", "a.txt"]);
    repo.add("b.txt", "b\n");
    repo.commit("b");
    repo.write("b.txt", "b2\n");
    repo.write("a.txt", format!("fine\nssn {SSN}\n"));
    let out = commit(&repo, &["-m", "only b", "b.txt"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn partially_staged_file_counts_only_the_staged_half() {
    let repo = repo_with_history();
    // Staged: clean. Work tree: an SSN added after staging.
    repo.add("data.txt", "clean line\n");
    repo.write("data.txt", format!("clean line\nssn {SSN}\n"));
    let out = commit(&repo, &["-m", "staged half"]);
    assert!(
        out.status.success(),
        "work-tree-only SSN must not block: {}",
        text(&out)
    );
    // Staged: the SSN. Work tree: removed again.
    repo.add("data.txt", format!("clean line\nssn {SSN}\n"));
    repo.write("data.txt", "clean line\n");
    let out = commit(&repo, &["-m", "staged ssn"]);
    assert!(
        !out.status.success(),
        "staged SSN must block: {}",
        text(&out)
    );
}

/// Sets `rel`'s modification time an hour back, so `git add` records it as not racy and the
/// scan may take the work tree copy on the index's word (its stat data).
fn age(repo: &TempRepo, rel: &str) {
    let file = std::fs::File::options()
        .write(true)
        .open(repo.path().join(rel))
        .unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    file.set_modified(hour_ago).unwrap();
}

/// A file rewritten after `git add` with the same size and modification time still differs
/// in its change time: the index's stat data no longer vouch for it, and the staged (clean)
/// blob is what is scanned.
#[cfg(unix)]
#[test]
fn a_rewrite_hidden_from_mtime_is_not_taken_for_the_staged_blob() {
    let repo = repo_with_history();
    let clean = "ssn 000-00-0000\n";
    repo.write("data.txt", clean);
    age(&repo, "data.txt");
    repo.git(&["add", "data.txt"]);
    let staged_mtime = std::fs::metadata(repo.path().join("data.txt"))
        .unwrap()
        .modified()
        .unwrap();
    // Same length, an SSN instead, and the old mtime put back.
    let dirty = format!("ssn {SSN}\n");
    assert_eq!(dirty.len(), clean.len());
    std::thread::sleep(std::time::Duration::from_millis(20));
    repo.write("data.txt", &dirty);
    std::fs::File::options()
        .write(true)
        .open(repo.path().join("data.txt"))
        .unwrap()
        .set_modified(staged_mtime)
        .unwrap();
    let out = commit(&repo, &["-m", "clean blob"]);
    assert!(
        out.status.success(),
        "the SSN is only in the work tree: {}",
        text(&out)
    );
}

/// With a clean filter, the staged blob is what the filter made of the file, not the file:
/// the index's stat data are not taken to vouch for the copy, and the blob is scanned.
#[cfg(unix)]
#[test]
fn a_clean_filter_is_scanned_as_git_stores_it() {
    let repo = repo_with_history();
    // The filter blanks every digit: the file has an SSN, the blob does not.
    repo.git(&["config", "filter.blank.clean", "tr 0-9 x"]);
    repo.git(&["config", "filter.blank.smudge", "cat"]);
    repo.add(".gitattributes", "*.txt filter=blank\n");
    repo.commit("attributes");
    repo.write("data.txt", format!("ssn {SSN}\n"));
    age(&repo, "data.txt");
    repo.git(&["add", "data.txt"]);
    let staged = repo.git(&["cat-file", "-p", ":data.txt"]);
    assert_eq!(staged, "ssn xxx-xx-xxxx\n", "the filter ran");
    let out = commit(&repo, &["-m", "filtered"]);
    assert!(
        out.status.success(),
        "the SSN never reaches the blob: {}",
        text(&out)
    );
}

/// The old version of a file is read from its loose object file by phiguard itself, or from a
/// pack by libgit2: either way its lines are not added.
#[test]
fn old_versions_read_the_same_from_loose_objects_and_packs() {
    let repo = repo_with_history();
    repo.add("data.txt", format!("ssn {SSN}\n"));
    repo.commit("old value");
    repo.add("data.txt", format!("ssn {SSN}\nagain: ssn {SSN}\n"));
    let lines = |repo: &TempRepo| {
        let run = repo.phiguard(&["scan", "--staged", "--format", "json"]);
        assert_eq!(run.code, 1, "{}", run.all());
        let json = run.json();
        let findings = json["findings"].as_array().expect("findings").clone();
        findings
            .iter()
            .map(|f| (f["path"].to_string(), f["line"].as_u64().expect("line")))
            .collect::<Vec<_>>()
    };
    let old = repo.git(&["rev-parse", "HEAD:data.txt"]);
    let old = old.trim();
    let loose_file = repo
        .path()
        .join(".git/objects")
        .join(&old[..2])
        .join(&old[2..]);
    assert!(
        loose_file.exists(),
        "{} should be loose",
        loose_file.display()
    );
    let loose = lines(&repo);
    assert_eq!(loose, vec![("\"data.txt\"".to_owned(), 2)]);
    repo.git(&["repack", "-a", "-d", "-q"]);
    repo.git(&["prune-packed"]);
    assert!(
        !loose_file.exists(),
        "{} should be packed",
        loose_file.display()
    );
    assert_eq!(lines(&repo), loose);
}

#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_a_staged_file_neither_blocks_nor_hides_it() {
    let repo = repo_with_history();
    repo.add("data.txt", format!("ssn {SSN}\n"));
    std::fs::remove_file(repo.path().join("data.txt")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(repo.path().join("data.txt"))
        .status()
        .unwrap();
    assert!(made.success());
    let r = repo.phiguard(&["scan", "--staged", "--format", "json"]);
    assert_eq!(r.code, 1, "the staged blob is scanned: {}", r.all());
    assert!(r.rules().contains(&"phi.ssn".to_owned()), "{}", r.all());
}

#[test]
fn unborn_head_is_scanned() {
    let repo = TempRepo::new();
    repo.install_hooks();
    repo.add("first.txt", format!("ssn: {SSN}\n"));
    let out = commit(&repo, &["-m", "first"]);
    assert!(!out.status.success(), "{}", text(&out));
    repo.add("first.txt", "nothing here\n");
    let out = commit(&repo, &["-m", "first"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn rename_reports_nothing() {
    let repo = TempRepo::new();
    repo.add(
        "old/name.txt",
        format!("legacy ssn {SSN}\nsecond line\nthird line\n"),
    );
    repo.commit("existing");
    repo.install_hooks();
    std::fs::create_dir_all(repo.path().join("new")).unwrap();
    repo.git(&["mv", "old/name.txt", "new/name.txt"]);
    let out = commit(&repo, &["-m", "rename"]);
    assert!(
        out.status.success(),
        "a rename adds nothing: {}",
        text(&out)
    );
}

#[test]
fn binary_file_is_skipped() {
    let repo = repo_with_history();
    let mut bytes = b"\x00\x01binary".to_vec();
    bytes.extend_from_slice(format!("ssn {SSN}").as_bytes());
    repo.add("blob.bin", bytes);
    let out = commit(&repo, &["-m", "binary"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn linked_worktree_uses_its_own_index() {
    let repo = repo_with_history();
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        wt_path.to_str().unwrap(),
    ]);
    std::fs::write(wt_path.join("w.txt"), format!("ssn {SSN}\n")).unwrap();
    assert!(repo.git_in(&wt_path, &["add", "w.txt"]).status.success());
    let out = repo.git_in(&wt_path, &["commit", "-q", "-m", "wt"]);
    assert!(
        !out.status.success(),
        "worktree commit must be blocked: {}",
        text(&out)
    );
    assert!(text(&out).contains("w.txt"));
    // The main worktree's index is untouched and clean.
    let r = repo.phiguard(&["scan", "--staged"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn commit_message_with_ssn_is_blocked_comment_lines_included() {
    let repo = repo_with_history();
    repo.add("ok.txt", "ok\n");
    let out = commit(&repo, &["-m", &format!("fix lookup for ssn {SSN}")]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("phi.ssn"));
    // The hook cannot see --cleanup on git's command line, so comment lines are scanned too.
    let msg = repo.path().join("msg.txt");
    std::fs::write(&msg, format!("fix lookup\n# ssn {SSN} in a comment\n")).unwrap();
    let mut args = vec!["commit", "-q", "-e", "-F", msg.to_str().unwrap()];
    let (ok, out) = repo.git_in_env(&mut args, &[("GIT_EDITOR", "true")]);
    assert!(!ok, "{out}");
    assert!(out.contains("COMMIT_EDITMSG:2:"), "{out}");
    // git's own template comments hold no values: an ordinary edited message commits.
    std::fs::write(&msg, "fix lookup\n").unwrap();
    let mut args = vec!["commit", "-q", "-e", "-F", msg.to_str().unwrap()];
    let (ok, out) = repo.git_in_env(&mut args, &[("GIT_EDITOR", "true")]);
    assert!(ok, "{out}");
}

#[test]
fn comment_looking_lines_that_git_keeps_are_scanned() {
    // `git commit -m "# ..."` records the line (cleanup is whitespace without an editor).
    let repo = repo_with_history();
    repo.add("ok.txt", "ok\n");
    let out = commit(&repo, &["-m", &format!("# ssn {SSN}")]);
    assert!(!out.status.success(), "{}", text(&out));
    // commentChar=auto: git picks one character for its template; a message line starting
    // with another candidate is message text.
    repo.git(&["config", "core.commentChar", "auto"]);
    let msg = repo.path().join("msg.txt");
    std::fs::write(&msg, format!("fix\n: ssn {SSN}\n")).unwrap();
    let mut args = vec!["commit", "-q", "-e", "-F", msg.to_str().unwrap()];
    let (ok, out) = repo.git_in_env(&mut args, &[("GIT_EDITOR", "true")]);
    assert!(!ok, "{out}");
    assert!(out.contains("COMMIT_EDITMSG:2:"), "{out}");
}

#[test]
fn hook_fails_closed_outside_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TempRepo::new();
    let r = repo.phiguard_in(dir.path(), &["hook", "pre-commit"], None);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("not in a git repository"), "{}", r.err());
}

#[test]
fn hook_fails_closed_on_a_bad_config() {
    let repo = repo_with_history();
    repo.write(".phiguard.toml", "[scan]\nexclud = [\"x\"]\n");
    repo.add("ok.txt", "ok\n");
    let out = commit(&repo, &["-m", "x"]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains(".phiguard.toml") && t.contains("exclud") && t.contains("line 2"),
        "{t}"
    );
}

fn merge_setup() -> TempRepo {
    let repo = TempRepo::new();
    repo.add("shared.txt", "line one\nline two\nline three\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    // The feature branch already carries a value (committed with --no-verify).
    repo.add("feature.txt", format!("legacy ssn {SSN}\n"));
    repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.add("main.txt", "main side\n");
    repo.commit("main work");
    repo.git(&["config", "core.hooksPath", ".git/hooks"]);
    let r = repo.phiguard(&[
        "install",
        "--hooks",
        "pre-commit,pre-merge-commit,commit-msg",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    repo
}

#[test]
fn merge_does_not_re_report_the_merged_in_side() {
    let repo = merge_setup();
    let out = repo.git_output(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    assert!(
        out.status.success(),
        "content from the other parent is not added: {}",
        text(&out)
    );
}

#[test]
fn merge_resolution_that_adds_a_value_is_blocked() {
    let repo = merge_setup();
    repo.git(&["checkout", "-q", "feature"]);
    repo.add("shared.txt", "line one\nfeature edit\nline three\n");
    repo.commit("feature edit");
    repo.git(&["checkout", "-q", "main"]);
    repo.add("shared.txt", "line one\nmain edit\nline three\n");
    repo.commit("main edit");
    let out = repo.git_output(&["merge", "-q", "feature"]);
    assert!(!out.status.success(), "conflict expected");
    repo.add(
        "shared.txt",
        format!("line one\nresolved with ssn {SSN}\nline three\n"),
    );
    let out = repo.git_output(&["commit", "-q", "--no-edit"]);
    assert!(
        !out.status.success(),
        "the resolution adds an SSN: {}",
        text(&out)
    );
    assert!(text(&out).contains("shared.txt:2:"), "{}", text(&out));
    repo.add("shared.txt", "line one\nfeature edit\nline three\n");
    let out = repo.git_output(&["commit", "-q", "--no-edit"]);
    assert!(
        out.status.success(),
        "a clean resolution commits: {}",
        text(&out)
    );
}

#[test]
fn commit_verbose_diff_below_the_scissors_is_not_the_message() {
    let repo = repo_with_history();
    // In a test path the value is a warning, so pre-commit lets it through; the diff that
    // `commit -v` puts below the scissors line then shows it to commit-msg.
    repo.add("tests/fixture.txt", format!("ssn {SSN}\n"));
    let msg = repo.path().join("msg.txt");
    std::fs::write(&msg, "add fixture\n").unwrap();
    let mut args = vec!["commit", "-q", "-v", "-e", "-F", msg.to_str().unwrap()];
    let (ok, out) = repo.git_in_env(&mut args, &[("GIT_EDITOR", "true")]);
    assert!(ok, "{out}");
    assert!(!out.contains("COMMIT_EDITMSG"), "{out}");
}
