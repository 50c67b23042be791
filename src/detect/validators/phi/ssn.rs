//! D1 `us_ssn`: the formatted shape `ddd-dd-dddd` (separators `-`, space or `.`, both the
//! same) runs everywhere; the unformatted nine digits only next to an SSN keyword.

use crate::detect::validators::common::{all_same, boundary_ok};
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;

/// What nine digits are, as far as SSN rules go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsnClass {
    /// Could be issued: area 001–899 except 666, group ≠ 00, serial ≠ 0000.
    Valid,
    /// A well-known dummy or synthetic value (Woolworth card, advertising SSNs,
    /// `123-45-6789`, all one digit, Synthea's 999 area).
    Synthetic,
    /// Area 900–998: the ITIN / fake-SSN space, left to the ITIN rule.
    ItinSpace,
    /// Never issued (area 000 or 666, group 00, serial 0000).
    Invalid,
}

/// Classifies nine ASCII digits.
pub fn classify_ssn(d: &[u8; 9]) -> SsnClass {
    const DUMMIES: [&[u8; 9]; 4] = [b"078051120", b"219099999", b"457555462", b"123456789"];
    // `111-22-3333`, `444-22-2222`: each group one repeated digit is a typed-in placeholder.
    let placeholder = all_same(&d[..3]) && all_same(&d[3..5]) && all_same(&d[5..]);
    if DUMMIES.contains(&d) || placeholder || d.starts_with(b"98765432") {
        return SsnClass::Synthetic;
    }
    let num = |r: std::ops::Range<usize>| {
        d[r].iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    if area == 999 {
        return SsnClass::Synthetic;
    }
    if area >= 900 {
        return SsnClass::ItinSpace;
    }
    if area == 0 || area == 666 || group == 0 || serial == 0 {
        return SsnClass::Invalid;
    }
    SsnClass::Valid
}

/// The nine digits of `ddd?dd?dddd` with matching separators, or `None`.
fn nine_digits(value: &[u8]) -> Option<([u8; 9], Option<u8>)> {
    let (digits, sep): (Vec<u8>, Option<u8>) = match value.len() {
        9 => (value.to_vec(), None),
        11 if value[3] == value[6] && !value[3].is_ascii_digit() => {
            let mut v = value[..3].to_vec();
            v.extend_from_slice(&value[4..6]);
            v.extend_from_slice(&value[7..]);
            (v, Some(value[3]))
        }
        _ => return None,
    };
    let arr: [u8; 9] = digits.try_into().ok()?;
    arr.iter().all(u8::is_ascii_digit).then_some((arr, sep))
}

/// detectors.md D1.
pub(super) fn validate(c: &Candidate<'_>) -> Verdict {
    let Some((digits, sep)) = nine_digits(c.value_bytes()) else {
        return Verdict::Reject;
    };
    if !boundary_ok(c.text, c.value.clone()) {
        return Verdict::Reject;
    }
    // Unformatted nine digits and dotted ones (version strings) need an SSN keyword.
    if (sep.is_none() || sep == Some(b'.')) && !c.keyword {
        return Verdict::Reject;
    }
    match classify_ssn(&digits) {
        SsnClass::Valid if c.keyword => Verdict::accept(),
        SsnClass::Valid => Verdict::at(Severity::Warn).with_detail("no SSN label nearby"),
        SsnClass::Synthetic => Verdict::synthetic(),
        SsnClass::ItinSpace | SsnClass::Invalid => Verdict::Reject,
    }
}

/// D1, glued (`phi.ssn-glued`): nine digits written against the SSN label before them
/// (`SSNddddddddd`, the pattern's `gap` empty), or dashed and against the letters after them
/// (`SSN:ddd-dd-ddddDOB`), never inside a longer number. A value with a boundary on both
/// sides is `phi.ssn`'s.
pub(super) fn glued(c: &Candidate<'_>) -> Verdict {
    let Some((digits, sep)) = nine_digits(c.value_bytes()) else {
        return Verdict::Reject;
    };
    let after = c.text.get(c.value.end).copied();
    if after.is_some_and(|b| b.is_ascii_digit()) {
        return Verdict::Reject;
    }
    let glued_left = c.group("gap").is_some_and(|g| g.is_empty());
    let glued_right = sep == Some(b'-') && after.is_some_and(|b| b.is_ascii_alphabetic());
    if !(glued_left || glued_right) {
        return Verdict::Reject;
    }
    match classify_ssn(&digits) {
        SsnClass::Valid => Verdict::accept(),
        SsnClass::Synthetic => Verdict::synthetic(),
        SsnClass::ItinSpace | SsnClass::Invalid => Verdict::Reject,
    }
}

#[cfg(test)]
mod tests;
