//! Per-ref policy (`[[policy]]` in the server configuration): the first section whose `refs`
//! globs match a ref decides what rejects a push to it.

use crate::config::{PolicySection, RequireSigned};
use crate::error::{Error, Result};
use crate::rules::Severity;
use globset::Glob;

/// What applies to one ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefPolicy {
    /// The lowest severity that rejects (default `block`).
    pub block_severity: Severity,
    /// Whether inline allow markers count (default true).
    pub allow_inline: bool,
    /// Pushers allowed to bypass with `-o phiguard.bypass=<reason>`.
    pub bypass: Vec<String>,
    /// Whether deleting the ref is rejected.
    pub protect_delete: bool,
    /// A signature requirement (`ssh`, `gpg`, `any`), if any.
    pub require_signed: Option<String>,
}

impl Default for RefPolicy {
    fn default() -> RefPolicy {
        RefPolicy {
            block_severity: Severity::Block,
            allow_inline: true,
            bypass: Vec::new(),
            protect_delete: false,
            require_signed: None,
        }
    }
}

/// The policy for `refname`: the first matching section, else the defaults.
///
/// # Errors
///
/// A bad glob or `require_signed` value (names the section).
pub fn for_ref(sections: &[PolicySection], refname: &str) -> Result<RefPolicy> {
    for (i, s) in sections.iter().enumerate() {
        let mut matched = false;
        for g in &s.refs {
            let glob = Glob::new(g)
                .map_err(|e| Error::usage(format!("[[policy]] #{}: refs: {e}", i + 1)))?;
            matched |= glob.compile_matcher().is_match(refname);
        }
        if !matched {
            continue;
        }
        let require_signed = match &s.require_signed {
            None | Some(RequireSigned::Flag(false)) => None,
            Some(RequireSigned::Flag(true)) => Some("any".to_owned()),
            Some(RequireSigned::Kind(k)) if ["ssh", "gpg", "any"].contains(&k.as_str()) => {
                Some(k.clone())
            }
            Some(RequireSigned::Kind(k)) => {
                return Err(Error::usage(format!(
                    "[[policy]] #{}: require_signed = {k:?}: use \"ssh\", \"gpg\", \"any\" or false",
                    i + 1
                )));
            }
        };
        return Ok(RefPolicy {
            block_severity: s.block_severity.unwrap_or(Severity::Block),
            allow_inline: s.allow_inline_suppressions.unwrap_or(true),
            bypass: s.bypass.clone(),
            protect_delete: s.protect_delete.unwrap_or(false),
            require_signed,
        });
    }
    Ok(RefPolicy::default())
}
