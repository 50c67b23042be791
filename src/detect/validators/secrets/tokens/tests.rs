use super::*;

#[test]
fn crc_known_vector() {
    // crc32("") == 0 -> "000000"; crc32("a") == 0xE8B7BE43 == 3904355907.
    assert_eq!(&base62_crc(b""), b"000000");
    let mut n: u64 = 3_904_355_907;
    let mut s = Vec::new();
    while n > 0 {
        s.push(B62[(n % 62) as usize]);
        n /= 62;
    }
    s.reverse();
    assert_eq!(base62_crc(b"a").to_vec(), s);
}

#[test]
fn documentation_values() {
    assert!(is_documentation_value(b"AKIAIOSFODNN7EXAMPLE"));
    assert!(is_documentation_value(b"my_fake_token"));
    assert!(!is_documentation_value(b"AKIAQYLPMN5HFIQR7XYZ"));
}

#[test]
fn placeholder_token_table() {
    let cases: &[(&str, bool)] = &[
        ("glpat-xxxxxxxxxxxxxxxxxxxx", true),
        (
            "xoxb-000000000000-0000000000000-aaaaaaaaaaaaaaaaaaaaaaaa",
            true,
        ),
        ("npm_EXAMPLEtokenNotReal0000000000000000", true),
        ("sk_live_1234567890abcdefghij", true),
        ("glpat-3kF9qLm2ZxR7vT4wYp8N", false),
        ("npm_Z8c3Qn2LrV7xW1pK5tY9mB4hJ6dF0sG2aE3u", false),
    ];
    for (v, want) in cases {
        assert_eq!(is_placeholder_token(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn test_mode_prefixes() {
    assert_eq!(test_mode_prefix(b"duffel_test_6fzqz5cskr"), Some(12));
    assert_eq!(test_mode_prefix(b"FLWSECK_TEST-29b6d3711"), Some(13));
    assert_eq!(test_mode_prefix(b"shippo_live_0123456789"), None);
    assert_eq!(test_mode_prefix(b"glpat-testing12345678"), None);
    assert_eq!(test_mode_prefix(b"xoxb-1234-5678-a_test_b"), None);
}
