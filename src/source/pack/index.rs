//! A pack and its index: which entry holds an id, and where each entry ends.

use super::{Id, PResult, PackError, read_at};
use std::fs::File;
use std::io;
use std::path::Path;

/// One pack and its index, both open; of the index, the fan-out, every [`BLOCK`]th id and
/// the entries' sorted offsets are held.
pub(super) struct Pack {
    pub(super) file: File,
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
    /// All ids and their offsets, when the pack is small enough to hold them
    /// ([`WHOLE_BYTES`]): a lookup then reads nothing.
    whole: Option<Whole>,
}

/// A pack index's ids, and each id's entry offset, in index order.
struct Whole {
    names: Vec<Id>,
    offsets: Vec<u64>,
}

/// Bytes each object costs when its pack's ids and offsets are held whole.
pub(super) const WHOLE_OBJECT_BYTES: usize = 28;

/// Bytes of ids and offsets a run holds whole, over all its packs. A lookup in a pack held
/// by blocks is two `pread`s (a block of ids, then the offset): on redis' history (200,000
/// objects, 5.6 MB of index) those were 4.5 % of the CPU samples, for 5.4 MiB held whole.
/// spring-framework's 1.1 million objects (30 MiB) stay held by blocks: holding them cost 23
/// MiB of its peak.
pub(super) const WHOLE_BYTES: usize = 8 << 20;

/// Ids per block of a pack index: a lookup reads one block (1,280 bytes), and the samples
/// held are 20 bytes per 64 objects (spring-framework's 1.1 million: 340 KB, against the
/// 21 MiB of all ids).
pub(super) const BLOCK: usize = 64;

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

const IDX_MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];

impl Pack {
    /// The pack of index `idx`, or `None` when it is not a version-2 SHA-1 index with its
    /// pack beside it (such a pack is left to libgit2). The index is read part by part: its
    /// offsets once, to sort them, and its ids a block at a time when looked up — or, when
    /// its objects fit in `whole_budget` bytes ([`WHOLE_OBJECT_BYTES`] each, taken from
    /// it), every id and offset once.
    pub(super) fn open(idx: &Path, whole_budget: &mut usize) -> io::Result<Option<Pack>> {
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
        let whole = match n.checked_mul(WHOLE_OBJECT_BYTES) {
            Some(bytes) if bytes <= *whole_budget => {
                let mut names = vec![[0u8; 20]; n];
                read_at(&index, names.as_flattened_mut(), names_at)?;
                *whole_budget -= bytes;
                Some(Whole {
                    names,
                    offsets: offsets.clone(),
                })
            }
            _ => None,
        };
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
            whole,
        }))
    }

    /// The entry offset of `id`, when this pack holds it: the samples say which block of
    /// the index to read, and the block where in it.
    pub(super) fn find(&self, id: &Id) -> io::Result<Option<u64>> {
        let hi = self.fanout[id[0] as usize] as usize;
        let lo = match id[0] {
            0 => 0,
            b => self.fanout[b as usize - 1] as usize,
        };
        if lo >= hi {
            return Ok(None);
        }
        if let Some(whole) = &self.whole {
            return Ok(whole.names[lo..hi]
                .binary_search(id)
                .ok()
                .map(|i| whole.offsets[lo + i]));
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

    /// Whether the ids and offsets are held whole (tests).
    #[cfg(test)]
    pub(super) fn is_whole(&self) -> bool {
        self.whole.is_some()
    }

    /// Where the entry at `offset` ends (the next entry's start).
    ///
    /// # Errors
    ///
    /// When no entry starts at `offset` (a delta's base offset that points elsewhere).
    pub(super) fn end_of(&self, offset: u64) -> PResult<u64> {
        match self.sorted.next(offset) {
            Some(next) => Ok(next.unwrap_or(self.data_end)),
            None => Err(PackError::Corrupt("delta base is not an entry of its pack")),
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
