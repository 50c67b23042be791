//! JSON Web Tokens: three base64url parts whose header decodes to a JSON object with an
//! `alg`. Decoding the header is what tells a JWT from any other dotted base64 string.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::tokens::is_placeholder_token;
use crate::detect::validators::{Candidate, Verdict};
use crate::rules::Severity;

#[cfg(test)]
mod tests;

/// Decodes one base64url segment, tolerating `=` padding.
fn decode(segment: &[u8]) -> Option<Vec<u8>> {
    let trimmed = segment
        .strip_suffix(b"==")
        .or_else(|| segment.strip_suffix(b"="));
    URL_SAFE_NO_PAD.decode(trimmed.unwrap_or(segment)).ok()
}

/// The JSON header of a JWT, when `token` has the shape and the header decodes.
pub(crate) fn header(token: &[u8]) -> Option<Vec<u8>> {
    let mut parts = token.split(|&b| b == b'.');
    let head = decode(parts.next()?)?;
    let text = head.trim_ascii();
    (text.starts_with(b"{") && text.ends_with(b"}") && contains_key(text, b"alg")).then_some(head)
}

/// Whether a JSON object text has `"key"` as a key (no JSON parser needed for a header).
fn contains_key(json: &[u8], key: &[u8]) -> bool {
    let quoted = [b"\"", key, b"\""].concat();
    json.windows(quoted.len()).enumerate().any(|(i, w)| {
        w == quoted.as_slice()
            && json[i + quoted.len()..]
                .trim_ascii_start()
                .starts_with(b":")
    })
}

/// A JWT. Tokens signed with `alg: none` (or with an empty signature) prove nothing by
/// themselves and are reported at `warn`; signed tokens are bearer credentials and block.
/// A payload that does not decode to JSON is not a JWT.
pub(super) fn jwt(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let parts: Vec<&[u8]> = v.split(|&b| b == b'.').collect();
    if parts.len() != 3 || is_placeholder_token(parts[1]) {
        return Verdict::Reject;
    }
    let Some(head) = header(v) else {
        return Verdict::Reject;
    };
    let payload = decode(parts[1]).unwrap_or_default();
    if !payload.trim_ascii().starts_with(b"{") {
        return Verdict::Reject;
    }
    let unsigned =
        parts[2].len() < 16 || head.windows(6).any(|w| w.eq_ignore_ascii_case(b"\"none\""));
    if unsigned {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::accept()
    }
}
