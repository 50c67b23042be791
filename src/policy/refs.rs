//! Per-ref policy (`[[policy]]` in the server configuration): the first section whose `refs`
//! globs match a ref decides what rejects a push to it.

use crate::config::{PolicySection, RequireSigned};
use crate::error::{Error, Result};
use crate::rules::Severity;
use globset::Glob;
use std::path::PathBuf;

/// Which signatures satisfy `require_signed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    /// SSH signatures (`gpg.format = ssh`), verified in-process.
    Ssh,
    /// OpenPGP signatures, verified by `gpg`.
    Gpg,
    /// Either.
    Any,
}

impl SigKind {
    /// The name used in configuration and output.
    pub fn as_str(self) -> &'static str {
        match self {
            SigKind::Ssh => "ssh",
            SigKind::Gpg => "gpg",
            SigKind::Any => "any",
        }
    }

    /// Parses a `require_signed` value.
    ///
    /// # Errors
    ///
    /// Anything but `"ssh"`, `"gpg"`, `"any"`, `true` or `false` (the message says what is
    /// accepted).
    pub fn from_config(value: &RequireSigned) -> std::result::Result<Option<SigKind>, String> {
        match value {
            RequireSigned::Flag(false) => Ok(None),
            RequireSigned::Flag(true) => Ok(Some(SigKind::Any)),
            RequireSigned::Kind(k) => match k.as_str() {
                "ssh" => Ok(Some(SigKind::Ssh)),
                "gpg" => Ok(Some(SigKind::Gpg)),
                "any" => Ok(Some(SigKind::Any)),
                _ => Err(format!(
                    "require_signed = {k:?}: use \"ssh\", \"gpg\", \"any\" or false"
                )),
            },
        }
    }
}

/// What applies to one ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefPolicy {
    /// Which `[[policy]]` section matched (1-based; 0: none, the defaults), for messages.
    pub section: usize,
    /// The lowest severity that rejects (default `block`).
    pub block_severity: Severity,
    /// Whether inline allow markers count (default true).
    pub allow_inline: bool,
    /// Pushers allowed to bypass with `-o phiguard.bypass=<reason>`.
    pub bypass: Vec<String>,
    /// Whether deleting the ref is rejected (`deny_delete`, alias `protect_delete`).
    pub deny_delete: bool,
    /// Whether an update that does not descend from the old tip is rejected.
    pub deny_non_fast_forward: bool,
    /// A signature requirement, if any.
    pub require_signed: Option<SigKind>,
    /// The OpenSSH `allowed_signers` file (resolved against its config file).
    pub allowed_signers: Option<PathBuf>,
    /// A file of revoked SSH public keys, one per line.
    pub revoked_keys: Option<PathBuf>,
    /// The GnuPG home directory holding the trusted keys.
    pub gpg_home: Option<PathBuf>,
    /// Trailers every new commit must carry, naming someone other than its author.
    pub require_trailers: Vec<String>,
    /// Who may push to the ref at all (empty: everyone).
    pub allowed_pushers: Vec<String>,
}

impl Default for RefPolicy {
    fn default() -> RefPolicy {
        RefPolicy {
            section: 0,
            block_severity: Severity::Block,
            allow_inline: true,
            bypass: Vec::new(),
            deny_delete: false,
            deny_non_fast_forward: false,
            require_signed: None,
            allowed_signers: None,
            revoked_keys: None,
            gpg_home: None,
            require_trailers: Vec::new(),
            allowed_pushers: Vec::new(),
        }
    }
}

impl RefPolicy {
    /// How messages name the rule: `[[policy]] #2`, or the defaults.
    pub fn name(&self) -> String {
        if self.section == 0 {
            "the default policy".to_owned()
        } else {
            format!("[[policy]] #{}", self.section)
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
            None => None,
            Some(v) => SigKind::from_config(v)
                .map_err(|e| Error::usage(format!("[[policy]] #{}: {e}", i + 1)))?,
        };
        return Ok(RefPolicy {
            section: i + 1,
            block_severity: s.block_severity.unwrap_or(Severity::Block),
            allow_inline: s.allow_inline_suppressions.unwrap_or(true),
            bypass: s.bypass.clone(),
            deny_delete: s.deny_delete.or(s.protect_delete).unwrap_or(false),
            deny_non_fast_forward: s.deny_non_fast_forward.unwrap_or(false),
            require_signed,
            allowed_signers: s.allowed_signers.as_ref().map(PathBuf::from),
            revoked_keys: s.revoked_keys.as_ref().map(PathBuf::from),
            gpg_home: s.gpg_home.as_ref().map(PathBuf::from),
            require_trailers: s.require_trailers.clone(),
            allowed_pushers: s.allowed_pushers.clone(),
        });
    }
    Ok(RefPolicy::default())
}
