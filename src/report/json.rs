//! JSON and JSON Lines (DESIGN §5).
//!
//! Findings are serialized straight from borrowed views, not through `serde_json::Value`: a
//! large change has thousands of findings, and building a tree of maps for each one cost more
//! than the scan of some files. Keys come out in alphabetical order (as the `Value` maps did),
//! so the output is stable byte for byte.

use super::{Finding, Report, Style, shown};
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
    suppressed: Option<&'static str>,
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
            suppressed: f.suppressed.map(|s| s.as_str()),
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

/// The document.
#[derive(Serialize)]
struct Document<'a> {
    findings: Vec<FindingJson<'a>>,
    summary: SummaryJson,
    version: u32,
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
    let doc = Document {
        findings: report
            .findings
            .iter()
            .filter(|f| shown(&style, f))
            .map(FindingJson::from)
            .collect(),
        summary: summary(report),
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
    for f in report.findings.iter().filter(|f| shown(&style, f)) {
        serde_json::to_writer(&mut buf, &FindingJson::from(f))?;
        writeln!(buf)?;
    }
    buf.flush()
}
