//! A compound file writer for the readers' tests (the tests' own layouts, and files no
//! writer makes), and the tests of the directory's trees.

use super::{File, MAGIC, ROOT_ID};

// A compound file writer: the tests' own layouts, and files no writer makes.

pub(in crate::source) const FREE: u32 = u32::MAX;
pub(in crate::source) const END: u32 = 0xffff_fffe;

/// An entry of a compound file: a stream, or a storage of entries.
pub(in crate::source) enum Node {
    Stream(&'static str, Vec<u8>),
    Storage(&'static str, Vec<Node>),
}

/// A compound file being laid out: the sectors after the header and their FAT, the mini
/// stream and its FAT, the directory.
struct Writer {
    len: usize,
    body: Vec<u8>,
    fat: Vec<u32>,
    mini: Vec<u8>,
    mini_fat: Vec<u32>,
    dir: Vec<[u8; 128]>,
}

pub(in crate::source) fn n32(n: usize) -> u32 {
    u32::try_from(n).unwrap()
}

pub(in crate::source) fn le(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

impl Writer {
    /// `data` in sectors of `len` bytes linked by `fat`, appended to `body`; the first.
    fn chain(body: &mut Vec<u8>, fat: &mut Vec<u32>, len: usize, data: &[u8]) -> u32 {
        if data.is_empty() {
            return END;
        }
        let start = fat.len();
        let count = data.len().div_ceil(len);
        for i in 0..count {
            fat.push(if i + 1 < count {
                n32(start + i + 1)
            } else {
                END
            });
        }
        body.extend_from_slice(data);
        body.resize(fat.len() * len, 0);
        n32(start)
    }

    fn entry(name: &str, kind: u8, child: u32, start: u32, size: usize) -> [u8; 128] {
        let mut e = [0; 128];
        let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        e[..units.len()].copy_from_slice(&units);
        e[64..66].copy_from_slice(&u16::try_from(units.len() + 2).unwrap().to_le_bytes());
        e[66] = kind;
        e[67] = 1;
        e[68..80].copy_from_slice(&le(&[FREE, FREE, child]));
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..128].copy_from_slice(&(size as u64).to_le_bytes());
        e
    }

    /// `nodes` as siblings (each the right sibling of the one before); the first's index.
    fn children(&mut self, nodes: &[Node]) -> u32 {
        if nodes.is_empty() {
            return FREE;
        }
        let first = self.dir.len();
        self.dir.resize(first + nodes.len(), [0; 128]);
        for (k, node) in nodes.iter().enumerate() {
            let mut e = match node {
                Node::Stream(name, data) if data.len() < 4096 => {
                    let start = Writer::chain(&mut self.mini, &mut self.mini_fat, 64, data);
                    Writer::entry(name, 2, FREE, start, data.len())
                }
                Node::Stream(name, data) => {
                    let start = Writer::chain(&mut self.body, &mut self.fat, self.len, data);
                    Writer::entry(name, 2, FREE, start, data.len())
                }
                Node::Storage(name, nodes) => {
                    let child = self.children(nodes);
                    Writer::entry(name, 1, child, 0, 0)
                }
            };
            if k + 1 < nodes.len() {
                e[72..76].copy_from_slice(&n32(first + k + 1).to_le_bytes());
            }
            self.dir[first + k] = e;
        }
        n32(first)
    }
}

/// A compound file of sectors of `1 << shift` bytes holding `root`'s entries, streams under
/// 4,096 bytes in the mini stream, with at least `min_fat` FAT sectors (past 109 of them
/// the DIFAT chain lists the rest).
pub(in crate::source) fn compound(shift: u32, min_fat: usize, root: &[Node]) -> Vec<u8> {
    let len = 1usize << shift;
    let mut w = Writer {
        len,
        body: Vec::new(),
        fat: Vec::new(),
        mini: Vec::new(),
        mini_fat: Vec::new(),
        dir: vec![[0; 128]],
    };
    let child = w.children(root);
    let mini_start = Writer::chain(&mut w.body, &mut w.fat, len, &w.mini.clone());
    w.dir[0] = Writer::entry("Root Entry", 5, child, mini_start, w.mini.len());
    let mini_fat = le(&w.mini_fat);
    let mini_fat_start = Writer::chain(&mut w.body, &mut w.fat, len, &mini_fat);
    let dir: Vec<u8> = w.dir.concat();
    let dir_start = Writer::chain(&mut w.body, &mut w.fat, len, &dir);
    // FAT sectors for every sector, themselves and the DIFAT's included.
    let per = len / 4;
    let used = w.fat.len();
    let mut fats = min_fat.max(1);
    let difats = |fats: usize| fats.saturating_sub(109).div_ceil(per - 1);
    while fats * per < used + fats + difats(fats) {
        fats += 1;
    }
    let first_fat = used;
    let first_difat = used + fats;
    w.fat.extend(std::iter::repeat_n(0xffff_fffd, fats));
    w.fat.extend(std::iter::repeat_n(0xffff_fffc, difats(fats)));
    w.fat.resize(fats * per, FREE);
    w.body.extend(le(&w.fat));
    let fat_sectors: Vec<u32> = (first_fat..first_fat + fats).map(n32).collect();
    let rest = fat_sectors.get(109..).unwrap_or_default();
    for (k, listed) in rest.chunks(per - 1).enumerate() {
        let mut sector = listed.to_vec();
        sector.resize(per - 1, FREE);
        let next = if k + 1 < difats(fats) {
            n32(first_difat + k + 1)
        } else {
            END
        };
        sector.push(next);
        w.body.extend(le(&sector));
    }
    let mut header = vec![0; len];
    header[..8].copy_from_slice(&MAGIC);
    header[24..26].copy_from_slice(&0x3eu16.to_le_bytes());
    header[26..28].copy_from_slice(&(if shift == 9 { 3u16 } else { 4 }).to_le_bytes());
    header[28..30].copy_from_slice(&0xfffeu16.to_le_bytes());
    header[30..32].copy_from_slice(&u16::try_from(shift).unwrap().to_le_bytes());
    header[32..34].copy_from_slice(&6u16.to_le_bytes());
    let dir_sectors = if shift == 9 { 0 } else { dir.len() / len };
    let difat_start = if difats(fats) > 0 {
        n32(first_difat)
    } else {
        END
    };
    let fields = [
        n32(dir_sectors),
        n32(fats),
        dir_start,
        0,
        4096,
        mini_fat_start,
        n32(mini_fat.len().div_ceil(len)),
        difat_start,
        n32(difats(fats)),
    ];
    header[40..76].copy_from_slice(&le(&fields));
    let mut listed = fat_sectors.clone();
    listed.resize(109.max(listed.len()), FREE);
    header[76..512].copy_from_slice(&le(&listed[..109]));
    header.extend(w.body);
    header
}

/// Where the directory entry named `name` is in version 3 file `bytes` (the first such).
pub(in crate::source) fn entry_at(bytes: &[u8], name: &str) -> usize {
    let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    (512..bytes.len().saturating_sub(127))
        .step_by(128)
        .find(|&at| {
            bytes[at..].starts_with(&units)
                && bytes[at + 64..at + 66] == u16::try_from(units.len() + 2).unwrap().to_le_bytes()
        })
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// A directory entry's links: its left and right siblings and its child.
#[derive(Clone, Copy)]
pub(in crate::source) enum Link {
    Left = 68,
    Right = 72,
    Child = 76,
}

/// `bytes` with link `link` of the entry named `name` set to entry `to`.
pub(in crate::source) fn relink(bytes: &[u8], name: &str, link: Link, to: u32) -> Vec<u8> {
    let at = entry_at(bytes, name) + link as usize;
    let mut bytes = bytes.to_vec();
    bytes[at..at + 4].copy_from_slice(&to.to_le_bytes());
    bytes
}

/// The number of the entry named `name`, by where it is in the directory.
fn id_of(file: &File, name: &str) -> u32 {
    file.child(ROOT_ID, name).expect(name).id()
}

fn names(file: &File, parent: u32) -> Vec<String> {
    let mut names: Vec<String> = file
        .children(parent, &mut file.seen())
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}

fn tree() -> Vec<u8> {
    compound(
        9,
        0,
        &[
            Node::Stream("a", vec![1; 10]),
            Node::Storage(
                "box",
                vec![
                    Node::Stream("inner", vec![2; 5000]),
                    Node::Storage("deeper", vec![Node::Stream("x", vec![3])]),
                ],
            ),
            Node::Stream("ÿ name", vec![4; 100]),
        ],
    )
}

#[test]
fn a_storage_lists_its_children_and_finds_one_by_name() {
    let bytes = tree();
    let file = File::open(&bytes).unwrap();
    assert_eq!(names(&file, ROOT_ID), ["a", "box", "ÿ name"]);
    let storage = id_of(&file, "BOX");
    assert!(file.child(ROOT_ID, "box").unwrap().is_storage());
    assert_eq!(names(&file, storage), ["deeper", "inner"]);
    let inner = file.child(storage, "Inner").unwrap();
    assert!(inner.is_stream());
    assert_eq!(file.stream(&inner), Some(vec![2; 5000]));
    // A stream has no children; `find` is for the root's streams only.
    assert!(names(&file, id_of(&file, "a")).is_empty());
    assert!(file.find("inner").is_none() && file.find("box").is_none());
    assert!(file.find("a").is_some());
    // One record of entries met, shared: each entry is listed once.
    let mut seen = file.seen();
    assert_eq!(file.children(ROOT_ID, &mut seen).len(), 3);
    assert!(file.children(ROOT_ID, &mut seen).is_empty());
}

#[test]
fn trees_that_loop_or_leave_the_directory_end() {
    let bytes = tree();
    let file = File::open(&bytes).unwrap();
    let (a, storage) = (id_of(&file, "a"), id_of(&file, "box"));
    for (what, bytes, root, inside) in [
        (
            "a sibling that links back",
            relink(&bytes, "ÿ name", Link::Left, a),
            vec!["a", "box", "ÿ name"],
            vec!["deeper", "inner"],
        ),
        (
            "a storage that is its own child",
            relink(&bytes, "box", Link::Child, storage),
            vec!["a", "box", "ÿ name"],
            vec![],
        ),
        (
            "a child that is the root",
            relink(&bytes, "box", Link::Child, ROOT_ID),
            vec!["a", "box", "ÿ name"],
            vec![],
        ),
        (
            "a link out of the directory",
            relink(&bytes, "a", Link::Left, 0x0fff_ffff),
            vec!["a", "box", "ÿ name"],
            vec!["deeper", "inner"],
        ),
        (
            "a storage whose child is its parent's",
            relink(&bytes, "box", Link::Child, a),
            vec!["a", "box", "ÿ name"],
            // The storage itself is not among them, nor what only it links to.
            vec!["a"],
        ),
    ] {
        let file = File::open(&bytes).unwrap();
        assert_eq!(names(&file, ROOT_ID), root, "{what}");
        assert_eq!(names(&file, storage), inside, "{what}");
        // Shared, the record lists no entry twice.
        let mut seen = file.seen();
        let mut all = file.children(ROOT_ID, &mut seen).len();
        all += file.children(storage, &mut seen).len();
        assert!(all <= 6, "{what}: {all}");
        let _ = file.child(storage, "nothing");
    }
}
