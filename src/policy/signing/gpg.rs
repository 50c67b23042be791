//! OpenPGP signatures, verified by running `gpg --status-fd=1 --verify SIG DATA` against the
//! policy's GnuPG home (`gpg_home`): the keys in that keyring are the trusted ones. gpg's
//! machine-readable status lines decide the verdict; a gpg that hangs is killed at the
//! deadline and one that dies or says nothing fails the push closed (an error, exit 2).

use super::Verdict;
use crate::error::{Error, Result};
use crate::policy::refs::SigKind;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How to run gpg.
#[derive(Debug, Clone)]
pub struct Gpg {
    /// The program (`gpg`, or git's `gpg.program`).
    pub program: PathBuf,
    /// `--homedir`, when the policy names one (else gpg's default).
    pub home: Option<PathBuf>,
}

/// Whether `program` can be run: a path that exists, or a name found on `PATH`.
pub fn available(program: &Path) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// A temporary file that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(content: &[u8]) -> Result<TempFile> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "phiguard-sig-{}-{}.asc",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        f.write_all(content)
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Gpg {
    /// The verdict on an armored OpenPGP signature over `payload`, gpg killed at
    /// `deadline`.
    ///
    /// # Errors
    ///
    /// gpg cannot be started (not installed), is killed, runs past the deadline, or gives
    /// no verdict: the caller fails closed.
    pub fn verify(&self, armored: &[u8], payload: &[u8], deadline: Instant) -> Result<Verdict> {
        // The payload goes through a file too, not stdin: phiguard restores the default
        // SIGPIPE action, and a gpg that exits before reading its stdin would kill it.
        let sig = TempFile::new(armored)?;
        let data = TempFile::new(payload)?;
        let mut cmd = Command::new(&self.program);
        if let Some(home) = &self.home {
            cmd.arg("--homedir").arg(home);
        }
        cmd.args(["--batch", "--no-tty", "--status-fd=1", "--verify"])
            .arg(&sig.0)
            .arg(&data.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let name = self.program.display().to_string();
        let mut child = cmd.spawn().map_err(|e| {
            Error::usage(format!(
                "cannot run {name} to verify a GPG signature ({e}); install GnuPG (Debian: apt-get install gnupg) \
                 or set the policy's signing requirement to \"ssh\""
            ))
        })?;
        let mut stdout = child.stdout.take();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut out);
            }
            out
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::usage(format!(
                        "{name} did not finish verifying a signature within the time budget; killed, \
                         the push is refused (fail closed)"
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(Error::io(name, e)),
            }
        };
        let out = reader.join().unwrap_or_default();
        parse_status(&String::from_utf8_lossy(&out)).ok_or_else(|| {
            Error::usage(format!(
                "{name} gave no verdict on a signature ({status}); the push is refused (fail closed)"
            ))
        })
    }
}

/// The verdict gpg's `--status-fd` lines give, `None` when they give none.
pub fn parse_status(text: &str) -> Option<Verdict> {
    let mut good: Option<String> = None;
    let mut valid: Option<String> = None;
    let mut verdict: Option<Verdict> = None;
    let mut no_pubkey: Option<String> = None;
    let mut errsig: Option<String> = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("[GNUPG:] ") else {
            continue;
        };
        let mut f = rest.splitn(3, ' ');
        let (tag, a, b) = (
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
        );
        let kind = SigKind::Gpg;
        match tag {
            "GOODSIG" => good = Some(b.to_owned()),
            "VALIDSIG" => valid = Some(a.to_owned()),
            "BADSIG" => {
                verdict = Some(Verdict::Bad {
                    kind,
                    detail: format!(
                        "it does not match the signed object, which changed after signing (key {a})"
                    ),
                })
            }
            "EXPKEYSIG" => {
                verdict = Some(Verdict::Expired {
                    kind,
                    fingerprint: a.to_owned(),
                    detail: "the key has expired".to_owned(),
                })
            }
            "EXPSIG" => {
                verdict = Some(Verdict::Expired {
                    kind,
                    fingerprint: a.to_owned(),
                    detail: "the signature has expired".to_owned(),
                })
            }
            "REVKEYSIG" => {
                verdict = Some(Verdict::Revoked {
                    kind,
                    fingerprint: a.to_owned(),
                })
            }
            "NO_PUBKEY" => no_pubkey = Some(a.to_owned()),
            "ERRSIG" => errsig = Some(a.to_owned()),
            _ => {}
        }
    }
    if verdict.is_some() {
        return verdict;
    }
    if let Some(id) = no_pubkey {
        return Some(Verdict::UnknownKey {
            kind: SigKind::Gpg,
            fingerprint: id,
        });
    }
    if let Some(id) = errsig {
        return Some(Verdict::Unsupported {
            what: format!("a GPG signature gpg cannot check (key {id})"),
        });
    }
    match (good, valid) {
        (Some(uid), Some(fingerprint)) => Some(Verdict::Good {
            kind: SigKind::Gpg,
            principal: uid,
            fingerprint,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_decide_the_verdict() {
        let good = "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123456789ABCDEF Ann <ann@example.com>\n[GNUPG:] VALIDSIG AAAABBBBCCCCDDDDEEEEFFFF0000111122223333 2024-01-01 1704067200 0 4 0 22 10 00 AAAABBBBCCCCDDDDEEEEFFFF0000111122223333\n[GNUPG:] TRUST_UNDEFINED 0 pgp\n";
        assert_eq!(
            parse_status(good),
            Some(Verdict::Good {
                kind: SigKind::Gpg,
                principal: "Ann <ann@example.com>".to_owned(),
                fingerprint: "AAAABBBBCCCCDDDDEEEEFFFF0000111122223333".to_owned(),
            })
        );
        for (text, want) in [
            ("[GNUPG:] BADSIG 0123 Ann\n", "bad"),
            (
                "[GNUPG:] ERRSIG 0123 22 10 00 1704067200 9 -\n[GNUPG:] NO_PUBKEY 0123\n",
                "unknown_key",
            ),
            (
                "[GNUPG:] EXPKEYSIG 0123 Ann\n[GNUPG:] VALIDSIG ABC\n",
                "expired",
            ),
            (
                "[GNUPG:] REVKEYSIG 0123 Ann\n[GNUPG:] VALIDSIG ABC\n",
                "revoked",
            ),
            (
                "[GNUPG:] ERRSIG 0123 22 10 00 1704067200 4 -\n",
                "unsupported",
            ),
        ] {
            assert_eq!(parse_status(text).map(|v| v.as_str()), Some(want), "{text}");
        }
        assert_eq!(
            parse_status("[GNUPG:] GOODSIG 0123 Ann\n"),
            None,
            "GOODSIG without VALIDSIG"
        );
        assert_eq!(parse_status("gpg: something\n"), None);
    }

    /// A gpg that hangs is killed at the deadline: an error, never a verdict.
    #[cfg(unix)]
    #[test]
    fn a_hanging_gpg_fails_closed_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("gpg");
        std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let gpg = Gpg {
            program: fake,
            home: None,
        };
        let started = Instant::now();
        let err = gpg
            .verify(
                b"-----BEGIN PGP SIGNATURE-----\n",
                b"payload",
                started + Duration::from_millis(200),
            )
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "killed at the deadline"
        );
        assert!(err.to_string().contains("did not finish"), "{err}");
        let dead = Gpg {
            program: dir.path().join("no-such-gpg"),
            home: None,
        };
        let err = dead
            .verify(b"x", b"y", Instant::now() + Duration::from_secs(5))
            .unwrap_err();
        assert!(err.to_string().contains("install GnuPG"), "{err}");
        std::fs::write(dir.path().join("gpg"), "#!/bin/sh\nkill -9 $$\n").unwrap();
        let killed = Gpg {
            program: dir.path().join("gpg"),
            home: None,
        };
        let err = killed
            .verify(b"x", b"y", Instant::now() + Duration::from_secs(5))
            .unwrap_err();
        assert!(err.to_string().contains("gave no verdict"), "{err}");
    }
}
