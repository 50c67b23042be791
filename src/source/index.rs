//! Just enough of git's index file (`Documentation/gitformat-index.txt`) to plan a staged
//! scan without libgit2 loading it: the stage-0 entries and the cache tree.
//!
//! The cache tree (`TREE` extension) records, for each directory whose entries have not
//! changed since git last wrote trees for it, the id of that tree. `git commit` writes it
//! whole and `git add` invalidates only the directories it touches, so comparing it with
//! `HEAD`'s trees skips every untouched directory: a commit of 10 files in a 20,000-file
//! repository reads a handful of trees instead of all of them. libgit2 neither reads nor
//! uses it (and verifies the index checksum with collision-detecting SHA-1 on every load).
//!
//! Two layouts libgit2 (1.9) refuses are read here, so that no commit depends on it for them:
//!
//! - a **split index** (`core.splitIndex`, the `link` extension): most entries live in
//!   `$GIT_DIR/sharedindex.<id>`; the index file itself holds the entries changed since,
//!   and two bitmaps saying which shared entries they replace and which are deleted
//!   (merged as git's `split-index.c` does, in the private `split` module);
//! - a **sparse index** (`sparse-checkout --sparse-index`, the `sdir` extension): a
//!   directory outside the sparse cone is one entry (mode `040000`, path ending in `/`)
//!   naming its tree, instead of one entry per file.
//!
//! Anything this reader does not fully understand — conflicted entries, an unknown version
//! or mandatory extension, a bitmap pointing past the shared index — is reported as `None`,
//! and the caller falls back to libgit2: never a guess.

use git2::Oid;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

mod split;

/// One stage-0 index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path relative to the work tree, `/`-separated: borrowed from the index file's bytes
    /// (20,000 entries are 20,000 allocations otherwise), owned when index v4 compresses it.
    pub path: Cow<'a, [u8]>,
    /// File mode (`0o100644`, `0o100755`, `0o120000`, `0o160000`; `0o040000` for a sparse
    /// index's directory entry, whose path ends in `/`).
    pub mode: u32,
    /// Blob (or commit, for a submodule; or tree, for a sparse directory) id.
    pub id: Oid,
    /// What the work tree file's `stat` said when git last hashed it; `None` when git itself
    /// does not vouch for it (assume-unchanged, skip-worktree or intent-to-add entries).
    pub stat: Option<Stat>,
}

/// The `stat` fields git keeps per index entry, each truncated to 32 bits as the index
/// stores them. While a file's `stat` still equals its entry's, and the entry is not *racy*
/// (see [`Stat::racy`]), git takes the file to be unchanged since it hashed it: `git status`
/// and `git diff` read no content to say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Change time: seconds, nanoseconds.
    pub ctime: (u32, u32),
    /// Modification time: seconds, nanoseconds.
    pub mtime: (u32, u32),
    /// Inode number.
    pub ino: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Stat {
    fn parse(fixed: &[u8]) -> Stat {
        let at =
            |i: usize| u32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        Stat {
            ctime: (at(0), at(4)),
            mtime: (at(8), at(12)),
            ino: at(20),
            uid: at(28),
            gid: at(32),
            size: at(36),
        }
    }

    /// The same fields of a file's metadata, truncated as git truncates them.
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            ctime: (meta.ctime() as u32, meta.ctime_nsec() as u32),
            mtime: (meta.mtime() as u32, meta.mtime_nsec() as u32),
            ino: meta.ino() as u32,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.len() as u32,
        }
    }

    /// Whether the file may have changed in the same second the index was written
    /// (`index_mtime`, seconds), so that equal `stat` data proves nothing: git's racy-git
    /// rule, taken at whole seconds as git does without nanosecond support (the stricter
    /// reading).
    pub fn racy(&self, index_mtime: u32) -> bool {
        self.mtime.0 >= index_mtime
    }
}

/// The parsed index.
#[derive(Debug, Default)]
pub struct Index<'a> {
    /// Entries in index order (by path bytes).
    pub entries: Vec<Entry<'a>>,
    /// Valid cache-tree nodes: directory path (empty for the root, no trailing `/`) → tree id.
    pub trees: FxHashMap<Vec<u8>, Oid>,
    /// A sparse index: some entries are directories (see [`Entry::mode`]).
    pub sparse: bool,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn until(&mut self, byte: u8) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let i = memchr::memchr(byte, rest)?;
        self.pos += i + 1;
        Some(&rest[..i])
    }

    /// Git's offset varint (index v4 path compression).
    fn varint(&mut self) -> Option<usize> {
        let mut b = *self.take(1)?.first()?;
        let mut v = usize::from(b & 0x7f);
        while b & 0x80 != 0 {
            b = *self.take(1)?.first()?;
            v = v.checked_add(1)?.checked_mul(128)? | usize::from(b & 0x7f);
        }
        Some(v)
    }
}

const HEADER: usize = 12;
const HASH: usize = 20;
/// Size of an entry's fixed part: ten 32-bit stat fields, the id and the flags.
const FIXED: usize = 40 + HASH + 2;

/// Parses a whole index file: `None` for anything not understood (see the module docs),
/// including a split index, whose shared part only [`load`] reads.
pub fn parse(data: &[u8]) -> Option<Index<'_>> {
    match parse_file(data)? {
        (index, None) => Some(index),
        (_, Some(_)) => None,
    }
}

/// Parses the index file `data` and, when it is split, the shared index it names: `read_shared`
/// gets the shared index's id (hex) and returns the bytes of `sharedindex.<id>` in the git
/// directory; they are kept in `shared`, which the entries borrow from. `None` for anything
/// not understood, a shared index that cannot be read, or one whose checksum is not the id
/// the split index names.
pub fn load<'a>(
    data: &'a [u8],
    shared: &'a std::cell::OnceCell<Vec<u8>>,
    read_shared: impl FnOnce(&str) -> Option<Vec<u8>>,
) -> Option<Index<'a>> {
    let (index, link) = parse_file(data)?;
    let Some(link) = link else {
        return Some(index);
    };
    shared.set(read_shared(&link.shared.to_string())?).ok()?;
    let bytes = shared.get()?;
    // Git names the shared index after its checksum, and refuses one that does not match.
    if bytes.get(bytes.len().checked_sub(HASH)?..)? != link.shared.as_bytes() {
        return None;
    }
    split::merge(index, &link, parse(bytes)?)
}

/// Parses one index file as it is: its entries (for a split index, the replacing ones have
/// empty paths) and the `link` to its shared index, if any.
fn parse_file(data: &[u8]) -> Option<(Index<'_>, Option<split::Link<'_>>)> {
    if data.len() < HEADER + HASH || &data[..4] != b"DIRC" {
        return None;
    }
    let body = &data[..data.len() - HASH];
    let mut c = Cursor { data: body, pos: 4 };
    let version = c.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = c.u32()? as usize;
    let mut index = Index {
        entries: Vec::with_capacity(count.min(body.len() / FIXED)),
        trees: FxHashMap::default(),
        sparse: false,
    };
    let mut dirs = false;
    for _ in 0..count {
        let entry = entry(&mut c, version, index.entries.last())?;
        dirs |= super::mode::is_tree(entry.mode);
        index.entries.push(entry);
    }
    let mut link = None;
    while c.pos + 8 <= body.len() {
        let sig = c.take(4)?;
        let size = c.u32()? as usize;
        let ext = c.take(size)?;
        match sig {
            b"TREE" => cache_tree(ext, &mut index.trees)?,
            b"link" => link = split::link(ext)?,
            b"sdir" => index.sparse = true,
            // Optional extensions (upper-case first letter) can be ignored.
            [b'A'..=b'Z', ..] => {}
            _ => return None,
        }
    }
    // Directory entries belong to a sparse index only; entries without a path (replacing
    // a shared entry, whose path they keep) to a split index only.
    if c.pos != body.len()
        || (dirs && !index.sparse)
        || (link.is_none() && index.entries.iter().any(|e| e.path.is_empty()))
    {
        return None;
    }
    Some((index, link))
}

/// Reads one entry; `prev` is the entry before it (index v4 compresses paths against it).
fn entry<'a>(c: &mut Cursor<'a>, version: u32, prev: Option<&Entry<'a>>) -> Option<Entry<'a>> {
    let start = c.pos;
    let fixed = c.take(FIXED)?;
    let mode = u32::from_be_bytes(fixed[24..28].try_into().ok()?);
    let id = Oid::from_bytes(&fixed[40..40 + HASH]).ok()?;
    let flags = u16::from_be_bytes(fixed[60..62].try_into().ok()?);
    // Assume-unchanged: git stops checking the file, so its stat data vouches for nothing.
    let mut vouched = flags & 0x8000 == 0;
    if flags & 0x4000 != 0 {
        if version < 3 {
            return None;
        }
        // Skip-worktree or intent-to-add: the work tree file is not what was hashed.
        vouched &= c.u16()? & 0x6000 == 0;
    }
    let path = if version == 4 {
        let strip = c.varint()?;
        let prev: &[u8] = prev.map_or(&[], |e| &e.path);
        let keep = prev.len().checked_sub(strip)?;
        let mut path = prev[..keep].to_vec();
        path.extend_from_slice(c.until(0)?);
        Cow::Owned(path)
    } else {
        let path = Cow::Borrowed(c.until(0)?);
        // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
        let len = (c.pos - 1 - start + 8) & !7;
        c.pos = start + len;
        path
    };
    let stage = (flags >> 12) & 3;
    // A conflict cannot be committed: leave it to libgit2. A sparse directory's path ends
    // in `/`, and nothing else's does.
    if stage != 0 || super::mode::is_tree(mode) != path.ends_with(b"/") {
        return None;
    }
    Some(Entry {
        path,
        mode,
        id,
        stat: vouched.then(|| Stat::parse(fixed)),
    })
}

/// Reads the `TREE` extension: nodes in pre-order, each `path NUL count SP subtrees LF`
/// followed by the tree id when `count` is not negative (valid). Iterative, so a crafted
/// index cannot exhaust the stack.
fn cache_tree(data: &[u8], out: &mut FxHashMap<Vec<u8>, Oid>) -> Option<()> {
    let mut c = Cursor { data, pos: 0 };
    // Open directories: their path and how many of their subtrees are still to come.
    let mut open: Vec<(Vec<u8>, usize)> = Vec::new();
    loop {
        let name = c.until(0)?;
        let count: i64 = std::str::from_utf8(c.until(b' ')?).ok()?.parse().ok()?;
        let subtrees: usize = std::str::from_utf8(c.until(b'\n')?).ok()?.parse().ok()?;
        let mut path = Vec::new();
        if let Some((parent, left)) = open.last_mut() {
            *left -= 1;
            path.extend_from_slice(parent);
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
        }
        if count >= 0 {
            out.insert(path.clone(), Oid::from_bytes(c.take(HASH)?).ok()?);
        }
        if subtrees > 0 {
            open.push((path, subtrees));
        }
        while open.last().is_some_and(|(_, left)| *left == 0) {
            open.pop();
        }
        if open.is_empty() {
            return Some(());
        }
        if open.len() > MAX_DEPTH {
            return None;
        }
    }
}

/// Deeper cache trees are not read: no real checkout nests 1,024 directories, and the paths
/// of a crafted one would grow quadratically.
const MAX_DEPTH: usize = 1024;

#[cfg(test)]
mod tests;
