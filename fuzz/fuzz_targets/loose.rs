//! `cargo +nightly fuzz run loose`: the `loose` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::loose(data);
});
