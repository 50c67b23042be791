//! HL7 v2 segments, raw or inside a source-code string literal (`"PID|1||…\r"`, with `\\&`
//! in MSH-2). A segment ends at a real CR/LF, at a literal `\r` / `\n` escape, or at a quote
//! (the end of the literal). Delimiters come from the nearest MSH before the segment.

use super::BUDGET;
use memchr::memmem;
use std::ops::Range;

/// The delimiters of a message (MSH-1 and MSH-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delims {
    /// Field separator, `|`.
    pub field: u8,
    /// Component separator, `^`.
    pub component: u8,
    /// Repetition separator, `~`.
    pub repetition: u8,
}

impl Default for Delims {
    fn default() -> Delims {
        Delims {
            field: b'|',
            component: b'^',
            repetition: b'~',
        }
    }
}

/// Where the last `MSH|` in `hay` starts. The searcher is built once: `memmem::rfind` built
/// one per call, and every candidate of a message asks (20,000 messages, five rules each:
/// 1.5 % of the scan's CPU time building searchers).
pub fn last_msh(hay: &[u8]) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memmem::FinderRev<'static>> =
        std::sync::LazyLock::new(|| memmem::FinderRev::new(b"MSH|"));
    FINDER.rfind(hay)
}

/// Where the first `MSH|` in `hay` starts ([`last_msh`]).
pub fn first_msh(hay: &[u8]) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(b"MSH|"));
    FINDER.find(hay)
}

/// The delimiters in force at `pos`: from the last `MSH` before it (within the budget), else
/// the defaults.
pub fn delims_at(text: &[u8], pos: usize) -> Delims {
    static MSH: std::sync::LazyLock<memmem::FinderRev<'static>> =
        std::sync::LazyLock::new(|| memmem::FinderRev::new(b"MSH"));
    let floor = pos.saturating_sub(BUDGET);
    match MSH.rfind(&text[floor..pos]) {
        Some(i) => {
            let m = &text[floor + i + 3..];
            match m {
                [f, c, r, ..] if !f.is_ascii_alphanumeric() && f != c && c != r => Delims {
                    field: *f,
                    component: *c,
                    repetition: *r,
                },
                _ => Delims::default(),
            }
        }
        None => Delims::default(),
    }
}

/// The segment that starts at `start` (its three-letter id), cut at the first segment end.
pub fn segment(text: &[u8], start: usize) -> Range<usize> {
    let mut i = start;
    while i < text.len() {
        match text[i] {
            b'\r' | b'\n' | b'"' | b'\'' => break,
            b'\\' if matches!(text.get(i + 1), Some(b'r' | b'n')) => break,
            _ => {}
        }
        i += 1;
    }
    start..i
}

/// The fields of a segment: element 0 is the segment id, element `n` is field `n` (for every
/// segment but MSH).
pub fn fields(text: &[u8], seg: Range<usize>, d: Delims) -> Vec<Range<usize>> {
    split(text, seg, d.field)
}

/// Splits `r` at every `sep`.
pub fn split(text: &[u8], r: Range<usize>, sep: u8) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut s = r.start;
    for i in r.clone() {
        if text[i] == sep {
            out.push(s..i);
            s = i + 1;
        }
    }
    out.push(s..r.end);
    out
}

/// Field `n` of `fields`, if present and non-empty (`""` is HL7's explicit null).
pub fn field(text: &[u8], fields: &[Range<usize>], n: usize) -> Option<Range<usize>> {
    fields
        .get(n)
        .filter(|r| !r.is_empty() && &text[(*r).clone()] != b"\"\"")
        .cloned()
}

#[cfg(test)]
mod tests;
