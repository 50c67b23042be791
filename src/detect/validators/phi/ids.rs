//! Pure value checks shared by the PHI validators and the structure readers: the shape and
//! check digits of each identifier, without any context. Each returns whether the value could
//! be real, and [`Check::Synthetic`] for the published examples of detectors.md §4.

use super::ssn::{SsnClass, classify_ssn};
use crate::detect::validators::common::{all_same, digits, is_sequential, luhn_valid};

/// The outcome of a value check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Could be a real identifier.
    Valid,
    /// A published example or synthetic-data value.
    Synthetic,
    /// Not this kind of identifier.
    Invalid,
}

/// MBI letters: A–Z without S, L, O, I, B, Z.
fn mbi_alpha(b: u8) -> bool {
    b.is_ascii_uppercase() && !b"SLOIBZ".contains(&b)
}

/// D5 MBI: `C A AN N A AN N A A N N`, with two dashes (after 4 and 7) or none.
pub fn mbi(v: &[u8]) -> Check {
    let plain: Vec<u8> = match v.len() {
        11 => v.to_vec(),
        13 if v[4] == b'-' && v[8] == b'-' => [&v[..4], &v[5..8], &v[9..]].concat(),
        _ => return Check::Invalid,
    };
    let p = &plain;
    let an = |b: u8| b.is_ascii_digit() || mbi_alpha(b);
    let ok = (b'1'..=b'9').contains(&p[0])
        && mbi_alpha(p[1])
        && an(p[2])
        && p[3].is_ascii_digit()
        && mbi_alpha(p[4])
        && an(p[5])
        && p[6].is_ascii_digit()
        && mbi_alpha(p[7])
        && mbi_alpha(p[8])
        && p[9].is_ascii_digit()
        && p[10].is_ascii_digit();
    match () {
        _ if !ok => Check::Invalid,
        _ if p == b"1EG4TE5MK73" => Check::Synthetic,
        _ => Check::Valid,
    }
}

/// D5 HICN: an SSN (D1-valid) followed by a beneficiary identification code.
pub fn hicn(v: &[u8]) -> Check {
    let d: Vec<u8> = v
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_digit() || *b == b'-')
        .collect();
    let nine: Vec<u8> = d.iter().copied().filter(u8::is_ascii_digit).collect();
    let rest: Vec<u8> = v[d.len()..]
        .iter()
        .copied()
        .filter(|b| *b != b' ' && *b != b'-')
        .collect();
    let Ok(arr) = <[u8; 9]>::try_from(nine.as_slice()) else {
        return Check::Invalid;
    };
    let bic_ok = match rest.as_slice() {
        [a] | [a, _] => b"ABCDEFGHJKMTW".contains(a) && rest.iter().all(u8::is_ascii_alphanumeric),
        _ => false,
    };
    if !bic_ok {
        return Check::Invalid;
    }
    match classify_ssn(&arr) {
        SsnClass::Valid => Check::Valid,
        SsnClass::Synthetic | SsnClass::ItinSpace => Check::Synthetic,
        SsnClass::Invalid => Check::Invalid,
    }
}

/// An SSN value in any of its shapes (`ddd-dd-dddd`, `ddddddddd`, `ddd dd dddd`).
pub fn ssn(v: &[u8]) -> Check {
    let d: Vec<u8> = v.iter().copied().filter(u8::is_ascii_digit).collect();
    let seps: Vec<u8> = v.iter().copied().filter(|b| !b.is_ascii_digit()).collect();
    let shape_ok = match seps.as_slice() {
        [] => true,
        [a, b] => a == b && b"- .".contains(a) && v.len() == 11 && v[3] == *a,
        _ => false,
    };
    let Ok(arr) = <[u8; 9]>::try_from(d.as_slice()) else {
        return Check::Invalid;
    };
    if !shape_ok {
        return Check::Invalid;
    }
    match classify_ssn(&arr) {
        SsnClass::Valid => Check::Valid,
        SsnClass::Synthetic | SsnClass::ItinSpace => Check::Synthetic,
        SsnClass::Invalid => Check::Invalid,
    }
}

/// D6 NPI: ten digits (`1234-567-893` spacing allowed), Luhn over `80840` + the digits.
pub fn npi(v: &[u8]) -> Check {
    let d = digits(v);
    if d.len() != 10
        || !(1..=2).contains(&d[0])
        || v.iter().any(|b| !b.is_ascii_digit() && !b" -".contains(b))
    {
        return Check::Invalid;
    }
    if all_same(&d[..9]) {
        return Check::Invalid;
    }
    let mut full = vec![8, 0, 8, 4, 0];
    full.extend_from_slice(&d);
    match () {
        _ if !luhn_valid(&full) => Check::Invalid,
        _ if v
            .iter()
            .filter(|b| b.is_ascii_digit())
            .eq(b"1234567893".iter()) =>
        {
            Check::Synthetic
        }
        _ => Check::Valid,
    }
}

/// D7 DEA: registrant type, surname initial (or `9`), seven digits with the DEA checksum.
pub fn dea(v: &[u8]) -> Check {
    let v = v.split(|b| *b == b'-').next().unwrap_or(v);
    if v.len() != 9
        || !b"ABCDEFGHJKLMPRSTUX".contains(&v[0].to_ascii_uppercase())
        || !(v[1].is_ascii_alphabetic() || v[1] == b'9')
        || !v[2..].iter().all(u8::is_ascii_digit)
    {
        return Check::Invalid;
    }
    let d = digits(&v[2..]);
    let sum = u32::from(d[0] + d[2] + d[4]) + 2 * u32::from(d[1] + d[3] + d[5]);
    match () {
        _ if sum % 10 != u32::from(d[6]) => Check::Invalid,
        _ if &v[2..] == b"1234563" => Check::Synthetic,
        _ => Check::Valid,
    }
}

/// D3 MRN value rules: 5–12 digits, optional 1–3 letter prefix, single inner dashes; not one
/// digit repeated, not a run, not a round number, not a date.
pub fn mrn(v: &[u8]) -> Check {
    let d = digits(v);
    if !(5..=12).contains(&d.len())
        || v.windows(2).any(|w| w == b"--")
        || v.last() == Some(&b'-')
        || !v.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        return Check::Invalid;
    }
    let letters = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters > 3 || v[letters..].iter().any(u8::is_ascii_alphabetic) {
        return Check::Invalid;
    }
    // A run is a placeholder only as the whole value (`123456`); `A1234567` is a real shape.
    let run = letters == 0 && is_sequential(&d);
    if all_same(&d) || run || d[1..].iter().all(|&x| x == 0) || date_like(v) {
        return Check::Invalid;
    }
    Check::Valid
}

/// `2021-04-12`-like: three dash-separated numbers shaped as a date.
pub fn date_like(v: &[u8]) -> bool {
    let parts: Vec<&[u8]> = v.split(|b| *b == b'-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2)
}

/// Synthea's driver's licence (`S999NNNNN`) and passport (`X########X`) shapes.
pub fn synthea_licence(v: &[u8]) -> bool {
    (v.len() == 9 && v.starts_with(b"S999"))
        || (v.len() == 10 && v[0] == b'X' && v[9] == b'X' && v[1..9].iter().all(u8::is_ascii_digit))
}

/// A UUID (Synthea MR values are UUIDs: INFO, not WARN).
pub fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| {
            if [8, 13, 18, 23].contains(&i) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// ISO 3779 VIN check digit (position 9).
pub fn vin(v: &[u8]) -> Check {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    if v.len() != 17 {
        return Check::Invalid;
    }
    let value = |b: u8| -> Option<u32> {
        Some(match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'H' => u32::from(b - b'A') + 1,
            b'J'..=b'N' => u32::from(b - b'J') + 1,
            b'P' => 7,
            b'R' => 9,
            b'S'..=b'Z' => u32::from(b - b'S') + 2,
            _ => return None,
        })
    };
    let Some(sum) = v
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| value(b).map(|x| x * w))
        .sum::<Option<u32>>()
    else {
        return Check::Invalid;
    };
    let check = match sum % 11 {
        10 => b'X',
        n => b'0' + n as u8,
    };
    let letters = v.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digit_count = 17 - letters;
    if check != v[8] || letters < 2 || digit_count < 5 || all_same(&v[11..]) {
        return Check::Invalid;
    }
    Check::Valid
}

/// GS1 mod-10 check over a GTIN-14 (the UDI device identifier).
pub fn gtin14(v: &[u8]) -> Check {
    if v.len() != 14 || !v.iter().all(u8::is_ascii_digit) {
        return Check::Invalid;
    }
    let d = digits(v);
    let sum: u32 = d[..13]
        .iter()
        .enumerate()
        .map(|(i, &x)| u32::from(x) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    if (10 - sum % 10) % 10 != u32::from(d[13]) || all_same(&d[1..13]) {
        return Check::Invalid;
    }
    Check::Valid
}

/// A calendar date (year, month, day) that exists, is not before 1900 and not in the future.
pub fn real_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=current_year()).contains(&y) && (1..=days).contains(&d)
}

/// The current UTC year (dates of birth in the future are not dates of birth).
pub fn current_year() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Good to a day, which is all a year bound needs.
    1970 + (secs / 31_556_952) as u32
}

/// Parses a date of birth as written (`1961-04-12`, `04/12/1961`, `19610412`, `Apr 12, 1961`,
/// `4/12/61`) into (year, month, day). Separators must be one kind throughout.
pub fn parse_date(v: &[u8]) -> Option<(u32, u32, u32)> {
    let num = |s: &[u8]| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.iter().all(u8::is_ascii_digit))
            .then(|| s.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
    };
    if v.len() == 8 && v.iter().all(u8::is_ascii_digit) {
        return Some((num(&v[..4])?, num(&v[4..6])?, num(&v[6..])?));
    }
    if v.first().is_some_and(u8::is_ascii_alphabetic) {
        return parse_month_name(v);
    }
    // `22-Mar-1985`, `22 March 1985`: the day first, then the month's name, then the year.
    if let Some(at) = v.iter().position(u8::is_ascii_alphabetic) {
        let day: Vec<u8> = v[..at].iter().copied().filter(u8::is_ascii_digit).collect();
        let (_, m, _) =
            parse_month_name(&[&v[at..], b" 1"].concat()).or_else(|| parse_month_name(&v[at..]))?;
        let digits = v[at..].iter().position(u8::is_ascii_digit)?;
        return Some((num(&v[at + digits..])?, m, num(&day)?));
    }
    let sep = *v.iter().find(|b| !b.is_ascii_digit())?;
    let parts: Vec<&[u8]> = v.split(|b| *b == sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    if a.len() == 4 {
        return Some((num(a)?, num(b)?, num(c)?));
    }
    let y = num(c)?;
    let y = match c.len() {
        4 => y,
        2 if y + 2000 > current_year() => 1900 + y,
        2 => 2000 + y,
        _ => return None,
    };
    Some((y, num(a)?, num(b)?))
}

fn parse_month_name(v: &[u8]) -> Option<(u32, u32, u32)> {
    const MONTHS: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let m = MONTHS
        .iter()
        .position(|m| v.len() >= 3 && v[..3].eq_ignore_ascii_case(m))? as u32
        + 1;
    let nums: Vec<u32> = v
        .split(|b| !b.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
        .collect();
    match nums.as_slice() {
        [d, y] => Some((*y, m, *d)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
