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
