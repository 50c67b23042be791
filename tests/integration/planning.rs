//! The staged plan read from the index's cache tree must equal libgit2's tree-to-index diff,
//! and must hand over to libgit2 whenever it cannot be sure (renames); for the index layouts
//! libgit2 refuses (split, sparse), both must equal libgit2's plan of the same index written
//! whole.

use crate::common::TempRepo;
use phiguard::source::staged::{plan_by_cache_tree, plan_by_libgit2};

fn base() -> TempRepo {
    let repo = TempRepo::new();
    for (path, text) in [
        ("README.md", "readme\n"),
        ("src/a.rs", "fn a() {}\n"),
        ("src/deep/b.rs", "fn b() {}\n"),
        ("src/deep/er/c.rs", "fn c() {}\n"),
        ("docs/guide.md", "guide\n"),
        ("docs-old/x.txt", "x\n"),
        ("tool.sh", "echo hi\n"),
        ("link-me.txt", "target\n"),
    ] {
        repo.add(path, text);
    }
    repo.commit("base");
    repo
}

/// Both planners' jobs and skip counts, as text. Only the cache-tree plan reads the index's
/// stat data (a hint for the reader, not part of what is scanned), so it is left out.
fn plans(repo: &TempRepo) -> (Option<String>, String) {
    let git = git2::Repository::open(repo.path()).unwrap();
    let empty = globset::GlobSet::empty();
    let none = phiguard::source::PathRules::excluding(&empty);
    let fast = plan_by_cache_tree(&git, &none)
        .unwrap()
        .map(|(mut jobs, n)| {
            for job in &mut jobs {
                if let phiguard::source::Job::Blob { stat, .. } = job {
                    *stat = None;
                }
            }
            format!("{:?}", (jobs, n))
        });
    let slow = format!("{:?}", plan_by_libgit2(&git, &none).unwrap());
    (fast, slow)
}

fn assert_same(repo: &TempRepo, what: &str) {
    let (fast, slow) = plans(repo);
    assert_eq!(fast.as_deref(), Some(slow.as_str()), "{what}");
}

#[test]
fn cache_tree_plan_equals_libgit2_for_ordinary_changes() {
    let repo = base();
    assert_same(&repo, "nothing staged");
    repo.add("src/deep/er/c.rs", "fn c() { changed() }\n");
    repo.add("src/new/mod.rs", "new dir\n");
    repo.add("docs/extra.md", "new file in an old dir\n");
    repo.add("Cargo.lock", "skipped by name\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let tool = repo.path().join("tool.sh");
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::remove_file(repo.path().join("link-me.txt")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("README.md", repo.path().join("link-me.txt")).unwrap();
    repo.git(&["add", "-A"]);
    assert_same(&repo, "edits, new files, chmod, typechange");
    let (fast, _) = plans(&repo);
    let fast = fast.unwrap();
    let mut expected = vec!["src/deep/er/c.rs", "src/new/mod.rs", "docs/extra.md"];
    if cfg!(unix) {
        expected.push("tool.sh"); // a mode change is a change (with nothing added)
    }
    for path in expected {
        assert!(fast.contains(path), "{path} planned: {fast}");
    }
    repo.git(&["update-index", "--index-version", "4"]);
    assert_same(&repo, "index v4 (prefix-compressed paths)");
    repo.write("intent.txt", "intent to add\n");
    repo.git(&["add", "-N", "intent.txt"]);
    assert_same(&repo, "intent-to-add entry");
}

#[test]
fn unborn_head_plans_every_file() {
    let repo = TempRepo::new();
    repo.add("a.txt", "a\n").add("d/b.txt", "b\n");
    assert_same(&repo, "unborn HEAD");
}

#[test]
fn renames_go_to_libgit2() {
    let repo = base();
    repo.git(&["mv", "src/a.rs", "src/renamed.rs"]);
    let (fast, slow) = plans(&repo);
    assert_eq!(fast, None, "a rename needs similarity detection");
    // libgit2 pairs the new path with its old blob, so the move adds no line.
    let id = repo.git(&["rev-parse", "HEAD:src/a.rs"]);
    assert!(
        slow.contains("src/renamed.rs") && slow.contains(&format!("old: [{}]", id.trim())),
        "{slow}"
    );
    repo.git(&["mv", "src/renamed.rs", "src/a.rs"]);
    repo.add("src/a.rs", "fn a() { 1 }\n");
    assert_same(&repo, "back to an edit");
}

/// A split index (libgit2 refuses it) is read with its shared index: both plans equal the
/// plan libgit2 makes from the same index written whole, renames included.
#[test]
fn a_split_index_plans_as_the_whole_index_does() {
    for version in ["2", "4"] {
        split_index_plans_as_the_whole_index_does(version);
    }
}

/// [`a_split_index_plans_as_the_whole_index_does`] at one index version (4 compresses each
/// path against the previous one, also when that one is a replacement without a path).
fn split_index_plans_as_the_whole_index_does(version: &str) {
    let repo = base();
    repo.git(&["update-index", "--index-version", version]);
    // libgit2 itself says whether the index is split: it refuses the `link` extension.
    let split_now = || match git2::Repository::open(repo.path()).unwrap().index() {
        Ok(_) => false,
        Err(e) => e.message().contains("link") || panic!("{e}"),
    };
    repo.git(&["update-index", "--split-index"]);
    repo.add("src/a.rs", "fn a() { 1 }\n");
    repo.add("docs/new.md", "new\n");
    assert!(split_now());
    let split = plans(&repo);
    repo.git(&["mv", "src/deep/b.rs", "src/deep/moved.rs"]);
    assert!(split_now());
    let (renamed_fast, renamed) = plans(&repo);
    assert_eq!(renamed_fast, None, "a rename needs similarity detection");
    repo.git(&["update-index", "--no-split-index"]);
    assert!(!split_now());
    assert_eq!(renamed, plans(&repo).1, "renames found in a split index");
    repo.git(&["mv", "src/deep/moved.rs", "src/deep/b.rs"]);
    let (_, whole) = plans(&repo);
    assert_eq!(
        split.0.as_deref(),
        Some(whole.as_str()),
        "the cache-tree plan"
    );
    assert_eq!(split.1, whole, "libgit2 given the merged entries");
}

/// A sparse index's directory entries (libgit2 refuses them) stand for their trees: both
/// plans equal libgit2's on the same index expanded, also when a directory entry's tree is
/// not `HEAD`'s.
#[test]
fn a_sparse_index_plans_as_the_expanded_index_does() {
    let repo = base();
    repo.add("docs/guide.md", "guide, edited\n");
    repo.commit("edit outside the cone");
    repo.git(&["sparse-checkout", "init", "--cone", "--sparse-index"]);
    repo.git(&["sparse-checkout", "set", "src"]);
    assert!(
        repo.git(&["ls-files", "--sparse"])
            .lines()
            .any(|l| l == "docs/")
    );
    repo.git(&["reset", "-q", "--soft", "HEAD~"]);
    repo.add("src/a.rs", "fn a() { 1 }\n");
    let sparse = plans(&repo);
    assert!(sparse.1.contains("docs/guide.md"), "{}", sparse.1);
    repo.git(&["mv", "src/deep/b.rs", "src/deep/moved.rs"]);
    let (renamed_fast, renamed) = plans(&repo);
    repo.git(&["sparse-checkout", "init", "--cone", "--no-sparse-index"]);
    assert!(
        !repo
            .git(&["ls-files", "--sparse"])
            .lines()
            .any(|l| l == "docs/")
    );
    assert_eq!(renamed_fast, None, "a rename needs similarity detection");
    assert_eq!(renamed, plans(&repo).1, "renames found in a sparse index");
    repo.git(&["mv", "src/deep/moved.rs", "src/deep/b.rs"]);
    let (_, whole) = plans(&repo);
    assert_eq!(
        sparse.0.as_deref(),
        Some(whole.as_str()),
        "the cache-tree plan"
    );
    assert_eq!(sparse.1, whole, "libgit2 given the expanded entries");
}

#[test]
fn a_file_replacing_a_directory_goes_to_libgit2() {
    let repo = base();
    repo.git(&["rm", "-q", "-r", "docs-old"]);
    repo.add("docs-old", "now a file\n");
    let (fast, _) = plans(&repo);
    assert_eq!(fast, None, "deleted directory plus added file");
}

/// `scan --staged` starts scanning while it plans. When the plan turns out to need libgit2
/// (files added *and* deleted: a rename) after workers have already scanned jobs (16 or
/// more start them), those results are dropped and the change is scanned again from
/// libgit2's plan: the renamed file, whose lines all come from its old path, reports nothing.
#[test]
fn a_rename_found_mid_plan_rescans_from_libgit2() {
    let repo = base();
    let mut moved: String = (0..30).map(|i| format!("moved line {i}\n")).collect();
    moved.push_str(&format!("ssn {}\n", crate::common::SSN));
    repo.add("zz-old/moved.txt", moved);
    repo.commit("moved file");
    for i in 0..40 {
        repo.add(
            &format!("a{i:02}.txt"),
            format!("file {i}\nssn {}\n", crate::common::SSN),
        );
    }
    repo.git(&["mv", "zz-old", "zz-new"]);
    let git = git2::Repository::open(repo.path()).unwrap();
    assert!(
        plan_by_cache_tree(
            &git,
            &phiguard::source::PathRules::excluding(&globset::GlobSet::empty()),
        )
        .unwrap()
        .is_none(),
        "the cache-tree plan gives up on the rename"
    );
    let run = repo.phiguard(&["scan", "--staged", "--no-config", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 40, "{paths:?}");
    assert!(paths.iter().all(|p| p.starts_with('a')), "{paths:?}");
}

/// Each job's path and the old versions it is compared with, sorted; jobs that add nothing
/// left out.
fn olds(jobs: Vec<phiguard::source::Job>) -> Vec<(String, Vec<git2::Oid>)> {
    let mut out: Vec<(String, Vec<git2::Oid>)> = jobs
        .into_iter()
        .filter_map(|job| match job {
            // A job whose old versions hold its blob adds nothing (history leaves it out).
            phiguard::source::Job::Blob {
                path, mut old, new, ..
            } if !old.contains(&new) => {
                old.sort();
                Some((path.to_string(), old))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// History pairs a commit's moves as pre-commit paired them when the commit was made
/// (libgit2's similarity detection is the oracle for its exact-blob fast path): exact moves,
/// moves with an edit, moves to a new base name, a move out of a test path (no old version),
/// a new file that merely shares a deleted file's base name (none either).
#[test]
fn history_pairs_moves_as_pre_commit_does() {
    let repo = base();
    let body: String = (0..30)
        .map(|i| format!("line {i} of the guide\n"))
        .collect();
    repo.add("docs/guide.md", &body);
    repo.add("tests/fixtures/p.csv", "name,id\nx,1\n");
    repo.add("notes/todo.txt", "one\ntwo\nthree\n");
    repo.commit("more");
    let mv = |old: &str, new: &str| {
        std::fs::create_dir_all(repo.path().join(new).parent().unwrap()).unwrap();
        repo.git(&["mv", old, new]);
    };
    mv("src/deep/b.rs", "lib/b.rs");
    mv("docs/guide.md", "manual/handbook.md");
    repo.add("manual/handbook.md", format!("{body}one more line\n"));
    mv("tests/fixtures/p.csv", "data/p.csv");
    repo.git(&["rm", "-q", "notes/todo.txt"]);
    repo.add("other/todo.txt", "entirely\ndifferent\ncontent\nhere\n");
    let git = git2::Repository::open(repo.path()).unwrap();
    let config = phiguard::config::Config::resolve(Vec::new()).unwrap();
    let paths = config.path_rules();
    let (staged, _) = plan_by_libgit2(&git, &paths).unwrap();
    let staged = olds(staged);
    let head = repo.commit("moves");
    let commit = (git2::Oid::from_str(&head).unwrap(), None);
    let history = olds(phiguard::source::history::plan(&git, &[commit], &paths).unwrap());
    assert_eq!(history, staged);
    let old_of = |p: &str| staged.iter().find(|(q, _)| q == p).map(|(_, o)| o.len());
    // lib/b.rs is an exact move: no job at all.
    assert_eq!(old_of("lib/b.rs"), None);
    assert_eq!(old_of("manual/handbook.md"), Some(1));
    assert_eq!(old_of("data/p.csv"), Some(0));
    assert_eq!(old_of("other/todo.txt"), Some(0));
}

/// Past git's rename limit (2,000² candidate pairs) only identical moves are paired, in
/// pre-commit and history alike: a move of 2,100 files is still a move, and a moved file
/// that also changed is new in both.
#[test]
fn past_the_rename_limit_both_pair_identical_moves_only() {
    let repo = TempRepo::new();
    let many = 2100;
    for i in 0..many {
        repo.write(&format!("old/f{i}.txt"), format!("file {i}\nsecond line\n"));
    }
    repo.write("old/edited.txt", "one\ntwo\nthree\nfour\n");
    repo.git(&["add", "old"]);
    repo.commit("many");
    repo.git(&["mv", "old", "new"]);
    repo.add("new/edited.txt", "one\ntwo\nthree\nfour\nfive\n");
    let git = git2::Repository::open(repo.path()).unwrap();
    let config = phiguard::config::Config::resolve(Vec::new()).unwrap();
    let paths = config.path_rules();
    let staged = olds(plan_by_libgit2(&git, &paths).unwrap().0);
    let head = repo.commit("moved");
    let commit = (git2::Oid::from_str(&head).unwrap(), None);
    let history = olds(phiguard::source::history::plan(&git, &[commit], &paths).unwrap());
    assert_eq!(history, staged);
    assert_eq!(staged, vec![("new/edited.txt".to_owned(), vec![])]);
}

/// Jobs a plan hands over, dropped: [`watched_id`] wants only what the plan noted.
struct Discard;

impl phiguard::source::Sink for Discard {
    fn take(&self, _: phiguard::source::Job) {}

    fn stopped(&self) -> bool {
        false
    }
}

/// What the streamed staged plan notes of `path` in the index as it reads the index.
fn watched_id(repo: &TempRepo, path: &str) -> Option<Option<git2::Oid>> {
    use phiguard::source::Source;
    use phiguard::source::staged::{StagedChange, Watch};
    let git = git2::Repository::open(repo.path()).unwrap();
    let empty = globset::GlobSet::empty();
    let mut staged = StagedChange {
        repo: &git,
        paths: phiguard::source::PathRules::excluding(&empty),
        watch: Some(Watch { path, id: None }),
    };
    staged.feed(&Discard).unwrap();
    staged.watch.and_then(|w| w.id)
}

/// The pre-commit hook takes `.phiguard.toml`'s id in the index from the staged plan, which
/// reads the index anyway, rather than reading and parsing it a second time (a 3.35 MB index:
/// 5 ms before the first job). The id noted is the one `index_id` reads: staged with a
/// change, unchanged, absent, and staged for deletion.
#[test]
fn the_staged_plan_notes_the_index_id_of_a_watched_path() {
    let repo = base();
    repo.add(".phiguard.toml", "[scan]\nmax_file_bytes = 1000\n");
    repo.commit("config");
    let index_id = |path: &str| {
        let git = git2::Repository::open(repo.path()).unwrap();
        phiguard::source::staged::index_id(&git, path).unwrap()
    };
    type Change<'a> = &'a dyn Fn(&TempRepo);
    let cases: [(&str, Change<'_>); 4] = [
        ("staged with a change", &|r| {
            r.add(".phiguard.toml", "[scan]\nmax_file_bytes = 2000\n");
            r.add("src/a.rs", "fn a() { 1 }\n");
        }),
        ("unchanged", &|r| {
            r.add("src/deep/b.rs", "fn b() { 2 }\n");
        }),
        ("staged for deletion", &|r| {
            r.git(&["rm", "-q", "--cached", ".phiguard.toml"]);
        }),
        ("absent, with only the work tree's", &|r| {
            r.git(&["commit", "-q", "-m", "gone"]);
            r.write(".phiguard.toml", "[scan]\nmax_file_bytes = 3000\n");
            r.add("docs/guide.md", "guide 2\n");
        }),
    ];
    for (what, change) in cases {
        change(&repo);
        let want = index_id(".phiguard.toml");
        assert_eq!(watched_id(&repo, ".phiguard.toml"), Some(want), "{what}");
        assert_eq!(
            watched_id(&repo, "src/a.rs"),
            Some(index_id("src/a.rs")),
            "{what}"
        );
    }
    assert_eq!(
        index_id(".phiguard.toml"),
        None,
        "the last case has none in the index"
    );
}
