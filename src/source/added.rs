//! The added regions of a new version against its old versions (see the module docs of
//! [`crate::source`] for why this is a line-set difference rather than a diff).

use rustc_hash::FxHashSet;
use std::ops::Range;

/// Iterates lines of `text` as `(start, end_without_newline, end_with_newline)`.
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

/// Byte regions of `new` whose lines occur in none of `old`. Consecutive added lines form one
/// region; every region starts at a line start and ends after a newline (or at the end).
pub fn added_regions(old: &[&[u8]], new: &[u8]) -> Vec<Range<usize>> {
    if new.is_empty() {
        return Vec::new();
    }
    if old.iter().all(|o| o.is_empty()) {
        return super::whole_region(new.len());
    }
    let mut seen: FxHashSet<&[u8]> = FxHashSet::default();
    for o in old {
        seen.extend(lines(o).map(|(s, e, _)| &o[s..e]));
    }
    let mut regions: Vec<Range<usize>> = Vec::new();
    for (s, e, next) in lines(new) {
        if seen.contains(&new[s..e]) {
            continue;
        }
        match regions.last_mut() {
            Some(last) if last.end == s => last.end = next,
            _ => regions.push(s..next),
        }
    }
    regions
}

#[cfg(test)]
mod tests;
