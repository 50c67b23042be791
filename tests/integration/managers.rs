//! Hook managers for real: husky 9 and lefthook, the packages from the npm registry (`.ci/run`
//! installs them with `npm install -g husky@9 lefthook`; the tests fail, not skip, without
//! them), set up as `install/hook-managers/` says — its recipe is read from the files, so the
//! documentation and the tests cannot drift apart.

use crate::common::{SSN, TempRepo, bin, fenced_block};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An executable on `PATH`. Not skipped when missing: the test fails, naming the fix.
fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is required: npm install -g husky@9 lefthook (.ci/run does)")
        })
}

/// `install/hook-managers/<file>` of this checkout.
fn recipe_file(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("install/hook-managers");
    std::fs::read_to_string(path.join(file)).unwrap()
}

/// A project under a hook manager: the repository, with phiguard (the binary under test) and
/// the manager on `PATH`, as a developer's shell has them.
struct Project {
    repo: TempRepo,
    path: String,
}

impl Project {
    fn new() -> Project {
        let repo = TempRepo::new();
        repo.add("README.md", "hello\n");
        repo.commit("init");
        let path = format!(
            "{}:{}",
            bin().parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Project { repo, path }
    }

    /// `program ARGS` in the project; returns (success, stdout and stderr). The value never
    /// appears in what any of them prints.
    fn run(&self, program: &str, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.repo.path())
            .stdin(Stdio::null());
        self.repo.env(&mut cmd);
        // npm reads packages from the cache `npm install -g` filled (the test's HOME is empty).
        let cache = std::env::var_os("npm_config_cache").unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap_or_default())
                .join(".npm")
                .into()
        });
        cmd.env("PATH", &self.path)
            .env("npm_config_cache", cache)
            .env("npm_config_update_notifier", "false");
        crate::common::output_without(&mut cmd, &[SSN])
    }

    fn git(&self, args: &[&str]) -> (bool, String) {
        self.run("git", args)
    }

    /// A commit staging an SSN is blocked by phiguard; after unstaging it, a clean one passes
    /// with phiguard's summary (so phiguard ran, not only the manager).
    fn assert_commit_blocked_then_clean_passes(&self, note: &str) {
        self.repo.add("notes.txt", format!("ssn {SSN}\n"));
        let (ok, out) = self.git(&["commit", "-q", "-m", "notes"]);
        assert!(!ok, "{note}: {out}");
        assert!(
            out.contains("phi.ssn") && out.contains("notes.txt:1:"),
            "{note}: {out}"
        );
        self.repo.git(&["rm", "-q", "--cached", "notes.txt"]);
        self.repo.add("ok.txt", format!("fine {note}\n"));
        let (ok, out) = self.git(&["commit", "-q", "-m", "clean"]);
        assert!(ok, "{note}: {out}");
        assert!(out.contains("phiguard: 0 blocking"), "{note}: {out}");
        let msg = format!("ticket for ssn {SSN}");
        let (ok, out) = self.git(&["commit", "-q", "--allow-empty", "-m", &msg]);
        assert!(!ok, "{note}: the commit message is checked: {out}");
        assert!(out.contains("phi.ssn"), "{note}: {out}");
    }

    /// A push of a commit that skipped the hooks is stopped on the client, to an existing
    /// branch and to a new one.
    fn assert_push_blocked(&self) {
        let server = TempRepo::bare();
        self.repo
            .git(&["remote", "add", "origin", server.path().to_str().unwrap()]);
        let (ok, out) = self.git(&["push", "-q", "origin", "main"]);
        assert!(ok, "{out}");
        std::fs::remove_file(self.repo.path().join("notes.txt")).unwrap();
        self.repo
            .add("data/export.csv", format!("id,ssn\n1,{SSN}\n"));
        self.repo.commit("export, hooks skipped");
        let (ok, out) = self.git(&["push", "-q", "origin", "main"]);
        assert!(!ok, "{out}");
        assert!(
            out.contains("phi.ssn") && out.contains("export.csv:2:"),
            "{out}"
        );
        let (ok, out) = self.git(&["push", "-q", "origin", "main:refs/heads/topic"]);
        assert!(!ok, "a new branch: {out}");
        assert!(out.contains("phi.ssn"), "{out}");
    }
}

#[test]
fn husky_9_from_npm_with_the_recipe_blocks_and_survives_npm_install() {
    tool("husky");
    let npm = tool("npm").display().to_string();
    let npx = tool("npx").display().to_string();
    let p = Project::new();
    p.repo.add(".gitignore", "node_modules\n");
    // `npm init -y` would name the package after the temporary directory (not a valid name).
    p.repo.write(
        "package.json",
        "{\"name\": \"clinic-app\", \"version\": \"1.0.0\", \"private\": true}\n",
    );
    let install = [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--save-dev",
        "husky@9",
    ];
    let (ok, out) = p.run(&npm, &install);
    assert!(ok, "{out}");
    let version = std::fs::read_to_string(p.repo.path().join("node_modules/husky/package.json"));
    assert!(version.unwrap().contains("\"version\": \"9."));
    let (ok, out) = p.run(&npx, &["husky", "init"]);
    assert!(ok, "{out}");
    assert_eq!(p.repo.git(&["config", "core.hooksPath"]).trim(), ".husky/_");
    // The project's own check, which husky's generated `.husky/pre-commit` (`npm test`) runs.
    let (ok, out) = p.run(&npm, &["pkg", "set", "scripts.test=echo project tests ran"]);
    assert!(ok, "{out}");
    p.repo.git(&["add", "."]);
    p.repo.commit("husky");

    // Before the recipe: `phiguard install` writes nothing and names the lines.
    let r = p.repo.phiguard(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.err().contains("husky") && r.err().contains("pre-commit:  phiguard hook pre-commit\n"),
        "{}",
        r.err()
    );
    assert_eq!(p.repo.git(&["status", "--porcelain"]), "");

    // The recipe of install/hook-managers/README.md, as written (it commits through the hooks).
    let recipe = fenced_block(&recipe_file("README.md"), "## husky 9", "sh");
    let (ok, out) = p.run("sh", &["-e", "-c", &recipe]);
    assert!(ok, "{recipe}\n{out}");
    assert!(out.contains("project tests ran"), "{out}");
    assert!(out.contains("phiguard: 0 blocking"), "{out}");
    let r = p.repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "the recipe covers every hook: {}", r.all());
    assert!(r.out().contains("already calls phiguard"), "{}", r.out());

    p.assert_commit_blocked_then_clean_passes("husky");
    // husky 9 regenerates `.husky/_` on every `npm install` (its `prepare` script): phiguard
    // lives in the tracked scripts, so it is still there.
    let (ok, out) = p.run(
        &npm,
        &["install", "--prefer-offline", "--no-audit", "--no-fund"],
    );
    assert!(ok, "{out}");
    let hook = std::fs::read_to_string(p.repo.path().join(".husky/pre-commit")).unwrap();
    assert!(hook.contains("phiguard hook pre-commit"), "{hook}");
    p.assert_commit_blocked_then_clean_passes("after npm install");
    p.assert_push_blocked();
}

#[test]
fn lefthook_from_npm_with_the_recipe_blocks_commits_and_pushes() {
    let lefthook = tool("lefthook").display().to_string();
    let p = Project::new();
    p.repo.add("lefthook.yml", recipe_file("lefthook.yml"));
    p.repo.commit("lefthook");
    let (ok, out) = p.run(&lefthook, &["install"]);
    assert!(ok, "{out}");
    for hook in ["pre-commit", "pre-merge-commit", "commit-msg", "pre-push"] {
        let script = std::fs::read_to_string(p.repo.path().join(".git/hooks").join(hook));
        assert!(script.unwrap().contains("lefthook"), "{hook}");
    }
    let r = p.repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out().contains("already runs phiguard"), "{}", r.out());
    p.assert_commit_blocked_then_clean_passes("lefthook");
    p.assert_push_blocked();
}

/// lefthook owns `.git/hooks`; a `phiguard install` that chained its scripts ran phiguard
/// twice after the next `lefthook install` (which renames foreign hooks to `<hook>.old` and
/// runs them). It writes nothing and prints the commands that, merged, then block.
#[test]
fn install_under_lefthook_writes_nothing_and_prints_the_commands_that_then_block() {
    let lefthook = tool("lefthook").display().to_string();
    let p = Project::new();
    let team = "post-checkout:\n  commands:\n    hello:\n      run: echo checked out\n";
    p.repo.add("lefthook.yml", team);
    p.repo.commit("lefthook");
    let (ok, out) = p.run(&lefthook, &["install"]);
    assert!(ok, "{out}");
    let hooks = p.repo.path().join(".git/hooks");
    let before = std::fs::read_to_string(hooks.join("post-checkout")).unwrap();
    let r = p.repo.phiguard(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("lefthook manages"), "{}", r.err());
    for h in ["pre-commit", "pre-merge-commit", "commit-msg", "pre-push"] {
        assert!(!hooks.join(h).exists(), "{h} written");
    }
    assert_eq!(
        std::fs::read_to_string(hooks.join("post-checkout")).unwrap(),
        before
    );
    assert_eq!(p.repo.git(&["status", "--porcelain"]), "");
    // The printed commands, merged into the team's file, are a working configuration.
    let commands = &r.err()[r.err().find('\n').unwrap() + 1..];
    p.repo.add("lefthook.yml", format!("{team}{commands}"));
    p.repo.commit("phiguard in lefthook");
    let (ok, out) = p.run(&lefthook, &["install"]);
    assert!(ok, "{out}");
    p.assert_commit_blocked_then_clean_passes("printed commands");
    p.assert_push_blocked();
    let r = p.repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
}
