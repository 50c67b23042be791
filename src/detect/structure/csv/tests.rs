use super::*;

#[test]
fn column_names() {
    let find = |t: &[u8], v: &[u8]| {
        let i = memchr::memmem::find(t, v).unwrap();
        i..i + v.len()
    };
    let t = b"id,name,ssn,mrn\n1,Lucia Ortega,536-90-4399,H4471923\n";
    assert_eq!(
        &t[column_name(t, &find(t, b"536-90-4399")).unwrap()],
        b"ssn"
    );
    assert_eq!(&t[column_name(t, &find(t, b"H4471923")).unwrap()], b"mrn");
    let no_header = b"1,2,3\n4,536904399,6\n";
    assert_eq!(column_name(no_header, &find(no_header, b"536904399")), None);
    let q = b"\"id\"\t\"member_id\"\t\"x\"\n1\tW48213376\t2\n";
    assert_eq!(
        &q[column_name(q, &find(q, b"W48213376")).unwrap()],
        b"member_id"
    );
}

#[test]
fn row_filter_keeps_rows_under_a_header_and_drops_code() {
    let cases: &[(&[u8], &[u8], bool)] = &[
        (b"id,name,ssn\n1,A,536-90-4399\n", b"1,A", true),
        (b"id;name;ssn\n1;A;536904399\r\n", b"1;A", true),
        (b"id,name,ssn\n1,A,536-90-4399\n", b"id,name", false), // the header itself
        (b"let v = [1, 2, 3];\n", b"let", false),
        (b"id,name,ssn\nf(1, 2, 536904399);\n", b"f(1", false),
        (b"id,name,ssn\nx = {1, 536904399}\n", b"x =", false),
        (b"1,2,3\n4,536904399,6\n", b"4,5", false), // no header
    ];
    for (text, line, want) in cases {
        let start = memchr::memmem::find(text, line).unwrap();
        assert_eq!(
            row_with_header(
                text,
                crate::detect::validators::common::line_bounds(text, start)
            ),
            *want,
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
}

/// xorshift64*: deterministic, no dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[test]
fn remembered_header_walks_answer_as_fresh_ones() {
    // Files of headers with two to four fields, rows, code and prose lines under two
    // delimiters, long enough that headers fall in and out of the 40-line reach. Rows are
    // asked top to bottom (the order of a scan), some twice, some skipped.
    let pieces: &[&[u8]] = &[
        b"id,name,ssn",
        b"id;name;ssn;mrn",
        b"a,b",
        b"\"x\",\"y\",\"z\"",
        b"1,A,536-90-4399",
        b"2;B;536904399;H1",
        b"7,8",
        b"f(1, 2, 3);",
        b"// a comment, with commas",
        b"x = {1, 2}",
        b"",
        b"name, dob, zip, phone",
        b"3, 4, 5, 6",
    ];
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    for round in 0..300 {
        let lines = 1 + (next(&mut rng) % 120) as usize;
        let mut t = Vec::new();
        for _ in 0..lines {
            t.extend_from_slice(pieces[(next(&mut rng) % pieces.len() as u64) as usize]);
            t.extend_from_slice(if next(&mut rng).is_multiple_of(5) {
                b"\r\n"
            } else {
                b"\n"
            });
        }
        let rows: Vec<Range<usize>> = memchr::memchr_iter(b'\n', &t)
            .scan(0, |start, nl| {
                let line = crate::detect::validators::common::line_bounds(&t, *start);
                *start = nl + 1;
                Some(line)
            })
            .collect();
        let fresh: Vec<bool> = rows
            .iter()
            .map(|r| row_with_header(&t, r.clone()))
            .collect();
        memo::remembering(&t, || {
            for (i, r) in rows.iter().enumerate() {
                if next(&mut rng).is_multiple_of(4) {
                    continue;
                }
                for _ in 0..1 + next(&mut rng) % 2 {
                    assert_eq!(
                        row_with_header(&t, r.clone()),
                        fresh[i],
                        "round {round}, line {i}: {:?}",
                        String::from_utf8_lossy(&t)
                    );
                }
            }
        });
    }
}

/// Oracle for [`field_count`]'s quote-free shortcut: on lines with and without quotes, of
/// every delimiter, it counts the fields [`fields`] splits the line into.
#[test]
fn field_count_is_the_number_of_fields() {
    let lines: &[&[u8]] = &[
        b"",
        b"a",
        b"mrn,first_name,last_name",
        b"MR0001,Ann,\"Lee, Jr\",1990-01-01",
        b"\"a|b\"|c|d",
        b"PID|1||123^^^MRN||Doe^John||19800101|M",
        b"x;y;;z;",
        b"tab\tseparated\t\"quoted\ttab\"",
        b",,,",
        b"\"unclosed,quote,here",
    ];
    for &line in lines {
        for delim in [b',', b'\t', b'|', b';'] {
            let want = fields(line, 0..line.len(), delim).len();
            assert_eq!(
                field_count(line, delim),
                want,
                "{:?} split at {:?}",
                String::from_utf8_lossy(line),
                delim as char
            );
        }
    }
}
