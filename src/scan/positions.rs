//! Where matches are: 1-based lines and columns (bytes and UTF-16), value ends, and the hunks
//! added regions group into. Each is one pass over the text, whatever the number of matches.

use std::ops::Range;

/// Where a match is, 1-based.
#[derive(Clone, Copy)]
pub(super) struct Position {
    pub(super) line: u32,
    pub(super) column: u32,
    pub(super) end_column: u32,
    pub(super) utf16_columns: (u32, u32),
    /// The line of the value's last character and the UTF-16 column past it.
    pub(super) utf16_end: (u32, u32),
}

pub(super) use crate::lines::utf16_len;

/// Positions of matches sorted by start, in one pass over the text: the line's end and the
/// UTF-16 width before a match are carried from the previous match on the same line, not
/// recounted from the line's start (a line of 40,000 SSNs made that quadratic).
pub(super) fn line_numbers(
    text: &[u8],
    spans: impl ExactSizeIterator<Item = Range<usize>>,
) -> Vec<Position> {
    let mut line = 1u32;
    let mut pos = 0usize;
    let mut line_start = 0usize;
    // The current line's end, once looked for, and the UTF-16 units of `line_start..pos`.
    let mut line_end: Option<usize> = None;
    let mut before = 0u32;
    spans
        .map(|span| {
            let at = span.start;
            let gap = &text[pos..at];
            crate::work::add(gap.len());
            if let Some(nl) = memchr::memrchr(b'\n', gap) {
                line += memchr::memchr_iter(b'\n', gap).count() as u32;
                line_start = pos + nl + 1;
                line_end = None;
                before = utf16_len(&text[line_start..at]);
            } else {
                before += utf16_len(gap);
            }
            pos = at;
            let end_of_line = *line_end.get_or_insert_with(|| {
                let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
                crate::work::add(end - at);
                end
            });
            let end = span.end.min(end_of_line).max(at);
            let utf16_columns = (before + 1, before + utf16_len(&text[at..end]) + 1);
            Position {
                line,
                column: (at - line_start + 1) as u32,
                end_column: (end - line_start + 1) as u32,
                utf16_columns,
                utf16_end: value_end(text, at..span.end, line, utf16_columns.1),
            }
        })
        .collect()
}

/// Where the value `text[span]` ends ([`Finding::utf16_end`](crate::model::Finding::utf16_end)): on its first line, that line
/// and `first_end`; else the line of its last character (a trailing line end is not part of
/// it) and the UTF-16 column past that character. Costs the value's length, not the line's.
pub(super) fn value_end(text: &[u8], span: Range<usize>, line: u32, first_end: u32) -> (u32, u32) {
    let value = &text[span];
    let value = value.strip_suffix(b"\n").unwrap_or(value);
    let value = value.strip_suffix(b"\r").unwrap_or(value);
    match memchr::memrchr(b'\n', value) {
        None => (line, first_end),
        Some(nl) => {
            let lines = memchr::memchr_iter(b'\n', value).count() as u32;
            (line + lines, utf16_len(&value[nl + 1..]) + 1)
        }
    }
}

/// Groups added regions into hunks: regions separated by at most 6 unchanged lines (what a
/// unified diff with 3 lines of context shows as one hunk) share an id. The last slot covers
/// offsets past every region.
pub(super) fn hunk_ids(text: &[u8], regions: &[Range<usize>]) -> Vec<usize> {
    let mut ids = Vec::with_capacity(regions.len() + 1);
    let mut id = 0;
    for (i, r) in regions.iter().enumerate() {
        if i > 0 {
            let gap = &text[regions[i - 1].end..r.start];
            if memchr::memchr_iter(b'\n', gap).count() > 6 {
                id += 1;
            }
        }
        ids.push(id);
    }
    ids.push(id + 1);
    ids
}

#[cfg(test)]
mod tests {
    use super::utf16_len;

    /// The branch-free count is the count by byte class, on every byte value in every
    /// position of short runs, and on text in four scripts.
    #[test]
    fn utf16_len_counts_what_the_byte_classes_say() {
        let by_class = |bytes: &[u8]| -> u32 {
            bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0xBF => 0,
                    0xF0..=0xFF => 2,
                    _ => 1,
                })
                .sum()
        };
        for b in 0..=255u8 {
            for run in [vec![b], vec![b'a', b, b'z'], vec![b; 67]] {
                assert_eq!(utf16_len(&run), by_class(&run), "byte {b:#04x}");
            }
        }
        let text = "Müller, 山田, Ωμέγα, 🙂 patient".repeat(9);
        assert_eq!(
            utf16_len(text.as_bytes()),
            text.encode_utf16().count() as u32
        );
        assert_eq!(utf16_len(text.as_bytes()), by_class(text.as_bytes()));
    }
}
