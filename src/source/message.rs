//! Commit messages: what `git commit` may record. Every line is scanned, comment lines too:
//! the hook cannot see `--cleanup` on git's command line (`-m "# …"` and
//! `--cleanup=whitespace` keep them), and a comment line is git's own template, which never
//! holds a value. Everything from git's exact scissors line of `commit -v` down — the diff,
//! never part of the message — is left out; a line that merely contains the marker does not
//! count (else `# -- >8 --` in a message would hide every line below it).
//! Line numbers refer to the message file the developer edits.

use super::Item;

/// The scissors marker `git commit -v` writes (after the comment character and a space).
pub const SCISSORS: &str = "------------------------ >8 ------------------------";

/// The comment characters `core.commentChar = auto` chooses from (git's `comment_line_str`
/// candidates): any of them may start the scissors line then.
pub const AUTO_COMMENT_CHARS: &[&str] = &["#", ";", "@", "!", "$", "%", "^", "&", "|", ":"];

/// Whether `line` (with its line end) is exactly git's scissors line for one of `comments`:
/// `<comment> ------------------------ >8 ------------------------`, nothing before or after.
/// A line that merely contains the marker ends nothing: the message goes on below it.
fn is_scissors(line: &[u8], comments: &[&str]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    comments.iter().any(|c| {
        line.len() == c.len() + 1 + SCISSORS.len()
            && line.starts_with(c.as_bytes())
            && line[c.len()] == b' '
            && line.ends_with(SCISSORS.as_bytes())
    })
}

/// Turns a message file's bytes into an item: every line up to git's default (`#`) scissors
/// line is added.
pub fn item(name: &str, text: Vec<u8>) -> Item {
    item_with_comments(name, text, &["#"])
}

/// [`item`] for a repository whose comment string (`core.commentChar` /
/// `core.commentString`) is one of `comments`.
pub fn item_with_comments(name: &str, text: Vec<u8>, comments: &[&str]) -> Item {
    let mut pos = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
        if is_scissors(&text[pos..end], comments) {
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
        rooted: None,
        member: 0,
        origin: None,
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
        // Another comment character is not the scissors line unless configured.
        let v = format!("fix\n; {SCISSORS}\n+x 1\n");
        assert_eq!(kept(&v), v);
        let it = item_with_comments("MSG", v.clone().into_bytes(), &[";"]);
        assert_eq!(it.added, vec![0..4]);
        // A line that contains the marker with more around it is message text.
        let v = format!("fix\n## {SCISSORS}\nssn\n");
        assert_eq!(kept(&v), v);
        let v = format!("fix\n# {SCISSORS} and more\nssn\n");
        assert_eq!(kept(&v), v);
        // The marker inside message text is not a scissors line.
        let v = format!("fix {SCISSORS}\nbody\n");
        assert_eq!(kept(&v), v);
        assert_eq!(kept(""), "");
    }
}
