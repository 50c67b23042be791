//! Documents carried as base64 inside FHIR resources: an `Attachment`'s or a `Binary`'s
//! `data` (`"data": "…"` in JSON, `<data value="…"/>` in XML). A `DocumentReference` holding
//! a C-CDA or a clinical note is how FHIR moves documents, and its text is invisible to
//! every detector until decoded.
//!
//! A payload is decoded when it starts in an added region, is at least [`MIN_ENCODED`]
//! characters of base64 (JSON's `\/` and line-break escapes, XML's white space allowed) and
//! decodes. What it decodes to is handed on as an item of its own with the file's path and
//! an [`Origin`]: findings in it are reported at the payload's place in the file, so
//! fingerprints, baselines and path policy are the file's.

use super::Origin;
use base64::Engine as _;
use std::ops::Range;

/// Payloads shorter than this many characters are left alone (a hash, a thumbnail's worth
/// of bytes): 48 decoded bytes, about one line of a note.
pub const MIN_ENCODED: usize = 64;

/// How far before an added region a `data` key is looked for: its value may start the
/// region, a line below it.
const KEY_LOOKBACK: usize = 256;

/// One decoded payload: what it decodes to, and where it sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The decoded bytes.
    pub decoded: Vec<u8>,
    /// Where the encoded text sits.
    pub origin: Origin,
}

/// The payloads of `text` that start in `added` (sorted, disjoint), in order.
pub fn payloads(text: &[u8], added: &[Range<usize>]) -> Vec<Payload> {
    let mut out = Vec::new();
    if added.is_empty() {
        return out;
    }
    // The line, its start and the UTF-16 width before the last payload, carried from
    // payload to payload: one pass over the text, however many payloads share a line.
    let mut cursor = Cursor {
        line: 1,
        line_start: 0,
        pos: 0,
        before: 0,
    };
    // Keys are looked for in the added regions only (an edit of a large file reads its
    // edit, not the file), each from [`KEY_LOOKBACK`] bytes before it: a value may start a
    // line below its key. A payload's end is where its search goes on.
    let finder = memchr::memmem::Finder::new(b"data");
    let mut searched = 0;
    for r in added {
        let from = r.start.saturating_sub(KEY_LOOKBACK).max(searched);
        if from >= r.end {
            continue;
        }
        crate::work::add(r.end - from);
        searched = r.end;
        for at in finder.find_iter(&text[from..r.end]).map(|i| from + i) {
            let Some(start) = value_start(text, at).filter(|s| r.contains(s) && *s >= cursor.pos)
            else {
                continue;
            };
            let Some((end, decoded)) = decode(text, start) else {
                continue;
            };
            searched = searched.max(end);
            out.push(located(text, start, end, decoded, &mut cursor));
        }
    }
    out
}

/// Where the line counting stands: the line, its start, the offset counted to and the
/// UTF-16 width from the line's start to it.
struct Cursor {
    line: u32,
    line_start: usize,
    pos: usize,
    before: u32,
}

/// `decoded`, found at `start..end` of `text`, with its [`Origin`], the cursor carried on.
fn located(text: &[u8], start: usize, end: usize, decoded: Vec<u8>, c: &mut Cursor) -> Payload {
    let Cursor {
        line,
        line_start,
        pos,
        before,
    } = c;
    {
        let gap = &text[*pos..start];
        crate::work::add(gap.len());
        let widen = if let Some(nl) = memchr::memrchr(b'\n', gap) {
            *line += memchr::memchr_iter(b'\n', gap).count() as u32;
            *line_start = *pos + nl + 1;
            *before = 0;
            &text[*line_start..start]
        } else {
            gap
        };
        crate::work::add(widen.len());
        *before += crate::lines::utf16_len(widen);
        *pos = start;
    }
    let line_end = memchr::memchr(b'\n', &text[start..end]).map_or(end, |i| start + i);
    Payload {
        decoded,
        origin: Origin {
            line: c.line,
            column: (start - c.line_start + 1) as u32,
            end_column: (line_end - c.line_start + 1) as u32,
            utf16_columns: (
                c.before + 1,
                c.before + crate::lines::utf16_len(&text[start..line_end]) + 1,
            ),
        },
    }
}

/// Where the value of a `data` member or attribute starts, when `data` at `at` names one:
/// `"data"` then `:` and a quote in JSON, `<data value="` in XML.
fn value_start(text: &[u8], at: usize) -> Option<usize> {
    // Steps over `lit` at `i` and the white space after it, if `lit` is there.
    let eat = |i: &mut usize, lit: &[u8]| {
        if !text.get(*i..).is_some_and(|t| t.starts_with(lit)) {
            return false;
        }
        *i += lit.len();
        while text.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
        true
    };
    let mut i = at + 4;
    let named = match at.checked_sub(1).map(|b| text[b])? {
        b'"' => eat(&mut i, b"\"") && eat(&mut i, b":"),
        b'<' => eat(&mut i, b"") && eat(&mut i, b"value") && eat(&mut i, b"="),
        _ => false,
    };
    (named && text.get(i) == Some(&b'"')).then_some(i + 1)
}

/// The end of the base64 string starting at `start` (its closing quote) and what it decodes
/// to; `None` when it is short, holds anything but base64 and the escapes a writer may put
/// in, or does not decode.
fn decode(text: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let mut clean = Vec::new();
    let mut i = start;
    loop {
        let b = *text.get(i)?;
        match b {
            b'"' => break,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => clean.push(b),
            // JSON: `\/` is a slash; `\n`, `\r` are MIME line breaks written as escapes.
            b'\\' => match text.get(i + 1)? {
                b'/' => {
                    clean.push(b'/');
                    i += 1;
                }
                b'n' | b'r' => i += 1,
                _ => return None,
            },
            // XML's base64Binary allows white space.
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return None,
        }
        i += 1;
    }
    crate::work::add(i - start);
    if clean.len() < MIN_ENCODED {
        return None;
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let decoded = engine.decode(&clean).ok()?;
    Some((i, decoded))
}

#[cfg(test)]
mod tests;
