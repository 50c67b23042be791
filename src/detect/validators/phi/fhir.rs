//! D4 FHIR and C-CDA: identifiers paired with their system (4a) or v2-0203 type code (4b),
//! committed Patient-like resources (4c) and absolute Patient URLs (4d).
//!
//! The regex finds the `system` (or the resource type); the value is found by structure — a
//! string-aware JSON brace scan, the FHIR XML sibling, the CDA `extension`, or the YAML sibling
//! key — and reported with `with_span`, so the finding sits on the value's line and is dropped
//! when only the context lines carry it.

use super::context;
use super::ids::{self, Check};
use super::markers;
use crate::detect::structure::{json, xml};
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;
use std::ops::Range;

/// What an identifier system names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    Ssn,
    Mbi,
    Medicare,
    Npi,
    Dea,
    License,
}

impl System {
    fn parse(sys: &[u8]) -> Option<System> {
        let s = String::from_utf8_lossy(sys).to_ascii_lowercase();
        let tail = s.rsplit(['/', ':']).next().unwrap_or("");
        Some(match tail {
            "us-ssn" | "ssn" => System::Ssn,
            "us-mbi" | "cmsmbi" => System::Mbi,
            "us-medicare" | "medicarehic" => System::Medicare,
            "us-npi" | "npi" => System::Npi,
            "usdeanumber" => System::Dea,
            _ if tail.starts_with("passport-") => System::License,
            _ => match s.strip_prefix("urn:oid:").unwrap_or(&s) {
                "2.16.840.1.113883.4.1" => System::Ssn,
                "2.16.840.1.113883.4.927" => System::Mbi,
                "2.16.840.1.113883.4.572" => System::Medicare,
                "2.16.840.1.113883.4.6" => System::Npi,
                o if o.starts_with("2.16.840.1.113883.4.3.") => System::License,
                _ => return None,
            },
        })
    }

    fn name(self) -> &'static str {
        match self {
            System::Ssn => "US SSN",
            System::Mbi => "Medicare MBI",
            System::Medicare => "Medicare HICN/MBI",
            System::Npi => "provider NPI",
            System::Dea => "DEA number",
            System::License => "driver's licence or passport number",
        }
    }
}

/// Checks a value against what its system says it is: (severity, synthetic) or `None`.
fn judge(sys: System, v: &[u8], patient: impl FnOnce() -> bool) -> Option<Verdict> {
    let check = match sys {
        System::Ssn => ids::ssn(v),
        System::Mbi => ids::mbi(v),
        System::Medicare => match ids::mbi(v) {
            Check::Invalid => ids::hicn(v),
            c => c,
        },
        System::Npi => ids::npi(v),
        System::Dea => ids::dea(v),
        System::License => license(v),
    };
    let sev = match sys {
        System::Ssn | System::Mbi | System::Medicare => Severity::Block,
        System::Npi if patient() => Severity::Warn,
        System::Npi => Severity::Info,
        System::Dea | System::License => Severity::Warn,
    };
    match check {
        Check::Valid => Some(Verdict::at(sev)),
        Check::Synthetic => Some(Verdict::synthetic()),
        Check::Invalid => None,
    }
}

/// Licence and passport numbers: shape only (4–20 letters/digits with a digit); Synthea's
/// `S999NNNNN` licences and `X########X` passports are synthetic.
fn license(v: &[u8]) -> Check {
    let ok = (4..=20).contains(&v.len())
        && v.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && v.iter().any(u8::is_ascii_digit);
    match () {
        _ if !ok => Check::Invalid,
        _ if ids::synthea_licence(v) => Check::Synthetic,
        _ => Check::Valid,
    }
}

fn json_resource(text: &[u8], pos: usize) -> Option<Range<usize>> {
    json::resource_at(text, pos)
}

/// Whether the resource around `pos` is about one person (NPI there ties patient and provider).
fn in_patient_resource(text: &[u8], pos: usize) -> bool {
    json_resource(text, pos).is_some_and(|r| {
        json::resource_type(text, r).is_some_and(|t| {
            matches!(
                &text[t],
                b"Patient"
                    | b"Person"
                    | b"RelatedPerson"
                    | b"Coverage"
                    | b"Claim"
                    | b"ExplanationOfBenefit"
            )
        })
    })
}

/// The structure that a marker anywhere in suppresses: the JSON resource, or the hunk around.
fn marked(c: &Candidate<'_>) -> bool {
    let region = json_resource(c.text, c.whole.start).unwrap_or_else(|| {
        let lo = c.whole.start.saturating_sub(2048);
        let hi = c.text.len().min(c.whole.end + 2048);
        lo..hi
    });
    markers::json_marked(c.text, region)
}

/// Finds the value an identifier system is paired with.
fn paired_value(c: &Candidate<'_>) -> Option<Range<usize>> {
    if c.group("sys").is_some() {
        // The match starts at the `"system"` key, outside any string: a safe scan start.
        let obj = json::enclosing_object(c.text, c.whole.start)?;
        let m = json::member(c.text, obj, b"value")?;
        return Some(m.value);
    }
    if let Some(sys) = c.group("xsys") {
        return xml::sibling_value(c.text, sys.start);
    }
    if let Some(sys) = c.group("ysys") {
        return yaml_sibling(c.text, sys.start, b"value");
    }
    c.group("ext").or_else(|| c.group("ext2"))
}

/// A YAML sibling `key: value` within four lines of `pos`, at the same indentation.
fn yaml_sibling(text: &[u8], pos: usize, key: &[u8]) -> Option<Range<usize>> {
    use crate::detect::validators::common::{line_bounds, next_line_start};
    let line = line_bounds(text, pos);
    let indent = |r: &Range<usize>| {
        text[r.clone()]
            .iter()
            .take_while(|b| **b == b' ' || **b == b'-')
            .count()
    };
    let want = indent(&line);
    let mut lines = vec![line.clone()];
    let (mut up, mut down) = (line.start, line.end);
    for _ in 0..4 {
        if up > 0 {
            let l = line_bounds(text, up - 1);
            up = l.start;
            lines.push(l);
        }
        let next = next_line_start(text, down);
        if next < text.len() {
            let l = line_bounds(text, next);
            down = l.end;
            lines.push(l);
        }
    }
    lines.into_iter().find_map(|l| {
        if indent(&l) != want {
            return None;
        }
        let body = l.start + want;
        let rest = &text[body..l.end];
        let after = rest.strip_prefix(key)?.strip_prefix(b":")?;
        let skip = after
            .iter()
            .take_while(|b| b.is_ascii_whitespace() || **b == b'"' || **b == b'\'')
            .count();
        let start = l.end - after.len() + skip;
        let end = start
            + text[start..l.end]
                .iter()
                .take_while(|b| !b"\"' #".contains(b))
                .count();
        (end > start).then_some(start..end)
    })
}

/// 4a: an identifier `system` (or CDA root OID) paired with its value.
pub(super) fn identifier(c: &Candidate<'_>) -> Verdict {
    let sys_bytes = ["sys", "xsys", "ysys", "oid", "oid2"]
        .iter()
        .find_map(|g| c.group_bytes(g));
    let Some(sys) = sys_bytes.and_then(System::parse) else {
        return Verdict::Reject;
    };
    let Some(value) = paired_value(c) else {
        return Verdict::Reject;
    };
    let v = &c.text[value.clone()];
    let patient = || in_patient_resource(c.text, c.whole.start);
    let Some(verdict) = judge(sys, v, patient) else {
        return Verdict::Reject;
    };
    let verdict = if marked(c) {
        Verdict::synthetic()
    } else {
        verdict
    };
    let form = if c.group("oid").is_some() || c.group("oid2").is_some() {
        "a C-CDA id"
    } else {
        "a FHIR identifier"
    };
    verdict
        .with_span(value)
        .with_detail(format!("{} in {form} (system names it)", sys.name()))
}

/// 4b: an identifier typed by a v2-0203 code; the value is the identifier's.
pub(super) fn identifier_type(c: &Candidate<'_>) -> Verdict {
    let found = if c.text[c.whole.clone()].starts_with(b"<") {
        xml_typed(c)
    } else {
        json_typed(c)
    };
    let Some((code, value)) = found else {
        return Verdict::Reject;
    };
    let v = &c.text[value.clone()];
    let code_s = String::from_utf8_lossy(&c.text[code]).into_owned();
    let patient = || in_patient_resource(c.text, c.whole.start);
    let verdict = match code_s.as_str() {
        "MR" | "MB" | "SN" | "AN" | "PI" | "PT" if ids::is_uuid(v) => Verdict::at(Severity::Info),
        "MR" | "MB" | "SN" | "AN" | "PI" | "PT" if ids::mrn(v) == Check::Valid || mixed_id(v) => {
            Verdict::at(Severity::Warn)
        }
        "SS" | "SB" => judge(System::Ssn, v, patient).unwrap_or(Verdict::Reject),
        "MC" => judge(System::Medicare, v, patient).unwrap_or(Verdict::Reject),
        "NPI" => judge(System::Npi, v, patient).unwrap_or(Verdict::Reject),
        "DEA" => judge(System::Dea, v, patient).unwrap_or(Verdict::Reject),
        "MA" | "DL" | "PPN" if license(v) != Check::Invalid => Verdict::at(Severity::Warn),
        _ => Verdict::Reject,
    };
    let verdict = if verdict != Verdict::Reject && marked(c) {
        Verdict::synthetic()
    } else {
        verdict
    };
    verdict
        .with_span(value)
        .with_detail(format!("identifier of type {code_s} (v2-0203)"))
}

/// Organisation ids such as `MR-2024-00017` that the plain MRN shape does not cover.
fn mixed_id(v: &[u8]) -> bool {
    let d = crate::detect::validators::common::digits(v);
    (5..=32).contains(&v.len())
        && d.len() < v.len()
        && !crate::detect::validators::common::is_sequential(&d)
        && v.iter().filter(|b| b.is_ascii_digit()).count() >= 4
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
}

/// JSON: coding `{system, code}` → … → identifier `{type, value}`.
fn json_typed(c: &Candidate<'_>) -> Option<(Range<usize>, Range<usize>)> {
    let coding = json::enclosing_object(c.text, c.whole.start)?;
    let code = json::member(c.text, coding.clone(), b"code")?.value;
    let mut at = coding.start;
    for _ in 0..3 {
        let obj = json::enclosing_object(c.text, at)?;
        if json::member(c.text, obj.clone(), b"type").is_some()
            && let Some(v) = json::member(c.text, obj.clone(), b"value")
            && v.string
        {
            return Some((code, v.value));
        }
        at = obj.start;
    }
    None
}

/// XML: `<system value="…v2-0203"/><code value="MR"/>` … `</type><system/>?<value value>`.
fn xml_typed(c: &Candidate<'_>) -> Option<(Range<usize>, Range<usize>)> {
    let after = c.whole.end;
    let limit = c.text.len().min(after + 4096);
    let near = after..limit.min(after + 512);
    let code = xml::values_of(c.text, near, b"code").into_iter().next()?;
    let type_end = memchr::memmem::find(&c.text[after..limit], b"</type>")? + after;
    let stop = memchr::memmem::find(&c.text[type_end..limit], b"</identifier")
        .map_or(limit, |i| type_end + i);
    let value = xml::values_of(c.text, type_end..stop, b"value")
        .into_iter()
        .next()?;
    Some((code, value))
}

/// The elements of a Patient-like resource that count toward 4c, each with the span of its
/// first added value.
#[derive(Default)]
struct Score {
    name: Option<Range<usize>>,
    birth: Option<Range<usize>>,
    address: Option<Range<usize>>,
    telecom: Option<Range<usize>>,
    identifier: Option<Range<usize>>,
    names: Vec<Range<usize>>,
}

impl Score {
    fn count(&self) -> usize {
        [
            &self.name,
            &self.birth,
            &self.address,
            &self.telecom,
            &self.identifier,
        ]
        .iter()
        .filter(|x| x.is_some())
        .count()
    }

    fn first(&self) -> Option<Range<usize>> {
        [
            &self.identifier,
            &self.name,
            &self.birth,
            &self.address,
            &self.telecom,
        ]
        .into_iter()
        .flatten()
        .min_by_key(|r| r.start)
        .cloned()
    }

    fn detail(&self) -> String {
        let parts: Vec<&str> = [
            (&self.name, "name"),
            (&self.birth, "birth date"),
            (&self.address, "address"),
            (&self.telecom, "telecom"),
            (&self.identifier, "identifier"),
        ]
        .iter()
        .filter(|(x, _)| x.is_some())
        .map(|(_, n)| *n)
        .collect();
        format!("resource with {}", parts.join(", "))
    }
}

fn first_added<I: IntoIterator<Item = Range<usize>>>(
    c: &Candidate<'_>,
    it: I,
    ok: impl Fn(&[u8]) -> bool,
) -> Option<Range<usize>> {
    it.into_iter()
        .find(|r| !r.is_empty() && context::added(c, r) && ok(&c.text[r.clone()]))
}

fn full_date(v: &[u8]) -> bool {
    v.len() >= 10
        && ids::parse_date(&v[..10])
            .is_some_and(|(y, m, d)| ids::real_date(y, m, d) && (m, d) != (1, 1))
}

fn zip5(v: &[u8]) -> bool {
    (v.len() == 5 || (v.len() == 10 && v[5] == b'-'))
        && v[..5].iter().all(u8::is_ascii_digit)
        && &v[..5] != b"00000"
}

fn contact(v: &[u8]) -> bool {
    let d = v.iter().filter(|b| b.is_ascii_digit()).count();
    let at = v.iter().position(|&b| b == b'@');
    match at {
        Some(i) => {
            let dom = v[i + 1..].to_ascii_lowercase();
            dom.contains(&b'.')
                && !dom.starts_with(b"example.")
                && !dom.ends_with(b".test")
                && !dom.ends_with(b".example")
        }
        None => {
            (10..=11).contains(&d) && !v.windows(3).enumerate().any(|(i, w)| w == b"555" && i > 0)
        }
    }
}

/// Names and address of a resource, from `values`: the values of its elements (or members)
/// of a name, at any depth. JSON and XML resources differ only in how values are found.
fn names_and_address(
    c: &Candidate<'_>,
    s: &mut Score,
    values: impl Fn(&[u8]) -> Vec<Range<usize>>,
) {
    let names: Vec<Range<usize>> = values(b"family")
        .into_iter()
        .chain(values(b"given"))
        .collect();
    s.name = first_added(c, names.clone(), |v| v.iter().any(u8::is_ascii_alphabetic));
    s.names = names;
    s.address = first_added(c, values(b"line"), |v| v.iter().any(u8::is_ascii_digit))
        .or_else(|| first_added(c, values(b"postalCode"), zip5));
}

fn json_score(c: &Candidate<'_>, res: Range<usize>) -> Score {
    let t = c.text;
    let mut s = Score::default();
    // One walk for the four names (a walk per name was most of this validator's time).
    const KEYS: [&[u8]; 4] = [b"family", b"given", b"line", b"postalCode"];
    let found = json::strings_keyed(t, res.clone(), &KEYS);
    names_and_address(c, &mut s, |key| {
        let k = KEYS.iter().position(|&n| n == key);
        found
            .iter()
            .filter(|(i, _)| Some(*i) == k)
            .map(|(_, r)| r.clone())
            .collect()
    });
    s.birth = first_added(
        c,
        json::member(t, res.clone(), b"birthDate").map(|m| m.value),
        full_date,
    );
    if let Some(tel) = json::member(t, res.clone(), b"telecom") {
        s.telecom = first_added(c, json::strings_named(t, tel.value, b"value"), contact);
    }
    if let Some(idents) = json::member(t, res, b"identifier") {
        s.identifier = json_identifiers(c, idents.value);
    }
    s
}

/// The first added identifier value that passes 4a (by system) or 4b (by type code).
fn json_identifiers(c: &Candidate<'_>, arr: Range<usize>) -> Option<Range<usize>> {
    let t = c.text;
    let mut stack = Vec::new();
    let mut i = arr.start + 1;
    while i < arr.end {
        if t[i] == b'{' {
            let e = json::object_end(t, i);
            stack.push(i..e);
            i = e;
        } else {
            i += 1;
        }
    }
    stack.into_iter().find_map(|obj| {
        let value = json::member(t, obj.clone(), b"value")
            .filter(|m| m.string)?
            .value;
        if !context::added(c, &value) {
            return None;
        }
        let v = &t[value.clone()];
        let by_system = json::member(t, obj.clone(), b"system")
            .and_then(|m| System::parse(&t[m.value]))
            .and_then(|sys| judge(sys, v, || true))
            .is_some();
        let codes = json::strings_named(t, obj, b"code");
        let by_type =
            codes.iter().any(|r| {
                matches!(
                    &t[r.clone()],
                    b"MR"
                        | b"SS"
                        | b"MB"
                        | b"MC"
                        | b"SN"
                        | b"PI"
                        | b"PT"
                        | b"AN"
                        | b"DL"
                        | b"PPN"
                        | b"MA"
                )
            }) && (ids::mrn(v) == Check::Valid || ids::ssn(v) == Check::Valid || mixed_id(v));
        (by_system || by_type).then_some(value)
    })
}

fn xml_score(c: &Candidate<'_>, res: Range<usize>) -> Score {
    let t = c.text;
    let mut s = Score::default();
    names_and_address(c, &mut s, |key| xml::values_of(t, res.clone(), key));
    s.birth = first_added(c, xml::values_of(t, res.clone(), b"birthDate"), full_date);
    let values = xml::values_of(t, res.clone(), b"value");
    s.telecom = first_added(c, values.clone(), contact);
    s.identifier = first_added(c, values, |v| {
        ids::ssn(v) == Check::Valid || ids::mbi(v) == Check::Valid || ids::mrn(v) == Check::Valid
    })
    .filter(|_| memchr::memmem::find(&t[res.clone()], b"<identifier").is_some());
    s
}

/// Where the YAML or FSH resource starting at `start` ends: at the next resource's first line
/// (an unindented `resourceType:` or `Instance:`, a `---` document break), at most 16 KiB on. Reading 16 KiB
/// past every resource made a file of small YAML Patients cost 16 KiB per candidate.
fn flat_resource_end(t: &[u8], start: usize) -> usize {
    use crate::detect::validators::common::next_line_start;
    let limit = t.len().min(start + 16 * 1024);
    let mut pos = next_line_start(t, start);
    while pos < limit {
        // Only an unindented header starts another resource (a contained one is indented).
        let line = &t[pos..limit];
        if line.starts_with(b"resourceType:")
            || line.starts_with(b"Instance:")
            || line.starts_with(b"---")
        {
            return pos;
        }
        let next = memchr::memchr(b'\n', line).map_or(limit, |i| pos + i + 1);
        crate::work::add(next - pos);
        pos = next;
    }
    limit
}

/// YAML or FSH: `key: value` / `* name.family = "Ortega"` lines in the rest of the hunk.
fn flat_score(c: &Candidate<'_>, res: Range<usize>) -> Score {
    let t = c.text;
    let mut s = Score::default();
    let mut pos = res.start;
    while pos < res.end {
        let line = crate::detect::validators::common::line_bounds(t, pos);
        pos = crate::detect::validators::common::next_line_start(t, line.end);
        crate::work::add(pos - line.start);
        let Some((key, val)) = flat_pair(t, line) else {
            continue;
        };
        let k = &t[key];
        let v = &t[val.clone()];
        let add = |slot: &mut Option<Range<usize>>| {
            if slot.is_none() && context::added(c, &val) {
                *slot = Some(val.clone());
            }
        };
        match k {
            b"family" | b"given" => {
                s.names.push(val.clone());
                if v.iter().any(u8::is_ascii_alphabetic) {
                    add(&mut s.name);
                }
            }
            b"birthDate" if full_date(v) => add(&mut s.birth),
            b"line" if v.iter().any(u8::is_ascii_digit) => add(&mut s.address),
            b"postalCode" if zip5(v) => add(&mut s.address),
            b"value" if ids::ssn(v) == Check::Valid || ids::mbi(v) == Check::Valid => {
                add(&mut s.identifier)
            }
            b"value" if contact(v) => add(&mut s.telecom),
            _ => {}
        }
    }
    s
}

/// The last path segment as key and the unquoted value of a YAML / FSH line.
fn flat_pair(t: &[u8], line: Range<usize>) -> Option<(Range<usize>, Range<usize>)> {
    let body = &t[line.clone()];
    let sep = body.iter().position(|&b| b == b':' || b == b'=')?;
    let mut ks = line.start;
    let ke = line.start + body[..sep].iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    for i in (line.start..ke).rev() {
        if !(t[i].is_ascii_alphanumeric()) {
            ks = i + 1;
            break;
        }
    }
    let key = ks..ke;
    let mut vs = line.start + sep + 1;
    let mut ve = line.end;
    while vs < ve && (t[vs].is_ascii_whitespace() || b"\"'[-".contains(&t[vs])) {
        vs += 1;
    }
    while ve > vs && (t[ve - 1].is_ascii_whitespace() || b"\"']".contains(&t[ve - 1])) {
        ve -= 1;
    }
    (ve > vs && !key.is_empty()).then_some((key, vs..ve))
}

/// 4c: a committed Patient/Person/RelatedPerson with identifying elements on added lines.
pub(super) fn patient(c: &Candidate<'_>) -> Verdict {
    let m = &c.text[c.whole.clone()];
    let is_json = m.starts_with(b"\"");
    let (res, score) = if is_json {
        let Some(obj) = json::enclosing_object(c.text, c.whole.start) else {
            return Verdict::Reject;
        };
        if json::member(c.text, obj.clone(), b"id")
            .is_some_and(|id| &c.text[id.value] == b"example")
        {
            return Verdict::synthetic();
        }
        (obj.clone(), json_score(c, obj))
    } else if m.starts_with(b"<") {
        let name_len = m[1..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let res = xml::element(c.text, c.whole.start, &m[1..1 + name_len]);
        (res.clone(), xml_score(c, res))
    } else {
        let res = c.whole.start..flat_resource_end(c.text, c.whole.start);
        (res.clone(), flat_score(c, res))
    };
    let n = score.count();
    // A name with a full birth date identifies a person even with no identifier (Safe
    // Harbor A + C): a finding at 2 when those are the two.
    let name_and_birth = score.name.is_some() && score.birth.is_some();
    if n < 3 && !name_and_birth {
        return Verdict::Reject;
    }
    let Some(span) = score.first() else {
        return Verdict::Reject;
    };
    let synthetic = if is_json {
        // The same question `json_marked` answers for the resource (the `family`/`given`
        // strings of the walk are those `json_marked` reads): its remembered answer, from the
        // other rules' candidates in the resource, spares a marker pass over the resource.
        markers::json_marked(c.text, res)
    } else {
        markers::structure_marked(&c.text[res])
            || markers::any_synthea_name(score.names.iter().map(|r| &c.text[r.clone()]))
    };
    let sev = if n >= 4 || score.identifier.is_some() {
        Severity::Block
    } else {
        Severity::Warn
    };
    let verdict = if synthetic {
        Verdict::synthetic()
    } else {
        Verdict::at(sev)
    };
    verdict.with_span(span).with_detail(score.detail())
}

/// 4d: an absolute URL naming one patient's record on a real server.
pub(super) fn patient_url(c: &Candidate<'_>) -> Verdict {
    let (Some(host), Some(id)) = (c.group_bytes("host"), c.group_bytes("id")) else {
        return Verdict::Reject;
    };
    let host = host.to_ascii_lowercase();
    let host = host.split(|&b| b == b':').next().unwrap_or_default();
    let ends = |s: &[u8]| host == s || host.ends_with(&[b".", s].concat());
    let reserved = [
        b"localhost".as_slice(),
        b"127.0.0.1",
        b"example",
        b"example.com",
        b"example.org",
        b"example.net",
        b"test",
        b"hapi.fhir.org",
        b"server.fire.ly",
        b"smarthealthit.org",
        b"hl7.org",
        b"fhir.org",
    ];
    if reserved.iter().any(|r| ends(r)) || !host.contains(&b'.') {
        return Verdict::Reject;
    }
    if id.eq_ignore_ascii_case(b"example") || !id.iter().any(u8::is_ascii_digit) || id.len() < 3 {
        return Verdict::Reject;
    }
    let d = crate::detect::validators::common::digits(id);
    if d.len() == id.len()
        && (crate::detect::validators::common::is_sequential(&d)
            || crate::detect::validators::common::all_same(&d))
    {
        return Verdict::Reject;
    }
    Verdict::accept()
}

#[cfg(test)]
mod tests;
