//! OpenDocument spreadsheets (`.ods`, `.ots`: LibreOffice's own format, and what pandas
//! writes with `to_excel(engine="odf")`) read as their tables, each rendered as CSV like an
//! Excel sheet. The zip keeps every table in one `content.xml`, each cell a few hundred bytes
//! of markup: scanned as XML, a patient list's SSN typed as a number was a bare 9-digit
//! value far from its `ssn` header, and a list saved as `.ods` gave no finding at all.
//!
//! Each `<table:table>` is a member in place of `content.xml`, named by the table's name
//! (`list.ods!Patients`): one line per row, one field per cell (covered cells of a merge
//! included, so that columns stay where they are), short rows padded to the first row's
//! width. A cell is its paragraphs as shown (spaces, tabs, line breaks, spans and links
//! inside), joined with line ends; a number, currency, percentage or date is its value as
//! stored (`536904399`, `1956-02-17`), as an Excel sheet renders it, not as a style shows it
//! (`5.37E+08`, `02/17/56`). A formula is read as its cached value. Cell comments
//! (`<office:annotation>`) are the lines of one more member, `(comments)`.
//!
//! LibreOffice writes a sheet's unused cells and rows as one element repeated up to
//! 1,048,576 times: an empty repeat only moves the position (and is dropped at a row's or a
//! table's end), a non-empty one is rendered as many times as it says, every copy charged
//! to the budget as it is written, and columns past Excel's last are not placed.
//!
//! Not read: styles, charts, drawings and images, embedded objects (their own members),
//! `settings.xml` and `meta.xml` (members as they are). A `content.xml` that does not parse
//! is left as the XML it is.

use super::archive::{MEMBER_COST, Member, OVER_BUDGET, csv_line};
use super::xlsx::{attribute, push_ref};
use quick_xml::events::{BytesStart, Event};

/// Columns past Excel's last (XFD) are not placed, as in an Excel sheet.
const MAX_COLUMNS: usize = 16_384;

/// The member the comments of every table are rendered to.
const COMMENTS: &str = "(comments)";

/// The media types (the zip's `mimetype` member) of a spreadsheet and its template.
const MEDIA_TYPES: [&[u8]; 2] = [
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
];

/// Renders the tables of the OpenDocument spreadsheet among `members[start..]` (named
/// `prefix` + their path in the zip), if there is one, in place of its `content.xml`. The
/// XML's size was charged when it was read; what the tables render to beyond it (and
/// [`MEMBER_COST`] for each member beyond one) is taken from `left`.
///
/// # Errors
///
/// [`OVER_BUDGET`] when the tables render past the budget.
pub(super) fn render(
    members: &mut Vec<Member>,
    start: usize,
    prefix: &str,
    left: &mut u64,
) -> Result<(), &'static str> {
    let named = |path: &str| {
        let name = format!("{prefix}{path}");
        members[start..]
            .iter()
            .position(|m| m.name == name)
            .map(|i| start + i)
    };
    let is_spreadsheet = named("mimetype")
        .and_then(|i| members[i].bytes.as_ref().ok())
        .is_some_and(|b| MEDIA_TYPES.contains(&b.trim_ascii()));
    let Some(at) = named("content.xml").filter(|_| is_spreadsheet) else {
        return Ok(());
    };
    let Ok(xml) = &members[at].bytes else {
        return Ok(());
    };
    let before = *left;
    let mut book = Book::new(xml.len() as u64, left);
    let parsed = book.read(xml);
    let Book {
        tables, comments, ..
    } = match parsed {
        Err(Unread::OverBudget) => return Err(OVER_BUDGET),
        Err(Unread::Damaged) => {
            *left = before;
            return Ok(());
        }
        Ok(()) => book,
    };
    let mut rendered: Vec<(String, Vec<u8>)> = tables
        .into_iter()
        .enumerate()
        .map(|(i, (name, csv))| (table_name(&name, i + 1), csv))
        .filter(|(_, csv)| !csv.is_empty())
        .collect();
    if !comments.is_empty() {
        rendered.push((COMMENTS.to_owned(), comments));
    }
    let extra = rendered.len().saturating_sub(1) as u64;
    *left = left
        .checked_sub(extra.saturating_mul(MEMBER_COST))
        .ok_or(OVER_BUDGET)?;
    let mut taken: Vec<String> = members[start..]
        .iter()
        .enumerate()
        .filter(|&(i, _)| start + i != at)
        .map(|(_, m)| m.name.clone())
        .collect();
    let mut new = Vec::with_capacity(rendered.len());
    for (name, csv) in rendered {
        let name = unique(&format!("{prefix}{name}"), &taken);
        taken.push(name.clone());
        new.push(Member {
            name,
            bytes: Ok(csv),
        });
    }
    members.splice(at..=at, new);
    Ok(())
}

/// A table's name as a member name: `!` (which joins nested names), slashes and control
/// characters made `_`; an empty name is `Sheet {n}`.
fn table_name(name: &str, n: usize) -> String {
    if name.is_empty() {
        return format!("Sheet {n}");
    }
    name.chars()
        .map(|c| match c {
            '!' | '/' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

/// `name`, or `name-2`, `name-3`, … when it is one of `taken`: an archive's members have
/// names of their own.
fn unique(name: &str, taken: &[String]) -> String {
    let free = |n: &str| !taken.iter().any(|t| t == n);
    if free(name) {
        return name.to_owned();
    }
    (2..)
        .map(|k| format!("{name}-{k}"))
        .find(|n| free(n))
        .unwrap_or_default()
}

/// Why the tables were not rendered.
#[derive(Debug)]
enum Unread {
    /// `content.xml` does not parse: it is read as the XML it is.
    Damaged,
    /// The tables render past the budget: the archive is unscannable.
    OverBudget,
}

/// One cell being read.
#[derive(Default)]
struct Cell {
    /// Its paragraphs so far, joined with `\n`.
    text: String,
    /// Paragraphs begun.
    paragraphs: usize,
    /// The value its type stores (`office:value`, `office:date-value`), when it is a
    /// number or a date.
    stored: Option<String>,
    /// Any value attribute, for a cell without text.
    fallback: Option<String>,
    repeat: usize,
}

/// `content.xml` being read: the tables so far and where the reading is.
struct Book<'a> {
    /// Tables read: their names and CSV.
    tables: Vec<(String, Vec<u8>)>,
    /// The comments' lines.
    comments: Vec<u8>,
    /// Of the XML's size, what the rendering has not used yet.
    credit: u64,
    /// The archive's budget, for what the rendering needs beyond `credit`.
    left: &'a mut u64,
    /// Tables open (1 in an outermost one).
    depth: usize,
    /// The current table's CSV.
    csv: Vec<u8>,
    /// Fields of the current table's first non-empty row.
    width: Option<usize>,
    /// Empty rows not written yet (written only when a non-empty row follows).
    empty_rows: usize,
    /// The current row's fields.
    row: Vec<String>,
    /// Empty cells not placed yet (placed only when a non-empty cell follows).
    empty_cells: usize,
    /// The current row's `table:number-rows-repeated`.
    row_repeat: usize,
    /// Bytes held in `row`.
    row_bytes: u64,
    cell: Option<Cell>,
    /// Paragraphs open (`<text:p>`, `<text:h>`).
    in_paragraph: usize,
    /// Inside a comment, and its paragraph's text.
    in_annotation: bool,
    annotation: String,
}

impl<'a> Book<'a> {
    fn new(credit: u64, left: &'a mut u64) -> Book<'a> {
        Book {
            tables: Vec::new(),
            comments: Vec::new(),
            credit,
            left,
            depth: 0,
            csv: Vec::new(),
            width: None,
            empty_rows: 0,
            row: Vec::new(),
            empty_cells: 0,
            row_repeat: 1,
            row_bytes: 0,
            cell: None,
            in_paragraph: 0,
            in_annotation: false,
            annotation: String::new(),
        }
    }

    /// Reads `xml`'s tables; `Damaged` when it does not parse (an element left open at its
    /// end included), `OverBudget` when the tables render past the budget.
    fn read(&mut self, xml: &[u8]) -> Result<(), Unread> {
        crate::work::add(xml.len());
        let mut reader = quick_xml::Reader::from_reader(xml);
        let mut open = 0usize;
        loop {
            match reader.read_event().map_err(|_| Unread::Damaged)? {
                Event::Eof if open == 0 => return Ok(()),
                Event::Eof => return Err(Unread::Damaged),
                Event::Start(e) => {
                    open += 1;
                    self.start(&e, false)?;
                }
                Event::Empty(e) => self.start(&e, true)?,
                Event::End(e) => {
                    open = open.checked_sub(1).ok_or(Unread::Damaged)?;
                    self.end(e.local_name().as_ref())?;
                }
                Event::Text(t) => self.push_text(&t.xml10_content())?,
                Event::CData(t) => self.push_text(&t.xml10_content())?,
                Event::GeneralRef(r) => {
                    let mut c = String::new();
                    push_ref(&mut c, &r);
                    self.push_text(&c)?;
                }
                _ => {}
            }
        }
    }

    fn start(&mut self, e: &BytesStart, empty: bool) -> Result<(), Unread> {
        let name = e.local_name();
        match name.as_ref() {
            "table" => {
                self.depth += 1;
                if self.depth == 1 {
                    self.tables
                        .push((attribute(e, "name").unwrap_or_default(), Vec::new()));
                    (self.csv, self.width, self.empty_rows) = (Vec::new(), None, 0);
                }
                if empty {
                    self.end("table")?;
                }
            }
            "table-row" if self.depth == 1 => {
                self.row.clear();
                (self.empty_cells, self.row_bytes) = (0, 0);
                self.row_repeat = repeat(e, "number-rows-repeated");
                if empty {
                    self.end("table-row")?;
                }
            }
            "table-cell" | "covered-table-cell" if self.depth == 1 => {
                self.cell = Some(cell(e));
                if empty {
                    self.end_cell()?;
                }
            }
            "annotation" if !empty && self.cell.is_some() => self.in_annotation = true,
            "p" | "h" if self.cell.is_some() => {
                if self.in_annotation {
                    self.annotation.clear();
                } else if let Some(c) = self.cell.as_mut() {
                    if c.paragraphs > 0 {
                        c.text.push('\n');
                    }
                    c.paragraphs += 1;
                }
                if empty {
                    self.end(name.as_ref())?;
                } else {
                    self.in_paragraph += 1;
                }
            }
            "s" if self.in_paragraph > 0 => {
                let n = repeat(e, "c");
                if n as u64 > self.credit.saturating_add(*self.left) {
                    return Err(Unread::OverBudget);
                }
                self.push_text(&" ".repeat(n))?;
            }
            "tab" if self.in_paragraph > 0 => self.push_text("\t")?,
            "line-break" if self.in_paragraph > 0 => self.push_text("\n")?,
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), Unread> {
        match name {
            "table" => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0
                    && let Some(table) = self.tables.last_mut()
                {
                    // Trailing empty rows are dropped.
                    table.1 = std::mem::take(&mut self.csv);
                }
            }
            "table-row" if self.depth == 1 => self.end_row()?,
            "table-cell" | "covered-table-cell" if self.depth == 1 => self.end_cell()?,
            "annotation" => self.in_annotation = false,
            "p" | "h" if self.cell.is_some() => {
                self.in_paragraph = self.in_paragraph.saturating_sub(1);
                if self.in_annotation && self.in_paragraph == 0 {
                    let line = std::mem::take(&mut self.annotation);
                    if !line.trim().is_empty() {
                        let mut out = Vec::new();
                        csv_line(&mut out, [line.replace(['\n', '\r'], " ").as_bytes()]);
                        self.spend(out.len())?;
                        self.comments.extend_from_slice(&out);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Appends text inside a paragraph to the cell or comment it belongs to.
    fn push_text(&mut self, text: &str) -> Result<(), Unread> {
        if self.in_paragraph == 0 {
            return Ok(());
        }
        let held = if self.in_annotation {
            self.annotation.push_str(text);
            self.annotation.len()
        } else if let Some(c) = self.cell.as_mut() {
            c.text.push_str(text);
            c.text.len()
        } else {
            return Ok(());
        };
        // A cell or comment is charged when written; it never holds more than could be.
        if held as u64 > self.credit.saturating_add(*self.left) {
            return Err(Unread::OverBudget);
        }
        Ok(())
    }

    /// Places the cell just read in the row: an empty one only moves the position.
    fn end_cell(&mut self) -> Result<(), Unread> {
        let Some(c) = self.cell.take() else {
            return Ok(());
        };
        (self.in_paragraph, self.in_annotation) = (0, false);
        let shown = match c.stored {
            Some(stored) => stored,
            None if c.text.is_empty() => c.fallback.unwrap_or_default(),
            None => c.text,
        };
        if shown.is_empty() {
            self.empty_cells = self.empty_cells.saturating_add(c.repeat);
            return Ok(());
        }
        let at = self.row.len().saturating_add(self.empty_cells);
        if at >= MAX_COLUMNS {
            return Ok(());
        }
        let n = c.repeat.min(MAX_COLUMNS - at);
        crate::work::add(n);
        self.row_bytes += (shown.len() as u64 + 1) * n as u64;
        if self.row_bytes > self.credit.saturating_add(*self.left) {
            return Err(Unread::OverBudget);
        }
        self.row.resize(at, String::new());
        self.row.extend(std::iter::repeat_n(shown, n));
        self.empty_cells = 0;
        Ok(())
    }

    /// Writes the row just read as many times as it is repeated, after the empty rows
    /// before it; an empty row is only counted.
    fn end_row(&mut self) -> Result<(), Unread> {
        self.cell = None;
        let repeat = self.row_repeat;
        if self.row.is_empty() {
            self.empty_rows = self.empty_rows.saturating_add(repeat);
            return Ok(());
        }
        let blank = vec![b','; self.width.unwrap_or(1).saturating_sub(1)];
        for _ in 0..std::mem::take(&mut self.empty_rows) {
            self.write(&blank)?;
        }
        // Short rows as wide as the first, as xlsx renders them: a row's fields are matched
        // with the header's by count.
        match self.width {
            None => self.width = Some(self.row.len()),
            Some(width) if self.row.len() < width => self.row.resize(width, String::new()),
            Some(_) => {}
        }
        let mut line = Vec::new();
        csv_line(&mut line, self.row.iter().map(String::as_bytes));
        line.pop();
        for _ in 0..repeat {
            self.write(&line)?;
        }
        self.row.clear();
        Ok(())
    }

    /// Appends `line` and a line end to the table's CSV, charged.
    fn write(&mut self, line: &[u8]) -> Result<(), Unread> {
        self.spend(line.len() + 1)?;
        self.csv.extend_from_slice(line);
        self.csv.push(b'\n');
        Ok(())
    }

    /// Takes `n` bytes rendered from what is left of the XML's size, then from the budget.
    fn spend(&mut self, n: usize) -> Result<(), Unread> {
        crate::work::add(n);
        let n = n as u64;
        let from_credit = n.min(self.credit);
        self.credit -= from_credit;
        *self.left = self
            .left
            .checked_sub(n - from_credit)
            .ok_or(Unread::OverBudget)?;
        Ok(())
    }
}

/// A cell's attributes: its repeat count and the value its type stores.
fn cell(e: &BytesStart) -> Cell {
    let kind = attribute(e, "value-type").unwrap_or_default();
    let stored = match kind.as_str() {
        "float" | "currency" | "percentage" => attribute(e, "value"),
        "date" => attribute(e, "date-value"),
        _ => None,
    };
    let fallback = [
        "value",
        "date-value",
        "time-value",
        "boolean-value",
        "string-value",
    ]
    .iter()
    .find_map(|a| attribute(e, a));
    Cell {
        stored: stored.filter(|s| !s.is_empty()),
        fallback,
        repeat: repeat(e, "number-columns-repeated"),
        ..Cell::default()
    }
}

/// A repeat count attribute (1 when absent or not a number; at most `usize::MAX`).
fn repeat(e: &BytesStart, name: &str) -> usize {
    let Some(v) = attribute(e, name) else {
        return 1;
    };
    let v = v.trim();
    match v.parse::<usize>() {
        Ok(n) => n.max(1),
        Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => usize::MAX,
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests;
