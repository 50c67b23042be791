//! Sources turn a change into [`Item`]s: the new text of a file (or message) and the byte
//! regions the change adds. They plan [`Job`]s cheaply on one thread; a per-thread [`Reader`]
//! turns jobs into items, so blob inflation runs in parallel.
//!
//! **What "added" means.** For content from git, a line is added when its exact content (a
//! trailing `\r` ignored) occurs in no old version of the file: the `HEAD` version for a
//! commit, every parent's version for a merge. This is `diff`'s `+` lines except for lines
//! that merely moved or were duplicated inside the file — content that was already in the
//! repository was scanned when it arrived. It costs one hash set per file instead of a diff,
//! and gives merges combined-diff semantics for free.

pub mod added;
pub mod archive;
pub mod arrow;
pub mod blobcache;
mod calendar;
mod cfb;
mod content;
#[cfg(test)]
mod damage;
pub mod docx;
pub mod embedded;
pub mod feed;
pub mod files;
pub mod history;
pub mod index;
pub mod lfs;
pub mod loose;
pub mod markup;
pub mod message;
pub mod msg;
mod ods;
pub mod pack;
pub mod parquet;
mod paths;
pub mod pdf;
pub mod pickle;
mod reader;
pub mod refs;
pub mod rtf;
pub mod sas7bdat;
pub mod spss;
pub mod sqlite;
pub mod staged;
pub mod stata;
pub mod stdin;
pub mod worktree;
pub mod xls;
pub mod xlsx;
pub mod xport;

pub use content::{Kind, classify, decode_utf16};
pub use feed::{Fed, Planned, Sink, Source};
pub use paths::{PathRules, RENAME_LIMIT, generated_path, inexact_renames};
#[cfg(test)]
pub(crate) use reader::STORE_READS;
pub use reader::{Loaded, Reader, RepoAt, Skip, tune_libgit2};
pub(crate) use reader::{open_file, read_sized};

use crate::error::{Error, Result};
use git2::{Oid, Repository};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// Content handed to detection.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// Path as shown in reports (lossy UTF-8 for non-UTF-8 paths).
    pub path: Arc<str>,
    /// The new version of the content.
    pub text: Vec<u8>,
    /// Sorted, disjoint byte regions of `text` that are added; each starts at a line start.
    pub added: Vec<Range<usize>>,
    /// The commit the content belongs to, for history scans.
    pub commit: Option<Arc<str>>,
    /// The ref being pushed, for push scans.
    pub refname: Option<Arc<str>>,
    /// The path relative to the repository root, when `path` is shown otherwise (`scan ..`,
    /// `scan .` in a subdirectory, an absolute `--stdin-filename`): test paths and
    /// fingerprints go by it, so every way of scanning a file agrees with the hooks.
    pub rooted: Option<Arc<str>>,
    /// For a member of an archive ([`archive`]): the length of the `!member` that ends
    /// `path` (and `rooted`); 0 otherwise. Path policy leaves it out: test paths, generated
    /// files and rules' path filters go by the archive's own path, since the names inside an
    /// archive are its writer's choice (`x.zip!tests/patients.csv` is no test fixture).
    pub member: usize,
    /// For content decoded from inside a file ([`embedded`]): where it sits in the file,
    /// which is where its findings are reported. `None` otherwise.
    pub origin: Option<Origin>,
}

/// Where content decoded from inside a file sits in it: the line and columns of its
/// encoded text (on the line it starts on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// 1-based line.
    pub line: u32,
    /// 1-based byte column of the encoded text's first byte.
    pub column: u32,
    /// 1-based byte column just past it (on its first line).
    pub end_column: u32,
    /// The same two columns in UTF-16 code units.
    pub utf16_columns: (u32, u32),
    /// How the text was encoded, as a finding's excerpt says (`(base64 data)`).
    pub encoding: &'static str,
}

impl Item {
    /// The path relative to the repository root ([`Item::rooted`], else [`Item::path`]).
    pub fn rooted(&self) -> &str {
        self.rooted.as_deref().unwrap_or(&self.path)
    }

    /// [`Item::path`] as path policy sees it: an archive member's archive.
    pub fn policy_path(&self) -> &str {
        &self.path[..self.path.len() - self.member]
    }

    /// [`Item::rooted`] as path policy sees it: an archive member's archive.
    pub fn policy_rooted(&self) -> &str {
        let rooted = self.rooted();
        &rooted[..rooted.len() - self.member]
    }

    /// An item whose every line is added.
    pub fn whole(path: impl Into<Arc<str>>, text: Vec<u8>) -> Item {
        let added = whole_region(text.len());
        Item {
            path: path.into(),
            text,
            added,
            commit: None,
            refname: None,
            rooted: None,
            member: 0,
            origin: None,
        }
    }
}

/// A unit of planned work.
#[derive(Debug, Clone)]
pub enum Job {
    /// A file on disk: every line is added.
    File {
        /// Where to read it.
        path: PathBuf,
        /// How to show it.
        display: Arc<str>,
        /// Its path relative to the repository root, when that differs from `display`.
        rooted: Option<Arc<str>>,
    },
    /// A blob from git; lines present in any of `old` are not added.
    Blob {
        /// Path in the tree.
        path: Arc<str>,
        /// The new blob.
        new: Oid,
        /// The old versions (empty for a new file).
        old: Vec<Oid>,
        /// The commit, for history scans.
        commit: Option<Arc<str>>,
        /// The ref, for push scans.
        refname: Option<Arc<str>>,
        /// For a staged file: the index's `stat` data of its work tree copy, when the plan
        /// found them trustworthy (not racy, no content filters; see [`worktree`]). Lets the
        /// reader take the copy for the blob without hashing it.
        stat: Option<index::Stat>,
    },
    /// Content already in memory (stdin, a commit message).
    Text(Item),
}

/// Git file modes as stored in trees and the index (`0o100644`, `0o040000`, ...).
pub mod mode {
    const TYPE: u32 = 0o170000;

    /// A regular file, executable or not: content phiguard scans (not a symlink's target
    /// path, not a submodule's commit).
    pub fn is_file(mode: u32) -> bool {
        mode == 0o100644 || mode == 0o100755
    }

    /// A symbolic link: its blob is the target path, scanned as text (a value can hide in a
    /// link target as well as in a file).
    pub fn is_symlink(mode: u32) -> bool {
        mode == 0o120000
    }

    /// Content phiguard scans: a regular file or a symlink's target text.
    pub fn is_scanned(mode: u32) -> bool {
        is_file(mode) || is_symlink(mode)
    }

    /// A directory (a tree).
    pub fn is_tree(mode: u32) -> bool {
        mode & TYPE == 0o040000
    }

    /// A submodule (a commit of another repository).
    pub fn is_gitlink(mode: u32) -> bool {
        mode & TYPE == 0o160000
    }
}

/// Fails when `id` is a damaged loose object, before libgit2 is asked for it: libgit2 spins
/// forever on a truncated loose object where `git cat-file` fails cleanly ([`loose::is_corrupt`]).
///
/// # Errors
///
/// When the object's loose file is truncated or damaged.
pub fn check_loose(repo: &Repository, id: Oid, what: &str) -> Result<()> {
    if loose::is_corrupt(&loose::objects_dir(repo), id) {
        return Err(Error::corrupt_object(what, id));
    }
    Ok(())
}

/// The single region covering `len` bytes (nothing for empty content).
pub fn whole_region(len: usize) -> Vec<Range<usize>> {
    std::iter::once(0..len).filter(|r| !r.is_empty()).collect()
}
