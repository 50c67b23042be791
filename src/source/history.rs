//! Commits as jobs: each commit's own added lines and its message. Used by `scan --range`,
//! pre-push and the server hooks.
//!
//! A file of a commit is scanned against every parent's version of it, so a merge is scanned
//! for what the merge itself introduces (combined-diff semantics): a path whose merged version
//! equals one parent's version was already scanned on that side and produces nothing; a
//! conflict resolution that adds a line no parent had is caught.

use super::blobcache::BlobCache;
use super::{Fed, Item, Job, Sink, Source};
use crate::error::{Error, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, ObjectType, Oid, Repository, Sort};
use rustc_hash::FxHashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// Name under which commit and tag messages are reported.
pub const MESSAGE_PATH: &str = "<commit message>";
/// Name under which annotated tag messages are reported.
pub const TAG_MESSAGE_PATH: &str = "<tag message>";

/// Commits to scan, oldest first, each with the ref that brings it (a push's).
pub type ToScan = Vec<(Oid, Option<Arc<str>>)>;

/// A blob the commit changes: its path, new id, and the first parent's id (if any).
struct Change {
    path: Vec<u8>,
    new: Oid,
    old: Option<Oid>,
}

/// What a commit changes against its first parent, found by walking only the subtrees whose
/// ids differ (libgit2's tree diff visits every entry of both trees: 8 M entries for a push of
/// 1,000 commits to an 8,000-file tree). Deleted blobs are collected for rename handling.
fn tree_changes<'r>(
    trees: &mut Trees<'r>,
    old: Option<&git2::Tree<'r>>,
    new: &git2::Tree<'r>,
    prefix: &mut Vec<u8>,
    changes: &mut Vec<Change>,
    deleted: &mut Vec<(Vec<u8>, Oid)>,
) -> std::result::Result<(), git2::Error> {
    let repo = trees.repo;
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
                let sub = trees.get(entry.id())?;
                let old_sub = match before {
                    Some(b) if b.kind() == Some(ObjectType::Tree) => Some(trees.get(b.id())?),
                    _ => None,
                };
                prefix.push(b'/');
                tree_changes(trees, old_sub.as_deref(), &sub, prefix, changes, deleted)?;
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

/// Tree entries a plan keeps parsed ([`Trees`]), about 80 bytes each in libgit2 (the
/// object's data and the parsed entry): 2.5 MiB at most. Five times as many read 12 % fewer
/// trees on spring-framework's history for no time saved, at 20 MiB more.
const TREE_CACHE_ENTRIES: usize = 32_768;

/// The trees a plan has read, by id, so that a tree read again is not inflated and parsed
/// again: the trees a commit writes are those a later commit reads as its parent's, and the
/// directories a project works in are changed again and again, and a merge's files are
/// looked up in its other parents directory by directory ([`Trees::blob_at`]). Planning
/// spring-framework's history asks for 1,865,000 trees and reads 661,000 of them.
///
/// Two generations bound it: trees go into the young one, and once that holds half of
/// [`TREE_CACHE_ENTRIES`] entries it becomes the old one and the oldest generation is let
/// go; a tree found in the old generation moves back to the young one.
struct Trees<'r> {
    repo: &'r Repository,
    loose: super::loose::Fanout,
    young: FxHashMap<super::pack::Id, Rc<git2::Tree<'r>>>,
    old: FxHashMap<super::pack::Id, Rc<git2::Tree<'r>>>,
    /// Entries of the trees in `young`.
    young_entries: usize,
    /// The commit planned last and its tree.
    last_commit: Option<(Oid, Oid)>,
    /// Trees read from the repository so far (tests count them).
    reads: usize,
}

impl<'r> Trees<'r> {
    fn new(repo: &'r Repository) -> Trees<'r> {
        Trees {
            repo,
            loose: super::loose::Fanout::new(super::loose::objects_dir(repo)),
            young: FxHashMap::default(),
            old: FxHashMap::default(),
            young_entries: 0,
            last_commit: None,
            reads: 0,
        }
    }

    /// Tree `id`, from the cache or read through libgit2 once it is known not to be a
    /// truncated loose object (on which libgit2 spins).
    fn get(&mut self, id: Oid) -> std::result::Result<Rc<git2::Tree<'r>>, git2::Error> {
        let key = super::pack::id(id);
        if let Some(tree) = self.young.get(&key) {
            return Ok(tree.clone());
        }
        let tree = match self.old.remove(&key) {
            Some(tree) => tree,
            None => {
                if self.loose.is_corrupt(id) {
                    return Err(git2::Error::from_str(&format!(
                        "tree {id} is corrupt (a truncated loose object)"
                    )));
                }
                self.reads += 1;
                Rc::new(self.repo.find_tree(id)?)
            }
        };
        self.young_entries += tree.len() + 1;
        self.young.insert(key, tree.clone());
        if self.young_entries > TREE_CACHE_ENTRIES / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_entries = 0;
        }
        Ok(tree)
    }

    /// Fails on a damaged loose object `id` ([`super::check_loose`]).
    fn check(&self, id: Oid, what: &str) -> Result<()> {
        if self.loose.is_corrupt(id) {
            return Err(Error::corrupt_object(what, id));
        }
        Ok(())
    }

    /// The blob at `path` (`/`-separated) under `root`, if there is one: a file a merge's
    /// other parent has, looked up through the cache (the paths of one commit share their
    /// directories). A tree that cannot be read has no blob, as `Tree::get_path` says.
    fn blob_at(&mut self, root: &Rc<git2::Tree<'r>>, path: &str) -> Option<Oid> {
        let mut tree = root.clone();
        let mut parts = path.split('/').peekable();
        while let Some(name) = parts.next() {
            let (id, kind) = tree.get_name(name).map(|e| (e.id(), e.kind()))?;
            if parts.peek().is_none() {
                return (kind == Some(ObjectType::Blob)).then_some(id);
            }
            if kind != Some(ObjectType::Tree) {
                return None;
            }
            tree = self.get(id).ok()?;
        }
        None
    }

    /// The tree of parent commit `id`: the last commit's without reading the commit again.
    fn parent(&mut self, id: Oid) -> std::result::Result<Rc<git2::Tree<'r>>, git2::Error> {
        let tree = match self.last_commit {
            Some((commit, tree)) if commit.as_bytes() == id.as_bytes() => tree,
            _ => self.repo.find_commit(id)?.tree_id(),
        };
        self.get(tree)
    }
}

/// Plans commits one after another ([`Planner::commit`]), keeping what the next commit reads
/// again.
pub struct Planner<'r> {
    trees: Trees<'r>,
    paths: super::PathRules<'r>,
    /// A root entry whose changes are noted ([`Planner::watching`]).
    watch: Option<&'r str>,
    /// Commits planned whose watched entry is their first parent's.
    same: rustc_hash::FxHashSet<Oid>,
}

impl<'r> Planner<'r> {
    /// A planner for `repo`, whose files `paths` excludes or judges.
    pub fn new(repo: &'r Repository, paths: super::PathRules<'r>) -> Planner<'r> {
        super::tune_libgit2();
        Planner {
            trees: Trees::new(repo),
            paths,
            watch: None,
            same: rustc_hash::FxHashSet::default(),
        }
    }

    /// Also notes, for each commit planned, whether its root entry `name` (the repository's
    /// configuration file) is its first parent's ([`Planner::unchanged`]): the weakening
    /// check then reads only the commits that change it.
    #[must_use]
    pub fn watching(mut self, name: &'r str) -> Planner<'r> {
        self.watch = Some(name).filter(|n| !n.contains('/'));
        self
    }

    /// Whether commit `id` was planned and its watched entry is its first parent's (same id,
    /// or absent from both).
    pub fn unchanged(&self, id: Oid) -> bool {
        self.same.contains(&id)
    }

    /// Plans the jobs of one commit (files and message). A file is scanned against every
    /// parent's version; a file moved from a deleted one (an identical blob, else by
    /// libgit2's similarity detection, as pre-commit pairs moves) is scanned against the
    /// deleted version too — unless the old path was judged more leniently
    /// ([`super::PathRules::inherits`]) — and an identical move adds nothing.
    ///
    /// # Errors
    ///
    /// When a tree or parent cannot be read.
    pub fn commit(
        &mut self,
        id: Oid,
        refname: Option<&Arc<str>>,
        jobs: &mut Vec<Job>,
    ) -> Result<()> {
        let repo = self.trees.repo;
        self.trees.check(id, "reading a commit")?;
        let commit = repo
            .find_commit(id)
            .map_err(|e| Error::git(format!("reading commit {id}"), &e))?;
        let hex: Arc<str> = Arc::from(id.to_string());
        let err = |what: &str, e: &git2::Error| Error::git(format!("{what} of commit {hex}"), e);
        self.trees.check(
            commit.tree_id(),
            &format!("reading the tree of commit {hex}"),
        )?;
        for parent in commit.parent_ids() {
            self.trees
                .check(parent, &format!("reading a parent of commit {hex}"))?;
        }
        let tree = self
            .trees
            .get(commit.tree_id())
            .map_err(|e| err("reading the tree", &e))?;
        let parents: Vec<Rc<git2::Tree<'r>>> = commit
            .parent_ids()
            .map(|p| self.trees.parent(p))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| err("reading a parent", &e))?;
        if let (Some(name), Some(first)) = (self.watch, parents.first()) {
            let entry = |t: &git2::Tree<'_>| t.get_name(name).map(|e| super::pack::id(e.id()));
            if entry(&tree) == entry(first) {
                self.same.insert(id);
            }
        }
        let (mut changes, mut deleted) = (Vec::new(), Vec::new());
        tree_changes(
            &mut self.trees,
            parents.first().map(|p| &**p),
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
            if self.paths.excluded(&path) {
                continue;
            }
            let mut old: Vec<Oid> = change.old.into_iter().collect();
            for (from, id) in moved.get(&change.path).into_iter().flatten() {
                if self.paths.inherits(&String::from_utf8_lossy(from), &path) {
                    old.push(*id);
                }
            }
            for other in parents.iter().skip(1) {
                old.extend(self.trees.blob_at(other, &path));
            }
            if old.iter().any(|o| o.as_bytes() == change.new.as_bytes()) {
                continue; // a move, or the merge took one side's version as it was
            }
            jobs.push(Job::Blob {
                path,
                new: change.new,
                old,
                commit: Some(hex.clone()),
                refname: refname.cloned(),
                stat: None,
            });
        }
        let mut msg = Item::whole(MESSAGE_PATH, commit.message_bytes().to_vec());
        msg.commit = Some(hex);
        msg.refname = refname.cloned();
        jobs.push(Job::Text(msg));
        self.trees.last_commit = Some((id, commit.tree_id()));
        Ok(())
    }
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

/// Plans the jobs of a list of commits in full, before any is scanned (a history that is
/// scanned as it is planned is a [`Commits`] source).
///
/// # Errors
///
/// A commit that cannot be read.
pub fn plan(
    repo: &Repository,
    commits: &[(Oid, Option<Arc<str>>)],
    paths: &super::PathRules<'_>,
) -> Result<Vec<Job>> {
    let mut planner = Planner::new(repo, *paths);
    let mut jobs = Vec::new();
    for (oid, refname) in commits {
        planner.commit(*oid, refname.as_ref(), &mut jobs)?;
    }
    Ok(jobs)
}

/// The budget error once `deadline` has passed.
fn past(deadline: Option<(Instant, u64)>) -> Result<()> {
    match deadline {
        Some((at, budget_ms)) if Instant::now() > at => {
            Err(Error::from(crate::error::ErrorKind::Budget { budget_ms }))
        }
        _ => Ok(()),
    }
}

/// Jobs a streamed history keeps planned ahead of those it hands over: the blob cache learns
/// which blobs they read as old versions before the jobs that write them are scanned
/// ([`BlobCache::expect`]).
const WINDOW_JOBS: usize = 1024;

/// A history as a [`Source`]: each commit planned as the scan goes ([`Planner`]), so that
/// planning runs beside scanning and only a window of jobs is held, never the whole plan
/// (spring-framework's history held 252,000 jobs, 130 MiB, before the first was scanned).
/// Jobs planned beforehand (a push's tag messages and tagged blobs) come first, and `after`
/// (a range's tag messages) last.
pub struct Commits<'r> {
    planner: Planner<'r>,
    commits: ToScan,
    before: Vec<Job>,
    after: Vec<Job>,
    deadline: Option<(Instant, u64)>,
    cache: Arc<BlobCache>,
    /// Jobs per window: [`WINDOW_JOBS`] (tests take fewer).
    window_jobs: usize,
}

impl<'r> Commits<'r> {
    /// The source of `commits` (oldest first), planned by `planner`.
    pub fn new(planner: Planner<'r>, commits: ToScan) -> Commits<'r> {
        let cache = Arc::new(BlobCache::expecting(
            super::feed::BLOB_CACHE_BYTES,
            commits.len(),
            WINDOW_JOBS,
        ));
        Commits {
            planner,
            commits,
            before: Vec::new(),
            after: Vec::new(),
            deadline: None,
            cache,
            window_jobs: WINDOW_JOBS,
        }
    }

    /// Hands `jobs` over before the commits' jobs.
    #[must_use]
    pub fn before(mut self, jobs: Vec<Job>) -> Commits<'r> {
        self.before = jobs;
        self
    }

    /// Hands `jobs` over after the commits' jobs.
    #[must_use]
    pub fn after(mut self, jobs: Vec<Job>) -> Commits<'r> {
        self.after = jobs;
        self
    }

    /// Fails the run with a budget error once `deadline` passes between two commits.
    #[must_use]
    pub fn deadline(mut self, deadline: Option<(Instant, u64)>) -> Commits<'r> {
        self.deadline = deadline;
        self
    }

    /// Plans windows of `n` jobs instead of [`WINDOW_JOBS`].
    #[cfg(test)]
    #[must_use]
    pub(crate) fn window_jobs(mut self, n: usize) -> Commits<'r> {
        self.window_jobs = n;
        self.cache = Arc::new(BlobCache::expecting(
            super::feed::BLOB_CACHE_BYTES,
            self.commits.len(),
            n,
        ));
        self
    }

    /// The planner, to ask what it noted ([`Planner::unchanged`]).
    pub fn planner(&self) -> &Planner<'r> {
        &self.planner
    }
}

impl Source for Commits<'_> {
    /// Plans commit after commit and hands each job over once `WINDOW_JOBS` more are
    /// planned after it: the blob cache has then been told ([`BlobCache::expect`]) of the
    /// reads the next window of jobs makes of the blob the job writes. Planning waits only
    /// when the queue is full, that is when the scan is behind; handing a whole window over
    /// before planning the next made the two take turns (spring-framework's history took as
    /// long as with the plan made in full first).
    fn feed(&mut self, sink: &dyn Sink) -> Result<Fed> {
        let hand = |job: Job| {
            if !sink.stopped() {
                sink.take(job);
            }
        };
        std::mem::take(&mut self.before).into_iter().for_each(hand);
        let mut planned = Vec::new();
        let mut pending = std::collections::VecDeque::new();
        for (id, refname) in &self.commits {
            if sink.stopped() {
                break;
            }
            past(self.deadline)?;
            self.planner.commit(*id, refname.as_ref(), &mut planned)?;
            self.cache.expect(&planned);
            pending.extend(planned.drain(..));
            while pending.len() > self.window_jobs {
                pending.pop_front().into_iter().for_each(hand);
            }
        }
        pending.into_iter().for_each(hand);
        std::mem::take(&mut self.after).into_iter().for_each(hand);
        Ok(Fed::Done { skipped: 0 })
    }

    fn blob_cache(&self) -> Option<Arc<BlobCache>> {
        Some(self.cache.clone())
    }
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

#[cfg(test)]
mod tests;
