//! The pipeline for one run: jobs → (parallel) items → detect → policy → value-free findings.
//!
//! [`Engine`] turns one item (or a batch) into its findings, here. The rooms beside it:
//! `drive` is the one driver: a [`crate::source::Source`] hands jobs over a bounded queue to
//! worker threads ([`drive()`], and [`run`] for jobs planned in full); `positions` places
//! matches on lines and columns; `synthetic` spreads a synthetic verdict to the same value
//! elsewhere in a file; `errors` masks values in the text of an error before it is printed
//! ([`error_text`]).
//!
//! Work is spread over threads by job index; each thread has its own repository handle and
//! scratch space, and results are put back in job order, so output is deterministic whatever
//! the thread count.

use crate::detect::RuleDb;
use crate::detect::{self, DetectOptions, RawMatch, Scratch};
use crate::error::Result;
use crate::fingerprint;
use crate::model::{Capped, Finding, LISTED_PER_RULE, Stopped, Suppression};
use crate::policy::{Policy, colocate, examples, suppress};
use crate::report::mask;
use crate::report::mask::MaskSpan;
use crate::source::Item;
use std::ops::Range;
use std::sync::Arc;

mod drive;
mod errors;
mod positions;
mod synthetic;

pub use drive::{RunOptions, drive, run, run_source};
pub use errors::error_text;
use positions::{hunk_ids, line_numbers};
#[cfg(test)]
use synthetic::synthetic_key;
use synthetic::synthetic_spread;

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
    /// Rules that stopped counting in the item, which blocks all the same
    /// ([`DetectOptions::stop_after`]).
    pub stopped: Vec<Stopped>,
}

impl ItemFindings {
    /// Whether a finding that counts blocks (listed or counted past the listed ones).
    fn blocks(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == crate::rules::Severity::Block)
            || self
                .capped
                .iter()
                .any(|c| c.suppressed.is_none() && c.severity == crate::rules::Severity::Block)
    }
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
        // Look-alike characters (en dashes, full-width digits, zero-width spaces) are read as
        // the ASCII they stand for ([`detect::fold`]).
        let folds: Vec<Option<detect::fold::Folded>> = items
            .iter()
            .map(|item| detect::fold::fold(&item.text, &item.added))
            .collect();
        let targets: Vec<detect::Target<'_>> = items
            .iter()
            .zip(&folds)
            .map(|(item, fold)| detect::Target {
                text: fold.as_ref().map_or(&item.text, |f| f.text()),
                regions: &item.added,
                path: item.policy_path(),
            })
            .collect();
        let mut detect = self.detect;
        if detect.stop_after.is_some() && items.iter().any(|i| self.only_warns_here(i)) {
            detect.stop_after = None;
        }
        let mut raws = vec![Vec::new(); items.len()];
        detect::find_each(self.db, &targets, detect, scratch, &mut raws)?;
        let stopped: Vec<Vec<detect::RuleIdx>> = (0..items.len())
            .map(|t| scratch.stopped(t).collect())
            .collect();
        let helper = self.detect.threads > 1 && scratch.is_sole_scanner();
        let mut out = Vec::with_capacity(items.len());
        for (((item, raws), stopped), fold) in items.iter().zip(raws).zip(stopped).zip(&folds) {
            let shared = helper && raws.len() >= SHARED_FINDINGS_MATCHES;
            let found = self.findings(item, fold.as_ref(), raws, shared, &stopped);
            // A rule stopped early stands only where the item blocks without the rest: the
            // rest could only add findings. Else (its findings warn, are synthetic, allowed,
            // under a test path) the item is scanned again in full, and counted exactly.
            if found.stopped.is_empty() || found.blocks() {
                out.push(found);
            } else {
                #[cfg(test)]
                RESCANNED.with(|n| n.set(n.get() + 1));
                let full = Engine {
                    detect: DetectOptions {
                        stop_after: None,
                        ..self.detect
                    },
                    ..*self
                };
                out.push(full.scan_item(item, scratch)?);
            }
        }
        Ok(out)
    }

    /// Whether the item is large enough for a rule to stop in it
    /// ([`DetectOptions::stop_after`]) and lies under a test path, where PHI only warns: a
    /// patient fixture stopped early would not block, and would be scanned again in full.
    fn only_warns_here(&self, item: &Item) -> bool {
        const LARGE: usize = 64 << 10;
        let added: usize = item.added.iter().map(ExactSizeIterator::len).sum();
        added >= LARGE && self.policy.test_paths.is_match(item.policy_rooted())
    }

    /// What one item's raw matches come to. With `shared`, two chains of the work on the
    /// sorted matches run on two threads ([`join`]). `stopped`: the rules detection stopped
    /// in the item ([`DetectOptions::stop_after`]). `fold`: the folded copy of the item's
    /// text that was scanned, if any: values, masks and excerpts are read from it, lines and
    /// columns from the item's own text.
    fn findings(
        &self,
        item: &Item,
        fold: Option<&detect::fold::Folded>,
        mut raws: Vec<RawMatch>,
        shared: bool,
        stopped: &[detect::RuleIdx],
    ) -> ItemFindings {
        let named = self.named(item);
        if raws.is_empty() && named.is_none() {
            return ItemFindings::default();
        }
        let mut out = ItemFindings::default();
        let (path, rooted) = match &named {
            Some(n) => {
                // Content decoded from inside a file shares its name: the file reports it.
                if item.origin.is_none() {
                    self.name_findings(item, n, &mut out);
                }
                (n.path.clone(), n.rooted.clone())
            }
            None => (item.path.clone(), Arc::from(item.rooted())),
        };
        out.stopped = stopped
            .iter()
            .map(|&r| Stopped {
                rule: Arc::from(self.db.rule(r).id()),
                path: path.clone(),
                commit: item.commit.clone(),
            })
            .collect();
        // Policy first, where the validator once decided it: a generic literal in a test or
        // documentation file warns at most (before dedupe, which prefers the higher severity).
        for r in &mut raws {
            r.severity = examples::severity(r, item.policy_path());
        }
        raws.sort_by_key(|r| (r.span.start, std::cmp::Reverse(r.severity), r.rule));
        // Two chains that read the sorted matches and not each other's results: which values
        // are synthetic and the masks; which matches dedupe keeps and where they are. A dense
        // file's findings pass was a third of its scan on one thread (a 100,000-row patient
        // extract: 134 ms of 0.46 s), each chain about a third of that pass.
        let text: &[u8] = fold.map_or(&item.text, |f| f.text());
        let ((spread, masks), (kept, lines)) = join(
            shared,
            || {
                let spread = synthetic_spread(text, &raws);
                let masks = mask::Masks::new(raws.iter().map(|r| self.mask_span(r)).collect());
                (spread, masks)
            },
            || {
                let kept = self.dedupe(text, &raws);
                // Lines and columns are the file's: a folded value's span is mapped back.
                let spans = kept.iter().map(|&i| {
                    let span = &raws[i as usize].span;
                    fold.map_or_else(|| span.clone(), |f| f.original_span(span))
                });
                let lines = line_numbers(&item.text, spans);
                (kept, lines)
            },
        );
        for i in spread {
            raws[i as usize].synthetic = true;
        }
        let raws: Vec<&RawMatch> = kept.iter().map(|&i| &raws[i as usize]).collect();
        let mut severities: Vec<_> = raws.iter().map(|r| r.severity).collect();
        if colocate::any(self.db) {
            let hunks = hunk_ids(text, &item.added);
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
        // Whether the path is a test path, matched once: every finding of a dense file asked
        // the glob set about the same path.
        let mut test_path: Option<bool> = None;
        // Findings of each rule so far, by rule index.
        let mut listed: Vec<usize> = vec![0; self.db.rules().len()];
        for ((raw, at), severity) in raws.iter().zip(&lines).zip(severities) {
            let rule = self.db.rule(raw.rule);
            if !rule.spec.report {
                continue;
            }
            let seen = &mut listed[raw.rule.0 as usize];
            *seen += 1;
            let over = *seen > LISTED_PER_RULE;
            let suppressed = if raw.synthetic && !self.policy.strict {
                Some(Suppression::Synthetic)
            } else if marked.allowed(text, raw.span.start, rule.category()) {
                Some(Suppression::Inline)
            } else {
                None
            };
            let severity = self.policy.path_severity_by(rule.category(), severity, || {
                *test_path
                    .get_or_insert_with(|| self.policy.test_paths.is_match(item.policy_rooted()))
            });
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
            let mut excerpt = mask::excerpt(text, raw.span.clone(), rule.category(), &masks);
            // A value decoded from inside the file is reported where its encoded text is.
            let at = match item.origin {
                Some(o) => {
                    excerpt.insert_str(0, &format!("({}) ", o.encoding));
                    positions::Position {
                        line: o.line,
                        column: o.column,
                        end_column: o.end_column,
                        utf16_columns: o.utf16_columns,
                        utf16_end: (o.line, o.utf16_columns.1),
                    }
                }
                None => *at,
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
                excerpt,
                fingerprint: fingerprint::fingerprint(
                    self.fingerprint_key,
                    rule.id(),
                    &rooted,
                    &text[raw.span.clone()],
                ),
                message,
                reason: (suppressed == Some(Suppression::Inline))
                    .then(|| suppress::reason(text, raw.span.start))
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
        // Look-alike characters read as ASCII ([`detect::fold`]); what is found is masked in
        // the text as it came.
        let fold = detect::fold::fold(seen, &regions);
        let seen = fold.as_ref().map_or(seen, |f| f.text());
        let back = |span: &Range<usize>| {
            fold.as_ref()
                .map_or(span.clone(), |f| f.original_span(span))
        };
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
        let spans: Vec<MaskSpan> = raws
            .iter()
            .map(|r| MaskSpan {
                span: back(&r.span),
                ..self.mask_span(r)
            })
            .collect();
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
            for span in &mut extra {
                *span = back(span);
            }
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
        if digits < 6 && !rooted.contains('@') && rooted.is_ascii() {
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
        // Look-alike characters read as ASCII ([`detect::fold`]), the values masked as named.
        let fold = detect::fold::fold(&words, &whole);
        detect::find(
            self.db,
            fold.as_ref().map_or(&words, |f| f.text()),
            &whole,
            rooted,
            self.detect,
            &mut scratch,
            &mut raws,
        )
        .ok()?;
        raws.retain(|r| self.db.rule(r.rule).spec.report && !r.synthetic);
        if let Some(f) = &fold {
            for r in &mut raws {
                r.span = f.original_span(&r.span);
            }
        }
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
        // An archive member reports the values in its own name; its archive's name is
        // reported once, by the archive ([`crate::source::archive`]), not by every member.
        let own = match item.member {
            0 => 0,
            suffix => text.len() - suffix,
        };
        for raw in named.values.iter().filter(|r| r.span.start >= own) {
            let rule = self.db.rule(raw.rule);
            out.findings.push(Finding {
                rule: Arc::from(rule.id()),
                category: rule.category(),
                severity: self.policy.path_severity(
                    rule.category(),
                    item.policy_rooted(),
                    raw.severity,
                ),
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
    ///
    /// `raws` are sorted by start; the positions of those kept come back in order of start.
    fn dedupe(&self, text: &[u8], raws: &[RawMatch]) -> Vec<u32> {
        // The matches kept so far are `order[..kept]`, positions in `raws` (a second list of
        // every match of a dense file was up to 20 MB, allocated and paged in for one pass).
        let mut order: Vec<u32> = (0..raws.len())
            .map(|i| u32::try_from(i).expect("an item holds fewer than 2^32 matches"))
            .collect();
        let raw = |order: &[u32], i: usize| &raws[order[i] as usize];
        let mut kept = 0;
        let mut last: Option<usize> = None;
        for at in 0..order.len() {
            let r = raw(&order, at);
            if !self.db.rule(r.rule).spec.report {
                order.swap(kept, at);
                kept += 1;
                continue;
            }
            if let Some(i) = last
                && raw(&order, i).span.end > r.span.start
                && memchr::memchr(b'\n', &text[raw(&order, i).span.start..r.span.start]).is_none()
            {
                let k = raw(&order, i);
                let better = (r.severity, std::cmp::Reverse(r.rule), r.span.len())
                    > (k.severity, std::cmp::Reverse(k.rule), k.span.len());
                if better {
                    // `i < kept <= at`: the one replaced goes where the dropped ones wait.
                    order.swap(i, at);
                }
                continue;
            }
            last = Some(kept);
            order.swap(kept, at);
            kept += 1;
        }
        order.truncate(kept);
        order.sort_by_key(|&i| raws[i as usize].span.start);
        order
    }
}

/// Matches an item has at least for its findings pass to be shared with a helper thread
/// ([`Engine::findings`]): a thread costs about 50 µs, a pass over this many 4 ms.
const SHARED_FINDINGS_MATCHES: usize = 16_384;

#[cfg(test)]
thread_local! {
    /// Findings passes this thread shared with a helper (tests: the shared path was taken).
    static SHARED_FINDINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Items scanned again in full after a rule stopped in them (tests: that path was taken).
    static RESCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `a()` and `b()`, `a` on a helper thread when `shared`. The work the helper counts
/// ([`crate::work`]) is added to this thread's.
fn join<A: Send, B: Send>(
    shared: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !shared {
        return (a(), b());
    }
    #[cfg(test)]
    SHARED_FINDINGS.with(|n| n.set(n.get() + 1));
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            let out = a();
            (out, crate::work::handed_back())
        });
        let b = b();
        match helper.join() {
            Ok((a, work)) => {
                crate::work::add(work as usize);
                (a, b)
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
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

#[cfg(test)]
mod tests;
