use super::*;

/// Oracle for the remembered answers of [`has_any`]: asked over and over, in changing order,
/// about names that differ only in case, separators or one byte, with two word lists, more
/// names than are remembered and a name too long to remember, every answer is the one
/// worked out afresh.
#[test]
fn has_any_remembered_answers_match_fresh_ones() {
    const OTHER: &[&[u8]] = &[b"phone", b"fax", b"mobile"];
    let mut names: Vec<Vec<u8>> = [
        "patient_name",
        "Patient-Name",
        "member id",
        "MemberID",
        "member_i",
        "emergency.contact",
        "next of kin",
        "phone",
        "home_phone",
        "fax",
        "zip",
        "",
        "mrn,first_name,last_name,dob,ssn,phone,address,zip",
    ]
    .iter()
    .map(|n| n.as_bytes().to_vec())
    .collect();
    names.extend((0..40).map(|i| format!("column_{i}").into_bytes()));
    names.push(format!("{}patient", "x".repeat(SeenNames::LONGEST)).into_bytes());
    for round in 0..3 {
        for (i, name) in names.iter().enumerate() {
            let name = if round == 1 && i % 2 == 1 {
                name.to_ascii_uppercase()
            } else {
                name.clone()
            };
            for words in [PATIENT_WORDS, OTHER] {
                assert_eq!(
                    has_any(&name, words),
                    has_any_uncached(&name, words),
                    "{:?}",
                    String::from_utf8_lossy(&name)
                );
            }
        }
    }
}
