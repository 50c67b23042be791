//! `phiguard lsp`: the language server ([`phiguard::lsp`]) with the scanner `scan
//! --stdin-filename` uses: the same configuration, rules and policy, reloaded when the
//! workspace's `.phiguard.toml` changes.

use super::{Exit, Origin, Session, discover_root};
use crate::cli::{FormatArg, Global};
use anyhow::{Result, bail};
use phiguard::lsp::{self, Options};
use phiguard::model::Finding;
use phiguard::report::Context;
use phiguard::scan::RunOptions;
use phiguard::source::{Item, Job, RepoAt};
use std::path::Path;

pub fn run(g: &Global) -> Result<Exit> {
    if g.format != FormatArg::Human {
        bail!("`phiguard lsp` speaks the language server protocol: --format does not apply");
    }
    keep_serving_on_panic();
    let options = Options {
        log: |what| eprintln!("phiguard lsp: {what}"),
        ..Options::default()
    };
    lsp::serve_stdio(|root| load(g, root), options)?;
    Ok(Exit::Clean)
}

/// The session for a workspace: its `.phiguard.toml` and the user's config, as a command
/// run at its root would read them (the current directory's repository without a root).
fn load(g: &Global, root: Option<&Path>) -> Result<Workspace> {
    let root = root.map(Path::to_path_buf).or_else(discover_root);
    let session = Session::new(g, Origin::client(root), Context::Files)?;
    session.db()?;
    Ok(Workspace { session })
}

/// Scans buffers as `scan --stdin-filename` does.
struct Workspace {
    session: Session,
}

impl lsp::Scanner for Workspace {
    type Error = anyhow::Error;

    fn scan(&self, path: &str, text: Vec<u8>) -> Result<Vec<Finding>> {
        #[cfg(debug_assertions)]
        test_panic();
        let opts = RunOptions {
            repo: RepoAt::None,
            max_file_bytes: self.session.config.max_file_bytes,
            threads: 1,
            deadline: None,
        };
        let job = Job::Text(Item::whole(path, text));
        let report = phiguard::scan::run(&self.session.engine()?, &[job], &opts)?;
        let min = self.session.style.min_severity;
        Ok(report
            .findings
            .into_iter()
            .filter(|f| min.is_none_or(|m| f.severity >= m))
            .collect())
    }
}

/// A panic while handling one message must not end the server: the editor would lose its
/// diagnostics silently. The hook logs where (code, never the payload, which could hold a
/// scanned value); [`phiguard::lsp`] catches the unwind and keeps serving.
fn keep_serving_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("phiguard lsp: internal error{at} (a bug: please report it)");
    }));
}

/// Debug builds only: `PHIGUARD_TEST_PANIC=lsp` panics in the first scan with a value in the
/// payload, so a test proves the server logs no payload and keeps serving.
#[cfg(debug_assertions)]
fn test_panic() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static DONE: AtomicBool = AtomicBool::new(false);
    if std::env::var("PHIGUARD_TEST_PANIC").as_deref() == Ok("lsp")
        && !DONE.swap(true, Ordering::Relaxed)
    {
        panic!("test panic with a value {}-{}-{}", 536, 90, 4399);
    }
}
