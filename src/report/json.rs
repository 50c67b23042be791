//! JSON and JSON Lines (DESIGN §5).

use super::{Finding, Report, Style, shown};
use serde_json::{Value, json};
use std::io::{self, Write};

/// A finding as a JSON object.
pub fn finding(f: &Finding) -> Value {
    let mut v = json!({
        "rule": &*f.rule,
        "category": f.category.as_str(),
        "severity": f.severity.as_str(),
        "path": &*f.path,
        "line": f.line,
        "column": f.column,
        "end_column": f.end_column,
        "commit": f.commit.as_deref(),
        "ref": f.refname.as_deref(),
        "excerpt": f.excerpt,
        "fingerprint": f.fingerprint,
        "message": f.message,
    });
    if let Some(s) = f.suppressed {
        v["suppressed"] = json!(s.as_str());
    }
    v
}

fn summary(report: &Report) -> Value {
    let s = &report.summary;
    json!({
        "block": s.block,
        "warn": s.warn,
        "info": s.info,
        "allowed": s.allowed,
        "synthetic": s.synthetic,
        "baselined": s.baselined,
        "files": s.files,
        "bytes": s.bytes,
        "skipped": s.skipped,
        "elapsed_ms": s.elapsed_ms,
    })
}

/// Writes one JSON document.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| shown(&style, f))
        .map(finding)
        .collect();
    let doc = json!({"version": 1, "findings": findings, "summary": summary(report)});
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// Writes one finding per line.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_lines(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    for f in report.findings.iter().filter(|f| shown(&style, f)) {
        serde_json::to_writer(&mut *w, &finding(f))?;
        writeln!(w)?;
    }
    Ok(())
}
