use super::*;

/// A v2 index of one entry `a.txt` with the given extension bytes appended.
fn one_entry(version: u32, ext: &[u8]) -> Vec<u8> {
    let mut d = b"DIRC".to_vec();
    d.extend_from_slice(&version.to_be_bytes());
    d.extend_from_slice(&1u32.to_be_bytes());
    let mut fixed = [0u8; FIXED];
    fixed[24..28].copy_from_slice(&0o100644u32.to_be_bytes());
    fixed[40..60].copy_from_slice(&[0xab; 20]);
    fixed[60..62].copy_from_slice(&5u16.to_be_bytes());
    d.extend_from_slice(&fixed);
    if version == 4 {
        d.push(0); // strip nothing from the (empty) previous path
        d.extend_from_slice(b"a.txt\0");
    } else {
        d.extend_from_slice(b"a.txt");
        let len = (FIXED + 5 + 8) & !7;
        d.resize(HEADER + len, 0);
    }
    d.extend_from_slice(ext);
    d.extend_from_slice(&[0u8; HASH]); // checksum (not verified)
    d
}

fn tree_ext(body: &[u8]) -> Vec<u8> {
    let mut e = b"TREE".to_vec();
    e.extend_from_slice(&(body.len() as u32).to_be_bytes());
    e.extend_from_slice(body);
    e
}

#[test]
fn reads_entries_and_the_cache_tree() {
    let mut body = b"\x001 1\n".to_vec();
    body.extend_from_slice(&[0x11; 20]);
    body.extend_from_slice(b"sub\x00-1 0\n");
    for version in [2, 3, 4] {
        let data = one_entry(version, &tree_ext(&body));
        let idx = parse(&data).expect("parses");
        assert_eq!(idx.entries.len(), 1);
        assert_eq!(&*idx.entries[0].path, b"a.txt");
        assert_eq!(idx.entries[0].mode, 0o100644);
        assert_eq!(idx.trees.len(), 1, "the invalid `sub` node is left out");
        assert_eq!(idx.trees[&b""[..]], Oid::from_bytes(&[0x11; 20]).unwrap());
    }
}

#[test]
fn anything_not_understood_is_none_never_a_panic() {
    let good = one_entry(2, b"");
    assert!(parse(&good).is_some());
    let mut cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"DIRC".to_vec(),
        one_entry(5, b""),
        one_entry(2, &tree_ext(b"\x00x y\n")),
        one_entry(2, &tree_ext(b"\x001 5\n")),
        one_entry(2, b"link\x00\x00\x00\x00"),
        // A directory entry outside a sparse index.
        sparse_dir(false),
        one_entry(2, b"zzzz\x00\x00\x00\x00"),
        one_entry(2, b"TREE\xff\xff\xff\xff"),
    ];
    // Every truncation of a good index.
    cases.extend((0..good.len()).map(|n| good[..n].to_vec()));
    // A huge entry count.
    let mut huge = good.clone();
    huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    cases.push(huge);
    // A conflicted entry (stage 2).
    let mut conflict = good.clone();
    conflict[HEADER + 60..HEADER + 62].copy_from_slice(&(0x2000u16 | 5).to_be_bytes());
    cases.push(conflict);
    for (i, case) in cases.iter().enumerate() {
        assert!(parse(case).is_none(), "case {i}");
    }
    // A cache tree nested deeper than any checkout is refused, not recursed into.
    let mut deep: Vec<u8> = (0..100_000).flat_map(|_| b"d\x00-1 1\n".to_vec()).collect();
    deep.extend_from_slice(b"d\x00-1 0\n");
    assert!(parse(&one_entry(2, &tree_ext(&deep))).is_none());
    // Unknown optional extensions are skipped.
    assert!(parse(&one_entry(2, b"UNTR\x00\x00\x00\x00")).is_some());
}

/// A v3 index of the file `a.txt` and the sparse directory `d/` (skip-worktree), with the
/// `sdir` extension when `sdir`.
fn sparse_dir(sdir: bool) -> Vec<u8> {
    let mut d = b"DIRC".to_vec();
    d.extend_from_slice(&3u32.to_be_bytes());
    d.extend_from_slice(&2u32.to_be_bytes());
    for (path, mode, extended) in [(&b"a.txt"[..], 0o100644u32, false), (b"d/", 0o040000, true)] {
        let start = d.len();
        let mut fixed = [0u8; FIXED];
        fixed[24..28].copy_from_slice(&mode.to_be_bytes());
        fixed[40..60].copy_from_slice(&[0xcd; 20]);
        let flags = path.len() as u16 | if extended { 0x4000 } else { 0 };
        fixed[60..62].copy_from_slice(&flags.to_be_bytes());
        d.extend_from_slice(&fixed);
        if extended {
            d.extend_from_slice(&0x4000u16.to_be_bytes()); // skip-worktree
        }
        d.extend_from_slice(path);
        let len = (d.len() - start + 8) & !7;
        d.resize(start + len, 0);
    }
    if sdir {
        d.extend_from_slice(b"sdir\x00\x00\x00\x00");
    }
    d.extend_from_slice(&[0u8; HASH]);
    d
}

#[test]
fn a_sparse_index_keeps_its_directory_entries() {
    let data = sparse_dir(true);
    let idx = parse(&data).expect("a sparse index parses");
    assert!(idx.sparse);
    assert_eq!(idx.entries.len(), 2);
    assert_eq!(&*idx.entries[1].path, b"d/");
    assert_eq!(idx.entries[1].mode, 0o040000);
    assert_eq!(
        idx.entries[1].stat, None,
        "skip-worktree vouches for nothing"
    );
    // A directory mode without the trailing `/`, or a file path with one, is not understood.
    let mut no_slash = data.clone();
    let at = no_slash.windows(3).position(|w| w == b"d/\0").unwrap();
    no_slash[at + 1] = b'x';
    assert!(parse(&no_slash).is_none());
    let mut file_mode = data.clone();
    let second = HEADER + ((FIXED + 5 + 8) & !7);
    file_mode[second + 24..second + 28].copy_from_slice(&0o100644u32.to_be_bytes());
    assert!(parse(&file_mode).is_none());
    assert!(!parse(&one_entry(3, b"")).unwrap().sparse);
}
