//! SARIF 2.1.0 for code-scanning dashboards: rule metadata, levels error/warning/note and
//! `partialFingerprints` carrying the value-safe fingerprint.

use super::{Style, shown};
use crate::model::{Finding, Report, RuleMeta};
use crate::rules::Severity;
use serde::Serialize;
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

/// A SARIF log, written field by field from the report (a `serde_json::Value` tree built
/// first cost 120 ms for the staged corpus' 6,000 findings, twenty times the JSON format's
/// time). Every object's fields are in the sorted order a `Value` object prints them in, so
/// the log is the same byte for byte.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
struct Run<'a> {
    results: Vec<SarifResult<'a>>,
    tool: Tool,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
struct Driver {
    name: &'static str,
    rules: Vec<Value>,
    version: &'static str,
}

/// `{"text": ...}`, borrowed or made for the result.
#[derive(Serialize)]
struct Text<'a> {
    text: std::borrow::Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<'a>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties<'a>>,
    rule_id: &'a str,
    rule_index: usize,
}

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "phiguard/v1")]
    v1: &'a str,
}

#[derive(Serialize)]
struct Properties<'a> {
    commit: &'a str,
    #[serde(rename = "ref")]
    refname: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Location<'a> {
    /// A commit message is no file of the tree: a logical location naming the commit, and
    /// the line in the message text.
    Message {
        #[serde(rename = "logicalLocations")]
        logical: [Logical; 1],
        message: Text<'a>,
    },
    File {
        #[serde(rename = "physicalLocation")]
        physical: Physical<'a>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical {
    fully_qualified_name: String,
    kind: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Uri,
    region: Region<'a>,
}

#[derive(Serialize)]
struct Uri {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
    snippet: Text<'a>,
    start_column: u32,
    start_line: u32,
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
    let results: Vec<SarifResult<'_>> = shown
        .iter()
        .map(|f| {
            let message = f.in_message().then_some(f.commit.as_deref()).flatten();
            let (location, text) = match message {
                Some(commit) => (
                    Location::Message {
                        logical: [Logical {
                            fully_qualified_name: format!("commit {commit} message"),
                            kind: "object",
                            name: "commit message",
                        }],
                        message: Text {
                            text: format!("line {} of the message of commit {commit}", f.line)
                                .into(),
                        },
                    },
                    std::borrow::Cow::Owned(format!(
                        "{} (message of commit {}, line {})",
                        f.message,
                        &commit[..commit.len().min(12)],
                        f.line
                    )),
                ),
                None => (
                    Location::File {
                        physical: Physical {
                            artifact_location: Uri { uri: uri(&f.path) },
                            region: Region {
                                end_column: (f.utf16_columns.1 > f.utf16_columns.0)
                                    .then_some(f.utf16_columns.1),
                                snippet: Text {
                                    text: f.excerpt.as_str().into(),
                                },
                                start_column: f.utf16_columns.0,
                                start_line: f.line,
                            },
                        },
                    },
                    std::borrow::Cow::Borrowed(f.message.as_str()),
                ),
            };
            SarifResult {
                level: level(f.severity),
                locations: [location],
                message: Text { text },
                partial_fingerprints: Fingerprints { v1: &f.fingerprint },
                properties: f.commit.as_deref().map(|commit| Properties {
                    commit,
                    refname: f.refname.as_deref(),
                }),
                rule_id: &f.rule,
                rule_index: rules[&*f.rule].0,
            }
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            results,
            tool: Tool {
                driver: Driver {
                    name: "phiguard",
                    rules: rule_meta,
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    super::write_pretty_json(w, &log)
}
