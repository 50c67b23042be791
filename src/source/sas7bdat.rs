//! SAS data sets (`.sas7bdat`) read for their rows: a data set is an archive whose one member,
//! [`ROWS`], is its observations rendered as CSV (a header of the column names, then one line
//! per row), as a Stata data set's are ([`stata`](super::stata)). SAS is what healthcare
//! analytics saves patient data in, and a data set keeps its numbers as binary doubles (an
//! SSN or MRN stored as a number, and every date, is invisible as text), its character values
//! blank-padded and packed back to back, its column names in a text block apart from the
//! rows, and with `COMPRESS=CHAR` or `COMPRESS=BINARY` its rows compressed: read as text
//! runs, a bare `536904399` under a column `ssn` matched nothing. Rendered, the rows meet
//! every rule a CSV export meets, the column names as column labels.
//!
//! The format is SAS's own and undocumented; the reader walks it as Matthew Shotwell's
//! "SAS7BDAT Database Binary Format", ReadStat and pandas read it, read-only, in safe Rust:
//! the header (32- or 64-bit layout, either byte order, its length and page size), then the
//! pages after it. Meta, mix and AMD pages hold subheaders, found by the pointers after the
//! page header: the row size (row length and count, the rows a mix page holds), column size,
//! column text (the blocks names and formats point into), column name, column attributes
//! (each column's offset, width and type) and format subheaders are read; the subheader
//! counts and column list are not needed. Rows are on data pages, after a mix page's
//! subheaders, or (in a compressed data set) one per subheader, compressed with RLE
//! (`SASYZCRL`, `COMPRESS=CHAR`) or RDC (`SASYZCR2`, `COMPRESS=BINARY`) or kept whole where
//! compressing did not make them shorter. The metadata is read from every page first, then
//! the rows, in the pages' order, as many as each page holds: the row count only says
//! whether rows are missing (a count lowered by hand hid the rows past it from a reader
//! that stopped there, and no tool rewrites it so). Every offset and length is checked
//! against the page it is in before it is used, so nothing is sized by a count the bytes do
//! not hold; a compressed row is charged to the archive budget before it is decompressed
//! (its length is the row length, whatever it was compressed to) and must decompress to
//! exactly that length, and what is rendered is charged as it is rendered.
//!
//! A header or metadata that is damaged makes the file unreadable. A page or row that is
//! damaged (an unknown page type, a row that does not decompress to the row length, rows past
//! their page's end, fewer rows in all the pages the header counts than the row count) is left
//! out and the file's other rows are still read: the rows read are [`ROWS`] and the damage is
//! the unscannable member [`DAMAGED_ROWS`]; when no row could be read at all, [`ROWS`] is
//! unscannable itself. Rows cut short by the file's end end the rows (what is not in the file
//! cannot hold anything). Rows SAS marks as deleted are not told apart from the others.
//!
//! What a value renders as:
//! - character values lose their trailing blanks and NULs. They are shown as UTF-8 when they
//!   are; else as the header's encoding says: UTF-8 (with replacement characters, a value cut
//!   inside a character), Latin-1 (`latin1`, `latin9`, `us-ascii`) or Windows-1252
//!   (`wlatin1`, and the default and `any` codes, as ReadStat reads them); another encoding
//!   keeps its bytes.
//! - numbers are doubles stored in 3 to 8 bytes (`LENGTH`), their low-order bytes dropped.
//!   With a date format (`DATE`, `MMDDYY`, `YYMMDD`, `DDMMYY`, `E8601DA`, `WORDDATE` and the
//!   others pandas converts), days since 1960-01-01, as `YYYY-MM-DD`; with a date-time
//!   format (`DATETIME`, `E8601DT`, `DATEAMPM`…), seconds since 1960, as
//!   `YYYY-MM-DD HH:MM:SS`; with a time format (`TIME`, `HHMM`, `TIMEAMPM`, `E8601TM`…),
//!   seconds, as `HH:MM:SS` (and milliseconds when not whole). Out of the years 1 to 9999,
//!   or a negative time, they show their number.
//! - other numbers as their shortest decimal (an integral double prints as digits, so an
//!   MRN or SSN stored as a number reads as one), in exponent form below 1e-5 or from 1e16
//!   on, which no identifier is.
//! - missing values (`.`, `._` and `.A` to `.Z`, NaNs) render as empty fields.
//!
//! Labels and value formats other than the dates' (`DOLLAR`, user formats) are not rendered.

use super::archive::{charge, csv_field as field, push_latin1, trim_end};
use super::calendar::{decimal, timestamp};
use super::parquet::time_of_day;
use super::rtf::windows_1252;

/// The name of a data set's member of rows, as CSV.
pub const ROWS: &str = "(rows)";

/// The name of the member that says rows were left out: a page or row was damaged.
pub const DAMAGED_ROWS: &str = "(damaged rows)";

/// Why a data set cannot be read (its header or metadata is damaged or cut short).
const DAMAGED: &str = "a damaged SAS data set";

/// Why rows were left out: a page of them, or a row, is damaged.
const DAMAGED_PAGE: &str = "a damaged SAS data set page";

/// Why rows were left out: fewer were found than the data set counts, in all its pages.
const MISSING_ROWS: &str = "a SAS data set missing rows it counts";

/// Why compressed rows were left out: the data set names no compression phiguard reads.
const UNREAD_COMPRESSION: &str = "a SAS data set compressed in a way phiguard does not read";

/// How every data set starts.
const MAGIC: [u8; 32] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc2, 0xea, 0x81, 0x60,
    0xb3, 0x14, 0x11, 0xcf, 0xbd, 0x92, 0x08, 0x00, 0x09, 0xc7, 0x31, 0x8c, 0x18, 0x1f, 0x10, 0x11,
];

/// The days from 1970-01-01 to 1960-01-01, from which SAS counts dates.
const SAS_EPOCH: i64 = -3653;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// The subheaders' signatures, as the low 32 bits of their first 4 or 8 bytes (a number of
/// the file's byte order).
const ROW_SIZE: u32 = 0xF7F7_F7F7;
const COLUMN_SIZE: u32 = 0xF6F6_F6F6;
const COUNTS: u32 = 0xFFFF_FC00;
const FORMAT: u32 = 0xFFFF_FBFE;
const COLUMN_TEXT: u32 = 0xFFFF_FFFD;
const COLUMN_NAME: u32 = 0xFFFF_FFFF;
const COLUMN_ATTRS: u32 = 0xFFFF_FFFC;
/// The column list (`0xFFFFFFFE`) and other column subheaders: their signatures all have
/// these bits set, and none is needed.
const COLUMN_MASK: u32 = 0xFFFF_FFF8;

/// A subheader pointer's compression byte: a row compressed (or kept whole) as a subheader,
/// and a truncated subheader, which holds nothing.
const COMPRESSED_ROW: u8 = 4;
const TRUNCATED: u8 = 1;

/// A member of the archive a data set is: its name and its CSV, or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// Whether `bytes` start as a SAS data set: its 32 magic bytes (a SAS catalog, `.sas7bcat`,
/// differs in one of them).
pub fn is_sas7bdat(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// The rows of data set `bytes` as one member, [`ROWS`]: CSV under a header of the column
/// names, in the file's order; then [`DAMAGED_ROWS`] when a page or row could not be read.
/// What they render to, and what compressed rows decompress to, is taken from `left`, the
/// archive's budget.
///
/// # Errors
///
/// Why the data set cannot be read, in words for the report: its header or metadata is
/// damaged or cut short, or its rows render past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let header = Header::read(bytes).ok_or(DAMAGED)?;
    let set = DataSet::read(bytes, &header).ok_or(DAMAGED)?;
    if set.columns.is_empty() {
        return Ok(vec![(ROWS.to_owned(), Ok(Vec::new()))]);
    }
    let mut out = Output {
        set: &set,
        text: Vec::new(),
        scratch: Vec::new(),
        row: Vec::new(),
        left,
        rows: 0,
        damage: None,
    };
    out.header()?;
    // Every page is read, past the row count too: a count lowered by hand (to 0) hid every
    // row from the scan, while each page still counts the rows it holds.
    for page in header.pages(bytes) {
        out.page(page)?;
    }
    // Rows the data set counts that no page held, though every page it counts is here:
    // pointers to them were lost (made empty or truncated), not the file's end.
    if out.rows < set.row_count && header.whole(bytes) {
        out.damaged(MISSING_ROWS);
    }
    let Output {
        text, rows, damage, ..
    } = out;
    Ok(match damage {
        None => vec![(ROWS.to_owned(), Ok(text))],
        Some(why) if rows == 0 => vec![(ROWS.to_owned(), Err(why))],
        Some(why) => vec![
            (ROWS.to_owned(), Ok(text)),
            (DAMAGED_ROWS.to_owned(), Err(why)),
        ],
    })
}

/// How the strings of a data set are encoded, from its header's encoding byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Latin1,
    Windows1252,
    /// Another encoding (a CJK one, a Cyrillic code page): its bytes are kept.
    Other,
}

impl Encoding {
    /// The encoding of SAS's code `code` (ReadStat's table).
    fn of(code: u8) -> Encoding {
        match code {
            20 => Encoding::Utf8,
            // `us-ascii`, `latin1` and `latin9` (which differs from Latin-1 in 8 letters).
            28 | 29 | 40 => Encoding::Latin1,
            // `wlatin1`; no code and `any` are read as it too.
            0 | 62 | 204 => Encoding::Windows1252,
            _ => Encoding::Other,
        }
    }
}

/// The file header: the layout of what follows it.
#[derive(Debug, Clone, Copy)]
struct Header {
    /// The 64-bit layout (`u64`): 8-byte offsets and lengths, 40-byte page headers.
    wide: bool,
    big: bool,
    encoding: Encoding,
    /// Where the first page starts.
    len: usize,
    page_size: usize,
    /// The pages it says follow it.
    page_count: u64,
}

impl Header {
    /// The header of `bytes`, if it starts as one and its numbers fit.
    fn read(bytes: &[u8]) -> Option<Header> {
        if !is_sas7bdat(bytes) {
            return None;
        }
        let wide = *bytes.get(32)? == 0x33;
        // Four bytes of padding before the header's times when the byte at 35 says so.
        let pad = if *bytes.get(35)? == 0x33 { 4 } else { 0 };
        let big = match *bytes.get(37)? {
            0 => true,
            1 => false,
            _ => return None,
        };
        let encoding = Encoding::of(*bytes.get(70)?);
        let len = usize::try_from(uint(bytes, 196 + pad, 4, big)?).ok()?;
        let page_size = usize::try_from(uint(bytes, 200 + pad, 4, big)?).ok()?;
        let page_count = uint(bytes, 204 + pad, if wide { 8 } else { 4 }, big)?;
        let header = Header {
            wide,
            big,
            encoding,
            len,
            page_size,
            page_count,
        };
        // A page holds at least its header; a zero size would not step through the file.
        (len >= 204 + pad + header.int() && page_size > header.page_header()).then_some(header)
    }

    /// The bytes of an offset or length in a page: 4, or 8 in the 64-bit layout.
    fn int(&self) -> usize {
        if self.wide { 8 } else { 4 }
    }

    /// Where a page's type, block count and subheader count are.
    fn page_fields(&self) -> usize {
        if self.wide { 32 } else { 16 }
    }

    /// The bytes of a page header: where a page's subheader pointers (or rows) start.
    fn page_header(&self) -> usize {
        self.page_fields() + 8
    }

    /// The bytes of a subheader pointer.
    fn pointer(&self) -> usize {
        if self.wide { 24 } else { 12 }
    }

    /// Whether `bytes` hold every page the header counts, whole.
    fn whole(&self, bytes: &[u8]) -> bool {
        let pages = bytes.len().saturating_sub(self.len) / self.page_size;
        pages as u64 >= self.page_count
    }

    /// The pages of `bytes`, from the header's end; the last one may be cut short.
    fn pages<'a>(&self, bytes: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
        bytes
            .get(self.len..)
            .unwrap_or_default()
            .chunks(self.page_size)
    }

    /// The unsigned number of `n` bytes at `at` in `bytes`, in the file's byte order.
    fn uint(&self, bytes: &[u8], at: usize, n: usize) -> Option<u64> {
        uint(bytes, at, n, self.big)
    }

    /// A page's kind and its block and subheader counts; `None` when the page is too short
    /// to have them.
    fn page(&self, page: &[u8]) -> Option<(Page, u64, usize)> {
        let at = self.page_fields();
        let typ = self.uint(page, at, 2)?;
        let blocks = self.uint(page, at + 2, 2)?;
        let subheaders = usize::try_from(self.uint(page, at + 4, 2)?).ok()?;
        let kind = if typ & 0x9000 != 0 {
            Page::Compressed
        } else {
            match typ & 0x0F00 {
                0x0000 => Page::Meta,
                0x0100 => Page::Data,
                0x0200 => Page::Mix,
                0x0400 => Page::Amd,
                _ => Page::Unknown,
            }
        };
        Some((kind, blocks, subheaders))
    }

    /// The subheader pointers of a page with `count` of them: each checked to point inside
    /// the page after the pointers. Empty and truncated subheaders are left out. `None` when
    /// a pointer is damaged.
    fn pointers(&self, page: &[u8], count: usize) -> Option<Vec<Pointer>> {
        let (int, size) = (self.int(), self.pointer());
        let first = self.page_header();
        let end = count.checked_mul(size)?.checked_add(first)?;
        if end > page.len() {
            return None;
        }
        let mut out = Vec::new();
        for at in (first..end).step_by(size) {
            crate::work::add(size);
            let offset = usize::try_from(self.uint(page, at, int)?).ok()?;
            let len = usize::try_from(self.uint(page, at + int, int)?).ok()?;
            let compression = *page.get(at + 2 * int)?;
            let row = *page.get(at + 2 * int + 1)? == 1;
            if len == 0 || compression == TRUNCATED {
                continue;
            }
            if offset < end || offset.checked_add(len)? > page.len() {
                return None;
            }
            out.push(Pointer {
                at: offset,
                len,
                compression,
                row,
            });
        }
        Some(out)
    }

    /// The signature of subheader `sub`: the low 32 bits of its first 4 or 8 bytes.
    fn signature(&self, sub: &[u8]) -> Option<u32> {
        // Truncated to the low 32 bits on purpose: 64-bit signatures are sign-extended.
        self.uint(sub, 0, self.int()).map(|s| s as u32)
    }
}

/// A page's kind, from its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// Metadata subheaders, and in a compressed data set rows.
    Meta,
    Data,
    /// Subheaders, then rows.
    Mix,
    /// Metadata amended after the data set was written.
    Amd,
    /// A page of the compression's own (`0x9000` bits), holding no rows.
    Compressed,
    Unknown,
}

/// A subheader pointer: where the subheader is in its page, its compression byte and
/// whether it is marked as possibly a row.
#[derive(Debug, Clone, Copy)]
struct Pointer {
    at: usize,
    len: usize,
    compression: u8,
    row: bool,
}

/// Whether a subheader of `signature` is metadata (read or not), not a row.
fn is_metadata(signature: u32) -> bool {
    matches!(signature, ROW_SIZE | COLUMN_SIZE | COUNTS | FORMAT)
        || signature & COLUMN_MASK == COLUMN_MASK
}

/// A reference into a column text block: its index (in the order the blocks come), and the
/// offset and length of the text in it.
#[derive(Debug, Clone, Copy)]
struct TextRef {
    block: usize,
    at: usize,
    len: usize,
}

impl TextRef {
    /// The reference whose 6 bytes are at `at` in `sub`.
    fn read(header: &Header, sub: &[u8], at: usize) -> Option<TextRef> {
        let n = |k: usize| {
            header
                .uint(sub, at + k, 2)
                .and_then(|v| usize::try_from(v).ok())
        };
        Some(TextRef {
            block: n(0)?,
            at: n(2)?,
            len: n(4)?,
        })
    }

    /// The text it refers to in `blocks`; `None` when it is not there.
    fn text<'a>(&self, blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
        if self.len == 0 {
            return Some(&[]);
        }
        blocks
            .get(self.block)?
            .get(self.at..self.at.checked_add(self.len)?)
    }
}

/// A column's attributes: where its value is in a row, how wide, and its type (1 numeric,
/// 2 character).
#[derive(Debug, Clone, Copy)]
struct Attributes {
    at: u64,
    width: u64,
    typ: u8,
}

/// How a number is shown, from its column's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Plain,
    /// Days since 1960-01-01.
    Date,
    /// Seconds since 1960-01-01 00:00.
    DateTime,
    /// Seconds since midnight.
    Time,
}

/// The date formats: pandas' list (after Parso's), and `IS8601DA`.
const DATE_FORMATS: &[&[u8]] = &[
    b"DATE",
    b"DAY",
    b"DDMMYY",
    b"DOWNAME",
    b"JULDAY",
    b"JULIAN",
    b"MMDDYY",
    b"MMYY",
    b"MMYYC",
    b"MMYYD",
    b"MMYYP",
    b"MMYYS",
    b"MMYYN",
    b"MONNAME",
    b"MONTH",
    b"MONYY",
    b"QTR",
    b"QTRR",
    b"NENGO",
    b"WEEKDATE",
    b"WEEKDATX",
    b"WEEKDAY",
    b"WEEKV",
    b"WORDDATE",
    b"WORDDATX",
    b"YEAR",
    b"YYMM",
    b"YYMMC",
    b"YYMMD",
    b"YYMMP",
    b"YYMMS",
    b"YYMMN",
    b"YYMON",
    b"YYMMDD",
    b"YYQ",
    b"YYQC",
    b"YYQD",
    b"YYQP",
    b"YYQS",
    b"YYQN",
    b"YYQR",
    b"YYQRC",
    b"YYQRD",
    b"YYQRP",
    b"YYQRS",
    b"YYQRN",
    b"YYMMDDP",
    b"YYMMDDC",
    b"E8601DA",
    b"YYMMDDN",
    b"MMDDYYC",
    b"MMDDYYS",
    b"MMDDYYD",
    b"YYMMDDS",
    b"B8601DA",
    b"DDMMYYN",
    b"YYMMDDD",
    b"DDMMYYB",
    b"DDMMYYP",
    b"MMDDYYP",
    b"YYMMDDB",
    b"MMDDYYN",
    b"DDMMYYC",
    b"DDMMYYD",
    b"DDMMYYS",
    b"MINGUO",
    b"IS8601DA",
];

/// The date-time formats: pandas' list, and `IS8601DT`.
const DATETIME_FORMATS: &[&[u8]] = &[
    b"DATETIME",
    b"DTWKDATX",
    b"B8601DN",
    b"B8601DT",
    b"B8601DX",
    b"B8601DZ",
    b"B8601LX",
    b"E8601DN",
    b"E8601DT",
    b"E8601DX",
    b"E8601DZ",
    b"E8601LX",
    b"DATEAMPM",
    b"DTDATE",
    b"DTMONYY",
    b"DTYEAR",
    b"TOD",
    b"MDYAMPM",
    b"IS8601DT",
];

/// The time formats.
const TIME_FORMATS: &[&[u8]] = &[
    b"TIME",
    b"TIMEAMPM",
    b"HHMM",
    b"HOUR",
    b"MMSS",
    b"E8601TM",
    b"B8601TM",
    b"IS8601TM",
    b"E8601TZ",
    b"B8601TZ",
    b"E8601LZ",
    b"B8601LZ",
];

impl Shown {
    /// How format `format` (`DATE`, `MMDDYY10.`, `DATETIME19.`, `BEST12.`) shows a number:
    /// its name is what is left without a width and decimals after it.
    fn of(format: &[u8]) -> Shown {
        let name = format.trim_ascii();
        let end = name
            .iter()
            .rposition(|&b| !(b.is_ascii_digit() || b == b'.'))
            .map_or(0, |i| i + 1);
        let name = name[..end].to_ascii_uppercase();
        let name = name.as_slice();
        if DATE_FORMATS.contains(&name) {
            Shown::Date
        } else if DATETIME_FORMATS.contains(&name) {
            Shown::DateTime
        } else if TIME_FORMATS.contains(&name) {
            Shown::Time
        } else {
            Shown::Plain
        }
    }
}

/// A column: its name, where its value is in a row, and how it is shown.
#[derive(Debug, Clone)]
struct Column<'a> {
    name: &'a [u8],
    at: usize,
    width: usize,
    numeric: bool,
    shown: Shown,
}

/// How the rows are compressed, from the first column text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    /// `SASYZCRL`: `COMPRESS=CHAR` (and `YES`).
    Rle,
    /// `SASYZCR2`: `COMPRESS=BINARY`.
    Rdc,
}

/// What the metadata subheaders say, as they are read.
#[derive(Default)]
struct Metadata<'a> {
    /// Row length, row count and the rows a mix page holds.
    row_size: Option<(u64, u64, u64)>,
    column_count: Option<u64>,
    texts: Vec<&'a [u8]>,
    names: Vec<TextRef>,
    attributes: Vec<Attributes>,
    formats: Vec<TextRef>,
}

impl<'a> Metadata<'a> {
    /// Reads metadata subheader `sub` of `signature`; `None` when it is damaged.
    fn read(&mut self, header: &Header, signature: u32, sub: &'a [u8]) -> Option<()> {
        let int = header.int();
        crate::work::add(sub.len());
        match signature {
            ROW_SIZE => {
                // The rows a mix page holds are the last field read (at 15 × int).
                if sub.len() < 16 * int {
                    return None;
                }
                if self.row_size.is_none() {
                    let n = |k: usize| header.uint(sub, k * int, int);
                    self.row_size = Some((n(5)?, n(6)?, n(15)?));
                }
            }
            COLUMN_SIZE => {
                self.column_count.get_or_insert(header.uint(sub, int, int)?);
            }
            COLUMN_TEXT => self.texts.push(sub.get(int..)?),
            COLUMN_NAME => {
                let count = sub.len().checked_sub(2 * int + 12)? / 8;
                for k in 0..count {
                    self.names
                        .push(TextRef::read(header, sub, int + 8 + 8 * k)?);
                }
            }
            COLUMN_ATTRS => {
                let size = int + 8;
                let count = sub.len().checked_sub(2 * int + 12)? / size;
                for k in 0..count {
                    let at = int + 8 + size * k;
                    self.attributes.push(Attributes {
                        at: header.uint(sub, at, int)?,
                        width: header.uint(sub, at + int, 4)?,
                        typ: *sub.get(at + int + 6)?,
                    });
                }
            }
            FORMAT => {
                // The format's reference, then the label's.
                if sub.len() < 3 * int + 34 {
                    return None;
                }
                self.formats.push(TextRef::read(header, sub, 3 * int + 22)?);
            }
            _ => {}
        }
        Some(())
    }
}

/// A data set read as far as its rows: what rendering needs, borrowed from the file.
struct DataSet<'a> {
    header: Header,
    columns: Vec<Column<'a>>,
    row_length: usize,
    row_count: u64,
    /// The most rows a mix page holds.
    mix_rows: u64,
    compression: Compression,
}

impl<'a> DataSet<'a> {
    /// The metadata of every meta, mix and AMD page of `bytes`, made columns; `None` when
    /// a page's pointers or a metadata subheader are damaged, or what they say does not fit.
    fn read(bytes: &'a [u8], header: &Header) -> Option<DataSet<'a>> {
        let mut meta = Metadata::default();
        for page in header.pages(bytes) {
            crate::work::add(header.page_header());
            let Some((kind, _, count)) = header.page(page) else {
                // A last page cut inside its header.
                break;
            };
            if !matches!(kind, Page::Meta | Page::Mix | Page::Amd) {
                continue;
            }
            for p in header.pointers(page, count)? {
                let sub = &page[p.at..p.at + p.len];
                match p.compression {
                    COMPRESSED_ROW => {}
                    0 => match header.signature(sub)? {
                        s if is_metadata(s) => meta.read(header, s, sub)?,
                        // A row kept whole as a subheader.
                        _ if p.row => {}
                        _ => return None,
                    },
                    _ => return None,
                }
            }
        }
        DataSet::of(meta, *header)
    }

    /// The columns `meta` describes, each checked to fit in a row.
    fn of(meta: Metadata<'a>, header: Header) -> Option<DataSet<'a>> {
        let (row_length, row_count, mix_rows) = meta.row_size?;
        let row_length = usize::try_from(row_length).ok()?;
        let count = usize::try_from(meta.column_count?).ok()?;
        if meta.attributes.len() < count || meta.names.len() < count {
            return None;
        }
        let mut columns = Vec::new();
        for k in 0..count {
            crate::work::add(1);
            let a = meta.attributes[k];
            let numeric = match a.typ {
                1 => true,
                2 => false,
                _ => return None,
            };
            let width = usize::try_from(a.width).ok()?;
            let at = usize::try_from(a.at).ok()?;
            // A value takes at least a byte (so a row does), a number at most 8.
            if width == 0 || numeric && width > 8 || at.checked_add(width)? > row_length {
                return None;
            }
            let name = meta.names[k].text(&meta.texts)?;
            // A format that is not there shows the number as it is.
            let format = meta.formats.get(k).and_then(|f| f.text(&meta.texts));
            columns.push(Column {
                name: trim_end(name),
                at,
                width,
                numeric,
                shown: format.map_or(Shown::Plain, Shown::of),
            });
        }
        let first = meta.texts.first().copied().unwrap_or_default();
        let has = |literal: &[u8]| {
            crate::work::add(first.len());
            first.windows(literal.len()).any(|w| w == literal)
        };
        let compression = if has(b"SASYZCRL") {
            Compression::Rle
        } else if has(b"SASYZCR2") {
            Compression::Rdc
        } else {
            Compression::None
        };
        Some(DataSet {
            header,
            columns,
            row_length,
            row_count,
            mix_rows,
            compression,
        })
    }
}

/// The rendering of a data set's rows, page by page.
struct Output<'s, 'a, 'l> {
    set: &'s DataSet<'a>,
    text: Vec<u8>,
    /// A character value made UTF-8, kept across values.
    scratch: Vec<u8>,
    /// A decompressed row, kept across rows.
    row: Vec<u8>,
    left: &'l mut u64,
    /// The rows rendered.
    rows: u64,
    /// Why rows were left out, if any were.
    damage: Option<&'static str>,
}

impl Output<'_, '_, '_> {
    /// The header line: the column names.
    fn header(&mut self) -> Result<(), &'static str> {
        if self.set.columns.is_empty() {
            return Ok(());
        }
        let encoding = self.set.header.encoding;
        for (k, column) in self.set.columns.iter().enumerate() {
            if k > 0 {
                self.text.push(b',');
            }
            string(&mut self.text, &mut self.scratch, column.name, encoding);
        }
        self.text.push(b'\n');
        crate::work::add(self.text.len());
        charge(self.left, self.text.len())
    }

    /// Notes that rows were left out for `why`.
    fn damaged(&mut self, why: &'static str) {
        self.damage.get_or_insert(why);
    }

    /// The rows of `page`.
    fn page(&mut self, page: &[u8]) -> Result<(), &'static str> {
        let header = self.set.header;
        crate::work::add(header.page_header());
        let Some((kind, blocks, count)) = header.page(page) else {
            // A last page cut inside its header: what is not in the file holds nothing.
            return Ok(());
        };
        match kind {
            Page::Compressed => Ok(()),
            Page::Unknown => {
                self.damaged(DAMAGED_PAGE);
                Ok(())
            }
            Page::Data => self.packed(page, header.page_header(), blocks),
            Page::Meta | Page::Mix | Page::Amd => {
                // The metadata pass read these pointers.
                let Some(pointers) = header.pointers(page, count) else {
                    self.damaged(DAMAGED_PAGE);
                    return Ok(());
                };
                for p in pointers {
                    self.subheader(&page[p.at..p.at + p.len], p)?;
                }
                if kind == Page::Mix {
                    let end = header.page_header() + count * header.pointer();
                    // Its blocks are its subheaders and its rows, which the row size
                    // subheader bounds too; they start at an 8-byte boundary.
                    let rows = blocks.saturating_sub(count as u64).min(self.set.mix_rows);
                    self.packed(page, end.next_multiple_of(8), rows)?;
                }
                Ok(())
            }
        }
    }

    /// The subheader `sub` of pointer `p`, if it is a row.
    fn subheader(&mut self, sub: &[u8], p: Pointer) -> Result<(), &'static str> {
        let set = self.set;
        let length = set.row_length;
        match p.compression {
            COMPRESSED_ROW => {
                let method = match set.compression {
                    Compression::Rle => rle,
                    Compression::Rdc => rdc,
                    // Only a row kept whole can be read.
                    Compression::None if sub.len() == length => return self.render(sub),
                    Compression::None => {
                        self.damaged(UNREAD_COMPRESSION);
                        return Ok(());
                    }
                };
                charge(self.left, length)?;
                let mut row = std::mem::take(&mut self.row);
                row.clear();
                let read = match method(sub, &mut row, length) {
                    Some(()) if row.len() == length => self.render(&row),
                    // Compressing did not make it shorter: kept whole.
                    _ if sub.len() == length => self.render(sub),
                    _ => {
                        self.damaged(DAMAGED_PAGE);
                        Ok(())
                    }
                };
                self.row = row;
                read
            }
            0 if p.row && set.header.signature(sub).is_some_and(|s| !is_metadata(s)) => {
                if sub.len() == length {
                    self.render(sub)
                } else {
                    self.damaged(DAMAGED_PAGE);
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Up to `count` rows packed from `at` in `page` (a data page's, or a mix page's after
    /// its subheaders), whatever the data set's row count says. Rows past the page's end
    /// are damage, unless the file ends there.
    fn packed(&mut self, page: &[u8], at: usize, count: u64) -> Result<(), &'static str> {
        let length = self.set.row_length;
        if count == 0 || length == 0 {
            return Ok(());
        }
        // The columns fit in a row, and take a byte each: a row is at least a byte.
        let rows = page.get(at..).unwrap_or_default().chunks_exact(length);
        let fit = rows.len() as u64;
        for row in rows.take(usize::try_from(count).unwrap_or(usize::MAX)) {
            self.render(row)?;
        }
        if fit < count && page.len() == self.set.header.page_size {
            self.damaged(DAMAGED_PAGE);
        }
        Ok(())
    }

    /// Row `row` (of the row length) as a CSV line, each field charged as it is rendered.
    fn render(&mut self, row: &[u8]) -> Result<(), &'static str> {
        self.rows += 1;
        crate::work::add(row.len());
        let encoding = self.set.header.encoding;
        let big = self.set.header.big;
        for (k, column) in self.set.columns.iter().enumerate() {
            let start = self.text.len();
            if k > 0 {
                self.text.push(b',');
            }
            // Within the row: checked against the row length.
            let raw = row
                .get(column.at..column.at + column.width)
                .unwrap_or_default();
            if column.numeric {
                number(&mut self.text, column.shown, raw, big);
            } else {
                string(&mut self.text, &mut self.scratch, trim_end(raw), encoding);
            }
            crate::work::add(self.text.len() - start);
            charge(self.left, self.text.len() - start)?;
        }
        if !self.set.columns.is_empty() {
            self.text.push(b'\n');
            charge(self.left, 1)?;
        }
        Ok(())
    }
}

/// Appends character value `raw` as a CSV field: as it is when it is UTF-8, else read in
/// `encoding`.
fn string(text: &mut Vec<u8>, scratch: &mut Vec<u8>, raw: &[u8], encoding: Encoding) {
    if std::str::from_utf8(raw).is_ok() {
        field(text, raw);
        return;
    }
    scratch.clear();
    match encoding {
        Encoding::Utf8 => scratch.extend_from_slice(String::from_utf8_lossy(raw).as_bytes()),
        Encoding::Latin1 => push_latin1(scratch, raw),
        Encoding::Windows1252 => {
            for &b in raw {
                let c = char::from_u32(windows_1252(b)).unwrap_or(char::REPLACEMENT_CHARACTER);
                scratch.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
        }
        Encoding::Other => scratch.extend_from_slice(raw),
    }
    field(text, scratch);
}

/// The double numeric value `raw` (its 1 to 8 high-order bytes, in the file's byte order)
/// holds; `None` for a missing value (a NaN).
fn double(raw: &[u8], big: bool) -> Option<f64> {
    let mut bytes = [0; 8];
    let len = raw.len().min(8);
    let bits = if big {
        bytes[..len].copy_from_slice(&raw[..len]);
        u64::from_be_bytes(bytes)
    } else {
        bytes[8 - len..].copy_from_slice(&raw[..len]);
        u64::from_le_bytes(bytes)
    };
    let x = f64::from_bits(bits);
    (!x.is_nan()).then_some(x)
}

/// Appends numeric value `raw` as `shown`: a date, date-time or time when it is one in
/// range, else its decimal; nothing when it is missing.
fn number(text: &mut Vec<u8>, shown: Shown, raw: &[u8], big: bool) {
    let Some(x) = double(raw, big) else {
        return;
    };
    let shown = match shown {
        Shown::Plain => None,
        Shown::Date => timestamp(text, x * SECONDS_PER_DAY, SAS_EPOCH, false),
        Shown::DateTime => timestamp(text, x, SAS_EPOCH, true),
        Shown::Time => (0.0..1e12).contains(&x).then(|| {
            // Whole milliseconds, well inside an i128.
            time_of_day(text, (x * 1000.0).round() as i128, 1000);
        }),
    };
    if shown.is_none() {
        decimal(text, x);
    }
}

/// The unsigned number of `n` bytes (at most 8) at `at` in `bytes`, big- or little-endian.
fn uint(bytes: &[u8], at: usize, n: usize, big: bool) -> Option<u64> {
    Some(super::stata::uint(bytes.get(at..at.checked_add(n)?)?, big))
}

/// Appends to `out` what RLE-compressed (`SASYZCRL`) `input` decompresses to; `None` when
/// it is damaged: a command SAS does not write, a copy past the input's end, or more than
/// `limit` bytes in all. Each command takes at least a byte of the input, and nothing is
/// written past `limit`.
fn rle(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Option<()> {
    let mut at = 0;
    let next = |at: &mut usize| {
        let b = *input.get(*at)?;
        *at += 1;
        Some(b)
    };
    let count = |at: &mut usize| next(at).map(usize::from);
    while at < input.len() {
        let control = count(&mut at)?;
        let low = control & 0x0F;
        let (copy, fill) = match control >> 4 {
            0x0 => (count(&mut at)? + 64 + low * 256, None),
            0x1 => (count(&mut at)? + 64 + low * 256 + 4096, None),
            0x2 => (low + 96, None),
            0x4 => {
                let n = count(&mut at)? + 18 + low * 256;
                (0, Some((n, next(&mut at)?)))
            }
            0x5 => (0, Some((count(&mut at)? + 17 + low * 256, b'@'))),
            0x6 => (0, Some((count(&mut at)? + 17 + low * 256, b' '))),
            0x7 => (0, Some((count(&mut at)? + 17 + low * 256, 0))),
            0x8 => (low + 1, None),
            0x9 => (low + 17, None),
            0xA => (low + 33, None),
            0xB => (low + 49, None),
            0xC => (0, Some((low + 3, next(&mut at)?))),
            0xD => (0, Some((low + 2, b'@'))),
            0xE => (0, Some((low + 2, b' '))),
            0xF => (0, Some((low + 2, 0))),
            _ => return None,
        };
        if copy > 0 {
            let bytes = input.get(at..at.checked_add(copy)?)?;
            if out.len() + copy > limit {
                return None;
            }
            out.extend_from_slice(bytes);
            at += copy;
            crate::work::add(copy);
        }
        if let Some((n, byte)) = fill {
            if out.len() + n > limit {
                return None;
            }
            out.resize(out.len() + n, byte);
            crate::work::add(n);
        }
        crate::work::add(1);
    }
    Some(())
}

/// Appends to `out` what RDC-compressed (`SASYZCR2`, Ross Data Compression) `input`
/// decompresses to; `None` when it is damaged: a command cut short, a pattern from before
/// the output's start, or more than `limit` bytes in all. A 16-bit control word says which
/// of the next 16 items are literal bytes and which commands (a run of a byte, or a copy of
/// earlier output); each item takes at least a byte of the input, and nothing is written
/// past `limit`.
fn rdc(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Option<()> {
    let start = out.len();
    let mut at = 0;
    let next = |at: &mut usize| {
        let b = *input.get(*at)?;
        *at += 1;
        Some(b)
    };
    let count = |at: &mut usize| next(at).map(usize::from);
    let (mut control, mut mask) = (0usize, 0usize);
    while at < input.len() {
        mask >>= 1;
        if mask == 0 {
            control = count(&mut at)? << 8 | count(&mut at)?;
            mask = 0x8000;
        }
        crate::work::add(1);
        if control & mask == 0 {
            let b = next(&mut at)?;
            if out.len() >= limit {
                return None;
            }
            out.push(b);
            continue;
        }
        let command = count(&mut at)?;
        let (cmd, low) = (command >> 4, command & 0x0F);
        let (run, copy) = match cmd {
            // A short run, then a long one, of a byte.
            0 => (Some((low + 3, next(&mut at)?)), None),
            1 => {
                let n = low + (count(&mut at)? << 4) + 19;
                (Some((n, next(&mut at)?)), None)
            }
            // A long pattern: an offset back into the output and a length.
            2 => {
                let offset = low + 3 + (count(&mut at)? << 4);
                (None, Some((offset, count(&mut at)? + 16)))
            }
            // A short pattern of `cmd` bytes.
            _ => (None, Some((low + 3 + (count(&mut at)? << 4), cmd))),
        };
        if let Some((n, byte)) = run {
            if out.len() + n > limit {
                return None;
            }
            out.resize(out.len() + n, byte);
            crate::work::add(n);
        }
        if let Some((offset, n)) = copy {
            let from = out.len().checked_sub(offset).filter(|&f| f >= start)?;
            if out.len() + n > limit {
                return None;
            }
            // The pattern may overlap what it makes: a byte at a time.
            for k in 0..n {
                out.push(out[from + k]);
            }
            crate::work::add(n);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests;
