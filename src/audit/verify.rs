//! Checking the chain: every line is a JSON object whose `prev` is the hash of the line before
//! it (the first line's is [`GENESIS`]), across files given oldest first. An anchored head
//! (`--head`) must be the hash of some line: lines after it are appends, but a head that is
//! nowhere means the tail was cut or edited.

use super::hash::sha256_hex;
use super::{GENESIS, Record};
use crate::error::{Error, Result};
use serde::Serialize;
use std::io::BufRead;
use std::path::PathBuf;

/// The outcome of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Whether the chain holds (and the anchored head, if given, is in it).
    pub ok: bool,
    /// Lines read, over all files.
    pub lines: usize,
    /// The hash of the last line ([`GENESIS`] for an empty log): anchor it elsewhere.
    pub head: String,
    /// Where the anchored head was found: (file, 1-based line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchored_at: Option<(String, usize)>,
    /// The first break, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// The first line that breaks the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The file.
    pub file: String,
    /// 1-based line in that file (0: the problem is the anchored head, not a line).
    pub line: usize,
    /// `malformed`, `incomplete`, `prev-mismatch`, `reordered`, `head-not-found`.
    pub code: &'static str,
    /// What it means, for a person.
    pub message: String,
}

/// Checks the chain over `files` (oldest first) and, if given, that `head` is in it.
///
/// # Errors
///
/// When a file cannot be read (named in the error). A broken chain is not an error: it is
/// the [`Verdict`].
pub fn verify(files: &[PathBuf], head: Option<&str>) -> Result<Verdict> {
    let mut v = Verdict {
        ok: true,
        lines: 0,
        head: GENESIS.to_owned(),
        anchored_at: None,
        problem: None,
    };
    // Hashes of the lines seen, to tell a reordering from an edit; one per line, 32 bytes.
    let mut seen = std::collections::HashMap::new();
    // After a `prev` mismatch, the rest is only hashed: is the missing line further down?
    let mut missing: Option<String> = None;
    'files: for path in files {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
        let mut reader = std::io::BufReader::new(file);
        let mut line = Vec::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(&name, e))?;
            if read == 0 {
                break;
            }
            n += 1;
            if let Some(prev) = &missing {
                if sha256_hex(line.strip_suffix(b"\n").unwrap_or(&line)) == *prev {
                    if let Some(p) = v.problem.as_mut() {
                        p.code = "reordered";
                        p.message = format!(
                            "its `prev` is the hash of {name} line {n}, which comes later: \
                             lines were reordered"
                        );
                    }
                    break 'files;
                }
                continue;
            }
            let problem = |code, message: &str| Problem {
                file: name.clone(),
                line: n,
                code,
                message: message.to_owned(),
            };
            let Some(body) = line.strip_suffix(b"\n") else {
                let m = "the last line has no newline: a torn write or a cut file";
                v.problem = Some(problem("incomplete", m));
                break 'files;
            };
            let Ok(record) = serde_json::from_slice::<Record>(body) else {
                let m = "not an audit record (edited, or not a phiguard log)";
                v.problem = Some(problem("malformed", m));
                break 'files;
            };
            if record.prev != v.head {
                let (code, message) = mismatch(v.lines, &record.prev, &seen);
                v.problem = Some(Problem {
                    message,
                    ..problem(code, "")
                });
                missing = (code != "reordered").then_some(record.prev);
                if missing.is_none() {
                    break 'files;
                }
                continue;
            }
            v.lines += 1;
            v.head = sha256_hex(body);
            seen.insert(v.head.clone(), (name.clone(), n));
        }
    }
    if v.problem.is_none()
        && let Some(anchor) = head
    {
        match seen.get(&anchor.to_ascii_lowercase()) {
            Some(at) => v.anchored_at = Some(at.clone()),
            None => {
                v.problem = Some(Problem {
                    file: files
                        .last()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    line: 0,
                    code: "head-not-found",
                    message: format!(
                        "the anchored head {anchor} is not the hash of any line: the log was \
                         truncated, or its tail edited, after it was anchored"
                    ),
                })
            }
        }
    }
    v.ok = v.problem.is_none();
    Ok(v)
}

/// Why a line's `prev` does not match the line before it.
fn mismatch(
    before: usize,
    prev: &str,
    seen: &std::collections::HashMap<String, (String, usize)>,
) -> (&'static str, String) {
    if let Some((file, at)) = seen.get(prev) {
        return (
            "reordered",
            format!(
                "its `prev` is the hash of {file} line {at}, not of the line before it: lines were reordered or removed"
            ),
        );
    }
    if before == 0 && prev != GENESIS {
        return (
            "prev-mismatch",
            "the first line does not start the chain: lines before it were removed (or an older rotated file is missing)".into(),
        );
    }
    (
        "prev-mismatch",
        "its `prev` matches no line read: the line before it was edited, or lines were removed"
            .into(),
    )
}

/// The records of `files` (oldest first) whose time is at or after `since` (a date or UTC
/// time, compared as text), with each line's hash.
///
/// # Errors
///
/// When a file cannot be read, or a line is not a record (named by file and line).
pub fn records(files: &[PathBuf], since: Option<&str>) -> Result<Vec<(Record, String)>> {
    let mut out = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
        for (i, body) in text.split(|&b| b == b'\n').enumerate() {
            if body.is_empty() {
                continue;
            }
            // serde's message may quote the line's content: name the column only.
            let record: Record = serde_json::from_slice(body).map_err(|e| {
                Error::usage(format!(
                    "{name}:{}: not an audit record (column {})",
                    i + 1,
                    e.column()
                ))
            })?;
            if since.is_none_or(|s| record.time.as_str() >= s) {
                out.push((record, sha256_hex(body)));
            }
        }
    }
    Ok(out)
}
