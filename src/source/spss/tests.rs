use super::{DAMAGED, GREGORIAN, ROWS, SYSMIS, Table, is_spss, tables, timestamp};
use crate::source::archive::OVER_BUDGET;
use crate::source::calendar::civil;
use std::io::Write as _;

// Written by pyreadstat: `python3 tests/fixtures/spss/generate.py tests/fixtures/spss`. The
// same three patients in each.
const PLAIN: &[u8] = include_bytes!("../../../tests/fixtures/spss/plain.sav");
const BYTECODE: &[u8] = include_bytes!("../../../tests/fixtures/spss/bytecode.sav");
const ZLIB: &[u8] = include_bytes!("../../../tests/fixtures/spss/zlib.zsav");
const FIXTURES: [&[u8]; 3] = [PLAIN, BYTECODE, ZLIB];

const BIG: u64 = 1 << 30;

/// The first patient's note: 312 bytes, a very long string of two segments.
fn note() -> String {
    "Seen by Dr. Lee; callback 555-0100. ".repeat(8) + "SSN on file 536-90-4399."
}

/// The patients of every fixture: strings (a full-width `A11` SSN among them), a `DATE`, a
/// `DATETIME` and an `ADATE`, numbers (an SSN and an MRN among them) with a missing one,
/// a long variable name and a very long string.
fn patients() -> String {
    format!(
        "mrn,name,ssn,ssn_num,dob,seen,visit,mrn_num,ratio,patient_home_address,notes\n\
         MR4000001,Rosa Ortega,536-90-4399,536904399,1956-02-17,2025-03-04 08:15:30,\
         2024-07-01,4000001,0.1,12 Elm St,{}\n\
         MR4000002,José Núñez,219-45-0011,219450011,1988-11-30,,2023-01-15,4000002,1e-7,,\n\
         MR4000003,\"Ada \"\"Al\"\" Kim, Jr\",418-27-3306,418273306,,1999-12-31 23:59:59,\
         2022-12-31,,2.5e20,9 Oak Ave,\"follow-up, call 555-0100\"\n",
        note()
    )
}

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

fn csv(bytes: &[u8]) -> String {
    let tables = read(bytes);
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].0, ROWS);
    String::from_utf8(tables[0].1.clone().expect("rows")).expect("utf-8")
}

#[test]
fn uncompressed_bytecode_and_zlib_files_render_the_same_patients() {
    assert_eq!(&PLAIN[..4], b"$FL2");
    assert_eq!(&ZLIB[..4], b"$FL3");
    for bytes in FIXTURES {
        assert!(is_spss(bytes));
        assert_eq!(csv(bytes), patients());
    }
}

/// The bytes a `.zsav`'s blocks inflate to, from its trailer (little-endian).
fn inflated_len(bytes: &[u8]) -> u64 {
    let le64 = |at: usize| i64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let le32 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let end = bytes
        .windows(8)
        .position(|w| w == [0xe7, 3, 0, 0, 0, 0, 0, 0]);
    let trailer = le64(end.unwrap() + 16);
    (0..le32(trailer + 20))
        .map(|k| le32(trailer + 24 + 24 * k + 16) as u64)
        .sum()
}

#[test]
fn what_is_rendered_and_inflated_is_taken_from_the_budget() {
    for bytes in FIXTURES {
        let inflated = if bytes == ZLIB {
            inflated_len(bytes)
        } else {
            0
        };
        let len = csv(bytes).len() as u64 + inflated;
        let mut left = len + 7;
        assert!(tables(bytes, &mut left).is_ok());
        assert_eq!(left, 7);
        let mut left = len - 1;
        assert_eq!(tables(bytes, &mut left), Err(OVER_BUDGET));
    }
    assert!(inflated_len(ZLIB) > 0);
}

/// A value of a hand-made file.
#[derive(Debug, Clone)]
enum Cell {
    Num(f64),
    Missing,
    Str(Vec<u8>),
}

fn s(text: &str) -> Cell {
    Cell::Str(text.as_bytes().to_vec())
}

/// An SPSS file written by hand: a variable is a short name, a width (0 for a number) and
/// a print format type.
struct Sav {
    big: bool,
    /// 0 none, 1 bytecode, 2 zlib.
    compression: i32,
    vars: Vec<(&'static str, usize, i32)>,
    long_names: Vec<(&'static str, &'static str)>,
    encoding: Option<&'static str>,
    /// The header's case count (`None`: the number of `cases`).
    ncases: Option<i32>,
    cases: Vec<Vec<Cell>>,
    /// The bytes of inflated bytecode in each zlib block.
    block: usize,
}

impl Sav {
    fn new(vars: Vec<(&'static str, usize, i32)>) -> Sav {
        Sav {
            big: false,
            compression: 0,
            vars,
            long_names: Vec::new(),
            encoding: Some("UTF-8"),
            ncases: None,
            cases: Vec::new(),
            block: 1 << 20,
        }
    }

    fn i32(&self, out: &mut Vec<u8>, n: i32) {
        out.extend_from_slice(&if self.big {
            n.to_be_bytes()
        } else {
            n.to_le_bytes()
        });
    }

    fn f64(&self, x: f64) -> [u8; 8] {
        if self.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }

    /// The widths of a variable's segments: one, or one for each 252 bytes of a very long
    /// string (255 each but the last).
    fn segments(width: usize) -> Vec<usize> {
        if width <= 255 {
            return vec![width];
        }
        let n = width.div_ceil(252);
        (0..n)
            .map(|i| if i + 1 < n { 255 } else { width - 252 * i })
            .collect()
    }

    fn header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.compression == 2 {
            b"$FL3"
        } else {
            b"$FL2"
        });
        out.extend_from_slice(&[b' '; 60]);
        self.i32(out, 2);
        self.i32(out, -1);
        self.i32(out, self.compression);
        self.i32(out, 0);
        let n = self.ncases.unwrap_or(self.cases.len() as i32);
        self.i32(out, n);
        out.extend_from_slice(&self.f64(100.0));
        out.extend_from_slice(b"01 Jan 2600:00:00");
        out.extend_from_slice(&[b' '; 67]);
        assert_eq!(out.len(), 176);
    }

    /// A variable record: `typ` is a width, 0 or -1 (a continuation).
    fn variable(&self, out: &mut Vec<u8>, name: &str, typ: i32, format: i32) {
        for n in [2, typ, 0, 0, format << 16 | 8 << 8, format << 16 | 8 << 8] {
            self.i32(out, n);
        }
        let mut name = name.as_bytes().to_vec();
        name.resize(8, b' ');
        out.extend_from_slice(&name);
    }

    fn dictionary(&self, out: &mut Vec<u8>) {
        let mut very_long = Vec::new();
        for &(name, width, format) in &self.vars {
            let segments = Sav::segments(width);
            if segments.len() > 1 {
                very_long.extend_from_slice(format!("{name}={width:05}\0\t").as_bytes());
            }
            for (i, &w) in segments.iter().enumerate() {
                let short = if i == 0 {
                    name.to_owned()
                } else {
                    format!("{i}{name}")
                };
                let format = if width == 0 { format } else { 1 };
                self.variable(out, &short[..short.len().min(8)], w as i32, format);
                for _ in 1..w.div_ceil(8) {
                    self.variable(out, "", -1, 0);
                }
            }
        }
        // A value label record and its variable index, stepped over.
        self.i32(out, 3);
        self.i32(out, 1);
        out.extend_from_slice(&self.f64(1.0));
        out.extend_from_slice(b"\x03yes\0\0\0\0");
        self.i32(out, 4);
        self.i32(out, 1);
        self.i32(out, 1);
        let names: Vec<String> = self
            .long_names
            .iter()
            .map(|(s, l)| format!("{s}={l}"))
            .collect();
        self.extension(out, 13, names.join("\t").as_bytes());
        self.extension(out, 14, &very_long);
        if let Some(encoding) = self.encoding {
            self.extension(out, 20, encoding.as_bytes());
        }
        self.i32(out, 999);
        self.i32(out, 0);
    }

    fn extension(&self, out: &mut Vec<u8>, subtype: i32, data: &[u8]) {
        for n in [7, subtype, 1, data.len() as i32] {
            self.i32(out, n);
        }
        out.extend_from_slice(data);
    }

    /// The 8-byte cells of a case, each with whether it is a string's.
    fn cells(&self, case: &[Cell]) -> Vec<([u8; 8], bool)> {
        let mut cells = Vec::new();
        for (&(_, width, _), value) in self.vars.iter().zip(case) {
            match value {
                Cell::Num(x) => cells.push((self.f64(*x), false)),
                Cell::Missing => cells.push((self.f64(f64::from_bits(SYSMIS)), false)),
                Cell::Str(text) => {
                    let mut text = &text[..];
                    for w in Sav::segments(width) {
                        let (here, rest) = text.split_at(text.len().min(w.min(255)));
                        text = rest;
                        let mut seg = here.to_vec();
                        seg.resize(w.div_ceil(8) * 8, b' ');
                        cells.extend(seg.chunks(8).map(|c| (c.try_into().unwrap(), true)));
                    }
                }
            }
        }
        cells
    }

    /// The cells bytecode-compressed, with the end code.
    fn bytecode(&self) -> Vec<u8> {
        let mut codes = Vec::new();
        let mut raw = Vec::new();
        for case in &self.cases {
            for (cell, string) in self.cells(case) {
                let x = if self.big {
                    f64::from_be_bytes(cell)
                } else {
                    f64::from_le_bytes(cell)
                };
                if string && cell == *b"        " {
                    codes.push(254);
                } else if !string && x.to_bits() == SYSMIS {
                    codes.push(255);
                } else if !string && x.fract() == 0.0 && (-99.0..=151.0).contains(&x) {
                    codes.push((x + 100.0) as u8);
                } else {
                    codes.push(253);
                    raw.push(cell);
                }
            }
        }
        codes.push(252);
        let mut out = Vec::new();
        let mut raw = raw.into_iter();
        for block in codes.chunks(8) {
            let mut block = block.to_vec();
            block.resize(8, 0);
            out.extend_from_slice(&block);
            for _ in block.iter().filter(|&&c| c == 253) {
                out.extend_from_slice(&raw.next().unwrap());
            }
        }
        out
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.header(&mut out);
        self.dictionary(&mut out);
        match self.compression {
            0 => {
                for case in &self.cases {
                    for (cell, _) in self.cells(case) {
                        out.extend_from_slice(&cell);
                    }
                }
            }
            1 => out.extend(self.bytecode()),
            _ => self.zlib(&mut out),
        }
        out
    }

    /// The zlib header, the bytecode in deflated blocks, and the trailer.
    fn zlib(&self, out: &mut Vec<u8>) {
        let i64 = |out: &mut Vec<u8>, n: i64| {
            out.extend_from_slice(&if self.big {
                n.to_be_bytes()
            } else {
                n.to_le_bytes()
            })
        };
        let at = out.len();
        let mut blocks = Vec::new();
        for chunk in self.bytecode().chunks(self.block) {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
            z.write_all(chunk).unwrap();
            blocks.push((chunk.len(), z.finish().unwrap()));
        }
        let trailer = at + 24 + blocks.iter().map(|(_, b)| b.len()).sum::<usize>();
        i64(out, at as i64);
        i64(out, trailer as i64);
        i64(out, 24 + 24 * blocks.len() as i64);
        for (_, block) in &blocks {
            out.extend_from_slice(block);
        }
        i64(out, -100);
        i64(out, 0);
        self.i32(out, self.block as i32);
        self.i32(out, blocks.len() as i32);
        for (len, block) in &blocks {
            i64(out, 0);
            i64(out, 0);
            self.i32(out, *len as i32);
            self.i32(out, block.len() as i32);
        }
    }
}

/// `n` patients: an SSN (`A11`), an MRN (a number), a visit (`DATE`) and a note of
/// `note` bytes (a very long string when over 255).
fn patients_sav(n: usize, note: usize, compression: i32) -> Sav {
    let mut sav = Sav::new(vec![
        ("SSN", 11, 5),
        ("MRN", 0, 5),
        ("VISIT", 0, 20),
        ("NOTE", note, 1),
    ]);
    sav.compression = compression;
    sav.long_names = vec![("SSN", "ssn"), ("MRN", "mrn_number"), ("VISIT", "visit")];
    // 2024-07-01 in seconds since 1582-10-14.
    let visit = (19_905 - GREGORIAN) as f64 * 86_400.0;
    for i in 0..n {
        sav.cases.push(vec![
            s(&format!("536-90-{:04}", i % 10_000)),
            Cell::Num(4_000_000.0 + i as f64),
            Cell::Num(visit + 86_400.0 * i as f64),
            s(&format!("{i} ")
                .repeat(note)
                .chars()
                .take(note)
                .collect::<String>()),
        ]);
    }
    sav
}

#[test]
fn a_hand_made_file_reads_the_same_in_each_byte_order_and_compression() {
    let mut expected = None;
    for big in [false, true] {
        for compression in [0, 1, 2] {
            let mut sav = patients_sav(3, 20, compression);
            sav.big = big;
            let bytes = sav.bytes();
            assert!(is_spss(&bytes), "{big} {compression}");
            let text = csv(&bytes);
            assert_eq!(expected.get_or_insert_with(|| text.clone()), &text);
        }
    }
    assert_eq!(
        expected.unwrap(),
        "ssn,mrn_number,visit,NOTE\n\
         536-90-0000,4000000,2024-07-01,0 0 0 0 0 0 0 0 0 0\n\
         536-90-0001,4000001,2024-07-02,1 1 1 1 1 1 1 1 1 1\n\
         536-90-0002,4000002,2024-07-03,2 2 2 2 2 2 2 2 2 2\n"
    );
}

#[test]
fn a_very_long_string_of_three_segments_is_joined() {
    let mut sav = Sav::new(vec![("NOTE", 600, 1), ("AFTER", 0, 5)]);
    let note: String = (0..600)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    sav.cases.push(vec![s(&note), Cell::Num(7.0)]);
    sav.cases.push(vec![s("short"), Cell::Num(8.0)]);
    for compression in [0, 1, 2] {
        sav.compression = compression;
        let text = csv(&sav.bytes());
        assert_eq!(text, format!("NOTE,AFTER\n{note},7\nshort,8\n"));
    }
}

#[test]
fn strings_are_utf_8_when_they_are_else_latin_1_unless_the_file_says_utf_8() {
    let mut sav = Sav::new(vec![("NAME", 12, 1)]);
    sav.cases
        .push(vec![Cell::Str(b"Jos\xe9 N\xfa\xf1ez".to_vec())]);
    sav.cases.push(vec![s("Zoë")]);
    sav.encoding = None;
    assert_eq!(csv(&sav.bytes()), "NAME\nJosé Núñez\nZoë\n");
    sav.encoding = Some("windows-1252");
    assert_eq!(csv(&sav.bytes()), "NAME\nJosé Núñez\nZoë\n");
    sav.encoding = Some("UTF-8");
    assert_eq!(
        csv(&sav.bytes()),
        "NAME\nJos\u{fffd} N\u{fffd}\u{fffd}ez\nZoë\n"
    );
}

#[test]
fn the_case_count_bounds_the_cases_and_a_case_cut_short_ends_them() {
    let three = "ssn,mrn_number,visit,NOTE\n\
                 536-90-0000,4000000,2024-07-01,0 0 0 0\n\
                 536-90-0001,4000001,2024-07-02,1 1 1 1\n\
                 536-90-0002,4000002,2024-07-03,2 2 2 2\n";
    for compression in [0, 1, 2] {
        let mut sav = patients_sav(3, 8, compression);
        sav.ncases = Some(-1);
        assert_eq!(csv(&sav.bytes()), three, "unknown count");
        sav.ncases = Some(2);
        let two: String = three.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert_eq!(csv(&sav.bytes()), two, "two of three");
        sav.ncases = Some(1_000_000);
        assert_eq!(csv(&sav.bytes()), three, "more than there are");
        if compression < 2 {
            let bytes = sav.bytes();
            assert_eq!(csv(&bytes[..bytes.len() - 9]), two, "the last cut short");
        }
    }
}

#[test]
fn dates_count_seconds_from_1582_and_out_of_range_ones_are_numbers() {
    assert_eq!(civil(0), (1970, 1, 1));
    assert_eq!(civil(GREGORIAN), (1582, 10, 14));
    assert_eq!(civil(-719_162), (1, 1, 1));
    assert_eq!(civil(2_932_896), (9999, 12, 31));
    let shown = |seconds: f64, time: bool| {
        let mut text = Vec::new();
        timestamp(&mut text, seconds, GREGORIAN, time).map(|()| String::from_utf8(text).unwrap())
    };
    assert_eq!(shown(0.0, false).as_deref(), Some("1582-10-14"));
    assert_eq!(shown(-1.0, true).as_deref(), Some("1582-10-13 23:59:59"));
    assert_eq!(
        shown(12_219_379_200.0 + 3_723.5, true).as_deref(),
        Some("1970-01-01 01:02:03")
    );
    let first = (-719_162 - GREGORIAN) as f64 * 86_400.0;
    assert_eq!(shown(first, false).as_deref(), Some("0001-01-01"));
    assert_eq!(shown(first - 1.0, false), None);
    let end = (2_932_897 - GREGORIAN) as f64 * 86_400.0;
    assert_eq!(
        shown(end - 1.0, true).as_deref(),
        Some("9999-12-31 23:59:59")
    );
    assert_eq!(shown(end, true), None);
    assert_eq!(shown(f64::MAX, false), None);
    // Out of range, a date shows its number.
    let mut sav = Sav::new(vec![("D", 0, 20), ("T", 0, 22)]);
    sav.cases.push(vec![Cell::Num(1e300), Cell::Num(-0.5)]);
    sav.cases.push(vec![Cell::Missing, Cell::Num(f64::NAN)]);
    assert_eq!(csv(&sav.bytes()), "D,T\n1e300,1582-10-13 23:59:59\n,\n");
}

#[test]
fn damaged_headers_and_dictionaries_are_errors() {
    let damaged = |bytes: &[u8]| tables(bytes, &mut BIG.clone()).err();
    let good = patients_sav(2, 8, 1).bytes();
    // Cut inside the dictionary.
    let dict_end = good
        .windows(8)
        .position(|w| w == [0xe7, 3, 0, 0, 0, 0, 0, 0])
        .unwrap();
    assert_eq!(damaged(&good[..dict_end]), Some(DAMAGED));
    assert_eq!(damaged(&good[..300]), Some(DAMAGED));
    // An unknown record type in the dictionary.
    let mut bad = good.clone();
    bad[dict_end..dict_end + 4].copy_from_slice(&998i32.to_le_bytes());
    assert_eq!(damaged(&bad), Some(DAMAGED));
    // A variable type that is no width, and an extension sized past the end.
    let name = good.windows(8).position(|w| w == b"MRN     ").unwrap();
    let mut bad = good.clone();
    bad[name - 20..name - 16].copy_from_slice(&256i32.to_le_bytes());
    assert_eq!(damaged(&bad), Some(DAMAGED));
    let ext = good
        .windows(8)
        .position(|w| w == [7, 0, 0, 0, 13, 0, 0, 0])
        .unwrap();
    let mut bad = good.clone();
    bad[ext + 12..ext + 16].copy_from_slice(&i32::MAX.to_le_bytes());
    assert_eq!(damaged(&bad), Some(DAMAGED));
    // A header that is not one: not a file at all.
    assert_eq!(damaged(b"$FL2"), Some(DAMAGED));
    let mut bad = good.clone();
    bad[72..76].copy_from_slice(&5i32.to_le_bytes());
    assert!(!is_spss(&bad), "compression 5");
    // Zlib blocks that do not inflate, or a zlib header that points elsewhere.
    let zsav = patients_sav(2, 8, 2).bytes();
    let dict_end = zsav
        .windows(8)
        .position(|w| w == [0xe7, 3, 0, 0, 0, 0, 0, 0])
        .unwrap();
    let mut bad = zsav.clone();
    bad[dict_end + 8 + 24 + 4] ^= 0xff;
    assert_eq!(damaged(&bad), Some(DAMAGED));
    let mut bad = zsav.clone();
    bad[dict_end + 8] ^= 1;
    assert_eq!(damaged(&bad), Some(DAMAGED));
    // The last block cut (the trailer is 48 bytes).
    assert_eq!(damaged(&zsav[..zsav.len() - 49]), Some(DAMAGED));
}

#[test]
fn other_files_are_not_spss_files() {
    assert!(!is_spss(
        b"mrn,name,ssn,dob\nMR4000001,Rosa Ortega,536-90-4399,1956-02-17\n"
    ));
    assert!(!is_spss(
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    ));
    assert!(!is_spss(b"$FL2 a note that starts like a system file"));
    assert!(!is_spss(b""));
    assert!(!is_spss(include_bytes!(
        "../../../tests/fixtures/xport/v5.xpt"
    )));
    assert!(!is_spss(include_bytes!(
        "../../../tests/fixtures/stata/v118.dta"
    )));
    let mut random = crate::source::damage::noise();
    for magic in [b"$FL2", b"$FL3"] {
        for _ in 0..200 {
            let mut bytes = magic.to_vec();
            bytes.extend(random(3000));
            assert!(!is_spss(&bytes));
        }
    }
    for _ in 0..200 {
        assert!(!is_spss(&random(3000)));
    }
}

/// Every prefix of every fixture, and every fixture with each byte changed, reads or fails
/// without a panic.
#[test]
fn truncated_and_mutated_files_never_panic() {
    let mut big = patients_sav(3, 300, 2);
    big.big = true;
    big.block = 64;
    let handmade = [big.bytes(), patients_sav(3, 20, 1).bytes()];
    let all = FIXTURES
        .iter()
        .copied()
        .chain(handmade.iter().map(Vec::as_slice));
    for bytes in all {
        crate::source::damage::read_every_damage(bytes, BIG, (is_spss, tables));
    }
}

/// The work of a file grows with its bytes, whatever grows: cases, variables, very long
/// strings or zlib blocks.
#[test]
fn work_is_linear_in_cases_variables_long_strings_and_zlib_blocks() {
    let work = |bytes: Vec<u8>| {
        crate::work::take();
        let text = csv(&bytes);
        (crate::work::take(), text.len())
    };
    let cases = |n: usize| patients_sav(n, 20, 1).bytes();
    let wide = |n: usize| {
        let names: Vec<&'static str> = (0..n)
            .map(|i| &*Box::leak(format!("V{i}").into_boxed_str()))
            .collect();
        let mut sav = Sav::new(names.iter().map(|&name| (name, 0, 20)).collect());
        sav.long_names = names.iter().map(|&name| (name, name)).collect();
        for _ in 0..2 {
            sav.cases
                .push((0..n).map(|i| Cell::Num(1e9 + i as f64)).collect());
        }
        sav.bytes()
    };
    let long = |n: usize| patients_sav(20, n, 0).bytes();
    let blocks = |n: usize| {
        let mut sav = patients_sav(n, 20, 2);
        sav.block = 256;
        sav.bytes()
    };
    for (what, one, four) in [
        ("cases", cases(500), cases(2000)),
        ("variables", wide(500), wide(2000)),
        ("very long strings", long(1000), long(4000)),
        ("zlib blocks", blocks(500), blocks(2000)),
    ] {
        let ((w1, t1), (w4, t4)) = (work(one), work(four));
        assert!(t4 >= 3 * t1, "{what}: {t1} then {t4} bytes");
        assert!(w4 >= w1 * 3 && w4 <= w1 * 9 / 2, "{what}: {w1} then {w4}");
    }
}
