//! What the structure walks have worked out about the text being scanned, kept for one scan
//! of that text.
//!
//! The walks answer the same questions many times over one file: every FHIR candidate in a
//! Bundle walks out to the same resource, entry and Bundle objects, and every comma line of
//! a source file looks for a CSV header among nearly the same 40 lines. [`remembering`]
//! opens a memo for one text around a whole scan of it ([`remembering_all`] one per text
//! around a batch); the walks look their answers up in it and store new ones. Each reader
//! keeps its own table here (`Tables`); the mechanism (memos per thread, each tied to one
//! slice, gone when the scan returns) is written once.
//!
//! The memo answers only for the very slice it was opened for (same address and length),
//! so a walk over any other text computes afresh, and nothing outlives the text it
//! describes.

use super::{csv, json};
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// The readers' tables for one text.
#[derive(Default)]
pub(super) struct Tables {
    pub(super) json: json::Memo,
    pub(super) csv: csv::Memo,
    /// The line [`line_bounds`] answered last.
    line: Option<std::ops::Range<usize>>,
    /// Offsets of the text's newlines, made the first time a line end is looked for far
    /// from an offset ([`prev_newline`], [`next_newline`]).
    newlines: Option<Vec<u32>>,
    /// Where the validators' context words occur, per word list ([`words_within`]).
    words: Vec<WordIndex>,
    /// Word indexes shared with the other threads scanning this text ([`share_words`]).
    shared: Option<Arc<SharedWords>>,
}

/// A static word list by its address and length.
type WordList = (usize, usize);

/// Every occurrence of a list's words in a text as `(start, end)`, by start.
type Occurrences = Arc<[(u32, u32)]>;

/// The word indexes ([`words_within`]) of one text, shared by the threads that scan it
/// together: each list's occurrences are found once, by the first thread that needs them.
#[derive(Default)]
pub struct SharedWords {
    /// Word list (address, length) → its occurrences in the text.
    lists: Mutex<Vec<(WordList, Occurrences)>>,
}

impl SharedWords {
    /// The occurrences of `list` another thread found, if any.
    fn get(lists: &[(WordList, Occurrences)], list: WordList) -> Option<Occurrences> {
        lists
            .iter()
            .find(|(l, _)| *l == list)
            .map(|(_, at)| Arc::clone(at))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(WordList, Occurrences)>> {
        self.lists.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Lets this thread's innermost memo of `text` take the word indexes it makes from
/// `shared`, and put the ones it makes there (several threads scanning one text together).
pub fn share_words(text: &[u8], shared: &Arc<SharedWords>) {
    with(text, |t| t.shared = Some(Arc::clone(shared)));
}

/// The occurrences of one list of context words in a text ([`words_within`]).
struct WordIndex {
    /// Address and length of the (static) word list.
    list: (usize, usize),
    /// The list itself (indexed together with the others still waiting: [`index_lists`]).
    words: &'static [&'static [u8]],
    /// Bytes of windows asked about so far; the index is made once they reach a quarter of the
    /// text's length.
    asked: usize,
    /// Every occurrence of a word (ASCII case ignored) as `(start, end)`, by start.
    at: Option<Arc<[(u32, u32)]>>,
}

struct Memo {
    /// Address and length of the text the answers belong to.
    text: (usize, usize),
    tables: Tables,
}

/// The memos open on this thread, innermost last, and which one answered last (a batch of
/// texts is scanned rule by rule, so lookups come in runs for one text).
struct Open {
    memos: Vec<Memo>,
    hit: usize,
}

thread_local! {
    static MEMO: RefCell<Open> = const {
        RefCell::new(Open {
            memos: Vec::new(),
            hit: usize::MAX,
        })
    };
}

fn id(text: &[u8]) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// Runs `f` with the structure walks remembering their answers for `text` (see the module
/// docs).
pub fn remembering<R>(text: &[u8], f: impl FnOnce() -> R) -> R {
    remembering_all(&[text], f)
}

/// Runs `f` with the structure walks remembering their answers for each of `texts`, each in
/// its own tables. Memos opened inside `f` come on top of these and are looked at first; all
/// are gone when `f` returns (or unwinds).
pub fn remembering_all<R>(texts: &[&[u8]], f: impl FnOnce() -> R) -> R {
    /// Closes the memos opened above `depth`, even if `f` panics.
    struct Close(usize);
    impl Drop for Close {
        fn drop(&mut self) {
            MEMO.with(|m| {
                let mut open = m.borrow_mut();
                open.memos.truncate(self.0);
                open.hit = usize::MAX;
            });
        }
    }
    let depth = MEMO.with(|m| {
        let mut open = m.borrow_mut();
        let depth = open.memos.len();
        open.memos.extend(texts.iter().map(|t| Memo {
            text: id(t),
            tables: Tables::default(),
        }));
        // The innermost memo of a text answers for it: look again.
        open.hit = usize::MAX;
        depth
    });
    let _close = Close(depth);
    f()
}

/// `f` on the tables of `text`, or `None` when no memo is open for it. `f` must not call
/// back into the memo (the tables are borrowed while it runs).
pub(super) fn with<R>(text: &[u8], f: impl FnOnce(&mut Tables) -> R) -> Option<R> {
    let id = id(text);
    MEMO.with(|m| {
        let mut open = m.borrow_mut();
        let Open { memos, hit } = &mut *open;
        let at = match memos.get(*hit) {
            Some(memo) if memo.text == id => *hit,
            _ => {
                *hit = memos.iter().rposition(|memo| memo.text == id)?;
                *hit
            }
        };
        Some(f(&mut memos[at].tables))
    })
}

/// A key of an [`OffsetMap`]: a text offset, or a range of the text (by its start).
pub(super) trait Offset: Copy + Ord {
    /// The offset the key is filed under.
    fn offset(&self) -> usize;
}

impl Offset for usize {
    fn offset(&self) -> usize {
        *self
    }
}

impl Offset for (usize, usize) {
    fn offset(&self) -> usize {
        self.0
    }
}

/// How many bytes of text one page of an [`OffsetMap`] covers (as a shift): 2 KiB, so that
/// inserting into a page (a `memmove` of the entries after the new one) stays short even
/// where every few bytes hold a candidate (a minified Bundle). Pages of 512 bytes made a
/// dense file's memo 36,000 small vectors per table, each allocated and freed on its own:
/// 2 KiB took 4 % off the CPU time of an 18.6 MB FHIR NDJSON export and 4 MiB off the peak
/// of a pretty-printed bundle; 4 KiB gained nothing more.
const PAGE_SHIFT: u32 = 11;

/// A map keyed by offsets into the text, filed in pages of 512 bytes of text, each a sorted
/// vector. The walks ask about offsets near the one they asked about last (a rule's
/// candidates come in text order), so a lookup finds its page in the cache; a hash map
/// spread the entries of a dense file (600,000 objects of an NDJSON export) over tens of
/// megabytes, and its lookups were cache misses that took a third of the scan.
pub(super) struct OffsetMap<K, V> {
    pages: Vec<Vec<(K, V)>>,
}

impl<K, V> Default for OffsetMap<K, V> {
    fn default() -> Self {
        OffsetMap { pages: Vec::new() }
    }
}

impl<K: Offset, V> OffsetMap<K, V> {
    /// The value stored under `key`.
    pub(super) fn get(&self, key: &K) -> Option<&V> {
        let page = self.pages.get(key.offset() >> PAGE_SHIFT)?;
        let i = page.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(&page[i].1)
    }

    /// Stores `value` under `key` (replacing what was there).
    pub(super) fn insert(&mut self, key: K, value: V) {
        let p = key.offset() >> PAGE_SHIFT;
        if self.pages.len() <= p {
            self.pages.resize_with(p + 1, Vec::new);
        }
        let page = &mut self.pages[p];
        match page.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => page[i].1 = value,
            Err(i) => page.insert(i, (key, value)),
        }
    }
}

impl<K: Offset, V> Extend<(K, V)> for OffsetMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

/// Looks `key` up in `table` of the memo for `text`, or computes it with `compute` (outside
/// any borrow of the memo, so `compute` may use the memo itself) and stores it.
pub(super) fn memoized<K: Offset, V: Clone>(
    text: &[u8],
    table: fn(&mut Tables) -> &mut OffsetMap<K, V>,
    key: K,
    compute: impl FnOnce() -> V,
) -> V {
    match with(text, |t| table(t).get(&key).cloned()) {
        Some(Some(v)) => v,
        Some(None) => {
            let v = compute();
            with(text, |t| table(t).insert(key, v.clone()));
            v
        }
        None => compute(),
    }
}

/// The line around `offset` in `text` from `compute`, remembered while a memo is open for
/// `text`: the validators ask for the line of every candidate, and on a minified file (one
/// line of megabytes) looking for its ends each time made a scan quadratic. A remembered line
/// answers for every offset from its start to its end (its `\r` or `\n`).
pub fn line_bounds(
    text: &[u8],
    offset: usize,
    compute: impl FnOnce() -> std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let known = with(text, |t| {
        t.line
            .clone()
            .filter(|l| l.start <= offset && offset <= l.end)
    });
    match known {
        Some(Some(line)) => line,
        Some(None) => {
            let line = compute();
            with(text, |t| t.line = Some(line.clone()));
            line
        }
        None => compute(),
    }
}

/// How far [`prev_newline`] and [`next_newline`] look with `memchr` before they use the text's
/// newline index.
const NEAR: usize = 256;

/// `f` on the newline index of `text`, made on first use; `None` when no memo is open for
/// `text` or the text is too long for 32-bit offsets.
fn with_newlines<R>(text: &[u8], f: impl FnOnce(&[u32]) -> R) -> Option<R> {
    if u32::try_from(text.len()).is_err() {
        return None;
    }
    with(text, |t| {
        let index = t.newlines.get_or_insert_with(|| {
            crate::work::add(text.len());
            memchr::memchr_iter(b'\n', text).map(|i| i as u32).collect()
        });
        f(index)
    })
}

/// The last `\n` before `offset`. Within 256 bytes (`NEAR`) `memrchr` finds it; farther (a line of
/// megabytes, asked about once per candidate) the text's newline index answers in `O(log n)`.
pub fn prev_newline(text: &[u8], offset: usize) -> Option<usize> {
    let offset = offset.min(text.len());
    let near = offset.saturating_sub(NEAR);
    if let Some(i) = memchr::memrchr(b'\n', &text[near..offset]) {
        crate::work::add(offset - near - i);
        return Some(near + i);
    }
    crate::work::add(offset - near);
    if near == 0 {
        return None;
    }
    with_newlines(text, |nl| {
        let k = nl.partition_point(|&p| (p as usize) < offset);
        k.checked_sub(1).map(|k| nl[k] as usize)
    })
    .unwrap_or_else(|| memchr::memrchr(b'\n', &text[..near]))
}

/// The first `\n` at or after `offset` ([`prev_newline`]'s twin).
pub fn next_newline(text: &[u8], offset: usize) -> Option<usize> {
    let offset = offset.min(text.len());
    let near = (offset + NEAR).min(text.len());
    if let Some(i) = memchr::memchr(b'\n', &text[offset..near]) {
        crate::work::add(i + 1);
        return Some(offset + i);
    }
    crate::work::add(near - offset);
    if near == text.len() {
        return None;
    }
    with_newlines(text, |nl| {
        let k = nl.partition_point(|&p| (p as usize) < offset);
        nl.get(k).map(|&p| p as usize)
    })
    .unwrap_or_else(|| memchr::memchr(b'\n', &text[near..]).map(|i| near + i))
}

/// Texts shorter than this never index their words: each window is searched (an automaton
/// built per file and list cost a directory scan of source files 5 % of its time).
const INDEX_WORDS_FROM: usize = 64 << 10;

/// Whether one of `words` occurs, ASCII case ignored, inside `text[window]`; `None` when no
/// memo is open for `text` or the occurrences of `words` have not been indexed yet.
///
/// The PHI validators ask this for every candidate with a window of about three lines, and
/// on a dense file (a patient CSV) each of a list's words was searched in each window: a
/// fifth of the scan. Once the windows asked about for a list add up to a quarter of the
/// text's length, its words (and those of every other list asked about so far:
/// `index_lists`) are found in the whole text in one automaton pass and each question is a
/// binary search; before that the caller searches its window (so a file with a few
/// candidates never pays for a pass over all of it).
pub fn words_within(
    text: &[u8],
    words: &'static [&'static [u8]],
    window: std::ops::Range<usize>,
) -> Option<bool> {
    if text.len() < INDEX_WORDS_FROM
        || u32::try_from(text.len()).is_err()
        || words.iter().any(|w| w.is_empty())
    {
        return None;
    }
    let list = (words.as_ptr() as usize, words.len());
    with(text, |t| {
        let k = match t.words.iter().position(|w| w.list == list) {
            Some(k) => k,
            None => {
                t.words.push(WordIndex {
                    list,
                    words,
                    asked: 0,
                    at: None,
                });
                t.words.len() - 1
            }
        };
        let index = &mut t.words[k];
        if index.at.is_none()
            && let Some(shared) = &t.shared
        {
            // Another thread scanning the text may have found them already.
            index.at = SharedWords::get(&shared.lock(), list);
        }
        if index.at.is_none() {
            index.asked += window.len();
            if index.asked < text.len() / 4 {
                return None;
            }
            index_lists(text, t)?;
        }
        let index = &t.words[k];
        let at = index.at.as_deref()?;
        let first = at.partition_point(|&(s, _)| (s as usize) < window.start);
        let found = at[first..]
            .iter()
            .take_while(|&&(s, _)| (s as usize) < window.end)
            .inspect(|_| crate::work::add(1))
            .any(|&(_, e)| e as usize <= window.end);
        Some(found)
    })
    .flatten()
}

/// Indexes every word list of `t` not indexed yet, in one automaton pass over `text`: the
/// validators of a dense file ask about several lists (business words, address labels,
/// patient words), and each list's own pass over the text cost 5 % of a patient CSV or
/// NDJSON scan. Lists another thread scanning the text has indexed are taken from it; those
/// found here are given to it. `None` when the automaton cannot be built.
///
/// A list indexed before its own windows reach the threshold answers as its windows would
/// (an occurrence inside the window), so the answers do not change.
fn index_lists(text: &[u8], t: &mut Tables) -> Option<()> {
    let shared = t.shared.clone();
    let mut lists = shared.as_deref().map(SharedWords::lock);
    let mut waiting: Vec<usize> = Vec::new();
    for (k, index) in t.words.iter_mut().enumerate() {
        if index.at.is_none() {
            index.at = lists
                .as_deref()
                .and_then(|l| SharedWords::get(l, index.list));
            if index.at.is_none() {
                waiting.push(k);
            }
        }
    }
    if waiting.is_empty() {
        return Some(());
    }
    let groups: Vec<&[&[u8]]> = waiting.iter().map(|&k| t.words[k].words).collect();
    let found = occurrences_of_lists(text, &groups)?;
    for (&k, at) in waiting.iter().zip(found) {
        if let Some(lists) = lists.as_deref_mut() {
            lists.push((t.words[k].list, Arc::clone(&at)));
        }
        t.words[k].at = Some(at);
    }
    Some(())
}

/// Every occurrence (ASCII case ignored) of each list's words in `text`, as `(start, end)`
/// by start, one vector per list, found in one pass. Words are matched once each, whatever
/// lists hold them (case folded): every list holding a word gets each of its occurrences.
fn occurrences_of_lists(text: &[u8], lists: &[&[&[u8]]]) -> Option<Vec<Occurrences>> {
    crate::work::add(text.len());
    // Each distinct (case-folded) word, and the lists that hold it.
    let mut words: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    for (l, list) in lists.iter().enumerate() {
        for word in *list {
            let folded = word.to_ascii_lowercase();
            match words.iter_mut().find(|(w, _)| *w == folded) {
                Some((_, owners)) => owners.push(l),
                None => words.push((folded, vec![l])),
            }
        }
    }
    let ac = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(words.iter().map(|(w, _)| w))
        .ok()?;
    let mut at: Vec<Vec<(u32, u32)>> = vec![Vec::new(); lists.len()];
    for m in ac.find_overlapping_iter(text) {
        for &l in &words[m.pattern().as_usize()].1 {
            at[l].push((m.start() as u32, m.end() as u32));
        }
    }
    Some(
        at.into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.into()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests;
