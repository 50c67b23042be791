//! Detection: keyword prefilter → regex confirmation → validator, over the added regions of
//! one text. Knows bytes and paths; never git, never the terminal.
//!
//! The cascade has honest types: an automaton hit ([`matcher`]'s `Hit`) selects spans, a regex
//! match in a span becomes a [`validators::Candidate`], and an accepted candidate becomes a
//! [`RawMatch`]. What a raw match turns into (suppressed, downgraded, raised) is
//! [`crate::policy`]'s business.

pub mod db;
pub mod filters;
pub mod fold;
pub mod keywords;
pub mod matcher;
pub mod scrub;
pub mod structure;
#[cfg(test)]
pub(crate) mod testing;
pub mod validators;

pub use db::{Rule, RuleDb, RuleDbBuilder, RuleIdx, Selection};
pub use matcher::{DetectOptions, Scratch, Target, find, find_each};

use crate::rules::Severity;
use std::ops::Range;

/// A validated match, still pointing into the scanned text. Never leaves the pipeline: it is
/// turned into a value-free [`crate::model::Finding`] before anything is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMatch {
    /// The rule that matched.
    pub rule: RuleIdx,
    /// The reported span: the value (what gets masked and fingerprinted).
    pub span: Range<usize>,
    /// Severity from the validator or the rule.
    pub severity: Severity,
    /// The value carries a synthetic-data marker.
    pub synthetic: bool,
    /// Extra message words from the validator.
    pub detail: Option<std::borrow::Cow<'static, str>>,
    /// `severity` is a generic literal's strength grade ([`validators::Accepted`]), not the
    /// rule's or a configured one.
    pub graded_literal: bool,
}
