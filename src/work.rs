//! Work counting, for the tests that prove a scan linear in its input without timing it.
//!
//! The places whose cost grows with what surrounds a candidate (the line-end searches, the
//! context windows, the marker checks, the keyword lookups, the excerpt windows) add the
//! bytes or items they go through with [`add`]. In test builds (and with the `fuzzing` feature, which `fuzz/` turns on) a per-thread counter keeps the
//! sum (`take`); in other builds [`add`] is empty and compiles away. A test scans the same
//! shape at 1× and 4× and asserts that the count grows no more than about 4×: a per-candidate
//! read of a whole line, or a pass over every finding for each finding, shows up as 16×.

#[cfg(any(test, feature = "fuzzing"))]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps of work on this thread (test builds only).
#[inline(always)]
pub fn add(n: usize) {
    #[cfg(any(test, feature = "fuzzing"))]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(any(test, feature = "fuzzing")))]
    let _ = n;
}

/// The steps counted on this thread since the last call, to be added to the thread it
/// worked for (0 in other builds).
pub fn handed_back() -> u64 {
    #[cfg(any(test, feature = "fuzzing"))]
    return take();
    #[cfg(not(any(test, feature = "fuzzing")))]
    0
}

/// The steps counted on this thread since the last call.
#[cfg(any(test, feature = "fuzzing"))]
pub fn take() -> u64 {
    STEPS.with(|s| s.replace(0))
}

/// Asserts that `work(n)` (the steps a test counted for an input of size `n`) is linear: at
/// 8,000 it is at most four times what it is at 2,000 (plus a constant), and not zero. A
/// quadratic step gives sixteen times.
#[cfg(test)]
pub fn assert_linear(label: &str, mut work: impl FnMut(usize) -> u64) {
    let one = work(2_000);
    let four = work(8_000);
    assert!(
        one > 0 && four <= one * 4 + 64,
        "{label}: {one} steps, then {four} at 4x"
    );
}
