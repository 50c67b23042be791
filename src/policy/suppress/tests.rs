//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

#[test]
fn markers_table() {
    use Category::{Phi, Secret};
    let cases: &[(&str, &str, Category, bool)] = &[
        ("x = 1 # phiguard:allow fixture", "1", Phi, true),
        ("# phiguard:allow fixture\nx = 1", "1", Phi, true),
        ("  // phiguard:allow: fixture data\nx = 1", "1", Phi, true),
        (
            "<!-- phiguard:allow spec example -->\nx = 1",
            "1",
            Phi,
            true,
        ),
        ("# phiguard:allow fixture\n\nx = 1", "1", Phi, false),
        // A reason is required.
        ("x = 1 # phiguard:allow", "1", Phi, false),
        ("x = 1 /* phiguard:allow */", "1", Phi, false),
        ("# phiguard:allow\nx = 1", "1", Secret, false),
        // A trailing marker covers its own line, not the next one.
        ("k = 0 # gitleaks:allow\nx = 1", "1", Secret, false),
        ("k = 0 # phiguard:allow old key\nx = 1", "1", Secret, false),
        // Other scanners' markers: secrets only.
        ("x = 1 // gitleaks:allow", "1", Secret, true),
        ("x = 1 // gitleaks:allow", "1", Phi, false),
        ("# gitleaks:allow\nx = 1", "1", Secret, true),
        ("# gitleaks:allow\nx = 1", "1", Phi, false),
        ("x = 1 # pragma: allowlist secret", "1", Secret, true),
        ("x = 1 # trufflehog:ignore", "1", Secret, true),
        ("x = 1", "1", Secret, false),
    ];
    for (text, needle, category, want) in cases {
        let off = text.rfind(needle).unwrap();
        assert_eq!(
            inline_allowed(text.as_bytes(), off, *category),
            *want,
            "{text:?} {category:?}"
        );
    }
}

#[test]
fn the_line_answer_is_kept_for_the_line_only() {
    let text = b"a = 1 # phiguard:allow demo data\nb = 2\nc = 3 # gitleaks:allow\n";
    let mut lines = Lines::default();
    assert!(lines.allowed(text, 4, Category::Phi));
    assert!(lines.allowed(text, 0, Category::Phi));
    assert!(!lines.allowed(text, 38, Category::Phi));
    assert!(!lines.allowed(text, 44, Category::Phi));
    assert!(lines.allowed(text, 44, Category::Secret));
}
