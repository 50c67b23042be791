//! `phiguard scan`: files, the staged change, or stdin.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::{Global, ScanArgs};
use anyhow::{Result, bail};
use phiguard::report::Context;
use phiguard::source::{self, Job, RepoAt};
use std::path::Path;

pub fn run(g: &Global, args: &ScanArgs) -> Result<Exit> {
    if args.staged {
        return staged(g, Context::Commit, args.no_prefilter);
    }
    if let Some(range) = &args.range {
        return super::push::range(g, range);
    }
    if let Some(name) = &args.stdin_filename {
        if !(args.paths.is_empty() || args.paths.iter().all(|p| p == Path::new("-"))) {
            bail!("--stdin-filename reads stdin: pass `-` (or nothing) as the path");
        }
        let mut session = Session::new(g, Origin::client(discover_root()), Context::Files)?;
        session.detect.prefilter = !args.no_prefilter;
        let mut item = source::stdin::read(name, std::io::stdin().lock())?;
        item.rooted = session
            .repo_root
            .as_deref()
            .and_then(|root| rooted_name(root, Path::new(name)))
            .filter(|r| r != name)
            .map(std::sync::Arc::from);
        return session.scan_and_report(&[Job::Text(item)], RepoAt::None, 0);
    }
    if args.paths.iter().any(|p| p == Path::new("-")) {
        bail!("reading stdin needs --stdin-filename NAME (the name decides which rules apply)");
    }
    let mut session = Session::new(g, Origin::client(discover_root()), Context::Files)?;
    session.detect.prefilter = !args.no_prefilter;
    let roots: Vec<&Path> = if args.paths.is_empty() {
        vec![Path::new(".")]
    } else {
        args.paths.iter().map(|p| p.as_path()).collect()
    };
    let exit = session.scan_files(&roots);
    // As in `staged`: no point freeing the rules just before exiting.
    std::mem::forget(session);
    exit
}

/// What `git commit` would add; shared by `scan --staged` and the pre-commit hooks.
pub fn staged(g: &Global, context: Context, no_prefilter: bool) -> Result<Exit> {
    let repo = super::open_repo()?;
    let root = repo.workdir().map(Path::to_path_buf);
    let mut session = Session::new(g, Origin::client(root), context)?;
    session.detect.prefilter = !no_prefilter;
    if context == Context::Commit {
        super::verify::warn_signing_setup(&repo, &session.config.policies);
    }
    let at = match repo.workdir() {
        Some(w) => RepoAt::WithWorktree(repo.path().to_path_buf(), w.to_path_buf()),
        None => RepoAt::Path(repo.path().to_path_buf()),
    };
    // Scanning starts while HEAD's trees are still being compared with the index.
    let exclude = &session.config.exclude_set;
    let streamed = session.scan_fed_and_report(at.clone(), |emit| {
        Ok(match source::staged::plan_each(&repo, exclude, emit)? {
            source::staged::Streamed::Done { skipped } => Some(skipped),
            source::staged::Streamed::Replan => None,
        })
    })?;
    let exit = match streamed {
        Some(exit) => exit,
        None => {
            let (jobs, skipped) = source::staged::plan(&repo, exclude)?;
            session.scan_and_report(&jobs, at, skipped)?
        }
    };
    // The process ends right after: freeing the compiled rules and their per-thread regex
    // caches would only cost time (a few milliseconds after a large scan).
    std::mem::forget(session);
    Ok(exit)
}

/// `name` (an editor's file name: absolute, or relative to the current directory) relative
/// to the repository root `root`, when it is inside. The file need not exist: its directory
/// is resolved, or the name taken as it is.
fn rooted_name(root: &Path, name: &Path) -> Option<String> {
    let top = root.canonicalize().ok()?;
    let absolute = if name.is_absolute() {
        name.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(name)
    };
    let file = absolute.file_name()?;
    let dir = absolute.parent()?;
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let rel = dir.join(file);
    let rel = rel.strip_prefix(&top).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}
