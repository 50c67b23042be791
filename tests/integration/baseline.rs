//! The baseline (`phiguard baseline`, `.phiguard-baseline`) with real git repositories and a
//! real server. Every value here is synthetic.

use crate::common::{Server, TempRepo, assert_no_value};

/// Valid-looking SSNs (not synthetic markers), and their digits.
const SSN_A: &str = "536-90-4399";
const SSN_B: &str = "219-09-1234";
const SSN_NEW: &str = "412-37-8850";
/// Labelled birth dates and ZIP codes (count-based kinds).
const DOB_A: &str = "04/12/1961";
const DOB_B: &str = "11/03/1974";
const DOB_NEW: &str = "07/21/1952";

fn values() -> Vec<String> {
    let mut v: Vec<String> = [SSN_A, SSN_B, SSN_NEW, DOB_A, DOB_B, DOB_NEW]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    v.extend(v.clone().iter().map(|s| s.replace(['-', '/'], "")));
    v
}

fn assert_clean(bytes: &[u8]) {
    let values = values();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_no_value(bytes, &refs);
}

fn seeded() -> TempRepo {
    let repo = TempRepo::new();
    repo.add(
        "db/seed.sql",
        format!(
            "-- legacy seed\n\
             INSERT INTO p VALUES ('ssn: {SSN_A}');\n\
             INSERT INTO p VALUES ('ssn: {SSN_B}');\n\
             patient dob: {DOB_A}\n\
             patient dob: {DOB_B}\n"
        ),
    );
    repo.commit("seed");
    repo
}

fn baselined(repo: &TempRepo) -> serde_json::Value {
    let r = repo.phiguard(&["--format", "json", "scan"]);
    assert_clean(&r.stdout);
    let j = r.json();
    assert!(r.code <= 1, "{}", r.all());
    j
}

#[test]
fn a_created_baseline_lets_existing_findings_through_as_baselined() {
    let repo = seeded();
    let before = repo.phiguard(&["scan"]);
    assert_eq!(before.code, 1, "{}", before.all());
    let created = repo.phiguard(&["baseline", "create"]);
    assert_eq!(created.code, 0, "{}", created.all());
    let text = std::fs::read(repo.path().join(".phiguard-baseline")).unwrap();
    assert_clean(&text);
    assert_clean(&created.stdout);
    let r = repo.phiguard(&["--format", "json", "scan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = r.json();
    assert_eq!(j["summary"]["block"], 0, "{j}");
    assert_eq!(j["summary"]["baselined"], 4, "{j}");
    let by: Vec<&str> = j["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["suppressed"]["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["baseline"; 4], "{j}");
    assert_clean(&r.stdout);
    // The human format lists them with --show-suppressed, without values.
    let h = repo.phiguard(&["scan", "--show-suppressed"]);
    assert_eq!(h.code, 0, "{}", h.all());
    assert!(h.out().contains("suppressed by baseline"), "{}", h.out());
    assert!(h.out().contains("4 baselined"), "{}", h.out());
    assert_clean(&h.stdout);
    // The baseline file itself is not a finding.
    repo.add(".phiguard-baseline", &text);
    let staged = repo.phiguard(&["scan", "--staged"]);
    assert_eq!(staged.code, 0, "{}", staged.all());
}

#[test]
fn moved_lines_and_edits_elsewhere_stay_baselined_a_new_value_blocks() {
    let repo = seeded();
    assert_eq!(repo.phiguard(&["baseline", "create"]).code, 0);
    repo.write(
        "db/seed.sql",
        format!(
            "-- legacy seed, reordered\n\
             patient dob: {DOB_B}\n\
             unrelated edit\n\
             INSERT INTO p VALUES ('ssn: {SSN_B}');\n\
             \n\
             INSERT INTO p VALUES ('ssn: {SSN_A}');\n\
             patient dob: {DOB_A}\n"
        ),
    );
    let j = baselined(&repo);
    assert_eq!(j["summary"]["block"], 0, "{j}");
    assert_eq!(j["summary"]["baselined"], 4, "{j}");
    // A new SSN and a third birth date in the same file block.
    let mut text = std::fs::read_to_string(repo.path().join("db/seed.sql")).unwrap();
    text.push_str(&format!(
        "INSERT INTO p VALUES ('ssn: {SSN_NEW}');\npatient dob: {DOB_NEW}\n"
    ));
    repo.write("db/seed.sql", &text);
    let r = repo.phiguard(&["--format", "json", "scan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let j = r.json();
    assert_clean(&r.stdout);
    let rules: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"phi.ssn") && rules.contains(&"phi.dob"),
        "{j}"
    );
    assert_eq!(j["summary"]["block"], 2, "{j}");
    // The pre-commit hook honours the baseline too: the new values block the commit.
    repo.git(&["add", "db/seed.sql"]);
    let hook = repo.phiguard(&["--format", "json", "hook", "pre-commit"]);
    assert_eq!(hook.code, 1, "{}", hook.all());
    assert_clean(&hook.stdout);
}

#[test]
fn update_drops_fixed_entries_and_check_reports_stale_ones() {
    let repo = seeded();
    assert_eq!(repo.phiguard(&["baseline", "create"]).code, 0);
    let check = repo.phiguard(&["baseline", "check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    repo.write(
        "db/seed.sql",
        format!("INSERT INTO p VALUES ('ssn: {SSN_A}');\npatient dob: {DOB_A}\n"),
    );
    let check = repo.phiguard(&["baseline", "check"]);
    assert_eq!(check.code, 1, "{}", check.all());
    assert!(check.out().contains("stale"), "{}", check.out());
    assert_clean(&check.stdout);
    let before = std::fs::read_to_string(repo.path().join(".phiguard-baseline")).unwrap();
    let update = repo.phiguard(&["baseline", "update"]);
    assert_eq!(update.code, 0, "{}", update.all());
    assert!(update.out().contains("2 dropped"), "{}", update.out());
    let after = std::fs::read_to_string(repo.path().join(".phiguard-baseline")).unwrap();
    assert_eq!(after.matches("[[entry]]").count(), 2, "{after}");
    assert_eq!(
        before.lines().find(|l| l.starts_with("key")),
        after.lines().find(|l| l.starts_with("key"))
    );
    assert_eq!(repo.phiguard(&["baseline", "check"]).code, 0);
    // The SSN fixed and the update dropped: it blocks again when it comes back.
    repo.write(
        "db/seed.sql",
        format!("ssn: {SSN_A}\nssn: {SSN_B}\npatient dob: {DOB_A}\n"),
    );
    assert_eq!(repo.phiguard(&["scan"]).code, 1);
}

#[test]
fn baseline_add_takes_a_fingerprint_from_the_json_output() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    assert_eq!(repo.phiguard(&["baseline", "create"]).code, 0);
    repo.write("notes.txt", format!("patient ssn: {SSN_NEW}\n"));
    let r = repo.phiguard(&["--format", "json", "scan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let fp = r.json()["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(fp.starts_with("phi.ssn:notes.txt:"), "{fp}");
    let add = repo.phiguard(&[
        "baseline",
        "add",
        &fp,
        "--reason",
        "known test patient, ticket 77",
    ]);
    assert_eq!(add.code, 0, "{}", add.all());
    let r = repo.phiguard(&["--format", "json", "scan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = r.json();
    assert_eq!(
        j["suppressed"][0]["suppressed"]["reason"], "known test patient, ticket 77",
        "{j}"
    );
    assert_clean(&r.stdout);
    assert_clean(&std::fs::read(repo.path().join(".phiguard-baseline")).unwrap());
    // No baseline yet: `add` says how to make one instead of guessing a key.
    let other = TempRepo::new();
    let r = other.phiguard(&["baseline", "add", &fp, "--reason", "x y"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err().contains("baseline create"), "{}", r.err());
}

#[test]
fn a_gitleaks_report_and_ignore_file_are_imported_as_counts() {
    let repo = TempRepo::new();
    let key = crate::common::AWS_KEY;
    repo.add("cfg/app.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    repo.commit("init");
    assert_eq!(repo.phiguard(&["scan"]).code, 1);
    repo.write(
        "gitleaks.json",
        r#"[{"RuleID":"aws-access-token","File":"cfg/app.env","StartLine":1}]"#,
    );
    let r = repo.phiguard(&[
        "baseline",
        "create",
        "--from-gitleaks",
        "gitleaks.json",
        "--force",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    std::fs::remove_file(repo.path().join("gitleaks.json")).unwrap();
    // create also baselined it by value; keep only the import to test it.
    let text = std::fs::read_to_string(repo.path().join(".phiguard-baseline")).unwrap();
    assert!(
        text.contains("count = 1") && text.contains("secret.aws.access-key-id"),
        "{text}"
    );
    assert_no_value(text.as_bytes(), &[key]);
    let ignore_only = TempRepo::new();
    ignore_only.add("cfg/app.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    ignore_only.commit("init");
    ignore_only.write(
        "ignore.txt",
        "0123456789abcdef0123456789abcdef01234567:cfg/app.env:aws-access-token:1\n",
    );
    std::fs::write(
        ignore_only.path().join(".phiguard-baseline"),
        "version = 1\nkey = \"00112233445566778899aabbccddeeff\"\n",
    )
    .unwrap();
    let r = ignore_only.phiguard(&[
        "baseline",
        "create",
        "--force",
        "--from-gitleaksignore",
        "ignore.txt",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    std::fs::remove_file(ignore_only.path().join("ignore.txt")).unwrap();
    let r = ignore_only.phiguard(&["--format", "json", "scan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.json()["summary"]["baselined"].as_u64().unwrap() >= 1);
}

#[test]
fn the_server_ignores_a_pushed_baseline_and_reads_its_own() {
    let s = Server::new("pre-receive");
    s.work.add("db/seed.sql", format!("ssn: {SSN_A}\n"));
    assert_eq!(s.work.phiguard(&["baseline", "create"]).code, 0);
    s.work.git(&["add", ".phiguard-baseline"]);
    s.work.commit("seed with its baseline");
    // The client honours it...
    assert_eq!(s.work.phiguard(&["scan"]).code, 0);
    // ...the server does not: a pushed baseline is the pusher's.
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    assert_clean(text.as_bytes());
    // The admin's copy in $GIT_DIR counts.
    std::fs::copy(
        s.work.path().join(".phiguard-baseline"),
        s.bare.path().join("phiguard-baseline"),
    )
    .unwrap();
    let (ok, text) = s.push(&["main"]);
    assert!(ok, "{text}");
}

#[test]
fn inline_reasons_are_listed_with_long_digit_runs_masked() {
    let repo = TempRepo::new();
    repo.write(
        "a.txt",
        format!("ssn: {SSN_A} # phiguard:allow copied from ticket 5369043 of patient 536904399\n"),
    );
    let r = repo.phiguard(&["--format", "json", "scan", "a.txt"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = r.json();
    let s = &j["suppressed"][0]["suppressed"];
    assert_eq!(s["by"], "inline", "{j}");
    assert_eq!(
        s["reason"], "copied from ticket ******* of patient *********",
        "{j}"
    );
    assert_clean(&r.stdout);
}

#[test]
fn excludes_test_paths_and_fingerprints_go_by_the_repository_root_from_any_directory() {
    let repo = TempRepo::new();
    // Committed first: a staged or untracked change adding the globs is itself a finding
    // (`policy.config.weakened`).
    repo.add(
        ".phiguard.toml",
        "[scan]\nexclude = [\"app/vendor/**\"]\ntest_paths = [\"app/data/**\"]\n",
    );
    repo.commit("config");
    repo.add("app/vendor/leak.txt", format!("ssn: {SSN_A}\n"));
    repo.add("app/data/p.txt", format!("ssn: {SSN_B}\n"));
    repo.add("app/main.txt", "fine\n");
    // The hook's verdict: vendor excluded, data a test path (warn).
    let hook = repo.phiguard(&["--format", "json", "hook", "pre-commit"]);
    assert_eq!(hook.code, 0, "{}", hook.all());
    assert_eq!(hook.json()["summary"]["warn"], 1, "{}", hook.out());
    repo.commit("init");
    let app = repo.path().join("app");
    let data = app.join("data");
    for (dir, args) in [
        (repo.path().to_path_buf(), vec!["scan", "."]),
        (app.clone(), vec!["scan", "."]),
        (app.clone(), vec!["scan"]),
        (data.clone(), vec!["scan", ".."]),
        (data.clone(), vec!["scan", "../.."]),
    ] {
        let mut all = vec!["--format", "json"];
        all.extend(&args);
        let r = repo.phiguard_in(&dir, &all, None);
        assert_eq!(
            r.code,
            0,
            "{} in {}: {}",
            args.join(" "),
            dir.display(),
            r.all()
        );
        assert_eq!(r.json()["summary"]["warn"], 1, "{}", r.out());
    }
    let text = format!("ssn: {SSN_B}\n");
    let abs = data.join("p.txt");
    for (dir, name) in [
        (repo.path().to_path_buf(), abs.to_str().unwrap()),
        (app.clone(), "data/p.txt"),
        (data.clone(), "p.txt"),
    ] {
        let r = repo.phiguard_in(
            &dir,
            &["--format", "json", "scan", "--stdin-filename", name, "-"],
            Some(text.as_bytes()),
        );
        assert_eq!(r.code, 0, "{name}: {}", r.all());
        assert_eq!(r.json()["findings"][0]["severity"], "warn", "{}", r.out());
    }
    // A baseline made at the root covers the same finding scanned from a subdirectory.
    assert_eq!(repo.phiguard(&["baseline", "create"]).code, 0);
    let r = repo.phiguard_in(&data, &["--format", "json", "scan", "."], None);
    assert_eq!(r.json()["summary"]["baselined"], 1, "{}", r.out());
    let fp = r.json()["suppressed"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(fp.starts_with("phi.ssn:app/data/p.txt:"), "{fp}");
    assert_eq!(r.json()["suppressed"][0]["path"], "p.txt");
}

#[test]
fn scan_range_and_pre_push_honour_the_committed_baseline() {
    let repo = seeded();
    assert_eq!(repo.phiguard(&["baseline", "create"]).code, 0);
    repo.git(&["add", ".phiguard-baseline"]);
    let base = repo.commit("baseline");
    // The baselined value copied to a new line of its file: not new.
    let mut text = std::fs::read_to_string(repo.path().join("db/seed.sql")).unwrap();
    text.push_str(&format!("-- again: ssn: {SSN_A}\n"));
    repo.add("db/seed.sql", &text);
    let moved = repo.commit("copy a line");
    let range = format!("{base}..{moved}");
    let r = repo.phiguard(&["--format", "json", "scan", "--range", &range]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.json()["summary"]["baselined"], 1, "{}", r.out());
    // A new value in the same file blocks the range.
    text.push_str(&format!("ssn: {SSN_NEW}\n"));
    repo.add("db/seed.sql", &text);
    let bad = repo.commit("new value");
    let range = format!("{base}..{bad}");
    let r = repo.phiguard(&["--format", "json", "scan", "--range", &range]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_clean(&r.stdout);
    // pre-push: the same decision for what the remote lacks.
    let remote = TempRepo::bare();
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    repo.git(&[
        "push",
        "-q",
        "--no-verify",
        "origin",
        &format!("{moved}:refs/heads/main"),
    ]);
    let stdin = format!("refs/heads/main {bad} refs/heads/main {moved}\n");
    let r = repo.phiguard_in(
        repo.path(),
        &["hook", "pre-push", "origin", "url"],
        Some(stdin.as_bytes()),
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert_clean(&r.stdout);
    let stdin = format!("refs/heads/main {moved} refs/heads/main {base}\n");
    let r = repo.phiguard_in(
        repo.path(),
        &["hook", "pre-push", "origin", "url"],
        Some(stdin.as_bytes()),
    );
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn a_relative_baseline_flag_names_a_file_in_the_current_directory() {
    let repo = seeded();
    let db = repo.path().join("db");
    let r = repo.phiguard_in(
        &db,
        &["baseline", "create", "--baseline", "mine.toml"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(db.join("mine.toml").is_file());
    assert!(!repo.path().join("mine.toml").exists());
    let r = repo.phiguard_in(&db, &["--baseline", "mine.toml", "scan", "."], None);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&std::fs::read(db.join("mine.toml")).unwrap());
}
