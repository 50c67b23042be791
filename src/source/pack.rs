//! Blobs read straight from a repository's pack files for history scans, resolving delta
//! chains through a cache of the objects along them.
//!
//! libgit2 keeps at most 16 MiB of delta bases per pack, never one over 1 MiB, and empties
//! the whole cache when it is full: a history read oldest commit first walks each file's delta
//! chain (the newest version whole, older ones deltas against newer) again for every version,
//! inflating its bases over and over — on redis' history (12,000 commits), 43 % of a scan's
//! CPU time was zlib. Here the objects a chain resolves are kept in a cache of the run capped
//! in bytes and evicted least recently used first, so the next version of a file, read by
//! the next commit that touches it, is usually one delta away; entries are inflated with
//! libdeflate into buffers of their announced size. PERFORMANCE.md has the measurements
//! (and why not gitoxide's store: it maps whole packs, which counts in the peak memory).
//!
//! Packs and their indexes are read with `pread`, not mapped, for the same reason: of an
//! index, only its sorted offsets (which give each entry's exact length) and every 64th id
//! are held. Only what this module fully understands is read here — version-2 indexes of
//! SHA-1 object ids, delta bases inside their pack — and everything else (loose objects,
//! alternates, a push's quarantine, a pack written during the run, a store whose indexes
//! are too large) is left to the caller's libgit2 ([`Outcome::Elsewhere`]). Damage is an
//! error, never a skip: zlib's Adler-32, the sizes every entry and delta announce and the
//! bounds of every delta copy are checked.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

/// A SHA-1 object id as bytes.
pub type Id = [u8; 20];

/// `id` as bytes (libgit2 is built for SHA-1 ids only).
pub fn id(id: git2::Oid) -> Id {
    let mut bytes = [0; 20];
    bytes.copy_from_slice(id.as_bytes());
    bytes
}

/// What reading a blob gave.
#[derive(Debug)]
pub enum Outcome {
    /// The blob's content (shared with the cache).
    Blob(Arc<Vec<u8>>),
    /// The blob is over the size limit: its size, read from its entry's header (or its
    /// delta's) without inflating it.
    TooLarge(u64),
    /// Not in these packs (loose, in an alternate, in a pack newer than the index list, or
    /// a delta whose base is outside its pack): the caller reads it another way.
    Elsewhere,
}

/// Why a packed object could not be read.
#[derive(Debug)]
pub enum PackError {
    /// The pack or its index do not hold what they announce.
    Corrupt(&'static str),
    /// The object is not a blob.
    NotABlob,
    /// Reading the pack failed.
    Io(io::Error),
}

impl std::fmt::Display for PackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackError::Corrupt(what) => {
                write!(
                    f,
                    "its pack entry or a delta base of it is corrupt ({what})"
                )
            }
            PackError::NotABlob => write!(f, "it is not a blob"),
            PackError::Io(e) => write!(f, "reading its pack failed: {e}"),
        }
    }
}

impl From<io::Error> for PackError {
    fn from(e: io::Error) -> Self {
        PackError::Io(e)
    }
}

type PResult<T> = std::result::Result<T, PackError>;

mod cache;
mod entry;
mod index;
#[cfg(all(test, unix))]
pub(super) mod tests;

use cache::BaseCache;
use entry::{Base, MAX_CHAIN, OBJ_BLOB, apply_delta, delta_sizes, parse_entry};
use index::Pack;

/// Fills `buf` from `file` at `offset`, without moving a file position the run's other
/// threads share.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Every pack of an object directory and the objects resolved from them, shared by a run's
/// threads.
pub struct Packs {
    packs: Vec<Pack>,
    /// Shared rather than one per thread: the threads resolve versions of the same files
    /// (a commit's jobs go to either), and one budget for the run is what bounds its memory.
    cache: Mutex<BaseCache>,
}

/// Index bytes at most that a store may have for its packs to be read here: each pack's
/// offsets are held sorted (4 bytes an object) and read up front. 64 MiB of indexes is 2.3
/// million objects, 9 MiB held (redis' 200,000: 0.8 MiB; spring-framework's 1.1 million:
/// 4.3 MiB). A larger store is read through libgit2, which maps its indexes.
const IDX_BYTES_MAX: u64 = 64 << 20;

/// The object stores whose packs a run reads: a push's quarantine first, when the run is a
/// server hook inside one (`GIT_QUARANTINE_PATH`: git's receive-pack keeps the pushed
/// objects there while the hooks run, a pack when there are more than a hundred), then the
/// repository's own (`objects` of its common directory).
pub fn stores(repo: &git2::Repository) -> Vec<PathBuf> {
    stores_in(
        std::env::var_os("GIT_QUARANTINE_PATH").map(PathBuf::from),
        repo,
    )
}

/// [`stores`] with the quarantine `quarantine`, when it is a directory.
fn stores_in(quarantine: Option<PathBuf>, repo: &git2::Repository) -> Vec<PathBuf> {
    quarantine
        .filter(|q| q.is_dir())
        .into_iter()
        .chain([super::loose::objects_dir(repo)])
        .collect()
}

/// Hands back to the kernel the pages of this process' maps of the pack indexes of `stores`
/// (libgit2 maps each index whole, read-only, and shared): after a long history's walk
/// nearly all of an index is resident, and counts in the peak memory of the whole run,
/// though the plan and the scan after the walk read the packs with `pread` ([`Packs`]). A
/// page read again is mapped again from the page cache, with the same bytes: an index is
/// never written in place. Linux only; elsewhere nothing is done.
pub fn release_index_pages(stores: &[PathBuf]) {
    #[cfg(target_os = "linux")]
    {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return;
        };
        for line in maps.lines() {
            // `start-end perms offset device inode path`
            let mut fields = line.splitn(6, ' ');
            let (Some(range), Some(perms), Some(path)) =
                (fields.next(), fields.next(), fields.nth(3))
            else {
                continue;
            };
            let path = std::path::Path::new(path.trim_start());
            let index = path.extension().is_some_and(|e| e == "idx")
                && stores.iter().any(|s| path.starts_with(s.join("pack")));
            if !index || perms.as_bytes().get(1) != Some(&b'-') {
                continue;
            }
            let Some((start, end)) = range.split_once('-') else {
                continue;
            };
            let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) else {
                continue;
            };
            // SAFETY: the range is a read-only file mapping of this process as the kernel
            // lists it; dropping its pages changes no byte read from it (they are read from
            // the file again), and nothing writes to it.
            unsafe {
                libc::madvise(
                    start as *mut libc::c_void,
                    end.saturating_sub(start),
                    libc::MADV_DONTNEED,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stores;
}

/// The `.idx` files of the object stores `stores` (`<store>/pack/*.idx`), with their sizes.
fn indexes(stores: &[PathBuf]) -> io::Result<Vec<(PathBuf, u64)>> {
    let mut found = Vec::new();
    for store in stores {
        let dir = match std::fs::read_dir(store.join("pack")) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in dir {
            let entry = entry?;
            if entry.path().extension().is_some_and(|e| e == "idx") {
                // A pack deleted since the listing (a concurrent repack) is not used: its
                // objects are in the new pack, which libgit2 finds.
                match entry.metadata() {
                    Ok(meta) => found.push((entry.path(), meta.len())),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(found)
}

/// The bytes of the pack indexes of the object stores `stores` (0 without a pack
/// directory).
///
/// # Errors
///
/// When a pack directory cannot be listed.
fn index_bytes(stores: &[PathBuf]) -> io::Result<u64> {
    Ok(indexes(stores)?.iter().map(|(_, bytes)| bytes).sum())
}

/// Bytes of resolved pack objects a history run keeps, shared by its readers.
/// Every MiB of it costs about 2 MiB of peak memory (the allocator's overhead on objects of
/// 100-300 KB coming and going), and the run is held to 128 MiB. With the planner on its
/// own readers and the pack indexes released (stop 34), 8 / 12 / 16 MiB gave redis' history
/// 2.85 / 2.69 / 2.70 s at 75 / 82 / 91 MiB, spring-framework's 14.5 / 13.1 / 13.6 s at 96 /
/// 105 / 113 MiB, and client-js' built bundles 5.75 / 5.46 / 5.37 s at 108 / 117 / 121 MiB
/// (PERFORMANCE.md).
const PACK_CACHE_BYTES: usize = 12 << 20;

impl Packs {
    /// The packs of `repo`'s object stores ([`stores`]), shared by the run's readers, when
    /// their indexes hold at most `max_index_bytes` and there is a pack: opening reads each
    /// index's offsets up front, and a few objects read from a store of millions would pay
    /// more for that than they save. `None` too when the packs cannot be listed or opened:
    /// libgit2 then reads, and reports any real error.
    pub fn for_run(repo: &git2::Repository, max_index_bytes: u64) -> Option<Arc<Packs>> {
        let stores = stores(repo);
        if !index_bytes(&stores).is_ok_and(|bytes| bytes <= max_index_bytes) {
            return None;
        }
        Packs::shared(&stores, PACK_CACHE_BYTES)
            .ok()
            .filter(|packs| !packs.is_empty())
    }

    /// The packs of the object stores `stores` (`<store>/pack/*.idx`, [`stores`]), opened
    /// once per process while some reader holds them: a run's threads share them.
    ///
    /// # Errors
    ///
    /// When a pack directory or an index cannot be read.
    fn shared(stores: &[PathBuf], cache_bytes: usize) -> io::Result<Arc<Packs>> {
        type Open = Option<(Vec<PathBuf>, Weak<Packs>)>;
        static OPEN: Mutex<Open> = Mutex::new(None);
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((paths, packs)) = open.as_ref()
            && paths == stores
            && let Some(packs) = packs.upgrade()
        {
            return Ok(packs);
        }
        let packs = Arc::new(Packs::open(stores, cache_bytes, index::WHOLE_BYTES)?);
        *open = Some((stores.to_vec(), Arc::downgrade(&packs)));
        Ok(packs)
    }

    /// The packs of `stores`, keeping up to `cache_bytes` of resolved objects and holding
    /// the ids and offsets of packs whole while they fit in `whole_bytes`
    /// ([`index::WHOLE_BYTES`]); none when there is no pack directory or their indexes are
    /// over [`IDX_BYTES_MAX`].
    fn open(stores: &[PathBuf], cache_bytes: usize, whole_bytes: usize) -> io::Result<Packs> {
        let cache = Mutex::new(BaseCache::new(cache_bytes));
        let idx = indexes(stores)?;
        if idx.iter().map(|(_, bytes)| bytes).sum::<u64>() > IDX_BYTES_MAX {
            return Ok(Packs {
                packs: vec![],
                cache,
            });
        }
        let mut packs = Vec::new();
        let mut whole_budget = whole_bytes;
        for (path, _) in idx {
            match Pack::open(&path, &mut whole_budget) {
                Ok(Some(pack)) => packs.push(pack),
                Ok(None) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Packs { packs, cache })
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, BaseCache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether there is no pack to read.
    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }

    fn find(&self, id: &Id) -> io::Result<Option<(usize, u64)>> {
        for (i, pack) in self.packs.iter().enumerate() {
            if let Some(offset) = pack.find(id)? {
                return Ok(Some((i, offset)));
            }
        }
        Ok(None)
    }
}

/// One thread's reader of a run's [`Packs`].
pub struct PackReader {
    packs: Arc<Packs>,
    /// A cache of this reader's own instead of the run's shared one ([`PackReader::own`]).
    own: Option<BaseCache>,
    inflater: libdeflater::Decompressor,
    /// Inflates the first bytes of a delta ([`PackReader::size_over`]).
    zlib: flate2::Decompress,
    /// The compressed entries of the chain being resolved, reused from chain to chain.
    compressed: Vec<u8>,
    /// The delta being applied, inflated.
    delta: Vec<u8>,
    /// Pack entries inflated so far (a chain's deltas and its base; tests count them).
    #[cfg(test)]
    inflated: u64,
}

/// Bytes read at once for an entry header: type and size (up to 10 bytes) and a base
/// offset (up to 10) or id (20).
const HEADER_MAX: u64 = 32;

/// Bytes of a delta read with its entry's header to learn the size of the object it makes
/// ([`PackReader::size_over`]).
const DELTA_HEAD: usize = 1024;

impl PackReader {
    /// A reader of `packs` sharing the run's cache of resolved objects.
    pub fn new(packs: Arc<Packs>) -> PackReader {
        PackReader {
            packs,
            own: None,
            inflater: libdeflater::Decompressor::new(),
            zlib: flate2::Decompress::new(true),
            compressed: Vec::new(),
            delta: Vec::new(),
            #[cfg(test)]
            inflated: 0,
        }
    }

    /// A reader of `packs` with a cache of `cache_bytes` of its own: a history's planner
    /// reads trees and commits, whose delta chains are not the blobs' of the scanning
    /// threads, and would push those out of a shared cache.
    pub fn own(packs: Arc<Packs>, cache_bytes: usize) -> PackReader {
        PackReader {
            own: Some(BaseCache::new(cache_bytes)),
            ..PackReader::new(packs)
        }
    }

    fn cache_get(&mut self, key: cache::Key) -> Option<(u8, Arc<Vec<u8>>)> {
        match &mut self.own {
            Some(own) => own.get(key),
            None => self.packs.cache().get(key),
        }
    }

    fn cache_put(&mut self, key: cache::Key, kind: u8, data: &Arc<Vec<u8>>) {
        match &mut self.own {
            Some(own) => own.put(key, kind, data),
            None => self.packs.cache().put(key, kind, data),
        }
    }

    /// Object `id` whole, with its [`Kind`]: the trees and commits a history's planner
    /// reads. `None` when it is not in these packs (as [`Outcome::Elsewhere`]).
    ///
    /// # Errors
    ///
    /// When its entry, or one of its chain, is damaged or cannot be read.
    pub fn read_object(&mut self, id: &Id) -> PResult<Option<(Kind, Arc<Vec<u8>>)>> {
        let Some((pack, offset)) = self.packs.find(id)? else {
            return Ok(None);
        };
        let found = match self.cache_get((pack, offset)) {
            Some(hit) => Some(hit),
            None => self.resolve(pack, offset)?,
        };
        Ok(found.map(|(kind, data)| (Kind::of(kind), data)))
    }

    /// Pack entries this reader inflated.
    #[cfg(test)]
    pub fn inflated(&self) -> u64 {
        self.inflated
    }

    /// Blob `id`, or its size when that is over `max_bytes`.
    ///
    /// # Errors
    ///
    /// When its entry, or one of its chain, is damaged or cannot be read, or it is not a
    /// blob.
    pub fn read_blob(&mut self, id: &Id, max_bytes: u64) -> PResult<Outcome> {
        let Some((pack, offset)) = self.packs.find(id)? else {
            return Ok(Outcome::Elsewhere);
        };
        if let Some((kind, data)) = self.cache_get((pack, offset)) {
            return blob(kind, data, max_bytes);
        }
        if let Some(size) = self.size_over(pack, offset, max_bytes)? {
            return Ok(Outcome::TooLarge(size));
        }
        match self.resolve(pack, offset)? {
            Some((kind, data)) => blob(kind, data, max_bytes),
            None => Ok(Outcome::Elsewhere),
        }
    }

    /// The object's size when it is over `max_bytes`, from its entry header or, for a
    /// delta, the first bytes of the delta (inflated alone). One read brings the header and
    /// the delta's first bytes, and the zlib state is this reader's, reset: a history reads
    /// hundreds of thousands of deltas, and a second read and a new state for each were 3 %
    /// of spring-framework's.
    fn size_over(&mut self, pack: usize, offset: u64, max_bytes: u64) -> PResult<Option<u64>> {
        let packs = self.packs.clone();
        let p = &packs.packs[pack];
        let end = p.end_of(offset)?;
        // Two varints of at most 10 bytes each, from the start of the delta: its first
        // block's Huffman tables come first, up to a few hundred bytes.
        let mut head = [0u8; HEADER_MAX as usize + DELTA_HEAD];
        let len = (end - offset).min(head.len() as u64) as usize;
        read_at(&p.file, &mut head[..len], offset)?;
        let entry = parse_entry(&head[..len], offset, end)?;
        let size = if matches!(entry.base, Base::None) {
            entry.size
        } else {
            let start = usize::try_from(entry.data - offset)
                .map_err(|_| PackError::Corrupt("entry header too long"))?;
            let compressed = head
                .get(start..len)
                .ok_or(PackError::Corrupt("entry header too long"))?;
            self.zlib.reset(true);
            let mut out = [0u8; 20];
            self.zlib
                .decompress(compressed, &mut out, flate2::FlushDecompress::None)
                .map_err(|_| PackError::Corrupt("delta does not inflate"))?;
            let produced = self.zlib.total_out() as usize;
            let (_, target, _) = delta_sizes(&out[..produced])
                .ok_or(PackError::Corrupt("delta header unreadable"))?;
            target
        };
        Ok((size > max_bytes).then_some(size))
    }

    /// The object at `offset` of pack `pack`, resolving its delta chain from the nearest
    /// cached object or whole base; `None` when a base is outside the pack.
    fn resolve(&mut self, pack: usize, offset: u64) -> PResult<Option<(u8, Arc<Vec<u8>>)>> {
        let packs = self.packs.clone();
        let p = &packs.packs[pack];
        // Down the chain: each delta's offset, inflated size and compressed data (a range of
        // `self.compressed`), the newest last.
        let mut chain: Vec<(u64, u64, std::ops::Range<usize>)> = Vec::new();
        self.compressed.clear();
        let mut at = offset;
        let (kind, mut object) = loop {
            if at != offset
                && let Some(hit) = self.cache_get((pack, at))
            {
                break hit;
            }
            if chain.len() > MAX_CHAIN {
                return Err(PackError::Corrupt("delta chain too long"));
            }
            let end = p.end_of(at)?;
            let start = self.compressed.len();
            self.compressed.resize(start + (end - at) as usize, 0);
            read_at(&p.file, &mut self.compressed[start..], at)?;
            let entry = parse_entry(&self.compressed[start..], at, end)?;
            let data = start + (entry.data - at) as usize..self.compressed.len();
            match entry.base {
                Base::None => {
                    let mut whole = Vec::new();
                    inflate(
                        &mut self.inflater,
                        &self.compressed[data],
                        entry.size,
                        &mut whole,
                    )?;
                    #[cfg(test)]
                    {
                        self.inflated += 1;
                    }
                    let whole = Arc::new(whole);
                    self.cache_put((pack, at), entry.kind, &whole);
                    break (entry.kind, whole);
                }
                Base::Offset(base) => {
                    chain.push((at, entry.size, data));
                    at = base;
                }
                Base::Id(id) => {
                    let Some(base) = p.find(&id)? else {
                        return Ok(None);
                    };
                    chain.push((at, entry.size, data));
                    at = base;
                }
            }
        };
        // Up the chain: each delta applied to the object below it.
        for (at, size, data) in chain.into_iter().rev() {
            let compressed = &self.compressed[data];
            inflate(&mut self.inflater, compressed, size, &mut self.delta)?;
            #[cfg(test)]
            {
                self.inflated += 1;
            }
            object = Arc::new(apply_delta(&object, &self.delta)?);
            // The object asked for is not kept: the run's blob cache keeps it when a later
            // job reads it again. The chain below it is: those are the newer versions of
            // the file, which the next commits that touch it ask for.
            if at != offset {
                self.cache_put((pack, at), kind, &object);
            }
        }
        // A chain of large entries leaves no large buffer behind.
        for buf in [&mut self.compressed, &mut self.delta] {
            if buf.capacity() > 1 << 20 {
                *buf = Vec::new();
            }
        }
        Ok(Some((kind, object)))
    }
}

/// The kind of a packed object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
    /// An annotated tag.
    Tag,
    /// A code git does not write for a whole object.
    Other(u8),
}

impl Kind {
    fn of(code: u8) -> Kind {
        match code {
            1 => Kind::Commit,
            2 => Kind::Tree,
            OBJ_BLOB => Kind::Blob,
            4 => Kind::Tag,
            other => Kind::Other(other),
        }
    }
}

/// A resolved object as a blob read's outcome.
fn blob(kind: u8, data: Arc<Vec<u8>>, max_bytes: u64) -> PResult<Outcome> {
    if kind != OBJ_BLOB {
        return Err(PackError::NotABlob);
    }
    if data.len() as u64 > max_bytes {
        return Ok(Outcome::TooLarge(data.len() as u64));
    }
    Ok(Outcome::Blob(data))
}

/// Inflates a zlib stream that must give exactly `size` bytes, into `out`.
fn inflate(
    z: &mut libdeflater::Decompressor,
    compressed: &[u8],
    size: u64,
    out: &mut Vec<u8>,
) -> PResult<()> {
    let size = usize::try_from(size).map_err(|_| PackError::Corrupt("entry too large"))?;
    // Deflate cannot expand more than 1032 times: a larger announced size is damage, not
    // an allocation to make.
    if size / 1032 > compressed.len() {
        return Err(PackError::Corrupt("entry size beyond its compressed data"));
    }
    out.clear();
    out.resize(size, 0);
    match z.zlib_decompress(compressed, out) {
        Ok(n) if n == size => Ok(()),
        _ => Err(PackError::Corrupt("entry does not inflate to its size")),
    }
}
