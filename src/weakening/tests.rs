use super::*;
use crate::config::ConfigFile;

fn config(text: &str) -> Config {
    let file: ConfigFile = toml::from_str(text).unwrap();
    Config::resolve(vec![(".phiguard.toml".into(), file)]).unwrap()
}

fn keys(old: &str, new: &str) -> Vec<&'static str> {
    compare(&config(old), &config(new))
        .iter()
        .map(|w| w.key)
        .collect()
}

/// Each key that can weaken the checks is reported; its opposite, formatting and
/// reordering are not.
#[test]
fn weakening_changes_are_found_key_by_key() {
    let table: &[(&str, &str, &[&str])] = &[
        (
            "",
            "[scan]\nexclude = [\"Migrations/**\"]\n",
            &["scan.exclude"],
        ),
        (
            "",
            "[scan]\ntest_paths = [\"db/**\"]\n",
            &["scan.test_paths"],
        ),
        (
            "",
            "[scan]\ntest_path_categories = [\"phi\", \"secret\"]\n",
            &["scan.test_path_categories"],
        ),
        (
            "",
            "[scan]\nmax_file_bytes = 999999999\n",
            &["scan.max_file_bytes"],
        ),
        ("[scan]\nstrict = true\n", "", &["scan.strict"]),
        ("", "[scan]\nbaseline = \"other\"\n", &["scan.baseline"]),
        ("", "[rules]\ndisable = [\"phi.ssn\"]\n", &["rules.disable"]),
        ("[rules]\nenable = [\"phi.x\"]\n", "", &["rules.enable"]),
        (
            "",
            "[rules.severity]\n\"phi.ssn\" = \"warn\"\n",
            &["rules.severity"],
        ),
        (
            "[rules.severity]\n\"phi.mrn\" = \"block\"\n",
            "",
            &["rules.severity"],
        ),
        (
            "[rules.mrn]\nvalue_regex = \"ACME\\\\d{7}\"\n",
            "",
            &["rules.mrn.value_regex"],
        ),
        (
            "[[policy]]\nrefs = [\"refs/heads/main\"]\nallow_inline_suppressions = false\n",
            "[[policy]]\nrefs = [\"refs/heads/main\"]\n",
            &["policy"],
        ),
        (
            "[[policy]]\nrefs = [\"refs/heads/main\"]\n",
            "",
            &["policy"],
        ),
        // Stricter, or the same said differently: nothing.
        (
            "[scan]\nexclude = [\"a/**\", \"b/**\"]\n",
            "[scan]\nexclude = [\"b/**\"]\n",
            &[],
        ),
        (
            "[scan]\nexclude = [\"a/**\", \"b/**\"]\n",
            "# reordered\n[scan]\nexclude = [ \"b/**\",\n  \"a/**\" ]\n",
            &[],
        ),
        (
            "[scan]\nmax_file_bytes = 100\n",
            "[scan]\nmax_file_bytes = 10\n",
            &[],
        ),
        ("[rules]\ndisable = [\"phi.ssn\"]\n", "", &[]),
        (
            "[rules.severity]\n\"phi.ssn\" = \"info\"\n",
            "[rules.severity]\n\"phi.ssn\" = \"warn\"\n",
            &[],
        ),
        ("[rules.severity]\n\"phi.ssn\" = \"warn\"\n", "", &[]),
        ("", "[rules.severity]\n\"phi.zip\" = \"block\"\n", &[]),
        ("", "[scan]\nstrict = true\nthreads = 2\n", &[]),
        (
            "",
            "[scan]\ntest_paths = [\"**/tests/**\", \"**/fixtures/**\"]\n",
            &[],
        ),
    ];
    for (old, new, want) in table {
        assert_eq!(keys(old, new), *want, "{old:?} -> {new:?}");
    }
}

/// A finding sits on the key's line, names the key and never the glob, and is allowed by
/// `phiguard:allow <reason>` there (not by a bare marker).
#[test]
fn findings_point_at_the_key_and_hold_no_glob() {
    let key = Key::from_bytes(b"k".to_vec());
    let new = "[scan]\n# phiguard:allow generated dumps, reviewed by privacy\nexclude = [\"patients/doe-john.csv\"]\n";
    let weakened = compare(&config(""), &config(new));
    let at = At {
        path: ".phiguard.toml",
        text: Some(new),
        commit: None,
    };
    let found = findings(&weakened, at, &key);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!((f.line, &*f.rule, f.category), (3, RULE, Category::Config));
    assert_eq!(f.suppressed, Some(Suppression::Inline));
    assert!(f.reason.as_deref().unwrap().contains("reviewed"));
    for shown in [&f.message, &f.excerpt, &f.fingerprint] {
        assert!(!shown.contains("doe-john"), "{shown}");
    }
    assert!(f.message.contains("[scan] exclude"), "{}", f.message);
    let bare = new.replace(" generated dumps, reviewed by privacy", "");
    let at = At {
        text: Some(&bare),
        ..at
    };
    let found = findings(&weakened, at, &key);
    assert_eq!((found[0].line, found[0].suppressed), (3, None));
    // Another glob is another fingerprint: a baselined weakening does not accept the next.
    let other = compare(&config(""), &config("[scan]\nexclude = [\"x/**\"]\n"));
    assert_ne!(findings(&other, at, &key)[0].fingerprint, f.fingerprint);
}
