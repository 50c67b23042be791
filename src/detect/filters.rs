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
    ("mbi_start", mbi_start),
    ("ip_shape", ip_shape),
    ("nine_digits", nine_digits),
    ("itin_shape", itin_shape),
    ("email_shape", email_shape),
    ("phone_shape", phone_shape),
    ("five_digits", five_digits),
    ("plus_digit", plus_digit),
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
    any_pair(
        l,
        |a, b| a.is_ascii_digit() && blank(b),
        |k| {
            let after = l[k + 1..].iter().position(|&b| !blank(b));
            after.is_some_and(|i| l[k + 1 + i].is_ascii_uppercase())
        },
    )
}

/// `phi.mbi`: an MBI starts with a digit 1–9 followed by a capital letter.
pub fn digit_then_capital(text: &[u8], line: Range<usize>) -> bool {
    any_pair(&text[line], mbi_pair, |_| true)
}

/// `phi.mbi`: an MBI starts with a digit 1–9, a capital letter, a capital or a digit, and a
/// digit (`1EG4`, `3CD5`). Stricter than [`digit_then_capital`]: `2D` in `vec2D` or `1A` in a
/// hex string passes that one and rarely this.
pub fn mbi_start(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    any_pair(l, mbi_pair, |k| {
        l.get(k + 2)
            .is_some_and(|&c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && l.get(k + 3).is_some_and(u8::is_ascii_digit)
    })
}

/// An MBI's first two characters: a digit 1–9, then a capital letter.
fn mbi_pair(a: u8, b: u8) -> bool {
    matches!(a, b'1'..=b'9') && b.is_ascii_uppercase()
}

/// Whether some adjacent pair `l[k], l[k + 1]` passes `pair` and then `then(k)`. Pairs are
/// tested 32 at a time with a branch-free count (which the compiler turns into SIMD), and
/// only a block with a hit is walked pair by pair: these filters run on every gated line,
/// and a byte-at-a-time loop with a branch per byte was their whole cost.
fn any_pair(l: &[u8], pair: impl Fn(u8, u8) -> bool, mut then: impl FnMut(usize) -> bool) -> bool {
    const BLOCK: usize = 32;
    let pairs = l.len().saturating_sub(1);
    let mut k = 0;
    while k < pairs {
        let n = BLOCK.min(pairs - k);
        let (a, b) = (&l[k..k + n], &l[k + 1..k + 1 + n]);
        let hits: u32 = a.iter().zip(b).map(|(&x, &y)| u32::from(pair(x, y))).sum();
        if hits > 0 {
            for j in 0..n {
                if pair(a[j], b[j]) && then(k + j) {
                    return true;
                }
            }
        }
        k += n;
    }
    false
}

/// `phi.ip`: an IPv4 address is four digit runs of one to three digits joined by single
/// dots (`73.158.64.21`), standing alone as the validator wants it: no dot or word byte
/// before it, no word byte or dot and digit after it, so a part of an OID
/// (`urn:oid:1.3.6.1.4.1.54392.5.1`, on every identifier of a FHIR export) is not one; and
/// not three single digits first (a section number, `1.2.3.4`). An IPv6 address starts, at
/// a word boundary, with one to four hex digits, a colon, up to four more and a second colon
/// (`2600:1700:`, `fe80::`). `1.2` (a version) and `std::` (a path: no boundary before its
/// `d`) have neither shape.
pub fn ip_shape(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    // Four runs joined by dots need three dots: most lines with digits have fewer, and a
    // SIMD count of them is cheaper than walking the digit runs.
    (memchr::memchr_iter(b'.', l).nth(2).is_some() && dotted_quad(l)) || ipv6_start(l)
}

fn dotted_quad(l: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut last = [NO_RUN; 4];
    digit_runs(l).any(|run| {
        last = [last[1], last[2], last[3], run];
        let [a, .., d] = last;
        last.windows(2).all(|w| joined(l, w[0], w[1], b"."))
            && last.iter().all(|r| r.1 <= 3)
            && !last[..3].iter().all(|r| r.1 == 1)
            && (a.0 == 0 || !(l[a.0 - 1] == b'.' || word(l[a.0 - 1])))
            && match l.get(d.0 + d.1..) {
                Some([next, ..]) if word(*next) => false,
                Some([b'.', digit, ..]) if digit.is_ascii_digit() => false,
                _ => true,
            }
    })
}

fn ipv6_start(l: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    memchr::memchr_iter(b':', l).any(|colon| {
        let hex = l[..colon]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let before_ok = colon == hex || !word(l[colon - hex - 1]);
        let after = l[colon + 1..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        (1..=4).contains(&hex) && before_ok && after <= 4 && l.get(colon + 1 + after) == Some(&b':')
    })
}

/// `phi.ssn`: nine digits standing alone, as one run or as runs of 3-2-4, 3-6
/// or 5-4 joined by single `-`, `.` or blank separators.
pub fn nine_digits(text: &[u8], line: Range<usize>) -> bool {
    nine_digit_groups(&text[line], |_, _| true)
}

/// `phi.itin`: [`nine_digits`] whose first digit is a `9` and whose fourth and fifth digits
/// are an ITIN's group (50–65, 70–88, 90–92, 94–99). An SSN never starts with a 9, so the
/// lines of a patient extract, each with an SSN, have no ITIN shape.
pub fn itin_shape(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    let group = |x: u8, y: u8| matches!((x - b'0') * 10 + (y - b'0'), 50..=65 | 70..=88 | 90..=92 | 94..=99);
    memchr::memchr(b'9', l).is_some()
        && nine_digit_groups(l, |first, fourth| {
            l[first] == b'9' && group(l[fourth], l[fourth + 1])
        })
}

/// Whether `l` holds nine digits standing alone, as one run or as runs of 3-2-4, 3-6 or 5-4
/// joined by single `-`, `.` or blank separators, that `accept` takes: it gets the offsets of
/// their first and their fourth digit.
fn nine_digit_groups(l: &[u8], mut accept: impl FnMut(usize, usize) -> bool) -> bool {
    // The last three digit runs, newest last.
    let mut last = [NO_RUN; 3];
    digit_runs(l).any(|run| {
        last = [last[1], last[2], run];
        let [a, b, c] = last;
        let j = |x, y| joined(l, x, y, b"-. ");
        let digits = if c.1 == 9 {
            Some((c.0, c.0 + 3))
        } else if c.1 == 4 && j(b, c) && b.1 == 5 {
            Some((b.0, b.0 + 3))
        } else if c.1 == 4 && j(b, c) && b.1 == 2 && j(a, b) && a.1 == 3 {
            Some((a.0, b.0))
        } else if c.1 == 6 && j(b, c) && b.1 == 3 {
            Some((b.0, c.0))
        } else {
            None
        };
        digits.is_some_and(|(first, fourth)| accept(first, fourth))
    })
}

/// `phi.email`: an `@` between a local-part character and a letter or digit, followed by a
/// domain (letters, digits, `-` and `.`) holding a dot before a letter. `@param`, `@Override`
/// and `foo@2x` have no such shape.
pub fn email_shape(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    memchr::memchr_iter(b'@', l).any(|at| {
        at > 0 && local(l[at - 1]) && l.get(at + 1).is_some_and(u8::is_ascii_alphanumeric) && {
            let domain = l[at + 1..]
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                .count();
            l[at + 1..at + 1 + domain]
                .windows(2)
                .any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic())
        }
    })
}

/// Maximal runs of ASCII digits in `l`, as (start, length).
fn digit_runs(l: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < l.len() && !l[i].is_ascii_digit() {
            i += 1;
        }
        (i < l.len()).then(|| {
            let s = i;
            while i < l.len() && l[i].is_ascii_digit() {
                i += 1;
            }
            (s, i - s)
        })
    })
}

/// A run before the first one ([`joined`] to nothing).
const NO_RUN: (usize, usize) = (usize::MAX, 0);

/// Whether digit run `b` follows run `a` across exactly one byte, one of `seps`.
fn joined(l: &[u8], a: (usize, usize), b: (usize, usize), seps: &[u8]) -> bool {
    a != NO_RUN && b.0 == a.0 + a.1 + 1 && seps.contains(&l[a.0 + a.1])
}

/// `phi.phone`: an exchange and line number, three digits, one `-`, `.` or blank and four
/// digits, each a whole digit run (`867-4421`).
pub fn phone_shape(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    let mut prev = NO_RUN;
    digit_runs(l).any(|run| {
        let hit = prev.1 == 3 && run.1 == 4 && joined(l, prev, run, b"-. ");
        prev = run;
        hit
    })
}

/// `phi.zip`: a ZIP code is a run of exactly five digits.
pub fn five_digits(text: &[u8], line: Range<usize>) -> bool {
    digit_runs(&text[line]).any(|(_, n)| n == 5)
}

/// `phi.phone-international`: a `+`, then a digit 1–9 (a country code's first).
pub fn plus_digit(text: &[u8], line: Range<usize>) -> bool {
    let l = &text[line];
    memchr::memchr_iter(b'+', l).any(|k| l.get(k + 1).is_some_and(|b| (b'1'..=b'9').contains(b)))
}

#[cfg(test)]
mod tests;
