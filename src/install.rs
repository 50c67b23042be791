//! `phiguard install`: hook shims. A shim is a short POSIX script that runs `phiguard hook
//! <name>`; it records the absolute path of the installing binary so GUI git clients with a
//! thin `PATH` still find it, and fails closed when no binary is found.
//!
//! Existing hooks are chained, never replaced: a hook that is not ours is kept as
//! `<hook>.legacy` and the shim runs it first with the same arguments (for the hooks that read
//! ref lines on stdin, the lines are buffered and replayed to both, so git-lfs's pre-push keeps
//! working). `--uninstall` puts the kept hook back exactly (same file, same mode).
//!
//! Where git looks is classified first ([`locate`]): a `core.hooksPath` that is tracked in the
//! work tree, husky's `.husky/_`, or a directory outside the repository (shared by every
//! repository that points at it) is never written silently.

use crate::error::{Error, Result};
/// What happened to one hook (reported by [`crate::report::install`]).
pub use crate::report::install::Action;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The marker line that identifies a phiguard shim.
pub const MARKER: &str = "# phiguard:hook v1";

/// Client hooks `install` knows.
pub const CLIENT_HOOKS: &[&str] = &["pre-commit", "pre-merge-commit", "commit-msg", "pre-push"];

/// Server hooks `install --server` knows.
pub const SERVER_HOOKS: &[&str] = &["pre-receive", "update"];

/// Hooks git feeds ref lines on stdin: a chained hook gets a replay of them.
const STDIN_HOOKS: &[&str] = &["pre-push", "pre-receive"];

/// Suffix of a chained hook kept beside the shim.
pub const LEGACY: &str = ".legacy";

/// What the shim runs before phiguard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// `<shim>.legacy`, when present and executable (a repository's own hooks directory).
    Legacy,
    /// The repository's own `$GIT_COMMON_DIR/hooks/<hook>` (the global install), unless it is
    /// a phiguard shim itself.
    RepoHooks,
    /// Nothing (a platform's `*.d/` directory runs each hook itself).
    None,
}

/// The shim text for `hook`, preferring the binary at `exe`, chaining `<hook>.legacy`.
pub fn shim(hook: &str, exe: Option<&Path>) -> String {
    shim_with(hook, exe, Chain::Legacy, &[])
}

/// The shim text for `hook`: runs `chain` first, then `phiguard [pre_args] hook <hook>`.
pub fn shim_with(hook: &str, exe: Option<&Path>, chain: Chain, pre_args: &[&str]) -> String {
    let default = exe.map_or_else(
        || "phiguard".to_owned(),
        |p| shell_quote(&p.display().to_string()),
    );
    let pre: String = pre_args
        .iter()
        .map(|a| format!(" {}", shell_quote(a)))
        .collect();
    let mut s = format!(
        "#!/bin/sh\n\
         {MARKER} — installed by `phiguard install`; remove with `phiguard install --uninstall`.\n\
         PHIGUARD=\"${{PHIGUARD:-{default}}}\"\n\
         if ! command -v \"$PHIGUARD\" >/dev/null 2>&1; then PHIGUARD=phiguard; fi\n\
         if ! command -v \"$PHIGUARD\" >/dev/null 2>&1; then\n  \
           echo \"phiguard: binary not found (install it or set PHIGUARD); {hook} refused\" >&2\n  \
           exit 2\n\
         fi\n"
    );
    match chain {
        Chain::None => {}
        Chain::Legacy => s.push_str(&format!("chained=\"$0{LEGACY}\"\n")),
        Chain::RepoHooks => s.push_str(&format!(
            "chained=\"$(git rev-parse --git-common-dir 2>/dev/null)/hooks/{hook}\"\n\
             if grep -q 'phiguard:hook' \"$chained\" 2>/dev/null; then chained=; fi\n"
        )),
    }
    if chain != Chain::None {
        if STDIN_HOOKS.contains(&hook) {
            s.push_str(&format!(
                "if [ -n \"$chained\" ] && [ -x \"$chained\" ]; then\n  \
                   input=$(mktemp \"${{TMPDIR:-/tmp}}/phiguard-{hook}.XXXXXX\") || {{\n    \
                     echo \"phiguard: cannot buffer the ref lines; {hook} refused\" >&2; exit 2; }}\n  \
                   trap 'rm -f \"$input\"' EXIT\n  \
                   trap 'exit 2' HUP INT TERM\n  \
                   cat >\"$input\" || exit 2\n  \
                   \"$chained\" \"$@\" <\"$input\" || exit $?\n  \
                   \"$PHIGUARD\"{pre} hook {hook} \"$@\" <\"$input\"\n  \
                   exit $?\n\
                 fi\n"
            ));
        } else {
            s.push_str(
                "if [ -n \"$chained\" ] && [ -x \"$chained\" ]; then\n  \
                   \"$chained\" \"$@\" || exit $?\n\
                 fi\n",
            );
        }
    }
    s.push_str(&format!("exec \"$PHIGUARD\"{pre} hook {hook} \"$@\"\n"));
    s
}

fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn git(cwd: &Path, args: &[&str]) -> Result<Option<String>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| Error::io("git", e))?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
}

fn absolute(cwd: &Path, p: &str) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() { p } else { cwd.join(p) }
}

/// The hooks directory of the repository around `cwd`: `git rev-parse --git-path hooks`
/// honours `core.hooksPath` and linked worktrees.
///
/// # Errors
///
/// When git is missing or `cwd` is not in a repository.
pub fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--git-path", "hooks"])
        .current_dir(cwd)
        .output()
        .map_err(|e| Error::io("git", e))?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "not in a git repository: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(absolute(cwd, String::from_utf8_lossy(&out.stdout).trim()))
}

/// Where git runs this repository's hooks from, and whether phiguard may write there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The repository's own hooks directory (`.git/hooks`, or a `core.hooksPath` inside the
    /// git directory or untracked in the work tree): shims are written, existing hooks chained.
    Repo(PathBuf),
    /// phiguard's global hooks directory ([`global_dir`]) is this repository's hooks path.
    Global(PathBuf),
    /// husky (`core.hooksPath` = `.husky/_` or `.husky`): `.husky/_` is regenerated on every
    /// `npm install`; the hooks to edit are the tracked `.husky/<hook>` scripts.
    Husky(PathBuf),
    /// A `core.hooksPath` whose files are tracked in the work tree.
    Tracked(PathBuf),
    /// A `core.hooksPath` outside this repository (`~/.githooks`): shared by every
    /// repository that points at it.
    Shared(PathBuf),
}

/// Classifies the hooks directory of the repository around `cwd`.
///
/// # Errors
///
/// When git is missing or `cwd` is not in a repository.
pub fn locate(cwd: &Path) -> Result<Location> {
    let dir = hooks_dir(cwd)?;
    if git(cwd, &["config", "--get", "core.hooksPath"])?.is_none() {
        return Ok(Location::Repo(dir));
    }
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let cdir = canon(&dir);
    if global_dir().is_some_and(|g| canon(&g) == cdir) {
        return Ok(Location::Global(dir));
    }
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    if name(&dir).as_deref() == Some(".husky") {
        return Ok(Location::Husky(dir));
    }
    if name(&dir).as_deref() == Some("_")
        && dir.parent().and_then(name).as_deref() == Some(".husky")
    {
        return Ok(Location::Husky(
            dir.parent().map(Path::to_path_buf).unwrap_or(dir),
        ));
    }
    let common = git(cwd, &["rev-parse", "--git-common-dir"])?.map(|d| canon(&absolute(cwd, &d)));
    if common.is_some_and(|c| cdir.starts_with(c)) {
        return Ok(Location::Repo(dir));
    }
    let top = git(cwd, &["rev-parse", "--show-toplevel"])?.map(|t| canon(Path::new(&t)));
    match top {
        Some(top) if cdir.starts_with(&top) => {
            let tracked = git(&top, &["ls-files", "--", &cdir.display().to_string()])?
                .is_some_and(|s| !s.is_empty());
            Ok(if tracked {
                Location::Tracked(dir)
            } else {
                Location::Repo(dir)
            })
        }
        _ => Ok(Location::Shared(dir)),
    }
}

/// The line a hand-maintained hook script adds to call phiguard for `hook`.
pub fn call_line(hook: &str) -> String {
    match hook {
        "commit-msg" => "phiguard hook commit-msg \"$1\"".to_owned(),
        "pre-commit" | "pre-merge-commit" => format!("phiguard hook {hook}"),
        _ => format!("phiguard hook {hook} \"$@\""),
    }
}

/// Whether the hand-maintained script `path` already calls phiguard for `hook`.
pub fn calls_phiguard(path: &Path, hook: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(&format!("phiguard hook {hook}")))
}

/// lefthook's configuration files, in the order lefthook reads them.
const LEFTHOOK_CONFIGS: [&str; 6] = [
    "lefthook.yml",
    ".lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yaml",
    "lefthook-local.yml",
    ".lefthook-local.yml",
];

/// Whether lefthook owns the hooks directory `dir`: a hook there (any hook: lefthook writes
/// only those its configuration names) is a script that `lefthook install` wrote.
/// `lefthook install` renames any other hook to `<hook>.old` and runs it too, so chaining
/// lefthook's scripts would run phiguard twice.
pub fn lefthook_manages(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        !name.contains('.')
            && std::fs::read_to_string(e.path())
                .is_ok_and(|t| !t.contains(MARKER) && t.contains("call_lefthook"))
    })
}

/// The `run:` of phiguard's lefthook command for `hook` (lefthook's `{1}` is the first
/// argument git gives the hook).
pub fn lefthook_run(hook: &str) -> String {
    match hook {
        "commit-msg" => "phiguard hook commit-msg {1}".to_owned(),
        "pre-push" => "phiguard hook pre-push {1} {2}".to_owned(),
        _ => format!("phiguard hook {hook}"),
    }
}

/// Whether lefthook must hand `hook` its stdin (`use_stdin: true`): pre-push reads ref lines.
pub fn lefthook_use_stdin(hook: &str) -> bool {
    hook == "pre-push"
}

/// Whether one of the lefthook configuration files in the work tree `top` runs phiguard
/// for `hook`.
pub fn lefthook_calls_phiguard(top: &Path, hook: &str) -> bool {
    let run = format!("phiguard hook {hook}");
    LEFTHOOK_CONFIGS
        .iter()
        .any(|c| std::fs::read_to_string(top.join(c)).is_ok_and(|t| t.contains(&run)))
}

/// phiguard's own hooks directory for `install --global`: `hooks/` in the user
/// configuration directory (`PHIGUARD_CONFIG_HOME` when set).
pub fn global_dir() -> Option<PathBuf> {
    crate::config::user_config_dir().map(|d| d.join("hooks"))
}

fn check_names(hooks: &[String], known: &[&str], what: &str) -> Result<()> {
    for h in hooks {
        if !known.contains(&h.as_str()) {
            return Err(Error::usage(format!(
                "unknown hook {h:?}; {what} hooks are: {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Installs shims for the client `hooks` into `dir`, chaining existing hooks.
///
/// # Errors
///
/// An unknown hook name, a kept hook already at `<hook>.legacy` beside a foreign hook (nothing
/// is written then), or I/O.
pub fn install(dir: &Path, hooks: &[String], exe: Option<&Path>) -> Result<Vec<Action>> {
    check_names(hooks, CLIENT_HOOKS, "client")?;
    install_shims(dir, hooks, exe, Chain::Legacy, &[])
}

/// Installs the `hooks` shims into phiguard's global directory ([`global_dir`]); each chains
/// the repository's own `.git/hooks/<hook>`. Setting `core.hooksPath` is the caller's part.
///
/// # Errors
///
/// An unknown hook name, no user configuration directory, or I/O.
pub fn install_global(hooks: &[String], exe: Option<&Path>) -> Result<(PathBuf, Vec<Action>)> {
    check_names(hooks, CLIENT_HOOKS, "client")?;
    let dir = global_dir().ok_or_else(|| {
        Error::usage("no user configuration directory (set PHIGUARD_CONFIG_HOME)")
    })?;
    let actions = install_shims(&dir, hooks, exe, Chain::RepoHooks, &[])?;
    Ok((dir, actions))
}

fn install_shims(
    dir: &Path,
    hooks: &[String],
    exe: Option<&Path>,
    chain: Chain,
    pre_args: &[&str],
) -> Result<Vec<Action>> {
    for h in hooks {
        let path = dir.join(h);
        let legacy = dir.join(format!("{h}{LEGACY}"));
        if exists(&path) && !is_ours(&path) && exists(&legacy) {
            return Err(Error::usage(format!(
                "{} exists and so does {}; nothing was changed. Move one of them away and rerun",
                path.display(),
                legacy.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    hooks
        .iter()
        .map(|h| write_shim(&dir.join(h), &shim_with(h, exe, chain, pre_args)))
        .collect()
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

/// Writes `text` at `path`, keeping a foreign hook there as `<path>.legacy`.
fn write_shim(path: &Path, text: &str) -> Result<Action> {
    let io = |e| Error::io(path.display().to_string(), e);
    let action = if !exists(path) {
        Action::Installed(path.to_path_buf())
    } else if is_ours(path) {
        Action::Updated(path.to_path_buf())
    } else {
        let legacy = legacy_of(path);
        std::fs::rename(path, &legacy).map_err(io)?;
        Action::Chained(path.to_path_buf(), legacy)
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)?;
    make_executable(path).map_err(io)?;
    Ok(action)
}

fn legacy_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(LEGACY);
    PathBuf::from(s)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Removes our shims for `hooks` from `dir`, putting kept hooks back.
///
/// # Errors
///
/// I/O errors.
pub fn uninstall(dir: &Path, hooks: &[String]) -> Result<Vec<Action>> {
    hooks.iter().map(|h| remove_shim(&dir.join(h))).collect()
}

fn remove_shim(path: &Path) -> Result<Action> {
    if !is_ours(path) {
        return Ok(Action::Absent(path.to_path_buf()));
    }
    let io = |e| Error::io(path.display().to_string(), e);
    std::fs::remove_file(path).map_err(io)?;
    // `.phiguard-backup`: where `install --force` kept a replaced hook before chaining.
    let mut old = path.as_os_str().to_owned();
    old.push(".phiguard-backup");
    let restored = [legacy_of(path), PathBuf::from(old)]
        .into_iter()
        .find(|p| exists(p));
    if let Some(kept) = &restored {
        std::fs::rename(kept, path).map_err(io)?;
    }
    Ok(Action::Removed(path.to_path_buf(), restored))
}

/// A server platform: where it runs a repository's hooks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// A plain bare repository: `hooks/<hook>` (an existing hook is chained).
    Bare,
    /// GitLab (Gitaly): `custom_hooks/<hook>.d/phiguard`.
    Gitlab,
    /// Gitea / Forgejo: `hooks/<hook>.d/phiguard`.
    Gitea,
    /// GitHub Enterprise Server: `phiguard-<hook>.sh`, the script of a pre-receive hook,
    /// to commit to the hook repository; it runs the binary of the hook environment.
    Ghes,
}

/// The binary and configuration paths inside a GitHub Enterprise hook environment (built by
/// `install/ghes/build-environment.sh`).
pub const GHES_BINARY: &str = "/usr/local/bin/phiguard";
/// See [`GHES_BINARY`].
pub const GHES_CONFIG: &str = "/etc/phiguard/phiguard.toml";

/// The starter server configuration `install --server` writes when none exists.
pub const STARTER_CONFIG: &str = "\
# phiguard server configuration (written by `phiguard install --server`).
# The server reads only this file (or --config), never the pushed .phiguard.toml.
# Every key is documented in phiguard's README, \"On the server\".

[server]
budget_ms = 4000          # past it the push is rejected (exit 2): hooks fail closed
fail_open = false
audit_log = \"phiguard-audit.log\"   # one hash-chained JSON line per push decision

# [[policy]]              # first section whose refs match wins
# refs = [\"refs/heads/main\", \"refs/tags/*\"]
# block_severity = \"warn\"
# deny_delete = true
# deny_non_fast_forward = true
";

/// Installs server hooks for `platform` into the repository at `git_dir` (for
/// [`Platform::Ghes`], into the hook repository's directory), plus a starter configuration.
///
/// # Errors
///
/// An unknown hook name, a missing directory, or I/O.
pub fn install_server(
    git_dir: &Path,
    platform: Platform,
    hooks: &[String],
    exe: Option<&Path>,
) -> Result<Vec<Action>> {
    check_names(hooks, SERVER_HOOKS, "server")?;
    if !git_dir.is_dir() {
        return Err(Error::usage(format!(
            "{} is not a directory (--git-dir names the repository on the server)",
            git_dir.display()
        )));
    }
    if platform == Platform::Ghes && hooks.iter().any(|h| h != "pre-receive") {
        return Err(Error::usage(
            "GitHub Enterprise runs pre-receive hooks only: use --hooks pre-receive",
        ));
    }
    let mut actions = Vec::new();
    for h in hooks {
        let action = match platform {
            Platform::Bare => write_shim(
                &git_dir.join("hooks").join(h),
                &shim_with(h, exe, Chain::Legacy, &[]),
            )?,
            Platform::Gitlab => write_shim(
                &git_dir
                    .join("custom_hooks")
                    .join(format!("{h}.d"))
                    .join("phiguard"),
                &shim_with(h, exe, Chain::None, &[]),
            )?,
            Platform::Gitea => write_shim(
                &git_dir
                    .join("hooks")
                    .join(format!("{h}.d"))
                    .join("phiguard"),
                &shim_with(h, exe, Chain::None, &[]),
            )?,
            Platform::Ghes => write_shim(
                &git_dir.join(format!("phiguard-{h}.sh")),
                &shim_with(
                    h,
                    Some(Path::new(GHES_BINARY)),
                    Chain::None,
                    &["--config", GHES_CONFIG],
                ),
            )?,
        };
        actions.push(action);
    }
    let config = git_dir.join("phiguard.toml");
    // A GitHub Enterprise hook environment is read-only: no audit log there.
    let starter = if platform == Platform::Ghes {
        STARTER_CONFIG.replace("audit_log = ", "# audit_log = ")
    } else {
        STARTER_CONFIG.to_owned()
    };
    if exists(&config) {
        actions.push(Action::ConfigKept(config));
    } else {
        std::fs::write(&config, starter).map_err(|e| Error::io(config.display().to_string(), e))?;
        actions.push(Action::Config(config));
    }
    Ok(actions)
}

/// Removes the server hooks `install_server` wrote (the configuration stays).
///
/// # Errors
///
/// I/O errors.
pub fn uninstall_server(
    git_dir: &Path,
    platform: Platform,
    hooks: &[String],
) -> Result<Vec<Action>> {
    hooks
        .iter()
        .map(|h| {
            remove_shim(&match platform {
                Platform::Bare => git_dir.join("hooks").join(h),
                Platform::Gitlab => git_dir
                    .join("custom_hooks")
                    .join(format!("{h}.d"))
                    .join("phiguard"),
                Platform::Gitea => git_dir
                    .join("hooks")
                    .join(format!("{h}.d"))
                    .join("phiguard"),
                Platform::Ghes => git_dir.join(format!("phiguard-{h}.sh")),
            })
        })
        .collect()
}
