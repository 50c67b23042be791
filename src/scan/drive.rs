//! The driver of a run over planned jobs: workers load each job's content, scan it in
//! batches, and the parts are put back in job order ([`run`], and [`run_fed`] while the plan
//! is still being worked out).

use super::{Engine, ItemFindings};
use crate::detect::Scratch;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Report, Unscanned, UnscannedKind};
use crate::source::blobcache::BlobCache;
use crate::source::{Item, Job, Loaded, Reader, RepoAt, Skip};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where blobs come from.
    pub repo: RepoAt,
    /// Larger files are skipped (and said so).
    pub max_file_bytes: u64,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Fail with [`ErrorKind::Budget`] past this instant.
    pub deadline: Option<(Instant, u64)>,
}

#[derive(Default)]
pub(super) struct Part {
    index: usize,
    found: ItemFindings,
    bytes: u64,
    skipped: Option<(Arc<str>, Skip)>,
    /// The commit and ref of a skipped blob.
    skipped_in: (Option<Arc<str>>, Option<Arc<str>>),
}

/// Bytes of blob content a history scan keeps for later jobs that read it as an old version
/// ([`BlobCache`]): most files a commit changes are changed again within a few hundred
/// commits, and what does not fit is read again.
const BLOB_CACHE_BYTES: usize = 16 << 20;

/// Jobs per worker thread: a smaller change is scanned on one thread, whose start costs more
/// than a second one would save.
const JOBS_PER_WORKER: usize = 16;

/// How many of `threads` workers to start for `jobs` jobs: one per `JOBS_PER_WORKER`, at
/// least one.
pub fn workers_for(threads: usize, jobs: usize) -> usize {
    threads.clamp(1, 1 + jobs / JOBS_PER_WORKER)
}

/// Scans every job and assembles the report (without `elapsed_ms`, which the caller sets).
///
/// # Errors
///
/// The first error of any job; the run stops (fail closed).
pub fn run(engine: &Engine<'_>, jobs: &[Job], opts: &RunOptions) -> Result<Report> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let threads = opts.threads.clamp(1, jobs.len().max(1));
    let take = || {
        let index = next.fetch_add(1, Ordering::Relaxed);
        jobs.get(index).map(|job| (index, job))
    };
    let cache = BlobCache::plan(jobs, BLOB_CACHE_BYTES).map(Arc::new);
    let cache = cache.as_ref();
    let results: Vec<Result<Vec<Part>>> = if threads == 1 {
        vec![work(engine, opts, cache, &failed, take)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| s.spawn(|| work(engine, opts, cache, &failed, take)))
                .collect();
            handles.into_iter().map(joined).collect()
        })
    };
    collect(results)
}

/// [`run`] over jobs that `feed` hands over one by one while it still works them out (the
/// staged plan reads `HEAD`'s trees), so scanning overlaps planning. `engine` is asked for
/// once, when the first job arrives: an empty change never compiles the rules. Workers start
/// as jobs come, as many as [`workers_for`] the jobs so far; fewer than `JOBS_PER_WORKER`
/// jobs are scanned on the calling thread once `feed` is done.
///
/// `feed` returns `Ok(false)` to abandon the run (its plan turned out not to apply): the jobs
/// already handed over are dropped and `Ok(None)` returned, for the caller to plan again.
///
/// # Errors
///
/// The first error of `feed`, of `engine` or of any job (fail closed). Errors are of the
/// caller's type `E` (the binary's `anyhow`), which job errors convert into.
pub fn run_fed<'e, E, F>(
    engine: &dyn Fn() -> std::result::Result<Engine<'e>, E>,
    opts: &RunOptions,
    feed: F,
) -> std::result::Result<Option<Report>, E>
where
    E: From<Error>,
    F: FnOnce(&mut dyn FnMut(Job)) -> std::result::Result<bool, E>,
{
    let queue = Queue::default();
    let built: std::sync::OnceLock<Engine<'e>> = std::sync::OnceLock::new();
    let mut setup_error = None;
    let (fed, results) = std::thread::scope(|s| {
        let work_on =
            |engine: &Engine<'e>| work(engine, opts, None, &queue.failed, || queue.next());
        let mut handles = Vec::new();
        let mut count = 0usize;
        // Closes the queue even if `feed` panics, so no worker waits forever.
        let closing = CloseOnDrop(&queue);
        let fed = feed(&mut |job: Job| {
            if queue.failed.load(Ordering::Relaxed) {
                return;
            }
            if built.get().is_none() {
                match engine() {
                    Ok(e) => {
                        let _ = built.set(e);
                    }
                    Err(e) => {
                        setup_error = Some(e);
                        queue.failed.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            }
            queue.push(count, job);
            count += 1;
            // A small change is scanned on this thread once planned, as `run` would.
            if count >= JOBS_PER_WORKER
                && let Some(engine) = built.get()
            {
                while handles.len() < workers_for(opts.threads, count) {
                    handles.push(s.spawn(move || work_on(engine)));
                }
            }
        });
        if !matches!(fed, Ok(true)) {
            queue.failed.store(true, Ordering::Relaxed);
        }
        drop(closing);
        let mut results: Vec<Result<Vec<Part>>> = Vec::new();
        if handles.is_empty()
            && let Some(engine) = built.get()
        {
            results.push(work_on(engine));
        }
        results.extend(handles.into_iter().map(joined));
        (fed, results)
    });
    match fed {
        Err(e) => return Err(e),
        Ok(false) => return Ok(None),
        Ok(true) => {}
    }
    if let Some(e) = setup_error {
        return Err(e);
    }
    Ok(Some(collect(results)?))
}

/// Jobs handed from the planning thread to the workers of [`run_fed`].
#[derive(Default)]
struct Queue {
    pending: std::sync::Mutex<Pending>,
    ready: std::sync::Condvar,
    failed: AtomicBool,
}

#[derive(Default)]
struct Pending {
    /// Jobs not yet taken, with their index in the plan.
    jobs: std::collections::VecDeque<(usize, Job)>,
    /// No more jobs will come.
    closed: bool,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, index: usize, job: Job) {
        self.lock().jobs.push_back((index, job));
        self.ready.notify_one();
    }

    /// No more jobs will come.
    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// The next job; `None` once the queue is closed and empty, or the run failed.
    fn next(&self) -> Option<(usize, Job)> {
        let mut q = self.lock();
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(job) = q.jobs.pop_front() {
                return Some(job);
            }
            if q.closed {
                return None;
            }
            q = self.ready.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }
}

struct CloseOnDrop<'q>(&'q Queue);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A batch is scanned once it holds this many bytes of text...
const BATCH_BYTES: usize = 1 << 20;
/// ...or this many items.
const BATCH_ITEMS: usize = 256;

/// Items loaded but not scanned yet, with their job index; scanned together by
/// [`Engine::scan_items`].
#[derive(Default)]
pub(super) struct Batch {
    indices: Vec<usize>,
    items: Vec<Item>,
    bytes: usize,
}

impl Batch {
    /// Whether nothing is waiting to be scanned.
    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes `job`'s content: an item joins the batch, a skipped file becomes a part at
    /// once. Scans the batch into `parts` when it is full.
    pub(super) fn load(
        &mut self,
        engine: &Engine<'_>,
        reader: &mut Reader,
        scratch: &mut Scratch,
        job: &Job,
        index: usize,
        parts: &mut Vec<Part>,
    ) -> Result<()> {
        match reader.load(job)? {
            Loaded::Item(item) => {
                self.bytes += item.text.len();
                self.indices.push(index);
                self.items.push(item);
                if self.bytes >= BATCH_BYTES || self.items.len() >= BATCH_ITEMS {
                    self.scan(engine, scratch, parts)?;
                }
            }
            Loaded::Skipped(path, why) => {
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
                            ..Item::whole(path, Vec::new())
                        },
                        old.is_empty(),
                    ),
                    Job::File { rooted, .. } => (
                        Item {
                            rooted: rooted.clone(),
                            ..Item::whole(path, Vec::new())
                        },
                        true,
                    ),
                    Job::Text(_) => (Item::whole(path, Vec::new()), false),
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
    pub(super) fn scan(
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
            parts.push(Part {
                index,
                bytes: item.text.len() as u64,
                found,
                ..Part::default()
            });
        }
        self.bytes = 0;
        Ok(())
    }
}

/// One worker: scans the jobs `next` hands out until there are none or a job fails.
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

fn work<J: std::borrow::Borrow<Job>>(
    engine: &Engine<'_>,
    opts: &RunOptions,
    cache: Option<&Arc<BlobCache>>,
    failed: &AtomicBool,
    mut next: impl FnMut() -> Option<(usize, J)>,
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
            batch.load(
                engine,
                &mut reader,
                &mut scratch,
                job.borrow(),
                index,
                &mut parts,
            )?;
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
pub(super) fn joined(h: std::thread::ScopedJoinHandle<'_, Result<Vec<Part>>>) -> Result<Vec<Part>> {
    h.join()
        .unwrap_or_else(|_| Err(Error::internal("internal: a scan thread panicked")))
}

/// The workers' parts in job order, assembled; the first error if any worker failed.
fn collect(results: Vec<Result<Vec<Part>>>) -> Result<Report> {
    let mut parts = Vec::new();
    for r in results {
        parts.extend(r?);
    }
    parts.sort_by_key(|p| p.index);
    Ok(assemble(parts))
}

pub(super) fn assemble(parts: Vec<Part>) -> Report {
    let mut report = Report::default();
    for p in parts {
        match p.skipped {
            Some((path, why)) => {
                report.summary.skipped += 1;
                let kind = match why {
                    Skip::TooLarge(n) => Some(UnscannedKind::Oversize(n)),
                    Skip::Unscannable(why) => Some(UnscannedKind::Unscannable(why)),
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
            None => report.summary.files += 1,
        }
        report.summary.bytes += p.bytes;
        report.findings.extend(p.found.findings);
        report.suppressed.extend(p.found.suppressed);
        report.capped.extend(p.found.capped);
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
