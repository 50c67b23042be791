//! Reporting: value-free [`Finding`]s and every output format. This is the only library
//! module that writes for people; everything it writes has been masked ([`mask`]) and escaped
//! ([`sanitize`]) first.

pub use crate::fingerprint;
pub mod gcc;
pub mod human;
pub mod json;
pub mod mask;
pub mod push;
pub mod sanitize;
pub mod sarif;
pub mod verify;

use crate::policy::Suppression;
use crate::rules::{Category, Severity};
use std::io::{self, Write};
use std::sync::Arc;

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

/// What the run was for, so the human hint can say the right thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Context {
    /// `phiguard scan PATH` or stdin.
    #[default]
    Files,
    /// A commit about to be made (pre-commit, `scan --staged`).
    Commit,
    /// A commit message.
    Message,
    /// Commits in history (range, pre-push).
    History,
    /// A server hook: the push decision ([`push`]) says what to do, not the report.
    Push,
}

/// A finished scan.
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

/// Why content was left unscanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnscannedKind {
    /// Over `[scan] max_file_bytes` (the size in bytes).
    Oversize(u64),
    /// Not decodable as text (the reason, e.g. "invalid UTF-16").
    Unscannable(&'static str),
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
        let key = |f: &Finding| (f.path.clone(), f.line, f.column, f.rule.clone());
        self.findings.sort_by_key(key);
        self.suppressed.sort_by_key(key);
    }
}

/// Output formats (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Grouped by file, colored on a TTY, with a hint how to fix.
    #[default]
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0.
    Sarif,
    /// `path:line:col: error|warning|note: [rule] message`.
    Gcc,
}

/// How to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use ANSI colors (decided once, from `--color` and whether stdout is a TTY).
    pub color: bool,
    /// Print only findings (no summary or hints).
    pub quiet: bool,
    /// The lowest severity shown.
    pub min_severity: Option<Severity>,
    /// What the run was for.
    pub context: Context,
    /// List suppressed findings (allowed, synthetic, baselined) too: `--show-suppressed` or
    /// `--min-severity info` in the human format (JSON always lists them).
    pub show_suppressed: bool,
}

/// Writes `report` in `format` — the one seam every output goes through.
///
/// # Errors
///
/// Only I/O errors of `w`.
pub fn write(report: &Report, format: Format, style: Style, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, style, w),
        Format::Json => json::write(report, style, w),
        Format::Jsonl => json::write_lines(report, style, w),
        Format::Sarif => sarif::write(report, style, w),
        Format::Gcc => gcc::write(report, style, w),
    }
}

/// Writes `doc` as pretty JSON and a newline. serde_json writes a few bytes at a time, and
/// through `dyn Write` each is a virtual call: the corpus staged report (6,187 findings) took
/// 17 ms to print unbuffered, 8-12 ms through this buffer.
pub(crate) fn write_pretty_json(w: &mut dyn Write, doc: &impl serde::Serialize) -> io::Result<()> {
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut buf, doc)?;
    writeln!(buf)?;
    buf.flush()
}

/// Whether `style` shows a finding.
pub(crate) fn shown(style: &Style, f: &Finding) -> bool {
    style.min_severity.is_none_or(|min| f.severity >= min)
}
