//! `phiguard redact`: stdin to stdout, line by line, every detected value masked — for CI
//! logs. Flushes after every line so it can sit in a pipe of a running job. A private key
//! printed over several lines is masked from its `BEGIN` line to its `END` line, since no
//! single line of its body can be recognised on its own.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::Global;
use anyhow::{Context as _, Result};
use phiguard::detect::Scratch;
use phiguard::report::Context;
use std::io::{BufRead, Write};

pub fn run(g: &Global) -> Result<Exit> {
    let session = Session::new(g, Origin::client(discover_root()), Context::Files)?;
    let engine = session.engine(true)?;
    let mut scratch = Scratch::default();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = Vec::new();
    let mut in_key = false;
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading stdin")?
            == 0
        {
            return Ok(Exit::Clean);
        }
        let masked = if in_key || opens_key(&line) {
            in_key = !closes_key(&line);
            mask_key_line(&line)
        } else {
            engine.redact(&line, &mut scratch)?
        };
        let written = out.write_all(&masked).and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Clean),
            other => other.context("writing stdout")?,
        }
    }
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
