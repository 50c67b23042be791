//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

#[test]
fn markers_table() {
    let cases: &[(&str, &str, bool)] = &[
        ("x = 1 # phiguard:allow fixture", "1", true),
        ("# phiguard:allow fixture\nx = 1", "1", true),
        ("# phiguard:allow fixture\n\nx = 1", "1", false),
        ("x = 1 // gitleaks:allow", "1", true),
        ("x = 1 # pragma: allowlist secret", "1", true),
        ("x = 1 # trufflehog:ignore", "1", true),
        ("x = 1", "1", false),
    ];
    for (text, needle, want) in cases {
        let off = text.rfind(needle).unwrap();
        assert_eq!(inline_allowed(text.as_bytes(), off), *want, "{text:?}");
    }
}
