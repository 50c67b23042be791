//! Inline allow markers (DESIGN §6): on the finding's line or the line before. The markers of
//! other scanners are honoured so a repository migrating to phiguard keeps its decisions.

use memchr::memmem;

/// Markers that allow a finding, in the order they are searched.
pub const MARKERS: &[&str] = &[
    "phiguard:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
];

fn has_marker(line: &[u8]) -> bool {
    MARKERS
        .iter()
        .any(|m| memmem::find(line, m.as_bytes()).is_some())
}

/// Whether the line holding `offset`, or the line before it, carries an allow marker.
pub fn inline_allowed(text: &[u8], offset: usize) -> bool {
    let start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i);
    if has_marker(&text[start..end]) {
        return true;
    }
    if start == 0 {
        return false;
    }
    let prev = memchr::memrchr(b'\n', &text[..start - 1]).map_or(0, |i| i + 1);
    has_marker(&text[prev..start - 1])
}

#[cfg(test)]
mod tests;
