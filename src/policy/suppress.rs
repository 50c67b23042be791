//! Inline allow markers (DESIGN §6). A marker counts on the finding's own line, or on the line
//! directly above when that line is nothing but a comment holding it: a marker trailing a code
//! line does not also cover the next line (`KEY = "AKIA…" # gitleaks:allow` let a new key on
//! the line below through). `phiguard:allow` needs a reason; the markers of other scanners are
//! honoured for secrets only, so a repository migrating to phiguard keeps its decisions about
//! secrets without any of them hiding patient data.

use crate::rules::Category;
use memchr::memmem;
use std::ops::Range;

/// phiguard's own marker; a reason must follow it.
pub const MARKER: &str = "phiguard:allow";

/// Other scanners' markers, honoured for secrets only.
pub const FOREIGN_MARKERS: &[&str] = &[
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
];

/// What one line carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Marks {
    /// `phiguard:allow` followed by a reason.
    own: bool,
    /// A marker of another scanner.
    foreign: bool,
    /// The line is a comment holding only the marker (and its reason).
    alone: bool,
}

impl Marks {
    fn allows(self, category: Category) -> bool {
        self.own || (category == Category::Secret && self.foreign)
    }
}

/// Comment leaders that may stand before a marker on a line of its own.
const LEADERS: &[&[u8]] = &[
    b"<!--", b"/*", b"//", b"--", b"#", b";", b"*", b"%", b"'", b"REM ",
];

/// Searchers for [`MARKER`] and then each of [`FOREIGN_MARKERS`], built once: building one
/// per line looked at was most of the cost of a line without a marker.
fn finders() -> &'static [memmem::Finder<'static>] {
    static FINDERS: std::sync::OnceLock<Vec<memmem::Finder<'static>>> = std::sync::OnceLock::new();
    FINDERS.get_or_init(|| {
        std::iter::once(MARKER)
            .chain(FOREIGN_MARKERS.iter().copied())
            .map(|m| memmem::Finder::new(m.as_bytes()))
            .collect()
    })
}

fn marks(line: &[u8]) -> Marks {
    let mut m = Marks::default();
    let (own, foreign) = finders().split_first().expect("the own marker comes first");
    if let Some(at) = own.find(line) {
        m.own = has_reason(&line[at + MARKER.len()..]);
    }
    m.foreign = foreign.iter().any(|f| f.find(line).is_some());
    if m.own || m.foreign {
        let mut rest = line.trim_ascii_start();
        while let Some(leader) = LEADERS.iter().find(|l| rest.starts_with(l)) {
            rest = rest[leader.len()..].trim_ascii_start();
        }
        m.alone = rest.starts_with(MARKER.as_bytes())
            || FOREIGN_MARKERS
                .iter()
                .any(|f| rest.starts_with(f.as_bytes()));
    }
    m
}

/// Whether the text after `phiguard:allow` holds a reason: a word of letters, once the
/// separators and a comment's closing are set aside.
fn has_reason(after: &[u8]) -> bool {
    let after = after.trim_ascii();
    let after = after.strip_suffix(b"-->").unwrap_or(after);
    let after = after.strip_suffix(b"*/").unwrap_or(after);
    after
        .split(|b| !b.is_ascii_alphabetic())
        .any(|w| w.len() >= 2)
}

/// Answers [`Lines::allowed`] for the findings of one text, in any order; the last line's
/// answer is kept, so the findings of one long line look at it once.
#[derive(Debug, Default)]
pub struct Lines {
    last: Option<(Range<usize>, bool, bool)>,
}

impl Lines {
    /// Whether a finding of `category` at `offset` is allowed by a marker on its line, or on a
    /// comment line of its own directly above.
    pub fn allowed(&mut self, text: &[u8], offset: usize, category: Category) -> bool {
        let offset = offset.min(text.len());
        let hit = self
            .last
            .as_ref()
            .filter(|(line, _, _)| line.start <= offset && offset <= line.end);
        let (phi, secret) = match hit {
            Some(&(_, phi, secret)) => (phi, secret),
            None => {
                let start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
                let end = memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i);
                crate::work::add(end - start);
                let own = marks(&text[start..end]);
                let above = if start == 0 {
                    Marks::default()
                } else {
                    let prev = memchr::memrchr(b'\n', &text[..start - 1]).map_or(0, |i| i + 1);
                    Some(marks(&text[prev..start - 1]))
                        .filter(|m| m.alone)
                        .unwrap_or_default()
                };
                let allows = |c| own.allows(c) || above.allows(c);
                let answer = (allows(Category::Phi), allows(Category::Secret));
                self.last = Some((start..end, answer.0, answer.1));
                answer
            }
        };
        match category {
            // Only `phiguard:allow <reason>` accepts a weakened configuration, as for PHI.
            Category::Phi | Category::Config => phi,
            Category::Secret => secret,
        }
    }
}

/// Whether a finding of `category` at `offset` is allowed inline ([`Lines::allowed`] for one
/// finding).
pub fn inline_allowed(text: &[u8], offset: usize, category: Category) -> bool {
    Lines::default().allowed(text, offset, category)
}

#[cfg(test)]
mod tests;

/// Longest reason shown.
const REASON_CHARS: usize = 80;

/// The reason of the marker that allows a finding at `offset`, as shown: the text after
/// `phiguard:allow` on its line (or the comment line above), comment closers dropped, every
/// run of 6 or more digits masked (a developer typed it, and it may hold a value), at most 80
/// characters, control characters escaped. A marker of another scanner gives its own name.
pub fn reason(text: &[u8], offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i);
    let above = (start > 0).then(|| {
        let prev = memchr::memrchr(b'\n', &text[..start - 1]).map_or(0, |i| i + 1);
        &text[prev..start - 1]
    });
    std::iter::once(&text[start..end])
        .chain(above)
        .find_map(reason_on)
}

fn reason_on(line: &[u8]) -> Option<String> {
    if let Some(at) = memmem::find(line, MARKER.as_bytes()) {
        let after = line[at + MARKER.len()..].trim_ascii();
        let after = after.strip_suffix(b"-->").unwrap_or(after);
        let after = after.strip_suffix(b"*/").unwrap_or(after).trim_ascii();
        let after = after.strip_prefix(b":").unwrap_or(after).trim_ascii();
        let mut masked = after.to_vec();
        mask_digit_runs(&mut masked);
        let shown: String = String::from_utf8_lossy(&masked)
            .chars()
            .take(REASON_CHARS)
            .collect();
        return Some(crate::sanitize::display_str(&shown));
    }
    FOREIGN_MARKERS
        .iter()
        .find(|f| memmem::find(line, f.as_bytes()).is_some())
        .map(|f| (*f).to_owned())
}

/// Replaces every run of 6 or more ASCII digits with `*`s.
fn mask_digit_runs(bytes: &mut [u8]) {
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run >= 6 {
            bytes[i..i + run].fill(b'*');
        }
        i += run.max(1);
    }
}
