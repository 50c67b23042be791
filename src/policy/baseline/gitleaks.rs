//! Importing a gitleaks baseline (`gitleaks detect --report-path report.json`) or a
//! `.gitleaksignore`, so a repository keeps the decisions it already made about its secrets.
//!
//! gitleaks records a line and a commit, not something phiguard can match a value by, so
//! each becomes a **count entry**: for every rule and file, as many findings as gitleaks
//! listed. The rule is phiguard's when gitleaks' id names the same kind (`aws-access-token`
//! → `secret.aws.access-key-id`, table below), else `gitleaks.<id>`, which is what a gitleaks
//! configuration loaded with `--rules` names its rules. A `.gitleaksignore` line is a
//! fingerprint `commit:file:rule:line` (or `file:rule:line` for a directory scan); the file
//! is taken from between the first field that is not a commit and the last two.

use super::{Baseline, Entry};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// gitleaks' default rule ids and the phiguard rule that finds the same kind.
const RULES: &[(&str, &str)] = &[
    ("aws-access-token", "secret.aws.access-key-id"),
    ("generic-api-key", "secret.generic.api-key"),
    ("github-pat", "secret.github-token"),
    ("github-fine-grained-pat", "secret.github-token"),
    ("github-oauth", "secret.github-token"),
    ("github-app-token", "secret.github-token"),
    ("github-refresh-token", "secret.github-token"),
    ("gitlab-pat", "secret.gitlab.personal-access-token"),
    ("gitlab-ptt", "secret.gitlab.pipeline-trigger-token"),
    ("gitlab-rrt", "secret.gitlab.runner-registration-token"),
    ("gcp-api-key", "secret.google.api-key"),
    ("jwt", "secret.jwt"),
    ("npm-access-token", "secret.npm.access-token"),
    ("openai-api-key", "secret.openai.api-key"),
    ("private-key", "secret.private-key"),
    ("pypi-upload-token", "secret.pypi.upload-token"),
    ("sendgrid-api-token", "secret.sendgrid.api-key"),
    ("slack-bot-token", "secret.slack.bot-token"),
    ("slack-user-token", "secret.slack.user-token"),
    ("slack-app-token", "secret.slack.app-token"),
    ("slack-webhook-url", "secret.slack.webhook-url"),
    ("stripe-access-token", "secret.stripe.secret-key"),
    ("twilio-api-key", "secret.twilio.api-key-sid"),
];

/// phiguard's rule id for a gitleaks rule id.
pub fn rule_id(gitleaks: &str) -> String {
    RULES
        .iter()
        .find(|(g, _)| g.eq_ignore_ascii_case(gitleaks))
        .map_or_else(
            || {
                let id: String = gitleaks
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect();
                format!("gitleaks.{id}")
            },
            |(_, p)| (*p).to_owned(),
        )
}

/// One finding gitleaks recorded: its rule and file.
type Listed = (String, String);

/// The (rule, file) pairs of a gitleaks JSON report.
///
/// # Errors
///
/// When the text is not a gitleaks report (an array of objects with `RuleID` and `File`).
pub fn from_report(text: &str) -> Result<Vec<Listed>> {
    #[derive(serde::Deserialize)]
    struct Leak {
        #[serde(rename = "RuleID")]
        rule: String,
        #[serde(rename = "File")]
        file: String,
    }
    let leaks: Vec<Leak> = serde_json::from_str(text).map_err(|e| {
        Error::usage(format!(
            "not a gitleaks JSON report (an array of findings with RuleID and File) at line {}",
            e.line()
        ))
    })?;
    Ok(leaks.into_iter().map(|l| (l.rule, l.file)).collect())
}

/// The (rule, file) pairs of a `.gitleaksignore`: one fingerprint a line, `#` comments.
///
/// # Errors
///
/// When a line is not a gitleaks fingerprint (the error names the line, not its text).
pub fn from_ignore(text: &str) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(':').collect();
        let bad = || {
            Error::usage(format!(
                ".gitleaksignore line {}: not `[commit:]file:rule:line`",
                n + 1
            ))
        };
        if fields.len() < 3 || fields[fields.len() - 1].parse::<u64>().is_err() {
            return Err(bad());
        }
        let is_commit =
            |s: &str| s.len() >= 7 && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let first = usize::from(fields.len() > 3 && is_commit(fields[0]));
        let file = fields[first..fields.len() - 2].join(":");
        let rule = fields[fields.len() - 2];
        if file.is_empty() || rule.is_empty() {
            return Err(bad());
        }
        out.push((rule.to_owned(), file));
    }
    Ok(out)
}

/// Adds a count entry per rule and file of `listed` to `baseline` (raising a count already
/// there), with `reason`. Returns how many entries were added or raised.
pub fn import(baseline: &mut Baseline, listed: &[Listed], reason: &str) -> usize {
    let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (rule, file) in listed {
        let file = file.strip_prefix("./").unwrap_or(file);
        *counts.entry((rule_id(rule), file.to_owned())).or_default() += 1;
    }
    let changed = counts.len();
    for ((rule, path), count) in counts {
        match baseline
            .entries
            .iter_mut()
            .find(|e| e.rule == rule && e.path == path && e.hash.is_none())
        {
            Some(e) => e.count = Some(e.count.unwrap_or(0).max(count)),
            None => baseline.entries.push(Entry {
                rule,
                path,
                hash: None,
                count: Some(count),
                reason: Some(reason.to_owned()),
            }),
        }
    }
    changed
}
