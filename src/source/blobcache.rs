//! Blob contents kept between the jobs of a history scan, so that a blob is inflated once per
//! run instead of once per job that reads it.
//!
//! In a history, the version a commit writes is the old version the next commit touching the
//! file compares against: without this cache each such blob is inflated twice (and a packed
//! one resolved through its delta chain twice). The plan says in advance which blobs later
//! jobs read as an old version and how many times ([`BlobCache::plan`]): only those are kept,
//! each until its last reader took it, and never more than a byte budget in all (a blob that
//! does not fit is simply read again). Content is addressed by id, so a kept blob is exactly
//! what a second read would give.
//!
//! A history streamed as it is planned (`history::Commits`) has no whole plan: it tells the
//! cache of each job when it is planned, a window of jobs before handing it over
//! ([`BlobCache::expect`]), and the cache counts the reads of blobs written lately — those
//! whose writers have not been scanned yet.

use super::Job;
use git2::Oid;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

/// Blobs later jobs of one run read as old versions, shared by the run's threads.
#[derive(Debug)]
pub struct BlobCache {
    inner: Mutex<Inner>,
    /// At most this many bytes of content are held at once.
    budget: usize,
    /// Blob jobs in the plan (for a streamed history, its commits).
    jobs: usize,
    /// Blobs written per generation of [`Inner::written`] (a streamed history's window).
    window: usize,
}

/// A blob id as its bytes: `Oid`'s `==` is a call into libgit2, paid by every probe of a map
/// keyed by it.
type Key = super::pack::Id;

fn key(id: Oid) -> Key {
    super::pack::id(id)
}

#[derive(Debug, Default)]
struct Inner {
    /// Reads as an old version still to come, per blob (only blobs some job also writes).
    uses: FxHashMap<Key, u32>,
    /// Content held for those reads.
    held: FxHashMap<Key, Arc<[u8]>>,
    /// Bytes in `held`.
    bytes: usize,
    /// Blobs written by the jobs [`BlobCache::expect`] was told of lately, in two
    /// generations of a window's blobs each.
    written: [rustc_hash::FxHashSet<Key>; 2],
}

impl BlobCache {
    /// The cache for `jobs`, holding at most `budget` bytes; `None` when no job reads, as an
    /// old version, a blob another job writes (a staged change, a single commit): nothing
    /// would ever be taken from it.
    pub fn plan(jobs: &[Job], budget: usize) -> Option<BlobCache> {
        let blob_jobs = jobs
            .iter()
            .filter(|j| matches!(j, Job::Blob { .. }))
            .count();
        // The whole plan as one window that never turns over.
        let cache = BlobCache::expecting(budget, blob_jobs, usize::MAX);
        cache.expect(jobs);
        let mut inner = cache.lock();
        inner.written = Default::default();
        let any = !inner.uses.is_empty();
        drop(inner);
        any.then_some(cache)
    }

    /// An empty cache holding at most `budget` bytes, for a run told its jobs as they are
    /// planned ([`BlobCache::expect`]), each handed over once `window` more are planned;
    /// `commits` stands for its size ([`BlobCache::jobs`]).
    pub fn expecting(budget: usize, commits: usize, window: usize) -> BlobCache {
        BlobCache {
            inner: Mutex::new(Inner::default()),
            budget,
            jobs: commits,
            window,
        }
    }

    /// Counts the reads the next planned `jobs` make, as old versions, of blobs written by
    /// the jobs planned in about the last two windows: those are still to be handed over, or
    /// were handed over a window ago at most. A blob written earlier is read again.
    pub fn expect(&self, jobs: &[Job]) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if inner.written[1].len() >= self.window {
            let [before, last] = &mut inner.written;
            std::mem::swap(before, last);
            last.clear();
        }
        for job in jobs {
            if let Job::Blob { new, .. } = job {
                inner.written[1].insert(key(*new));
            }
        }
        for job in jobs {
            if let Job::Blob { old, .. } = job {
                for o in old.iter().map(|&o| key(o)) {
                    if inner.written[0].contains(&o) || inner.written[1].contains(&o) {
                        *inner.uses.entry(o).or_default() += 1;
                    }
                }
            }
        }
    }

    /// How many blob jobs the run has (for a streamed history, how many commits).
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Offers blob `id`'s content, just read as a new version: kept when a later job reads it
    /// as an old version and it fits the budget.
    pub fn offer(&self, id: Oid, content: &[u8]) {
        let id = key(id);
        let mut inner = self.lock();
        if inner.uses.get(&id).is_none_or(|&n| n == 0)
            || inner.held.contains_key(&id)
            || inner.bytes + content.len() > self.budget
        {
            return;
        }
        inner.bytes += content.len();
        inner.held.insert(id, Arc::from(content));
    }

    /// Blob `id`'s content for one read as an old version, when held. Each call counts one
    /// read (held or not), and a blob is let go after its last.
    pub fn take(&self, id: Oid) -> Option<Arc<[u8]>> {
        let id = key(id);
        let mut inner = self.lock();
        let left = inner.uses.get_mut(&id)?;
        *left = left.saturating_sub(1);
        if *left > 0 {
            return inner.held.get(&id).cloned();
        }
        inner.uses.remove(&id);
        let held = inner.held.remove(&id)?;
        inner.bytes -= held.len();
        Some(held)
    }

    /// Bytes held now (tests).
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(new: Oid, old: &[Oid]) -> Job {
        Job::Blob {
            path: Arc::from("f"),
            new,
            old: old.to_vec(),
            commit: None,
            refname: None,
            stat: None,
        }
    }

    fn id(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    /// A blob one job writes and two later jobs read is held until the second read, and
    /// then let go; a blob no job writes, or that no job reads, is never held.
    #[test]
    fn a_blob_is_held_until_its_last_read() {
        let jobs = [
            blob(id(1), &[id(9)]),
            blob(id(2), &[id(1)]),
            blob(id(3), &[id(1), id(2)]),
        ];
        let cache = BlobCache::plan(&jobs, 1 << 20).unwrap();
        assert!(cache.take(id(9)).is_none(), "written by no job");
        cache.offer(id(1), b"one\n");
        cache.offer(id(3), b"three\n");
        assert_eq!(cache.held_bytes(), 4, "blob 3 is read by no job");
        cache.offer(id(2), b"two\n");
        assert_eq!(cache.take(id(1)).as_deref(), Some(&b"one\n"[..]));
        assert_eq!(cache.held_bytes(), 8);
        assert_eq!(cache.take(id(1)).as_deref(), Some(&b"one\n"[..]));
        assert_eq!(cache.take(id(2)).as_deref(), Some(&b"two\n"[..]));
        assert_eq!(
            cache.held_bytes(),
            0,
            "every blob let go after its last read"
        );
        assert!(cache.take(id(1)).is_none());
    }

    /// A streamed cache counts the reads of blobs written by its last two generations of
    /// planned jobs (one blob each here), and no others: older writers may have been scanned
    /// already.
    #[test]
    fn a_streamed_cache_counts_reads_of_blobs_the_last_two_windows_write() {
        let cache = BlobCache::expecting(1 << 20, 3, 1);
        cache.expect(&[blob(id(1), &[]), blob(id(2), &[id(1)])]);
        cache.expect(&[blob(id(3), &[id(2)])]);
        cache.expect(&[blob(id(4), &[id(1), id(3)])]);
        for (n, text) in [(1, "one\n"), (2, "two\n"), (3, "three\n")] {
            cache.offer(id(n), text.as_bytes());
        }
        assert_eq!(cache.held_bytes(), 14, "each blob has a counted read");
        assert_eq!(cache.take(id(1)).as_deref(), Some(&b"one\n"[..]));
        assert_eq!(
            cache.held_bytes(),
            10,
            "let go after its read in its own window"
        );
        assert!(
            cache.take(id(1)).is_none(),
            "its read two windows on was not counted: read from the store again"
        );
        assert_eq!(cache.take(id(2)).as_deref(), Some(&b"two\n"[..]));
        assert_eq!(cache.take(id(3)).as_deref(), Some(&b"three\n"[..]));
        assert_eq!(
            cache.held_bytes(),
            0,
            "every blob let go after its last read"
        );
        assert_eq!(cache.jobs(), 3);
    }

    /// Past its budget the cache keeps nothing more; a read that comes before the write (the
    /// threads raced) counts, so the blob is not kept for a read that already happened.
    #[test]
    fn the_budget_and_early_reads_bound_what_is_held() {
        let jobs = [
            blob(id(1), &[]),
            blob(id(2), &[]),
            blob(id(3), &[id(1)]),
            blob(id(4), &[id(2)]),
        ];
        let cache = BlobCache::plan(&jobs, 6).unwrap();
        cache.offer(id(1), b"12345");
        cache.offer(id(2), b"12");
        assert_eq!(cache.held_bytes(), 5, "blob 2 is over the budget");
        assert!(cache.take(id(2)).is_none());
        let cache = BlobCache::plan(&jobs, 100).unwrap();
        assert!(cache.take(id(1)).is_none(), "read before it was written");
        cache.offer(id(1), b"12345");
        assert_eq!(cache.held_bytes(), 0);
        assert!(
            BlobCache::plan(&jobs[..2], 100).is_none(),
            "nothing to share"
        );
    }
}
