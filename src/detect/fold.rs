//! Look-alike characters folded to ASCII before detection. The rules read ASCII: an SSN's
//! separators are `[- .]`, a phone's digits are `[0-9]`. Text pasted from a word processor
//! or a PDF carries the typographer's characters instead (`999–45–6781` with en dashes, a
//! non-breaking hyphen, a minus sign, a no-break space), text typed with an East Asian input
//! method carries full-width forms (`９９９－４５－６７８１`), and an invisible character
//! (a zero-width space, a soft hyphen, a bidirectional control) splits a value without
//! changing what a reader sees. Python's `json.dumps` writes each of them as a `\u2013`
//! escape. And a value's own ASCII characters can be written as escapes that every reader
//! decodes: an HTML export's character references (`999&#45;45&ndash;6781`), a request
//! log's percent escapes (`999%2D45%2D6781`), a source file's `\u002d` or `\x2d`, PHP's
//! `03\/14\/1980`. And markup splits a value without a break: Word's HTML closes and
//! opens a `<span>` wherever formatting changes (`999-45-</span><span lang=EN-US>6781`, the
//! tag broken over a line), a C-CDA narrative bolds part of one with `<content>`. Each of
//! these was a way past every hook.
//!
//! [`fold`] gives a copy of the text in which those characters are ASCII: dashes and minus
//! signs are `-`, Unicode spaces are ` `, full-width forms are their ASCII letters, digits
//! and punctuation, mathematical, superscript, subscript and circled digits and the decimal
//! digits of other scripts (Arabic-Indic `٥٣٦`, Devanagari `५३६`, Thai, ...) are digits, and
//! invisible characters are gone (with variation selectors and enclosing marks, so a keycap
//! emoji `5️⃣` is `5`, and combining marks on a digit or separator, `5̲3̲6̲`), as
//! are the escapes of them; an escape of a letter, a digit or a value's separator is that
//! character (`escape_at` lists the escapes); an inline tag with only presentation
//! attributes is dropped (`source::markup::inline_tag_at`). The copy is as long as the text, line for
//! line: each *token* (a run of bytes between ASCII white space, white space inside a
//! dropped tag included) that holds such a character is written shorter, in place, and
//! padded with spaces up to its old end, line ends inside dropped tags kept where they are. Everything outside those tokens keeps its offset, so added
//! regions, line numbers and every structure walk read the copy as they read the text; a
//! match inside a folded token is mapped back with [`Folded::original`].
//!
//! Nothing else is folded: letters with accents, other scripts' letters and typographic quotes are
//! text; escapes of quotes, brackets, `<`, `&` and `\` stay escapes (decoded, they would
//! make another document of a JSON string or an XML element); and a text with no such
//! character or escape in its added regions is not copied at all.

use crate::source::markup::{self, is_space};
use std::ops::Range;

/// A text with its look-alike characters folded ([`fold`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    text: Vec<u8>,
    /// Where offsets in the copy stop being offsets in the text: from `marks[i].0` on, a
    /// copy offset `p` is the text's `marks[i].1 + (p - marks[i].0)`, but never past the next
    /// mark's text offset (a token's padding is its old end). Both sides non-decreasing.
    marks: Vec<(usize, usize)>,
}

impl Folded {
    /// The folded copy: as long as the text, with the same line ends.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The text's offset of the copy's offset `pos`: a folded character's start is the
    /// original character's start, a position in a token's padding is the token's end.
    pub fn original(&self, pos: usize) -> usize {
        let i = self.marks.partition_point(|&(f, _)| f <= pos);
        if i == 0 {
            return pos;
        }
        let (f, o) = self.marks[i - 1];
        let at = o + (pos - f);
        match self.marks.get(i) {
            Some(&(_, next)) => at.min(next),
            None => at,
        }
    }

    /// The text's span of the copy's span `span`.
    pub fn original_span(&self, span: &Range<usize>) -> Range<usize> {
        self.original(span.start)..self.original(span.end)
    }
}

/// `text` with its look-alike characters folded, when its `regions` hold one; `None` when
/// they hold none (the text is scanned as it is). Linear in the text.
pub fn fold(text: &[u8], regions: &[Range<usize>]) -> Option<Folded> {
    // A byte order mark that starts the text is dropped whatever is added: the structure
    // walks look for a JSON or XML document at the start (`{`, `<`), and a file saved with
    // one (as .NET tools write them) read as no document.
    let wanted = text.starts_with(BOM)
        || regions.iter().any(|r| {
            let part = &text[r.start.min(text.len())..r.end.min(text.len())];
            Finder::new(part).next(0).is_some()
        });
    if !wanted {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut marks = Vec::new();
    let mut at = 0;
    let mut finder = Finder::new(text);
    // Line ends inside the inline tags a token drops: the copy keeps them where they are.
    let mut line_ends = Vec::new();
    let space_after = |from: usize| {
        text[from..]
            .iter()
            .position(|&b| is_space(b))
            .map_or(text.len(), |k| from + k)
    };
    while let Some(first_hit) = finder.next(at) {
        let found = first_hit.0;
        // The token holding the character starts past the white space before it (and never
        // before `at`, where the last token ended).
        let start = text[at..found]
            .iter()
            .rposition(|&b| is_space(b))
            .map_or(at, |i| at + i + 1);
        out.extend_from_slice(&text[at..start]);
        let mut end = space_after(found);
        crate::work::add(end - at);
        // The token's bytes as they are up to each foldable character the finder gives, that
        // character folded. Only a dropped inline tag spans white space: the token then runs
        // on to the white space after it, if what follows up to there still fits before the
        // first line end of the tags dropped (else the token ends inside the tag, kept).
        line_ends.clear();
        let mut first_line_end = usize::MAX;
        let mut i = start;
        let mut next = Some(first_hit);
        while let Some((hit, ascii, len)) = next.filter(|&(hit, ..)| hit < end) {
            out.extend_from_slice(&text[i..hit]);
            let folded_end = hit + len;
            if folded_end > end {
                let run_on = space_after(folded_end);
                let inside = &text[hit..folded_end];
                let first = memchr::memchr2(b'\n', b'\r', inside)
                    .map_or(first_line_end, |k| first_line_end.min(hit + k));
                if out.len() + (run_on - folded_end) > first {
                    i = hit;
                    break;
                }
                crate::work::add(run_on - end);
                line_ends.extend(memchr::memchr2_iter(b'\n', b'\r', inside).map(|k| hit + k));
                first_line_end = first;
                end = run_on;
            }
            out.extend(ascii);
            marks.push((out.len(), folded_end));
            i = folded_end;
            next = finder.next(i);
        }
        out.extend_from_slice(&text[i..end]);
        for &at in &line_ends {
            out.resize(at, b' ');
            out.push(text[at]);
        }
        out.resize(end, b' ');
        marks.push((end, end));
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    debug_assert_eq!(out.len(), text.len());
    Some(Folded { text: out, marks })
}

/// The byte order mark (U+FEFF) in UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Finds the foldable characters of a text left to right, by their first bytes: the lead
/// bytes of the common ones (`C2`, `E2`, `EF`), of the rare ones (`E3`, `F0`) and inline
/// tags' `<`, the bytes that start an escape (`\`, `%`, `&`), combining marks' lead bytes
/// (`CC`, `CD`) and those of other scripts' digits (`D9`, `DB`, `DF`, `E0`, `E1`, `EA`),
/// each set with a vector search (a byte loop over every added region
/// was 1 % of a staged change's scan). A hit is read once ([`folded_at`]) and handed over
/// with what it folds to. Each search's next hit is
/// kept until the finder passes it, so each goes over each byte once: restarting the others
/// at every hit of one went to the end of a Japanese text (a rare lead byte on every
/// character) once per character.
struct Finder<'t> {
    text: &'t [u8],
    /// Each search's next hit at or after where it last searched from (`usize::MAX`: none).
    kept: [Option<usize>; 6],
}

/// A vector search for a set of first bytes: where the first of them is.
type Search = fn(&[u8]) -> Option<usize>;

/// The finder's searches: the common lead bytes, the rare ones, the escapes' first bytes,
/// the combining marks' lead bytes.
const SEARCHES: [Search; 6] = [
    |t| memchr::memchr3(0xC2, 0xE2, 0xEF, t),
    |t| memchr::memchr3(0xE3, 0xF0, b'<', t),
    |t| memchr::memchr3(b'\\', b'%', b'&', t),
    |t| memchr::memchr2(0xCC, 0xCD, t),
    |t| memchr::memchr3(0xD9, 0xDB, 0xDF, t),
    |t| memchr::memchr3(0xE0, 0xE1, 0xEA, t),
];

impl<'t> Finder<'t> {
    fn new(text: &'t [u8]) -> Self {
        Finder {
            text,
            kept: [None; 6],
        }
    }

    /// The next foldable character at or after `from`: where it starts, the ASCII it folds
    /// to ([`folded_at`]) and its length.
    fn next(&mut self, from: usize) -> Option<(usize, Option<u8>, usize)> {
        let text = self.text;
        let mut i = from;
        while i < text.len() {
            let mut hit = usize::MAX;
            for (kept, find) in self.kept.iter_mut().zip(SEARCHES) {
                let next = match *kept {
                    Some(next) if next >= i => next,
                    _ => {
                        let next = find(&text[i..]).map_or(usize::MAX, |k| i + k);
                        crate::work::add(next.min(text.len()) - i + 1);
                        *kept = Some(next);
                        next
                    }
                };
                hit = hit.min(next);
            }
            if hit >= text.len() {
                return None;
            }
            if let Some((ascii, len)) = folded_at(text, hit) {
                return Some((hit, ascii, len));
            }
            i = hit + 1;
        }
        None
    }
}

/// The ASCII a foldable character at `i` folds to (nothing for an invisible one) and its
/// length in bytes; `None` when no foldable character starts at `i`. A character is one in
/// UTF-8, or one written as an escape ([`escape_at`]).
fn folded_at(text: &[u8], i: usize) -> Option<(Option<u8>, usize)> {
    let rest = &text[i..];
    if rest[0] == b'<' {
        return tag_at(rest).map(|len| (None, len));
    }
    if let Some((cp, len)) = escape_at(rest) {
        if cp == u32::from(b'<') {
            return tag_at(rest).map(|len| (None, len));
        }
        // An escape of ASCII folds when it writes a value's character: a digit, a letter, a
        // separator. Escapes of quotes, brackets, `<`, `&` and `\` stay, or the copy would
        // read as another document to the structure walks.
        if let Ok(b) = u8::try_from(cp)
            && b.is_ascii()
        {
            return (b.is_ascii_alphanumeric() || b" -./():+@#_".contains(&b))
                .then_some((Some(b), len));
        }
        return Some((look_alike(cp)?, len));
    }
    let (cp, len) = utf8_at(rest)?;
    if (0x0300..=0x036F).contains(&cp) {
        return marks_a_digit(text, i).then_some((None, len));
    }
    Some((look_alike(cp)?, len))
}

/// The code point of the UTF-8 character that starts `rest` (two to four bytes) and its
/// length.
fn utf8_at(rest: &[u8]) -> Option<(u32, usize)> {
    Some(match *rest {
        [a @ 0xC2..=0xDF, b, ..] if b & 0xC0 == 0x80 => {
            (u32::from(a & 0x1F) << 6 | u32::from(b & 0x3F), 2)
        }
        [a @ 0xE0..=0xEF, b, c, ..] if b & 0xC0 == 0x80 && c & 0xC0 == 0x80 => (
            u32::from(a & 0x0F) << 12 | u32::from(b & 0x3F) << 6 | u32::from(c & 0x3F),
            3,
        ),
        [a @ 0xF0..=0xF4, b, c, d, ..]
            if b & 0xC0 == 0x80 && c & 0xC0 == 0x80 && d & 0xC0 == 0x80 =>
        {
            (
                u32::from(a & 0x07) << 18
                    | u32::from(b & 0x3F) << 12
                    | u32::from(c & 0x3F) << 6
                    | u32::from(d & 0x3F),
                4,
            )
        }
        _ => return None,
    })
}

/// The ASCII a look-alike code point stands for (`Some(None)`: an invisible one, dropped);
/// `None` for every other code point.
fn look_alike(cp: u32) -> Option<Option<u8>> {
    Some(match cp {
        // Dashes, the hyphen bullet, the minus sign, the small and full-width hyphens.
        0x2010..=0x2015 | 0x2043 | 0x2212 | 0xFE58 | 0xFE63 => Some(b'-'),
        // The no-break, en, em, figure, thin, hair, narrow, mathematical and ideographic
        // spaces.
        0x00A0 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Some(b' '),
        // The full-width forms of ASCII's printable characters.
        0xFF01..=0xFF5E => u8::try_from(cp - 0xFEE0).ok(),
        // Mathematical digits (bold, double-struck, sans-serif, sans-serif bold, monospace).
        0x1D7CE..=0x1D7FF => u8::try_from((cp - 0x1D7CE) % 10).ok().map(|d| b'0' + d),
        // The decimal digits of other scripts: Arabic-Indic, Persian, Devanagari, Thai, ...
        0x0660.. if let Some(d) = script_digit(cp) => Some(b'0' + d),
        // Superscript and subscript digits.
        0x00B9 => Some(b'1'),
        0x00B2 | 0x00B3 => u8::try_from(cp - 0x00B2).ok().map(|d| b'2' + d),
        0x2070 => Some(b'0'),
        0x2074..=0x2079 => u8::try_from(cp - 0x2074).ok().map(|d| b'4' + d),
        0x2080..=0x2089 => u8::try_from(cp - 0x2080).ok().map(|d| b'0' + d),
        // Circled digits: plain, double, negative and the dingbats' three sets (1 to 9), and
        // the circled zeros.
        0x2460..=0x2468 => u8::try_from(cp - 0x2460).ok().map(|d| b'1' + d),
        0x24F5..=0x24FD => u8::try_from(cp - 0x24F5).ok().map(|d| b'1' + d),
        0x2776..=0x277E => u8::try_from(cp - 0x2776).ok().map(|d| b'1' + d),
        0x2780..=0x2788 => u8::try_from(cp - 0x2780).ok().map(|d| b'1' + d),
        0x278A..=0x2792 => u8::try_from(cp - 0x278A).ok().map(|d| b'1' + d),
        0x24EA | 0x24FF | 0x1F10B | 0x1F10C => Some(b'0'),
        // Invisible: the soft hyphen, zero-width space and joiners, direction marks and
        // controls, the word joiner and invisible operators, the byte order mark.
        0x00AD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF => {
            None
        }
        // Variation selectors and the enclosing marks: `5` + U+FE0F + U+20E3 is a keycap
        // emoji of 5.
        0xFE00..=0xFE0F | 0x20DD..=0x20E4 => None,
        _ => return None,
    })
}

/// The first code point (digit zero) of each script's run of ten decimal digits beyond ASCII
/// (Unicode's `Nd` category, 15.0: Arabic-Indic, Persian, N'Ko, the Indic scripts, Thai, Lao,
/// Tibetan, Myanmar, Khmer, Mongolian, ..., the segmented digits), ascending. The full-width
/// and mathematical digits are folded with the other full-width and mathematical forms.
const SCRIPT_ZEROS: [u32; 61] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x11F50, 0x16A60, 0x16AC0,
    0x16B50, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950, 0x1FBF0,
];

/// The value of a decimal digit of another script (`٥` is 5, `५` is 5), `None` for every
/// other code point.
fn script_digit(cp: u32) -> Option<u8> {
    let i = SCRIPT_ZEROS
        .partition_point(|&zero| zero <= cp)
        .checked_sub(1)?;
    let d = cp - SCRIPT_ZEROS[i];
    u8::try_from(d).ok().filter(|&d| d < 10)
}

/// Whether the combining mark (U+0300 to U+036F) at `i` sits on a digit or a separator
/// (maybe through other marks): `5̲3̲6̲` underlines digits, and a digit with a mark no rule
/// reads is no digit. A mark on a letter (`é` written as `e` and U+0301) is the letter's.
fn marks_a_digit(text: &[u8], i: usize) -> bool {
    let mut at = i;
    // At most eight marks stacked: the look back is bounded.
    for _ in 0..8 {
        match at.checked_sub(2).map(|p| &text[p..at]) {
            Some([0xCC, 0x80..=0xBF] | [0xCD, 0x80..=0xAF]) => at -= 2,
            _ => break,
        }
    }
    at.checked_sub(1)
        .is_some_and(|p| text[p].is_ascii_digit() || b"-./ ".contains(&text[p]))
}

/// The length of the inline tag at the start of `rest` ([`markup::inline_tag_at`]), written
/// as it is or with escapes: a JSON string's `<span style=\"font-weight:bold\">` (a FHIR
/// narrative's `div`) and `<\/b>` (PHP writes every `/` so), Go's `\u003cb\u003e` (its
/// encoder escapes `<`, `>` and `&`), an escaped narrative's `&lt;content
/// styleCode=&quot;Bold&quot;&gt;`. The tag is read with its escapes decoded, at most
/// [`markup::MAX_TAG`] bytes of it, after a look at its name.
fn tag_at(rest: &[u8]) -> Option<usize> {
    if rest[0] == b'<' && rest.get(1) != Some(&b'\\') {
        if let Some(len) = markup::inline_tag_at(rest) {
            return Some(len);
        }
        // Written as it is, the tag's name is too: the tag is read again decoded only when
        // that is an inline element's (its attributes' quotes may be escaped), and only when
        // a `\` or `&` comes before the tag's end.
        let escaped = rest[1..rest.len().min(markup::MAX_TAG)]
            .iter()
            .find(|&&b| matches!(b, b'>' | b'<' | b'\\' | b'&'));
        if !markup::names_inline(rest) || !matches!(escaped, Some(b'\\' | b'&')) {
            return None;
        }
    }
    let mut decoded = Vec::new();
    let mut ends = Vec::new();
    // The `<`, a `/`, the longest inline name and the byte after it decide: the rest of the
    // tag is decoded only for an inline element's name.
    let read = decode_tag(rest, 0, 20, &mut decoded, &mut ends);
    if !markup::names_inline(&decoded) {
        return None;
    }
    decode_tag(rest, read, markup::MAX_TAG, &mut decoded, &mut ends);
    let len = markup::inline_tag_at(&decoded)?;
    Some(ends[len - 1])
}

/// Decodes `rest` from byte `from` on into `decoded` (an escape that writes ASCII as that
/// byte, any other byte as it is), recording after each decoded byte how much of `rest` it
/// took, until `decoded` holds `most` bytes, a `>` or a second `<` (no inline tag holds
/// one: the decoding ends where the next tag starts); returns where it stopped in `rest`.
fn decode_tag(
    rest: &[u8],
    from: usize,
    most: usize,
    decoded: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> usize {
    let mut p = from;
    while p < rest.len()
        && decoded.len() < most
        && (decoded.len() < 2 || !matches!(decoded.last(), Some(b'>' | b'<')))
    {
        let (b, len) = match escape_at(&rest[p..]) {
            Some((cp, len)) if cp < 0x80 => (cp as u8, len),
            _ => (rest[p], 1),
        };
        decoded.push(b);
        p += len;
        ends.push(p);
    }
    crate::work::add(p - from);
    p
}

/// The code point an escape at the start of `rest` writes, and the escape's length, an
/// escape written with escapes read through ([`escape_once`]): `\u0026#45;` (Go's JSON of an
/// HTML character reference), `&amp;ndash;` (HTML escaped twice), `%252D` (a URL escaped
/// twice), `\\u002d` (JSON in a JSON string).
fn escape_at(rest: &[u8]) -> Option<(u32, usize)> {
    nested_escape_at(rest, 3)
}

/// [`escape_at`], reading at most `depth` escapes within the first.
fn nested_escape_at(rest: &[u8], depth: u32) -> Option<(u32, usize)> {
    let (cp, len) = escape_once(rest)?;
    if depth > 0 && matches!(cp, 0x25 | 0x26 | 0x5C) {
        // The escape writes `%`, `&` or `\`: what it writes and the bytes after it may be
        // another escape, read on a copy (an escape is at most 18 bytes long).
        let mut inner = [0u8; 24];
        let tail = &rest[len..rest.len().min(len + inner.len() - 1)];
        inner[0] = cp as u8;
        inner[1..=tail.len()].copy_from_slice(tail);
        if let Some((cp, more)) = nested_escape_at(&inner[..=tail.len()], depth - 1)
            && more > 1
        {
            return Some((cp, len + more - 1));
        }
    }
    Some((cp, len))
}

/// The code point an escape at the start of `rest` writes, and the escape's length:
/// - a backslash escape of JSON, JavaScript, Java, C#, Python or C: `\u2013`, `\u{2d}`,
///   `\U0000002d`, `\x2d`, three octal digits (`\055`), and JSON's `\/` (PHP writes every
///   `/` of a date so);
/// - a URL's percent escape, `%2D`;
/// - an HTML or XML character reference: `&#45;`, `&#x2D;` (the `;` may be left out, as
///   browsers allow) and the named ones of dashes, spaces, invisible characters and a
///   value's separators (`&ndash;`, `&nbsp;`, `&colon;`).
///
/// A byte escape (`\x`, `%`) of a UTF-8 lead byte takes the escapes of its continuation
/// bytes with it: `%E2%80%93` is one en dash.
fn escape_once(rest: &[u8]) -> Option<(u32, usize)> {
    let hex = |x: &u8| char::from(*x).to_digit(16);
    let hex_run = |digits: &[u8]| digits.iter().try_fold(0u32, |n, d| Some(n * 16 + hex(d)?));
    match *rest {
        [b'\\', b'u', b'{', ..] => {
            let digits = rest[3..].iter().take(7).position(|&b| b == b'}')?;
            (1..=6).contains(&digits).then_some(())?;
            Some((hex_run(&rest[3..3 + digits])?, digits + 4))
        }
        [b'\\', b'u', ..] => Some((hex_run(rest.get(2..6)?)?, 6)),
        [b'\\', b'U', ..] => Some((hex_run(rest.get(2..10)?)?, 10)),
        [b'\\', b @ (b'/' | b'\\' | b'"' | b'\''), ..] => Some((u32::from(b), 2)),
        [b'\\', a @ b'0'..=b'1', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] => Some((
            u32::from(a - b'0') << 6 | u32::from(b - b'0') << 3 | u32::from(c - b'0'),
            4,
        )),
        [b'%', b'u' | b'U', ..] => Some((hex_run(rest.get(2..6)?)?, 6)),
        [b'\\', b'x', ..] | [b'%', ..] => {
            let prefix = if rest[0] == b'%' { 1 } else { 2 };
            let width = prefix + 2;
            let byte_at = |k: usize| {
                let escape = rest.get(k * width..(k + 1) * width)?;
                (escape[..prefix] == rest[..prefix])
                    .then(|| hex_run(&escape[prefix..]))
                    .flatten()
                    .and_then(|b| u8::try_from(b).ok())
            };
            let lead = byte_at(0)?;
            let count = match lead {
                0x00..=0x7F => return Some((u32::from(lead), width)),
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => return None,
            };
            let mut bytes = [0u8; 4];
            for (k, byte) in bytes.iter_mut().enumerate().take(count) {
                *byte = byte_at(k)?;
            }
            let (cp, len) = utf8_at(&bytes[..count])?;
            (len == count).then_some((cp, count * width))
        }
        [b'&', b'#', b'x' | b'X', ..] => {
            let digits = rest[3..]
                .iter()
                .take(7)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            reference_end(rest, 3, digits, 6)
                .map(|len| (hex_run(&rest[3..3 + digits]).unwrap_or(0), len))
        }
        [b'&', b'#', ..] => {
            let digits = rest[2..]
                .iter()
                .take(8)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let cp = rest[2..2 + digits]
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            reference_end(rest, 2, digits, 7).map(|len| (cp, len))
        }
        [b'&', ..] => {
            let name = rest[1..]
                .iter()
                .take(17)
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            (rest.get(1 + name) == Some(&b';')).then_some(())?;
            let cp = match &rest[1..1 + name] {
                b"ndash" | b"mdash" | b"minus" | b"hyphen" | b"dash" => 0x2013,
                b"nbsp" | b"NonBreakingSpace" | b"ensp" | b"emsp" | b"emsp13" | b"emsp14"
                | b"numsp" | b"puncsp" | b"thinsp" | b"ThinSpace" | b"hairsp"
                | b"VeryThinSpace" | b"MediumSpace" => 0xA0,
                b"shy" | b"ZeroWidthSpace" | b"NoBreak" | b"zwj" | b"zwnj" | b"lrm" | b"rlm" => {
                    0x200B
                }
                b"period" => u32::from(b'.'),
                b"sol" => u32::from(b'/'),
                b"lpar" => u32::from(b'('),
                b"rpar" => u32::from(b')'),
                b"colon" => u32::from(b':'),
                b"plus" => u32::from(b'+'),
                b"commat" => u32::from(b'@'),
                b"num" => u32::from(b'#'),
                b"amp" | b"AMP" => u32::from(b'&'),
                b"lt" | b"LT" => u32::from(b'<'),
                b"gt" | b"GT" => u32::from(b'>'),
                b"quot" | b"QUOT" => u32::from(b'"'),
                b"apos" => u32::from(b'\''),
                _ => return None,
            };
            Some((cp, name + 2))
        }
        _ => None,
    }
}

/// The length of a numeric character reference whose `digits` start at `start`: through its
/// `;`, or through its digits when it has none; `None` for no digits or more than `most`.
fn reference_end(rest: &[u8], start: usize, digits: usize, most: usize) -> Option<usize> {
    (1..=most).contains(&digits).then_some(())?;
    let end = start + digits;
    Some(if rest.get(end) == Some(&b';') {
        end + 1
    } else {
        end
    })
}

#[cfg(test)]
mod tests;
