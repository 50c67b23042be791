//! `cargo +nightly fuzz run refs`: the `refs` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::refs(data);
});
