//! The server's audit log through real pushes, `audit verify`/`export`, and `evidence`.

use crate::common::{AWS_KEY, SSN, Server, TempRepo, bin, run};
use std::path::{Path, PathBuf};
use std::process::Command;

fn audited(hook: &str, extra: &str) -> (Server, PathBuf) {
    let s = Server::new(hook);
    s.config(&format!("[server]\naudit_log = \"audit.log\"\n{extra}"));
    let log = s.bare.path().join("audit.log");
    (s, log)
}

fn records(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn phiguard(args: &[&str]) -> crate::common::Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).env("NO_COLOR", "1");
    run(cmd, None)
}

fn verify(files: &[&Path], head: Option<&str>) -> serde_json::Value {
    let mut args = vec!["audit", "verify", "--format", "json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    if let Some(h) = head {
        args.extend(["--head", h]);
    }
    let r = phiguard(&args);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(r.code, if v["ok"] == true { 0 } else { 1 }, "{}", r.all());
    v
}

fn branch(s: &Server, name: &str, content: &str) {
    s.work.git(&["checkout", "-q", "-B", name, "main"]);
    s.work.add(&format!("{name}.txt"), content);
    s.work.commit(name);
}

#[test]
fn twenty_concurrent_pushes_write_one_chained_line_each() {
    let (s, log) = audited("pre-receive", "");
    let names: Vec<String> = (0..20).map(|i| format!("b{i:02}")).collect();
    for n in &names {
        branch(&s, n, &format!("clean content {n}\n"));
    }
    std::thread::scope(|scope| {
        for n in &names {
            let work = &s.work;
            scope.spawn(move || {
                let out = work.git_output(&["push", "-q", "origin", n]);
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            });
        }
    });
    let recs = records(&log);
    assert_eq!(recs.len(), 20);
    let mut pushed: Vec<&str> = recs
        .iter()
        .map(|r| {
            assert_eq!(r["decision"], "accept", "{r}");
            assert_eq!(r["refs"].as_array().unwrap().len(), 1, "{r}");
            r["refs"][0]["ref"].as_str().unwrap()
        })
        .collect();
    pushed.sort_unstable();
    let want: Vec<String> = names.iter().map(|n| format!("refs/heads/{n}")).collect();
    assert_eq!(pushed, want);
    let v = verify(&[&log], None);
    assert_eq!(
        (v["ok"].as_bool(), v["lines"].as_u64()),
        (Some(true), Some(20)),
        "{v}"
    );
}

#[test]
fn the_update_hook_writes_one_line_per_ref() {
    let (s, log) = audited("update", "");
    branch(&s, "one", "clean one\n");
    branch(&s, "two", "clean two\n");
    assert!(s.push(&["one", "two"]).0);
    let recs = records(&log);
    let refs: Vec<&str> = recs
        .iter()
        .map(|r| r["refs"][0]["ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["refs/heads/one", "refs/heads/two"]);
    assert!(
        recs.iter()
            .all(|r| r["hook"] == "update" && r["decision"] == "accept")
    );
    assert_eq!(verify(&[&log], None)["lines"], 2);
}

/// A log of six real pushes, and its head.
fn six_pushes() -> (Server, PathBuf, String) {
    let (s, log) = audited("pre-receive", "");
    for i in 0..6 {
        s.work.add(&format!("f{i}.txt"), format!("line {i}\n"));
        s.work.commit(&format!("c{i}"));
        assert!(s.push(&["main"]).0);
    }
    let head = verify(&[&log], None)["head"].as_str().unwrap().to_owned();
    (s, log, head)
}

#[test]
fn verify_detects_an_edited_a_deleted_a_swapped_line_and_a_cut_tail() {
    let (_s, log, head) = six_pushes();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let write = |ls: &[String]| std::fs::write(&log, ls.concat()).unwrap();
    let owned = || lines.iter().map(|l| format!("{l}\n")).collect::<Vec<_>>();
    // An edited line is found at the next one, whose `prev` no longer matches.
    let mut edited = owned();
    edited[2] = edited[2].replace("\"accept\"", "\"reject\"");
    write(&edited);
    let v = verify(&[&log], None);
    assert_eq!(
        (v["problem"]["line"].as_u64(), v["problem"]["code"].as_str()),
        (Some(4), Some("prev-mismatch")),
        "{v}"
    );
    let mut deleted = owned();
    deleted.remove(2);
    write(&deleted);
    let v = verify(&[&log], None);
    assert_eq!(v["problem"]["line"], 3, "{v}");
    let mut swapped = owned();
    swapped.swap(2, 3);
    write(&swapped);
    let v = verify(&[&log], None);
    assert_eq!(
        (v["problem"]["line"].as_u64(), v["problem"]["code"].as_str()),
        (Some(3), Some("reordered")),
        "{v}"
    );
    // A cut tail still chains: only the anchored head exposes it.
    write(&owned()[..4]);
    assert_eq!(verify(&[&log], None)["ok"], true);
    let v = verify(&[&log], Some(&head));
    assert_eq!(v["problem"]["code"], "head-not-found", "{v}");
    write(&owned());
    assert_eq!(verify(&[&log], Some(&head))["ok"], true);
    // The human form names the line and prints the head.
    write(&deleted);
    let r = phiguard(&["audit", "verify", log.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.out().contains("line 3") && r.out().contains("last good head"),
        "{}",
        r.out()
    );
}

#[test]
fn rotation_by_size_keeps_one_chain_that_verify_checks_across_files() {
    let (s, log) = audited("pre-receive", "audit_rotate_bytes = 100\n");
    for i in 0..4 {
        s.work.add(&format!("r{i}.txt"), format!("line {i}\n"));
        s.work.commit(&format!("r{i}"));
        assert!(s.push(&["main"]).0);
    }
    let rotated: Vec<PathBuf> = (1..=3)
        .map(|i| s.bare.path().join(format!("audit.log.{i}")))
        .collect();
    assert!(
        rotated.iter().all(|p| p.exists()),
        "one record per file (each > 100 bytes)"
    );
    let mut all: Vec<&Path> = rotated.iter().map(PathBuf::as_path).collect();
    all.push(&log);
    let v = verify(&all, None);
    assert_eq!(
        (v["ok"].as_bool(), v["lines"].as_u64()),
        (Some(true), Some(4)),
        "{v}"
    );
    assert_eq!(
        verify(&[&log], None)["ok"],
        false,
        "the last file alone does not start the chain"
    );
    let r = phiguard(&["audit", "verify", log.to_str().unwrap()]);
    assert!(
        r.out().contains("hint:") && r.out().contains("audit.log.1"),
        "{}",
        r.out()
    );
}

#[test]
fn rotation_by_day_starts_a_new_file_when_the_first_line_is_from_an_earlier_day() {
    let (s, log) = audited("pre-receive", "audit_rotate = \"daily\"\n");
    s.work.add("a.txt", "line a\n");
    s.work.commit("a");
    assert!(s.push(&["main"]).0);
    s.work.add("b.txt", "line b\n");
    s.work.commit("b");
    assert!(s.push(&["main"]).0);
    assert!(
        !s.bare.path().join("audit.log.1").exists(),
        "same day: one file"
    );
    // Make the file's first line a record of an earlier day (its successor's `prev` is
    // recomputed below, so the chain itself stays whole).
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2);
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    first["time"] = "2020-01-01T00:00:00.000Z".into();
    lines[0] = serde_json::to_string(&first).unwrap();
    let mut second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    std::fs::write(&log, format!("{}\n", lines[0])).unwrap();
    let h = verify(&[&log], None)["head"].as_str().unwrap().to_owned();
    second["prev"] = h.into();
    lines[1] = serde_json::to_string(&second).unwrap();
    std::fs::write(&log, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    assert_eq!(verify(&[&log], None)["ok"], true);
    s.work.add("c.txt", "line c\n");
    s.work.commit("c");
    assert!(s.push(&["main"]).0);
    let old = s.bare.path().join("audit.log.1");
    assert!(old.exists(), "rotated at the new day");
    assert_eq!(records(&old).len(), 2);
    assert_eq!(records(&log).len(), 1);
    let v = verify(&[&old, &log], None);
    assert_eq!(
        (v["ok"].as_bool(), v["lines"].as_u64()),
        (Some(true), Some(3)),
        "{v}"
    );
}

#[test]
fn an_unwritable_audit_log_rejects_the_push_naming_the_path() {
    let s = Server::new("pre-receive");
    s.config("[server]\naudit_log = \"no-such-dir/audit.log\"\n");
    s.work.add("clean.txt", "nothing to see\n");
    s.work.commit("clean");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("no-such-dir/audit.log"), "{text}");
    // Exit 2 (not 1): the same hook run by hand.
    let out = s.bare.git_output(&["rev-parse", "refs/heads/main"]);
    let old = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let new = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let r = s.bare.phiguard_in(
        s.bare.path(),
        &["hook", "update", "refs/heads/main", &old, &new],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("no-such-dir/audit.log"), "{}", r.all());
}

#[test]
fn a_bypass_records_its_reason_and_pusher_and_a_reject_its_findings_without_values() {
    let (s, log) = audited("pre-receive", "");
    s.bare
        .git(&["config", "receive.advertisePushOptions", "true"]);
    let npi = "1245319599";
    let mrn = "H4471923";
    s.work.add(
        "leak.txt",
        format!("patient ssn: {SSN}\nnpi: {npi}\nMRN: {mrn}\naws_key = {AWS_KEY}\n"),
    );
    let bad = s.work.commit("leak");
    let (ok, _) = s.push(&["main"]);
    assert!(!ok);
    let with = |ls: &str| {
        format!(
            "[server]\naudit_log = \"audit.log\"\n[[policy]]\nrefs = [\"refs/heads/*\"]\nbypass = [\"{ls}\"]\n"
        )
    };
    s.config(&with("ops-oncall"));
    let mut args = vec![
        "push",
        "-o",
        "phiguard.bypass=incident 42",
        "origin",
        "main",
    ];
    let vars = [
        ("USER", "ops-oncall"),
        ("GL_USERNAME", ""),
        ("GITHUB_USER_LOGIN", ""),
    ];
    let (ok, text) = s.work.git_in_env(&mut args, &vars);
    assert!(ok, "{text}");
    let recs = records(&log);
    assert_eq!(recs.len(), 2);
    let (reject, bypass) = (&recs[0], &recs[1]);
    assert_eq!(reject["decision"], "reject");
    assert_eq!(reject["reasons"][0]["code"], "findings");
    let rules: Vec<&str> = reject["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for want in ["phi.ssn", "phi.npi", "phi.mrn"] {
        assert!(rules.contains(&want), "{want} in {rules:?}");
    }
    assert!(
        reject["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["commit"] == bad.as_str() && f["fingerprint"].is_string())
    );
    assert_eq!(bypass["decision"], "bypass");
    assert_eq!(bypass["bypass"], "incident 42");
    assert_eq!(bypass["pusher"]["name"], "ops-oncall");
    assert_eq!(
        bypass["pusher"]["verified"], false,
        "$USER is not vouched for"
    );
    assert_eq!(bypass["refs"][0]["new"], bad.as_str());
    let text = std::fs::read(&log).unwrap();
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    crate::common::assert_no_value(
        &text,
        &[
            SSN,
            &digits(SSN),
            npi,
            mrn,
            &digits(mrn),
            AWS_KEY,
            &AWS_KEY[4..],
        ],
    );
}

#[test]
fn budget_exceeded_is_recorded_as_budget_or_fail_open() {
    let (s, log) = audited("pre-receive", "budget_ms = 0\n");
    s.work.add("a.txt", "text\n");
    s.work.commit("a");
    assert!(!s.push(&["main"]).0);
    s.config("[server]\naudit_log = \"audit.log\"\nbudget_ms = 0\nfail_open = true\n");
    assert!(s.push(&["main"]).0);
    let decisions: Vec<String> = records(&log)
        .iter()
        .map(|r| r["decision"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(decisions, ["budget", "fail-open"]);
    assert_eq!(verify(&[&log], None)["ok"], true);
}

#[test]
fn an_error_exit_is_recorded_with_its_kind_and_rejects() {
    let (s, log) = audited("pre-receive", "[rules]\nimport = [\"missing-pack.toml\"]\n");
    s.work.add("a.txt", "text\n");
    s.work.commit("a");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert!(text.contains("missing-pack.toml"), "{text}");
    let recs = records(&log);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["decision"], "error");
    assert_eq!(recs[0]["reasons"][0]["code"], "error");
    assert_eq!(recs[0]["rules_hash"], "unreadable");
}

#[test]
fn export_filters_by_date_and_writes_csv() {
    let (_s, log, _) = six_pushes();
    let r = phiguard(&[
        "audit",
        "export",
        "--since",
        "2000-01-01",
        "--format",
        "csv",
        log.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = r.out();
    assert!(out.starts_with("time,repository,"), "{out}");
    assert_eq!(out.lines().count(), 7, "{out}");
    let r = phiguard(&[
        "audit",
        "export",
        "--since",
        "2999-01-01",
        "--format",
        "json",
        log.to_str().unwrap(),
    ]);
    assert_eq!(r.json()["records"].as_array().unwrap().len(), 0);
    let r = phiguard(&[
        "audit",
        "export",
        "--since",
        "yesterday",
        log.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
}

#[test]
fn evidence_lists_signed_and_unsigned_commits_counts_findings_and_writes_sarif() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    let base = repo.commit("base");
    repo.add("a.txt", format!("patient ssn: {SSN}\n"));
    let unsigned = repo.commit("unsigned");
    let key = repo.home().join("key");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output();
    let signed = keygen.is_ok_and(|o| o.status.success()).then(|| {
        repo.add("b.txt", "fine\n");
        let key = key.to_str().unwrap();
        repo.git(&[
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={key}"),
            "commit",
            "-q",
            "--no-verify",
            "-S",
            "-m",
            "signed",
        ]);
        // git's own allowed signers file names the key for the committer: evidence trusts it.
        let public = std::fs::read_to_string(format!("{key}.pub")).unwrap();
        let signers = repo.home().join("allowed_signers");
        std::fs::write(&signers, format!("author@example.com {public}")).unwrap();
        repo.git(&[
            "config",
            "gpg.ssh.allowedSignersFile",
            signers.to_str().unwrap(),
        ]);
        repo.git(&["rev-parse", "HEAD"]).trim().to_owned()
    });
    let out = repo.path().join("evidence.json");
    let range = format!("{base}..HEAD");
    let r = repo.phiguard(&[
        "evidence",
        "--range",
        &range,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "the SSN blocks: {}", r.all());
    let bytes = std::fs::read(&out).unwrap();
    crate::common::assert_no_value(&bytes, &[SSN, "536904399"]);
    let sha = phiguard::audit::hash::sha256_hex(&bytes);
    assert!(r.out().contains(&format!("sha256:{sha}")), "{}", r.out());
    let e: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let commits = e["commits"].as_array().unwrap();
    let verdict = |id: &str| {
        commits
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["signature"]["status"].clone())
    };
    assert_eq!(verdict(&unsigned), Some("unsigned".into()), "{e}");
    if let Some(signed) = signed {
        assert_eq!(verdict(&signed), Some("good".into()), "{e}");
        assert_eq!(commits.len(), 2);
    }
    assert_eq!(verdict(&base), None, "outside the range");
    assert_eq!(e["findings"]["by_rule"]["phi.ssn"]["block"], 1, "{e}");
    assert_eq!(e["range"], range.as_str());
    assert_eq!(e["rules_hash"].as_str().unwrap().len(), 64);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.path().join("evidence.json.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

/// A build log with PHI in every shape `redact` must catch, and lines that hold none.
const LOG_LINES: &[(&str, &[&str])] = &[
    ("   Compiling phiguard v0.1.0 (/work/app)\n", &[]),
    (
        "\x1b[32mINFO\x1b[0m chart pull failed for MRN: \x1b[1mH4471923\x1b[0m\n",
        &["H4471923", "4471923"],
    ),
    ("patient id=PX-0091 loaded\n", &["PX-0091", "0091"]),
    ("lookup MRN#7734521 done\n", &["7734521"]),
    (
        "the mrn number is 00-4471923.\n",
        &["00-4471923", "004471923"],
    ),
    (
        "attending provider npi 1245319599 attached\n",
        &["1245319599"],
    ),
    ("claim for 1538217047 queued\n", &["1538217047"]),
    (
        "hl7: PID|1|4471923|H4471923^^^HOSP^MR||ORTEGA^LUCIA||19610412|F|||12 MAIN ST^^SPRINGFIELD^IL^62701\n",
        &["ORTEGA", "LUCIA", "19610412", "MAIN ST", "H4471923"],
    ),
    (
        "got \"MSH|^~\\&|LAB\\rPID|1||A99812^^^HOSP^MR||DOE^JANE||19700101|F\" (cut)\n",
        &["A99812", "DOE", "JANE", "19700101"],
    ),
    (
        "<id root=\"2.16.840.1.113883.19.5\" extension=\"MR-558812\"/>\n",
        &["MR-558812", "558812"],
    ),
    (
        "<patientRole><id extension=\"998877\" root=\"1.2.3\"/><patient><name><given>Ana</given><family>Quintero\n",
        &["998877", "Ana", "Quintero"],
    ),
    (
        "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"urn:oid:1.2.3\",\"value\":\"FH-44120\"}\n",
        &["FH-44120", "44120"],
    ),
    ("DOB: 04/12/1961\n", &["04/12/1961", "1961"]),
    (
        "INSERT INTO patients (mrn, last_name) VALUES ('E1999941', 'Ortega');\n",
        &["E1999941", "Ortega"],
    ),
    ("lookup failed for patient H7275367 (MRN)\n", &["H7275367"]),
    ("warning: unused variable `mrn_count`\n", &[]),
    (
        "\x1b[1;32m    Finished\x1b[0m `release` profile [optimized] target(s) in 12.31s\n",
        &[],
    ),
    (
        "test result: ok. 152 passed; 0 failed; 0 ignored; finished in 3.02s\n",
        &[],
    ),
    ("the patient id is required when the chart is opened\n", &[]),
];

#[test]
fn redact_leaves_no_labelled_mrn_npi_or_hl7_ccda_fhir_value_and_no_other_line_changed() {
    let input: String = LOG_LINES.iter().map(|(l, _)| *l).collect();
    let r = crate::common::phiguard_stdin(&["redact"], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.all());
    let out = r.out();
    let lines: Vec<&str> = out.split_inclusive('\n').collect();
    assert_eq!(lines.len(), LOG_LINES.len(), "{out}");
    for ((line, values), got) in LOG_LINES.iter().zip(&lines) {
        if values.is_empty() {
            assert_eq!(got, line, "a line without a value is unchanged");
        } else {
            crate::common::assert_no_value(got.as_bytes(), values);
            assert_eq!(got.len(), line.len(), "only value bytes change: {got:?}");
        }
    }
    assert!(
        lines[1].starts_with("\x1b[32mINFO\x1b[0m") && lines[1].contains("\x1b[1m********\x1b[0m"),
        "{:?}",
        lines[1]
    );
    // --conservative keeps the old behaviour: a labelled value no rule reports stays.
    let r = crate::common::phiguard_stdin(&["redact", "--conservative"], LOG_LINES[2].0.as_bytes());
    assert_eq!(r.out(), LOG_LINES[2].0);
}

#[test]
fn redact_of_input_without_newlines_streams_in_bounded_windows_and_masks_values_on_their_boundaries()
 {
    // Issue 25: a line without a newline was held whole until it ended (3 GiB in, 3 GiB held).
    // Now 1 MiB windows stream out while the line is still open. Values sit every ~1000
    // bytes, so some straddle each window boundary.
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut input = Vec::new();
    let mut n = 0;
    while input.len() < 3 << 20 {
        input.extend_from_slice(format!("{:0990} MRN: H{:07} ", 0, n).as_bytes());
        n += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin())
        .arg("redact")
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PHIGUARD_CONFIG_HOME", dir.path().join("phiguard"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let got = AtomicUsize::new(0);
    let (close, closed) = std::sync::mpsc::channel::<()>();
    let input_ref = &input;
    let out = std::thread::scope(|scope| {
        scope.spawn(move || {
            stdin.write_all(input_ref).unwrap();
            stdin.flush().unwrap();
            // Keep the line open until the output has been seen (or the wait gave up).
            let _ = closed.recv();
            drop(stdin);
        });
        let reader = scope.spawn(|| {
            let mut out = Vec::new();
            let mut buf = vec![0; 64 * 1024];
            loop {
                let k = stdout.read(&mut buf).unwrap();
                if k == 0 {
                    return out;
                }
                out.extend_from_slice(&buf[..k]);
                got.store(out.len(), Ordering::SeqCst);
            }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while got.load(Ordering::SeqCst) < 2 << 20 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let streamed = got.load(Ordering::SeqCst);
        close.send(()).unwrap();
        let out = reader.join().unwrap();
        assert!(
            streamed >= 2 << 20,
            "only {streamed} bytes out before the line ended"
        );
        out
    });
    assert!(child.wait().unwrap().success());
    assert_eq!(
        out.len(),
        input.len(),
        "same length, nothing lost or doubled"
    );
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.matches("MRN: ********").count(),
        n,
        "every value masked"
    );
}

/// The evidence record gives each suppression its reason (the text after `phiguard:allow`),
/// not only the mechanism.
#[test]
fn evidence_lists_each_suppression_with_its_reason() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    let base = repo.commit("base");
    repo.add(
        "a.txt",
        format!("patient ssn: {SSN} # phiguard:allow synthetic demo row\n"),
    );
    repo.commit("allowed");
    let out = repo.path().join("evidence.json");
    let range = format!("{base}..HEAD");
    let r = repo.phiguard(&[
        "evidence",
        "--range",
        &range,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let e: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let s = &e["suppressions"][0];
    assert_eq!(s["by"], "inline", "{e}");
    assert_eq!(s["reason"], "synthetic demo row", "{e}");
}
