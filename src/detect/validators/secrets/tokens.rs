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

/// Google API keys that firebase/firebase-android-sdk publishes in its examples and tests
/// (gitleaks allowlists the same keys): public, and in countless copies of that code.
const FIREBASE_SDK_EXAMPLE_KEYS: &[&[u8]] = &[
    b"AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
    b"AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM",
    b"AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
    b"AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0",
    b"AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
    b"AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c",
    b"AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
    b"AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY",
    b"AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
    b"AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ",
    b"AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
    b"AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU",
    b"AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
    b"AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE",
    b"AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
];

/// Values that documentation and tests use on purpose.
pub(crate) fn is_documentation_value(value: &[u8]) -> bool {
    ["example", "dummy", "fake", "test", "sample", "placeholder"]
        .iter()
        .any(|w| contains_word_ci(value, w.as_bytes()))
        || contains_ci(value, b"EXAMPLEKEY")
        || EMULATOR_KEYS.iter().any(|k| value.starts_with(k))
        || FIREBASE_SDK_EXAMPLE_KEYS.contains(&value)
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
/// prefix) end in a base62 CRC32 of the 30 characters before it. A token whose checksum
/// matches blocks. One whose checksum does not is either a hand-made stand-in or a token
/// cut, retyped or forged for a test; stand-ins ([`is_placeholder_token`]) are no finding,
/// the rest warn, so a reviewer sees them without the hook failing. A refresh token
/// (`ghr_`, 76 characters) and a fine-grained token (`github_pat_`) carry no checksum
/// this validator knows, and are judged as any prefixed token.
pub(super) fn github_token(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let Some(us) = v.iter().position(|&b| b == b'_') else {
        return Verdict::Reject;
    };
    let body = if v.starts_with(b"github_pat_") {
        &v[11..]
    } else {
        &v[us + 1..]
    };
    if body.len() != 36 {
        return prefixed_token(c);
    }
    if base62_crc(&body[..30]) == body[30..] {
        Verdict::accept()
    } else if is_placeholder_token(body) || all_same(&body[..30]) {
        Verdict::Reject
    } else {
        Verdict::at(Severity::Warn).with_detail("checksum does not match: cut, retyped or made up")
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
    if let Some(end) = test_mode_prefix(v) {
        return if is_stand_in_token(&v[end..]) {
            Verdict::Reject
        } else {
            Verdict::at(Severity::Info).with_detail("a test-mode key")
        };
    }
    if is_stand_in_token(v) {
        Verdict::Reject
    } else if has_typed_run(v) {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::accept()
    }
}

/// Where the prefix of a provider's test-mode key ends (`duffel_test_`, `shippo_test_`,
/// `FLWSECK_TEST-`): a `test` word within the first 16 bytes, after a `_` or `-` and before
/// another. Such a key reaches only the provider's sandbox, so it is reported at `info`, as
/// Stripe's test keys are ([`stripe_key`]); without this the word `test` made it a stand-in.
fn test_mode_prefix(v: &[u8]) -> Option<usize> {
    let head = &v[..v.len().min(16)];
    let sep = |b: u8| b == b'_' || b == b'-';
    (1..head.len().saturating_sub(4)).find_map(|i| {
        let word = &head[i..i + 4];
        (sep(head[i - 1]) && word.eq_ignore_ascii_case(b"test") && sep(head[i + 4]))
            .then_some(i + 5)
    })
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
