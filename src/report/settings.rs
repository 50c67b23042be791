//! `config show`: the resolved configuration as a TOML document that loads back as the same
//! configuration (`phiguard --config FILE`), each value commented with where it came from;
//! or, with `--format json`, the same document and origins as JSON.

use super::Format;
use crate::sanitize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// A resolved configuration, as data the printer needs: no paths to resolve, no defaults to
/// know.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The files read, in layer order.
    pub files: Vec<String>,
    /// The document: one table per `[section]`; arrays of tables (`[[policy]]`) are written
    /// after every plain section.
    pub doc: toml::Table,
    /// Where a `section.key` (or a whole `section`) came from; absent: the default.
    pub origin: BTreeMap<String, String>,
    /// Keys set but not shown, with why (`report.fingerprint_key`: a secret).
    pub withheld: Vec<(String, String)>,
}

/// Writes `settings` as commented TOML (the human format) or as one JSON document.
///
/// # Errors
///
/// I/O errors of `w`; an output format that is neither human nor JSON is the caller's to
/// refuse.
pub fn write(settings: &Settings, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => json(settings, w),
        _ => toml_doc(settings, w),
    }
}

fn json(s: &Settings, w: &mut dyn Write) -> io::Result<()> {
    let withheld: BTreeMap<&str, &str> = s
        .withheld
        .iter()
        .map(|(k, why)| (k.as_str(), why.as_str()))
        .collect();
    let doc = serde_json::json!({
        "files": s.files,
        "config": s.doc,
        "origin": s.origin,
        "withheld": withheld,
    });
    super::write_pretty_json(w, &doc)
}

/// `# from FILE` or `# default`, escaped (a comment must not hold a control character).
fn from(s: &Settings, key: &str) -> String {
    match s.origin.get(key) {
        Some(file) => format!("# from {}", sanitize::display_str(file)),
        None => "# default".to_owned(),
    }
}

fn toml_doc(s: &Settings, w: &mut dyn Write) -> io::Result<()> {
    let files = if s.files.is_empty() {
        "none".to_owned()
    } else {
        let shown: Vec<String> = s.files.iter().map(|f| sanitize::display_str(f)).collect();
        shown.join(", ")
    };
    writeln!(w, "# phiguard config show: the resolved configuration.")?;
    writeln!(w, "# files read (in order): {files}")?;
    let mut arrays = Vec::new();
    for (name, value) in &s.doc {
        match value {
            toml::Value::Table(table) => {
                match s.origin.get(name.as_str()) {
                    Some(_) => writeln!(w, "\n[{name}]  {}", from(s, name))?,
                    None => writeln!(w, "\n[{name}]")?,
                }
                for (key, value) in table {
                    let path = format!("{name}.{key}");
                    let origin = if s.origin.contains_key(&path) {
                        from(s, &path)
                    } else {
                        from(s, name)
                    };
                    writeln!(w, "{key} = {value}  {origin}")?;
                }
                for (key, why) in s.withheld.iter().filter(|(k, _)| {
                    k.split_once('.')
                        .is_some_and(|(section, _)| section == name)
                }) {
                    writeln!(w, "# {key}: {why}  {}", from(s, key))?;
                }
            }
            toml::Value::Array(items) => arrays.push((name, items)),
            other => writeln!(w, "{name} = {other}")?,
        }
    }
    for (name, items) in arrays {
        for (i, item) in items.iter().enumerate() {
            let origin = from(s, name).replacen("# ", ", ", 1);
            writeln!(w, "\n[[{name}]]  # #{}{origin}", i + 1)?;
            if let toml::Value::Table(table) = item {
                for (key, value) in table {
                    writeln!(w, "{key} = {value}")?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Settings {
        let doc: toml::Table = toml::from_str(
            "[scan]\nexclude = [\"a\\\"b\", \"c\"]\nmax_file_bytes = 5\n\
             [rules]\nseverity = { \"phi.ssn\" = \"warn\" }\n\
             [[policy]]\nrefs = [\"refs/heads/main\"]\n[[policy]]\nbypass = [\"bot\"]\n",
        )
        .unwrap();
        Settings {
            files: vec!["a\u{1b}[2J.toml".to_owned()],
            doc,
            origin: [("scan.max_file_bytes".to_owned(), "x\ny.toml".to_owned())].into(),
            withheld: vec![("scan.secret".to_owned(), "(set; not shown)".to_owned())],
        }
    }

    #[test]
    fn settings_toml_parses_back_to_the_same_document() {
        let s = sample();
        let mut out = Vec::new();
        write(&s, Format::Human, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let back: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, s.doc, "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "control characters escaped: {text}"
        );
        assert!(text.contains("# scan.secret: (set; not shown)"), "{text}");
    }

    #[test]
    fn settings_json_holds_the_document_and_origins() {
        let s = sample();
        let mut out = Vec::new();
        write(&s, Format::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["config"]["scan"]["max_file_bytes"], 5);
        assert_eq!(v["config"]["policy"][1]["bypass"][0], "bot");
        assert_eq!(v["origin"]["scan.max_file_bytes"], "x\ny.toml");
        assert_eq!(v["withheld"]["scan.secret"], "(set; not shown)");
    }
}
