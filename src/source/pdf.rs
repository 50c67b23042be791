//! PDF documents: the text their pages draw. A referral letter, a lab report or a discharge
//! summary saved as PDF keeps its words in content streams, deflated: read as the bytes they
//! are, they are noise, and a `discharge-summary.pdf` got past every hook. Here each content
//! stream is inflated and its text operators read (`Tj`, `TJ`, `'`, `"`), a line for each line
//! the page draws, and the document is scanned as the member `path!(text)`.
//!
//! Strings are read as the bytes the standard encodings give (Latin-1 for WinAnsi, ASCII for
//! the rest): what report writers (ReportLab, FPDF, wkhtmltopdf's simple fonts, LaTeX's
//! Type 1 fonts) produce. A font with a `ToUnicode` map (the two-byte `Identity-H` fonts of
//! Word, Chrome, fpdf2 and most office software, whose strings are glyph numbers) is read
//! through that map (`Fonts`): the page's own resources name the font a content stream
//! selects with `Tf`, else any font of that name in the document. One pass over the file and
//! one over each stream, and with such fonts one more over the objects; inflating counts
//! against the archive budget (`max_file_bytes`), so a small PDF cannot expand without bound.

use super::archive::OVER_BUDGET;
use memchr::memmem;
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

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
    // Content streams (with their object's number) and `ToUnicode` maps, read in one pass;
    // the text is drawn once the fonts are known.
    let mut contents: Vec<(Option<u32>, Vec<u8>)> = Vec::new();
    let mut cmaps: HashMap<u32, Arc<CMap>> = HashMap::new();
    let mut object_streams: Vec<Vec<u8>> = Vec::new();
    let mut metadata: Vec<u8> = Vec::new();
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
        let number = dict
            .starts_with(b"obj")
            .then(|| object_number(bytes, kw - dict.len()))
            .flatten();
        // Objects packed in a stream (PDF 1.5 and later) hold the font dictionaries and the
        // document's information; its XMP metadata is text (a title, an author, keywords).
        let packed = memmem::find(dict, b"/ObjStm").is_some();
        let xmp = of_type(dict, b"/Metadata");
        let filters = filters(dict)
            .filter(|_| packed || xmp || !NOT_TEXT.iter().any(|f| memmem::find(dict, f).is_some()));
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
        if packed {
            object_streams.push(packed_objects(dict, &content));
        } else if xmp {
            metadata.extend(content.iter().map(|&b| if b == b'\r' { b'\n' } else { b }));
            metadata.push(b'\n');
        } else if memmem::find(&content, b"begincmap").is_some() {
            if let Some(n) = number {
                cmaps.insert(n, Arc::new(CMap::parse(&content)));
            }
        } else if memmem::find(&content, b"Tj").is_some() || memmem::find(&content, b"TJ").is_some()
        {
            contents.push((number, content));
        }
    }
    let fonts = if cmaps.is_empty() {
        Fonts::default()
    } else {
        Fonts::of(bytes, &object_streams, &cmaps)
    };
    let mut out = Vec::new();
    for (number, content) in &contents {
        page_text(content, &fonts.of_stream(*number), &mut out);
    }
    // The document's information (and its bookmarks' titles), then its XMP packet: a
    // report's title or keywords may name the patient.
    for text in std::iter::once(bytes).chain(object_streams.iter().map(|o| &o[..])) {
        info_text(text, &mut out);
    }
    out.extend(metadata);
    Ok(out)
}

/// The names of the document information entries people write, read as `Title: …` lines.
const INFO: &[&[u8]] = &[b"/Title", b"/Author", b"/Subject", b"/Keywords"];

/// Appends each [`INFO`] entry of `text` with a string value as a line `Title: value`.
fn info_text(text: &[u8], out: &mut Vec<u8>) {
    for key in INFO {
        let mut from = 0;
        while let Some(at) = name_from(text, key, from) {
            let after = at + key.len();
            from = after;
            let value_at = after + (text[after..].len() - text[after..].trim_ascii_start().len());
            let (raw, end) = match text.get(value_at) {
                Some(b'(') => literal(text, value_at + 1),
                Some(b'<') if text.get(value_at + 1) != Some(&b'<') => {
                    let end = memchr::memchr(b'>', &text[value_at..])
                        .map_or(text.len(), |e| value_at + e);
                    (hex(&text[value_at + 1..end]), end + 1)
                }
                _ => continue,
            };
            crate::work::add(end - after);
            from = end.max(after);
            let mut line = Vec::new();
            match raw.strip_prefix(b"\xfe\xff") {
                // UTF-16BE, with its byte order mark.
                Some(utf16be) => push_text(&utf16(&units(utf16be)), &mut line),
                None => show(&raw, &mut line),
            }
            let line = line.trim_ascii();
            if !line.is_empty() {
                out.extend_from_slice(&key[1..]);
                out.extend_from_slice(b": ");
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
    }
}

/// Whether `dict`'s `/Type` is the name `ty` (an image's `/Metadata 9 0 R` names its
/// metadata, it is none: the image stays unread).
fn of_type(dict: &[u8], ty: &[u8]) -> bool {
    name_at(dict, b"/Type").is_some_and(|at| {
        let value = dict[at + b"/Type".len()..].trim_ascii_start();
        value.starts_with(ty) && !value.get(ty.len()).is_some_and(|&b| regular(b))
    })
}

/// The number of the object whose `obj` keyword starts at `at` (`12 0 obj`).
fn object_number(bytes: &[u8], at: usize) -> Option<u32> {
    let before = bytes[..at].trim_ascii_end();
    let generation = before.len()
        - before
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
    if generation == before.len() {
        return None;
    }
    let before = before[..generation].trim_ascii_end();
    let digits = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 10 {
        return None;
    }
    std::str::from_utf8(&before[before.len() - digits..])
        .ok()?
        .parse()
        .ok()
}

/// The objects of an object stream as `number body` text, one after the other, each body
/// between `obj` and `endobj` so that [`Objects`] reads them as it reads the file's.
fn packed_objects(dict: &[u8], content: &[u8]) -> Vec<u8> {
    let (Some(n), Some(first)) = (int_after(dict, b"/N"), int_after(dict, b"/First")) else {
        return Vec::new();
    };
    let first = (first as usize).min(content.len());
    let mut header = content[..first]
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            std::str::from_utf8(t)
                .ok()
                .and_then(|t| t.parse::<usize>().ok())
        });
    let mut entries = Vec::new();
    for _ in 0..n.min(1 << 20) {
        match (header.next().flatten(), header.next().flatten()) {
            (Some(number), Some(offset)) => entries.push((number, first.saturating_add(offset))),
            _ => break,
        }
    }
    let mut out = Vec::new();
    for (k, &(number, start)) in entries.iter().enumerate() {
        let end = entries
            .get(k + 1)
            .map_or(content.len(), |e| e.1)
            .min(content.len());
        let Some(body) = content.get(start..end.max(start)) else {
            continue;
        };
        crate::work::add(body.len());
        out.extend(format!("\n{number} 0 obj\n").as_bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    out
}

/// The integer after the name `key` in `dict` (`/First 17`; `/N` is not `/Name`).
fn int_after(dict: &[u8], key: &[u8]) -> Option<u32> {
    let rest = dict[name_at(dict, key)? + key.len()..].trim_ascii_start();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// The object `N G R` the name `key` refers to in `body` (`/ToUnicode 9 0 R`).
fn ref_after(body: &[u8], key: &[u8]) -> Option<u32> {
    let at = name_at(body, key)?;
    reference(&body[at + key.len()..]).map(|(n, _)| n)
}

/// Where the name `key` (not a longer name starting with it) first stands in `body`.
fn name_at(body: &[u8], key: &[u8]) -> Option<usize> {
    name_from(body, key, 0)
}

/// Where the name `key` (not a longer name starting with it) first stands in `body` at or
/// after `from`.
fn name_from(body: &[u8], key: &[u8], mut from: usize) -> Option<usize> {
    while let Some(i) = memmem::find(body.get(from..)?, key) {
        let at = from + i;
        from = at + key.len();
        if !body.get(from).is_some_and(|&b| regular(b)) {
            return Some(at);
        }
    }
    None
}

/// A reference `N G R` at the start of `s` (white space first): its object number and the
/// bytes it took.
fn reference(s: &[u8]) -> Option<(u32, usize)> {
    let mut i = s.len() - s.trim_ascii_start().len();
    let int = |i: &mut usize| {
        let digits = s[*i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let v = std::str::from_utf8(&s[*i..*i + digits])
            .ok()?
            .parse::<u32>()
            .ok()?;
        *i += digits;
        *i += s[*i..].len() - s[*i..].trim_ascii_start().len();
        Some(v)
    };
    let number = int(&mut i)?;
    int(&mut i)?;
    (s.get(i) == Some(&b'R')).then_some((number, i + 1))
}

/// The objects of a document by number: the file's own (`12 0 obj … endobj`) and those packed
/// in object streams; a later definition wins (an incremental update).
struct Objects<'a> {
    bodies: HashMap<u32, &'a [u8]>,
}

impl<'a> Objects<'a> {
    fn of(texts: impl IntoIterator<Item = &'a [u8]>) -> Objects<'a> {
        let mut bodies = HashMap::new();
        for text in texts {
            let mut from = 0;
            for at in memmem::find_iter(text, b"obj") {
                crate::work::add(1);
                if at < from || (at >= 3 && &text[at - 3..at] == b"end") {
                    continue;
                }
                let Some(number) = object_number(text, at) else {
                    continue;
                };
                let start = at + 3;
                let end = memmem::find(&text[start..], b"endobj").map_or(text.len(), |e| start + e);
                crate::work::add(end - start);
                bodies.insert(number, &text[start..end]);
                from = end;
            }
        }
        Objects { bodies }
    }
}

/// A font's `ToUnicode` map: codes of `width` bytes to the text they draw. Ranges are kept as
/// ranges: a map of a few bytes (`<0000> <FFFF> <0020>`) holds three numbers, not 65,536
/// strings, so what a map takes grows with its own size.
#[derive(Debug, Default)]
struct CMap {
    width: usize,
    /// Single codes (`bfchar`, and a range's array of destinations), to UTF-8.
    chars: HashMap<u32, Vec<u8>>,
    /// `(first, last, destination of first as UTF-16 units)`, sorted by first code.
    ranges: Vec<(u32, u32, Vec<u16>)>,
}

impl CMap {
    /// Reads the code space and the `bfchar` and `bfrange` entries of a CMap stream.
    fn parse(c: &[u8]) -> CMap {
        let mut cmap = CMap {
            width: 2,
            ..CMap::default()
        };
        let hexes = |section: &[u8]| -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            let mut rest = section;
            while let Some(i) = memchr::memchr2(b'<', b'[', rest) {
                if rest[i] == b'[' {
                    out.push(Vec::new()); // an array of destinations: marked by an empty one
                    rest = &rest[i + 1..];
                    continue;
                }
                let end = memchr::memchr(b'>', &rest[i..]).map_or(rest.len(), |e| i + e);
                crate::work::add(end - i + 1);
                out.push(rest[i + 1..end].to_vec());
                rest = &rest[(end + 1).min(rest.len())..];
            }
            out
        };
        let sections = |begin: &[u8], end: &[u8]| -> Vec<Vec<Vec<u8>>> {
            let mut out = Vec::new();
            let mut from = 0;
            while let Some(i) = memmem::find(&c[from..], begin) {
                let start = from + i + begin.len();
                let stop = memmem::find(&c[start..], end).map_or(c.len(), |e| start + e);
                out.push(hexes(&c[start..stop]));
                from = stop;
            }
            out
        };
        if let Some(first) = sections(b"begincodespacerange", b"endcodespacerange")
            .first()
            .and_then(|s| s.first())
        {
            cmap.width = hex(first).len().clamp(1, 4);
        }
        let code = |h: &[u8]| {
            hex(h)
                .iter()
                .take(4)
                .fold(0u32, |v, &b| v << 8 | u32::from(b))
        };
        for section in sections(b"beginbfchar", b"endbfchar") {
            for pair in section.chunks_exact(2) {
                cmap.chars
                    .insert(code(&pair[0]), utf16(&units(&hex(&pair[1]))));
            }
        }
        for section in sections(b"beginbfrange", b"endbfrange") {
            let mut k = 0;
            while k + 3 <= section.len() {
                let (lo, hi) = (code(&section[k]), code(&section[k + 1]));
                let dest = &section[k + 2];
                k += 3;
                if dest.is_empty() {
                    // `[<d1> <d2> …]`: one destination per code, as many as the array holds.
                    let mut code = lo;
                    while k < section.len() && !section[k].is_empty() && code <= hi {
                        cmap.chars.insert(code, utf16(&units(&hex(&section[k]))));
                        code += 1;
                        k += 1;
                    }
                    continue;
                }
                if lo <= hi {
                    cmap.ranges.push((lo, hi, units(&hex(dest))));
                }
            }
        }
        cmap.ranges.sort_by_key(|r| r.0);
        cmap
    }

    /// Appends the text string `s` draws, code by code, to `out` (codes it does not map
    /// draw nothing; line breaks and tabs a space).
    fn decode(&self, s: &[u8], out: &mut Vec<u8>) {
        for code in s.chunks(self.width) {
            let code = code.iter().fold(0u32, |v, &b| v << 8 | u32::from(b));
            if let Some(text) = self.chars.get(&code) {
                push_text(text, out);
                continue;
            }
            let k = self.ranges.partition_point(|r| r.0 <= code);
            let Some((lo, hi, dest)) = k.checked_sub(1).map(|k| &self.ranges[k]) else {
                continue;
            };
            if code > *hi || dest.is_empty() {
                continue;
            }
            // The last unit counts up through the range.
            let step = (code - lo) as u16;
            if let [unit] = dest.as_slice() {
                if let Some(Ok(ch)) = char::decode_utf16([unit.wrapping_add(step)]).next() {
                    let mut buf = [0u8; 4];
                    push_text(ch.encode_utf8(&mut buf).as_bytes(), out);
                }
                continue;
            }
            let mut units = dest.clone();
            if let Some(last) = units.last_mut() {
                *last = last.wrapping_add(step);
            }
            push_text(&String::from_utf16_lossy(&units).into_bytes(), out);
        }
    }
}

/// Appends drawn UTF-8 text, line breaks and tabs as spaces and other control bytes left out.
fn push_text(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'\t' | b'\n' | b'\r' => out.push(b' '),
            0x00..=0x1f | 0x7f => {}
            _ => out.push(b),
        }
    }
}

/// Big-endian bytes as UTF-16 units.
fn units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|p| u16::from(p[0]) << 8 | u16::from(p.get(1).copied().unwrap_or(0)))
        .collect()
}

/// UTF-16 units as UTF-8.
fn utf16(units: &[u16]) -> Vec<u8> {
    String::from_utf16_lossy(units).into_bytes()
}

/// Font names (without `/`) to the `ToUnicode` maps of their fonts.
type Names = HashMap<Vec<u8>, Arc<CMap>>;

/// The fonts with a `ToUnicode` map, by the names content streams select them by: for each
/// content stream the names of its page's own resources, and for every stream (a form, a
/// page that inherits its resources) any font of that name in the document.
#[derive(Default)]
struct Fonts {
    by_stream: HashMap<u32, Arc<Names>>,
    by_name: Names,
}

/// The fonts one content stream may select ([`Fonts::of_stream`]).
struct StreamFonts<'a> {
    own: Option<&'a Names>,
    any: &'a Names,
}

impl StreamFonts<'_> {
    fn cmap(&self, name: &[u8]) -> Option<&CMap> {
        match self.own {
            Some(own) if own.contains_key(name) => own.get(name).map(|c| &**c),
            _ => self.any.get(name).map(|c| &**c),
        }
    }
}

impl Fonts {
    /// Reads the document's fonts, font resources and pages (`bytes`, and the objects packed
    /// in `object_streams`) against the `ToUnicode` maps read by object number.
    fn of(bytes: &[u8], object_streams: &[Vec<u8>], cmaps: &HashMap<u32, Arc<CMap>>) -> Fonts {
        let objects =
            Objects::of(std::iter::once(bytes).chain(object_streams.iter().map(|o| &o[..])));
        // Font objects whose map is known.
        let font_maps: HashMap<u32, Arc<CMap>> = objects
            .bodies
            .iter()
            .filter_map(|(&n, body)| {
                let map = cmaps.get(&ref_after(body, b"/ToUnicode")?)?;
                Some((n, map.clone()))
            })
            .collect();
        // The entries of a font dictionary (`<< /F1 5 0 R … >>`): names to maps.
        let entries = |dict: &[u8]| -> Names {
            let mut names = HashMap::new();
            let Some(open) = memmem::find(dict, b"<<") else {
                return names;
            };
            let mut rest = &dict[open + 2..];
            loop {
                rest = rest.trim_ascii_start();
                let Some(name) = rest.strip_prefix(b"/") else {
                    break;
                };
                let len = name.iter().take_while(|&&b| regular(b)).count();
                let Some((n, used)) = reference(&name[len..]) else {
                    break;
                };
                crate::work::add(len + used);
                if let Some(map) = font_maps.get(&n) {
                    names.insert(name[..len].to_vec(), map.clone());
                }
                rest = &name[len + used..];
            }
            names
        };
        // The fonts a resource dictionary's `/Font` names, in place or an object of its own.
        // Objects many pages share (their resources, their font dictionary) are read once:
        // a document of many pages does not read them again for each.
        let mut shared: HashMap<u32, Arc<Names>> = HashMap::new();
        let mut names_in = |body: &[u8]| -> Arc<Names> {
            let Some(at) = name_at(body, b"/Font") else {
                return Arc::default();
            };
            let after = &body[at + b"/Font".len()..];
            match reference(after) {
                Some((n, _)) => shared
                    .entry(n)
                    .or_insert_with(|| {
                        Arc::new(entries(objects.bodies.get(&n).copied().unwrap_or_default()))
                    })
                    .clone(),
                None => Arc::new(entries(after)),
            }
        };
        let mut resources_of: HashMap<u32, Arc<Names>> = HashMap::new();
        let mut merged: std::collections::HashSet<*const Names> = std::collections::HashSet::new();
        // By object number: the first page naming a font decides what the name means
        // elsewhere, the same way every run.
        let mut numbers: Vec<u32> = objects.bodies.keys().copied().collect();
        numbers.sort_unstable();
        let bodies: Vec<&[u8]> = numbers.iter().map(|n| objects.bodies[n]).collect();
        let mut fonts = Fonts::default();
        for &body in &bodies {
            // A page: its content streams and its resources' fonts.
            let Some(at) = name_at(body, b"/Contents") else {
                continue;
            };
            let Some(r) = name_at(body, b"/Resources") else {
                continue;
            };
            let after = &body[r + b"/Resources".len()..];
            let names = match reference(after) {
                Some((n, _)) => match resources_of.get(&n) {
                    Some(names) => names.clone(),
                    None => {
                        let names = names_in(objects.bodies.get(&n).copied().unwrap_or_default());
                        resources_of.insert(n, names.clone());
                        names
                    }
                },
                None => names_in(after),
            };
            if names.is_empty() {
                continue;
            }
            // Each set of names once into the names of the whole document.
            if merged.insert(Arc::as_ptr(&names)) {
                for (name, map) in names.iter() {
                    fonts
                        .by_name
                        .entry(name.clone())
                        .or_insert_with(|| map.clone());
                }
            }
            let mut rest = body[at + b"/Contents".len()..].trim_ascii_start();
            let array = rest.first() == Some(&b'[');
            if array {
                rest = &rest[1..];
            }
            while let Some((n, used)) = reference(rest) {
                fonts.by_stream.insert(n, names.clone());
                rest = &rest[used..];
                if !array {
                    break;
                }
            }
        }
        // Fonts no page names (a form's, an inherited resource's): by name, from anywhere.
        for &body in &bodies {
            if name_at(body, b"/Font").is_some() && name_at(body, b"/Contents").is_none() {
                for (name, map) in names_in(body).iter() {
                    fonts
                        .by_name
                        .entry(name.clone())
                        .or_insert_with(|| map.clone());
                }
            }
        }
        fonts
    }

    /// The fonts the content stream of object `number` may select.
    fn of_stream(&self, number: Option<u32>) -> StreamFonts<'_> {
        StreamFonts {
            own: number.and_then(|n| self.by_stream.get(&n)).map(|m| &**m),
            any: &self.by_name,
        }
    }
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
    /// A `TJ` array's strings, drawn (UTF-8).
    Drawn(Vec<u8>),
    Num(f64),
    Name(Vec<u8>),
    ArrayStart,
    Other,
}

/// Appends the text content stream `c` draws to `out`, a line per line drawn; `fonts` are the
/// fonts with a `ToUnicode` map it may select.
fn page_text(c: &[u8], fonts: &StreamFonts<'_>, out: &mut Vec<u8>) {
    if memmem::find(c, b"Tj").is_none() && memmem::find(c, b"TJ").is_none() {
        return;
    }
    // The selected font's map, if it has one.
    let mut font: Option<&CMap> = None;
    let draw = |font: Option<&CMap>, s: &[u8], line: &mut Vec<u8>| match font {
        Some(map) => map.decode(s, line),
        None => show(s, line),
    };
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
                        Operand::Str(s) => draw(font, &s, &mut joined),
                        // A move right of a fifth of an em or more is a space between words.
                        Operand::Num(n) if n <= -200.0 => joined.push(b' '),
                        _ => {}
                    }
                }
                ops.push(Operand::Drawn(joined));
                i += 1;
            }
            b'/' => {
                let len = c[i + 1..].iter().take_while(|&&b| regular(b)).count();
                ops.push(Operand::Name(c[i + 1..i + 1 + len].to_vec()));
                i += 1 + len;
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
                    b"Tj" | b"TJ" | b"'" | b"\"" => {
                        if token != b"Tj" && token != b"TJ" {
                            flush(&mut line, out);
                        }
                        match ops.last() {
                            Some(Operand::Str(s)) => draw(font, s, &mut line),
                            Some(Operand::Drawn(d)) => line.extend_from_slice(d),
                            _ => {}
                        }
                    }
                    b"Tf" => {
                        if let [.., Operand::Name(name), Operand::Num(_)] = ops.as_slice() {
                            font = fonts.cmap(name);
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
