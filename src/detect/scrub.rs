//! Aggressive scrubbing for `phiguard redact`: where a value sits, found by its label or its
//! place in a health-data structure, whatever the value's shape.
//!
//! A build log is not a commit: there is no file name, often no structure around a fragment
//! (the log cut the message), and nothing to lose by masking too much. So beyond what the
//! rules report, this masks
//!
//! * the value after a PHI label (`MRN:`, `MRN#`, `patient id`, `DOB`, `member id`, `NPI`,
//!   `SSN`, `medical record number`, …) — a value holding a digit, or any value after `:`,
//!   `=` or `#`;
//! * identifiers and names in HL7 v2 segments (`PID|` fields 2–5, 7, 11, 13, 19 and the like),
//!   X12 segments (`NM1*`, `REF*`, `DMG*`, `N3*`, `PER*`), C-CDA elements (`<id extension=..>`,
//!   `<birthTime value=..>`, `<given>`, `<family>`, …) and FHIR JSON identifiers
//!   (`"value"` inside `"identifier"`), even when the fragment is cut;
//! * values of SQL `INSERT … (columns) VALUES (…)` whose column is a PHI label, a name, an
//!   address, a phone number or an e-mail, and `value:` lines of a YAML `identifier:` block;
//! * ten-digit runs that pass the NPI check digit, with or without a label.
//!
//! Spans are byte ranges of the text given; the caller masks them ([`mask`]). Every pass is
//! one forward walk: linear in the text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::ops::Range;
use std::sync::OnceLock;

/// Longest value taken after a label.
const MAX_VALUE: usize = 64;
/// How far a FHIR `"identifier"` reaches for its `"value"`s.
const MAX_IDENTIFIER: usize = 4096;

/// PHI labels, matched ASCII case-insensitively at word bounds (`_` counts as a bound, so
/// `billing_provider_npi=` and `patient_mrn` are labels too).
const LABELS: &[&str] = &[
    "mrn",
    "medical record number",
    "medical record no",
    "medical record",
    "medicalrecordnumber",
    "record number",
    "record no",
    "record id",
    "med rec",
    "patient id",
    "patient_id",
    "patient-id",
    "patientid",
    "patient identifier",
    "patient number",
    "patient no",
    "member id",
    "member_id",
    "memberid",
    "member number",
    "subscriber id",
    "subscriber_id",
    "subscriberid",
    "npi",
    "ssn",
    "social security number",
    "social security no",
    "dob",
    "date of birth",
    "birth date",
    "birthdate",
    "birth_date",
    "chart number",
    "chart no",
    "mbi",
    "medicare id",
    "medicaid id",
    "insurance id",
    "policy number",
    "account number",
];

/// Words that are labels only before a value holding at least [`WEAK_DIGITS`] digits
/// (`patient H7275367`, `Chart #45909953`, `/patients/59285932/chart`, but not
/// `patient 3 of 5`).
const WEAK_LABELS: &[&str] = &[
    "patient",
    "patients",
    "chart",
    "member",
    "subscriber",
    "account",
    "acct",
];

/// Digits a value after a [`WEAK_LABELS`] word must hold.
const WEAK_DIGITS: usize = 4;

/// Suffixes a label may carry before its value (`MRN number:`, `npi_no=`).
const SUFFIXES: &[&[u8]] = &[b"number", b"num", b"nbr", b"no", b"id", b"#"];

/// HL7 v2 segments and the fields (1-based, after the segment name) holding identifiers,
/// names, birth dates, addresses, phone numbers.
const HL7: &[(&[u8], &[usize])] = &[
    (b"PID", &[2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 18, 19, 20]),
    (b"MRG", &[1, 2, 3, 4, 5, 6, 7]),
    (b"NK1", &[2, 4, 5, 6, 33, 37]),
    (b"PV1", &[7, 8, 9, 17, 19, 50]),
    (b"IN1", &[2, 16, 18, 19, 36, 49]),
    (b"IN2", &[1, 2, 8]),
    (b"GT1", &[2, 3, 5, 6, 7, 8, 12, 19]),
    (b"ORC", &[10, 11, 12]),
    (b"OBR", &[10, 16, 28]),
];

/// X12 segments and elements (1-based) holding identifiers, names, dates and addresses.
const X12: &[(&[u8], &[usize])] = &[
    (b"NM1", &[3, 4, 5, 9]),
    (b"REF", &[2]),
    (b"DMG", &[2]),
    (b"N3", &[1, 2]),
    (b"PER", &[2, 4, 6, 8]),
];

/// C-CDA: (what opens it, what holds the value). An attribute value, or the element's text.
const CCDA: &[(&[u8], Holder)] = &[
    (b"<id ", Holder::Attr(b"extension=")),
    (b"<birthTime ", Holder::Attr(b"value=")),
    (b"<telecom ", Holder::Attr(b"value=")),
    (b"<given", Holder::Text),
    (b"<family", Holder::Text),
    (b"<streetAddressLine", Holder::Text),
    (b"<name>", Holder::Text),
];

#[derive(Clone, Copy)]
enum Holder {
    Attr(&'static [u8]),
    Text,
}

fn labels() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(LABELS.iter().chain(WEAK_LABELS))
            .expect("the label list is a valid automaton")
    })
}

/// Every span to mask in `text[region]`, in no particular order (they may overlap).
pub fn spans(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    let region = region.start.min(text.len())..region.end.min(text.len());
    after_labels(text, region.clone(), out);
    segments(text, region.clone(), HL7, (b'|', b"\r\n"), out);
    segments(text, region.clone(), X12, (b'*', b"~\r\n"), out);
    ccda(text, region.clone(), out);
    fhir_identifiers(text, region.clone(), out);
    yaml_identifiers(text, region.clone(), out);
    sql_inserts(text, region.clone(), out);
    npi_shapes(text, region, out);
}

/// Where the values at `found` occur again in `text[region]` (`merged 61939238 into
/// 61939238` after a label masked the first): one automaton pass over the distinct values of
/// at least 6 bytes that hold a digit (shorter ones would hit unrelated numbers).
pub fn recurrences(
    text: &[u8],
    region: Range<usize>,
    found: &[Range<usize>],
    out: &mut Vec<Range<usize>>,
) {
    let mut values: Vec<&[u8]> = found
        .iter()
        .filter(|r| r.end <= text.len() && r.len() >= 6)
        .map(|r| &text[r.clone()])
        .filter(|v| v.iter().any(u8::is_ascii_digit))
        .collect();
    values.sort_unstable();
    values.dedup();
    if values.is_empty() {
        return;
    }
    let Ok(ac) = AhoCorasick::new(&values) else {
        return;
    };
    let region = region.start.min(text.len())..region.end.min(text.len());
    // The places found are masked as their finder decided (a secret keeps its known prefix).
    let mut at: Vec<usize> = found.iter().map(|r| r.start).collect();
    at.sort_unstable();
    for m in ac.find_iter(&text[region.clone()]) {
        let start = region.start + m.start();
        if at.binary_search(&start).is_err() {
            out.push(start..region.start + m.end());
        }
    }
}

/// Masks the spans in place: letters, digits and non-ASCII bytes become `*`; punctuation
/// (HL7 `^`, dashes, slashes) and line ends stay, so the line keeps its shape.
pub fn mask(text: &mut [u8], spans: &[Range<usize>]) {
    for s in spans {
        let end = s.end.min(text.len());
        for b in &mut text[s.start.min(end)..end] {
            if b.is_ascii_alphanumeric() || *b >= 0x80 {
                *b = b'*';
            }
        }
    }
}

/// A copy of `text` with every ANSI CSI sequence (`ESC [ … final`) replaced by spaces of the
/// same length, so that `\x1b[1m536-90-4399\x1b[0m` matches like the bare value and every
/// offset still points into `text`. `None` when there is no escape byte.
pub fn blank_ansi(text: &[u8]) -> Option<Vec<u8>> {
    memchr::memchr(0x1b, text)?;
    let mut out = text.to_vec();
    let mut i = 0;
    while let Some(at) = memchr::memchr(0x1b, &out[i..]).map(|k| i + k) {
        let end = csi_end(&out, at).unwrap_or(at + 1);
        out[at..end].fill(b' ');
        i = end;
    }
    Some(out)
}

/// The end of the CSI sequence starting at `at` (an ESC), if one does.
fn csi_end(text: &[u8], at: usize) -> Option<usize> {
    if text.get(at + 1) != Some(&b'[') {
        return None;
    }
    let body = &text[at + 2..];
    let n = body
        .iter()
        .take(32)
        .position(|b| (0x40..=0x7e).contains(b))?;
    body[..n]
        .iter()
        .all(|b| (0x20..=0x3f).contains(b))
        .then_some(at + 2 + n + 1)
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn after_labels(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    for m in labels().find_iter(&text[region.clone()]) {
        let (start, mut end) = (region.start + m.start(), region.start + m.end());
        if start > 0 && word_byte(text[start - 1]) {
            continue;
        }
        // An optional suffix word: `MRN number`, `npi_no`, `patient id #`.
        for suffix in SUFFIXES {
            let gap = usize::from(matches!(text.get(end), Some(b' ' | b'_' | b'.' | b'-')));
            let at = end + gap;
            if text.len() >= at + suffix.len()
                && text[at..at + suffix.len()].eq_ignore_ascii_case(suffix)
                && !text.get(at + suffix.len()).is_some_and(|&b| word_byte(b))
            {
                end = at + suffix.len();
                break;
            }
        }
        if text.get(end).is_some_and(|&b| word_byte(b)) {
            continue;
        }
        let Some(v) = value_after(text, end, region.end) else {
            continue;
        };
        let weak = m.pattern().as_usize() >= LABELS.len();
        if !weak
            || text[v.clone()]
                .iter()
                .filter(|b| b.is_ascii_digit())
                .count()
                >= WEAK_DIGITS
        {
            out.push(v);
        }
    }
}

/// The value after a label ending at `from`: separators and colour codes skipped, then one
/// token (and up to three more joined by a space or `, ` that hold digits: `March 3, 1961`).
fn value_after(text: &[u8], from: usize, limit: usize) -> Option<Range<usize>> {
    let mut i = from;
    let mut strong = false;
    let mut skipped = 0;
    while i < limit && skipped < 16 {
        match text[i] {
            0x1b => i = csi_end(text, i)?,
            b':' | b'=' | b'#' => {
                strong = true;
                i += 1;
            }
            b' ' | b'\t' | b'"' | b'\'' | b'`' | b'(' | b'[' | b'{' | b'>' | b'-' | b'.' | b'/' => {
                i += 1
            }
            b'i' | b'I'
                if text[i..limit].len() > 2 && text[i..i + 3].eq_ignore_ascii_case(b"is ") =>
            {
                i += 3
            }
            b'w' | b'W'
                if text[i..limit].len() > 3 && text[i..i + 4].eq_ignore_ascii_case(b"was ") =>
            {
                i += 4
            }
            _ => break,
        }
        skipped += 1;
    }
    // A path segment (`/patients/H8409291/chart`) ends at the next `/`.
    let in_path = i > from && text[i - 1] == b'/';
    let mut first = token(text, i, limit);
    if in_path && let Some(k) = memchr::memchr(b'/', &text[first.clone()]) {
        first.end = first.start + k;
    }
    if first.is_empty() || in_path && !text[first.clone()].iter().any(u8::is_ascii_alphanumeric) {
        return None;
    }
    let has_digit = |r: &Range<usize>| text[r.clone()].iter().any(u8::is_ascii_digit);
    if !strong && !has_digit(&first) {
        return None;
    }
    let mut end = first.end;
    for _ in 0..3 {
        let gap = match &text[end..limit] {
            [b',', b' ', ..] => 2,
            [b' ', ..] => 1,
            _ => break,
        };
        let next = token(text, end + gap, limit);
        if next.is_empty() || !has_digit(&next) {
            break;
        }
        end = next.end;
    }
    Some(first.start..end)
}

/// A run of value bytes from `at`: anything but white space, quotes, delimiters and escapes.
fn token(text: &[u8], at: usize, limit: usize) -> Range<usize> {
    let len = text[at.min(limit)..limit]
        .iter()
        .take(MAX_VALUE)
        .position(|b| b.is_ascii_whitespace() || b"\"'`,;|<>(){}[]&\x1b".contains(b))
        .unwrap_or_else(|| (limit.saturating_sub(at)).min(MAX_VALUE));
    let mut r = at..at + len;
    // A sentence's full stop is not part of the value.
    while r.end > r.start && matches!(text[r.end - 1], b'.' | b':') {
        r.end -= 1;
    }
    if text[r.clone()].iter().any(u8::is_ascii_alphanumeric) {
        r
    } else {
        at..at
    }
}

/// Where a segment tag may start: the text's start, a line or segment end (also written as
/// `\r` or `\n` in an escaped string), or any byte that cannot be inside a word (a log
/// prefix, a quote).
fn segment_start(text: &[u8], at: usize) -> bool {
    at == 0
        || !word_byte(text[at - 1])
        || at >= 2 && text[at - 2] == b'\\' && matches!(text[at - 1], b'r' | b'n')
}

/// Fields of a delimited segment from `at` (just after the tag's separator), up to the
/// segment's end: calls `each(index, range)` with 1-based field numbers.
/// Stops after field `last`, so that a text of many tags is still walked in linear time.
fn fields(
    text: &[u8],
    at: usize,
    limit: usize,
    (sep, ends): (u8, &[u8]),
    last: usize,
    mut each: impl FnMut(usize, Range<usize>),
) {
    let mut n = 1;
    let mut start = at;
    let mut i = at;
    while i < limit && n <= last {
        let b = text[i];
        let literal_end = b == b'\\' && matches!(text.get(i + 1), Some(b'r' | b'n'));
        if b == sep || ends.contains(&b) || literal_end {
            each(n, start..i);
            if b != sep {
                return;
            }
            n += 1;
            start = i + 1;
        }
        i += 1;
    }
    if n <= last {
        each(n, start..limit);
    }
}

/// The wanted fields of every segment named in `table` (HL7 with `|`, X12 with `*`): a
/// segment starts where [`segment_start`] says, and its fields end at a byte of `ends`.
fn segments(
    text: &[u8],
    region: Range<usize>,
    table: &[(&[u8], &[usize])],
    (sep, ends): (u8, &[u8]),
    out: &mut Vec<Range<usize>>,
) {
    for (tag, wanted) in table {
        let mut needle = tag.to_vec();
        needle.push(sep);
        for k in memchr::memmem::find_iter(&text[region.clone()], &needle) {
            let at = region.start + k;
            if !segment_start(text, at) {
                continue;
            }
            let from = at + needle.len();
            let last = wanted.iter().copied().max().unwrap_or(0);
            fields(text, from, region.end, (sep, ends), last, |n, r| {
                if wanted.contains(&n) && !r.is_empty() {
                    out.push(r);
                }
            });
        }
    }
}

fn ccda(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    for (open, holder) in CCDA {
        for k in memchr::memmem::find_iter(&text[region.clone()], open) {
            let at = region.start + k + open.len();
            // The tag ends at `>`, or at the line's end where the log cut it: nothing reaches
            // past its line, and each search stops at the first of the two (linear time).
            let tag_end =
                memchr::memchr2(b'>', b'\n', &text[at..region.end]).map_or(region.end, |i| at + i);
            let line_end = if text.get(tag_end) == Some(&b'>') {
                memchr::memchr2(b'<', b'\n', &text[tag_end..region.end])
                    .map_or(region.end, |i| tag_end + i)
            } else {
                tag_end
            };
            match holder {
                Holder::Attr(attr) => {
                    if let Some(i) = memchr::memmem::find(&text[at..tag_end], attr) {
                        let q = at + i + attr.len();
                        if let Some(&quote @ (b'"' | b'\'')) = text.get(q) {
                            let end = memchr::memchr(quote, &text[q + 1..tag_end])
                                .map_or(tag_end, |e| q + 1 + e);
                            out.push(q + 1..end);
                        }
                    }
                }
                Holder::Text if tag_end < line_end => {
                    out.push(tag_end + 1..line_end);
                }
                Holder::Text => {}
            }
        }
    }
}

/// `"value": "…"` strings inside a FHIR `"identifier"` (object or array), until its bracket
/// closes or [`MAX_IDENTIFIER`] bytes have passed.
fn fhir_identifiers(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    let mut from = region.start;
    while let Some(k) = memchr::memmem::find(&text[from..region.end], b"\"identifier\"") {
        let at = from + k + b"\"identifier\"".len();
        let stop = (at + MAX_IDENTIFIER).min(region.end);
        let mut depth = 0i32;
        let mut i = at;
        let mut entered = false;
        while i < stop {
            match text[i] {
                b'[' | b'{' => {
                    depth += 1;
                    entered = true;
                }
                b']' | b'}' => {
                    depth -= 1;
                    if depth <= 0 && entered {
                        break;
                    }
                }
                b'"' => {
                    let end = string_end(text, i + 1, stop);
                    if &text[i + 1..end] == b"value" {
                        let after = skip(text, end + 1, stop, b" \t\r\n:");
                        if text.get(after) == Some(&b'"') {
                            let vend = string_end(text, after + 1, stop);
                            out.push(after + 1..vend);
                            i = vend;
                        }
                    } else {
                        i = end;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        from = i.max(at).min(region.end);
    }
}

/// `value:` lines inside a YAML `identifier:` block (FHIR in YAML): the lines after it that are
/// indented deeper, up to [`MAX_IDENTIFIER`] bytes.
fn yaml_identifiers(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    const KEY: &[u8] = b"identifier:";
    let mut from = region.start;
    while let Some(k) = memchr::memmem::find(&text[from..region.end], KEY) {
        let at = from + k;
        from = at + KEY.len();
        let line_start = memchr::memrchr(b'\n', &text[region.start..at])
            .map_or(region.start, |i| region.start + i + 1);
        let rest = skip(text, from, region.end, b" \t\r");
        if text.get(rest).is_some_and(|&b| b != b'\n')
            || !text[line_start..at].iter().all(|b| b" -\t".contains(b))
        {
            continue;
        }
        let depth = at - line_start;
        let stop = (at + MAX_IDENTIFIER).min(region.end);
        let mut line = rest + 1;
        while line < stop {
            let end = memchr::memchr(b'\n', &text[line..stop]).map_or(stop, |i| line + i);
            let body = skip(text, line, end, b" -\t");
            if body - line <= depth && body < end {
                break;
            }
            if text[body..end].starts_with(b"value:")
                && let Some(v) = value_after(text, body + b"value".len(), end)
            {
                out.push(v);
            }
            line = end + 1;
        }
        from = from.max(line.min(region.end));
    }
}

/// Values of `INSERT INTO t (columns) VALUES (…), (…)` whose column is a PHI label or holds a
/// name, address, phone number or e-mail, within [`MAX_IDENTIFIER`] bytes of the `INSERT`.
fn sql_inserts(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(["insert into"])
            .expect("a valid automaton")
    });
    let mut from = region.start;
    while let Some(m) = ac.find(&text[from..region.end]) {
        let at = from + m.end();
        let stop = (at + MAX_IDENTIFIER).min(region.end);
        from = at;
        let Some(open) = memchr::memchr2(b'(', b';', &text[at..stop]).map(|i| at + i) else {
            continue;
        };
        if text[open] != b'(' {
            continue;
        }
        let Some(close) = memchr::memchr(b')', &text[open..stop]).map(|i| open + i) else {
            continue;
        };
        let phi: Vec<bool> = text[open + 1..close]
            .split(|&b| b == b',')
            .map(phi_column)
            .collect();
        let after = skip(text, close + 1, stop, b" \t\r\n");
        if !text[after..stop]
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"values"))
        {
            continue;
        }
        let mut i = after + 6;
        // Each tuple: `(v, 'v', …)`, separated by commas, until anything else.
        loop {
            i = skip(text, i, stop, b" \t\r\n,");
            if text.get(i) != Some(&b'(') || i >= stop {
                break;
            }
            i = tuple(text, i + 1, stop, &phi, out);
        }
        from = i.max(at).min(region.end);
    }
}

/// One `VALUES` tuple from just after its `(`: masks the values whose column is PHI; returns
/// where the tuple ends.
fn tuple(
    text: &[u8],
    mut i: usize,
    stop: usize,
    phi: &[bool],
    out: &mut Vec<Range<usize>>,
) -> usize {
    let mut n = 0;
    while i < stop {
        i = skip(text, i, stop, b" \t\r\n");
        let value = if text.get(i) == Some(&b'\'') {
            // SQL doubles a quote inside a string.
            let mut e = i + 1;
            while e < stop && !(text[e] == b'\'' && text.get(e + 1) != Some(&b'\'')) {
                e += if text[e] == b'\'' { 2 } else { 1 };
            }
            let v = i + 1..e.min(stop);
            i = (e + 1).min(stop);
            v
        } else {
            let e = text[i..stop]
                .iter()
                .position(|b| b",)".contains(b))
                .map_or(stop, |k| i + k);
            let v = i..e;
            i = e;
            v
        };
        if phi.get(n).copied().unwrap_or(false) && !value.is_empty() {
            out.push(value);
        }
        i = skip(text, i, stop, b" \t\r\n");
        match text.get(i) {
            Some(b',') if i < stop => {
                n += 1;
                i += 1;
            }
            _ => return (i + 1).min(stop),
        }
    }
    stop
}

/// Whether a column name is a PHI label, or holds a name, address, phone number or e-mail.
fn phi_column(name: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"name", b"address", b"street", b"phone", b"email", b"zip", b"birth",
    ];
    let name: Vec<u8> = name
        .iter()
        .filter(|b| !b" \t\r\n`\"[]".contains(b))
        .map(u8::to_ascii_lowercase)
        .collect();
    let label = labels().find_iter(&name).any(|m| {
        m.pattern().as_usize() < LABELS.len()
            && (m.start() == 0 || !word_byte(name[m.start() - 1]))
            && !name.get(m.end()).is_some_and(|&b| word_byte(b))
    });
    label
        || WORDS
            .iter()
            .any(|w| memchr::memmem::find(&name, w).is_some())
}

/// The index of the closing quote of a JSON string whose body starts at `from` (or `stop`).
fn string_end(text: &[u8], from: usize, stop: usize) -> usize {
    let mut i = from;
    while i < stop {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    stop
}

fn skip(text: &[u8], mut i: usize, stop: usize, set: &[u8]) -> usize {
    while i < stop && set.contains(&text[i]) {
        i += 1;
    }
    i
}

/// Ten-digit runs (not part of a longer run or a word) starting with 1 or 2 that pass the
/// NPI check digit (Luhn over `80840` + the digits): one in ten ten-digit numbers does, the
/// price of masking NPIs that no label announces.
fn npi_shapes(text: &[u8], region: Range<usize>, out: &mut Vec<Range<usize>>) {
    let mut i = region.start;
    while i < region.end {
        if !text[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < region.end && text[i].is_ascii_digit() {
            i += 1;
        }
        let bounded = (start == 0 || !word_byte(text[start - 1]))
            && !text.get(i).is_some_and(|&b| word_byte(b));
        if i - start == 10 && bounded && matches!(text[start], b'1' | b'2') {
            let mut digits = vec![8, 0, 8, 4, 0];
            digits.extend(text[start..i].iter().map(|b| b - b'0'));
            if crate::detect::validators::common::luhn_valid(&digits) {
                out.push(start..i);
            }
        }
    }
}

#[cfg(test)]
mod tests;
