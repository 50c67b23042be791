//! Signature verification of commits and annotated tags: what signed an object, and whether
//! the policy's signers vouch for it. Never "a signature exists": every object gets a
//! [`Verdict`] naming the signer or the reason it does not count.

use super::refs::{RefPolicy, SigKind};
use crate::error::{Error, Result};
use git2::{Oid, Repository};
use object::Armor;
use std::path::PathBuf;
use std::time::Instant;

/// The result of checking one commit's or annotated tag's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A valid signature by a key the policy trusts for this signer.
    Good {
        /// `ssh` or `gpg`.
        kind: SigKind,
        /// The principal (SSH, the committer e-mail matched) or the user id (GPG).
        principal: String,
        /// The key fingerprint (`SHA256:...` for SSH, the hex fingerprint for GPG).
        fingerprint: String,
    },
    /// The signature does not match the object (changed after signing) or is malformed.
    Bad {
        /// `ssh` or `gpg`.
        kind: SigKind,
        /// What failed, in words.
        detail: String,
    },
    /// The signing key is not trusted at all (not in `allowed_signers`, not in the keyring).
    UnknownKey {
        /// `ssh` or `gpg`.
        kind: SigKind,
        /// The key's fingerprint or id, when known.
        fingerprint: String,
    },
    /// The key is in `allowed_signers`, but not for the committer's e-mail.
    WrongPrincipal {
        /// The key's fingerprint.
        fingerprint: String,
        /// The committer e-mail looked up.
        principal: String,
    },
    /// The key (or signature) was not valid at the committer date.
    Expired {
        /// `ssh` or `gpg`.
        kind: SigKind,
        /// The key's fingerprint or id.
        fingerprint: String,
        /// Why, in words (`valid-before 20200101 is before the commit date`, ...).
        detail: String,
    },
    /// The key is revoked.
    Revoked {
        /// `ssh` or `gpg`.
        kind: SigKind,
        /// The key's fingerprint or id.
        fingerprint: String,
    },
    /// An SSH signature made for another namespace than `git`.
    WrongNamespace {
        /// The namespace in the signature (sanitized by the printer).
        namespace: String,
    },
    /// No signature at all.
    Unsigned,
    /// A signature phiguard cannot check (an X.509 signature, a certificate authority, a
    /// key type it does not support, ...): never counted as good.
    Unsupported {
        /// What is not supported.
        what: String,
    },
}

impl Verdict {
    /// The short name used in JSON (`good`, `bad`, `unknown_key`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Good { .. } => "good",
            Verdict::Bad { .. } => "bad",
            Verdict::UnknownKey { .. } => "unknown_key",
            Verdict::WrongPrincipal { .. } => "wrong_principal",
            Verdict::Expired { .. } => "expired",
            Verdict::Revoked { .. } => "revoked",
            Verdict::WrongNamespace { .. } => "wrong_namespace",
            Verdict::Unsigned => "unsigned",
            Verdict::Unsupported { .. } => "unsupported",
        }
    }

    /// The signature kind, when there is a signature of a known kind.
    pub fn kind(&self) -> Option<SigKind> {
        match self {
            Verdict::Good { kind, .. }
            | Verdict::Bad { kind, .. }
            | Verdict::UnknownKey { kind, .. }
            | Verdict::Expired { kind, .. }
            | Verdict::Revoked { kind, .. } => Some(*kind),
            Verdict::WrongPrincipal { .. } | Verdict::WrongNamespace { .. } => Some(SigKind::Ssh),
            Verdict::Unsigned | Verdict::Unsupported { .. } => None,
        }
    }

    /// Whether this verdict satisfies `required`: a good signature of an accepted kind.
    pub fn satisfies(&self, required: SigKind) -> bool {
        match self {
            Verdict::Good { kind, .. } => required == SigKind::Any || *kind == required,
            _ => false,
        }
    }

    /// One line describing the verdict (no scanned content: principals and fingerprints
    /// come from the configured files and the signature itself, and are escaped when
    /// printed).
    pub fn describe(&self) -> String {
        match self {
            Verdict::Good {
                kind,
                principal,
                fingerprint,
            } => format!(
                "good {} signature by {principal} ({fingerprint})",
                kind.as_str()
            ),
            Verdict::Bad {
                kind: SigKind::Any,
                detail,
            } => format!("bad signature: {detail}"),
            Verdict::Bad { kind, detail } => {
                format!("bad {} signature: {detail}", kind.as_str())
            }
            Verdict::UnknownKey { kind, fingerprint } => match kind {
                SigKind::Gpg => {
                    format!("signed by an unknown GPG key {fingerprint} (not in the keyring)")
                }
                _ => format!("signed by a key not in allowed_signers ({fingerprint})"),
            },
            Verdict::WrongPrincipal {
                fingerprint,
                principal,
            } => format!(
                "signed by {fingerprint}, which allowed_signers does not allow for the committer {principal}"
            ),
            Verdict::Expired {
                kind,
                fingerprint,
                detail,
            } => format!("{} key {fingerprint} not valid: {detail}", kind.as_str()),
            Verdict::Revoked { kind, fingerprint } => {
                format!("signed by the revoked {} key {fingerprint}", kind.as_str())
            }
            Verdict::WrongNamespace { namespace } => {
                format!("SSH signature made for namespace {namespace:?}, not \"git\"")
            }
            Verdict::Unsigned => "not signed".to_owned(),
            Verdict::Unsupported { what } => {
                format!("signature not checked: {what} is not supported")
            }
        }
    }
}

pub mod gpg;
pub mod object;
pub mod ssh;

/// Where trust comes from: a policy's files, or on a client git's own settings.
#[derive(Debug, Clone, Default)]
pub struct TrustFiles {
    /// OpenSSH `allowed_signers`.
    pub allowed_signers: Option<PathBuf>,
    /// Revoked SSH public keys, one a line.
    pub revoked_keys: Option<PathBuf>,
    /// The GnuPG home with the trusted keys (`None`: gpg's default).
    pub gpg_home: Option<PathBuf>,
    /// The gpg program (`None`: `gpg`).
    pub gpg_program: Option<PathBuf>,
}

impl TrustFiles {
    /// The files a `[[policy]]` names.
    pub fn of(policy: &RefPolicy) -> TrustFiles {
        TrustFiles {
            allowed_signers: policy.allowed_signers.clone(),
            revoked_keys: policy.revoked_keys.clone(),
            gpg_home: policy.gpg_home.clone(),
            gpg_program: None,
        }
    }
}

/// Checks signatures against one set of trust files, read once.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// SSH trust, when `allowed_signers` is configured.
    ssh: Option<ssh::SshTrust>,
    /// How gpg runs.
    gpg: gpg::Gpg,
    /// gpg is killed at this moment (the server's budget).
    deadline: Instant,
    /// Now, Unix seconds (a committer date after it is in the future).
    now: i64,
}

impl Verifier {
    /// Reads the trust files. `required`: the policy's requirement; `gpg` then needs the gpg
    /// program to exist.
    ///
    /// # Errors
    ///
    /// A trust file that cannot be read or parsed (each names the file), or gpg missing
    /// where the policy requires GPG signatures.
    pub fn load(
        files: &TrustFiles,
        required: Option<SigKind>,
        deadline: Instant,
    ) -> Result<Verifier> {
        let ssh = match &files.allowed_signers {
            Some(path) => Some(ssh::SshTrust {
                signers: ssh::AllowedSigners::load(path)?,
                revoked: match &files.revoked_keys {
                    Some(r) => ssh::load_revoked(r)?,
                    None => Vec::new(),
                },
            }),
            None => None,
        };
        let gpg = gpg::Gpg {
            program: files
                .gpg_program
                .clone()
                .unwrap_or_else(|| PathBuf::from("gpg")),
            home: files.gpg_home.clone(),
        };
        if required == Some(SigKind::Gpg) && !gpg::available(&gpg.program) {
            return Err(Error::usage(format!(
                "require_signed = \"gpg\" needs {}, which is not installed (Debian: apt-get install gnupg); \
                 the push is refused (fail closed)",
                gpg.program.display()
            )));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Ok(Verifier {
            ssh,
            gpg,
            deadline,
            now,
        })
    }

    /// The verdict on commit or annotated tag `id`: its signature checked against the
    /// committer's (tagger's) e-mail at the committer (tagger) date.
    ///
    /// # Errors
    ///
    /// The object cannot be read, or gpg cannot decide (missing, killed, past the deadline).
    pub fn verify(&self, repo: &Repository, id: Oid, tag: bool) -> Result<Verdict> {
        let prepared = prepare(repo, id, tag)?;
        self.check(&prepared)
    }

    /// The verdicts on many objects (`(id, is a tag)`), in order. The objects are read
    /// first; the checks (a `gpg` process each for GPG) then run on up to four threads.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`].
    pub fn verify_many(&self, repo: &Repository, items: &[(Oid, bool)]) -> Result<Vec<Verdict>> {
        let prepared = items
            .iter()
            .map(|&(id, tag)| prepare(repo, id, tag))
            .collect::<Result<Vec<_>>>()?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
            .min(prepared.len().max(1));
        if threads < 2 {
            return prepared.iter().map(|p| self.check(p)).collect();
        }
        let chunk = prepared.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = prepared
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|p| self.check(p))
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(prepared.len());
            for h in handles {
                let part = h.join().map_err(|_| {
                    Error::internal("internal: a signature check panicked; the push is refused")
                })??;
                out.extend(part);
            }
            Ok(out)
        })
    }

    /// The verdict on a prepared object.
    fn check(&self, p: &Prepared) -> Result<Verdict> {
        let Some(signature) = &p.signed.signature else {
            return Ok(Verdict::Unsigned);
        };
        let at = ssh::Signing {
            principal: &p.email,
            when: p.when,
            now: self.now,
        };
        Ok(match object::armor(signature) {
            Some(Armor::Ssh) => match &self.ssh {
                Some(trust) => trust.verify(signature, &p.signed.payload, at),
                None => Verdict::Unsupported {
                    what: "an SSH signature where the policy names no allowed_signers".to_owned(),
                },
            },
            Some(Armor::Pgp) => self
                .gpg
                .verify(signature, &p.signed.payload, self.deadline)?,
            Some(Armor::X509) => Verdict::Unsupported {
                what: "an X.509 (gpgsm) signature".to_owned(),
            },
            None => Verdict::Bad {
                kind: SigKind::Any,
                detail: "the signature header holds no known signature".to_owned(),
            },
        })
    }
}

/// An object read and split, ready to check without the repository.
struct Prepared {
    signed: object::Signed,
    /// The committer's (tagger's) e-mail.
    email: String,
    /// The committer (tagger) date.
    when: i64,
}

/// Reads and splits object `id`.
fn prepare(repo: &Repository, id: Oid, tag: bool) -> Result<Prepared> {
    let odb = repo
        .odb()
        .map_err(|e| Error::git("opening the object database", &e))?;
    let raw = odb
        .read(id)
        .map_err(|e| Error::git(format!("reading {id}"), &e))?;
    let signed = if tag {
        object::split_tag(raw.data())
    } else {
        object::split_commit(raw.data())
    };
    let (email, when) = if signed.signature.is_some() {
        signer(repo, id, tag)?
    } else {
        (String::new(), 0)
    };
    Ok(Prepared {
        signed,
        email,
        when,
    })
}

/// The committer's (tagger's) e-mail and date.
fn signer(repo: &Repository, id: Oid, tag: bool) -> Result<(String, i64)> {
    let who = |s: git2::Signature<'_>| {
        (
            String::from_utf8_lossy(s.email_bytes()).into_owned(),
            s.when().seconds(),
        )
    };
    if tag {
        let t = repo
            .find_tag(id)
            .map_err(|e| Error::git(format!("reading tag {id}"), &e))?;
        Ok(t.tagger().map(who).unwrap_or_default())
    } else {
        let c = repo
            .find_commit(id)
            .map_err(|e| Error::git(format!("reading commit {id}"), &e))?;
        Ok(who(c.committer()))
    }
}
