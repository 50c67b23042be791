//! `phiguard install`.

use super::Exit;
use crate::cli::InstallArgs;
use anyhow::Result;
use phiguard::install::{self, Action};

pub fn run(args: &InstallArgs) -> Result<Exit> {
    let cwd = std::env::current_dir()?;
    let dir = install::hooks_dir(&cwd)?;
    let actions = if args.uninstall {
        install::uninstall(&dir, &args.hooks)?
    } else {
        let exe = std::env::current_exe().ok();
        install::install(&dir, &args.hooks, args.force, exe.as_deref())?
    };
    for a in actions {
        match a {
            Action::Installed(p) => println!("installed {}", p.display()),
            Action::Updated(p) => println!("updated {}", p.display()),
            Action::Replaced(p, b) => println!(
                "installed {} (previous hook kept as {})",
                p.display(),
                b.display()
            ),
            Action::Removed(p) => println!("removed {}", p.display()),
            Action::Absent(p) => println!("no phiguard hook at {}", p.display()),
        }
    }
    Ok(Exit::Clean)
}
