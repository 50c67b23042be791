//! Configuration: files in TOML, layered, resolved once into an immutable [`Config`].
//!
//! Layers, later ones winning for single values and appending for lists:
//! built-in defaults → user config (`~/.config/phiguard/config.toml`) → the repository's
//! `.phiguard.toml` → `--config FILE`. A server hook reads `$GIT_DIR/phiguard.toml` instead of
//! the user and repository files: on a server the repository content is the pusher's, not the
//! admin's. Each file may `extend = "other.toml"` (relative to itself). Unknown keys are
//! errors that name the file, the line and the key.

pub mod versions;

use crate::detect::Selection;
use crate::error::{Error, Result};
use crate::glob::{LazyGlobSet, compile};
use crate::policy::OnUnscanned;
use crate::policy::refs::{PolicySection, SigKind};
use crate::rules::load::read_text;
use crate::rules::{Category, RuleSpec, Severity};
use globset::{Glob, GlobSet};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[scan]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Globs of paths never scanned.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this are skipped and said so.
    pub max_file_bytes: Option<u64>,
    /// Globs of test paths where `block` becomes `warn` (replaces the default list).
    pub test_paths: Option<Vec<String>>,
    /// The categories test paths downgrade (`["phi"]` by default; `["phi", "secret"]` lets
    /// secrets under test paths warn too).
    pub test_path_categories: Option<Vec<Category>>,
    /// Show synthetic values (like `--strict`).
    pub strict: Option<bool>,
    /// Worker threads (default: the number of cores).
    pub threads: Option<usize>,
    /// The baseline file, relative to the repository root (default `.phiguard-baseline`).
    pub baseline: Option<String>,
    /// Client hooks (pre-commit, commit-msg, pre-push): a watchdog ends the hook with exit 2
    /// after this many milliseconds, whatever the scan is doing (default 30000).
    pub watchdog_ms: Option<u64>,
}

/// `[rules]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    /// Rule ids to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rule ids to switch on.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Severity per rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Extra pack files (phiguard or gitleaks format), relative to the config file.
    #[serde(default)]
    pub import: Vec<String>,
    /// Rules written inline, same schema as packs.
    #[serde(default)]
    pub custom: Vec<RuleSpec>,
    /// `[rules.mrn]`: the organisation's own MRN format.
    #[serde(default)]
    pub mrn: MrnSection,
}

/// `[rules.mrn]`. MRN formats are facility-specific (detectors.md §5), so an organisation can
/// say what its MRNs look like; a label-anchored rule `phi.mrn.org` then finds exactly those.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MrnSection {
    /// Regex (ASCII, `regex::bytes` syntax) that an MRN value must match, e.g. `ACME\d{7}`.
    pub value_regex: Option<String>,
}

/// `[server]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Time budget of a server hook in milliseconds (default 4000).
    pub budget_ms: Option<u64>,
    /// Path of the append-only audit log.
    pub audit_log: Option<String>,
    /// Accept the push when the budget runs out (default false: fail closed).
    pub fail_open: Option<bool>,
    /// Rotate the audit log once it reaches this size (`LOG` becomes `LOG.N`; the chain
    /// continues in the new file).
    pub audit_rotate_bytes: Option<u64>,
    /// Rotate the audit log when a new day or month begins (UTC): `"daily"` or `"monthly"`.
    pub audit_rotate: Option<crate::audit::Period>,
    /// What a push with a file over `max_file_bytes` gets (default: rejected).
    pub oversize: Option<OnUnscanned>,
    /// What a push with content that cannot be decoded gets (default: rejected).
    pub unscannable: Option<OnUnscanned>,
    /// What a push with a Git LFS pointer whose object the server does not hold gets
    /// (default: rejected; LFS objects go to the LFS server, not through the push).
    pub lfs: Option<OnUnscanned>,
}

/// `[report]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// Key for fingerprint hashes (keep it stable: baselines depend on it).
    pub fingerprint_key: Option<String>,
}

/// One configuration file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Another file whose settings this one builds on.
    pub extend: Option<String>,
    /// `[scan]`.
    #[serde(default)]
    pub scan: ScanSection,
    /// `[rules]`.
    #[serde(default)]
    pub rules: RulesSection,
    /// `[[policy]]`.
    #[serde(default)]
    pub policy: Vec<PolicySection>,
    /// `[server]`.
    #[serde(default)]
    pub server: ServerSection,
    /// `[report]`.
    #[serde(default)]
    pub report: ReportSection,
}

/// Default test paths (detectors.md §4): findings there are downgraded, never suppressed.
/// Matched case-insensitively (`TestData/`, `UnitTests/`, `SampleData/`, `Cerner Samples/`):
/// directories of tests, fixtures and sample data, and the test-file names of common
/// languages.
///
/// Checked against real layouts (README "Test paths"): microsoft/fhir-server keeps test
/// projects in `Microsoft.Health.Fhir.Tests.Common/` and `….Shared.Tests.E2E/` (`*.Tests.*`)
/// with their data in `TestFiles/`; Leiningen (Clojure) and OpenUI5 projects keep test data in
/// `test-resources/`. A bare `spec/` is not a test path: it is also where a specification and
/// its examples live (OpenAPI, FHIR IG sources), and a Ruby project's RSpec tree holds helpers
/// and data next to the tests (inferno-framework/inferno-core); RSpec's own conventions are
/// kept instead: `*_spec.rb`, `spec/factories/`, `spec/support/`, and `fixtures/` anywhere.
///
/// A FHIR package (`hl7.fhir.us.core/3.0.0/`, `hl7.fhir.r4.examples#4.0.1/`: the directory
/// of a package HL7 publishes, named by its package id) holds a specification's example
/// resources, never a patient's: google/fhir vendors such packages under `spec/`, and their
/// example patients (US Core's, the core specification's) would otherwise block.
pub const DEFAULT_TEST_PATHS: &[&str] = &[
    "**/tests/**",
    "**/test/**",
    "**/*tests/**",
    "**/*.tests/**",
    "**/*.tests.*/**",
    "**/__tests__/**",
    "**/testfiles/**",
    "**/test-resources/**",
    "**/spec/factories/**",
    "**/spec/support/**",
    "**/fixtures/**",
    "**/testdata/**",
    "**/test-data/**",
    "**/test_data/**",
    "**/sampledata/**",
    "**/sample-data/**",
    "**/sample/**",
    "**/*samples/**",
    "**/hl7.fhir.*/**",
    "**/*_test.go",
    "**/*_test.py",
    "**/test_*.py",
    "**/*test.java",
    "**/*tests.java",
    "**/*tests.cs",
    "**/*.test.[jt]s",
    "**/*.test.[jt]sx",
    "**/*.spec.[jt]s",
    "**/*_spec.rb",
];

/// Most worker threads `[scan] threads` may ask for: far above any machine's cores, and
/// small enough that per-thread state can be allocated (`threads = 1e18` once panicked with
/// "capacity overflow").
pub const MAX_THREADS: usize = 1024;

/// Default `[scan] watchdog_ms`: generous for a commit, yet a wedged hook ends on its own.
pub const DEFAULT_WATCHDOG_MS: u64 = 30_000;

/// Default `max_file_bytes`: 32 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 32 << 20;

/// The resolved configuration. Built once, read everywhere.
#[derive(Debug, Clone)]
pub struct Config {
    /// Files read, in layer order.
    pub files: Vec<PathBuf>,
    /// Where each setting came from (`scan.exclude` → file), for `config show`.
    pub origin: BTreeMap<&'static str, String>,
    /// `[scan] exclude` globs, as written.
    pub exclude: Vec<String>,
    /// Compiled `exclude`.
    pub exclude_set: GlobSet,
    /// `[scan] test_path_categories`: whose findings test paths downgrade.
    pub test_path_categories: Vec<Category>,
    /// `[scan] max_file_bytes`.
    pub max_file_bytes: u64,
    /// Test path globs.
    pub test_paths: Vec<String>,
    /// `test_paths`, compiled on first use.
    pub test_path_set: LazyGlobSet,
    /// `[scan] strict`.
    pub strict: bool,
    /// Worker threads.
    pub threads: usize,
    /// `[scan] watchdog_ms`: the client hooks' watchdog.
    pub watchdog_ms: u64,
    /// Rule selection.
    pub selection: Selection,
    /// Extra pack files, resolved against their config file.
    pub imports: Vec<PathBuf>,
    /// Inline custom rules with the file they came from.
    pub custom: Vec<(String, RuleSpec)>,
    /// `[rules.mrn] value_regex` with the file it came from.
    pub mrn_value_regex: Option<(String, String)>,
    /// `[[policy]]` sections in order.
    pub policies: Vec<PolicySection>,
    /// `[server]`.
    pub server: ServerSection,
    /// `[scan] baseline`, as written (relative to the repository root).
    pub baseline: Option<String>,
    /// `[report] fingerprint_key`, when set (else the baseline's, else one per run).
    pub fingerprint_key: Option<crate::fingerprint::Key>,
}

/// Which files to read.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Read no file at all (`--no-config`).
    pub none: bool,
    /// The repository work tree root, for `.phiguard.toml`.
    pub repo_root: Option<PathBuf>,
    /// A server's git dir, for `phiguard.toml` (server hooks skip user and repo files).
    pub server_git_dir: Option<PathBuf>,
    /// `--config FILE`.
    pub explicit: Option<PathBuf>,
    /// Read the repository's `.phiguard.toml` (and what it `extend`s inside the repository)
    /// from here instead of the work tree: `scan --range A..B` judges with `A`'s.
    pub repo_files: Option<RepoFiles>,
}

/// The reader behind [`RepoFiles`]: a path relative to the repository root → its text, `None`
/// when there is no such file.
type ReadRepoFile = dyn Fn(&str) -> Result<Option<String>> + Send + Sync;

/// A version of the repository's files other than the work tree's (a commit's, the index's),
/// for reading its `.phiguard.toml`. Paths are relative to the repository root, `/`-separated.
#[derive(Clone)]
pub struct RepoFiles {
    /// Names the version in messages (`commit 1a2b3c4d5e6f`, `the index`).
    pub label: String,
    read: Arc<ReadRepoFile>,
}

impl std::fmt::Debug for RepoFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoFiles")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl RepoFiles {
    /// Files read through `read` (a repository-relative path → its text, or `None`).
    pub fn new(
        label: impl Into<String>,
        read: impl Fn(&str) -> Result<Option<String>> + Send + Sync + 'static,
    ) -> RepoFiles {
        RepoFiles {
            label: label.into(),
            read: Arc::new(read),
        }
    }

    /// The work tree under `root`, as the hooks read it.
    pub fn worktree(root: &Path) -> RepoFiles {
        let root = root.to_path_buf();
        RepoFiles::new("the work tree", move |rel| {
            let path = root.join(rel);
            if present(&path)? {
                read_text(&path, MAX_CONFIG_BYTES).map(Some)
            } else {
                Ok(None)
            }
        })
    }

    /// The text of `rel`, or `None`.
    ///
    /// # Errors
    ///
    /// When the version cannot be read.
    pub fn read(&self, rel: &str) -> Result<Option<String>> {
        (self.read)(rel)
    }
}

/// The name of a repository's own configuration file, at its root.
pub const REPO_FILE: &str = ".phiguard.toml";

fn user_config_path() -> Option<PathBuf> {
    user_config_dir().map(|d| d.join("config.toml"))
}

/// The user configuration directory: `PHIGUARD_CONFIG_HOME`, else the platform's
/// (`$XDG_CONFIG_HOME/phiguard` on Linux).
pub fn user_config_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PHIGUARD_CONFIG_HOME") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "phiguard").map(|d| d.config_dir().to_path_buf())
}

/// Largest configuration file read: a configuration is a few kilobytes; a path that names
/// `/dev/zero` or a huge file must not exhaust memory.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Whether an optional configuration file is there to be read. A path that exists in any
/// form — a dangling symlink, a directory, a file without read permission — counts: reading
/// it then fails with an error naming it, instead of the file being silently ignored (a
/// server whose policy file is broken must not accept pushes unchecked).
///
/// # Errors
///
/// When whether it exists cannot be told (a parent directory without search permission).
fn present(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::config(path, e.to_string())),
    }
}

/// Where [`read_chain`] reads from: the file system, or a version of the repository.
#[derive(Clone, Copy)]
enum Reader<'a> {
    Disk,
    /// Files of the repository whose root is `root` (chain paths are `root/<rel>`), read
    /// through `files`.
    Repo {
        root: &'a Path,
        files: &'a RepoFiles,
    },
}

impl Reader<'_> {
    /// The text at `path` (`None`: absent), and how `path` is named in messages.
    fn read(self, path: &Path) -> Result<(Option<String>, PathBuf)> {
        match self {
            Reader::Disk => Ok((Some(read_text(path, MAX_CONFIG_BYTES)?), path.to_path_buf())),
            Reader::Repo { root, files } => {
                let rel = repo_relative(root, path).ok_or_else(|| {
                    Error::config(path, format!("outside the repository ({})", files.label))
                })?;
                let shown = PathBuf::from(format!("{rel} in {}", files.label));
                Ok((files.read(&rel)?, shown))
            }
        }
    }
}

/// `path` (under `root`, `..` resolved lexically) as a `/`-separated path relative to `root`,
/// or `None` when it leaves `root`.
fn repo_relative(root: &Path, path: &Path) -> Option<String> {
    use std::path::Component;
    let mut parts: Vec<String> = Vec::new();
    for c in path.strip_prefix(root).ok()?.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Reads one file and its `extend` chain, oldest ancestor first. Returns false when the
/// first file is absent from a repository version (`reader` of [`Reader::Repo`]).
fn read_chain(
    reader: Reader<'_>,
    path: &Path,
    out: &mut Vec<(PathBuf, ConfigFile)>,
    depth: usize,
) -> Result<bool> {
    if depth > 8 {
        return Err(Error::config(
            path,
            "`extend` chain deeper than 8 files (a cycle?)",
        ));
    }
    if out.iter().any(|(p, _)| p == path) {
        return Err(Error::config(path, "`extend` cycle"));
    }
    let (text, shown) = reader.read(path)?;
    let Some(text) = text else {
        if depth == 0 {
            return Ok(false);
        }
        return Err(Error::config(&shown, "no such file (named by `extend`)"));
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map_or(0, |s| crate::rules::load::line_of(&text, s.start));
        Error::config(&shown, format!("line {line}: {}", e.message().trim()))
    })?;
    if let Some(parent) = &file.extend {
        let base = path.parent().unwrap_or(Path::new("."));
        read_chain(reader, &base.join(parent), out, depth + 1)?;
    }
    out.push((path.to_path_buf(), file));
    Ok(true)
}

/// Parses globs (a bad one is an error naming `path` and `key`); test paths match
/// case-insensitively (`TestData/` is `testdata/`).
fn globs(path: &str, key: &str, globs: &[String]) -> Result<Vec<Glob>> {
    globs
        .iter()
        .map(|g| {
            globset::GlobBuilder::new(g)
                .case_insensitive(key == "scan.test_paths")
                .build()
                .map_err(|e| Error::config(path, format!("{key}: {e}")))
        })
        .collect()
}

/// Parses and compiles globs into a set.
fn globset(path: &str, key: &str, list: &[String]) -> Result<GlobSet> {
    compile(globs(path, key, list)?).map_err(|e| Error::config(path, format!("{key}: {e}")))
}

/// Checks a `[[policy]]` section when its file is read: globs and `require_signed` values,
/// each error naming the file, the section and the key.
fn check_policy(path: &Path, index: usize, p: &PolicySection) -> Result<()> {
    let at = |key: &str, msg: String| {
        Error::config(path, format!("[[policy]] #{}: {key}: {msg}", index + 1))
    };
    for g in &p.refs {
        Glob::new(g).map_err(|e| at("refs", e.to_string()))?;
    }
    if let Some(v) = &p.require_signed {
        let kind = SigKind::from_config(v).map_err(|e| at("require_signed", e))?;
        if kind == Some(SigKind::Ssh) && p.allowed_signers.is_none() {
            return Err(at(
                "require_signed",
                "\"ssh\" needs allowed_signers = \"path\" (OpenSSH format) to know whose keys count".to_owned(),
            ));
        }
    }
    if p.deny_delete.is_some() && p.protect_delete.is_some() && p.deny_delete != p.protect_delete {
        return Err(at(
            "deny_delete",
            "contradicts protect_delete (its older name): keep one".to_owned(),
        ));
    }
    Ok(())
}

impl Config {
    /// The path rules planning applies: `exclude`, and the test paths a rename must not
    /// launder content out of ([`crate::source::PathRules::inherits`]).
    pub fn path_rules(&self) -> crate::source::PathRules<'_> {
        crate::source::PathRules {
            exclude: &self.exclude_set,
            // Test paths that downgrade nothing judge nothing more leniently.
            test_paths: (!self.test_path_categories.is_empty()).then_some(&self.test_path_set),
        }
    }

    /// Reads and resolves the configuration.
    ///
    /// # Errors
    ///
    /// A file that cannot be read or parsed, an unknown key, a bad glob: each names the file.
    pub fn load(sources: &Sources) -> Result<Config> {
        let mut chain = Vec::new();
        if !sources.none {
            let mut candidates: Vec<(PathBuf, bool, Reader<'_>)> = Vec::new();
            if let Some(git_dir) = &sources.server_git_dir {
                candidates.push((git_dir.join("phiguard.toml"), false, Reader::Disk));
            } else {
                if let Some(user) = user_config_path() {
                    candidates.push((user, false, Reader::Disk));
                }
                if let Some(root) = &sources.repo_root {
                    let reader = match &sources.repo_files {
                        Some(files) => Reader::Repo { root, files },
                        None => Reader::Disk,
                    };
                    candidates.push((root.join(REPO_FILE), false, reader));
                }
            }
            if let Some(explicit) = &sources.explicit {
                candidates.push((explicit.clone(), true, Reader::Disk));
            }
            for (path, required, reader) in candidates {
                let repo = matches!(reader, Reader::Repo { .. });
                if required || repo || present(&path)? {
                    read_chain(reader, &path, &mut chain, 0)?;
                }
            }
        }
        Config::resolve(chain)
    }

    /// The configuration the repository's own `.phiguard.toml` (and its `extend` chain)
    /// makes of the defaults, read from `files` — no user file, no `--config`: what a change
    /// to that file does, for the weakening check ([`crate::weakening`]).
    ///
    /// # Errors
    ///
    /// The file cannot be read or parsed; each error names it and the version.
    pub fn repository_only(root: &Path, files: &RepoFiles) -> Result<Config> {
        let mut chain = Vec::new();
        read_chain(
            Reader::Repo { root, files },
            &root.join(REPO_FILE),
            &mut chain,
            0,
        )?;
        Config::resolve(chain)
    }

    /// Resolves parsed files (oldest first) into a configuration.
    ///
    /// # Errors
    ///
    /// Bad globs or values; each names its file.
    pub fn resolve(chain: Vec<(PathBuf, ConfigFile)>) -> Result<Config> {
        let mut c = Config::defaults();
        for (path, file) in chain {
            c.apply(&path, file)?;
            c.files.push(path);
        }
        let last = |c: &Config, key| {
            c.origin
                .get(key)
                .cloned()
                .unwrap_or_else(|| "<default>".into())
        };
        c.exclude_set = globset(&last(&c, "scan.exclude"), "scan.exclude", &c.exclude)?;
        c.test_path_set = LazyGlobSet::new(globs(
            &last(&c, "scan.test_paths"),
            "scan.test_paths",
            &c.test_paths,
        )?);
        Ok(c)
    }

    fn defaults() -> Config {
        Config {
            files: Vec::new(),
            origin: BTreeMap::new(),
            exclude: Vec::new(),
            exclude_set: GlobSet::empty(),
            test_path_categories: vec![Category::Phi],
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            test_paths: DEFAULT_TEST_PATHS.iter().map(|s| (*s).to_owned()).collect(),
            test_path_set: LazyGlobSet::default(),
            strict: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            watchdog_ms: DEFAULT_WATCHDOG_MS,
            selection: Selection::default(),
            imports: Vec::new(),
            custom: Vec::new(),
            mrn_value_regex: None,
            policies: Vec::new(),
            server: ServerSection::default(),
            fingerprint_key: None,
            baseline: None,
        }
    }

    fn apply(&mut self, path: &Path, f: ConfigFile) -> Result<()> {
        let src = path.display().to_string();
        let mut set = |key: &'static str| {
            self.origin.insert(key, src.clone());
        };
        if !f.scan.exclude.is_empty() {
            set("scan.exclude");
        }
        if f.scan.max_file_bytes.is_some() {
            set("scan.max_file_bytes");
        }
        if f.scan.test_paths.is_some() {
            set("scan.test_paths");
        }
        if f.scan.strict.is_some() {
            set("scan.strict");
        }
        if f.scan.test_path_categories.is_some() {
            set("scan.test_path_categories");
        }
        if f.scan.threads.is_some() {
            set("scan.threads");
        }
        if f.scan.baseline.is_some() {
            set("scan.baseline");
        }
        if f.scan.watchdog_ms.is_some() {
            set("scan.watchdog_ms");
        }
        if !f.rules.disable.is_empty() || !f.rules.enable.is_empty() || !f.rules.severity.is_empty()
        {
            set("rules");
        }
        if !f.policy.is_empty() {
            set("policy");
        }
        if f.server.budget_ms.is_some()
            || f.server.audit_log.is_some()
            || f.server.audit_rotate_bytes.is_some()
            || f.server.audit_rotate.is_some()
            || f.server.fail_open.is_some()
            || f.server.oversize.is_some()
            || f.server.unscannable.is_some()
            || f.server.lfs.is_some()
        {
            set("server");
        }
        if f.report.fingerprint_key.is_some() {
            set("report.fingerprint_key");
        }
        self.exclude.extend(f.scan.exclude);
        if let Some(b) = f.scan.baseline {
            self.baseline = Some(b);
        }
        self.max_file_bytes = f.scan.max_file_bytes.unwrap_or(self.max_file_bytes);
        if let Some(t) = f.scan.test_paths {
            self.test_paths = t;
        }
        self.strict = f.scan.strict.unwrap_or(self.strict);
        if let Some(c) = f.scan.test_path_categories {
            self.test_path_categories = c;
        }
        if let Some(n) = f.scan.threads {
            if !(1..=MAX_THREADS).contains(&n) {
                return Err(Error::config(
                    path,
                    format!("scan.threads must be between 1 and {MAX_THREADS}"),
                ));
            }
            self.threads = n;
        }
        if let Some(ms) = f.scan.watchdog_ms {
            if ms == 0 {
                return Err(Error::config(path, "scan.watchdog_ms must be at least 1"));
            }
            self.watchdog_ms = ms;
        }
        if let Some(re) = f.rules.mrn.value_regex {
            regex::bytes::RegexBuilder::new(&re)
                .unicode(false)
                .build()
                .map_err(|e| Error::config(path, format!("rules.mrn.value_regex: {e}")))?;
            set("rules.mrn");
            self.mrn_value_regex = Some((src.clone(), re));
        }
        self.selection.disable.extend(f.rules.disable);
        self.selection.enable.extend(f.rules.enable);
        self.selection.severity.extend(f.rules.severity);
        let base = path.parent().unwrap_or(Path::new("."));
        self.imports
            .extend(f.rules.import.iter().map(|p| base.join(p)));
        self.custom
            .extend(f.rules.custom.into_iter().map(|r| (src.clone(), r)));
        for (i, mut p) in f.policy.into_iter().enumerate() {
            check_policy(path, i, &p)?;
            for file in [&mut p.allowed_signers, &mut p.revoked_keys, &mut p.gpg_home] {
                if let Some(f) = file.as_mut() {
                    *f = base.join(&*f).display().to_string();
                }
            }
            self.policies.push(p);
        }
        let s = f.server;
        self.server.budget_ms = s.budget_ms.or(self.server.budget_ms);
        self.server.audit_log = s
            .audit_log
            .map(|p| base.join(p).display().to_string())
            .or(self.server.audit_log.take());
        self.server.fail_open = s.fail_open.or(self.server.fail_open);
        self.server.audit_rotate_bytes = s.audit_rotate_bytes.or(self.server.audit_rotate_bytes);
        self.server.audit_rotate = s.audit_rotate.or(self.server.audit_rotate);
        self.server.oversize = s.oversize.or(self.server.oversize);
        self.server.unscannable = s.unscannable.or(self.server.unscannable);
        self.server.lfs = s.lfs.or(self.server.lfs);
        if let Some(k) = f.report.fingerprint_key {
            self.fingerprint_key = Some(crate::fingerprint::Key::from_bytes(k.into_bytes()));
        }
        Ok(())
    }

    /// Where the rule selection came from (for error messages).
    pub fn rules_origin(&self) -> String {
        self.origin
            .get("rules")
            .cloned()
            .unwrap_or_else(|| "<config>".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<ConfigFile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = parse("[scan]\nexclud = [\"x\"]\n").unwrap_err();
        assert!(err.contains("exclud"), "{err}");
        assert!(parse("[scan]\nexclude = [\"vendor/**\"]\n").is_ok());
        assert!(
            parse("[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_signed = \"ssh\"\n").is_ok()
        );
        assert!(parse("[[policy]]\nrequire_signed = false\n").is_ok());
    }

    #[test]
    fn later_layers_win_and_lists_append() {
        let a = parse("[scan]\nexclude = [\"a/**\"]\nmax_file_bytes = 10\n").unwrap();
        let b = parse("[scan]\nexclude = [\"b/**\"]\n[rules]\ndisable = [\"phi.ssn\"]\n").unwrap();
        let c = Config::resolve(vec![("a.toml".into(), a), ("b.toml".into(), b)]).unwrap();
        assert_eq!(c.exclude, vec!["a/**", "b/**"]);
        assert_eq!(c.max_file_bytes, 10);
        assert_eq!(c.selection.disable, vec!["phi.ssn"]);
        assert_eq!(c.origin["scan.max_file_bytes"], "a.toml");
        assert!(c.exclude_set.is_match("b/x.rs"));
        assert!(c.test_path_set.is_match("src/tests/fixture.json"));
    }

    /// Test-path globs compile on first use, but a bad one still fails the configuration.
    #[test]
    fn bad_globs_fail_when_the_config_is_read() {
        for key in ["test_paths", "exclude"] {
            let file = parse(&format!("[scan]\n{key} = [\"src/[a\"]\n")).unwrap();
            let err = Config::resolve(vec![("bad.toml".into(), file)]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("bad.toml") && text.contains(key), "{text}");
        }
        let file = parse("[scan]\ntest_paths = [\"**/Fixtures/**\"]\n").unwrap();
        let c = Config::resolve(vec![("ok.toml".into(), file)]).unwrap();
        assert!(
            c.test_path_set.is_match("app/fixtures/patient.json"),
            "case-insensitive"
        );
        assert!(!c.test_path_set.is_match("src/main.rs"));
    }

    /// The default test paths against layouts of real repositories: the test projects and
    /// data of microsoft/fhir-server, Leiningen's `test-resources/`, RSpec's conventions; and
    /// what is not a test path although it once matched (`spec/` holding a specification).
    #[test]
    fn default_test_paths_fit_real_layouts() {
        let c = Config::resolve(Vec::new()).unwrap();
        for test in [
            "src/Microsoft.Health.Fhir.Tests.Common/TestFiles/Normative/Patient.json",
            "src/Microsoft.Health.Fhir.Shared.Tests.E2E/Rest/PatientTests.cs",
            "src/Microsoft.Health.Fhir.Core.UnitTests/Features/Search/Data.cs",
            "tools/Importer/TestFiles/patients.ndjson",
            "test-resources/patients.edn",
            "webapp/test-resources/sap/m/qunit/data.json",
            "spec/factories/patient.rb",
            "spec/support/records.rb",
            "spec/fixtures/patient.json",
            "spec/models/patient_spec.rb",
            "api/src/test/resources/org/openmrs/include/standardTestDataset.xml",
            "spec/hl7.fhir.us.core/3.0.0/package/Patient-example.json",
            "fhir/packages/hl7.fhir.r4.examples#4.0.1/package/Patient-pat1.json",
            // chb/sample_ccdas keeps each vendor's C-CDAs in `<Vendor> Samples/`.
            "Allscripts Samples/Enterprise EHR/b2 Adam Everyman ToC.xml",
            "ccda-samples/ccd.xml",
            "sample/patient.json",
        ] {
            assert!(
                c.test_path_set.is_match(test),
                "{test} should be a test path"
            );
        }
        for real in [
            "spec/openapi/patient.yaml",
            "spec/examples/patient-example.json",
            "docs/spec/patient.md",
            "lib/patient_spec_builder.rb",
            "src/Microsoft.Health.Fhir.Core/Features/Search/Data.cs",
            "Migrations/001_seed.sql",
            "src/hl7.fhir.loader.rs",
            "exports/hl7-fhir/patients.ndjson",
            "src/resample/patients.rs",
            "exports/samples.csv",
        ] {
            assert!(!c.test_path_set.is_match(real), "{real} is not a test path");
        }
    }

    /// `[[policy]]` paths are relative to their file; bad values name the file, the section
    /// and the key; `protect_delete` still works as `deny_delete`.
    #[test]
    fn policy_sections_resolve_against_their_file() {
        let file = parse(
            "[[policy]]\nrefs = [\"refs/heads/main\"]\nrequire_signed = \"any\"\nallowed_signers = \"keys/allowed\"\nrevoked_keys = \"keys/revoked\"\ngpg_home = \"gnupg\"\nprotect_delete = true\nrequire_trailers = [\"Reviewed-by\"]\nallowed_pushers = [\"bot\"]\ndeny_non_fast_forward = true\n",
        )
        .unwrap();
        let c = Config::resolve(vec![("/srv/repo.git/phiguard.toml".into(), file)]).unwrap();
        let p = crate::policy::refs::for_ref(&c.policies, "refs/heads/main").unwrap();
        assert_eq!(
            p.allowed_signers,
            Some(PathBuf::from("/srv/repo.git/keys/allowed"))
        );
        assert_eq!(
            p.revoked_keys,
            Some(PathBuf::from("/srv/repo.git/keys/revoked"))
        );
        assert_eq!(p.gpg_home, Some(PathBuf::from("/srv/repo.git/gnupg")));
        assert!(p.deny_delete && p.deny_non_fast_forward);
        assert_eq!(p.require_signed, Some(crate::policy::refs::SigKind::Any));
        assert_eq!(
            (p.require_trailers.len(), p.allowed_pushers.len(), p.section),
            (1, 1, 1)
        );
        for (text, key) in [
            ("[[policy]]\nrequire_signed = \"x509\"\n", "require_signed"),
            ("[[policy]]\nrequire_signed = \"ssh\"\n", "allowed_signers"),
            ("[[policy]]\nrefs = [\"refs/[x\"]\n", "refs"),
            (
                "[[policy]]\ndeny_delete = false\nprotect_delete = true\n",
                "deny_delete",
            ),
        ] {
            let err = Config::resolve(vec![("bad.toml".into(), parse(text).unwrap())]).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains("bad.toml") && msg.contains("[[policy]] #1") && msg.contains(key),
                "{msg}"
            );
        }
        let err = parse("[[policy]]\nrequire_signatures = true\n").unwrap_err();
        assert!(err.contains("require_signatures"), "{err}");
    }
}
