use super::{DAMAGED, ROWS, Table, ibm, is_xport, tables};
use crate::source::archive::OVER_BUDGET;

// Written by pyreadstat: `python3 tests/fixtures/xport/generate.py tests/fixtures/xport`. The
// same three patients in each, as the member `DM`.
const V5: &[u8] = include_bytes!("../../../tests/fixtures/xport/v5.xpt");
const V8: &[u8] = include_bytes!("../../../tests/fixtures/xport/v8.xpt");
const FIXTURES: [&[u8]; 2] = [V5, V8];

const BIG: u64 = 1 << 30;

/// The patients of the v5 fixture: character values (a full-width `$11` SSN among them),
/// a `DATE`, a `DATETIME` and a `YYMMDD10.` date, numbers (an SSN and an MRN among them)
/// with missing values.
const PATIENTS: &str = "\
mrn,name,ssn,ssn_num,dob,seen,visit,mrn_num,ratio
MR4000001,Rosa Ortega,536-90-4399,536904399,1956-02-17,2025-03-04 08:15:30,2024-07-01,4000001,0.1
MR4000002,José Núñez,219-45-0011,219450011,1988-11-30,,2023-01-15,4000002,1e-7
MR4000003,\"Ada \"\"Al\"\" Kim, Jr\",418-27-3306,418273306,,1999-12-31 23:59:59,2022-12-31,,2.5e20
";

/// [`PATIENTS`] with the v8 fixture's `patient_home_address`, a name longer than 8 bytes.
fn v8_patients() -> String {
    let address = ["patient_home_address", "12 Elm St", "", "9 Oak Ave"];
    PATIENTS
        .lines()
        .zip(address)
        .map(|(line, more)| format!("{line},{more}\n"))
        .collect()
}

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

/// The members of `bytes`: names and CSV.
fn members(bytes: &[u8]) -> Vec<(String, String)> {
    read(bytes)
        .into_iter()
        .map(|(name, rows)| (name, String::from_utf8(rows.expect("rows")).expect("utf-8")))
        .collect()
}

#[test]
fn versions_5_and_8_render_every_observation_under_the_variable_names() {
    assert!(is_xport(V5) && is_xport(V8));
    assert_eq!(members(V5), [("DM".to_owned(), PATIENTS.to_owned())]);
    assert_eq!(members(V8), [("DM".to_owned(), v8_patients())]);
}

#[test]
fn what_is_rendered_is_taken_from_the_budget() {
    for bytes in FIXTURES {
        let len: u64 = members(bytes).iter().map(|(_, t)| t.len() as u64).sum();
        let mut left = len + 7;
        assert!(tables(bytes, &mut left).is_ok());
        assert_eq!(left, 7);
        let mut left = len - 1;
        assert_eq!(tables(bytes, &mut left), Err(OVER_BUDGET));
    }
}

/// A value of a hand-made file.
#[derive(Debug, Clone)]
enum Value {
    Num(f64),
    /// A missing value: `.`, `_` or a letter.
    Missing(u8),
    Str(&'static str),
}

/// A variable of a hand-made file: name, numeric, length, format.
type Var = (String, bool, usize, &'static str);

/// A data set of a hand-made file.
struct Member {
    name: &'static str,
    vars: Vec<Var>,
    rows: Vec<Vec<Value>>,
}

/// A transport file written by hand.
struct Xpt {
    v8: bool,
    /// Long names (and formats) in a `LABELV9` record rather than `LABELV8`.
    v9: bool,
    members: Vec<Member>,
}

/// `x` as an 8-byte IBM float.
fn to_ibm(x: f64) -> [u8; 8] {
    if x == 0.0 {
        return [0; 8];
    }
    let sign = if x < 0.0 { 0x80u64 } else { 0 };
    let (mut x, mut exponent) = (x.abs(), 64u64);
    while x >= 1.0 {
        x /= 16.0;
        exponent += 1;
    }
    while x < 1.0 / 16.0 {
        x *= 16.0;
        exponent -= 1;
    }
    let fraction = (x * 2f64.powi(56)) as u64;
    ((sign | exponent) << 56 | fraction).to_be_bytes()
}

fn padded(text: &str, len: usize, pad: u8) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.resize(len, pad);
    bytes
}

/// A header record named `name`, with `numbers` after it.
fn header(name: &str, numbers: &str) -> Vec<u8> {
    let mut record = b"HEADER RECORD*******".to_vec();
    record.extend(padded(name, 8, b' '));
    record.extend_from_slice(b"HEADER RECORD!!!!!!!");
    record.extend(padded(numbers, 32, b' '));
    record
}

/// Pads `out` with blanks to a whole record.
fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(80), b' ');
}

impl Xpt {
    fn new(v8: bool, members: Vec<Member>) -> Xpt {
        Xpt {
            v8,
            v9: false,
            members,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let zeros = "0".repeat(30);
        let mut out = header(if self.v8 { "LIBV8" } else { "LIBRARY" }, &zeros);
        out.extend(padded("SAS     SAS     SASLIB  9.4     X64_10PR", 64, b' '));
        out.extend_from_slice(b"01JAN26:00:00:0001JAN26:00:00:00");
        pad(&mut out);
        for member in &self.members {
            self.member(&mut out, member);
        }
        out
    }

    fn member(&self, out: &mut Vec<u8>, member: &Member) {
        let v8 = self.v8;
        let zeros = "0".repeat(30);
        out.extend(header(
            if v8 { "MEMBV8" } else { "MEMBER" },
            "000000000000000001600000000140",
        ));
        out.extend(header(if v8 { "DSCPTV8" } else { "DSCRPTR" }, &zeros));
        out.extend_from_slice(b"SAS     ");
        out.extend(padded(member.name, if v8 { 32 } else { 8 }, b' '));
        out.extend_from_slice(b"SASDATA 9.4     X64_10PR");
        pad(out);
        out.extend_from_slice(b"01JAN26:00:00:00");
        pad(out);
        let count = format!("{:010}{}", member.vars.len(), "0".repeat(20));
        out.extend(header(if v8 { "NAMSTV8" } else { "NAMESTR" }, &count));
        let mut at = 0;
        for (i, (name, numeric, len, format)) in member.vars.iter().enumerate() {
            out.extend_from_slice(&[0, if *numeric { 1 } else { 2 }, 0, 0]);
            out.extend_from_slice(&(*len as u16).to_be_bytes());
            out.extend_from_slice(&(i as u16 + 1).to_be_bytes());
            out.extend(padded(&name[..name.len().min(8)], 8, b' '));
            out.extend(padded("", 40, b' '));
            out.extend(padded(format, 8, b' '));
            out.extend_from_slice(&[0; 8]);
            out.extend(padded("", 8, b' '));
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&(at as u32).to_be_bytes());
            let long = if v8 && name.len() <= 32 { name } else { "" };
            out.extend(padded(long, 32, b' '));
            out.extend_from_slice(&[0; 20]);
            at += len;
        }
        pad(out);
        if v8 {
            self.labels(out, member);
        }
        out.extend(header(if v8 { "OBSV8" } else { "OBS" }, &zeros));
        for row in &member.rows {
            for (value, (_, _, len, _)) in row.iter().zip(&member.vars) {
                match value {
                    Value::Num(x) => out.extend_from_slice(&to_ibm(*x)[..*len]),
                    Value::Missing(m) => out.extend(padded(&char::from(*m).to_string(), *len, 0)),
                    Value::Str(text) => out.extend(padded(text, *len, b' ')),
                }
            }
        }
        pad(out);
    }

    /// A `LABELV8` (or `LABELV9`) record for the names longer than 32 bytes.
    fn labels(&self, out: &mut Vec<u8>, member: &Member) {
        let long: Vec<(usize, &Var)> = member
            .vars
            .iter()
            .enumerate()
            .filter(|(_, v)| v.0.len() > 32)
            .collect();
        if long.is_empty() {
            return;
        }
        let name = if self.v9 { "LABELV9" } else { "LABELV8" };
        out.extend(header(name, &long.len().to_string()));
        for (i, (name, _, _, format)) in long {
            let mut lens = vec![i + 1, name.len(), 5];
            if self.v9 {
                lens.extend([format.len(), 0]);
            }
            for n in lens {
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"label");
            if self.v9 {
                out.extend_from_slice(format.as_bytes());
            }
        }
        pad(out);
    }
}

fn num(name: &str, format: &'static str) -> Var {
    (name.to_owned(), true, 8, format)
}

fn chr(name: &str, len: usize) -> Var {
    (name.to_owned(), false, len, "")
}

/// `n` subjects: a subject id, an SSN, an MRN (a number) and a visit (`DATE9.`).
fn subjects(name: &'static str, n: usize) -> Member {
    let rows = (0..n)
        .map(|i| {
            vec![
                Value::Str(Box::leak(format!("SUBJ-{i:04}").into_boxed_str())),
                Value::Str(Box::leak(
                    format!("536-90-{:04}", i % 10_000).into_boxed_str(),
                )),
                Value::Num(4_000_000.0 + i as f64),
                Value::Num(23_558.0 + i as f64),
            ]
        })
        .collect();
    Member {
        name,
        vars: vec![
            chr("USUBJID", 9),
            chr("SSN", 11),
            num("MRN", "BEST12"),
            num("VISITDT", "DATE"),
        ],
        rows,
    }
}

#[test]
fn every_data_set_of_a_file_is_a_member_named_by_its_member_name() {
    for v8 in [false, true] {
        let file = Xpt::new(
            v8,
            vec![
                subjects("DM", 2),
                subjects("AE", 1),
                subjects("DM", 1),
                subjects("", 1),
            ],
        );
        let bytes = file.bytes();
        assert!(is_xport(&bytes));
        let dm = "USUBJID,SSN,MRN,VISITDT\n\
                  SUBJ-0000,536-90-0000,4000000,2024-07-01\n\
                  SUBJ-0001,536-90-0001,4000001,2024-07-02\n";
        let one: String = dm.lines().take(2).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            members(&bytes),
            [
                ("DM".to_owned(), dm.to_owned()),
                ("AE".to_owned(), one.clone()),
                ("DM (2)".to_owned(), one.clone()),
                (ROWS.to_owned(), one),
            ],
            "v8: {v8}"
        );
    }
}

#[test]
fn labelv8_and_labelv9_records_give_names_longer_than_32_bytes_and_formats() {
    let long = "subject_social_security_number_as_given";
    let mut file = Xpt::new(true, vec![subjects("DM", 1)]);
    file.members[0].vars[1].0 = long.to_owned();
    file.members[0].vars[2] = num("admission_date_time_of_the_subject", "DATETIME20.");
    file.members[0].rows[0][2] = Value::Num(2_000_000_000.0);
    let bytes = file.bytes();
    assert!(bytes.windows(7).any(|w| w == b"LABELV8"));
    // LABELV8 gives the names; the NAMESTR's format (`DATETIME`) the date-time.
    assert_eq!(
        members(&bytes)[0].1,
        format!(
            "USUBJID,{long},admission_date_time_of_the_subject,VISITDT\n\
             SUBJ-0000,536-90-0000,2023-05-18 03:33:20,2024-07-01\n"
        )
    );
    // LABELV9 gives a format too: a date-time format in it, a plain one in the NAMESTR.
    file.members[0].vars[2].3 = "E8601DT19.";
    file.v9 = true;
    let mut bytes = file.bytes();
    let namestr = bytes.windows(8).position(|w| w == b"E8601DT1").unwrap();
    bytes[namestr..namestr + 8].copy_from_slice(b"BEST12  ");
    assert!(bytes.windows(7).any(|w| w == b"LABELV9"));
    assert!(members(&bytes)[0].1.contains(",2023-05-18 03:33:20,"));
}

#[test]
fn ibm_floats_of_every_length_and_missing_values() {
    assert_eq!(ibm(&[0x41, 0x10, 0, 0, 0, 0, 0, 0]), Some(1.0));
    assert_eq!(ibm(&[0xc1, 0x10, 0, 0, 0, 0, 0, 0]), Some(-1.0));
    assert_eq!(ibm(&[0x42, 0x64, 0, 0]), Some(100.0), "4 bytes");
    assert_eq!(ibm(&[0x41, 0x10, 0]), Some(1.0), "3 bytes");
    assert_eq!(ibm(&[0; 8]), Some(0.0));
    assert_eq!(
        ibm(&[0x80, 0, 0, 0, 0, 0, 0, 0]),
        Some(0.0),
        "negative zero"
    );
    for x in [0.1, 1e-7, 2.5e20, 536_904_399.0, -4_000_001.0, 1e-70, 7e75] {
        assert_eq!(ibm(&to_ibm(x)), Some(x), "{x}");
    }
    assert_eq!(
        ibm(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).map(f64::is_finite),
        Some(true)
    );
    assert_eq!(
        ibm(&[0x00, 0x00, 0, 0, 0, 0, 0, 0x01]).map(|x| x > 0.0),
        Some(true)
    );
    for missing in [b'.', b'_', b'A', b'Z'] {
        assert_eq!(ibm(&[missing, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(ibm(&[missing, 0, 0]), None);
    }
    assert!(ibm(&[b'.', 0, 0, 1]).is_some(), "a fraction: a number");
    assert_eq!(ibm(&[]), None);
}

#[test]
fn blank_observations_in_the_last_records_padding_are_not_observations() {
    let member = |rows: Vec<Vec<Value>>| Member {
        name: "X",
        vars: vec![chr("CODE", 10)],
        rows,
    };
    // Three observations of 10 bytes, then 50 blanks of padding: five blank "observations".
    let three = vec![
        vec![Value::Str("A1")],
        vec![Value::Str("B2")],
        vec![Value::Str("C3")],
    ];
    let bytes = Xpt::new(false, vec![member(three)]).bytes();
    assert_eq!(members(&bytes)[0].1, "CODE\nA1\nB2\nC3\n");
    // A blank observation before the padding is one.
    let blank_first = vec![vec![Value::Str("")], vec![Value::Str("B2")]];
    let bytes = Xpt::new(false, vec![member(blank_first)]).bytes();
    assert_eq!(members(&bytes)[0].1, "CODE\n\nB2\n");
    // Three numbers of 8 bytes, then 56 blanks: seven blank "observations".
    let numbers = Member {
        name: "N",
        vars: vec![num("N", "")],
        rows: (0..3).map(|i| vec![Value::Num(f64::from(i))]).collect(),
    };
    assert_eq!(
        members(&Xpt::new(true, vec![numbers]).bytes())[0].1,
        "N\n0\n1\n2\n"
    );
}

#[test]
fn dates_count_days_and_seconds_from_1960_and_missing_values_are_empty() {
    let member = Member {
        name: "D",
        vars: vec![
            num("D1", "DATE"),
            num("D2", "E8601DA"),
            num("D3", "MMDDYY"),
            num("T", "DATETIME"),
            num("T2", "E8601DT"),
            num("X", "BEST"),
        ],
        rows: vec![
            vec![
                Value::Num(0.0),
                Value::Num(-1.0),
                Value::Num(1e17),
                Value::Num(86_400.5),
                Value::Num(-1.0),
                Value::Num(0.5),
            ],
            vec![
                Value::Missing(b'.'),
                Value::Missing(b'A'),
                Value::Missing(b'_'),
                Value::Missing(b'Z'),
                Value::Missing(b'.'),
                Value::Missing(b'.'),
            ],
        ],
    };
    let bytes = Xpt::new(false, vec![member]).bytes();
    assert_eq!(
        members(&bytes)[0].1,
        "D1,D2,D3,T,T2,X\n\
         1960-01-01,1959-12-31,1e17,1960-01-02 00:00:00,1959-12-31 23:59:59,0.5\n\
         ,,,,,\n"
    );
}

#[test]
fn damaged_headers_and_namestrs_are_errors() {
    let damaged = |bytes: &[u8]| tables(bytes, &mut BIG.clone()).err();
    assert_eq!(
        damaged(&V5[..80]),
        Some(DAMAGED),
        "the library header alone"
    );
    assert_eq!(
        damaged(&V5[..400]),
        Some(DAMAGED),
        "cut in the member header"
    );
    assert_eq!(damaged(&V8[..0x700]), Some(DAMAGED), "cut in the NAMESTRs");
    let good = Xpt::new(false, vec![subjects("DM", 2)]).bytes();
    let namestr = good.windows(7).position(|w| w == b"NAMESTR").unwrap() - 20 + 80;
    // An unknown variable type; a numeric longer than 8 bytes; a length of 0.
    for (at, value) in [(1, 3u8), (5, 9), (5, 0)] {
        let mut bad = good.clone();
        bad[namestr + 140 * 2 + at] = value;
        assert_eq!(damaged(&bad), Some(DAMAGED), "{at} {value}");
    }
    // More variables than NAMESTRs; a NAMESTR length that is neither 140 nor 136.
    let mut bad = good.clone();
    bad[namestr - 80 + 48..namestr - 80 + 58].copy_from_slice(b"0000009999");
    assert_eq!(damaged(&bad), Some(DAMAGED));
    let mut bad = good.clone();
    let member = good.windows(6).position(|w| w == b"MEMBER").unwrap() - 20;
    bad[member + 74..member + 78].copy_from_slice(b"0141");
    assert_eq!(damaged(&bad), Some(DAMAGED));
    // Another header where the OBS header should be.
    let obs = good.windows(3).rposition(|w| w == b"OBS").unwrap();
    let mut bad = good.clone();
    bad[obs..obs + 3].copy_from_slice(b"BOS");
    assert_eq!(damaged(&bad), Some(DAMAGED));
    // Observations cut short end the rows: 3 of 36 bytes in two records, one cut off.
    let three = Xpt::new(false, vec![subjects("DM", 3)]).bytes();
    assert_eq!(
        members(&three[..three.len() - 80])[0].1,
        "USUBJID,SSN,MRN,VISITDT\n\
         SUBJ-0000,536-90-0000,4000000,2024-07-01\n\
         SUBJ-0001,536-90-0001,4000001,2024-07-02\n"
    );
}

#[test]
fn other_files_are_not_transport_files() {
    assert!(!is_xport(
        b"mrn,name,ssn,dob\nMR4000001,Rosa Ortega,536-90-4399,1956-02-17\n"
    ));
    assert!(!is_xport(
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    ));
    assert!(!is_xport(
        b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
    ));
    assert!(!is_xport(b""));
    assert!(!is_xport(include_bytes!(
        "../../../tests/fixtures/spss/plain.sav"
    )));
    assert!(!is_xport(include_bytes!(
        "../../../tests/fixtures/stata/v118.dta"
    )));
    let mut random = crate::source::damage::noise();
    for _ in 0..200 {
        assert!(!is_xport(&random(3000)));
    }
}

/// Every prefix of every fixture, and every fixture with each byte changed, reads or fails
/// without a panic.
#[test]
fn truncated_and_mutated_files_never_panic() {
    let long = "subject_social_security_number_as_given";
    let mut labeled = Xpt::new(true, vec![subjects("DM", 2), subjects("AE", 1)]);
    labeled.members[0].vars[1].0 = long.to_owned();
    labeled.members[0].vars[3].0 = format!("{long}_date");
    labeled.v9 = true;
    let handmade = [labeled.bytes()];
    let all = FIXTURES
        .iter()
        .copied()
        .chain(handmade.iter().map(Vec::as_slice));
    for bytes in all {
        crate::source::damage::read_every_damage(bytes, BIG, (is_xport, tables));
    }
}

/// The work of a file grows with its bytes, whatever grows: observations, variables (and
/// their long names) or data sets.
#[test]
fn work_is_linear_in_observations_variables_and_data_sets() {
    let work = |bytes: Vec<u8>| {
        crate::work::take();
        let text: usize = members(&bytes).iter().map(|(_, t)| t.len()).sum();
        (crate::work::take(), text)
    };
    let rows = |n: usize| Xpt::new(false, vec![subjects("DM", n)]).bytes();
    let wide = |n: usize| {
        let vars =
            (0..n).map(|i| num(&format!("a_variable_name_longer_than_32_bytes_{i}"), "DATE"));
        let member = Member {
            name: "WIDE",
            vars: vars.collect(),
            rows: (0..2)
                .map(|r| (0..n).map(|i| Value::Num((r * n + i) as f64)).collect())
                .collect(),
        };
        Xpt::new(true, vec![member]).bytes()
    };
    let sets = |n: usize| {
        let members = (0..n).map(|_| subjects("AE", 2)).collect();
        Xpt::new(true, members).bytes()
    };
    for (what, one, four) in [
        ("observations", rows(500), rows(2000)),
        ("variables", wide(500), wide(2000)),
        ("data sets", sets(100), sets(400)),
    ] {
        let ((w1, t1), (w4, t4)) = (work(one), work(four));
        assert!(t4 >= 3 * t1, "{what}: {t1} then {t4} bytes");
        assert!(w4 >= w1 * 3 && w4 <= w1 * 9 / 2, "{what}: {w1} then {w4}");
    }
}
