//! Value-safe fingerprints (DESIGN §4): `<rule>:<path>:<h>` where `h` is at most 20 bits of
//! an HMAC-SHA256 of the normalized value, or `-` for kinds whose values are too few to hash
//! safely. No line number: a fingerprint survives code moving around.
//!
//! Three properties keep a fingerprint from being turned back into its value:
//!
//! * **The key is per repository** ([`Key`]), generated at random on first use and never a
//!   constant of the (open-source) binary: whoever has the binary and a fingerprint but not
//!   the key cannot even start enumerating.
//! * **One value, one hash**: the rule is not hashed, so the same value reported by two rules
//!   (an SSN that is also MRN-shaped) carries the same bits twice; findings together never
//!   narrow a value more than one of them does. Shorter fingerprints of one value are prefixes
//!   of its longer ones.
//! * **Truncation by value space** ([`bits_for`]): a value space of 2^s keeps s - 10 bits, so
//!   each fingerprint stands for about a thousand (2^10) possible values even to someone who
//!   holds the key. Kinds with fewer than 2^22 possible values (ages, birth dates, ZIP codes,
//!   short MRNs) keep **no** bits: their fingerprint ends in `-` and a baseline counts them
//!   per file instead (a hash of 6 bits would let a baseline entry hide 1 in 64 new values).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Bits of the keyed hash kept at most.
pub const BITS: u32 = 20;

/// Fewer bits than this are not worth keeping: the value's fingerprint carries none (`-`).
pub const MIN_BITS: u32 = 12;

/// What a fingerprint with no hash bits ends in.
pub const NO_HASH: &str = "-";

/// Bytes of a generated key.
pub const KEY_BYTES: usize = 32;

/// A fingerprint key: generated per repository (and kept in its baseline or configuration),
/// or per run when nothing keeps one.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A key of the given bytes (`[report] fingerprint_key`, as written).
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Key {
        Key(bytes.into())
    }

    /// 32 random bytes from the operating system.
    ///
    /// # Errors
    ///
    /// When the system's random source cannot be read.
    pub fn random() -> crate::Result<Key> {
        use std::io::Read;
        let mut bytes = vec![0u8; KEY_BYTES];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| crate::Error::io("reading /dev/urandom for a fingerprint key", e))?;
        Ok(Key(bytes))
    }

    /// The key in hex, as a baseline's header keeps it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A key written by [`Key::to_hex`].
    pub fn from_hex(hex: &str) -> Option<Key> {
        let hex = hex.trim();
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return None;
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
            .map(Key)
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Normalizes a value: ASCII letters and digits only, upper case, so `ddd-dd-dddd` and
/// `ddd dd dddd` share a fingerprint.
pub fn normalize(value: &[u8]) -> Vec<u8> {
    normalized(value).collect()
}

/// [`normalize`]'s bytes, one by one (for a caller that keeps them without allocating).
pub fn normalized(value: &[u8]) -> impl Iterator<Item = u8> + '_ {
    value
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_uppercase)
}

/// Rules whose values have few possibilities whatever their length (about 36,500 birth
/// dates in a century; ages; five-digit ZIP codes): their fingerprints keep no bits.
pub const LOW_ENTROPY_RULES: &[&str] = &["phi.dob", "phi.age-over-89", "phi.zip"];

/// How many bits of the hash a fingerprint of `normalized` keeps so that each fingerprint
/// still stands for about a thousand (2^10) possible values: a value space of 2^s allows
/// s - 10 bits, at most [`BITS`]; under [`MIN_BITS`] none at all (a count-based kind).
pub fn bits_for(rule: &str, normalized: &[u8]) -> u32 {
    if LOW_ENTROPY_RULES.contains(&rule) {
        return 0;
    }
    let per_char = if normalized.iter().all(u8::is_ascii_digit) {
        3.32
    } else {
        5.17
    };
    let space = (normalized.len() as f64 * per_char) as u32;
    let bits = space.saturating_sub(10).min(BITS);
    if bits < MIN_BITS { 0 } else { bits }
}

/// The full keyed hash of a normalized value (the rule is not part of it: one value, one
/// hash), top 24 bits.
fn hash24(key: &Key, normalized: &[u8]) -> u32 {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0).expect("HMAC takes any key length");
    mac.update(normalized);
    let out = mac.finalize().into_bytes();
    u32::from(out[0]) << 16 | u32::from(out[1]) << 8 | u32::from(out[2])
}

/// The hash part of `value`'s fingerprint under `rule`: [`bits_for`] bits of its keyed hash
/// as 5 hex digits, or [`NO_HASH`].
pub fn hash(key: &Key, rule: &str, value: &[u8]) -> String {
    let normalized = normalize(value);
    let bits = bits_for(rule, &normalized);
    if bits == 0 {
        return NO_HASH.to_owned();
    }
    let h = hash24(key, &normalized) >> (24 - bits);
    format!("{h:05x}")
}

/// The full fingerprint `<rule>:<path>:<h>`.
pub fn fingerprint(key: &Key, rule: &str, path: &str, value: &[u8]) -> String {
    format!("{rule}:{path}:{}", hash(key, rule, value))
}

/// A fingerprint taken apart: the rule is up to the first `:`, the hash after the last one,
/// the path in between (paths may hold `:`).
pub fn split(fingerprint: &str) -> Option<(&str, &str, &str)> {
    let (rule, rest) = fingerprint.split_once(':')?;
    let (path, hash) = rest.rsplit_once(':')?;
    let hash_ok =
        hash == NO_HASH || (hash.len() == 5 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    (!rule.is_empty() && !path.is_empty() && hash_ok).then_some((rule, path, hash))
}

#[cfg(test)]
mod tests;
