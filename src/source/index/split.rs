//! The split index (`core.splitIndex`; `Documentation/gitformat-index.txt`, "Split index"):
//! the index file's `link` extension names a shared index, `$GIT_DIR/sharedindex.<id>`, and
//! carries two EWAH-compressed bitmaps over the shared index's entries: which are deleted and
//! which are replaced. The index file's own entries are first the replacements, in the order
//! of the replace bitmap's set bits and with empty paths (they keep the shared entry's), then
//! entries added since, in path order. [`merge`] applies them as git's `merge_base_index`
//! (`split-index.c`) does.

use super::{Entry, HASH, Index};
use git2::Oid;

/// A split index's `link` extension.
#[derive(Debug)]
pub(super) struct Link<'a> {
    /// The shared index's id: the checksum that ends `sharedindex.<id>`.
    pub shared: Oid,
    /// The delete bitmap (EWAH, as stored; empty when absent).
    delete: &'a [u8],
    /// The replace bitmap (EWAH, as stored; empty when absent).
    replace: &'a [u8],
}

/// Reads a `link` extension: `None` when damaged, `Some(None)` when its id is all zeros
/// (git's "no shared index needed").
pub(super) fn link(ext: &[u8]) -> Option<Option<Link<'_>>> {
    let shared = Oid::from_bytes(ext.get(..HASH)?).ok()?;
    let rest = &ext[HASH..];
    let (delete, replace) = if rest.is_empty() {
        (rest, rest)
    } else {
        let (delete, replace) = rest.split_at(bitmap_len(rest)?);
        if bitmap_len(replace)? != replace.len() {
            return None;
        }
        (delete, replace)
    };
    Some((!shared.is_zero()).then_some(Link {
        shared,
        delete,
        replace,
    }))
}

/// The length of the EWAH bitmap at the start of `data` (git's `ewah_read_mmap`): a 32-bit
/// bit count, a 32-bit word count, that many 64-bit words, and the 32-bit position of the
/// last run-length word, all big-endian.
fn bitmap_len(data: &[u8]) -> Option<usize> {
    let words = u32::from_be_bytes(data.get(4..8)?.try_into().ok()?) as usize;
    let len = words.checked_mul(8)?.checked_add(12)?;
    (len <= data.len()).then_some(len)
}

/// Calls `f` with each set bit's position, in increasing order (git's `ewah_each_bit`), for
/// a bitmap `bitmap_len` accepted. `None` when a set bit is at `limit` or past it, when a
/// run-length word announces more literal words than the bitmap holds, or when `f` says
/// `None`. The work is bounded by the bitmap's words plus `limit`: a run of ones past
/// `limit` stops at once, and a run of zeros is skipped without visiting its bits.
fn each_bit(bitmap: &[u8], limit: usize, mut f: impl FnMut(usize) -> Option<()>) -> Option<()> {
    if bitmap.is_empty() {
        return Some(());
    }
    let words = bitmap.get(8..bitmap_len(bitmap)? - 4)?;
    let mut words = words
        .chunks_exact(8)
        .map(|w| u64::from_be_bytes(w.try_into().unwrap_or_default()));
    let limit = limit as u64;
    let mut pos: u64 = 0;
    while let Some(marker) = words.next() {
        crate::work::add(1);
        // Bit 0: the run's bit; bits 1–32: the run's length in words; bits 33–63: how many
        // literal words follow.
        let run = ((marker >> 1) & 0xffff_ffff) * 64;
        if marker & 1 == 1 && run > 0 {
            let end = pos.checked_add(run).filter(|&end| end <= limit)?;
            for p in pos..end {
                crate::work::add(1);
                f(p as usize)?;
            }
        }
        pos = pos.saturating_add(run);
        for _ in 0..marker >> 33 {
            let mut word = words.next()?;
            crate::work::add(1);
            while word != 0 {
                let p = pos + u64::from(word.trailing_zeros());
                if p >= limit {
                    return None;
                }
                crate::work::add(1);
                f(p as usize)?;
                word &= word - 1;
            }
            pos = pos.saturating_add(64);
        }
    }
    Some(())
}

/// The whole index: `shared`'s entries, less the deleted ones, with the replaced ones taking
/// `split`'s mode, id and stat data under their own path, and `split`'s added entries merged
/// in by path (an added entry with a shared entry's path replaces it, as git's
/// `add_index_entry` does). The cache tree and sparseness are `split`'s: git writes the
/// shared index without extensions. `None` on anything git refuses (`die`s on): a position
/// past the shared index, more replacements than entries, a replaced entry with a path, a
/// deleted one replaced, an added one without a path; or added entries out of order.
pub(super) fn merge<'a>(split: Index<'a>, link: &Link<'_>, shared: Index<'a>) -> Option<Index<'a>> {
    let n = shared.entries.len();
    let mut deleted = vec![false; n];
    each_bit(link.delete, n, |p| {
        deleted[p] = true;
        Some(())
    })?;
    let mut base = shared.entries;
    let mut own = split.entries.into_iter();
    each_bit(link.replace, n, |p| {
        let new = own.next()?;
        if deleted[p] || !new.path.is_empty() {
            return None;
        }
        let old = &mut base[p];
        (old.mode, old.id, old.stat) = (new.mode, new.id, new.stat);
        Some(())
    })?;
    let added: Vec<Entry<'a>> = own.collect();
    if added.iter().any(|e| e.path.is_empty()) || !added.is_sorted_by(|a, b| a.path < b.path) {
        return None;
    }
    let kept = base
        .into_iter()
        .zip(deleted)
        .filter_map(|(e, gone)| (!gone).then_some(e));
    Some(Index {
        entries: merge_sorted(kept, added),
        trees: split.trees,
        sparse: split.sparse,
    })
}

/// Merges entries sorted by path; on equal paths the one from `added` is kept.
fn merge_sorted<'a>(
    kept: impl Iterator<Item = Entry<'a>>,
    added: Vec<Entry<'a>>,
) -> Vec<Entry<'a>> {
    let mut out = Vec::with_capacity(added.len());
    let mut added = added.into_iter().peekable();
    for e in kept {
        while let Some(a) = added.next_if(|a| a.path < e.path) {
            out.push(a);
        }
        if added.peek().is_none_or(|a| a.path != e.path) {
            out.push(e);
        }
    }
    out.extend(added);
    out
}

#[cfg(test)]
mod tests;
