//! `phiguard audit verify | export`, and the [`Trail`] the server hooks write their decision
//! to (DESIGN §8). The record is written before anything is printed; a log that cannot be
//! written is an error naming it, so the hook exits 2 and the push is rejected.

use super::{Exit, Session};
use crate::cli::{AuditCommand, FormatArg, Global};
use anyhow::{Context as _, Result, bail};
use phiguard::audit::{self, Decision, FindingRecord, PushCert, Reason, Record, RefRecord, export};
use phiguard::model::Report;
use phiguard::policy::bypass;
use phiguard::source::refs::RefUpdate;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

pub fn run(g: &Global, cmd: &AuditCommand) -> Result<Exit> {
    match cmd {
        AuditCommand::Verify { files, head } => verify(g, files, head.as_deref()),
        AuditCommand::Export { since, files } => export(g, files, since.as_deref()),
    }
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// Where a server hook records its decision: `[server] audit_log`, when set.
pub struct Trail {
    path: PathBuf,
    rotation: audit::Rotation,
    /// Everything but the decision, its reasons, findings and bypass.
    base: Record,
    /// Who writes the one record of this push: [`UNCLAIMED`], then [`CLAIMED`] by the hook
    /// or by the watchdog ([`Trail::arm_watchdog`]), then [`WRITTEN`]. An error path must not
    /// try (and fail) twice, and a watchdog firing during the hook's own write must not add a
    /// second line.
    state: Arc<AtomicU8>,
    /// The signature verdicts of the push, when a signing policy checked some.
    signatures: std::cell::RefCell<Vec<audit::SignatureRecord>>,
}

impl Trail {
    /// The trail of this hook, or `None` when no audit log is configured. A relative
    /// `audit_log` that the configuration did not anchor is taken relative to `git_dir`.
    pub fn open(
        g: &Global,
        session: &Session,
        git_dir: &Path,
        hook: &str,
        updates: &[RefUpdate],
    ) -> Result<Option<Trail>> {
        let Some(log) = &session.config.server.audit_log else {
            return Ok(None);
        };
        let path = git_dir.join(log);
        let packs: Vec<PathBuf> = session
            .config
            .imports
            .iter()
            .chain(&g.rules)
            .cloned()
            .collect();
        let base = Record {
            time: String::new(),
            repository: git_dir.display().to_string(),
            repository_name: audit::repository_name(env),
            hook: hook.to_owned(),
            pusher: bypass::identity(env),
            push_cert: PushCert::from_env(env),
            refs: updates
                .iter()
                .map(|u| RefRecord {
                    name: u.refname.clone(),
                    old: audit::oid_hex(u.old),
                    new: audit::oid_hex(u.new),
                })
                .collect(),
            decision: Decision::Error,
            reasons: Vec::new(),
            findings: Vec::new(),
            findings_total: 0,
            bypass: None,
            phiguard: env!("CARGO_PKG_VERSION").to_owned(),
            // A pack or file that cannot be read fails the hook later, naming it; the record
            // of that error must still be written.
            rules_hash: audit::hash::rules(&packs).unwrap_or_else(|_| "unreadable".to_owned()),
            config_hash: audit::hash::files(&session.config.files)
                .unwrap_or_else(|_| "unreadable".to_owned()),
            signatures: Vec::new(),
            prev: String::new(),
        };
        Ok(Some(Trail {
            path,
            rotation: audit::Rotation {
                bytes: session.config.server.audit_rotate_bytes,
                period: session.config.server.audit_rotate,
            },
            base,
            state: Arc::new(AtomicU8::new(UNCLAIMED)),
            signatures: std::cell::RefCell::new(Vec::new()),
        }))
    }

    /// Appends the decision (once; later calls do nothing).
    pub fn write(
        &self,
        decision: Decision,
        reasons: Vec<Reason>,
        report: Option<&Report>,
        bypass: Option<&str>,
    ) -> Result<()> {
        if !claim(&self.state) {
            return Ok(());
        }
        let mut r = self.base.clone();
        r.time = audit::time::now();
        r.decision = decision;
        r.reasons = reasons;
        r.bypass = bypass.map(str::to_owned);
        r.signatures = self.signatures.take();
        if let Some(report) = report {
            let all = report.findings.iter().chain(&report.suppressed);
            r.findings_total = report.findings.len() + report.suppressed.len();
            r.findings = all
                .take(audit::MAX_FINDINGS)
                .map(FindingRecord::from_finding)
                .collect();
        }
        let written = audit::append_rotating(&self.path, self.rotation, &r);
        self.state.store(WRITTEN, Ordering::Release);
        written?;
        Ok(())
    }

    /// Gives the watchdog the record to write when it ends the hook ([`watchdog`]): decision
    /// `budget`, reason `watchdog` with the budget. Nothing is written when the hook claimed
    /// the record first; the watchdog then waits (boundedly) for that write to finish.
    ///
    /// [`watchdog`]: super::watchdog
    pub fn arm_watchdog(&self, budget_ms: u64) {
        let state = Arc::clone(&self.state);
        let path = self.path.clone();
        let rotate = self.rotation;
        let mut r = self.base.clone();
        super::watchdog::last_words(Box::new(move || {
            if !claim(&state) {
                // The hook is writing its own record: let it finish (the caller bounds the wait).
                while state.load(Ordering::Acquire) != WRITTEN {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                return;
            }
            r.time = audit::time::now();
            r.decision = Decision::Budget;
            r.reasons = vec![Reason {
                detail: Some(budget_ms.to_string()),
                ..Reason::code("watchdog")
            }];
            // A log that cannot be written changes nothing here: the push is rejected anyway.
            let _ = audit::append_rotating(&path, rotate, &r);
            state.store(WRITTEN, Ordering::Release);
        }));
    }

    /// Keeps the signature verdicts of the push for the record [`Trail::write`] appends.
    pub fn signatures(&self, verdicts: Vec<audit::SignatureRecord>) {
        *self.signatures.borrow_mut() = verdicts;
    }

    /// Records an error exit (exit 2): a spent budget as `budget`, anything else as `error`
    /// with the error's kind (never its text).
    pub fn error(&self, e: &anyhow::Error) -> Result<()> {
        use phiguard::ErrorKind;
        let kind = e
            .downcast_ref::<phiguard::Error>()
            .map(phiguard::Error::kind);
        let (decision, reason) = match kind {
            Some(ErrorKind::Budget { budget_ms }) => (
                Decision::Budget,
                Reason {
                    detail: Some(budget_ms.to_string()),
                    ..Reason::code("budget-exceeded")
                },
            ),
            k => (
                Decision::Error,
                Reason {
                    detail: Some(error_kind(k).to_owned()),
                    ..Reason::code("error")
                },
            ),
        };
        self.write(decision, vec![reason], None, None)
    }
}

/// [`Trail::state`]: nobody has written the record yet.
const UNCLAIMED: u8 = 0;
/// [`Trail::state`]: a writer is appending it.
const CLAIMED: u8 = 1;
/// [`Trail::state`]: the record is on disk (or its write failed).
const WRITTEN: u8 = 2;

/// Takes the right to write the record; false when someone else has it.
fn claim(state: &AtomicU8) -> bool {
    state
        .compare_exchange(UNCLAIMED, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// A code for an error's kind.
fn error_kind(kind: Option<&phiguard::ErrorKind>) -> &'static str {
    use phiguard::ErrorKind as K;
    match kind {
        Some(K::Rules { .. }) => "rules",
        Some(K::Config { .. }) => "config",
        Some(K::Git { .. }) => "git",
        Some(K::Io { .. }) => "io",
        Some(K::Usage(_)) => "usage",
        Some(K::Internal(_)) => "internal",
        Some(K::Budget { .. }) => "budget",
        _ => "internal",
    }
}

/// `audit verify FILE... [--head HASH]`: exit 0 when the chain holds, 1 when it does not.
fn verify(g: &Global, files: &[PathBuf], head: Option<&str>) -> Result<Exit> {
    let v = audit::verify(files, head)?;
    let mut out = std::io::stdout().lock();
    if matches!(g.format, FormatArg::Json | FormatArg::Jsonl) {
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    } else if let Some(p) = &v.problem {
        let at = if p.line == 0 {
            p.file.clone()
        } else {
            format!("{} line {}", p.file, p.line)
        };
        writeln!(out, "audit log BROKEN at {at}: {} [{}]", p.message, p.code)?;
        writeln!(out, "lines verified before it: {}", v.lines)?;
        writeln!(out, "last good head: {}", v.head)?;
        // The very first line does not start the chain: older rotated files left out?
        if let (0, 1, Some(first)) = (v.lines, p.line, files.first()) {
            let older = audit::log::rotated(first)?;
            if !older.is_empty() && !files.contains(&older[0]) {
                let names: Vec<String> = older.iter().map(|f| f.display().to_string()).collect();
                writeln!(
                    out,
                    "hint: {} was rotated; verify the older files first: \
                     phiguard audit verify {} {}",
                    first.display(),
                    names.join(" "),
                    first.display()
                )?;
            }
        }
    } else {
        writeln!(
            out,
            "audit log OK: {} line(s) in {} file(s)",
            v.lines,
            files.len()
        )?;
        if let Some((file, line)) = &v.anchored_at {
            writeln!(out, "anchored head found at {file} line {line}")?;
        }
        writeln!(out, "head: {}", v.head)?;
    }
    Ok(if v.ok { Exit::Clean } else { Exit::Blocked })
}

/// `audit export [--since DATE] FILE...`: the records as JSON (`--format json`, one document),
/// JSON lines (`jsonl`) or CSV (`csv`), each with its line hash.
fn export(g: &Global, files: &[PathBuf], since: Option<&str>) -> Result<Exit> {
    if let Some(s) = since
        && !audit::time::is_since(s)
    {
        bail!("--since {s:?}: expected a date (2026-12-01) or a UTC time (2026-12-01T08:00:00Z)");
    }
    let records = audit::verify::records(files, since)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match g.format {
        FormatArg::Human | FormatArg::Json => export::json(&mut out, &records)?,
        FormatArg::Jsonl => export::jsonl(&mut out, &records)?,
        FormatArg::Csv => export::csv(&mut out, &records)?,
        FormatArg::Sarif | FormatArg::Gcc => {
            bail!("audit export writes --format json, jsonl or csv")
        }
    }
    out.flush().context("writing stdout")?;
    Ok(Exit::Clean)
}
