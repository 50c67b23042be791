//! Documents carried as base64 inside healthcare formats and e-mail. A FHIR `Attachment`'s or
//! `Binary`'s `data` (`"data": "…"` in JSON, `<data value="…"/>` in XML; a DSTU2 or STU3
//! `Binary`'s `content`): a
//! `DocumentReference` holding a C-CDA, a clinical note or a PDF is how FHIR moves documents,
//! and its text is invisible to every detector until decoded. A C-CDA element written with
//! `representation="B64"` (a `nonXMLBody`'s scanned note or PDF, an `observationMedia`
//! value), and an HL7 v2 field of type ED whose encoding is `Base64` (a lab's PDF report in an
//! `OBX`): the same, in the older formats. So is a MIME part's body (an e-mail saved as
//! `.eml`, a `.mbox`, a multipart HTTP fixture): `Content-Transfer-Encoding: base64` hides an
//! attached patient extract, and `quoted-printable` may break a value across lines (`=` at a
//! line's end) or write its bytes as `=3D`-style escapes. And so is a `data:` URI of a
//! document type (a link to a patient list in an HTML page).
//!
//! A FHIR `data` value or a `data:` URI is decoded when it starts in an added region. A MIME body in a saved
//! e-mail, a `B64` element in an XML document and an ED field in an HL7 message are decoded
//! when any of their text is added (an edit deep inside an attachment committed earlier adds
//! only base64 lines, far from the headers that say what they are), elsewhere when they
//! start in an added region. A payload is at least [`MIN_ENCODED`] characters of base64
//! (JSON's `\/` and line-break escapes, XML's white space allowed) and decodes. What it
//! decodes to is handed on as an item of its own with the file's path and an [`Origin`]:
//! findings in it are reported at the payload's place in the file, so fingerprints,
//! baselines and path policy are the file's. The reader opens what is a document (a PDF, an
//! Office file, an archive) as it opens such a file.

use super::Origin;
use base64::Engine as _;
use std::ops::Range;

/// How a base64 payload's findings are marked.
pub const BASE64: &str = "base64 data";

/// How a quoted-printable body's findings are marked.
pub const QUOTED_PRINTABLE: &str = "quoted-printable text";

/// Payloads shorter than this many characters are left alone (a hash, a thumbnail's worth
/// of bytes): 48 decoded bytes, about one line of a note.
pub const MIN_ENCODED: usize = 64;

/// How far before an added region a `data` key, or a MIME part's `Content-Transfer-Encoding`
/// header, is looked for: its value (its body) may start the region a line or a few below.
const KEY_LOOKBACK: usize = 256;

/// One decoded payload: what it decodes to, and where it sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The decoded bytes.
    pub decoded: Vec<u8>,
    /// Where the encoded text sits.
    pub origin: Origin,
}

/// The payloads of `text` that start in `added` (sorted, disjoint), in order.
pub fn payloads(text: &[u8], added: &[Range<usize>]) -> Vec<Payload> {
    let mut out = Vec::new();
    if added.is_empty() {
        return out;
    }
    let mut found = data_values(text, added);
    found.extend(mime_bodies(text, added));
    found.extend(b64_elements(text, added));
    found.extend(data_uris(text, added));
    found.extend(hl7_encapsulated(text, added));
    found.sort_by_key(|f| f.0);
    // The line, its start and the UTF-16 width before the last payload, carried from
    // payload to payload: one pass over the text, however many payloads share a line.
    let mut cursor = Cursor {
        line: 1,
        line_start: 0,
        pos: 0,
        before: 0,
    };
    let mut last_end = 0;
    for (start, end, decoded, encoding) in found {
        // A body inside a `data` value's text (or the other way round) is read once.
        if start < last_end {
            continue;
        }
        last_end = end;
        out.push(located(text, start, end, decoded, encoding, &mut cursor));
    }
    out
}

/// What one search found: `(start, end, decoded, encoding)`.
type Found = (usize, usize, Vec<u8>, &'static str);

/// Calls `hit` with each region of `added` and each place `finder` finds in it, the region
/// searched from [`KEY_LOOKBACK`] bytes before it (a key may stand a line above its value;
/// a part's other headers between its encoding and its body) and no byte twice: an edit of a
/// large file reads its edit, not the file. `hit` returns where what it read ends, and the
/// next region's search starts past it.
fn each_hit(
    text: &[u8],
    added: &[Range<usize>],
    finder: &memchr::memmem::Finder<'_>,
    mut hit: impl FnMut(&Range<usize>, usize) -> Option<usize>,
) {
    let mut searched = 0;
    for r in added {
        let from = r.start.saturating_sub(KEY_LOOKBACK).max(searched);
        if from >= r.end {
            continue;
        }
        crate::work::add(r.end - from);
        searched = r.end;
        for at in finder.find_iter(&text[from..r.end]).map(|i| from + i) {
            if let Some(end) = hit(r, at) {
                searched = searched.max(end);
            }
        }
    }
}

/// `(start, end, decoded)` of the FHIR base64 values that start in `added`, in order: an
/// `Attachment`'s or an R4 `Binary`'s `data`, and a DSTU2 or STU3 `Binary`'s `content`.
fn data_values(text: &[u8], added: &[Range<usize>]) -> Vec<Found> {
    let mut out = Vec::new();
    for key in [&b"data"[..], b"content"] {
        let mut pos = 0;
        each_hit(text, added, &memchr::memmem::Finder::new(key), |r, at| {
            let start = value_start(text, at, key.len()).filter(|s| r.contains(s) && *s >= pos)?;
            let (end, decoded) = decode(text, start)?;
            pos = end;
            out.push((start, end, decoded, BASE64));
            Some(end)
        });
    }
    out
}

/// `(start, end, decoded)` of the MIME part bodies that start in `added` (in a saved e-mail,
/// that hold any of it) and are written in base64 (at least [`MIN_ENCODED`] characters that
/// decode) or quoted-printable, in order.
fn mime_bodies(text: &[u8], added: &[Range<usize>]) -> Vec<Found> {
    // `Content-Transfer-Encoding:` in any case, found by the part of it mailers write in
    // either case (`Transfer-`, `transfer-`) and checked whole, at a line's start.
    const HEADER: &[u8] = b"content-transfer-encoding:";
    // A saved e-mail is searched whole, and a body is decoded when any of it is added: an
    // edit inside an attachment committed earlier (its headers far above the edit) must not
    // leave the new lines to be read as the base64 they are.
    let whole = 0..text.len();
    let mail = is_mail(text);
    let searched: &[Range<usize>] = if mail {
        std::slice::from_ref(&whole)
    } else {
        added
    };
    let mut out: Vec<Found> = Vec::new();
    each_hit(
        text,
        searched,
        &memchr::memmem::Finder::new(b"ransfer-"),
        |r, hit| {
            let at = hit.checked_sub(b"content-t".len())?;
            if (at > 0 && text[at - 1] != b'\n')
                || !text
                    .get(at..at + HEADER.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(HEADER))
            {
                return None;
            }
            let (start, encoding) = body_start(text, at)?;
            if !r.contains(&start) || out.last().is_some_and(|f| start < f.1) {
                return None;
            }
            let (end, decoded, encoding) = match encoding {
                Encoding::Base64 => base64_body(text, start).map(|(e, d)| (e, d, BASE64)),
                Encoding::QuotedPrintable => {
                    quoted_printable_body(text, start).map(|(e, d)| (e, d, QUOTED_PRINTABLE))
                }
            }?;
            if mail && !touched(added, start..end) {
                return Some(end);
            }
            out.push((start, end, decoded, encoding));
            Some(end)
        },
    );
    out
}

/// `(start, end, decoded)` of the `data:` URIs in base64 that start in `added` and carry a
/// document (`data:text/csv;base64,…`, `data:application/pdf;base64,…`): a link to a
/// patient list in an HTML page, a fixture's attachment. Images, fonts, audio and video
/// (what a page or stylesheet inlines by the thousand) and other binary types are left
/// alone.
fn data_uris(text: &[u8], added: &[Range<usize>]) -> Vec<Found> {
    const MARK: &[u8] = b";base64,";
    let mut out = Vec::new();
    let mut pos = 0;
    each_hit(text, added, &memchr::memmem::Finder::new(MARK), |r, at| {
        let start = at + MARK.len();
        if !r.contains(&start) || start < pos || !carries_document(&media_type(text, at)?) {
            return None;
        }
        let (end, decoded) = uri_base64(text, start)?;
        pos = end;
        out.push((start, end, decoded, BASE64));
        Some(end)
    });
    out
}

/// The media type of the `data:` URI whose `;base64,` is at `at` (up to its first
/// parameter, lowercased), when `data:` stands at most a few hundred bytes before it.
fn media_type(text: &[u8], at: usize) -> Option<Vec<u8>> {
    let from = at.saturating_sub(KEY_LOOKBACK);
    let head = &text[from..at];
    let scheme = memchr::memmem::rfind(&head.to_ascii_lowercase(), b"data:")?;
    let media = &head[scheme + b"data:".len()..];
    let media = media.split(|&b| b == b';').next().unwrap_or_default();
    // JSON writes the slash as `\/`.
    let media: Vec<u8> = media
        .iter()
        .filter(|&&b| b != b'\\')
        .map(u8::to_ascii_lowercase)
        .collect();
    media
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"/+-.".contains(&b))
        .then_some(media)
}

/// Whether a `data:` URI of media type `media` carries a document worth reading: text (the
/// default when none is named), JSON, XML, CSV, HL7, FHIR, e-mail, PDF, Office files and
/// archives.
fn carries_document(media: &[u8]) -> bool {
    const TYPES: &[&[u8]] = &[
        b"application/pdf",
        b"application/zip",
        b"application/gzip",
        b"application/x-gzip",
        b"application/x-tar",
        b"application/msword",
        b"application/vnd.ms-excel",
        b"application/vnd.openxmlformats-officedocument.",
        b"application/vnd.sqlite3",
        b"application/x-sqlite3",
        b"application/csv",
        b"application/x-hl7",
        b"application/hl7",
        b"application/edi-x12",
        b"application/fhir",
        b"application/json",
        b"application/xml",
        b"application/rtf",
        b"message/rfc822",
    ];
    media.is_empty()
        || media.starts_with(b"text/")
        || media.ends_with(b"+json")
        || media.ends_with(b"+xml")
        || TYPES.iter().any(|t| media.starts_with(t))
}

/// The base64 of a `data:` URI from `start` to the first byte that is not base64 (a quote, a
/// parenthesis, white space), JSON's `\/` read as a slash, and what it decodes to.
fn uri_base64(text: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let mut clean = Vec::new();
    let mut i = start;
    while let Some(&b) = text.get(i) {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => clean.push(b),
            b'\\' if text.get(i + 1) == Some(&b'/') => {
                clean.push(b'/');
                i += 1;
            }
            _ => break,
        }
        i += 1;
    }
    crate::work::add(i - start);
    Some((i, decode_base64(&clean)?))
}

/// Whether `range` holds any of `added` (sorted, disjoint); an empty range, its first byte.
fn touched(added: &[Range<usize>], range: Range<usize>) -> bool {
    let k = added.partition_point(|a| a.end <= range.start);
    added
        .get(k)
        .is_some_and(|a| a.start < range.end.max(range.start + 1))
}

/// `(start, end, decoded)` of the elements of an XML document written in base64
/// (`representation="B64"`, C-CDA's `ED` type: a `nonXMLBody`'s `text`, an
/// `observationMedia`'s `value`) that hold any of `added`, in order. Only a text that starts
/// as XML is searched, and then whole: the base64 of a large attachment runs over many
/// lines, and an edit of one of them adds no line near the tag that says it is base64.
fn b64_elements(text: &[u8], added: &[Range<usize>]) -> Vec<Found> {
    const ATTR: &[u8] = b"representation";
    let mut out = Vec::new();
    if !starts_as(text, b"<") {
        return out;
    }
    crate::work::add(text.len());
    let mut past = 0;
    for at in memchr::memmem::find_iter(text, b"B64") {
        if at < past {
            continue;
        }
        // `representation="B64"` or `='B64'`, white space around `=` allowed.
        let quote = match (at.checked_sub(1).map(|q| text[q]), text.get(at + 3)) {
            (Some(q @ (b'"' | b'\'')), Some(&c)) if c == q => at - 1,
            _ => continue,
        };
        let before = text[..quote].trim_ascii_end();
        let Some(before) = before.strip_suffix(b"=") else {
            continue;
        };
        if !before.trim_ascii_end().ends_with(ATTR) {
            continue;
        }
        // The start tag ends at the next `>` (not `/>`: an empty element has no text).
        let Some(gt) = memchr::memchr2(b'>', b'<', &text[at + 4..]).map(|i| at + 4 + i) else {
            break;
        };
        crate::work::add(gt - at);
        // Hits before it are inside this tag: its start is read once.
        past = gt;
        if text[gt] != b'>' || text[gt - 1] == b'/' {
            continue;
        }
        let start = gt + 1;
        let end = memchr::memchr(b'<', &text[start..]).map_or(text.len(), |i| start + i);
        crate::work::add(end - start);
        past = end;
        if !touched(added, start..end) {
            continue;
        }
        // Where the base64 starts: a body that begins on the tag's line is located there.
        let first = start
            + text[start..end]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        if let Some((stop, decoded)) = decode_until(text, first, b"<", true) {
            out.push((first, stop, decoded, BASE64));
        }
    }
    out
}

/// `(start, end, decoded)` of the fields of an HL7 v2 message of type ED (encapsulated data)
/// whose encoding component is `Base64` (`OBX|1|ED|…||LAB^AP^PDF^Base64^JVBERi0…|`) that hold
/// any of `added`, in order. Only a text that starts as an HL7 message (`MSH|`, or a batch's
/// `FHS|`/`BHS|`) is searched, and then whole, as [`b64_elements`] searches XML.
fn hl7_encapsulated(text: &[u8], added: &[Range<usize>]) -> Vec<Found> {
    let mut out = Vec::new();
    if !(starts_as(text, b"MSH|") || starts_as(text, b"FHS|") || starts_as(text, b"BHS|")) {
        return out;
    }
    crate::work::add(text.len());
    // A component ends at the next delimiter, a segment at a line break.
    const STOPS: &[u8] = b"|^~\r\n";
    let mut past = 0;
    for at in memchr::memmem::find_iter(text, b"^Base64^") {
        let start = at + b"^Base64^".len();
        if start < past {
            continue;
        }
        let end = text[start..]
            .iter()
            .position(|b| STOPS.contains(b))
            .map_or(text.len(), |i| start + i);
        crate::work::add(end - start);
        past = end;
        if !touched(added, start..end) {
            continue;
        }
        if let Some((stop, decoded)) = decode_until(text, start, STOPS, true) {
            out.push((start, stop, decoded, BASE64));
        }
    }
    out
}

/// Whether `text` starts with `lead`, past a byte-order mark and white space.
fn starts_as(text: &[u8], lead: &[u8]) -> bool {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let from = text.iter().take_while(|b| b.is_ascii_whitespace()).count();
    text[from..].starts_with(lead)
}

/// Whether `text` is a saved e-mail (`.eml`, an mbox): it starts with a header mail writers
/// put first, or mbox's `From ` line.
fn is_mail(text: &[u8]) -> bool {
    const FIRST: &[&[u8]] = &[
        b"from ",
        b"from:",
        b"return-path:",
        b"received:",
        b"delivered-to:",
        b"mime-version:",
        b"message-id:",
        b"date:",
        b"subject:",
        b"to:",
        b"x-",
    ];
    FIRST.iter().any(|h| {
        text.get(..h.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(h))
    })
}

/// A MIME body's transfer encoding that hides text from a scan of the raw bytes.
enum Encoding {
    Base64,
    QuotedPrintable,
}

/// Where the body of the part whose `Content-Transfer-Encoding` header is at `at` starts
/// (past the blank line that ends its headers), and its encoding; `None` for another
/// encoding (`7bit`, `8bit`, `binary`: the raw bytes are the text).
fn body_start(text: &[u8], at: usize) -> Option<(usize, Encoding)> {
    let value_from = at + b"Content-Transfer-Encoding:".len();
    let line_end =
        memchr::memchr(b'\n', &text[value_from..]).map_or(text.len(), |i| value_from + i);
    let value = text[value_from..line_end].trim_ascii();
    let encoding = if value.eq_ignore_ascii_case(b"base64") {
        Encoding::Base64
    } else if value.eq_ignore_ascii_case(b"quoted-printable") {
        Encoding::QuotedPrintable
    } else {
        return None;
    };
    // The headers end at the first empty line (LF or CRLF); at most a few KiB of them.
    let mut i = line_end + 1;
    let limit = (line_end + 8192).min(text.len());
    while i < limit {
        let end = memchr::memchr(b'\n', &text[i..limit]).map_or(limit, |e| i + e);
        crate::work::add(end - i + 1);
        if text[i..end].trim_ascii().is_empty() {
            return Some((end + 1, encoding));
        }
        i = end + 1;
    }
    None
}

/// Whether the line `line` ends a MIME body: a boundary (`--…`).
fn is_boundary(line: &[u8]) -> bool {
    line.starts_with(b"--")
}

/// A base64 body from `start`: its lines up to an empty line, a boundary or a line that is
/// not base64, and what they decode to.
fn base64_body(text: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let mut clean = Vec::new();
    let mut i = start;
    let mut end = start;
    while i < text.len() {
        let line_end = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |e| i + e);
        let line = text[i..line_end].trim_ascii();
        crate::work::add(line_end - i + 1);
        if line.is_empty()
            || is_boundary(line)
            || !line
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            break;
        }
        clean.extend_from_slice(line);
        end = line_end;
        i = line_end + 1;
    }
    Some((end, decode_base64(&clean)?))
}

/// A quoted-printable body from `start` up to a boundary line or the end, and the lines of
/// it that its encoding changes: those joined by soft line breaks (`=` at a line's end) or
/// holding `=XX` escapes, decoded. The others read the same in the file, where they are
/// scanned already; `None` when no line changes.
fn quoted_printable_body(text: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    // The logical line being decoded, and whether decoding changed it.
    let (mut logical, mut changed) = (Vec::new(), false);
    let mut i = start;
    let mut end = start;
    while i < text.len() {
        let line_end = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |e| i + e);
        let line = &text[i..line_end];
        crate::work::add(line.len() + 1);
        if is_boundary(line) {
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let (line, soft) = match line.trim_ascii_end().strip_suffix(b"=") {
            Some(joined) => (joined, true),
            None => (line, false),
        };
        let mut k = 0;
        while k < line.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (line[k], line.get(k + 1).copied(), line.get(k + 2).copied()) {
                (b'=', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                    logical.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                    changed = true;
                    k += 3;
                }
                (b, _, _) => {
                    logical.push(b);
                    k += 1;
                }
            }
        }
        changed |= soft;
        if !soft {
            if changed {
                out.append(&mut logical);
                out.push(b'\n');
            }
            logical.clear();
            changed = false;
        }
        end = line_end;
        i = line_end + 1;
    }
    if changed {
        out.append(&mut logical);
    }
    (!out.is_empty()).then_some((end, out))
}

/// Where the line counting stands: the line, its start, the offset counted to and the
/// UTF-16 width from the line's start to it.
struct Cursor {
    line: u32,
    line_start: usize,
    pos: usize,
    before: u32,
}

/// `decoded`, found at `start..end` of `text`, with its [`Origin`], the cursor carried on.
fn located(
    text: &[u8],
    start: usize,
    end: usize,
    decoded: Vec<u8>,
    encoding: &'static str,
    c: &mut Cursor,
) -> Payload {
    let Cursor {
        line,
        line_start,
        pos,
        before,
    } = c;
    {
        let gap = &text[*pos..start];
        crate::work::add(gap.len());
        let widen = if let Some(nl) = memchr::memrchr(b'\n', gap) {
            *line += memchr::memchr_iter(b'\n', gap).count() as u32;
            *line_start = *pos + nl + 1;
            *before = 0;
            &text[*line_start..start]
        } else {
            gap
        };
        crate::work::add(widen.len());
        *before += crate::lines::utf16_len(widen);
        *pos = start;
    }
    let line_end = memchr::memchr(b'\n', &text[start..end]).map_or(end, |i| start + i);
    Payload {
        decoded,
        origin: Origin {
            line: c.line,
            column: (start - c.line_start + 1) as u32,
            end_column: (line_end - c.line_start + 1) as u32,
            utf16_columns: (
                c.before + 1,
                c.before + crate::lines::utf16_len(&text[start..line_end]) + 1,
            ),
            encoding,
        },
    }
}

/// Where the value of a member or attribute starts, when the key of `key_len` bytes at `at`
/// names one: `"data"` then `:` and a quote in JSON, `<data value="` in XML.
fn value_start(text: &[u8], at: usize, key_len: usize) -> Option<usize> {
    // Steps over `lit` at `i` and the white space after it, if `lit` is there.
    let eat = |i: &mut usize, lit: &[u8]| {
        if !text.get(*i..).is_some_and(|t| t.starts_with(lit)) {
            return false;
        }
        *i += lit.len();
        while text.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
        true
    };
    let mut i = at + key_len;
    let named = match at.checked_sub(1).map(|b| text[b])? {
        b'"' => eat(&mut i, b"\"") && eat(&mut i, b":"),
        b'<' => eat(&mut i, b"") && eat(&mut i, b"value") && eat(&mut i, b"="),
        _ => false,
    };
    (named && text.get(i) == Some(&b'"')).then_some(i + 1)
}

/// The end of the base64 string starting at `start` (its closing quote) and what it decodes
/// to; `None` when it is short, holds anything but base64 and the escapes a writer may put
/// in, or does not decode.
fn decode(text: &[u8], start: usize) -> Option<(usize, Vec<u8>)> {
    decode_until(text, start, b"\"", false)
}

/// [`decode`] for base64 text that ends at the first of `stops`, or at the end of `text`
/// when `open_end`.
fn decode_until(
    text: &[u8],
    start: usize,
    stops: &[u8],
    open_end: bool,
) -> Option<(usize, Vec<u8>)> {
    let mut clean = Vec::new();
    let mut i = start;
    loop {
        let Some(&b) = text.get(i) else {
            if open_end {
                break;
            }
            return None;
        };
        match b {
            b if stops.contains(&b) => break,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => clean.push(b),
            // JSON: `\/` is a slash; `\n`, `\r` are MIME line breaks written as escapes.
            b'\\' => match text.get(i + 1)? {
                b'/' => {
                    clean.push(b'/');
                    i += 1;
                }
                b'n' | b'r' => i += 1,
                _ => return None,
            },
            // XML's base64Binary allows white space.
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return None,
        }
        i += 1;
    }
    crate::work::add(i - start);
    Some((i, decode_base64(&clean)?))
}

/// What base64 `clean` (nothing but its alphabet) decodes to, padded or not; `None` when it
/// is shorter than [`MIN_ENCODED`] or does not decode.
fn decode_base64(clean: &[u8]) -> Option<Vec<u8>> {
    if clean.len() < MIN_ENCODED {
        return None;
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(clean).ok()
}

#[cfg(test)]
mod tests;
