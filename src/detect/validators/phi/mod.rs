//! Validators of the PHI pack (`patterns/phi/`), one module per detector of detectors.md.

mod ssn;

use super::Validator;

/// PHI validators by name.
pub static REGISTRY: &[(&str, Validator)] = &[("ssn", ssn::validate)];

pub use ssn::{SsnClass, classify_ssn};
