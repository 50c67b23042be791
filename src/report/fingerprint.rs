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

/// The 20-bit keyed hash of `value` under `rule`, as 5 hex digits.
pub fn hash(key: &[u8], rule: &str, value: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(rule.as_bytes());
    mac.update(&[0]);
    mac.update(&normalize(value));
    let out = mac.finalize().into_bytes();
    let h = (u32::from(out[0]) << 16 | u32::from(out[1]) << 8 | u32::from(out[2])) >> (24 - BITS);
    format!("{h:05x}")
}

/// The full fingerprint `<rule>:<path>:<h>`.
pub fn fingerprint(key: &[u8], rule: &str, path: &str, value: &[u8]) -> String {
    format!("{rule}:{path}:{}", hash(key, rule, value))
}

#[cfg(test)]
mod tests;
