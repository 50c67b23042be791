use super::{is_rtf, text};

fn read(rtf: &str) -> String {
    let mut left = 1 << 20;
    String::from_utf8(text(rtf.as_bytes(), &mut left).unwrap()).unwrap()
}

#[test]
fn only_rtf_documents_are_rtf() {
    assert!(is_rtf(b"{\\rtf1\\ansi x}"));
    assert!(!is_rtf(b"{\"rtf\": 1}"));
    assert!(!is_rtf(b" {\\rtf1}"));
}

/// Word splits a value into runs where its formatting or editing session changes; the
/// text is the runs joined, a paragraph a line.
#[test]
fn runs_split_by_formatting_are_one_text() {
    let doc = r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}{\colortbl;\red0\green0\blue0;}
{\*\generator Riched20 10.0;}\viewkind4\uc1\pard\f0\fs20 Patient SSN: {\insrsid1 999-4}{\b\insrsid2 5-6781}\par
Seen {\i today}.\par}";
    assert_eq!(read(doc), "Patient SSN: 999-45-6781\nSeen today.\n");
}

/// Characters written as control symbols and words are the characters: a Windows-1252 en
/// dash `\'96`, a `\uN` with its fallback stepped over, a surrogate pair, a non-breaking
/// space and hyphen, raw UTF-8.
#[test]
fn characters_written_as_escapes_are_read() {
    let cases = [
        (r"{\rtf1 999\'9645\'966781}", "999\u{2013}45\u{2013}6781"),
        (
            r"{\rtf1\uc1 999\u8211?45\u8211\'3f6781}",
            "999\u{2013}45\u{2013}6781",
        ),
        (
            r"{\rtf1\uc2 a\u-3913??b\uc0 c\u233 d}",
            "a\u{f0b7}bc\u{e9}d",
        ),
        (r"{\rtf1 \u-10179?\u-8694?}", "\u{1f60a}"),
        (r"{\rtf1 999\~45\_6781\-x}", "999\u{a0}45\u{2011}6781x"),
        (
            r"{\rtf1 a\tab b\cell c\row d\line e\emdash f\endash g\lquote h}",
            "a\tb\tc\nd\ne\u{2014}f\u{2013}g'h",
        ),
        (r"{\rtf1 \{x\}\\}", "{x}\\"),
        (
            "{\\rtf1 999\u{2013}45 M\u{fc}ller}",
            "999\u{2013}45 M\u{fc}ller",
        ),
        (r"{\rtf1 M\'fcller}", "M\u{fc}ller"),
        // A fallback is a character: a control symbol, a byte escape or a byte.
        (r"{\rtf1\uc1 \u8211\'96x\u8211 yz}", "\u{2013}x\u{2013}z"),
    ];
    for (doc, want) in cases {
        assert_eq!(read(doc), want, "{doc}");
    }
}

/// Tables of fonts, colours and styles, pictures, object data, `\bin` data and ignorable
/// destinations are no text; headers, footers, the document's information, hyperlinks'
/// targets and annotations are.
#[test]
fn what_is_not_shown_is_stepped_over_and_what_is_shown_is_read() {
    let doc = r#"{\rtf1{\fonttbl{\f0 Times 999-45-0001;}}{\stylesheet{\s1 Heading 999-45-0002;}}
{\info{\title Discharge for Jane Roe}{\author Dr Who}{\creatim\yr2024\mo1}}
{ \fonttbl {\f1 Arial 999-45-0006;}}{\header Ward 7\par}{\*\themedata 3939392d34352d30303033}{\*\unknown 999-45-0004}
{\pict\pngblip 3939392d34352d30303035}{\object{\*\objdata 0102}{\result shown}}
{\field{\*\fldinst {HYPERLINK "mailto:jane@example.com"}}{\fldrslt {mail}}}
\bin6 999-45x{\*\annotation note 1}body\par}"#;
    let got = read(doc);
    for hidden in ["0001", "0002", "0003", "3939", "0004", "999-45x", "0006"] {
        assert!(!got.contains(hidden), "{hidden} in {got:?}");
    }
    for shown in [
        "Discharge for Jane Roe\n",
        "Dr Who\n",
        "Ward 7\n",
        "shown",
        "mailto:jane@example.com",
        "note 1",
        "body\n",
    ] {
        assert!(got.contains(shown), "{shown:?} not in {got:?}");
    }
}

/// Unbalanced and damaged documents are read as far as they go, every prefix and flipped
/// byte without a panic.
#[test]
fn read_every_damage() {
    let doc = br"{\rtf1\ansi{\fonttbl{\f0 A;}}\uc1 Patient {\b SSN}: 999\u8211?45\'966781\par{\*\x y}\bin2 ab\~\_{{{}}}\u-10179?\u-8694?}";
    super::super::damage::read_every_damage(doc, 1 << 16, (is_rtf, text));
    let mut left = 1 << 16;
    assert!(text(b"{\\rtf1 }}}}} a {{{ b \\", &mut left).is_ok());
}

/// The text counts against the budget.
#[test]
fn the_text_is_taken_from_the_budget() {
    let doc = format!("{{\\rtf1 {}}}", "x".repeat(1000));
    let mut left = 999;
    assert!(text(doc.as_bytes(), &mut left).is_err());
    let mut left = 2000;
    assert_eq!(text(doc.as_bytes(), &mut left).unwrap().len(), 1000);
    assert_eq!(left, 1000);
}

/// One pass: 4x the document is 4x the work, whether its groups are many, deep past the
/// stack's cap, or its `\uN` fallbacks long.
#[test]
fn reading_takes_work_and_memory_linear_in_the_document() {
    for unit in [
        r"{\b 999}{\i -45-}{6781}\par ",
        r"{{{{{{{{{{a",
        r"\uc8\u8211????????x",
    ] {
        crate::work::assert_linear(unit, |n| {
            let doc = format!("{{\\rtf1 {}}}", unit.repeat(n));
            crate::work::take();
            let out = text(doc.as_bytes(), &mut u64::MAX.clone()).unwrap();
            assert!(out.len() <= doc.len() * 3 / 2);
            crate::work::take()
        });
    }
}

/// [MS-OXRTFCP] 3.1.1's example: a compressed stream with a reference into the dictionary's
/// prefix and one into its own output.
#[test]
fn compressed_rtf_is_decompressed() {
    let stream = [
        0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
        0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
        0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d,
        0x0a, 0x80, 0x0f, 0xa0,
    ];
    assert_eq!(super::PREFIX.len(), 207);
    let mut left = 1000;
    let rtf = super::decompress(&stream, &mut left).unwrap();
    assert_eq!(rtf, b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
    assert_eq!(left, 1000 - 43);
    // Stored (`MELA`): the raw size's bytes after the header.
    let mut stored = Vec::new();
    stored.extend_from_slice(&(12 + 5u32).to_le_bytes());
    stored.extend_from_slice(&5u32.to_le_bytes());
    stored.extend_from_slice(b"MELA\0\0\0\0{\\rtf}");
    assert_eq!(super::decompress(&stored, &mut 100).unwrap(), b"{\\rtf");
    // Over the budget, another kind, damage of every sort: an error, never a panic.
    assert_eq!(super::decompress(&stream, &mut 42), Err(super::OVER_BUDGET));
    let mut other = stream;
    other[8] = b'X';
    assert_eq!(
        super::decompress(&other, &mut 1000),
        Err(super::DAMAGED_COMPRESSED)
    );
    super::super::damage::read_every_damage(&stream, 1000, (|_| true, super::decompress));
}

/// A stream of references that each copy 17 bytes costs a step per byte written, and no
/// more bytes than its header's raw size are ever written.
#[test]
fn decompressing_takes_work_linear_in_the_output() {
    let work = |n: u32| {
        let mut stream = vec![0u8; 16];
        stream[4..8].copy_from_slice(&n.to_le_bytes());
        stream[8..12].copy_from_slice(b"LZFu");
        // Each reference reads from ahead of where the dictionary is written (never at it,
        // which would end the stream).
        let mut write = super::PREFIX.len();
        for _ in 0..n.div_ceil(17 * 8) {
            // A control byte of eight references, each 17 bytes long.
            let mut group = vec![0xFF];
            for _ in 0..8 {
                let from = (write + 100) % 4096;
                let word = u16::try_from(from << 4 | 0xF).unwrap();
                group.extend_from_slice(&word.to_be_bytes());
                write = (write + 17) % 4096;
            }
            stream.extend(group);
        }
        crate::work::take();
        let out = super::decompress(&stream, &mut u64::MAX.clone()).unwrap();
        assert_eq!(out.len(), n as usize);
        crate::work::take()
    };
    crate::work::assert_linear("references", |n| work(u32::try_from(n * 10).unwrap()));
}
