use super::{MAX_COLUMNS, column_of, date, is_date_format};
use crate::source::archive::tests::zip_of;
use crate::source::archive::{Member, OVER_BUDGET, members};

/// A workbook as Excel writes one: shared strings (one with rich-text runs and a phonetic
/// run), a built-in date style and a custom one, a boolean, an inline string, an escaped
/// ampersand, a skipped column, a cell with no reference, and a short row (padded to the
/// header's width).
fn excel_parts() -> Vec<(&'static str, String)> {
    let workbook = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr/><sheets><sheet name="R&amp;D list" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let strings = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5"><si><t>ssn</t></si><si><t>name</t></si><si><r><t>Maria </t></r><r><rPr><b/></rPr><t>Ortega</t></r><rPh sb="0" eb="1"><t>マリア</t></rPh></si><si><t xml:space="preserve">dob</t></si><si><t>Smith &amp; Sons, "Ltd"</t></si></sst>"#;
    let styles = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="[$-409]d\-mmm\-yy;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="2"/></cellXfs></styleSheet>"#;
    let sheet = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>1</v></c><c r="C1" t="s"><v>0</v></c><c r="D1" t="s"><v>3</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>536904399</v></c><c r="D2" s="1"><v>22383</v></c><c r="E2" s="2"><v>12149.5</v></c><c r="F2" t="b"><v>1</v></c><c r="G2" s="3"><v>12.5</v></c></row><row><c t="inlineStr"><is><t>inline</t></is></c><c t="s"><v>4</v></c></row></sheetData></worksheet>"#;
    vec![
        ("xl/workbook.xml", workbook.to_owned()),
        ("xl/_rels/workbook.xml.rels", rels.to_owned()),
        ("xl/sharedStrings.xml", strings.to_owned()),
        ("xl/styles.xml", styles.to_owned()),
        ("xl/worksheets/sheet1.xml", sheet.to_owned()),
        ("docProps/core.xml", "<coreProperties/>".to_owned()),
    ]
}

/// A zip of `parts`, in their order, deflated.
fn zip(parts: &[(&str, String)]) -> Vec<u8> {
    let entries: Vec<(&str, &[u8])> = parts.iter().map(|(n, x)| (*n, x.as_bytes())).collect();
    zip_of(&entries, zip::CompressionMethod::Deflated)
}

fn read(parts: &[(&str, String)], budget: u64) -> Result<Vec<Member>, &'static str> {
    members("book.xlsx", &zip(parts), budget)
}

fn names(members: &[Member]) -> Vec<&str> {
    members.iter().map(|m| m.name.as_str()).collect()
}

fn text(m: &Member) -> &str {
    std::str::from_utf8(m.bytes.as_ref().unwrap()).unwrap()
}

#[test]
fn a_sheet_reads_as_csv_with_its_strings_in_place_and_its_dates_as_dates() {
    let members = read(&excel_parts(), 1 << 20).unwrap();
    // The sheet in its part's place, by its name; the shared strings not a member, every
    // sheet having read them.
    assert_eq!(
        names(&members),
        [
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "R&D list",
            "docProps/core.xml"
        ]
    );
    assert_eq!(
        text(&members[3]),
        "name,,ssn,dob\n\
         Maria Ortega,,536904399,1961-04-12,1933-04-05 12:00:00,TRUE,12.5\n\
         inline,\"Smith & Sons, \"\"Ltd\"\"\",,\n"
    );
}

#[test]
fn a_workbook_inside_an_archive_is_read_under_its_name() {
    let book = zip(&excel_parts());
    let outer = zip_of(
        &[("exports/book.xlsx", &book)],
        zip::CompressionMethod::Stored,
    );
    let members = members("out.zip", &outer, 1 << 20).unwrap();
    assert!(
        names(&members).contains(&"exports/book.xlsx!R&D list"),
        "{:?}",
        names(&members)
    );
}

#[test]
fn a_workbook_whose_parts_do_not_parse_is_read_as_its_parts() {
    for (part, broken) in [
        ("xl/sharedStrings.xml", "<sst><si><t>ssn</si>"),
        (
            "xl/workbook.xml",
            "<workbook><sheets><sheet name=\"a\" r:id=\"rId1\"></workbook>",
        ),
    ] {
        let mut parts = excel_parts();
        parts.iter_mut().find(|p| p.0 == part).unwrap().1 = broken.to_owned();
        let members = read(&parts, 1 << 20).unwrap();
        let expected: Vec<&str> = parts.iter().map(|p| p.0).collect();
        assert_eq!(names(&members), expected, "{part}");
    }
    // A sheet that does not parse, or that is cut short (its last row would be lost), is
    // read as its XML, and so are the shared strings it needs.
    for sheet in [
        "<worksheet><sheetData><row></worksheet>",
        "<worksheet><sheetData><row><c><v>536904399</v></c>",
    ] {
        let mut parts = excel_parts();
        parts[4].1 = sheet.to_owned();
        let members = read(&parts, 1 << 20).unwrap();
        let part = members
            .iter()
            .find(|m| m.name == "xl/worksheets/sheet1.xml");
        assert_eq!(text(part.unwrap()), sheet);
        let strings = members.iter().find(|m| m.name == "xl/sharedStrings.xml");
        assert_eq!(text(strings.unwrap()), excel_parts()[2].1);
    }
}

#[test]
fn a_workbook_written_by_openpyxl_reads_as_its_rows() {
    let bytes = include_bytes!("../../../tests/fixtures/xlsx/openpyxl.xlsx");
    let members = members("openpyxl.xlsx", bytes, 1 << 20).unwrap();
    let patients = members.iter().find(|m| m.name == "Patients").unwrap();
    assert_eq!(
        text(patients),
        "mrn,name,dob,ssn,phone\n\
         3034155,Maria Ortega,1961-04-12,536904399,(559) 682-4820\n\
         MR8073629,Liam Nguyen,1933-04-05 08:30:00,772-10-4567,\n"
    );
    let notes = members.iter().find(|m| m.name == "Notes").unwrap();
    assert_eq!(text(notes), ",,\"seen, then discharged\"\n");
    assert!(!members.iter().any(|m| m.name.starts_with("xl/worksheets/")));
}

#[test]
fn a_sheet_is_charged_for_its_rows_not_its_markup() {
    // One cell in the last column: a few bytes of XML, 16 KiB of commas.
    let mut parts = excel_parts();
    parts[4].1 =
        r#"<worksheet><sheetData><row><c r="XFD1"><v>1</v></c></row></sheetData></worksheet>"#
            .to_owned();
    assert_eq!(read(&parts, 8192).map(|_| ()), Err(OVER_BUDGET));
    let members = read(&parts, 1 << 20).unwrap();
    assert_eq!(text(&members[3]).len(), MAX_COLUMNS + 1);
    // A sheet of markup: 260,000 bytes of XML that render to 20,000 bytes of rows, read
    // within a budget smaller than the XML.
    let rows: String = (0..10_000)
        .map(|_| r#"<row><c><v>1</v></c></row>"#)
        .collect();
    parts[4].1 = format!("<worksheet><sheetData>{rows}</sheetData></worksheet>");
    let members = read(&parts, 48 * 1024).unwrap();
    assert_eq!(text(&members[3]).len(), 20_000);
    // Past the budget's multiple, markup is over the budget all the same.
    assert_eq!(read(&parts, 4096).map(|_| ()), Err(OVER_BUDGET));
}

#[test]
fn serial_dates_in_both_date_systems() {
    assert_eq!(date(1.0, false).unwrap(), "1900-01-01");
    // Excel's 29 February 1900, which never was, and the days around it.
    assert_eq!(date(59.0, false).unwrap(), "1900-02-28");
    assert_eq!(date(60.0, false).unwrap(), "1900-02-29");
    assert_eq!(date(61.0, false).unwrap(), "1900-03-01");
    assert_eq!(date(22383.0, false).unwrap(), "1961-04-12");
    assert_eq!(date(45658.75, false).unwrap(), "2025-01-01 18:00:00");
    assert_eq!(date(0.0, true).unwrap(), "1904-01-01");
    assert_eq!(date(20921.0, true).unwrap(), "1961-04-12");
    assert_eq!(date(-1.0, false), None);
    assert_eq!(date(f64::NAN, false), None);
}

#[test]
fn number_formats_that_show_dates() {
    for code in [
        "yyyy-mm-dd",
        "d-mmm-yy",
        "[$-409]d\\-mmm\\-yy;@",
        "m/d/yyyy h:mm",
        "DD/MM/YYYY",
    ] {
        assert!(is_date_format(code), "{code}");
    }
    for code in [
        "0.00", "#,##0", "h:mm:ss", "[h]:mm", "\"day\"0", "0\\d", "[Red]0.0", "@",
    ] {
        assert!(!is_date_format(code), "{code}");
    }
}

#[test]
fn column_references() {
    assert_eq!(column_of("A1"), Some(0));
    assert_eq!(column_of("Z9"), Some(25));
    assert_eq!(column_of("AA1"), Some(26));
    assert_eq!(column_of("xfd1048576"), Some(16_383));
    assert_eq!(column_of("ZZZZZZZZZZZZZZZZZZZZ1"), Some(MAX_COLUMNS));
    assert_eq!(column_of("12"), None);
}

#[test]
fn a_part_named_by_two_sheets_is_read_once() {
    let mut parts = excel_parts();
    parts[0].1 = parts[0].1.replace(
        "</sheets>",
        r#"<sheet name="again" sheetId="2" r:id="rId1"/></sheets>"#,
    );
    let members = read(&parts, 1 << 20).unwrap();
    assert!(names(&members).contains(&"R&D list"));
    assert!(!names(&members).contains(&"again"));
}

#[test]
fn damaged_parts_never_panic() {
    // Every byte of every part set, in turn, to bytes that break markup, names, numbers
    // and references.
    let parts = excel_parts();
    for p in 0..parts.len() {
        for at in (0..parts[p].1.len()).step_by(3) {
            for b in [b'<', b'"', b'&', b'9', 0xff] {
                let mut damaged = parts.clone();
                let mut bytes = damaged[p].1.clone().into_bytes();
                bytes[at] = b;
                damaged[p].1 = String::from_utf8_lossy(&bytes).into_owned();
                let _ = read(&damaged, 1 << 20);
            }
        }
    }
}
