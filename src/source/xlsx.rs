//! Excel workbooks (`.xlsx`, `.xlsm`: a zip with `xl/workbook.xml`) read as their sheets,
//! each rendered as CSV: one line per row, the cells in their columns, shared strings in
//! place, dates as dates. The parts a workbook is zipped as scatter a row: its strings are in
//! `xl/sharedStrings.xml`, its numbers in the sheet's XML, its dates are serial numbers that
//! only a style makes dates. Scanned part by part, a patient list's header (`ssn`, `mrn`,
//! `dob`) was never beside its values, and an SSN typed as a number or a birth date was
//! never read as one. Rendered, a sheet meets every rule a CSV export meets.
//!
//! A sheet is a member in place of its XML part, named by the sheet's name
//! (`book.xlsx!Patients`), and the shared strings part is dropped once every sheet read it.
//! A sheet is rendered as it is inflated, never held as XML, so the archive budget counts
//! its rows, not its markup (six times their size): a workbook of 100,000 patients is read,
//! not refused. A sheet that does not parse is read as the XML part it is.

use super::archive::{OVER_BUDGET, csv_line, take};
use super::calendar::{civil, days_from_civil};
use quick_xml::events::{BytesRef, BytesStart, Event};
use std::collections::HashMap;
use std::io::{BufRead, Read, Seek};

/// Columns past Excel's last (XFD) are not placed: a cell reference cannot widen a row
/// beyond what Excel itself can hold.
const MAX_COLUMNS: usize = 16_384;

/// How many times the budget a sheet's XML may inflate to: markup is about six times the
/// rows it holds, and a sheet of nothing but markup must not take the time of gigabytes.
const XML_PER_BUDGET: u64 = 8;

/// A workbook inside a zip: what reading its sheets takes (shared strings, date styles,
/// date system) and which parts are sheets.
pub(super) struct Book {
    strings: Vec<String>,
    dates: Vec<bool>,
    date1904: bool,
    /// Sheet part (path in the zip) to the sheet's name, for the sheets the workbook lists.
    sheets: HashMap<String, String>,
    /// Where the shared strings are, if the workbook has any.
    pub(super) shared_strings: Option<String>,
}

impl Book {
    /// The workbook `zip` is, if it is one (it has `xl/workbook.xml`) and its workbook,
    /// relationships and shared strings parse; the parts read are charged to `left`.
    ///
    /// # Errors
    ///
    /// [`OVER_BUDGET`] when the parts are past the budget.
    pub(super) fn open<R: Read + Seek>(
        zip: &mut zip::ZipArchive<R>,
        left: &mut u64,
    ) -> Result<Option<Book>, &'static str> {
        let mut part = |path: &str| -> Result<Option<Vec<u8>>, &'static str> {
            let Ok(entry) = zip.by_name(path) else {
                return Ok(None);
            };
            let size = entry.size();
            match take(entry, size, left) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(Some(over)) => Err(over),
                Err(None) => Ok(None),
            }
        };
        let Some(book) = part("xl/workbook.xml")?
            .as_deref()
            .and_then(Workbook::parse)
        else {
            return Ok(None);
        };
        let rels = part("xl/_rels/workbook.xml.rels")?
            .as_deref()
            .and_then(relationships)
            .unwrap_or_default();
        let target = |kind: &str, default: &str| {
            rels.values()
                .find(|(t, _)| t.ends_with(kind))
                .map_or_else(|| default.to_owned(), |(_, path)| path.clone())
        };
        let sst_path = target("/sharedStrings", "xl/sharedStrings.xml");
        let (strings, shared_strings) = match part(&sst_path)? {
            Some(xml) => match shared_strings(xml.as_slice()) {
                Some(strings) => (strings, Some(sst_path)),
                None => return Ok(None),
            },
            None => (Vec::new(), None),
        };
        let dates = part(&target("/styles", "xl/styles.xml"))?
            .as_deref()
            .and_then(date_styles)
            .unwrap_or_default();
        let mut sheets = HashMap::new();
        for (name, rid) in book.sheets {
            if let Some((_, path)) = rels.get(&rid) {
                // A part named by two sheets is read once, under the first name.
                sheets.entry(path.clone()).or_insert(name);
            }
        }
        Ok(Some(Book {
            strings,
            dates,
            date1904: book.date1904,
            sheets,
            shared_strings,
        }))
    }

    /// The name of the sheet whose part is `path`, if it is one.
    pub(super) fn sheet(&self, path: &str) -> Option<&str> {
        self.sheets.get(path).map(String::as_str)
    }

    /// A sheet's XML, read from `xml` as it is inflated, as CSV; the CSV is charged to
    /// `left`. `Err(Some(OVER_BUDGET))` when it renders past the budget (or its XML runs
    /// past [`XML_PER_BUDGET`] times it), `Err(None)` when it does not parse or cannot be
    /// read (a damaged member).
    pub(super) fn render(
        &self,
        xml: impl Read,
        left: &mut u64,
    ) -> Result<Vec<u8>, Option<&'static str>> {
        let cap = left.saturating_mul(XML_PER_BUDGET);
        let mut counted = Counted {
            inner: xml.take(cap.saturating_add(1)),
            read: 0,
        };
        let sheet = Sheet {
            strings: &self.strings,
            dates: &self.dates,
            date1904: self.date1904,
        };
        let csv = sheet.render(std::io::BufReader::new(&mut counted), *left);
        if counted.read > cap {
            return Err(Some(OVER_BUDGET));
        }
        let csv = match csv {
            Ok(csv) => csv,
            Err(Unread::OverBudget) => return Err(Some(OVER_BUDGET)),
            Err(Unread::Damaged) => return Err(None),
        };
        *left = left
            .checked_sub(csv.len() as u64)
            .ok_or(Some(OVER_BUDGET))?;
        Ok(csv)
    }
}

/// A reader that counts what it reads.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// What `xl/workbook.xml` says: the sheets (name and relationship id), in order, and
/// whether dates count from 1904.
struct Workbook {
    sheets: Vec<(String, String)>,
    date1904: bool,
}

impl Workbook {
    fn parse(xml: &[u8]) -> Option<Workbook> {
        let mut book = Workbook {
            sheets: Vec::new(),
            date1904: false,
        };
        each_element(xml, |e| {
            match e.local_name().as_ref() {
                "sheet" => {
                    let name = attribute(e, "name")?;
                    let rid = attribute(e, "id")?;
                    book.sheets.push((name, rid));
                }
                "workbookPr" => {
                    book.date1904 =
                        attribute(e, "date1904").is_some_and(|v| v == "1" || v == "true");
                }
                _ => {}
            }
            Some(())
        })?;
        Some(book)
    }
}

/// `xl/_rels/workbook.xml.rels`: relationship id to (type, path in the zip).
fn relationships(xml: &[u8]) -> Option<HashMap<String, (String, String)>> {
    let mut rels = HashMap::new();
    each_element(xml, |e| {
        if e.local_name().as_ref() == "Relationship" {
            let id = attribute(e, "Id")?;
            let kind = attribute(e, "Type").unwrap_or_default();
            let target = attribute(e, "Target")?;
            // Absolute from the zip's root, or relative to `xl/`.
            let path = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_owned(),
                None => format!("xl/{}", target.trim_start_matches("./")),
            };
            rels.insert(id, (kind, path));
        }
        Some(())
    })?;
    Some(rels)
}

/// The shared strings, in order: each `<si>`'s text runs joined (phonetic runs left out).
fn shared_strings(xml: &[u8]) -> Option<Vec<String>> {
    let mut strings = Vec::new();
    let mut current = String::new();
    let (mut in_t, mut in_phonetic) = (false, false);
    each_event(xml, |event| {
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                "si" => strings.push(std::mem::take(&mut current)),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => strings.push(String::new()),
            Event::Text(t) if in_t && !in_phonetic => current.push_str(&t.xml10_content()),
            Event::CData(t) if in_t && !in_phonetic => {
                current.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_t && !in_phonetic => push_ref(&mut current, r),
            _ => {}
        }
        Some(())
    })?;
    Some(strings)
}

/// Whether each cell style (`cellXfs`, by index) shows a number as a date.
fn date_styles(xml: &[u8]) -> Option<Vec<bool>> {
    let mut custom: HashMap<u32, bool> = HashMap::new();
    let mut styles = Vec::new();
    let mut in_cell_xfs = false;
    each_event(xml, |event| {
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" => {
                    let id = attribute(e, "numFmtId")?.parse().ok()?;
                    let code = attribute(e, "formatCode").unwrap_or_default();
                    custom.insert(id, is_date_format(&code));
                }
                "cellXfs" => in_cell_xfs = matches!(event, Event::Start(_)),
                "xf" if in_cell_xfs => {
                    let id: u32 = attribute(e, "numFmtId")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let builtin = matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58);
                    styles.push(custom.get(&id).copied().unwrap_or(builtin));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            _ => {}
        }
        Some(())
    })?;
    Some(styles)
}

/// Whether a number format code shows a date: a day or year code outside quoted text,
/// bracketed sections (colours, conditions, elapsed time) and escaped characters.
pub(super) fn is_date_format(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for q in chars.by_ref() {
                    if q == ']' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            'd' | 'D' | 'y' | 'Y' => return true,
            _ => {}
        }
    }
    false
}

/// Why a sheet was not rendered.
enum Unread {
    /// Its XML does not parse (or its member cannot be read): it is read as the XML it is.
    Damaged,
    /// It renders past the budget: the archive is unscannable.
    OverBudget,
}

/// What a sheet's cells are read with.
struct Sheet<'a> {
    strings: &'a [String],
    dates: &'a [bool],
    date1904: bool,
}

/// One cell being read: its column, type and style, and its text so far.
#[derive(Default)]
struct Cell {
    column: Option<usize>,
    kind: String,
    style: usize,
    value: String,
}

impl Sheet<'_> {
    /// Sheet `xml` as CSV, stopped as soon as it passes `room` bytes.
    fn render(&self, xml: impl BufRead, room: u64) -> Result<Vec<u8>, Unread> {
        let mut over = false;
        let mut csv = Vec::new();
        let mut row: Vec<String> = Vec::new();
        let mut width = 0;
        let mut cell: Option<Cell> = None;
        // Inside `<v>` (a value) or `<t>` of an inline string (but not a phonetic run).
        let (mut in_value, mut in_phonetic) = (false, false);
        let parsed = each_event(xml, |event| {
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let empty = matches!(event, Event::Empty(_));
                    match e.local_name().as_ref() {
                        "row" => row.clear(),
                        "c" => {
                            let c = Cell {
                                column: attribute(e, "r").and_then(|r| column_of(&r)),
                                kind: attribute(e, "t").unwrap_or_default(),
                                style: attribute(e, "s").and_then(|s| s.parse().ok()).unwrap_or(0),
                                value: String::new(),
                            };
                            if empty {
                                self.place(&mut row, c);
                            } else {
                                cell = Some(c);
                            }
                        }
                        "v" | "t" if !empty => in_value = true,
                        "rPh" if !empty => in_phonetic = true,
                        _ => {}
                    }
                }
                Event::End(e) => match e.local_name().as_ref() {
                    "v" | "t" => in_value = false,
                    "rPh" => in_phonetic = false,
                    "c" => {
                        if let Some(c) = cell.take() {
                            self.place(&mut row, c);
                        }
                    }
                    "row" => {
                        // Short rows (Excel writes no cell for a trailing empty one) as wide
                        // as the first, as Excel's own CSV has them: a row's fields are
                        // matched with the header's by count.
                        if csv.is_empty() {
                            width = row.len();
                        } else if row.len() < width {
                            row.resize(width, String::new());
                        }
                        csv_line(&mut csv, row.iter().map(String::as_bytes));
                        if csv.len() as u64 > room {
                            over = true;
                            return None;
                        }
                    }
                    _ => {}
                },
                Event::Text(t) if in_value && !in_phonetic => {
                    if let Some(c) = cell.as_mut() {
                        c.value.push_str(&t.xml10_content());
                    }
                }
                Event::CData(t) if in_value && !in_phonetic => {
                    if let Some(c) = cell.as_mut() {
                        c.value.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) if in_value && !in_phonetic => {
                    if let Some(c) = cell.as_mut() {
                        push_ref(&mut c.value, r);
                    }
                }
                _ => {}
            }
            Some(())
        });
        match parsed {
            _ if over => Err(Unread::OverBudget),
            Some(()) => Ok(csv),
            None => Err(Unread::Damaged),
        }
    }

    /// Puts cell `c`'s value, as shown, in its column of `row` (the next one when it names
    /// none).
    fn place(&self, row: &mut Vec<String>, c: Cell) {
        let column = c.column.unwrap_or(row.len());
        if column >= MAX_COLUMNS {
            return;
        }
        let shown = match c.kind.as_str() {
            "s" => c
                .value
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|i| self.strings.get(i))
                .cloned()
                .unwrap_or_default(),
            "b" => match c.value.trim() {
                "1" => "TRUE".to_owned(),
                "0" => "FALSE".to_owned(),
                other => other.to_owned(),
            },
            "" | "n" if self.dates.get(c.style).copied().unwrap_or(false) => {
                match c.value.trim().parse::<f64>() {
                    Ok(serial) => date(serial, self.date1904).unwrap_or(c.value),
                    Err(_) => c.value,
                }
            }
            _ => c.value,
        };
        if row.len() <= column {
            row.resize(column + 1, String::new());
        }
        row[column] = shown;
    }
}

/// The column (from 0) of a cell reference such as `AB12`.
fn column_of(reference: &str) -> Option<usize> {
    let letters = reference.bytes().take_while(u8::is_ascii_alphabetic);
    let mut column = 0usize;
    let mut any = false;
    for b in letters {
        column = column.checked_mul(26)? + usize::from(b.to_ascii_uppercase() - b'A' + 1);
        any = true;
        if column > MAX_COLUMNS {
            return Some(MAX_COLUMNS);
        }
    }
    any.then(|| column - 1)
}

/// An Excel serial date as `YYYY-MM-DD` (and ` HH:MM:SS` when it has a time of day).
/// The 1900 system counts 1900 as a leap year (serial 60 is its 29 February), as Excel
/// does; the 1904 system counts from 1904-01-01.
pub(super) fn date(serial: f64, date1904: bool) -> Option<String> {
    if !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let (y, m, d) = if date1904 {
        civil(days + days_from_civil(1904, 1, 1))
    } else if days == 60 {
        (1900, 2, 29)
    } else if days < 60 {
        civil(days + days_from_civil(1899, 12, 31))
    } else {
        civil(days + days_from_civil(1899, 12, 30))
    };
    let mut out = format!("{y:04}-{m:02}-{d:02}");
    if seconds > 0 && seconds < 86_400 {
        let (h, rest) = (seconds / 3600, seconds % 3600);
        out.push_str(&format!(" {h:02}:{:02}:{:02}", rest / 60, rest % 60));
    }
    Some(out)
}

/// Calls `f` with every start and empty element of `xml`; `None` when the XML does not
/// parse or `f` says so.
fn each_element(xml: &[u8], mut f: impl FnMut(&BytesStart) -> Option<()>) -> Option<()> {
    each_event(xml, |event| match event {
        Event::Start(e) | Event::Empty(e) => f(e),
        _ => Some(()),
    })
}

/// Calls `f` with every event of `xml`; `None` when the XML does not parse (an element
/// left open at its end included: a part cut short), cannot be read, or `f` says so. The
/// reader streams (no tree, no entity expansion), so this is linear in `xml`.
fn each_event(xml: impl BufRead, mut f: impl FnMut(&Event) -> Option<()>) -> Option<()> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut open = 0usize;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).ok()? {
            Event::Eof => return (open == 0).then_some(()),
            event => {
                match event {
                    Event::Start(_) => open += 1,
                    Event::End(_) => open = open.checked_sub(1)?,
                    _ => {}
                }
                f(&event)?;
            }
        }
    }
}

/// The value of attribute `name` (by its local name) of `e`, unescaped.
pub(super) fn attribute(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Appends the character an entity or character reference stands for.
pub(super) fn push_ref(out: &mut String, r: &BytesRef) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
        return;
    }
    let c = match r.as_ref() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return,
    };
    out.push(c);
}

#[cfg(test)]
mod tests;
