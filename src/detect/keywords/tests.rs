use super::*;
use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// Every match as (start, end, keyword), sorted.
fn ours(set: &KeywordSet, hay: &[u8]) -> Vec<(usize, usize, u32)> {
    let mut all = Vec::new();
    set.for_each_match(hay, |s, e, k| all.push((s, e, k)));
    all.sort_unstable();
    all
}

/// The same from the `aho-corasick` crate: the oracle.
fn oracle(words: &[&[u8]], hay: &[u8]) -> Vec<(usize, usize, u32)> {
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(words)
        .expect("oracle builds");
    let mut all: Vec<_> = ac
        .find_overlapping_iter(hay)
        .map(|m| (m.start(), m.end(), m.pattern().as_u32()))
        .collect();
    all.sort_unstable();
    all
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

#[test]
fn agrees_with_aho_corasick_on_random_sets_and_haystacks() {
    // A small alphabet makes overlaps, shared prefixes and suffix chains common; the
    // upper-case and non-ASCII bytes check case folding and bytes outside every keyword.
    let alphabet = b"abcAB.\n\xc3";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let words: Vec<Vec<u8>> = (0..1 + rng.below(12))
            .map(|_| {
                let len = 1 + rng.below(6);
                rng.bytes(b"abcAB.", len)
            })
            .collect();
        let mut unique: Vec<Vec<u8>> = Vec::new();
        for w in words {
            if !unique.iter().any(|u| u.eq_ignore_ascii_case(&w)) {
                unique.push(w);
            }
        }
        let refs: Vec<&[u8]> = unique.iter().map(Vec::as_slice).collect();
        let set = KeywordSet::new(&refs).expect("builds");
        // Lengths on both sides of the split threshold, and odd ones so cuts land anywhere.
        let len = match round % 4 {
            0 => rng.below(64),
            1 => SPLIT_MIN - 3 + rng.below(7),
            _ => SPLIT_MIN + rng.below(3 * SPLIT_MIN),
        };
        let hay = rng.bytes(alphabet, len);
        assert_eq!(
            ours(&set, &hay),
            oracle(&refs, &hay),
            "round {round}: words {:?}, {len} bytes",
            refs.iter()
                .map(|w| String::from_utf8_lossy(w))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn matches_across_every_cut_are_found_once() {
    // One long keyword placed across each place where the lockstep walk cuts, at every
    // offset, in a haystack of filler that matches nothing.
    let word = b"patient_identifier".as_slice();
    let set = KeywordSet::new(&[word, b"ent_id".as_slice()]).expect("builds");
    let len = 2 * SPLIT_MIN;
    for cut in (1..STREAMS).map(|k| k * len / STREAMS) {
        for shift in 0..word.len() + 2 {
            let mut hay = vec![b'z'; len];
            let at = cut - shift;
            hay[at..at + word.len()].copy_from_slice(word);
            assert_eq!(
                ours(&set, &hay),
                vec![(at, at + word.len(), 0), (at + 4, at + 10, 1)],
                "cut {cut}, shift {shift}"
            );
        }
    }
}

#[test]
fn case_folding_is_ascii_only() {
    let set = KeywordSet::new(&["ssn", "\u{e9}t\u{e9}"]).expect("builds");
    let hay = "SSN Ssn sSn \u{c9}T\u{c9} \u{e9}T\u{e9}".as_bytes();
    let starts: Vec<(usize, u32)> = ours(&set, hay).iter().map(|m| (m.0, m.2)).collect();
    // `É` is not folded to `é` (ASCII only, like the regexes' ASCII mode).
    assert_eq!(starts, vec![(0, 0), (4, 0), (8, 0), (18, 1)]);
}

#[test]
fn bad_sets_are_errors() {
    assert_eq!(
        KeywordSet::new(&["a", ""]).map(|_| ()),
        Err(KeywordError::Empty(1))
    );
    let empty: [&str; 0] = [];
    let none = KeywordSet::new(&empty).expect("an empty set builds");
    assert!(none.is_empty());
    assert!(ours(&none, &vec![b'a'; 3 * SPLIT_MIN]).is_empty());
    let huge: Vec<Vec<u8>> = (0..1_000u32)
        .map(|i| format!("{i:04}-{i:0>2000}").into_bytes())
        .collect();
    assert!(matches!(
        KeywordSet::new(&huge),
        Err(KeywordError::TooLarge { .. })
    ));
}
