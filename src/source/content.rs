//! What content is: text, binary or a DICOM file, UTF-16 decoded when it validates, and an
//! old version's text as it was scanned when it was new.

/// What a byte buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text to scan.
    Text,
    /// Binary: skipped.
    Binary,
    /// A DICOM file (`DICM` at offset 128): medical imaging, itself PHI.
    Dicom,
}

/// Classifies content: DICOM by its preamble, binary by a NUL byte in the first 8 KiB (git's
/// own heuristic).
pub fn classify(bytes: &[u8]) -> Kind {
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        return Kind::Dicom;
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        Kind::Binary
    } else {
        Kind::Text
    }
}

/// UTF-16 text as UTF-8. With a byte-order mark (and a NUL somewhere) it is UTF-16 whatever
/// it holds: a unit that is no character (a lone surrogate, an odd last byte) is decoded as
/// U+FFFD, as an editor shows it, and the rest is read; a lone surrogate made such a file
/// unscannable, passed by every local hook with a note. Without one, it is UTF-16 when its
/// NUL bytes say so (every other byte NUL, as in Latin-script UTF-16) and it validates (an
/// even length, well-formed surrogate pairs); when it does not validate it is binary that
/// only looked like UTF-16 (a small file of 16-bit numbers), read as its text runs, which
/// hold UTF-16 runs too. `None` when it is not UTF-16.
///
/// A file starting with `FF FE` that holds no NUL is not taken for UTF-16: two bytes of
/// ASCII decode to one valid UTF-16 unit, so such a file "validates" as CJK text and every
/// value in it would vanish; it is scanned as the bytes it is.
pub fn decode_utf16(bytes: &[u8]) -> Option<Vec<u8>> {
    let nul = memchr::memchr(0, bytes).is_some();
    let (little, body, bom) = match bytes {
        [0xFF, 0xFE, rest @ ..] if nul => (true, rest, true),
        [0xFE, 0xFF, rest @ ..] if nul => (false, rest, true),
        _ if nul => (utf16_without_bom(bytes)?, bytes, false),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    if bom {
        let mut text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        if body.len() % 2 != 0 {
            text.push(char::REPLACEMENT_CHARACTER);
        }
        return Some(text.into_bytes());
    }
    if body.len() % 2 != 0 {
        return None;
    }
    let text: std::result::Result<String, _> = char::decode_utf16(units).collect();
    text.ok().map(String::into_bytes)
}

/// Whether `bytes` (with no byte-order mark) look like UTF-16: in the first 8 KiB, at least
/// 40 % of the two-byte units have a NUL in one half and almost none (under 5 %) in the
/// other. `Some(true)` little-endian, `Some(false)` big-endian.
fn utf16_without_bom(bytes: &[u8]) -> Option<bool> {
    let head = &bytes[..bytes.len().min(8192) & !1];
    let units = head.len() / 2;
    if units < 4 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let many = |n: usize| n * 10 >= units * 4;
    let few = |n: usize| n * 20 < units;
    if many(odd) && few(even) {
        Some(true)
    } else if many(even) && few(odd) {
        Some(false)
    } else {
        None
    }
}

/// Whether content with NUL bytes is still text: in the first 8 KiB, NULs are under 10 %
/// and other control bytes (not tab, line ends, form feed, escape) under 1 %. A stray NUL
/// near the start of a text file must not make it a skipped "binary".
pub(super) fn text_with_nuls(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    let controls = head
        .iter()
        .filter(|&&b| {
            b < 0x20 && b != 0 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1b)
        })
        .count();
    nuls * 10 < head.len() && controls * 100 < head.len()
}

/// An old version's text as it was scanned when it was new: itself, or decoded from UTF-16.
/// `None` for content that was never scanned as text (binary, DICOM),
/// whose lines therefore cannot count as old: a NUL byte removed must not make them pass.
pub(super) fn scanned_text(bytes: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    use std::borrow::Cow;
    let kind = classify(bytes);
    if kind == Kind::Text {
        return Some(Cow::Borrowed(bytes));
    }
    // In the order [`finish`] classifies new content.
    match decode_utf16(bytes) {
        Some(decoded) => Some(Cow::Owned(decoded)),
        None => (kind == Kind::Binary && text_with_nuls(bytes)).then_some(Cow::Borrowed(bytes)),
    }
}

/// An old version as the text runs of a new binary version are compared with: its own runs
/// when it is binary too ([`text_runs`]), else its text as [`scanned_text`] has it. Only runs
/// are compared with runs: text is never compared with an old version's runs, so a binary
/// version, whose runs may only have warned, cannot make the lines of a text one old.
pub(super) fn scanned_runs(bytes: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    if read_as_runs(bytes, classify(bytes)) && decode_utf16(bytes).is_none() {
        let runs = text_runs(bytes);
        return (!runs.is_empty()).then_some(std::borrow::Cow::Owned(runs));
    }
    scanned_text(bytes)
}

/// Whether content of kind `kind` that is not UTF-16 is read as its text runs
/// ([`text_runs`]): binary, not text with stray NULs.
pub(super) fn read_as_runs(bytes: &[u8], kind: Kind) -> bool {
    kind == Kind::Binary && !text_with_nuls(bytes)
}

/// The shortest run of text read from binary content: an SSN (11), a phone number (12) or a
/// key all fit, and random bytes seldom hold six printable ones in a row.
pub const MIN_RUN: usize = 6;

/// The text inside binary content that no reader of a format understands: each run of at
/// least [`MIN_RUN`] printable characters (ASCII, tab, or whole UTF-8 sequences), and each
/// run of as many ASCII characters in UTF-16 (a NUL beside each, as `.xls`, `.doc` and
/// Windows resources hold them), one per line, in the order they stand. SAS and Stata data
/// sets, SPSS files, pickles and uncompressed Parquet pages keep their strings as
/// plain bytes between binary numbers, and were skipped as binary with every patient in
/// them. Empty when there is no such run. Linear: each byte is looked at a bounded number of
/// times, and the runs are at most as long as the content.
pub fn text_runs(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if is_media(bytes) {
        return out;
    }
    let mut i = 0;
    while i < bytes.len() {
        // A UTF-16 run first: its first byte may be a printable one.
        let (wide, little) = utf16_len(&bytes[i..]);
        crate::work::add(wide + 1);
        if wide >= MIN_RUN {
            let units = bytes[i..i + 2 * wide].chunks_exact(2);
            out.extend(units.map(|u| if little { u[0] } else { u[1] }));
            out.push(b'\n');
            i += 2 * wide;
            continue;
        }
        let start = i;
        loop {
            // ASCII in a tight loop; a byte past it may start a UTF-8 sequence.
            i += bytes[i..]
                .iter()
                .take_while(|&&b| ASCII_TEXT[b as usize])
                .count();
            match bytes.get(i) {
                Some(&b) if b >= 0xc2 => match printable_len(&bytes[i..]) {
                    0 => break,
                    n => i += n,
                },
                _ => break,
            }
        }
        crate::work::add(i - start + 1);
        if i - start >= MIN_RUN {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\n');
        }
        i = i.max(start + 1);
    }
    out
}

/// Printable ASCII and tab: the bytes of a run of text.
const ASCII_TEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = true;
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
};

/// Compressed media by its magic bytes: images (PNG, JPEG, GIF, WebP), fonts, audio and
/// video, and compressed streams (a 7z, xz, bzip2 or zstd file is opened as an archive
/// first, and is skipped here only when it cannot be). Their bytes are
/// entropy-coded, so any run of text in them is noise; they are skipped as binary.
fn is_media(bytes: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"wOFF",
        b"wOF2",
        b"OggS",
        b"ID3",
        b"fLaC",
        b"\xfd7zXZ\0",
        b"BZh",
        b"\x28\xb5\x2f\xfd",
        b"7z\xbc\xaf\x27\x1c",
    ];
    let riff =
        |kind: &[u8]| bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == kind;
    MAGIC.iter().any(|m| bytes.starts_with(m))
        || riff(b"WEBP")
        || riff(b"WAVE")
        || riff(b"AVI ")
        || (bytes.len() >= 12 && &bytes[4..8] == b"ftyp")
}

/// The length of the printable character `rest` starts with (ASCII or tab, or one whole
/// UTF-8 sequence of a character that is not a control); 0 when it starts with none.
fn printable_len(rest: &[u8]) -> usize {
    match rest[0] {
        b'\t' | 0x20..=0x7e => 1,
        0xc2..=0xf4 => {
            let head = &rest[..rest.len().min(4)];
            let valid = match std::str::from_utf8(head) {
                Ok(s) => s,
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
            };
            valid
                .chars()
                .next()
                .filter(|c| !c.is_control())
                .map_or(0, char::len_utf8)
        }
        _ => 0,
    }
}

/// How many ASCII characters (or tabs) in UTF-16 `rest` starts with, and whether
/// little-endian (the character first, then a NUL) or big-endian.
fn utf16_len(rest: &[u8]) -> (usize, bool) {
    let ascii = |b: u8| b == b'\t' || (0x20..=0x7e).contains(&b);
    let little = match rest {
        [c, 0, ..] if ascii(*c) => true,
        [0, c, ..] if ascii(*c) => false,
        _ => return (0, false),
    };
    let n = rest
        .chunks_exact(2)
        .take_while(|u| {
            let (c, z) = if little { (u[0], u[1]) } else { (u[1], u[0]) };
            z == 0 && ascii(c)
        })
        .count();
    (n, little)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(bytes: &[u8]) -> Vec<String> {
        String::from_utf8(text_runs(bytes))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn text_runs_are_printable_stretches_of_six_or_more_in_any_of_three_encodings() {
        // ASCII between binary numbers; a short run is noise.
        let mut b = b"\x00\x01MRN700001 Rosa Ortega\x00\x07\x08abc\x00".to_vec();
        // UTF-8 letters stay in their run.
        b.extend("\x02José Peña 1961-04-12\x03".as_bytes());
        // UTF-16, little- and big-endian.
        let ssn = format!("ssn {}-{}-{}", 536, 90, 4399);
        b.extend(b"\xff\x01");
        b.extend(ssn.encode_utf16().flat_map(u16::to_le_bytes));
        b.extend(b"\xff\x02");
        b.extend("phone 617".encode_utf16().flat_map(u16::to_be_bytes));
        b.extend(b"\xff");
        assert_eq!(
            runs(&b),
            [
                "MRN700001 Rosa Ortega",
                "José Peña 1961-04-12",
                &ssn,
                "phone 617"
            ]
        );
        assert!(text_runs(b"\x00\x01\x02abc\x00de\x7f").is_empty());
        // Compressed media holds no text worth reading.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(b"\x00tEXtComment 536-90-4399\x00");
        assert!(text_runs(&png).is_empty());
    }

    /// The work is linear: counted steps for 1× and 4× the same shape of input, the worst
    /// shapes among them (UTF-16 runs one unit short, ASCII runs one byte short).
    #[test]
    fn text_runs_work_is_linear_in_the_input() {
        let steps = |bytes: &[u8]| {
            crate::work::take();
            let _ = text_runs(bytes);
            crate::work::take()
        };
        for unit in [
            b"A\0B\0C\0D\0E\0\x01".as_slice(),
            b"abcde\x01".as_slice(),
            b"\0A\0B\0C\0D\0E\x01".as_slice(),
        ] {
            let one = unit.repeat(10_000);
            let four = unit.repeat(40_000);
            assert_eq!(steps(&four), 4 * steps(&one));
        }
    }
}
