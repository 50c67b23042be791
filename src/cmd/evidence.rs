//! `phiguard evidence --range A..B --out FILE`: the record a CI job keeps for each run — what
//! was checked (repository, range, commits), by what (phiguard version, rule-pack and config
//! hashes), what was found (counts by rule and severity, never values), what was waived and
//! why, who ran it — plus the SARIF of the same scan in `FILE.sarif`. The record's SHA-256 is
//! printed so it can be anchored like the audit log's head.

use super::{Exit, Origin, Session};
use crate::cli::{EvidenceArgs, Global};
use anyhow::{Context as _, Result};
use phiguard::audit;
use phiguard::model::Report;
use phiguard::report::{self, Context, Format};
use phiguard::source::{RepoAt, history};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(g: &Global, args: &EvidenceArgs) -> Result<Exit> {
    // A history scan, as `scan --range` is.
    super::push::tune_malloc();
    let repo = super::push::open_repo()?;
    let root = repo.workdir().map(Path::to_path_buf);
    let session = Session::new(g, Origin::client(root), Context::History)?;
    let oids = history::range(&repo, &args.range)?;
    let commits: Vec<_> = oids.iter().map(|c| (*c, None)).collect();
    let planner = history::Planner::new(&repo, session.config.path_rules());
    let report = session
        .report_of(
            &mut history::Commits::new(planner, commits),
            RepoAt::Path(repo.path().to_path_buf()),
        )?
        .unwrap_or_default();
    let packs: Vec<PathBuf> = session
        .config
        .imports
        .iter()
        .chain(&g.rules)
        .cloned()
        .collect();
    let record = json!({
        "version": 1,
        "kind": "phiguard-evidence",
        "time": audit::time::now(),
        "repository": repository(&repo),
        "range": args.range,
        "commits": commits_checked(&repo, &session, &oids)?,
        "phiguard": env!("CARGO_PKG_VERSION"),
        "rules_hash": audit::hash::rules(&packs)?,
        "config_hash": audit::hash::files(&session.config.files)?,
        "findings": counts(&report),
        "suppressions": suppressions(&report),
        "runner": runner(),
        "blocks": report.blocks(),
    });
    let mut bytes = serde_json::to_vec_pretty(&record)?;
    bytes.push(b'\n');
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("writing the evidence record {}", args.out.display()))?;
    let sarif = sarif_path(&args.out);
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&sarif)
            .with_context(|| format!("writing the SARIF {}", sarif.display()))?,
    );
    report::write(&report, Format::Sarif, session.style, &mut file)
        .and_then(|()| std::io::Write::flush(&mut file))
        .with_context(|| format!("writing the SARIF {}", sarif.display()))?;
    println!(
        "evidence: {} sha256:{}",
        args.out.display(),
        audit::hash::sha256_hex(&bytes)
    );
    println!("sarif: {}", sarif.display());
    Ok(if report.blocks() {
        Exit::Blocked
    } else {
        Exit::Clean
    })
}

fn sarif_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".sarif");
    PathBuf::from(s)
}

/// The git dir, and the CI's name for the project when it gives one. A remote URL is left
/// out: it may carry credentials.
fn repository(repo: &git2::Repository) -> Value {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    json!({
        "path": repo.path().display().to_string(),
        "name": var("GITHUB_REPOSITORY").or_else(|| var("CI_PROJECT_PATH")),
        "head": repo.head().ok().and_then(|h| h.target()).map(|o| o.to_string()),
    })
}

/// Each commit's id and its signature verdict, checked as `phiguard verify` checks it: trust
/// from the current branch's `[[policy]]` where it names files, else from git's own
/// `gpg.ssh.allowedSignersFile`, `gpg.ssh.revocationFile` and `gpg.program`. The verdict is
/// the one `verify` prints (`good` with the signer, `unknown_key`, `unsigned`, ...), never
/// just "a signature exists".
fn commits_checked(
    repo: &git2::Repository,
    session: &Session,
    oids: &[git2::Oid],
) -> Result<Vec<Value>> {
    use phiguard::policy::signing::Verifier;
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.name().ok().map(str::to_owned))
        .unwrap_or_else(|| "HEAD".to_owned());
    let policy = phiguard::policy::refs::for_ref(&session.config.policies, &head)?;
    let files = super::verify::trust(repo, &policy)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let verifier = Verifier::load(&files, policy.require_signed, deadline)?;
    let items: Vec<(git2::Oid, bool)> = oids.iter().map(|&id| (id, false)).collect();
    let verdicts = verifier.verify_many(repo, &items)?;
    Ok(oids
        .iter()
        .zip(verdicts)
        .map(|(id, v)| {
            json!({
                "id": id.to_string(),
                "signature": phiguard::report::push::verdict_json(&v),
            })
        })
        .collect())
}

/// Findings counted by rule and severity, and by severity; no value, path or excerpt.
fn counts(report: &Report) -> Value {
    let mut by_rule: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_rule
            .entry(&f.rule)
            .or_default()
            .entry(f.severity.to_string())
            .or_default() += 1;
        *by_severity.entry(f.severity.to_string()).or_default() += 1;
    }
    json!({"total": report.findings.len(), "by_severity": by_severity, "by_rule": by_rule})
}

/// Each waived finding: where, which rule, its fingerprint and what waived it (`inline`
/// allow, `synthetic` marker, `baseline`).
fn suppressions(report: &Report) -> Vec<Value> {
    report
        .suppressed
        .iter()
        .map(|f| {
            json!({
                "rule": &*f.rule,
                "severity": f.severity.to_string(),
                "path": &*f.path,
                "line": f.line,
                "commit": f.commit.as_deref(),
                "fingerprint": f.fingerprint,
                "by": f.suppressed.map(|s| s.as_str()),
                // The text after `phiguard:allow` (escaped, long digit runs masked) or the
                // baseline entry's; else the mechanism.
                "reason": f.reason.as_deref().or(f.suppressed.map(|s| s.as_str())),
            })
        })
        .collect()
}

/// Who ran the job, from the CI environment: GitHub Actions or GitLab CI, else the local user
/// (marked unverified).
fn runner() -> Value {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if var("GITHUB_ACTIONS").is_some() || var("GITHUB_RUN_ID").is_some() {
        return json!({
            "ci": "github-actions",
            "actor": var("GITHUB_ACTOR"),
            "run_id": var("GITHUB_RUN_ID"),
            "repository": var("GITHUB_REPOSITORY"),
            "workflow": var("GITHUB_WORKFLOW"),
            "verified": true,
        });
    }
    if var("GITLAB_CI").is_some() || var("CI_JOB_ID").is_some() {
        return json!({
            "ci": "gitlab-ci",
            "actor": var("GITLAB_USER_LOGIN"),
            "run_id": var("CI_JOB_ID"),
            "repository": var("CI_PROJECT_PATH"),
            "pipeline_id": var("CI_PIPELINE_ID"),
            "verified": true,
        });
    }
    json!({"ci": null, "actor": var("USER"), "verified": false})
}
