//! How planning treats paths: generated files, excluded paths, the rename limit, and which
//! old path a renamed file may take its old lines from.

/// Generated files: lockfiles and minified bundles. They are scanned for secrets (a token in
/// a `package-lock.json` `resolved` URL is as live as anywhere else), but PHI rules skip them:
/// they are huge, full of hashes and version numbers, and never hold patient data.
pub fn generated_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    const NAMES: &[&str] = &[
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.sum",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "poetry.lock",
        "Pipfile.lock",
        "npm-shrinkwrap.json",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "packages.lock.json",
    ];
    NAMES.contains(&name)
        || name.ends_with(".min.js")
        || name.ends_with(".min.css")
        || name.ends_with(".js.map")
        || name.ends_with(".css.map")
}

/// libgit2's `rename_limit` for pre-commit and history alike, so both pair the same moves.
pub const RENAME_LIMIT: usize = 2000;

/// Whether moves of `added` × `deleted` files are paired by similarity, or only where the
/// content is identical. Past `RENAME_LIMIT²` candidate pairs git skips inexact detection
/// (`diff.renameLimit`); so does phiguard, in pre-commit and history alike, which keeps the
/// work bounded: a moved file that also changed is then a new file, every line added.
pub fn inexact_renames(added: usize, deleted: usize) -> bool {
    added.saturating_mul(deleted) <= RENAME_LIMIT * RENAME_LIMIT
}

/// How planning treats paths: which are excluded (never scanned), and which old paths a
/// renamed file must not take its old lines from.
#[derive(Debug, Clone, Copy)]
pub struct PathRules<'a> {
    /// `[scan] exclude`.
    pub exclude: &'a globset::GlobSet,
    /// `[scan] test_paths` (where PHI is downgraded to a warning), if any.
    pub test_paths: Option<&'a crate::glob::LazyGlobSet>,
}

impl<'a> PathRules<'a> {
    /// Only `exclude`, no test paths.
    pub fn excluding(exclude: &'a globset::GlobSet) -> PathRules<'a> {
        PathRules {
            exclude,
            test_paths: None,
        }
    }

    /// Whether `path` is excluded.
    pub fn excluded(&self, path: &str) -> bool {
        self.exclude.is_match(path)
    }

    /// Whether a file renamed from `old` to `new` keeps `old`'s lines as old ones. Not when
    /// `old` was judged more leniently than `new` will be — excluded, a generated name (PHI
    /// rules skip it) or a test path (PHI only warns) where `new` is none of these: content
    /// that was never scanned, or only warned about, must not become old by `git mv`
    /// (issue 19 item 5). Every line of the new file is then added.
    pub fn inherits(&self, old: &str, new: &str) -> bool {
        let test = |p: &str| self.test_paths.is_some_and(|t| t.is_match(p));
        !(self.excluded(old)
            || (generated_path(old) && !generated_path(new))
            || (test(old) && !test(new)))
    }
}
