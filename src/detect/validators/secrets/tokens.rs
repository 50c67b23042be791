//! Prefixed tokens: structure and checksums.

use crate::detect::validators::common::{all_same, contains_word_ci};
use crate::detect::validators::{Candidate, Verdict};

/// Values that documentation and tests use on purpose.
pub(crate) fn is_documentation_value(value: &[u8]) -> bool {
    ["example", "dummy", "fake", "test", "sample", "placeholder"]
        .iter()
        .any(|w| contains_word_ci(value, w.as_bytes()))
        || contains_word_ci(value, b"EXAMPLEKEY")
}

/// AWS access key id: `AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 base32 characters. The documentation
/// key `AKIAIOSFODNN7EXAMPLE` and anything ending in `EXAMPLE` is not a finding.
pub(super) fn aws_access_key_id(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if v.ends_with(b"EXAMPLE") || is_documentation_value(v) || all_same(&v[4..]) {
        return Verdict::Reject;
    }
    Verdict::accept()
}

const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Base62 of a CRC32, left-padded with `0` to 6 characters (GitHub's token checksum).
pub(crate) fn base62_crc(body: &[u8]) -> [u8; 6] {
    let mut crc = crc32fast::hash(body);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = B62[(crc % 62) as usize];
        crc /= 62;
    }
    out
}

/// GitHub tokens. New-format classic tokens (`ghp_` and friends, 36 characters after the
/// prefix) end in a base62 CRC32 of the 30 characters before it: a mismatch means the string
/// is not a real token (a hand-typed placeholder). Repeated characters are placeholders.
pub(super) fn github_token(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let Some(us) = v.iter().position(|&b| b == b'_') else {
        return Verdict::Reject;
    };
    let body = &v[us + 1..];
    if v.starts_with(b"github_pat_") {
        let tail = &v[11..];
        return if all_same(tail) || is_documentation_value(tail) {
            Verdict::Reject
        } else {
            Verdict::accept()
        };
    }
    if body.len() != 36 || all_same(&body[..30]) {
        return Verdict::Reject;
    }
    if base62_crc(&body[..30]) == body[30..] {
        Verdict::accept()
    } else {
        Verdict::Reject
    }
}

#[cfg(test)]
mod tests;
