//! Synthetic decided per value within an item: a value judged synthetic once is synthetic
//! wherever else it appears in the same file.

use crate::detect::RawMatch;

/// Values longer than this (keys, tokens, blobs) are not compared by [`synthetic_spread`]:
/// the example identifiers it is for are short, and the cap keeps its work linear in the
/// number of matches.
const SPREAD_MAX: usize = 64;

/// Normalised values shorter than this are not spread: an age or a short code repeats by
/// chance far more often than because it is the same example.
const SPREAD_MIN: usize = 6;

/// Synthetic is decided per value within an item (issue 24 §2): a value judged synthetic once
/// (the US Core example patient's MRN and birth date, in its marked FHIR resource) is
/// synthetic wherever else it appears in the same file (the resource's narrative `text.div`,
/// a README's prose). The values are compared normalised ([`synthetic_key`]) and held only in
/// this set, in memory; a value not seen in a synthetic context still counts. One pass to
/// collect, one to mark: linear in the matches.
///
/// Returns the positions of the matches to mark synthetic (so that it can run beside other
/// work that reads `raws`).
pub(super) fn synthetic_spread(text: &[u8], raws: &[RawMatch]) -> Vec<u32> {
    if !raws.iter().any(|r| r.synthetic) || raws.iter().all(|r| r.synthetic) {
        return Vec::new();
    }
    let synthetic: rustc_hash::FxHashSet<Key> = raws
        .iter()
        .filter(|r| r.synthetic)
        .filter_map(|r| synthetic_key(&text[r.span.clone()]))
        .collect();
    (0u32..)
        .zip(raws)
        .filter(|(_, r)| {
            !r.synthetic
                && synthetic_key(&text[r.span.clone()]).is_some_and(|k| synthetic.contains(&k))
        })
        .map(|(i, _)| i)
        .collect()
}

/// A value as [`synthetic_spread`] compares it, held inline: a dense file has hundreds of
/// thousands of values, and a heap key each was a twentieth of its scan.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key {
    len: u8,
    bytes: [u8; SPREAD_MAX],
}

impl Key {
    const EMPTY: Key = Key {
        len: 0,
        bytes: [0; SPREAD_MAX],
    };

    /// The key's bytes.
    #[cfg(test)]
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn push(&mut self, b: u8) {
        self.bytes[usize::from(self.len)] = b;
        self.len += 1;
    }
}

/// The key [`synthetic_spread`] compares a value by: a date as `YYYYMMDD` whether written
/// `1987-02-20`, `19870220` or `02/20/1987`; anything else its letters and digits, upper case
/// (as [`crate::fingerprint::normalize`]). `None` for a value too long or too short to compare.
pub(super) fn synthetic_key(value: &[u8]) -> Option<Key> {
    if value.len() > SPREAD_MAX {
        return None;
    }
    crate::work::add(value.len());
    let key = date_key(value).unwrap_or_else(|| {
        let mut key = Key::EMPTY;
        crate::fingerprint::normalized(value).for_each(|b| key.push(b));
        key
    });
    (usize::from(key.len) >= SPREAD_MIN).then_some(key)
}

/// `YYYYMMDD` of a date written year first (`1987-02-20`, `1987/2/20`) or month first
/// (`02/20/1987`, the US order), when the month and day are in range.
fn date_key(value: &[u8]) -> Option<Key> {
    // The digit groups: exactly three, none longer than four digits.
    let mut groups = [(0u32, 0usize); 3];
    let mut n = 0;
    for group in value
        .split(|b| !b.is_ascii_digit())
        .filter(|g| !g.is_empty())
    {
        if n == 3 || group.len() > 4 {
            return None;
        }
        let v = group.iter().fold(0, |v, &d| v * 10 + u32::from(d - b'0'));
        groups[n] = (v, group.len());
        n += 1;
    }
    let (y, m, d) = match (n, groups) {
        (3, [(y, 4), (m, 1..=2), (d, 1..=2)]) | (3, [(m, 1..=2), (d, 1..=2), (y, 4)]) => (y, m, d),
        _ => return None,
    };
    if !((1..=12).contains(&m) && (1..=31).contains(&d)) {
        return None;
    }
    let mut key = Key::EMPTY;
    for (v, width) in [(y, 4), (m, 2), (d, 2)] {
        for i in (0..width).rev() {
            key.push(b'0' + (v / 10u32.pow(i) % 10) as u8);
        }
    }
    Some(key)
}
