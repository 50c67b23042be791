//! The prefilter must never change results: every example and negative example of every
//! built-in rule, interleaved with ordinary code, scanned as one file with the prefilter on and
//! off (strict, so synthetic values are compared too). Grows with the packs by itself.

use super::*;
use crate::detect::{RuleDbBuilder, Selection};

fn builtin_db() -> RuleDb {
    let b = RuleDbBuilder::builtin().unwrap();
    b.select(Selection::default(), "test").build().unwrap()
}

fn sample(db: &RuleDb) -> String {
    let filler = [
        "fn main() { let x = 1700000000; println!(\"{x}\"); }",
        "version = \"1.2.3\"",
        "    // TODO: see https://example.com/docs/123456789",
        "",
        "{\"id\": \"5f2b6c1e-8d3a-4c2b-9a1e-3b2c1d0e9f8a\", \"count\": 42}",
    ];
    let mut out = String::new();
    for (i, rule) in db.rules().iter().enumerate() {
        let all = rule
            .spec
            .examples
            .iter()
            .chain(&rule.spec.negative_examples);
        for (j, ex) in all.enumerate() {
            out.push_str(filler[(i + j) % filler.len()]);
            out.push('\n');
            out.push_str(ex.text());
            out.push('\n');
        }
    }
    out
}

fn findings(db: &RuleDb, text: &str, prefilter: bool) -> Vec<(String, u32, u32, &'static str)> {
    let policy = Policy {
        strict: true,
        ..Policy::default()
    };
    let engine = Engine {
        db,
        policy: &policy,
        detect: DetectOptions {
            prefilter,
            ..DetectOptions::default()
        },
        fingerprint_key: &crate::fingerprint::Key::from_bytes(*b"test"),
    };
    let item = Item::whole("sample.txt", text.as_bytes().to_vec());
    let found = engine.scan_item(&item, &mut Scratch::default()).unwrap();
    found
        .findings
        .iter()
        .chain(&found.suppressed)
        .map(|f| (f.rule.to_string(), f.line, f.column, f.severity.as_str()))
        .collect()
}

#[test]
fn prefilter_on_and_off_agree_on_every_example() {
    let db = builtin_db();
    let text = sample(&db);
    let on = findings(&db, &text, true);
    let off = findings(&db, &text, false);
    assert!(
        on.len() >= db.rules().len(),
        "the sample should produce findings: {}",
        on.len()
    );
    assert_eq!(on, off);
}

/// A rule that requires its keyword finds a value only as many lines below its keyword as its
/// `span_lines` says, with the prefilter on or off: every keyword-required rule's examples,
/// with the rule's keywords blanked out of them, or kept only inside longer words (`mbi` in
/// `zmbiz`, as in `combination`), and written one and two lines below a keyword line. With
/// the prefilter off, the keyword two lines up counted for a rule of `span_lines = 0`, whose
/// keyword spans end on the keyword's own line, and its validator's check for a label on the
/// value's line took the word for one.
#[test]
fn a_keyword_above_a_rules_span_counts_neither_with_nor_without_the_prefilter() {
    let db = builtin_db();
    let mut text = String::new();
    for rule in db.rules().iter().filter(|r| r.keyword_required()) {
        let keywords = &rule.spec.keywords;
        for ex in rule
            .spec
            .examples
            .iter()
            .chain(&rule.spec.negative_examples)
        {
            for inside_words in [false, true] {
                let mut changed = ex.text().to_owned();
                for k in keywords {
                    let lower = changed.to_ascii_lowercase();
                    let k = k.to_ascii_lowercase();
                    let mut out = String::new();
                    let mut at = 0;
                    for (i, _) in lower.match_indices(&k) {
                        if i >= at {
                            out.push_str(&changed[at..i]);
                            if inside_words {
                                out.push_str(&format!("z{k}z"));
                            } else {
                                out.push_str(&" ".repeat(k.len()));
                            }
                            at = i + k.len();
                        }
                    }
                    out.push_str(&changed[at..]);
                    changed = out;
                }
                for above in [1, 2] {
                    text.push_str("fn main() {}\n");
                    text.push_str(&keywords[0]);
                    text.push('\n');
                    for _ in 1..above {
                        text.push_str("see the note\n");
                    }
                    text.push_str(&changed);
                    text.push('\n');
                }
            }
        }
    }
    let on = findings(&db, &text, true);
    let off = findings(&db, &text, false);
    assert!(!on.is_empty(), "rules of span_lines 2 still find these");
    assert_eq!(on, off);
}
