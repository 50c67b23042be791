//! `phiguard install`: client hooks in a clone, for every clone (`--global`), or server hooks.

use super::Exit;
use crate::cli::{InstallArgs, PlatformArg};
use anyhow::{Context as _, Result, bail};
use phiguard::install::{self, Action, Location, Platform};
use std::path::Path;
use std::process::Command;

/// What a successful install says: one line per hook written, nothing under `-q` (errors and
/// refusals go to stderr either way).
#[derive(Clone, Copy)]
struct Say {
    quiet: bool,
}

impl Say {
    fn line(self, text: impl std::fmt::Display) {
        if !self.quiet {
            println!("{text}");
        }
    }
}

pub fn run(args: &InstallArgs, quiet: bool) -> Result<Exit> {
    let exe = std::env::current_exe().ok();
    let say = Say { quiet };
    if args.server {
        return server(args, exe.as_deref(), say);
    }
    let hooks = if args.hooks.is_empty() {
        install::CLIENT_HOOKS
            .iter()
            .map(|h| (*h).to_owned())
            .collect()
    } else {
        args.hooks.clone()
    };
    if args.global {
        return global(args, &hooks, exe.as_deref(), say);
    }
    let cwd = std::env::current_dir()?;
    let dir = match install::locate(&cwd)? {
        Location::Repo(dir) if !args.uninstall && install::lefthook_manages(&dir) => {
            return lefthook(&hooks, say);
        }
        Location::Repo(dir) => dir,
        // The global shims chain the clone's own hooks; per-repository shims there would not.
        Location::Global(dir) if args.uninstall => {
            eprintln!(
                "phiguard: this repository uses phiguard's global hooks ({}); nothing was \
                 changed. `phiguard install --global --uninstall` removes them for every clone",
                dir.display()
            );
            return Ok(Exit::Error);
        }
        Location::Global(dir) => {
            say.line(format_args!(
                "phiguard's global hooks ({}) already run in this repository; nothing to do",
                dir.display()
            ));
            return Ok(Exit::Clean);
        }
        Location::Shared(dir) if args.force => dir,
        Location::Shared(dir) => {
            refuse_shared(&dir, &hooks);
            return Ok(Exit::Error);
        }
        Location::Husky(husky) => return Ok(husky_or_tracked(&husky, &hooks, true, args, say)),
        Location::Tracked(dir) => return Ok(husky_or_tracked(&dir, &hooks, false, args, say)),
    };
    let actions = if args.uninstall {
        install::uninstall(&dir, &hooks)?
    } else {
        install::install(&dir, &hooks, exe.as_deref())?
    };
    print(&actions, say);
    Ok(Exit::Clean)
}

fn print(actions: &[Action], say: Say) {
    for a in actions {
        match a {
            Action::Installed(p) => say.line(format_args!("installed {}", p.display())),
            Action::Updated(p) => say.line(format_args!("updated {}", p.display())),
            Action::Chained(p, b) => say.line(format_args!(
                "installed {} (the existing hook, kept as {}, runs first)",
                p.display(),
                b.display()
            )),
            Action::Removed(p, None) => say.line(format_args!("removed {}", p.display())),
            Action::Removed(p, Some(b)) => {
                say.line(format_args!(
                    "removed {} (restored it from {})",
                    p.display(),
                    b.display()
                ));
            }
            Action::Absent(p) => say.line(format_args!("no phiguard hook at {}", p.display())),
            Action::Config(p) => {
                say.line(format_args!(
                    "wrote a starter configuration {}",
                    p.display()
                ));
            }
            Action::ConfigKept(p) => {
                say.line(format_args!(
                    "kept the existing configuration {}",
                    p.display()
                ));
            }
        }
    }
}

fn refuse_shared(dir: &Path, hooks: &[String]) {
    eprintln!(
        "phiguard: core.hooksPath is {}, outside this repository: every repository that uses it \
         would change. Nothing was changed.",
        dir.display()
    );
    eprintln!("  to install there anyway (existing hooks are chained): phiguard install --force");
    eprintln!("  or add one line to each hook script there:");
    for h in hooks {
        eprintln!("    {}/{h}:  {}", dir.display(), install::call_line(h));
    }
}

/// husky, or a tracked hooks directory: the scripts are the team's, under version control;
/// phiguard writes nothing there (an absolute binary path must not land in a tracked file)
/// and says which lines to add.
fn husky_or_tracked(
    dir: &Path,
    hooks: &[String],
    husky: bool,
    args: &InstallArgs,
    say: Say,
) -> Exit {
    let missing: Vec<&String> = hooks
        .iter()
        .filter(|h| !install::calls_phiguard(&dir.join(h), h))
        .collect();
    let what = if husky {
        format!("husky manages this repository's hooks ({})", dir.display())
    } else {
        format!(
            "core.hooksPath is {}, tracked in this repository",
            dir.display()
        )
    };
    if args.uninstall {
        // Nothing of phiguard's there: done (said only without -q); else the lines to remove.
        if missing.len() == hooks.len() {
            say.line(format_args!("{what}; no script there calls phiguard"));
            return Exit::Clean;
        }
        eprintln!("phiguard: {what}; remove the `phiguard hook` lines from its scripts.");
        return Exit::Error;
    }
    if missing.is_empty() {
        say.line(format_args!("{what}; every hook already calls phiguard"));
        return Exit::Clean;
    }
    eprintln!("phiguard: {what}. Nothing was changed: add these lines and commit them");
    if husky {
        eprintln!("(husky runs .husky/<hook>; create the file if it does not exist):");
    }
    for h in missing {
        eprintln!("  {}/{h}:  {}", dir.display(), install::call_line(h));
    }
    Exit::Error
}

/// lefthook owns the hooks directory: phiguard's commands belong in `lefthook.yml` (chaining
/// lefthook's scripts would run phiguard twice after the next `lefthook install`).
fn lefthook(hooks: &[String], say: Say) -> Result<Exit> {
    let top = git_global(&["rev-parse", "--show-toplevel"])?
        .context("lefthook manages the hooks, but this is not a work tree")?;
    let top = Path::new(&top);
    let missing: Vec<&String> = hooks
        .iter()
        .filter(|h| !install::lefthook_calls_phiguard(top, h))
        .collect();
    if missing.is_empty() {
        say.line(
            "lefthook manages this repository's hooks; its configuration already runs phiguard",
        );
        return Ok(Exit::Clean);
    }
    eprintln!(
        "phiguard: lefthook manages this repository's hooks. Nothing was changed: merge these \
         commands into {}, then run `lefthook install`:",
        top.join("lefthook.yml").display()
    );
    for h in missing {
        eprintln!(
            "{h}:\n  commands:\n    phiguard:\n      run: {}",
            install::lefthook_run(h)
        );
        if h == "pre-push" {
            eprintln!("      use_stdin: true");
        }
    }
    Ok(Exit::Error)
}

fn global(args: &InstallArgs, hooks: &[String], exe: Option<&Path>, say: Say) -> Result<Exit> {
    let dir = install::global_dir().context("no user configuration directory")?;
    let current = git_global(&["config", "--global", "--get", "core.hooksPath"])?;
    let ours = current
        .as_deref()
        .is_some_and(|c| Path::new(c) == dir.as_path());
    if args.uninstall {
        print(&install::uninstall(&dir, hooks)?, say);
        if ours {
            git_global(&["config", "--global", "--unset", "core.hooksPath"])?;
            say.line("unset the global core.hooksPath");
        }
        return Ok(Exit::Clean);
    }
    if let Some(c) = current.filter(|_| !ours) {
        eprintln!(
            "phiguard: the global core.hooksPath is already {c}; nothing was changed. Either add \
             one line to each hook script there:"
        );
        for h in hooks {
            eprintln!("    {c}/{h}:  {}", install::call_line(h));
        }
        eprintln!("  or unset it (git config --global --unset core.hooksPath) and rerun.");
        return Ok(Exit::Error);
    }
    let (dir, actions) = install::install_global(hooks, exe)?;
    print(&actions, say);
    let d = dir.display().to_string();
    if git_global(&["config", "--global", "core.hooksPath", &d])?.is_none() {
        bail!("git config --global core.hooksPath {d} failed");
    }
    say.line(format_args!(
        "set the global core.hooksPath to {d} (a clone's own .git/hooks still run first)"
    ));
    Ok(Exit::Clean)
}

fn git_global(args: &[&str]) -> Result<Option<String>> {
    let out = Command::new("git")
        .args(args)
        .output()
        .context("running git")?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
}

fn server(args: &InstallArgs, exe: Option<&Path>, say: Say) -> Result<Exit> {
    let platform = match args.platform {
        PlatformArg::Bare => Platform::Bare,
        PlatformArg::Gitlab => Platform::Gitlab,
        PlatformArg::Gitea => Platform::Gitea,
        PlatformArg::Ghes => Platform::Ghes,
    };
    let hooks = if args.hooks.is_empty() {
        vec!["pre-receive".to_owned()]
    } else {
        args.hooks.clone()
    };
    let actions = if args.uninstall {
        install::uninstall_server(&args.git_dir, platform, &hooks)?
    } else {
        install::install_server(&args.git_dir, platform, &hooks, exe)?
    };
    print(&actions, say);
    Ok(Exit::Clean)
}
