//! Linearity of a scan, by counted work (`crate::work`), on the PHI-dense shapes that were
//! quadratic (issues 20 and 25). Test vectors are synthetic; this file is a fixture path in
//! `.phiguard.toml`.

use super::*;
use crate::detect::DetectOptions;
use crate::detect::RuleDbBuilder;
use crate::policy::Policy;
use crate::source::Job;

/// A small generator, so the same values come every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn ssn(&mut self) -> String {
        format!(
            "{:03}-{:02}-{:04}",
            101 + self.next(500),
            1 + self.next(98),
            1 + self.next(9998)
        )
    }
    fn date(&mut self) -> String {
        format!(
            "{}-{:02}-{:02}",
            1930 + self.next(80),
            1 + self.next(12),
            1 + self.next(28)
        )
    }
    fn mrn(&mut self) -> String {
        format!("MR{}", 1_000_000 + self.next(8_999_999))
    }
}

const NAMES: &[&str] = &["Rosa", "Mateo", "Ortega", "Nguyen", "Okafor", "Haddad"];

fn patient(r: &mut Lcg, i: usize) -> String {
    format!(
        r#"{{"resourceType":"Patient","id":"p{i}","identifier":[{{"system":"http://hl7.org/fhir/sid/us-ssn","value":"{}"}},{{"system":"urn:oid:1.3.6.1.4.1.54392.5.1","value":"{}"}}],"name":[{{"family":"{}","given":["{}"]}}],"birthDate":"{}"}}"#,
        r.ssn(),
        r.mrn(),
        NAMES[i % 6],
        NAMES[(i + 1) % 6],
        r.date()
    )
}

/// `n` records of each shape.
fn shapes(n: usize) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut r = Lcg(7);
    let csv: String = std::iter::once("mrn,first_name,last_name,dob,ssn\n".to_owned())
        .chain((0..n).map(|i| {
            format!(
                "{},{},{},{},{}\n",
                r.mrn(),
                NAMES[i % 6],
                NAMES[(i + 2) % 6],
                r.date(),
                r.ssn()
            )
        }))
        .collect();
    let entries: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"resource":{}}}"#, patient(&mut r, i)))
        .collect();
    let bundle = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#,
        entries.join(",")
    );
    let ndjson: String = (0..n).map(|i| patient(&mut r, i) + "\n").collect();
    let hl7 = |r: &mut Lcg, sep: &str| -> String {
        (0..n)
            .map(|i| {
                format!(
                    "MSH|^~\\&|EPIC|HOSP|LAB|HOSP|20240101120000||ADT^A01|M{i}|P|2.5{sep}PID|1||{}^^^HOSP^MR||{}^{}||{}|F|||||||||{}{sep}",
                    r.mrn(),
                    NAMES[i % 6],
                    NAMES[(i + 3) % 6],
                    r.date().replace('-', ""),
                    r.ssn()
                )
            })
            .collect()
    };
    let hl7_lf = hl7(&mut r, "\n");
    let hl7_cr = hl7(&mut r, "\r");
    let ssn_line: String = (0..n).map(|_| r.ssn() + " ").collect::<String>() + "\n";
    let ssn_lines: String = (0..n).map(|_| format!("id {} ssn\n", r.ssn())).collect();
    let dashes: String = (0..n).map(|_| r.ssn()).collect::<Vec<_>>().join("-") + "\n";
    // Look-alike characters: every value folded, on lines and on one line.
    let en_dash_lines: String = (0..n)
        .map(|_| format!("id {} ssn\n", r.ssn().replace('-', "\u{2013}")))
        .collect();
    let wide_line: String = (0..n)
        .map(|_| {
            r.ssn()
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
                .collect::<String>()
                + " "
        })
        .collect::<String>()
        + "\n";
    // Escapes: a request log's query strings on one line, HTML references on lines.
    let escaped_line: String = (0..n)
        .map(|_| format!("?ssn={}&", r.ssn().replace('-', "%2D")))
        .collect::<String>()
        + "\n";
    let reference_lines: String = (0..n)
        .map(|_| format!("<td>SSN {}</td>\n", r.ssn().replace('-', "&#8211;")))
        .collect();
    vec![
        ("csv", "patients.csv", csv.into_bytes()),
        ("bundle (one line)", "bundle.json", bundle.into_bytes()),
        ("ndjson", "patients.ndjson", ndjson.into_bytes()),
        ("hl7 (LF)", "adt.hl7", hl7_lf.into_bytes()),
        ("hl7 (CR only)", "adt-cr.hl7", hl7_cr.into_bytes()),
        ("ssn line", "ids.txt", ssn_line.into_bytes()),
        ("ssn lines", "ids2.txt", ssn_lines.into_bytes()),
        ("digits and dashes", "dashes.txt", dashes.into_bytes()),
        (
            "ssn lines, en dashes",
            "ids3.txt",
            en_dash_lines.into_bytes(),
        ),
        ("ssn line, full width", "ids4.txt", wide_line.into_bytes()),
        (
            "ssn line, URL escapes",
            "access.log",
            escaped_line.into_bytes(),
        ),
        (
            "ssn lines, HTML references",
            "record.html",
            reference_lines.into_bytes(),
        ),
    ]
}

/// Counted work and findings of one scan of `text` as `path`.
fn scan(engine: &Engine<'_>, path: &str, text: Vec<u8>) -> (u64, usize) {
    let item = Item::whole(path, text);
    let mut scratch = crate::detect::Scratch::default();
    crate::work::take();
    let found = engine.scan_item(&item, &mut scratch).unwrap();
    let capped: usize = found.capped.iter().map(|c| c.count).sum();
    (
        crate::work::take(),
        found.findings.len() + found.suppressed.len() + capped,
    )
}

/// Runs `f` with an engine over the built-in rules and the default policy.
pub(super) fn with_engine<R>(f: impl FnOnce(&Engine<'_>) -> R) -> R {
    let db = RuleDbBuilder::builtin().unwrap().build().unwrap();
    let policy = Policy::default();
    let key = crate::fingerprint::Key::from_bytes(*b"linearity");
    f(&Engine {
        db: &db,
        policy: &policy,
        detect: DetectOptions::default(),
        fingerprint_key: &key,
    })
}

/// Asserts that 4x the input cost at most ~4.6x the work `w1` did (a quadratic step gives
/// ~16x).
fn assert_linear(name: &str, w1: u64, w4: u64) {
    assert!(
        w4 * 10 <= w1 * 46,
        "{name}: {w1} steps at 1x, {w4} at 4x ({:.1}x)",
        w4 as f64 / w1 as f64
    );
}

/// Asserts that scanning `text` as `path` finds at least `min_found` findings and costs
/// fewer than 64 counted steps per byte: each record read once, not once per candidate.
fn read_once(path: &str, text: String, min_found: usize) {
    let bytes = text.len() as u64;
    let (work, found) = with_engine(|engine| scan(engine, path, text.into_bytes()));
    assert!(found >= min_found, "{found} findings");
    assert!(
        work < 64 * bytes,
        "{work} steps for {bytes} bytes ({} per byte)",
        work / bytes
    );
}

#[test]
fn dense_shapes_take_work_linear_in_their_size() {
    with_engine(|engine| {
        for ((name, path, small), (_, _, large)) in shapes(400).into_iter().zip(shapes(1600)) {
            let (w1, f1) = scan(engine, path, small);
            let (w4, f4) = scan(engine, path, large);
            // Digits chained by dashes are no SSNs (detectors.md §1.5): that shape has no findings,
            // and its candidates must still cost linear work.
            if name != "digits and dashes" {
                assert!(
                    f1 > 0,
                    "{name}: no findings at 1x, so the shape tests nothing"
                );
                assert!(f4 >= 3 * f1, "{name}: {f1} findings at 1x, {f4} at 4x");
            }
            assert!(w1 > 0, "{name}: no work counted");
            assert_linear(name, w1, w4);
        }
    });
}

/// A file of small YAML Patients with CRLF line ends: each candidate read 16 KiB of the
/// resources after its own (480 counted steps per byte, 25x gitleaks on 50 MB). Each
/// resource is now read up to the next one's first line.
#[test]
fn small_yaml_resources_are_each_read_once() {
    let mut r = Lcg(11);
    let text: String = (0..400)
        .map(|i| {
            format!(
                "resourceType: Patient\r\nname:\r\n  - family: {}\r\n    given: {}\r\nbirthDate: {}\r\nidentifier:\r\n  - value: {}\r\n",
                NAMES[i % 6],
                NAMES[(i + 1) % 6],
                r.date(),
                r.ssn()
            )
        })
        .collect();
    read_once("patients.yaml", text, 400);
}

/// A file of short HL7 messages separated by `\r` only: each candidate's marker check read
/// 8 KiB around it, 90 times the file on 50 MB. It now reads its own message.
#[test]
fn short_hl7_messages_are_each_read_once() {
    let mut r = Lcg(13);
    let text: String = (0..800)
        .map(|i| {
            format!(
                "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|{i}|P|2.5\rPID|1||{}^^^H^MR||{}^{}||{}|F|||||||||{}\r",
                r.mrn(),
                NAMES[i % 6],
                NAMES[(i + 1) % 6],
                r.date().replace('-', ""),
                r.ssn()
            )
        })
        .collect();
    read_once("adt.hl7", text, 800);
}

/// A FHIR Bundle minified onto one line: the marker check of each candidate started its
/// walk out to the resource at a cut of the line that could lie inside a string, so the walk
/// saw strings as structure and read 16 KiB back (0.7 s for 3 MB, slower than gitleaks). A
/// string value's walk now starts at its own opening quote.
#[test]
fn a_minified_bundle_is_walked_from_each_value_not_from_a_cut_of_its_line() {
    let mut r = Lcg(17);
    let entries: Vec<String> = (0..400)
        .map(|i| format!(r#"{{"resource":{}}}"#, patient(&mut r, i)))
        .collect();
    let bundle = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#,
        entries.join(",")
    );
    read_once("bundle.json", bundle, 400);
}

/// Issue 24 §2: a value judged synthetic once in a file is synthetic where it repeats there;
/// the set costs work linear in the matches (`n` marked resources and `n` narratives).
#[test]
fn synthetic_values_spread_within_a_file_in_linear_work() {
    let file = |n: usize| -> String {
        let mut r = Lcg(17);
        (0..n)
            .map(|_| {
                let (mrn, dob) = (1_000_000 + r.next(8_999_999), r.date());
                let (y, m, d) = (&dob[..4], &dob[5..7], &dob[8..]);
                format!(
                    "{{\"resourceType\":\"Patient\",\"identifier\":[{{\"type\":{{\"coding\":[{{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}}]}},\"system\":\"http://hospital.smarthealthit.org\",\"value\":\"{mrn}\"}}],\"birthDate\":\"{dob}\"}}\n\
                     Seen today: MRN: {mrn}, DOB: {m}/{d}/{y}\n"
                )
            })
            .collect()
    };
    with_engine(|engine| {
        let live = |n: usize| {
            let item = Item::whole("examples.txt", file(n).into_bytes());
            let mut scratch = crate::detect::Scratch::default();
            crate::work::take();
            let found = engine.scan_item(&item, &mut scratch).unwrap();
            let capped = |live: bool| -> usize {
                let by = |c: &&crate::model::Capped| c.suppressed.is_none() == live;
                found.capped.iter().filter(by).map(|c| c.count).sum()
            };
            (
                crate::work::take(),
                found.findings.len() + capped(true),
                found.suppressed.len() + capped(false),
            )
        };
        let (w1, live1, suppressed1) = live(50);
        let (w4, live4, suppressed4) = live(200);
        assert_eq!(
            (live1, live4),
            (0, 0),
            "a repeated example value was not spread"
        );
        assert!(
            suppressed1 >= 100 && suppressed4 >= 400,
            "{suppressed1} {suppressed4}"
        );
        assert_linear("synthetic spread", w1, w4);
    });
}

/// A dense item's findings pass shared with a helper thread (synthetic values spread and
/// masks on one, dedupe and positions on the other) gives what one thread gives: the same
/// findings, suppressed findings and capped counts, in the same order. The text has values
/// repeated from a marked resource (spread), overlapping matches (dedupe) and anchors beside
/// identifiers (co-location).
#[test]
fn a_dense_items_findings_pass_on_two_threads_is_the_one_thread_pass() {
    let mut r = Lcg(29);
    let mut text = String::from("mrn,first_name,last_name,dob,ssn,phone,address\n");
    for i in 0..6_000 {
        text.push_str(&format!(
            "{},{},{},{},{},(312) 555-{:04},\"{} Elm Street\"\n",
            r.mrn(),
            NAMES[i % 6],
            NAMES[(i + 2) % 6],
            r.date(),
            r.ssn(),
            i % 10_000,
            1 + i % 900,
        ));
    }
    for i in 0..300 {
        let (mrn, dob) = (1_000_000 + r.next(8_999_999), r.date());
        text.push_str(&format!(
            "{{\"resourceType\":\"Patient\",\"identifier\":[{{\"system\":\"http://hospital.smarthealthit.org\",\"value\":\"{mrn}\"}}],\"birthDate\":\"{dob}\"}}\n\
             Seen today: MRN: {mrn}, DOB: {dob}, SSN {} and HICN {}A\n",
            r.ssn(),
            100_000_000 + i
        ));
    }
    let db = RuleDbBuilder::builtin().unwrap().build().unwrap();
    let policy = Policy::default();
    let key = crate::fingerprint::Key::from_bytes(*b"two threads");
    let item = Item::whole("extract.csv", text.into_bytes());
    let run = |threads: usize| {
        let engine = Engine {
            db: &db,
            policy: &policy,
            detect: DetectOptions {
                threads,
                ..DetectOptions::default()
            },
            fingerprint_key: &key,
        };
        let before = SHARED_FINDINGS.with(std::cell::Cell::get);
        let found = engine
            .scan_item(&item, &mut crate::detect::Scratch::default())
            .unwrap();
        let shared = SHARED_FINDINGS.with(std::cell::Cell::get) - before;
        (format!("{found:?}"), found, shared)
    };
    let (one, found, not_shared) = run(1);
    assert_eq!(not_shared, 0);
    let capped: usize = found.capped.iter().map(|c| c.count).sum();
    assert!(capped > 16_384, "a dense item: {capped} capped");
    assert!(!found.suppressed.is_empty(), "synthetic values");
    let (two, _, shared) = run(2);
    assert_eq!(shared, 1, "the findings pass was shared");
    assert!(one == two, "two threads give what one gives");
}

#[test]
fn synthetic_keys_compare_dates_in_either_order_and_skip_short_and_long_values() {
    let key = |v: &str| {
        synthetic_key(v.as_bytes()).map(|k| String::from_utf8(k.as_bytes().to_vec()).unwrap())
    };
    assert_eq!(key("1987-02-20").as_deref(), Some("19870220"));
    assert_eq!(key("02/20/1987"), key("1987-02-20"));
    assert_eq!(key("1987/2/20"), key("1987-02-20"));
    assert_eq!(key("mr-1032702").as_deref(), Some("MR1032702"));
    assert_eq!(
        key("13/45/1987").as_deref(),
        Some("13451987"),
        "no date: kept as digits"
    );
    assert_eq!(
        key("92"),
        None,
        "too short to be the same example by more than chance"
    );
    assert_eq!(key(&"A".repeat(65)), None);
}

/// Six commits, each appending a line to `notes.txt` (with a synthetic SSN) and, every third,
/// to `other.txt`: 8 blob jobs, 8 blobs written, and 6 of them read again as the next
/// version's old one.
fn appending_history(dir: &std::path::Path) -> git2::Repository {
    let repo = git2::Repository::init(dir).unwrap();
    let sig = git2::Signature::new("t", "t@example.invalid", &git2::Time::new(1, 0)).unwrap();
    let (mut notes, mut other) = (String::new(), String::new());
    let mut parent: Option<git2::Oid> = None;
    let mut r = Lcg(3);
    for i in 0..6 {
        notes.push_str(&format!("note {i} for the patient, ssn {}\n", r.ssn()));
        if i % 3 == 0 {
            other.push_str(&format!("other {i}\n"));
        }
        let mut tree = repo.treebuilder(None).unwrap();
        for (name, text) in [("notes.txt", &notes), ("other.txt", &other)] {
            let blob = repo.blob(text.as_bytes()).unwrap();
            tree.insert(name, blob, 0o100644).unwrap();
        }
        let tree = repo.find_tree(tree.write().unwrap()).unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        parent = Some(
            repo.commit(Some("HEAD"), &sig, &sig, "change", &tree, &parents)
                .unwrap(),
        );
    }
    repo
}

/// No path excluded.
static NO_GLOBS: std::sync::LazyLock<globset::GlobSet> =
    std::sync::LazyLock::new(globset::GlobSet::empty);

/// The commits of `repo`'s `HEAD`, oldest first, their jobs planned in full with no path
/// excluded, and the options of a one-thread run.
fn history_of(repo: &git2::Repository) -> (crate::source::history::ToScan, Vec<Job>, RunOptions) {
    let commits: crate::source::history::ToScan = crate::source::history::range(repo, "HEAD")
        .unwrap()
        .into_iter()
        .map(|c| (c, None))
        .collect();
    let none = crate::source::PathRules::excluding(&NO_GLOBS);
    let jobs = crate::source::history::plan(repo, &commits, &none).unwrap();
    let opts = RunOptions {
        repo: crate::source::RepoAt::Path(repo.path().to_path_buf()),
        max_file_bytes: 1 << 20,
        threads: 1,
        deadline: None,
    };
    (commits, jobs, opts)
}

/// A history scan inflates each blob once (issue 20): the version a commit writes is kept for
/// the next commit that changes the file, instead of being read again from the object store
/// as its old version. Without the cache [`appending_history`] takes 14 reads. (Few enough
/// jobs to be scanned on this thread, whose counter the test reads.)
#[test]
fn a_history_inflates_each_blob_once() {
    use crate::source::STORE_READS;
    let dir = tempfile::tempdir().unwrap();
    let repo = appending_history(dir.path());
    let (_, jobs, opts) = history_of(&repo);
    let blobs = jobs
        .iter()
        .filter(|j| matches!(j, Job::Blob { .. }))
        .count();
    assert_eq!(blobs, 8);
    STORE_READS.with(|n| n.set(0));
    let report = with_engine(|engine| run(engine, &jobs, &opts).unwrap());
    assert_eq!(report.summary.files, 14, "8 files and 6 messages");
    assert_eq!(
        STORE_READS.with(std::cell::Cell::get),
        8,
        "each blob read from the store once"
    );
}

/// A history planned as it is scanned, a window of jobs ahead, keeps a blob for the reads
/// planned while its writer waits to be handed over, and reports what the whole plan
/// reports. A window of two jobs: each `notes.txt` is read as old by the next commit and
/// comes from the cache; the first `other.txt`, read three commits on, is read from the
/// store again: 9 reads (14 without the cache).
#[test]
fn a_history_streamed_in_windows_reads_old_versions_from_the_cache_and_reports_the_same() {
    use crate::source::{STORE_READS, history};
    let dir = tempfile::tempdir().unwrap();
    let repo = appending_history(dir.path());
    let (commits, jobs, opts) = history_of(&repo);
    let none = crate::source::PathRules::excluding(&NO_GLOBS);
    let whole = with_engine(|engine| run(engine, &jobs, &opts).unwrap());
    assert_eq!(whole.findings.len(), 6, "one SSN added by each commit");
    STORE_READS.with(|n| n.set(0));
    let mut source =
        history::Commits::new(history::Planner::new(&repo, none), commits).window_jobs(2);
    let streamed = with_engine(|engine| super::run_source(engine, &mut source, &opts).unwrap());
    assert_eq!(STORE_READS.with(std::cell::Cell::get), 9);
    assert_eq!(
        format!("{:?}", streamed.findings),
        format!("{:?}", whole.findings)
    );
    assert_eq!(streamed.summary.files, whole.summary.files);
}

/// A source of `n` small text jobs handed over from `threads` threads; with `slow_then_bad`,
/// first that many patient extracts (each keeps a worker busy while planning fills the
/// queue) and then a file that cannot be read. It never asks whether the run has stopped, as
/// a careless source would not.
struct Texts {
    n: usize,
    slow_then_bad: Option<usize>,
    threads: usize,
    fed: usize,
}

impl crate::source::Source for Texts {
    fn feed(&mut self, sink: &dyn crate::source::Sink) -> Result<crate::source::Fed> {
        if let Some(slow) = self.slow_then_bad {
            // Over a batch's bytes, so each is scanned as soon as a worker loads it.
            let extract = shapes(4_000).swap_remove(0).2.repeat(8);
            assert!(extract.len() > super::drive::BATCH_BYTES);
            for i in 0..slow {
                sink.take(Job::Text(Item::whole(format!("p{i}.csv"), extract.clone())));
            }
            sink.take(Job::File {
                path: "/nonexistent/phiguard/driver-test".into(),
                display: "missing.txt".into(),
                rooted: None,
            });
        }
        let fed = AtomicUsize::new(0);
        let (n, threads) = (self.n, self.threads);
        std::thread::scope(|s| {
            for t in 0..threads {
                let fed = &fed;
                s.spawn(move || {
                    for i in (t..n).step_by(threads) {
                        let text = format!("line {i} of a note\n").into_bytes();
                        sink.take(Job::Text(Item::whole(format!("note-{i}.txt"), text)));
                        fed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
        });
        self.fed = fed.into_inner();
        Ok(crate::source::Fed::Done { skipped: 3 })
    }
}

use std::sync::atomic::AtomicUsize;

fn options(threads: usize) -> RunOptions {
    RunOptions {
        repo: crate::source::RepoAt::None,
        max_file_bytes: 1 << 20,
        threads,
        deadline: None,
    }
}

/// The queue between planning and scanning is bounded; when a job fails, the workers stop
/// scanning but keep emptying it, so a source that goes on planning (here 5,000 jobs, far
/// more than the queue holds) reaches its end instead of waiting forever, and the run fails.
/// The bad job comes after one patient extract per worker: when it fails, planning is
/// waiting on a full queue.
#[test]
fn a_failed_job_does_not_leave_planning_waiting_on_a_full_queue() {
    for threads in [1, 2] {
        let mut source = Texts {
            n: 5_000,
            slow_then_bad: Some(threads),
            threads: 1,
            fed: 0,
        };
        let run = with_engine(|engine| {
            drive(
                &|| Ok::<_, crate::Error>(*engine),
                &options(threads),
                &mut source,
            )
        });
        assert!(run.is_err(), "the unreadable file fails the run");
        assert_eq!(source.fed, 5_000, "planning went on to its end");
    }
}

/// A source may hand jobs over from several threads at once (a parallel walk): every job is
/// scanned once, and the paths the source skipped are counted.
#[test]
fn jobs_handed_over_from_many_threads_are_each_scanned_once() {
    for (n, threads) in [(5, 4), (2_000, 4)] {
        let mut source = Texts {
            n,
            slow_then_bad: None,
            threads,
            fed: 0,
        };
        let report = with_engine(|engine| {
            drive(&|| Ok::<_, crate::Error>(*engine), &options(2), &mut source)
        })
        .unwrap()
        .unwrap();
        assert_eq!(report.summary.files, n);
        assert_eq!(report.summary.skipped, 3);
    }
}

/// An empty change never builds the rules; rules that cannot be built fail the run.
#[test]
fn the_engine_is_built_by_the_first_job_and_its_failure_fails_the_run() {
    let built = AtomicUsize::new(0);
    let failing = || -> std::result::Result<Engine<'static>, crate::Error> {
        built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(crate::Error::internal("no rules"))
    };
    let mut empty = crate::source::Planned::new(&[]);
    let report = drive(&failing, &options(2), &mut empty).unwrap().unwrap();
    assert_eq!(report.summary.files, 0);
    assert_eq!(built.load(std::sync::atomic::Ordering::Relaxed), 0);
    for n in [1, 100] {
        let mut source = Texts {
            n,
            slow_then_bad: None,
            threads: 1,
            fed: 0,
        };
        assert!(drive(&failing, &options(2), &mut source).is_err());
    }
}

/// A source that abandons its plan ([`crate::source::Fed::Replan`]) gets no report: the jobs
/// it handed over are dropped, for the caller to plan again.
#[test]
fn a_replanned_source_gives_no_report() {
    struct Replans;
    impl crate::source::Source for Replans {
        fn feed(&mut self, sink: &dyn crate::source::Sink) -> Result<crate::source::Fed> {
            for i in 0..40 {
                sink.take(Job::Text(Item::whole(format!("n{i}"), b"x\n".to_vec())));
            }
            Ok(crate::source::Fed::Replan)
        }
    }
    let report = with_engine(|engine| {
        drive(
            &|| Ok::<_, crate::Error>(*engine),
            &options(2),
            &mut Replans,
        )
    });
    assert!(report.unwrap().is_none());
}

/// The human format's early stop ([`DetectOptions::stop_after`]): in a dense extract that
/// blocks, each rule stops after [`crate::model::COUNTED_BEFORE_STOP`] matches (a fraction of
/// the full scan's), says so, and lists what the full scan lists for the first rows. Under a
/// test path, where the same extract only warns, it is counted exactly as without the stop: a
/// small one is scanned again in full once the stop is seen not to block, a large one is not
/// stopped at all. On one thread and on two (a dense text shared out by stretches); a text of
/// 2 MiB and more is scanned head first, the rest without the rules that stopped there.
#[test]
fn a_dense_file_stops_counting_only_where_it_blocks_anyway() {
    let mut r = Lcg(41);
    let mut text = String::from("mrn,first_name,last_name,dob,ssn,phone\n");
    for i in 0..36_000 {
        text.push_str(&format!(
            "{},{},{},{},{},(312) 7{:02}-{:04}\n",
            r.mrn(),
            NAMES[i % 6],
            NAMES[(i + 2) % 6],
            r.date(),
            r.ssn(),
            10 + i % 90,
            i % 10_000,
        ));
    }
    // 600 rows, under the size from which a test path turns the stop off.
    let small: String = text
        .lines()
        .take(601)
        .map(|l| l.to_owned() + "\n")
        .collect();
    assert!(small.len() < 64 << 10);
    let db = RuleDbBuilder::builtin().unwrap().build().unwrap();
    let policy = Policy {
        test_paths: crate::glob::LazyGlobSet::new(vec![globset::Glob::new("tests/**").unwrap()]),
        ..Policy::default()
    };
    let key = crate::fingerprint::Key::from_bytes(*b"early stop");
    let total = |f: &ItemFindings| {
        f.findings.len() + f.suppressed.len() + f.capped.iter().map(|c| c.count).sum::<usize>()
    };
    let rescanned = || RESCANNED.with(std::cell::Cell::get);
    for threads in [1, 2] {
        let run = |path: &str, text: &str, stop_after: Option<usize>| {
            let engine = Engine {
                db: &db,
                policy: &policy,
                detect: DetectOptions {
                    threads,
                    stop_after,
                    ..DetectOptions::default()
                },
                fingerprint_key: &key,
            };
            let item = Item::whole(path, text.as_bytes().to_vec());
            engine
                .scan_item(&item, &mut crate::detect::Scratch::default())
                .unwrap()
        };
        let stop = Some(crate::model::COUNTED_BEFORE_STOP);
        let shared_runs = || crate::detect::matcher::SHARED_RUNS.with(std::cell::Cell::get);
        let head_splits = || crate::detect::matcher::HEAD_SPLITS.with(std::cell::Cell::get);
        let (shared_before, heads_before) = (shared_runs(), head_splits());
        let full = run("extract.csv", &text, None);
        assert_eq!(head_splits(), heads_before, "no head without a limit");
        let early = run("extract.csv", &text, stop);
        assert_eq!(
            head_splits() - heads_before,
            1,
            "2 MB and more: its head first"
        );
        assert_eq!(
            shared_runs() > shared_before,
            threads == 2,
            "shared out by stretches on two threads"
        );
        assert!(full.stopped.is_empty(), "{threads} thread(s)");
        assert!(early.blocks() && !early.stopped.is_empty());
        assert!(
            total(&early) * 10 < total(&full),
            "{threads} thread(s): {} of {} counted",
            total(&early),
            total(&full)
        );
        let first_rows = |f: &ItemFindings| -> Vec<String> {
            f.findings
                .iter()
                .filter(|f| f.line <= 30)
                .map(|f| format!("{}:{}:{} {}", f.line, f.column, f.rule, f.severity))
                .collect()
        };
        assert!(first_rows(&full).len() >= 50, "{:?}", first_rows(&full));
        assert_eq!(first_rows(&early), first_rows(&full), "{threads} thread(s)");
        // Under a test path PHI warns: nothing blocks, so every value is counted.
        for (text, again) in [(&small, 1), (&text, 0)] {
            let full = run("tests/extract.csv", text, None);
            let before = rescanned();
            let early = run("tests/extract.csv", text, stop);
            assert_eq!(rescanned() - before, again, "{} bytes", text.len());
            assert!(!full.blocks() && early.stopped.is_empty());
            assert!(total(&full) > 2 * crate::model::COUNTED_BEFORE_STOP);
            assert_eq!(
                format!("{early:?}"),
                format!("{full:?}"),
                "{threads} thread(s)"
            );
        }
    }
}

/// A value written in look-alike characters is reported at its place in the file: byte and
/// UTF-16 columns of the file's text, not of the folded copy it was found in (an editor
/// underlines the value itself).
#[test]
fn a_folded_value_is_placed_in_the_files_own_columns() {
    let ssn = format!("{}-{}-{}", 536, 90, 4399);
    let wide: String = ssn
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let prefix = "é ssn\u{a0}";
    let text = format!("x\n{prefix}{wide} ok\n");
    with_engine(|engine| {
        let item = Item::whole("notes.txt", text.clone().into_bytes());
        let found = engine
            .scan_item(&item, &mut crate::detect::Scratch::default())
            .unwrap();
        let f = found
            .findings
            .iter()
            .find(|f| &*f.rule == "phi.ssn")
            .expect("the SSN is found");
        assert_eq!(f.line, 2);
        let before = prefix.len() as u32;
        assert_eq!(
            (f.column, f.end_column),
            (before + 1, before + 1 + wide.len() as u32)
        );
        let before16 = prefix.encode_utf16().count() as u32;
        let wide16 = wide.encode_utf16().count() as u32;
        assert_eq!(f.utf16_columns, (before16 + 1, before16 + 1 + wide16));
        assert_eq!(f.utf16_end, (2, before16 + 1 + wide16));
    });
}
