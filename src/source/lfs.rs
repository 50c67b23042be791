//! Git LFS pointers resolved to the content they stand for. With `git lfs track '*.csv'` the
//! blob git stores is a three-line pointer and the file itself sits in the LFS store, so a
//! patient extract committed through LFS was a pointer to every gate: a way past all of them.
//!
//! A blob is a pointer when it is one by git-lfs' own rules (under 1,024 bytes, the spec's
//! `version` line first, an `oid sha256:` of 64 hex digits and a `size`). Its content is read
//! from the repository's LFS store (`lfs.storage`, else `lfs/` in the common git directory),
//! where `git add` left it, and checked against the pointer's hash and size. A pointer
//! whose object is not there (a server: LFS objects go to the LFS server, not through the
//! push) is content nobody can look at: a server refuses it unless `[server] lfs = "pass"`.
//! One whose object does not match it is unscannable (`[server] unscannable`).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What git-lfs takes for a pointer at most (its `blobSizeCutoff`).
const MAX_POINTER_BYTES: usize = 1024;

/// A pointer's object: its SHA-256 (lowercase hex) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// `oid sha256:` of the pointer, 64 lowercase hex digits.
    pub oid: String,
    /// `size` of the pointer, in bytes.
    pub size: u64,
}

/// The pointer `bytes` are, if they are one.
pub fn pointer(bytes: &[u8]) -> Option<Pointer> {
    if bytes.len() >= MAX_POINTER_BYTES || !bytes.starts_with(b"version https://") {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    let version = lines.next()?;
    if version != "version https://git-lfs.github.com/spec/v1"
        && version != "version https://hawser.github.com/spec/v1"
    {
        return None;
    }
    let (mut oid, mut size) = (None, None);
    for line in lines {
        if let Some(hex) = line.strip_prefix("oid sha256:") {
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return None;
            }
            oid = Some(hex.to_owned());
        } else if let Some(n) = line.strip_prefix("size ") {
            size = Some(n.parse().ok()?);
        }
    }
    Some(Pointer {
        oid: oid?,
        size: size?,
    })
}

/// Why a pointer's content cannot be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// Larger than the caller's limit (the pointer's size).
    TooLarge(u64),
    /// Not in the store (a server's case: LFS objects do not come with a push).
    NotHere,
    /// Not what the pointer says: in words for the report.
    Unscannable(&'static str),
}

/// The repository's LFS store: `lfs.storage` (relative to the common git directory when
/// relative), else `<common dir>/lfs`.
pub fn store(repo: &git2::Repository) -> PathBuf {
    let common = repo.commondir().to_path_buf();
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("lfs.storage").ok());
    match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => common.join(p),
        None => common.join("lfs"),
    }
}

/// The content `p` stands for, from `store`, within `max_bytes`.
///
/// # Errors
///
/// When it is over `max_bytes`, not in the store, or not what the pointer says.
pub fn content(store: &Path, p: &Pointer, max_bytes: u64) -> Result<Vec<u8>, Missing> {
    if p.size > max_bytes {
        return Err(Missing::TooLarge(p.size));
    }
    let path = store
        .join("objects")
        .join(&p.oid[..2])
        .join(&p.oid[2..4])
        .join(&p.oid);
    let mismatch = Missing::Unscannable("a Git LFS object that does not match its pointer");
    // Read no further than the pointer's size: a longer object is not the pointer's.
    let bytes = match crate::file::read_bounded(&path, p.size) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Missing::NotHere),
        Err(_) => return Err(mismatch),
    };
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if bytes.len() as u64 != p.size || hex != p.oid {
        return Err(mismatch);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
