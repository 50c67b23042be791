//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

#[test]
fn boundary_table() {
    let cases: &[(&str, Range<usize>, bool)] = &[
        ("x 536-90-4399 y", 2..13, true),
        ("a536-90-4399", 1..12, false),
        ("1.536-90-4399", 2..13, false),
        ("536-90-4399-99", 0..11, false),
        ("536-90-4399.5", 0..11, false),
        ("536-90-4399.", 0..11, true),
        ("(536-90-4399)", 1..12, true),
    ];
    for (text, span, want) in cases {
        assert_eq!(boundary_ok(text.as_bytes(), span.clone()), *want, "{text}");
    }
}

#[test]
fn luhn_table() {
    let cases: &[(&str, bool)] = &[
        ("79927398713", true),
        ("79927398710", false),
        ("808401234567893", true),
        ("808401234567890", false),
    ];
    for (s, want) in cases {
        assert_eq!(luhn_valid(&digits(s.as_bytes())), *want, "{s}");
    }
}

#[test]
fn sequences_and_words() {
    assert!(is_sequential(&digits(b"123456")));
    assert!(is_sequential(&digits(b"654321")));
    assert!(is_sequential(&digits(b"1234567890")));
    assert!(!is_sequential(&digits(b"4471923")));
    assert!(contains_word_ci(b"AKIA_EXAMPLE_KEY", b"example"));
    assert!(!contains_word_ci(b"counterexamples", b"example"));
    assert!(all_same(b"111111111"));
    assert!(shannon_entropy(b"aaaa") < 0.01);
    assert!(shannon_entropy(b"a1B2c3D4e5F6") > 3.0);
}

#[test]
fn line_bounds_and_regions() {
    let t = b"one\r\ntwo\nthree";
    assert_eq!(line_bounds(t, 1), 0..3);
    assert_eq!(line_bounds(t, 6), 5..8);
    assert_eq!(line_bounds(t, 12), 9..14);
    let regions = [2..5, 9..12];
    assert!(!in_regions(&regions, 1));
    assert!(in_regions(&regions, 2));
    assert!(!in_regions(&regions, 5));
    assert!(in_regions(&regions, 11));
}
