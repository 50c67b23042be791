//! `scan PATH...`: files and directories on disk, every line added. Honours `.gitignore`
//! (also outside a repository), scans dotfiles such as `.env`, never enters `.git`.
//!
//! The walk is parallel (ripgrep's `ignore` crate) and each walker thread scans the files it
//! finds, so walking and scanning overlap instead of running one after the other.

use super::Job;
use crate::error::{Error, Result};
use globset::GlobSet;
use ignore::WalkState;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Walks `roots` on `threads` threads and hands every file to scan, as a [`Job::File`], to a
/// per-thread visitor made by `make_visitor`. Returns how many paths were skipped (lockfiles,
/// minified bundles, excluded). The first error stops the walk and is returned.
///
/// Inside a repository (`repo_root`), `exclude` matches, and the jobs carry, each file's path
/// relative to the repository root, whatever the current directory (`scan ..`, `scan .` in
/// a subdirectory): the verdict is the hook's.
///
/// # Errors
///
/// When a root does not exist, a directory cannot be read, or a visitor fails.
pub fn walk<F, V>(
    roots: &[&Path],
    exclude: &GlobSet,
    threads: usize,
    repo_root: Option<&Path>,
    make_visitor: F,
) -> Result<usize>
where
    F: Fn() -> V + Sync,
    V: FnMut(Job) -> Result<()> + Send,
{
    let Some((first, rest)) = roots.split_first() else {
        return Ok(0);
    };
    if let Some(missing) = roots.iter().find(|r| !r.exists()) {
        return Err(Error::usage(format!(
            "{}: no such file or directory",
            missing.display()
        )));
    }
    let rooted = Rooted::new(roots, repo_root);
    let mut builder = ignore::WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .hidden(false)
        .require_git(false)
        .threads(threads.max(1))
        .filter_entry(|e| e.file_name() != ".git");
    let skipped = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        let (skipped, failure, rooted) = (&skipped, &failure, &rooted);
        Box::new(move |entry| {
            let step = entry
                .map_err(|e| Error::usage(format!("walking: {e}")))
                .and_then(|entry| match to_job(&entry, exclude, rooted) {
                    Some(job) => visit(job),
                    None => {
                        if entry.file_type().is_some_and(|t| t.is_file()) {
                            skipped.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(())
                    }
                });
            match step {
                Ok(()) => WalkState::Continue,
                Err(e) => {
                    failure
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    WalkState::Quit
                }
            }
        })
    });
    match failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(skipped.into_inner()),
    }
}

/// Each walk root as given and its path relative to the repository root (`""` for the root
/// itself), for the roots inside the repository.
struct Rooted(Vec<(std::path::PathBuf, String)>);

impl Rooted {
    fn new(roots: &[&Path], repo_root: Option<&Path>) -> Rooted {
        let Some(top) = repo_root.and_then(|r| r.canonicalize().ok()) else {
            return Rooted(Vec::new());
        };
        let inside = roots.iter().filter_map(|r| {
            let canonical = r.canonicalize().ok()?;
            let rel = canonical.strip_prefix(&top).ok()?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            Some((r.to_path_buf(), rel))
        });
        Rooted(inside.collect())
    }

    /// `path` (as walked) relative to the repository root, when it is inside.
    fn of(&self, path: &Path) -> Option<String> {
        self.0.iter().find_map(|(root, rel)| {
            let rest = path
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some(match (rel.is_empty(), rest.is_empty()) {
                (true, _) => rest,
                (false, true) => rel.clone(),
                (false, false) => format!("{rel}/{rest}"),
            })
        })
    }
}

/// The job for a walked entry, or `None` for directories and skipped paths.
fn to_job(entry: &ignore::DirEntry, exclude: &GlobSet, rooted: &Rooted) -> Option<Job> {
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return None;
    }
    let path = entry.path();
    let shown = path.strip_prefix("./").unwrap_or(path).to_string_lossy();
    let rel = rooted.of(path).filter(|r| *r != *shown);
    if exclude.is_match(rel.as_deref().unwrap_or(&*shown)) {
        return None;
    }
    Some(Job::File {
        display: Arc::from(&*shown),
        path: path.to_path_buf(),
        rooted: rel.map(Arc::from),
    })
}
