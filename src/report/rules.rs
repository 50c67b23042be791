//! `rules list`: the active rules, one line each (human) or as a JSON array.

use super::Format;
use crate::detect::RuleDb;
use crate::rules::KeywordRole;
use crate::sanitize;
use std::io::{self, Write};

/// Writes the rules of `db` in `format` (human or JSON; any other format is the caller's to
/// refuse). Ids and names come from packs anyone can write: escaped for a terminal.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_list(db: &RuleDb, format: Format, w: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        let rules: Vec<_> = db
            .rules()
            .iter()
            .map(|r| {
                let role = match r.spec.keyword_role {
                    KeywordRole::Required => "required",
                    KeywordRole::Booster => "booster",
                };
                serde_json::json!({
                    "id": r.id(), "name": r.spec.name, "category": r.category().as_str(),
                    "severity": r.severity.as_str(), "keywords": r.spec.keywords,
                    "keyword_role": role, "validator": r.spec.validator, "source": r.source,
                })
            })
            .collect();
        return super::write_pretty_json(w, &rules);
    }
    let mut w = io::BufWriter::new(w);
    for r in db.rules() {
        let gate = if r.keyword_required() {
            format!("{} keyword(s)", r.spec.keywords.len())
        } else {
            format!("structural, >= {} digits/line", r.spec.min_digits)
        };
        writeln!(
            w,
            "{:<40} {:<6} {:<5} {:<28} {}",
            sanitize::display_str(r.id()),
            r.category().as_str(),
            r.severity.as_str(),
            gate,
            sanitize::display_str(&r.spec.name)
        )?;
    }
    writeln!(w, "{} rules", db.rules().len())?;
    w.flush()
}
