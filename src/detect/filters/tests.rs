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
            ("version 1.2", true),
            ("time 12:30 only", false),
            ("sentence. 2024 ends", false),
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
fn every_name_resolves() {
    for name in names() {
        assert!(line_filter(name).is_some(), "{name}");
    }
    assert!(line_filter("nope").is_none());
}
