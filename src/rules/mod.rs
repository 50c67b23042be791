//! Rules as data: the pack schema ([`model`]), loading and validating packs ([`load`]) and
//! reading gitleaks configurations ([`gitleaks`]). Compiling them is detection's job
//! ([`crate::detect::db`]); running every rule's examples through the whole pipeline is
//! [`crate::selftest`]'s.

pub mod gitleaks;
pub mod load;
pub mod model;

pub use load::Pack;
pub use model::{Category, Colocation, Example, KeywordRole, RuleSpec, Severity};
