//! Values in a labelled column: a CSV/TSV export whose header names the column (`ssn`,
//! `mrn`, `medicare_id`, `npi`). The header is the label (detectors.md §1.4), so a bare value
//! under it counts as labelled even when the header is hundreds of lines up.

use super::context;
use super::ids::{self, Check};
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;

/// What a column holds, by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ssn,
    Mbi,
    Npi,
    Mrn,
    Anchor,
}

fn kind(col: &[u8]) -> Option<Kind> {
    let n = context::normalize(col);
    let has = |w: &[u8]| crate::detect::validators::common::contains_ci(&n, w);
    Some(if has(b"ssn") || has(b"socialsecurity") || has(b"socsec") {
        Kind::Ssn
    } else if has(b"mbi") || has(b"medicare") || has(b"hicn") || has(b"beneficiary") {
        Kind::Mbi
    } else if has(b"npi") {
        Kind::Npi
    } else if has(b"mrn")
        || has(b"medicalrecord")
        || has(b"medrec")
        || has(b"chart")
        || n == b"patientid"
        || has(b"memberid")
        || has(b"subscriberid")
        || has(b"medicaid")
        || has(b"accountnumber")
        || has(b"accountno")
    {
        Kind::Mrn
    } else if has(b"dob") || has(b"birth") || has(b"name") || has(b"address") || has(b"street") {
        Kind::Anchor
    } else {
        return None;
    })
}

/// [`kind`] of a column name, from the last few names asked about: every candidate of a CSV
/// asks it of the same few headers, and each answer is a normalization and up to two dozen
/// substring searches.
fn kind_of(col: &[u8]) -> Option<Kind> {
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(Vec<u8>, Option<Kind>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    const KEPT: usize = 16;
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if let Some((_, k)) = seen.iter().find(|(c, _)| c.as_slice() == col) {
            return *k;
        }
        let k = kind(col);
        if seen.len() >= KEPT {
            seen.remove(0);
        }
        seen.push((col.to_vec(), k));
        k
    })
}

/// Whether a header has person-level columns (NPI there ties a patient to a provider).
fn patient_table(c: &Candidate<'_>) -> bool {
    let line = crate::detect::structure::csv::column_name(c.text, &c.value);
    line.is_some() && context::near(c, &[b"patient", b"member"])
        || header_line(c).is_some_and(|h| {
            context::has_any(
                h,
                &[
                    b"ssn",
                    b"mrn",
                    b"dob",
                    b"birth",
                    b"patient",
                    b"member",
                    b"lastname",
                    b"firstname",
                ],
            )
        })
}

fn header_line<'a>(c: &Candidate<'a>) -> Option<&'a [u8]> {
    let r = crate::detect::structure::csv::column_name(c.text, &c.value)?;
    let line = crate::detect::validators::common::line_bounds(c.text, r.start);
    Some(&c.text[line])
}

fn trimmed<'a>(c: &Candidate<'a>) -> &'a [u8] {
    c.value_bytes()
}

/// An identifier in a labelled column.
pub(super) fn identifier(c: &Candidate<'_>) -> Verdict {
    let v = trimmed(c);
    if v.iter().filter(|b| b.is_ascii_digit()).count() < 5 {
        return Verdict::Reject;
    }
    let Some(col) = context::column(c) else {
        return Verdict::Reject;
    };
    let Some(k) = kind_of(col) else {
        return Verdict::Reject;
    };
    let col_name = String::from_utf8_lossy(col);
    let (check, sev, what) = match k {
        Kind::Ssn => (ids::ssn(v), Severity::Block, "US SSN"),
        Kind::Mbi => {
            // CMS reads an MBI or a HICN typed in lower case as the upper-case one.
            let v = v.to_ascii_uppercase();
            let m = ids::mbi(&v);
            let m = if m == Check::Invalid {
                ids::hicn(&v)
            } else {
                m
            };
            (m, Severity::Block, "Medicare id")
        }
        Kind::Npi => {
            let sev = if patient_table(c) {
                Severity::Warn
            } else {
                Severity::Info
            };
            (ids::npi(v), sev, "provider NPI")
        }
        Kind::Mrn => (
            ids::mrn(v),
            Severity::Warn,
            "medical record or member number",
        ),
        Kind::Anchor => return Verdict::Reject,
    };
    match check {
        Check::Valid => Verdict::at(sev).with_detail(format!("{what} in CSV column `{col_name}`")),
        Check::Synthetic => Verdict::synthetic(),
        Check::Invalid => Verdict::Reject,
    }
}
