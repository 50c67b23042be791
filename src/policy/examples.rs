//! Files where credential-like literals are overwhelmingly examples: test sources and
//! documentation. A generic literal there (a strength-graded assignment, no provider format)
//! warns instead of blocking; a provider-format token keeps its severity wherever it is, and
//! PHI follows `[scan] test_paths` instead ([`super::Policy::path_severity`]).

use crate::detect::RawMatch;
use crate::rules::Severity;

/// The severity `raw` keeps in the file at `path`: a graded literal's block is a warning in
/// a test source or a documentation file; anything else is unchanged.
pub fn severity(raw: &RawMatch, path: &str) -> Severity {
    if raw.graded_literal && raw.severity == Severity::Block && holds_examples(path) {
        Severity::Warn
    } else {
        raw.severity
    }
}

/// Test sources and documentation, by file name: `*.md` and other prose formats, `*_test.*`,
/// `*.spec.*`, `test_*`, `*Tests.*`, mocks and fixtures.
pub fn holds_examples(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = name.split('.').next().unwrap_or(name);
    let orig = path.rsplit('/').next().unwrap_or(path);
    let orig_stem = orig.split('.').next().unwrap_or(orig);
    const DOC: &[&str] = &[
        ".md",
        ".markdown",
        ".adoc",
        ".asciidoc",
        ".rst",
        ".txt",
        ".html",
    ];
    DOC.iter().any(|e| name.ends_with(e))
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_spec.")
        || stem.starts_with("test_")
        || stem == "test"
        || ["_test", "-test", "_tests", "-tests"]
            .iter()
            .any(|e| stem.ends_with(e))
        || orig_stem.ends_with("Test")
        || orig_stem.ends_with("Tests")
        || stem.contains("mock")
        || stem.contains("fixture")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_or_doc_path_table() {
        let cases: &[(&str, bool)] = &[
            ("discovery/vultr/mock_test.go", true),
            ("docs/registries.md", true),
            ("src/test_client.py", true),
            ("web/app.spec.ts", true),
            ("src/main/java/ConfigTests.java", true),
            ("config/application.properties", false),
            (".env", false),
            ("config/latest.yaml", false),
            ("deploy/main.tf", false),
        ];
        for (p, want) in cases {
            assert_eq!(holds_examples(p), *want, "{p}");
        }
    }

    /// Only a graded literal's block is lowered, and only where examples live.
    #[test]
    fn only_graded_literal_blocks_in_example_files_warn() {
        let raw = |severity, graded_literal| RawMatch {
            rule: crate::detect::RuleIdx(0),
            span: 0..1,
            severity,
            synthetic: false,
            detail: None,
            graded_literal,
        };
        let (docs, conf) = ("docs/setup.md", "config/app.yaml");
        assert_eq!(severity(&raw(Severity::Block, true), docs), Severity::Warn);
        assert_eq!(severity(&raw(Severity::Block, true), conf), Severity::Block);
        assert_eq!(
            severity(&raw(Severity::Block, false), docs),
            Severity::Block
        );
        assert_eq!(severity(&raw(Severity::Warn, true), docs), Severity::Warn);
    }
}
