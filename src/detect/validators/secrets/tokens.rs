//! Prefixed tokens: structure and checksums.

use crate::detect::validators::common::{all_same, contains_ci, contains_word_ci};
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;

#[cfg(test)]
mod tests;

/// Keys that vendors publish for their local emulators: the Azurite / Azure Storage Emulator
/// account key (`devstoreaccount1`) and the Azure Cosmos DB Emulator key. They open only a
/// local emulator; Microsoft's documentation prints them.
const EMULATOR_KEYS: &[&[u8]] = &[
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    b"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
];

/// Values that documentation and tests use on purpose.
pub(crate) fn is_documentation_value(value: &[u8]) -> bool {
    ["example", "dummy", "fake", "test", "sample", "placeholder"]
        .iter()
        .any(|w| contains_word_ci(value, w.as_bytes()))
        || contains_ci(value, b"EXAMPLEKEY")
        || EMULATOR_KEYS.iter().any(|k| value.starts_with(k))
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

/// The placeholders a prefixed token can still be: an obvious stand-in
/// ([`is_stand_in_token`]) or one with a typed run in it ([`has_typed_run`]).
pub(crate) fn is_placeholder_token(v: &[u8]) -> bool {
    is_stand_in_token(v) || has_typed_run(v)
}

/// Documentation words, a run of one character (`xoxb-xxxxxxxx`), or too few distinct
/// characters for random output: never a credential.
fn is_stand_in_token(v: &[u8]) -> bool {
    let mut seen = [false; 256];
    v.iter().for_each(|&b| seen[b as usize] = true);
    let distinct = seen.iter().filter(|&&s| s).count();
    is_documentation_value(v)
        || super::generic::longest_run(v) >= 6
        || distinct < (v.len() / 4).clamp(4, 10)
        || contains_ci(v, b"example")
        || contains_ci(v, b"xxxx")
        || contains_ci(v, b"0000000")
}

/// A typed run (`1234567`, `abcdefg`): usually a stand-in, sometimes a hand-made key.
fn has_typed_run(v: &[u8]) -> bool {
    contains_ci(v, b"1234567") || contains_ci(v, b"abcdefg")
}

/// A token with a provider prefix (`glpat-`, `xoxb-`, `npm_`, `SG.`): the prefix already makes
/// it specific, so only stand-ins are rejected; one with a typed run in its body
/// (`dop_v1_1234567890abcdef…`) warns, as a generic literal does.
pub(super) fn prefixed_token(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if is_stand_in_token(v) {
        Verdict::Reject
    } else if has_typed_run(v) {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::accept()
    }
}

/// Stripe keys: live keys (`sk_live_`, `rk_live_`) block; test-mode keys (`sk_test_`,
/// `rk_test_`) only reach a sandbox with no real money or customer data, so they are reported
/// at `info` (visible, never failing a hook).
pub(super) fn stripe_key(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if is_placeholder_token(&v[8.min(v.len())..]) {
        return Verdict::Reject;
    }
    if contains_ci(v, b"_test_") {
        Verdict::at(Severity::Info)
    } else {
        Verdict::accept()
    }
}

/// AWS secret access key: 40 characters of base64 next to a secret-key name. Real keys mix
/// upper- and lowercase; 40 hex characters are a SHA-1, not a key. The documentation key
/// (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`) is public.
pub(super) fn aws_secret_key(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    if !(upper && lower) || v.iter().all(u8::is_ascii_hexdigit) || is_placeholder_token(v) {
        return Verdict::Reject;
    }
    if crate::detect::validators::common::shannon_entropy(v) < 4.0 {
        return Verdict::Reject;
    }
    Verdict::accept()
}
