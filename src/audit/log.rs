//! Appending to the log: one line per record, chained, never interleaved.
//!
//! Every writer opens the file with `O_APPEND | O_CREAT`, takes an exclusive lock (`flock` on
//! Unix, `LockFileEx` on Windows: [`File::lock`]), reads
//! the last line (from the end, bounded by [`MAX_LINE`]) to compute `prev`, writes its line
//! with one `write`, fsyncs and unlocks. A writer that waited while another rotated the file
//! away notices (the path no longer names its inode) and starts over on the new file.
//!
//! Rotation renames `LOG` to `LOG.N` (N one above the highest present) under the lock, when the
//! file has reached a size ([`Rotation::bytes`]) or when its first line was written in an
//! earlier day or month (UTC) than the record being appended ([`Rotation::period`]); the first
//! line of the new `LOG` chains to the last line of `LOG.N`, so `audit verify LOG.1 LOG.2 …
//! LOG` checks one chain.

use super::hash::sha256_hex;
use super::{GENESIS, Record};
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The longest line read back to chain: a record lists at most
/// [`MAX_FINDINGS`](super::MAX_FINDINGS) findings, far below this.
pub const MAX_LINE: u64 = 4 << 20;

/// When the log is rotated (either condition is enough; neither set: never).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Once the file has reached this many bytes.
    pub bytes: Option<u64>,
    /// Once the file's first line is from an earlier period than the new record.
    pub period: Option<Period>,
}

/// A calendar period of [`Rotation`], in UTC (the records' own `time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// One file per day.
    Daily,
    /// One file per month.
    Monthly,
}

impl Period {
    /// How many leading bytes of an RFC 3339 time name the period (`2026-12-05`, `2026-12`).
    fn prefix(self) -> usize {
        match self {
            Period::Daily => 10,
            Period::Monthly => 7,
        }
    }

    /// The configuration's name of the period.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Monthly => "monthly",
        }
    }
}

/// Appends `record` to the log at `path` (with `prev` set to the hash of the last line) and
/// returns the new head: the hash of the line written.
///
/// # Errors
///
/// When the log cannot be opened, locked, read, written or synced; the error names the path.
/// A server hook must then reject the push (fail closed).
pub fn append(path: &Path, record: &Record) -> Result<String> {
    append_rotating(path, Rotation::default(), record)
}

/// [`append`], first rotating the log when `rotation` says it is due.
///
/// # Errors
///
/// As [`append`]; also when rotation cannot rename the file.
pub fn append_rotating(path: &Path, rotation: Rotation, record: &Record) -> Result<String> {
    // Each retry means another writer rotated the file in between: a handful at most.
    for _ in 0..64 {
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
        let file = options.open(path).map_err(|e| io(path, "cannot open", e))?;
        let _lock = Lock::exclusive(&file).map_err(|e| io(path, "cannot lock", e))?;
        let meta = file.metadata().map_err(|e| io(path, "cannot stat", e))?;
        if !names(path, &meta) {
            continue;
        }
        let by_size = rotation.bytes.is_some_and(|max| meta.len() >= max.max(1));
        let by_date = match rotation.period {
            Some(p) if meta.len() > 0 => {
                first_time(&file).is_some_and(|t| older_period(&t, &record.time, p.prefix()))
            }
            _ => false,
        };
        if by_size || by_date {
            rotate(path)?;
            continue;
        }
        let prev = match last_line(&file, meta.len(), path)? {
            Some(line) => sha256_hex(&line),
            None => match newest_rotated(path)? {
                Some(old) => chain_from(&old)?,
                None => GENESIS.to_owned(),
            },
        };
        let mut stamped = record.clone();
        stamped.prev = prev;
        let mut line = serde_json::to_vec(&stamped).map_err(|e| {
            Error::internal(format!("audit log {}: cannot encode: {e}", path.display()))
        })?;
        let head = sha256_hex(&line);
        line.push(b'\n');
        if let Err(e) = (&file).write_all(&line).and_then(|()| file.sync_data()) {
            // Leave no torn line behind: it would break the chain for every later push.
            let _ = file.set_len(meta.len());
            return Err(io(path, "cannot write", e));
        }
        if meta.len() == 0 {
            // A new file's name must survive a crash as its first line does.
            sync_dir(path);
        }
        return Ok(head);
    }
    Err(Error::usage(format!(
        "audit log {}: rotated away 64 times while waiting for its lock",
        path.display()
    )))
}

fn io(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::io(format!("audit log {}: {what}", path.display()), e)
}

/// Whether `path` still names the open file whose metadata is `open`: a writer that waited
/// for the lock while another rotated the file away holds the old one.
fn names(path: &Path, open: &std::fs::Metadata) -> bool {
    std::fs::metadata(path).is_ok_and(|named| same_file(open, &named))
}

/// The same inode on the same device.
#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// The same creation time and size (the file index is not in stable Rust): a log rotated
/// away and the new one made after it differ in the first, in 100 ns steps.
#[cfg(windows)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::windows::fs::MetadataExt;
    a.creation_time() == b.creation_time() && a.file_size() == b.file_size()
}

/// An exclusive lock, released on drop (and by the system when the file closes): `flock`
/// on Unix, `LockFileEx` on Windows ([`File::lock`]).
struct Lock<'a>(&'a File);

impl<'a> Lock<'a> {
    fn exclusive(file: &'a File) -> std::io::Result<Lock<'a>> {
        loop {
            match file.lock() {
                Ok(()) => return Ok(Lock(file)),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The last line of a file of `len` bytes, without its newline; `None` when empty.
///
/// # Errors
///
/// When the file does not end with a newline (a torn write that was not rolled back) or its
/// last line is longer than [`MAX_LINE`]: chaining to either would hide the damage.
fn last_line(mut file: &File, len: u64, path: &Path) -> Result<Option<Vec<u8>>> {
    if len == 0 {
        return Ok(None);
    }
    let mut tail = Vec::new();
    let mut from = len;
    loop {
        let step = (from).min(64 * 1024);
        from -= step;
        let mut chunk = vec![0; step as usize];
        file.seek(SeekFrom::Start(from))
            .and_then(|_| file.read_exact(&mut chunk))
            .map_err(|e| io(path, "cannot read", e))?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        if tail.last() != Some(&b'\n') {
            return Err(Error::usage(format!(
                "audit log {}: the last line is incomplete (an interrupted write?); \
                 check it with `phiguard audit verify` and repair it before pushing again",
                path.display()
            )));
        }
        let body = &tail[..tail.len() - 1];
        if let Some(i) = memchr::memrchr(b'\n', body) {
            return Ok(Some(body[i + 1..].to_vec()));
        }
        if from == 0 {
            return Ok(Some(body.to_vec()));
        }
        if tail.len() as u64 > MAX_LINE {
            return Err(Error::usage(format!(
                "audit log {}: last line longer than {MAX_LINE} bytes: not a phiguard audit log?",
                path.display()
            )));
        }
    }
}

/// The `time` of the file's first record, if readable. phiguard writes it first in every
/// line; a line rewritten by other tools may order its keys otherwise, so the key is searched
/// in the line's first [`TIME_WINDOW`] bytes (the pattern `"time":"` cannot occur inside a JSON
/// string, where every quote is escaped).
fn first_time(mut file: &File) -> Option<String> {
    let mut head = Vec::with_capacity(TIME_WINDOW);
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(TIME_WINDOW as u64).read_to_end(&mut head).ok()?;
    let line = &head[..];
    let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
    let key = b"\"time\":\"";
    let at = memchr::memmem::find(line, key)? + key.len();
    let rest = &line[at..];
    let end = memchr::memchr(b'"', rest)?;
    String::from_utf8(rest[..end].to_vec()).ok()
}

/// How much of the first line [`first_time`] reads.
const TIME_WINDOW: usize = 64 << 10;

/// Whether `first` (the file's first record) is from an earlier period than `now`, both
/// RFC 3339 UTC times compared on their first `prefix` bytes. A time that is not in that
/// form never rotates the file.
fn older_period(first: &str, now: &str, prefix: usize) -> bool {
    match (first.get(..prefix), now.get(..prefix)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

/// `prev` for the first line of a new file: the head of the rotated file before it.
fn chain_from(old: &Path) -> Result<String> {
    let file = File::open(old).map_err(|e| io(old, "cannot open", e))?;
    let len = file
        .metadata()
        .map_err(|e| io(old, "cannot stat", e))?
        .len();
    Ok(last_line(&file, len, old)?.map_or_else(|| GENESIS.to_owned(), |l| sha256_hex(&l)))
}

/// The rotated files of `path` (`path.1`, `path.2`, …), oldest first.
///
/// # Errors
///
/// When the directory cannot be listed.
pub fn rotated(path: &Path) -> Result<Vec<PathBuf>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir, "cannot list", e)),
    };
    let mut found: Vec<(u64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let n = e.file_name();
            let n = n
                .to_str()?
                .strip_prefix(name)?
                .strip_prefix('.')?
                .to_owned();
            let k: u64 = n
                .parse()
                .ok()
                .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))?;
            Some((k, e.path()))
        })
        .collect();
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

fn newest_rotated(path: &Path) -> Result<Option<PathBuf>> {
    Ok(rotated(path)?.pop())
}

/// Renames `path` to `path.N`, N one above the highest present. Called under the lock.
fn rotate(path: &Path) -> Result<()> {
    let next = rotated(path)?
        .last()
        .and_then(|p| p.extension()?.to_str()?.parse::<u64>().ok())
        .map_or(1, |n| n + 1);
    let mut to = path.as_os_str().to_owned();
    to.push(format!(".{next}"));
    std::fs::rename(path, &to).map_err(|e| io(path, "cannot rotate", e))?;
    // The rename must survive a crash before the next line does.
    sync_dir(path);
    Ok(())
}

/// Flushes the directory holding `path` (best effort: some file systems refuse).
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let _ = File::open(dir).and_then(|d| d.sync_all());
}

#[cfg(test)]
mod tests {
    use super::names;

    /// A writer that waited for the lock while another rotated the log away holds the old
    /// file: the path no longer names it, and it starts over (the check is the same inode on
    /// Unix, the same creation time and size on Windows, where std has no file index).
    #[test]
    fn a_log_rotated_away_is_no_longer_the_one_its_path_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, b"{\"time\":\"2026-01-01T00:00:00.000Z\"}\n").unwrap();
        let held = std::fs::File::open(&path).unwrap().metadata().unwrap();
        assert!(names(&path, &held));
        std::fs::rename(&path, dir.path().join("audit.jsonl.1")).unwrap();
        assert!(!names(&path, &held), "no file at the path");
        std::fs::write(&path, b"{\"time\":\"2026-01-01T00:00:00.000Z\"}\n").unwrap();
        assert!(!names(&path, &held), "another file at the path");
        let fresh = std::fs::File::open(&path).unwrap().metadata().unwrap();
        assert!(names(&path, &fresh));
    }
}
