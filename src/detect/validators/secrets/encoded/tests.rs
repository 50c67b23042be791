use super::*;

fn b64(s: &[u8]) -> String {
    STANDARD.encode(s)
}

#[test]
fn finds_an_aws_key_id_in_base64() {
    let enc = b64(b"AKIAUJZDEGXDNCF32EPF");
    let (what, span) = find_encoded(enc.as_bytes()).expect("found");
    assert_eq!(what, "an AWS access key id");
    assert_eq!(span, 0..enc.len());
}

#[test]
fn maps_the_span_back_to_the_encoded_text() {
    let enc = b64(b"user=deploy\npass=AKIAUJZDEGXDNCF32EPF\n");
    let (_, span) = find_encoded(enc.as_bytes()).expect("found");
    // The key id sits at decoded bytes 17..37: encoded 20..52 covers it.
    assert_eq!(span, 20..52);
    let decoded = STANDARD.decode(&enc.as_bytes()[span.clone()]).unwrap();
    assert!(decoded.windows(20).any(|w| w == b"AKIAUJZDEGXDNCF32EPF"));
}

#[test]
fn two_layers_are_decoded_and_three_are_not() {
    let one = b64(b"token: ghp_R4nd0mT0k3nV4lu3Xq9Zs8Lm2Wk7Pt1Vb6Nc");
    let two = b64(one.as_bytes());
    let three = b64(two.as_bytes());
    assert!(find_encoded(one.as_bytes()).is_some());
    let (_, span) = find_encoded(two.as_bytes()).expect("depth 2");
    assert!(span.end <= two.len() && span.start < span.end);
    assert!(find_encoded(three.as_bytes()).is_none());
}

#[test]
fn documentation_values_and_prose_are_not_found() {
    assert!(find_encoded(b64(b"AKIAIOSFODNN7EXAMPLE").as_bytes()).is_none());
    assert!(
        find_encoded(b64(b"Welcome to the claims service, have a nice day").as_bytes()).is_none()
    );
    assert!(
        find_encoded(b64(&[0u8, 1, 2, 3, 250, 251, 252, 253, 9, 8, 7, 6, 5, 4, 3, 2]).as_bytes())
            .is_none()
    );
    let long = "A".repeat(MAX_ENCODED + 4);
    assert!(decode(long.as_bytes()).is_none());
}

/// Hex decodes only to text: a digest, a UUID's digits or odd digits decode to nothing, and
/// a credential's hex to the credential, found with its span in the digits.
#[test]
fn hex_decodes_to_text_and_finds_its_credential() {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        super::decode_hex(hex("hello, world").as_bytes()).as_deref(),
        Some(&b"hello, world"[..])
    );
    for not_text in [
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "123e4567e89b12d3a456426614174000",
        "68656c6c6f2c20776f726c6",
        "68656c6c",
    ] {
        assert_eq!(super::decode_hex(not_text.as_bytes()), None, "{not_text}");
    }
    let key = "AKIAYVOKYSRYAPB4JJUK";
    let text = format!("id={key};");
    let raw = super::decode_hex(hex(&text).as_bytes()).unwrap();
    let (what, span) = super::find_shape(&raw).unwrap();
    assert_eq!(what, "an AWS access key id");
    assert_eq!(&raw[span], key.as_bytes());
}
