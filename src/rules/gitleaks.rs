//! Reading a gitleaks configuration (`gitleaks.toml`) as an extra pack, so a team keeps the
//! custom rules it already has (detectors.md §6, "Compatibility").
//!
//! gitleaks rules are `[[rules]]` tables with `regex` (Go RE2) instead of `pattern`. Each one
//! becomes a [`RuleSpec`]: id `gitleaks.<id>` (lowercased, other characters turned into `-`,
//! so imported ids never collide with built-in `secret.*` ones), category `secret`, severity
//! `block`. What phiguard cannot honour is never dropped silently: the rule (or the field) is
//! skipped and [`Pack::warnings`] says which rule and why.
//!
//! | gitleaks | phiguard |
//! |---|---|
//! | `regex` | `pattern` (RE2 → `regex`: `\Q…\E` quoted; lookaround, backreferences, `\C` unsupported) |
//! | `secretGroup` | the n-th capture group becomes `(?P<value>…)`; without it, group 1 if any |
//! | `entropy`, `keywords`, `path` | same keys; no keywords → `booster` (runs on every added line) |
//! | `allowlist(s).regexes` / `stopwords` | `allow` (over the secret; other `regexTarget`s unsupported) |
//! | `allowlist(s).paths`, `commits`, `condition = "AND"` | unsupported (warning) |
//! | top-level `[allowlist]` / `[[allowlists]]` | merged into every rule's `allow` |
//! | `[extend] useDefault` | phiguard's built-in packs already stand in; warning |
//! | path-only rules, `[[rules.required]]` | skipped (warning) |

use super::load::{Pack, validate_spec};
use super::model::{Category, Colocation, KeywordRole, RuleSpec, Severity};
use crate::error::{Error, Result};
use toml::{Table, Value};

#[cfg(test)]
mod tests;

/// Whether `text` is a gitleaks configuration rather than a phiguard pack: a `[[rules]]`
/// table with `regex` and no `pattern`, or gitleaks' top-level keys.
pub fn looks_like(text: &str) -> bool {
    let Ok(table) = text.parse::<Table>() else {
        return false;
    };
    let top = ["title", "extend", "allowlist", "allowlists"]
        .iter()
        .any(|k| table.contains_key(*k));
    let rules = table.get("rules").and_then(Value::as_array);
    let gitleaks_rule = rules.is_some_and(|rs| {
        rs.iter().filter_map(Value::as_table).any(|r| {
            !r.contains_key("pattern") && (r.contains_key("regex") || r.contains_key("path"))
        })
    });
    gitleaks_rule || (top && rules.is_none_or(|rs| rs.is_empty()))
}

/// Converts a gitleaks configuration into a pack.
///
/// # Errors
///
/// When the text is not TOML, or a rule has no `id` or a key of the wrong type.
pub fn convert(source: &str, text: &str) -> Result<Pack> {
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| Error::rules(source, e.message().trim().to_owned()))?;
    let mut warnings = Vec::new();
    let global = global_allow(source, &table, &mut warnings)?;
    let mut rules = Vec::new();
    let empty = Vec::new();
    let list = match table.get("rules") {
        None => &empty,
        Some(v) => v
            .as_array()
            .ok_or_else(|| Error::rules(source, "`rules` must be an array of tables"))?,
    };
    for (i, value) in list.iter().enumerate() {
        let rule = value
            .as_table()
            .ok_or_else(|| Error::rules(source, format!("rule #{} is not a table", i + 1)))?;
        if let Some(spec) = convert_rule(source, rule, &global, &mut warnings)? {
            validate_spec(source, &spec)?;
            rules.push(spec);
        }
    }
    Ok(Pack {
        source: source.to_owned(),
        rules,
        warnings,
    })
}

/// Top-level `[extend]`, `[allowlist]` and `[[allowlists]]`: the allow regexes every rule
/// gets; warnings for what has no phiguard equivalent.
fn global_allow(source: &str, table: &Table, warnings: &mut Vec<String>) -> Result<Vec<String>> {
    if let Some(extend) = table.get("extend").and_then(Value::as_table) {
        if extend.get("useDefault").and_then(Value::as_bool) == Some(true) {
            warnings.push(format!(
                "{source}: [extend] useDefault: gitleaks' default rules are not imported; \
                 phiguard's built-in secret packs stand in for them"
            ));
        }
        for key in ["path", "url", "disabledRules"] {
            if extend.contains_key(key) {
                warnings.push(format!(
                    "{source}: [extend] {key} is not supported; ignored"
                ));
            }
        }
    }
    let mut allow = Vec::new();
    for list in allowlists(table, "allowlist", "allowlists") {
        allow.extend(allowlist(source, "global allowlist", list, warnings)?);
    }
    Ok(allow)
}

/// The allowlist tables under `single` (one table) and `many` (an array of tables).
fn allowlists<'a>(table: &'a Table, single: &str, many: &str) -> Vec<&'a Table> {
    let mut out: Vec<&Table> = table
        .get(single)
        .and_then(Value::as_table)
        .into_iter()
        .collect();
    if let Some(arr) = table.get(many).and_then(Value::as_array) {
        out.extend(arr.iter().filter_map(Value::as_table));
    }
    out
}

/// One allowlist: its regexes and stopwords as phiguard `allow` regexes over the value.
fn allowlist(
    source: &str,
    owner: &str,
    list: &Table,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    let mut allow = Vec::new();
    let target = list
        .get("regexTarget")
        .and_then(Value::as_str)
        .unwrap_or("secret");
    let regexes = strings(source, owner, list, "regexes")?;
    if target == "secret" {
        for re in regexes {
            match translate(&re) {
                Ok(p) => allow.push(p),
                Err(why) => {
                    warnings.push(format!("{source}: {owner}: allowlist regex skipped: {why}"))
                }
            }
        }
    } else if !regexes.is_empty() {
        warnings.push(format!(
            "{source}: {owner}: allowlist regexTarget = \"{target}\" is not supported \
             (phiguard allow regexes see only the secret); those regexes are ignored"
        ));
    }
    for word in strings(source, owner, list, "stopwords")? {
        allow.push(format!("(?i){}", regex::escape(&word)));
    }
    for key in ["paths", "commits"] {
        if list.contains_key(key) {
            warnings.push(format!(
                "{source}: {owner}: allowlist {key} is not supported; use phiguard's \
                 [scan] exclude or a baseline instead"
            ));
        }
    }
    if list.get("condition").and_then(Value::as_str) == Some("AND") {
        warnings.push(format!(
            "{source}: {owner}: allowlist condition = \"AND\" is not supported; its parts \
             are applied separately (OR), which allows more"
        ));
    }
    Ok(allow)
}

/// A string array key, or an error naming it.
fn strings(source: &str, owner: &str, t: &Table, key: &str) -> Result<Vec<String>> {
    let Some(v) = t.get(key) else {
        return Ok(Vec::new());
    };
    let arr = v.as_array().ok_or_else(|| {
        Error::rules(
            source,
            format!("{owner}: `{key}` must be an array of strings"),
        )
    })?;
    arr.iter()
        .map(|x| {
            x.as_str().map(str::to_owned).ok_or_else(|| {
                Error::rules(
                    source,
                    format!("{owner}: `{key}` must be an array of strings"),
                )
            })
        })
        .collect()
}

/// A gitleaks id as a phiguard id: `gitleaks.` + lowercase, other characters as `-`.
fn phiguard_id(id: &str) -> String {
    let body: String = id
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("gitleaks.{body}")
}

/// One `[[rules]]` table; `None` (with a warning) when phiguard cannot run it faithfully.
fn convert_rule(
    source: &str,
    rule: &Table,
    global: &[String],
    warnings: &mut Vec<String>,
) -> Result<Option<RuleSpec>> {
    let Some(raw_id) = rule.get("id").and_then(Value::as_str) else {
        return Err(Error::rules(source, "a [[rules]] table has no `id`"));
    };
    let id = phiguard_id(raw_id);
    let skip = |warnings: &mut Vec<String>, why: String| {
        warnings.push(format!("{source}: rule {raw_id}: skipped: {why}"));
        Ok(None)
    };
    if rule.contains_key("required") {
        return skip(
            warnings,
            "composite rules ([[rules.required]]) are not supported".into(),
        );
    }
    let Some(regex) = rule.get("regex").and_then(Value::as_str) else {
        return skip(
            warnings,
            "path-only rules (no `regex`) are not supported".into(),
        );
    };
    let pattern = match translate(regex).and_then(|p| {
        let group = rule.get("secretGroup").and_then(Value::as_integer);
        mark_value_group(&p, group)
    }) {
        Ok(p) => p,
        Err(why) => return skip(warnings, why),
    };
    let keywords: Vec<String> = strings(source, raw_id, rule, "keywords")?
        .into_iter()
        .map(|k| k.to_ascii_lowercase())
        .filter(|k| {
            let ok = k.trim().len() >= 2;
            if !ok {
                warnings.push(format!(
                    "{source}: rule {raw_id}: keyword {k:?} is shorter than 2 characters; dropped"
                ));
            }
            ok
        })
        .collect();
    let keyword_role = if keywords.is_empty() {
        warnings.push(format!(
            "{source}: rule {raw_id}: no keywords, so it runs on every added line (slower); \
             add `keywords` to make it cheap"
        ));
        KeywordRole::Booster
    } else {
        KeywordRole::Required
    };
    let mut allow = global.to_vec();
    for list in allowlists(rule, "allowlist", "allowlists") {
        allow.extend(allowlist(
            source,
            &format!("rule {raw_id}"),
            list,
            warnings,
        )?);
    }
    let path = match rule.get("path").and_then(Value::as_str).map(translate) {
        Some(Err(why)) => return skip(warnings, format!("path regex: {why}")),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if rule.get("skipReport").and_then(Value::as_bool) == Some(true) {
        warnings.push(format!(
            "{source}: rule {raw_id}: skipReport is not supported; the rule reports"
        ));
    }
    let entropy = rule
        .get("entropy")
        .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)));
    let description = rule
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or(raw_id);
    Ok(Some(RuleSpec {
        id,
        name: description.to_owned(),
        category: Category::Secret,
        severity: Severity::Block,
        pattern,
        keywords,
        keyword_role,
        value_group: None,
        validator: None,
        message: None,
        min_digits: 0,
        span_lines: None,
        line_gate: None,
        line_filter: None,
        colocation: Colocation::None,
        reveal_prefix: 0,
        entropy,
        allow,
        path,
        enabled: true,
        report: true,
        examples: Vec::new(),
        negative_examples: Vec::new(),
    }))
}

/// Go RE2 syntax as Rust `regex` syntax, or why it cannot be: `\Q…\E` is escaped; lookaround,
/// backreferences and `\C` have no equivalent. The result must compile in phiguard's ASCII
/// mode; a pattern that needs Unicode classes is wrapped in `(?u:…)`.
pub(crate) fn translate(re: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    return Err("the regex ends in a lone backslash".into());
                };
                match n {
                    'Q' => {
                        let mut lit = String::new();
                        while let Some(x) = chars.next() {
                            if x == '\\' && chars.peek() == Some(&'E') {
                                chars.next();
                                break;
                            }
                            lit.push(x);
                        }
                        out.push_str(&regex::escape(&lit));
                    }
                    '1'..='9' if !in_class => {
                        return Err("backreferences (\\1...) are not supported".into());
                    }
                    'C' => return Err("\\C (any byte) is not supported".into()),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]...]` and `[^]...]`: a leading `]` is a literal.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class `[:alpha:]` inside a bracket: copy through to its `:]`.
                out.push(c);
                for x in chars.by_ref() {
                    out.push(x);
                    if x == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class && !is_repetition(chars.clone()) => {
                // RE2 reads a `{` that starts no `{n}`, `{n,}` or `{n,m}` as a literal.
                out.push_str("\\{");
            }
            '}' if !in_class && !closes_repetition(&out) => out.push_str("\\}"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                out.push(c);
                let rest: String = chars.clone().take(4).collect();
                if rest.starts_with("?=")
                    || rest.starts_with("?!")
                    || rest.starts_with("?<=")
                    || rest.starts_with("?<!")
                {
                    return Err("lookaround ((?=, (?!, (?<=, (?<!) is not supported".into());
                }
            }
            _ => out.push(c),
        }
    }
    compiles(&out)
}

/// Whether the characters after a `{` form a repetition: `n}`, `n,}` or `n,m}`.
fn is_repetition(mut rest: impl Iterator<Item = char>) -> bool {
    let mut digits = 0;
    let mut comma = false;
    for c in rest.by_ref() {
        match c {
            '0'..='9' => digits += 1,
            ',' if !comma && digits > 0 => comma = true,
            '}' => return digits > 0,
            _ => return false,
        }
    }
    false
}

/// Whether a `}` closes a repetition opened in `out` (an unescaped `{` followed by digits).
fn closes_repetition(out: &str) -> bool {
    let Some(open) = out.rfind('{') else {
        return false;
    };
    let escaped = out[..open].ends_with('\\') && !out[..open].ends_with("\\\\");
    !escaped
        && out[open + 1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',')
}

/// The pattern as phiguard will compile it (ASCII mode), falling back to a Unicode group.
fn compiles(p: &str) -> std::result::Result<String, String> {
    let build = |p: &str| {
        regex::bytes::RegexBuilder::new(p)
            .unicode(false)
            .size_limit(1 << 24)
            .build()
    };
    if build(p).is_ok() {
        return Ok(p.to_owned());
    }
    let wrapped = format!("(?u:{p})");
    match build(&wrapped) {
        Ok(_) => Ok(wrapped),
        Err(e) => Err(format!(
            "the regex does not compile: {}",
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
        )),
    }
}

/// Turns capture group `group` (gitleaks' `secretGroup`; group 1 when unset and the pattern
/// has groups, as gitleaks reports the first group) into `(?P<value>…)`.
fn mark_value_group(p: &str, group: Option<i64>) -> std::result::Result<String, String> {
    let starts = capture_starts(p);
    let want = match group {
        Some(0) => return Ok(p.to_owned()),
        Some(n) if n < 0 => return Err(format!("secretGroup {n} is negative")),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None if starts.is_empty() => return Ok(p.to_owned()),
        None => 1,
    };
    let Some(&(at, named)) = starts.get(want - 1) else {
        return Err(format!(
            "secretGroup {want} but the regex has {} groups",
            starts.len()
        ));
    };
    if named {
        // `(?P<name>` / `(?<name>`: replace the name with `value`.
        let close = p[at..].find('>').map_or(at, |i| at + i);
        return Ok(format!("{}(?P<value>{}", &p[..at], &p[close + 1..]));
    }
    Ok(format!("{}(?P<value>{}", &p[..at], &p[at + 1..]))
}

/// Byte offsets of every capturing group's `(` in order, with whether it is named.
fn capture_starts(p: &str) -> Vec<(usize, bool)> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut in_class) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                let rest = &b[i + 1..];
                if !rest.starts_with(b"?") {
                    out.push((i, false));
                } else if rest.starts_with(b"?P<")
                    || (rest.starts_with(b"?<")
                        && !rest.starts_with(b"?<=")
                        && !rest.starts_with(b"?<!"))
                {
                    out.push((i, true));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}
