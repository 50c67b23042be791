//! `cargo +nightly fuzz run gitleaks`: the `gitleaks` harness of `phiguard::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phiguard::fuzzing::gitleaks(data);
});
