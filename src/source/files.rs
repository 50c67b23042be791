//! `scan PATH...`: files and directories on disk, every line added. Honours `.gitignore`
//! (also outside a repository), scans dotfiles such as `.env`, never enters `.git`.

use super::{Job, skipped_path};
use crate::error::{Error, Result};
use globset::GlobSet;
use std::path::Path;
use std::sync::Arc;

/// Plans a job per file under `roots`, skipping excluded, lockfile and minified paths.
///
/// # Errors
///
/// When a root does not exist or a directory cannot be read.
pub fn plan(roots: &[&Path], exclude: &GlobSet) -> Result<(Vec<Job>, usize)> {
    let mut jobs = Vec::new();
    let mut skipped = 0;
    for root in roots {
        if !root.exists() {
            return Err(Error::usage(format!(
                "{}: no such file or directory",
                root.display()
            )));
        }
        let walk = ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walk {
            let entry =
                entry.map_err(|e| Error::usage(format!("walking {}: {e}", root.display())))?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let shown = path.strip_prefix("./").unwrap_or(path).to_string_lossy();
            if skipped_path(&shown) || exclude.is_match(&*shown) {
                skipped += 1;
                continue;
            }
            jobs.push(Job::File {
                display: Arc::from(&*shown),
                path: path.to_path_buf(),
            });
        }
    }
    Ok((jobs, skipped))
}
