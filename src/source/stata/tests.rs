use super::{DAMAGED, Number, ROWS, Table, Type, civil, date, is_stata, number, tables};
use crate::source::archive::OVER_BUDGET;

// Written by pandas: `python3 tests/fixtures/stata/generate.py tests/fixtures/stata`. The
// same three patients in each (the 117+ ones with a `notes` strL two of them share).
const V114: &[u8] = include_bytes!("../../../tests/fixtures/stata/v114.dta");
const V114_BIG: &[u8] = include_bytes!("../../../tests/fixtures/stata/v114_big.dta");
const V117: &[u8] = include_bytes!("../../../tests/fixtures/stata/v117.dta");
const V118: &[u8] = include_bytes!("../../../tests/fixtures/stata/v118.dta");
const V118_BIG: &[u8] = include_bytes!("../../../tests/fixtures/stata/v118_big.dta");
const V119: &[u8] = include_bytes!("../../../tests/fixtures/stata/v119.dta");
const FIXTURES: [&[u8]; 6] = [V114, V114_BIG, V117, V118, V118_BIG, V119];

const BIG: u64 = 1 << 30;

/// The patients of every fixture: strings (a full-width `str11` SSN and `str16` name among
/// them), a `%td` date, a `%tc` date-time, a long, a double MRN, a byte, an int, a float and
/// a double, with missing values.
const PATIENTS: &str = "\
mrn,name,ssn,dob,seen,ssn_num,mrn_num,age,visits,weight,ratio
MR4000001,Rosa Ortega,536-90-4399,1956-02-17,2025-03-04 08:15:30,536904399,4000001,69,3,61.5,0.1
MR4000002,José Núñez,219-45-0011,1988-11-30,,219450011,4000002,36,0,80.25,1e-7
MR4000003,\"Ada \"\"Al\"\" Kim, Jr\",418-27-3306,,1999-12-31 23:59:59,418273306,,-1,32000,,2.5e20
";

/// The `notes` column of the 117+ fixtures.
const NOTES: [&str; 3] = [
    "\"follow-up, call 555-0100\"",
    "",
    "\"follow-up, call 555-0100\"",
];

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

fn csv(bytes: &[u8]) -> String {
    let tables = read(bytes);
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].0, ROWS);
    String::from_utf8(tables[0].1.clone().expect("rows")).expect("utf-8")
}

/// [`PATIENTS`] with the `notes` column.
fn with_notes() -> String {
    let mut lines = PATIENTS.lines();
    let mut out = format!("{},notes\n", lines.next().unwrap());
    for (line, note) in lines.zip(NOTES) {
        out.push_str(&format!("{line},{note}\n"));
    }
    out
}

#[test]
fn release_114_renders_every_observation_under_the_variable_names() {
    assert!(is_stata(V114));
    assert_eq!(csv(V114), PATIENTS);
}

#[test]
fn a_big_endian_data_set_reads_as_the_little_endian_one() {
    assert!(is_stata(V114_BIG) && is_stata(V118_BIG));
    assert_eq!(csv(V114_BIG), PATIENTS);
    assert_eq!(csv(V118_BIG), with_notes());
}

#[test]
fn release_117_reads_latin_1_strings_and_a_shared_strl() {
    assert!(is_stata(V117));
    assert!(
        V117.windows(4).any(|w| w == b"Jos\xe9"),
        "Latin-1 in the file"
    );
    assert_eq!(csv(V117), with_notes());
}

#[test]
fn releases_118_and_119_read_their_wider_headers_and_strl_references() {
    assert!(is_stata(V118) && is_stata(V119));
    assert_eq!(csv(V118), with_notes());
    assert_eq!(csv(V119), with_notes());
}

#[test]
fn what_is_rendered_is_taken_from_the_budget() {
    for bytes in FIXTURES {
        let len = csv(bytes).len() as u64;
        let mut left = len + 7;
        assert!(tables(bytes, &mut left).is_ok());
        assert_eq!(left, 7);
        let mut left = len - 1;
        assert_eq!(tables(bytes, &mut left), Err(OVER_BUDGET));
    }
}

#[test]
fn dates_count_from_1960_and_out_of_range_ones_are_numbers() {
    // Stata counts days from 1960-01-01, 3653 days before 1970-01-01.
    let civil = |days: i64| civil(days - 3653);
    assert_eq!(civil(0), (1960, 1, 1));
    assert_eq!(civil(-1), (1959, 12, 31));
    assert_eq!(civil(59), (1960, 2, 29), "1960 is a leap year");
    assert_eq!(civil(14_610), (2000, 1, 1));
    assert_eq!(civil(-21_914), (1900, 1, 1));
    let shown = |value: f64, unit: i64| {
        let mut text = Vec::new();
        date(&mut text, value, unit).map(|()| String::from_utf8(text).unwrap())
    };
    assert_eq!(shown(-679_350.0, 1).as_deref(), Some("0100-01-01"));
    assert_eq!(shown(2_936_549.0, 1).as_deref(), Some("9999-12-31"));
    assert_eq!(shown(2_936_550.0, 1), None);
    assert_eq!(shown(1.9e12, 1), None);
    assert_eq!(shown(f64::MAX, 86_400_000), None);
    assert_eq!(
        shown(-0.25, 86_400_000).as_deref(),
        Some("1959-12-31 23:59:59.999")
    );
    assert_eq!(
        shown(86_400_000.0 + 3_723_000.0, 86_400_000).as_deref(),
        Some("1960-01-02 01:02:03")
    );
}

#[test]
fn missing_values_are_those_above_each_types_largest() {
    let le = |typ: Type, bytes: &[u8]| number(typ, bytes, false);
    assert_eq!(le(Type::Byte, &[100]), Some(Number::Int(100)));
    assert_eq!(le(Type::Byte, &[101]), None, ".");
    assert_eq!(le(Type::Byte, &[0x81]), Some(Number::Int(-127)));
    assert_eq!(
        le(Type::Int, &32_740u16.to_le_bytes()),
        Some(Number::Int(32_740))
    );
    assert_eq!(le(Type::Int, &32_741u16.to_le_bytes()), None);
    assert_eq!(le(Type::Int, &(-5i16).to_le_bytes()), Some(Number::Int(-5)));
    let long = 2_147_483_620u32;
    assert_eq!(
        le(Type::Long, &long.to_le_bytes()),
        Some(Number::Int(long.into()))
    );
    assert_eq!(le(Type::Long, &(long + 27).to_le_bytes()), None, ".z");
    assert!(le(Type::Float, &0x7eff_ffffu32.to_le_bytes()).is_some());
    assert_eq!(le(Type::Float, &0x7f00_0000u32.to_le_bytes()), None);
    assert_eq!(le(Type::Float, &0x7f00_0800u32.to_le_bytes()), None, ".a");
    let double = |bits: u64| le(Type::Double, &bits.to_le_bytes());
    assert_eq!(double(1.5f64.to_bits()), Some(Number::Double(1.5)));
    assert_eq!(double(0x7fe0_0000_0000_0000), None);
    assert_eq!(double(0x7fe0_1a00_0000_0000), None, ".z");
    assert_eq!(double(f64::NAN.to_bits()), None);
    assert_eq!(
        number(Type::Int, &[0x7f, 0xe4], true),
        Some(Number::Int(32_740)),
        "big-endian"
    );
}

/// A tagged data set (release 117, 118 or 119) written by hand, with its map.
struct Tagged {
    release: u16,
    big: bool,
    /// Name, type code, format.
    vars: Vec<(String, u16, &'static str)>,
    nobs: u64,
    data: Vec<u8>,
    /// `GSO` records: `v`, `o`, type, contents.
    strls: Vec<(u32, u64, u8, Vec<u8>)>,
}

impl Tagged {
    fn new(release: u16, big: bool) -> Tagged {
        Tagged {
            release,
            big,
            vars: Vec::new(),
            nobs: 0,
            data: Vec::new(),
            strls: Vec::new(),
        }
    }

    fn num(&self, out: &mut Vec<u8>, n: u64, len: usize) {
        let bytes = n.to_le_bytes();
        let mut bytes = bytes[..len].to_vec();
        if self.big {
            bytes.reverse();
        }
        out.extend_from_slice(&bytes);
    }

    /// A `strL` reference of a row: `v` then `o`, in the release's widths.
    fn strl(&self, out: &mut Vec<u8>, v: u64, o: u64) {
        let v_len = match self.release {
            117 => 4,
            118 => 2,
            _ => 3,
        };
        self.num(out, v, v_len);
        self.num(out, o, 8 - v_len);
    }

    fn fixed(out: &mut Vec<u8>, text: &str, len: usize) {
        let mut field = text.as_bytes().to_vec();
        field.resize(len, 0);
        out.extend_from_slice(&field);
    }

    fn bytes(&self) -> Vec<u8> {
        let r = self.release;
        let (k_len, n_len, label_len) = match r {
            117 => (2, 4, 1),
            118 => (2, 8, 2),
            _ => (4, 8, 2),
        };
        let (name, format, labels) = if r == 117 {
            (33, 49, 81)
        } else {
            (129, 57, 321)
        };
        let k = self.vars.len() as u64;
        let mut out = format!("<stata_dta><header><release>{r}</release><byteorder>").into_bytes();
        out.extend_from_slice(if self.big { b"MSF" } else { b"LSF" });
        out.extend_from_slice(b"</byteorder><K>");
        self.num(&mut out, k, k_len);
        out.extend_from_slice(b"</K><N>");
        self.num(&mut out, self.nobs, n_len);
        out.extend_from_slice(b"</N><label>");
        self.num(&mut out, 0, label_len);
        out.extend_from_slice(b"</label><timestamp>\0</timestamp></header>");
        let map_at = out.len();
        out.extend_from_slice(b"<map>");
        out.resize(out.len() + 14 * 8, 0);
        out.extend_from_slice(b"</map>");
        let mut map = vec![0, map_at as u64];
        let mut section = |out: &mut Vec<u8>, tag: &str, body: &[u8]| {
            map.push(out.len() as u64);
            out.extend_from_slice(format!("<{tag}>").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(format!("</{tag}>").as_bytes());
        };
        let mut types = Vec::new();
        let (mut names, mut formats) = (Vec::new(), Vec::new());
        for (n, code, f) in &self.vars {
            self.num(&mut types, u64::from(*code), 2);
            Tagged::fixed(&mut names, n, name);
            Tagged::fixed(&mut formats, f, format);
        }
        let sort = vec![0; (k as usize + 1) * k_len];
        let vlabels = vec![0; k as usize * name];
        let vars = vec![0; k as usize * labels];
        let mut strls = Vec::new();
        for (v, o, t, contents) in &self.strls {
            strls.extend_from_slice(b"GSO");
            self.num(&mut strls, u64::from(*v), 4);
            self.num(&mut strls, *o, if r == 117 { 4 } else { 8 });
            strls.push(*t);
            self.num(&mut strls, contents.len() as u64, 4);
            strls.extend_from_slice(contents);
        }
        section(&mut out, "variable_types", &types);
        section(&mut out, "varnames", &names);
        section(&mut out, "sortlist", &sort);
        section(&mut out, "formats", &formats);
        section(&mut out, "value_label_names", &vlabels);
        section(&mut out, "variable_labels", &vars);
        section(&mut out, "characteristics", b"");
        section(&mut out, "data", &self.data);
        section(&mut out, "strls", &strls);
        section(&mut out, "value_labels", b"");
        map.push(out.len() as u64);
        out.extend_from_slice(b"</stata_dta>");
        map.push(out.len() as u64);
        for (i, &offset) in map.iter().enumerate() {
            let mut n = Vec::new();
            self.num(&mut n, offset, 8);
            let at = map_at + 5 + 8 * i;
            out[at..at + 8].copy_from_slice(&n);
        }
        out
    }
}

/// `n` patients with an SSN (`str11`), an MRN (`long`), a visit (`%td` `double`) and a
/// note (`strL`): the first `shared` notes are one long string, the others each their own.
fn patients(release: u16, big: bool, n: u64, note: &str, shared: u64) -> Tagged {
    let mut set = Tagged::new(release, big);
    set.vars = vec![
        ("ssn".into(), 11, "%11s"),
        ("mrn".into(), 65528, "%12.0g"),
        ("visit".into(), 65526, "%td"),
        ("note".into(), 32768, "%9s"),
    ];
    set.nobs = n;
    for i in 0..n {
        Tagged::fixed(&mut set.data, &format!("536-90-{:04}", i % 10_000), 11);
        let mut row = Vec::new();
        set.num(&mut row, 4_000_000 + i, 4);
        set.num(&mut row, (23_000.0f64 + i as f64).to_bits(), 8);
        let o = if i < shared { 1 } else { i + 1 };
        set.strl(&mut row, 4, o);
        set.data.extend_from_slice(&row);
        if i == 0 || i >= shared {
            set.strls
                .push((4, o, 130, format!("{note} {i}\0").into_bytes()));
        }
    }
    set
}

#[test]
fn a_hand_made_data_set_of_every_tagged_release_and_byte_order_reads_the_same() {
    for release in [117, 118, 119] {
        for big in [false, true] {
            let bytes = patients(release, big, 3, "call", 0).bytes();
            assert!(is_stata(&bytes));
            assert_eq!(
                csv(&bytes),
                "ssn,mrn,visit,note\n\
                 536-90-0000,4000000,2022-12-21,call 0\n\
                 536-90-0001,4000001,2022-12-22,call 1\n\
                 536-90-0002,4000002,2022-12-23,call 2\n",
                "{release} {big}"
            );
        }
    }
}

#[test]
fn a_strl_many_observations_share_is_rendered_and_charged_for_each() {
    let note = "x".repeat(1000);
    let bytes = patients(118, false, 100, &note, 100).bytes();
    assert!(bytes.len() < 8000, "one copy in the file: {}", bytes.len());
    let text = csv(&bytes);
    assert_eq!(text.matches(&note).count(), 100);
    let mut left = text.len() as u64 - 1;
    assert_eq!(tables(&bytes, &mut left), Err(OVER_BUDGET));
    // The budget stops the rendering: a budget of a tenth is spent on about a tenth.
    crate::work::take();
    let mut left = text.len() as u64 / 10;
    assert_eq!(tables(&bytes, &mut left), Err(OVER_BUDGET));
    assert!(crate::work::take() < text.len() as u64 / 5);
}

#[test]
fn a_binary_strl_renders_only_when_it_holds_text() {
    let mut set = patients(118, false, 2, "call", 0);
    set.strls[0].2 = 129;
    set.strls[0].3 = b"text kept as binary".to_vec();
    set.strls[1].2 = 129;
    set.strls[1].3 = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let text = csv(&set.bytes());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].ends_with(",text kept as binary"), "{text}");
    assert!(lines[2].ends_with(",2022-12-22,"), "{text}");
}

#[test]
fn a_strl_reference_without_its_record_is_an_empty_field() {
    let mut set = patients(117, false, 2, "call", 0);
    set.strls.pop();
    let text = csv(&set.bytes());
    assert!(text.ends_with(",2022-12-22,\n"), "{text}");
}

#[test]
fn damaged_headers_and_sections_are_errors() {
    let damaged = |bytes: &[u8]| tables(bytes, &mut BIG.clone()).err();
    // Text that merely starts as a tagged data set.
    let text = b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder>oops";
    assert!(is_stata(text));
    assert_eq!(damaged(text), Some(DAMAGED));
    assert_eq!(
        damaged(b"<stata_dta><header><release>118</release>"),
        Some(DAMAGED)
    );
    let good = patients(118, false, 3, "call", 0);
    // More observations than the data section holds.
    let mut set = patients(118, false, 3, "call", 0);
    set.nobs = u64::MAX;
    assert_eq!(damaged(&set.bytes()), Some(DAMAGED));
    set.nobs = 4;
    assert_eq!(damaged(&set.bytes()), Some(DAMAGED));
    // An unknown type; a map offset past the end; a byte order that is neither.
    let mut set = patients(118, false, 3, "call", 0);
    set.vars[1].1 = 65000;
    assert_eq!(damaged(&set.bytes()), Some(DAMAGED));
    let bytes = good.bytes();
    let map = bytes.windows(5).position(|w| w == b"<map>").unwrap() + 5;
    let mut cut = bytes.clone();
    cut[map + 8 * 9..map + 8 * 10].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(damaged(&cut), Some(DAMAGED));
    let mut order = bytes.clone();
    let at = bytes.windows(3).position(|w| w == b"LSF").unwrap();
    order[at..at + 3].copy_from_slice(b"XSF");
    assert_eq!(damaged(&order), Some(DAMAGED));
    // 119 with K at its largest.
    let mut set = patients(119, false, 3, "call", 0);
    let mut wide = set.bytes();
    let k = wide.windows(3).position(|w| w == b"<K>").unwrap() + 3;
    wide[k..k + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(damaged(&wide), Some(DAMAGED));
    // A strL record of an unknown type.
    set.strls[0].2 = 7;
    assert_eq!(damaged(&set.bytes()), Some(DAMAGED));
    // A binary header whose data is cut short is no data set at all.
    assert!(!is_stata(&V114[..V114.len() - 1]));
    assert_eq!(damaged(&V114[..V114.len() - 1]), Some(DAMAGED));
}

#[test]
fn other_files_are_not_data_sets() {
    assert!(!is_stata(
        b"mrn,name,ssn,dob\nMR4000001,Rosa Ortega,536-90-4399,1956-02-17\n"
    ));
    assert!(!is_stata(
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    ));
    assert!(!is_stata(b"<stata_dta><header><release>120</release>"));
    assert!(!is_stata(b""));
    // A release byte, a byte order, filetype 1 and a zero, then whatever follows: the
    // counts must fit and the names be names.
    let mut random = crate::source::damage::noise();
    for release in [0x71u8, 0x72, 0x73] {
        for _ in 0..200 {
            let mut bytes = vec![release, 2, 1, 0];
            bytes.extend(random(3000));
            assert!(!is_stata(&bytes));
        }
    }
    for _ in 0..200 {
        assert!(!is_stata(&random(3000)));
    }
    // A real header whose counts say more than the file holds.
    let mut more = V114.to_vec();
    more[6..10].copy_from_slice(&1_000_000u32.to_le_bytes());
    assert!(!is_stata(&more));
}

/// Every prefix of every fixture, and every fixture with each byte changed, reads or fails
/// without a panic.
#[test]
fn truncated_and_mutated_data_sets_never_panic() {
    let handmade = [
        patients(117, true, 3, "call", 2).bytes(),
        patients(119, false, 3, "call", 2).bytes(),
    ];
    let all = FIXTURES
        .iter()
        .copied()
        .chain(handmade.iter().map(Vec::as_slice));
    for bytes in all {
        crate::source::damage::read_every_damage(bytes, BIG, (is_stata, tables));
    }
}

/// The work of a data set grows with its bytes, whatever grows: observations, variables
/// or long strings.
#[test]
fn work_is_linear_in_observations_variables_and_long_strings() {
    let work = |bytes: Vec<u8>| {
        crate::work::take();
        let text = csv(&bytes);
        (crate::work::take(), text.len())
    };
    let rows = |n: u64| patients(118, false, n, "call", 0).bytes();
    let wide = |n: usize| {
        let mut set = Tagged::new(119, false);
        set.nobs = 2;
        for i in 0..n {
            set.vars.push((format!("v{i}"), 65526, "%td"));
        }
        for i in 0..2 * n {
            set.data
                .extend_from_slice(&(i as f64).to_bits().to_le_bytes());
        }
        set.bytes()
    };
    let strls = |n: u64| patients(117, false, n, &"y".repeat(200), 0).bytes();
    for (what, one, four) in [
        ("observations", rows(500), rows(2000)),
        ("variables", wide(500), wide(2000)),
        ("long strings", strls(200), strls(800)),
    ] {
        let ((w1, t1), (w4, t4)) = (work(one), work(four));
        assert!(t4 >= 3 * t1, "{what}: {t1} then {t4} bytes");
        assert!(w4 >= w1 * 3 && w4 <= w1 * 9 / 2, "{what}: {w1} then {w4}");
    }
}
