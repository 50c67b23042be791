//! JSON and JSON Lines (DESIGN §5).
//!
//! Findings are serialized straight from borrowed views, not through `serde_json::Value`: a
//! large change has thousands of findings, and building a tree of maps for each one cost more
//! than the scan of some files. Keys come out in alphabetical order (as the `Value` maps did),
//! so the output is stable byte for byte.

use super::{Style, shown};
use crate::model::{Finding, Report};
use serde::Serialize;
use std::io::{self, Write};

/// A finding as JSON: borrowed, in key order.
#[derive(Serialize)]
struct FindingJson<'a> {
    category: &'static str,
    column: u32,
    commit: Option<&'a str>,
    end_column: u32,
    excerpt: &'a str,
    fingerprint: &'a str,
    line: u32,
    message: &'a str,
    path: &'a str,
    #[serde(rename = "ref")]
    refname: Option<&'a str>,
    rule: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<SuppressedJson<'a>>,
}

/// Why a finding does not count: `{"by": "inline"|"synthetic"|"baseline", "reason": ...}`.
#[derive(Serialize)]
struct SuppressedJson<'a> {
    by: &'static str,
    reason: Option<&'a str>,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> FindingJson<'a> {
        FindingJson {
            category: f.category.as_str(),
            column: f.column,
            commit: f.commit.as_deref(),
            end_column: f.end_column,
            excerpt: &f.excerpt,
            fingerprint: &f.fingerprint,
            line: f.line,
            message: &f.message,
            path: &f.path,
            refname: f.refname.as_deref(),
            rule: &f.rule,
            severity: f.severity.as_str(),
            suppressed: f.suppressed.map(|s| SuppressedJson {
                by: s.as_str(),
                reason: f.reason.as_deref(),
            }),
        }
    }
}

#[derive(Serialize)]
struct SummaryJson {
    allowed: usize,
    baselined: usize,
    block: usize,
    bytes: u64,
    elapsed_ms: u64,
    files: usize,
    info: usize,
    skipped: usize,
    synthetic: usize,
    warn: usize,
}

/// Findings counted but not listed (more than [`crate::model::LISTED_PER_RULE`] of a rule in a file).
#[derive(Serialize)]
struct CappedJson<'a> {
    commit: Option<&'a str>,
    count: usize,
    path: &'a str,
    rule: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'static str>,
}

/// The document.
#[derive(Serialize)]
struct Document<'a> {
    findings: Vec<FindingJson<'a>>,
    /// Where the findings list is capped: counted in `summary`, not listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings_capped: Vec<CappedJson<'a>>,
    /// The server's decision on a push (`hook pre-receive`/`update`).
    #[serde(skip_serializing_if = "Option::is_none")]
    push: Option<&'a serde_json::Value>,
    summary: SummaryJson,
    /// Findings that do not count (allowed inline, synthetic, baselined), each with its
    /// `suppressed` object; left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed: Vec<FindingJson<'a>>,
    version: u32,
}

fn capped(report: &Report) -> Vec<CappedJson<'_>> {
    report
        .capped
        .iter()
        .map(|c| CappedJson {
            commit: c.commit.as_deref(),
            count: c.count,
            path: &c.path,
            rule: &c.rule,
            severity: c.severity.as_str(),
            suppressed: c.suppressed.map(|s| s.as_str()),
        })
        .collect()
}

fn suppressed(report: &Report) -> Vec<FindingJson<'_>> {
    report.suppressed.iter().map(FindingJson::from).collect()
}

fn summary(report: &Report) -> SummaryJson {
    let s = &report.summary;
    SummaryJson {
        allowed: s.allowed,
        baselined: s.baselined,
        block: s.block,
        bytes: s.bytes,
        elapsed_ms: s.elapsed_ms,
        files: s.files,
        info: s.info,
        skipped: s.skipped,
        synthetic: s.synthetic,
        warn: s.warn,
    }
}

/// Writes one JSON document.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    write_with(report, None, style, w)
}

/// Writes one JSON document, with a top-level `push` object when given.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_with(
    report: &Report,
    push: Option<&serde_json::Value>,
    style: Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_PARTS));
    write_in_parts(report, push, style, w, parts)
}

/// [`write()`], the findings serialized in up to `parts` parts on as many threads.
fn write_in_parts(
    report: &Report,
    push: Option<&serde_json::Value>,
    style: Style,
    w: &mut dyn Write,
    parts: usize,
) -> io::Result<()> {
    let findings: Vec<FindingJson<'_>> = report
        .findings
        .iter()
        .filter(|f| shown(&style, f))
        .map(FindingJson::from)
        .collect();
    if findings.len() < PARALLEL_FROM || parts < 2 {
        let doc = Document {
            findings,
            findings_capped: capped(report),
            push,
            summary: summary(report),
            suppressed: suppressed(report),
            version: 1,
        };
        return super::write_pretty_json(w, &doc);
    }
    let chunk = findings.len().div_ceil(parts);
    let texts = std::thread::scope(|s| {
        let handles: Vec<_> = findings
            .chunks(chunk)
            .skip(1)
            .map(|part| s.spawn(move || elements(part)))
            .collect();
        let mut texts = vec![elements(&findings[..chunk])];
        texts.extend(handles.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(io::Error::other("a JSON writer thread panicked")))
        }));
        texts.into_iter().collect::<io::Result<Vec<_>>>()
    })?;
    let tail = after_findings(&Document {
        findings: Vec::new(),
        findings_capped: capped(report),
        push,
        summary: summary(report),
        suppressed: suppressed(report),
        version: 1,
    })?;
    w.write_all(FINDINGS_OPEN)?;
    for (i, (text, inner)) in texts.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        w.write_all(&text[inner.clone()])?;
    }
    w.write_all(FINDINGS_CLOSE)?;
    w.write_all(&tail)?;
    w.flush()
}

/// A report with this many findings has them serialized on several threads: the corpus
/// staged change's 6,187 take ~6 ms on one, time during which nothing else runs.
const PARALLEL_FROM: usize = 1000;
/// At most this many threads serialize findings.
const MAX_PARTS: usize = 4;
/// How pretty JSON opens the findings array of a [`Document`]...
const FINDINGS_OPEN: &[u8] = b"{\n  \"findings\": [\n";
/// ...and closes it.
const FINDINGS_CLOSE: &[u8] = b"\n  ]";

/// `part` as the elements of the findings array of a pretty [`Document`], without the
/// brackets: serialized as a document of its own and cut out of it. Pretty JSON indents by
/// depth, so the elements come out byte for byte as in the whole document.
fn elements(part: &[FindingJson<'_>]) -> io::Result<(Vec<u8>, std::ops::Range<usize>)> {
    #[derive(Serialize)]
    struct Findings<'p, 'a> {
        findings: &'p [FindingJson<'a>],
    }
    let mut text = Vec::with_capacity(part.len() * 640);
    serde_json::to_writer_pretty(&mut text, &Findings { findings: part })?;
    const CLOSE: &[u8] = b"\n  ]\n}";
    if !(text.starts_with(FINDINGS_OPEN) && text.ends_with(CLOSE)) {
        return Err(io::Error::other("internal: unexpected JSON layout"));
    }
    let inner = FINDINGS_OPEN.len()..text.len() - CLOSE.len();
    Ok((text, inner))
}

/// What a pretty document with no findings has after its empty findings array (`[]`), and
/// a newline: the rest of the document.
fn after_findings(doc: &Document<'_>) -> io::Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(doc)?;
    text.push(b'\n');
    let empty = b"{\n  \"findings\": []";
    text.strip_prefix(&empty[..])
        .map(<[u8]>::to_vec)
        .ok_or_else(|| io::Error::other("internal: unexpected JSON layout"))
}

/// Writes one finding per line.
///
/// # Errors
///
/// I/O errors of `w`.
pub fn write_lines(report: &Report, style: Style, w: &mut dyn Write) -> io::Result<()> {
    // Buffered for the same reason as [`super::write_pretty_json`].
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    let suppressed = report.suppressed.iter().filter(|_| style.show_suppressed);
    for f in report
        .findings
        .iter()
        .filter(|f| shown(&style, f))
        .chain(suppressed)
    {
        serde_json::to_writer(&mut buf, &FindingJson::from(f))?;
        writeln!(buf)?;
    }
    buf.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Category, Severity};
    use std::sync::Arc;

    fn finding(i: usize) -> Finding {
        Finding {
            rule: Arc::from(if i % 2 == 0 { "phi.ssn" } else { "secret.aws" }),
            category: if i % 2 == 0 {
                Category::Phi
            } else {
                Category::Secret
            },
            severity: Severity::Block,
            path: Arc::from(format!("dir/file \"{i}\".txt")),
            line: i as u32 + 1,
            column: 3,
            end_column: 14,
            utf16_columns: (3, 14),
            utf16_end: (i as u32 + 1, 14),
            commit: (i % 3 == 0).then(|| Arc::from("abc123")),
            refname: None,
            excerpt: format!("ssn = \"***-**-****\"\t\\ é {i}"),
            fingerprint: format!("phi.ssn:dir/file:{i:05x}"),
            message: "a message".to_owned(),
            suppressed: None,
            reason: None,
        }
    }

    /// The findings written in parts are byte for byte the document serde_json writes whole,
    /// for counts around every part boundary.
    #[test]
    fn parallel_findings_are_the_whole_document() {
        for n in [
            0,
            1,
            PARALLEL_FROM - 1,
            PARALLEL_FROM,
            PARALLEL_FROM + 1,
            4099,
        ] {
            let report = Report {
                findings: (0..n).map(finding).collect(),
                ..Report::default()
            };
            let doc = Document {
                findings: report.findings.iter().map(FindingJson::from).collect(),
                findings_capped: Vec::new(),
                push: None,
                summary: summary(&report),
                suppressed: Vec::new(),
                version: 1,
            };
            let mut want = serde_json::to_vec_pretty(&doc).unwrap();
            want.push(b'\n');
            let want = String::from_utf8(want).unwrap();
            for parts in 1..=MAX_PARTS {
                let mut got = Vec::new();
                write_in_parts(&report, None, Style::default(), &mut got, parts).unwrap();
                let got = String::from_utf8(got).unwrap();
                assert_eq!(got, want, "{n} findings in {parts} parts");
            }
        }
    }
}
