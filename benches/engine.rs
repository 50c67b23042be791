//! Micro-benchmarks of the engine alone, on in-memory buffers: no git, no file system, so a
//! change to the prefilter or a rule shows up without I/O noise. `cargo bench --bench engine`.
//! The corpus-level comparison with the peers is `bench/run.sh`.

use phiguard::detect::{DetectOptions, Scratch};
use phiguard::detect::{RuleDb, RuleDbBuilder, Selection};
use phiguard::policy::Policy;
use phiguard::scan::Engine;
use phiguard::source::Item;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn db() -> &'static RuleDb {
    static DB: OnceLock<RuleDb> = OnceLock::new();
    DB.get_or_init(|| {
        let b = RuleDbBuilder::builtin().unwrap();
        let db = b.select(Selection::default(), "bench").build().unwrap();
        db.compile_all().unwrap();
        db
    })
}

/// About 1 MiB of ordinary code: identifiers, numbers, strings, comments — what most added
/// lines look like. Deterministic.
fn ordinary_code() -> Vec<u8> {
    let mut out = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let line = match x % 6 {
            0 => format!(
                "    let value_{} = compute(&config, {}, \"label\");\n",
                x % 1000,
                x % 100_000
            ),
            1 => format!(
                "    // see issue #{} for the reason this is {} bytes\n",
                x % 5000,
                x % 4096
            ),
            2 => format!(
                "    if retries > {} {{ return Err(Error::Timeout({})); }}\n",
                x % 10,
                x % 30_000
            ),
            3 => format!(
                "    map.insert(\"key-{}\", Version::new(1, {}, {}));\n",
                x % 999,
                x % 40,
                x % 9
            ),
            4 => "    }\n".to_owned(),
            _ => format!("fn handler_{}(req: &Request) -> Response {{\n", x % 10_000),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// The same code with a planted identifier or secret every 200 lines (synthetic values).
fn planted_code() -> Vec<u8> {
    let base = ordinary_code();
    let mut out = Vec::with_capacity(base.len() + (64 << 10));
    for (i, line) in base.split_inclusive(|&b| b == b'\n').enumerate() {
        out.extend_from_slice(line);
        if i % 200 == 0 {
            let planted: &[u8] = match i / 200 % 3 {
                0 => b"    let ssn = \"536-90-4399\";\n",
                1 => b"    aws_access_key_id = AKIAOUDOCUZRENUN7Z5J\n",
                _ => b"    patient_ssn = 772104567\n",
            };
            out.extend_from_slice(planted);
        }
    }
    out
}

fn scan(text: &[u8], prefilter: bool) -> usize {
    let policy = Policy::default();
    let engine = Engine {
        db: db(),
        policy: &policy,
        detect: DetectOptions {
            prefilter,
            ..DetectOptions::default()
        },
        fingerprint_key: &phiguard::fingerprint::Key::from_bytes(*b"bench"),
    };
    let item = Item::whole("bench.rs", text.to_vec());
    let found = engine.scan_item(&item, &mut Scratch::default()).unwrap();
    found.findings.len()
}

#[divan::bench(args = [true, false])]
fn ordinary_1mib(bencher: divan::Bencher, prefilter: bool) {
    let text = ordinary_code();
    bencher
        .counter(divan::counter::BytesCount::of_slice(&text))
        .bench(|| scan(divan::black_box(&text), prefilter));
}

#[divan::bench]
fn planted_1mib(bencher: divan::Bencher) {
    let text = planted_code();
    bencher
        .counter(divan::counter::BytesCount::of_slice(&text))
        .bench(|| scan(divan::black_box(&text), true));
}

#[divan::bench]
fn added_regions_1mib(bencher: divan::Bencher) {
    let old = ordinary_code();
    let new = planted_code();
    bencher
        .counter(divan::counter::BytesCount::of_slice(&new))
        .bench(|| phiguard::source::added::added_regions(&[&old], divan::black_box(&new)).len());
}

/// This crate's own Rust sources, concatenated: real code that every clone has.
fn own_sources() -> Vec<u8> {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src/ is readable")
            .map(|e| e.expect("src/ is readable").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files
        .iter()
        .flat_map(|f| std::fs::read(f).expect("a source file is readable"))
        .collect()
}

/// The keyword automaton alone: every built-in keyword over ordinary code (`synthetic`) and
/// over this crate's sources (`own_src`).
#[divan::bench(args = ["synthetic", "own_src"])]
fn keywords(bencher: divan::Bencher, text: &str) {
    let text = if text == "synthetic" {
        ordinary_code()
    } else {
        own_sources()
    };
    let automaton = db().automaton().expect("the built-in packs have keywords");
    bencher
        .counter(divan::counter::BytesCount::of_slice(&text))
        .bench(|| {
            let mut n = 0usize;
            automaton.for_each_match(divan::black_box(&text), |_, _, _| n += 1);
            n
        });
}

/// Lines and their digit counts in one pass ([`phiguard::lines`]), next to the way
/// it replaced: one `memchr` and one digit count per line.
#[divan::bench(args = ["masks", "memchr"])]
fn lines_1mib(bencher: divan::Bencher, way: &str) {
    let text = ordinary_code();
    bencher
        .counter(divan::counter::BytesCount::of_slice(&text))
        .bench(|| {
            let text = divan::black_box(&text[..]);
            let mut sum = 0u64;
            if way == "masks" {
                phiguard::lines::for_each_line_with_digits(text, 0..text.len(), |s, e, d| {
                    sum += (s ^ e) as u64 + u64::from(d);
                });
            } else {
                let mut start = 0;
                while start < text.len() {
                    let end =
                        memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
                    let d = text[start..end]
                        .iter()
                        .filter(|b| b.is_ascii_digit())
                        .count() as u64;
                    sum += (start ^ end) as u64 + d;
                    start = end;
                }
            }
            sum
        });
}
