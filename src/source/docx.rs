//! Word documents (`.docx`, `.docm`: a zip with `word/document.xml`) read as their text:
//! one line per paragraph, a table's rows as CSV lines. Word keeps a paragraph's text in
//! runs that it splits wherever formatting, spelling marks or revisions change, and writes
//! a non-breaking hyphen as an element: scanned as XML, `536-90-4399` typed with
//! non-breaking hyphens or split across runs was never one value, and a table of patients
//! had its header cells apart from its values. Text deleted with track changes on is still
//! in the file (`w:delText`) and is read too.
//!
//! The document, its headers and footers, footnotes, endnotes and comments are rendered in
//! place of their XML (same name); a part that does not parse is left as the XML it is.
//!
//! PowerPoint presentations (`.pptx`, `.pptm`: a zip with `ppt/presentation.xml`) keep their
//! text the same way, in DrawingML runs (`a:p`, `a:r`, `a:t`, tables of `a:tr` and `a:tc`):
//! a case-review slide's `Patient SSN 536-9` and bold `0-4399` were two runs. Its slides,
//! speaker notes and comments are rendered in place of their XML by the same reader (the
//! elements' local names are Word's).

use super::archive::{Member, OVER_BUDGET, csv_line};
use quick_xml::events::Event;

/// Renders the text parts of the Word document among `members[start..]` (named `prefix` +
/// their path in the zip), if there is one, in place. What a part renders to beyond its
/// XML's size is taken from `left` (it never does: text is shorter than its markup).
///
/// # Errors
///
/// [`OVER_BUDGET`] when the parts render past the budget.
pub(super) fn render(
    members: &mut [Member],
    start: usize,
    prefix: &str,
    left: &mut u64,
) -> Result<(), &'static str> {
    let path = |m: &Member| m.name.strip_prefix(prefix).map(str::to_owned);
    let has = |part: &str| {
        members[start..]
            .iter()
            .any(|m| path(m).as_deref() == Some(part))
    };
    let is_text_part: fn(&str) -> bool = if has("word/document.xml") {
        is_word_text_part
    } else if has("ppt/presentation.xml") {
        is_slide_text_part
    } else {
        return Ok(());
    };
    for m in &mut members[start..] {
        let Some(part) = path(m) else {
            continue;
        };
        if !is_text_part(&part) {
            continue;
        }
        let Ok(xml) = &m.bytes else {
            continue;
        };
        let Some(text) = text_of(xml) else {
            continue;
        };
        let grew = text.len().saturating_sub(xml.len()) as u64;
        *left = left.checked_sub(grew).ok_or(OVER_BUDGET)?;
        m.bytes = Ok(text);
    }
    Ok(())
}

/// Whether `part` (a path in the zip) is one of a presentation's parts of text: a slide,
/// its speaker notes, comments.
fn is_slide_text_part(part: &str) -> bool {
    let numbered = |dir: &str, stem: &str| {
        part.strip_prefix(dir)
            .and_then(|n| n.strip_prefix(stem))
            .and_then(|n| n.strip_suffix(".xml"))
            .is_some_and(|n| !n.is_empty() && !n.contains('/'))
    };
    numbered("ppt/slides/", "slide")
        || numbered("ppt/notesSlides/", "notesSlide")
        || numbered("ppt/comments/", "")
}

/// Whether `part` (a path in the zip) is one of a Word document's parts of text.
fn is_word_text_part(part: &str) -> bool {
    let Some(name) = part
        .strip_prefix("word/")
        .and_then(|n| n.strip_suffix(".xml"))
    else {
        return false;
    };
    let numbered = |stem: &str| {
        name.strip_prefix(stem)
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
    };
    matches!(name, "document" | "footnotes" | "endnotes" | "comments")
        || numbered("header")
        || numbered("footer")
}

/// The text of a part: a line per paragraph outside tables; a CSV line per row of an
/// outermost table, each cell's paragraphs joined by spaces (a table inside a cell is text
/// of that cell). `None` when the XML does not parse, an element left open at its end (a
/// part cut short) included.
fn text_of(xml: &[u8]) -> Option<Vec<u8>> {
    let mut doc = Doc::default();
    let mut reader = quick_xml::Reader::from_reader(xml);
    // Elements open.
    let mut open = 0usize;
    loop {
        match reader.read_event().ok()? {
            Event::Eof => return (open == 0).then_some(doc.out),
            Event::Start(e) => {
                open += 1;
                doc.start(e.local_name().as_ref(), false);
            }
            Event::Empty(e) => doc.start(e.local_name().as_ref(), true),
            Event::End(e) => {
                open = open.checked_sub(1)?;
                doc.end(e.local_name().as_ref());
            }
            Event::Text(t) if doc.in_text => doc.paragraph.push_str(&t.xml10_content()),
            Event::CData(t) if doc.in_text => doc.paragraph.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if doc.in_text => {
                super::xlsx::push_ref(&mut doc.paragraph, &r);
            }
            _ => {}
        }
    }
}

/// A part's text so far, and where its reading is.
#[derive(Default)]
struct Doc {
    out: Vec<u8>,
    paragraph: String,
    row: Vec<String>,
    cell: String,
    /// Tables open (1 in an outermost one).
    tables: usize,
    /// Inside `<w:t>`, `<w:delText>`, `<a:t>` or `<p:text>`.
    in_text: bool,
    /// Inside a paragraph's tab stops (`<w:tabs>`), whose `<w:tab>`s are no text.
    in_tab_stops: bool,
}

impl Doc {
    fn start(&mut self, name: &str, empty: bool) {
        match name {
            // A PowerPoint comment's text is `p:text`.
            "t" | "delText" | "text" if !empty => self.in_text = true,
            "tab" if !self.in_tab_stops => self.paragraph.push('\t'),
            "tabs" if !empty => self.in_tab_stops = true,
            "br" | "cr" => self.paragraph.push(' '),
            "noBreakHyphen" => self.paragraph.push('-'),
            "p" if empty => self.end("p"),
            "tbl" if !empty => self.tables += 1,
            "tr" if !empty && self.tables == 1 => self.row.clear(),
            "tc" if !empty && self.tables == 1 => self.cell.clear(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "t" | "delText" => self.in_text = false,
            // A comment's text is a paragraph of its own.
            "text" => {
                self.in_text = false;
                self.end("p");
            }
            "tabs" => self.in_tab_stops = false,
            "p" => {
                let text = std::mem::take(&mut self.paragraph);
                if self.tables == 0 {
                    text_line(&mut self.out, &text);
                } else {
                    if !self.cell.is_empty() && !text.is_empty() {
                        self.cell.push(' ');
                    }
                    self.cell.push_str(&text);
                }
            }
            "tc" if self.tables == 1 => self.row.push(std::mem::take(&mut self.cell)),
            "tr" if self.tables == 1 => {
                csv_line(&mut self.out, self.row.iter().map(String::as_bytes))
            }
            "tbl" => self.tables = self.tables.saturating_sub(1),
            _ => {}
        }
    }
}

/// Appends a paragraph as a line of its own (an empty paragraph, an empty line, so that
/// the document's lines stay its paragraphs).
fn text_line(out: &mut Vec<u8>, text: &str) {
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(b' '),
            c if c.is_control() && c != '\t' => out.push(b' '),
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests;
