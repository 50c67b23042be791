use super::*;

#[test]
fn inside_finds_the_open_element() {
    let t = b"<recordTarget><patientRole><id extension=\"1\"/><patient><name><given>A";
    let pos = t.len() - 1;
    assert!(inside(t, pos, b"patientRole"));
    assert!(inside(t, pos, b"patient"));
    let t = b"<patientRole><patient></patient></patientRole><author><given>A";
    let pos = t.len() - 1;
    assert!(!inside(t, pos, b"patientRole"));
    assert!(!inside(t, pos, b"patient"));
    // `<patientRole` is not `<patient`.
    let t = b"<patientRole><id extension=\"1\"/>";
    assert!(!inside(t, t.len() - 3, b"patient"));
}
