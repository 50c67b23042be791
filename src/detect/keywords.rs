//! The keyword prefilter's automaton: every occurrence of every keyword, ASCII
//! case-insensitively, in one pass.
//!
//! It is an Aho-Corasick DFA like the `aho-corasick` crate's, with two differences that
//! matter on a hook's hot path:
//!
//! - **Several streams at once.** A DFA search is a chain of dependent loads (the next state
//!   needs the current one), so one stream waits on memory latency at every byte. A large
//!   haystack is cut into [`STREAMS`] pieces that are walked in lockstep: the loads of
//!   different pieces overlap: 3.0 ns/byte becomes 1.3 over `tree/`. A piece runs on past
//!   its end by the longest keyword's length, minus one, and keeps only matches that start
//!   inside it, so no match across a cut is lost or reported twice.
//! - **A tight loop.** Transitions are premultiplied state ids over byte classes (upper- and
//!   lower-case letters share a class), and states with matches are numbered last, so the
//!   loop is one table load and one comparison per byte.
//!
//! Building it takes about 1 ms for the built-in packs (the crate's DFA took 3–4 ms, so small
//! hooks used its slower NFA); small hooks and large scans now use the same automaton.

use std::collections::VecDeque;
use std::fmt;

/// Pieces walked in lockstep (see the module docs). On the benchmark machine (x86-64) one
/// stream ran at 3.0 ns/byte over `tree/`, two at 1.5, three at 1.3, four no better.
const STREAMS: usize = 3;
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
    /// The automaton would exceed [`MAX_ENTRIES`] transitions.
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
        Ok(trie.into_dfa(classes, &words))
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
        let (trans, classes, match_min) = (&self.trans[..], &self.classes, self.match_min);
        let pieces: [&[u8]; STREAMS] = std::array::from_fn(|k| &hay[cut[k]..cut[k] + common]);
        let mut state = [0u32; STREAMS];
        for i in 0..common {
            for k in 0..STREAMS {
                state[k] =
                    trans[state[k] as usize + usize::from(classes[usize::from(pieces[k][i])])];
            }
            for k in 0..STREAMS {
                if state[k] >= match_min {
                    self.report(state[k], cut[k] + i + 1, limit[k], found);
                }
            }
        }
        for k in 0..STREAMS {
            self.walk(state[k], hay, (cut[k] + common, end[k]), limit[k], found);
        }
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

/// The keyword trie with dense rows, turned into a DFA by [`Trie::into_dfa`].
struct Trie {
    stride: usize,
    /// `goto[state * stride + class]`, `NONE` where the trie has no edge.
    goto: Vec<u32>,
    /// Keywords ending at each state (its own, then through failure links).
    outs: Vec<Vec<u32>>,
}

const NONE: u32 = u32::MAX;

impl Trie {
    fn new(words: &[&[u8]], classes: &[u8; 256], stride: usize) -> Result<Trie, KeywordError> {
        let mut trie = Trie {
            stride,
            goto: vec![NONE; stride],
            outs: vec![Vec::new()],
        };
        for (k, word) in words.iter().enumerate() {
            let mut state = 0usize;
            for &b in *word {
                let slot = state * stride + usize::from(classes[usize::from(b)]);
                if trie.goto[slot] == NONE {
                    let states = trie.outs.len() + 1;
                    if states * stride > MAX_ENTRIES {
                        return Err(KeywordError::TooLarge {
                            states,
                            classes: stride,
                        });
                    }
                    trie.goto[slot] = trie.outs.len() as u32;
                    trie.goto.extend(std::iter::repeat_n(NONE, stride));
                    trie.outs.push(Vec::new());
                }
                state = trie.goto[slot] as usize;
            }
            if !trie.outs[state].contains(&(k as u32)) {
                trie.outs[state].push(k as u32);
            }
        }
        Ok(trie)
    }

    /// Fills every missing edge with the failure transition (breadth first, so a state's
    /// failure target is complete before it is used), merges outputs along failure links,
    /// then renumbers states so those with outputs come last.
    fn into_dfa(mut self, classes: [u8; 256], words: &[&[u8]]) -> KeywordSet {
        let stride = self.stride;
        let mut fail = vec![0u32; self.outs.len()];
        let mut queue = VecDeque::new();
        for c in 0..stride {
            match self.goto[c] {
                NONE => self.goto[c] = 0,
                t => queue.push_back(t),
            }
        }
        while let Some(s) = queue.pop_front() {
            let s = s as usize;
            let f = fail[s] as usize;
            if f != 0 && !self.outs[f].is_empty() {
                let inherited = self.outs[f].clone();
                self.outs[s].extend(inherited);
            }
            for c in 0..stride {
                let via_fail = self.goto[f * stride + c];
                match self.goto[s * stride + c] {
                    NONE => self.goto[s * stride + c] = via_fail,
                    t => {
                        fail[t as usize] = via_fail;
                        queue.push_back(t);
                    }
                }
            }
        }
        let states = self.outs.len();
        let order: Vec<usize> = (0..states)
            .filter(|&s| self.outs[s].is_empty())
            .chain((0..states).filter(|&s| !self.outs[s].is_empty()))
            .collect();
        let plain = self.outs.iter().filter(|o| o.is_empty()).count();
        let mut new_id = vec![0u32; states];
        for (i, &s) in order.iter().enumerate() {
            new_id[s] = (i * stride) as u32;
        }
        let mut trans = Vec::with_capacity(states * stride);
        for &s in &order {
            trans.extend(
                self.goto[s * stride..(s + 1) * stride]
                    .iter()
                    .map(|&t| new_id[t as usize]),
            );
        }
        let mut out_start = vec![0u32];
        let mut out_keywords = Vec::new();
        for &s in &order[plain..] {
            out_keywords.extend_from_slice(&self.outs[s]);
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
