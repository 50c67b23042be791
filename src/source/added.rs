//! The added regions of a new version against its old versions (see the module docs of
//! [`crate::source`] for why this is a line-set difference rather than a diff).

use rustc_hash::FxHashMap;
use std::ops::Range;

/// Iterates lines of `text` as `(start, end_without_newline, end_with_newline)`, one
/// `memchr` per line: the plain way, kept as the tests' oracle for [`each_line`].
#[cfg(test)]
fn lines(text: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let nl = memchr::memchr(b'\n', &text[pos..]).map(|i| pos + i);
        let next = nl.map_or(text.len(), |i| i + 1);
        let mut end = nl.unwrap_or(text.len());
        if end > start && text[end - 1] == b'\r' {
            end -= 1;
        }
        pos = next;
        Some((start, end, next))
    })
}

/// Calls `each(start, end_without_newline, end_with_newline)` for every line of `text`, in
/// order (a final line without a newline included). Lines come from the 64-byte newline
/// masks of [`crate::lines`]: a `memchr` call per line costs more than the line.
fn each_line(text: &[u8], mut each: impl FnMut(usize, usize, usize)) {
    crate::lines::for_each_line(text, 0..text.len(), |start, next| {
        let mut end = next;
        if end > start && text[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && text[end - 1] == b'\r' {
            end -= 1;
        }
        each(start, end, next);
    });
}

/// Byte regions of `new` whose lines occur in none of `old`. Consecutive added lines form one
/// region; every region starts at a line start and ends after a newline (or at the end).
///
/// Lines in the longest run of whole lines that `new` shares with the start of an old version,
/// or with its end, are in that version by definition, so they are skipped without hashing:
/// most edits append, insert or change a few lines, and the shared start and end are found
/// with `memcmp`, not line by line. The lines left between them (the candidates, usually a
/// handful) go into a small set, and the old versions' lines are looked up in it — rather
/// than every old line inserted into a set as large as the file — skipping at once every old
/// line whose length no candidate has.
pub fn added_regions(old: &[&[u8]], new: &[u8]) -> Vec<Range<usize>> {
    if new.is_empty() {
        return Vec::new();
    }
    if old.iter().all(|o| o.is_empty()) {
        return super::whole_region(new.len());
    }
    let skip = old.iter().map(|o| shared_lines(o, new)).max().unwrap_or(0);
    let upto = old
        .iter()
        .map(|o| shared_end(o, new, skip))
        .min()
        .unwrap_or(new.len());
    let mut regions: Vec<Range<usize>> = Vec::new();
    if upto <= skip {
        return regions;
    }
    let middle = &new[skip..upto];
    let mut candidates: FxHashMap<&[u8], bool> = FxHashMap::default();
    let mut lengths = Lengths::default();
    each_line(middle, |s, e, _| {
        candidates.entry(&middle[s..e]).or_insert_with(|| {
            lengths.insert(e - s);
            false
        });
    });
    // Every candidate found in an old version is marked; the search ends when all are.
    let mut left = candidates.len();
    for o in old {
        if left == 0 {
            break;
        }
        each_line(o, |s, e, _| {
            if left > 0
                && lengths.contains(e - s)
                && let Some(found) = candidates.get_mut(&o[s..e])
                && !*found
            {
                *found = true;
                left -= 1;
            }
        });
    }
    each_line(middle, |s, e, next| {
        if candidates[&middle[s..e]] {
            return;
        }
        let (s, next) = (skip + s, skip + next);
        match regions.last_mut() {
            Some(last) if last.end == s => last.end = next,
            _ => regions.push(s..next),
        }
    });
    regions
}

/// Line lengths (modulo 1024) some candidate line has: a bit each.
#[derive(Default)]
struct Lengths([u64; 16]);

impl Lengths {
    fn insert(&mut self, len: usize) {
        let len = len % 1024;
        self.0[len / 64] |= 1 << (len % 64);
    }

    fn contains(&self, len: usize) -> bool {
        let len = len % 1024;
        self.0[len / 64] & (1 << (len % 64)) != 0
    }
}

/// Where the longest run of whole lines that `new` (from `from` on) shares with the end of
/// `old` starts: the line after the first newline of `new` inside their common end, whose
/// counterpart in `old` follows a newline too; `new.len()` when they share no whole line.
fn shared_end(old: &[u8], new: &[u8], from: usize) -> usize {
    const BLOCK: usize = 64;
    let n = old.len().min(new.len() - from);
    let (o, w) = (old.len(), new.len());
    let mut same = 0;
    while same + BLOCK <= n && old[o - same - BLOCK..o - same] == new[w - same - BLOCK..w - same] {
        same += BLOCK;
    }
    while same < n && old[o - same - 1] == new[w - same - 1] {
        same += 1;
    }
    let start = w - same;
    memchr::memchr(b'\n', &new[start..]).map_or(w, |i| start + i + 1)
}

/// Length of the longest prefix of `new` made of whole lines that `old` starts with too: up
/// to the last newline the two share, or all of `new` when they are equal.
fn shared_lines(old: &[u8], new: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = old.len().min(new.len());
    let mut same = 0;
    while same + BLOCK <= n && old[same..same + BLOCK] == new[same..same + BLOCK] {
        same += BLOCK;
    }
    while same < n && old[same] == new[same] {
        same += 1;
    }
    if same == new.len() && same == old.len() {
        return same;
    }
    memchr::memrchr(b'\n', &new[..same]).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests;
