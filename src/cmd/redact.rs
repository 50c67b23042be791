//! `phiguard redact`: stdin to stdout, line by line, every detected value masked — for CI
//! logs. Flushes after every line so it can sit in a pipe of a running job.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::Global;
use anyhow::{Context as _, Result};
use phiguard::detect::Scratch;
use phiguard::report::Context;
use std::io::{BufRead, Write};

pub fn run(g: &Global) -> Result<Exit> {
    let session = Session::new(
        g,
        Origin {
            repo_root: discover_root(),
            server_git_dir: None,
        },
        Context::Files,
    )?;
    let engine = session.engine();
    let mut scratch = Scratch::default();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading stdin")?
            == 0
        {
            return Ok(Exit::Clean);
        }
        let masked = engine.redact(&line, &mut scratch)?;
        let written = out.write_all(&masked).and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Clean),
            other => other.context("writing stdout")?,
        }
    }
}
