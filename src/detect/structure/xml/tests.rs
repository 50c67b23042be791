use super::*;

#[test]
fn attributes_and_siblings() {
    let t = br#"<identifier><system value="urn:oid:2.16.840.1.113883.4.1"/><value value="536904399"/></identifier>"#;
    let v = sibling_value(t, 15).unwrap();
    assert_eq!(&t[v], b"536904399");
    let c = br#"<id extension="4EF6GH8JK12" root="2.16.840.1.113883.4.927"/>"#;
    let tag = tag_at(c, 3);
    assert_eq!(
        &c[attr(c, tag.clone(), b"root").unwrap()],
        b"2.16.840.1.113883.4.927"
    );
    assert_eq!(&c[attr(c, tag, b"extension").unwrap()], b"4EF6GH8JK12");
    let n = br#"<Patient xmlns="http://hl7.org/fhir"><name><family value="Ortega"/></name>"#;
    let e = element(n, 0, b"Patient");
    assert_eq!(e, 0..n.len());
    let fam = values_of(n, e, b"family");
    assert_eq!(&n[fam[0].clone()], b"Ortega");
}
