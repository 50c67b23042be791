use super::{CARVE_STEPS, Columns, DAMAGED, DAMAGED_TABLE, DELETED, Table, is_sqlite, tables};
use crate::source::archive::OVER_BUDGET;

// Written by the real SQLite: `python3 tests/fixtures/sqlite/make.py tests/fixtures/sqlite`.
const PATIENTS: &[u8] = include_bytes!("../../../tests/fixtures/sqlite/patients.db");
const UTF16: &[u8] = include_bytes!("../../../tests/fixtures/sqlite/utf16.db");
const WITHOUT_ROWID: &[u8] = include_bytes!("../../../tests/fixtures/sqlite/without_rowid.db");
/// Two tables of four columns (`patients`: id, mrn, name, ssn; `visits`: id, patient,
/// reason, room), 100 rows each, all deleted with `secure_delete` off.
const TWO_TABLES: &[u8] = include_bytes!("../../../tests/fixtures/sqlite/two_tables.db");
/// `PATIENTS` after `DELETE FROM patients` with `secure_delete` off.
const DELETED_ROWS: &[u8] = include_bytes!("../../../tests/fixtures/sqlite/deleted.db");

const BIG: u64 = 1 << 30;

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

fn text(table: &Table) -> String {
    String::from_utf8(table.1.clone().expect("readable table")).expect("utf-8")
}

#[test]
fn every_row_of_a_rowid_table_under_its_header_in_rowid_order() {
    assert!(is_sqlite(PATIENTS));
    let tables = read(PATIENTS);
    let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    // The index and the view are no members: an index copies its table's values. No rows
    // are recovered: the database was written with `secure_delete` on.
    assert_eq!(names, ["patients", "visit log"]);
    let patients = text(&tables[0]);
    let lines: Vec<&str> = patients.lines().collect();
    assert_eq!(lines[0], "id,mrn,first_name,last_name,dob,ssn,notes");
    assert_eq!(lines.len(), 301, "a header and 300 rows");
    // The rowid alias column shows the rowid (its records hold NULL).
    assert_eq!(
        lines[1],
        r#"1,MR6842486,Liam,Haddad,1979-12-08,171-44-6210,"follow-up, ""#
    );
    for (k, line) in lines[1..].iter().enumerate() {
        assert!(line.starts_with(&format!("{},MR", k + 1)), "{line}");
    }
    // Row 10's note (880 bytes) overflows a 512-byte page: read through its chain, whole.
    let note = format!("\"{}\"", "follow-up, ".repeat(80));
    assert!(
        lines[10].starts_with("10,") && lines[10].ends_with(&note),
        "{}",
        lines[10]
    );
}

#[test]
fn names_and_values_with_commas_and_quotes_are_quoted_as_csv_and_short_rows_padded() {
    let tables = read(PATIENTS);
    assert_eq!(
        text(&tables[1]),
        "at,\"patient, id\",reason,room\n\
         2024-01-02,7,\"annual \"\"wellness\"\" visit\",\n\
         2024-01-03,9,checkup,B12\n"
    );
}

#[test]
fn a_utf16_database_reads_as_utf8() {
    let tables = read(UTF16);
    let members = text(&tables[0]);
    let lines: Vec<&str> = members.lines().collect();
    assert_eq!(lines[0], "member_id,name,ssn");
    assert_eq!(lines.len(), 41);
    assert!(
        lines[1].starts_with("MR") && lines[1].contains(' '),
        "{}",
        lines[1]
    );
}

#[test]
fn a_without_rowid_table_reads_its_key_first_from_every_level_of_its_tree() {
    let tables = read(WITHOUT_ROWID);
    let enrollees = text(&tables[0]);
    let lines: Vec<&str> = enrollees.lines().collect();
    // The records hold the key first; the header follows them.
    assert_eq!(lines[0], "mrn,ssn,name");
    // 200 rows, interior cells' rows among them, in key order.
    assert_eq!(lines.len(), 201);
    let keys: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
}

#[test]
fn what_the_tables_render_to_is_charged_to_the_budget() {
    let mut left = BIG;
    let tables = tables(PATIENTS, &mut left).unwrap();
    let rendered: usize = tables.iter().map(|t| t.1.as_ref().unwrap().len()).sum();
    assert_eq!(BIG - left, rendered as u64);
    assert_eq!(tables_within(PATIENTS, 1_000), Err(OVER_BUDGET));
}

fn tables_within(bytes: &[u8], budget: u64) -> Result<Vec<Table>, &'static str> {
    tables(bytes, &mut budget.clone())
}

fn page_size(bytes: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([bytes[16], bytes[17]]))
}

/// The root page of the table named `name`, from SQLite's schema.
fn root_of(bytes: &[u8], name: &str) -> u32 {
    let needle = format!("table{name}{name}");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("schema row");
    u32::from(bytes[at + needle.len()])
}

#[test]
fn a_page_reached_twice_is_damage_not_a_loop() {
    // Point the root's rightmost child back at the root: a cycle.
    let mut bytes = PATIENTS.to_vec();
    let root = root_of(&bytes, "patients") as usize;
    let page = (root - 1) * page_size(&bytes);
    assert_eq!(bytes[page], 5, "the root is an interior table page");
    bytes[page + 8..page + 12].copy_from_slice(&(root as u32).to_be_bytes());
    let tables = read(&bytes);
    assert_eq!(tables[0].1, Err(DAMAGED_TABLE));
    // The other table is still read.
    assert!(tables[1].1.is_ok());
}

#[test]
fn damage_anywhere_is_an_error_never_a_panic() {
    for bytes in [PATIENTS, UTF16, WITHOUT_ROWID, DELETED_ROWS] {
        // Every third byte of the first pages set to values that break lengths and
        // pointers.
        for at in (0..bytes.len().min(1536)).step_by(3) {
            for value in [0x00, 0xff] {
                let mut damaged = bytes.to_vec();
                damaged[at] = value;
                let _ = tables(&damaged, &mut (1 << 20));
            }
        }
        // Every cut.
        for len in (0..bytes.len()).step_by(61) {
            let _ = tables(&bytes[..len], &mut (1 << 20));
        }
    }
}

#[test]
fn a_damaged_header_or_schema_is_the_whole_database() {
    let mut bytes = PATIENTS.to_vec();
    bytes[16..18].copy_from_slice(&1000u16.to_be_bytes());
    assert_eq!(tables_within(&bytes, BIG), Err(DAMAGED));
    let mut bytes = PATIENTS.to_vec();
    bytes[100] = 0x42; // the schema page's type
    assert_eq!(tables_within(&bytes, BIG), Err(DAMAGED));
}

#[test]
fn columns_from_create_table_statements() {
    let c = Columns::parse("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    assert_eq!(
        (c.names, c.rowid_alias),
        (vec!["id".into(), "name".into()], Some(0))
    );
    let c = Columns::parse("CREATE TABLE [a(b] ([x y] int, `z` TEXT, PRIMARY KEY(\"z\"))");
    assert_eq!(
        (c.names, c.rowid_alias),
        (vec!["x y".into(), "z".into()], None)
    );
    let c = Columns::parse("CREATE TABLE t (a INTEGER, b TEXT, PRIMARY KEY (a))");
    assert_eq!(c.rowid_alias, Some(0));
    let c = Columns::parse("CREATE TABLE t (a INT PRIMARY KEY, b TEXT)");
    assert_eq!(c.rowid_alias, None, "only INTEGER makes a rowid alias");
    let c =
        Columns::parse("CREATE TABLE t (a TEXT, b TEXT, c INT, PRIMARY KEY (c, a)) WITHOUT ROWID");
    assert_eq!((c.order, c.rowid_alias), (vec![2, 0, 1], None));
    let c = Columns::parse("CREATE TABLE t (a CHECK (a > 0), b DEFAULT ('x,y'))");
    assert_eq!(c.names, ["a", "b"]);
    assert_eq!(
        Columns::parse("CREATE TABLE broken (a, b"),
        Columns::default()
    );
}

#[test]
fn rows_deleted_but_still_in_the_file_read_as_they_were_live() {
    let live = text(&read(PATIENTS)[0]);
    let live: std::collections::HashSet<&str> = live.lines().collect();
    let tables = read(DELETED_ROWS);
    let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(names, ["patients", "visit log", "patients (deleted rows)"]);
    assert_eq!(tables[0].1, Ok(Vec::new()));
    assert!(tables[2].0.ends_with(DELETED));
    let deleted = text(&tables[2]);
    let lines: Vec<&str> = deleted.lines().collect();
    // Under the header of the table they fit; the free list's leaves read by their cells
    // and overflow chains, each row as it was when live, its rowid included. The first
    // leaf became the free list's trunk page, which overwrote its rows; the index's free
    // pages are left out (copies of values).
    assert_eq!(lines[0], "id,mrn,first_name,last_name,dob,ssn,notes");
    assert_eq!(lines.len(), 1 + 292, "{deleted}");
    for line in &lines {
        assert!(live.contains(line), "{line}");
    }
    let row_10 = live.iter().find(|l| l.starts_with("10,")).unwrap();
    assert!(lines.contains(row_10), "an overflowing row, whole");
}

#[test]
fn carving_reads_a_bounded_number_of_serial_types_per_byte() {
    // Free pages of `!`: every offset starts a header of 33 bytes whose serial types are
    // all valid (ten-byte texts), so the carver reads serial types until the count passes
    // the widest table's columns (eight, with an index's rowid), then moves one byte on.
    let steps = |pages: usize| {
        let mut bytes = PATIENTS.to_vec();
        bytes.extend(std::iter::repeat_n(b'!', pages * page_size(PATIENTS)));
        CARVE_STEPS.with(|c| c.set(0));
        let tables = read(&bytes);
        assert_eq!(tables.len(), 2, "nothing plausible");
        CARVE_STEPS.with(std::cell::Cell::get)
    };
    let (one, four) = (steps(16), steps(64));
    let bytes = (16 * page_size(PATIENTS)) as u64;
    assert!(one >= bytes, "every offset tried: {one}");
    assert!(one <= 9 * bytes, "{one} steps for {bytes} bytes");
    assert!(four <= 4 * one + 1024, "{one} then {four}: not linear");
}

#[test]
fn deleted_rows_go_to_the_one_table_whose_types_can_hold_them() {
    let tables = read(TWO_TABLES);
    let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    // (Carving also found a record or two in a free list trunk page, whose header
    // survived shifted: they fit no table and stand under no header.)
    assert_eq!(
        names[..4],
        [
            "patients",
            "visits",
            "patients (deleted rows)",
            "visits (deleted rows)"
        ]
    );
    let patients = text(&tables[2]);
    let visits = text(&tables[3]);
    assert!(patients.starts_with("id,mrn,name,ssn\n"), "{patients}");
    assert!(visits.starts_with("id,patient,reason,room\n"), "{visits}");
    // Both have four columns; only `visits` holds an integer in the second.
    assert!(
        patients
            .lines()
            .skip(1)
            .all(|l| l.split(',').nth(1).unwrap().starts_with("MR"))
    );
    assert!(
        visits
            .lines()
            .skip(1)
            .all(|l| l.contains("follow-up visit"))
    );
    assert!(patients.lines().count() > 50 && visits.lines().count() > 50);
}
