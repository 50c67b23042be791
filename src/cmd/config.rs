//! `phiguard config show`: the resolved configuration and where each value came from, written
//! by [`phiguard::report::settings`] as TOML that loads back as the same configuration (or as
//! JSON with `--format json`).

use super::{Exit, discover_root};
use crate::cli::{FormatArg, Global};
use anyhow::{Context as _, Result, bail};
use phiguard::config::{Config, Sources};
use phiguard::report::{Format, settings::Settings};
use serde::Serialize;
use std::io::Write;
use toml::{Table, Value};

pub fn show(g: &Global) -> Result<Exit> {
    let format = match g.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        _ => bail!("`phiguard config show` writes TOML, or JSON with --format json"),
    };
    let c = Config::load(&Sources {
        none: g.no_config,
        repo_root: discover_root(),
        explicit: g.config.clone(),
        ..Sources::default()
    })?;
    let settings = settings(&c)?;
    let mut out = std::io::stdout().lock();
    phiguard::report::settings::write(&settings, format, &mut out)?;
    out.flush()?;
    Ok(Exit::Clean)
}

/// A value as TOML (serde's shape: what the configuration file takes).
fn value(v: impl Serialize) -> Result<Value> {
    Value::try_from(v).context("internal: a configuration value has no TOML form")
}

/// The resolved configuration as a `ConfigFile`-shaped document: every key the resolution
/// settled, unset optional keys left out, the fingerprint key withheld.
fn settings(c: &Config) -> Result<Settings> {
    let mut scan = Table::new();
    scan.insert("exclude".into(), value(&c.exclude)?);
    scan.insert("max_file_bytes".into(), value(c.max_file_bytes)?);
    scan.insert("test_paths".into(), value(&c.test_paths)?);
    scan.insert(
        "test_path_categories".into(),
        value(&c.test_path_categories)?,
    );
    scan.insert("strict".into(), value(c.strict)?);
    scan.insert("threads".into(), value(c.threads)?);
    let baseline = c
        .baseline
        .as_deref()
        .unwrap_or(phiguard::policy::baseline::FILE_NAME);
    scan.insert("baseline".into(), value(baseline)?);
    scan.insert("watchdog_ms".into(), value(c.watchdog_ms)?);

    let mut rules = Table::new();
    rules.insert("disable".into(), value(&c.selection.disable)?);
    rules.insert("enable".into(), value(&c.selection.enable)?);
    rules.insert("severity".into(), value(&c.selection.severity)?);
    rules.insert("import".into(), value(&c.imports)?);
    let custom: Vec<_> = c.custom.iter().map(|(_, spec)| spec).collect();
    rules.insert("custom".into(), value(custom)?);
    if let Some((_, regex)) = &c.mrn_value_regex {
        let mut mrn = Table::new();
        mrn.insert("value_regex".into(), value(regex)?);
        rules.insert("mrn".into(), Value::Table(mrn));
    }

    let s = &c.server;
    let mut server = Table::new();
    server.insert("budget_ms".into(), value(s.budget_ms.unwrap_or(4000))?);
    if let Some(log) = &s.audit_log {
        server.insert("audit_log".into(), value(log)?);
    }
    server.insert("fail_open".into(), value(s.fail_open.unwrap_or(false))?);
    if let Some(bytes) = s.audit_rotate_bytes {
        server.insert("audit_rotate_bytes".into(), value(bytes)?);
    }
    if let Some(period) = s.audit_rotate {
        server.insert("audit_rotate".into(), value(period.as_str())?);
    }
    server.insert("oversize".into(), value(s.oversize.unwrap_or_default())?);
    server.insert(
        "unscannable".into(),
        value(s.unscannable.unwrap_or_default())?,
    );
    server.insert("lfs".into(), value(s.lfs.unwrap_or_default())?);

    let mut doc = Table::new();
    doc.insert("scan".into(), Value::Table(scan));
    doc.insert("rules".into(), Value::Table(rules));
    doc.insert("server".into(), Value::Table(server));
    doc.insert("report".into(), Value::Table(Table::new()));
    if !c.policies.is_empty() {
        doc.insert("policy".into(), value(&c.policies)?);
    }
    let mut withheld = Vec::new();
    if c.origin.contains_key("report.fingerprint_key") {
        withheld.push((
            "report.fingerprint_key".to_owned(),
            "set, not shown (it keys every fingerprint)".to_owned(),
        ));
    }
    Ok(Settings {
        files: c.files.iter().map(|p| p.display().to_string()).collect(),
        doc,
        origin: c
            .origin
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        withheld,
    })
}
