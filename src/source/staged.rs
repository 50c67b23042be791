//! `scan --staged` and the pre-commit hooks: what `git commit` would add — the index against
//! `HEAD` (an unborn `HEAD` is an empty tree). The repository comes from
//! `Repository::open_from_env()`, so the temporary index of `commit -a` / `commit <path>`
//! (`GIT_INDEX_FILE`) and linked worktrees work. During a merge, the versions in `MERGE_HEAD`
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

/// Trees of the commits in `MERGE_HEAD`, when a merge is being committed.
fn merge_trees(repo: &Repository) -> Result<Vec<Tree<'_>>> {
    let file = repo.path().join("MERGE_HEAD");
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(Vec::new());
    };
    text.split_whitespace()
        .map(|hex| {
            let oid = Oid::from_str(hex).map_err(|e| Error::git("parsing MERGE_HEAD", &e))?;
            repo.find_commit(oid)
                .and_then(|c| c.tree())
                .map_err(|e| Error::git(format!("reading merge head {oid}"), &e))
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
