//! `phiguard rules list | check`.

use super::{Exit, build_db, discover_root};
use crate::cli::{FormatArg, Global, RulesCommand};
use anyhow::{Result, bail};
use phiguard::config::{Config, Sources};
use phiguard::detect::DetectOptions;
use phiguard::detect::RuleDbBuilder;
use phiguard::report::Format;
use phiguard::rules;

pub fn run(g: &Global, cmd: &RulesCommand) -> Result<Exit> {
    match cmd {
        RulesCommand::List => list(g),
        RulesCommand::Check { files } => check(g, files),
    }
}

fn load_config(g: &Global) -> Result<Config> {
    Ok(Config::load(&Sources {
        none: g.no_config,
        repo_root: discover_root(),
        explicit: g.config.clone(),
        ..Sources::default()
    })?)
}

fn list(g: &Global) -> Result<Exit> {
    let config = load_config(g)?;
    let db = build_db(&config, &g.rules, false)?;
    let format = match g.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        _ => bail!("`phiguard rules list` writes a table, or JSON with --format json"),
    };
    let mut out = std::io::stdout().lock();
    phiguard::report::rules::write_list(&db, format, &mut out)?;
    Ok(Exit::Clean)
}

fn check(g: &Global, files: &[std::path::PathBuf]) -> Result<Exit> {
    let db = if files.is_empty() && g.rules.is_empty() {
        let config = load_config(g)?;
        build_db(&config, &[], true)?
    } else {
        let mut b = RuleDbBuilder::new();
        for f in files.iter().chain(&g.rules) {
            b = b.pack(rules::load::from_file(f)?);
        }
        b.build()?
    };
    let mut failures = phiguard::selftest::check(&db, DetectOptions::default())?;
    failures.extend(phiguard::selftest::check(
        &db,
        DetectOptions {
            prefilter: false,
            ..DetectOptions::default()
        },
    )?);
    failures.sort_by(|a, b| (&a.rule, a.what, a.index).cmp(&(&b.rule, b.what, b.index)));
    failures.dedup();
    let examples: usize = db
        .rules()
        .iter()
        .map(|r| r.spec.examples.len() + r.spec.negative_examples.len())
        .sum();
    for f in &failures {
        println!("FAIL {f}");
    }
    let without = db
        .rules()
        .iter()
        .filter(|r| r.spec.report && r.spec.examples.is_empty())
        .count();
    println!(
        "{} rules, {examples} examples: {} failure(s){}",
        db.rules().len(),
        failures.len(),
        if without > 0 {
            format!(", {without} rule(s) without examples")
        } else {
            String::new()
        }
    );
    Ok(if failures.is_empty() && without == 0 {
        Exit::Clean
    } else {
        Exit::Blocked
    })
}
