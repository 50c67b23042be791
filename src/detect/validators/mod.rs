//! Validators: the code half of a rule. A regex over-matches on purpose; a validator decides
//! whether a match is a finding (check digits, number ranges, structure), how severe it is,
//! and whether it carries a synthetic-data marker.
//!
//! Validators are plain functions looked up by name from a rule's `validator = "..."` key.
//! Each family keeps its own registry ([`common`], [`phi`], [`secrets`]) so a pack and its
//! validators live side by side.

pub mod common;
pub mod phi;
pub mod secrets;

use crate::rules::Severity;
use regex_automata::util::captures::Captures;
use std::borrow::Cow;
use std::ops::Range;

/// A validator: a plain function from a regex match to a decision.
pub type Validator = fn(&Candidate<'_>) -> Verdict;

/// A regex match handed to a validator, with the context it may need.
pub struct Candidate<'a> {
    /// The whole text being scanned (the new version of a file, or a message).
    pub text: &'a [u8],
    /// The whole regex match, as offsets into `text`.
    pub whole: Range<usize>,
    /// The value (the rule's value group, or the whole match).
    pub value: Range<usize>,
    /// Whether one of the rule's keywords sits in the context window (48 bytes before, 16
    /// after on the same line, or the 2 previous lines).
    pub keyword: bool,
    /// The path of the file (or `COMMIT_EDITMSG`-like name of a message).
    pub path: &'a str,
    /// Byte regions of `text` the change adds, sorted.
    pub added: &'a [Range<usize>],
    /// The regex captures; offsets are relative to `base`.
    pub(crate) captures: &'a Captures,
    /// Offset of the searched slice inside `text`.
    pub(crate) base: usize,
}

impl<'a> Candidate<'a> {
    /// The value bytes.
    pub fn value_bytes(&self) -> &'a [u8] {
        &self.text[self.value.clone()]
    }

    /// A named capture group, as offsets into `text`.
    pub fn group(&self, name: &str) -> Option<Range<usize>> {
        self.captures
            .get_group_by_name(name)
            .map(|m| m.start + self.base..m.end + self.base)
    }

    /// A named capture group's bytes.
    pub fn group_bytes(&self, name: &str) -> Option<&'a [u8]> {
        self.group(name).map(|r| &self.text[r])
    }

    /// The line that holds the value, without its line terminator.
    pub fn line(&self) -> &'a [u8] {
        let r = common::line_bounds(self.text, self.value.start);
        &self.text[r]
    }

    /// Whether `offset` lies in a region the change adds.
    pub fn is_added(&self, offset: usize) -> bool {
        common::in_regions(self.added, offset)
    }
}

/// A validator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not a finding.
    Reject,
    /// A finding.
    Accept(Accepted),
}

/// How a match is accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Severity instead of the rule's default (before config overrides... see
    /// [`crate::policy`]: a config override of the rule's severity shifts this too).
    pub severity: Option<Severity>,
    /// The value carries a synthetic-data marker: suppressed unless `--strict`.
    pub synthetic: bool,
    /// Report this span instead of the regex value (e.g. the `value` of a FHIR identifier
    /// whose `system` the regex matched).
    pub span: Option<Range<usize>>,
    /// Extra words for the message ("in a FHIR identifier (system us-ssn)").
    pub detail: Option<Cow<'static, str>>,
    /// The severity is the strength grade of a credential-like literal with no provider
    /// format (a generic assignment): where examples live, policy lowers it
    /// ([`crate::policy::examples`]).
    pub graded_literal: bool,
}

impl Verdict {
    /// A finding at the rule's severity.
    pub fn accept() -> Verdict {
        Verdict::Accept(Accepted::default())
    }

    /// A finding at `severity`.
    pub fn at(severity: Severity) -> Verdict {
        Verdict::Accept(Accepted {
            severity: Some(severity),
            ..Accepted::default()
        })
    }

    /// A value with a synthetic-data marker.
    pub fn synthetic() -> Verdict {
        Verdict::Accept(Accepted {
            synthetic: true,
            ..Accepted::default()
        })
    }

    /// Adds message detail to an accepted verdict.
    pub fn with_detail(self, detail: impl Into<Cow<'static, str>>) -> Verdict {
        match self {
            Verdict::Accept(a) => Verdict::Accept(Accepted {
                detail: Some(detail.into()),
                ..a
            }),
            v => v,
        }
    }

    /// Moves the reported span of an accepted verdict.
    pub fn with_span(self, span: Range<usize>) -> Verdict {
        match self {
            Verdict::Accept(a) => Verdict::Accept(Accepted {
                span: Some(span),
                ..a
            }),
            v => v,
        }
    }
}

/// Finds a validator by name in every family's registry.
pub fn lookup(name: &str) -> Option<Validator> {
    [common::REGISTRY, phi::REGISTRY, secrets::REGISTRY]
        .iter()
        .flat_map(|r| r.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}
