//! `phiguard baseline create|update|check|add`: the repository's record of findings it
//! already had (`phiguard::policy::baseline`). Every subcommand scans the whole work tree
//! from the repository root, so the paths in the baseline are relative to the root whatever
//! the current directory.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::{BaselineCommand, Global};
use anyhow::{Context as _, Result, bail};
use phiguard::model::Report;
use phiguard::policy::baseline::{Baseline, gitleaks};
use phiguard::report::Context;
use std::path::Path;

pub fn run(g: &Global, cmd: &BaselineCommand) -> Result<Exit> {
    let root = discover_root().context("`phiguard baseline` runs in a git work tree")?;
    let session = Session::new(g, Origin::client(Some(root.clone())), Context::Files)?;
    let Some((path, existing)) = session.baseline.clone() else {
        bail!("no baseline file: pass --baseline FILE");
    };
    // The scan runs from the root: a relative --baseline is the current directory's.
    let path = std::path::absolute(&path).context("resolving the baseline's path")?;
    let shown = phiguard::sanitize::display_str(&path.display().to_string());
    match cmd {
        BaselineCommand::Create {
            from_gitleaks,
            from_gitleaksignore,
            force,
        } => {
            if existing.is_some() && !force {
                bail!("{shown} exists: `phiguard baseline update` refreshes it (or --force)");
            }
            let keyed = session.config.fingerprint_key.is_some();
            let fresh = Baseline::new(keyed)?;
            // The scan's fingerprints must use the key the new baseline keeps.
            let key = fresh
                .key()
                .or_else(|| session.config.fingerprint_key.clone());
            let session = Session {
                key: key.context("no fingerprint key")?,
                ..session
            };
            let report = scan_root(&session, &root)?;
            let mut b = fresh.rebuilt(&report.findings, &report.capped);
            import(
                &mut b,
                from_gitleaks.as_deref(),
                from_gitleaksignore.as_deref(),
            )?;
            b.save(&path)?;
            println!("phiguard: wrote {shown}: {}", counts(&b));
            Ok(Exit::Clean)
        }
        BaselineCommand::Update => {
            let old = existing.with_context(|| {
                format!("{shown} does not exist: `phiguard baseline create` makes it")
            })?;
            let report = scan_root(&session, &root)?;
            let b = old.rebuilt(&report.findings, &report.capped);
            let dropped = old
                .entries
                .iter()
                .filter(|e| !b.entries.contains(e))
                .count();
            let added = b
                .entries
                .iter()
                .filter(|e| !old.entries.contains(e))
                .count();
            b.save(&path)?;
            println!(
                "phiguard: updated {shown}: {} ({dropped} dropped, {added} added)",
                counts(&b)
            );
            Ok(Exit::Clean)
        }
        BaselineCommand::Check => {
            let b = existing.with_context(|| format!("{shown} does not exist"))?;
            let mut report = scan_root(&session, &root)?;
            let applied = b.apply(&mut report);
            for e in &applied.stale {
                println!("stale: {} (nothing matches it any more)", e.describe());
            }
            if applied.stale.is_empty() {
                println!("phiguard: {shown} is current: {}", counts(&b));
                Ok(Exit::Clean)
            } else {
                println!(
                    "phiguard: {} stale entr{} in {shown}: `phiguard baseline update` drops them",
                    applied.stale.len(),
                    if applied.stale.len() == 1 { "y" } else { "ies" }
                );
                Ok(Exit::Blocked)
            }
        }
        BaselineCommand::Add {
            fingerprint,
            reason,
        } => {
            if !reason.chars().any(char::is_alphabetic) {
                bail!("--reason needs words: say why the finding is accepted");
            }
            let mut b = existing.with_context(|| {
                format!(
                    "{shown} does not exist: `phiguard baseline create` makes it (and the \
                     fingerprint key); fingerprints printed before it used a one-run key"
                )
            })?;
            let changed = b.add(fingerprint, reason)?;
            b.save(&path)?;
            println!(
                "phiguard: {} {shown}",
                if changed { "added to" } else { "already in" }
            );
            Ok(Exit::Clean)
        }
    }
}

/// Every finding in the work tree, scanned from the root (paths relative to it), before any
/// baseline.
fn scan_root(session: &Session, root: &Path) -> Result<Report> {
    std::env::set_current_dir(root)
        .with_context(|| format!("entering the repository root {}", root.display()))?;
    session.files_report(&[Path::new(".")])
}

fn import(b: &mut Baseline, report: Option<&Path>, ignore: Option<&Path>) -> Result<()> {
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    if let Some(p) = report {
        let listed = gitleaks::from_report(&read(p)?).with_context(|| p.display().to_string())?;
        gitleaks::import(b, &listed, "imported from a gitleaks report");
    }
    if let Some(p) = ignore {
        let listed = gitleaks::from_ignore(&read(p)?).with_context(|| p.display().to_string())?;
        gitleaks::import(b, &listed, "imported from .gitleaksignore");
    }
    Ok(())
}

fn counts(b: &Baseline) -> String {
    let hashed = b.entries.iter().filter(|e| e.hash.is_some()).count();
    format!(
        "{} entr{} ({hashed} by value, {} by count)",
        b.entries.len(),
        if b.entries.len() == 1 { "y" } else { "ies" },
        b.entries.len() - hashed
    )
}
