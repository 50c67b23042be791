//! SARIF 2.1.0 for code-scanning dashboards: rule metadata, levels error/warning/note and
//! `partialFingerprints` carrying the value-safe fingerprint.

use super::{Style, shown};
use crate::model::{Finding, Report, RuleMeta};
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

/// GitHub code scanning's `security-severity` (0.0–10.0) for a severity.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Block => "8.5",
        Severity::Warn => "5.5",
        Severity::Info => "2.0",
    }
}

/// What to do about a finding of this category (SARIF `help`).
fn remediation(category: crate::rules::Category) -> &'static str {
    match category {
        crate::rules::Category::Phi => {
            "Remove the value and rewrite the commit that introduced it (`git commit --amend`, \
             `git rebase -i`; a new commit on top leaves it in history; `git filter-repo` for \
             history already pushed). Test data: use a synthetic value (SSN 9xx-xx-xxxx, phone \
             555-01xx, example.com, a Synthea record); PHI under tests/ or fixtures/ only warns. \
             A false positive: add `phiguard:allow <reason>` to the line or the line above."
        }
        crate::rules::Category::Secret => {
            "Revoke and rotate the secret now (once pushed it is exposed, and a rewrite does not \
             take it back), load the new one from the environment or a secret store, and rewrite \
             the commit that introduced it (`git commit --amend`, `git rebase -i`; `git \
             filter-repo` for history already pushed). A secret blocks under test paths too. A \
             false positive: add `phiguard:allow <reason>` to the line or the line above."
        }
        crate::rules::Category::Config => {
            "The change weakens phiguard's own checks. Revert it, or have it reviewed and \
             accept it with `phiguard:allow <reason>` on the key's line (or the comment line \
             above) or a baseline entry; the base's configuration judges the change itself."
        }
    }
}

/// One `tool.driver.rules` entry: described by the rule itself when its metadata is known
/// (the first finding's message is only the fallback).
fn rule_json(id: &str, f: &Finding, meta: Option<&RuleMeta>) -> Value {
    let (name, full, severity) = match meta {
        Some(m) => (m.name.as_str(), m.message.as_str(), m.severity),
        None => (f.message.as_str(), f.message.as_str(), f.severity),
    };
    let help = remediation(f.category);
    json!({
        "id": id,
        "name": id,
        "shortDescription": {"text": name},
        "fullDescription": {"text": full},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": level(severity)},
        "properties": {
            "category": f.category.as_str(),
            "tags": [f.category.as_str(), "security"],
            "security-severity": security_severity(severity),
        },
    })
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
    let mut rules: BTreeMap<&str, (usize, &Finding)> = BTreeMap::new();
    for f in &shown {
        let n = rules.len();
        rules.entry(&f.rule).or_insert((n, f));
    }
    let mut ordered: Vec<_> = rules.iter().collect();
    ordered.sort_by_key(|(_, (i, _))| *i);
    let rule_meta: Vec<Value> = ordered
        .iter()
        .map(|(id, (_, f))| rule_json(id, f, report.rule_meta.get(**id)))
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
            let message = f.in_message().then_some(f.commit.as_deref()).flatten();
            let location = match message {
                // A commit message is no file of the tree: a logical location naming the
                // commit, and the line in the message text.
                Some(commit) => json!({
                    "logicalLocations": [{
                        "name": "commit message",
                        "fullyQualifiedName": format!("commit {commit} message"),
                        "kind": "object",
                    }],
                    "message": {"text": format!("line {} of the message of commit {commit}", f.line)},
                }),
                None => json!({"physicalLocation": {
                    "artifactLocation": {"uri": uri(&f.path)},
                    "region": region,
                }}),
            };
            let text = match message {
                Some(commit) => format!(
                    "{} (message of commit {}, line {})",
                    f.message,
                    &commit[..commit.len().min(12)],
                    f.line
                ),
                None => f.message.clone(),
            };
            let mut r = json!({
                "ruleId": &*f.rule,
                "ruleIndex": rules[&*f.rule].0,
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [location],
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
                "rules": rule_meta,
            }},
            "results": results,
        }],
    });
    super::write_pretty_json(w, &doc)
}
