//! 50 concurrent pushes to one bare repository with the pre-receive hook installed (issue 25):
//! every push decided on its own content, no output of one push in another's, and one audit
//! line per push in one unbroken chain. Bounded: each push is given up (and fails the test)
//! after two minutes.

use crate::common::{SSN, Server, bin, run_within};
use std::process::Command;

const PUSHES: usize = 50;

#[test]
fn fifty_concurrent_pushes_are_each_decided_on_their_own_content() {
    let s = Server::new("pre-receive");
    let log = s.bare.path().join("audit.log");
    // A budget no loaded machine reaches: the decisions, not the clock, are under test.
    s.config("[server]\nbudget_ms = 120000\naudit_log = \"audit.log\"\n");
    let base = s.work.git(&["rev-parse", "HEAD"]).trim().to_owned();
    for i in 0..PUSHES {
        s.work
            .git(&["checkout", "-q", "-b", &format!("b{i}"), &base]);
        let file = format!("file{i}.txt");
        let content = if i % 2 == 0 {
            format!("fine content number {i}\n")
        } else {
            format!("patient ssn: {SSN}\n")
        };
        s.work.add(&file, content);
        s.work.commit(&format!("c{i}"));
    }
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..PUSHES)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let mut cmd = Command::new("git");
                    cmd.args(["push", "origin", &format!("b{i}")])
                        .current_dir(s.work.path());
                    s.work.env(&mut cmd);
                    run_within(cmd, None, 120).unwrap_or_else(|| panic!("push {i} hung"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, run) in runs.iter().enumerate() {
        let text = run.all();
        crate::common::assert_no_value(text.as_bytes(), &[SSN]);
        let has = s.server_has(&format!("refs/heads/b{i}")).is_some();
        if i % 2 == 0 {
            assert_eq!(run.code, 0, "clean push {i}: {text}");
            assert!(has, "clean push {i} landed");
        } else {
            assert_ne!(run.code, 0, "push {i} with a value: {text}");
            assert!(!has, "push {i} with a value was refused");
            assert!(
                text.contains(&format!("file{i}.txt")),
                "names its file: {text}"
            );
        }
        // Nothing of another push in this one's output.
        for j in (0..PUSHES).filter(|&j| j != i) {
            assert!(
                !text.contains(&format!("file{j}.txt")) && !text.contains(&format!("b{j} ")),
                "push {i} shows push {j}: {text}"
            );
        }
    }
    let lines = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(lines, PUSHES, "one audit line per push");
    let mut cmd = Command::new(bin());
    cmd.args(["audit", "verify", log.to_str().unwrap()]);
    s.bare.env(&mut cmd);
    let verify = run_within(cmd, None, 120).unwrap();
    assert_eq!(verify.code, 0, "one unbroken chain: {}", verify.all());
}
