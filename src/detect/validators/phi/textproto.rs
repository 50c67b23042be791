//! FHIR in protobuf text format (google/fhir: `.prototxt`, `.textproto`): a Patient written
//! as `name { family { value: "…" } }`, `birth_date { value_us: … precision: DAY }`,
//! `address { line { value: "…" } }`, `identifier { … value { value: "…" } }`. The rule
//! triggers on a day-precision `birth_date`; the validator scores the resource around it the
//! way detectors.md 4c scores a JSON Patient (a name and a full birth date are enough).

use super::ids;
use super::markers;
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;
use memchr::memmem;
use std::ops::Range;

#[cfg(test)]
mod tests;

/// How far around the birth date the resource's other elements are looked for.
const REACH: usize = 16 * 1024;

/// The string values of `key { … value: "…" }` in `region` (offsets into `text`): the first
/// `value: "` within 200 bytes after each `key {`.
pub(crate) fn string_values(text: &[u8], region: Range<usize>, key: &[u8]) -> Vec<Range<usize>> {
    let hay = &text[region.clone()];
    let open = [key, b" {"].concat();
    let mut out = Vec::new();
    for at in memmem::find_iter(hay, &open) {
        if at > 0 && (hay[at - 1].is_ascii_alphanumeric() || hay[at - 1] == b'_') {
            continue; // `postal_code {` is not `code {`
        }
        let from = at + open.len();
        let window = &hay[from..hay.len().min(from + 200)];
        let Some(v) = memmem::find(window, b"value: \"") else {
            continue;
        };
        let start = from + v + 8;
        let mut end = start;
        while end < hay.len() && hay[end] != b'"' && hay[end] != b'\n' {
            end += if hay[end] == b'\\' { 2 } else { 1 };
        }
        if end <= hay.len() && end > start {
            out.push(region.start + start..region.start + end.min(hay.len()));
        }
    }
    out
}

/// Days since 1970-01-01 to a civil date (proleptic Gregorian).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A FHIR textproto Patient with a day-precision birth date and a name.
pub(super) fn patient(c: &Candidate<'_>) -> Verdict {
    let t = c.text;
    let v = c.value_bytes();
    let after = &t[c.value.end..t.len().min(c.value.end + 200)];
    let close = memchr::memchr(b'}', after).unwrap_or(after.len());
    if memmem::find(&after[..close], b"precision: DAY").is_none() {
        return Verdict::Reject;
    }
    let Ok(us) = std::str::from_utf8(v).unwrap_or("x").parse::<i64>() else {
        return Verdict::Reject;
    };
    // value_us is midnight in the record's time zone: round to the nearest day.
    let days = (us + 43_200_000_000).div_euclid(86_400_000_000);
    let (y, m, d) = civil_from_days(days);
    let Ok(y) = u32::try_from(y) else {
        return Verdict::Reject;
    };
    if !ids::real_date(y, m, d) || (m, d) == (1, 1) || y > ids::current_year() {
        return Verdict::Reject;
    }
    let region = c.value.start.saturating_sub(REACH)..t.len().min(c.value.end + REACH);
    let names: Vec<Range<usize>> = string_values(t, region.clone(), b"family")
        .into_iter()
        .chain(string_values(t, region.clone(), b"given"))
        .filter(|r| t[r.clone()].iter().any(u8::is_ascii_alphabetic))
        .collect();
    if names.is_empty() {
        return Verdict::Reject;
    }
    if markers::structure_marked(&t[region.clone()])
        || markers::any_synthea_name(names.iter().map(|r| &t[r.clone()]))
    {
        return Verdict::synthetic();
    }
    let has = |key: &[u8], ok: fn(&[u8]) -> bool| {
        string_values(t, region.clone(), key)
            .iter()
            .any(|r| ok(&t[r.clone()]))
    };
    let address =
        has(b"line", |v| v.iter().any(u8::is_ascii_digit)) || has(b"postal_code", |v| v.len() >= 5);
    let identifier = memmem::find(&t[region.clone()], b"identifier {").is_some()
        && has(b"value", |v| {
            v.iter().filter(|b| b.is_ascii_digit()).count() >= 4
                && !v.starts_with(b"http")
                && !v.starts_with(b"urn:")
        });
    let telecom = memmem::find(&t[region.clone()], b"telecom {").is_some()
        && has(b"value", |v| {
            v.contains(&b'@')
                || (10..=11).contains(&v.iter().filter(|b| b.is_ascii_digit()).count())
        });
    let score = 2 + usize::from(address) + usize::from(identifier) + usize::from(telecom);
    let sev = if score >= 4 || identifier {
        Severity::Block
    } else {
        Severity::Warn
    };
    let mut parts = vec!["name", "birth date"];
    for (on, what) in [
        (address, "address"),
        (telecom, "telecom"),
        (identifier, "identifier"),
    ] {
        if on {
            parts.push(what);
        }
    }
    Verdict::at(sev).with_detail(format!("elements: {}", parts.join(", ")))
}
