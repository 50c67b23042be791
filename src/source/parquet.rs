//! Apache Parquet files read for their rows: a file is an archive whose one member,
//! [`ROWS`], is its rows as CSV (a header of the leaf column names, then one line per row,
//! row groups in order). `df.to_parquet("patients.parquet")` is how a pandas extract is
//! saved, and its pages are snappy-compressed: read as bytes, the SSN column was invisible,
//! or found without the label that says it is one. Rendered, the rows meet every rule a CSV
//! export meets, the column labels included.
//!
//! The reader is written here, not taken from the `parquet` crate: a server hook reads
//! whatever a push brings, that crate brings Arrow with it, and a reader of phiguard's own
//! can charge what a file expands to against the archive budget as it goes. This one is safe
//! Rust that walks the format (<https://parquet.apache.org/docs/file-format/>) read-only:
//!
//! - The footer is Thrift's compact protocol, read by hand (`Thrift`): fields phiguard does
//!   not need are stepped over whatever their type, nested at most `MAX_THRIFT_DEPTH`.
//! - Column chunks are read page by page, forward only, and a chunk that overlaps another is
//!   damage (so no byte is decoded twice). Values are decoded as they are needed, never into
//!   buffers sized by what a header says.
//! - Everything the file expands to is charged to the archive budget as it is made: each
//!   decompressed page, each value rendered, each dictionary entry, and `ENTRY_COST` for
//!   each value's place (null or not, it still costs a field). A small file that claims a
//!   billion rows runs out of budget, not memory.
//!
//! It reads data pages v1 and v2; the encodings PLAIN, dictionary (both spellings), RLE
//! booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
//! BYTE_STREAM_SPLIT (of numbers); and the codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW and
//! Hadoop's framed LZ4. A column compressed with LZO or Brotli, in an encoding not listed, kept
//! in another file or encrypted cannot be read: its fields are left empty and it is named in
//! a member of its own whose content is the reason ([`COLUMN`]), so the file is unscannable,
//! never silently half-read. Files with an encrypted footer (`PARE`) are not Parquet here.
//!
//! Values are shown as pandas shows them: dates `YYYY-MM-DD`, timestamps `YYYY-MM-DD
//! HH:MM:SS` (and the fraction of a second when there is one), decimals with their point,
//! text and untyped binary as their bytes, fixed-length binary as hex, nulls as empty
//! fields. A repeated column (a list) shows a row's values joined with `;`.

use super::archive::{OVER_BUDGET, csv_field};
use super::calendar::civil;
use std::borrow::Cow;
use std::io::{Read, Write};
use std::ops::Range;

/// The four bytes that start and end every (unencrypted) Parquet file.
const MAGIC: &[u8] = b"PAR1";

/// The name of the member that holds a file's rows.
pub const ROWS: &str = "(rows)";

/// How the members of columns that cannot be read start: `(column ssn)`.
pub const COLUMN: &str = "(column ";

/// Why a file cannot be read at all (its footer or schema is damaged).
const DAMAGED: &str = "a damaged Parquet file";

/// Why one column cannot be read (its pages are damaged); the others still are.
const DAMAGED_COLUMN: &str = "a damaged Parquet column";

/// Thrift structures and lists nested deeper than this are damage (the footer needs 7).
const MAX_THRIFT_DEPTH: u32 = 64;

/// Schema groups nested deeper than this are damage: levels stay small numbers.
const MAX_NESTING: usize = 100;

/// What each value's place costs of the budget besides its rendering: what remembering
/// where its field ends takes, and at least the comma or line end it becomes.
pub(super) const ENTRY_COST: u64 = 4;

/// Whether `bytes` are a Parquet file: `PAR1` at both ends, a footer length between.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(MAGIC) && bytes.ends_with(MAGIC)
}

/// One member of a file: its name, and its content as CSV or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// The rows of Parquet file `bytes` as one CSV member named [`ROWS`], then a member for
/// each column that could not be read (named `(column <path>)`, its content the reason);
/// what they render to is taken from `left`, the archive's budget. When no column could be
/// read at all, [`ROWS`] alone, unreadable for the first column's reason.
///
/// # Errors
///
/// Why the file cannot be read at all, in words for the report: its footer or schema is
/// damaged, or its rows render past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    if !is_parquet(bytes) {
        return Err(DAMAGED);
    }
    let meta = footer(bytes, left)?;
    let (mut text, leaves) = leaves(&meta.schema, left)?;
    let overlaps = overlaps(bytes.len(), &meta.groups);
    let mut failed: Vec<Option<&'static str>> = vec![None; leaves.len()];
    let mut read_any = false;
    let mut chunk = 0;
    for group in &meta.groups {
        if group.len() != leaves.len() {
            return Err(DAMAGED);
        }
        let mut columns = Vec::with_capacity(leaves.len());
        for ((leaf, meta), failure) in leaves.iter().zip(group).zip(&mut failed) {
            let overlapping = overlaps.get(chunk).copied().unwrap_or(true);
            chunk += 1;
            match read_chunk(bytes, leaf, meta, overlapping, left) {
                Ok(column) => {
                    read_any = true;
                    columns.push(column);
                }
                Err(Fail::Over) => return Err(OVER_BUDGET),
                Err(Fail::Why(why)) => {
                    failure.get_or_insert(why);
                    columns.push(Column::default());
                }
            }
        }
        rows(&mut text, &columns, left).map_err(|_| OVER_BUDGET)?;
    }
    let reasons = leaves.iter().zip(failed).filter_map(|(l, f)| Some((l, f?)));
    let mut out = Vec::new();
    for (leaf, why) in reasons {
        if !read_any {
            return Ok(vec![(ROWS.to_string(), Err(why))]);
        }
        let path = String::from_utf8_lossy(text.get(leaf.name.clone()).unwrap_or_default());
        out.push((format!("{COLUMN}{path})"), Err(why)));
    }
    out.insert(0, (ROWS.to_string(), Ok(text)));
    Ok(out)
}

/// Why a column chunk (or an Arrow column, [`arrow`](super::arrow)) was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fail {
    /// The budget ran out: the whole file stops.
    Over,
    /// This column cannot be read, in words for the report.
    Why(&'static str),
}

/// A column chunk whose pages are damaged.
const BROKEN: Fail = Fail::Why(DAMAGED_COLUMN);

/// Takes `n` bytes from the budget `left`.
pub(super) fn charge(left: &mut u64, n: u64) -> Result<(), Fail> {
    *left = left.checked_sub(n).ok_or(Fail::Over)?;
    Ok(())
}

/// A column's values rendered, one field per row: a row group's column chunk here, a record
/// batch's column in an Arrow file.
pub(super) trait Fields {
    /// How many rows it has.
    fn count(&self) -> usize;
    /// Row `r`'s field, if it has that many rows.
    fn row(&self, r: usize) -> Option<&[u8]>;
}

impl Fields for Column {
    fn count(&self) -> usize {
        self.ends.len()
    }

    fn row(&self, r: usize) -> Option<&[u8]> {
        Column::row(self, r)
    }
}

/// Appends the rows of one row group's (or record batch's) `columns` to `text`, as CSV
/// lines. A column with fewer rows than the others (damage, or a column not read) has empty
/// fields below its last; the values and places already charged are not charged again.
pub(super) fn rows<C: Fields>(
    text: &mut Vec<u8>,
    columns: &[C],
    left: &mut u64,
) -> Result<(), Fail> {
    let count = columns.iter().map(Fields::count).max().unwrap_or(0);
    for r in 0..count {
        let start = text.len();
        let mut paid = 0u64;
        for (k, column) in columns.iter().enumerate() {
            if k > 0 {
                text.push(b',');
            }
            if let Some(field) = column.row(r) {
                csv_field(text, field);
                paid = paid.saturating_add(field.len() as u64 + ENTRY_COST);
            }
        }
        text.push(b'\n');
        crate::work::add(text.len() - start);
        charge(left, ((text.len() - start) as u64).saturating_sub(paid))?;
    }
    Ok(())
}

/// Which column chunks (numbered across row groups, in order) overlap another or lie
/// outside the file: a chunk read twice would cost twice, so only the first of
/// overlapping chunks is read.
fn overlaps(len: usize, groups: &[Vec<Chunk>]) -> Vec<bool> {
    let ranges: Vec<Option<Range<usize>>> = groups
        .iter()
        .flatten()
        .map(|c| c.meta.as_ref().and_then(|m| m.range(len)))
        .collect();
    let mut bad: Vec<bool> = ranges.iter().map(Option::is_none).collect();
    let mut order: Vec<(usize, usize, usize)> = ranges
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|r| (r.start, r.end, i)))
        .collect();
    order.sort_unstable();
    let mut reached = 0;
    for (start, end, i) in order {
        crate::work::add(1);
        if start < reached {
            if let Some(b) = bad.get_mut(i) {
                *b = true;
            }
        } else {
            reached = end;
        }
    }
    bad
}

// ---------------------------------------------------------------------------------------
// The footer: Thrift's compact protocol.

/// Compact protocol type ids.
const STOP: u8 = 0;
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// A reader of Thrift's compact protocol over `bytes`. Every read is bounded by the input,
/// every element of a list takes at least a byte (so a list that claims a billion elements
/// ends with the input), and nesting past [`MAX_THRIFT_DEPTH`] is damage, so hostile
/// footers cannot recurse the stack away.
struct Thrift<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
    /// The budget for what parsing keeps (schema elements, column chunks).
    left: u64,
    /// Whether parsing stopped because `left` ran out.
    over: bool,
}

impl<'a> Thrift<'a> {
    fn new(bytes: &'a [u8], left: u64) -> Self {
        Thrift {
            bytes,
            at: 0,
            depth: 0,
            left,
            over: false,
        }
    }

    /// Takes the size of a kept `T` from the budget.
    fn pay<T>(&mut self) -> Option<()> {
        let cost = std::mem::size_of::<T>() as u64;
        match self.left.checked_sub(cost) {
            Some(rest) => self.left = rest,
            None => self.over = true,
        }
        (!self.over).then_some(())
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let b = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn zigzag(&mut self) -> Option<i64> {
        let n = self.varint()?;
        Some((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    /// An integer field's value (`i8`, `i16`, `i32` or `i64`), if `ty` is one.
    fn int(&mut self, ty: u8) -> Option<i64> {
        match ty {
            BYTE => Some(i64::from(self.byte()? as i8)),
            I16 | I32 | I64 => self.zigzag(),
            _ => None,
        }
    }

    fn binary(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        self.bytes(len)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_THRIFT_DEPTH).then_some(())
    }

    /// Reads a struct, handing each field's id and type to `field`, which reads or skips
    /// its value.
    fn strukt(&mut self, mut field: impl FnMut(&mut Self, i16, u8) -> Option<()>) -> Option<()> {
        self.enter()?;
        let mut id: i16 = 0;
        loop {
            crate::work::add(1);
            let b = self.byte()?;
            if b == STOP {
                break;
            }
            id = match b >> 4 {
                0 => i16::try_from(self.zigzag()?).ok()?,
                delta => id.checked_add(i16::from(delta))?,
            };
            field(self, id, b & 0x0f)?;
        }
        self.depth -= 1;
        Some(())
    }

    /// Reads a list (or set), handing each element's type to `item`, which reads it.
    /// Booleans (a byte each) are stepped over here.
    fn list(&mut self, mut item: impl FnMut(&mut Self, u8) -> Option<()>) -> Option<()> {
        self.enter()?;
        let b = self.byte()?;
        let ty = b & 0x0f;
        let count = match b >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        for _ in 0..count {
            crate::work::add(1);
            let before = self.at;
            if matches!(ty, TRUE | FALSE) {
                self.byte()?;
            } else {
                item(self, ty)?;
            }
            if self.at == before {
                return None;
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Steps over a value of type `ty` inside a list or map (where a boolean is a byte).
    fn skip_item(&mut self, ty: u8) -> Option<()> {
        match ty {
            TRUE | FALSE => self.byte().map(drop),
            _ => self.skip(ty),
        }
    }

    /// Steps over a field's value of type `ty`, whatever it holds.
    fn skip(&mut self, ty: u8) -> Option<()> {
        match ty {
            TRUE | FALSE => Some(()),
            BYTE => self.byte().map(drop),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.bytes(8).map(drop),
            UUID => self.bytes(16).map(drop),
            BINARY => self.binary().map(drop),
            LIST | SET => self.list(|t, ty| t.skip(ty)),
            MAP => self.skip_map(),
            STRUCT => self.strukt(|t, _, ty| t.skip(ty)),
            _ => None,
        }
    }

    fn skip_map(&mut self) -> Option<()> {
        self.enter()?;
        let count = self.varint()?;
        if count > 0 {
            let types = self.byte()?;
            for _ in 0..count {
                crate::work::add(1);
                self.skip_item(types >> 4)?;
                self.skip_item(types & 0x0f)?;
            }
        }
        self.depth -= 1;
        Some(())
    }
}

/// What the footer says: the schema, and each row group's column chunks.
#[derive(Default)]
struct Meta<'a> {
    schema: Vec<Element<'a>>,
    groups: Vec<Vec<Chunk>>,
}

/// A schema element (`SchemaElement`): a group, or a leaf column.
#[derive(Default)]
struct Element<'a> {
    name: &'a [u8],
    physical: Option<i64>,
    type_length: i64,
    repetition: i64,
    children: i64,
    converted: Option<i64>,
    scale: i64,
    logical: Logical,
}

/// A column's logical type (`LogicalType`), as far as it changes how values are shown.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Logical {
    #[default]
    None,
    String,
    Decimal(i64),
    Date,
    /// A time of day, in units of 1 / the number a second.
    Time(i64),
    /// An instant, in units of 1 / the number a second.
    Timestamp(i64),
    Unsigned,
    Uuid,
    Other,
}

/// A column chunk (`ColumnChunk`) and its metadata.
struct Chunk {
    meta: Option<ChunkMeta>,
    /// Set when the chunk's pages are in another file (`file_path`).
    elsewhere: bool,
    /// Set when the chunk is encrypted (`crypto_metadata`, `encrypted_column_metadata`).
    encrypted: bool,
}

/// What `ColumnMetaData` says of a chunk's pages.
struct ChunkMeta {
    physical: i64,
    codec: i64,
    data_page_offset: i64,
    dictionary_page_offset: Option<i64>,
    total_compressed_size: i64,
}

impl ChunkMeta {
    /// The bytes of the file the chunk's pages take, if inside a file of `len` bytes.
    fn range(&self, len: usize) -> Option<Range<usize>> {
        let data = usize::try_from(self.data_page_offset).ok()?;
        let start = match self.dictionary_page_offset.map(usize::try_from) {
            Some(Ok(dictionary)) if dictionary > 0 && dictionary < data => dictionary,
            _ => data,
        };
        let end = start.checked_add(usize::try_from(self.total_compressed_size).ok()?)?;
        (start >= MAGIC.len() && end <= len.checked_sub(8)?).then_some(start..end)
    }
}

/// The footer of file `bytes` (`FileMetaData`), what it keeps charged to `left`.
fn footer<'a>(bytes: &'a [u8], left: &mut u64) -> Result<Meta<'a>, &'static str> {
    let end = bytes.len().checked_sub(8).ok_or(DAMAGED)?;
    let len = bytes.get(end..end + 4).ok_or(DAMAGED)?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let start = end
        .checked_sub(len)
        .filter(|&s| s >= MAGIC.len())
        .ok_or(DAMAGED)?;
    let mut t = Thrift::new(bytes.get(start..end).ok_or(DAMAGED)?, *left);
    let mut meta = Meta::default();
    let read = t.strukt(|t, id, ty| {
        match (id, ty) {
            (2, LIST) => t.list(|t, ty| {
                t.pay::<Element>()?;
                meta.schema.push(element(t, ty)?);
                Some(())
            })?,
            (4, LIST) => t.list(|t, ty| {
                t.pay::<Vec<Chunk>>()?;
                meta.groups.push(row_group(t, ty)?);
                Some(())
            })?,
            _ => t.skip(ty)?,
        }
        Some(())
    });
    if t.over {
        return Err(OVER_BUDGET);
    }
    read.ok_or(DAMAGED)?;
    *left = t.left;
    Ok(meta)
}

/// A `SchemaElement`.
fn element<'a>(t: &mut Thrift<'a>, ty: u8) -> Option<Element<'a>> {
    if ty != STRUCT {
        return None;
    }
    let mut e = Element::default();
    t.strukt(|t, id, ty| {
        match (id, ty) {
            (1, I32) => e.physical = Some(t.int(ty)?),
            (2, I32) => e.type_length = t.int(ty)?,
            (3, I32) => e.repetition = t.int(ty)?,
            (4, BINARY) => e.name = t.binary()?,
            (5, I32) => e.children = t.int(ty)?,
            (6, I32) => e.converted = Some(t.int(ty)?),
            (7, I32) => e.scale = t.int(ty)?,
            (10, STRUCT) => e.logical = logical(t)?,
            _ => t.skip(ty)?,
        }
        Some(())
    })?;
    Some(e)
}

/// A `LogicalType` (a union: one field, whose id is the type).
fn logical(t: &mut Thrift) -> Option<Logical> {
    let mut logical = Logical::None;
    t.strukt(|t, id, ty| {
        logical = match (id, ty) {
            (1 | 4 | 12, STRUCT) => {
                t.skip(ty)?;
                Logical::String
            }
            (5, STRUCT) => Logical::Decimal(decimal_scale(t)?),
            (6, STRUCT) => {
                t.skip(ty)?;
                Logical::Date
            }
            (7, STRUCT) => Logical::Time(time_unit(t)?),
            (8, STRUCT) => Logical::Timestamp(time_unit(t)?),
            (10, STRUCT) => integer(t)?,
            (14, STRUCT) => {
                t.skip(ty)?;
                Logical::Uuid
            }
            _ => {
                t.skip(ty)?;
                Logical::Other
            }
        };
        Some(())
    })?;
    Some(logical)
}

/// A `DecimalType`'s scale.
fn decimal_scale(t: &mut Thrift) -> Option<i64> {
    let mut scale = 0;
    t.strukt(|t, id, ty| {
        match (id, ty) {
            (1, I32) => scale = t.int(ty)?,
            _ => t.skip(ty)?,
        }
        Some(())
    })?;
    Some(scale)
}

/// The unit of a `TimeType` or `TimestampType`, as parts of a second.
fn time_unit(t: &mut Thrift) -> Option<i64> {
    let mut per_second = 1_000;
    t.strukt(|t, id, ty| {
        if (id, ty) == (2, STRUCT) {
            t.strukt(|t, id, ty| {
                per_second = match id {
                    2 => 1_000_000,
                    3 => 1_000_000_000,
                    _ => 1_000,
                };
                t.skip(ty)
            })
        } else {
            t.skip(ty)
        }
    })?;
    Some(per_second)
}

/// An `IntType`: whether it is unsigned is what matters.
fn integer(t: &mut Thrift) -> Option<Logical> {
    let mut logical = Logical::Other;
    t.strukt(|t, id, ty| {
        if (id, ty) == (2, FALSE) {
            logical = Logical::Unsigned;
        }
        t.skip(ty)
    })?;
    Some(logical)
}

/// A `RowGroup`'s column chunks.
fn row_group(t: &mut Thrift, ty: u8) -> Option<Vec<Chunk>> {
    if ty != STRUCT {
        return None;
    }
    let mut chunks = Vec::new();
    t.strukt(|t, id, ty| match (id, ty) {
        (1, LIST) => t.list(|t, ty| {
            t.pay::<Chunk>()?;
            chunks.push(column_chunk(t, ty)?);
            Some(())
        }),
        _ => t.skip(ty),
    })?;
    Some(chunks)
}

/// A `ColumnChunk`.
fn column_chunk(t: &mut Thrift, ty: u8) -> Option<Chunk> {
    if ty != STRUCT {
        return None;
    }
    let mut chunk = Chunk {
        meta: None,
        elsewhere: false,
        encrypted: false,
    };
    t.strukt(|t, id, ty| {
        match (id, ty) {
            (1, BINARY) => chunk.elsewhere = !t.binary()?.is_empty(),
            (3, STRUCT) => chunk.meta = Some(column_meta(t)?),
            (8 | 9, _) => {
                chunk.encrypted = true;
                t.skip(ty)?;
            }
            _ => t.skip(ty)?,
        }
        Some(())
    })?;
    Some(chunk)
}

/// A `ColumnMetaData`.
fn column_meta(t: &mut Thrift) -> Option<ChunkMeta> {
    let mut m = ChunkMeta {
        physical: -1,
        codec: -1,
        data_page_offset: -1,
        dictionary_page_offset: None,
        total_compressed_size: -1,
    };
    t.strukt(|t, id, ty| {
        match (id, ty) {
            (1, I32) => m.physical = t.int(ty)?,
            (4, I32) => m.codec = t.int(ty)?,
            (7, I64) => m.total_compressed_size = t.int(ty)?,
            (9, I64) => m.data_page_offset = t.int(ty)?,
            (11, I64) => m.dictionary_page_offset = Some(t.int(ty)?),
            _ => t.skip(ty)?,
        }
        Some(())
    })?;
    Some(m)
}

// ---------------------------------------------------------------------------------------
// The schema: leaf columns, their levels and how their values are shown.

/// Physical types.
const BOOLEAN: i64 = 0;
const INT32: i64 = 1;
const INT64: i64 = 2;
const INT96: i64 = 3;
const FLOAT: i64 = 4;
const DOUBLE_TYPE: i64 = 5;
const BYTE_ARRAY: i64 = 6;
const FIXED_LEN_BYTE_ARRAY: i64 = 7;

/// Repetition types.
const REQUIRED: i64 = 0;
const REPEATED: i64 = 2;

/// A leaf column: where its name is in the header, its physical type, levels and how its
/// values are shown.
struct Leaf {
    name: Range<usize>,
    physical: i64,
    type_length: i64,
    max_def: u64,
    max_rep: u64,
    show: Show,
}

/// How a column's values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    Plain,
    Unsigned,
    Date,
    /// A time of day, in units of 1 / the number a second.
    Time(i64),
    /// An instant, in units of 1 / the number a second.
    Timestamp(i64),
    /// An integer with this many digits after the point.
    Decimal(u32),
    /// Bytes as they are (text, or binary with no type).
    Text,
    Hex,
    Uuid,
}

/// The CSV header (the leaves' dotted paths) and the leaf columns of `schema`, walked
/// depth first with a stack of its own. The header is charged to `left`.
fn leaves(schema: &[Element], left: &mut u64) -> Result<(Vec<u8>, Vec<Leaf>), &'static str> {
    /// A group being walked: how many children are still to come, its levels and the
    /// length of its path.
    struct Frame {
        children: i64,
        def: u64,
        rep: u64,
        path: usize,
    }
    let (root, rest) = schema.split_first().ok_or(DAMAGED)?;
    let mut stack = vec![Frame {
        children: root.children,
        def: 0,
        rep: 0,
        path: 0,
    }];
    let (mut header, mut path, mut out) = (Vec::new(), Vec::new(), Vec::new());
    for e in rest {
        while stack.last().is_some_and(|f| f.children <= 0) {
            stack.pop();
        }
        let top = stack.last_mut().ok_or(DAMAGED)?;
        top.children -= 1;
        let def = top.def + u64::from(e.repetition != REQUIRED);
        let rep = top.rep + u64::from(e.repetition == REPEATED);
        path.truncate(top.path);
        if !path.is_empty() {
            path.push(b'.');
        }
        path.extend_from_slice(e.name);
        if e.children > 0 {
            if stack.len() >= MAX_NESTING {
                return Err(DAMAGED);
            }
            let path = path.len();
            stack.push(Frame {
                children: e.children,
                def,
                rep,
                path,
            });
        } else if let Some(physical) = e.physical {
            let start = header.len();
            if !out.is_empty() {
                header.push(b',');
            }
            csv_field(&mut header, &path);
            charge(left, (header.len() - start) as u64).map_err(|_| OVER_BUDGET)?;
            out.push(Leaf {
                name: start + usize::from(!out.is_empty())..header.len(),
                physical,
                type_length: e.type_length,
                max_def: def,
                max_rep: rep,
                show: show(e, physical),
            });
        }
    }
    header.push(b'\n');
    Ok((header, out))
}

/// How the values of leaf `e` of type `physical` are shown, from its logical type (or the
/// converted type older writers set instead).
fn show(e: &Element, physical: i64) -> Show {
    let scale = |s: i64| Show::Decimal(u32::try_from(s).unwrap_or(0).min(38));
    let logical = match (e.logical, e.converted) {
        (Logical::None, Some(0 | 4 | 19)) => Logical::String,
        (Logical::None, Some(5)) => Logical::Decimal(e.scale),
        (Logical::None, Some(6)) => Logical::Date,
        (Logical::None, Some(7)) => Logical::Time(1_000),
        (Logical::None, Some(8)) => Logical::Time(1_000_000),
        (Logical::None, Some(9)) => Logical::Timestamp(1_000),
        (Logical::None, Some(10)) => Logical::Timestamp(1_000_000),
        (Logical::None, Some(11..=14)) => Logical::Unsigned,
        (logical, _) => logical,
    };
    match (physical, logical) {
        (INT32 | INT64, Logical::Date) => Show::Date,
        (INT32 | INT64, Logical::Time(unit)) => Show::Time(unit),
        (INT64, Logical::Timestamp(unit)) => Show::Timestamp(unit),
        (INT32 | INT64 | BYTE_ARRAY | FIXED_LEN_BYTE_ARRAY, Logical::Decimal(s)) => scale(s),
        (INT32 | INT64, Logical::Unsigned) => Show::Unsigned,
        (INT96, _) => Show::Timestamp(1_000_000_000),
        (FIXED_LEN_BYTE_ARRAY, Logical::String) => Show::Text,
        (FIXED_LEN_BYTE_ARRAY, Logical::Uuid) => Show::Uuid,
        (FIXED_LEN_BYTE_ARRAY, _) => Show::Hex,
        (BYTE_ARRAY, _) => Show::Text,
        _ => Show::Plain,
    }
}

// ---------------------------------------------------------------------------------------
// Column chunks and pages.

/// Codecs.
const UNCOMPRESSED: i64 = 0;
const SNAPPY: i64 = 1;
const GZIP: i64 = 2;
const LZO: i64 = 3;
const BROTLI: i64 = 4;
const LZ4_HADOOP: i64 = 5;
const ZSTD: i64 = 6;
const LZ4_RAW: i64 = 7;

/// Page types.
const DATA_PAGE: i64 = 0;
const DICTIONARY_PAGE: i64 = 2;
const DATA_PAGE_V2: i64 = 3;

/// The rows of one column chunk, rendered one after another.
#[derive(Default)]
struct Column {
    text: Vec<u8>,
    /// Where each row's field ends in `text`.
    ends: Vec<u32>,
    /// Whether a row is open (its end not yet in `ends`).
    open: bool,
    /// Whether the open row holds a value yet (a list's next value is put after `;`).
    filled: bool,
}

impl Column {
    /// Row `r`'s field, if the chunk has that many rows.
    fn row(&self, r: usize) -> Option<&[u8]> {
        let end = *self.ends.get(r)? as usize;
        let start = match r.checked_sub(1) {
            Some(p) => *self.ends.get(p)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// Ends the open row, if any.
    fn close(&mut self) -> Result<(), Fail> {
        if self.open {
            self.ends
                .push(u32::try_from(self.text.len()).map_err(|_| Fail::Over)?);
        }
        self.open = false;
        Ok(())
    }

    /// Starts a row (ending the open one).
    fn start(&mut self) -> Result<(), Fail> {
        self.close()?;
        self.open = true;
        self.filled = false;
        Ok(())
    }
}

/// A page header (`PageHeader`), with what its kind's own header says.
#[derive(Default)]
struct PageHeader {
    kind: i64,
    uncompressed: i64,
    compressed: i64,
    /// Values (with nulls), and the values' encoding.
    entries: i64,
    encoding: i64,
    /// For a data page v1: the levels' encodings.
    level_encodings: [i64; 2],
    /// For a data page v2: the lengths of the repetition and definition levels, and
    /// whether its values are compressed.
    level_lengths: [i64; 2],
    compressed_values: bool,
}

/// The page header at the start of `bytes`, and its length.
fn page_header(bytes: &[u8]) -> Option<(PageHeader, usize)> {
    let mut t = Thrift::new(bytes, 0);
    let mut h = PageHeader {
        compressed_values: true,
        ..PageHeader::default()
    };
    t.strukt(|t, id, ty| {
        match (id, ty) {
            (1, I32) => h.kind = t.int(ty)?,
            (2, I32) => h.uncompressed = t.int(ty)?,
            (3, I32) => h.compressed = t.int(ty)?,
            (5 | 7 | 8, STRUCT) => {
                t.strukt(|t, field, ty| kind_header(t, &mut h, id, field, ty))?;
            }
            _ => t.skip(ty)?,
        }
        Some(())
    })?;
    Some((h, t.at))
}

/// Field `field` of the kind's header (`DataPageHeader` is `kind` 5, `DictionaryPageHeader`
/// 7, `DataPageHeaderV2` 8) into `h`.
fn kind_header(t: &mut Thrift, h: &mut PageHeader, kind: i16, field: i16, ty: u8) -> Option<()> {
    match (kind, field, ty) {
        (_, 1, I32) => h.entries = t.int(ty)?,
        (5 | 7, 2, I32) | (8, 4, I32) => h.encoding = t.int(ty)?,
        (5, 3, I32) => h.level_encodings[1] = t.int(ty)?,
        (5, 4, I32) => h.level_encodings[0] = t.int(ty)?,
        (8, 5, I32) => h.level_lengths[1] = t.int(ty)?,
        (8, 6, I32) => h.level_lengths[0] = t.int(ty)?,
        (8, 7, TRUE | FALSE) => h.compressed_values = ty == TRUE,
        _ => t.skip(ty)?,
    }
    Some(())
}

/// Why a codec's pages are not read, if they are not.
fn unread_codec(codec: i64) -> Option<&'static str> {
    match codec {
        UNCOMPRESSED | SNAPPY | GZIP | LZ4_HADOOP | ZSTD | LZ4_RAW => None,
        LZO => Some("a Parquet file compressed with LZO, which phiguard does not open"),
        BROTLI => Some("a Parquet file compressed with Brotli, which phiguard does not open"),
        _ => Some("a Parquet file compressed with a codec phiguard does not know"),
    }
}

/// The rows of column chunk `chunk` of leaf `leaf`, read page by page.
fn read_chunk(
    bytes: &[u8],
    leaf: &Leaf,
    chunk: &Chunk,
    overlapping: bool,
    left: &mut u64,
) -> Result<Column, Fail> {
    if chunk.elsewhere {
        return Err(Fail::Why("a Parquet column kept in another file"));
    }
    if chunk.encrypted {
        return Err(Fail::Why("an encrypted Parquet column"));
    }
    let meta = chunk.meta.as_ref().ok_or(BROKEN)?;
    if let Some(why) = unread_codec(meta.codec) {
        return Err(Fail::Why(why));
    }
    if overlapping || meta.physical != leaf.physical {
        return Err(BROKEN);
    }
    let range = meta.range(bytes.len()).ok_or(BROKEN)?;
    let pages = bytes.get(range).ok_or(BROKEN)?;
    let (mut column, mut dictionary, mut at) = (Column::default(), None, 0);
    while let Some(rest) = pages.get(at..).filter(|r| !r.is_empty()) {
        crate::work::add(1);
        let (h, len) = page_header(rest).ok_or(BROKEN)?;
        let size = usize::try_from(h.compressed).map_err(|_| BROKEN)?;
        let body = rest.get(len..).and_then(|b| b.get(..size)).ok_or(BROKEN)?;
        let page = Page {
            h: &h,
            body,
            codec: meta.codec,
        };
        match h.kind {
            DICTIONARY_PAGE => dictionary = Some(page.dictionary(leaf, left)?),
            DATA_PAGE | DATA_PAGE_V2 => page.data(leaf, dictionary.as_ref(), &mut column, left)?,
            _ => {}
        }
        at += len + size;
    }
    column.close()?;
    Ok(column)
}

/// A page: its header, its body as stored, and its chunk's codec.
struct Page<'p> {
    h: &'p PageHeader,
    body: &'p [u8],
    codec: i64,
}

impl<'p> Page<'p> {
    /// A dictionary page's values, rendered.
    fn dictionary(&self, leaf: &Leaf, left: &mut u64) -> Result<Dictionary, Fail> {
        let size = usize::try_from(self.h.uncompressed).map_err(|_| BROKEN)?;
        let body = inflate(self.codec, self.body, size, left)?;
        let mut values = Plain::new(&body);
        let mut dictionary = Dictionary::default();
        for _ in 0..self.h.entries {
            charge(left, ENTRY_COST)?;
            let value = values.next(leaf).ok_or(BROKEN)?;
            put(&mut dictionary.text, leaf.show, Got::Raw(value), left)?;
            dictionary.ends.push(dictionary.text.len());
        }
        Ok(dictionary)
    }

    /// A data page's values, v1 or v2, into `column`.
    fn data(
        &self,
        leaf: &Leaf,
        dictionary: Option<&Dictionary>,
        column: &mut Column,
        left: &mut u64,
    ) -> Result<(), Fail> {
        let size = usize::try_from(self.h.uncompressed).map_err(|_| BROKEN)?;
        let entries = u64::try_from(self.h.entries).map_err(|_| BROKEN)?;
        if self.h.kind != DATA_PAGE_V2 {
            let body = inflate(self.codec, self.body, size, left)?;
            let mut page = self.levels_v1(&body, leaf, entries)?;
            return page.fill(leaf, dictionary, column, left);
        }
        let [rep, def] = self.h.level_lengths.map(|n| usize::try_from(n).ok());
        let levels = rep
            .zip(def)
            .and_then(|(r, d)| r.checked_add(d))
            .ok_or(BROKEN)?;
        let rest = self.body.get(levels..).ok_or(BROKEN)?;
        let size = size.checked_sub(levels).ok_or(BROKEN)?;
        let codec = if self.h.compressed_values {
            self.codec
        } else {
            UNCOMPRESSED
        };
        let values = inflate(codec, rest, size, left)?;
        let mut page = self.levels_v2(&values, leaf, entries)?;
        page.fill(leaf, dictionary, column, left)
    }

    /// A v1 page's levels (each behind its 4-byte length) and values, from its body.
    fn levels_v1<'b>(
        &self,
        body: &'b [u8],
        leaf: &Leaf,
        entries: u64,
    ) -> Result<Decoding<'b>, Fail> {
        let mut at = 0;
        let mut run = |max: u64, encoding: i64| -> Result<Option<Hybrid<'b>>, Fail> {
            if max == 0 {
                return Ok(None);
            }
            if encoding != RLE {
                return Err(UNREAD_ENCODING);
            }
            let len = body.get(at..at + 4).ok_or(BROKEN)?;
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let run = body
                .get(at + 4..)
                .and_then(|r| r.get(..len))
                .ok_or(BROKEN)?;
            at += 4 + len;
            Ok(Some(Hybrid::new(run, bit_width(max))))
        };
        let [rep_encoding, def_encoding] = self.h.level_encodings;
        let rep = run(leaf.max_rep, rep_encoding)?;
        let def = run(leaf.max_def, def_encoding)?;
        let values = body.get(at..).ok_or(BROKEN)?;
        Ok(Decoding {
            rep,
            def,
            entries,
            values: Values::new(self.h.encoding, values, leaf, entries)?,
        })
    }

    /// A v2 page's levels (stored uncompressed at the start of `body`, their lengths in the
    /// header) and its `values`.
    fn levels_v2<'b>(
        &self,
        values: &'b [u8],
        leaf: &Leaf,
        entries: u64,
    ) -> Result<Decoding<'b>, Fail>
    where
        'p: 'b,
    {
        let [rep, def] = self
            .h
            .level_lengths
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let rep_run = self.body.get(..rep).ok_or(BROKEN)?;
        let def_run = self
            .body
            .get(rep..)
            .and_then(|r| r.get(..def))
            .ok_or(BROKEN)?;
        let run = |run, max| (max > 0).then(|| Hybrid::new(run, bit_width(max)));
        Ok(Decoding {
            rep: run(rep_run, leaf.max_rep),
            def: run(def_run, leaf.max_def),
            entries,
            values: Values::new(self.h.encoding, values, leaf, entries)?,
        })
    }
}

/// The bits a level up to `max` takes.
fn bit_width(max: u64) -> u32 {
    64 - max.leading_zeros()
}

/// A data page being decoded: its levels, how many there are, and its values.
struct Decoding<'b> {
    rep: Option<Hybrid<'b>>,
    def: Option<Hybrid<'b>>,
    entries: u64,
    values: Values<'b>,
}

impl Decoding<'_> {
    /// Puts the page's entries into `column`: a repetition level of 0 (or none) starts a
    /// row, a definition level below the leaf's maximum is a null (or an empty list).
    fn fill(
        &mut self,
        leaf: &Leaf,
        dictionary: Option<&Dictionary>,
        column: &mut Column,
        left: &mut u64,
    ) -> Result<(), Fail> {
        for _ in 0..self.entries {
            charge(left, ENTRY_COST)?;
            crate::work::add(1);
            let rep = match &mut self.rep {
                Some(levels) => levels.next().ok_or(BROKEN)?,
                None => 0,
            };
            let def = match &mut self.def {
                Some(levels) => levels.next().ok_or(BROKEN)?,
                None => leaf.max_def,
            };
            if rep == 0 || !column.open {
                column.start()?;
            }
            if def >= leaf.max_def {
                if column.filled {
                    charge(left, 1)?;
                    column.text.push(b';');
                }
                let value = self.values.next(leaf, dictionary).ok_or(BROKEN)?;
                put(&mut column.text, leaf.show, value, left)?;
                column.filled = true;
            }
        }
        Ok(())
    }
}

/// Inflates a page `body` compressed with `codec` to the `size` bytes its header says,
/// charged to `left` (an uncompressed body is taken as it is).
fn inflate<'b>(
    codec: i64,
    body: &'b [u8],
    size: usize,
    left: &mut u64,
) -> Result<Cow<'b, [u8]>, Fail> {
    if codec == UNCOMPRESSED {
        return Ok(Cow::Borrowed(body));
    }
    charge(left, size as u64)?;
    crate::work::add(body.len().saturating_add(size));
    let out = match codec {
        SNAPPY => snappy(body, size),
        GZIP if body.starts_with(&[0x1f, 0x8b]) => {
            exactly(flate2::read::MultiGzDecoder::new(body), size)
        }
        GZIP => exactly(flate2::read::ZlibDecoder::new(body), size),
        ZSTD => zstd(body, size),
        LZ4_RAW => lz4(body, size),
        // Hadoop's framing, or (what older Arrow wrote under this codec) a bare block.
        LZ4_HADOOP => hadoop_lz4(body, size).or_else(|| lz4(body, size)),
        other => return Err(Fail::Why(unread_codec(other).unwrap_or(DAMAGED_COLUMN))),
    };
    out.map(Cow::Owned).ok_or(BROKEN)
}

/// Reads `r` to its end if it holds exactly `size` bytes.
fn exactly(r: impl Read, size: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(size);
    r.take(size as u64 + 1).read_to_end(&mut out).ok()?;
    (out.len() == size).then_some(out)
}

fn snappy(body: &[u8], size: usize) -> Option<Vec<u8>> {
    if snap::raw::decompress_len(body).ok()? != size {
        return None;
    }
    let mut out = vec![0; size];
    let n = snap::raw::Decoder::new().decompress(body, &mut out).ok()?;
    (n == size).then_some(out)
}

fn zstd(body: &[u8], size: usize) -> Option<Vec<u8>> {
    // A frame's window need not be larger than its content: a hostile header cannot make
    // the decoder reserve more than a page's worth (or 1 MiB).
    let window = (size as u64).saturating_mul(2).max(1 << 20);
    let window = window.min(ruzstd::decoding::DEFAULT_MAX_WINDOW_SIZE);
    let decoder = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(body, window);
    exactly(decoder.ok()?, size)
}

fn lz4(body: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0; size];
    let n = lz4_flex::block::decompress_into(body, &mut out).ok()?;
    (n == size).then_some(out)
}

/// Hadoop's LZ4 framing: blocks, each behind its decompressed and compressed sizes (4
/// bytes big-endian each).
fn hadoop_lz4(mut body: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0; size];
    let mut done = 0;
    while !body.is_empty() {
        let header = body.get(..8)?;
        let raw = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let packed = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let block = body.get(8..)?.get(..packed)?;
        let room = out.get_mut(done..)?.get_mut(..raw)?;
        if lz4_flex::block::decompress_into(block, room).ok()? != raw {
            return None;
        }
        done += raw;
        body = body.get(8 + packed..)?;
    }
    (done == size).then_some(out)
}

// ---------------------------------------------------------------------------------------
// Values: encodings, and how each is shown.

/// Encodings.
const PLAIN: i64 = 0;
const PLAIN_DICTIONARY: i64 = 2;
const RLE: i64 = 3;
const DELTA_BINARY_PACKED: i64 = 5;
const DELTA_LENGTH_BYTE_ARRAY: i64 = 6;
const DELTA_BYTE_ARRAY: i64 = 7;
const RLE_DICTIONARY: i64 = 8;
const BYTE_STREAM_SPLIT: i64 = 9;

/// A column in an encoding not read (or not one its type can have).
const UNREAD_ENCODING: Fail = Fail::Why("a Parquet column in an encoding phiguard does not read");

/// A dictionary page's values, rendered, one after another.
#[derive(Default)]
struct Dictionary {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Dictionary {
    fn get(&self, i: u64) -> Option<&[u8]> {
        let i = usize::try_from(i).ok()?;
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)?,
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// A value as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Raw<'a> {
    Bool(bool),
    Int32(i32),
    Int64(i64),
    Int96([u8; 12]),
    Float(f32),
    Double(f64),
    Bytes(&'a [u8]),
}

/// A value as decoded: as stored, or already rendered (a dictionary's).
enum Got<'a> {
    Raw(Raw<'a>),
    Rendered(&'a [u8]),
}

/// The value of physical type `physical` (not a byte array) stored as `b`.
fn fixed(physical: i64, b: &[u8]) -> Option<Raw<'static>> {
    Some(match physical {
        INT32 => Raw::Int32(i32::from_le_bytes(b.try_into().ok()?)),
        INT64 => Raw::Int64(i64::from_le_bytes(b.try_into().ok()?)),
        INT96 => Raw::Int96(b.try_into().ok()?),
        FLOAT => Raw::Float(f32::from_le_bytes(b.try_into().ok()?)),
        DOUBLE_TYPE => Raw::Double(f64::from_le_bytes(b.try_into().ok()?)),
        _ => return None,
    })
}

/// The bytes a value of physical type `physical` takes, for the fixed-size ones.
fn width(physical: i64) -> Option<usize> {
    match physical {
        INT32 | FLOAT => Some(4),
        INT64 | DOUBLE_TYPE => Some(8),
        INT96 => Some(12),
        _ => None,
    }
}

/// PLAIN values: one after another (booleans a bit each, byte arrays behind their 4-byte
/// length).
struct Plain<'a> {
    data: &'a [u8],
    at: usize,
    /// The next boolean's bit.
    bit: usize,
}

impl<'a> Plain<'a> {
    fn new(data: &'a [u8]) -> Self {
        Plain {
            data,
            at: 0,
            bit: 0,
        }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.data.get(self.at..)?.get(..n)?;
        self.at += n;
        Some(b)
    }

    fn next(&mut self, leaf: &Leaf) -> Option<Raw<'a>> {
        match leaf.physical {
            BOOLEAN => {
                let byte = self.data.get(self.bit / 8)?;
                let value = byte >> (self.bit % 8) & 1 == 1;
                self.bit += 1;
                Some(Raw::Bool(value))
            }
            BYTE_ARRAY => {
                let len = self.take(4)?;
                let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                self.take(len).map(Raw::Bytes)
            }
            FIXED_LEN_BYTE_ARRAY => {
                let len = usize::try_from(leaf.type_length).ok()?;
                self.take(len).map(Raw::Bytes)
            }
            physical => {
                let b = self.take(width(physical)?)?;
                fixed(physical, b)
            }
        }
    }
}

/// The values of a data page, in its encoding.
enum Values<'a> {
    /// No value section (a page of nulls): any value asked for is damage.
    Empty,
    Plain(Plain<'a>),
    /// Indices into the chunk's dictionary.
    Dictionary(Hybrid<'a>),
    /// RLE booleans.
    Booleans(Hybrid<'a>),
    /// DELTA_BINARY_PACKED integers.
    Delta(Delta<'a>),
    /// DELTA_LENGTH_BYTE_ARRAY: the lengths, then the bytes of every value.
    Lengths(Delta<'a>, Plain<'a>),
    /// DELTA_BYTE_ARRAY: each value the last one's first `prefix` bytes and a suffix.
    Prefixed {
        prefixes: Delta<'a>,
        lengths: Delta<'a>,
        suffixes: Plain<'a>,
        last: Vec<u8>,
    },
    /// BYTE_STREAM_SPLIT: the values' first bytes, then their second bytes, and so on.
    Split {
        data: &'a [u8],
        count: usize,
        next: usize,
    },
}

impl<'a> Values<'a> {
    /// The values in `data` encoded with `encoding`, of at most `entries` values.
    fn new(encoding: i64, data: &'a [u8], leaf: &Leaf, entries: u64) -> Result<Self, Fail> {
        let physical = leaf.physical;
        let read = match encoding {
            PLAIN | PLAIN_DICTIONARY | RLE_DICTIONARY => true,
            RLE => physical == BOOLEAN,
            DELTA_BINARY_PACKED => matches!(physical, INT32 | INT64),
            DELTA_LENGTH_BYTE_ARRAY => physical == BYTE_ARRAY,
            DELTA_BYTE_ARRAY => matches!(physical, BYTE_ARRAY | FIXED_LEN_BYTE_ARRAY),
            BYTE_STREAM_SPLIT => width(physical).is_some() && physical != INT96,
            _ => false,
        };
        if !read {
            return Err(UNREAD_ENCODING);
        }
        if data.is_empty() {
            return Ok(Values::Empty);
        }
        Ok(match encoding {
            PLAIN => Values::Plain(Plain::new(data)),
            PLAIN_DICTIONARY | RLE_DICTIONARY => {
                let (&width, indices) = data.split_first().ok_or(BROKEN)?;
                Values::Dictionary(Hybrid::new(indices, u32::from(width)))
            }
            RLE => Values::Booleans(Hybrid::new(data.get(4..).ok_or(BROKEN)?, 1)),
            DELTA_BINARY_PACKED => Values::Delta(Delta::new(data, entries).ok_or(BROKEN)?),
            DELTA_LENGTH_BYTE_ARRAY => {
                let (lengths, rest) = Delta::split(data, entries).ok_or(BROKEN)?;
                Values::Lengths(lengths, Plain::new(rest))
            }
            DELTA_BYTE_ARRAY => {
                let (prefixes, rest) = Delta::split(data, entries).ok_or(BROKEN)?;
                let (lengths, rest) = Delta::split(rest, entries).ok_or(BROKEN)?;
                Values::Prefixed {
                    prefixes,
                    lengths,
                    suffixes: Plain::new(rest),
                    last: Vec::new(),
                }
            }
            _ => Values::Split {
                data,
                count: data.len() / width(physical).unwrap_or(1),
                next: 0,
            },
        })
    }

    /// The next value, if there is one.
    fn next<'s>(&'s mut self, leaf: &Leaf, dictionary: Option<&'s Dictionary>) -> Option<Got<'s>> {
        let raw = match self {
            Values::Empty => return None,
            Values::Plain(plain) => plain.next(leaf)?,
            Values::Dictionary(indices) => {
                return dictionary?.get(indices.next()?).map(Got::Rendered);
            }
            Values::Booleans(bits) => Raw::Bool(bits.next()? == 1),
            Values::Delta(delta) => match leaf.physical {
                INT32 => Raw::Int32(delta.next()? as i32),
                _ => Raw::Int64(delta.next()?),
            },
            Values::Lengths(lengths, bytes) => {
                let len = usize::try_from(lengths.next()?).ok()?;
                Raw::Bytes(bytes.take(len)?)
            }
            Values::Prefixed {
                prefixes,
                lengths,
                suffixes,
                last,
            } => {
                let prefix = usize::try_from(prefixes.next()?).ok()?;
                let len = usize::try_from(lengths.next()?).ok()?;
                last.truncate(prefix);
                if last.len() != prefix {
                    return None;
                }
                last.extend_from_slice(suffixes.take(len)?);
                Raw::Bytes(last.as_slice())
            }
            Values::Split { data, count, next } => {
                let width = width(leaf.physical)?;
                let mut b = [0u8; 8];
                for (k, byte) in b.iter_mut().take(width).enumerate() {
                    *byte = *data.get(k.checked_mul(*count)?.checked_add(*next)?)?;
                }
                *next = next.checked_add(1).filter(|&n| n <= *count)?;
                fixed(leaf.physical, b.get(..width)?)?
            }
        };
        Some(Got::Raw(raw))
    }
}

/// The RLE / bit-packing hybrid (levels, dictionary indices, RLE booleans): runs of one
/// repeated value, or of values packed `width` bits each, least significant bit first.
#[derive(Clone)]
struct Hybrid<'a> {
    data: &'a [u8],
    /// The next run's header.
    at: usize,
    width: u32,
    /// What is left of the current run: repeats of `value`, or packed values from `bit`.
    repeats: u64,
    value: u64,
    packed: u64,
    bit: usize,
}

impl<'a> Hybrid<'a> {
    fn new(data: &'a [u8], width: u32) -> Self {
        Hybrid {
            data,
            at: 0,
            width,
            repeats: 0,
            value: 0,
            packed: 0,
            bit: 0,
        }
    }

    fn next(&mut self) -> Option<u64> {
        loop {
            if self.repeats > 0 {
                self.repeats -= 1;
                return Some(self.value);
            }
            if self.packed > 0 {
                self.packed -= 1;
                let value = bits(self.data, self.bit, self.width)?;
                self.bit += self.width as usize;
                return Some(value);
            }
            self.run()?;
        }
    }

    /// Reads the next run's header (and a repeated run's value).
    fn run(&mut self) -> Option<()> {
        crate::work::add(1);
        if self.width > 32 {
            return None;
        }
        let mut t = Thrift::new(self.data.get(self.at..)?, 0);
        let header = t.varint()?;
        self.at += t.at;
        let count = header >> 1;
        if header & 1 == 1 {
            self.bit = self.at.checked_mul(8)?;
            let bytes = usize::try_from(count)
                .ok()?
                .checked_mul(self.width as usize)?;
            self.at = self.at.checked_add(bytes)?;
            self.packed = count.checked_mul(8)?;
        } else {
            let bytes = self.width.div_ceil(8) as usize;
            let value = self.data.get(self.at..)?.get(..bytes)?;
            self.at += bytes;
            self.value = value.iter().rev().fold(0, |v, &b| (v << 8) | u64::from(b));
            self.repeats = count;
        }
        Some(())
    }
}

/// The `width`-bit value (up to 64) at bit `at` of `data`, least significant bit first.
fn bits(data: &[u8], at: usize, width: u32) -> Option<u64> {
    let (mut value, mut got, mut at) = (0u64, 0u32, at);
    while got < width {
        let byte = *data.get(at / 8)?;
        let shift = (at % 8) as u32;
        let take = (8 - shift).min(width - got);
        let piece = u64::from(byte >> shift) & ((1u64 << take) - 1);
        value |= piece << got;
        got += take;
        at += take as usize;
    }
    Some(value)
}

/// DELTA_BINARY_PACKED integers: a header (values in a block, miniblocks in a block, the
/// count, the first value), then blocks of a minimum delta, each miniblock's bit width and
/// the miniblocks, each delta packed above the minimum.
#[derive(Clone)]
struct Delta<'a> {
    data: &'a [u8],
    per_miniblock: u64,
    miniblocks: usize,
    /// Values still to come.
    left: u64,
    first: bool,
    last: i64,
    min_delta: i64,
    /// The current block's miniblock widths, and how many of them have been used.
    widths: &'a [u8],
    used: usize,
    /// Values left in the current miniblock, the next one's bit and its width.
    in_miniblock: u64,
    bit: usize,
    width: u32,
    /// Where what has been read so far ends (the header, a block header, a miniblock).
    end: usize,
}

impl<'a> Delta<'a> {
    /// The integers encoded at the start of `data`: no more than `cap` of them.
    fn new(data: &'a [u8], cap: u64) -> Option<Self> {
        let mut t = Thrift::new(data, 0);
        let per_block = t.varint()?;
        let miniblocks = t.varint()?;
        let count = t.varint()?;
        let first = t.zigzag()?;
        let per_miniblock = per_block.checked_div(miniblocks)?;
        let shape = per_block % 128 == 0 && per_miniblock % 32 == 0 && per_miniblock > 0;
        if !shape || per_block % miniblocks != 0 || count > cap {
            return None;
        }
        Some(Delta {
            data,
            per_miniblock,
            miniblocks: usize::try_from(miniblocks).ok()?,
            left: count,
            first: true,
            last: first,
            min_delta: 0,
            widths: &[],
            used: 0,
            in_miniblock: 0,
            bit: 0,
            width: 0,
            end: t.at,
        })
    }

    /// The integers at the start of `data`, and the bytes after them.
    fn split(data: &'a [u8], cap: u64) -> Option<(Self, &'a [u8])> {
        let delta = Delta::new(data, cap)?;
        let mut rest = delta.clone();
        while rest.left > 0 {
            rest.next()?;
        }
        Some((delta, data.get(rest.end..)?))
    }

    fn next(&mut self) -> Option<i64> {
        self.left = self.left.checked_sub(1)?;
        if std::mem::take(&mut self.first) {
            return Some(self.last);
        }
        if self.in_miniblock == 0 {
            self.miniblock()?;
        }
        self.in_miniblock -= 1;
        let delta = bits(self.data, self.bit, self.width)?;
        self.bit += self.width as usize;
        self.last = self
            .last
            .wrapping_add(self.min_delta)
            .wrapping_add(delta as i64);
        Some(self.last)
    }

    /// Moves to the next miniblock (and to the next block, when this one's are used).
    fn miniblock(&mut self) -> Option<()> {
        crate::work::add(1);
        if self.used == self.widths.len() {
            let mut t = Thrift::new(self.data.get(self.end..)?, 0);
            self.min_delta = t.zigzag()?;
            self.widths = t.bytes(self.miniblocks)?;
            self.end += t.at;
            self.used = 0;
        }
        self.width = u32::from(*self.widths.get(self.used)?);
        self.used += 1;
        if self.width > 64 {
            return None;
        }
        let bytes = self.per_miniblock.checked_mul(u64::from(self.width))? / 8;
        self.bit = self.end.checked_mul(8)?;
        self.end = self.end.checked_add(usize::try_from(bytes).ok()?)?;
        self.in_miniblock = self.per_miniblock;
        Some(())
    }
}

/// Appends value `got` to `out` as `show` says, charged to `left` (a byte array checked
/// against it before it is copied).
fn put(out: &mut Vec<u8>, show: Show, got: Got, left: &mut u64) -> Result<(), Fail> {
    let start = out.len();
    let raw = match got {
        Got::Rendered(text) => {
            charge(left, text.len() as u64)?;
            out.extend_from_slice(text);
            return Ok(());
        }
        Got::Raw(raw) => raw,
    };
    if let Raw::Bytes(b) = raw
        && b.len() as u64 > *left
    {
        return Err(Fail::Over);
    }
    // Writing to a `Vec` cannot fail.
    let _ = match raw {
        Raw::Bool(b) => write!(out, "{b}"),
        Raw::Int32(n) => integer_value(out, show, i64::from(n), u64::from(n as u32)),
        Raw::Int64(n) => integer_value(out, show, n, n as u64),
        Raw::Int96(b) => {
            int96(out, b);
            Ok(())
        }
        Raw::Float(x) => write!(out, "{x:?}"),
        Raw::Double(x) => write!(out, "{x:?}"),
        Raw::Bytes(b) => {
            bytes_value(out, show, b);
            Ok(())
        }
    };
    charge(left, (out.len() - start) as u64)
}

/// An integer (`n`, or `unsigned` read as unsigned) as `show` says.
fn integer_value(out: &mut Vec<u8>, show: Show, n: i64, unsigned: u64) -> std::io::Result<()> {
    match show {
        Show::Date => {
            date(out, i128::from(n));
            Ok(())
        }
        Show::Timestamp(unit) => {
            timestamp(out, i128::from(n), i128::from(unit));
            Ok(())
        }
        Show::Time(unit) => {
            time_of_day(out, i128::from(n), i128::from(unit));
            Ok(())
        }
        Show::Decimal(scale) => {
            decimal(out, i128::from(n), scale);
            Ok(())
        }
        Show::Unsigned => write!(out, "{unsigned}"),
        _ => write!(out, "{n}"),
    }
}

/// A byte array as `show` says: as it is, as a decimal, a UUID or hex.
fn bytes_value(out: &mut Vec<u8>, show: Show, b: &[u8]) {
    match show {
        Show::Decimal(scale) if (1..=16).contains(&b.len()) => {
            let negative = b.first().is_some_and(|x| x & 0x80 != 0);
            let n = b
                .iter()
                .fold(-i128::from(negative), |n, &x| (n << 8) | i128::from(x));
            decimal(out, n, scale);
        }
        Show::Uuid if b.len() == 16 => {
            for (k, x) in b.iter().enumerate() {
                if matches!(k, 4 | 6 | 8 | 10) {
                    out.push(b'-');
                }
                hex(out, *x);
            }
        }
        Show::Text => out.extend_from_slice(b),
        _ => b.iter().for_each(|&x| hex(out, x)),
    }
}

fn hex(out: &mut Vec<u8>, x: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(DIGITS[usize::from(x >> 4)]);
    out.push(DIGITS[usize::from(x & 0x0f)]);
}

/// Integer `n` with `scale` digits after the point (`-12.34`).
pub(super) fn decimal(out: &mut Vec<u8>, n: i128, scale: u32) {
    let digits = n.unsigned_abs().to_string();
    let scale = scale as usize;
    if n < 0 {
        out.push(b'-');
    }
    if scale == 0 {
        out.extend_from_slice(digits.as_bytes());
    } else if digits.len() > scale {
        let (whole, fraction) = digits.as_bytes().split_at(digits.len() - scale);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits.as_bytes());
    }
}

/// A legacy INT96 timestamp: nanoseconds of the day, then the Julian day.
fn int96(out: &mut Vec<u8>, b: [u8; 12]) {
    /// The Julian day of 1970-01-01.
    const EPOCH: i128 = 2_440_588;
    let [n0, n1, n2, n3, n4, n5, n6, n7, d0, d1, d2, d3] = b;
    let nanos = u64::from_le_bytes([n0, n1, n2, n3, n4, n5, n6, n7]);
    let day = i128::from(u32::from_le_bytes([d0, d1, d2, d3])) - EPOCH;
    let at = day * 86_400_000_000_000 + i128::from(nanos);
    timestamp(out, at, 1_000_000_000);
}

/// Day `days` after 1970-01-01 as `YYYY-MM-DD` (a count past `i64` as the number).
pub(super) fn date(out: &mut Vec<u8>, days: i128) {
    let Ok(days) = i64::try_from(days) else {
        let _ = write!(out, "{days}");
        return;
    };
    let (year, month, day) = civil(days);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}");
}

/// Instant `at` (in units of 1 / `unit` of a second since 1970) as `YYYY-MM-DD HH:MM:SS`,
/// with the fraction of a second when there is one.
pub(super) fn timestamp(out: &mut Vec<u8>, at: i128, unit: i128) {
    let seconds = at.div_euclid(unit.max(1));
    date(out, seconds.div_euclid(86_400));
    out.push(b' ');
    time_of_day(out, at.rem_euclid(86_400 * unit.max(1)), unit);
}

/// Time `at` (in units of 1 / `unit` of a second) as `HH:MM:SS`, with the fraction of a
/// second when there is one.
pub(super) fn time_of_day(out: &mut Vec<u8>, at: i128, unit: i128) {
    let unit = unit.max(1);
    let seconds = at.div_euclid(unit);
    let fraction = at.rem_euclid(unit);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let _ = write!(out, "{h:02}:{m:02}:{s:02}");
    if fraction != 0 {
        let digits = unit.ilog10() as usize;
        let _ = write!(out, ".{fraction:0digits$}");
    }
}

#[cfg(test)]
pub(super) mod tests;
