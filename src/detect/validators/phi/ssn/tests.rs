//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

#[test]
fn classify_table() {
    let cases: &[(&[u8; 9], SsnClass)] = &[
        (b"536904399", SsnClass::Valid),
        (b"772104567", SsnClass::Valid),
        (b"078051120", SsnClass::Synthetic),
        (b"219099999", SsnClass::Synthetic),
        (b"457555462", SsnClass::Synthetic),
        (b"123456789", SsnClass::Synthetic),
        (b"111111111", SsnClass::Synthetic),
        (b"987654320", SsnClass::Synthetic),
        (b"999179365", SsnClass::Synthetic),
        (b"912701234", SsnClass::ItinSpace),
        (b"000123456", SsnClass::Invalid),
        (b"666123456", SsnClass::Invalid),
        (b"536004399", SsnClass::Invalid),
        (b"536900000", SsnClass::Invalid),
    ];
    for (d, want) in cases {
        assert_eq!(classify_ssn(d), *want, "{}", String::from_utf8_lossy(*d));
    }
}

#[test]
fn separators_table() {
    let cases: &[(&str, bool)] = &[
        ("536-90-4399", true),
        ("536 90 4399", true),
        ("536.90.4399", true),
        ("536904399", true),
        ("693-09.4444", false),
        ("536-904399", false),
        ("53690439", false),
    ];
    for (v, want) in cases {
        assert_eq!(nine_digits(v.as_bytes()).is_some(), *want, "{v}");
    }
}
