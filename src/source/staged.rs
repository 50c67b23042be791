//! `scan --staged` and the pre-commit hooks: what `git commit` would add — the index against
//! `HEAD` (an unborn `HEAD` is an empty tree). The repository comes from
//! `Repository::open_from_env()`, so the temporary index of `commit -a` / `commit <path>`
//! (`GIT_INDEX_FILE`) and linked worktrees work. During a merge, the other parents' versions
//! count as old too: a merge commit is scanned for what the merge itself introduces.

use super::{Job, skipped_path};
use crate::error::{Error, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, FileMode, Oid, Repository, Tree};
use globset::GlobSet;
use std::path::Path;
use std::sync::Arc;

fn head_tree(repo: &Repository) -> Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => head
            .peel_to_tree()
            .map(Some)
            .map_err(|e| Error::git("reading the HEAD tree", &e)),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(Error::git("reading HEAD", &e)),
    }
}

/// The other parents of a merge being committed: `MERGE_HEAD` after a conflict (git runs
/// pre-commit then). During an automatic merge git runs pre-merge-commit *before* writing
/// `MERGE_HEAD`; the merged names are then in `GIT_REFLOG_ACTION` (`merge <name>...`), or, for
/// `git pull`, in `FETCH_HEAD`. Unresolvable names are ignored: the merge is then scanned
/// against `HEAD` alone, which can only report more, never less.
fn merge_parents(repo: &Repository) -> Vec<Oid> {
    let read = |name: &str| std::fs::read_to_string(repo.path().join(name)).unwrap_or_default();
    let merge_head = read("MERGE_HEAD");
    if !merge_head.trim().is_empty() {
        return merge_head
            .split_whitespace()
            .filter_map(|h| Oid::from_str(h).ok())
            .collect();
    }
    let action = std::env::var("GIT_REFLOG_ACTION").unwrap_or_default();
    if let Some(names) = action.strip_prefix("merge ") {
        return names
            .split_whitespace()
            .filter_map(|n| repo.revparse_single(n).ok()?.peel_to_commit().ok())
            .map(|c| c.id())
            .collect();
    }
    if action.starts_with("pull") {
        return read("FETCH_HEAD")
            .lines()
            .filter(|l| !l.contains("not-for-merge"))
            .filter_map(|l| Oid::from_str(l.split_whitespace().next()?).ok())
            .collect();
    }
    Vec::new()
}

/// Trees of the other parents of a merge being committed.
fn merge_trees(repo: &Repository) -> Result<Vec<Tree<'_>>> {
    merge_parents(repo)
        .into_iter()
        .map(|oid| {
            repo.find_commit(oid)
                .and_then(|c| c.tree())
                .map_err(|e| Error::git(format!("reading merge parent {oid}"), &e))
        })
        .collect()
}

fn is_blob(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable)
}

/// Plans one job per staged file that has content to scan. Returns the jobs and how many
/// paths were skipped (lockfiles, excluded).
///
/// # Errors
///
/// When `HEAD`, the index or a tree cannot be read.
pub fn plan(repo: &Repository, exclude: &GlobSet) -> Result<(Vec<Job>, usize)> {
    let head = head_tree(repo)?;
    let index = repo
        .index()
        .map_err(|e| Error::git("reading the index", &e))?;
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true).include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| Error::git("comparing the index with HEAD", &e))?;
    let has = |s: Delta| diff.deltas().any(|d| d.status() == s);
    if has(Delta::Added) && has(Delta::Deleted) {
        let mut find = DiffFindOptions::new();
        find.renames(true).rename_limit(2000);
        diff.find_similar(Some(&mut find))
            .map_err(|e| Error::git("detecting renames", &e))?;
    }
    let merges = merge_trees(repo)?;
    let mut jobs = Vec::new();
    let mut skipped = 0;
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
            skipped += 1;
            continue;
        }
        let mut old = Vec::new();
        let o = delta.old_file();
        if !o.id().is_zero() && is_blob(o.mode()) {
            old.push(o.id());
        }
        for tree in &merges {
            if let Ok(entry) = tree.get_path(Path::new(&*path))
                && entry.kind() == Some(git2::ObjectType::Blob)
            {
                old.push(entry.id());
            }
        }
        jobs.push(Job::Blob {
            path,
            new: delta.new_file().id(),
            old,
            commit: None,
            refname: None,
        });
    }
    Ok((jobs, skipped))
}
