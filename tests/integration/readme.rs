//! The README's sample output is what the binary prints (issue 24 §5): each fenced block after
//! a `<!-- sample: NAME -->` comment is a command (`$ ...`) and its output, and the scenario of
//! the same name here runs it for real and must print exactly that (timings aside). Change
//! the output, and this test says which README block to paste it into.

use crate::common::{SSN, Server, TempRepo};

/// The README's block after `<!-- sample: NAME -->`: its first line (the command) and the rest.
fn sample(name: &str) -> (String, String) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let marker = format!("<!-- sample: {name} -->");
    let at = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no {marker}"));
    let rest = &readme[at + marker.len()..];
    let open = rest.find("```\n").expect("a fenced block after the marker") + 4;
    let body = &rest[open..];
    let body = &body[..body.find("```").expect("the block ends")];
    let (command, output) = body.split_once('\n').unwrap();
    (command.to_owned(), output.to_owned())
}

/// What differs from run to run made the same: durations (`N ms`) and commit ids.
fn untimed(text: &str) -> String {
    let ms = regex::Regex::new(r"\b[0-9]+ ms\b").unwrap();
    let id = regex::Regex::new(r"\b[0-9a-f]{12}\b").unwrap();
    let text = ms.replace_all(text, "N ms");
    id.replace_all(&text, "<commit>").into_owned()
}

fn assert_sample(name: &str, command: &str, actual: &str) {
    let (shown, want) = sample(name);
    assert_eq!(
        shown,
        format!("$ {command}"),
        "README sample {name}: the command"
    );
    assert_eq!(
        untimed(&want),
        untimed(actual),
        "README sample {name} drifted; the binary prints:\n{actual}"
    );
}

#[test]
fn readme_sample_of_a_blocked_commit_is_what_the_hooks_print() {
    let repo = TempRepo::new();
    repo.add("README.md", "intake tooling\n");
    repo.commit("init");
    repo.install_hooks();
    repo.add(
        "notes/intake.txt",
        format!("Intake 2024-03-02\nreferred by: clinic\npatient ssn: {SSN}\n"),
    );
    let command = "git commit -m \"add intake notes\"";
    let out = repo.git_output(&["commit", "-m", "add intake notes"]);
    assert!(!out.status.success());
    let actual =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_sample("blocked-commit", command, &actual);
}

#[test]
fn readme_sample_of_a_rejected_push_is_what_the_server_prints() {
    let s = Server::new("pre-receive");
    s.work
        .add("notes/intake.txt", format!("patient ssn: {SSN}\n"));
    s.work.commit("add intake notes");
    let (ok, text) = s.push(&["main"]);
    assert!(!ok, "{text}");
    // Git's own lines around the hook's name the temporary server: only the hook's lines and
    // the refusal are compared.
    let actual: String = text
        .lines()
        .filter(|l| l.starts_with("remote: ") || l.starts_with(" ! [remote rejected]"))
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    assert_sample("rejected-push", "git push origin main", &actual);
}
