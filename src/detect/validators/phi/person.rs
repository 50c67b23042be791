//! Validators of the person-level PHI rules: D9 dates of birth and ages over 89, D10 phone and
//! fax numbers, D11 e-mail addresses, D12 street addresses and ZIP codes, D13 IP addresses,
//! and the anchor-only name label rule. Most are INFO alone and WARN in a patient context;
//! co-location (src/policy/colocate.rs) raises them further.

use super::context;
use super::ids;
use crate::detect::validators::common::boundary_ok;
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// D9: a labelled date of birth that exists, is not in the future and not a placeholder.
pub(super) fn dob(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if c.text.get(c.value.end).is_some_and(u8::is_ascii_digit) {
        return Verdict::Reject;
    }
    let Some((y, m, d)) = ids::parse_date(v) else {
        return Verdict::Reject;
    };
    if !ids::real_date(y, m, d) {
        return Verdict::Reject;
    }
    if (m, d) == (1, 1) && (y == 1970 || y == 1900) {
        return Verdict::synthetic();
    }
    if (m, d) == (1, 1) {
        return Verdict::at(Severity::Info).with_detail("January 1st is a placeholder date");
    }
    if (y, m, d) == (1974, 12, 25) {
        return Verdict::synthetic();
    }
    Verdict::accept()
}

/// D9: an age over 89 (Safe Harbor: "90 or older").
pub(super) fn age(c: &Candidate<'_>) -> Verdict {
    let Some(span) = c.group("value").or_else(|| c.group("v2")) else {
        return Verdict::Reject;
    };
    let v = &c.text[span.clone()];
    if !v.iter().all(u8::is_ascii_digit) {
        return Verdict::Reject;
    }
    let n: u32 = v.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0'));
    if !(90..=119).contains(&n) {
        return Verdict::Reject;
    }
    // `age > 110` is a comparison in code, not a person's age.
    let between = &c.text[c.whole.start..span.start];
    if between.iter().any(|b| b"<>!".contains(b)) {
        return Verdict::Reject;
    }
    // `92 y/o`, `101 years old` are clinical phrasing; a bare `age: 94` needs a patient.
    if c.group("value").is_some() && !context::patient(c) {
        return Verdict::at(Severity::Info).with_span(span);
    }
    Verdict::accept().with_span(span)
}

/// D10: a NANP phone or fax number. INFO; WARN in a patient context.
pub(super) fn phone(c: &Candidate<'_>) -> Verdict {
    let npa = c.group_bytes("npa").or_else(|| c.group_bytes("npa2"));
    let (Some(npa), Some(nxx)) = (npa, c.group_bytes("nxx")) else {
        return Verdict::Reject;
    };
    let n11 = |x: &[u8]| x[1] == b'1' && x[2] == b'1';
    if n11(npa) || n11(nxx) || !boundary_ok(c.text, c.whole.clone()) || !same_seps(c) {
        return Verdict::Reject;
    }
    // Synthea writes every number as 555-NNN-NNNN; NANP reserves NXX 555 for fiction.
    if nxx == b"555" || npa == b"555" {
        return Verdict::synthetic();
    }
    if organisation_line(c) || context::in_non_patient_resource(c) {
        return Verdict::Reject;
    }
    const TOLL_FREE: [&[u8]; 7] = [b"800", b"833", b"844", b"855", b"866", b"877", b"888"];
    if TOLL_FREE.contains(&npa) {
        return Verdict::at(Severity::Info).with_detail("toll-free business number");
    }
    in_patient_record(c)
}

/// D10 without separators: ten digits (or `1` + ten) after a phone label (`phone:
/// 9374128830`, `"mobile": "+19374128830"`), groups `npa`, `nxx`. The same NANP checks and
/// severities as [`phone`].
pub(super) fn phone_labelled(c: &Candidate<'_>) -> Verdict {
    let (Some(npa), Some(nxx)) = (c.group_bytes("npa"), c.group_bytes("nxx")) else {
        return Verdict::Reject;
    };
    let n11 = |x: &[u8]| x[1] == b'1' && x[2] == b'1';
    if n11(npa) || n11(nxx) || c.text.get(c.value.end).is_some_and(u8::is_ascii_digit) {
        return Verdict::Reject;
    }
    if nxx == b"555" || npa == b"555" {
        return Verdict::synthetic();
    }
    let line = &c.text[c.value.end - 4..c.value.end];
    if organisation_line(c)
        || line.iter().all(|&b| b == line[0])
        || context::in_non_patient_resource(c)
    {
        return Verdict::Reject;
    }
    const TOLL_FREE: [&[u8]; 7] = [b"800", b"833", b"844", b"855", b"866", b"877", b"888"];
    if TOLL_FREE.contains(&npa) {
        return Verdict::at(Severity::Info).with_detail("toll-free business number");
    }
    warn_for_a_patient(c)
}

/// D10 outside the NANP: an international number written with its country code
/// (`+44 20 7123 4568`, `+55 11 98456 5666`, E.164's `+4915198765432`; a NANP `+1` number is
/// [`phone`]'s, or [`phone_labelled`]'s without separators). The `+` starts a
/// word (after white space, a quote, `(`, `:`, `=`, `,`, `;`, `>` or `[`), the country code
/// is an assigned one, and the number holds 8 to 15 digits (E.164's longest). The same
/// severities as [`phone`]: INFO, WARN in a patient record.
pub(super) fn phone_international(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let starts_word = c.value.start == 0
        || matches!(
            c.text[c.value.start - 1],
            b' ' | b'\t'
                | b'\n'
                | b'\r'
                | b'"'
                | b'\''
                | b'('
                | b':'
                | b'='
                | b','
                | b';'
                | b'>'
                | b'['
        );
    if !starts_word || !boundary_ok(c.text, c.value.clone()) {
        return Verdict::Reject;
    }
    let digits: Vec<u8> = v.iter().copied().filter(u8::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) {
        return Verdict::Reject;
    }
    let Some(cc) = country_code_len(&digits) else {
        return Verdict::Reject;
    };
    let national = &digits[cc..];
    if national.len() < 6 || national.iter().all(|&d| d == national[0]) {
        return Verdict::Reject;
    }
    // Ofcom's numbers for drama (`+44 20 7946 0xxx`, `+44 7700 900xxx`, ...) and a subscriber
    // number typed as a run (`+49 30 1234567`) are stand-ins.
    let uk_drama = digits.starts_with(b"44") && UK_DRAMA.iter().any(|p| national.starts_with(p));
    if uk_drama || typed_as_run(national) {
        return Verdict::synthetic();
    }
    if organisation_line(c) || context::in_non_patient_resource(c) {
        return Verdict::Reject;
    }
    in_patient_record(c)
}

/// D10 outside the NANP in a national format: a trunk `0` and the number in groups after a
/// phone label (`phone: 020 7123 4568`, `tel: 06 12 34 56 78`, `mobile: (03) 9123 4567`).
/// Nine to twelve digits with the `0`, groups joined by one kind of separator (a date with an
/// hour after it, `01-02-2023 10`, mixes them), not all one digit; Ofcom's drama numbers and
/// a subscriber number typed as a run (`030 1234567`) are stand-ins. The same severities as
/// [`phone_labelled`]: INFO, WARN in a patient record.
pub(super) fn phone_national(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if c.text
        .get(c.value.end)
        .is_some_and(|&b| b.is_ascii_alphanumeric())
        || matches!(c.text.get(c.value.end..c.value.end + 2), Some([b'.' | b'-' | b'/', d]) if d.is_ascii_digit())
    {
        return Verdict::Reject;
    }
    let digits: Vec<u8> = v.iter().copied().filter(u8::is_ascii_digit).collect();
    if !(9..=12).contains(&digits.len()) {
        return Verdict::Reject;
    }
    // One kind of separator between the groups (a closing parenthesis with a blank after it
    // counts as a blank).
    let mut seps = v
        .iter()
        .filter(|b| !b.is_ascii_digit() && **b != b'(' && **b != b')');
    let first = seps.next();
    if first.is_some_and(|f| seps.any(|b| b != f)) {
        return Verdict::Reject;
    }
    let national = &digits[1..];
    if national.iter().all(|&d| d == national[0]) {
        return Verdict::Reject;
    }
    let drama = digits.len() == 11 && UK_DRAMA.iter().any(|p| national.starts_with(p));
    // A subscriber number that starts `555` after the area code (FHIR's example patient's
    // `(03) 5555 6473`), as the NANP's fictional exchange; ACMA's fictional mobiles
    // (`0491 570 xxx`).
    let fictional = v
        .split(|b| !b.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .skip(1)
        .any(|g| g.starts_with(b"555"))
        || national.starts_with(b"49157");
    if drama || typed_as_run(national) || fictional {
        return Verdict::synthetic();
    }
    if organisation_line(c) || context::in_non_patient_resource(c) {
        return Verdict::Reject;
    }
    warn_for_a_patient(c)
}

/// A labelled number's severity: WARN in a patient record, INFO elsewhere.
fn warn_for_a_patient(c: &Candidate<'_>) -> Verdict {
    if context::patient(c) {
        Verdict::at(Severity::Warn).with_detail("in a patient record")
    } else {
        Verdict::at(Severity::Info)
    }
}

/// A subscriber number typed as a run (`1234567`, `0000000`): a stand-in.
fn typed_as_run(national: &[u8]) -> bool {
    national
        .windows(7)
        .any(|w| w == b"1234567" || w == b"0000000")
}

/// Ofcom's ranges for drama, as national numbers without the trunk `0` (`20 7946 0xxx`,
/// `7700 900xxx`, ...): stand-ins, written with `+44` or with the `0`.
const UK_DRAMA: [&[u8]; 20] = [
    b"1134960", b"1144960", b"1154960", b"1164960", b"1174960", b"1184960", b"1214960", b"1314960",
    b"1414960", b"1514960", b"1614960", b"2079460", b"1914980", b"2890180", b"2920180", b"1632960",
    b"7700900", b"8081570", b"9098790", b"3069990",
];

/// The length of the ITU-T E.164 country code that starts `digits` (not the NANP's `1`), or
/// `None` for a prefix no country has (`+214…`, `+2147483647` in C). Codes are prefix-free:
/// `7`, the two-digit codes, and the assigned three-digit ones.
fn country_code_len(digits: &[u8]) -> Option<usize> {
    const TWO: &[u16] = &[
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55,
        56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ];
    // Assigned three-digit codes, as inclusive ranges.
    const THREE: &[(u16, u16)] = &[
        (211, 213),
        (216, 216),
        (218, 218),
        (220, 258),
        (260, 269),
        (290, 291),
        (297, 299),
        (350, 359),
        (370, 383),
        (385, 387),
        (389, 389),
        (420, 421),
        (423, 423),
        (500, 509),
        (590, 599),
        (670, 670),
        (672, 683),
        (685, 692),
        (850, 850),
        (852, 853),
        (855, 856),
        (880, 880),
        (886, 886),
        (960, 968),
        (970, 977),
        (992, 996),
        (998, 998),
    ];
    let d = |i: usize| digits.get(i).map(|&b| u16::from(b - b'0'));
    match d(0)? {
        7 => Some(1),
        0 | 1 => None,
        a => {
            let two = a * 10 + d(1)?;
            if TWO.contains(&two) {
                return Some(2);
            }
            let three = two * 10 + d(2)?;
            THREE
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&three))
                .then_some(3)
        }
    }
}

/// A phone number's severity: WARN in a patient record (a patient resource or message, or a
/// CSV column naming a phone), INFO elsewhere.
fn in_patient_record(c: &Candidate<'_>) -> Verdict {
    if context::patient(c)
        || context::column(c)
            .is_some_and(|col| context::has_any(col, &[b"phone", b"fax", b"mobile"]))
    {
        Verdict::at(Severity::Warn).with_detail("in a patient record")
    } else {
        Verdict::at(Severity::Info)
    }
}

/// Whether the number's label names an organisation's line (`supportPhone`, `helpdesk`,
/// `callback_number`, `hotline`, `sales`): a business contact, never a person's, and not
/// an identifier to pair with a patient next to it. A patient's own work phone is not
/// exempt (HIPAA counts it), so `work`/`office` are not on the list.
fn organisation_line(c: &Candidate<'_>) -> bool {
    let line = crate::detect::validators::common::line_bounds(c.text, c.whole.start);
    let label = &c.text[line.start.max(c.whole.start.saturating_sub(48))..c.whole.start];
    [
        &b"support"[..],
        b"helpdesk",
        b"help_desk",
        b"help-desk",
        b"callback",
        b"hotline",
        b"sales",
    ]
    .iter()
    .any(|w| crate::detect::validators::common::contains_ci(label, w))
}

/// `312-867.4421` mixes separators: a version or an id, not a phone number.
fn same_seps(c: &Candidate<'_>) -> bool {
    let v = &c.text[c.whole.clone()];
    let tail = &v[v.len().saturating_sub(8)..];
    let sep = tail[3];
    let before = c.group("nxx").map(|r| c.text[r.start - 1]);
    before.is_none_or(|b| b == sep || b == b')' || b == b' ')
}

/// D11: an e-mail address outside the reserved, example and file-name spaces.
pub(super) fn email(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let Some(at) = v.iter().position(|&b| b == b'@') else {
        return Verdict::Reject;
    };
    let (local, domain) = (&v[..at], v[at + 1..].to_ascii_lowercase());
    let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    const RESERVED: [&[u8]; 6] = [
        b"test",
        b"example",
        b"invalid",
        b"localhost",
        b"local",
        b"internal",
    ];
    const FILES: [&[u8]; 11] = [
        b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"js", b"ts", b"css", b"map", b"json",
    ];
    let example = [
        b"example.com".as_slice(),
        b"example.net",
        b"example.org",
        b"test.com",
    ]
    .iter()
    .any(|e| domain == *e || domain.ends_with(&[b".", *e].concat()));
    let lower_local = local.to_ascii_lowercase();
    if FILES.contains(&tld) || c.text.get(c.value.end) == Some(&b':') && local == b"git" {
        return Verdict::Reject;
    }
    if domain.ends_with(b"users.noreply.github.com")
        || lower_local.starts_with(b"noreply")
        || lower_local.starts_with(b"no-reply")
        || is_list_or_role_address(&lower_local, &domain)
    {
        return Verdict::Reject;
    }
    if RESERVED.contains(&tld) || example {
        return Verdict::synthetic();
    }
    if context::in_non_patient_resource(c) {
        return Verdict::Reject;
    }
    if context::patient(c)
        || context::column(c).is_some_and(|col| context::has_any(col, &[b"email"]))
    {
        Verdict::at(Severity::Warn).with_detail("in a patient record")
    } else {
        Verdict::at(Severity::Info)
    }
}

/// A mailing list or a role mailbox, not a person: a `list`/`lists` host label
/// (`fhir@lists.hl7.org`), a list local part (`announce-list`, `users-request`, `dev-l`), or a
/// role name (`support`, `info`, `webmaster`).
fn is_list_or_role_address(local: &[u8], domain: &[u8]) -> bool {
    const ROLES: &[&[u8]] = &[
        b"list",
        b"lists",
        b"info",
        b"support",
        b"help",
        b"helpdesk",
        b"admin",
        b"webmaster",
        b"postmaster",
        b"hostmaster",
        b"abuse",
        b"security",
        b"privacy",
        b"contact",
        b"sales",
        b"team",
        b"dev",
        b"devs",
        b"developers",
        b"announce",
        b"users",
        b"community",
        b"press",
        b"office",
        b"feedback",
        b"notifications",
        b"donotreply",
        b"do-not-reply",
        b"mailer-daemon",
        b"majordomo",
        b"listserv",
        b"bounce",
        b"bounces",
    ];
    domain
        .split(|&b| b == b'.')
        .any(|label| label == b"list" || label == b"lists" || label == b"listserv")
        || ROLES.contains(&local)
        || [
            b"-list".as_slice(),
            b"-request",
            b"-l",
            b"-announce",
            b"-users",
            b"-dev",
        ]
        .iter()
        .any(|s| local.ends_with(s))
}

/// D12: a street address. INFO; WARN with an address label or in a patient context.
pub(super) fn address(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    // Business and licence texts: a company's address is not a patient's.
    const BUSINESS: &[&[u8]] = &[
        b"foundation",
        b"inc.",
        b"inc,",
        b"llc",
        b"ltd",
        b"corporation",
        b"corp.",
        b"software",
        b"license",
        b"licence",
        b"copyright",
        b"company",
        b"gmbh",
        b"headquarters",
    ];
    // The boundary check first: it reads two bytes, the business words a window of lines.
    if !boundary_ok(c.text, c.value.clone())
        || context::near(c, BUSINESS)
        || context::in_non_patient_resource(c)
    {
        return Verdict::Reject;
    }
    const DUMMIES: [&[u8]; 7] = [
        b"123 Main St",
        b"1 Main St",
        b"742 Evergreen Terrace",
        b"1600 Pennsylvania Ave",
        b"1600 Amphitheatre Pkwy",
        b"1600 Amphitheatre Parkway",
        b"1 Infinite Loop",
    ];
    // The value without its dots starts with a dummy (compared as it is read: no copy).
    let undotted = || v.iter().filter(|&&b| b != b'.');
    if DUMMIES
        .iter()
        .any(|d| undotted().take(d.len()).eq(d.iter()))
    {
        return Verdict::synthetic();
    }
    const LABELS: &[&[u8]] = &[b"address", b"addr", b"street", b"residence", b"\"line\""];
    if context::near(c, LABELS) || context::patient(c) {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::at(Severity::Info)
    }
}

/// D12: a labelled ZIP code or a state + ZIP. ZIP+4 with a label or patient context: WARN;
/// otherwise INFO. The 17 restricted ZIP3 prefixes are noted.
pub(super) fn zip(c: &Candidate<'_>) -> Verdict {
    let Some(zip) = c.group_bytes("zip") else {
        return Verdict::Reject;
    };
    let plus4 = c.group_bytes("plus4");
    if zip == b"00000" || plus4 == Some(b"0000") || !boundary_ok(c.text, c.whole.clone()) {
        return Verdict::Reject;
    }
    let labelled = c.group("label").is_some();
    if plus4.is_some() && (labelled || context::patient(c)) {
        Verdict::at(Severity::Warn).with_detail("ZIP+4 narrows to a few households")
    } else if labelled || context::patient(c) || plus4.is_some() {
        Verdict::at(Severity::Info)
    } else {
        Verdict::Reject
    }
}

/// D13: a public IPv4/IPv6 address (reserved, private and documentation ranges dropped).
pub(super) fn ip(c: &Candidate<'_>) -> Verdict {
    let Ok(s) = std::str::from_utf8(c.value_bytes()) else {
        return Verdict::Reject;
    };
    let addr: IpAddr = match s.parse() {
        Ok(a) => a,
        Err(_) => return Verdict::Reject,
    };
    if !ip_boundary(c) {
        return Verdict::Reject;
    }
    let public = match addr {
        IpAddr::V4(a) => public_v4(a),
        IpAddr::V6(a) => public_v6(a),
    };
    if !public || is_section_number(c, addr) {
        return Verdict::Reject;
    }
    if context::patient(c) {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::at(Severity::Info)
    }
}

/// A dotted quad that numbers a section of a specification, not a host: the first three
/// parts are one digit each (`3.3.2.1`, `4.5.3.32`; hosts there are public resolvers such as
/// `8.8.4.4`, no one's data), or a word before it on the line says so (`<Reference>3.4.2.30`,
/// `Section 4.5.2.11`, `chapter 7, section 7.4.2.6`, `<a name="0359.1.2.3">`).
fn is_section_number(c: &Candidate<'_>, addr: IpAddr) -> bool {
    if let IpAddr::V4(a) = addr
        && a.octets()[..3].iter().all(|&o| o < 10)
    {
        return true;
    }
    let line = crate::detect::validators::common::line_bounds(c.text, c.value.start);
    let from = c.value.start.saturating_sub(32).max(line.start);
    let before = c.text[from..c.value.start].to_ascii_lowercase();
    const WORDS: &[&[u8]] = &[
        b"<reference>",
        b"section",
        b"sect.",
        b"chapter",
        b"clause",
        b"paragraph",
        b"appendix",
        b"annex",
        b"figure",
        b"table ",
        b"\xc2\xa7", // §
        b"name=\"",
        b"name=\\\"",
        b"version",
        b"release",
    ];
    WORDS
        .iter()
        .any(|w| before.windows(w.len()).any(|x| x == *w))
}

/// An IP is part of a longer chain (`1.2.3.4.5`, a version) when a `.digit` or a word byte
/// touches it.
fn ip_boundary(c: &Candidate<'_>) -> bool {
    let before = &c.text[..c.value.start];
    let after = &c.text[c.value.end..];
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    !(before.last().is_some_and(word)
        || before.last() == Some(&b'.')
        || after.first().is_some_and(word)
        || matches!(after, [b'.', d, ..] if d.is_ascii_digit())
        || matches!(after, [b':', d, ..] if d.is_ascii_hexdigit() && c.value_bytes().contains(&b':')))
}

fn public_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_multicast()
        || a.is_broadcast()
        || a.is_unspecified()
        || o[0] == 0
        || o[0] >= 240
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 198 && (18..20).contains(&o[1]))
        || matches!(
            o,
            [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] | [192, 0, 0, _]
        ))
}

fn public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    if let Some(v4) = a.to_ipv4_mapped() {
        return public_v4(v4);
    }
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || s[0] == 0
        || s.iter().filter(|&&x| x != 0).count() < 3)
}

/// Anchor-only: a person's name under a label (`patient_name:`, `"family":`), for co-location.
pub(super) fn name_label(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if v.len() < 2 || !v[0].is_ascii_uppercase() || super::markers::synthea_name(v) {
        return Verdict::Reject;
    }
    Verdict::accept()
}
