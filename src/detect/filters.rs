//! Line filters: code-side gates for the rules that run without a keyword (`line_filter =
//! "..."` in a pack).
//!
//! A gated rule's regex runs on every added line with enough digits, which on real code is
//! most lines with a number in them. A filter asks, in one cheap pass over the line, whether
//! the line has the *shape* any match of the rule needs (a digit, blanks and a capital letter
//! for a street address). Each filter is a necessary condition of its rule's regex (or of its
//! validator accepting), so it saves regex and validator work and never changes a result: the
//! test suite runs every example with the prefilter on and off, and the benchmark compares
//! findings with and without it.

use crate::detect::structure::csv;
use std::ops::Range;

/// Whether `line` of `text` (a range without its line ending) can hold a finding of the
/// rule. The scan loop already knows where each line starts and ends; a filter that looked
/// them up again would search back and forth on every gated line.
pub type LineFilter = fn(text: &[u8], line: Range<usize>) -> bool;

/// Line filters by name.
const REGISTRY: &[(&str, LineFilter)] = &[
    ("csv_row", csv::row_with_header),
    ("street_number", street_number),
    ("digit_then_capital", digit_then_capital),
    ("ip_shape", ip_shape),
    ("nine_digits", nine_digits),
];

/// The line filter registered under `name`.
pub fn line_filter(name: &str) -> Option<LineFilter> {
    REGISTRY.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Every registered filter name.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(n, _)| *n)
}

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `phi.address`: a house number, blanks, then a capital letter (a street name or a
/// direction): `4821 Maple`, `12 N. Main`.
pub fn street_number(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    let mut i = 1;
    while i < l.len() {
        if blank(l[i]) && l[i - 1].is_ascii_digit() {
            while i < l.len() && blank(l[i]) {
                i += 1;
            }
            if l.get(i).is_some_and(u8::is_ascii_uppercase) {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// `phi.mbi`: an MBI starts with a digit 1–9 followed by a capital letter.
pub fn digit_then_capital(text: &[u8], line: Range<usize>) -> bool {
    text[line]
        .windows(2)
        .any(|w| matches!(w[0], b'1'..=b'9') && w[1].is_ascii_uppercase())
}

/// `phi.ip`: an IPv4 address has a digit, a dot and a digit; an IPv6 address two colons.
pub fn ip_shape(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    memchr::memchr_iter(b':', l).nth(1).is_some()
        || memchr::memchr_iter(b'.', l).any(|i| {
            i > 0 && l[i - 1].is_ascii_digit() && l.get(i + 1).is_some_and(u8::is_ascii_digit)
        })
}

/// `phi.ssn`, `phi.itin`: nine digits standing alone, as one run or as runs of 3-2-4, 3-6
/// or 5-4 joined by single `-`, `.` or blank separators.
pub fn nine_digits(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    // The last three maximal digit runs as (start, len), newest last; a run joins the one
    // before it when a single separator stands between them.
    let mut last: [(usize, usize); 3] = [(usize::MAX, 0); 3];
    let joined = |a: (usize, usize), b: (usize, usize)| {
        a.0 != usize::MAX && b.0 == a.0 + a.1 + 1 && matches!(l[a.0 + a.1], b'-' | b'.' | b' ')
    };
    let mut i = 0;
    while i < l.len() {
        if !l[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        while i < l.len() && l[i].is_ascii_digit() {
            i += 1;
        }
        last = [last[1], last[2], (s, i - s)];
        let [a, b, c] = last;
        let shape_ends_here = c.1 == 9
            || (c.1 == 4 && joined(b, c) && (b.1 == 5 || (b.1 == 2 && joined(a, b) && a.1 == 3)))
            || (c.1 == 6 && joined(b, c) && b.1 == 3);
        if shape_ends_here {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;
