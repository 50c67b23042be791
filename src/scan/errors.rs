//! Error and warning text as printed. An error may quote what the user or the repository
//! handed over — a path whose file name holds an SSN (`exports/<ssn>.csv: no such file or
//! directory`), a config value, a ref name — so its text goes through the built-in rules,
//! as `phiguard redact --conservative` masks a log, before anyone sees it.

use super::{Engine, Redaction};
use crate::detect::{DetectOptions, RuleDb, RuleDbBuilder, Scratch};
use crate::fingerprint::Key;
use crate::policy::Policy;
use std::sync::OnceLock;

/// Printed instead of an error's text when the text cannot be masked (the built-in rules did
/// not compile, which the test suite rules out): never the unmasked text.
const WITHHELD: &str = "(the message is withheld: it could not be checked for values)";

/// `text` with every value a built-in rule finds masked, control characters escaped.
pub fn error_text(text: &str) -> String {
    static DB: OnceLock<Option<RuleDb>> = OnceLock::new();
    let db = DB.get_or_init(|| {
        RuleDbBuilder::builtin_for_scanning()
            .and_then(RuleDbBuilder::build)
            .ok()
    });
    let Some(db) = db else {
        return WITHHELD.to_owned();
    };
    let policy = Policy::default();
    // Fingerprints are never shown here: any key does.
    let key = Key::from_bytes(*b"error-text");
    let engine = Engine {
        db,
        policy: &policy,
        detect: DetectOptions::default(),
        fingerprint_key: &key,
    };
    match engine.redact(
        text.as_bytes(),
        0,
        Redaction::Conservative,
        &mut Scratch::default(),
    ) {
        Ok(masked) => crate::sanitize::display(&masked),
        Err(_) => WITHHELD.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value in a quoted path is masked; the rest of the message is kept as it was.
    #[test]
    fn a_value_in_an_error_is_masked_and_the_rest_kept() {
        let ssn = format!("{}-{}-{}", 536, 90, 4399);
        let text = error_text(&format!("exports/{ssn}.csv: no such file or directory"));
        assert!(!text.contains(&ssn), "{text}");
        assert!(text.starts_with("exports/"), "{text}");
        assert!(text.ends_with(".csv: no such file or directory"), "{text}");
        let plain = "config error in .phiguard.toml: `threads` must be 1 to 1024";
        assert_eq!(error_text(plain), plain);
        assert_eq!(error_text("a\x1b[2Jb"), "a\\x1b[2Jb");
    }
}
