//! Commit messages: what `git commit` may record. Every line is scanned, comment lines too:
//! the hook cannot see `--cleanup` on git's command line (`-m "# …"` and
//! `--cleanup=whitespace` keep them) nor reliably which comment character or string git
//! uses, and a comment line is git's own template, which never holds a value. Everything from
//! the scissors line of `commit -v` down — the diff, never part of the message — is left out.
//! Line numbers refer to the message file the developer edits.

use super::Item;

/// The scissors marker `git commit -v` writes (after the comment character and a space).
pub const SCISSORS: &str = "------------------------ >8 ------------------------";

/// Whether `line` is git's scissors line: the marker after a comment prefix.
fn is_scissors(line: &[u8]) -> bool {
    let prefixed = line.first().is_some_and(|b| !b.is_ascii_alphanumeric());
    prefixed && memchr::memmem::find(line, SCISSORS.as_bytes()).is_some()
}

/// Turns a message file's bytes into an item: every line up to the scissors line is added.
pub fn item(name: &str, text: Vec<u8>) -> Item {
    let mut pos = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
        if is_scissors(&text[pos..end]) {
            break;
        }
        pos = end;
    }
    Item {
        path: name.into(),
        added: crate::source::whole_region(pos),
        text,
        commit: None,
        refname: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str) -> String {
        let it = item("MSG", text.as_bytes().to_vec());
        it.added.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn message_table() {
        assert_eq!(kept("fix\n# comment\nbody\n"), "fix\n# comment\nbody\n");
        let v = format!("fix\n# {SCISSORS}\n# Do not modify\ndiff --git a b\n+x 1\n");
        assert_eq!(kept(&v), "fix\n");
        let v = format!("fix\n; {SCISSORS}\n+x 1\n");
        assert_eq!(kept(&v), "fix\n");
        // The marker inside message text is not a scissors line.
        let v = format!("fix {SCISSORS}\nbody\n");
        assert_eq!(kept(&v), v);
        assert_eq!(kept(""), "");
    }
}
