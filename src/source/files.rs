//! `scan PATH...`: files and directories on disk, every line added. Follows git's view of
//! what belongs to a repository: in a repository, a file git tracks is scanned even when a
//! `.gitignore` pattern matches it (committed `Migrations/*.sql` under a `*.sql` ignore are in
//! every clone), and only untracked ignored files are skipped; outside a repository (a tree
//! export, an unpacked archive) no `.gitignore` hides anything. Scans dotfiles such as
//! `.env`, never enters `.git`. Other tools' ignore files (`.ignore`, `.rgignore`) hide
//! nothing: they are not git's.
//!
//! The walk is parallel (ripgrep's `ignore` crate) and hands each file to the scan as it finds
//! it ([`Files`] is a [`Source`]), so walking and scanning overlap instead of running one
//! after the other.

use super::Job;
use super::feed::{Fed, Sink, Source};
use crate::error::{Error, Result};
use ignore::WalkState;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Files and directories on disk as a [`Source`]: every file the walk finds, from its
/// threads, in no fixed order.
pub struct Files<'a> {
    /// What to walk.
    pub roots: &'a [&'a Path],
    /// Which paths are excluded: the same rules every source plans by.
    pub paths: super::PathRules<'a>,
    /// The repository the roots are in, if any: paths are matched relative to its root.
    pub repo_root: Option<&'a Path>,
    /// Walker threads.
    pub threads: usize,
}

impl Source for Files<'_> {
    fn feed(&mut self, sink: &dyn Sink) -> Result<Fed> {
        let skipped = walk(self.roots, &self.paths, self.threads, self.repo_root, sink)?;
        Ok(Fed::Done { skipped })
    }

    fn ordered(&self) -> bool {
        false
    }
}

/// Walks `roots` on `threads` threads and hands every file to scan, as a [`Job::File`], to
/// `sink`. Returns how many paths were skipped (lockfiles, minified bundles, excluded). The
/// first error stops the walk and is returned; so does a run that has stopped (its own error
/// is what is reported).
///
/// Inside a repository (`repo_root`), exclusions match, and the jobs carry, each file's path
/// relative to the repository root, whatever the current directory (`scan ..`, `scan .` in
/// a subdirectory): the verdict is the hook's.
///
/// # Errors
///
/// When a root does not exist, a directory cannot be read, or the run has stopped.
fn walk(
    roots: &[&Path],
    paths: &super::PathRules<'_>,
    threads: usize,
    repo_root: Option<&Path>,
    sink: &dyn Sink,
) -> Result<usize> {
    let visit = |job: Job| {
        sink.take(job);
        if sink.stopped() {
            return Err(Error::internal("internal: the scan stopped"));
        }
        Ok(())
    };
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
    // `require_git`: `.gitignore` files count only inside a repository (the default, said
    // here because it is the point); `ignore(false)`: `.ignore` files are not git's.
    builder
        .hidden(false)
        .require_git(true)
        .ignore(false)
        .threads(threads.max(1))
        .filter_entry(|e| e.file_name() != ".git");
    let skipped = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let visited: Mutex<HashSet<PathBuf>> = Mutex::new(HashSet::new());
    builder.build_parallel().run(|| {
        let (skipped, failure, rooted, visited, visit) =
            (&skipped, &failure, &rooted, &visited, &visit);
        Box::new(move |entry| {
            let step = entry
                .map_err(|e| Error::usage(format!("walking: {e}")))
                .and_then(|entry| {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    if is_file {
                        visited
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(entry.path().to_path_buf());
                    }
                    match job_for(entry.path(), is_file, paths, rooted) {
                        Some(job) => visit(job),
                        None => {
                            if is_file {
                                skipped.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(())
                        }
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
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let visited = visited.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut skipped = skipped.into_inner();
    let tracked = tracked_unvisited(roots, &visited)?;
    for path in tracked {
        match job_for(&path, true, paths, &rooted) {
            Some(job) => visit(job)?,
            None => skipped += 1,
        }
    }
    Ok(skipped)
}

/// The files under `roots` that git tracks but the walk did not visit: a `.gitignore`
/// pattern matches them (or a directory above them). git's view is that a tracked file is
/// part of the repository whatever `.gitignore` says, so they are scanned too. Each is named
/// as the walk would have named it (the root as given, joined with the rest of its path).
///
/// # Errors
///
/// When a repository's index cannot be read: the scan would otherwise silently miss files.
fn tracked_unvisited(roots: &[&Path], visited: &HashSet<PathBuf>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for root in roots {
        let Ok(repo) = git2::Repository::discover(root) else {
            continue;
        };
        let (Some(top), Ok(canonical)) = (
            repo.workdir().and_then(|w| w.canonicalize().ok()),
            root.canonicalize(),
        ) else {
            continue;
        };
        let Ok(rel) = canonical.strip_prefix(&top) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let index = super::staged::open_index(&repo)?;
        for entry in index.iter() {
            // Submodules (gitlinks) are walked, or not, as directories.
            if entry.mode & 0o170000 == 0o160000 {
                continue;
            }
            let path = String::from_utf8_lossy(&entry.path);
            let rest = if rel.is_empty() {
                Some(&*path)
            } else if *path == *rel {
                Some("")
            } else {
                path.strip_prefix(rel.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            let Some(rest) = rest else { continue };
            let candidate = if rest.is_empty() {
                root.to_path_buf()
            } else {
                root.join(rest)
            };
            if !visited.contains(&candidate)
                && std::fs::symlink_metadata(&candidate).is_ok_and(|m| m.is_file())
            {
                out.push(candidate);
            }
        }
    }
    Ok(out)
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

/// The job for a walked path, or `None` for directories and skipped paths.
fn job_for(
    path: &Path,
    is_file: bool,
    paths: &super::PathRules<'_>,
    rooted: &Rooted,
) -> Option<Job> {
    if !is_file {
        return None;
    }
    let shown = path.strip_prefix("./").unwrap_or(path).to_string_lossy();
    let rel = rooted.of(path).filter(|r| *r != *shown);
    if paths.excluded(rel.as_deref().unwrap_or(&*shown)) {
        return None;
    }
    Some(Job::File {
        display: Arc::from(&*shown),
        path: path.to_path_buf(),
        rooted: rel.map(Arc::from),
    })
}
