//! Work counting, for the tests that prove a scan linear in its input without timing it.
//!
//! The places whose cost grows with what surrounds a candidate (the line-end searches, the
//! context windows, the marker checks, the keyword lookups, the excerpt windows) add the
//! bytes or items they go through with [`add`]. In test builds a per-thread counter keeps the
//! sum (`take`); in other builds [`add`] is empty and compiles away. A test scans the same
//! shape at 1× and 4× and asserts that the count grows no more than about 4×: a per-candidate
//! read of a whole line, or a pass over every finding for each finding, shows up as 16×.

#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps of work on this thread (test builds only).
#[inline(always)]
pub fn add(n: usize) {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

/// The steps counted on this thread since the last call.
#[cfg(test)]
pub fn take() -> u64 {
    STEPS.with(|s| s.replace(0))
}
