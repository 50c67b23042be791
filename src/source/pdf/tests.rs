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
        page_text(&PAGE[..n], &mut out);
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
