//! Which versions of `.phiguard.toml` each command compares for the weakening check
//! ([`phiguard::weakening`]): the pre-commit hooks compare `HEAD`'s with the index's
//! and with the work tree's (the file the hooks read, tracked or not); history scans compare
//! each commit's with its first parent's.

use anyhow::Result;
use phiguard::config::versions as config_file;
use phiguard::config::{Config, REPO_FILE, RepoFiles};
use phiguard::fingerprint::Key;
use phiguard::model::Finding;
use phiguard::weakening::{self, At};
use std::path::Path;

/// The findings for `new` against `old`. A version that does not parse is an error naming
/// it (fail closed), except an old one: then the defaults stand for it.
fn compare(
    root: &Path,
    old: &RepoFiles,
    new: &RepoFiles,
    commit: Option<&str>,
    key: &Key,
) -> Result<Vec<Finding>> {
    let new_text = new.read(REPO_FILE)?;
    if new_text == old.read(REPO_FILE)? {
        return Ok(Vec::new());
    }
    let before = match Config::repository_only(root, old) {
        Ok(c) => c,
        Err(_) => Config::resolve(Vec::new())?,
    };
    let after = Config::repository_only(root, new)?;
    let at = At {
        path: REPO_FILE,
        text: new_text.as_deref(),
        commit,
    };
    Ok(weakening::findings(
        &weakening::compare(&before, &after),
        at,
        key,
    ))
}

/// pre-commit: what the commit records (the index) and what the hook itself reads (the work
/// tree's file, which may be untracked or not staged), each against `HEAD`'s.
/// `in_index`: `.phiguard.toml`'s id in the index when the caller knows it
/// ([`phiguard::source::staged::Watch`]).
pub fn staged(
    repo: &git2::Repository,
    key: &Key,
    in_index: Option<Option<git2::Oid>>,
) -> Result<Vec<Finding>> {
    let Some(root) = repo.workdir() else {
        return Ok(Vec::new());
    };
    if config_file::same_everywhere(repo, root, in_index)? {
        return Ok(Vec::new());
    }
    let old = config_file::at_head(repo)?;
    let mut out = compare(root, &old, &config_file::in_index(), None, key)?;
    for f in compare(root, &old, &RepoFiles::worktree(root), None, key)? {
        if !out.iter().any(|o| o.fingerprint == f.fingerprint) {
            out.push(f);
        }
    }
    Ok(out)
}

/// History: each of `commits` that changes `.phiguard.toml`, against its first parent.
pub fn in_commits(
    repo: &git2::Repository,
    commits: impl IntoIterator<Item = git2::Oid>,
    key: &Key,
) -> Result<Vec<Finding>> {
    let root = repo.workdir().unwrap_or(repo.path());
    let mut out = Vec::new();
    for id in commits {
        if let Some(old) = config_file::changed_in(repo, id)? {
            let new = config_file::at_commit(repo, id)?;
            out.extend(compare(root, &old, &new, Some(&id.to_string()), key)?);
        }
    }
    Ok(out)
}

/// The commits among the ids a push brings (full hex; tags and other objects are skipped
/// by [`in_commits`]).
pub fn brought(
    brings: &std::collections::HashMap<String, std::collections::HashSet<String>>,
) -> Vec<git2::Oid> {
    let mut ids: Vec<git2::Oid> = brings
        .values()
        .flatten()
        .filter_map(|h| git2::Oid::from_str(h).ok())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
