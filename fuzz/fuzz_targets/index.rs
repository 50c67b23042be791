//! `cargo +nightly fuzz run index`: the `index` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::index(data);
});
