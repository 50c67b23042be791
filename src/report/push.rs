//! The server's push decision ([`PushDecision`]) in every format: after the human report, one
//! line per refused ref and rule (with GitLab's `GL-HOOK-ERR: ` prefix where GitLab shows
//! them) and what to do; under `--format json`, a top-level `"push"` object of the one JSON
//! document; under `jsonl`, one more line `{"push": ...}`.

use super::{Format, Style, human, json};
use crate::model::Suppression;
use crate::model::{Finding, Report};
use crate::policy::push::{PushDecision, Reason, RefDecision, ScanResult};
use crate::policy::refs::SigKind;
use crate::policy::signing::Verdict;
use crate::rules::Severity;
use crate::sanitize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{self, Write};

impl ScanResult for Report {
    fn count(&self, brings: &HashSet<String>, min: Severity, with_inline: bool) -> usize {
        let mine = |f: &&Finding| f.commit.as_deref().is_some_and(|c| brings.contains(c));
        let live = self
            .findings
            .iter()
            .filter(mine)
            .filter(|f| f.severity >= min)
            .count();
        let inline = if with_inline {
            self.suppressed
                .iter()
                .filter(mine)
                .filter(|f| f.suppressed == Some(Suppression::Inline) && f.severity >= min)
                .count()
        } else {
            0
        };
        let capped: usize = self
            .capped
            .iter()
            .filter(|c| c.commit.as_deref().is_some_and(|id| brings.contains(id)))
            .filter(|c| c.severity >= min)
            .filter(|c| {
                c.suppressed.is_none() || (with_inline && c.suppressed == Some(Suppression::Inline))
            })
            .map(|c| c.count)
            .sum();
        live + inline + capped
    }
}

/// At most this many reasons are printed per ref (the JSON has them all).
const MAX_LINES_PER_REF: usize = 12;

/// Writes the report and the decision in `format` to `out`. SARIF has no place for the
/// decision: its lines go to `err` (git shows a hook's stderr to the pusher too).
///
/// # Errors
///
/// I/O errors of the writers.
pub fn write(
    report: &Report,
    decision: &PushDecision,
    format: Format,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => json::write_with(report, Some(&to_json(decision)), style, out),
        Format::Jsonl => {
            json::write_lines(report, style, out)?;
            serde_json::to_writer(&mut *out, &json!({ "push": to_json(decision) }))?;
            writeln!(out)
        }
        Format::Sarif => {
            super::write(report, format, style, out)?;
            write_human(decision, blocking(report), err)
        }
        Format::Human | Format::Gcc => {
            super::write(report, format, style, out)?;
            write_human(decision, blocking(report), out)
        }
    }
}

/// What the refused findings are about, for advice that fits them: every finding that counts
/// (the refs' policies decide which severities refuse).
fn blocking(report: &Report) -> human::Blocking {
    human::Blocking::from(report.findings.iter(), super::Context::Push)
}

/// The decision as JSON.
pub fn to_json(d: &PushDecision) -> Value {
    json!({
        "accepted": d.accepted(),
        "hook": d.hook.as_str(),
        "pusher": d.pusher,
        "refs": d.refs.iter().map(ref_json).collect::<Vec<_>>(),
        "bypass": d.bypass.as_ref().map(|b| json!({
            "who": b.who,
            "reason": b.reason,
            "allowed": b.allowed,
            "recorded": d.audit_log,
        })),
        "unscanned": d.unscanned,
        "budget_ms": d.budget_ms,
        "elapsed_ms": d.elapsed_ms,
    })
}

fn ref_json(r: &RefDecision) -> Value {
    json!({
        "ref": r.refname,
        "old": r.old,
        "new": r.new,
        "policy": r.policy,
        "accepted": !r.refused(),
        "reasons": r.reasons.iter().map(reason_json).collect::<Vec<_>>(),
    })
}

fn reason_json(r: &Reason) -> Value {
    let mut v = json!({ "rule": r.as_str(), "message": text(r) });
    match r {
        Reason::Findings {
            count,
            severity,
            inline_counted,
        } => {
            v["count"] = json!(count);
            v["severity"] = json!(severity.as_str());
            v["inline_counted"] = json!(inline_counted);
        }
        Reason::Signature {
            commit,
            tag,
            required,
            verdict,
        } => {
            v["commit"] = json!(commit);
            v["tag"] = json!(tag);
            v["required"] = json!(required.as_str());
            v["verdict"] = verdict_json(verdict);
        }
        Reason::MissingTrailer {
            commit,
            trailer,
            self_review,
        } => {
            v["commit"] = json!(commit);
            v["trailer"] = json!(trailer);
            v["self_review"] = json!(self_review);
        }
        Reason::PusherNotAllowed { who } => v["who"] = json!(who),
        Reason::ProtectedDelete | Reason::NonFastForward | Reason::Unscanned { .. } => {}
    }
    v
}

/// A signature verdict as JSON: `status`, and the signer where there is one.
pub fn verdict_json(v: &Verdict) -> Value {
    let mut j = json!({ "status": v.as_str(), "kind": v.kind().map(SigKind::as_str), "message": v.describe() });
    match v {
        Verdict::Good {
            principal,
            fingerprint,
            ..
        } => {
            j["principal"] = json!(principal);
            j["fingerprint"] = json!(fingerprint);
        }
        Verdict::UnknownKey { fingerprint, .. }
        | Verdict::Expired { fingerprint, .. }
        | Verdict::Revoked { fingerprint, .. } => j["fingerprint"] = json!(fingerprint),
        Verdict::WrongPrincipal {
            fingerprint,
            principal,
        } => {
            j["fingerprint"] = json!(fingerprint);
            j["principal"] = json!(principal);
        }
        _ => {}
    }
    j
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// One reason in words (which commit, what is wrong); `rule` names the key broken.
fn text(r: &Reason) -> String {
    match r {
        Reason::Findings {
            count,
            severity,
            inline_counted,
        } => format!(
            "{count} finding(s) at or above {severity} (inline allows {})",
            if *inline_counted {
                "do not count on this ref"
            } else {
                "count"
            }
        ),
        Reason::ProtectedDelete => "deleting this ref is not allowed by policy".to_owned(),
        Reason::NonFastForward => {
            "not a fast-forward: the push would rewrite the ref's history".to_owned()
        }
        Reason::Signature {
            commit,
            tag,
            required,
            verdict,
        } => {
            let what = if *tag { "tag" } else { "commit" };
            let why = if matches!(verdict, Verdict::Good { .. }) {
                format!(
                    "{}, but the policy requires {} signatures",
                    verdict.describe(),
                    required.as_str()
                )
            } else {
                verdict.describe()
            };
            format!("{what} {}: {}", short(commit), sanitize::display_str(&why))
        }
        Reason::MissingTrailer {
            commit,
            trailer,
            self_review,
        } => {
            let trailer = sanitize::display_str(trailer);
            if *self_review {
                format!(
                    "commit {}: its {trailer}: trailer names only the commit's author",
                    short(commit)
                )
            } else {
                format!("commit {}: no {trailer}: trailer", short(commit))
            }
        }
        Reason::PusherNotAllowed { who } => format!(
            "{} may not push to this ref",
            sanitize::display_str(who.as_deref().unwrap_or("<unknown pusher>"))
        ),
        Reason::Unscanned { what } => what.clone(),
    }
}

/// What to do about a reason, one line (deduplicated across refs when printed).
fn advice(r: &Reason) -> Option<String> {
    const RESIGN: &str = "sign the commits: `git commit --amend --no-edit -S` for the last one, \
         `git rebase --exec 'git commit --amend --no-edit -S' <base>` for several";
    Some(match r {
        Reason::Findings { .. } => return None,
        Reason::ProtectedDelete => {
            "a protected ref is deleted only by an administrator (who changes [[policy]] on the server)"
                .to_owned()
        }
        Reason::NonFastForward => {
            "fetch, rebase onto (or merge) the server's branch, and push without --force".to_owned()
        }
        Reason::Signature { tag: true, .. } => {
            "sign the tag: `git tag -s -f <name> <commit>` (SSH: set gpg.format = ssh), then push it with --force"
                .to_owned()
        }
        Reason::Signature { verdict, required, .. } => match verdict {
            Verdict::Unsigned => format!("{RESIGN} (set up signing first: `git config commit.gpgsign true`)"),
            Verdict::Good { .. } => format!("{RESIGN}, with a {} key", required.as_str()),
            Verdict::UnknownKey { .. } | Verdict::WrongPrincipal { .. } => format!(
                "use a key that the server's allowed_signers (or keyring) lists for your committer e-mail \
                 (`git config user.email`), or ask the administrator to add yours; then {RESIGN}"
            ),
            Verdict::Bad { .. } => format!("the object changed after it was signed: {RESIGN}"),
            Verdict::Expired { .. } | Verdict::Revoked { .. } => {
                format!("sign with a current, valid key: {RESIGN}")
            }
            Verdict::WrongNamespace { .. } => {
                format!("let git make the signature (namespace \"git\"): {RESIGN}")
            }
            Verdict::Unsupported { .. } => format!("sign with an SSH or GPG key: {RESIGN}"),
        },
        Reason::MissingTrailer { trailer, .. } => {
            let t = sanitize::display_str(trailer);
            format!(
                "have someone other than the author review, then add `{t}: Name <email>`: \
                 `git commit --amend --trailer '{t}: Name <email>'`, or \
                 `git rebase --exec \"git commit --amend --no-edit --trailer '{t}: Name <email>'\" <base>` for several"
            )
        }
        Reason::PusherNotAllowed { .. } => {
            "ask someone the policy's allowed_pushers lists to push it (or open a merge request)".to_owned()
        }
        Reason::Unscanned { .. } => {
            "keep large or binary data out of the repository (Git LFS, an artifact store), or ask \
             the administrator to raise [scan] max_file_bytes"
                .to_owned()
        }
    })
}

/// pre-push's advisory: what the repository's policy would refuse, one line per rule, then
/// what to do. The server decides; these lines say so.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_advisory(refs: &[RefDecision], w: &mut dyn Write) -> io::Result<()> {
    let refused: Vec<&RefDecision> = refs.iter().filter(|r| r.refused()).collect();
    let lines = Lines {
        lead: "phiguard: warning: the server will refuse",
        prefix: "",
    };
    let todo = lines.write(&refused, w)?;
    for a in &todo.advice {
        writeln!(w, "phiguard: to fix: {a}")?;
    }
    Ok(())
}

/// How refusal lines start.
struct Lines<'a> {
    /// `phiguard: rejecting`, `phiguard: bypassed`, ...
    lead: &'a str,
    /// `GL-HOOK-ERR: ` on GitLab refusals, else empty.
    prefix: &'a str,
}

/// What to do after the refusal lines.
#[derive(Default)]
struct Todo {
    /// Advice lines, each once, in order.
    advice: Vec<String>,
    /// `Some(whether inline allows count on every ref refused for findings)` when a ref is
    /// refused for findings.
    findings_inline: Option<bool>,
}

impl Lines<'_> {
    /// One line per reason (at most [`MAX_LINES_PER_REF`] a ref), collecting what to do.
    fn write(&self, refused: &[&RefDecision], w: &mut dyn Write) -> io::Result<Todo> {
        let (lead, prefix) = (self.lead, self.prefix);
        let mut todo = Todo::default();
        for r in refused {
            let name = sanitize::display_str(&r.refname);
            for (i, reason) in r.reasons.iter().enumerate() {
                if let Reason::Findings { inline_counted, .. } = reason {
                    todo.findings_inline =
                        Some(todo.findings_inline.unwrap_or(true) && !inline_counted);
                }
                if let Some(a) = advice(reason)
                    && !todo.advice.contains(&a)
                {
                    todo.advice.push(a);
                }
                if i < MAX_LINES_PER_REF {
                    let (what, policy, rule) = (text(reason), &r.policy, reason.as_str());
                    writeln!(w, "{prefix}{lead} {name}: {what} ({policy}: {rule})")?;
                } else if i == MAX_LINES_PER_REF {
                    let more = r.reasons.len() - i;
                    writeln!(
                        w,
                        "{prefix}{lead} {name}: ... and {more} more (--format json lists them all)"
                    )?;
                }
            }
        }
        Ok(todo)
    }
}

/// The decision in lines of text; `blocking` fits the advice for findings.
fn write_human(d: &PushDecision, blocking: human::Blocking, w: &mut dyn Write) -> io::Result<()> {
    let err = if d.gitlab { "GL-HOOK-ERR: " } else { "" };
    let refused: Vec<&RefDecision> = d.refused().collect();
    write_preamble(d, refused.is_empty(), err, w)?;
    if refused.is_empty() {
        return Ok(());
    }
    let lines = if d.accepted() {
        Lines {
            lead: "phiguard: bypassed",
            prefix: "",
        }
    } else {
        Lines {
            lead: "phiguard: rejecting",
            prefix: err,
        }
    };
    let todo = lines.write(&refused, w)?;
    if d.hook == crate::policy::push::Hook::Update && d.bypass_configured && !d.accepted() {
        writeln!(
            w,
            "phiguard: note: a bypass (-o phiguard.bypass=<reason>) cannot reach the update hook: \
             git passes push options only to pre-receive, so install phiguard as pre-receive to allow it"
        )?;
    }
    if d.accepted() {
        return Ok(());
    }
    if let Some(inline) = todo.findings_inline {
        let mut hint = Vec::new();
        human::write_hint(super::Context::Push, blocking, inline, None, &mut hint)?;
        for line in String::from_utf8_lossy(&hint).lines() {
            writeln!(w, "{err}{line}")?;
        }
    }
    for a in &todo.advice {
        writeln!(w, "{err}phiguard: to fix: {a}")?;
    }
    Ok(())
}

/// The lines before the refusals: content left unscanned under `fail_open`, and a bypass.
fn write_preamble(d: &PushDecision, clean: bool, err: &str, w: &mut dyn Write) -> io::Result<()> {
    if d.unscanned {
        let verdict = if clean {
            "push accepted unscanned because [server] fail_open = true"
        } else {
            "[server] fail_open = true would accept it, but the push is refused for the reasons below"
        };
        writeln!(
            w,
            "phiguard: WARNING: the time budget of {} ms ran out before the content was scanned; {verdict}",
            d.budget_ms
        )?;
    }
    let Some(b) = d.bypass.as_ref().filter(|_| !clean) else {
        return Ok(());
    };
    let who = sanitize::display_str(&b.who);
    if b.allowed {
        let recorded = if d.audit_log {
            "recorded in the audit log"
        } else {
            "not recorded: no [server] audit_log is configured"
        };
        writeln!(
            w,
            "phiguard: BYPASS by {who}: {:?} — push accepted despite the refusals below; {recorded}",
            sanitize::display_str(&b.reason)
        )
    } else {
        writeln!(
            w,
            "{err}phiguard: bypass refused: {who} is not allowed to bypass these refs"
        )
    }
}

#[cfg(test)]
mod tests;
