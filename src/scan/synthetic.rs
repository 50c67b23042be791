//! Synthetic decided per value within an item: a value judged synthetic once is synthetic
//! wherever else it appears in the same file.

use crate::detect::RawMatch;
use crate::fingerprint;

/// Values longer than this (keys, tokens, blobs) are not compared by [`spread_synthetic`]:
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
pub(super) fn spread_synthetic(text: &[u8], raws: &mut [RawMatch]) {
    if !raws.iter().any(|r| r.synthetic) || raws.iter().all(|r| r.synthetic) {
        return;
    }
    let synthetic: rustc_hash::FxHashSet<Vec<u8>> = raws
        .iter()
        .filter(|r| r.synthetic)
        .filter_map(|r| synthetic_key(&text[r.span.clone()]))
        .collect();
    for r in raws.iter_mut().filter(|r| !r.synthetic) {
        if synthetic_key(&text[r.span.clone()]).is_some_and(|k| synthetic.contains(&k)) {
            r.synthetic = true;
        }
    }
}

/// The key [`spread_synthetic`] compares a value by: a date as `YYYYMMDD` whether written
/// `1987-02-20`, `19870220` or `02/20/1987`; anything else its letters and digits, upper case
/// ([`fingerprint::normalize`]). `None` for a value too long or too short to compare.
pub(super) fn synthetic_key(value: &[u8]) -> Option<Vec<u8>> {
    if value.len() > SPREAD_MAX {
        return None;
    }
    crate::work::add(value.len());
    let key = date_key(value).unwrap_or_else(|| fingerprint::normalize(value));
    (key.len() >= SPREAD_MIN).then_some(key)
}

/// `YYYYMMDD` of a date written year first (`1987-02-20`, `1987/2/20`) or month first
/// (`02/20/1987`, the US order), when the month and day are in range.
fn date_key(value: &[u8]) -> Option<Vec<u8>> {
    let groups: Vec<&[u8]> = value
        .split(|b| !b.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let num = |g: &[u8]| std::str::from_utf8(g).ok()?.parse::<u32>().ok();
    let (y, m, d) = match groups.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (num(y)?, num(m)?, num(d)?),
        [m, d, y] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    ((1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}{m:02}{d:02}").into_bytes())
}
