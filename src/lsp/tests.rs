use super::*;

fn uri(s: &str) -> lsp::Uri {
    s.parse().unwrap()
}

#[test]
fn uri_path_decodes_percent_escapes_and_refuses_other_schemes() {
    assert_eq!(
        uri_path(&uri("file:///home/a%20b/caf%C3%A9.py")),
        Some(PathBuf::from("/home/a b/café.py"))
    );
    assert_eq!(
        uri_path(&uri("file://localhost/etc/x")),
        Some(PathBuf::from("/etc/x"))
    );
    assert_eq!(uri_path(&uri("untitled:Untitled-1")), None);
}

#[test]
fn comment_leaders_by_language_then_extension() {
    assert_eq!(comment_for("rust", "src/lib.rs"), Some(("// ", "")));
    assert_eq!(comment_for("", "src/lib.rs"), Some(("// ", "")));
    assert_eq!(comment_for("python", "x"), Some(("# ", "")));
    assert_eq!(comment_for("html", "a.html"), Some(("<!-- ", " -->")));
    assert_eq!(comment_for("sql", "q.sql"), Some(("-- ", "")));
    assert_eq!(comment_for("json", "a.json"), None);
    assert_eq!(comment_for("plaintext", "notes"), Some(("# ", "")));
}

/// Every comment the code action writes is one the suppression reader accepts as a marker
/// line of its own, with a reason.
#[test]
fn allow_comments_are_honoured_by_the_suppression_reader() {
    for (language, path) in [
        ("rust", "a.rs"),
        ("python", "a.py"),
        ("html", "a.html"),
        ("css", "a.css"),
        ("sql", "a.sql"),
        ("tex", "a.tex"),
        ("lisp", "a.el"),
        ("vb", "a.vb"),
        ("bat", "a.bat"),
    ] {
        let (open, close) = comment_for(language, path).unwrap();
        let text = format!(
            "  {open}{} {PLACEHOLDER_REASON}{close}\nssn = 1\n",
            crate::policy::suppress::MARKER
        );
        let at = text.find("ssn").unwrap();
        assert!(
            crate::policy::suppress::inline_allowed(
                text.as_bytes(),
                at,
                crate::rules::Category::Phi
            ),
            "{language}: {text:?}"
        );
    }
}
