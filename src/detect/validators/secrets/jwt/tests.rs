use super::*;

#[test]
fn header_table() {
    // Headers are base64url of small JSON objects; none of these is a credential.
    let cases: &[(&str, bool)] = &[
        // {"alg":"HS256","typ":"JWT"}
        ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln", true),
        // {"typ":"JWT"}: no alg
        ("eyJ0eXAiOiJKV1QifQ.e30.c2ln", false),
        // "hello world" is not JSON
        ("aGVsbG8gd29ybGQ.e30.c2ln", false),
        // not base64url
        ("eyJ!!!.e30.c2ln", false),
    ];
    for (t, want) in cases {
        assert_eq!(header(t.as_bytes()).is_some(), *want, "{t}");
    }
}

#[test]
fn key_lookup_table() {
    assert!(contains_key(br#"{"alg" : "RS256"}"#, b"alg"));
    assert!(!contains_key(br#"{"x":"alg"}"#, b"alg"));
    assert!(!contains_key(br#"{"algo":"x"}"#, b"alg"));
}
