//! Reads a blob or a tree straight from its loose object file (`objects/ab/cdef…`): one
//! `open`, one read, one inflate, and the content copied out at the size its header announces.
//!
//! Why not libgit2: a staged change's old versions and `HEAD`'s trees are loose objects
//! (`git add` and `git commit` write them that way until a `gc`), and reading them through
//! libgit2 was a fifth of the CPU of a large staged scan — its backend lookups, a growing
//! output buffer and the system zlib. Here libdeflate inflates the object whole into a
//! buffer each thread reuses; only an object that may be over the size limit has its header
//! read first (with zlib-rs), so that nothing past it is inflated.
//!
//! This is only a fast path. Anything it does not recognise — no loose file (the object is
//! packed, or in a quarantine or an alternate), a header that is not `<kind> <size>`, a stream
//! that does not end exactly at that size, an inflate error (zlib's Adler-32 check catches
//! corrupt files) — returns `None` and the caller asks libgit2, which reads every store and
//! reports real errors. Except one: libgit2 spins forever on a truncated loose object, so a
//! caller first asks [`is_corrupt`] and fails closed on a damaged loose file. Objects are addressed by content, so a loose file found under the
//! id's path is that object wherever else it also lives.

use flate2::{Decompress, FlushDecompress, Status};
use git2::{Oid, Repository};
use std::path::{Path, PathBuf};

/// The loose object store of `repo` (shared by its linked worktrees).
pub fn objects_dir(repo: &Repository) -> PathBuf {
    repo.commondir().join("objects")
}

/// What a loose object read gives.
#[derive(Debug, PartialEq, Eq)]
pub enum LooseObject {
    /// The content.
    Content(Vec<u8>),
    /// The header announces more than the size limit; nothing was inflated past it.
    TooLarge(u64),
}

/// `<kind> <size>\0` at most: "blob " or "tree ", 20 digits and the NUL.
const HEADER_MAX: usize = 32;

/// Reads blob `id` from the loose object store `objects` (a repository's `objects`
/// directory); `None` when the fast path does not apply (see the module docs).
pub fn read_blob(objects: &Path, id: Oid, max_bytes: u64) -> Option<LooseObject> {
    inflate_object(&read_compressed(objects, id)?, b"blob ", max_bytes)
}

/// [`read_blob`], and when it gives nothing, [`is_corrupt`], from one read of the file: the
/// content, or `Err(true)` for a damaged loose file and `Err(false)` when there is none (the
/// blob is packed or elsewhere) or the fast path does not apply. Reading a packed history, a
/// second failing `open` per blob was a syscall for nothing.
pub fn read_blob_or_damage(objects: &Path, id: Oid, max_bytes: u64) -> Result<LooseObject, bool> {
    let compressed = read_compressed(objects, id).ok_or(false)?;
    inflate_object(&compressed, b"blob ", max_bytes).ok_or_else(|| stream_is_corrupt(&compressed))
}

/// The content of object `id` when its loose file holds a `kind` (`b"tree "`, `b"commit "`),
/// read like [`read_blob`].
pub fn read_object(objects: &Path, id: Oid, kind: &[u8]) -> Option<Vec<u8>> {
    match inflate_object(&read_compressed(objects, id)?, kind, u64::MAX)? {
        LooseObject::Content(bytes) => Some(bytes),
        LooseObject::TooLarge(_) => None,
    }
}

/// The entries of tree `id` as `(name, mode, id)`, read like [`read_blob`]; `None` when the
/// fast path does not apply, including any entry whose mode is not one git writes today
/// (libgit2 normalises old ones such as `100664`; it gets those trees).
pub fn read_tree(objects: &Path, id: Oid) -> Option<Vec<(Vec<u8>, u32, Oid)>> {
    match inflate_object(&read_compressed(objects, id)?, b"tree ", u64::MAX)? {
        LooseObject::Content(bytes) => parse_tree(&bytes),
        LooseObject::TooLarge(_) => None,
    }
}

/// Whether `id` is a loose object whose file is damaged: its zlib stream errors or ends
/// before its end marker (a truncated file). libgit2 spins forever on a truncated loose
/// object, so every read that falls back to libgit2 asks this first and fails closed.
/// Inflates into a small buffer it discards (memory is bounded whatever the object's size);
/// `false` when there is no loose file (the object is packed or elsewhere).
pub fn is_corrupt(objects: &Path, id: Oid) -> bool {
    read_compressed(objects, id).is_some_and(|c| stream_is_corrupt(&c))
}

/// The fan-out directories (`objects/xx`) of a store, listed once: an object whose
/// directory is not there is not loose, and [`is_corrupt`] need not open its file to say so.
/// A packed store (a clone, a server's repositories after `gc`) has none, and planning a
/// history asks for every tree and commit it reads (a fifteenth of planning
/// spring-framework's history went to those `open` calls). A directory created after the
/// listing only holds objects written after it, which git writes whole (a temporary file
/// renamed into place).
#[derive(Debug)]
pub struct Fanout {
    objects: PathBuf,
    /// Whether `objects/xx` existed, by its first id byte; all true when the directory
    /// could not be listed.
    present: [bool; 256],
}

impl Fanout {
    /// The fan-out of store `objects`.
    pub fn new(objects: PathBuf) -> Fanout {
        let mut present = [false; 256];
        match std::fs::read_dir(&objects) {
            Ok(dir) => {
                for entry in dir.flatten() {
                    let name = entry.file_name();
                    let name = name.as_encoded_bytes();
                    if name.len() == 2
                        && let Ok(byte) = u8::from_str_radix(&String::from_utf8_lossy(name), 16)
                    {
                        present[usize::from(byte)] = true;
                    }
                }
            }
            Err(_) => present = [true; 256],
        }
        Fanout { objects, present }
    }

    /// The store listed.
    pub fn objects(&self) -> &Path {
        &self.objects
    }

    /// Whether `id` may be a loose object: its fan-out directory was there.
    pub fn may_hold(&self, id: Oid) -> bool {
        self.present[usize::from(id.as_bytes()[0])]
    }

    /// [`is_corrupt`], without a file to open when the object's directory is not there.
    pub fn is_corrupt(&self, id: Oid) -> bool {
        self.may_hold(id) && is_corrupt(&self.objects, id)
    }
}

/// The parents of commit `id` read from its loose object file: `None` when it is not a loose
/// commit phiguard reads (packed, elsewhere, or another kind), `Some(Err(()))` when its
/// loose file is damaged ([`is_corrupt`]). Lets a history walk check, before libgit2's
/// revwalk parses them, the loose commits it will reach.
pub fn commit_parents(objects: &Path, id: Oid) -> Option<Result<Vec<Oid>, ()>> {
    let compressed = read_compressed(objects, id)?;
    match inflate_object(&compressed, b"commit ", u64::MAX) {
        Some(LooseObject::Content(body)) => Some(Ok(parse_parents(&body))),
        _ if stream_is_corrupt(&compressed) => Some(Err(())),
        _ => None,
    }
}

/// The `parent <hex>` lines after a commit's `tree` line (ids that do not parse end them).
fn parse_parents(body: &[u8]) -> Vec<Oid> {
    body.split(|&b| b == b'\n')
        .skip(1)
        .map_while(|line| {
            let hex = line.strip_prefix(b"parent ")?;
            Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
        })
        .collect()
}

/// Whether a loose object's compressed bytes are not one complete zlib stream.
fn stream_is_corrupt(compressed: &[u8]) -> bool {
    let mut z = Decompress::new(true);
    let mut sink = vec![0u8; 64 << 10];
    loop {
        let (before_in, before_out) = (z.total_in(), z.total_out());
        let at = usize::try_from(before_in).unwrap_or(usize::MAX);
        let Some(input) = compressed.get(at..) else {
            return true;
        };
        match z.decompress(input, &mut sink, FlushDecompress::None) {
            Ok(Status::StreamEnd) => return false,
            Ok(_) if z.total_in() != before_in || z.total_out() != before_out => {}
            // No progress and no end: the stream stops short; or it is not deflate at all.
            Ok(_) | Err(_) => return true,
        }
    }
}

fn read_compressed(objects: &Path, id: Oid) -> Option<Vec<u8>> {
    let hex = id.to_string();
    let mut file = std::fs::File::open(objects.join(&hex[..2]).join(&hex[2..])).ok()?;
    let len = file.metadata().ok()?.len();
    super::read_sized(&mut file, len).ok()
}

/// Tree entries: `<octal mode> <name>\0<20-byte id>`, repeated.
fn parse_tree(bytes: &[u8]) -> Option<Vec<(Vec<u8>, u32, Oid)>> {
    let mut out = Vec::new();
    tree_entries(bytes, |name, mode, id| {
        out.push((name.to_vec(), mode, Oid::from_bytes(id).ok()?));
        Some(())
    })?;
    Some(out)
}

/// Walks a tree object's bytes: `each` gets every entry's name, mode and 20-byte id, in
/// stored order. `None` (and the walk stops) on an entry that is not well formed, on a
/// mode that is not one git writes today (libgit2 normalises old ones such as `100664`),
/// or when `each` says `None`.
pub fn tree_entries(
    mut bytes: &[u8],
    mut each: impl FnMut(&[u8], u32, &[u8; 20]) -> Option<()>,
) -> Option<()> {
    while !bytes.is_empty() {
        let space = memchr::memchr(b' ', bytes)?;
        let mode = match &bytes[..space] {
            b"40000" => 0o040_000,
            b"100644" => 0o100_644,
            b"100755" => 0o100_755,
            b"120000" => 0o120_000,
            b"160000" => 0o160_000,
            _ => return None,
        };
        let rest = &bytes[space + 1..];
        let nul = memchr::memchr(0, rest)?;
        let id: &[u8; 20] = rest.get(nul + 1..nul + 21)?.try_into().ok()?;
        if nul == 0 {
            return None;
        }
        each(&rest[..nul], mode, id)?;
        bytes = &rest[nul + 21..];
    }
    Some(())
}

/// Inflates a loose object's bytes when they are a well-formed object of `kind` (`b"blob "`
/// or `b"tree "`).
fn inflate_object(compressed: &[u8], kind: &[u8], max_bytes: u64) -> Option<LooseObject> {
    // Deflate shrinks at most 1032:1: only an object that may be over the limit needs its
    // header read before it is inflated.
    if (compressed.len() as u64).saturating_mul(MAX_RATIO) > max_bytes {
        return inflate_checking_size(compressed, kind, max_bytes);
    }
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let (decompressor, buf) = &mut *scratch;
        let object = inflate_whole(decompressor, buf, compressed, kind);
        if buf.len() > SCRATCH_KEPT {
            *buf = Vec::new();
        }
        object
    })
}

/// Deflate's largest compression ratio.
const MAX_RATIO: u64 = 1032;

/// A thread's libdeflate state and output buffer, reused from object to object.
type Scratch = (libdeflater::Decompressor, Vec<u8>);

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> =
        std::cell::RefCell::new((libdeflater::Decompressor::new(), Vec::new()));
}

/// A larger output buffer is dropped after use rather than kept for the thread's life.
const SCRATCH_KEPT: usize = 16 << 20;

/// Inflates the whole stream into `buf` (grown until it fits) and checks the header against
/// what came out. libdeflate inflates a whole buffer about twice as fast as a streaming
/// inflate (the 1,900 old versions of the corpus staged change, 13 MB: 16 ms against
/// zlib-rs's 29 ms) and checks the Adler-32 sum; reading the header first, with a streaming
/// inflate, would build the first block's Huffman tables twice.
fn inflate_whole(
    decompressor: &mut libdeflater::Decompressor,
    buf: &mut Vec<u8>,
    compressed: &[u8],
    kind: &[u8],
) -> Option<LooseObject> {
    let bound = usize::try_from((compressed.len() as u64).saturating_mul(MAX_RATIO))
        .ok()?
        .saturating_add(HEADER_MAX);
    // Source code inflates to about four times its compressed size; a buffer kept from a
    // larger object is used as it is.
    let guess = compressed
        .len()
        .saturating_mul(4)
        .saturating_add(HEADER_MAX)
        .min(bound);
    if buf.len() < guess {
        buf.resize(guess, 0);
    }
    let inflated = loop {
        match decompressor.zlib_decompress(compressed, buf) {
            Ok(n) => break n,
            Err(libdeflater::DecompressionError::InsufficientSpace) if buf.len() < bound => {
                buf.resize(buf.len().saturating_mul(2).min(bound), 0);
            }
            Err(_) => return None,
        }
    };
    let out = &buf[..inflated];
    let nul = memchr::memchr(0, &out[..out.len().min(HEADER_MAX)])?;
    let size = parse_size(out[..nul].strip_prefix(kind)?)?;
    let body = &out[nul + 1..];
    (body.len() as u64 == size).then(|| LooseObject::Content(body.to_vec()))
}

/// [`inflate_object`] for an object that may be over `max_bytes`: the header is read with a
/// streaming inflate first, and nothing past it is inflated when the object is too large.
fn inflate_checking_size(compressed: &[u8], kind: &[u8], max_bytes: u64) -> Option<LooseObject> {
    let mut z = Decompress::new(true);
    let mut head = Vec::with_capacity(HEADER_MAX);
    let first = z
        .decompress_vec(compressed, &mut head, FlushDecompress::None)
        .ok()?;
    let nul = memchr::memchr(0, &head)?;
    let size = parse_size(head[..nul].strip_prefix(kind)?)?;
    if size > max_bytes {
        return Some(LooseObject::TooLarge(size));
    }
    let size = usize::try_from(size).ok()?;
    let body = &head[nul + 1..];
    if body.len() > size {
        return None;
    }
    if first == Status::StreamEnd {
        return (body.len() == size).then(|| LooseObject::Content(body.to_vec()));
    }
    // The whole stream again, header included, into a buffer of exactly the announced size
    // (see [`inflate_whole`]). A stream that needs more room, or ends short, is not the
    // object its header says; one announcing more than deflate's ratio allows is not worth
    // the allocation.
    if size as u64 / MAX_RATIO > compressed.len() as u64 {
        return None;
    }
    let total = (nul + 1).checked_add(size)?;
    let mut out = vec![0u8; total];
    let inflated = libdeflater::Decompressor::new()
        .zlib_decompress(compressed, &mut out)
        .ok()?;
    if inflated != total {
        return None;
    }
    out.drain(..=nul);
    Some(LooseObject::Content(out))
}

/// A decimal size without sign, leading zeros or overflow (what git writes).
fn parse_size(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    fn inflate_blob(bytes: &[u8], max_bytes: u64) -> Option<LooseObject> {
        inflate_object(bytes, b"blob ", max_bytes)
    }

    fn deflate(raw: &[u8]) -> Vec<u8> {
        let mut z = Compress::new(Compression::default(), true);
        let mut out = Vec::with_capacity(raw.len() + 64);
        z.compress_vec(raw, &mut out, FlushCompress::Finish)
            .expect("deflate");
        out
    }

    fn object(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
        raw.extend_from_slice(body);
        deflate(&raw)
    }

    /// Size limits that take each path: none (inflated whole at once), and one just above
    /// the object (its header read first).
    fn limits(body_len: usize) -> [u64; 2] {
        [u64::MAX, body_len as u64 + 100]
    }

    #[test]
    fn blobs_of_every_size_inflate_exactly() {
        for len in [0usize, 1, 5, 26, 31, 32, 33, 100, 4096, 200_000] {
            let body: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            for max in limits(len) {
                assert_eq!(
                    inflate_blob(&object("blob", &body), max),
                    Some(LooseObject::Content(body.clone())),
                    "{len}-byte blob, limit {max}"
                );
            }
        }
        // The reused buffer holds a larger object's bytes: a smaller one after it is exact.
        let small = b"small\n".to_vec();
        assert_eq!(
            inflate_blob(&object("blob", &small), u64::MAX),
            Some(LooseObject::Content(small))
        );
    }

    #[test]
    fn anything_unexpected_is_left_to_libgit2() {
        let good = object("blob", b"hello\n");
        let mut corrupt = good.clone();
        let mid = corrupt.len() / 2;
        corrupt[mid] ^= 0x40;
        let cases: &[(&str, Vec<u8>)] = &[
            ("a tree", object("tree", b"x")),
            ("a commit", object("commit", b"tree 0\n")),
            ("size too small", deflate(b"blob 3\0hello\n")),
            ("size too large", deflate(b"blob 9\0hello\n")),
            ("no NUL", deflate(b"blob 6 hello\n")),
            ("leading zero", deflate(b"blob 06\0hello\n")),
            ("sign", deflate(b"blob +6\0hello\n")),
            ("overflowing size", deflate(b"blob 99999999999999999999\0x")),
            ("truncated stream", good[..good.len() - 4].to_vec()),
            ("flipped bit", corrupt),
            ("not zlib", b"blob 6\0hello\n".to_vec()),
            ("empty file", Vec::new()),
        ];
        for (what, bytes) in cases {
            for max in limits(6) {
                assert_eq!(inflate_blob(bytes, max), None, "{what}, limit {max}");
            }
        }
    }

    /// The same for a body past the first read of the header.
    #[test]
    fn anything_unexpected_in_a_large_object_is_left_to_libgit2() {
        let body: Vec<u8> = (0..5000).map(|i| (i * 13 % 251) as u8).collect();
        let good = object("blob", &body);
        assert_eq!(
            inflate_blob(&good, u64::MAX),
            Some(LooseObject::Content(body.clone()))
        );
        let mut corrupt = good.clone();
        let mid = corrupt.len() / 2;
        corrupt[mid] ^= 0x40;
        let with_size = |size: usize| {
            let mut raw = format!("blob {size}\0").into_bytes();
            raw.extend_from_slice(&body);
            deflate(&raw)
        };
        let cases: &[(&str, Vec<u8>)] = &[
            ("size too small", with_size(body.len() - 1)),
            ("size too large", with_size(body.len() + 1)),
            ("truncated stream", good[..good.len() - 4].to_vec()),
            ("flipped bit", corrupt),
        ];
        for (what, bytes) in cases {
            for max in limits(body.len()) {
                assert_eq!(inflate_blob(bytes, max), None, "{what}, limit {max}");
            }
        }
        // A size past deflate's ratio: not allocated for; under a limit, reported too large.
        let huge = with_size(1 << 40);
        assert_eq!(inflate_blob(&huge, u64::MAX), None);
        assert_eq!(
            inflate_blob(&huge, 1000),
            Some(LooseObject::TooLarge(1 << 40))
        );
    }

    #[test]
    fn an_oversized_blob_is_reported_by_its_header() {
        let bytes = object("blob", &[b'a'; 1000]);
        assert_eq!(inflate_blob(&bytes, 999), Some(LooseObject::TooLarge(1000)));
        assert!(matches!(
            inflate_blob(&bytes, 1000),
            Some(LooseObject::Content(_))
        ));
    }

    #[test]
    fn trees_parse_into_entries_and_odd_ones_are_left_to_libgit2() {
        let id = |b: u8| [b; 20];
        let mut body = Vec::new();
        for (mode, name, b) in [
            ("100644", "a.txt", 1u8),
            ("100755", "run.sh", 2),
            ("120000", "link", 3),
            ("160000", "sub", 4),
            ("40000", "dir", 5),
        ] {
            body.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            body.extend_from_slice(&id(b));
        }
        let entries = parse_tree(&body).expect("a well-formed tree");
        let modes: Vec<(String, u32, u8)> = entries
            .iter()
            .map(|(n, m, i)| (String::from_utf8_lossy(n).into_owned(), *m, i.as_bytes()[0]))
            .collect();
        assert_eq!(
            modes,
            vec![
                ("a.txt".to_owned(), 0o100_644, 1),
                ("run.sh".to_owned(), 0o100_755, 2),
                ("link".to_owned(), 0o120_000, 3),
                ("sub".to_owned(), 0o160_000, 4),
                ("dir".to_owned(), 0o040_000, 5),
            ]
        );
        assert_eq!(parse_tree(b""), Some(Vec::new()));
        let mut odd = b"100664 old.txt\0".to_vec();
        odd.extend_from_slice(&id(1));
        let truncated = &body[..body.len() - 1];
        let mut unnamed = b"100644 \0".to_vec();
        unnamed.extend_from_slice(&id(1));
        for (what, bytes) in [
            ("legacy mode", odd.as_slice()),
            ("truncated id", truncated),
            ("empty name", unnamed.as_slice()),
            ("no NUL", b"100644 a.txt".as_slice()),
        ] {
            assert_eq!(parse_tree(bytes), None, "{what}");
        }
        let tree_object = object("tree", &body);
        assert!(matches!(
            inflate_object(&tree_object, b"tree ", u64::MAX),
            Some(LooseObject::Content(_))
        ));
        assert_eq!(inflate_object(&tree_object, b"blob ", u64::MAX), None);
    }

    #[test]
    fn sizes_parse_as_git_writes_them() {
        let table: &[(&[u8], Option<u64>)] = &[
            (b"0", Some(0)),
            (b"7", Some(7)),
            (b"1234567", Some(1_234_567)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"", None),
            (b"01", None),
            (b"1 ", None),
            (b"-1", None),
        ];
        for &(digits, want) in table {
            assert_eq!(
                parse_size(digits),
                want,
                "{:?}",
                String::from_utf8_lossy(digits)
            );
        }
    }
}
