//! Checking the chain: every line is a JSON object whose `prev` is the hash of the line before
//! it (the first line's is [`GENESIS`]), across files given oldest first. An anchored head
//! (`--head`) must be the hash of some line: lines after it are appends, but a head that is
//! nowhere means the tail was cut or edited.

use super::hash::sha256_hex;
use super::{GENESIS, Record};
use crate::error::{Error, Result};
use serde::Serialize;
use std::io::BufRead;
use std::ops::ControlFlow;
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

/// Checks the chain over `files` (oldest first) and, if given, that `head` is in it. Memory
/// stays constant whatever the log's length: only the running head is kept.
///
/// # Errors
///
/// When a file cannot be read (named in the error). A broken chain is not an error: it is
/// the [`Verdict`].
pub fn verify(files: &[PathBuf], head: Option<&str>) -> Result<Verdict> {
    let mut walk = Walk {
        verdict: Verdict {
            ok: true,
            lines: 0,
            head: GENESIS.to_owned(),
            anchored_at: None,
            problem: None,
        },
        anchor: head.map(str::to_ascii_lowercase),
        missing: None,
    };
    'files: for path in files {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
        let mut reader = std::io::BufReader::new(file);
        let mut line = Vec::new();
        for n in 1.. {
            line.clear();
            if reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(&name, e))?
                == 0
            {
                break;
            }
            if walk.line(&name, n, &line).is_break() {
                break 'files;
            }
        }
    }
    Ok(walk.finish(files))
}

/// The state of a [`verify`] walk.
struct Walk {
    verdict: Verdict,
    anchor: Option<String>,
    /// After a `prev` mismatch, the rest is only hashed: is the line it names further down
    /// (a reordering)?
    missing: Option<String>,
}

impl Walk {
    /// Checks line `n` of file `name` (with its newline, if it has one).
    fn line(&mut self, name: &str, n: usize, line: &[u8]) -> ControlFlow<()> {
        let v = &mut self.verdict;
        if let Some(prev) = &self.missing {
            if sha256_hex(line.strip_suffix(b"\n").unwrap_or(line)) == *prev
                && let Some(p) = v.problem.as_mut()
            {
                p.code = "reordered";
                p.message = format!(
                    "its `prev` is the hash of {name} line {n}, which comes later: lines were \
                     reordered"
                );
                return ControlFlow::Break(());
            }
            return ControlFlow::Continue(());
        }
        let mut problem = |code, message: String| {
            v.problem = Some(Problem {
                file: name.to_owned(),
                line: n,
                code,
                message,
            });
            ControlFlow::Break(())
        };
        let Some(body) = line.strip_suffix(b"\n") else {
            let m = "the last line has no newline: a torn write or a cut file";
            return problem("incomplete", m.into());
        };
        let Ok(record) = serde_json::from_slice::<Record>(body) else {
            let m = "not an audit record (edited, or not a phiguard log)";
            return problem("malformed", m.into());
        };
        if record.prev != v.head {
            let first = v.lines == 0;
            let _ = problem("prev-mismatch", mismatch(first, &record.prev));
            self.missing = Some(record.prev);
            return ControlFlow::Continue(());
        }
        v.lines += 1;
        v.head = sha256_hex(body);
        if self.anchor.as_deref() == Some(v.head.as_str()) {
            v.anchored_at = Some((name.to_owned(), n));
        }
        ControlFlow::Continue(())
    }

    fn finish(mut self, files: &[PathBuf]) -> Verdict {
        let v = &mut self.verdict;
        if v.problem.is_none()
            && v.anchored_at.is_none()
            && let Some(anchor) = &self.anchor
        {
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
            });
        }
        v.ok = v.problem.is_none();
        self.verdict
    }
}

/// Why a line's `prev` does not match the line before it (a later line may still show it was
/// a reordering).
fn mismatch(first: bool, prev: &str) -> String {
    if first && prev != GENESIS {
        "the first line does not start the chain: lines before it were removed (or an older \
         rotated file is missing)"
            .into()
    } else {
        "its `prev` matches no line before it: the line before it was edited, or lines were \
         removed"
            .into()
    }
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
