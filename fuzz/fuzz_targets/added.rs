//! `cargo +nightly fuzz run added`: the `added` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::added(data);
});
