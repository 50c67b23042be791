use super::{
    DAMAGED, DAMAGED_PAGE, DAMAGED_ROWS, Encoding, MISSING_ROWS, ROWS, Shown, Table,
    UNREAD_COMPRESSION, double, is_sas7bdat, number, rdc, rle, string, tables,
};
use crate::source::archive::OVER_BUDGET;
use proptest::prelude::*;

// Written by ReadStat (pyreadstat's `write_sas7bdat`), laid out again in 1 KiB pages and read
// back with pandas and ReadStat: `tests/fixtures/sas7bdat/generate.py`. The same three
// patients in each.
const PLAIN: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients.sas7bdat");
const PLAIN_32: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients-32.sas7bdat");
/// 32-bit, big-endian, `wlatin1`, `ssn` in 6 bytes and `visits` in 3.
const LEGACY: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients-32-big.sas7bdat");
const BIG: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients-big.sas7bdat");
const RLE: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients-rle.sas7bdat");
const RLE_32: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients-rle-32.sas7bdat");
const RDC: &[u8] = include_bytes!("../../../tests/fixtures/sas7bdat/patients-rdc.sas7bdat");
const FIXTURES: [&[u8]; 7] = [PLAIN, PLAIN_32, LEGACY, BIG, RLE, RLE_32, RDC];

const BUDGET: u64 = 1 << 30;

/// The patients of every fixture: strings (one quoted), an SSN kept as a number, a `DATE9.`
/// and an `MMDDYY10.` date, a `DATETIME19.` date-time, a `TIME8.` time, plain numbers, and
/// missing values (`.` and the special `.A`).
const PATIENTS: &str = "\
mrn,name,ssn,ssn_text,dob,visit,seen,appt,visits,weight
MR4000001,Rosa Ortega,536904399,536-90-4399,1956-02-17,2025-03-04,2025-03-04 08:15:30,08:15:30,3,61.5
MR4000002,José Núñez,219450011,219-45-0011,1988-11-30,,,,0,
MR4000003,\"Ada \"\"Al\"\" Kim, Jr\",,418-27-3306,,1999-12-31,1999-12-31 23:59:59,23:59:59,,0.1
";

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BUDGET.clone()).expect("readable")
}

fn csv(bytes: &[u8]) -> String {
    let tables = read(bytes);
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert_eq!(tables[0].0, ROWS);
    String::from_utf8(tables[0].1.clone().expect("rows")).expect("utf-8")
}

fn contains(bytes: &[u8], part: &[u8]) -> bool {
    bytes.windows(part.len()).any(|w| w == part)
}

#[test]
fn a_64_bit_data_set_renders_every_row_under_the_column_names() {
    assert!(is_sas7bdat(PLAIN));
    assert_eq!(PLAIN[32], 0x33, "64-bit");
    assert_eq!(csv(PLAIN), PATIENTS);
}

#[test]
fn a_32_bit_data_set_reads_as_the_64_bit_one() {
    assert!(is_sas7bdat(PLAIN_32));
    assert_eq!(PLAIN_32[32], 0x22, "32-bit");
    assert_eq!(csv(PLAIN_32), PATIENTS);
}

#[test]
fn big_endian_data_sets_read_as_the_little_endian_ones() {
    assert_eq!((BIG[37], BIG[32]), (0, 0x33), "64-bit big-endian");
    assert_eq!(csv(BIG), PATIENTS);
    assert_eq!((LEGACY[37], LEGACY[32]), (0, 0x22), "32-bit big-endian");
    assert_eq!(csv(LEGACY), PATIENTS);
}

/// The legacy fixture holds `wlatin1` strings and numbers in fewer than 8 bytes: an SSN in
/// 6 (`LENGTH ssn 6`, which holds every 9-digit number exactly) and a count in 3.
#[test]
fn windows_1252_strings_and_numbers_stored_in_fewer_than_8_bytes() {
    assert_eq!(LEGACY[70], 62, "wlatin1");
    assert!(contains(LEGACY, b"Jos\xe9 N\xfa\xf1ez"));
    // 536904399 as a big-endian double ends in two zero bytes: stored as 6 bytes.
    let ssn = 536_904_399f64.to_be_bytes();
    assert_eq!(ssn[6..], [0, 0]);
    assert!(contains(LEGACY, &ssn[..6]));
    assert!(!contains(LEGACY, &ssn));
    assert_eq!(csv(LEGACY), PATIENTS);
    // A double cut to its high-order bytes, in either byte order.
    let x = 536_904_399f64.to_bits();
    assert_eq!(double(&x.to_be_bytes()[..6], true), Some(536_904_399.0));
    assert_eq!(double(&x.to_le_bytes()[2..], false), Some(536_904_399.0));
    assert_eq!(double(&3f64.to_be_bytes()[..3], true), Some(3.0));
    assert_eq!(double(&61.5f64.to_le_bytes()[5..], false), Some(61.5));
    // 0.1 needs all 8: cut to 4 it is another number, as SAS reads it.
    assert_eq!(
        double(&0.1f64.to_be_bytes()[..4], true),
        Some(0.099_999_964_237_213_13)
    );
}

#[test]
fn rle_and_rdc_compressed_rows_read_as_the_uncompressed_ones() {
    for (bytes, literal) in [
        (RLE, &b"SASYZCRL"[..]),
        (RLE_32, b"SASYZCRL"),
        (RDC, b"SASYZCR2"),
    ] {
        assert!(contains(bytes, literal));
        assert_eq!(csv(bytes), PATIENTS);
    }
}

#[test]
fn missing_values_are_nans_and_render_empty() {
    // `.` as SAS on x86 writes it, `.A`, `._` and a truncated `.`.
    for bits in [
        0xFFFF_FE00_0000_0000u64,
        0xFFFF_FD00_0000_0000,
        0xFFFF_FF00_0000_0000,
        f64::NAN.to_bits(),
    ] {
        assert_eq!(double(&bits.to_le_bytes(), false), None);
        assert_eq!(double(&bits.to_be_bytes()[..3], true), None);
        let mut text = Vec::new();
        number(&mut text, Shown::Date, &bits.to_le_bytes(), false);
        assert!(text.is_empty());
    }
}

#[test]
fn formats_show_dates_date_times_and_times_and_out_of_range_ones_are_numbers() {
    for (format, shown) in [
        ("DATE", Shown::Date),
        ("DATE9.", Shown::Date),
        ("mmddyy10.", Shown::Date),
        ("YYMMDD", Shown::Date),
        ("E8601DA10.", Shown::Date),
        ("DATETIME19.", Shown::DateTime),
        ("E8601DT", Shown::DateTime),
        ("TIME8.", Shown::Time),
        ("HHMM", Shown::Time),
        ("BEST12.", Shown::Plain),
        ("$CHAR20.", Shown::Plain),
        ("", Shown::Plain),
    ] {
        assert_eq!(Shown::of(format.as_bytes()), shown, "{format}");
    }
    let shown = |shown: Shown, x: f64| {
        let mut text = Vec::new();
        number(&mut text, shown, &x.to_le_bytes(), false);
        String::from_utf8(text).unwrap()
    };
    assert_eq!(shown(Shown::Date, 0.0), "1960-01-01");
    assert_eq!(shown(Shown::Date, -1.5), "1959-12-30");
    assert_eq!(shown(Shown::Date, 2_936_549.0), "9999-12-31");
    assert_eq!(shown(Shown::Date, 2_936_550.0), "2936550");
    assert_eq!(shown(Shown::Date, f64::MAX), "1.7976931348623157e308");
    assert_eq!(
        shown(Shown::DateTime, 86_400.0 + 3723.5),
        "1960-01-02 01:02:03"
    );
    assert_eq!(shown(Shown::Time, 29_730.0), "08:15:30");
    assert_eq!(shown(Shown::Time, 90_000.25), "25:00:00.250");
    assert_eq!(shown(Shown::Time, -1.0), "-1");
    assert_eq!(shown(Shown::Time, f64::INFINITY), "inf");
    assert_eq!(shown(Shown::Plain, 536_904_399.0), "536904399");
    assert_eq!(shown(Shown::Plain, 2.5e20), "2.5e20");
}

#[test]
fn strings_are_utf_8_when_they_are_else_read_in_the_header_encoding() {
    let shown = |raw: &[u8], encoding: Encoding| {
        let (mut text, mut scratch) = (Vec::new(), Vec::new());
        string(&mut text, &mut scratch, raw, encoding);
        text
    };
    for encoding in [
        Encoding::Utf8,
        Encoding::Latin1,
        Encoding::Windows1252,
        Encoding::Other,
    ] {
        assert_eq!(shown("José".as_bytes(), encoding), "José".as_bytes());
    }
    assert_eq!(shown(b"Jos\xe9", Encoding::Latin1), "José".as_bytes());
    assert_eq!(
        shown(b"follow-up \x96 call", Encoding::Windows1252),
        "follow-up \u{2013} call".as_bytes()
    );
    assert_eq!(shown(b"Jos\xc3", Encoding::Utf8), "Jos\u{fffd}".as_bytes());
    assert_eq!(shown(b"\x82\xa0", Encoding::Other), b"\x82\xa0");
    assert_eq!(shown(b"a,b", Encoding::Utf8), b"\"a,b\"");
}

#[test]
fn what_is_rendered_and_decompressed_is_taken_from_the_budget() {
    for bytes in FIXTURES {
        let len = csv(bytes).len() as u64;
        // A compressed row is charged its row length before it is decompressed.
        let inflated = if contains(bytes, b"SASYZCR") {
            3 * row_length(bytes)
        } else {
            0
        };
        let mut left = len + inflated + 7;
        assert!(tables(bytes, &mut left).is_ok());
        assert_eq!(left, 7);
        let mut left = len + inflated - 1;
        assert_eq!(tables(bytes, &mut left), Err(OVER_BUDGET));
    }
}

/// The row length of a data set (from its set of columns, as the reader reads them).
fn row_length(bytes: &[u8]) -> u64 {
    let header = super::Header::read(bytes).unwrap();
    super::DataSet::read(bytes, &header).unwrap().row_length as u64
}

/// Every prefix of every fixture, and every fixture with each byte changed, reads or fails
/// without a panic, and what it renders stays within its budget.
#[test]
fn truncated_and_mutated_data_sets_never_panic_and_stay_within_the_budget() {
    for bytes in FIXTURES {
        crate::source::damage::read_every_damage(bytes, BUDGET, (is_sas7bdat, tables));
        let mut copy = bytes.to_vec();
        for at in 0..copy.len() {
            let was = copy[at];
            copy[at] = was ^ 0x5a;
            let budget = 2000;
            let mut left = budget;
            if let Ok(members) = tables(&copy, &mut left) {
                let rendered: usize = members
                    .iter()
                    .map(|(_, m)| m.as_ref().map_or(0, Vec::len))
                    .sum();
                assert!(rendered as u64 <= budget - left, "at {at}");
            }
            copy[at] = was;
        }
    }
}

#[test]
fn damaged_headers_and_metadata_make_the_file_unreadable() {
    let damaged = |bytes: &[u8]| tables(bytes, &mut BUDGET.clone()).err();
    assert_eq!(damaged(&PLAIN[..32]), Some(DAMAGED));
    assert_eq!(damaged(&PLAIN[..1024]), Some(DAMAGED), "no pages");
    let mut order = PLAIN.to_vec();
    order[37] = 7;
    assert_eq!(damaged(&order), Some(DAMAGED));
    let mut page = PLAIN.to_vec();
    // A page size of 0 would not step through the file.
    page[204..208].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(damaged(&page), Some(DAMAGED));
    // Metadata that does not fit: a column past the row's end, a number of 9 bytes, a
    // name outside its text block, more columns than are described.
    for set in [
        Set::patients(false, false).with(|s| s.row_length = Some(4)),
        Set::patients(true, false).with(|s| s.columns[1].width = 9),
        Set::patients(false, true).with(|s| s.name_offset = 4000),
        Set::patients(true, true).with(|s| s.column_count = Some(99)),
        Set::patients(true, false).with(|s| s.column_count = Some(u64::MAX)),
    ] {
        assert_eq!(damaged(&set.bytes()), Some(DAMAGED));
    }
}

#[test]
fn other_files_are_not_data_sets() {
    assert!(!is_sas7bdat(b"mrn,ssn\nMR4000001,536-90-4399\n"));
    assert!(!is_sas7bdat(&PLAIN[..31]));
    // A SAS catalog differs in one magic byte.
    let mut catalog = PLAIN.to_vec();
    catalog[15] = 0x63;
    assert!(!is_sas7bdat(&catalog));
    let mut random = crate::source::damage::noise();
    for _ in 0..200 {
        assert!(!is_sas7bdat(&random(2000)));
    }
}

/// A hand-made data set: 32- or 64-bit, either byte order, its columns laid out one after
/// the other, its rows packed on data pages after a mix page, or compressed with RLE as
/// subheaders of meta pages.
#[derive(Clone)]
struct Set {
    wide: bool,
    big: bool,
    page_size: usize,
    columns: Vec<Col>,
    rows: Vec<Vec<u8>>,
    /// Rows on the mix page that ends the metadata (uncompressed only).
    mix_rows: usize,
    compressed: bool,
    /// A page of the compression's own, before the rows.
    compression_page: bool,
    row_length: Option<u64>,
    row_count: Option<u64>,
    column_count: Option<u64>,
    /// Added to every name's offset in the text block.
    name_offset: usize,
}

#[derive(Clone)]
struct Col {
    name: String,
    numeric: bool,
    width: usize,
    format: &'static str,
}

/// A value of a hand-made row.
enum V<'a> {
    N(f64),
    S(&'a str),
}

impl Set {
    fn new(wide: bool, big: bool, columns: &[(&str, bool, usize, &'static str)]) -> Set {
        Set {
            wide,
            big,
            page_size: 1024,
            columns: columns
                .iter()
                .map(|&(name, numeric, width, format)| Col {
                    name: name.to_owned(),
                    numeric,
                    width,
                    format,
                })
                .collect(),
            rows: Vec::new(),
            mix_rows: 0,
            compressed: false,
            compression_page: false,
            row_length: None,
            row_count: None,
            column_count: None,
            name_offset: 0,
        }
    }

    /// `n` patients: an SSN (12 characters), an MRN kept as a number in 6 bytes and a
    /// `DATE9.` visit.
    fn patients_n(wide: bool, big: bool, n: usize) -> Set {
        let mut set = Set::new(
            wide,
            big,
            &[
                ("ssn", false, 12, ""),
                ("mrn", true, 6, "BEST"),
                ("visit", true, 8, "DATE"),
            ],
        );
        for i in 0..n {
            let ssn = format!("536-90-{:04}", i % 10_000);
            set.push(&[
                V::S(&ssn),
                V::N(4_000_000.0 + i as f64),
                V::N(23_000.0 + i as f64),
            ]);
        }
        set
    }

    fn patients(wide: bool, big: bool) -> Set {
        let mut set = Set::patients_n(wide, big, 3);
        set.mix_rows = 1;
        set
    }

    fn with(mut self, change: impl FnOnce(&mut Set)) -> Set {
        change(&mut self);
        self
    }

    fn int(&self) -> usize {
        if self.wide { 8 } else { 4 }
    }

    fn put(&self, out: &mut [u8], at: usize, n: usize, value: u64) {
        let bytes = if self.big {
            value.to_be_bytes()[8 - n..].to_vec()
        } else {
            value.to_le_bytes()[..n].to_vec()
        };
        out[at..at + n].copy_from_slice(&bytes);
    }

    fn push(&mut self, values: &[V]) {
        let mut row = Vec::new();
        for (v, c) in values.iter().zip(&self.columns) {
            match v {
                V::N(x) => {
                    let bytes = if self.big {
                        x.to_be_bytes()[..c.width].to_vec()
                    } else {
                        x.to_le_bytes()[8 - c.width..].to_vec()
                    };
                    row.extend(bytes);
                }
                V::S(s) => {
                    let mut field = s.as_bytes().to_vec();
                    field.resize(c.width, b' ');
                    row.extend(field);
                }
            }
        }
        self.rows.push(row);
    }

    /// A subheader of `len` bytes with signature `signature` (a 32-bit one, extended to 64
    /// bits as SAS extends it).
    fn subheader(&self, signature: u32, len: usize) -> Vec<u8> {
        let mut sub = vec![0; len];
        let wide_signature = if signature >= 0xFFFF_0000 {
            u64::from(signature) | 0xFFFF_FFFF_0000_0000
        } else {
            u64::from(signature)
        };
        self.put(&mut sub, 0, self.int(), wide_signature);
        sub
    }

    fn bytes(&self) -> Vec<u8> {
        let il = self.int();
        let n = self.columns.len();
        let row_length: usize = self.columns.iter().map(|c| c.width).sum();
        // The column text block: its header, the compression literal at 12, then each
        // name and format.
        let mut text = vec![0u8; 12];
        text.extend_from_slice(if self.compressed {
            b"SASYZCRL"
        } else {
            b"        "
        });
        let mut refs = Vec::new();
        for c in &self.columns {
            let name = (text.len() + il, c.name.len());
            text.extend_from_slice(c.name.as_bytes());
            let format = (text.len() + il, c.format.len());
            text.extend_from_slice(c.format.as_bytes());
            refs.push((name, format));
        }
        text.resize(text.len().next_multiple_of(4), 0);
        let mut subs: Vec<(Vec<u8>, u8, u8)> = Vec::new();
        let mut row_size = self.subheader(super::ROW_SIZE, if self.wide { 808 } else { 480 });
        let count = self.row_count.unwrap_or(self.rows.len() as u64);
        self.put(
            &mut row_size,
            5 * il,
            il,
            self.row_length.unwrap_or(row_length as u64),
        );
        self.put(&mut row_size, 6 * il, il, count);
        self.put(&mut row_size, 9 * il, il, n as u64);
        self.put(&mut row_size, 15 * il, il, self.mix_rows as u64);
        subs.push((row_size, 0, 0));
        let mut column_size = self.subheader(super::COLUMN_SIZE, 3 * il);
        self.put(
            &mut column_size,
            il,
            il,
            self.column_count.unwrap_or(n as u64),
        );
        subs.push((column_size, 0, 0));
        let mut text_sub = self.subheader(super::COLUMN_TEXT, il);
        text_sub.extend_from_slice(&text);
        // Text offsets count from after the signature.
        let mut names = self.subheader(super::COLUMN_NAME, 2 * il + 12 + 8 * n);
        let mut attrs = self.subheader(super::COLUMN_ATTRS, 2 * il + 12 + (il + 8) * n);
        let mut at = 0;
        for (k, (c, ((name_at, name_len), _))) in self.columns.iter().zip(&refs).enumerate() {
            let e = il + 8 + 8 * k;
            self.put(
                &mut names,
                e + 2,
                2,
                (name_at - il + self.name_offset) as u64,
            );
            self.put(&mut names, e + 4, 2, *name_len as u64);
            let e = il + 8 + (il + 8) * k;
            self.put(&mut attrs, e, il, at as u64);
            self.put(&mut attrs, e + il, 4, c.width as u64);
            attrs[e + il + 6] = if c.numeric { 1 } else { 2 };
            at += c.width;
        }
        subs.push((text_sub, 0, 1));
        subs.push((names, 0, 1));
        subs.push((attrs, 0, 1));
        for (_, (format_at, format_len)) in &refs {
            let mut format = self.subheader(super::FORMAT, 3 * il + 40);
            self.put(&mut format, 3 * il + 24, 2, (format_at - il) as u64);
            self.put(&mut format, 3 * il + 26, 2, *format_len as u64);
            subs.push((format, 0, 0));
        }
        if self.compressed {
            for row in &self.rows {
                subs.push((encode_rle(row), 4, 1));
            }
        }
        let mut pages = Vec::new();
        let bo = if self.wide { 32 } else { 16 };
        let pointer = if self.wide { 24 } else { 12 };
        let mut current: Vec<(Vec<u8>, u8, u8)> = Vec::new();
        let used = |subs: &[(Vec<u8>, u8, u8)], rows: usize| {
            let data: usize = subs.iter().map(|s| s.0.len()).sum();
            (bo + 8 + subs.len() * pointer).next_multiple_of(8) + rows * row_length + data
        };
        let page = |typ: u64, subs: &[(Vec<u8>, u8, u8)], rows: &[Vec<u8>], blocks: usize| {
            let mut p = vec![0u8; self.page_size];
            let mut end = self.page_size;
            for (i, (sub, compression, kind)) in subs.iter().enumerate() {
                end -= sub.len();
                p[end..end + sub.len()].copy_from_slice(sub);
                let at = bo + 8 + i * pointer;
                self.put(&mut p, at, il, end as u64);
                self.put(&mut p, at + il, il, sub.len() as u64);
                p[at + 2 * il] = *compression;
                p[at + 2 * il + 1] = *kind;
            }
            let mut at = if subs.is_empty() {
                bo + 8
            } else {
                (bo + 8 + subs.len() * pointer).next_multiple_of(8)
            };
            for row in rows {
                p[at..at + row.len()].copy_from_slice(row);
                at += row.len();
            }
            assert!(at <= end, "rows overrun the subheaders");
            self.put(&mut p, bo, 2, typ);
            self.put(&mut p, bo + 2, 2, blocks as u64);
            self.put(&mut p, bo + 4, 2, subs.len() as u64);
            p
        };
        let rows_plain: &[Vec<u8>] = if self.compressed { &[] } else { &self.rows };
        let mixed = &rows_plain[..self.mix_rows.min(rows_plain.len())];
        for sub in subs {
            let mut next = current.clone();
            next.push(sub.clone());
            if used(&next, 0) > self.page_size {
                pages.push(page(0, &current, &[], current.len()));
                current = vec![sub];
            } else {
                current = next;
            }
        }
        if used(&current, mixed.len()) <= self.page_size && !mixed.is_empty() {
            pages.push(page(0x200, &current, mixed, current.len() + mixed.len()));
        } else {
            pages.push(page(0, &current, &[], current.len()));
            assert!(mixed.is_empty(), "the mix rows do not fit");
        }
        if self.compression_page {
            let mut junk = vec![0xAB; self.page_size];
            junk[..bo + 8].fill(0);
            self.put(&mut junk, bo, 2, 0x9000);
            self.put(&mut junk, bo + 4, 2, 7);
            pages.push(junk);
        }
        let per = (self.page_size - bo - 8) / row_length.max(1);
        for chunk in rows_plain[mixed.len()..].chunks(per.max(1)) {
            pages.push(page(0x100, &[], chunk, chunk.len()));
        }
        let mut header = vec![0u8; 1024];
        header[..32].copy_from_slice(&super::MAGIC);
        header[32] = if self.wide { 0x33 } else { 0x22 };
        header[35] = 0x22;
        header[37] = if self.big { 0 } else { 1 };
        header[70] = 20;
        self.put(&mut header, 196, 4, 1024);
        self.put(&mut header, 200, 4, self.page_size as u64);
        self.put(&mut header, 204, il, pages.len() as u64);
        header.extend(pages.concat());
        header
    }
}

/// `row` compressed with RLE, simply: runs of a byte as runs (blanks, NULs and `@` from two,
/// others from three), the rest as copies.
fn encode_rle(row: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut literal: Vec<u8> = Vec::new();
    let flush = |out: &mut Vec<u8>, literal: &mut Vec<u8>| {
        for chunk in literal.chunks(4159) {
            let n = chunk.len();
            if n > 64 {
                out.push(((n - 64) / 256) as u8);
                out.push(((n - 64) % 256) as u8);
            } else {
                let (command, base) = match n {
                    1..=16 => (0x80, 1),
                    17..=32 => (0x90, 17),
                    33..=48 => (0xA0, 33),
                    _ => (0xB0, 49),
                };
                out.push(command | (n - base) as u8);
            }
            out.extend_from_slice(chunk);
        }
        literal.clear();
    };
    let mut i = 0;
    while i < row.len() {
        let b = row[i];
        let run = row[i..].iter().take_while(|&&c| c == b).count();
        let special = matches!(b, b' ' | 0 | b'@');
        let (short, long) = match b {
            b' ' => (0xE0u8, 0x60u8),
            0 => (0xF0, 0x70),
            b'@' => (0xD0, 0x50),
            _ => (0xC0, 0x40),
        };
        if special && run >= 2 {
            flush(&mut out, &mut literal);
            let n = run.min(17 + 4095);
            if n <= 17 {
                out.push(short | (n - 2) as u8);
            } else {
                out.push(long | ((n - 17) / 256) as u8);
                out.push(((n - 17) % 256) as u8);
            }
            i += n;
        } else if !special && run >= 3 {
            flush(&mut out, &mut literal);
            let n = run.min(18 + 4095);
            if n <= 18 {
                out.extend_from_slice(&[short | (n - 3) as u8, b]);
            } else {
                out.extend_from_slice(&[long | ((n - 18) / 256) as u8, ((n - 18) % 256) as u8, b]);
            }
            i += n;
        } else {
            literal.push(b);
            i += 1;
        }
    }
    flush(&mut out, &mut literal);
    out
}

/// `data` compressed with RDC, simply: runs of a byte, then the longest earlier match
/// (within the 4,098 bytes back a pattern reaches), else a literal byte.
fn encode_rdc(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut items: Vec<(bool, Vec<u8>)> = Vec::new();
    // Where each 3 bytes were seen, up to 3 bytes before the byte being compressed.
    let mut seen: std::collections::HashMap<&[u8], Vec<usize>> = std::collections::HashMap::new();
    let mut indexed = 0;
    let mut i = 0;
    while i < data.len() {
        while indexed + 3 <= i {
            seen.entry(&data[indexed..indexed + 3])
                .or_default()
                .push(indexed);
            indexed += 1;
        }
        let b = data[i];
        let run = data[i..].iter().take_while(|&&c| c == b).count().min(4114);
        let (mut best, mut offset) = (0, 0);
        if let Some(key) = data.get(i..i + 3) {
            let earlier = seen.get(key).map(Vec::as_slice).unwrap_or_default();
            for &from in earlier.iter().rev().take(8) {
                if i - from > 4098 {
                    break;
                }
                let len = (0..271.min(data.len() - i))
                    .take_while(|&k| data[from + k] == data[i + k])
                    .count();
                if len > best {
                    (best, offset) = (len, i - from);
                }
            }
        }
        if run >= 3 && run >= best {
            if run <= 18 {
                items.push((true, vec![(run - 3) as u8, b]));
            } else {
                let n = run - 19;
                items.push((true, vec![0x10 | (n & 0x0F) as u8, (n >> 4) as u8, b]));
            }
            i += run;
        } else if best >= 16 {
            let o = offset - 3;
            items.push((
                true,
                vec![0x20 | (o & 0x0F) as u8, (o >> 4) as u8, (best - 16) as u8],
            ));
            i += best;
        } else if best >= 3 {
            let o = offset - 3;
            items.push((
                true,
                vec![((best as u8) << 4) | (o & 0x0F) as u8, (o >> 4) as u8],
            ));
            i += best;
        } else {
            items.push((false, vec![b]));
            i += 1;
        }
    }
    for group in items.chunks(16) {
        let mut control = 0u16;
        for (k, (command, _)) in group.iter().enumerate() {
            if *command {
                control |= 0x8000 >> k;
            }
        }
        out.extend_from_slice(&control.to_be_bytes());
        for (_, bytes) in group {
            out.extend_from_slice(bytes);
        }
    }
    out
}

/// RLE as SAS's documentation and ReadStat describe it, without limits: the oracle.
fn rle_oracle(input: &[u8]) -> Option<Vec<u8>> {
    fn take(it: &mut std::slice::Iter<u8>, n: usize) -> Option<Vec<u8>> {
        let rest = it.as_slice();
        let taken = rest.get(..n)?.to_vec();
        *it = rest[n..].iter();
        Some(taken)
    }
    let arg = |it: &mut std::slice::Iter<u8>| it.next().map(|&b| usize::from(b));
    let mut out = Vec::new();
    let mut it = input.iter();
    while let Some(&c) = it.next() {
        let low = usize::from(c & 0x0F);
        let command = usize::from(c >> 4);
        match command {
            0 | 1 => {
                let n = arg(&mut it)? + 64 + 256 * low + 4096 * command;
                out.extend(take(&mut it, n)?);
            }
            2 => out.extend(take(&mut it, low + 96)?),
            3 => return None,
            4 => {
                let n = arg(&mut it)? + 18 + 256 * low;
                let b = arg(&mut it)? as u8;
                out.extend(std::iter::repeat_n(b, n));
            }
            5..=7 => {
                let n = arg(&mut it)? + 17 + 256 * low;
                out.extend(std::iter::repeat_n([b'@', b' ', 0][command - 5], n));
            }
            8..=11 => out.extend(take(&mut it, low + [1, 17, 33, 49][command - 8])?),
            12 => {
                let b = arg(&mut it)? as u8;
                out.extend(std::iter::repeat_n(b, low + 3));
            }
            _ => out.extend(std::iter::repeat_n([b'@', b' ', 0][command - 13], low + 2)),
        }
    }
    Some(out)
}

/// RDC as Ross describes it, without limits: the oracle.
fn rdc_oracle(input: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    let mut bits = Vec::new().into_iter();
    let byte = |i: &mut usize| {
        let b = input.get(*i).copied();
        *i += 1;
        b.map(usize::from)
    };
    while i < input.len() {
        let command = match bits.next() {
            Some(bit) => bit,
            None => {
                let word = byte(&mut i)? << 8 | byte(&mut i)?;
                bits = (0..16)
                    .map(|k| word & (0x8000 >> k) != 0)
                    .collect::<Vec<_>>()
                    .into_iter();
                bits.next().unwrap()
            }
        };
        if !command {
            out.push(byte(&mut i)? as u8);
            continue;
        }
        let c = byte(&mut i)?;
        let (cmd, low) = (c >> 4, c & 0x0F);
        match cmd {
            0 => {
                let b = byte(&mut i)? as u8;
                out.extend(std::iter::repeat_n(b, low + 3));
            }
            1 => {
                let n = low + (byte(&mut i)? << 4) + 19;
                let b = byte(&mut i)? as u8;
                out.extend(std::iter::repeat_n(b, n));
            }
            _ => {
                let offset = low + 3 + (byte(&mut i)? << 4);
                let n = if cmd == 2 { byte(&mut i)? + 16 } else { cmd };
                let from = out.len().checked_sub(offset)?;
                for k in 0..n {
                    out.push(out[from + k]);
                }
            }
        }
    }
    Some(out)
}

/// The bounded decompressor's answer with room for `limit` bytes.
fn bounded(
    method: fn(&[u8], &mut Vec<u8>, usize) -> Option<()>,
    input: &[u8],
    limit: usize,
) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    method(input, &mut out, limit)?;
    assert!(out.len() <= limit);
    Some(out)
}

proptest! {
    /// Any input decompresses as the oracle decompresses it when that fits the limit, and
    /// is damage when it does not: nothing is written past the limit.
    #[test]
    fn the_decompressors_are_their_oracles_within_the_limit(
        input in proptest::collection::vec(any::<u8>(), 0..64),
        limit in 0usize..6000,
    ) {
        for (method, oracle) in [
            (rle as fn(&[u8], &mut Vec<u8>, usize) -> Option<()>, rle_oracle as fn(&[u8]) -> Option<Vec<u8>>),
            (rdc, rdc_oracle),
        ] {
            let want = oracle(&input).filter(|out| out.len() <= limit);
            prop_assert_eq!(bounded(method, &input, limit), want);
        }
    }

    /// What the simple compressors make decompresses to what they were given.
    #[test]
    fn compressed_rows_decompress_to_themselves(
        row in proptest::collection::vec(prop_oneof![
            Just(b' '), Just(0u8), Just(b'@'), Just(b'5'), Just(b'-'), any::<u8>(),
        ], 0..600),
        repeat in 1usize..12,
    ) {
        let row = row.repeat(repeat);
        prop_assert_eq!(bounded(rle, &encode_rle(&row), row.len()), Some(row.clone()));
        prop_assert_eq!(bounded(rdc, &encode_rdc(&row), row.len()), Some(row.clone()));
        prop_assert_eq!(rle_oracle(&encode_rle(&row)), Some(row.clone()));
        prop_assert_eq!(rdc_oracle(&encode_rdc(&row)), Some(row.clone()));
    }
}

#[test]
fn long_runs_and_copies_of_every_command() {
    // A run of 4,112 blanks and of 4,113 `x`s, and a copy of 4,159 then 4,255 bytes.
    let blanks = [0x6F, 0xFF];
    assert_eq!(bounded(rle, &blanks, 5000), Some(vec![b' '; 4112]));
    let xs = [0x4F, 0xFF, b'x'];
    assert_eq!(bounded(rle, &xs, 5000), Some(vec![b'x'; 4113]));
    assert_eq!(bounded(rle, &xs, 4112), None, "past the limit");
    let data: Vec<u8> = (0..20_000).map(|i| (i % 251) as u8).collect();
    let mut input = vec![0x0F, 0xFF];
    input.extend_from_slice(&data[..4159]);
    input.extend_from_slice(&[0x1F, 0x1F]);
    // 0x1F, 0x1F: 31 + 64 + 15 × 256 + 4096 bytes.
    input.extend_from_slice(&data[4159..4159 + 8031]);
    assert_eq!(
        bounded(rle, &input, 20_000),
        Some(data[..4159 + 8031].to_vec())
    );
    assert_eq!(bounded(rle, &[0x25, 7], 200), None, "a copy past the input");
    assert_eq!(bounded(rle, &[0x30], 200), None, "no such command");
    // RDC: a pattern from before the output, a command cut short.
    assert_eq!(bounded(rdc, &[0x80, 0x00, 0x30, 0x00], 200), None);
    assert_eq!(bounded(rdc, &[0x80, 0x00, 0x10], 200), None);
    assert_eq!(bounded(rdc, &[0x00, 0x00, b'a'], 200), Some(b"a".to_vec()));
}

#[test]
fn hand_made_data_sets_of_every_layout_read_as_made() {
    let want = "ssn,mrn,visit\n\
                536-90-0000,4000000,2022-12-21\n\
                536-90-0001,4000001,2022-12-22\n\
                536-90-0002,4000002,2022-12-23\n";
    for wide in [false, true] {
        for big in [false, true] {
            for compressed in [false, true] {
                let set = Set::patients(wide, big).with(|s| {
                    s.compressed = compressed;
                    s.compression_page = true;
                });
                assert_eq!(csv(&set.bytes()), want, "{wide} {big} {compressed}");
            }
        }
    }
}

#[test]
fn a_lowered_row_count_hides_no_row_and_the_file_end_ends_them_quietly() {
    let set = Set::patients_n(true, false, 40);
    let bytes = set.bytes();
    let all = csv(&bytes);
    assert_eq!(all.lines().count(), 41);
    // A row count lowered by hand (0, 5) hides no row: each page says what it holds.
    for count in [0, 5] {
        let fewer = set.clone().with(|s| s.row_count = Some(count));
        assert_eq!(csv(&fewer.bytes()), all, "{count}");
        // Rows kept as compressed subheaders too.
        let fewer = set.clone().with(|s| {
            s.compressed = true;
            s.row_count = Some(count);
        });
        assert_eq!(csv(&fewer.bytes()), all, "{count}");
    }
    // Cut at a page's end: the rows of the pages left.
    let cut = &bytes[..bytes.len() - 1024];
    let text = csv(cut);
    assert!(all.starts_with(&text) && text.lines().count() < 41);
    // Cut inside the last page: its whole rows are still read.
    let cut = &bytes[..bytes.len() - 1000];
    assert!(all.starts_with(&csv(cut)));
}

#[test]
fn claimed_counts_and_lengths_allocate_nothing_they_do_not_hold() {
    let work = |bytes: &[u8], left: &mut u64| {
        crate::work::take();
        let read = tables(bytes, left);
        (read, crate::work::take())
    };
    // A row count of 2^64 - 1: the three rows there are, and the others said missing.
    let huge = Set::patients(true, false).with(|s| s.row_count = Some(u64::MAX));
    let (read, steps) = work(&huge.bytes(), &mut BUDGET.clone());
    let read = read.unwrap();
    assert_eq!(
        read[0].1.as_ref().unwrap().split(|&b| b == b'\n').count(),
        5
    );
    assert_eq!(read[1], (DAMAGED_ROWS.to_owned(), Err(MISSING_ROWS)));
    assert!(steps < 100_000, "{steps}");
    // A page count of 2^32 - 1 in the header, a mix page of 2^64 - 1 rows.
    let mut pages = PLAIN_32.to_vec();
    pages[204..208].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(csv(&pages), PATIENTS);
    let mut bytes = Set::patients(false, true).bytes();
    let at = bytes.windows(4).position(|w| w == [0xF7; 4]).unwrap() + 15 * 4;
    bytes[at..at + 4].copy_from_slice(&[0xFF; 4]);
    assert_eq!(csv(&bytes), csv(&Set::patients(false, true).bytes()));
    // A compressed row of a claimed terabyte is charged before it is decompressed: the
    // budget runs out, no memory is taken.
    let wide = Set::patients(true, false).with(|s| {
        s.compressed = true;
        s.row_length = Some(1 << 40);
    });
    let (read, steps) = work(&wide.bytes(), &mut BUDGET.clone());
    assert_eq!(read, Err(OVER_BUDGET));
    assert!(steps < 100_000, "{steps}");
}

#[test]
fn a_damaged_page_or_row_is_left_out_and_named_and_the_others_still_read() {
    let set = Set::patients_n(false, false, 200);
    let all = csv(&set.bytes());
    // The first data page's type made unknown.
    let mut bytes = set.bytes();
    let data = (1024..bytes.len())
        .step_by(1024)
        .find(|&at| bytes[at + 16..at + 18] == [0x00, 0x01])
        .unwrap();
    bytes[data + 17] = 0x08;
    let members = read(&bytes);
    assert_eq!(members.len(), 2);
    assert_eq!(members[1], (DAMAGED_ROWS.to_owned(), Err(DAMAGED_PAGE)));
    let rows = String::from_utf8(members[0].1.clone().unwrap()).unwrap();
    // Rows of 26 bytes after a 24-byte page header.
    let per_page = (1024 - 24) / 26;
    assert_eq!(rows.lines().count(), 201 - per_page);
    assert!(rows.lines().all(|line| all.contains(line)));
    // A data page that claims more rows than it holds.
    let mut bytes = set.bytes();
    bytes[data + 18..data + 20].copy_from_slice(&999u16.to_le_bytes());
    let members = read(&bytes);
    assert_eq!(members[1].1, Err(DAMAGED_PAGE));
    // A compressed row that decompresses short: that row is left out.
    let set = Set::patients(true, false).with(|s| s.compressed = true);
    let mut bytes = set.bytes();
    let row = bytes
        .windows(3)
        .position(|w| w == [0x86, b'5', b'3'])
        .unwrap();
    bytes[row] = 0x85;
    let members = read(&bytes);
    assert_eq!(members[1], (DAMAGED_ROWS.to_owned(), Err(DAMAGED_PAGE)));
    assert_eq!(
        String::from_utf8(members[0].1.clone().unwrap())
            .unwrap()
            .lines()
            .count(),
        3
    );
    // Every row damaged: the rows themselves are unscannable.
    let mut bytes = set.bytes();
    for _ in 0..3 {
        let row = bytes
            .windows(3)
            .position(|w| w == [0x86, b'5', b'3'])
            .unwrap();
        bytes[row] = 0x30;
    }
    assert_eq!(read(&bytes), vec![(ROWS.to_owned(), Err(DAMAGED_PAGE))]);
    // A row's pointer made truncated, which holds nothing: the row is missed, and said so.
    let mut bytes = set.bytes();
    let pointer = bytes.windows(3).position(|w| w == [4, 1, 0]).unwrap();
    bytes[pointer] = 1;
    let members = read(&bytes);
    assert_eq!(members[1], (DAMAGED_ROWS.to_owned(), Err(MISSING_ROWS)));
    // Compressed rows without a compression named: unread, and said so.
    let mut bytes = set.bytes();
    let literal = bytes.windows(8).position(|w| w == b"SASYZCRL").unwrap();
    bytes[literal..literal + 8].copy_from_slice(b"        ");
    assert_eq!(
        read(&bytes),
        vec![(ROWS.to_owned(), Err(UNREAD_COMPRESSION))]
    );
}

/// The work of a data set grows with its bytes, whatever grows: rows (plain or
/// compressed), columns, or the input of a decompressor.
#[test]
fn work_is_linear_in_rows_columns_and_compressed_input() {
    let run = |bytes: Vec<u8>| {
        crate::work::take();
        let text = csv(&bytes);
        assert!(!text.is_empty());
        crate::work::take()
    };
    crate::work::assert_linear("rows", |n| run(Set::patients_n(true, false, n).bytes()));
    crate::work::assert_linear("compressed rows", |n| {
        run(Set::patients_n(false, true, n)
            .with(|s| s.compressed = true)
            .bytes())
    });
    crate::work::assert_linear("columns", |n| {
        let columns: Vec<(String, bool, usize, &'static str)> = (0..n / 20)
            .map(|k| (format!("c{k}"), true, 8, "DATE"))
            .collect();
        let columns: Vec<(&str, bool, usize, &'static str)> = columns
            .iter()
            .map(|(a, b, c, d)| (a.as_str(), *b, *c, *d))
            .collect();
        let mut set = Set::new(false, false, &columns);
        set.page_size = 16 * 1024;
        for r in 0..2 {
            let values: Vec<V> = (0..columns.len()).map(|k| V::N((r * k) as f64)).collect();
            set.push(&values);
        }
        run(set.bytes())
    });
    for (what, method) in [
        ("rle", rle as fn(&[u8], &mut Vec<u8>, usize) -> Option<()>),
        ("rdc", rdc),
    ] {
        crate::work::assert_linear(what, |n| {
            let data: Vec<u8> = (0..n * 4)
                .map(|i| b"536-90-4399  @\0"[i * 7 % 15])
                .collect();
            let input = if what == "rle" {
                encode_rle(&data)
            } else {
                encode_rdc(&data)
            };
            crate::work::take();
            assert_eq!(
                bounded(method, &input, data.len()).map(|o| o.len()),
                Some(data.len())
            );
            crate::work::take()
        });
    }
}
