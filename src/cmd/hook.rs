//! `phiguard hook <name>`: what the installed shims run. Every failure to decide is exit 2,
//! which git treats as a rejection (fail closed).

use super::{Exit, Origin, Session};
use crate::cli::{Global, HookCommand};
use anyhow::{Context as _, Result};
use phiguard::report::Context;
use phiguard::source::{self, Job, RepoAt};
use std::path::Path;

pub fn run(g: &Global, hook: &HookCommand) -> Result<Exit> {
    match hook {
        HookCommand::PreCommit | HookCommand::PreMergeCommit => {
            super::scan::staged(g, Context::Commit, false)
        }
        HookCommand::CommitMsg { file } => commit_msg(g, file),
        HookCommand::PrePush { remote, .. } => super::push::pre_push(g, remote),
        HookCommand::PreReceive => super::push::pre_receive(g),
        HookCommand::Update { refname, old, new } => super::push::update(g, refname, old, new),
    }
}

/// The message as git will record it: when git strips comments, comment lines and the
/// `commit -v` diff below the scissors line are not part of it; `git commit -m "# …"` keeps
/// them, so they are scanned.
fn commit_msg(g: &Global, file: &Path) -> Result<Exit> {
    let text = std::fs::read(file)
        .with_context(|| format!("reading the message file {}", file.display()))?;
    let repo = git2::Repository::open_from_env().ok();
    let config = repo.as_ref().and_then(|r| r.config().ok());
    let get = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok());
    let editor = std::env::var("GIT_EDITOR").map_or(true, |e| e != ":");
    let comments = source::message::Comments::decide(
        get("commit.cleanup").as_deref(),
        editor,
        get("core.commentChar"),
    );
    let root = repo
        .as_ref()
        .and_then(|r| r.workdir().map(Path::to_path_buf));
    let session = Session::new(
        g,
        Origin {
            repo_root: root,
            server_git_dir: None,
        },
        Context::Message,
    )?;
    let name = file.file_name().map_or_else(
        || "COMMIT_EDITMSG".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let item = source::message::item(&name, text, &comments);
    session.scan_and_report(&[Job::Text(item)], RepoAt::None, 0)
}
