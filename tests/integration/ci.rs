//! CI use: `--range` in shallow clones, gitleaks-style `--report-path` / `--exit-code`, and
//! the SARIF that code scanning reads.

use crate::common::{SSN, TempRepo, assert_no_value};

fn history() -> TempRepo {
    let repo = TempRepo::new();
    for i in 0..4 {
        repo.add(&format!("f{i}.txt"), format!("line {i}\n"));
        repo.commit(&format!("c{i}"));
    }
    repo
}

fn shallow_clone(origin: &TempRepo, depth: &str) -> TempRepo {
    let clone = TempRepo::new();
    let url = format!("file://{}", origin.path().display());
    std::fs::remove_dir_all(clone.path().join(".git")).unwrap();
    let out = clone.git_output(&["clone", "-q", "--depth", depth, &url, "."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    clone
}

#[test]
fn range_in_a_shallow_clone_names_the_fetch_depth_instead_of_reporting_the_tree() {
    let origin = history();
    origin.add("old.txt", format!("ssn {SSN}\n"));
    origin.commit("an old value");
    origin.add("new.txt", "fine\n");
    origin.commit("the change");
    let clone = shallow_clone(&origin, "2");
    // The range's base is the boundary, outside the range: scanned as in a full clone.
    let r = clone.phiguard(&["scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(r.code, 0, "{}", r.all());
    // The boundary commit inside the range: refused, with the depth needed.
    let r = clone.phiguard(&["scan", "--range", "HEAD"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.err().contains("shallow") && r.err().contains("fetch-depth: 3"),
        "{}",
        r.err()
    );
    assert!(
        !r.out().contains("f0.txt"),
        "no whole-tree report: {}",
        r.out()
    );
    // The base not fetched at all.
    let clone = shallow_clone(&origin, "1");
    let r = clone.phiguard(&["scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.err().contains("shallow") && r.err().contains("fetch-depth: 0"),
        "{}",
        r.err()
    );
}

#[test]
fn report_path_and_exit_code_behave_as_in_gitleaks() {
    let repo = TempRepo::new();
    repo.write("notes.txt", format!("patient ssn {SSN}\n"));
    let r = repo.phiguard(&[
        "scan",
        "notes.txt",
        "--format",
        "sarif",
        "--report-path",
        "out.sarif",
        "--exit-code",
        "3",
    ]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.out().is_empty(), "{}", r.out());
    assert!(
        r.err().contains("phi.ssn"),
        "the human report on stderr: {}",
        r.err()
    );
    let sarif = std::fs::read(repo.path().join("out.sarif")).unwrap();
    assert_no_value(&sarif, &[SSN]);
    let doc: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "phi.ssn");
    let r = repo.phiguard(&["scan", "notes.txt", "--exit-code", "0"]);
    assert_eq!(r.code, 0, "{}", r.all());
    repo.write("notes.txt", "nothing\n");
    let r = repo.phiguard(&["scan", "notes.txt", "--exit-code", "3"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn sarif_rules_are_described_by_the_rule_with_help_and_security_severity() {
    let repo = TempRepo::new();
    repo.add("a.txt", format!("ssn {SSN}\n"));
    repo.commit(&format!("import for ssn {SSN}"));
    let r = repo.phiguard(&["scan", "--range", "HEAD", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_no_value(&r.stdout, &[SSN]);
    let doc = r.json();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ssn = rules.iter().find(|x| x["id"] == "phi.ssn").unwrap();
    let list = repo.phiguard(&["rules", "list", "--format", "json"]);
    let listed = list.out();
    let name = ssn["shortDescription"]["text"].as_str().unwrap();
    assert!(
        listed.contains(name),
        "the rule's own name {name:?}: {listed:.300}"
    );
    assert!(
        ssn["help"]["text"].as_str().unwrap().contains("synthetic"),
        "{ssn}"
    );
    assert_eq!(ssn["properties"]["security-severity"], "8.5");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let msg = results
        .iter()
        .find(|x| x["locations"][0]["logicalLocations"].is_array())
        .unwrap_or_else(|| panic!("a commit-message result: {doc}"));
    assert!(
        msg["locations"][0].get("physicalLocation").is_none(),
        "{msg}"
    );
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert!(
        msg["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .contains(head.trim()),
        "{msg}"
    );
    let file = results
        .iter()
        .find(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.txt");
    assert!(file.is_some(), "{doc}");
}

#[test]
fn man_page_renders_and_report_less_commands_reject_format_json() {
    let repo = TempRepo::new();
    let r = repo.phiguard(&["man"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.out().starts_with(".ie") && r.out().contains(".TH phiguard 1"),
        "{}",
        r.out()
    );
    assert!(r.out().contains("install"), "subcommands are listed");
    for args in [
        &["--format", "json", "install"][..],
        &["--format", "json", "man"],
        &["--format", "json", "completions", "bash"],
    ] {
        let r = repo.phiguard(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.all());
        assert!(r.err().contains("has no --format"), "{args:?}: {}", r.err());
        assert!(r.out().is_empty(), "{args:?}");
    }
    let r = repo.phiguard(&["--format", "json", "rules", "list"]);
    assert_eq!(r.code, 0, "{}", r.all());
    r.json();
    let r = repo.phiguard(&["install", "--help"]);
    assert!(r.out().contains("Examples:"), "{}", r.out());
}

/// `config show` prints TOML that is the configuration: parsed by the `toml` crate, written to
/// a file and loaded back (`--config FILE`), it shows the same values again. It used to print
/// Rust debug syntax (`audit_log = None`, `severity = {"id": Warn}`) that no parser reads.
#[test]
fn config_show_is_toml_that_loads_back_as_the_same_configuration() {
    let repo = TempRepo::new();
    let key = "0123456789abcdef0123456789abcdef";
    repo.write(
        ".phiguard.toml",
        format!(
            "[scan]\nexclude = [\"vendor/**\", 'odd\"glob']\nmax_file_bytes = 12345\nstrict = true\n\
             test_path_categories = [\"phi\", \"secret\"]\n\
             [rules]\ndisable = [\"phi.ssn\"]\nseverity = {{ \"secret.aws.access-key\" = \"warn\" }}\n\
             [rules.mrn]\nvalue_regex = 'ACME\\d{{7}}'\n\
             [[rules.custom]]\nid = \"custom.ticket\"\nname = \"Ticket\"\ncategory = \"secret\"\n\
             severity = \"block\"\npattern = 'TKT-[0-9]{{6}}'\nkeywords = [\"tkt-\"]\n\
             examples = [\"TKT-123456\"]\n\
             [server]\naudit_log = \"audit.log\"\noversize = \"pass\"\nbudget_ms = 777\n\
             [report]\nfingerprint_key = \"{key}\"\n\
             [[policy]]\nrefs = [\"refs/heads/main\"]\nblock_severity = \"warn\"\ndeny_delete = true\n"
        ),
    );
    let first = repo.phiguard(&["config", "show"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        !first.out().contains(key),
        "the fingerprint key is never shown"
    );
    let doc: toml::Table = toml::from_str(&first.out())
        .unwrap_or_else(|e| panic!("config show is not TOML: {e}\n{}", first.out()));
    assert_eq!(doc["scan"]["max_file_bytes"].as_integer(), Some(12345));
    assert_eq!(doc["scan"]["exclude"][1].as_str(), Some("odd\"glob"));
    assert_eq!(
        doc["rules"]["severity"]["secret.aws.access-key"].as_str(),
        Some("warn")
    );
    assert_eq!(
        doc["rules"]["mrn"]["value_regex"].as_str(),
        Some("ACME\\d{7}")
    );
    assert_eq!(
        doc["rules"]["custom"][0]["id"].as_str(),
        Some("custom.ticket")
    );
    assert_eq!(doc["server"]["budget_ms"].as_integer(), Some(777));
    assert_eq!(doc["policy"][0]["deny_delete"].as_bool(), Some(true));

    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join("shown.toml");
    std::fs::write(&file, first.out()).unwrap();
    // Outside the repository: only the copy is read.
    let again = repo.phiguard_in(
        copy.path(),
        &["--config", "shown.toml", "config", "show"],
        None,
    );
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again
            .out()
            .contains("# files read (in order): shown.toml\n"),
        "{}",
        again.out()
    );
    let back: toml::Table = toml::from_str(&again.out()).unwrap();
    assert_eq!(back, doc, "{}\n---\n{}", first.out(), again.out());

    let json = repo.phiguard(&["--format", "json", "config", "show"]);
    assert_eq!(json.code, 0, "{}", json.all());
    let v = json.json();
    assert_eq!(v["config"]["scan"]["max_file_bytes"], 12345);
    assert!(
        v["origin"]["scan.max_file_bytes"]
            .as_str()
            .unwrap()
            .ends_with(".phiguard.toml")
    );
    assert!(!json.out().contains(key));
    let sarif = repo.phiguard(&["--format", "sarif", "config", "show"]);
    assert_eq!(sarif.code, 2, "{}", sarif.all());
    assert!(sarif.out().is_empty());
}
