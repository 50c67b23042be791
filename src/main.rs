//! The `phiguard` binary: parse the command line, resolve one configuration, run, and map
//! the outcome to the exit-code contract (0 clean, 1 blocked, 2 error — hooks fail closed).

mod cli;
mod cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
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
