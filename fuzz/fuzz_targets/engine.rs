//! `cargo +nightly fuzz run engine`: the `engine` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::engine(data);
});
