//! The pipeline for one run: jobs → (parallel) items → detect → policy → value-free findings.
//!
//! Work is spread over threads by job index; each thread has its own repository handle and
//! scratch space, and results are put back in job order, so output is deterministic whatever
//! the thread count.

use crate::detect::{self, DetectOptions, RawMatch, Scratch};
use crate::error::{Error, ErrorKind, Result};
use crate::policy::{Policy, Suppression, colocate, suppress};
use crate::report::mask::MaskSpan;
use crate::report::{Finding, Report, fingerprint, mask};
use crate::rules::RuleDb;
use crate::source::{Item, Job, Loaded, Reader, RepoAt, Skip};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Everything detection and policy need, shared read-only by all threads.
#[derive(Debug, Clone, Copy)]
pub struct Engine<'a> {
    /// The compiled rules.
    pub db: &'a RuleDb,
    /// The resolved policy.
    pub policy: &'a Policy,
    /// Prefilter switch (tests turn it off to prove it changes nothing).
    pub detect: DetectOptions,
    /// Key of the fingerprint HMAC.
    pub fingerprint_key: &'a [u8],
}

/// Findings of one item: counted ones and suppressed ones.
#[derive(Debug, Default)]
pub struct ItemFindings {
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Suppressed findings (inline, synthetic).
    pub suppressed: Vec<Finding>,
}

impl Engine<'_> {
    /// Scans one item.
    ///
    /// # Errors
    ///
    /// When a rule's regex does not compile.
    pub fn scan_item(&self, item: &Item, scratch: &mut Scratch) -> Result<ItemFindings> {
        let mut raws = Vec::new();
        detect::find(
            self.db,
            &item.text,
            &item.added,
            &item.path,
            self.detect,
            scratch,
            &mut raws,
        )?;
        if raws.is_empty() {
            return Ok(ItemFindings::default());
        }
        raws.sort_by_key(|r| (r.span.start, std::cmp::Reverse(r.severity), r.rule));
        let masks: Vec<MaskSpan> = raws.iter().map(|r| self.mask_span(r)).collect();
        let raws = self.dedupe(&item.text, raws);
        let lines = line_numbers(&item.text, &raws);
        let mut severities: Vec<_> = raws.iter().map(|r| r.severity).collect();
        if colocate::any(self.db) {
            let hunks = hunk_ids(&item.text, &item.added);
            let placed: Vec<colocate::Placed> = raws
                .iter()
                .zip(&lines)
                .map(|(r, l)| colocate::Placed {
                    part: self.db.rule(r.rule).colocation(),
                    line: l.line,
                    hunk: hunks[item.added.partition_point(|a| a.end <= r.span.start)],
                    synthetic: r.synthetic,
                })
                .collect();
            colocate::raise(&placed, &mut severities);
        }
        let mut out = ItemFindings::default();
        for ((raw, at), severity) in raws.iter().zip(&lines).zip(severities) {
            let rule = self.db.rule(raw.rule);
            if !rule.spec.report {
                continue;
            }
            let suppressed = if raw.synthetic && !self.policy.strict {
                Some(Suppression::Synthetic)
            } else if self.policy.inline_allowed(rule.category())
                && suppress::inline_allowed(&item.text, raw.span.start)
            {
                Some(Suppression::Inline)
            } else {
                None
            };
            let message = match &raw.detail {
                Some(d) => format!("{} ({d})", rule.message()),
                None => rule.message().to_owned(),
            };
            let finding = Finding {
                rule: Arc::from(rule.id()),
                category: rule.category(),
                severity: self.policy.path_severity(&item.path, severity),
                path: item.path.clone(),
                line: at.line,
                column: at.column,
                end_column: at.end_column,
                utf16_columns: at.utf16_columns,
                commit: item.commit.clone(),
                refname: item.refname.clone(),
                excerpt: mask::excerpt(&item.text, raw.span.clone(), &masks),
                fingerprint: fingerprint::fingerprint(
                    self.fingerprint_key,
                    rule.id(),
                    &item.path,
                    &item.text[raw.span.clone()],
                ),
                message,
                suppressed,
            };
            if finding.suppressed.is_some() {
                out.suppressed.push(finding);
            } else {
                out.findings.push(finding);
            }
        }
        Ok(out)
    }

    /// `text[context..]` with every detected value masked (synthetic ones too): `phiguard
    /// redact`. `text[..context]` is the lines before, where keywords still count (as the
    /// unchanged lines before an added region do in a file).
    ///
    /// # Errors
    ///
    /// When a rule's regex does not compile.
    pub fn redact(&self, text: &[u8], context: usize, scratch: &mut Scratch) -> Result<Vec<u8>> {
        let regions: Vec<Range<usize>> = std::iter::once(context..text.len())
            .filter(|r| !r.is_empty())
            .collect();
        let mut raws = Vec::new();
        detect::find(
            self.db,
            text,
            &regions,
            "<stdin>",
            self.detect,
            scratch,
            &mut raws,
        )?;
        let spans: Vec<MaskSpan> = raws.iter().map(|r| self.mask_span(r)).collect();
        let mut masked = mask::mask_all(text, &spans);
        masked.drain(..context.min(masked.len()));
        Ok(masked)
    }

    fn mask_span(&self, raw: &RawMatch) -> MaskSpan {
        let rule = self.db.rule(raw.rule);
        MaskSpan {
            span: raw.span.clone(),
            category: rule.category(),
            reveal_prefix: usize::from(rule.spec.reveal_prefix),
        }
    }

    /// Of overlapping reportable matches that start on the same line, keeps the most severe
    /// (then the earliest rule): nine digits and a letter are a HICN, not also an SSN; a provider token is
    /// not also a generic assignment. A match starting on a later line inside a multi-line one
    /// (a token inside a key block) is a value of its own. Anchor-only matches are kept for
    /// co-location.
    fn dedupe(&self, text: &[u8], raws: Vec<RawMatch>) -> Vec<RawMatch> {
        let mut kept: Vec<RawMatch> = Vec::with_capacity(raws.len());
        let mut last: Option<usize> = None;
        for r in raws {
            if !self.db.rule(r.rule).spec.report {
                kept.push(r);
                continue;
            }
            if let Some(i) = last
                && kept[i].span.end > r.span.start
                && memchr::memchr(b'\n', &text[kept[i].span.start..r.span.start]).is_none()
            {
                let better = (r.severity, std::cmp::Reverse(r.rule), r.span.len())
                    > (
                        kept[i].severity,
                        std::cmp::Reverse(kept[i].rule),
                        kept[i].span.len(),
                    );
                if better {
                    kept[i] = r;
                }
                continue;
            }
            last = Some(kept.len());
            kept.push(r);
        }
        kept.sort_by_key(|r| r.span.start);
        kept
    }
}

/// Where a match is, 1-based.
struct Position {
    line: u32,
    column: u32,
    end_column: u32,
    utf16_columns: (u32, u32),
}

/// UTF-16 code units of (UTF-8) `bytes`: a continuation byte adds none, a 4-byte character two.
fn utf16_len(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0xBF => 0,
            0xF0..=0xFF => 2,
            _ => 1,
        })
        .sum()
}

/// Positions of matches sorted by start.
fn line_numbers(text: &[u8], raws: &[RawMatch]) -> Vec<Position> {
    let mut line = 1u32;
    let mut pos = 0usize;
    let mut line_start = 0usize;
    raws.iter()
        .map(|r| {
            let at = r.span.start;
            for nl in memchr::memchr_iter(b'\n', &text[pos..at]) {
                line += 1;
                line_start = pos + nl + 1;
            }
            pos = at;
            let line_end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
            let end = r.span.end.min(line_end).max(at);
            let before = utf16_len(&text[line_start..at]);
            Position {
                line,
                column: (at - line_start + 1) as u32,
                end_column: (end - line_start + 1) as u32,
                utf16_columns: (before + 1, before + utf16_len(&text[at..end]) + 1),
            }
        })
        .collect()
}

/// Groups added regions into hunks: regions separated by at most 6 unchanged lines (what a
/// unified diff with 3 lines of context shows as one hunk) share an id. The last slot covers
/// offsets past every region.
fn hunk_ids(text: &[u8], regions: &[Range<usize>]) -> Vec<usize> {
    let mut ids = Vec::with_capacity(regions.len() + 1);
    let mut id = 0;
    for (i, r) in regions.iter().enumerate() {
        if i > 0 {
            let gap = &text[regions[i - 1].end..r.start];
            if memchr::memchr_iter(b'\n', gap).count() > 6 {
                id += 1;
            }
        }
        ids.push(id);
    }
    ids.push(id + 1);
    ids
}

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
struct Part {
    index: usize,
    found: ItemFindings,
    bytes: u64,
    skipped: Option<(Arc<str>, Skip)>,
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
    let work = || -> Result<Vec<Part>> {
        let mut reader = Reader::new(&opts.repo, opts.max_file_bytes)?;
        let mut scratch = Scratch::default();
        let mut parts = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= jobs.len() || failed.load(Ordering::Relaxed) {
                return Ok(parts);
            }
            if let Some((deadline, budget_ms)) = opts.deadline
                && Instant::now() > deadline
            {
                return Err(Error::from(ErrorKind::Budget { budget_ms }));
            }
            let part = scan_job(engine, &mut reader, &mut scratch, &jobs[index], index);
            match part {
                Ok(p) => parts.push(p),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
    };
    let results: Vec<Result<Vec<Part>>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::usage("internal: a scan thread panicked")))
                })
                .collect()
        })
    };
    let mut parts = Vec::new();
    for r in results {
        parts.extend(r?);
    }
    parts.sort_by_key(|p| p.index);
    Ok(assemble(parts))
}

/// Walks `roots` and scans every file as it is found (walking and scanning overlap). Output
/// order is by path, so it does not depend on thread timing.
///
/// # Errors
///
/// The first error of the walk or of any file; the run stops (fail closed).
pub fn run_files(
    engine: &Engine<'_>,
    roots: &[&std::path::Path],
    exclude: &globset::GlobSet,
    opts: &RunOptions,
) -> Result<Report> {
    let parts: std::sync::Mutex<Vec<Part>> = std::sync::Mutex::new(Vec::new());
    let skipped = crate::source::files::walk(roots, exclude, opts.threads, || {
        let mut reader = Reader::new(&RepoAt::None, opts.max_file_bytes);
        let mut scratch = Scratch::default();
        let parts = &parts;
        move |job: Job| {
            let reader = reader.as_mut().map_err(|e| Error::usage(e.to_string()))?;
            let part = scan_job(engine, reader, &mut scratch, &job, 0)?;
            parts.lock().unwrap_or_else(|p| p.into_inner()).push(part);
            Ok(())
        }
    })?;
    let mut report = assemble(parts.into_inner().unwrap_or_else(|p| p.into_inner()));
    report.summary.skipped += skipped;
    report.notes.sort();
    Ok(report)
}

fn scan_job(
    engine: &Engine<'_>,
    reader: &mut Reader,
    scratch: &mut Scratch,
    job: &Job,
    index: usize,
) -> Result<Part> {
    match reader.load(job)? {
        Loaded::Item(item) => Ok(Part {
            index,
            bytes: item.text.len() as u64,
            found: engine.scan_item(&item, scratch)?,
            skipped: None,
        }),
        Loaded::Skipped(path, why) => Ok(Part {
            index,
            skipped: Some((path, why)),
            ..Part::default()
        }),
    }
}

fn assemble(parts: Vec<Part>) -> Report {
    let mut report = Report::default();
    for p in parts {
        match p.skipped {
            Some((path, Skip::TooLarge(n))) => {
                report.summary.skipped += 1;
                report.notes.push(format!(
                    "{} skipped: {n} bytes is over [scan] max_file_bytes",
                    crate::report::sanitize::display_str(&path)
                ));
            }
            Some(_) => report.summary.skipped += 1,
            None => report.summary.files += 1,
        }
        report.summary.bytes += p.bytes;
        report.findings.extend(p.found.findings);
        report.suppressed.extend(p.found.suppressed);
    }
    report.sort();
    report.tally();
    report
}
