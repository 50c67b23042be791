//! Just enough XML for FHIR XML and C-CDA: attributes of one tag, the sibling `<value
//! value="…"/>` of a FHIR `<system>`, and an element's extent (to its closing tag or the end of
//! the hunk).

use super::BUDGET;
use memchr::memmem;
use std::ops::Range;

/// The tag holding `pos`: from its `<` to past its `>` (or the end of the text).
pub fn tag_at(text: &[u8], pos: usize) -> Range<usize> {
    let start = memchr::memrchr(b'<', &text[..pos.min(text.len())]).unwrap_or(0);
    let end =
        memchr::memchr(b'>', &text[pos.min(text.len())..]).map_or(text.len(), |i| pos + i + 1);
    start..end
}

/// The value of attribute `name` in the tag `tag` (inside its quotes).
pub fn attr(text: &[u8], tag: Range<usize>, name: &[u8]) -> Option<Range<usize>> {
    let hay = &text[tag.clone()];
    let mut from = 0;
    while let Some(i) = memmem::find(&hay[from..], name) {
        let at = from + i;
        from = at + name.len();
        let word_start = at == 0 || hay[at - 1].is_ascii_whitespace();
        let rest = &hay[from..];
        let eq = rest.iter().position(|b| !b.is_ascii_whitespace());
        if !word_start || eq.is_none_or(|e| rest[e] != b'=') {
            continue;
        }
        let after = &rest[eq? + 1..];
        let q = after.iter().position(|b| !b.is_ascii_whitespace())?;
        let quote = after[q];
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let vstart = tag.start + from + eq? + 1 + q + 1;
        let len = memchr::memchr(quote, &text[vstart..tag.end])?;
        return Some(vstart..vstart + len);
    }
    None
}

/// The `value` attribute of the `<value …/>` element that follows a FHIR `<system …/>` at
/// `pos` inside the same `<identifier>` (FHIR XML fixes the order: use, type, system, value).
pub fn sibling_value(text: &[u8], pos: usize) -> Option<Range<usize>> {
    let after = tag_at(text, pos).end;
    let limit = text.len().min(after + 4096);
    let hay = &text[after..limit];
    let stop = memmem::find(hay, b"</identifier").unwrap_or(hay.len());
    let at = memmem::find(&hay[..stop], b"<value")?;
    let tag = tag_at(text, after + at + 1);
    attr(text, tag, b"value")
}

/// The element opened at `open` (its `<`): to past its closing `</name>` tag, or to the end of
/// the text (capped by the budget) when the hunk stops inside it.
pub fn element(text: &[u8], open: usize, name: &[u8]) -> Range<usize> {
    let limit = text.len().min(open + BUDGET);
    let mut close = b"</".to_vec();
    close.extend_from_slice(name);
    match memmem::find(&text[open..limit], &close) {
        Some(i) => open..tag_at(text, open + i + 1).end,
        None => open..limit,
    }
}

/// The `value` attributes of every `<name value="…">` element in `range`.
pub fn values_of(text: &[u8], range: Range<usize>, name: &[u8]) -> Vec<Range<usize>> {
    let mut open = b"<".to_vec();
    open.extend_from_slice(name);
    let mut out = Vec::new();
    let mut from = range.start;
    while let Some(i) = memmem::find(&text[from..range.end], &open) {
        let at = from + i;
        from = at + open.len();
        if text
            .get(from)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        {
            let tag = tag_at(text, at + 1);
            if let Some(v) = attr(text, tag, b"value") {
                out.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
