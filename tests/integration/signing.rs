//! Signing checks and change control on the server: real pushes to a bare repository with
//! the pre-receive hook, keys made at test time with `ssh-keygen` (and `gpg --batch`). Every
//! verdict is compared with `git verify-commit` configured the same way.

use crate::common::{Server, TempRepo};
use std::path::{Path, PathBuf};

/// An SSH key pair in `dir`: (private key path, public key line).
fn ssh_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
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

/// A server whose `main` requires SSH signatures from `allowed` (an allowed_signers text),
/// and a clone that signs every commit and tag with `key`.
fn ssh_server(key: &Path, allowed: &str, extra: &str) -> Server {
    let s = Server::new("pre-receive");
    std::fs::write(s.bare.path().join("allowed_signers"), allowed).unwrap();
    s.config(&format!(
        "[[policy]]\nrefs = [\"refs/heads/main\", \"refs/tags/*\"]\nrequire_signed = \"ssh\"\nallowed_signers = \"allowed_signers\"\n{extra}"
    ));
    sign_with(&s.work, key);
    s
}

fn sign_with(repo: &TempRepo, key: &Path) {
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.git(&["config", "tag.gpgsign", "true"]);
}

/// Whether `git verify-commit` (or `verify-tag`) accepts `id` with `allowed` as
/// `gpg.ssh.allowedSignersFile`; returns (accepted, output).
fn git_verifies(repo: &TempRepo, what: &str, allowed: &Path, id: &str) -> (bool, String) {
    let file = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    let out = repo.git_output(&["-c", &file, what, "--raw", id]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn commit(repo: &TempRepo, file: &str) -> String {
    repo.add(file, format!("content of {file}\n"));
    repo.commit(&format!("add {file}"))
}

#[test]
fn ssh_signed_by_an_allowed_key_is_accepted() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(&key, &format!("author@example.com {public}\n"), "");
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    let (git_ok, git_text) = git_verifies(
        &s.work,
        "verify-commit",
        &s.bare.path().join("allowed_signers"),
        &id,
    );
    assert!(git_ok, "git agrees: {git_text}");
}

#[test]
fn a_signed_annotated_tag_is_accepted_and_an_unsigned_one_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(&key, &format!("author@example.com {public}\n"), "");
    commit(&s.work, "a.txt");
    assert!(s.push(&["main"]).0);
    s.work.git(&["tag", "-s", "-m", "release", "v1"]);
    let (ok, text) = s.push(&["v1"]);
    assert!(ok, "{text}");
    let allowed = s.bare.path().join("allowed_signers");
    assert!(git_verifies(&s.work, "verify-tag", &allowed, "v1").0);
    s.work
        .git(&["tag", "--no-sign", "-a", "-m", "unsigned release", "v2"]);
    let (ok, text) = s.push(&["v2"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("tag ") && text.contains("not signed") && text.contains("git tag -s"),
        "{text}"
    );
    assert!(!git_verifies(&s.work, "verify-tag", &allowed, "v2").0);
}

#[test]
fn unsigned_commits_are_rejected_on_protected_refs_only() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(&key, &format!("author@example.com {public}\n"), "");
    s.work.git(&["config", "commit.gpgsign", "false"]);
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("rejecting refs/heads/main")
            && text.contains(&format!("commit {}: not signed", &id[..12]))
            && text.contains("[[policy]] #1: require_signed")
            && text.contains("git rebase --exec 'git commit --amend --no-edit -S'"),
        "{text}"
    );
    assert!(
        !text.contains("rebase -i"),
        "no advice about values: {text}"
    );
    assert!(
        !git_verifies(
            &s.work,
            "verify-commit",
            &s.bare.path().join("allowed_signers"),
            &id
        )
        .0
    );
    let (ok, text) = s.push(&["HEAD:refs/heads/topic"]);
    assert!(ok, "an unprotected ref: {text}");
}

#[test]
fn a_key_not_in_allowed_signers_is_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, _) = ssh_key(keys.path(), "ann");
    let (_, other) = ssh_key(keys.path(), "other");
    let s = ssh_server(&key, &format!("author@example.com {other}\n"), "");
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("signed by a key not in allowed_signers (SHA256:"),
        "{text}"
    );
    assert!(
        !git_verifies(
            &s.work,
            "verify-commit",
            &s.bare.path().join("allowed_signers"),
            &id
        )
        .0
    );
}

#[test]
fn an_allowed_key_with_the_wrong_principal_is_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(&key, &format!("someone-else@example.com {public}\n"), "");
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("does not allow for the committer author@example.com"),
        "{text}"
    );
    // git looks the key up without the committer: it finds the other principal. Asked for the
    // committer as principal (what phiguard requires), ssh-keygen refuses too.
    let allowed = s.bare.path().join("allowed_signers");
    let (git_ok, git_text) = git_verifies(&s.work, "verify-commit", &allowed, &id);
    assert!(
        git_ok && git_text.contains("someone-else@example.com"),
        "{git_text}"
    );
    let raw = s.work.git(&["cat-file", "commit", &id]);
    let sig: String = raw
        .lines()
        .skip_while(|l| !l.starts_with("gpgsig "))
        .take_while(|l| l.starts_with("gpgsig ") || l.starts_with(' '))
        .map(|l| format!("{}\n", l.strip_prefix("gpgsig ").unwrap_or(&l[1..])))
        .collect();
    let sig_file = keys.path().join("c.sig");
    std::fs::write(&sig_file, sig).unwrap();
    let payload: String = raw
        .lines()
        .filter(|l| !l.starts_with("gpgsig ") && !l.starts_with(' '))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = std::process::Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "git",
            "-I",
            "author@example.com",
            "-f",
        ])
        .arg(&allowed)
        .arg("-s")
        .arg(&sig_file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.as_bytes())
        .unwrap();
    assert!(
        !child.wait().unwrap().success(),
        "ssh-keygen refuses the committer as principal"
    );
}

#[test]
fn a_namespace_other_than_git_is_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(&key, &format!("author@example.com {public}\n"), "");
    // ssh-keygen behind git, signing for namespace "file" instead of "git".
    let wrapper = keys.path().join("sign-file-namespace");
    std::fs::write(&wrapper, "#!/bin/sh\nfor a; do shift; [ \"$a\" = git ] && a=file; set -- \"$@\" \"$a\"; done\nexec ssh-keygen \"$@\"\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    s.work
        .git(&["config", "gpg.ssh.program", wrapper.to_str().unwrap()]);
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("namespace \"file\""), "{text}");
    s.work.git(&["config", "--unset", "gpg.ssh.program"]);
    assert!(
        !git_verifies(
            &s.work,
            "verify-commit",
            &s.bare.path().join("allowed_signers"),
            &id
        )
        .0
    );
}

#[test]
fn valid_before_in_the_past_is_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(
        &key,
        &format!("author@example.com valid-before=\"20200101Z\" {public}\n"),
        "",
    );
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("valid-before is earlier than the committer date"),
        "{text}"
    );
    assert!(
        !git_verifies(
            &s.work,
            "verify-commit",
            &s.bare.path().join("allowed_signers"),
            &id
        )
        .0
    );
}

#[test]
fn a_revoked_key_is_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(
        &key,
        &format!("author@example.com {public}\n"),
        "revoked_keys = \"revoked\"\n",
    );
    std::fs::write(s.bare.path().join("revoked"), format!("{public}\n")).unwrap();
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("revoked ssh key SHA256:"), "{text}");
    let revoked = format!(
        "gpg.ssh.revocationFile={}",
        s.bare.path().join("revoked").display()
    );
    let file = format!(
        "gpg.ssh.allowedSignersFile={}",
        s.bare.path().join("allowed_signers").display()
    );
    let out = s
        .work
        .git_output(&["-c", &file, "-c", &revoked, "verify-commit", &id]);
    assert!(!out.status.success(), "git agrees");
}

#[test]
fn a_commit_changed_after_signing_is_rejected() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(&key, &format!("author@example.com {public}\n"), "");
    let id = commit(&s.work, "a.txt");
    let raw = s.work.git(&["cat-file", "commit", &id]);
    let forged = raw.replace("add a.txt", "add b.txt");
    let dir = s.work.path().join("forged");
    std::fs::write(&dir, forged).unwrap();
    let forged_id = s
        .work
        .git(&["hash-object", "-t", "commit", "-w", dir.to_str().unwrap()])
        .trim()
        .to_owned();
    let (ok, text) = s.push(&[&format!("{forged_id}:refs/heads/main")]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("bad ssh signature") && text.contains("changed after signing"),
        "{text}"
    );
    assert!(
        !git_verifies(
            &s.work,
            "verify-commit",
            &s.bare.path().join("allowed_signers"),
            &forged_id
        )
        .0
    );
}

#[test]
fn non_fast_forward_and_delete_are_rejected_on_a_protected_ref() {
    let s = Server::new("pre-receive");
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\ndeny_non_fast_forward = true\ndeny_delete = true\n");
    commit(&s.work, "a.txt");
    assert!(s.push(&["main"]).0);
    s.work.git(&["reset", "-q", "--hard", "HEAD~1"]);
    commit(&s.work, "b.txt");
    let (ok, text) = s.push(&["--force", "main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("not a fast-forward")
            && text.contains("deny_non_fast_forward")
            && text.contains("without --force"),
        "{text}"
    );
    let (ok, text) = s.push(&["--force", "HEAD:refs/heads/other"]);
    assert!(ok, "unprotected: {text}");
    let (ok, text) = s.push(&["--delete", "main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("deleting this ref is not allowed") && text.contains("deny_delete"),
        "{text}"
    );
}

#[test]
fn missing_or_self_review_trailers_are_rejected() {
    let s = Server::new("pre-receive");
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_trailers = [\"Reviewed-by\"]\n");
    s.work.add("a.txt", "a\n");
    let none = s.work.commit("no trailer");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("commit {}: no Reviewed-by: trailer", &none[..12]))
            && text.contains("--trailer"),
        "{text}"
    );
    s.work.git(&[
        "commit",
        "-q",
        "--amend",
        "--no-verify",
        "-m",
        "self\n\nReviewed-by: Test Author <author@example.com>",
    ]);
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("names only the commit's author"), "{text}");
    s.work.git(&[
        "commit",
        "-q",
        "--amend",
        "--no-verify",
        "-m",
        "reviewed\n\nReviewed-by: Rita Reviewer <rita@example.com>",
    ]);
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
}

#[test]
fn pushers_outside_allowed_pushers_are_rejected() {
    let s = Server::new("pre-receive");
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\nallowed_pushers = [\"release-bot\"]\n");
    commit(&s.work, "a.txt");
    let mut args = vec!["push", "origin", "main"];
    let vars = [
        ("USER", "mallory"),
        ("GL_USERNAME", ""),
        ("GITHUB_USER_LOGIN", ""),
    ];
    let (ok, text) = s.work.git_in_env(&mut args, &vars);
    assert!(!ok, "{text}");
    assert!(
        text.contains("mallory may not push to this ref") && text.contains("allowed_pushers"),
        "{text}"
    );
    let vars = [
        ("USER", "release-bot"),
        ("GL_USERNAME", ""),
        ("GITHUB_USER_LOGIN", ""),
    ];
    let (ok, text) = s.work.git_in_env(&mut args, &vars);
    assert!(ok, "{text}");
}

/// Runs gpg with `home` as its home directory; panics on failure.
fn gpg(home: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args([
            "--batch",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ])
        .args(args)
        .output()
        .expect("gpg is installed");
    assert!(
        out.status.success(),
        "gpg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A GnuPG home with one signing key for `uid`; returns its fingerprint.
fn gpg_key(home: &Path, uid: &str) -> String {
    std::fs::create_dir_all(home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    gpg(home, &["--quick-gen-key", uid, "ed25519", "sign", "never"]);
    let listing = String::from_utf8(gpg(home, &["--with-colons", "--list-keys", uid])).unwrap();
    listing
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|f| f.trim_matches(':').to_owned())
        })
        .unwrap()
}

/// Stops the gpg-agent a home started.
fn gpg_stop(home: &Path) {
    let _ = std::process::Command::new("gpgconf")
        .arg("--homedir")
        .arg(home)
        .args(["--kill", "gpg-agent"])
        .output();
}

/// A server whose `main` requires GPG signatures, trusting the keys in `server_home`, and a
/// clone signing with the key in its own `~/.gnupg`.
fn gpg_server(trust_client_key: bool) -> (Server, PathBuf, PathBuf) {
    let s = Server::new("pre-receive");
    let client_home = s.work.home().join(".gnupg");
    let fpr = gpg_key(&client_home, "Test Author <author@example.com>");
    let server_home = s.bare.path().join("gnupg");
    if trust_client_key {
        std::fs::create_dir_all(&server_home).unwrap();
        let public = gpg(&client_home, &["--armor", "--export", &fpr]);
        let file = s.bare.path().join("author.asc");
        std::fs::write(&file, public).unwrap();
        gpg(&server_home, &["--import", file.to_str().unwrap()]);
    } else {
        gpg_key(&server_home, "Someone Else <else@example.com>");
    }
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_signed = \"gpg\"\ngpg_home = \"gnupg\"\n");
    s.work.git(&["config", "gpg.format", "openpgp"]);
    s.work.git(&["config", "user.signingkey", &fpr]);
    s.work.git(&["config", "commit.gpgsign", "true"]);
    (s, client_home, server_home)
}

/// Whether `git verify-commit` accepts `id` with the server's GnuPG home.
fn git_verifies_gpg(s: &Server, server_home: &Path, id: &str) -> bool {
    let mut args = vec!["verify-commit", id];
    s.work
        .git_in_env(&mut args, &[("GNUPGHOME", server_home.to_str().unwrap())])
        .0
}

#[test]
fn gpg_signed_by_a_trusted_key_is_accepted() {
    let (s, client, server) = gpg_server(true);
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    gpg_stop(&client);
    gpg_stop(&server);
    assert!(ok, "{text}");
    assert!(git_verifies_gpg(&s, &server, &id), "git agrees");
}

#[test]
fn gpg_signed_by_an_unknown_key_is_rejected() {
    let (s, client, server) = gpg_server(false);
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    gpg_stop(&client);
    gpg_stop(&server);
    assert!(!ok, "{text}");
    assert!(
        text.contains("signed by an unknown GPG key") && text.contains(&id[..12]),
        "{text}"
    );
    assert!(!git_verifies_gpg(&s, &server, &id), "git agrees");
}

#[test]
fn verify_lists_every_commit_and_fails_only_under_a_signing_policy() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let repo = TempRepo::new();
    let allowed = keys.path().join("allowed_signers");
    std::fs::write(&allowed, format!("author@example.com {public}\n")).unwrap();
    repo.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    repo.add("a.txt", "a\n");
    let base = repo.commit("base");
    sign_with(&repo, &key);
    repo.add("b.txt", "b\n");
    let signed = repo.commit("signed\n\nReviewed-by: Rita Reviewer <rita@example.com>\nTicket: 42");
    repo.add("c.txt", "c\n");
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--no-gpg-sign",
        "-m",
        "unsigned",
    ]);
    let unsigned = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let range = format!("{base}..HEAD");
    let r = repo.phiguard(&["verify", &range, "--format", "json"]);
    assert_eq!(r.code, 0, "no policy requires signing: {}", r.all());
    let j = r.json();
    let commits = j["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2, "{j}");
    assert_eq!(commits[0]["commit"], unsigned.as_str());
    assert_eq!(commits[0]["signature"]["status"], "unsigned");
    assert_eq!(commits[1]["signature"]["status"], "good", "{j}");
    assert_eq!(commits[1]["signature"]["principal"], "author@example.com");
    assert_eq!(
        commits[1]["trailers"][0],
        "Reviewed-by: Rita Reviewer <rita@example.com>"
    );
    assert_eq!(
        commits[1]["trailers"][1], "Ticket",
        "other trailers show their key only"
    );
    for (id, ok) in [(&signed, true), (&unsigned, false)] {
        assert_eq!(
            repo.git_output(&["verify-commit", id]).status.success(),
            ok,
            "git agrees on {id}"
        );
    }
    let r = repo.phiguard(&["verify"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.out().contains("unsigned") && r.out().contains("1 commit(s) in HEAD"),
        "HEAD alone: {}",
        r.out()
    );
    repo.write(
        ".phiguard.toml",
        format!(
            "[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_signed = \"ssh\"\nallowed_signers = \"{}\"\n",
            allowed.display()
        ),
    );
    let r = repo.phiguard(&["verify", &range]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.out().contains("requires ssh signatures") && r.out().contains("1 fail it"),
        "{}",
        r.out()
    );
}

/// A commit first pushed to an unprotected ref is no longer new to the repository, but it is
/// new to `main`: the signing and trailer rules still judge it there.
#[test]
fn a_commit_first_pushed_to_a_laxer_ref_is_judged_on_the_protected_one() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(
        &key,
        &format!("author@example.com {public}\n"),
        "require_trailers = [\"Reviewed-by\"]\n",
    );
    s.work.git(&["config", "commit.gpgsign", "false"]);
    let id = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["HEAD:refs/heads/topic"]);
    assert!(ok, "{text}");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("commit {}: not signed", &id[..12]))
            && text.contains(&format!("commit {}: no Reviewed-by: trailer", &id[..12])),
        "{text}"
    );
    // In one push, too (update: the earlier ref is already updated when main is judged).
    for hook in ["pre-receive", "update"] {
        let s = ssh_server(&key, &format!("author@example.com {public}\n"), "");
        if hook == "update" {
            std::fs::remove_file(s.bare.path().join("hooks/pre-receive")).unwrap();
            s.install("update");
        }
        s.work.git(&["config", "commit.gpgsign", "false"]);
        commit(&s.work, "b.txt");
        let (ok, text) = s.push(&["HEAD:refs/heads/aaa", "HEAD:refs/heads/main"]);
        assert!(!ok, "{hook}: {text}");
        assert!(s.server_has("refs/heads/main").is_some(), "init is there");
        assert!(text.contains("not signed"), "{hook}: {text}");
    }
}

/// pre-push checks the repository's own signing policy and says what the server will refuse,
/// without blocking (the server decides); pre-commit says once that signing is not set up.
#[test]
fn client_hooks_warn_about_the_signing_policy() {
    let keys = tempfile::tempdir().unwrap();
    let (_, public) = ssh_key(keys.path(), "ann");
    let allowed = keys.path().join("allowed_signers");
    std::fs::write(&allowed, format!("author@example.com {public}\n")).unwrap();
    let s = Server::new("post-receive");
    let r = s
        .work
        .phiguard(&["install", "--hooks", "pre-commit,pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    s.work.write(
        ".phiguard.toml",
        format!(
            "[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_signed = \"ssh\"\nallowed_signers = \"{}\"\n",
            allowed.display()
        ),
    );
    let commit_via_hook = |file: &str| {
        s.work.add(file, "fine\n");
        let out = s.work.git_output(&["commit", "-q", "-m", file]);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = commit_via_hook("a.txt");
    assert!(first.contains("commit.gpgsign is not set"), "{first}");
    let second = commit_via_hook("b.txt");
    assert!(!second.contains("commit.gpgsign"), "once: {second}");
    let id = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "advisory only: {text}");
    assert!(
        text.contains("warning: the server will refuse refs/heads/main")
            && text.contains(&format!("commit {}: not signed", &id[..12])),
        "{text}"
    );
}

/// A policy that requires GPG signatures on a server without gpg: exit 2 naming the cause
/// (git shows the push refused), never accepted unchecked.
#[cfg(unix)]
#[test]
fn missing_gpg_fails_the_push_closed() {
    let s = Server::new("pre-receive");
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_signed = \"gpg\"\n");
    commit(&s.work, "a.txt");
    // A PATH with git and nothing else: no gpg for the hook.
    let bin_dir = tempfile::tempdir().unwrap();
    let git = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let git = String::from_utf8_lossy(&git.stdout).trim().to_owned();
    std::os::unix::fs::symlink(&git, bin_dir.path().join("git")).unwrap();
    let mut args = vec!["push", "origin", "main"];
    let (ok, text) = s
        .work
        .git_in_env(&mut args, &[("PATH", bin_dir.path().to_str().unwrap())]);
    assert!(!ok, "{text}");
    assert!(text.contains("needs gpg, which is not installed"), "{text}");
}

/// Issue 26: the audit line of a push under a signing policy holds each checked commit's
/// verdict (good, with the signer and key fingerprint; or why not).
#[test]
fn the_audit_log_records_each_signature_verdict() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "ann");
    let s = ssh_server(
        &key,
        &format!("author@example.com {public}\n"),
        "[server]\naudit_log = \"audit.log\"\n",
    );
    let good = commit(&s.work, "a.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    s.work.git(&["config", "commit.gpgsign", "false"]);
    let unsigned = commit(&s.work, "b.txt");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    let log = std::fs::read_to_string(s.bare.path().join("audit.log")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    let first = &lines[0]["signatures"][0];
    assert_eq!(first["commit"], good.as_str(), "{log}");
    assert_eq!(first["status"], "good", "{log}");
    assert_eq!(first["principal"], "author@example.com", "{log}");
    assert!(
        first["fingerprint"]
            .as_str()
            .is_some_and(|f| f.starts_with("SHA256:")),
        "{log}"
    );
    let second = &lines[1]["signatures"][0];
    assert_eq!(second["commit"], unsigned.as_str(), "{log}");
    assert_eq!(second["status"], "unsigned", "{log}");
    assert_eq!(lines[1]["decision"], "reject", "{log}");
}
