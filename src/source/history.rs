//! Commits as jobs: each commit's own added lines and its message. Used by `scan --range`,
//! pre-push and the server hooks.
//!
//! A file of a commit is scanned against every parent's version of it, so a merge is scanned
//! for what the merge itself introduces (combined-diff semantics): a path whose merged version
//! equals one parent's version was already scanned on that side and produces nothing; a
//! conflict resolution that adds a line no parent had is caught.

use super::blobcache::BlobCache;
use super::{Fed, Item, Job, Sink, Source, pack};
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
fn tree_changes(
    trees: &mut Trees<'_>,
    old: Option<&Tree>,
    new: &Tree,
    prefix: &mut Vec<u8>,
    changes: &mut Vec<Change>,
    deleted: &mut Vec<(Vec<u8>, Oid)>,
) -> std::result::Result<(), ReadError> {
    let olds = old.map_or(0, Tree::len);
    let mut index: FxHashMap<&[u8], usize> =
        FxHashMap::with_capacity_and_hasher(olds, Default::default());
    if let Some(old) = old {
        index.extend((0..olds).map(|i| (old.name(i), i)));
    }
    let mut kept = vec![false; olds];
    for i in 0..new.len() {
        let entry = new.entry(i);
        let before = index.get(new.name(i)).map(|&j| {
            kept[j] = true;
            old.map(|o| o.entry(j))
        });
        let before = before.flatten();
        if before.is_some_and(|b| b.id == entry.id && b.mode == entry.mode) {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(new.name(i));
        match entry.kind {
            ObjectType::Tree => {
                let sub = trees.get(entry.oid())?;
                let old_sub = match before {
                    Some(b) if b.kind == ObjectType::Tree => Some(trees.get(b.oid())?),
                    _ => None,
                };
                prefix.push(b'/');
                tree_changes(trees, old_sub.as_deref(), &sub, prefix, changes, deleted)?;
            }
            ObjectType::Blob if super::mode::is_scanned(entry.mode) => {
                let old = before
                    .filter(|b| b.kind == ObjectType::Blob)
                    .map(TreeEntry::oid);
                changes.push(Change {
                    path: prefix.clone(),
                    new: entry.oid(),
                    old,
                });
            }
            _ => {}
        }
        prefix.truncate(len);
    }
    if let Some(old) = old {
        for j in (0..olds).filter(|&j| !kept[j]) {
            let mut path = prefix.clone();
            path.extend_from_slice(old.name(j));
            let entry = old.entry(j);
            match entry.kind {
                ObjectType::Blob => deleted.push((path, entry.oid())),
                // A deleted directory: its files may have moved elsewhere in this commit.
                ObjectType::Tree => {
                    path.push(b'/');
                    let sub = trees.get(entry.oid())?;
                    deleted_files(trees, &sub, &mut path, deleted)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every blob under `tree`, depth first in entry order, as `(path, id)` with `prefix`
/// before each path: the files of a deleted directory.
fn deleted_files(
    trees: &mut Trees<'_>,
    tree: &Tree,
    prefix: &mut Vec<u8>,
    deleted: &mut Vec<(Vec<u8>, Oid)>,
) -> std::result::Result<(), ReadError> {
    for i in 0..tree.len() {
        let entry = tree.entry(i);
        let len = prefix.len();
        prefix.extend_from_slice(tree.name(i));
        match entry.kind {
            ObjectType::Blob => deleted.push((prefix.clone(), entry.oid())),
            ObjectType::Tree => {
                prefix.push(b'/');
                let sub = trees.get(entry.oid())?;
                deleted_files(trees, &sub, prefix, deleted)?;
            }
            _ => {}
        }
        prefix.truncate(len);
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
    trees: &mut Trees<'_>,
    old: Oid,
    new: Oid,
    changes: &[Change],
    deleted: &[(Vec<u8>, Oid)],
) -> std::result::Result<Moves, git2::Error> {
    let mut sources = Moves::default();
    let mut by_id: FxHashMap<Oid, Vec<&[u8]>> = FxHashMap::default();
    for (path, id) in deleted {
        by_id.entry(*id).or_default().push(path);
    }
    let mut moved: rustc_hash::FxHashSet<Oid> = rustc_hash::FxHashSet::default();
    let mut unpaired: Vec<(&[u8], Oid)> = Vec::new();
    let mut added = 0;
    for change in changes.iter().filter(|c| c.old.is_none()) {
        added += 1;
        match by_id.get(&change.new) {
            Some(paths) => {
                moved.insert(change.new);
                let from = paths.iter().map(|p| (p.to_vec(), change.new)).collect();
                sources.insert(change.path.clone(), from);
            }
            None => unpaired.push((&change.path, change.new)),
        }
    }
    let gone: Vec<(&[u8], Oid)> = deleted
        .iter()
        .filter(|(_, id)| !moved.contains(id))
        .map(|(p, id)| (p.as_slice(), *id))
        .collect();
    if unpaired.is_empty() || gone.is_empty() || !super::inexact_renames(added, deleted.len()) {
        return Ok(sources);
    }
    // In a repository of its own holding only what the comparison reads, else (an object
    // that store does not have) in the repository.
    let found = match trees.in_memory(old, new, &unpaired, &gone) {
        Some(mem) => similar(&mem, old, new, &unpaired, &gone).ok(),
        None => None,
    };
    let found = match found {
        Some(found) => found,
        None => similar(trees.repo, old, new, &unpaired, &gone)?,
    };
    sources.extend(found);
    Ok(sources)
}

/// The files of `unpaired` (added) that libgit2's similarity detection pairs with files of
/// `gone` (deleted), comparing tree `old` with tree `new` of `repo` on those paths only.
fn similar(
    repo: &Repository,
    old: Oid,
    new: Oid,
    unpaired: &[(&[u8], Oid)],
    gone: &[(&[u8], Oid)],
) -> std::result::Result<Moves, git2::Error> {
    let mut opts = DiffOptions::new();
    // Exact paths: libgit2 then walks only the trees that lead to them.
    opts.ignore_submodules(true).disable_pathspec_match(true);
    for (path, _) in unpaired.iter().chain(gone) {
        opts.pathspec(path.to_vec());
    }
    let (old, new) = (repo.find_tree(old)?, repo.find_tree(new)?);
    let mut diff = repo.diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_limit(super::RENAME_LIMIT);
    diff.find_similar(Some(&mut find))?;
    let mut found = Moves::default();
    for delta in diff.deltas().filter(|d| d.status() == Delta::Renamed) {
        let (n, o) = (delta.new_file(), delta.old_file());
        if let (Some(new_path), Some(old_path)) = (n.path_bytes(), o.path_bytes()) {
            found.insert(new_path.to_vec(), vec![(old_path.to_vec(), o.id())]);
        }
    }
    Ok(found)
}

/// Tree entries a plan keeps parsed ([`Trees`]), about 50 bytes each (the entry and its
/// name): 1.6 MiB at most. Five times as many read 12 % fewer trees on spring-framework's
/// history for no time saved (measured when libgit2 read them).
const TREE_CACHE_ENTRIES: usize = 32_768;

/// Resolved tree and commit objects a planner's own pack reader keeps
/// ([`pack::PackReader::own`]), the delta bases of the trees it reads next. The parsed trees
/// ([`Trees`]) catch most reads again: on spring-framework's history 256 KiB was as fast as
/// 4 or 8 MiB, which cost 8 and 14 MiB more at the peak.
const PLAN_CACHE_BYTES: usize = 256 << 10;

/// Pack index bytes each commit of a plan may stand for when the planner opens the packs:
/// opening reads each index's offsets (about 50 ns per object), a commit reads about 20
/// trees, each about 10 µs sooner than through libgit2. redis' whole history (5.6 MB of index,
/// 12,000 commits) opens them; a push of one commit to a store of a million objects does not.
const IDX_BYTES_PER_COMMIT: u64 = 64 << 10;

/// One entry of a [`Tree`]: its name is `names[name]` of the tree.
#[derive(Clone, Copy)]
struct TreeEntry {
    name: (u32, u32),
    /// The mode as libgit2 gives it (`git_tree_entry_filemode`).
    mode: u32,
    kind: ObjectType,
    id: pack::Id,
}

impl TreeEntry {
    fn oid(self) -> Oid {
        // Twenty bytes are always an id: libgit2 is built for SHA-1 ids only.
        Oid::from_bytes(&self.id).unwrap_or(Oid::ZERO_SHA1)
    }
}

/// A tree's entries in their stored order, with their names in one buffer: half of what
/// libgit2's parsed tree holds, and read by the planner's own pack reader.
struct Tree {
    names: Vec<u8>,
    entries: Vec<TreeEntry>,
}

impl Tree {
    /// The entries of a tree object's bytes, when every mode is one git writes today
    /// (`None` otherwise: libgit2 reads the tree, and normalises old modes such as `100664`).
    fn parse(bytes: &[u8]) -> Option<Tree> {
        let mut tree = Tree {
            names: Vec::with_capacity(bytes.len() / 2),
            entries: Vec::with_capacity(bytes.len() / 40),
        };
        super::loose::tree_entries(bytes, |name, mode, id| {
            let kind = match mode {
                0o040_000 => ObjectType::Tree,
                0o160_000 => ObjectType::Commit,
                _ => ObjectType::Blob,
            };
            tree.push(name, mode, kind, *id)
        })?;
        Some(tree)
    }

    /// The entries of a tree libgit2 read.
    fn of(git: &git2::Tree<'_>) -> Option<Tree> {
        let mut tree = Tree {
            names: Vec::new(),
            entries: Vec::with_capacity(git.len()),
        };
        for e in git.iter() {
            // A kind libgit2 does not name is not one a plan looks at.
            let kind = e.kind().unwrap_or(ObjectType::Any);
            tree.push(e.name_bytes(), e.filemode() as u32, kind, pack::id(e.id()))?;
        }
        Some(tree)
    }

    fn push(&mut self, name: &[u8], mode: u32, kind: ObjectType, id: pack::Id) -> Option<()> {
        let start = u32::try_from(self.names.len()).ok()?;
        self.names.extend_from_slice(name);
        let end = u32::try_from(self.names.len()).ok()?;
        self.entries.push(TreeEntry {
            name: (start, end),
            mode,
            kind,
            id,
        });
        Some(())
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn entry(&self, i: usize) -> TreeEntry {
        self.entries[i]
    }

    fn name(&self, i: usize) -> &[u8] {
        let (start, end) = self.entries[i].name;
        &self.names[start as usize..end as usize]
    }

    /// The entry named `name`, by binary search: git stores a tree's entries sorted by name,
    /// a subtree's as if it ended in `/` (a merge looks up each of its files in its other
    /// parents, directory by directory).
    fn get(&self, name: &[u8]) -> Option<TreeEntry> {
        let key = |i: usize| {
            let slash: &[u8] = match self.entries[i].kind {
                ObjectType::Tree => b"/",
                _ => b"",
            };
            self.name(i).iter().chain(slash)
        };
        [b"" as &[u8], b"/"].into_iter().find_map(|slash| {
            let target = || name.iter().chain(slash);
            let (mut lo, mut hi) = (0, self.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if key(mid).lt(target()) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            (lo < self.len() && self.name(lo) == name && key(lo).eq(target()))
                .then(|| self.entry(lo))
        })
    }
}

/// What a planner reads of a commit.
struct CommitInfo {
    tree: Oid,
    parents: Vec<Oid>,
    message: Vec<u8>,
}

impl CommitInfo {
    /// A commit object's bytes as libgit2 reads them (`git_commit_message`: the bytes after
    /// the first empty line, leading newlines dropped, up to a NUL), when its header starts
    /// `tree`, `parent`s, `author`, `committer` and has an end; `None` otherwise (libgit2
    /// reads it and reports what is wrong).
    fn parse(body: &[u8]) -> Option<CommitInfo> {
        let hex = |line: &[u8], key: &[u8]| -> Option<Oid> {
            let hex = std::str::from_utf8(line.strip_prefix(key)?).ok()?;
            (hex.len() == 40).then(|| Oid::from_str(hex).ok()).flatten()
        };
        let mut lines = body.split(|&b| b == b'\n');
        let tree = hex(lines.next()?, b"tree ")?;
        let mut parents = Vec::new();
        let mut line = lines.next()?;
        while let Some(parent) = hex(line, b"parent ") {
            parents.push(parent);
            line = lines.next()?;
        }
        if !line.starts_with(b"author ") || !lines.next()?.starts_with(b"committer ") {
            return None;
        }
        let end = memchr::memmem::find(body, b"\n\n")?;
        let message = &body[end + 2..];
        let message = &message[message.iter().take_while(|&&b| b == b'\n').count()..];
        let message = message.split(|&b| b == 0).next().unwrap_or_default();
        Some(CommitInfo {
            tree,
            parents,
            message: message.to_vec(),
        })
    }

    fn of(commit: &git2::Commit<'_>) -> CommitInfo {
        CommitInfo {
            tree: commit.tree_id(),
            parents: commit.parent_ids().collect(),
            message: commit.message_bytes().to_vec(),
        }
    }
}

/// Why a plan could not read an object.
enum ReadError {
    Git(git2::Error),
    Pack(Oid, pack::PackError),
}

impl From<git2::Error> for ReadError {
    fn from(e: git2::Error) -> Self {
        ReadError::Git(e)
    }
}

impl ReadError {
    fn into_error(self, context: impl Into<String>) -> Error {
        match self {
            ReadError::Git(e) => Error::git(context, &e),
            ReadError::Pack(id, why) => Error::packed_object(context, id, why),
        }
    }
}

/// The trees a plan has read, by id, so that a tree read again is not inflated and parsed
/// again: the trees a commit writes are those a later commit reads as its parent's, and the
/// directories a project works in are changed again and again, and a merge's files are
/// looked up in its other parents directory by directory ([`Trees::blob_at`]). Planning
/// spring-framework's history asks for 1,865,000 trees and reads 661,000 of them.
///
/// Trees and commits are read from their loose files, else from the packs by the planner's
/// own reader ([`pack`]: `pread`, no maps, libdeflate), else by libgit2 (alternates, a
/// push's quarantine, a tree with an old mode, and the errors). Through libgit2 a fifth of
/// spring-framework's history went to its index lookups, pack windows and zlib states.
///
/// Two generations bound it: trees go into the young one, and once that holds half of
/// [`TREE_CACHE_ENTRIES`] entries it becomes the old one and the oldest generation is let
/// go; a tree found in the old generation moves back to the young one.
struct Trees<'r> {
    repo: &'r Repository,
    loose: super::loose::Fanout,
    packs: Option<pack::PackReader>,
    young: FxHashMap<pack::Id, Rc<Tree>>,
    old: FxHashMap<pack::Id, Rc<Tree>>,
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
            packs: None,
            young: FxHashMap::default(),
            old: FxHashMap::default(),
            young_entries: 0,
            last_commit: None,
            reads: 0,
        }
    }

    /// Tree `id`, from the cache or read once it is known not to be a truncated loose object
    /// (on which libgit2 spins).
    fn get(&mut self, id: Oid) -> std::result::Result<Rc<Tree>, ReadError> {
        let key = pack::id(id);
        if let Some(tree) = self.young.get(&key) {
            return Ok(tree.clone());
        }
        let tree = match self.old.remove(&key) {
            Some(tree) => tree,
            None => {
                if self.loose.is_corrupt(id) {
                    return Err(ReadError::Git(git2::Error::from_str(&format!(
                        "tree {id} is corrupt (a truncated loose object)"
                    ))));
                }
                self.reads += 1;
                Rc::new(self.read_tree(id)?)
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

    /// Object `id` when it is a tree or a commit (`kind`), from its loose file or the packs;
    /// `None` when neither has it as that kind, or the loose file is not one
    /// [`super::loose`] reads.
    fn read_raw(
        &mut self,
        id: Oid,
        kind: pack::Kind,
    ) -> std::result::Result<Option<Arc<Vec<u8>>>, ReadError> {
        let header: &[u8] = match kind {
            pack::Kind::Tree => b"tree ",
            pack::Kind::Commit => b"commit ",
            _ => return Ok(None),
        };
        if self.loose.may_hold(id)
            && let Some(bytes) = super::loose::read_object(self.loose.objects(), id, header)
        {
            return Ok(Some(Arc::new(bytes)));
        }
        let Some(packs) = &mut self.packs else {
            return Ok(None);
        };
        let read = packs
            .read_object(&pack::id(id))
            .map_err(|why| ReadError::Pack(id, why))?;
        Ok(read
            .filter(|(read, _)| *read == kind)
            .map(|(_, bytes)| bytes))
    }

    fn read_tree(&mut self, id: Oid) -> std::result::Result<Tree, ReadError> {
        if let Some(bytes) = self.read_raw(id, pack::Kind::Tree)?
            && let Some(tree) = Tree::parse(&bytes)
        {
            return Ok(tree);
        }
        let git = self.repo.find_tree(id)?;
        Tree::of(&git).ok_or_else(|| {
            ReadError::Git(git2::Error::from_str(&format!("tree {id} is too large")))
        })
    }

    /// Commit `id`'s tree, parents and message.
    fn commit(&mut self, id: Oid) -> std::result::Result<CommitInfo, ReadError> {
        if let Some(bytes) = self.read_raw(id, pack::Kind::Commit)?
            && let Some(commit) = CommitInfo::parse(&bytes)
        {
            return Ok(commit);
        }
        Ok(CommitInfo::of(&self.repo.find_commit(id)?))
    }

    /// A repository whose objects are in memory: trees `old` and `new`, their subtrees on
    /// the way to the paths of `unpaired` and `gone`, and those paths' blobs, read by this
    /// planner ([`Trees::read_raw`]). Rename detection runs there, so that libgit2 never
    /// looks objects up in the repository's pack indexes after the walk: its maps of them
    /// stay released ([`walk`]). `None` when an object is not one the planner reads (libgit2
    /// then detects in the repository). That repository has no attributes or configuration
    /// of its own: a `diff` attribute of the work tree's `.gitattributes` no longer changes how
    /// an old commit's moves are paired (libgit2's defaults apply).
    fn in_memory(
        &mut self,
        old: Oid,
        new: Oid,
        unpaired: &[(&[u8], Oid)],
        gone: &[(&[u8], Oid)],
    ) -> Option<Repository> {
        self.packs.as_ref()?;
        let mut want: Vec<Oid> = Vec::new();
        for root in [old, new] {
            want.push(root);
            let root_tree = self.get(root).ok()?;
            for (path, _) in unpaired.iter().chain(gone) {
                let mut tree = root_tree.clone();
                let mut dirs = path.split(|&b| b == b'/').peekable();
                while let Some(dir) = dirs.next() {
                    if dirs.peek().is_none() {
                        break;
                    }
                    match tree.get(dir) {
                        Some(e) if e.kind == ObjectType::Tree => {
                            want.push(e.oid());
                            tree = self.get(e.oid()).ok()?;
                        }
                        _ => break,
                    }
                }
            }
        }
        let odb = git2::Odb::new().ok()?;
        odb.add_new_mempack_backend(1).ok()?;
        let mut written = rustc_hash::FxHashSet::default();
        // Content-addressed: what is written is the object asked for, or nothing is used.
        let write = |kind: ObjectType, id: Oid, bytes: &[u8]| {
            odb.write(kind, bytes)
                .is_ok_and(|w| w.as_bytes() == id.as_bytes())
                .then_some(())
        };
        for id in want {
            if written.insert(pack::id(id)) {
                let bytes = self.read_raw(id, pack::Kind::Tree).ok()??;
                write(ObjectType::Tree, id, &bytes)?;
            }
        }
        let mut budget = IN_MEMORY_BLOB_BYTES;
        for &(_, id) in unpaired.iter().chain(gone) {
            if written.insert(pack::id(id)) {
                let bytes = self.read_blob_within(id, budget)?;
                budget -= bytes.len() as u64;
                write(ObjectType::Blob, id, &bytes)?;
            }
        }
        Repository::from_odb(odb).ok()
    }

    /// Blob `id` from its loose file or the packs when it is at most `max_bytes`; `None`
    /// otherwise.
    fn read_blob_within(&mut self, id: Oid, max_bytes: u64) -> Option<Arc<Vec<u8>>> {
        if self.loose.may_hold(id) {
            match super::loose::read_blob(self.loose.objects(), id, max_bytes) {
                Some(super::loose::LooseObject::Content(bytes)) => return Some(Arc::new(bytes)),
                Some(super::loose::LooseObject::TooLarge(_)) => return None,
                None => {}
            }
        }
        match self
            .packs
            .as_mut()?
            .read_blob(&pack::id(id), max_bytes)
            .ok()?
        {
            pack::Outcome::Blob(bytes) => Some(bytes),
            _ => None,
        }
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
    fn blob_at(&mut self, root: &Rc<Tree>, path: &str) -> Option<Oid> {
        let mut tree = root.clone();
        let mut parts = path.split('/').peekable();
        while let Some(name) = parts.next() {
            let entry = tree.get(name.as_bytes())?;
            if parts.peek().is_none() {
                return (entry.kind == ObjectType::Blob).then(|| entry.oid());
            }
            if entry.kind != ObjectType::Tree {
                return None;
            }
            tree = self.get(entry.oid()).ok()?;
        }
        None
    }

    /// The tree of parent commit `id`, with its id: the last commit's without reading the
    /// commit again.
    fn parent(&mut self, id: Oid) -> std::result::Result<(Oid, Rc<Tree>), ReadError> {
        let tree = match self.last_commit {
            Some((commit, tree)) if commit.as_bytes() == id.as_bytes() => tree,
            _ => self.commit(id)?.tree,
        };
        Ok((tree, self.get(tree)?))
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

    /// Reads trees and commits from the packs itself ([`Trees`]) when the plan of `commits`
    /// commits is worth opening them for ([`IDX_BYTES_PER_COMMIT`]); packs that cannot be
    /// listed are left to libgit2, which reports any real error on the read.
    fn read_packs(&mut self, commits: usize) {
        self.trees.packs =
            pack::Packs::for_run(self.trees.repo, commits as u64 * IDX_BYTES_PER_COMMIT)
                .map(|packs| pack::PackReader::own(packs, PLAN_CACHE_BYTES));
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
        self.trees.check(id, "reading a commit")?;
        let commit = self
            .trees
            .commit(id)
            .map_err(|e| e.into_error(format!("reading commit {id}")))?;
        let hex: Arc<str> = Arc::from(id.to_string());
        let err = |what: &str, e: ReadError| e.into_error(format!("{what} of commit {hex}"));
        self.trees
            .check(commit.tree, &format!("reading the tree of commit {hex}"))?;
        for &parent in &commit.parents {
            self.trees
                .check(parent, &format!("reading a parent of commit {hex}"))?;
        }
        let tree = self
            .trees
            .get(commit.tree)
            .map_err(|e| err("reading the tree", e))?;
        let parents: Vec<(Oid, Rc<Tree>)> = commit
            .parents
            .iter()
            .map(|&p| self.trees.parent(p))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| err("reading a parent", e))?;
        if let (Some(name), Some(first)) = (self.watch, parents.first()) {
            let entry = |t: &Tree| t.get(name.as_bytes()).map(|e| e.id);
            if entry(&tree) == entry(&first.1) {
                self.same.insert(id);
            }
        }
        let (mut changes, mut deleted) = (Vec::new(), Vec::new());
        tree_changes(
            &mut self.trees,
            parents.first().map(|(_, p)| &**p),
            &tree,
            &mut Vec::new(),
            &mut changes,
            &mut deleted,
        )
        .map_err(|e| err("comparing trees", e))?;
        let moved = match parents.first() {
            Some(&(parent, _)) if !deleted.is_empty() => {
                renames(&mut self.trees, parent, commit.tree, &changes, &deleted)
                    .map_err(|e| err("detecting renames", ReadError::Git(e)))?
            }
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
            for (_, other) in parents.iter().skip(1) {
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
        let mut msg = Item::whole(MESSAGE_PATH, commit.message);
        msg.commit = Some(hex);
        msg.refname = refname.cloned();
        jobs.push(Job::Text(msg));
        self.trees.last_commit = Some((id, commit.tree));
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
    let ids: Vec<Oid> = walk
        .map(|r| r.map_err(|e| Error::git("walking commits", &e)))
        .collect::<Result<_>>()?;
    // The walk read every commit through libgit2, which maps the pack indexes whole: a long
    // history's walk leaves nearly all of them resident (26 MiB of spring-framework's 30 MB
    // index) for the whole run, though the plan and the scan read the packs themselves.
    if ids.len() >= RELEASE_AFTER_COMMITS {
        pack::release_index_pages(&pack::stores(repo));
    }
    Ok(ids)
}

/// Bytes of blobs at most that rename detection reads into its repository in memory
/// ([`Trees::in_memory`]); a commit that moves more is compared in the repository.
const IN_MEMORY_BLOB_BYTES: u64 = 16 << 20;

/// Commits a walk reads before it hands back the pages of the pack indexes it touched
/// ([`pack::release_index_pages`]).
const RELEASE_AFTER_COMMITS: usize = 1024;

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
    planner.read_packs(commits.len());
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
    pub fn new(mut planner: Planner<'r>, commits: ToScan) -> Commits<'r> {
        planner.read_packs(commits.len());
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
