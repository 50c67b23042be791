//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

#[test]
fn keyword_boundaries() {
    let cases: &[(&str, &str, bool)] = &[
        ("ssn: 1", "ssn", true),
        ("patient_ssn=1", "ssn", true),
        ("patientSsn=1", "Ssn", true),
        ("ssnValue", "ssn", true),
        ("setting", "tin", false),
        ("adobe", "dob", false),
        ("dobby", "dob", false),
        ("key=AKIAOUDOCUZRENUN7Z5J", "AKIA", true),
        ("x:ghp_abc", "ghp_", true),
        ("oid 2.16.840.1.113883.4.1\"", "2.16.840.1.113883.4.1", true),
        ("oid 2.16.840.1.113883.4.10", "2.16.840.1.113883.4.1", false),
        ("oid 12.16.840.1.113883.4.1", "2.16.840.1.113883.4.1", false),
        ("key sk-ant-api03-9xQ", "sk-ant-api03", true),
        ("GR13489410abc", "GR1348941", true),
    ];
    for (text, kw, want) in cases {
        let start = text.find(kw).unwrap();
        let got = keyword_boundary_ok(text.as_bytes(), start, start + kw.len(), kw.len() <= 4);
        assert_eq!(got, *want, "{text} / {kw}");
    }
}

#[test]
fn line_walks() {
    let t = b"a\nbb\nccc\ndddd\n";
    assert_eq!(lines_back(t, 9, 2), 2);
    assert_eq!(lines_back(t, 2, 5), 0);
    assert_eq!(lines_forward(t, 0, 0), 2);
    assert_eq!(lines_forward(t, 0, 2), 9);
    assert_eq!(lines_forward(t, 0, 9), t.len());
}
