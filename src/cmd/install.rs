//! `phiguard install`: client hooks in a clone, for every clone (`--global`), or server hooks.
//! What it did or why it refused is data ([`Outcome`]), printed by
//! [`phiguard::report::install`].

use super::Exit;
use crate::cli::{InstallArgs, PlatformArg};
use anyhow::{Context as _, Result, bail};
use phiguard::install::{self, Location, Platform};
use phiguard::report::install::{HookLine, LefthookCommand, Note, Outcome, Refusal, Tracked};
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

pub fn run(args: &InstallArgs, quiet: bool) -> Result<Exit> {
    let exe = std::env::current_exe().ok();
    if args.server {
        return server(args, exe.as_deref(), quiet);
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
        return global(args, &hooks, exe.as_deref(), quiet);
    }
    let cwd = std::env::current_dir()?;
    let dir = match install::locate(&cwd)? {
        Location::Repo(dir) if !args.uninstall && install::lefthook_manages(&dir) => {
            return show(&lefthook(&hooks)?, quiet);
        }
        Location::Repo(dir) => dir,
        // The global shims chain the clone's own hooks; per-repository shims there would not.
        Location::Global(dir) if args.uninstall => {
            return show(&Outcome::Refused(Refusal::GlobalUninstall(dir)), quiet);
        }
        Location::Global(dir) => return show(&Outcome::Done(vec![Note::GlobalRuns(dir)]), quiet),
        Location::Shared(dir) if args.force => dir,
        Location::Shared(dir) => {
            let lines = call_lines(&hooks);
            return show(&Outcome::Refused(Refusal::Shared { dir, lines }), quiet);
        }
        Location::Husky(dir) => return show(&tracked(Tracked::Husky(dir), &hooks, args), quiet),
        Location::Tracked(dir) => {
            return show(&tracked(Tracked::HooksPath(dir), &hooks, args), quiet);
        }
    };
    let actions = if args.uninstall {
        install::uninstall(&dir, &hooks)?
    } else {
        install::install(&dir, &hooks, exe.as_deref())?
    };
    show(&Outcome::Done(hook_notes(actions)), quiet)
}

/// Prints `outcome` through the report: what was done on stdout (nothing under `-q`), a
/// refusal on stderr (always, and exit 2).
fn show(outcome: &Outcome, quiet: bool) -> Result<Exit> {
    let exit = match outcome {
        Outcome::Done(_) if quiet => return Ok(Exit::Clean),
        Outcome::Done(_) => {
            let mut out = std::io::stdout().lock();
            phiguard::report::install::write(outcome, &mut out)?;
            out.flush()?;
            Exit::Clean
        }
        Outcome::Refused(_) => {
            let mut err = std::io::stderr().lock();
            phiguard::report::install::write(outcome, &mut err)?;
            err.flush()?;
            Exit::Error
        }
    };
    Ok(exit)
}

/// The line that calls phiguard, for each of `hooks`.
fn call_lines<S: AsRef<str>>(hooks: &[S]) -> Vec<HookLine> {
    hooks
        .iter()
        .map(|h| HookLine {
            hook: h.as_ref().to_owned(),
            line: install::call_line(h.as_ref()),
        })
        .collect()
}

/// husky, or a tracked hooks directory: the scripts are the team's, under version control;
/// phiguard writes nothing there (an absolute binary path must not land in a tracked file)
/// and says which lines to add.
fn tracked(t: Tracked, hooks: &[String], args: &InstallArgs) -> Outcome {
    let missing: Vec<&String> = hooks
        .iter()
        .filter(|h| !install::calls_phiguard(&t.dir().join(h), h))
        .collect();
    if args.uninstall {
        // Nothing of phiguard's there: done (said only without -q); else the lines to remove.
        if missing.len() == hooks.len() {
            return Outcome::Done(vec![Note::TrackedClean(t)]);
        }
        return Outcome::Refused(Refusal::TrackedRemove(t));
    }
    if missing.is_empty() {
        return Outcome::Done(vec![Note::TrackedCalls(t)]);
    }
    let lines = call_lines(&missing);
    Outcome::Refused(Refusal::TrackedAdd { tracked: t, lines })
}

/// lefthook owns the hooks directory: phiguard's commands belong in `lefthook.yml` (chaining
/// lefthook's scripts would run phiguard twice after the next `lefthook install`).
fn lefthook(hooks: &[String]) -> Result<Outcome> {
    let top = git_global(&["rev-parse", "--show-toplevel"])?
        .context("lefthook manages the hooks, but this is not a work tree")?;
    let top = Path::new(&top);
    let commands: Vec<LefthookCommand> = hooks
        .iter()
        .filter(|h| !install::lefthook_calls_phiguard(top, h))
        .map(|h| LefthookCommand {
            hook: h.clone(),
            run: install::lefthook_run(h),
            use_stdin: install::lefthook_use_stdin(h),
        })
        .collect();
    if commands.is_empty() {
        return Ok(Outcome::Done(vec![Note::LefthookRuns]));
    }
    let config = top.join("lefthook.yml");
    Ok(Outcome::Refused(Refusal::Lefthook { config, commands }))
}

fn global(args: &InstallArgs, hooks: &[String], exe: Option<&Path>, quiet: bool) -> Result<Exit> {
    let dir = install::global_dir().context("no user configuration directory")?;
    let current = git_global(&["config", "--global", "--get", "core.hooksPath"])?;
    let ours = current
        .as_deref()
        .is_some_and(|c| Path::new(c) == dir.as_path());
    if args.uninstall {
        let mut notes = hook_notes(install::uninstall(&dir, hooks)?);
        // The hooks removed are said even when git then fails.
        let unset = if ours {
            let unset = git_global(&["config", "--global", "--unset", "core.hooksPath"]);
            if unset.is_ok() {
                notes.push(Note::GlobalUnset);
            }
            Some(unset)
        } else {
            None
        };
        show(&Outcome::Done(notes), quiet)?;
        unset.transpose()?;
        return Ok(Exit::Clean);
    }
    if let Some(path) = current.filter(|_| !ours) {
        let lines = call_lines(hooks);
        return show(
            &Outcome::Refused(Refusal::GlobalElsewhere { path, lines }),
            quiet,
        );
    }
    let (dir, actions) = install::install_global(hooks, exe)?;
    let mut notes = hook_notes(actions);
    let d = dir.display().to_string();
    // The hooks written are said even when git then fails.
    let set = git_global(&["config", "--global", "core.hooksPath", &d]);
    if matches!(set, Ok(Some(_))) {
        notes.push(Note::GlobalSet(dir));
    }
    show(&Outcome::Done(notes), quiet)?;
    if set?.is_none() {
        bail!("git config --global core.hooksPath {d} failed");
    }
    Ok(Exit::Clean)
}

/// One note per hook written or removed.
fn hook_notes(actions: Vec<install::Action>) -> Vec<Note> {
    actions.into_iter().map(Note::Hook).collect()
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

fn server(args: &InstallArgs, exe: Option<&Path>, quiet: bool) -> Result<Exit> {
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
    show(&Outcome::Done(hook_notes(actions)), quiet)
}
