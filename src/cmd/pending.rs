//! One summary line per commit (issue 24 §5). `git commit` runs phiguard twice: the
//! pre-commit hook (the staged change) and the commit-msg hook (the message). Each printed its
//! own summary line, so a commit whose message was blocked showed two. Now, when phiguard's
//! commit-msg hook will run after it, a pre-commit hook that does not block prints its
//! findings and notes but keeps its totals in `$GIT_DIR/phiguard-pending-summary`; the
//! commit-msg hook adds them to its own and prints the one summary line of the commit.
//!
//! The file holds counts only (no path, no value). It is used once and only for the commit it
//! was written for: the same `HEAD`, within [`MAX_AGE_SECS`]. A pre-commit that blocks prints
//! its own summary (git stops there), and anything that cannot be written or read falls back
//! to printing, so no hook ever goes silent because of it.

use git2::Repository;
use phiguard::model::Summary;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The file's name in the git directory (a linked worktree's own).
const FILE: &str = "phiguard-pending-summary";

/// How long a kept summary waits for its commit-msg hook (the editor may stay open).
const MAX_AGE_SECS: u64 = 6 * 3600;

/// The version tag of the file's one line.
const TAG: &str = "phiguard-pending-summary-v1";

/// Set by `phiguard hook pre-commit` / `pre-merge-commit` (the hooks git runs before
/// commit-msg); `scan --staged` and the pre-commit framework print their own summary.
pub static COMMIT_HOOK: AtomicBool = AtomicBool::new(false);

/// Where a pre-commit hook keeps its totals, and for which `HEAD`.
#[derive(Debug, Clone)]
pub struct Keep {
    path: PathBuf,
    head: String,
}

/// Where the pre-commit hook of `repo` keeps its totals, when this process is that hook and
/// phiguard's commit-msg hook will read them: `None` when no phiguard commit-msg hook is
/// installed where git runs hooks.
pub fn target(repo: &Repository) -> Option<Keep> {
    if !COMMIT_HOOK.load(Ordering::Relaxed) {
        return None;
    }
    let hook = hooks_dir(repo)?.join("commit-msg");
    let text = std::fs::read_to_string(hook).ok()?;
    // phiguard's own shim (`"$PHIGUARD" hook commit-msg`) or a hand-written call.
    if !(text.contains("phiguard") && text.contains("hook commit-msg")) {
        return None;
    }
    Some(Keep {
        path: repo.path().join(FILE),
        head: head(repo),
    })
}

/// Git's hooks directory for `repo`: `core.hooksPath` (relative to the work tree's top, as
/// git resolves it for hooks), else `hooks` in the common git directory.
fn hooks_dir(repo: &Repository) -> Option<PathBuf> {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    match configured {
        Some(p) if p.is_absolute() => Some(p),
        Some(p) => Some(repo.workdir().unwrap_or_else(|| repo.path()).join(p)),
        None => Some(repo.commondir().join("hooks")),
    }
}

/// The head the totals belong to (`-` while unborn).
fn head(repo: &Repository) -> String {
    repo.head()
        .ok()
        .and_then(|h| h.target())
        .map_or_else(|| "-".to_owned(), |id| id.to_string())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The counts of `s`, in a fixed order.
fn counts(s: &Summary) -> [u64; 11] {
    [
        s.block as u64,
        s.warn as u64,
        s.info as u64,
        s.allowed as u64,
        s.synthetic as u64,
        s.baselined as u64,
        s.files as u64,
        s.bytes,
        s.skipped as u64,
        s.excluded as u64,
        s.elapsed_ms,
    ]
}

/// Keeps `summary` for the commit-msg hook. False when it could not be written: the caller
/// then prints the summary itself.
pub fn save(keep: &Keep, summary: &Summary) -> bool {
    let nums: Vec<String> = counts(summary).iter().map(u64::to_string).collect();
    let line = format!("{TAG} {} {} {}\n", keep.head, now(), nums.join(" "));
    std::fs::write(&keep.path, line).is_ok()
}

/// Takes (reads and removes) the totals the pre-commit hook kept for this commit, if any.
pub fn take(repo: &Repository) -> Option<Summary> {
    let path = repo.path().join(FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    let mut fields = text.split_ascii_whitespace();
    if fields.next()? != TAG || fields.next()? != head(repo) {
        return None;
    }
    let at: u64 = fields.next()?.parse().ok()?;
    if now().saturating_sub(at) > MAX_AGE_SECS {
        return None;
    }
    let n: Vec<u64> = fields.map(|f| f.parse().ok()).collect::<Option<_>>()?;
    let &[
        block,
        warn,
        info,
        allowed,
        synthetic,
        baselined,
        files,
        bytes,
        skipped,
        excluded,
        ms,
    ] = n.as_slice()
    else {
        return None;
    };
    let us = |v: u64| usize::try_from(v).ok();
    Some(Summary {
        block: us(block)?,
        warn: us(warn)?,
        info: us(info)?,
        allowed: us(allowed)?,
        synthetic: us(synthetic)?,
        baselined: us(baselined)?,
        files: us(files)?,
        bytes,
        skipped: us(skipped)?,
        excluded: us(excluded)?,
        elapsed_ms: ms,
    })
}

/// Adds the kept totals `kept` to `into` (the message's own). The files are the commit's
/// (the message is none of them), and the excluded count is not added: the pre-commit hook
/// already printed its note.
pub fn merge(into: &mut Summary, kept: &Summary) {
    into.block += kept.block;
    into.warn += kept.warn;
    into.info += kept.info;
    into.allowed += kept.allowed;
    into.synthetic += kept.synthetic;
    into.baselined += kept.baselined;
    into.files = kept.files;
    into.bytes += kept.bytes;
    into.skipped += kept.skipped;
    into.elapsed_ms += kept.elapsed_ms;
}
