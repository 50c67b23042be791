//! Value-safe fingerprints (DESIGN §4): `<rule>:<path>:<h>` where `h` is 20 bits of an
//! HMAC-SHA256 of the normalized value. 20 bits means every fingerprint is shared by about a
//! thousand possible SSNs, so a fingerprint cannot be brute-forced back into a value, while a
//! baseline entry still almost never matches a different value in the same file. No line
//! number: the fingerprint survives code moving around.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The key used when the configuration sets none.
pub const DEFAULT_KEY: &[u8] = b"phiguard fingerprint v1";

/// Bits of the keyed hash kept in a fingerprint.
pub const BITS: u32 = 20;

/// Normalizes a value: ASCII letters and digits only, upper case, so `ddd-dd-dddd` and
/// `ddd dd dddd` share a fingerprint.
pub fn normalize(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_uppercase)
        .collect()
}

/// Rules whose values have few possibilities whatever their length (about 36,500 birth
/// dates in a century; ages; five-digit ZIP codes): their fingerprints keep 6 bits.
const LOW_ENTROPY_RULES: &[&str] = &["phi.dob", "phi.age-over-89", "phi.zip"];

/// How many bits of the hash a fingerprint of `normalized` may keep so that each fingerprint
/// still stands for about a thousand (2^10) possible values: a value space of 2^s allows
/// s - 10 bits, at most [`BITS`], at least 6.
pub fn bits_for(rule: &str, normalized: &[u8]) -> u32 {
    if LOW_ENTROPY_RULES.contains(&rule) {
        return 6;
    }
    let per_char = if normalized.iter().all(u8::is_ascii_digit) {
        3.32
    } else {
        5.17
    };
    let space = (normalized.len() as f64 * per_char) as u32;
    space.saturating_sub(10).clamp(6, BITS)
}

/// The keyed hash of `value` under `rule` (at most 20 bits, see [`bits_for`]), as 5 hex
/// digits.
pub fn hash(key: &[u8], rule: &str, value: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(rule.as_bytes());
    mac.update(&[0]);
    let normalized = normalize(value);
    mac.update(&normalized);
    let out = mac.finalize().into_bytes();
    let bits = bits_for(rule, &normalized);
    let h = (u32::from(out[0]) << 16 | u32::from(out[1]) << 8 | u32::from(out[2])) >> (24 - bits);
    format!("{h:05x}")
}

/// The full fingerprint `<rule>:<path>:<h>`.
pub fn fingerprint(key: &[u8], rule: &str, path: &str, value: &[u8]) -> String {
    format!("{rule}:{path}:{}", hash(key, rule, value))
}

#[cfg(test)]
mod tests;
