use super::*;
use std::io::Write;

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// A one-page PDF whose content stream is `data` under the filter list `filter` (empty for
/// none).
pub(in crate::source) fn pdf_of(data: &[u8], filter: &str) -> Vec<u8> {
    let mut b = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
    b.extend(b"2 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" /Filter {filter}")
    };
    b.extend(format!("3 0 obj\n<< /Length {}{filter} >>\nstream\n", data.len()).as_bytes());
    b.extend(data);
    b.extend(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    b
}

fn text_of(pdf: &[u8]) -> String {
    String::from_utf8(text(pdf, &mut (1 << 20)).unwrap()).unwrap()
}

const PAGE: &[u8] = b"BT /F1 11 Tf 72 720 Td (Referral for Rosa Ortega) Tj 0 -20 Td \
[(Patient SSN: 536) -20 (-90-4399) -350 (MRN:) -250 (700001)] TJ T* (caf\\351 \\(a\\) b\\\\c) Tj \
72 0 Td (same line) Tj ET";

#[test]
fn the_text_a_page_draws_is_read_a_line_per_line() {
    let want =
        "Referral for Rosa Ortega\nPatient SSN: 536-90-4399 MRN: 700001\ncafé (a) b\\c same line\n";
    assert_eq!(text_of(&pdf_of(PAGE, "")), want);
    assert_eq!(text_of(&pdf_of(&deflate(PAGE), "/FlateDecode")), want);
    // ReportLab's default: ASCII85 over deflate.
    let a85 = ascii85_encode(&deflate(PAGE));
    assert_eq!(
        text_of(&pdf_of(&a85, "[ /ASCII85Decode /FlateDecode ]")),
        want
    );
    // Hex strings, and images left alone.
    assert_eq!(text_of(&pdf_of(b"BT <53534E3A20> Tj ET", "")), "SSN:\n");
    assert_eq!(text_of(&pdf_of(b"(x) Tj", "/DCTDecode")), "");
}

#[test]
fn damaged_encrypted_and_expanding_pdfs_are_errors_not_panics() {
    let mut damaged = deflate(PAGE);
    damaged[5] ^= 0xff;
    damaged.truncate(12);
    assert!(text(&pdf_of(&damaged, "/FlateDecode"), &mut (1 << 20)).is_err());
    let mut enc = pdf_of(PAGE, "");
    enc.extend(b"trailer << /Encrypt 9 0 R >>");
    assert!(text(&enc, &mut (1 << 20)).is_err());
    let bomb = deflate(&vec![b' '; 1 << 20]);
    assert_eq!(
        text(&pdf_of(&bomb, "/FlateDecode"), &mut 4096),
        Err(OVER_BUDGET)
    );
    // Truncated anywhere, it never panics.
    let whole = pdf_of(&deflate(PAGE), "/FlateDecode");
    for n in 0..whole.len() {
        let _ = text(&whole[..n], &mut (1 << 20));
    }
    for n in 0..PAGE.len() {
        let mut out = Vec::new();
        page_text(&PAGE[..n], &Fonts::default().of_stream(None), &mut out);
    }
    // A document with two-byte fonts, cut anywhere.
    let pages = [(
        3,
        format!("BT /F1 11 Tf {} Tj ET", codes("SSN 536-90-4399", 3)),
    )];
    for packed in [false, true] {
        let whole = cid_pdf(&pages, packed);
        for n in 0..whole.len() {
            let _ = text(&whole[..n], &mut (1 << 20));
        }
    }
}

/// ASCII85 as ReportLab writes it (`z` for zero groups, `~>` at the end).
fn ascii85_encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut four = [0u8; 4];
        four[..chunk.len()].copy_from_slice(chunk);
        let mut v = u32::from_be_bytes(four);
        if v == 0 && chunk.len() == 4 {
            out.push(b'z');
            continue;
        }
        let mut five = [0u8; 5];
        for d in five.iter_mut().rev() {
            *d = (v % 85) as u8 + b'!';
            v /= 85;
        }
        out.extend(&five[..chunk.len() + 1]);
    }
    out.extend(b"~>");
    out
}

/// Counted work is linear on the shapes that could make it otherwise: many `stream` words
/// (each looks back for its dictionary), many strings before one operator, many arrays.
#[test]
fn reading_a_pdf_is_linear_in_its_size() {
    let work = |pdf: &[u8]| {
        crate::work::take();
        let _ = text(pdf, &mut (1 << 30));
        crate::work::take()
    };
    let shapes: [(&[u8], &[u8], &[u8]); 4] = [
        (b"%PDF-1.4\n", b"stream\n", b""),
        (
            b"%PDF-1.4\n",
            b"1 0 obj << >> stream\nBT (a) (b) [(c) -300 (d)] TJ ET\nendstream\n",
            b"",
        ),
        (
            b"%PDF-1.4\n1 0 obj << >> stream\nBT ",
            b"[[[(x) ",
            b"] TJ ET\nendstream\n",
        ),
        (
            b"%PDF-1.4\n1 0 obj << >> stream\nBT ",
            b"(x) ] ",
            b"Tj ET\nendstream\n",
        ),
    ];
    for (head, unit, tail) in shapes {
        let one = [head, &unit.repeat(2_000), tail].concat();
        let four = [head, &unit.repeat(8_000), tail].concat();
        let (w1, w4) = (work(&one), work(&four));
        assert!(w1 > 0 && w4 <= 4 * w1 + 64, "{w1} {w4}");
    }
}

/// A planted `stream` word with no `endstream` until the file's last one (or a planted image
/// stream) must not make the real text streams after it part of its data, skipped.
#[test]
fn a_planted_stream_word_hides_no_stream_after_it() {
    let real = pdf_of(&deflate(PAGE), "/FlateDecode");
    for planted in [
        b"%PDF-1.4\n% stream\n".as_slice(),
        b"%PDF-1.4\n9 0 obj << >> stream\n".as_slice(),
        b"%PDF-1.4\n9 0 obj << /Subtype /Image >> stream\n".as_slice(),
    ] {
        let pdf = [planted, &real[9..]].concat();
        assert!(
            text_of(&pdf).contains("Patient SSN: 536-90-4399"),
            "{}",
            String::from_utf8_lossy(planted)
        );
    }
}

/// A `ToUnicode` CMap mapping the two-byte codes from `first` on to the characters from
/// space to `z`, partly by a range and partly code by code.
fn cmap_of(first: u16) -> String {
    let last = first + (b'z' - b' ') as u16;
    // `0`-`9` (codes from first + 16) also listed one by one, as office software does.
    let chars: String = (0..10u16)
        .map(|d| format!("<{:04X}> <{:04X}>\n", first + 16 + d, 0x30 + d))
        .collect();
    format!(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n10 beginbfchar\n{chars}endbfchar\n1 beginbfrange\n<{first:04X}> <{last:04X}> <0020>\nendbfrange\nendcmap\nend\nend\n"
    )
}

/// `text` as the hex string of its two-byte codes under [`cmap_of`]`(first)`.
fn codes(text: &str, first: u16) -> String {
    let hex: String = text
        .bytes()
        .map(|b| format!("{:04X}", first + u16::from(b - b' ')))
        .collect();
    format!("<{hex}>")
}

/// Object `n`: a stream holding `bytes` deflated, `dict` (entries and a space, or nothing)
/// in its dictionary before its length and filter.
fn flate_object(n: impl std::fmt::Display, dict: &str, bytes: &[u8]) -> Vec<u8> {
    let data = deflate(bytes);
    let mut out = format!(
        "{n} 0 obj\n<< {dict}/Length {} /Filter /FlateDecode >>\nstream\n",
        data.len()
    )
    .into_bytes();
    out.extend(&data);
    out.extend(b"\nendstream\nendobj\n");
    out
}

/// A PDF of `pages`, each `(first code of its font's map, its content stream)`, every font
/// named `/F1` in its own page's resources (Type0, `Identity-H`, with a `ToUnicode` map, as
/// Word, Chrome and fpdf2 write them). With `packed`, the page, resource and font objects are
/// in a deflated object stream, as PDF 1.5 writers put them.
fn cid_pdf(pages: &[(u16, String)], packed: bool) -> Vec<u8> {
    let mut objects: Vec<(u32, String)> = Vec::new(); // dictionaries that may be packed
    let mut streams: Vec<(u32, Vec<u8>)> = Vec::new();
    let kids: Vec<String> = (0..pages.len())
        .map(|k| format!("{} 0 R", 10 + 10 * k))
        .collect();
    objects.push((1, "<< /Type /Catalog /Pages 2 0 R >>".into()));
    objects.push((
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        ),
    ));
    for (k, (first, content)) in pages.iter().enumerate() {
        let base = 10 + 10 * k as u32;
        objects.push((base, format!("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 {} 0 R >> >> /Contents {} 0 R >>", base + 1, base + 2)));
        objects.push((base + 1, format!("<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Font{k} /Encoding /Identity-H /DescendantFonts [{} 0 R] /ToUnicode {} 0 R >>", base + 4, base + 3)));
        objects.push((
            base + 4,
            format!("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+Font{k} >>"),
        ));
        streams.push((base + 2, content.as_bytes().to_vec()));
        streams.push((base + 3, cmap_of(*first).into_bytes()));
    }
    let mut out = b"%PDF-1.5\n".to_vec();
    if packed {
        let mut header = String::new();
        let mut body = String::new();
        for (n, dict) in &objects {
            header.push_str(&format!("{n} {} ", body.len()));
            body.push_str(dict);
            body.push('\n');
        }
        let dict = format!(
            "/Type /ObjStm /N {} /First {} ",
            objects.len(),
            header.len() + 1
        );
        out.extend(flate_object(
            90,
            &dict,
            format!("{header}\n{body}").as_bytes(),
        ));
    } else {
        for (n, dict) in &objects {
            out.extend(format!("{n} 0 obj\n{dict}\nendobj\n").as_bytes());
        }
    }
    for (n, bytes) in &streams {
        out.extend(flate_object(n, "", bytes));
    }
    out.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

/// Issue 20's PDFs were read only through their simple fonts: a letter saved from Word or
/// Chrome draws glyph numbers through a `ToUnicode` map, and read as bytes it held nothing.
/// Each page's `/F1` is read through its own page's map (two different maps here, the same
/// name), in objects written out or packed in an object stream.
#[test]
fn text_drawn_with_two_byte_fonts_is_read_through_their_unicode_maps() {
    let page = |first: u16, lines: [&str; 2]| {
        format!(
            "BT /F1 11 Tf 72 720 Td {} Tj 0 -20 Td [{} -20 {}] TJ ET",
            codes(lines[0], first),
            codes(&lines[1][..10], first),
            codes(&lines[1][10..], first)
        )
    };
    let pages = [
        (
            3,
            page(3, ["Referral for Rosa Ortega", "Patient SSN 536-90-4399"]),
        ),
        (
            0x100,
            page(0x100, ["Page two", "MRN 700001 DOB 1961-04-12"]),
        ),
    ];
    let want =
        "Referral for Rosa Ortega\nPatient SSN 536-90-4399\nPage two\nMRN 700001 DOB 1961-04-12\n";
    for packed in [false, true] {
        assert_eq!(text_of(&cid_pdf(&pages, packed)), want, "packed: {packed}");
    }
    // Without its map a font's strings are read as bytes, as before: not the text.
    let unmapped = String::from_utf8(cid_pdf(&pages, false))
        .unwrap_or_default()
        .replace("/ToUnicode", "/NoUnicode");
    assert!(!text_of(unmapped.as_bytes()).contains("536-90"));
}

/// A map's ranges are kept as ranges, and a document of many pages through one map is read
/// in work linear in its size.
#[test]
fn reading_text_through_unicode_maps_is_linear_in_its_size() {
    let work = |pages: usize| {
        let page = (
            3,
            format!("BT /F1 11 Tf {} Tj ET", codes("Patient SSN 536-90-4399", 3)),
        );
        let pdf = cid_pdf(&vec![page; pages], false);
        crate::work::take();
        let text = text(&pdf, &mut (1 << 26)).unwrap();
        assert_eq!(text.len(), pages * "Patient SSN 536-90-4399\n".len());
        crate::work::take()
    };
    let (w1, w4) = (work(50), work(200));
    assert!(w4 * 10 <= w1 * 46, "{w1} steps for 50 pages, {w4} for 200");
    // A map of a few bytes covering every two-byte code holds its ranges, not their codes.
    let tiny = "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n2 beginbfrange\n<0000> <FFFF> <0020>\n<0100> <01FF> [<0041> <0042>]\nendbfrange\n";
    let cmap = CMap::parse(tiny.as_bytes());
    assert_eq!((cmap.ranges.len(), cmap.chars.len()), (1, 2));
    let mut out = Vec::new();
    cmap.decode(&[0x00, 0x21, 0x01, 0x01, 0x00, 0x2a], &mut out);
    assert_eq!(out, b"ABJ");
}

/// A report's title, author, subject and keywords (in its information dictionary, in
/// PDFDocEncoding or UTF-16, and in its XMP packet) are text of the document too: fpdf2
/// writes the title it is given, and a title naming the patient got past every gate.
#[test]
fn a_pdf_title_keywords_and_xmp_metadata_are_read() {
    let mut pdf = pdf_of(&deflate(PAGE), "/FlateDecode");
    let end = pdf.len() - b"trailer\n<< /Root 1 0 R >>\n%%EOF\n".len();
    let title: Vec<u8> = "Referral, Mateo Núñez"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let title_hex: String = title.iter().map(|b| format!("{b:02X}")).collect();
    let xmp = b"<x:xmpmeta><dc:title>Patient 536-90-4399</dc:title></x:xmpmeta>";
    let mut tail = format!(
        "4 0 obj\n<< /Author (Dr. Haddad) /Subject (MRN 700001) /Title <FEFF{title_hex}> /TitleX (no) >>\nendobj\n5 0 obj\n<< /Type /Metadata /Subtype /XML /Length {} >>\nstream\n",
        xmp.len()
    )
    .into_bytes();
    tail.extend(xmp);
    tail.extend(b"\nendstream\nendobj\n");
    pdf.splice(end..end, tail);
    let text = text_of(&pdf);
    assert!(text.starts_with("Referral for Rosa Ortega\n"), "{text}");
    for line in [
        "Title: Referral, Mateo Núñez\n",
        "Author: Dr. Haddad\n",
        "Subject: MRN 700001\n",
        "<dc:title>Patient 536-90-4399</dc:title>",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(!text.contains("TitleX"));
    // An image naming its metadata is no metadata: it stays unread, as images are.
    let mut pdf = pdf_of(&deflate(PAGE), "/FlateDecode");
    let end = pdf.len() - b"trailer\n<< /Root 1 0 R >>\n%%EOF\n".len();
    let image = flate_object(
        6,
        "/Type /XObject /Subtype /Image /Metadata 7 0 R ",
        b"Patient 219-45-0011 in pixels",
    );
    pdf.splice(end..end, image);
    assert!(!text_of(&pdf).contains("219-45"));
}

/// Pages that share one resources object (and one font dictionary) read it once: with as
/// many pages as fonts, reading it per page was work in the square of the document's size.
#[test]
fn shared_resources_are_read_once_however_many_pages_name_them() {
    let work = |n: usize| {
        let fonts: String = (0..n).map(|k| format!("/F{k} 7 0 R ")).collect();
        let mut pdf = format!(
            "%PDF-1.7\n5 0 obj\n<< /Font 6 0 R >>\nendobj\n6 0 obj\n<< {fonts}>>\nendobj\n7 0 obj\n<< /Type /Font /Subtype /Type0 /ToUnicode 8 0 R >>\nendobj\n"
        )
        .into_bytes();
        pdf.extend(flate_object(8, "", cmap_of(3).as_bytes()));
        for p in 0..n {
            let content = format!("BT /F{p} 9 Tf {} Tj ET", codes("SSN 536-90-4399", 3));
            pdf.extend(
                format!(
                    "{} 0 obj\n<< /Type /Page /Resources 5 0 R /Contents {} 0 R >>\nendobj\n",
                    100 + 2 * p,
                    101 + 2 * p
                )
                .as_bytes(),
            );
            pdf.extend(flate_object(101 + 2 * p, "", content.as_bytes()));
        }
        crate::work::take();
        let text = text(&pdf, &mut (1 << 26)).unwrap();
        assert_eq!(text.len(), n * "SSN 536-90-4399\n".len());
        crate::work::take()
    };
    let (w1, w4) = (work(100), work(400));
    assert!(w4 * 10 <= w1 * 46, "{w1} steps for 100 pages, {w4} for 400");
}
