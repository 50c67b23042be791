//! Per-ref policy (`[[policy]]` in the server configuration): the first section whose `refs`
//! globs match a ref decides what rejects a push to it.

use crate::error::{Error, Result};
use crate::rules::Severity;
use globset::Glob;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `require_signed = "ssh" | "gpg" | "any" | false`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum RequireSigned {
    /// `false` (or `true`, meaning "any").
    Flag(bool),
    /// `"ssh"`, `"gpg"` or `"any"`.
    Kind(String),
}

/// `[[policy]]`: what applies to pushes to matching refs.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// Ref globs (`refs/heads/main`, `refs/heads/release/*`).
    #[serde(default)]
    pub refs: Vec<String>,
    /// The lowest severity that rejects a push.
    pub block_severity: Option<Severity>,
    /// Signature requirement.
    pub require_signed: Option<RequireSigned>,
    /// The OpenSSH `allowed_signers` file for SSH signatures (relative to this file).
    pub allowed_signers: Option<String>,
    /// A file of revoked SSH public keys, one per line (relative to this file).
    pub revoked_keys: Option<String>,
    /// The GnuPG home directory with the keys trusted for GPG signatures (relative to this
    /// file).
    pub gpg_home: Option<String>,
    /// Whether inline allow markers count (`false` on protected branches).
    pub allow_inline_suppressions: Option<bool>,
    /// Pushers allowed to use `-o phiguard.bypass=<reason>`.
    #[serde(default)]
    pub bypass: Vec<String>,
    /// Whether deleting matching refs is rejected.
    pub deny_delete: Option<bool>,
    /// The older name of `deny_delete`, still accepted.
    pub protect_delete: Option<bool>,
    /// Whether an update that is not a fast-forward is rejected.
    pub deny_non_fast_forward: Option<bool>,
    /// Trailers (`Reviewed-by`) each new commit must carry, naming someone other than its
    /// author.
    #[serde(default)]
    pub require_trailers: Vec<String>,
    /// Who may push to matching refs (empty: everyone); the identity is the one bypass uses.
    #[serde(default)]
    pub allowed_pushers: Vec<String>,
}

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

impl RefPolicy {
    /// Whether findings were judged under this policy at least as strictly as `other` judges
    /// them: a lower or equal `block_severity`, and inline allows not counted where `other`
    /// does not count them. A commit an existing ref under such a policy holds was judged then;
    /// any other commit is new to a ref under `other` (issue 19 item 2).
    pub fn judges_findings_as_strictly_as(&self, other: &RefPolicy) -> bool {
        self.block_severity <= other.block_severity && (!self.allow_inline || other.allow_inline)
    }
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

/// The `[[policy]]` sections with their ref globs compiled once: a hook asks for the policy
/// of every existing ref when it works out what is new to a protected one.
#[derive(Debug, Clone)]
pub struct PolicySet<'a> {
    sections: Vec<(globset::GlobSet, &'a PolicySection)>,
}

impl<'a> PolicySet<'a> {
    /// Compiles the sections' globs.
    ///
    /// # Errors
    ///
    /// A bad glob (names the section).
    pub fn new(sections: &'a [PolicySection]) -> Result<PolicySet<'a>> {
        let compiled =
            sections
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut b = globset::GlobSetBuilder::new();
                    for g in &s.refs {
                        b.add(Glob::new(g).map_err(|e| {
                            Error::usage(format!("[[policy]] #{}: refs: {e}", i + 1))
                        })?);
                    }
                    let set = b
                        .build()
                        .map_err(|e| Error::usage(format!("[[policy]] #{}: refs: {e}", i + 1)))?;
                    Ok((set, s))
                })
                .collect::<Result<_>>()?;
        Ok(PolicySet { sections: compiled })
    }

    /// The 1-based section whose globs match `refname` first (0: none).
    pub fn section_of(&self, refname: &str) -> usize {
        self.sections
            .iter()
            .position(|(set, _)| set.is_match(refname))
            .map_or(0, |i| i + 1)
    }

    /// The policy for `refname`: the first matching section, else the defaults.
    ///
    /// # Errors
    ///
    /// A bad `require_signed` value (names the section).
    pub fn for_ref(&self, refname: &str) -> Result<RefPolicy> {
        let i = self.section_of(refname);
        let Some(s) = i.checked_sub(1).map(|k| self.sections[k].1) else {
            return Ok(RefPolicy::default());
        };
        let require_signed = match &s.require_signed {
            None => None,
            Some(v) => SigKind::from_config(v)
                .map_err(|e| Error::usage(format!("[[policy]] #{i}: {e}")))?,
        };
        Ok(RefPolicy {
            section: i,
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
        })
    }
}

/// The policy for `refname`: the first matching section, else the defaults.
///
/// # Errors
///
/// A bad glob or `require_signed` value (names the section).
pub fn for_ref(sections: &[PolicySection], refname: &str) -> Result<RefPolicy> {
    PolicySet::new(sections)?.for_ref(refname)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_section_wins() {
        let section = |refs: &[&str], delete: bool| PolicySection {
            refs: refs.iter().map(|r| (*r).to_owned()).collect(),
            deny_delete: Some(delete),
            ..PolicySection::default()
        };
        let sections = [
            section(&["refs/heads/main", "refs/heads/release/*"], true),
            section(&["refs/heads/*"], false),
        ];
        let set = PolicySet::new(&sections).unwrap();
        for (name, want) in [
            ("refs/heads/main", 1),
            ("refs/heads/release/1.0", 1),
            ("refs/heads/topic", 2),
            ("refs/tags/v1", 0),
        ] {
            assert_eq!(set.section_of(name), want, "{name}");
            assert_eq!(for_ref(&sections, name).unwrap().section, want, "{name}");
        }
        assert!(set.for_ref("refs/heads/main").unwrap().deny_delete);
        assert_eq!(set.for_ref("refs/tags/v1").unwrap(), RefPolicy::default());
    }
}
