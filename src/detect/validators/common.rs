//! Helpers every validator family shares: line bounds, the boundary emulation of
//! detectors.md §1.5, entropy, check digits, placeholders.

use super::{Candidate, Validator, Verdict};
use std::ops::Range;

/// Validators that belong to no family.
pub static REGISTRY: &[(&str, Validator)] = &[("entropy_only", entropy_only)];

/// Accepts everything the regex, `entropy` and `allow` keys let through.
fn entropy_only(_: &Candidate<'_>) -> Verdict {
    Verdict::accept()
}

/// The line around `offset`, without its terminator (`\n` or `\r\n`).
///
/// Remembered while a scan of `text` runs ([`crate::detect::structure::memo::line_bounds`]),
/// so the candidates of one long line find its ends once.
pub fn line_bounds(text: &[u8], offset: usize) -> Range<usize> {
    let offset = offset.min(text.len());
    use crate::detect::structure::memo;
    memo::line_bounds(text, offset, || {
        let start = memo::prev_newline(text, offset).map_or(0, |i| i + 1);
        let mut end = memo::next_newline(text, offset).unwrap_or(text.len());
        if end > start && text[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    })
}

/// Where the line after the one ending at `end` (an end from [`line_bounds`]) starts: past
/// its `\n` or `\r\n`, or `text.len()` on the last line. Stepping with `end + 1` stops on
/// the `\n` of a CRLF line and never moves on.
pub fn next_line_start(text: &[u8], end: usize) -> usize {
    let end = end.min(text.len());
    memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |i| end + i + 1)
}

/// Whether `offset` lies in one of the sorted, disjoint `regions`.
pub fn in_regions(regions: &[Range<usize>], offset: usize) -> bool {
    let i = regions.partition_point(|r| r.end <= offset);
    regions.get(i).is_some_and(|r| r.start <= offset)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// detectors.md §1.5: rejects a match whose neighbours make it part of a longer token or
/// number chain (a version, an IP, `1-312-867-4421-99`). No lookaround in `regex`, so this is
/// done here.
pub fn boundary_ok(text: &[u8], span: Range<usize>) -> bool {
    let before = &text[..span.start];
    let after = &text[span.end..];
    if before.last().is_some_and(|&b| is_word(b)) {
        return false;
    }
    if let [.., d, s] = before
        && d.is_ascii_digit()
        && b"-./".contains(s)
    {
        return false;
    }
    if let [s, d, ..] = after
        && d.is_ascii_digit()
        && b"-./".contains(s)
    {
        return false;
    }
    !after.first().is_some_and(|&b| is_word(b))
}

/// Shannon entropy of `bytes` in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The ASCII digits of `bytes`, in order.
pub fn digits(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect()
}

/// Luhn check over digit values (the last one is the check digit).
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether every byte is the same (`111111111`).
pub fn all_same(bytes: &[u8]) -> bool {
    bytes.windows(2).all(|w| w[0] == w[1])
}

/// Whether the digits run up or down by one (`123456`, `654321`).
pub fn is_sequential(digits: &[u8]) -> bool {
    digits.len() >= 3
        && (digits.windows(2).all(|w| w[1] == (w[0] + 1) % 10)
            || digits.windows(2).all(|w| w[0] == (w[1] + 1) % 10))
}

/// Whether `needle` occurs in `hay` as a whole word, ignoring ASCII case (`EXAMPLE`,
/// `dummy`): the bytes around it are not letters.
pub fn contains_word_ci(hay: &[u8], needle: &[u8]) -> bool {
    matches_ci(hay, needle).any(|i| {
        (i == 0 || !hay[i - 1].is_ascii_alphabetic())
            && hay
                .get(i + needle.len())
                .is_none_or(|b| !b.is_ascii_alphabetic())
    })
}

/// Whether `needle` occurs anywhere in `hay`, ignoring ASCII case.
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    matches_ci(hay, needle).next().is_some()
}

/// The positions where `needle` occurs in `hay`, ignoring ASCII case (none for an empty one).
///
/// Candidate positions come from a `memchr2` for the needle's first byte in both cases, so
/// the comparison runs only where the needle can start: validators ask this of every
/// context word over a window of lines, for each candidate.
fn matches_ci<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let (first, rest) = needle.split_first().map_or((0, &[][..]), |(&f, r)| (f, r));
    let starts = match hay.len().checked_sub(needle.len()) {
        Some(last) if !needle.is_empty() => &hay[..=last],
        _ => &[][..],
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lower, upper, starts)
        .filter(move |&i| hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest))
}

#[cfg(test)]
mod tests;
