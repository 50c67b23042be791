//! Fault injection (issue 25): every fault a hook can meet ends in a rejection (exit 2) with a
//! message naming the cause, never a hang, a panic or an acceptance. Real git throughout; each
//! run is bounded (`run_within`), so a hang fails the test instead of stalling the suite.
//!
//! Covered elsewhere, not repeated here: a truncated loose object and a SHA-256 repository
//! (`regression.rs`), an unreadable or non-regular config file (`regression.rs`), an
//! unwritable audit log (`audit.rs`), a killed or hanging or missing `gpg` (`signing.rs`), a
//! panic on the main thread and in a worker (`regression.rs`).

use crate::common::{Server, TempRepo, bin, run_within};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Long enough for any honest run on a loaded machine; a hang ends here and fails.
const LIMIT_SECS: u64 = 120;

/// `git ARGS` in `dir` with `repo`'s isolated environment and `vars`, within the limit.
fn git_within(
    repo: &TempRepo,
    dir: &Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> crate::common::Run {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir);
    repo.env(&mut cmd);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run_within(cmd, None, LIMIT_SECS).unwrap_or_else(|| panic!("git {args:?} hung"))
}

/// `phiguard ARGS` in `dir` with `stdin`, within the limit.
fn phiguard_within(repo: &TempRepo, dir: &Path, args: &[&str], stdin: &[u8]) -> crate::common::Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(dir);
    repo.env(&mut cmd);
    run_within(cmd, Some(stdin), LIMIT_SECS).unwrap_or_else(|| panic!("phiguard {args:?} hung"))
}

/// The loose object file of `id` in `repo`.
fn object_path(repo: &TempRepo, id: &str) -> std::path::PathBuf {
    repo.path()
        .join(".git/objects")
        .join(&id[..2])
        .join(&id[2..])
}

/// A repository whose `HEAD:a.txt` is edited in the index: its old version must be read.
fn staged_edit() -> (TempRepo, String) {
    let numbers: String = (1..3000).map(|i| format!("line {i}\n")).collect();
    let repo = TempRepo::new();
    repo.add("a.txt", &numbers);
    repo.commit("a");
    let old = repo.git(&["rev-parse", "HEAD:a.txt"]).trim().to_owned();
    repo.install_hooks();
    repo.add("a.txt", format!("{numbers}more\n"));
    (repo, old)
}

/// Runs `git commit` through the installed pre-commit hook; it must be refused naming `cause`.
fn commit_refused(repo: &TempRepo, cause: &str, vars: &[(&str, &str)]) {
    let before = repo.git(&["rev-parse", "HEAD"]);
    let run = git_within(repo, repo.path(), &["commit", "-q", "-m", "edit"], vars);
    assert_ne!(run.code, 0, "the commit went through: {}", run.all());
    assert!(run.err().contains(cause), "names {cause:?}: {}", run.all());
    assert!(!run.err().contains("panicked"), "{}", run.all());
    assert_eq!(
        repo.git(&["rev-parse", "HEAD"]),
        before,
        "nothing committed"
    );
}

/// A baseline that is a FIFO, or a link to an endless device: the hook read it with
/// `read_to_string`, which waited for a writer on the FIFO (the commit hung) and would read
/// `/dev/zero` until memory ran out. Each now refuses the commit naming the file.
#[cfg(unix)]
#[test]
fn a_baseline_that_is_a_fifo_or_endless_refuses_the_commit_naming_it() {
    let (repo, _) = staged_edit();
    let baseline = repo.path().join(".phiguard-baseline");
    let c = std::ffi::CString::new(baseline.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    commit_refused(&repo, ".phiguard-baseline", &[]);
    std::fs::remove_file(&baseline).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &baseline).unwrap();
    commit_refused(&repo, ".phiguard-baseline", &[]);
}

#[test]
fn a_corrupt_loose_object_refuses_the_commit_naming_it() {
    let (repo, old) = staged_edit();
    let path = object_path(&repo, &old);
    let mut bytes = std::fs::read(&path).unwrap();
    // Damage the middle of the zlib stream, keeping its length.
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b ^= 0xa5;
    }
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
    std::fs::set_permissions(&path, perm).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    commit_refused(&repo, "corrupt", &[]);
}

#[test]
fn an_unreadable_loose_object_refuses_the_commit_naming_it() {
    // Tests run as root too, where permissions do not stop a read: the object's path is a
    // directory, which no one can read as a file.
    let (repo, old) = staged_edit();
    let path = object_path(&repo, &old);
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    commit_refused(&repo, &old[..7], &[]);
}

#[test]
fn a_truncated_pack_fails_the_scan_and_the_hook_closed() {
    let (repo, old) = staged_edit();
    repo.git(&["gc", "-q"]);
    assert!(!object_path(&repo, &old).exists(), "gc packed the blob");
    let pack_dir = repo.path().join(".git/objects/pack");
    for entry in std::fs::read_dir(&pack_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pack") {
            let len = std::fs::metadata(&path).unwrap().len();
            let mut perm = std::fs::metadata(&path).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
            std::fs::set_permissions(&path, perm).unwrap();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }
    }
    let run = phiguard_within(&repo, repo.path(), &["scan", "--range", "HEAD"], b"");
    assert_eq!(run.code, 2, "{}", run.all());
    // libgit2 finds the pack index but not the object's data: the missing object is named.
    assert!(
        run.err().contains("not found"),
        "names the read: {}",
        run.all()
    );
    // git itself refuses to commit on this pack; the hook, run as git would, refuses too.
    let run = phiguard_within(&repo, repo.path(), &["hook", "pre-commit"], b"");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.err().contains("git: reading"),
        "names the read: {}",
        run.all()
    );
}

/// A history whose blobs are packed is read by phiguard's own pack reader
/// (`source::pack`): a damaged pack entry fails the scan closed, naming a blob of the file,
/// instead of skipping it or scanning garbage.
#[test]
fn a_damaged_pack_entry_fails_a_history_scan_naming_the_blob() {
    let repo = TempRepo::new();
    let mut text: String = (1..400).map(|i| format!("line {i}\n")).collect();
    for v in 0..6 {
        text.push_str(&format!("edit {v}\n"));
        repo.add("a.txt", &text);
        repo.commit(&format!("v{v}"));
    }
    let blobs: Vec<String> = (0..6)
        .map(|back| {
            let spec = format!("HEAD~{back}:a.txt");
            repo.git(&["rev-parse", &spec]).trim().to_owned()
        })
        .collect();
    repo.git(&["repack", "-adfq"]);
    let pack_dir = repo.path().join(".git/objects/pack");
    let with = |ext: &str| {
        std::fs::read_dir(&pack_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap()
    };
    // The newest version's entry, by git's own reading of the index: git stores the newest
    // version whole and the older ones as deltas against it, so every read goes through it.
    let index = Command::new("git")
        .arg("show-index")
        .stdin(std::fs::File::open(with("idx")).unwrap())
        .output()
        .unwrap();
    let index = String::from_utf8(index.stdout).unwrap();
    let offset: usize = index
        .lines()
        .find(|l| l.contains(&blobs[0]))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let pack = with("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    // Past the entry's header and zlib's: inside the compressed content.
    bytes[offset + 8] ^= 0x55;
    let mut perm = std::fs::metadata(&pack).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
    std::fs::set_permissions(&pack, perm).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    let run = phiguard_within(&repo, repo.path(), &["scan", "--range", "HEAD"], b"");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        blobs.iter().any(|b| run.err().contains(b.as_str())),
        "names a blob of a.txt: {}",
        run.all()
    );
    assert!(run.err().contains("corrupt"), "says why: {}", run.all());
    assert!(!run.err().contains("panicked"), "{}", run.all());
}

#[test]
fn a_missing_quarantine_directory_rejects_the_push_naming_it() {
    let s = Server::new("pre-receive");
    // A hook that loses git's quarantine directory before phiguard runs.
    let hook = s.bare.path().join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nrm -rf \"$GIT_QUARANTINE_PATH\"\nexec '{}' hook pre-receive \"$@\"\n",
            bin().display()
        ),
    )
    .unwrap();
    s.work.add("a.txt", "fine\n");
    s.work.commit("a");
    let run = git_within(&s.work, s.work.path(), &["push", "origin", "main"], &[]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.err().contains("GIT_QUARANTINE_PATH"), "{}", run.all());
    assert!(run.err().contains("is missing"), "{}", run.all());
}

#[test]
fn a_config_syntax_error_rejects_the_push_naming_the_file() {
    let s = Server::new("pre-receive");
    s.config("[server\nbudget_ms = 4000\n");
    s.work.add("a.txt", "fine\n");
    s.work.commit("a");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("phiguard.toml"), "{text}");
    assert!(text.contains("line 1"), "names the line: {text}");
}

#[test]
fn a_stuck_worker_is_ended_by_the_server_watchdog_at_the_budget() {
    let s = Server::new("pre-receive");
    // A budget the push's planning cannot use up on a loaded machine (300 ms could: the
    // budget's own check then ended the push before the stalled worker was reached).
    s.config("[server]\nbudget_ms = 2000\n");
    s.work.add("a.txt", "fine\n");
    s.work.commit("a");
    let started = Instant::now();
    let run = git_within(
        &s.work,
        s.work.path(),
        &["push", "origin", "main"],
        &[("PHIGUARD_TEST_STALL", "worker")],
    );
    let took = started.elapsed();
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.err().contains("time budget of 2000 ms exceeded"),
        "{}",
        run.all()
    );
    assert!(run.err().contains("watchdog"), "{}", run.all());
    // The budget and its grace, not the test's limit, ended the push.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(s.server_has("refs/heads/main").is_some());
    // Without the stall the same push goes through: the stall was the cause.
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
}

#[test]
fn a_push_ended_by_the_watchdog_is_recorded_in_the_audit_log() {
    let s = Server::new("pre-receive");
    // As above: a budget planning cannot use up under load, so the watchdog ends the push.
    s.config("[server]\nbudget_ms = 2000\naudit_log = \"audit.log\"\n");
    s.work.add("a.txt", "fine\n");
    s.work.commit("a");
    let run = git_within(
        &s.work,
        s.work.path(),
        &["push", "origin", "main"],
        &[("PHIGUARD_TEST_STALL", "worker")],
    );
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.err().contains("watchdog"), "{}", run.all());
    let log = std::fs::read_to_string(s.bare.path().join("audit.log")).expect("audit log written");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert_eq!(lines[0]["decision"], "budget", "{log}");
    assert_eq!(lines[0]["reasons"][0]["code"], "watchdog", "{log}");
    assert_eq!(lines[0]["reasons"][0]["detail"], "2000", "{log}");
    assert_eq!(lines[0]["refs"][0]["ref"], "refs/heads/main", "{log}");
    // The next push (no stall) chains onto it.
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    let log = std::fs::read_to_string(s.bare.path().join("audit.log")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");
    let mut verify = Command::new(bin());
    verify
        .args(["audit", "verify"])
        .arg(s.bare.path().join("audit.log"));
    let v = crate::common::run(verify, None);
    assert_eq!(v.code, 0, "{}", v.all());
}

#[test]
fn a_stuck_pre_commit_is_ended_by_the_client_watchdog() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    repo.install_hooks();
    repo.write(".phiguard.toml", "[scan]\nwatchdog_ms = 500\n");
    repo.add("a.txt", "fine\n");
    let started = Instant::now();
    commit_refused(
        &repo,
        "the pre-commit hook did not finish within 500 ms ([scan] watchdog_ms)",
        &[("PHIGUARD_TEST_STALL", "worker")],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    // The default is generous; without the stall the commit goes through.
    let run = git_within(&repo, repo.path(), &["commit", "-q", "-m", "a"], &[]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn stdin_closed_early_rejects_the_push_naming_it() {
    let s = Server::new("pre-receive");
    let head = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let line = format!("{head} {head} refs/heads/main");
    for cut in [line.len(), 60, 45, 10] {
        let run = phiguard_within(
            &s.bare,
            s.bare.path(),
            &["hook", "pre-receive"],
            &line.as_bytes()[..cut],
        );
        assert_eq!(run.code, 2, "cut at {cut}: {}", run.all());
        assert!(
            run.err().contains("closed early"),
            "cut at {cut}: {}",
            run.all()
        );
    }
    let run = phiguard_within(
        &s.work,
        s.work.path(),
        &["hook", "pre-push", "origin", "/nowhere"],
        format!("refs/heads/main {head} refs/heads/main").as_bytes(),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("closed early"), "{}", run.all());
}

#[test]
fn malformed_ref_lines_reject_the_push_naming_them() {
    let s = Server::new("pre-receive");
    let head = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let cases = [
        "garbage\n".to_owned(),
        format!("{head} refs/heads/main\n"),
        format!("{head} {head} refs/heads/main extra\n"),
        format!("{} {head} refs/heads/main\n", "z".repeat(40)),
        format!("{head} {} refs/heads/main\n", "a".repeat(64)),
        "\u{1b}[31m red \u{1b}[0m\n".to_owned(),
    ];
    for input in &cases {
        let run = phiguard_within(
            &s.bare,
            s.bare.path(),
            &["hook", "pre-receive"],
            input.as_bytes(),
        );
        assert_eq!(run.code, 2, "{input:?}: {}", run.all());
        assert!(
            run.err().contains("pre-receive")
                || run.err().contains("SHA-256")
                || run.err().contains("id"),
            "{input:?}: {}",
            run.all()
        );
        assert!(
            !run.err().contains('\u{1b}'),
            "control bytes escaped: {}",
            run.all()
        );
    }
    // Not UTF-8 at all.
    let run = phiguard_within(
        &s.bare,
        s.bare.path(),
        &["hook", "pre-receive"],
        b"\xff\xfe\n",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("stdin"), "{}", run.all());
}
