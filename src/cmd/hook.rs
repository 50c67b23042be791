//! `phiguard hook <name>`: what the installed shims run. Every failure to decide is exit 2,
//! which git treats as a rejection (fail closed).

use super::{Exit, Origin, Session};
use crate::cli::{Global, HookCommand};
use anyhow::{Context as _, Result};
use phiguard::report::Context;
use phiguard::source;
use std::path::Path;

pub fn run(g: &Global, hook: &HookCommand) -> Result<Exit> {
    match hook {
        HookCommand::PreCommit => super::watchdog::expect_client("pre-commit"),
        HookCommand::PreMergeCommit => super::watchdog::expect_client("pre-merge-commit"),
        HookCommand::CommitMsg { .. } => super::watchdog::expect_client("commit-msg"),
        HookCommand::PrePush { .. } => super::watchdog::expect_client("pre-push"),
        HookCommand::PreCommitFramework { .. } => {
            super::watchdog::expect_client("pre-commit-framework")
        }
        HookCommand::PreReceive | HookCommand::Update { .. } => {}
    }
    match hook {
        HookCommand::PreCommit | HookCommand::PreMergeCommit => {
            super::pending::COMMIT_HOOK.store(true, std::sync::atomic::Ordering::Relaxed);
            super::scan::staged(g, Context::Commit, false)
        }
        HookCommand::CommitMsg { file } => commit_msg(g, file),
        HookCommand::PrePush { remote, .. } => super::push::pre_push(g, remote),
        HookCommand::PreReceive => super::push::pre_receive(g),
        HookCommand::PreCommitFramework { push: true, .. } => super::push::framework_push(g),
        HookCommand::PreCommitFramework { push: false, files } => framework(g, files),
        HookCommand::Update { refname, old, new } => super::push::update(g, refname, old, new),
    }
}

/// The comment strings that may start git's scissors line in this repository:
/// `core.commentString`, else `core.commentChar` (default `#`; `auto` lets git choose among
/// a fixed set, so each of them counts).
fn comment_strings(repo: Option<&git2::Repository>) -> Vec<String> {
    let config = repo.and_then(|r| r.config().ok());
    let get = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok());
    match get("core.commentString").or_else(|| get("core.commentChar")) {
        Some(c) if c == "auto" => source::message::AUTO_COMMENT_CHARS
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        Some(c) if !c.is_empty() => vec![c],
        _ => vec!["#".to_owned()],
    }
}

/// The message as git may record it: every line up to the `commit -v` scissors line.
fn commit_msg(g: &Global, file: &Path) -> Result<Exit> {
    let text = std::fs::read(file)
        .with_context(|| format!("reading the message file {}", file.display()))?;
    // A repository git names (GIT_DIR) must open: its config decides the rules (fail closed).
    let repo = match git2::Repository::open_from_env() {
        Ok(r) => Some(r),
        Err(e) if super::is_sha256(&e) => {
            return Err(anyhow::Error::new(source::refs::sha256_error()));
        }
        Err(e) if std::env::var_os("GIT_DIR").is_some() => {
            return Err(anyhow::anyhow!("opening the repository ({})", e.message()));
        }
        Err(_) => None,
    };
    let root = repo
        .as_ref()
        .and_then(|r| r.workdir().map(Path::to_path_buf));
    let session = Session::new(g, Origin::client(root), Context::Message)?;
    let name = file.file_name().map_or_else(
        || "COMMIT_EDITMSG".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let comments = comment_strings(repo.as_ref());
    let comments: Vec<&str> = comments.iter().map(String::as_str).collect();
    let item = source::message::item_with_comments(&name, text, &comments);
    // Git names the file relative to the work tree's top (where hooks run), or absolutely in
    // a linked worktree; the hint gives it absolute, for a shell in any directory.
    let kept = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let totals = repo.as_ref().and_then(super::pending::take);
    session.scan_message(item, kept.to_string_lossy().into_owned(), totals)
}

/// The pre-commit framework's `phiguard` hook. Git sets `GIT_INDEX_FILE` for the hooks of
/// `git commit`: there, only what the commit adds counts (the staged semantics of the
/// pre-commit hook, restricted to the files passed); elsewhere (`pre-commit run --all-files`,
/// `--files`, CI) the files are scanned whole.
fn framework(g: &Global, files: &[std::path::PathBuf]) -> Result<Exit> {
    if std::env::var_os("GIT_INDEX_FILE").is_some() {
        let only: std::collections::HashSet<String> = files
            .iter()
            .map(|f| f.to_string_lossy().trim_start_matches("./").to_owned())
            .collect();
        return super::scan::staged_only(g, Context::Commit, false, Some(&only));
    }
    let root = super::discover_root();
    let mut session = Session::new(g, Origin::client(root), Context::Files)?;
    session.stop_counting_when_blocked();
    let roots: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    session.scan_files(&roots)
}
