//! The human format: findings grouped by file, a summary, and what to do next.

use super::{Context, Style, shown};
use crate::model::{Finding, Report};
use crate::rules::{Category, Severity};
use crate::sanitize;
use colored::Colorize;
use std::io::{self, Write};

fn severity_label(s: Severity, color: bool) -> String {
    let text = format!("{:<5}", s.as_str());
    if !color {
        return text;
    }
    match s {
        Severity::Block => text.red().bold().to_string(),
        Severity::Warn => text.yellow().to_string(),
        Severity::Info => text.blue().to_string(),
    }
}

fn write_finding(f: &Finding, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let mut loc = format!("{}:{}:{}", sanitize::display_str(&f.path), f.line, f.column);
    if style.color {
        loc = loc.bold().to_string();
    }
    write!(
        w,
        "  {loc}  {}  {}",
        severity_label(f.severity, style.color),
        f.rule
    )?;
    if let Some(commit) = &f.commit {
        write!(w, "  (commit {})", &commit[..commit.len().min(12)])?;
    }
    writeln!(w)?;
    writeln!(w, "      {}", f.message)?;
    writeln!(w, "      | {}", f.excerpt)
}

/// Writes the human format.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let mut last_group: Option<(&str, Option<&str>)> = None;
    for f in report.findings.iter().filter(|f| shown(&style, f)) {
        let group = (&*f.path, f.refname.as_deref());
        if last_group != Some(group) {
            let mut head = sanitize::display_str(&f.path);
            if let Some(r) = &f.refname {
                head = format!("{head} (ref {})", sanitize::display_str(r));
            }
            writeln!(
                w,
                "{}",
                if style.color {
                    head.underline().to_string()
                } else {
                    head
                }
            )?;
            last_group = Some(group);
        }
        write_finding(f, style, w)?;
    }
    if style.show_suppressed {
        write_suppressed(report, style, w)?;
    }
    if style.quiet {
        return Ok(());
    }
    write_summary(report, w)?;
    for c in report.capped.iter().filter(|c| c.suppressed.is_none()) {
        writeln!(
            w,
            "note: {} more {} {} finding(s) in {} are counted, not listed (the first {} are)",
            c.count,
            c.severity,
            c.rule,
            sanitize::display_str(&c.path),
            crate::model::LISTED_PER_RULE
        )?;
    }
    for note in &report.notes {
        writeln!(w, "note: {note}")?;
    }
    if report.blocks() && style.context != Context::Push {
        write_hint(style.context, Blocking::of(report), true, w)?;
    }
    Ok(())
}

/// The suppressed findings, each with who suppressed it and why.
fn write_suppressed(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    if report.suppressed.is_empty() {
        return Ok(());
    }
    writeln!(w, "suppressed:")?;
    for f in &report.suppressed {
        write_finding(f, style, w)?;
        if let Some(by) = f.suppressed {
            match &f.reason {
                Some(r) => writeln!(w, "      suppressed by {}: {r}", by.as_str())?,
                None => writeln!(w, "      suppressed by {}", by.as_str())?,
            }
        }
    }
    Ok(())
}

fn write_summary(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    write!(
        w,
        "phiguard: {} blocking, {} warning, {} info in {} file(s), {} bytes, {} ms",
        s.block, s.warn, s.info, s.files, s.bytes, s.elapsed_ms
    )?;
    let mut extra = Vec::new();
    if s.allowed > 0 {
        extra.push(format!("{} allowed inline", s.allowed));
    }
    if s.synthetic > 0 {
        extra.push(format!("{} synthetic (--strict shows them)", s.synthetic));
    }
    if s.baselined > 0 {
        extra.push(format!("{} baselined", s.baselined));
    }
    if s.skipped > 0 {
        extra.push(format!("{} file(s) skipped", s.skipped));
    }
    if !extra.is_empty() {
        write!(w, "; {}", extra.join(", "))?;
    }
    writeln!(w)
}

/// Which categories block, for the advice that fits them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blocking {
    /// A PHI finding blocks.
    pub phi: bool,
    /// A secret blocks.
    pub secret: bool,
}

impl Blocking {
    /// What blocks in `report`.
    pub(crate) fn of(report: &Report) -> Blocking {
        let blocking = |c: Category| {
            report
                .findings
                .iter()
                .any(|f| f.category == c && f.severity == Severity::Block)
        };
        Blocking {
            phi: blocking(Category::Phi),
            secret: blocking(Category::Secret),
        }
    }
}

/// How to fix a blocked change. Moving values under a test path is offered for PHI only:
/// a secret blocks wherever it is, and the advice for it is to revoke it. `inline`: whether an
/// inline allow marker would count (a server ref may refuse them, and the hint must not offer
/// what does not work).
pub(crate) fn write_hint(
    context: Context,
    blocking: Blocking,
    inline: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    let fix = match context {
        Context::Commit => {
            "remove the value from the file and `git add` it again \
             (or `git restore --staged <file>` to unstage the file)"
        }
        Context::Message => "edit the commit message and commit again",
        Context::History | Context::Push => {
            "rewrite the commit that introduced it (`git rebase -i`, then amend); \
             a new commit on top does not remove it from history"
        }
        Context::Files => "remove the value from the file",
    };
    writeln!(w, "how to fix:")?;
    writeln!(w, "  - {fix};")?;
    if blocking.phi {
        writeln!(
            w,
            "  - test data: use a synthetic value (SSN 9xx-xx-xxxx, phone 555-01xx, \
             example.com, a Synthea record); PHI under tests/ or fixtures/ only warns;"
        )?;
    }
    if blocking.secret {
        writeln!(
            w,
            "  - a secret: revoke it and load it from the environment or a secret store \
             (it blocks under test paths too; documentation example keys are not findings);"
        )?;
    }
    if !inline {
        return Ok(());
    }
    writeln!(
        w,
        "  - a false positive: add `phiguard:allow <reason>` to the line or the line above \
         (counted and shown in the summary)."
    )
}
