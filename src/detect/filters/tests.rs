use super::*;

fn check(filter: LineFilter, cases: &[(&str, bool)]) {
    for (line, want) in cases {
        // The line is the second of the text: the filter must stop at its end.
        let text = format!("first line 1 X\n{line}\nlast 123456789 5G 1.2\n");
        assert_eq!(
            filter(text.as_bytes(), 15..15 + line.len()),
            *want,
            "{line:?}"
        );
    }
}

#[test]
fn street_number_needs_a_number_blanks_and_a_capital() {
    check(
        street_number,
        &[
            ("address: 4821 Maple Ridge Drive", true),
            ("\"line\": [\"88\tBirch Hollow Rd\"]", true),
            ("12 N. Main St", true),
            ("for i in 0 .. 10 {", false),
            ("x = 1 + y", false),
            ("4821Maple Ridge Drive", false),
            ("", false),
        ],
    );
}

#[test]
fn mbi_start_needs_the_first_four_characters_of_an_mbi() {
    check(
        mbi_start,
        &[
            ("Medicare ID: 3CD5-FG7-HJ89", true),
            ("mbi=1EG4TE5MK73", true),
            ("1EE4", true),
            ("vec2D(1, 2)", false),
            ("0A12 is not one", false),
            ("1A-2", false),
            ("9ZZ", false),
            ("values 12345 and abc", false),
        ],
    );
}

#[test]
fn digit_then_capital_marks_an_mbi_start() {
    check(
        digit_then_capital,
        &[
            ("Medicare ID: 3CD5-FG7-HJ89", true),
            ("mbi=1EG4TE5MK73", true),
            ("0A is not one", false),
            ("values 12345 and abc", false),
        ],
    );
}

#[test]
fn ip_shape_needs_a_dotted_digit_or_two_colons() {
    check(
        ip_shape,
        &[
            ("client_ip: 73.158.64.21", true),
            ("addr 2001:db8::1", true),
            ("ip=10.0.0.1;", true),
            ("fe80::1%eth0", true),
            ("at 12:30:45 UTC", true),
            ("version 1.2", false),
            ("version 1.2.3", false),
            ("a.1.2.3.b", false),
            ("urn:oid:1.3.6.1.4.1.54392.5.1", false),
            ("oid 2.16.840.1.113883.4.1 and 1.2.3.4", false),
            ("host 73.158.64.21.example", true),
            ("v73.158.64.21", false),
            ("73.158.64.21x", false),
            ("1234.158.64.21", false),
            ("(73.158.64.21)", true),
            ("time 12:30 only", false),
            ("sentence. 2024 ends", false),
            ("use std::collections::HashMap; 1234", false),
            ("Vec::new() 1234", false),
            ("deadbeef1::2", false),
        ],
    );
}

#[test]
fn nine_digits_in_every_ssn_and_itin_shape() {
    check(
        nine_digits,
        &[
            ("ssn: 536-90-4399", true),
            ("ssn 536.90.4399", true),
            ("ssn 536 90 4399", true),
            ("id 536904399,", true),
            ("itin 912-701234", true),
            ("itin 91270-1234", true),
            ("long 5369043991 run", false),
            ("phone 312-867-4421", false),
            ("two-part 536--90-4399", false),
            ("eight 53690439", false),
        ],
    );
}

#[test]
fn itin_shape_needs_a_nine_and_an_itin_group() {
    check(
        itin_shape,
        &[
            ("ITIN: 912-70-1234", true),
            ("itin=911701234", true),
            ("itin 912 70 1234", true),
            ("itin 912-701234", true),
            ("itin 91270-1234", true),
            ("tin 999-88-7777.", true),
            ("ssn: 536-90-4399", false),
            ("itin 912-93-1234", false),
            ("itin 912-49-1234", false),
            ("itin 912-89-1234", false),
            ("long 9127012345 run", false),
            ("x1912-70-1234", false),
            ("912-70-12345", false),
            ("9", false),
            ("", false),
        ],
    );
}

/// The IP and ITIN filters hold for every line where the rule's regex finds a value its
/// validator could accept: random lines over digits, dots, separators and letters, against
/// the patterns of `patterns/phi/contact.toml` and `patterns/phi/itin.toml` with the
/// validators' boundary checks.
#[test]
fn ip_and_itin_shapes_hold_wherever_their_patterns_match() {
    let ip = regex::bytes::Regex::new(
        r"\b(?P<value>(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})",
    )
    .unwrap();
    let itin = regex::bytes::Regex::new(
        r"\b(?P<value>9\d{2}[- ]?(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])[- ]?\d{4})\b",
    )
    .unwrap();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // What `phi.ip`'s validator asks of an IPv4 value before its address checks.
    let ip_accepts = |l: &[u8], v: std::ops::Range<usize>| {
        let octets: Vec<&[u8]> = l[v.clone()].split(|&b| b == b'.').collect();
        !(v.start > 0 && (l[v.start - 1] == b'.' || word(l[v.start - 1])))
            && !l.get(v.end).is_some_and(|&b| word(b))
            && !matches!(l.get(v.end..), Some([b'.', d, ..]) if d.is_ascii_digit())
            && !octets[..3].iter().all(|o| o.len() == 1)
    };
    // Digit runs and separators in turn, so that dotted quads and nine-digit groups are
    // common.
    let runs: &[&[u8]] = &[
        b"1",
        b"7",
        b"9",
        b"0",
        b"01",
        b"25",
        b"64",
        b"255",
        b"256",
        b"73",
        b"158",
        b"172",
        b"21",
        b"912",
        b"70",
        b"93",
        b"88",
        b"89",
        b"50",
        b"49",
        b"65",
        b"66",
        b"92",
        b"94",
        b"1234",
        b"4399",
        b"701234",
        b"881234",
        b"91270",
        b"91288",
        b"912701234",
        b"912881234",
    ];
    let seps: &[&[u8]] = &[
        b".", b".", b".", b".", b".", b".", b"-", b" ", b":", b"a", b"_", b"", b".-",
    ];
    let (mut ips, mut itins) = (0, 0);
    let mut x = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize
    };
    for _ in 0..50_000 {
        let len = 3 + next() % 8;
        let l: Vec<u8> = (0..len)
            .flat_map(|i| {
                let part = if i % 2 == 0 { runs } else { seps };
                part[next() % part.len()].iter().copied()
            })
            .collect();
        let line = 0..l.len();
        let shown = String::from_utf8_lossy(&l);
        // Every match the validator could accept, as the scan finds them one after another.
        let mut at = 0;
        while let Some(c) = ip.captures_at(&l, at) {
            let v = c.name("value").unwrap().range();
            if ip_accepts(&l, v.clone()) {
                ips += 1;
                assert!(ip_shape(&l, line.clone()), "ip in {shown:?}");
            }
            at = v.start + 1;
        }
        if itin.is_match(&l) {
            itins += 1;
            assert!(itin_shape(&l, line.clone()), "itin in {shown:?}");
        }
    }
    assert!(
        ips > 100 && itins > 100,
        "the lines should hold values: {ips} {itins}"
    );
}

#[test]
fn email_shape_needs_a_local_part_and_a_dotted_domain() {
    check(
        email_shape,
        &[
            ("contact: r.smith@yahoo.com", true),
            ("\"value\":\"m.g71@mail.example.org\"", true),
            ("x@b-c.io", true),
            ("@param name the name", false),
            ("@Override", false),
            ("logo@2x", false),
            ("user@localhost", false),
            ("a @ b.com", false),
            ("see foo@bar.123", false),
        ],
    );
}

#[test]
fn phone_shape_needs_an_exchange_and_a_line_number() {
    check(
        phone_shape,
        &[
            ("phone: 312-867-4421", true),
            ("tel: +1 (415) 623-0198", true),
            ("mobile=206.724.3307", true),
            ("x 867 4421", true),
            ("ts=1700000000", false),
            ("version 31.8670-4421", false),
            ("range 1234-5678", false),
            ("867--4421", false),
        ],
    );
}

#[test]
fn five_digits_needs_a_five_digit_run() {
    check(
        five_digits,
        &[
            ("zip 98109-4421", true),
            ("IL 62704", true),
            ("id 123456-7890", false),
            ("1234-5678", false),
        ],
    );
}

#[test]
fn plus_digit_needs_a_plus_before_a_country_code() {
    check(
        plus_digit,
        &[
            ("tel: +44 20 7123 4568", true),
            ("a+b +x +0 1", false),
            ("i += 1", false),
            ("+", false),
        ],
    );
}

#[test]
fn every_name_resolves() {
    for name in names() {
        assert!(line_filter(name).is_some(), "{name}");
    }
    assert!(line_filter("nope").is_none());
}

#[test]
fn pair_filters_agree_with_a_byte_by_byte_walk() {
    // The walks the block-wise filters replaced, as oracles: lines up to three blocks long,
    // pairs across block edges.
    fn street_walk(l: &[u8]) -> bool {
        (1..l.len()).any(|i| {
            blank(l[i]) && l[i - 1].is_ascii_digit() && {
                let j = i + l[i..].iter().take_while(|&&b| blank(b)).count();
                l.get(j).is_some_and(u8::is_ascii_uppercase)
            }
        })
    }
    fn mbi4_walk(l: &[u8]) -> bool {
        l.windows(4).any(|w| {
            matches!(w[0], b'1'..=b'9')
                && w[1].is_ascii_uppercase()
                && (w[2].is_ascii_digit() || w[2].is_ascii_uppercase())
                && w[3].is_ascii_digit()
        })
    }
    fn mbi_walk(l: &[u8]) -> bool {
        l.windows(2)
            .any(|w| matches!(w[0], b'1'..=b'9') && w[1].is_ascii_uppercase())
    }
    let alphabet = b"019 \tAZax.";
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..2000 {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let len = (x.wrapping_mul(0x2545_F491_4F6C_DD1D) % 100) as usize;
        let l: Vec<u8> = (0..len)
            .map(|i| {
                let r = x.rotate_left(i as u32 * 7) ^ (round * 31 + i as u64);
                // Mostly filler, so hits are rare and land anywhere in a block.
                if r.is_multiple_of(5) {
                    alphabet[(r / 5 % alphabet.len() as u64) as usize]
                } else {
                    b'x'
                }
            })
            .collect();
        let line = 0..l.len();
        assert_eq!(
            street_number(&l, line.clone()),
            street_walk(&l),
            "{:?}",
            String::from_utf8_lossy(&l)
        );
        assert_eq!(
            digit_then_capital(&l, line.clone()),
            mbi_walk(&l),
            "{:?}",
            String::from_utf8_lossy(&l)
        );
        assert_eq!(
            mbi_start(&l, line),
            mbi4_walk(&l),
            "{:?}",
            String::from_utf8_lossy(&l)
        );
    }
}
