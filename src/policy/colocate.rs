//! Co-location (detectors.md §1.7): a person anchor (name field, DOB, street address) and an
//! identifier (SSN, MRN, MBI, HICN, phone, email) in the same hunk raise both one level.
//! Nightfall reports PHI only as such combinations; phi-scan calls it layer 4.

use crate::detect::RuleDb;
use crate::rules::{Colocation, Severity};

/// Lines within which an anchor and an identifier count as one record.
pub const WINDOW_LINES: u32 = 20;

/// One match as co-location sees it.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    /// The match's rule part.
    pub part: Colocation,
    /// 1-based line.
    pub line: u32,
    /// The hunk it sits in (index of the added region group).
    pub hunk: usize,
    /// Synthetic values do not anchor anything.
    pub synthetic: bool,
}

/// Raises the severities of co-located matches in place. Each part's (hunk, line) keys are
/// sorted once and a match looks for a partner at or after the start of its window: pairing
/// every match with every other was quadratic in a file's findings.
///
/// The engine places matches in file order, so a window's start only moves forward and one
/// cursor per part walks its keys once: linear in the matches, where a binary search per
/// match was n log n over keys larger than the CPU caches (a few percent of a 100,000-row
/// patient extract's findings pass, by the profile). A window that starts before the last
/// one (placements out of order) is searched for.
pub fn raise(placed: &[Placed], severities: &mut [Severity]) {
    let keys = |part: Colocation| -> Vec<(usize, u32)> {
        let mut k: Vec<_> = placed
            .iter()
            .filter(|q| q.part == part && !q.synthetic)
            .map(|q| (q.hunk, q.line))
            .collect();
        k.sort_unstable();
        k
    };
    let mut anchors = Partners::new(keys(Colocation::Anchor));
    let mut identifiers = Partners::new(keys(Colocation::Identifier));
    for (p, sev) in placed.iter().zip(severities.iter_mut()) {
        let others = match p.part {
            Colocation::Anchor => &mut identifiers,
            Colocation::Identifier => &mut anchors,
            Colocation::None => continue,
        };
        let near = others
            .first_from((p.hunk, p.line.saturating_sub(WINDOW_LINES)))
            .is_some_and(|(hunk, line)| hunk == p.hunk && line <= p.line + WINDOW_LINES);
        if !p.synthetic && near {
            *sev = sev.raised();
        }
    }
}

/// One part's sorted (hunk, line) keys and a cursor at the first key at or after the last
/// window start asked for.
struct Partners {
    keys: Vec<(usize, u32)>,
    at: usize,
    from: (usize, u32),
}

impl Partners {
    fn new(keys: Vec<(usize, u32)>) -> Partners {
        Partners {
            keys,
            at: 0,
            from: (0, 0),
        }
    }

    /// The first key at or after `from`: the cursor moves forward to it, or, when `from` is
    /// before the last start, a binary search finds it.
    fn first_from(&mut self, from: (usize, u32)) -> Option<(usize, u32)> {
        if from < self.from {
            self.at = self.keys.partition_point(|k| *k < from);
            crate::work::add(self.keys.len().max(1).ilog2() as usize + 1);
        } else {
            while self.keys.get(self.at).is_some_and(|k| *k < from) {
                self.at += 1;
                crate::work::add(1);
            }
        }
        self.from = from;
        crate::work::add(1);
        self.keys.get(self.at).copied()
    }
}

/// Whether the database has any rule taking part in co-location (skip the work otherwise).
pub fn any(db: &RuleDb) -> bool {
    db.rules()
        .iter()
        .any(|r| r.colocation() != Colocation::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(part: Colocation, line: u32, hunk: usize) -> Placed {
        Placed {
            part,
            line,
            hunk,
            synthetic: false,
        }
    }

    /// The pairwise definition, as `raise` was first written: the oracle for the search.
    fn raise_pairwise(placed: &[Placed], severities: &mut [Severity]) {
        let near =
            |a: &Placed, b: &Placed| a.hunk == b.hunk && a.line.abs_diff(b.line) <= WINDOW_LINES;
        let raised: Vec<bool> = placed
            .iter()
            .map(|p| {
                let other = match p.part {
                    Colocation::Anchor => Colocation::Identifier,
                    Colocation::Identifier => Colocation::Anchor,
                    Colocation::None => return false,
                };
                !p.synthetic
                    && placed
                        .iter()
                        .any(|q| q.part == other && !q.synthetic && near(p, q))
            })
            .collect();
        for (sev, up) in severities.iter_mut().zip(raised) {
            if up {
                *sev = sev.raised();
            }
        }
    }

    /// A small linear congruential generator: no dependency, same cases every run.
    fn numbers(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        }
    }

    /// `raise` on `placed` from random severities raises what the pairwise definition does.
    fn raises_what_pairing_raises(placed: &[Placed], next: &mut impl FnMut(u64) -> u64) {
        let start: Vec<Severity> = (0..placed.len())
            .map(|_| [Severity::Info, Severity::Warn, Severity::Block][next(3) as usize])
            .collect();
        let (mut fast, mut slow) = (start.clone(), start);
        raise(placed, &mut fast);
        raise_pairwise(placed, &mut slow);
        assert_eq!(fast, slow, "{placed:?}");
    }

    #[test]
    fn search_raises_what_pairing_raises() {
        let mut next = numbers(0x2545_f491);
        for _ in 0..2000 {
            let len = next(12) as usize;
            let placed: Vec<Placed> = (0..len)
                .map(|_| Placed {
                    part: [Colocation::Anchor, Colocation::Identifier, Colocation::None]
                        [next(3) as usize],
                    line: next(60) as u32 + 1,
                    hunk: next(3) as usize,
                    synthetic: next(5) == 0,
                })
                .collect();
            raises_what_pairing_raises(&placed, &mut next);
        }
    }

    /// Placements in file order (as the engine makes them), with runs of one part and
    /// windows that reach across hunks: the cursors raise what pairing raises.
    #[test]
    fn cursors_over_placements_in_file_order_raise_what_pairing_raises() {
        let mut next = numbers(0x9e37_79b9);
        for _ in 0..2000 {
            let len = next(40) as usize;
            let (mut hunk, mut line) = (0usize, 1u32);
            let placed: Vec<Placed> = (0..len)
                .map(|_| {
                    match next(10) {
                        0 => {
                            hunk += 1;
                            line += next(30) as u32;
                        }
                        1..=4 => line += next(25) as u32,
                        _ => {}
                    }
                    Placed {
                        part: [Colocation::Anchor, Colocation::Identifier, Colocation::None]
                            [next(3) as usize],
                        line,
                        hunk,
                        synthetic: next(7) == 0,
                    }
                })
                .collect();
            raises_what_pairing_raises(&placed, &mut next);
        }
    }

    /// A patient extract's findings (an anchor and an identifier on every line, in file
    /// order): the partner lookups take a few steps per match, not a search over all keys.
    #[test]
    fn partner_lookups_in_a_dense_file_are_linear() {
        let steps = |rows: u32| {
            let placed: Vec<Placed> = (1..=rows)
                .flat_map(|line| {
                    [
                        p(Colocation::Anchor, line, 0),
                        p(Colocation::Identifier, line, 0),
                    ]
                })
                .collect();
            let mut sev = vec![Severity::Info; placed.len()];
            crate::work::take();
            raise(&placed, &mut sev);
            assert!(sev.iter().all(|&s| s == Severity::Warn));
            crate::work::take()
        };
        let (one, four) = (steps(10_000), steps(40_000));
        assert!(one <= 3 * 20_000, "{one} steps for 20,000 matches");
        assert!(
            four <= 4 * one + one / 10,
            "{one} steps at 1x, {four} at 4x"
        );
    }

    #[test]
    fn raises_only_pairs_in_one_hunk() {
        let placed = [
            p(Colocation::Anchor, 1, 0),
            p(Colocation::Identifier, 3, 0),
            p(Colocation::Identifier, 3, 1),
            p(Colocation::None, 2, 0),
            p(Colocation::Identifier, 40, 0),
        ];
        let mut sev = [
            Severity::Warn,
            Severity::Warn,
            Severity::Warn,
            Severity::Warn,
            Severity::Info,
        ];
        raise(&placed, &mut sev);
        assert_eq!(
            sev,
            [
                Severity::Block,
                Severity::Block,
                Severity::Warn,
                Severity::Warn,
                Severity::Info
            ]
        );
    }
}
