//! What the structure walks have worked out about the text being scanned, kept for one scan
//! of that text.
//!
//! The walks answer the same questions many times over one file: every FHIR candidate in a
//! Bundle walks out to the same resource, entry and Bundle objects, and every comma line of
//! a source file looks for a CSV header among nearly the same 40 lines. [`remembering`]
//! opens a memo for one text around a whole scan of it; the walks look their answers up in
//! it and store new ones. Each reader keeps its own table here (`Tables`); the mechanism
//! (one memo per thread, tied to one slice, gone when the scan returns) is written once.
//!
//! The memo answers only for the very slice it was opened for (same address and length),
//! so a walk over any other text computes afresh, and nothing outlives the text it
//! describes.

use super::{csv, json};
use rustc_hash::FxHashMap;
use std::cell::RefCell;

/// The readers' tables for one text.
#[derive(Default)]
pub(super) struct Tables {
    pub(super) json: json::Memo,
    pub(super) csv: csv::Memo,
}

struct Memo {
    /// Address and length of the text the answers belong to.
    text: (usize, usize),
    tables: Tables,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

fn id(text: &[u8]) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// Runs `f` with the structure walks remembering their answers for `text` (see the module
/// docs). A memo opened inside `f` for another text stands in for this one until it
/// returns.
pub fn remembering<R>(text: &[u8], f: impl FnOnce() -> R) -> R {
    let fresh = Memo {
        text: id(text),
        tables: Tables::default(),
    };
    let outer = MEMO.with(|m| m.replace(Some(fresh)));
    let result = f();
    MEMO.with(|m| *m.borrow_mut() = outer);
    result
}

/// `f` on the tables of `text`, or `None` when no memo is open for it. `f` must not call
/// back into the memo (the tables are borrowed while it runs).
pub(super) fn with<R>(text: &[u8], f: impl FnOnce(&mut Tables) -> R) -> Option<R> {
    let id = id(text);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let memo = m.as_mut().filter(|memo| memo.text == id)?;
        Some(f(&mut memo.tables))
    })
}

/// Looks `key` up in `table` of the memo for `text`, or computes it with `compute` (outside
/// any borrow of the memo, so `compute` may use the memo itself) and stores it.
pub(super) fn memoized<K: std::hash::Hash + Eq, V: Clone>(
    text: &[u8],
    table: fn(&mut Tables) -> &mut FxHashMap<K, V>,
    key: K,
    compute: impl FnOnce() -> V,
) -> V {
    match with(text, |t| table(t).get(&key).cloned()) {
        Some(Some(v)) => v,
        Some(None) => {
            let v = compute();
            with(text, |t| table(t).insert(key, v.clone()));
            v
        }
        None => compute(),
    }
}
