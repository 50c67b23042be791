//! Ref updates of a push: the lines git gives pre-push (`<local ref> <local oid> <remote ref>
//! <remote oid>`) and pre-receive (`<old> <new> <ref>`), and what each update adds.
//!
//! New commits are those reachable from the new tips and from no ref that already exists (on
//! the server: every ref, read before the push is applied; on the client: the remote's tip and
//! `refs/remotes/<remote>/*`). Annotated tags are peeled and their messages scanned. A zero
//! id (40 or 64 `0`s) means create or delete.

use super::Job;
use super::history;
use crate::error::{Error, Result};
use git2::{ObjectType, Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One ref update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The ref being updated (the remote ref for pre-push).
    pub refname: String,
    /// The old tip; `None` when the ref is created.
    pub old: Option<Oid>,
    /// The new tip; `None` when the ref is deleted.
    pub new: Option<Oid>,
}

impl RefUpdate {
    /// Whether this update deletes the ref.
    pub fn is_delete(&self) -> bool {
        self.new.is_none()
    }
}

/// Parses an object id; all zeros (40 or 64) is `None`. A 64-digit id means a SHA-256
/// repository, which libgit2 cannot read: an error, so the hook fails closed.
///
/// # Errors
///
/// Not hex, a wrong length, or SHA-256.
pub fn parse_oid(hex: &str) -> Result<Option<Oid>> {
    let valid = matches!(hex.len(), 40 | 64) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(Error::usage(format!("not an object id: {hex:?}")));
    }
    if hex.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    if hex.len() == 64 {
        return Err(sha256_error());
    }
    Oid::from_str(hex)
        .map(Some)
        .map_err(|e| Error::git("parsing an object id", &e))
}

/// The error for SHA-256 repositories.
pub fn sha256_error() -> Error {
    Error::usage(
        "this is a SHA-256 repository, which phiguard (libgit2) cannot read yet; \
         the commit or push is rejected because phiguard fails closed",
    )
}

fn fields(line: &str, n: usize, what: &str) -> Result<Vec<String>> {
    let f: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    if f.len() != n {
        return Err(Error::usage(format!(
            "{what}: expected {n} fields on stdin, got {line:?}"
        )));
    }
    Ok(f)
}

/// The lines of a hook's stdin. Git ends every ref line with a newline: text after the last
/// one means stdin closed early (a killed client, a broken pipe), and a partial list of refs
/// must not be judged as the whole push.
fn whole_lines<'a>(input: &'a str, what: &str) -> Result<std::str::Lines<'a>> {
    if !input.is_empty() && !input.ends_with('\n') {
        return Err(Error::usage(format!(
            "{what}: stdin ended in the middle of a ref line (closed early); \
             nothing is decided on a partial list of refs"
        )));
    }
    Ok(input.lines())
}

/// Parses pre-receive stdin (`<old> <new> <ref>` per line).
///
/// # Errors
///
/// A malformed line, or a last line without its newline.
pub fn parse_receive(input: &str) -> Result<Vec<RefUpdate>> {
    whole_lines(input, "pre-receive")?
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f = fields(l, 3, "pre-receive")?;
            Ok(RefUpdate {
                old: parse_oid(&f[0])?,
                new: parse_oid(&f[1])?,
                refname: f[2].clone(),
            })
        })
        .collect()
}

/// Parses pre-push stdin (`<local ref> <local oid> <remote ref> <remote oid>` per line); the
/// update is named by the remote ref. `(delete)` as local ref means a delete.
///
/// # Errors
///
/// A malformed line, or a last line without its newline.
pub fn parse_push(input: &str) -> Result<Vec<RefUpdate>> {
    whole_lines(input, "pre-push")?
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f = fields(l, 4, "pre-push")?;
            let new = if f[0] == "(delete)" {
                None
            } else {
                parse_oid(&f[1])?
            };
            Ok(RefUpdate {
                refname: f[2].clone(),
                old: parse_oid(&f[3])?,
                new,
            })
        })
        .collect()
}

/// What a tip points to once its tags are peeled.
enum Peeled {
    /// A commit: its history is walked.
    Commit(Oid),
    /// A blob or a tree: scanned as it is (see [`content_jobs`]).
    Content(Oid),
}

/// Peels `tip` down to what it ends in, planning the message job of every annotated tag on
/// the way.
fn peel(repo: &Repository, tip: Oid, refname: &Arc<str>, jobs: &mut Vec<Job>) -> Result<Peeled> {
    let mut obj = repo
        .find_object(tip, None)
        .map_err(|e| Error::git(format!("reading {tip} for {refname}"), &e))?;
    while let Some(tag) = obj.as_tag() {
        let mut item = history::tag_message(tag);
        item.refname = Some(refname.clone());
        jobs.push(Job::Text(item));
        obj = tag
            .target()
            .map_err(|e| Error::git(format!("peeling tag {} for {refname}", tag.id()), &e))?;
    }
    Ok(match obj.kind() {
        Some(ObjectType::Commit) => Peeled::Commit(obj.id()),
        _ => Peeled::Content(obj.id()),
    })
}

/// A ref that points at a blob or a tree (`git tag leak $(git hash-object -w leak.txt)`,
/// a tag of a `git mktree`) brings content no commit carries: a blob is scanned as a whole
/// new file named after the ref, a tree as all its files, against nothing. Findings carry
/// the object's id as their `commit`, so the ref's policy judges them as it judges commits.
fn content_jobs(repo: &Repository, id: Oid, refname: &Arc<str>, jobs: &mut Vec<Job>) -> Result<()> {
    let err = |e: &git2::Error| Error::git(format!("reading {id} for {refname}"), e);
    let object = repo.find_object(id, None).map_err(|e| err(&e))?;
    let owner: Arc<str> = Arc::from(id.to_string());
    let blob = |path: Arc<str>, new: Oid| Job::Blob {
        path,
        new,
        old: Vec::new(),
        commit: Some(owner.clone()),
        refname: Some(refname.clone()),
        stat: None,
    };
    match object.kind() {
        Some(ObjectType::Blob) => jobs.push(blob(refname.clone(), id)),
        Some(ObjectType::Tree) => {
            let tree = object.peel_to_tree().map_err(|e| err(&e))?;
            let mut walked = Ok(());
            tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(ObjectType::Blob)
                    && super::mode::is_scanned(entry.filemode() as u32)
                {
                    let path = format!("{dir}{}", String::from_utf8_lossy(entry.name_bytes()));
                    jobs.push(blob(Arc::from(path), entry.id()));
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap_or_else(|e| walked = Err(err(&e)));
            walked?;
        }
        _ => {
            return Err(Error::usage(format!(
                "{refname} points at {id}, which is neither a commit, a tag, a tree nor a blob"
            )));
        }
    }
    Ok(())
}

/// Ids of every ref of the repository, peeled to commits (what the server already has).
pub fn existing_tips(repo: &Repository) -> Result<Vec<Oid>> {
    Ok(named_tips(repo)?.into_iter().map(|(_, id)| id).collect())
}

/// Every existing ref that leads to a commit, with its name.
///
/// # Errors
///
/// The refs cannot be listed.
pub fn named_tips(repo: &Repository) -> Result<Vec<(String, Oid)>> {
    let refs = repo
        .references()
        .map_err(|e| Error::git("listing refs", &e))?;
    Ok(refs
        .flatten()
        .filter_map(|r| {
            let name = r.name().ok()?.to_owned();
            r.peel_to_commit().ok().map(|c| (name, c.id()))
        })
        .collect())
}

/// Ids of `refs/remotes/<remote>/*` (what the remote is known to have).
pub fn remote_tips(repo: &Repository, remote: &str) -> Result<Vec<Oid>> {
    let glob = format!("refs/remotes/{remote}/*");
    let refs = repo
        .references_glob(&glob)
        .map_err(|e| Error::git("listing remote refs", &e))?;
    Ok(refs
        .flatten()
        .filter_map(|r| r.peel_to_commit().ok().map(|c| c.id()))
        .collect())
}

/// A planned push: the jobs of its tags, the commits to scan, and for every updated ref the
/// ids of the commits (and annotated tags) it brings — a commit that two refs bring is
/// scanned once but judged under both refs' policies.
#[derive(Debug, Default)]
pub struct Planned {
    /// Jobs of annotated tags' messages and of tagged blobs and trees, scanned first.
    pub jobs: Vec<Job>,
    /// The commits to scan, each once, oldest first, with the first ref that brings it:
    /// planned as they are scanned ([`history::Commits`]).
    pub commits: history::ToScan,
    /// Ref name → ids (full hex) of what the update brings.
    pub brings: HashMap<String, HashSet<String>>,
}

/// Plans a push: for each non-delete update, the commits only it brings (each commit
/// scanned once, under the first ref that brings it) and its tag messages.
///
/// # Errors
///
/// An unreadable object.
pub fn plan(repo: &Repository, updates: &[RefUpdate], hide: &[Oid]) -> Result<Planned> {
    plan_each(repo, updates, &|_| hide.to_vec())
}

/// [`plan`] with what counts as existing chosen per update (`hide(i)` for `updates[i]`): on a server, a ref's
/// policy judges every commit new *to that ref* — a commit already on a laxer ref is brought,
/// and judged, again (issue 19 item 2). A commit is still scanned once, whichever refs bring
/// it.
///
/// # Errors
///
/// An unreadable object.
pub fn plan_each(
    repo: &Repository,
    updates: &[RefUpdate],
    hide: &dyn Fn(usize) -> Vec<Oid>,
) -> Result<Planned> {
    let mut planned = Planned::default();
    let mut seen: HashSet<Oid> = HashSet::new();
    for (i, u) in updates.iter().enumerate() {
        let Some(new) = u.new else { continue };
        let refname: Arc<str> = Arc::from(u.refname.as_str());
        let first_tag_job = planned.jobs.len();
        let tip = peel(repo, new, &refname, &mut planned.jobs)?;
        let brings = planned.brings.entry(u.refname.clone()).or_default();
        for job in &planned.jobs[first_tag_job..] {
            if let Job::Text(item) = job {
                brings.extend(item.commit.as_deref().map(str::to_owned));
            }
        }
        let tip = match tip {
            Peeled::Commit(tip) => tip,
            Peeled::Content(id) => {
                brings.insert(id.to_string());
                content_jobs(repo, id, &refname, &mut planned.jobs)?;
                continue;
            }
        };
        let mut hidden = hide(i);
        hidden.extend(u.old);
        for oid in history::walk(repo, &[tip], &hidden)? {
            brings.insert(oid.to_string());
            if seen.insert(oid) {
                planned.commits.push((oid, Some(refname.clone())));
            }
        }
    }
    Ok(planned)
}

#[cfg(test)]
mod tests;
