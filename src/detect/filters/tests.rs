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
                if r % 5 == 0 {
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
