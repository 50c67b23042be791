use super::*;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn principal_patterns_follow_openssh() {
    for (name, list, want) in [
        ("ann@example.com", "ann@example.com", true),
        ("ann@example.com", "bob@example.com,ann@example.com", true),
        ("ann@example.com", "*@example.com", true),
        ("ann@example.com", "a?n@example.*", true),
        ("ann@example.com", "*@example.com,!ann@example.com", false),
        ("ann@example.com", "!ann@example.com,*", false),
        ("bob@example.com", "*@example.com,!ann@example.com", true),
        ("ann@example.com", "!bob@example.com", false),
        ("ann@example.com", "ANN@example.com", false),
        ("ann@example.org", "*@example.com", false),
        ("git", "git,file", true),
        ("git", "file", false),
    ] {
        assert_eq!(match_list(name, list), want, "{name} in {list}");
    }
}

#[test]
fn times_parse_as_ssh_keygen_reads_them() {
    assert_eq!(parse_time("20240101Z"), Some(1_704_067_200));
    assert_eq!(parse_time("202401010130Z"), Some(1_704_072_600));
    assert_eq!(parse_time("20240101013005Z"), Some(1_704_072_605));
    assert!(parse_time("20240101").is_some(), "local time");
    for bad in ["2024", "20241301Z", "2024010x", "", "20240101T"] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
}

#[test]
fn options_and_quotes_parse() {
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl5bQ4pX0e3x0VxXqAqYxkXq6cMx0Fh5s0c0y6yQ3cH";
    let text = format!(
        "# comment\n\n\"ann@example.com,*@ops.example.com\" namespaces=\"git,file\",valid-after=\"20240101Z\",valid-before=20991231Z {key} ann\nbob@example.com {key}\nca@example.com cert-authority {key}\nbroken@example.com ssh-ed25519 notbase64\n"
    );
    let a = AllowedSigners::parse(&text, "allowed").unwrap();
    assert_eq!(a.signers.len(), 3, "the unreadable key is skipped");
    let s = &a.signers[0];
    assert_eq!(s.principals, "ann@example.com,*@ops.example.com");
    assert_eq!(s.namespaces.as_deref(), Some("git,file"));
    assert_eq!(s.valid_after, Some(1_704_067_200));
    assert!(s.valid_before.is_some() && s.line == 3);
    assert!(a.signers[2].cert_authority);
    let err = AllowedSigners::parse(&format!("x@y nope=1 {key}\n"), "allowed").unwrap_err();
    assert!(
        err.to_string().contains("allowed:1") && err.to_string().contains("nope"),
        "{err}"
    );
}

/// A key pair made by ssh-keygen in `dir`.
fn keygen(dir: &Path, name: &str, kind: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
        .arg(&path)
        .output()
        .expect("ssh-keygen is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path, public.trim().to_owned())
}

fn sign(dir: &Path, key: &Path, namespace: &str, payload: &[u8]) -> Vec<u8> {
    let file = dir.join("payload");
    std::fs::write(&file, payload).unwrap();
    let _ = std::fs::remove_file(dir.join("payload.sig"));
    let out = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", namespace, "-f"])
        .arg(key)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.join("payload.sig")).unwrap()
}

/// `ssh-keygen -Y verify` with the committer as identity: whether it accepts.
fn keygen_verifies(dir: &Path, allowed: &str, principal: &str, sig: &[u8], payload: &[u8]) -> bool {
    let (a, s) = (dir.join("allowed_signers"), dir.join("check.sig"));
    std::fs::write(&a, allowed).unwrap();
    std::fs::write(&s, sig).unwrap();
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "git", "-I", principal, "-f"])
        .arg(&a)
        .arg("-s")
        .arg(&s)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(payload).unwrap();
    child.wait().unwrap().success()
}

/// `ssh-keygen -Y find-principals`: the principals the file lists for the signature's key.
fn keygen_principals(dir: &Path, allowed: &str, sig: &[u8]) -> Vec<String> {
    let (a, s) = (dir.join("allowed_signers"), dir.join("check.sig"));
    std::fs::write(&a, allowed).unwrap();
    std::fs::write(&s, sig).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-Y", "find-principals", "-f"])
        .arg(&a)
        .arg("-s")
        .arg(&s)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every verdict agrees with ssh-keygen on the same allowed_signers file and signature.
#[test]
fn verdicts_agree_with_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ann, ann_pub) = keygen(d, "ann", "ed25519");
    let (_, other_pub) = keygen(d, "other", "ed25519");
    let (ecdsa, ecdsa_pub) = keygen(d, "ec", "ecdsa");
    let (rsa, rsa_pub) = keygen(d, "rsa", "rsa");
    let payload = b"tree 0\nauthor A <ann@example.com> 1 +0000\n\nmessage\n".to_vec();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = Signing {
        principal: "ann@example.com",
        when: now,
        now,
    };
    let good = sign(d, &ann, "git", &payload);
    let file_ns = sign(d, &ann, "file", &payload);
    /// Name, allowed_signers text, signature, signed data, expected verdict.
    type Case<'a> = (&'a str, String, &'a [u8], &'a [u8], &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "exact",
            format!("ann@example.com {ann_pub}\n"),
            &good,
            &payload,
            "good",
        ),
        (
            "wildcard",
            format!("*@example.com {ann_pub}\n"),
            &good,
            &payload,
            "good",
        ),
        (
            "negated",
            format!("*@example.com,!ann@example.com {ann_pub}\n"),
            &good,
            &payload,
            "wrong_principal",
        ),
        (
            "other principal",
            format!("bob@example.com {ann_pub}\n"),
            &good,
            &payload,
            "wrong_principal",
        ),
        (
            "other key",
            format!("ann@example.com {other_pub}\n"),
            &good,
            &payload,
            "unknown_key",
        ),
        (
            "namespaces git",
            format!("ann@example.com namespaces=\"git\" {ann_pub}\n"),
            &good,
            &payload,
            "good",
        ),
        (
            "namespaces file",
            format!("ann@example.com namespaces=\"file\" {ann_pub}\n"),
            &good,
            &payload,
            "unknown_key",
        ),
        (
            "expired",
            format!("ann@example.com valid-before=\"20200101Z\" {ann_pub}\n"),
            &good,
            &payload,
            "expired",
        ),
        (
            "not yet",
            format!("ann@example.com valid-after=\"20990101Z\" {ann_pub}\n"),
            &good,
            &payload,
            "expired",
        ),
        (
            "window",
            format!(
                "ann@example.com valid-after=\"20200101Z\",valid-before=\"20990101Z\" {ann_pub}\n"
            ),
            &good,
            &payload,
            "good",
        ),
        (
            "wrong namespace",
            format!("ann@example.com {ann_pub}\n"),
            &file_ns,
            &payload,
            "wrong_namespace",
        ),
        (
            "tampered",
            format!("ann@example.com {ann_pub}\n"),
            &good,
            b"tree 0\n\nchanged\n",
            "bad",
        ),
    ];
    for (name, allowed, sig, data, want) in cases {
        let trust = SshTrust {
            signers: AllowedSigners::parse(&allowed, "allowed").unwrap(),
            revoked: Vec::new(),
        };
        let verdict = trust.verify(sig, data, at);
        assert_eq!(verdict.as_str(), want, "{name}: {verdict:?}");
        let agrees = keygen_verifies(d, &allowed, "ann@example.com", sig, data);
        assert_eq!(
            agrees,
            want == "good",
            "{name}: ssh-keygen -Y verify disagrees"
        );
        if want == "wrong_principal" || want == "good" {
            let found = keygen_principals(d, &allowed, sig);
            assert!(
                !found.is_empty(),
                "{name}: ssh-keygen finds a principal for the key"
            );
        }
        if want == "unknown_key" && name == "other key" {
            assert!(keygen_principals(d, &allowed, sig).is_empty(), "{name}");
        }
    }
    for (key, public) in [(&ecdsa, &ecdsa_pub), (&rsa, &rsa_pub)] {
        let sig = sign(d, key, "git", &payload);
        let allowed = format!("ann@example.com {public}\n");
        let trust = SshTrust {
            signers: AllowedSigners::parse(&allowed, "allowed").unwrap(),
            revoked: Vec::new(),
        };
        assert_eq!(
            trust.verify(&sig, &payload, at).as_str(),
            "good",
            "{public}"
        );
        assert!(keygen_verifies(
            d,
            &allowed,
            "ann@example.com",
            &sig,
            &payload
        ));
    }
    // A revoked key: ssh-keygen reads the same file with -Orevoked-keys... it checks KRLs and
    // key lists alike; phiguard refuses.
    let trust = SshTrust {
        signers: AllowedSigners::parse(&format!("ann@example.com {ann_pub}\n"), "allowed").unwrap(),
        revoked: vec![
            PublicKey::from_openssh(&ann_pub)
                .unwrap()
                .key_data()
                .clone(),
        ],
    };
    assert_eq!(trust.verify(&good, &payload, at).as_str(), "revoked");
    // The committer date in the future, with a validity window: refused.
    let future = Signing {
        when: now + 86_400,
        ..at
    };
    let windowed = SshTrust {
        signers: AllowedSigners::parse(
            &format!("ann@example.com valid-before=\"20990101Z\" {ann_pub}\n"),
            "allowed",
        )
        .unwrap(),
        revoked: Vec::new(),
    };
    assert_eq!(windowed.verify(&good, &payload, future).as_str(), "expired");
}

/// A signature made with an SSH certificate is reported unsupported (phiguard does not
/// verify cert-authority chains), never good or bad.
#[test]
fn a_certificate_signature_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca, ca_pub) = keygen(d, "ca", "ed25519");
    let (user, _) = keygen(d, "user", "ed25519");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-s"])
        .arg(&ca)
        .args(["-I", "user", "-n", "ann@example.com"])
        .arg(user.with_extension("pub"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = user.with_file_name("user-cert.pub");
    let payload = b"tree 0\n\nmessage\n";
    std::fs::write(d.join("payload"), payload).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "git", "-f"])
        .arg(&cert)
        .arg(d.join("payload"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = std::fs::read(d.join("payload.sig")).unwrap();
    let allowed = format!("*@example.com cert-authority {ca_pub}\n");
    let trust = SshTrust {
        signers: AllowedSigners::parse(&allowed, "allowed").unwrap(),
        revoked: Vec::new(),
    };
    let now = 1_900_000_000;
    let at = Signing {
        principal: "ann@example.com",
        when: now,
        now,
    };
    assert_eq!(trust.verify(&sig, payload, at).as_str(), "unsupported");
    assert!(
        keygen_verifies(d, &allowed, "ann@example.com", &sig, payload),
        "ssh-keygen accepts it"
    );
}
