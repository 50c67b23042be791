//! Commit messages: what `git commit` will record. Comment lines (`core.commentChar`, `#` by
//! default, `auto` meaning any of git's candidates) and everything from the scissors line of
//! `commit -v` down are not part of the message. Removed lines are blanked, not deleted, so
//! line numbers in reports still match the file the developer edits.

use super::Item;

/// The scissors line `git commit -v` writes (after the comment character and a space).
pub const SCISSORS: &str = "------------------------ >8 ------------------------";

/// The comment characters git may use for `core.commentChar=auto`.
const AUTO_CANDIDATES: &[u8] = b"#;@!$%^&|:";

/// Turns a message file's bytes into an item whose added regions are the real message lines.
pub fn item(name: &str, text: Vec<u8>, comment: Option<&str>) -> Item {
    let is_comment = |line: &[u8]| -> bool {
        match comment {
            Some("auto") => line.first().is_some_and(|b| AUTO_CANDIDATES.contains(b)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str, comment: Option<&str>) -> String {
        let it = item("MSG", text.as_bytes().to_vec(), comment);
        it.added.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn message_table() {
        assert_eq!(kept("fix\n# comment\nbody\n", None), "fix\nbody\n");
        assert_eq!(kept("fix\n; comment\n# kept\n", Some(";")), "fix\n# kept\n");
        assert_eq!(kept("fix\n; c\n# c\n", Some("auto")), "fix\n");
        let v = format!("fix\n# {SCISSORS}\n# Do not modify\ndiff --git a b\n+ssn 1\n");
        assert_eq!(kept(&v, None), "fix\n");
    }
}
