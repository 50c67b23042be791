//! Opening files without blocking, and reading the small ones a run reads besides content
//! (configuration, rule packs, baselines, attributes files) within a bound.
//!
//! A FIFO where a file was expected must not hang a hook waiting for a writer, and a link to
//! `/dev/zero` must not fill memory: every such file is opened with `O_NONBLOCK` and read
//! only when it is a regular file, never past its limit.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// `path` opened for reading, without blocking on a FIFO (on Unix).
///
/// # Errors
///
/// As `open(2)`.
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, libc::O_NONBLOCK);
    open.open(path)
}

/// The bytes of the regular file at `path`, at most `max_bytes` of them.
///
/// # Errors
///
/// As `open(2)` (a missing file keeps `NotFound`); "not a regular file"; "larger than
/// `max_bytes` bytes".
pub fn read_bounded(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let file = open_nonblocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::other(format!("larger than {max_bytes} bytes")));
    }
    Ok(bytes)
}
