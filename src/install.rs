//! `phiguard install`: client hook shims in a clone. A shim is a two-line POSIX script that
//! runs `phiguard hook <name>`; it records the absolute path of the installing binary so GUI
//! git clients with a thin `PATH` still find it, and fails closed when no binary is found.
//! An existing hook that is not ours is never overwritten without `--force` (and then kept as
//! `<hook>.phiguard-backup`).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The marker line that identifies a phiguard shim.
pub const MARKER: &str = "# phiguard:hook v1";

/// Client hooks `install` knows.
pub const CLIENT_HOOKS: &[&str] = &["pre-commit", "pre-merge-commit", "commit-msg", "pre-push"];

/// The shim text for `hook`, preferring the binary at `exe`.
pub fn shim(hook: &str, exe: Option<&Path>) -> String {
    let default = exe.map_or_else(
        || "phiguard".to_owned(),
        |p| shell_quote(&p.display().to_string()),
    );
    format!(
        "#!/bin/sh\n\
         {MARKER} — installed by `phiguard install`; remove with `phiguard install --uninstall`.\n\
         PHIGUARD=\"${{PHIGUARD:-{default}}}\"\n\
         if ! command -v \"$PHIGUARD\" >/dev/null 2>&1; then PHIGUARD=phiguard; fi\n\
         if ! command -v \"$PHIGUARD\" >/dev/null 2>&1; then\n  \
           echo \"phiguard: binary not found (install it or set PHIGUARD); {hook} refused\" >&2\n  \
           exit 2\n\
         fi\n\
         exec \"$PHIGUARD\" hook {hook} \"$@\"\n"
    )
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

/// The hooks directory of the repository around `cwd`: `git rev-parse --git-path hooks`
/// honours `core.hooksPath` and linked worktrees.
///
/// # Errors
///
/// When git is missing or `cwd` is not in a repository.
pub fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    let out = std::process::Command::new("git")
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
    let rel = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(if rel.is_absolute() {
        rel
    } else {
        cwd.join(rel)
    })
}

/// What happened to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Written.
    Installed(PathBuf),
    /// Written; the previous hook was moved to the backup path.
    Replaced(PathBuf, PathBuf),
    /// Already our shim, rewritten.
    Updated(PathBuf),
    /// Removed (and the backup restored, if any).
    Removed(PathBuf),
    /// Nothing to remove.
    Absent(PathBuf),
}

/// Installs shims for `hooks` into `dir`.
///
/// # Errors
///
/// An unknown hook name, a foreign hook without `force` (nothing is written then), or I/O.
pub fn install(
    dir: &Path,
    hooks: &[String],
    force: bool,
    exe: Option<&Path>,
) -> Result<Vec<Action>> {
    for h in hooks {
        if !CLIENT_HOOKS.contains(&h.as_str()) {
            return Err(Error::usage(format!(
                "unknown hook {h:?}; client hooks are: {}",
                CLIENT_HOOKS.join(", ")
            )));
        }
        let path = dir.join(h);
        if !force && path.exists() && !is_ours(&path) {
            return Err(Error::usage(format!(
                "{} exists and is not a phiguard hook; nothing was changed. \
                 Call `phiguard hook {h}` from it, or rerun with --force \
                 (the existing hook is kept as {h}.phiguard-backup)",
                path.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    hooks.iter().map(|h| write_one(dir, h, exe)).collect()
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

fn write_one(dir: &Path, hook: &str, exe: Option<&Path>) -> Result<Action> {
    let path = dir.join(hook);
    let io = |e| Error::io(path.display().to_string(), e);
    let action = if !path.exists() {
        Action::Installed(path.clone())
    } else if is_ours(&path) {
        Action::Updated(path.clone())
    } else {
        let backup = dir.join(format!("{hook}.phiguard-backup"));
        std::fs::rename(&path, &backup).map_err(io)?;
        Action::Replaced(path.clone(), backup)
    };
    std::fs::write(&path, shim(hook, exe)).map_err(io)?;
    make_executable(&path).map_err(io)?;
    Ok(action)
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

/// Removes our shims for `hooks`, restoring backups.
///
/// # Errors
///
/// I/O errors.
pub fn uninstall(dir: &Path, hooks: &[String]) -> Result<Vec<Action>> {
    hooks
        .iter()
        .map(|h| {
            let path = dir.join(h);
            if !is_ours(&path) {
                return Ok(Action::Absent(path));
            }
            let io = |e| Error::io(path.display().to_string(), e);
            std::fs::remove_file(&path).map_err(io)?;
            let backup = dir.join(format!("{h}.phiguard-backup"));
            if backup.exists() {
                std::fs::rename(&backup, &path).map_err(io)?;
            }
            Ok(Action::Removed(path))
        })
        .collect()
}
