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
    assert_eq!(next_line_start(t, 3), 5);
    assert_eq!(next_line_start(t, 8), 9);
    assert_eq!(next_line_start(t, 14), 14);
    let regions = [2..5, 9..12];
    assert!(!in_regions(&regions, 1));
    assert!(in_regions(&regions, 2));
    assert!(!in_regions(&regions, 5));
    assert!(in_regions(&regions, 11));
}

/// `contains_ci` and `contains_word_ci` answer as plain window-by-window comparisons do, for
/// needles of every length (empty, longer than the text) over texts mixing cases, digits and
/// punctuation.
#[test]
fn contains_ci_agrees_with_a_plain_window_scan() {
    let plain = |hay: &[u8], needle: &[u8]| {
        !needle.is_empty()
            && hay
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
    };
    let plain_word = |hay: &[u8], needle: &[u8]| {
        !needle.is_empty()
            && hay.len() >= needle.len()
            && (0..=hay.len() - needle.len()).any(|i| {
                hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
                    && (i == 0 || !hay[i - 1].is_ascii_alphabetic())
                    && hay
                        .get(i + needle.len())
                        .is_none_or(|b| !b.is_ascii_alphabetic())
            })
    };
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b"aAbB1_|";
    for _ in 0..3000 {
        let mut text = |max: u64| -> Vec<u8> {
            let len = next() % max;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        };
        let hay = text(40);
        let needle = text(5);
        assert_eq!(
            contains_ci(&hay, &needle),
            plain(&hay, &needle),
            "{:?} in {:?}",
            String::from_utf8_lossy(&needle),
            String::from_utf8_lossy(&hay)
        );
        assert_eq!(
            contains_word_ci(&hay, &needle),
            plain_word(&hay, &needle),
            "word {:?} in {:?}",
            String::from_utf8_lossy(&needle),
            String::from_utf8_lossy(&hay)
        );
    }
}
