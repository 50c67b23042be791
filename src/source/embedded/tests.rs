use super::{BASE64, MIN_ENCODED, Payload, QUOTED_PRINTABLE, payloads};
use crate::source::Origin;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const NOTE: &[u8] = b"Patient: Maria Ortega\nSSN: 536-90-4399\nSeen for an annual visit today.\n";

fn whole(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    crate::source::whole_region(text.len())
}

fn decoded(found: &[Payload]) -> Vec<&[u8]> {
    found.iter().map(|p| &p.decoded[..]).collect()
}

#[test]
fn json_and_xml_data_values_are_decoded_where_they_are() {
    let b64 = STANDARD.encode(NOTE);
    // A multi-byte character before the payload on its line: UTF-16 columns differ.
    let json = format!(
        "{{\n  \"resourceType\": \"DocumentReference\",\n  \"é\": 1, \"data\" : \"{b64}\"\n}}\n"
    );
    let found = payloads(json.as_bytes(), &whole(json.as_bytes()));
    assert_eq!(decoded(&found), [NOTE]);
    let col = json.lines().nth(2).unwrap().find(&b64).unwrap() as u32 + 1;
    assert_eq!(
        found[0].origin,
        Origin {
            line: 3,
            column: col,
            end_column: col + b64.len() as u32,
            utf16_columns: (col - 1, col - 1 + b64.len() as u32),
            encoding: BASE64,
        }
    );
    let xml = format!("<Binary>\n  <data value=\"{b64}\"/>\n</Binary>\n");
    let found = payloads(xml.as_bytes(), &whole(xml.as_bytes()));
    assert_eq!(decoded(&found), [NOTE]);
    assert_eq!((found[0].origin.line, found[0].origin.column), (2, 16));
}

#[test]
fn escapes_and_white_space_writers_put_in_base64_are_read() {
    let b64 = STANDARD.encode(NOTE);
    // PHP's json_encode writes `\/`; MIME writers break lines (as `\n` escapes in JSON, as
    // white space in XML).
    let escaped = b64.replace('/', "\\/");
    let chunks = |sep: &str| {
        b64.as_bytes()
            .chunks(40)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(sep)
    };
    for value in [escaped, chunks("\\r\\n")] {
        let json = format!("{{\"data\":\"{value}\"}}");
        assert_eq!(
            decoded(&payloads(json.as_bytes(), &whole(json.as_bytes()))),
            [NOTE]
        );
    }
    let xml = format!("<data value=\"{}\"/>", chunks("\n      "));
    assert_eq!(
        decoded(&payloads(xml.as_bytes(), &whole(xml.as_bytes()))),
        [NOTE]
    );
}

#[test]
fn what_is_no_base64_data_value_is_left_alone() {
    let b64 = STANDARD.encode(NOTE);
    let short = STANDARD.encode(&NOTE[..MIN_ENCODED * 3 / 4 - 3]);
    assert!(short.len() < MIN_ENCODED);
    for text in [
        format!("{{\"data\": \"{short}\"}}"),
        // Not base64: a space in JSON, a quote escaped, a character outside the alphabet.
        format!("{{\"data\": \"{}!{}\"}}", &b64[..40], &b64[40..]),
        format!("{{\"data\": \"{}\\\"{}\"}}", &b64[..40], &b64[40..]),
        // `data` that is no key, or a key of something else.
        format!("{{\"kind\": \"data\", \"x\": \"{b64}\"}}"),
        format!("{{\"metadata\": \"{b64}\"}}"),
        format!("{{\"data\": [\"{b64}\"]}}"),
        format!("<data>{b64}</data>"),
        // Unterminated.
        format!("{{\"data\": \"{b64}"),
        // Does not decode (a lone trailing character).
        format!("{{\"data\": \"{b64}A\"}}"),
    ] {
        assert!(
            payloads(text.as_bytes(), &whole(text.as_bytes())).is_empty(),
            "{text}"
        );
    }
}

#[test]
fn only_payloads_starting_in_added_regions_are_decoded() {
    let b64 = STANDARD.encode(NOTE);
    let text = format!("{{\"data\": \"{b64}\"}}\n{{\"data\": \"{b64}\"}}\n");
    let second = text.find('\n').unwrap() + 1;
    let added = second..text.len();
    let found = payloads(text.as_bytes(), std::slice::from_ref(&added));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].origin.line, 2);
    assert!(payloads(text.as_bytes(), &[]).is_empty());
}

/// Many payloads on one line (a minified Bundle) and on many lines: the work is linear.
#[test]
fn payloads_take_work_linear_in_the_text() {
    let b64 = STANDARD.encode(NOTE);
    let work = |n: usize, sep: &str| {
        let one = format!("{{\"data\": \"{b64}\"}},{sep}");
        let text = one.repeat(n);
        crate::work::take();
        let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
        assert_eq!(found.len(), n);
        let last = if sep.is_empty() { 1 } else { n };
        assert_eq!(found[n - 1].origin.line as usize, last);
        crate::work::take()
    };
    for sep in ["", "\n"] {
        let (one, four) = (work(500, sep), work(2000, sep));
        assert!(four <= one * 9 / 2, "{sep:?}: {one} then {four}");
    }
}

/// An edit of a large file searches its edit, not the file: without a payload in it the
/// work follows the added bytes (with one, the lines before it are counted once). A value
/// on the line below its key is found when that line is added.
#[test]
fn only_the_added_regions_are_searched() {
    let b64 = STANDARD.encode(NOTE);
    let filler = "{\"data\": \"not base64 at all\"}\n".repeat(40_000);
    let text = format!("{filler}{{\"data\":\n  \"{b64}\"}}\nlast\n");
    let value_line = text.rfind("\n  \"").unwrap() + 1;
    let last_line = text.len() - "last\n".len();
    crate::work::take();
    let added = last_line..text.len();
    assert!(payloads(text.as_bytes(), std::slice::from_ref(&added)).is_empty());
    // Each search (FHIR keys, MIME headers, `data:` URIs) reads the edit and the bytes
    // before it where a key may stand: a few KiB, not the file's 1.2 MB.
    let work = crate::work::take();
    assert!(work < 4096, "{work}");
    let added = value_line..text.len();
    let found = payloads(text.as_bytes(), std::slice::from_ref(&added));
    let work = crate::work::take();
    assert_eq!(decoded(&found), [NOTE]);
    assert_eq!(found[0].origin.line, 40_002);
    assert!(work < 2 * text.len() as u64, "{work}");
}

/// An e-mail with `lines` as a base64 attachment (76 characters a line, as mailers write)
/// and a quoted-printable note, with `eol` line ends.
fn mail(lines: &str, note: &str, eol: &str) -> String {
    let b64 = STANDARD.encode(lines);
    let wrapped: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    [
        "From: clinic@hospital.example.org",
        "Subject: extract",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"b1\"",
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        note,
        "--b1",
        "Content-Type: text/csv; name=\"patients.csv\"",
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment; filename=\"patients.csv\"",
        "",
        &wrapped.join(eol),
        "",
        "--b1--",
        "",
    ]
    .join(eol)
}

/// A MIME part's body is decoded where it starts: a base64 attachment whole, and of a
/// quoted-printable note the lines its encoding changes (a soft line break in a value,
/// `=XX` escapes); with LF and with CRLF line ends.
#[test]
fn mime_bodies_in_base64_and_quoted_printable_are_decoded() {
    let csv =
        "mrn,name,ssn\nMR4000001,Rosa Ortega,536-90-4399\nMR4000002,Mateo Haddad,219-45-0011\n";
    let note = "Patient seen today, ssn 536-90-=\n4399.\nMRN=3A 4000=\n001, nothing else.\nA line as it is.";
    for eol in ["\n", "\r\n"] {
        let text = mail(csv, &note.replace('\n', eol), eol);
        let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
        assert_eq!(found.len(), 2, "{eol:?}");
        assert_eq!(
            found[0].decoded,
            b"Patient seen today, ssn 536-90-4399.\nMRN: 4000001, nothing else.\n"
        );
        assert_eq!(found[0].origin.encoding, QUOTED_PRINTABLE);
        assert_eq!((found[0].origin.line, found[0].origin.column), (10, 1));
        assert_eq!(found[1].decoded, csv.as_bytes());
        assert_eq!(found[1].origin.encoding, BASE64);
        assert_eq!(found[1].origin.line, 20);
    }
    // A body that its encoding leaves as it is, a 7bit part and one that starts before the
    // added lines are not decoded again.
    let plain = mail(csv, "Nothing encoded here.", "\n").replace("quoted-printable", "7bit");
    let added = plain.find("--b1\nContent-Type: text/csv").unwrap();
    assert!(payloads(plain.as_bytes(), std::slice::from_ref(&(0..added))).is_empty());
    let qp_only = mail(csv, "Nothing encoded here.", "\n");
    assert!(payloads(qp_only.as_bytes(), std::slice::from_ref(&(0..added))).is_empty());
}

/// Many parts take work linear in their number.
#[test]
fn mime_bodies_take_work_linear_in_the_text() {
    let work = |n: usize| {
        let text: String = (0..n)
            .map(|_| {
                let csv = "mrn,name,ssn\nMR4000001,Rosa Ortega,536-90-4399\nMR4000002,Mateo Haddad,219-45-0011\n";
                mail(csv, "ssn 536-90-=\n4399", "\n")
            })
            .collect();
        crate::work::take();
        let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
        assert_eq!(found.len(), 2 * n);
        crate::work::take()
    };
    let (w1, w4) = (work(100), work(400));
    assert!(w4 * 10 <= w1 * 46, "{w1} steps, then {w4}");
}

/// An edit inside an attachment committed earlier: its headers stand far above the added
/// lines, and the body is decoded all the same in a saved e-mail, since part of it is added.
/// An untouched body is not decoded again, and outside an e-mail the search stays with the
/// added lines.
#[test]
fn an_edit_inside_an_earlier_attachment_decodes_its_body() {
    let mut csv = String::from("mrn,name,ssn\n");
    for i in 0..40 {
        csv.push_str(&format!("MR40{i:05},Rosa Ortega,536-90-{:04}\n", 4000 + i));
    }
    let text = mail(&csv, "Nothing encoded here.", "\n");
    let body = text
        .find("\n\n")
        .map(|_| text.rfind("Disposition").unwrap())
        .unwrap();
    // A line in the middle of the base64 body, far below its headers.
    let line_start = text[body..].find('\n').unwrap() + body + 2 + 76 * 10 + 10;
    let line_end = line_start + 77;
    assert!(line_start - body > 512);
    let found = payloads(
        text.as_bytes(),
        std::slice::from_ref(&(line_start..line_end)),
    );
    assert_eq!(decoded(&found), [csv.as_bytes()]);
    // Added lines after the body leave it alone.
    let end = text.len() - 1;
    assert!(payloads(text.as_bytes(), std::slice::from_ref(&(end..text.len()))).is_empty());
    // Not an e-mail: only bodies starting in the added lines.
    let not_mail = format!("payload log\n{text}");
    let shifted = line_start + 12..line_end + 12;
    assert!(payloads(not_mail.as_bytes(), std::slice::from_ref(&shifted)).is_empty());
}

/// A C-CDA document with `note` in a `nonXMLBody` in base64, 76 characters a line (quoted
/// with `q`).
fn ccda(note: &[u8], q: char) -> String {
    let b64 = STANDARD.encode(note);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "<?xml version=\"1.0\"?>\n<ClinicalDocument>\n<nonXMLBody><text mediaType=\"text/plain\" representation = {q}B64{q}>\n{}\n</text></nonXMLBody>\n</ClinicalDocument>\n",
        lines.join("\n")
    )
}

/// `representation="B64"` elements of an XML document are decoded when any of their text
/// is added; the same text in a file that is not XML, an empty element, and another
/// attribute's `B64` are left alone.
#[test]
fn ccda_b64_elements_are_decoded_when_any_of_them_is_added() {
    for q in ['"', '\''] {
        let text = ccda(&NOTE.repeat(4), q);
        let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
        assert_eq!(decoded(&found), [NOTE.repeat(4)]);
        assert_eq!((found[0].origin.line, found[0].origin.column), (4, 1));
        // One base64 line in the middle of the body added.
        let third = text.match_indices('\n').nth(4).unwrap().0 + 1;
        let added = third..third + 10;
        let found = payloads(text.as_bytes(), std::slice::from_ref(&added));
        assert_eq!(decoded(&found), [NOTE.repeat(4)]);
        // Nothing of the body added.
        let last = text.rfind("</ClinicalDocument>").unwrap();
        assert!(payloads(text.as_bytes(), std::slice::from_ref(&(last..text.len()))).is_empty());
    }
    let text = ccda(&NOTE.repeat(4), '"');
    let not_xml = format!("note = '''{text}'''");
    assert!(payloads(not_xml.as_bytes(), &whole(not_xml.as_bytes())).is_empty());
    for other in [
        text.replace("representation", "mediaTypeFormat"),
        text.replace("\">\n", "\"/>\n"),
    ] {
        assert!(payloads(other.as_bytes(), &whole(other.as_bytes())).is_empty());
    }
}

/// An HL7 v2 message with `note` in an ED field of an `OBX`, in base64.
fn oru(note: &[u8]) -> String {
    format!(
        "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ORU^R01|1|P|2.5\rOBX|1|ED|PDF^Report||LAB^AP^PDF^Base64^{}||||||F\r",
        STANDARD.encode(note)
    )
}

/// An ED field encoded `Base64` is decoded when any of it is added; the same field in a
/// file that is not an HL7 message is left alone.
#[test]
fn hl7_encapsulated_data_in_base64_is_decoded_when_any_of_it_is_added() {
    let text = oru(NOTE);
    let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
    assert_eq!(decoded(&found), [NOTE]);
    let at = text.find("^Base64^").unwrap() + "^Base64^".len();
    assert_eq!(found[0].origin.column as usize, at + 1);
    let found = payloads(text.as_bytes(), std::slice::from_ref(&(at + 20..at + 21)));
    assert_eq!(decoded(&found), [NOTE]);
    assert!(payloads(text.as_bytes(), std::slice::from_ref(&(0..10))).is_empty());
    let quoted = format!("msg = \"{text}\"");
    assert!(payloads(quoted.as_bytes(), &whole(quoted.as_bytes())).is_empty());
}

/// Many `B64` elements and ED fields: the work is linear.
#[test]
fn b64_elements_and_ed_fields_take_work_linear_in_the_text() {
    let work = |n: usize, one: &dyn Fn(usize) -> String| {
        let text = one(n);
        crate::work::take();
        let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
        assert_eq!(found.len(), n);
        crate::work::take()
    };
    let cdas = |n: usize| {
        let body = ccda(NOTE, '"');
        let start = body.find("<nonXMLBody>").unwrap();
        let end = body.find("</nonXMLBody>").unwrap() + "</nonXMLBody>".len();
        format!("<doc>{}</doc>", body[start..end].repeat(n))
    };
    let messages = |n: usize| {
        let msg = oru(NOTE);
        let obx = &msg[msg.find("OBX").unwrap()..];
        format!("{}{}", &msg[..msg.find("OBX").unwrap()], obx.repeat(n))
    };
    for one in [&cdas as &dyn Fn(usize) -> String, &messages] {
        let (small, large) = (work(500, one), work(2000, one));
        assert!(large <= small * 9 / 2, "{small} then {large}");
    }
}

/// One start tag naming `B64` many times, of an empty element: it is read once.
#[test]
fn unending_b64_start_tags_take_linear_work() {
    let work = |n: usize| {
        let text = format!("<a {}/>", "representation=\"B64\" ".repeat(n));
        crate::work::take();
        assert!(payloads(text.as_bytes(), &whole(text.as_bytes())).is_empty());
        crate::work::take()
    };
    let (small, large) = (work(5_000), work(20_000));
    assert!(large <= small * 9 / 2, "{small} then {large}");
}

/// `data:` URIs carrying a document are decoded where they start in an added region (in
/// HTML, in JSON with its `\/`); images, fonts and URIs of no document type are left alone.
#[test]
fn data_uris_carrying_documents_are_decoded() {
    let b64 = STANDARD.encode(NOTE);
    for (uri, read) in [
        (format!("data:text/csv;base64,{b64}"), true),
        (format!("data:text/csv;charset=utf-8;base64,{b64}"), true),
        (format!("data:;base64,{b64}"), true),
        (format!("data:application\\/pdf;base64,{b64}"), true),
        (format!("DATA:Application/FHIR+JSON;base64,{b64}"), true),
        (format!("data:image/png;base64,{b64}"), false),
        (format!("data:font/woff2;base64,{b64}"), false),
        (format!("data:application/octet-stream;base64,{b64}"), false),
    ] {
        let html = format!("<p>\n<a href=\"{uri}\">list</a>\n</p>\n");
        let found = payloads(html.as_bytes(), &whole(html.as_bytes()));
        let want: &[&[u8]] = if read { &[NOTE] } else { &[] };
        assert_eq!(decoded(&found), want, "{uri}");
        if read {
            let col = html.find(&b64).unwrap() - html.find("<a").unwrap() + 1;
            assert_eq!(
                (found[0].origin.line, found[0].origin.column),
                (2, col as u32)
            );
            // Not added: not read.
            assert!(payloads(html.as_bytes(), std::slice::from_ref(&(0..3))).is_empty());
        }
    }
}

/// A DSTU2 or STU3 `Binary` holds its base64 in `content`, in JSON and in XML; an R4
/// `DocumentReference`'s `content` (an array) is no payload.
#[test]
fn an_older_binarys_content_is_decoded() {
    let b64 = STANDARD.encode(NOTE);
    let json = format!(
        "{{\"resourceType\": \"Binary\", \"contentType\": \"text/plain\", \"content\": \"{b64}\"}}"
    );
    let xml = format!("<Binary>\n  <content value=\"{b64}\"/>\n</Binary>\n");
    for text in [json, xml] {
        let found = payloads(text.as_bytes(), &whole(text.as_bytes()));
        assert_eq!(decoded(&found), [NOTE], "{text}");
    }
    let r4 = format!("{{\"content\": [{{\"attachment\": {{\"data\": \"{b64}\"}}}}]}}");
    assert_eq!(
        decoded(&payloads(r4.as_bytes(), &whole(r4.as_bytes()))),
        [NOTE]
    );
}
