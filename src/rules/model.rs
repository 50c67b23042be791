//! The rule-pack schema: what a `patterns/**/*.toml` file (or a `[[rules.custom]]` table in a
//! config) may contain. Unknown keys are errors, so a typo in a pack never silently disables a
//! rule.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of data a rule protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Protected health information (HIPAA identifiers).
    Phi,
    /// Credentials: keys, tokens, passwords.
    Secret,
    /// A change to phiguard's own configuration that weakens the checks
    /// (`policy.config.weakened`); not a category a rule pack can declare.
    #[serde(skip)]
    Config,
}

impl Category {
    /// The name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Phi => "phi",
            Category::Secret => "secret",
            Category::Config => "config",
        }
    }
}

/// How much a finding matters. Ordered: `Info < Warn < Block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, never fails anything.
    Info,
    /// Reported, exits 0.
    Warn,
    /// Fails the hook (exit 1).
    Block,
}

impl Severity {
    /// The name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Block => "block",
        }
    }

    /// One level up (co-location), saturating at `Block`.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Warn,
            _ => Severity::Block,
        }
    }

    /// One level down (test paths), saturating at `Info`.
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Block => Severity::Warn,
            _ => Severity::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a rule's keywords gate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeywordRole {
    /// The rule runs only near one of its keywords (the common case; cheap).
    #[default]
    Required,
    /// The rule runs on every added line that passes its gate; keywords only tell the
    /// validator that context is present (e.g. formatted SSNs, phone numbers).
    Booster,
}

/// The rule's part in co-location (a person anchor and an identifier in one hunk raise both
/// findings one level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Colocation {
    /// Takes no part.
    #[default]
    None,
    /// Identifies a person: a name field, a date of birth, a street address.
    Anchor,
    /// An identifier: SSN, MRN, MBI, HICN, phone, email.
    Identifier,
}

/// A text a rule must (or must not) find, as a plain string or with the path it is scanned as.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Example {
    /// Scanned as a file named `example.txt`.
    Text(String),
    /// Scanned as a file with this path (path-sensitive rules, e.g. `.npmrc`).
    WithPath {
        /// The example text.
        text: String,
        /// The path it is scanned as.
        path: String,
    },
}

impl Example {
    /// The text to scan.
    pub fn text(&self) -> &str {
        match self {
            Example::Text(t) => t,
            Example::WithPath { text, .. } => text,
        }
    }

    /// The path the text is scanned as.
    pub fn path(&self) -> &str {
        match self {
            Example::Text(_) => "example.txt",
            Example::WithPath { path, .. } => path,
        }
    }
}

fn yes() -> bool {
    true
}

/// One rule as written in a pack. See `patterns/README.md` for a worked example.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id, `phi.ssn`, `secret.aws.access-key-id`: used in output, config and baselines.
    pub id: String,
    /// Human name, shown in `rules list` and SARIF.
    pub name: String,
    /// `phi` or `secret`.
    pub category: Category,
    /// Default severity (config can override it).
    pub severity: Severity,
    /// The regex (ASCII mode, `regex::bytes` syntax). A named group `value` (or
    /// [`RuleSpec::value_group`]) marks the sensitive part; otherwise the whole match is it.
    pub pattern: String,
    /// Keywords for the Aho-Corasick prefilter (case-insensitive).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Whether the keywords are required (default) or only boost.
    #[serde(default)]
    pub keyword_role: KeywordRole,
    /// Name of the capture group holding the value (default `value` when the pattern has one).
    #[serde(default)]
    pub value_group: Option<String>,
    /// Name of a validator in code (`ssn`, `luhn`, `entropy`, ...).
    #[serde(default)]
    pub validator: Option<String>,
    /// The message shown with a finding; defaults to `name`.
    #[serde(default)]
    pub message: Option<String>,
    /// Rules that run without a keyword only look at lines with at least this many ASCII digits.
    #[serde(default)]
    pub min_digits: u8,
    /// Rules that run without a keyword only look at lines holding at least one of these bytes
    /// (`"@"` for e-mail addresses): a cheap gate where a digit count says nothing. A keyword
    /// rule's regex runs only on spans holding one (`"@"` for a URL with a password).
    #[serde(default)]
    pub line_gate: Option<String>,
    /// Name of a line filter in code (`csv_row`): rules that run without a keyword skip gated
    /// lines it rejects. Only for conditions the validator would reject anyway, so a filter
    /// saves regex and validator work but never changes a result.
    #[serde(default)]
    pub line_filter: Option<String>,
    /// How many lines after a keyword's line a match may reach (multi-line secrets such as PEM
    /// blocks need more than the default 2).
    #[serde(default)]
    pub span_lines: Option<u32>,
    /// Part in co-location.
    #[serde(default)]
    pub colocation: Colocation,
    /// How many leading characters of a secret the masked excerpt may show (at most 4; only
    /// for a known, non-secret prefix such as `AKIA` or `ghp_`).
    #[serde(default)]
    pub reveal_prefix: u8,
    /// Minimum Shannon entropy (bits per byte) of the value, checked before the validator.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Regexes over the value: a value matching any of them is not a finding.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regex over the path: the rule only runs on matching paths.
    #[serde(default)]
    pub path: Option<String>,
    /// On by default; `enabled = false` makes a rule opt-in (`[rules] enable` turns it on,
    /// `[rules] disable` turns any rule off).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Anchor-only rules (`report = false`) feed co-location but are never printed.
    #[serde(default = "yes")]
    pub report: bool,
    /// Texts the rule must find (run by `phiguard rules check` and the test suite).
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Texts the rule must not find.
    #[serde(default)]
    pub negative_examples: Vec<Example>,
}

/// A pack file: a list of `[[rules]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    /// The rules, in file order.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}
