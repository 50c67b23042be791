//! Pack entries: their headers, and deltas applied to their bases.

use super::{Id, PResult, PackError};

/// Pack entry types (`git help format-pack`).
pub(super) const OBJ_BLOB: u8 = 3;
pub(super) const OBJ_OFS_DELTA: u8 = 6;
pub(super) const OBJ_REF_DELTA: u8 = 7;

/// A delta chain longer than this is taken for a cycle of reference deltas (git's own limit
/// on chain depth is 4,095 when repacking with `--depth`; the default is 50).
pub(super) const MAX_CHAIN: usize = 10_000;

/// An entry's header, as read from its first bytes.
pub(super) struct Entry {
    pub(super) kind: u8,
    /// The size of the inflated data (for a delta, of the delta itself).
    pub(super) size: u64,
    /// Where the compressed data starts.
    pub(super) data: u64,
    pub(super) base: Base,
}

pub(super) enum Base {
    None,
    /// An earlier entry of the same pack.
    Offset(u64),
    /// An object by id, usually in the same pack.
    Id(Id),
}

/// Parses the header of the entry at `offset` from its first bytes `b`.
pub(super) fn parse_entry(b: &[u8], offset: u64, end: u64) -> PResult<Entry> {
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
pub(super) fn delta_sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
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
pub(super) fn apply_delta(base: &[u8], delta: &[u8]) -> PResult<Vec<u8>> {
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
