//! D8 HL7 v2: PID, NK1, IN1 and GT1 segments, raw or inside a string literal, read field by
//! field (delimiters from the nearest MSH). The finding points at the most identifying field
//! that sits on an added line.

use super::ids::{self, Check};
use super::markers;
use crate::detect::structure::hl7::{self, Delims};
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;
use std::ops::Range;

/// The message around a segment (for markers): a few KiB either side.
/// The message around a candidate: from the last `MSH|` before it to the next one after it,
/// within 4 KiB either way. Taking all 8 KiB for every candidate read a file of short messages
/// (CR-separated, one "line" of 50 MB) 90 times over.
fn message<'a>(c: &Candidate<'a>) -> &'a [u8] {
    use crate::detect::structure::hl7::{first_msh, last_msh};
    let lo = c.whole.start.saturating_sub(4096);
    let hi = c.text.len().min(c.whole.end + 4096);
    let start = last_msh(&c.text[lo..c.whole.start]).map_or(lo, |i| lo + i);
    let end = first_msh(&c.text[c.whole.end..hi]).map_or(hi, |i| c.whole.end + i);
    crate::work::add(end - start);
    &c.text[start..end]
}

fn component(t: &[u8], f: &Range<usize>, d: Delims, n: usize) -> Option<Range<usize>> {
    hl7::split(t, f.clone(), d.component)
        .into_iter()
        .nth(n)
        .filter(|r| !r.is_empty())
}

fn full_date(v: &[u8]) -> bool {
    v.len() >= 8
        && v[..8].iter().all(u8::is_ascii_digit)
        && ids::parse_date(&v[..8]).is_some_and(|(y, m, d)| ids::real_date(y, m, d))
}

/// From `first` to the end of the segment's last non-empty field, on `first`'s line: the
/// reported span covers every identifying field, so the masked excerpt shows none of them.
fn to_segment_end(t: &[u8], fields: &[Range<usize>], first: Range<usize>) -> Range<usize> {
    let line_end = crate::detect::validators::common::line_bounds(t, first.start).end;
    let end = fields
        .iter()
        .rev()
        .find(|r| !r.is_empty())
        .map_or(first.end, |r| r.end)
        .clamp(first.end, line_end.max(first.end));
    first.start..end
}

/// PID-3 repeats: (first valid id, SSN repeat valid, synthetic).
fn pid3(t: &[u8], f: &Range<usize>, d: Delims) -> (Option<Range<usize>>, bool, bool) {
    let (mut id, mut ssn, mut synthetic) = (None, false, false);
    for rep in hl7::split(t, f.clone(), d.repetition) {
        let Some(v) = component(t, &rep, d, 0) else {
            continue;
        };
        let kind = component(t, &rep, d, 4)
            .map(|r| t[r].to_vec())
            .unwrap_or_default();
        let val = &t[v.clone()];
        let check = match kind.as_slice() {
            b"SS" => {
                let c = ids::ssn(val);
                ssn |= c == Check::Valid;
                c
            }
            b"MC" | b"MB" if ids::mbi(val) != Check::Invalid => ids::mbi(val),
            _ if val.iter().any(u8::is_ascii_digit) && val.len() >= 4 => Check::Valid,
            _ => Check::Invalid,
        };
        synthetic |= check == Check::Synthetic;
        if check == Check::Valid && id.is_none() {
            id = Some(v);
        }
    }
    (id, ssn, synthetic)
}

/// D8: one segment.
pub(super) fn segment(c: &Candidate<'_>) -> Verdict {
    let t = c.text;
    let Some(start) = c.group("seg") else {
        return Verdict::Reject;
    };
    let d = hl7::delims_at(t, start.start);
    let seg = hl7::segment(t, start.start);
    let f = hl7::fields(t, seg, d);
    let name = &t[start.clone()][..3];
    let field = |n| hl7::field(t, &f, n);
    if markers::structure_marked(message(c)) {
        return field(5).map_or(Verdict::Reject, |r| Verdict::synthetic().with_span(r));
    }
    match name {
        b"PID" => pid(c, &f, d),
        _ => other_segment(c, &f, name),
    }
}

/// NK1, IN1, GT1: a name plus an identifier, address or DOB field: WARN.
fn other_segment(c: &Candidate<'_>, f: &[Range<usize>], name: &[u8]) -> Verdict {
    let t = c.text;
    let field = |n| hl7::field(t, f, n);
    let added = |r: &Range<usize>| c.is_added(r.start);
    let (name_f, id_fs): (usize, &[usize]) = match name {
        b"NK1" => (2, &[4, 5, 33]),
        b"IN1" => (16, &[2, 36, 49, 18]),
        _ => (3, &[12, 5, 8]),
    };
    let Some(nm) = field(name_f) else {
        return Verdict::Reject;
    };
    if markers::any_synthea_name([&t[nm.clone()]]) {
        return Verdict::synthetic().with_span(nm);
    }
    if let Some(v) = segment_ssn(c, f, name) {
        return v;
    }
    let other = id_fs.iter().filter_map(|&n| field(n)).find(|r| added(r));
    match other {
        // The name only: the address and phone fields are their own findings.
        Some(r) if added(&nm) || added(&r) => Verdict::at(Severity::Warn)
            .with_span(if added(&nm) { nm } else { r })
            .with_detail(format!(
                "HL7 {} segment with a name and an identifier",
                String::from_utf8_lossy(name)
            )),
        _ => Verdict::Reject,
    }
}

/// An SSN, formatted or not, in the field that holds one: NK1-37 (contact person's SSN),
/// GT1-12 (guarantor's SSN), IN1-49 (insured's id) when its CX type is `SS`. A valid one
/// blocks, a synthetic one (9xx, the SSA's examples) is marked.
fn segment_ssn(c: &Candidate<'_>, f: &[Range<usize>], name: &[u8]) -> Option<Verdict> {
    let t = c.text;
    let d = hl7::delims_at(t, c.whole.start);
    let r = match name {
        b"NK1" => hl7::field(t, f, 37)?,
        b"GT1" => hl7::field(t, f, 12)?,
        b"IN1" => {
            let r = hl7::field(t, f, 49)?;
            let kind = component(t, &r, d, 4)?;
            if &t[kind] != b"SS" {
                return None;
            }
            r
        }
        _ => return None,
    };
    let v = component(t, &r, d, 0).unwrap_or(r);
    if !c.is_added(v.start) {
        return None;
    }
    match ids::ssn(&t[v.clone()]) {
        Check::Valid => Some(
            Verdict::at(Severity::Block)
                .with_span(v)
                .with_detail(format!(
                    "HL7 {} segment with an SSN",
                    String::from_utf8_lossy(name)
                )),
        ),
        Check::Synthetic => Some(Verdict::synthetic().with_span(v)),
        Check::Invalid => None,
    }
}

fn pid(c: &Candidate<'_>, f: &[Range<usize>], d: Delims) -> Verdict {
    let t = c.text;
    let field = |n| hl7::field(t, f, n);
    let Some(name) = field(5) else {
        return Verdict::Reject;
    };
    if markers::any_synthea_name([&t[name.clone()]]) {
        return Verdict::synthetic().with_span(name);
    }
    let dob = field(7).filter(|r| full_date(&t[r.clone()]));
    let ssn19 = field(19).filter(|r| ids::ssn(&t[r.clone()]) != Check::Invalid);
    let (id3, ssn3, syn3) = field(3).map_or((None, false, false), |r| pid3(t, &r, d));
    let ssn_syn = ssn19
        .as_ref()
        .is_some_and(|r| ids::ssn(&t[r.clone()]) == Check::Synthetic);
    if syn3 || ssn_syn {
        return Verdict::synthetic().with_span(name);
    }
    if dob.is_none() && ssn19.is_none() && id3.is_none() {
        return Verdict::Reject;
    }
    let what = if ssn3 || ssn19.is_some() {
        "HL7 PID segment with a patient name and SSN"
    } else if id3.is_some() {
        "HL7 PID segment with a patient name and identifier"
    } else {
        "HL7 PID segment with a patient name and birth date"
    };
    let first = [id3, Some(name), dob, ssn19]
        .into_iter()
        .flatten()
        .filter(|r| c.is_added(r.start))
        .min_by_key(|r| r.start);
    match first {
        Some(s) => Verdict::at(Severity::Block)
            .with_span(to_segment_end(t, f, s))
            .with_detail(what),
        None => Verdict::Reject,
    }
}
