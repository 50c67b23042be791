//! Objects resolved from delta chains, kept for the chains that pass through them again.

use std::collections::BTreeMap;
use std::sync::Arc;

/// An entry: its pack (the position in [`Packs`](super::Packs)) and offset.
pub(super) type Key = (usize, u64);

/// Resolved objects of a run's delta chains, least recently used evicted first once they
/// hold more than a byte cap.
pub(super) struct BaseCache {
    /// Per entry: its object's kind, the object, and when it was last used.
    map: rustc_hash::FxHashMap<Key, (u8, Arc<Vec<u8>>, u64)>,
    /// Entries by when they were last used.
    order: BTreeMap<u64, Key>,
    bytes: usize,
    cap: usize,
    clock: u64,
}

impl BaseCache {
    pub(super) fn new(cap: usize) -> BaseCache {
        BaseCache {
            map: rustc_hash::FxHashMap::default(),
            order: BTreeMap::new(),
            bytes: 0,
            cap,
            clock: 0,
        }
    }

    pub(super) fn get(&mut self, key: Key) -> Option<(u8, Arc<Vec<u8>>)> {
        let (kind, data, used) = self.map.get_mut(&key)?;
        self.order.remove(used);
        self.clock += 1;
        *used = self.clock;
        self.order.insert(self.clock, key);
        Some((*kind, data.clone()))
    }

    pub(super) fn put(&mut self, key: Key, kind: u8, data: &Arc<Vec<u8>>) {
        // An object of over a quarter of the cap would push out most of what is kept.
        if data.len() > self.cap / 4 || self.map.contains_key(&key) {
            return;
        }
        self.clock += 1;
        self.bytes += data.len();
        self.map.insert(key, (kind, data.clone(), self.clock));
        self.order.insert(self.clock, key);
        while self.bytes > self.cap {
            let Some((_, old)) = self.order.pop_first() else {
                break;
            };
            if let Some((_, data, _)) = self.map.remove(&old) {
                self.bytes -= data.len();
            }
        }
    }
}
