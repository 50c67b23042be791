//! The server's audit log (DESIGN §8): one JSON line per push decision, each carrying `prev`,
//! the SHA-256 of the line before it, so that an edited, removed or reordered line breaks the
//! chain, and the hash of the last line (the *head*) anchored elsewhere exposes a cut tail.
//!
//! A record holds no value: rule ids, paths, lines and fingerprints (DESIGN §4), never an
//! excerpt or a message built from content. Reasons are codes with value-free details.
//!
//! * [`log`] appends under an exclusive lock, fsyncs, and rotates by size without breaking the
//!   chain;
//! * [`mod@verify`] walks one or more files in order and names the first line that breaks it;
//! * [`export`] writes the records as JSON or CSV for an evidence package;
//! * [`hash`] fingerprints what decided: the rule packs and the configuration files.

pub mod export;
pub mod hash;
pub mod log;
pub mod time;
pub mod verify;

pub use log::{Period, Rotation, append, append_rotating};
pub use verify::{Problem, Verdict, verify};

use crate::policy::bypass::Pusher;
use serde::{Deserialize, Serialize};

/// `prev` of the very first line of a chain: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// At most this many findings are listed in one record; `findings_total` counts them all. A
/// push of a data dump with millions of findings must not write a line the next append cannot
/// read back (see [`log::MAX_LINE`]).
pub const MAX_FINDINGS: usize = 1000;

/// One push decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// When the decision was taken: UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// The repository (its git dir).
    pub repository: String,
    /// The platform's name for it (`GL_PROJECT_PATH`, `GITHUB_REPO_NAME`,
    /// `GITEA_REPO_USER_NAME/GITEA_REPO_NAME`), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_name: Option<String>,
    /// `pre-receive` or `update`.
    pub hook: String,
    /// Who pushed, as the hosting platform tells it (or `$USER`, unverified).
    pub pusher: Option<Pusher>,
    /// The signed-push certificate, when git received one (`git push --signed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_cert: Option<PushCert>,
    /// The ref updates of this push.
    pub refs: Vec<RefRecord>,
    /// The outcome.
    pub decision: Decision,
    /// Why, as codes with value-free details (empty when accepted).
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// Findings (counted and suppressed), without values; at most [`MAX_FINDINGS`].
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
    /// How many findings there were in all.
    #[serde(default)]
    pub findings_total: usize,
    /// The break-glass reason the pusher gave (`git push -o phiguard.bypass=<reason>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass: Option<String>,
    /// The phiguard version that decided.
    pub phiguard: String,
    /// SHA-256 of the rule packs in force ([`hash::rules`]).
    pub rules_hash: String,
    /// SHA-256 of the configuration files in force ([`hash::files`]).
    pub config_hash: String,
    /// The signature verdict of every commit and annotated tag a signing policy checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureRecord>,
    /// SHA-256 (hex) of the previous line, or [`GENESIS`]. Set by [`append`].
    pub prev: String,
}

/// The outcome of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Every ref accepted.
    Accept,
    /// Rejected by policy or findings.
    Reject,
    /// Would have been rejected; accepted by an allowed break-glass bypass.
    Bypass,
    /// The time budget ran out and `[server] fail_open = true` accepted the push.
    FailOpen,
    /// The time budget ran out: rejected (fail closed).
    Budget,
    /// phiguard could not decide (exit 2): rejected.
    Error,
}

impl Decision {
    /// The name used in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::Reject => "reject",
            Decision::Bypass => "bypass",
            Decision::FailOpen => "fail-open",
            Decision::Budget => "budget",
            Decision::Error => "error",
        }
    }
}

/// One ref update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefRecord {
    /// The full ref name.
    #[serde(rename = "ref")]
    pub name: String,
    /// Old id (zeros when created).
    pub old: String,
    /// New id (zeros when deleted).
    pub new: String,
}

/// Why: a stable code, and details that never carry content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Reason {
    /// `findings`, `delete-denied`, `signature-unverifiable`, `bypass-refused`,
    /// `budget-exceeded`, `unscanned` (oversize or undecodable content), `error`.
    pub code: String,
    /// The ref it is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub refname: Option<String>,
    /// How many (findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// A severity threshold, a signature kind, an error kind or a budget in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Reason {
    /// A reason with only a code.
    pub fn code(code: &str) -> Reason {
        Reason {
            code: code.to_owned(),
            ..Reason::default()
        }
    }
}

/// One signature check: the object, and what the check found (`good` with the signer, or
/// why not). Principals and key fingerprints come from the trust files, never from content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureRecord {
    /// Full hex id.
    pub commit: String,
    /// An annotated tag (else a commit).
    #[serde(default)]
    pub tag: bool,
    /// `good`, `bad`, `unknown_key`, `unsigned`, ...
    pub status: String,
    /// The signer, when good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The key's fingerprint, when good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// A finding without its value: where, which rule, and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Rule id.
    pub rule: String,
    /// `block`, `warn` or `info`.
    pub severity: String,
    /// Path in the commit.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// The commit, when from history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The value-safe fingerprint (DESIGN §4).
    pub fingerprint: String,
    /// `inline`, `synthetic` or `baseline` when suppressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

impl FindingRecord {
    /// The value-free part of a report finding.
    pub fn from_finding(f: &crate::model::Finding) -> FindingRecord {
        FindingRecord {
            rule: f.rule.to_string(),
            severity: f.severity.to_string(),
            path: f.path.to_string(),
            line: f.line,
            commit: f.commit.as_deref().map(str::to_owned),
            fingerprint: f.fingerprint.clone(),
            suppressed: f.suppressed.map(|s| s.as_str().to_owned()),
        }
    }
}

/// The signed-push certificate git verified (`GIT_PUSH_CERT_*`, see git-receive-pack(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushCert {
    /// `GIT_PUSH_CERT_SIGNER`: who signed, as gpg names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// `GIT_PUSH_CERT_KEY`: the signing key's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `GIT_PUSH_CERT_STATUS`: gpg's verdict letter (`G` good, `B` bad, `U` unknown validity…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `GIT_PUSH_CERT_NONCE_STATUS`: `OK`, `BAD`, `SLOP`, `MISSING`, `UNSOLICITED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_status: Option<String>,
}

impl PushCert {
    /// The certificate git describes in the environment, if it passed one.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Option<PushCert> {
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        let cert = PushCert {
            signer: get("GIT_PUSH_CERT_SIGNER"),
            key: get("GIT_PUSH_CERT_KEY"),
            status: get("GIT_PUSH_CERT_STATUS"),
            nonce_status: get("GIT_PUSH_CERT_NONCE_STATUS"),
        };
        (cert.signer.is_some() || cert.status.is_some()).then_some(cert)
    }
}

/// The hosting platform's name for the repository, from its hook environment.
pub fn repository_name(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    get("GL_PROJECT_PATH")
        .or_else(|| get("GITHUB_REPO_NAME"))
        .or_else(|| {
            Some(format!(
                "{}/{}",
                get("GITEA_REPO_USER_NAME")?,
                get("GITEA_REPO_NAME")?
            ))
        })
}

/// A ref id as written in the log: hex, or 40 zeros for none.
pub fn oid_hex(oid: Option<git2::Oid>) -> String {
    oid.map_or_else(|| "0".repeat(40), |o| o.to_string())
}

#[cfg(test)]
mod tests;
