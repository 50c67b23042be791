//! Reading packs: the built-in ones embedded at build time, and extra ones from files.

use super::model::{KeywordRole, PackFile, RuleSpec};
use crate::error::{Error, Result};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_packs.rs"));

/// A pack after parsing: where it came from and its rules.
#[derive(Debug, Clone)]
pub struct Pack {
    /// `<builtin>/phi/ssn.toml`, or the file path as given.
    pub source: String,
    /// The rules in file order.
    pub rules: Vec<RuleSpec>,
    /// What could not be honoured while reading the pack (a gitleaks feature phiguard lacks):
    /// printed to stderr, never silently dropped. Empty for native packs.
    pub warnings: Vec<String>,
}

/// Parses every built-in pack.
///
/// # Errors
///
/// Only if a built-in pack is malformed, which the test suite rules out.
pub fn builtin() -> Result<Vec<Pack>> {
    BUILTIN_PACKS
        .iter()
        .map(|(name, text)| parse(&format!("<builtin>/{name}"), text))
        .collect()
}

/// Parses every built-in pack for scanning: the same rules as [`builtin`] without their
/// examples, from JSON that the build script derived from the TOML. A hook's start-up time is
/// mostly rule loading, and this is several times faster than parsing the TOML.
///
/// # Errors
///
/// Only if a built-in pack is malformed, which the test suite rules out.
pub fn builtin_for_scanning() -> Result<Vec<Pack>> {
    BUILTIN_SCAN_PACKS
        .iter()
        .map(|(name, json)| {
            let source = format!("<builtin>/{name}");
            let file: PackFile =
                serde_json::from_str(json).map_err(|e| Error::rules(&source, e.to_string()))?;
            checked(source, file)
        })
        .collect()
}

/// Largest rule pack read: gitleaks' own configuration, the largest known, is about 100 KB.
pub const MAX_PACK_BYTES: u64 = 8 << 20;

/// Reads and parses a pack file (a regular file of at most [`MAX_PACK_BYTES`]): a phiguard pack, or a gitleaks configuration (detected by
/// its `regex` keys, see [`super::gitleaks`]) converted into one.
///
/// # Errors
///
/// When the file cannot be read, is not valid TOML, has unknown keys or an invalid rule.
pub fn from_file(path: &Path) -> Result<Pack> {
    let text = read_text(path, MAX_PACK_BYTES)?;
    if super::gitleaks::looks_like(&text) {
        return super::gitleaks::convert(&path.display().to_string(), &text);
    }
    parse(&path.display().to_string(), &text)
}

/// Parses pack text; `source` names it in errors.
///
/// # Errors
///
/// When the text is not a valid pack (see [`validate_spec`]).
pub fn parse(source: &str, text: &str) -> Result<Pack> {
    let file: PackFile = toml::from_str(text).map_err(|e| parse_error(source, text, &e))?;
    checked(source.to_owned(), file)
}

/// A parsed native pack, once every rule in it is valid.
fn checked(source: String, file: PackFile) -> Result<Pack> {
    for spec in &file.rules {
        validate_spec(&source, spec)?;
    }
    Ok(Pack {
        source,
        rules: file.rules,
        warnings: Vec::new(),
    })
}

/// Turns a TOML error into one that names the line, the rule (the `[[rules]]` table the error
/// sits in) and the key, without quoting file content.
fn parse_error(source: &str, text: &str, e: &toml::de::Error) -> Error {
    let Some(span) = e.span() else {
        return Error::rules(source, e.message().trim());
    };
    let message = format!("line {}: {}", line_of(text, span.start), e.message().trim());
    match rule_id_before(text, span.start) {
        Some(id) => Error::rule(source, id, unknown_key(e.message()), message),
        None => Error::rules(source, message),
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() + 1
}

/// The key named by serde's "unknown field `x`" message.
pub(crate) fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.split("unknown field `").nth(1)?;
    rest.split('`').next()
}

/// The `id` of the `[[rules]]` table that contains `offset`, if it is written before it.
fn rule_id_before(text: &str, offset: usize) -> Option<String> {
    let head = &text[..offset.min(text.len())];
    let table = head.rfind("[[rules]]")?;
    let body = &text[table..];
    let body = &body[..body[9..].find("[[rules").map_or(body.len(), |i| i + 9)];
    body.lines().find_map(|line| {
        let rest = line
            .trim_start()
            .strip_prefix("id")?
            .trim_start()
            .strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').trim_matches('\'').to_owned())
    })
}

/// Checks what serde cannot: id syntax, keyword sanity, bounds.
///
/// # Errors
///
/// Names the source, the rule and the key at fault.
pub fn validate_spec(source: &str, spec: &RuleSpec) -> Result<()> {
    let id = &spec.id;
    let bad = |key: &str, msg: String| Err(Error::rule(source, id.clone(), Some(key), msg));
    let id_ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !id_ok {
        return bad(
            "id",
            "use lowercase letters, digits, '.', '_' and '-'".into(),
        );
    }
    if spec.keyword_role == KeywordRole::Required
        && spec.keywords.is_empty()
        && spec.min_digits == 0
    {
        return bad(
            "keywords",
            "a rule needs keywords, or keyword_role = \"booster\" with a min_digits gate \
             (a rule that runs on every line must say so)"
                .into(),
        );
    }
    if let Some(k) = spec.keywords.iter().find(|k| k.trim().len() < 2) {
        return bad(
            "keywords",
            format!("keyword {k:?} is shorter than 2 characters"),
        );
    }
    if spec.reveal_prefix > 4 {
        return bad(
            "reveal_prefix",
            "at most 4 characters may be revealed".into(),
        );
    }
    if let Some(e) = spec.entropy
        && !(0.0..=8.0).contains(&e)
    {
        return bad("entropy", "entropy is in bits per byte, 0.0 to 8.0".into());
    }
    Ok(())
}

/// The `phi.mrn.org` rule for `[rules.mrn] value_regex`: the built-in `phi.mrn` rule
/// (`patterns/phi/mrn.toml`) with the organisation's value format, which need not look like
/// the generic 5–12 digit MRN, in place of its value. The label, keywords, severity and
/// co-location stay the pack's: the rule is defined once, as data (a copy of the label in
/// code had drifted from the pack).
///
/// # Errors
///
/// When the built-in packs do not load or `phi.mrn` has no `(?P<value>` group.
pub fn mrn_org_rule(value_regex: &str) -> Result<RuleSpec> {
    let mrn = builtin_for_scanning()?
        .into_iter()
        .flat_map(|p| p.rules)
        .find(|r| r.id == "phi.mrn")
        .ok_or_else(|| Error::rules("<builtin>", "no phi.mrn rule to derive phi.mrn.org from"))?;
    let label = mrn
        .pattern
        .find("(?P<value>")
        .map(|at| &mrn.pattern[..at])
        .ok_or_else(|| Error::rule("<builtin>", "phi.mrn", Some("pattern"), "no value group"))?;
    Ok(RuleSpec {
        id: "phi.mrn.org".to_owned(),
        name: "Medical record number (organisation format)".to_owned(),
        pattern: format!(r"{label}(?P<value>(?:{value_regex}))\b"),
        validator: Some("mrn_org".to_owned()),
        message: Some("Medical record number in the organisation's MRN format".to_owned()),
        value_group: None,
        min_digits: 0,
        line_gate: None,
        line_filter: None,
        span_lines: None,
        reveal_prefix: 0,
        entropy: None,
        allow: Vec::new(),
        path: None,
        enabled: true,
        report: true,
        examples: Vec::new(),
        negative_examples: Vec::new(),
        ..mrn
    })
}

/// Reads a configuration (or rule pack) file as UTF-8 text: only a regular file (a FIFO would
/// block forever, `/dev/zero` never ends), at most `max_bytes`. Every error names `path`.
///
/// # Errors
///
/// Not a regular file, larger than `max_bytes`, unreadable, or not UTF-8.
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String> {
    let fail = |m: String| Error::config(path, m);
    let bytes = crate::file::read_bounded(path, max_bytes).map_err(|e| fail(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| fail("not valid UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON a scan reads holds exactly the TOML's rules, examples aside.
    #[test]
    fn scanning_packs_equal_the_toml_without_examples() {
        let full = builtin().expect("built-in TOML packs parse");
        let scan = builtin_for_scanning().expect("built-in scan packs parse");
        assert_eq!(full.len(), scan.len());
        assert!(full.len() > 10, "every pack is embedded");
        for (f, s) in full.iter().zip(&scan) {
            assert_eq!(f.source, s.source);
            let without_examples: Vec<RuleSpec> = f
                .rules
                .iter()
                .cloned()
                .map(|mut r| {
                    r.examples.clear();
                    r.negative_examples.clear();
                    r
                })
                .collect();
            assert_eq!(
                serde_json::to_value(&without_examples).expect("serializes"),
                serde_json::to_value(&s.rules).expect("serializes"),
                "{}",
                f.source
            );
            assert!(s.rules.iter().all(|r| r.examples.is_empty()));
        }
    }
}
