//! phiguard keeps protected health information (PHI) and secrets out of Git.
//!
//! The library is a pipeline, and the modules are its rooms, each using only rooms below it
//! (`tests/integration/layering.rs` fails on an upward `use crate::`):
//!
//! * leaves: [`error`], [`lines`] (line splitting for both `source` and `detect`), [`work`],
//!   [`fingerprint`] (value-safe fingerprints), [`sanitize`] (escaping for terminals),
//!   [`glob`] (lazily compiled glob sets), [`file`](mod@file) (files opened without blocking, read
//!   within a bound);
//! * [`source`] turns a change (staged index, commits, files, stdin) into [`source::Item`]s:
//!   the new text of a file plus the byte regions the change *adds*;
//! * [`rules`] loads rule packs: TOML data with their own examples;
//! * [`model`] holds a scan's findings as data ([`model::Finding`], [`model::Report`]);
//! * [`detect`] compiles the rules once into a read-only [`detect::RuleDb`], runs the keyword
//!   prefilter, regex confirmation and validators over the added regions and yields candidate
//!   matches; it knows bytes and paths, never git or terminals;
//! * [`policy`] decides what a candidate becomes: suppressed (inline allow, synthetic data,
//!   baseline), downgraded (test paths) or raised (co-location), and what a server does with
//!   a push;
//! * [`report`] masks values and writes every output format;
//! * [`scan`] wires those stages together for one item;
//! * [`config`] resolves the configuration files, [`audit`] keeps the server's log;
//! * [`selftest`] runs every rule's examples through the whole pipeline, [`lsp`] serves
//!   editors, [`install`] writes hooks.
//!
//! The `phiguard` binary (`main.rs`, `cli.rs`, `cmd/`) only parses flags, resolves one
//! [`config::Config`] and calls into them.

pub mod audit;
pub mod config;
pub mod detect;
pub mod error;
pub mod file;
pub mod fingerprint;
#[doc(hidden)]
pub mod fuzzing;
pub mod glob;
pub mod install;
pub mod lines;
pub mod lsp;
pub mod model;
pub mod policy;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod scan;
pub mod selftest;
pub mod source;
pub mod weakening;
pub mod work;

pub use error::{Error, ErrorKind, Result};
