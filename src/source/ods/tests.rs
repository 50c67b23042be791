use super::{MAX_COLUMNS, table_name, unique};
use crate::source::archive::tests::zip_of;
use crate::source::archive::{Member, OVER_BUDGET, members};

const SPREADSHEET: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// `content.xml` holding `body` (tables) in a spreadsheet's namespaces.
fn content(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
    )
}

/// A zip as LibreOffice writes one: `mimetype` first, then the content and the styles.
fn ods(mimetype: &str, content: &str) -> Vec<u8> {
    zip_of(
        &[
            ("mimetype", mimetype.as_bytes()),
            ("content.xml", content.as_bytes()),
            ("styles.xml", b"<office:document-styles/>"),
        ],
        zip::CompressionMethod::Deflated,
    )
}

fn read(body: &str, budget: u64) -> Result<Vec<Member>, &'static str> {
    members("p.ods", &ods(SPREADSHEET, &content(body)), budget)
}

fn names(members: &[Member]) -> Vec<&str> {
    members.iter().map(|m| m.name.as_str()).collect()
}

fn text<'m>(members: &'m [Member], name: &str) -> &'m str {
    let m = members.iter().find(|m| m.name == name).unwrap();
    std::str::from_utf8(m.bytes.as_ref().unwrap()).unwrap()
}

fn cell(text: &str) -> String {
    format!("<table:table-cell><text:p>{text}</text:p></table:table-cell>")
}

fn row(cells: &[&str]) -> String {
    let cells: String = cells.iter().map(|c| cell(c)).collect();
    format!("<table:table-row>{cells}</table:table-row>")
}

fn table(name: &str, rows: &str) -> String {
    format!(r#"<table:table table:name="{name}">{rows}</table:table>"#)
}

#[test]
fn pandas_writes_a_table_per_sheet_rendered_as_csv() {
    let bytes = include_bytes!("../../../tests/fixtures/ods/patients.ods");
    let got = members("p.ods", bytes, 1 << 20).unwrap();
    assert_eq!(
        names(&got),
        [
            "mimetype",
            "styles.xml",
            "Patients",
            "Visits",
            "meta.xml",
            "META-INF/manifest.xml"
        ]
    );
    // Numbers and dates as stored (the style showed `02/17/56`).
    let patients = [
        "mrn,name,ssn,ssn_num,dob",
        "MR4000001,Rosa Ortega,536-90-4399,536904399,1956-02-17",
        "MR4000002,José Núñez,219-45-0011,219450011,1988-11-30",
        "MR4000003,\"Ada \"\"Al\"\" Kim, Jr\",418-27-3306,418273306,1999-12-31",
    ];
    assert_eq!(text(&got, "Patients"), patients.join("\n") + "\n");
    let visits = [
        "mrn,seen,note",
        "MR4000001,2025-03-04,\"follow-up, in 2 weeks\"",
        "MR4000003,2025-05-06,none",
    ];
    assert_eq!(text(&got, "Visits"), visits.join("\n") + "\n");
}

#[test]
fn an_ssn_typed_as_a_number_is_beside_its_header() {
    let ssn = format!("{}{}", 999, 123_456);
    let number = format!(
        r#"<table:table-cell office:value-type="float" office:value="{ssn}" calcext:value-type="float"><text:p>{ssn}</text:p></table:table-cell>"#
    );
    let body = table(
        "P",
        &format!(
            "{}<table:table-row>{}{number}</table:table-row>",
            row(&["name", "ssn"]),
            cell("Ann")
        ),
    );
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(text(&got, "P"), format!("name,ssn\nAnn,{ssn}\n"));
}

#[test]
fn values_without_text_are_read_from_their_attributes() {
    let body = table(
        "T",
        r#"<table:table-row><table:table-cell office:value-type="float" office:value="12.5"/><table:table-cell office:value-type="date" office:date-value="2001-02-03T04:05:06"/><table:table-cell office:value-type="boolean" office:boolean-value="true"/><table:table-cell office:value-type="string" office:string-value="s"/><table:table-cell office:value-type="boolean" office:boolean-value="false"><text:p>FALSE</text:p></table:table-cell></table:table-row>"#,
    );
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(text(&got, "T"), "12.5,2001-02-03T04:05:06,true,s,FALSE\n");
}

#[test]
fn a_cell_is_its_paragraphs_as_shown() {
    let body = table(
        "T",
        r#"<table:table-row><table:table-cell><text:p>a<text:s text:c="3"/>b<text:s/>c</text:p><text:p>x<text:tab/>y<text:line-break/>z</text:p><text:p><text:span text:style-name="T1">sp</text:span>an <text:a xlink:href="http://e">link</text:a> &amp; &#65;</text:p></table:table-cell></table:table-row>"#,
    );
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(text(&got, "T"), "\"a   b c\nx\ty\nz\nspan link & A\"\n");
}

#[test]
fn repeated_cells_and_rows_are_rendered_only_while_they_hold_something() {
    let body = table(
        "T",
        &format!(
            "{}{}{}{}{}",
            row(&["a", "b", "c"]),
            r#"<table:table-row><table:table-cell table:number-columns-repeated="2"><text:p>x</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1048573"/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>y</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16381"/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="1048571"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        ),
    );
    crate::work::take();
    let got = read(&body, 1 << 20).unwrap();
    assert!(crate::work::take() < 100_000);
    assert_eq!(text(&got, "T"), "a,b,c\nx,x,\n,,\n,,\n,,y\n,,y\n");
}

#[test]
fn columns_past_the_last_are_not_placed() {
    let body = table(
        "T",
        &format!(
            "{}{}",
            r#"<table:table-row><table:table-cell table:number-columns-repeated="10000000"><text:p>v</text:p></table:table-cell></table:table-row>"#,
            r#"<table:table-row><table:table-cell table:number-columns-repeated="20000"/><table:table-cell><text:p>gone</text:p></table:table-cell></table:table-row>"#,
        ),
    );
    let got = read(&body, 1 << 20).unwrap();
    let csv = text(&got, "T");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0].split(',').count(), MAX_COLUMNS);
    assert!(lines[0].split(',').all(|f| f == "v"));
    // A row with nothing before the last column is an empty row (a trailing one: dropped).
    assert_eq!(lines.len(), 1);
}

#[test]
fn a_row_repeated_ten_million_times_stops_at_the_budget() {
    let body = table(
        "T",
        r#"<table:table-row table:number-rows-repeated="10000000"><table:table-cell><text:p>v</text:p></table:table-cell></table:table-row>"#,
    );
    crate::work::take();
    assert_eq!(read(&body, 1 << 20), Err(OVER_BUDGET));
    // Stopped where the budget ran out, not after ten million rows.
    assert!(crate::work::take() < 4 << 20);
    // Within the budget, every copy is there.
    let body = table(
        "T",
        r#"<table:table-row table:number-rows-repeated="1000"><table:table-cell><text:p>v</text:p></table:table-cell></table:table-row>"#,
    );
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(text(&got, "T"), "v\n".repeat(1000));
}

#[test]
fn a_huge_space_run_is_over_the_budget_before_it_is_held() {
    let body = table(
        "T",
        r#"<table:table-row><table:table-cell><text:p>a<text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row>"#,
    );
    assert_eq!(read(&body, 1 << 20), Err(OVER_BUDGET));
}

#[test]
fn rendering_is_charged_beyond_the_xml_it_replaces() {
    // 300 rows of 1,000 `v` fields: 600 KB of CSV from a few hundred bytes of XML.
    let body = table(
        "T",
        r#"<table:table-row table:number-rows-repeated="300"><table:table-cell table:number-columns-repeated="1000"><text:p>v</text:p></table:table-cell></table:table-row>"#,
    );
    assert_eq!(read(&body, 500_000), Err(OVER_BUDGET));
    let got = read(&body, 700_000).unwrap();
    assert_eq!(text(&got, "T").len(), 600_000);
}

#[test]
fn short_rows_are_padded_to_the_first_rows_width() {
    let body = table(
        "T",
        &format!(
            "{}{}{}",
            r#"<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>"#,
            row(&["mrn", "name", "ssn"]),
            row(&["1"]),
        ),
    );
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(text(&got, "T"), "\n\nmrn,name,ssn\n1,,\n");
}

#[test]
fn covered_cells_keep_columns_and_comments_are_a_member_of_their_own() {
    let body = table(
        "T",
        &format!(
            "{}{}",
            row(&["a", "b", "c"]),
            r#"<table:table-row><table:table-cell table:number-columns-spanned="2"><office:annotation><dc:creator>Dr A</dc:creator><dc:date>2026-01-01T00:00:00</dc:date><text:p>called, see chart</text:p><text:p>line two</text:p></office:annotation><text:p>merged</text:p></table:table-cell><table:covered-table-cell/><table:table-cell><text:p>z</text:p></table:table-cell></table:table-row>"#,
        ),
    ) + &table(
        "U",
        r#"<table:table-row><table:table-cell><office:annotation><text:p>second</text:p></office:annotation></table:table-cell></table:table-row>"#,
    );
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(names(&got), ["mimetype", "T", "(comments)", "styles.xml"]);
    assert_eq!(text(&got, "T"), "a,b,c\nmerged,,z\n");
    assert_eq!(
        text(&got, "(comments)"),
        "\"called, see chart\"\nline two\nsecond\n"
    );
}

#[test]
fn table_names_are_member_names_of_their_own() {
    let body = table("a!b/c", &row(&["1"]))
        + &table("a!b/c", &row(&["2"]))
        + &table("", &row(&["3"]))
        + &table("mimetype", &row(&["4"]))
        + &table("Empty", "");
    let got = read(&body, 1 << 20).unwrap();
    assert_eq!(
        names(&got),
        [
            "mimetype",
            "a_b_c",
            "a_b_c-2",
            "Sheet 3",
            "mimetype-2",
            "styles.xml"
        ]
    );
    assert_eq!(text(&got, "mimetype-2"), "4\n");
    assert_eq!(table_name("x\u{1}y\\z", 1), "x_y_z");
    assert_eq!(unique("a", &["a".into(), "a-2".into()]), "a-3");
}

#[test]
fn a_damaged_content_is_read_as_its_xml() {
    for damaged in [
        content(&table("T", &row(&["a"]))).replace("</office:body>", ""),
        content("<table:table table:name=\"T\"><table:table-row></table:table>"),
    ] {
        let got = members("p.ods", &ods(SPREADSHEET, &damaged), 1 << 20).unwrap();
        assert_eq!(text(&got, "content.xml"), damaged);
    }
}

#[test]
fn only_a_spreadsheet_is_rendered() {
    let body = content(&table("T", &row(&["a"])));
    for mimetype in [
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet-flat",
    ] {
        let got = members("p.odt", &ods(mimetype, &body), 1 << 20).unwrap();
        assert_eq!(text(&got, "content.xml"), body);
    }
    let template = "application/vnd.oasis.opendocument.spreadsheet-template\n";
    let got = members("p.ots", &ods(template, &body), 1 << 20).unwrap();
    assert_eq!(text(&got, "T"), "a\n");
    // Nor without a mimetype.
    let zip = zip_of(
        &[("content.xml", body.as_bytes())],
        zip::CompressionMethod::Stored,
    );
    let got = members("p.zip", &zip, 1 << 20).unwrap();
    assert_eq!(names(&got), ["content.xml"]);
}

#[test]
fn a_spreadsheet_inside_an_archive_is_rendered_under_its_name() {
    let inner = ods(SPREADSHEET, &content(&table("T", &row(&["a"]))));
    let outer = zip_of(&[("x/p.ods", &inner)], zip::CompressionMethod::Stored);
    let got = members("o.zip", &outer, 1 << 20).unwrap();
    assert_eq!(
        names(&got),
        ["x/p.ods!mimetype", "x/p.ods!T", "x/p.ods!styles.xml"]
    );
}

#[test]
fn reading_is_linear_in_the_rows() {
    let steps = |n: usize| {
        let ssn = format!("{}-{}-{}", 999, 12, 3456);
        let rows: String = (0..n).map(|i| row(&[&i.to_string(), &ssn])).collect();
        let zip = ods(SPREADSHEET, &content(&table("T", &rows)));
        crate::work::take();
        members("p.ods", &zip, 1 << 26).unwrap();
        crate::work::take()
    };
    let (one, four) = (steps(2_000), steps(8_000));
    assert!(four <= one * 5, "1x {one} steps, 4x {four}");
}
