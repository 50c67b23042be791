//! Masking (DESIGN §4): an identifier keeps at most its last 2 characters (only identifiers of
//! at least 12 letters and digits do, see [`MIN_TAIL_LEN`]); a secret shows at
//! most the first 4 characters of a known, non-secret prefix (`AKIA`, `ghp_`). The excerpt is
//! the value's line, cut to a window around the value, with every value on the line masked.

use super::sanitize;
use crate::rules::Category;
use std::ops::Range;

/// Characters shown on each side of the value in an excerpt.
pub const WINDOW: usize = 48;

/// How one value on a line is masked.
#[derive(Debug, Clone)]
pub struct MaskSpan {
    /// The value's bytes, as offsets into the text.
    pub span: Range<usize>,
    /// PHI keeps a tail, secrets keep a known prefix.
    pub category: Category,
    /// For secrets: how many leading bytes are a known prefix that may be shown (≤ 4).
    pub reveal_prefix: usize,
}

/// Masks `value` bytes in place.
/// Letters and digits a PHI value needs before its last 2 may be shown. A shown tail plus the
/// value's fingerprint narrow the candidates a hundredfold: for an SSN (9 digits) from about
/// a thousand to ten, so shorter identifiers, dates and ZIP codes are masked whole.
pub const MIN_TAIL_LEN: usize = 12;

fn mask_value(value: &mut [u8], category: Category, reveal_prefix: usize) {
    let n = value.len();
    let alnum = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    let keep: Range<usize> = match category {
        Category::Phi if alnum >= MIN_TAIL_LEN => n - 2..n,
        Category::Phi => n..n,
        Category::Secret => 0..reveal_prefix.min(4).min(n / 2),
    };
    for (i, b) in value.iter_mut().enumerate() {
        if !keep.contains(&i) && !matches!(b, b'\n' | b'\r') {
            *b = b'*';
        }
    }
}

/// Masks every span of `spans` inside `text` (a copy) — used by `phiguard redact` too.
pub fn mask_all(text: &[u8], spans: &[MaskSpan]) -> Vec<u8> {
    let mut out = text.to_vec();
    for s in spans {
        let end = s.span.end.min(out.len());
        if s.span.start < end {
            mask_value(&mut out[s.span.start..end], s.category, s.reveal_prefix);
        }
    }
    out
}

/// The excerpt for the value at `focus`: its line, every value in `spans` masked, cut to
/// [`WINDOW`] bytes either side, escaped for display.
pub fn excerpt(text: &[u8], focus: Range<usize>, spans: &[MaskSpan]) -> String {
    let line = crate::detect::validators::common::line_bounds(text, focus.start);
    let on_line: Vec<MaskSpan> = spans
        .iter()
        .filter(|s| s.span.start < line.end && s.span.end > line.start)
        .map(|s| MaskSpan {
            span: s.span.start.max(line.start) - line.start..s.span.end.min(line.end) - line.start,
            category: s.category,
            reveal_prefix: if s.span.start >= line.start {
                s.reveal_prefix
            } else {
                0
            },
        })
        .collect();
    let masked = mask_all(&text[line.clone()], &on_line);
    let (fs, fe) = (
        focus.start - line.start,
        focus.end.min(line.end).max(focus.start) - line.start,
    );
    let from = floor_char(&masked, fs.saturating_sub(WINDOW));
    let to = ceil_char(&masked, (fe + WINDOW).min(masked.len()));
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(sanitize::display(&masked[from..to]).trim());
    if to < masked.len() {
        out.push('…');
    }
    out
}

fn floor_char(b: &[u8], mut i: usize) -> usize {
    while i > 0 && i < b.len() && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

fn ceil_char(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] & 0xC0) == 0x80 {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests;
