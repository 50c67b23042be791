use super::{MAX_DEPTH, MEMBER_COST, Member, is_archive, members};
use std::io::Write;

const MIB: u64 = 1 << 20;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A zip of `entries` (a name ending in `/` a directory), in their order. The other
/// readers of zip content (workbooks) build theirs with it too.
pub(in crate::source) fn zip_of(
    entries: &[(&str, &[u8])],
    method: zip::CompressionMethod,
) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        if name.ends_with('/') {
            w.add_directory(*name, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *bytes).unwrap();
    }
    b.into_inner().unwrap()
}

fn names(m: &[Member]) -> Vec<&str> {
    m.iter().map(|m| m.name.as_str()).collect()
}

const CSV: &[u8] = b"name,ssn\nMaria Ortega,536-22-8177\n";

#[test]
fn a_gzip_file_holds_one_member_named_without_gz() {
    let gz = gzip(CSV);
    assert!(is_archive(&gz));
    let m = members("data/patients.csv.gz", &gz, MIB).unwrap();
    assert_eq!(
        m,
        vec![Member {
            name: "patients.csv".into(),
            bytes: Ok(CSV.to_vec())
        }]
    );
    // A name without `.gz` still names the member.
    assert_eq!(names(&members("dump", &gz, MIB).unwrap()), ["-"]);
}

#[test]
fn a_compressed_tar_shows_the_tars_members() {
    let tgz = gzip(&tar_of(&[("export/a.csv", CSV), ("export/b.txt", b"x\n")]));
    let m = members("export.tgz", &tgz, MIB).unwrap();
    assert_eq!(names(&m), ["export/a.csv", "export/b.txt"]);
    assert_eq!(m[0].bytes.as_deref(), Ok(CSV));
}

#[test]
fn zip_members_of_every_method_and_nested_archives_are_opened() {
    let inner = zip_of(&[("in.csv", CSV)], zip::CompressionMethod::Stored);
    let z = zip_of(
        &[
            ("dir/", b""),
            ("dir/a.csv", CSV),
            ("b.csv", CSV),
            ("inner.zip", &inner),
            ("c.csv.gz", &gzip(CSV)),
            ("empty.txt", b""),
        ],
        zip::CompressionMethod::Deflated,
    );
    assert!(is_archive(&z));
    let m = members("x.zip", &z, MIB).unwrap();
    assert_eq!(
        names(&m),
        ["dir/a.csv", "b.csv", "inner.zip!in.csv", "c.csv.gz!c.csv"]
    );
    assert!(m.iter().all(|m| m.bytes.as_deref() == Ok(CSV)));
    let stored = zip_of(&[("a.csv", CSV)], zip::CompressionMethod::Stored);
    assert_eq!(
        members("s.zip", &stored, MIB).unwrap()[0].bytes.as_deref(),
        Ok(CSV)
    );
    // An empty zip (end record only) has no members.
    let empty = zip_of(&[], zip::CompressionMethod::Stored);
    assert!(is_archive(&empty));
    assert!(members("e.zip", &empty, MIB).unwrap().is_empty());
}

#[test]
fn text_and_other_binaries_are_no_archives() {
    assert!(!is_archive(CSV));
    assert!(!is_archive(b""));
    assert!(!is_archive(b"PK"));
    assert!(!is_archive(&[0x1f, 0x8b]));
    assert!(!is_archive(&[0u8; 600]));
}

/// An archive bomb: 64 MiB of zeros gzipped to 64 KiB, and a zip of many empty members,
/// against a 1 MiB budget.
#[test]
fn an_archive_past_the_budget_is_unscannable_without_holding_it() {
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 128 << 10);
    assert_eq!(
        members("b.gz", &bomb, MIB),
        Err("an archive that expands past max_file_bytes")
    );
    // Exactly at the budget is fine.
    assert_eq!(
        members("b.gz", &gzip(&vec![b'a'; 1000]), 1000 + MEMBER_COST)
            .unwrap()
            .len(),
        1
    );
    assert!(members("b.gz", &gzip(&vec![b'a'; 1000]), 999 + MEMBER_COST).is_err());
    let many: Vec<(String, &[u8])> = (0..(MIB / MEMBER_COST + 1))
        .map(|i| (format!("{i}"), &b""[..]))
        .collect();
    let many: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let z = zip_of(&many, zip::CompressionMethod::Stored);
    assert_eq!(
        members("m.zip", &z, MIB),
        Err("an archive that expands past max_file_bytes")
    );
}

#[test]
fn archives_nested_past_the_limit_are_unreadable_members() {
    let mut a = CSV.to_vec();
    for _ in 0..MAX_DEPTH {
        a = gzip(&a);
    }
    assert_eq!(
        members("a.gz", &a, MIB).unwrap()[0].bytes.as_deref(),
        Ok(CSV)
    );
    let deeper = zip_of(
        &[("deep.gz", &gzip(&a)), ("b.csv", CSV)],
        zip::CompressionMethod::Stored,
    );
    let m = members("z.zip", &deeper, MIB).unwrap();
    assert_eq!(names(&m), ["deep.gz", "b.csv"]);
    assert_eq!(m[0].bytes, Err("archives nested too deep to open"));
    assert_eq!(m[1].bytes.as_deref(), Ok(CSV));
}

/// Compressed files and archives of kinds phiguard does not open are named, not taken for
/// binary: alone they are unscannable, inside a zip one unreadable member.
#[test]
fn archives_phiguard_does_not_open_are_unscannable() {
    let kinds: [(&[u8], &str); 1] = [(b"Rar!\x1A\x07\x01\x00", "RAR")];
    for (bytes, kind) in kinds {
        assert!(is_archive(bytes), "{kind}");
        let why = members("x", bytes, MIB).unwrap_err();
        assert!(why.contains(kind) && why.contains("does not open"), "{why}");
        let z = zip_of(
            &[("x", bytes), ("b.csv", CSV)],
            zip::CompressionMethod::Stored,
        );
        let m = members("z.zip", &z, MIB).unwrap();
        assert_eq!(m[0].bytes, Err(why));
        assert_eq!(m[1].bytes.as_deref(), Ok(CSV));
    }
    // Text that happens to start like one is text.
    assert!(!is_archive(b"BZh5 is a heading\n"));
}

/// Sets the "encrypted" flag of every header of a stored zip.
fn flag_encrypted(mut z: Vec<u8>) -> Vec<u8> {
    for i in 0..z.len().saturating_sub(4) {
        match &z[i..i + 4] {
            b"PK\x03\x04" => z[i + 6] |= 1,
            b"PK\x01\x02" => z[i + 8] |= 1,
            _ => {}
        }
    }
    z
}

/// Sets the compression method of every header of a stored zip to `method`.
fn set_method(mut z: Vec<u8>, method: u16) -> Vec<u8> {
    for i in 0..z.len().saturating_sub(4) {
        let at = match &z[i..i + 4] {
            b"PK\x03\x04" => i + 8,
            b"PK\x01\x02" => i + 10,
            _ => continue,
        };
        z[at..at + 2].copy_from_slice(&method.to_le_bytes());
    }
    z
}

#[test]
fn encrypted_damaged_and_unknown_zip_members_are_unreadable_and_the_rest_read() {
    let z = zip_of(
        &[("a.csv", CSV), ("b.txt", b"plain\n")],
        zip::CompressionMethod::Stored,
    );
    let unreadable = |z: &[u8]| -> Vec<Result<Vec<u8>, &str>> {
        members("z.zip", z, MIB)
            .unwrap()
            .into_iter()
            .map(|m| m.bytes)
            .collect()
    };
    assert_eq!(
        unreadable(&flag_encrypted(z.clone())),
        [
            Err("an encrypted zip member"),
            Err("an encrypted zip member")
        ]
    );
    // PPMd (98) is not read.
    let method = "a zip member compressed with a method phiguard does not read";
    assert_eq!(
        unreadable(&set_method(z.clone(), 98)),
        [Err(method), Err(method)]
    );
    // A flipped byte of one member's content fails its CRC; the other is read.
    let mut bad = z.clone();
    let at = bad.windows(CSV.len()).position(|w| w == CSV).unwrap();
    bad[at + 12] ^= 1;
    assert_eq!(
        unreadable(&bad),
        [Err("a damaged zip member"), Ok(b"plain\n".to_vec())]
    );
    // Cut short: the directory is gone.
    assert_eq!(
        members("t.zip", &z[..z.len() - 10], MIB),
        Err("a damaged zip archive")
    );
    let gz = gzip(CSV);
    assert_eq!(
        members("t.gz", &gz[..gz.len() - 4], MIB),
        Err("a damaged gzip file")
    );
}

/// Two central directory entries named alike: the zip reader keeps one, so the other's
/// content would go unread.
#[test]
fn a_zip_naming_a_member_twice_is_unscannable() {
    let z = zip_of(
        &[("a.csv", CSV), ("b.csv", b"nothing\n")],
        zip::CompressionMethod::Stored,
    );
    let mut twice = z.clone();
    for i in 0..twice.len() - 5 {
        if &twice[i..i + 5] == b"b.csv" {
            twice[i] = b'a';
        }
    }
    assert_eq!(
        names(&members("z.zip", &z, MIB).unwrap()),
        ["a.csv", "b.csv"]
    );
    assert_eq!(
        members("z.zip", &twice, MIB),
        Err("a zip archive that names a member twice")
    );
}

/// Damaged archives of every kind are an answer, never a panic, and nothing they expand to
/// exceeds the budget.
#[test]
fn damaged_archives_never_panic_and_stay_within_the_budget() {
    let samples = [
        gzip(CSV),
        gzip(&tar_of(&[("a.csv", CSV), ("b.csv", CSV)])),
        zip_of(
            &[
                ("a.csv", CSV),
                (
                    "n.zip",
                    &zip_of(&[("b", CSV)], zip::CompressionMethod::Stored),
                ),
            ],
            zip::CompressionMethod::Deflated,
        ),
        tar_of(&[("a.csv", CSV)]),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for s in &samples {
        for _ in 0..400 {
            let mut b = s.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % b.len() as u64) as usize;
                b[at] = next() as u8;
            }
            if next() % 4 == 0 {
                b.truncate((next() % b.len() as u64) as usize);
            }
            if let Ok(m) = members("f", &b, 4096) {
                let held: u64 = m
                    .iter()
                    .map(|m| m.bytes.as_ref().map_or(0, Vec::len) as u64 + MEMBER_COST)
                    .sum();
                assert!(held <= 4096, "{held}");
            }
        }
    }
}

/// A GNU sparse member (`tar --sparse`: a file with holes) holds content like any file: it
/// was passed over as "not a regular file". The member: 64 KiB of hole, then the CSV.
#[test]
fn a_sparse_tar_member_is_read() {
    let mut h = tar::Header::new_gnu();
    h.set_path("holes.csv").unwrap();
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(CSV.len() as u64);
    let gnu = h.as_gnu_mut().unwrap();
    gnu.sparse[0].set_offset(64 << 10);
    gnu.sparse[0].set_length(CSV.len() as u64);
    gnu.set_real_size((64 << 10) + CSV.len() as u64);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, CSV).unwrap();
    let tar = b.into_inner().unwrap();
    assert_eq!(tar[156], b'S');
    let m = members("h.tar", &tar, MIB).unwrap();
    assert_eq!(names(&m), ["holes.csv"]);
    let bytes = m[0].bytes.as_ref().unwrap();
    assert_eq!(bytes.len(), (64 << 10) + CSV.len());
    assert!(bytes.ends_with(CSV));
}

/// A tar in the format before POSIX (`tar --format=v7`, .NET's writers) has no `ustar`
/// magic: it is known by its header's checksum, and its members are read. It was one
/// binary member of its gzip, skipped, with every file in it.
#[test]
fn a_v7_tar_without_ustar_magic_shows_its_members() {
    use super::is_v7_tar;
    let mut h = tar::Header::new_old();
    h.set_path("export/a.csv").unwrap();
    h.set_size(CSV.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, CSV).unwrap();
    let tar = b.into_inner().unwrap();
    assert_ne!(tar.get(257..262), Some(&b"ustar"[..]));
    let m = members("v7.tar.gz", &gzip(&tar), MIB).unwrap();
    assert_eq!(names(&m), ["export/a.csv"]);
    assert_eq!(m[0].bytes.as_deref(), Ok(CSV));
    // A header whose checksum does not add up is no tar.
    let mut bad = tar.clone();
    bad[0] ^= 1;
    assert!(!is_v7_tar(&bad));
    assert!(!is_v7_tar(&[0u8; 1024]));
}

/// A patient list compressed with xz, bzip2 or zstd (as pandas' `to_csv("p.csv.xz")` and
/// the command-line tools write them) was unscannable: skipped with a note by every local
/// hook. Each is opened as a gzip file is: one member named without the suffix, a tar
/// inside read as its members, frame after frame of a zstd file.
#[test]
fn xz_bzip2_and_zstd_files_are_opened() {
    let csv: &[u8] =
        b"mrn,name,ssn\nMR4000001,Rosa Ortega,536-90-4399\nMR4000003,Ada Kim,418-27-3306\n";
    let fixtures: [(&str, &[u8]); 4] = [
        (
            "p/patients.csv.xz",
            include_bytes!("../../../tests/fixtures/compressed/patients.csv.xz"),
        ),
        (
            "p/patients.csv.bz2",
            include_bytes!("../../../tests/fixtures/compressed/patients.csv.bz2"),
        ),
        (
            "p/patients.csv.zst",
            include_bytes!("../../../tests/fixtures/compressed/patients.csv.zst"),
        ),
        (
            "p/patients.tar.xz",
            include_bytes!("../../../tests/fixtures/compressed/patients.tar.xz"),
        ),
    ];
    for (name, bytes) in fixtures {
        assert!(is_archive(bytes), "{name}");
        // The file without its suffix, or the tar's one member.
        let m = members(name, bytes, MIB).unwrap();
        assert_eq!(m.len(), 1, "{name}: {m:?}");
        assert_eq!(m[0].name, "patients.csv", "{name}");
        assert_eq!(m[0].bytes.as_deref(), Ok(csv), "{name}");
    }
    // Two frames: the second is read too.
    let two = include_bytes!("../../../tests/fixtures/compressed/two-frames.csv.zst");
    let m = members("two-frames.csv.zst", two, MIB).unwrap();
    let mut both = b"a,b\n".to_vec();
    both.extend_from_slice(csv);
    assert_eq!(m[0].bytes.as_deref(), Ok(&both[..]));
    // Inside a zip, as a member of it.
    let z = zip_of(
        &[("out/patients.csv.bz2", fixtures[1].1)],
        zip::CompressionMethod::Stored,
    );
    let m = members("z.zip", &z, MIB).unwrap();
    assert_eq!(m[0].name, "out/patients.csv.bz2!patients.csv");
    assert_eq!(m[0].bytes.as_deref(), Ok(csv));
}

/// What xz, bzip2 and zstd files expand to is charged to the budget (4 MiB of zeros each
/// against one), and an xz file that asks for a dictionary past 64 MiB is refused before
/// anything is allocated for it; a damaged or cut file is unscannable, never a panic.
#[test]
fn xz_bzip2_and_zstd_bombs_and_damage_are_unscannable() {
    let bombs: [&[u8]; 3] = [
        include_bytes!("../../../tests/fixtures/compressed/zeros.xz"),
        include_bytes!("../../../tests/fixtures/compressed/zeros.bz2"),
        include_bytes!("../../../tests/fixtures/compressed/zeros.zst"),
    ];
    for bomb in bombs {
        assert_eq!(members("zeros", bomb, MIB), Err(super::OVER_BUDGET));
        assert!(members("zeros", bomb, 8 * MIB).is_ok());
    }
    let big = include_bytes!("../../../tests/fixtures/compressed/big-dictionary.xz");
    assert_eq!(members("big.xz", big, MIB), Err("a damaged xz file"));
    for (name, bytes, why) in [
        (
            "p.xz",
            &include_bytes!("../../../tests/fixtures/compressed/patients.csv.xz")[..],
            "a damaged xz file",
        ),
        (
            "p.bz2",
            &include_bytes!("../../../tests/fixtures/compressed/patients.csv.bz2")[..],
            "a damaged bzip2 file",
        ),
        (
            "p.zst",
            &include_bytes!("../../../tests/fixtures/compressed/patients.csv.zst")[..],
            "a damaged zstd file",
        ),
    ] {
        for cut in 12..bytes.len() {
            let got = members(name, &bytes[..cut], MIB);
            assert!(
                got.is_err()
                    || got
                        .as_ref()
                        .is_ok_and(|m| m.iter().all(|m| m.bytes.is_ok())),
                "{name} cut at {cut}: {got:?}"
            );
            if let Err(e) = got {
                assert_eq!(e, why, "{name} cut at {cut}");
            }
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.to_vec();
            flipped[at] ^= 0x5A;
            let _ = members(name, &flipped, MIB);
        }
    }
}

/// The patient list of `tests/fixtures/compressed/generate.sh`.
const PATIENTS: &[u8] =
    b"mrn,name,ssn\nMR4000001,Rosa Ortega,536-90-4399\nMR4000003,Ada Kim,418-27-3306\n";

/// A patient list compressed with lz4 (a frame, or the legacy format of `lz4 -l`) or lzip was
/// unscannable: skipped with a note by every local hook. Each is opened as a gzip file is,
/// one member named without the suffix.
#[test]
fn lz4_and_lzip_files_are_opened() {
    let fixtures: [(&str, &[u8]); 3] = [
        (
            "p/patients.csv.lz4",
            include_bytes!("../../../tests/fixtures/compressed/patients.csv.lz4"),
        ),
        (
            "p/patients.csv.lz4",
            include_bytes!("../../../tests/fixtures/compressed/legacy.csv.lz4"),
        ),
        (
            "p/patients.csv.lz",
            include_bytes!("../../../tests/fixtures/compressed/patients.csv.lz"),
        ),
    ];
    for (name, bytes) in fixtures {
        assert!(is_archive(bytes), "{name}");
        let m = members(name, bytes, MIB).unwrap();
        assert_eq!(names(&m), ["patients.csv"], "{name}");
        assert_eq!(m[0].bytes.as_deref(), Ok(PATIENTS), "{name}");
    }
    // Member after member, frame after frame.
    for (name, bytes) in [fixtures[0], fixtures[2]] {
        let mut two = bytes.to_vec();
        two.extend_from_slice(bytes);
        let m = members(name, &two, MIB).unwrap();
        assert_eq!(m[0].bytes.as_deref(), Ok(&PATIENTS.repeat(2)[..]), "{name}");
    }
}

/// What lz4 and lzip files expand to is charged to the budget (4 MiB of zeros against one);
/// an lzip member that asks for a 512 MiB dictionary is refused; bytes after the last
/// member or frame, a cut or a flipped byte make a damaged file, never a panic.
#[test]
fn lz4_and_lzip_bombs_trailing_bytes_and_damage_are_unscannable() {
    for bomb in [
        &include_bytes!("../../../tests/fixtures/compressed/zeros.lz4")[..],
        &include_bytes!("../../../tests/fixtures/compressed/zeros.lz")[..],
    ] {
        assert_eq!(members("zeros", bomb, MIB), Err(super::OVER_BUDGET));
        let m = members("zeros", bomb, 8 * MIB).unwrap();
        assert_eq!(m[0].bytes.as_deref().map(<[u8]>::len), Ok(4 << 20));
    }
    let big = include_bytes!("../../../tests/fixtures/compressed/big-dictionary.lz");
    assert_eq!(members("big.lz", big, MIB), Err("a damaged lzip file"));
    for (name, bytes, why) in [
        (
            "p.lz4",
            &include_bytes!("../../../tests/fixtures/compressed/patients.csv.lz4")[..],
            "a damaged lz4 file",
        ),
        (
            "p.lz",
            &include_bytes!("../../../tests/fixtures/compressed/patients.csv.lz")[..],
            "a damaged lzip file",
        ),
        (
            "legacy.lz4",
            &include_bytes!("../../../tests/fixtures/compressed/legacy.csv.lz4")[..],
            "a damaged lz4 file",
        ),
    ] {
        let mut trailing = bytes.to_vec();
        trailing.extend_from_slice(b"SSN 536-90-4399\n");
        assert_eq!(members(name, &trailing, MIB), Err(why), "{name}");
        // A cut file is damaged, even cut between blocks or right after a header.
        for cut in 6..bytes.len() {
            assert_eq!(
                members(name, &bytes[..cut], MIB),
                Err(why),
                "{name} cut at {cut}"
            );
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.to_vec();
            flipped[at] ^= 0x5A;
            let _ = members(name, &flipped, MIB);
        }
    }
}

/// A patient list in a 7z archive was unscannable. The archive's files are its members, in
/// a solid block (7-Zip's default, LZMA2) or one block per file, compressed with LZMA or
/// BZip2 too. A block phiguard does not decode (PPMd, Deflate, or encrypted) makes each of
/// its files an unreadable member and the archive's other blocks are still read; encrypted
/// names make the archive unscannable.
#[test]
fn seven_zip_archives_are_opened_block_by_block() {
    let solid = include_bytes!("../../../tests/fixtures/compressed/patients.7z");
    assert!(is_archive(solid));
    let mut m = members("p.7z", solid, MIB).unwrap();
    m.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(names(&m), ["note.txt", "patients.csv"]);
    assert_eq!(m[0].bytes.as_deref(), Ok(&b"nothing here\n"[..]));
    assert_eq!(m[1].bytes.as_deref(), Ok(PATIENTS));
    for bytes in [
        &include_bytes!("../../../tests/fixtures/compressed/patients-LZMA.7z")[..],
        &include_bytes!("../../../tests/fixtures/compressed/patients-BZip2.7z")[..],
    ] {
        let m = members("p.7z", bytes, MIB).unwrap();
        assert_eq!(names(&m), ["patients.csv"]);
        assert_eq!(m[0].bytes.as_deref(), Ok(PATIENTS));
    }
    let unread = "a 7z member that is damaged or compressed with a method phiguard does not read";
    for bytes in [
        &include_bytes!("../../../tests/fixtures/compressed/patients-PPMd.7z")[..],
        &include_bytes!("../../../tests/fixtures/compressed/patients-Deflate.7z")[..],
    ] {
        let m = members("p.7z", bytes, MIB).unwrap();
        assert_eq!(
            m,
            [Member {
                name: "patients.csv".into(),
                bytes: Err(unread)
            }]
        );
    }
    let locked = include_bytes!("../../../tests/fixtures/compressed/locked.7z");
    let m = members("p.7z", locked, MIB).unwrap();
    assert_eq!(
        m,
        [Member {
            name: "patients.csv".into(),
            bytes: Err("an encrypted 7z member")
        }]
    );
    let half = include_bytes!("../../../tests/fixtures/compressed/half-locked.7z");
    let mut m = members("p.7z", half, MIB).unwrap();
    m.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(names(&m), ["note.txt", "patients.csv"]);
    assert_eq!(m[0].bytes.as_deref(), Ok(&b"nothing here\n"[..]));
    assert_eq!(m[1].bytes, Err("an encrypted 7z member"));
    let names_locked = include_bytes!("../../../tests/fixtures/compressed/locked-names.7z");
    assert_eq!(
        members("p.7z", names_locked, MIB),
        Err("a 7z archive whose names are encrypted")
    );
    // Inside a zip, and a zip inside it.
    let z = zip_of(&[("out/p.7z", solid)], zip::CompressionMethod::Stored);
    let mut m = members("z.zip", &z, MIB).unwrap();
    m.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(names(&m), ["out/p.7z!note.txt", "out/p.7z!patients.csv"]);
}

/// What a 7z archive expands to is charged to the budget (4 MiB of zeros against one); a cut
/// or a flipped byte never panics, and a cut archive is damaged or short of members.
#[test]
fn seven_zip_bombs_and_damage_stay_within_the_budget() {
    let bomb = include_bytes!("../../../tests/fixtures/compressed/zeros.7z");
    assert_eq!(members("zeros.7z", bomb, MIB), Err(super::OVER_BUDGET));
    let m = members("zeros.7z", bomb, 8 * MIB).unwrap();
    assert_eq!(m[0].bytes.as_deref().map(<[u8]>::len), Ok(4 << 20));
    let solid = include_bytes!("../../../tests/fixtures/compressed/patients.7z");
    for cut in 6..solid.len() {
        let got = members("p.7z", &solid[..cut], MIB);
        assert!(
            got.as_ref().is_err()
                || got.as_ref().is_ok_and(
                    |m| m.iter().all(|m| m.bytes.as_deref() != Ok(PATIENTS)) || m.len() == 2
                ),
            "cut at {cut}: {got:?}"
        );
    }
    for at in 0..solid.len() {
        let mut flipped = solid.to_vec();
        flipped[at] ^= 0x5A;
        let _ = members("p.7z", &flipped, MIB);
    }
}

/// Zip members compressed with a method besides Deflate, as the tools of
/// `tests/fixtures/compressed/generate.sh` write them: the patient list eight times over.
const METHOD_ZIPS: [(&str, &[u8]); 6] = [
    (
        "zip -Z bzip2",
        include_bytes!("../../../tests/fixtures/compressed/patients-infozip-bzip2.zip"),
    ),
    (
        "7-Zip BZip2",
        include_bytes!("../../../tests/fixtures/compressed/patients-BZip2.zip"),
    ),
    (
        "7-Zip LZMA",
        include_bytes!("../../../tests/fixtures/compressed/patients-LZMA.zip"),
    ),
    (
        "7-Zip LZMA without an end marker",
        include_bytes!("../../../tests/fixtures/compressed/patients-LZMA-no-end-marker.zip"),
    ),
    (
        "zipfile zstd",
        include_bytes!("../../../tests/fixtures/compressed/patients-zstd.zip"),
    ),
    (
        "7-Zip Deflate64",
        include_bytes!("../../../tests/fixtures/compressed/patients-Deflate64.zip"),
    ),
];

const DAMAGED_MEMBER: &str = "a damaged zip member";

/// Where the first member's compressed bytes are in zip `z`, by its local header.
fn packed_range(z: &[u8]) -> std::ops::Range<usize> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([z[at], z[at + 1]]));
    let u32_at = |at: usize| u32::from_le_bytes([z[at], z[at + 1], z[at + 2], z[at + 3]]) as usize;
    assert_eq!(&z[..4], b"PK\x03\x04");
    let start = 30 + u16_at(26) + u16_at(28);
    start..start + u32_at(18)
}

/// Sets the compressed size (`packed`) or the uncompressed size (`size`) in every header
/// of zip `z`.
fn set_sizes(mut z: Vec<u8>, packed: Option<u32>, size: Option<u32>) -> Vec<u8> {
    for i in 0..z.len().saturating_sub(4) {
        let at = match &z[i..i + 4] {
            b"PK\x03\x04" => i + 18,
            b"PK\x01\x02" => i + 20,
            _ => continue,
        };
        if let Some(packed) = packed {
            z[at..at + 4].copy_from_slice(&packed.to_le_bytes());
        }
        if let Some(size) = size {
            z[at + 4..at + 8].copy_from_slice(&size.to_le_bytes());
        }
    }
    z
}

/// A zip member as it is stored: its name, its method, the content (its CRC-32 and size go
/// in the headers) and its compressed bytes.
type Packed<'a> = (&'a str, u16, &'a [u8], &'a [u8]);

/// A zip of members given as they are stored.
fn packed_zip(entries: &[Packed]) -> Vec<u8> {
    let mut z = Vec::new();
    let mut central = Vec::new();
    for &(name, method, content, packed) in entries {
        let offset = z.len() as u32;
        // Version needed, flags, method, time and date (1980-01-01), CRC-32, sizes, the
        // name's length, no extra field.
        let fields = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&method.to_le_bytes());
            v.extend_from_slice(&[0, 0, 0x21, 0]);
            v.extend_from_slice(&crc32fast::hash(content).to_le_bytes());
            v.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            v.extend_from_slice(&(content.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&[0, 0]);
        };
        z.extend_from_slice(b"PK\x03\x04");
        fields(&mut z);
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(packed);
        central.extend_from_slice(b"PK\x01\x02");
        // Version made by.
        central.extend_from_slice(&20u16.to_le_bytes());
        fields(&mut central);
        // Comment length, disk, internal and external attributes.
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let at = z.len() as u32;
    z.extend_from_slice(&central);
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    let n = (entries.len() as u16).to_le_bytes();
    z.extend_from_slice(&[n[0], n[1], n[0], n[1]]);
    z.extend_from_slice(&(central.len() as u32).to_le_bytes());
    z.extend_from_slice(&at.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

fn bzip2_of(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A patient list in a zip compressed with bzip2 (`zip -Z bzip2`, 7-Zip), LZMA or Deflate64
/// (7-Zip, Windows Explorer) or zstd was an unreadable member, passed with a note by every
/// local hook. Each is decoded now; PPMd is still not read, and an encrypted member is
/// encrypted whatever its method.
#[test]
fn zip_members_compressed_with_bzip2_lzma_zstd_or_deflate64_are_read() {
    let list = PATIENTS.repeat(8);
    for (tool, z) in METHOD_ZIPS {
        assert!(is_archive(z), "{tool}");
        let m = members("p.zip", z, MIB).unwrap();
        assert_eq!(names(&m), ["patients.csv"], "{tool}");
        assert_eq!(m[0].bytes.as_deref(), Ok(&list[..]), "{tool}");
        // Inside another zip too.
        let outer = zip_of(&[("out/p.zip", z)], zip::CompressionMethod::Deflated);
        let m = members("o.zip", &outer, MIB).unwrap();
        assert_eq!(names(&m), ["out/p.zip!patients.csv"], "{tool}");
        assert_eq!(m[0].bytes.as_deref(), Ok(&list[..]), "{tool}");
        assert_eq!(
            members("p.zip", &flag_encrypted(z.to_vec()), MIB).unwrap()[0].bytes,
            Err("an encrypted zip member"),
            "{tool}"
        );
    }
    let ppmd = include_bytes!("../../../tests/fixtures/compressed/patients-PPMd.zip");
    assert_eq!(
        members("p.zip", ppmd, MIB).unwrap(),
        [Member {
            name: "patients.csv".into(),
            bytes: Err("a zip member compressed with a method phiguard does not read")
        }]
    );
}

/// Streams one after another are read as `bzip2 -d` and `zstd -d` read them: content after
/// the first stream is read, and a CRC-32 of the first alone makes the member damaged.
#[test]
fn a_zip_member_of_two_bzip2_streams_or_zstd_frames_is_read_whole() {
    let bz = include_bytes!("../../../tests/fixtures/compressed/patients.csv.bz2");
    let zst = include_bytes!("../../../tests/fixtures/compressed/patients.csv.zst");
    for (method, one) in [(12, &bz[..]), (93, &zst[..])] {
        let two = [one, one].concat();
        let z = packed_zip(&[("p.csv", method, &PATIENTS.repeat(2), &two)]);
        let m = members("p.zip", &z, MIB).unwrap();
        assert_eq!(
            m[0].bytes.as_deref(),
            Ok(&PATIENTS.repeat(2)[..]),
            "{method}"
        );
        // The headers give the first stream's CRC-32 and size only.
        let z = packed_zip(&[("p.csv", method, PATIENTS, &two)]);
        let m = members("p.zip", &z, MIB).unwrap();
        assert_eq!(m[0].bytes, Err(DAMAGED_MEMBER), "{method}");
        // One stream and something else after it.
        let trailing = [one, b"SSN 536-90-4399\n"].concat();
        let z = packed_zip(&[("p.csv", method, PATIENTS, &trailing)]);
        let m = members("p.zip", &z, MIB).unwrap();
        assert_eq!(m[0].bytes, Err(DAMAGED_MEMBER), "{method}");
    }
}

/// A flipped byte of a member's compressed bytes, a stream cut short, or headers that give
/// another CRC-32 or size make a damaged member, never content that is not the member's, and
/// never a panic; a cut archive never panics either.
#[test]
fn damaged_zip_members_of_every_method_are_damaged_members() {
    let list = PATIENTS.repeat(8);
    for (tool, z) in METHOD_ZIPS {
        let packed = packed_range(z);
        let mut damaged = 0;
        for at in packed.clone() {
            let mut flipped = z.to_vec();
            flipped[at] ^= 0x5A;
            let m = members("p.zip", &flipped, MIB).unwrap();
            assert_eq!(m.len(), 1, "{tool} flipped at {at}");
            match &m[0].bytes {
                Ok(content) => assert_eq!(content, &list, "{tool} flipped at {at}"),
                Err(why) => {
                    assert_eq!(*why, DAMAGED_MEMBER, "{tool} flipped at {at}");
                    damaged += 1;
                }
            }
        }
        assert!(damaged > packed.len() / 2, "{tool}: {damaged}");
        // The stream cut short, the directory whole.
        for len in 0..packed.len() as u32 {
            let cut = set_sizes(z.to_vec(), Some(len), None);
            // Deflate64's last byte may hold no more than padding.
            let m = members("p.zip", &cut, MIB).unwrap();
            assert!(
                m[0].bytes == Err(DAMAGED_MEMBER) || m[0].bytes.as_ref() == Ok(&list),
                "{tool} cut to {len}"
            );
        }
        for size in [0, list.len() as u32 - 1, list.len() as u32 + 1] {
            let lying = set_sizes(z.to_vec(), None, Some(size));
            let m = members("p.zip", &lying, MIB).unwrap();
            assert_eq!(m[0].bytes, Err(DAMAGED_MEMBER), "{tool} said {size} bytes");
        }
        let mut crc = z.to_vec();
        for i in 0..crc.len() - 4 {
            match &crc[i..i + 4] {
                b"PK\x03\x04" => crc[i + 14] ^= 1,
                b"PK\x01\x02" => crc[i + 16] ^= 1,
                _ => {}
            }
        }
        let m = members("p.zip", &crc, MIB).unwrap();
        assert_eq!(
            m[0].bytes,
            Err(DAMAGED_MEMBER),
            "{tool} with another CRC-32"
        );
        for cut in 0..z.len() {
            let _ = members("p.zip", &z[..cut], MIB);
        }
        for at in 0..z.len() {
            let mut flipped = z.to_vec();
            flipped[at] ^= 0x5A;
            let _ = members("p.zip", &flipped, MIB);
        }
    }
}

/// What a bzip2, LZMA, zstd or Deflate64 member expands to is charged to the budget as a
/// deflated one's is (4 MiB of zeros against one), whatever size its headers give: a size
/// smaller than the content stops the decoder one byte past it, a size of nearly 4 GiB
/// reserves no more than the budget.
#[test]
fn zip_members_of_every_method_are_bombs_stopped_by_the_budget() {
    for (tool, bomb) in [
        (
            "zip -Z bzip2",
            &include_bytes!("../../../tests/fixtures/compressed/zeros-infozip-bzip2.zip")[..],
        ),
        (
            "7-Zip LZMA",
            &include_bytes!("../../../tests/fixtures/compressed/zeros-LZMA.zip")[..],
        ),
        (
            "zipfile zstd",
            &include_bytes!("../../../tests/fixtures/compressed/zeros-zstd.zip")[..],
        ),
        (
            "7-Zip Deflate64",
            &include_bytes!("../../../tests/fixtures/compressed/zeros-Deflate64.zip")[..],
        ),
    ] {
        assert!(bomb.len() < 16 << 10, "{tool}");
        assert_eq!(
            members("z.zip", bomb, MIB),
            Err(super::OVER_BUDGET),
            "{tool}"
        );
        let m = members("z.zip", bomb, 8 * MIB).unwrap();
        assert_eq!(
            m[0].bytes.as_deref().map(<[u8]>::len),
            Ok(4 << 20),
            "{tool}"
        );
        let small = set_sizes(bomb.to_vec(), None, Some(1000));
        let m = members("z.zip", &small, 8 * MIB).unwrap();
        assert_eq!(m[0].bytes, Err(DAMAGED_MEMBER), "{tool}");
        let huge = set_sizes(bomb.to_vec(), None, Some(0xFFFF_FF00));
        assert_eq!(
            members("z.zip", &huge, MIB),
            Err(super::OVER_BUDGET),
            "{tool}"
        );
        assert_eq!(
            members("z.zip", &huge, 8 * MIB).unwrap()[0].bytes,
            Err(DAMAGED_MEMBER),
            "{tool}"
        );
    }
}

/// An LZMA member asks for its dictionary in its header: up to 64 MiB (what an xz file or an
/// lzip member may ask) it is read, past it the member is refused before anything is
/// allocated for it; a header that is not one is damage.
#[test]
fn an_lzma_zip_member_asking_for_a_dictionary_past_64_mib_is_refused() {
    let list = PATIENTS.repeat(8);
    for (tool, z) in [METHOD_ZIPS[2], METHOD_ZIPS[3]] {
        let at = packed_range(z).start;
        // The SDK's version, the properties' size (5), lc/lp/pb, the dictionary's size.
        assert_eq!(z[at + 2..at + 5], [5, 0, 0x5D], "{tool}");
        let dictionary = |size: u32| {
            let mut z = z.to_vec();
            z[at + 5..at + 9].copy_from_slice(&size.to_le_bytes());
            members("p.zip", &z, MIB).unwrap().remove(0).bytes
        };
        assert_eq!(dictionary(64 << 20).as_deref(), Ok(&list[..]), "{tool}");
        for big in [(64 << 20) + 1, 256 << 20, u32::MAX] {
            assert_eq!(dictionary(big), Err(DAMAGED_MEMBER), "{tool} {big}");
        }
        let mut props = z.to_vec();
        props[at + 2] = 6;
        assert_eq!(
            members("p.zip", &props, MIB).unwrap()[0].bytes,
            Err(DAMAGED_MEMBER),
            "{tool}"
        );
    }
}

/// A workbook's sheet compressed with bzip2 is still read as the sheet (CSV); a workbook
/// whose every part is is read as its parts' XML, not passed over.
#[test]
fn a_workbook_with_parts_compressed_with_bzip2_is_read() {
    let workbook: &[u8] = br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Patients" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels: &[u8] = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let sheet: &[u8] = br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>ssn</t></is></c></row><row><c t="inlineStr"><is><t>536-90-4399</t></is></c></row></sheetData></worksheet>"#;
    let parts = [
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", rels),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let book = |bzip2: &dyn Fn(&str) -> bool| {
        let packed: Vec<(&str, u16, Vec<u8>)> = parts
            .iter()
            .map(|&(name, xml)| {
                if bzip2(name) {
                    (name, 12, bzip2_of(xml))
                } else {
                    (name, 0, xml.to_vec())
                }
            })
            .collect();
        let entries: Vec<Packed> = packed
            .iter()
            .zip(parts)
            .map(|((name, method, packed), (_, xml))| (*name, *method, xml, &packed[..]))
            .collect();
        members("book.xlsx", &packed_zip(&entries), MIB).unwrap()
    };
    let m = book(&|name| name.ends_with("sheet1.xml"));
    assert_eq!(
        names(&m),
        ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "Patients"]
    );
    assert_eq!(m[2].bytes.as_deref(), Ok(&b"ssn\n536-90-4399\n"[..]));
    let m = book(&|_| true);
    assert_eq!(m.len(), 3);
    assert_eq!(m[2].bytes.as_deref(), Ok(sheet));
}
