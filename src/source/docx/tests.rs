use super::{is_slide_text_part, is_word_text_part, render, text_of};
use crate::source::archive::Member;

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn document(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}</w:body></w:document>"#
    )
}

fn text(xml: &str) -> String {
    String::from_utf8(text_of(xml.as_bytes()).expect("parses")).unwrap()
}

#[test]
fn a_value_split_across_runs_or_typed_with_non_breaking_hyphens_is_one_value() {
    let body = r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t xml:space="preserve">SSN: </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>536-</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>90-4399</w:t></w:r></w:p><w:p><w:r><w:t>772</w:t><w:noBreakHyphen/><w:t>10</w:t><w:noBreakHyphen/><w:t>4567</w:t><w:tab/><w:t>Smith &amp; Sons</w:t></w:r></w:p><w:p/>"#;
    assert_eq!(
        text(&document(body)),
        "SSN: 536-90-4399\n772-10-4567\tSmith & Sons\n\n"
    );
}

#[test]
fn a_table_reads_as_csv_rows_under_its_header_row() {
    let cell = |t: &str| format!("<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>");
    let row = |cells: &[&str]| {
        format!(
            "<w:tr>{}</w:tr>",
            cells.iter().map(|c| cell(c)).collect::<String>()
        )
    };
    // A cell of two paragraphs, and a table nested in a cell: text of that cell.
    let nested = "<w:tc><w:p><w:r><w:t>Ortega,</w:t></w:r></w:p><w:p><w:r><w:t>Maria</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>inner</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc>";
    let body = format!(
        "<w:p><w:r><w:t>Patients</w:t></w:r></w:p><w:tbl>{}<w:tr>{}{nested}{}</w:tr></w:tbl><w:p><w:r><w:t>end</w:t></w:r></w:p>",
        row(&["mrn", "name", "ssn"]),
        cell("H4471923"),
        cell("536904399"),
    );
    assert_eq!(
        text(&document(&body)),
        "Patients\nmrn,name,ssn\nH4471923,\"Ortega, Maria inner\",536904399\nend\n"
    );
}

#[test]
fn text_deleted_with_track_changes_is_still_read() {
    let body = r#"<w:p><w:r><w:t>Patient </w:t></w:r><w:del w:id="1" w:author="A"><w:r><w:delText>Maria Ortega, SSN 536-90-4399</w:delText></w:r></w:del><w:ins w:id="2" w:author="A"><w:r><w:t>[removed]</w:t></w:r></w:ins></w:p>"#;
    assert_eq!(
        text(&document(body)),
        "Patient Maria Ortega, SSN 536-90-4399[removed]\n"
    );
}

#[test]
fn the_documents_text_parts_are_rendered_in_place_and_others_left_alone() {
    let parts = [
        (
            "word/document.xml",
            document("<w:p><w:r><w:t>body</w:t></w:r></w:p>"),
        ),
        (
            "word/header2.xml",
            format!("<w:hdr {W}><w:p><w:r><w:t>head</w:t></w:r></w:p></w:hdr>"),
        ),
        ("word/styles.xml", format!("<w:styles {W}/>")),
        ("word/footer1.xml", "<w:ftr><w:p>".to_owned()),
        ("notes.txt", "<w:t>x</w:t>".to_owned()),
    ];
    let mut members: Vec<Member> = parts
        .iter()
        .map(|(n, x)| Member {
            name: format!("d.docx!{n}"),
            bytes: Ok(x.clone().into_bytes()),
        })
        .collect();
    let before = members.clone();
    render(&mut members, 0, "d.docx!", &mut 0).unwrap();
    let texts: Vec<&[u8]> = members
        .iter()
        .map(|m| m.bytes.as_deref().unwrap())
        .collect();
    assert_eq!(texts[0], b"body\n");
    assert_eq!(texts[1], b"head\n");
    // Not a part of text; a part that does not parse; not a Word part.
    assert_eq!(members[2..], before[2..]);
    // Without `word/document.xml` nothing is a Word document.
    let mut members = before[1..].to_vec();
    render(&mut members, 0, "d.docx!", &mut 0).unwrap();
    assert_eq!(members, before[1..]);
}

#[test]
fn text_parts_by_name() {
    for part in [
        "word/document.xml",
        "word/header1.xml",
        "word/footer12.xml",
        "word/comments.xml",
    ] {
        assert!(is_word_text_part(part), "{part}");
    }
    for part in [
        "word/styles.xml",
        "word/headerx.xml",
        "document.xml",
        "word/media/a.xml",
    ] {
        assert!(!is_word_text_part(part), "{part}");
    }
    for part in [
        "ppt/slides/slide1.xml",
        "ppt/slides/slide12.xml",
        "ppt/notesSlides/notesSlide3.xml",
        "ppt/comments/comment1.xml",
        "ppt/comments/modernComment_100_2A1B.xml",
    ] {
        assert!(is_slide_text_part(part), "{part}");
    }
    for part in [
        "ppt/slideLayouts/slideLayout1.xml",
        "ppt/slideMasters/slideMaster1.xml",
        "ppt/slides/_rels/slide1.xml.rels",
        "ppt/slides/slide.xml",
        "ppt/presentation.xml",
        "word/document.xml",
    ] {
        assert!(!is_slide_text_part(part), "{part}");
    }
}

const A: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;

/// A slide's runs (split where formatting changes, as python-pptx and PowerPoint write
/// them), its table and a comment read as a Word document's do.
#[test]
fn a_slide_reads_as_its_paragraphs_and_table_rows() {
    let cell = |t: &str| {
        format!("<a:tc><a:txBody><a:bodyPr/><a:p><a:r><a:t>{t}</a:t></a:r></a:p></a:txBody></a:tc>")
    };
    let slide = format!(
        r#"<p:sld {A}><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/><a:p><a:r><a:rPr lang="en-US"/><a:t>Patient SSN 536-9</a:t></a:r><a:r><a:rPr b="1"/><a:t>0-4399</a:t></a:r><a:br/><a:r><a:t>seen</a:t></a:r></a:p><a:p><a:endParaRPr/></a:p></p:txBody></p:sp><p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr>{}{}</a:tr><a:tr>{}{}</a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame></p:spTree></p:cSld></p:sld>"#,
        cell("MRN"),
        cell("SSN"),
        cell("MR4000001"),
        cell("418-27-3306"),
    );
    assert_eq!(
        text(&slide),
        "Patient SSN 536-90-4399 seen

MRN,SSN
MR4000001,418-27-3306
"
    );
    let comment = format!(
        r#"<p:cmLst {A}><p:cm authorId="0"><p:pos x="10" y="10"/><p:text>Check MRN MR4000001</p:text></p:cm></p:cmLst>"#
    );
    assert_eq!(text(&comment), "Check MRN MR4000001\n");
    let mut members = vec![
        Member {
            name: "c.pptx!ppt/presentation.xml".into(),
            bytes: Ok(format!("<p:presentation {A}/>").into_bytes()),
        },
        Member {
            name: "c.pptx!ppt/slides/slide1.xml".into(),
            bytes: Ok(slide.into_bytes()),
        },
        Member {
            name: "c.pptx!ppt/comments/comment1.xml".into(),
            bytes: Ok(comment.into_bytes()),
        },
    ];
    render(&mut members, 0, "c.pptx!", &mut 0).unwrap();
    assert_eq!(
        members[1].bytes.as_deref().unwrap(),
        b"Patient SSN 536-90-4399 seen\n\nMRN,SSN\nMR4000001,418-27-3306\n"
    );
    assert_eq!(
        members[2].bytes.as_deref().unwrap(),
        b"Check MRN MR4000001\n"
    );
}

#[test]
fn damaged_text_never_panics() {
    let cell = "<w:tc><w:p><w:r><w:t>a &amp; b</w:t><w:tab/></w:r></w:p></w:tc>";
    let xml = document(&format!(
        "<w:p><w:r><w:t>x</w:t><w:noBreakHyphen/><w:delText>y</w:delText></w:r></w:p><w:tbl><w:tr>{cell}{cell}</w:tr></w:tbl>"
    ));
    for at in 0..xml.len() {
        for b in [b'<', b'/', b'"', b'&', 0xff] {
            let mut bytes = xml.clone().into_bytes();
            bytes[at] = b;
            let _ = text_of(&bytes);
        }
    }
}
