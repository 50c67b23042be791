//! `phiguard audit export`: the records of a log as one JSON document, JSON lines or CSV, each
//! with the hash of its line (what the next line's `prev` holds), for an evidence package.

use super::Record;
use std::io::{self, Write};

/// A record as exported: its fields plus `hash`.
fn exported(r: &Record, hash: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    v["hash"] = hash.into();
    v
}

/// `{"version": 1, "records": [...]}`, pretty-printed.
///
/// # Errors
///
/// When `out` fails.
pub fn json(out: &mut dyn Write, records: &[(Record, String)]) -> io::Result<()> {
    let items: Vec<_> = records.iter().map(|(r, h)| exported(r, h)).collect();
    let doc = serde_json::json!({"version": 1, "records": items});
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One record per line.
///
/// # Errors
///
/// When `out` fails.
pub fn jsonl(out: &mut dyn Write, records: &[(Record, String)]) -> io::Result<()> {
    for (r, h) in records {
        serde_json::to_writer(&mut *out, &exported(r, h))?;
        writeln!(out)?;
    }
    Ok(())
}

/// The CSV header.
pub const CSV_HEADER: &str = "time,repository,hook,pusher,pusher_source,pusher_verified,\
                              push_cert_signer,refs,decision,reasons,rules,findings_total,\
                              bypass,phiguard,rules_hash,config_hash,prev,hash";

/// A header and one row per record: lists joined with `;` (refs with spaces, as
/// `ref old..new`), rule ids deduplicated.
///
/// # Errors
///
/// When `out` fails.
pub fn csv(out: &mut dyn Write, records: &[(Record, String)]) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for (r, hash) in records {
        let row: Vec<String> = csv_row(r, hash).iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn csv_row(r: &Record, hash: &str) -> [String; 18] {
    let pusher = r.pusher.as_ref();
    let refs: Vec<String> = r
        .refs
        .iter()
        .map(|x| format!("{} {}..{}", x.name, x.old, x.new))
        .collect();
    let reasons: Vec<&str> = r.reasons.iter().map(|x| x.code.as_str()).collect();
    let mut rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    [
        r.time.clone(),
        r.repository.clone(),
        r.hook.clone(),
        pusher.map(|p| p.name.clone()).unwrap_or_default(),
        pusher.map(|p| p.source.clone()).unwrap_or_default(),
        pusher.map(|p| p.verified.to_string()).unwrap_or_default(),
        r.push_cert
            .as_ref()
            .and_then(|c| c.signer.clone())
            .unwrap_or_default(),
        refs.join(" "),
        r.decision.as_str().to_owned(),
        reasons.join(";"),
        rules.join(";"),
        r.findings_total.to_string(),
        r.bypass.clone().unwrap_or_default(),
        r.phiguard.clone(),
        r.rules_hash.clone(),
        r.config_hash.clone(),
        r.prev.clone(),
        hash.to_owned(),
    ]
}

/// RFC 4180 quoting; a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
/// carriage return) gets a leading `'` (a bypass reason is the pusher's text).
pub fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let table = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+1", "'+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("two\nlines", "\"two\nlines\""),
        ];
        for (input, want) in table {
            assert_eq!(csv_field(input), want, "{input:?}");
        }
    }
}
