//! RTF documents: the text a word processor shows. Clinical notes, referral letters and
//! discharge summaries leave EHRs and WordPad as `.rtf`, and Word splits a document's text
//! into runs wherever its formatting or editing session changes: `{\insrsid1 536-9}{\insrsid2
//! 0-4399}`. Read as the bytes they are, such a value is two pieces, a dash written as
//! `\'96` or `\u8211?` is an escape, and a line break is a control word; a letter saved as RTF
//! got past every hook. Here the document is read as its text, a paragraph or table row a
//! line and a table cell a tab, and scanned as the member `path!(text)`.
//!
//! What is read: text and the control symbols and words that stand for characters (`\'hh` in
//! Windows-1252, `\uN` with its `\ucN` fallback skipped, surrogate pairs, `\~`, `\_`,
//! `\emdash` and the like), headers, footers, footnotes, the document's information (title,
//! author, comments), field instructions (a hyperlink's target) and annotations. What is
//! stepped over: the font, colour, style and list tables, pictures and embedded objects'
//! data, `\bin` data, and every other destination marked ignorable (`{\*\...}`). One pass;
//! the text is at most half again as long as the document (`\_`, two bytes, is a
//! three-byte hyphen), and groups nested past 256 deep share their parent's state instead
//! of growing a stack.

use super::archive::OVER_BUDGET;

#[cfg(test)]
mod tests;

/// Whether `bytes` are an RTF document (`{\rtf` at the start).
pub(super) fn is_rtf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"{\\rtf")
}

/// How deep groups keep a state of their own; deeper ones share the deepest state.
const MAX_DEPTH: usize = 256;

/// The longest control word and parameter RTF allows (32 letters, 10 digits with a sign).
const MAX_WORD: usize = 32;
const MAX_PARAM: usize = 11;

/// What a group inherits and can change.
#[derive(Debug, Clone, Copy)]
struct State {
    /// Text in this group is not shown (a table, a picture, an ignorable destination).
    skip: bool,
    /// How many fallback characters follow a `\uN` (`\ucN`, 1 by default).
    uc: u32,
    /// The group is one of the document's information fields: it ends a line.
    line: bool,
}

/// Destinations whose content is no text a reader sees.
const SKIPPED: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"listtable",
    b"listoverridetable",
    b"revtbl",
    b"rsidtbl",
    b"filetbl",
    b"pict",
    b"objdata",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"xmlnstbl",
    b"generator",
    b"pgdsctbl",
    b"mmathPr",
    b"panose",
    b"falt",
    b"bkmkstart",
    b"bkmkend",
    b"pn",
    b"pntext",
    b"listtext",
];

/// Ignorable destinations (`{\*\...}`) that hold text a reader can see or follow.
const KEPT_IGNORABLE: &[&[u8]] = &[
    b"fldinst",
    b"annotation",
    b"atnauthor",
    b"atnid",
    b"comment",
];

/// The document information fields, each read as a line of its own.
const INFO_FIELDS: &[&[u8]] = &[
    b"title",
    b"subject",
    b"author",
    b"manager",
    b"company",
    b"operator",
    b"category",
    b"keywords",
    b"comment",
    b"doccomm",
    b"hlinkbase",
];

/// The text of RTF document `bytes`, as UTF-8 (bytes a document writes raw pass as they
/// are); its length taken from `left`.
///
/// # Errors
///
/// [`OVER_BUDGET`] when the text is longer than `left`.
pub(super) fn text(bytes: &[u8], left: &mut u64) -> Result<Vec<u8>, &'static str> {
    let mut reader = Reader {
        out: Vec::with_capacity(bytes.len() / 2),
        stack: Vec::new(),
        deeper: 0,
        state: State {
            skip: false,
            uc: 1,
            line: false,
        },
        fallback: 0,
        high: None,
        first: false,
    };
    reader.read(bytes);
    let out = reader.out;
    *left = left.checked_sub(out.len() as u64).ok_or(OVER_BUDGET)?;
    Ok(out)
}

struct Reader {
    out: Vec<u8>,
    /// The states of the enclosing groups, up to [`MAX_DEPTH`].
    stack: Vec<State>,
    /// Groups open past [`MAX_DEPTH`].
    deeper: usize,
    state: State,
    /// Fallback characters of the last `\uN` still to step over.
    fallback: u32,
    /// A high surrogate waiting for its low half.
    high: Option<u32>,
    /// The next control word is the first of its group (where destinations are named).
    first: bool,
}

impl Reader {
    fn read(&mut self, bytes: &[u8]) {
        let mut i = 0;
        // Whether the group just opened with `\*`: an ignorable destination.
        let mut ignorable = false;
        while i < bytes.len() {
            // A step for each token: a group's brace, a control word or symbol, a character.
            crate::work::add(1);
            match bytes[i] {
                b'{' => {
                    self.open();
                    ignorable = false;
                    i += 1;
                }
                b'}' => {
                    self.close();
                    ignorable = false;
                    i += 1;
                }
                b'\\' => {
                    let first = std::mem::take(&mut self.first);
                    i = self.control(bytes, i, first, &mut ignorable);
                }
                b'\r' | b'\n' => i += 1,
                b => {
                    // `{ \fonttbl`: white space before a group's first control word still
                    // leaves it the destination's name.
                    if b != b' ' && b != b'\t' {
                        self.first = false;
                    }
                    // A writer that puts UTF-8 in the text raw (not RTF, but done) keeps
                    // its characters: an en dash is not three Windows-1252 letters.
                    let len = utf8_len(&bytes[i..]);
                    if self.fallen_back() {
                        match len {
                            1 => self.char_byte(b),
                            n if !self.state.skip => self.out.extend_from_slice(&bytes[i..i + n]),
                            _ => {}
                        }
                    }
                    i += len;
                }
            }
        }
    }

    fn open(&mut self) {
        if self.stack.len() < MAX_DEPTH {
            self.stack.push(self.state);
        } else {
            self.deeper += 1;
        }
        self.state.line = false;
        self.fallback = 0;
        self.first = true;
    }

    fn close(&mut self) {
        if self.state.line && !self.state.skip {
            self.newline();
        }
        if self.deeper > 0 {
            self.deeper -= 1;
        } else if let Some(state) = self.stack.pop() {
            self.state = state;
        }
        self.fallback = 0;
        self.first = false;
    }

    /// Reads the control word or symbol at `i` (a backslash); returns where the next token
    /// starts.
    fn control(&mut self, bytes: &[u8], i: usize, first: bool, ignorable: &mut bool) -> usize {
        let Some(&next) = bytes.get(i + 1) else {
            return bytes.len();
        };
        if !next.is_ascii_alphabetic() {
            return self.symbol(bytes, i, next, ignorable);
        }
        let word_end = i
            + 1
            + bytes[i + 1..]
                .iter()
                .take(MAX_WORD)
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
        let word = &bytes[i + 1..word_end];
        let digits_start = word_end + usize::from(bytes.get(word_end) == Some(&b'-'));
        let digits = bytes[digits_start.min(bytes.len())..]
            .iter()
            .take(MAX_PARAM)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let (param, mut end) = if digits == 0 {
            (None, word_end)
        } else {
            let value = bytes[digits_start..digits_start + digits]
                .iter()
                .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
            let negative = digits_start > word_end;
            (
                Some(if negative { -value } else { value }),
                digits_start + digits,
            )
        };
        if bytes.get(end) == Some(&b' ') {
            end += 1;
        }
        if word == b"bin" {
            // Binary data: its length is the parameter, stepped over whole.
            let n = usize::try_from(param.unwrap_or(0).max(0)).unwrap_or(usize::MAX);
            return end.saturating_add(n).min(bytes.len());
        }
        if first || *ignorable {
            if *ignorable && !KEPT_IGNORABLE.contains(&word) {
                self.state.skip = true;
            }
            if SKIPPED.contains(&word) {
                self.state.skip = true;
            }
            if INFO_FIELDS.contains(&word) {
                self.state.line = true;
            }
            if word == b"fldinst" || word == b"annotation" {
                self.state.line = true;
            }
            *ignorable = false;
        }
        self.word(word, param);
        end
    }

    /// A control symbol: `\\`, `\{`, `\}`, `\'hh`, `\~`, `\_`, `\-`, `\*`, and the rest.
    fn symbol(&mut self, bytes: &[u8], i: usize, next: u8, ignorable: &mut bool) -> usize {
        match next {
            b'\'' => {
                let hex = |k: usize| bytes.get(k).and_then(|&b| char::from(b).to_digit(16));
                match (hex(i + 2), hex(i + 3)) {
                    (Some(a), Some(b)) => {
                        if self.fallen_back() {
                            // Both digits were read: `a * 16 + b` is a byte.
                            self.char_byte(u8::try_from(a * 16 + b).unwrap_or(b'?'));
                        }
                        i + 4
                    }
                    _ => i + 2,
                }
            }
            b'*' => {
                *ignorable = true;
                i + 2
            }
            b'\\' | b'{' | b'}' => {
                if self.fallen_back() {
                    self.char_byte(next);
                }
                i + 2
            }
            b'~' => {
                if self.fallen_back() {
                    self.char(0xA0);
                }
                i + 2
            }
            b'_' => {
                if self.fallen_back() {
                    self.char(0x2011);
                }
                i + 2
            }
            // An escaped line end is a paragraph.
            b'\r' | b'\n' => {
                if self.fallen_back() {
                    self.newline();
                }
                i + 2
            }
            // `\-` (an optional hyphen) and the rest (`\|`, `\:`): nothing to show.
            _ => {
                self.fallen_back();
                i + 2
            }
        }
    }

    /// A control word with its parameter.
    fn word(&mut self, word: &[u8], param: Option<i64>) {
        match word {
            b"uc" => self.state.uc = u32::try_from(param.unwrap_or(1).clamp(0, 8)).unwrap_or(1),
            b"u" => {
                // The parameter is a signed 16-bit number: -8211 is 57325.
                let n = param.unwrap_or(0);
                let cp = u32::try_from(if n < 0 { n + 65536 } else { n }).unwrap_or(0xFFFD);
                self.unicode(cp);
                self.fallback = self.state.uc;
            }
            _ => {
                let shown: Option<u32> = match word {
                    b"par" | b"line" | b"row" | b"sect" | b"page" => Some(u32::from(b'\n')),
                    b"tab" | b"cell" | b"nestcell" => Some(u32::from(b'\t')),
                    b"emdash" => Some(0x2014),
                    b"endash" => Some(0x2013),
                    b"emspace" | b"enspace" | b"qmspace" => Some(u32::from(b' ')),
                    b"lquote" | b"rquote" => Some(u32::from(b'\'')),
                    b"ldblquote" | b"rdblquote" => Some(u32::from(b'"')),
                    b"bullet" => Some(0x2022),
                    _ => None,
                };
                if let Some(cp) = shown {
                    // A control word that stands for a character counts as a fallback one.
                    if self.fallen_back() {
                        self.char(cp);
                    }
                }
            }
        }
    }

    /// Steps over one fallback character of the last `\uN`; whether the character that
    /// comes is shown instead (no fallback left).
    fn fallen_back(&mut self) -> bool {
        if self.fallback > 0 {
            self.fallback -= 1;
            false
        } else {
            true
        }
    }

    /// A `\uN` character, surrogate halves joined.
    fn unicode(&mut self, cp: u32) {
        match cp {
            0xD800..=0xDBFF => self.high = Some(cp),
            0xDC00..=0xDFFF => {
                if let Some(high) = self.high.take() {
                    self.char(0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00));
                }
            }
            _ => {
                self.high = None;
                self.char(cp);
            }
        }
    }

    /// A byte of the document's text: ASCII as it is, `\'hh` and raw bytes above ASCII in
    /// Windows-1252 (what Word writes with `\ansicpg1252`, and Latin-1 elsewhere).
    fn char_byte(&mut self, b: u8) {
        if b.is_ascii() {
            if !self.state.skip {
                self.out.push(b);
            }
        } else {
            self.char(windows_1252(b));
        }
    }

    fn char(&mut self, cp: u32) {
        if self.state.skip {
            return;
        }
        let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buf = [0u8; 4];
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }

    fn newline(&mut self) {
        if !self.state.skip {
            self.out.push(b'\n');
        }
    }
}

/// The dictionary a compressed RTF stream starts with ([MS-OXRTFCP] 3.1.3.1): 207 bytes of
/// the RTF that most documents begin with.
///
/// [MS-OXRTFCP]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfcp/
const PREFIX: &[u8] = concat!(
    r"{\rtf1\ansi\mac\deff0\deftab720{\fonttbl;}{\f0\fnil \froman \fswiss \fmodern \fscript ",
    r"\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\colortbl\red0\green0\blue0",
    "\r\n",
    r"\par \pard\plain\f0\fs20\b\i\u\tab\tx",
)
.as_bytes();

/// Why a compressed RTF stream cannot be read.
pub(super) const DAMAGED_COMPRESSED: &str = "a damaged compressed RTF body";

/// The RTF of a compressed RTF stream (an Outlook message's `PidTagRtfCompressed`,
/// [MS-OXRTFCP]): `LZFu` (a 4 KiB sliding dictionary, eight literals or references to a
/// control byte) or `MELA` (stored), its length taken from `left`. Each output byte costs
/// one step, and no more are written than the header's raw size.
///
/// # Errors
///
/// [`DAMAGED_COMPRESSED`] for a header or a stream that is not one, [`OVER_BUDGET`] when the
/// RTF is longer than `left`.
///
/// [MS-OXRTFCP]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfcp/
pub(super) fn decompress(bytes: &[u8], left: &mut u64) -> Result<Vec<u8>, &'static str> {
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(raw_size), Some(kind)) = (u32_at(4), u32_at(8)) else {
        return Err(DAMAGED_COMPRESSED);
    };
    let raw_size = usize::try_from(raw_size).map_err(|_| DAMAGED_COMPRESSED)?;
    if raw_size as u64 > *left {
        return Err(OVER_BUDGET);
    }
    let body = &bytes[16.min(bytes.len())..];
    let out = match &kind.to_le_bytes() {
        b"MELA" => body.get(..raw_size).ok_or(DAMAGED_COMPRESSED)?.to_vec(),
        b"LZFu" => {
            let mut dict = [0u8; 4096];
            dict[..PREFIX.len()].copy_from_slice(PREFIX);
            let mut write = PREFIX.len();
            let mut out = Vec::with_capacity(raw_size.min(body.len() * 8));
            let mut i = 0;
            'stream: while out.len() < raw_size {
                let control = *body.get(i).ok_or(DAMAGED_COMPRESSED)?;
                i += 1;
                for bit in 0..8 {
                    if out.len() >= raw_size {
                        break 'stream;
                    }
                    if control >> bit & 1 == 0 {
                        let b = *body.get(i).ok_or(DAMAGED_COMPRESSED)?;
                        i += 1;
                        out.push(b);
                        dict[write] = b;
                        write = (write + 1) % dict.len();
                        continue;
                    }
                    let pair = body.get(i..i + 2).ok_or(DAMAGED_COMPRESSED)?;
                    i += 2;
                    let word = usize::from(u16::from_be_bytes([pair[0], pair[1]]));
                    let mut from = word >> 4;
                    // A reference to where the next byte would be written ends the stream.
                    if from == write {
                        break 'stream;
                    }
                    for _ in 0..(word & 0xF) + 2 {
                        let b = dict[from];
                        out.push(b);
                        dict[write] = b;
                        write = (write + 1) % dict.len();
                        from = (from + 1) % dict.len();
                    }
                }
            }
            crate::work::add(out.len());
            out.truncate(raw_size);
            out
        }
        _ => return Err(DAMAGED_COMPRESSED),
    };
    *left -= out.len() as u64;
    Ok(out)
}

/// The length of the UTF-8 character `rest` starts with, or 1 when it starts with ASCII or
/// with no whole UTF-8 character.
fn utf8_len(rest: &[u8]) -> usize {
    let n = match rest[0] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 1,
    };
    match rest.get(..n) {
        Some(c) if std::str::from_utf8(c).is_ok() => n,
        _ => 1,
    }
}

/// The code point of Windows-1252 byte `b` (above ASCII): its 0x80–0x9F punctuation (the
/// en dash is 0x96), else Latin-1.
pub(super) fn windows_1252(b: u8) -> u32 {
    const HIGH: [u16; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    match b {
        0x80..=0x9F => u32::from(HIGH[usize::from(b - 0x80)]),
        _ => u32::from(b),
    }
}
