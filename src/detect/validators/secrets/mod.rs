//! Validators of the secrets pack (`patterns/secrets/`).

mod encoded;
mod generic;
mod jwt;
mod keys;
mod tokens;

use super::Validator;

/// Secret validators by name.
pub static REGISTRY: &[(&str, Validator)] = &[
    ("aws_access_key_id", tokens::aws_access_key_id),
    ("aws_secret_key", tokens::aws_secret_key),
    ("basic_auth", generic::basic_auth),
    ("db_password", generic::db_password),
    ("encoded_hex_secret", encoded::encoded_hex_secret),
    ("encoded_secret", encoded::encoded_secret),
    ("gcp_service_account", keys::gcp_service_account),
    ("generic_secret", generic::generic_secret),
    ("github_token", tokens::github_token),
    ("jwt", jwt::jwt),
    ("named_secret", generic::named_secret),
    ("prefixed_token", tokens::prefixed_token),
    ("private_key", keys::private_key),
    ("secret_literal", generic::secret_literal),
    ("stripe_key", tokens::stripe_key),
];
