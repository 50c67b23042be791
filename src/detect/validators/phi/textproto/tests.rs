use super::*;

#[test]
fn civil_dates() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(-9_176), (1944, 11, 17));
}

#[test]
fn string_values_by_key() {
    let t = b"name {\n  family {\n    value: \"Okafor\"\n  }\n}\naddress { postal_code { value: \"45402\" } }\n";
    let got: Vec<&[u8]> = string_values(t, 0..t.len(), b"family")
        .into_iter()
        .map(|r| &t[r])
        .collect();
    assert_eq!(got, [b"Okafor".as_slice()]);
    assert!(string_values(t, 0..t.len(), b"code").is_empty());
    assert_eq!(string_values(t, 0..t.len(), b"postal_code").len(), 1);
}
