//! `phiguard verify [RANGE]`: every commit's signature verdict and trailers, the evidence a
//! CI job or an auditor runs. Trust comes from the `[[policy]]` for the current branch where
//! it names files, else from what git itself reads (`gpg.ssh.allowedSignersFile`,
//! `gpg.ssh.revocationFile`, `gpg.program`).

use super::{Exit, Origin, Session};
use crate::cli::{Global, VerifyArgs};
use anyhow::{Context as _, Result};
use phiguard::policy::push::trailers;
use phiguard::policy::refs as refpolicy;
use phiguard::policy::signing::{TrustFiles, Verifier};
use phiguard::report::verify::{CommitCheck, Verification};
use phiguard::report::{self, Context};
use phiguard::source::history;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long gpg may take in all, on a client.
const GPG_BUDGET: Duration = Duration::from_secs(600);

pub fn run(g: &Global, args: &VerifyArgs) -> Result<Exit> {
    let repo = git2::Repository::open_from_env()
        .map_err(|e| anyhow::anyhow!("not in a git repository ({})", e.message()))?;
    let root = repo.workdir().map(Path::to_path_buf);
    let session = Session::new(g, Origin::client(root), Context::History)?;
    let head_ref = repo
        .head()
        .ok()
        .and_then(|h| h.name().ok().map(str::to_owned))
        .unwrap_or_else(|| "HEAD".to_owned());
    let (range, commits) = commits(&repo, args.range.as_deref())?;
    let policy = refpolicy::for_ref(&session.config.policies, &head_ref)?;
    let files = trust(&repo, &policy)?;
    let verifier = Verifier::load(&files, policy.require_signed, Instant::now() + GPG_BUDGET)?;
    // Newest first, as `git log` shows them.
    let items: Vec<(git2::Oid, bool)> = commits.into_iter().rev().map(|id| (id, false)).collect();
    let verdicts = verifier.verify_many(&repo, &items)?;
    let mut checks = Vec::with_capacity(items.len());
    for (&(id, _), verdict) in items.iter().zip(verdicts) {
        let commit = repo
            .find_commit(id)
            .with_context(|| format!("reading commit {id}"))?;
        checks.push(CommitCheck {
            id: id.to_string(),
            verdict,
            trailers: trailers(commit.message_raw_bytes()),
        });
    }
    let v = Verification {
        range,
        refname: head_ref,
        required: policy.require_signed,
        policy: policy.name(),
        commits: checks,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = report::verify::write(&v, session.format, &mut out).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing the verification")?,
    }
    Ok(if v.fails() {
        Exit::Blocked
    } else {
        Exit::Clean
    })
}

/// The commits to check (oldest first) and the range as resolved: the given one, else the
/// current branch's commits not on its upstream, else HEAD alone.
fn commits(repo: &git2::Repository, spec: Option<&str>) -> Result<(String, Vec<git2::Oid>)> {
    if let Some(spec) = spec {
        return Ok((spec.to_owned(), history::range(repo, spec)?));
    }
    let upstream = repo.head().ok().and_then(|h| {
        let name = h.shorthand().ok()?.to_owned();
        let branch = repo.find_branch(&name, git2::BranchType::Local).ok()?;
        let up = branch.upstream().ok()?;
        Some(up.get().name().ok()?.to_owned())
    });
    if let Some(up) = upstream {
        let spec = format!("{up}..HEAD");
        let ids = history::range(repo, &spec)?;
        return Ok((spec, ids));
    }
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| anyhow::anyhow!("no commit to verify ({})", e.message()))?;
    Ok(("HEAD".to_owned(), vec![head.id()]))
}

/// The policy's trust files, each falling back to git's own setting.
pub(super) fn trust(repo: &git2::Repository, policy: &refpolicy::RefPolicy) -> Result<TrustFiles> {
    let config = repo.config().context("reading git's configuration")?;
    let path = |key: &str| config.get_path(key).ok();
    let mut files = TrustFiles::of(policy);
    files.allowed_signers = files
        .allowed_signers
        .or_else(|| path("gpg.ssh.allowedSignersFile"));
    files.revoked_keys = files
        .revoked_keys
        .or_else(|| path("gpg.ssh.revocationFile"));
    files.gpg_program = config
        .get_string("gpg.openpgp.program")
        .or_else(|_| config.get_string("gpg.program"))
        .ok()
        .map(PathBuf::from);
    Ok(files)
}

/// pre-commit: when the policy for the current branch requires signatures and
/// `commit.gpgsign` is not set, say so once per repository (a marker in the git dir), on
/// stderr: the commit itself goes ahead, and pre-push and the server check the signatures.
pub(super) fn warn_signing_setup(
    repo: &git2::Repository,
    policies: &[phiguard::policy::refs::PolicySection],
) {
    if policies.is_empty() {
        return;
    }
    let Some(head) = repo
        .head()
        .ok()
        .and_then(|h| h.name().ok().map(str::to_owned))
    else {
        return;
    };
    let Ok(policy) = refpolicy::for_ref(policies, &head) else {
        return;
    };
    let Some(kind) = policy.require_signed else {
        return;
    };
    let signs = repo
        .config()
        .and_then(|c| c.get_bool("commit.gpgsign"))
        .unwrap_or(false);
    let marker = repo.path().join("phiguard-signing-note");
    if signs || marker.exists() {
        return;
    }
    let _ = std::fs::write(
        &marker,
        "phiguard said once that commits here must be signed\n",
    );
    let format = if kind.as_str() == "gpg" {
        "openpgp"
    } else {
        "ssh"
    };
    eprintln!(
        "phiguard: note: {} requires {} signatures on {}, and commit.gpgsign is not set; \
         set up signing: `git config gpg.format {format}`, `git config user.signingkey <key>`, \
         `git config commit.gpgsign true` (shown once)",
        policy.name(),
        kind.as_str(),
        phiguard::sanitize::display_str(&head)
    );
}
