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
//!   only ever turns CRLF into LF), and by [`Filters`]: no `filter`, `ident` or
//!   `working-tree-encoding` attribute can apply to the file (none in the repository-wide
//!   attributes files, none in a `.gitattributes` of its directory or one above). This
//!   skips hashing 34 MB of files for the benchmark's staged change.
//!
//! Anything else — a file edited since `git add`, partly staged, racy, converted, unreadable —
//! sends the reader to the object database.

use super::index::{Entry, Stat};
use std::path::Path;

/// Whether an attribute that rewrites content on `git add` may apply to a work tree file.
///
/// Git reads the tracked and untracked `.gitattributes` of the work tree, `info/attributes`,
/// the user's (`core.attributesFile` or the XDG default) and the system's. The patterns of a
/// `.gitattributes` apply only to paths in its directory and below, so a file is judged by
/// the repository-wide files and the `.gitattributes` of its own directory and each one
/// above, each read once and only when a staged file asks (checking all 4,309 directories
/// of a 20,000-file index took 17 ms before the first job was handed over). A file that
/// cannot be read, or that names `filter`, `ident` or `encoding` anywhere (comments
/// included), answers "may"; so does a tracked `.gitattributes` missing from the work tree
/// (git then reads the index's). And whenever a clean or process filter is configured at
/// all (`filter.<name>.clean` / `.process`) every file may be rewritten: the filter may
/// apply through an attributes file this check does not see.
pub struct Filters<'w> {
    worktree: &'w Path,
    /// No filter configured, and the repository-wide attributes files name none.
    global: bool,
    /// Directories (each ending in `/`; `""` for the root) holding a tracked
    /// `.gitattributes`.
    tracked: rustc_hash::FxHashSet<Vec<u8>>,
    /// Directory → whether its `.gitattributes` and those of every directory above it are
    /// clean.
    dirs: std::cell::RefCell<rustc_hash::FxHashMap<Vec<u8>, bool>>,
}

impl<'w> Filters<'w> {
    /// The check for `repo`, whose work tree is `worktree` and whose index holds `entries`.
    pub fn new(repo: &git2::Repository, worktree: &'w Path, entries: &[Entry<'_>]) -> Filters<'w> {
        let tracked = entries
            .iter()
            .filter_map(|e| {
                let dir = e.path.strip_suffix(b".gitattributes")?;
                (dir.is_empty() || dir.ends_with(b"/")).then(|| dir.to_vec())
            })
            .collect();
        let global =
            !filter_configured(repo) && repository_wide(repo).iter().all(|p| clean(p, false));
        Filters {
            worktree,
            global,
            tracked,
            dirs: std::cell::RefCell::default(),
        }
    }

    /// Whether no attribute that rewrites content can apply to the file at `path` (an index
    /// path, relative to the work tree).
    pub fn none_apply(&self, path: &[u8]) -> bool {
        self.global && self.clean_from(parent(path))
    }

    /// Whether the `.gitattributes` of `dir` (ending in `/`, or `""`) and of each directory
    /// above it are clean.
    fn clean_from(&self, dir: &[u8]) -> bool {
        if let Some(&known) = self.dirs.borrow().get(dir) {
            return known;
        }
        let mut file = dir.to_vec();
        file.extend_from_slice(b".gitattributes");
        let here = clean(
            &self.worktree.join(path_of(&file)),
            self.tracked.contains(dir),
        );
        let all = here && (dir.is_empty() || self.clean_from(parent(&dir[..dir.len() - 1])));
        self.dirs.borrow_mut().insert(dir.to_vec(), all);
        all
    }
}

/// An index path as a file system path: its bytes as they are where paths are bytes (a
/// directory named in another encoding is still found).
fn path_of(bytes: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(bytes).into()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(bytes).into_owned().into()
    }
}

/// The directory of `path`, with its trailing `/` (`""` at the top).
fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..=i],
        None => b"",
    }
}

/// The attributes files git reads besides the work tree's: `info/attributes`, the user's
/// and the system's.
fn repository_wide(repo: &git2::Repository) -> Vec<std::path::PathBuf> {
    let mut files = vec![repo.commondir().join("info/attributes")];
    match repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.attributesFile").ok())
    {
        Some(p) => files.push(p),
        None => {
            if let Some(p) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
                files.push(Path::new(&p).join("git/attributes"));
            } else if let Some(home) = std::env::var_os("HOME") {
                files.push(Path::new(&home).join(".config/git/attributes"));
            }
        }
    }
    if std::env::var_os("GIT_ATTR_NOSYSTEM").is_none() {
        files.push("/etc/gitattributes".into());
    }
    files
}

/// Largest attributes file read; a larger one answers "may".
const MAX_ATTRIBUTES_BYTES: u64 = 16 << 20;

/// Whether the attributes file at `path` names nothing that rewrites content; a missing
/// file is clean unless it `must_exist`, one that cannot be read is not. Read without
/// blocking and only when regular ([`crate::file::read_bounded`]): a FIFO in its place must
/// not hang the hook, and answers "may".
fn clean(path: &Path, must_exist: bool) -> bool {
    match crate::file::read_bounded(path, MAX_ATTRIBUTES_BYTES) {
        Ok(text) => !rewrites(&text),
        Err(e) => !must_exist && e.kind() == std::io::ErrorKind::NotFound,
    }
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
/// where [`Filters::none_apply`] holds for it). `false` means "not proven", not "different".
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

    /// A `.gitattributes` applies to its directory and below: a filter named in `a/`'s
    /// keeps `a/` and `a/b/` files from being vouched for by `stat`, not the root's or
    /// `c/`'s; a tracked `.gitattributes` missing from the work tree vouches for nothing
    /// below it; a filter configured at all, for nothing. (Before, one filter anywhere in the
    /// work tree turned vouching off for every file.)
    #[test]
    fn an_attributes_file_counts_for_its_directory_and_below() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let root = dir.path();
        for d in ["a/b", "c", "d"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("a/.gitattributes"), "*.txt filter=fill\n").unwrap();
        std::fs::write(root.join("c/.gitattributes"), "*.png binary\n").unwrap();
        let entry = |path: &str| Entry {
            path: std::borrow::Cow::Owned(path.as_bytes().to_vec()),
            mode: 0o100644,
            id: git2::Oid::ZERO_SHA1,
            stat: None,
        };
        let entries: Vec<Entry<'_>> = ["a/x.txt", "c/.gitattributes", "d/.gitattributes"]
            .into_iter()
            .map(entry)
            .collect();
        let filters = Filters::new(&repo, root, &entries);
        for (path, want) in [
            ("top.txt", true),
            ("c/z.txt", true),
            ("a/x.txt", false),
            ("a/b/y.txt", false),
            ("d/w.txt", false),
        ] {
            assert_eq!(filters.none_apply(path.as_bytes()), want, "{path}");
        }
        repo.config()
            .unwrap()
            .set_str("filter.fill.clean", "cat")
            .unwrap();
        let filters = Filters::new(&repo, root, &entries);
        assert!(!filters.none_apply(b"top.txt"), "a configured filter");
    }

    /// A FIFO where a `.gitattributes` would be: the check opened it with `std::fs::read`,
    /// which blocks until a writer comes, and so hung the pre-commit hook's plan. It now
    /// answers "may" for the files below it, at once.
    #[cfg(unix)]
    #[test]
    fn a_fifo_in_place_of_an_attributes_file_answers_may_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("a")).unwrap();
        let fifo = std::ffi::CString::new(
            root.join("a/.gitattributes")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let filters = Filters::new(&repo, &root, &[]);
            let _ = tx.send((
                filters.none_apply(b"a/x.txt"),
                filters.none_apply(b"top.txt"),
            ));
        });
        // The wait only bounds a hang; a check that answers answers at once.
        let answers = rx.recv_timeout(std::time::Duration::from_secs(30));
        assert_eq!(
            answers,
            Ok((false, true)),
            "blocked on the FIFO, or judged it clean"
        );
    }

    #[test]
    fn blob_hash_is_gits() {
        // `git hash-object` of "hello\n".
        let id = git2::Oid::from_str("ce013625030ba8dba906f756967f9e9ca394464a").unwrap();
        assert!(same_as_blob(b"hello\n", id));
        assert!(!same_as_blob(b"hello", id));
    }
}
