//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

fn added<'a>(old: &[&'a str], new: &'a str) -> Vec<&'a str> {
    let old: Vec<&[u8]> = old.iter().map(|s| s.as_bytes()).collect();
    added_regions(&old, new.as_bytes())
        .into_iter()
        .map(|r| &new[r])
        .collect()
}

#[test]
fn added_table() {
    assert_eq!(added(&[], "a\nb\n"), vec!["a\nb\n"]);
    assert_eq!(added(&["a\nb\n"], "a\nb\n"), Vec::<&str>::new());
    assert_eq!(added(&["a\nc\n"], "a\nb\nc\nd"), vec!["b\n", "d"]);
    // CRLF conversion adds nothing.
    assert_eq!(added(&["a\r\nb\r\n"], "a\nb\n"), Vec::<&str>::new());
    // A line moved within the file is not added (the documented difference from diff).
    assert_eq!(added(&["x\ny\n"], "y\nx\n"), Vec::<&str>::new());
    // A merge: lines from either parent are not added; the resolution line is.
    assert_eq!(added(&["a\nb\n", "a\nc\n"], "a\nb\nc\nz\n"), vec!["z\n"]);
}
