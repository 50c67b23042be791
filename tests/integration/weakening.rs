//! A `.phiguard.toml` change that weakens the checks is a finding of its own
//! (`policy.config.weakened`), through the installed hooks, a push and `scan --range`; and
//! `scan --range A..B` judges with `A`'s configuration, so a change cannot weaken its own check.

use crate::common::{SSN, Server, TempRepo, assert_no_value};

const RULE: &str = "policy.config.weakened";

/// The findings of a JSON report as (rule, path, suppressed-by) triples.
fn found(r: &crate::common::Run) -> Vec<(String, String, Option<String>)> {
    let json = r.json();
    let listed = |key: &str| json[key].as_array().cloned().unwrap_or_default();
    listed("findings")
        .into_iter()
        .chain(listed("suppressed"))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
                f["suppressed"]["by"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn commit_through_hooks(repo: &TempRepo, msg: &str) -> (bool, String) {
    let out = repo.git_output(&["commit", "-q", "-m", msg]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The committed configuration of the tests below.
const BASE: &str = "[scan]\nmax_file_bytes = 1000000\n";

fn repo_with_config() -> TempRepo {
    let repo = TempRepo::new();
    repo.add(".phiguard.toml", BASE);
    repo.add("README.md", "hello\n");
    repo.commit("init");
    repo.install_hooks();
    repo
}

#[test]
fn a_commit_weakening_the_config_is_blocked_and_a_strengthening_one_passes() {
    let repo = repo_with_config();
    let weak = "[scan]\nmax_file_bytes = 1000000\nexclude = [\"db/**\"]\n";
    repo.add(".phiguard.toml", weak);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        found(&r),
        vec![(RULE.to_owned(), ".phiguard.toml".to_owned(), None)]
    );
    let f = &r.json()["findings"][0];
    assert_eq!(
        (f["line"].as_u64(), f["category"].as_str()),
        (Some(3), Some("config"))
    );
    assert!(
        f["message"].as_str().unwrap().contains("[scan] exclude"),
        "{f}"
    );
    assert!(
        !r.out().contains("db/**"),
        "the glob is not printed: {}",
        r.out()
    );
    let (ok, text) = commit_through_hooks(&repo, "weaken");
    assert!(!ok, "the hook let a weakening through: {text}");
    assert!(text.contains(RULE), "{text}");
    // Stricter: a lower size limit and a rule raised to block.
    let strict = "[scan]\nmax_file_bytes = 1000\n[rules.severity]\n\"phi.zip\" = \"block\"\n";
    repo.add(".phiguard.toml", strict);
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(
        (r.code, r.json()["summary"]["block"].as_u64()),
        (0, Some(0)),
        "{}",
        r.all()
    );
    let (ok, text) = commit_through_hooks(&repo, "stricter");
    assert!(ok, "{text}");
}

/// A reviewed weakening is accepted like any finding: `phiguard:allow <reason>` on the
/// comment line above the key, listed as allowed.
#[test]
fn a_weakening_with_a_reasoned_allow_marker_passes_and_is_listed() {
    let repo = repo_with_config();
    repo.add(
        ".phiguard.toml",
        format!("{BASE}[rules]\n# phiguard:allow vendored sample data, approved by the privacy office\ndisable = [\"phi.zip\"]\n"),
    );
    let r = repo.phiguard(&["--format", "json", "scan", "--staged"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        found(&r),
        vec![(
            RULE.to_owned(),
            ".phiguard.toml".to_owned(),
            Some("inline".to_owned())
        )]
    );
    let (ok, text) = commit_through_hooks(&repo, "accepted weakening");
    assert!(ok, "{text}");
}

/// An untracked `.phiguard.toml` is what the hook reads: it cannot switch the hook off
/// silently either.
#[test]
fn an_untracked_weakening_config_blocks_the_next_commit() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    repo.commit("init");
    repo.install_hooks();
    repo.write(".phiguard.toml", "[rules]\ndisable = [\"phi.ssn\"]\n");
    repo.add("notes.txt", format!("ssn {SSN}\n"));
    let (ok, text) = commit_through_hooks(&repo, "with an untracked config");
    assert!(!ok, "{text}");
    assert!(text.contains(RULE) && text.contains("phi.ssn"), "{text}");
    assert_no_value(text.as_bytes(), &[SSN]);
}

/// A pushed commit that weakens the config is reported by the server (which judges with its
/// own `$GIT_DIR` configuration), by the client's pre-push hook and by `scan --range`.
#[test]
fn push_pre_push_and_range_report_a_weakening_commit() {
    let s = Server::new("pre-receive");
    let base = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    s.work
        .add(".phiguard.toml", "[scan]\ntest_paths = [\"**/db/**\"]\n");
    let weakening = s.work.commit("weaken");
    let range = format!("{base}..HEAD");
    let r = s
        .work
        .phiguard(&["--format", "json", "scan", "--range", &range]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        found(&r),
        vec![(RULE.to_owned(), ".phiguard.toml".to_owned(), None)]
    );
    assert_eq!(r.json()["findings"][0]["commit"], weakening.as_str());
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "the server accepted: {text}");
    assert!(text.contains(RULE), "{text}");
    assert_eq!(
        s.server_has("refs/heads/main").as_deref(),
        Some(base.as_str())
    );
    // The client's pre-push hook says so before the server does.
    let r = s.work.phiguard(&["install", "--hooks", "pre-push"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = s.work.git_output(&["push", "origin", "main"]);
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains(RULE), "{text}");
}

/// `scan --range A..B` judges with `A`'s configuration: a range whose tip excludes the file
/// holding an SSN still reports the SSN; `--config-from head` is the explicit opt-out.
#[test]
fn range_judges_with_the_base_configuration() {
    let repo = TempRepo::new();
    repo.add(".phiguard.toml", BASE);
    let base = repo.commit("init");
    repo.add(".phiguard.toml", format!("{BASE}exclude = [\"db/**\"]\n"));
    repo.add("db/seed.sql", format!("insert into p values ('{SSN}');\n"));
    repo.commit("seed, excluded");
    let range = format!("{base}..HEAD");
    let r = repo.phiguard(&["--format", "json", "scan", "--range", &range]);
    assert_eq!(r.code, 1, "{}", r.all());
    let mut rules = found(&r);
    rules.sort();
    assert_eq!(
        rules,
        vec![
            ("phi.ssn".to_owned(), "db/seed.sql".to_owned(), None),
            (RULE.to_owned(), ".phiguard.toml".to_owned(), None),
        ]
    );
    assert_no_value(&r.stdout, &[SSN]);
    let r = repo.phiguard(&[
        "--format",
        "json",
        "scan",
        "--range",
        &range,
        "--config-from",
        "head",
    ]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        found(&r),
        vec![(RULE.to_owned(), ".phiguard.toml".to_owned(), None)]
    );
}

/// `--range A..B` takes A's `.phiguard-baseline` with A's configuration: a change cannot add
/// the baseline entries that excuse its own findings (issue 24 §4).
#[test]
fn range_judges_with_the_base_baseline_too() {
    let repo = TempRepo::new();
    repo.add("README.md", "hello\n");
    let base = repo.commit("init");
    repo.write("notes.txt", format!("patient ssn {SSN}\n"));
    let created = repo.phiguard(&["baseline", "create"]);
    assert_eq!(created.code, 0, "{}", created.all());
    repo.git(&["add", "-A"]);
    repo.commit("seed, baselined by the same change");
    let range = format!("{base}..HEAD");
    let r = repo.phiguard(&["--format", "json", "scan", "--range", &range]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.json()["summary"]["baselined"], 0, "{}", r.out());
    assert_no_value(&r.stdout, &[SSN]);
    // Judged with the work tree's files, the change excuses itself: why base is the default.
    let r = repo.phiguard(&[
        "--format",
        "json",
        "scan",
        "--range",
        &range,
        "--config-from",
        "worktree",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.json()["summary"]["baselined"], 1, "{}", r.out());
}
