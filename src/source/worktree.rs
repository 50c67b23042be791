//! When the work tree's copy of a staged file can stand in for its blob.
//!
//! A staged blob is a loose object, and inflating it costs more than reading the file it was
//! made from. The copy is used only when it is provably the blob's content:
//!
//! - **By hash** (always possible): the file's content hashes to the blob's id.
//! - **By stat** (what `git status` relies on): the file's `stat` data still equals what the
//!   index recorded when git hashed it, and the entry is not racy ([`Stat::racy`]), so the
//!   file is unchanged since; and what git hashed was the file itself, not a conversion of
//!   it. Conversion is ruled out per file by the absence of `\r` (end-of-line conversion
//!   only ever turns CRLF into LF), and per repository by [`no_content_filters`]: no
//!   `filter`, `ident` or `working-tree-encoding` attribute anywhere. This skips hashing
//!   34 MB of files for the benchmark's staged change.
//!
//! Anything else — a file edited since `git add`, partly staged, racy, converted, unreadable —
//! sends the reader to the object database.

use super::index::{Entry, Stat};
use std::path::Path;

/// Whether no attribute that rewrites content on `git add` can apply in `repo`, whose work
/// tree is `worktree` and whose index holds `entries`. Reads every
/// attributes file git reads: the tracked `.gitattributes` files (from the work tree, where
/// git reads them), `info/attributes`, the user's (`core.attributesFile` or the XDG default)
/// and the system's. A file that cannot be read, or that names `filter`, `ident` or
/// `encoding` anywhere (comments included), answers no. Git reads a work tree's
/// `.gitattributes` whether it is tracked or not, so an *untracked* one in any directory
/// that holds an index entry counts too. And whenever a clean or process filter is
/// configured at all (`filter.<name>.clean` / `.process`), the answer is no: the filter may
/// apply through an attributes file this check does not see.
pub fn no_content_filters(repo: &git2::Repository, worktree: &Path, entries: &[Entry<'_>]) -> bool {
    if filter_configured(repo) {
        return false;
    }
    let mut dirs: Vec<&[u8]> = entries
        .iter()
        .map(|e| match e.path.iter().rposition(|&b| b == b'/') {
            Some(i) => &e.path[..=i],
            None => &b""[..],
        })
        .collect();
    dirs.dedup();
    dirs.sort_unstable();
    dirs.dedup();
    let files: Vec<_> = dirs
        .iter()
        .map(|d| worktree.join(format!("{}.gitattributes", String::from_utf8_lossy(d))))
        .collect();
    let tracked: Vec<std::path::PathBuf> = entries
        .iter()
        .filter(|e| &*e.path == b".gitattributes" || e.path.ends_with(b"/.gitattributes"))
        .map(|e| worktree.join(String::from_utf8_lossy(&e.path).as_ref()))
        .collect();
    let mut others = vec![repo.commondir().join("info/attributes")];
    match repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.attributesFile").ok())
    {
        Some(p) => others.push(p),
        None => {
            if let Some(p) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
                others.push(Path::new(&p).join("git/attributes"));
            } else if let Some(home) = std::env::var_os("HOME") {
                others.push(Path::new(&home).join(".config/git/attributes"));
            }
        }
    }
    if std::env::var_os("GIT_ATTR_NOSYSTEM").is_none() {
        others.push("/etc/gitattributes".into());
    }
    let clean = |path: &Path, must_exist: bool| match std::fs::read(path) {
        Ok(text) => !rewrites(&text),
        Err(e) => !must_exist && e.kind() == std::io::ErrorKind::NotFound,
    };
    tracked.iter().all(|p| clean(p, true))
        && files.iter().all(|p| clean(p, false))
        && others.iter().all(|p| clean(p, false))
}

/// Whether any `filter.<name>.clean` or `filter.<name>.process` is configured (or the
/// configuration cannot be read: then assume one is).
fn filter_configured(repo: &git2::Repository) -> bool {
    let Ok(config) = repo.config() else {
        return true;
    };
    let Ok(mut entries) = config.entries(Some(r"^filter\..*\.(clean|process)$")) else {
        return true;
    };
    let mut any = false;
    while let Some(entry) = entries.next() {
        any |= entry.is_ok();
    }
    any
}

/// Whether attributes text may name an attribute that rewrites content: `filter`, `ident`,
/// `working-tree-encoding` (or a macro that sets one; its definition names it too).
fn rewrites(text: &[u8]) -> bool {
    [&b"filter"[..], b"ident", b"encoding"]
        .iter()
        .any(|word| memchr::memmem::find(text, word).is_some())
}

/// Whether `text`, read from a file whose metadata gave `now`, is the content of the blob
/// whose index entry recorded `recorded` (already known not to be racy, in a repository
/// where [`no_content_filters`] holds). `false` means "not proven", not "different".
pub fn vouched_by_stat(recorded: Option<&Stat>, now: &Stat, text: &[u8]) -> bool {
    recorded == Some(now) && now.size == text.len() as u32 && memchr::memchr(b'\r', text).is_none()
}

/// Whether `text` is the content of blob `id`: git's blob hash.
pub fn same_as_blob(text: &[u8], id: git2::Oid) -> bool {
    use sha1::{Digest, Sha1};
    let mut hash = Sha1::new();
    hash.update(format!("blob {}\0", text.len()).as_bytes());
    hash.update(text);
    hash.finalize().as_slice() == id.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_words_that_rewrite_content() {
        let table: &[(&[u8], bool)] = &[
            (b"* text eol=lf\n*.png binary\n", false),
            (b"src/commands.c merge=binary\n", false),
            (b"*.psd filter=lfs diff=lfs merge=lfs -text\n", true),
            (b"*.c ident\n", true),
            (b"*.txt working-tree-encoding=UTF-16LE\n", true),
            (b"[attr]crypt filter=git-crypt diff=git-crypt\n", true),
            (b"# no filter here, only a comment\n", true),
            (b"", false),
        ];
        for (text, want) in table {
            assert_eq!(rewrites(text), *want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn stat_vouches_only_for_equal_data_and_no_carriage_return() {
        let st = Stat {
            ctime: (10, 1),
            mtime: (10, 2),
            ino: 7,
            uid: 1000,
            gid: 1000,
            size: 4,
        };
        assert!(vouched_by_stat(Some(&st), &st, b"abc\n"));
        assert!(!vouched_by_stat(None, &st, b"abc\n"));
        assert!(!vouched_by_stat(Some(&st), &st, b"ab\r\n"));
        let touched = Stat {
            mtime: (11, 0),
            ..st
        };
        assert!(!vouched_by_stat(Some(&st), &touched, b"abc\n"));
        // Grown since the stat was taken (read further than it said).
        assert!(!vouched_by_stat(Some(&st), &st, b"abcd\n"));
    }

    #[test]
    fn blob_hash_is_gits() {
        // `git hash-object` of "hello\n".
        let id = git2::Oid::from_str("ce013625030ba8dba906f756967f9e9ca394464a").unwrap();
        assert!(same_as_blob(b"hello\n", id));
        assert!(!same_as_blob(b"hello", id));
    }
}
