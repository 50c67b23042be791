//! SARIF 2.1.0 for code-scanning dashboards: rule metadata, levels error/warning/note and
//! `partialFingerprints` carrying the value-safe fingerprint.

use super::{Report, Style, shown};
use crate::rules::Severity;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// A relative path as a URI reference: everything but unreserved characters and `/` is
/// percent-encoded (a path with a space or `#` is otherwise no valid `artifactLocation.uri`).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Block => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    }
}

/// Writes a SARIF log.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let shown: Vec<_> = report
        .findings
        .iter()
        .filter(|f| shown(&style, f))
        .collect();
    let mut rules: BTreeMap<&str, (usize, &str, &str)> = BTreeMap::new();
    for f in &shown {
        let n = rules.len();
        rules
            .entry(&f.rule)
            .or_insert((n, f.category.as_str(), &f.message));
    }
    let mut ordered: Vec<_> = rules.iter().collect();
    ordered.sort_by_key(|(_, (i, _, _))| *i);
    let rule_meta: Vec<Value> = ordered
        .iter()
        .map(|(id, (_, cat, msg))| {
            json!({
                "id": id,
                "shortDescription": {"text": msg},
                "properties": {"category": cat, "tags": [cat]},
            })
        })
        .collect();
    let results: Vec<Value> = shown
        .iter()
        .map(|f| {
            let mut region = json!({
                "startLine": f.line,
                "startColumn": f.utf16_columns.0,
                "endColumn": f.utf16_columns.1,
                "snippet": {"text": f.excerpt},
            });
            if f.utf16_columns.1 <= f.utf16_columns.0 {
                region.as_object_mut().unwrap().remove("endColumn");
            }
            let mut r = json!({
                "ruleId": &*f.rule,
                "ruleIndex": rules[&*f.rule].0,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(&f.path)},
                    "region": region,
                }}],
                "partialFingerprints": {"phiguard/v1": f.fingerprint},
            });
            if let Some(c) = &f.commit {
                r["properties"] = json!({"commit": &**c, "ref": f.refname.as_deref()});
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "phiguard",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/phiguard/phiguard",
                "rules": rule_meta,
            }},
            "results": results,
        }],
    });
    super::write_pretty_json(w, &doc)
}
