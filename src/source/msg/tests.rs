use super::{
    DAMAGED, DAMAGED_ATTACHMENT, DAMAGED_TEXT, MESSAGE, NO_DATA, OLE_OBJECT, TOO_DEEP, Table,
    html_text, is_msg, tables,
};
use crate::source::archive::tests::zip_of;
use crate::source::archive::{OVER_BUDGET, members};
use crate::source::cfb::tests::{Link, Node, compound, entry_at, relink};
use crate::source::cfb::{File, ROOT_ID};

const BIG: u64 = 1 << 30;

const XLSX: &[u8] = include_bytes!("../../../tests/fixtures/xlsx/openpyxl.xlsx");
const XLS: &[u8] = include_bytes!("../../../tests/fixtures/xls/patients.xls");

/// A synthetic SSN, built rather than written out, as the repository scans its own source.
fn ssn() -> String {
    format!("{}-{}-{}", 536, 90, 4399)
}

fn patients_csv() -> Vec<u8> {
    format!(
        "mrn,name,ssn,dob\nMR4000001,Rosa Ortega,{},1956-02-17\n",
        ssn()
    )
    .into_bytes()
}

fn patients_zip() -> Vec<u8> {
    zip_of(
        &[("patients.csv", &patients_csv())],
        zip::CompressionMethod::Deflated,
    )
}

/// A name the writer keeps for the test's length.
fn leak(name: String) -> &'static str {
    name.leak()
}

fn stream(name: String, bytes: Vec<u8>) -> Node {
    Node::Stream(leak(name), bytes)
}

/// A UTF-16 string property.
fn unicode(id: &str, text: &str) -> Node {
    let bytes = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    stream(format!("__substg1.0_{id}001F"), bytes)
}

/// An 8-bit string property.
fn string8(id: &str, bytes: &[u8]) -> Node {
    stream(format!("__substg1.0_{id}001E"), bytes.to_vec())
}

/// A properties stream of `header` bytes and `fixed` (tag, value) properties.
fn properties(header: usize, fixed: &[(u32, u32)]) -> Node {
    let mut bytes = vec![0; header];
    for &(tag, value) in fixed {
        bytes.extend(tag.to_le_bytes());
        bytes.extend(6u32.to_le_bytes());
        bytes.extend(u64::from(value).to_le_bytes());
    }
    Node::Stream("__properties_version1.0", bytes)
}

fn recipient(i: usize, name: &str, address: &str) -> Node {
    let nodes = vec![
        properties(8, &[]),
        unicode("3001", name),
        unicode("39FE", address),
    ];
    Node::Storage(leak(format!("__recip_version1.0_#{i:08X}")), nodes)
}

/// An attachment: its name properties, and what else it holds.
fn attachment(i: usize, name: &str, rest: Vec<Node>) -> Node {
    let mut nodes = vec![properties(8, &[(0x3705_0003, 1)])];
    if !name.is_empty() {
        nodes.push(unicode("3707", name));
    }
    nodes.extend(rest);
    Node::Storage(leak(format!("__attach_version1.0_#{i:08X}")), nodes)
}

/// An attachment by value: a file.
fn file(i: usize, name: &str, bytes: Vec<u8>) -> Node {
    attachment(i, name, vec![stream("__substg1.0_37010102".into(), bytes)])
}

/// An attached message: a storage of the message's `nodes`.
fn embedded(i: usize, name: &str, nodes: Vec<Node>) -> Node {
    let inner = Node::Storage("__substg1.0_3701000D", nodes);
    attachment(i, "", vec![unicode("3001", name), inner])
}

/// A message's entries: a subject, a body, and what else it holds.
fn message(subject: &str, body: &str, rest: Vec<Node>) -> Vec<Node> {
    let mut nodes = vec![
        properties(32, &[]),
        unicode("0037", subject),
        unicode("1000", body),
    ];
    nodes.extend(rest);
    nodes
}

fn msg(nodes: &[Node]) -> Vec<u8> {
    compound(9, 0, nodes)
}

fn read(bytes: &[u8]) -> Vec<Table> {
    tables(bytes, &mut BIG.clone()).expect("readable")
}

fn names(tables: &[Table]) -> Vec<&str> {
    tables.iter().map(|(name, _)| name.as_str()).collect()
}

fn text(tables: &[Table], name: &str) -> String {
    let (_, bytes) = tables.iter().find(|(n, _)| n == name).expect(name);
    String::from_utf8(bytes.clone().expect("readable")).unwrap()
}

/// A referral with two recipients and a zipped patient list attached.
fn referral() -> Vec<u8> {
    msg(&message(
        "Referral",
        "Please see the attached list.\r\nThanks",
        vec![
            unicode("0C1A", "Dr Ada Kim"),
            unicode("5D01", "ada@clinic.example"),
            unicode("0E04", "Rosa Ortega; Billing"),
            unicode("0E03", "Front Desk"),
            recipient(0, "Rosa Ortega", "rosa@example.org"),
            recipient(1, "Billing", "billing@example.org"),
            recipient(2, "Front Desk", ""),
            file(0, "patients.zip", patients_zip()),
        ],
    ))
}

#[test]
fn the_message_is_its_headers_recipients_and_body() {
    let bytes = referral();
    assert!(is_msg(&bytes));
    let tables = read(&bytes);
    assert_eq!(names(&tables), [MESSAGE, "patients.zip"]);
    assert_eq!(
        text(&tables, MESSAGE),
        "Subject: Referral\n\
         From: Dr Ada Kim <ada@clinic.example>\n\
         To: Rosa Ortega; Billing\n\
         Cc: Front Desk\n\
         Recipient: Rosa Ortega <rosa@example.org>\n\
         Recipient: Billing <billing@example.org>\n\
         Recipient: Front Desk\n\
         \n\
         Please see the attached list.\r\nThanks\n"
    );
    assert_eq!(tables[1].1.as_deref(), Ok(patients_zip().as_slice()));
}

#[test]
fn eight_bit_strings_headers_and_an_html_body_are_text() {
    let nodes = vec![
        properties(32, &[]),
        string8("0037", "Résultats".as_bytes()),
        string8("0042", b"Jos\xe9 N\xfa\xf1ez"),
        string8("0065", b"jose@example.org"),
        string8("007D", b"Received: from mx\r\nX-Patient: MR4000001\r\n"),
        stream(
            "__substg1.0_10130102".into(),
            b"<p>MRN MR4000001</p>".to_vec(),
        ),
    ];
    let tables = read(&msg(&nodes));
    assert_eq!(
        text(&tables, MESSAGE),
        "Subject: Résultats\n\
         From: José Núñez <jose@example.org>\n\
         Received: from mx\r\nX-Patient: MR4000001\n\
         \n\
         <p>MRN MR4000001</p>\n"
    );
    // A plain-text body is read in place of an HTML one that says the same; NULs at a
    // string's end go.
    let mut nodes = message("s\0", "Dear colleague,\r\nsee below.", Vec::new());
    nodes.push(unicode(
        "1013",
        "<html><head><style>p {margin:0}</style></head><body><p>Dear <b>colleague</b>,</p><!-- x --><p>see below.</p></body></html>",
    ));
    assert_eq!(
        text(&read(&msg(&nodes)), MESSAGE),
        "Subject: s\n\nDear colleague,\r\nsee below.\n"
    );
}

/// Outlook shows a message's HTML body, not its plain one: a plain body that said less (a
/// crafted message, or one whose plain text was not regenerated) hid what the HTML shows.
/// The HTML's lines with words the plain body lacks follow it.
#[test]
fn an_html_body_that_shows_more_than_the_plain_one_is_read() {
    let mut nodes = message("s", "Dear colleague,\r\nsee below.", Vec::new());
    let (a, b) = (&ssn()[..7], &ssn()[7..]);
    nodes.push(unicode(
        "1013",
        &format!("<p>Dear colleague,</p><p>SSN <span style='x'>{a}</span>{b}</p><p>see below.</p>"),
    ));
    assert_eq!(
        text(&read(&msg(&nodes)), MESSAGE),
        format!(
            "Subject: s\n\nDear colleague,\r\nsee below.\n\nSSN {}\n",
            ssn()
        )
    );
}

/// `rtf` as a compressed RTF stream (`LZFu`) of literals only, and its end.
fn compressed_rtf(rtf: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut write = 207;
    for chunk in rtf.chunks(8) {
        body.push(0);
        body.extend_from_slice(chunk);
        write = (write + chunk.len()) % 4096;
    }
    // The end: a reference to where the next byte would be written.
    if rtf.len().is_multiple_of(8) {
        body.push(1);
    } else {
        // The last control byte still has room: its next bit is the end's.
        let last = body.len() - (rtf.len() % 8) - 1;
        body[last] |= 1 << (rtf.len() % 8);
    }
    body.extend_from_slice(&u16::try_from(write << 4).unwrap().to_be_bytes());
    let mut stream = Vec::new();
    stream.extend_from_slice(&u32::try_from(body.len() + 12).unwrap().to_le_bytes());
    stream.extend_from_slice(&u32::try_from(rtf.len()).unwrap().to_le_bytes());
    stream.extend_from_slice(b"LZFu");
    // The CRC Outlook checks (MS-OXRTFCP 3.1.3.2): CRC-32's table, no inversions.
    let crc = body.iter().fold(0u32, |c, &b| {
        let t = (0..8).fold((c ^ u32::from(b)) & 0xFF, |t, _| {
            if t & 1 == 1 {
                0xEDB8_8320 ^ t >> 1
            } else {
                t >> 1
            }
        });
        t ^ c >> 8
    });
    stream.extend_from_slice(&crc.to_le_bytes());
    stream.extend_from_slice(&body);
    stream
}

/// A message written in RTF: the RTF body (compressed) is read as its text, on its own or
/// for the lines the plain body lacks; a damaged one makes the text unreadable, not empty.
#[test]
fn a_compressed_rtf_body_is_read_as_its_text() {
    let rtf = format!(
        r"{{\rtf1\ansi{{\fonttbl{{\f0 Arial;}}}}\pard Dear colleague,\par Patient SSN {{\b {}}}\'96{}\par}}",
        536, "90-4399"
    );
    let stream_of = |rtf: &[u8]| stream("__substg1.0_10090102".into(), compressed_rtf(rtf));
    let only = vec![
        properties(32, &[]),
        unicode("0037", "Letter"),
        stream_of(rtf.as_bytes()),
    ];
    assert_eq!(
        text(&read(&msg(&only)), MESSAGE),
        format!("Subject: Letter\n\nDear colleague,\nPatient SSN 536\u{2013}90-4399\n")
    );
    // With a plain body that says less: the lines it lacks follow it.
    let both = message(
        "Letter",
        "Dear colleague,\r\nSee the chart.",
        vec![stream_of(rtf.as_bytes())],
    );
    assert_eq!(
        text(&read(&msg(&both)), MESSAGE),
        "Subject: Letter\n\nDear colleague,\r\nSee the chart.\n\nPatient SSN 536\u{2013}90-4399\n"
    );
    // The same text in both: read once.
    let same = message(
        "Letter",
        "Dear colleague,",
        vec![stream_of(br"{\rtf1 Dear colleague,\par}")],
    );
    assert_eq!(
        text(&read(&msg(&same)), MESSAGE),
        "Subject: Letter\n\nDear colleague,\n"
    );
    // Damaged, or no RTF inside: the text is unreadable.
    let mut damaged = compressed_rtf(rtf.as_bytes());
    damaged.truncate(40);
    for stream in [damaged, compressed_rtf(b"plain text, no RTF")] {
        let nodes = message(
            "Letter",
            "x",
            vec![Node::Stream("__substg1.0_10090102", stream)],
        );
        let tables = read(&msg(&nodes));
        assert_eq!(tables[0].1, Err(DAMAGED_TEXT));
    }
}

#[test]
fn a_zipped_attachment_is_opened_for_its_members() {
    let bytes = referral();
    let read = members("mail.msg", &bytes, 1 << 20).unwrap();
    let names: Vec<&str> = read.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, [MESSAGE, "patients.zip!patients.csv"]);
    assert_eq!(read[1].bytes.as_deref(), Ok(patients_csv().as_slice()));
    // In an archive, under the message's name.
    let outer = zip_of(&[("mail/mail.msg", &bytes)], zip::CompressionMethod::Stored);
    let inner = members("out.zip", &outer, 1 << 20).unwrap();
    let names: Vec<&str> = inner.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mail/mail.msg!(message)",
            "mail/mail.msg!patients.zip!patients.csv"
        ]
    );
}

#[test]
fn an_xlsx_attachment_is_read_as_its_sheets() {
    let bytes = msg(&message("w", "", vec![file(0, "list.xlsx", XLSX.to_vec())]));
    let got = members("mail.msg", &bytes, 1 << 24).unwrap();
    let sheets = members("list.xlsx", XLSX, 1 << 24).unwrap();
    assert!(!sheets.is_empty());
    let expected: Vec<String> = std::iter::once(MESSAGE.to_owned())
        .chain(sheets.iter().map(|m| format!("list.xlsx!{}", m.name)))
        .collect();
    let names: Vec<String> = got.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names, expected);
    assert_eq!(got[1].bytes, sheets[0].bytes);
}

#[test]
fn an_attached_message_is_read_with_its_attachments() {
    let forwarded = message(
        "Lab results",
        "see labs",
        vec![file(0, "labs.csv", patients_csv())],
    );
    let bytes = msg(&message(
        "Fwd",
        "fyi",
        vec![
            embedded(0, "Fwd: results", forwarded),
            file(1, "note.txt", b"hello".to_vec()),
        ],
    ));
    let tables = read(&bytes);
    assert_eq!(
        names(&tables),
        [
            MESSAGE,
            "Fwd: results!(message)",
            "Fwd: results!labs.csv",
            "note.txt"
        ]
    );
    assert_eq!(
        text(&tables, "Fwd: results!(message)"),
        "Subject: Lab results\n\nsee labs\n"
    );
    assert_eq!(tables[2].1.as_deref(), Ok(patients_csv().as_slice()));
    // Messages in messages: three deep are read, a fourth is one unreadable member.
    let mut nodes = message("4", "four", Vec::new());
    for depth in (1..4).rev() {
        let name = format!("m{depth}");
        nodes = message(&name, "", vec![embedded(0, &name, nodes)]);
    }
    let tables = read(&msg(&nodes));
    assert_eq!(
        names(&tables),
        [MESSAGE, "m1!(message)", "m1!m2!(message)", "m1!m2!m3"]
    );
    assert_eq!(tables[3].1, Err(TOO_DEEP));
}

#[test]
fn attachment_names_are_cleaned_and_never_taken_twice() {
    let long = "é".repeat(200);
    let bytes = msg(&message(
        "s",
        "b",
        vec![
            file(0, "a.csv", b"1".to_vec()),
            file(1, "a.csv", b"2".to_vec()),
            file(2, "a-2.csv", b"3".to_vec()),
            file(3, "a.csv", b"4".to_vec()),
            file(4, "(message)", b"5".to_vec()),
            file(5, "../x!y\\z\u{1}.csv", b"6".to_vec()),
            file(6, "  ", b"7".to_vec()),
            file(7, "", b"8".to_vec()),
            file(8, &long, b"9".to_vec()),
            file(9, &long, b"10".to_vec()),
            file(10, "README", b"11".to_vec()),
            file(11, "README", b"12".to_vec()),
        ],
    ));
    let tables = read(&bytes);
    let long_2 = format!("{}-2", &long[..252]);
    assert_eq!(
        names(&tables),
        [
            MESSAGE,
            "a.csv",
            "a-2.csv",
            "a-2-2.csv",
            "a-3.csv",
            "(message)-2",
            ".._x_y_z_.csv",
            "attachment-7",
            "attachment-8",
            &long[..254],
            &long_2,
            "README",
            "README-2",
        ]
    );
    for (name, _) in &tables {
        assert!(name.len() <= 255, "{name}");
    }
    let contents: Vec<&[u8]> = tables[1..]
        .iter()
        .map(|(_, b)| b.as_deref().unwrap())
        .collect();
    assert_eq!(contents[..4], [b"1", b"2", b"3", b"4"]);
}

#[test]
fn an_attachment_without_readable_data_is_unreadable_not_left_out() {
    let nodes = message(
        "s",
        "b",
        vec![
            attachment(0, "missing.zip", Vec::new()),
            file(1, "damaged.zip", patients_zip()),
            attachment(
                2,
                "object",
                vec![Node::Storage(
                    "__substg1.0_3701000D",
                    vec![Node::Stream("CONTENTS", vec![1; 10])],
                )],
            ),
            file(3, "good.csv", b"ok".to_vec()),
        ],
    );
    let bytes = msg(&nodes);
    // The data stream of the second attachment starts past the file.
    let damaged = {
        let at = entry_at(&bytes, "__substg1.0_37010102");
        let mut bytes = bytes.clone();
        // The first data stream in the directory is the damaged zip's (the first
        // attachment has none).
        bytes[at + 116..at + 120].copy_from_slice(&0x0fff_fff0u32.to_le_bytes());
        bytes
    };
    let tables = read(&damaged);
    assert_eq!(
        tables[1..],
        [
            ("missing.zip".to_owned(), Err(NO_DATA)),
            ("damaged.zip".to_owned(), Err(DAMAGED_ATTACHMENT)),
            ("object".to_owned(), Err(OLE_OBJECT)),
            ("good.csv".to_owned(), Ok(b"ok".to_vec())),
        ]
    );
    // An attachment by reference has no data, and is no member.
    let by_reference = Node::Storage(
        "__attach_version1.0_#00000000",
        vec![
            properties(8, &[(0x3705_0003, 2)]),
            unicode("3707", "on the share.xlsx"),
        ],
    );
    let tables = read(&msg(&message("s", "b", vec![by_reference])));
    assert_eq!(names(&tables), [MESSAGE]);
    // A damaged body makes the message's text unreadable, the attachments still read.
    let at = entry_at(&bytes, "__substg1.0_1000001F");
    let mut bad_body = bytes.clone();
    bad_body[at + 116..at + 120].copy_from_slice(&0x0fff_fff0u32.to_le_bytes());
    let tables = read(&bad_body);
    assert_eq!(tables[0], (MESSAGE.to_owned(), Err(DAMAGED_TEXT)));
    assert_eq!(tables.len(), 5);
}

#[test]
fn only_a_compound_file_with_message_properties_is_a_message() {
    assert!(!is_msg(XLS));
    assert!(!is_msg(&msg(&[unicode("0037", "no properties stream")])));
    assert!(!is_msg(&msg(&[properties(32, &[])])));
    assert!(!is_msg(&msg(&[Node::Storage(
        "__properties_version1.0",
        vec![unicode("0037", "a storage")]
    )])));
    // Properties only below the root: an attachment's, not a message's.
    assert!(!is_msg(&msg(&[Node::Storage(
        "x",
        vec![properties(8, &[]), unicode("0037", "s")]
    )])));
    assert!(is_msg(&msg(&[properties(32, &[]), unicode("0037", "s")])));
    assert!(!is_msg(b""));
    assert_eq!(tables(b"not a message", &mut BIG.clone()), Err(DAMAGED));
    // A workbook is still read as one.
    assert!(crate::source::xls::is_xls(XLS));
}

#[test]
fn members_are_charged_to_the_budget() {
    let bytes = referral();
    let zip_len = patients_zip().len() as u64;
    assert_eq!(tables(&bytes, &mut zip_len.clone()), Err(OVER_BUDGET));
    let mut left = BIG;
    let tables = tables(&bytes, &mut left).unwrap();
    let members: u64 = tables
        .iter()
        .map(|(_, b)| b.as_ref().map_or(0, Vec::len) as u64)
        .sum();
    assert!(BIG - left >= members, "{} spent for {members}", BIG - left);
}

/// Every tree link of the referral pointed at every entry (loops, storages that are their
/// own children, a child that is the root) reads without a panic, each entry at most once.
#[test]
fn directory_trees_that_loop_never_panic() {
    let bytes = referral();
    let entries = [
        "Root Entry",
        "__attach_version1.0_#00000000",
        "__recip_version1.0_#00000001",
        "__substg1.0_0037001F",
    ];
    for name in entries {
        for link in [Link::Left, Link::Right, Link::Child] {
            for to in 0..24 {
                let bytes = relink(&bytes, name, link, to);
                let _ = is_msg(&bytes);
                if let Ok(tables) = tables(&bytes, &mut BIG.clone()) {
                    assert!(tables.len() <= 3, "{name} {to}: {:?}", names(&tables));
                }
            }
        }
    }
    // The attachment storage as its own child, and the root as it: it has no children.
    let storage = "__attach_version1.0_#00000000";
    let id = File::open(&bytes)
        .unwrap()
        .child(ROOT_ID, storage)
        .unwrap()
        .id();
    for to in [id, ROOT_ID] {
        let looped = relink(&bytes, storage, Link::Child, to);
        let tables = tables(&looped, &mut BIG.clone()).unwrap();
        assert_eq!(
            tables[1..],
            [("attachment-1".to_owned(), Err(NO_DATA))],
            "{to}"
        );
    }
}

#[test]
fn truncated_and_mutated_messages_never_panic() {
    let small = msg(&message(
        "s",
        "body",
        vec![
            recipient(0, "R", "r@x"),
            file(0, "a.txt", b"abc".to_vec()),
            embedded(1, "m", message("t", "u", vec![file(0, "b", b"d".to_vec())])),
        ],
    ));
    crate::source::damage::read_every_damage(&small, BIG, (is_msg, tables));
    let bytes = referral();
    let mut mutated = bytes.clone();
    for end in (0..bytes.len()).step_by(61) {
        let _ = tables(&bytes[..end], &mut BIG.clone());
    }
    for at in (0..bytes.len()).step_by(7) {
        for flip in [0x01, 0x80, 0xff] {
            mutated[at] ^= flip;
            let _ = is_msg(&mutated);
            let _ = tables(&mutated, &mut (1 << 16));
            mutated[at] ^= flip;
        }
    }
}

/// A message with `n` recipients and `n` attachments (each 5,000 bytes, past the mini
/// stream).
fn wide(n: usize) -> Vec<u8> {
    let mut rest = Vec::new();
    for i in 0..n {
        rest.push(recipient(i, &format!("Patient {i}"), "p@example.org"));
        rest.push(file(i, &format!("{i}.txt"), vec![b'a'; 5000]));
        rest.push(file(n + i, &format!("{i}.csv"), vec![b'b'; 100]));
    }
    msg(&message("s", "b", rest))
}

#[test]
fn work_is_linear_in_attachments_and_recipients() {
    let work = |bytes: Vec<u8>| {
        crate::work::take();
        let tables = read(&bytes);
        (crate::work::take(), tables.len())
    };
    let ((w1, n1), (w4, n4)) = (work(wide(50)), work(wide(200)));
    assert_eq!((n1, n4), (101, 401));
    assert!(w4 >= w1 * 3 && w4 <= w1 * 9 / 2, "{w1} then {w4}");
}

/// A letter written in RTF, as Word splits it into runs, with no other body.
fn rtf_letter() -> Vec<u8> {
    let rtf = format!(
        r"{{\rtf1\ansi\ansicpg1252{{\fonttbl{{\f0 Calibri;}}}}\pard Dear colleague,\par Re: Rosa Ortega, SSN {{\insrsid1 {}\'96}}{{\b\insrsid2 {}}}\par}}",
        536, "90-4399"
    );
    msg(&[
        properties(32, &[]),
        unicode("0037", "Referral letter"),
        stream(
            "__substg1.0_10090102".into(),
            compressed_rtf(rtf.as_bytes()),
        ),
    ])
}

/// Writes the integration tests' fixtures: `tests/fixtures/msg/attached_zip.msg`, a referral
/// with a zipped patient list attached, and `rtf_body.msg`, a letter with only an RTF body.
/// `cargo test --lib source::msg::tests::write_fixture -- --ignored`.
#[test]
#[ignore = "writes the integration tests' fixture"]
fn write_fixture() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/msg/");
    std::fs::write(format!("{dir}attached_zip.msg"), referral()).unwrap();
    std::fs::write(format!("{dir}rtf_body.msg"), rtf_letter()).unwrap();
}

/// The fixtures are what the generators write.
#[test]
fn the_fixture_is_the_generators() {
    let fixture = include_bytes!("../../../tests/fixtures/msg/attached_zip.msg");
    assert!(is_msg(fixture));
    assert_eq!(read(fixture), read(&referral()));
    let fixture = include_bytes!("../../../tests/fixtures/msg/rtf_body.msg");
    assert!(is_msg(fixture));
    assert_eq!(read(fixture), read(&rtf_letter()));
    assert!(text(&read(fixture), MESSAGE).contains("SSN 536\u{2013}90-4399"));
}

/// An HTML body is read in one pass, whatever its tags: many, left open, a style or a
/// comment never closed.
#[test]
fn html_bodies_are_read_in_work_linear_in_their_size() {
    for unit in [
        "<p>a<b>1</b>",
        "<a x",
        "<style>p{}",
        "<!-- x",
        "<<<>",
        "text only ",
    ] {
        crate::work::assert_linear(unit, |n| {
            let html = unit.repeat(n);
            crate::work::take();
            let _ = html_text(&html);
            crate::work::take()
        });
    }
}
