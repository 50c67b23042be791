//! The scan loop. One Aho-Corasick pass over the added regions (plus two lines of context
//! before each, where keywords may sit) records keyword hits; each hit opens a small span in
//! which only that keyword's rules run their regex. Rules without a required keyword run only
//! on added lines that pass their digit or literal gate. No allocation per line: all buffers
//! live in a per-thread [`Scratch`].

use super::RawMatch;
use super::db::{Keyword, Rule, RuleDb, RuleIdx, Search};
use super::validators::common::{in_regions, shannon_entropy};
use super::validators::{Candidate, Verdict};
use crate::detect::structure::memo::{self, SharedWords};
use crate::error::Result;
use memchr::memchr;
use std::ops::Range;
use std::sync::Arc;

/// Lines of unchanged context before an added region in which a keyword still counts.
pub const CONTEXT_LINES: usize = 2;
/// How far before a match (same line) a keyword counts, in bytes.
pub const KEYWORD_BEFORE: usize = 48;
/// How far after a match (same line) a keyword counts, in bytes.
pub const KEYWORD_AFTER: usize = 16;

/// Switches for the scan loop.
#[derive(Debug, Clone, Copy)]
pub struct DetectOptions {
    /// Use keyword hits and line gates to pick where regexes run. Off, every rule's regex runs
    /// over every added region; results must be identical (tests check it).
    pub prefilter: bool,
    /// Threads one batch may use for its rules (`run_spans`): a large text's rules are
    /// shared out among this many, so one big file does not leave the other cores idle.
    pub threads: usize,
    /// Stop a rule in a text once it has found this many matches there: a report for people
    /// lists the first [`crate::model::LISTED_PER_RULE`] findings of a rule in a file, and a
    /// 100,000-row patient extract has blocked long before its 400,000th value. Which rules
    /// stopped where is left in [`Scratch::stopped`]; the caller decides whether the text's
    /// verdict stands without the rest ([`crate::scan::Engine`] scans it again in full when
    /// it does not). `None` (the default): every match is found.
    pub stop_after: Option<usize>,
}

impl Default for DetectOptions {
    fn default() -> DetectOptions {
        DetectOptions {
            prefilter: true,
            threads: 1,
            stop_after: None,
        }
    }
}

/// Span bytes a batch must hold before its rules are run on several threads: below this,
/// starting a thread and opening its structure memos costs more than it saves.
const PARALLEL_SPAN_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    pattern: u32,
}

/// Per-thread buffers, reused from batch to batch.
#[derive(Debug, Default)]
pub struct Scratch {
    context: Vec<Range<usize>>,
    gate: GateScratch,
    /// The hits and spans of each text of the batch.
    texts: Vec<TextSpans>,
    /// Every span of the batch as `(rule, text, start, end)`, sorted: rule by rule.
    order: Vec<(RuleIdx, u32, usize, usize)>,
    /// Other threads of the run scan batches of their own ([`Scratch::sole_scanner`]).
    others_scanning: bool,
    /// `(text, rule)`: where the last [`find_each`] stopped a rule
    /// ([`DetectOptions::stop_after`]), sorted, each once.
    stopped: Vec<(u32, RuleIdx)>,
}

impl Scratch {
    /// Says whether this thread is the run's only scanning thread (the default). A dense
    /// text's short spans are shared out among threads only then: beside other workers,
    /// helpers would take cores that are busy, and hold structure memos of their own (a
    /// history of built bundles and coverage reports peaked at 176 MiB instead of 127).
    pub fn sole_scanner(&mut self, sole: bool) {
        self.others_scanning = !sole;
    }

    /// Whether this thread is the run's only scanning thread ([`Scratch::sole_scanner`]): a
    /// dense item's work may then be shared with a helper thread.
    pub fn is_sole_scanner(&self) -> bool {
        !self.others_scanning
    }

    /// The rules the last [`find_each`] stopped in its `text`-th target before they had
    /// found every match ([`DetectOptions::stop_after`]): that text may hold more of them.
    pub fn stopped(&self, text: usize) -> impl Iterator<Item = RuleIdx> + '_ {
        let lo = self.stopped.partition_point(|&(t, _)| (t as usize) < text);
        self.stopped[lo..]
            .iter()
            .take_while(move |&&(t, _)| t as usize == text)
            .map(|&(_, rule)| rule)
    }
}

/// The keyword hits and rule spans of one text.
#[derive(Debug, Default)]
struct TextSpans {
    hits: Vec<Hit>,
    spans: Vec<(RuleIdx, usize, usize)>,
}

/// Buffers of [`gated_spans`].
#[derive(Debug, Default)]
struct GateScratch {
    rules: Vec<RuleIdx>,
    lines: Vec<GatedLine>,
    /// For each of `rules`: an earlier rule with the same gate ([`same_gate`]), if any.
    twins: Vec<Option<RuleIdx>>,
}

/// One text to scan: the `regions` of `text` (sorted, disjoint byte ranges that start at
/// line starts), from the file at `path`.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The whole text (keywords may sit in the lines before a region).
    pub text: &'a [u8],
    /// What the change adds.
    pub regions: &'a [Range<usize>],
    /// The file's path (rules and validators read it).
    pub path: &'a str,
}

/// Finds every validated match in the `regions` of `text` (sorted, disjoint byte ranges that
/// start at line starts) and appends them to `out`.
///
/// # Errors
///
/// When a rule's pattern does not compile (only possible for packs that were not checked).
pub fn find(
    db: &RuleDb,
    text: &[u8],
    regions: &[Range<usize>],
    path: &str,
    opts: DetectOptions,
    scratch: &mut Scratch,
    out: &mut Vec<RawMatch>,
) -> Result<()> {
    let target = Target {
        text,
        regions,
        path,
    };
    find_each(db, &[target], opts, scratch, std::slice::from_mut(out))
}

/// [`find`] for a batch of texts: the matches of `targets[i]` are appended to `outs[i]`,
/// exactly as [`find`] would append them.
///
/// Why batches: the keyword pass is per text, but the rules then run rule by rule over the
/// spans of *all* the texts. A rule's lazy DFA and captures engine are then still in the CPU
/// caches for its next span; text by text, some 150 other rules run between two spans of
/// one rule, and a regex search costs ~3× more on a cold cache (a generic-token capture
/// over its 877 spans of the corpus change: 5.7 µs per span back to back, 18.6 µs with
/// every other rule run in between; measured outside the crate with regex-automata).
///
/// # Errors
///
/// As [`find`].
///
/// # Panics
///
/// When `targets` and `outs` differ in length.
pub fn find_each(
    db: &RuleDb,
    targets: &[Target<'_>],
    opts: DetectOptions,
    scratch: &mut Scratch,
    outs: &mut [Vec<RawMatch>],
) -> Result<()> {
    assert_eq!(targets.len(), outs.len(), "one output per target");
    let texts: Vec<&[u8]> = targets.iter().map(|t| t.text).collect();
    // Line filters (`csv_row`) and validators walk the same structures over and over; they
    // remember what they found for each text while the batch is scanned.
    crate::detect::structure::memo::remembering_all(&texts, || {
        let head = match (targets, &mut *outs) {
            ([target], [out]) if opts.prefilter && opts.stop_after.is_some() => {
                head_of(target).map(|halves| (*target, out, halves))
            }
            _ => None,
        };
        let mut stopped = match head {
            Some((target, out, (head, rest))) => {
                find_head_first(db, target, &head, &rest, opts, scratch, out)?
            }
            None => find_in(db, targets, opts, scratch, outs, &Spent::default())?,
        };
        stopped.sort_unstable();
        stopped.dedup();
        scratch.stopped = stopped;
        Ok(())
    })
}

/// [`find_in`] for one large text with a limit: its `head` regions first, then the `rest`
/// without the rules that stopped in the head, which are neither planned (their line gates,
/// keyword spans) nor run there again (a 50,000-resource NDJSON export stops eight rules in
/// its first 512 KiB, and planning them over 18 MB was a third of its scan); the others go on
/// with what they found in the head.
fn find_head_first(
    db: &RuleDb,
    target: Target<'_>,
    head: &[Range<usize>],
    rest: &[Range<usize>],
    opts: DetectOptions,
    scratch: &mut Scratch,
    out: &mut Vec<RawMatch>,
) -> Result<Vec<(u32, RuleIdx)>> {
    #[cfg(test)]
    HEAD_SPLITS.with(|n| n.set(n.get() + 1));
    let part = |regions| Target { regions, ..target };
    let one = std::slice::from_mut(out);
    let mut stopped = find_in(db, &[part(head)], opts, scratch, one, &Spent::default())?;
    let mut spent = Spent {
        skip: stopped.iter().map(|&(_, rule)| rule).collect(),
        found: Found::new(),
    };
    spent.skip.sort_unstable();
    spent.skip.dedup();
    for m in out.iter().filter(|m| counts_toward_limit(m)) {
        *spent.found.entry((m.rule, 0)).or_insert(0) += 1;
    }
    let mut more = Vec::new();
    let rest_out = std::slice::from_mut(&mut more);
    stopped.extend(find_in(db, &[part(rest)], opts, scratch, rest_out, &spent)?);
    out.append(&mut more);
    Ok(stopped)
}

/// Whether a match counts toward its rule's limit ([`DetectOptions::stop_after`]): values
/// with a synthetic-data marker do not (a generated fixture would never block, and be
/// scanned twice).
fn counts_toward_limit(m: &RawMatch) -> bool {
    !m.synthetic
}

/// Bytes of a text's head scanned on their own when rules may stop
/// ([`DetectOptions::stop_after`]): enough for a dense file's rules to find their share.
const HEAD_BYTES: usize = 512 << 10;

/// The regions of `target` cut at the first line start past [`HEAD_BYTES`] into a head and
/// the rest, when the rest holds at least three times as many bytes.
fn head_of(target: &Target<'_>) -> Option<Halves> {
    let bytes: usize = target.regions.iter().map(ExactSizeIterator::len).sum();
    if bytes < 4 * HEAD_BYTES {
        return None;
    }
    let cut = middle_line_start(target.text, target.regions, HEAD_BYTES)?;
    Some(split_at(target.regions, cut))
}

/// Regions cut in two: those before a point and those after it ([`split_at`]).
type Halves = (Vec<Range<usize>>, Vec<Range<usize>>);

/// What earlier work on a text left for [`find_in`]: the rules that stopped (sorted), and
/// the matches each rule found, by `(rule, text)` ([`Budget`]).
#[derive(Debug, Default)]
struct Spent {
    skip: Vec<RuleIdx>,
    found: Found,
}

/// [`find_each`] within its structure memos, leaving out the rules `spent` says stopped.
/// Returns where a rule was stopped ([`DetectOptions::stop_after`]) as `(text, rule)`.
fn find_in(
    db: &RuleDb,
    targets: &[Target<'_>],
    opts: DetectOptions,
    scratch: &mut Scratch,
    outs: &mut [Vec<RawMatch>],
    spent: &Spent,
) -> Result<Vec<(u32, RuleIdx)>> {
    if scratch.texts.len() < targets.len() {
        scratch.texts.resize_with(targets.len(), TextSpans::default);
    }
    scratch.order.clear();
    for (i, &target) in targets.iter().enumerate() {
        let spans = &mut scratch.texts[i];
        plan(
            db,
            target,
            opts,
            &spent.skip,
            &mut scratch.context,
            &mut scratch.gate,
            spans,
        );
        let i = u32::try_from(i).expect("a batch holds fewer than 2^32 texts");
        scratch
            .order
            .extend(spans.spans.iter().map(|&(rule, s, e)| (rule, i, s, e)));
    }
    scratch.order.sort_unstable();
    run_spans(db, targets, opts, scratch, outs, &spent.found)
}

/// The keyword hits of one text and the spans where its rules run.
fn plan(
    db: &RuleDb,
    target: Target<'_>,
    opts: DetectOptions,
    skip: &[RuleIdx],
    context: &mut Vec<Range<usize>>,
    gate: &mut GateScratch,
    out: &mut TextSpans,
) {
    let Target {
        text,
        regions,
        path,
    } = target;
    out.hits.clear();
    out.spans.clear();
    if regions.is_empty() {
        return;
    }
    extend_regions(text, regions, context);
    if opts.prefilter && plan_shared(db, target, opts, skip, context, out) {
        return;
    }
    collect_hits(db, text, context, &mut out.hits);
    if opts.prefilter {
        keyword_spans(db, text, path, skip, &out.hits, &mut out.spans);
        gated_spans(db, text, regions, path, skip, gate, &mut out.spans);
    } else {
        every_span(db, text, context, regions, path, &mut out.spans);
    }
}

/// [`plan`] of a text with [`PARALLEL_SPAN_BYTES`] of context or more, on two threads: the
/// context and the regions are cut at a line start near the middle and each half is planned
/// on a thread of its own (a patient extract's keyword hits and gated lines were a sixth of
/// its scan, on one thread while the other waited). The halves' hits put together are the
/// text's hits, since no keyword holds a newline and so none straddles the cut; their spans
/// are the text's spans once [`merged_spans`] has merged those of one rule that touch (a run
/// of gated lines cut in two). Returns false, having done nothing, when the text does not
/// qualify or has no line start to cut at.
fn plan_shared(
    db: &RuleDb,
    target: Target<'_>,
    opts: DetectOptions,
    skip: &[RuleIdx],
    context: &[Range<usize>],
    out: &mut TextSpans,
) -> bool {
    let Target {
        text,
        regions,
        path,
    } = target;
    let bytes: usize = context.iter().map(ExactSizeIterator::len).sum();
    if opts.threads < 2 || bytes < PARALLEL_SPAN_BYTES || db.keywords_cross_lines() {
        return false;
    }
    let Some(cut) = middle_line_start(text, context, bytes / 2) else {
        return false;
    };
    let (context, regions) = (split_at(context, cut), split_at(regions, cut));
    let half = |context: &[Range<usize>], regions: &[Range<usize>]| {
        let mut spans = TextSpans::default();
        collect_hits(db, text, context, &mut spans.hits);
        keyword_spans(db, text, path, skip, &spans.hits, &mut spans.spans);
        gated_spans(
            db,
            text,
            regions,
            path,
            skip,
            &mut GateScratch::default(),
            &mut spans.spans,
        );
        spans
    };
    let _helper = Helpers::claim(1, opts.threads - 1);
    let (first, second) = std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            let second = memo::remembering_all(&[text], || half(&context.1, &regions.1));
            (second, crate::work::handed_back())
        });
        let first = half(&context.0, &regions.0);
        match helper.join() {
            Ok((second, work)) => {
                crate::work::add(work as usize);
                (first, second)
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    for part in [first, second] {
        out.hits.extend(part.hits);
        out.spans.extend(part.spans);
    }
    true
}

/// The first line start at or after the `nth` byte of `ranges` (counted through them in
/// order) that lies inside one of them, not at its start.
fn middle_line_start(text: &[u8], ranges: &[Range<usize>], nth: usize) -> Option<usize> {
    let mut seen = 0;
    for r in ranges {
        if seen + r.len() > nth {
            let from = r.start + (nth - seen);
            return memchr(b'\n', &text[from..r.end])
                .map(|i| from + i + 1)
                .filter(|&at| at < r.end);
        }
        seen += r.len();
    }
    None
}

/// `ranges` (sorted, disjoint) cut at `at`: those before it, and those after it (a range
/// holding `at` in both, cut there).
fn split_at(ranges: &[Range<usize>], at: usize) -> Halves {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for r in ranges {
        if r.end <= at {
            before.push(r.clone());
        } else if r.start >= at {
            after.push(r.clone());
        } else {
            before.push(r.start..at);
            after.push(at..r.end);
        }
    }
    (before, after)
}

/// Runs each rule over its merged spans, text by text within a rule.
///
/// A batch with at least [`PARALLEL_SPAN_BYTES`] of spans, some long enough to be cut
/// into [`pieces`] (a patient extract: a few rules, each over the whole text), or with one
/// text of at least that many bytes of spans (20,000 HL7 messages, a bundle's patients) while
/// no other thread of the run scans ([`Scratch::sole_scanner`]), is shared out among
/// [`DetectOptions::threads`] threads ([`run_spans_shared`]); the output is exactly the
/// one-thread output.
/// Returns where a rule was stopped ([`DetectOptions::stop_after`]) as `(text, rule)`.
fn run_spans(
    db: &RuleDb,
    targets: &[Target<'_>],
    opts: DetectOptions,
    scratch: &Scratch,
    outs: &mut [Vec<RawMatch>],
    spent: &Found,
) -> Result<Vec<(u32, RuleIdx)>> {
    let groups = merged_spans(&scratch.order);
    let bytes: usize = groups.iter().map(|&(_, _, s, e)| e - s).sum();
    let pieces = if opts.threads < 2 || bytes < PARALLEL_SPAN_BYTES {
        Vec::new()
    } else {
        pieces(db, targets, opts, &groups)
    };
    // Pieces cut from long spans are shared out; so are the short spans of one dense text
    // (a bundle's 8,000 patients, 20,000 HL7 messages), taken by stretches of the text, when
    // no other thread of the run is scanning. A batch of many small files is not: its run's
    // other workers have the other cores.
    let shared = pieces.len() > groups.len()
        || (pieces.len() >= 2 && !scratch.others_scanning && dense_text(&groups, targets.len()));
    if !shared {
        let mut budget = Budget::new(opts.stop_after, spent);
        // A rule another worker is compiling waits, with all its spans, until the rules
        // after it have run: the workers start on their first batches together, in the same
        // rule order, and each waited for the other's compiling (a staged change of 2,000
        // files: 9.6 ms of 22 ms of compiling). Matches of one rule keep their order, and
        // those of different rules are sorted by position later.
        let mut later: Vec<usize> = Vec::new();
        // Runs group `k` within the rule's budget in its text.
        let mut run = |k: usize, budget: &mut Budget| -> Result<()> {
            let (rule, t, start, end) = groups[k];
            let Some(left) = budget.left(rule, t) else {
                return Ok(());
            };
            let ctx = ctx(db, targets, opts, scratch, t as usize);
            let span = start..end;
            let found = run_rule(&ctx, rule, span.clone(), span, left, &mut outs[t as usize])?;
            budget.spend(rule, t, found);
            Ok(())
        };
        for (k, &(rule, ..)) in groups.iter().enumerate() {
            let deferred = later.last().is_some_and(|&l| groups[l].0 == rule);
            if deferred || db.rule(rule).compiling_elsewhere() {
                #[cfg(test)]
                DEFERRED_SPANS.with(|n| n.set(n.get() + 1));
                later.push(k);
                continue;
            }
            run(k, &mut budget)?;
        }
        for k in later {
            run(k, &mut budget)?;
        }
        return Ok(budget.stopped);
    }
    #[cfg(test)]
    SHARED_RUNS.with(|n| n.set(n.get() + 1));
    let (found, stopped) = run_spans_shared(db, targets, opts, scratch, &groups, &pieces, spent)?;
    for (t, found) in found {
        if outs[t].is_empty() {
            outs[t] = found;
        } else {
            outs[t].extend(found);
        }
    }
    Ok(stopped)
}

/// Matches found by `(rule, text)` ([`Budget`]).
type Found = std::collections::HashMap<(RuleIdx, u32), usize>;

/// What each rule may still find in each text ([`DetectOptions::stop_after`]), and where a
/// rule has been stopped.
struct Budget {
    limit: Option<usize>,
    /// Matches found so far by `(rule, text)`.
    found: Found,
    /// `(text, rule)` stopped (each may be listed more than once).
    stopped: Vec<(u32, RuleIdx)>,
}

impl Budget {
    /// A budget of `limit` matches per rule and text, of which `spent` are found already.
    fn new(limit: Option<usize>, spent: &Found) -> Budget {
        Budget {
            limit,
            found: if limit.is_some() {
                spent.clone()
            } else {
                Found::new()
            },
            stopped: Vec::new(),
        }
    }

    /// How many more matches `rule` may find in text `t` (`usize::MAX`: no limit); `None`
    /// when it has found its share there, which stops it.
    fn left(&mut self, rule: RuleIdx, t: u32) -> Option<usize> {
        let Some(limit) = self.limit else {
            return Some(usize::MAX);
        };
        let found = self.found.get(&(rule, t)).copied().unwrap_or(0);
        if found >= limit {
            self.stop(rule, t);
            return None;
        }
        Some(limit - found)
    }

    /// Notes that `rule` stopped in text `t` (once for a run of its spans there).
    fn stop(&mut self, rule: RuleIdx, t: u32) {
        if self.stopped.last() != Some(&(t, rule)) {
            self.stopped.push((t, rule));
        }
    }

    /// `rule` found `n` more matches in text `t`.
    fn spend(&mut self, rule: RuleIdx, t: u32, n: usize) {
        let Some(limit) = self.limit else {
            return;
        };
        if n == 0 {
            return;
        }
        let total = self.found.entry((rule, t)).or_insert(0);
        *total += n;
        // Reached on this span, which may have held more: stopped here.
        if *total >= limit {
            self.stop(rule, t);
        }
    }
}

/// Whether one text of `groups` has at least [`PARALLEL_SPAN_BYTES`] of spans.
fn dense_text(groups: &[(RuleIdx, u32, usize, usize)], texts: usize) -> bool {
    let mut per_text = vec![0usize; texts];
    groups.iter().any(|&(_, t, start, end)| {
        let bytes = &mut per_text[t as usize];
        *bytes += end - start;
        *bytes >= PARALLEL_SPAN_BYTES
    })
}

/// Helper threads [`run_spans_shared`] has started and not yet seen finish, in this process.
static HELPERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Helper threads claimed for one shared-out batch, given back when dropped.
struct Helpers {
    count: usize,
}

impl Helpers {
    /// Up to `want` helpers while fewer than `limit` run in the process, and always one: a
    /// batch shared out has at least two threads, and the total stays within one helper per
    /// scanning thread (twice the cores) even when every worker meets a dense file at once.
    fn claim(want: usize, limit: usize) -> Helpers {
        use std::sync::atomic::Ordering;
        let mut count = 0;
        let _ = HELPERS.fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
            count = grant(want, limit, running);
            Some(running + count)
        });
        Helpers { count }
    }
}

/// How many of `want` helpers a batch gets while `running` run and `limit` may: what is
/// left of the limit, and at least one.
fn grant(want: usize, limit: usize, running: usize) -> usize {
    want.min(limit.saturating_sub(running)).max(1)
}

impl Drop for Helpers {
    fn drop(&mut self) {
        HELPERS.fetch_sub(self.count, std::sync::atomic::Ordering::AcqRel);
    }
}

#[cfg(test)]
thread_local! {
    /// Batches this thread shared out among threads (tests: the shared path was taken).
    pub(crate) static SHARED_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Texts scanned head first ([`head_of`]; tests: that path was taken).
    pub(crate) static HEAD_SPLITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Spans of a rule another thread was compiling, run after the others.
    static DEFERRED_SPANS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `order`'s spans with the overlapping spans of one rule in one text merged.
fn merged_spans(order: &[(RuleIdx, u32, usize, usize)]) -> Vec<(RuleIdx, u32, usize, usize)> {
    let mut groups: Vec<(RuleIdx, u32, usize, usize)> = Vec::new();
    for &(rule, t, start, end) in order {
        match groups.last_mut() {
            Some(last) if last.0 == rule && last.1 == t && start <= last.3 => {
                last.3 = last.3.max(end);
            }
            _ => groups.push((rule, t, start, end)),
        }
    }
    groups
}

fn ctx<'a>(
    db: &'a RuleDb,
    targets: &[Target<'a>],
    opts: DetectOptions,
    scratch: &'a Scratch,
    t: usize,
) -> Ctx<'a> {
    let target = targets[t];
    Ctx {
        db,
        text: target.text,
        regions: target.regions,
        path: target.path,
        hits: &scratch.texts[t].hits,
        prefilter: opts.prefilter,
    }
}

/// A merged span of a [`Compiled::line_bound`](super::db::Compiled::line_bound) rule
/// longer than this is searched in pieces of about this size, cut at line starts.
const PIECE_BYTES: usize = 256 << 10;

/// Stretches of a shared-out batch per thread ([`run_spans_shared`]): enough that the
/// threads end together, few enough that each memo is opened for a long stretch of text.
const STRETCHES_PER_THREAD: usize = 4;

/// `groups` as `(group, start, end)` pieces, in group then position order: the merged span
/// of a [`Compiled::line_bound`](super::db::Compiled::line_bound) rule of at least twice
/// [`PIECE_BYTES`] is cut at the first line start past each [`PIECE_BYTES`], every other
/// span is one piece.
fn pieces(
    db: &RuleDb,
    targets: &[Target<'_>],
    opts: DetectOptions,
    groups: &[(RuleIdx, u32, usize, usize)],
) -> Vec<(usize, usize, usize)> {
    let mut pieces = Vec::new();
    for (g, &(rule, t, start, end)) in groups.iter().enumerate() {
        let text = targets[t as usize].text;
        // A span its rule's byte gate rules out stays whole: run_rule finds so once, where
        // each piece would look through the whole span again.
        let split = end - start >= 2 * PIECE_BYTES
            && db.rule(rule).compiled().is_ok_and(|c| c.line_bound)
            && !gated_out(opts.prefilter, db.rule(rule), &text[start..end]);
        let mut at = start;
        while split && end - at >= 2 * PIECE_BYTES {
            match memchr(b'\n', &text[at + PIECE_BYTES..end]) {
                Some(i) => {
                    let cut = at + PIECE_BYTES + i + 1;
                    pieces.push((g, at, cut));
                    at = cut;
                }
                None => break,
            }
        }
        pieces.push((g, at, end));
    }
    pieces
}

/// How many stretches [`stretch_of`] cuts a batch into for `n` of equal bytes: the last two
/// of those are cut in four each.
fn stretches(n: usize) -> usize {
    if n > TAIL_STRETCHES {
        n + TAIL_STRETCHES * (TAIL_CUT - 1)
    } else {
        n
    }
}

/// The stretches at the end of a batch that [`stretch_of`] cuts smaller, and in how many.
const TAIL_STRETCHES: usize = 2;
const TAIL_CUT: usize = 4;

/// The stretch of a piece that starts `seen` bytes into a batch of `total`, for `n` stretches
/// of equal bytes ([`stretches`]). The last two are cut in four: a stretch's cost is not its
/// bytes (one with a FHIR rule's whole span costs three of the others), and the thread that
/// took the last one kept the others waiting for most of a stretch (a 50,000-resource NDJSON
/// export: 93 ms of 0.6 s); with quarter stretches at the end they finish together.
fn stretch_of(seen: usize, total: usize, n: usize) -> usize {
    let total = total.max(1);
    let x = seen * n;
    if n <= TAIL_STRETCHES {
        return (x / total).min(n - 1);
    }
    let even = (n - TAIL_STRETCHES) * total;
    if x < even {
        x / total
    } else {
        ((n - TAIL_STRETCHES) + (x - even) * TAIL_CUT / total).min(stretches(n) - 1)
    }
}

/// [`run_spans`] on [`DetectOptions::threads`] threads, this one included.
///
/// Spans of rules whose matches never cross a line start are cut into pieces at line starts
/// (searched with the whole span as haystack, so every look-around sees what it saw). The
/// pieces, by text and position, are cut into [`STRETCHES_PER_THREAD`] stretches of about
/// equal bytes per thread, which the threads take in turn as each finishes one: a thread
/// scans a stretch of the text for every rule, so the structure memos it opens (a CSV row's
/// header, a JSON object's bounds) are not made again by the other threads, and a stretch
/// dearer than its bytes say (the FHIR rules' whole spans, with their validators) no longer
/// keeps the others waiting. Each piece's matches are kept apart and come back in span and
/// position order, with the index of their text.
fn run_spans_shared(
    db: &RuleDb,
    targets: &[Target<'_>],
    opts: DetectOptions,
    scratch: &Scratch,
    groups: &[(RuleIdx, u32, usize, usize)],
    pieces: &[(usize, usize, usize)],
    spent: &Found,
) -> Result<SharedFound> {
    // Stretches: the pieces by (text, position), cut into runs of about equal bytes.
    let mut by_place: Vec<usize> = (0..pieces.len()).collect();
    by_place.sort_by_key(|&p| (groups[pieces[p].0].1, pieces[p].1, p));
    let total: usize = pieces.iter().map(|&(_, s, e)| e - s).sum();
    // Helper threads are counted process-wide: every worker of a run may meet a dense file
    // at once, and each starting `threads - 1` helpers would be threads squared on a server.
    let helpers = Helpers::claim(opts.threads.min(pieces.len()) - 1, opts.threads - 1);
    let threads = helpers.count + 1;
    let n = (threads * STRETCHES_PER_THREAD).min(pieces.len());
    let mut lanes: Vec<Vec<usize>> = vec![Vec::new(); stretches(n)];
    let mut seen = 0;
    for p in by_place {
        lanes[stretch_of(seen, total, n)].push(p);
        seen += pieces[p].2 - pieces[p].1;
    }
    lanes.retain(|lane| !lane.is_empty());
    // Within a stretch the pieces stay in place order: every rule over one run of text
    // before the next, so the structure memos its candidates fill (its objects, resources,
    // lines) are still in the CPU caches when the next rule's candidates ask about them.
    // Rule by rule, each rule's validators walked the memos of the whole lane again (a
    // 50,000-resource NDJSON extract: 3.5 % more CPU); a rule's automata stay warm across
    // 256 KiB pieces.
    type Scanned = Result<(Vec<RawMatch>, Vec<usize>, Vec<(u32, RuleIdx)>)>;
    // Each stretch's matches in one list, how many each of its pieces found, and where a
    // rule stopped. A stretch stops a rule on its own ([`DetectOptions::stop_after`]): the
    // first stretch of a text then finds that text's first matches, whatever the threads did.
    let scan_lane = |lane: &[usize]| -> Scanned {
        let (mut found, mut counts) = (Vec::new(), Vec::with_capacity(lane.len()));
        let mut budget = Budget::new(opts.stop_after, spent);
        for &p in lane {
            let (g, from, to) = pieces[p];
            let (rule, t, start, end) = groups[g];
            let before = found.len();
            if let Some(left) = budget.left(rule, t) {
                let ctx = ctx(db, targets, opts, scratch, t as usize);
                let n = run_rule(&ctx, rule, start..end, from..to, left, &mut found)?;
                budget.spend(rule, t, n);
            }
            counts.push(found.len() - before);
        }
        Ok((found, counts, budget.stopped))
    };
    let slots: Vec<std::sync::OnceLock<Scanned>> =
        lanes.iter().map(|_| std::sync::OnceLock::new()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Takes the next stretch no thread has taken until none is left.
    let take_stretches = || {
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(lane) = lanes.get(k) else {
                break;
            };
            let _ = slots[k].set(scan_lane(lane));
        }
    };
    let texts: Vec<&[u8]> = targets.iter().map(|t| t.text).collect();
    let words: Vec<Arc<SharedWords>> = texts.iter().map(|_| Arc::default()).collect();
    let share = || {
        for (text, words) in texts.iter().zip(&words) {
            memo::share_words(text, words);
        }
    };
    share();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| {
                let (texts, share, take_stretches) = (&texts, &share, &take_stretches);
                scope.spawn(move || {
                    memo::remembering_all(texts, || {
                        share();
                        take_stretches();
                    });
                    crate::work::handed_back()
                })
            })
            .collect();
        take_stretches();
        for helper in helpers {
            match helper.join() {
                Ok(work) => crate::work::add(work as usize),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let scanned = slots
        .into_iter()
        .map(|slot| slot.into_inner().expect("every stretch is taken once"));
    // Put back in piece order: each stretch ran its pieces in place order.
    let mut by_piece: Vec<Vec<RawMatch>> = vec![Vec::new(); pieces.len()];
    let mut stopped = Vec::new();
    for (lane, scanned) in lanes.iter().zip(scanned) {
        let (matches, counts, lane_stopped) = scanned?;
        stopped.extend(lane_stopped);
        let mut matches = matches.into_iter();
        for (&p, n) in lane.iter().zip(counts) {
            by_piece[p] = matches.by_ref().take(n).collect();
        }
    }
    // Each text's matches in one list, allocated at its size: grown by doubling, a dense
    // file's 250,000 matches were copied and paged in again at every step.
    let text_of = |p: usize| groups[pieces[p].0].1 as usize;
    let mut out: Vec<(usize, Vec<RawMatch>)> = Vec::new();
    let mut p = 0;
    while p < by_piece.len() {
        let t = text_of(p);
        let end = (p..by_piece.len())
            .find(|&q| text_of(q) != t)
            .unwrap_or(by_piece.len());
        let mut list = Vec::with_capacity(by_piece[p..end].iter().map(Vec::len).sum());
        for found in &mut by_piece[p..end] {
            list.append(found);
        }
        out.push((t, list));
        p = end;
    }
    Ok((out, stopped))
}

/// What [`run_spans_shared`] found: each text's matches with the text's index, and where a
/// rule stopped as `(text, rule)`.
type SharedFound = (Vec<(usize, Vec<RawMatch>)>, Vec<(u32, RuleIdx)>);

/// Start of the line holding `offset` (far starts from the text's newline index).
fn line_start(text: &[u8], offset: usize) -> usize {
    crate::detect::structure::memo::prev_newline(text, offset).map_or(0, |i| i + 1)
}

/// Start of the line `n` lines before the line starting at `start`.
fn lines_back(text: &[u8], mut start: usize, n: usize) -> usize {
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = line_start(text, start - 1);
    }
    start
}

/// End (past the newline) of the line `n` lines after the one holding `offset`.
fn lines_forward(text: &[u8], mut offset: usize, n: u32) -> usize {
    for _ in 0..=n {
        match crate::detect::structure::memo::next_newline(text, offset) {
            Some(i) => offset = i + 1,
            None => return text.len(),
        }
    }
    offset
}

fn extend_regions(text: &[u8], regions: &[Range<usize>], out: &mut Vec<Range<usize>>) {
    out.clear();
    for r in regions {
        let start = lines_back(text, r.start, CONTEXT_LINES);
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(start..r.end),
        }
    }
}

/// Whether a keyword hit stands at a word boundary. Short keywords (`ssn`, `tin`, `dob`) must
/// not start inside a word (`setting`, `adobe`) nor run on into a lowercase word (`tinder`);
/// a camel-case hump (`patientSsn`, `ssnValue`) and an upper-case token (`AKIA...`) are
/// fine. A dotted numeric keyword (an OID such as `2.16.840.1.113883.4.1`) must not run on
/// into more digits on either side, so `.4.1` never counts inside `.4.10`; a base64 or hex
/// fragment that starts with a digit (`414b4941`, the hex of `AKIA`) stands among the digits
/// of its encoded value.
fn keyword_boundary_ok(text: &[u8], start: usize, end: usize, keyword: &Keyword) -> bool {
    let first = text[start];
    let last = text[end - 1];
    let prev = start.checked_sub(1).map(|i| text[i]);
    let next = text.get(end).copied();
    if keyword.numeric {
        let digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
        if digit(prev) || (last.is_ascii_digit() && digit(next)) {
            return false;
        }
    }
    if !keyword.needs_boundary {
        return true;
    }
    let prev_ok = !first.is_ascii_alphabetic()
        || match prev {
            Some(p) if p.is_ascii_alphabetic() => {
                p.is_ascii_lowercase() && first.is_ascii_uppercase()
            }
            _ => true,
        };
    let next_ok = !last.is_ascii_alphabetic() || !next.is_some_and(|n| n.is_ascii_lowercase());
    prev_ok && next_ok
}

fn collect_hits(db: &RuleDb, text: &[u8], context: &[Range<usize>], hits: &mut Vec<Hit>) {
    hits.clear();
    let Some(ac) = db.automaton() else {
        return;
    };
    for range in context {
        ac.for_each_match(&text[range.clone()], |start, end, pattern| {
            let (start, end) = (range.start + start, range.start + end);
            if keyword_boundary_ok(text, start, end, db.keyword(pattern as usize)) {
                hits.push(Hit {
                    start,
                    end,
                    pattern,
                });
            }
        });
    }
    // Matches come in no particular order; `keyword_near` binary-searches by start.
    hits.sort_unstable_by_key(|h| (h.start, h.end));
}

/// The spans keyword hits open for the rules that need a keyword: from the start of the
/// hit's line to the end of the rule's `span_lines`-th line after it.
///
/// A rule's span from a hit that starts inside the one it got last is merged into it here,
/// as [`merged_spans`] would merge it (spans of one rule that overlap or touch): hits come
/// in text order, and a line of a dense file has several (`phone`, `address`, `line`,
/// `postalCode` on every line of a FHIR NDJSON export), each of which pushed one span per
/// rule to be sorted and merged again — half a million hits and a sort of a million spans
/// on one thread. A hit on the line of the one before shares its line's ends.
fn keyword_spans(
    db: &RuleDb,
    text: &[u8],
    path: &str,
    skip: &[RuleIdx],
    hits: &[Hit],
    spans: &mut Vec<(RuleIdx, usize, usize)>,
) {
    // Where each rule's last span is in `spans` (index by rule).
    let mut last: Vec<Option<usize>> = Vec::new();
    // The line of the hit before (past its newline), and its ends `n` lines on, as asked.
    let mut line: Range<usize> = 0..0;
    let mut ends: Vec<(u32, usize)> = Vec::new();
    let generated = crate::source::generated_path(path);
    for hit in hits {
        if !line.contains(&hit.start) {
            let start = line_start(text, hit.start);
            let end = crate::detect::structure::memo::next_newline(text, hit.start)
                .map_or(text.len(), |i| i + 1);
            line = start..end;
            ends.clear();
        }
        let start = line.start;
        for &idx in &db.keyword(hit.pattern as usize).rules {
            let rule = db.rule(idx);
            if !(rule.keyword_required() && rule.applies_to_known(path, generated))
                || skip.binary_search(&idx).is_ok()
            {
                continue;
            }
            let n = rule.span_lines();
            let end = match ends.iter().find(|&&(k, _)| k == n) {
                Some(&(_, end)) => end,
                None => {
                    let end = lines_forward(text, hit.start, n);
                    ends.push((n, end));
                    end
                }
            };
            let r = idx.0 as usize;
            if last.len() <= r {
                last.resize(r + 1, None);
            }
            match last[r] {
                Some(i) if start <= spans[i].2 => spans[i].2 = spans[i].2.max(end),
                _ => {
                    last[r] = Some(spans.len());
                    spans.push((idx, start, end));
                }
            }
        }
    }
}

/// An added line that some keyword-less rule may want.
#[derive(Debug, Clone, Copy)]
struct GatedLine {
    start: usize,
    /// Past the newline.
    end: usize,
    digits: u32,
    /// Whether the line holds a byte of the digitless rules' gate ([`DigitlessGate`]).
    gate_hit: bool,
}

/// Which lines without a digit the keyword-less rules can use. Most added lines have none
/// (85 % of `tree/`), and only a rule with `min_digits = 0` looks at them: today the e-mail
/// rule, gated on `@`. So a digitless line is kept only when it holds a gate byte, which one
/// `memchr` over the region finds, instead of one search per line per rule.
#[derive(Debug, Default)]
struct DigitlessGate {
    /// Some rule with `min_digits = 0` applies.
    wanted: bool,
    /// Such a rule has no line gate: every digitless line is kept.
    every_line: bool,
    /// The union of those rules' gate bytes (at most three: more are searched line by line).
    bytes: Vec<u8>,
}

impl DigitlessGate {
    fn new(db: &RuleDb, rules: &[RuleIdx]) -> DigitlessGate {
        let mut gate = DigitlessGate::default();
        for &idx in rules {
            let spec = &db.rule(idx).spec;
            if spec.min_digits > 0 {
                continue;
            }
            gate.wanted = true;
            match spec.line_gate.as_deref() {
                Some(g) if !g.is_empty() => gate.bytes.extend_from_slice(g.as_bytes()),
                _ => gate.every_line = true,
            }
        }
        gate.bytes.sort_unstable();
        gate.bytes.dedup();
        gate
    }

    /// Whether a rule whose gate is `set` may take `gate_hit` for its own test.
    fn is(&self, set: &[u8]) -> bool {
        !self.every_line
            && self.bytes.len() <= 3
            && set.iter().all(|b| self.bytes.contains(b))
            && self.bytes.iter().all(|b| set.contains(b))
    }
}

/// The first offset at or after `from` in `text[..end]` holding a byte of `set` (at most
/// three bytes), or `end`.
fn next_gate_byte(text: &[u8], from: usize, end: usize, set: &[u8]) -> usize {
    find_any_byte(&text[from..end], set).map_or(end, |i| from + i)
}

fn gated_spans(
    db: &RuleDb,
    text: &[u8],
    regions: &[Range<usize>],
    path: &str,
    skip: &[RuleIdx],
    scratch: &mut GateScratch,
    spans: &mut Vec<(RuleIdx, usize, usize)>,
) {
    let GateScratch {
        rules,
        lines,
        twins,
    } = scratch;
    rules.clear();
    let generated = crate::source::generated_path(path);
    rules.extend(db.unconditional().iter().copied().filter(|&i| {
        db.rule(i).applies_to_known(path, generated) && skip.binary_search(&i).is_err()
    }));
    if rules.is_empty() {
        return;
    }
    twins.clear();
    twins.extend(rules.iter().enumerate().map(|(k, &idx)| {
        rules[..k]
            .iter()
            .copied()
            .find(|&other| same_gate(db.rule(other), db.rule(idx)))
    }));
    let digitless = DigitlessGate::new(db, rules);
    let cursor = digitless.wanted && !digitless.every_line && digitless.bytes.len() <= 3;
    for region in regions {
        lines.clear();
        // The next gate byte at or after the current line; searched again only once the
        // scan has passed it, so the region is searched once in all.
        let mut next_gate = if cursor {
            next_gate_byte(text, region.start, region.end, &digitless.bytes)
        } else {
            region.end
        };
        crate::lines::for_each_line_with_digits(text, region.clone(), |pos, end, digits| {
            let gate_hit = if cursor {
                if next_gate < pos {
                    next_gate = next_gate_byte(text, pos, region.end, &digitless.bytes);
                }
                next_gate < end
            } else {
                digitless.wanted
                    && (digitless.every_line || has_any_byte(&text[pos..end], &digitless.bytes))
            };
            if digits > 0 || gate_hit {
                lines.push(GatedLine {
                    start: pos,
                    end,
                    digits,
                    gate_hit,
                });
            }
        });
        // Rules with the same gate (digits, line gate and line filter) get the same spans: the
        // first one's are copied instead of filtering every line again.
        let region_start = spans.len();
        for (&idx, &twin) in rules.iter().zip(twins.iter()) {
            match twin {
                Some(from) => {
                    for i in region_start..spans.len() {
                        if spans[i].0 == from {
                            spans.push((idx, spans[i].1, spans[i].2));
                        }
                    }
                }
                None => push_gated(db.rule(idx), idx, text, lines, &digitless, spans),
            }
        }
    }
}

/// Whether two keyword-less rules keep exactly the same lines: same digit count, line gate
/// and line filter.
fn same_gate(a: &Rule, b: &Rule) -> bool {
    a.spec.min_digits == b.spec.min_digits
        && a.spec.line_gate == b.spec.line_gate
        && a.spec.line_filter.is_some()
        && a.spec.line_filter == b.spec.line_filter
}

/// Whether `line` holds any byte of `set` (an empty set: yes).
fn has_any_byte(line: &[u8], set: &[u8]) -> bool {
    match set.len() {
        0 => true,
        1..=3 => find_any_byte(line, set).is_some(),
        _ => set
            .chunks(3)
            .any(|part| find_any_byte(line, part).is_some()),
    }
}

/// The first offset of a byte of `set` (one to three bytes: SIMD `memchr`) in `hay`.
fn find_any_byte(hay: &[u8], set: &[u8]) -> Option<usize> {
    match *set {
        [a] => memchr(a, hay),
        [a, b] => memchr::memchr2(a, b, hay),
        [a, b, c] => memchr::memchr3(a, b, c, hay),
        _ => None,
    }
}

/// `start..end` without the line ending (`\n` or `\r\n`), as line filters take it.
fn without_eol(text: &[u8], start: usize, mut end: usize) -> Range<usize> {
    if end > start && text[end - 1] == b'\n' {
        end -= 1;
    }
    if end > start && text[end - 1] == b'\r' {
        end -= 1;
    }
    start..end
}

/// Coalesces runs of adjacent kept lines that pass a rule's gate into spans.
fn push_gated(
    rule: &Rule,
    idx: RuleIdx,
    text: &[u8],
    lines: &[GatedLine],
    digitless: &DigitlessGate,
    spans: &mut Vec<(RuleIdx, usize, usize)>,
) {
    let min = u32::from(rule.spec.min_digits);
    let gate = rule.spec.line_gate.as_deref().map(str::as_bytes);
    let gate_known = min == 0 && gate.is_some_and(|g| digitless.is(g));
    let mut run: Option<(usize, usize)> = None;
    for line in lines {
        let pass = line.digits >= min
            && gate.is_none_or(|g| {
                if gate_known {
                    line.gate_hit
                } else {
                    has_any_byte(&text[line.start..line.end], g)
                }
            })
            && rule
                .line_filter
                .is_none_or(|f| f(text, without_eol(text, line.start, line.end)));
        match &mut run {
            Some((_, e)) if pass && *e == line.start => *e = line.end,
            _ => {
                if let Some((s, e)) = run.take() {
                    spans.push((idx, s, e));
                }
                if pass {
                    run = Some((line.start, line.end));
                }
            }
        }
    }
    if let Some((s, e)) = run {
        spans.push((idx, s, e));
    }
}

fn every_span(
    db: &RuleDb,
    text: &[u8],
    context: &[Range<usize>],
    regions: &[Range<usize>],
    path: &str,
    spans: &mut Vec<(RuleIdx, usize, usize)>,
) {
    for (i, rule) in db.rules().iter().enumerate() {
        if !rule.applies_to(path) {
            continue;
        }
        let idx = RuleIdx(i as u32);
        if rule.keyword_required() {
            spans.extend(context.iter().map(|r| (idx, r.start, text.len())));
        } else {
            spans.extend(regions.iter().map(|r| (idx, r.start, r.end)));
        }
    }
}

struct Ctx<'a> {
    db: &'a RuleDb,
    text: &'a [u8],
    regions: &'a [Range<usize>],
    path: &'a str,
    hits: &'a [Hit],
    /// Whether the prefilter is on (keyword rules then honour their byte gate too).
    prefilter: bool,
}

/// Whether `rule` cannot match in `span`: a keyword rule's byte gate (`@` for a URL with a
/// password) must be in the span for a match to be, and most keyword hits (`https://`) are
/// on lines without one; and a literal every match holds
/// ([`Compiled::required`](super::db::Compiled::required)) must be in it too.
fn gated_out(prefilter: bool, rule: &Rule, span: &[u8]) -> bool {
    if !prefilter {
        return false;
    }
    let gated = rule.keyword_required()
        && rule
            .spec
            .line_gate
            .as_deref()
            .is_some_and(|gate| !has_any_byte(span, gate.as_bytes()));
    let lacking = || {
        rule.compiled()
            .ok()
            .and_then(|c| c.required.as_ref())
            .is_some_and(|lit| lit.find(span).is_none())
    };
    let out = gated || lacking();
    if out {
        crate::work::add(span.len());
    }
    out
}

/// Runs rule `idx` over `span`, finding the matches that start in `within` (the whole span,
/// or a piece of it cut at line starts for a line-bound rule: [`run_spans_shared`]), until
/// `limit` of them carry no synthetic-data marker. Returns how many of those it found: a
/// generated fixture's marked values would never block, and stopping at them would only make
/// the caller scan the file again ([`DetectOptions::stop_after`]).
fn run_rule(
    ctx: &Ctx<'_>,
    idx: RuleIdx,
    span: Range<usize>,
    within: Range<usize>,
    limit: usize,
    out: &mut Vec<RawMatch>,
) -> Result<usize> {
    let rule = ctx.db.rule(idx);
    let compiled = rule.compiled()?;
    let hay = &ctx.text[span.clone()];
    let input = || {
        regex_automata::Input::new(hay).range(within.start - span.start..within.end - span.start)
    };
    // A piece's span passed this check once for all its pieces ([`pieces`]).
    if within == span && gated_out(ctx.prefilter, rule, hay) {
        return Ok(0);
    }
    // A long span (a dense file's) may skip to the pattern's leading literals.
    let (regex, caches) = compiled.searcher_for(hay.len());
    let mut search = caches.get();
    let Search { cache, caps } = &mut *search;
    // Most spans hold no match: a match-only search is cheaper than a captures search.
    if regex
        .search_half_with(cache, &input().earliest(true))
        .is_none()
    {
        return Ok(0);
    }
    let mut matches = CapturesIn::new(regex, cache, caps, input());
    let mut found = 0;
    while found < limit
        && let Some(caps) = matches.next()
    {
        let whole = caps.get_match().expect("a found match matched");
        let whole = span.start + whole.start()..span.start + whole.end();
        let value = caps
            .get_group(compiled.value_group)
            .map_or(whole.clone(), |m| span.start + m.start..span.start + m.end);
        let value_bytes = &ctx.text[value.clone()];
        if rule.allowed_value(value_bytes)
            || rule
                .spec
                .entropy
                .is_some_and(|min| shannon_entropy(value_bytes) < min)
        {
            continue;
        }
        let keyword = keyword_near(ctx, idx, &whole);
        if rule.keyword_required() && !keyword {
            continue;
        }
        let candidate = Candidate {
            text: ctx.text,
            whole: whole.clone(),
            value: value.clone(),
            keyword,
            path: ctx.path,
            added: ctx.regions,
            captures: caps,
            base: span.start,
        };
        let verdict = rule
            .validator
            .map_or_else(Verdict::accept, |f| f(&candidate));
        if let Verdict::Accept(a) = verdict {
            let span = a.span.unwrap_or(value);
            if !in_regions(ctx.regions, span.start) {
                continue;
            }
            let (severity, graded_literal) = match a.severity {
                Some(s) if !rule.severity_overridden() => (s, a.graded_literal),
                _ => (rule.severity, false),
            };
            out.push(RawMatch {
                rule: idx,
                span,
                severity,
                synthetic: a.synthetic,
                detail: a.detail,
                graded_literal,
            });
            found += usize::from(out.last().is_some_and(counts_toward_limit));
        }
    }
    Ok(found)
}

/// The matches of a regex in an input with their capture groups, as its `captures_iter`
/// finds them (the same search, from the same cache), in one set of capture slots: the
/// iterator handed out a copy of its slots, an allocation, for every match of a dense file.
struct CapturesIn<'a, 'h> {
    regex: &'a regex_automata::meta::Regex,
    cache: &'a mut regex_automata::meta::Cache,
    caps: &'a mut regex_automata::util::captures::Captures,
    searcher: regex_automata::util::iter::Searcher<'h>,
}

impl<'a, 'h> CapturesIn<'a, 'h> {
    /// `caps`: slots made for `regex` ([`Search`]); whatever they hold is overwritten.
    fn new(
        regex: &'a regex_automata::meta::Regex,
        cache: &'a mut regex_automata::meta::Cache,
        caps: &'a mut regex_automata::util::captures::Captures,
        input: regex_automata::Input<'h>,
    ) -> Self {
        CapturesIn {
            regex,
            cache,
            caps,
            searcher: regex_automata::util::iter::Searcher::new(input),
        }
    }

    /// The next match, or `None` when there is none left.
    fn next(&mut self) -> Option<&regex_automata::util::captures::Captures> {
        let CapturesIn {
            regex,
            cache,
            caps,
            searcher,
        } = self;
        let _ = searcher.advance(|input| {
            regex.search_captures_with(cache, input, caps);
            Ok(caps.get_match())
        });
        caps.is_match().then_some(&*self.caps)
    }
}

/// detectors.md §1.4: a keyword of the rule within 48 bytes before or 16 after the match on
/// the same line, inside the match, or anywhere on the two lines before.
///
/// For a rule that requires its keyword, a hit counts only where the prefilter's span from it
/// ([`keyword_spans`]: from its line's start to the end of the rule's `span_lines`-th line
/// after) holds the whole match, so that the rule finds the same run with the prefilter off:
/// a keyword two lines up is too far for a rule of `span_lines = 0`, or for a match of two
/// lines under `span_lines = 2`.
fn keyword_near(ctx: &Ctx<'_>, idx: RuleIdx, whole: &Range<usize>) -> bool {
    // Only the keywords a rule lists name it ([`RuleDb`]'s keyword table): a rule with none
    // (phone, address, ZIP: every candidate of a dense extract) has no hit to look for.
    !ctx.db.rule(idx).spec.keywords.is_empty() && keyword_hit_near(ctx, idx, whole)
}

/// [`keyword_near`] looked for among the hits around the match.
fn keyword_hit_near(ctx: &Ctx<'_>, idx: RuleIdx, whole: &Range<usize>) -> bool {
    let text = ctx.text;
    // A match that opens on the newline before its value (`(?:^|[^A-Za-z0-9_])`, run over a
    // region rather than over a span that starts on the value's line) is on the value's line.
    let whole =
        &(whole.start + usize::from(whole.len() > 1 && text[whole.start] == b'\n')..whole.end);
    let line = line_start(text, whole.start);
    let rule = ctx.db.rule(idx);
    // The lines before the match's first line a hit may stand on, and where that line ends
    // (hits from there on open spans that start past the match).
    let (back, first_line_end) = if rule.keyword_required() {
        let last = whole.end.saturating_sub(1).max(whole.start);
        let below = memchr::memchr_iter(b'\n', &text[whole.start..last]).count();
        let Some(back) = (rule.span_lines() as usize).checked_sub(below) else {
            return false;
        };
        let end = crate::detect::structure::memo::next_newline(text, whole.start)
            .map_or(text.len(), |i| i + 1);
        (back.min(CONTEXT_LINES), end)
    } else {
        (CONTEXT_LINES, usize::MAX)
    };
    let lo = lines_back(text, line, back);
    // Hits on the lines before, then hits on this line from where one could still end
    // within KEYWORD_BEFORE bytes of the match: on a minified file (one line) going through
    // every hit of the line for every match was quadratic.
    let before =
        ctx.hits.partition_point(|h| h.start < lo)..ctx.hits.partition_point(|h| h.start < line);
    let near = whole
        .start
        .saturating_sub(KEYWORD_BEFORE + super::db::LONGEST_KEYWORD)
        .max(line);
    let first = ctx.hits.partition_point(|h| h.start < near);
    for h in ctx.hits[before].iter().chain(&ctx.hits[first..]) {
        crate::work::add(1);
        if h.start > whole.end + KEYWORD_AFTER || h.start >= first_line_end {
            break;
        }
        if !ctx.db.keyword(h.pattern as usize).rules.contains(&idx) {
            continue;
        }
        let same_line_before = h.start >= line && h.start < whole.start;
        if same_line_before && whole.start.saturating_sub(h.end) > KEYWORD_BEFORE {
            continue;
        }
        let after = h.start >= whole.end;
        if after
            && (h.end > whole.end + KEYWORD_AFTER
                || memchr(b'\n', &text[whole.end..h.start]).is_some())
        {
            continue;
        }
        return true;
    }
    false
}

#[cfg(test)]
mod tests;
