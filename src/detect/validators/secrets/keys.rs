//! Private keys in PEM form, also the one-line escaped form inside JSON/YAML/code strings.

use crate::detect::validators::{Candidate, Verdict};

/// The base64 payload of a PEM body: drops whitespace, escaped newlines (`\n`, `\r\n`),
/// string-concatenation noise (`"`, `+`, `,`) and RFC 1421 headers (`Proc-Type: ...`).
fn payload(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for line in body.split(|&b| b == b'\n') {
        // An escaped-newline form has everything on one line; split it on `\n` escapes too.
        for seg in split_escaped(line) {
            if seg.contains(&b':') {
                continue; // a header such as `Proc-Type: 4,ENCRYPTED`
            }
            let b64 = |b: &&u8| b.is_ascii_alphanumeric() || b"+/=".contains(b);
            out.extend(seg.iter().filter(b64));
        }
    }
    out
}

fn split_escaped(line: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < line.len() {
        if line[i] == b'\\' && (line[i + 1] == b'n' || line[i + 1] == b'r') {
            parts.push(&line[start..i]);
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&line[start..]);
    parts
}

/// A PEM private key whose body looks like real key material: at least 64 base64 characters
/// (an EC key is about 160; a placeholder such as `...` or `<key>` is far shorter) and not a
/// run of one character.
pub(super) fn private_key(c: &Candidate<'_>) -> Verdict {
    let body = payload(c.value_bytes());
    if body.len() < 64 {
        return Verdict::Reject;
    }
    let distinct = {
        let mut seen = [false; 256];
        body.iter().for_each(|&b| seen[b as usize] = true);
        seen.iter().filter(|&&s| s).count()
    };
    if distinct < 16 {
        return Verdict::Reject;
    }
    Verdict::accept()
}

/// A GCP service-account key file: the rule matches `"type": "service_account"`; the file is
/// a credential only when a `"private_key"` with PEM content sits within a few kilobytes
/// (a service-account *reference* or a schema mentioning the type is not).
pub(super) fn gcp_service_account(c: &Candidate<'_>) -> Verdict {
    let lo = c.whole.start.saturating_sub(4096);
    let hi = (c.whole.end + 4096).min(c.text.len());
    let window = &c.text[lo..hi];
    let Some(at) = find(window, b"\"private_key\"") else {
        return Verdict::Reject;
    };
    let rest = &window[at..];
    let Some(begin) = find(rest, b"PRIVATE KEY-----") else {
        return Verdict::Reject;
    };
    let body_end = find(&rest[begin + 16..], b"-----END").map_or(rest.len(), |e| begin + 16 + e);
    if payload(&rest[begin + 16..body_end]).len() < 64 {
        return Verdict::Reject;
    }
    Verdict::accept()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_forms() {
        assert_eq!(payload(b"\nQUJD\nREVG\n"), b"QUJDREVG");
        assert_eq!(payload(b"\\nQUJD\\nREVG\\n"), b"QUJDREVG");
        assert_eq!(payload(b"\nProc-Type: 4,ENCRYPTED\nQUJD\n"), b"QUJD");
        assert_eq!(payload(b"\"\n+ \"QUJD\\n\" +\n"), b"+QUJD+");
    }
}
