//! The pre-commit framework (the real `pre-commit` package from PyPI; `.ci/run` installs it)
//! running this repository's `.pre-commit-hooks.yaml` from a local clone of the hooks.

use crate::common::{SSN, TempRepo, assert_no_value, bin};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `pre-commit` executable. Not skipped when missing: the test fails, naming the fix.
fn pre_commit() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("pre-commit"))
        .find(|p| p.is_file())
        .expect("the pre-commit framework is required: pip install pre-commit (.ci/run does)")
}

struct Framework {
    repo: TempRepo,
    cache: tempfile::TempDir,
    _hooks: TempRepo,
    path: String,
}

impl Framework {
    /// A project using phiguard's hooks from a local repository holding this checkout's
    /// `.pre-commit-hooks.yaml`; the `language: rust` ids are run as `system` here (the
    /// framework's build of phiguard takes minutes), `phiguard-system` as published.
    fn new() -> Framework {
        let hooks = TempRepo::new();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
        hooks.add(".pre-commit-hooks.yaml", std::fs::read(manifest).unwrap());
        let rev = hooks.commit("hooks");
        let repo = TempRepo::new();
        repo.add("README.md", "hello\n");
        repo.add(
            ".pre-commit-config.yaml",
            format!(
                "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: phiguard-system\n  \
                 - id: phiguard-commit-msg\n    language: system\n  \
                 - id: phiguard-pre-push\n    language: system\n",
                hooks.path().display()
            ),
        );
        repo.commit("init");
        let path = format!(
            "{}:{}",
            bin().parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let f = Framework {
            repo,
            cache: tempfile::tempdir().unwrap(),
            _hooks: hooks,
            path,
        };
        let (ok, out) = f.run(&[
            "install",
            "--hook-type",
            "pre-commit",
            "--hook-type",
            "commit-msg",
            "--hook-type",
            "pre-push",
        ]);
        assert!(ok, "{out}");
        f
    }

    fn env(&self, cmd: &mut Command) {
        self.repo.env(cmd);
        cmd.env("PATH", &self.path)
            .env("PRE_COMMIT_HOME", self.cache.path())
            .env("PRE_COMMIT_COLOR", "never");
    }

    /// `pre-commit ARGS` in the project.
    fn run(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new(pre_commit());
        cmd.args(args).current_dir(self.repo.path());
        self.env(&mut cmd);
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_value(text.as_bytes(), &[SSN]);
        (out.status.success(), text)
    }

    /// `git ARGS` in the project, hooks on.
    fn git(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.repo.path())
            .stdin(std::process::Stdio::null());
        self.env(&mut cmd);
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_value(text.as_bytes(), &[SSN]);
        (out.status.success(), text)
    }
}

#[test]
fn pre_commit_framework_blocks_a_staged_ssn_on_commit() {
    let f = Framework::new();
    f.repo.add("notes.txt", format!("patient ssn {SSN}\n"));
    let (ok, out) = f.git(&["commit", "-q", "-m", "notes"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("phi.ssn") && out.contains("notes.txt:1:"),
        "{out}"
    );
    f.repo.add("notes.txt", "nothing here\n");
    let (ok, out) = f.git(&["commit", "-q", "-m", "notes"]);
    assert!(ok, "{out}");
}

#[test]
fn pre_commit_framework_in_a_commit_judges_only_what_the_commit_adds() {
    let f = Framework::new();
    f.repo.add("legacy.txt", format!("old ssn {SSN}\n"));
    f.repo.commit("legacy, committed before phiguard");
    f.repo
        .add("legacy.txt", format!("old ssn {SSN}\nnew line\n"));
    let (ok, out) = f.git(&["commit", "-q", "-m", "edit"]);
    assert!(ok, "the old line is not added by this commit: {out}");
}

#[test]
fn pre_commit_framework_run_all_files_fails_on_a_committed_ssn() {
    let f = Framework::new();
    let (ok, out) = f.run(&["run", "--all-files"]);
    assert!(ok, "{out}");
    f.repo
        .add("data/export.csv", format!("name,ssn\nx,{SSN}\n"));
    f.repo.commit("export");
    let (ok, out) = f.run(&["run", "--all-files"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("phi.ssn") && out.contains("export.csv:2:"),
        "{out}"
    );
    let (ok, out) = f.run(&["run", "--files", "README.md"]);
    assert!(ok, "--files scans only those files: {out}");
    let (ok, out) = f.run(&["run", "--files", "data/export.csv"]);
    assert!(!ok, "{out}");
}

#[test]
fn pre_commit_framework_commit_msg_and_pre_push_ids_block() {
    let f = Framework::new();
    let msg = format!("fix for ssn {SSN}");
    let (ok, out) = f.git(&["commit", "-q", "--allow-empty", "-m", &msg]);
    assert!(!ok, "{out}");
    assert!(out.contains("phi.ssn"), "{out}");
    let server = TempRepo::bare();
    f.repo
        .git(&["remote", "add", "origin", server.path().to_str().unwrap()]);
    let (ok, out) = f.git(&["push", "-q", "origin", "main"]);
    assert!(ok, "{out}");
    f.repo.add("notes.txt", format!("ssn {SSN}\n"));
    f.repo.commit("notes, hooks skipped");
    let (ok, out) = f.git(&["push", "-q", "origin", "main"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("phi.ssn") && out.contains("notes.txt:1:"),
        "{out}"
    );
    // A new branch: the commits no remote-tracking ref has.
    let (ok, out) = f.git(&["push", "-q", "origin", "main:refs/heads/topic"]);
    assert!(!ok, "{out}");
}

#[test]
fn pre_commit_hooks_manifest_ids_share_entries_with_their_system_variant() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let entry = |id: &str| -> String {
        let start = manifest
            .find(&format!("- id: {id}\n"))
            .unwrap_or_else(|| panic!("{id}"));
        let block = &manifest[start..];
        let block = &block[..block[1..].find("\n- id:").map_or(block.len(), |e| e + 1)];
        block
            .lines()
            .find_map(|l| l.trim().strip_prefix("entry: "))
            .unwrap()
            .to_owned()
    };
    assert_eq!(entry("phiguard"), entry("phiguard-system"));
    assert_eq!(entry("phiguard"), "phiguard hook pre-commit-framework");
    assert_eq!(
        entry("phiguard-pre-push"),
        "phiguard hook pre-commit-framework --push"
    );
    assert_eq!(entry("phiguard-commit-msg"), "phiguard hook commit-msg");
    assert!(manifest.contains("language: system"));
}
