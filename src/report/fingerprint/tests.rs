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

#[test]
fn bits_follow_the_value_space() {
    let cases: &[(&str, &str, u32)] = &[
        ("phi.ssn", "536904399", 19),
        ("phi.phone", "3128674421", 20),
        ("phi.mrn", "4471923", 13),
        ("phi.mrn", "44719", 6),
        ("phi.dob", "04121961", 6),
        ("phi.zip", "62704", 6),
        ("secret.aws.access-key-id", "AKIAOUDOCUZRENUN7Z5J", 20),
    ];
    for (rule, v, want) in cases {
        assert_eq!(bits_for(rule, v.as_bytes()), *want, "{rule} {v}");
    }
}

#[test]
fn a_birth_date_cannot_be_recovered_from_its_fingerprint() {
    // The attack from the review: hash every date of a century and keep those matching.
    let target = hash(DEFAULT_KEY, "phi.dob", b"04/12/1961");
    let mut matches = 0;
    for y in 1900..2026 {
        for m in 1..=12 {
            for d in 1..=31 {
                let v = format!("{m:02}/{d:02}/{y}");
                matches += usize::from(hash(DEFAULT_KEY, "phi.dob", v.as_bytes()) == target);
            }
        }
    }
    assert!(matches >= 300, "only {matches} dates share the fingerprint");
}
