//! `phiguard config show`: the resolved configuration and where each value came from.

use super::{Exit, discover_root};
use crate::cli::Global;
use anyhow::Result;
use phiguard::config::{Config, Sources};

pub fn show(g: &Global) -> Result<Exit> {
    let c = Config::load(&Sources {
        none: g.no_config,
        repo_root: discover_root(),
        explicit: g.config.clone(),
        ..Sources::default()
    })?;
    let from = |key: &str| {
        c.origin
            .get(key)
            .map_or("default".to_owned(), |s| s.clone())
    };
    println!(
        "# files read (in order): {}",
        if c.files.is_empty() {
            "none".into()
        } else {
            c.files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!("[scan]");
    println!("exclude = {:?}  # {}", c.exclude, from("scan.exclude"));
    println!(
        "max_file_bytes = {}  # {}",
        c.max_file_bytes,
        from("scan.max_file_bytes")
    );
    println!(
        "test_paths = {:?}  # {}",
        c.test_paths,
        from("scan.test_paths")
    );
    let categories: Vec<&str> = c.test_path_categories.iter().map(|k| k.as_str()).collect();
    println!(
        "test_path_categories = {categories:?}  # {}",
        from("scan.test_path_categories")
    );
    println!("strict = {}  # {}", c.strict, from("scan.strict"));
    println!("threads = {}  # {}", c.threads, from("scan.threads"));
    println!(
        "baseline = {:?}  # {}",
        c.baseline
            .as_deref()
            .unwrap_or(phiguard::policy::baseline::FILE_NAME),
        from("scan.baseline")
    );
    println!(
        "watchdog_ms = {}  # {}",
        c.watchdog_ms,
        from("scan.watchdog_ms")
    );
    println!("[rules]  # {}", from("rules"));
    println!("disable = {:?}", c.selection.disable);
    println!("enable = {:?}", c.selection.enable);
    println!("severity = {:?}", c.selection.severity);
    println!("import = {:?}", c.imports);
    println!(
        "custom = {:?}",
        c.custom.iter().map(|(_, r)| &r.id).collect::<Vec<_>>()
    );
    println!("[server]  # {}", from("server"));
    println!("budget_ms = {}", c.server.budget_ms.unwrap_or(4000));
    println!("audit_log = {:?}", c.server.audit_log);
    println!("fail_open = {}", c.server.fail_open.unwrap_or(false));
    println!("audit_rotate_bytes = {:?}", c.server.audit_rotate_bytes);
    let on = |v: Option<phiguard::policy::OnUnscanned>| match v.unwrap_or_default() {
        phiguard::policy::OnUnscanned::Block => "block",
        phiguard::policy::OnUnscanned::Pass => "pass",
    };
    println!("oversize = {:?}", on(c.server.oversize));
    println!("unscannable = {:?}", on(c.server.unscannable));
    println!(
        "# {} [[policy]] section(s)  # {}",
        c.policies.len(),
        from("policy")
    );
    println!("[report]");
    println!(
        "fingerprint_key = {}  # {}",
        if c.origin.contains_key("report.fingerprint_key") {
            "(set)"
        } else {
            "(not set: the baseline's key, else one per run)"
        },
        from("report.fingerprint_key")
    );
    Ok(Exit::Clean)
}
