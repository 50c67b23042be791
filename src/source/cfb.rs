//! The compound file (OLE2, [MS-CFB]) an Excel 97–2003 workbook ([`xls`](super::xls)) and an
//! Outlook message ([`msg`](super::msg)) are kept in: a small file system of fixed-size
//! sectors. A header lists the sectors of the FAT (the first 109 in the
//! header, the rest in a chain of DIFAT sectors); the FAT links each sector to the next of
//! its stream; the directory (a chain itself) names the streams and where they start.
//! Streams under 4,096 bytes live in 64-byte mini sectors inside the root entry's stream,
//! linked by the mini FAT.
//!
//! Every chain is walked with a record of the sectors it has been through: a sector out of
//! the file, a free or end marker where a sector is needed, or a sector met twice (a loop)
//! makes the chain unreadable, so each walk ends within the file's number of sectors. A
//! stream's size is checked against the file's length before anything is sized by it.
//!
//! A storage's children are a red-black tree of directory entries (its child, then their
//! left and right siblings). The tree is walked with a stack and a record of the entries it
//! has met, never by recursion, so a tree that loops, or whose storage is its own child,
//! ends within the directory's number of entries; a link out of the directory is passed
//! over.
//!
//! [MS-CFB]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cfb/

use std::cell::OnceCell;

/// How a compound file starts.
pub(super) const MAGIC: [u8; 8] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/// The sector number that ends a chain.
const END_OF_CHAIN: u32 = 0xffff_fffe;

/// The sibling or child number of no entry.
const NO_ENTRY: u32 = 0xffff_ffff;

/// The bytes of a directory entry.
const ENTRY_LEN: usize = 128;

/// FAT sectors the header lists itself.
const HEADER_DIFAT: usize = 109;

/// Streams shorter than this are in the mini stream.
const MINI_CUTOFF: u64 = 4096;

/// The bytes of a mini sector.
const MINI_LEN: usize = 64;

/// A directory entry's type: a storage, a stream, and the root storage.
const STORAGE: u8 = 1;
const STREAM: u8 = 2;
const ROOT: u8 = 5;

/// The directory entry of the root storage.
pub(super) const ROOT_ID: u32 = 0;

/// A compound file opened as far as its FAT and directory.
pub(super) struct File<'a> {
    bytes: &'a [u8],
    /// The bytes of a sector: 512 (version 3) or 4,096 (version 4).
    sector_len: usize,
    /// The sectors in the file (the last may be cut short).
    sectors: usize,
    /// The sectors that hold the FAT, in order.
    fat: Vec<u32>,
    /// The directory: whole entries of [`ENTRY_LEN`] bytes.
    directory: Vec<u8>,
    /// Where the mini FAT starts.
    mini_fat: u32,
    /// The mini stream cutoff the header declares (which must be [`MINI_CUTOFF`]).
    cutoff: u32,
    /// Version 3: a stream's size is its low 32 bits (writers leave the rest unset).
    v3: bool,
    /// The mini stream and the mini FAT, read the first time a stream needs them (`None`
    /// when they are damaged): a message's hundred small streams read them once.
    mini: OnceCell<Option<(Vec<u8>, Vec<u8>)>>,
}

/// A directory entry: its number, type, tree links, first sector and size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    id: u32,
    kind: u8,
    left: u32,
    right: u32,
    child: u32,
    start: u32,
    size: u64,
}

impl Entry {
    /// Its number in the directory: what [`File::children`] takes.
    pub(super) fn id(&self) -> u32 {
        self.id
    }

    pub(super) fn is_stream(&self) -> bool {
        self.kind == STREAM
    }

    /// A storage (the root is one too): what has children.
    pub(super) fn is_storage(&self) -> bool {
        self.kind == STORAGE || self.kind == ROOT
    }
}

/// A child of a storage: its entry and its name (UTF-16, an unpaired surrogate as U+FFFD).
#[derive(Debug, Clone)]
pub(super) struct Child {
    pub(super) entry: Entry,
    pub(super) name: String,
}

/// The sectors a chain has been through, or the directory entries a walk has met.
pub(super) struct Seen(Vec<u64>);

impl Seen {
    fn new(len: usize) -> Seen {
        Seen(vec![0; len.div_ceil(64)])
    }

    /// Marks `i`; `false` when it was marked already (or is past the end).
    fn first_time(&mut self, i: usize) -> bool {
        let Some(word) = self.0.get_mut(i / 64) else {
            return false;
        };
        let bit = 1 << (i % 64);
        let first = *word & bit == 0;
        *word |= bit;
        first
    }
}

impl<'a> File<'a> {
    /// The compound file `bytes` are, read as far as its FAT's sectors and its directory;
    /// `None` when it is not one or they are damaged.
    pub(super) fn open(bytes: &'a [u8]) -> Option<File<'a>> {
        let header = bytes.get(..512)?;
        if header[..8] != MAGIC || u16_at(header, 28)? != 0xfffe || u16_at(header, 32)? != 6 {
            return None;
        }
        let shift = u16_at(header, 30)?;
        if shift != 9 && shift != 12 {
            return None;
        }
        let sector_len = 1usize << shift;
        let sectors = bytes.len().saturating_sub(sector_len).div_ceil(sector_len);
        let mut file = File {
            bytes,
            sector_len,
            sectors,
            fat: Vec::new(),
            directory: Vec::new(),
            mini_fat: u32_at(header, 60)?,
            cutoff: u32_at(header, 56)?,
            v3: shift == 9,
            mini: OnceCell::new(),
        };
        file.fat = file.fat_sectors(header)?;
        file.directory = file.whole_chain(u32_at(header, 48)?)?;
        Some(file)
    }

    /// The sectors of the FAT: as many as the header counts, the first 109 listed in the
    /// header and the rest in the DIFAT chain (each of its sectors lists all but its last
    /// four bytes' worth, which link to the next).
    fn fat_sectors(&self, header: &[u8]) -> Option<Vec<u32>> {
        let count = usize::try_from(u32_at(header, 44)?).ok()?;
        // Each is a sector of the file.
        if count > self.sectors {
            return None;
        }
        let mut fat = Vec::with_capacity(count);
        for i in 0..count.min(HEADER_DIFAT) {
            fat.push(u32_at(header, 76 + 4 * i)?);
        }
        let mut seen = Seen::new(self.sectors);
        let mut difat = u32_at(header, 68)?;
        while fat.len() < count {
            let sector = self.sector(difat, &mut seen)?;
            let listed = sector.len() / 4 - 1;
            for i in 0..listed.min(count - fat.len()) {
                fat.push(u32_at(sector, 4 * i)?);
            }
            difat = u32_at(sector, 4 * listed)?;
            crate::work::add(sector.len());
        }
        Some(fat)
    }

    /// Sector `n`, whole, the first time `seen` meets it.
    fn sector(&self, n: u32, seen: &mut Seen) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok().filter(|&n| n < self.sectors)?;
        if !seen.first_time(n) {
            return None;
        }
        let at = (n + 1).checked_mul(self.sector_len)?;
        self.bytes.get(at..at.checked_add(self.sector_len)?)
    }

    /// The first `len` bytes of sector `n` (the file's last sector may be cut short after
    /// the stream it ends), the first time `seen` meets it.
    fn sector_start(&self, n: u32, len: usize, seen: &mut Seen) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok().filter(|&n| n < self.sectors)?;
        if !seen.first_time(n) {
            return None;
        }
        let at = (n + 1).checked_mul(self.sector_len)?;
        self.bytes
            .get(at..at.checked_add(len.min(self.sector_len))?)
    }

    /// The sector after `n` in its chain, from the FAT.
    fn next(&self, n: u32) -> Option<u32> {
        let per_sector = self.sector_len / 4;
        let n = usize::try_from(n).ok()?;
        let fat = usize::try_from(*self.fat.get(n / per_sector)?).ok()?;
        let at = fat.checked_add(1)?.checked_mul(self.sector_len)?;
        let sector = self.bytes.get(at..at.checked_add(self.sector_len)?)?;
        u32_at(sector, 4 * (n % per_sector))
    }

    /// The whole sectors of the chain from `start` up to its end marker (the directory and
    /// the mini FAT, whose sizes the header of version 3 does not give).
    fn whole_chain(&self, start: u32) -> Option<Vec<u8>> {
        let mut seen = Seen::new(self.sectors);
        let mut out = Vec::new();
        let mut sector = start;
        while sector != END_OF_CHAIN {
            out.extend_from_slice(self.sector(sector, &mut seen)?);
            crate::work::add(self.sector_len);
            sector = self.next(sector)?;
        }
        Some(out)
    }

    /// The first `size` bytes of the chain from `start` (a stream's).
    fn chain(&self, start: u32, size: usize) -> Option<Vec<u8>> {
        if size > self.bytes.len() {
            return None;
        }
        let mut seen = Seen::new(self.sectors);
        let mut out = Vec::with_capacity(size);
        let mut sector = start;
        while out.len() < size {
            let part = self.sector_start(sector, size - out.len(), &mut seen)?;
            out.extend_from_slice(part);
            crate::work::add(part.len());
            if out.len() < size {
                sector = self.next(sector)?;
            }
        }
        Some(out)
    }

    /// Directory entry `i`, and its name as UTF-16 units.
    fn entry(&self, i: u32) -> Option<(Entry, &[u8])> {
        let at = usize::try_from(i).ok()?.checked_mul(ENTRY_LEN)?;
        let raw = self.directory.get(at..at.checked_add(ENTRY_LEN)?)?;
        let name_len = usize::from(u16_at(raw, 64)?).min(64);
        // The length counts the terminating NUL.
        let name = raw.get(..name_len.saturating_sub(2))?;
        let entry = Entry {
            id: i,
            kind: *raw.get(66)?,
            left: u32_at(raw, 68)?,
            right: u32_at(raw, 72)?,
            child: u32_at(raw, 76)?,
            start: u32_at(raw, 116)?,
            size: u64_at(raw, 120)?,
        };
        Some((entry, name))
    }

    /// The stream named `name` (ASCII, matched regardless of case, as the format compares
    /// names) among the root storage's children: a stream of the same name in a storage
    /// below (a workbook embedded in a Word document) is not it.
    pub(super) fn find(&self, name: &str) -> Option<Entry> {
        self.child(ROOT_ID, name).filter(Entry::is_stream)
    }

    /// The child named `name` (ASCII, matched regardless of case) of storage `parent`.
    pub(super) fn child(&self, parent: u32, name: &str) -> Option<Entry> {
        let mut found = None;
        self.walk(parent, &mut self.seen(), |entry, raw| {
            let hit = is_named(raw, name);
            if hit {
                found = Some(entry);
            }
            hit
        });
        found
    }

    /// A record of the directory entries a walk has met, for [`File::children`]: one shared
    /// by every walk of a file meets each entry once, however its trees are linked.
    pub(super) fn seen(&self) -> Seen {
        let mut seen = Seen::new(self.directory.len() / ENTRY_LEN);
        // The root is no one's child.
        seen.first_time(0);
        seen
    }

    /// The children of storage `parent` that `seen` has not met, in the tree's order of
    /// walking (sort them to have them by name); none when `parent` is no storage.
    pub(super) fn children(&self, parent: u32, seen: &mut Seen) -> Vec<Child> {
        let mut out = Vec::new();
        self.walk(parent, seen, |entry, raw| {
            let units = raw
                .chunks_exact(2)
                .map(|u| u16::from_le_bytes([u[0], u[1]]));
            let name = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            out.push(Child { entry, name });
            false
        });
        out
    }

    /// Calls `visit` with each child of storage `parent` (its entry and UTF-16 name) that
    /// `seen` has not met, until it returns `true`. The children are a tree by their left
    /// and right links; a damaged link is passed over, a loop stopped by `seen`.
    fn walk(&self, parent: u32, seen: &mut Seen, mut visit: impl FnMut(Entry, &[u8]) -> bool) {
        let is_parent = |e: &Entry| {
            if parent == ROOT_ID {
                e.kind == ROOT
            } else {
                e.is_storage()
            }
        };
        let Some((storage, _)) = self.entry(parent).filter(|(e, _)| is_parent(e)) else {
            return;
        };
        // A storage is not among its own children, however its links run.
        if let Ok(parent) = usize::try_from(parent) {
            seen.first_time(parent);
        }
        let count = self.directory.len() / ENTRY_LEN;
        let mut stack = vec![storage.child];
        while let Some(i) = stack.pop() {
            let Some((entry, name)) = usize::try_from(i)
                .ok()
                .filter(|&i| i < count && seen.first_time(i))
                .and_then(|_| self.entry(i))
            else {
                continue;
            };
            crate::work::add(ENTRY_LEN);
            if visit(entry, name) {
                return;
            }
            stack.extend(
                [entry.right, entry.left]
                    .into_iter()
                    .filter(|&n| n != NO_ENTRY),
            );
        }
    }

    /// The bytes of stream `entry`: from the mini stream when it is shorter than the
    /// cutoff, else from its own sectors.
    pub(super) fn stream(&self, entry: &Entry) -> Option<Vec<u8>> {
        if u64::from(self.cutoff) != MINI_CUTOFF {
            return None;
        }
        let size = self.size(entry)?;
        if size == 0 {
            return Some(Vec::new());
        }
        if (size as u64) < MINI_CUTOFF {
            self.mini(entry.start, size)
        } else {
            self.chain(entry.start, size)
        }
    }

    /// The size of stream `entry`, which must fit the file.
    fn size(&self, entry: &Entry) -> Option<usize> {
        let size = if self.v3 {
            entry.size & 0xffff_ffff
        } else {
            entry.size
        };
        usize::try_from(size)
            .ok()
            .filter(|&size| size <= self.bytes.len())
    }

    /// The first `size` bytes of the mini chain from `start`.
    fn mini(&self, start: u32, size: usize) -> Option<Vec<u8>> {
        let (mini_stream, mini_fat) = self
            .mini
            .get_or_init(|| {
                let (root, _) = self.entry(ROOT_ID)?;
                Some((
                    self.chain(root.start, self.size(&root)?)?,
                    self.whole_chain(self.mini_fat)?,
                ))
            })
            .as_ref()?;
        let count = mini_stream.len().div_ceil(MINI_LEN);
        let mut seen = Seen::new(count);
        let mut out = Vec::with_capacity(size);
        let mut sector = start;
        while out.len() < size {
            let n = usize::try_from(sector).ok().filter(|&n| n < count)?;
            if !seen.first_time(n) {
                return None;
            }
            let at = n * MINI_LEN;
            let len = (size - out.len()).min(MINI_LEN);
            out.extend_from_slice(mini_stream.get(at..at + len)?);
            crate::work::add(len);
            if out.len() < size {
                sector = u32_at(mini_fat, 4 * n)?;
            }
        }
        Some(out)
    }
}

/// The little-endian `u16` at `at`, if the bytes hold one (compound files and the formats
/// in them are little-endian).
pub(super) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*bytes.get(at..)?.first_chunk()?))
}

/// The little-endian `u32` at `at`, if the bytes hold one.
pub(super) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*bytes.get(at..)?.first_chunk()?))
}

/// The little-endian `u64` at `at`, if the bytes hold one.
pub(super) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*bytes.get(at..)?.first_chunk()?))
}

/// Whether UTF-16 name `raw` is `name`, ASCII case ignored.
fn is_named(raw: &[u8], name: &str) -> bool {
    raw.len() == 2 * name.len()
        && raw
            .chunks_exact(2)
            .zip(name.bytes())
            .all(|(unit, b)| unit[1] == 0 && unit[0].eq_ignore_ascii_case(&b))
}

#[cfg(test)]
pub(super) mod tests;
