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
    if is_documentation_payload(&payload) || is_text_signature(parts[2]) {
        return Verdict::synthetic();
    }
    let unsigned =
        parts[2].len() < 16 || head.windows(6).any(|w| w.eq_ignore_ascii_case(b"\"none\""));
    if unsigned || is_expired(&payload) {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::accept()
    }
}

/// The number after `"key":` in a JSON object text, when it is an integer.
fn number_claim(json: &[u8], key: &[u8]) -> Option<u64> {
    let quoted = [b"\"", key, b"\""].concat();
    let at = json
        .windows(quoted.len())
        .position(|w| w == quoted.as_slice())?;
    let rest = json[at + quoted.len()..]
        .trim_ascii_start()
        .strip_prefix(b":")?;
    let rest = rest.trim_ascii_start();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Claims that mark a token as documentation: jwt.io's sample (`"sub": "1234567890"`,
/// `"iat": 1516239022`), or a claim value that says so (`"name": "Fake User"`).
fn is_documentation_payload(payload: &[u8]) -> bool {
    number_claim(payload, b"iat") == Some(1_516_239_022)
        || payload.windows(12).any(|w| w == b"\"1234567890\"")
        || ["fake", "example", "dummy", "sample", "placeholder"]
            .iter()
            .any(|w| crate::detect::validators::common::contains_word_ci(payload, w.as_bytes()))
}

/// A signature that decodes to readable words (`signature_value`, `fake-signature`): a test
/// token written by hand, not one any key produced (real signatures are random bytes).
fn is_text_signature(sig: &[u8]) -> bool {
    decode(sig).is_some_and(|d| {
        !d.is_empty()
            && d.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' ' | b'.'))
            && d.iter().filter(|b| b.is_ascii_alphabetic()).count() * 2 > d.len()
    })
}

/// A token whose `exp` lies in the past no longer authenticates anyone: a finding, but one
/// that warns (an example token response in documentation).
fn is_expired(payload: &[u8]) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    number_claim(payload, b"exp").is_some_and(|exp| exp < now)
}
