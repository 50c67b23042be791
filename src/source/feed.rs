//! The seam between planning and scanning: a [`Source`] works out a change's [`Job`]s and
//! hands each to a [`Sink`] as soon as it knows it; the scan driver (`scan::drive`) is the
//! sink, a bounded queue read by its workers. Every way phiguard finds content is a source:
//! the staged change ([`super::staged::StagedChange`]), files on disk ([`super::files::Files`]),
//! and anything planned in full beforehand — a range, a push, stdin, a commit message
//! ([`Planned`]).

use super::Job;
use super::blobcache::BlobCache;
use crate::error::Result;
use std::sync::Arc;

/// Where a run's jobs come from.
pub trait Source {
    /// Hands every job to `sink`, in plan order (one thread), or from as many threads as the
    /// source walks with ([`Source::ordered`] is then false). A source may stop early once
    /// [`Sink::stopped`] says the run has failed.
    ///
    /// # Errors
    ///
    /// When the change cannot be planned (an unreadable index, tree or directory): the run
    /// fails closed.
    fn feed(&mut self, sink: &dyn Sink) -> Result<Fed>;

    /// Whether jobs come in an order that does not depend on thread timing. A parallel walk's
    /// do not: the driver then sorts what it would otherwise list in job order (notes).
    fn ordered(&self) -> bool {
        true
    }

    /// A cache for blobs that later jobs read again as old versions: a history's, planned in
    /// full ([`BlobCache::plan`]) or told each window of jobs before it is handed over
    /// ([`BlobCache::expect`]).
    fn blob_cache(&self) -> Option<Arc<BlobCache>> {
        None
    }
}

/// How a [`Source`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// Every job was handed over; this many paths were skipped (lockfiles, excluded paths).
    Done {
        /// Paths the plan skipped without a job.
        skipped: usize,
    },
    /// The plan turned out not to apply after handing some jobs over (the staged plan met
    /// renames its fast path cannot pair): the run is dropped, for the caller to plan again.
    Replan,
}

/// Where a [`Source`] hands its jobs: shared by the threads of a parallel walk.
pub trait Sink: Sync {
    /// Takes `job`, the next one in plan order. May wait while the scanners catch up (the
    /// queue is bounded, so planning never runs far ahead of scanning).
    fn take(&self, job: Job);

    /// Whether the run has failed (a job could not be read, the rules could not be built):
    /// further jobs are dropped, and the source may stop planning.
    fn stopped(&self) -> bool;
}

/// Bytes of blob content a history scan keeps for later jobs that read it as an old version
/// ([`BlobCache`]): most files a commit changes are changed again within a few hundred
/// commits, and what does not fit is read again. 4 MiB since packed blobs are read through
/// the pack reader's own cache (`source::pack`), which holds the newer versions of the files
/// being read: 16 MiB of blob cache beside it took redis' history over its 128 MiB budget for
/// no measurable gain (PERFORMANCE.md).
pub(super) const BLOB_CACHE_BYTES: usize = 4 << 20;

/// Jobs planned in full before the run: a range, a push, stdin, a commit message.
#[derive(Debug, Clone, Copy)]
pub struct Planned<'j> {
    jobs: &'j [Job],
}

impl<'j> Planned<'j> {
    /// The source of `jobs`, handed over in their order.
    pub fn new(jobs: &'j [Job]) -> Planned<'j> {
        Planned { jobs }
    }
}

impl Source for Planned<'_> {
    fn feed(&mut self, sink: &dyn Sink) -> Result<Fed> {
        for job in self.jobs {
            if sink.stopped() {
                break;
            }
            sink.take(job.clone());
        }
        Ok(Fed::Done { skipped: 0 })
    }

    fn blob_cache(&self) -> Option<Arc<BlobCache>> {
        BlobCache::plan(self.jobs, BLOB_CACHE_BYTES).map(Arc::new)
    }
}
