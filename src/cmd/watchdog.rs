//! The watchdog (issue 25): a thread that, at a deadline, writes one message naming the cause
//! and ends the process with exit 2, whatever the scanning threads are doing. The scan checks
//! its budget between jobs only; a validator stuck inside one job is ended here.
//!
//! Server hooks arm it at `[server] budget_ms` plus a grace (a tenth of the budget, between 1
//! and 5 s), so that the scan's own check at the budget, which records the audit line and
//! honours `fail_open`, comes first when it can; the watchdog always rejects (a stuck worker
//! is not a slow scan). Client hooks arm it at `[scan] watchdog_ms` (default 30 s) from the
//! hook's start: [`expect_client`] names the hook before the configuration is read, and
//! [`Session::new`](super::Session::new) arms it once the configuration is known.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the server hook's watchdog does before it ends the process: write the audit record
/// ([`Trail::arm_watchdog`](super::audit::Trail::arm_watchdog)).
type LastWords = Box<dyn FnOnce() + Send>;

/// The last words registered by [`last_words`], taken once by the firing watchdog.
static LAST_WORDS: Mutex<Option<LastWords>> = Mutex::new(None);

/// How long a firing watchdog waits for its last words (an audit log on a stalled disk must
/// not keep the hook alive past its end).
const LAST_WORDS_MS: u64 = 2000;

/// Registers what the watchdog does before it ends the process (once; a later call replaces
/// it). Runs on its own thread, bounded by [`LAST_WORDS_MS`].
pub fn last_words(f: LastWords) {
    *LAST_WORDS.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
}

/// Runs the registered last words, if any, waiting at most [`LAST_WORDS_MS`].
fn say_last_words() {
    let Some(f) = LAST_WORDS.lock().ok().and_then(|mut g| g.take()) else {
        return;
    };
    let (done, wait) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("phiguard-watchdog-record".into())
        .spawn(move || {
            f();
            let _ = done.send(());
        });
    if spawned.is_ok() {
        let _ = wait.recv_timeout(Duration::from_millis(LAST_WORDS_MS));
    }
}

/// The client hook waiting for its configuration: name and start.
static CLIENT: Mutex<Option<(&'static str, Instant)>> = Mutex::new(None);

/// Ends the process at `deadline` with `message` (no scanned content in it) and exit 2.
///
/// # Errors
///
/// When no thread can be started: the hook cannot guarantee an end, so it does not run.
pub fn arm(deadline: Instant, message: String) -> anyhow::Result<()> {
    let line = format!("phiguard: error: {message}\n");
    std::thread::Builder::new()
        .name("phiguard-watchdog".into())
        .spawn(move || {
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                std::thread::sleep(deadline - now);
            }
            say_last_words();
            // Straight to the descriptor and out: no lock another thread may hold (stderr's,
            // stdout's buffer) and no exit handlers can delay the end.
            // SAFETY: writes a live buffer to fd 2 and ends the process; no Rust state is used
            // afterwards.
            unsafe {
                libc::write(2, line.as_ptr().cast(), line.len() as _);
                libc::_exit(2);
            }
        })
        .map(drop)
        .map_err(|e| anyhow::anyhow!("starting the watchdog thread: {e}"))
}

/// The server hook's watchdog: `budget_ms` after `started`, plus the grace.
pub fn arm_server(started: Instant, budget_ms: u64) -> anyhow::Result<()> {
    let grace = (budget_ms / 10).clamp(1000, 5000);
    let message = format!(
        "{}; stopped by the watchdog",
        phiguard::Error::from(phiguard::ErrorKind::Budget { budget_ms })
    );
    arm(started + Duration::from_millis(budget_ms + grace), message)
}

/// Notes that a client hook (`pre-commit`, `commit-msg`, `pre-push`) runs, from now; its
/// watchdog is armed when the configuration is read ([`arm_client`]).
pub fn expect_client(hook: &'static str) {
    *CLIENT.lock().unwrap_or_else(|e| e.into_inner()) = Some((hook, Instant::now()));
}

/// Arms the watchdog of the client hook [`expect_client`] named, if any, at `watchdog_ms`
/// from its start. Once: later sessions of the same process change nothing.
pub fn arm_client(watchdog_ms: u64) -> anyhow::Result<()> {
    let Some((hook, started)) = CLIENT.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return Ok(());
    };
    arm(
        started + Duration::from_millis(watchdog_ms),
        format!(
            "the {hook} hook did not finish within {watchdog_ms} ms ([scan] watchdog_ms) and \
             was stopped by the watchdog; nothing was accepted (exit 2)"
        ),
    )
}
