//! The command line, and nothing else: clap definitions. What the flags mean is resolved in
//! `cmd`; what they do lives in the library.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Keeps protected health information (PHI) and secrets out of Git.
///
/// Exit codes: 0 nothing blocks; 1 a finding or policy violation blocks; 2 usage,
/// configuration, repository or internal error (hooks fail closed).
#[derive(Debug, Parser)]
#[command(
    name = "phiguard",
    version,
    max_term_width = 100,
    after_help = "Examples:
  phiguard install                          hooks in this clone (existing hooks are chained)
  phiguard scan --staged                    what `git commit` would add
  phiguard scan --range origin/main..HEAD --format sarif --report-path phiguard.sarif
  phiguard install --server --git-dir /srv/git/app.git
  git log -p | phiguard redact              mask values in a log
  phiguard man > phiguard.1                 this manual as a man page"
)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Read this configuration file too (after the repository's).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read no configuration file at all.
    #[arg(long, global = true, conflicts_with = "config")]
    pub no_config: bool,
    /// An extra rule pack (phiguard or gitleaks TOML); repeatable.
    #[arg(long = "rules", global = true, value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Also report values carrying synthetic-data markers.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Show only findings at or above this severity.
    #[arg(long, global = true, value_enum)]
    pub min_severity: Option<SeverityArg>,
    /// Print findings only (no summary or hints).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The baseline file (default: `[scan] baseline`, else `.phiguard-baseline` at the
    /// repository root). Never read by server hooks, which use `$GIT_DIR/phiguard-baseline`.
    #[arg(long, global = true, value_name = "FILE", alias = "file")]
    pub baseline: Option<PathBuf>,
    /// List suppressed findings (allowed inline, synthetic, baselined) with their reason.
    #[arg(long, global = true)]
    pub show_suppressed: bool,
    /// When to color output.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

/// `--format`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// Grouped by file, with hints.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// SARIF 2.1.0.
    Sarif,
    /// `path:line:col: level: message`.
    Gcc,
    /// Comma-separated values (`audit export` only).
    Csv,
}

/// `--min-severity`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SeverityArg {
    /// Only blocking findings.
    Block,
    /// Blocking findings and warnings.
    Warn,
    /// Everything.
    Info,
}

/// `--color`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorArg {
    /// Color when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, the staged change, or stdin.
    Scan(ScanArgs),
    /// Run as a git hook (installed shims call this).
    #[command(subcommand)]
    Hook(HookCommand),
    /// Install the client hooks into this clone.
    Install(InstallArgs),
    /// List or check rule packs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Show the resolved configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check or export the server's hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a CI evidence record (no values) for a range of commits, and a SARIF beside it.
    Evidence(EvidenceArgs),
    /// Copy stdin to stdout with PHI and secrets masked (for CI logs).
    Redact(RedactArgs),
    /// Show every commit's signature status and trailers (exit 1 when a commit fails a
    /// policy that requires signing).
    Verify(VerifyArgs),
    /// Serve editors: a language server on stdio (diagnostics as you type, on save).
    Lsp,
    /// Print the manual page (roff): `phiguard man > phiguard.1; man ./phiguard.1`.
    Man,
    /// Record existing findings so they stop blocking (`.phiguard-baseline`), check it.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `baseline`.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan the work tree and write a baseline of every finding (with a new fingerprint key).
    Create {
        /// Also import a gitleaks JSON report (`gitleaks detect --report-path FILE`).
        #[arg(long, value_name = "FILE")]
        from_gitleaks: Option<PathBuf>,
        /// Also import a `.gitleaksignore` (`[commit:]file:rule:line` lines).
        #[arg(long, value_name = "FILE")]
        from_gitleaksignore: Option<PathBuf>,
        /// Replace a baseline that exists.
        #[arg(long)]
        force: bool,
    },
    /// Rescan: drop entries that match nothing any more, add the findings that are new.
    Update,
    /// Exit 1 when the baseline has stale entries (nothing matches them any more).
    Check,
    /// Add one finding by its fingerprint (`rule:path:hash` from `--format json`).
    Add {
        /// The finding's fingerprint.
        fingerprint: String,
        /// Why it is accepted (required).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Commits: `A..B` (in B, not in A) or `REV` (its whole history). Default: the current
    /// branch's commits not on its upstream, or HEAD alone when it has none.
    pub range: Option<String>,
}

/// `scan`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  phiguard scan                               every file under the current directory
  phiguard scan --staged                      what `git commit` would add
  phiguard scan --range origin/main..HEAD --format sarif --report-path phiguard.sarif
  cat note.txt | phiguard scan --stdin-filename note.txt -")]
pub struct ScanArgs {
    /// Files or directories (default `.`); `-` with --stdin-filename reads stdin.
    pub paths: Vec<PathBuf>,
    /// Scan what `git commit` would add (index vs HEAD).
    #[arg(long, conflicts_with_all = ["paths", "stdin_filename"])]
    pub staged: bool,
    /// Scan commits: `A..B` (in B, not in A), `A...B` (in either, not in their merge base) or
    /// `REV` (its whole history); each commit's own added lines and its message.
    #[arg(long, value_name = "RANGE", conflicts_with_all = ["paths", "stdin_filename", "staged"])]
    pub range: Option<String>,
    /// With --range: whose `.phiguard.toml` judges the commits. `base` (default): the range's
    /// base (`A` of `A..B`, the merge base of `A...B`), so a change cannot weaken its own
    /// check; `REV` alone has no base and uses the work tree's. `head`: the tip's. `worktree`:
    /// the file on disk.
    #[arg(long, value_enum, value_name = "WHERE", requires = "range")]
    pub config_from: Option<ConfigFrom>,
    /// Treat stdin as the content of this file (editors).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Write the report (in --format, e.g. sarif or json) to FILE; the human report goes to
    /// stderr (as gitleaks' --report-path).
    #[arg(long, value_name = "FILE")]
    pub report_path: Option<PathBuf>,
    /// The exit code when a finding blocks (default 1; errors stay 2), as gitleaks'
    /// --exit-code: `--exit-code 0` reports without failing the job.
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Run every rule's regex everywhere (debugging; results must not change).
    #[arg(long, hide = true)]
    pub no_prefilter: bool,
}

/// `scan --range --config-from`: which version of `.phiguard.toml` judges a range.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ConfigFrom {
    /// The range's base (`A` of `A..B`).
    #[default]
    Base,
    /// The range's tip (`B`).
    Head,
    /// The work tree's file.
    Worktree,
}

/// `hook`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Before a commit is created.
    PreCommit,
    /// Before an automatic merge commit is created.
    PreMergeCommit,
    /// With the commit message file.
    CommitMsg {
        /// The message file git passes.
        file: PathBuf,
    },
    /// Before a push leaves this clone (ref lines on stdin).
    PrePush {
        /// The remote's name.
        remote: String,
        /// The remote's URL: git passes it, phiguard reads the remote's refs by name and
        /// does not use it.
        url: Option<String>,
    },
    /// On the server, once per push (ref lines on stdin); all refs are accepted or none.
    PreReceive,
    /// For the pre-commit framework (`.pre-commit-hooks.yaml`): inside `git commit`, what the
    /// commit adds to FILES; otherwise (`pre-commit run --all-files`, `--files`) FILES whole.
    /// With --push, the commits of `PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF`.
    PreCommitFramework {
        /// The pre-push stage: the range from pre-commit's environment.
        #[arg(long)]
        push: bool,
        /// The files pre-commit passes (relative to the repository root).
        files: Vec<PathBuf>,
    },
    /// On the server, once per ref.
    Update {
        /// The ref being updated.
        refname: String,
        /// Its old id (zeros when created).
        old: String,
        /// Its new id (zeros when deleted).
        new: String,
    },
}

/// `install`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  phiguard install                      hooks in this clone (existing hooks are chained)
  phiguard install --uninstall          remove them, putting chained hooks back
  phiguard install --global             every clone of this user (core.hooksPath)
  phiguard install --server --git-dir /srv/git/app.git --platform gitlab")]
pub struct InstallArgs {
    /// Hooks to install (comma-separated). Default: all four client hooks — git runs no
    /// pre-commit during rebase, cherry-pick or revert, so pre-push is the last check; with
    /// --server: pre-receive (add `update` for per-ref decisions).
    #[arg(long, value_delimiter = ',')]
    pub hooks: Vec<String>,
    /// Install into a `core.hooksPath` shared with other repositories (`~/.githooks`);
    /// existing hooks there are chained as everywhere.
    #[arg(long)]
    pub force: bool,
    /// Remove phiguard's hooks (putting chained hooks back).
    #[arg(long)]
    pub uninstall: bool,
    /// For every clone of this user: shims in phiguard's user config directory and
    /// `git config --global core.hooksPath` pointing there; each runs the clone's own
    /// `.git/hooks/<hook>` first.
    #[arg(long, conflicts_with = "server")]
    pub global: bool,
    /// Server hooks for the repository at --git-dir.
    #[arg(long)]
    pub server: bool,
    /// The server repository (its git directory; for ghes, the hook repository's directory).
    #[arg(long, value_name = "DIR", requires = "server", default_value = ".")]
    pub git_dir: PathBuf,
    /// Where the server platform looks for hooks.
    #[arg(long, value_enum, requires = "server", default_value_t = PlatformArg::Bare)]
    pub platform: PlatformArg,
}

/// `install --platform`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlatformArg {
    /// A bare repository: `hooks/pre-receive`.
    Bare,
    /// GitLab: `custom_hooks/pre-receive.d/phiguard`.
    Gitlab,
    /// Gitea / Forgejo: `hooks/pre-receive.d/phiguard`.
    Gitea,
    /// GitHub Enterprise Server: `phiguard-pre-receive.sh` for the hook repository.
    Ghes,
}

/// `rules`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the active rules.
    List,
    /// Run every rule's examples (built-ins, or the given packs).
    Check {
        /// Pack files to check instead of the built-ins.
        files: Vec<PathBuf>,
    },
}

/// `config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The resolved configuration and where each value came from.
    Show,
}

/// `audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; print the head hash to anchor elsewhere. Exit 1 when broken.
    Verify {
        /// Log files, oldest first (rotated files `LOG.1 LOG.2 … LOG`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A head hash anchored earlier: it must still be in the chain (a cut tail is not).
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
    },
    /// Print the records (with --format json, jsonl or csv) for an evidence package.
    Export {
        /// Only records at or after this date (`2026-12-01`) or UTC time.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Log files, oldest first.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The commits checked: `A..B` or `REV`.
    #[arg(long, value_name = "RANGE")]
    pub range: String,
    /// Where to write the JSON record (the SARIF goes to `FILE.sarif`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Mask only what a scan would report (the behaviour before 0.2); by default every PHI
    /// shape, every value after a PHI label and identifiers in HL7/X12/C-CDA/FHIR fragments
    /// are masked too.
    #[arg(long)]
    pub conservative: bool,
}
