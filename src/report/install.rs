//! `install`: what `phiguard install` did (one line per hook), or why it changed nothing and
//! the lines to add instead. Human only: `install` takes no `--format` but human (the binary
//! refuses the others). Paths are the user's own (the work tree, `core.hooksPath`), shown as
//! the platform shows them.

use std::io::{self, Write};
use std::path::PathBuf;

/// What happened to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Written.
    Installed(PathBuf),
    /// Written; the previous hook was kept at the second path and runs first.
    Chained(PathBuf, PathBuf),
    /// Already our shim, rewritten.
    Updated(PathBuf),
    /// Removed; the kept hook, if any, was put back.
    Removed(PathBuf, Option<PathBuf>),
    /// Nothing to remove.
    Absent(PathBuf),
    /// A starter configuration was written.
    Config(PathBuf),
    /// A configuration exists and was left alone.
    ConfigKept(PathBuf),
}

/// Hook scripts under version control: the team's, which phiguard never writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    /// husky manages the hooks, from this directory.
    Husky(PathBuf),
    /// `core.hooksPath` is this directory, tracked in the work tree.
    HooksPath(PathBuf),
}

impl Tracked {
    /// The hooks directory.
    pub fn dir(&self) -> &PathBuf {
        match self {
            Self::Husky(d) | Self::HooksPath(d) => d,
        }
    }
}

/// One line to add to a hook script: `DIR/HOOK:  LINE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookLine {
    /// The hook (`pre-commit`).
    pub hook: String,
    /// The line that calls phiguard (`phiguard hook pre-commit`).
    pub line: String,
}

/// One hook's command for `lefthook.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LefthookCommand {
    /// The hook (`pre-push`).
    pub hook: String,
    /// Its `run:` (`phiguard hook pre-push {1} {2}`).
    pub run: String,
    /// Whether the hook reads ref lines on stdin (`use_stdin: true`).
    pub use_stdin: bool,
}

/// One line of what `install` did or found (stdout; nothing under `-q`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A hook written or removed.
    Hook(Action),
    /// `--global`: the global `core.hooksPath` now points at this directory.
    GlobalSet(PathBuf),
    /// `--global --uninstall`: the global `core.hooksPath` was unset.
    GlobalUnset,
    /// phiguard's global hooks (this directory) already run in this repository.
    GlobalRuns(PathBuf),
    /// Every tracked hook script already calls phiguard.
    TrackedCalls(Tracked),
    /// `--uninstall`: no tracked hook script calls phiguard.
    TrackedClean(Tracked),
    /// lefthook's configuration already runs phiguard for every hook.
    LefthookRuns,
}

/// Why `install` changed nothing, and what to do instead (stderr; exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `--uninstall` in a repository that phiguard's global hooks (this directory) serve.
    GlobalUninstall(PathBuf),
    /// `core.hooksPath` is `dir`, outside the repository: `--force`, or these lines.
    Shared {
        /// The shared hooks directory.
        dir: PathBuf,
        /// One line for each hook script there.
        lines: Vec<HookLine>,
    },
    /// `--uninstall`: tracked hook scripts call phiguard; the team removes the lines.
    TrackedRemove(Tracked),
    /// The lines to add to the tracked hook scripts, and commit.
    TrackedAdd {
        /// Who keeps the scripts.
        tracked: Tracked,
        /// One line for each hook that does not call phiguard yet.
        lines: Vec<HookLine>,
    },
    /// lefthook manages the hooks: the commands to merge into its configuration.
    Lefthook {
        /// The work tree's `lefthook.yml`.
        config: PathBuf,
        /// One command for each hook its configuration does not run phiguard in yet.
        commands: Vec<LefthookCommand>,
    },
    /// `--global`: the global `core.hooksPath` is already another directory.
    GlobalElsewhere {
        /// Its value, as git prints it.
        path: String,
        /// One line for each hook script there.
        lines: Vec<HookLine>,
    },
}

/// What `phiguard install` has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// What it did or found, in order: for stdout, and nothing under `-q`.
    Done(Vec<Note>),
    /// It changed nothing: for stderr, always.
    Refused(Refusal),
}

/// Writes `outcome` for people (the caller picks the stream: stdout for [`Outcome::Done`],
/// stderr for [`Outcome::Refused`]).
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(outcome: &Outcome, w: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    match outcome {
        Outcome::Done(notes) => {
            for n in notes {
                note(n, &mut w)?;
            }
        }
        Outcome::Refused(r) => refusal(r, &mut w)?,
    }
    w.flush()
}

/// `husky manages …` or `core.hooksPath is …`, the start of every line about tracked hooks.
fn what(t: &Tracked) -> String {
    match t {
        Tracked::Husky(d) => format!("husky manages this repository's hooks ({})", d.display()),
        Tracked::HooksPath(d) => {
            format!(
                "core.hooksPath is {}, tracked in this repository",
                d.display()
            )
        }
    }
}

fn note(n: &Note, w: &mut dyn Write) -> io::Result<()> {
    match n {
        Note::Hook(a) => action(a, w),
        Note::GlobalSet(d) => writeln!(
            w,
            "set the global core.hooksPath to {} (a clone's own .git/hooks still run first)",
            d.display()
        ),
        Note::GlobalUnset => writeln!(w, "unset the global core.hooksPath"),
        Note::GlobalRuns(d) => writeln!(
            w,
            "phiguard's global hooks ({}) already run in this repository; nothing to do",
            d.display()
        ),
        Note::TrackedCalls(t) => writeln!(w, "{}; every hook already calls phiguard", what(t)),
        Note::TrackedClean(t) => writeln!(w, "{}; no script there calls phiguard", what(t)),
        Note::LefthookRuns => writeln!(
            w,
            "lefthook manages this repository's hooks; its configuration already runs phiguard"
        ),
    }
}

fn action(a: &Action, w: &mut dyn Write) -> io::Result<()> {
    match a {
        Action::Installed(p) => writeln!(w, "installed {}", p.display()),
        Action::Updated(p) => writeln!(w, "updated {}", p.display()),
        Action::Chained(p, b) => writeln!(
            w,
            "installed {} (the existing hook, kept as {}, runs first)",
            p.display(),
            b.display()
        ),
        Action::Removed(p, None) => writeln!(w, "removed {}", p.display()),
        Action::Removed(p, Some(b)) => writeln!(
            w,
            "removed {} (restored it from {})",
            p.display(),
            b.display()
        ),
        Action::Absent(p) => writeln!(w, "no phiguard hook at {}", p.display()),
        Action::Config(p) => writeln!(w, "wrote a starter configuration {}", p.display()),
        Action::ConfigKept(p) => writeln!(w, "kept the existing configuration {}", p.display()),
    }
}

/// `INDENTDIR/HOOK:  LINE`, one per hook.
fn lines(dir: &str, lines: &[HookLine], indent: &str, w: &mut dyn Write) -> io::Result<()> {
    for l in lines {
        writeln!(w, "{indent}{dir}/{}:  {}", l.hook, l.line)?;
    }
    Ok(())
}

fn refusal(r: &Refusal, w: &mut dyn Write) -> io::Result<()> {
    match r {
        Refusal::GlobalUninstall(d) => writeln!(
            w,
            "phiguard: this repository uses phiguard's global hooks ({}); nothing was \
             changed. `phiguard install --global --uninstall` removes them for every clone",
            d.display()
        ),
        Refusal::Shared { dir, lines: l } => {
            writeln!(
                w,
                "phiguard: core.hooksPath is {}, outside this repository: every repository that \
                 uses it would change. Nothing was changed.",
                dir.display()
            )?;
            writeln!(
                w,
                "  to install there anyway (existing hooks are chained): phiguard install --force"
            )?;
            writeln!(w, "  or add one line to each hook script there:")?;
            lines(&dir.display().to_string(), l, "    ", w)
        }
        Refusal::TrackedRemove(t) => writeln!(
            w,
            "phiguard: {}; remove the `phiguard hook` lines from its scripts.",
            what(t)
        ),
        Refusal::TrackedAdd { tracked, lines: l } => {
            writeln!(
                w,
                "phiguard: {}. Nothing was changed: add these lines and commit them",
                what(tracked)
            )?;
            if let Tracked::Husky(_) = tracked {
                writeln!(
                    w,
                    "(husky runs .husky/<hook>; create the file if it does not exist):"
                )?;
            }
            lines(&tracked.dir().display().to_string(), l, "  ", w)
        }
        Refusal::Lefthook { config, commands } => {
            writeln!(
                w,
                "phiguard: lefthook manages this repository's hooks. Nothing was changed: merge \
                 these commands into {}, then run `lefthook install`:",
                config.display()
            )?;
            for c in commands {
                writeln!(
                    w,
                    "{}:\n  commands:\n    phiguard:\n      run: {}",
                    c.hook, c.run
                )?;
                if c.use_stdin {
                    writeln!(w, "      use_stdin: true")?;
                }
            }
            Ok(())
        }
        Refusal::GlobalElsewhere { path, lines: l } => {
            writeln!(
                w,
                "phiguard: the global core.hooksPath is already {path}; nothing was changed. \
                 Either add one line to each hook script there:"
            )?;
            lines(path, l, "    ", w)?;
            writeln!(
                w,
                "  or unset it (git config --global --unset core.hooksPath) and rerun."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(outcome: &Outcome) -> String {
        let mut out = Vec::new();
        write(outcome, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn line(hook: &str, line: &str) -> HookLine {
        HookLine {
            hook: hook.to_owned(),
            line: line.to_owned(),
        }
    }

    #[test]
    fn done_is_one_line_per_hook_then_the_hooks_path() {
        let done = Outcome::Done(vec![
            Note::Hook(Action::Installed("h/pre-commit".into())),
            Note::Hook(Action::Chained(
                "h/pre-push".into(),
                "h/pre-push.legacy".into(),
            )),
            Note::Hook(Action::Removed("h/commit-msg".into(), None)),
            Note::GlobalSet("/home/u/.config/phiguard/hooks".into()),
        ]);
        assert_eq!(
            text(&done),
            "installed h/pre-commit\n\
             installed h/pre-push (the existing hook, kept as h/pre-push.legacy, runs first)\n\
             removed h/commit-msg\n\
             set the global core.hooksPath to /home/u/.config/phiguard/hooks (a clone's own \
             .git/hooks still run first)\n"
        );
        assert_eq!(text(&Outcome::Done(Vec::new())), "");
    }

    #[test]
    fn husky_refusal_names_the_lines_to_add() {
        let refused = Outcome::Refused(Refusal::TrackedAdd {
            tracked: Tracked::Husky(".husky/_".into()),
            lines: vec![
                line("pre-commit", "phiguard hook pre-commit"),
                line("commit-msg", "phiguard hook commit-msg \"$1\""),
            ],
        });
        assert_eq!(
            text(&refused),
            "phiguard: husky manages this repository's hooks (.husky/_). Nothing was changed: \
             add these lines and commit them\n\
             (husky runs .husky/<hook>; create the file if it does not exist):\n  \
             .husky/_/pre-commit:  phiguard hook pre-commit\n  \
             .husky/_/commit-msg:  phiguard hook commit-msg \"$1\"\n"
        );
        let tracked = Outcome::Refused(Refusal::TrackedAdd {
            tracked: Tracked::HooksPath("githooks".into()),
            lines: vec![line("pre-commit", "phiguard hook pre-commit")],
        });
        assert_eq!(
            text(&tracked),
            "phiguard: core.hooksPath is githooks, tracked in this repository. Nothing was \
             changed: add these lines and commit them\n  \
             githooks/pre-commit:  phiguard hook pre-commit\n"
        );
    }

    #[test]
    fn lefthook_refusal_is_yaml_to_merge() {
        let refused = Outcome::Refused(Refusal::Lefthook {
            config: "w/lefthook.yml".into(),
            commands: vec![LefthookCommand {
                hook: "pre-push".to_owned(),
                run: "phiguard hook pre-push {1} {2}".to_owned(),
                use_stdin: true,
            }],
        });
        assert_eq!(
            text(&refused),
            "phiguard: lefthook manages this repository's hooks. Nothing was changed: merge \
             these commands into w/lefthook.yml, then run `lefthook install`:\n\
             pre-push:\n  commands:\n    phiguard:\n      run: phiguard hook pre-push {1} {2}\n      \
             use_stdin: true\n"
        );
    }

    #[test]
    fn global_elsewhere_refusal_offers_both_ways() {
        let refused = Outcome::Refused(Refusal::GlobalElsewhere {
            path: "/srv/hooks".to_owned(),
            lines: vec![line("pre-commit", "phiguard hook pre-commit")],
        });
        assert_eq!(
            text(&refused),
            "phiguard: the global core.hooksPath is already /srv/hooks; nothing was changed. \
             Either add one line to each hook script there:\n    \
             /srv/hooks/pre-commit:  phiguard hook pre-commit\n  \
             or unset it (git config --global --unset core.hooksPath) and rerun.\n"
        );
    }
}
