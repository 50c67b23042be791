//! Validators of the label- and shape-driven PHI rules: D2 ITIN, D3 MRN, D5 MBI/HICN, D6 NPI,
//! D7 DEA, VIN, UDI and the DICOM file rule. Each checks the value (via [`super::ids`]) and
//! picks a severity from the context the matcher and [`super::context`] report.

use super::context;
use super::ids::{self, Check};
use crate::detect::validators::common::boundary_ok;
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;

fn bounded(c: &Candidate<'_>) -> bool {
    boundary_ok(c.text, c.value.clone())
}

/// D2: ITIN. Separators both absent or equal; unformatted needs a keyword.
pub(super) fn itin(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let seps: Vec<u8> = v.iter().copied().filter(|b| !b.is_ascii_digit()).collect();
    let formatted = match seps.as_slice() {
        [] => false,
        [a, b] if a == b && v[3] == *a => true,
        _ => return Verdict::Reject,
    };
    if !bounded(c) || (!formatted && !c.keyword) {
        return Verdict::Reject;
    }
    match (c.keyword, v.starts_with(b"999")) {
        (true, _) => Verdict::accept().with_detail("labelled as a taxpayer id"),
        (false, true) => Verdict::synthetic(),
        (false, false) => Verdict::at(Severity::Info).with_detail("no ITIN label nearby"),
    }
}

/// D3: a label-anchored MRN (the label is in the regex).
pub(super) fn mrn(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) || ids::mrn(c.value_bytes()) != Check::Valid {
        return Verdict::Reject;
    }
    Verdict::accept()
}

/// The value of a labelled identifier with no format of its own (a member, account or
/// licence number): up to three letters, then `min..=max` digits with single dashes, and
/// at most one letter after them when `tail` (a passport's); not one digit throughout, a
/// run (`12345678`) or a date (`2024-01-15`).
fn labelled_value(v: &[u8], digits: std::ops::RangeInclusive<usize>, tail: bool) -> bool {
    use crate::detect::validators::common::{all_same, is_sequential};
    let lead = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let body = match v[lead..] {
        [ref body @ .., last] if tail && last.is_ascii_alphabetic() => body,
        ref body => body,
    };
    let d = crate::detect::validators::common::digits(body);
    lead <= 3
        && digits.contains(&d.len())
        && body.iter().all(|b| b.is_ascii_digit() || *b == b'-')
        && !body.windows(2).any(|w| w == b"--")
        && !all_same(&d)
        && !is_sequential(&d)
        && !ids::date_like(body)
}

/// Whether the label starts a word: `member` in `remember` is no label, in `memberId`,
/// `plan_member` and `patientMemberId` it is.
fn label_starts_word(c: &Candidate<'_>) -> bool {
    let first = c.text[c.whole.start];
    match c.whole.start.checked_sub(1).map(|i| c.text[i]) {
        Some(p) if p.is_ascii_alphanumeric() => {
            p.is_ascii_lowercase() && first.is_ascii_uppercase()
        }
        _ => true,
    }
}

/// HIPAA (I): a health plan's member or subscriber id after its label. WARN, as an MRN.
pub(super) fn member_id(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) || !label_starts_word(c) || !labelled_value(c.value_bytes(), 5..=14, false) {
        return Verdict::Reject;
    }
    Verdict::accept()
}

/// HIPAA (J): an account number after its label. WARN when the label or the record names a
/// patient's or a bill's account (`patient account #`, `guarantor account`); a bare
/// `account number` elsewhere (a bank's, a vendor's) is INFO.
pub(super) fn account_number(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) || !label_starts_word(c) || !labelled_value(c.value_bytes(), 5..=17, false) {
        return Verdict::Reject;
    }
    const OWNERS: &[&[u8]] = &[
        b"patient",
        b"billing",
        b"hospital",
        b"guarantor",
        b"visit",
        b"encounter",
    ];
    let label = &c.text[c.whole.start..c.value.start];
    if OWNERS
        .iter()
        .any(|w| crate::detect::validators::common::contains_ci(label, w))
        || context::patient(c)
    {
        Verdict::accept()
    } else {
        Verdict::at(Severity::Info)
    }
}

/// HIPAA (K): a driver's licence or passport number after its label. Synthea's shapes
/// (`S999…` licences, `X…X` passports) are synthetic.
pub(super) fn licence(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if !bounded(c) || !label_starts_word(c) || !labelled_value(v, 5..=14, true) {
        return Verdict::Reject;
    }
    if ids::synthea_licence(v) {
        return Verdict::synthetic();
    }
    Verdict::accept()
}

/// `[rules.mrn] value_regex`: the org's own MRN shape, still label-anchored.
pub(super) fn mrn_org(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) {
        return Verdict::Reject;
    }
    Verdict::accept().with_detail("matches the organisation's MRN format")
}

/// D5: MBI. Dashed: WARN, BLOCK with context; undashed: INFO, BLOCK with context. Context is
/// a keyword or a CSV column naming Medicare.
pub(super) fn mbi(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) {
        return Verdict::Reject;
    }
    let ctx = c.keyword
        || context::column(c).is_some_and(|col| {
            context::has_any(col, &[b"mbi", b"medicare", b"beneficiary", b"hicn"])
        });
    match (ids::mbi(c.value_bytes()), ctx) {
        (Check::Invalid, _) => Verdict::Reject,
        (Check::Synthetic, _) => Verdict::synthetic(),
        (Check::Valid, true) => Verdict::at(Severity::Block).with_detail("labelled as Medicare"),
        (Check::Valid, false) if c.value.len() == 13 => Verdict::at(Severity::Warn),
        (Check::Valid, false) => Verdict::at(Severity::Info),
    }
}

/// D5: an MBI written in lower case, beside a Medicare keyword on its line (the rule
/// requires it, and its `span_lines = 0` keeps the keyword on the value's line): CMS reads it
/// as the upper-case MBI, so it is one, BLOCK as a labelled MBI is. A value without a
/// lower-case letter is `phi.mbi`'s.
pub(super) fn mbi_lowercase(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if !bounded(c) || !v.iter().any(u8::is_ascii_lowercase) {
        return Verdict::Reject;
    }
    match ids::mbi(&v.to_ascii_uppercase()) {
        Check::Invalid => Verdict::Reject,
        Check::Synthetic => Verdict::synthetic(),
        Check::Valid => Verdict::at(Severity::Block).with_detail("labelled as Medicare"),
    }
}

/// D5: HICN (an SSN plus a beneficiary code), keyword required by the rule.
pub(super) fn hicn(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) {
        return Verdict::Reject;
    }
    match ids::hicn(c.value_bytes()) {
        Check::Valid => Verdict::accept(),
        Check::Synthetic => Verdict::synthetic(),
        Check::Invalid => Verdict::Reject,
    }
}

/// D6: NPI, keyword required. A provider id is public (NPPES): INFO, WARN when labelled as an
/// NPI outright or inside a patient-level record (it ties the patient to a provider).
pub(super) fn npi(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) {
        return Verdict::Reject;
    }
    match ids::npi(c.value_bytes()) {
        Check::Invalid => Verdict::Reject,
        Check::Synthetic => Verdict::synthetic(),
        Check::Valid
            if context::near(c, &[b"npi", b"national provider"]) || context::patient(c) =>
        {
            Verdict::at(Severity::Warn)
        }
        Check::Valid => Verdict::at(Severity::Info),
    }
}

/// D7: DEA registration number. WARN with a keyword, INFO without (SKUs pass 10% of the time).
pub(super) fn dea(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) {
        return Verdict::Reject;
    }
    match (ids::dea(c.value_bytes()), c.keyword) {
        (Check::Invalid, _) => Verdict::Reject,
        (Check::Synthetic, _) => Verdict::synthetic(),
        (Check::Valid, true) => Verdict::at(Severity::Warn),
        (Check::Valid, false) => Verdict::at(Severity::Info),
    }
}

/// VIN (Safe Harbor L): ISO 3779 check digit next to a vehicle keyword; INFO (a vehicle, not
/// a patient, unless co-located with one).
pub(super) fn vin(c: &Candidate<'_>) -> Verdict {
    if !bounded(c) || ids::vin(c.value_bytes()) != Check::Valid {
        return Verdict::Reject;
    }
    Verdict::at(Severity::Info)
}

/// UDI device identifier `(01)` + GTIN-14 (Safe Harbor M).
pub(super) fn udi(c: &Candidate<'_>) -> Verdict {
    let after = c.text.get(c.value.end).copied();
    if after.is_some_and(|b| b.is_ascii_digit()) || ids::gtin14(c.value_bytes()) != Check::Valid {
        return Verdict::Reject;
    }
    Verdict::accept()
}

/// An added DICOM file: the source hands its 132-byte preamble over as the whole text.
pub(super) fn dicom(c: &Candidate<'_>) -> Verdict {
    if c.text.len() == 132 && c.value == (128..132) {
        Verdict::accept().with_detail("a DICOM image carries patient demographics in its header")
    } else {
        Verdict::Reject
    }
}
