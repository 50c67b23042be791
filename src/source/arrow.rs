//! Apache Arrow IPC files read for their rows: the file format (`.arrow`, and Feather v2,
//! what `df.to_feather("patients.feather")` writes) and the stream format (`.arrows`). A file
//! is an archive whose one member, [`ROWS`], is its rows as CSV (a header of the column
//! names, then one line per row, record batches in order), as a Parquet file's are
//! ([`parquet`](super::parquet)). Arrow keeps a string column's values run together in one
//! buffer (`536-90-4399418-27-3306`), and pyarrow compresses its buffers with LZ4 by
//! default: read as text runs, nothing in a Feather extract matched, even uncompressed.
//! Rendered, the rows meet every rule a CSV export meets, the column labels included.
//!
//! The reader is written here, not taken from the `arrow` crate, for the reasons the Parquet
//! one is: a server hook reads whatever a push brings, and a reader of phiguard's own
//! charges what a file expands to against the archive budget as it goes. It is safe Rust
//! that walks the format (<https://arrow.apache.org/docs/format/Columnar.html>) read-only:
//!
//! - The metadata are flatbuffers, read by hand (`Object`, `Vector`): every offset is
//!   checked against the message it is in, and the schema's fields are counted as they are
//!   visited (at most one per four bytes of metadata, nested at most `MAX_NESTING`), so
//!   fields shared between parents cannot make the walk long.
//! - Messages are read in order, forward only, from the start of the stream (after the
//!   magic of the file format, up to its footer); the footer's index is not needed.
//! - Everything the file expands to is charged to the archive budget as it is made: each
//!   decompressed buffer (charged before it is inflated, through a reader that stops at what
//!   it said), each value rendered, each dictionary entry, and `ENTRY_COST` for each value's
//!   place (null or not). A small file that claims a billion rows runs out of budget, not
//!   memory.
//!
//! It reads the metadata versions V4 and V5 (Arrow 0.8 on), little-endian, uncompressed or
//! with buffers compressed with LZ4 frames or zstd. Columns of these types are rendered:
//! null, integers, floats (single and double), booleans, decimals of up to 128 bits, dates,
//! times, timestamps, durations (their count), UTF-8 and binary strings (plain, large and
//! views), fixed-size binary, and dictionary-encoded columns (pandas' categoricals) of any
//! of them. Nested columns (lists, structs, maps, unions, run-end encoded), intervals, half
//! floats and 256-bit decimals are not: such a column's fields are left empty and it is
//! named in a member of its own whose content is the reason ([`COLUMN`]), so the file is
//! unscannable, never silently half-read; the columns after it still are read. So is a
//! column whose buffers are damaged. A file whose schema cannot be read (damaged,
//! big-endian, an older metadata version) cannot be read at all. Feather v1 (`FEA1`, before
//! pyarrow 0.17) is not Arrow IPC and is not read here.
//!
//! Values are shown as pandas shows them: integers and floats in decimal, booleans `True` and
//! `False`, dates `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM:SS` (and the fraction of a second
//! when there is one; in UTC, whatever time zone the column names), times `HH:MM:SS`,
//! decimals with their point, strings and binary as their bytes, nulls as empty fields.

use super::archive::{OVER_BUDGET, csv_line};
use super::parquet::{
    COLUMN, ENTRY_COST, Fail, Fields, ROWS, Table, charge, date, decimal, rows, time_of_day,
    timestamp,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Write};

/// How the file format starts (the magic, padded to 8 bytes).
const FILE_MAGIC: &[u8] = b"ARROW1\0\0";

/// How the file format ends, after its footer and the footer's length.
const END_MAGIC: &[u8] = b"ARROW1";

/// What comes before a message's length since Arrow 0.15.
const CONTINUATION: [u8; 4] = [0xff; 4];

/// Why a file cannot be read at all (its schema or footer is damaged).
const DAMAGED: &str = "a damaged Arrow file";

/// Why a big-endian file is not read.
const BIG_ENDIAN: &str = "a big-endian Arrow file";

/// Why one column cannot be read (its buffers are damaged); the others still are.
const DAMAGED_COLUMN: &str = "a damaged Arrow column";

/// Why a column of a nested or rare type is not read.
const UNREAD_TYPE: &str = "an Arrow column of a type phiguard does not read";

/// Why the columns after one of a type phiguard does not know cannot be found.
const LOST: &str = "an Arrow column after one of a type phiguard does not know";

/// Why a column compressed with a codec other than LZ4 and zstd is not read.
const UNREAD_CODEC: &str = "an Arrow column compressed with a codec phiguard does not read";

/// Why a dictionary-encoded column whose dictionary is missing is not read.
const NO_DICTIONARY: &str = "a dictionary-encoded Arrow column without its dictionary";

/// Fields nested deeper than this are damage.
const MAX_NESTING: usize = 64;

/// Message headers (`MessageHeader`).
const SCHEMA: u8 = 1;
const DICTIONARY_BATCH: u8 = 2;
const RECORD_BATCH: u8 = 3;

/// Whether `bytes` are Arrow IPC: the file format (`ARROW1` and two NULs: its footer is
/// not needed, and a file cut before it still holds its record batches), or the stream format
/// (a continuation marker, then a message whose header is a schema that reads).
pub fn is_arrow(bytes: &[u8]) -> bool {
    if bytes.starts_with(FILE_MAGIC) {
        return true;
    }
    bytes.starts_with(&CONTINUATION)
        && matches!(message(bytes, 0), Ok(Some(m)) if m.kind == SCHEMA
            && m.header.is_some_and(|h| schema(h, m.meta_len, m.v5).is_ok()))
}

/// Where the footer of file-format `bytes` starts: the end of its stream of messages.
fn footer_start(bytes: &[u8]) -> Option<usize> {
    let trailer = bytes.len().checked_sub(END_MAGIC.len() + 4)?;
    if trailer < FILE_MAGIC.len() || !bytes.ends_with(END_MAGIC) {
        return None;
    }
    let len = i32::from_le_bytes(get(bytes, trailer).ok()?);
    let start = trailer.checked_sub(usize::try_from(len).ok()?)?;
    (len > 0 && start >= FILE_MAGIC.len()).then_some(start)
}

/// The rows of Arrow IPC file `bytes` as one CSV member named [`ROWS`], then a member for
/// each column that could not be read (named `(column <name>)`, its content the reason);
/// what they render to is taken from `left`, the archive's budget. When no column could be
/// read at all, [`ROWS`] alone, unreadable for the first column's reason.
///
/// # Errors
///
/// Why the file cannot be read at all, in words for the report: its schema or footer is
/// damaged, or its rows render past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    // The messages: from after the magic to the footer, or the whole stream.
    // A file whose footer does not read (cut, or its length changed) is read as a stream
    // from after its magic, and each of its columns named damaged after it: dropping the
    // footer keeps every batch pyarrow's stream reader still reads.
    let (stream, footer_read) = if bytes.starts_with(FILE_MAGIC) {
        match footer_start(bytes) {
            Some(end) => (bytes.get(FILE_MAGIC.len()..end).ok_or(DAMAGED)?, true),
            None => (&bytes[FILE_MAGIC.len()..], false),
        }
    } else {
        (bytes, true)
    };
    let first = message(stream, 0).ok().flatten().ok_or(DAMAGED)?;
    let header = first
        .header
        .filter(|_| first.kind == SCHEMA)
        .ok_or(DAMAGED)?;
    let schema = schema(header, first.meta_len, first.v5).map_err(|e| e.0.unwrap_or(DAMAGED))?;
    let mut text = Vec::new();
    csv_line(&mut text, schema.columns.iter().map(|c| c.name));
    crate::work::add(text.len());
    charge(left, text.len() as u64).map_err(|_| OVER_BUDGET)?;

    let mut failed: Vec<Option<&'static str>> = vec![None; schema.columns.len()];
    let mut dictionaries: HashMap<i64, Result<Column, &'static str>> = HashMap::new();
    let mut read_any = false;
    let mut at = first.next;
    loop {
        let m = match message(stream, at) {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(_) => {
                // The stream cannot be followed past here: what it still held is lost.
                fail_all(&mut failed, DAMAGED_COLUMN);
                break;
            }
        };
        at = m.next;
        match m.kind {
            RECORD_BATCH => {
                let Some(batch) = m.header.and_then(|h| Batch::new(h, m.body).ok()) else {
                    fail_all(&mut failed, DAMAGED_COLUMN);
                    continue;
                };
                let columns = match record_batch(&schema, &batch, &dictionaries, left) {
                    Ok(columns) => columns,
                    Err(Fail::Over) => return Err(OVER_BUDGET),
                    Err(Fail::Why(why)) => {
                        fail_all(&mut failed, why);
                        continue;
                    }
                };
                let mut read = Vec::with_capacity(columns.len());
                for (column, failure) in columns.into_iter().zip(&mut failed) {
                    match column {
                        Ok(column) => {
                            read_any = true;
                            read.push(column);
                        }
                        Err(why) => {
                            failure.get_or_insert(why);
                            read.push(Column::default());
                        }
                    }
                }
                rows(&mut text, &read, left).map_err(|_| OVER_BUDGET)?;
            }
            DICTIONARY_BATCH => {
                let Some(header) = m.header else {
                    fail_all(&mut failed, DAMAGED_COLUMN);
                    continue;
                };
                dictionary(&schema, header, m.body, &mut dictionaries, left)
                    .map_err(|_| OVER_BUDGET)?;
            }
            // Another schema, a tensor: nothing of the rows.
            _ => {}
        }
    }
    if !footer_read {
        fail_all(&mut failed, DAMAGED);
    }
    let reasons = schema.columns.iter().zip(failed);
    let reasons = reasons.filter_map(|(c, f)| Some((c, f?)));
    let mut out = Vec::new();
    for (column, why) in reasons {
        if !read_any {
            return Ok(vec![(ROWS.to_string(), Err(why))]);
        }
        let name = String::from_utf8_lossy(column.name);
        out.push((format!("{COLUMN}{name})"), Err(why)));
    }
    out.insert(0, (ROWS.to_string(), Ok(text)));
    Ok(out)
}

/// Marks every column not yet failed as failed for `why`.
fn fail_all(failed: &mut [Option<&'static str>], why: &'static str) {
    for failure in failed {
        failure.get_or_insert(why);
    }
}

/// A column whose buffers are damaged.
const BROKEN: Fail = Fail::Why(DAMAGED_COLUMN);

/// One batch's values of a column, rendered, or of a dictionary.
#[derive(Debug, Default, Clone)]
struct Column {
    text: Vec<u8>,
    /// Where each row's field ends in `text`.
    ends: Vec<usize>,
}

impl Fields for Column {
    fn count(&self) -> usize {
        self.ends.len()
    }

    fn row(&self, r: usize) -> Option<&[u8]> {
        Column::row(self, r)
    }
}

impl Column {
    /// Row `r`'s field (empty for a null), if the column has that many rows.
    fn row(&self, r: usize) -> Option<&[u8]> {
        let end = *self.ends.get(r)?;
        let start = match r.checked_sub(1) {
            Some(p) => *self.ends.get(p)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// A null: an empty field.
    fn null(&mut self, left: &mut u64) -> Result<(), Fail> {
        charge(left, ENTRY_COST)?;
        self.ends.push(self.text.len());
        Ok(())
    }

    /// A value shown as its bytes, checked against the budget before it is copied.
    fn bytes(&mut self, b: &[u8], left: &mut u64) -> Result<(), Fail> {
        charge(left, (b.len() as u64).saturating_add(ENTRY_COST))?;
        self.text.extend_from_slice(b);
        self.ends.push(self.text.len());
        Ok(())
    }

    /// A value as `render` writes it (a few dozen bytes at most), then charged.
    fn rendered(&mut self, left: &mut u64, render: impl FnOnce(&mut Vec<u8>)) -> Result<(), Fail> {
        let start = self.text.len();
        render(&mut self.text);
        charge(left, (self.text.len() - start) as u64 + ENTRY_COST)?;
        self.ends.push(self.text.len());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Flatbuffers.

/// Metadata that do not read: an offset out of its buffer, a count past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bad(Option<&'static str>);

/// Damage with no more specific reason.
const BAD: Bad = Bad(None);

type Fb<T> = Result<T, Bad>;

/// The `N` bytes of `buf` at `at`.
fn get<const N: usize>(buf: &[u8], at: usize) -> Fb<[u8; N]> {
    let end = at.checked_add(N).ok_or(BAD)?;
    buf.get(at..end).and_then(|b| b.try_into().ok()).ok_or(BAD)
}

/// The unsigned 32-bit number at `at`.
fn u32_at(buf: &[u8], at: usize) -> Fb<usize> {
    usize::try_from(u32::from_le_bytes(get(buf, at)?)).map_err(|_| BAD)
}

/// A flatbuffer table: where it is in `buf`, how long, and its vtable's field offsets.
#[derive(Debug, Clone, Copy)]
struct Object<'a> {
    buf: &'a [u8],
    at: usize,
    size: usize,
    vtable: &'a [u8],
}

impl<'a> Object<'a> {
    /// The root table of flatbuffer `buf`.
    fn root(buf: &'a [u8]) -> Fb<Self> {
        Self::at(buf, u32_at(buf, 0)?)
    }

    /// The table at `at`, its vtable checked to lie in `buf` and its size to fit.
    fn at(buf: &'a [u8], at: usize) -> Fb<Self> {
        let soffset = i64::from(i32::from_le_bytes(get(buf, at)?));
        let at_signed = i64::try_from(at).map_err(|_| BAD)?;
        let vt = usize::try_from(at_signed - soffset).map_err(|_| BAD)?;
        let vsize = usize::from(u16::from_le_bytes(get(buf, vt)?));
        let size = usize::from(u16::from_le_bytes(get(buf, vt.saturating_add(2))?));
        if vsize < 4 || size < 4 {
            return Err(BAD);
        }
        let vtable = buf
            .get(vt.saturating_add(4)..vt.saturating_add(vsize))
            .ok_or(BAD)?;
        buf.get(at..at.saturating_add(size)).ok_or(BAD)?;
        Ok(Self {
            buf,
            at,
            size,
            vtable,
        })
    }

    /// Where field `id` (of `n` bytes) is in the buffer, `None` when it is absent.
    fn place(&self, id: usize, n: usize) -> Fb<Option<usize>> {
        let Ok(off) = get::<2>(self.vtable, id * 2) else {
            return Ok(None);
        };
        let off = usize::from(u16::from_le_bytes(off));
        if off == 0 {
            return Ok(None);
        }
        if off.saturating_add(n) > self.size {
            return Err(BAD);
        }
        Ok(Some(self.at + off))
    }

    /// Scalar field `id`, `None` when absent.
    fn scalar<const N: usize>(&self, id: usize) -> Fb<Option<[u8; N]>> {
        self.place(id, N)?.map(|at| get(self.buf, at)).transpose()
    }

    fn u8(&self, id: usize, default: u8) -> Fb<u8> {
        Ok(self.scalar(id)?.map_or(default, u8::from_le_bytes))
    }

    fn bool(&self, id: usize) -> Fb<bool> {
        Ok(self.u8(id, 0)? != 0)
    }

    fn i16(&self, id: usize, default: i16) -> Fb<i16> {
        Ok(self.scalar(id)?.map_or(default, i16::from_le_bytes))
    }

    fn i32(&self, id: usize, default: i32) -> Fb<i32> {
        Ok(self.scalar(id)?.map_or(default, i32::from_le_bytes))
    }

    fn i64(&self, id: usize, default: i64) -> Fb<i64> {
        Ok(self.scalar(id)?.map_or(default, i64::from_le_bytes))
    }

    /// Where the offset field `id` points, `None` when absent.
    fn target(&self, id: usize) -> Fb<Option<usize>> {
        let Some(at) = self.place(id, 4)? else {
            return Ok(None);
        };
        let to = at.checked_add(u32_at(self.buf, at)?).ok_or(BAD)?;
        if to >= self.buf.len() {
            return Err(BAD);
        }
        Ok(Some(to))
    }

    /// Sub-table field `id` (a union's value too), `None` when absent.
    fn table(&self, id: usize) -> Fb<Option<Object<'a>>> {
        self.target(id)?
            .map(|at| Object::at(self.buf, at))
            .transpose()
    }

    /// Vector field `id` of `width`-byte elements, `None` when absent.
    fn vector(&self, id: usize, width: usize) -> Fb<Option<Vector<'a>>> {
        let Some(at) = self.target(id)? else {
            return Ok(None);
        };
        let count = u32_at(self.buf, at)?;
        let start = at + 4;
        let end = count
            .checked_mul(width)
            .and_then(|n| n.checked_add(start))
            .ok_or(BAD)?;
        if end > self.buf.len() {
            return Err(BAD);
        }
        Ok(Some(Vector {
            buf: self.buf,
            start,
            count,
            width,
        }))
    }

    /// String field `id` (its bytes), `None` when absent.
    fn string(&self, id: usize) -> Fb<Option<&'a [u8]>> {
        Ok(self
            .vector(id, 1)?
            .and_then(|v| self.buf.get(v.start..v.start + v.count)))
    }
}

/// A flatbuffer vector: `count` elements of `width` bytes from `start`, all in `buf`.
#[derive(Debug, Clone, Copy)]
struct Vector<'a> {
    buf: &'a [u8],
    start: usize,
    count: usize,
    width: usize,
}

impl<'a> Vector<'a> {
    /// Where element `k` is.
    fn item(&self, k: usize) -> Fb<usize> {
        if k >= self.count {
            return Err(BAD);
        }
        Ok(self.start + k * self.width)
    }

    /// The table element `k` points to.
    fn table(&self, k: usize) -> Fb<Object<'a>> {
        let at = self.item(k)?;
        Object::at(self.buf, at.checked_add(u32_at(self.buf, at)?).ok_or(BAD)?)
    }

    /// The 64-bit number at byte `field` of element `k` (a struct's field, or a long).
    fn i64(&self, k: usize, field: usize) -> Fb<i64> {
        Ok(i64::from_le_bytes(get(self.buf, self.item(k)? + field)?))
    }
}

// ---------------------------------------------------------------------------------------
// Messages and the schema.

/// An encapsulated message: its header, its body, and where the next one starts.
struct Message<'a> {
    kind: u8,
    header: Option<Object<'a>>,
    /// The length of its metadata (what bounds the fields of a schema).
    meta_len: usize,
    /// Whether its metadata are V5 (else V4).
    v5: bool,
    body: &'a [u8],
    next: usize,
}

/// The message of `stream` at `at`, `None` at the end of the stream (its end, or the
/// end-of-stream marker). A message is a length (after the continuation marker since Arrow
/// 0.15), its metadata (a `Message` flatbuffer) and its body.
fn message(stream: &[u8], at: usize) -> Fb<Option<Message<'_>>> {
    if at >= stream.len() {
        return Ok(None);
    }
    let mut len = get::<4>(stream, at)?;
    let mut start = at + 4;
    if len == CONTINUATION {
        len = get(stream, start)?;
        start += 4;
    }
    let len = i32::from_le_bytes(len);
    if len == 0 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| BAD)?;
    let body_start = start.checked_add(len).ok_or(BAD)?;
    let meta = stream.get(start..body_start).ok_or(BAD)?;
    let m = Object::root(meta)?;
    // V4 (Arrow 0.8 to 0.17) and V5: the layouts read here.
    let version = m.i16(0, 0)?;
    if !(3..=4).contains(&version) {
        return Err(BAD);
    }
    let body_len = usize::try_from(m.i64(3, 0)?).map_err(|_| BAD)?;
    let next = body_start.checked_add(body_len).ok_or(BAD)?;
    Ok(Some(Message {
        kind: m.u8(1, 0)?,
        header: m.table(2)?,
        meta_len: len,
        v5: version == 4,
        body: stream.get(body_start..next).ok_or(BAD)?,
        next,
    }))
}

/// What a file's schema says of its columns.
struct Schema<'a> {
    columns: Vec<Plan<'a>>,
    /// The value type of each dictionary a column is encoded with, by its id.
    dictionaries: HashMap<i64, Kind>,
}

/// A top-level field: its name, how its values are read (or why they are not) and what it
/// takes of a record batch.
struct Plan<'a> {
    name: &'a [u8],
    kind: Reading,
    /// `None` for a type phiguard does not know: its buffers cannot be counted.
    shape: Option<Shape>,
}

/// What a field takes of a record batch, its children included: field nodes, buffers
/// (besides those of views), and entries of `variadicBufferCounts` (one per view field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape {
    nodes: usize,
    buffers: usize,
    views: usize,
}

/// The schema table `s` (of a message whose metadata is `meta_len` bytes, in metadata V5
/// when `v5`).
fn schema(s: Object, meta_len: usize, v5: bool) -> Fb<Schema> {
    if s.i16(0, 0)? != 0 {
        return Err(Bad(Some(BIG_ENDIAN)));
    }
    let mut columns = Vec::new();
    let mut dictionaries = HashMap::new();
    // A distinct field takes at least its 4-byte place in a vector.
    let mut seen = meta_len / 4;
    if let Some(fields) = s.vector(1, 4)? {
        for k in 0..fields.count {
            let f = fields.table(k)?;
            let name = f.string(0)?.unwrap_or_default();
            let shape = shape(f, v5, 0, &mut seen)?;
            let (kind, values) = column_kind(f)?;
            let kind = match (kind, values) {
                (Ok(Kind::Dictionary { id, .. }), Some(Ok(values))) => {
                    dictionaries.insert(id, values);
                    kind
                }
                (Ok(Kind::Dictionary { .. }), Some(Err(why))) => Err(why),
                _ => kind,
            };
            columns.push(Plan { name, kind, shape });
        }
    }
    Ok(Schema {
        columns,
        dictionaries,
    })
}

/// What field `f` takes of a record batch (`v5`: in metadata V5), `None` for a type
/// phiguard does not know. `seen` is how many more fields may be visited.
fn shape(f: Object, v5: bool, depth: usize, seen: &mut usize) -> Fb<Option<Shape>> {
    *seen = seen.checked_sub(1).ok_or(BAD)?;
    if depth > MAX_NESTING {
        return Err(BAD);
    }
    // A dictionary-encoded field is its indices: a validity and a values buffer.
    if f.table(4)?.is_some() {
        return Ok(Some(Shape {
            nodes: 1,
            buffers: 2,
            views: 0,
        }));
    }
    let ty = f.table(3)?;
    let (buffers, views) = match f.u8(2, 0)? {
        1 | 22 => (0, 0),
        2 | 3 | 6..=11 | 15 | 18 => (2, 0),
        4 | 5 | 19 | 20 => (3, 0),
        // Lists and maps: validity and offsets; list views, sizes too.
        12 | 17 | 21 => (2, 0),
        25 | 26 => (3, 0),
        13 | 16 => (1, 0),
        // A union: its type ids and a dense one's offsets, after a validity buffer before V5.
        14 => {
            let dense = ty.map(|t| t.i16(0, 0)).transpose()? == Some(1);
            (1 + usize::from(dense) + usize::from(!v5), 0)
        }
        23 | 24 => (2, 1),
        _ => return Ok(None),
    };
    let mut total = Shape {
        nodes: 1,
        buffers,
        views,
    };
    if let Some(children) = f.vector(5, 4)? {
        for k in 0..children.count {
            let Some(child) = shape(children.table(k)?, v5, depth + 1, seen)? else {
                return Ok(None);
            };
            total.nodes += child.nodes;
            total.buffers += child.buffers;
            total.views += child.views;
        }
    }
    Ok(Some(total))
}

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    /// An integer of `width` bytes.
    Int {
        width: usize,
        signed: bool,
    },
    /// A float of `width` bytes (4 or 8).
    Float {
        width: usize,
    },
    Bool,
    /// UTF-8 or binary, with 32-bit offsets (64-bit when `large`).
    Bytes {
        large: bool,
    },
    /// UTF-8 or binary views.
    View,
    /// Fixed-size binary of `width` bytes.
    Fixed {
        width: usize,
    },
    /// Days (32 bits) or, when `millis`, milliseconds (64 bits) since 1970.
    Date {
        millis: bool,
    },
    /// An instant in 1 / `per_second` of a second since 1970 (64 bits).
    Timestamp {
        per_second: i128,
    },
    /// A time of day in 1 / `per_second` of a second, of `width` bytes.
    Time {
        per_second: i128,
        width: usize,
    },
    /// A duration, shown as its count (64 bits).
    Duration,
    /// A decimal of `width` bytes with `scale` digits after the point.
    Decimal {
        width: usize,
        scale: u32,
    },
    /// Indices of `width` bytes into dictionary `id`.
    Dictionary {
        width: usize,
        signed: bool,
        id: i64,
    },
}

impl Kind {
    /// The bytes a value takes in the values buffer, for fixed-width kinds.
    fn width(self) -> Option<usize> {
        match self {
            Kind::Int { width, .. }
            | Kind::Float { width }
            | Kind::Fixed { width }
            | Kind::Time { width, .. }
            | Kind::Decimal { width, .. } => Some(width),
            Kind::Date { millis: false } => Some(4),
            Kind::Date { millis: true } | Kind::Timestamp { .. } | Kind::Duration => Some(8),
            _ => None,
        }
    }
}

/// How a column's values are read, or why they are not.
type Reading = Result<Kind, &'static str>;

/// How field `f`'s values are read, and for a dictionary-encoded one how its dictionary's
/// are.
fn column_kind(f: Object) -> Fb<(Reading, Option<Reading>)> {
    let values = value_kind(f.u8(2, 0)?, f.table(3)?)?;
    let Some(encoding) = f.table(4)? else {
        return Ok((values, None));
    };
    let id = encoding.i64(0, 0)?;
    let (width, signed) = match encoding.table(1)? {
        Some(int) => (int.i32(0, 0)?, int.bool(1)?),
        None => (32, true),
    };
    let kind = match width {
        8 | 16 | 32 | 64 => Ok(Kind::Dictionary {
            width: width as usize / 8,
            signed,
            id,
        }),
        _ => Err(UNREAD_TYPE),
    };
    Ok((kind, Some(values)))
}

/// How values of type `id` (its table `ty`) are read, or why they are not.
fn value_kind(id: u8, ty: Option<Object>) -> Fb<Reading> {
    let short = |field: usize, default: i16| ty.map_or(Ok(default), |t| t.i16(field, default));
    let int = |field: usize, default: i32| ty.map_or(Ok(default), |t| t.i32(field, default));
    let per_second = |unit: i16| match unit {
        0 => Some(1),
        1 => Some(1_000),
        2 => Some(1_000_000),
        3 => Some(1_000_000_000),
        _ => None,
    };
    let kind = match id {
        1 => Some(Kind::Null),
        2 => {
            let signed = ty.map_or(Ok(false), |t| t.bool(1))?;
            match int(0, 0)? {
                w @ (8 | 16 | 32 | 64) => Some(Kind::Int {
                    width: w as usize / 8,
                    signed,
                }),
                _ => None,
            }
        }
        3 => match short(0, 0)? {
            1 => Some(Kind::Float { width: 4 }),
            2 => Some(Kind::Float { width: 8 }),
            _ => None,
        },
        4 | 5 => Some(Kind::Bytes { large: false }),
        19 | 20 => Some(Kind::Bytes { large: true }),
        23 | 24 => Some(Kind::View),
        6 => Some(Kind::Bool),
        7 => {
            let scale = u32::try_from(int(1, 0)?).ok().filter(|&s| s <= 38);
            match (int(2, 128)?, scale) {
                (w @ (32 | 64 | 128), Some(scale)) => Some(Kind::Decimal {
                    width: w as usize / 8,
                    scale,
                }),
                _ => None,
            }
        }
        8 => match short(0, 1)? {
            0 => Some(Kind::Date { millis: false }),
            1 => Some(Kind::Date { millis: true }),
            _ => None,
        },
        9 => {
            let unit = short(0, 1)?;
            match (per_second(unit), int(1, 32)?) {
                (Some(p), 32) if unit <= 1 => Some(Kind::Time {
                    per_second: p,
                    width: 4,
                }),
                (Some(p), 64) if unit >= 2 => Some(Kind::Time {
                    per_second: p,
                    width: 8,
                }),
                _ => None,
            }
        }
        10 => per_second(short(0, 0)?).map(|p| Kind::Timestamp { per_second: p }),
        15 => usize::try_from(int(0, 0)?)
            .ok()
            .filter(|&w| w > 0)
            .map(|width| Kind::Fixed { width }),
        18 => Some(Kind::Duration),
        _ => None,
    };
    Ok(kind.ok_or(UNREAD_TYPE))
}

// ---------------------------------------------------------------------------------------
// Record batches.

/// The codecs a batch's buffers may be compressed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Lz4,
    Zstd,
}

/// A record batch: its nodes and buffers, read from its message's `body`.
struct Batch<'a> {
    length: i64,
    /// `FieldNode`s: length and null count.
    nodes: Vector<'a>,
    /// `Buffer`s: offset and length in the body.
    buffers: Vector<'a>,
    /// `variadicBufferCounts`: how many data buffers each view field has.
    variadic: Option<Vector<'a>>,
    /// The compression of its buffers, if they are compressed.
    codec: Option<Result<Codec, &'static str>>,
    body: &'a [u8],
}

/// Where a field's nodes, buffers and variadic counts start in a batch.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    node: usize,
    buffer: usize,
    view: usize,
}

impl<'a> Batch<'a> {
    /// The `RecordBatch` table `rb`, its buffers in `body`.
    fn new(rb: Object<'a>, body: &'a [u8]) -> Fb<Self> {
        let empty = Vector {
            buf: rb.buf,
            start: 0,
            count: 0,
            width: 16,
        };
        let codec = match rb.table(3)? {
            None => None,
            Some(c) => Some(match c.u8(0, 0)? {
                0 => Ok(Codec::Lz4),
                1 => Ok(Codec::Zstd),
                _ => Err(UNREAD_CODEC),
            }),
        };
        Ok(Batch {
            length: rb.i64(0, 0)?,
            nodes: rb.vector(1, 16)?.unwrap_or(empty),
            buffers: rb.vector(2, 16)?.unwrap_or(empty),
            variadic: rb.vector(4, 8)?,
            codec,
            body,
        })
    }

    /// Moves `at` past a field of `shape`; `false` when the batch has not that much.
    fn advance(&self, at: &mut Cursor, shape: Shape) -> bool {
        // Nodes first: a field has at least as many as views, so the batch's own nodes
        // bound the counts looked at.
        match at.node.checked_add(shape.nodes) {
            Some(end) if end <= self.nodes.count => {}
            _ => return false,
        }
        let mut buffers = at.buffer.saturating_add(shape.buffers);
        for k in 0..shape.views {
            let Some(n) = self.variadic_count(at.view + k) else {
                return false;
            };
            buffers = buffers.saturating_add(n);
        }
        at.node = at.node.saturating_add(shape.nodes);
        at.buffer = buffers;
        at.view += shape.views;
        at.node <= self.nodes.count && at.buffer <= self.buffers.count
    }

    /// Entry `k` of `variadicBufferCounts`.
    fn variadic_count(&self, k: usize) -> Option<usize> {
        usize::try_from(self.variadic?.i64(k, 0).ok()?).ok()
    }

    /// Node `k`: its length and null count.
    fn node(&self, k: usize) -> Result<(usize, i64), Fail> {
        let length = self.nodes.i64(k, 0).map_err(|_| BROKEN)?;
        let nulls = self.nodes.i64(k, 8).map_err(|_| BROKEN)?;
        Ok((usize::try_from(length).map_err(|_| BROKEN)?, nulls))
    }

    /// Buffer `k`, inflated if the batch is compressed (what it inflates to charged to
    /// `left`).
    fn buffer(&self, k: usize, left: &mut u64) -> Result<Cow<'a, [u8]>, Fail> {
        let offset = self.buffers.i64(k, 0).map_err(|_| BROKEN)?;
        let length = self.buffers.i64(k, 8).map_err(|_| BROKEN)?;
        let start = usize::try_from(offset).map_err(|_| BROKEN)?;
        let length = usize::try_from(length).map_err(|_| BROKEN)?;
        let end = start.checked_add(length).ok_or(BROKEN)?;
        let raw = self.body.get(start..end).ok_or(BROKEN)?;
        match self.codec {
            _ if raw.is_empty() => Ok(Cow::Borrowed(raw)),
            None => Ok(Cow::Borrowed(raw)),
            Some(Err(why)) => Err(Fail::Why(why)),
            Some(Ok(codec)) => inflate(codec, raw, left),
        }
    }
}

/// Compressed buffer `raw`: its uncompressed length (8 bytes; -1 when it was left
/// uncompressed), then its content, inflated and charged to `left` before it is.
fn inflate<'b>(codec: Codec, raw: &'b [u8], left: &mut u64) -> Result<Cow<'b, [u8]>, Fail> {
    let size = i64::from_le_bytes(get(raw, 0).map_err(|_| BROKEN)?);
    let data = raw.get(8..).ok_or(BROKEN)?;
    if size == -1 {
        return Ok(Cow::Borrowed(data));
    }
    let size = u64::try_from(size).map_err(|_| BROKEN)?;
    charge(left, size)?;
    crate::work::add(
        data.len()
            .saturating_add(usize::try_from(size).unwrap_or(usize::MAX)),
    );
    let out = match codec {
        Codec::Lz4 => exactly(lz4_flex::frame::FrameDecoder::new(data), size),
        Codec::Zstd => {
            // A frame's window need not be larger than its content.
            let window = size.saturating_mul(2).max(1 << 20);
            let window = window.min(ruzstd::decoding::DEFAULT_MAX_WINDOW_SIZE);
            ruzstd::decoding::StreamingDecoder::new_with_max_window_size(data, window)
                .ok()
                .and_then(|d| exactly(d, size))
        }
    };
    out.map(Cow::Owned).ok_or(BROKEN)
}

/// Reads `r` to its end if it holds exactly `size` bytes (already charged), reading no
/// more than one byte past them.
fn exactly(r: impl Read, size: u64) -> Option<Vec<u8>> {
    let room = usize::try_from(size.min(1 << 20)).unwrap_or(0);
    let mut out = Vec::with_capacity(room);
    r.take(size.saturating_add(1)).read_to_end(&mut out).ok()?;
    (out.len() as u64 == size).then_some(out)
}

/// The columns of record `batch`, each read or why not.
fn record_batch(
    schema: &Schema,
    batch: &Batch,
    dictionaries: &HashMap<i64, Result<Column, &'static str>>,
    left: &mut u64,
) -> Result<Vec<Result<Column, &'static str>>, Fail> {
    // Each column takes a node at least: fewer is damage, and more columns than the
    // batch holds nodes cannot be looked for.
    if batch.nodes.count < schema.columns.len() {
        return Err(BROKEN);
    }
    let mut at = Cursor::default();
    let mut lost = None;
    let mut out = Vec::with_capacity(schema.columns.len());
    for plan in &schema.columns {
        let here = at;
        if lost.is_none() {
            match plan.shape {
                None => lost = Some(LOST),
                Some(shape) if !batch.advance(&mut at, shape) => lost = Some(DAMAGED_COLUMN),
                Some(_) => {}
            }
        }
        let column = match (plan.kind, lost) {
            (Err(why), _) => Err(why),
            (_, Some(why)) => Err(why),
            (Ok(kind), None) => match read_column(kind, batch, here, dictionaries, left) {
                Ok(column) => Ok(column),
                Err(Fail::Over) => return Err(Fail::Over),
                Err(Fail::Why(why)) => Err(why),
            },
        };
        out.push(column);
    }
    Ok(out)
}

/// Reads dictionary batch `d` (in `body`) into `dictionaries`, when one of the columns
/// is encoded with it. A dictionary that cannot be read is kept as why, for the columns
/// that use it.
fn dictionary(
    schema: &Schema,
    d: Object,
    body: &[u8],
    dictionaries: &mut HashMap<i64, Result<Column, &'static str>>,
    left: &mut u64,
) -> Result<(), Fail> {
    let Ok(id) = d.i64(0, 0) else {
        return Ok(());
    };
    let Some(&kind) = schema.dictionaries.get(&id) else {
        return Ok(());
    };
    let delta = d.bool(2).unwrap_or(false);
    let read = match d.table(1) {
        Ok(Some(data)) => match Batch::new(data, body) {
            Ok(batch) => read_column(kind, &batch, Cursor::default(), &HashMap::new(), left),
            Err(_) => Err(BROKEN),
        },
        _ => Err(BROKEN),
    };
    let read = match read {
        Err(Fail::Over) => return Err(Fail::Over),
        Err(Fail::Why(why)) => Err(why),
        Ok(column) => Ok(column),
    };
    match (dictionaries.get_mut(&id), read) {
        (Some(Ok(old)), Ok(more)) if delta => {
            let shift = old.text.len();
            old.text.extend_from_slice(&more.text);
            old.ends.extend(more.ends.iter().map(|e| e + shift));
        }
        (Some(Err(_)), Ok(_)) if delta => {}
        (_, read) => {
            dictionaries.insert(id, read);
        }
    }
    Ok(())
}

/// Whether value `i` is valid under validity bitmap `bits` (empty: all are).
fn valid(bits: &[u8], i: usize) -> bool {
    bits.is_empty() || bits.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1)
}

/// The `(i)`th offset of an offsets buffer, 32 bits (64 when `large`).
fn offset(buf: &[u8], i: usize, large: bool) -> Result<usize, Fail> {
    let n = if large {
        i64::from_le_bytes(get(buf, i.checked_mul(8).ok_or(BROKEN)?).map_err(|_| BROKEN)?)
    } else {
        i64::from(i32::from_le_bytes(
            get(buf, i.checked_mul(4).ok_or(BROKEN)?).map_err(|_| BROKEN)?,
        ))
    };
    usize::try_from(n).map_err(|_| BROKEN)
}

/// The values of the top-level field of `kind` whose node and buffers start at `at` in
/// `batch`, rendered (a dictionary-encoded one's from `dictionaries`).
fn read_column(
    kind: Kind,
    batch: &Batch,
    at: Cursor,
    dictionaries: &HashMap<i64, Result<Column, &'static str>>,
    left: &mut u64,
) -> Result<Column, Fail> {
    let (n, nulls) = batch.node(at.node)?;
    if i64::try_from(n).ok() != Some(batch.length) {
        return Err(BROKEN);
    }
    let mut column = Column::default();
    if n == 0 {
        return Ok(column);
    }
    if kind == Kind::Null {
        charge(left, (n as u64).saturating_mul(ENTRY_COST))?;
        crate::work::add(n);
        column.ends = vec![0; n];
        return Ok(column);
    }
    let validity = batch.buffer(at.buffer, left)?;
    let validity: &[u8] = if nulls == 0 { &[] } else { &validity };
    if !validity.is_empty() && validity.len() < n.div_ceil(8) {
        return Err(BROKEN);
    }
    let values = batch.buffer(at.buffer + 1, left)?;
    crate::work::add(n);
    match kind {
        Kind::Null => {}
        Kind::Bool => {
            if values.len() < n.div_ceil(8) {
                return Err(BROKEN);
            }
            for i in 0..n {
                if !valid(validity, i) {
                    column.null(left)?;
                } else if valid(&values, i) {
                    column.bytes(b"True", left)?;
                } else {
                    column.bytes(b"False", left)?;
                }
            }
        }
        Kind::Bytes { large } => {
            let data = batch.buffer(at.buffer + 2, left)?;
            let mut start = offset(&values, 0, large)?;
            for i in 0..n {
                let end = offset(&values, i + 1, large)?;
                let value = data.get(start..end).ok_or(BROKEN)?;
                if valid(validity, i) {
                    column.bytes(value, left)?;
                } else {
                    column.null(left)?;
                }
                start = end;
            }
        }
        Kind::View => {
            let count = batch.variadic_count(at.view).ok_or(BROKEN)?;
            if count > batch.buffers.count {
                return Err(BROKEN);
            }
            if values.len() < n.checked_mul(16).ok_or(BROKEN)? {
                return Err(BROKEN);
            }
            let mut data = Vec::with_capacity(count);
            for k in 0..count {
                data.push(batch.buffer(at.buffer + 2 + k, left)?);
            }
            for i in 0..n {
                let view = values.get(i * 16..i * 16 + 16).ok_or(BROKEN)?;
                if !valid(validity, i) {
                    column.null(left)?;
                    continue;
                }
                let len = i32::from_le_bytes(get(view, 0).map_err(|_| BROKEN)?);
                let len = usize::try_from(len).map_err(|_| BROKEN)?;
                let value = if len <= 12 {
                    view.get(4..4 + len).ok_or(BROKEN)?
                } else {
                    let index = i32::from_le_bytes(get(view, 8).map_err(|_| BROKEN)?);
                    let from = i32::from_le_bytes(get(view, 12).map_err(|_| BROKEN)?);
                    let index = usize::try_from(index).map_err(|_| BROKEN)?;
                    let from = usize::try_from(from).map_err(|_| BROKEN)?;
                    let buf = data.get(index).ok_or(BROKEN)?;
                    buf.get(from..from.checked_add(len).ok_or(BROKEN)?)
                        .ok_or(BROKEN)?
                };
                column.bytes(value, left)?;
            }
        }
        Kind::Dictionary { width, signed, id } => {
            let dictionary = match dictionaries.get(&id) {
                Some(Ok(d)) => d,
                Some(Err(why)) => return Err(Fail::Why(why)),
                None => return Err(Fail::Why(NO_DICTIONARY)),
            };
            if values.len() < n.checked_mul(width).ok_or(BROKEN)? {
                return Err(BROKEN);
            }
            for (i, index) in values.chunks_exact(width).take(n).enumerate() {
                if !valid(validity, i) {
                    column.null(left)?;
                    continue;
                }
                let index = if signed {
                    usize::try_from(signed_le(index)).ok()
                } else {
                    usize::try_from(unsigned_le(index)).ok()
                };
                let value = index.and_then(|k| dictionary.row(k)).ok_or(BROKEN)?;
                column.bytes(value, left)?;
            }
        }
        _ => {
            let width = kind.width().ok_or(BROKEN)?;
            if values.len() < n.checked_mul(width).ok_or(BROKEN)? {
                return Err(BROKEN);
            }
            for (i, value) in values.chunks_exact(width).take(n).enumerate() {
                if !valid(validity, i) {
                    column.null(left)?;
                } else if let Kind::Fixed { .. } = kind {
                    column.bytes(value, left)?;
                } else {
                    column.rendered(left, |out| render(out, kind, value))?;
                }
            }
        }
    }
    Ok(column)
}

// ---------------------------------------------------------------------------------------
// Values, as pandas shows them.

/// Little-endian `b` (at most 16 bytes) as a signed number.
fn signed_le(b: &[u8]) -> i128 {
    let negative = b.last().is_some_and(|x| x & 0x80 != 0);
    b.iter()
        .rev()
        .fold(-i128::from(negative), |n, &x| (n << 8) | i128::from(x))
}

/// Little-endian `b` (at most 16 bytes) as an unsigned number.
fn unsigned_le(b: &[u8]) -> u128 {
    b.iter().rev().fold(0, |n, &x| (n << 8) | u128::from(x))
}

/// Fixed-width value `b` of `kind`, rendered onto `out`.
fn render(out: &mut Vec<u8>, kind: Kind, b: &[u8]) {
    // Writing to a `Vec` cannot fail.
    let _ = match kind {
        Kind::Int { signed: true, .. } | Kind::Duration => write!(out, "{}", signed_le(b)),
        Kind::Int { signed: false, .. } => write!(out, "{}", unsigned_le(b)),
        Kind::Float { width: 4 } => match b.try_into() {
            Ok(b) => write!(out, "{:?}", f32::from_le_bytes(b)),
            Err(_) => Ok(()),
        },
        Kind::Float { .. } => match b.try_into() {
            Ok(b) => write!(out, "{:?}", f64::from_le_bytes(b)),
            Err(_) => Ok(()),
        },
        Kind::Date { millis: false } => {
            date(out, signed_le(b));
            Ok(())
        }
        Kind::Date { millis: true } => {
            date(out, signed_le(b).div_euclid(86_400_000));
            Ok(())
        }
        Kind::Timestamp { per_second } => {
            timestamp(out, signed_le(b), per_second);
            Ok(())
        }
        Kind::Time { per_second, .. } => {
            time_of_day(out, signed_le(b), per_second);
            Ok(())
        }
        Kind::Decimal { scale, .. } => {
            decimal(out, signed_le(b), scale);
            Ok(())
        }
        _ => {
            out.extend_from_slice(b);
            Ok(())
        }
    };
}

#[cfg(test)]
mod tests;
