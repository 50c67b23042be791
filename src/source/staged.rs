//! `scan --staged` and the pre-commit hooks: what `git commit` would add — the index against
//! `HEAD` (an unborn `HEAD` is an empty tree). The repository comes from
//! `Repository::open_from_env()`, so the temporary index of `commit -a` / `commit <path>`
//! (`GIT_INDEX_FILE`) and linked worktrees work. During a merge, the other parents' versions
//! count as old too: a merge commit is scanned for what the merge itself introduces.
//!
//! The index is read by [`super::index`], which also reads the split and sparse indexes
//! libgit2 refuses; where libgit2 must diff (renames), it is handed those entries as an
//! in-memory index rather than the file.

use super::feed::{Fed, Sink, Source};
use super::mode::{is_gitlink, is_scanned, is_symlink, is_tree};
use super::{Job, PathRules};
use crate::error::{Error, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, Oid, Repository, Tree};
use std::path::Path;
use std::sync::Arc;

fn head_tree(repo: &Repository) -> Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => head
            .peel_to_commit()
            .map_err(|e| Error::git("reading the HEAD commit", &e))
            .and_then(|c| {
                // libgit2 spins on a truncated loose object: check before it reads one.
                super::check_loose(repo, c.tree_id(), "reading the HEAD tree")?;
                Ok(c)
            })?
            .tree()
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

/// A staged file: its path, mode and id in the index, and its mode and id in `HEAD`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Staged {
    path: Vec<u8>,
    mode: u32,
    id: Oid,
    old: Option<(u32, Oid)>,
    /// The path `old` had, when the file was renamed from another path (libgit2's rename
    /// detection); `None` when `old` is at the same path.
    old_path: Option<Vec<u8>>,
    /// The index's `stat` data of the work tree file, when trustworthy (see [`Job::Blob`]).
    stat: Option<super::index::Stat>,
}

/// The index file `git commit` uses: `$GIT_INDEX_FILE` (a temporary index for `commit -a`
/// and `commit <path>`), else `index` in the git directory.
fn index_file(repo: &Repository) -> std::path::PathBuf {
    std::env::var_os("GIT_INDEX_FILE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| repo.path().join("index"), std::path::PathBuf::from)
}

/// The staged change from the index file and its cache tree (see [`super::index`]): only
/// directories whose cached tree differs from `HEAD`'s are read. `None` when the index is not
/// one the reader understands, or when files were both added and deleted (renames need
/// libgit2's similarity detection): the caller then asks libgit2.
///
/// # Errors
///
/// A damaged `HEAD` tree (see [`super::check_loose`]).
fn staged_by_cache_tree(repo: &Repository, head: Option<&Tree<'_>>) -> Result<Option<Vec<Staged>>> {
    let mut out = Vec::new();
    Ok(each_staged_by_cache_tree(repo, head, &mut None, &mut |s| out.push(s))?.map(|()| out))
}

/// [`staged_by_cache_tree`], handing each file to `sink` as soon as its directory is
/// compared. Stops with `None` as soon as files were both added and deleted (some may have
/// been handed over by then).
fn each_staged_by_cache_tree(
    repo: &Repository,
    head: Option<&Tree<'_>>,
    watch: &mut Option<Watch<'_>>,
    sink: &mut dyn FnMut(Staged),
) -> Result<Option<()>> {
    let walked = with_index(repo, |index, meta| {
        if let Some(w) = watch {
            w.id = Some(entry_id(index, w.path));
        }
        let trees = Trees::new(repo);
        let mut walk = Walk {
            trees: &trees,
            index,
            index_mtime: mtime_secs(meta),
            filters: std::cell::OnceCell::new(),
            added: false,
            deleted: false,
            sink,
        };
        let compared = walk.compare_dir(b"", head.map(Tree::id), &index.entries);
        let both = walk.added && walk.deleted;
        if let Some(id) = trees.corrupt.get() {
            return Err(Error::corrupt_object("reading a HEAD tree", id));
        }
        Ok(compared.filter(|()| !both))
    });
    walked.unwrap_or(Ok(None))
}

/// Reads the index `git commit` uses ([`index_file`]), with its shared index when it is split
/// (`sharedindex.<id>` in the git directory, where git keeps it also for a temporary index),
/// and hands it to `f` with the index file's metadata.
///
/// # Errors
///
/// [`Unread::SharedIndex`] when the index is split and its shared index cannot be read;
/// [`Unread::Other`] when a file cannot be read or the index is not one [`super::index`]
/// understands.
fn with_index<R>(
    repo: &Repository,
    f: impl FnOnce(&super::index::Index<'_>, &std::fs::Metadata) -> R,
) -> std::result::Result<R, Unread> {
    let read = |path: &Path| {
        let (mut file, meta) = super::open_file(path, u64::MAX).ok()?.ok()?;
        Some((super::read_sized(&mut file, meta.len()).ok()?, meta))
    };
    let (data, meta) = read(&index_file(repo)).ok_or(Unread::Other)?;
    let shared = std::cell::OnceCell::new();
    let missing = std::cell::Cell::new(None);
    let index = super::index::load(&data, &shared, |id| {
        let path = repo.path().join(format!("sharedindex.{id}"));
        let bytes = read(&path).map(|(bytes, _)| bytes);
        if bytes.is_none() {
            missing.set(Some(path));
        }
        bytes
    });
    match (index, missing.take()) {
        (Some(index), _) => Ok(f(&index, &meta)),
        (None, Some(path)) => Err(Unread::SharedIndex(path)),
        (None, None) => Err(Unread::Other),
    }
}

/// Why [`with_index`] did not read the index.
enum Unread {
    /// The split index's shared index, at this path, cannot be read.
    SharedIndex(std::path::PathBuf),
    /// Anything else: the caller asks libgit2, which names what it refuses.
    Other,
}

/// A file's mtime in whole seconds, truncated as the index stores times; `None` where file
/// metadata carries no Unix times (index stat data are then never trusted).
fn mtime_secs(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(meta.mtime() as u32)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Reads `HEAD`'s trees: from their loose object files when they are loose (the common case
/// right after a commit), else through libgit2.
struct Trees<'r> {
    repo: &'r Repository,
    objects: std::path::PathBuf,
    /// A tree found damaged (a truncated loose object): the plan fails closed rather than
    /// hand the repository to libgit2, which spins on it.
    corrupt: std::cell::Cell<Option<Oid>>,
}

impl<'r> Trees<'r> {
    fn new(repo: &'r Repository) -> Trees<'r> {
        Trees {
            repo,
            objects: super::loose::objects_dir(repo),
            corrupt: std::cell::Cell::new(None),
        }
    }

    /// Every file of tree `id`, as index entries under `dir` (which ends in `/`), in index
    /// order: a sparse index's directory entry expanded, as git's `ensure_full_index` does.
    /// `None` when a tree cannot be read.
    fn expand(&self, dir: &[u8], id: Oid) -> Option<Vec<super::index::Entry<'static>>> {
        let mut out = Vec::new();
        // Pre-order over full paths is index order: a tree sorts a directory as its name
        // followed by `/`, as the paths under it compare.
        let mut open = vec![(dir.to_vec(), self.entries(id)?.into_iter())];
        while let Some((prefix, listed)) = open.last_mut() {
            let Some((name, mode, id)) = listed.next() else {
                open.pop();
                continue;
            };
            let mut path = prefix.clone();
            path.extend_from_slice(&name);
            if is_tree(mode) {
                path.push(b'/');
                let sub = self.entries(id)?;
                open.push((path, sub.into_iter()));
            } else {
                out.push(super::index::Entry {
                    path: std::borrow::Cow::Owned(path),
                    mode,
                    id,
                    stat: None,
                });
            }
        }
        Some(out)
    }

    /// The entries of tree `id` as `(name, mode, id)`; `None` when it cannot be read.
    fn entries(&self, id: Oid) -> Option<Vec<(Vec<u8>, u32, Oid)>> {
        if let Some(entries) = super::loose::read_tree(&self.objects, id) {
            return Some(entries);
        }
        if super::loose::is_corrupt(&self.objects, id) {
            self.corrupt.set(Some(id));
            return None;
        }
        let tree = self.repo.find_tree(id).ok()?;
        Some(
            tree.iter()
                .map(|e| (e.name_bytes().to_vec(), e.filemode() as u32, e.id()))
                .collect(),
        )
    }
}

/// The walk of [`each_staged_by_cache_tree`].
struct Walk<'a> {
    trees: &'a Trees<'a>,
    index: &'a super::index::Index<'a>,
    /// The index file's mtime in seconds, if known.
    index_mtime: Option<u32>,
    /// Which entries' `stat` data are handed on: those no content filter can apply to, when
    /// not racy against the index mtime kept beside; `None` without a work tree or index
    /// mtime. Made when the first staged file needs it, so an unchanged index never reads
    /// the config or any attributes file.
    filters: std::cell::OnceCell<Option<(super::worktree::Filters<'a>, u32)>>,
    /// A file was added (no old version).
    added: bool,
    /// A file of `HEAD` is gone.
    deleted: bool,
    sink: &'a mut dyn FnMut(Staged),
}

impl Walk<'_> {
    /// Compares the index entries under `dir` (all of `entries` start with it) with the
    /// `HEAD` tree `head` of that directory. `None` when a tree cannot be read, or as soon as
    /// files were both added and deleted.
    fn compare_dir(
        &mut self,
        dir: &[u8],
        head: Option<Oid>,
        entries: &[super::index::Entry<'_>],
    ) -> Option<()> {
        let cached = self.index.trees.get(dir.strip_suffix(b"/").unwrap_or(dir));
        if head.is_some() && cached == head.as_ref() {
            return Some(());
        }
        let listed = match head {
            Some(id) => self.trees.entries(id)?,
            None => Vec::new(),
        };
        let mut olds: rustc_hash::FxHashMap<&[u8], (u32, Oid)> = listed
            .iter()
            .map(|(name, mode, id)| (name.as_slice(), (*mode, *id)))
            .collect();
        let mut i = 0;
        while i < entries.len() {
            if self.added && self.deleted {
                return None;
            }
            let rest = &entries[i].path[dir.len()..];
            match memchr::memchr(b'/', rest) {
                None => {
                    let e = &entries[i];
                    let old = olds.remove(rest);
                    let same = old.is_some_and(|(m, id)| m == e.mode && id == e.id);
                    let gitlink = is_gitlink(e.mode) || old.is_some_and(|(m, _)| is_gitlink(m));
                    // A file where HEAD has a directory: the directory's files are deleted.
                    self.deleted |= old.is_some_and(|(m, _)| is_tree(m));
                    if !same && !gitlink {
                        let old = old.filter(|(m, _)| !is_tree(*m));
                        self.added |= old.is_none();
                        let filters = self.filters.get_or_init(|| {
                            let (repo, entries) = (self.trees.repo, &self.index.entries);
                            let (since, worktree) = self.index_mtime.zip(repo.workdir())?;
                            Some((
                                super::worktree::Filters::new(repo, worktree, entries),
                                since,
                            ))
                        });
                        let stat = match filters {
                            Some((f, since)) if f.none_apply(&e.path) => {
                                e.stat.filter(|st| !st.racy(*since))
                            }
                            _ => None,
                        };
                        (self.sink)(Staged {
                            path: e.path.to_vec(),
                            mode: e.mode,
                            id: e.id,
                            old,
                            old_path: None,
                            stat,
                        });
                    }
                    i += 1;
                }
                Some(slash) => {
                    let name = &rest[..slash];
                    let sub_len = dir.len() + slash + 1;
                    let j = i + entries[i..]
                        .iter()
                        .position(|e| !e.path.starts_with(&entries[i].path[..sub_len]))
                        .unwrap_or(entries.len() - i);
                    let sub_head = match olds.remove(name) {
                        Some((m, id)) if is_tree(m) => Some(id),
                        Some((m, _)) => {
                            self.deleted |= !is_gitlink(m);
                            None
                        }
                        None => None,
                    };
                    let sub_dir = entries[i].path[..sub_len].to_vec();
                    if entries[i].path.len() == sub_len {
                        // A sparse directory: one entry stands for the whole tree.
                        if j != i + 1 {
                            return None;
                        }
                        self.compare_sparse(&sub_dir, sub_head, entries[i].id)?;
                    } else {
                        self.compare_dir(&sub_dir, sub_head, &entries[i..j])?;
                    }
                    i = j;
                }
            }
        }
        self.deleted |= olds.values().any(|(m, _)| !is_gitlink(*m));
        Some(())
    }

    /// Compares a sparse index's directory entry for `dir`, tree `tree`, with `HEAD`'s tree
    /// `head` of that directory. Outside the sparse cone nothing is edited, so the two are
    /// almost always the same tree and nothing is read; otherwise (a `reset --soft`, say)
    /// the directory is expanded and compared file by file.
    fn compare_sparse(&mut self, dir: &[u8], head: Option<Oid>, tree: Oid) -> Option<()> {
        if head == Some(tree) {
            return Some(());
        }
        let entries = self.trees.expand(dir, tree)?;
        self.compare_dir(dir, head, &entries)
    }
}

/// The staged change by libgit2's tree-to-index diff, with rename detection when files were
/// both added and deleted.
/// The repository's index as libgit2 sees it, also when libgit2 refuses the file itself (a
/// split or sparse index, "unsupported mandatory extension"): then an in-memory index of the
/// entries read here. Every reader of the index goes through this, so none exits 2 where the
/// staged plan succeeds.
///
/// # Errors
///
/// When the index cannot be read by either, naming why (a split index's missing shared file).
pub fn open_index(repo: &Repository) -> Result<git2::Index> {
    match repo.index() {
        Ok(index) => Ok(index),
        Err(e) => match with_index(repo, |index, _| libgit2_index(repo, index)) {
            Ok(built) => built,
            Err(Unread::SharedIndex(path)) => {
                let why = format!(
                    "it is split (core.splitIndex) and its shared index, {} in the git \
                     directory, cannot be read (nor can git: `git status` shows the same)",
                    path.file_name().unwrap_or_default().to_string_lossy()
                );
                Err(Error::git(
                    "reading the index",
                    &git2::Error::from_str(&why),
                ))
            }
            Err(Unread::Other) => Err(Error::git("reading the index", &e)),
        },
    }
}

/// The id the index records for the file at `path` (stage 0), read by [`super::index`]
/// where it understands the index — libgit2 loads and checks every entry, 20 ms for a
/// 20,000-file index, to answer for one — else by libgit2.
///
/// # Errors
///
/// When the index cannot be read.
pub fn index_id(repo: &Repository, path: &str) -> Result<Option<Oid>> {
    let found = with_index(repo, |index, _| entry_id(index, path));
    match found {
        Ok(id) => Ok(id),
        Err(_) => Ok(open_index(repo)?.get_path(Path::new(path), 0).map(|e| e.id)),
    }
}

/// The id of `path` in `index` (`None`: not in it).
fn entry_id(index: &super::index::Index<'_>, path: &str) -> Option<Oid> {
    index
        .entries
        .binary_search_by(|e| e.path.as_ref().cmp(path.as_bytes()))
        .ok()
        .map(|i| index.entries[i].id)
}

/// A path whose id in the index a plan notes while it reads the index anyway
/// ([`StagedChange::watch`]).
pub struct Watch<'p> {
    /// The path, relative to the work tree's root.
    pub path: &'p str,
    /// `Some` once the plan read the index itself: the path's id there, `None` when the
    /// index has no such path. [`index_id`] would give the same.
    pub id: Option<Option<Oid>>,
}

fn staged_by_libgit2(repo: &Repository, head: Option<&Tree<'_>>) -> Result<Vec<Staged>> {
    let index = open_index(repo)?;
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true).include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head, Some(&index), Some(&mut opts))
        .map_err(|e| Error::git("comparing the index with HEAD", &e))?;
    let count = |s: Delta| diff.deltas().filter(|d| d.status() == s).count();
    let (added, deleted) = (count(Delta::Added), count(Delta::Deleted));
    if added > 0 && deleted > 0 {
        let mut find = DiffFindOptions::new();
        find.renames(true)
            .rename_limit(super::RENAME_LIMIT)
            .exact_match_only(!super::inexact_renames(added, deleted));
        diff.find_similar(Some(&mut find))
            .map_err(|e| Error::git("detecting renames", &e))?;
    }
    // libgit2 tries at most `rename_limit` sources per added file, identical ones too: a
    // move of a larger directory leaves identical files unpaired. Those are paired here, by
    // blob id (as history pairs them).
    let gone: rustc_hash::FxHashMap<Oid, (u32, Vec<u8>)> = diff
        .deltas()
        .filter(|d| d.status() == Delta::Deleted)
        .filter_map(|d| {
            let o = d.old_file();
            Some((o.id(), (u32::from(o.mode()), o.path_bytes()?.to_vec())))
        })
        .collect();
    Ok(diff
        .deltas()
        .filter(|d| {
            matches!(
                d.status(),
                Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
            )
        })
        .filter_map(|d| {
            let (n, o) = (d.new_file(), d.old_file());
            let (old, old_path) = match gone.get(&n.id()) {
                Some((mode, path)) if d.status() == Delta::Added => {
                    (Some((*mode, n.id())), Some(path.clone()))
                }
                _ => (
                    (!o.id().is_zero()).then(|| (u32::from(o.mode()), o.id())),
                    (d.status() == Delta::Renamed)
                        .then(|| o.path_bytes().map(<[u8]>::to_vec))
                        .flatten(),
                ),
            };
            Some(Staged {
                path: n.path_bytes()?.to_vec(),
                mode: u32::from(n.mode()),
                id: n.id(),
                old,
                old_path,
                stat: None,
            })
        })
        .collect())
}

/// An in-memory libgit2 index holding `index`'s entries, its sparse directories expanded:
/// what libgit2 would have read from a whole index file.
///
/// # Errors
///
/// When a sparse directory's tree cannot be read, or libgit2 refuses an entry.
fn libgit2_index(repo: &Repository, index: &super::index::Index<'_>) -> Result<git2::Index> {
    let failed = |e: git2::Error| Error::git("building the index for libgit2", &e);
    let mut out = git2::Index::new().map_err(failed)?;
    let trees = Trees::new(repo);
    let mut add = |path: &[u8], mode: u32, id: Oid| {
        let time = git2::IndexTime::new(0, 0);
        out.add(&git2::IndexEntry {
            ctime: time,
            mtime: time,
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags: 0,
            flags_extended: 0,
            path: path.to_vec(),
        })
        .map_err(failed)
    };
    for e in &index.entries {
        if !is_tree(e.mode) {
            add(&e.path, e.mode, e.id)?;
            continue;
        }
        let Some(files) = trees.expand(&e.path, e.id) else {
            return Err(match trees.corrupt.get() {
                Some(id) => Error::corrupt_object("reading a sparse directory's tree", id),
                None => Error::git(
                    "reading a sparse directory's tree",
                    &git2::Error::from_str(&format!("tree {} not found", e.id)),
                ),
            });
        };
        for f in files {
            add(&f.path, f.mode, f.id)?;
        }
    }
    Ok(out)
}

/// Plans one job per staged file that has content to scan. Returns the jobs and how many
/// paths were skipped (excluded).
///
/// # Errors
///
/// When `HEAD`, the index or a tree cannot be read.
pub fn plan(repo: &Repository, paths: &PathRules<'_>) -> Result<(Vec<Job>, usize)> {
    let mut jobs = Vec::new();
    match plan_each(repo, paths, &mut |job| jobs.push(job))? {
        Fed::Done { skipped } => Ok((jobs, skipped)),
        Fed::Replan => plan_by_libgit2(repo, paths),
    }
}

/// The plan from the index's cache tree alone; `None` when [`plan`] would ask libgit2 (tests
/// compare the two).
///
/// # Errors
///
/// As [`plan`].
pub fn plan_by_cache_tree(
    repo: &Repository,
    paths: &PathRules<'_>,
) -> Result<Option<(Vec<Job>, usize)>> {
    let head = head_tree(repo)?;
    staged_by_cache_tree(repo, head.as_ref())?
        .map(|staged| jobs(repo, staged, paths))
        .transpose()
}

/// The same plan, always by libgit2's diff (tests compare the two).
///
/// # Errors
///
/// As [`plan`].
pub fn plan_by_libgit2(repo: &Repository, paths: &PathRules<'_>) -> Result<(Vec<Job>, usize)> {
    let head = head_tree(repo)?;
    let staged = staged_by_libgit2(repo, head.as_ref())?;
    jobs(repo, staged, paths)
}

fn jobs(
    repo: &Repository,
    staged: Vec<Staged>,
    paths: &PathRules<'_>,
) -> Result<(Vec<Job>, usize)> {
    let merges = merge_trees(repo)?;
    let mut jobs = Vec::new();
    let mut skipped = 0;
    for s in staged {
        match job(s, &merges, paths) {
            Planned::Job(j) => jobs.push(j),
            Planned::Skipped => skipped += 1,
            Planned::Nothing => {}
        }
    }
    Ok((jobs, skipped))
}

/// What one staged file comes to.
enum Planned {
    Job(Job),
    /// An excluded path: counted as skipped.
    Skipped,
    /// Not content (a submodule): nothing to scan.
    Nothing,
}

/// The plan of one staged file. A file renamed from a path judged more leniently
/// ([`PathRules::inherits`]) gets no old version: every line is added.
fn job(s: Staged, merges: &[Tree<'_>], paths: &PathRules<'_>) -> Planned {
    if !is_scanned(s.mode) {
        return Planned::Nothing;
    }
    let path: Arc<str> = Arc::from(String::from_utf8_lossy(&s.path));
    if paths.excluded(&path) {
        return Planned::Skipped;
    }
    let mut old = Vec::new();
    if let Some((mode, id)) = s.old
        && is_scanned(mode)
        && s.old_path
            .as_deref()
            .is_none_or(|from| paths.inherits(&String::from_utf8_lossy(from), &path))
    {
        old.push(id);
    }
    for tree in merges {
        if let Ok(entry) = tree.get_path(Path::new(&*path))
            && entry.kind() == Some(git2::ObjectType::Blob)
        {
            old.push(entry.id());
        }
    }
    Planned::Job(Job::Blob {
        path,
        new: s.id,
        old,
        commit: None,
        refname: None,
        // A symlink's work-tree path is its target's file, never its blob: no stand-in.
        stat: if is_symlink(s.mode) { None } else { s.stat },
    })
}

/// The staged change as a [`Source`]: [`plan_each`] hands each job over as soon as it is
/// known, so that scanning starts while `HEAD`'s trees are still being read.
pub struct StagedChange<'r, 'p> {
    /// The repository whose index is planned.
    pub repo: &'r Repository,
    /// Which paths are excluded, and which old paths a rename may inherit lines from.
    pub paths: PathRules<'p>,
    /// A path whose id in the index the plan notes (`.phiguard.toml`, which the pre-commit
    /// hook compares with `HEAD`'s and the work tree's): reading and parsing a large index a
    /// second time for it cost a staged change of 2,000 files in a 20,000-file repository
    /// 5 ms before the first job.
    pub watch: Option<Watch<'p>>,
}

impl Source for StagedChange<'_, '_> {
    fn feed(&mut self, sink: &dyn Sink) -> Result<Fed> {
        plan_each_watching(self.repo, &self.paths, &mut self.watch, &mut |job| {
            sink.take(job)
        })
    }
}

/// [`plan`], handing each job to `emit` as soon as it is known, so that scanning can start
/// while `HEAD`'s trees are still being read. The jobs come in the order [`plan`] lists them.
/// [`Fed::Replan`] when the cache-tree plan stopped after handing some jobs over (files were
/// both added and deleted: renames need libgit2): drop those jobs and use [`plan`].
///
/// # Errors
///
/// As [`plan`].
pub fn plan_each(
    repo: &Repository,
    paths: &PathRules<'_>,
    emit: &mut dyn FnMut(Job),
) -> Result<Fed> {
    plan_each_watching(repo, paths, &mut None, emit)
}

/// [`plan_each`], noting the id of `watch`'s path when the plan reads the index itself.
fn plan_each_watching(
    repo: &Repository,
    paths: &PathRules<'_>,
    watch: &mut Option<Watch<'_>>,
    emit: &mut dyn FnMut(Job),
) -> Result<Fed> {
    let head = head_tree(repo)?;
    let merges = merge_trees(repo)?;
    let (mut skipped, mut emitted) = (0, false);
    let mut hand = |s: Staged, skipped: &mut usize, emitted: &mut bool| match job(s, &merges, paths)
    {
        Planned::Job(j) => {
            *emitted = true;
            emit(j);
        }
        Planned::Skipped => *skipped += 1,
        Planned::Nothing => {}
    };
    let by_cache_tree = each_staged_by_cache_tree(repo, head.as_ref(), watch, &mut |s| {
        hand(s, &mut skipped, &mut emitted);
    })?;
    if by_cache_tree.is_some() {
        return Ok(Fed::Done { skipped });
    }
    if emitted {
        return Ok(Fed::Replan);
    }
    skipped = 0;
    for s in staged_by_libgit2(repo, head.as_ref())? {
        hand(s, &mut skipped, &mut emitted);
    }
    Ok(Fed::Done { skipped })
}
