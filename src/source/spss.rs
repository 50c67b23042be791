//! SPSS system files (`.sav`, and `.zsav` compressed with zlib) read for their cases: a file
//! is an archive whose one member, [`ROWS`], is its cases rendered as CSV (a header of the
//! variable names, then one line per case), as a Stata data set's observations are
//! ([`stata`](super::stata)). A patient file saved from SPSS, or with pyreadstat or R's
//! `haven`, holds its numbers as binary doubles (an SSN or MRN stored as a number, and every
//! date, is invisible as text), its strings space-padded to their width (a full-width SSN
//! runs into the next value: `999-01-2345     ` then the double's bytes), and with bytecode
//! or zlib compression no text runs at all. Rendered, the cases meet every rule a CSV export
//! meets, the variable names as column labels.
//!
//! The reader walks the format as PSPP documents it
//! (<https://www.gnu.org/software/pspp/pspp-dev/html_node/System-File-Format.html>) read-only,
//! in safe Rust, in either byte order: the header, the dictionary's variable records (a
//! string of more than 8 bytes takes continuation records, one per further 8-byte cell),
//! the long names (extension 13) shown in the header in place of the 8-byte ones, the very
//! long strings (extension 14: a string of more than 255 bytes is stored as several
//! variables, 255 bytes of it in each but the last, and is rendered joined), the encoding
//! (extension 20), then the cases: uncompressed, bytecode-compressed, or bytecode-compressed
//! and then deflated in zlib blocks (`.zsav`), which are inflated one after the other up to
//! the block index (the trailer's offsets are not needed for that). Value labels, documents
//! and the other extension records are stepped over. Every count is checked against the
//! bytes that hold what it counts before anything is sized by it, what is inflated is
//! charged to the archive budget as it is inflated (a small `.zsav` can expand a
//! thousandfold), and what is rendered as it is rendered.
//!
//! A header or dictionary that is damaged or cut short makes the file unreadable. Cases cut
//! short end the rows (what is not in the file cannot hold anything), but zlib blocks that
//! do not inflate make the file unreadable: what they hold is unknown.
//!
//! What a value renders as:
//! - strings lose their trailing spaces; they are shown as UTF-8 when they are, else as
//!   UTF-8 with replacement characters when the file says it is UTF-8 (a value cut inside a
//!   character), else as Latin-1 (older files hold the writer's 8-bit code page).
//! - numbers shown with a date format (`DATE`, `ADATE`, `EDATE`, `SDATE`, `JDATE`, `MOYR`,
//!   `QYR`, `WKYR`), which count seconds since 1582-10-14, as `YYYY-MM-DD`; with `DATETIME`
//!   or `YMDHMS` as `YYYY-MM-DD HH:MM:SS`. Out of the years 1 to 9999 they show their number.
//! - other numbers as their shortest decimal (an integral double prints as digits, so an
//!   MRN or SSN stored as a number reads as one), in exponent form below 1e-5 or from 1e16
//!   on, which no identifier is.
//! - the system-missing value renders as an empty field. User-missing values are values,
//!   and render as such.

use super::archive::{charge, csv_field as field, push_latin1, trim_end};
use super::calendar::{decimal, timestamp};
use std::collections::HashMap;
use std::ops::Range;

/// The name of a file's one member: its cases, as CSV.
pub const ROWS: &str = "(rows)";

/// Why a file cannot be read (its header or dictionary is damaged or cut short, or its
/// zlib blocks do not inflate).
const DAMAGED: &str = "a damaged SPSS file";

/// The bytes of the header record, where the dictionary starts.
const HEADER_LEN: usize = 176;

/// The system-missing value: the lowest double, `-DBL_MAX`.
const SYSMIS: u64 = 0xffef_ffff_ffff_ffff;

/// The widest string one variable holds: a wider one is a very long string, stored as
/// several variables (segments).
const LONGEST_SHORT: usize = 255;

/// The days from 1970-01-01 to 1582-10-14, the start of the Gregorian calendar, from which
/// SPSS counts the seconds of a date.
const GREGORIAN: i64 = -141_428;

/// The output the inflating of zlib blocks is grown by, and charged for, at a time.
const INFLATE_CHUNK: usize = 1 << 16;

/// A member of the archive a file is: its name and its CSV, or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// Whether `bytes` start as an SPSS system file: `$FL2` (or `$FL3`, the `.zsav` magic), a
/// layout code of 2 or 3 that gives the byte order, a known compression that agrees with
/// the magic, a case count of -1 (unknown) or more, and a dictionary that opens with a
/// variable record.
pub fn is_spss(bytes: &[u8]) -> bool {
    header(bytes).is_some()
}

/// The cases of SPSS file `bytes` as one member, [`ROWS`]: CSV under a header of the
/// variable names (the long ones where the file has them), in the file's order. What they
/// render to, and what is inflated to read them, is taken from `left`, the archive's budget.
///
/// # Errors
///
/// Why the file cannot be read, in words for the report: its header or dictionary is
/// damaged or cut short, its zlib blocks do not inflate, or its cases render past the
/// budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let header = header(bytes).ok_or(DAMAGED)?;
    let mut r = Reader {
        bytes,
        at: HEADER_LEN,
        big: header.big,
    };
    let dict = dictionary(&mut r).ok_or(DAMAGED)?;
    let file = File::new(&dict, header);
    let inflated;
    let data = match header.compression {
        Compression::Zlib => {
            inflated = inflate(zlib_blocks(&mut r).ok_or(DAMAGED)?, left)?;
            &inflated[..]
        }
        _ => bytes.get(r.at..).unwrap_or_default(),
    };
    let text = file.render(data, left)?;
    Ok(vec![(ROWS.to_owned(), Ok(text))])
}

/// How the cases are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Plain,
    Bytecode,
    /// Bytecode, then deflated in zlib blocks (`.zsav`).
    Zlib,
}

/// What the header record says about reading the cases.
#[derive(Debug, Clone, Copy)]
struct Header {
    big: bool,
    compression: Compression,
    /// The number of cases, when the writer knew it.
    ncases: Option<usize>,
    /// What bytecode's codes 1 to 251 are offset by (the value is the code less it).
    bias: f64,
}

/// The header record (`$FL2` or `$FL3`, the product name, the layout code, the nominal case
/// size, compression, weight index, case count, bias, date, time and label), checked to be
/// sane and followed by a variable record.
fn header(bytes: &[u8]) -> Option<Header> {
    let zsav = match bytes.get(..4)? {
        b"$FL2" => false,
        b"$FL3" => true,
        _ => return None,
    };
    let layout: [u8; 4] = bytes.get(64..68)?.try_into().ok()?;
    let big = match (i32::from_le_bytes(layout), i32::from_be_bytes(layout)) {
        (2 | 3, _) => false,
        (_, 2 | 3) => true,
        _ => return None,
    };
    let mut r = Reader { bytes, at: 68, big };
    let case_size = r.i32()?;
    let compression = match (r.i32()?, zsav) {
        (0, false) => Compression::Plain,
        (1, false) => Compression::Bytecode,
        (2, true) => Compression::Zlib,
        _ => return None,
    };
    let weight = r.i32()?;
    let ncases = match r.i32()? {
        -1 => None,
        n => Some(usize::try_from(n).ok()?),
    };
    let bias = r.f64()?;
    r.at = HEADER_LEN;
    let sane = case_size >= -1 && weight >= 0 && bias.is_finite();
    (sane && r.i32()? == 2).then_some(Header {
        big,
        compression,
        ncases,
        bias,
    })
}

/// A cursor over the file: each read is checked against its end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    big: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn i32(&mut self) -> Option<i32> {
        let b = self.array()?;
        Some(if self.big {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        })
    }

    fn i64(&mut self) -> Option<i64> {
        let b = self.array()?;
        Some(if self.big {
            i64::from_be_bytes(b)
        } else {
            i64::from_le_bytes(b)
        })
    }

    fn f64(&mut self) -> Option<f64> {
        let b = self.array()?;
        Some(double(b, self.big))
    }

    /// A 32-bit count, which must not be negative.
    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.i32()?).ok()
    }

    /// `count` items of `size` bytes each.
    fn items(&mut self, count: usize, size: usize) -> Option<&'a [u8]> {
        self.take(count.checked_mul(size)?)
    }
}

/// The double `b` holds in the file's byte order.
fn double(b: [u8; 8], big: bool) -> f64 {
    if big {
        f64::from_be_bytes(b)
    } else {
        f64::from_le_bytes(b)
    }
}

/// How a number is shown, from its variable's print format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Plain,
    /// Seconds since 1582-10-14, shown as a date.
    Date,
    /// Seconds since 1582-10-14, shown as a date and a time.
    DateTime,
}

impl Shown {
    /// How print format `format` (its type in the third byte, then width and decimals) shows
    /// a number.
    fn of(format: i32) -> Shown {
        match format >> 16 & 0xff {
            20 | 23 | 24 | 28 | 29 | 30 | 38 | 39 => Shown::Date,
            22 | 41 => Shown::DateTime,
            _ => Shown::Plain,
        }
    }
}

/// A variable record that starts a variable (not a continuation).
#[derive(Debug, Clone, Copy)]
struct Var<'a> {
    /// The 8-byte name, trailing spaces trimmed.
    name: &'a [u8],
    /// 0 for a number; a string's width in bytes.
    width: usize,
    shown: Shown,
    /// Its first 8-byte cell in a case, and how many it takes.
    slot: usize,
    slots: usize,
}

impl Var<'_> {
    /// The bytes of a case that hold it.
    fn range(&self) -> Range<usize> {
        let len = if self.width == 0 {
            8
        } else {
            self.width.min(self.slots * 8)
        };
        self.slot * 8..self.slot * 8 + len
    }
}

/// The dictionary: the variables and what the extension records add to them.
#[derive(Default)]
struct Dictionary<'a> {
    vars: Vec<Var<'a>>,
    /// The 8-byte cells of a case.
    slots: usize,
    /// Extension 13: `SHORT=Long` pairs, tab-separated.
    long_names: &'a [u8],
    /// Extension 14: `SHORT=00300` pairs, each ended by a NUL and a tab.
    very_long: &'a [u8],
    /// The file says its strings are UTF-8 (extension 20, or 3's code page 65001).
    utf8: bool,
}

/// The dictionary's records, through the termination record (999). Each record takes at
/// least 4 bytes, so the loop ends.
fn dictionary<'a>(r: &mut Reader<'a>) -> Option<Dictionary<'a>> {
    let mut dict = Dictionary::default();
    loop {
        let start = r.at;
        match r.i32()? {
            2 => variable(r, &mut dict)?,
            3 => value_labels(r)?,
            4 => {
                let n = r.count()?;
                r.items(n, 4)?;
            }
            6 => {
                let n = r.count()?;
                r.items(n, 80)?;
            }
            7 => extension(r, &mut dict)?,
            999 => {
                r.i32()?;
                return Some(dict);
            }
            _ => return None,
        }
        crate::work::add(r.at - start);
    }
}

/// A variable record (type 2, already read): a variable, or a continuation of the string
/// before it.
fn variable<'a>(r: &mut Reader<'a>, dict: &mut Dictionary<'a>) -> Option<()> {
    let typ = r.i32()?;
    let labeled = r.i32()?;
    let missing = r.i32()?;
    let print = r.i32()?;
    let _write = r.i32()?;
    let name = r.take(8)?;
    match labeled {
        0 => {}
        1 => {
            let len = r.count()?;
            r.take(len.checked_next_multiple_of(4)?)?;
        }
        _ => return None,
    }
    let missing = usize::try_from(missing.unsigned_abs()).ok()?;
    if missing > 3 {
        return None;
    }
    r.items(missing, 8)?;
    match typ {
        -1 => dict.vars.last_mut()?.slots += 1,
        0..=255 => dict.vars.push(Var {
            name: trim_end(name),
            width: usize::try_from(typ).ok()?,
            shown: Shown::of(print),
            slot: dict.slots,
            slots: 1,
        }),
        _ => return None,
    }
    dict.slots += 1;
    Some(())
}

/// A value label record (type 3, already read) and the variable index record (type 4) that
/// must follow it: labels for coded values, not rendered. Each label takes at least 16
/// bytes, so the loop ends.
fn value_labels(r: &mut Reader) -> Option<()> {
    let n = r.count()?;
    for _ in 0..n {
        r.take(8)?;
        let len = usize::from(*r.take(1)?.first()?);
        r.take((len + 1).next_multiple_of(8) - 1)?;
        crate::work::add(len + 9);
    }
    if r.i32()? != 4 {
        return None;
    }
    let n = r.count()?;
    r.items(n, 4)?;
    Some(())
}

/// An extension record (type 7, already read): a subtype, an item size and count, and the
/// items. Those read are kept; the others are stepped over.
fn extension<'a>(r: &mut Reader<'a>, dict: &mut Dictionary<'a>) -> Option<()> {
    let subtype = r.i32()?;
    let size = r.count()?;
    let count = r.count()?;
    let data = r.items(size, count)?;
    match subtype {
        // Machine integer info: the eighth integer is the character code.
        3 => {
            let code = data.get(28..32).and_then(|b| <[u8; 4]>::try_from(b).ok());
            let code = code.map(|b| {
                if r.big {
                    i32::from_be_bytes(b)
                } else {
                    i32::from_le_bytes(b)
                }
            });
            dict.utf8 |= code == Some(65001);
        }
        13 => dict.long_names = data,
        14 => dict.very_long = data,
        20 => {
            let name = trim_end(data);
            dict.utf8 = name.eq_ignore_ascii_case(b"UTF-8") || name.eq_ignore_ascii_case(b"UTF8");
        }
        _ => {}
    }
    Some(())
}

/// The `KEY=value` pairs of an extension record, split at `separator`.
fn pairs(data: &[u8], separator: u8) -> HashMap<&[u8], &[u8]> {
    crate::work::add(data.len());
    data.split(move |&b| b == separator)
        .filter_map(|pair| {
            let eq = memchr::memchr(b'=', pair)?;
            Some((pair.get(..eq)?, trim_end(pair.get(eq + 1..)?)))
        })
        .collect()
}

/// What a column renders as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number(Shown),
    /// A string, of at most this many bytes (a very long string's segments hold more).
    Text(usize),
}

/// A column of the CSV: a variable, or a very long string's segments joined.
struct Column<'a> {
    name: &'a [u8],
    kind: Kind,
    /// The bytes of a case that hold it, in order.
    pieces: Vec<Range<usize>>,
}

/// A file read as far as its cases: what rendering needs, borrowed from the file.
struct File<'a> {
    columns: Vec<Column<'a>>,
    /// Which 8-byte cells of a case hold strings (for bytecode's code 255).
    strings: Vec<bool>,
    header: Header,
    utf8: bool,
}

impl<'a> File<'a> {
    /// The columns of `dict`: a very long string's segments (the variables after it, as
    /// many as its width takes at 252 bytes each) joined into one.
    fn new(dict: &Dictionary<'a>, header: Header) -> File<'a> {
        let names = pairs(dict.long_names, b'\t');
        let very_long = pairs(dict.very_long, b'\t');
        let mut columns = Vec::new();
        let mut strings = vec![false; dict.slots];
        for var in dict.vars.iter().filter(|v| v.width > 0) {
            if let Some(cells) = strings.get_mut(var.slot..var.slot + var.slots) {
                cells.fill(true);
            }
        }
        let mut vars = dict.vars.iter().peekable();
        while let Some(var) = vars.next() {
            crate::work::add(var.slots);
            let name = names.get(var.name).copied().unwrap_or(var.name);
            if var.width == 0 {
                let kind = Kind::Number(var.shown);
                columns.push(Column {
                    name,
                    kind,
                    pieces: vec![var.range()],
                });
                continue;
            }
            let width = very_long.get(var.name).copied().and_then(decimal_usize);
            let width = width.filter(|&w| w > LONGEST_SHORT).unwrap_or(var.width);
            let mut pieces = vec![var.range()];
            // A segment for each 252 bytes of the width (each holds 255 but the last).
            for _ in 1..width.div_ceil(252) {
                let Some(segment) = vars.next_if(|v| v.width > 0) else {
                    break;
                };
                pieces.push(segment.range());
            }
            let kind = Kind::Text(width);
            columns.push(Column { name, kind, pieces });
        }
        File {
            columns,
            strings,
            header,
            utf8: dict.utf8,
        }
    }
}

/// The number ASCII digits `digits` spell (leading zeros and all), if they are digits.
fn decimal_usize(digits: &[u8]) -> Option<usize> {
    let digits = std::str::from_utf8(digits).ok()?;
    digits.parse().ok()
}

/// The zlib blocks of a `.zsav`: after the dictionary, a header of three 64-bit numbers
/// (its own offset, the trailer's offset and length), then the blocks up to the trailer.
fn zlib_blocks<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let at = r.at;
    let own = usize::try_from(r.i64()?).ok()?;
    let trailer = usize::try_from(r.i64()?).ok()?;
    r.i64()?;
    if own != at {
        return None;
    }
    r.bytes.get(r.at..trailer)
}

/// The zlib streams `blocks`, one after the other, inflated; what they inflate to is taken
/// from `left` as it is inflated.
fn inflate(mut blocks: &[u8], left: &mut u64) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    while !blocks.is_empty() {
        let mut z = flate2::Decompress::new(true);
        loop {
            let read = usize::try_from(z.total_in()).map_err(|_| DAMAGED)?;
            let input = blocks.get(read..).unwrap_or_default();
            let before = (z.total_in(), out.len());
            out.reserve(INFLATE_CHUNK);
            let status = z
                .decompress_vec(input, &mut out, flate2::FlushDecompress::None)
                .map_err(|_| DAMAGED)?;
            let grown = out.len() - before.1;
            crate::work::add(grown + (z.total_in() - before.0) as usize);
            charge(left, grown)?;
            if status == flate2::Status::StreamEnd {
                break;
            }
            if z.total_in() == before.0 && grown == 0 {
                return Err(DAMAGED);
            }
        }
        let read = usize::try_from(z.total_in()).map_err(|_| DAMAGED)?;
        blocks = blocks.get(read..).unwrap_or_default();
    }
    Ok(out)
}

/// The cases of the data, one at a time.
enum Cases<'a> {
    /// Uncompressed: a case is the next `len` bytes.
    Plain(std::slice::ChunksExact<'a, u8>),
    Bytecode(Bytecode<'a>),
}

impl<'a> Cases<'a> {
    /// The next case, decoded into `buf` (a case's bytes long) when it is compressed;
    /// `None` after the last whole case.
    fn next<'b>(&'b mut self, buf: &'b mut [u8], strings: &[bool]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        match self {
            Cases::Plain(chunks) => chunks.next(),
            Cases::Bytecode(codes) => {
                for (cell, &string) in buf.chunks_exact_mut(8).zip(strings) {
                    cell.copy_from_slice(&codes.cell(string)?);
                }
                Some(buf)
            }
        }
    }
}

/// The bytecode of compressed cases: blocks of eight one-byte codes, each followed by the
/// 8-byte cells its codes 253 take verbatim.
struct Bytecode<'a> {
    data: &'a [u8],
    at: usize,
    codes: [u8; 8],
    /// The next code of `codes` (8: a new block is read).
    next: usize,
    bias: f64,
    big: bool,
}

impl Bytecode<'_> {
    /// The next 8-byte cell (`string`: of a string), or `None` at the end code (252) or
    /// the data's end. Code 0 is padding, so the loop takes a block of codes at least
    /// every eight turns, and ends.
    fn cell(&mut self, string: bool) -> Option<[u8; 8]> {
        loop {
            if self.next == 8 {
                self.codes = self.take()?;
                self.next = 0;
                crate::work::add(8);
            }
            let code = *self.codes.get(self.next)?;
            self.next += 1;
            let number = |x: f64| {
                if self.big {
                    x.to_be_bytes()
                } else {
                    x.to_le_bytes()
                }
            };
            return match code {
                0 => continue,
                1..=251 => Some(number(f64::from(code) - self.bias)),
                252 => None,
                253 => self.take(),
                254 => Some(*b"        "),
                255 if string => Some(*b"        "),
                255 => Some(number(f64::from_bits(SYSMIS))),
            };
        }
    }

    fn take(&mut self) -> Option<[u8; 8]> {
        let end = self.at.checked_add(8)?;
        let cell = self.data.get(self.at..end)?.try_into().ok()?;
        self.at = end;
        Some(cell)
    }
}

impl File<'_> {
    /// The header and the cases of `data` (the bytes after the dictionary, inflated for a
    /// `.zsav`) as CSV, each field charged to `left` as it is rendered.
    fn render(&self, data: &[u8], left: &mut u64) -> Result<Vec<u8>, &'static str> {
        let mut text = Vec::new();
        if self.columns.is_empty() {
            return Ok(text);
        }
        let mut scratch = Vec::new();
        for (k, column) in self.columns.iter().enumerate() {
            if k > 0 {
                text.push(b',');
            }
            self.string(&mut text, &mut scratch, column.name);
        }
        text.push(b'\n');
        charge(left, text.len())?;
        let len = self.strings.len() * 8;
        let mut cases = match self.header.compression {
            Compression::Plain => Cases::Plain(data.chunks_exact(len)),
            _ => Cases::Bytecode(Bytecode {
                data,
                at: 0,
                codes: [0; 8],
                next: 8,
                bias: self.header.bias,
                big: self.header.big,
            }),
        };
        let mut buf = vec![0; len];
        let mut raw = Vec::new();
        for _ in 0..self.header.ncases.unwrap_or(usize::MAX) {
            let Some(case) = cases.next(&mut buf, &self.strings) else {
                break;
            };
            crate::work::add(case.len());
            for (k, column) in self.columns.iter().enumerate() {
                let start = text.len();
                if k > 0 {
                    text.push(b',');
                }
                self.value(&mut text, (&mut raw, &mut scratch), column, case);
                crate::work::add(text.len() - start);
                charge(left, text.len() - start)?;
            }
            text.push(b'\n');
            charge(left, 1)?;
        }
        Ok(text)
    }

    /// Appends the value of `column` in `case` as a CSV field; `raw` gathers a string's
    /// pieces, `scratch` decodes it.
    fn value(
        &self,
        text: &mut Vec<u8>,
        (raw, scratch): (&mut Vec<u8>, &mut Vec<u8>),
        column: &Column,
        case: &[u8],
    ) {
        match column.kind {
            Kind::Text(width) => {
                raw.clear();
                for piece in &column.pieces {
                    raw.extend_from_slice(case.get(piece.clone()).unwrap_or_default());
                }
                raw.truncate(width);
                self.string(text, scratch, trim_end(raw));
            }
            Kind::Number(shown) => {
                let cell = column.pieces.first().and_then(|p| case.get(p.clone()));
                let Some(cell) = cell.and_then(|c| <[u8; 8]>::try_from(c).ok()) else {
                    return;
                };
                let x = double(cell, self.header.big);
                if x.to_bits() == SYSMIS || !x.is_finite() {
                    return;
                }
                let dated = match shown {
                    Shown::Plain => None,
                    Shown::Date => timestamp(text, x, GREGORIAN, false),
                    Shown::DateTime => timestamp(text, x, GREGORIAN, true),
                };
                if dated.is_none() {
                    decimal(text, x);
                }
            }
        }
    }

    /// Appends string `raw` as a CSV field: as it is when UTF-8, else decoded as the file
    /// says (UTF-8 with replacement characters) or as Latin-1.
    fn string(&self, text: &mut Vec<u8>, scratch: &mut Vec<u8>, raw: &[u8]) {
        if std::str::from_utf8(raw).is_ok() {
            field(text, raw);
        } else if self.utf8 {
            field(text, String::from_utf8_lossy(raw).as_bytes());
        } else {
            scratch.clear();
            push_latin1(scratch, raw);
            field(text, scratch);
        }
    }
}

#[cfg(test)]
mod tests;
