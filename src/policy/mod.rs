//! Policy: what a validated match becomes. Suppressed (an inline allow marker, a synthetic
//! value, later a baseline entry), downgraded (test paths) or raised (co-location of a person
//! anchor and an identifier). Detection decides *what* a value is; policy decides what the
//! organisation wants done about it.

pub mod bypass;
pub mod colocate;
pub mod push;
pub mod refs;
pub mod signing;
pub mod suppress;

use crate::rules::{Category, Severity};

/// Why a finding is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// `phiguard:allow <reason>` (or `gitleaks:allow`, ...) on the line or the line before.
    Inline,
    /// The value carries a synthetic-data marker (shown with `--strict`).
    Synthetic,
    /// The finding's fingerprint is in the baseline file.
    Baseline,
}

impl Suppression {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::Inline => "inline",
            Suppression::Synthetic => "synthetic",
            Suppression::Baseline => "baseline",
        }
    }
}

/// The resolved policy for one run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Show synthetic values as findings.
    pub strict: bool,
    /// Paths where `block` is downgraded to `warn` (never suppressed).
    pub test_paths: crate::config::LazyGlobSet,
    /// Whether inline allow markers count for PHI findings.
    pub inline_phi: bool,
    /// Whether inline allow markers count for secret findings.
    pub inline_secret: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            strict: false,
            test_paths: crate::config::LazyGlobSet::default(),
            inline_phi: true,
            inline_secret: true,
        }
    }
}

impl Policy {
    /// Whether inline markers count for this category.
    pub fn inline_allowed(&self, category: Category) -> bool {
        match category {
            Category::Phi => self.inline_phi,
            Category::Secret => self.inline_secret,
        }
    }

    /// The severity after path policy: test paths downgrade `block` to `warn`.
    pub fn path_severity(&self, path: &str, severity: Severity) -> Severity {
        if severity == Severity::Block && self.test_paths.is_match(path) {
            Severity::Warn
        } else {
            severity
        }
    }
}
