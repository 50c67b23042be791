//! `phiguard install` beside other hooks, hook managers, `--global` and `--server`: real
//! `git commit` and `git push` through what it wrote.

use crate::common::{SSN, TempRepo, assert_no_value, bin};
use std::path::Path;
use std::process::Output;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write_exec(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn repo_with_history() -> TempRepo {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    repo
}

#[test]
fn install_into_a_clone_without_hooks_blocks_a_staged_ssn() {
    let repo = repo_with_history();
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in ["pre-commit", "pre-merge-commit", "commit-msg", "pre-push"] {
        let p = repo.path().join(".git/hooks").join(h);
        assert!(
            std::fs::read_to_string(&p)
                .unwrap()
                .contains("phiguard:hook")
        );
        assert!(!repo.path().join(format!(".git/hooks/{h}.legacy")).exists());
    }
    repo.add("notes.txt", format!("ssn {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", "notes"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert_no_value(&out.stderr, &[SSN]);
    let r = repo.phiguard(&["install", "--uninstall"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
}

#[test]
fn install_chains_an_existing_pre_commit_hook_both_run_and_uninstall_restores_it() {
    let repo = repo_with_history();
    let hooks = repo.path().join(".git/hooks");
    let mine = "#!/bin/sh\necho \"lint ran $#\" >> \"$(git rev-parse --git-dir)/lint.log\"\n";
    write_exec(&hooks.join("pre-commit"), mine);
    std::fs::set_permissions(hooks.join("pre-commit"), {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o750)
    })
    .unwrap();
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out().contains("runs first"), "{}", r.out());
    // Idempotent: a second install keeps the chained hook, not the shim, as the legacy one.
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.legacy")).unwrap(),
        mine
    );
    repo.add("ok.txt", "fine\n");
    let out = repo.git_output(&["commit", "-q", "-m", "ok"]);
    assert!(out.status.success(), "{}", text(&out));
    let log = repo.path().join(".git/lint.log");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "lint ran 0\n");
    repo.add("notes.txt", format!("ssn {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", "notes"]);
    assert!(
        !out.status.success(),
        "phiguard still blocks: {}",
        text(&out)
    );
    assert!(text(&out).contains("phi.ssn"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "lint ran 0\nlint ran 0\n"
    );
    // A failing chained hook stops the commit (its exit code is kept).
    write_exec(&hooks.join("pre-commit.legacy"), "#!/bin/sh\nexit 3\n");
    repo.git(&["reset", "-q", "notes.txt"]);
    let out = repo.git_output(&["commit", "-q", "-m", "ok2", "--allow-empty"]);
    assert!(!out.status.success(), "{}", text(&out));
    std::fs::write(hooks.join("pre-commit.legacy"), mine).unwrap();
    std::fs::set_permissions(hooks.join("pre-commit.legacy"), {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o750)
    })
    .unwrap();
    let r = repo.phiguard(&["install", "--uninstall"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        mine
    );
    assert_eq!(mode(&hooks.join("pre-commit")), 0o750);
    assert!(!hooks.join("pre-commit.legacy").exists());
    assert!(
        !hooks.join("commit-msg").exists(),
        "hooks phiguard added are removed"
    );
}

#[test]
fn install_keeps_git_lfs_pre_push_working_with_the_ref_lines_replayed() {
    let server = TempRepo::bare();
    let repo = repo_with_history();
    repo.git(&["remote", "add", "origin", server.path().to_str().unwrap()]);
    let hooks = repo.path().join(".git/hooks");
    // A stand-in for git-lfs's pre-push: it reads the ref lines and records them.
    let lfs = "#!/bin/sh\ncat > \"$(git rev-parse --git-dir)/lfs-stdin\"\necho \"$1 $2\" > \"$(git rev-parse --git-dir)/lfs-args\"\n";
    write_exec(&hooks.join("pre-push"), lfs);
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = repo.git_output(&["push", "-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    let head = repo.git(&["rev-parse", "HEAD"]);
    let got = std::fs::read_to_string(repo.path().join(".git/lfs-stdin")).unwrap();
    assert!(
        got.starts_with("refs/heads/main ") && got.contains(head.trim()),
        "{got}"
    );
    let args = std::fs::read_to_string(repo.path().join(".git/lfs-args")).unwrap();
    assert!(args.starts_with("origin "), "{args}");
    // phiguard got the same lines: a commit with an SSN is refused, and lfs saw that push too.
    repo.add("notes.txt", format!("ssn {SSN}\n"));
    repo.commit("notes");
    let out = repo.git_output(&["push", "-q", "origin", "main"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("phi.ssn"), "{}", text(&out));
    let new = repo.git(&["rev-parse", "HEAD"]);
    let got = std::fs::read_to_string(repo.path().join(".git/lfs-stdin")).unwrap();
    assert!(got.contains(new.trim()), "{got}");
    let r = repo.phiguard(&["install", "--uninstall"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        lfs
    );
}

/// husky 9's layout as `npx husky init` leaves it: `core.hooksPath=.husky/_`, a generated
/// (ignored) `.husky/_/` of two-line hooks sourcing `h`, and tracked `.husky/<hook>` scripts.
fn husky9(repo: &TempRepo) {
    let h = r#"#!/usr/bin/env sh
[ "$HUSKY" = "2" ] && set -x
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n

[ ! -f "$s" ] && exit 0

i="${XDG_CONFIG_HOME:-$HOME/.config}/husky/init.sh"
[ -f "$i" ] && . "$i"

[ "${HUSKY-}" = "0" ] && exit 0

export PATH="node_modules/.bin:$PATH"
sh -e "$s" "$@"
c=$?

[ $c != 0 ] && echo "husky - $n script failed (code $c)"
[ $c = 127 ] && echo "husky - command not found in PATH=$PATH"
exit $c
"#;
    let dir = repo.path().join(".husky/_");
    write_exec(&dir.join("h"), h);
    std::fs::write(dir.join(".gitignore"), "*\n").unwrap();
    for hook in ["pre-commit", "commit-msg", "pre-push", "pre-merge-commit"] {
        write_exec(
            &dir.join(hook),
            "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
        );
    }
    repo.add(".husky/pre-commit", "echo lint-staged >> .git/husky.log\n");
    repo.commit("husky");
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
}

#[test]
fn install_under_husky_9_writes_nothing_and_names_the_lines_that_then_block() {
    let repo = repo_with_history();
    husky9(&repo);
    let before = std::fs::read_to_string(repo.path().join(".husky/pre-commit")).unwrap();
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let err = r.err();
    assert!(err.contains("husky"), "{err}");
    assert!(
        err.contains("pre-commit:  phiguard hook pre-commit\n"),
        "{err}"
    );
    assert!(
        err.contains("commit-msg:  phiguard hook commit-msg \"$1\""),
        "{err}"
    );
    assert!(
        !err.contains(&bin().display().to_string()),
        "no absolute path: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".husky/pre-commit")).unwrap(),
        before
    );
    assert!(!repo.path().join(".husky/_/pre-commit.legacy").exists());
    // The recipe: the lines added to the tracked husky scripts, phiguard on PATH.
    std::fs::write(
        repo.path().join(".husky/pre-commit"),
        format!("{before}phiguard hook pre-commit\n"),
    )
    .unwrap();
    std::fs::write(
        repo.path().join(".husky/commit-msg"),
        "phiguard hook commit-msg \"$1\"\n",
    )
    .unwrap();
    let r = repo.phiguard(&["install", "--hooks", "pre-commit,commit-msg"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out().contains("already calls phiguard"), "{}", r.out());
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    repo.add("notes.txt", format!("ssn {SSN}\n"));
    let mut args = vec!["commit", "-q", "-m", "notes"];
    let (ok, out) = repo.git_in_env(&mut args, &[("PATH", &path)]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("phi.ssn") && out.contains("husky - pre-commit script failed"),
        "{out}"
    );
    assert_no_value(out.as_bytes(), &[SSN]);
    repo.git(&["reset", "-q", "notes.txt"]);
    let msg = format!("ssn {SSN}");
    let mut args = vec!["commit", "-q", "--allow-empty", "-m", &msg];
    let (ok, out) = repo.git_in_env(&mut args, &[("PATH", &path)]);
    assert!(!ok, "the commit-msg line blocks: {out}");
    let mut args = vec!["commit", "-q", "--allow-empty", "-m", "fine"];
    let (ok, out) = repo.git_in_env(&mut args, &[("PATH", &path)]);
    assert!(ok, "{out}");
    let log = std::fs::read_to_string(repo.path().join(".git/husky.log")).unwrap();
    assert_eq!(
        log.lines().count(),
        3,
        "husky's own line ran each time: {log}"
    );
}

#[test]
fn install_refuses_a_tracked_hooks_path_and_a_shared_one_without_force() {
    let repo = repo_with_history();
    write_exec(
        &repo.path().join(".githooks/pre-commit"),
        "#!/bin/sh\nexit 0\n",
    );
    repo.git(&["add", ".githooks"]);
    repo.commit("hooks");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("tracked"), "{}", r.err());
    assert!(
        r.err().contains("pre-push:  phiguard hook pre-push \"$@\""),
        "{}",
        r.err()
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    let shared = tempfile::tempdir().unwrap();
    write_exec(&shared.path().join("pre-commit"), "#!/bin/sh\nexit 0\n");
    repo.git(&["config", "core.hooksPath", shared.path().to_str().unwrap()]);
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("outside this repository"), "{}", r.err());
    assert!(!shared.path().join("commit-msg").exists());
    let r = repo.phiguard(&["install", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(shared.path().join("pre-commit.legacy").exists());
    let r = repo.phiguard(&["install", "--force", "--uninstall"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(shared.path().join("pre-commit")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
}

#[test]
fn install_global_covers_every_clone_and_runs_the_clones_own_hook() {
    let repo = repo_with_history();
    let r = repo.phiguard(&["install", "--global"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let dir = repo.home().join("phiguard/hooks");
    assert_eq!(
        repo.git(&["config", "--global", "core.hooksPath"]).trim(),
        dir.to_str().unwrap()
    );
    let own = "#!/bin/sh\necho own >> \"$(git rev-parse --git-dir)/own.log\"\n";
    write_exec(&repo.path().join(".git/hooks/pre-commit"), own);
    repo.add("ok.txt", "fine\n");
    let out = repo.git_output(&["commit", "-q", "-m", "ok"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".git/own.log")).unwrap(),
        "own\n"
    );
    repo.add("notes.txt", format!("ssn {SSN}\n"));
    let out = repo.git_output(&["commit", "-q", "-m", "notes"]);
    assert!(!out.status.success(), "{}", text(&out));
    // In a repository, `install` sees the global directory as phiguard's own and leaves its
    // shims (which chain the clone's hooks) alone.
    let before = std::fs::read_to_string(dir.join("pre-commit")).unwrap();
    let r = repo.phiguard(&["install"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out().contains("global hooks"), "{}", r.out());
    assert_eq!(
        std::fs::read_to_string(dir.join("pre-commit")).unwrap(),
        before
    );
    let r = repo.phiguard(&["install", "--uninstall"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(dir.join("pre-commit").exists());
    let r = repo.phiguard(&["install", "--global", "--uninstall"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        !repo
            .git_output(&["config", "--global", "core.hooksPath"])
            .status
            .success()
    );
    assert!(!dir.join("pre-commit").exists());
}

#[test]
fn install_global_refuses_another_global_hooks_path() {
    let repo = repo_with_history();
    repo.git(&["config", "--global", "core.hooksPath", "/opt/company-hooks"]);
    let r = repo.phiguard(&["install", "--global"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.err()
            .contains("/opt/company-hooks/pre-commit:  phiguard hook pre-commit"),
        "{}",
        r.err()
    );
    assert_eq!(
        repo.git(&["config", "--global", "core.hooksPath"]).trim(),
        "/opt/company-hooks"
    );
}

/// A server for `platform`, with phiguard installed by `install --server`; for GitLab and
/// Gitea, `hooks/pre-receive` is the platform's dispatcher that runs every script of the
/// `.d` directory with the ref lines, as those platforms do.
fn server_for(platform: &str) -> (TempRepo, TempRepo) {
    let bare = TempRepo::bare();
    let work = repo_with_history();
    work.git(&["remote", "add", "origin", bare.path().to_str().unwrap()]);
    let dispatch = |d: &str| {
        format!(
            "#!/bin/sh\ninput=$(cat)\nfor h in \"$(dirname \"$0\")/{d}\"/*; do\n  \
             [ -x \"$h\" ] || continue\n  \
             printf '%s\\n' \"$input\" | \"$h\" \"$@\" || exit $?\ndone\n"
        )
    };
    match platform {
        "gitlab" => write_exec(
            &bare.path().join("hooks/pre-receive"),
            &dispatch("../custom_hooks/pre-receive.d"),
        ),
        "gitea" => write_exec(
            &bare.path().join("hooks/pre-receive"),
            &dispatch("pre-receive.d"),
        ),
        _ => {}
    }
    let git_dir = bare.path().to_str().unwrap().to_owned();
    let r = work.phiguard(&[
        "install",
        "--server",
        "--git-dir",
        &git_dir,
        "--platform",
        platform,
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(bare.path().join("phiguard.toml").exists(), "{}", r.out());
    (bare, work)
}

fn pushes_rejected_and_accepted(platform: &str) {
    let (bare, work) = server_for(platform);
    let out = work.git_output(&["push", "-q", "origin", "main"]);
    assert!(out.status.success(), "{platform}: {}", text(&out));
    work.add("notes.txt", format!("ssn {SSN}\n"));
    work.commit("notes");
    let out = work.git_output(&["push", "-q", "origin", "main"]);
    assert!(!out.status.success(), "{platform}: {}", text(&out));
    assert!(text(&out).contains("phi.ssn"), "{platform}: {}", text(&out));
    assert_no_value(&out.stderr, &[SSN]);
    let tip = bare.git(&["rev-parse", "main"]);
    assert_ne!(tip.trim(), work.git(&["rev-parse", "HEAD"]).trim());
}

#[test]
fn server_install_bare_rejects_and_accepts_real_pushes() {
    pushes_rejected_and_accepted("bare");
}

#[test]
fn server_install_gitlab_custom_hooks_rejects_and_accepts_real_pushes() {
    pushes_rejected_and_accepted("gitlab");
}

#[test]
fn server_install_gitea_pre_receive_d_rejects_and_accepts_real_pushes() {
    pushes_rejected_and_accepted("gitea");
}

#[test]
fn server_install_keeps_an_existing_config_and_chains_an_existing_hook() {
    let bare = TempRepo::bare();
    std::fs::write(
        bare.path().join("phiguard.toml"),
        "[server]\nbudget_ms = 3000\n",
    )
    .unwrap();
    write_exec(
        &bare.path().join("hooks/pre-receive"),
        "#!/bin/sh\ncat > \"$(dirname \"$0\")/seen\"\n",
    );
    let dir = bare.path().to_str().unwrap().to_owned();
    let r = bare.phiguard(&[
        "install",
        "--server",
        "--git-dir",
        &dir,
        "--hooks",
        "pre-receive,update",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.out().contains("kept the existing configuration"),
        "{}",
        r.out()
    );
    assert_eq!(
        std::fs::read_to_string(bare.path().join("phiguard.toml")).unwrap(),
        "[server]\nbudget_ms = 3000\n"
    );
    assert!(bare.path().join("hooks/update").exists());
    let work = repo_with_history();
    work.git(&["remote", "add", "origin", &dir]);
    let out = work.git_output(&["push", "-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    let seen = std::fs::read_to_string(bare.path().join("hooks/seen")).unwrap();
    assert!(seen.contains("refs/heads/main"), "{seen}");
    let r = bare.phiguard(&[
        "install",
        "--server",
        "--git-dir",
        &dir,
        "--uninstall",
        "--hooks",
        "pre-receive,update",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        std::fs::read_to_string(bare.path().join("hooks/pre-receive"))
            .unwrap()
            .contains("seen")
    );
    assert!(!bare.path().join("hooks/update").exists());
}

#[test]
fn server_install_ghes_writes_the_hook_script_for_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TempRepo::new();
    let d = dir.path().to_str().unwrap();
    let r = repo.phiguard(&["install", "--server", "--git-dir", d, "--platform", "ghes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let s = std::fs::read_to_string(dir.path().join("phiguard-pre-receive.sh")).unwrap();
    assert!(
        s.contains("/usr/local/bin/phiguard")
            && s.contains("--config /etc/phiguard/phiguard.toml hook pre-receive"),
        "{s}"
    );
    let toml = std::fs::read_to_string(dir.path().join("phiguard.toml")).unwrap();
    assert!(
        toml.contains("# audit_log = "),
        "the environment is read-only: {toml}"
    );
    let r = repo.phiguard(&[
        "install",
        "--server",
        "--git-dir",
        d,
        "--platform",
        "ghes",
        "--hooks",
        "update",
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
}

/// `install -q` (issue 24 §5): every install variant that succeeds prints nothing, and what
/// it did is still done; a refusal still says why on stderr.
#[test]
fn install_quiet_prints_nothing_on_success_in_every_variant() {
    let repo = repo_with_history();
    let silent = |args: &[&str]| {
        let r = repo.phiguard(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.all());
        assert_eq!(r.all(), "", "{args:?} printed on success");
    };
    let hook = repo.path().join(".git/hooks/pre-commit");
    silent(&["install", "-q"]);
    assert!(hook.exists());
    silent(&["install", "--quiet"]); // updated
    silent(&["install", "-q", "--hooks", "pre-push"]);
    silent(&["install", "-q", "--uninstall"]);
    assert!(!hook.exists());
    silent(&["install", "-q", "--uninstall"]); // nothing there
    write_exec(&hook, "#!/bin/sh\nexit 0\n");
    silent(&["install", "-q"]); // chained
    assert!(repo.path().join(".git/hooks/pre-commit.legacy").exists());
    silent(&["install", "-q", "--uninstall"]); // restored
    silent(&["install", "-q", "--global"]);
    silent(&["install", "-q"]); // the global hooks already run here
    silent(&["install", "-q", "--global", "--uninstall"]);
    for platform in ["bare", "gitlab", "gitea", "ghes"] {
        let bare = TempRepo::bare();
        let git_dir = bare.path().to_str().unwrap();
        let server = ["install", "-q", "--server", "--git-dir", git_dir];
        silent(&[&server[..], &["--platform", platform]].concat());
        silent(&[&server[..], &["--platform", platform, "--uninstall"]].concat());
    }
    // Refusals are no success: they still explain themselves.
    let shared = tempfile::tempdir().unwrap();
    repo.git(&["config", "core.hooksPath", shared.path().to_str().unwrap()]);
    let r = repo.phiguard(&["install", "-q"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("outside this repository"), "{}", r.err());
}
