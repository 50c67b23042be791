//! Test helpers shared by the detection modules' unit tests: the built-in rules and the
//! texts they are checked against.

use super::RuleDb;

/// The built-in rules, built.
pub(crate) fn builtin() -> RuleDb {
    super::RuleDbBuilder::builtin()
        .expect("built-in packs load")
        .build()
        .expect("built-in packs build")
}

/// Every rule's examples and negative examples, as (path, text).
pub(crate) fn example_texts(db: &RuleDb) -> Vec<(String, Vec<u8>)> {
    db.rules()
        .iter()
        .flat_map(|r| r.spec.examples.iter().chain(&r.spec.negative_examples))
        .map(|ex| (ex.path().to_owned(), ex.text().as_bytes().to_vec()))
        .collect()
}
