//! `phiguard redact`: stdin to stdout, every detected value masked — for CI logs.
//!
//! Input is taken as it comes: all complete lines already available (a pipe hands over up to
//! its buffer at once) are redacted as one text and written with one flush, so a fast log is
//! scanned like a file and a slow one still streams line by line. A line is never split: the
//! last, unterminated line waits for its newline (or the end of input). A private key printed
//! over several lines is masked from its `BEGIN` line to its `END` line, since no single line
//! of its body can be recognised on its own.
//!
//! A line longer than [`MAX_LINE`] (input without newlines) is not held whole: it is redacted
//! in windows of [`MAX_LINE`] bytes, each but the last [`OVERLAP`] bytes written out, those
//! carried — already masked — to the front of the next window. A value shorter than
//! [`OVERLAP`] lies whole inside some window, so it is masked wherever the cut falls; memory
//! stays bounded and every byte is scanned at most twice.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::{Global, RedactArgs};
use anyhow::{Context as _, Result};
use phiguard::detect::Scratch;
use phiguard::report::Context;
use phiguard::scan::{Engine, Redaction};
use std::io::{BufRead, BufReader, Write};

/// How much input is read at once (a pipe rarely holds more).
const CHUNK: usize = 256 * 1024;

/// The longest line held whole; a longer one is redacted in windows of this size.
pub const MAX_LINE: usize = 1 << 20;

/// How much of a window is carried into the next one: values up to this long are masked even
/// when a window boundary cuts them.
pub const OVERLAP: usize = 4096;

pub fn run(g: &Global, args: &RedactArgs) -> Result<Exit> {
    let session = Session::new(g, Origin::client(discover_root()), Context::Files)?;
    let engine = session.engine()?;
    let mut redactor = Redactor {
        engine: &engine,
        scratch: Scratch::default(),
        mode: if args.conservative {
            Redaction::Conservative
        } else {
            Redaction::Aggressive
        },
        in_key: false,
        before: Vec::new(),
    };
    let stdin = std::io::stdin();
    let mut input = BufReader::with_capacity(CHUNK, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let buf = input.fill_buf().context("reading stdin")?;
        let at_end = buf.is_empty();
        let take = if at_end {
            0
        } else {
            memchr::memrchr(b'\n', buf).map_or(buf.len(), |i| i + 1)
        };
        pending.extend_from_slice(&buf[..take]);
        let complete = at_end || pending.last() == Some(&b'\n');
        input.consume(take);
        let masked = if complete {
            let masked = redactor.redact(&pending)?;
            pending.clear();
            masked
        } else if pending.len() >= MAX_LINE {
            redactor.window(&mut pending)?
        } else {
            continue;
        };
        let written = out.write_all(&masked).and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Clean),
            other => other.context("writing stdout")?,
        }
        if at_end {
            return Ok(Exit::Clean);
        }
    }
}

struct Redactor<'a> {
    engine: &'a Engine<'a>,
    scratch: Scratch,
    mode: Redaction,
    /// Inside a private key block that began in an earlier chunk.
    in_key: bool,
    /// The last lines redacted, kept as keyword context for the next ones (the same lines
    /// count whether or not they arrived in the same chunk, so output does not depend on
    /// how the input was split).
    before: Vec<u8>,
}

impl Redactor<'_> {
    /// Redacts complete lines: runs of ordinary lines as one text, key lines by
    /// [`mask_key_line`].
    fn redact(&mut self, text: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len());
        let mut run_start = 0;
        let mut pos = 0;
        while pos < text.len() {
            let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
            let line = &text[pos..end];
            if self.in_key || opens_key(line) {
                self.run(&text[run_start..pos], &mut out)?;
                self.before.clear();
                self.in_key = !closes_key(line);
                out.extend(mask_key_line(line));
                run_start = end;
            }
            pos = end;
        }
        self.run(&text[run_start..], &mut out)?;
        Ok(out)
    }

    /// Redacts a run of ordinary lines after the kept context lines.
    fn run(&mut self, lines: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let context = self.before.len();
        self.before.extend_from_slice(lines);
        out.extend(
            self.engine
                .redact(&self.before, context, self.mode, &mut self.scratch)?,
        );
        let keep = last_lines(&self.before, phiguard::detect::matcher::CONTEXT_LINES);
        self.before.drain(..keep);
        Ok(())
    }
}

impl Redactor<'_> {
    /// Redacts the front of an over-long line held in `pending` (no newline in it): returns
    /// all but the last [`OVERLAP`] bytes, masked; leaves those, masked too, in `pending`.
    fn window(&mut self, pending: &mut Vec<u8>) -> Result<Vec<u8>> {
        self.before.clear();
        let mut masked = if self.in_key {
            mask_key_line(pending)
        } else {
            self.engine
                .redact(pending, 0, self.mode, &mut self.scratch)?
        };
        let mut keep = masked.len().saturating_sub(OVERLAP);
        // Cut on a character boundary, so the carried bytes stay valid UTF-8 for the next window.
        while keep > 0 && (masked[keep] & 0xC0) == 0x80 {
            keep -= 1;
        }
        pending.clear();
        pending.extend_from_slice(&masked[keep..]);
        masked.truncate(keep);
        Ok(masked)
    }
}

/// Where the last `n` lines of `text` (which ends with a newline) start.
fn last_lines(text: &[u8], n: usize) -> usize {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    memchr::memrchr_iter(b'\n', body)
        .nth(n.saturating_sub(1))
        .map_or(0, |i| i + 1)
}

fn opens_key(line: &[u8]) -> bool {
    let find = |n: &[u8]| memchr::memmem::find(line, n);
    matches!((find(b"-----BEGIN"), find(b"PRIVATE KEY")), (Some(b), Some(k)) if b < k)
        && !closes_key(line)
}

fn closes_key(line: &[u8]) -> bool {
    memchr::memmem::find(line, b"-----END").is_some()
}

/// Keeps the armour lines readable and masks everything else on a key line.
fn mask_key_line(line: &[u8]) -> Vec<u8> {
    let armour = memchr::memmem::find(line, b"-----").is_some();
    line.iter()
        .map(|&b| match b {
            b'\n' | b'\r' => b,
            _ if armour => b,
            _ => b'*',
        })
        .collect()
}
