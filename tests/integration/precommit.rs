//! The pre-commit framework (the real `pre-commit` package from PyPI; `.ci/run` installs it)
//! running this repository's `.pre-commit-hooks.yaml` from a local clone of the hooks.

use crate::common::{SSN, TempRepo, bin, fenced_block};
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

/// The README's `.pre-commit-config.yaml`, as written.
fn readme_config() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    fenced_block(&readme, "## The pre-commit framework", "yaml")
}

impl Framework {
    /// A project using the README's configuration: `repo: local` hooks with
    /// `language: system`, phiguard on `PATH`.
    fn new() -> Framework {
        Framework::with_config(|_| readme_config())
    }

    /// A project using phiguard's hooks from a local repository holding this checkout's
    /// `.pre-commit-hooks.yaml` (the README's "once you host phiguard" form); the
    /// `language: rust` ids are run as `system` here (the framework's build of phiguard takes
    /// minutes), `phiguard-system` as published.
    fn remote() -> Framework {
        Framework::with_config(|hooks| {
            let rev = hooks.git(&["rev-parse", "HEAD"]);
            format!(
                "repos:\n- repo: {}\n  rev: {}\n  hooks:\n  - id: phiguard-system\n  \
                 - id: phiguard-commit-msg\n    language: system\n  \
                 - id: phiguard-pre-push\n    language: system\n",
                hooks.path().display(),
                rev.trim()
            )
        })
    }

    /// A project whose `.pre-commit-config.yaml` is `config(hooks)`, `hooks` a repository
    /// holding this checkout's `.pre-commit-hooks.yaml`; its hooks installed by pre-commit.
    fn with_config(config: impl FnOnce(&TempRepo) -> String) -> Framework {
        let hooks = TempRepo::new();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
        hooks.add(".pre-commit-hooks.yaml", std::fs::read(manifest).unwrap());
        hooks.commit("hooks");
        let repo = TempRepo::new();
        repo.add("README.md", "hello\n");
        repo.add(".pre-commit-config.yaml", config(&hooks));
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
        crate::common::output_without(&mut cmd, &[SSN])
    }

    /// `git ARGS` in the project, hooks on.
    fn git(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.repo.path())
            .stdin(std::process::Stdio::null());
        self.env(&mut cmd);
        crate::common::output_without(&mut cmd, &[SSN])
    }
}

#[test]
fn pre_commit_framework_blocks_a_staged_ssn_on_commit() {
    for (form, f) in [
        ("README", Framework::new()),
        ("remote", Framework::remote()),
    ] {
        f.repo.add("notes.txt", format!("patient ssn {SSN}\n"));
        let (ok, out) = f.git(&["commit", "-q", "-m", "notes"]);
        assert!(!ok, "{form}: {out}");
        assert!(
            out.contains("phi.ssn") && out.contains("notes.txt:1:"),
            "{form}: {out}"
        );
        f.repo.add("notes.txt", "nothing here\n");
        let (ok, out) = f.git(&["commit", "-q", "-m", "notes"]);
        assert!(ok, "{form}: {out}");
        let ran = out
            .lines()
            .any(|l| l.starts_with("phiguard (PHI and secrets") && l.ends_with("Passed"));
        assert!(
            ran,
            "the hook ran (pre-commit shows its output only on failure): {out}"
        );
    }
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
    for f in [Framework::new(), Framework::remote()] {
        commit_msg_and_pre_push_block(&f);
    }
}

fn commit_msg_and_pre_push_block(f: &Framework) {
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

/// pre-commit's pre-push names the pushed range in `PRE_COMMIT_FROM_REF`/`TO_REF`: a value
/// in a commit the remote already has is not judged again when later, clean commits are
/// pushed, to the same branch or a new one.
#[test]
fn pre_commit_framework_pre_push_judges_only_commits_from_ref_to_ref() {
    let f = Framework::new();
    let server = TempRepo::bare();
    f.repo
        .git(&["remote", "add", "origin", server.path().to_str().unwrap()]);
    f.repo.add("notes.txt", format!("ssn {SSN}\n"));
    f.repo.commit("notes, hooks skipped");
    let (ok, out) = f.git(&["push", "-q", "--no-verify", "origin", "main"]);
    assert!(ok, "{out}");
    f.repo.add("ok.txt", "fine\n");
    f.repo.commit("clean");
    let (ok, out) = f.git(&["push", "origin", "main"]);
    assert!(ok, "only the clean commit is pushed: {out}");
    assert!(out.contains("phiguard (pushed commits)"), "{out}");
    assert!(out.contains("Passed"), "the hook ran: {out}");
    f.repo.git(&["checkout", "-q", "-b", "topic"]);
    f.repo.add("more.txt", "fine too\n");
    f.repo.commit("more");
    let (ok, out) = f.git(&["push", "origin", "topic"]);
    assert!(ok, "a new branch: only the commit no remote has: {out}");
    assert!(out.contains("Passed"), "the hook ran: {out}");
    f.repo.add("more.txt", format!("fine too\nssn {SSN}\n"));
    f.repo.commit("more, hooks skipped");
    let (ok, out) = f.git(&["push", "origin", "topic"]);
    assert!(!ok, "{out}");
    assert!(out.contains("more.txt:2:"), "{out}");
    assert!(!out.contains("notes.txt"), "{out}");
}

/// The fields of hook `id` in a pre-commit YAML file (`- id:` blocks, one `key: value` a
/// line), without those the README's local form sets differently (`language`) or omits
/// (`description`).
fn hook_fields(yaml: &str, id: &str) -> Vec<String> {
    let start = yaml
        .lines()
        .position(|l| l.trim() == format!("- id: {id}"))
        .unwrap_or_else(|| panic!("no id {id}: {yaml}"));
    let mut fields: Vec<String> = yaml
        .lines()
        .skip(start + 1)
        .map(str::trim)
        .take_while(|l| !l.starts_with("- "))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("language:") && !l.starts_with("description:"))
        .map(str::to_owned)
        .collect();
    fields.sort();
    fields
}

#[test]
fn readme_pre_commit_config_runs_the_manifest_ids_on_path() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let readme = readme_config();
    assert!(readme.contains("- repo: local\n"), "{readme}");
    assert_eq!(readme.matches("language: system\n").count(), 3, "{readme}");
    for id in ["phiguard", "phiguard-commit-msg", "phiguard-pre-push"] {
        assert_eq!(hook_fields(&readme, id), hook_fields(&manifest, id), "{id}");
    }
}
