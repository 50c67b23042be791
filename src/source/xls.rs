//! Excel 97–2003 workbooks (`.xls`: BIFF8 records in the `Workbook` stream of an OLE2
//! compound file) read as their sheets, each rendered as CSV, as an `.xlsx` workbook's are
//! ([`xlsx`](super::xlsx)): a sheet is a member named by the sheet's name
//! (`book.xls!Patients`), one line per row, the cells in their columns. Read as text runs,
//! a patient list saved as `.xls` showed its strings, but each alone in the shared string
//! table, away from its column's header, and none of its numbers: an SSN or MRN typed as a
//! number is a binary double (or a 30-bit RK number), a birth date a day count that only a
//! cell format makes a date. Rendered, a sheet meets every rule a CSV export meets.
//!
//! The reader walks the compound file (`cfb`, after [MS-CFB]) and the records ([MS-XLS])
//! read-only, in safe Rust. The workbook globals give the sheets (`BOUNDSHEET8`: name, kind
//! and where each sheet's records start), the shared strings (`SST`, read across its
//! `CONTINUE` records: a string that goes on in the next record starts it with a byte that
//! says again whether its characters are 8-bit or UTF-16, and its rich-text runs and
//! phonetic data go on without one), the number formats (`FORMAT`, `XF`) and the date system
//! (`DATEMODE`). Every count is checked against the bytes that hold what it counts before
//! anything is sized by it, every chain of the compound file is walked at most once through
//! each sector, and each sheet's records are read only up to where the next sheet starts,
//! so the work is linear in the file. What is rendered is charged to the archive budget as
//! it is rendered: a long shared string many cells show is paid for each time.
//!
//! What a cell renders as:
//! - strings (`LABELSST`, `LABEL`, `RSTRING`, a formula's cached string in `STRING`) as
//!   UTF-8.
//! - numbers (`NUMBER`, `RK`, `MULRK`, a formula's cached number) with a date format as
//!   `YYYY-MM-DD`, and ` HH:MM:SS` after it when they have a time of day, in the 1900 or 1904
//!   date system, as an `.xlsx`'s are; others as their shortest decimal (an integral double
//!   prints as digits, so an SSN stored as a number reads as one), in exponent form below
//!   1e-5 or from 1e16 on, which no identifier is.
//! - booleans as `TRUE` and `FALSE`, errors as Excel shows them (`#N/A`, `#DIV/0!`, …),
//!   blank cells (`BLANK`, `MULBLANK`) as empty fields.
//!
//! Rows come in row order and cells in column order, whatever order their records are in;
//! a column with no cell is an empty field, a row with none is left out (as an `.xlsx`
//! writes no `<row>` for it), and a row shorter than the first is padded to its width.
//! Columns past BIFF8's 256 are not placed. Hidden sheets are read like the others; macro
//! sheets (their cells) too; chart sheets and VBA modules hold no cells and are no members.
//!
//! The text a workbook holds outside its cells is one member more, after the sheets,
//! `(text)` (`book.xls!(text)`), when there is any: one text a line (a text's own line
//! breaks kept as they are), in the order of the records, the globals' first and then each
//! sheet's (a chart sheet's too):
//! - comments (notes) and text boxes: a `TXO` record's characters, in the `CONTINUE`
//!   records after it.
//! - page headers and footers (`HEADER`, `FOOTER`), as they are written, Excel's `&` codes
//!   in them (`&P` the page number, `&L` the left part, …) kept, but for one made only of
//!   codes: xlwt writes `&P` and `&F` into every sheet.
//!
//! A comment that says "called patient re SSN …" is as much patient data as a cell. A text
//! whose record is damaged is left out, and the sheets are read as if it were not there.
//!
//! An encrypted workbook (`FILEPASS`), one in the Excel 5.0/95 format, or whose compound
//! file or globals are damaged is unreadable whole; a sheet whose records are damaged is
//! an unreadable member (the texts read before the damage are still in `(text)`), and the
//! others are still read. Names, drawings (their text boxes aside), Excel 2007's headers and
//! footers for first and even pages (`HEADERFOOTER`) and the compound file's other streams
//! are not read.
//!
//! [MS-CFB]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cfb/
//! [MS-XLS]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-xls/

use super::archive::{charge, csv_field as field};
use super::calendar::decimal;
use super::cfb::{self, u16_at, u32_at, u64_at};
use super::xlsx::{date, is_date_format};
use std::collections::{HashMap, HashSet};

/// A member of the archive a workbook is: its name and its CSV, or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// The member of the text outside the cells: comments, text boxes, headers and footers.
const TEXT: &str = "(text)";

/// Why a workbook cannot be read: its compound file or its globals are damaged.
const DAMAGED: &str = "a damaged Excel 97-2003 workbook";

/// Why a sheet cannot be read: its records are damaged or cut short.
const DAMAGED_SHEET: &str = "a damaged Excel 97-2003 sheet";

/// Why a workbook with a password to open cannot be read.
const ENCRYPTED: &str = "an encrypted Excel 97-2003 workbook";

/// Why a workbook of Excel 5.0/95 (BIFF5) or older cannot be read.
const OLDER: &str = "an Excel 5.0/95 workbook, which phiguard does not read";

/// The stream of a BIFF8 workbook (Excel 5.0/95 called theirs `Book`).
const WORKBOOK: &str = "Workbook";

/// BIFF8's columns: a cell past them is not placed.
const MAX_COLUMNS: u16 = 256;

/// The record types read.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000a;
const BOUNDSHEET: u16 = 0x0085;
const CONTINUE: u16 = 0x003c;
const DATEMODE: u16 = 0x0022;
const FILEPASS: u16 = 0x002f;
const FORMAT: u16 = 0x041e;
const SST: u16 = 0x00fc;
const XF: u16 = 0x00e0;
const BLANK: u16 = 0x0201;
const BOOLERR: u16 = 0x0205;
const FORMULA: u16 = 0x0006;
const LABEL: u16 = 0x0204;
const LABELSST: u16 = 0x00fd;
const MULBLANK: u16 = 0x00be;
const MULRK: u16 = 0x00bd;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027e;
const RSTRING: u16 = 0x00d6;
const STRING: u16 = 0x0207;
const TXO: u16 = 0x01b6;
const HEADER: u16 = 0x0014;
const FOOTER: u16 = 0x0015;

/// The `BOF` version of BIFF8.
const BIFF8: u16 = 0x0600;

/// `BOUNDSHEET8` kinds without cells: a chart sheet and a VBA module.
const CHART: u8 = 2;
const VBA_MODULE: u8 = 6;

/// Whether `bytes` are an Excel 97–2003 workbook: a compound file with a `Workbook` stream
/// at its root. Only the header and the directory are read; a Word document or an Outlook
/// message (a compound file too, a workbook embedded in it or not) is not one.
pub fn is_xls(bytes: &[u8]) -> bool {
    bytes.starts_with(&cfb::MAGIC)
        && cfb::File::open(bytes).is_some_and(|file| file.find(WORKBOOK).is_some())
}

/// The sheets of workbook `bytes`, in the workbook's order, each as CSV (or why it cannot be
/// read) under its name, and after them, when the workbook has any, its comments, text
/// boxes, headers and footers as the member `(text)`. What they render to is taken from
/// `left`, the archive's budget.
///
/// # Errors
///
/// Why the workbook cannot be read, in words for the report: its compound file or globals
/// are damaged, it is encrypted or of Excel 5.0/95, or its sheets and text render past the
/// budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let file = cfb::File::open(bytes).ok_or(DAMAGED)?;
    let stream = file
        .find(WORKBOOK)
        .and_then(|entry| file.stream(&entry))
        .ok_or(DAMAGED)?;
    let mut book = Book::read(&stream)?;
    let mut text = std::mem::take(&mut book.text);
    charge(left, text.len())?;
    let mut tables = Vec::new();
    let mut read = HashSet::new();
    for sheet in &book.sheets {
        if sheet.kind == VBA_MODULE {
            continue;
        }
        // A sheet's records run to where the next sheet starts (a place two sheets name is
        // read once, and none inside the globals), so no record is read for two sheets.
        let next = book.starts.partition_point(|&start| start <= sheet.at);
        let end = book.starts.get(next).map_or(stream.len(), |&start| start);
        let before = text.len();
        let cells = stream
            .get(..end)
            .filter(|_| read.insert(sheet.at) && sheet.at >= book.end)
            .and_then(|records| Cells::read(records, sheet.at, &mut text));
        charge(left, text.len() - before)?;
        // A chart sheet is read for its text only.
        if sheet.kind == CHART {
            continue;
        }
        let csv = match cells {
            Some(mut cells) => Ok(book.render(&mut cells, left)?),
            None => Err(DAMAGED_SHEET),
        };
        tables.push((sheet.name.clone(), csv));
    }
    if !text.is_empty() {
        tables.push((TEXT.to_owned(), Ok(text)));
    }
    Ok(tables)
}

/// A record: its type and data.
#[derive(Debug, Clone, Copy)]
struct Record<'a> {
    kind: u16,
    data: &'a [u8],
}

/// A cursor over a stream's records: a type and a length (two bytes each), then the data.
struct Records<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    /// The record at the cursor, and where it ends; `None` at the end of the stream or
    /// when the record is cut short.
    fn peek(&self) -> Option<(Record<'a>, usize)> {
        let kind = u16_at(self.stream, self.at)?;
        let len = usize::from(u16_at(self.stream, self.at + 2)?);
        let start = self.at + 4;
        let data = self.stream.get(start..start + len)?;
        Some((Record { kind, data }, start + len))
    }

    /// The next record.
    fn take(&mut self) -> Option<Record<'a>> {
        let (record, end) = self.peek()?;
        self.at = end;
        crate::work::add(4 + record.data.len());
        Some(record)
    }

    /// `first`'s data and the data of the `CONTINUE` records after it: the pieces of one
    /// record too long for one.
    fn continued(&mut self, first: &'a [u8]) -> Vec<&'a [u8]> {
        let mut pieces = vec![first];
        while let Some((record, end)) = self.peek().filter(|(r, _)| r.kind == CONTINUE) {
            pieces.push(record.data);
            self.at = end;
            crate::work::add(4 + record.data.len());
        }
        pieces
    }
}

/// A cursor over the pieces of a record and its `CONTINUE`s, as one run of bytes but for
/// the characters of a string (see [`Pieces::chars`]).
struct Pieces<'p, 'a> {
    pieces: &'p [&'a [u8]],
    piece: usize,
    at: usize,
}

impl<'p, 'a> Pieces<'p, 'a> {
    fn new(pieces: &'p [&'a [u8]]) -> Self {
        Pieces {
            pieces,
            piece: 0,
            at: 0,
        }
    }

    fn byte(&mut self) -> Option<u8> {
        loop {
            let piece = self.pieces.get(self.piece)?;
            if let Some(&b) = piece.get(self.at) {
                self.at += 1;
                return Some(b);
            }
            self.piece += 1;
            self.at = 0;
        }
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    /// Steps over `n` bytes.
    fn skip(&mut self, mut n: usize) -> Option<()> {
        loop {
            let rest = self.pieces.get(self.piece)?.len().saturating_sub(self.at);
            if n <= rest {
                self.at += n;
                return Some(());
            }
            n -= rest;
            self.piece += 1;
            self.at = 0;
        }
    }

    /// Whether every byte has been read.
    fn at_end(&mut self) -> bool {
        while self
            .pieces
            .get(self.piece)
            .is_some_and(|piece| self.at >= piece.len())
        {
            self.piece += 1;
            self.at = 0;
        }
        self.piece >= self.pieces.len()
    }

    /// The `count` characters of a string into `units`, 8-bit (the low bytes of UTF-16)
    /// or UTF-16 as `wide` says at first, and as the byte that starts each further piece
    /// says from there on (a string's characters may change width at a piece).
    fn chars(&mut self, count: usize, mut wide: bool, units: &mut Vec<u16>) -> Option<()> {
        units.clear();
        let mut left = count;
        loop {
            let rest = self.pieces.get(self.piece)?.get(self.at..)?;
            let width = if wide { 2 } else { 1 };
            let n = left.min(rest.len() / width);
            let taken = rest.get(..n * width)?;
            if wide {
                units.extend(
                    taken
                        .chunks_exact(2)
                        .map(|unit| u16::from_le_bytes([unit[0], unit[1]])),
                );
            } else {
                units.extend(taken.iter().map(|&b| u16::from(b)));
            }
            crate::work::add(taken.len());
            self.at += taken.len();
            left -= n;
            if left == 0 {
                return Some(());
            }
            // An odd byte left of a UTF-16 piece is no character.
            self.piece += 1;
            wide = *self.pieces.get(self.piece)?.first()? & 1 != 0;
            self.at = 1;
        }
    }

    /// An `XLUnicodeString` into `units`: a 2-byte count of characters, a byte of flags
    /// (bit 0: UTF-16), the characters.
    fn string(&mut self, units: &mut Vec<u16>) -> Option<()> {
        let count = usize::from(self.u16()?);
        let flags = self.byte()?;
        self.chars(count, flags & 1 != 0, units)
    }
}

/// Strings kept end to end as UTF-8, by index.
#[derive(Default)]
struct Strings {
    text: Vec<u8>,
    /// Where each ends in `text`.
    ends: Vec<usize>,
}

/// Appends the string of UTF-16 `units` to `out` as UTF-8 (a lone surrogate made U+FFFD).
fn utf8(out: &mut Vec<u8>, units: &[u16]) {
    for c in char::decode_utf16(units.iter().copied()) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

impl Strings {
    /// Adds the string of UTF-16 `units` (a lone surrogate made U+FFFD); its index.
    fn push(&mut self, units: &[u16]) -> usize {
        utf8(&mut self.text, units);
        self.ends.push(self.text.len());
        self.ends.len() - 1
    }

    /// String `i`, empty when there is none.
    fn get(&self, i: usize) -> &[u8] {
        let start = match i.checked_sub(1) {
            None => Some(0),
            Some(before) => self.ends.get(before).copied(),
        };
        start
            .zip(self.ends.get(i).copied())
            .and_then(|(start, end)| self.text.get(start..end))
            .unwrap_or_default()
    }
}

/// A sheet the globals list (`BOUNDSHEET8`).
struct Sheet {
    name: String,
    /// Where its `BOF` record is in the stream.
    at: usize,
    /// Worksheet (or dialog sheet) 0, macro sheet 1, [`CHART`], [`VBA_MODULE`].
    kind: u8,
}

/// The workbook globals: what reading the sheets takes.
struct Book {
    strings: Strings,
    /// Whether each cell format (`XF`, by index) shows a number as a date.
    dates: Vec<bool>,
    date1904: bool,
    sheets: Vec<Sheet>,
    /// Where every sheet starts, in order.
    starts: Vec<usize>,
    /// Where the globals end.
    end: usize,
    /// The globals' texts ([`TEXT`]), a line each.
    text: Vec<u8>,
}

impl Book {
    /// The globals at the start of `stream`, up to their `EOF`.
    fn read(stream: &[u8]) -> Result<Book, &'static str> {
        let mut records = Records { stream, at: 0 };
        let bof = records.take().filter(|r| r.kind == BOF).ok_or(DAMAGED)?;
        match u16_at(bof.data, 0) {
            Some(BIFF8) => {}
            Some(version) if version < BIFF8 => return Err(OLDER),
            _ => return Err(DAMAGED),
        }
        let mut book = Book {
            strings: Strings::default(),
            dates: Vec::new(),
            date1904: false,
            sheets: Vec::new(),
            starts: Vec::new(),
            end: 0,
            text: Vec::new(),
        };
        let mut formats = HashMap::new();
        let mut xf_formats = Vec::new();
        let mut units = Vec::new();
        loop {
            let record = records.take().ok_or(DAMAGED)?;
            let data = record.data;
            match record.kind {
                EOF => break,
                kind @ (TXO | HEADER | FOOTER) => {
                    text_of(&mut records, kind, data, &mut units, &mut book.text);
                }
                FILEPASS => return Err(ENCRYPTED),
                SST => {
                    let pieces = records.continued(data);
                    book.strings = shared_strings(&pieces).ok_or(DAMAGED)?;
                }
                // A format that does not parse shows its numbers as numbers.
                FORMAT => {
                    if let Some((id, code)) = format(data) {
                        formats.insert(id, is_date_format(&code));
                    }
                }
                XF => xf_formats.push(u16_at(data, 2).ok_or(DAMAGED)?),
                DATEMODE => book.date1904 = u16_at(data, 0) == Some(1),
                BOUNDSHEET => book.sheets.push(sheet(data).ok_or(DAMAGED)?),
                _ => {}
            }
        }
        // Excel's built-in date formats, as `xlsx` has them.
        let builtin = |id: &u16| matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58);
        book.dates = xf_formats
            .iter()
            .map(|id| formats.get(id).copied().unwrap_or_else(|| builtin(id)))
            .collect();
        book.starts = book.sheets.iter().map(|s| s.at).collect();
        book.starts.sort_unstable();
        book.end = records.at;
        Ok(book)
    }

    /// The cells of a sheet as CSV, each field charged to `left` as it is rendered.
    fn render(&self, sheet: &mut Cells, left: &mut u64) -> Result<Vec<u8>, &'static str> {
        let cells = &mut sheet.cells;
        if !cells.is_sorted_by_key(|c| (c.row, c.col)) {
            // Stable: of two records for one cell, the later is shown.
            cells.sort_by_key(|c| (c.row, c.col));
        }
        let mut csv = Vec::new();
        let mut width = None;
        for row in cells.chunk_by(|a, b| a.row == b.row) {
            let mut next = 0;
            for (i, cell) in row.iter().enumerate() {
                if row.get(i + 1).is_some_and(|after| after.col == cell.col) {
                    continue;
                }
                let start = csv.len();
                let column = usize::from(cell.col);
                // A comma before each field from `next` to this one's but the row's first.
                let commas = (column + 1).saturating_sub(next.max(1));
                csv.resize(csv.len() + commas, b',');
                self.value(&mut csv, &sheet.text, cell);
                next = column + 1;
                crate::work::add(csv.len() - start);
                charge(left, csv.len() - start)?;
            }
            // Short rows (Excel writes no record for a trailing empty cell) as wide as the
            // first, as Excel's own CSV has them: a row's fields are matched with the
            // header's by count.
            let width = *width.get_or_insert(next);
            let start = csv.len();
            csv.resize(csv.len() + width.saturating_sub(next), b',');
            csv.push(b'\n');
            charge(left, csv.len() - start)?;
        }
        Ok(csv)
    }

    /// Appends `cell`'s value as a CSV field.
    fn value(&self, csv: &mut Vec<u8>, text: &Strings, cell: &Cell) {
        match cell.value {
            Value::Shared(i) => field(csv, self.strings.get(i)),
            Value::Text(i) => field(csv, text.get(i)),
            Value::Number(x) => {
                let dated = self.dates.get(usize::from(cell.xf)) == Some(&true);
                match dated.then(|| date(x, self.date1904)).flatten() {
                    Some(date) => csv.extend_from_slice(date.as_bytes()),
                    None => decimal(csv, x),
                }
            }
            Value::Bool(true) => csv.extend_from_slice(b"TRUE"),
            Value::Bool(false) => csv.extend_from_slice(b"FALSE"),
            Value::Error(code) => csv.extend_from_slice(error(code).as_bytes()),
            Value::Blank => {}
        }
    }
}

/// The shared strings of an `SST` record's `pieces`: two counts (of cells, and of
/// strings), then each string: a 2-byte count of characters, flags (bit 0: UTF-16, bit 2:
/// phonetic data follows, bit 3: rich-text runs follow), the count of runs, the length of
/// the phonetic data, the characters, the runs (4 bytes each), the phonetic data. A table
/// that ends (at a string's end) before its count is read as far as it goes.
fn shared_strings(pieces: &[&[u8]]) -> Option<Strings> {
    let mut r = Pieces::new(pieces);
    let _cells = r.u32()?;
    let count = r.u32()?;
    let mut strings = Strings::default();
    let mut units = Vec::new();
    for _ in 0..count {
        if r.at_end() {
            break;
        }
        let chars = usize::from(r.u16()?);
        let flags = r.byte()?;
        let runs = if flags & 8 != 0 { r.u16()? } else { 0 };
        let phonetic = if flags & 4 != 0 { r.u32()? } else { 0 };
        r.chars(chars, flags & 1 != 0, &mut units)?;
        r.skip(4 * usize::from(runs))?;
        r.skip(usize::try_from(phonetic).ok()?)?;
        strings.push(&units);
        crate::work::add(3);
    }
    Some(strings)
}

/// Appends the text of record `data` of type `kind` ([`TXO`], [`HEADER`] or [`FOOTER`]),
/// read with the `CONTINUE` records after it, to `text` as a line; nothing when it has
/// none or its records are damaged.
fn text_of<'a>(
    records: &mut Records<'a>,
    kind: u16,
    data: &'a [u8],
    units: &mut Vec<u16>,
    text: &mut Vec<u8>,
) {
    let read = if kind == TXO {
        let pieces = records.continued(data);
        txo(&pieces, units)
    } else {
        header(data, units)
    };
    if read.is_some() && !units.is_empty() {
        utf8(text, units);
        text.push(b'\n');
    }
}

/// The text of a `TXO` record (a comment or a text box, [MS-XLS] 2.4.329) into `units`:
/// `pieces` are its data and the `CONTINUE` records after it. The data says how many
/// characters there are (`cchText`, 2 bytes at offset 10) and how long the formatting runs
/// after them are (`cbRuns`, at 12); the characters are in the `CONTINUE`s, each of those
/// starting with a byte of flags (bit 0: UTF-16), and the runs after them, which are not
/// read. `None` when the `CONTINUE`s hold fewer characters than the count.
///
/// [MS-XLS]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-xls/
fn txo(pieces: &[&[u8]], units: &mut Vec<u16>) -> Option<()> {
    units.clear();
    let count = usize::from(u16_at(pieces.first()?, 10)?);
    if count == 0 {
        return Some(());
    }
    let mut r = Pieces::new(pieces.get(1..)?);
    let flags = r.byte()?;
    r.chars(count, flags & 1 != 0, units)
}

/// A `HEADER` or `FOOTER` record's string into `units` (an empty record has none, and a
/// string that [says nothing](says_something) is none); `None` when the record is cut short.
fn header(data: &[u8], units: &mut Vec<u16>) -> Option<()> {
    units.clear();
    if data.is_empty() {
        return Some(());
    }
    Pieces::new(&[data]).string(units)?;
    if !says_something(units) {
        units.clear();
    }
    Some(())
}

/// Whether a header or footer has a letter or a digit outside Excel's `&` codes: `&` and a
/// character (`&P` the page number, `&F` the file's name, `&L` the left part, `&&` an `&`),
/// `&"Arial,Bold"` a font, `&12` a size, `&K` and six characters a color. One of codes only
/// (xlwt's default `&P` and `&F`, Excel's `Page &P of &N`'s codes but not its words) shows
/// nothing a person wrote.
fn says_something(units: &[u16]) -> bool {
    let mut chars = char::decode_utf16(units.iter().copied())
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .peekable();
    while let Some(c) = chars.next() {
        if c != '&' {
            if c.is_alphanumeric() {
                return true;
            }
            continue;
        }
        match chars.next() {
            Some('"') => {
                // A font's name and style, to the closing quote.
                chars.by_ref().find(|&c| c == '"');
            }
            Some(c) if c.is_ascii_digit() => while chars.next_if(char::is_ascii_digit).is_some() {},
            Some('K') => {
                for _ in 0..6 {
                    chars.next_if(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-'));
                }
            }
            _ => {}
        }
    }
    false
}

/// A `FORMAT` record: a format's number and code.
fn format(data: &[u8]) -> Option<(u16, String)> {
    let id = u16_at(data, 0)?;
    let code = [data.get(2..)?];
    let mut units = Vec::new();
    Pieces::new(&code).string(&mut units)?;
    Some((id, String::from_utf16_lossy(&units)))
}

/// A `BOUNDSHEET8` record: where the sheet starts (4 bytes), its visibility and kind (a
/// byte each), its name (a 1-byte count of characters, a byte of flags, the characters).
fn sheet(data: &[u8]) -> Option<Sheet> {
    let at = usize::try_from(u32_at(data, 0)?).ok()?;
    let kind = *data.get(5)?;
    let count = usize::from(*data.get(6)?);
    let wide = *data.get(7)? & 1 != 0;
    let name = [data.get(8..)?];
    let mut units = Vec::new();
    Pieces::new(&name).chars(count, wide, &mut units)?;
    Some(Sheet {
        name: String::from_utf16_lossy(&units),
        at,
        kind,
    })
}

/// What Excel shows for error code `code`.
fn error(code: u8) -> &'static str {
    match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0f => "#VALUE!",
        0x17 => "#REF!",
        0x1d => "#NAME?",
        0x24 => "#NUM!",
        0x2a => "#N/A",
        0x2b => "#GETTING_DATA",
        _ => "",
    }
}

/// The number an RK value holds: bit 1 set, a 30-bit signed integer in its high bits;
/// clear, the high 30 bits of a double (the low 34 zero); bit 0 set, divided by 100.
fn rk(rk: u32) -> f64 {
    let x = if rk & 2 != 0 {
        f64::from(i32::from_le_bytes(rk.to_le_bytes()) >> 2)
    } else {
        f64::from_bits(u64::from(rk & !3) << 32)
    };
    if rk & 1 != 0 { x / 100.0 } else { x }
}

/// A cell's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    /// A shared string, by index.
    Shared(usize),
    /// A string of the sheet's own ([`Cells::text`]), by index.
    Text(usize),
    Number(f64),
    Bool(bool),
    Error(u8),
    Blank,
}

/// A cell: where it is, its format (`XF`), its value.
#[derive(Debug, Clone, Copy)]
struct Cell {
    row: u16,
    col: u8,
    xf: u16,
    value: Value,
}

/// Where a cell is and its format: the first 6 bytes of every cell record.
#[derive(Debug, Clone, Copy)]
struct Place {
    row: u16,
    col: u16,
    xf: u16,
}

/// The cells of a sheet, as its records hold them.
#[derive(Default)]
struct Cells {
    cells: Vec<Cell>,
    /// The strings cells hold themselves (`LABEL`, `RSTRING`, `STRING`).
    text: Strings,
    /// Scratch for a string's characters.
    units: Vec<u16>,
}

impl Cells {
    /// The cells of the sheet whose `BOF` is at `at` in `stream`, up to its `EOF` (a
    /// chart embedded in it, a `BOF` to an `EOF` of its own, is stepped over but for its
    /// text); `None` when its records are damaged or end before its `EOF`. Its comments,
    /// text boxes, headers and footers go to `text`, a line each, as they are read.
    fn read(stream: &[u8], at: usize, text: &mut Vec<u8>) -> Option<Cells> {
        let mut records = Records { stream, at };
        if records.take()?.kind != BOF {
            return None;
        }
        let mut cells = Cells::default();
        let mut depth = 1usize;
        // A formula whose cached result is a string: the `STRING` record after it holds it.
        let mut formula = None;
        loop {
            let record = records.take()?;
            match record.kind {
                BOF => depth += 1,
                EOF if depth == 1 => return Some(cells),
                EOF => depth -= 1,
                kind @ (TXO | HEADER | FOOTER) => {
                    text_of(&mut records, kind, record.data, &mut cells.units, text);
                }
                _ if depth > 1 => {}
                STRING => {
                    let pieces = records.continued(record.data);
                    if let Some(place) = formula.take() {
                        Pieces::new(&pieces).string(&mut cells.units)?;
                        let i = cells.text.push(&cells.units);
                        cells.push(place, Value::Text(i));
                    }
                }
                kind if is_cell(kind) => {
                    formula = cells.record(kind, record.data)?;
                }
                _ => {}
            }
        }
    }

    /// Reads cell record `data` of type `kind`: `Some(Some(place))` for a formula whose
    /// string result follows, `None` when the record is cut short.
    fn record(&mut self, kind: u16, data: &[u8]) -> Option<Option<Place>> {
        let place = Place {
            row: u16_at(data, 0)?,
            col: u16_at(data, 2)?,
            xf: u16_at(data, 4)?,
        };
        let value = match kind {
            LABELSST => Value::Shared(usize::try_from(u32_at(data, 6)?).ok()?),
            LABEL | RSTRING => {
                Pieces::new(&[data.get(6..)?]).string(&mut self.units)?;
                Value::Text(self.text.push(&self.units))
            }
            NUMBER => Value::Number(f64::from_bits(u64_at(data, 6)?)),
            RK => Value::Number(rk(u32_at(data, 6)?)),
            BOOLERR => match (*data.get(6)?, *data.get(7)?) {
                (b, 0) => Value::Bool(b != 0),
                (code, _) => Value::Error(code),
            },
            FORMULA => return self.formula(place, data.get(6..14)?),
            MULRK => {
                self.mulrk(place, data.get(4..data.len().saturating_sub(2))?)?;
                return Some(None);
            }
            MULBLANK => {
                // Blanks only widen the row: the last one is as good as all.
                let count = data.len().checked_sub(6)? / 2;
                let last = place
                    .col
                    .checked_add(u16::try_from(count).ok()?.checked_sub(1)?)?;
                let col = last.min(MAX_COLUMNS - 1).max(place.col);
                self.push(Place { col, ..place }, Value::Blank);
                return Some(None);
            }
            _ => Value::Blank,
        };
        self.push(place, value);
        Some(None)
    }

    /// A `FORMULA` record's cached result, `result`: a double, or when its last two bytes
    /// are `FF FF` a string (in the `STRING` record after), a boolean, an error or nothing.
    fn formula(&mut self, place: Place, result: &[u8]) -> Option<Option<Place>> {
        let bytes: [u8; 8] = result.try_into().ok()?;
        let value = match bytes {
            [0, .., 0xff, 0xff] => return Some(Some(place)),
            [1, _, b, .., 0xff, 0xff] => Value::Bool(b != 0),
            [2, _, code, .., 0xff, 0xff] => Value::Error(code),
            [.., 0xff, 0xff] => Value::Blank,
            _ => Value::Number(f64::from_le_bytes(bytes)),
        };
        self.push(place, value);
        Some(None)
    }

    /// A `MULRK` record's cells from `place`'s column on: `entries`, 6 bytes each (a
    /// format and an RK value).
    fn mulrk(&mut self, place: Place, entries: &[u8]) -> Option<()> {
        if !entries.len().is_multiple_of(6) {
            return None;
        }
        for (col, entry) in (place.col..).zip(entries.chunks_exact(6)) {
            let xf = u16_at(entry, 0)?;
            let value = Value::Number(rk(u32_at(entry, 2)?));
            self.push(Place { col, xf, ..place }, value);
        }
        Some(())
    }

    /// Places a cell, unless it is past the last column.
    fn push(&mut self, place: Place, value: Value) {
        if let Ok(col) = u8::try_from(place.col) {
            self.cells.push(Cell {
                row: place.row,
                col,
                xf: place.xf,
                value,
            });
        }
    }
}

/// Whether records of type `kind` are cells (a `STRING` is read with its formula).
fn is_cell(kind: u16) -> bool {
    matches!(
        kind,
        LABELSST | LABEL | RSTRING | NUMBER | RK | MULRK | BOOLERR | FORMULA | BLANK | MULBLANK
    )
}

#[cfg(test)]
mod tests;
