//! JSON and JSON Lines (DESIGN §5).
//!
//! Findings are serialized straight from borrowed views, not through `serde_json::Value`: a
//! large change has thousands of findings, and building a tree of maps for each one cost more
//! than the scan of some files. Keys come out in alphabetical order (as the `Value` maps did),
//! so the output is stable byte for byte.

use super::{Style, shown};
use crate::model::{Finding, Report};
use serde::Serialize;
use std::io::{self, Write};

/// A finding as JSON: borrowed, in key order.
#[derive(Serialize)]
struct FindingJson<'a> {
    category: &'static str,
    column: u32,
    commit: Option<&'a str>,
    end_column: u32,
    excerpt: &'a str,
    fingerprint: &'a str,
    line: u32,
    message: &'a str,
    path: &'a str,
    #[serde(rename = "ref")]
    refname: Option<&'a str>,
    rule: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<SuppressedJson<'a>>,
}

/// Why a finding does not count: `{"by": "inline"|"synthetic"|"baseline", "reason": ...}`.
#[derive(Serialize)]
struct SuppressedJson<'a> {
    by: &'static str,
    reason: Option<&'a str>,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> FindingJson<'a> {
        FindingJson {
            category: f.category.as_str(),
            column: f.column,
            commit: f.commit.as_deref(),
            end_column: f.end_column,
            excerpt: &f.excerpt,
            fingerprint: &f.fingerprint,
            line: f.line,
            message: &f.message,
            path: &f.path,
            refname: f.refname.as_deref(),
            rule: &f.rule,
            severity: f.severity.as_str(),
            suppressed: f.suppressed.map(|s| SuppressedJson {
                by: s.as_str(),
                reason: f.reason.as_deref(),
            }),
        }
    }
}

#[derive(Serialize)]
struct SummaryJson {
    allowed: usize,
    baselined: usize,
    block: usize,
    bytes: u64,
    elapsed_ms: u64,
    files: usize,
    info: usize,
    skipped: usize,
    synthetic: usize,
    warn: usize,
}

/// Findings counted but not listed (more than [`crate::model::LISTED_PER_RULE`] of a rule in a file).
#[derive(Serialize)]
struct CappedJson<'a> {
    commit: Option<&'a str>,
    count: usize,
    path: &'a str,
    rule: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'static str>,
}

/// The document.
#[derive(Serialize)]
struct Document<'a> {
    findings: Vec<FindingJson<'a>>,
    /// Where the findings list is capped: counted in `summary`, not listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings_capped: Vec<CappedJson<'a>>,
    /// The server's decision on a push (`hook pre-receive`/`update`).
    #[serde(skip_serializing_if = "Option::is_none")]
    push: Option<&'a serde_json::Value>,
    summary: SummaryJson,
    /// Findings that do not count (allowed inline, synthetic, baselined), each with its
    /// `suppressed` object; left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed: Vec<FindingJson<'a>>,
    version: u32,
}

fn capped(report: &Report) -> Vec<CappedJson<'_>> {
    report
        .capped
        .iter()
        .map(|c| CappedJson {
            commit: c.commit.as_deref(),
            count: c.count,
            path: &c.path,
            rule: &c.rule,
            severity: c.severity.as_str(),
            suppressed: c.suppressed.map(|s| s.as_str()),
        })
        .collect()
}

fn suppressed(report: &Report) -> Vec<FindingJson<'_>> {
    report.suppressed.iter().map(FindingJson::from).collect()
}

fn summary(report: &Report) -> SummaryJson {
    let s = &report.summary;
    SummaryJson {
        allowed: s.allowed,
        baselined: s.baselined,
        block: s.block,
        bytes: s.bytes,
        elapsed_ms: s.elapsed_ms,
        files: s.files,
        info: s.info,
        skipped: s.skipped,
        synthetic: s.synthetic,
        warn: s.warn,
    }
}

/// Writes one JSON document.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    write_with(report, None, style, w)
}

/// Writes one JSON document, with a top-level `push` object when given.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_with(
    report: &Report,
    push: Option<&serde_json::Value>,
    style: Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    let findings: Vec<FindingJson<'_>> = report
        .findings
        .iter()
        .filter(|f| shown(&style, f))
        .map(FindingJson::from)
        .collect();
    let doc = Document {
        findings,
        findings_capped: capped(report),
        push,
        summary: summary(report),
        suppressed: suppressed(report),
        version: 1,
    };
    super::write_pretty_json(w, &doc)
}

/// Writes one finding per line.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_lines(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    // Buffered for the same reason as [`super::write_pretty_json`].
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    let suppressed = report.suppressed.iter().filter(|_| style.show_suppressed);
    for f in report
        .findings
        .iter()
        .filter(|f| shown(&style, f))
        .chain(suppressed)
    {
        serde_json::to_writer(&mut buf, &FindingJson::from(f))?;
        writeln!(buf)?;
    }
    buf.flush()
}
