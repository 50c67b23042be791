//! Commits as jobs: each commit's own added lines and its message. Used by `scan --range`,
//! pre-push and the server hooks.
//!
//! A file of a commit is scanned against every parent's version of it, so a merge is scanned
//! for what the merge itself introduces (combined-diff semantics): a path whose merged version
//! equals one parent's version was already scanned on that side and produces nothing; a
//! conflict resolution that adds a line no parent had is caught.

use super::{Item, Job, skipped_path};
use crate::error::{Error, Result};
use git2::{Commit, Delta, DiffFindOptions, DiffOptions, FileMode, Oid, Repository, Sort};
use globset::GlobSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Name under which commit and tag messages are reported.
pub const MESSAGE_PATH: &str = "<commit message>";
/// Name under which annotated tag messages are reported.
pub const TAG_MESSAGE_PATH: &str = "<tag message>";

fn is_blob(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable)
}

/// Plans the jobs of one commit (files and message).
///
/// # Errors
///
/// When a tree or parent cannot be read.
pub fn commit_jobs(
    repo: &Repository,
    commit: &Commit<'_>,
    refname: Option<&Arc<str>>,
    exclude: &GlobSet,
    jobs: &mut Vec<Job>,
) -> Result<()> {
    let id: Arc<str> = Arc::from(commit.id().to_string());
    let err = |what: &str, e: &git2::Error| Error::git(format!("{what} of commit {id}"), e);
    let tree = commit.tree().map_err(|e| err("reading the tree", &e))?;
    let parents: Vec<git2::Tree<'_>> = commit
        .parents()
        .map(|p| p.tree())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| err("reading a parent", &e))?;
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true).include_typechange(true);
    let mut diff = repo
        .diff_tree_to_tree(parents.first(), Some(&tree), Some(&mut opts))
        .map_err(|e| err("diffing", &e))?;
    let has = |s: Delta| diff.deltas().any(|d| d.status() == s);
    if has(Delta::Added) && has(Delta::Deleted) {
        let mut find = DiffFindOptions::new();
        find.renames(true).rename_limit(2000);
        diff.find_similar(Some(&mut find))
            .map_err(|e| err("detecting renames", &e))?;
    }
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) || !is_blob(delta.new_file().mode())
        {
            continue;
        }
        let Some(path_bytes) = delta.new_file().path_bytes() else {
            continue;
        };
        let path: Arc<str> = Arc::from(String::from_utf8_lossy(path_bytes));
        if skipped_path(&path) || exclude.is_match(&*path) {
            continue;
        }
        let new = delta.new_file().id();
        let mut old = Vec::new();
        let first = delta.old_file();
        if !first.id().is_zero() && is_blob(first.mode()) {
            old.push(first.id());
        }
        for other in parents.iter().skip(1) {
            if let Ok(entry) = other.get_path(Path::new(&*path))
                && entry.kind() == Some(git2::ObjectType::Blob)
            {
                old.push(entry.id());
            }
        }
        if old.contains(&new) {
            continue; // the merge took one side's version as it was
        }
        jobs.push(Job::Blob {
            path,
            new,
            old,
            commit: Some(id.clone()),
            refname: refname.cloned(),
        });
    }
    let mut msg = Item::whole(MESSAGE_PATH, commit.message_bytes().to_vec());
    msg.commit = Some(id);
    msg.refname = refname.cloned();
    jobs.push(Job::Text(msg));
    Ok(())
}

/// The commits reachable from `tips` and from none of `hide`, oldest first. Hidden ids that
/// are not in the repository (a remote tip never fetched) are skipped.
///
/// # Errors
///
/// When a tip cannot be walked.
pub fn walk(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Oid>> {
    let mut walk = repo
        .revwalk()
        .map_err(|e| Error::git("starting a walk", &e))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(|e| Error::git("sorting a walk", &e))?;
    for tip in tips {
        walk.push(*tip)
            .map_err(|e| Error::git(format!("walking from {tip}"), &e))?;
    }
    for h in hide {
        if repo.find_commit(*h).is_ok() {
            walk.hide(*h)
                .map_err(|e| Error::git(format!("hiding {h}"), &e))?;
        }
    }
    walk.map(|r| r.map_err(|e| Error::git("walking commits", &e)))
        .collect()
}

/// Plans jobs for a list of commits, checking the deadline between commits.
///
/// # Errors
///
/// A commit that cannot be read, or the deadline passing (fail closed).
pub fn plan(
    repo: &Repository,
    commits: &[(Oid, Option<Arc<str>>)],
    exclude: &GlobSet,
    deadline: Option<(Instant, u64)>,
) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for (oid, refname) in commits {
        if let Some((at, budget_ms)) = deadline
            && Instant::now() > at
        {
            return Err(Error::from(crate::error::ErrorKind::Budget { budget_ms }));
        }
        let commit = repo
            .find_commit(*oid)
            .map_err(|e| Error::git(format!("reading commit {oid}"), &e))?;
        commit_jobs(repo, &commit, refname.as_ref(), exclude, &mut jobs)?;
    }
    Ok(jobs)
}

/// Resolves `A..B` or `REV` into commits (oldest first).
///
/// # Errors
///
/// When the range does not name commits.
pub fn range(repo: &Repository, spec: &str) -> Result<Vec<Oid>> {
    let bad = |e: git2::Error| Error::usage(format!("--range {spec:?}: {}", e.message()));
    if let Some((a, b)) = spec.split_once("..") {
        let peel = |s: &str| -> Result<Oid> {
            let s = if s.is_empty() { "HEAD" } else { s };
            Ok(repo
                .revparse_single(s)
                .and_then(|o| o.peel_to_commit())
                .map_err(bad)?
                .id())
        };
        let (a, b) = (peel(a)?, peel(b.trim_start_matches('.'))?);
        return walk(repo, &[b], &[a]);
    }
    let tip = repo
        .revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map_err(bad)?;
    walk(repo, &[tip.id()], &[])
}
