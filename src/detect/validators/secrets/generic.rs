//! Generic credentials: `password = "..."`-style assignments, database URIs with an inline
//! password, `curl -u user:pass`. There is no prefix or checksum to lean on, so these
//! validators decide on the literal itself: it must not be a template, an environment lookup,
//! a file path or a known placeholder, and it must have enough length, entropy and character
//! variety to be a real credential. Strong values block; moderate ones only warn.

use super::tokens::is_documentation_value;
use crate::detect::validators::common::{contains_ci, contains_word_ci, shannon_entropy};
use crate::detect::validators::{Accepted, Candidate, Verdict};
use crate::rules::Severity;

#[cfg(test)]
mod tests;

/// The longest literal the generic rules judge (their patterns leave the length open, which
/// keeps the regexes small).
const MAX_LITERAL: usize = 256;

/// Values people write where a secret will go later, lowercased.
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "password",
    "passwd",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "secret",
    "secrets",
    "mysecret",
    "supersecret",
    "topsecret",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "required",
    "optional",
    "string",
    "empty",
    "default",
    "admin",
    "administrator",
    "root",
    "guest",
    "user",
    "username",
    "pass",
    "test",
    "testing",
    "example",
    "sample",
    "dummy",
    "fake",
    "todo",
    "tbd",
    "fixme",
    "redacted",
    "hidden",
    "masked",
    "notset",
    "not_set",
    "unset",
    "replaceme",
    "replace_me",
    "letmein",
    "qwerty",
    "welcome",
    "postgres",
    "mysql",
    "redis",
    "rabbitmq",
    "mongo",
    "oracle",
    "sa",
    "token",
    "apikey",
    "api_key",
    "key",
    "value",
    "yourpassword",
    "your_password",
    "mypassword",
    "my_password",
    "insecure",
    "unused",
    "invalid",
];

/// Words that mark a value as a stand-in ("your_api_key_here", "INSERT_TOKEN").
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "dummy",
    "fake",
    "test",
    "sample",
    "placeholder",
    "changeme",
    "your",
    "here",
    "replace",
    "insert",
    "redacted",
    "todo",
    "xxx",
    "foo",
    "bar",
    "lorem",
    "ipsum",
    "secret",
    "password",
    "mock",
    "default",
    "local",
    "localhost",
    "none",
    "null",
];

/// Words that weak or demo credentials are built from (`P@ssw0rd!`, `Cl1ent$ecret`,
/// `adminpass123`): a value that is nothing but these, after undoing leetspeak and dropping
/// trailing digits and punctuation, is a placeholder.
const DEMO_WORDS: &[&str] = &[
    "password", "passwd", "pass", "pwd", "secret", "client", "admin", "root", "user", "changeme",
    "change", "me", "welcome", "letmein", "let", "in", "qwerty", "test", "default", "token", "key",
    "api", "my", "super", "top", "db", "app", "demo", "guest", "sample", "example", "dummy",
    "fake", "hello", "world", "foo", "bar", "baz", "abc", "xyz", "open", "sesame", "access",
    "private", "public", "dev", "local", "service", "account", "the", "new", "old", "some",
];

/// Substrings that mean the value is computed or templated, not a literal.
const INDIRECTIONS: &[&str] = &[
    "${",
    "{{",
    "}}",
    "{%",
    "%(",
    "#{",
    "$(",
    "<",
    ">",
    "os.environ",
    "process.env",
    "getenv",
    "environ",
    "env[",
    "env.",
    "env(",
    "!ref",
    "!sub",
    "!getatt",
    "secretkeyref",
    "valuefrom",
    "vault:",
    "secrets.",
    "var.",
    "local.",
    "data.",
    "module.",
    "config.",
    "settings.",
    "params.",
    "props.",
    "self.",
    "this.",
    "args.",
    "opts.",
    "lookup(",
    "keyring",
    "ssm:",
    "arn:aws",
    "file:",
    "...",
    "xxxx",
    "****",
    "____",
    "----",
    "\\n",
    "\\(",
    "@{",
    "[[",
];

/// Prefixes of tokens that a provider rule owns: its validator knows the format (checksums,
/// test-mode keys), so a generic assignment rule leaves such values to it.
const PROVIDER_PREFIXES: &[&str] = &[
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "glrt-",
    "gldt-",
    "glcbt-",
    "glptt-",
    "GR1348941",
    "glft-",
    "glimt-",
    "gloas-",
    "glsoat-",
    "glffct-",
    "glagent-",
    "xoxa-",
    "xoxb-",
    "xoxe",
    "xoxo-",
    "xoxp-",
    "xoxr-",
    "xoxs-",
    "xapp-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "whsec_",
    "AIza",
    "GOCSPX-",
    "ya29.",
    "npm_",
    "pypi-",
    "rubygems_",
    "dckr_pat_",
    "dckr_oat_",
    "hvs.",
    "hvb.",
    "SG.",
    "shpat_",
    "shpss_",
    "shpca_",
    "shppa_",
    "sq0atp-",
    "sq0csp-",
    "NRAK-",
    "NRII-",
    "sntrys_",
    "sntryu_",
    "sk-proj-",
    "sk-svcacct-",
    "sk-admin-",
    "sk-ant-",
    "hf_",
    "api_org_",
    "ATATT3",
    "ATBB",
    "ATCTT3",
    "lin_api_",
    "lin_oauth_",
    "PMAK-",
    "glsa_",
    "glc_",
    "dp.pt.",
    "pul-",
    "dapi",
    "sbp_",
    "pscale_",
    "r8_",
    "gsk_",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
    "HRKU-",
    "LTAI",
    "eyJ",
    "1//0",
    "GR1348941",
    "sk.eyJ",
    "dp.st.",
    "whsec_",
    "AGE-SECRET-KEY-",
    "access_token$",
    "amzn.mws.",
    "-----BEGIN",
];

/// Whether a provider rule owns this value (see [`PROVIDER_PREFIXES`]).
pub(crate) fn has_provider_prefix(v: &[u8]) -> bool {
    PROVIDER_PREFIXES
        .iter()
        .any(|p| v.starts_with(p.as_bytes()))
}

/// How varied a value is: its length, how many of lower/upper/digit/symbol it uses, and its
/// Shannon entropy in bits per byte.
pub(crate) struct Strength {
    pub len: usize,
    pub classes: usize,
    pub entropy: f64,
}

pub(crate) fn strength(v: &[u8]) -> Strength {
    let has = |f: fn(&u8) -> bool| usize::from(v.iter().any(f));
    let classes = has(u8::is_ascii_lowercase)
        + has(u8::is_ascii_uppercase)
        + has(u8::is_ascii_digit)
        + has(|b| b.is_ascii_punctuation());
    Strength {
        len: v.len(),
        classes,
        entropy: shannon_entropy(v),
    }
}

/// The longest run of one repeated byte (`aaaaaaaa`).
pub(crate) fn longest_run(v: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, &b) in v.iter().enumerate() {
        run = if i > 0 && v[i - 1] == b { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

/// Whether the value is a UUID (`8-4-4-4-12` hex): an identifier far more often than a key.
pub(crate) fn is_uuid(v: &[u8]) -> bool {
    let groups: Vec<&[u8]> = v.split(|&b| b == b'-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.iter().all(u8::is_ascii_hexdigit))
}

/// A printf verb (`%s`, `%d`, `%v`) standing alone; `%SE` or `%s6` inside a value is percent
/// encoding or plain text, not a template.
fn has_format_verb(lower: &[u8]) -> bool {
    lower.windows(2).enumerate().any(|(i, w)| {
        w[0] == b'%'
            && b"sdvq".contains(&w[1])
            && lower.get(i + 2).is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

/// `value` lowercased with leetspeak undone (`@`→a, `0`→o, `1`→i, `3`→e, `$`/`5`→s, `4`→a,
/// `7`→t) and trailing digits and punctuation dropped.
fn deleet(v: &[u8]) -> Vec<u8> {
    let end = v
        .iter()
        .rposition(|b| b.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    v[..end]
        .iter()
        .filter_map(|&b| {
            let c = match b.to_ascii_lowercase() {
                b'@' | b'4' => b'a',
                b'0' => b'o',
                b'1' | b'!' => b'i',
                b'3' => b'e',
                b'$' | b'5' => b's',
                b'7' => b't',
                c => c,
            };
            c.is_ascii_lowercase().then_some(c)
        })
        .collect()
}

/// Whether `v` (see [`deleet`]) splits entirely into [`DEMO_WORDS`].
fn is_demo_words(v: &[u8]) -> bool {
    let w = deleet(v);
    if w.len() < 4 {
        return false;
    }
    // reach[i]: the first i letters split into words.
    let mut reach = vec![false; w.len() + 1];
    reach[0] = true;
    for i in 0..w.len() {
        if !reach[i] {
            continue;
        }
        for d in DEMO_WORDS {
            if w[i..].starts_with(d.as_bytes()) {
                reach[i + d.len()] = true;
            }
        }
    }
    reach[w.len()]
}

/// Whether the value looks like a file path or a URL rather than a secret.
fn is_path_like(v: &[u8]) -> bool {
    let starts = |p: &[u8]| v.starts_with(p);
    // A base64 secret may start with `/` too, but it is far more random than a path.
    let rooted = starts(b"/") || starts(b"./") || starts(b"../") || starts(b"~/");
    if (rooted && shannon_entropy(v) < 4.2) || contains_ci(v, b"://") {
        return true;
    }
    if v.len() > 2 && v[1] == b':' && (v[2] == b'\\' || v[2] == b'/') {
        return true;
    }
    let exts: [&[u8]; 10] = [
        b".pem", b".key", b".json", b".txt", b".crt", b".p12", b".pfx", b".yaml", b".yml", b".env",
    ];
    v.contains(&b'/') && exts.iter().any(|e| v.len() > e.len() && v.ends_with(e))
}

/// Whether a value is a placeholder, a template, an environment lookup, a path or a public
/// documentation value: never a finding, whatever its entropy.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    let trimmed: &[u8] = {
        let t = lower.trim_ascii();
        t.strip_suffix(b";").unwrap_or(t)
    };
    trimmed.is_empty()
        || PLACEHOLDERS.iter().any(|p| p.as_bytes() == trimmed)
        || PLACEHOLDER_WORDS
            .iter()
            .any(|w| contains_word_ci(&lower, w.as_bytes()))
        || INDIRECTIONS
            .iter()
            .any(|s| contains_ci(&lower, s.as_bytes()))
        || has_format_verb(&lower)
        || (lower.starts_with(b"__") && lower.ends_with(b"__"))
        || lower.first().is_some_and(|b| b"{[(<".contains(b))
        || is_demo_words(v)
        || (lower.starts_with(b"$")
            && lower[1..]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_'))
        || is_documentation_value(v)
        || longest_run(v) >= 5
        || is_path_like(v)
        || is_uuid(v)
        || is_encrypted(&lower)
}

/// Whether a value is a package name with its version (`jjwt-jackson-0.11.2` after
/// `io.jsonwebtoken:` in a Maven coordinate, `spring-core-5.3.9.RELEASE`): lowercase words
/// joined by `-`, `_` or `.`, then `-` and a dotted version.
fn is_versioned_name(v: &[u8]) -> bool {
    let Some(dash) = v.iter().rposition(|&b| b == b'-') else {
        return false;
    };
    let (name, version) = (&v[..dash], &v[dash + 1..]);
    let mut parts = version.split(|&b| b == b'.');
    let numbers = parts
        .by_ref()
        .take_while(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
        .count();
    let tail_ok = parts.all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_alphabetic));
    name.len() >= 3
        && name[0].is_ascii_lowercase()
        && name
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b"-_.".contains(&b))
        && numbers >= 2
        && tail_ok
}

/// Whether a (lowercased) value is ciphertext whose key lives elsewhere: a SOPS field
/// (`ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`, committed by design in Kubernetes and Helm
/// repositories), a Jasypt property (`ENC(…)`) or an Ansible Vault payload.
fn is_encrypted(lower: &[u8]) -> bool {
    lower.starts_with(b"enc[aes256_gcm,data:")
        || (lower.starts_with(b"enc(") && lower.len() > 8)
        || lower.starts_with(b"$ansible_vault;")
}

/// Whether the value reads like code: a dotted member access or a call (`cfg.db.password`,
/// `getPassword()`), or a bare identifier (`DB_PASSWORD`, `dbPassword`) with no digits.
fn is_code_like(v: &[u8]) -> bool {
    let ident = |s: &[u8]| {
        !s.is_empty()
            && (s[0].is_ascii_alphabetic() || s[0] == b'_')
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    // `jwtDecode(tokenResponse.access_token,`: a call whose arguments the value runs into
    // (it stops at the first blank, mid argument list).
    if let Some(open) = memchr::memchr(b'(', v)
        && open > 0
        && v[..open].split(|&b| b == b'.').all(ident)
        // A callee with digits and no member access could be a token's own bytes.
        && (v[..open].contains(&b'.') || !v[..open].iter().any(u8::is_ascii_digit))
        && v.get(open + 1).is_some_and(|&b| {
            b.is_ascii_alphabetic() || matches!(b, b'_' | b'"' | b'\'' | b')' | b'$')
        })
    {
        return true;
    }
    // `rawtokens[i];curline=lines;…` (minified script): statements, not a literal.
    if let Some(semi) = memchr::memchr(b';', v)
        && v[semi..].contains(&b'=')
        && v[..semi]
            .iter()
            .any(|b| matches!(b, b'[' | b'(' | b')' | b']'))
    {
        return true;
    }
    // `privateKey: CryptoKey, header: any` (a signature in prose or generated docs): the
    // value runs on into the list's comma.
    let v = v
        .strip_suffix(b",")
        .or_else(|| v.strip_suffix(b";"))
        .unwrap_or(v);
    // `document.getElementById(`: the value stops at the call's argument.
    let v = v.strip_suffix(b"(").unwrap_or(v);
    let body = v.strip_suffix(b"()").unwrap_or(v);
    let parts: Vec<&[u8]> = body.split(|&b| b == b'.').collect();
    if parts.iter().all(|p| ident(p)) && (parts.len() > 1 || body.len() < v.len()) {
        return true;
    }
    ident(v) && !v.iter().any(u8::is_ascii_digit)
}

/// Files where an unquoted value after `=` is code (a variable), not a literal.
fn is_code_path(path: &str) -> bool {
    const CODE: &[&str] = &[
        ".rs", ".py", ".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx", ".go", ".java", ".kt", ".kts",
        ".scala", ".rb", ".php", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".swift", ".m", ".dart",
        ".lua", ".ex", ".exs", ".groovy", ".vue", ".svelte", ".jl", ".r", ".ps1", ".psm1",
        // Source maps carry the code itself (`sourcesContent`).
        ".js.map", ".mjs.map", ".cjs.map", ".ts.map",
    ];
    let lower = path.to_ascii_lowercase();
    CODE.iter().any(|e| lower.ends_with(e))
}

/// The words of an identifier, lowercased: split on non-alphanumerics and on camelCase
/// humps (`hcloudTestToken` → `hcloud test token`).
fn key_words(key: &[u8]) -> Vec<Vec<u8>> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    for (i, &b) in key.iter().enumerate() {
        let hump = b.is_ascii_uppercase() && i > 0 && key[i - 1].is_ascii_lowercase();
        if (!b.is_ascii_alphanumeric() || hump) && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        if b.is_ascii_alphanumeric() {
            cur.push(b.to_ascii_lowercase());
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Key names that hold something about a secret, not the secret (`password_hash`,
/// `token_url`, `secretName`, `password_min_length`), or that say the value is not real
/// (`dummyClientSecret`, `hcloudTestToken`).
fn is_meta_key(key: &[u8]) -> bool {
    const META: &[&str] = &[
        "hash",
        "hashed",
        "digest",
        "checksum",
        "sha",
        "md5",
        "length",
        "len",
        "min",
        "max",
        "policy",
        "field",
        "label",
        "prompt",
        "hint",
        "placeholder",
        "pattern",
        "regex",
        "type",
        "mode",
        "file",
        "path",
        "dir",
        "env",
        "name",
        "id",
        "url",
        "uri",
        "endpoint",
        "ref",
        "reset",
        "expiry",
        "expires",
        "expiration",
        "ttl",
        "timeout",
        "count",
        "size",
        "format",
        "header",
        "param",
        "var",
        "prefix",
        "suffix",
        "keyid",
        "enabled",
        "required",
        "confirm",
        "confirmation",
        "validation",
        "strength",
        "rotation",
        "version",
        "provider",
        "store",
        "manager",
        "source",
        "arn",
        "location",
        "template",
        "salt",
        "public",
        "pub",
        "fingerprint",
        "test",
        "tests",
        "dummy",
        "fake",
        "mock",
        "example",
        "sample",
        "stub",
        "invalid",
        "wrong",
        "bad",
        "old",
        "new",
        "view",
        "class",
        "description",
        "desc",
        "doc",
        // Paging and sync cursors (`continuationToken`, `nextPageToken`): opaque, not secret.
        "continuation",
        "cursor",
        "paging",
        "pagination",
        "etag",
        // Anti-forgery tokens (`csrf-token`, `_xsrf`): per session, printed into every page.
        "csrf",
        "xsrf",
        // Resource-bundle keys (`install.advanced.admin.password.info`).
        "info",
        "help",
        "title",
        "message",
        "msg",
        "error",
        "tooltip",
        "caption",
    ];
    let words = key_words(key);
    words
        .iter()
        .any(|w| META.iter().any(|m| m.as_bytes() == w.as_slice()))
        || words
            .windows(2)
            .any(|p| matches!(p[0].as_slice(), b"next" | b"prev" | b"previous") && p[1] == b"page")
}

/// The assignment that owns the value names it as fake (`dummyClientSecret config.Secret =
/// ...`, `const testToken = ...`). Only the text since the previous field on the line counts:
/// in `<user username="test_user" password="..."/>` or `{"user": "test", "password": ...}` the
/// `test` belongs to another field and says nothing about the password.
fn is_fake_context(c: &Candidate<'_>) -> bool {
    let bounds = crate::detect::validators::common::line_bounds(c.text, c.value.start);
    let start = c.group("key").map_or(c.value.start, |k| k.start);
    let line_head = &c.text[bounds.start..start.max(bounds.start)];
    let own = line_head
        .iter()
        .rposition(|b| b"\"'`,;{}()[]|&".contains(b))
        .map_or(bounds.start, |i| bounds.start + i + 1);
    let before = &c.text[own..c.value.start];
    key_words(before).iter().any(|w| {
        [
            "test", "tests", "dummy", "fake", "mock", "example", "sample", "stub",
        ]
        .iter()
        .any(|m| m.as_bytes() == w.as_slice())
    })
}

/// A value made of words, not randomness: no digits, only letters and `_ - .`, and either
/// one case or a few camelCase humps (`crates-io-token`, `realToken`, `AZURE_TOKEN_FILE`).
fn is_wordy(v: &[u8]) -> bool {
    if !v
        .iter()
        .all(|b| b.is_ascii_alphabetic() || b"_-.".contains(b))
    {
        return false;
    }
    let humps = v
        .windows(2)
        .filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        .count();
    humps <= 3
}

/// A setting or property name (`security.passwordRequiresUpperAndLowerCase`,
/// `app.auth.tokenSigningAlgorithm`): no digits, only letters and `. _ -`, and camelCase or
/// separated words of four letters on average. A random letters-only token switches case every
/// two letters or so.
fn is_setting_name(v: &[u8]) -> bool {
    if v.iter().any(u8::is_ascii_digit)
        || !v
            .iter()
            .all(|b| b.is_ascii_alphabetic() || b"._-".contains(b))
    {
        return false;
    }
    let words = key_words(v);
    let letters: usize = words.iter().map(Vec::len).sum();
    words.len() >= 2 && letters >= 4 * words.len() && words.iter().all(|w| w.len() >= 2)
}

/// Natural language, not a token: a value with non-ASCII bytes (a translation:
/// `远程系统的…`, `Usuário/Senha`), or an unquoted value followed on its line by more words
/// (`password.info=Actuellement, par défaut ...`). In `.properties`, resource bundles and
/// `.po` files one following word is enough; elsewhere three (`PASSWORD=x9 node app.js` keeps
/// its finding).
fn is_prose(c: &Candidate<'_>, quoted: bool) -> bool {
    let v = c.value_bytes();
    if !v.is_ascii() {
        return true;
    }
    if quoted {
        return false;
    }
    let bounds = crate::detect::validators::common::line_bounds(c.text, c.value.start);
    let rest = &c.text[c.value.end.min(bounds.end)..bounds.end];
    if !rest.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return false;
    }
    let rest = rest.trim_ascii_start();
    if rest.starts_with(b"#") || rest.starts_with(b"//") || rest.starts_with(b";") {
        return false; // a trailing comment
    }
    let words = rest
        .split(|b| b.is_ascii_whitespace())
        .take(4)
        .filter(|w| {
            w.first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b >= 0x80)
        })
        .count();
    let lower = c.path.to_ascii_lowercase();
    let bundle =
        lower.ends_with(".properties") || lower.ends_with(".po") || lower.ends_with(".strings");
    words >= if bundle { 1 } else { 3 }
}

/// A resource bundle or translation catalogue (`messages_fr.properties`, `locales/de.json`,
/// `*.po`): UI text, where a value after `password` is a label or a documented default.
fn is_translation_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    (name.starts_with("messages") && name.ends_with(".properties"))
        || name.ends_with(".po")
        || name.ends_with(".pot")
        || name.ends_with(".strings")
        || name.ends_with(".resx")
        || [
            "/i18n/",
            "/l10n/",
            "/locales/",
            "/locale/",
            "/lang/",
            "/translations/",
        ]
        .iter()
        .any(|d| lower.contains(d) || lower.starts_with(&d[1..]))
}

/// A hand-typed pattern: an ascending run of five letters or five digits among the value's
/// letters or digits (`A1B2C3D4E5`, `abcdef`, `123456`).
fn is_sequence(v: &[u8]) -> bool {
    let run = |class: fn(&u8) -> bool| {
        let picked: Vec<u8> = v
            .iter()
            .copied()
            .filter(class)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        let mut best = 1;
        let mut cur = 1;
        for w in picked.windows(2) {
            cur = if w[1] == w[0] + 1 { cur + 1 } else { 1 };
            best = best.max(cur);
        }
        best >= 5
    };
    run(u8::is_ascii_alphabetic) || run(u8::is_ascii_digit)
}

/// How severe a literal of this strength is: `None` when too weak to report.
pub(crate) fn grade(v: &[u8]) -> Option<Severity> {
    let s = strength(v);
    if s.len < 8 || s.classes < 2 || s.entropy < 2.8 {
        return None;
    }
    let strong =
        (s.classes >= 3 && s.len >= 10 && s.entropy >= 3.0) || (s.len >= 20 && s.entropy >= 3.5);
    Some(if strong {
        Severity::Block
    } else {
        Severity::Warn
    })
}

/// `password = "..."`, `api_key: ...`, `client_secret=...` and friends. The rule captures
/// `key` (the assignment's key), `q` (the opening quote, possibly empty) and `value`.
pub(super) fn generic_secret(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if v.len() > MAX_LITERAL {
        return Verdict::Reject; // a blob (minified data, an embedded file), not a credential
    }
    let quote = c.group_bytes("q").unwrap_or_default();
    if let Some(&q) = quote.first()
        && c.text.get(c.value.end) != Some(&q)
    {
        return Verdict::Reject; // the value runs on past where the literal ends
    }
    if let Some(key) = c.group_bytes("key")
        && is_meta_key(key)
    {
        return Verdict::Reject;
    }
    if is_fake_context(c) {
        return Verdict::Reject;
    }
    if is_uuid(v) {
        return uuid_verdict(c.group_bytes("key").unwrap_or_default(), v);
    }
    if is_placeholder(v) || has_provider_prefix(v) {
        return Verdict::Reject;
    }
    // A literal opened by a quote the rule does not capture (`"\"value\""` in a
    // buildConfigField, an XML attribute) is still a literal.
    let quoted = !quote.is_empty()
        || c.value
            .start
            .checked_sub(1)
            .is_some_and(|i| matches!(c.text[i], b'"' | b'\''));
    if !quoted && (is_code_path(c.path) || is_code_like(v)) {
        return Verdict::Reject;
    }
    if is_setting_name(v) || is_prose(c, quoted) || is_versioned_name(v) {
        return Verdict::Reject;
    }
    let key = c.group_bytes("key").unwrap_or_default();
    match literal_verdict(v) {
        Verdict::Accept(_) if is_translation_path(c.path) => Verdict::at(Severity::Warn),
        // A hex digest under a password key is usually a stored hash (fixtures, dumps), and
        // so is a long hex value with a salt beside it (OpenMRS' users table drops the
        // leading zeros of its SHA digests, so their length varies).
        Verdict::Accept(_) if is_stored_hash(c, key, v) => Verdict::at(Severity::Warn),
        verdict => verdict,
    }
}

/// A UUID assigned to a name: an identifier far more often than a key, except under a name
/// that can only mean a credential (`NPM_TOKEN`, `WISE_API_SECRET`, `privateKey`): many
/// services issue UUID keys (legacy npm tokens, Heroku, Bugsnag, Squarespace). Those warn;
/// the RFC 4122 example UUID (`123e4567-e89b-12d3-…`), runs such as the nil UUID and
/// documentation values stay placeholders, and a name that says it is an id never counts.
fn uuid_verdict(key: &[u8], v: &[u8]) -> Verdict {
    let key = key.to_ascii_lowercase();
    const CREDENTIAL: &[&str] = &[
        "secret",
        "token",
        "password",
        "passwd",
        "private",
        "apikey",
        "api_key",
        "api-key",
        "accesskey",
        "access_key",
        "access-key",
        "authkey",
        "auth_key",
    ];
    const NOT_CREDENTIAL: &[&str] = &[
        "csrf",
        "xsrf",
        "nonce",
        "request",
        "correlation",
        "trace",
        "cursor",
        "page",
        "uuid",
        "guid",
        "name",
        "type",
    ];
    let credential = CREDENTIAL.iter().any(|w| contains_ci(&key, w.as_bytes()))
        && !NOT_CREDENTIAL
            .iter()
            .any(|w| contains_ci(&key, w.as_bytes()))
        && !key.ends_with(b"id")
        && !key.ends_with(b"ids");
    let example = v.to_ascii_lowercase().starts_with(b"123e4567-e89b-12d3")
        || longest_run(v) >= 5
        || is_documentation_value(v);
    if credential && !example {
        Verdict::at(Severity::Warn)
    } else {
        Verdict::Reject
    }
}

/// Words that make a name credential-like when they end it or stand in it.
const CREDENTIAL_WORDS: &[&str] = &[
    "key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "pass",
    "pwd",
    "auth",
    "credential",
    "credentials",
    "creds",
];

/// Words that make a `..._key` name an index, a lookup or a public part, not a credential
/// (`primary_key`, `sort_key`, `cache_key`, `idempotency_key`, `public_key`).
const KEY_META: &[&str] = &[
    "primary",
    "foreign",
    "sort",
    "partition",
    "range",
    "cache",
    "lookup",
    "map",
    "row",
    "unique",
    "idempotency",
    "composite",
    "hot",
    "shortcut",
    "routing",
    "translation",
    "i18n",
    "dict",
    "object",
    "column",
    "index",
    "group",
    "foreign",
    "license",
    "licence",
    "license",
    "site",
    "recaptcha",
    "publishable",
    "anon",
    "client",
    "ssh",
    "gpg",
    "pgp",
    "kid",
    "jwk",
    "jwks",
    "storage",
    "bucket",
    "s3",
    "redis",
    "event",
    "metric",
    "react",
    "vue",
    "protobuf",
    "json",
    "xml",
    "yaml",
    "charset",
    "normalized",
];

/// A stored password (or answer) hash rather than a credential: a hex digest under a
/// password key, or a hex value of digest size with a `salt` on the same line. Beside a salt,
/// a digest whose first characters were edited by hand (OpenMRS' upgrade fixtures write
/// `rr6d16…` for a user whose hash must not match) is still one: at most two characters of
/// it, letters or digits, are not hex.
fn is_stored_hash(c: &Candidate<'_>, key: &[u8], v: &[u8]) -> bool {
    if is_hex_digest(v) && contains_ci(key, b"pass") {
        return true;
    }
    (30..=128).contains(&v.len())
        && v.iter().all(u8::is_ascii_alphanumeric)
        && v.iter().filter(|b| !b.is_ascii_hexdigit()).count() <= 2
        && contains_ci(c.line(), b"salt")
}

/// A value with a token's character mix: letters and digits, at least 16 bytes, and either a
/// hex digest's length or the entropy of random text. Names such as `*_KEY` or `auth` are too
/// common for anything less.
fn is_token_mix(v: &[u8]) -> bool {
    let letters = v.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    if v.len() < 16 || letters == 0 || digits == 0 {
        return false;
    }
    let hex = v.iter().all(u8::is_ascii_hexdigit);
    (hex && v.len() >= 32) || (!hex && shannon_entropy(v) >= 3.6)
}

/// A credential under a name that only says so by its last word (`STRIPE_KEY`,
/// `app.signing.key`, `auth`, `credentials`), a `buildConfigField 'String', 'API_KEY', ...`,
/// an XML `<add key="..." value="..."/>` pair or a CLI flag (`--api-key VALUE`). The name must
/// be credential-like and not an index or public part (`primary_key`, `publishable_key`); the
/// value must pass [`generic_secret`] and have a token's character mix.
pub(super) fn named_secret(c: &Candidate<'_>) -> Verdict {
    let key = c.group_bytes("key").unwrap_or_default();
    let words = key_words(key);
    let credential = words.iter().any(|w| {
        CREDENTIAL_WORDS
            .iter()
            .any(|m| m.as_bytes() == w.as_slice())
    }) || contains_ci(key, b"apikey")
        || contains_ci(key, b"secret")
        || contains_ci(key, b"password")
        || contains_ci(key, b"token");
    if !credential
        || words
            .iter()
            .any(|w| KEY_META.iter().any(|m| m.as_bytes() == w.as_slice()))
    {
        return Verdict::Reject;
    }
    let v = c.value_bytes();
    // Commas (`bytes,1,opt,name=key`) and variables (`$valueSet[0].x`) are not in tokens.
    if !is_token_mix(v)
        || is_word_chain(v)
        || v.contains(&b',')
        || (v.first() == Some(&b'$') && v.get(1).is_some_and(|b| b.is_ascii_alphabetic()))
    {
        return Verdict::Reject;
    }
    generic_secret(c)
}

/// Three or more words joined by `-`, `_`, `.` or `:`, each of one case with at most two
/// digits, or a short number (`oauth2-client-credentials-flow`, `users.by_email.v2`,
/// `google.fhir.r4.testing-1`): a name, not a token.
fn is_word_chain(v: &[u8]) -> bool {
    let parts: Vec<&[u8]> = v
        .split(|b| b"-_.:".contains(b))
        .filter(|p| !p.is_empty())
        .collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            let digits = p.iter().filter(|b| b.is_ascii_digit()).count();
            if digits == p.len() {
                return digits <= 3; // a counter or version part (`testing-1`, `v2.10`)
            }
            p[0].is_ascii_alphabetic()
                && digits <= 2
                && p.iter().all(u8::is_ascii_alphanumeric)
                && (p.iter().all(|b| !b.is_ascii_uppercase())
                    || p.iter().all(|b| !b.is_ascii_lowercase()))
        })
}

/// A password hash or digest, not a password: crypt formats (`$2b$12$...`, `$argon2id$`,
/// `$6$`), LDAP schemes (`{SSHA}`), Django's `pbkdf2_sha256$`, `sha256:` digests.
fn is_hash_format(v: &[u8]) -> bool {
    const PREFIXES: &[&str] = &[
        "$1$",
        "$2a$",
        "$2b$",
        "$2y$",
        "$5$",
        "$6$",
        "$7$",
        "$y$",
        "$argon2",
        "$scrypt$",
        "$pbkdf2",
        "pbkdf2_sha",
        "bcrypt$",
        "argon2$",
        "scrypt:",
        "sha1$",
        "md5$",
        "sha256:",
        "sha512:",
        "sha1:",
        "md5:",
        "{ssha}",
        "{sha}",
        "{ssha256}",
        "{ssha512}",
        "{crypt}",
        "{bcrypt}",
        "{noop}",
    ];
    let lower = v.to_ascii_lowercase();
    PREFIXES.iter().any(|p| lower.starts_with(p.as_bytes()))
}

/// Base64 whose decoded text is prose or a placeholder (`c2VjcmV0` = `secret`): an encoded
/// non-secret, as in ConfigMaps and test fixtures.
fn is_encoded_non_secret(v: &[u8]) -> bool {
    use base64::Engine as _;
    if v.len() < 8 || !v.len().is_multiple_of(4) {
        return false;
    }
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(v) else {
        return false;
    };
    raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
        && (raw.contains(&b' ') || is_placeholder(&raw) || is_demo_words(&raw))
}

/// A hex digest of a usual length (MD5, SHA-1, SHA-224/256/384/512).
fn is_hex_digest(v: &[u8]) -> bool {
    [32, 40, 56, 64, 96, 128].contains(&v.len()) && v.iter().all(u8::is_ascii_hexdigit)
}

/// The verdict on a literal that passed the placeholder checks: rejected when it reads as
/// words, else graded (a graded literal: in test and documentation files policy lowers a
/// block to a warning, [`crate::policy::examples`]). A value holding a typed run
/// (`abcdef0123456789abcdef0123456789`) warns at most: usually a stand-in, but services'
/// own examples and many a hand-made dev key look just like it, and a reviewer should see it.
fn literal_verdict(v: &[u8]) -> Verdict {
    if is_wordy(v) || is_hash_format(v) || is_encoded_non_secret(v) {
        return Verdict::Reject;
    }
    match grade(v) {
        None => Verdict::Reject,
        Some(_) if is_sequence(v) => Verdict::at(Severity::Warn),
        Some(s) => Verdict::Accept(Accepted {
            severity: Some(s),
            graded_literal: true,
            ..Accepted::default()
        }),
    }
}

/// A value that is itself enough to judge (SQL `IDENTIFIED BY '...'`, `setPassword("...")`,
/// `Authorization: Bearer ...`): placeholder rejection and the strength grade.
pub(super) fn secret_literal(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    if is_placeholder(v) || has_provider_prefix(v) {
        return Verdict::Reject;
    }
    literal_verdict(v)
}

/// A URI (`postgres://user:pw@host`) or JDBC/ADO.NET string with an inline password, in
/// group `value`; `user` is the user name when the rule captures one. A password equal to the
/// user name, a default (`postgres`, `guest`) or a template is not a finding; a strong one
/// blocks, a short or plain one warns.
pub(super) fn db_password(c: &Candidate<'_>) -> Verdict {
    let v = c.value_bytes();
    let user = c.group_bytes("user").unwrap_or_default();
    let host = c.group_bytes("host").unwrap_or_default();
    if v.len() < 4 || v.eq_ignore_ascii_case(user) || is_placeholder(v) || is_code_like(v) {
        return Verdict::Reject;
    }
    if PLACEHOLDER_WORDS
        .iter()
        .any(|w| contains_word_ci(host, w.as_bytes()) && *w != "localhost" && *w != "local")
    {
        return Verdict::Reject; // db.example.com, test-host
    }
    let s = strength(v);
    if s.len >= 8 && s.classes >= 2 && s.entropy >= 2.5 {
        Verdict::accept()
    } else {
        Verdict::at(Severity::Warn)
    }
}

/// `Authorization: Basic ...` and Docker `"auth": "..."`: base64 of `user:password`. The
/// decoded pair must have that shape and a password that is neither the user name nor a
/// placeholder.
pub(super) fn basic_auth(c: &Candidate<'_>) -> Verdict {
    use base64::Engine as _;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(c.value_bytes()) else {
        return Verdict::Reject;
    };
    let Some(colon) = raw.iter().position(|&b| b == b':') else {
        return Verdict::Reject;
    };
    let (user, pass) = (&raw[..colon], &raw[colon + 1..]);
    let printable = |s: &[u8]| s.iter().all(|b| b.is_ascii_graphic());
    if user.is_empty() || !printable(user) || !printable(pass) || pass.len() < 4 {
        return Verdict::Reject;
    }
    // RFC 7617's example pair is documentation, like AWS's EXAMPLE key.
    if pass.eq_ignore_ascii_case(user) || is_placeholder(pass) || raw == b"Aladdin:open sesame" {
        return Verdict::Reject;
    }
    grade(pass).map_or(Verdict::at(Severity::Warn), Verdict::at)
}
