//! PDF documents: the text their pages draw. A referral letter, a lab report or a discharge
//! summary saved as PDF keeps its words in content streams, deflated: read as the bytes they
//! are, they are noise, and a `discharge-summary.pdf` got past every hook. Here each content
//! stream is inflated and its text operators read (`Tj`, `TJ`, `'`, `"`), a line for each line
//! the page draws, and the document is scanned as the member `path!(text)`.
//!
//! Strings are read as the bytes the standard encodings give (Latin-1 for WinAnsi, ASCII for
//! the rest): what report writers (ReportLab, FPDF, wkhtmltopdf's simple fonts, LaTeX's
//! Type 1 fonts) produce. Text drawn with two-byte CID fonts through a `ToUnicode` map is not
//! decoded. One pass over the file and one over each stream; inflating counts against the
//! archive budget (`max_file_bytes`), so a small PDF cannot expand without bound.

use super::archive::OVER_BUDGET;
use memchr::memmem;
use std::io::Read;

#[cfg(test)]
mod tests;

/// Whether `bytes` are a PDF file (`%PDF-` at the start).
pub(super) fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// How far before `stream` its dictionary is looked for.
const DICT_WINDOW: usize = 4096;

/// What marks a stream that is not text drawn on a page (images, fonts, the file's own
/// indexes and metadata, filters of image data): stepped over, never inflated, so an
/// illustrated PDF does not spend the budget on its pictures.
const NOT_TEXT: &[&[u8]] = &[
    b"/Image",
    b"/FontFile",
    b"/Length1",
    b"/Length2",
    b"/Type1C",
    b"/CIDFontType0C",
    b"/OpenType",
    b"/XRef",
    b"/ObjStm",
    b"/Metadata",
    b"/DCTDecode",
    b"/JPXDecode",
    b"/CCITTFaxDecode",
    b"/JBIG2Decode",
    b"/LZWDecode",
    b"/RunLengthDecode",
    b"/Crypt",
];

/// The filters a content stream is read through.
#[derive(Clone, Copy)]
enum Filter {
    Flate,
    Ascii85,
    AsciiHex,
}

/// The filters `dict` names, in the order they are applied; `None` when it names one this
/// reader does not undo (after [`NOT_TEXT`], only abbreviations and unknown names).
fn filters(dict: &[u8]) -> Option<Vec<Filter>> {
    let Some(at) = memmem::find(dict, b"/Filter") else {
        return Some(Vec::new());
    };
    let rest = &dict[at + b"/Filter".len()..];
    let rest = rest.trim_ascii_start();
    // One name, or an array of them.
    let list = match rest.first() {
        Some(b'[') => &rest[1..memchr::memchr(b']', rest).unwrap_or(rest.len())],
        _ => {
            let len = 1 + rest.iter().skip(1).take_while(|&&b| regular(b)).count();
            &rest[..len.min(rest.len())]
        }
    };
    list.split(|&b| b == b'/')
        .map(<[u8]>::trim_ascii)
        .filter(|n| !n.is_empty())
        .map(|n| match n {
            b"FlateDecode" | b"Fl" => Some(Filter::Flate),
            b"ASCII85Decode" | b"A85" => Some(Filter::Ascii85),
            b"ASCIIHexDecode" | b"AHx" => Some(Filter::AsciiHex),
            _ => None,
        })
        .collect()
}

/// Inflates the zlib stream `data` starts with: its bytes, and how many of `data` it took.
fn inflate(data: &[u8], left: &mut u64) -> Result<(Vec<u8>, usize), &'static str> {
    let mut z = flate2::read::ZlibDecoder::new(data);
    let mut buf = Vec::new();
    (&mut z)
        .take(left.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|_| "a damaged PDF stream")?;
    *left = left.checked_sub(buf.len() as u64).ok_or(OVER_BUDGET)?;
    let used = usize::try_from(z.total_in()).unwrap_or(data.len());
    Ok((buf, used))
}

/// Decodes the ASCII85 data `data` starts with (to its `~>`): its bytes, and how many of
/// `data` it took.
fn ascii85(data: &[u8]) -> (Vec<u8>, usize) {
    let end = memmem::find(data, b"~>").unwrap_or(data.len());
    let mut out = Vec::with_capacity(end / 5 * 4);
    let mut group = [0u8; 5];
    let mut n = 0;
    for &b in &data[..end] {
        match b {
            b'z' if n == 0 => out.extend([0; 4]),
            b'!'..=b'u' => {
                group[n] = b - b'!';
                n += 1;
                if n == 5 {
                    let v = group
                        .iter()
                        .fold(0u32, |v, &d| v.wrapping_mul(85).wrapping_add(u32::from(d)));
                    out.extend(v.to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        group[n..].fill(84);
        let v = group
            .iter()
            .fold(0u32, |v, &d| v.wrapping_mul(85).wrapping_add(u32::from(d)));
        out.extend(&v.to_be_bytes()[..n - 1]);
    }
    (out, (end + 2).min(data.len()))
}

/// The text the pages of PDF `bytes` draw, a line per line drawn; `left` is the budget the
/// inflated streams count against.
///
/// # Errors
///
/// A deflated stream that does not inflate (a damaged PDF), an encrypted PDF, or streams that
/// expand past the budget.
pub(super) fn text(bytes: &[u8], left: &mut u64) -> Result<Vec<u8>, &'static str> {
    if memmem::find(bytes, b"/Encrypt").is_some() {
        return Err("an encrypted PDF, which phiguard does not open");
    }
    let mut out = Vec::new();
    let mut at = 0;
    // The next `endstream` after the last unfiltered stream's data, and how far unfiltered
    // data has been read.
    let (mut endstream, mut read_to) = (0, 0);
    while let Some(i) = memmem::find(&bytes[at..], b"stream") {
        // The dictionary is looked for only since the last stream: no byte is looked back
        // over twice, however many `stream` words a file holds.
        let from = at;
        let kw = at + i;
        at = kw + b"stream".len();
        if kw >= 3 && &bytes[kw - 3..kw] == b"end" {
            continue;
        }
        let data = match &bytes[at..] {
            [b'\r', b'\n', ..] => at + 2,
            [b'\n' | b'\r', ..] => at + 1,
            _ => continue,
        };
        let dict = stream_dict(&bytes[from..kw]);
        crate::work::add(i + dict.len());
        let filters =
            filters(dict).filter(|_| !NOT_TEXT.iter().any(|f| memmem::find(dict, f).is_some()));
        let Some(filters) = filters else {
            // Not page text (an image, a font, an index): not read. The search goes on from
            // its data, not from an `endstream` that a planted `stream` word could put past
            // every real stream.
            at = data;
            continue;
        };
        // The stream's data, as far as its first filter (or `endstream`) says it runs.
        let (mut content, end) = match filters.first() {
            Some(Filter::Flate) => inflate(&bytes[data..], left)?,
            Some(Filter::Ascii85) => ascii85(&bytes[data..]),
            Some(Filter::AsciiHex) => {
                let end =
                    memchr::memchr(b'>', &bytes[data..]).map_or(bytes.len() - data, |e| e + 1);
                (hex(&bytes[data..data + end]), end)
            }
            None => {
                // Unfiltered: its data runs to the next `endstream`, found once for every
                // stream before it; the bytes read are read once, and the search goes on
                // from the data (a planted `stream` word hides no stream after it).
                if endstream < data {
                    endstream = memmem::find(&bytes[data..], b"endstream")
                        .map_or(bytes.len(), |e| data + e);
                    crate::work::add(endstream - data);
                }
                let start = data.max(read_to).min(endstream);
                read_to = endstream;
                (bytes[start..endstream].to_vec(), 0)
            }
        };
        at = data + end.min(bytes.len() - data);
        for f in filters.iter().skip(1) {
            content = match f {
                Filter::Flate => inflate(&content, left)?.0,
                Filter::Ascii85 => ascii85(&content).0,
                Filter::AsciiHex => hex(&content),
            };
        }
        if memmem::find(&content, b"begincmap").is_none() {
            page_text(&content, &mut out);
        }
    }
    Ok(out)
}

/// The dictionary of the stream whose `stream` keyword ends `before`: from its object's
/// `obj` keyword (within [`DICT_WINDOW`] bytes), else the window itself.
fn stream_dict(before: &[u8]) -> &[u8] {
    let window = &before[before.len().saturating_sub(DICT_WINDOW)..];
    match memmem::rfind(window, b"obj") {
        Some(i) => &window[i..],
        None => window,
    }
}

/// An operand of a content stream's operator, as far as text needs them.
enum Operand {
    Str(Vec<u8>),
    Num(f64),
    ArrayStart,
    Other,
}

/// Appends the text content stream `c` draws to `out`, a line per line drawn.
fn page_text(c: &[u8], out: &mut Vec<u8>) {
    if memmem::find(c, b"Tj").is_none() && memmem::find(c, b"TJ").is_none() {
        return;
    }
    let mut line: Vec<u8> = Vec::new();
    let mut ops: Vec<Operand> = Vec::new();
    let flush = |line: &mut Vec<u8>, out: &mut Vec<u8>| {
        let text = line.trim_ascii();
        if !text.is_empty() {
            out.extend_from_slice(text);
            out.push(b'\n');
        }
        line.clear();
    };
    let mut i = 0;
    while i < c.len() {
        let b = c[i];
        crate::work::add(1);
        match b {
            b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' => i += 1,
            b'%' => i = memchr::memchr2(b'\n', b'\r', &c[i..]).map_or(c.len(), |e| i + e),
            b'(' => {
                let (s, end) = literal(c, i + 1);
                ops.push(Operand::Str(s));
                i = end;
            }
            b'<' if c.get(i + 1) == Some(&b'<') => {
                ops.push(Operand::Other);
                i += 2;
            }
            b'<' => {
                let end = memchr::memchr(b'>', &c[i..]).map_or(c.len(), |e| i + e);
                ops.push(Operand::Str(hex(&c[i + 1..end])));
                i = end + 1;
            }
            b'>' | b'{' | b'}' => {
                ops.push(Operand::Other);
                i += 1;
            }
            b'[' => {
                ops.push(Operand::ArrayStart);
                i += 1;
            }
            b']' => {
                let start = ops
                    .iter()
                    .rposition(|o| matches!(o, Operand::ArrayStart))
                    .unwrap_or(0);
                crate::work::add(ops.len() - start + 1);
                let mut joined = Vec::new();
                for o in ops.drain(start..) {
                    match o {
                        Operand::Str(s) => joined.extend(s),
                        // A move right of a fifth of an em or more is a space between words.
                        Operand::Num(n) if n <= -200.0 => joined.push(b' '),
                        _ => {}
                    }
                }
                ops.push(Operand::Str(joined));
                i += 1;
            }
            b'/' => {
                i += 1 + c[i + 1..].iter().take_while(|&&b| regular(b)).count();
                ops.push(Operand::Other);
            }
            _ => {
                let len = c[i..].iter().take_while(|&&b| regular(b)).count().max(1);
                let token = &c[i..i + len];
                i += len;
                if let Some(n) = number(token) {
                    ops.push(Operand::Num(n));
                    continue;
                }
                match token {
                    b"Tj" | b"TJ" => {
                        if let Some(Operand::Str(s)) = ops.last() {
                            show(s, &mut line);
                        }
                    }
                    b"'" | b"\"" => {
                        flush(&mut line, out);
                        if let Some(Operand::Str(s)) = ops.last() {
                            show(s, &mut line);
                        }
                    }
                    b"Td" | b"TD" => {
                        let ty = match ops.as_slice() {
                            [.., Operand::Num(_), Operand::Num(ty)] => *ty,
                            _ => 1.0,
                        };
                        if ty != 0.0 {
                            flush(&mut line, out);
                        } else if !line.is_empty() && !line.ends_with(b" ") {
                            line.push(b' ');
                        }
                    }
                    b"T*" | b"Tm" | b"BT" | b"ET" => flush(&mut line, out),
                    // Inline image data: skipped to its end.
                    b"ID" => {
                        i = memmem::find(&c[i..], b"EI").map_or(c.len(), |e| i + e + 2);
                    }
                    _ => {}
                }
                ops.clear();
            }
        }
    }
    flush(&mut line, out);
}

/// Bytes that make up names, numbers and operators (not white space, not a delimiter).
fn regular(b: u8) -> bool {
    !matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

fn number(token: &[u8]) -> Option<f64> {
    if !token
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// A literal string starting after its `(` at `i`: its bytes, escapes undone, and where it
/// ends (past its `)`).
fn literal(c: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut s = Vec::new();
    let mut depth = 0usize;
    while i < c.len() {
        let b = c[i];
        i += 1;
        match b {
            b'(' => {
                depth += 1;
                s.push(b);
            }
            b')' if depth == 0 => break,
            b')' => {
                depth -= 1;
                s.push(b);
            }
            b'\\' => {
                let Some(&e) = c.get(i) else { break };
                i += 1;
                match e {
                    b'n' => s.push(b'\n'),
                    b'r' => s.push(b'\r'),
                    b't' => s.push(b'\t'),
                    b'b' | b'f' => {}
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match c.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        s.push((v & 0xff) as u8);
                    }
                    // A backslash at the end of a line continues the string.
                    b'\r' => i += usize::from(c.get(i) == Some(&b'\n')),
                    b'\n' => {}
                    other => s.push(other),
                }
            }
            _ => s.push(b),
        }
    }
    (s, i)
}

/// A hex string's bytes (white space ignored, an odd last digit as if followed by 0).
fn hex(h: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = h
        .iter()
        .filter_map(|&b| (b as char).to_digit(16).map(|d| d as u8))
        .collect();
    digits
        .chunks(2)
        .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0))
        .collect()
}

/// Appends a shown string to `line`: printable bytes, Latin-1 above ASCII, as UTF-8.
fn show(s: &[u8], line: &mut Vec<u8>) {
    for &b in s {
        match b {
            b'\t' | b'\n' | b'\r' => line.push(b' '),
            0x20..=0x7e => line.push(b),
            0xa0..=0xff => {
                let mut buf = [0u8; 4];
                line.extend_from_slice(char::from(b).encode_utf8(&mut buf).as_bytes());
            }
            _ => {}
        }
    }
}
