//! SSH signatures (SSHSIG, `gpg.format = ssh`) verified in-process with the `ssh-key` crate,
//! against an OpenSSH `allowed_signers` file parsed here (ssh-keygen(1), "ALLOWED SIGNERS"):
//!
//! ```text
//! # principals            [options]                      key
//! alice@example.com,*@ops.example.com namespaces="git" ssh-ed25519 AAAA... comment
//! dev@example.com valid-after="20240101",valid-before="20991231Z" ecdsa-sha2-nistp256 AAAA...
//! ```
//!
//! The signer is looked up by the committer's e-mail as principal (a pattern list: `*`, `?`,
//! `!negation`, commas). `namespaces=` must admit `git`; `valid-after`/`valid-before` are
//! checked at the committer date, which must not lie in the future. `cert-authority` lines
//! are reported as unsupported. A `revoked_keys` file lists revoked public keys, one a line
//! (a binary KRL is refused with a clear error).

use super::Verdict;
use crate::error::{Error, Result};
use crate::policy::refs::SigKind;
use ssh_key::public::KeyData;
use ssh_key::{HashAlg, PublicKey, SshSig};
use std::path::Path;

/// One line of `allowed_signers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The principals pattern list, as written.
    pub principals: String,
    /// `cert-authority`.
    pub cert_authority: bool,
    /// `namespaces="..."`, as written.
    pub namespaces: Option<String>,
    /// `valid-after`, Unix seconds.
    pub valid_after: Option<i64>,
    /// `valid-before`, Unix seconds.
    pub valid_before: Option<i64>,
    /// The key.
    pub key: KeyData,
    /// 1-based line number, for messages.
    pub line: usize,
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    /// The lines with a key phiguard can read.
    pub signers: Vec<Signer>,
}

/// Key types as the first token of a key (OpenSSH's names).
fn is_key_type(t: &str) -> bool {
    t.starts_with("ssh-") || t.starts_with("ecdsa-sha2-") || t.starts_with("sk-")
}

/// Splits off the next whitespace-delimited token; double quotes group (and are kept).
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Some((&s[..i], &s[i..])),
            _ => {}
        }
    }
    Some((s, ""))
}

/// Splits an option list at commas outside double quotes.
fn options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut start) = (false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parses OpenSSH's `YYYYMMDD[HHMM[SS]][Z]`: with `Z` in UTC, else in local time (as
/// ssh-keygen does).
pub fn parse_time(s: &str) -> Option<i64> {
    let (digits, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (s, false),
    };
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits.get(r).map_or(0, |d| d.parse::<i64>().unwrap_or(0));
    let (y, mo, d, h, mi, sec) = (n(0..4), n(4..6), n(6..8), n(8..10), n(10..12), n(12..14));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    if utc {
        Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec)
    } else {
        local_time(y, mo, d, h, mi, sec)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `mktime`: `tm`, a local wall-clock time, as Unix seconds (normalized in place).
///
/// # Safety
///
/// None beyond `tm` being a valid `tm` (any bytes are).
#[cfg(not(windows))]
unsafe fn mktime(tm: &mut libc::tm) -> libc::time_t {
    // SAFETY: `mktime` reads and writes only `*tm`.
    unsafe { libc::mktime(tm) }
}

/// `mktime` on Windows: the C runtime's `_mktime64` (the `libc` crate has no `mktime` there).
///
/// # Safety
///
/// As the Unix one.
#[cfg(windows)]
unsafe fn mktime(tm: &mut libc::tm) -> libc::time_t {
    unsafe extern "C" {
        fn _mktime64(tm: *mut libc::tm) -> libc::time_t;
    }
    // SAFETY: `_mktime64` reads and writes only `*tm`.
    unsafe { _mktime64(tm) }
}

/// A local wall-clock time as Unix seconds ([`mktime`]).
fn local_time(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    // SAFETY: `tm` is a plain C struct for which all-zero bytes are a valid value; `mktime`
    // reads and normalizes only that struct, which lives on this stack frame.
    let t = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = i32::try_from(y - 1900).ok()?;
        tm.tm_mon = i32::try_from(mo - 1).ok()?;
        tm.tm_mday = i32::try_from(d).ok()?;
        tm.tm_hour = i32::try_from(h).ok()?;
        tm.tm_min = i32::try_from(mi).ok()?;
        tm.tm_sec = i32::try_from(s).ok()?;
        tm.tm_isdst = -1;
        mktime(&mut tm)
    };
    (t != -1).then_some(t)
}

/// OpenSSH's `match_pattern_list`: a comma list of `*`/`?` patterns, where a matching
/// `!pattern` denies outright and otherwise any matching pattern admits.
pub fn match_list(name: &str, list: &str) -> bool {
    let mut admitted = false;
    for p in list.split(',') {
        let (negated, p) = match p.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, p),
        };
        if wildcard(name.as_bytes(), p.as_bytes()) {
            if negated {
                return false;
            }
            admitted = true;
        }
    }
    admitted
}

/// `*` (any run) and `?` (any one byte) matching, linear in practice (greedy with one
/// backtrack point).
fn wildcard(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

impl AllowedSigners {
    /// Parses the text of an `allowed_signers` file. Lines whose key phiguard cannot read
    /// are skipped, as ssh-keygen skips them (a skipped line never admits anyone).
    ///
    /// # Errors
    ///
    /// A line with a malformed option (names `origin` and the line).
    pub fn parse(text: &str, origin: &str) -> Result<AllowedSigners> {
        let mut signers = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |m: String| Error::usage(format!("{origin}:{}: {m}", i + 1));
            let Some((principals, rest)) = token(line) else {
                continue;
            };
            let Some((next, after)) = token(rest) else {
                return Err(bad("a principals list without a key".to_owned()));
            };
            let (opts, key_text) = if is_key_type(next) {
                ("", rest)
            } else {
                (next, after)
            };
            let mut s = Signer {
                principals: unquote(principals).to_owned(),
                cert_authority: false,
                namespaces: None,
                valid_after: None,
                valid_before: None,
                key: match PublicKey::from_openssh(key_text.trim()) {
                    Ok(k) => k.key_data().clone(),
                    Err(_) => continue,
                },
                line: i + 1,
            };
            for opt in options(opts).into_iter().filter(|o| !o.is_empty()) {
                let (name, value) = opt
                    .split_once('=')
                    .map_or((opt, None), |(n, v)| (n, Some(unquote(v))));
                let time = |v: Option<&str>| {
                    v.and_then(parse_time)
                        .ok_or_else(|| bad(format!("{name}: expected YYYYMMDD[HHMM[SS]][Z]")))
                };
                match name.to_ascii_lowercase().as_str() {
                    "cert-authority" => s.cert_authority = true,
                    "namespaces" => s.namespaces = value.map(str::to_owned),
                    "valid-after" => s.valid_after = Some(time(value)?),
                    "valid-before" => s.valid_before = Some(time(value)?),
                    _ => return Err(bad(format!("unknown option {name:?}"))),
                }
            }
            signers.push(s);
        }
        Ok(AllowedSigners { signers })
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or a line is malformed.
    pub fn load(path: &Path) -> Result<AllowedSigners> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        AllowedSigners::parse(&text, &path.display().to_string())
    }
}

/// Reads a revoked-keys file: public keys, one a line (`#` comments). A binary KRL is not
/// supported.
///
/// # Errors
///
/// The file cannot be read, is a KRL, or holds a line that is not a public key.
pub fn load_revoked(path: &Path) -> Result<Vec<KeyData>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    if bytes.starts_with(b"SSHKRL\n") {
        return Err(Error::usage(format!(
            "{}: a binary KRL is not supported; list the revoked public keys one a line",
            path.display()
        )));
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut keys = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = PublicKey::from_openssh(line).map_err(|e| {
            Error::usage(format!(
                "{}:{}: not a public key ({e})",
                path.display(),
                i + 1
            ))
        })?;
        keys.push(key.key_data().clone());
    }
    Ok(keys)
}

/// Whether phiguard can check signatures of this key type.
fn supported(key: &KeyData) -> bool {
    use ssh_key::EcdsaCurve;
    match key {
        KeyData::Ed25519(_)
        | KeyData::Rsa(_)
        | KeyData::SkEd25519(_)
        | KeyData::SkEcdsaSha2NistP256(_) => true,
        KeyData::Ecdsa(k) => matches!(k.curve(), EcdsaCurve::NistP256 | EcdsaCurve::NistP384),
        _ => false,
    }
}

/// Whether an armored SSHSIG names a certificate as its key (`...-cert-v01@openssh.com`),
/// which the `ssh-key` crate cannot read: such a signature is unsupported, not bad.
fn by_certificate(armored: &[u8]) -> bool {
    use base64::Engine as _;
    let body: Vec<u8> = armored
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"-----"))
        .flatten()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .is_ok_and(|raw| memchr::memmem::find(&raw, b"-cert-v01@openssh.com").is_some())
}

/// What SSH signatures are checked against.
#[derive(Debug, Clone, Default)]
pub struct SshTrust {
    /// `allowed_signers`.
    pub signers: AllowedSigners,
    /// `revoked_keys`.
    pub revoked: Vec<KeyData>,
}

/// The moment and identity a signature is checked for.
#[derive(Debug, Clone, Copy)]
pub struct Signing<'a> {
    /// The committer's (tagger's) e-mail: the principal looked up.
    pub principal: &'a str,
    /// The committer (tagger) date, Unix seconds.
    pub when: i64,
    /// Now, Unix seconds.
    pub now: i64,
}

impl SshTrust {
    /// The verdict on an armored SSH signature over `payload`.
    pub fn verify(&self, armored: &[u8], payload: &[u8], at: Signing<'_>) -> Verdict {
        let sig = match SshSig::from_pem(armored) {
            Ok(s) => s,
            Err(_) if by_certificate(armored) => {
                return Verdict::Unsupported {
                    what: "a signature by an SSH certificate (cert-authority)".to_owned(),
                };
            }
            Err(e) => {
                return Verdict::Bad {
                    kind: SigKind::Ssh,
                    detail: format!("the signature cannot be read ({e})"),
                };
            }
        };
        if sig.namespace() != "git" {
            return Verdict::WrongNamespace {
                namespace: sig.namespace().to_owned(),
            };
        }
        let key = sig.public_key();
        let fingerprint = PublicKey::from(key.clone())
            .fingerprint(HashAlg::Sha256)
            .to_string();
        if !supported(key) {
            return Verdict::Unsupported {
                what: format!(
                    "the SSH key type {}",
                    PublicKey::from(key.clone()).algorithm()
                ),
            };
        }
        if self.revoked.contains(key) {
            return Verdict::Revoked {
                kind: SigKind::Ssh,
                fingerprint,
            };
        }
        if let Err(e) = PublicKey::from(key.clone()).verify("git", payload, &sig) {
            return Verdict::Bad {
                kind: SigKind::Ssh,
                detail: format!(
                    "it does not match the signed object, which changed after signing ({e})"
                ),
            };
        }
        self.admit(key, fingerprint, at)
    }

    /// Whether `allowed_signers` admits a key that made a valid signature, for the principal
    /// at the time.
    fn admit(&self, key: &KeyData, fingerprint: String, at: Signing<'_>) -> Verdict {
        let for_git = |s: &&Signer| s.namespaces.as_deref().is_none_or(|n| match_list("git", n));
        let listed: Vec<&Signer> = self
            .signers
            .signers
            .iter()
            .filter(|s| !s.cert_authority && s.key == *key)
            .filter(for_git)
            .collect();
        if listed.is_empty() {
            let ca = self
                .signers
                .signers
                .iter()
                .any(|s| s.cert_authority && match_list(at.principal, &s.principals));
            if ca {
                return Verdict::Unsupported {
                    what: "a cert-authority line in allowed_signers".to_owned(),
                };
            }
            return Verdict::UnknownKey {
                kind: SigKind::Ssh,
                fingerprint,
            };
        }
        let mine: Vec<&&Signer> = listed
            .iter()
            .filter(|s| match_list(at.principal, &s.principals))
            .collect();
        if mine.is_empty() {
            return Verdict::WrongPrincipal {
                fingerprint,
                principal: at.principal.to_owned(),
            };
        }
        let mut why = String::new();
        for s in mine {
            let windowed = s.valid_after.is_some() || s.valid_before.is_some();
            if windowed && at.when > at.now {
                why = "the committer date lies in the future".to_owned();
            } else if s.valid_after.is_some_and(|t| at.when < t) {
                why = format!(
                    "allowed_signers line {}: valid-after is later than the committer date",
                    s.line
                );
            } else if s.valid_before.is_some_and(|t| at.when > t) {
                why = format!(
                    "allowed_signers line {}: valid-before is earlier than the committer date",
                    s.line
                );
            } else {
                return Verdict::Good {
                    kind: SigKind::Ssh,
                    principal: at.principal.to_owned(),
                    fingerprint,
                };
            }
        }
        Verdict::Expired {
            kind: SigKind::Ssh,
            fingerprint,
            detail: why,
        }
    }
}

#[cfg(test)]
mod tests;
