//! `cargo +nightly fuzz run config`: the `config` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::config(data);
});
