//! The pipeline for one run: jobs → (parallel) items → detect → policy → value-free findings.
//!
//! Work is spread over threads by job index; each thread has its own repository handle and
//! scratch space, and results are put back in job order, so output is deterministic whatever
//! the thread count.

use crate::detect::RuleDb;
use crate::detect::{self, DetectOptions, RawMatch, Scratch};
use crate::error::{Error, ErrorKind, Result};
use crate::fingerprint;
use crate::model::{
    Capped, Finding, LISTED_PER_RULE, Report, Suppression, Unscanned, UnscannedKind,
};
use crate::policy::{Policy, colocate, suppress};
use crate::report::mask;
use crate::report::mask::MaskSpan;
use crate::source::blobcache::BlobCache;
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
    pub fingerprint_key: &'a fingerprint::Key,
}

/// How much `phiguard redact` masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redaction {
    /// Every value a rule reports, plus labelled values and structured identifiers
    /// ([`detect::scrub`]), through ANSI colour codes.
    Aggressive,
    /// Only what the rules report (`--conservative`).
    Conservative,
}

/// Findings of one item: counted ones and suppressed ones.
#[derive(Debug, Default)]
pub struct ItemFindings {
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Suppressed findings (inline, synthetic).
    pub suppressed: Vec<Finding>,
    /// Findings past [`LISTED_PER_RULE`] of a rule: counted, not listed.
    pub capped: Vec<Capped>,
}

impl Engine<'_> {
    /// Scans one item.
    ///
    /// # Errors
    ///
    /// When a rule's regex does not compile.
    pub fn scan_item(&self, item: &Item, scratch: &mut Scratch) -> Result<ItemFindings> {
        let mut found = self.scan_items(std::slice::from_ref(item), scratch)?;
        Ok(found.pop().unwrap_or_default())
    }

    /// Scans a batch of items, rule by rule over all of them ([`detect::find_each`] says
    /// why); the findings of each are what [`Engine::scan_item`] gives for it.
    ///
    /// # Errors
    ///
    /// When a rule's regex does not compile.
    pub fn scan_items(&self, items: &[Item], scratch: &mut Scratch) -> Result<Vec<ItemFindings>> {
        let targets: Vec<detect::Target<'_>> = items
            .iter()
            .map(|item| detect::Target {
                text: &item.text,
                regions: &item.added,
                path: &item.path,
            })
            .collect();
        let mut raws = vec![Vec::new(); items.len()];
        detect::find_each(self.db, &targets, self.detect, scratch, &mut raws)?;
        Ok(items
            .iter()
            .zip(raws)
            .map(|(item, raws)| self.findings(item, raws))
            .collect())
    }

    /// What one item's raw matches come to.
    fn findings(&self, item: &Item, mut raws: Vec<RawMatch>) -> ItemFindings {
        let named = self.named(item);
        if raws.is_empty() && named.is_none() {
            return ItemFindings::default();
        }
        let mut out = ItemFindings::default();
        let (path, rooted) = match &named {
            Some(n) => {
                self.name_findings(item, n, &mut out);
                (n.path.clone(), n.rooted.clone())
            }
            None => (item.path.clone(), Arc::from(item.rooted())),
        };
        raws.sort_by_key(|r| (r.span.start, std::cmp::Reverse(r.severity), r.rule));
        spread_synthetic(&item.text, &mut raws);
        let masks = mask::Masks::new(raws.iter().map(|r| self.mask_span(r)).collect());
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
        let mut marked = suppress::Lines::default();
        let mut listed: rustc_hash::FxHashMap<u32, usize> = rustc_hash::FxHashMap::default();
        for ((raw, at), severity) in raws.iter().zip(&lines).zip(severities) {
            let rule = self.db.rule(raw.rule);
            if !rule.spec.report {
                continue;
            }
            let seen = listed.entry(raw.rule.0).or_default();
            *seen += 1;
            let over = *seen > LISTED_PER_RULE;
            let suppressed = if raw.synthetic && !self.policy.strict {
                Some(Suppression::Synthetic)
            } else if marked.allowed(&item.text, raw.span.start, rule.category()) {
                Some(Suppression::Inline)
            } else {
                None
            };
            let severity = self
                .policy
                .path_severity(rule.category(), item.rooted(), severity);
            if over {
                count_capped(
                    &mut out.capped,
                    rule.id(),
                    (&path, &rooted, item),
                    severity,
                    suppressed,
                );
                continue;
            }
            let message = match &raw.detail {
                Some(d) => format!("{} ({d})", rule.message()),
                None => rule.message().to_owned(),
            };
            let finding = Finding {
                rule: Arc::from(rule.id()),
                category: rule.category(),
                severity,
                path: path.clone(),
                line: at.line,
                column: at.column,
                end_column: at.end_column,
                utf16_columns: at.utf16_columns,
                utf16_end: at.utf16_end,
                commit: item.commit.clone(),
                refname: item.refname.clone(),
                excerpt: mask::excerpt(&item.text, raw.span.clone(), rule.category(), &masks),
                fingerprint: fingerprint::fingerprint(
                    self.fingerprint_key,
                    rule.id(),
                    &rooted,
                    &item.text[raw.span.clone()],
                ),
                message,
                reason: (suppressed == Some(Suppression::Inline))
                    .then(|| suppress::reason(&item.text, raw.span.start))
                    .flatten(),
                suppressed,
            };
            if finding.suppressed.is_some() {
                out.suppressed.push(finding);
            } else {
                out.findings.push(finding);
            }
        }
        out
    }

    /// `text[context..]` with every detected value masked (synthetic ones too): `phiguard
    /// redact`. `text[..context]` is the lines before, where keywords still count (as the
    /// unchanged lines before an added region do in a file).
    ///
    /// [`Redaction::Aggressive`] also masks what [`detect::scrub`] finds (values after PHI
    /// labels, identifiers in HL7/X12/C-CDA/FHIR fragments, NPI-shaped numbers), every other
    /// occurrence of a value found once, and matches through ANSI colour codes, which it keeps
    /// byte for byte.
    ///
    /// # Errors
    ///
    /// When a rule's regex does not compile.
    pub fn redact(
        &self,
        text: &[u8],
        context: usize,
        mode: Redaction,
        scratch: &mut Scratch,
    ) -> Result<Vec<u8>> {
        let regions: Vec<Range<usize>> = std::iter::once(context..text.len())
            .filter(|r| !r.is_empty())
            .collect();
        let blanked = match mode {
            Redaction::Aggressive => detect::scrub::blank_ansi(text),
            Redaction::Conservative => None,
        };
        let seen = blanked.as_deref().unwrap_or(text);
        let mut raws = Vec::new();
        detect::find(
            self.db,
            seen,
            &regions,
            "<stdin>",
            self.detect,
            scratch,
            &mut raws,
        )?;
        let spans: Vec<MaskSpan> = raws.iter().map(|r| self.mask_span(r)).collect();
        let mut masked = mask::mask_all(text, &spans);
        if mode == Redaction::Aggressive {
            let mut extra = Vec::new();
            detect::scrub::spans(seen, context..text.len(), &mut extra);
            let found: Vec<Range<usize>> = extra
                .iter()
                .cloned()
                .chain(raws.iter().map(|r| r.span.clone()))
                .collect();
            detect::scrub::recurrences(seen, context..text.len(), &found, &mut extra);
            detect::scrub::mask(&mut masked, &extra);
            if let Some(blanked) = &blanked {
                // Colour codes stay as they were, whatever span covered them.
                for ((m, &t), &b) in masked.iter_mut().zip(text).zip(blanked) {
                    if t != b {
                        *m = t;
                    }
                }
            }
        }
        masked.drain(..context.min(masked.len()));
        Ok(masked)
    }

    /// The item's path, masked, when it holds a value (issue 19 item 10: an SSN in a file
    /// name was printed in clear in every output and carried by the fingerprint). Only a name
    /// with six digits or an `@` is looked at: the PHI and secret values a name can hold have
    /// them, and the staged path of two thousand files does not pay a detection pass for each.
    fn named(&self, item: &Item) -> Option<Named> {
        self.named_path(&item.path, item.rooted())
    }

    /// [`Engine::named`] of a path as shown (`shown`) and relative to the repository root.
    fn named_path(&self, shown: &Arc<str>, rooted: &str) -> Option<Named> {
        let digits = rooted.bytes().filter(u8::is_ascii_digit).count();
        if digits < 6 && !rooted.contains('@') {
            return None;
        }
        let text = rooted.as_bytes();
        // Path separators and underscores separate words in a name (`patient_<ssn>.txt`):
        // as spaces, byte for byte, so spans stay the name's.
        let words: Vec<u8> = text
            .iter()
            .map(|&b| if b == b'_' || b == b'/' { b' ' } else { b })
            .collect();
        let mut raws = Vec::new();
        let mut scratch = Scratch::default();
        let whole: Vec<Range<usize>> = std::iter::once(0..text.len()).collect();
        detect::find(
            self.db,
            &words,
            &whole,
            rooted,
            self.detect,
            &mut scratch,
            &mut raws,
        )
        .ok()?;
        raws.retain(|r| self.db.rule(r.rule).spec.report && !r.synthetic);
        if raws.is_empty() {
            return None;
        }
        let spans: Vec<MaskSpan> = raws.iter().map(|r| self.mask_span(r)).collect();
        let masked = String::from_utf8_lossy(&mask::mask_all(text, &spans)).into_owned();
        let mut path = shown.to_string();
        for r in &raws {
            if let Ok(v) = std::str::from_utf8(&text[r.span.clone()])
                && !v.is_empty()
            {
                path = path.replace(v, &"*".repeat(v.len()));
            }
        }
        Some(Named {
            path: Arc::from(path),
            rooted: Arc::from(masked),
            values: raws,
        })
    }

    /// A skipped file's path as notes show it — masked when it holds a value — and, for an
    /// added file, the findings of the values in its name: a file left unscanned (binary,
    /// oversize) still brings its name into the repository.
    fn skipped_name(&self, item: &Item, added: bool) -> (Arc<str>, ItemFindings) {
        let mut found = ItemFindings::default();
        let Some(named) = self.named(item) else {
            return (item.path.clone(), found);
        };
        if added {
            self.name_findings(item, &named, &mut found);
        }
        (named.path, found)
    }

    /// The findings of the values in an added file's name: reported at line 0 (the name is no
    /// line of the file), with the masked name as excerpt. A file that only changes keeps its
    /// name masked but is not reported for it again.
    fn name_findings(&self, item: &Item, named: &Named, out: &mut ItemFindings) {
        let added_whole = item.text.is_empty()
            || (item.added.len() == 1 && item.added[0] == (0..item.text.len()));
        if !added_whole {
            return;
        }
        let text = item.rooted().as_bytes();
        for raw in &named.values {
            let rule = self.db.rule(raw.rule);
            out.findings.push(Finding {
                rule: Arc::from(rule.id()),
                category: rule.category(),
                severity: self
                    .policy
                    .path_severity(rule.category(), &named.rooted, raw.severity),
                path: named.path.clone(),
                line: 0,
                column: 0,
                end_column: 0,
                utf16_columns: (0, 0),
                utf16_end: (0, 0),
                commit: item.commit.clone(),
                refname: item.refname.clone(),
                excerpt: format!("file name: {}", crate::sanitize::display_str(&named.rooted)),
                fingerprint: fingerprint::fingerprint(
                    self.fingerprint_key,
                    rule.id(),
                    &named.rooted,
                    &text[raw.span.clone()],
                ),
                message: format!("{} (in the file name)", rule.message()),
                reason: None,
                suppressed: None,
            });
        }
    }

    fn mask_span(&self, raw: &RawMatch) -> MaskSpan {
        let rule = self.db.rule(raw.rule);
        MaskSpan {
            span: raw.span.clone(),
            category: rule.category(),
            reveal_prefix: usize::from(rule.spec.reveal_prefix),
            tail: !crate::report::mask::NO_TAIL_RULES.contains(&rule.id()),
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

/// Values longer than this (keys, tokens, blobs) are not compared by [`spread_synthetic`]:
/// the example identifiers it is for are short, and the cap keeps its work linear in the
/// number of matches.
const SPREAD_MAX: usize = 64;

/// Normalised values shorter than this are not spread: an age or a short code repeats by
/// chance far more often than because it is the same example.
const SPREAD_MIN: usize = 6;

/// Synthetic is decided per value within an item (issue 24 §2): a value judged synthetic once
/// (the US Core example patient's MRN and birth date, in its marked FHIR resource) is
/// synthetic wherever else it appears in the same file (the resource's narrative `text.div`,
/// a README's prose). The values are compared normalised ([`synthetic_key`]) and held only in
/// this set, in memory; a value not seen in a synthetic context still counts. One pass to
/// collect, one to mark: linear in the matches.
fn spread_synthetic(text: &[u8], raws: &mut [RawMatch]) {
    if !raws.iter().any(|r| r.synthetic) || raws.iter().all(|r| r.synthetic) {
        return;
    }
    let synthetic: rustc_hash::FxHashSet<Vec<u8>> = raws
        .iter()
        .filter(|r| r.synthetic)
        .filter_map(|r| synthetic_key(&text[r.span.clone()]))
        .collect();
    for r in raws.iter_mut().filter(|r| !r.synthetic) {
        if synthetic_key(&text[r.span.clone()]).is_some_and(|k| synthetic.contains(&k)) {
            r.synthetic = true;
        }
    }
}

/// The key [`spread_synthetic`] compares a value by: a date as `YYYYMMDD` whether written
/// `1987-02-20`, `19870220` or `02/20/1987`; anything else its letters and digits, upper case
/// ([`fingerprint::normalize`]). `None` for a value too long or too short to compare.
fn synthetic_key(value: &[u8]) -> Option<Vec<u8>> {
    if value.len() > SPREAD_MAX {
        return None;
    }
    crate::work::add(value.len());
    let key = date_key(value).unwrap_or_else(|| fingerprint::normalize(value));
    (key.len() >= SPREAD_MIN).then_some(key)
}

/// `YYYYMMDD` of a date written year first (`1987-02-20`, `1987/2/20`) or month first
/// (`02/20/1987`, the US order), when the month and day are in range.
fn date_key(value: &[u8]) -> Option<Vec<u8>> {
    let groups: Vec<&[u8]> = value
        .split(|b| !b.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let num = |g: &[u8]| std::str::from_utf8(g).ok()?.parse::<u32>().ok();
    let (y, m, d) = match groups.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (num(y)?, num(m)?, num(d)?),
        [m, d, y] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    ((1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}{m:02}{d:02}").into_bytes())
}

/// Counts one finding past the listed ones into `capped` (one entry per rule, severity and
/// suppression of the item).
fn count_capped(
    capped: &mut Vec<Capped>,
    rule: &str,
    (path, rooted, item): (&Arc<str>, &Arc<str>, &Item),
    severity: crate::rules::Severity,
    suppressed: Option<Suppression>,
) {
    match capped
        .iter_mut()
        .find(|c| &*c.rule == rule && c.severity == severity && c.suppressed == suppressed)
    {
        Some(c) => c.count += 1,
        None => capped.push(Capped {
            rule: Arc::from(rule),
            path: path.clone(),
            rooted: rooted.clone(),
            commit: item.commit.clone(),
            severity,
            suppressed,
            count: 1,
        }),
    }
}

/// An item's path with the values it holds masked ([`Engine::named`]).
struct Named {
    /// The path as shown, masked.
    path: Arc<str>,
    /// The path relative to the repository root, masked (fingerprints, baselines).
    rooted: Arc<str>,
    /// The values found in the root-relative path.
    values: Vec<RawMatch>,
}

/// Where a match is, 1-based.
struct Position {
    line: u32,
    column: u32,
    end_column: u32,
    utf16_columns: (u32, u32),
    /// The line of the value's last character and the UTF-16 column past it.
    utf16_end: (u32, u32),
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

/// Positions of matches sorted by start, in one pass over the text: the line's end and the
/// UTF-16 width before a match are carried from the previous match on the same line, not
/// recounted from the line's start (a line of 40,000 SSNs made that quadratic).
fn line_numbers(text: &[u8], raws: &[RawMatch]) -> Vec<Position> {
    let mut line = 1u32;
    let mut pos = 0usize;
    let mut line_start = 0usize;
    // The current line's end, once looked for, and the UTF-16 units of `line_start..pos`.
    let mut line_end: Option<usize> = None;
    let mut before = 0u32;
    raws.iter()
        .map(|r| {
            let at = r.span.start;
            let gap = &text[pos..at];
            crate::work::add(gap.len());
            if let Some(nl) = memchr::memrchr(b'\n', gap) {
                line += memchr::memchr_iter(b'\n', gap).count() as u32;
                line_start = pos + nl + 1;
                line_end = None;
                before = utf16_len(&text[line_start..at]);
            } else {
                before += utf16_len(gap);
            }
            pos = at;
            let end_of_line = *line_end.get_or_insert_with(|| {
                let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
                crate::work::add(end - at);
                end
            });
            let end = r.span.end.min(end_of_line).max(at);
            let utf16_columns = (before + 1, before + utf16_len(&text[at..end]) + 1);
            Position {
                line,
                column: (at - line_start + 1) as u32,
                end_column: (end - line_start + 1) as u32,
                utf16_columns,
                utf16_end: value_end(text, at..r.span.end, line, utf16_columns.1),
            }
        })
        .collect()
}

/// Where the value `text[span]` ends ([`Finding::utf16_end`]): on its first line, that line
/// and `first_end`; else the line of its last character (a trailing line end is not part of
/// it) and the UTF-16 column past that character. Costs the value's length, not the line's.
fn value_end(text: &[u8], span: Range<usize>, line: u32, first_end: u32) -> (u32, u32) {
    let value = &text[span];
    let value = value.strip_suffix(b"\n").unwrap_or(value);
    let value = value.strip_suffix(b"\r").unwrap_or(value);
    match memchr::memrchr(b'\n', value) {
        None => (line, first_end),
        Some(nl) => {
            let lines = memchr::memchr_iter(b'\n', value).count() as u32;
            (line + lines, utf16_len(&value[nl + 1..]) + 1)
        }
    }
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

fn joined(h: std::thread::ScopedJoinHandle<'_, Result<Vec<Part>>>) -> Result<Vec<Part>> {
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
    repo_root: Option<&std::path::Path>,
    opts: &RunOptions,
) -> Result<Report> {
    let parts: std::sync::Mutex<Vec<Part>> = std::sync::Mutex::new(Vec::new());
    let last_batch: std::sync::Mutex<Option<Error>> = std::sync::Mutex::new(None);
    let skipped = crate::source::files::walk(roots, exclude, opts.threads, repo_root, || {
        let mut worker = FileWorker {
            engine,
            reader: Reader::new(&RepoAt::None, opts.max_file_bytes).map_err(|e| e.to_string()),
            scratch: Scratch::default(),
            batch: Batch::default(),
            parts: Vec::new(),
            into: &parts,
            failure: &last_batch,
        };
        move |job: Job| worker.visit(&job)
    })?;
    if let Some(e) = last_batch.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut report = assemble(parts.into_inner().unwrap_or_else(|p| p.into_inner()));
    report.summary.skipped += skipped;
    report.summary.excluded += skipped;
    report.notes.sort();
    Ok(report)
}

/// One walker thread's scanning for [`run_files`]. The walker has no end-of-thread call, so
/// the batch it leaves is scanned when the walker drops its visitor (before the walk
/// returns); an error there is handed over through `failure`.
struct FileWorker<'a, 'e> {
    engine: &'a Engine<'e>,
    reader: std::result::Result<Reader, String>,
    scratch: Scratch,
    batch: Batch,
    parts: Vec<Part>,
    into: &'a std::sync::Mutex<Vec<Part>>,
    failure: &'a std::sync::Mutex<Option<Error>>,
}

impl FileWorker<'_, '_> {
    fn visit(&mut self, job: &Job) -> Result<()> {
        let reader = self.reader.as_mut().map_err(|e| Error::usage(e.clone()))?;
        self.batch.load(
            self.engine,
            reader,
            &mut self.scratch,
            job,
            0,
            &mut self.parts,
        )
    }
}

impl Drop for FileWorker<'_, '_> {
    fn drop(&mut self) {
        let failure = || self.failure.lock().unwrap_or_else(|p| p.into_inner());
        // A failed walk returns its error and no report, so its last batch is not worth a scan.
        // The lock is not held during the scan, so the threads' last batches run side by side.
        let failed = failure().is_some();
        if !failed {
            let scanned = self
                .batch
                .scan(self.engine, &mut self.scratch, &mut self.parts);
            if let Err(e) = scanned {
                failure().get_or_insert(e);
            }
        }
        self.into
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .append(&mut self.parts);
    }
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

#[cfg(test)]
mod tests;
