//! Validators of the secrets pack (`patterns/secrets/`).

mod keys;
mod tokens;

use super::Validator;

/// Secret validators by name.
pub static REGISTRY: &[(&str, Validator)] = &[
    ("aws_access_key_id", tokens::aws_access_key_id),
    ("github_token", tokens::github_token),
    ("private_key", keys::private_key),
];
