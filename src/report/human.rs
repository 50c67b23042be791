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
    if !style.no_summary {
        write_summary(report, w)?;
    }
    // Where a rule stopped counting, looked up once per capped entry: a tree of many dense
    // files has as many of both.
    let stopped_at: std::collections::HashSet<(&str, &str, Option<&str>)> = report
        .stopped
        .iter()
        .map(|s| (&*s.rule, &*s.path, s.commit.as_deref()))
        .collect();
    for c in report.capped.iter().filter(|c| c.suppressed.is_none()) {
        let stopped = stopped_at.contains(&(&*c.rule, &*c.path, c.commit.as_deref()));
        writeln!(
            w,
            "note: {}{} more {} {} finding(s) in {} are counted, not listed (the first {} are)",
            if stopped { "at least " } else { "" },
            c.count,
            c.severity,
            c.rule,
            sanitize::display_str(&c.path),
            crate::model::LISTED_PER_RULE
        )?;
    }
    write_stopped(report, w)?;
    write_notes(report, w)?;
    if report.blocks() && style.context != Context::Push {
        let blocking = Blocking::of(report, style.context);
        let file = report.message_file.as_deref();
        write_hint(style.context, blocking, true, file, w)?;
    }
    Ok(())
}

/// Notes, and file names in a note, listed before the rest is counted: a tree of 5,000
/// images must not print 5,000 lines.
const NAMED: usize = 10;

/// Where a rule stopped counting in a file that blocks anyway ([`Report::stopped`]), by file
/// (the first [`NAMED`] files named): the totals are then at least what they say.
fn write_stopped(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    if report.stopped.is_empty() {
        return Ok(());
    }
    let files = stopped_files(report);
    let mut named: Vec<String> = files
        .iter()
        .take(NAMED)
        .map(|(s, rules)| {
            let commit = match &s.commit {
                Some(c) => format!(" (commit {})", &c[..c.len().min(12)]),
                None => String::new(),
            };
            format!(
                "{} ({}){commit}",
                sanitize::display_str(&s.path),
                rules.join(", ")
            )
        })
        .collect();
    if files.len() > NAMED {
        named.push(format!("and {} more file(s)", files.len() - NAMED));
    }
    writeln!(
        w,
        "note: counting stopped after {} finding(s) of a rule in a file that blocks anyway, \
         so the totals are lower bounds (`--format json` counts every one): {}",
        crate::model::COUNTED_BEFORE_STOP,
        named.join("; ")
    )
}

/// [`Report::stopped`] by file (and commit), each with its rules in the order they stopped:
/// the entries of one file stand together, as its item gave them.
fn stopped_files(report: &Report) -> Vec<(&crate::model::Stopped, Vec<&str>)> {
    let mut files: Vec<(&crate::model::Stopped, Vec<&str>)> = Vec::new();
    for s in &report.stopped {
        match files.last_mut() {
            Some((first, rules)) if first.path == s.path && first.commit == s.commit => {
                rules.push(&s.rule);
            }
            _ => files.push((s, vec![&s.rule])),
        }
    }
    files
}

/// The notes (each skipped file named, the first [`NAMED`] of a kind listed and the rest
/// counted), and the paths `[scan] exclude` left out, counted.
fn write_notes(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for note in report.notes.iter().take(NAMED) {
        writeln!(w, "note: {note}")?;
    }
    if report.notes.len() > NAMED {
        let more = report.notes.len() - NAMED;
        writeln!(w, "note: ... and {more} more file(s) skipped like these")?;
    }
    for (paths, why) in [
        (&report.binary, "binary, not scanned"),
        (&report.not_files, "not a regular file, not scanned"),
    ] {
        if paths.is_empty() {
            continue;
        }
        let mut names: Vec<String> = paths
            .iter()
            .take(NAMED)
            .map(|p| sanitize::display_str(p))
            .collect();
        if paths.len() > NAMED {
            names.push(format!("and {} more", paths.len() - NAMED));
        }
        writeln!(
            w,
            "note: {} file(s) {why}: {}",
            paths.len(),
            names.join(", ")
        )?;
    }
    let excluded = report.summary.excluded;
    if excluded > 0 {
        writeln!(w, "note: {excluded} file(s) excluded by [scan] exclude")?;
    }
    Ok(())
}

/// Whether the human report of `report` would say nothing but a clean summary line: nothing
/// blocks, no finding or note is shown, nothing was allowed or baselined.
pub fn nothing_to_show(report: &Report, style: &Style) -> bool {
    let s = &report.summary;
    s.block == 0
        && s.allowed == 0
        && s.baselined == 0
        && report.notes.is_empty()
        && report.binary.is_empty()
        && report.not_files.is_empty()
        && !report.findings.iter().any(|f| shown(style, f))
        && !report.capped.iter().any(|c| c.suppressed.is_none())
        && (!style.show_suppressed || report.suppressed.is_empty())
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
    // Counts of a rule that stopped counting ([`Report::stopped`]) are lower bounds.
    if !report.stopped.is_empty() {
        extra.push(format!(
            "totals are lower bounds: counting stopped in {} file(s) that block",
            stopped_files(report).len()
        ));
    }
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

/// What blocks, for the advice that fits it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Blocking {
    /// A PHI finding blocks in a file (not a message).
    pub phi: bool,
    /// A secret blocks (in a file or a message).
    pub secret: bool,
    /// Something blocks in a file.
    pub file: bool,
    /// Something blocks in a commit or tag message.
    pub message: bool,
}

impl Blocking {
    /// What blocks in `report`, seen in `context` (every finding of a commit-msg run is in
    /// the message).
    pub(crate) fn of(report: &Report, context: Context) -> Blocking {
        Blocking::from(
            report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Block),
            context,
        )
    }

    /// What `findings` are about. None at all (a server refusing on counts alone) is taken as
    /// anything: every piece of advice applies.
    pub(crate) fn from<'a>(
        findings: impl Iterator<Item = &'a Finding>,
        context: Context,
    ) -> Blocking {
        let mut b = Blocking::default();
        for f in findings {
            let message = context == Context::Message || f.in_message();
            b.message |= message;
            b.file |= !message;
            b.phi |= !message && f.category == Category::Phi;
            b.secret |= f.category == Category::Secret;
        }
        if !(b.file || b.message) {
            b = Blocking {
                phi: true,
                secret: true,
                file: true,
                message: false,
            };
        }
        b
    }
}

/// How to fix a blocked change, fitted to what blocks (issue 24 §5): a value in a file is
/// removed (from history, when it is in a commit); a message is rewritten where git kept it
/// (`message_file`, for the commit-msg hook); a secret is revoked, since it is exposed once
/// pushed; PHI is replaced by synthetic data, and only PHI in a file is offered a test path
/// (a secret blocks wherever it is, and a message has no path). `inline`: whether an inline
/// allow marker would count (a server ref may refuse them, and the hint must not offer what
/// does not work).
pub(crate) fn write_hint(
    context: Context,
    blocking: Blocking,
    inline: bool,
    message_file: Option<&str>,
    w: &mut dyn Write,
) -> io::Result<()> {
    writeln!(w, "how to fix:")?;
    if blocking.file {
        writeln!(w, "  - {};", file_fix(context))?;
    }
    if blocking.message {
        write_message_fix(context, message_file, w)?;
    }
    let history = matches!(context, Context::History | Context::Push);
    if history {
        writeln!(
            w,
            "  - history already pushed elsewhere: rewrite it with `git filter-repo` \
             (`--replace-text`, `--replace-message`), force-push, and have every clone fetch again;"
        )?;
    }
    if blocking.phi {
        writeln!(
            w,
            "  - PHI: delete it or replace it with synthetic data (SSN 9xx-xx-xxxx, phone \
             555-01xx, example.com, a Synthea record); a test fixture belongs under a test path \
             (tests/, fixtures/, ...), where PHI only warns;"
        )?;
    }
    if blocking.secret {
        let exposed = if history {
            "it is exposed to everyone who fetched it, and rewriting history does not take it back"
        } else {
            "once pushed it is exposed, and a rewrite does not take it back"
        };
        writeln!(
            w,
            "  - a secret: revoke and rotate it ({exposed}); load the new one from the \
             environment or a secret store (secrets block under test paths too; documentation \
             example keys are not findings);"
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

/// The fix for a value in a file, by where the file is.
fn file_fix(context: Context) -> &'static str {
    match context {
        Context::Commit => {
            "remove the value from the file and `git add` it again \
             (or `git restore --staged <file>` to unstage the file)"
        }
        Context::History | Context::Push => {
            "rewrite the commit that introduced it: `git commit --amend` for the last one, \
             `git rebase -i <base>` (mark it `edit`, then amend) for an older one; a new commit \
             on top does not remove it from history"
        }
        Context::Files | Context::Message => "remove the value from the file",
    }
}

/// The fix for a value in a commit message: where git kept the text and how to commit again,
/// or how to reword a commit already made.
fn write_message_fix(
    context: Context,
    message_file: Option<&str>,
    w: &mut dyn Write,
) -> io::Result<()> {
    if context == Context::Message {
        let file = message_file.map_or_else(
            || "the message file (.git/COMMIT_EDITMSG)".to_owned(),
            |f| format!("`{}`", sanitize::display_str(f)),
        );
        let again = message_file.map_or_else(
            || "git commit -e -F .git/COMMIT_EDITMSG".to_owned(),
            |f| format!("git commit -e -F '{}'", sanitize::display_str(f)),
        );
        return writeln!(
            w,
            "  - the commit was not made; git kept its message in {file}: commit again with \
             `{again}` and remove the value in the editor;"
        );
    }
    writeln!(
        w,
        "  - reword the commit message: `git commit --amend` for the last commit, \
         `git rebase -i <base>` (mark it `reword`) for an older one;"
    )
}
