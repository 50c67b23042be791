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
/// sorted once and a match looks for a partner by binary search: pairing every match with
/// every other was quadratic in a file's findings.
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
    let (anchors, identifiers) = (keys(Colocation::Anchor), keys(Colocation::Identifier));
    for (p, sev) in placed.iter().zip(severities.iter_mut()) {
        let others = match p.part {
            Colocation::Anchor => &identifiers,
            Colocation::Identifier => &anchors,
            Colocation::None => continue,
        };
        let from = (p.hunk, p.line.saturating_sub(WINDOW_LINES));
        let i = others.partition_point(|k| *k < from);
        let near = others
            .get(i)
            .is_some_and(|&(hunk, line)| hunk == p.hunk && line <= p.line + WINDOW_LINES);
        if !p.synthetic && near {
            *sev = sev.raised();
        }
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

    #[test]
    fn search_raises_what_pairing_raises() {
        // A small linear congruential generator: no dependency, same cases every run.
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
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
            let start: Vec<Severity> = (0..len)
                .map(|_| [Severity::Info, Severity::Warn, Severity::Block][next(3) as usize])
                .collect();
            let (mut fast, mut slow) = (start.clone(), start.clone());
            raise(&placed, &mut fast);
            raise_pairwise(&placed, &mut slow);
            assert_eq!(fast, slow, "{placed:?}");
        }
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
