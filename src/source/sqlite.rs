//! SQLite databases read for their rows: a database is an archive whose members are its
//! tables, each rendered as CSV (a header of the column names, then one line per row, in
//! rowid order). A development database copied from production, a test `.sqlite` or an app's
//! `data.db` holds its patients in plain bytes, and it was skipped as binary. Rendered, the
//! rows meet every rule a CSV export meets, the column labels included, and a changed
//! database adds only its new or changed rows.
//!
//! The reader is written here rather than linked from SQLite: a server hook reads whatever a
//! push brings, and SQLite itself warns that a maliciously malformed database can make it
//! read past the buffer (`sqlite3_deserialize`). This one is safe Rust that walks the file
//! format (<https://www.sqlite.org/fileformat.html>) read-only: every page is visited at most
//! once (a page reached twice is damage, so a cycle cannot loop), the walk keeps its own
//! stack (a deep tree cannot overflow the thread's), and what it renders is charged to the
//! archive budget as it goes. It reads rowid tables and `WITHOUT ROWID` tables, overflow
//! chains, and UTF-8 and UTF-16 databases; indexes (copies of their table's values) and
//! views are not members.
//!
//! Rows deleted but not yet overwritten are read too ([`DELETED`]): SQLite frees a deleted
//! row's bytes without clearing them unless `secure_delete` is on, so `DELETE FROM
//! patients` leaves the patients in the file.

use super::archive::{OVER_BUDGET, csv_field as field, csv_line};

/// The first 16 bytes of every SQLite database file.
const MAGIC: &[u8] = b"SQLite format 3\0";

/// Why a database cannot be read at all (its header or schema is damaged).
const DAMAGED: &str = "a damaged SQLite database";

/// Why one table cannot be read (its pages are damaged); the other tables still are.
const DAMAGED_TABLE: &str = "a damaged SQLite table";

/// Whether `bytes` start as an SQLite database.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// One table of a database: its name, and its rows as CSV or why they cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// The tables of database `bytes`, in the schema's order, rendered as CSV, then the rows
/// deleted but still in its free space (members named `… (deleted rows)`, [`DELETED`]);
/// what they render to is taken from `left`, the archive's budget.
///
/// # Errors
///
/// Why the database cannot be read at all, in words for the report: its header or schema is
/// damaged, or its tables render past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let mut db = Db::open(bytes).ok_or(DAMAGED)?;
    let utf16 = db.utf16;
    let (mut schema, mut indexes) = (Vec::new(), Vec::new());
    db.walk(1, |_, payload| {
        let values = record(payload, false).ok_or(Walk::Damaged)?;
        let text = |i: usize| match values.get(i) {
            Some(Value::Text(t)) => Some(db_text(t, utf16)),
            _ => None,
        };
        let root = match values.get(3) {
            Some(&Value::Int(n)) => u32::try_from(n).unwrap_or(0),
            _ => 0,
        };
        match text(0).as_deref() {
            Some("table") if root != 0 => {
                let name = text(1).unwrap_or_default();
                let sql = text(4).unwrap_or_default();
                schema.push((name, root, sql));
            }
            Some("index") if root != 0 => indexes.push(root),
            _ => {}
        }
        Ok(())
    })
    .map_err(|_| DAMAGED)?;
    let mut out = Vec::with_capacity(schema.len() + 1);
    let schema: Vec<(String, u32, Columns)> = schema
        .into_iter()
        .map(|(name, root, sql)| (name, root, Columns::parse(&sql)))
        .collect();
    // An index's record is its columns and the rowid; a table whose columns are unknown is
    // given 64.
    db.columns = schema
        .iter()
        .map(|(_, _, c)| {
            if c.names.is_empty() {
                64
            } else {
                c.names.len() + 1
            }
        })
        .max()
        .unwrap_or(0);
    db.shapes = schema
        .iter()
        .map(|(name, _, c)| Shape {
            name: name.clone(),
            count: c.names.len(),
            affinity: c.affinity.clone(),
            alias: c.rowid_alias,
            header: header(c),
        })
        .collect();
    db.index_rows = schema.iter().any(|(_, _, c)| c.without_rowid);
    for (name, root, columns) in schema {
        match db.table(root, &columns, left) {
            Ok(text) => out.push((name, Ok(text))),
            Err(Walk::Damaged) => out.push((name, Err(DAMAGED_TABLE))),
            Err(Walk::OverBudget) => return Err(OVER_BUDGET),
        }
    }
    // Indexes are walked for their pages only (what is in no tree is free space); their
    // free space is not read, as an index holds copies of its table's values.
    let table_pages = db.trees.len();
    for root in indexes {
        let _ = db.walk(root, |_, _| Ok(()));
    }
    db.trees.truncate(table_pages);
    let recovered = db.deleted(left).map_err(|_| OVER_BUDGET)?;
    out.extend(recovered.into_iter().map(|(name, text)| (name, Ok(text))));
    Ok(out)
}

/// How the members of rows deleted but still in the file end: `patients (deleted rows)`
/// for the rows that fit table `patients` (its number of columns, and types that can hold
/// their values; under its header), and `(deleted rows)` alone for those that fit no one
/// table.
pub const DELETED: &str = "(deleted rows)";

/// Why a walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Damaged,
    OverBudget,
}

/// A database file and what its header says of it.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    /// The bytes of a page that hold content (the page size less the reserved bytes).
    usable: usize,
    pages: usize,
    /// `None` for UTF-8 text, `Some(true)` for UTF-16LE, `Some(false)` for UTF-16BE.
    utf16: Option<bool>,
    /// Pages visited so far, by number less one: a page is part of one tree or chain.
    seen: Vec<bool>,
    /// The b-tree pages walked, whose free space may still hold deleted rows.
    trees: Vec<u32>,
    /// The most columns a record of the database can have (its widest table or index).
    columns: usize,
    /// Each table's shape, to give a recovered row the header and rowid its table would.
    shapes: Vec<Shape>,
    /// Whether a table is kept in an index b-tree (`WITHOUT ROWID`): if none is, a free
    /// index page holds index entries (copies of a table's values), not rows.
    index_rows: bool,
}

/// What a recovered row of a table is read with: the table's name, number of columns,
/// rowid alias and CSV header.
struct Shape {
    name: String,
    count: usize,
    affinity: Vec<Affinity>,
    alias: Option<usize>,
    header: Vec<u8>,
}

/// A value of a record.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Null,
    Int(i64),
    Float(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// Page types (the first byte of a b-tree page's header).
const INTERIOR_INDEX: u8 = 2;
const INTERIOR_TABLE: u8 = 5;
const LEAF_INDEX: u8 = 10;
const LEAF_TABLE: u8 = 13;

/// A b-tree page's header, read from its first 8 bytes (at offset 100 on page 1).
struct Header {
    typ: u8,
    /// The offset of the first free block (0: none).
    first_free: usize,
    cells: usize,
    /// Where the cells' content starts (the end of the unallocated middle).
    content: usize,
    /// Where the cell pointer array starts: past the header, 12 bytes for an interior page
    /// (it holds the rightmost child), 8 for a leaf.
    pointers: usize,
}

impl Header {
    fn read(page: &[u8], head: usize) -> Option<Header> {
        let h = page.get(head..head + 8)?;
        let interior = matches!(h[0], INTERIOR_TABLE | INTERIOR_INDEX);
        Some(Header {
            typ: h[0],
            first_free: be16(h, 1),
            cells: be16(h, 3),
            content: match be16(h, 5) {
                0 => 65536,
                c => c,
            },
            pointers: head + if interior { 12 } else { 8 },
        })
    }

    fn interior(&self) -> bool {
        matches!(self.typ, INTERIOR_TABLE | INTERIOR_INDEX)
    }

    /// The cell pointer array (two bytes a cell), if it lies inside `page`.
    fn cell_pointers<'p>(&self, page: &'p [u8]) -> Option<&'p [u8]> {
        page.get(self.pointers..self.pointers + 2 * self.cells)
    }
}

/// The big-endian `u16` at `at` of `bytes` (which the caller has bounded).
fn be16(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]))
}

/// The big-endian `u32` at `at` of `bytes`, if it is inside.
fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A step of a tree walk: a page to open, or an interior index cell whose payload comes
/// between its left child and the next cell.
enum Step {
    Page(u32),
    Cell { page: u32, at: usize },
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        if !is_sqlite(bytes) || bytes.len() < 100 {
            return None;
        }
        let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            n if n >= 512 && n.is_power_of_two() => usize::from(n),
            _ => return None,
        };
        let usable = page_size.checked_sub(usize::from(bytes[20]))?;
        if usable < 480 {
            return None;
        }
        let utf16 = match u32::from_be_bytes([bytes[56], bytes[57], bytes[58], bytes[59]]) {
            0 | 1 => None,
            2 => Some(true),
            3 => Some(false),
            _ => return None,
        };
        let pages = bytes.len() / page_size;
        Some(Db {
            bytes,
            page_size,
            usable,
            pages,
            utf16,
            seen: vec![false; pages],
            trees: Vec::new(),
            columns: 0,
            shapes: Vec::new(),
            index_rows: false,
        })
    }

    /// Page `i` (numbered from 0: page `i + 1`)'s usable bytes.
    fn page(&self, i: usize) -> &'a [u8] {
        let bytes = self.bytes;
        &bytes[i * self.page_size..][..self.usable]
    }

    /// Page `n` (numbered from 1), the first time it is asked for.
    fn visit(&mut self, n: u32) -> Result<&'a [u8], Walk> {
        let i = (n as usize).checked_sub(1).ok_or(Walk::Damaged)?;
        if i >= self.pages || std::mem::replace(&mut self.seen[i], true) {
            return Err(Walk::Damaged);
        }
        Ok(self.page(i))
    }

    /// Calls `each` with the rowid (0 in an index tree) and payload of every row of the
    /// tree rooted at `root`, in key order.
    fn walk(
        &mut self,
        root: u32,
        mut each: impl FnMut(i64, &[u8]) -> Result<(), Walk>,
    ) -> Result<(), Walk> {
        let mut stack = vec![Step::Page(root)];
        let mut payload = Vec::new();
        let mut kind = None;
        while let Some(step) = stack.pop() {
            let (n, at) = match step {
                Step::Page(n) => (n, None),
                Step::Cell { page, at } => (page, Some(at)),
            };
            if let Some(at) = at {
                // An interior index cell: its page was visited when it was opened.
                let page = self.page_at(n);
                self.payload(page, at + 4, true, &mut payload)?;
                each(0, &payload)?;
                continue;
            }
            let page = self.visit(n)?;
            let head = if n == 1 { 100 } else { 0 };
            let header = Header::read(page, head).ok_or(Walk::Damaged)?;
            // One tree holds one kind of page: an index page under a table root is damage.
            let index = match header.typ {
                INTERIOR_TABLE | LEAF_TABLE => false,
                INTERIOR_INDEX | LEAF_INDEX => true,
                _ => return Err(Walk::Damaged),
            };
            if *kind.get_or_insert(index) != index {
                return Err(Walk::Damaged);
            }
            self.trees.push(n);
            let array = header.cell_pointers(page).ok_or(Walk::Damaged)?;
            if header.interior() {
                let right = be32(page, head + 8).ok_or(Walk::Damaged)?;
                stack.push(Step::Page(right));
                for k in (0..header.cells).rev() {
                    let at = be16(array, 2 * k);
                    let child = be32(page, at).ok_or(Walk::Damaged)?;
                    if index {
                        stack.push(Step::Cell { page: n, at });
                    }
                    stack.push(Step::Page(child));
                }
            } else {
                for k in 0..header.cells {
                    let at = be16(array, 2 * k);
                    let rowid = if index {
                        self.payload(page, at, true, &mut payload)?;
                        0
                    } else {
                        let (_, after) = varint(page, at).ok_or(Walk::Damaged)?;
                        let (rowid, _) = varint(page, after).ok_or(Walk::Damaged)?;
                        self.payload(page, at, false, &mut payload)?;
                        rowid as i64
                    };
                    each(rowid, &payload)?;
                }
            }
        }
        Ok(())
    }

    /// Page `n`'s usable bytes (numbered from 1), visited or not (for a cell of a page
    /// already opened).
    fn page_at(&self, n: u32) -> &'a [u8] {
        self.page(n as usize - 1)
    }

    /// How much of a payload of `size` bytes a cell holds on its page (the rest overflows).
    fn local(&self, size: usize, index: bool) -> usize {
        let u = self.usable;
        let most = if index {
            (u - 12) * 64 / 255 - 23
        } else {
            u - 35
        };
        let least = (u - 12) * 32 / 255 - 23;
        if size <= most {
            size
        } else {
            let k = least + (size - least) % (u - 4);
            if k <= most { k } else { least }
        }
    }

    /// The payload of the cell at `at` of `page` (its size first; a table leaf's rowid
    /// next), with its overflow chain, into `out`.
    fn payload(
        &mut self,
        page: &'a [u8],
        at: usize,
        index: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Walk> {
        out.clear();
        let (size, mut at) = varint(page, at).ok_or(Walk::Damaged)?;
        if !index {
            at = varint(page, at).ok_or(Walk::Damaged)?.1;
        }
        let u = self.usable;
        let size = usize::try_from(size).map_err(|_| Walk::Damaged)?;
        let local = self.local(size, index);
        out.extend_from_slice(page.get(at..at + local).ok_or(Walk::Damaged)?);
        if local == size {
            return Ok(());
        }
        let mut next = be32(page, at + local).ok_or(Walk::Damaged)?;
        while out.len() < size {
            let over = self.visit(next)?;
            next = be32(over, 0).ok_or(Walk::Damaged)?;
            let take = (size - out.len()).min(u - 4);
            out.extend_from_slice(&over[4..4 + take]);
        }
        Ok(())
    }

    /// Rows deleted but still in the file, as CSV lines grouped by the table they fit, under
    /// its header ([`Db::keep`]), with the members' names ([`DELETED`]): SQLite frees a
    /// deleted row's bytes without clearing them (unless `secure_delete` is on), to pages
    /// of the free list and to the free blocks and unallocated middle of the pages still in
    /// use. Called after every tree was walked: a page no tree reached is free. A free page
    /// that is still a whole leaf (a `DELETE` of many rows frees leaves as they were) is
    /// read by its cells; the rest of the free space is carved for records whose header
    /// survived ([`carved`]).
    fn deleted(&mut self, left: &mut u64) -> Result<Vec<(String, Vec<u8>)>, Walk> {
        // One text a table, and one for rows that fit none.
        let mut out = vec![Vec::new(); self.shapes.len() + 1];
        for n in std::mem::take(&mut self.trees) {
            let head = if n == 1 { 100 } else { 0 };
            self.free_space(self.page_at(n), head, &mut out, left)?;
        }
        // Free leaves first, whole rows read through their overflow chains (which are then
        // no longer free pages to carve); then the rest of the free pages, carved.
        let free = |db: &Self, i: usize| {
            let typ = db.page(i)[0];
            !db.seen[i] && (db.index_rows || !matches!(typ, INTERIOR_INDEX | LEAF_INDEX))
        };
        for i in 0..self.pages {
            if free(self, i) {
                self.free_leaf(i, &mut out, left)?;
            }
        }
        for i in 0..self.pages {
            if free(self, i) {
                self.carve(self.page(i), &mut out, left)?;
            }
        }
        let names = self.shapes.iter().map(|s| format!("{} {DELETED}", s.name));
        Ok(names
            .chain([DELETED.to_string()])
            .zip(out)
            .filter(|(_, text)| !text.is_empty())
            .collect())
    }

    /// Appends recovered `values` (with their `rowid`, when the cell kept it) to the text
    /// of the table they fit, under its header, charged to `left`.
    fn keep(
        &self,
        out: &mut [Vec<u8>],
        values: &[Value],
        rowid: Option<i64>,
        left: &mut u64,
    ) -> Result<(), Walk> {
        // The one table with as many columns whose types can hold these values.
        let mut fits = self.shapes.iter().enumerate().filter(|(_, s)| {
            s.count == values.len() && s.affinity.iter().zip(values).all(|(a, v)| a.holds(v))
        });
        let fit = match (fits.next(), fits.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        };
        let text = &mut out[fit.unwrap_or(self.shapes.len())];
        let start = text.len();
        if let Some(i) = fit
            && text.is_empty()
        {
            text.extend_from_slice(&self.shapes[i].header);
        }
        let alias = rowid.and(fit.and_then(|i| self.shapes[i].alias));
        row(text, values, alias, rowid.unwrap_or(0), self.utf16);
        charge(left, text.len() - start)
    }

    /// Reads free page `i` (numbered from 0) as the leaf it was, if it still is one: its
    /// cells' rows, each through its overflow chain as far as the chain is still free,
    /// then its free space. Left for carving when it is no leaf.
    fn free_leaf(&mut self, i: usize, out: &mut [Vec<u8>], left: &mut u64) -> Result<(), Walk> {
        let page = self.page(i);
        let Some(header) = Header::read(page, 0) else {
            return Ok(());
        };
        let index = match header.typ {
            LEAF_TABLE => false,
            LEAF_INDEX => true,
            _ => return Ok(()),
        };
        let Some(array) = header.cell_pointers(page) else {
            return Ok(());
        };
        self.seen[i] = true;
        let mut payload = Vec::new();
        for k in 0..header.cells {
            let at = be16(array, 2 * k);
            let rowid = if index {
                None
            } else {
                varint(page, at)
                    .and_then(|(_, after)| varint(page, after))
                    .map(|(id, _)| id as i64)
            };
            // What the page and the chain still hold, when not the whole payload.
            let _ = self.payload(page, at, index, &mut payload);
            if let Some(values) = record(&payload, true).filter(|v| plausible(v, self.utf16)) {
                // With its rowid, so that a row that was live reads as it did.
                self.keep(out, &values, rowid, left)?;
            }
        }
        self.free_space(page, 0, out, left)
    }

    /// Carves the free space of b-tree page `page` (its header at `head`): the gap between
    /// its cell pointers and its cells, and its chain of free blocks.
    fn free_space(
        &self,
        page: &[u8],
        head: usize,
        out: &mut [Vec<u8>],
        left: &mut u64,
    ) -> Result<(), Walk> {
        let Some(header) = Header::read(page, head) else {
            return Ok(());
        };
        let array_end = header.pointers + 2 * header.cells;
        if let Some(gap) = page.get(array_end..header.content.min(page.len())) {
            self.carve(gap, out, left)?;
        }
        // Free blocks come in ascending order, so the chain cannot loop.
        let mut free = header.first_free;
        let mut after = 0;
        while free > after && free + 4 <= page.len() {
            let (next, size) = (be16(page, free), be16(page, free + 2));
            // A free block's first four bytes (the chain) overwrote its cell's start.
            if let Some(block) = page.get(free + 4..(free + size).min(page.len())) {
                self.carve(block, out, left)?;
            }
            after = free;
            free = next;
        }
        Ok(())
    }

    /// Keeps the records carved from `region` (their rowids lost with their cells' start).
    fn carve(&self, region: &[u8], out: &mut [Vec<u8>], left: &mut u64) -> Result<(), Walk> {
        let mut at = 0;
        while at < region.len() {
            match carved(&region[at..], self.columns, self.utf16) {
                Some((values, len)) => {
                    self.keep(out, &values, None, left)?;
                    at += len;
                }
                None => at += 1,
            }
        }
        Ok(())
    }

    /// The rows of the table rooted at `root`, as CSV under a header of `columns`' names.
    fn table(&mut self, root: u32, columns: &Columns, left: &mut u64) -> Result<Vec<u8>, Walk> {
        let mut text = Vec::new();
        let utf16 = self.utf16;
        let header = header(columns);
        self.walk(root, |rowid, payload| {
            let values = record(payload, false).ok_or(Walk::Damaged)?;
            let start = text.len();
            if text.is_empty() {
                text.extend_from_slice(&header);
            }
            row(&mut text, &values, columns.rowid_alias, rowid, utf16);
            // A row written before `ALTER TABLE … ADD COLUMN` holds fewer values: as wide
            // as the header all the same, since a row's fields are matched with the
            // header's by count.
            if let Some(missing) = columns.names.len().checked_sub(values.len()) {
                text.pop();
                text.extend(std::iter::repeat_n(b',', missing));
                text.push(b'\n');
            }
            charge(left, text.len() - start)
        })?;
        Ok(text)
    }
}

/// The CSV header of a table of `columns` (nothing when they are unknown), in the order
/// its records hold them.
fn header(columns: &Columns) -> Vec<u8> {
    let mut text = Vec::new();
    if !columns.names.is_empty() {
        let names = columns.order.iter().map(|&i| columns.names[i].as_bytes());
        csv_line(&mut text, names);
    }
    text
}

/// Takes `len` bytes of rendered text from the budget `left`.
fn charge(left: &mut u64, len: usize) -> Result<(), Walk> {
    *left = left.checked_sub(len as u64).ok_or(Walk::OverBudget)?;
    Ok(())
}

/// Appends `values` as a CSV line; the column `rowid_alias`, NULL in the record, shows
/// `rowid`.
fn row(
    text: &mut Vec<u8>,
    values: &[Value],
    rowid_alias: Option<usize>,
    rowid: i64,
    utf16: Option<bool>,
) {
    for (k, value) in values.iter().enumerate() {
        if k > 0 {
            text.push(b',');
        }
        match *value {
            Value::Null if rowid_alias == Some(k) => {
                text.extend_from_slice(rowid.to_string().as_bytes());
            }
            Value::Null => {}
            Value::Int(n) => text.extend_from_slice(n.to_string().as_bytes()),
            Value::Float(x) => text.extend_from_slice(x.to_string().as_bytes()),
            Value::Text(t) => field(text, db_text(t, utf16).as_bytes()),
            Value::Blob(b) => {
                // A blob of text (JSON kept as a blob) is read as text; other blobs
                // (images, serialised objects) are not.
                if super::classify(b) == super::Kind::Text {
                    field(text, String::from_utf8_lossy(b).as_bytes());
                }
            }
        }
    }
    text.push(b'\n');
}

/// The record that starts `bytes`, if one plausibly does, and its length: a one-byte
/// header size; at least two serial types and no more than `columns` (the most a table or
/// index of the database has), all valid; and [`plausible`] values, as many as start inside
/// `bytes` (a row that overflowed, or that the region cuts, is read up to the cut). Free space
/// is whatever was there before, so the test is strict, and a carved row is only rendered
/// and scanned, never trusted. At most `columns` serial types are read an offset, so
/// carving is linear in the free space however it looks.
fn carved(bytes: &[u8], columns: usize, utf16: Option<bool>) -> Option<(Vec<Value<'_>>, usize)> {
    let header = usize::from(*bytes.first()?);
    if !(3..128).contains(&header) || header > bytes.len() || header > 9 * columns + 1 {
        return None;
    }
    let (mut at, mut len, mut count) = (1, header, 0);
    while at < header {
        #[cfg(test)]
        CARVE_STEPS.with(|c| c.set(c.get() + 1));
        let (serial, next) = varint(&bytes[..header], at)?;
        len = len.checked_add(serial_len(serial)?)?;
        (at, count) = (next, count + 1);
        if count > columns {
            return None;
        }
    }
    let len = len.min(bytes.len());
    let values = record(&bytes[..len], true)?;
    (count >= 2 && plausible(&values, utf16)).then_some((values, len))
}

#[cfg(test)]
thread_local! {
    /// Serial types read while carving, for the test that carving is linear.
    pub(super) static CARVE_STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Whether recovered `values` look like a row: at least four bytes of text, all of it
/// printable.
fn plausible(values: &[Value], utf16: Option<bool>) -> bool {
    let mut text = 0;
    for v in values {
        if let Value::Text(t) = v {
            if !printable(t, utf16) {
                return false;
            }
            text += t.len();
        }
    }
    text >= 4
}

/// Whether text `t` decodes and holds no control characters but tab and line ends.
fn printable(t: &[u8], utf16: Option<bool>) -> bool {
    let ok = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    match utf16 {
        None => std::str::from_utf8(t).is_ok_and(|s| s.chars().all(ok)),
        Some(_) => {
            let s = db_text(t, utf16);
            t.len().is_multiple_of(2)
                && s.chars().all(|c| ok(c) && c != char::REPLACEMENT_CHARACTER)
        }
    }
}

/// The length of the value of serial type `serial`; `None` for the reserved types.
fn serial_len(serial: u64) -> Option<usize> {
    match serial {
        0 | 8 | 9 => Some(0),
        1..=4 => Some(serial as usize),
        5 => Some(6),
        6 | 7 => Some(8),
        10 | 11 => None,
        n => usize::try_from((n - 12) / 2).ok(),
    }
}

/// A text value as UTF-8 (decoded from the database's UTF-16; invalid units replaced).
fn db_text(t: &[u8], utf16: Option<bool>) -> String {
    match utf16 {
        None => String::from_utf8_lossy(t).into_owned(),
        Some(little) => {
            let units = t.chunks_exact(2).map(|c| {
                if little {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
    }
}

/// SQLite's variable-length integer at `at`: the value and the index past it.
fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let b = *bytes.get(at + i)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(b), at + 9));
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((value, at + i + 1));
        }
    }
    None
}

/// The values of a record (a header of serial types, then their bodies); `None` when the
/// header or a body runs past the payload, unless `cut`: then a value past the payload's
/// end is cut there, and the values after it are left out (a recovered row whose rest is
/// gone).
fn record(payload: &[u8], cut: bool) -> Option<Vec<Value<'_>>> {
    let (header, mut at) = varint(payload, 0)?;
    let header = usize::try_from(header).ok()?;
    if header > payload.len() || header < at {
        return None;
    }
    let mut body = header;
    let mut values = Vec::new();
    while at < header {
        let (serial, next) = varint(payload, at)?;
        at = next;
        let mut len = serial_len(serial)?;
        let end = body.checked_add(len)?;
        if end > payload.len() {
            let text = serial >= 13 && serial % 2 == 1;
            if !cut || body >= payload.len() || !text {
                return if cut { Some(values) } else { None };
            }
            len = payload.len() - body;
        }
        let bytes = &payload[body..body + len];
        body += len;
        let int = || {
            // Big-endian two's complement of `len` bytes, sign-extended.
            let mut v = i64::from(bytes[0] as i8);
            for &b in &bytes[1..] {
                v = (v << 8) | i64::from(b);
            }
            v
        };
        values.push(match serial {
            0 => Value::Null,
            1..=6 => Value::Int(int()),
            7 => Value::Float(f64::from_be_bytes(bytes.try_into().ok()?)),
            8 => Value::Int(0),
            9 => Value::Int(1),
            n if n % 2 == 0 => Value::Blob(bytes),
            _ => Value::Text(bytes),
        });
    }
    Some(values)
}

/// A table's columns as its `CREATE TABLE` statement declares them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Columns {
    /// The names, in declaration order.
    names: Vec<String>,
    /// The order a record holds them in: declaration order, but for a `WITHOUT ROWID`
    /// table, whose records hold the primary key's columns first.
    order: Vec<usize>,
    /// The column that is an alias of the rowid (`INTEGER PRIMARY KEY`): its records hold
    /// NULL, the value is the rowid.
    rowid_alias: Option<usize>,
    /// A `WITHOUT ROWID` table, kept in an index b-tree.
    without_rowid: bool,
    /// Each column's type affinity, in record order.
    affinity: Vec<Affinity>,
}

/// A column's type affinity (SQLite's rules, from its declared type): what a value stored
/// in it can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Affinity {
    /// `INTEGER`, `REAL`, `NUMERIC`: SQLite stores text that looks like a number as one.
    Number,
    /// `TEXT` (and `CHAR`, `CLOB`): SQLite stores a number as text.
    Text,
    /// `BLOB`, or no declared type: anything.
    Any,
}

impl Affinity {
    /// The affinity of declared type `declared` (its first word, upper case).
    fn of(declared: &str) -> Affinity {
        const NO_TYPE: &[&str] = &[
            "",
            "NOT",
            "NULL",
            "PRIMARY",
            "UNIQUE",
            "CHECK",
            "DEFAULT",
            "COLLATE",
            "REFERENCES",
            "GENERATED",
            "AS",
            "CONSTRAINT",
        ];
        if NO_TYPE.contains(&declared) || declared.contains("BLOB") {
            Affinity::Any
        } else if declared.contains("INT") {
            Affinity::Number
        } else if ["CHAR", "CLOB", "TEXT"]
            .iter()
            .any(|t| declared.contains(t))
        {
            Affinity::Text
        } else {
            Affinity::Number
        }
    }

    /// Whether `value` can be stored in a column of this affinity.
    fn holds(self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) | (Affinity::Any, _) => true,
            // Text that is no number can be kept in a numeric column too, but seldom is:
            // that is what tells a row of `(id, patient INTEGER, …)` from `(id, mrn TEXT, …)`.
            (Affinity::Number, v) => matches!(v, Value::Int(_) | Value::Float(_)),
            (Affinity::Text, v) => matches!(v, Value::Text(_) | Value::Blob(_)),
        }
    }
}

impl Columns {
    /// Reads `sql` leniently: what it cannot parse gives no names (the rows are still read,
    /// under no header).
    fn parse(sql: &str) -> Columns {
        let Some(defs) = definitions(sql) else {
            return Columns::default();
        };
        let tail = sql.rsplit(')').next().unwrap_or("").to_ascii_uppercase();
        let words: Vec<&str> = tail
            .split(|c: char| c.is_whitespace() || c == ',')
            .collect();
        let without_rowid = words.windows(2).any(|w| w == ["WITHOUT", "ROWID"]);
        let (mut names, mut types) = (Vec::new(), Vec::new());
        let mut key: Vec<String> = Vec::new();
        for def in defs {
            let (mut first, mut rest) = token(def);
            if first.eq_ignore_ascii_case("CONSTRAINT") {
                (first, rest) = token(token(rest).1);
            }
            match first.to_ascii_uppercase().as_str() {
                "UNIQUE" | "CHECK" | "FOREIGN" => {}
                "PRIMARY" => {
                    if let Some(list) = definitions(rest) {
                        key = list.into_iter().map(|c| unquote(token(c).0)).collect();
                    }
                }
                _ => {
                    let name = unquote(first);
                    if rest.to_ascii_uppercase().contains("PRIMARY KEY") {
                        key = vec![name.clone()];
                    }
                    types.push(token(rest).0.to_ascii_uppercase());
                    names.push(name);
                }
            }
        }
        // By name, so that a schema of many columns and a long key is not quadratic.
        let mut by_name = std::collections::HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            by_name.entry(name.to_ascii_lowercase()).or_insert(i);
        }
        let mut in_key = vec![false; names.len()];
        let keyed: Vec<usize> = key
            .iter()
            .filter_map(|k| by_name.get(&k.to_ascii_lowercase()).copied())
            .filter(|&i| !std::mem::replace(&mut in_key[i], true))
            .collect();
        let order: Vec<usize> = if without_rowid {
            let rest = (0..names.len()).filter(|&i| !in_key[i]);
            keyed.iter().copied().chain(rest).collect()
        } else {
            (0..names.len()).collect()
        };
        // A lone `INTEGER` primary key is the rowid itself (SQLite's "rowid alias").
        let rowid_alias = match keyed[..] {
            [k] if !without_rowid && types[k] == "INTEGER" => Some(k),
            _ => None,
        };
        let affinity = order.iter().map(|&i| Affinity::of(&types[i])).collect();
        Columns {
            names,
            order,
            rowid_alias,
            without_rowid,
            affinity,
        }
    }
}

/// The comma-separated parts of the first parenthesised list of `sql`, at its top level.
fn definitions(sql: &str) -> Option<Vec<&str>> {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut start = None;
    let mut parts = Vec::new();
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
            }
            b'(' => {
                depth += 1;
                if depth == 1 {
                    start = Some(i + 1);
                }
            }
            b')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    parts.push(sql[start?..i].trim());
                    return Some(parts);
                }
            }
            b',' if depth == 1 => {
                parts.push(sql[start?..i].trim());
                start = Some(i + 1);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The first token of `s` (a quoted name whole) and what follows it.
fn token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = match s.as_bytes().first() {
        Some(&q @ (b'"' | b'\'' | b'`' | b'[')) => {
            let close = if q == b'[' { b']' } else { q };
            s[1..]
                .bytes()
                .position(|b| b == close)
                .map_or(s.len(), |p| p + 2)
        }
        _ => s
            .find(|c: char| c.is_whitespace() || c == '(' || c == ',')
            .unwrap_or(s.len()),
    };
    (&s[..end], &s[end..])
}

/// A name without its quotes.
fn unquote(name: &str) -> String {
    let b = name.as_bytes();
    match (b.first(), b.last()) {
        (Some(b'"'), Some(b'"'))
        | (Some(b'`'), Some(b'`'))
        | (Some(b'['), Some(b']'))
        | (Some(b'\''), Some(b'\''))
            if b.len() >= 2 =>
        {
            name[1..name.len() - 1].to_string()
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests;
