//! The `phiguard` binary: parse the command line, resolve one configuration, run, and map
//! the outcome to the exit-code contract (0 clean, 1 blocked, 2 error — hooks fail closed).

mod cli;
mod cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let text = phiguard::report::sanitize::display_str(&format!("{err:#}"));
            eprintln!("phiguard: error: {text}");
            cmd::Exit::Error.into()
        }
    }
}

/// `phiguard rules list | head` must end quietly, like every Unix filter, instead of panicking
/// in `println!`: Rust ignores SIGPIPE by default, so restore the default action.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
