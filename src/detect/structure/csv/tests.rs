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
