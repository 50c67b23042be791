//! The keyword prefilter's automaton: every occurrence of every keyword, ASCII
//! case-insensitively, in one pass.
//!
//! It is an Aho-Corasick DFA like the `aho-corasick` crate's, with two differences that
//! matter on a hook's hot path:
//!
//! - **Several streams at once.** A DFA search is a chain of dependent loads (the next state
//!   needs the current one), so one stream waits on memory latency at every byte. A large
//!   haystack is cut into `STREAMS` pieces that are walked in lockstep, so the loads of
//!   different pieces overlap. A piece runs on past its end by the longest keyword's length,
//!   minus one, and keeps only matches that start inside it, so no match across a cut is
//!   lost or reported twice.
//! - **A tight loop.** Transitions are premultiplied state ids over byte classes (upper- and
//!   lower-case letters share a class), and states with matches are numbered last, so a
//!   step is one table load per piece and one comparison for all of them; reporting happens
//!   outside the loop.
//!
//! `cargo bench --bench engine -- keywords` times it over this crate's sources: 0.71 ns/byte
//! (fastest of 100 runs on the 2-core benchmark machine), where three pieces with the
//! reporting call inside the loop took 0.87.
//!
//! Building it takes about 1 ms for the built-in packs (the crate's DFA took 3–4 ms, so small
//! hooks used its slower NFA); small hooks and large scans now use the same automaton.

use rustc_hash::FxHashMap;
use std::fmt;

/// Pieces walked in lockstep (see the module docs). Four states, four piece pointers and the
/// tables fit x86-64's registers; with five the loop spills and is slower than with three.
const STREAMS: usize = 4;
/// Haystacks shorter than this are walked as one piece (cutting costs more than it saves).
const SPLIT_MIN: usize = 256;
/// Transition table entries allowed (4 bytes each): far above any real pack, and a bound on
/// what a hostile one can make the scanner allocate.
const MAX_ENTRIES: usize = 1 << 24;

/// Why a keyword set cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeywordError {
    /// A keyword is the empty string (it would match everywhere).
    Empty(usize),
    /// The automaton would exceed `MAX_ENTRIES` transitions.
    TooLarge {
        /// States the keywords need.
        states: usize,
        /// Byte classes the keywords use.
        classes: usize,
    },
}

impl fmt::Display for KeywordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeywordError::Empty(i) => write!(f, "keyword {i} is empty"),
            KeywordError::TooLarge { states, classes } => write!(
                f,
                "keywords too many or too long: {states} states over {classes} byte classes"
            ),
        }
    }
}

impl std::error::Error for KeywordError {}

/// A compiled, ASCII case-insensitive set of keywords.
#[derive(Clone)]
pub struct KeywordSet {
    /// Byte → class; ASCII letters of both cases share one.
    classes: [u8; 256],
    stride: usize,
    /// `trans[state + class]` is the next state; states are premultiplied by `stride`.
    trans: Vec<u32>,
    /// States at or above this have matches.
    match_min: u32,
    /// For match state `match_min + i * stride`: its keywords are
    /// `out_keywords[out_start[i]..out_start[i + 1]]`.
    out_start: Vec<u32>,
    out_keywords: Vec<u32>,
    /// Length of each keyword.
    lens: Vec<u32>,
    max_len: usize,
}

impl fmt::Debug for KeywordSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeywordSet")
            .field("keywords", &self.lens.len())
            .field("states", &(self.trans.len() / self.stride))
            .field("classes", &self.stride)
            .finish_non_exhaustive()
    }
}

impl KeywordSet {
    /// Compiles `keywords`; matches report the keyword's index in this slice.
    ///
    /// # Errors
    ///
    /// An empty keyword, or a set too large to tabulate.
    pub fn new<K: AsRef<[u8]>>(keywords: &[K]) -> Result<KeywordSet, KeywordError> {
        let words: Vec<&[u8]> = keywords.iter().map(AsRef::as_ref).collect();
        if let Some(i) = words.iter().position(|w| w.is_empty()) {
            return Err(KeywordError::Empty(i));
        }
        let classes = byte_classes(&words);
        let stride = usize::from(classes.iter().copied().max().unwrap_or(0)) + 1;
        let trie = Trie::new(&words, &classes, stride)?;
        let set = trie.into_dfa(classes, stride, &words);
        // The walk reads the table unchecked on the strength of this (one pass, ~0.1 ms).
        assert!(
            set.trans
                .iter()
                .all(|&t| (t as usize).is_multiple_of(stride) && (t as usize) < set.trans.len()),
            "every keyword transition leads to a row start"
        );
        Ok(set)
    }

    /// Number of keywords.
    pub fn len(&self) -> usize {
        self.lens.len()
    }

    /// Whether the set has no keywords.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Calls `found(start, end, keyword)` for every occurrence of every keyword in `hay`,
    /// overlapping ones included, in no particular order.
    pub fn for_each_match<F: FnMut(usize, usize, u32)>(&self, hay: &[u8], mut found: F) {
        if hay.len() < SPLIT_MIN.max(STREAMS * self.max_len) {
            self.walk(0, hay, (0, hay.len()), usize::MAX, &mut found);
        } else {
            self.walk_lockstep(hay, &mut found);
        }
    }

    /// One piece: `hay[from..to]` from `state`, keeping matches that start before `limit`.
    fn walk<F: FnMut(usize, usize, u32)>(
        &self,
        mut state: u32,
        hay: &[u8],
        (from, to): (usize, usize),
        limit: usize,
        found: &mut F,
    ) {
        let (trans, classes, match_min) = (&self.trans[..], &self.classes, self.match_min);
        for (at, &byte) in (from..).zip(&hay[from..to]) {
            state = trans[state as usize + usize::from(classes[usize::from(byte)])];
            if state >= match_min {
                self.report(state, at + 1, limit, found);
            }
        }
    }

    /// [`STREAMS`] pieces in lockstep, then each piece's remainder alone.
    fn walk_lockstep<F: FnMut(usize, usize, u32)>(&self, hay: &[u8], found: &mut F) {
        let len = hay.len();
        let cut: [usize; STREAMS] = std::array::from_fn(|k| k * len / STREAMS);
        let limit: [usize; STREAMS] =
            std::array::from_fn(|k| cut.get(k + 1).copied().unwrap_or(usize::MAX));
        let end: [usize; STREAMS] =
            std::array::from_fn(|k| limit[k].saturating_add(self.max_len - 1).min(len));
        let common = (0..STREAMS).map(|k| end[k] - cut[k]).min().unwrap_or(0);
        let pieces: [&[u8]; STREAMS] = std::array::from_fn(|k| &hay[cut[k]..cut[k] + common]);
        let mut state = [0u32; STREAMS];
        let mut i = 0;
        while i < common {
            i = self.lockstep_until_match(&pieces, &mut state, i);
            for k in 0..STREAMS {
                if state[k] >= self.match_min {
                    self.report(state[k], cut[k] + i, limit[k], found);
                }
            }
        }
        for k in 0..STREAMS {
            self.walk(state[k], hay, (cut[k] + common, end[k]), limit[k], found);
        }
    }

    /// Steps every piece (all of one length) from byte `i` on until a byte leaves some piece
    /// in a match state, and returns the index past that byte (or the pieces' length).
    ///
    /// The loop is the whole cost of the prefilter, so it is kept to loads and adds: no call
    /// (the caller reports, so the states and pointers stay in registers; not inlined, so the
    /// caller's live values do not take them), one branch per step (on the largest state),
    /// and no bounds checks (see the SAFETY notes). `cargo bench --bench engine -- keywords`.
    #[inline(never)]
    fn lockstep_until_match(
        &self,
        pieces: &[&[u8]; STREAMS],
        state: &mut [u32; STREAMS],
        mut i: usize,
    ) -> usize {
        let (trans, classes, match_min) = (&self.trans[..], &self.classes, self.match_min);
        let len = pieces[0].len();
        debug_assert!(pieces.iter().all(|p| p.len() == len));
        let mut s = *state;
        while i < len {
            let mut top = 0;
            for k in 0..STREAMS {
                // SAFETY: every piece is `len` bytes long (the caller cuts them so) and
                // `i < len`.
                let byte = unsafe { *pieces[k].get_unchecked(i) };
                let at = s[k] as usize + usize::from(classes[usize::from(byte)]);
                // SAFETY: `s[k]` is a row start (the start state 0, or a transition, and
                // `new` checks that every transition is one) and a class is below the
                // stride, so `at` is inside the row.
                s[k] = unsafe { *trans.get_unchecked(at) };
                top = top.max(s[k]);
            }
            i += 1;
            if top >= match_min {
                break;
            }
        }
        *state = s;
        i
    }

    /// The keywords of match state `state` that end at `end` and start before `limit`.
    #[inline(never)]
    fn report<F: FnMut(usize, usize, u32)>(
        &self,
        state: u32,
        end: usize,
        limit: usize,
        found: &mut F,
    ) {
        let i = (state - self.match_min) as usize / self.stride;
        let (lo, hi) = (self.out_start[i] as usize, self.out_start[i + 1] as usize);
        for &k in &self.out_keywords[lo..hi] {
            let start = end - self.lens[k as usize] as usize;
            if start < limit {
                found(start, end, k);
            }
        }
    }
}

/// Byte classes: 0 for bytes in no keyword, one class per other byte, an ASCII letter and
/// its other case sharing one.
fn byte_classes(words: &[&[u8]]) -> [u8; 256] {
    let mut class_of_lower = [0u8; 256];
    let mut next = 1u16;
    for &b in words.iter().flat_map(|w| w.iter()) {
        let b = usize::from(b.to_ascii_lowercase());
        if class_of_lower[b] == 0 {
            // At most 256 distinct bytes fold to at most 230 classes, so this never wraps.
            class_of_lower[b] = next as u8;
            next += 1;
        }
    }
    std::array::from_fn(|b| class_of_lower[usize::from((b as u8).to_ascii_lowercase())])
}

/// The keyword trie, kept sparse (a hash map of edges) until the DFA is laid out, so the
/// dense table is allocated once and written once, already in its final numbering.
struct Trie {
    /// `(state, class) → child`.
    edges: FxHashMap<(u32, u8), u32>,
    /// Edges in creation order, as `(parent, class, child)`.
    list: Vec<(u32, u8, u32)>,
    /// Keywords ending exactly at each state.
    own: Vec<Vec<u32>>,
}

impl Trie {
    fn new(words: &[&[u8]], classes: &[u8; 256], stride: usize) -> Result<Trie, KeywordError> {
        let bytes: usize = words.iter().map(|w| w.len()).sum();
        let mut edges = FxHashMap::default();
        edges.reserve(bytes);
        let mut trie = Trie {
            edges,
            list: Vec::with_capacity(bytes),
            own: Vec::with_capacity(bytes + 1),
        };
        trie.own.push(Vec::new());
        for (k, word) in words.iter().enumerate() {
            let mut state = 0u32;
            for &b in *word {
                let class = classes[usize::from(b)];
                let next = trie.own.len() as u32;
                let child = *trie.edges.entry((state, class)).or_insert(next);
                if child == next {
                    if trie.own.len() + 1 > MAX_ENTRIES / stride {
                        return Err(KeywordError::TooLarge {
                            states: trie.own.len() + 1,
                            classes: stride,
                        });
                    }
                    trie.own.push(Vec::new());
                    trie.list.push((state, class, child));
                }
                state = child;
            }
            if !trie.own[state as usize].contains(&(k as u32)) {
                trie.own[state as usize].push(k as u32);
            }
        }
        Ok(trie)
    }

    /// Failure links breadth first (a state's link is shallower than it), then the layout:
    /// states without matches first (the start state is 0), each row a copy of its failure
    /// target's row with its own edges written over it.
    fn into_dfa(self, classes: [u8; 256], stride: usize, words: &[&[u8]]) -> KeywordSet {
        let states = self.own.len();
        // Children of each state, grouped by parent (a counting sort of the edge list).
        let mut first = vec![0u32; states + 1];
        for &(parent, _, _) in &self.list {
            first[parent as usize + 1] += 1;
        }
        for s in 0..states {
            first[s + 1] += first[s];
        }
        let mut fill = first.clone();
        let mut edges = vec![(0u8, 0u32); self.list.len()];
        for &(parent, class, child) in &self.list {
            edges[fill[parent as usize] as usize] = (class, child);
            fill[parent as usize] += 1;
        }
        let children = |s: u32| &edges[first[s as usize] as usize..first[s as usize + 1] as usize];
        let mut fail = vec![0u32; states];
        // Breadth-first order; the order itself is the queue.
        let mut order = Vec::with_capacity(states);
        order.push(0u32);
        let mut next = 0;
        while let Some(&s) = order.get(next) {
            next += 1;
            for &(class, t) in children(s) {
                if s != 0 {
                    let mut f = fail[s as usize];
                    fail[t as usize] = loop {
                        if let Some(&g) = self.edges.get(&(f, class)) {
                            break g;
                        }
                        if f == 0 {
                            break 0;
                        }
                        f = fail[f as usize];
                    };
                }
                order.push(t);
            }
        }
        // Whether a state matches (itself or through its failure chain): shallower first.
        let mut matches = vec![false; states];
        for &s in &order {
            matches[s as usize] =
                !self.own[s as usize].is_empty() || (s != 0 && matches[fail[s as usize] as usize]);
        }
        let final_order: Vec<u32> = order
            .iter()
            .copied()
            .filter(|&s| !matches[s as usize])
            .chain(order.iter().copied().filter(|&s| matches[s as usize]))
            .collect();
        let plain = final_order
            .iter()
            .filter(|&&s| !matches[s as usize])
            .count();
        let mut id = vec![0u32; states];
        for (i, &s) in final_order.iter().enumerate() {
            id[s as usize] = (i * stride) as u32;
        }
        let mut trans = vec![0u32; states * stride];
        for &s in &order {
            let row = id[s as usize] as usize;
            if s != 0 {
                let from = id[fail[s as usize] as usize] as usize;
                trans.copy_within(from..from + stride, row);
            }
            for &(class, t) in children(s) {
                trans[row + usize::from(class)] = id[t as usize];
            }
        }
        let mut out_start = vec![0u32];
        let mut out_keywords = Vec::new();
        for &s in &final_order[plain..] {
            let mut at = s;
            loop {
                out_keywords.extend_from_slice(&self.own[at as usize]);
                if at == 0 {
                    break;
                }
                at = fail[at as usize];
            }
            out_start.push(out_keywords.len() as u32);
        }
        KeywordSet {
            classes,
            stride,
            trans,
            match_min: (plain * stride) as u32,
            out_start,
            out_keywords,
            lens: words.iter().map(|w| w.len() as u32).collect(),
            max_len: words.iter().map(|w| w.len()).max().unwrap_or(1),
        }
    }
}

#[cfg(test)]
mod tests;
