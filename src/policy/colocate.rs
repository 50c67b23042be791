//! Co-location (detectors.md §1.7): a person anchor (name field, DOB, street address) and an
//! identifier (SSN, MRN, MBI, HICN, phone, email) in the same hunk raise both one level.
//! Nightfall reports PHI only as such combinations; phi-scan calls it layer 4.

use crate::rules::{Colocation, RuleDb, Severity};

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

/// Raises the severities of co-located matches in place.
pub fn raise(placed: &[Placed], severities: &mut [Severity]) {
    let near = |a: &Placed, b: &Placed| a.hunk == b.hunk && a.line.abs_diff(b.line) <= WINDOW_LINES;
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
