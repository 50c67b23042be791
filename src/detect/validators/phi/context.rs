//! Context shared by the PHI validators: words near a value, the label (CSV column, key) that
//! owns it, and whether it sits in a patient-level record.

use crate::detect::structure;
use crate::detect::validators::common::{contains_ci, line_bounds};
use crate::detect::validators::{Candidate, Verdict};
use std::ops::Range;

/// Words that make a line part of a patient-level record (detectors.md D10–D13 "patient
/// context").
pub const PATIENT_WORDS: &[&[u8]] = &[
    b"patient",
    b"telecom",
    b"member_id",
    b"memberid",
    b"member id",
    b"subscriber",
    b"beneficiary",
    b"guarantor",
    b"emergency contact",
    b"emergency_contact",
    b"next_of_kin",
    b"nextofkin",
    b"insured",
    b"pid|",
    b"nk1|",
    b"gt1|",
    b"in1|",
];

/// Bytes of context [`window`] reaches before a value.
pub const REACH_BEFORE: usize = 512;
/// Bytes of context [`window`] reaches after a value.
pub const REACH_AFTER: usize = 256;

/// The value's line and the two lines before it, cut to [`REACH_BEFORE`] bytes before the
/// value and [`REACH_AFTER`] after it: on a minified file or CR-separated HL7 the "line" is
/// the whole file, and reading it for every candidate made a scan quadratic.
pub fn window(c: &Candidate<'_>) -> Range<usize> {
    let line = line_bounds(c.text, c.value.start);
    let floor = c.value.start.saturating_sub(REACH_BEFORE);
    let mut start = line.start;
    for _ in 0..2 {
        if start <= floor || start == 0 {
            break;
        }
        start = memchr::memrchr(b'\n', &c.text[floor..start - 1]).map_or(floor, |i| floor + i + 1);
    }
    let end = line.end.min(c.value.end.max(c.value.start) + REACH_AFTER);
    let window = start.max(floor)..end.max(start.max(floor));
    crate::work::add(window.len());
    window
}

/// Whether any of `words` occurs (ignoring case) in the value's window. The lists are
/// constants: the scan's memo indexes each list's words once per text
/// ([`structure::memo::words_within`]).
pub fn near(c: &Candidate<'_>, words: &'static [&'static [u8]]) -> bool {
    let window = window(c);
    structure::memo::words_within(c.text, words, window.clone()).unwrap_or_else(|| {
        let w = &c.text[window];
        words.iter().any(|word| contains_ci(w, word))
    })
}

/// Whether the value sits in a patient-level record.
pub fn patient(c: &Candidate<'_>) -> bool {
    near(c, PATIENT_WORDS) || column(c).is_some_and(|col| has_any(col, PATIENT_WORDS))
}

/// FHIR resources about an organisation, a place, a provider, a product or a definition:
/// the contact details they hold (`telecom`, `address`, a publisher's `contact`) are nobody's
/// health information.
const NON_PATIENT_RESOURCES: &[&[u8]] = &[
    b"Organization",
    b"OrganizationAffiliation",
    b"Location",
    b"Practitioner",
    b"PractitionerRole",
    b"Endpoint",
    b"HealthcareService",
    b"InsurancePlan",
    b"Device",
    b"DeviceDefinition",
    b"Medication",
    b"Substance",
    b"CapabilityStatement",
    b"TerminologyCapabilities",
    b"StructureDefinition",
    b"StructureMap",
    b"ImplementationGuide",
    b"ValueSet",
    b"CodeSystem",
    b"ConceptMap",
    b"NamingSystem",
    b"SearchParameter",
    b"OperationDefinition",
    b"CompartmentDefinition",
    b"MessageDefinition",
    b"GraphDefinition",
    b"ActivityDefinition",
    b"PlanDefinition",
    b"Library",
    b"Measure",
    b"Questionnaire",
    b"TestScript",
    b"ExampleScenario",
];

/// Whether the value sits in a FHIR JSON resource of a kind in `NON_PATIENT_RESOURCES`
/// (an `Organization`'s phone, a `ValueSet` publisher's e-mail). Only JSON documents are
/// walked: the resource lookup is bounded ([`json::resource_at`]) and remembered per object.
///
/// [`json::resource_at`]: crate::detect::structure::json::resource_at
pub fn in_non_patient_resource(c: &Candidate<'_>) -> bool {
    use crate::detect::structure::json;
    let json_like = matches!(
        c.text.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
    if !json_like {
        return named_for_non_patient_resource(c.path);
    }
    // The value is a string's content: the walk out starts at that string's opening quote.
    let Some(quote) = json::string_start(c.text, c.value.start, REACH_BEFORE * 8) else {
        return false;
    };
    let non_patient = |obj: std::ops::Range<usize>| {
        json::resource_type(c.text, obj)
            .is_some_and(|t| NON_PATIENT_RESOURCES.contains(&&c.text[t]))
    };
    if let Some(resource) = json::resource_at(c.text, quote) {
        return non_patient(resource);
    }
    // Deeper than the bounded walk reaches (a code system's thousandth concept): the document
    // itself, when it is one resource (a Bundle is not one, so its entries stay unknown).
    let start = c.text.len() - c.text.trim_ascii_start().len();
    c.text.get(start) == Some(&b'{') && non_patient(start..json::object_end(c.text, start))
}

/// Whether the file's name says it holds one resource of a kind in `NON_PATIENT_RESOURCES`,
/// as FHIR's example files are named (`Practitioner-f001.prototxt`,
/// `organization-example.xml`): a text form of a resource (textproto, XML, Turtle, its HTML
/// page) that names its type nowhere a value's context reaches. A log or a table is never
/// taken for one by its name (`device-2024.log`).
fn named_for_non_patient_resource(path: &str) -> bool {
    const FORMS: &[&str] = &["xml", "prototxt", "textproto", "pbtxt", "ttl", "html"];
    let name = path.rsplit(['/', '!']).next().unwrap_or(path);
    let form = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    if !FORMS.iter().any(|f| form.eq_ignore_ascii_case(f)) {
        return false;
    }
    let name = name.as_bytes();
    NON_PATIENT_RESOURCES.iter().any(|kind| {
        name.len() > kind.len()
            && name[..kind.len()].eq_ignore_ascii_case(kind)
            && matches!(name[kind.len()], b'-' | b'.')
    })
}

/// The CSV column name (header) that owns the value, if the line is a CSV row.
pub fn column<'a>(c: &Candidate<'a>) -> Option<&'a [u8]> {
    structure::csv::column_name(c.text, &c.value).map(|r| &c.text[r])
}

/// Whether `hay` holds any of `words`, ignoring case and `_`/`-`/space differences.
///
/// A dense CSV asks this of the same few column names and header for every candidate
/// (400,000 in a 100,000-row patient extract), and each answer normalized the name and
/// every word with a separator into fresh vectors: the last answers for short names are
/// remembered (`SeenNames`). `words` is static, so its address names its content.
pub fn has_any(hay: &[u8], words: &'static [&'static [u8]]) -> bool {
    if hay.len() > SeenNames::LONGEST {
        return has_any_uncached(hay, words);
    }
    let list = (words.as_ptr() as usize, words.len());
    SEEN_NAMES.with(|seen| {
        let mut seen = seen.borrow_mut();
        if let Some(found) = seen.get(list, hay) {
            return found;
        }
        let found = has_any_uncached(hay, words);
        seen.put(list, hay, found);
        found
    })
}

/// The last answers of [`has_any`] on this thread: `(word list, name, answer)`, the name
/// by content (a text's bytes may be gone or changed by the next ask).
#[derive(Default)]
struct SeenNames {
    entries: Vec<((usize, usize), Vec<u8>, bool)>,
    /// The entry the next new answer replaces once `entries` is full.
    next: usize,
}

impl SeenNames {
    /// Names longer than this (bytes) are not remembered.
    const LONGEST: usize = 256;
    /// Answers remembered (a table's columns and its header line, for a few word lists).
    const ENTRIES: usize = 32;

    fn get(&self, list: (usize, usize), hay: &[u8]) -> Option<bool> {
        self.entries
            .iter()
            .find(|(l, name, _)| *l == list && name.as_slice() == hay)
            .map(|&(_, _, found)| found)
    }

    fn put(&mut self, list: (usize, usize), hay: &[u8], found: bool) {
        let entry = (list, hay.to_vec(), found);
        if self.entries.len() < Self::ENTRIES {
            self.entries.push(entry);
        } else {
            self.entries[self.next] = entry;
            self.next = (self.next + 1) % Self::ENTRIES;
        }
    }
}

thread_local! {
    static SEEN_NAMES: std::cell::RefCell<SeenNames> = std::cell::RefCell::new(SeenNames::default());
}

/// [`has_any`] worked out afresh.
fn has_any_uncached(hay: &[u8], words: &[&[u8]]) -> bool {
    let norm = normalize(hay);
    // `contains_ci` ignores case: only a word with a separator in it needs normalizing.
    words.iter().any(|w| {
        if w.iter().any(|b| SEPARATORS.contains(b)) {
            contains_ci(&norm, &normalize(w))
        } else {
            contains_ci(&norm, w)
        }
    })
}

/// What [`normalize`] drops.
const SEPARATORS: &[u8] = b"_-. ";

/// Lower-cases and drops `_`, `-`, `.` and spaces (`Medical_Record-No` → `medicalrecordno`).
pub fn normalize(s: &[u8]) -> Vec<u8> {
    s.iter()
        .filter(|b| !SEPARATORS.contains(b))
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// Whether the bytes of `r` all lie on added lines.
pub fn added(c: &Candidate<'_>, r: &Range<usize>) -> bool {
    c.is_added(r.start)
}

/// Reclassifies an accepted verdict as synthetic when the value sits in an HL7 message or FHIR
/// resource that carries a synthetic-data marker.
pub fn unless_marked(c: &Candidate<'_>, v: Verdict) -> Verdict {
    match v {
        Verdict::Accept(ref a) if !a.synthetic => {
            let at = a.span.as_ref().map_or(c.value.start, |s| s.start);
            if super::markers::in_marked_structure(c.text, at) {
                Verdict::Accept(crate::detect::validators::Accepted {
                    synthetic: true,
                    ..a.clone()
                })
            } else {
                v
            }
        }
        v => v,
    }
}

#[cfg(test)]
mod tests;
