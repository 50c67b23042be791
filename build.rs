//! Embeds every rule pack under `patterns/` into the binary, so a new pack needs no code
//! change: drop `patterns/<family>/<name>.toml` and rebuild.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// A pack's TOML as JSON without the keys only `rules check` reads: a scan parses it several
/// times faster than the TOML (and a third less of it).
fn scan_json(text: &str) -> Option<String> {
    let mut pack: toml::Table = toml::from_str(text).ok()?;
    if let Some(toml::Value::Array(rules)) = pack.get_mut("rules") {
        for rule in rules {
            if let toml::Value::Table(rule) = rule {
                rule.remove("examples");
                rule.remove("negative_examples");
            }
        }
    }
    serde_json::to_string(&pack).ok()
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let patterns = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    let mut files = Vec::new();
    collect(&patterns, &mut files);
    files.sort();
    let mut src = String::from("/// Built-in packs: (name relative to `patterns/`, TOML text).\n");
    src.push_str("pub static BUILTIN_PACKS: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(&patterns)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            src,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    src.push_str("];\n");
    src.push_str(
        "/// The same packs for scanning: as JSON, without `examples` and `negative_examples`.\n",
    );
    src.push_str("pub static BUILTIN_SCAN_PACKS: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file
            .strip_prefix(&patterns)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        // A malformed pack is left for the runtime parser (and its test) to report with
        // its line and rule; here it becomes an empty JSON object that cannot parse as a pack.
        let json = scan_json(&text).unwrap_or_else(|| "{\"malformed\": true}".to_owned());
        writeln!(src, "    ({rel:?}, {json:?}),").unwrap();
    }
    src.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_packs.rs");
    std::fs::write(out, src).unwrap();
}
