//! The pack reader against real packs written by git.

use super::entry::apply_delta;
use super::index::{BLOCK, WHOLE_BYTES, WHOLE_OBJECT_BYTES};
use super::*;
use std::path::Path;
use std::process::Command;

/// Runs git in `dir` (with a user, and no signing or line-end conversion a machine's own
/// configuration may ask for); its output.
pub(in crate::source) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn id_of(hex: &str) -> Id {
    let mut id = [0; 20];
    for (k, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap();
    }
    id
}

/// A repository with `n` versions of one file, each commit adding a line at its top,
/// repacked so that older versions are deltas against newer ones: the blob ids, oldest
/// first, and the contents.
fn history(n: usize) -> (tempfile::TempDir, Vec<(Id, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let mut text: String = (0..200).map(|i| format!("base line {i}\n")).collect();
    let mut versions = Vec::new();
    for v in 0..n {
        text.insert_str(0, &format!("version {v} adds this line\n"));
        std::fs::write(dir.path().join("f.c"), &text).unwrap();
        git(dir.path(), &["add", "f.c"]);
        git(dir.path(), &["commit", "-q", "-m", &format!("v{v}")]);
        let hex = git(dir.path(), &["rev-parse", "HEAD:f.c"]);
        versions.push((id_of(hex.trim()), text.clone().into_bytes()));
    }
    git(
        dir.path(),
        &["repack", "-adfq", "--depth=50", "--window=50"],
    );
    (dir, versions)
}

fn objects(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join(".git/objects")
}

/// Read oldest first, as a history scan does, every version of a file whose older
/// versions are deltas against newer ones is inflated once: each version is one pack
/// entry, and the cache holds every object its chain resolved. (libgit2's cache, emptied
/// whenever full and never holding the chain's results, inflated the chain again for
/// every version.) Without a cache the chains are walked again: they are deep.
#[test]
fn a_history_of_delta_chains_inflates_each_pack_entry_once() {
    let (dir, versions) = history(40);
    let packs = Arc::new(Packs::open(&[objects(&dir)], 16 << 20, WHOLE_BYTES).unwrap());
    assert!(!packs.is_empty());
    let mut reader = PackReader::new(packs);
    for (id, text) in &versions {
        match reader.read_blob(id, u64::MAX).unwrap() {
            Outcome::Blob(bytes) => assert_eq!(*bytes, *text),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reader.inflated(), versions.len() as u64);
    let mut uncached = PackReader::new(Arc::new(
        Packs::open(&[objects(&dir)], 0, WHOLE_BYTES).unwrap(),
    ));
    for (id, _) in &versions {
        uncached.read_blob(id, u64::MAX).unwrap();
    }
    assert!(
        uncached.inflated() > 3 * versions.len() as u64,
        "the repack made delta chains: {}",
        uncached.inflated()
    );
}

/// Every object of a pack is found at the offset git's own index reader gives (blocks
/// of the index, their edges, and the fan-out's), and an id next to one is not.
#[test]
fn every_object_is_found_at_its_offset() {
    let (dir, _) = history(60);
    let idx = std::fs::read_dir(objects(&dir).join("pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let out = Command::new("git")
        .arg("show-index")
        .stdin(std::fs::File::open(idx).unwrap())
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    let objects_listed = listed.lines().count();
    assert!(
        objects_listed > 2 * BLOCK,
        "{objects_listed} objects span several blocks"
    );
    // Held by blocks (no budget, or one object short of the pack) and held whole.
    for budget in [
        0,
        objects_listed * WHOLE_OBJECT_BYTES - 1,
        objects_listed * WHOLE_OBJECT_BYTES,
    ] {
        let packs = Packs::open(&[objects(&dir)], 0, budget).unwrap();
        let whole = budget == objects_listed * WHOLE_OBJECT_BYTES;
        assert_eq!(packs.packs[0].is_whole(), whole, "budget {budget}");
        for line in listed.lines() {
            let mut fields = line.split_whitespace();
            let offset: u64 = fields.next().unwrap().parse().unwrap();
            let mut id = id_of(fields.next().unwrap());
            assert_eq!(
                packs.find(&id).unwrap(),
                Some((0, offset)),
                "budget {budget}"
            );
            id[19] ^= 1;
            if !listed.contains(&hex(&id)) {
                assert_eq!(packs.find(&id).unwrap(), None, "budget {budget}");
            }
        }
    }
}

fn hex(id: &Id) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// A blob over the size limit is skipped by its size, read from its entry's header or
/// its delta's first bytes: nothing is inflated whole.
#[test]
fn a_blob_over_the_limit_is_sized_without_inflating_it() {
    let (dir, versions) = history(5);
    let packs = Arc::new(Packs::open(&[objects(&dir)], 16 << 20, WHOLE_BYTES).unwrap());
    let mut reader = PackReader::new(packs);
    for (id, text) in &versions {
        match reader.read_blob(id, 100).unwrap() {
            Outcome::TooLarge(size) => assert_eq!(size, text.len() as u64),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reader.inflated(), 0);
}

/// A damaged entry is an error, never a skip or a fallback: zlib's check fails on the
/// flipped byte.
#[test]
fn a_damaged_pack_entry_is_an_error() {
    let (dir, versions) = history(3);
    let packs = Packs::open(&[objects(&dir)], 0, WHOLE_BYTES).unwrap();
    let (id, _) = &versions[0];
    let (_, offset) = packs.find(id).unwrap().unwrap();
    let pack_path = std::fs::read_dir(objects(&dir).join("pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let mut bytes = std::fs::read(&pack_path).unwrap();
    // Past the entry header (at most a few bytes for the type, size and base offset)
    // and the zlib header.
    bytes[offset as usize + 8] ^= 0x55;
    let mut perm = std::fs::metadata(&pack_path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
    std::fs::set_permissions(&pack_path, perm).unwrap();
    std::fs::write(&pack_path, bytes).unwrap();
    let mut reader = PackReader::new(Arc::new(
        Packs::open(&[objects(&dir)], 1 << 20, WHOLE_BYTES).unwrap(),
    ));
    let err = reader.read_blob(id, u64::MAX).unwrap_err();
    assert!(matches!(err, PackError::Corrupt(_)), "{err}");
}

/// An id no pack holds is left to the caller.
#[test]
fn an_object_outside_the_packs_is_left_to_the_caller() {
    let (dir, _) = history(2);
    let mut reader = PackReader::new(Arc::new(
        Packs::open(&[objects(&dir)], 1 << 20, WHOLE_BYTES).unwrap(),
    ));
    assert!(matches!(
        reader.read_blob(&[7; 20], u64::MAX).unwrap(),
        Outcome::Elsewhere
    ));
}

/// Deltas: copies and inserts; a copy past the base, a base of the wrong size and a
/// result of the wrong size are damage.
#[test]
fn deltas_apply_within_their_bounds() {
    let base = b"hello, world";
    // Base size 12, target size 10: copy 5 bytes from 0, insert "abcde".
    let delta = [12, 10, 0x90, 5, 5, b'a', b'b', b'c', b'd', b'e'];
    assert_eq!(apply_delta(base, &delta).unwrap(), b"helloabcde");
    // Copy 5 bytes from offset 10: past the base.
    let past = [12, 5, 0x91, 10, 5];
    assert!(apply_delta(base, &past).is_err());
    assert!(apply_delta(b"short", &delta).is_err());
    let long = [12, 4, 0x90, 5];
    assert!(apply_delta(base, &long).is_err());
    assert!(apply_delta(base, &[12, 1, 0]).is_err());
}

/// A push's quarantine is read before the repository's own store: a pushed history kept as
/// a pack there (as receive-pack keeps it while the hooks run) is read by the pack reader,
/// and a quarantine that is not a directory is left out.
#[test]
fn the_packs_of_a_push_quarantine_are_read() {
    let (pushed, versions) = history(6);
    let server = tempfile::tempdir().unwrap();
    git(server.path(), &["init", "-q", "--bare"]);
    let repo = git2::Repository::open(server.path()).unwrap();
    let quarantine = server.path().join("objects/incoming-test");
    std::fs::create_dir_all(quarantine.join("pack")).unwrap();
    for entry in std::fs::read_dir(objects(&pushed).join("pack")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            quarantine.join("pack").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    let own = super::super::loose::objects_dir(&repo);
    let stores = stores_in(Some(quarantine.clone()), &repo);
    assert_eq!(stores, [quarantine.clone(), own.clone()]);
    assert_eq!(
        stores_in(Some(server.path().join("gone")), &repo),
        std::slice::from_ref(&own)
    );
    let (id, text) = &versions[2];
    let mut reader = PackReader::new(Arc::new(
        Packs::open(&stores, 1 << 20, WHOLE_BYTES).unwrap(),
    ));
    match reader.read_blob(id, u64::MAX).unwrap() {
        Outcome::Blob(bytes) => assert_eq!(&bytes[..], &text[..]),
        other => panic!("{other:?}"),
    }
    let mut without = PackReader::new(Arc::new(Packs::open(&[own], 1 << 20, WHOLE_BYTES).unwrap()));
    assert!(matches!(
        without.read_blob(id, u64::MAX).unwrap(),
        Outcome::Elsewhere
    ));
}
