//! Commit messages: what `git commit` will record. When git will strip comments (an editor
//! was used, or `commit.cleanup = strip`), comment lines (`core.commentChar`, `#` by default;
//! `auto`: the one character git picked for the template) and everything from the scissors line
//! of `commit -v` down are not part of the message. Otherwise (`git commit -m "# …"` keeps the
//! line) every line is scanned. Removed lines are blanked, not deleted, so line numbers in
//! reports still match the file the developer edits.

use super::Item;

/// The scissors line `git commit -v` writes (after the comment character and a space).
pub const SCISSORS: &str = "------------------------ >8 ------------------------";

/// The comment characters git may use for `core.commentChar=auto`.
const AUTO_CANDIDATES: &[u8] = b"#;@!$%^&|:";

/// What git will do with comment lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comments {
    /// Kept in the recorded message: every line is scanned.
    Kept,
    /// Stripped, with this `core.commentChar` (`None`: `#`; `Some("auto")`: git's pick).
    Stripped(Option<String>),
}

impl Comments {
    /// Decides from `commit.cleanup`, whether an editor runs (git sets `GIT_EDITOR=:` for the
    /// hook when it does not) and `core.commentChar`.
    pub fn decide(cleanup: Option<&str>, editor: bool, comment_char: Option<String>) -> Comments {
        let strips = match cleanup {
            Some("strip") => true,
            None | Some("default") => editor,
            Some(_) => false,
        };
        if strips {
            Comments::Stripped(comment_char)
        } else {
            Comments::Kept
        }
    }
}

/// Turns a message file's bytes into an item whose added regions are the real message lines.
pub fn item(name: &str, text: Vec<u8>, comments: &Comments) -> Item {
    let Comments::Stripped(comment) = comments else {
        return Item::whole(name, text);
    };
    let auto = (comment.as_deref() == Some("auto"))
        .then(|| auto_char(&text))
        .flatten();
    let is_comment = |line: &[u8]| -> bool {
        match comment.as_deref() {
            Some("auto") => auto.is_some_and(|c| line.first() == Some(&c)),
            Some(c) if !c.is_empty() => line.starts_with(c.as_bytes()),
            Some(_) => false,
            None => line.first() == Some(&b'#'),
        }
    };
    let mut added: Vec<std::ops::Range<usize>> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        if is_comment(line) && memchr::memmem::find(line, SCISSORS.as_bytes()).is_some() {
            break;
        }
        if !is_comment(line) {
            match added.last_mut() {
                Some(r) if r.end == pos => r.end = end,
                _ => added.push(pos..end),
            }
        }
        pos = end;
    }
    Item {
        path: name.into(),
        text,
        added,
        commit: None,
        refname: None,
    }
}

/// `core.commentChar=auto`: git picked ONE candidate that starts no message line and wrote its
/// template with it, so lines starting with the other candidates are message text. The choice
/// is read from the scissors line, else from the template's last line (git appends the
/// template after the message); no such line means no comments.
fn auto_char(text: &[u8]) -> Option<u8> {
    let lines = || {
        text.split(|&b| b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
    };
    let candidate = |l: &[u8]| l.first().copied().filter(|b| AUTO_CANDIDATES.contains(b));
    lines()
        .find(|l| memchr::memmem::find(l, SCISSORS.as_bytes()).is_some())
        .and_then(candidate)
        .or_else(|| lines().next_back().and_then(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str, comment: Option<&str>) -> String {
        let it = item(
            "MSG",
            text.as_bytes().to_vec(),
            &Comments::Stripped(comment.map(str::to_owned)),
        );
        it.added.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn message_table() {
        assert_eq!(kept("fix\n# comment\nbody\n", None), "fix\nbody\n");
        assert_eq!(kept("fix\n; comment\n# kept\n", Some(";")), "fix\n# kept\n");
        assert_eq!(kept("fix\n; c\n# c\n", Some("auto")), "fix\n; c\n");
        assert_eq!(kept("fix\n: real\n; c\n", Some("auto")), "fix\n: real\n");
        assert_eq!(kept("fix\n# real\n", Some("auto")), "fix\n");
        let v = format!("fix\n# {SCISSORS}\n# Do not modify\ndiff --git a b\n+ssn 1\n");
        assert_eq!(kept(&v, None), "fix\n");
    }

    #[test]
    fn when_git_keeps_comments() {
        let d = |c, e| Comments::decide(c, e, None);
        assert_eq!(d(None, true), Comments::Stripped(None));
        assert_eq!(d(None, false), Comments::Kept);
        assert_eq!(d(Some("strip"), false), Comments::Stripped(None));
        assert_eq!(d(Some("whitespace"), true), Comments::Kept);
        assert_eq!(d(Some("verbatim"), true), Comments::Kept);
        let t = b"fix\n# kept by git -m\n";
        let it = item("MSG", t.to_vec(), &Comments::Kept);
        assert_eq!(it.added, crate::source::whole_region(t.len()));
    }
}
