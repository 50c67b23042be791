use super::*;

#[test]
fn segments_in_literals_and_files() {
    let lit = br#"x = "MSH|^~\\&|A|B\rPID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA||19610412|F\r";"#;
    let at = memmem::find(lit, b"PID").unwrap();
    let seg = segment(lit, at);
    assert_eq!(
        &lit[seg.clone()],
        b"PID|1||4417732^^^HOSP^MR||ORTEGA^LUCIA||19610412|F"
    );
    let d = delims_at(lit, at);
    assert_eq!(d, Delims::default());
    let f = fields(lit, seg, d);
    assert_eq!(&lit[field(lit, &f, 5).unwrap()], b"ORTEGA^LUCIA");
    assert_eq!(field(lit, &f, 4), None);
    let raw = b"MSH#^~\\&#A\nPID#1##77^^^H^MR\n";
    let at = memmem::find(raw, b"PID").unwrap();
    let d = delims_at(raw, at);
    assert_eq!(d.field, b'#');
    let f = fields(raw, segment(raw, at), d);
    assert_eq!(&raw[f[3].clone()], b"77^^^H^MR");
}
