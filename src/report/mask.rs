//! Masking (DESIGN §4): an identifier keeps at most its last 2 characters (only identifiers of
//! at least 12 letters and digits do, see [`MIN_TAIL_LEN`]); a secret shows at
//! most the first 4 characters of a known, non-secret prefix (`AKIA`, `ghp_`). The excerpt is
//! a window of [`WINDOW`] bytes either side of the value on its line, with every detected value
//! masked; a PHI finding's excerpt also masks every other word of the window that is not a
//! label ([`mask_context`]), so the names, dates and ids beside a masked SSN stay hidden.
//!
//! An excerpt costs time in its window, not in its line: [`Masks`] finds the values that
//! overlap a window in logarithmic time, and the line's bounds are looked for only within the
//! window, so a file of 100,000 findings, or one line of them, is excerpted in linear time.

use crate::rules::Category;
use crate::sanitize;
use std::ops::Range;

/// Characters shown on each side of the value in an excerpt.
pub const WINDOW: usize = 48;

/// How one value on a line is masked.
#[derive(Debug, Clone)]
pub struct MaskSpan {
    /// The value's bytes, as offsets into the text.
    pub span: Range<usize>,
    /// PHI keeps a tail, secrets keep a known prefix.
    pub category: Category,
    /// For secrets: how many leading bytes are a known prefix that may be shown (≤ 4).
    pub reveal_prefix: usize,
    /// For PHI: whether a long identifier may keep its last 2 characters. Kinds with few
    /// possible values ([`NO_TAIL_RULES`]: a birth date, a ZIP code, an age) never do: their
    /// matches include the label (`zip: 02139-4307` has 12 letters and digits), and two shown
    /// digits of a ZIP+4 narrow it to a few households.
    pub tail: bool,
}

/// PHI rules whose values are masked whole, whatever their length.
pub const NO_TAIL_RULES: &[&str] = &["phi.dob", "phi.age-over-89", "phi.zip"];

/// Letters and digits a PHI value needs before its last 2 may be shown. A shown tail plus the
/// value's fingerprint narrow the candidates a hundredfold: for an SSN (9 digits) from about
/// a thousand to ten, so shorter identifiers, dates and ZIP codes are masked whole.
pub const MIN_TAIL_LEN: usize = 12;

/// The bytes of a value of `n` bytes (`alnum` of them letters or digits) that `s` lets be
/// shown: a PHI value's tail (when it may keep one), a secret's known prefix.
fn keep(s: &MaskSpan, n: usize, alnum: usize) -> Range<usize> {
    match s.category {
        Category::Phi if s.tail && alnum >= MIN_TAIL_LEN => n - 2..n,
        Category::Phi | Category::Config => n..n,
        Category::Secret => 0..s.reveal_prefix.min(4).min(n / 2),
    }
}

/// Masks `value` bytes in place, as `s` says.
fn mask_value(value: &mut [u8], s: &MaskSpan) {
    let alnum = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    let keep = keep(s, value.len(), alnum);
    for (i, b) in value.iter_mut().enumerate() {
        if !keep.contains(&i) && !matches!(b, b'\n' | b'\r') {
            *b = b'*';
        }
    }
}

/// Masks every span of `spans` inside `text` (a copy) — used by `phiguard redact` too.
pub fn mask_all(text: &[u8], spans: &[MaskSpan]) -> Vec<u8> {
    let mut out = text.to_vec();
    for s in spans {
        let end = s.span.end.min(out.len());
        if s.span.start < end {
            mask_value(&mut out[s.span.start..end], s);
        }
    }
    out
}

/// The values of one text, sorted by start, with a max-end tree over them, so that the values
/// overlapping a window are found in `O(log n + k)`: filtering every value for every excerpt
/// was quadratic in a file's findings (a 20,000-row patient extract took 43 s).
#[derive(Debug, Default)]
pub struct Masks {
    spans: Vec<MaskSpan>,
    /// `tree[1]` is the root; node `i` holds the largest end among its leaves; leaf `j` of
    /// `spans` is at `leaves + j`.
    tree: Vec<usize>,
    leaves: usize,
}

impl Masks {
    /// Indexes `spans` (in any order).
    pub fn new(mut spans: Vec<MaskSpan>) -> Masks {
        spans.sort_by_key(|s| s.span.start);
        let leaves = spans.len().next_power_of_two();
        let mut tree = vec![0; 2 * leaves];
        for (j, s) in spans.iter().enumerate() {
            tree[leaves + j] = s.span.end;
        }
        for i in (1..leaves).rev() {
            tree[i] = tree[2 * i].max(tree[2 * i + 1]);
        }
        Masks {
            spans,
            tree,
            leaves,
        }
    }

    /// Calls `each` for every value with bytes in `window`, in order of start.
    fn overlapping(&self, window: Range<usize>, each: &mut impl FnMut(&MaskSpan)) {
        let upto = self.spans.partition_point(|s| s.span.start < window.end);
        if upto > 0 {
            self.descend(1, 0..self.leaves, upto, window.start, each);
        }
    }

    fn descend(
        &self,
        node: usize,
        covers: Range<usize>,
        upto: usize,
        after: usize,
        each: &mut impl FnMut(&MaskSpan),
    ) {
        if covers.start >= upto || self.tree[node] <= after {
            return;
        }
        if covers.len() == 1 {
            each(&self.spans[covers.start]);
            return;
        }
        let mid = covers.start + covers.len() / 2;
        self.descend(2 * node, covers.start..mid, upto, after, each);
        self.descend(2 * node + 1, mid..covers.end, upto, after, each);
    }
}

/// Where an excerpt's line lies around `focus`, looked for only near the focus.
struct Around {
    /// The shown bytes come from `text[buf]`, which lies inside the value's line.
    buf: Range<usize>,
    /// Whether the line starts before `buf` / ends after it.
    cut_before: bool,
    cut_after: bool,
}

/// The line around `focus`, cut to a little more than the window: at most `WINDOW + 3` bytes
/// before the focus (3 to find a character's start) and `WINDOW + 5` after its end.
fn around(text: &[u8], focus: &Range<usize>) -> Around {
    let fs = focus.start.min(text.len());
    let back = fs.saturating_sub(WINDOW + 3);
    let (start, cut_before) = match memchr::memrchr(b'\n', &text[back..fs]) {
        Some(i) => (back + i + 1, false),
        None => (back, back > 0 && text[back - 1] != b'\n'),
    };
    let ahead = (focus.end.max(fs) + WINDOW + 5).min(text.len());
    let (mut end, cut_after) = match memchr::memchr(b'\n', &text[fs..ahead]) {
        Some(i) => (fs + i, false),
        None => (ahead, ahead < text.len()),
    };
    if !cut_after && end > start && text[end - 1] == b'\r' {
        end -= 1;
    }
    Around {
        buf: start..end,
        cut_before,
        cut_after,
    }
}

/// The excerpt for the value at `focus`: its line, every value in `masks` masked, cut to
/// [`WINDOW`] bytes either side, escaped for display. A PHI value's excerpt also has the
/// words around it masked ([`mask_context`]).
pub fn excerpt(text: &[u8], focus: Range<usize>, category: Category, masks: &Masks) -> String {
    let at = around(text, &focus);
    let base = at.buf.start;
    let mut shown = text[at.buf.clone()].to_vec();
    crate::work::add(shown.len());
    // Bytes of detected values: masked by their own rule, left alone by `mask_context`.
    let mut values = vec![false; shown.len()];
    masks.overlapping(at.buf.clone(), &mut |s| {
        crate::work::add(1);
        mask_in(&mut shown, base, &at, s);
        let r = s.span.start.max(base) - base..s.span.end.min(at.buf.end).max(base) - base;
        values[r].fill(true);
    });
    let fs = (focus.start.min(text.len()) - base).min(shown.len());
    let fe = focus.end.min(at.buf.end).saturating_sub(base).max(fs);
    let from = floor_char(&shown, fs.saturating_sub(WINDOW));
    let to = ceil_char(&shown, (fe + WINDOW).min(shown.len()));
    if category == Category::Phi {
        mask_context(
            &mut shown[from..to],
            &values[from..to],
            from == 0 && !at.cut_before,
        );
    }
    let mut out = String::new();
    if from > 0 || at.cut_before {
        out.push('…');
    }
    out.push_str(sanitize::display(&shown[from..to]).trim());
    if to < shown.len() || at.cut_after {
        out.push('…');
    }
    out
}

/// Masks value `s` in `shown` (`text[base..]`, inside one line). A value that is cut by the
/// line or by `shown` shows no PHI tail (its length on the line is not known here, so the
/// tail is hidden rather than guessed) and a secret shows its prefix only when it starts in
/// `shown`.
fn mask_in(shown: &mut [u8], base: usize, at: &Around, s: &MaskSpan) {
    let end = s.span.end.min(at.buf.end);
    let start = s.span.start.max(base);
    if start >= end {
        return;
    }
    let whole = s.span.start >= base && s.span.end <= at.buf.end;
    let keep: Range<usize> = match s.category {
        Category::Phi if whole => {
            let v = &shown[start - base..end - base];
            let alnum = v.iter().filter(|b| b.is_ascii_alphanumeric()).count();
            let k = keep(s, v.len(), alnum);
            start + k.start..start + k.end
        }
        Category::Phi | Category::Config => 0..0,
        Category::Secret if s.span.start >= base => {
            let k = keep(s, end - start, 0);
            start + k.start..start + k.end
        }
        Category::Secret => 0..0,
    };
    for i in start..end {
        let b = &mut shown[i - base];
        if !keep.contains(&i) && !matches!(b, b'\n' | b'\r') {
            *b = b'*';
        }
    }
}

/// Masks, in a PHI finding's excerpt, every word that is not a label: a word with a digit
/// (ids, dates, phone and street numbers, ZIP codes), and any other word unless it is a key
/// (followed by `:` or `=`, after a closing quote if any), an XML element or attribute name,
/// an HL7 segment id, or a word of [`LABELS`]. What is left locates the value — `"family":`,
/// `PID|`, `<birthTime value=` — without the patient data around it. `at_line_start` says
/// whether `window` starts its line (where an HL7 segment id stands). Bytes of detected values
/// (`values[i]`) are left as their own rule masked them (an identifier's tail stays shown).
pub fn mask_context(window: &mut [u8], values: &[bool], at_line_start: bool) {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut i = 0;
    while i < window.len() {
        if !is_word(window[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < window.len() && is_word(window[i]) {
            i += 1;
        }
        if !label(window, start..i, at_line_start) {
            for (b, _) in window[start..i]
                .iter_mut()
                .zip(&values[start..i])
                .filter(|(_, v)| !**v)
            {
                *b = b'*';
            }
        }
    }
}

/// Whether `window[word]` is a label that may be shown.
fn label(window: &[u8], word: Range<usize>, at_line_start: bool) -> bool {
    let w = &window[word.clone()];
    if w.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let before = &window[..word.start];
    let after = &window[word.end..];
    // A key: `name:`, `name =`, `"name":`, `name="…"` (not `http://` style schemes, which
    // are kept anyway by the next rule only when listed).
    let rest = after
        .strip_prefix(b"\"")
        .or_else(|| after.strip_prefix(b"'"))
        .unwrap_or(after);
    let rest = rest.trim_ascii_start();
    if rest.first().is_some_and(|&b| b == b':' || b == b'=') && !rest.starts_with(b"://") {
        return true;
    }
    // An XML element (`<name`, `</name`) or a namespaced one (`<cda:name`).
    if before.ends_with(b"<") || before.ends_with(b"</") || before.ends_with(b"<?") {
        return true;
    }
    // An HL7 segment id: three capitals or digits at a line (or segment) start, then `|`.
    if w.len() == 3
        && w[0].is_ascii_uppercase()
        && after.first() == Some(&b'|')
        && (before.last().is_some_and(|&b| b == b'\r' || b == b'\n')
            || (before.is_empty() && at_line_start))
    {
        return true;
    }
    w.len() <= 24 && {
        let mut lower = [0u8; 24];
        lower[..w.len()].copy_from_slice(w);
        lower[..w.len()].make_ascii_lowercase();
        LABELS.binary_search(&&lower[..w.len()]).is_ok()
    }
}

/// Words shown in a PHI excerpt wherever they stand (compared lower-cased): field labels of
/// health records, SQL keywords and English function words. None is a name or an id. Sorted.
pub const LABELS: &[&[u8]] = &[
    b"a",
    b"account",
    b"acct",
    b"addr",
    b"address",
    b"admission",
    b"age",
    b"an",
    b"and",
    b"are",
    b"as",
    b"at",
    b"be",
    b"birth",
    b"birthdate",
    b"birthday",
    b"born",
    b"by",
    b"cell",
    b"city",
    b"claim",
    b"code",
    b"contact",
    b"country",
    b"create",
    b"date",
    b"discharge",
    b"display",
    b"dob",
    b"email",
    b"encounter",
    b"family",
    b"fax",
    b"first",
    b"for",
    b"from",
    b"gender",
    b"given",
    b"group",
    b"has",
    b"id",
    b"identifier",
    b"in",
    b"insert",
    b"insurance",
    b"into",
    b"is",
    b"last",
    b"line",
    b"mail",
    b"mbi",
    b"medicaid",
    b"medical",
    b"medicare",
    b"member",
    b"middle",
    b"mobile",
    b"mrn",
    b"name",
    b"no",
    b"not",
    b"npi",
    b"null",
    b"number",
    b"of",
    b"on",
    b"or",
    b"patient",
    b"phone",
    b"policy",
    b"postal",
    b"postalcode",
    b"provider",
    b"record",
    b"reference",
    b"resource",
    b"resourcetype",
    b"select",
    b"sex",
    b"social",
    b"ssn",
    b"state",
    b"street",
    b"subscriber",
    b"system",
    b"table",
    b"tel",
    b"telecom",
    b"telephone",
    b"text",
    b"the",
    b"to",
    b"type",
    b"update",
    b"use",
    b"value",
    b"values",
    b"visit",
    b"was",
    b"where",
    b"with",
    b"zip",
];

fn floor_char(b: &[u8], mut i: usize) -> usize {
    while i > 0 && i < b.len() && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

fn ceil_char(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] & 0xC0) == 0x80 {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests;
