//! phiguard keeps protected health information (PHI) and secrets out of Git.
//!
//! The library is a pipeline, and the modules are its rooms:
//!
//! * [`source`] turns a change (staged index, commits, files, stdin) into [`source::Item`]s:
//!   the new text of a file plus the byte regions the change *adds*;
//! * [`rules`] loads rule packs (TOML data with their own examples) and compiles them once into
//!   a read-only [`rules::RuleDb`];
//! * [`detect`] runs the keyword prefilter, regex confirmation and validators over the added
//!   regions and yields candidate matches; it knows bytes and paths, never git or terminals;
//! * [`policy`] decides what a candidate becomes: suppressed (inline allow, synthetic data),
//!   downgraded (test paths) or raised (co-location);
//! * [`report`] masks values and writes every output format.
//!
//! [`fingerprint`] makes the value-safe fingerprints findings and baselines share.
//! [`lines`] splits text into lines for both `source` (added lines) and `detect` (gated
//! lines), so neither depends on the other. [`scan`] wires those stages together for one item. The `phiguard` binary (`main.rs`,
//! `cli.rs`, `cmd/`) only parses flags, resolves one [`config::Config`] and calls into them.

pub mod audit;
pub mod config;
pub mod detect;
pub mod error;
pub mod fingerprint;
#[doc(hidden)]
pub mod fuzzing;
pub mod install;
pub mod lines;
pub mod lsp;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod work;

pub use error::{Error, ErrorKind, Result};
