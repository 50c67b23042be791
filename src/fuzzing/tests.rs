//! Property tests over every fuzzing target (bounded case counts, so they run in `cargo test`),
//! the regression inputs in `tests/regressions/`, and the stable loop driver.
//!
//! Each case runs on its own thread with a deadline: a hang (the CRLF loop of issue 25) fails
//! the case instead of wedging the suite. The work a case counts ([`crate::work`]) must stay
//! within a constant per input byte.

use super::*;
use proptest::prelude::*;
use std::time::Duration;

/// Counted steps allowed per byte of input (and per byte of the shape it decodes to): far
/// above what a linear pass counts, far below what a quadratic one reaches on these sizes.
const STEPS_PER_BYTE: u64 = 4096;

/// How long one case may take before it counts as a hang (debug build, loaded machine).
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs target `f` on `data` on a thread with a deadline; the counted work must be linear.
fn check(name: &'static str, f: Harness, data: &[u8]) {
    let owned = data.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .spawn(move || {
            steps();
            let size = f(&owned);
            let _ = tx.send((size, steps()));
        })
        .expect("a thread");
    match rx.recv_timeout(DEADLINE) {
        Ok((size, work)) => assert!(
            work <= STEPS_PER_BYTE * (size + data.len() as u64 + 1),
            "{name}: {work} steps for {size} bytes"
        ),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: no answer within {DEADLINE:?} (a hang) on {data:?}")
        }
        // The thread panicked: its message is on stderr; fail here too.
        Err(e) => panic!("{name}: the harness panicked ({e}) on {data:?}"),
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn line_splitter_equals_a_naive_split(data in bytes(600)) {
        check("lines", lines, &data);
    }

    #[test]
    fn added_regions_equal_a_naive_line_difference(data in bytes(600)) {
        check("added", added, &data);
    }

    #[test]
    fn index_reader_neither_panics_nor_spins(data in bytes(400)) {
        check("index", index, &data);
    }

    #[test]
    fn loose_reader_neither_panics_nor_spins(data in bytes(400)) {
        check("loose", loose, &data);
    }

    #[test]
    fn gitleaks_translator_neither_panics_nor_spins(data in bytes(200)) {
        check("gitleaks", gitleaks, &data);
    }

    #[test]
    fn config_and_packs_neither_panic_nor_spin(data in bytes(300)) {
        check("config", config, &data);
    }

    #[test]
    fn ref_line_parsers_neither_panic_nor_spin(data in bytes(200)) {
        check("refs", refs, &data);
    }

    #[test]
    fn structure_walkers_neither_panic_nor_spin(data in bytes(160)) {
        check("structure", structure, &data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every validator, through the whole engine, on FHIR/YAML/FSH/XML/HL7/X12/CSV shapes with
    /// CRLF, CR, NUL and invalid UTF-8 between the tokens.
    #[test]
    fn engine_neither_panics_nor_spins_on_health_shapes(data in bytes(160)) {
        check("engine", engine, &data);
    }

    /// The same shapes in the formats whose readers walk lines, the CRLF hang's family.
    #[test]
    fn engine_terminates_on_crlf_yaml_and_fsh(toks in prop::collection::vec((0u8..200, 0u8..3), 1..40), fsh in any::<bool>()) {
        let mut data = vec![if fsh { 2 } else { 0 }];
        for (t, s) in toks {
            data.push(t);
            data.push([0u8, 1, 2][usize::from(s)]);
        }
        check("engine", engine, &data);
    }
}

/// The engine's work grows linearly when a shape is repeated: 4× the text (of 64 KiB or more),
/// at most ~5× the counted steps (a pass over every earlier finding per finding gives ~16×).
#[test]
fn engine_work_on_a_repeated_shape_is_linear() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 8,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&bytes(120), |data| {
            let (path, text) = shape(&data);
            // Past every walk's reach (the structure budget, 64 KiB), so that growth is the
            // count's, not the windows filling up.
            let reach = crate::detect::structure::BUDGET;
            let once = text.repeat(reach.div_ceil(text.len().max(1)));
            let four = once.repeat(4);
            steps();
            scan_text(path, once);
            let w1 = steps();
            scan_text(path, four);
            let w4 = steps();
            prop_assert!(
                w4 <= 5 * w1 + 4096,
                "{path}: {w1} steps once, {w4} repeated 4x"
            );
            Ok(())
        })
        .unwrap();
}

/// The minimized inputs the fuzzers found (`tests/regressions/<target>/*`), each replayed
/// through its target with the deadline and the work bound.
#[test]
fn regression_inputs_replay_cleanly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut replayed = 0;
    for (name, f) in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for entry in dir {
            let data = std::fs::read(entry.expect("a directory entry").path()).expect("an input");
            check(name, *f, &data);
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no regression inputs under {}",
        root.display()
    );
}

/// The stable loop driver: `PHIGUARD_FUZZ_SECONDS=60 cargo test --lib fuzzing::tests::drive
/// -- --ignored --nocapture` runs random inputs through every target (or the one named by
/// `PHIGUARD_FUZZ_TARGET`) for that long each, and prints executions per target. A hang or a
/// panic fails with the input.
#[test]
#[ignore = "a long fuzzing run, for when no nightly toolchain runs cargo-fuzz"]
fn drive() {
    let seconds: u64 = std::env::var("PHIGUARD_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let only = std::env::var("PHIGUARD_FUZZ_TARGET").ok();
    let mut state: u64 = std::env::var("PHIGUARD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    for (name, f) in TARGETS {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        let until = std::time::Instant::now() + Duration::from_secs(seconds);
        let mut runs = 0u64;
        while std::time::Instant::now() < until {
            let len = (next() % 96) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let run = std::panic::catch_unwind(|| check(name, *f, &data));
            runs += 1;
            if let Err(e) = run {
                println!("fuzz target {name}: failed at execution {runs}");
                std::panic::resume_unwind(e);
            }
        }
        println!("fuzz target {name}: {runs} executions in {seconds} s");
    }
}

/// The PHI-dense hostile inputs of `bench/hostile.sh`, by counted work: each shape at 128 KiB
/// and at 512 KiB (past every walk's 64 KiB reach) costs at most ~4.6× the steps. (Its other
/// inputs count no work: no keyword, no candidate.) Linear, not cheap: the CRLF YAML shape
/// counts ~500 steps per byte, each candidate walking its resource.
#[test]
fn hostile_shapes_take_work_linear_in_their_size() {
    let shapes: [(&str, &[u8]); 3] = [
        (
            "crlf.yaml",
            b"resourceType: Patient\r\nname:\r\n  - family: Ortega\r\n",
        ),
        (
            "cr.hl7",
            b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||MR1234567^^^H^MR||Ortega^Rosa\r",
        ),
        ("nul.txt", b"patient note line\0\n"),
    ];
    for (path, unit) in shapes {
        let work = |bytes: usize| {
            let text: Vec<u8> = unit.iter().copied().cycle().take(bytes).collect();
            steps();
            scan_text(path, text);
            steps()
        };
        let (w1, w4) = (work(128 << 10), work(512 << 10));
        assert!(
            w1 > 0,
            "{path}: no work counted, so the shape tests nothing"
        );
        assert!(
            w4 * 10 <= w1 * 46,
            "{path}: {w1} steps at 128 KiB, {w4} at 512 KiB ({:.1}x)",
            w4 as f64 / w1 as f64
        );
    }
}
