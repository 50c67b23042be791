use super::*;
use git2::ObjectType;

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

/// The planner reads trees and commits from the packs itself; its plan of a packed history
/// is the plan libgit2's reads give, job for job: edits in nested directories, a file moved
/// unchanged, one moved and edited (libgit2's similarity), a deleted directory whose files
/// moved, a merge that resolves a conflict with a line of its own, an executable file, a
/// symbolic link, a submodule entry, and messages with leading empty lines.
/// A repacked history: edits in nested directories, a file moved unchanged, one moved and
/// edited, a moved directory, a merge resolving a conflict with a line of its own, an
/// executable file, a symbolic link, a submodule entry, messages with leading empty lines.
#[cfg(unix)]
fn packed_history() -> tempfile::TempDir {
    use crate::source::pack::tests::git;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let write = |path: &str, text: &str| {
        let p = d.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let lines =
        |tag: &str, n: usize| -> String { (0..n).map(|i| format!("{tag} line {i}\n")).collect() };
    for i in 0..12 {
        write(
            &format!("src/a/b/f{}.txt", i % 3),
            &lines(&format!("v{i}"), 40),
        );
        write("src/a/keep.txt", &lines("keep", 30));
        write(&format!("docs/n{i}.md"), &format!("note {i}\n"));
        git(d, &["add", "-A"]);
        git(
            d,
            &["commit", "-q", "-m", &format!("\n\nchange {i}\n\nbody {i}")],
        );
    }
    git(d, &["mv", "src/a/keep.txt", "src/kept.txt"]);
    git(d, &["commit", "-q", "-m", "move unchanged"]);
    git(d, &["mv", "src/a/b/f0.txt", "src/f0.txt"]);
    write("src/f0.txt", &(lines("v9", 39) + "an edit\n"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "move and edit"]);
    git(d, &["mv", "docs", "notes"]);
    git(d, &["commit", "-q", "-m", "move a directory"]);
    write("run.sh", "#!/bin/sh\necho run\n");
    git(d, &["add", "run.sh"]);
    git(d, &["update-index", "--chmod=+x", "run.sh"]);
    std::os::unix::fs::symlink("run.sh", d.join("link")).unwrap();
    let head = git(d, &["rev-parse", "HEAD"]);
    git(
        d,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{},sub", head.trim()),
        ],
    );
    git(d, &["add", "link"]);
    git(d, &["commit", "-q", "-m", "modes"]);
    git(d, &["checkout", "-q", "-b", "side"]);
    write("src/kept.txt", "side\n");
    git(d, &["commit", "-q", "-am", "side"]);
    git(d, &["checkout", "-q", "main"]);
    write("src/kept.txt", "main\n");
    git(d, &["commit", "-q", "-am", "main"]);
    let _ = std::process::Command::new("git")
        .args(["merge", "-q", "side"])
        .current_dir(d)
        .output();
    write("src/kept.txt", "main\nside\nresolved\n");
    git(d, &["commit", "-q", "-am", "merge"]);
    git(
        d,
        &[
            "repack",
            "-q",
            "-a",
            "-d",
            "-f",
            "--depth=50",
            "--window=50",
        ],
    );
    git(d, &["prune-packed"]);

    dir
}

#[cfg(unix)]
#[test]
fn planning_from_the_packs_gives_the_plan_libgit2_gives() {
    let dir = packed_history();
    let d = dir.path();
    let repo = Repository::open(d).unwrap();
    let ids = walk(&repo, &[repo.head().unwrap().target().unwrap()], &[]).unwrap();
    let empty = globset::GlobSet::empty();
    let paths = super::super::PathRules::excluding(&empty);
    let mut ours = Planner::new(&repo, paths);
    ours.read_packs(ids.len());
    let mut theirs = Planner::new(&repo, paths);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for id in &ids {
        ours.commit(*id, None, &mut a).unwrap();
        theirs.commit(*id, None, &mut b).unwrap();
    }
    let inflated = ours.trees.packs.as_ref().map(pack::PackReader::inflated);
    assert!(
        inflated.is_some_and(|n| n > 0),
        "read from the packs: {inflated:?}"
    );
    assert!(theirs.trees.packs.is_none());
    assert_eq!(format!("{a:#?}"), format!("{b:#?}"));
    let blobs = a.iter().filter(|j| matches!(j, Job::Blob { .. })).count();
    assert!(blobs > 30, "{blobs} blob jobs");
    // The directory moved whole adds nothing: its deleted files are paired with the new.
    let moved = a
        .iter()
        .filter(|j| matches!(j, Job::Blob { path, .. } if path.starts_with("notes/")))
        .count();
    assert_eq!(moved, 0, "{a:#?}");
}

/// A commit object read by the planner gives what libgit2 gives: its tree, parents and
/// message (the bytes after the first empty line, leading newlines dropped, up to a NUL);
/// one whose header the planner does not recognise is left to libgit2.
#[test]
fn commit_objects_read_as_libgit2_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let odb = repo.odb().unwrap();
    let tree = repo.treebuilder(None).unwrap().write().unwrap();
    let sig = "A U Thor <a@example.com> 1700000000 +0100";
    let parent = odb
        .write(
            ObjectType::Commit,
            format!("tree {tree}\nauthor {sig}\ncommitter {sig}\n\nroot\n").as_bytes(),
        )
        .unwrap();
    let bodies = [
        format!("tree {tree}\nparent {parent}\nauthor {sig}\ncommitter {sig}\n\nsubject\n\nbody\n"),
        format!(
            "tree {tree}\nparent {parent}\nparent {parent}\nauthor {sig}\ncommitter {sig}\n\n\n\nafter blank lines\n"
        ),
        format!(
            "tree {tree}\nauthor {sig}\ncommitter {sig}\nencoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned\n"
        ),
        format!("tree {tree}\nauthor {sig}\ncommitter {sig}\n\nbefore\0after\n"),
        format!("tree {tree}\nauthor {sig}\ncommitter {sig}\n\n"),
        format!("tree {tree}\nauthor {sig}\ncommitter {sig}\n\n\u{e9}t\u{e9}\n"),
    ];
    for body in &bodies {
        let id = odb.write(ObjectType::Commit, body.as_bytes()).unwrap();
        let ours = CommitInfo::parse(body.as_bytes()).expect(body);
        let theirs = CommitInfo::of(&repo.find_commit(id).unwrap());
        assert_eq!(ours.tree, theirs.tree, "{body:?}");
        assert_eq!(ours.parents, theirs.parents, "{body:?}");
        assert_eq!(ours.message, theirs.message, "{body:?}");
    }
    for odd in [
        format!("tree {tree}\ncommitter {sig}\n\nno author\n"),
        format!("tree {tree}\nauthor {sig}\ncommitter {sig}\nno end of header"),
        format!("parent {parent}\ntree {tree}\nauthor {sig}\ncommitter {sig}\n\nx\n"),
    ] {
        assert!(CommitInfo::parse(odd.as_bytes()).is_none(), "{odd:?}");
    }
}

/// A tree object read by the planner gives libgit2's entries: names, modes, kinds and ids
/// in their stored order; a tree with a mode git no longer writes (`100664`) is left to
/// libgit2, which normalises it.
#[test]
fn tree_objects_read_as_libgit2_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let odb = repo.odb().unwrap();
    let blob = repo.blob(b"x\n").unwrap();
    let sub = repo.treebuilder(None).unwrap().write().unwrap();
    let entry = |mode: &str, name: &str, id: Oid| {
        let mut e = format!("{mode} {name}\0").into_bytes();
        e.extend_from_slice(id.as_bytes());
        e
    };
    let normal: Vec<u8> = [
        entry("100755", "a.sh", blob),
        entry("100644", "b.txt", blob),
        entry("40000", "c", sub),
        entry("160000", "d", blob),
        entry("120000", "e", blob),
    ]
    .concat();
    let id = odb.write(ObjectType::Tree, &normal).unwrap();
    let ours = Tree::parse(&normal).unwrap();
    let theirs = Tree::of(&repo.find_tree(id).unwrap()).unwrap();
    let view = |t: &Tree| -> Vec<(Vec<u8>, u32, ObjectType, Oid)> {
        (0..t.len())
            .map(|i| {
                (
                    t.name(i).to_vec(),
                    t.entry(i).mode,
                    t.entry(i).kind,
                    t.entry(i).oid(),
                )
            })
            .collect()
    };
    assert_eq!(view(&ours), view(&theirs));
    assert_eq!(ours.get(b"c").map(|e| e.kind), Some(ObjectType::Tree));
    // git's order: a subtree's name as if it ended in `/` ("a-b" < "a.c" < "a/" < "a0").
    let sorted: Vec<u8> = [
        entry("100644", "a-b", blob),
        entry("100644", "a.c", blob),
        entry("40000", "a", sub),
        entry("100644", "a0", blob),
        entry("160000", "b", blob),
        entry("40000", "b-", sub),
    ]
    .concat();
    let id = odb.write(ObjectType::Tree, &sorted).unwrap();
    let (ours, theirs) = (Tree::parse(&sorted).unwrap(), repo.find_tree(id).unwrap());
    for name in [
        "a-b", "a.c", "a", "a0", "b", "b-", "a/", "", "0", "a.", "c", "b-/",
    ] {
        let found = ours.get(name.as_bytes()).map(|e| (e.oid(), e.kind));
        let expected = theirs.get_name(name).map(|e| (e.id(), e.kind().unwrap()));
        assert_eq!(found, expected, "{name:?}");
    }
    let old = entry("100664", "old.txt", blob);
    assert!(Tree::parse(&old).is_none());
    let id = odb.write(ObjectType::Tree, &old).unwrap();
    let theirs = Tree::of(&repo.find_tree(id).unwrap()).unwrap();
    assert_eq!(theirs.entry(0).mode, 0o100_644);
}

/// The Rss of this process' maps of the pack indexes under `dir` (Linux: `/proc/self/smaps`).
#[cfg(target_os = "linux")]
fn index_rss_kib(dir: &std::path::Path) -> u64 {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut ours = false;
    let mut kib = 0;
    for line in smaps.lines() {
        if let Some(rss) = line.strip_prefix("Rss:") {
            if ours {
                kib += rss.trim().trim_end_matches(" kB").parse::<u64>().unwrap();
            }
        } else if line
            .split_whitespace()
            .next()
            .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
        {
            ours = line.ends_with(".idx") && line.contains(dir.to_str().unwrap());
        }
    }
    kib
}

/// After the walk the pages of the pack indexes libgit2 mapped are handed back, and planning
/// the history, rename detection included (in a repository of its own, in memory), leaves
/// them so: nothing looks objects up in the indexes' maps again.
#[cfg(target_os = "linux")]
#[test]
fn planning_leaves_the_pack_indexes_released() {
    let dir = packed_history();
    let d = std::fs::canonicalize(dir.path()).unwrap();
    let repo = Repository::open(&d).unwrap();
    let ids = walk(&repo, &[repo.head().unwrap().target().unwrap()], &[]).unwrap();
    assert!(index_rss_kib(&d) > 0, "the walk read the index");
    pack::release_index_pages(&pack::stores(&repo));
    assert_eq!(index_rss_kib(&d), 0);
    let empty = globset::GlobSet::empty();
    let mut planner = Planner::new(&repo, super::super::PathRules::excluding(&empty));
    planner.read_packs(ids.len());
    let mut jobs = Vec::new();
    for id in &ids {
        planner.commit(*id, None, &mut jobs).unwrap();
    }
    let moved = jobs.iter().any(
        |j| matches!(j, Job::Blob { path, old, .. } if &**path == "src/f0.txt" && old.len() == 1),
    );
    assert!(moved, "the edited move is paired: {jobs:#?}");
    assert_eq!(
        index_rss_kib(&d),
        0,
        "planning looked objects up in the index"
    );
}
