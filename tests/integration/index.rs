//! Index layouts libgit2 refuses (issue 19, item 13): a split index (`core.splitIndex`, the
//! `link` extension and `sharedindex.<id>`) and a sparse index (`sparse-checkout
//! --sparse-index`, the `sdir` extension and directory entries). Every commit used to exit 2
//! ("unsupported mandatory extension"); real commits through the installed hooks now pass,
//! block and follow renames as with a whole index.

use crate::common::{SSN, TempRepo, assert_no_value};
use std::process::Output;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `git commit -q` through the installed hooks.
fn commit(repo: &TempRepo, args: &[&str]) -> Output {
    let mut all = vec!["commit", "-q"];
    all.extend_from_slice(args);
    repo.git_output(&all)
}

/// A commit the hooks let through, having scanned `files` staged files with nothing found.
fn assert_commits(repo: &TempRepo, args: &[&str], files: usize) {
    let before = repo.git(&["rev-parse", "HEAD"]);
    let out = commit(repo, args);
    let t = text(&out);
    assert!(out.status.success(), "{args:?}: {t}");
    let summary = format!("0 blocking, 0 warning, 0 info in {files} file(s)");
    assert!(t.contains(&summary), "{args:?}: {t}");
    assert_ne!(repo.git(&["rev-parse", "HEAD"]), before, "{args:?}");
}

/// A commit the hooks block for the SSN in `path`, with the value masked. When the value is
/// in the index already (not for `commit -a` or `commit <path>`), `scan --staged` reports it
/// as a finding (exit 1), not an error (exit 2).
fn assert_blocked(repo: &TempRepo, args: &[&str], path: &str) {
    if !args.contains(&"-a") && !args.contains(&path) {
        let run = repo.phiguard(&["scan", "--staged"]);
        assert_eq!(run.code, 1, "a finding, not an error: {}", run.all());
    }
    let before = repo.git(&["rev-parse", "HEAD"]);
    let out = commit(repo, args);
    let t = text(&out);
    assert!(!out.status.success(), "{args:?}: {t}");
    assert!(
        t.contains("phi.ssn") && t.contains(&format!("{path}:1:")),
        "{t}"
    );
    assert!(!t.contains("error"), "{t}");
    assert_no_value(&out.stdout, &[SSN]);
    assert_no_value(&out.stderr, &[SSN]);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
}

fn install(repo: &TempRepo) {
    let r = repo.phiguard(&[
        "install",
        "--hooks",
        "pre-commit,pre-merge-commit,commit-msg",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// The index file is split: libgit2 refuses its `link` extension, and a shared index exists.
fn assert_split(repo: &TempRepo) {
    match git2::Repository::open(repo.path()).unwrap().index() {
        Ok(_) => panic!("the index is not split"),
        Err(e) => assert!(e.message().contains("link"), "{e}"),
    }
    let shared = std::fs::read_dir(repo.path().join(".git"))
        .unwrap()
        .any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("sharedindex.")
        });
    assert!(shared, "a shared index");
}

/// A repository with a committed file holding an SSN (`old/patient.txt`, committed without
/// hooks, as legacy content) and a split index, with the hooks installed.
fn split_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.add("README.md", "readme\n");
    repo.add("src/a.rs", "fn a() {}\n");
    repo.add(
        "old/patient.txt",
        format!("legacy record\nssn {SSN}\nend\n"),
    );
    repo.commit("base");
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.git(&["update-index", "--split-index"]);
    install(&repo);
    assert_split(&repo);
    repo
}

#[test]
fn a_split_index_commits_blocks_and_follows_renames() {
    let repo = split_repo();
    repo.add("src/b.rs", "fn b() {}\n");
    assert_commits(&repo, &["-m", "clean"], 1);
    assert_split(&repo);
    repo.add("src/a.rs", "fn a() { 1 }\n");
    assert_commits(&repo, &["-m", "edit a shared entry"], 1);
    repo.add("notes.txt", format!("patient ssn: {SSN}\n"));
    assert_blocked(&repo, &["-m", "ssn"], "notes.txt");
    repo.git(&["rm", "-q", "--cached", "notes.txt"]);
    // A rename: the file's lines come from its old path, so nothing is added.
    repo.git(&["mv", "old/patient.txt", "src/patient.txt"]);
    assert_commits(&repo, &["-m", "move"], 1);
    // `commit -a` and `commit <path>` use a temporary index, split as well.
    repo.write("src/b.rs", "fn b() { 2 }\n");
    assert_commits(&repo, &["-a", "-m", "all"], 1);
    repo.write("src/b.rs", format!("// ssn {SSN}\n"));
    assert_blocked(&repo, &["-a", "-m", "all"], "src/b.rs");
    assert_blocked(&repo, &["-m", "path", "src/b.rs"], "src/b.rs");
    assert_split(&repo);
}

/// A linked worktree keeps its own index and shared index in its git directory
/// (`.git/worktrees/<name>`), where libgit2's `Repository::path` points.
#[test]
fn a_split_index_of_a_linked_worktree_is_read_from_its_git_dir() {
    let repo = split_repo();
    let outside = tempfile::tempdir().unwrap();
    let wt = outside.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let in_wt = |args: &[&str]| repo.git_in(&wt, args);
    std::fs::write(wt.join("w.txt"), "clean\n").unwrap();
    assert!(in_wt(&["add", "w.txt"]).status.success());
    let own = std::fs::read_dir(repo.path().join(".git/worktrees/wt")).unwrap();
    let own = own.filter(|e| {
        e.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("sharedindex.")
    });
    assert!(own.count() > 0, "the worktree's own shared index");
    let out = in_wt(&["commit", "-q", "-m", "clean"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("0 blocking, 0 warning, 0 info in 1 file(s)"),
        "{}",
        text(&out)
    );
    std::fs::write(wt.join("w.txt"), format!("patient ssn: {SSN}\n")).unwrap();
    assert!(in_wt(&["add", "w.txt"]).status.success());
    let out = in_wt(&["commit", "-q", "-m", "ssn"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("w.txt:1:") && !text(&out).contains("error"),
        "{}",
        text(&out)
    );
    assert_no_value(&out.stderr, &[SSN]);
}

/// Git cannot read such an index either; the hooks say which file is missing.
#[test]
fn a_split_index_without_its_shared_index_fails_closed() {
    let repo = split_repo();
    repo.add("src/b.rs", "fn b() {}\n");
    for entry in std::fs::read_dir(repo.path().join(".git")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("sharedindex.")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let run = repo.phiguard(&["scan", "--staged"]);
    assert_eq!(run.code, 2, "{}", run.all());
    let err = run.err();
    assert!(err.contains("reading the index"), "{err}");
    assert!(
        err.contains("its shared index, sharedindex."),
        "names the file: {err}"
    );
}

#[test]
fn a_split_index_in_a_sha256_repository_keeps_its_clear_error() {
    let repo = TempRepo::new();
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    repo.git(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    repo.add("a.txt", "a\n");
    repo.commit("base");
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.git(&["update-index", "--split-index"]);
    repo.add("a.txt", "b\n");
    let run = repo.phiguard(&["scan", "--staged"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("SHA-256"), "{}", run.err());
}

/// pre-merge-commit (an automatic merge) and the pre-commit of a conflict's resolution read
/// the split index too.
#[test]
fn merges_with_a_split_index_are_planned() {
    let repo = TempRepo::new();
    repo.add("shared.txt", "one\ntwo\nthree\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.add("feature.txt", format!("legacy ssn {SSN}\n"));
    repo.add("shared.txt", "one\nfeature\nthree\n");
    repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.add("main.txt", "main side\n");
    repo.commit("main work");
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.git(&["update-index", "--split-index"]);
    install(&repo);
    assert_split(&repo);
    // The merged-in side's value is not added by the merge.
    let out = repo.git_output(&["merge", "-q", "--no-ff", "-m", "merge", "feature"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 blocking"), "{}", text(&out));
    repo.git(&["reset", "-q", "--hard", "HEAD~"]);
    repo.add("shared.txt", "one\nmain\nthree\n");
    repo.commit("main edit");
    let out = repo.git_output(&["merge", "-q", "feature"]);
    assert!(!out.status.success(), "a conflict: {}", text(&out));
    repo.add("shared.txt", format!("ssn {SSN}\nresolved\nthree\n"));
    assert_split(&repo);
    assert_blocked(&repo, &["--no-edit"], "shared.txt");
}

/// A sparse checkout with a sparse index: `dir/` checked out, `other/` one directory entry.
/// `other/b.txt` gained an SSN in the last commit (without hooks), and the index stays at that
/// commit when `reset_soft` moves `HEAD` back before it.
fn sparse_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.add("top.txt", "top\n");
    repo.add("dir/a.txt", "a\n");
    repo.add("dir/patient.txt", format!("legacy\nssn {SSN}\n"));
    repo.add("other/b.txt", "b\n");
    repo.add("other/deep/c.txt", "c\n");
    repo.commit("base");
    repo.add("other/b.txt", format!("ssn {SSN}\nb\n"));
    repo.commit("value outside the cone");
    repo.git(&["sparse-checkout", "init", "--cone", "--sparse-index"]);
    repo.git(&["sparse-checkout", "set", "dir"]);
    install(&repo);
    assert_sparse(&repo);
    repo
}

/// The index is sparse: `other/` is one directory entry.
fn assert_sparse(repo: &TempRepo) {
    let listed = repo.git(&["ls-files", "--sparse"]);
    assert!(listed.lines().any(|l| l == "other/"), "{listed}");
}

#[test]
fn a_sparse_index_commits_blocks_and_follows_renames() {
    let repo = sparse_repo();
    repo.add("dir/a.txt", "a changed\n");
    assert_commits(&repo, &["-m", "clean"], 1);
    assert_sparse(&repo);
    repo.add("dir/new.txt", format!("patient ssn: {SSN}\n"));
    assert_blocked(&repo, &["-m", "ssn"], "dir/new.txt");
    repo.git(&["rm", "-q", "--cached", "dir/new.txt"]);
    std::fs::remove_file(repo.path().join("dir/new.txt")).unwrap();
    repo.git(&["mv", "dir/patient.txt", "dir/moved.txt"]);
    assert_sparse(&repo);
    assert_commits(&repo, &["-m", "move"], 1);
    repo.write("dir/a.txt", "a again\n");
    assert_commits(&repo, &["-a", "-m", "all"], 1);
    assert_sparse(&repo);
}

/// A directory entry whose tree is not `HEAD`'s (`reset --soft` past a commit that changed
/// it) is expanded: the value it stages is found.
#[test]
fn a_sparse_directory_that_differs_from_head_is_expanded() {
    let repo = sparse_repo();
    repo.git(&["reset", "-q", "--soft", "HEAD~"]);
    assert_sparse(&repo);
    assert_blocked(&repo, &["-m", "again"], "other/b.txt");
    // With a rename beside it, libgit2 gets the expanded entries.
    repo.git(&["mv", "dir/patient.txt", "dir/moved.txt"]);
    assert_sparse(&repo);
    assert_blocked(&repo, &["-m", "again"], "other/b.txt");
}
