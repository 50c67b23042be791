//! Policy: what a validated match becomes. Suppressed (an inline allow marker, a synthetic
//! value, later a baseline entry), downgraded (test paths) or raised (co-location of a person
//! anchor and an identifier). Detection decides *what* a value is; policy decides what the
//! organisation wants done about it.

pub mod baseline;
pub mod bypass;
pub mod colocate;
pub mod examples;
pub mod push;
pub mod refs;
pub mod signing;
pub mod suppress;

use crate::model::{Unscanned, UnscannedKind};
use crate::rules::{Category, Severity};
use serde::{Deserialize, Serialize};

/// The resolved policy for one run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Show synthetic values as findings.
    pub strict: bool,
    /// Paths where `block` is downgraded to `warn` (never suppressed).
    pub test_paths: crate::glob::LazyGlobSet,
    /// The categories whose findings test paths downgrade (`[scan] test_path_categories`;
    /// default PHI only: a live secret is as live under `tests/` as anywhere).
    pub test_path_categories: Vec<Category>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            strict: false,
            test_paths: crate::glob::LazyGlobSet::default(),
            test_path_categories: vec![Category::Phi],
        }
    }
}

impl Policy {
    /// The severity after path policy: test paths downgrade `block` to `warn` for the
    /// categories [`Policy::test_path_categories`] lists (PHI by default; a secret blocks
    /// wherever it is — documentation and example values are recognised as synthetic).
    pub fn path_severity(&self, category: Category, path: &str, severity: Severity) -> Severity {
        self.path_severity_by(category, severity, || self.test_paths.is_match(path))
    }

    /// [`Policy::path_severity`] with whether the path is a test path told by `is_test`,
    /// asked only when it matters: the findings of one file ask it of the same path, so the
    /// caller remembers the answer.
    pub fn path_severity_by(
        &self,
        category: Category,
        severity: Severity,
        is_test: impl FnOnce() -> bool,
    ) -> Severity {
        if severity == Severity::Block && self.test_path_categories.contains(&category) && is_test()
        {
            Severity::Warn
        } else {
            severity
        }
    }
}

/// `[server] oversize` / `unscannable`: what content phiguard could not scan gets.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnUnscanned {
    /// Reject the push, naming the file (fail closed).
    #[default]
    Block,
    /// Accept it (the file is still named in a note).
    Pass,
}

/// Why a server rejects a push for content it could not scan: one line per file over the
/// size limit (unless `[server] oversize = "pass"`), undecodable (unless `[server]
/// unscannable = "pass"`), or a Git LFS pointer whose object the server does not hold
/// (unless `[server] lfs = "pass"`). Accepting what was never looked at would be a way past
/// the gate.
pub fn unscanned_rejections(
    unscanned: &[Unscanned],
    oversize: OnUnscanned,
    unscannable: OnUnscanned,
    lfs: OnUnscanned,
) -> Vec<String> {
    unscanned
        .iter()
        .filter_map(|u| {
            let (on, key) = match u.kind {
                UnscannedKind::Oversize(_) => (oversize, "oversize"),
                UnscannedKind::Unscannable(_) => (unscannable, "unscannable"),
                UnscannedKind::LfsObject => (lfs, "lfs"),
            };
            (on == OnUnscanned::Block).then(|| {
                format!(
                    "{} (content that is not scanned is not accepted; [server] {key} = \"pass\" \
                     accepts it)",
                    u.describe()
                )
            })
        })
        .collect()
}
