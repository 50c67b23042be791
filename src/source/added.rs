//! The added regions of a new version against its old versions (see the module docs of
//! [`crate::source`] for why this is a line-set difference rather than a diff).

use rustc_hash::FxHashSet;
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
/// Lines in the longest run of whole lines that `new` shares with the start of an old version
/// are in that version by definition, so they are skipped without hashing: most edits append
/// or change a few lines, and the shared start is found with `memcmp`, not line by line.
pub fn added_regions(old: &[&[u8]], new: &[u8]) -> Vec<Range<usize>> {
    if new.is_empty() {
        return Vec::new();
    }
    if old.iter().all(|o| o.is_empty()) {
        return super::whole_region(new.len());
    }
    let skip = old.iter().map(|o| shared_lines(o, new)).max().unwrap_or(0);
    let rest = &new[skip..];
    let mut regions: Vec<Range<usize>> = Vec::new();
    if rest.is_empty() {
        return regions;
    }
    // Sized up front for source lines (~30 bytes on average): growing the set as it fills
    // rehashes every line seen so far, several times. Capped (about 1 MiB of table), so a
    // large file of long lines (minified) does not reserve room for lines it lacks.
    let old_bytes: usize = old.iter().map(|o| o.len()).sum();
    let mut seen: FxHashSet<&[u8]> =
        FxHashSet::with_capacity_and_hasher((old_bytes / 32).min(1 << 16), Default::default());
    for o in old {
        each_line(o, |s, e, _| {
            seen.insert(&o[s..e]);
        });
    }
    each_line(rest, |s, e, next| {
        if seen.contains(&rest[s..e]) {
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
