//! X12 (837 claims, 834 enrolment): the element separator from the ISA header if one is in
//! reach (the byte after `ISA`), else `*`; segments end at the ISA-declared terminator, `~`, or
//! a line end.

use super::BUDGET;
use memchr::memmem;
use std::ops::Range;

/// Separators of an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seps {
    /// Element separator (`*`).
    pub element: u8,
    /// Segment terminator (`~`).
    pub segment: u8,
}

/// The separators in force at `pos`.
pub fn seps_at(text: &[u8], pos: usize) -> Seps {
    let floor = pos.saturating_sub(BUDGET);
    let mut seps = Seps {
        element: b'*',
        segment: b'~',
    };
    if let Some(i) = memmem::rfind(&text[floor..pos], b"ISA") {
        let isa = floor + i;
        if let Some(&e) = text.get(isa + 3)
            && !e.is_ascii_alphanumeric()
            && !e.is_ascii_whitespace()
        {
            seps.element = e;
            // ISA is fixed width: the terminator is its 106th byte.
            if let Some(&t) = text.get(isa + 105)
                && !t.is_ascii_alphanumeric()
                && t != e
                && t != b' '
            {
                seps.segment = t;
            }
        }
    }
    seps
}

/// The segment starting at `start`, cut at the terminator or a line end.
pub fn segment(text: &[u8], start: usize, seps: Seps) -> Range<usize> {
    let end = text[start..]
        .iter()
        .position(|&b| b == seps.segment || b == b'\n' || b == b'\r')
        .map_or(text.len(), |i| start + i);
    start..end
}

/// The elements of a segment: element 0 is the segment id.
pub fn elements(text: &[u8], seg: Range<usize>, seps: Seps) -> Vec<Range<usize>> {
    super::hl7::split(text, seg, seps.element)
}

#[cfg(test)]
mod tests;
