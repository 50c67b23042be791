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

/// UTF-16 text as UTF-8, when `bytes` is UTF-16 that validates: with a byte-order mark, or
/// without one when its NUL bytes say so (every other byte NUL, as in Latin-script UTF-16);
/// an even length and well-formed surrogate pairs either way. `None` when it is not UTF-16,
/// `Some(Err(()))` when it looks like UTF-16 but does not validate.
///
/// A file starting with `FF FE` that holds no NUL is not taken for UTF-16: two bytes of
/// ASCII decode to one valid UTF-16 unit, so such a file "validates" as CJK text and every
/// value in it would vanish; it is scanned as the bytes it is.
pub fn decode_utf16(bytes: &[u8]) -> Option<std::result::Result<Vec<u8>, ()>> {
    let nul = memchr::memchr(0, bytes).is_some();
    let (little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] if nul => (true, rest),
        [0xFE, 0xFF, rest @ ..] if nul => (false, rest),
        _ if nul => (utf16_without_bom(bytes)?, bytes),
        _ => return None,
    };
    if body.len() % 2 != 0 {
        return Some(Err(()));
    }
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: std::result::Result<String, _> = char::decode_utf16(units).collect();
    Some(text.map(String::into_bytes).map_err(|_| ()))
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
/// `None` for content that was never scanned as text (binary, DICOM, undecodable UTF-16),
/// whose lines therefore cannot count as old: a NUL byte removed must not make them pass.
pub(super) fn scanned_text(bytes: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    use std::borrow::Cow;
    let kind = classify(bytes);
    if kind == Kind::Text {
        return Some(Cow::Borrowed(bytes));
    }
    // In the order [`finish`] classifies new content.
    match decode_utf16(bytes) {
        Some(Ok(decoded)) => Some(Cow::Owned(decoded)),
        Some(Err(())) => None,
        None => (kind == Kind::Binary && text_with_nuls(bytes)).then_some(Cow::Borrowed(bytes)),
    }
}
