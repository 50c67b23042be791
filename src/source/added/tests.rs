//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;
use rustc_hash::FxHashSet;

fn added<'a>(old: &[&'a str], new: &'a str) -> Vec<&'a str> {
    let old: Vec<&[u8]> = old.iter().map(|s| s.as_bytes()).collect();
    added_regions(&old, new.as_bytes())
        .into_iter()
        .map(|r| &new[r])
        .collect()
}

#[test]
fn added_table() {
    assert_eq!(added(&[], "a\nb\n"), vec!["a\nb\n"]);
    assert_eq!(added(&["a\nb\n"], "a\nb\n"), Vec::<&str>::new());
    assert_eq!(added(&["a\nc\n"], "a\nb\nc\nd"), vec!["b\n", "d"]);
    // CRLF conversion adds nothing.
    assert_eq!(added(&["a\r\nb\r\n"], "a\nb\n"), Vec::<&str>::new());
    // A line moved within the file is not added (the documented difference from diff).
    assert_eq!(added(&["x\ny\n"], "y\nx\n"), Vec::<&str>::new());
    // A merge: lines from either parent are not added; the resolution line is.
    assert_eq!(added(&["a\nb\n", "a\nc\n"], "a\nb\nc\nz\n"), vec!["z\n"]);
    // Appended lines; one that repeats an old line is not added.
    assert_eq!(added(&["a\nb\n"], "a\nb\nc\na\n"), vec!["c\n"]);
    // A shared start that ends inside a line: that line is compared whole.
    assert_eq!(added(&["a\nbc\n"], "a\nb"), vec!["b"]);
    assert_eq!(added(&["a\nb"], "a\nbc\n"), vec!["bc\n"]);
    assert_eq!(added(&["a\nb"], "a\nb"), Vec::<&str>::new());
    assert_eq!(added(&["a\nb\n"], "a\nb"), Vec::<&str>::new());
    assert_eq!(added(&["a\nb"], "a\nb\n"), Vec::<&str>::new());
    // Past the 64-byte blocks of the shared-start scan.
    let long = "0123456789abcdef".repeat(9);
    let old = format!("{long}\nx\n");
    let new = format!("{long}\nx\n{long}z\n");
    assert_eq!(added(&[&old], &new), vec![format!("{long}z\n").as_str()]);
    // The longest shared start of any parent counts.
    assert_eq!(added(&["q\n", "a\nb\n"], "a\nb\nq\nr\n"), vec!["r\n"]);
}

/// Every way [`added_regions_with`] can take: candidates looked up by splitting the old
/// versions or by searching for each, with and without walking a single old version in step.
const WAYS: [(usize, bool); 4] = [
    (0, false),
    (usize::MAX, false),
    (0, true),
    (usize::MAX, true),
];

/// The plain line-set difference: every line of `new` that no old version has, hashed whole.
fn plain(old: &[&[u8]], new: &[u8]) -> Vec<Range<usize>> {
    let seen: FxHashSet<&[u8]> = old
        .iter()
        .flat_map(|o| lines(o).map(|(s, e, _)| &o[s..e]))
        .collect();
    let mut regions: Vec<Range<usize>> = Vec::new();
    for (s, e, next) in lines(new) {
        if seen.contains(&new[s..e]) {
            continue;
        }
        match regions.last_mut() {
            Some(last) if last.end == s => last.end = next,
            _ => regions.push(s..next),
        }
    }
    regions
}

/// The shared-start shortcut never changes the answer: the regions equal a plain line-set
/// difference for every pair of short texts over a small alphabet (with `\r`: the line ends
/// a substring search must tell apart).
#[test]
fn shortcut_agrees_with_the_plain_difference() {
    for alphabet in [b"ab\n", b"a\r\n"] {
        shortcut_agrees_over(alphabet);
    }
}

fn shortcut_agrees_over(alphabet: &[u8; 3]) {
    // Every text of 1 to 5 bytes over the alphabet.
    let texts: Vec<Vec<u8>> = (1..=5u32)
        .flat_map(|len| {
            (0..3u32.pow(len)).map(move |mut n| {
                (0..len)
                    .map(|_| {
                        let b = alphabet[(n % 3) as usize];
                        n /= 3;
                        b
                    })
                    .collect()
            })
        })
        .collect();
    for old in texts.iter().step_by(3) {
        for new in &texts {
            if old.is_empty() || new.is_empty() {
                continue;
            }
            for (few, align) in WAYS {
                assert_eq!(
                    added_regions_with(&[old], new, few, align),
                    plain(&[old], new),
                    "old {:?} new {:?} few {few} align {align}",
                    String::from_utf8_lossy(old),
                    String::from_utf8_lossy(new)
                );
            }
        }
    }
}

/// The mask-based line splitter gives exactly the plain splitter's lines, `\r\n` endings and
/// a last line without a newline included, on texts long enough to cross many 64-byte
/// chunks.
#[test]
fn each_line_agrees_with_the_plain_splitter() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..500 {
        let len = (next() % 400) as usize;
        let text: Vec<u8> = (0..len)
            .map(|_| match next() % 10 {
                0 | 1 => b'\n',
                2 => b'\r',
                3 => b'7',
                _ => b'a',
            })
            .collect();
        let mut ours = Vec::new();
        each_line(&text, |s, e, n| ours.push((s, e, n)));
        let plain: Vec<_> = lines(&text).collect();
        assert_eq!(ours, plain, "{:?}", String::from_utf8_lossy(&text));
    }
}

/// The shared start and end, the in-step walk and the candidate set never change the answer
/// on edits of longer texts (lines inserted, deleted, changed, moved, CRLF, a last line
/// without a newline, lines long enough to share a length modulo 1024, texts longer than the
/// walk's search window) against one to three old versions.
#[test]
fn shared_end_and_candidates_agree_with_the_plain_difference() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let line = |n: u64| -> Vec<u8> {
        let mut l = match n % 7 {
            0 => b"a".repeat((n % 3) as usize),
            1 => b"x".repeat(1024 + (n % 2) as usize),
            2 => format!("line {}", n % 13).into_bytes(),
            _ => format!("fn f{}() {{}}", n % 29).into_bytes(),
        };
        l.extend_from_slice(if n.is_multiple_of(11) { b"\r\n" } else { b"\n" });
        l
    };
    for round in 0..3000 {
        let base: Vec<Vec<u8>> = (0..next() % 40).map(|_| line(next())).collect();
        let edit = |lines: &[Vec<u8>], next: &mut dyn FnMut() -> u64| -> Vec<u8> {
            let mut lines = lines.to_vec();
            for _ in 0..next() % 4 {
                let at = (next() as usize) % (lines.len() + 1);
                match next() % 3 {
                    0 => lines.insert(at, line(next())),
                    1 if at < lines.len() => {
                        lines.remove(at);
                    }
                    _ if at < lines.len() => lines[at] = line(next()),
                    _ => {}
                }
            }
            let mut text = lines.concat();
            if next().is_multiple_of(5) && text.last() == Some(&b'\n') {
                text.pop();
            }
            text
        };
        let olds: Vec<Vec<u8>> = (0..1 + next() % 3)
            .map(|_| edit(&base, &mut next))
            .collect();
        let new = edit(&base, &mut next);
        let olds: Vec<&[u8]> = olds.iter().map(Vec::as_slice).collect();
        if new.is_empty() || olds.iter().all(|o| o.is_empty()) {
            continue;
        }
        let want = plain(&olds, &new);
        for (few, align) in WAYS {
            assert_eq!(
                added_regions_with(&olds, &new, few, align),
                want,
                "round {round}, few {few}, align {align}"
            );
        }
        assert_eq!(
            added_regions(&olds, &new),
            want,
            "round {round}: old {:?} new {:?}",
            olds.iter()
                .map(|o| String::from_utf8_lossy(o))
                .collect::<Vec<_>>(),
            String::from_utf8_lossy(&new)
        );
    }
}

/// A new version of the same few lines over and over: the list of its lines (24 bytes a line)
/// is dropped once it passes twice the candidates, and the last pass hashes the lines again,
/// with the plain difference's answer. Before the list was bounded, a staged file of 32 MiB
/// of empty lines listed 33 million lines (800 MB). A version of distinct lines keeps it.
#[test]
fn a_version_of_repeated_lines_drops_its_line_list() {
    let mut new: Vec<u8> = b"x\n".to_vec();
    for i in 0..20_000 {
        new.extend_from_slice(if i % 7 == 0 { b"b\r\n" } else { b"a\n" });
    }
    new.extend_from_slice(b"x\nc");
    let old: &[u8] = b"x\nb\n";
    for (few, align) in WAYS {
        assert_eq!(
            added_regions_with(&[old], &new, few, align),
            plain(&[old], &new),
            "few {few} align {align}"
        );
        assert_eq!(LISTED.with(std::cell::Cell::get), None, "the list was kept");
    }
    let distinct: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    for (few, align) in WAYS {
        assert_eq!(
            added_regions_with(&[old], &distinct, few, align),
            plain(&[old], &distinct)
        );
        assert_eq!(LISTED.with(std::cell::Cell::get), Some(20_000));
    }
}
