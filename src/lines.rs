//! Splitting text into lines, 64 bytes at a time, optionally counting each line's digits in
//! the same pass.
//!
//! Two rooms need every line of a text: the source's added-line diff
//! ([`crate::source`], bounds only) and the scan loop, whose keyword-less rules keep only
//! lines with a digit or a gate byte (bounds and digit counts). A `memchr` and a digit count
//! per line pay a call's overhead per line (source lines average 35 bytes); this pass takes
//! 64 bytes at a time, makes a bit mask of their newlines (and, when asked, one of their
//! digits), and reads each line's count off the masks with a population count. `cargo bench
//! --bench engine -- lines` measures both on a mebibyte of ordinary code: 0.17–0.27 ns per
//! byte for the masks, 0.97–1.26 for `memchr` and a count (fastest to median, on the 2-core
//! benchmark machine).

use std::ops::Range;

/// Bytes per step.
const CHUNK: usize = 64;

/// UTF-16 code units of (UTF-8) `bytes`: a continuation byte adds none, a 4-byte character two.
///
/// Without branches, so that the sum is vectorised: it runs over every byte before each
/// finding's line position, the whole text of a dense file (a `match` per byte was a tenth
/// of an 18 MB NDJSON export's findings pass). As an `i8`, a continuation byte
/// (`0x80..=0xBF`) is below -64 and every other byte is not.
pub fn utf16_len(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .map(|&b| u32::from(b as i8 >= -64) + u32::from(b >= 0xF0))
        .sum()
}

/// Calls `each(start, end)` for every line of `text[span]`, in order: `end` is past the
/// newline (or the end of `span` for an unterminated last line).
pub fn for_each_line(text: &[u8], span: Range<usize>, mut each: impl FnMut(usize, usize)) {
    walk::<false>(text, span, |start, end, _| each(start, end));
}

/// [`for_each_line`], also handing over the number of ASCII digits in `start..end`.
pub fn for_each_line_with_digits(
    text: &[u8],
    span: Range<usize>,
    each: impl FnMut(usize, usize, u32),
) {
    walk::<true>(text, span, each);
}

/// The pass behind both: with `DIGITS` false the digit mask is never computed (and `each`
/// gets 0 digits).
fn walk<const DIGITS: bool>(
    text: &[u8],
    span: Range<usize>,
    mut each: impl FnMut(usize, usize, u32),
) {
    let hay = &text[span.clone()];
    let base = span.start;
    let (mut line_start, mut digits) = (0usize, 0u32);
    let mut chunks = hay.chunks_exact(CHUNK);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let at = k * CHUNK;
        let (mut newlines, digit_bits) =
            masks::<DIGITS>(chunk.try_into().expect("chunks are 64 bytes"));
        // Bits below `from` belong to lines already reported.
        let mut from = 0u32;
        while newlines != 0 {
            let nl = newlines.trailing_zeros();
            let upto = u64::MAX >> (63 - nl);
            digits += (digit_bits & upto & (u64::MAX << from)).count_ones();
            let end = at + nl as usize + 1;
            each(base + line_start, base + end, digits);
            line_start = end;
            digits = 0;
            from = nl + 1;
            newlines &= newlines - 1;
        }
        if from < 64 {
            digits += (digit_bits & (u64::MAX << from)).count_ones();
        }
    }
    let rest = chunks.remainder();
    let at = hay.len() - rest.len();
    for (i, &b) in rest.iter().enumerate() {
        digits += u32::from(DIGITS && b.is_ascii_digit());
        if b == b'\n' {
            each(base + line_start, base + at + i + 1, digits);
            line_start = at + i + 1;
            digits = 0;
        }
    }
    if line_start < hay.len() {
        each(base + line_start, span.end, digits);
    }
}

/// Bit `i` of the first mask: `chunk[i]` is a newline; of the second: an ASCII digit (0
/// unless `DIGITS`).
#[cfg(target_arch = "x86_64")]
fn masks<const DIGITS: bool>(chunk: &[u8; CHUNK]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_sub_epi8,
    };
    let (mut newlines, mut digits) = (0u64, 0u64);
    for j in 0..CHUNK / 16 {
        // SAFETY: SSE2 is part of the x86-64 baseline, so these instructions always exist;
        // the unaligned load reads bytes `16 * j .. 16 * j + 16` of `chunk`, all in bounds.
        let (n, d) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().add(16 * j).cast());
            let n = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)));
            if !DIGITS {
                (n, 0)
            } else {
                // A digit is a byte whose distance above `0` is at most 9 (unsigned).
                let off = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
                let d = _mm_cmpeq_epi8(_mm_min_epu8(off, _mm_set1_epi8(9)), off);
                (n, _mm_movemask_epi8(d))
            }
        };
        newlines |= u64::from(n as u16) << (16 * j);
        digits |= u64::from(d as u16) << (16 * j);
    }
    (newlines, digits)
}

#[cfg(not(target_arch = "x86_64"))]
use masks_portable as masks;

/// [`masks`] without SIMD: the other targets' version, and the x86-64 one's oracle in tests.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn masks_portable<const DIGITS: bool>(chunk: &[u8; CHUNK]) -> (u64, u64) {
    let (mut newlines, mut digits) = (0u64, 0u64);
    for (i, &b) in chunk.iter().enumerate() {
        newlines |= u64::from(b == b'\n') << i;
        digits |= u64::from(DIGITS && b.is_ascii_digit()) << i;
    }
    (newlines, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same, one line at a time.
    fn naive(text: &[u8], span: Range<usize>) -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        let mut pos = span.start;
        while pos < span.end {
            let end = memchr::memchr(b'\n', &text[pos..span.end]).map_or(span.end, |i| pos + i + 1);
            let digits = text[pos..end].iter().filter(|b| b.is_ascii_digit()).count() as u32;
            out.push((pos, end, digits));
            pos = end;
        }
        out
    }

    #[test]
    fn simd_masks_match_the_portable_ones() {
        // Every byte value at every position, against bytes that are neither.
        for b in 0..=255u8 {
            for at in 0..CHUNK {
                let mut chunk = [b'x'; CHUNK];
                chunk[at] = b;
                chunk[(at + 17) % CHUNK] = b'\n';
                chunk[(at + 40) % CHUNK] = b'7';
                assert_eq!(
                    masks::<true>(&chunk),
                    masks_portable::<true>(&chunk),
                    "byte {b} at {at}"
                );
                assert_eq!(
                    masks::<false>(&chunk),
                    (masks_portable::<true>(&chunk).0, 0)
                );
            }
        }
    }

    #[test]
    fn lines_and_digits_match_a_line_by_line_count() {
        // Lines shorter and longer than a chunk, newlines at chunk edges, bytes next to the
        // digits (`/` and `:`), high bytes, CRLF, spans that start mid-text and end unterminated.
        let alphabet = b"0189/:a\n\n\r\xff ";
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        for round in 0..500 {
            let len = (next() % 300) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    if round % 3 == 0 && next() % 2 == 0 {
                        b'x'
                    } else {
                        alphabet[(next() % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            let start = if len == 0 {
                0
            } else {
                (next() % (len as u64 + 1)) as usize
            };
            let end = start + (next() % (len - start + 1) as u64) as usize;
            let want = naive(&text, start..end);
            let mut got = Vec::new();
            for_each_line_with_digits(&text, start..end, |s, e, d| got.push((s, e, d)));
            assert_eq!(got, want, "round {round}: {start}..{end} of {len}");
            let mut bounds = Vec::new();
            for_each_line(&text, start..end, |s, e| bounds.push((s, e)));
            let want: Vec<_> = want.iter().map(|&(s, e, _)| (s, e)).collect();
            assert_eq!(
                bounds, want,
                "round {round}: bounds of {start}..{end} of {len}"
            );
        }
    }
}
