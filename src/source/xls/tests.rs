use super::{
    BOF, BOOLERR, BOUNDSHEET, CONTINUE, DAMAGED, DAMAGED_SHEET, DATEMODE, ENCRYPTED, EOF, FILEPASS,
    FOOTER, FORMAT, FORMULA, HEADER, LABEL, LABELSST, MULBLANK, MULRK, NUMBER, OLDER, RK, RSTRING,
    SST, STRING, TEXT, TXO, Table, XF, cfb, is_xls, rk, says_something, tables,
};
use crate::source::archive::tests::zip_of;
use crate::source::archive::{OVER_BUDGET, members};
use crate::source::cfb::tests::{END, FREE, Node, compound, le, n32};

// Written by xlwt: `python3 tests/fixtures/xls/generate.py tests/fixtures/xls`.
const PATIENTS: &[u8] = include_bytes!("../../../tests/fixtures/xls/patients.xls");
const NOTES: &[u8] = include_bytes!("../../../tests/fixtures/xls/notes.xls");
const DATES1904: &[u8] = include_bytes!("../../../tests/fixtures/xls/dates1904.xls");

const BIG: u64 = 1 << 30;

/// The patients' SSNs (area, group, serial): built into the text below rather than
/// written out, as the repository scans its own source.
const SSNS: [(u32, u32, u32); 3] = [(536, 90, 4399), (219, 45, 11), (418, 27, 3306)];

fn ssn(i: usize) -> String {
    let (area, group, serial) = SSNS[i];
    format!("{area:03}-{group:02}-{serial:04}")
}

fn ssn_number(i: usize) -> String {
    let (area, group, serial) = SSNS[i];
    format!("{area}{group:02}{serial:04}")
}

/// The `Patients` sheet: strings, dates and a date-time (date formats), an SSN stored as a
/// NUMBER (past an RK's 30 bits) and the others as RK integers, a MULRK of integers and
/// hundredths, a negative number under a custom number format that is no date, booleans
/// and an error, missing cells, and a short row padded to the header's width.
fn patients() -> String {
    format!(
        "mrn,name,ssn,dob,seen,ssn_num,mrn_num,visits,weight,ratio,balance,active\n\
         MR4000001,Rosa Ortega,{},1956-02-17,2025-03-04 08:15:30,{},4000001,3,61.5,0.1,-12.5,TRUE\n\
         MR4000002,José Núñez,{},1988-11-30,,{},4000002,0,80.25,1e-7,1234567.89,FALSE\n\
         MR4000003,\"Ada \"\"Al\"\" Kim, Jr\",{},,1999-12-31 23:59:59,{},,32000,,,,#DIV/0!\n",
        ssn(0),
        ssn_number(0),
        ssn(1),
        ssn_number(1),
        ssn(2),
        ssn_number(2),
    )
}

/// The hidden sheet: a skipped row and column, and a styled blank cell that widens its row.
const HIDDEN: &str = "mrn,note\nMR4000001,call back\n,,late entry\n,,,\n";

/// A note of `notes.xls`, as `generate.py` writes it.
fn note(i: usize) -> String {
    let word = ["Rosa Núñez", "Łukasz Wąsik", "山田太郎"][i % 3];
    format!("note {i}: {}", vec![word; 18].join(" "))
}

fn notes() -> String {
    let mut csv = "id,note\n".to_owned();
    for i in 0..30 {
        csv.push_str(&format!("{i},{}\n", note(i)));
    }
    csv.push_str(&format!(",{}\n", "Łukasz ".repeat(700)));
    csv.push_str(",\"plain, then bold\"\n");
    csv
}

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

/// Each sheet's name and CSV.
fn sheets(bytes: &[u8]) -> Vec<(String, String)> {
    read(bytes)
        .into_iter()
        .map(|(name, csv)| {
            let csv = String::from_utf8(csv.expect("a readable sheet")).expect("UTF-8");
            (name, csv)
        })
        .collect()
}

fn sheet(name: &str, csv: &str) -> (String, String) {
    (name.to_owned(), csv.to_owned())
}

/// The `Workbook` stream of compound file `bytes`.
fn workbook_stream(bytes: &[u8]) -> Vec<u8> {
    let file = cfb::File::open(bytes).expect("a compound file");
    let entry = file.find("Workbook").expect("a workbook stream");
    file.stream(&entry).expect("its bytes")
}

/// A compound file (version 3) whose one stream is `Workbook`.
fn wrap(stream: Vec<u8>) -> Vec<u8> {
    compound(9, 0, &[Node::Stream("Workbook", stream)])
}

// A BIFF8 writer: records no writer at hand makes, and damage in place.

fn rec(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut r = kind.to_le_bytes().to_vec();
    r.extend_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
    r.extend_from_slice(data);
    r
}

fn bof(kind: u16) -> Vec<u8> {
    let mut data = vec![0x00, 0x06];
    data.extend_from_slice(&kind.to_le_bytes());
    data.resize(16, 0);
    rec(BOF, &data)
}

/// A flags byte and the characters of `s`: 8-bit when each fits, else UTF-16.
fn chars(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    if units.iter().all(|&u| u < 256) {
        let mut out = vec![0];
        out.extend(units.iter().map(|&u| u8::try_from(u).unwrap()));
        out
    } else {
        let mut out = vec![1];
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        out
    }
}

/// An `XLUnicodeString`.
fn xl_string(s: &str) -> Vec<u8> {
    let count = u16::try_from(s.encode_utf16().count()).unwrap();
    [count.to_le_bytes().to_vec(), chars(s)].concat()
}

/// A cell record: row, column, format, then `rest`.
fn cell(kind: u16, row: u16, col: u16, xf: u16, rest: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    for n in [row, col, xf] {
        data.extend_from_slice(&n.to_le_bytes());
    }
    data.extend_from_slice(rest);
    rec(kind, &data)
}

fn labelsst(row: u16, col: u16, i: u32) -> Vec<u8> {
    cell(LABELSST, row, col, 0, &i.to_le_bytes())
}

fn label(row: u16, col: u16, s: &str) -> Vec<u8> {
    cell(LABEL, row, col, 0, &xl_string(s))
}

fn number(row: u16, col: u16, xf: u16, x: f64) -> Vec<u8> {
    cell(NUMBER, row, col, xf, &x.to_le_bytes())
}

/// An RK integer.
fn rk_int(row: u16, col: u16, xf: u16, n: i32) -> Vec<u8> {
    let rk = u32::from_le_bytes((n << 2 | 2).to_le_bytes());
    cell(RK, row, col, xf, &rk.to_le_bytes())
}

/// A formula with cached result `result` (and no tokens).
fn formula(row: u16, col: u16, result: [u8; 8]) -> Vec<u8> {
    let mut rest = result.to_vec();
    rest.extend_from_slice(&[0; 8]);
    cell(FORMULA, row, col, 0, &rest)
}

/// An `XF` whose number format is `format`.
fn xf(format: u16) -> Vec<u8> {
    let mut data = vec![0, 0];
    data.extend_from_slice(&format.to_le_bytes());
    data.resize(20, 0);
    rec(XF, &data)
}

/// A workbook stream: the globals' records, then each sheet (name, kind, records).
struct Biff {
    globals: Vec<Vec<u8>>,
    sheets: Vec<(&'static str, u8, Vec<Vec<u8>>)>,
}

impl Biff {
    fn stream(&self) -> Vec<u8> {
        let mut out = bof(0x0005);
        out.extend(self.globals.concat());
        let mut offsets = Vec::new();
        for (name, kind, _) in &self.sheets {
            offsets.push(out.len() + 4);
            let mut data = vec![0, 0, 0, 0, 0, *kind];
            data.push(u8::try_from(name.encode_utf16().count()).unwrap());
            data.extend(chars(name));
            out.extend(rec(BOUNDSHEET, &data));
        }
        out.extend(rec(EOF, &[]));
        for ((_, kind, records), offset) in self.sheets.iter().zip(offsets) {
            let at = n32(out.len());
            out[offset..offset + 4].copy_from_slice(&at.to_le_bytes());
            out.extend(bof(match kind {
                1 => 0x40,
                2 => 0x20,
                _ => 0x10,
            }));
            out.extend(records.concat());
            out.extend(rec(EOF, &[]));
        }
        out
    }

    fn file(&self) -> Vec<u8> {
        wrap(self.stream())
    }
}

/// Where the records of type `kind` are in `stream`.
fn records(stream: &[u8], kind: u16) -> Vec<usize> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + 4 <= stream.len() {
        let len = usize::from(u16::from_le_bytes([stream[at + 2], stream[at + 3]]));
        if stream[at..at + 2] == kind.to_le_bytes() {
            found.push(at);
        }
        at += 4 + len;
    }
    found
}

/// An `SST` record and its `CONTINUE`s, of `pieces`.
fn sst(pieces: &[Vec<u8>]) -> Vec<u8> {
    let mut out = rec(SST, &pieces[0]);
    for piece in &pieces[1..] {
        out.extend(rec(CONTINUE, piece));
    }
    out
}

/// Shared strings as Excel splits them: `ssn`, `name`, `Kim Ada` with rich-text runs
/// (one in each record) and phonetic data that run on into the next record (no flags byte
/// there: only characters get one), `abc山田` whose characters start 8-bit and go on as UTF-16 in the record
/// after, and `dob`.
fn labs_strings() -> Vec<u8> {
    let mut first = le(&[9, 5]);
    first.extend(xl_string("ssn"));
    first.extend(xl_string("name"));
    first.extend([7, 0, 0x0c, 2, 0, 10, 0, 0, 0]);
    first.extend(b"Kim Ada");
    first.extend([0, 0, 1, 0]);
    let mut second = vec![4, 0, 2, 0];
    // Phonetic data that would read as a string if it were not stepped over.
    second.extend(b"\x03\x00\x00XYZ\x00\x00\x00\x00");
    second.extend([5, 0, 0]);
    second.extend(b"abc");
    let mut third = vec![1];
    third.extend("山田".encode_utf16().flat_map(u16::to_le_bytes));
    third.extend(xl_string("dob"));
    sst(&[first, second, third])
}

const STRING_RESULT: [u8; 8] = [0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// A sheet of every kind of cell record, some out of order, one written twice, one past
/// the last column, one inside an embedded chart.
fn labs_records() -> Vec<Vec<u8>> {
    let mut mulblank = Vec::new();
    for n in [3u16, 5] {
        mulblank.extend_from_slice(&n.to_le_bytes());
    }
    for _ in 5..=300 {
        mulblank.extend_from_slice(&0u16.to_le_bytes());
    }
    mulblank.extend_from_slice(&300u16.to_le_bytes());
    vec![
        labelsst(0, 0, 0),
        labelsst(0, 1, 1),
        labelsst(0, 2, 4),
        label(0, 3, "note"),
        cell(
            RSTRING,
            0,
            4,
            0,
            &[xl_string("formula"), vec![1, 0, 0, 0, 1, 0]].concat(),
        ),
        // Row 2 before row 1.
        rk_int(2, 0, 0, -7),
        rk_int(2, 2, 2, 32_000),
        cell(BOOLERR, 2, 3, 0, &[1, 0]),
        formula(2, 4, STRING_RESULT),
        rec(STRING, &[6, 0, 0, b'a', b'b', b'c']),
        rec(CONTINUE, &[1, b'd', 0, b'e', 0, b'f', 0]),
        rk_int(1, 0, 0, 1),
        number(1, 0, 0, 999_012_345.0),
        labelsst(1, 1, 2),
        number(1, 2, 1, 20_502.0),
        labelsst(1, 3, 3),
        formula(1, 4, 2.5f64.to_le_bytes()),
        bof(0x20),
        labelsst(1, 5, 0),
        rec(EOF, &[]),
        formula(3, 0, [1, 0, 1, 0, 0, 0, 0xff, 0xff]),
        formula(3, 1, [2, 0, 0x2a, 0, 0, 0, 0xff, 0xff]),
        formula(3, 2, [3, 0, 0, 0, 0, 0, 0xff, 0xff]),
        cell(BOOLERR, 3, 3, 0, &[0x17, 1]),
        rec(MULBLANK, &mulblank),
        labelsst(3, 300, 0),
        label(4, 0, "x"),
        number(4, 1, 3, 12.5),
    ]
}

fn labs() -> Biff {
    let mut format = 164u16.to_le_bytes().to_vec();
    format.extend(xl_string("yyyy\\-mm\\-dd"));
    Biff {
        globals: vec![
            rec(FORMAT, &format),
            xf(0),
            xf(14),
            xf(164),
            xf(2),
            rec(DATEMODE, &[0, 0]),
            labs_strings(),
        ],
        sheets: vec![
            ("Labs", 0, labs_records()),
            ("Chart1", 2, Vec::new()),
            ("Macro1", 1, vec![label(0, 0, "macro")]),
        ],
    }
}

fn labs_csv() -> String {
    format!(
        "ssn,name,dob,note,formula\n\
         999012345,Kim Ada,1956-02-17,abc山田,2.5\n\
         -7,,1987-08-11,TRUE,abcdef\n\
         TRUE,#N/A,,#REF!{}\n\
         x,12.5,,,\n",
        ",".repeat(252)
    )
}

#[test]
fn a_patient_list_written_by_xlwt_renders_every_sheet_hidden_ones_too() {
    assert!(is_xls(PATIENTS));
    assert_eq!(
        sheets(PATIENTS),
        [sheet("Patients", &patients()), sheet("Hidden", HIDDEN)]
    );
}

#[test]
fn shared_strings_split_across_continue_records_read_whole() {
    assert!(is_xls(NOTES));
    assert_eq!(sheets(NOTES), [sheet("Notes", &notes())]);
}

#[test]
fn dates_of_a_1904_workbook_count_from_1904() {
    // Its sheet's header and footer, as xlwt writes them, are its text.
    assert_eq!(
        sheets(DATES1904),
        [
            sheet(
                "Visits",
                "mrn,dob\nMR4000001,1956-02-17\nMR4000002,1988-11-30 12:00:00\n"
            ),
            sheet(
                TEXT,
                "&LVisits of Rosa Ortega&R&D\n\
                 &L&\"Arial,Bold\"&12Dr. Kim, ward 4&RPage &P of &N\n"
            )
        ]
    );
    // The same stream with its DATEMODE record saying 1900: four years and a day earlier.
    let mut stream = workbook_stream(DATES1904);
    let at = records(&stream, DATEMODE)[0];
    assert_eq!(stream[at + 4], 1);
    stream[at + 4] = 0;
    assert_eq!(
        sheets(&wrap(stream))[0].1,
        "mrn,dob\nMR4000001,1952-02-16\nMR4000002,1984-11-29 12:00:00\n"
    );
}

#[test]
fn records_of_every_kind_render_in_their_rows_and_columns() {
    let book = labs();
    let bytes = book.file();
    assert!(is_xls(&bytes));
    // The chart sheet is no member; the macro sheet's cells are read.
    assert_eq!(
        sheets(&bytes),
        [sheet("Labs", &labs_csv()), sheet("Macro1", "macro\n")]
    );
}

#[test]
fn a_stream_reads_the_same_in_every_compound_file_layout() {
    for (bytes, name) in [(PATIENTS, "patients"), (NOTES, "notes")] {
        let stream = workbook_stream(bytes);
        let expected = sheets(bytes);
        let word = Node::Stream("WordDocument", vec![7; 5000]);
        let layouts = [
            (
                "512-byte sectors",
                compound(9, 0, &[Node::Stream("Workbook", stream.clone())]),
            ),
            (
                "4,096-byte sectors",
                compound(12, 0, &[Node::Stream("Workbook", stream.clone())]),
            ),
            (
                "a DIFAT chain",
                compound(9, 120, &[Node::Stream("Workbook", stream.clone())]),
            ),
            (
                "siblings and a name in capitals",
                compound(9, 0, &[word, Node::Stream("WORKBOOK", stream.clone())]),
            ),
        ];
        for (layout, file) in layouts {
            assert!(is_xls(&file), "{name}: {layout}");
            assert_eq!(sheets(&file), expected, "{name}: {layout}");
        }
    }
    // A stream under 4,096 bytes is in the mini stream, in either sector size.
    let stream = labs().stream();
    assert!(stream.len() < 4096);
    for shift in [9, 12] {
        let file = compound(shift, 0, &[Node::Stream("Workbook", stream.clone())]);
        assert_eq!(sheets(&file)[0].1, labs_csv(), "{shift}");
    }
}

#[test]
fn only_a_compound_file_with_a_workbook_at_its_root_is_a_workbook() {
    let stream = labs().stream();
    let doc = compound(9, 0, &[Node::Stream("WordDocument", vec![1; 5000])]);
    assert!(!is_xls(&doc));
    assert_eq!(tables(&doc, &mut BIG.clone()), Err(DAMAGED));
    // A Word document with a workbook embedded in it is still a Word document.
    let embedded = compound(
        9,
        0,
        &[
            Node::Stream("WordDocument", vec![1; 5000]),
            Node::Storage("ObjectPool", vec![Node::Stream("Workbook", stream.clone())]),
        ],
    );
    assert!(!is_xls(&embedded));
    // A storage named Workbook is no stream.
    let storage = compound(9, 0, &[Node::Storage("Workbook", Vec::new())]);
    assert!(!is_xls(&storage));
    assert!(!is_xls(b""));
    assert!(!is_xls(&cfb::MAGIC));
    // The magic and then zeros, UTF-16 text after: left to the text-runs reader.
    let mut letter = cfb::MAGIC.to_vec();
    letter.resize(512, 0);
    letter.extend(
        "Referral for Rosa Ortega"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    assert!(!is_xls(&letter));
    assert!(!is_xls(
        b"mrn,name,ssn,dob\nMR4000001,Rosa Ortega,999-01-2345,1956-02-17\n"
    ));
    let mut random = crate::source::damage::noise();
    for _ in 0..200 {
        let mut bytes = cfb::MAGIC.to_vec();
        bytes.extend(random(3000));
        assert!(!is_xls(&bytes));
        assert!(!is_xls(&random(3000)));
    }
}

#[test]
fn encrypted_older_and_damaged_workbooks_are_unreadable_whole() {
    let with_globals = |globals: Vec<Vec<u8>>| {
        Biff {
            globals,
            sheets: vec![("Sheet1", 0, vec![label(0, 0, "x")])],
        }
        .file()
    };
    let damaged = |bytes: &[u8]| tables(bytes, &mut BIG.clone()).err();
    let encrypted = with_globals(vec![rec(FILEPASS, &[0; 54])]);
    assert!(is_xls(&encrypted));
    assert_eq!(damaged(&encrypted), Some(ENCRYPTED));
    let mut older = labs().stream();
    older[4..6].copy_from_slice(&0x0500u16.to_le_bytes());
    assert_eq!(damaged(&wrap(older)), Some(OLDER));
    // Shared strings that say more characters than they hold.
    let mut strings = le(&[1, 1]);
    strings.extend([200, 0, 0]);
    strings.extend(b"ssn");
    assert_eq!(damaged(&with_globals(vec![sst(&[strings])])), Some(DAMAGED));
    // Globals cut short of their EOF; a stream that is no workbook.
    let stream = labs().stream();
    let globals_end = records(&stream, BOF)[1];
    assert_eq!(
        damaged(&wrap(stream[..globals_end - 4].to_vec())),
        Some(DAMAGED)
    );
    assert_eq!(damaged(&wrap(b"not a workbook".to_vec())), Some(DAMAGED));
    assert_eq!(damaged(&wrap(Vec::new())), Some(DAMAGED));
}

#[test]
fn a_damaged_sheet_is_one_unreadable_member_and_the_others_are_read() {
    let book = Biff {
        globals: Vec::new(),
        sheets: vec![
            ("Good", 0, vec![label(0, 0, "ok")]),
            ("Cut", 0, vec![rec(LABELSST, &[0, 0, 0, 0])]),
            ("Short", 0, vec![rec(MULRK, &[0, 0, 0, 0, 0, 0, 0])]),
            ("Last", 0, vec![label(0, 0, "last")]),
        ],
    };
    let names = |tables: &[Table]| -> Vec<(String, Result<String, &str>)> {
        tables
            .iter()
            .map(|(name, csv)| {
                let csv = csv.clone().map(|c| String::from_utf8(c).unwrap());
                (name.clone(), csv)
            })
            .collect()
    };
    let ok = |name: &str, csv: &str| (name.to_owned(), Ok(csv.to_owned()));
    let bad = |name: &str| (name.to_owned(), Err(DAMAGED_SHEET));
    let stream = book.stream();
    assert_eq!(
        names(&read(&wrap(stream.clone()))),
        [
            ok("Good", "ok\n"),
            bad("Cut"),
            bad("Short"),
            ok("Last", "last\n")
        ]
    );
    // The last sheet cut short of its EOF.
    let cut = stream[..stream.len() - 4].to_vec();
    assert_eq!(names(&read(&wrap(cut)))[3], bad("Last"));
    // Two sheets that start at one place (the second is not read again), and a sheet that
    // starts inside the globals.
    let offset = |i: usize| records(&stream, BOUNDSHEET)[i] + 4;
    let mut twice = stream.clone();
    let first: [u8; 4] = stream[offset(0)..offset(0) + 4].try_into().unwrap();
    twice[offset(3)..offset(3) + 4].copy_from_slice(&first);
    twice[offset(1)..offset(1) + 4].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        names(&read(&wrap(twice))),
        [ok("Good", "ok\n"), bad("Cut"), bad("Short"), bad("Last")]
    );
}

#[test]
fn chains_that_loop_or_leave_the_file_are_damaged() {
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let fat = u32_at(PATIENTS, 76);
    let dir = u32_at(PATIENTS, 48);
    let fat_entry = |sector: u32| (fat as usize + 1) * 512 + 4 * sector as usize;
    let dir_at = (dir as usize + 1) * 512;
    let start = u32_at(PATIENTS, dir_at + 128 + 116);
    let second = u32_at(PATIENTS, fat_entry(start));
    assert!(second < 100, "the stream takes more than one sector");
    let set = |at: usize, value: u32| {
        let mut bytes = PATIENTS.to_vec();
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        bytes
    };
    for (what, bytes) in [
        ("a loop", set(fat_entry(second), start)),
        (
            "a sector that links to itself",
            set(fat_entry(second), second),
        ),
        (
            "a sector past the file",
            set(fat_entry(second), 0xffff_fff0),
        ),
        ("a free sector", set(fat_entry(second), FREE)),
        ("an early end", set(fat_entry(start), END)),
        ("a size past the file", set(dir_at + 128 + 120, u32::MAX)),
    ] {
        assert!(is_xls(&bytes), "{what}");
        assert_eq!(tables(&bytes, &mut BIG.clone()), Err(DAMAGED), "{what}");
    }
    for (what, bytes) in [
        ("a directory that loops", set(fat_entry(dir), dir)),
        ("a directory past the file", set(48, 0xffff_fff0)),
        ("more FAT sectors than the file", set(44, u32::MAX)),
        ("a FAT sector past the file", set(76, 0xffff_fff0)),
    ] {
        assert!(!is_xls(&bytes), "{what}");
        assert_eq!(tables(&bytes, &mut BIG.clone()), Err(DAMAGED), "{what}");
    }
    // The mini FAT: a loop, and a sector past the mini stream.
    let small = labs().file();
    let mini_fat = (u32_at(&small, 60) as usize + 1) * 512;
    for value in [0, 0xffff] {
        let mut bytes = small.clone();
        bytes[mini_fat..mini_fat + 4].copy_from_slice(&u32::to_le_bytes(value));
        assert_eq!(tables(&bytes, &mut BIG.clone()), Err(DAMAGED), "{value}");
    }
    // A DIFAT chain that links to itself.
    let stream = workbook_stream(PATIENTS);
    let long = compound(9, 240, &[Node::Stream("Workbook", stream)]);
    assert!(is_xls(&long));
    let difat = u32_at(&long, 68) as usize;
    let mut looped = long.clone();
    let next = (difat + 1) * 512 + 508;
    looped[next..next + 4].copy_from_slice(&u32::try_from(difat).unwrap().to_le_bytes());
    assert!(!is_xls(&looped));
}

#[test]
fn rk_numbers_are_integers_or_doubles_and_hundredths_of_either() {
    let int = |n: i32, hundredths: bool| {
        u32::from_le_bytes((n << 2 | 2 | i32::from(hundredths)).to_le_bytes())
    };
    let double = |x: f64, hundredths: bool| {
        let high = u32::try_from(x.to_bits() >> 32).unwrap();
        high | u32::from(hundredths)
    };
    for (raw, value) in [
        (int(0, false), 0.0),
        (int(536_870_911, false), 536_870_911.0),
        (int(-536_870_912, false), -536_870_912.0),
        (int(-1250, true), -12.5),
        (int(10, true), 0.1),
        (int(123_456_789, true), 1_234_567.89),
        (double(1.5, false), 1.5),
        (double(-2.0, false), -2.0),
        (double(1234.0, true), 12.34),
    ] {
        assert_eq!(rk(raw), value, "{raw:#x}");
    }
}

/// A `TXO` record that says `count` characters and `runs` bytes of formatting runs.
fn txo(count: u16, runs: u16) -> Vec<u8> {
    let mut data = vec![0; 18];
    data[10..12].copy_from_slice(&count.to_le_bytes());
    data[12..14].copy_from_slice(&runs.to_le_bytes());
    rec(TXO, &data)
}

/// Formatting runs (two, 8 bytes each) that would read as characters if they were read.
fn runs() -> Vec<u8> {
    rec(CONTINUE, b"RUNSRUNSRUNSRUNS")
}

/// A comment as Excel writes it: its `TXO`, a `CONTINUE` of a flags byte and the
/// characters, a `CONTINUE` of formatting runs.
fn comment(s: &str) -> Vec<u8> {
    let count = u16::try_from(s.encode_utf16().count()).unwrap();
    [txo(count, 16), rec(CONTINUE, &chars(s)), runs()].concat()
}

/// A made-up SSN in the 999 area, built rather than written out.
fn fake_ssn() -> String {
    format!("{}-{}-{}", 999, "01", 2345)
}

/// A workbook of comments, text boxes, headers and footers, in the globals, a worksheet,
/// a chart embedded in it and a chart sheet.
fn noted() -> Biff {
    let mut split = txo(10, 16);
    split.extend(rec(CONTINUE, &[&[0][..], b"Ada Kim "].concat()));
    split.extend(rec(
        CONTINUE,
        &[1, 0x71, 0x5c, 0x30, 0x75], // 山田, UTF-16
    ));
    split.extend(runs());
    Biff {
        globals: vec![comment("a text box in the globals")],
        sheets: vec![
            (
                "Ward",
                0,
                vec![
                    label(0, 0, "mrn"),
                    comment(&format!(
                        "called patient re SSN {}\nback Monday",
                        fake_ssn()
                    )),
                    label(1, 0, "MR4000001"),
                    comment("山田太郎さん: 折り返し\r\n"),
                    split,
                    // An empty text box: no characters, no CONTINUE.
                    txo(0, 0),
                    rec(HEADER, &xl_string("&CWard 4 – Ada Kim")),
                    // Codes only, and an empty record: no header.
                    rec(FOOTER, &xl_string("&L&P&R&D")),
                    rec(HEADER, &[]),
                    bof(0x20),
                    comment("in an embedded chart"),
                    rec(EOF, &[]),
                    label(2, 0, "MR4000002"),
                ],
            ),
            ("Chart1", 2, vec![comment("on a chart sheet")]),
        ],
    }
}

fn noted_text() -> String {
    format!(
        "a text box in the globals\n\
         called patient re SSN {}\nback Monday\n\
         山田太郎さん: 折り返し\r\n\n\
         Ada Kim 山田\n\
         &CWard 4 – Ada Kim\n\
         in an embedded chart\n\
         on a chart sheet\n",
        fake_ssn()
    )
}

#[test]
fn comments_text_boxes_headers_and_footers_are_the_text_member_after_the_sheets() {
    assert_eq!(
        sheets(&noted().file()),
        [
            sheet("Ward", "mrn\nMR4000001\nMR4000002\n"),
            sheet(TEXT, &noted_text())
        ]
    );
    // A workbook of cells only has no text member.
    assert_eq!(
        sheets(&labs().file()),
        [sheet("Labs", &labs_csv()), sheet("Macro1", "macro\n")]
    );
}

#[test]
fn a_damaged_text_is_left_out_and_the_sheets_are_read() {
    let cut = |records: Vec<Vec<u8>>| Biff {
        globals: Vec::new(),
        sheets: vec![(
            "Ward",
            0,
            [
                vec![label(0, 0, "mrn")],
                records,
                vec![label(1, 0, "MR4000001")],
            ]
            .concat(),
        )],
    };
    let wide_odd = [txo(3, 0), rec(CONTINUE, &[1, b'a', 0, b'b', 0, b'c'])].concat();
    for (what, records) in [
        (
            "more characters than the CONTINUEs hold",
            vec![txo(50, 16), rec(CONTINUE, &chars("short")), runs()],
        ),
        ("no CONTINUE", vec![txo(5, 16)]),
        ("an empty CONTINUE", vec![txo(5, 16), rec(CONTINUE, &[])]),
        ("a TXO cut short", vec![rec(TXO, &[0; 11])]),
        ("UTF-16 cut in a character", vec![wide_odd]),
        ("a header cut short", vec![rec(HEADER, &[5, 0, 0, b'a'])]),
        ("a footer with no flags", vec![rec(FOOTER, &[1, 0])]),
    ] {
        assert_eq!(
            sheets(&cut(records.clone()).file()),
            [sheet("Ward", "mrn\nMR4000001\n")],
            "{what}"
        );
        // The texts around it are read.
        let around = [vec![comment("before")], records, vec![comment("after")]].concat();
        assert_eq!(
            sheets(&cut(around).file())[1],
            sheet(TEXT, "before\nafter\n"),
            "{what}"
        );
    }
    // A sheet cut short after a comment: the sheet is unreadable, its comment is read.
    let mut stream = Biff {
        globals: Vec::new(),
        sheets: vec![(
            "Ward",
            0,
            vec![label(0, 0, "mrn"), comment("before the cut")],
        )],
    }
    .stream();
    stream.truncate(stream.len() - 4);
    let tables = read(&wrap(stream));
    assert_eq!(tables[0], ("Ward".to_owned(), Err(DAMAGED_SHEET)));
    assert_eq!(
        tables[1],
        (TEXT.to_owned(), Ok(b"before the cut\n".to_vec()))
    );
}

#[test]
fn a_header_or_footer_of_codes_only_says_nothing() {
    let says = |s: &str| says_something(&s.encode_utf16().collect::<Vec<_>>());
    for nothing in [
        "",
        "&P",
        "&F",
        "&L&P&R&D",
        "- &P -",
        "&&",
        "&\"Arial,Bold\"&12&P",
        "&K00FF00&P",
        "&K01+033&P",
        "&\"unclosed",
    ] {
        assert!(!says(nothing), "{nothing}");
    }
    for something in [
        "Ward 4",
        "Page &P of &N",
        "&L4",
        "&KFF0000Ada",
        "&12 3",
        "&\"Arial\"Kim",
        "山田",
    ] {
        assert!(says(something), "{something}");
    }
}

#[test]
fn sheets_are_charged_to_the_budget_as_they_render() {
    let total = (patients().len() + HIDDEN.len()) as u64;
    let mut left = total;
    assert!(tables(PATIENTS, &mut left).is_ok());
    assert_eq!(left, 0);
    let mut left = total - 1;
    assert_eq!(tables(PATIENTS, &mut left), Err(OVER_BUDGET));
    // One long shared string in many cells: rendered, and paid for, each time; the budget
    // stops the rendering.
    let mut strings = le(&[1, 1]);
    strings.extend(xl_string(&"x".repeat(1000)));
    let cells = (0..1000).map(|row| labelsst(row, 0, 0)).collect();
    let bytes = Biff {
        globals: vec![sst(&[strings])],
        sheets: vec![("Many", 0, cells)],
    }
    .file();
    assert!(
        bytes.len() < 20_000,
        "one copy in the file: {}",
        bytes.len()
    );
    let text = sheets(&bytes).remove(0).1;
    assert_eq!(text.len(), 1000 * 1001);
    crate::work::take();
    let mut left = text.len() as u64 / 10;
    assert_eq!(tables(&bytes, &mut left), Err(OVER_BUDGET));
    assert!(crate::work::take() < text.len() as u64 / 5);
    // The text member is charged too.
    let noted = noted().file();
    let total = ("mrn\nMR4000001\nMR4000002\n".len() + noted_text().len()) as u64;
    let mut left = total;
    assert!(tables(&noted, &mut left).is_ok());
    assert_eq!(left, 0);
    let mut left = total - 1;
    assert_eq!(tables(&noted, &mut left), Err(OVER_BUDGET));
}

/// A workbook of `n` patients: a shared string, a MULRK of numbers and a comment each.
fn rows(n: u16) -> Vec<u8> {
    let mut strings = le(&[u32::from(n), u32::from(n)]);
    let mut cells = Vec::new();
    for row in 0..n {
        strings.extend(xl_string(&format!("patient {row}")));
        cells.push(labelsst(row, 0, u32::from(row)));
        let mut mulrk = Vec::new();
        mulrk.extend_from_slice(&row.to_le_bytes());
        mulrk.extend_from_slice(&1u16.to_le_bytes());
        for k in 0..6 {
            mulrk.extend_from_slice(&0u16.to_le_bytes());
            let rk = u32::from_le_bytes(((i32::from(row) * 10 + k) << 2 | 2).to_le_bytes());
            mulrk.extend_from_slice(&rk.to_le_bytes());
        }
        mulrk.extend_from_slice(&6u16.to_le_bytes());
        cells.push(rec(MULRK, &mulrk));
        cells.push(comment(&format!("called patient {row} back")));
    }
    Biff {
        globals: vec![sst(&[strings])],
        sheets: vec![("Rows", 0, cells)],
    }
    .file()
}

#[test]
fn work_is_linear_in_rows() {
    let work = |bytes: Vec<u8>| {
        crate::work::take();
        let tables = sheets(&bytes);
        assert_eq!(tables[1].0, TEXT);
        let len = tables.iter().map(|(_, text)| text.len()).sum::<usize>();
        (crate::work::take(), len)
    };
    let ((w1, t1), (w4, t4)) = (work(rows(500)), work(rows(2000)));
    assert!(t4 >= 3 * t1, "{t1} then {t4} bytes");
    assert!(w4 >= w1 * 3 && w4 <= w1 * 9 / 2, "{w1} then {w4}");
}

/// Every prefix of the small workbooks, and each with every byte changed, reads or fails
/// without a panic; the larger one at a stride.
#[test]
fn truncated_and_mutated_workbooks_never_panic() {
    let labs = labs().file();
    let noted = noted().file();
    for bytes in [PATIENTS, DATES1904, labs.as_slice(), noted.as_slice()] {
        crate::source::damage::read_every_damage(bytes, BIG, (is_xls, tables));
    }
    let mut bytes = NOTES.to_vec();
    for end in (0..NOTES.len()).step_by(97) {
        let _ = tables(&NOTES[..end], &mut BIG.clone());
    }
    for at in (0..NOTES.len()).step_by(13) {
        for flip in [0x01, 0x80, 0xff] {
            bytes[at] ^= flip;
            let _ = is_xls(&bytes);
            let _ = tables(&bytes, &mut (1 << 16));
            bytes[at] ^= flip;
        }
    }
}

#[test]
fn a_workbook_inside_an_archive_is_read_under_its_name() {
    let outer = zip_of(
        &[("exports/book.xls", PATIENTS)],
        zip::CompressionMethod::Deflated,
    );
    let members = members("out.zip", &outer, 1 << 20).unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["exports/book.xls!Patients", "exports/book.xls!Hidden"]
    );
    assert_eq!(members[0].bytes.as_deref(), Ok(patients().as_bytes()));
}
