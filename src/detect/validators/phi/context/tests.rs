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

#[test]
fn a_file_named_for_a_non_patient_resource_in_a_resource_form_is_one() {
    for path in [
        "testdata/r4/examples/Practitioner-f001.prototxt",
        "spec/organization-example.xml",
        "site/location-example.html",
        "x.zip!Endpoint.ttl",
    ] {
        assert!(named_for_non_patient_resource(path), "{path}");
    }
    for path in [
        "logs/device-2024.log",
        "exports/location-patients.csv",
        "testdata/Patient-f001.prototxt",
        "spec/Practitioner.xml/notes.txt",
        "spec/PractitionerNotes.xml",
        "Organization",
    ] {
        assert!(!named_for_non_patient_resource(path), "{path}");
    }
}
