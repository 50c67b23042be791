//! The baseline (DESIGN §6): findings a repository already had when it adopted phiguard,
//! recorded without their values so that they stop blocking while anything new still does.
//!
//! `.phiguard-baseline` is TOML:
//!
//! ```toml
//! # phiguard baseline: findings that do not block (README "Baseline")
//! version = 1
//! fingerprint_key = "9f2c…"  # the fingerprint key, when [report] fingerprint_key sets none
//!
//! [[entry]]                # one value: rule, path, at most 20 bits of its keyed hash
//! rule = "phi.ssn"
//! path = "db/seed.sql"
//! hash = "3a91f"
//! reason = "legacy seed data, ticket 42"
//!
//! [[entry]]                # a kind with too few values to hash: up to `count` per file
//! rule = "phi.dob"
//! path = "db/seed.sql"
//! count = 3
//! ```
//!
//! A hash entry covers every finding of its rule in its file whose fingerprint hash is the
//! same (line moves and edits elsewhere keep it; another value in the file almost never has
//! it: 1 in 2^bits). A count entry lets the first `count` findings of its rule in its file
//! through, in line order, and the rest block. Entries hold no value and no line.

use crate::error::{Error, ErrorKind, Result};
use crate::fingerprint::{self, Key, NO_HASH};
use crate::model::{Finding, Report};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

use crate::model::Suppression;

/// The file name at the repository root.
pub const FILE_NAME: &str = ".phiguard-baseline";

/// The server's baseline, in `$GIT_DIR` (a baseline pushed with the code is never read there).
pub const SERVER_FILE_NAME: &str = "phiguard-baseline";

/// The format version written.
pub const VERSION: u32 = 1;

/// What the file starts with.
const HEADER: &str = "# phiguard baseline: existing findings that do not block. No values: each entry\n\
# is a rule, a path and at most 20 bits of a keyed hash (or a count per file).\n\
# Edit with `phiguard baseline create|update|add`; see the README, \"Baseline\".\n";

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// The fingerprint key in hex, unless the configuration sets one. Written as
    /// `fingerprint_key` (`key` is read too): the key is shared on purpose with everyone who
    /// has the repository, and a `key = "<64 hex>"` line reads as a credential to the
    /// generic secret rules.
    #[serde(
        default,
        rename = "fingerprint_key",
        alias = "key",
        skip_serializing_if = "Option::is_none"
    )]
    pub key: Option<String>,
    /// The entries.
    #[serde(default, rename = "entry", skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Entry>,
}

/// One entry: a value (by hash) or a number of findings (by count) of a rule in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Rule id.
    pub rule: String,
    /// Path relative to the repository root.
    pub path: String,
    /// The fingerprint's hash (5 hex digits), for kinds that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// How many findings of the rule the file may hold, for kinds without a hash (and
    /// imports from gitleaks, which record no value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Why it is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Entry {
    /// The entry, value-free, for messages: `rule:path:hash` or `rule:path (count N)`.
    pub fn describe(&self) -> String {
        let path = crate::sanitize::display_str(&self.path);
        match (&self.hash, self.count) {
            (Some(h), _) => format!("{}:{path}:{h}", self.rule),
            (None, c) => format!("{}:{path} (count {})", self.rule, c.unwrap_or(0)),
        }
    }
}

/// What applying a baseline found out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Entries that matched nothing, or count entries with room for more than were found.
    pub stale: Vec<Entry>,
}

impl Baseline {
    /// A new, empty baseline; with a freshly generated key unless `keyed` (the configuration
    /// sets one).
    ///
    /// # Errors
    ///
    /// When no random key can be made.
    pub fn new(keyed: bool) -> Result<Baseline> {
        Ok(Baseline {
            version: VERSION,
            key: if keyed {
                None
            } else {
                Some(Key::random()?.to_hex())
            },
            entries: Vec::new(),
        })
    }

    /// Reads `path`; `Ok(None)` when it does not exist.
    ///
    /// # Errors
    ///
    /// When it cannot be read or is not a valid baseline (the error names the file).
    pub fn load(path: &Path) -> Result<Option<Baseline>> {
        // Opened without blocking and read only when regular and within bounds: a FIFO or a
        // link to `/dev/zero` named as the baseline must not hang the hook or fill memory.
        let bytes = match crate::file::read_bounded(path, MAX_BASELINE_BYTES) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(bad(path, &format!("cannot be read: {e}"))),
        };
        let text =
            String::from_utf8(bytes).map_err(|_| bad(path, "cannot be read: not valid UTF-8"))?;
        Baseline::parse(&text)
            .map(Some)
            .map_err(|why| bad(path, &why))
    }

    /// Parses the text of a baseline.
    ///
    /// # Errors
    ///
    /// What is wrong with it, without quoting it.
    pub fn parse(text: &str) -> std::result::Result<Baseline, String> {
        let b: Baseline = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at line {}", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            format!("is not a valid baseline{at}: {}", e.message())
        })?;
        if b.version != VERSION {
            return Err(format!(
                "has version {}, this phiguard reads {VERSION}",
                b.version
            ));
        }
        if b.key.as_deref().is_some_and(|k| Key::from_hex(k).is_none()) {
            return Err("has a key that is not hex".to_owned());
        }
        for (i, e) in b.entries.iter().enumerate() {
            let ok = match (&e.hash, e.count) {
                (Some(h), None) => {
                    fingerprint::split(&format!("r:p:{h}")).is_some() && h != NO_HASH
                }
                (None, Some(_)) => true,
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "entry {} needs either `hash` (5 hex digits) or `count`",
                    i + 1
                ));
            }
        }
        Ok(b)
    }

    /// The baseline as its file's text.
    pub fn to_text(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// Writes the file (through a temporary file and a rename).
    ///
    /// # Errors
    ///
    /// When it cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("phiguard-tmp");
        std::fs::write(&tmp, self.to_text())
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| bad(path, &format!("cannot be written: {e}")))
    }

    /// The key kept in the header.
    pub fn key(&self) -> Option<Key> {
        self.key.as_deref().and_then(Key::from_hex)
    }

    /// Moves the findings of `report` that the baseline covers to its suppressed ones (as
    /// [`Suppression::Baseline`], with the entry's reason) and recounts the summary.
    pub fn apply(&self, report: &mut Report) -> Applied {
        type Triple = (String, String, String);
        let mut by_hash: BTreeMap<Triple, (usize, bool)> = BTreeMap::new();
        let mut by_count: BTreeMap<(String, String), (usize, u32)> = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            match (&e.hash, e.count) {
                (Some(h), _) => {
                    by_hash.insert((e.rule.clone(), e.path.clone(), h.clone()), (i, false));
                }
                (None, Some(c)) => {
                    by_count
                        .entry((e.rule.clone(), e.path.clone()))
                        .or_insert((i, 0))
                        .1 += c;
                }
                (None, None) => {}
            }
        }
        let mut kept = Vec::with_capacity(report.findings.len());
        for mut f in std::mem::take(&mut report.findings) {
            let Some((rule, path, hash)) = fingerprint::split(&f.fingerprint)
                .map(|(r, p, h)| (r.to_owned(), p.to_owned(), h.to_owned()))
            else {
                kept.push(f);
                continue;
            };
            let triple = (rule, path, hash);
            let entry = match by_hash.get_mut(&triple) {
                Some((i, seen)) => {
                    *seen = true;
                    Some(*i)
                }
                None => match by_count.get_mut(&(triple.0, triple.1)) {
                    Some((i, left)) if *left > 0 => {
                        *left -= 1;
                        Some(*i)
                    }
                    _ => None,
                },
            };
            match entry {
                Some(i) => {
                    f.suppressed = Some(Suppression::Baseline);
                    f.reason = self.entries[i].reason.clone();
                    report.suppressed.push(f);
                }
                None => kept.push(f),
            }
        }
        report.findings = kept;
        // Findings counted past the listed ones carry no fingerprint: a count entry of their
        // rule and file covers all of them (every severity together) or none.
        let mut capped: BTreeMap<(String, String), usize> = BTreeMap::new();
        for c in report.capped.iter().filter(|c| c.suppressed.is_none()) {
            *capped
                .entry((c.rule.to_string(), c.rooted.to_string()))
                .or_default() += c.count;
        }
        for (key, total) in capped {
            let Some((_, left)) = by_count.get_mut(&key) else {
                continue;
            };
            if (*left as usize) < total {
                continue;
            }
            *left -= total as u32;
            for c in report
                .capped
                .iter_mut()
                .filter(|c| c.suppressed.is_none() && *c.rule == *key.0 && *c.rooted == *key.1)
            {
                c.suppressed = Some(Suppression::Baseline);
            }
        }
        report.sort();
        report.tally();
        let hashed_unused = by_hash.values().filter(|(_, seen)| !seen).map(|(i, _)| *i);
        let count_unused = by_count
            .values()
            .filter(|(_, left)| *left > 0)
            .map(|(i, _)| *i);
        let mut stale: Vec<usize> = hashed_unused.chain(count_unused).collect();
        stale.sort_unstable();
        Applied {
            stale: stale.into_iter().map(|i| self.entries[i].clone()).collect(),
        }
    }

    /// The baseline that covers exactly `findings` (all of a full scan, none suppressed) and
    /// the findings `capped` counts past the listed ones: one hash entry per value, one count
    /// entry per rule and file for kinds without a hash and for capped findings. Reasons of
    /// this baseline's entries that still match are kept; so is the key.
    pub fn rebuilt<'f>(
        &self,
        findings: impl IntoIterator<Item = &'f Finding>,
        capped: &[crate::model::Capped],
    ) -> Baseline {
        let mut hashes: BTreeMap<(String, String, String), ()> = BTreeMap::new();
        let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
        for c in capped.iter().filter(|c| c.suppressed.is_none()) {
            *counts
                .entry((c.rule.to_string(), c.rooted.to_string()))
                .or_default() += c.count as u32;
        }
        for f in findings {
            let Some((rule, path, hash)) = fingerprint::split(&f.fingerprint) else {
                continue;
            };
            if hash == NO_HASH {
                *counts
                    .entry((rule.to_owned(), path.to_owned()))
                    .or_default() += 1;
            } else {
                hashes.insert((rule.to_owned(), path.to_owned(), hash.to_owned()), ());
            }
        }
        let reason = |rule: &str, path: &str, hash: Option<&str>| {
            self.entries
                .iter()
                .find(|e| e.rule == rule && e.path == path && e.hash.as_deref() == hash)
                .and_then(|e| e.reason.clone())
        };
        let mut entries: Vec<Entry> = hashes
            .into_keys()
            .map(|(rule, path, hash)| Entry {
                reason: reason(&rule, &path, Some(&hash)),
                rule,
                path,
                hash: Some(hash),
                count: None,
            })
            .chain(counts.into_iter().map(|((rule, path), count)| Entry {
                reason: reason(&rule, &path, None),
                rule,
                path,
                hash: None,
                count: Some(count),
            }))
            .collect();
        entries.sort_by(|a, b| (&a.path, &a.rule, &a.hash).cmp(&(&b.path, &b.rule, &b.hash)));
        Baseline {
            version: VERSION,
            key: self.key.clone(),
            entries,
        }
    }

    /// Adds the entry a fingerprint (`rule:path:hash`, or `rule:path:-` for a kind counted
    /// per file) stands for, with a reason. A second count fingerprint of one rule and file
    /// raises its count. Returns whether the baseline changed.
    ///
    /// # Errors
    ///
    /// When `fingerprint` is not one.
    pub fn add(&mut self, fingerprint: &str, reason: &str) -> Result<bool> {
        let (rule, path, hash) = fingerprint::split(fingerprint).ok_or_else(|| {
            Error::usage(
                "not a fingerprint: expected `rule:path:hash` as the `fingerprint` of a \
                 finding in `--format json` (5 hex digits, or `-`)",
            )
        })?;
        let reason = Some(reason.to_owned());
        if hash == NO_HASH {
            if let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| e.rule == rule && e.path == path && e.hash.is_none())
            {
                e.count = Some(e.count.unwrap_or(0) + 1);
                e.reason = reason;
                return Ok(true);
            }
        } else if self
            .entries
            .iter()
            .any(|e| e.rule == rule && e.path == path && e.hash.as_deref() == Some(hash))
        {
            return Ok(false);
        }
        self.entries.push(Entry {
            rule: rule.to_owned(),
            path: path.to_owned(),
            hash: (hash != NO_HASH).then(|| hash.to_owned()),
            count: (hash == NO_HASH).then_some(1),
            reason,
        });
        Ok(true)
    }
}

/// Largest baseline read: an entry is about 150 bytes, so this holds well over a million
/// findings.
pub const MAX_BASELINE_BYTES: u64 = 256 << 20;

fn bad(path: &Path, why: &str) -> Error {
    Error::from(ErrorKind::Usage(format!(
        "baseline {} {why}",
        crate::sanitize::display_str(&path.display().to_string())
    )))
}

pub mod gitleaks;

#[cfg(test)]
mod tests;
