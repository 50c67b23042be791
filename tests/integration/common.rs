//! Test support: a [`TempRepo`] builder over the real `git` CLI and a runner for the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A synthetic SSN that passes every validator (area 536, group 90, serial 4399).
pub const SSN: &str = "536-90-4399";
/// A generated AWS access key id (not a real key).
pub const AWS_KEY: &str = "AKIAOUDOCUZRENUN7Z5J";

/// The phiguard binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_phiguard"))
}

/// A git repository in a temporary directory, with a fixed identity and no user config.
pub struct TempRepo {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl TempRepo {
    /// `git init` with an empty HEAD (unborn).
    pub fn new() -> TempRepo {
        let repo = TempRepo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A bare repository.
    pub fn bare() -> TempRepo {
        let repo = TempRepo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "--bare", "-b", "main"]);
        repo
    }

    /// The work tree (or git dir, for a bare repo).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `HOME` without any user configuration.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Environment shared by git and phiguard: isolated from the developer's config.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("PHIGUARD_CONFIG_HOME", self.home.path().join("phiguard"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "Test Author")
            .env("GIT_COMMITTER_EMAIL", "author@example.com")
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .env_remove("PHIGUARD");
    }

    /// Runs git in the repository; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs git in the repository and returns its output whatever the status.
    pub fn git_output(&self, args: &[&str]) -> Output {
        self.git_in(self.path(), args)
    }

    /// Runs git in `dir` with this repository's environment.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir).stdin(Stdio::null());
        self.env(&mut cmd);
        cmd.output().unwrap()
    }

    /// Runs git in the repository with extra environment; returns (success, all output).
    pub fn git_in_env(&self, args: &mut Vec<&str>, vars: &[(&str, &str)]) -> (bool, String) {
        let mut cmd = Command::new("git");
        cmd.args(args.iter())
            .current_dir(self.path())
            .stdin(Stdio::null());
        self.env(&mut cmd);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Writes a file (creating directories).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &TempRepo {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    /// Writes and stages a file.
    pub fn add(&self, rel: &str, content: impl AsRef<[u8]>) -> &TempRepo {
        self.write(rel, content);
        self.git(&["add", "--", rel]);
        self
    }

    /// Commits what is staged, bypassing hooks.
    pub fn commit(&self, msg: &str) -> String {
        self.git(&["commit", "-q", "--no-verify", "-m", msg]);
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Runs phiguard in the repository.
    pub fn phiguard(&self, args: &[&str]) -> Run {
        self.phiguard_in(self.path(), args, None)
    }

    /// Runs phiguard in `dir`, with optional stdin.
    pub fn phiguard_in(&self, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = Command::new(bin());
        cmd.args(args).current_dir(dir);
        self.env(&mut cmd);
        run(cmd, stdin)
    }

    /// Installs the hooks with the binary under test.
    pub fn install_hooks(&self) {
        let r = self.phiguard(&["install", "--hooks", "pre-commit,commit-msg"]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
}

/// Output of one run.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Run {
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.out(), self.err())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.all()))
    }
    /// The rule ids reported in `--format json` output.
    pub fn rules(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Runs a command, feeding `stdin`.
pub fn run(mut cmd: Command, stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        // A child that exits before reading (a usage error) closes the pipe: not a test failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(input) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// Runs phiguard outside any repository, with stdin.
pub fn phiguard_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR");
    run(cmd, Some(stdin))
}

/// Asserts that none of `values` occurs in `bytes` (the never-echo rule).
pub fn assert_no_value(bytes: &[u8], values: &[&str]) {
    for v in values {
        let hit = bytes.windows(v.len()).any(|w| w == v.as_bytes());
        assert!(
            !hit,
            "output contains the value {v:?}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// A bare server repository with a phiguard hook, and a clone to push from.
pub struct Server {
    /// The server side.
    pub bare: TempRepo,
    /// The clone pushed from.
    pub work: TempRepo,
}

impl Server {
    pub fn new(hook: &str) -> Server {
        let bare = TempRepo::bare();
        let work = TempRepo::new();
        work.git(&["remote", "add", "origin", bare.path().to_str().unwrap()]);
        work.add("README.md", "hello\n");
        work.commit("init");
        let out = work.git_output(&["push", "-q", "origin", "main"]);
        assert!(out.status.success());
        let s = Server { bare, work };
        s.install(hook);
        s
    }

    pub fn install(&self, hook: &str) {
        let path = self.bare.path().join("hooks").join(hook);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, phiguard::install::shim(hook, Some(&bin()))).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    pub fn config(&self, toml: &str) {
        std::fs::write(self.bare.path().join("phiguard.toml"), toml).unwrap();
    }

    pub fn push(&self, args: &[&str]) -> (bool, String) {
        let mut all = vec!["push", "origin"];
        all.extend_from_slice(args);
        let out = self.work.git_output(&all);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_value(text.as_bytes(), &[SSN, "536904399"]);
        (out.status.success(), text)
    }

    pub fn server_has(&self, refname: &str) -> Option<String> {
        let out = self
            .bare
            .git_output(&["rev-parse", "--verify", "-q", refname]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// Runs `cmd` (with `stdin`) but gives up after `secs` seconds: the child is killed and `None`
/// returned. For regression tests of hangs, so that a hang fails the test instead of stalling
/// the suite; the bound is far above the run's real time and measures nothing.
pub fn run_within(mut cmd: Command, stdin: Option<&[u8]>, secs: u64) -> Option<Run> {
    use std::io::{Read, Write};
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(out.try_clone().unwrap())
    .stderr(err.try_clone().unwrap());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        let _ = child.stdin.take().unwrap().write_all(input);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |mut f: std::fs::File| {
        use std::io::Seek;
        let mut v = Vec::new();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut v).unwrap();
        v
    };
    Some(Run {
        code: status.code().unwrap_or(-1),
        stdout: read(out),
        stderr: read(err),
    })
}

/// The first fenced block of `lang` after the heading `heading` in `markdown`: tests run the
/// documentation's snippets as written, so the two cannot drift apart.
pub fn fenced_block(markdown: &str, heading: &str, lang: &str) -> String {
    let section = &markdown[markdown
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no heading {heading:?}"))..];
    let open = format!("```{lang}\n");
    let start = section.find(&open).unwrap() + open.len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_owned()
}

/// Runs `cmd` and returns whether it succeeded and its stdout and stderr together, asserting
/// that neither holds any of `values`.
pub fn output_without(cmd: &mut Command, values: &[&str]) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_value(text.as_bytes(), values);
    (out.status.success(), text)
}
