//! A change to `.phiguard.toml` that weakens the checks is a finding of its own,
//! [`RULE`] (`policy.config.weakened`, severity block). Without it, a commit could turn off the
//! client hook and the `scan --range` gate that were meant to judge it: add an `exclude` glob,
//! disable a rule, lower a severity, and the PHI next to it passes.
//!
//! Both versions are parsed and resolved ([`Config::repository_only`]) and compared
//! semantically, key by key: formatting, comments and reordering are not changes, and a change
//! that only makes the checks stricter is not reported. A weakening a team wants is accepted
//! like any other finding, visibly in the change itself: `phiguard:allow <reason>` on the
//! key's line or the comment line above it (not honoured where the server's policy turns
//! inline allows off), or a baseline entry, whose fingerprint hashes the key and what it
//! added, so accepting one weakening does not accept the next.
//!
//! The messages name keys, counts and rule ids, never a glob or a regex as written (a glob
//! may name a file after a patient).

use crate::config::Config;
use crate::fingerprint::{self, Key};
use crate::model::{Finding, Report, Suppression};
use crate::policy::refs::{PolicySection, RequireSigned};
use crate::policy::suppress;
use crate::rules::{Category, Severity};
use crate::sanitize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The rule id of a weakening change.
pub const RULE: &str = "policy.config.weakened";

/// One key a change weakens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weakening {
    /// The key as written in the file's sections (`scan.exclude`, `rules.severity`).
    pub key: &'static str,
    /// The name to look for on the key's line (`exclude`, or a rule id under
    /// `[rules.severity]`).
    pub leaf: String,
    /// What changed, value-free.
    pub detail: String,
    /// What the fingerprint hashes: the key and what the change added.
    pub token: String,
}

fn weak(key: &'static str, leaf: impl Into<String>, detail: String, token: String) -> Weakening {
    Weakening {
        key,
        leaf: leaf.into(),
        detail,
        token: format!("{key}:{token}"),
    }
}

/// The items of `new` that `old` lacks.
fn added<'a, T: Ord + 'a>(
    old: impl IntoIterator<Item = &'a T>,
    new: impl IntoIterator<Item = &'a T>,
) -> Vec<&'a T> {
    let old: BTreeSet<&T> = old.into_iter().collect();
    let new: BTreeSet<&T> = new.into_iter().collect();
    new.difference(&old).copied().collect()
}

/// Rule ids as shown in a message (escaped: they are text someone wrote).
fn ids(list: &[&String]) -> String {
    let shown: Vec<String> = list.iter().map(|s| sanitize::display_str(s)).collect();
    shown.join(", ")
}

/// What makes `new` check less than `old`, one entry per key, in a stable order.
pub fn compare(old: &Config, new: &Config) -> Vec<Weakening> {
    let mut out = Vec::new();
    scan_keys(old, new, &mut out);
    rule_keys(old, new, &mut out);
    for (i, p) in old.policies.iter().enumerate() {
        let same = new.policies.iter().find(|n| n.refs == p.refs);
        if let Some(detail) = policy_weakened(p, same) {
            out.push(weak("policy", "[[policy]]", detail, format!("{i}")));
        }
    }
    out
}

fn scan_keys(old: &Config, new: &Config, out: &mut Vec<Weakening>) {
    let globs = added(&old.exclude, &new.exclude);
    if !globs.is_empty() {
        let token: Vec<&str> = globs.iter().map(|g| g.as_str()).collect();
        let detail = format!("adds {} glob(s) to [scan] exclude", globs.len());
        out.push(weak("scan.exclude", "exclude", detail, token.join("\n")));
    }
    let globs = added(&old.test_paths, &new.test_paths);
    if !globs.is_empty() {
        let token: Vec<&str> = globs.iter().map(|g| g.as_str()).collect();
        let detail = format!(
            "adds {} glob(s) to [scan] test_paths (PHI there only warns)",
            globs.len()
        );
        out.push(weak(
            "scan.test_paths",
            "test_paths",
            detail,
            token.join("\n"),
        ));
    }
    let names = |c: &Config| -> Vec<&'static str> {
        c.test_path_categories.iter().map(|c| c.as_str()).collect()
    };
    let (before, after) = (names(old), names(new));
    let cats = added(&before, &after);
    if !cats.is_empty() {
        let names: Vec<&str> = cats.iter().map(|c| **c).collect();
        let detail = format!(
            "lets test paths downgrade {} findings ([scan] test_path_categories)",
            names.join(", ")
        );
        let leaf = "test_path_categories";
        out.push(weak(
            "scan.test_path_categories",
            leaf,
            detail,
            names.join(","),
        ));
    }
    if new.max_file_bytes > old.max_file_bytes {
        let detail = format!(
            "raises [scan] max_file_bytes from {} to {} (larger files are skipped unscanned on \
             a client, and cost more on the server)",
            old.max_file_bytes, new.max_file_bytes
        );
        let token = new.max_file_bytes.to_string();
        out.push(weak("scan.max_file_bytes", "max_file_bytes", detail, token));
    }
    if old.strict && !new.strict {
        let detail = "turns [scan] strict off (synthetic-looking values pass)".to_owned();
        out.push(weak("scan.strict", "strict", detail, String::new()));
    }
    if old.baseline != new.baseline {
        let detail = "points [scan] baseline at another file".to_owned();
        let token = new.baseline.clone().unwrap_or_default();
        out.push(weak("scan.baseline", "baseline", detail, token));
    }
}

fn rule_keys(old: &Config, new: &Config, out: &mut Vec<Weakening>) {
    let disabled = added(&old.selection.disable, &new.selection.disable);
    if !disabled.is_empty() {
        let detail = format!("disables {}", ids(&disabled));
        let token = ids(&disabled);
        out.push(weak("rules.disable", "disable", detail, token));
    }
    let dropped = added(&new.selection.enable, &old.selection.enable);
    if !dropped.is_empty() {
        let detail = format!("no longer enables {}", ids(&dropped));
        let token = ids(&dropped);
        out.push(weak("rules.enable", "enable", detail, token));
    }
    // Without an override a rule may reach `block` (a validator can raise it), so a new
    // override below `block`, or one lowered, weakens; removing a `block` override may too.
    let mut ids_seen: BTreeSet<&String> = new.selection.severity.keys().collect();
    ids_seen.extend(old.selection.severity.keys());
    for id in ids_seen {
        let before = old.selection.severity.get(id).copied();
        let after = new.selection.severity.get(id).copied();
        let lowered = match (before, after) {
            (b, Some(a)) => a < b.unwrap_or(Severity::Block),
            (Some(b), None) => b == Severity::Block,
            (None, None) => false,
        };
        if lowered {
            let to = after.map_or("its default", Severity::as_str);
            let detail = format!(
                "lowers the severity of {} to {to} ([rules.severity])",
                sanitize::display_str(id)
            );
            let token = format!("{id}={to}");
            out.push(weak("rules.severity", id.clone(), detail, token));
        }
    }
    let old_custom: Vec<&String> = old.custom.iter().map(|(_, r)| &r.id).collect();
    let new_custom: Vec<&String> = new.custom.iter().map(|(_, r)| &r.id).collect();
    let removed = added(new_custom, old_custom);
    if !removed.is_empty() {
        let detail = format!("removes the custom rule(s) {}", ids(&removed));
        let token = ids(&removed);
        out.push(weak("rules.custom", "[[rules.custom]]", detail, token));
    }
    let removed = added(&new.imports, &old.imports);
    if !removed.is_empty() {
        let detail = format!("drops {} imported rule pack(s)", removed.len());
        let token: Vec<String> = removed.iter().map(|p| p.display().to_string()).collect();
        out.push(weak("rules.import", "import", detail, token.join("\n")));
    }
    let regex = |c: &Config| c.mrn_value_regex.as_ref().map(|(_, r)| r.clone());
    if regex(old).is_some() && regex(old) != regex(new) {
        let detail = "changes or removes [rules.mrn] value_regex".to_owned();
        let token = regex(new).unwrap_or_default();
        out.push(weak("rules.mrn.value_regex", "value_regex", detail, token));
    }
}

/// What a `[[policy]]` section lost (`new`: the section of the new file with the same refs).
fn policy_weakened(old: &PolicySection, new: Option<&PolicySection>) -> Option<String> {
    let Some(new) = new else {
        return Some(format!(
            "removes the [[policy]] section for {} ref glob(s)",
            old.refs.len()
        ));
    };
    let block = |p: &PolicySection| p.block_severity.unwrap_or(Severity::Block);
    let mut lost = Vec::new();
    if block(new) > block(old) {
        lost.push("raises block_severity");
    }
    if old.allow_inline_suppressions == Some(false) && new.allow_inline_suppressions != Some(false)
    {
        lost.push("allows inline suppressions");
    }
    let signed =
        |p: &PolicySection| !matches!(p.require_signed, None | Some(RequireSigned::Flag(false)));
    if signed(old) && !signed(new) {
        lost.push("drops require_signed");
    }
    if !added(&old.bypass, &new.bypass).is_empty() {
        lost.push("adds bypass pushers");
    }
    let flag = |v: Option<bool>| v == Some(true);
    if flag(old.deny_delete.or(old.protect_delete)) && !flag(new.deny_delete.or(new.protect_delete))
    {
        lost.push("drops deny_delete");
    }
    if flag(old.deny_non_fast_forward) && !flag(new.deny_non_fast_forward) {
        lost.push("drops deny_non_fast_forward");
    }
    if !added(&new.require_trailers, &old.require_trailers).is_empty() {
        lost.push("drops required trailers");
    }
    (!lost.is_empty()).then(|| format!("[[policy]]: {}", lost.join(", ")))
}

/// Where a weakening is in the new file's text: the byte offset of the first line whose key
/// is `leaf` (`leaf = …`, `"leaf" = …`, or a `[[leaf]]`-style header), else the start.
fn locate(text: &str, leaf: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let key = t.trim_start_matches(['"', '\'']);
        let matches = if leaf.starts_with('[') {
            t.starts_with(leaf)
        } else {
            key.strip_prefix(leaf).is_some_and(|rest| {
                rest.trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with('=')
            })
        };
        if matches {
            return offset + (line.len() - t.len());
        }
        offset += line.len();
    }
    0
}

/// Where the findings of one change are reported.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    /// The configuration file, relative to the repository root.
    pub path: &'a str,
    /// The new version's text (`None`: the file was deleted).
    pub text: Option<&'a str>,
    /// The commit that made the change (full hex), for history scans.
    pub commit: Option<&'a str>,
}

/// The findings for `weakenings`, one per key, at the key's line of the new file; a
/// `phiguard:allow <reason>` there makes one suppressed ([`Suppression::Inline`]).
pub fn findings(weakenings: &[Weakening], at: At<'_>, key: &Key) -> Vec<Finding> {
    weakenings
        .iter()
        .map(|w| {
            let text = at.text.unwrap_or("");
            let offset = locate(text, &w.leaf);
            let line = text[..offset].matches('\n').count() + 1;
            let allowed = suppress::inline_allowed(text.as_bytes(), offset, Category::Config);
            let width = w.leaf.len() as u32;
            Finding {
                rule: Arc::from(RULE),
                category: Category::Config,
                severity: Severity::Block,
                path: Arc::from(at.path),
                line: line as u32,
                column: 1,
                end_column: 1 + width,
                utf16_columns: (1, 1 + width),
                utf16_end: (line as u32, 1 + width),
                commit: at.commit.map(Arc::from),
                refname: None,
                excerpt: format!("{} = …", sanitize::display_str(&w.leaf)),
                fingerprint: fingerprint::fingerprint(key, RULE, at.path, w.token.as_bytes()),
                message: format!(
                    "this change to {} weakens the checks: {}",
                    sanitize::display_str(at.path),
                    w.detail
                ),
                suppressed: allowed.then_some(Suppression::Inline),
                reason: if allowed {
                    suppress::reason(text.as_bytes(), offset)
                } else {
                    None
                },
            }
        })
        .collect()
}

/// Adds `findings` to `report` (suppressed ones to its suppressed list) and recounts it.
pub fn add(report: &mut Report, findings: Vec<Finding>) {
    if findings.is_empty() {
        return;
    }
    for f in findings {
        if f.suppressed.is_some() {
            report.suppressed.push(f);
        } else {
            report.findings.push(f);
        }
    }
    report.sort();
    report.tally();
}

#[cfg(test)]
mod tests;
