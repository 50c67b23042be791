//! The one driver of a run: a [`Source`] hands its jobs over a bounded queue to worker
//! threads, which load each job's content and scan it in batches; the parts are put back in
//! job order ([`drive`]; [`run`] for jobs planned in full beforehand).

use super::{Engine, ItemFindings};
use crate::detect::Scratch;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Report, Unscanned, UnscannedKind};
use crate::source::blobcache::BlobCache;
use crate::source::{Fed, Item, Job, Loaded, Planned, Reader, RepoAt, Sink, Skip, Source};
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Instant;

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where blobs come from.
    pub repo: RepoAt,
    /// Larger files are skipped (and said so).
    pub max_file_bytes: u64,
    /// Worker threads at most (at least 1); one is started per 16 jobs up to this.
    pub threads: usize,
    /// Fail with [`ErrorKind::Budget`] past this instant.
    pub deadline: Option<(Instant, u64)>,
}

/// What one job gave, or a run of jobs of one worker that found nothing and skipped nothing
/// (`files` of them): a history of 252,000 jobs held a part for each until the run ended,
/// 40 MiB and more, growing all along spring-framework's history.
#[derive(Default)]
struct Part {
    index: usize,
    found: ItemFindings,
    bytes: u64,
    /// Files scanned (1, or a run of clean ones).
    files: usize,
    skipped: Option<(Arc<str>, Skip)>,
    /// The commit and ref of a skipped blob.
    skipped_in: (Option<Arc<str>>, Option<Arc<str>>),
}

impl Part {
    /// Whether `found` holds no finding of any kind.
    fn nothing_in(found: &ItemFindings) -> bool {
        found.findings.is_empty()
            && found.suppressed.is_empty()
            && found.capped.is_empty()
            && found.stopped.is_empty()
    }

    /// A scanned file's part (or a run of them) with nothing to report but its counts:
    /// where it comes in the report does not matter, so the next clean file is added to it.
    fn is_clean(&self) -> bool {
        self.skipped.is_none() && Part::nothing_in(&self.found)
    }
}

/// Jobs per worker thread: a smaller change is scanned on one thread, whose start costs more
/// than a second one would save.
const JOBS_PER_WORKER: usize = 16;

/// Jobs planned but not yet taken by a worker: planning waits when it is this far ahead.
/// At least `JOBS_PER_WORKER`, so that the jobs of a change too small for a worker thread fit
/// while the calling thread is still planning them.
const QUEUE_JOBS: usize = 256;
const _: () = assert!(QUEUE_JOBS >= JOBS_PER_WORKER);

/// How many of `threads` workers to start for `jobs` jobs: one per `JOBS_PER_WORKER`, at
/// least one.
fn workers_for(threads: usize, jobs: usize) -> usize {
    threads.clamp(1, 1 + jobs / JOBS_PER_WORKER)
}

/// Scans `jobs`, planned in full beforehand, and assembles the report (without `elapsed_ms`,
/// which the caller sets): [`drive`] over [`Planned`].
///
/// # Errors
///
/// The first error of any job; the run stops (fail closed).
pub fn run(engine: &Engine<'_>, jobs: &[Job], opts: &RunOptions) -> Result<Report> {
    run_source(engine, &mut Planned::new(jobs), opts)
}

/// Scans what `source` hands over with `engine` and assembles the report (without
/// `elapsed_ms`): [`drive`] with the engine built already and errors of the library's type.
/// A source that abandons its plan gives an empty report.
///
/// # Errors
///
/// The first error of any job or of the source; the run stops (fail closed).
pub fn run_source(
    engine: &Engine<'_>,
    source: &mut dyn Source,
    opts: &RunOptions,
) -> Result<Report> {
    let report = drive(&|| Ok::<_, Error>(*engine), opts, source)?;
    Ok(report.unwrap_or_default())
}

/// Scans every job `source` hands over while it is still planning (scanning overlaps
/// planning) and assembles the report (without `elapsed_ms`, which the caller sets).
///
/// `engine` is asked for once, when the first job arrives: an empty change never compiles
/// the rules. Workers start as jobs come, one per `JOBS_PER_WORKER` jobs so far; fewer
/// than `JOBS_PER_WORKER` jobs are scanned on the calling thread once the source is done.
/// The queue between them is bounded (`QUEUE_JOBS`). Paths the source skipped are counted in
/// the summary.
///
/// `Ok(None)` when the source abandons its plan ([`Fed::Replan`]): the jobs already handed
/// over are dropped, for the caller to plan again.
///
/// # Errors
///
/// The first error of any job, of `engine` or of the source (fail closed). Errors are of the
/// caller's type `E` (the binary's `anyhow`), which job errors convert into.
pub fn drive<'e, E>(
    engine: &(dyn Fn() -> std::result::Result<Engine<'e>, E> + Sync),
    opts: &RunOptions,
    source: &mut dyn Source,
) -> std::result::Result<Option<Report>, E>
where
    E: From<Error> + Send,
{
    let cache = source.blob_cache();
    let (tx, rx) = crossbeam_channel::bounded(QUEUE_JOBS);
    let failed = AtomicBool::new(false);
    let built: OnceLock<Engine<'e>> = OnceLock::new();
    let setup: Mutex<Option<E>> = Mutex::new(None);
    let started = AtomicUsize::new(0);
    let crew = Crew {
        opts,
        cache: cache.as_ref(),
        failed: &failed,
        rx: &rx,
        started: &started,
    };
    let (fed, results) = std::thread::scope(|scope| {
        let queue = Queue {
            tx,
            count: AtomicUsize::new(0),
            workers: Mutex::new(Vec::new()),
            engine,
            built: &built,
            setup: &setup,
            crew: &crew,
            scope,
        };
        let fed = source.feed(&queue);
        if !matches!(fed, Ok(Fed::Done { .. })) {
            failed.store(true, Ordering::Relaxed);
        }
        let handles = std::mem::take(&mut *lock(&queue.workers));
        // Closes the queue: the workers finish what it still holds.
        drop(queue);
        let mut results: Vec<Result<Vec<Part>>> = Vec::new();
        if handles.is_empty()
            && let Some(engine) = built.get()
            && !failed.load(Ordering::Relaxed)
        {
            // A small change, scanned here as planned: no thread started for it.
            results.push(crew.work(engine));
        }
        results.extend(handles.into_iter().map(joined));
        (fed, results)
    });
    let mut parts = Vec::new();
    for r in results {
        parts.extend(r?);
    }
    if let Some(e) = setup.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let Fed::Done { skipped } = fed? else {
        return Ok(None);
    };
    parts.sort_by_key(|p| p.index);
    let mut report = assemble(parts);
    report.summary.skipped += skipped;
    report.summary.excluded += skipped;
    if !source.ordered() {
        report.notes.sort();
        report.unscanned.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(Some(report))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What every worker of one run shares.
struct Crew<'c> {
    opts: &'c RunOptions,
    cache: Option<&'c Arc<BlobCache>>,
    /// Set by the first failure: workers stop scanning, the source stops planning.
    failed: &'c AtomicBool,
    rx: &'c Receiver<(usize, Job)>,
    /// How many workers are started, read without the lock: once all are, a job takes none.
    started: &'c AtomicUsize,
}

impl Crew<'_> {
    /// One worker: scans the jobs the queue hands out until it is closed and empty, or the
    /// run fails. A panic is an error like any other. Once the run has failed the worker
    /// empties the queue without scanning, so that planning, which may be waiting on a full
    /// queue, can always go on to its end.
    fn work(&self, engine: &Engine<'_>) -> Result<Vec<Part>> {
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            work(
                engine,
                self.opts,
                self.cache,
                self.failed,
                self.started,
                || self.rx.recv().ok(),
            )
        }))
        .unwrap_or_else(|_| Err(Error::internal("internal: a scan thread panicked")));
        if scanned.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        if self.failed.load(Ordering::Relaxed) {
            self.rx.iter().for_each(drop);
        }
        scanned
    }
}

/// The sink [`drive`] hands a source: a bounded queue whose first job builds the engine and
/// whose jobs start workers as they come.
struct Queue<'q, 'scope, 'env, 'e, E> {
    tx: Sender<(usize, Job)>,
    /// Jobs taken so far: the next job's index.
    count: AtomicUsize,
    /// The workers started; their start is serialised by this lock.
    workers: Mutex<Vec<ScopedJoinHandle<'scope, Result<Vec<Part>>>>>,
    engine: &'q (dyn Fn() -> std::result::Result<Engine<'e>, E> + Sync),
    built: &'env OnceLock<Engine<'e>>,
    setup: &'q Mutex<Option<E>>,
    crew: &'env Crew<'env>,
    scope: &'scope Scope<'scope, 'env>,
}

impl<E: Send> Sink for Queue<'_, '_, '_, '_, E> {
    fn take(&self, job: Job) {
        if self.stopped() {
            return;
        }
        if self.built.get().is_none() {
            let _starting = lock(&self.workers);
            if self.built.get().is_none() {
                match (self.engine)() {
                    Ok(e) => {
                        let _ = self.built.set(e);
                    }
                    Err(e) => {
                        *lock(self.setup) = Some(e);
                        self.crew.failed.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            }
        }
        let index = self.count.fetch_add(1, Ordering::Relaxed);
        // A small change is scanned on the calling thread once planned, as a whole plan is.
        if index + 1 >= JOBS_PER_WORKER
            && let Some(engine) = self.built.get()
        {
            let want = workers_for(self.crew.opts.threads, index + 1);
            if self.crew.started.load(Ordering::Relaxed) < want {
                let mut workers = lock(&self.workers);
                while workers.len() < want {
                    let crew = self.crew;
                    workers.push(self.scope.spawn(move || crew.work(engine)));
                }
                self.crew.started.store(workers.len(), Ordering::Relaxed);
            }
        }
        // Fails only once no worker can take it any more: the run has failed already.
        let _ = self.tx.send((index, job));
    }

    fn stopped(&self) -> bool {
        self.crew.failed.load(Ordering::Relaxed)
    }
}

/// A batch is scanned once it holds this many bytes of text...
pub(super) const BATCH_BYTES: usize = 1 << 20;
/// ...or this many items.
const BATCH_ITEMS: usize = 256;

/// Items loaded but not scanned yet, with their job index; scanned together by
/// [`Engine::scan_items`].
#[derive(Default)]
struct Batch {
    indices: Vec<usize>,
    items: Vec<Item>,
    bytes: usize,
}

impl Batch {
    /// Takes `job`'s content: an item joins the batch, a skipped file becomes a part at
    /// once. Scans the batch into `parts` when it is full.
    fn load(
        &mut self,
        engine: &Engine<'_>,
        reader: &mut Reader,
        scratch: &mut Scratch,
        job: &Job,
        index: usize,
        parts: &mut Vec<Part>,
    ) -> Result<()> {
        let loaded = reader.load(job)?;
        self.take(engine, scratch, job, index, loaded, parts)
    }

    /// [`Batch::load`] of what the reader made of `job`: an archive's members one by one.
    fn take(
        &mut self,
        engine: &Engine<'_>,
        scratch: &mut Scratch,
        job: &Job,
        index: usize,
        loaded: Loaded,
        parts: &mut Vec<Part>,
    ) -> Result<()> {
        match loaded {
            Loaded::Members(list) => {
                for loaded in list {
                    self.take(engine, scratch, job, index, loaded, parts)?;
                }
            }
            Loaded::Item(item) => {
                self.bytes += item.text.len();
                self.indices.push(index);
                self.items.push(item);
                if self.bytes >= BATCH_BYTES || self.items.len() >= BATCH_ITEMS {
                    self.scan(engine, scratch, parts)?;
                }
            }
            Loaded::Skipped { path, member, why } => {
                // An archive member's `!member` ends its path and its root-relative path.
                let suffix = &path[path.len() - member..];
                let (item, added) = match job {
                    Job::Blob {
                        commit,
                        refname,
                        old,
                        ..
                    } => (
                        Item {
                            commit: commit.clone(),
                            refname: refname.clone(),
                            member,
                            ..Item::whole(path.clone(), Vec::new())
                        },
                        old.is_empty(),
                    ),
                    Job::File { rooted, .. } => (
                        Item {
                            rooted: rooted.as_ref().map(|r| Arc::from(format!("{r}{suffix}"))),
                            member,
                            ..Item::whole(path.clone(), Vec::new())
                        },
                        true,
                    ),
                    Job::Text(_) => (Item::whole(path.clone(), Vec::new()), false),
                };
                let (shown, found) = engine.skipped_name(&item, added);
                parts.push(Part {
                    index,
                    found,
                    skipped: Some((shown, why)),
                    skipped_in: (item.commit, item.refname),
                    ..Part::default()
                });
            }
        }
        Ok(())
    }

    /// Scans what the batch holds into `parts` and empties it.
    fn scan(
        &mut self,
        engine: &Engine<'_>,
        scratch: &mut Scratch,
        parts: &mut Vec<Part>,
    ) -> Result<()> {
        if self.items.is_empty() {
            return Ok(());
        }
        let found = engine.scan_items(&self.items, scratch)?;
        for ((index, item), found) in self.indices.drain(..).zip(self.items.drain(..)).zip(found) {
            let bytes = item.text.len() as u64;
            // Content decoded from inside a file is part of that file.
            let files = usize::from(item.origin.is_none());
            if Part::nothing_in(&found)
                && let Some(last) = parts.last_mut().filter(|p| p.is_clean())
            {
                last.files += files;
                last.bytes += bytes;
                continue;
            }
            parts.push(Part {
                index,
                bytes,
                files,
                found,
                ..Part::default()
            });
        }
        self.bytes = 0;
        Ok(())
    }
}

/// Debug builds only: `PHIGUARD_TEST_STALL=worker` stalls the thread scanning a job forever,
/// so that a test proves the hooks' watchdog (exit 2 at the deadline) without a real hang.
#[cfg(debug_assertions)]
fn test_stall() {
    if std::env::var_os("PHIGUARD_TEST_STALL").is_some_and(|v| v == "worker") {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

/// Scans the jobs `next` hands out until there are none, a job fails or the run has failed
/// (`failed`, which a failure here sets). While at most one worker is `started`, a dense
/// text's short spans may be shared out among threads ([`Scratch::sole_scanner`]): the
/// other cores are free.
fn work(
    engine: &Engine<'_>,
    opts: &RunOptions,
    cache: Option<&Arc<BlobCache>>,
    failed: &AtomicBool,
    started: &AtomicUsize,
    mut next: impl FnMut() -> Option<(usize, Job)>,
) -> Result<Vec<Part>> {
    let mut reader = Reader::new(&opts.repo, opts.max_file_bytes)?.with_cache(cache.cloned());
    let mut scratch = Scratch::default();
    let mut batch = Batch::default();
    let mut parts = Vec::new();
    let mut scan_all = || -> Result<()> {
        while !failed.load(Ordering::Relaxed) {
            let Some((index, job)) = next() else {
                return batch.scan(engine, &mut scratch, &mut parts);
            };
            #[cfg(debug_assertions)]
            test_stall();
            if let Some((deadline, budget_ms)) = opts.deadline
                && Instant::now() > deadline
            {
                return Err(Error::from(ErrorKind::Budget { budget_ms }));
            }
            scratch.sole_scanner(started.load(Ordering::Relaxed) <= 1);
            batch.load(engine, &mut reader, &mut scratch, &job, index, &mut parts)?;
        }
        Ok(())
    };
    if let Err(e) = scan_all() {
        failed.store(true, Ordering::Relaxed);
        return Err(e);
    }
    Ok(parts)
}

/// A worker's parts, or an internal error if its thread panicked.
fn joined(h: std::thread::ScopedJoinHandle<'_, Result<Vec<Part>>>) -> Result<Vec<Part>> {
    h.join()
        .unwrap_or_else(|_| Err(Error::internal("internal: a scan thread panicked")))
}

fn assemble(parts: Vec<Part>) -> Report {
    let mut report = Report::default();
    for p in parts {
        match p.skipped {
            Some((path, why)) => {
                report.summary.skipped += 1;
                let kind = match why {
                    Skip::TooLarge(n) => Some(UnscannedKind::Oversize(n)),
                    Skip::Unscannable(why) => Some(UnscannedKind::Unscannable(why)),
                    Skip::LfsObject => Some(UnscannedKind::LfsObject),
                    Skip::Binary => {
                        report.binary.push(path.clone());
                        None
                    }
                    Skip::NotAFile => {
                        report.not_files.push(path.clone());
                        None
                    }
                };
                if let Some(kind) = kind {
                    let (commit, refname) = p.skipped_in;
                    let unscanned = Unscanned {
                        path,
                        kind,
                        commit,
                        refname,
                    };
                    report.notes.push(unscanned.describe());
                    report.unscanned.push(unscanned);
                }
            }
            None => report.summary.files += p.files,
        }
        report.summary.bytes += p.bytes;
        report.findings.extend(p.found.findings);
        report.suppressed.extend(p.found.suppressed);
        report.capped.extend(p.found.capped);
        report.stopped.extend(p.found.stopped);
    }
    // By name, each once (a path skipped in several commits of a range is one name).
    for paths in [&mut report.binary, &mut report.not_files] {
        paths.sort();
        paths.dedup();
    }
    report.sort();
    report.tally();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker keeps one part per run of files that found nothing (a history of 252,000 jobs
    /// held 252,000 parts to the end), and the report counts every file all the same: 101
    /// notes, the 51st with an SSN, make three parts.
    #[test]
    fn a_workers_clean_files_are_counted_in_one_part_per_run() {
        crate::scan::tests::with_engine(|engine| {
            let mut batch = Batch::default();
            for i in 0..101 {
                let text = if i == 50 {
                    format!("patient ssn: {}-{}-{}\n", 412, 73, 6015)
                } else {
                    format!("note {i} about the build\n")
                };
                batch.indices.push(i);
                batch
                    .items
                    .push(Item::whole(format!("n{i}.txt"), text.into_bytes()));
            }
            let mut parts = Vec::new();
            batch
                .scan(engine, &mut Scratch::default(), &mut parts)
                .unwrap();
            assert_eq!(parts.len(), 3, "a clean run, the finding, a clean run");
            let report = assemble(parts);
            assert_eq!(report.summary.files, 101);
            assert_eq!(report.findings.len(), 1);
        });
    }
}
