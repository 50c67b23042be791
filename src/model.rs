//! The findings of a scan as data: what detection and policy produce and every output
//! format prints. Value-free by construction — a [`Finding`] holds a masked excerpt and a
//! fingerprint, never the matched value. Policy fills it (suppressions, baselines), the
//! [`crate::report`] layer writes it, and neither needs the other for that.

use crate::rules::{Category, Severity};
use crate::sanitize;
use std::sync::Arc;

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

/// One finding, as printed. It holds no matched value: only a masked excerpt and a
/// fingerprint that cannot be reversed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule id.
    pub rule: Arc<str>,
    /// `phi` or `secret`.
    pub category: Category,
    /// Final severity after policy.
    pub severity: Severity,
    /// Path of the file (or message name), as shown (lossy UTF-8).
    pub path: Arc<str>,
    /// 1-based line in the new version.
    pub line: u32,
    /// 1-based byte column of the value's first byte.
    pub column: u32,
    /// 1-based byte column just past the value (on the value's first line).
    pub end_column: u32,
    /// The same two columns in UTF-16 code units (SARIF's and LSP's unit).
    pub utf16_columns: (u32, u32),
    /// Where the value ends, for a value over several lines too: the 1-based line of its last
    /// character and the 1-based UTF-16 column just past it (an LSP range's end, plus one).
    pub utf16_end: (u32, u32),
    /// The commit, when the finding comes from history.
    pub commit: Option<Arc<str>>,
    /// The ref, when the finding comes from a push.
    pub refname: Option<Arc<str>>,
    /// The line with every value on it masked, control characters escaped.
    pub excerpt: String,
    /// `<rule>:<path>:<5 hex digits>` (DESIGN §4).
    pub fingerprint: String,
    /// What was found, in words.
    pub message: String,
    /// Set when the finding does not count.
    pub suppressed: Option<Suppression>,
    /// Why it is suppressed, when someone said: an inline marker's reason (escaped, digit
    /// runs masked, at most 80 characters) or a baseline entry's.
    pub reason: Option<String>,
}

impl Finding {
    /// Whether the finding is in a commit or tag message of history rather than a file.
    pub fn in_message(&self) -> bool {
        matches!(&*self.path, "<commit message>" | "<tag message>")
    }
}

/// Totals for the summary line and the JSON `summary` object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Findings that block.
    pub block: usize,
    /// Warnings.
    pub warn: usize,
    /// Informational findings.
    pub info: usize,
    /// Findings allowed by an inline marker.
    pub allowed: usize,
    /// Synthetic values not reported (see `--strict`).
    pub synthetic: usize,
    /// Findings in the baseline.
    pub baselined: usize,
    /// Files (and messages) scanned.
    pub files: usize,
    /// Bytes scanned (the new versions of the files).
    pub bytes: u64,
    /// Files skipped (binary, too large, excluded), by reason.
    pub skipped: usize,
    /// Of [`Summary::skipped`], the paths `[scan] exclude` left out (counted, not named: the
    /// configuration names them).
    pub excluded: usize,
    /// Wall time.
    pub elapsed_ms: u64,
}

/// A rule's description for SARIF's `tool.driver.rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    /// The rule's name.
    pub name: String,
    /// Its message (defaults to the name).
    pub message: String,
    /// Its default severity.
    pub severity: crate::rules::Severity,
}

/// A finished scan: the findings after policy, as data (the [`crate::report`] layer prints
/// it).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings that count (sorted by path, line, column).
    pub findings: Vec<Finding>,
    /// Findings that do not count, kept for totals and `--strict`.
    pub suppressed: Vec<Finding>,
    /// Totals.
    pub summary: Summary,
    /// Human-readable notes (skipped files, ...). Never contain scanned content.
    pub notes: Vec<String>,
    /// Files skipped as binary (no text to scan), as shown (a value in a name masked), sorted,
    /// each once.
    pub binary: Vec<Arc<str>>,
    /// Paths skipped as not a regular file (a submodule, a socket, one that vanished).
    pub not_files: Vec<Arc<str>>,
    /// Content left unscanned that could hold a value (over the size limit, undecodable),
    /// each named: a server rejects the push for it unless configured to pass it.
    pub unscanned: Vec<Unscanned>,
    /// Findings past the first [`LISTED_PER_RULE`] of a rule in a file: counted (in the
    /// summary, and by the server), not listed.
    pub capped: Vec<Capped>,
    /// Where a rule stopped counting in a file that blocked anyway (the human format only:
    /// [`crate::detect::DetectOptions::stop_after`]): the totals are at least what they say.
    pub stopped: Vec<Stopped>,
    /// What SARIF says about each rule reported (from the rule, not from a finding); filled
    /// by the caller that has the rules, empty otherwise.
    pub rule_meta: std::collections::BTreeMap<Arc<str>, RuleMeta>,
    /// For the commit-msg hook: the file git keeps the message in (an absolute path, a linked
    /// worktree's own git directory included), which the hint names so that the message can
    /// be edited and committed again.
    pub message_file: Option<String>,
}

/// Findings of one rule in one file listed in full, in every format; the rest are counted in
/// [`Report::capped`]. A 100,000-row patient extract holds 400,000 findings: listing them all
/// held them all as owned strings (480 MiB) and printed pages nobody reads.
pub const LISTED_PER_RULE: usize = 100;

/// Findings of one rule in one file after which the human format stops counting them, when
/// the file blocks all the same ([`Report::stopped`]): twice the listed ones, so that those
/// deduplicated or suppressed still leave a full listing.
pub const COUNTED_BEFORE_STOP: usize = 2 * LISTED_PER_RULE;

/// Findings counted but not listed: of one rule, in one file (and commit), with one severity
/// and suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capped {
    /// The rule's id.
    pub rule: Arc<str>,
    /// The file, as shown.
    pub path: Arc<str>,
    /// The file relative to the repository root (what fingerprints and baselines use).
    pub rooted: Arc<str>,
    /// The commit, for history scans.
    pub commit: Option<Arc<str>>,
    /// The severity (after policy).
    pub severity: Severity,
    /// How the findings are suppressed, if they are.
    pub suppressed: Option<Suppression>,
    /// How many.
    pub count: usize,
}

/// A rule that stopped counting in a file once the file had blocked: that file may hold more
/// of its findings than the report counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The rule's id.
    pub rule: Arc<str>,
    /// The file, as shown.
    pub path: Arc<str>,
    /// The commit, for history scans.
    pub commit: Option<Arc<str>>,
}

/// Why content was left unscanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnscannedKind {
    /// Over `[scan] max_file_bytes` (the size in bytes).
    Oversize(u64),
    /// Not readable (the reason, e.g. "an encrypted zip member").
    Unscannable(&'static str),
    /// A Git LFS pointer whose object is not in this repository: a server's case, since
    /// LFS objects go to the LFS server, not through the push.
    LfsObject,
}

/// A file phiguard did not scan although it could hold a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unscanned {
    /// The file, as shown (lossy UTF-8).
    pub path: Arc<str>,
    /// Why.
    pub kind: UnscannedKind,
    /// The commit (or object) it belongs to, for history scans.
    pub commit: Option<Arc<str>>,
    /// The ref being pushed, for push scans.
    pub refname: Option<Arc<str>>,
}

impl Unscanned {
    /// One line naming the file and why (the path escaped; no content).
    pub fn describe(&self) -> String {
        let path = sanitize::display_str(&self.path);
        let at = self
            .commit
            .as_deref()
            .map(|c| format!(" in {}", &c[..c.len().min(12)]))
            .unwrap_or_default();
        match self.kind {
            UnscannedKind::Oversize(n) => {
                format!("{path}{at} skipped: {n} bytes is over [scan] max_file_bytes")
            }
            UnscannedKind::Unscannable(why) => format!("{path}{at} skipped: {why}, not scanned"),
            UnscannedKind::LfsObject => format!(
                "{path}{at} skipped: a Git LFS pointer whose object is not in this repository, \
                 not scanned"
            ),
        }
    }
}

impl Report {
    /// Whether anything blocks (exit 1).
    pub fn blocks(&self) -> bool {
        self.summary.block > 0
    }

    /// Recomputes the severity totals from the findings.
    pub fn tally(&mut self) {
        let capped = |live: bool, s: Option<Severity>, by: Option<Suppression>| {
            self.capped
                .iter()
                .filter(|c| c.suppressed.is_none() == live)
                .filter(|c| s.is_none_or(|s| c.severity == s) && (live || c.suppressed == by))
                .map(|c| c.count)
                .sum::<usize>()
        };
        let count = |s| {
            self.findings.iter().filter(|f| f.severity == s).count() + capped(true, Some(s), None)
        };
        self.summary.block = count(Severity::Block);
        self.summary.warn = count(Severity::Warn);
        self.summary.info = count(Severity::Info);
        let sup = |s| {
            self.suppressed
                .iter()
                .filter(|f| f.suppressed == Some(s))
                .count()
                + capped(false, None, Some(s))
        };
        self.summary.allowed = sup(Suppression::Inline);
        self.summary.synthetic = sup(Suppression::Synthetic);
        self.summary.baselined = sup(Suppression::Baseline);
    }

    /// Sorts findings into output order: path, line, column, rule.
    pub fn sort(&mut self) {
        // Borrowed keys: `sort_by_key` with the `Arc`s cloned took two reference counts up and
        // down per comparison.
        let order = |a: &Finding, b: &Finding| {
            (&*a.path, a.line, a.column, &*a.rule).cmp(&(&*b.path, b.line, b.column, &*b.rule))
        };
        self.findings.sort_by(order);
        self.suppressed.sort_by(order);
    }
}
