//! Commits as jobs: each commit's own added lines and its message. Used by `scan --range`,
//! pre-push and the server hooks.
//!
//! A file of a commit is scanned against every parent's version of it, so a merge is scanned
//! for what the merge itself introduces (combined-diff semantics): a path whose merged version
//! equals one parent's version was already scanned on that side and produces nothing; a
//! conflict resolution that adds a line no parent had is caught.

use super::{Item, Job};
use crate::error::{Error, Result};
use git2::{Commit, Delta, DiffFindOptions, DiffOptions, ObjectType, Oid, Repository, Sort};
use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Name under which commit and tag messages are reported.
pub const MESSAGE_PATH: &str = "<commit message>";
/// Name under which annotated tag messages are reported.
pub const TAG_MESSAGE_PATH: &str = "<tag message>";

/// A blob the commit changes: its path, new id, and the first parent's id (if any).
struct Change {
    path: Vec<u8>,
    new: Oid,
    old: Option<Oid>,
}

/// What a commit changes against its first parent, found by walking only the subtrees whose
/// ids differ (libgit2's tree diff visits every entry of both trees: 8 M entries for a push of
/// 1,000 commits to an 8,000-file tree). Deleted blobs are collected for rename handling.
fn tree_changes(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    prefix: &mut Vec<u8>,
    changes: &mut Vec<Change>,
    deleted: &mut Vec<(Vec<u8>, Oid)>,
) -> std::result::Result<(), git2::Error> {
    let olds: Vec<git2::TreeEntry<'_>> = old.map(|t| t.iter().collect()).unwrap_or_default();
    let mut index: FxHashMap<&[u8], usize> =
        FxHashMap::with_capacity_and_hasher(olds.len(), Default::default());
    index.extend(olds.iter().enumerate().map(|(i, e)| (e.name_bytes(), i)));
    let mut kept = vec![false; olds.len()];
    for entry in new.iter() {
        let before = index.get(entry.name_bytes()).map(|&i| {
            kept[i] = true;
            &olds[i]
        });
        // Ids compared as bytes: `Oid`'s `==` is a call into libgit2, paid per entry of every
        // changed tree.
        if before.is_some_and(|b| {
            b.id().as_bytes() == entry.id().as_bytes() && b.filemode() == entry.filemode()
        }) {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(entry.name_bytes());
        match entry.kind() {
            Some(ObjectType::Tree) => {
                if super::loose::is_corrupt(&super::loose::objects_dir(repo), entry.id()) {
                    return Err(git2::Error::from_str(&format!(
                        "tree {} is corrupt (a truncated loose object)",
                        entry.id()
                    )));
                }
                let sub = repo.find_tree(entry.id())?;
                let old_sub = match before {
                    Some(b) if b.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(b.id())?),
                    _ => None,
                };
                prefix.push(b'/');
                tree_changes(repo, old_sub.as_ref(), &sub, prefix, changes, deleted)?;
            }
            Some(ObjectType::Blob) if super::mode::is_scanned(entry.filemode() as u32) => {
                let old = before
                    .filter(|b| b.kind() == Some(ObjectType::Blob))
                    .map(|b| b.id());
                changes.push(Change {
                    path: prefix.clone(),
                    new: entry.id(),
                    old,
                });
            }
            _ => {}
        }
        prefix.truncate(len);
    }
    for (entry, _) in olds.iter().zip(&kept).filter(|(_, k)| !**k) {
        let mut path = prefix.clone();
        path.extend_from_slice(entry.name_bytes());
        match entry.kind() {
            Some(ObjectType::Blob) => deleted.push((path, entry.id())),
            Some(ObjectType::Tree) => {
                // A deleted directory: its files may have moved elsewhere in this commit.
                repo.find_tree(entry.id())?
                    .walk(git2::TreeWalkMode::PreOrder, |dir, e| {
                        if e.kind() == Some(ObjectType::Blob) {
                            let mut p = path.clone();
                            p.push(b'/');
                            p.extend_from_slice(dir.as_bytes());
                            p.extend_from_slice(e.name_bytes());
                            deleted.push((p, e.id()));
                        }
                        git2::TreeWalkResult::Ok
                    })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// New path → the deleted `(path, blob)`s the file was moved from.
type Moves = FxHashMap<Vec<u8>, Vec<(Vec<u8>, Oid)>>;

/// Where the files a commit adds came from, when it also deletes files: new path → the
/// deleted `(path, blob)` it was moved from. A file whose blob a deleted file had is paired
/// with it (and with every deleted file of that blob); the others by libgit2's similarity
/// detection, as pre-commit pairs them ([`super::staged`]), on a diff limited to the
/// unpaired added and deleted paths — so a commit that only adds or changes files never
/// pays for it. With too many candidates ([`super::inexact_renames`], counted as
/// pre-commit counts them), only identical moves are paired.
fn renames(
    repo: &Repository,
    old: &git2::Tree<'_>,
    new: &git2::Tree<'_>,
    changes: &[Change],
    deleted: &[(Vec<u8>, Oid)],
) -> std::result::Result<Moves, git2::Error> {
    let mut sources = Moves::default();
    let mut by_id: FxHashMap<Oid, Vec<&[u8]>> = FxHashMap::default();
    for (path, id) in deleted {
        by_id.entry(*id).or_default().push(path);
    }
    let mut moved: rustc_hash::FxHashSet<Oid> = rustc_hash::FxHashSet::default();
    let mut unpaired: Vec<&[u8]> = Vec::new();
    let mut added = 0;
    for change in changes.iter().filter(|c| c.old.is_none()) {
        added += 1;
        match by_id.get(&change.new) {
            Some(paths) => {
                moved.insert(change.new);
                let from = paths.iter().map(|p| (p.to_vec(), change.new)).collect();
                sources.insert(change.path.clone(), from);
            }
            None => unpaired.push(&change.path),
        }
    }
    let gone: Vec<&[u8]> = deleted
        .iter()
        .filter(|(_, id)| !moved.contains(id))
        .map(|(p, _)| p.as_slice())
        .collect();
    if unpaired.is_empty() || gone.is_empty() || !super::inexact_renames(added, deleted.len()) {
        return Ok(sources);
    }
    let mut opts = DiffOptions::new();
    // Exact paths: libgit2 then walks only the trees that lead to them.
    opts.ignore_submodules(true).disable_pathspec_match(true);
    for path in unpaired.iter().chain(&gone) {
        opts.pathspec(path.to_vec());
    }
    let mut diff = repo.diff_tree_to_tree(Some(old), Some(new), Some(&mut opts))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_limit(super::RENAME_LIMIT);
    diff.find_similar(Some(&mut find))?;
    for delta in diff.deltas().filter(|d| d.status() == Delta::Renamed) {
        let (n, o) = (delta.new_file(), delta.old_file());
        if let (Some(new_path), Some(old_path)) = (n.path_bytes(), o.path_bytes()) {
            sources.insert(new_path.to_vec(), vec![(old_path.to_vec(), o.id())]);
        }
    }
    Ok(sources)
}

/// Plans the jobs of one commit (files and message). A file is scanned against every
/// parent's version; a file moved from a deleted one (an identical blob, else by libgit2's
/// similarity detection, as pre-commit pairs moves) is scanned against the deleted version
/// too — unless the old path was judged more leniently ([`super::PathRules::inherits`]) —
/// and an identical move adds nothing.
///
/// # Errors
///
/// When a tree or parent cannot be read.
pub fn commit_jobs(
    repo: &Repository,
    commit: &Commit<'_>,
    refname: Option<&Arc<str>>,
    paths: &super::PathRules<'_>,
    jobs: &mut Vec<Job>,
) -> Result<()> {
    let id: Arc<str> = Arc::from(commit.id().to_string());
    let err = |what: &str, e: &git2::Error| Error::git(format!("{what} of commit {id}"), e);
    super::check_loose(
        repo,
        commit.tree_id(),
        &format!("reading the tree of commit {id}"),
    )?;
    for parent in commit.parent_ids() {
        super::check_loose(repo, parent, &format!("reading a parent of commit {id}"))?;
    }
    let tree = commit.tree().map_err(|e| err("reading the tree", &e))?;
    let parents: Vec<git2::Tree<'_>> = commit
        .parents()
        .map(|p| p.tree())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| err("reading a parent", &e))?;
    let (mut changes, mut deleted) = (Vec::new(), Vec::new());
    tree_changes(
        repo,
        parents.first(),
        &tree,
        &mut Vec::new(),
        &mut changes,
        &mut deleted,
    )
    .map_err(|e| err("comparing trees", &e))?;
    let moved = match parents.first() {
        Some(parent) if !deleted.is_empty() => renames(repo, parent, &tree, &changes, &deleted)
            .map_err(|e| err("detecting renames", &e))?,
        _ => Moves::default(),
    };
    for change in changes {
        let path: Arc<str> = Arc::from(String::from_utf8_lossy(&change.path));
        if paths.excluded(&path) {
            continue;
        }
        let mut old: Vec<Oid> = change.old.into_iter().collect();
        for (from, id) in moved.get(&change.path).into_iter().flatten() {
            if paths.inherits(&String::from_utf8_lossy(from), &path) {
                old.push(*id);
            }
        }
        for other in parents.iter().skip(1) {
            if let Ok(entry) = other.get_path(Path::new(&*path))
                && entry.kind() == Some(ObjectType::Blob)
            {
                old.push(entry.id());
            }
        }
        if old.iter().any(|o| o.as_bytes() == change.new.as_bytes()) {
            continue; // a move, or the merge took one side's version as it was
        }
        jobs.push(Job::Blob {
            path,
            new: change.new,
            old,
            commit: Some(id.clone()),
            refname: refname.cloned(),
            stat: None,
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
    super::tune_libgit2();
    check_loose_commits(repo, tips, hide)?;
    let mut walk = repo
        .revwalk()
        .map_err(|e| Error::git("starting a walk", &e))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(|e| Error::git("sorting a walk", &e))?;
    for tip in tips {
        super::check_loose(repo, *tip, "walking commits")?;
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

/// Checks the loose commits a walk from `tips` reaches, down to `hide` or to the first commit
/// that is not loose (packed history, which libgit2 reads safely): libgit2's revwalk spins
/// forever on a truncated loose commit. Each loose commit is inflated once more here; a
/// repository keeps few (git packs them past a few thousand loose objects).
///
/// # Errors
///
/// A damaged loose commit, named.
fn check_loose_commits(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<()> {
    let objects = super::loose::objects_dir(repo);
    let hidden: std::collections::HashSet<Oid> = hide.iter().copied().collect();
    let mut seen: std::collections::HashSet<Oid> = std::collections::HashSet::new();
    let mut todo: Vec<Oid> = tips.to_vec();
    while let Some(id) = todo.pop() {
        if hidden.contains(&id) || !seen.insert(id) {
            continue;
        }
        match super::loose::commit_parents(&objects, id) {
            Some(Ok(parents)) => todo.extend(parents),
            Some(Err(())) => return Err(Error::corrupt_object("walking commits", id)),
            None => {}
        }
    }
    Ok(())
}

/// Plans jobs for a list of commits, checking the deadline between commits.
///
/// # Errors
///
/// A commit that cannot be read, or the deadline passing (fail closed).
pub fn plan(
    repo: &Repository,
    commits: &[(Oid, Option<Arc<str>>)],
    paths: &super::PathRules<'_>,
    deadline: Option<(Instant, u64)>,
) -> Result<Vec<Job>> {
    super::tune_libgit2();
    let mut jobs = Vec::new();
    for (oid, refname) in commits {
        if let Some((at, budget_ms)) = deadline
            && Instant::now() > at
        {
            return Err(Error::from(crate::error::ErrorKind::Budget { budget_ms }));
        }
        super::check_loose(repo, *oid, "reading a commit")?;
        let commit = repo
            .find_commit(*oid)
            .map_err(|e| Error::git(format!("reading commit {oid}"), &e))?;
        commit_jobs(repo, &commit, refname.as_ref(), paths, &mut jobs)?;
    }
    Ok(jobs)
}

/// An annotated tag's message as a job's item (its findings carry the tag's id).
pub fn tag_message(tag: &git2::Tag<'_>) -> super::Item {
    let mut item = super::Item::whole(
        TAG_MESSAGE_PATH,
        tag.message_bytes().unwrap_or_default().to_vec(),
    );
    item.commit = Some(Arc::from(tag.id().to_string()));
    item
}

/// The messages of the annotated tags range `spec` names at its tip (`REV`, `B` of `A..B`,
/// either side of `A...B`), each tag of a chain: `--range v1.2` brings that tag's message as
/// a push of the tag does.
///
/// # Errors
///
/// When a named tag cannot be read.
pub fn range_tag_messages(repo: &Repository, spec: &str) -> Result<Vec<Job>> {
    let sides: Vec<&str> = match spec.split_once("...") {
        Some((a, b)) => vec![a, b],
        None => match spec.split_once("..") {
            Some((_, b)) => vec![b],
            None => vec![spec],
        },
    };
    let mut jobs = Vec::new();
    for side in sides.into_iter().filter(|s| !s.is_empty()) {
        let Ok(mut obj) = repo.revparse_single(side) else {
            continue; // `range` names the error
        };
        while let Some(tag) = obj.as_tag() {
            jobs.push(Job::Text(tag_message(tag)));
            obj = tag.target().map_err(|e| range_error(spec, &e))?;
        }
    }
    Ok(jobs)
}

/// A `--range` that does not name commits, as a usage error naming it.
fn range_error(spec: &str, e: &git2::Error) -> Error {
    Error::usage(format!("--range {spec:?}: {}", e.message()))
}

/// One side of range `spec` as a commit (an empty side is `HEAD`, as in git).
fn peel_side(repo: &Repository, spec: &str, side: &str) -> Result<Oid> {
    let side = if side.is_empty() { "HEAD" } else { side };
    Ok(repo
        .revparse_single(side)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| range_error(spec, &e))?
        .id())
}

/// The ends of a range as [`range`] reads it: its base (`A` of `A..B`; the merge base of
/// `A...B`, `None` when the sides share no history) and its tip (`B`; `REV`). `REV` alone has
/// no base: the outer `None`.
///
/// # Errors
///
/// When the range does not name commits.
pub fn ends(repo: &Repository, spec: &str) -> Result<(Option<Option<Oid>>, Oid)> {
    let bad = |e: git2::Error| range_error(spec, &e);
    let peel = |side: &str| peel_side(repo, spec, side);
    if let Some((a, b)) = spec.split_once("...") {
        let (a, b) = (peel(a)?, peel(b)?);
        let base = match repo.merge_base(a, b) {
            Ok(base) => Some(base),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(bad(e)),
        };
        return Ok((Some(base), b));
    }
    if let Some((a, b)) = spec.split_once("..") {
        return Ok((Some(Some(peel(a)?)), peel(b)?));
    }
    Ok((None, peel(spec)?))
}

/// Resolves `A..B`, `A...B` or `REV` into commits (oldest first), as git does: `A..B` is
/// what `B` has and `A` has not; `A...B` the symmetric difference, what either has and
/// their merge bases have not (both sides of a fork). An empty side is `HEAD`.
///
/// # Errors
///
/// When the range does not name commits.
pub fn range(repo: &Repository, spec: &str) -> Result<Vec<Oid>> {
    let bad = |e: git2::Error| range_error(spec, &e);
    let peel = |side: &str| peel_side(repo, spec, side);
    if let Some((a, b)) = spec.split_once("...") {
        let (a, b) = (peel(a)?, peel(b)?);
        let bases = match repo.merge_bases(a, b) {
            Ok(bases) => bases.iter().copied().collect(),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Vec::new(),
            Err(e) => return Err(bad(e)),
        };
        return walk(repo, &[a, b], &bases);
    }
    if let Some((a, b)) = spec.split_once("..") {
        let (a, b) = (peel(a)?, peel(b)?);
        return walk(repo, &[b], &[a]);
    }
    let tip = repo
        .revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map_err(bad)?;
    walk(repo, &[tip.id()], &[])
}
