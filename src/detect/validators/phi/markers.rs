//! Synthetic-data markers (detectors.md §4). A value carrying one is reported `synthetic`
//! (suppressed unless `--strict`); a marker anywhere in a FHIR resource or an HL7 message
//! suppresses the whole structure.

use crate::detect::validators::common::contains_ci;

/// Markers that, anywhere in a structure, make it test data: Synthea URLs, the FHIR spec
/// example patient, the HL7 v2 chapter-3 sample patient, `HTEST` security labels.
const STRUCTURE_MARKERS: &[&[u8]] = &[
    b"synthetichealth",
    b"hospital.smarthealthit.org",
    b"\"HTEST\"",
    b"value=\"HTEST\"",
    b"code: HTEST",
    b"Chalmers",
    b"1.2.36.146.595.217.0.1",
    b"EVERYMAN",
    b"NUCLEAR^NELDA",
    b"PATID1234",
];

/// Whether a structure (a FHIR resource, an HL7 message, an X12 loop) carries a marker.
pub fn structure_marked(bytes: &[u8]) -> bool {
    STRUCTURE_MARKERS.iter().any(|m| contains_ci(bytes, m))
}

/// Synthea's digit-suffixed names (`Daniel959`, `Villaseñor332`): a capital, letters
/// (ASCII, `'`, `-`, or Latin-1/Latin Extended-A in UTF-8), then 1–3 digits. Only meaningful
/// inside a name field (`Build2` would match too).
pub fn synthea_name(name: &[u8]) -> bool {
    name.split(|b| b.is_ascii_whitespace() || *b == b'^' || *b == b',')
        .any(synthea_word)
}

fn synthea_word(w: &[u8]) -> bool {
    let digits = w.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || w.len() <= digits + 1 {
        return false;
    }
    let letters = &w[..w.len() - digits];
    let Ok(s) = std::str::from_utf8(letters) else {
        return false;
    };
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| {
            c.is_ascii_lowercase() || c == '\'' || c == '-' || ('\u{C0}'..='\u{17F}').contains(&c)
        })
}

/// Whether the names in a structure (`"family"`/`"given"` values, HL7 name components) are
/// Synthea's.
pub fn any_synthea_name<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> bool {
    names.into_iter().any(synthea_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthea_names() {
        let cases: &[(&str, bool)] = &[
            ("Daniel959", true),
            ("Villaseñor332", true),
            ("ORTEGA", false),
            ("Lucia", false),
            ("Build2", true),
            ("A1", false),
            ("Ortega1234", false),
            ("O'Neil12", false),
            ("D'angelo12", true),
        ];
        for (name, want) in cases {
            assert_eq!(synthea_name(name.as_bytes()), *want, "{name}");
        }
    }

    #[test]
    fn structure_markers() {
        assert!(structure_marked(
            br#"{"url": "http://synthetichealth.github.io/synthea/race"}"#
        ));
        assert!(structure_marked(b"PID|1||PATID1234^5^M11"));
        assert!(!structure_marked(b"PID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA"));
    }
}
