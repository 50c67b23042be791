//! C-CDA patient identity: the elements under `recordTarget/patientRole` that identify the
//! patient (detectors.md D4, C-CDA): `<id extension=…>` (the MRN, under any facility root),
//! `<birthTime value=…>` and `<given>`/`<family>` under `<patient>`, `<streetAddressLine>` and
//! `<telecom value="tel:…">` of the patient role. Without a tree walk: each value's enclosing
//! element is found by a bounded look back for its opening tag with no closing tag after it
//! (linear: at most [`REACH`] bytes per candidate).

use super::ids;
use super::markers;
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;
use memchr::memmem;

#[cfg(test)]
mod tests;

/// How far above a value its `<patientRole>` or `<patient>` may open.
const REACH: usize = 4096;

/// Whether `pos` lies inside an element opened by `<name` (then `>`, `/` or whitespace) that
/// has not been closed by `</name>` before `pos`, looking back at most [`REACH`] bytes.
pub(crate) fn inside(text: &[u8], pos: usize, name: &[u8]) -> bool {
    let from = pos.saturating_sub(REACH);
    let window = &text[from..pos];
    let open = [b"<".as_slice(), name].concat();
    let close = [b"</".as_slice(), name, b">"].concat();
    let mut end = window.len();
    let opened = loop {
        let Some(i) = memmem::rfind(&window[..end], &open) else {
            break None;
        };
        match window.get(i + open.len()) {
            Some(b) if *b == b'>' || *b == b'/' || b.is_ascii_whitespace() => break Some(i),
            _ => end = i,
        }
    };
    opened.is_some_and(|i| memmem::find(&window[i..], &close).is_none())
}

/// The HL7 example OID root (`2.16.840.1.113883.19`): sample documents, not patients.
fn example_root(element: &[u8]) -> bool {
    memmem::find(element, b"root=\"2.16.840.1.113883.19.").is_some()
        || memmem::find(element, b"root=\"2.16.840.1.113883.19\"").is_some()
}

/// The start tag around the match (`<id … />`).
fn start_tag<'a>(c: &Candidate<'a>) -> &'a [u8] {
    let t = c.text;
    let lo = memchr::memrchr(b'<', &t[..c.value.start]).unwrap_or(c.whole.start);
    let hi = memchr::memchr(b'>', &t[c.value.end..]).map_or(t.len(), |i| c.value.end + i + 1);
    &t[lo..hi]
}

fn in_patient_role(c: &Candidate<'_>) -> bool {
    inside(c.text, c.value.start, b"patientRole")
}

fn in_patient(c: &Candidate<'_>) -> bool {
    in_patient_role(c) && inside(c.text, c.value.start, b"patient")
}

/// `<id extension="…" root="…"/>` directly under `<patientRole>` (not inside `<patient>`,
/// `<providerOrganization>`): the patient's record number at that facility.
pub(super) fn patient_id(c: &Candidate<'_>) -> Verdict {
    if !in_patient_role(c)
        || inside(c.text, c.value.start, b"patient")
        || inside(c.text, c.value.start, b"providerOrganization")
    {
        return Verdict::Reject;
    }
    let v = c.value_bytes();
    let tag = start_tag(c);
    if memmem::find(tag, b"nullFlavor").is_some()
        || !v.iter().any(u8::is_ascii_digit)
        || v.iter().all(|&b| b == v[0])
        || ids::is_uuid(v) && memmem::find(tag, b"2.16.840.1.113883.19").is_some()
    {
        return Verdict::Reject;
    }
    if example_root(tag) || markers::structure_marked(v) {
        return Verdict::synthetic();
    }
    Verdict::accept().with_detail("C-CDA recordTarget/patientRole/id")
}

/// `<birthTime value="19381212"/>` under `<patient>`: a full, real date.
pub(super) fn birth_time(c: &Candidate<'_>) -> Verdict {
    if !in_patient(c) {
        return Verdict::Reject;
    }
    let v = c.value_bytes();
    let Some((y, m, d)) = ids::parse_date(&v[..8.min(v.len())]) else {
        return Verdict::Reject;
    };
    if !ids::real_date(y, m, d) || (m, d) == (1, 1) {
        return Verdict::Reject;
    }
    Verdict::accept().with_detail("C-CDA patient birthTime")
}

/// `<given>`/`<family>` under `<patient>` (the patient's or a guardian's name).
pub(super) fn patient_name(c: &Candidate<'_>) -> Verdict {
    if !in_patient(c) {
        return Verdict::Reject;
    }
    let v = c.value_bytes().trim_ascii();
    if v.len() < 2 || !v.iter().any(u8::is_ascii_alphabetic) || v.iter().any(u8::is_ascii_digit) {
        return Verdict::Reject;
    }
    if markers::placeholder_name(v) || markers::synthea_name(v) {
        return Verdict::synthetic();
    }
    Verdict::accept().with_detail("C-CDA patient name")
}

/// `<streetAddressLine>` of the patient role, in any case (`1357 AMBER DR`, `2222 HOME`).
pub(super) fn patient_address(c: &Candidate<'_>) -> Verdict {
    if !in_patient_role(c) || inside(c.text, c.value.start, b"providerOrganization") {
        return Verdict::Reject;
    }
    let v = c.value_bytes();
    let upper = v.to_ascii_uppercase();
    if !v.iter().any(u8::is_ascii_digit)
        || !v.iter().any(u8::is_ascii_alphabetic)
        || [
            b"123 MAIN".as_slice(),
            b"1 MAIN",
            b"742 EVERGREEN",
            b"PO BOX 0",
        ]
        .iter()
        .any(|p| upper.starts_with(p))
    {
        return Verdict::Reject;
    }
    Verdict::accept().with_detail("C-CDA patient address")
}

/// `<telecom value="tel:…">` or `mailto:` of the patient role; digits without separators
/// count. NXX 555 and example domains are synthetic.
pub(super) fn patient_telecom(c: &Candidate<'_>) -> Verdict {
    if !in_patient_role(c) || inside(c.text, c.value.start, b"providerOrganization") {
        return Verdict::Reject;
    }
    let v = c.value_bytes();
    if let Some(addr) = v.strip_prefix(b"mailto:") {
        let dom = addr
            .iter()
            .position(|&b| b == b'@')
            .map(|i| addr[i + 1..].to_ascii_lowercase());
        return match dom {
            Some(d) if d.starts_with(b"example.") || d.ends_with(b".example") => {
                Verdict::synthetic()
            }
            Some(d) if d.contains(&b'.') => Verdict::accept().with_detail("C-CDA patient e-mail"),
            _ => Verdict::Reject,
        };
    }
    let digits: Vec<u8> = v.iter().copied().filter(u8::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => &digits[..],
        11 if digits[0] == b'1' => &digits[1..],
        _ => return Verdict::Reject,
    };
    if &national[3..6] == b"555" || &national[..3] == b"555" {
        return Verdict::synthetic();
    }
    if national.iter().all(|&b| b == national[0]) {
        return Verdict::Reject;
    }
    Verdict::at(Severity::Warn).with_detail("C-CDA patient phone")
}
