//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;
use crate::detect::testing::{builtin, example_texts};

/// Every rule's examples and negative examples, each on its own line(s).
fn examples_joined(db: &RuleDb) -> String {
    example_texts(db)
        .into_iter()
        .map(|(_, t)| String::from_utf8(t).expect("examples are text") + "\n")
        .collect()
}

#[test]
fn keyword_boundaries() {
    let cases: &[(&str, &str, bool)] = &[
        ("ssn: 1", "ssn", true),
        ("patient_ssn=1", "ssn", true),
        ("patientSsn=1", "Ssn", true),
        ("ssnValue", "ssn", true),
        ("setting", "tin", false),
        ("adobe", "dob", false),
        ("dobby", "dob", false),
        ("key=AKIAOUDOCUZRENUN7Z5J", "AKIA", true),
        ("x:ghp_abc", "ghp_", true),
        ("oid 2.16.840.1.113883.4.1\"", "2.16.840.1.113883.4.1", true),
        ("oid 2.16.840.1.113883.4.10", "2.16.840.1.113883.4.1", false),
        ("oid 12.16.840.1.113883.4.1", "2.16.840.1.113883.4.1", false),
        ("key sk-ant-api03-9xQ", "sk-ant-api03", true),
        ("GR13489410abc", "GR1348941", true),
        // Fragments of encoded prefixes stand among the encoded value's digits: the hex of
        // `AKIA` followed by more hex, of `xox` after a digit, a base64 fragment after one.
        ("k=414b494159564f4b", "414b4941", true),
        ("746f6b656e3a20786f78622d", "786f78", true),
        ("ZGVwbG95LWJvdDp0tls0tqkvhsu", "0tls0tqkvhsu", true),
    ];
    for (text, kw, want) in cases {
        let start = text.find(kw).unwrap();
        let keyword = Keyword {
            rules: Vec::new(),
            needs_boundary: kw.len() <= 4,
            numeric: Keyword::is_dotted_number(kw),
        };
        let got = keyword_boundary_ok(text.as_bytes(), start, start + kw.len(), &keyword);
        assert_eq!(got, *want, "{text} / {kw}");
    }
}

#[test]
fn line_walks() {
    let t = b"a\nbb\nccc\ndddd\n";
    assert_eq!(lines_back(t, 9, 2), 2);
    assert_eq!(lines_back(t, 2, 5), 0);
    assert_eq!(lines_forward(t, 0, 0), 2);
    assert_eq!(lines_forward(t, 0, 2), 9);
    assert_eq!(lines_forward(t, 0, 9), t.len());
}

/// Oracle for [`keyword_near`]'s shortcut: for a rule that lists no keyword, looking
/// through the hits ([`keyword_hit_near`]) finds none near any match, in a text holding
/// every built-in keyword and every rule's examples; and the shortcut is taken for some.
#[test]
fn rules_without_keywords_have_no_hit_near() {
    let db = builtin();
    let mut text = String::new();
    for rule in db.rules() {
        for kw in &rule.spec.keywords {
            text.push_str(&format!("{kw} {} {kw}\n", kw.to_ascii_uppercase()));
        }
    }
    text.push_str(&examples_joined(&db));
    let t = text.as_bytes();
    let regions: Vec<Range<usize>> = std::iter::once(0..t.len()).collect();
    let mut hits = Vec::new();
    collect_hits(&db, t, &regions, &mut hits);
    assert!(hits.len() > 100);
    let ctx = Ctx {
        db: &db,
        text: t,
        regions: &regions,
        path: "notes.txt",
        hits: &hits,
        prefilter: true,
    };
    let keywordless: Vec<RuleIdx> = (0..db.rules().len() as u32)
        .map(RuleIdx)
        .filter(|&i| db.rule(i).spec.keywords.is_empty())
        .collect();
    assert!(keywordless.len() >= 3);
    for &idx in &keywordless {
        for start in (0..t.len()).step_by(7) {
            let whole = start..(start + 12).min(t.len());
            assert!(
                !keyword_hit_near(&ctx, idx, &whole),
                "{}",
                db.rule(idx).id()
            );
            assert!(!keyword_near(&ctx, idx, &whole));
        }
    }
}

/// Oracle for [`CapturesIn`]: with a cache and capture slots from the rule's pool
/// ([`Compiled::searcher_for`]), used again from one search to the next as the scan uses them,
/// it finds the matches and groups the regex's own `captures_iter` finds, for every built-in
/// rule, on a text of every rule's examples (short: the plain regex; repeated past 64 KiB: the
/// prefiltered one) and on a piece of it searched within the whole.
///
/// [`Compiled::searcher_for`]: crate::detect::db::Compiled::searcher_for
#[test]
fn captures_in_one_set_of_slots_are_those_captures_iter_finds() {
    let db = builtin();
    let short = examples_joined(&db);
    let long = short.repeat(crate::detect::db::PREFILTER_SPAN_BYTES / short.len() + 1);
    let groups = |c: &regex_automata::util::captures::Captures| -> Vec<Option<(usize, usize)>> {
        (0..c.group_len())
            .map(|g| c.get_group(g).map(|m| (m.start, m.end)))
            .collect()
    };
    let mut found = 0;
    for text in [short.as_bytes(), long.as_bytes()] {
        for within in [0..text.len(), text.len() / 3..text.len() / 2] {
            for rule in db.rules() {
                let compiled = rule.compiled().unwrap();
                let (regex, caches) = compiled.searcher_for(text.len());
                let input = || regex_automata::Input::new(text).range(within.clone());
                let want: Vec<_> = regex.captures_iter(input()).map(|c| groups(&c)).collect();
                let mut search = caches.get();
                let Search { cache, caps } = &mut *search;
                let mut matches = CapturesIn::new(regex, cache, caps, input());
                let mut got = Vec::new();
                while let Some(c) = matches.next() {
                    got.push(groups(c));
                }
                assert_eq!(got, want, "{}", rule.id());
                found += got.len();
            }
        }
    }
    assert!(found > 1000, "{found}");
}

/// The line gates (digit counts, the digitless `@` cursor, adjacency of kept lines, line
/// filters on CRLF and unterminated lines) find exactly what running every rule over every
/// region finds.
#[test]
fn gated_lines_find_what_every_rule_everywhere_finds() {
    let db = crate::detect::RuleDbBuilder::builtin_for_scanning()
        .unwrap()
        .build()
        .unwrap();
    let text: &[u8] = b"intro line without digits\n\
        contact: jo.doe@example.org\n\
        call 312-867-4421 or mail pat@clinic.example.com\r\n\
        address: 4821 Maple Ridge Drive\n\
        \n\
        id,name,zip\n\
        1,Ann Lee,60614-2231\n\
        2,Bo Kim,60615-1120\n\
        server 73.158.64.21 and 2001:db8::1\n\
        nothing here @ all\n\
        Springfield, IL 62704-1234\n\
        last line 536-90-4399 unterminated user@host.example.net";
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
        .collect();
    let line_end = |i: usize| starts.get(i + 1).copied().unwrap_or(text.len());
    let n = starts.len();
    // Every region set of up to two runs of whole lines.
    let mut sets: Vec<Vec<Range<usize>>> = Vec::new();
    for a in 0..n {
        for b in a..n {
            sets.push(std::iter::once(starts[a]..line_end(b)).collect());
            for c in b + 2..n {
                sets.push(vec![starts[a]..line_end(b), starts[c]..line_end(n - 1)]);
            }
        }
    }
    let mut scratch = Scratch::default();
    let mut found_any = false;
    for regions in &sets {
        let run = |prefilter: bool, scratch: &mut Scratch| {
            let mut out = Vec::new();
            let opts = DetectOptions {
                prefilter,
                ..DetectOptions::default()
            };
            find(&db, text, regions, "notes.txt", opts, scratch, &mut out).unwrap();
            out.sort_by_key(|m| (m.span.start, m.rule));
            out
        };
        let gated = run(true, &mut scratch);
        let every = run(false, &mut scratch);
        assert_eq!(gated, every, "regions {regions:?}");
        found_any |= !gated.is_empty();
    }
    assert!(found_any);
}

/// A batch finds, for each of its texts, exactly what scanning that text alone finds: every
/// built-in rule's examples and negative examples (FHIR bundles, CSV tables, HL7 messages,
/// secrets), batched in a shuffled order so that the structure memos of neighbouring texts
/// and the rule-by-rule order across texts are exercised. Reading another text's memo, a
/// span merged across texts or an output put in the wrong slot fails it.
#[test]
fn a_batch_finds_what_each_text_finds_alone() {
    let db = builtin();
    let mut texts = example_texts(&db);
    // A fixed shuffle (xorshift), so rules' examples are not grouped by rule.
    let mut x = 0x2545_F491_4F6C_DD1D_u64;
    for i in (1..texts.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        texts.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let regions: Vec<Vec<Range<usize>>> = texts
        .iter()
        .map(|(_, t)| std::iter::once(0..t.len()).collect())
        .collect();
    let opts = DetectOptions::default();
    let mut scratch = Scratch::default();
    let alone: Vec<Vec<RawMatch>> = texts
        .iter()
        .zip(&regions)
        .map(|((path, text), regions)| {
            let mut out = Vec::new();
            find(&db, text, regions, path, opts, &mut scratch, &mut out).unwrap();
            out
        })
        .collect();
    let found = alone.iter().filter(|o| !o.is_empty()).count();
    assert!(found > 400, "{found} of {} texts have matches", texts.len());
    for size in [2, 7, 64, texts.len()] {
        for (chunk, want) in texts.chunks(size).zip(alone.chunks(size)) {
            let first = chunk.as_ptr() as usize - texts.as_ptr() as usize;
            let first = first / std::mem::size_of::<(String, Vec<u8>)>();
            let targets: Vec<Target<'_>> = chunk
                .iter()
                .zip(&regions[first..])
                .map(|((path, text), regions)| Target {
                    text,
                    regions,
                    path,
                })
                .collect();
            let mut outs = vec![Vec::new(); chunk.len()];
            find_each(&db, &targets, opts, &mut scratch, &mut outs).unwrap();
            assert_eq!(outs, want, "batches of {size}, from text {first}");
        }
    }
}

/// A large batch shared out among threads ([`run_spans_shared`]: long spans cut at line
/// starts, lanes by position) finds exactly what one thread finds, in the same order: a
/// synthetic patient CSV of 1.6 MB (each PHI rule one span over all of it), and the CSV
/// batched with every built-in rule's examples repeated past 1 MiB (short spans, and rules
/// whose matches may hold a newline, which stay whole); the examples alone have no span
/// long enough to cut and stay on one thread. A piece cut inside a match, a look-around
/// that lost its context or matches put back in the wrong order fails it.
#[test]
fn rules_shared_out_among_threads_find_what_one_thread_finds() {
    let db = builtin();
    let mut csv = b"mrn,first_name,last_name,dob,ssn,phone,address,zip\n".to_vec();
    let streets = ["Elm Street", "Pine Court", "Oak Avenue", "Main St"];
    for i in 0..20_000_u64 {
        let n = i.wrapping_mul(2_654_435_761) % 1_000_000;
        csv.extend_from_slice(
            format!(
                "MR{:07},Ann,Lee,19{:02}-{:02}-{:02},{}-{:02}-{:04},({}) {}-{:04},\"{} {}\",{:05}\n",
                n,
                30 + i % 60,
                1 + i % 12,
                1 + i % 28,
                100 + n % 600,
                10 + i % 89,
                1000 + n % 9000,
                200 + n % 700,
                200 + i % 700,
                n % 10_000,
                1 + i % 9_000,
                streets[(i % 4) as usize],
                10_000 + n % 89_999,
            )
            .as_bytes(),
        );
    }
    let mut examples = Vec::new();
    while examples.len() < 1_200_000 {
        for rule in db.rules() {
            for ex in rule
                .spec
                .examples
                .iter()
                .chain(&rule.spec.negative_examples)
            {
                examples.extend_from_slice(ex.text().as_bytes());
                examples.push(b'\n');
            }
        }
    }
    let whole = |t: &[u8]| std::iter::once(0..t.len()).collect::<Vec<_>>();
    let (csv_regions, example_regions) = (whole(&csv), whole(&examples));
    let (csv, examples) = (
        Target {
            text: &csv,
            regions: &csv_regions,
            path: "extract.csv",
        },
        Target {
            text: &examples,
            regions: &example_regions,
            path: "notes.txt",
        },
    );
    let batches: [(Vec<Target<'_>>, usize); 3] = [
        (vec![csv], 1),
        (vec![examples], 1),
        (vec![examples, csv], 1),
    ];
    let mut scratch = Scratch::default();
    for (targets, shares) in &batches {
        let run = |threads: usize, scratch: &mut Scratch| {
            let opts = DetectOptions {
                threads,
                ..DetectOptions::default()
            };
            let mut outs = vec![Vec::new(); targets.len()];
            let before = SHARED_RUNS.with(std::cell::Cell::get);
            find_each(&db, targets, opts, scratch, &mut outs).unwrap();
            (outs, SHARED_RUNS.with(std::cell::Cell::get) - before)
        };
        let (one, not_shared) = run(1, &mut scratch);
        assert_eq!(not_shared, 0);
        assert!(one.iter().all(|o| o.len() > 1_000), "dense texts");
        for threads in [2, 3, 8] {
            let (shared, runs) = run(threads, &mut scratch);
            assert_eq!(
                runs, *shares,
                "{threads} threads: whether it was shared out"
            );
            assert!(shared == one, "{threads} threads find what one finds");
        }
    }
}

/// The short spans of one dense text are shared out among threads, taken by stretches of the
/// text: a bundle's 8,000 patients or 20,000 HL7 messages were scanned on one thread while the
/// other waited, since only long spans cut into pieces were shared out. The same bytes as many
/// small files stay on one thread (the run's other workers have the other cores), and so does
/// the dense text while other threads of the run scan; either way the matches are the
/// one-thread matches.
#[test]
fn one_dense_text_of_short_spans_is_shared_out_and_many_small_files_are_not() {
    let db = builtin();
    // Patient segments apart, so that no two spans of a rule touch and none is cut.
    const NOTES: &str = "NTE|1||routine visit\nNTE|2||no complaints\nNTE|3||follow up in a year\n\
                         NTE|4||seen by the nurse\nNTE|5||chart reviewed\nNTE|6||discharged home\n";
    let mut text = Vec::new();
    let mut i = 0_u64;
    while text.len() < 800_000 {
        let n = i.wrapping_mul(2_654_435_761) % 1_000_000;
        text.extend_from_slice(
            format!(
                "PID|1||MR{n:07}^^^HOSP^MR||Lee^Ann||19{:02}0{}1{}|F|||{} Elm Street^^Boston^MA^02139||\
                 (510) 730-{:04}|||||{}-{:02}-{:04}\n{NOTES}",
                30 + i % 60,
                1 + i % 9,
                i % 10,
                1 + i % 900,
                n % 10_000,
                100 + n % 600,
                10 + i % 89,
                1000 + n % 9000,
            )
            .as_bytes(),
        );
        i += 1;
    }
    let whole: Vec<Range<usize>> = std::iter::once(0..text.len()).collect();
    let one = vec![Target {
        text: &text,
        regions: &whole,
        path: "messages.hl7",
    }];
    // The same messages as files of about 64 KiB, each cut after a message.
    let mut cuts = vec![0];
    for at in memchr::memmem::find_iter(&text, b"PID|") {
        if at - cuts.last().unwrap() >= 64 << 10 {
            cuts.push(at);
        }
    }
    cuts.push(text.len());
    let regions: Vec<Vec<Range<usize>>> = cuts
        .windows(2)
        .map(|w| std::iter::once(0..w[1] - w[0]).collect())
        .collect();
    let many: Vec<Target<'_>> = cuts
        .windows(2)
        .zip(&regions)
        .map(|(w, r)| Target {
            text: &text[w[0]..w[1]],
            regions: r,
            path: "message.hl7",
        })
        .collect();
    assert!(many.len() > 8);
    for (targets, sole, shares) in [(&one, true, 1), (&one, false, 0), (&many, true, 0)] {
        let run = |threads: usize| {
            let opts = DetectOptions {
                threads,
                ..DetectOptions::default()
            };
            let mut outs = vec![Vec::new(); targets.len()];
            let mut scratch = Scratch::default();
            scratch.sole_scanner(sole);
            let before = SHARED_RUNS.with(std::cell::Cell::get);
            find_each(&db, targets, opts, &mut scratch, &mut outs).unwrap();
            (outs, SHARED_RUNS.with(std::cell::Cell::get) - before)
        };
        let (alone, _) = run(1);
        assert!(alone.iter().map(Vec::len).sum::<usize>() > 10_000, "dense");
        let (shared, runs) = run(2);
        let what = format!("{} texts, sole scanner {sole}", targets.len());
        assert_eq!(runs, shares, "{what}: whether shared out");
        assert!(shared == alone, "{what}: two threads find what one finds");
    }
}

/// A rule's span ruled out by its byte gate is looked through once, however many pieces a
/// shared-out batch would cut it into: URLs on every line of a file without one `@` make one
/// long span of `secret.url.password`, which each 256 KiB piece searched for `@` from end to
/// end again (work growing with the square of the file: 16x for a file 4x as long). The
/// phone numbers beside them make a long span that is cut, so the batch is shared out.
#[test]
fn a_span_its_gate_rules_out_is_looked_through_once_when_shared_out() {
    let db = builtin();
    let text = |lines: usize| -> Vec<u8> {
        (0..lines)
            .flat_map(|i| {
                let phone = i % 10_000;
                format!("see https://docs.example.org/guide/page-{i} or call 312-867-{phone:04}\n")
                    .into_bytes()
            })
            .collect()
    };
    let work = |text: &[u8]| {
        let regions = std::iter::once(0..text.len()).collect::<Vec<_>>();
        let target = Target {
            text,
            regions: &regions,
            path: "links.txt",
        };
        let opts = DetectOptions {
            threads: 2,
            ..DetectOptions::default()
        };
        let mut outs = vec![Vec::new()];
        crate::work::take();
        let before = SHARED_RUNS.with(std::cell::Cell::get);
        find_each(&db, &[target], opts, &mut Scratch::default(), &mut outs).unwrap();
        assert_eq!(
            SHARED_RUNS.with(std::cell::Cell::get) - before,
            1,
            "shared out"
        );
        crate::work::take()
    };
    let (small, large) = (text(30_000), text(120_000));
    assert!(small.len() > 1 << 20);
    let (w1, w4) = (work(&small), work(&large));
    assert!(w1 > 0);
    assert!(w4 <= 5 * w1, "work {w1} at 1x, {w4} at 4x");
}

/// A shared-out batch is cut into stretches of equal bytes but for the last two, which are
/// cut in four, so that the threads end together: every byte goes to one stretch, in order,
/// and each of the last eight holds a quarter of what an earlier one holds.
#[test]
fn the_last_stretches_of_a_batch_are_quarter_stretches() {
    for n in [1, 2, 4, 8, 32] {
        let total = 64_000;
        let mut bytes = vec![0; stretches(n)];
        let mut last = 0;
        for seen in 0..total {
            let k = stretch_of(seen, total, n);
            assert!(k >= last, "in order");
            last = k;
            bytes[k] += 1;
        }
        assert!(bytes.iter().all(|&b| b > 0), "{n}: {bytes:?}");
        if n > 2 {
            assert_eq!(bytes.len(), n + 6);
            let whole = total / n;
            assert!(bytes[..n - 2].iter().all(|&b| b == whole), "{n}: {bytes:?}");
            assert!(
                bytes[n - 2..].iter().all(|&b| b == whole / 4),
                "{n}: {bytes:?}"
            );
        } else {
            assert_eq!(bytes, vec![total / n; n]);
        }
    }
}

/// Helper threads for shared-out batches are bounded process-wide: a batch gets what is left
/// of the run's `threads - 1`, and always one, so every worker of a run meeting a dense file
/// at once starts one helper each, not `threads - 1` each (64 workers on a server: 64, not
/// 4,032).
#[test]
fn helper_threads_are_what_is_left_of_the_limit_and_at_least_one() {
    assert_eq!(grant(7, 63, 0), 7);
    assert_eq!(grant(7, 63, 60), 3);
    assert_eq!(grant(7, 63, 63), 1);
    assert_eq!(grant(7, 63, 200), 1);
    assert_eq!(grant(1, 1, 0), 1);
}

/// The keyword spans as first written: one span per hit and rule, merged only later.
fn keyword_spans_each(
    db: &RuleDb,
    text: &[u8],
    path: &str,
    hits: &[Hit],
    spans: &mut Vec<(RuleIdx, usize, usize)>,
) {
    for hit in hits {
        let start = line_start(text, hit.start);
        for &idx in &db.keyword(hit.pattern as usize).rules {
            let rule = db.rule(idx);
            if rule.keyword_required() && rule.applies_to(path) {
                spans.push((
                    idx,
                    start,
                    lines_forward(text, hit.start, rule.span_lines()),
                ));
            }
        }
    }
}

/// Merging a rule's keyword spans as the hits come gives the spans merging them after the
/// sort gives: on every built-in rule's examples, a FHIR NDJSON export with several hits per
/// line, and the examples joined (hits on one line for different rules, lines without a
/// final newline).
#[test]
fn keyword_spans_merged_as_they_come_are_the_spans_merged_after() {
    let db = builtin();
    let mut texts = example_texts(&db);
    let ndjson: Vec<u8> = (0..200)
        .flat_map(|i| {
            format!(
                "{{\"resourceType\":\"Patient\",\"identifier\":[{{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"5{i:02}-4{i:01}-43{i:02}\"}}],\"telecom\":[{{\"system\":\"phone\",\"value\":\"(312) 555-0{i:03}\"}}],\"birthDate\":\"1961-0{}-1{}\",\"address\":[{{\"line\":[\"{i} Oak Street\"],\"postalCode\":\"606{i:02}\"}}]}}\n",
                i % 9 + 1,
                i % 10
            )
            .into_bytes()
        })
        .collect();
    texts.push(("patients.ndjson".to_owned(), ndjson));
    let joined: Vec<u8> = texts.iter().flat_map(|(_, t)| t.clone()).collect();
    texts.push(("notes.txt".to_owned(), joined));
    let mut merged_somewhere = false;
    for (path, text) in &texts {
        let context: Vec<Range<usize>> = std::iter::once(0..text.len()).collect();
        let mut hits = Vec::new();
        collect_hits(&db, text, &context, &mut hits);
        let merged = |spans: Vec<(RuleIdx, usize, usize)>| {
            let mut order: Vec<_> = spans.iter().map(|&(r, s, e)| (r, 0, s, e)).collect();
            order.sort_unstable();
            merged_spans(&order)
        };
        let (mut now, mut each) = (Vec::new(), Vec::new());
        keyword_spans(&db, text, path, &[], &hits, &mut now);
        keyword_spans_each(&db, text, path, &hits, &mut each);
        merged_somewhere |= now.len() < each.len();
        assert_eq!(merged(now), merged(each), "{path}");
    }
    assert!(merged_somewhere);
}

/// A large text's plan made in two halves on two threads ([`plan_shared`]) has the hits and,
/// once merged, the spans of the plan made whole: a patient CSV, a FHIR NDJSON export and
/// every rule's examples repeated past 1 MiB, each whole and as separate added regions (so
/// that the cut falls inside a region, between regions and in the lines before one). A hit
/// lost or doubled at the cut, or a gated run cut in two and not merged, fails it.
#[test]
fn a_large_texts_plan_made_in_halves_is_the_plan_made_whole() {
    let db = builtin();
    let mut csv = b"mrn,first_name,last_name,dob,ssn,phone,address,zip\n".to_vec();
    for i in 0..30_000_u64 {
        csv.extend_from_slice(
            format!(
                "MR{:07},Ann,Lee,19{:02}-{:02}-1{},{}-{:02}-{:04},(312) 5{:02}-{:04},\"{} Elm Street\",606{:02}\n",
                i * 7,
                30 + i % 60,
                1 + i % 12,
                i % 10,
                100 + i % 600,
                10 + i % 89,
                1000 + i % 9000,
                i % 100,
                i % 10_000,
                1 + i % 900,
                i % 100,
            )
            .as_bytes(),
        );
    }
    let ndjson: Vec<u8> = (0..8_000)
        .flat_map(|i| {
            format!(
                "{{\"resourceType\":\"Patient\",\"identifier\":[{{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"5{:02}-4{}-43{:02}\"}}],\"name\":[{{\"family\":\"Okafor\",\"given\":[\"Mia\"]}}],\"telecom\":[{{\"system\":\"phone\",\"value\":\"(312) 555-0{:03}\"}}],\"birthDate\":\"1961-0{}-1{}\",\"address\":[{{\"line\":[\"{i} Oak Street\"],\"postalCode\":\"606{:02}\"}}]}}\n",
                i % 100,
                i % 10,
                i % 100,
                i % 1000,
                i % 9 + 1,
                i % 10,
                i % 100
            )
            .into_bytes()
        })
        .collect();
    let mut examples = Vec::new();
    while examples.len() < 2_400_000 {
        for rule in db.rules() {
            for ex in &rule.spec.examples {
                examples.extend_from_slice(ex.text().as_bytes());
                examples.push(b'\n');
            }
        }
    }
    let shared = DetectOptions {
        prefilter: true,
        threads: 2,
        stop_after: None,
    };
    let sorted_hits = |t: &TextSpans| {
        let mut h: Vec<_> = t.hits.iter().map(|h| (h.start, h.end, h.pattern)).collect();
        h.sort_unstable();
        h
    };
    let merged = |t: &TextSpans| {
        let mut order: Vec<_> = t.spans.iter().map(|&(r, s, e)| (r, 0, s, e)).collect();
        order.sort_unstable();
        merged_spans(&order)
    };
    for (path, text) in [
        ("patients.csv", &csv),
        ("patients.ndjson", &ndjson),
        ("notes.txt", &examples),
    ] {
        // Whole, and every other run of 40 lines added.
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
            .filter(|&s| s < text.len())
            .collect();
        let runs: Vec<Range<usize>> = starts
            .chunks(40)
            .enumerate()
            .filter(|(k, _)| k % 2 == 1)
            .map(|(_, c)| {
                let end = starts.get(starts.partition_point(|&s| s <= *c.last().unwrap()));
                c[0]..end.copied().unwrap_or(text.len())
            })
            .collect();
        for regions in [std::iter::once(0..text.len()).collect(), runs] {
            let target = Target {
                text,
                regions: &regions,
                path,
            };
            crate::detect::structure::memo::remembering_all(&[text.as_slice()], || {
                let mut context = Vec::new();
                let mut whole = TextSpans::default();
                plan(
                    &db,
                    target,
                    DetectOptions::default(),
                    &[],
                    &mut context,
                    &mut GateScratch::default(),
                    &mut whole,
                );
                let mut halves = TextSpans::default();
                assert!(
                    plan_shared(&db, target, shared, &[], &context, &mut halves),
                    "{path}: planned in halves"
                );
                assert!(!whole.spans.is_empty(), "{path}");
                assert_eq!(sorted_hits(&halves), sorted_hits(&whole), "{path}");
                assert_eq!(merged(&halves), merged(&whole), "{path}");
            });
        }
    }
}

/// A worker that meets a rule another worker is compiling runs the rules after it first, and
/// that rule's spans last: two workers starting on their first batches together in the same
/// rule order each waited for the other's compiling (a staged change of 2,000 files: 9.6 ms
/// of waiting for 22 ms of compiling). The matches are the same, and once ordered as the
/// findings pass orders them, in the same order: every rule's examples, with every third
/// rule marked as being compiled elsewhere.
#[test]
fn a_rule_compiled_elsewhere_waits_until_the_other_rules_ran() {
    let text = examples_joined(&builtin()).into_bytes();
    let regions = std::iter::once(0..text.len()).collect::<Vec<_>>();
    let target = Target {
        text: &text,
        regions: &regions,
        path: "notes.txt",
    };
    let run = |db: &RuleDb| {
        let mut outs = vec![Vec::new()];
        let before = DEFERRED_SPANS.with(std::cell::Cell::get);
        find_each(
            db,
            &[target],
            DetectOptions::default(),
            &mut Scratch::default(),
            &mut outs,
        )
        .unwrap();
        let mut found = outs.pop().unwrap();
        found.sort_by_key(|r| (r.span.start, std::cmp::Reverse(r.severity), r.rule));
        (found, DEFERRED_SPANS.with(std::cell::Cell::get) - before)
    };
    let (want, none) = run(&builtin());
    assert_eq!(none, 0, "nothing is compiled elsewhere");
    assert!(want.len() > 500, "the examples hold findings");
    let db = builtin();
    for rule in db.rules().iter().step_by(3) {
        rule.mark_compiling();
    }
    let (got, deferred) = run(&db);
    assert!(
        deferred > 50,
        "spans of rules compiled elsewhere wait: {deferred}"
    );
    assert!(got == want, "the same matches");
}

/// The capture slots a pool hands out again hold nothing of the last search: a group that
/// took part in the last match and not in this one comes back empty (the slots are kept per
/// thread, not made per span).
#[test]
fn capture_slots_used_again_keep_nothing_of_the_last_match() {
    let regex =
        regex_automata::meta::Regex::new(r"id=(?P<value>\d+)(?:-(?P<ext>[a-z]+))?").unwrap();
    let pool = crate::detect::db::CachePool::new(Box::new({
        let regex = regex.clone();
        move || Search {
            cache: regex.create_cache(),
            caps: regex.create_captures(),
        }
    }));
    let groups = |hay: &[u8]| {
        let mut search = pool.get();
        let Search { cache, caps } = &mut *search;
        let mut matches = CapturesIn::new(&regex, cache, caps, regex_automata::Input::new(hay));
        let mut out = Vec::new();
        while let Some(c) = matches.next() {
            out.push((
                c.get_group(1).map(|m| m.range()),
                c.get_group(2).map(|m| m.range()),
            ));
        }
        out
    };
    assert_eq!(groups(b"id=12-ab"), vec![(Some(3..5), Some(6..8))]);
    assert_eq!(
        groups(b"id=34 id=5"),
        vec![(Some(3..5), None), (Some(9..10), None)]
    );
    assert_eq!(groups(b"nothing"), vec![]);
}
