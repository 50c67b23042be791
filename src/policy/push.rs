//! The server's decision on a push, as a value: what each ref update brings, which rules of
//! its `[[policy]]` it breaks ([`Reason`]), and what happens to the push as a whole
//! ([`PushDecision`]: accepted, rejected, bypassed, accepted unscanned under `fail_open`).
//!
//! [`gather`] reads the facts from the repository (fast-forward, signatures, trailers);
//! [`judge`] and [`decide`] are pure functions of those facts, so every rule is unit-tested
//! without git. The hooks (`cmd/push.rs`) run plan → scan → gather → judge → decide → record →
//! print → exit, and `report::push` prints the decision.

use super::refs::{RefPolicy, SigKind};
use super::signing::Verdict;
use crate::error::{Error, Result};
use crate::rules::Severity;
use crate::source::refs::RefUpdate;
use git2::{ObjectType, Oid, Repository};
use std::collections::HashSet;

/// Which server hook decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `pre-receive`: all refs accepted or rejected together; push options arrive.
    PreReceive,
    /// `update`: one ref at a time; git never passes push options to it.
    Update,
}

impl Hook {
    /// The hook's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::PreReceive => "pre-receive",
            Hook::Update => "update",
        }
    }
}

/// Why a ref update is refused: one rule of its policy, with what it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Findings at or above the ref's `block_severity`.
    Findings {
        /// How many.
        count: usize,
        /// The policy's `block_severity`.
        severity: Severity,
        /// Whether findings allowed inline were counted (`allow_inline_suppressions = false`).
        inline_counted: bool,
    },
    /// `deny_delete`: the ref may not be deleted.
    ProtectedDelete,
    /// `deny_non_fast_forward`: the new tip does not descend from the old one.
    NonFastForward,
    /// `require_signed`: a commit or annotated tag without a good signature of the kind
    /// required.
    Signature {
        /// The object's full id.
        commit: String,
        /// Whether the object is an annotated tag.
        tag: bool,
        /// The kind the policy requires.
        required: SigKind,
        /// What the check found.
        verdict: Verdict,
    },
    /// `require_trailers`: a commit without the trailer, or one naming only its author.
    MissingTrailer {
        /// The commit's full id.
        commit: String,
        /// The trailer key (`Reviewed-by`).
        trailer: String,
        /// The trailer is there, but names the commit's author.
        self_review: bool,
    },
    /// `allowed_pushers`: the pusher is not listed.
    PusherNotAllowed {
        /// The pusher, when the environment names one.
        who: Option<String>,
    },
    /// `[server] oversize` / `unscannable` / `lfs` = "block": content the scan could not read
    /// (over `max_file_bytes`, not decodable, a Git LFS object the server does not hold) is
    /// not accepted unseen.
    Unscanned {
        /// The file and why, escaped for display (no content).
        what: String,
    },
}

impl Reason {
    /// The short name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Findings { .. } => "findings",
            Reason::ProtectedDelete => "deny_delete",
            Reason::NonFastForward => "deny_non_fast_forward",
            Reason::Signature { .. } => "require_signed",
            Reason::MissingTrailer { .. } => "require_trailers",
            Reason::PusherNotAllowed { .. } => "allowed_pushers",
            Reason::Unscanned { .. } => "unscanned",
        }
    }
}

/// A value-free detail of `reason` for the audit log: a severity, a short commit id and what
/// was wrong with it, a pusher. `None` for a file path (a path can hold a value).
pub fn audit_detail(reason: &Reason) -> Option<String> {
    let short = |c: &str| c[..c.len().min(12)].to_owned();
    match reason {
        Reason::Findings { severity, .. } => Some(severity.to_string()),
        Reason::Signature { commit, .. } => Some(short(commit)),
        Reason::MissingTrailer {
            commit, trailer, ..
        } => Some(format!("{} {trailer}", short(commit))),
        Reason::PusherNotAllowed { who } => who.clone(),
        Reason::ProtectedDelete | Reason::NonFastForward | Reason::Unscanned { .. } => None,
    }
}

/// Refuses every ref update that is not a delete for each of `what` (content the scan could
/// not read, [`crate::policy::unscanned_rejections`]): the pushed files are not tied to one
/// ref, and accepting what was never looked at would be a way past the gate.
pub fn refuse_unscanned(decisions: &mut [RefDecision], what: Vec<String>) {
    for d in decisions.iter_mut().filter(|d| d.new.is_some()) {
        d.reasons
            .extend(what.iter().map(|w| Reason::Unscanned { what: w.clone() }));
    }
}

/// The decision on one ref update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefDecision {
    /// The ref.
    pub refname: String,
    /// The old tip (full hex), `None` when the ref is created.
    pub old: Option<String>,
    /// The new tip (full hex), `None` when the ref is deleted.
    pub new: Option<String>,
    /// Which policy applies (`[[policy]] #2` or the default policy).
    pub policy: String,
    /// Why the update is refused; empty when it is accepted.
    pub reasons: Vec<Reason>,
}

impl RefDecision {
    /// Whether the ref's own rules refuse the update.
    pub fn refused(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// A bypass asked for with `-o phiguard.bypass=<reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bypass {
    /// The pusher (`<unknown>` when the environment names none).
    pub who: String,
    /// The reason given (pusher-supplied text: escaped when printed).
    pub reason: String,
    /// Whether every refused ref's policy lists the pusher in `bypass`.
    pub allowed: bool,
}

/// The decision on a whole push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushDecision {
    /// The hook deciding.
    pub hook: Hook,
    /// One decision per ref update, in input order.
    pub refs: Vec<RefDecision>,
    /// A bypass, when one was asked for and some ref is refused.
    pub bypass: Option<Bypass>,
    /// The content could not be scanned within the budget and `[server] fail_open = true`:
    /// findings are unknown; other rules still apply.
    pub unscanned: bool,
    /// The time budget in milliseconds.
    pub budget_ms: u64,
    /// Time spent up to the decision.
    pub elapsed_ms: u64,
    /// Who pushes, from the platform's environment.
    pub pusher: Option<String>,
    /// Whether an audit log is configured (`[server] audit_log`): messages say "recorded"
    /// only then.
    pub audit_log: bool,
    /// Whether the hook runs under GitLab (messages carry `GL-HOOK-ERR: `).
    pub gitlab: bool,
    /// Whether some refused ref's policy lists bypassers (with the `update` hook, the bypass
    /// option can never arrive: the message says so).
    pub bypass_configured: bool,
}

impl PushDecision {
    /// The refs refused by their own rules.
    pub fn refused(&self) -> impl Iterator<Item = &RefDecision> {
        self.refs.iter().filter(|r| r.refused())
    }

    /// Whether the push goes through: no ref refused, or an allowed bypass.
    pub fn accepted(&self) -> bool {
        self.refused().next().is_none() || self.bypass.as_ref().is_some_and(|b| b.allowed)
    }
}

/// A commit's or annotated tag's author as trailers are compared with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// The name.
    pub name: String,
    /// The e-mail, without angle brackets.
    pub email: String,
}

/// What a ref brings, object by object, as far as change control needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectFacts {
    /// Full hex id.
    pub id: String,
    /// An annotated tag (else a commit).
    pub tag: bool,
    /// The commit's author (the tagger for a tag).
    pub author: Person,
    /// Trailers of the message, `(key, value)` as written.
    pub trailers: Vec<(String, String)>,
    /// The signature check, when the policy requires signatures.
    pub signature: Option<Verdict>,
}

/// Everything [`judge`] needs about one ref update besides the scan.
#[derive(Debug, Clone)]
pub struct RefFacts<'a> {
    /// The update.
    pub update: &'a RefUpdate,
    /// Its policy.
    pub policy: &'a RefPolicy,
    /// Ids (full hex) of the commits and annotated tags the update brings.
    pub brings: &'a HashSet<String>,
    /// Whether the new tip descends from the old one (`None`: a create, a delete, or not
    /// commits on both sides).
    pub fast_forward: Option<bool>,
    /// The objects the update brings, when signatures or trailers are required; in
    /// history order, newest first.
    pub objects: Vec<ObjectFacts>,
}

/// Why `facts.update` is refused under its policy (no reasons: accepted). Pure.
pub fn judge(facts: &RefFacts<'_>, scan: &dyn ScanResult, pusher: Option<&str>) -> RefDecision {
    let (u, p) = (facts.update, facts.policy);
    let mut reasons = Vec::new();
    if !p.allowed_pushers.is_empty()
        && !pusher.is_some_and(|w| p.allowed_pushers.iter().any(|a| a == w))
    {
        reasons.push(Reason::PusherNotAllowed {
            who: pusher.map(str::to_owned),
        });
    }
    if u.is_delete() && p.deny_delete {
        reasons.push(Reason::ProtectedDelete);
    }
    if p.deny_non_fast_forward && facts.fast_forward == Some(false) {
        reasons.push(Reason::NonFastForward);
    }
    let count = scan.count(facts.brings, p.block_severity, !p.allow_inline);
    if count > 0 {
        reasons.push(Reason::Findings {
            count,
            severity: p.block_severity,
            inline_counted: !p.allow_inline,
        });
    }
    for o in &facts.objects {
        if let (Some(required), Some(verdict)) = (p.require_signed, &o.signature)
            && !verdict.satisfies(required)
        {
            reasons.push(Reason::Signature {
                commit: o.id.clone(),
                tag: o.tag,
                required,
                verdict: verdict.clone(),
            });
        }
        if o.tag {
            continue;
        }
        for key in &p.require_trailers {
            if let Some(self_review) = trailer_problem(o, key) {
                reasons.push(Reason::MissingTrailer {
                    commit: o.id.clone(),
                    trailer: key.clone(),
                    self_review,
                });
            }
        }
    }
    RefDecision {
        refname: u.refname.clone(),
        old: u.old.map(|o| o.to_string()),
        new: u.new.map(|o| o.to_string()),
        policy: p.name(),
        reasons,
    }
}

/// What a scan found, as far as judging a ref needs it. `model::Report` implements it; the
/// trait keeps policy below report in the layering.
pub trait ScanResult {
    /// How many findings at or above `min` lie in the commits (and tags) of `brings`; with
    /// `with_inline`, findings allowed by an inline marker count too. Every finding in a
    /// commit a ref brings counts for that ref, whichever ref scanned it first.
    fn count(&self, brings: &HashSet<String>, min: Severity, with_inline: bool) -> usize;
}

/// `None` when the commit carries `key` naming someone other than its author; else whether
/// the trailer is there but names only the author (`Some(true)`) or is missing
/// (`Some(false)`). A value names the author when its e-mail (`<...>`) equals the author's,
/// or, without an e-mail, when it equals the author's name (both case-insensitively).
pub fn trailer_problem(o: &ObjectFacts, key: &str) -> Option<bool> {
    let values: Vec<&str> = o
        .trailers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Some(false);
    }
    let is_author = |v: &str| match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => v[a + 1..b].trim().eq_ignore_ascii_case(&o.author.email),
        _ => v.eq_ignore_ascii_case(&o.author.name) || v.eq_ignore_ascii_case(&o.author.email),
    };
    if values.iter().all(|v| is_author(v)) {
        Some(true)
    } else {
        None
    }
}

/// What [`decide`] needs besides the ref decisions.
#[derive(Debug, Clone, Default)]
pub struct PushContext {
    /// `Some(reason)` when the push carries `-o phiguard.bypass=<reason>`.
    pub bypass_requested: Option<String>,
    /// Who pushes.
    pub pusher: Option<String>,
    /// The content was not scanned (budget exceeded under `fail_open`).
    pub unscanned: bool,
    /// The budget in milliseconds.
    pub budget_ms: u64,
    /// Time spent so far.
    pub elapsed_ms: u64,
    /// `[server] audit_log` is set.
    pub audit_log: bool,
    /// Running under GitLab.
    pub gitlab: bool,
}

/// The decision on the push. A bypass is allowed when every refused ref's policy lists the
/// pusher in `bypass`. Pure.
pub fn decide(
    hook: Hook,
    refs: Vec<RefDecision>,
    policies: &[&RefPolicy],
    ctx: PushContext,
) -> PushDecision {
    let refused: Vec<usize> = (0..refs.len()).filter(|&i| refs[i].refused()).collect();
    let who = ctx.pusher.clone().unwrap_or_else(|| "<unknown>".to_owned());
    let bypass = match (&ctx.bypass_requested, refused.is_empty()) {
        (Some(reason), false) => Some(Bypass {
            allowed: refused
                .iter()
                .all(|&i| policies.get(i).is_some_and(|p| p.bypass.contains(&who))),
            who,
            reason: reason.clone(),
        }),
        _ => None,
    };
    let bypass_configured = refused
        .iter()
        .any(|&i| policies.get(i).is_some_and(|p| !p.bypass.is_empty()));
    PushDecision {
        hook,
        refs,
        bypass,
        unscanned: ctx.unscanned,
        budget_ms: ctx.budget_ms,
        elapsed_ms: ctx.elapsed_ms,
        pusher: ctx.pusher,
        audit_log: ctx.audit_log,
        gitlab: ctx.gitlab,
        bypass_configured,
    }
}

/// Checks the signatures of `(object id, is a tag)` pairs, verdicts in order
/// ([`super::signing::Verifier::verify_many`]).
pub type VerifyMany<'v> = dyn FnMut(&Repository, &[(Oid, bool)]) -> Result<Vec<Verdict>> + 'v;

/// Reads what [`judge`] needs about `u` from the repository: whether it fast-forwards (when
/// the policy asks) and, when the policy requires signatures or trailers, the objects that
/// are new *to this ref* with their trailers and `verify`'s verdict on each signature.
///
/// New to a branch are the commits reachable from its new tip and from neither its old tip
/// nor `same_policy` (the tips of the existing refs under the same `[[policy]]` section):
/// a commit first pushed to a laxer ref is still judged when it reaches this one. For a tag,
/// the annotated tags and commits the push brings.
///
/// # Errors
///
/// An object that cannot be read, or `verify` failing (a verifier that cannot decide fails
/// the push closed).
pub fn gather<'a>(
    repo: &Repository,
    u: &'a RefUpdate,
    policy: &'a RefPolicy,
    brings: &'a HashSet<String>,
    same_policy: &[Oid],
    verify: &mut VerifyMany<'_>,
) -> Result<RefFacts<'a>> {
    let fast_forward = match (u.old, u.new) {
        (Some(old), Some(new)) if policy.deny_non_fast_forward => Some(
            old == new
                || repo.graph_descendant_of(new, old).map_err(|e| {
                    Error::git(format!("checking whether {} fast-forwards", u.refname), &e)
                })?,
        ),
        _ => None,
    };
    let mut objects = Vec::new();
    if policy.require_signed.is_some() || !policy.require_trailers.is_empty() {
        for id in new_to_ref(repo, u, brings, same_policy)? {
            objects.push(object_facts(repo, id)?);
        }
        if policy.require_signed.is_some() {
            let items: Vec<(Oid, bool)> = objects
                .iter()
                .map(|(o, _)| Oid::from_str(&o.id).map(|id| (id, o.tag)))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::git("parsing an object id", &e))?;
            let verdicts = verify(repo, &items)?;
            for ((o, _), v) in objects.iter_mut().zip(verdicts) {
                o.signature = Some(v);
            }
        }
        // Newest first, so that messages lead with the tip.
        objects.sort_by_key(|o| std::cmp::Reverse(o.1));
    }
    Ok(RefFacts {
        update: u,
        policy,
        brings,
        fast_forward,
        objects: objects.into_iter().map(|(o, _)| o).collect(),
    })
}

/// The objects new to `u`'s ref (see [`gather`]), each once, in id order.
fn new_to_ref(
    repo: &Repository,
    u: &RefUpdate,
    brings: &HashSet<String>,
    same_policy: &[Oid],
) -> Result<Vec<Oid>> {
    let mut ids: Vec<Oid> = brings
        .iter()
        .filter_map(|h| Oid::from_str(h).ok())
        .collect();
    if let Some(new) = u.new
        && !u.refname.starts_with("refs/tags/")
    {
        let tip = repo
            .find_object(new, None)
            .and_then(|o| o.peel(ObjectType::Commit))
            .ok()
            .map(|c| c.id());
        if let Some(tip) = tip {
            let mut hide = same_policy.to_vec();
            hide.extend(u.old);
            ids.extend(crate::source::history::walk(repo, &[tip], &hide)?);
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// One object's facts, with its time (for ordering).
fn object_facts(repo: &Repository, id: Oid) -> Result<(ObjectFacts, i64)> {
    let obj = repo
        .find_object(id, None)
        .map_err(|e| Error::git(format!("reading {id}"), &e))?;
    let tag = obj.kind() == Some(ObjectType::Tag);
    let (author, message, time) = if let Some(t) = obj.as_tag() {
        let who = t.tagger();
        let person = who.as_ref().map(|s| person(s)).unwrap_or_default();
        let time = who.map_or(0, |s| s.when().seconds());
        (person, t.message_bytes().unwrap_or_default().to_vec(), time)
    } else if let Some(c) = obj.as_commit() {
        (
            person(&c.author()),
            c.message_raw_bytes().to_vec(),
            c.committer().when().seconds(),
        )
    } else {
        return Err(Error::usage(format!("{id} is neither a commit nor a tag")));
    };
    let trailers = if tag { Vec::new() } else { trailers(&message) };
    Ok((
        ObjectFacts {
            id: id.to_string(),
            tag,
            author,
            trailers,
            signature: None,
        },
        time,
    ))
}

fn person(s: &git2::Signature<'_>) -> Person {
    Person {
        name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
    }
}

/// The trailers of a commit message, as `git interpret-trailers --parse` reads them.
pub fn trailers(message: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(message);
    git2::message_trailers_strs(&text)
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
