//! History hooks: `scan --range`, pre-push on the client, pre-receive and update on the server.

use super::audit::Trail;
use super::{Exit, Origin, Session};
use crate::cli::Global;
use anyhow::{Context as _, Result};
use phiguard::audit::{Decision, Reason};
use phiguard::error::ErrorKind;
use phiguard::policy::Suppression;
use phiguard::policy::bypass;
use phiguard::policy::refs::{self as refpolicy, RefPolicy};
use phiguard::report::{Context, Finding, Report};
use phiguard::scan::RunOptions;
use phiguard::source::refs::{self, RefUpdate};
use phiguard::source::{RepoAt, history};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// Default time budget of a server hook: under GitHub Enterprise's 5 s hook timeout.
const DEFAULT_BUDGET_MS: u64 = 4000;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the ref lines on stdin")?;
    Ok(s)
}

/// Opens the repository the hook runs in; a SHA-256 repository is named as such.
pub(super) fn open_repo() -> Result<git2::Repository> {
    super::open_repo()
}

/// `scan --range A..B | REV`.
pub fn range(g: &Global, spec: &str) -> Result<Exit> {
    let repo = open_repo()?;
    let root = repo.workdir().map(Path::to_path_buf);
    let session = Session::new(g, Origin::client(root), Context::History)?;
    let commits: Vec<_> = history::range(&repo, spec)?
        .into_iter()
        .map(|c| (c, None))
        .collect();
    let jobs = history::plan(&repo, &commits, &session.config.exclude_set, None)?;
    session.scan_and_report(&jobs, RepoAt::Path(repo.path().to_path_buf()), 0)
}

/// pre-push: every stdin line; what the remote does not have yet.
pub fn pre_push(g: &Global, remote: &str) -> Result<Exit> {
    let input = read_stdin()?;
    let repo = open_repo()?;
    let updates = refs::parse_push(&input)?;
    let root = repo.workdir().map(Path::to_path_buf);
    let session = Session::new(g, Origin::client(root), Context::History)?;
    let mut hide = refs::remote_tips(&repo, remote)?;
    hide.extend(updates.iter().filter_map(|u| u.old));
    let planned = refs::plan(&repo, &updates, &hide, &session.config.exclude_set, None)?;
    session.scan_and_report(&planned.jobs, RepoAt::Path(repo.path().to_path_buf()), 0)
}

/// pre-receive: all updates of the push, accepted or rejected together.
pub fn pre_receive(g: &Global) -> Result<Exit> {
    let updates = refs::parse_receive(&read_stdin()?)?;
    server(g, &updates, "pre-receive")
}

/// update: one ref.
pub fn update(g: &Global, refname: &str, old: &str, new: &str) -> Result<Exit> {
    let updates = vec![RefUpdate {
        refname: refname.to_owned(),
        old: refs::parse_oid(old)?,
        new: refs::parse_oid(new)?,
    }];
    server(g, &updates, "update")
}

/// The verdict on one ref: each reason as an audit code and a message.
struct Verdict {
    refname: String,
    reasons: Vec<(Reason, String)>,
}

/// A server hook: decide, record the decision in the audit log (before printing anything),
/// print, exit. An error after the configuration is read is recorded too (exit 2).
fn server(g: &Global, updates: &[RefUpdate], hook: &str) -> Result<Exit> {
    let started = Instant::now();
    let repo = open_repo()?;
    let origin = Origin {
        repo_root: None,
        server_git_dir: Some(repo.path().to_path_buf()),
    };
    let session = Session::new(g, origin, Context::History)?;
    let trail = Trail::open(g, &session, repo.path(), hook, updates)?;
    let decided = decide_push(&session, &repo, updates, started, trail.as_ref());
    if let (Err(e), Some(trail)) = (&decided, &trail)
        && let Err(w) = trail.error(e)
    {
        return Err(anyhow::anyhow!("{e:#}; recording that failed too: {w:#}"));
    }
    decided
}

fn decide_push(
    session: &Session,
    repo: &git2::Repository,
    updates: &[RefUpdate],
    started: Instant,
    trail: Option<&Trail>,
) -> Result<Exit> {
    let budget_ms = session.config.server.budget_ms.unwrap_or(DEFAULT_BUDGET_MS);
    let deadline = Some((started + Duration::from_millis(budget_ms), budget_ms));
    let policies: Vec<(&RefUpdate, RefPolicy)> = updates
        .iter()
        .map(|u| Ok((u, refpolicy::for_ref(&session.config.policies, &u.refname)?)))
        .collect::<Result<_>>()?;
    let engine = session.engine()?;
    let scanned = refs::existing_tips(repo)
        .and_then(|hide| refs::plan(repo, updates, &hide, &session.config.exclude_set, deadline))
        .and_then(|planned| {
            let opts = RunOptions {
                repo: RepoAt::FromEnv,
                max_file_bytes: session.config.max_file_bytes,
                threads: phiguard::scan::workers_for(session.config.threads, planned.jobs.len()),
                deadline,
            };
            Ok((
                phiguard::scan::run(&engine, &planned.jobs, &opts)?,
                planned.brings,
            ))
        });
    let (mut report, brings) = match scanned {
        Ok(r) => r,
        Err(e)
            if matches!(e.kind(), ErrorKind::Budget { .. })
                && session.config.server.fail_open == Some(true) =>
        {
            if let Some(trail) = trail {
                let reason = Reason {
                    detail: Some(budget_ms.to_string()),
                    ..Reason::code("budget-exceeded")
                };
                trail.write(Decision::FailOpen, vec![reason], None, None)?;
            }
            println!("phiguard: WARNING: {e}; accepted because [server] fail_open = true");
            return Ok(Exit::Clean);
        }
        Err(e) => return Err(e.into()),
    };
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    let unscanned = phiguard::policy::unscanned_rejections(&report, &session.config.server);
    if !unscanned.is_empty() {
        if let Some(trail) = trail {
            let reason = Reason {
                count: Some(unscanned.len()),
                ..Reason::code("unscanned")
            };
            trail.write(Decision::Reject, vec![reason], Some(&report), None)?;
        }
        session.print(&report)?;
        let prefix = if bypass::on_gitlab(env) {
            "GL-HOOK-ERR: "
        } else {
            ""
        };
        for reason in &unscanned {
            println!("{prefix}phiguard: rejecting the push: {reason}");
        }
        return Ok(Exit::Blocked);
    }
    let none = std::collections::HashSet::new();
    let verdicts: Vec<Verdict> = policies
        .iter()
        .map(|(u, p)| judge(u, p, &report, brings.get(&u.refname).unwrap_or(&none)))
        .collect();
    let outcome = decide(&verdicts, &policies);
    if let Some(trail) = trail {
        let bypass = (outcome.decision == Decision::Bypass)
            .then(|| bypass::requested(env))
            .flatten();
        trail.write(
            outcome.decision,
            outcome.reasons,
            Some(&report),
            bypass.as_deref(),
        )?;
    }
    session.print(&report)?;
    for line in &outcome.messages {
        println!("{line}");
    }
    Ok(outcome.exit)
}

/// Why a ref is rejected (empty: accepted).
fn judge(
    u: &RefUpdate,
    p: &RefPolicy,
    report: &Report,
    brings: &std::collections::HashSet<String>,
) -> Verdict {
    let mut reasons = Vec::new();
    let code = |c: &str, detail: Option<String>| Reason {
        refname: Some(u.refname.clone()),
        detail,
        ..Reason::code(c)
    };
    if u.is_delete() && p.protect_delete {
        reasons.push((
            code("delete-denied", None),
            "deleting this ref is not allowed by policy".to_owned(),
        ));
    }
    if let Some(kind) = &p.require_signed
        && !u.is_delete()
    {
        let why = format!(
            "policy requires {kind} signatures, and signature verification is not available in \
             this phiguard version: rejected rather than accepted unchecked"
        );
        reasons.push((code("signature-unverifiable", Some(kind.to_string())), why));
    }
    // Every finding in a commit this ref brings counts for it, whichever ref scanned it first.
    let mine = |f: &&Finding| f.commit.as_deref().is_some_and(|c| brings.contains(c));
    let live = report
        .findings
        .iter()
        .filter(mine)
        .filter(|f| f.severity >= p.block_severity)
        .count();
    let inline = if p.allow_inline {
        0
    } else {
        report
            .suppressed
            .iter()
            .filter(mine)
            .filter(|f| f.suppressed == Some(Suppression::Inline) && f.severity >= p.block_severity)
            .count()
    };
    if live + inline > 0 {
        let found = Reason {
            count: Some(live + inline),
            ..code("findings", Some(p.block_severity.to_string()))
        };
        let why = format!(
            "{} finding(s) at or above {} (inline allows {})",
            live + inline,
            p.block_severity,
            if p.allow_inline {
                "count"
            } else {
                "do not count on this ref"
            }
        );
        reasons.push((found, why));
    }
    Verdict {
        refname: u.refname.clone(),
        reasons,
    }
}

/// What the push comes to: the exit, the audit decision and reasons, and the lines to print
/// once the decision is recorded.
struct Outcome {
    exit: Exit,
    decision: Decision,
    reasons: Vec<Reason>,
    messages: Vec<String>,
}

fn decide(verdicts: &[Verdict], policies: &[(&RefUpdate, RefPolicy)]) -> Outcome {
    let rejected: Vec<&Verdict> = verdicts.iter().filter(|v| !v.reasons.is_empty()).collect();
    let mut reasons: Vec<Reason> = rejected
        .iter()
        .flat_map(|v| v.reasons.iter().map(|(r, _)| r.clone()))
        .collect();
    let mut messages = Vec::new();
    if rejected.is_empty() {
        return Outcome {
            exit: Exit::Clean,
            decision: Decision::Accept,
            reasons,
            messages,
        };
    }
    let prefix = if bypass::on_gitlab(env) {
        "GL-HOOK-ERR: "
    } else {
        ""
    };
    if let Some(reason) = bypass::requested(env) {
        let who = bypass::pusher(env).unwrap_or_else(|| "<unknown>".to_owned());
        let allowed = rejected.iter().all(|v| {
            policies
                .iter()
                .any(|(u, p)| u.refname == v.refname && p.bypass.contains(&who))
        });
        if allowed {
            messages.push(format!(
                "phiguard: BYPASS by {who}: {reason:?} — push accepted despite findings; this is recorded"
            ));
            return Outcome {
                exit: Exit::Clean,
                decision: Decision::Bypass,
                reasons,
                messages,
            };
        }
        reasons.push(Reason::code("bypass-refused"));
        messages.push(format!(
            "{prefix}phiguard: bypass refused: {who} is not allowed to bypass these refs"
        ));
    }
    for v in &rejected {
        for (_, r) in &v.reasons {
            messages.push(format!("{prefix}phiguard: rejecting {}: {r}", v.refname));
        }
    }
    messages.push(format!(
        "{prefix}phiguard: fix the commits that introduced these values (git rebase -i, amend), \
         then push again; a new commit on top leaves them in history"
    ));
    Outcome {
        exit: Exit::Blocked,
        decision: Decision::Reject,
        reasons,
        messages,
    }
}
