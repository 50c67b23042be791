use super::*;
use std::path::{Path, PathBuf};

fn record(n: usize) -> Record {
    Record {
        time: format!("2026-12-0{}T00:00:00.000Z", 1 + n % 9),
        repository: "/srv/git/r.git".into(),
        repository_name: None,
        hook: "pre-receive".into(),
        pusher: None,
        push_cert: None,
        refs: vec![RefRecord {
            name: format!("refs/heads/b{n}"),
            old: oid_hex(None),
            new: "1".repeat(40),
        }],
        decision: Decision::Accept,
        reasons: Vec::new(),
        findings: Vec::new(),
        findings_total: 0,
        bypass: None,
        phiguard: "0.0.0".into(),
        rules_hash: "r".into(),
        config_hash: "c".into(),
        signatures: Vec::new(),
        prev: String::new(),
    }
}

fn log_of(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    for i in 0..n {
        append(&path, &record(i)).unwrap();
    }
    (dir, path)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn rewrite(path: &Path, lines: &[String]) {
    std::fs::write(
        path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

#[test]
fn appended_lines_chain_from_genesis_and_append_returns_the_head() {
    let (_d, path) = log_of(3);
    let head = append(&path, &record(3)).unwrap();
    let ls = lines(&path);
    let first: Record = serde_json::from_str(&ls[0]).unwrap();
    assert_eq!(first.prev, GENESIS);
    for w in ls.windows(2) {
        let next: Record = serde_json::from_str(&w[1]).unwrap();
        assert_eq!(next.prev, hash::sha256_hex(w[0].as_bytes()));
    }
    let v = verify(&[path], None).unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!((v.lines, v.head), (4, head));
}

#[test]
fn verify_names_the_first_bad_line_for_each_kind_of_tampering() {
    type Tamper = fn(&mut Vec<String>);
    let cases: [(&str, Tamper, usize, &str); 3] = [
        (
            "edit",
            |l| l[2] = l[2].replace("b2", "bX"),
            4,
            "prev-mismatch",
        ),
        ("delete", |l| drop(l.remove(2)), 3, "prev-mismatch"),
        ("swap", |l| l.swap(2, 3), 3, "reordered"),
    ];
    for (name, tamper, line, code) in cases {
        let (_d, path) = log_of(6);
        let mut ls = lines(&path);
        tamper(&mut ls);
        rewrite(&path, &ls);
        let v = verify(&[path], None).unwrap();
        let p = v.problem.unwrap_or_else(|| panic!("{name}: not detected"));
        assert_eq!((p.line, p.code), (line, code), "{name}: {}", p.message);
        assert!(!v.ok);
    }
}

#[test]
fn a_cut_tail_is_found_only_against_the_anchored_head() {
    let (_d, path) = log_of(5);
    let head = verify(std::slice::from_ref(&path), None).unwrap().head;
    let ls = lines(&path);
    rewrite(&path, &ls[..3]);
    assert!(verify(std::slice::from_ref(&path), None).unwrap().ok);
    let v = verify(std::slice::from_ref(&path), Some(&head)).unwrap();
    assert_eq!(v.problem.unwrap().code, "head-not-found");
    // Appends after the anchor are fine.
    rewrite(&path, &ls);
    append(&path, &record(9)).unwrap();
    let v = verify(&[path], Some(&head)).unwrap();
    assert!(v.ok);
    assert_eq!(v.anchored_at.unwrap().1, 5);
}

#[test]
fn rotation_keeps_one_chain_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let one = serde_json::to_vec(&record(0)).unwrap().len() as u64;
    for i in 0..7 {
        append_rotating(
            &path,
            super::Rotation {
                bytes: Some(2 * one),
                period: None,
            },
            &record(i),
        )
        .unwrap();
    }
    let mut files = log::rotated(&path).unwrap();
    assert_eq!(files.len(), 3, "{files:?}");
    files.push(path.clone());
    let v = verify(&files, None).unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.lines, 7);
    // A missing middle file breaks the chain.
    files.remove(1);
    assert!(!verify(&files, None).unwrap().ok);
}

#[test]
fn rotation_by_day_or_month_starts_a_file_per_period_and_keeps_one_chain() {
    let at = |time: &str| Record {
        time: time.to_owned(),
        ..record(0)
    };
    let times = [
        "2026-11-30T23:59:59.000Z",
        "2026-12-01T00:00:00.000Z",
        "2026-12-01T13:00:00.000Z",
        "2026-12-02T08:00:00.000Z",
        "2027-01-15T08:00:00.000Z",
    ];
    for (period, files_expected) in [(Period::Daily, 4), (Period::Monthly, 3)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let rotation = Rotation {
            bytes: None,
            period: Some(period),
        };
        for t in times {
            append_rotating(&path, rotation, &at(t)).unwrap();
        }
        let mut files = log::rotated(&path).unwrap();
        files.push(path.clone());
        assert_eq!(files.len(), files_expected, "{period:?}: {files:?}");
        // Each file holds one period only, and no period is split over two files.
        let prefix = if period == Period::Daily { 10 } else { 7 };
        let mut seen = std::collections::BTreeSet::new();
        for f in &files {
            let periods: std::collections::BTreeSet<String> = lines(f)
                .iter()
                .map(|l| {
                    let r: Record = serde_json::from_str(l).unwrap();
                    r.time[..prefix].to_owned()
                })
                .collect();
            assert_eq!(periods.len(), 1, "{period:?} {f:?}: {periods:?}");
            assert!(seen.insert(periods.into_iter().next().unwrap()));
        }
        let v = verify(&files, None).unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.lines, times.len());
    }
}

#[test]
fn a_torn_last_line_refuses_the_next_append() {
    let (_d, path) = log_of(2);
    let mut text = std::fs::read(&path).unwrap();
    text.truncate(text.len() - 5);
    std::fs::write(&path, &text).unwrap();
    let err = append(&path, &record(3)).unwrap_err().to_string();
    assert!(
        err.contains("audit.log") && err.contains("incomplete"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), text, "nothing appended");
    assert_eq!(
        verify(&[path], None).unwrap().problem.unwrap().code,
        "incomplete"
    );
}

#[test]
fn an_unwritable_log_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("audit.log");
    let err = append(&path, &record(0)).unwrap_err().to_string();
    assert!(err.contains("missing-dir/audit.log"), "{err}");
}

#[test]
fn records_filters_by_time_as_text() {
    let (_d, path) = log_of(4);
    let got = verify::records(&[path], Some("2026-12-03")).unwrap();
    let times: Vec<_> = got.iter().map(|(r, _)| r.time.as_str()).collect();
    assert_eq!(
        times,
        ["2026-12-03T00:00:00.000Z", "2026-12-04T00:00:00.000Z"]
    );
}

#[test]
fn push_cert_is_read_only_when_git_passed_one() {
    let vars = [
        ("GIT_PUSH_CERT", "abc123"),
        ("GIT_PUSH_CERT_SIGNER", "Alice <alice@example.com>"),
        ("GIT_PUSH_CERT_KEY", "0xDEADBEEF"),
        ("GIT_PUSH_CERT_STATUS", "G"),
        ("GIT_PUSH_CERT_NONCE_STATUS", "OK"),
    ];
    let env = |k: &str| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    };
    let cert = PushCert::from_env(env).unwrap();
    assert_eq!(cert.signer.as_deref(), Some("Alice <alice@example.com>"));
    assert_eq!(
        (cert.status.as_deref(), cert.nonce_status.as_deref()),
        (Some("G"), Some("OK"))
    );
    assert!(PushCert::from_env(|_| None).is_none());
}

#[test]
fn repository_name_comes_from_the_platform() {
    let name = |vars: &'static [(&str, &str)]| {
        repository_name(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
    };
    assert_eq!(
        name(&[("GL_PROJECT_PATH", "grp/app")]).as_deref(),
        Some("grp/app")
    );
    assert_eq!(
        name(&[("GITHUB_REPO_NAME", "org/app")]).as_deref(),
        Some("org/app")
    );
    let gitea = &[("GITEA_REPO_USER_NAME", "org"), ("GITEA_REPO_NAME", "app")];
    assert_eq!(name(gitea).as_deref(), Some("org/app"));
    assert_eq!(name(&[("GITEA_REPO_NAME", "app")]), None);
}
