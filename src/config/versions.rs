//! A repository's `.phiguard.toml` as a commit or the index holds it: the configuration
//! `scan --range A..B` judges with (`A`'s), and the old and new versions of a change that the
//! weakening check ([`crate::weakening`]) compares.
//!
//! Every object is checked with [`crate::source::check_loose`] before libgit2 reads it: libgit2 spins
//! forever on a truncated loose object.

use super::{MAX_CONFIG_BYTES, REPO_FILE, RepoFiles};
use crate::error::{Error, Result};
use crate::source::check_loose;
use git2::{ErrorCode, Oid, Repository};
use std::path::Path;

/// No version at all (an unborn `HEAD`, a root commit's parent): every file absent, so the
/// defaults apply.
pub fn none() -> RepoFiles {
    RepoFiles::new("no commit", |_| Ok(None))
}

/// The tree of `commit`, checked.
fn tree_of(repo: &Repository, commit: Oid) -> Result<Oid> {
    check_loose(repo, commit, "reading a commit")?;
    let tree = repo
        .find_commit(commit)
        .map_err(|e| Error::git(format!("reading commit {commit}"), &e))?
        .tree_id();
    check_loose(repo, tree, "reading a tree")?;
    Ok(tree)
}

/// The id of `rel` in `tree`, each tree on the way checked; `None` when absent.
fn lookup(repo: &Repository, tree: Oid, rel: &str) -> Result<Option<Oid>> {
    let mut at = tree;
    let mut parts = rel.split('/').peekable();
    while let Some(name) = parts.next() {
        check_loose(repo, at, "reading a tree")?;
        let tree = repo
            .find_tree(at)
            .map_err(|e| Error::git(format!("reading tree {at}"), &e))?;
        let Some(entry) = tree.get_name(name) else {
            return Ok(None);
        };
        at = entry.id();
        if parts.peek().is_none() {
            return Ok(Some(at));
        }
    }
    Ok(None)
}

/// The files of `commit` (read again through the repository the command opened).
///
/// # Errors
///
/// When `commit` cannot be read.
pub fn at_commit(repo: &Repository, commit: Oid) -> Result<RepoFiles> {
    let tree = tree_of(repo, commit)?;
    let hex = commit.to_string();
    let label = format!("commit {}", &hex[..hex.len().min(12)]);
    Ok(RepoFiles::new(label, move |rel| {
        let repo = open()?;
        match lookup(&repo, tree, rel)? {
            Some(id) => blob_text(&repo, id, rel).map(Some),
            None => Ok(None),
        }
    }))
}

/// The files of the index (what `git commit` would record), as the hooks see it
/// (`GIT_INDEX_FILE` of `commit -a` / `commit <path>` honoured).
pub fn in_index() -> RepoFiles {
    RepoFiles::new("the index", |rel| {
        let repo = open()?;
        match crate::source::staged::index_id(&repo, rel)? {
            Some(id) => blob_text(&repo, id, rel).map(Some),
            None => Ok(None),
        }
    })
}

/// Whether `HEAD`, the index and the work tree under `root` hold the same `.phiguard.toml`
/// (or none): the common case, decided from blob ids, without parsing anything. `in_index`:
/// the index's id for it when the caller read the index already (`None`: read it here).
///
/// # Errors
///
/// When `HEAD`, the index or the work tree's file cannot be read.
pub fn same_everywhere(
    repo: &Repository,
    root: &Path,
    in_index: Option<Option<Oid>>,
) -> Result<bool> {
    let head = match repo.head() {
        Ok(h) => match h.target() {
            Some(id) => lookup(repo, tree_of(repo, id)?, REPO_FILE)?,
            None => None,
        },
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => return Err(Error::git("reading HEAD", &e)),
    };
    let index = match in_index {
        Some(id) => id,
        None => crate::source::staged::index_id(repo, REPO_FILE)?,
    };
    let work = match RepoFiles::worktree(root).read(REPO_FILE)? {
        Some(text) => Some(
            Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())
                .map_err(|e| Error::git("hashing the work tree's .phiguard.toml", &e))?,
        ),
        None => None,
    };
    Ok(head == index && index == work)
}

/// `HEAD`'s files ([`none`] while `HEAD` is unborn).
///
/// # Errors
///
/// When `HEAD` cannot be read.
pub fn at_head(repo: &Repository) -> Result<RepoFiles> {
    match repo.head() {
        Ok(h) => match h.target() {
            Some(id) => at_commit(repo, id),
            None => Ok(none()),
        },
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(none()),
        Err(e) => Err(Error::git("reading HEAD", &e)),
    }
}

/// Whether `commit` changes `.phiguard.toml` against its first parent (a root commit: adds
/// it): then the parent's files, the old side ([`none`] for a root commit, and for a parent
/// a shallow clone does not have: the defaults are the conservative old side).
///
/// # Errors
///
/// When the commit or its parent cannot be read.
pub fn changed_in(repo: &Repository, commit: Oid) -> Result<Option<RepoFiles>> {
    check_loose(repo, commit, "reading a commit")?;
    let Ok(c) = repo.find_commit(commit) else {
        // A tag or another object a push brings: no tree of its own.
        return Ok(None);
    };
    let new = lookup(repo, tree_of(repo, commit)?, REPO_FILE)?;
    let parent = c
        .parent_id(0)
        .ok()
        .filter(|p| repo.odb().is_ok_and(|odb| odb.exists(*p)));
    let old = match parent {
        Some(p) => lookup(repo, tree_of(repo, p)?, REPO_FILE)?,
        None => None,
    };
    if old == new {
        return Ok(None);
    }
    Ok(Some(match parent {
        Some(p) => at_commit(repo, p)?,
        None => none(),
    }))
}

/// The repository as the command opened it (`open_from_env`: `GIT_DIR`, `GIT_INDEX_FILE`, a
/// push's quarantined objects).
fn open() -> Result<Repository> {
    Repository::open_from_env().map_err(|e| Error::git("opening the repository", &e))
}

/// A configuration blob as text: at most [`MAX_CONFIG_BYTES`], UTF-8.
fn blob_text(repo: &Repository, id: Oid, rel: &str) -> Result<String> {
    check_loose(repo, id, "reading a configuration blob")?;
    let blob = repo
        .find_blob(id)
        .map_err(|e| Error::git(format!("reading {rel}"), &e))?;
    if blob.size() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::config(
            rel,
            format!("larger than {MAX_CONFIG_BYTES} bytes"),
        ));
    }
    String::from_utf8(blob.content().to_vec()).map_err(|_| Error::config(rel, "not valid UTF-8"))
}
