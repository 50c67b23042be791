//! `cargo +nightly fuzz run structure`: the `structure` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::structure(data);
});
