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
