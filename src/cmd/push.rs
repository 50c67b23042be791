//! History hooks: `scan --range`, pre-push on the client, pre-receive and update on the server.

use super::audit::Trail;
use super::{Exit, Origin, Session};
use crate::cli::{ConfigFrom, Global};
use anyhow::{Context as _, Result};
use phiguard::error::ErrorKind;
use phiguard::model::Report;
use phiguard::policy::bypass;
use phiguard::policy::push::{self, Hook, PushContext, PushDecision};
use phiguard::policy::refs::{self as refpolicy, RefPolicy};
use phiguard::policy::signing::{TrustFiles, Verifier};
use phiguard::report::{self, Context};
use phiguard::scan::RunOptions;
use phiguard::source::refs::{self, RefUpdate};
use phiguard::source::{RepoAt, history};
use std::collections::{HashMap, HashSet};
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

/// glibc's allocator, tuned for history scans and server hooks. Set before the scan's
/// threads start: on a directory scan of many small files shared arenas cost 7 % of wall
/// time, so only these commands ask. glibc only; other allocators have no such knobs.
///
/// - **Arenas.** glibc gives threads that allocate at once arenas of their own (up to eight
///   per core), and each arena keeps the blob buffers its thread freed: a history scan's
///   workers held 137 MiB at peak on redis with the default. One arena per thread that
///   allocates — the workers, one per core, and the thread planning commits beside them.
///   Sharing an arena between the planner and a worker cost spring-framework's history
///   18.5–19.0 s against 15.7 s (7 s of system time against 5 s), and redis 3.3–3.4 s
///   against 3.1 s.
/// - **Large blocks.** By default a freed block larger than the mapping threshold raises
///   the threshold to its size (up to 32 MiB), and the blob buffers of that size then come
///   from the arenas, which keep them: spring-framework's history peaked at 149 MiB. A fixed
///   threshold of 512 KiB gives them back on free (peak 124–127 MiB); the trim threshold,
///   which a fixed threshold leaves at 128 KiB, is raised to 4 MiB, or shrinking and growing
///   the heap's top cost redis' history 0.3 s of system time (1.0 s against 0.6 s).
pub(super) fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: libc::c_int = 512 << 10;
        const TRIM_THRESHOLD: libc::c_int = 4 << 20;
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let arenas = libc::c_int::try_from(threads + 1).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt sets tuning parameters of glibc's allocator; it is called before
        // the scan's threads start, and glibc serialises it with allocation in any case.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}

/// `scan --range A..B | REV`.
pub fn range(g: &Global, spec: &str, config_from: ConfigFrom) -> Result<Exit> {
    tune_malloc();
    let repo = open_repo()?;
    let root = repo.workdir().map(Path::to_path_buf);
    let ids = match history::range(&repo, spec) {
        Err(e) if repo.is_shallow() => {
            anyhow::bail!(
                "{e}; this clone is shallow (.git/shallow): the range's base was probably not \
                 fetched. Fetch the history (`git fetch --unshallow`, or actions/checkout \
                 `fetch-depth: 0`, GitLab CI `GIT_DEPTH: 0`)"
            )
        }
        other => other?,
    };
    shallow_boundary(&repo, spec, &ids)?;
    let mut origin = Origin::client(root);
    origin.repo_files = range_config(&repo, spec, config_from)?;
    let mut session = Session::new(g, origin, Context::History)?;
    session.stop_counting_when_blocked();
    let commits: Vec<_> = ids.iter().map(|c| (*c, None)).collect();
    let paths = session.config.path_rules();
    let source = history::Commits::new(planner(&repo, paths), commits)
        .after(history::range_tag_messages(&repo, spec)?);
    scan_commits(&session, &repo, source, ids)
}

/// A planner for a history scan, noting the commits that change the repository's
/// configuration file.
fn planner<'r>(
    repo: &'r git2::Repository,
    paths: phiguard::source::PathRules<'r>,
) -> history::Planner<'r> {
    history::Planner::new(repo, paths).watching(phiguard::config::REPO_FILE)
}

/// Scans `source` as it is planned, adds what the commits among `brought` weaken
/// ([`weakened`]), prints the report and returns the exit code.
fn scan_commits(
    session: &Session,
    repo: &git2::Repository,
    mut source: history::Commits<'_>,
    brought: Vec<git2::Oid>,
) -> Result<Exit> {
    let started = std::time::Instant::now();
    let report = session
        .report_of(&mut source, RepoAt::Path(repo.path().to_path_buf()))?
        .unwrap_or_default();
    *session.extra.lock().unwrap_or_else(|p| p.into_inner()) =
        weakened(session, repo, &source, brought)?;
    session.finish(report, started)
}

/// What the commits among `brought` weaken in the configuration
/// ([`super::weakening::in_commits`]), reading only those the planner of `source` did not
/// see keep the configuration file of their first parent.
fn weakened(
    session: &Session,
    repo: &git2::Repository,
    source: &history::Commits<'_>,
    brought: Vec<git2::Oid>,
) -> Result<Vec<phiguard::model::Finding>> {
    let changed = brought
        .into_iter()
        .filter(|id| !source.planner().unchanged(*id));
    super::weakening::in_commits(repo, changed, &session.key)
}

/// The version of the repository whose `.phiguard.toml` judges `--range spec`: the base's by
/// default (a change must not weaken its own check; no base at all — `A...B` without a merge
/// base — means the defaults), the tip's, or the work tree's (`None`). `REV` alone has no
/// base: the work tree's.
fn range_config(
    repo: &git2::Repository,
    spec: &str,
    from: ConfigFrom,
) -> Result<Option<phiguard::config::RepoFiles>> {
    use phiguard::config::versions as config_file;
    let (base, tip) = history::ends(repo, spec)?;
    Ok(match (from, base) {
        (ConfigFrom::Worktree, _) | (ConfigFrom::Base, None) => None,
        (ConfigFrom::Base, Some(Some(base))) => Some(config_file::at_commit(repo, base)?),
        (ConfigFrom::Base, Some(None)) => Some(config_file::none()),
        (ConfigFrom::Head, _) => Some(config_file::at_commit(repo, tip)?),
    })
}

/// In a shallow clone, a commit of the range at the shallow boundary has no parents here: its
/// whole tree would count as added. Refuse (exit 2), saying how deep to fetch.
fn shallow_boundary(repo: &git2::Repository, spec: &str, ids: &[git2::Oid]) -> Result<()> {
    if !repo.is_shallow() {
        return Ok(());
    }
    let shallow = std::fs::read_to_string(repo.path().join("shallow")).unwrap_or_default();
    let boundary: HashSet<git2::Oid> = shallow
        .lines()
        .filter_map(|l| git2::Oid::from_str(l.trim()).ok())
        .collect();
    let Some(at) = ids.iter().find(|id| boundary.contains(id)) else {
        return Ok(());
    };
    let depth = ids.len() + 1;
    anyhow::bail!(
        "this clone is shallow and commit {} of --range {spec} is at its boundary (.git/shallow): \
         its parents were not fetched, so its whole tree would be reported as added. Fetch at \
         least {depth} commits: actions/checkout `fetch-depth: {depth}` (or 0 for all), GitLab \
         CI `GIT_DEPTH: {depth}`, or `git fetch --deepen={depth}`",
        &at.to_string()[..12]
    )
}

/// pre-push: every stdin line; what the remote does not have yet.
pub fn pre_push(g: &Global, remote: &str) -> Result<Exit> {
    pre_push_lines(g, remote, &read_stdin()?)
}

/// The pre-commit framework's pre-push stage: git's ref line rebuilt from
/// `PRE_COMMIT_LOCAL_BRANCH`, `PRE_COMMIT_TO_REF`, `PRE_COMMIT_REMOTE_BRANCH` and
/// `PRE_COMMIT_FROM_REF` (absent when a root commit is pushed: then what no remote-tracking
/// ref of `PRE_COMMIT_REMOTE_NAME` has is scanned).
pub fn framework_push(g: &Global) -> Result<Exit> {
    // Pushing a root commit, pre-commit sets no range ("all files"): the local branch's
    // commits that no remote-tracking ref has are what leaves.
    let to = env("PRE_COMMIT_TO_REF")
        .or_else(|| env("PRE_COMMIT_LOCAL_BRANCH"))
        .unwrap_or_else(|| "HEAD".to_owned());
    let repo = open_repo()?;
    let resolve = |r: &str| -> Result<String> {
        Ok(repo
            .revparse_single(r)
            .with_context(|| format!("resolving {r}"))?
            .peel_to_commit()
            .with_context(|| format!("{r} is not a commit"))?
            .id()
            .to_string())
    };
    let to = resolve(&to)?;
    let from = match env("PRE_COMMIT_FROM_REF") {
        Some(f) if !f.is_empty() => resolve(&f)?,
        _ => "0".repeat(to.len()),
    };
    let local = env("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| "HEAD".to_owned());
    let remote_ref = env("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_else(|| local.clone());
    let remote = env("PRE_COMMIT_REMOTE_NAME").unwrap_or_else(|| "origin".to_owned());
    drop(repo);
    pre_push_lines(g, &remote, &format!("{local} {to} {remote_ref} {from}\n"))
}

fn pre_push_lines(g: &Global, remote: &str, input: &str) -> Result<Exit> {
    tune_malloc();
    let repo = open_repo()?;
    let updates = refs::parse_push(input)?;
    let root = repo.workdir().map(Path::to_path_buf);
    let mut session = Session::new(g, Origin::client(root), Context::History)?;
    session.stop_counting_when_blocked();
    let mut hide = refs::remote_tips(&repo, remote)?;
    hide.extend(updates.iter().filter_map(|u| u.old));
    let planned = refs::plan(&repo, &updates, &hide)?;
    let source =
        history::Commits::new(planner(&repo, session.config.path_rules()), planned.commits)
            .before(planned.jobs);
    let brought = super::weakening::brought(&planned.brings);
    let exit = scan_commits(&session, &repo, source, brought)?;
    advise(&session, &repo, &updates, &planned.brings, &hide)?;
    Ok(exit)
}

/// pre-push, advisory: the repository's own `[[policy]]` rules (signatures, trailers,
/// fast-forward, delete) checked locally, so that the developer learns before the server
/// refuses. Never changes the exit code: the server is authoritative.
fn advise(
    session: &Session,
    repo: &git2::Repository,
    updates: &[RefUpdate],
    brings: &HashMap<String, HashSet<String>>,
    remote_has: &[git2::Oid],
) -> Result<()> {
    if session.config.policies.is_empty() {
        return Ok(());
    }
    let none = HashSet::new();
    let mut decisions = Vec::new();
    for u in updates {
        let p = refpolicy::for_ref(&session.config.policies, &u.refname)?;
        let mut verify = |repo: &git2::Repository, items: &[(git2::Oid, bool)]| {
            let files = super::verify::trust(repo, &p)
                .map_err(|e| phiguard::Error::from(ErrorKind::Usage(format!("{e:#}"))))?;
            Verifier::load(
                &files,
                p.require_signed,
                Instant::now() + Duration::from_secs(600),
            )?
            .verify_many(repo, items)
        };
        let brought = brings.get(&u.refname).unwrap_or(&none);
        let facts = push::gather(repo, u, &p, brought, remote_has, &mut verify)?;
        decisions.push(push::judge(&facts, &NoFindings, None));
    }
    let mut err = std::io::stderr();
    report::push::write_advisory(&decisions, &mut err).context("writing the advice")
}

/// The scan's findings are reported by the scan itself: the advisory judges the other rules.
struct NoFindings;

impl push::ScanResult for NoFindings {
    fn count(&self, _: &HashSet<String>, _: phiguard::rules::Severity, _: bool) -> usize {
        0
    }
}

/// pre-receive: all updates of the push, accepted or rejected together.
pub fn pre_receive(g: &Global) -> Result<Exit> {
    let updates = refs::parse_receive(&read_stdin()?)?;
    server(g, Hook::PreReceive, &updates)
}

/// update: one ref.
pub fn update(g: &Global, refname: &str, old: &str, new: &str) -> Result<Exit> {
    let updates = vec![RefUpdate {
        refname: refname.to_owned(),
        old: refs::parse_oid(old)?,
        new: refs::parse_oid(new)?,
    }];
    server(g, Hook::Update, &updates)
}

/// A server hook, in one straight line: plan and scan what the push brings, gather the
/// facts each ref's policy needs, judge every ref, decide the push, record, print, exit. An
/// error after the configuration is read is recorded in the audit log too (exit 2).
fn server(g: &Global, hook: Hook, updates: &[RefUpdate]) -> Result<Exit> {
    let started = Instant::now();
    tune_malloc();
    check_quarantine()?;
    let repo = open_repo()?;
    let origin = Origin {
        repo_root: None,
        server_git_dir: Some(repo.path().to_path_buf()),
        repo_files: None,
    };
    let session = Session::new(g, origin, Context::Push)?;
    let budget_ms = session.config.server.budget_ms.unwrap_or(DEFAULT_BUDGET_MS);
    super::watchdog::arm_server(started, budget_ms)?;
    let trail = Trail::open(g, &session, repo.path(), hook.as_str(), updates)?;
    if let Some(trail) = &trail {
        trail.arm_watchdog(budget_ms);
    }
    let decided = decide_push(&session, &repo, hook, updates, started, trail.as_ref());
    if let (Err(e), Some(trail)) = (&decided, &trail)
        && let Err(w) = trail.error(e)
    {
        return Err(anyhow::anyhow!("{e:#}; recording that failed too: {w:#}"));
    }
    decided
}

/// The pushed objects wait in git's quarantine directory (`GIT_QUARANTINE_PATH`, also
/// `GIT_OBJECT_DIRECTORY`) until the hook accepts them. If it is gone, libgit2 would see only
/// the repository's objects and report the pushed ones as missing: name the cause instead.
fn check_quarantine() -> Result<()> {
    for var in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
        if let Some(dir) = std::env::var_os(var)
            && !Path::new(&dir).is_dir()
        {
            let shown = phiguard::sanitize::display_str(&dir.to_string_lossy());
            anyhow::bail!(
                "the push's object directory {shown} ({var}) is missing, so the pushed \
                 objects cannot be read; nothing was accepted"
            );
        }
    }
    Ok(())
}

/// [`server`] up to its exit code.
fn decide_push(
    session: &Session,
    repo: &git2::Repository,
    hook: Hook,
    updates: &[RefUpdate],
    started: Instant,
    trail: Option<&Trail>,
) -> Result<Exit> {
    let budget_ms = session.config.server.budget_ms.unwrap_or(DEFAULT_BUDGET_MS);
    let set = refpolicy::PolicySet::new(&session.config.policies)?;
    let policies: Vec<RefPolicy> = updates
        .iter()
        .map(|u| set.for_ref(&u.refname))
        .collect::<phiguard::Result<_>>()?;
    // The existing refs, listed once: what is new to each ref, and what a signing or
    // trailer policy's refs already hold, both come from this one listing.
    let existing = refs::named_tips(repo)?;
    let (mut report, brings, unscanned) = scan(
        session,
        repo,
        updates,
        (&set, &policies, &existing),
        started,
        budget_ms,
    )?;
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    let pusher = bypass::pusher(env);
    let deadline = started + Duration::from_millis(budget_ms);
    let refs_at = RefsAt {
        repo,
        set: &set,
        existing: &existing,
        brings: &brings,
        deadline,
    };
    let (mut decisions, signatures) =
        judge_refs(&refs_at, updates, &policies, &report, pusher.as_deref())?;
    if let Some(trail) = trail {
        trail.signatures(signatures);
    }
    push::refuse_unscanned(
        &mut decisions,
        phiguard::policy::unscanned_rejections(
            &report.unscanned,
            session.config.server.oversize.unwrap_or_default(),
            session.config.server.unscannable.unwrap_or_default(),
            session.config.server.lfs.unwrap_or_default(),
        ),
    );
    let decision = push::decide(
        hook,
        decisions,
        &policies.iter().collect::<Vec<_>>(),
        PushContext {
            bypass_requested: bypass::requested(env),
            pusher,
            unscanned,
            budget_ms,
            elapsed_ms: started.elapsed().as_millis() as u64,
            audit_log: session.config.server.audit_log.is_some(),
            gitlab: bypass::on_gitlab(env),
        },
    );
    if let Some(trail) = trail {
        record(trail, &report, &decision)?;
    }
    session.print_push(&report, &decision)?;
    Ok(if decision.accepted() {
        Exit::Clean
    } else {
        Exit::Blocked
    })
}

/// What judging the refs of a push reads.
struct RefsAt<'a> {
    repo: &'a git2::Repository,
    set: &'a refpolicy::PolicySet<'a>,
    /// The repository's refs before the push, each with its tip commit.
    existing: &'a [(String, git2::Oid)],
    brings: &'a HashMap<String, HashSet<String>>,
    /// When gpg is killed (the end of the budget).
    deadline: Instant,
}

/// Gathers each update's facts and judges it under its policy; signature verifiers are
/// built once per policy section.
fn judge_refs(
    at: &RefsAt<'_>,
    updates: &[RefUpdate],
    policies: &[RefPolicy],
    report: &Report,
    pusher: Option<&str>,
) -> Result<(
    Vec<push::RefDecision>,
    Vec<phiguard::audit::SignatureRecord>,
)> {
    let none = HashSet::new();
    let mut verifiers: HashMap<usize, Verifier> = HashMap::new();
    let mut held: HashMap<usize, Vec<git2::Oid>> = HashMap::new();
    let mut decisions = Vec::with_capacity(updates.len());
    let mut signatures = Vec::new();
    for (u, p) in updates.iter().zip(policies) {
        if p.require_signed.is_some() && !verifiers.contains_key(&p.section) {
            let verifier = Verifier::load(&TrustFiles::of(p), p.require_signed, at.deadline)?;
            verifiers.insert(p.section, verifier);
        }
        let verifier = verifiers.get(&p.section);
        let mut verify = |repo: &git2::Repository, items: &[(git2::Oid, bool)]| match verifier {
            Some(v) => v.verify_many(repo, items),
            None => Err(phiguard::Error::from(ErrorKind::Internal(
                "internal: no signature verifier for a policy that requires signatures".to_owned(),
            ))),
        };
        let same: &[git2::Oid] = if p.require_signed.is_some() || !p.require_trailers.is_empty() {
            held.entry(p.section)
                .or_insert_with(|| same_policy_tips(at.existing, at.set, p.section))
        } else {
            &[]
        };
        let brought = at.brings.get(&u.refname).unwrap_or(&none);
        let facts = push::gather(at.repo, u, p, brought, same, &mut verify)?;
        signatures.extend(facts.objects.iter().filter_map(signature_record));
        decisions.push(push::judge(&facts, report, pusher));
    }
    Ok((decisions, signatures))
}

/// An object's signature verdict as the audit log records it (none when no signing policy
/// checked it).
fn signature_record(o: &push::ObjectFacts) -> Option<phiguard::audit::SignatureRecord> {
    use phiguard::policy::signing::Verdict;
    let v = o.signature.as_ref()?;
    let (principal, fingerprint) = match v {
        Verdict::Good {
            principal,
            fingerprint,
            ..
        } => (Some(principal.clone()), Some(fingerprint.clone())),
        _ => (None, None),
    };
    Some(phiguard::audit::SignatureRecord {
        commit: o.id.clone(),
        tag: o.tag,
        status: v.as_str().to_owned(),
        principal,
        fingerprint,
    })
}

/// The commits at the tips of the existing refs whose policy is section `section`: what a
/// ref under that policy already holds (its rules held when they were pushed).
fn same_policy_tips(
    existing: &[(String, git2::Oid)],
    set: &refpolicy::PolicySet<'_>,
    section: usize,
) -> Vec<git2::Oid> {
    existing
        .iter()
        .filter(|(name, _)| set.section_of(name) == section)
        .map(|(_, id)| *id)
        .collect()
}

/// Every existing ref's tip with the policy its ref is under.
fn existing_by_policy(
    existing: &[(String, git2::Oid)],
    set: &refpolicy::PolicySet<'_>,
) -> phiguard::Result<Vec<(RefPolicy, git2::Oid)>> {
    let mut by_section: HashMap<usize, RefPolicy> = HashMap::new();
    let mut out = Vec::new();
    for (name, id) in existing {
        let section = set.section_of(name);
        let policy = match by_section.get(&section) {
            Some(p) => p.clone(),
            None => {
                let p = set.for_ref(name)?;
                by_section.insert(section, p.clone());
                p
            }
        };
        out.push((policy, *id));
    }
    Ok(out)
}

/// Plans and scans what the push brings within the budget. Returns the report, what each
/// ref brings, and whether the content went unscanned (the budget ran out and
/// `[server] fail_open = true`; without it, running out is an error: exit 2, fail closed).
fn scan(
    session: &Session,
    repo: &git2::Repository,
    updates: &[RefUpdate],
    (set, policies, existing): (
        &refpolicy::PolicySet<'_>,
        &[RefPolicy],
        &[(String, git2::Oid)],
    ),
    started: Instant,
    budget_ms: u64,
) -> Result<(Report, HashMap<String, HashSet<String>>, bool)> {
    let deadline = Some((started + Duration::from_millis(budget_ms), budget_ms));
    let engine = session.engine()?;
    let scanned = existing_by_policy(existing, set)
        .and_then(|existing| {
            // What is new to a ref: not on any existing ref whose policy judged findings at
            // least as strictly (refs updated by this push are judged, not trusted).
            let hide = |k: usize| -> Vec<git2::Oid> {
                existing
                    .iter()
                    .filter(|(p, _)| p.judges_findings_as_strictly_as(&policies[k]))
                    .map(|(_, id)| *id)
                    .collect()
            };
            refs::plan_each(repo, updates, &hide)
        })
        .and_then(|planned| {
            let opts = RunOptions {
                repo: RepoAt::FromEnv,
                max_file_bytes: session.config.max_file_bytes,
                threads: session.config.threads,
                deadline,
            };
            let mut source =
                history::Commits::new(planner(repo, session.config.path_rules()), planned.commits)
                    .before(planned.jobs)
                    .deadline(deadline);
            let report = phiguard::scan::run_source(&engine, &mut source, &opts)?;
            Ok((report, planned.brings, source))
        });
    match scanned {
        Ok((mut report, brings, source)) => {
            let brought = super::weakening::brought(&brings);
            let weakened = weakened(session, repo, &source, brought)?;
            phiguard::weakening::add(&mut report, weakened);
            // Only `$GIT_DIR/phiguard-baseline` (Session::new): never one the push brings.
            session.apply_baseline(&mut report);
            Ok((report, brings, false))
        }
        Err(e)
            if matches!(e.kind(), ErrorKind::Budget { .. })
                && session.config.server.fail_open == Some(true) =>
        {
            Ok((Report::default(), HashMap::new(), true))
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes the final decision (bypass and fail-open resolved) to the audit log, before
/// anything is printed; a line that cannot be written fails the push closed (exit 2).
fn record(trail: &Trail, report: &Report, decision: &PushDecision) -> Result<()> {
    use phiguard::audit::{Decision, Reason as Code};
    let bypassed = decision.bypass.as_ref().filter(|b| b.allowed);
    let verdict = if !decision.accepted() {
        Decision::Reject
    } else if bypassed.is_some() && decision.refused().next().is_some() {
        Decision::Bypass
    } else if decision.unscanned {
        Decision::FailOpen
    } else {
        Decision::Accept
    };
    let mut reasons: Vec<Code> = decision
        .refs
        .iter()
        .flat_map(|r| {
            r.reasons.iter().map(|reason| Code {
                refname: Some(r.refname.clone()),
                count: match reason {
                    push::Reason::Findings { count, .. } => Some(*count),
                    _ => None,
                },
                detail: push::audit_detail(reason),
                ..Code::code(reason.as_str())
            })
        })
        .collect();
    if decision.unscanned {
        reasons.push(Code {
            detail: Some(decision.budget_ms.to_string()),
            ..Code::code("budget-exceeded")
        });
    }
    if let Some(b) = decision.bypass.as_ref().filter(|b| !b.allowed) {
        reasons.push(Code {
            detail: Some(b.who.clone()),
            ..Code::code("bypass-refused")
        });
    }
    let report = (!decision.unscanned).then_some(report);
    trail.write(
        verdict,
        reasons,
        report,
        bypassed.map(|b| b.reason.as_str()),
    )
}
