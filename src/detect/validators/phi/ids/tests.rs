use super::*;

#[test]
fn mbi_table() {
    let cases: &[(&str, Check)] = &[
        ("3CD5-FG7-HJ89", Check::Valid),
        ("4EF6GH8JK12", Check::Valid),
        ("2AG9XC4NN22", Check::Valid),
        ("1EG4-TE5-MK73", Check::Synthetic),
        ("1EG4TE5MK73", Check::Synthetic),
        ("1SG4-TE5-MK73", Check::Invalid),
        ("0EG4-TE5-MK73", Check::Invalid),
        ("1EG4-TE5MK73", Check::Invalid),
        ("1EG4TE5MK7", Check::Invalid),
    ];
    for (v, want) in cases {
        assert_eq!(mbi(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn hicn_table() {
    let cases: &[(&str, Check)] = &[
        ("536904399A", Check::Valid),
        ("536-90-4399 B1", Check::Valid),
        ("536904399C2", Check::Valid),
        ("000904399A", Check::Invalid),
        ("536904399", Check::Invalid),
        ("536904399Q", Check::Invalid),
        ("999179365A", Check::Synthetic),
    ];
    for (v, want) in cases {
        assert_eq!(hicn(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn npi_dea_table() {
    let npis: &[(&str, Check)] = &[
        ("1245319599", Check::Valid),
        ("1928-374-655", Check::Valid),
        ("2561047384", Check::Valid),
        ("1234567890", Check::Invalid),
        ("1234567893", Check::Synthetic),
        ("3245319599", Check::Invalid),
    ];
    for (v, want) in npis {
        assert_eq!(npi(v.as_bytes()), *want, "{v}");
    }
    let deas: &[(&str, Check)] = &[
        ("BJ6125341", Check::Valid),
        ("MS2381678", Check::Valid),
        ("FN4719021", Check::Valid),
        ("BJ6125342", Check::Invalid),
        ("AB1234563", Check::Synthetic),
        ("F91234563", Check::Synthetic),
        ("ZZ6125341", Check::Invalid),
    ];
    for (v, want) in deas {
        assert_eq!(dea(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn mrn_table() {
    let cases: &[(&str, Check)] = &[
        ("00123456", Check::Valid),
        ("A1234567", Check::Valid),
        ("4471923", Check::Valid),
        ("636-3-37435", Check::Valid),
        ("MR255582701", Check::Valid),
        ("123456", Check::Invalid),
        ("654321", Check::Invalid),
        ("1234567890", Check::Invalid),
        ("00000", Check::Invalid),
        ("100000", Check::Invalid),
        ("2021-04-12", Check::Invalid),
        ("1234", Check::Invalid),
        ("ABCD12345", Check::Invalid),
    ];
    for (v, want) in cases {
        assert_eq!(mrn(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn vin_udi_table() {
    let vins: &[(&str, Check)] = &[
        ("1M8GDM9AXKP042788", Check::Valid),
        ("1HGCM82633A004352", Check::Valid),
        ("1M8GDM9A1KP042788", Check::Invalid),
        ("11111111111111111", Check::Invalid),
    ];
    for (v, want) in vins {
        assert_eq!(vin(v.as_bytes()), *want, "{v}");
    }
    let gtins: &[(&str, Check)] = &[
        ("00844588003288", Check::Valid),
        ("10884521062856", Check::Valid),
        ("00844588003289", Check::Invalid),
        ("00000000000000", Check::Invalid),
    ];
    for (v, want) in gtins {
        assert_eq!(gtin14(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn dates_table() {
    type Ymd = Option<(u32, u32, u32)>;
    let cases: &[(&str, Ymd)] = &[
        ("1961-04-12", Some((1961, 4, 12))),
        ("04/12/1961", Some((1961, 4, 12))),
        ("19610412", Some((1961, 4, 12))),
        ("Apr 12, 1961", Some((1961, 4, 12))),
        ("April 12 1961", Some((1961, 4, 12))),
        ("4/12/61", Some((1961, 4, 12))),
        ("04/12-1961", None),
        ("22-Mar-1985", Some((1985, 3, 22))),
        ("22 March 1985", Some((1985, 3, 22))),
        ("7 Sept. 1972", Some((1972, 9, 7))),
        ("22-Mar", None),
    ];
    for (v, want) in cases {
        assert_eq!(parse_date(v.as_bytes()), *want, "{v}");
    }
    assert!(real_date(1961, 4, 12));
    assert!(!real_date(1961, 2, 30));
    assert!(real_date(2000, 2, 29));
    assert!(!real_date(1899, 1, 2));
    assert!(!real_date(current_year() + 1, 1, 2));
}

#[test]
fn ssn_shapes_and_placeholders() {
    let cases: &[(&str, Check)] = &[
        ("536-90-4399", Check::Valid),
        ("536 90 4399", Check::Valid),
        ("536904399", Check::Valid),
        ("536-90 4399", Check::Invalid),
        ("111-22-3333", Check::Synthetic),
        ("444222222", Check::Synthetic),
        ("999-17-9365", Check::Synthetic),
        ("912-70-1234", Check::Synthetic),
        ("000-12-3456", Check::Invalid),
    ];
    for (v, want) in cases {
        assert_eq!(ssn(v.as_bytes()), *want, "{v}");
    }
}
