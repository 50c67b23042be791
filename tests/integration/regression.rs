//! Regression tests, each named after the defect it pins; real git wherever a hook is involved.

use crate::common::{SSN, Server, TempRepo, assert_no_value, bin, run_within};
use std::process::Command;

/// A YAML Patient with CRLF line ends: the YAML/FSH line walk stepped by `end + 1`, which on
/// CRLF text lands on the `\n` of the same line, so the scan never returned.
const CRLF_YAML_PATIENT: &[u8] = b"resourceType: Patient\r\nname:\r\n";

#[test]
fn crlf_yaml_patient_does_not_hang_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--no-config", "--stdin-filename", "a.yaml", "-"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .env_remove("GIT_DIR");
    let run = run_within(cmd, Some(CRLF_YAML_PATIENT), 60).expect("scan hung on CRLF YAML");
    assert_eq!(run.code, 0, "{}", run.all());
    // A fuller CRLF patient is still judged as the LF one is.
    let lf = b"resourceType: Patient\nname:\n  - family: Ortega\n    given: Rosa\nbirthDate: 1961-04-12\naddress:\n  - line: 12 Elm Street\n    postalCode: \"02139\"\n";
    let crlf: Vec<u8> = lf
        .split(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .join(&b"\r\n"[..]);
    let rules = |text: &[u8]| {
        let mut cmd = Command::new(bin());
        cmd.args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--stdin-filename",
            "p.yaml",
            "-",
        ])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .env_remove("GIT_DIR");
        run_within(cmd, Some(text), 60).expect("scan hung").rules()
    };
    assert_eq!(rules(lf), rules(&crlf));
}

#[test]
fn crlf_yaml_patient_does_not_hang_the_commit_or_the_push() {
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.write("patient.yaml", CRLF_YAML_PATIENT);
    s.work.git(&["add", "patient.yaml"]);
    let mut commit = Command::new("git");
    commit
        .args(["commit", "-q", "-m", "add patient"])
        .current_dir(s.work.path());
    s.work.env(&mut commit);
    let run = run_within(commit, None, 60).expect("git commit hung in the hook");
    assert_eq!(run.code, 0, "{}", run.all());
    let mut push = Command::new("git");
    push.args(["push", "origin", "main"])
        .current_dir(s.work.path());
    s.work.env(&mut push);
    let run = run_within(push, None, 60).expect("git push hung in pre-receive");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(s.server_has("refs/heads/main").is_some());
}

/// Issue 24 §2: `KEY = "AKIA…" # gitleaks:allow` on one line let a new key on the next line
/// through; another scanner's marker hid PHI; a bare `phiguard:allow` allowed without a reason.
#[test]
fn a_trailing_marker_covers_its_own_line_only_and_foreign_markers_never_hide_phi() {
    use crate::common::{AWS_KEY, SSN, phiguard_stdin};
    let scan = |text: String| {
        let r = phiguard_stdin(
            &["scan", "--stdin-filename", "a.py", "-", "--format", "json"],
            text.as_bytes(),
        );
        let j = r.json();
        (r.code, j["summary"]["allowed"].as_u64().unwrap())
    };
    let other = "AKIAQYLPMN5HFIQR7XYZ";
    assert_eq!(
        scan(format!(
            "OLD = \"{AWS_KEY}\"  # gitleaks:allow\nNEW = \"{other}\"\n"
        )),
        (1, 1),
        "the key on the second line is not covered"
    );
    assert_eq!(scan(format!("ssn = \"{SSN}\"  # gitleaks:allow\n")), (1, 0));
    assert_eq!(scan(format!("ssn = \"{SSN}\"  # phiguard:allow\n")), (1, 0));
    assert_eq!(
        scan(format!(
            "# phiguard:allow synthetic fixture\nssn = \"{SSN}\"\n"
        )),
        (0, 1)
    );
}

/// Writes `leak.txt` with an SSN as a loose blob (never committed) and returns its id.
fn leak_blob(repo: &TempRepo) -> String {
    repo.write("leak.txt", format!("patient ssn: {SSN}\n"));
    repo.git(&["hash-object", "-w", "leak.txt"])
        .trim()
        .to_owned()
}

/// A tree holding `dir/leak.txt` (the blob above), made with `git mktree`.
fn leak_tree(repo: &TempRepo, blob: &str) -> String {
    let mk = |input: String| {
        let mut cmd = Command::new("git");
        cmd.arg("mktree").current_dir(repo.path());
        repo.env(&mut cmd);
        let run = run_within(cmd, Some(input.as_bytes()), 60).expect("git mktree hung");
        assert_eq!(run.code, 0, "{}", run.all());
        run.out().trim().to_owned()
    };
    let inner = mk(format!("100644 blob {blob}\tleak.txt\n"));
    mk(format!("040000 tree {inner}\tdir\n"))
}

#[test]
fn refs_pointing_at_a_blob_or_a_tree_are_scanned_on_the_server() {
    for hook in ["pre-receive", "update"] {
        let s = Server::new(hook);
        let blob = leak_blob(&s.work);
        s.work.git(&["tag", "leak", &blob]);
        let (ok, text) = s.push(&["leak"]);
        assert!(!ok, "{hook}: a tag of a blob: {text}");
        assert!(text.contains("phi.ssn"), "{hook}: {text}");
        assert!(s.server_has("refs/tags/leak").is_none(), "{hook}");
        let (ok, text) = s.push(&[&format!("{blob}:refs/custom/x")]);
        assert!(!ok, "{hook}: a blob pushed to a custom ref: {text}");
        let tree = leak_tree(&s.work, &blob);
        s.work
            .git(&["tag", "-a", "tree-tag", "-m", "a tree", &tree]);
        let (ok, text) = s.push(&["tree-tag"]);
        assert!(!ok, "{hook}: an annotated tag of a tree: {text}");
        assert!(text.contains("dir/leak.txt"), "{hook}: {text}");
    }
    // A clean blob is accepted.
    let s = Server::new("pre-receive");
    s.work.write("fine.txt", "nothing to see\n");
    let blob = s.work.git(&["hash-object", "-w", "fine.txt"]);
    s.work.git(&["tag", "fine", blob.trim()]);
    let (ok, text) = s.push(&["fine"]);
    assert!(ok, "{text}");
}

#[test]
fn refs_pointing_at_a_blob_or_a_tree_are_scanned_by_pre_push() {
    let s = Server::new("post-receive");
    let r = s.work.phiguard(&["install", "--hooks", "pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let blob = leak_blob(&s.work);
    s.work.git(&["tag", "leak", &blob]);
    let (ok, text) = s.push(&["leak"]);
    assert!(!ok, "a tag of a blob: {text}");
    assert!(s.server_has("refs/tags/leak").is_none());
    let tree = leak_tree(&s.work, &blob);
    let (ok, text) = s.push(&[&format!("{tree}:refs/custom/t")]);
    assert!(!ok, "a tree pushed to a custom ref: {text}");
    assert!(text.contains("dir/leak.txt"), "{text}");
}

/// Runs `phiguard ARGS` in `repo` (a work tree) within 60 s; a hang fails the test.
fn phiguard_within(repo: &TempRepo, args: &[&str], stdin: Option<&[u8]>) -> crate::common::Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(repo.path());
    repo.env(&mut cmd);
    run_within(cmd, stdin, 60).unwrap_or_else(|| panic!("phiguard {args:?} hung"))
}

#[test]
fn server_config_that_exists_but_cannot_be_read_rejects_the_push() {
    let s = Server::new("pre-receive");
    let config = s.bare.path().join("phiguard.toml");
    // A dangling symlink, then a directory.
    std::os::unix::fs::symlink(s.bare.path().join("gone.toml"), &config).unwrap();
    s.work.add("a.txt", "fine\n");
    s.work.commit("a");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "a dangling phiguard.toml: {text}");
    assert!(text.contains("phiguard.toml"), "names the path: {text}");
    std::fs::remove_file(&config).unwrap();
    std::fs::create_dir(&config).unwrap();
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "a directory phiguard.toml: {text}");
    assert!(text.contains("phiguard.toml"), "names the path: {text}");
    std::fs::remove_dir(&config).unwrap();
    assert!(s.push(&["main"]).0, "no file at all is the default policy");
}

#[test]
fn client_config_that_exists_but_cannot_be_read_fails_the_hook() {
    let repo = TempRepo::new();
    repo.add("a.txt", "fine\n");
    std::os::unix::fs::symlink("missing.toml", repo.path().join(".phiguard.toml")).unwrap();
    let run = phiguard_within(&repo, &["hook", "pre-commit"], None);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains(".phiguard.toml"), "{}", run.all());
}

#[test]
fn config_files_that_are_not_regular_files_are_refused() {
    let repo = TempRepo::new();
    repo.add("a.txt", "fine\n");
    let fifo = repo.path().join("pipe.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let cases: [(&str, &str); 4] = [
        ("--config", "/dev/zero"),
        ("--config", "pipe.toml"),
        ("extend", "extend = \"/dev/zero\"\n"),
        ("extend", "extend = \"pipe.toml\"\n"),
    ];
    for (how, what) in cases {
        let run = if how == "--config" {
            phiguard_within(&repo, &["--config", what, "scan", "--staged"], None)
        } else {
            repo.write(".phiguard.toml", what);
            phiguard_within(&repo, &["scan", "--staged"], None)
        };
        assert_eq!(run.code, 2, "{how} {what}: {}", run.all());
        assert!(
            run.err().contains("not a regular file"),
            "{how} {what}: {}",
            run.all()
        );
    }
    repo.write(".phiguard.toml", "[rules]\nimport = [\"/dev/zero\"]\n");
    let run = phiguard_within(&repo, &["scan", "--staged"], None);
    assert_eq!(run.code, 2, "import /dev/zero: {}", run.all());
    // A regular file too large for a configuration.
    repo.write(".phiguard.toml", "#".repeat(2 << 20));
    let run = phiguard_within(&repo, &["scan", "--staged"], None);
    assert_eq!(run.code, 2, "a 2 MiB config: {}", run.all());
    assert!(run.err().contains("larger than"), "{}", run.all());
}

#[test]
fn huge_scan_threads_is_a_config_error_not_a_panic() {
    let repo = TempRepo::new();
    repo.add("a.txt", "fine\n");
    repo.write(".phiguard.toml", "[scan]\nthreads = 1000000000000\n");
    let run = phiguard_within(&repo, &["scan", "--staged"], None);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("scan.threads"), "{}", run.all());
    let run = phiguard_within(&repo, &["scan", "."], None);
    assert_eq!(run.code, 2, "{}", run.all());
}

/// A generated npm token (not a real one) in a lockfile's `resolved` URL.
const NPM_TOKEN: &str = "npm_cCe41WJLZ1biJLYDcL5clgtOj45BkKOnSUn3";

fn lockfile_with_token() -> String {
    format!(
        "{{\n  \"packages\": {{\n    \"node_modules/left-pad\": {{\n      \"version\": \"1.3.0\",\n      \
         \"resolved\": \"https://registry.example.com/left-pad/-/left-pad-1.3.0.tgz?token={NPM_TOKEN}\"\n    }}\n  }}\n}}\n"
    )
}

#[test]
fn secrets_in_lockfiles_and_minified_files_are_found() {
    let s = Server::new("pre-receive");
    s.work.add("package-lock.json", lockfile_with_token());
    s.work
        .add("web/app.min.js", format!("var t=\"{NPM_TOKEN}\";\n"));
    let run = phiguard_within(&s.work, &["--format", "json", "scan", "--staged"], None);
    assert_eq!(run.code, 1, "pre-commit: {}", run.all());
    let paths: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(paths.contains(&"package-lock.json".to_owned()), "{paths:?}");
    assert!(paths.contains(&"web/app.min.js".to_owned()), "{paths:?}");
    crate::common::assert_no_value(&run.stdout, &[NPM_TOKEN]);
    let run = phiguard_within(&s.work, &["scan", "package-lock.json"], None);
    assert_eq!(run.code, 1, "scan PATH: {}", run.all());
    s.work.commit("deps");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "the server: {text}");
    assert!(text.contains("package-lock.json"), "{text}");
    crate::common::assert_no_value(text.as_bytes(), &[NPM_TOKEN]);
}

#[test]
fn secrets_under_test_paths_block_and_the_hint_does_not_suggest_tests() {
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.write(
        "tests/fixtures/env.txt",
        format!("NPM_TOKEN={NPM_TOKEN}\npatient ssn: {SSN}\n"),
    );
    s.work.git(&["add", "tests"]);
    let run = phiguard_within(&s.work, &["--format", "json", "scan", "--staged"], None);
    assert_eq!(run.code, 1, "{}", run.all());
    for f in run.json()["findings"].as_array().unwrap() {
        let want = if f["category"] == "secret" {
            "block"
        } else {
            "warn"
        };
        assert_eq!(f["severity"], want, "{f}");
    }
    let run = phiguard_within(&s.work, &["scan", "--staged"], None);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!run.out().contains("move it under tests/"), "{}", run.out());
    assert!(run.out().contains("revoke"), "{}", run.out());
    s.work.commit("fixtures");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "the server: {text}");
    // The config may let test paths downgrade secrets too.
    s.work.write(
        ".phiguard.toml",
        "[scan]\ntest_path_categories = [\"phi\", \"secret\"]\n",
    );
    let run = phiguard_within(&s.work, &["scan", "--range", "HEAD"], None);
    assert_eq!(run.code, 0, "{}", run.all());
}

/// Runs the installed commit-msg hook's command on a message file; returns the exit code.
fn commit_msg_on(repo: &TempRepo, message: &str) -> crate::common::Run {
    repo.write(".git/MSG_UNDER_TEST", message);
    phiguard_within(repo, &["hook", "commit-msg", ".git/MSG_UNDER_TEST"], None)
}

#[test]
fn commit_msg_stops_only_at_gits_exact_scissors_line() {
    let repo = TempRepo::new();
    let marker = "------------------------ >8 ------------------------";
    // Lines that merely contain the marker do not end the message.
    for line in [
        format!("see {marker}"),
        format!("## {marker}"),
        format!("# {marker} cut here"),
        format!("; {marker}"),
    ] {
        let run = commit_msg_on(&repo, &format!("fix\n{line}\npatient ssn {SSN}\n"));
        assert_eq!(run.code, 1, "{line:?}: {}", run.all());
    }
    // git's own scissors line (commit -v) ends it: the diff below is not the message.
    let run = commit_msg_on(&repo, &format!("fix\n# {marker}\n+patient ssn {SSN}\n"));
    assert_eq!(run.code, 0, "{}", run.all());
    // With core.commentChar = ';' the scissors line starts with ';', not '#'.
    repo.git(&["config", "core.commentChar", ";"]);
    let run = commit_msg_on(&repo, &format!("fix\n# {marker}\npatient ssn {SSN}\n"));
    assert_eq!(run.code, 1, "{}", run.all());
    let run = commit_msg_on(&repo, &format!("fix\n; {marker}\n+patient ssn {SSN}\n"));
    assert_eq!(run.code, 0, "{}", run.all());
    // And through git itself: `commit -v` with the hook installed.
    repo.git(&["config", "--unset", "core.commentChar"]);
    repo.install_hooks();
    repo.add("a.txt", "fine\n");
    let (ok, text) = repo.git_in_env(
        &mut vec![
            "commit",
            "-q",
            "-m",
            &format!("x\n\n## {marker}\nssn {SSN}"),
        ],
        &[],
    );
    assert!(!ok, "{text}");
}

#[test]
fn install_without_hooks_installs_all_four_client_hooks() {
    let repo = TempRepo::new();
    let run = phiguard_within(&repo, &["install"], None);
    assert_eq!(run.code, 0, "{}", run.all());
    let hooks = repo.path().join(".git/hooks");
    for hook in phiguard::install::CLIENT_HOOKS {
        let text = std::fs::read_to_string(hooks.join(hook)).unwrap_or_default();
        assert!(
            text.contains(phiguard::install::MARKER),
            "{hook} not installed"
        );
    }
    // A cherry-pick runs no pre-commit: pre-push is what still stops the value.
    let s = Server::new("post-receive");
    s.work.git(&["checkout", "-q", "-b", "side"]);
    s.work.add("leak.txt", format!("patient ssn: {SSN}\n"));
    s.work.commit("side");
    s.work.git(&["checkout", "-q", "main"]);
    let run = phiguard_within(&s.work, &["install"], None);
    assert_eq!(run.code, 0, "{}", run.all());
    s.work.git(&["cherry-pick", "side"]);
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "pre-push: {text}");
}

#[test]
fn oversize_content_is_rejected_by_the_server_unless_configured_to_pass() {
    let s = Server::new("pre-receive");
    s.config("[scan]\nmax_file_bytes = 100\n");
    s.work.add("big/data.txt", "x".repeat(150) + "\n");
    s.work.commit("big");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("big/data.txt") && text.contains("max_file_bytes"),
        "names the file: {text}"
    );
    s.config("[scan]\nmax_file_bytes = 100\n[server]\noversize = \"pass\"\n");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    // On the client the file is named in a note.
    s.work
        .write(".phiguard.toml", "[scan]\nmax_file_bytes = 100\n");
    s.work.add("big/more.txt", "y".repeat(150) + "\n");
    let run = phiguard_within(&s.work, &["scan", "--staged"], None);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.out().contains("big/more.txt"), "{}", run.all());
}

#[test]
fn old_versions_obey_the_size_limit_and_then_every_line_counts() {
    let repo = TempRepo::new();
    let ssn_line = format!("patient ssn: {SSN}\n");
    repo.add("notes.txt", format!("{ssn_line}{}\n", "z".repeat(300)));
    repo.commit("big old version");
    repo.write(".phiguard.toml", "[scan]\nmax_file_bytes = 200\n");
    // A small edit: the old version (over the limit) is not read, so the kept line counts.
    repo.add("notes.txt", format!("{ssn_line}short\n"));
    let run = phiguard_within(&repo, &["--format", "json", "scan", "--staged"], None);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.rules(), vec!["phi.ssn".to_owned()]);
}

/// `text` as UTF-16LE bytes, without a byte-order mark.
fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// UTF-16 with a byte-order mark and a lone surrogate was unscannable: every local hook
/// passed it with a note, whatever it held. An editor shows such a unit as U+FFFD and the
/// rest as the text it is, and so does phiguard now. UTF-16 without a mark that does not
/// validate (a small file of 16-bit numbers looks like it) is binary, read as its text runs,
/// which read UTF-16 too: no longer refused by a server as undecodable.
#[test]
fn utf16_that_does_not_validate_is_still_read() {
    let repo = TempRepo::new();
    let value = format!("patient ssn: {SSN}\n");
    // FF FE then plain text: not UTF-16.
    let mut ff_fe = vec![0xFF, 0xFE];
    ff_fe.extend_from_slice(value.as_bytes());
    repo.write("a.txt", &ff_fe);
    // UTF-16 without a byte-order mark.
    repo.write("b.txt", utf16le(&value));
    // A stray NUL near the start of a text file.
    repo.write("c.txt", format!("\0header\n{value}"));
    // UTF-16 with a byte-order mark and a lone surrogate before the value, and an odd byte
    // at its end.
    let mut bad = vec![0xFF, 0xFE];
    bad.extend(utf16le("note "));
    bad.extend([0x00, 0xD8]);
    bad.extend(utf16le(&format!("\n{value}")));
    bad.push(b'x');
    repo.write("d.txt", &bad);
    // Without a mark, one byte too many: binary, and its UTF-16 runs are read.
    let mut odd = utf16le(&value);
    odd.push(0x01);
    repo.write("e.bin", &odd);
    for f in ["a.txt", "b.txt", "c.txt", "d.txt", "e.bin"] {
        let run = phiguard_within(&repo, &["--format", "json", "scan", f], None);
        assert_eq!(run.code, 1, "{f}: {}", run.all());
        assert_eq!(run.rules(), vec!["phi.ssn".to_owned()], "{f}");
        assert_eq!(run.json()["summary"]["skipped"], 0, "{f}: {}", run.all());
    }
    // Both hooks refuse the file for its value, not for its encoding.
    let s = server_holding(&[], "");
    s.work.add("notes/d.txt", &bad);
    assert_refused_by_both_hooks(&s);
}

#[test]
fn sha256_clone_client_hooks_name_the_object_format() {
    let repo = TempRepo::new();
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    repo.git(&["init", "-q", "--object-format=sha256", "-b", "main"]);
    repo.add("a.txt", "fine\n");
    let run = phiguard_within(&repo, &["hook", "pre-commit"], None);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("SHA-256"), "{}", run.all());
    repo.write(".git/MSG", "fine\n");
    let run = phiguard_within(&repo, &["hook", "commit-msg", ".git/MSG"], None);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("SHA-256"), "{}", run.all());
    let run = phiguard_within(
        &repo,
        &["hook", "pre-push", "origin", "/nowhere"],
        Some(b""),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("SHA-256"), "{}", run.all());
}

#[test]
fn a_panic_on_any_thread_exits_2_without_the_payload() {
    let repo = TempRepo::new();
    repo.add("a.txt", "fine\n");
    for thread in ["main", "worker"] {
        let mut cmd = Command::new(bin());
        cmd.args(["hook", "pre-commit"]).current_dir(repo.path());
        repo.env(&mut cmd);
        cmd.env("PHIGUARD_TEST_PANIC", thread);
        let run = run_within(cmd, None, 60).expect("hung");
        assert_eq!(run.code, 2, "{thread}: {}", run.all());
        assert!(
            run.err().contains("internal error"),
            "{thread}: {}",
            run.all()
        );
        crate::common::assert_no_value(&run.stderr, &[SSN]);
    }
}

/// Cuts the loose object file of `id` to half its size.
fn truncate_object(repo: &TempRepo, id: &str) {
    let path = repo
        .path()
        .join(".git/objects")
        .join(&id[..2])
        .join(&id[2..]);
    let len = std::fs::metadata(&path).unwrap().len();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
    std::fs::set_permissions(&path, perm).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
}

#[test]
fn a_truncated_loose_object_fails_closed_instead_of_spinning() {
    let numbers: String = (1..3000).map(|i| format!("line {i}\n")).collect();
    // A HEAD blob (the old version of a staged edit), and the same blob in --range.
    let repo = TempRepo::new();
    repo.add("a.txt", &numbers);
    repo.commit("a");
    let old = repo.git(&["rev-parse", "HEAD:a.txt"]).trim().to_owned();
    repo.add("a.txt", format!("{numbers}more\n"));
    truncate_object(&repo, &old);
    for args in [&["scan", "--staged"][..], &["scan", "--range", "HEAD"][..]] {
        let run = phiguard_within(&repo, args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
        assert!(run.err().contains("corrupt"), "{args:?}: {}", run.all());
    }
    // A staged blob whose work-tree copy differs (so the blob itself must be read).
    let repo = TempRepo::new();
    repo.add("b.txt", "start\n");
    repo.commit("b");
    repo.add("b.txt", &numbers);
    repo.write("b.txt", "edited after git add\n");
    let staged = repo.git(&["rev-parse", ":b.txt"]).trim().to_owned();
    truncate_object(&repo, &staged);
    let run = phiguard_within(&repo, &["scan", "--staged"], None);
    assert_eq!(run.code, 2, "{}", run.all());
    // A commit in the middle of --range's walk (libgit2's revwalk parses it).
    let repo = TempRepo::new();
    for i in 0..3 {
        repo.add(&format!("f{i}.txt"), format!("{i}\n"));
        repo.commit(&format!("c{i}"));
    }
    let middle = repo.git(&["rev-parse", "HEAD~1"]).trim().to_owned();
    truncate_object(&repo, &middle);
    let run = phiguard_within(&repo, &["scan", "--range", "HEAD"], None);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.err().contains("corrupt"), "{}", run.all());
    // A HEAD tree: the root, then a subdirectory the staged change is in.
    for tree in ["HEAD^{tree}", "HEAD:d"] {
        let repo = TempRepo::new();
        for i in 0..40 {
            repo.write(&format!("d/f{i}.txt"), format!("{i}\n"));
        }
        repo.git(&["add", "d"]);
        repo.commit("d");
        repo.add("d/f1.txt", "changed\n");
        let id = repo.git(&["rev-parse", tree]).trim().to_owned();
        truncate_object(&repo, &id);
        let run = phiguard_within(&repo, &["scan", "--staged"], None);
        assert_eq!(run.code, 2, "{tree}: {}", run.all());
        assert!(run.err().contains("corrupt"), "{tree}: {}", run.all());
    }
}

#[test]
fn a_clean_filter_from_an_untracked_gitattributes_is_honoured() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    // An untracked .gitattributes and a clean filter that puts a value into the blob.
    repo.write(".gitattributes", "*.txt filter=fill\n");
    repo.git(&[
        "config",
        "filter.fill.clean",
        &format!("sed 's/PLACEHOLDER/{SSN}/'"),
    ]);
    repo.write("notes.txt", "patient ssn: PLACEHOLDER\n");
    // Not racy: the file is older than the index git writes next.
    let status = Command::new("touch")
        .args(["-d", "2020-01-01 00:00:00"])
        .arg(repo.path().join("notes.txt"))
        .status()
        .unwrap();
    assert!(status.success());
    repo.git(&["add", "notes.txt"]);
    let blob = repo.git(&["cat-file", "-p", ":notes.txt"]);
    assert!(blob.contains(SSN), "the filter ran: {blob}");
    let run = phiguard_within(&repo, &["--format", "json", "scan", "--staged"], None);
    assert_eq!(run.code, 1, "the staged blob is scanned: {}", run.all());
    assert_eq!(run.rules(), vec!["phi.ssn".to_owned()]);
}

#[test]
fn symlink_targets_added_in_a_change_are_scanned() {
    let s = Server::new("pre-receive");
    let target = format!("patient ssn: {SSN}");
    std::os::unix::fs::symlink(&target, s.work.path().join("link")).unwrap();
    s.work.git(&["add", "link"]);
    let run = phiguard_within(&s.work, &["--format", "json", "scan", "--staged"], None);
    assert_eq!(run.code, 1, "pre-commit: {}", run.all());
    assert_eq!(run.rules(), vec!["phi.ssn".to_owned()]);
    s.work.commit("link");
    let run = phiguard_within(&s.work, &["scan", "--range", "HEAD~1..HEAD"], None);
    assert_eq!(run.code, 1, "--range: {}", run.all());
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "the server: {text}");
    assert!(text.contains("link"), "{text}");
}

#[test]
fn range_with_three_dots_is_the_symmetric_difference() {
    let repo = TempRepo::new();
    repo.add("base.txt", "base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.add("side.txt", "side work\n");
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    // The value is on main's side of the fork: A..B (main..side) does not see it, A...B does.
    repo.add("main.txt", format!("patient ssn: {SSN}\n"));
    repo.commit("main");
    let run = phiguard_within(&repo, &["scan", "--range", "main..side"], None);
    assert_eq!(run.code, 0, "two dots: {}", run.all());
    let run = phiguard_within(
        &repo,
        &["--format", "json", "scan", "--range", "main...side"],
        None,
    );
    assert_eq!(run.code, 1, "three dots: {}", run.all());
    assert_eq!(run.rules(), vec!["phi.ssn".to_owned()]);
    let run = phiguard_within(
        &repo,
        &["--format", "json", "scan", "--range", "side...main"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
}

/// Issue 19 item 16: a bypass said "this is recorded" with no audit log configured.
#[test]
fn bypass_without_an_audit_log_says_it_is_not_recorded() {
    let s = Server::new("pre-receive");
    s.bare
        .git(&["config", "receive.advertisePushOptions", "true"]);
    s.work.add(
        "incident.txt",
        format!("patient ssn: {}\n", crate::common::SSN),
    );
    s.work.commit("incident");
    s.config("[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"oncall\"]\n");
    let mut args = vec![
        "push",
        "-o",
        "phiguard.bypass=incident 42",
        "origin",
        "main",
    ];
    let (ok, text) = s.work.git_in_env(
        &mut args,
        &[
            ("USER", "oncall"),
            ("GL_USERNAME", ""),
            ("GITHUB_USER_LOGIN", ""),
        ],
    );
    assert!(ok, "{text}");
    assert!(text.contains("BYPASS by oncall"), "{text}");
    assert!(!text.contains("this is recorded"), "{text}");
    assert!(
        text.contains("not recorded: no [server] audit_log"),
        "{text}"
    );
}

/// Issue 19 item 16: under `fail_open`, the budget message said the push "is rejected" and
/// then that it was accepted.
#[test]
fn fail_open_does_not_say_rejected_and_accepted() {
    let s = Server::new("pre-receive");
    s.config("[server]\nbudget_ms = 0\nfail_open = true\n");
    s.work.add("x.txt", "fine\n");
    s.work.commit("x");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("accepted unscanned") && !text.contains("rejected"),
        "{text}"
    );
}

/// Issue 19 item 16: with the `update` hook a bypass option never arrives; the refusal says
/// so when the ref's policy lists bypassers.
#[test]
fn update_hook_refusal_says_bypass_cannot_arrive() {
    let s = Server::new("update");
    s.work.add("x.txt", format!("ssn {}\n", crate::common::SSN));
    s.work.commit("x");
    s.config("[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"oncall\"]\n");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("cannot reach the update hook"), "{text}");
}

/// Issue 19 item 16: a refused delete ended with advice to rewrite commits, and with inline
/// allows off the hint still offered `phiguard:allow`.
#[test]
fn refusal_advice_fits_the_rule() {
    let s = Server::new("pre-receive");
    s.config("[[policy]]\nrefs = [\"refs/heads/main\"]\ndeny_delete = true\nallow_inline_suppressions = false\n");
    s.work.git(&["checkout", "-q", "-b", "other"]);
    assert!(s.push(&["other"]).0);
    let (ok, text) = s.push(&["--delete", "main"]);
    assert!(!ok, "{text}");
    assert!(
        !text.contains("rebase -i") && !text.contains("amend"),
        "{text}"
    );
    s.work.git(&["checkout", "-q", "main"]);
    s.work.add(
        "y.txt",
        format!("ssn {} # phiguard:allow demo\n", crate::common::SSN),
    );
    s.work.commit("y");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("rebase -i") && !text.contains("phiguard:allow <reason>"),
        "{text}"
    );
}

/// A patient extract of `rows` rows, `mrn,ssn`: synthetic, valid-looking SSNs (areas 101-400,
/// never 9xx or 666), each row its own.
fn patient_extract(rows: u32) -> String {
    let mut csv = String::from("mrn,ssn\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "MR{},{:03}-{:02}-{:04}\n",
            4_000_000 + i,
            101 + i % 300,
            10 + i % 80,
            1000 + i
        ));
    }
    csv
}

/// Issue 20: a patient extract with hundreds of thousands of findings held every one as owned
/// strings. The first findings of a rule in a file are listed; the rest are counted in the
/// summary and in `findings_capped`, and still block.
#[test]
fn a_patient_extract_lists_the_first_findings_per_rule_and_counts_the_rest() {
    use crate::common::phiguard_stdin;
    let csv = patient_extract(300);
    let r = phiguard_stdin(
        &[
            "scan",
            "--stdin-filename",
            "patients.csv",
            "-",
            "--format",
            "json",
        ],
        csv.as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.err());
    let j = r.json();
    let findings = j["findings"].as_array().unwrap();
    let capped = j["findings_capped"]
        .as_array()
        .expect("findings_capped is listed");
    let mut per_rule = std::collections::BTreeMap::<String, (u64, u64)>::new();
    for f in findings {
        per_rule
            .entry(f["rule"].as_str().unwrap().to_owned())
            .or_default()
            .0 += 1;
    }
    for c in capped {
        assert_eq!(c["path"], "patients.csv");
        per_rule
            .entry(c["rule"].as_str().unwrap().to_owned())
            .or_default()
            .1 += c["count"].as_u64().unwrap();
    }
    // Every row is reported (whichever rule reports it), 100 listed per rule at most.
    let (rule, (listed, more)) = per_rule.iter().max_by_key(|(_, (l, m))| l + m).unwrap();
    assert!(
        listed + more >= 300,
        "{rule}: {listed} listed, {more} counted"
    );
    assert!(per_rule.values().all(|(l, _)| *l <= 100), "{per_rule:?}");
    assert!(*more > 0, "{per_rule:?}");
    let total = j["summary"]["block"].as_u64().unwrap()
        + j["summary"]["warn"].as_u64().unwrap()
        + j["summary"]["info"].as_u64().unwrap();
    let counted: u64 = per_rule.values().map(|(l, m)| l + m).sum();
    assert_eq!(total, counted);
    let human = phiguard_stdin(
        &["scan", "--stdin-filename", "patients.csv", "-"],
        csv.as_bytes(),
    );
    assert!(
        human.out().contains("more block") && human.out().contains("are counted, not listed"),
        "{}",
        human.out()
    );
}

/// Issue 19 item 2: a commit with a warn-level finding was accepted on a lax ref, then on a
/// ref whose policy blocks warnings, because it was no longer new to the repository. With the
/// `update` hook one push of `HEAD:aaa-feature HEAD:main` was enough.
#[test]
fn a_finding_accepted_on_a_lax_ref_is_judged_again_on_a_stricter_one() {
    let strict = "[[policy]]\nrefs = [\"refs/heads/main\"]\nblock_severity = \"warn\"\n";
    // A PHI value under a test path: a warning, which main's policy blocks.
    let warn_commit = |s: &Server| {
        s.work
            .add("tests/fixtures/p.txt", format!("patient ssn: {SSN}\n"));
        s.work.commit("fixture");
    };
    let s = Server::new("pre-receive");
    s.config(strict);
    warn_commit(&s);
    let (ok, text) = s.push(&["HEAD:refs/heads/feature"]);
    assert!(ok, "the lax ref takes the warning: {text}");
    let (ok, text) = s.push(&["HEAD:refs/heads/main"]);
    assert!(!ok, "main judges the commit it has not seen: {text}");
    for hook in ["pre-receive", "update"] {
        let s = Server::new(hook);
        s.config(strict);
        warn_commit(&s);
        let (_, text) = s.push(&["HEAD:refs/heads/aaa-feature", "HEAD:refs/heads/main"]);
        let main = s.server_has("refs/heads/main");
        let init = s
            .bare
            .git(&["rev-list", "--max-parents=0", "refs/heads/main"]);
        assert_eq!(
            main.as_deref(),
            Some(init.trim()),
            "{hook}: main must not move to the warned commit: {text}"
        );
    }
}

/// Findings counted past the listed ones carry no fingerprint: a baseline made from such a
/// file covers them by count, and one more value in the file still blocks.
#[test]
fn a_baselined_patient_extract_stays_baselined_past_the_listed_findings() {
    let repo = TempRepo::new();
    let row = |i: u32| {
        format!(
            "MR{},{:03}-{:02}-{:04}\n",
            4_000_000 + i,
            101 + i,
            10 + i % 80,
            1000 + i
        )
    };
    let mut csv = String::from("mrn,ssn\n");
    for i in 0..250 {
        csv.push_str(&row(i));
    }
    repo.write("data/patients.csv", &csv);
    let r = repo.phiguard(&["baseline", "create"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "everything is baselined: {}", r.all());
    csv.push_str(&row(300));
    repo.write("data/patients.csv", &csv);
    let r = repo.phiguard(&["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "a new row blocks: {}", r.all());
}

/// Issue 19 item 10: a value in a file name was printed in clear in the header, the JSON
/// `path`, the fingerprint, the SARIF uri and the server's `remote:` lines, and an added file
/// named after a patient's SSN with harmless content passed.
#[test]
fn a_value_in_a_file_name_is_reported_and_masked_everywhere() {
    use crate::common::{SSN, assert_no_value};
    let name = format!("records/ssn_{SSN}.txt");
    let values = [SSN, "536904399", "536-90", "90-4399"];
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    // Content with a value too, so findings of the content carry the path.
    s.work.write(&name, format!("ssn {SSN}\n"));
    s.work.git(&["add", "--", &name]);
    let (ok, text) = s
        .work
        .git_in_env(&mut vec!["commit", "-q", "-m", "add"], &[]);
    assert!(!ok, "pre-commit blocks: {text}");
    assert_no_value(text.as_bytes(), &values);
    for format in ["json", "sarif", "gcc", "human", "jsonl"] {
        let r = s.work.phiguard(&["scan", "--staged", "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.all());
        assert_no_value(&r.stdout, &values);
        assert_no_value(&r.stderr, &values);
    }
    // A harmless file named after the value is a finding of its own.
    s.work.write(&name, "nothing here\n");
    s.work.git(&["add", "--", &name]);
    let r = s.work.phiguard(&["scan", "--staged", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_no_value(&r.stdout, &values);
    let f = &r.json()["findings"][0];
    assert_eq!(f["line"], 0, "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("in the file name"),
        "{f}"
    );
    // The server says the same, masked.
    s.work.commit("add");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert_no_value(text.as_bytes(), &values);
}

/// A server whose history already holds `files` (pushed before its pre-receive hook was
/// installed, so old values are on it), with `config` on both sides and the client hooks
/// pre-commit, commit-msg and pre-push installed in the clone.
fn server_holding(files: &[(&str, Vec<u8>)], config: &str) -> Server {
    let s = Server::new("pre-receive");
    std::fs::remove_file(s.bare.path().join("hooks/pre-receive")).unwrap();
    s.work.write(".phiguard.toml", config);
    s.work.git(&["add", ".phiguard.toml"]);
    for (path, content) in files {
        s.work.add(path, content);
    }
    s.work.commit("history");
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
    s.install("pre-receive");
    s.config(config);
    let r = s
        .work
        .phiguard(&["install", "--hooks", "pre-commit,commit-msg,pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    s
}

/// `git mv old new`, creating `new`'s directory (git does not).
fn git_mv(repo: &TempRepo, old: &str, new: &str) {
    if let Some(dir) = std::path::Path::new(new).parent() {
        std::fs::create_dir_all(repo.path().join(dir)).unwrap();
    }
    repo.git(&["mv", old, new]);
}

/// `git commit` of what is staged, through the installed hooks: (passed, output).
fn commit_through_hooks(repo: &TempRepo, message: &str) -> (bool, String) {
    repo.git_in_env(&mut vec!["commit", "-q", "-m", message], &[])
}

/// What `scan --range HEAD~1..HEAD` reports in the clone: (exit code, rule ids).
fn range_of_last_commit(repo: &TempRepo) -> (i32, Vec<String>) {
    let r = repo.phiguard(&["--format", "json", "scan", "--range", "HEAD~1..HEAD"]);
    assert!(r.code == 0 || r.code == 1, "{}", r.all());
    (r.code, r.rules())
}

/// Commits what is staged, with `message`, and pushes it: pre-commit, `scan --range` of the
/// commit and pre-receive must each let it through.
fn assert_passes_every_gate(s: &Server, message: &str) {
    let (ok, text) = commit_through_hooks(&s.work, message);
    assert!(ok, "pre-commit: {text}");
    assert_eq!(range_of_last_commit(&s.work), (0, vec![]));
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "pre-push and pre-receive: {text}");
}

/// Commits what is staged, with `message`: pre-commit must refuse it, `scan --range` of the
/// commit (made past the hooks) must find one SSN, and pre-receive must refuse the push
/// (pre-push skipped, so the server judges it).
fn assert_one_ssn_stopped_at_every_gate(s: &Server, message: &str) {
    let (ok, text) = commit_through_hooks(&s.work, message);
    assert!(!ok, "pre-commit: {text}");
    s.work.commit(message);
    assert_eq!(
        range_of_last_commit(&s.work),
        (1, vec!["phi.ssn".to_owned()])
    );
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
}

/// Scans what `s.work` has staged (JSON) and asserts that it finds one SSN, blocking,
/// reported at `path`.
fn assert_staged_one_ssn_at(s: &Server, path: &str) {
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(
        (r.code, r.rules()),
        (1, vec!["phi.ssn".to_owned()]),
        "{}",
        r.all()
    );
    assert_eq!(r.json()["findings"][0]["path"], path);
}

/// Issue 19 item 5: a rename kept the old path's lines as old even when the old path was a
/// test path (PHI downgraded to warn), excluded or a generated name (PHI rules skip it), so
/// `git mv tests/fixtures/patients.csv data/patients.csv` laundered the values into a path
/// that blocks; history paired the move by base name the same way.
#[test]
fn a_rename_out_of_a_test_excluded_or_generated_path_adds_every_line() {
    let config = "[scan]\nexclude = [\"vendor/**\"]\n";
    let content = format!("name,ssn\nRosa Ortega,{SSN}\n").into_bytes();
    let cases = [
        ("tests/fixtures/patients.csv", "data/patients.csv"),
        ("vendor/patients.csv", "data/vendored.csv"),
        ("web/patients.min.js", "web/patients.csv"),
    ];
    let files: Vec<(&str, Vec<u8>)> = cases
        .iter()
        .map(|(old, _)| (*old, content.clone()))
        .collect();
    let s = server_holding(&files, config);
    for (old, new) in cases {
        let case = format!("{old} -> {new}");
        git_mv(&s.work, old, new);
        let (ok, text) = commit_through_hooks(&s.work, "move");
        assert!(!ok, "pre-commit, {case}: {text}");
        s.work.commit("move");
        assert_eq!(
            range_of_last_commit(&s.work),
            (1, vec!["phi.ssn".to_owned()]),
            "{case}"
        );
        let (ok, text) = s.push(&["main"]);
        assert!(!ok && !text.contains("remote:"), "pre-push, {case}: {text}");
        let (ok, text) = s.push(&["--no-verify", "main"]);
        assert!(!ok && text.contains(new), "pre-receive, {case}: {text}");
        s.work.git(&["reset", "-q", "--hard", "HEAD~1"]);
    }
    // A move that stays a test path is a move: nothing is added.
    git_mv(
        &s.work,
        "tests/fixtures/patients.csv",
        "tests/data/patients.csv",
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.all());
    s.work.commit("move within tests");
    assert_eq!(range_of_last_commit(&s.work), (0, vec![]));
}

/// An old version that was never scanned as text (binary: a NUL byte near its start) made
/// its lines old, so removing the NUL byte let its values through unreported.
#[test]
fn lines_of_a_binary_old_version_are_not_old() {
    let text = format!("name,ssn\nRosa Ortega,{SSN}\n");
    let s = server_holding(
        &[("data/p.csv", format!("\0\x01\x02{text}").into_bytes())],
        "",
    );
    s.work.add("data/p.csv", &text);
    assert_one_ssn_stopped_at_every_gate(&s, "text now");
}

/// Issue 19 item 12: pre-commit pairs `git mv a b` by similarity (libgit2), but history only
/// paired a new file with a deleted one of the same base name, so pre-push, pre-receive and
/// `scan --range` reported every old line of a file moved to a new name.
#[test]
fn history_pairs_a_rename_to_a_new_name_by_similarity_as_pre_commit_does() {
    let body: String = (1..=20)
        .map(|i| format!("visit {i}: follow-up scheduled\n"))
        .collect();
    let record = format!("patient ssn: {SSN}\n{body}");
    let s = server_holding(
        &[
            ("records/patient.txt", record.clone().into_bytes()),
            ("notes/a.txt", format!("ssn {SSN}\n").into_bytes()),
        ],
        "",
    );
    // A move to a new name with a line added, and a pure move to a new name.
    git_mv(&s.work, "records/patient.txt", "archive/visit-history.txt");
    s.work.add(
        "archive/visit-history.txt",
        format!("{record}visit 21: discharged\n"),
    );
    git_mv(&s.work, "notes/a.txt", "misc/b.txt");
    assert_passes_every_gate(&s, "archive");
    // A value added while moving is still found.
    git_mv(&s.work, "archive/visit-history.txt", "records/again.txt");
    s.work.add(
        "records/again.txt",
        format!("{record}visit 21: discharged\nnew patient ssn: {SSN}\n"),
    );
    assert_one_ssn_stopped_at_every_gate(&s, "again");
}

/// Issue 19 item 14: only the new version of a UTF-16 file was decoded, so any edit
/// reported every old line again (staged and in history).
#[test]
fn an_edit_of_a_utf16_file_reports_only_the_lines_it_adds() {
    let old = format!("patient ssn: {SSN}\r\nvisit: annual\r\n");
    let mut bom = vec![0xFF, 0xFE];
    bom.extend(utf16le(&old));
    let s = server_holding(
        &[("records/p.txt", bom), ("records/q.txt", utf16le(&old))],
        "",
    );
    let edited = format!("{old}visit: follow-up\r\n");
    let mut bom = vec![0xFF, 0xFE];
    bom.extend(utf16le(&edited));
    s.work.add("records/p.txt", bom);
    s.work.add("records/q.txt", utf16le(&edited));
    assert_passes_every_gate(&s, "follow-up");
    // A line the edit adds is still found.
    s.work.add(
        "records/q.txt",
        utf16le(&format!("{edited}new patient ssn: {SSN}\r\n")),
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(
        (r.code, r.rules()),
        (1, vec!["phi.ssn".to_owned()]),
        "{}",
        r.all()
    );
}

/// Notes naming a file left unscanned (over `max_file_bytes`, unscannable) printed its path
/// as it is, a value in the name included, on the client and in the server's refusal; and
/// the value in the name of an added file that was not scanned was not reported.
#[test]
fn notes_naming_skipped_files_mask_a_value_in_the_path() {
    use crate::common::assert_no_value;
    let values = [SSN, "536904399", "536-90", "90-4399"];
    let big = format!("records/ssn_{SSN}.txt");
    let bad = format!("records/ssn_{SSN}.rar");
    // A RAR archive: recognised, never opened, so unscannable.
    let undecodable = b"Rar!\x1A\x07\x01\x00\x33\x92\xB5\xE5".to_vec();
    let config = "[scan]\nmax_file_bytes = 100\n";
    let s = Server::new("pre-receive");
    s.config(config);
    s.work.add(".phiguard.toml", config);
    s.work.add(&big, "x".repeat(150) + "\n");
    s.work.add(&bad, &undecodable);
    for format in ["human", "json", "sarif", "gcc"] {
        let r = s.work.phiguard(&["--format", format, "scan", "--staged"]);
        assert_no_value(&r.stdout, &values);
        assert_no_value(&r.stderr, &values);
        if format == "human" {
            let out = r.all();
            assert!(
                out.contains("max_file_bytes") && out.contains("RAR archive"),
                "{out}"
            );
        }
        // The names an added file brings in are findings, scanned or not.
        if format == "json" {
            assert_eq!(r.code, 1, "{}", r.all());
            let findings = r.json()["findings"].as_array().unwrap().clone();
            assert_eq!(findings.len(), 2, "{findings:?}");
            assert!(findings.iter().all(|f| f["line"] == 0), "{findings:?}");
        }
    }
    s.work.commit("big");
    let r = s.work.phiguard(&["scan", "--range", "HEAD"]);
    assert!(r.all().contains("max_file_bytes"), "{}", r.all());
    assert_no_value(&r.stdout, &values);
    assert_no_value(&r.stderr, &values);
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("records/ssn_") && text.contains("max_file_bytes"),
        "{text}"
    );
    assert_no_value(text.as_bytes(), &values);
}

/// Issue 19 item 18: `--range` on an annotated tag scanned the commits but not the tag's own
/// message, which a push of the tag scans; a rename-only and a merge-only commit report their
/// messages and nothing of their files.
#[test]
fn range_on_an_annotated_tag_scans_its_message_and_rename_or_merge_only_commits_their_messages() {
    let repo = TempRepo::new();
    repo.add("a.txt", "a\n");
    repo.commit("init");
    repo.git(&[
        "tag",
        "-a",
        "v1",
        "-m",
        &format!("release for patient ssn {SSN}"),
    ]);
    let found = |args: &[&str]| {
        let mut all = vec!["--format", "json", "scan", "--range"];
        all.extend_from_slice(args);
        let run = phiguard_within(&repo, &all, None);
        assert_no_value(&run.stdout, &[SSN]);
        let paths: Vec<String> = run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect();
        (run.code, paths)
    };
    assert_eq!(found(&["v1"]), (1, vec!["<tag message>".to_owned()]));
    assert_eq!(found(&["HEAD"]), (0, vec![]), "the commit alone is clean");
    // A rename-only commit: its message, none of the moved file's old lines.
    repo.add("p.txt", format!("ssn {SSN}\n"));
    repo.git(&["commit", "-q", "--no-verify", "-m", "add"]);
    repo.git(&["mv", "p.txt", "q.txt"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &format!("moved, patient ssn {SSN}"),
    ]);
    assert_eq!(
        found(&["HEAD~1..HEAD"]),
        (1, vec!["<commit message>".to_owned()])
    );
    // A merge-only commit: its message, nothing of either side's files.
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~2"]);
    repo.add("s.txt", "side\n");
    repo.git(&["commit", "-q", "--no-verify", "-m", "side"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "--no-verify",
        "side",
        "-m",
        &format!("merge, patient ssn {SSN}"),
    ]);
    assert_eq!(
        found(&["HEAD^1..HEAD"]),
        (1, vec!["<commit message>".to_owned()])
    );
}

/// An error quoting a path printed the value in the file's name (`exports/<ssn>.csv: no such
/// file or directory`): errors are masked as findings are, on the command line and in the
/// pre-commit framework's file list alike.
#[test]
fn an_error_naming_a_path_masks_the_value_in_it() {
    let repo = TempRepo::new();
    let missing = format!("exports/{SSN}.csv");
    for args in [
        vec!["scan", missing.as_str()],
        vec!["hook", "pre-commit-framework", missing.as_str()],
    ] {
        let r = repo.phiguard(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.err());
        assert_no_value(&r.stderr, &[SSN]);
        assert_no_value(&r.stdout, &[SSN]);
        assert!(r.err().contains("exports/"), "{args:?}: {}", r.err());
    }
}

/// Each finding's path and its `key` (as JSON text) in a `--format json` run.
fn paths_with(r: &crate::common::Run, key: &str) -> Vec<(String, String)> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f[key].to_string()))
        .collect()
}

/// Archives for the tests below, built at test time.
mod archive {
    use std::io::Write;

    pub fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    pub fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, bytes) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *bytes).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// `zip` with the "encrypted" flag set in every header.
    pub fn encrypted(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip(entries);
        for i in 0..z.len() - 4 {
            match &z[i..i + 4] {
                b"PK\x03\x04" => z[i + 6] |= 1,
                b"PK\x01\x02" => z[i + 8] |= 1,
                _ => {}
            }
        }
        z
    }
}

/// A patient extract compressed (gzip, zip, a compressed tar, a zip inside a zip, an Office
/// document) was binary to every gate, so `gzip patients.csv` was a way past them all. Each
/// is stopped now, named `archive!member`, without its value in any output.
#[test]
fn a_compressed_patient_extract_is_stopped_at_every_gate() {
    let csv = format!("name,ssn\nMaria Ortega,{SSN}\n");
    let csv = csv.as_bytes();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "exports/patients.csv.gz",
            archive::gzip(csv),
            "patients.csv.gz!patients.csv",
        ),
        (
            "exports/p.zip",
            archive::zip(&[("out/p.csv", csv)]),
            "p.zip!out/p.csv",
        ),
        (
            "exports/p.tar.gz",
            archive::gzip(&archive::tar(&[("p.csv", csv)])),
            "p.tar.gz!p.csv",
        ),
        (
            "exports/outer.zip",
            archive::zip(&[("inner.zip", &archive::zip(&[("p.csv", csv)]))]),
            "outer.zip!inner.zip!p.csv",
        ),
        (
            "exports/sheet.xlsx",
            archive::zip(&[(
                "xl/sharedStrings.xml",
                format!("<sst><si><t>SSN</t></si><si><t>{SSN}</t></si></sst>").as_bytes(),
            )]),
            "sheet.xlsx!xl/sharedStrings.xml",
        ),
    ];
    for (path, bytes, shown) in cases {
        let s = Server::new("pre-receive");
        s.work.install_hooks();
        s.work.add(path, &bytes);
        let r = s.work.phiguard(&["scan", "--staged"]);
        assert_eq!(r.code, 1, "{path}: {}", r.all());
        assert!(r.out().contains(shown), "{path}: {}", r.all());
        assert_no_value(r.all().as_bytes(), &[SSN]);
        assert_one_ssn_stopped_at_every_gate(&s, path);
    }
}

/// An archive is compared member by member with its old version: an edit that adds a clean
/// line to a member, or a clean member, passes every gate; a line it adds with a value is
/// the one finding.
#[test]
fn an_edit_of_an_archive_reports_only_the_lines_it_adds() {
    let old = format!("name,ssn\nMaria Ortega,{SSN}\n");
    let s = server_holding(
        &[(
            "data/export.zip",
            archive::zip(&[("a.csv", old.as_bytes())]),
        )],
        "",
    );
    let edited = format!("{old}visit,annual\n");
    s.work.add(
        "data/export.zip",
        archive::zip(&[("a.csv", edited.as_bytes()), ("b.txt", b"notes\n")]),
    );
    assert_passes_every_gate(&s, "a clean line and a clean member");
    s.work.add(
        "data/export.zip",
        archive::zip(&[
            ("a.csv", edited.as_bytes()),
            ("b.txt", format!("notes\nssn {SSN}\n").as_bytes()),
        ]),
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(
        (r.code, r.rules()),
        (1, vec!["phi.ssn".to_owned()]),
        "{}",
        r.all()
    );
    assert_eq!(r.json()["findings"][0]["path"], "data/export.zip!b.txt");
    assert_eq!(r.json()["findings"][0]["line"], 2);
}

/// A test path inside an archive is the archive writer's choice: `x.zip!tests/p.csv` outside
/// a test path blocks, while an archive under `tests/` warns as any fixture there does.
#[test]
fn a_test_path_inside_an_archive_does_not_downgrade_its_values() {
    let csv = format!("name,ssn\nMaria Ortega,{SSN}\n");
    let zip = archive::zip(&[("tests/fixtures/p.csv", csv.as_bytes())]);
    let repo = TempRepo::new();
    repo.add("data/x.zip", &zip);
    repo.add("tests/fixtures/y.zip", &zip);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    let severities: Vec<(String, String)> = paths_with(&r, "severity")
        .into_iter()
        .map(|(p, s)| (p, s.trim_matches('"').to_owned()))
        .collect();
    assert_eq!(
        severities,
        [
            (
                "data/x.zip!tests/fixtures/p.csv".to_owned(),
                "block".to_owned()
            ),
            (
                "tests/fixtures/y.zip!tests/fixtures/p.csv".to_owned(),
                "warn".to_owned()
            ),
        ],
        "{}",
        r.all()
    );
}

/// An archive phiguard cannot open (encrypted, expanding past `max_file_bytes`, of a kind
/// it does not open) is content nobody looked at: the server refuses it naming the archive
/// and why, unless `[server] unscannable = "pass"`; the client names it in a note.
#[test]
fn an_archive_that_cannot_be_opened_is_refused_by_the_server() {
    let csv = format!("name,ssn\nMaria Ortega,{SSN}\n");
    for (path, bytes, why) in [
        (
            "data/locked.zip",
            archive::encrypted(&[("p.csv", csv.as_bytes())]),
            "encrypted",
        ),
        (
            "data/bomb.gz",
            archive::gzip(&vec![b'0'; 40 << 20]),
            "expands past max_file_bytes",
        ),
        (
            "data/p.rar",
            b"Rar!\x1A\x07\x01\x00\x33\x92\xB5\xE5".to_vec(),
            "RAR archive",
        ),
        (
            "data/p.csv.lz4",
            b"\x04\x22\x4D\x18\x64\x40\xA7".to_vec(),
            "damaged lz4 file",
        ),
        ("data/app.db", sqlite::damaged(), "damaged SQLite database"),
    ] {
        let s = Server::new("pre-receive");
        s.work.add(path, &bytes);
        let r = s.work.phiguard(&["scan", "--staged"]);
        assert!(
            r.all().contains(path) && r.all().contains(why),
            "{}",
            r.all()
        );
        s.work.commit("archive");
        let (ok, text) = s.push(&["--no-verify", "main"]);
        assert!(!ok, "{path}: {text}");
        assert!(text.contains(path) && text.contains(why), "{text}");
        // `lfs = "pass"` is about LFS pointers only.
        s.config("[server]\nlfs = \"pass\"\n");
        let (ok, text) = s.push(&["--no-verify", "main"]);
        assert!(!ok, "{path}: {text}");
        s.config("[server]\nunscannable = \"pass\"\n");
        let (ok, text) = s.push(&["--no-verify", "main"]);
        assert!(ok, "{path}: {text}");
    }
}

/// One member that cannot be read (encrypted) made the whole zip unscannable, so the client
/// read none of its other members: a patient extract beside a locked file passed
/// pre-commit with a note.
#[test]
fn an_unreadable_member_does_not_hide_the_others() {
    let csv = format!("name,ssn\nMaria Ortega,{SSN}\n");
    let mut zip = archive::zip(&[("locked.txt", b"secret plans\n"), ("p.csv", csv.as_bytes())]);
    // The first member's "encrypted" flag only, in its local and its central header.
    let local = zip.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    zip[local + 6] |= 1;
    let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[central + 8] |= 1;
    let repo = TempRepo::new();
    repo.add("data/x.zip", &zip);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.rules(), ["phi.ssn"], "{}", r.all());
    assert_eq!(r.json()["findings"][0]["path"], "data/x.zip!p.csv");
    let r = repo.phiguard(&["scan", "--staged"]);
    assert!(
        r.all().contains("data/x.zip!locked.txt") && r.all().contains("encrypted zip member"),
        "{}",
        r.all()
    );
}

/// Stages `content` at `rel` as git-lfs' clean filter does: the index holds the pointer, the
/// repository's LFS store the content, the work tree the content.
fn lfs_add(repo: &TempRepo, rel: &str, content: &[u8]) {
    use sha2::{Digest, Sha256};
    let oid: String = Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
        content.len()
    );
    repo.add(rel, pointer);
    repo.write(rel, content);
    let dir = repo
        .path()
        .join(".git/lfs/objects")
        .join(&oid[..2])
        .join(&oid[2..4]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&oid), content).unwrap();
}

/// With `git lfs track '*.csv'` git stores a pointer and the extract sits in the LFS store:
/// every gate scanned the three-line pointer. The client gates read the content from the
/// local store; the server, which LFS objects never reach through a push, refuses the
/// pointer unless `[server] lfs = "pass"` (and `unscannable = "pass"`, which is about
/// content that cannot be decoded, does not accept it).
#[test]
fn a_patient_extract_committed_through_git_lfs_is_stopped() {
    let s = Server::new("pre-receive");
    let r = s
        .work
        .phiguard(&["install", "--hooks", "pre-commit,commit-msg,pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let csv = format!("name,ssn\nMaria Ortega,{SSN}\n");
    lfs_add(&s.work, "exports/patients.csv", csv.as_bytes());
    let (ok, text) = commit_through_hooks(&s.work, "extract");
    assert!(!ok, "pre-commit: {text}");
    assert!(text.contains("exports/patients.csv"), "{text}");
    assert_no_value(text.as_bytes(), &[SSN]);
    s.work.commit("extract");
    assert_eq!(
        range_of_last_commit(&s.work),
        (1, vec!["phi.ssn".to_owned()])
    );
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "pre-push: {text}");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
    assert!(
        text.contains("exports/patients.csv")
            && text.contains("a Git LFS pointer whose object is not in this repository")
            && text.contains("[server] lfs = \"pass\""),
        "{text}"
    );
    s.config("[server]\nunscannable = \"pass\"\n");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "unscannable = pass: {text}");
    s.config("[server]\nlfs = \"pass\"\n");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(ok, "{text}");
}

/// An edit of a file kept in Git LFS is compared with the old version's content, not with
/// its pointer: a clean line added passes, only a line with a value is found.
#[test]
fn an_edit_of_a_git_lfs_file_reports_only_the_lines_it_adds() {
    let repo = TempRepo::new();
    let old = format!("name,ssn\nMaria Ortega,{SSN}\n");
    lfs_add(&repo, "data/p.csv", old.as_bytes());
    repo.commit("history");
    let edited = format!("{old}Rosa Silva,pending\n");
    lfs_add(&repo, "data/p.csv", edited.as_bytes());
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.all());
    lfs_add(
        &repo,
        "data/p.csv",
        format!("{edited}Ava Smith,{}\n", "536-90-4398").as_bytes(),
    );
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let lines: Vec<u64> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [4], "{}", r.all());
}

/// A FHIR `DocumentReference` carrying a C-CDA (or a note) as base64 `data`, as FHIR moves
/// documents: the document's patient was invisible to every gate. It is decoded and judged,
/// each finding reported at the payload's line, and an edit elsewhere in the file does not
/// report it again.
#[test]
fn a_document_carried_as_base64_in_a_fhir_resource_is_stopped_at_every_gate() {
    use base64::Engine as _;
    let note = format!("Patient: Maria Ortega\nSSN: {SSN}\nSeen for an annual visit.\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(note.as_bytes());
    let doc = format!(
        "{{\n  \"resourceType\": \"DocumentReference\",\n  \"status\": \"current\",\n  \
         \"content\": [{{\"attachment\": {{\"contentType\": \"text/plain\",\n    \
         \"data\": \"{b64}\"}}}}]\n}}\n"
    );
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.add("records/docref.json", &doc);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(
        (r.code, r.rules()),
        (1, vec!["phi.ssn".to_owned()]),
        "{}",
        r.all()
    );
    let f = &r.json()["findings"][0];
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64()),
        (Some("records/docref.json"), Some(5))
    );
    assert_eq!(r.json()["summary"]["files"], 1);
    assert_no_value(r.all().as_bytes(), &[SSN, &b64[..24]]);
    assert_one_ssn_stopped_at_every_gate(&s, "docref");
    // An edit elsewhere in the file: the payload's line is old.
    s.work
        .add("records/docref.json", doc.replace("current", "superseded"));
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.all());
}

/// SQLite databases written by the real SQLite (`tests/fixtures/sqlite/make.py`).
mod sqlite {
    /// 300 made-up patients under `patients`, and a `visit log` table.
    pub const PATIENTS: &[u8] = include_bytes!("../fixtures/sqlite/patients.db");
    /// `PATIENTS` with a clean row added to `visit log`.
    pub const CLEAN_EDIT: &[u8] = include_bytes!("../fixtures/sqlite/clean-edit.db");
    /// `CLEAN_EDIT` with patient 301 added: `SSN` and nothing else.
    pub const ADDED: &[u8] = include_bytes!("../fixtures/sqlite/added.db");
    /// `PATIENTS` after `DELETE FROM patients`, its rows still in the file's free space.
    pub const DELETED: &[u8] = include_bytes!("../fixtures/sqlite/deleted.db");
    /// Values of `PATIENTS`' first row.
    pub const FIRST_ROW: [&str; 4] = ["MR6842486", "Haddad", "1979-12-08", "171-44-6210"];

    /// `PATIENTS` with a page size SQLite never writes.
    pub fn damaged() -> Vec<u8> {
        let mut bytes = PATIENTS.to_vec();
        bytes[16..18].copy_from_slice(&1000u16.to_be_bytes());
        bytes
    }
}

/// An SQLite database (a development copy of production, a test `.sqlite`) was binary to
/// every gate. Its tables are read as CSV now, named `database!table`, so its patients are
/// stopped like an export's, without a value in any output.
#[test]
fn a_sqlite_database_of_patients_is_stopped_at_every_gate() {
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.add("data/app.db", sqlite::PATIENTS);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let paths: std::collections::BTreeSet<String> =
        paths_with(&r, "rule").into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["data/app.db!patients"]
    );
    assert!(r.rules().contains(&"phi.ssn".to_owned()), "{}", r.all());
    let r = s.work.phiguard(&["scan", "--staged"]);
    assert_no_value(r.all().as_bytes(), &sqlite::FIRST_ROW);
    let (ok, text) = commit_through_hooks(&s.work, "app database");
    assert!(!ok, "pre-commit: {text}");
    assert_no_value(text.as_bytes(), &sqlite::FIRST_ROW);
    s.work.commit("app database");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
    assert!(text.contains("data/app.db!patients"), "{text}");
    assert_no_value(text.as_bytes(), &sqlite::FIRST_ROW);
}

/// A database is compared table by table with its old version, as an archive is member by
/// member: a clean row passes every gate; a patient added is the one finding, on its row.
#[test]
fn an_edit_of_a_sqlite_database_reports_only_the_rows_it_adds() {
    let s = server_holding(&[("data/app.db", sqlite::PATIENTS.to_vec())], "");
    s.work.add("data/app.db", sqlite::CLEAN_EDIT);
    assert_passes_every_gate(&s, "a clean visit");
    s.work.add("data/app.db", sqlite::ADDED);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1, "{}", r.all());
    // The header, 300 rows, then patient 301; its SSN under the `ssn` column.
    assert_eq!(findings[0]["path"], "data/app.db!patients");
    assert_eq!(findings[0]["line"], 302);
    assert_eq!(findings[0]["severity"], "block");
    let (ok, text) = commit_through_hooks(&s.work, "patient 301");
    assert!(!ok, "pre-commit: {text}");
    s.work.commit("patient 301");
    assert_eq!(range_of_last_commit(&s.work), (1, r.rules()));
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
}

/// `DELETE FROM patients` leaves the rows in the file (SQLite frees their bytes without
/// clearing them unless `secure_delete` is on): a database "cleaned" that way passed as
/// clean. Its recovered rows are a member of their own now, under their table's header,
/// and are stopped; deleting the rows from a database the repository already holds adds
/// nothing, since each recovered row reads as it did when it was live.
#[test]
fn rows_deleted_from_a_sqlite_database_but_still_in_it_are_stopped() {
    let s = Server::new("pre-receive");
    s.work.add("data/app.db", sqlite::DELETED);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let paths: std::collections::BTreeSet<String> =
        paths_with(&r, "rule").into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["data/app.db!patients (deleted rows)"]
    );
    s.work.commit("a cleaned database");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
    assert_no_value(text.as_bytes(), &sqlite::FIRST_ROW);

    let s = server_holding(&[("data/app.db", sqlite::PATIENTS.to_vec())], "");
    s.work.add("data/app.db", sqlite::DELETED);
    assert_passes_every_gate(&s, "patients deleted");
}

/// Workbooks written by openpyxl, as pandas' `to_excel` writes them
/// (`tests/fixtures/xlsx/make.py`).
mod xlsx {
    /// A `Patients` sheet: a header, then two made-up patients, one with its SSN typed as
    /// a number.
    pub const PATIENTS: &[u8] = include_bytes!("../fixtures/xlsx/openpyxl.xlsx");
    /// `PATIENTS` with a third patient: an SSN typed as a number, nothing else.
    pub const ADDED: &[u8] = include_bytes!("../fixtures/xlsx/openpyxl-added.xlsx");
}

/// An Excel workbook was scanned as the XML parts it is zipped as: a sheet's header was in
/// one part and its values in another, so an SSN typed as a number under `ssn` was never
/// found and one typed as text only warned (no label nearby); the export passed every
/// gate. Its sheets read as CSV now, `book.xlsx!Patients`, and both SSNs block.
#[test]
fn an_excel_patient_list_is_stopped_at_every_gate() {
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.add("exports/patients.xlsx", xlsx::PATIENTS);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let blocks: Vec<(String, String)> = paths_with(&r, "line")
        .into_iter()
        .zip(paths_with(&r, "severity"))
        .filter(|(_, (_, severity))| severity == "\"block\"")
        .map(|((path, line), _)| (path, line))
        .collect();
    assert_eq!(
        blocks,
        [
            ("exports/patients.xlsx!Patients".to_owned(), "2".to_owned()),
            ("exports/patients.xlsx!Patients".to_owned(), "3".to_owned())
        ],
        "{}",
        r.all()
    );
    let (ok, text) = commit_through_hooks(&s.work, "export");
    assert!(!ok, "pre-commit: {text}");
    assert_no_value(text.as_bytes(), &[SSN, "536904399", "772-10-4567"]);
    s.work.commit("export");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
    assert_no_value(text.as_bytes(), &[SSN, "536904399", "772-10-4567"]);
}

/// A workbook is compared sheet by sheet with its old version: a patient added is the one
/// finding, on its row.
#[test]
fn an_edit_of_an_excel_workbook_reports_only_the_rows_it_adds() {
    let s = server_holding(&[("exports/patients.xlsx", xlsx::PATIENTS.to_vec())], "");
    s.work.add("exports/patients.xlsx", xlsx::ADDED);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        paths_with(&r, "line"),
        [("exports/patients.xlsx!Patients".to_owned(), "4".to_owned())],
        "{}",
        r.all()
    );
}

/// A Word document was scanned as its XML: Word writes a non-breaking hyphen as an element
/// and splits a paragraph's text into runs wherever formatting or proofing marks change, so
/// an SSN typed into a letter was never one value. Its text is read now, a paragraph a
/// line, and the SSN blocks.
#[test]
fn an_ssn_in_a_word_document_is_one_value() {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t xml:space="preserve">Patient SSN: </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>{}</w:t><w:noBreakHyphen/><w:t>{}</w:t><w:noBreakHyphen/></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>"#,
        &SSN[..3],
        &SSN[4..6],
        &SSN[7..]
    );
    let s = Server::new("pre-receive");
    s.work.install_hooks();
    s.work.add(
        "letters/referral.docx",
        archive::zip(&[("word/document.xml", document.as_bytes())]),
    );
    assert_staged_one_ssn_at(&s, "letters/referral.docx!word/document.xml");
    assert_one_ssn_stopped_at_every_gate(&s, "referral letter");
}

/// A value in an archive's name was reported once for every member (each member's path
/// holds the archive's name); a value in a member's own name once with it.
#[test]
fn a_value_in_an_archives_name_is_reported_once() {
    let repo = TempRepo::new();
    let zip = archive::zip(&[
        ("a.txt", b"hello\n"),
        ("b.txt", b"hello\n"),
        (&format!("p_{SSN}.txt"), b"hello\n"),
    ]);
    repo.add(&format!("exports/batch_{SSN}.zip"), &zip);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    let at = |path: &str| (path.to_owned(), "0".to_owned());
    assert_eq!(
        paths_with(&r, "line"),
        [
            at("exports/batch_***********.zip"),
            at("exports/batch_***********.zip!p_***********.txt"),
        ],
        "{}",
        r.all()
    );
    assert_no_value(r.all().as_bytes(), &[SSN]);
}

/// A UTF-16 file's item was rebuilt from its path alone when decoded, so an archive member
/// in UTF-16 lost its archive (its own `tests/` directory downgraded it) and a file scanned
/// from a subdirectory lost its root-relative path.
#[test]
fn a_utf16_member_keeps_its_archive_for_path_policy() {
    let csv = format!("name,ssn\r\nMaria Ortega,{SSN}\r\n");
    let zip = archive::zip(&[("tests/p.csv", &utf16le(&csv))]);
    let repo = TempRepo::new();
    repo.add("data/x.zip", &zip);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(
        paths_with(&r, "severity"),
        [("data/x.zip!tests/p.csv".to_owned(), "\"block\"".to_owned())],
        "{}",
        r.all()
    );
}

/// A member that cannot be read was named without its archive: a value in the archive's
/// name was reported again for each such member. (A value in a name warns.)
#[test]
fn unreadable_members_report_only_their_own_names() {
    let zip = archive::encrypted(&[
        ("a.txt", b"hello\n"),
        (&format!("tests/p_{SSN}.txt"), b"hello\n"),
    ]);
    let repo = TempRepo::new();
    repo.add(&format!("exports/batch_{SSN}.zip"), &zip);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    let shown = |path: &str| (path.to_owned(), "\"warn\"".to_owned());
    assert_eq!(
        paths_with(&r, "severity"),
        [
            shown("exports/batch_***********.zip"),
            shown("exports/batch_***********.zip!tests/p_***********.txt"),
        ],
        "{}",
        r.all()
    );
    assert_no_value(r.all().as_bytes(), &[SSN]);
}

/// A binary data file no reader understands (a Word 97 letter, which keeps its text as
/// UTF-16 between binary records; a SAS or Stata data set; a pickle) was skipped as binary,
/// with every value in it. Its runs of text are now scanned, as the member `(text runs)`,
/// at every gate; an edit of it reports only the runs it adds.
#[test]
fn text_in_a_binary_file_is_scanned_at_every_gate() {
    let record = |text: &str| {
        // A compound file's 512-byte header: its magic, then mostly zeros.
        let mut b = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
        b.resize(512, 0);
        for unit in text.encode_utf16() {
            b.extend(unit.to_le_bytes());
        }
        b.extend(b"\0\0\xff\xfe\x03");
        b
    };
    let s = server_holding(&[], "");
    let letter = record(&format!("Referral for Rosa Ortega, patient SSN: {SSN}"));
    s.work.add("letters/referral.doc", &letter);
    assert_staged_one_ssn_at(&s, "letters/referral.doc!(text runs)");
    assert_one_ssn_stopped_at_every_gate(&s, "referral letter");

    // The same letter with a line of text added: only the added run is scanned as added.
    let mut edited = letter.clone();
    edited.extend(record(
        "Follow-up visit in two weeks, no change in medication",
    ));
    s.work.add("letters/referral.doc", &edited);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.all());
}

/// A PDF (a referral letter, a lab report) keeps its text in deflated content streams: read
/// as bytes it was noise, and `referral.pdf` got past every gate. The text its pages draw is
/// read and scanned as the member `(text)`.
#[test]
fn a_pdf_letter_is_read_as_the_text_it_draws_at_every_gate() {
    let page = format!(
        "BT /F1 11 Tf 72 720 Td (Referral for Rosa Ortega) Tj 0 -20 Td [(Patient SSN: {}) -20 ({})] TJ ET",
        &SSN[..4],
        &SSN[4..]
    );
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    pdf.extend(pdf_stream(2, "", page.as_bytes()));
    pdf.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    assert_letter_stopped_at_every_gate(&pdf);
}

/// PDF object `n`: a stream holding `bytes` deflated, `dict` (entries and a space, or
/// nothing) in its dictionary before its length and filter.
fn pdf_stream(n: u32, dict: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    let data = z.finish().unwrap();
    let mut out = format!(
        "{n} 0 obj\n<< {dict}/Length {} /Filter /FlateDecode >>\nstream\n",
        data.len()
    )
    .into_bytes();
    out.extend(&data);
    out.extend(b"\nendstream\nendobj\n");
    out
}

/// A referral letter `pdf` (holding [`SSN`] only as its pages draw it) is found staged at
/// `letters/referral.pdf!(text)`, and stopped by every gate.
fn assert_letter_stopped_at_every_gate(pdf: &[u8]) {
    assert!(!pdf.windows(SSN.len()).any(|w| w == SSN.as_bytes()));
    let s = server_holding(&[], "");
    s.work.add("letters/referral.pdf", pdf);
    assert_staged_one_ssn_at(&s, "letters/referral.pdf!(text)");
    assert_one_ssn_stopped_at_every_gate(&s, "referral letter");
}

/// A letter saved from Word or Chrome draws glyph numbers through a two-byte font's
/// `ToUnicode` map, with its page and font objects packed in a deflated object stream: read as
/// bytes its text held nothing, and the SSN in it got past every gate.
#[test]
fn a_pdf_letter_drawn_with_a_two_byte_font_is_read_at_every_gate() {
    // Glyph numbers: a character's code less 29, as in many TrueType fonts.
    let glyphs = |text: &str| -> String {
        let hex: String = text
            .bytes()
            .map(|b| format!("{:04X}", u16::from(b) - 29))
            .collect();
        format!("<{hex}>")
    };
    let content = format!(
        "BT /F1 11 Tf 72 720 Td {} Tj 0 -20 Td [{} -30 {}] TJ ET",
        glyphs("Referral for Rosa Ortega"),
        glyphs(&format!("Patient SSN: {}", &SSN[..4])),
        glyphs(&SSN[4..])
    );
    let cmap = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n1 beginbfrange\n<0003> <005D> <0020>\nendbfrange\nendcmap\nend\nend\n";
    let objects = [
        (1, "<< /Type /Catalog /Pages 2 0 R >>".to_owned()),
        (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned()),
        (3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_owned()),
        (5, "<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+Calibri /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>".to_owned()),
        (6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /AAAAAA+Calibri >>".to_owned()),
    ];
    let (mut header, mut body) = (String::new(), String::new());
    for (n, dict) in &objects {
        header.push_str(&format!("{n} {} ", body.len()));
        body.push_str(dict);
        body.push('\n');
    }
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let dict = format!(
        "/Type /ObjStm /N {} /First {} ",
        objects.len(),
        header.len() + 1
    );
    pdf.extend(pdf_stream(8, &dict, format!("{header}\n{body}").as_bytes()));
    pdf.extend(pdf_stream(4, "", content.as_bytes()));
    pdf.extend(pdf_stream(7, "", cmap.as_bytes()));
    pdf.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    assert_letter_stopped_at_every_gate(&pdf);
}

/// `text` in base64 as MIME writes it: 76 characters a line, lines joined by `eol`.
fn mime_base64(text: &str, eol: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    lines.join(eol)
}

/// Commits what `s.work` has staged through its hooks (refused), then without them, and
/// pushes it (refused by the server).
fn assert_refused_by_both_hooks(s: &Server) {
    let (ok, text) = commit_through_hooks(&s.work, "list");
    assert!(!ok, "pre-commit: {text}");
    s.work.commit("list");
    let (ok, text) = s.push(&["--no-verify", "main"]);
    assert!(!ok, "pre-receive: {text}");
}

/// An e-mail saved as `.eml` with a patient list attached: MIME writes an attachment in
/// base64, 76 characters a line, and the list got past every gate.
#[test]
fn a_patient_list_attached_to_a_saved_email_is_read_at_every_gate() {
    let csv = format!("mrn,name,ssn\nMR4000001,Rosa Ortega,{SSN}\n");
    let eml = format!(
        "From: clinic@hospital.example.org\r\nSubject: list\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee the attached list.\r\n--b1\r\nContent-Type: text/csv; name=\"list.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        mime_base64(&csv.repeat(3), "\r\n")
    );
    assert!(!eml.contains(SSN));
    let s = server_holding(&[], "");
    s.work.add("support/inbox/list.eml", &eml);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings.iter().any(
            |f| f["excerpt"].as_str().unwrap().starts_with("(base64 data) ")
                && f["path"] == "support/inbox/list.eml"
        ),
        "{findings:?}"
    );
    assert_no_value(&r.stdout, &[SSN]);
    assert_refused_by_both_hooks(&s);
}

/// The same e-mail committed with its list clean, then one row of the attachment changed to
/// hold an SSN: the added lines are base64 far below the part's headers, and they got past
/// every gate as the base64 they are.
#[test]
fn an_ssn_edited_into_an_attachment_committed_earlier_is_read_at_every_gate() {
    let eml = |value: &str| {
        let mut csv = String::from("mrn,name,ssn\n");
        for i in 0..40 {
            let v = if i == 30 { value } else { "unknown-val" };
            csv.push_str(&format!("MR40{i:05},Rosa Ortega,{v}\n"));
        }
        format!(
            "From: clinic@hospital.example.org\nSubject: list\nMIME-Version: 1.0\nContent-Type: text/csv; name=\"list.csv\"\nContent-Transfer-Encoding: base64\n\n{}\n",
            mime_base64(&csv, "\n")
        )
    };
    assert_eq!(SSN.len(), "unknown-val".len());
    let s = server_holding(
        &[("support/inbox/list.eml", eml("unknown-val").into_bytes())],
        "",
    );
    s.work.add("support/inbox/list.eml", eml(SSN));
    let diff = s.work.git(&["diff", "--cached", "-U0"]);
    assert!(!diff.contains("Content-Transfer-Encoding"), "{diff}");
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_no_value(&r.stdout, &[SSN]);
    assert_refused_by_both_hooks(&s);
}

/// A FHIR `DocumentReference` is how a discharge letter travels: a PDF in its attachment's
/// `data`, base64. Decoded, the PDF was binary and left out, and the letter got past every
/// gate; so did a zip in a `Binary`. A document carried as base64 is now opened as a file of
/// it is, its members reported as `path!member` at the payload's place.
#[test]
fn a_pdf_letter_inside_a_fhir_document_reference_is_read_at_every_gate() {
    use base64::Engine as _;
    let page = format!("BT /F1 11 Tf 72 720 Td (Discharge letter, Rosa Ortega, SSN: {SSN}) Tj ET");
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    pdf.extend(pdf_stream(2, "", page.as_bytes()));
    pdf.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    let data = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let json = format!(
        "{{\n  \"resourceType\": \"DocumentReference\",\n  \"status\": \"current\",\n  \"content\": [{{\"attachment\": {{\"contentType\": \"application/pdf\", \"data\": \"{data}\"}}}}]\n}}\n"
    );
    assert!(!json.contains(SSN));
    let s = server_holding(&[], "");
    s.work.add("records/discharge.json", &json);
    assert_staged_one_ssn_at(&s, "records/discharge.json!(text)");
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    let finding = &r.json()["findings"][0];
    let column = json.lines().nth(3).unwrap().find(&data).unwrap() as u64 + 1;
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(4), Some(column))
    );
    assert!(
        finding["excerpt"]
            .as_str()
            .unwrap()
            .starts_with("(base64 data) "),
        "{finding}"
    );
    assert_no_value(&r.stdout, &[SSN]);
    assert_one_ssn_stopped_at_every_gate(&s, "discharge letter");
}

/// A C-CDA's `nonXMLBody` carries a scanned note as base64 (`representation="B64"`), 76
/// characters a line. It was read as the base64 it is, at every gate; and once committed
/// clean, an edit of one of its lines adds no line near the tag that says it is base64.
#[test]
fn a_note_in_a_ccda_non_xml_body_is_read_at_every_gate_even_when_edited() {
    let cda = |value: &str| {
        let mut note = String::from("Progress note\n");
        for i in 0..40 {
            let v = if i == 30 { value } else { "unknown-val" };
            note.push_str(&format!("Visit {i:02}: Rosa Ortega, SSN {v}\n"));
        }
        format!(
            "<?xml version=\"1.0\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n  <component>\n    <nonXMLBody>\n      <text mediaType=\"text/plain\" representation=\"B64\">\n{}\n      </text>\n    </nonXMLBody>\n  </component>\n</ClinicalDocument>\n",
            mime_base64(&note, "\n")
        )
    };
    assert_eq!(SSN.len(), "unknown-val".len());
    // Added whole.
    let s = server_holding(&[], "");
    s.work.add("records/note.xml", cda(SSN));
    assert_staged_one_ssn_at(&s, "records/note.xml");
    assert_refused_by_both_hooks(&s);
    // Edited: only base64 lines far below the tag change.
    let s = server_holding(&[("records/note.xml", cda("unknown-val").into_bytes())], "");
    s.work.add("records/note.xml", cda(SSN));
    let diff = s.work.git(&["diff", "--cached", "-U0"]);
    assert!(!diff.contains("B64"), "{diff}");
    assert_staged_one_ssn_at(&s, "records/note.xml");
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_no_value(&r.stdout, &[SSN]);
    assert_one_ssn_stopped_at_every_gate(&s, "note");
}

/// A Stata data set keeps its strings in fixed-width fields padded with NULs, so a full-width
/// SSN ran into the next field, and its numbers and dates are binary: read as text runs, a
/// patient file saved from Stata or `DataFrame.to_stata` got past every gate. It is read as
/// its rows, CSV under the variable names, as the member `(rows)`.
#[test]
fn a_stata_data_set_is_read_as_its_rows_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "research/cohort.dta",
        include_bytes!("../fixtures/stata/v114.dta"),
        "research/cohort.dta!(rows)",
        &["536-90-4399", "418-27-3306", "536904399"],
    );
}

/// Stages `bytes` at `path`: the scan blocks an SSN reported at `member` and shows none of
/// `values`, and both hooks refuse the file.
fn assert_data_file_read_at_every_gate(path: &str, bytes: &[u8], member: &str, values: &[&str]) {
    let s = server_holding(&[], "");
    s.work.add(path, bytes);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "phi.ssn" && f["severity"] == "block" && f["path"] == member),
        "{path}: {findings:?}"
    );
    assert_no_value(&r.stdout, values);
    assert_refused_by_both_hooks(&s);
}

/// A patient extract saved with `DataFrame.to_parquet` (snappy-compressed pages) gave no
/// finding at any gate, or only SSNs without their column label: its text runs are
/// compressed. It is read as its rows, CSV under the column names, as the member `(rows)`.
#[test]
fn a_parquet_extract_is_read_as_its_rows_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "exports/patients.parquet",
        include_bytes!("../fixtures/parquet/pandas.parquet"),
        "exports/patients.parquet!(rows)",
        &["536-90-4399", "412-33-7810", "287-15-6032"],
    );
}

/// A patient extract saved with `DataFrame.to_feather` (Arrow IPC, LZ4-compressed buffers)
/// gave no finding at any gate: a string column's values are one run with no separator,
/// compressed on top. It is read as its rows, CSV under the column names, as the member
/// `(rows)`.
#[test]
fn a_feather_extract_is_read_as_its_rows_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "exports/patients.feather",
        include_bytes!("../fixtures/arrow/pandas.feather"),
        "exports/patients.feather!(rows)",
        &["536-90-4399", "418-27-3306"],
    );
}

/// An SPSS system file keeps numbers as binary doubles and compresses its cases; a SAS
/// transport file (`.xpt`, what trial data goes to the FDA in) keeps numbers as IBM floats
/// and its names in records far from the values: read as text runs, an SSN kept as a number
/// was invisible and a text one had no label. Each is read as its rows, CSV under the
/// variable names: `(rows)` for SPSS, a member per data set for a transport file.
#[test]
fn spss_and_sas_transport_files_are_read_as_their_rows_at_every_gate() {
    let cases: [(&str, &[u8], &str); 2] = [
        (
            "research/cohort.sav",
            include_bytes!("../fixtures/spss/bytecode.sav"),
            "research/cohort.sav!(rows)",
        ),
        (
            "submission/dm.xpt",
            include_bytes!("../fixtures/xport/v5.xpt"),
            "submission/dm.xpt!DM",
        ),
    ];
    for (path, bytes, member) in cases {
        let values = ["536-90-4399", "418-27-3306", "536904399"];
        assert_data_file_read_at_every_gate(path, bytes, member, &values);
    }
}

/// A SAS data set (`.sas7bdat`, saved with `COMPRESS=CHAR`) keeps numbers as binary doubles,
/// its column names in a text block apart from the rows, and its rows RLE-compressed: read
/// as text runs, an SSN kept as a number under a column `ssn` was invisible, and a text one
/// had no label. It is read as its rows, CSV under the column names, as the member `(rows)`.
#[test]
fn a_sas_data_set_is_read_as_its_rows_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "research/cohort.sas7bdat",
        include_bytes!("../fixtures/sas7bdat/patients-rle.sas7bdat"),
        "research/cohort.sas7bdat!(rows)",
        &["536-90-4399", "418-27-3306", "536904399"],
    );
}

/// A pandas DataFrame pickle (`df.to_pickle`, pandas 3 with pyarrow) keeps an SSN stored as
/// int64 as raw numpy bytes, its column names apart from the values, and its string
/// columns as Arrow buffers run together (`536-90-4399418-27-3306`): read as text runs,
/// none of the three values below was found. It is read as its rows, CSV under the column
/// names, as the member `(rows)`.
#[test]
fn a_pandas_pickle_is_read_as_its_rows_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "research/cohort.pkl",
        include_bytes!("../fixtures/pickle/pandas3.pkl"),
        "research/cohort.pkl!(rows)",
        &["536-90-4399", "418-27-3306", "536904399"],
    );
}

/// An Excel 97-2003 workbook (`.xls`) keeps its strings in one shared table, away from
/// their columns' headers, and its numbers as binary doubles: read as text runs, an SSN
/// typed as a number and every birth date were invisible. Each sheet is read as CSV, hidden
/// ones too, and named by the sheet: `book.xls!Patients`.
#[test]
fn an_excel_97_workbook_is_read_as_its_sheets_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "exports/patients.xls",
        include_bytes!("../fixtures/xls/patients.xls"),
        "exports/patients.xls!Patients",
        &["536-90-4399", "418-27-3306", "536904399"],
    );
}

/// Issue 20: the pre-commit hook counted every one of a staged patient extract's values
/// before refusing it (a 100,000-row extract: 0.38 s, 390,000 findings, 100 listed per rule).
/// In the human format each rule now stops counting in a file that blocks anyway, and the
/// report says its totals are lower bounds; JSON counts every value; an extract under a test
/// path, where PHI only warns, is counted in full; and a baseline, whose count entries need
/// the totals, turns the stop off.
#[test]
fn a_staged_patient_extract_stops_counting_once_it_blocks_and_json_counts_every_value() {
    let csv = patient_extract(1_500);
    let total = |j: &serde_json::Value| {
        let s = &j["summary"];
        s["block"].as_u64().unwrap() + s["warn"].as_u64().unwrap() + s["info"].as_u64().unwrap()
    };
    let repo = TempRepo::new();
    repo.install_hooks();
    repo.add("patients.csv", &csv);
    let (ok, text) = repo.git_in_env(&mut vec!["commit", "-m", "extract"], &[]);
    assert!(!ok, "the hook refuses the extract: {text}");
    assert!(
        text.contains("note: counting stopped after 200 finding(s)")
            && text.contains("; totals are lower bounds: counting stopped in 1 file(s) that block"),
        "{text}"
    );
    assert_no_value(text.as_bytes(), &["101-10-1000"]);
    let json = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(json.code, 1, "{}", json.all());
    let exact = total(&json.json());
    let exact_block = json.json()["summary"]["block"].as_u64().unwrap();
    assert!(exact >= 1_500, "every row counted: {exact}");
    assert!(!json.out().contains("counting stopped"));
    let human = repo.phiguard(&["scan", "--staged"]);
    let shown = |out: &str, word: &str| -> u64 {
        let line = out.lines().find(|l| l.starts_with("phiguard: ")).unwrap();
        let at = line.find(word).unwrap();
        let before = line[..at].trim_end();
        before[before.rfind(' ').unwrap() + 1..].parse().unwrap()
    };
    assert!(
        shown(&human.out(), " blocking") < exact_block,
        "{}",
        human.out()
    );
    // Under a test path the extract only warns: nothing stops, every value is counted.
    repo.git(&["rm", "-q", "--cached", "patients.csv"]);
    repo.add("tests/fixtures/patients.csv", &csv);
    let human = repo.phiguard(&["scan", "--staged"]);
    assert_eq!(human.code, 0, "{}", human.all());
    assert!(!human.out().contains("counting stopped"), "{}", human.out());
    let json = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(shown(&human.out(), " warning"), total(&json.json()));
    // With a baseline in use the human format counts every value too.
    repo.git(&["rm", "-q", "--cached", "tests/fixtures/patients.csv"]);
    for path in ["patients.csv", "tests/fixtures/patients.csv"] {
        std::fs::remove_file(repo.path().join(path)).unwrap();
    }
    repo.add("old.txt", format!("patient ssn: {SSN}\n"));
    let created = repo.phiguard(&["baseline", "create"]);
    assert_eq!(created.code, 0, "{}", created.all());
    repo.add("patients.csv", &csv);
    let human = repo.phiguard(&["scan", "--staged"]);
    assert_eq!(human.code, 1, "{}", human.all());
    assert!(!human.out().contains("counting stopped"), "{}", human.out());
    assert_eq!(
        shown(&human.out(), " blocking"),
        exact_block,
        "{}",
        human.out()
    );
}

/// An SSN written with the characters a word processor or a PDF puts in (en and em dashes,
/// a non-breaking hyphen, a minus sign, no-break spaces), typed with an East Asian input
/// method (full-width digits and hyphens), split by an invisible zero-width space, or with
/// its dashes escaped as JSON escapes them (`\u2013`) got
/// past every gate: the rules read ASCII. Detection reads those characters as the ASCII they
/// stand for; lines and columns are the file's, and no output holds the value in either form.
#[test]
fn an_ssn_written_in_look_alike_characters_is_found_at_every_gate() {
    let full_width = |s: &str| -> String {
        s.chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect()
    };
    let written = [
        SSN.replace('-', "\u{2013}"),
        SSN.replace('-', "\u{2014}"),
        SSN.replace('-', "\u{2011}"),
        SSN.replace('-', "\u{2212}"),
        SSN.replace('-', "\u{a0}"),
        full_width(SSN),
        SSN.replacen('9', "9\u{200b}", 1),
        // As Python's `json.dumps` writes an en dash.
        SSN.replace('-', "\\u2013"),
        // Circled digits, keycap emoji, underlined with a combining mark, superscripts.
        SSN.chars()
            .map(|c| match c.to_digit(10) {
                Some(0) => '\u{24ea}',
                Some(d) => char::from_u32(0x245F + d).unwrap(),
                None => c,
            })
            .collect(),
        SSN.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    format!("{c}\u{fe0f}\u{20e3}")
                } else {
                    c.to_string()
                }
            })
            .collect(),
        SSN.chars().map(|c| format!("{c}\u{332}")).collect(),
        SSN.chars()
            .map(|c| match c {
                '1' => '\u{b9}',
                '2' | '3' => char::from_u32(0xB2 + c as u32 - '2' as u32).unwrap(),
                '0' => '\u{2070}',
                '4'..='9' => char::from_u32(0x2074 + c as u32 - '4' as u32).unwrap(),
                c => c,
            })
            .collect(),
    ];
    assert_each_ssn_found_in_place(
        "notes/visit.txt",
        "Visit notes, pasted from the clinic's letter.",
        &written,
    );
}

/// Stages at `path` a text of `intro` and a line `Patient N: SSN <written[N]> seen today.`
/// for each way of writing the SSN: each blocks as `phi.ssn` at the file's own columns, no
/// output holds it in either form, and both hooks refuse the file.
fn assert_each_ssn_found_in_place(path: &str, intro: &str, written: &[String]) {
    let mut text = format!("{intro}\n");
    for (i, ssn) in written.iter().enumerate() {
        text.push_str(&format!("Patient {i}: SSN {ssn} seen today.\n"));
    }
    let s = server_holding(&[], "");
    s.work.add(path, &text);
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let ssns: Vec<_> = findings.iter().filter(|f| f["rule"] == "phi.ssn").collect();
    assert_eq!(ssns.len(), written.len(), "{findings:?}");
    for (i, (f, ssn)) in ssns.iter().zip(written).enumerate() {
        assert_eq!(f["severity"], "block", "{f}");
        // Columns count the file's bytes: the value starts after `Patient N: SSN `.
        let column = format!("Patient {i}: SSN ").len() + 1;
        assert_eq!(f["column"], column, "{f}");
        assert_eq!(f["end_column"], column + ssn.len(), "{f}");
    }
    let mut values: Vec<&str> = written.iter().map(String::as_str).collect();
    values.push(SSN);
    values.push("4399");
    assert_no_value(&r.stdout, &values);
    assert_refused_by_both_hooks(&s);
}

/// An SSN written in another script's digits got past every gate: an Arabic-language
/// intake form writes Arabic-Indic digits (`٥٣٦`), a Persian or Urdu one Extended
/// Arabic-Indic, a Hindi one Devanagari, and Bengali, Thai and the rest have their own; each
/// is a decimal digit to every reader and to Unicode. Detection reads them as the ASCII
/// digits they are; columns are the file's, and no output holds the value in either form.
#[test]
fn an_ssn_written_in_another_scripts_digits_is_found_at_every_gate() {
    // Each script's digit zero (Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali,
    // Gujarati, Tamil, Thai, Myanmar, Khmer, N'Ko).
    let zeros = [
        0x0660, 0x06F0, 0x0966, 0x09E6, 0x0AE6, 0x0BE6, 0x0E50, 0x1040, 0x17E0, 0x07C0,
    ];
    let written: Vec<String> = zeros
        .iter()
        .map(|zero| {
            SSN.chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from_u32(zero + d).unwrap(),
                    None => c,
                })
                .collect()
        })
        .collect();
    assert_each_ssn_found_in_place("notes/intake.txt", "Intake forms, as typed.", &written);
}

/// A value written with escapes got past every gate: an HTML or XML character reference
/// (`536&#45;90&#45;4399`, `&ndash;`, as an HTML export writes typographic dashes), a URL's
/// percent escape in a request log (`%2D`, `%E2%80%93`), a JSON or source-code escape of an
/// ASCII character (`\u002d`, `\x2d`) and PHP's `\/` in a date (`03\/14\/1980`). Each
/// reader decodes them, so detection reads them decoded; columns are the file's, and no
/// output holds the value in either form.
#[test]
fn a_value_written_with_html_url_or_code_escapes_is_found_at_every_gate() {
    let files = [
        (
            "web/record.html",
            vec![
                "<td>SSN</td><td>536&#45;90&#45;4399</td>",
                "<td>SSN</td><td>536&ndash;90&ndash;4399</td>",
                "<td>SSN</td><td>536&#x2011;90&#x2011;4399</td>",
            ],
        ),
        (
            "logs/access.log",
            vec![
                "GET /api/patients?ssn=536%2D90%2D4399 HTTP/1.1",
                "GET /api/patients?ssn=536%E2%80%9390%E2%80%934399 HTTP/1.1",
            ],
        ),
        (
            "api/patient.json",
            vec![r#"{"ssn": "536\u002d90\u002d4399", "birthDate": "03\/14\/1980"}"#],
        ),
        ("seed/load.py", vec![r#"ssn = "536\x2d90\x2d4399""#]),
    ];
    let s = server_holding(&[], "");
    for (path, lines) in &files {
        s.work.add(path, format!("{}\n", lines.join("\n")));
    }
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let mut values = vec![SSN, "03/14/1980", r"03\/14\/1980"];
    for (path, lines) in &files {
        for (n, line) in lines.iter().enumerate() {
            let start = line.find("536").unwrap();
            let end = line.rfind("4399").unwrap() + 4;
            values.push(&line[start..end]);
            let f = findings
                .iter()
                .find(|f| f["path"] == *path && f["line"] == n + 1 && f["rule"] == "phi.ssn")
                .unwrap_or_else(|| panic!("no SSN at {path}:{}: {findings:?}", n + 1));
            assert_eq!(f["severity"], "block", "{f}");
            assert_eq!(f["column"], start + 1, "{f}");
            assert_eq!(f["end_column"], end + 1, "{f}");
        }
    }
    let dob = findings
        .iter()
        .find(|f| f["path"] == "api/patient.json" && f["rule"] == "phi.dob")
        .unwrap_or_else(|| panic!("no birth date: {findings:?}"));
    assert_eq!(dob["severity"], "block", "{dob}");
    assert_no_value(&r.stdout, &values);
    assert_refused_by_both_hooks(&s);
}

/// A value split by inline markup got past every gate: Word's "Save as HTML" closes and
/// opens a `<span>` wherever formatting or language changes, breaking its tags over lines
/// (`536-90-</span><span\nlang=EN-US ...>4399`), and a C-CDA narrative bolds part of a value
/// with `<content styleCode="Bold">`. Detection reads through inline tags whose attributes
/// are only presentation; each line stays where it is.
#[test]
fn a_value_split_by_inline_tags_in_html_or_a_ccda_narrative_is_found_at_every_gate() {
    let (a, b) = SSN.split_at(7);
    let files = [
        (
            "letters/referral.htm",
            format!(
                "<p class=MsoNormal>Patient SSN: <span style='font-size:11.0pt;font-family:\"Calibri\",sans-serif'>{a}</span><span\nlang=EN-US style='font-size:11.0pt'>{b}</span></p>\n"
            ),
        ),
        (
            "records/summary.xml",
            format!(
                "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><component><structuredBody><component><section><text><table><tr><td>SSN</td><td><content styleCode=\"Bold\">{a}</content>{b}</td></tr></table></text></section></component></structuredBody></component></ClinicalDocument>\n"
            ),
        ),
    ];
    let s = server_holding(&[], "");
    for (path, text) in &files {
        s.work.add(path, text);
    }
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    for (path, text) in &files {
        let f = finding_of(&findings, path, "phi.ssn");
        assert_eq!(f["severity"], "block", "{f}");
        // The value starts where its first piece is, on the file's first line.
        assert_eq!(f["line"], 1, "{f}");
        assert_eq!(f["column"], text.find(a).unwrap() + 1, "{f}");
    }
    assert_no_value(&r.stdout, &[SSN]);
    assert_refused_by_both_hooks(&s);
}

/// A value split by tags written with escapes, or written with escapes of escapes, got past
/// every gate: a FHIR narrative in JSON escapes its attributes' quotes (`<span
/// style=\"font-weight:bold\">`), PHP writes `<\/b>`, Go's encoder writes `<` as `\u003c`
/// and `&#45;` as `\u0026#45;`, a narrative escaped into XML reads `&lt;content ...&gt;`,
/// HTML escaped twice `&amp;ndash;`, a URL escaped twice `%252D`, JavaScript's `escape()`
/// `%u2013`, and JSON inside a JSON string `\\u002d`. Each is read decoded, in the file's
/// own columns.
#[test]
fn a_value_split_by_escaped_tags_or_written_with_escaped_escapes_is_found_at_every_gate() {
    let (a, b, c) = (&SSN[..3], &SSN[4..6], &SSN[7..]);
    let files = [
        (
            "fhir/patient.json",
            format!(
                r#"{{"resourceType":"Patient","text":{{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">SSN {a}-<span style=\"font-weight:bold\">{b}</span>-{c}</div>"}}}}"#
            ),
        ),
        (
            "api/note.json",
            format!(r#"{{"note":"SSN {a}-<b>{b}<\/b>-{c}"}}"#),
        ),
        (
            "api/go.json",
            format!(r#"{{"note":"SSN {a}-\u003cb\u003e{b}\u003c/b\u003e-{c}"}}"#),
        ),
        (
            "api/ref.json",
            format!(r#"{{"note":"SSN {a}\u0026#45;{b}\u0026#45;{c}"}}"#),
        ),
        (
            "records/escaped.xml",
            format!(
                "<text>SSN {a}-&lt;content styleCode=&quot;Bold&quot;&gt;{b}&lt;/content&gt;-{c}</text>"
            ),
        ),
        (
            "records/twice.xml",
            format!("<t>SSN {a}&amp;ndash;{b}&amp;#45;{c}</t>"),
        ),
        (
            "logs/twice.log",
            format!("GET /p?ssn={a}%252D{b}%252D{c} HTTP/1.1"),
        ),
        (
            "logs/escape.log",
            format!("GET /p?ssn={a}%u2013{b}%u2013{c} HTTP/1.1"),
        ),
        (
            "api/inner.json",
            format!(r#"{{"inner":"{{\"ssn\":\"{a}\\u002d{b}\\u002d{c}\"}}"}}"#),
        ),
    ];
    let s = server_holding(&[], "");
    for (path, line) in &files {
        s.work.add(path, format!("{line}\n"));
    }
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let mut values = vec![SSN];
    for (path, line) in &files {
        let start = line.find(a).unwrap();
        let end = line.rfind(c).unwrap() + c.len();
        values.push(&line[start..end]);
        let f = finding_of(&findings, path, "phi.ssn");
        assert_eq!(f["severity"], "block", "{f}");
        assert_eq!(f["line"], 1, "{f}");
        assert_eq!(f["column"], start + 1, "{f}");
        assert_eq!(f["end_column"], end + 1, "{f}");
    }
    assert_no_value(&r.stdout, &values);
    assert_refused_by_both_hooks(&s);
}

/// An MBI typed in lower case got past every gate: the rule read upper case only, while CMS
/// reads `4ef6gh8jk12` as `4EF6GH8JK12` (detectors.md D5: a case-insensitive copy, run with
/// context). Beside a Medicare label it blocks; without one, and the CMS card example, stay
/// quiet.
#[test]
fn a_lower_case_mbi_beside_a_medicare_label_is_found_at_every_gate() {
    let s = server_holding(&[], "");
    s.work.add(
        "members/eligibility.json",
        "{\"medicareId\": \"4ef6gh8jk12\"}\nMedicare ID: 3cd5-fg7-hj89\nbuild 4ef6gh8jk12\nmbi: 1eg4-te5-mk73\n",
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(
        rule_lines(&findings, "phi.mbi-lowercase"),
        [
            (
                "members/eligibility.json".to_string(),
                1,
                "block".to_string()
            ),
            (
                "members/eligibility.json".to_string(),
                2,
                "block".to_string()
            )
        ],
        "{findings:?}"
    );
    assert_no_value(&r.stdout, &["4ef6gh8jk12", "3cd5-fg7-hj89"]);
    assert_refused_by_both_hooks(&s);
}

/// An MBI typed in lower case under a CSV column labelled as Medicare got past every gate:
/// the column's check read upper case only (and `phi.mbi-lowercase` needs a label on the
/// value's line). It blocks as the upper-case MBI does; the CMS card example stays
/// synthetic, and a value of that shape under another column stays quiet.
#[test]
fn a_lower_case_mbi_under_a_medicare_column_is_found_at_every_gate() {
    let s = server_holding(&[], "");
    s.work.add(
        "exports/members.csv",
        "name,medicare_id,plan\nRosa Ortega,3cd5fg7hj89,GOLD\nAda Kim,1eg4te5mk73,GOLD\n",
    );
    s.work
        .add("exports/builds.csv", "job,hash\nnightly,3cd5fg7hj89\n");
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(
        rule_lines(&findings, "phi.column"),
        [("exports/members.csv".to_string(), 2, "block".to_string())],
        "{findings:?}"
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_no_value(&r.stdout, &["3cd5fg7hj89"]);
    assert_refused_by_both_hooks(&s);
}

/// An SSN written against its label (`SSN536-90-4399`, a log's `patientSSN536904399`) or
/// against the next field's (`SSN:536-90-4399DOB:…`, a fixed-width dump) got past every
/// gate: `phi.ssn` wants a word boundary on both sides of the value. Glued to an SSN label
/// it blocks; glued to nothing that says SSN, or inside a longer number, it stays quiet.
#[test]
fn an_ssn_glued_to_its_label_or_the_next_field_is_found_at_every_gate() {
    let s = server_holding(&[], "");
    s.work.add(
        "logs/lookup.log",
        "2024-01-02 lookup patientSSN536904399 ok\nNAME:ORTEGA,ROSA SSN:418-27-3306DOB:19610412\n",
    );
    s.work.add(
        "logs/other.log",
        "build 536-90-4399X\nSSN536-90-43991\nclassname536904399\n",
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(
        rule_lines(&findings, "phi.ssn-glued"),
        [
            ("logs/lookup.log".to_string(), 1, "block".to_string()),
            ("logs/lookup.log".to_string(), 2, "block".to_string())
        ],
        "{findings:?}"
    );
    assert!(
        findings.iter().all(|f| f["path"] == "logs/lookup.log"),
        "{findings:?}"
    );
    assert_no_value(&r.stdout, &["536904399", "418-27-3306"]);
    assert_refused_by_both_hooks(&s);
}

/// A phone number with a country code was never reported: the phone rules read NANP
/// numbers only, while a patient's number is PHI whatever its country (Presidio's phone
/// recognizer tests are mostly such numbers). In a FHIR Patient's `telecom` it warns, as a
/// US number does; alone it is info; Ofcom's drama numbers, unassigned country codes and
/// C's `+2147483647` are not numbers.
#[test]
fn a_phone_number_with_a_country_code_is_reported_and_warns_in_a_patient_record() {
    let s = server_holding(&[], "");
    s.work.add(
        "records/patient.json",
        r#"{"resourceType": "Patient", "telecom": [{"system": "phone", "value": "+44 20 7123 4568"}]}
"#,
    );
    s.work.add(
        "notes/contacts.txt",
        "Brazil: +55 11 98456 5666\nUK drama: +44 20 7946 0123\nnowhere: +214 1234 5678\n",
    );
    s.work
        .add("src/limits.c", "assert(encoding(+2147483647) == INT32);\n");
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(
        rule_lines(&findings, "phi.phone-international"),
        [
            ("notes/contacts.txt".to_string(), 1, "info".to_string()),
            ("records/patient.json".to_string(), 1, "warn".to_string())
        ],
        "{findings:?}"
    );
    assert_no_value(&r.stdout, &["+44 20 7123 4568", "+55 11 98456 5666"]);
}

/// A phone number in a national format (a trunk `0`, no `+` code: `0151 23856794` in
/// Germany, `06 48 27 93 15` in France, `(03) 9123 4867` in Australia) was never reported,
/// even after a phone label: the phone rules read NANP numbers and `+` codes only. After a
/// label it is now `phi.phone-national`, warn in a patient record (a FHIR Patient's
/// `telecom`) and info elsewhere; fictional ranges (Ofcom's drama numbers, a `555`
/// subscriber number), a date with an hour and an unlabelled number are not reported, nor is
/// the phone of a practitioner in a file named for its resource (`Practitioner-f001.prototxt`).
#[test]
fn a_labelled_phone_number_in_a_national_format_is_reported_and_warns_in_a_patient_record() {
    let s = server_holding(&[], "");
    s.work.add(
        "records/patient.json",
        r#"{"resourceType": "Patient", "telecom": [{"system": "phone", "value": "0151 23856794"}]}
"#,
    );
    s.work.add(
        "notes/contacts.txt",
        "tel: 06 48 27 93 15\nphone: (03) 9123 4867\nUK drama phone: 020 7946 0958\n\
         work phone: (03) 5555 6473\nphone: 01-02-2023 10\nunlabelled 0151 23856794\n",
    );
    s.work.add(
        "spec/Practitioner-f001.prototxt",
        "text { div: \"<p>telecom: ph: 0205568263(WORK), fax: 0205664440(WORK)</p>\" }\n",
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(
        rule_lines(&findings, "phi.phone-national"),
        [
            ("notes/contacts.txt".to_string(), 1, "info".to_string()),
            ("notes/contacts.txt".to_string(), 2, "info".to_string()),
            ("records/patient.json".to_string(), 1, "warn".to_string())
        ],
        "{findings:?}"
    );
    assert_no_value(
        &r.stdout,
        &["0151 23856794", "06 48 27 93 15", "9123 4867", "23856794"],
    );
}

/// HIPAA's health-plan beneficiary (member, subscriber, Medicaid), account and licence
/// (driver's licence, passport) numbers were never reported outside a CSV column or a FHIR
/// or HL7 identifier: `Member ID: XGH482913370` under a patient's name and birth date got
/// past every gate. After its label each is now found (`phi.member-id`,
/// `phi.account-number`, `phi.licence`), warn alone and blocking beside the patient;
/// `member` inside `remember`, an IAM `policy_id`, a placeholder (`HMO-12345`) and
/// Synthea's passports (`X…X`) are not.
#[test]
fn a_labelled_member_account_or_licence_number_is_found_at_every_gate() {
    let s = server_holding(&[], "");
    s.work.add(
        "intake/notes.txt",
        "Patient: Lucia Ortega\nDOB: 1961-04-12\nMember ID: XGH482913370\n\
         driver's license: D4821937\npatient account #: 77821934\n",
    );
    s.work.add(
        "src/notes.txt",
        "remember number 48213376\npolicy_id: 48213376\n\
         \"subscriberId\": \"HMO-12345\"\npassport: X48219370X\n",
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    for (rule, line) in [
        ("phi.member-id", 3),
        ("phi.licence", 4),
        ("phi.account-number", 5),
    ] {
        assert_eq!(
            rule_lines(&findings, rule),
            [("intake/notes.txt".to_string(), line, "block".to_string())],
            "{findings:?}"
        );
    }
    assert!(
        findings.iter().all(|f| f["path"] == "intake/notes.txt"),
        "{findings:?}"
    );
    assert_no_value(&r.stdout, &["XGH482913370", "D4821937", "77821934"]);
    assert_refused_by_both_hooks(&s);
}

/// HIPAA's dates tied to a person besides the birth date (Safe Harbor C: death, admission,
/// discharge) were never reported: `date of death: 2023-03-14` beside a patient's MRN, or a
/// FHIR Patient's `deceasedDateTime`, got past every gate. After its label each is now
/// `phi.event-date`, read as a date of birth is (a real date, not a placeholder), an anchor
/// that an identifier in the same hunk raises to blocking.
#[test]
fn a_labelled_date_of_death_admission_or_discharge_is_found_at_every_gate() {
    let s = server_holding(&[], "");
    s.work.add(
        "intake/discharge.txt",
        "MRN: H4471923\nadmission date: 04/12/2023\ndischarge_date = \"2023-04-19\"\n\
         date of death: 2023-03-14\n",
    );
    s.work.add(
        "src/power.txt",
        "capacitor_discharge_ms: 20230419\ndeceasedBoolean: true\nadmission date: 02/30/2023\n",
    );
    let r = s.work.phiguard(&["--format", "json", "scan", "--staged"]);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(
        rule_lines(&findings, "phi.event-date"),
        [2, 3, 4].map(|n| ("intake/discharge.txt".to_string(), n, "block".to_string())),
        "{findings:?}"
    );
    assert!(
        findings.iter().all(|f| f["path"] == "intake/discharge.txt"),
        "{findings:?}"
    );
    assert_no_value(&r.stdout, &["04/12/2023", "2023-04-19", "2023-03-14"]);
    assert_refused_by_both_hooks(&s);
}

/// The first finding of `rule` in `path`.
fn finding_of<'a>(
    findings: &'a [serde_json::Value],
    path: &str,
    rule: &str,
) -> &'a serde_json::Value {
    findings
        .iter()
        .find(|f| f["path"] == path && f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {path}: {findings:?}"))
}

/// The (path, line, severity) of each finding of `rule`, in report order.
fn rule_lines(findings: &[serde_json::Value], rule: &str) -> Vec<(String, u64, String)> {
    findings
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// An Outlook message (`.msg`, a compound file) was read only as its text runs: its body was
/// found, but an attachment is kept raw in a stream of its own, so a patient list attached
/// zipped (or as `.xlsx`, `.pdf`) was never opened and the message got past every gate. Its
/// text is the member `(message)`, each attachment a member under its file name, opened in
/// turn: `mail/referral.msg!patients.zip!patients.csv`.
#[test]
fn an_outlook_message_with_a_zipped_patient_list_attached_is_read_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "mail/referral.msg",
        include_bytes!("../fixtures/msg/attached_zip.msg"),
        "mail/referral.msg!patients.zip!patients.csv",
        &["536-90-4399"],
    );
}

/// A letter saved as RTF (what EHRs and WordPad write), with its SSN split into runs where
/// Word changed formatting and its dash written `\'96`, and an Outlook message written in
/// RTF (whose only body is the compressed RTF stream) got past every gate. An RTF document is
/// read as its text, the member `(text)`; a message's RTF body is decompressed and read into
/// `(message)`.
#[test]
fn an_rtf_letter_and_an_outlook_message_written_in_rtf_are_read_at_every_gate() {
    let letter = format!(
        "{{\\rtf1\\ansi\\ansicpg1252{{\\fonttbl{{\\f0 Calibri;}}}}\\pard Re: Rosa Ortega\\par SSN {{\\insrsid1 {}\\'96}}{{\\b\\insrsid2 {}}}\\par}}\n",
        536, "90-4399"
    );
    assert_data_file_read_at_every_gate(
        "letters/referral.rtf",
        letter.as_bytes(),
        "letters/referral.rtf!(text)",
        &[SSN],
    );
    assert_data_file_read_at_every_gate(
        "mail/letter.msg",
        include_bytes!("../fixtures/msg/rtf_body.msg"),
        "mail/letter.msg!(message)",
        &[SSN],
    );
}

/// A PowerPoint slide keeps its text in runs, split where formatting changes: a case
/// review's `Patient SSN 536-9` and bold `0-4399` were two runs of XML, and the slide's table
/// had its header cells far from its values, so the deck got past every gate with one
/// unlabelled warning. Slides, notes and comments are read as text, as Word documents are.
#[test]
fn a_powerpoint_slide_with_a_value_split_across_runs_is_read_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "reviews/case.pptx",
        include_bytes!("../fixtures/pptx/case.pptx"),
        "reviews/case.pptx!ppt/slides/slide1.xml",
        &[SSN, "418-27-3306"],
    );
}

/// An OpenDocument text (`.odt`, LibreOffice Writer) keeps a value split where its
/// formatting changes in a `text:span` of `content.xml`: `SSN 536-9` and a bold `0-4399`
/// got past every gate. Detection reads through the span as through HTML's.
#[test]
fn an_opendocument_letter_with_a_value_split_by_a_span_is_read_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "letters/letter.odt",
        include_bytes!("../fixtures/odt/letter.odt"),
        "letters/letter.odt!content.xml",
        &[SSN],
    );
}

/// A patient list compressed with xz, bzip2 or zstd (`df.to_csv("patients.csv.xz")`) was
/// skipped with a note by every local hook, and only a server set to reject unscannable
/// content refused it. Each is opened as a gzip file is, its one member named without the
/// suffix.
#[test]
fn a_patient_list_compressed_with_xz_bzip2_or_zstd_is_read_at_every_gate() {
    let cases: [(&str, &[u8]); 3] = [
        (
            "exports/patients.csv.xz",
            include_bytes!("../fixtures/compressed/patients.csv.xz"),
        ),
        (
            "exports/patients.csv.bz2",
            include_bytes!("../fixtures/compressed/patients.csv.bz2"),
        ),
        (
            "exports/patients.csv.zst",
            include_bytes!("../fixtures/compressed/patients.csv.zst"),
        ),
    ];
    for (path, bytes) in cases {
        let member = format!("{path}!patients.csv");
        assert_data_file_read_at_every_gate(path, bytes, &member, &[SSN, "418-27-3306"]);
    }
}

/// A patient list compressed with lz4 or lzip, or archived with 7-Zip, was skipped with a
/// note by every local hook ("which phiguard does not open"), and only a server set to reject
/// unscannable content refused it. Each is opened now: the compressed file's one member named
/// without the suffix, the 7z archive's files as its members.
#[test]
fn a_patient_list_compressed_with_lz4_or_lzip_or_in_a_7z_archive_is_read_at_every_gate() {
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "exports/patients.csv.lz4",
            include_bytes!("../fixtures/compressed/patients.csv.lz4"),
            "exports/patients.csv.lz4!patients.csv",
        ),
        (
            "exports/patients.csv.lz",
            include_bytes!("../fixtures/compressed/patients.csv.lz"),
            "exports/patients.csv.lz!patients.csv",
        ),
        (
            "exports/patients.7z",
            include_bytes!("../fixtures/compressed/patients.7z"),
            "exports/patients.7z!patients.csv",
        ),
    ];
    for (path, bytes, member) in cases {
        assert_data_file_read_at_every_gate(path, bytes, member, &[SSN, "418-27-3306"]);
    }
}

/// A patient list in a zip whose member is compressed with bzip2 (`zip -Z bzip2`, 7-Zip's
/// `-mm=BZip2`), LZMA (`-mm=LZMA`), zstd (Python's `zipfile`, libzip) or Deflate64 (7-Zip,
/// Windows Explorer) was an unreadable member, "compressed with a method phiguard does not
/// read": every local hook passed it with a note. Each member is decoded now, within the
/// limits a file of its kind gets, and read as a deflated one is.
#[test]
fn a_patient_list_in_a_zip_compressed_with_bzip2_lzma_zstd_or_deflate64_is_read_at_every_gate() {
    let cases: [(&str, &[u8]); 5] = [
        (
            "exports/patients-bzip2.zip",
            include_bytes!("../fixtures/compressed/patients-infozip-bzip2.zip"),
        ),
        (
            "exports/patients-7zip-bzip2.zip",
            include_bytes!("../fixtures/compressed/patients-BZip2.zip"),
        ),
        (
            "exports/patients-lzma.zip",
            include_bytes!("../fixtures/compressed/patients-LZMA.zip"),
        ),
        (
            "exports/patients-zstd.zip",
            include_bytes!("../fixtures/compressed/patients-zstd.zip"),
        ),
        (
            "exports/patients-deflate64.zip",
            include_bytes!("../fixtures/compressed/patients-Deflate64.zip"),
        ),
    ];
    for (path, bytes) in cases {
        let member = format!("{path}!patients.csv");
        assert_data_file_read_at_every_gate(path, bytes, &member, &[SSN, "418-27-3306"]);
    }
}

/// An OpenDocument spreadsheet (pandas `to_excel(engine="odf")`, LibreOffice's own format)
/// was scanned as the XML of its `content.xml`: a numeric SSN was a bare number far from its
/// `ssn` header, and a patient list saved as `.ods` gave no finding. Its tables are now read
/// as CSV, like an Excel workbook's sheets.
#[test]
fn an_opendocument_spreadsheet_is_read_as_its_tables_at_every_gate() {
    assert_data_file_read_at_every_gate(
        "exports/patients.ods",
        include_bytes!("../fixtures/ods/patients.ods"),
        "exports/patients.ods!Patients",
        &["536-90-4399", "418-27-3306", "536904399"],
    );
}
