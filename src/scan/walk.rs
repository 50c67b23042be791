//! The driver of a run over files found by walking directories: walking and scanning overlap.

use super::Engine;
use super::drive::{Batch, Part, RunOptions, assemble, joined};
use crate::detect::Scratch;
use crate::error::{Error, Result};
use crate::model::Report;
use crate::source::{Job, Reader, RepoAt};
use std::sync::Mutex;

/// Walks `roots` and scans every file as it is found (walking and scanning overlap). Output
/// order is by path, so it does not depend on thread timing.
///
/// Each walker thread scans its files in batches; the batch a thread still holds when the
/// walk ends is handed over when the walker drops its visitor (the walker has no
/// end-of-thread call) and scanned here afterwards, side by side: nothing is scanned in a
/// `Drop`, so an error there cannot be lost.
///
/// # Errors
///
/// The first error of the walk or of any file; the run stops (fail closed).
pub fn run_files(
    engine: &Engine<'_>,
    roots: &[&std::path::Path],
    exclude: &globset::GlobSet,
    repo_root: Option<&std::path::Path>,
    opts: &RunOptions,
) -> Result<Report> {
    let left: Mutex<Vec<Leftover>> = Mutex::new(Vec::new());
    let skipped = crate::source::files::walk(roots, exclude, opts.threads, repo_root, || {
        let mut worker = FileWorker {
            engine,
            reader: Reader::new(&RepoAt::None, opts.max_file_bytes).map_err(|e| e.to_string()),
            left: Leftover::default(),
            into: &left,
        };
        move |job: Job| worker.visit(&job)
    })?;
    let left = left.into_inner().unwrap_or_else(|p| p.into_inner());
    // A thread whose last batch is empty has nothing left to scan: no thread for it.
    let (full, empty): (Vec<Leftover>, Vec<Leftover>) =
        left.into_iter().partition(|l| !l.batch.is_empty());
    let mut scanned: Vec<Result<Vec<Part>>> = empty.into_iter().map(|l| Ok(l.parts)).collect();
    if full.len() == 1 {
        scanned.extend(full.into_iter().map(|l| l.finish(engine)));
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = full
                .into_iter()
                .map(|l| s.spawn(move || l.finish(engine)))
                .collect();
            scanned.extend(handles.into_iter().map(joined));
        });
    }
    let mut parts = Vec::new();
    for p in scanned {
        parts.extend(p?);
    }
    let mut report = assemble(parts);
    report.summary.skipped += skipped;
    report.summary.excluded += skipped;
    report.notes.sort();
    Ok(report)
}

/// What one walker thread has when the walk ends: its scanned parts and the batch it has
/// loaded but not scanned yet.
#[derive(Default)]
struct Leftover {
    scratch: Scratch,
    batch: Batch,
    parts: Vec<Part>,
}

impl Leftover {
    /// Scans the last batch; the thread's parts, all scanned.
    fn finish(mut self, engine: &Engine<'_>) -> Result<Vec<Part>> {
        self.batch
            .scan(engine, &mut self.scratch, &mut self.parts)?;
        Ok(self.parts)
    }
}

/// One walker thread's scanning for [`run_files`]: full batches are scanned as they fill.
struct FileWorker<'a, 'e> {
    engine: &'a Engine<'e>,
    reader: std::result::Result<Reader, String>,
    left: Leftover,
    into: &'a Mutex<Vec<Leftover>>,
}

impl FileWorker<'_, '_> {
    fn visit(&mut self, job: &Job) -> Result<()> {
        let reader = self.reader.as_mut().map_err(|e| Error::usage(e.clone()))?;
        let Leftover {
            scratch,
            batch,
            parts,
        } = &mut self.left;
        batch.load(self.engine, reader, scratch, job, 0, parts)
    }
}

impl Drop for FileWorker<'_, '_> {
    /// Hands the thread's parts and unscanned batch over to [`run_files`] (a move, no work).
    fn drop(&mut self) {
        let left = std::mem::take(&mut self.left);
        self.into
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(left);
    }
}
