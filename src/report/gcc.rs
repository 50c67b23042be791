//! `path:line:col: error|warning|note: [rule] message` — the line format Vim's `errorformat`,
//! Emacs' compilation mode and VS Code problem matchers read.

use super::{Style, shown};
use crate::model::Report;
use crate::rules::Severity;
use crate::sanitize;
use std::io::{self, Write};

/// Writes gcc-style lines.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    for f in report.findings.iter().filter(|f| shown(&style, f)) {
        let level = match f.severity {
            Severity::Block => "error",
            Severity::Warn => "warning",
            Severity::Info => "note",
        };
        writeln!(
            w,
            "{}:{}:{}: {level}: [{}] {}: {}",
            sanitize::display_str(&f.path),
            f.line,
            f.column,
            f.rule,
            f.message,
            f.excerpt
        )?;
    }
    Ok(())
}
