use super::*;

/// A repository whose commits each write `files` (path → text), oldest first, each the
/// child of the one before.
fn linear(dir: &std::path::Path, commits: &[Vec<(&str, String)>]) -> (Repository, Vec<Oid>) {
    let repo = Repository::init(dir).unwrap();
    let sig = git2::Signature::new("t", "t@example.invalid", &git2::Time::new(1, 0)).unwrap();
    let mut ids = Vec::new();
    for files in commits {
        let mut index = git2::Index::new().unwrap();
        for (path, text) in files {
            let blob = repo.blob(text.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
        let parents: Vec<git2::Commit<'_>> = ids
            .last()
            .map(|p| repo.find_commit(*p).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = repo
            .commit(None, &sig, &sig, "change", &tree, &parents)
            .unwrap();
        ids.push(id);
    }
    (repo, ids)
}

/// Planning a history reads each tree once while it stays in the cache: the trees a commit
/// writes are its child's parent trees. Twelve commits each change one file four
/// directories deep: four trees written per commit, 48 reads; reading each commit's parent
/// trees again made it 92.
#[test]
fn planning_reads_the_trees_a_commit_shares_with_the_one_before_once() {
    let dir = tempfile::tempdir().unwrap();
    let commits: Vec<Vec<(&str, String)>> = (0..12)
        .map(|i| {
            vec![
                ("a/b/c/notes.txt", format!("note {i}\n")),
                ("a/b/keep.txt", "kept\n".to_owned()),
            ]
        })
        .collect();
    let (repo, ids) = linear(dir.path(), &commits);
    let empty = globset::GlobSet::empty();
    let mut planner = Planner::new(&repo, super::super::PathRules::excluding(&empty));
    let mut jobs = Vec::new();
    for id in &ids {
        planner.commit(*id, None, &mut jobs).unwrap();
    }
    let blobs = jobs.iter().filter(|j| matches!(j, Job::Blob { .. }));
    assert_eq!(
        blobs.count(),
        13,
        "both files of the first commit, then one each"
    );
    assert_eq!(
        planner.trees.reads, 48,
        "four trees written by each commit, read once"
    );
}

/// The planner notes the commits whose configuration file is their first parent's, and only
/// those: the weakening check reads every other one.
#[test]
fn the_commits_that_keep_the_watched_file_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let config = |v: &str| (".phiguard.toml", format!("# {v}\n"));
    let other = |v: &str| ("src/app.txt", format!("{v}\n"));
    let (repo, ids) = linear(
        dir.path(),
        &[
            vec![config("a"), other("a")],
            vec![config("a"), other("b")],
            vec![config("b"), other("b")],
            vec![other("c")],
            vec![other("d")],
        ],
    );
    let empty = globset::GlobSet::empty();
    let mut planner =
        Planner::new(&repo, super::super::PathRules::excluding(&empty)).watching(".phiguard.toml");
    let mut jobs = Vec::new();
    for id in &ids {
        planner.commit(*id, None, &mut jobs).unwrap();
    }
    let unchanged: Vec<bool> = ids.iter().map(|id| planner.unchanged(*id)).collect();
    assert_eq!(
        unchanged,
        [false, true, false, false, true],
        "added, kept, changed, deleted, still absent"
    );
}
