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

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

/// A SHA-1 object id as bytes.
pub type Id = [u8; 20];

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
            PackError::Corrupt(what) => write!(f, "its pack entry is corrupt ({what})"),
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

/// One pack and its index, held in memory (the index) and open (the pack).
struct Pack {
    file: File,
    /// Where the entries end: the pack's length less its trailing checksum.
    data_end: u64,
    /// The index, read by `pread` past what is held here.
    index: File,
    /// The fan-out table: ids starting with a byte up to `b` are the first `fanout[b]`.
    fanout: [u32; 256],
    /// The first id of every block of [`BLOCK`] ids: a lookup reads one block of the index.
    samples: Vec<Id>,
    /// Where the index's ids, offsets and 64-bit offsets start, and how many of the last.
    names_at: u64,
    offsets_at: u64,
    large_at: u64,
    large_count: u64,
    /// Every entry's offset, sorted: an entry ends where the next begins, so a compressed
    /// stream's exact length is known before it is read.
    sorted: Sorted,
}

/// Ids per block of a pack index: a lookup reads one block (1,280 bytes), and the samples
/// held are 20 bytes per 64 objects (spring-framework's 1.1 million: 340 KB, against the
/// 21 MiB of all ids).
const BLOCK: usize = 64;

/// Sorted entry offsets: 4 bytes each while the pack is under 4 GiB.
enum Sorted {
    Small(Vec<u32>),
    Large(Vec<u64>),
}

impl Sorted {
    /// The offset after `offset`, if `offset` is one.
    fn next(&self, offset: u64) -> Option<Option<u64>> {
        match self {
            Sorted::Small(v) => {
                let i = v.binary_search(&u32::try_from(offset).ok()?).ok()?;
                Some(v.get(i + 1).map(|&o| u64::from(o)))
            }
            Sorted::Large(v) => {
                let i = v.binary_search(&offset).ok()?;
                Some(v.get(i + 1).copied())
            }
        }
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

const IDX_MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];

impl Pack {
    /// The pack of index `idx`, or `None` when it is not a version-2 SHA-1 index with its
    /// pack beside it (such a pack is left to libgit2). The index is read part by part: its
    /// offsets once, to sort them, and its ids a block at a time when looked up.
    fn open(idx: &Path) -> io::Result<Option<Pack>> {
        let index = File::open(idx)?;
        let len = index.metadata()?.len();
        let mut head = [0u8; 8 + 1024];
        if len < head.len() as u64 + 40 {
            return Ok(None);
        }
        read_at(&index, &mut head, 0)?;
        if head[..4] != IDX_MAGIC || be32(&head[4..8]) != 2 {
            return Ok(None);
        }
        let mut fanout = [0u32; 256];
        for (i, f) in fanout.iter_mut().enumerate() {
            *f = be32(&head[8 + 4 * i..]);
        }
        if fanout.windows(2).any(|w| w[0] > w[1]) {
            return Ok(None);
        }
        let n = u64::from(fanout[255]);
        let names_at = head.len() as u64;
        let offsets_at = names_at + n * 24;
        let large_at = offsets_at + n * 4;
        // The index's length says which hash it was written for: SHA-1 ids and two trailing
        // SHA-1 checksums, with up to one 8-byte large offset per entry.
        let Some(large_bytes) = len.checked_sub(large_at + 40) else {
            return Ok(None);
        };
        if large_bytes % 8 != 0 || large_bytes / 8 > n {
            return Ok(None);
        }
        let Ok(file) = File::open(idx.with_extension("pack")) else {
            return Ok(None);
        };
        // The pack's header: its signature, version and object count must be the index's.
        let mut pack_head = [0u8; 12];
        let pack_len = file.metadata()?.len();
        if pack_len < 32 {
            return Ok(None);
        }
        read_at(&file, &mut pack_head, 0)?;
        if &pack_head[..4] != b"PACK"
            || !matches!(be32(&pack_head[4..8]), 2 | 3)
            || u64::from(be32(&pack_head[8..])) != n
        {
            return Ok(None);
        }
        let data_end = pack_len - 20;
        let n = n as usize;
        let mut samples = Vec::with_capacity(n.div_ceil(BLOCK));
        let mut id = [0u8; 20];
        for block in 0..n.div_ceil(BLOCK) {
            read_at(&index, &mut id, names_at + (block * BLOCK * 20) as u64)?;
            samples.push(id);
        }
        let mut raw = vec![0u8; n * 4];
        read_at(&index, &mut raw, offsets_at)?;
        let mut large = vec![0u8; large_bytes as usize];
        read_at(&index, &mut large, large_at)?;
        let mut offsets = Vec::with_capacity(n);
        for c in raw.chunks_exact(4) {
            let o = be32(c);
            let offset = if o & 0x8000_0000 == 0 {
                u64::from(o)
            } else {
                let at = 8 * (o & 0x7fff_ffff) as usize;
                let Some(c) = large.get(at..at + 8) else {
                    return Ok(None);
                };
                u64::from(be32(c)) << 32 | u64::from(be32(&c[4..]))
            };
            if offset < 12 || offset >= data_end {
                return Ok(None);
            }
            offsets.push(offset);
        }
        drop(raw);
        let sorted = if data_end <= u64::from(u32::MAX) {
            let mut v: Vec<u32> = offsets.iter().map(|&o| o as u32).collect();
            drop(offsets);
            v.sort_unstable();
            Sorted::Small(v)
        } else {
            offsets.sort_unstable();
            Sorted::Large(offsets)
        };
        Ok(Some(Pack {
            file,
            data_end,
            index,
            fanout,
            samples,
            names_at,
            offsets_at,
            large_at,
            large_count: large_bytes / 8,
            sorted,
        }))
    }

    /// The entry offset of `id`, when this pack holds it: the samples say which block of
    /// the index to read, and the block where in it.
    fn find(&self, id: &Id) -> io::Result<Option<u64>> {
        let hi = self.fanout[id[0] as usize] as usize;
        let lo = match id[0] {
            0 => 0,
            b => self.fanout[b as usize - 1] as usize,
        };
        if lo >= hi {
            return Ok(None);
        }
        // The last block whose first id is not past `id`.
        let blocks = &self.samples[lo / BLOCK..=(hi - 1) / BLOCK];
        let Some(k) = blocks.partition_point(|s| s <= id).checked_sub(1) else {
            return Ok(None);
        };
        let block = lo / BLOCK + k;
        let start = (block * BLOCK).max(lo);
        let end = (block * BLOCK + BLOCK).min(hi);
        let mut names = [[0u8; 20]; BLOCK];
        let names = &mut names[..end - start];
        read_at(
            &self.index,
            names.as_flattened_mut(),
            self.names_at + start as u64 * 20,
        )?;
        let Ok(i) = names.binary_search(id) else {
            return Ok(None);
        };
        let i = (start + i) as u64;
        let mut raw = [0u8; 8];
        read_at(&self.index, &mut raw[..4], self.offsets_at + i * 4)?;
        let o = be32(&raw);
        let offset = if o & 0x8000_0000 == 0 {
            u64::from(o)
        } else {
            let j = u64::from(o & 0x7fff_ffff);
            if j >= self.large_count {
                return Ok(None);
            }
            read_at(&self.index, &mut raw, self.large_at + j * 8)?;
            u64::from(be32(&raw)) << 32 | u64::from(be32(&raw[4..]))
        };
        // Offsets were checked when the pack was opened; an index changed since is left to
        // libgit2.
        Ok((offset >= 12 && offset < self.data_end).then_some(offset))
    }

    /// Where the entry at `offset` ends (the next entry's start).
    ///
    /// # Errors
    ///
    /// When no entry starts at `offset` (a delta's base offset that points elsewhere).
    fn end_of(&self, offset: u64) -> PResult<u64> {
        match self.sorted.next(offset) {
            Some(next) => Ok(next.unwrap_or(self.data_end)),
            None => Err(PackError::Corrupt("delta base is not an entry of its pack")),
        }
    }
}

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

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Index bytes at most that a store may have for its packs to be read here: each pack's
/// offsets are held sorted (4 bytes an object) and read up front. 64 MiB of indexes is 2.3
/// million objects, 9 MiB held (redis' 200,000: 0.8 MiB; spring-framework's 1.1 million:
/// 4.3 MiB). A larger store is read through libgit2, which maps its indexes.
const IDX_BYTES_MAX: u64 = 64 << 20;

impl Packs {
    /// The packs of the object directory `objects` (`objects/pack/*.idx`), opened once per
    /// process while some reader holds them: a run's threads share them.
    ///
    /// # Errors
    ///
    /// When the pack directory or an index cannot be read.
    pub fn shared(objects: &Path, cache_bytes: usize) -> io::Result<Arc<Packs>> {
        static OPEN: Mutex<Option<(std::path::PathBuf, Weak<Packs>)>> = Mutex::new(None);
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((path, packs)) = open.as_ref()
            && path == objects
            && let Some(packs) = packs.upgrade()
        {
            return Ok(packs);
        }
        let packs = Arc::new(Packs::open(objects, cache_bytes)?);
        *open = Some((objects.to_path_buf(), Arc::downgrade(&packs)));
        Ok(packs)
    }

    /// The packs of `objects`, keeping up to `cache_bytes` of resolved objects; none when
    /// there is no pack directory or its indexes are over [`IDX_BYTES_MAX`].
    fn open(objects: &Path, cache_bytes: usize) -> io::Result<Packs> {
        let cache = Mutex::new(BaseCache::new(cache_bytes));
        let none = Packs {
            packs: vec![],
            cache,
        };
        let dir = match std::fs::read_dir(objects.join("pack")) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(none),
            Err(e) => return Err(e),
        };
        let mut idx = Vec::new();
        let mut bytes = 0;
        for entry in dir {
            let entry = entry?;
            if entry.path().extension().is_some_and(|e| e == "idx") {
                // A pack deleted since the listing (a concurrent repack) is not used: its
                // objects are in the new pack, which libgit2 finds.
                match entry.metadata() {
                    Ok(meta) => bytes += meta.len(),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                idx.push(entry.path());
            }
        }
        if bytes > IDX_BYTES_MAX {
            return Ok(none);
        }
        let mut packs = Vec::new();
        for path in idx {
            match Pack::open(&path) {
                Ok(Some(pack)) => packs.push(pack),
                Ok(None) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Packs {
            packs,
            cache: none.cache,
        })
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

/// Pack entry types (`git help format-pack`).
const OBJ_BLOB: u8 = 3;
const OBJ_OFS_DELTA: u8 = 6;
const OBJ_REF_DELTA: u8 = 7;

/// A delta chain longer than this is taken for a cycle of reference deltas (git's own limit
/// on chain depth is 4,095 when repacking with `--depth`; the default is 50).
const MAX_CHAIN: usize = 10_000;

/// An entry's header, as read from its first bytes.
struct Entry {
    kind: u8,
    /// The size of the inflated data (for a delta, of the delta itself).
    size: u64,
    /// Where the compressed data starts.
    data: u64,
    base: Base,
}

enum Base {
    None,
    /// An earlier entry of the same pack.
    Offset(u64),
    /// An object by id, usually in the same pack.
    Id(Id),
}

/// Parses the header of the entry at `offset` from its first bytes `b`.
fn parse_entry(b: &[u8], offset: u64, end: u64) -> PResult<Entry> {
    const TRUNCATED: PackError = PackError::Corrupt("truncated entry header");
    let mut i = 0;
    let mut next = || {
        let c = *b.get(i).ok_or(TRUNCATED)?;
        i += 1;
        Ok::<u8, PackError>(c)
    };
    let mut c = next()?;
    let kind = (c >> 4) & 7;
    let mut size = u64::from(c & 15);
    let mut shift = 4;
    while c & 0x80 != 0 {
        c = next()?;
        if shift > 57 {
            return Err(PackError::Corrupt("entry size overflows"));
        }
        size |= u64::from(c & 0x7f) << shift;
        shift += 7;
    }
    let base = match kind {
        OBJ_OFS_DELTA => {
            c = next()?;
            let mut back = u64::from(c & 0x7f);
            while c & 0x80 != 0 {
                c = next()?;
                back = back
                    .checked_add(1)
                    .and_then(|v| v.checked_mul(128))
                    .ok_or(PackError::Corrupt("delta base offset overflows"))?
                    | u64::from(c & 0x7f);
            }
            if back == 0 || back > offset {
                return Err(PackError::Corrupt("delta base offset out of the pack"));
            }
            Base::Offset(offset - back)
        }
        OBJ_REF_DELTA => {
            let mut id = [0u8; 20];
            for byte in &mut id {
                *byte = next()?;
            }
            Base::Id(id)
        }
        1..=4 => Base::None,
        _ => return Err(PackError::Corrupt("unknown entry type")),
    };
    let data = offset + i as u64;
    if data > end {
        return Err(TRUNCATED);
    }
    Ok(Entry {
        kind,
        size,
        data,
        base,
    })
}

/// The two sizes a delta starts with: its base's and its result's.
fn delta_sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let (base, at) = varint(delta, 0)?;
    let (target, at) = varint(delta, at)?;
    Some((base, target, at))
}

/// A delta's size varint (7 bits a byte, least significant first) at `at`, and where the
/// next field starts.
fn varint(b: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let c = *b.get(at)?;
        at += 1;
        if shift > 63 {
            return None;
        }
        v |= u64::from(c & 0x7f) << shift;
        shift += 7;
        if c & 0x80 == 0 {
            return Some((v, at));
        }
    }
}

/// Applies `delta` to `base`: the result, checked against the sizes the delta announces
/// and every copy against the base's bounds.
fn apply_delta(base: &[u8], delta: &[u8]) -> PResult<Vec<u8>> {
    const BAD: PackError = PackError::Corrupt("delta out of bounds");
    let (base_size, target, mut at) = delta_sizes(delta).ok_or(BAD)?;
    if base_size != base.len() as u64 {
        return Err(PackError::Corrupt("delta base has the wrong size"));
    }
    let target = usize::try_from(target).map_err(|_| BAD)?;
    // A delta cannot produce more than 64 KiB per byte of instructions.
    if target / 0x10000 > delta.len() {
        return Err(BAD);
    }
    let mut out = Vec::with_capacity(target);
    while let Some(&op) = delta.get(at) {
        at += 1;
        if op & 0x80 != 0 {
            let mut field = |bits: u8, bytes: usize| -> PResult<usize> {
                let mut v = 0usize;
                for k in 0..bytes {
                    if op & (bits << k) != 0 {
                        v |= usize::from(*delta.get(at).ok_or(BAD)?) << (8 * k);
                        at += 1;
                    }
                }
                Ok(v)
            };
            let offset = field(0x01, 4)?;
            let size = match field(0x10, 3)? {
                0 => 0x10000,
                n => n,
            };
            let copy = base.get(offset..offset.checked_add(size).ok_or(BAD)?);
            out.extend_from_slice(copy.ok_or(BAD)?);
        } else if op != 0 {
            let insert = delta.get(at..at + usize::from(op)).ok_or(BAD)?;
            out.extend_from_slice(insert);
            at += usize::from(op);
        } else {
            return Err(PackError::Corrupt("reserved delta instruction"));
        }
        if out.len() > target {
            return Err(BAD);
        }
    }
    if out.len() != target {
        return Err(PackError::Corrupt("delta result has the wrong size"));
    }
    Ok(out)
}

/// An entry: its pack (the position in [`Packs`]) and offset.
type Key = (usize, u64);

/// Resolved objects of a run's delta chains, least recently used evicted first once they
/// hold more than a byte cap.
struct BaseCache {
    /// Per entry: its object's kind, the object, and when it was last used.
    map: rustc_hash::FxHashMap<Key, (u8, Arc<Vec<u8>>, u64)>,
    /// Entries by when they were last used.
    order: BTreeMap<u64, Key>,
    bytes: usize,
    cap: usize,
    clock: u64,
}

impl BaseCache {
    fn new(cap: usize) -> BaseCache {
        BaseCache {
            map: rustc_hash::FxHashMap::default(),
            order: BTreeMap::new(),
            bytes: 0,
            cap,
            clock: 0,
        }
    }

    fn get(&mut self, key: Key) -> Option<(u8, Arc<Vec<u8>>)> {
        let (kind, data, used) = self.map.get_mut(&key)?;
        self.order.remove(used);
        self.clock += 1;
        *used = self.clock;
        self.order.insert(self.clock, key);
        Some((*kind, data.clone()))
    }

    fn put(&mut self, key: Key, kind: u8, data: &Arc<Vec<u8>>) {
        // An object of over a quarter of the cap would push out most of what is kept.
        if data.len() > self.cap / 4 || self.map.contains_key(&key) {
            return;
        }
        self.clock += 1;
        self.bytes += data.len();
        self.map.insert(key, (kind, data.clone(), self.clock));
        self.order.insert(self.clock, key);
        while self.bytes > self.cap {
            let Some((_, old)) = self.order.pop_first() else {
                break;
            };
            if let Some((_, data, _)) = self.map.remove(&old) {
                self.bytes -= data.len();
            }
        }
    }
}

/// One thread's reader of a run's [`Packs`].
pub struct PackReader {
    packs: Arc<Packs>,
    inflater: libdeflater::Decompressor,
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

impl PackReader {
    /// A reader of `packs` keeping up to `cache_bytes` of resolved objects.
    pub fn new(packs: Arc<Packs>) -> PackReader {
        PackReader {
            packs,
            inflater: libdeflater::Decompressor::new(),
            compressed: Vec::new(),
            delta: Vec::new(),
            #[cfg(test)]
            inflated: 0,
        }
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
        let cached = self.packs.cache().get((pack, offset));
        if let Some((kind, data)) = cached {
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
    /// delta, the first bytes of the delta (inflated alone).
    fn size_over(&mut self, pack: usize, offset: u64, max_bytes: u64) -> PResult<Option<u64>> {
        let p = &self.packs.packs[pack];
        let end = p.end_of(offset)?;
        let mut head = [0u8; HEADER_MAX as usize];
        let len = (end - offset).min(HEADER_MAX) as usize;
        read_at(&p.file, &mut head[..len], offset)?;
        let entry = parse_entry(&head[..len], offset, end)?;
        let size = if matches!(entry.base, Base::None) {
            entry.size
        } else {
            // Two varints of at most 10 bytes each, from the start of the delta: its first
            // block's Huffman tables come first, up to a few hundred bytes.
            let mut compressed = vec![0u8; (end - entry.data).min(1024) as usize];
            read_at(&p.file, &mut compressed, entry.data)?;
            let mut z = flate2::Decompress::new(true);
            let mut out = [0u8; 20];
            z.decompress(&compressed, &mut out, flate2::FlushDecompress::None)
                .map_err(|_| PackError::Corrupt("delta does not inflate"))?;
            let produced = z.total_out() as usize;
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
                && let Some(hit) = packs.cache().get((pack, at))
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
                    packs.cache().put((pack, at), entry.kind, &whole);
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
                packs.cache().put((pack, at), kind, &object);
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn id_of(hex: &str) -> Id {
        let mut id = [0; 20];
        for (k, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap();
        }
        id
    }

    /// A repository with `n` versions of one file, each commit adding a line at its top,
    /// repacked so that older versions are deltas against newer ones: the blob ids, oldest
    /// first, and the contents.
    fn history(n: usize) -> (tempfile::TempDir, Vec<(Id, Vec<u8>)>) {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        let mut text: String = (0..200).map(|i| format!("base line {i}\n")).collect();
        let mut versions = Vec::new();
        for v in 0..n {
            text.insert_str(0, &format!("version {v} adds this line\n"));
            std::fs::write(dir.path().join("f.c"), &text).unwrap();
            git(dir.path(), &["add", "f.c"]);
            git(dir.path(), &["commit", "-q", "-m", &format!("v{v}")]);
            let hex = git(dir.path(), &["rev-parse", "HEAD:f.c"]);
            versions.push((id_of(hex.trim()), text.clone().into_bytes()));
        }
        git(
            dir.path(),
            &["repack", "-adfq", "--depth=50", "--window=50"],
        );
        (dir, versions)
    }

    fn objects(dir: &tempfile::TempDir) -> std::path::PathBuf {
        dir.path().join(".git/objects")
    }

    /// Read oldest first, as a history scan does, every version of a file whose older
    /// versions are deltas against newer ones is inflated once: each version is one pack
    /// entry, and the cache holds every object its chain resolved. (libgit2's cache, emptied
    /// whenever full and never holding the chain's results, inflated the chain again for
    /// every version.) Without a cache the chains are walked again: they are deep.
    #[test]
    fn a_history_of_delta_chains_inflates_each_pack_entry_once() {
        let (dir, versions) = history(40);
        let packs = Arc::new(Packs::open(&objects(&dir), 16 << 20).unwrap());
        assert!(!packs.is_empty());
        let mut reader = PackReader::new(packs);
        for (id, text) in &versions {
            match reader.read_blob(id, u64::MAX).unwrap() {
                Outcome::Blob(bytes) => assert_eq!(*bytes, *text),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(reader.inflated(), versions.len() as u64);
        let mut uncached = PackReader::new(Arc::new(Packs::open(&objects(&dir), 0).unwrap()));
        for (id, _) in &versions {
            uncached.read_blob(id, u64::MAX).unwrap();
        }
        assert!(
            uncached.inflated() > 3 * versions.len() as u64,
            "the repack made delta chains: {}",
            uncached.inflated()
        );
    }

    /// Every object of a pack is found at the offset git's own index reader gives (blocks
    /// of the index, their edges, and the fan-out's), and an id next to one is not.
    #[test]
    fn every_object_is_found_at_its_offset() {
        let (dir, _) = history(60);
        let packs = Packs::open(&objects(&dir), 0).unwrap();
        let idx = std::fs::read_dir(objects(&dir).join("pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let out = Command::new("git")
            .arg("show-index")
            .stdin(std::fs::File::open(idx).unwrap())
            .output()
            .unwrap();
        let listed = String::from_utf8(out.stdout).unwrap();
        let mut count = 0;
        for line in listed.lines() {
            let mut fields = line.split_whitespace();
            let offset: u64 = fields.next().unwrap().parse().unwrap();
            let mut id = id_of(fields.next().unwrap());
            assert_eq!(packs.find(&id).unwrap(), Some((0, offset)));
            id[19] ^= 1;
            if !listed.contains(&hex(&id)) {
                assert_eq!(packs.find(&id).unwrap(), None);
            }
            count += 1;
        }
        assert!(count > 2 * BLOCK, "{count} objects span several blocks");
    }

    fn hex(id: &Id) -> String {
        id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A blob over the size limit is skipped by its size, read from its entry's header or
    /// its delta's first bytes: nothing is inflated whole.
    #[test]
    fn a_blob_over_the_limit_is_sized_without_inflating_it() {
        let (dir, versions) = history(5);
        let packs = Arc::new(Packs::open(&objects(&dir), 16 << 20).unwrap());
        let mut reader = PackReader::new(packs);
        for (id, text) in &versions {
            match reader.read_blob(id, 100).unwrap() {
                Outcome::TooLarge(size) => assert_eq!(size, text.len() as u64),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(reader.inflated(), 0);
    }

    /// A damaged entry is an error, never a skip or a fallback: zlib's check fails on the
    /// flipped byte.
    #[test]
    fn a_damaged_pack_entry_is_an_error() {
        let (dir, versions) = history(3);
        let packs = Packs::open(&objects(&dir), 0).unwrap();
        let (id, _) = &versions[0];
        let (_, offset) = packs.find(id).unwrap().unwrap();
        let pack_path = std::fs::read_dir(objects(&dir).join("pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "pack"))
            .unwrap();
        let mut bytes = std::fs::read(&pack_path).unwrap();
        // Past the entry header (at most a few bytes for the type, size and base offset)
        // and the zlib header.
        bytes[offset as usize + 8] ^= 0x55;
        let mut perm = std::fs::metadata(&pack_path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
        std::fs::set_permissions(&pack_path, perm).unwrap();
        std::fs::write(&pack_path, bytes).unwrap();
        let mut reader = PackReader::new(Arc::new(Packs::open(&objects(&dir), 1 << 20).unwrap()));
        let err = reader.read_blob(id, u64::MAX).unwrap_err();
        assert!(matches!(err, PackError::Corrupt(_)), "{err}");
    }

    /// An id no pack holds is left to the caller.
    #[test]
    fn an_object_outside_the_packs_is_left_to_the_caller() {
        let (dir, _) = history(2);
        let mut reader = PackReader::new(Arc::new(Packs::open(&objects(&dir), 1 << 20).unwrap()));
        assert!(matches!(
            reader.read_blob(&[7; 20], u64::MAX).unwrap(),
            Outcome::Elsewhere
        ));
    }

    /// Deltas: copies and inserts; a copy past the base, a base of the wrong size and a
    /// result of the wrong size are damage.
    #[test]
    fn deltas_apply_within_their_bounds() {
        let base = b"hello, world";
        // Base size 12, target size 10: copy 5 bytes from 0, insert "abcde".
        let delta = [12, 10, 0x90, 5, 5, b'a', b'b', b'c', b'd', b'e'];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"helloabcde");
        // Copy 5 bytes from offset 10: past the base.
        let past = [12, 5, 0x91, 10, 5];
        assert!(apply_delta(base, &past).is_err());
        assert!(apply_delta(b"short", &delta).is_err());
        let long = [12, 4, 0x90, 5];
        assert!(apply_delta(base, &long).is_err());
        assert!(apply_delta(base, &[12, 1, 0]).is_err());
    }
}
