//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

#[test]
fn stable_and_normalized() {
    let a = fingerprint(DEFAULT_KEY, "phi.ssn", "a.txt", b"536-90-4399");
    let b = fingerprint(DEFAULT_KEY, "phi.ssn", "a.txt", b"536 90 4399");
    assert_eq!(a, b);
    assert!(a.starts_with("phi.ssn:a.txt:"));
    assert_eq!(a.rsplit(':').next().unwrap().len(), 5);
    assert_ne!(
        a,
        fingerprint(b"other key", "phi.ssn", "a.txt", b"536-90-4399")
    );
}

#[test]
fn twenty_bits_collide_across_many_values() {
    // The point of truncation: among 2^21 distinct SSN-shaped values at least one pair
    // shares a fingerprint, so a fingerprint never pins down a single value.
    let target = hash(DEFAULT_KEY, "phi.ssn", b"536904399");
    let collisions = (100_000_000u32..102_097_152)
        .filter(|n| hash(DEFAULT_KEY, "phi.ssn", n.to_string().as_bytes()) == target)
        .take(1)
        .count();
    assert_eq!(collisions, 1);
}
