//! CSV/TSV exports: which column a value sits in, by the header line. A column name is a
//! label (detectors.md §1.4: "the key/element/column … that owns the value"), so an `ssn` or
//! `mrn` column makes a bare value in it as good as `ssn: …`.

use super::memo;
use std::ops::Range;

/// How many lines above a row the header may be (a CSV pasted into code or docs).
const HEADER_REACH: usize = 40;

/// The longest line read as a CSV row (or header).
const MAX_ROW: usize = 4096;

fn delimiter(row: &[u8]) -> Option<u8> {
    [b',', b'\t', b'|', b';']
        .into_iter()
        .map(|d| (memchr::memchr_iter(d, row).count(), d))
        .filter(|&(n, _)| n >= 1)
        .max()
        .map(|(_, d)| d)
}

/// Field ranges of one line (quote-aware), relative to the text.
fn fields(text: &[u8], line: Range<usize>, delim: u8) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    each_field(text, line, delim, |_, f| {
        out.push(f);
        false
    });
    out
}

fn unquote(text: &[u8], r: Range<usize>) -> Range<usize> {
    let r = super::trim(text, r);
    if r.len() >= 2 && text[r.start] == b'"' && text[r.end - 1] == b'"' {
        r.start + 1..r.end - 1
    } else {
        r
    }
}

/// Whether a line looks like a header: every field starts with a letter or `_` and none is a
/// number.
fn is_header(text: &[u8], fields: &[Range<usize>]) -> bool {
    fields.iter().all(|f| {
        let f = unquote(text, f.clone());
        !f.is_empty()
            && text
                .get(f.start)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && f.len() <= 64
            && text[f]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"_ -.#/".contains(b))
    })
}

/// A cheap test before splitting a line into fields: a header starts with a letter, `_` or a
/// quote and has at least as many delimiters as the row has fields minus one. Validators ask
/// for the column of every candidate value, so this runs up to 40 times per value.
fn could_be_header(line: &[u8], delim: u8, cells: usize) -> bool {
    let first = line.iter().find(|b| !b.is_ascii_whitespace());
    first.is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b'"')
        && memchr::memchr_iter(delim, line).count() + 1 >= cells
}

fn line_at(text: &[u8], start: usize) -> Range<usize> {
    super::super::validators::common::line_bounds(text, start)
}

/// Whether a line could be a data row: not longer than [`MAX_ROW`] (a longer line is
/// minified code or a blob, and splitting it for every candidate value on it would be
/// quadratic), not code (assignments, blocks, calls ending a statement), and with a delimiter.
fn could_be_row(line: &[u8]) -> Option<u8> {
    if line.len() > MAX_ROW
        || memchr::memchr3(b'=', b'{', b'}', line).is_some()
        || line.ends_with(b";")
        || line.ends_with(b"(")
    {
        return None;
    }
    delimiter(line)
}

/// How many fields [`fields`] would split the line into (without splitting it). A line
/// without quotes is counted with one vectorised pass (every segment of an HL7 file asks, as
/// a `|`-separated row: the byte loop was most of the `csv_row` filter's time there).
fn field_count(line: &[u8], delim: u8) -> usize {
    if memchr::memchr(b'"', line).is_none() {
        return 1 + memchr::memchr_iter(delim, line).count();
    }
    let mut quoted = false;
    1 + line
        .iter()
        .filter(|&&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delim && !quoted
        })
        .count()
}

/// The header line for the row at `row` (delimited by `delim`, with `cells` fields): the
/// file's first line, else the nearest of the [`HEADER_REACH`] lines above, whose fields are
/// as many and all header-like. Two columns are too weak a shape (`"key": "v",` has them)
/// unless the header is the file's first line.
fn header_of(text: &[u8], row: &Range<usize>, delim: u8, cells: usize) -> Option<Range<usize>> {
    let first = line_at(text, 0);
    if first != *row && first_header_cells(text, &first, delim) == Some(cells) {
        return Some(first);
    }
    if cells == 2 {
        return None;
    }
    let known = memo_get(text, delim).filter(|m| m.row < row.start);
    let mut walked = Miss {
        row: row.start,
        top: row.start,
        cells: 0,
    };
    let mut n = 0;
    while n < HEADER_REACH && walked.top > 0 {
        let line = line_at(text, walked.top - 1);
        if let Some(k) = known
            && line.start < k.row
        {
            // The lines from here up to the reach were all seen from a row above: none is
            // a header with this many fields, or the walk goes on and looks again.
            if k.cells & cells_bit(cells) == 0 {
                walked.top = k.top;
                walked.cells |= k.cells;
                memo_put(text, delim, walked);
                return None;
            }
        }
        walked.top = line.start;
        n += 1;
        if let Some(c) = header_cells(text, &line, delim) {
            if c == cells {
                return Some(line);
            }
            walked.cells |= cells_bit(c);
        }
    }
    memo_put(text, delim, walked);
    None
}

/// The number of fields of `line` when it could be a header (short enough, starts like one,
/// every field header-like), whatever the row below it.
fn header_cells(text: &[u8], line: &Range<usize>, delim: u8) -> Option<usize> {
    let l = &text[line.clone()];
    (l.len() <= MAX_ROW
        && could_be_header(l, delim, 0)
        && l.iter().all(|&b| header_byte(b))
        && is_header(text, &fields(text, line.clone(), delim)))
    .then(|| field_count(l, delim))
}

/// Bytes a header line may hold: those of its names, quotes, blanks and the delimiters. Code
/// lines mostly fail on their first bracket, `=` or `:`.
fn header_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || b"_-.#/\",|;".contains(&b)
}

/// A bit per field count (the last one stands for 63 and more).
fn cells_bit(cells: usize) -> u64 {
    1 << cells.min(63)
}

/// What a header walk found above a row: from `top` (a line start) to `row`, no line is a
/// header unless its field count is in `cells`; and every line above `top` is out of reach
/// of `row` and of any row below it (the walk went the whole reach, or `top` is 0).
#[derive(Debug, Clone, Copy)]
struct Miss {
    row: usize,
    top: usize,
    cells: u64,
}

/// The last walk that found no header, per delimiter, in one text (kept by [`memo`]).
///
/// On source code the `csv_row` filter asks for the header of thousands of comma lines, and
/// each walk reads the 40 lines above; consecutive lines read nearly the same ones. With the
/// memo a walk stops where the previous one (same delimiter) already looked and found no
/// header with its field count.
#[derive(Default)]
pub(super) struct Memo {
    misses: [Option<(u8, Miss)>; 4],
    /// [`header_cells`] of the text's first line, per delimiter: every row of a patient
    /// extract asks it of the same header.
    first: Vec<(u8, Option<usize>)>,
    /// Row start → its delimiter and header line ([`column_name`]).
    rows: memo::OffsetMap<usize, Option<(u8, Range<usize>)>>,
}

impl Memo {
    fn get(&self, delim: u8) -> Option<Miss> {
        self.misses
            .iter()
            .flatten()
            .find(|(d, _)| *d == delim)
            .map(|(_, miss)| *miss)
    }

    fn put(&mut self, delim: u8, miss: Miss) {
        let slot = self
            .misses
            .iter()
            .position(|e| e.is_none_or(|(d, _)| d == delim))
            .unwrap_or(0);
        self.misses[slot] = Some((delim, miss));
    }
}

/// [`header_cells`] of `first`, the text's first line, remembered per delimiter while a memo
/// is open for `text`.
fn first_header_cells(text: &[u8], first: &Range<usize>, delim: u8) -> Option<usize> {
    let known = memo::with(text, |t| {
        t.csv
            .first
            .iter()
            .find(|(d, _)| *d == delim)
            .map(|&(_, c)| c)
    });
    match known {
        Some(Some(cells)) => cells,
        Some(None) => {
            let cells = header_cells(text, first, delim);
            memo::with(text, |t| t.csv.first.push((delim, cells)));
            cells
        }
        None => header_cells(text, first, delim),
    }
}

fn memo_get(text: &[u8], delim: u8) -> Option<Miss> {
    memo::with(text, |t| t.csv.get(delim)).flatten()
}

fn memo_put(text: &[u8], delim: u8, miss: Miss) {
    memo::with(text, |t| t.csv.put(delim, miss));
}

/// Whether `row` (a line without its ending) is a row of a CSV with a header in reach: the
/// `csv_row` line filter, so that most source lines never reach the regex of a column rule.
pub fn row_with_header(text: &[u8], row: Range<usize>) -> bool {
    row_header(text, row).is_some()
}

/// The delimiter and header line of `row` (a line without its ending), when it is a row of a
/// CSV with a header in reach. Remembered per row while a memo is open: the line filter asks
/// it of every row, and then each rule's candidates ask it again ([`column_name`]).
fn row_header(text: &[u8], row: Range<usize>) -> Option<(u8, Range<usize>)> {
    memo::memoized(
        text,
        |t| &mut t.csv.rows,
        row.start,
        || {
            let delim = could_be_row(&text[row.clone()])?;
            let cells = field_count(&text[row.clone()], delim);
            Some((delim, header_of(text, &row, delim, cells)?))
        },
    )
}

/// The header name of the column holding `value` (a range inside one line of `text`), or
/// `None` when the line is not a row of a CSV with a header in reach.
///
/// Every candidate of a row asks this (a patient CSV: several rules, several values a row),
/// so nothing is allocated: the value's cell is counted out of the row and the header's cell
/// of that number read off the header line; the row's header is remembered (`row_header`).
pub fn column_name(text: &[u8], value: &Range<usize>) -> Option<Range<usize>> {
    let row = line_at(text, value.start);
    let (delim, header) = row_header(text, row.clone())?;
    let mut col = None;
    each_field(text, row, delim, |k, c| {
        let hit = c.start <= value.start && value.end <= c.end;
        if hit {
            col = Some(k);
        }
        hit
    });
    let col = col?;
    let mut head = None;
    each_field(text, header, delim, |k, c| {
        if k == col {
            head = Some(c);
        }
        k == col
    });
    Some(unquote(text, head?))
}

/// Calls `f` with the number and range of each field of `line` ([`fields`] without the
/// vector), until it returns `true`.
fn each_field(
    text: &[u8],
    line: Range<usize>,
    delim: u8,
    mut f: impl FnMut(usize, Range<usize>) -> bool,
) {
    let (mut start, mut quoted, mut k) = (line.start, false, 0);
    // From one delimiter or quote to the next: every candidate of a dense CSV counts its
    // row's cells, and byte by byte that was a twentieth of the scan.
    for i in memchr::memchr2_iter(delim, b'"', &text[line.clone()]).map(|i| line.start + i) {
        if text[i] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if f(k, start..i) {
                return;
            }
            k += 1;
            start = i + 1;
        }
    }
    f(k, start..line.end);
}

#[cfg(test)]
mod tests;
