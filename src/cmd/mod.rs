//! Command execution for the binary. Each command resolves what it needs into a [`Session`]
//! (configuration, compiled rules, policy, output style) and hands work to the library.

mod audit;
mod baseline;
mod config;
mod evidence;
mod hook;
mod install;
mod lsp;
mod pending;
mod push;
mod redact;
mod rules;
mod scan;
mod verify;
mod watchdog;
mod weakening;

use crate::cli::{Cli, ColorArg, Command, FormatArg, Global, SeverityArg};
use anyhow::{Context as _, Result};
use phiguard::config::{Config, Sources};
use phiguard::detect::DetectOptions;
use phiguard::detect::{RuleDb, RuleDbBuilder};
use phiguard::fingerprint::Key;
use phiguard::model::{self, Report};
use phiguard::policy::Policy;
use phiguard::policy::baseline::{Baseline, FILE_NAME, SERVER_FILE_NAME};
use phiguard::report::{self, Context, Format, Style};
use phiguard::rules::{Pack, Severity, load};
use phiguard::scan::{Engine, RunOptions};
use phiguard::source::{Job, Planned, RepoAt, Source};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// The exit-code contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing blocks.
    Clean,
    /// A finding or policy violation blocks.
    Blocked,
    /// Usage, configuration, repository or internal error.
    Error,
    /// `scan --exit-code N`: a blocking finding, with the caller's exit code.
    BlockedWith(u8),
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(match e {
            Exit::Clean => 0,
            Exit::Blocked => 1,
            Exit::Error => 2,
            Exit::BlockedWith(n) => n,
        })
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    let g = &cli.global;
    let reportless = match &cli.command {
        Command::Install(_) => Some("install"),
        Command::Redact(_) => Some("redact"),
        Command::Evidence(_) => Some("evidence"),
        Command::Man => Some("man"),
        Command::Completions { .. } => Some("completions"),
        _ => None,
    };
    if let Some(name) = reportless.filter(|_| g.format != FormatArg::Human) {
        anyhow::bail!(
            "`phiguard {name}` has no --format other than human (scan, hook, verify, rules \
             list, config show and audit take --format)"
        );
    }
    match &cli.command {
        Command::Scan(args) => scan::run(g, args),
        Command::Hook(h) => hook::run(g, h),
        Command::Install(args) => install::run(args, g.quiet),
        Command::Rules(r) => rules::run(g, r),
        Command::Config(_) => config::show(g),
        Command::Audit(a) => audit::run(g, a),
        Command::Evidence(args) => evidence::run(g, args),
        Command::Redact(args) => redact::run(g, args),
        Command::Verify(args) => verify::run(g, args),
        Command::Lsp => lsp::run(g),
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
            Ok(Exit::Clean)
        }
        Command::Baseline(b) => baseline::run(g, b),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "phiguard", &mut std::io::stdout());
            Ok(Exit::Clean)
        }
    }
}

/// Everything a scanning command needs, resolved once.
pub struct Session {
    pub config: Config,
    /// Extra packs from `--rules`.
    extra_rules: Vec<PathBuf>,
    /// Built on first use: an empty diff never pays for compiling 160 rules.
    db: std::sync::OnceLock<RuleDb>,
    pub policy: Policy,
    pub format: Format,
    pub style: Style,
    pub detect: DetectOptions,
    /// The fingerprint key: `[report] fingerprint_key`, else the baseline's, else one for
    /// this run only.
    pub key: Key,
    /// The baseline file the repository uses, and its content when it exists.
    pub baseline: Option<(PathBuf, Option<Baseline>)>,
    /// The work tree's root, for a client command in a repository: paths are matched and
    /// fingerprinted relative to it.
    pub repo_root: Option<PathBuf>,
    /// Findings made outside the scan (a weakening `.phiguard.toml` change), added to the
    /// report before the baseline applies.
    pub extra: std::sync::Mutex<Vec<phiguard::model::Finding>>,
    /// The pre-commit hook, when phiguard's commit-msg hook prints the commit's summary line
    /// ([`pending`]).
    pub keep_summary: Option<pending::Keep>,
}

/// Where configuration comes from for this command.
pub struct Origin {
    pub repo_root: Option<PathBuf>,
    pub server_git_dir: Option<PathBuf>,
    /// The version of the repository whose `.phiguard.toml` applies (`None`: the work tree's).
    pub repo_files: Option<phiguard::config::RepoFiles>,
}

impl Origin {
    /// A client command: user config, then the work tree's `.phiguard.toml`.
    pub fn client(repo_root: Option<PathBuf>) -> Origin {
        Origin {
            repo_root,
            server_git_dir: None,
            repo_files: None,
        }
    }
}

impl Session {
    pub fn new(g: &Global, origin: Origin, context: Context) -> Result<Session> {
        let config = Config::load(&Sources {
            none: g.no_config,
            repo_root: origin.repo_root.clone(),
            server_git_dir: origin.server_git_dir.clone(),
            explicit: g.config.clone(),
            repo_files: origin.repo_files.clone(),
        })?;
        watchdog::arm_client(config.watchdog_ms)?;
        let baseline = match baseline_path(g, &origin, &config) {
            // `--range A..B` judged with A's configuration takes A's baseline too: a change
            // must not add the entries that excuse its own findings.
            Some(path) if g.baseline.is_none() && origin.server_git_dir.is_none() => {
                match &origin.repo_files {
                    Some(files) => Some((path, baseline_in(files, &config)?)),
                    None => {
                        let loaded = Baseline::load(&path)?;
                        Some((path, loaded))
                    }
                }
            }
            Some(path) => {
                let loaded = Baseline::load(&path)?;
                Some((path, loaded))
            }
            None => None,
        };
        let key = match (
            &config.fingerprint_key,
            baseline.as_ref().and_then(|b| b.1.as_ref()),
        ) {
            (Some(k), _) => k.clone(),
            (None, Some(b)) => match b.key() {
                Some(k) => k,
                None => anyhow::bail!(
                    "the baseline has no key and [report] fingerprint_key is not set: \
                     its hashes cannot be matched"
                ),
            },
            (None, None) => Key::random()?,
        };
        let policy = Policy {
            strict: g.strict || config.strict,
            test_paths: config.test_path_set.clone(),
            test_path_categories: config.test_path_categories.clone(),
        };
        Ok(Session {
            format: format(g.format)?,
            style: Style {
                color: use_color(g.color, g.format),
                quiet: g.quiet,
                min_severity: g.min_severity.map(severity),
                show_suppressed: g.show_suppressed || g.min_severity == Some(SeverityArg::Info),
                context,
                no_summary: false,
            },
            detect: DetectOptions {
                threads: config.threads,
                ..DetectOptions::default()
            },
            config,
            extra_rules: g.rules.clone(),
            db: std::sync::OnceLock::new(),
            policy,
            key,
            baseline,
            repo_root: origin.repo_root,
            extra: std::sync::Mutex::default(),
            keep_summary: None,
        })
    }

    /// For a report people read (the human format): a rule stops counting in a file after
    /// [`phiguard::model::COUNTED_BEFORE_STOP`] findings when the file blocks without the
    /// rest (a 100,000-row patient extract blocks in 0.07 s instead of 0.38). Not with a
    /// baseline, whose count entries need the exact totals; the machine formats, which
    /// promise every count, never stop.
    pub fn stop_counting_when_blocked(&mut self) {
        if self.format == Format::Human && !matches!(self.baseline, Some((_, Some(_)))) {
            self.detect.stop_after = Some(phiguard::model::COUNTED_BEFORE_STOP);
        }
    }

    /// The rules, compiled on first use.
    pub fn db(&self) -> Result<&RuleDb> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = build_db(&self.config, &self.extra_rules, false)?;
        Ok(self.db.get_or_init(|| db))
    }

    pub fn engine(&self) -> Result<Engine<'_>> {
        Ok(Engine {
            db: self.db()?,
            policy: &self.policy,
            detect: self.detect,
            fingerprint_key: &self.key,
        })
    }

    /// Scans `jobs`, planned in full, prints the report, returns the exit code.
    pub fn scan_and_report(&self, jobs: &[Job], repo: RepoAt, skipped: usize) -> Result<Exit> {
        let started = Instant::now();
        let report = self.planned_report(jobs, repo, skipped)?;
        self.finish(report, started)
    }

    /// The report of `jobs`, planned in full, with `skipped` paths the plan left out counted
    /// (not printed, no baseline applied).
    pub fn planned_report(&self, jobs: &[Job], repo: RepoAt, skipped: usize) -> Result<Report> {
        let mut report = self
            .report_of(&mut Planned::new(jobs), repo)?
            .unwrap_or_default();
        report.summary.skipped += skipped;
        report.summary.excluded += skipped;
        Ok(report)
    }

    /// The report of what `source` hands over (not printed, no baseline applied); `None` when
    /// the source abandoned its plan.
    pub fn report_of(&self, source: &mut dyn Source, repo: RepoAt) -> Result<Option<Report>> {
        let opts = RunOptions {
            repo,
            max_file_bytes: self.config.max_file_bytes,
            threads: self.config.threads,
            deadline: None,
        };
        phiguard::scan::drive(&|| self.engine(), &opts, source)
    }

    /// Walks and scans files and directories, prints the report, returns the exit code.
    pub fn scan_files(&self, roots: &[&std::path::Path]) -> Result<Exit> {
        let started = Instant::now();
        let report = self.files_report(roots)?;
        self.finish(report, started)
    }

    /// Walks and scans files and directories; the report, not printed, no baseline applied.
    pub fn files_report(&self, roots: &[&std::path::Path]) -> Result<Report> {
        let mut files = phiguard::source::files::Files {
            roots,
            paths: self.config.path_rules(),
            repo_root: self.repo_root.as_deref(),
            threads: self.config.threads,
        };
        Ok(self
            .report_of(&mut files, RepoAt::None)?
            .unwrap_or_default())
    }

    /// Moves what the repository's baseline covers out of the findings that count.
    pub fn apply_baseline(&self, report: &mut Report) {
        if let Some((_, Some(b))) = &self.baseline {
            b.apply(report);
        }
    }

    /// The commit-msg hook: scans the message and names `message_file` (where git keeps it)
    /// in the hint. In the human format a message with nothing to show prints nothing: the
    /// pre-commit hook's summary is the commit's one summary line (issue 24 §5).
    pub fn scan_message(
        &self,
        item: phiguard::source::Item,
        message_file: String,
        kept: Option<phiguard::model::Summary>,
    ) -> Result<Exit> {
        let started = Instant::now();
        let opts = RunOptions {
            repo: RepoAt::None,
            max_file_bytes: self.config.max_file_bytes,
            threads: 1,
            deadline: None,
        };
        let mut report = phiguard::scan::run(&self.engine()?, &[Job::Text(item)], &opts)?;
        report.message_file = Some(message_file);
        // The pre-commit hook's totals: this hook prints the commit's one summary line.
        let quiet_when_clean = match &kept {
            Some(k) if self.format == Format::Human => {
                pending::merge(&mut report.summary, k);
                false
            }
            _ => self.format == Format::Human,
        };
        self.finish_with(report, started, quiet_when_clean)
    }

    /// Stamps the wall time, prints the report and maps it to the exit code.
    fn finish(&self, report: Report, started: Instant) -> Result<Exit> {
        self.finish_with(report, started, false)
    }

    /// [`Session::finish`]; `quiet_when_clean`: print nothing when the report has nothing to
    /// show ([`report::human::nothing_to_show`]).
    fn finish_with(
        &self,
        mut report: Report,
        started: Instant,
        quiet_when_clean: bool,
    ) -> Result<Exit> {
        phiguard::weakening::add(
            &mut report,
            std::mem::take(&mut *self.extra.lock().unwrap_or_else(|p| p.into_inner())),
        );
        self.apply_baseline(&mut report);
        report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
        if quiet_when_clean && report::human::nothing_to_show(&report, &self.style) {
            return Ok(Exit::Clean);
        }
        let mut style = self.style;
        if let Some(keep) = &self.keep_summary
            && self.format == Format::Human
            && REPORT_PATH.get().is_none()
            && !report.blocks()
        {
            style.no_summary = pending::save(keep, &report.summary);
        }
        self.print(&report, style)?;
        let exit = if report.blocks() {
            Exit::Blocked
        } else {
            Exit::Clean
        };
        // The process ends right after: freeing thousands of findings would only cost time.
        std::mem::forget(report);
        Ok(exit)
    }

    /// Prints a server hook's report and decision (`report::push`).
    pub fn print_push(
        &self,
        report: &Report,
        decision: &phiguard::policy::push::PushDecision,
    ) -> Result<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut err = std::io::stderr();
        let written = report::push::write(
            report,
            decision,
            self.format,
            self.style,
            &mut out,
            &mut err,
        )
        .and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("writing the push decision"),
        }
    }

    /// Prints `report` in the session's format with `style` (the session's, or it with the
    /// summary line left out).
    fn print(&self, report: &Report, style: Style) -> Result<()> {
        let described;
        let report = if self.format == Format::Sarif && !report.findings.is_empty() {
            described = self.describe_rules(report)?;
            &described
        } else {
            report
        };
        if let Some(path) = REPORT_PATH.get() {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating the report {}", path.display()))?,
            );
            report::write(report, self.format, style, &mut file)
                .and_then(|()| file.flush())
                .with_context(|| format!("writing the report {}", path.display()))?;
            let mut human = style;
            human.color = false;
            let stderr = std::io::stderr();
            let _ = report::write(report, Format::Human, human, &mut stderr.lock());
            return Ok(());
        }
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let written =
            report::write(report, self.format, style, &mut out).and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("writing the report"),
        }
    }
}

/// `scan --report-path FILE`: the report in `--format` goes to FILE (the human report to
/// stderr), as gitleaks users expect.
pub static REPORT_PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

impl Session {
    /// A copy of `report` carrying each reported rule's own description (for SARIF).
    fn describe_rules(&self, report: &Report) -> Result<Report> {
        let db = self.db()?;
        let mut out = report.clone();
        let reported: std::collections::HashSet<&str> =
            report.findings.iter().map(|f| &*f.rule).collect();
        for rule in db.rules() {
            let id = rule.id();
            if reported.contains(id) {
                out.rule_meta.insert(
                    id.into(),
                    model::RuleMeta {
                        name: rule.spec.name.clone(),
                        message: rule
                            .spec
                            .message
                            .clone()
                            .unwrap_or_else(|| rule.spec.name.clone()),
                        severity: rule.severity,
                    },
                );
            }
        }
        Ok(out)
    }
}

/// The repository's baseline as `files` (a version of the repository: the base of
/// `--range`) holds it.
fn baseline_in(files: &phiguard::config::RepoFiles, config: &Config) -> Result<Option<Baseline>> {
    let rel = config.baseline.as_deref().unwrap_or(FILE_NAME);
    let Some(text) = files.read(rel)? else {
        return Ok(None);
    };
    Baseline::parse(&text)
        .map(Some)
        .map_err(|why| anyhow::anyhow!("{rel} in {}: {why}", files.label))
}

/// The baseline a command uses: on a server only `$GIT_DIR/phiguard-baseline` (a baseline
/// pushed with the code is the pusher's, not the admin's); on a client `--baseline FILE`, else
/// `[scan] baseline` (relative to the repository root), else `.phiguard-baseline` at the root.
fn baseline_path(g: &Global, origin: &Origin, config: &Config) -> Option<PathBuf> {
    if let Some(git_dir) = &origin.server_git_dir {
        return Some(git_dir.join(SERVER_FILE_NAME));
    }
    if let Some(file) = &g.baseline {
        return Some(file.clone());
    }
    let root = origin.repo_root.as_ref()?;
    Some(match &config.baseline {
        Some(b) => root.join(b),
        None => root.join(FILE_NAME),
    })
}

/// Built-in packs, then imports from config, then `--rules`, then inline custom rules.
/// `examples`: keep the built-in rules' examples (only `rules check` runs them).
pub fn build_db(config: &Config, extra: &[PathBuf], examples: bool) -> Result<RuleDb> {
    let mut b = if examples {
        RuleDbBuilder::builtin()?
    } else {
        RuleDbBuilder::builtin_for_scanning()?
    };
    for path in config.imports.iter().chain(extra) {
        let pack = load::from_file(path)?;
        for w in &pack.warnings {
            eprintln!("phiguard: warning: {w}");
        }
        b = b.pack(pack);
    }
    for (source, spec) in &config.custom {
        load::validate_spec(source, spec)?;
        b = b.pack(Pack {
            source: source.clone(),
            rules: vec![spec.clone()],
            warnings: Vec::new(),
        });
    }
    if let Some((source, re)) = &config.mrn_value_regex {
        b = b.pack(Pack {
            source: source.clone(),
            rules: vec![load::mrn_org_rule(re)?],
            warnings: Vec::new(),
        });
    }
    let mut selection = config.selection.clone();
    let user_rules = !extra.is_empty()
        || !config.imports.is_empty()
        || !config.custom.is_empty()
        || config.mrn_value_regex.is_some();
    selection.eager = user_rules;
    let db = b.select(selection, config.rules_origin()).build()?;
    if user_rules {
        db.compile_all()?;
    }
    Ok(db)
}

fn format(f: FormatArg) -> Result<Format> {
    Ok(match f {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Gcc => Format::Gcc,
        FormatArg::Csv => anyhow::bail!("--format csv is only for `audit export`"),
    })
}

fn severity(s: SeverityArg) -> Severity {
    match s {
        SeverityArg::Block => Severity::Block,
        SeverityArg::Warn => Severity::Warn,
        SeverityArg::Info => Severity::Info,
    }
}

/// Color is decided once: only for the human format, on a terminal, without `NO_COLOR`.
fn use_color(c: ColorArg, f: FormatArg) -> bool {
    let on = match c {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let on = on && f == FormatArg::Human;
    colored::control::set_override(on);
    on
}

/// Opens the repository the command runs in (`open_from_env`: `GIT_DIR`, `GIT_INDEX_FILE`,
/// the push quarantine). A SHA-256 repository, which libgit2 cannot read, is named as such
/// on the client as on the server, instead of "not in a git repository".
pub fn open_repo() -> Result<git2::Repository> {
    git2::Repository::open_from_env().map_err(|e| {
        if is_sha256(&e) {
            anyhow::Error::new(phiguard::source::refs::sha256_error())
        } else {
            anyhow::anyhow!("not in a git repository ({})", e.message())
        }
    })
}

/// Whether libgit2 refused a repository for its object format (SHA-256).
pub fn is_sha256(e: &git2::Error) -> bool {
    e.message().contains("objectformat") || e.message().contains("object format")
}

/// The work tree root of the repository around the current directory, if any.
pub fn discover_root() -> Option<PathBuf> {
    git2::Repository::open_from_env()
        .ok()
        .and_then(|r| r.workdir().map(PathBuf::from))
}
