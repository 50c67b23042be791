//! `cargo +nightly fuzz run lines`: the `lines` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::lines(data);
});
