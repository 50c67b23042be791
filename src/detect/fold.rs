//! Look-alike characters folded to ASCII before detection. The rules read ASCII: an SSN's
//! separators are `[- .]`, a phone's digits are `[0-9]`. Text pasted from a word processor
//! or a PDF carries the typographer's characters instead (`999–45–6781` with en dashes, a
//! non-breaking hyphen, a minus sign, a no-break space), text typed with an East Asian input
//! method carries full-width forms (`９９９－４５－６７８１`), and an invisible character
//! (a zero-width space, a soft hyphen, a bidirectional control) splits a value without
//! changing what a reader sees. Python's `json.dumps` writes each of them as a `\u2013`
//! escape. Each of these was a way past every hook.
//!
//! [`fold`] gives a copy of the text in which those characters are ASCII: dashes and minus
//! signs are `-`, Unicode spaces are ` `, full-width forms are their ASCII letters, digits
//! and punctuation, mathematical digits are digits, and invisible characters are gone, as
//! are JSON and JavaScript escapes of them (`\u2013`, not an escape of ASCII). The
//! copy is as long as the text, line for line: each *token* (a run of bytes between ASCII
//! white space) that holds such a character is written shorter, in place, and padded with
//! spaces up to its old end. Everything outside those tokens keeps its offset, so added
//! regions, line numbers and every structure walk read the copy as they read the text; a
//! match inside a folded token is mapped back with [`Folded::original`].
//!
//! Nothing else is folded: letters with accents, other scripts and typographic quotes are
//! text, and a text with no such character in its added regions is not copied at all.

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
    while let Some(found) = finder.next(at) {
        // The token holding the character starts past the white space before it (and never
        // before `at`, where the last token ended).
        let start = text[at..found]
            .iter()
            .rposition(|&b| is_space(b))
            .map_or(at, |i| at + i + 1);
        out.extend_from_slice(&text[at..start]);
        let end = text[found..]
            .iter()
            .position(|&b| is_space(b))
            .map_or(text.len(), |i| found + i);
        crate::work::add(end - at);
        // The token's bytes as they are up to each foldable character the finder gives, that
        // character folded (a character never spans white space, so none passes `end`).
        let mut i = start;
        let mut next = Some(found);
        while let Some(hit) = next.filter(|&hit| hit < end) {
            out.extend_from_slice(&text[i..hit]);
            i = match folded_at(text, hit) {
                Some((ascii, len)) => {
                    out.extend(ascii);
                    marks.push((out.len(), hit + len));
                    hit + len
                }
                None => hit,
            };
            next = finder.next(i.max(hit + 1));
        }
        out.extend_from_slice(&text[i..end]);
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

/// ASCII white space: what separates tokens (and never is folded or written).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// Finds the foldable characters of a text left to right, by their first bytes: the lead
/// bytes of the common ones (`C2`, `E2`, `EF`) and of the rare ones with a backslash (`E3`,
/// `F0`, `\\u` escapes), each set with a vector search (a byte loop over every added region
/// was 1 % of a staged change's scan). Each search's next hit is kept until the finder
/// passes it, so each goes over each byte once: restarting both at every hit of one went to
/// the end of a Japanese text (a rare lead byte on every character) once per character.
struct Finder<'t> {
    text: &'t [u8],
    /// Each search's next hit at or after where it last searched from (`usize::MAX`: none).
    common: Option<usize>,
    rare: Option<usize>,
}

impl<'t> Finder<'t> {
    fn new(text: &'t [u8]) -> Self {
        Finder {
            text,
            common: None,
            rare: None,
        }
    }

    /// Where the next foldable character at or after `from` starts.
    fn next(&mut self, from: usize) -> Option<usize> {
        let text = self.text;
        let search =
            |kept: &mut Option<usize>, at: usize, find: fn(&[u8]) -> Option<usize>| match *kept {
                Some(hit) if hit >= at => hit,
                _ => {
                    let hit = find(&text[at..]).map_or(usize::MAX, |k| at + k);
                    crate::work::add(hit.min(text.len()) - at + 1);
                    *kept = Some(hit);
                    hit
                }
            };
        let mut i = from;
        while i < text.len() {
            let common = search(&mut self.common, i, |t| {
                memchr::memchr3(0xC2, 0xE2, 0xEF, t)
            });
            let rare = search(&mut self.rare, i, |t| memchr::memchr3(0xE3, 0xF0, b'\\', t));
            let hit = common.min(rare);
            if hit >= text.len() {
                return None;
            }
            if folded_at(text, hit).is_some() {
                return Some(hit);
            }
            i = hit + 1;
        }
        None
    }
}

/// The ASCII a foldable character at `i` folds to (nothing for an invisible one) and the
/// character's length in bytes; `None` when no foldable character starts at `i`.
fn folded_at(text: &[u8], i: usize) -> Option<(Option<u8>, usize)> {
    let rest = &text[i..];
    let (cp, len) = match *rest {
        // A JSON or JavaScript escape (Python's `json.dumps` writes every non-ASCII character
        // as one): a dash, space or full-width digit written as `\\u2013`.
        [b'\\', b'u', a, b, c, d, ..] => {
            let hex = |x: u8| char::from(x).to_digit(16);
            let cp = ((hex(a)? * 16 + hex(b)?) * 16 + hex(c)?) * 16 + hex(d)?;
            // An escape of an ASCII character (`\\u002d`) is no writer's habit, only a
            // test's of a parser; it is left as it is.
            if cp < 0x80 {
                return None;
            }
            (cp, 6)
        }
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
    };
    let ascii = match cp {
        // Dashes, the hyphen bullet, the minus sign, the small and full-width hyphens.
        0x2010..=0x2015 | 0x2043 | 0x2212 | 0xFE58 | 0xFE63 => Some(b'-'),
        // The no-break, en, em, figure, thin, hair, narrow, mathematical and ideographic
        // spaces.
        0x00A0 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Some(b' '),
        // The full-width forms of ASCII's printable characters.
        0xFF01..=0xFF5E => u8::try_from(cp - 0xFEE0).ok(),
        // Mathematical digits (bold, double-struck, sans-serif, sans-serif bold, monospace).
        0x1D7CE..=0x1D7FF => u8::try_from((cp - 0x1D7CE) % 10).ok().map(|d| b'0' + d),
        // Invisible: the soft hyphen, zero-width space and joiners, direction marks and
        // controls, the word joiner and invisible operators, the byte order mark.
        0x00AD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF => {
            None
        }
        _ => return None,
    };
    Some((ascii, len))
}

#[cfg(test)]
mod tests;
