//! `phiguard verify`'s output: one row per commit with its signature verdict and trailers,
//! as a table or one JSON document. Trailer values are shown only for the identity trailers
//! (`Reviewed-by`, `Signed-off-by`, ...); other trailers show their key alone, since a
//! message is content and may hold a value.

use super::Format;
use crate::policy::refs::SigKind;
use crate::policy::signing::Verdict;
use crate::sanitize;
use serde_json::json;
use std::io::{self, Write};

/// Trailers whose values are people and are shown.
const IDENTITY_TRAILERS: &[&str] = &[
    "reviewed-by",
    "signed-off-by",
    "acked-by",
    "tested-by",
    "approved-by",
    "co-authored-by",
    "reported-by",
    "helped-by",
    "suggested-by",
];

/// One commit checked.
#[derive(Debug, Clone)]
pub struct CommitCheck {
    /// Full hex id.
    pub id: String,
    /// The signature verdict.
    pub verdict: Verdict,
    /// `(key, value)` trailers of the message.
    pub trailers: Vec<(String, String)>,
}

/// A verification run.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The range checked, as resolved.
    pub range: String,
    /// The ref whose policy applies.
    pub refname: String,
    /// The policy's signing requirement.
    pub required: Option<SigKind>,
    /// Which policy applies.
    pub policy: String,
    /// Newest first.
    pub commits: Vec<CommitCheck>,
}

impl Verification {
    /// Whether a commit fails a policy that requires signing.
    pub fn fails(&self) -> bool {
        self.required
            .is_some_and(|k| self.commits.iter().any(|c| !c.verdict.satisfies(k)))
    }
}

fn shown_trailer(key: &str, value: &str) -> String {
    if IDENTITY_TRAILERS.contains(&key.to_ascii_lowercase().as_str()) {
        sanitize::display_str(&format!("{key}: {value}"))
    } else {
        sanitize::display_str(key)
    }
}

/// Writes the verification in `format` (JSON for `json`, `jsonl` and `sarif`; a table
/// otherwise).
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(v: &Verification, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human | Format::Gcc => write_table(v, w),
        Format::Json | Format::Jsonl | Format::Sarif => {
            let commits: Vec<_> = v
                .commits
                .iter()
                .map(|c| {
                    json!({
                        "commit": c.id,
                        "signature": super::push::verdict_json(&c.verdict),
                        "ok": v.required.is_none_or(|k| c.verdict.satisfies(k)),
                        "trailers": c.trailers.iter().map(|(k, val)| shown_trailer(k, val)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = json!({
                "range": v.range,
                "ref": v.refname,
                "policy": v.policy,
                "require_signed": v.required.map(SigKind::as_str),
                "ok": !v.fails(),
                "commits": commits,
                "version": 1,
            });
            super::write_pretty_json(w, &doc)
        }
    }
}

fn write_table(v: &Verification, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "{:<12}  {:<16}  {:<4}  signer",
        "commit", "signature", "kind"
    )?;
    for c in &v.commits {
        let signer = match &c.verdict {
            Verdict::Good {
                principal,
                fingerprint,
                ..
            } => format!("{principal} {fingerprint}"),
            other => other.describe(),
        };
        writeln!(
            w,
            "{:<12}  {:<16}  {:<4}  {}",
            &c.id[..c.id.len().min(12)],
            c.verdict.as_str(),
            c.verdict.kind().map_or("-", SigKind::as_str),
            sanitize::display_str(&signer)
        )?;
        for (k, val) in &c.trailers {
            writeln!(w, "{:<12}  {}", "", shown_trailer(k, val))?;
        }
    }
    let bad = v.required.map_or(0, |k| {
        v.commits.iter().filter(|c| !c.verdict.satisfies(k)).count()
    });
    let requirement = match v.required {
        Some(k) => format!(
            "{} requires {} signatures on {}",
            v.policy,
            k.as_str(),
            sanitize::display_str(&v.refname)
        ),
        None => format!(
            "no policy requires signatures on {}",
            sanitize::display_str(&v.refname)
        ),
    };
    writeln!(
        w,
        "phiguard: {} commit(s) in {}; {requirement}; {bad} fail it",
        v.commits.len(),
        sanitize::display_str(&v.range)
    )
}
