//! `phiguard scan`: files, the staged change, or stdin.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::{Global, ScanArgs};
use anyhow::{Result, bail};
use phiguard::report::Context;
use phiguard::source::{self, Fed, Job, RepoAt, Sink, Source};
use std::collections::HashSet;
use std::path::Path;

pub fn run(g: &Global, args: &ScanArgs) -> Result<Exit> {
    if let Some(p) = &args.report_path {
        let _ = super::REPORT_PATH.set(p.clone());
    }
    let exit = scan(g, args)?;
    Ok(match (exit, args.exit_code) {
        (Exit::Blocked, Some(n)) => Exit::BlockedWith(n),
        (exit, _) => exit,
    })
}

fn scan(g: &Global, args: &ScanArgs) -> Result<Exit> {
    if args.staged {
        return staged(g, Context::Commit, args.no_prefilter);
    }
    if let Some(range) = &args.range {
        return super::push::range(g, range, args.config_from.unwrap_or_default());
    }
    if let Some(name) = &args.stdin_filename {
        if !(args.paths.is_empty() || args.paths.iter().all(|p| p == Path::new("-"))) {
            bail!("--stdin-filename reads stdin: pass `-` (or nothing) as the path");
        }
        let mut session = Session::new(g, Origin::client(discover_root()), Context::Files)?;
        session.detect.prefilter = !args.no_prefilter;
        session.stop_counting_when_blocked();
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
    session.stop_counting_when_blocked();
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
    staged_only(g, context, no_prefilter, None)
}

/// Whether `job` is about one of the paths in `only` (a file's content, or its name or
/// symlink target, reported under the path).
fn selected(job: &Job, only: &HashSet<String>) -> bool {
    let path: &str = match job {
        Job::Blob { path, .. } => path,
        Job::Text(item) => &item.path,
        Job::File { display, .. } => display,
    };
    only.contains(path) || only.iter().any(|p| path.starts_with(p.as_str()))
}

/// A source's jobs about the paths in `only` (the files the pre-commit framework passes).
struct Only<'a> {
    inner: &'a mut dyn Source,
    only: &'a HashSet<String>,
}

impl Source for Only<'_> {
    fn feed(&mut self, sink: &dyn Sink) -> phiguard::Result<Fed> {
        let only = self.only;
        self.inner.feed(&OnlySink { sink, only })
    }
}

struct OnlySink<'a> {
    sink: &'a dyn Sink,
    only: &'a HashSet<String>,
}

impl Sink for OnlySink<'_> {
    fn take(&self, job: Job) {
        if selected(&job, self.only) {
            self.sink.take(job);
        }
    }

    fn stopped(&self) -> bool {
        self.sink.stopped()
    }
}

/// [`staged`], restricted to the repository-relative paths in `only` when given (the files
/// the pre-commit framework passes).
pub fn staged_only(
    g: &Global,
    context: Context,
    no_prefilter: bool,
    only: Option<&HashSet<String>>,
) -> Result<Exit> {
    let repo = super::open_repo()?;
    let root = repo.workdir().map(Path::to_path_buf);
    let mut session = Session::new(g, Origin::client(root), context)?;
    session.detect.prefilter = !no_prefilter;
    session.stop_counting_when_blocked();
    session.keep_summary = super::pending::target(&repo);
    if context == Context::Commit {
        super::verify::warn_signing_setup(&repo, &session.config.policies);
    }
    let started = std::time::Instant::now();
    let at = match repo.workdir() {
        Some(w) => RepoAt::WithWorktree(repo.path().to_path_buf(), w.to_path_buf()),
        None => RepoAt::Path(repo.path().to_path_buf()),
    };
    // Scanning starts while HEAD's trees are still being compared with the index.
    let paths = session.config.path_rules();
    let mut staged = source::staged::StagedChange {
        repo: &repo,
        paths,
        watch: Some(source::staged::Watch {
            path: phiguard::config::REPO_FILE,
            id: None,
        }),
    };
    let streamed = match only {
        Some(only) => session.report_of(
            &mut Only {
                inner: &mut staged,
                only,
            },
            at.clone(),
        )?,
        None => session.report_of(&mut staged, at.clone())?,
    };
    let report = match streamed {
        Some(report) => report,
        None => {
            let (mut jobs, skipped) = source::staged::plan(&repo, &paths)?;
            if let Some(o) = only {
                jobs.retain(|j| selected(j, o));
            }
            session.planned_report(&jobs, at, skipped)?
        }
    };
    // Whether the change weakens `.phiguard.toml`, with its id in the index as the plan
    // read it: after the scan, which reads the index first.
    let in_index = staged.watch.and_then(|w| w.id);
    *session.extra.lock().unwrap_or_else(|p| p.into_inner()) =
        super::weakening::staged(&repo, &session.key, in_index)?;
    let exit = session.finish(report, started)?;
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
