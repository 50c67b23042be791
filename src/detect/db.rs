//! The compiled rule database: built once per process, shared read-only by every thread.
//!
//! One case-insensitive Aho-Corasick automaton over every keyword of every rule decides which
//! rules run where. It reports overlapping hits (standard semantics), so a keyword inside
//! another (`password` in `_password`) still counts for its own rules; short keywords are held
//! to word boundaries instead. Regexes compile lazily, on the first keyword hit for their rule, so a hook
//! on a ten-line diff pays only for the rules that diff can trigger.

use super::filters::{LineFilter, line_filter};
use super::keywords::KeywordSet;
use super::validators::{self, Validator};
use crate::error::{Error, Result};
use crate::rules::Pack;
use crate::rules::{Category, Colocation, KeywordRole, RuleSpec, Severity};
use regex::bytes::{Regex, RegexBuilder};
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::syntax;
use regex_automata::{MatchKind, PatternID, meta};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Index of a rule in its [`RuleDb`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleIdx(pub u32);

/// A compiled regex and the capture group that holds the value.
#[derive(Debug)]
pub struct Compiled {
    /// The regex (ASCII mode; `rule_regex` in this module says why it is not a
    /// `regex::bytes::Regex`).
    pub regex: meta::Regex,
    /// Capture group index of the value (0 = the whole match).
    pub value_group: usize,
    /// No match can hold a newline, and none is empty: a search split at line starts finds
    /// exactly the matches of one search over the whole span (`line_bound` in this module).
    pub line_bound: bool,
    /// A literal every match holds (`required_literal` in this module): a span without it
    /// holds no match.
    pub required: Option<memchr::memmem::Finder<'static>>,
    /// The pattern, for [`Compiled::regex_for`].
    pattern: Box<str>,
    /// `regex` with a prefix prefilter ([`long_prefix_prefilter`]), made on the first long
    /// haystack, with its caches; `None` when the pattern has none worth using.
    prefiltered: OnceLock<Option<(meta::Regex, CachePool)>>,
    /// Search caches for `regex` ([`Compiled::searcher_for`]).
    caches: CachePool,
}

/// Search caches for one regex, one per thread using it at a time (as the regex's own).
pub type CachePool = regex_automata::util::pool::Pool<Search, CacheFn>;

/// What one search with a rule's regex needs besides the haystack: the regex's cache and a
/// set of capture slots. The slots were made for every span searched, an allocation and a
/// reference count shared by the threads (`Regex::create_captures`: 3 % of the CPU time
/// of 20,000 HL7 messages, five rules a message).
#[derive(Debug, Clone)]
pub struct Search {
    /// The regex's cache.
    pub cache: meta::Cache,
    /// Capture slots for the regex.
    pub caps: regex_automata::util::captures::Captures,
}

/// What makes a search state for a [`CachePool`] (the marker traits spelled out as the
/// regex's own pool does).
pub type CacheFn =
    Box<dyn Fn() -> Search + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// A pool of search states for `regex`.
fn cache_pool(regex: &meta::Regex) -> CachePool {
    let regex = regex.clone();
    CachePool::new(Box::new(move || Search {
        cache: regex.create_cache(),
        caps: regex.create_captures(),
    }))
}

/// Haystacks of at least this many bytes are searched with a rule's prefix prefilter
/// ([`Compiled::regex_for`]).
pub const PREFILTER_SPAN_BYTES: usize = 64 << 10;

impl Compiled {
    /// The regex to search a haystack of `len` bytes with: [`Compiled::regex`], or for a long
    /// one the same pattern with its prefix prefilter. Both find the same matches (tests
    /// compare them).
    ///
    /// Why by length: a dense file's keyword is on every line (a FHIR export's
    /// `resourceType`, `"system"`, `"given"`), so its rules run one span over the whole text
    /// and their lazy DFA reads every byte of it, while matches start only at a few words;
    /// the prefilter skips to them. On the short spans of ordinary files it saves nothing,
    /// and compiling it for every rule that runs cost a scan of this repository's sources
    /// 6 % of its CPU time.
    pub fn regex_for(&self, len: usize) -> &meta::Regex {
        self.searcher_for(len).0
    }

    /// [`Compiled::regex_for`] with a pool of search caches for it: the scan searches with a
    /// cache it holds for a whole span, where the regex's captures iterator copied its
    /// capture slots into a fresh allocation for every match.
    pub fn searcher_for(&self, len: usize) -> (&meta::Regex, &CachePool) {
        if len < PREFILTER_SPAN_BYTES {
            return (&self.regex, &self.caches);
        }
        self.prefiltered
            .get_or_init(|| {
                let pre = long_prefix_prefilter(&self.pattern)?;
                let regex = rule_regex_with(&self.pattern, Some(pre)).ok()?;
                let caches = cache_pool(&regex);
                Some((regex, caches))
            })
            .as_ref()
            .map_or((&self.regex, &self.caches), |(r, c)| (r, c))
    }
}

/// One rule, ready to run.
#[derive(Debug)]
pub struct Rule {
    /// The spec as written (for `rules list`, `rules check`, SARIF metadata).
    pub spec: RuleSpec,
    /// The pack it came from.
    pub source: String,
    /// Severity after config overrides.
    pub severity: Severity,
    /// Code-side validation.
    pub validator: Option<Validator>,
    /// Skips gated lines that cannot hold a finding.
    pub line_filter: Option<LineFilter>,
    /// Compiled on first use.
    compiled: OnceLock<std::result::Result<Compiled, String>>,
    /// A thread has started compiling the pattern ([`Rule::compiling_elsewhere`]).
    compiling: std::sync::atomic::AtomicBool,
    /// Values matching any of these are dropped.
    allow: Vec<Regex>,
    /// The configuration overrides the severity (it then beats the validator's choice).
    overridden: bool,
    /// Only paths matching this are scanned.
    path: Option<Regex>,
}

impl Rule {
    /// The stable id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// `phi` or `secret`.
    pub fn category(&self) -> Category {
        self.spec.category
    }

    /// The message shown with a finding.
    pub fn message(&self) -> &str {
        self.spec.message.as_deref().unwrap_or(&self.spec.name)
    }

    /// Whether a keyword must be near a match.
    pub fn keyword_required(&self) -> bool {
        self.spec.keyword_role == KeywordRole::Required && !self.spec.keywords.is_empty()
    }

    /// Lines after a keyword's line that a match may reach.
    pub fn span_lines(&self) -> u32 {
        self.spec.span_lines.unwrap_or(2)
    }

    /// The part in co-location.
    pub fn colocation(&self) -> Colocation {
        self.spec.colocation
    }

    /// The regex, compiling it on first use.
    ///
    /// # Errors
    ///
    /// When the pattern does not compile; names the pack, the rule and the key.
    pub fn compiled(&self) -> Result<&Compiled> {
        self.compiled
            .get_or_init(|| {
                self.compiling
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                compile(&self.spec)
            })
            .as_ref()
            .map_err(|msg| Error::rule(&self.source, self.id(), Some("pattern"), msg.clone()))
    }

    /// Whether another thread is compiling the pattern right now: [`Rule::compiled`] would
    /// wait for it, and a caller with other rules to run can run those first. (The calling
    /// thread never asks while it compiles.)
    pub fn compiling_elsewhere(&self) -> bool {
        self.compiled.get().is_none() && self.compiling.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Tests: as if another thread had started compiling the pattern.
    #[cfg(test)]
    pub(crate) fn mark_compiling(&self) {
        self.compiling
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the configuration set this rule's severity.
    pub fn severity_overridden(&self) -> bool {
        self.overridden
    }

    /// Whether the value is on the rule's allow list.
    pub fn allowed_value(&self, value: &[u8]) -> bool {
        self.allow.iter().any(|re| re.is_match(value))
    }

    /// Whether the rule applies to this path: its own path pattern, and no PHI rule on a
    /// generated file ([`crate::source::generated_path`]).
    pub fn applies_to(&self, path: &str) -> bool {
        self.applies_to_known(path, crate::source::generated_path(path))
    }

    /// [`Rule::applies_to`] for a caller that asked [`crate::source::generated_path`] of
    /// `path` once for all its rules (`generated`): the matcher asks for every rule of every
    /// file, and for every keyword hit.
    pub fn applies_to_known(&self, path: &str, generated: bool) -> bool {
        if self.category() == Category::Phi && generated {
            return false;
        }
        self.path
            .as_ref()
            .is_none_or(|re| re.is_match(path.as_bytes()))
    }
}

fn regex(pattern: &str) -> std::result::Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(32 << 20)
        .dfa_size_limit(32 << 20)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
                .to_owned()
        })
}

/// A rule's pattern compiled as `regex::bytes::RegexBuilder` would (ASCII classes, any
/// bytes, leftmost-first, the same limits as [`regex()`]), but with no literal prefilter.
///
/// Why: the `regex` builder always lets the engine pick a prefilter from the pattern's
/// literal prefixes, and an identifier's prefixes are hundreds of two- or three-byte
/// strings (`[1-9][AC-HJKMNP-RT-Y]` starts an MBI). In code such strings occur every few
/// bytes, so the prefilter stops and restarts the DFA at each one; and building it is a third
/// of the time spent compiling the packs. The rules only ever search the spans the keyword
/// prefilter and the line gates chose, which leaves a literal prefilter little to skip.
/// Measured with `valgrind --tool=callgrind`, one thread: instructions for `scan tree/`
/// 4.61 G → 4.36 G, for the staged change 3.04 G → 2.96 G; findings identical.
///
/// The exception is a long haystack of a rule whose every match starts with one of a few
/// literals of at least three bytes ([`Compiled::regex_for`]).
fn rule_regex(hir: &regex_syntax::hir::Hir) -> std::result::Result<meta::Regex, String> {
    rule_regex_from(hir, None)
}

/// How rule patterns are parsed: bytes, not Unicode ([`rule_regex`], and the analyses of
/// [`line_bound`] and [`long_prefix_prefilter`], which must read them as it does).
fn rule_syntax() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// [`rule_regex`] with the literal prefilter `pre` (none: the DFA reads every byte). A
/// prefilter only skips to where a match may start, so it never changes the matches.
fn rule_regex_with(
    pattern: &str,
    pre: Option<Prefilter>,
) -> std::result::Result<meta::Regex, String> {
    rule_regex_from(&parse(pattern)?, pre)
}

/// A rule's pattern parsed as [`rule_syntax`] says, with the message `regex::Error` gives
/// for a syntax error.
fn parse(pattern: &str) -> std::result::Result<regex_syntax::hir::Hir, String> {
    syntax::parse_with(pattern, &rule_syntax()).map_err(|e| last_line(&e.to_string()))
}

/// The last line of an error message, trimmed: what `regex::Error` shows.
fn last_line(msg: &str) -> String {
    msg.lines()
        .last()
        .unwrap_or("invalid regex")
        .trim()
        .to_owned()
}

/// [`rule_regex_with`] of a pattern parsed already ([`parse`]): [`compile`] parses once for
/// the regex and the analyses ([`line_bound`], [`required_literal`]), which parsed it
/// again each (a sixth of compiling the rules a staged change uses).
fn rule_regex_from(
    hir: &regex_syntax::hir::Hir,
    pre: Option<Prefilter>,
) -> std::result::Result<meta::Regex, String> {
    let config = meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(false)
        .nfa_size_limit(Some(32 << 20))
        .hybrid_cache_capacity(32 << 20)
        .auto_prefilter(false)
        .prefilter(pre);
    meta::Builder::new()
        .configure(config)
        .build_from_hir(hir)
        .map_err(|e| {
            // The messages `regex::Error` gives for the same failures.
            let msg = match (e.size_limit(), e.syntax_error()) {
                (Some(limit), _) => format!("Compiled regex exceeds size limit of {limit} bytes."),
                (None, Some(syntax)) => syntax.to_string(),
                (None, None) => e.to_string(),
            };
            last_line(&msg)
        })
}

/// The shortest literal a rule's prefix prefilter may look for.
const PREFILTER_MIN_LITERAL: usize = 3;

/// A prefilter over the literals every match of `pattern` starts with, when each is at least
/// [`PREFILTER_MIN_LITERAL`] bytes and the set is one a SIMD searcher handles
/// ([`Prefilter::is_fast`]): `"resourceType"`, `<id`, the case variants of `dob`.
///
/// The identifiers [`rule_regex`] keeps the prefilter from start with a digit or a one- or
/// two-byte class, which the length test rules out. The literals are extracted as the regex
/// engine extracts them (its `prefixes`, leftmost-first), with classes of at most four bytes
/// expanded (a digit class ends the literal at once: extraction cost half as much).
fn long_prefix_prefilter(pattern: &str) -> Option<Prefilter> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = syntax::parse_with(pattern, &rule_syntax()).ok()?;
    let mut prefixes = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(4)
        .extract(&hir);
    prefixes.optimize_for_prefix_by_preference();
    let literals = prefixes.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.len() < PREFILTER_MIN_LITERAL) {
        return None;
    }
    Prefilter::new(MatchKind::LeftmostFirst, literals).filter(Prefilter::is_fast)
}

fn compile(spec: &RuleSpec) -> std::result::Result<Compiled, String> {
    let hir = parse(&spec.pattern)?;
    let regex = rule_regex(&hir)?;
    let group_name = spec.value_group.as_deref().unwrap_or("value");
    let mut names = regex.group_info().pattern_names(PatternID::ZERO);
    let value_group = match names.position(|n| n == Some(group_name)) {
        Some(i) => i,
        None if spec.value_group.is_some() => {
            return Err(format!("the pattern has no group named {group_name:?}"));
        }
        None => 0,
    };
    Ok(Compiled {
        caches: cache_pool(&regex),
        regex,
        value_group,
        line_bound: line_bound(&hir),
        required: required_literal(&hir).map(|lit| memchr::memmem::Finder::new(&lit).into_owned()),
        pattern: spec.pattern.as_str().into(),
        prefiltered: OnceLock::new(),
    })
}

/// The shortest literal [`required_literal`] gives.
const REQUIRED_MIN_LITERAL: usize = 3;

/// The longest literal (of at least [`REQUIRED_MIN_LITERAL`] bytes) that every match of a
/// pattern (parsed: [`parse`]) holds, if there is one: `pat` in an
/// Airtable token's `(?:^|[^A-Za-z0-9_])(?P<value>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})`.
///
/// Why: a rule without a keyword runs on every line with enough digits, and when its
/// pattern opens with a class or an anchor the regex engine has no literal to skip to, so
/// its lazy DFA reads every byte of those lines. On a FHIR NDJSON export (18.6 MB, every line
/// with dozens of digits) the Airtable rule read all of it for nothing: 32 ms of CPU, where
/// one SIMD search for `pat` over the span takes 2. A literal under an alternation or an
/// optional repetition is not required; a case-insensitive one is a class, not a literal.
fn required_literal(hir: &regex_syntax::hir::Hir) -> Option<Vec<u8>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn walk(hir: &Hir) -> Option<Vec<u8>> {
        match hir.kind() {
            HirKind::Literal(lit) => Some(lit.0.to_vec()),
            HirKind::Capture(c) => walk(&c.sub),
            HirKind::Repetition(r) if r.min >= 1 => walk(&r.sub),
            // The translator joins adjacent literals of a concatenation into one.
            HirKind::Concat(all) => all.iter().filter_map(walk).max_by_key(Vec::len),
            _ => None,
        }
    }
    walk(hir).filter(|lit| lit.len() >= REQUIRED_MIN_LITERAL)
}

/// Whether no match of a pattern (parsed: [`parse`]) can hold a newline
/// and none can be empty. Then no match crosses a line start, so the matches starting at a
/// position are the same whether the haystack ends at a later line start or runs on, and a
/// leftmost-first iteration cut at line starts finds the same matches as one over the whole.
fn line_bound(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn newline(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Literal(lit) => lit.0.contains(&b'\n'),
            HirKind::Class(Class::Unicode(c)) => c
                .ranges()
                .iter()
                .any(|r| r.start() <= '\n' && '\n' <= r.end()),
            HirKind::Class(Class::Bytes(c)) => c
                .ranges()
                .iter()
                .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
            HirKind::Repetition(r) => newline(&r.sub),
            HirKind::Capture(c) => newline(&c.sub),
            HirKind::Concat(all) | HirKind::Alternation(all) => all.iter().any(newline),
        }
    }
    !newline(hir) && hir.properties().minimum_len().is_some_and(|n| n > 0)
}

/// What the configuration changes about the rule set.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rule ids to switch off.
    pub disable: Vec<String>,
    /// Rule ids to switch on (rules with `enabled = false`).
    pub enable: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: HashMap<String, Severity>,
    /// Compile every regex now (for packs from files: fail before scanning, not during).
    pub eager: bool,
}

/// Builds a [`RuleDb`] from packs and a [`Selection`].
#[derive(Debug, Default)]
pub struct RuleDbBuilder {
    packs: Vec<Pack>,
    selection: Selection,
    selection_source: String,
}

impl RuleDbBuilder {
    /// An empty builder.
    pub fn new() -> RuleDbBuilder {
        RuleDbBuilder::default()
    }

    /// A builder holding every built-in pack (`patterns/`).
    ///
    /// # Errors
    ///
    /// Only if a built-in pack is malformed, which the test suite rules out.
    pub fn builtin() -> Result<RuleDbBuilder> {
        Ok(crate::rules::load::builtin()?
            .into_iter()
            .fold(RuleDbBuilder::new(), RuleDbBuilder::pack))
    }

    /// [`RuleDbBuilder::builtin`] without the rules' examples (see
    /// [`crate::rules::load::builtin_for_scanning`]): for everything but `rules check`.
    ///
    /// # Errors
    ///
    /// Only if a built-in pack is malformed, which the test suite rules out.
    pub fn builtin_for_scanning() -> Result<RuleDbBuilder> {
        Ok(crate::rules::load::builtin_for_scanning()?
            .into_iter()
            .fold(RuleDbBuilder::new(), RuleDbBuilder::pack))
    }

    /// Adds a pack; later packs may not reuse an earlier id.
    pub fn pack(mut self, pack: Pack) -> RuleDbBuilder {
        self.packs.push(pack);
        self
    }

    /// Applies a selection; `source` names where it came from in errors (a config file).
    pub fn select(mut self, selection: Selection, source: impl Into<String>) -> RuleDbBuilder {
        self.selection = selection;
        self.selection_source = source.into();
        self
    }

    /// Compiles the database.
    ///
    /// # Errors
    ///
    /// Duplicate ids, unknown validators, selections naming unknown rules, and (when eager)
    /// patterns that do not compile.
    pub fn build(self) -> Result<RuleDb> {
        let sel = &self.selection;
        let mut seen = HashSet::new();
        let mut rules = Vec::new();
        for pack in self.packs {
            for spec in pack.rules {
                if !seen.insert(spec.id.clone()) {
                    return Err(Error::rule(
                        &pack.source,
                        &spec.id,
                        Some("id"),
                        "duplicate rule id",
                    ));
                }
                let on = (spec.enabled || sel.enable.contains(&spec.id))
                    && !sel.disable.contains(&spec.id);
                if on {
                    rules.push(make_rule(spec, &pack.source, sel)?);
                }
            }
        }
        // The generic assignment rules are a fallback: of two overlapping findings of equal
        // severity the earlier rule wins, so they go after every provider rule, built-in or
        // from an extra pack (a team's `acme_live_...` rule beats `ACME_KEY=...`).
        rules.sort_by_key(|r: &Rule| r.spec.id.starts_with("secret.generic."));
        for id in sel
            .disable
            .iter()
            .chain(&sel.enable)
            .chain(sel.severity.keys())
        {
            if !seen.contains(id) {
                return Err(Error::rules(
                    &self.selection_source,
                    format!("[rules] names unknown rule {id:?} (see `phiguard rules list`)"),
                ));
            }
        }
        RuleDb::new(rules)
    }
}

/// Code a rule names by `key = "name"` (a validator, a line filter), from its registry; an
/// unknown name is an error naming the pack, the rule and the key.
fn lookup_named<T>(
    source: &str,
    spec: &RuleSpec,
    key: &str,
    name: &Option<String>,
    registry: fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    name.as_deref()
        .map(|n| {
            registry(n).ok_or_else(|| {
                Error::rule(
                    source,
                    &spec.id,
                    Some(key),
                    format!("unknown {} {n:?}", key.replace('_', " ")),
                )
            })
        })
        .transpose()
}

fn make_rule(spec: RuleSpec, source: &str, sel: &Selection) -> Result<Rule> {
    let validator = lookup_named(
        source,
        &spec,
        "validator",
        &spec.validator,
        validators::lookup,
    )?;
    let line_filter = lookup_named(source, &spec, "line_filter", &spec.line_filter, line_filter)?;
    let re = |key: &str, p: &str| regex(p).map_err(|m| Error::rule(source, &spec.id, Some(key), m));
    let allow = spec
        .allow
        .iter()
        .map(|p| re("allow", p))
        .collect::<Result<_>>()?;
    let path = spec.path.as_deref().map(|p| re("path", p)).transpose()?;
    let rule = Rule {
        severity: sel.severity.get(&spec.id).copied().unwrap_or(spec.severity),
        source: source.to_owned(),
        validator,
        line_filter,
        compiled: OnceLock::new(),
        compiling: std::sync::atomic::AtomicBool::new(false),
        overridden: sel.severity.contains_key(&spec.id),
        allow,
        path,
        spec,
    };
    if sel.eager {
        rule.compiled()?;
    }
    Ok(rule)
}

/// One keyword of the automaton and the rules it serves.
#[derive(Debug)]
pub struct Keyword {
    /// Rules that list this keyword.
    pub rules: Vec<RuleIdx>,
    /// Short keywords (≤ 4 bytes, such as `ssn` or `tin`) must stand at a word boundary, so
    /// `setting` does not count as `tin`; unless written with a capital (a token prefix).
    pub needs_boundary: bool,
    /// A dotted number (an OID such as `2.16.840.1.113883.4.1`): it must not run on into more
    /// digits on either side, so `.4.1` never counts inside `.4.10`. Other keywords that
    /// start with a digit (a base64 or hex fragment of a token prefix) stand anywhere in the
    /// digits of the encoded value.
    pub numeric: bool,
}

impl Keyword {
    /// Whether keyword `kw` is a dotted number ([`Keyword::numeric`]).
    pub fn is_dotted_number(kw: &str) -> bool {
        kw.contains('.') && kw.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    }
}

/// The compiled, read-only rule database.
#[derive(Debug)]
pub struct RuleDb {
    rules: Vec<Rule>,
    automaton: Option<KeywordSet>,
    keywords: Vec<Keyword>,
    unconditional: Vec<RuleIdx>,
    /// Some keyword holds a newline (none built in does).
    keyword_newline: bool,
}

/// Keywords are shorter than this: the matcher looks for a keyword standing before a match on
/// its line only this far (plus the 48 bytes of detectors.md §1.4) back.
pub const LONGEST_KEYWORD: usize = 200;

impl RuleDb {
    fn new(rules: Vec<Rule>) -> Result<RuleDb> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut words: Vec<String> = Vec::new();
        let mut keywords: Vec<Keyword> = Vec::new();
        let mut unconditional = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let idx = RuleIdx(i as u32);
            if !rule.keyword_required() {
                unconditional.push(idx);
            }
            for kw in &rule.spec.keywords {
                // A short keyword written with a capital is a token prefix (`EZAK`, `AKCp`):
                // random characters follow it, so it needs no word boundary.
                let token_prefix = kw.bytes().any(|b| b.is_ascii_uppercase());
                let kw = kw.to_ascii_lowercase();
                if kw.len() >= LONGEST_KEYWORD {
                    return Err(Error::rules(
                        rule.id(),
                        format!(
                            "keyword {:?}… is {} bytes long: keywords are shorter than {}",
                            kw.get(..16).unwrap_or(""),
                            kw.len(),
                            LONGEST_KEYWORD
                        ),
                    ));
                }
                let slot = *index.entry(kw.clone()).or_insert_with(|| {
                    words.push(kw.clone());
                    keywords.push(Keyword {
                        rules: Vec::new(),
                        needs_boundary: kw.len() <= 4 && !token_prefix,
                        numeric: Keyword::is_dotted_number(&kw),
                    });
                    words.len() - 1
                });
                if !keywords[slot].rules.contains(&idx) {
                    keywords[slot].rules.push(idx);
                }
            }
        }
        let keyword_newline = words.iter().any(|w| w.contains('\n'));
        let automaton = if words.is_empty() {
            None
        } else {
            Some(KeywordSet::new(&words).map_err(|e| Error::rules("<keywords>", e.to_string()))?)
        };
        Ok(RuleDb {
            rules,
            automaton,
            keywords,
            unconditional,
            keyword_newline,
        })
    }

    /// Whether a keyword may straddle a line start (it holds a newline): then a text's
    /// keyword hits cannot be looked for in halves cut at a line start.
    pub fn keywords_cross_lines(&self) -> bool {
        self.keyword_newline
    }

    /// All rules, in pack order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// One rule.
    pub fn rule(&self, idx: RuleIdx) -> &Rule {
        &self.rules[idx.0 as usize]
    }

    /// The keyword automaton (`None` when no rule has keywords).
    pub fn automaton(&self) -> Option<&KeywordSet> {
        self.automaton.as_ref()
    }

    /// The keyword behind an automaton pattern id.
    pub fn keyword(&self, pattern: usize) -> &Keyword {
        &self.keywords[pattern]
    }

    /// Rules that run on every line passing their gate (booster or keyword-less rules).
    pub fn unconditional(&self) -> &[RuleIdx] {
        &self.unconditional
    }

    /// Compiles every rule's regex now.
    ///
    /// # Errors
    ///
    /// The first pattern that does not compile.
    pub fn compile_all(&self) -> Result<()> {
        self.rules.iter().try_for_each(|r| r.compiled().map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::{long_prefix_prefilter, parse, rule_regex_with};
    use crate::detect::testing::{builtin, example_texts};

    /// [`super::line_bound`] of a pattern (`false` when it does not parse).
    fn line_bound(pattern: &str) -> bool {
        parse(pattern).is_ok_and(|hir| super::line_bound(&hir))
    }

    /// [`super::required_literal`] of a pattern.
    fn required_literal(pattern: &str) -> Option<Vec<u8>> {
        super::required_literal(&parse(pattern).ok()?)
    }

    /// A rule is searched in pieces cut at line starts only when no match can hold a
    /// newline and none is empty.
    #[test]
    fn line_bound_rules_are_those_whose_matches_hold_no_newline_and_are_not_empty() {
        for (pattern, want) in [
            (r"\b\d{3}-\d{2}-\d{4}\b", true),
            (r"(?m:^)[ \t]*PID\|", true),
            (r"[^\w\n]{0,6}(?P<v>\d{5})", true),
            (r"[A-Z][a-z]+[ \t]+Street", true),
            (r"\d+\s+Street", false),
            (r"a[^x]b", false),
            (r"(?s:a.b)", false),
            (r"a.b", true),
            ("a\nb", false),
            (r"a\nb", false),
            (r"(?:ab)?", false),
            (r"\b", false),
            (r"[\x00-\x7f]", false),
            (r"x(", false),
        ] {
            assert_eq!(line_bound(pattern), want, "{pattern}");
        }
    }

    /// A required literal is one every match holds: not one under an alternation, an
    /// optional repetition or a case-insensitive flag, and never shorter than three bytes.
    #[test]
    fn required_literals_are_in_every_match() {
        for (pattern, want) in [
            (
                r"(?:^|[^A-Za-z0-9_])(?P<value>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})",
                Some("pat"),
            ),
            (r"\b(?:glpat-)[0-9a-zA-Z_-]{20}\b", Some("glpat-")),
            (r"(?:x|y)AKIA[0-9A-Z]{16}(?:ab)+", Some("AKIA")),
            (r"(ab)+cdef", Some("cdef")),
            (r"(abcd)+ef", Some("abcd")),
            (r"(?:abc)?\d+", None),
            (r"(?:abc)*\d+", None),
            (r"(?:abc|abd)\d+", None),
            (r"(?i)password=\w+", None),
            (r"ab\d+cd", None),
            (r"\d{9}", None),
            (r"x(", None),
        ] {
            assert_eq!(
                required_literal(pattern).as_deref(),
                want.map(str::as_bytes),
                "{pattern}"
            );
        }
        // Every built-in rule's examples hold their rule's literal.
        let db = builtin();
        let mut with = 0;
        for rule in db.rules() {
            let Some(lit) = required_literal(&rule.spec.pattern) else {
                continue;
            };
            with += 1;
            let re = super::rule_regex(&super::parse(&rule.spec.pattern).unwrap()).unwrap();
            let texts = rule
                .spec
                .examples
                .iter()
                .chain(&rule.spec.negative_examples);
            for text in texts.map(|ex| ex.text().as_bytes()) {
                for m in re.find_iter(text) {
                    let found = &text[m.range()];
                    assert!(
                        memchr::memmem::find(found, &lit).is_some(),
                        "{}: {:?} lacks {:?}",
                        rule.id(),
                        String::from_utf8_lossy(found),
                        String::from_utf8_lossy(&lit)
                    );
                }
            }
        }
        assert!(with > 50, "{with}");
    }

    /// Every capture group of every match of `re` in `hay`, in order.
    fn all_captures(
        re: &regex_automata::meta::Regex,
        hay: &[u8],
    ) -> Vec<Vec<Option<(usize, usize)>>> {
        re.captures_iter(hay)
            .map(|caps| {
                (0..caps.group_len())
                    .map(|g| caps.get_group(g).map(|m| (m.start, m.end)))
                    .collect()
            })
            .collect()
    }

    /// Oracle: a built-in rule compiled with its prefix prefilter finds exactly the matches
    /// and groups it finds without one, on every rule's examples and on all of them joined
    /// (each rule then searches the others' text too, and the empty-prefix cases).
    #[test]
    fn prefix_prefilter_finds_what_the_plain_dfa_finds() {
        let db = builtin();
        let mut texts: Vec<String> = example_texts(&db)
            .into_iter()
            .map(|(_, t)| String::from_utf8(t).expect("examples are text"))
            .collect();
        let joined = texts.join("\n");
        texts.push(joined.clone());
        texts.push(joined.replace('\n', " "));
        texts.push(joined.to_ascii_lowercase());
        texts.push(String::new());
        let mut with_prefilter = 0;
        for rule in db.rules() {
            let pattern = &rule.spec.pattern;
            let Some(pre) = long_prefix_prefilter(pattern) else {
                continue;
            };
            with_prefilter += 1;
            let fast = rule_regex_with(pattern, Some(pre)).expect("compiles");
            let plain = rule_regex_with(pattern, None).expect("compiles");
            for text in &texts {
                let hay = text.as_bytes();
                assert_eq!(
                    all_captures(&fast, hay),
                    all_captures(&plain, hay),
                    "{}",
                    rule.spec.id
                );
                // Searches that start inside the haystack (pieces, spans) as well.
                for start in (0..hay.len()).step_by(97.max(hay.len() / 64)) {
                    let input = || regex_automata::Input::new(hay).range(start..);
                    assert_eq!(
                        fast.find(input()),
                        plain.find(input()),
                        "{} from {start}",
                        rule.spec.id
                    );
                    assert_eq!(fast.is_match(input()), plain.is_match(input()));
                }
            }
        }
        assert!(
            with_prefilter >= 5,
            "{with_prefilter} rules with a prefilter"
        );
    }

    /// Which rules get a prefix prefilter: the FHIR anchors and the label-led PHI rules do,
    /// the identifiers that start with a digit or a short class do not (`rule_regex` says
    /// why a prefilter there costs more than it saves).
    #[test]
    fn prefix_prefilter_only_for_long_literal_prefixes() {
        let db = builtin();
        let has = |id: &str| {
            let rule = db
                .rules()
                .iter()
                .find(|r| r.spec.id == id)
                .unwrap_or_else(|| panic!("no rule {id}"));
            long_prefix_prefilter(&rule.spec.pattern).is_some()
        };
        for id in [
            "phi.fhir.identifier",
            "phi.fhir.patient",
            "phi.dob",
            "phi.name",
            "phi.mrn",
        ] {
            assert!(has(id), "{id} should have a prefilter");
        }
        for id in [
            "phi.ssn",
            "phi.itin",
            "phi.zip",
            "phi.address",
            "phi.phone",
            "phi.mbi",
            "phi.npi",
        ] {
            assert!(!has(id), "{id} should have no prefilter");
        }
        assert!(long_prefix_prefilter(r"\d{3}-\d{2}").is_none());
        assert!(long_prefix_prefilter(r"a|bcd").is_none());
        assert!(long_prefix_prefilter(r"(?:abc|abcd)?x").is_none());
        assert!(long_prefix_prefilter(r"resourceType").is_some());
    }

    /// Short haystacks keep the plain regex (nothing changes for ordinary files); long ones
    /// of a rule with a prefix prefilter take the prefiltered one, the others the plain one.
    #[test]
    fn regex_for_takes_the_prefilter_only_on_long_haystacks() {
        let db = builtin();
        let compiled = |id: &str| {
            db.rules()
                .iter()
                .find(|r| r.spec.id == id)
                .unwrap_or_else(|| panic!("no rule {id}"))
                .compiled()
                .expect("compiles")
        };
        let long = super::PREFILTER_SPAN_BYTES;
        let fhir = compiled("phi.fhir.identifier");
        assert!(std::ptr::eq(fhir.regex_for(long - 1), &fhir.regex));
        assert!(!std::ptr::eq(fhir.regex_for(long), &fhir.regex));
        let ssn = compiled("phi.ssn");
        assert!(std::ptr::eq(ssn.regex_for(long), &ssn.regex));
    }
}
