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

#[test]
fn documentation_and_expired_payloads() {
    assert!(is_documentation_payload(
        br#"{"sub":"1234567890","name":"Fake User","iat":1516239022}"#
    ));
    assert!(is_documentation_payload(
        br#"{"sub":"42","iat":1516239022}"#
    ));
    assert!(!is_documentation_payload(
        br#"{"sub":"a81bc81b","iat":1733300000,"exp":4102444800}"#
    ));
    assert!(is_expired(br#"{"exp":1523558394}"#));
    assert!(!is_expired(br#"{"exp": 4102444800}"#));
    assert!(!is_expired(br#"{"sub":"x"}"#));
    assert_eq!(number_claim(br#"{"exp" : 17}"#, b"exp"), Some(17));
}
