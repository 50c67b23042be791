use super::super::{FIXED, load, parse};
use super::*;
use std::cell::OnceCell;

/// One entry of a test index: path, mode, the byte its id repeats.
type Spec<'a> = (&'a [u8], u32, u8);

/// An index file (version 2) of `entries` and extensions `ext`, ending in checksum `sum`.
fn file(entries: &[Spec<'_>], ext: &[u8], sum: [u8; 20]) -> Vec<u8> {
    let mut d = b"DIRC".to_vec();
    d.extend_from_slice(&2u32.to_be_bytes());
    d.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for (path, mode, id) in entries {
        let start = d.len();
        let mut fixed = [0u8; FIXED];
        fixed[24..28].copy_from_slice(&mode.to_be_bytes());
        fixed[40..60].copy_from_slice(&[*id; 20]);
        fixed[60..62].copy_from_slice(&(path.len() as u16).to_be_bytes());
        d.extend_from_slice(&fixed);
        d.extend_from_slice(path);
        d.resize(start + ((FIXED + path.len() + 8) & !7), 0);
    }
    d.extend_from_slice(ext);
    d.extend_from_slice(&sum);
    d
}

/// An EWAH bitmap of `bits`, all in literal words after one marker.
fn ewah(bits: &[usize]) -> Vec<u8> {
    let n = bits.iter().max().map_or(0, |m| m / 64 + 1);
    let mut words = vec![0u64; n];
    for b in bits {
        words[b / 64] |= 1 << (b % 64);
    }
    raw_ewah(&[&[(n as u64) << 33], &words[..]].concat())
}

/// An EWAH bitmap of the given words.
fn raw_ewah(words: &[u64]) -> Vec<u8> {
    let mut d = 64u32.to_be_bytes().to_vec();
    d.extend_from_slice(&(words.len() as u32).to_be_bytes());
    for w in words {
        d.extend_from_slice(&w.to_be_bytes());
    }
    d.extend_from_slice(&0u32.to_be_bytes());
    d
}

fn link_ext(shared: [u8; 20], delete: &[u8], replace: &[u8]) -> Vec<u8> {
    let mut e = b"link".to_vec();
    e.extend_from_slice(&((20 + delete.len() + replace.len()) as u32).to_be_bytes());
    e.extend_from_slice(&shared);
    e.extend_from_slice(delete);
    e.extend_from_slice(replace);
    e
}

fn bits(bitmap: &[u8], limit: usize) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    each_bit(bitmap, limit, |p| {
        out.push(p);
        Some(())
    })?;
    Some(out)
}

const SHARED: [u8; 20] = [0x5a; 20];
const FILE: u32 = 0o100644;

fn shared_index() -> Vec<u8> {
    let entries: &[Spec<'_>] = &[
        (b"a.txt", FILE, 1),
        (b"b.txt", FILE, 2),
        (b"c.txt", FILE, 3),
        (b"d/e.txt", FILE, 4),
    ];
    file(entries, b"", SHARED)
}

/// The merged index's entries as (path, id byte).
fn merged(split: &[u8], shared: Vec<u8>) -> Option<Vec<(String, u8)>> {
    let cell = OnceCell::new();
    let index = load(split, &cell, |id| {
        assert_eq!(id, Oid::from_bytes(&SHARED).unwrap().to_string());
        Some(shared)
    })?;
    Some(
        index
            .entries
            .iter()
            .map(|e| {
                (
                    String::from_utf8_lossy(&e.path).into_owned(),
                    e.id.as_bytes()[0],
                )
            })
            .collect(),
    )
}

#[test]
fn each_bit_reads_literal_words_and_runs() {
    assert_eq!(
        bits(&ewah(&[0, 3, 63, 64, 130]), 200),
        Some(vec![0, 3, 63, 64, 130])
    );
    // A run of one word of ones, then two words of zeros, then a literal word.
    let run_of_ones = 1 | (1 << 1) | (1 << 33);
    let run_of_zeros = (2 << 1) | (1 << 33);
    let got = bits(&raw_ewah(&[run_of_ones, 0b101, run_of_zeros, 0b10]), 400).unwrap();
    let mut want: Vec<usize> = (0..64).collect();
    want.extend([64, 66, 64 * 4 + 1]);
    assert_eq!(got, want);
    assert_eq!(bits(&[], 0), Some(vec![]));
}

#[test]
fn each_bit_refuses_bits_past_the_limit_and_missing_words_without_walking_them() {
    assert_eq!(bits(&ewah(&[5]), 5), None);
    // The largest run of ones stops at once: its first bit past the limit is never visited.
    let huge = 1 | (0xffff_ffff << 1);
    crate::work::take();
    assert_eq!(bits(&raw_ewah(&[huge]), 10), None);
    assert!(crate::work::take() < 10, "a refused run is not walked");
    // A huge run of zeros is skipped in one step, and the bit after it is past the limit.
    let zeros = (0xffff_ffffu64 << 1) | (1 << 33);
    assert_eq!(bits(&raw_ewah(&[zeros, 1]), 1 << 20), None);
    assert!(crate::work::take() < 10, "a run of zeros is not walked");
    // A marker announcing literal words that are not there.
    assert_eq!(bits(&raw_ewah(&[3 << 33, 1]), 1000), None);
}

#[test]
fn a_split_index_replaces_deletes_and_adds_shared_entries_as_git_does() {
    let split_entries: &[Spec<'_>] = &[
        (b"", FILE, 0x22),      // replaces b.txt
        (b"a.txt", FILE, 0x11), // an added entry with a shared path replaces it
        (b"bb.txt", FILE, 0x33),
        (b"z.txt", FILE, 0x44),
    ];
    let ext = link_ext(SHARED, &ewah(&[2]), &ewah(&[1]));
    let split = file(split_entries, &ext, [0; 20]);
    let want = [
        ("a.txt", 0x11),
        ("b.txt", 0x22),
        ("bb.txt", 0x33),
        ("d/e.txt", 4),
        ("z.txt", 0x44),
    ];
    let want: Vec<(String, u8)> = want.iter().map(|(p, i)| (p.to_string(), *i)).collect();
    assert_eq!(merged(&split, shared_index()), Some(want));
    // `parse` alone does not claim to know the whole index.
    assert!(parse(&split).is_none());
    // A link without bitmaps: the shared entries as they are.
    let plain = file(&[], &link_ext(SHARED, b"", b""), [0; 20]);
    assert_eq!(merged(&plain, shared_index()).map(|e| e.len()), Some(4));
}

#[test]
fn a_split_index_git_would_refuse_is_none_never_a_panic() {
    let named_replacement: &[Spec<'_>] = &[(b"b.txt", FILE, 9)];
    let unnamed: &[Spec<'_>] = &[(b"", FILE, 9)];
    let two_unnamed: &[Spec<'_>] = &[(b"", FILE, 9), (b"", FILE, 8)];
    let unsorted: &[Spec<'_>] = &[(b"y.txt", FILE, 9), (b"x.txt", FILE, 8)];
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "a replacement with a path",
            file(
                named_replacement,
                &link_ext(SHARED, &ewah(&[]), &ewah(&[1])),
                [0; 20],
            ),
            shared_index(),
        ),
        (
            "a replaced entry also deleted",
            file(
                unnamed,
                &link_ext(SHARED, &ewah(&[1]), &ewah(&[1])),
                [0; 20],
            ),
            shared_index(),
        ),
        (
            "more replacements than entries",
            file(
                unnamed,
                &link_ext(SHARED, &ewah(&[]), &ewah(&[0, 1])),
                [0; 20],
            ),
            shared_index(),
        ),
        (
            "an added entry without a path",
            file(
                two_unnamed,
                &link_ext(SHARED, &ewah(&[]), &ewah(&[0])),
                [0; 20],
            ),
            shared_index(),
        ),
        (
            "a position past the shared index",
            file(unnamed, &link_ext(SHARED, &ewah(&[]), &ewah(&[4])), [0; 20]),
            shared_index(),
        ),
        (
            "added entries out of order",
            file(unsorted, &link_ext(SHARED, &ewah(&[]), &ewah(&[])), [0; 20]),
            shared_index(),
        ),
        (
            "a shared index whose checksum is not its name",
            file(&[], &link_ext(SHARED, b"", b""), [0; 20]),
            file(&[(b"a.txt", FILE, 1)], b"", [0x77; 20]),
        ),
        (
            "a shared index that is itself split",
            file(&[], &link_ext(SHARED, b"", b""), [0; 20]),
            file(&[], &link_ext([1; 20], b"", b""), SHARED),
        ),
        (
            "garbage after the bitmaps",
            file(
                &[],
                &link_ext(SHARED, &ewah(&[]), &[ewah(&[]), vec![0]].concat()),
                [0; 20],
            ),
            shared_index(),
        ),
        (
            "one bitmap only",
            file(&[], &link_ext(SHARED, &ewah(&[]), b""), [0; 20]),
            shared_index(),
        ),
        (
            "an unnamed entry without a link",
            file(unnamed, b"", [0; 20]),
            shared_index(),
        ),
    ];
    for (what, split, shared) in cases {
        assert_eq!(merged(&split, shared), None, "{what}");
    }
    // An all-zero id: no shared index is needed (nor read).
    let cell = OnceCell::new();
    let whole = file(
        &[(b"a.txt", FILE, 1)],
        &link_ext([0; 20], b"", b""),
        [0; 20],
    );
    let index = load(&whole, &cell, |_| panic!("no shared index to read")).unwrap();
    assert_eq!(index.entries.len(), 1);
    // A shared index that cannot be read.
    let split = file(&[], &link_ext(SHARED, b"", b""), [0; 20]);
    assert!(load(&split, &OnceCell::new(), |_| None).is_none());
}
