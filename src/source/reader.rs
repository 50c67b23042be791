//! Reading a job's content: a [`Reader`] per thread turns jobs into items, from loose
//! objects, libgit2, the run's blob cache or the work tree.

use super::content::{
    Kind, classify, decode_utf16, read_as_runs, scanned_runs, scanned_text, text_runs,
    text_with_nuls,
};
use super::{
    Item, Job, added, archive, blobcache, embedded, index, lfs, loose, pack, sqlite, whole_region,
    worktree,
};
use crate::error::{Error, Result};
use git2::{Oid, Repository};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a job produced no item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Binary content.
    Binary,
    /// Larger than `max_file_bytes`.
    TooLarge(u64),
    /// Not a regular file (socket, submodule, vanished).
    NotAFile,
    /// Content phiguard cannot read (an encrypted or damaged archive member): named in the report,
    /// and rejected by a server unless `[server] unscannable = "pass"`.
    Unscannable(&'static str),
    /// A Git LFS pointer whose object is not in this repository ([`lfs`]): named in the
    /// report, and rejected by a server unless `[server] lfs = "pass"`.
    LfsObject,
}

impl From<lfs::Missing> for Skip {
    fn from(m: lfs::Missing) -> Skip {
        match m {
            lfs::Missing::TooLarge(size) => Skip::TooLarge(size),
            lfs::Missing::Unscannable(why) => Skip::Unscannable(why),
            lfs::Missing::NotHere => Skip::LfsObject,
        }
    }
}

impl Skip {
    /// Whether content was left unscanned that could hold a value (too large, undecodable),
    /// as opposed to content that holds none phiguard scans for (binary, not a file).
    pub fn hides_content(&self) -> bool {
        matches!(
            self,
            Skip::TooLarge(_) | Skip::Unscannable(_) | Skip::LfsObject
        )
    }
}

/// What a reader produced for a job.
#[derive(Debug)]
pub enum Loaded {
    /// Text to scan (for a DICOM file: its 132-byte preamble, which the `phi.dicom` rule
    /// reports; the image itself is never read further).
    Item(Item),
    /// Nothing to scan.
    Skipped {
        /// The path, as shown.
        path: Arc<str>,
        /// For an archive member, the length of its `!member` ([`Item::member`]).
        member: usize,
        /// Why.
        why: Skip,
    },
    /// An archive's members ([`archive`]), each an item (or skipped) of its own, in the
    /// archive's order. Members that are binary are left out.
    Members(Vec<Loaded>),
}

impl Loaded {
    /// `path` skipped for `why` (no archive member).
    fn skipped(path: Arc<str>, why: Skip) -> Loaded {
        Loaded::Skipped {
            path,
            member: 0,
            why,
        }
    }

    /// Applies `f` to every item loaded (an archive's members included).
    fn each_item(&mut self, f: &mut impl FnMut(&mut Item)) {
        match self {
            Loaded::Item(item) => f(item),
            Loaded::Skipped { .. } => {}
            Loaded::Members(list) => list.iter_mut().for_each(|l| l.each_item(f)),
        }
    }
}

/// How a reader finds the repository (each thread opens its own: `git2::Repository` is not
/// `Sync`).
#[derive(Debug, Clone)]
pub enum RepoAt {
    /// No repository needed (files, stdin).
    None,
    /// `Repository::open_from_env()`: honours `GIT_DIR`, `GIT_OBJECT_DIRECTORY` and the
    /// quarantine of a receiving repository.
    FromEnv,
    /// A repository path.
    Path(PathBuf),
    /// A repository path and its work tree, whose files may stand in for the index's blobs
    /// (see [`Reader`]): the staged change.
    WithWorktree(PathBuf, PathBuf),
}

/// libgit2's process-wide settings for reading, made once per process (the binary does it
/// first thing in `main`, before any thread exists; opening a repository for reading, walking
/// and planning a history do it too, for library callers):
///
/// - libgit2 re-hashes every object it reads to verify it (SHA-1 with collision detection): a
///   fifth of a large scan. phiguard only reads objects git itself wrote and reports on their
///   content, so verification is off.
/// - Packs are read through memory maps, by default of 1 GiB windows up to 8 GiB in all: every
///   page of a pack a history scan touched stayed mapped, and counted in the peak memory (a
///   300 MiB peak on redis' history, whose pack is 380 MiB). Windows of 4 MiB, 32 MiB mapped
///   at most, the least recently used unmapped first.
/// - Its object cache (commits and small trees) is off. Once full, each store evicts by
///   walking its hash table from the start past the slots earlier evictions emptied
///   (`cache_evict_entries` in libgit2's `cache.c`), so capped at 8 MiB it was 17 % of a
///   spring-framework history scan (35,415 commits), in `cache_store` alone; uncapped it
///   grows to 256 MiB. Without it the trees a plan reads again come from the packs' delta
///   base cache: spring-framework's history 26.8 s → 19.3 s and 301 → 286 MiB, redis'
///   3.9–4.1 s either way and 119 → 95 MiB, pre-receive of 10,000 commits 2.69 s either way.
pub fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        // SAFETY: these set plain globals of libgit2; the binary calls this before any thread
        // exists, and the Once makes every later call a no-op.
        unsafe {
            let _ = git2::opts::set_mwindow_size(4 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
        }
        git2::opts::enable_caching(false);
    });
}

impl RepoAt {
    /// Opens the repository.
    ///
    /// # Errors
    ///
    /// When there is none.
    pub fn open(&self) -> Result<Option<Repository>> {
        tune_libgit2();
        match self {
            RepoAt::None => Ok(None),
            RepoAt::FromEnv => Repository::open_from_env()
                .map(Some)
                .map_err(|e| Error::git("opening the repository", &e)),
            RepoAt::Path(p) | RepoAt::WithWorktree(p, _) => Repository::open(p)
                .map(Some)
                .map_err(|e| Error::git(format!("opening {}", p.display()), &e)),
        }
    }

    fn worktree(&self) -> Option<PathBuf> {
        match self {
            RepoAt::WithWorktree(_, w) => Some(w.clone()),
            _ => None,
        }
    }
}

/// Turns jobs into items on one thread.
///
/// With a work tree, the new version of a staged file is read from the file itself when it
/// is provably the staged blob — by the index's stat data, else by hash ([`worktree`]): a
/// staged blob is a loose object, and inflating it costs more than reading the file. A file
/// that differs (partly staged, edited since `git add`, converted by a filter) fails both
/// and the blob is read.
/// Blobs are read from their loose object files when they are loose ([`loose`]); in a history
/// (a reader with a blob cache), packed blobs are read from the packs by [`pack`]; everything
/// else through libgit2.
pub struct Reader {
    repo: Option<Repository>,
    /// The repository's loose object store, read directly (see [`loose`]).
    objects: Option<PathBuf>,
    worktree: Option<PathBuf>,
    max_file_bytes: u64,
    /// Blobs shared between the jobs of a history scan ([`blobcache`]).
    cache: Option<Arc<blobcache::BlobCache>>,
    /// The repository's packs, read directly in a history scan ([`pack`]).
    packs: Option<RefCell<pack::PackReader>>,
    /// In a history scan, the loose store's fan-out directories, listed once: a packed
    /// store has none, and looking for each of a history's blobs as a loose file first was
    /// an `open` that failed, 347,000 times on spring-framework's.
    fanout: Option<loose::Fanout>,
    /// The repository's Git LFS store ([`lfs::store`]), found at the first pointer.
    lfs: std::cell::OnceCell<Option<PathBuf>>,
}

/// Pack index bytes each blob job of a history may stand for when the reader opens the
/// packs ([`pack`]): opening costs about 50 ns per object (its offset read and sorted), a
/// blob read through [`pack`] saves about 35 µs against libgit2 on redis' history, so a run
/// opens them when it has at least one job per 8 KiB of index (about 300 objects): redis'
/// whole history (5.6 MB of index, 70,000 jobs) does, a push of two commits to a store of
/// a million objects does not.
const IDX_BYTES_PER_JOB: u64 = 8 << 10;

impl Reader {
    /// A reader for one thread.
    ///
    /// # Errors
    ///
    /// When the repository cannot be opened.
    pub fn new(at: &RepoAt, max_file_bytes: u64) -> Result<Reader> {
        let repo = at.open()?;
        Ok(Reader {
            objects: repo.as_ref().map(loose::objects_dir),
            repo,
            worktree: at.worktree(),
            max_file_bytes,
            cache: None,
            packs: None,
            fanout: None,
            lfs: std::cell::OnceCell::new(),
        })
    }

    /// The reader, sharing with the run's other readers the blobs `cache` keeps: each blob a
    /// job writes and a later job reads as its old version is inflated once.
    ///
    /// A run with a cache is a history: it reads many versions of each file, whose delta
    /// chains this reader then resolves itself ([`pack`]), sharing the packs' indexes with
    /// the run's other readers. Packs that cannot be listed are left to libgit2, which reports
    /// any real error on the read.
    #[must_use]
    pub fn with_cache(mut self, cache: Option<Arc<blobcache::BlobCache>>) -> Reader {
        if let Some(cache) = &cache {
            self.packs = self
                .repo
                .as_ref()
                .and_then(|repo| {
                    pack::Packs::for_run(repo, cache.jobs() as u64 * IDX_BYTES_PER_JOB)
                })
                .map(|packs| RefCell::new(pack::PackReader::new(packs)));
            self.fanout = self.objects.clone().map(loose::Fanout::new);
        }
        self.cache = cache;
        self
    }

    /// Loads one job.
    ///
    /// # Errors
    ///
    /// When a file or blob cannot be read: the caller fails closed.
    pub fn load(&mut self, job: &Job) -> Result<Loaded> {
        self.load_content(job)
            .map(|loaded| with_embedded(loaded, self.max_file_bytes))
    }

    /// [`Reader::load`] but for the documents embedded in the content.
    fn load_content(&mut self, job: &Job) -> Result<Loaded> {
        match job {
            Job::File {
                path,
                display,
                rooted,
            } => self.load_file(path, display, rooted),
            Job::Blob {
                path,
                new,
                old,
                commit,
                refname,
                stat,
            } => {
                let mut loaded = self.load_blob(path, *new, old, stat.as_ref())?;
                loaded.each_item(&mut |item| {
                    item.commit.clone_from(commit);
                    item.refname.clone_from(refname);
                });
                Ok(loaded)
            }
            Job::Text(item) => Ok(Loaded::Item(item.clone())),
        }
    }

    fn load_file(
        &self,
        path: &Path,
        display: &Arc<str>,
        rooted: &Option<Arc<str>>,
    ) -> Result<Loaded> {
        match read_file(path, self.max_file_bytes).map_err(|e| Error::io(display.to_string(), e))? {
            Ok(text) => {
                let item = Item {
                    rooted: rooted.clone(),
                    ..Item::whole(display.clone(), text)
                };
                if archive::is_archive(&item.text) {
                    return Ok(open_archive(item, self.max_file_bytes, &[], true));
                }
                Ok(finish(item))
            }
            Err(skip) => Ok(Loaded::skipped(display.clone(), skip)),
        }
    }

    fn load_blob(
        &self,
        path: &Arc<str>,
        new: Oid,
        old: &[Oid],
        stat: Option<&index::Stat>,
    ) -> Result<Loaded> {
        let text = match self.worktree_copy(path, new, stat) {
            Some(text) => text,
            None => match self.read_blob(path, new, self.max_file_bytes)? {
                BlobBytes::TooLarge(size) => {
                    self.release(old);
                    return Ok(Loaded::skipped(path.clone(), Skip::TooLarge(size)));
                }
                blob => blob.into_vec(),
            },
        };
        let text = match self.unpointed(text) {
            Ok(text) => text,
            Err(missing) => {
                self.release(old);
                return Ok(Loaded::skipped(path.clone(), missing.into()));
            }
        };
        if archive::is_archive(&text) {
            return self.load_archive(path, new, text, old);
        }
        let mut runs = false;
        let decoded = match compared(&text) {
            Compared::AsItIs => None,
            Compared::Decoded(decoded) => Some(decoded),
            Compared::Runs(r) if r.is_empty() => {
                self.release(old);
                return Ok(Loaded::skipped(path.clone(), Skip::Binary));
            }
            Compared::Runs(r) => {
                runs = true;
                Some(r)
            }
            Compared::Whole => {
                self.release(old);
                return Ok(finish(Item::whole(path.clone(), text)));
            }
        };
        // The cache keeps the blob as stored: a later commit reads it as an old version,
        // which is decoded the same way.
        if let Some(cache) = &self.cache {
            cache.offer(new, &text);
        }
        let text = decoded.unwrap_or(text);
        // Old versions obey the size limit too (a 25-byte edit of a 1 GB file must not read
        // the gigabyte): one over it is left out, so every line of the new version that no
        // other old version has counts as added.
        let mut olds = Vec::with_capacity(old.len());
        for &o in old {
            olds.extend(self.read_old(path, o)?);
        }
        let as_scanned = if runs { scanned_runs } else { scanned_text };
        let old_texts: Vec<std::borrow::Cow<'_, [u8]>> =
            olds.iter().filter_map(|b| as_scanned(b.bytes())).collect();
        let old_texts: Vec<&[u8]> = old_texts.iter().map(AsRef::as_ref).collect();
        let added = added::added_regions(&old_texts, &text);
        let item = Item {
            path: path.clone(),
            text,
            added,
            commit: None,
            refname: None,
            rooted: None,
            member: 0,
            origin: None,
        };
        Ok(Loaded::Item(if runs { runs_member(item) } else { item }))
    }

    /// An archive blob's members, each compared with the member of the same name in the old
    /// versions that are archives too: a line of a member is added when no old version of
    /// that member has it. An old version that cannot be opened has no members, so every
    /// line of the new one counts as added.
    fn load_archive(
        &self,
        path: &Arc<str>,
        new: Oid,
        text: Vec<u8>,
        old: &[Oid],
    ) -> Result<Loaded> {
        if let Some(cache) = &self.cache {
            cache.offer(new, &text);
        }
        let mut olds = Vec::new();
        for &o in old {
            let Some(bytes) = self.read_old(path, o)? else {
                continue;
            };
            if archive::is_archive(bytes.bytes())
                && let Ok(members) = archive::members(path, bytes.bytes(), self.max_file_bytes)
            {
                olds.push(members);
            }
        }
        Ok(open_archive(
            Item::whole(path.clone(), text),
            self.max_file_bytes,
            &olds,
            old.is_empty(),
        ))
    }

    /// Old version `o` of `path`, from the run's cache or the store, a Git LFS pointer
    /// resolved. `None` when it is left out: over the size limit (a 25-byte edit of a 1 GB
    /// file must not read the gigabyte), or a pointer whose content is not here. Every line
    /// of the new version that no other old version has then counts as added.
    fn read_old(&self, path: &str, o: Oid) -> Result<Option<BlobBytes<'_>>> {
        let bytes = match self.cache.as_ref().and_then(|c| c.take(o)) {
            Some(kept) => BlobBytes::Shared(kept),
            None => self.read_blob(path, o, self.max_file_bytes)?,
        };
        if matches!(bytes, BlobBytes::TooLarge(_)) {
            return Ok(None);
        }
        Ok(match lfs::pointer(bytes.bytes()) {
            Some(pointer) => match self.lfs_content(&pointer) {
                Some(content) => content.ok().map(BlobBytes::Owned),
                None => Some(bytes),
            },
            None => Some(bytes),
        })
    }

    /// `bytes` as they are, or when they are a Git LFS pointer ([`lfs`]) the content it
    /// stands for (or why there is none).
    fn unpointed(&self, bytes: Vec<u8>) -> std::result::Result<Vec<u8>, lfs::Missing> {
        match lfs::pointer(&bytes).and_then(|p| self.lfs_content(&p)) {
            Some(content) => content,
            None => Ok(bytes),
        }
    }

    /// The content `pointer` stands for, from the repository's LFS store; `None` without a
    /// repository (there is no store to ask, and the pointer is taken as it is).
    fn lfs_content(
        &self,
        pointer: &lfs::Pointer,
    ) -> Option<std::result::Result<Vec<u8>, lfs::Missing>> {
        let store = self.lfs.get_or_init(|| self.repo.as_ref().map(lfs::store));
        let store = store.as_deref()?;
        Some(lfs::content(store, pointer, self.max_file_bytes))
    }

    /// Counts the reads of old versions a job skips (its new version is binary or too
    /// large), so that the cache lets those blobs go.
    fn release(&self, old: &[Oid]) {
        if let Some(cache) = &self.cache {
            for &o in old {
                cache.take(o);
            }
        }
    }

    /// Blob `id` of `path`: from its loose object file when it is one, else from the packs
    /// in a history ([`pack`]), else from libgit2 (alternates, quarantine, what the pack
    /// reader leaves, and the errors).
    fn read_blob(&self, path: &str, id: Oid, max_bytes: u64) -> Result<BlobBytes<'_>> {
        #[cfg(test)]
        STORE_READS.with(|n| n.set(n.get() + 1));
        let repo = self
            .repo
            .as_ref()
            .ok_or_else(|| Error::internal("internal: blob job without a repository"))?;
        if let Some(objects) = &self.objects
            && self.fanout.as_ref().is_none_or(|f| f.may_hold(id))
        {
            match loose::read_blob_or_damage(objects, id, max_bytes) {
                Ok(loose::LooseObject::Content(bytes)) => return Ok(BlobBytes::Owned(bytes)),
                Ok(loose::LooseObject::TooLarge(size)) => return Ok(BlobBytes::TooLarge(size)),
                Err(true) => {
                    return Err(Error::corrupt_object(format!("reading blob of {path}"), id));
                }
                Err(false) => {}
            }
        }
        if let Some(packs) = &self.packs {
            match packs.borrow_mut().read_blob(&pack::id(id), max_bytes) {
                Ok(pack::Outcome::Blob(bytes)) => return Ok(BlobBytes::Packed(bytes)),
                Ok(pack::Outcome::TooLarge(size)) => return Ok(BlobBytes::TooLarge(size)),
                Ok(pack::Outcome::Elsewhere) => {}
                Err(why) => {
                    return Err(Error::packed_object(
                        format!("reading blob of {path}"),
                        id,
                        why,
                    ));
                }
            }
        }
        let fail = |e: git2::Error| Error::git(format!("reading blob {id} of {path}"), &e);
        // The size from the header first: libgit2 inflates a whole blob to hand it over.
        let (size, _) = repo.odb().and_then(|o| o.read_header(id)).map_err(fail)?;
        if size as u64 > max_bytes {
            return Ok(BlobBytes::TooLarge(size as u64));
        }
        Ok(BlobBytes::Git(repo.find_blob(id).map_err(fail)?))
    }

    /// The work tree's copy of `path` when it is provably blob `id` (and within the size
    /// limit): by the index's `stat` data `recorded`, else by hash ([`worktree`] says
    /// when each applies). `None` sends the caller to the object database.
    fn worktree_copy(
        &self,
        path: &str,
        id: Oid,
        recorded: Option<&index::Stat>,
    ) -> Option<Vec<u8>> {
        let root = self.worktree.as_ref()?;
        let (mut file, meta) = open_file(&root.join(path), self.max_file_bytes)
            .ok()?
            .ok()?;
        let text = read_sized(&mut file, meta.len()).ok()?;
        // The stat data again after reading: a file written to meanwhile is not vouched for.
        #[cfg(unix)]
        if worktree::vouched_by_stat(recorded, &index::Stat::of(&meta), &text)
            && file
                .metadata()
                .is_ok_and(|after| index::Stat::of(&after) == index::Stat::of(&meta))
        {
            return Some(text);
        }
        #[cfg(not(unix))]
        let _ = recorded;
        worktree::same_as_blob(&text, id).then_some(text)
    }
}

#[cfg(test)]
thread_local! {
    /// Blobs this thread read from the object store (tests: a history inflates each once).
    pub(crate) static STORE_READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A blob's content as read: inflated by [`loose`], held by libgit2 (no copy), resolved by
/// [`pack`] (shared with its cache), or kept by the run's cache.
enum BlobBytes<'r> {
    Owned(Vec<u8>),
    Git(git2::Blob<'r>),
    Packed(Arc<Vec<u8>>),
    /// Kept by the run's [`blobcache::BlobCache`].
    Shared(Arc<[u8]>),
    TooLarge(u64),
}

impl BlobBytes<'_> {
    /// The content (empty for a blob over the limit, which callers skip before asking).
    fn bytes(&self) -> &[u8] {
        match self {
            BlobBytes::Owned(b) => b,
            BlobBytes::Git(b) => b.content(),
            BlobBytes::Packed(b) => b,
            BlobBytes::Shared(b) => b,
            BlobBytes::TooLarge(_) => &[],
        }
    }

    fn into_vec(self) -> Vec<u8> {
        match self {
            BlobBytes::Owned(b) => b,
            BlobBytes::Packed(b) => Arc::try_unwrap(b).unwrap_or_else(|b| b.to_vec()),
            other => other.bytes().to_vec(),
        }
    }
}

/// A regular file's content, or why it is not read (not a regular file, over `max_bytes`).
/// One open and one fstat: a path lookup per call is a visible cost over 20,000 files. Opened
/// non-blocking, so a FIFO where a file was expected cannot hang a hook.
fn read_file(path: &Path, max_bytes: u64) -> std::io::Result<std::result::Result<Vec<u8>, Skip>> {
    match open_file(path, max_bytes)? {
        Ok((mut file, meta)) => Ok(Ok(read_sized(&mut file, meta.len())?)),
        Err(skip) => Ok(Err(skip)),
    }
}

/// [`read_file`]'s open and `fstat`: the open file and its metadata, or why it is not read.
pub(crate) fn open_file(
    path: &Path,
    max_bytes: u64,
) -> std::io::Result<std::result::Result<(std::fs::File, std::fs::Metadata), Skip>> {
    let file = crate::file::open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Err(Skip::NotAFile));
    }
    if meta.len() > max_bytes {
        return Ok(Err(Skip::TooLarge(meta.len())));
    }
    Ok(Ok((file, meta)))
}

/// Reads an open file whose size was just taken from its metadata: one `read` for a regular
/// file, where `read_to_end` makes four system calls (another `fstat` and an `lseek` for its
/// own size hint, and a last `read` to see the end). Over the 20,000 files of a directory
/// scan those were a third of all system calls. A file that grew since is read as far as
/// its size then (a snapshot); a shorter one, or one whose size says nothing (0, as for
/// `/proc` files), is read to its end.
pub(crate) fn read_sized(file: &mut std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut text = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // `take` stops at `len` without asking the kernel again, and reads into the spare
    // capacity without zeroing it first.
    file.take(len).read_to_end(&mut text)?;
    if (text.len() as u64) < len || len == 0 {
        file.read_to_end(&mut text)?;
    }
    Ok(text)
}

/// How a new version is compared line by line with its old versions.
enum Compared {
    /// As it is: text.
    AsItIs,
    /// Decoded: UTF-16 that validates, whose old versions are decoded too (issue 19 item 14:
    /// an edit re-reported every old line).
    Decoded(Vec<u8>),
    /// As the text runs in it ([`text_runs`], empty when there are none): binary that no
    /// reader understands, whose old versions are read as runs too.
    Runs(Vec<u8>),
    /// Not at all: DICOM, text with stray NULs; [`finish`]
    /// classifies it and every line that is scanned is added.
    Whole,
}

fn compared(text: &[u8]) -> Compared {
    match classify(text) {
        Kind::Text => Compared::AsItIs,
        kind => match decode_utf16(text) {
            Some(decoded) => Compared::Decoded(decoded),
            None if read_as_runs(text, kind) => Compared::Runs(text_runs(text)),
            _ => Compared::Whole,
        },
    }
}

/// `loaded` with the documents its items carry as base64 ([`embedded`]) beside them, as
/// items of their own with the carrier's path and the payload's [`super::Origin`]. Text is
/// scanned, and searched for payloads of its own (a C-CDA in a `DocumentReference` with a
/// PDF in its `nonXMLBody`) down to [`EMBEDDED_DEPTH`]; a document (a PDF, an Office file,
/// an archive) is opened as such a file is, its members named `path!member`, within `budget`
/// bytes; a DICOM file's preamble is scanned too; other binary data (an image) and what
/// does not decode are left out.
fn with_embedded(loaded: Loaded, budget: u64) -> Loaded {
    match loaded {
        Loaded::Item(item) => {
            let children = embedded_in(&item, budget, 1);
            if children.is_empty() {
                return Loaded::Item(item);
            }
            let mut list = Vec::with_capacity(1 + children.len());
            list.push(Loaded::Item(item));
            list.extend(children);
            Loaded::Members(list)
        }
        Loaded::Members(list) => {
            Loaded::Members(list.into_iter().map(|l| with_embedded(l, budget)).collect())
        }
        skipped @ Loaded::Skipped { .. } => skipped,
    }
}

/// How deep payloads inside decoded payloads are looked for: a Bundle's `DocumentReference`
/// holds a C-CDA, whose `nonXMLBody` holds a PDF.
const EMBEDDED_DEPTH: usize = 3;

/// The documents `item`'s added regions carry as base64, each as [`with_embedded`] has them;
/// `depth` is how deep `item` is itself (1: a file's or a member's own text).
fn embedded_in(item: &Item, budget: u64, depth: usize) -> Vec<Loaded> {
    let mut out = Vec::new();
    for p in embedded::payloads(&item.text, &item.added) {
        // A payload inside a payload is reported where the outermost one is.
        let origin = item.origin.unwrap_or(p.origin);
        let child = Item {
            path: item.path.clone(),
            rooted: item.rooted.clone(),
            member: item.member,
            commit: item.commit.clone(),
            refname: item.refname.clone(),
            origin: Some(origin),
            ..Item::whole("", p.decoded)
        };
        if archive::is_archive(&child.text) {
            out.push(embedded_document(child, budget));
            continue;
        }
        if let Loaded::Item(inner) = finish(child) {
            let nested = if depth < EMBEDDED_DEPTH {
                embedded_in(&inner, budget, depth + 1)
            } else {
                Vec::new()
            };
            out.push(Loaded::Item(inner));
            out.extend(nested);
        }
    }
    out
}

/// The member name under which a document carried as base64 is named when it cannot be
/// opened (`bundle.json!(base64 data)`): the file itself was read.
const EMBEDDED_DOCUMENT: &str = "(base64 data)";

/// A document carried as base64 (`item`, its [`Item::origin`] set), opened as a file of it
/// is: its members named `path!member`, reported where the payload is; unscannable when it
/// cannot be opened, named [`EMBEDDED_DOCUMENT`].
fn embedded_document(item: Item, budget: u64) -> Loaded {
    let (origin, commit, refname) = (item.origin, item.commit.clone(), item.refname.clone());
    let carrier = item.member;
    match open_archive(item, budget, &[], false) {
        Loaded::Skipped { path, why, .. } => Loaded::Skipped {
            path: Arc::from(format!("{path}!{EMBEDDED_DOCUMENT}")),
            member: carrier + 1 + EMBEDDED_DOCUMENT.len(),
            why,
        },
        mut loaded => {
            loaded.each_item(&mut |m| {
                m.origin = origin;
                m.commit.clone_from(&commit);
                m.refname.clone_from(&refname);
            });
            loaded
        }
    }
}

/// The members of archive `item` as items of their own, named `path!member`, each compared
/// with the members of the same name in `olds` (old versions of the archive, opened):
/// classified as [`finish`] classifies a file, binary members left out. A `new` archive (a
/// path that did not exist) comes first as an empty item of its own, which reports a value
/// in its name once. An archive that cannot be opened is unscannable, with the reason.
fn open_archive(item: Item, budget: u64, olds: &[Vec<archive::Member>], new: bool) -> Loaded {
    let members = match archive::members(item.rooted(), &item.text, budget) {
        Ok(members) => members,
        Err(why) => return Loaded::skipped(item.path, Skip::Unscannable(why)),
    };
    // Old members by name, looked up once per member: an archive of many members is not
    // compared name by name with every old one.
    let mut by_name: rustc_hash::FxHashMap<&str, Vec<&[u8]>> = rustc_hash::FxHashMap::default();
    for o in olds.iter().flatten() {
        if let Ok(bytes) = &o.bytes {
            by_name.entry(&o.name).or_default().push(bytes);
        }
    }
    let mut out = Vec::with_capacity(1 + members.len());
    if new {
        out.push(Loaded::Item(Item {
            path: item.path.clone(),
            rooted: item.rooted.clone(),
            ..Item::whole("", Vec::new())
        }));
    }
    let mut members = members;
    let mut recovered = recovered_rows(&item, &mut members, olds);
    for (i, m) in members.into_iter().enumerate() {
        let loaded = match (recovered.get_mut(i).and_then(Option::take), m.bytes) {
            (Some(loaded), _) => loaded,
            (None, Err(why)) => Loaded::Skipped {
                path: Arc::from(format!("{}!{}", item.path, m.name)),
                member: item.member + 1 + m.name.len(),
                why: Skip::Unscannable(why),
            },
            (None, Ok(bytes)) => {
                let old = by_name.remove(m.name.as_str()).unwrap_or_default();
                member_against(member_item(&item, &m.name, bytes), &old)
            }
        };
        if !matches!(
            loaded,
            Loaded::Skipped {
                why: Skip::Binary,
                ..
            }
        ) {
            out.push(loaded);
        }
    }
    Loaded::Members(out)
}

/// The members of rows recovered from a database's free space (named `… (deleted rows)`,
/// [`sqlite::DELETED`]), by index, compared with every table of their database, old and
/// new: a row that was deleted, or that a table still holds, was scanned when it arrived.
/// Empty when there are none; their content is taken out of `members`.
fn recovered_rows(
    item: &Item,
    members: &mut [archive::Member],
    olds: &[Vec<archive::Member>],
) -> Vec<Option<Loaded>> {
    // A member's database: the name up to its last `!`.
    let database = |name: &str| name.rfind('!').map_or(0, |i| i + 1);
    let recovered = |name: &str| name[database(name)..].ends_with(sqlite::DELETED);
    if !members.iter().any(|m| recovered(&m.name)) {
        return Vec::new();
    }
    let mut old: rustc_hash::FxHashMap<&str, Vec<&[u8]>> = rustc_hash::FxHashMap::default();
    for o in olds.iter().flatten() {
        if let Ok(bytes) = &o.bytes {
            old.entry(&o.name[..database(&o.name)])
                .or_default()
                .push(bytes);
        }
    }
    let mut tables: rustc_hash::FxHashMap<String, Vec<usize>> = rustc_hash::FxHashMap::default();
    for (i, m) in members.iter().enumerate() {
        if !recovered(&m.name) && m.bytes.is_ok() {
            let db = m.name[..database(&m.name)].to_owned();
            tables.entry(db).or_default().push(i);
        }
    }
    let mut out: Vec<Option<Loaded>> = (0..members.len()).map(|_| None).collect();
    for i in 0..members.len() {
        if !recovered(&members[i].name) || members[i].bytes.is_err() {
            continue;
        }
        let bytes = std::mem::replace(&mut members[i].bytes, Ok(Vec::new())).unwrap_or_default();
        let name = &members[i].name;
        let db = &name[..database(name)];
        let mut against: Vec<&[u8]> = old.get(db).cloned().unwrap_or_default();
        for &j in tables.get(db).map_or(&[][..], Vec::as_slice) {
            if let Ok(table) = &members[j].bytes {
                against.push(table);
            }
        }
        out[i] = Some(member_against(member_item(item, name, bytes), &against));
    }
    out
}

/// Member `name` of archive `item`, holding `bytes`: named `path!name`, the path policy
/// goes by kept ([`Item::member`]: the archive's, or the archive's own archive's when the
/// archive is itself a member or sits inside one).
fn member_item(item: &Item, name: &str, bytes: Vec<u8>) -> Item {
    let (path, rooted) = member_paths(item, name);
    Item {
        path,
        rooted,
        member: item.member + 1 + name.len(),
        ..Item::whole("", bytes)
    }
}

/// `item`'s path and root-relative path with `!name` appended.
fn member_paths(item: &Item, name: &str) -> (Arc<str>, Option<Arc<str>>) {
    (
        Arc::from(format!("{}!{name}", item.path)),
        item.rooted
            .as_ref()
            .map(|r| Arc::from(format!("{r}!{name}"))),
    )
}

/// An archive member with the old versions of it `old`: as [`finish`] has it when there are
/// none, else its added lines are those no old version (as scanned) has.
fn member_against(item: Item, old: &[&[u8]]) -> Loaded {
    if old.is_empty() {
        return finish(item);
    }
    let (text, runs) = match compared(&item.text) {
        Compared::AsItIs => (item.text, false),
        Compared::Decoded(decoded) => (decoded, false),
        Compared::Runs(r) if r.is_empty() => return binary(item),
        Compared::Runs(r) => (r, true),
        Compared::Whole => return finish(item),
    };
    let as_scanned = if runs { scanned_runs } else { scanned_text };
    let old: Vec<std::borrow::Cow<'_, [u8]>> = old.iter().filter_map(|o| as_scanned(o)).collect();
    let old: Vec<&[u8]> = old.iter().map(AsRef::as_ref).collect();
    let item = Item {
        // No old version read as text: every line is added, as [`finish`] has it.
        added: if old.is_empty() {
            whole_region(text.len())
        } else {
            added::added_regions(&old, &text)
        },
        text,
        ..item
    };
    Loaded::Item(if runs { runs_member(item) } else { item })
}

/// Classifies a whole item: UTF-16 is decoded (every line added; [`decode_utf16`]), text
/// with a stray NUL is scanned, binary is skipped, DICOM cut to its preamble.
fn finish(item: Item) -> Loaded {
    // Everything but the content and its regions stays: a file's root-relative path, an
    // archive member's or a decoded payload's place.
    if let Some(text) = decode_utf16(&item.text) {
        return Loaded::Item(Item {
            added: whole_region(text.len()),
            text,
            ..item
        });
    }
    match classify(&item.text) {
        Kind::Text => Loaded::Item(item),
        Kind::Binary if text_with_nuls(&item.text) => Loaded::Item(item),
        Kind::Binary => match text_runs(&item.text) {
            runs if runs.is_empty() => binary(item),
            runs => Loaded::Item(runs_member(Item {
                added: whole_region(runs.len()),
                text: runs,
                ..item
            })),
        },
        Kind::Dicom => Loaded::Item(Item {
            text: item.text[..132].to_vec(),
            added: whole_region(132),
            ..item
        }),
    }
}

/// Binary `item` with no run of text in it: skipped as binary.
fn binary(item: Item) -> Loaded {
    Loaded::Skipped {
        path: item.path,
        member: item.member,
        why: Skip::Binary,
    }
}

/// The member name under which the text runs of a binary file are scanned and reported
/// (`referral.doc!(text runs)`): their lines are runs, not lines of the file.
const TEXT_RUNS: &str = "(text runs)";

/// `item`, whose text is the runs read from a binary file ([`text_runs`]), named as the
/// member [`TEXT_RUNS`] of it; path policy still goes by the file's own path. Content decoded
/// from inside a file keeps its name: its findings are reported where it sits.
fn runs_member(item: Item) -> Item {
    if item.origin.is_some() {
        return item;
    }
    let (path, rooted) = member_paths(&item, TEXT_RUNS);
    Item {
        path,
        rooted,
        member: item.member + 1 + TEXT_RUNS.len(),
        ..item
    }
}

#[cfg(test)]
mod read_tests {
    use super::read_sized;

    /// Whole files of every size around the read-to-end probe (32 bytes) and a page, read
    /// with their own size; a size that is stale either way.
    #[test]
    fn read_sized_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        for n in [0usize, 1, 31, 32, 33, 4095, 4096, 4097, 70_000] {
            let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            let mut f = std::fs::File::open(&path).unwrap();
            assert_eq!(read_sized(&mut f, n as u64).unwrap(), data, "size {n}");
            // A size that says nothing: read to the end.
            let mut f = std::fs::File::open(&path).unwrap();
            assert_eq!(read_sized(&mut f, 0).unwrap(), data, "size {n} as 0");
            // The file shrank since its size was taken: read to the end.
            let mut f = std::fs::File::open(&path).unwrap();
            assert_eq!(
                read_sized(&mut f, n as u64 + 10).unwrap(),
                data,
                "size {n} + 10"
            );
            // It grew: read as far as the size taken.
            if n > 1 {
                let mut f = std::fs::File::open(&path).unwrap();
                assert_eq!(read_sized(&mut f, n as u64 - 1).unwrap(), data[..n - 1]);
            }
        }
    }

    /// Every item `loaded` holds, with the skipped: `(path, policy path, origin line,
    /// text)`; a skipped one's text is empty.
    fn listed(loaded: &super::Loaded) -> Vec<(String, String, Option<u32>, Vec<u8>)> {
        match loaded {
            super::Loaded::Item(i) => vec![(
                i.path.to_string(),
                i.policy_path().to_owned(),
                i.origin.map(|o| o.line),
                i.text.clone(),
            )],
            super::Loaded::Skipped { path, member, .. } => vec![(
                path.to_string(),
                path[..path.len() - member].to_owned(),
                None,
                Vec::new(),
            )],
            super::Loaded::Members(list) => list.iter().flat_map(listed).collect(),
        }
    }

    /// A document carried as base64 is opened as a file of it is (a zip's members named
    /// `path!member`, reported at the payload's line, path policy by the carrier); a text
    /// payload is searched for payloads of its own, reported where the outermost one is; a
    /// damaged one is unscannable as `path!(base64 data)`.
    #[test]
    fn documents_carried_as_base64_are_opened_and_searched() {
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let note = b"Progress note for a patient seen today, and the plan agreed on.\n".repeat(3);
        let mut zip = Vec::new();
        {
            use std::io::Write;
            let mut z = zip::ZipWriter::new(std::io::Cursor::new(&mut zip));
            z.start_file("notes.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(&note).unwrap();
            z.finish().unwrap();
        }
        let ccda = format!(
            "<ClinicalDocument><text representation=\"B64\">{}</text></ClinicalDocument>",
            b64(&note)
        );
        let json = format!(
            "{{\n\"data\": \"{}\",\n\"data\": \"{}\",\n\"data\": \"{}\"\n}}\n",
            b64(&zip),
            b64(ccda.as_bytes()),
            b64(b"PK\x03\x04 not a zip at all, only the first bytes of one, and then more text")
        );
        let carrier = crate::source::Item {
            member: "!docs/bundle.json".len(),
            ..crate::source::Item::whole("docs.tar!docs/bundle.json", json.into_bytes())
        };
        let loaded = super::with_embedded(super::Loaded::Item(carrier), 1 << 20);
        let got: Vec<_> = listed(&loaded)
            .into_iter()
            .map(|(path, policy, line, text)| (path, policy, line, text == note))
            .collect();
        let (bundle, member, broken) = (
            "docs.tar!docs/bundle.json",
            "docs.tar!docs/bundle.json!notes.txt",
            "docs.tar!docs/bundle.json!(base64 data)",
        );
        let at =
            |path: &str, line, is_note| (path.to_owned(), "docs.tar".to_owned(), line, is_note);
        assert_eq!(
            got,
            [
                at(bundle, None, false),
                at(member, Some(2), true),
                at(bundle, Some(3), false),
                at(bundle, Some(3), true),
                at(broken, None, false),
            ]
        );
    }
}
