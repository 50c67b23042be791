//! `phiguard rules check`: every rule's `examples` must be found and every
//! `negative_examples` entry missed, through the real pipeline (prefilter, regex, validator,
//! policy). CI runs it over the built-in packs, so a rule can never silently stop working.

use crate::detect::{DetectOptions, RuleDb, Scratch};
use crate::error::Result;
use crate::policy::Policy;
use crate::scan::Engine;
use crate::source::Item;

/// One way a rule failed its own examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The rule id.
    pub rule: String,
    /// The pack it lives in.
    pub source: String,
    /// `example` or `negative_example`.
    pub what: &'static str,
    /// 1-based index among the rule's examples of that kind.
    pub index: usize,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.what == "example" {
            "is not found"
        } else {
            "is found"
        };
        write!(
            f,
            "{}: rule {}: {} #{} {verb}",
            self.source, self.rule, self.what, self.index
        )
    }
}

/// Whether `text`, scanned as `path`, yields an unsuppressed finding of `rule`.
///
/// # Errors
///
/// When a regex does not compile.
pub fn finds(db: &RuleDb, opts: DetectOptions, rule: &str, path: &str, text: &str) -> Result<bool> {
    let policy = Policy::default();
    let engine = Engine {
        db,
        policy: &policy,
        detect: opts,
        fingerprint_key: &crate::fingerprint::Key::from_bytes(*b"rules check"),
    };
    let item = Item::whole(path, text.as_bytes().to_vec());
    let found = engine.scan_item(&item, &mut Scratch::default())?;
    Ok(found.findings.iter().any(|f| &*f.rule == rule))
}

/// Runs every example of every rule in `db`.
///
/// # Errors
///
/// When a regex does not compile.
pub fn check(db: &RuleDb, opts: DetectOptions) -> Result<Vec<Failure>> {
    db.compile_all()?;
    let mut failures = Vec::new();
    for rule in db.rules().iter().filter(|r| r.spec.report) {
        let fail = |what, index| Failure {
            rule: rule.id().to_owned(),
            source: rule.source.clone(),
            what,
            index,
        };
        for (i, ex) in rule.spec.examples.iter().enumerate() {
            if !finds(db, opts, rule.id(), ex.path(), ex.text())? {
                failures.push(fail("example", i + 1));
            }
        }
        for (i, ex) in rule.spec.negative_examples.iter().enumerate() {
            if finds(db, opts, rule.id(), ex.path(), ex.text())? {
                failures.push(fail("negative_example", i + 1));
            }
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests;
