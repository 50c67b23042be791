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
/// with `memcmp`, not line by line. Against a single old version, the lines between them are
/// walked in step with the old version too (`aligned`): an edit in two places of a large
/// file leaves everything between them shared, only shifted. The lines left (the candidates,
/// usually a handful) go into a small set, and the old versions' lines are looked up in it —
/// rather than every old line inserted into a set as large as the file — skipping at once
/// every old line whose length no candidate has. When the candidates are at most `FEW`,
/// each is searched for in the old versions as a substring instead (`has_line`): splitting
/// a whole old version into lines to prove that a line is new costs several times a
/// vectorised substring search.
pub fn added_regions(old: &[&[u8]], new: &[u8]) -> Vec<Range<usize>> {
    added_regions_with(old, new, FEW, true)
}

/// Candidate lines up to which each is looked for by substring search rather than by
/// splitting the old versions into lines.
const FEW: usize = 8;

/// Candidates are looked for by substring search only when none is longer than this:
/// building the searcher walks its needle first, and for a minified bundle's one line of
/// megabytes that was 6 % of a history of built bundles (smart-on-fhir/client-js). Longer
/// candidates go with the rest to the walk of the old versions' lines, which compares only
/// lines of a candidate's length.
const LONG_LINE: usize = 1024;

/// [`added_regions`], searching for the candidates one by one when at most `few` and none
/// is longer than [`LONG_LINE`], and walking a single old version in step when `align`
/// (tests take each way).
fn added_regions_with(old: &[&[u8]], new: &[u8], few: usize, align: bool) -> Vec<Range<usize>> {
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
    // The stretches of `new[skip..upto]` still to compare line by line.
    let open: Vec<Range<usize>> = match old {
        [o] if align => {
            // `o` shares `new[..skip]`, so `skip` is a line start of both.
            let known = aligned(o, new, skip..upto, skip);
            let mut open = Vec::with_capacity(known.len() + 1);
            let mut at = skip;
            for k in known {
                if k.start > at {
                    open.push(at..k.start);
                }
                at = k.end;
            }
            if at < upto {
                open.push(at..upto);
            }
            open
        }
        _ => std::iter::once(skip..upto).collect(),
    };
    let open_bytes: usize = open.iter().map(ExactSizeIterator::len).sum();
    // Each distinct candidate line gets an index into `found`; the open stretches' lines are
    // listed with theirs, so that the last pass reads the list instead of hashing each line
    // again. A list is 24 bytes a line: past [`LISTED_SLACK`] lines more than twice the
    // candidates (the same few lines over and over) it is dropped and the last pass hashes
    // again, so that a file of 32 MiB of empty lines does not list 33 million of them.
    let mut candidates: FxHashMap<&[u8], usize> =
        FxHashMap::with_capacity_and_hasher((open_bytes / 32).min(1 << 16), Default::default());
    let mut listed: Option<Vec<(usize, usize, usize)>> =
        Some(Vec::with_capacity((open_bytes / 32).min(1 << 16)));
    let mut lengths = Lengths::default();
    for r in &open {
        let part = &new[r.clone()];
        each_line(part, |s, e, next| {
            let fresh = candidates.len();
            let id = *candidates.entry(&part[s..e]).or_insert_with(|| {
                lengths.insert(e - s);
                fresh
            });
            if let Some(list) = &mut listed {
                if list.len() > 2 * candidates.len() + LISTED_SLACK {
                    listed = None;
                } else {
                    list.push((r.start + s, r.start + next, id));
                }
            }
        });
    }
    #[cfg(test)]
    LISTED.with(|l| l.set(listed.as_ref().map(Vec::len)));
    let mut found = vec![false; candidates.len()];
    // Every candidate found in an old version is marked; the search ends when all are.
    let mut left = candidates.len();
    if left <= few && candidates.keys().all(|line| line.len() <= LONG_LINE) {
        for (line, &id) in &candidates {
            let finder = memchr::memmem::Finder::new(line);
            found[id] = old.iter().any(|o| has_line(o, line, &finder));
        }
        left = 0;
    }
    for o in old {
        if left == 0 {
            break;
        }
        each_line(o, |s, e, _| {
            if left > 0
                && lengths.contains(e - s)
                && let Some(&id) = candidates.get(&o[s..e])
                && !found[id]
            {
                found[id] = true;
                left -= 1;
            }
        });
    }
    let mut add = |s: usize, next: usize| match regions.last_mut() {
        Some(last) if last.end == s => last.end = next,
        _ => regions.push(s..next),
    };
    match listed {
        Some(list) => {
            for (s, next, id) in list {
                if !found[id] {
                    add(s, next);
                }
            }
        }
        None => {
            for r in &open {
                let part = &new[r.clone()];
                each_line(part, |s, e, next| {
                    if !found[candidates[&part[s..e]]] {
                        add(r.start + s, r.start + next);
                    }
                });
            }
        }
    }
    regions
}

/// Lines an added-region computation lists beyond twice its candidates before it drops the
/// list ([`added_regions_with`]).
const LISTED_SLACK: usize = 4096;

#[cfg(test)]
thread_local! {
    /// How many lines the last computation on this thread kept listed (`None`: it dropped
    /// the list).
    static LISTED: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// How far ahead in the old version [`aligned`] looks for a line of the new one.
const WINDOW: usize = 4 << 10;

/// Stretches of whole lines of `new[span]` (each line ending in a newline) that `old` has, found
/// by walking both forward from `span.start` in `new` and `at` in `old` (both line starts):
/// the run the two share (compared in blocks) gives whole lines; at the first line that
/// differs, the walk skips it and looks for the next line of `new` at a line start of `old`
/// within [`WINDOW`] bytes ([`find_line`]), and goes on from there. Every stretch returned is
/// byte for byte a run of whole lines of `old`, so its lines are in `old` whatever the
/// alignment; lines not returned are compared the ordinary way. The searching stops after
/// `old`'s size, so a rewritten file costs little more than without it.
fn aligned(old: &[u8], new: &[u8], span: Range<usize>, at: usize) -> Vec<Range<usize>> {
    let mut known: Vec<Range<usize>> = Vec::new();
    let (mut i, mut j, to) = (span.start, at, span.end);
    let mut budget = old.len() + WINDOW;
    while i < to {
        // `i` and `j` are line starts; the whole lines of their shared run are in `old`.
        let run = common_prefix(&new[i..to], &old[j..]);
        if let Some(nl) = memchr::memrchr(b'\n', &new[i..i + run]) {
            let end = i + nl + 1;
            match known.last_mut() {
                Some(last) if last.end == i => last.end = end,
                _ => known.push(i..end),
            }
            j += end - i;
            i = end;
        }
        // The line at `i` differs (or ends `new` without a newline): skip it, then find a
        // following line in `old`.
        loop {
            let Some(nl) = memchr::memchr(b'\n', &new[i..to]) else {
                return known;
            };
            i += nl + 1;
            let Some(nl) = memchr::memchr(b'\n', &new[i..to]) else {
                return known;
            };
            let line = &new[i..=i + nl];
            let until = old.len().min(j + WINDOW);
            if until - j > budget {
                return known;
            }
            budget -= until - j;
            if let Some(k) = find_line(old, j..until, line) {
                j = k;
                break;
            }
        }
    }
    known
}

/// The first line start of `old` in `within` (whose start is one) where `line`, ending in its
/// newline, is a whole line of `old` inside `within`. Line by line with `memchr` and a check
/// of the newline's place before comparing: a substring searcher costs more to build than
/// this search over a few KiB.
fn find_line(old: &[u8], within: Range<usize>, line: &[u8]) -> Option<usize> {
    let fits = |p: usize| {
        p + line.len() <= within.end
            && old[p + line.len() - 1] == b'\n'
            && old[p..p + line.len()] == *line
    };
    if fits(within.start) {
        return Some(within.start);
    }
    memchr::memchr_iter(b'\n', &old[within.clone()])
        .map(|q| within.start + q + 1)
        .find(|&p| fits(p))
}

/// The length of the longest common prefix of `a` and `b`, compared in blocks of 64 bytes.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut same = 0;
    while same + BLOCK <= n && a[same..same + BLOCK] == b[same..same + BLOCK] {
        same += BLOCK;
    }
    while same < n && a[same] == b[same] {
        same += 1;
    }
    same
}

/// Whether `text` has a line whose content (a trailing `\r` ignored, as [`each_line`] gives
/// it) is `line`, which holds no newline; `finder` searches for `line`. A match is a line when
/// it starts a line and is followed by the line's end: a newline, `\r` and a newline, a `\r`
/// ending the text, or the text's end — but a `line` ending in `\r` is only the content of a
/// line that has one more `\r` (the splitter takes one off). Matches never overlap a line
/// start (`line` holds no newline), so the non-overlapping search misses none.
fn has_line(text: &[u8], line: &[u8], finder: &memchr::memmem::Finder<'_>) -> bool {
    if line.is_empty() {
        return has_empty_line(text);
    }
    let bare = line.last() != Some(&b'\r');
    finder.find_iter(text).any(|at| {
        if at > 0 && text[at - 1] != b'\n' {
            return false;
        }
        let after = &text[at + line.len()..];
        after.starts_with(b"\r\n")
            || after == b"\r"
            || (bare && (after.is_empty() || after[0] == b'\n'))
    })
}

/// Whether `text` has an empty line (nothing, or only a `\r`, before its newline or the end).
fn has_empty_line(text: &[u8]) -> bool {
    // A line that starts the text, then every line that follows a newline (the text's end
    // after its last newline is no line).
    text.starts_with(b"\n")
        || text.starts_with(b"\r\n")
        || text == b"\r"
        || memchr::memmem::find(text, b"\n\n").is_some()
        || memchr::memmem::find(text, b"\n\r\n").is_some()
        || text.ends_with(b"\n\r")
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
    let same = common_prefix(old, new);
    if same == new.len() && same == old.len() {
        return same;
    }
    memchr::memrchr(b'\n', &new[..same]).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests;
