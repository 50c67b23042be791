//! The library's layering, enforced: every `crate::` path in `src/**/*.rs` may only reach a
//! module of a lower layer (or its own module). A cycle between rooms — detection asking the
//! rule compiler, policy borrowing a printer's helper — makes each one impossible to change
//! or test alone; this test names the file, the line and the edge the moment one appears.
//!
//! The layers, lowest first (README "Architecture" draws the same picture):
//!
//! ```text
//! error → lines, work, fingerprint, sanitize, glob, file → source, rules → model → detect
//!       → policy → report → scan → config, audit → selftest, lsp, install, fuzzing
//! ```
//!
//! The binary (`main.rs`, `cli.rs`, `cmd/`) sits on top and reaches the library as
//! `phiguard::`, so only the library's files are checked.

use std::path::{Path, PathBuf};

/// Each library module (the first segment after `crate::`) and its layer.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("lines", 1),
    ("work", 1),
    ("fingerprint", 1),
    ("sanitize", 1),
    ("glob", 1),
    ("file", 1),
    ("source", 2),
    ("rules", 2),
    ("model", 3),
    ("detect", 4),
    ("policy", 5),
    ("report", 6),
    ("scan", 7),
    ("config", 8),
    ("audit", 7),
    ("weakening", 9),
    ("selftest", 9),
    ("lsp", 9),
    ("install", 9),
    ("fuzzing", 9),
];

/// Files of the binary crate: `crate::` there means the binary, not the library.
const BINARY: &[&str] = &["main", "cli", "cmd"];

/// Re-exports at the crate root (`lib.rs`'s `pub use error::…`), which resolve to their module.
const ROOT_ALIASES: &[(&str, &str)] = &[
    ("Error", "error"),
    ("ErrorKind", "error"),
    ("Result", "error"),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, l)| l)
}

/// The top-level module a source file belongs to (`src/detect/db.rs` → `detect`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line: nothing after `//` (comments and doc comments name modules of every
/// layer in prose and links, which is no dependency). A `//` inside a string literal also
/// cuts the line, which can only hide an edge in a string — never a real one in a `use`.
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// The module names a piece of code reaches through `crate::`: `crate::a::b` gives `a`,
/// `crate::{a::X, b}` gives `a` and `b` (the group may span lines: `text` is the whole file).
fn targets(text: &str) -> Vec<(usize, String)> {
    let code: Vec<&str> = text.lines().map(code).collect();
    let mut out = Vec::new();
    for (n, line) in code.iter().enumerate() {
        let mut rest = *line;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            // `phiguard_crate::` or `$crate::` are not this crate's root.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // Collect the group up to its closing brace, across lines if needed.
                let mut body = group.to_string();
                let mut next = n + 1;
                while depth(&body) > 0 && next < code.len() {
                    body.push_str(code[next]);
                    next += 1;
                }
                for item in top_level_items(&body) {
                    out.push((n + 1, ident(item)));
                }
            } else {
                out.push((n + 1, ident(rest)));
            }
        }
    }
    out.retain(|(_, m)| !m.is_empty() && m != "self" && m != "super");
    out
}

/// Braces still open in `body` (which starts just inside a group's `{`).
fn depth(body: &str) -> i32 {
    1 + body.matches('{').count() as i32 - body.matches('}').count() as i32
}

/// The comma-separated items of a group's first level (`a::{X, Y}, b` → `a::{X, Y}`, `b`).
fn top_level_items(body: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut level, mut start) = (0, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' => level += 1,
            '}' if level == 0 => {
                items.push(&body[start..i]);
                return items;
            }
            '}' => level -= 1,
            ',' if level == 0 => {
                items.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    items
}

fn ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn library_modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    for file in &files {
        let from = module_of(&src, file);
        if BINARY.contains(&from.as_str()) || from == "lib" {
            continue;
        }
        let Some(own) = layer(&from) else {
            upward.push(format!("{}: module `{from}` has no layer", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read");
        for (line, to) in targets(&text) {
            let to = ROOT_ALIASES
                .iter()
                .find(|(alias, _)| *alias == to)
                .map_or(to.as_str(), |&(_, m)| m);
            if to == from {
                continue;
            }
            match layer(to) {
                Some(l) if l < own => {}
                Some(_) => upward.push(format!(
                    "{}:{line}: {from} (layer {own}) uses crate::{to} (layer {})",
                    file.display(),
                    layer(to).unwrap_or_default()
                )),
                None => upward.push(format!(
                    "{}:{line}: crate::{to} is no module with a layer",
                    file.display()
                )),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "upward or unknown edges:\n{}",
        upward.join("\n")
    );
}

/// The parser itself: a group over several lines, nested groups, comments and look-alikes.
#[test]
fn layering_parser_reads_groups_and_skips_comments() {
    let text = "use crate::{\n    detect::{A, B},\n    report::C,\n};\n\
                // use crate::scan::X;\n\
                let x = crate::policy::f(); // crate::cmd\n\
                macro_rules! m { () => { $crate::lsp::g() } }\n\
                use crate::Result;\n";
    let got: Vec<(usize, String)> = targets(text);
    let want: Vec<(usize, String)> = [(1, "detect"), (1, "report"), (6, "policy"), (8, "Result")]
        .into_iter()
        .map(|(l, m)| (l, m.to_string()))
        .collect();
    assert_eq!(got, want);
}
