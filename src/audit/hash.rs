//! What decided, as hashes: the rule packs and the configuration files in force. Two records
//! with the same hashes were decided by the same rules under the same settings.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 over the built-in packs (name and text, in build order) and then each extra pack
/// file's bytes, in order. Inline custom rules live in configuration files, so
/// [`files`] covers them.
///
/// # Errors
///
/// When an extra pack file cannot be read (named in the error).
pub fn rules(extra: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    for (name, text) in crate::rules::load::BUILTIN_PACKS {
        framed(&mut h, name.as_bytes());
        framed(&mut h, text.as_bytes());
    }
    for path in extra {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        framed(&mut h, path.display().to_string().as_bytes());
        framed(&mut h, &bytes);
    }
    Ok(hex(&h.finalize()))
}

/// SHA-256 over configuration files (path and bytes, in layer order); no file at all hashes
/// the empty list.
///
/// # Errors
///
/// When a file cannot be read (named in the error).
pub fn files(paths: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        framed(&mut h, path.display().to_string().as_bytes());
        framed(&mut h, &bytes);
    }
    Ok(hex(&h.finalize()))
}

/// Length-prefixed, so that no two different lists hash alike by shifting bytes between items.
fn framed(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}
