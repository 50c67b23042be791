//! Unit tests (test vectors are synthetic).

use super::*;
use crate::detect::structure::memo;

/// What [`patient`] worked out for a JSON resource before it asked [`markers::json_marked`]:
/// a marker in the resource, or a Synthea or placeholder name among the `family`/`given`
/// strings of its own walk ([`json_score`]'s, with `line` and `postalCode`).
fn marked_by_own_walk(t: &[u8], res: Range<usize>) -> bool {
    const KEYS: [&[u8]; 4] = [b"family", b"given", b"line", b"postalCode"];
    let names = json::strings_keyed(t, res.clone(), &KEYS)
        .into_iter()
        .filter(|(k, _)| *k < 2)
        .map(|(_, r)| &t[r]);
    markers::structure_marked(&t[res]) || markers::any_synthea_name(names)
}

/// Oracle for [`patient`] taking [`markers::json_marked`]'s answer: for every object of the
/// rule's examples and of resources with names where only `line` or a nested array holds
/// them, markers, and cut-off text, both answers agree, with and without a memo open.
#[test]
fn json_marked_answers_as_the_patient_walk() {
    let db = crate::detect::testing::builtin();
    let mut texts: Vec<String> = db
        .rules()
        .iter()
        .filter(|r| r.id().starts_with("phi.fhir"))
        .flat_map(|r| r.spec.examples.iter().chain(&r.spec.negative_examples))
        .map(|ex| ex.text().to_owned())
        .collect();
    let names = [
        "\"Ortega\"",
        "\"Daniel959\"",
        "\"Doe\"",
        "\"Lucia\"",
        "\"AAAA\"",
    ];
    for (i, a) in names.iter().enumerate() {
        for b in &names[i..] {
            texts.push(format!(
                r#"{{"resourceType":"Patient","name":[{{"family":{a},"given":[{b},["Ann"]]}}],"address":[{{"line":[{b}],"postalCode":{a}}}]}}"#
            ));
            texts.push(format!(
                r#"{{"resourceType":"Patient","address":[{{"line":[{a},[{b}]]}}],"contact":[{{"name":{{"given":[{b}]}}}}],"x":"synthetichealth"}}"#
            ));
            texts.push(format!(
                r#"{{"resourceType":"Patient","name":[{{"family":{a},"giv"#
            ));
        }
    }
    let mut objects = 0;
    for text in &texts {
        let t = text.as_bytes();
        let opens: Vec<usize> = (0..t.len()).filter(|&i| t[i] == b'{').collect();
        let check = || {
            for &o in &opens {
                let res = o..json::object_end(t, o);
                assert_eq!(
                    markers::json_marked(t, res.clone()),
                    marked_by_own_walk(t, res),
                    "{text}"
                );
            }
        };
        check();
        memo::remembering(t, || {
            check();
            check();
        });
        objects += opens.len();
    }
    assert!(objects > 100);
}
