use super::*;

#[test]
fn separators_from_isa_or_default() {
    let plain = b"NM1*IL*1*ORTEGA*LUCIA****MI*W48213376~";
    let s = seps_at(plain, 0);
    let e = elements(plain, segment(plain, 0, s), s);
    assert_eq!(&plain[e[9].clone()], b"W48213376");
    let isa = format!(
        "ISA|00|{:10}|00|{:10}|ZZ|{:15}|ZZ|{:15}|240101|1200|^|00501|000000001|0|P|:{}NM1|IL|1|ORTEGA",
        "", "", "S", "R", "\n"
    );
    let t = isa.as_bytes();
    let at = memmem::find(t, b"NM1").unwrap();
    let s = seps_at(t, at);
    assert_eq!(s.element, b'|');
    let e = elements(t, segment(t, at, s), s);
    assert_eq!(&t[e[3].clone()], b"ORTEGA");
}
