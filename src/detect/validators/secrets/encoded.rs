//! Bounded decoding: a base64 value whose decoded bytes hold a credential with a provider
//! shape (an AWS key id in a Kubernetes `Secret`'s `data:` block, a GitHub token in a
//! base64-encoded `.dockerconfigjson`). gitleaks' `--max-decode-depth` idea, bounded: at most
//! [`MAX_ENCODED`] bytes of input and [`MAX_DEPTH`] layers of base64. The finding's span is the
//! part of the encoded text that encodes the credential, so masking covers exactly that.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use regex::bytes::{Regex, RegexBuilder};
use std::ops::Range;
use std::sync::OnceLock;

use super::tokens::is_placeholder_token;
use crate::detect::validators::{Candidate, Verdict};

#[cfg(test)]
mod tests;

/// The longest encoded value decoded (4 KiB: a dockerconfigjson or a kubeconfig token).
pub(crate) const MAX_ENCODED: usize = 4096;
/// Layers of base64 undone (a base64 of a base64 is common in Helm values).
pub(crate) const MAX_DEPTH: usize = 2;

/// Credential shapes looked for in decoded text: (what, pattern with a `value` group).
const SHAPES: &[(&str, &str)] = &[
    (
        "an AWS access key id",
        r"(?:^|[^A-Za-z0-9])(?P<value>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)",
    ),
    (
        "a GitHub token",
        r"(?:^|[^A-Za-z0-9_])(?P<value>(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}))",
    ),
    (
        "a GitLab token",
        r"(?:^|[^A-Za-z0-9_])(?P<value>gl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,})",
    ),
    (
        "a Slack token",
        r"(?:^|[^A-Za-z0-9_])(?P<value>xox[abposr]-[0-9A-Za-z-]{20,})",
    ),
    (
        "a Stripe live key",
        r"(?:^|[^A-Za-z0-9_])(?P<value>[sr]k_live_[A-Za-z0-9]{20,})",
    ),
    (
        "a Google API key",
        r"(?:^|[^A-Za-z0-9_])(?P<value>AIza[0-9A-Za-z_-]{35})",
    ),
    (
        "an npm token",
        r"(?:^|[^A-Za-z0-9_])(?P<value>npm_[A-Za-z0-9]{36})",
    ),
    (
        "a Vault token",
        r"(?:^|[^A-Za-z0-9_])(?P<value>hv[sb]\.[A-Za-z0-9_-]{24,})",
    ),
    (
        "an Anthropic or OpenAI key",
        r"(?:^|[^A-Za-z0-9_])(?P<value>sk-(?:ant-|proj-|svcacct-)[A-Za-z0-9_-]{32,})",
    ),
    (
        "a JSON Web Token",
        r"(?:^|[^A-Za-z0-9_.-])(?P<value>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{0,1000})",
    ),
    (
        "a private key",
        r"(?P<value>-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----)",
    ),
    (
        "a database URI with a password",
        r"(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis|rediss|amqps?)://[^:@/\s]{1,64}:(?P<value>[^@/\s]{6,128})@",
    ),
];

fn shapes() -> &'static [(&'static str, Regex)] {
    static SET: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    SET.get_or_init(|| {
        SHAPES
            .iter()
            .map(|(what, p)| {
                let re = RegexBuilder::new(p)
                    .unicode(false)
                    .build()
                    .expect("built-in decoded-credential shape compiles");
                (*what, re)
            })
            .collect()
    })
}

/// Decodes standard or URL-safe base64 (padding optional); `None` unless the text is
/// base64 and decodes to mostly printable bytes.
pub(crate) fn decode(v: &[u8]) -> Option<Vec<u8>> {
    if v.len() < 16 || v.len() > MAX_ENCODED {
        return None;
    }
    let body = v.strip_suffix(b"==").or_else(|| v.strip_suffix(b"="));
    let body = body.unwrap_or(v);
    let mut padded = body.to_vec();
    while !padded.len().is_multiple_of(4) {
        padded.push(b'=');
    }
    let raw = STANDARD
        .decode(&padded)
        .or_else(|_| URL_SAFE.decode(&padded))
        .ok()?;
    mostly_printable(raw)
}

/// `raw` when at least nine tenths of it are printable ASCII or white space: decoded text,
/// not a digest, a UUID's bytes or a picture.
fn mostly_printable(raw: Vec<u8>) -> Option<Vec<u8>> {
    let printable = raw
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    (printable * 10 >= raw.len() * 9).then_some(raw)
}

/// The encoded bytes that carry decoded bytes `r`: base64 maps 3 bytes to 4 characters.
pub(crate) fn encoded_span(r: &Range<usize>, encoded_len: usize) -> Range<usize> {
    let start = r.start / 3 * 4;
    let end = r.end.div_ceil(3) * 4;
    start..end.min(encoded_len)
}

/// Looks for a credential shape in `v`, decoding up to [`MAX_DEPTH`] layers; returns what was
/// found and its span in `v`.
pub(crate) fn find_encoded(v: &[u8]) -> Option<(&'static str, Range<usize>)> {
    // Each inner layer: (where its encoded text starts in the layer around it, its length).
    let mut layers: Vec<(usize, usize)> = Vec::new();
    let mut cur = decode(v)?;
    for depth in 0..MAX_DEPTH {
        if let Some((what, mut span)) = find_shape(&cur) {
            // Map the span back through every layer, innermost first.
            for &(offset, len) in layers.iter().rev() {
                let inner = encoded_span(&span, len);
                span = inner.start + offset..inner.end + offset;
            }
            return Some((what, encoded_span(&span, v.len())));
        }
        if depth + 1 == MAX_DEPTH {
            break;
        }
        let offset = cur.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let trimmed = cur.trim_ascii();
        let next = decode(trimmed)?;
        layers.push((offset, trimmed.len()));
        cur = next;
    }
    None
}

/// Decodes hex (either case, an even number of digits); `None` unless the text is hex of at
/// least 10 bytes and decodes to mostly printable bytes (a hash or a UUID does not).
pub(crate) fn decode_hex(v: &[u8]) -> Option<Vec<u8>> {
    if v.len() < 20 || v.len() > 2 * MAX_ENCODED || !v.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let raw = v
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect::<Option<Vec<u8>>>()?;
    mostly_printable(raw)
}

/// The first credential shape in decoded bytes `raw`: what it is and its span there.
fn find_shape(raw: &[u8]) -> Option<(&'static str, Range<usize>)> {
    shapes().iter().find_map(|(what, re)| {
        let m = re.captures(raw)?.name("value")?;
        (!is_placeholder_token(m.as_bytes()) && !m.as_bytes().ends_with(b"EXAMPLE"))
            .then(|| (*what, m.range()))
    })
}

/// A hex value (`xxd -p`, `.hex()`, a `\x`-less dump) whose decoded bytes hold a credential
/// with a provider shape: gitleaks' hex decoder. The span covers the digits of the credential.
pub(super) fn encoded_hex_secret(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    match decode_hex(v).as_deref().and_then(find_shape) {
        Some((what, r)) => Verdict::accept()
            .with_span(c.value.start + 2 * r.start..c.value.start + 2 * r.end)
            .with_detail(format!("hex of {what}")),
        None => Verdict::Reject,
    }
}

/// A base64 value that decodes (in at most two layers) to a credential with a provider shape.
pub(super) fn encoded_secret(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    match find_encoded(v) {
        Some((what, span)) => Verdict::accept()
            .with_span(c.value.start + span.start..c.value.start + span.end)
            .with_detail(format!("base64 of {what}")),
        None => Verdict::Reject,
    }
}
