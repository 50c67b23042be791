//! Rules as data: the pack schema ([`model`]), loading ([`load`]), the compiled database
//! ([`db`]) and the self-test that runs every rule's examples through the real pipeline
//! ([`check`]).

pub mod check;
pub mod db;
pub mod gitleaks;
pub mod load;
pub mod model;

pub use db::{Rule, RuleDb, RuleDbBuilder, RuleIdx, Selection};
pub use load::Pack;
pub use model::{Category, Colocation, Example, KeywordRole, RuleSpec, Severity};
