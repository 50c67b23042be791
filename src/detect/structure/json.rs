//! A string-aware brace scan over JSON (or JSON-like JS/Python literals) that may be cut off
//! at either end. FHIR key order is free, so a `"system"` and its `"value"` are paired by
//! finding the object that encloses the `system` key and reading that object's own
//! (depth-0) `"value"` member.

use super::BUDGET;
use super::memo::{self, OffsetMap, memoized};
use std::ops::Range;

/// What the walks here have worked out about one text (kept by [`memo`]).
#[derive(Default)]
pub(super) struct Memo {
    /// Object start → end ([`object_end`]).
    ends: OffsetMap<usize, usize>,
    /// Position → the enclosing object's `{` and how far back that was searched
    /// ([`object_start_within`]).
    starts: OffsetMap<usize, Start>,
    /// Object → its depth-0 `resourceType` value, if any ([`resource_type`]).
    resource_types: OffsetMap<(usize, usize), Option<Range<usize>>>,
    /// Range → a caller's verdict on it ([`remembered`]).
    verdicts: OffsetMap<(usize, usize), bool>,
    /// Offsets of every `resourceType` in the text, found on first use
    /// ([`resource_type_within`]).
    type_keys: Option<Vec<usize>>,
}

/// `verdict()` on `text[range]`, remembered while [`memo::remembering`] runs on `text`: for
/// checks that many candidates make on the same structure (is this resource test data?).
/// `verdict` must depend only on `text` and `range`.
pub fn remembered(text: &[u8], range: Range<usize>, verdict: impl FnOnce() -> bool) -> bool {
    memoized(
        text,
        |t| &mut t.json.verdicts,
        (range.start, range.end),
        verdict,
    )
}

/// Whether the quote at `i` is escaped (an odd run of backslashes before it).
fn escaped(text: &[u8], i: usize) -> bool {
    text[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// The offset of the `{` that opens the object enclosing `pos`, which must lie outside any
/// string (e.g. at the start of a key). Walks backwards toggling "in string" at unescaped
/// quotes, which is exact when the start is outside a string.
pub fn object_start(text: &[u8], pos: usize) -> Option<usize> {
    object_start_within(text, pos, BUDGET)
}

/// A remembered answer of [`object_start_within`]: the `{` found, or none within `reach`.
#[derive(Debug, Clone, Copy)]
enum Start {
    Found(usize),
    NoneWithin(usize),
}

/// [`object_start`] looking at most `reach` bytes back.
///
/// Remembered while [`memo::remembering`] runs: candidates in one resource walk out through the
/// same objects, and the walk from an object's start back to the `{` around it crosses every
/// member before it, so without the memo each candidate re-reads the resource's head.
pub fn object_start_within(text: &[u8], pos: usize, reach: usize) -> Option<usize> {
    let answer = |start: Start| match start {
        Start::Found(open) => (pos - open <= reach).then_some(open),
        Start::NoneWithin(_) => None,
    };
    match memo::with(text, |t| t.json.starts.get(&pos).copied()) {
        None => scan_object_start(text, pos, reach),
        Some(Some(start @ Start::Found(_))) => answer(start),
        Some(Some(Start::NoneWithin(searched))) if searched >= reach.min(pos) => None,
        Some(_) => {
            let found = scan_object_start(text, pos, reach);
            let start = found.map_or(Start::NoneWithin(reach.min(pos)), Start::Found);
            memo::with(text, |t| t.json.starts.insert(pos, start));
            found
        }
    }
}

/// [`object_start_within`] that uses a remembered answer but does not remember a new one:
/// for a position asked about once (a value's offset, 400,000 of them in a dense extract),
/// filing its answer cost an insertion into the memo and the memory to hold it.
fn object_start_unremembered(text: &[u8], pos: usize, reach: usize) -> Option<usize> {
    match memo::with(text, |t| t.json.starts.get(&pos).copied()).flatten() {
        Some(Start::Found(open)) => (pos - open <= reach).then_some(open),
        Some(Start::NoneWithin(searched)) if searched >= reach.min(pos) => None,
        _ => scan_object_start(text, pos, reach),
    }
}

/// Bytes a string walk looks at one by one before it searches: keys and codes end within
/// them, and a vectorised search costs more than their bytes; longer values are jumped over.
const SHORT_STRING: usize = 16;

/// The first `"` or `\` in `hay`.
fn string_stop(hay: &[u8]) -> Option<usize> {
    let near = hay.len().min(SHORT_STRING);
    match hay[..near].iter().position(|&b| b == b'"' || b == b'\\') {
        Some(k) => Some(k),
        None => memchr::memchr2(b'"', b'\\', &hay[near..]).map(|k| near + k),
    }
}

/// The last `"` in `hay`.
fn last_quote(hay: &[u8]) -> Option<usize> {
    let near = hay.len().saturating_sub(SHORT_STRING);
    match hay[near..].iter().rposition(|&b| b == b'"') {
        Some(k) => Some(near + k),
        None => memchr::memrchr(b'"', &hay[..near]),
    }
}

fn scan_object_start(text: &[u8], pos: usize, reach: usize) -> Option<usize> {
    let floor = pos.saturating_sub(reach);
    let mut depth = 0usize;
    let mut i = pos;
    while i > floor {
        i -= 1;
        crate::work::add(1);
        match text[i] {
            // A string, walked back from its closing quote: to its opening quote (an
            // unescaped one) in vectorised jumps ([`scan_object_end`] says why).
            b'"' if !escaped(text, i) => loop {
                let Some(k) = last_quote(&text[floor..i]) else {
                    crate::work::add(i - floor);
                    return None;
                };
                crate::work::add(i - (floor + k));
                i = floor + k;
                if !escaped(text, i) {
                    break;
                }
            },
            b'}' | b']' => depth += 1,
            b'{' if depth == 0 => return Some(i),
            // An array around `pos`: its object is further out.
            b'[' if depth == 0 => {}
            b'{' | b'[' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The end (past the `}`) of the object opened at `open`, or the end of `text` (capped by the
/// budget) when the hunk stops mid-object.
///
/// While [`memo::remembering`] runs, the scan also remembers the end of every container it closes
/// on the way: a scan from a nested `{` or `[` starts in the same state (outside any string)
/// and has a limit at least as far, so it would stop at the same byte. Walking a resource's
/// members then finds each nested end already known, instead of rescanning every level.
pub fn object_end(text: &[u8], open: usize) -> usize {
    let remembered = memo::with(text, |t| {
        let ends = &mut t.json.ends;
        if let Some(&end) = ends.get(&open) {
            return end;
        }
        let mut closed = Vec::new();
        let end = scan_object_end(
            text,
            open,
            |o| ends.get(&o).copied(),
            |o, e| closed.push((o, e)),
        );
        ends.extend(closed);
        ends.insert(open, end);
        end
    });
    remembered.unwrap_or_else(|| scan_object_end(text, open, |_| None, |_, _| {}))
}

/// The end of the container opened at `open`. `known(o)` is the end of a nested container
/// opened at `o` when already worked out (the scan jumps over it: its own scan had a limit at
/// least as far); `closed(o, end)` hears of each nested container the scan closes.
fn scan_object_end(
    text: &[u8],
    open: usize,
    known: impl Fn(usize) -> Option<usize>,
    mut closed: impl FnMut(usize, usize),
) -> usize {
    let limit = text.len().min(open + BUDGET);
    // Opens of the containers not yet closed, outermost first.
    let mut opens: Vec<usize> = Vec::new();
    let mut i = open;
    while i < limit {
        match text[i] {
            // A string: to its closing quote (past escaped bytes) in vectorised jumps, not a
            // byte at a time (most of a FHIR resource's bytes are in strings).
            b'"' => i = string_end(text, i, limit),
            b'{' | b'[' if i > open && !opens.is_empty() => match known(i) {
                // An end past this scan's limit ends the loop: the scan runs out first.
                Some(end) => {
                    i = end;
                    continue;
                }
                None => opens.push(i),
            },
            b'{' | b'[' => opens.push(i),
            b'}' | b']' => {
                let o = opens.pop();
                if opens.is_empty() {
                    return i + 1;
                }
                if let Some(o) = o {
                    closed(o, i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    limit
}

/// The object enclosing `pos`: `{ ... }`, possibly cut off at the end of the text.
///
/// The backward walk trusts quote parity; text that is not JSON (a planted line, a template)
/// can fool it, so an object whose forward scan ends before `pos` is no answer.
pub fn enclosing_object(text: &[u8], pos: usize) -> Option<Range<usize>> {
    let open = object_start(text, pos)?;
    let end = object_end(text, open);
    (end > pos).then_some(open..end)
}

/// A member of an object as offsets: the key's opening quote and the value (inside its quotes
/// for a string; the bare token otherwise; the whole `[...]`/`{...}` for containers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key, without quotes.
    pub key: Range<usize>,
    /// The value.
    pub value: Range<usize>,
    /// Whether the value is a JSON string.
    pub string: bool,
}

fn skip_ws(text: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && text[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// End of the string starting with the quote at `i` (offset of the closing quote), or `end`
/// when it runs on: past its first bytes in vectorised jumps ([`string_stop`]).
fn string_end(text: &[u8], mut i: usize, end: usize) -> usize {
    i += 1;
    while i < end {
        match string_stop(&text[i..end]) {
            Some(k) if text[i + k] == b'\\' => i += k + 2,
            Some(k) => return i + k,
            None => return end,
        }
    }
    end
}

/// The depth-0 members of the object `obj` (as returned by [`enclosing_object`]), in order.
pub fn members(text: &[u8], obj: Range<usize>) -> Vec<Member> {
    let mut out = Vec::new();
    each_member(text, obj, |m| {
        out.push(m);
        false
    });
    out
}

/// Calls `f` on the depth-0 members of `obj` in order, until it returns `true` (then that
/// member is the last one read: a lookup by key stops at its key).
fn each_member(text: &[u8], obj: Range<usize>, mut f: impl FnMut(Member) -> bool) {
    let end = obj.end.min(text.len());
    let mut i = obj.start + 1;
    while i < end {
        i = skip_ws(text, i, end);
        if i >= end || text[i] == b'}' {
            break;
        }
        if text[i] != b'"' {
            i += 1;
            continue;
        }
        let kend = string_end(text, i, end);
        let key = i + 1..kend;
        i = skip_ws(text, kend + 1, end);
        if i >= end || text[i] != b':' {
            continue;
        }
        i = skip_ws(text, i + 1, end);
        if i >= end {
            break;
        }
        let (value, string, next) = match text[i] {
            b'"' => {
                let e = string_end(text, i, end);
                (i + 1..e, true, e + 1)
            }
            b'{' | b'[' => {
                let e = container_end(text, i, end);
                (i..e, false, e)
            }
            _ => {
                let s = i;
                while i < end && !b",}]\n".contains(&text[i]) {
                    i += 1;
                }
                (super::trim(text, s..i), false, i)
            }
        };
        if f(Member { key, value, string }) {
            return;
        }
        i = next;
        while i < end && (text[i] == b',' || text[i].is_ascii_whitespace()) {
            i += 1;
        }
    }
}

/// The end of the container opened at `open`, not past `end` (the end of the object being
/// read). The same as scanning `text[..end]`: a scan that stops early stops at the same
/// place, one that would run past `end` is cut there.
fn container_end(text: &[u8], open: usize, end: usize) -> usize {
    object_end(text, open).min(end)
}

/// The opening quote of the JSON string that holds `pos`, when one opens within `reach`
/// bytes before it (the first unescaped quote walking back). For a value known to be a
/// string's content (a phone number, an e-mail in a narrative), that quote is a position
/// outside any string, as [`resource_at`] needs.
pub fn string_start(text: &[u8], pos: usize, reach: usize) -> Option<usize> {
    let floor = pos.saturating_sub(reach);
    let mut i = pos.min(text.len());
    while i > floor {
        i -= 1;
        crate::work::add(1);
        if text[i] == b'"' && !escaped(text, i) {
            return Some(i);
        }
    }
    None
}

/// How far from a position [`resource_at`] looks for a `resourceType` key before walking.
const RESOURCE_NEAR: usize = 16 * 1024;

/// Whether [`resource_at`] may find a resource for some position in `from`: `false` when no
/// `resourceType` lies within its reach of the range, and then it finds none for any of
/// them. A caller that must first work out which position to ask about (a walk along the
/// line) can skip that work on a text without FHIR resources (a patient CSV).
pub fn resource_possible(text: &[u8], from: Range<usize>) -> bool {
    let lo = from.start.saturating_sub(RESOURCE_NEAR);
    resource_type_within(text, lo..text.len().min(from.end + RESOURCE_NEAR))
}

/// The FHIR resource around `pos` (outside any string): the nearest enclosing object that has
/// a `resourceType` member, at most eight levels out. A `Bundle` is a container of resources,
/// not one: reaching it means `pos` belongs to no resource.
pub fn resource_at(text: &[u8], pos: usize) -> Option<Range<usize>> {
    // Cheap test first: no `resourceType` nearby, no FHIR resource to walk to.
    if !resource_possible(text, pos..pos) {
        return None;
    }
    let mut at = pos;
    for _ in 0..8 {
        let reach = RESOURCE_NEAR.saturating_sub(pos - at);
        // `pos` is a candidate's own offset, asked about once or twice; the objects' starts
        // further out are asked about by every candidate inside them.
        let open = if at == pos {
            object_start_unremembered(text, at, reach)
        } else {
            object_start_within(text, at, reach)
        }?;
        let end = object_end(text, open);
        if end <= pos {
            return None;
        }
        let obj = open..end;
        if let Some(rt) = resource_type(text, obj.clone()) {
            return (&text[rt] != b"Bundle").then_some(obj);
        }
        at = obj.start;
    }
    None
}

/// Whether `resourceType` occurs within `text[window]`. Every candidate of a dense file (a
/// patient CSV: 400,000 of them, each with a 32 KiB window) asks this: with a memo open the
/// text's occurrences are found once, in one pass, and each question is a binary search;
/// without one the window is searched.
fn resource_type_within(text: &[u8], window: Range<usize>) -> bool {
    const KEY: &[u8] = b"resourceType";
    memo::with(text, |t| {
        let at = t.json.type_keys.get_or_insert_with(|| {
            crate::work::add(text.len());
            memchr::memmem::find_iter(text, KEY).collect()
        });
        let k = at.partition_point(|&p| p < window.start);
        at.get(k).is_some_and(|&p| p + KEY.len() <= window.end)
    })
    .unwrap_or_else(|| {
        crate::work::add(window.len());
        memchr::memmem::find(&text[window], KEY).is_some()
    })
}

/// The value of `obj`'s depth-0 `resourceType` member (remembered per object while
/// [`memo::remembering`] runs).
pub fn resource_type(text: &[u8], obj: Range<usize>) -> Option<Range<usize>> {
    memoized(
        text,
        |t| &mut t.json.resource_types,
        (obj.start, obj.end),
        || member(text, obj.clone(), b"resourceType").map(|m| m.value),
    )
}

/// The value of the depth-0 member `key` of `obj`.
pub fn member(text: &[u8], obj: Range<usize>, key: &[u8]) -> Option<Member> {
    let mut found = None;
    each_member(text, obj, |m| {
        let hit = &text[m.key.clone()] == key;
        if hit {
            found = Some(m);
        }
        hit
    });
    found
}

/// Every string value, at any depth inside `obj`, of a member named `key`.
pub fn strings_named(text: &[u8], obj: Range<usize>, key: &[u8]) -> Vec<Range<usize>> {
    strings_named_any(text, obj, &[key])
}

/// Every string value, at any depth inside `obj`, of a member named by one of `keys`: one
/// walk for several names.
pub fn strings_named_any(text: &[u8], obj: Range<usize>, keys: &[&[u8]]) -> Vec<Range<usize>> {
    strings_keyed(text, obj, keys)
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// [`strings_named_any`] with the index in `keys` of the name each string is a value of:
/// the strings of `keys[k]` are those [`strings_named`] finds for it, in the same order.
pub fn strings_keyed(text: &[u8], obj: Range<usize>, keys: &[&[u8]]) -> Vec<(usize, Range<usize>)> {
    let mut out = Vec::new();
    let mut stack = vec![obj];
    while let Some(o) = stack.pop() {
        // Member by member as they are read: collecting each object's members first cost an
        // allocation per object, for every resource of a dense extract.
        each_member(text, o, |m| {
            let name_hit = keys.iter().position(|k| *k == &text[m.key.clone()]);
            if m.string {
                if let Some(k) = name_hit {
                    out.push((k, m.value));
                }
            } else if text.get(m.value.start) == Some(&b'{') {
                stack.push(m.value);
            } else if text.get(m.value.start) == Some(&b'[') {
                array_items(text, m.value, name_hit, &mut out, &mut stack);
            }
            false
        });
    }
    out.sort_by_key(|(_, r)| r.start);
    out
}

/// Walks an array: strings (when the array's key matched, as values of that key) and nested
/// objects.
fn array_items(
    text: &[u8],
    arr: Range<usize>,
    take_strings: Option<usize>,
    out: &mut Vec<(usize, Range<usize>)>,
    stack: &mut Vec<Range<usize>>,
) {
    let end = arr.end.min(text.len());
    let mut i = arr.start + 1;
    while i < end {
        match text[i] {
            b'"' => {
                let e = string_end(text, i, end);
                if let Some(k) = take_strings {
                    out.push((k, i + 1..e));
                }
                i = e + 1;
            }
            b'{' => {
                let e = container_end(text, i, end);
                stack.push(i..e);
                i = e;
            }
            b'[' => {
                let e = container_end(text, i, end);
                array_items(text, i..e, take_strings, out, stack);
                i = e;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests;
