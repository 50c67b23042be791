//! Synthetic-data markers (detectors.md §4). A value carrying one is reported `synthetic`
//! (suppressed unless `--strict`); a marker anywhere in a FHIR resource or an HL7 message
//! suppresses the whole structure.

use crate::detect::structure::hl7;
use memchr::memmem;
use std::ops::Range;

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
    b"EVERYWOMAN",
    b"NUCLEAR^NELDA",
    b"PATID1234",
];

/// Whether a structure (a FHIR resource, an HL7 message, an X12 loop) carries a marker. The
/// markers are matched as written (they are fixed strings in URLs, codes and the standards'
/// sample messages), in one pass of a packed (SIMD) searcher: every resource of a dense
/// export is asked about, and the automaton the crate builds by default for these patterns
/// stepped through each byte (a 50,000-resource NDJSON export: 64 ms of CPU, 4 % of its
/// scan; now a few).
pub fn structure_marked(bytes: &[u8]) -> bool {
    static MARKERS: std::sync::OnceLock<Option<aho_corasick::packed::Searcher>> =
        std::sync::OnceLock::new();
    MARKERS
        .get_or_init(|| {
            let mut b = aho_corasick::packed::Config::new().builder();
            b.extend(STRUCTURE_MARKERS);
            b.build()
        })
        .as_ref()
        .is_some_and(|markers| markers.find(bytes).is_some())
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

/// Placeholder names people type into test records: `Doe`, `Test`, `Sample`, `Dummy`, …, or
/// one letter repeated (`AAAAAA`).
pub fn placeholder_name(name: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"doe",
        b"test",
        b"tester",
        b"testpatient",
        b"sample",
        b"dummy",
        b"fake",
        b"example",
        b"demo",
        b"anonymous",
        b"unknown",
        b"patient",
        b"everyman",
        b"everywoman",
        b"mouse",
        b"duck",
        b"simpson",
    ];
    name.split(|b| !b.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .any(|w| {
            WORDS.iter().any(|p| w.eq_ignore_ascii_case(p))
                || (w.len() >= 3 && w.iter().all(|&b| b.eq_ignore_ascii_case(&w[0])))
        })
}

/// Whether the names in a structure (`"family"`/`"given"` values, HL7 name components) are
/// Synthea's.
pub fn any_synthea_name<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> bool {
    names
        .into_iter()
        .any(|n| synthea_name(n) || placeholder_name(n))
}

/// How far a message walk goes for markers.
const REACH: usize = 64 * 1024;
/// How much of a value's line the marker checks read either side of it.
const LINE_REACH: usize = 1024;
/// How far above a value its FHIR resource may start.
const RESOURCE_REACH: usize = 16 * 1024;

/// Whether the HL7 message or FHIR JSON resource holding `pos` carries a marker (detectors.md
/// §4: "a marker anywhere in a FHIR resource or HL7 message suppresses that whole
/// structure"), so every finding inside it — an SSN in IN2, a phone in PID-13 — is synthetic.
pub fn in_marked_structure(text: &[u8], pos: usize) -> bool {
    let full = crate::detect::validators::common::line_bounds(text, pos);
    // The line, cut to LINE_REACH either side of `pos`, and starting at an HL7 segment
    // separator (`\r`) when there is one: a minified file or CR-separated HL7 is one line, and
    // reading all of it for every candidate made a scan quadratic.
    let lo = full.start.max(pos.saturating_sub(LINE_REACH));
    let start = memchr::memrchr(b'\r', &text[lo..pos.min(full.end)]).map_or(lo, |i| lo + i + 1);
    let line = start..full.end.min(pos + LINE_REACH);
    let l = &text[line.clone()];
    crate::work::add(l.len());
    let seg = |s: &[u8]| {
        s.len() > 4
            && s[3] == b'|'
            && s[..3]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    let trimmed = l
        .iter()
        .position(|b| !b" \t\"'".contains(b))
        .map_or(&l[..0], |i| &l[i..]);
    // One searcher for every candidate: `memmem::find` built one per call.
    static PID: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(b"PID|"));
    if seg(trimmed) || PID.find(l).is_some() {
        let lo = pos.saturating_sub(REACH);
        let start = hl7::last_msh(&text[lo..pos]).map_or(line.start, |i| lo + i);
        let hi = text.len().min(pos + REACH);
        let end = hl7::first_msh(&text[pos..hi]).map_or(hi.min(line.end + REACH / 4), |i| pos + i);
        let msg = &text[start..end];
        crate::work::add(msg.len());
        return structure_marked(msg) || hl7_names_marked(msg);
    }
    // Every position the walk below may pick lies in `line.start - 1..pos`: with no
    // `resourceType` near that range, `resource_at` finds nothing for any of them.
    let walk_from = line.start.saturating_sub(1);
    if memchr::memchr(b'"', l).is_some()
        && crate::detect::structure::json::resource_possible(text, walk_from..pos + 1)
    {
        // A line cut short (minified JSON) may start inside a string, which would invert the
        // walk's idea of what is quoted: a string value's own opening quote is outside any.
        let at = if line.start > full.start && pos > 0 && text[pos - 1] == b'"' {
            pos - 1
        } else {
            outside_string(text, line.start, pos)
        };
        // A resource that starts far above is more likely a brace walk fooled by non-JSON text
        // than one patient's record; suppressing on it would hide real values.
        let res = crate::detect::structure::json::resource_at(text, at)
            .filter(|r| at - r.start <= RESOURCE_REACH);
        if let Some(res) = res {
            return json_marked(text, res);
        }
    }
    false
}

/// Whether a JSON resource (or a region standing in for one) is test data: a marker anywhere
/// in it, or Synthea or placeholder names in its `family` and `given` members. Every candidate
/// in a resource asks this of the same range, so the answer is remembered while a scan runs.
pub fn json_marked(text: &[u8], region: Range<usize>) -> bool {
    use crate::detect::structure::json::{remembered, strings_named_any};
    remembered(text, region.clone(), || {
        structure_marked(&text[region.clone()])
            || any_synthea_name(
                strings_named_any(text, region.clone(), &[b"family", b"given"])
                    .into_iter()
                    .map(|r| &text[r]),
            )
    })
}

/// The last offset in `line_start..pos` that lies outside any JSON string (a structural byte
/// or the line start), assuming the line starts outside a string (pretty JSON, NDJSON).
/// Inside a string only `"` and `\\` matter, and most of a JSON line is strings: `memchr2`
/// skips to the next of them rather than reading every byte.
fn outside_string(text: &[u8], line_start: usize, pos: usize) -> usize {
    let (mut in_str, mut last, mut i) = (false, line_start, line_start);
    while i < pos {
        if in_str {
            let Some(k) = memchr::memchr2(b'"', b'\\', &text[i..pos]) else {
                break;
            };
            i += k;
            // A backslash skips the byte after it, as the walk byte by byte did.
            in_str = text[i] == b'\\';
            i += if in_str { 2 } else { 1 };
            continue;
        }
        match text[i] {
            b'"' => in_str = true,
            b'{' | b'[' | b',' | b':' => last = i,
            _ => {}
        }
        i += 1;
    }
    last
}

/// PID-5 of every PID segment in an HL7 message: placeholder or Synthea names.
fn hl7_names_marked(msg: &[u8]) -> bool {
    memmem::find_iter(msg, b"PID|").any(|at| {
        msg[at..].split(|&b| b == b'|').nth(5).is_some_and(|name| {
            let end = name
                .iter()
                .position(|b| b"\r\n\\\"".contains(b))
                .unwrap_or(name.len());
            any_synthea_name([&name[..end]])
        })
    })
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
    fn placeholder_names() {
        let cases: &[(&str, bool)] = &[
            ("Doe^Jane", true),
            ("Test^Test^A", true),
            ("PROSOLV^SAMPLE", true),
            ("AAAAAAAA^AAAAAA^A", true),
            ("ORTEGA^LUCIA^M", false),
            ("Reyes", false),
            ("Dodge", false),
        ];
        for (name, want) in cases {
            assert_eq!(placeholder_name(name.as_bytes()), *want, "{name}");
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

    /// Texts the rules are checked against: every built-in rule's examples and negative
    /// examples.
    fn rule_examples() -> Vec<Vec<u8>> {
        let db = crate::detect::testing::builtin();
        crate::detect::testing::example_texts(&db)
            .into_iter()
            .map(|(_, text)| text)
            .collect()
    }

    /// Texts of the shapes the scan meets, with several candidates per line and markers in
    /// some of the structures: CR-separated HL7, NDJSON, pretty and minified FHIR JSON, CSV.
    fn generated() -> Vec<Vec<u8>> {
        let patient = |i: usize, marked: bool| {
            let family = if marked { "Ortega959" } else { "Ortega" };
            let sec = if i % 7 == 3 {
                r#","meta":{"security":[{"code":"HTEST"}]}"#
            } else {
                ""
            };
            format!(
                r#"{{"resourceType":"Patient","id":"p{i}"{sec},"name":[{{"family":"{family}","given":["Lu\"cia","A"]}}],"telecom":[{{"system":"phone","value":"555-01{i:02}"}},{{"system":"email","value":"a{i}@x.org"}}],"identifier":[{{"system":"http://hl7.org/fhir/sid/us-ssn","value":"123-45-{i:04}"}}],"birthDate":"1970-01-{d:02}","address":[{{"line":["{i} Main St, Apt \\{i}"],"postalCode":"0210{d}"}}]}}"#,
                d = i % 9 + 1
            )
        };
        let ndjson: String = (0..40).map(|i| patient(i, i % 5 == 2) + "\n").collect();
        let list: Vec<String> = (0..40).map(|i| patient(i, i % 6 == 1)).collect();
        let minified = format!(
            r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#,
            list.iter()
                .map(|p| format!(r#"{{"fullUrl":"urn:x","resource":{p}}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        let pretty = minified
            .replace(",\"", ",\n  \"")
            .replace('{', "{\n    ")
            .replace('[', "[\n      ");
        let hl7 = |sep: &str| -> String {
            (0..30)
                .map(|i| {
                    let name = if i % 4 == 1 { "EVERYMAN^ADAM" } else { "ORTEGA^LUCIA^M" };
                    [
                        format!("MSH|^~\\&|A|B|C|D|2024||ADT^A01|{i}|P|2.5"),
                        format!("PID|1||{i}4417^^^HOSP^MR||{name}||19700101|F|||1 Main^^Town^MA^02101||(555)555-01{i:02}|||||123-45-67{i:02}"),
                        format!("NK1|1|DOE^JOHN|SPO||(555)555-02{i:02}"),
                        format!("IN2|1|123-45-68{i:02}|code: HTEST"),
                    ]
                    .join(sep)
                        + sep
                })
                .collect()
        };
        let csv: String = std::iter::once("mrn,name,ssn,phone,note\n".to_owned())
            .chain((0..60).map(|i| {
                format!(
                    "{i},\"Ortega, Lucia\",123-45-67{i:02},555-555-01{i:02},\"x \"\"y\"\" PID|\"\n"
                )
            }))
            .collect();
        vec![
            ndjson.into_bytes(),
            minified.into_bytes(),
            pretty.into_bytes(),
            hl7("\r").into_bytes(),
            hl7("\n").into_bytes(),
            hl7("\r\n").into_bytes(),
            csv.into_bytes(),
        ]
    }

    /// `outside_string` as it was: the walk from the line start, every time.
    fn outside_string_afresh(text: &[u8], line_start: usize, pos: usize) -> usize {
        let (mut in_str, mut last, mut i) = (false, line_start, line_start);
        while i < pos {
            match text[i] {
                b'\\' if in_str => i += 1,
                b'"' => in_str = !in_str,
                b'{' | b'[' | b',' | b':' if !in_str => last = i,
                _ => {}
            }
            i += 1;
        }
        last
    }

    /// The positions a test asks about in `t`: every offset of a short text, every third of a
    /// long one, and the end.
    fn positions(t: &[u8]) -> Vec<usize> {
        let step = if t.len() > 4096 { 3 } else { 1 };
        (0..=t.len()).step_by(step).collect()
    }

    /// Oracle for the walk that skips through strings with `memchr2` ([`outside_string`]): on
    /// every built-in rule's example and the generated texts, for every position and line
    /// starts inside and outside strings, the answer of the walk byte by byte.
    #[test]
    fn outside_string_answers_as_the_byte_walk() {
        let mut texts = rule_examples();
        texts.extend(generated());
        texts.push(br#"{"a":"x\\","b":"\"{,:[","c":"\\\"",d:1}"#.to_vec());
        for t in &texts {
            let t = t.as_slice();
            for pos in positions(t) {
                let full = crate::detect::validators::common::line_bounds(t, pos);
                for start in [
                    full.start,
                    full.start.max(pos.saturating_sub(40)),
                    pos.saturating_sub(7).max(full.start),
                ] {
                    assert_eq!(
                        outside_string(t, start, pos),
                        outside_string_afresh(t, start, pos),
                    );
                }
            }
        }
    }
}
