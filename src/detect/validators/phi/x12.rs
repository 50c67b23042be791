//! X12 837/834 `NM1` segments: a named person or provider with an id qualifier — `MI` member
//! id, `34` SSN, `XX` NPI (NM108/NM109).

use super::ids::{self, Check};
use super::markers;
use crate::detect::structure::x12;
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;

/// One `NM1` segment.
pub(super) fn nm1(c: &Candidate<'_>) -> Verdict {
    let t = c.text;
    let seps = x12::seps_at(t, c.whole.start);
    if t.get(c.whole.start + 3) != Some(&seps.element) {
        return Verdict::Reject;
    }
    let seg = x12::segment(t, c.whole.start, seps);
    let seg_all = seg.clone();
    let e = x12::elements(t, seg, seps);
    let el = |n: usize| e.get(n).filter(|r| !r.is_empty()).cloned();
    let (Some(qual), Some(id)) = (el(8), el(9)) else {
        return Verdict::Reject;
    };
    let v = &t[id.clone()];
    let person = el(2).is_some_and(|r| &t[r] == b"1");
    let named = el(3).is_some_and(|r| t[r].iter().any(u8::is_ascii_alphabetic));
    if el(3).is_some_and(|r| markers::any_synthea_name([&t[r]]))
        || markers::structure_marked(&t[seg_all])
    {
        return Verdict::synthetic().with_span(id);
    }
    let verdict = match &t[qual] {
        b"34" => match ids::ssn(v) {
            Check::Valid => {
                Verdict::at(Severity::Block).with_detail("SSN in an X12 NM1 segment (qualifier 34)")
            }
            Check::Synthetic => Verdict::synthetic(),
            Check::Invalid => Verdict::Reject,
        },
        b"MI" | b"II" | b"ZZ" if named && v.iter().filter(|b| b.is_ascii_digit()).count() >= 4 => {
            match ids::mbi(v) {
                Check::Synthetic => Verdict::synthetic(),
                _ if person => Verdict::at(Severity::Block).with_detail(
                    "member id of a named person in an X12 NM1 segment (qualifier MI)",
                ),
                _ => Verdict::at(Severity::Warn).with_detail("member id in an X12 NM1 segment"),
            }
        }
        b"XX" => match ids::npi(v) {
            Check::Valid => {
                Verdict::at(Severity::Info).with_detail("provider NPI in an X12 NM1 segment")
            }
            Check::Synthetic => Verdict::synthetic(),
            Check::Invalid => Verdict::Reject,
        },
        _ => Verdict::Reject,
    };
    // Cover name through id, so the masked excerpt shows neither.
    let from = el(3).map_or(id.start, |r| r.start.min(id.start));
    let line_end = crate::detect::validators::common::line_bounds(t, from).end;
    verdict.with_span(from..id.end.min(line_end.max(id.end)))
}
